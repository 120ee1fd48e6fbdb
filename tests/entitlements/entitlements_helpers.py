"""Helpers shared by the entitlements tests: an environment on a store."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from _programs import open_store
from symprogram.clock import FixedClock
from symprogram.entitlements import (
    CustomerEntitlements,
    EntitlementsService,
    InMemoryRemoteAccessConsent,
)
from symprogram.entitlements.events import (
    AgreementRecorded,
    AgreementStatusChanged,
    EntitlementGranted,
    EntitlementRevoked,
    ExtensionRecorded,
    ExtensionStatusChanged,
)
from symprogram.entitlements.storage import StoredHoldings
from symprogram.events import DomainEvent, Ledger
from symprogram.persistence import Store

START = datetime(2012, 3, 1, 9, 0, tzinfo=UTC)
KINDS = ("entitlements_customer", "entitlements_case", "entitlements_product", "ledger_head")
INDEXES = ("entitlements_agreement_id", "entitlements_extension_id")


class Env:
    """A service with its store, clock and remote-access consent."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.clock = FixedClock(START)
        self.consent = InMemoryRemoteAccessConsent()
        self.service = EntitlementsService(store, self.clock, remote_access_consent=self.consent)

    def snapshot(self, *index_values: str) -> dict[str, Any]:
        """Every record, stream and the given index values the context stored."""
        out: dict[str, Any] = {}
        with self.store.transaction(readonly=True) as tx:
            for kind in KINDS:
                out[kind] = [(r.key, r.version, r.data) for r in tx.scan(kind, limit=10_000)]
            for name in tx.streams(prefix="entitlements:", limit=10_000):
                out[name] = tx.read(name)
            for index in INDEXES:
                for value in index_values:
                    out[f"{index}:{value}"] = tx.index_get(index, value)
        return out


def audit_events(holdings: CustomerEntitlements) -> list[DomainEvent]:
    """The audit entries the flows would have written for ``holdings``: each agreement,
    grant and extension recorded at its instant, then its status changes (or
    revocation), as the entitlement decisions require them (they decide only with
    holdings that are as the audit says)."""
    who = holdings.customer_id
    events: list[DomainEvent] = []
    for a in holdings.agreements:
        products = tuple(sorted(a.products))
        events.append(
            AgreementRecorded(
                who,
                a.created_at,
                a.agreement_id,
                a.level,
                products,
                a.starts_on,
                a.ends_on,
                a.created_by,
            )
        )
        events += [
            AgreementStatusChanged(who, c.at, a.agreement_id, c.status.value, c.by, c.reason)
            for c in a.status_changes
        ]
    for g in holdings.grants:
        events.append(
            EntitlementGranted(
                who,
                g.granted_at,
                g.grant_id,
                g.kind.value,
                g.level,
                tuple(sorted(g.products)),
                g.starts_on,
                g.ends_on,
                g.reason,
                g.approver,
                g.granted_by,
            )
        )
        if g.revoked_at is not None:
            by, reason = g.revoked_by, g.revocation_reason  # as stored, even if None
            events.append(EntitlementRevoked(who, g.revoked_at, g.grant_id, by, reason))  # type: ignore[arg-type]
    for x in holdings.extensions:
        releases = tuple(sorted(x.releases))
        events.append(
            ExtensionRecorded(
                who,
                x.created_at,
                x.extension_id,
                x.product,
                releases,
                x.starts_on,
                x.ends_on,
                x.created_by,
            )
        )
        events += [
            ExtensionStatusChanged(who, c.at, x.extension_id, c.status.value, c.by, c.reason)
            for c in x.status_changes
        ]
    return events


def save_holdings(
    store: Store, holdings: CustomerEntitlements, *, key: bytes | None = None
) -> None:
    """Store ``holdings`` straight into ``store`` with the audit entries that record them
    (:func:`audit_events`, in the ledger ``entitlements`` keyed with ``key``)."""
    ledger = Ledger("entitlements", key=key)
    with store.transaction() as tx:
        StoredHoldings(tx).save(holdings)
        for event in audit_events(holdings):
            ledger.append(tx, event.subject, event.event_name(), event.payload(), event.at)


def make_store(kind: str, tmp_path: Path) -> Store:
    """A fresh store of ``kind`` (built by ``_programs.open_store``)."""
    return open_store(kind, tmp_path, name="entitlements.db")


def to_toml(data: dict[str, Any]) -> str:
    """``data`` (parsed TOML: tables, arrays, text, numbers, booleans, dates) as TOML text.

    Every top-level key becomes one line ``key = value`` with inline tables, so
    that a test can change parsed catalogue data and load it with ``from_toml``.
    """
    return "".join(f"{json.dumps(key)} = {_toml_value(value)}\n" for key, value in data.items())


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        items = (f"{json.dumps(key)} = {_toml_value(item)}" for key, item in value.items())
        return "{" + ", ".join(items) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")
