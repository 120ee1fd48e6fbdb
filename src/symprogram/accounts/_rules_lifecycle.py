"""Rules of the account life cycle: status changes, closed and erased accounts, erasure (pure).

Re-exported by :mod:`symprogram.accounts.rules`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from symprogram._checks import check_transition
from symprogram.accounts import _text
from symprogram.accounts.events import AccountStatusChanged
from symprogram.accounts.models import (
    ERASED_EMAIL,
    ERASED_TEXT,
    AccountStatus,
    Candidate,
    Incident,
    ScoreReport,
    erased_contact,
)
from symprogram.errors import IllegalTransition, ValidationError

__all__ = [
    "ACCOUNT_TRANSITIONS",
    "EMAIL_FIELDS",
    "HELD_FIELDS",
    "account_erased",
    "change_status",
    "erase_account",
    "erased_incident",
    "erased_report",
    "incident_erased",
    "held_emails",
    "known_emails",
    "report_erased",
    "reported_for",
    "require_not_erased",
    "require_open",
    "require_usable_email",
    "staff_status_change",
]

ACCOUNT_TRANSITIONS: Mapping[AccountStatus, frozenset[AccountStatus]] = {
    AccountStatus.PENDING_ACTIVATION: frozenset({AccountStatus.ACTIVE, AccountStatus.CLOSED}),
    AccountStatus.ACTIVE: frozenset({AccountStatus.SUSPENDED, AccountStatus.CLOSED}),
    AccountStatus.SUSPENDED: frozenset({AccountStatus.ACTIVE, AccountStatus.CLOSED}),
    AccountStatus.CLOSED: frozenset(),
}
"""Allowed account status changes; everything else raises :class:`IllegalTransition`."""

EMAIL_FIELDS = ("email", "new_email", "previous_email")
"""History entry fields that may hold an address the account used."""

HELD_FIELDS = ("email", "previous_email")
"""History entry fields that hold an address the account held (registered with,
changed from or to); ``new_email`` only names one it asked for."""


def change_status(
    candidate: Candidate,
    target: AccountStatus,
    at: datetime,
    *,
    reason: str | None = None,
) -> tuple[Candidate, AccountStatusChanged]:
    """Move an account to ``target`` and return it with the event.

    Raises:
        IllegalTransition: ``target`` is not reachable from the current status
            (code ``illegal_transition``; details ``from`` and ``to``).
    """
    check_transition(ACCOUNT_TRANSITIONS, candidate.status, target, what="an account")
    updated = attrs.evolve(
        candidate,
        status=target,
        status_changed_at=at,
        status_reason=reason if target in (AccountStatus.SUSPENDED, AccountStatus.CLOSED) else None,
    )
    event = AccountStatusChanged(
        candidate.candidate_id,
        at,
        previous=str(candidate.status),
        status=str(target),
        reason=reason,
    )
    return updated, event


account_erased = IllegalTransition.refusal(
    "this account's personal data was erased; it cannot be used again",
    field="candidate_id",
    code="account_erased",
)
"""The refusal of anything that would use an erased account again."""


def require_not_erased(candidate: Candidate) -> None:
    """Refuse to change an erased account.

    Raises:
        IllegalTransition: ``account_erased``.
    """
    if candidate.erased_at is not None:
        raise account_erased()


def require_open(candidate: Candidate) -> None:
    """Refuse to change an erased or closed account.

    Raises:
        IllegalTransition: ``account_erased`` or ``account_closed``.
    """
    require_not_erased(candidate)
    if candidate.status is AccountStatus.CLOSED:
        raise IllegalTransition(
            "this account is closed", field="candidate_id", code="account_closed"
        )


def staff_status_change(
    candidate: Candidate,
    target: AccountStatus,
    at: datetime,
    *,
    reason: str | None = None,
    require: AccountStatus | None = None,
) -> tuple[Candidate, AccountStatusChanged]:
    """Suspend, reinstate or close an account (:func:`change_status` for staff).

    ``require``: the only status the change may start from (a reinstatement
    starts from ``suspended``).

    Raises:
        IllegalTransition: an erased account (``account_erased``), or a change
            the table or ``require`` does not allow (``illegal_transition``).
    """
    require_not_erased(candidate)
    if require is not None and candidate.status is not require:
        raise IllegalTransition(
            f"only a {require} account can become {target} this way",
            field="status",
            code="illegal_transition",
            details={"from": str(candidate.status), "to": str(target)},
        )
    return change_status(candidate, target, at, reason=reason)


# -- erasure ----------------------------------------------------------------------------------


def erase_account(
    candidate: Candidate, reason: str, at: datetime
) -> tuple[Candidate, AccountStatusChanged | None]:
    """The account with its personal data erased: closed (if it was not), the contact
    details the :func:`~symprogram.accounts.models.erased_contact` markers, no pending
    address and no credential digest (its credential is deleted). Erasing an erased
    account again keeps its first reason and instant.

    Returns:
        the erased candidate and the closing event (``None`` if it was closed).
    """
    already = candidate.erased_at is not None
    event = None
    if candidate.status is not AccountStatus.CLOSED:
        candidate, event = change_status(candidate, AccountStatus.CLOSED, at, reason=reason)
    erased = attrs.evolve(
        candidate,
        contact=erased_contact(),
        pending_email=None,
        credential_digest=None,  # its credential is deleted with it
        status_reason=candidate.status_reason if already else reason,
        erased_at=candidate.erased_at if already else at,
    )
    return erased, event


def known_emails(
    candidate: Candidate, history: Iterable[Mapping[str, Any] | None]
) -> tuple[str, ...]:
    """Every address the account used: current, pending, and those in its history's data."""
    return _emails(candidate, history, EMAIL_FIELDS, pending=True)


