"""Agreements: a customer's support agreements, recorded, looked up, suspended,
reinstated and cancelled, each change in the customer's audit ledger."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from symprogram._deprecation import deprecated_alias
from symprogram.entitlements import rules
from symprogram.entitlements._base import _Base
from symprogram.entitlements.events import AgreementRecorded, AgreementStatusChanged
from symprogram.entitlements.models import Agreement, AgreementStatus, CustomerEntitlements
from symprogram.entitlements.ports import AGREEMENT_INDEX
from symprogram.entitlements.storage import RecordOwners, StoredHoldings

__all__ = ["Agreements"]


class Agreements(_Base):
    """The agreements flow."""

    def get_holdings(self, customer_id: str) -> CustomerEntitlements:
        """Everything the customer holds (an empty record if nothing)."""
        customer = self._customer(customer_id)
        with self._store.transaction(readonly=True) as tx:
            return self._holdings_for(tx, customer)

    holdings = deprecated_alias("get_holdings", old="holdings", since="0.2.0")

    def get_agreement(self, agreement_id: str) -> Agreement:
        """The agreement ``agreement_id``.

        Answered only when its customer's audit recorded it, with the status the
        audit gives it (:func:`~symprogram.entitlements.rules.agreement_anchored`):
        an agreement written into the holdings by hand (with an index entry of its
        own or not) or put back from before a later entry (a cancelled agreement
        put back as active) is not answered, as its changes refuse it. The holdings
        and the audit are read in one read-only unit of work (one snapshot).

        Raises:
            NotFound: no such agreement (``agreement_not_found``).
        """
        with self._store.transaction(readonly=True) as tx:
            owner = RecordOwners(tx, AGREEMENT_INDEX, "agreement").owner(agreement_id)
            return self._recorded_agreement(tx, self._holdings_for(tx, owner), agreement_id)

    agreement = deprecated_alias("get_agreement", old="agreement", since="0.2.0")

    def add_agreement(
        self,
        customer_id: str,
        *,
        agreement_id: str,
        level: str,
        products: Iterable[str],
        starts_on: date,
        ends_on: date,
        by: str,
    ) -> Agreement:
        """Record a support agreement (dates inclusive; active from the start).

        Raises:
            ValidationError: a bad field or an unknown level (``unknown_service_level``).
            Conflict: the agreement id is taken (``agreement_exists``).
        """
        customer = self._customer(customer_id)
        now = self._now()
        with self._store.transaction() as tx:
            held = self._holdings_for(tx, customer, for_update=True)
            holdings, agreement = rules.add_agreement(
                self._catalogue, held, agreement_id, level, products, starts_on, ends_on, now, by
            )
            RecordOwners(tx, AGREEMENT_INDEX, "agreement").claim(agreement_id, customer)
            StoredHoldings(tx).save(holdings)
            products_ = tuple(sorted(agreement.products))
            self._record(
                tx,
                AgreementRecorded(
                    customer, now, agreement_id, level, products_, starts_on, ends_on, by
                ),
            )
        return agreement

    def suspend_agreement(self, agreement_id: str, *, by: str, reason: str) -> Agreement:
        """Suspend an active agreement from now on.

        The agreement is changed only when it is one the customer's audit recorded,
        with the status the audit gives it (one read of that audit): an agreement
        written into the holdings by hand (with an ``entitlements_agreement_id``
        index entry of its own or not) or put back from before a later entry (a
        cancelled agreement put back as active) is refused as absent by this method,
        :meth:`reinstate_agreement` and :meth:`cancel_agreement` alike, writing
        nothing.

        Raises:
            NotFound: ``agreement_not_found``.
            IllegalTransition: not active (``illegal_transition``/``agreement_cancelled``).
        """
        return self._agreement_status(agreement_id, AgreementStatus.SUSPENDED, by, reason)

    def reinstate_agreement(self, agreement_id: str, *, by: str, reason: str) -> Agreement:
        """Make a suspended agreement active again from now on.

        Raises:
            NotFound: ``agreement_not_found`` (none, or not as the audit recorded it).
            IllegalTransition: not allowed from the current status
                (``agreement_cancelled``, ``illegal_transition``).
        """
        return self._agreement_status(agreement_id, AgreementStatus.ACTIVE, by, reason)

    def cancel_agreement(self, agreement_id: str, *, by: str, reason: str) -> Agreement:
        """Cancel an agreement from now on (final).

        Raises:
            NotFound: ``agreement_not_found`` (none, or not as the audit recorded it).
            IllegalTransition: not allowed from the current status
                (``agreement_cancelled``).
        """
        return self._agreement_status(agreement_id, AgreementStatus.CANCELLED, by, reason)

    def _agreement_status(
        self, agreement_id: str, status: AgreementStatus, by: str, reason: str
    ) -> Agreement:
        now = self._now()
        with self._store.transaction() as tx:
            owner = RecordOwners(tx, AGREEMENT_INDEX, "agreement").owner(agreement_id)
            holdings = self._holdings_for(tx, owner, for_update=True)
            current = self._recorded_agreement(tx, holdings, agreement_id)
            changed = rules.change_agreement_status(current, status, at=now, by=by, reason=reason)
            StoredHoldings(tx).save(rules.replace_in(holdings, changed))
            self._record(
                tx, AgreementStatusChanged(owner, now, agreement_id, status.value, by, reason)
            )
        return changed
