"""Rules of the right to erasure in the entitlements context: pure functions.

A customer ID that is a candidate ID names a person; erasing them replaces every
free-text field of their holdings and support cases (summaries, reasons, the
``by`` fields naming who acted) with :data:`ERASED`. Identifiers, products,
levels, dates and statuses stay: they are pseudonymous and keep the decisions
"who could read what, when" explainable.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import attrs

from symprogram.entitlements.events import CaseOpened
from symprogram.entitlements.models import (
    Agreement,
    CustomerEntitlements,
    EscalationStep,
    Grant,
    RemoteSession,
    StatusChange,
    SupportCase,
    SupportExtension,
)
from symprogram.ledger import LedgerEntry

__all__ = ["ERASED", "erased_case", "erased_holdings", "opened_case_ids"]

C = TypeVar("C", Agreement, SupportExtension)

ERASED = "[erased]"
"""What replaces every erased text field (the accounts context's marker too)."""


def _maybe(value: str | None) -> str | None:
    return None if value is None else ERASED


def _changes(changes: tuple[StatusChange, ...]) -> tuple[StatusChange, ...]:
    return tuple(attrs.evolve(c, by=ERASED, reason=ERASED) for c in changes)


def _contract(contract: C) -> C:
    """An agreement or a support extension: who recorded it and every status change's note."""
    return attrs.evolve(
        contract, created_by=ERASED, status_changes=_changes(contract.status_changes)
    )


def _grant(grant: Grant) -> Grant:
    return attrs.evolve(
        grant,
        reason=ERASED,
        approver=ERASED,
        granted_by=ERASED,
        revoked_by=_maybe(grant.revoked_by),
        revocation_reason=_maybe(grant.revocation_reason),
    )


def erased_holdings(holdings: CustomerEntitlements) -> CustomerEntitlements:
    """``holdings`` with every ``by``, approver and reason replaced by :data:`ERASED`."""
    return attrs.evolve(
        holdings,
        agreements=tuple(_contract(a) for a in holdings.agreements),
        grants=tuple(_grant(g) for g in holdings.grants),
        extensions=tuple(_contract(e) for e in holdings.extensions),
    )


def _step(step: EscalationStep) -> EscalationStep:
    return attrs.evolve(step, by=ERASED, reason=ERASED)


def _session(session: RemoteSession) -> RemoteSession:
    return attrs.evolve(session, started_by=ERASED, ended_by=_maybe(session.ended_by))


def erased_case(case: SupportCase) -> SupportCase:
    """``case`` with its summary and every ``by`` and reason replaced by :data:`ERASED`."""
    return attrs.evolve(
        case,
        summary=ERASED,
        opened_by=ERASED,
        escalations=tuple(_step(s) for s in case.escalations),
        remote_sessions=tuple(_session(s) for s in case.remote_sessions),
    )


def opened_case_ids(entries: Iterable[LedgerEntry]) -> tuple[str, ...]:
    """The ids of the cases the audit entries say were opened (erased entries skipped)."""
    found: dict[str, None] = {}
    for entry in entries:
        if entry.kind == CaseOpened.event_name() and entry.data is not None:
            case_id = entry.data.get("case_id")
            if isinstance(case_id, str):
                found[case_id] = None
    return tuple(found)
