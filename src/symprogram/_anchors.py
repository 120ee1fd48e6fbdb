"""Stored aggregates anchored to their ledger: what a record says, checked against the entries.

A ledger proves what happened; the aggregate a context keeps beside it (a
candidate's account, a customer's holdings) is what the services read and decide
with. An attacker with write access to the database can put back an older row of
that aggregate (from a backup, or edited by hand): the ledger's chain, head and
key are untouched, so they alone cannot see it. So a ledger reading also compares
the stored aggregate with what its (keyed) ledger says: a context gives an
*anchor check*, ``check(tx, subject, entries) -> problems``, that reads its
aggregate in ``tx`` and compares it, with a pure rule of the context, with the
subject's entries; :class:`~symprogram._verifications.LedgerReads` runs every
check in ``verify`` and ``verify_all`` (:func:`anchored`).

The kernel knows no context: a check is registered by the wiring (``program.py``
for the account history) or by the context that holds the ledger (the
entitlements audit). A difference is reported as an :class:`AggregateMismatch`
(code ``aggregate_mismatch``) naming the record kind, the key and the field; a
stored record that cannot be read as ``aggregate_unreadable``.

What this does not prove: an attacker who puts back the matching older stream
and head too (from the same backup) leaves a consistent state; only a digest
kept outside the database shows that (``docs/explanation-threat-model.md``).

Example:
    >>> difference = AggregateDifference("candidate", "SP-1", "status", "active", "closed")
    >>> [problem] = mismatches(3, [difference])
    >>> problem.code, problem.position, problem.details
    ('aggregate_mismatch', 3, {'kind': 'candidate', 'key': 'SP-1', 'field': 'status'})
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, Final, TypeVar

import attrs

from symprogram._ledger_verify import replay
from symprogram.errors import IntegrityError, ValidationError
from symprogram.ledger import (
    Ledger,
    LedgerEntry,
    Problem,
    Verification,
    _entry_of,
    _unreadable_entry,
)
from symprogram.persistence import Record, Transaction

__all__ = [
    "UNKNOWN",
    "AggregateDifference",
    "AggregateMismatch",
    "AnchorCheck",
    "SaidEntries",
    "anchored",
    "anchored_entries",
    "check_anchor",
    "listing_differences",
    "mismatches",
    "record_differences",
    "require_said",
    "said_fields",
    "said_names",
    "said_pairs",
    "said_text",
]

AnchorCheck = Callable[[Transaction, str, Sequence[LedgerEntry]], Iterable[Problem]]
"""``check(tx, subject, entries)``: the problems of ``subject``'s stored aggregate
against its ledger ``entries`` (oldest first), read in the read-only unit of work ``tx``."""

R = TypeVar("R")

SaidEntries = Iterable[tuple[str, Mapping[str, Any] | None]]
"""A ledger's ``(kind, data)`` pairs, oldest first (``data`` is ``None`` once erased):
what a context's anchor rule replays to learn what its stored record should hold."""


@attrs.frozen
class AggregateDifference:
    """One field where a stored aggregate and its ledger disagree (a context's rule finds it).

    Attributes:
        kind: the record kind of the aggregate (``candidate``, ``entitlements_customer``).
        key: the record's key.
        field: what differs (``status``, ``agreements[A-1].status``, ``agreements[A-1]``
            for a record the other side does not have).
        stored: what the stored record holds (``None``: it has nothing there).
        ledger: what the ledger says (``None``: it says nothing of it).
        personal: the values are personal data (an e-mail address): the message
            leaves them out.
    """

    kind: str
    key: str
    field: str
    stored: str | None
    ledger: str | None
    personal: bool = False


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final[object] = _Unknown()
"""What a context's rule takes a field to be when the entry that said it was erased:
unknown, and never compared."""


