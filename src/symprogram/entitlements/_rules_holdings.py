"""Rules of holdings: what a customer's agreements and grants give at an instant, and why.

What the holdings give for a level is found in two steps: a *scan* sorts the
records into what :class:`Found` names (the best record in force, the best one
below the level asked for, the latest expired, ...), and :func:`explain` turns
that into reasons and a hint. :func:`scan_holdings` is the one pass used on the
hot path; :func:`scan_holdings_reference` says the same thing one plain rule at
a time, and a property test checks that the two agree on every input.
Re-exported by :mod:`symprogram.entitlements.rules`, whose docstring lists the
reason codes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar

import attrs

from symprogram.decisions import Reason
from symprogram.entitlements.models import (
    Agreement,
    AgreementStatus,
    CustomerEntitlements,
    EntitlementCatalogue,
    Grant,
    GrantKind,
)

__all__ = [
    "Found",
    "entitlement_reasons",
    "entitlement_reasons_reference",
    "explain",
    "scan_holdings",
    "scan_holdings_reference",
]

_S = TypeVar("_S", Agreement, Grant)

_ALLOW_PRIORITY = {"agreement": 0, GrantKind.COURTESY: 1, GrantKind.TEMPORARY: 2}


# --------------------------------------------------------------------------- levels


def _level_name(catalogue: EntitlementCatalogue, level_id: str) -> str:
    level = catalogue.level(level_id)
    return level.name if level is not None else level_id


def _rank(catalogue: EntitlementCatalogue, level_id: str) -> int:
    rank = catalogue.rank(level_id)
    return -1 if rank is None else rank  # an unknown level never gives access


_REASONS: dict[tuple[int, int], tuple[object, object, Reason]] = {}


def _allow_reason(catalogue: EntitlementCatalogue, source: Agreement | Grant) -> Reason:
    # Memoized by identity: holdings are decoded once per stored version, so the
    # same source object comes back call after call (the hot path of decide()).
    key = (id(source), id(catalogue))
    cached = _REASONS.get(key)
    if cached is not None and cached[0] is source and cached[1] is catalogue:
        return cached[2]
    name = _level_name(catalogue, source.level)
    if isinstance(source, Agreement):
        reason = Reason(
            "active_agreement",
            f"active {name} agreement {source.agreement_id} (last day {source.ends_on})",
            {"agreement_id": source.agreement_id, "level": source.level, "ends_on": source.ends_on},
        )
    else:
        reason = Reason(
            f"{source.kind.value}_entitlement",
            f"{source.kind.value} entitlement at {name} until {source.ends_on}",
            {"grant_id": source.grant_id, "level": source.level, "until": source.ends_on},
        )
    if len(_REASONS) >= 8192:
        _REASONS.clear()
    _REASONS[key] = (source, catalogue, reason)
    return reason


def _allow_key(source: Agreement | Grant) -> tuple[int, int, str]:
    if isinstance(source, Agreement):
        return (0, -source.ends_on.toordinal(), source.agreement_id)
    return (_ALLOW_PRIORITY[source.kind], -source.ends_on.toordinal(), source.grant_id)


# ---------------------------------------------------------------------------- scans


@attrs.define
class Found:
    """What a customer's holdings hold at an instant, for the level asked for.

    Attributes:
        best: the record in force at that level or higher that gives access
            (agreements first, then courtesy, then temporary grants; the latest
            last day first, then the id).
        low: the highest-ranked record in force below that level (the first such).
        expired: the agreement that ended last (then the greatest id).
        future: the agreement that starts first (then the least id).
        inactive: the agreements whose dates cover the instant but that were
            suspended or cancelled then, with that status, in the order held.
        revoked: the grant with the least id among those revoked by then.
        grant_ended: the grant that ended last (then the greatest id).
        grant_future: the grant that starts first (then the least id).
    """

    best: Agreement | Grant | None = None
    low: Agreement | Grant | None = None
    expired: Agreement | None = None
    future: Agreement | None = None
    inactive: list[tuple[Agreement, AgreementStatus]] = attrs.Factory(list)
    revoked: Grant | None = None
    grant_ended: Grant | None = None
    grant_future: Grant | None = None
    best_key: tuple[int, int, str] | None = attrs.field(default=None, eq=False, repr=False)


def scan_holdings(
    catalogue: EntitlementCatalogue,
    holdings: CustomerEntitlements | None,
    required_level: str,
    at: datetime,
    *,
    product: str | None = None,
) -> Found:
    """Sort ``holdings`` into a :class:`Found` in one pass (the hot path).

    With ``product``, only records covering that product count.
    """
    found = Found()
    if holdings is None:
        return found
    required = _rank(catalogue, required_level)
    day = at.date()
    if holdings.agreements:
        _scan_agreements(found, catalogue, holdings.agreements, required, day, at, product)
    if holdings.grants:
        _scan_grants(found, catalogue, holdings.grants, required, day, at, product)
    return found


def _scan_agreements(
    found: Found,
    catalogue: EntitlementCatalogue,
    agreements: tuple[Agreement, ...],
    required: int,
    day: date,
    at: datetime,
    product: str | None,
) -> None:
    active = AgreementStatus.ACTIVE
    for agreement in agreements:
        if product is not None and product not in agreement.products:
            continue
        if agreement.starts_on <= day <= agreement.ends_on:
            status = agreement.status_at(at) if agreement.status_changes else active
            if status is not active:
                found.inactive.append((agreement, status))
            else:
                _offer(found, catalogue, agreement, required)
        else:
            found.expired, found.future = _outside(agreement, day, found.expired, found.future)


def _scan_grants(
    found: Found,
    catalogue: EntitlementCatalogue,
    grants: tuple[Grant, ...],
    required: int,
    day: date,
    at: datetime,
    product: str | None,
) -> None:
    for grant in grants:
        if product is not None and product not in grant.products:
            continue
        if grant.starts_on <= day <= grant.ends_on:
            if grant.revoked_at is not None and grant.revoked_at <= at:
                if found.revoked is None or grant.grant_id < found.revoked.grant_id:
                    found.revoked = grant
            else:
                _offer(found, catalogue, grant, required)
        else:
            found.grant_ended, found.grant_future = _outside(
                grant, day, found.grant_ended, found.grant_future
            )


def _offer(
    found: Found, catalogue: EntitlementCatalogue, source: Agreement | Grant, required: int
) -> None:
    """Offer ``source``, in force, as the best record (at ``required`` or higher) or the low one."""
    if _rank(catalogue, source.level) >= required:
        _offer_best(found, source)
    else:
        _offer_low(found, catalogue, source)


def _outside(
    source: _S, day: date, ended: _S | None, future: _S | None
) -> tuple[_S | None, _S | None]:
    """The last ended and the first future record, ``source`` (not on ``day``) offered."""
    if source.ends_on < day:
        return (source if ended is None or _last_day(source) > _last_day(ended) else ended), future
    return ended, (source if future is None or _first_day(source) < _first_day(future) else future)


def _offer_best(found: Found, source: Agreement | Grant) -> None:
    if found.best is None:
        found.best = source
        return
    key = _allow_key(source)
    best_key = found.best_key or _allow_key(found.best)
    if key < best_key:
        found.best, best_key = source, key
    found.best_key = best_key


def _offer_low(found: Found, catalogue: EntitlementCatalogue, source: Agreement | Grant) -> None:
    if found.low is None or _rank(catalogue, source.level) > _rank(catalogue, found.low.level):
        found.low = source


def scan_holdings_reference(
    catalogue: EntitlementCatalogue,
    holdings: CustomerEntitlements | None,
    required_level: str,
    at: datetime,
    *,
    product: str | None = None,
) -> Found:
    """:func:`scan_holdings` written one plain rule at a time (the reference).

    Each field of :class:`Found` is the least or greatest record, by its own key,
    of the records a small rule picks; ties go to the record held first.
    """
    day = at.date()
    required = _rank(catalogue, required_level)
    held = holdings if holdings is not None else CustomerEntitlements("nobody")
    agreements = [a for a in held.agreements if _for_product(a, product)]
    grants = [g for g in held.grants if _for_product(g, product)]
    current = [a for a in agreements if a.covers(day)]
    standing = [g for g in grants if g.covers(day)]
    in_force: list[Agreement | Grant] = [
        *(a for a in current if a.status_at(at) is AgreementStatus.ACTIVE),
        *(g for g in standing if not g.revoked_by_then(at)),
    ]

    def rank(source: Agreement | Grant) -> int:
        return _rank(catalogue, source.level)

    return Found(
        best=min((s for s in in_force if rank(s) >= required), key=_allow_key, default=None),
        low=max((s for s in in_force if rank(s) < required), key=rank, default=None),
        expired=max((a for a in agreements if a.ends_on < day), key=_last_day, default=None),
        future=min((a for a in agreements if a.starts_on > day), key=_first_day, default=None),
        inactive=[
            (a, a.status_at(at)) for a in current if a.status_at(at) is not AgreementStatus.ACTIVE
        ],
        revoked=min((g for g in standing if g.revoked_by_then(at)), key=_grant_id, default=None),
        grant_ended=max((g for g in grants if g.ends_on < day), key=_last_day, default=None),
        grant_future=min((g for g in grants if g.starts_on > day), key=_first_day, default=None),
    )


def _for_product(source: Agreement | Grant, product: str | None) -> bool:
    return product is None or product in source.products


def _record_id(source: Agreement | Grant) -> str:
    return source.agreement_id if isinstance(source, Agreement) else source.grant_id


def _last_day(source: Agreement | Grant) -> tuple[date, str]:
    return source.ends_on, _record_id(source)


def _first_day(source: Agreement | Grant) -> tuple[date, str]:
    return source.starts_on, _record_id(source)


def _grant_id(grant: Grant) -> str:
    return grant.grant_id


# -------------------------------------------------------------------------- reasons


def explain(
    catalogue: EntitlementCatalogue,
    found: Found,
    required_level: str,
    *,
    product: str | None = None,
) -> tuple[bool, list[Reason], str | None]:
    """The answer, reasons and hint of what a scan found.

    Returns:
        ``(allowed, reasons, hint)``.
    """
    if found.best is not None:
        reason = _allow_reason(catalogue, found.best)
        if isinstance(found.best, Grant):
            return (
                True,
                [reason],
                f"access through this entitlement ends after {found.best.ends_on}",
            )
        return True, [reason], None
    reasons, hint = _refusal(catalogue, found.low, required_level, product)
    required = _rank(catalogue, required_level)

    def relevant(level: str) -> bool:
        return found.low is None or _rank(catalogue, level) >= required

    hint = _agreement_notes(found, relevant, reasons, hint)
    _grant_notes(found, relevant, reasons)
    return False, reasons, hint


def _refusal(
    catalogue: EntitlementCatalogue,
    low: Agreement | Grant | None,
    required_level: str,
    product: str | None,
) -> tuple[list[Reason], str]:
    required_name = _level_name(catalogue, required_level)
    if low is not None:
        reason = Reason(
            "level_too_low",
            f"{_level_name(catalogue, low.level)} is below {required_name}",
            {"level": low.level, "required": required_level},
        )
        return [reason], f"upgrade to {required_name} or higher"
    reason = Reason(
        "no_active_agreement",
        "no active support agreement or entitlement"
        + ("" if product is None else f" covers {product}"),
        {"required": required_level},
    )
    return [reason], f"a support agreement at {required_name} or higher gives access"


def _agreement_reason(agreement: Agreement, code: str, what: str, **facts: object) -> Reason:
    """The reason ``code``: "agreement <id> <what>", with its id among the facts."""
    return Reason(
        code,
        f"agreement {agreement.agreement_id} {what}",
        {"agreement_id": agreement.agreement_id, **facts},
    )


def _grant_reason(grant: Grant, code: str, what: str, **facts: object) -> Reason:
    """The reason ``code``: "<kind> entitlement <id> <what>", with its id among the facts."""
    return Reason(
        code,
        f"{grant.kind.value} entitlement {grant.grant_id} {what}",
        {"grant_id": grant.grant_id, **facts},
    )


def _agreement_notes(
    found: Found, relevant: Callable[[str], bool], reasons: list[Reason], hint: str
) -> str:
    for agreement, status in sorted(found.inactive, key=lambda item: item[0].agreement_id):
        if relevant(agreement.level):
            reasons.append(
                _agreement_reason(agreement, f"agreement_{status.value}", f"is {status.value}")
            )
            if status is AgreementStatus.SUSPENDED and found.low is None:
                hint = f"reinstate the suspended agreement {agreement.agreement_id}"
    expired = found.expired
    if expired is not None and relevant(expired.level):
        what = f"expired on {expired.ends_on} (its last day)"
        reasons.append(
            _agreement_reason(expired, "agreement_expired", what, ended_on=expired.ends_on)
        )
        if found.low is None and not found.inactive:
            hint = f"renew the support agreement that expired on {expired.ends_on}"
    future = found.future
    if future is not None and relevant(future.level):
        what = f"starts on {future.starts_on}"
        reasons.append(
            _agreement_reason(future, "agreement_not_started", what, starts_on=future.starts_on)
        )
    return hint


def _grant_notes(found: Found, relevant: Callable[[str], bool], reasons: list[Reason]) -> None:
    revoked = found.revoked
    if revoked is not None and relevant(revoked.level):
        reasons.append(
            _grant_reason(
                revoked, "entitlement_revoked", "was revoked", revoked_at=revoked.revoked_at
            )
        )
    ended = found.grant_ended
    if ended is not None and relevant(ended.level):
        what = f"ended on {ended.ends_on}"
        reasons.append(_grant_reason(ended, "entitlement_expired", what, ended_on=ended.ends_on))
    future = found.grant_future
    if future is not None and relevant(future.level):
        what = f"starts on {future.starts_on}"
        reasons.append(
            _grant_reason(future, "entitlement_not_started", what, starts_on=future.starts_on)
        )


def entitlement_reasons(
    catalogue: EntitlementCatalogue,
    holdings: CustomerEntitlements | None,
    required_level: str,
    at: datetime,
    *,
    product: str | None = None,
) -> tuple[bool, list[Reason], str | None]:
    """Whether ``holdings`` give ``required_level`` or higher at ``at``, with the reasons.

    Only records valid at ``at`` give access. When nothing does, the reasons
    explain what is there instead (expired, not started, suspended, cancelled,
    revoked). With ``product``, only records covering that product count.

    Returns:
        ``(allowed, reasons, hint)``.
    """
    found = scan_holdings(catalogue, holdings, required_level, at, product=product)
    return explain(catalogue, found, required_level, product=product)


def entitlement_reasons_reference(
    catalogue: EntitlementCatalogue,
    holdings: CustomerEntitlements | None,
    required_level: str,
    at: datetime,
    *,
    product: str | None = None,
) -> tuple[bool, list[Reason], str | None]:
    """:func:`entitlement_reasons` over :func:`scan_holdings_reference` (the reference)."""
    found = scan_holdings_reference(catalogue, holdings, required_level, at, product=product)
    return explain(catalogue, found, required_level, product=product)
