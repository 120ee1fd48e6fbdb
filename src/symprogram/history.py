"""The account history: every change to a candidate's account, in order, tamper-evident.

Accounts and awards append :class:`~symprogram.events.DomainEvent` s to it inside
their units of work; the candidate reads it back with :meth:`AccountHistory.read`
(or :meth:`AccountHistory.history`) and anybody can check it with
:meth:`AccountHistory.verify` (every subject: :meth:`AccountHistory.verify_all`),
which detects any edited, reordered or removed entry (see
:class:`~symprogram.events.Ledger`).

Example:
    >>> from datetime import datetime, timezone
    >>> from symprogram.storage.memory import MemoryStore
    >>> history = AccountHistory(MemoryStore())
    >>> with history.store.transaction() as tx:
    ...     _ = history.record(tx, DomainEvent("SP-1", datetime(2011, 1, 15, tzinfo=timezone.utc)))
    >>> [e.kind for e in history.read("SP-1")], history.verify("SP-1").ok
    (['domain_event'], True)
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

from symprogram.events import DomainEvent, Ledger, LedgerEntry, Verification
from symprogram.persistence import Store, Transaction

__all__ = ["AccountHistory"]


class AccountHistory:
    """Read and append a candidate's account history.

    Args:
        store: where the history lives.
        key: optional secret; with it the chain is HMAC-SHA-256 (see :class:`Ledger`).
    """

    def __init__(self, store: Store, *, key: bytes | None = None) -> None:
        self.store = store
        self.ledger = Ledger("history", key=key)

    def record(self, tx: Transaction, event: DomainEvent) -> LedgerEntry:
        """Append ``event`` to its subject's history inside ``tx``."""
        return self.ledger.append(tx, event.subject, event.event_name(), event.payload(), event.at)

    def record_many(self, tx: Transaction, events: Iterable[DomainEvent]) -> list[LedgerEntry]:
        """Append ``events`` in order inside ``tx``, each subject's run of them at once.

        The same entries as :meth:`record` per event; consecutive events of one
        subject are appended with :meth:`Ledger.append_many` (one read and one
        write of the stream head for the run).
        """
        entries: list[LedgerEntry] = []
        for subject, run in itertools.groupby(events, key=lambda e: e.subject):
            entries.extend(
                self.ledger.append_many(
                    tx, subject, [(e.event_name(), e.payload(), e.at) for e in run]
                )
            )
        return entries

    def read(self, subject: str, *, after: int = 0) -> list[LedgerEntry]:
        """Return ``subject``'s history after position ``after``, oldest first."""
        with self.store.transaction(readonly=True) as tx:
            return self.ledger.entries(tx, subject, after=after)

    def history(self, subject: str) -> tuple[LedgerEntry, ...]:
        """Return ``subject``'s whole history, oldest first (the ledger convention's name)."""
        return tuple(self.read(subject))

    def iter(self, subject: str) -> Iterator[LedgerEntry]:
        """Yield ``subject``'s history oldest first (materialized inside one unit of work)."""
        yield from self.read(subject)

    def verify(self, subject: str) -> Verification:
        """Check ``subject``'s history; the result lists every problem found."""
        with self.store.transaction(readonly=True) as tx:
            return self.ledger.verify(tx, subject)

    def verify_all(self, *, batch: int = 500) -> tuple[Verification, ...]:
        """Check every subject's history; return the failed verifications (none: all ok)."""
        failures: list[Verification] = []
        for subject in self.subjects(batch=batch):
            result = self.verify(subject)
            if not result.ok:
                failures.append(result)
        return tuple(failures)

    def subjects(self, *, batch: int = 500) -> Iterator[str]:
        """Yield every subject that has a history, in order."""
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
