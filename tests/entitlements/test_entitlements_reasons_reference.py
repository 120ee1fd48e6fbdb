"""The one-pass scan of a customer's holdings agrees with the plain reference rules.

``entitlement_reasons`` sorts the holdings into what they give at an instant in
one pass (:func:`~symprogram.entitlements.rules.scan_holdings`);
:func:`~symprogram.entitlements.rules.scan_holdings_reference` says the same one
small rule at a time. Both must find the same records and give the same answer,
reasons and hint, for every holdings, level, product and instant, in particular
on the days and instants at which a record starts, ends, changes status or is
revoked.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st

from symprogram.entitlements import (
    AgreementStatus,
    CustomerEntitlements,
    EntitlementCatalogue,
    StatusChange,
)
from symprogram.entitlements.rules import (
    entitlement_reasons,
    entitlement_reasons_reference,
    scan_holdings,
    scan_holdings_reference,
)
from symprogram.testing._entitlements import LEVEL_IDS, PRODUCTS, customer_entitlements, instants

CATALOGUE = EntitlementCatalogue.default()
TICK = timedelta(microseconds=1)
LEVELS = st.sampled_from([*LEVEL_IDS, "", "gold"])
"""The catalogue's levels, a document without one (``""``) and an unknown level."""


@st.composite
def holdings(draw: st.DrawFn) -> CustomerEntitlements:
    """Holdings whose agreements may be suspended, cancelled or reinstated and grants revoked."""
    drawn = draw(customer_entitlements(customer_id="C-1"))
    statuses = st.sampled_from(list(AgreementStatus))
    agreements = []
    for agreement in drawn.agreements:
        moments = sorted(draw(st.lists(instants(), max_size=3)))
        changes = tuple(StatusChange(draw(statuses), at, "staff", "why") for at in moments)
        agreements.append(attrs.evolve(agreement, status_changes=changes))
    grants = []
    for grant in drawn.grants:
        if draw(st.booleans()):
            grant = attrs.evolve(grant, revoked_at=draw(instants()), revoked_by="staff")
        grants.append(grant)
    return attrs.evolve(drawn, agreements=tuple(agreements), grants=tuple(grants))


def switches(held: CustomerEntitlements) -> list[datetime]:
    """The instants around which a record of ``held`` starts, ends, changes or is revoked."""

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=UTC)

    points: set[datetime] = set()
    for record in (*held.agreements, *held.grants):
        points |= {midnight(record.starts_on), midnight(record.ends_on) + timedelta(days=1)}
    for agreement in held.agreements:
        points |= {change.at for change in agreement.status_changes}
    points |= {grant.revoked_at for grant in held.grants if grant.revoked_at is not None}
    return sorted({p + step for p in points for step in (-TICK, timedelta(0), TICK)})


@given(
    held=st.one_of(st.none(), holdings()),
    level=LEVELS,
    product=st.one_of(st.none(), st.sampled_from(PRODUCTS)),
    data=st.data(),
)
def test_the_one_pass_scan_agrees_with_the_reference(
    held: CustomerEntitlements | None,
    level: str,
    product: str | None,
    data: st.DataObject,
) -> None:
    """scan_holdings and entitlement_reasons equal their reference versions at every instant."""
    points = switches(held) if held is not None else []
    moments = st.sampled_from(points) | instants() if points else instants()
    for at in data.draw(st.lists(moments, min_size=1, max_size=6)):
        fast = scan_holdings(CATALOGUE, held, level, at, product=product)
        plain = scan_holdings_reference(CATALOGUE, held, level, at, product=product)
        assert plain == fast
        expected = entitlement_reasons_reference(CATALOGUE, held, level, at, product=product)
        assert expected == entitlement_reasons(CATALOGUE, held, level, at, product=product)


def test_nothing_held_is_no_active_agreement() -> None:
    """Without holdings both versions answer no_active_agreement with the same hint."""
    at = datetime(2012, 1, 1, tzinfo=UTC)
    allowed, reasons, hint = entitlement_reasons(CATALOGUE, None, "essential_support", at)
    assert (False, ["no_active_agreement"]) == (allowed, [r.code for r in reasons])
    assert (allowed, reasons, hint) == entitlement_reasons_reference(
        CATALOGUE, None, "essential_support", at
    )
