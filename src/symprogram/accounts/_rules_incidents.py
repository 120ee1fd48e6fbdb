"""Rules of support incidents: opening, the conversation and the status table (pure).

Re-exported by :mod:`symprogram.accounts.rules`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import attrs

from symprogram._checks import check_transition, shown
from symprogram.accounts._rules_lifecycle import require_not_erased, require_open
from symprogram.accounts.events import IncidentOpened, IncidentStatusChanged
from symprogram.accounts.models import (
    AccountStatus,
    Candidate,
    Incident,
    IncidentCategory,
    IncidentMessage,
    IncidentStatus,
    MessageAuthor,
)
from symprogram.decisions import Decision, Reason
from symprogram.errors import IllegalTransition, NotFound

__all__ = [
    "INCIDENT_NOTICE_ACCOUNT_CLOSED",
    "INCIDENT_NOTICE_ACCOUNT_OPEN",
    "INCIDENT_TRANSITIONS",
    "MAX_INCIDENT_ID_LENGTH",
    "add_incident_message",
    "change_incident_status",
    "check_incident_id",
    "file_incident",
    "incident_change_author",
    "incident_notice_due",
    "open_incident",
    "require_incident_writer",
]

INCIDENT_TRANSITIONS: Mapping[IncidentStatus, frozenset[IncidentStatus]] = {
    IncidentStatus.OPEN: frozenset({IncidentStatus.IN_PROGRESS, IncidentStatus.RESOLVED}),
    IncidentStatus.IN_PROGRESS: frozenset({IncidentStatus.RESOLVED}),
    IncidentStatus.RESOLVED: frozenset({IncidentStatus.CLOSED, IncidentStatus.OPEN}),
    IncidentStatus.CLOSED: frozenset({IncidentStatus.OPEN}),
}
"""Allowed incident status changes. ``-> open`` from resolved/closed is a reopen and is
only allowed within the reopen window after resolution."""

MAX_INCIDENT_ID_LENGTH = 64
"""Longest incident ID looked up; anything longer is unknown."""

INCIDENT_NOTICE_ACCOUNT_OPEN = "account_open"
"""Reason of an allowed :func:`incident_notice_due`: the account is not closed."""

INCIDENT_NOTICE_ACCOUNT_CLOSED = "account_closed"
"""Reason of a denied :func:`incident_notice_due`: the account is closed (or erased)."""


def _storable(text: str) -> bool:
    """Whether ``text`` can be a storage key (no NUL, no lone surrogate)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_incident_id(incident_id: object) -> str:
    """Return ``incident_id`` if it can name an incident.

    Raises:
        NotFound: not a non-empty text of at most 64 characters without NUL or lone
            surrogates (``incident_not_found``).
    """
    if (
        not isinstance(incident_id, str)
        or not incident_id
        or len(incident_id) > MAX_INCIDENT_ID_LENGTH
        or not _storable(incident_id)
    ):
        raise NotFound(f"no incident {shown(incident_id)}", code="incident_not_found")
    return incident_id


def open_incident(
    candidate_id: str,
    incident_id: str,
    *,
    title: str,
    category: IncidentCategory,
    body: str,
    author: MessageAuthor,
    at: datetime,
    details: tuple[tuple[str, str], ...] = (),
) -> Incident:
    """A new open incident of ``candidate_id`` with its first message.

    Raises:
        ValidationError / LimitExceeded: a bad title or body.
    """
    return Incident(
        incident_id=incident_id,
        candidate_id=candidate_id,
        title=title,
        category=category,
        status=IncidentStatus.OPEN,
        opened_at=at,
        updated_at=at,
        messages=(IncidentMessage(author, body, at),),
        details=details,
    )


def file_incident(candidate: Candidate, incident: Incident) -> tuple[Candidate, IncidentOpened]:
    """List ``incident`` in the candidate's incidents; return the candidate and the event."""
    updated = attrs.evolve(candidate, incidents=(*candidate.incidents, incident.incident_id))
    event = IncidentOpened(
        candidate.candidate_id,
        incident.opened_at,
        incident_id=incident.incident_id,
        category=str(incident.category),
        title=incident.title,
    )
    return updated, event


