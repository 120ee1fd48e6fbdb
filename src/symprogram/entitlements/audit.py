"""The audit ledger: every change of the context, per customer, tamper-evident.

Every change (agreements, grants, extensions, cases, escalations, remote
sessions) appends one event to a hash-chained stream per customer (a
:class:`~symprogram.events.Ledger` named ``"entitlements"``; release dates go to
the subject ``product:<name>``), so "who escalated, when and why" can be proved
later: :meth:`Audit.history` reads it, :meth:`Audit.verify` and
:meth:`Audit.verify_all` check it (against a digest kept outside the database
too: ``verify(subject, against=digest)``, see :mod:`symprogram.digests`).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from symprogram._checks import check_int
from symprogram._deprecation import deprecated_alias
from symprogram.entitlements._base import _Base
from symprogram.ledger import Ledger, LedgerEntry, Verification, iter_verifications

if TYPE_CHECKING:
    from symprogram.digests import LedgerDigest

__all__ = ["Audit"]


class Audit(_Base):
    """The audit ledger of the context: history, verify, verify_all."""

    @property
    def ledger(self) -> Ledger:
        """The audit ledger (named ``"entitlements"``)."""
        return self._ledger

    def history(self, subject: str) -> tuple[LedgerEntry, ...]:
        """The audit trail of ``subject`` (a customer id), oldest first.

        Raises:
            ValidationError: not a customer id (``invalid_customer_id``).
        """
        customer = self._customer(subject)
        with self._store.transaction(readonly=True) as tx:
            return tuple(self._ledger.entries(tx, customer))

    def verify(self, subject: str, *, against: LedgerDigest | None = None) -> Verification:
        """Check the audit trail of ``subject`` for edited, reordered or removed entries.

        With ``against``, a digest kept outside the database, also prove that the
        trail still extends what the digest covered (see
        :meth:`~symprogram.ledger.Ledger.verify`).

        Never raises for a defect: it lists them (``raise_for_problems()`` turns
        them into an :class:`~symprogram.errors.IntegrityError`).

        Raises:
            ValidationError: ``digest_key_mismatch`` (a digest of another key).
            IntegrityError: ``digest_forged`` (an altered digest).
        """
        customer = self._customer(subject)
        with self._store.transaction(readonly=True) as tx:
            return self._ledger.verify(tx, customer, against=against)

    def verify_all(
        self, *, batch: int = 500, against: LedgerDigest | None = None
    ) -> tuple[Verification, ...]:
        """Check every subject's audit trail, page by page; return the failed ones (none: ok).

        With ``against``, every trail the digest covered is checked too, so one
        dropped whole is reported (``digest_stream_missing``).

        Raises:
            ValidationError: ``batch`` is not a positive whole number (``invalid_batch``);
                ``digest_key_mismatch``.
            IntegrityError: ``digest_forged``.
        """
        size = check_int(batch, "batch", minimum=1, maximum=10_000)
        if against is not None:
            self._ledger.check_digest(against)

        check = functools.partial(self._ledger.verify, against=against)
        every = iter_verifications(self._store, self._ledger, check, batch=size, against=against)
        return tuple(result for result in every if not result.ok)

    audit = deprecated_alias("history", old="audit", since="0.2.0")
    verify_audit = deprecated_alias("verify", old="verify_audit", since="0.2.0")
