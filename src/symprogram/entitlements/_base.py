"""The plumbing every flow of the entitlements service shares.

Each flow module defines one small class with that flow's public methods; they
all derive from :class:`_Base`, which holds what
:class:`~symprogram.entitlements.EntitlementsService` was built with and the
helpers every recipe uses: the instant now, the audit ledger, the customer id
check and the holdings read and written in a unit of work.
"""

from __future__ import annotations

from datetime import datetime

from symprogram._checks import check_text
from symprogram.clock import Clock, ensure_utc
from symprogram.decisions import Decision
from symprogram.entitlements import rules
from symprogram.entitlements.models import (
    MAX_TEXT,
    CustomerEntitlements,
    EntitlementCatalogue,
    SupportCase,
)
from symprogram.entitlements.ports import RemoteAccessConsent
from symprogram.entitlements.storage import (
    HoldingsReader,
    StoredCases,
    StoredHoldings,
    StoredLifecycles,
)
from symprogram.errors import NotFound, ValidationError
from symprogram.events import DomainEvent, Ledger, Subscriptions
from symprogram.persistence import Store, Transaction

__all__: list[str] = []


class _Base:
    """What the service was built with, and the helpers of every flow."""

    _store: Store
    _clock: Clock
    _catalogue: EntitlementCatalogue
    _consent: RemoteAccessConsent | None
    _ledger: Ledger
    _reader: HoldingsReader
    _subscriptions: Subscriptions | None = None

    @property
    def catalogue(self) -> EntitlementCatalogue:
        """The catalogue in use."""
        return self._catalogue

    def _now(self) -> datetime:
        return ensure_utc(self._clock.now(), field="clock")

    def _instant(self, at: object) -> datetime:
        return self._now() if at is None else ensure_utc(at)

    def _record(self, tx: Transaction, event: DomainEvent) -> None:
        self._ledger.append(tx, event.subject, event.event_name(), event.payload(), event.at)
        if self._subscriptions is not None:
            self._subscriptions.publish((event,), tx=tx)

    @staticmethod
    def _customer(customer_id: object) -> str:
        return check_text(customer_id, "customer_id", limit=MAX_TEXT)

    def _read_holdings(self, tx: Transaction, customer_id: str) -> CustomerEntitlements | None:
        return self._reader.read(tx, customer_id)

    @staticmethod
    def _holdings_for(
        tx: Transaction, customer_id: str, *, for_update: bool = False
    ) -> CustomerEntitlements:
        return StoredHoldings(tx).get_or_empty(customer_id, for_update=for_update)

    def _coverage(
        self,
        tx: Transaction,
        holdings: CustomerEntitlements | None,
        product: str,
        release: str | None,
        at: datetime,
    ) -> Decision:
        lifecycle = StoredLifecycles(tx).find(product) if release is not None else None
        found = (
            lifecycle.release(release) if lifecycle is not None and release is not None else None
        )
        return rules.support_coverage(self._catalogue, holdings, product, found, at)

    def _opened_case(
        self, tx: Transaction, repo: StoredCases, case_id: str, *, for_update: bool = False
    ) -> SupportCase:
        """The stored case ``case_id``, if it is the case its customer's audit opened and
        changed (:func:`~symprogram.entitlements.rules.case_anchored`): one read of the
        audit. A case record written in by hand (with a case index entry of its own or
        not), moved to another customer, or put back from before a later entry of its
        audit is refused as absent. ``for_update``: the case is read locked, so the
        audit read next holds every change of it committed before.

        Raises:
            NotFound: ``entitlements_case_not_found``.
        """
        case = repo.get(case_id, for_update=for_update)
        try:
            entries = self._ledger.iter_entries(tx, case.customer_id)
            anchored = rules.case_anchored(case, ((e.kind, e.data) for e in entries))
        except ValidationError:  # a customer ID no stream can have: nobody opened it
            anchored = False
        if not anchored:
            raise NotFound(
                f"no entitlements case {case_id!r}",
                code="entitlements_case_not_found",
                details={"key": case_id},
            )
        return case
