"""The audit ledger: every change of the context, per customer, tamper-evident.

Every change (agreements, grants, extensions, cases, escalations, remote
sessions) appends one event to a hash-chained stream per customer (a
:class:`~symprogram.events.Ledger` named ``"entitlements"``; release dates go to
the subject ``product:<name>``), so "who escalated, when and why" can be proved
later: :meth:`Audit.history` reads it, :meth:`Audit.verify` and
:meth:`Audit.verify_all` check it.
"""

from __future__ import annotations

from symprogram._checks import check_int
from symprogram._deprecation import deprecated_alias
from symprogram.entitlements._base import _Base
from symprogram.events import LedgerEntry, Verification

__all__ = ["Audit"]


class Audit(_Base):
    """The audit ledger of the context: history, verify, verify_all."""

    def history(self, subject: str) -> tuple[LedgerEntry, ...]:
        """The audit trail of ``subject`` (a customer id), oldest first.

        Raises:
            ValidationError: not a customer id (``invalid_customer_id``).
        """
        customer = self._customer(subject)
        with self._store.transaction(readonly=True) as tx:
            return tuple(self._ledger.entries(tx, customer))

    def verify(self, subject: str) -> Verification:
        """Check the audit trail of ``subject`` for edited, reordered or removed entries.

        Never raises for a defect: it lists them (``raise_for_problems()`` turns
        them into an :class:`~symprogram.errors.IntegrityError`).
        """
        customer = self._customer(subject)
        with self._store.transaction(readonly=True) as tx:
            return self._ledger.verify(tx, customer)

    def verify_all(self, *, batch: int = 500) -> tuple[Verification, ...]:
        """Check every subject's audit trail, page by page; return the failed ones (none: ok).

        Raises:
            ValidationError: ``batch`` is not a positive whole number (``invalid_batch``).
        """
        size = check_int(batch, "batch", minimum=1, maximum=10_000)
        prefix = self._ledger.name + ":"
        after: str | None = None
        failures: list[Verification] = []
        while True:
            with self._store.transaction(readonly=True) as tx:
                names = tx.streams(prefix=prefix, after=after, limit=size)
                for name in names:
                    result = self._ledger.verify(tx, name[len(prefix) :])
                    if not result.ok:
                        failures.append(result)
            if len(names) < size:
                return tuple(failures)
            after = names[-1]

    audit = deprecated_alias("history", old="audit", since="0.2.0")
    verify_audit = deprecated_alias("verify", old="verify_audit", since="0.2.0")