def anchored_entries(
    ledger: Ledger, tx: Transaction, subject: str, *, head: Record | bool | None = False
) -> list[LedgerEntry]:
    """``subject``'s entries, oldest first, for an anchored read: only if each is
    authentic and they end where the stream head says, as :meth:`Ledger.said_entries
    <symprogram.ledger.Ledger.said_entries>` reads them (the entries whole, with
    their instants; :func:`~symprogram._ledger_verify.replay`). ``head``: the stream
    head's record already loaded in ``tx`` (``None``: none is stored), reused instead
    of reading it again; ``False``: read it here (one point read, before the entries).

    Raises:
        IntegrityError: an entry or the head cannot be read (``ledger_corrupt``,
            ``ledger_key_unknown``); the entries do not end at the head, or one
            of them is not as it was written (``ledger_tampered``); an entry names
            a key id the ring does not hold (``ledger_key_unknown``).
    """
    stream = ledger.stream(subject)
    record = head if head is None or isinstance(head, Record) else tx.load(Ledger.HEAD_KIND, stream)
    parsed = ledger._parse_head(subject, record, stream)
    entries = []
    for position, raw in replay(ledger, tx, subject, stream, parsed[:2]):
        try:
            entries.append(_entry_of(subject, position, raw))
        except (ValueError, KeyError, TypeError, AttributeError, ValidationError) as exc:
            raise _unreadable_entry(subject, position) from exc
    return entries


def said_pairs(entries: object) -> tuple[tuple[str, Mapping[str, Any] | None], ...]:
    """The ``(kind, data)`` pairs of ``entries``, read once and checked.

    Raises:
        ValidationError: ``entries`` is not an iterable of ``(kind, data)`` pairs
            with a text ``kind`` and a mapping or ``None`` as ``data``
            (``invalid_entries``, field ``entries``).

    Example:
        >>> said_pairs(iter([("noted", None)]))
        (('noted', None),)
    """
    if not isinstance(entries, Iterable) or isinstance(entries, str | bytes | bytearray | Mapping):
        raise _bad_entries()
    pairs = tuple(entries)
    for pair in pairs:
        if not (
            isinstance(pair, tuple)
            and len(pair) == 2
            and isinstance(pair[0], str)
            and (pair[1] is None or isinstance(pair[1], Mapping))
        ):
            raise _bad_entries()
    return pairs


def _bad_entries() -> ValidationError:
    return ValidationError(
        "entries must be (kind, data) pairs: text and a mapping or None",
        field="entries",
        code="invalid_entries",
    )


def said_text(data: Mapping[str, Any] | None, name: str) -> str | None:
    """``data[name]`` when an entry's data still holds it as text (``None``: unknown)."""
    value = None if data is None else data.get(name)
    return value if isinstance(value, str) else None


def require_said(record: R, said: bool, kind: str, key: str) -> R:
    """``record``, the stored ``kind`` record ``key``, if ``said``: its owner's history
    says it is as stored (a context's ``*_anchored`` rule answered). A record put back
    from before a later entry, or written in by hand, is refused, and the caller
    changes nothing.

    Example:
        >>> require_said("the kit", True, "award_kit", "KIT-1")
        'the kit'

    Raises:
        IntegrityError: ``record_corrupt`` (details: ``kind`` and ``key``).
    """
    if not said:
        raise IntegrityError.record_corrupt(kind, key, "is not as its candidate's history says")
    return record


def said_names(entries: object, kinds: Collection[str], name: str) -> set[str]:
    """The texts the ``data`` of the entries of ``kinds`` still hold under ``name``:
    the IDs of the records a history names (an erased entry names none).

    Raises:
        ValidationError: ``entries`` not ``(kind, data)`` pairs (``invalid_entries``,
            see :func:`said_pairs`).

    Example:
        >>> said_names(
        ...     [("case_opened", {"case_id": "K-1"}), ("case_closed", {"case_id": "K-2"}),
        ...      ("case_opened", None)],
        ...     {"case_opened"},
        ...     "case_id",
        ... )
        {'K-1'}
    """
    return {
        key
        for kind, data in said_pairs(entries)
        if kind in kinds and (key := said_text(data, name)) is not None
    }


def said_fields(
    data: Mapping[str, Any], names: Iterable[str], **known: object
) -> dict[str, object]:
    """What an entry's ``data`` says of each of ``names`` (:data:`UNKNOWN` where it says
    nothing), with the ``known`` values the entry's kind implies.

    Example:
        >>> said = said_fields({"award_id": "A-1"}, ("award_id", "expires_at"), revoked=False)
        >>> said["award_id"], said["expires_at"] is UNKNOWN, said["revoked"]
        ('A-1', True, False)
    """
    return {name: data.get(name, UNKNOWN) for name in names} | known


def _shown(value: object) -> str | None:
    return None if value is None else str(value)


