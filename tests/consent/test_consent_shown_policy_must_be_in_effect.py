"""A choice's ``policy_version`` shown must be the version in effect at its instant.

docs/consent.md: "A ``policy_version`` shown must have been in effect at ``at``
(``policy_not_in_effect``)". Before the fix a version a successor had already
replaced was accepted, and a purpose the successor dropped was refused as
``purpose_not_declared`` naming the replaced version, which does declare it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram.clock import FixedClock
from symprogram.consent import ConsentService, PolicyCatalogue, rules
from symprogram.errors import ValidationError

T0 = datetime(2011, 1, 20, tzinfo=UTC)
NEW_AT = datetime(2011, 2, 1, tzinfo=UTC)

Snapshot = Callable[[], Any]


@pytest.fixture
def replaced(consent: ConsentService, clock: FixedClock) -> ConsentService:
    """2005-07 replaced on 2011-02-01 by 2011-02 (without special offers); now 2011-02-02."""
    clock.set(T0)
    policy = consent.get_policy()
    consent.publish_policy(
        attrs.evolve(
            policy,
            version="2011-02",
            effective_at=NEW_AT,
            purposes=tuple(p for p in policy.purposes if p.id != "special_offers"),
        )
    )
    clock.set(NEW_AT + timedelta(days=1))
    return consent


def test_a_replaced_version_is_not_in_effect(replaced: ConsentService, snapshot: Snapshot) -> None:
    """Showing 2005-07 after 2011-02 took effect is refused, naming both; nothing is written."""
    before = snapshot()
    with pytest.raises(ValidationError) as info:
        replaced.grant("S-1", "newsletters", channel="web_form", policy_version="2005-07")
    error = info.value
    assert ("policy_not_in_effect", "policy_version") == (error.code, error.field)
    assert {"policy_version": "2005-07", "in_effect": "2011-02"} == error.details
    assert "2011-02" in error.message and "2005-07" in error.message
    assert before == snapshot()


def test_the_version_in_effect_is_accepted(replaced: ConsentService) -> None:
    """Named or not, the version in effect is the one recorded."""
    named = replaced.grant("S-1", "newsletters", channel="web_form", policy_version="2011-02")
    unnamed = replaced.grant("S-2", "newsletters", channel="web_form")
    assert ("2011-02", "2011-02") == (named.policy_version, unnamed.policy_version)


def test_purpose_not_declared_names_the_version_checked(replaced: ConsentService) -> None:
    """A purpose the version in effect dropped is refused naming that version."""
    with pytest.raises(ValidationError) as info:
        replaced.grant("S-1", "special_offers", channel="web_form")
    assert "purpose_not_declared" == info.value.code
    assert "policy 2011-02 does not declare" in info.value.message
    assert {"policy_version": "2011-02"} == info.value.details
    with pytest.raises(ValidationError) as shown:
        replaced.grant("S-1", "special_offers", channel="web_form", policy_version="2005-07")
    assert "policy_not_in_effect" == shown.value.code


def test_a_backdated_choice_names_the_version_in_effect_then(replaced: ConsentService) -> None:
    """At an instant before the successor took effect, the replaced version is the right one."""
    before = NEW_AT - timedelta(days=1)
    record = replaced.grant(
        "S-1", "special_offers", channel="web_form", policy_version="2005-07", at=before
    )
    assert "2005-07" == record.policy_version
    with pytest.raises(ValidationError) as info:
        replaced.grant(
            "S-2", "newsletters", channel="web_form", policy_version="2011-02", at=before
        )
    assert "policy_not_in_effect" == info.value.code
    assert "not yet in effect" in info.value.message


# -- the rule, as a property -----------------------------------------------------------

BASE = PolicyCatalogue.default().latest


@st.composite
def _catalogue_and_instant(draw: st.DrawFn) -> tuple[PolicyCatalogue, datetime]:
    gaps = draw(st.lists(st.integers(1, 400), min_size=0, max_size=4))
    policies = [BASE]
    for number, gap in enumerate(gaps, start=1):
        policies.append(
            attrs.evolve(
                BASE,
                version=f"v{number}",
                effective_at=policies[-1].effective_at + timedelta(days=gap),
            )
        )
    catalogue = PolicyCatalogue(tuple(policies))
    last = policies[-1].effective_at
    at = draw(
        st.datetimes(
            BASE.effective_at.replace(tzinfo=None),
            (last + timedelta(days=30)).replace(tzinfo=None),
            timezones=st.just(UTC),
        )
    )
    return catalogue, at


@given(_catalogue_and_instant(), st.data())
def test_only_the_version_in_effect_may_be_shown(
    case: tuple[PolicyCatalogue, datetime], data: st.DataObject
) -> None:
    """For every catalogue, instant and version: accepted exactly when it is the version
    in effect at the instant; a refusal names the version given and the one in effect."""
    catalogue, at = case
    in_effect = catalogue.in_effect(at)
    assert in_effect is not None
    version = data.draw(st.sampled_from(catalogue.versions))
    if version == in_effect.version:
        assert in_effect == rules.shown_policy(in_effect, version, at, catalogue)
        return
    with pytest.raises(ValidationError) as info:
        rules.shown_policy(in_effect, version, at, catalogue)
    assert "policy_not_in_effect" == info.value.code
    assert {"policy_version": version, "in_effect": in_effect.version} == info.value.details
