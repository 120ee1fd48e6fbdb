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

from symprogram._deprecation import deprecated_alias
from symprogram._verifications import LedgerReads
from symprogram.entitlements._base import _Base
from symprogram.ledger import Ledger
from symprogram.persistence import Store

__all__ = ["Audit"]


class Audit(LedgerReads, _Base):
    """The audit ledger of the context: ``history``, ``verify``, ``verify_all``.

    A subject is a customer id (or ``product:<name>`` for release dates); one that
    is not text of the allowed length is refused (``ValidationError``,
    ``invalid_customer_id``) before anything is read.
    """

    @property
    def ledger(self) -> Ledger:
        """The audit ledger (named ``"entitlements"``)."""
        return self._ledger

    def _ledger_parts(self) -> tuple[Store, Ledger]:
        return self._store, self._ledger

    def _ledger_subject(self, subject: str) -> str:
        return self._customer(subject)

    audit = deprecated_alias("history", old="audit", since="0.2.0")
    verify_audit = deprecated_alias("verify", old="verify_audit", since="0.2.0")
