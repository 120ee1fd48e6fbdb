"""What the entitlements service needs from the outside: storage and consent.

Storage is built on the generic port (:class:`~symprogram.persistence.Repository`
and a unique index), so it works on every adapter. Remote-access consent is
asked through :class:`RemoteAccessConsent`, a small protocol that the consent
context satisfies (through an adapter wired in ``program.py``);
:class:`InMemoryRemoteAccessConsent` is a simple implementation for tests and
demos.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Protocol, runtime_checkable

from symprogram.clock import ensure_utc
from symprogram.entitlements.models import (
    CustomerEntitlements,
    ProductLifecycle,
    SupportCase,
    check_text,
)
from symprogram.persistence import Repository, Transaction

__all__ = [
    "CaseRepository",
    "HoldingsRepository",
    "InMemoryRemoteAccessConsent",
    "LifecycleRepository",
    "RemoteAccessConsent",
    "StoredCases",
    "StoredHoldings",
    "StoredLifecycles",
]

HOLDINGS_KIND = "entitlements_customer"
CASE_KIND = "entitlements_case"
LIFECYCLE_KIND = "entitlements_product"
AGREEMENT_INDEX = "entitlements_agreement_id"
EXTENSION_INDEX = "entitlements_extension_id"


@runtime_checkable
class RemoteAccessConsent(Protocol):
    """Answers whether a customer expressly consented to a version of the remote-access terms.

    Seed: "Before implementing such remote access we will require your express
    consent to the service terms."
    """

    def has_consented(self, customer_id: str, terms_version: str, at: datetime) -> bool:
        """Whether ``customer_id`` had expressly consented to ``terms_version`` at ``at``."""
        ...


class InMemoryRemoteAccessConsent:
    """A :class:`RemoteAccessConsent` kept in memory, for tests and demos. Thread-safe.

    Example:
        >>> from datetime import datetime, timezone
        >>> consent = InMemoryRemoteAccessConsent()
        >>> at = datetime(2011, 2, 1, tzinfo=timezone.utc)
        >>> consent.give("C-1", "2011-01", at)
        >>> consent.has_consented("C-1", "2011-01", at), consent.has_consented("C-1", "2012-01", at)
        (True, False)
    """

    def __init__(self) -> None:
        self._events: dict[tuple[str, str], list[tuple[datetime, bool]]] = {}
        self._lock = threading.Lock()

    def give(self, customer_id: str, terms_version: str, at: datetime) -> None:
        """Record express consent to ``terms_version`` from ``at`` on."""
        self._record(customer_id, terms_version, at, True)

    def withdraw(self, customer_id: str, terms_version: str, at: datetime) -> None:
        """Record the withdrawal of consent to ``terms_version`` from ``at`` on."""
        self._record(customer_id, terms_version, at, False)

    def _record(self, customer_id: str, terms_version: str, at: datetime, given: bool) -> None:
        check_text(customer_id, "customer_id")
        check_text(terms_version, "terms_version")
        instant = ensure_utc(at)
        with self._lock:
            events = self._events.setdefault((customer_id, terms_version), [])
            events.append((instant, given))
            events.sort(key=lambda event: event[0])

    def has_consented(self, customer_id: str, terms_version: str, at: datetime) -> bool:
        """Whether the latest event at or before ``at`` for that version is a consent."""
        instant = ensure_utc(at)
        with self._lock:
            events = list(self._events.get((customer_id, terms_version), ()))
        state = False
        for when, given in events:
            if when <= instant:
                state = given
        return state


class HoldingsRepository(Protocol):
    """Stores one :class:`CustomerEntitlements` record per customer."""

    def find(self, customer_id: str) -> CustomerEntitlements | None:
        """The customer's holdings, or ``None``."""
        ...

    def save(self, holdings: CustomerEntitlements) -> CustomerEntitlements:
        """Insert (version 0) or update the holdings; returns them with the new version."""
        ...


class CaseRepository(Protocol):
    """Stores support cases by case id."""

    def find(self, case_id: str) -> SupportCase | None:
        """The case, or ``None``."""
        ...

    def get(self, case_id: str) -> SupportCase:
        """The case; NotFound (``entitlements_case_not_found``) if absent."""
        ...

    def add(self, case: SupportCase) -> SupportCase:
        """Store a new case; Conflict (``entitlements_case_exists``) if the id is taken."""
        ...

    def save(self, case: SupportCase) -> SupportCase:
        """Store a changed case; ConcurrencyError if stale."""
        ...


class LifecycleRepository(Protocol):
    """Stores the release lifecycle of each product."""

    def find(self, product: str) -> ProductLifecycle | None:
        """The product's lifecycle, or ``None``."""
        ...

    def save(self, lifecycle: ProductLifecycle) -> ProductLifecycle:
        """Insert or update a lifecycle."""
        ...


class StoredHoldings:
    """:class:`HoldingsRepository` on the generic storage port."""

    def __init__(self, tx: Transaction) -> None:
        self._repo = Repository(tx, HOLDINGS_KIND, CustomerEntitlements, key=_holdings_key)

    def find(self, customer_id: str) -> CustomerEntitlements | None:
        """The customer's holdings, or ``None``."""
        return self._repo.find(customer_id)

    def save(self, holdings: CustomerEntitlements) -> CustomerEntitlements:
        """Insert (version 0) or update the holdings."""
        if holdings.version == 0:
            return self._repo.add(holdings)
        return self._repo.save(holdings)


class StoredCases:
    """:class:`CaseRepository` on the generic storage port."""

    def __init__(self, tx: Transaction) -> None:
        self._repo = Repository(tx, CASE_KIND, SupportCase, key=_case_key)

    def find(self, case_id: str) -> SupportCase | None:
        """The case, or ``None``."""
        return self._repo.find(case_id)

    def get(self, case_id: str) -> SupportCase:
        """The case; NotFound if absent."""
        return self._repo.get(case_id)

    def add(self, case: SupportCase) -> SupportCase:
        """Store a new case."""
        return self._repo.add(case)

    def save(self, case: SupportCase) -> SupportCase:
        """Store a changed case."""
        return self._repo.save(case)


class StoredLifecycles:
    """:class:`LifecycleRepository` on the generic storage port."""

    def __init__(self, tx: Transaction) -> None:
        self._repo = Repository(tx, LIFECYCLE_KIND, ProductLifecycle, key=_lifecycle_key)

    def find(self, product: str) -> ProductLifecycle | None:
        """The product's lifecycle, or ``None``."""
        return self._repo.find(product)

    def save(self, lifecycle: ProductLifecycle) -> ProductLifecycle:
        """Insert or update a lifecycle."""
        if lifecycle.version == 0:
            return self._repo.add(lifecycle)
        return self._repo.save(lifecycle)


def _holdings_key(holdings: CustomerEntitlements) -> str:
    return holdings.customer_id


def _case_key(case: SupportCase) -> str:
    return case.case_id


def _lifecycle_key(lifecycle: ProductLifecycle) -> str:
    return lifecycle.product
