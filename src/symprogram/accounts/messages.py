"""Every text the accounts context sends, each built by one function.

The flows queue these :class:`~symprogram.notify.Message` s in their unit of
work; the notifier receives them only after it committed. The ``kind`` of a
message is its stable name (a host application may render its own text for it);
``data`` holds what a link or a template needs (tokens, IDs, expiry instants).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from symprogram._guard import guard_public
from symprogram.accounts.models import AccountStatus, Candidate, Incident
from symprogram.notify import Message

__all__ = [
    "account_activated",
    "account_status_changed",
    "activation",
    "email_change_requested",
    "email_changed",
    "email_in_use_attempt",
    "email_verification",
    "incident_notice",
    "masked_email",
    "password_changed",
    "password_reset",
    "registration_attempt",
    "resent_activation",
]


def _notice(candidate: Candidate, kind: str, subject: str, body: str, **data: Any) -> Message:
    """A message of ``kind`` to ``candidate``'s address; ``data`` names the candidate ID."""
    return Message(
        to=candidate.contact.email,
        kind=kind,
        subject=subject,
        body=body,
        data={"candidate_id": candidate.candidate_id, **data},
    )


def registration_attempt(
    owner: Candidate,
    reference: str,
    reset: tuple[str, datetime] | None = None,
    *,
    activation: bool = False,
) -> Message:
    """The notice to an address's owner that somebody tried to register it again;
    with ``reset`` (a token and its expiry) it carries a password reset link, as
    django-allauth's "account already exists" notice does, or, with
    ``activation``, an activation link and the steps to complete the account
    activation process (an account still pending activation)."""
    link = {} if reset is None else {"token": reset[0], "expires_at": reset[1].isoformat()}
    if activation:
        body = (
            f"An account already exists for this e-mail address, candidate ID "
            f"{owner.candidate_id}, and it is not activated yet. If it was you, "
            + (
                "follow the activation link in this message to complete the account "
                f"activation process; it works once, until {reset[1].isoformat()}"
                if reset is not None
                else "ask for a new activation link"
            )
            + ". If it was not you, you can ignore this message."
        )
        return _notice(
            owner,
            "registration_attempt",
            "Somebody tried to create an account with your address",
            body,
            reference=reference,
            link="activation",
            **link,
        )
    return _notice(
        owner,
        "registration_attempt",
        "Somebody tried to create an account with your address",
        (
            "An account already exists for this e-mail address. If it was you, "
            "log in, or reset your password with 'Forgot password'"
            + (" or the link in this message" if reset is not None else "")
            + ". If it was not you, you can ignore this message."
        ),
        reference=reference,
        **link,
    )


_SET_PASSWORD = "set one with 'Forgot password' on the log-in page"  # noqa: S105 (a step)

_PASSWORD_STEPS = {
    True: "",
    False: (
        f" Your account was opened for you without a password: once it is active, {_SET_PASSWORD}."
    ),
    None: (
        " If your account was opened for you without a password, "
        f"{_SET_PASSWORD} once it is active."
    ),
}


def activation(
    candidate: Candidate,
    token: str,
    expires: datetime,
    reference: str | None = None,
    *,
    password_set: bool | None = True,
) -> Message:
    """The activation link of a new account, with its candidate ID and the steps to
    complete the account activation process ("New users to the system will be issued
    a candidate ID and advised of steps to complete the account activation process",
    the Terms of Use v.2007.507).

    ``password_set``: ``False`` for an account opened without a password (an
    operator's import): the steps then include setting one; ``None`` when the
    sender does not know (a resent link): the step is given for that case.
    """
    return _notice(
        candidate,
        "activation",
        "Activate your account",
        (
            f"Welcome, {candidate.contact.given_name}. Your candidate ID is "
            f"{candidate.candidate_id}. Follow the activation link to complete the account "
            f"activation process; it works once, until {expires.isoformat()}."
            + _PASSWORD_STEPS[password_set]
        ),
        token=token,
        expires_at=expires.isoformat(),
        reference=reference,
    )


def resent_activation(candidate: Candidate, token: str, expires: datetime) -> Message:
    """:func:`activation` for a link asked for again (``password_set`` unknown)."""
    return activation(candidate, token, expires, password_set=None)


