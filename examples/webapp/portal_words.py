"""symportal's plain words: the sentence shown for each error code.

symprogram's errors carry a stable ``code`` and the ``field`` they concern; the
portal shows people a sentence, next to that field, never the code. A code not
listed here shows the error's own message.
"""

from __future__ import annotations

from typing import Any

from symprogram.errors import SymprogramError

__all__ = ["PLAIN_WORDS", "plain", "wait_words"]

#: Error code -> the sentence shown next to the field (``{...}`` filled from the details).
PLAIN_WORDS: dict[str, str] = {
    "terms_not_accepted": "Tick “I agree to these terms” to create an account.",
    "terms_outdated": (
        "The Terms of Use changed while you were reading them: "
        "please read the new version and agree again."
    ),
    "field_required": "Please fill this in.",
    "invalid_email": "Enter an e-mail address such as name@example.com.",
    "unknown_language": "Enter a language such as en, en-GB, de or he.",
    "invalid_language": "Enter a language such as en, en-GB, de or he.",
    "invalid_phone": "A telephone number has digits, spaces and + ( ) . - / only.",
    "text_too_long": "This is too long: at most {limit} characters.",
    "control_characters": "Remove the line breaks and special characters.",
    "invalid_text": "Remove the special characters.",
    "password_too_short": "Your password needs at least {minimum} characters.",
    "password_too_long": "Your password may have at most {maximum} characters.",
    "password_too_common": "This password is too easy to guess: choose a longer, unusual one.",
    "password_contains_personal_info": (
        "Your password may not contain your e-mail address or your name."
    ),
    "invalid_password": "Your password may not contain control characters.",
    "invalid_credentials": "That e-mail address and password do not match an account.",
    "account_pending_activation": (
        "Your account is not active yet: follow the link in the e-mail we sent you."
    ),
    "account_suspended": "This account is suspended: please contact support.",
    "account_closed": "This account is closed.",
    "rate_limited": "Too many failed log-ins. Please wait {wait} and try again.",
    "token_invalid": "This link is not valid: please ask for a new one.",
    "token_used": "This link has already been used.",
    "token_expired": "This link has expired: please ask for a new one.",
    "document_not_found": "There is no such document.",
    "form_expired": "This form has expired: reload the page and try again.",
    "body_too_large": "That was more than this page accepts: at most {limit} bytes.",
    "page_not_found": "There is no such page.",
    "method_not_allowed": "This page cannot be used that way.",
    "bad_request": "The request was not understood.",
    "server_error": "Something went wrong on our side: please try again later.",
    "invalid_action": "Choose one of the buttons on the page.",
    "purpose_not_offered": "Choose one of the uses listed on the page.",
    "necessary_cannot_be_refused": (
        "This use is necessary for what you asked us to do, so it cannot be refused."
    ),
}


def wait_words(seconds: int) -> str:
    """``retry_after`` seconds in words: ``"1 minute"``, ``"5 minutes"``, ``"30 seconds"``."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def plain(error: SymprogramError, **extra: Any) -> str:
    """The sentence for ``error``: its code's plain words, or its own message."""
    template = PLAIN_WORDS.get(error.code)
    if template is None:
        return error.message[:1].upper() + error.message[1:]
    values = {**dict(error.details), **extra}
    if "retry_after" in values:
        values.setdefault("wait", wait_words(int(values["retry_after"])))
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return error.message[:1].upper() + error.message[1:]
