"""The accounts-specific text checks: e-mail addresses, telephone numbers, languages, names.

Private: the public limits are re-exported from :mod:`symprogram.accounts.models`.
The generic text checks (lengths, control characters, surrogates) are
:mod:`symprogram._checks`, called with the accounts' error codes :data:`CODES`.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from typing import TYPE_CHECKING

import email_validator
from email_validator import EmailNotValidError, rfc_constants, validate_email

from symprogram._checks import _LINE_BREAKS as _LINE_BREAKS
from symprogram._checks import TextCodes, check_length, check_text, optional_text
from symprogram._names import name_key
from symprogram.errors import ValidationError

if TYPE_CHECKING:
    from symprogram.i18n import LanguageTag

CODES = TextCodes(
    wrong_type="invalid_type",
    blank="field_required",
    too_long="text_too_long",
    control="control_characters",
    surrogate="invalid_unicode",
)
"""The error codes of every accounts text field (released with 0.1)."""

__all__ = [
    "CODES",
    "MAX_EMAIL_LENGTH",
    "ascii_code",
    "email",
    "email_key",
    "language",
    "line",
    "names_match",
    "optional_line",
    "paragraph",
    "phone",
]

MAX_EMAIL_LENGTH = 254
_PHONE = re.compile(r"\+?[0-9][0-9 ().\-/]{2,30}")


def line(value: object, field: str, limit: int) -> str:
    """A required single-line text, stripped (:func:`symprogram._checks.check_text`)."""
    return check_text(value, field, limit=limit, strip=True, codes=CODES)


def optional_line(value: object, field: str, limit: int) -> str | None:
    """Like :func:`line`, but ``None`` or blank text gives ``None``."""
    return optional_text(value, field, limit=limit, strip=True, codes=CODES)


def paragraph(value: object, field: str, limit: int) -> str:
    """A required multi-line text, stripped: line breaks and tabs allowed, other controls not."""
    return check_text(value, field, limit=limit, strip=True, multiline=True, codes=CODES)


def ascii_code(
    value: object, field: str, limit: int, *, extra: str, message: str, upper: bool = False
) -> str:
    """A required :func:`line` of ASCII letters, digits and the characters ``extra``
    (upper-cased first when ``upper``): a registration number, an exam code, a version.

    Raises:
        ValidationError: any other character (``invalid_<field>``, ``message``).
    """
    text = line(value, field, limit)
    if upper:
        text = text.upper()
    if not all(ch.isascii() and (ch.isalnum() or ch in extra) for ch in text):
        raise ValidationError(message, field=field, code=f"invalid_{field}")
    return text


def _check_type(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(
            f"{field} must be text, not {type(value).__name__}", field=field, code="invalid_type"
        )
    return str.__str__(value)


def _check_unicode(value: str, field: str) -> None:
    for ch in value:
        if unicodedata.category(ch) == "Cs":
            raise ValidationError(
                f"{field} contains a lone surrogate, which is not valid Unicode",
                field=field,
                code="invalid_unicode",
            )


def _check_length(value: str, field: str, limit: int) -> None:
    check_length(
        value,
        field,
        limit=limit,
        code="text_too_long",
        message=f"{field} is at most {limit} characters",
    )


def email(value: object, field: str = "email") -> str:
    """Return the normalized form of an e-mail address (no network look-up).

    Raises:
        ValidationError: not an address (``invalid_email``) or not text.
        LimitExceeded: longer than 254 characters (``text_too_long``).
    """
    text = _check_type(value, field).strip()
    _check_length(text, field, MAX_EMAIL_LENGTH)
    if not text.isascii():  # ASCII text has no lone surrogate
        _check_unicode(text, field)
    plain = _plain_email(text)
    if plain is not None:
        return plain
    return _email(text, field)


# Local parts email-validator lowercases (RFC 2142 role names); its own list when it has one.
_ROLE_NAMES: list[str] = getattr(rfc_constants, "CASE_INSENSITIVE_MAILBOX_NAMES", None) or [
    *("info", "marketing", "sales", "support", "abuse", "noc", "security", "postmaster"),
    *("hostmaster", "usenet", "news", "webmaster", "www", "uucp", "ftp"),
]

# A plain ASCII address: a dot-atom local part of letters and digits separated by
# single ``. _ + -``, and a host name of letter-and-digit labels separated by single
# hyphens (so no ``--``: no Punycode ``xn--`` or other reserved label) under an
# alphabetic top-level label.
_PLAIN_EMAIL = re.compile(
    r"([A-Za-z0-9]+(?:[._+\-][A-Za-z0-9]+)*)@((?:[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\.)+[A-Za-z]+)"
)


def _plain_email(text: str) -> str | None:
    """email-validator's normalized form of a plain ASCII address, or ``None`` to ask it.

    For the addresses :data:`_PLAIN_EMAIL` matches, email-validator (no
    deliverability check) keeps the local part as written, lowercases the domain
    and accepts the address unless a length limit is passed, the local part is a
    case-insensitive role name (``Info``, ``POSTMASTER``, ...) or the domain is a
    special-use name; those (and everything else) are left to email-validator.
    ``tests/kernel/test_text_checks_match_full_checks.py`` checks that this answer is exactly
    email-validator's.
    """
    if len(text) > MAX_EMAIL_LENGTH:
        return None
    match = _PLAIN_EMAIL.fullmatch(text)
    if match is None:
        return None
    local, domain = match.groups()
    if len(local) > 64 or len(domain) > 253:  # local part: the limit of its strict mode
        return None
    if local.lower() in _ROLE_NAMES:
        return None
    domain = domain.lower()
    for label in domain.split("."):
        if len(label) > 63:
            return None
    for special in email_validator.SPECIAL_USE_DOMAIN_NAMES:
        if domain == special or domain.endswith("." + special):
            return None
    return f"{local}@{domain}"


@functools.lru_cache(maxsize=4096)
def _email(text: str, field: str) -> str:
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(
            f"not a valid e-mail address: {exc}", field=field, code="invalid_email"
        ) from exc
    normalized: str = result.normalized
    _check_length(normalized, field, MAX_EMAIL_LENGTH)
    return normalized


def email_key(normalized: str) -> str:
    """Return the unique-index value of a normalized address: SHA-256 of its
    :func:`fold_email` form.

    Addresses differing only in case belong to the same person; hashing keeps
    the index free of personal data and within the storage key limit.
    """
    return hashlib.sha256(fold_email(normalized).encode("utf-8")).hexdigest()


def fold_email(normalized: str) -> str:
    """A normalized address in lower case, as addresses are compared.

    Lower case, not case-folded: case folding also maps letters that are not case
    variants of each other (``ß`` to ``ss``, ``ς`` to ``σ``), so it would read
    ``ada@straße.de`` and ``ada@strasse.de``, two domains, as one address (the
    second's owner would receive the first's password reset links, and the first
    could never register).

    Example:
        >>> fold_email("Ada@straße.de"), fold_email("ADA@strasse.de")
        ('ada@straße.de', 'ada@strasse.de')
    """
    return normalized.lower()


def phone(value: object, field: str = "phone") -> str | None:
    """Return a telephone number as typed (digits, spaces, ``+ ( ) . - /``), or ``None``.

    Raises:
        ValidationError: anything else (``invalid_phone``).
        LimitExceeded: longer than 32 characters (``text_too_long``).
    """
    text = optional_line(value, field, 32)
    if text is None:
        return None
    if not _PHONE.fullmatch(text) or sum(ch.isdigit() for ch in text) < 3:
        raise ValidationError(
            "a telephone number has digits, spaces and + ( ) . - / only",
            field=field,
            code="invalid_phone",
        )
    return text


def language(value: object, field: str = "preferred_language") -> str:
    """Return the canonical BCP 47 form of a preferred language, via :mod:`symprogram.i18n`.

    A language is known when CLDR (as Babel ships it) has a locale for it, or
    has one for its language (and script) and names its region: ``no-NO``,
    ``pt-US`` and ``zh-Hans-TW`` are known although CLDR has no locale data for
    those combinations.

    Raises:
        ValidationError: not a known language (``unknown_language``).
    """
    return _language(line(value, field, 35), field)


@functools.lru_cache(maxsize=1024)
def _language(text: str, field: str) -> str:
    from symprogram.i18n import LanguageTag

    try:
        tag = LanguageTag.parse(text)
    except ValidationError as exc:
        raise ValidationError(
            f"unknown language {text!r}", field=field, code="unknown_language"
        ) from exc
    if not _known(tag):
        raise ValidationError(f"unknown language {text!r}", field=field, code="unknown_language")
    return str(tag)


def _known(tag: LanguageTag) -> bool:
    """Whether CLDR has a locale for ``tag``, or for its language and names its region."""
    if _has_locale(tag.locale_identifier):
        return True
    if tag.region is None or tag.region not in _territories():
        return False
    base = tag.language if tag.script is None else f"{tag.language}_{tag.script}"
    return _has_locale(base)


def _has_locale(identifier: str) -> bool:
    """Whether CLDR has locale data for exactly ``identifier`` (``zh_Hant``, not
    ``zh_Cyrl``: Babel's ``Locale.parse`` would fill in likely subtags and drop an
    unknown script or the ``ZZ`` region, reading ``zh_Cyrl`` as ``zh_Hans``)."""
    from babel import localedata

    try:
        return bool(localedata.exists(identifier))
    except (ValueError, TypeError, OSError):
        return False


@functools.cache
def _territories() -> frozenset[str]:
    """The region codes CLDR names, but ``ZZ`` (unknown region)."""
    from babel import Locale

    return frozenset(Locale("en").territories) - {"ZZ"}


def names_match(a: str, b: str) -> bool:
    """Whether two personal names are the same, ignoring case, spacing, format
    characters and compatibility forms (:func:`~symprogram._names.name_key`)."""
    return name_key(a) == name_key(b)
