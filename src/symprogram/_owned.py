"""Stored records an anchored aggregate owns: each one must be named by its owner.

An anchor check (:mod:`symprogram._anchors`) starts from the owner: a candidate's
history names its incidents, its awards record lists its disclosures, a
customer's audit names the cases it opened, and the check reads each record so
named. A record written into the database by hand under a key of its own (an
incident, a disclosure, a support case, copied from a genuine one or made up) is
named by nobody, so no owner's check ever reads it, while a read by its key would
answer it. So a ledger's ``verify_all`` also walks every stored record of the
*owned kinds*, a batch at a time, and asks the context's *owner check*,
``check(tx, record) -> (owner, differences)``, whether the record's owner (the
subject the record names) names it; a record its owner does not name, or one
that cannot be read as its key's, is reported under that owner's subject (or the
record's key, when no owner can be read) as ``aggregate_mismatch`` naming the
record's kind and key (:func:`owned_problems`, :func:`with_owned`).

Example:
    >>> problem = unreadable("incident", "IN-1", 0)
    >>> problem.code, problem.details
    ('aggregate_mismatch', {'kind': 'incident', 'key': 'IN-1', 'field': 'incident'})
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import attrs

from symprogram._anchors import AggregateDifference, AggregateMismatch, mismatches
from symprogram._persistence_records import Record
from symprogram.errors import IntegrityError, ValidationError
from symprogram.ledger import Ledger, Problem, Verification
from symprogram.persistence import Store, Transaction

__all__ = [
    "OwnedKind",
    "OwnerCheck",
    "unnamed",
    "owned_problems",
    "unreadable",
    "with_owned",
]

OwnerCheck = Callable[[Transaction, Record], tuple[str, Iterable[AggregateDifference]]]
"""``check(tx, record) -> (owner, differences)``: the subject ``record`` names as its
owner and, when that owner's anchored state does not name it, the differences
(read in the read-only unit of work ``tx``; it may raise for a record it cannot read)."""


@attrs.frozen
class OwnedKind:
    """A record kind whose every stored record an anchored owner must name.

    Attributes:
        kind: the record kind (``incident``, ``award_disclosure``, ...).
        check: its :data:`OwnerCheck`.
    """

    kind: str
    check: OwnerCheck


def unnamed(kind: str, key: str, named: bool) -> tuple[AggregateDifference, ...]:
    """The difference of a stored ``kind`` record ``key`` its owner does not name (none
    when ``named``): field ``kind``, stored ``"recorded"``, nothing in the ledger.

    Example:
        >>> [d] = unnamed("incident", "IN-1", False)
        >>> (d.kind, d.key, d.field, d.stored, d.ledger)
        ('incident', 'IN-1', 'incident', 'recorded', None)
    """
    if named:
        return ()
    return (AggregateDifference(kind, key, kind, "recorded", None),)


def unreadable(kind: str, key: str, position: int) -> AggregateMismatch:
    """The problem of a stored ``kind`` record ``key`` that cannot be read as its key's."""
    return AggregateMismatch(
        position,
        "aggregate_mismatch",
        f"the stored {kind} {key!r} cannot be read as that {kind}'s: no owner names it",
        kind=kind,
        key=key,
        field=kind,
    )


_UNREADABLE = (IntegrityError, ValidationError, KeyError, ValueError, TypeError)


def _checked(
    tx: Transaction, ledger: Ledger, owned: OwnedKind, record: Record
) -> tuple[str, tuple[Problem, ...]]:
    """The owner of ``record`` and its problems (none: its owner names it)."""
    try:
        owner, differences = owned.check(tx, record)
        found = tuple(differences)
    except _UNREADABLE:
        return record.key, (unreadable(owned.kind, record.key, 0),)
    if not found:
        return owner, ()
    try:
        length = tx.stream_length(f"{ledger.name}:{owner}")
    except _UNREADABLE:
        length = 0
    return owner, mismatches(length, found)


def owned_problems(
    store: Store, ledger: Ledger, owned: Sequence[OwnedKind], *, batch: int
) -> dict[str, list[Problem]]:
    """Per owner subject, the problems of the stored records of the ``owned`` kinds.

    Each kind is scanned ``batch`` records at a time, each batch in one read-only
    unit of work; nothing is written. A record its owner names gives no problem.

    Raises:
        IntegrityError: a row the store cannot list (``database_corrupt``).
    """
    found: dict[str, list[Problem]] = {}
    for each in owned:
        after: str | None = None
        while True:
            with store.transaction(readonly=True) as tx:
                records = tx.scan(each.kind, after=after, limit=batch)
                for record in records:
                    owner, problems = _checked(tx, ledger, each, record)
                    if problems:
                        found.setdefault(owner, []).extend(problems)
            if len(records) < batch:
                break
            after = records[-1].key
    return found


def with_owned(
    failures: Sequence[Verification], found: Mapping[str, Sequence[Problem]]
) -> tuple[Verification, ...]:
    """``failures`` with the ``found`` problems of owned records: added to the failed
    verification of their owner, or as one more (at the end, in subject order)."""
    merged = []
    for failure in failures:
        more = found.get(failure.subject, ())
        if more:
            failure = attrs.evolve(failure, problems=(*failure.problems, *more))
        merged.append(failure)
    seen = {failure.subject for failure in failures}
    for subject in sorted(found.keys() - seen):
        problems = tuple(found[subject])
        merged.append(Verification(subject, max(p.position for p in problems), problems))
    return tuple(merged)
