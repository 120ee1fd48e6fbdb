"""Rules of the pending e-mail change anchored to the account history (pure).

``request_email_change`` stores the new address on the candidate
(``pending_email``) and records it in an ``email_change_requested`` entry, in one
unit of work; ``confirm_email_change`` makes the stored address the account's. The
candidate row is not keyed: an address written over ``pending_email`` by hand
would become the account's address when the owner follows their own link (and
with it, the password resets). So the pending address is compared with the
history (:func:`pending_email_differences`, part of
:func:`~symprogram.accounts.rules.candidate_differences` and so of
``candidate_anchored``), and the confirmation takes the address the history
vouches for (:func:`~symprogram.accounts.rules.pending_email`).

What the history says is pending (:func:`said_pending_email`): the ``new_email`` of
the newest ``email_change_requested`` entry, unless an ``email_changed`` or an
``account_erased`` entry follows it (the change was confirmed, or the account
erased): then none. An ``email_change_requested`` entry whose data was erased
says that its change was cancelled: the only erasure of one entry
(:meth:`~symprogram.ledger.Ledger.erase_entry`) is the one that cancels another
account's pending change to an erased person's address, clearing its
``pending_email`` in the same unit of work (the erasure of the account itself
ends with ``account_erased``). An entry with data but no address (none was ever
written so) says nothing: the pending address is then not compared.

Re-exported by :mod:`symprogram.accounts.rules`.
"""

from __future__ import annotations

from symprogram._anchors import UNKNOWN, AggregateDifference, SaidEntries, said_pairs, said_text
from symprogram.accounts.events import AccountErased, EmailChanged, EmailChangeRequested
from symprogram.accounts.models import Candidate
from symprogram.accounts.ports import CANDIDATE_KIND

__all__ = ["pending_email_differences", "said_pending_email"]

_REQUESTED = EmailChangeRequested.event_name()
_ENDED = frozenset({EmailChanged.event_name(), AccountErased.event_name()})
"""The entry kinds that end a pending change: confirmed, or the account erased."""


def said_pending_email(entries: SaidEntries) -> object:
    """The address the history ``entries`` (oldest first) say waits for verification.

    Returns:
        the ``new_email`` of the newest ``email_change_requested`` entry; ``None``
        when there is none, when an ``email_changed`` or ``account_erased`` entry
        follows it, or when its data was erased (the change cancelled by the
        erasure of the address's holder); :data:`UNKNOWN` when its data holds no
        address.

    Raises:
        ValidationError: ``entries`` not ``(kind, data)`` pairs (``invalid_entries``).

    Example:
        >>> asked = ("email_change_requested", {"new_email": "ada@example.org"})
        >>> said_pending_email([("candidate_registered", {}), asked])
        'ada@example.org'
        >>> said_pending_email([asked, ("email_changed", {"email": "ada@example.org"})])
        >>> said_pending_email([("email_change_requested", None)])  # cancelled
        >>> said_pending_email([("email_change_requested", {})])
        UNKNOWN
    """
    said: object = None
    for kind, data in said_pairs(entries):
        if kind == _REQUESTED:
            said = None if data is None else (said_text(data, "new_email") or UNKNOWN)
        elif kind in _ENDED:
            said = None
    return said


def pending_email_differences(
    candidate_id: str, candidate: Candidate, entries: SaidEntries
) -> tuple[AggregateDifference, ...]:
    """Whether the stored ``candidate``'s ``pending_email`` is the one its history says.

    Args:
        candidate_id: the account's candidate ID (the record's key).
        candidate: the stored candidate.
        entries: the history's ``(kind, data)`` pairs, oldest first.

    Returns:
        one personal difference ``pending_email`` of kind ``candidate`` (the message
        names no address) when the stored address is not :func:`said_pending_email`
        (another address, one where none is pending, or none where one is); none when
        they agree or the history says nothing of it.
    """
    said = said_pending_email(entries)
    if said is UNKNOWN or candidate.pending_email == said:
        return ()
    ledger = None if said is None else str(said)
    return (
        AggregateDifference(
            CANDIDATE_KIND,
            candidate_id,
            "pending_email",
            candidate.pending_email,
            ledger,
            personal=True,
        ),
    )
