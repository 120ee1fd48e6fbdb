"""The audit ledger: every change of the context, per customer, tamper-evident.

Every change (agreements, grants, extensions, cases, escalations, remote
sessions) appends one event to a hash-chained stream per customer (a
:class:`~symprogram.events.Ledger` named ``"entitlements"``; release dates go to
the subject ``product:<name>``), so "who escalated, when and why" can be proved
later: :meth:`Audit.history` reads it, :meth:`Audit.verify` and
:meth:`Audit.verify_all` check it (against a digest kept outside the database
too: ``verify(subject, against=digest)``, see :mod:`symprogram.digests`). Both
also compare the customer's stored holdings with what the audit says of each
agreement, grant and extension, and its stored support cases with what it says
of each case (``aggregate_mismatch``; the rules are
:func:`~symprogram.entitlements.rules.holdings_differences` and
:func:`~symprogram.entitlements.rules.cases_differences`); ``verify_all`` also
walks every stored case and reports one its customer's audit never opened
(written in by hand under an ID of its own;
:func:`~symprogram.entitlements.rules.case_opened_in`). A product's audit
(``product:<name>``) is compared with the product's stored release lifecycle
(:func:`~symprogram.entitlements.rules.lifecycle_differences`), and ``verify_all``
reports a stored lifecycle whose product's audit holds no entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from symprogram._anchors import AggregateDifference, AggregateMismatch, AnchorCheck, mismatches
from symprogram._checks import reported_as
from symprogram._deprecation import deprecated_alias
from symprogram._owned import OwnedKind, unnamed
from symprogram._persistence_records import Record
from symprogram._verifications import LedgerReads
from symprogram.entitlements import rules
from symprogram.entitlements._base import _Base
from symprogram.entitlements._lifecycle_anchors import LifecycleOwners, lifecycle_anchor_check
from symprogram.entitlements.ports import CASE_KIND, HOLDINGS_KIND, LIFECYCLE_KIND
from symprogram.entitlements.storage import StoredCases, StoredHoldings
from symprogram.ledger import Ledger, LedgerEntry
from symprogram.persistence import Store, Transaction

__all__ = ["Audit"]


class Audit(LedgerReads, _Base):
    """The audit ledger of the context: ``history``, ``verify``, ``verify_all``.

    A subject is a customer id (or ``product:<name>`` for release dates); one that
    is not text of the allowed length is refused (``ValidationError``,
    ``invalid_customer_id``, field ``subject``) before anything is read.
    ``verify_all`` checks every customer with a stream or stored holdings.
    """

    @property
    def ledger(self) -> Ledger:
        """The audit ledger (named ``"entitlements"``)."""
        return self._ledger

    def _ledger_parts(self) -> tuple[Store, Ledger]:
        return self._store, self._ledger

    def _ledger_subject(self, subject: str) -> str:
        with reported_as(customer_id="subject"):  # the caller's parameter
            return self._customer(subject)

    def _anchor_checks(self) -> Sequence[AnchorCheck]:
        return (_holdings_anchor_check, lifecycle_anchor_check)

    def _anchor_kinds(self) -> Sequence[str]:
        return (HOLDINGS_KIND,)

    def _owned_kinds(self) -> Sequence[OwnedKind]:
        return (
            OwnedKind(CASE_KIND, _CaseOwners(self._ledger)),
            OwnedKind(LIFECYCLE_KIND, LifecycleOwners(self._ledger)),
        )

    audit = deprecated_alias("history", old="audit", since="0.2.0")
    verify_audit = deprecated_alias("verify", old="verify_audit", since="0.2.0")


def _holdings_anchor_check(
    tx: Transaction, subject: str, entries: Sequence[LedgerEntry]
) -> tuple[AggregateMismatch, ...]:
    """The stored holdings and cases of ``subject`` against its audit ``entries`` (read-only).

    Read straight from the store (not through the decision methods' cache).

    Raises:
        IntegrityError: the stored holdings cannot be read (``record_corrupt``).
    """
    holdings = StoredHoldings(tx).find(subject)
    pairs = [(entry.kind, entry.data) for entry in entries]
    instants = [entry.at for entry in entries]
    stored = StoredCases(tx)
    cases = {c: case for c in sorted(rules.named_cases(pairs)) if (case := stored.find(c))}
    said = rules.said_owned_ids(pairs)
    owners = {(index, i): tx.index_get(index, i) for index, ids in said.items() for i in ids}
    differences = (
        *rules.holdings_differences(subject, holdings, pairs, instants),
        *rules.owner_index_differences(subject, said, owners),
        *rules.cases_differences(subject, pairs, cases),
    )
    return mismatches(entries[-1].position if entries else 0, differences)


class _CaseOwners:
    """The owner check of stored cases: whether the audit of the customer a case names
    opened it. Each customer's audit is read once per unit of work (a batch)."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._tx: Transaction | None = None
        self._said: dict[str, list[tuple[str, Mapping[str, Any] | None]]] = {}

    def __call__(
        self, tx: Transaction, record: Record
    ) -> tuple[str, tuple[AggregateDifference, ...]]:
        """The customer the stored case ``record`` names, and whether its audit opened it.

        Raises:
            IntegrityError: the record cannot be read as its key's (``record_corrupt``).
        """
        if tx is not self._tx:
            self._tx, self._said = tx, {}
        case = StoredCases(tx).decode(record)
        said = self._said.get(case.customer_id)
        if said is None:
            said = self._said[case.customer_id] = list(
                self._ledger.said_entries(tx, case.customer_id)
            )
        opened = rules.case_opened_in(case.case_id, said)
        return case.customer_id, unnamed(CASE_KIND, record.key, opened)