def account_activated(candidate: Candidate, *, password_set: bool = True) -> Message:
    """The confirmation that an account is active; for one without a password yet,
    the step left: setting one."""
    left = "" if password_set else f" It has no password yet: {_SET_PASSWORD} to log in."
    return _notice(
        candidate,
        "account_activated",
        "Your account is active",
        f"Your account {candidate.candidate_id} is now active.{left}",
        password_set=password_set,
    )


def account_status_changed(
    candidate: Candidate, target: AccountStatus, reason: str | None
) -> Message:
    """The notice that staff suspended, reinstated or closed an account."""
    return _notice(
        candidate,
        f"account_{target}",
        f"Your account is {target}",
        f"Your account {candidate.candidate_id} is now {target}."
        + (f" Reason: {reason}" if reason else ""),
        status=str(target),
        reason=reason,
    )


def password_changed(candidate: Candidate, method: str) -> Message:
    """The security notice that the password was changed (``method``: change or reset)."""
    return _notice(
        candidate,
        "password_changed",
        "Your password was changed",
        "Your password was changed. If this was not you, contact customer support.",
        method=method,
    )


def password_reset(candidate: Candidate, token: str, expires: datetime) -> Message:
    """The password reset link."""
    return _notice(
        candidate,
        "password_reset",
        "Reset your password",
        (
            "Follow the link to choose a new password. It works once, until "
            f"{expires.isoformat()}. If you did not ask, ignore this message."
        ),
        token=token,
        expires_at=expires.isoformat(),
    )


def email_in_use_attempt(owner: Candidate, at: datetime) -> Message:
    """The notice to an address's owner that another account asked to use it at ``at``."""
    return _notice(
        owner,
        "email_in_use_attempt",
        "Somebody tried to use your address",
        "Another account asked to use this address; nothing was changed.",
        attempted_at=at.isoformat(),
    )


def masked_email(email: str) -> str:
    """``email`` with its local part hidden but its first character: ``a***@example.com``."""
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}***@{domain}"


def email_verification(
    candidate: Candidate, new_email: str, token: str, expires: datetime
) -> Message:
    """The link that confirms a new address for ``candidate``'s account, sent to that
    address.

    Anybody may ask for any address, so the message names the account the link is
    for, in terms its owner recognises and that tell a stranger little: its
    candidate ID (the owner's activation message gave it) and its current address
    masked (:func:`masked_email`); not its name. Whoever holds the mailbox can
    tell whether the link is for their own account before following it."""
    masked = masked_email(candidate.contact.email)
    return Message(
        to=new_email,
        kind="email_verification",
        subject="Confirm your new e-mail address",
        body=(
            f"Account {candidate.candidate_id}, whose current e-mail address is {masked}, "
            "asked to use this address instead. If that is your account, follow the "
            f"link to confirm this address for it; it works once, until "
            f"{expires.isoformat()}. If it is not your account, do not follow the "
            "link (it would give this address to that account) and ignore this message."
        ),
        data={
            "token": token,
            "candidate_id": candidate.candidate_id,
            "account_email": masked,
            "expires_at": expires.isoformat(),
        },
    )


def email_change_requested(candidate: Candidate) -> Message:
    """The security notice to the current address that a new one was given."""
    return _notice(
        candidate,
        "email_change_requested",
        "A new e-mail address was given for your account",
        (
            "A change of your account's e-mail address was requested. It takes "
            "effect once the new address is confirmed. If this was not you, "
            "contact customer support."
        ),
    )


def email_changed(candidate_id: str, address: str, new_email: str) -> Message:
    """The notice, to the old and to the new address, that the address changed."""
    return Message(
        to=address,
        kind="email_changed",
        subject="Your account's e-mail address changed",
        body=f"The address of account {candidate_id} is now {new_email}.",
        data={"candidate_id": candidate_id},
    )


def incident_notice(candidate: Candidate, incident: Incident, kind: str) -> Message:
    """An incident was opened or changed (``kind``: incident_opened or incident_update)."""
    return _notice(
        candidate,
        kind,
        f"Incident {incident.incident_id}: {incident.title}",
        f"Incident {incident.incident_id} is {incident.status}.",
        incident_id=incident.incident_id,
        status=str(incident.status),
    )


guard_public(globals(), __all__)
