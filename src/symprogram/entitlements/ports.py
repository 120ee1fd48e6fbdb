"""What the entitlements context needs from the outside: the record kinds it stores,
its repositories' protocols, and remote-access consent.

Storage is built on the generic port (:class:`~symprogram.persistence.Repository`
and a unique index), so it works on every adapter; the repositories themselves
are in :mod:`symprogram.entitlements.storage`. Remote-access consent is asked
through :class:`RemoteAccessConsent`, a small protocol that the consent context
satisfies (through an adapter wired in ``program.py``);
:class:`~symprogram.entitlements.InMemoryRemoteAccessConsent` is a simple
implementation for tests and demos.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from symprogram._deprecation import module_getattr
from symprogram.entitlements.models import CustomerEntitlements, ProductLifecycle, SupportCase
from symprogram.persistence import Aggregates

__all__ = [
    "AGREEMENT_INDEX",
    "CASE_KIND",
    "CASE_INDEX",
    "EXTENSION_INDEX",
    "HOLDINGS_KIND",
    "LIFECYCLE_KIND",
    "RECORD_KINDS",
    "CaseRepository",
    "HoldingsRepository",
    "LifecycleRepository",
    "RemoteAccessConsent",
]

HOLDINGS_KIND = "entitlements_customer"
"""Record kind of a customer's :class:`~symprogram.entitlements.CustomerEntitlements`."""

CASE_KIND = "entitlements_case"
"""Record kind of a :class:`~symprogram.entitlements.SupportCase`."""

LIFECYCLE_KIND = "entitlements_product"
"""Record kind of a :class:`~symprogram.entitlements.ProductLifecycle`."""

AGREEMENT_INDEX = "entitlements_agreement_id"
"""Unique index: agreement id -> the customer holding it."""

EXTENSION_INDEX = "entitlements_extension_id"
"""Unique index: extension id -> the customer holding it."""

CASE_INDEX = "entitlements_case_id"
"""Index: case id -> the customer that opened it (written by ``open_case``). Not an
anchor: ``get_case`` answers a case only when its customer's audit opened it."""

RECORD_KINDS = (HOLDINGS_KIND, CASE_KIND, LIFECYCLE_KIND)
"""Every record kind the context stores (its audit ledger is a stream of its own)."""


@runtime_checkable
class RemoteAccessConsent(Protocol):
    """Answers whether a customer expressly consented to a version of the remote-access terms.

    The page: "Before implementing such remote access we will require your express
    consent to the service terms."
    """

    def has_consented(self, customer_id: str, terms_version: str, at: datetime) -> bool:
        """Whether ``customer_id`` had expressly consented to ``terms_version`` at ``at``."""
        ...


class HoldingsRepository(Protocol):
    """Stores one :class:`~symprogram.entitlements.CustomerEntitlements` record per customer."""

    def find(self, customer_id: str) -> CustomerEntitlements | None:
        """The customer's holdings, or ``None``."""
        ...

    def save(self, holdings: CustomerEntitlements) -> CustomerEntitlements:
        """Insert (version 0) or update the holdings; returns them with the new version."""
        ...


class CaseRepository(Aggregates[SupportCase], Protocol):
    """Stores support cases by case id.

    Codes: ``entitlements_case_not_found`` (:meth:`get`), ``entitlements_case_exists``
    (:meth:`add`).
    """


class LifecycleRepository(Protocol):
    """Stores the release lifecycle of each product."""

    def find(self, product: str) -> ProductLifecycle | None:
        """The product's lifecycle, or ``None``."""
        ...

    def save(self, lifecycle: ProductLifecycle) -> ProductLifecycle:
        """Insert or update a lifecycle."""
        ...


__getattr__ = module_getattr(
    __name__,
    {
        "StoredHoldings": ("symprogram.entitlements.storage", "StoredHoldings"),
        "StoredCases": ("symprogram.entitlements.storage", "StoredCases"),
        "StoredLifecycles": ("symprogram.entitlements.storage", "StoredLifecycles"),
        "InMemoryRemoteAccessConsent": (
            "symprogram.entitlements.remote_access",
            "InMemoryRemoteAccessConsent",
        ),
    },
)