def listing_differences(
    kind: str, key: str, what: str, said: Iterable[str], stored: Iterable[str], *, complete: bool
) -> list[AggregateDifference]:
    """The records a stored aggregate lists against the ones its ledger names.

    A record the ledger names and the aggregate does not list is reported as
    ``what[ID]`` (stored ``None``, ledger ``"recorded"``); one the aggregate lists
    and the ledger does not name, only when the ledger is ``complete`` (no entry
    that could have named it was erased).

    Example:
        >>> [d.field for d in listing_differences("c", "k", "grants", ["a"], ["b"], complete=True)]
        ['grants[a]', 'grants[b]']
    """
    said_ids, stored_ids = set(said), set(stored)
    found = [
        AggregateDifference(kind, key, f"{what}[{item}]", None, "recorded")
        for item in sorted(said_ids - stored_ids)
    ]
    if complete:
        found += [
            AggregateDifference(kind, key, f"{what}[{item}]", "recorded", None)
            for item in sorted(stored_ids - said_ids)
        ]
    return found


def record_differences(
    kind: str,
    key: str,
    said: Mapping[str, object],
    stored: Mapping[str, object],
    *,
    prefix: str = "",
) -> list[AggregateDifference]:
    """Field by field, where a stored record holds other than its ledger says.

    Every field either side has is compared, except one the ledger says is
    :data:`UNKNOWN`; a field one side lacks is ``None`` on that side. The field is
    reported as ``prefix + name``.

    Example:
        >>> said, stored = {"status": "closed", "level": UNKNOWN}, {"status": "open", "level": 2}
        >>> [(d.field, d.stored, d.ledger) for d in record_differences("case", "K", said, stored)]
        [('status', 'open', 'closed')]
    """
    found = []
    for name in sorted(said.keys() | stored.keys()):
        want, have = said.get(name), stored.get(name)
        if want is not UNKNOWN and want != have:
            found.append(AggregateDifference(kind, key, prefix + name, _shown(have), _shown(want)))
    return found


@attrs.frozen
class AggregateMismatch(Problem):
    """A stored aggregate that differs from its ledger (code ``aggregate_mismatch``).

    Attributes:
        kind: the record kind of the aggregate.
        key: the record's key.
        field: the field that differs.
    """

    kind: str
    key: str
    field: str

    @property
    def details(self) -> dict[str, str]:
        """The record kind, key and field, as a mapping."""
        return {"kind": self.kind, "key": self.key, "field": self.field}


def _message(difference: AggregateDifference) -> str:
    what = f"the stored {difference.kind} {difference.key!r}"
    if difference.personal:
        return f"{what}: {difference.field} differs from what the ledger says"
    if difference.stored is None:
        return f"{what} has no {difference.field}; the ledger says {difference.ledger!r}"
    if difference.ledger is None:
        return f"{what} has {difference.field} {difference.stored!r}; the ledger has none"
    return (
        f"{what} has {difference.field} {difference.stored!r}; "
        f"the ledger says {difference.ledger!r}"
    )


def mismatches(
    position: int, differences: Iterable[AggregateDifference]
) -> tuple[AggregateMismatch, ...]:
    """The problems of ``differences``, at ``position`` (the stream's length)."""
    return tuple(
        AggregateMismatch(
            position, "aggregate_mismatch", _message(d), kind=d.kind, key=d.key, field=d.field
        )
        for d in differences
    )


def check_anchor(check: object) -> AnchorCheck:
    """``check`` if it is callable.

    Raises:
        ValidationError: anything else (``invalid_anchor_check``).
    """
    if not callable(check):
        raise ValidationError(
            "an anchor check must be callable", field="check", code="invalid_anchor_check"
        )
    return check


def anchored(
    tx: Transaction,
    ledger: Ledger,
    subject: str,
    result: Verification,
    checks: Sequence[AnchorCheck],
) -> Verification:
    """``result`` (``subject``'s verification) with the problems of every anchor check.

    The entries are read once, in ``tx``, and handed to each check. An entry that
    cannot be read is already reported by the chain (``unreadable``): the checks
    are skipped then. A check that cannot read its stored record (it raises) is
    reported ``aggregate_unreadable``. Read-only: nothing is written.
    """
    if not checks:
        return result
    try:
        entries = ledger.entries(tx, subject)
    except IntegrityError:
        return result
    problems = list(result.problems)
    for check in checks:
        try:
            problems.extend(check(tx, subject, entries))
        except (IntegrityError, ValidationError, KeyError, ValueError, TypeError):
            problems.append(
                Problem(
                    result.length,
                    "aggregate_unreadable",
                    "the stored aggregate of this ledger cannot be read",
                )
            )
    if len(problems) == len(result.problems):
        return result
    return attrs.evolve(result, problems=tuple(problems))
