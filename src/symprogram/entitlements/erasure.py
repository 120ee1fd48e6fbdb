"""Flow: erasing a person's data from the entitlements context (right to erasure).

A customer whose ID is a candidate ID is a person: :func:`symprogram.erasure.erase_person`
erases their support cases' summaries and every ``by`` field and reason of their
cases and holdings, and the data of their audit entries (``entitlements:<candidate>``)
with the ledger's authenticated erasure marker, in the program's unit of work.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import attrs

from symprogram.clock import ensure_utc
from symprogram.entitlements._base import _Base
from symprogram.entitlements._rules_erasure import erased_case, erased_holdings, opened_case_ids
from symprogram.entitlements.ports import CASE_KIND, HOLDINGS_KIND, LIFECYCLE_KIND
from symprogram.entitlements.storage import StoredCases, StoredHoldings
from symprogram.persistence import Transaction

__all__ = ["EntitlementsErasure", "Erasure"]


def _utc(value: object) -> datetime:
    return ensure_utc(value, field="erased_at")


@attrs.frozen
class EntitlementsErasure:
    """What the entitlements erasure did (no personal data in it).

    Attributes:
        customer_id: the erased customer (a candidate ID).
        erased_at: when.
        cases: the ids of the support cases scrubbed.
        audit_entries_erased: audit entries whose data was dropped by this call.
        audit_length: the audit stream's length (its chain and digests stay).
    """

    customer_id: str
    erased_at: datetime = attrs.field(converter=_utc)
    cases: tuple[str, ...] = ()
    audit_entries_erased: int = 0
    audit_length: int = 0


class Erasure(_Base):
    """The entitlements part of the right to erasure (a :class:`symprogram._erasable.Erasable`)."""

    personal_data_kinds: ClassVar[tuple[str, ...]] = (HOLDINGS_KIND, CASE_KIND)
    """Holdings and support cases: summaries, reasons and ``by`` fields."""
    other_kinds: ClassVar[tuple[str, ...]] = (LIFECYCLE_KIND,)
    """Product release lifecycles: dates only."""

    def erase_subject(
        self, tx: Transaction, subject: str, *, reason: str
    ) -> EntitlementsErasure | None:
        """Scrub the customer ``subject``'s cases and holdings and erase its audit entries.

        The cases are those the audit ledger says the customer opened. Idempotent;
        ``None`` when the context never recorded anything about ``subject``.

        Raises:
            ValidationError: not a customer id (``invalid_customer_id``).
        """
        del reason
        customer = self._customer(subject)
        now = self._now()
        length, _ = self._ledger.head(tx, customer)
        holdings = StoredHoldings(tx).find(customer)
        if length == 0 and holdings is None:
            return None
        cases = StoredCases(tx)
        case_ids = opened_case_ids(self._ledger.iter_entries(tx, customer))
        for case_id in case_ids:
            case = cases.find(case_id)
            if case is not None and case.customer_id == customer:
                scrubbed = erased_case(case)
                if scrubbed != case:
                    cases.save(scrubbed)
        if holdings is not None:
            scrubbed_holdings = erased_holdings(holdings)
            if scrubbed_holdings != holdings:
                StoredHoldings(tx).save(scrubbed_holdings)
        erased = self._ledger.erase(tx, customer)
        return EntitlementsErasure(customer, now, case_ids, erased, length)
