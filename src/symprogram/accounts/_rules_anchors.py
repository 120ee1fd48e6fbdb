"""Rules of the account anchored to its history: the stored candidate against the ledger (pure).

The account history is keyed and chained; the stored :class:`Candidate` is not. A
candidate row put back from an older backup (or edited by hand) would answer
``active`` for a closed account while every chain verifies, so the history's
verification also replays, from the entries, what the ledger says of the account
and compares it with the stored candidate (``aggregate_mismatch``; the kernel's
:mod:`symprogram._anchors` runs it):

- **status**: ``candidate_registered`` makes it ``pending_activation`` (the kind
  says so, even when the entry's data was erased); each ``account_status_changed``
  sets its ``status``; ``account_erased`` makes it ``closed``;
- **e-mail address**: ``candidate_registered``'s ``email``, then each
  ``email_changed``'s ``email``; ``account_erased`` makes it the erased marker;
- **erasure**: after ``account_erased`` the stored candidate is erased.

An entry whose data was erased says nothing of its field: the field is unknown
until a later entry says it again, and an unknown field is not compared. A
history that says nothing of an account (no such entry at all: the awards
entries of a candidate kept by another directory, say) is not compared either.
Accounts opened one by one and in bulk record the same first entries.

Re-exported by :mod:`symprogram.accounts.rules`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from symprogram._anchors import AggregateDifference
from symprogram.accounts.events import (
    AccountErased,
    AccountStatusChanged,
    CandidateRegistered,
    EmailChanged,
)
from symprogram.accounts.models import ERASED_EMAIL, AccountStatus, Candidate
from symprogram.accounts.ports import CANDIDATE_KIND

__all__ = ["candidate_differences", "mentions_account"]

_REGISTERED = CandidateRegistered.event_name()
_STATUS = AccountStatusChanged.event_name()
_EMAIL = EmailChanged.event_name()
_ERASED = AccountErased.event_name()

_ANCHOR_KINDS = frozenset({_REGISTERED, _STATUS, _EMAIL, _ERASED})
"""The history entry kinds that say what the stored candidate holds."""


def mentions_account(kinds: Iterable[str]) -> bool:
    """Whether a history of entries of ``kinds`` says anything of the account."""
    return any(kind in _ANCHOR_KINDS for kind in kinds)


def _said(data: Mapping[str, Any] | None, name: str) -> str | None:
    """``data[name]`` when the entry still holds it as text (``None``: unknown)."""
    value = None if data is None else data.get(name)
    return value if isinstance(value, str) else None


def candidate_differences(
    candidate_id: str,
    candidate: Candidate | None,
    entries: Iterable[tuple[str, Mapping[str, Any] | None]],
) -> tuple[AggregateDifference, ...]:
    """Where the stored ``candidate`` differs from what its history ``entries`` say.

    Args:
        candidate_id: the account's candidate ID (the record's key).
        candidate: the stored candidate (``None``: no record).
        entries: the history's ``(kind, data)`` pairs, oldest first (``data``
            ``None`` once erased).

    Returns:
        one difference per field (``candidate``: no record where the history
        records an account; ``status``; ``email``, personal data; ``erased_at``),
        none when they agree or the history says nothing of the account.
    """
    said = erased = False
    status: str | None = None
    email: str | None = None
    for kind, data in entries:
        if kind == _REGISTERED:
            said, status, email = True, str(AccountStatus.PENDING_ACTIVATION), _said(data, "email")
        elif kind == _STATUS:
            said, status = True, _said(data, "status")
        elif kind == _EMAIL:
            said, email = True, _said(data, "email")
        elif kind == _ERASED:
            said = erased = True
            status, email = str(AccountStatus.CLOSED), ERASED_EMAIL
    if not said:
        return ()
    if candidate is None:
        return (AggregateDifference(CANDIDATE_KIND, candidate_id, "candidate", None, "recorded"),)
    found: list[AggregateDifference] = []
    if status is not None and str(candidate.status) != status:
        stored = str(candidate.status)
        found.append(AggregateDifference(CANDIDATE_KIND, candidate_id, "status", stored, status))
    if email is not None and candidate.contact.email != email:
        stored = candidate.contact.email
        found.append(
            AggregateDifference(CANDIDATE_KIND, candidate_id, "email", stored, email, personal=True)
        )
    if erased and candidate.erased_at is None:
        found.append(AggregateDifference(CANDIDATE_KIND, candidate_id, "erased_at", None, "erased"))
    return tuple(found)
