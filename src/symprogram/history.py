"""The account history: every change to a candidate's account, in order, tamper-evident.

Accounts and awards append :class:`~symprogram.events.DomainEvent` s to it inside
their units of work; the candidate reads it back with :meth:`AccountHistory.history`
(streamed: :meth:`AccountHistory.iter_history`) and anybody can check it with
:meth:`AccountHistory.verify` (every subject: :meth:`AccountHistory.verify_all`),
which detects any edited, reordered or removed entry (see
:class:`~symprogram.ledger.Ledger`); against a digest kept outside the database
(``verify(subject, against=digest)``) it also detects a history rolled back or
dropped (see :mod:`symprogram.digests`). The stored records the history anchors
(a program registers the accounts context's check of each candidate's status and
address: :meth:`AccountHistory.add_anchor_check`) are compared with it too
(``aggregate_mismatch``, see :mod:`symprogram._anchors`).

Example:
    >>> from datetime import datetime, timezone
    >>> from symprogram.storage.memory import MemoryStore
    >>> history = AccountHistory(MemoryStore())
    >>> with history.store.transaction() as tx:
    ...     _ = history.record(tx, DomainEvent("SP-1", datetime(2011, 1, 15, tzinfo=timezone.utc)))
    >>> [e.kind for e in history.history("SP-1")], history.verify("SP-1").ok
    (['domain_event'], True)
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence

from symprogram._anchors import AnchorCheck, check_anchor
from symprogram._checks import check_instance, check_int
from symprogram._deprecation import deprecated_alias, warn_deprecated
from symprogram._owned import OwnedKind, OwnerCheck
from symprogram._verifications import LedgerReads
from symprogram.errors import ValidationError
from symprogram.events import DomainEvent, Subscriptions
from symprogram.ledger import Ledger, LedgerEntry
from symprogram.persistence import Store, Transaction, check_key

__all__ = ["AccountHistory"]


class AccountHistory(LedgerReads):
    """Read and append a candidate's account history.

    Args:
        store: where the history lives.
        key: optional secret; with it the chain is HMAC-SHA-256 (see :class:`Ledger`).
        ledger: the ledger to use, named ``"history"`` (a program gives its own,
            made by ``Program.ledgers`` with the program's key); not with ``key``.
        subscriptions: the reactions to the recorded events (a program gives its
            own): every event :meth:`record` and :meth:`record_many` append is
            published to them right after, inside the same unit of work (a
            :class:`~symprogram.persistence.WriteBuffer` given as the unit of work
            is flushed first, so that handlers see what was written before).

    Raises:
        ValidationError: ``ledger`` is not a Ledger named ``"history"``, or is
            given with ``key`` (``invalid_ledger``).
    """

    def __init__(
        self,
        store: Store,
        *,
        key: bytes | None = None,
        ledger: Ledger | None = None,
        subscriptions: Subscriptions | None = None,
    ) -> None:
        self.store = store
        self.subscriptions = subscriptions
        if ledger is None:
            ledger = Ledger("history", key=key)
        elif not isinstance(ledger, Ledger) or ledger.name != "history" or key is not None:
            raise ValidationError(
                "ledger must be a Ledger named 'history', given without key",
                field="ledger",
                code="invalid_ledger",
            )
        self.ledger = ledger
        self._anchors: tuple[AnchorCheck, ...] = ()
        self._kinds: tuple[str, ...] = ()
        self._owned: tuple[OwnedKind, ...] = ()

    def add_anchor_check(self, check: AnchorCheck, *, kinds: Iterable[str] = ()) -> None:
        """Compare a stored aggregate with the history in :meth:`verify` and :meth:`verify_all`.

        ``check(tx, subject, entries)`` returns the problems of ``subject``'s stored
        record against its history ``entries`` (read-only, in ``tx``); see
        :mod:`symprogram._anchors`. A program registers the accounts context's
        (each candidate's status and address) when it is built. ``kinds`` are the
        record kinds keyed by candidate ID that the check reads: :meth:`verify_all`
        checks the key of every such record as a subject too, so a record stored
        for a candidate whose history is empty (written in by hand, or its stream
        and head dropped) is compared with that empty history.

        Raises:
            ValidationError: ``check`` is not callable (``invalid_anchor_check``);
                ``kinds`` is not a collection of record kinds (``invalid_key``).
        """
        checked = check_anchor(check)
        if isinstance(kinds, str) or not isinstance(kinds, Iterable):
            raise ValidationError(
                "kinds must be a collection of record kinds", field="kinds", code="invalid_key"
            )
        named = tuple(check_key(kind, "kinds") for kind in kinds)
        self._anchors = (*self._anchors, checked)
        self._kinds = (*self._kinds, *(k for k in named if k not in self._kinds))

    def add_owner_check(self, kind: str, check: OwnerCheck) -> None:
        """Report in :meth:`verify_all` every stored ``kind`` record its owner does not name.

        ``check(tx, record)`` returns the candidate ID the record names as its owner
        and, when that owner's anchored state (its stored record, itself checked
        against the history) does not name the record, the differences (see
        :mod:`symprogram._owned`). :meth:`verify_all` walks every stored record of
        ``kind``, a batch at a time, and reports those under their owner
        (``aggregate_mismatch``): a record written in by hand under a key of its
        own. A program registers the accounts context's (incidents, claimed score
        reports) and the awards context's (disclosures, kits) when it is built.

        Raises:
            ValidationError: ``check`` is not callable (``invalid_anchor_check``);
                ``kind`` is not a record kind (``invalid_key``).
        """
        check_anchor(check)
        named = check_key(kind, "kind")
        self._owned = (*self._owned, OwnedKind(named, check))

    def _owned_kinds(self) -> Sequence[OwnedKind]:
        return self._owned

    def _anchor_checks(self) -> Sequence[AnchorCheck]:
        return self._anchors

    def _anchor_kinds(self) -> Sequence[str]:
        return self._kinds

    def record(self, tx: Transaction, event: DomainEvent) -> LedgerEntry:
        """Append ``event`` to its subject's history inside ``tx``, then publish it.

        Raises:
            ValidationError: ``event`` is not a ``DomainEvent`` (``invalid_event``).
        """
        check_instance(event, DomainEvent, "event", code="invalid_event")
        entry = self.ledger.append(tx, event.subject, event.event_name(), event.payload(), event.at)
        self._publish(tx, (event,))
        return entry

    def record_many(self, tx: Transaction, events: Iterable[DomainEvent]) -> list[LedgerEntry]:
        """Append ``events`` in order inside ``tx``, each subject's run of them at once.

        The same entries as :meth:`record` per event; consecutive events of one
        subject are appended with :meth:`Ledger.append_many` (one read and one
        write of the stream head for the run). Then the events are published, in
        order (all of them appended first).

        Raises:
            ValidationError: one of ``events`` is not a ``DomainEvent``
                (``invalid_event``); nothing is appended.
        """
        given = list(events)
        for event in given:
            check_instance(event, DomainEvent, "event", code="invalid_event")
        entries: list[LedgerEntry] = []
        for subject, run in itertools.groupby(given, key=lambda e: e.subject):
            entries.extend(
                self.ledger.append_many(
                    tx, subject, [(e.event_name(), e.payload(), e.at) for e in run]
                )
            )
        self._publish(tx, given)
        return entries

    def _publish(self, tx: Transaction, events: Sequence[DomainEvent]) -> None:
        """Publish ``events`` to the subscriptions recorded in ``tx`` (if there are any)."""
        if self.subscriptions is not None:
            self.subscriptions.publish(events, tx=tx)

    def read(self, subject: str, *, after: int = 0) -> list[LedgerEntry]:
        """Deprecated since 0.2: :meth:`history` (a tuple), or ``history(subject)[after:]``.

        Returns ``subject``'s history after position ``after``, oldest first, as a
        list (as it always did).
        """
        warn_deprecated("AccountHistory.read()", "AccountHistory.history()", "0.2")
        with self.store.transaction(readonly=True) as tx:
            return self.ledger.entries(tx, subject, after=after)

    def iter_history(self, subject: str) -> Iterator[LedgerEntry]:
        """Yield ``subject``'s history oldest first (materialized inside one unit of work)."""
        yield from self.history(subject)

    iter = deprecated_alias("iter_history", old="iter", since="0.2")

    def _ledger_parts(self) -> tuple[Store, Ledger]:
        return self.store, self.ledger

    def iter_subjects(self, *, batch: int = 500) -> Iterator[str]:
        """Yield every subject that has a history, in order (``batch`` names per read).

        A generator (so that its deprecated name and the async proxy stream it too):
        ``batch`` is checked when the first subject is read.

        Raises:
            ValidationError: ``batch`` is not an integer from 1 to 10,000
                (``invalid_batch``).
        """
        batch = check_int(batch, "batch", minimum=1, maximum=10_000)
        prefix = self.ledger.name + ":"
        after: str | None = None
        while True:
            with self.store.transaction(readonly=True) as tx:
                names = tx.streams(prefix=prefix, after=after, limit=batch)
            for name in names:
                yield name[len(prefix) :]
            if len(names) < batch:
                return
            after = names[-1]

    subjects = deprecated_alias("iter_subjects", old="subjects", since="0.2")
