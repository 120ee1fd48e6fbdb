"""Fields that depend on each other are drawn as the rules compute them.

docs/testing.md: "the fields drawn follow the values given ... an override is never
dropped". A retired award cannot be renewed (``renewal_advice``); a consent state's
``notice_only`` names versions of its ``seen``, and an ``unconfirmed`` subject is not
``known`` (``rules.apply``); a policy change to the traffic logging is material,
names the fields in the rule's order, and a material change has a notice
(``diff_policies``). Checked with and without overrides.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import symprogram.testing.strategies as sps
from symprogram.awards.rules import RenewalAdvice
from symprogram.consent.models import ConsentState, PolicyChange

_SETTINGS = settings(
    max_examples=60, database=None, deadline=None, suppress_health_check=list(HealthCheck)
)


def _drawn(strategy: st.SearchStrategy[Any], count: int = 150) -> list[Any]:
    """Values ``strategy`` draws (generation only: no shrinking)."""
    out: list[Any] = []

    @settings(_SETTINGS, max_examples=count, phases=[Phase.generate])
    @given(strategy)
    def collect(value: Any) -> None:
        out.append(value)

    collect()
    return out


def _some(strategy: st.SearchStrategy[Any], condition: Callable[[Any], bool]) -> Any:
    return next(v for v in _drawn(strategy) if condition(v))


_ORDER = ("identifies_you", "correlated_with_personal_information", "items")


def _check_advice(advice: RenewalAdvice) -> None:
    if advice.retired:
        assert (advice.renewable, advice.opens_at, advice.requirement) == (False, None, None)
    if not advice.renewable:
        assert (advice.opens_at, advice.requirement) == (None, None)


@_SETTINGS
@given(sps.renewal_advices())
def test_renewal_advice_retired_is_never_renewable(advice: RenewalAdvice) -> None:
    _check_advice(advice)


@_SETTINGS
@given(st.booleans().flatmap(lambda r: st.tuples(st.just(r), sps.renewal_advices(retired=r))))
def test_renewal_advice_follows_a_given_retired(pair: tuple[bool, RenewalAdvice]) -> None:
    retired, advice = pair
    assert advice.retired is retired
    _check_advice(advice)


def test_renewal_advice_draws_retired_ones() -> None:
    found = _some(st.from_type(RenewalAdvice), lambda a: a.retired)
    assert found == RenewalAdvice(False, retired=True)


def _check_state(state: ConsentState) -> None:
    versions = [s.policy_version for s in state.seen]
    assert set(state.notice_only) <= set(versions)
    assert list(state.notice_only) == sorted(set(state.notice_only))
    if state.unconfirmed:
        assert not state.known


@_SETTINGS
@given(sps.consent_states())
def test_consent_state_notice_only_is_of_seen(state: ConsentState) -> None:
    _check_state(state)


@_SETTINGS
@given(sps.consent_states(notice_only=("v1", "v2")))
def test_consent_state_seen_follows_a_given_notice_only(state: ConsentState) -> None:
    assert state.notice_only == ("v1", "v2")
    _check_state(state)


@_SETTINGS
@given(
    sps.consent_states(
        seen=st.lists(sps.seen_policies(), max_size=3, unique_by=lambda p: p.policy_version).map(
            lambda s: tuple(sorted(s, key=lambda p: p.policy_version))
        )
    )
)
def test_consent_state_notice_only_follows_a_given_seen(state: ConsentState) -> None:
    _check_state(state)


@_SETTINGS
@given(sps.consent_states(unconfirmed=True))
def test_consent_state_unconfirmed_is_not_known(state: ConsentState) -> None:
    assert state.unconfirmed
    _check_state(state)


def test_consent_state_draws_notice_only_and_unconfirmed() -> None:
    drawn = _drawn(sps.consent_states())
    assert any(s.notice_only for s in drawn)
    assert any(s.unconfirmed for s in drawn)


def _check_change(change: PolicyChange) -> None:
    assert list(change.traffic_changed) == sorted(set(change.traffic_changed), key=_ORDER.index)
    if change.traffic_changed:
        assert change.material
    assert (change.notice is not None) is change.material


@_SETTINGS
@given(sps.policy_changes())
def test_policy_change_to_traffic_is_material(change: PolicyChange) -> None:
    _check_change(change)


@_SETTINGS
@given(
    st.sampled_from([(), ("items",), _ORDER, _ORDER[:2]]).flatmap(
        lambda t: sps.policy_changes(traffic_changed=t)
    )
)
def test_policy_change_follows_a_given_traffic_changed(change: PolicyChange) -> None:
    _check_change(change)


def test_policy_change_material_override_is_kept() -> None:
    drawn = _drawn(sps.policy_changes(material=False), 30)
    assert all(not c.material and c.notice is None for c in drawn)


def test_policy_change_draws_traffic_changes() -> None:
    found = _some(sps.policy_changes(), lambda c: len(c.traffic_changed) == 3)
    assert found.traffic_changed == _ORDER