def change_incident_status(
    incident: Incident, target: IncidentStatus, at: datetime, *, reopen_window: timedelta
) -> tuple[Incident, IncidentStatusChanged]:
    """Move an incident to ``target`` and return it with the event.

    Raises:
        IllegalTransition: not allowed from the current status
            (``illegal_transition``), or a reopen after the window closed
            (``reopen_window_passed``).
    """
    check_transition(INCIDENT_TRANSITIONS, incident.status, target, what="an incident")
    reopening = target is IncidentStatus.OPEN
    if reopening and (incident.resolved_at is None or at > incident.resolved_at + reopen_window):
        raise IllegalTransition(
            "this incident can no longer be reopened; please log a new one",
            field="status",
            code="reopen_window_passed",
            details={"window_days": reopen_window.days},
        )
    resolved_at = at if target is IncidentStatus.RESOLVED else incident.resolved_at
    updated = attrs.evolve(incident, status=target, updated_at=at, resolved_at=resolved_at)
    event = IncidentStatusChanged(
        incident.candidate_id,
        at,
        incident_id=incident.incident_id,
        previous=str(incident.status),
        status=str(target),
    )
    return updated, event


def add_incident_message(incident: Incident, message: IncidentMessage) -> Incident:
    """Append a message to the conversation.

    Raises:
        IllegalTransition: the incident is closed (code ``incident_closed``).
        LimitExceeded: the conversation is full (code ``too_many_messages``).
    """
    if incident.status is IncidentStatus.CLOSED:
        raise IllegalTransition(
            "this incident is closed; reopen it or log a new one",
            field="incident_id",
            code="incident_closed",
        )
    return attrs.evolve(incident, messages=(*incident.messages, message), updated_at=message.at)


# -- incidents of a closed account ------------------------------------------------------------


def incident_change_author(target: IncidentStatus) -> MessageAuthor:
    """Who makes a status change of an incident: reopening one (``-> open``) is the
    candidate's own step; taking it up, resolving and closing it are customer
    support's.

    Example:
        >>> str(incident_change_author(IncidentStatus.OPEN))
        'candidate'
        >>> str(incident_change_author(IncidentStatus.CLOSED))
        'support'
    """
    return MessageAuthor.CANDIDATE if target is IncidentStatus.OPEN else MessageAuthor.SUPPORT


def require_incident_writer(candidate: Candidate, author: MessageAuthor) -> None:
    """Refuse a change of one of ``candidate``'s incidents that ``author`` may not make.

    Nothing changes an erased account's incidents. On a closed account the
    candidate's own steps (posting a message, reopening: see
    :func:`incident_change_author`) are refused, as opening an incident is; customer
    support may still post, take up, resolve and close them, to wind the
    conversation down (nothing is mailed to the account: :func:`incident_notice_due`).

    Raises:
        IllegalTransition: an erased account (``account_erased``); the candidate's
            own step on a closed account (``account_closed``).
    """
    require_not_erased(candidate)
    if author is MessageAuthor.CANDIDATE:
        require_open(candidate)


def incident_notice_due(candidate: Candidate, at: datetime | None = None) -> Decision:
    """Whether the notice of a change of one of ``candidate``'s incidents (an
    ``incident_update``, or ``incident_opened``) is mailed to the account.

    Denied with ``account_closed`` for a closed account (an erased one included):
    closing opts out of every contact channel, program notices included (as
    :func:`~symprogram.accounts.rules.notification_setting` answers), so support's
    changes of its incidents are recorded but not mailed. Allowed with
    ``account_open`` otherwise.

    Example:
        >>> from datetime import datetime, timezone
        >>> from symprogram.accounts.models import ContactDetails
        >>> at = datetime(2012, 3, 1, tzinfo=timezone.utc)
        >>> contact = ContactDetails("ada@example.com", "Ada", "Lovelace", "Acme", "Acme", "en")
        >>> incident_notice_due(Candidate("SP-1", "closed", contact, at, at, at)).codes
        ('account_closed',)
        >>> bool(incident_notice_due(Candidate("SP-1", "suspended", contact, at, at, at)))
        True
    """
    if candidate.status is AccountStatus.CLOSED:
        return Decision.deny(
            Reason(INCIDENT_NOTICE_ACCOUNT_CLOSED, "nothing is mailed to a closed account"),
            at=at,
        )
    return Decision.allow(
        Reason(INCIDENT_NOTICE_ACCOUNT_OPEN, "the account receives program notices"), at=at
    )
