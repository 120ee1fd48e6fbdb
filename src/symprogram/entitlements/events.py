"""Domain events of the entitlements context, appended to each customer's audit ledger.

Every change (agreements, grants, extensions, cases, escalations, remote
sessions) appends one event to a tamper-evident, hash-chained stream per
customer (:class:`~symprogram.events.Ledger` named ``"entitlements"``), so
"who escalated, when and why" can be proved later.
"""

from __future__ import annotations

from datetime import date

import attrs

from symprogram.events import DomainEvent

__all__ = [
    "AgreementRecorded",
    "AgreementStatusChanged",
    "CaseClosed",
    "CaseEscalated",
    "CaseOpened",
    "EntitlementGranted",
    "EntitlementRevoked",
    "ExtensionRecorded",
    "ExtensionStatusChanged",
    "ReleaseRegistered",
    "RemoteSessionEnded",
    "RemoteSessionStarted",
]


@attrs.frozen
class AgreementRecorded(DomainEvent):
    """A support agreement was recorded (``subject``: the customer)."""

    agreement_id: str
    level: str
    products: tuple[str, ...]
    starts_on: date
    ends_on: date
    by: str


@attrs.frozen
class AgreementStatusChanged(DomainEvent):
    """An agreement was suspended, reinstated or cancelled."""

    agreement_id: str
    status: str
    by: str
    reason: str


@attrs.frozen
class EntitlementGranted(DomainEvent):
    """A courtesy or temporary entitlement was granted."""

    grant_id: str
    kind: str
    level: str
    products: tuple[str, ...]
    starts_on: date
    ends_on: date
    reason: str
    approver: str
    by: str


@attrs.frozen
class EntitlementRevoked(DomainEvent):
    """A grant was revoked (effective at the event's instant)."""

    grant_id: str
    by: str
    reason: str


@attrs.frozen
class ExtensionRecorded(DomainEvent):
    """A support extension agreement was recorded."""

    extension_id: str
    product: str
    releases: tuple[str, ...]
    starts_on: date
    ends_on: date
    by: str


@attrs.frozen
class ExtensionStatusChanged(DomainEvent):
    """A support extension was suspended, reinstated or cancelled."""

    extension_id: str
    status: str
    by: str
    reason: str


@attrs.frozen
class ReleaseRegistered(DomainEvent):
    """A product release and its support dates were registered (``subject``: the product)."""

    release: str
    end_of_standard_support: date
    end_of_life: date | None


@attrs.frozen
class CaseOpened(DomainEvent):
    """A support case was opened (``release``: the release it is about, ``None``:
    none named; entries written before it was recorded do not hold it)."""

    case_id: str
    product: str
    severity: str
    by: str
    release: str | None = None


@attrs.frozen
class CaseEscalated(DomainEvent):
    """A case moved one level up the Global Escalation Process."""

    case_id: str
    from_level: int
    to_level: int
    by: str
    reason: str


@attrs.frozen
class CaseClosed(DomainEvent):
    """A case was closed."""

    case_id: str
    by: str


@attrs.frozen
class RemoteSessionStarted(DomainEvent):
    """A remote session started after the consent check passed."""

    case_id: str
    session_id: str
    terms_version: str
    by: str


@attrs.frozen
class RemoteSessionEnded(DomainEvent):
    """A remote session ended."""

    case_id: str
    session_id: str
    by: str
