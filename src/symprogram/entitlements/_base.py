"""The plumbing every flow of the entitlements service shares.

Each flow module defines one small class with that flow's public methods; they
all derive from :class:`_Base`, which holds what
:class:`~symprogram.entitlements.EntitlementsService` was built with and the
helpers every recipe uses: the instant now, the audit ledger, the customer id
check and the holdings read and written in a unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from symprogram._anchors import SaidEntries
from symprogram._checks import check_text
from symprogram.clock import Clock, ensure_utc, read_clock
from symprogram.decisions import Decision
from symprogram.entitlements import rules
from symprogram.entitlements._lifecycle_anchors import LifecycleReader
from symprogram.entitlements._rules_anchors import Instants
from symprogram.entitlements.models import (
    MAX_CUSTOMER_ID,
    Agreement,
    CustomerEntitlements,
    EntitlementCatalogue,
    Grant,
    SupportCase,
    SupportExtension,
)
from symprogram.entitlements.ports import RemoteAccessConsent
from symprogram.entitlements.storage import (
    HoldingsReader,
    StoredCases,
    StoredHoldings,
    audit_entries,
)
from symprogram.errors import IllegalTransition, NotFound, ValidationError
from symprogram.events import DomainEvent, Ledger, Subscriptions
from symprogram.ids import canonical_subject
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
    _lifecycles: LifecycleReader
    _subscriptions: Subscriptions | None = None

    @property
    def catalogue(self) -> EntitlementCatalogue:
        """The catalogue in use."""
        return self._catalogue

    def _now(self) -> datetime:
        return read_clock(self._clock, field="clock")

    def _instant(self, at: object) -> datetime:
        return self._now() if at is None else ensure_utc(at)

    def _record(self, tx: Transaction, event: DomainEvent) -> None:
        """Append ``event`` to its subject's audit, unless the subject is a customer
        whose personal data was erased (:meth:`_erased`): nothing more is recorded
        about it, as about an erased account.

        Raises:
            IllegalTransition: ``customer_erased`` (nothing is written).
        """
        if self._erased(tx, event.subject):
            raise IllegalTransition(
                f"customer {event.subject!r} was erased: nothing more is recorded about it",
                field="customer_id",
                code="customer_erased",
            )
        self._ledger.append(tx, event.subject, event.event_name(), event.payload(), event.at)
        if self._subscriptions is not None:
            self._subscriptions.publish((event,), tx=tx)

    def _erased(self, tx: Transaction, subject: str) -> bool:
        """Whether the personal data of ``subject`` was erased: its audit's newest entry
        is erased (an erasure erases every entry, and nothing is recorded after it;
        one head read and, for a subject with entries, one entry read)."""
        length, _ = self._ledger.head(tx, subject)
        if not length:
            return False
        last = self._ledger.entries(tx, subject, after=length - 1)
        return bool(last) and last[-1].erased

    @staticmethod
    def _customer(customer_id: object) -> str:
        """The checked customer ID in its one spelling: one that reads as a candidate
        ID is that ID's display form (:func:`symprogram.ids.canonical_subject`), so
        every spelling of a candidate's ID is one customer, the one
        ``Program.erase_person`` erases; any other is kept as given.

        Raises:
            ValidationError: ``invalid_customer_id``.
            LimitExceeded: ``customer_id_too_long``.
        """
        return canonical_subject(check_text(customer_id, "customer_id", limit=MAX_CUSTOMER_ID))

    def _read_holdings(
        self, tx: Transaction, customer_id: str, *, token: object = None
    ) -> CustomerEntitlements | None:
        """The holdings a decision decides with (``None``: none stored), only if they
        are as the customer's audit says (compared once per stored version and audit
        head, see :class:`~symprogram.entitlements.storage.HoldingsReader`; ``token``:
        the store's change token read before ``tx`` was opened).

        Raises:
            IntegrityError: ``record_corrupt``.
        """
        return self._reader.read(tx, customer_id, token=token)

    def _audit_of(self, tx: Transaction, customer_id: str) -> tuple[SaidEntries, Instants]:
        """The customer's audit entries, as ``(kind, data)`` pairs, and their instants."""
        return audit_entries(self._ledger, tx, customer_id)

    def _anchored_holdings(self, tx: Transaction, customer_id: str) -> CustomerEntitlements:
        """The customer's holdings read locked (an empty record if none is stored), if
        they are as the customer's audit says (one read of it, after the lock: every
        writer of the holdings locks them first, so the audit holds each change of
        them committed before; :func:`~symprogram.entitlements.rules.require_holdings_anchored`).

        Raises:
            IntegrityError: ``record_corrupt``.
        """
        holdings = self._holdings_for(tx, customer_id, for_update=True)
        if holdings.version == 0:  # none stored: nothing to decide with, nothing forged
            return holdings
        return rules.require_holdings_anchored(holdings, *self._audit_of(tx, customer_id))

    @staticmethod
    def _holdings_for(
        tx: Transaction, customer_id: str, *, for_update: bool = False
    ) -> CustomerEntitlements:
        return StoredHoldings(tx).get_or_empty(customer_id, for_update=for_update)

    def _require_covered(self, tx: Transaction, case: SupportCase, at: datetime) -> None:
        """Refuse to go on with ``case`` unless its customer is entitled to support for
        its product (and release) at ``at``: the support services are provided "for
        Software covered under active Support Agreements" (the Enterprise Support
        page), so escalating a case or starting remote diagnostics on it stops once
        the agreement expired or was cancelled; closing it does not.

        Raises:
            PermissionDenied: the first reason (``agreement_expired``, ...).
            IntegrityError: the holdings are not as the customer's audit says
                (``record_corrupt``).
        """
        # read locked: a cancellation or suspension racing this waits for it, or is
        # seen (a server's READ COMMITTED would let it commit in between); and only
        # holdings as the audit says them decide
        holdings = self._anchored_holdings(tx, case.customer_id)
        coverage = self._coverage(tx, holdings, case.product, case.release, at)
        rules.require_support(coverage, case)

    def _coverage(
        self,
        tx: Transaction,
        holdings: CustomerEntitlements | None,
        product: str,
        release: str | None,
        at: datetime,
        *,
        token: object = None,
    ) -> Decision:
        """What ``holdings`` give for support of ``product`` (``release``) at ``at``; the
        release's dates are read from the product's stored lifecycle only if it is as
        the product's audit says (``token``: the store's change token read before
        ``tx`` was opened; see
        :class:`~symprogram.entitlements._lifecycle_anchors.LifecycleReader`).

        Raises:
            IntegrityError: the lifecycle is not as the audit says (``record_corrupt``).
        """
        lifecycle = self._lifecycles.read(tx, product, token=token) if release is not None else None
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
        if not self._audit_says(tx, case.customer_id, partial(rules.case_anchored, case)):
            raise NotFound(
                f"no entitlements case {case_id!r}",
                code="entitlements_case_not_found",
                details={"key": case_id},
            )
        return case

    def _audit_says(
        self, tx: Transaction, customer_id: str, anchored: Callable[[SaidEntries], bool]
    ) -> bool:
        """Whether ``anchored`` holds of the customer's audit entries (one read of it)."""
        try:
            return anchored(self._ledger.said_entries(tx, customer_id))
        except ValidationError:  # a customer ID no stream can have: nobody recorded it
            return False

    def _recorded_agreement(
        self, tx: Transaction, holdings: CustomerEntitlements, agreement_id: str
    ) -> Agreement:
        """The agreement ``agreement_id`` of ``holdings`` (read locked, or in a read-only
        unit of work), if it is the one the customer's audit recorded, field by field
        and with the status changes the audit gives it
        (:func:`~symprogram.entitlements.rules.require_agreement_anchored`): one read of
        the audit. An agreement written into the holdings by hand (with an
        ``entitlements_agreement_id`` index entry of its own or not) or put back from
        before a later entry (a cancelled agreement put back as active) is refused as
        absent, as a case is; one the audit recorded, edited in place (its level, days,
        products, a status change's instant), is refused as corrupt.

        Raises:
            NotFound: ``agreement_not_found``.
            IntegrityError: ``record_corrupt``.
        """
        found = rules.held_agreement(holdings, agreement_id)
        return rules.require_agreement_anchored(found, *self._audit_of(tx, holdings.customer_id))

    def _recorded_extension(
        self, tx: Transaction, holdings: CustomerEntitlements, extension_id: str
    ) -> SupportExtension:
        """The support extension ``extension_id`` of ``holdings``, if it is the one its
        customer's audit recorded
        (:func:`~symprogram.entitlements.rules.require_extension_anchored`), as
        :meth:`_recorded_agreement`.

        Raises:
            NotFound: ``extension_not_found``.
            IntegrityError: ``record_corrupt``.
        """
        found = rules.held_extension(holdings, extension_id)
        return rules.require_extension_anchored(found, *self._audit_of(tx, holdings.customer_id))

    def _recorded_grant(
        self, tx: Transaction, holdings: CustomerEntitlements, grant_id: object
    ) -> Grant:
        """The grant ``grant_id`` of ``holdings`` (read locked), if it is the one its
        customer's audit granted (:func:`~symprogram.entitlements.rules.require_grant_anchored`),
        as :meth:`_recorded_agreement`.

        Raises:
            ValidationError: not an identifier (``invalid_grant_id``).
            NotFound: ``grant_not_found``.
            IntegrityError: ``record_corrupt``.
        """
        found = rules.held_grant(holdings, grant_id)
        return rules.require_grant_anchored(found, *self._audit_of(tx, holdings.customer_id))
