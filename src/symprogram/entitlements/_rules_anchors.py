"""Rules of the holdings anchored to the audit: the stored record against the ledger (pure).

The audit is keyed and chained; the stored :class:`CustomerEntitlements` is not.
A holdings row put back from before a revocation or a cancellation would give
access again while every chain verifies, so the audit's verification also
replays, from the customer's entries, what the ledger says of each agreement,
grant and support extension and compares it with the stored record
(``aggregate_mismatch``; the kernel's :mod:`symprogram._anchors` runs it):

- **agreements**: ``agreement_recorded`` makes one ``active``; each
  ``agreement_status_changed`` sets its ``status``;
- **grants**: ``entitlement_granted`` makes one ``active``;
  ``entitlement_revoked`` makes it ``revoked``;
- **support extensions**: ``extension_recorded`` and ``extension_status_changed``,
  as agreements.

Every record the ledger names must be stored with that state, and every stored
record must be named by the ledger. An entry of a kind whose data was erased
(the right to erasure) no longer says which record it was about: the records of
that kind are then not compared at all.

Re-exported by :mod:`symprogram.entitlements.rules`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from symprogram._anchors import AggregateDifference
from symprogram.entitlements.events import (
    AgreementRecorded,
    AgreementStatusChanged,
    EntitlementGranted,
    EntitlementRevoked,
    ExtensionRecorded,
    ExtensionStatusChanged,
)
from symprogram.entitlements.models import AgreementStatus, CustomerEntitlements
from symprogram.entitlements.ports import HOLDINGS_KIND

__all__ = ["holdings_differences"]

_ACTIVE = AgreementStatus.ACTIVE.value
_REVOKED = "revoked"


@attrs.frozen
class _Records:
    """One kind of record of the holdings, as the audit names it."""

    name: str
    id_field: str
    opened: str
    changed: str
    suffix: str


_AGREEMENTS = _Records(
    "agreements",
    "agreement_id",
    AgreementRecorded.event_name(),
    AgreementStatusChanged.event_name(),
    ".status",
)
_GRANTS = _Records(
    "grants", "grant_id", EntitlementGranted.event_name(), EntitlementRevoked.event_name(), ""
)
_EXTENSIONS = _Records(
    "extensions",
    "extension_id",
    ExtensionRecorded.event_name(),
    ExtensionStatusChanged.event_name(),
    ".status",
)


def _said(data: Mapping[str, Any] | None, name: str) -> str | None:
    value = None if data is None else data.get(name)
    return value if isinstance(value, str) else None


def _replay(
    records: _Records, entries: Sequence[tuple[str, Mapping[str, Any] | None]]
) -> dict[str, str] | None:
    """Each record's state as the ledger says it (``None``: an erased entry hides one)."""
    states: dict[str, str] = {}
    for kind, data in entries:
        if kind != records.opened and kind != records.changed:
            continue
        identifier = _said(data, records.id_field)
        if identifier is None:
            return None
        if kind == records.opened:
            states[identifier] = _ACTIVE
        elif records is _GRANTS:
            states[identifier] = _REVOKED
        else:
            status = _said(data, "status")
            if status is None:
                return None
            states[identifier] = status
    return states


def _stored(holdings: CustomerEntitlements | None) -> dict[str, dict[str, str]]:
    if holdings is None:
        return {"agreements": {}, "grants": {}, "extensions": {}}
    return {
        "agreements": {a.agreement_id: a.status.value for a in holdings.agreements},
        "grants": {
            g.grant_id: _ACTIVE if g.revoked_at is None else _REVOKED for g in holdings.grants
        },
        "extensions": {e.extension_id: e.status.value for e in holdings.extensions},
    }


def holdings_differences(
    customer_id: str,
    holdings: CustomerEntitlements | None,
    entries: Iterable[tuple[str, Mapping[str, Any] | None]],
) -> tuple[AggregateDifference, ...]:
    """Where the stored ``holdings`` differ from what the customer's audit ``entries`` say.

    Args:
        customer_id: the customer (the record's key).
        holdings: the stored record (``None``: none).
        entries: the audit's ``(kind, data)`` pairs, oldest first (``data``
            ``None`` once erased).

    Returns:
        one difference per record: ``agreements[<id>].status`` (``active``,
        ``suspended``, ``cancelled``), ``grants[<id>]`` (``active`` or
        ``revoked``), ``extensions[<id>].status``; a record one side does not
        have has the value ``None`` on that side. None when they agree.
    """
    given = list(entries)
    stored = _stored(holdings)
    found: list[AggregateDifference] = []
    for records in (_AGREEMENTS, _GRANTS, _EXTENSIONS):
        said = _replay(records, given)
        if said is None:
            continue
        mine = stored[records.name]
        for identifier in sorted(said.keys() | mine.keys()):
            have, want = mine.get(identifier), said.get(identifier)
            if have == want:
                continue
            field = f"{records.name}[{identifier}]"
            if have is not None and want is not None:
                field += records.suffix
            found.append(AggregateDifference(HOLDINGS_KIND, customer_id, field, have, want))
    return tuple(found)