def held_emails(
    candidate: Candidate, history: Iterable[Mapping[str, Any] | None]
) -> tuple[str, ...]:
    """The addresses the account held: its current one and each one its history says
    it registered with, or changed from or to (:data:`HELD_FIELDS`).

    Not those it only asked to change to (its pending change, an
    ``email_change_requested`` entry): anybody may ask for any address, another
    person's included, so what an erasure of this account does to an address beyond
    the account's own records (forgetting its request logs, anonymizing the score
    reports recorded for it, deleting the messages to it, cancelling other
    accounts' changes to it) is done for these only.
    """
    return _emails(candidate, history, HELD_FIELDS, pending=False)


def _emails(
    candidate: Candidate,
    history: Iterable[Mapping[str, Any] | None],
    fields: tuple[str, ...],
    *,
    pending: bool,
) -> tuple[str, ...]:
    found = {candidate.contact.email}
    if pending and candidate.pending_email is not None:
        found.add(candidate.pending_email)
    for data in history:
        for name in fields:
            value = (data or {}).get(name)
            if isinstance(value, str) and value:
                found.add(value)
    found.discard(ERASED_EMAIL)
    return tuple(sorted(found))


def require_usable_email(email: str, field: str = "email") -> str:
    """Return ``email`` (normalized) unless it is :data:`ERASED_EMAIL`, in any case.

    The marker stands for an erased address: an account holding it would never
    have its index entry released or its reports anonymized by its erasure, and
    would share its address with every erased account.

    Raises:
        ValidationError: ``invalid_email`` (details ``reserved``: ``True``); not
            text (``invalid_email``).
    """
    if not isinstance(email, str):
        raise ValidationError(f"{field} must be text", field=field, code="invalid_email")
    if email.casefold() == _ERASED_FOLDED:
        raise ValidationError(
            "this address stands for erased addresses and cannot be an account's",
            field=field,
            code="invalid_email",
            details={"reserved": True},
        )
    return email


_ERASED_FOLDED = ERASED_EMAIL.casefold()
"""The erased-address marker as the address index compares it (casefolded)."""


def erased_report(report: ScoreReport) -> ScoreReport:
    """A score report (claimed, or recorded for the person's address and never
    claimed) without the name and address printed on it."""
    return attrs.evolve(report, candidate_name=ERASED_TEXT, email=ERASED_EMAIL)


def report_erased(report: ScoreReport) -> bool:
    """Whether ``report`` is an :func:`erased_report`: it then proves nothing to a
    claimant (:func:`~symprogram.accounts.rules.score_report_proof`)."""
    return report.email == ERASED_EMAIL and report.candidate_name == ERASED_TEXT


def reported_for(report: ScoreReport, emails: Iterable[str]) -> bool:
    """Whether ``report`` is an unclaimed report recorded for one of ``emails``
    (normalized addresses): the erasure of their owner anonymizes it too.

    Addresses are compared as the e-mail index and the claim proof compare them,
    ignoring case (:func:`~symprogram.accounts._text.email_key`). A report some
    account claimed is that account's, whatever address it was recorded for.
    """
    if report.claimed_by is not None or report_erased(report):
        return False
    mine = _text.email_key(report.email)
    return any(_text.email_key(email) == mine for email in emails)


def erased_incident(incident: Incident) -> Incident:
    """An incident without its title and message bodies."""
    return attrs.evolve(
        incident,
        title=ERASED_TEXT,
        messages=tuple(attrs.evolve(m, body=ERASED_TEXT) for m in incident.messages),
    )


def incident_erased(incident: Incident) -> bool:
    """Whether ``incident`` is an :func:`erased_incident`: its title and every message
    body the erased marker. After the account's erasure every incident it lists has
    this form (:func:`~symprogram.accounts.rules.incident_anchored`).

    Example:
        >>> from datetime import datetime, timezone
        >>> from symprogram.accounts.rules import open_incident
        >>> at = datetime(2012, 3, 1, tzinfo=timezone.utc)
        >>> incident = open_incident("SP-1", "INC-1", title="Kit", category="general",
        ...                          body="Where?", author="candidate", at=at)
        >>> incident_erased(incident), incident_erased(erased_incident(incident))
        (False, True)
    """
    return incident.title == ERASED_TEXT and all(m.body == ERASED_TEXT for m in incident.messages)
