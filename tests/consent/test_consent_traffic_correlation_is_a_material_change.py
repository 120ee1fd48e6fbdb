"""Traffic logs that start to identify people, or to be correlated with their personal
information, are a material change, and wait for the subject's notice.

The privacy policy: "While our Web servers may automatically log your IP address,
this information does not identify you and you remain anonymous. ... Such information
is not correlated with any personal information." and "In the event there is a major
change to Symantec's privacy practices, a prominent notice will be posted on our web
site. If the change involves the use of your personally identifiable information, the
notice will contain instructions on how you can opt-out of such use." Before the fix
``diff_policies`` ignored ``traffic``: a version that set ``identifies_you`` and
``correlated_with_personal_information`` was an empty, non-material ``PolicyChange``
(no notice), and from its effective date ``ip_addresses`` was stored beside the
person's name.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram.clock import FixedClock
from symprogram.consent import (
    ConsentService,
    LegalBasis,
    Policy,
    PolicyCatalogue,
    PurposeKind,
    diff_policies,
    rules,
)
from symprogram.errors import ValidationError
from symprogram.persistence import Store

T0 = datetime(2011, 1, 14, tzinfo=UTC)
DAY = timedelta(days=1)
BASE = PolicyCatalogue.default().latest
LOGGED = "ip_addresses"


def _traffic(policy: Policy, **changes: object) -> Policy:
    assert policy.traffic is not None
    return attrs.evolve(policy, traffic=attrs.evolve(policy.traffic, **changes))


def _uses(policy: Policy) -> tuple[str, ...]:
    """What a change naming no purpose affects: every non-necessary use (not terms)."""
    return tuple(
        sorted(
            p.id
            for p in policy.purposes
            if p.basis is not LegalBasis.NECESSARY and p.kind is not PurposeKind.TERMS
        )
    )


@settings(max_examples=60)
@given(
    before=st.tuples(st.booleans(), st.booleans()),
    after=st.tuples(st.booleans(), st.booleans()),
    more=st.booleans(),
)
def test_logs_made_personal_are_a_material_change_with_notice(
    before: tuple[bool, bool], after: tuple[bool, bool], more: bool
) -> None:
    """Turning ``identifies_you`` or ``correlated_with_personal_information`` on (or
    logging more items while either is on) is material: it affects every
    non-necessary use, carries a prominent notice that says what the logs become,
    and ``traffic_changed`` names what changed. Turning them off is not material."""
    old = _traffic(BASE, identifies_you=before[0], correlated_with_personal_information=before[1])
    assert old.traffic is not None
    items = (*old.traffic.items, "referrers") if more else old.traffic.items
    new = _traffic(
        attrs.evolve(old, version="next"),
        identifies_you=after[0],
        correlated_with_personal_information=after[1],
        items=items,
    )
    change = diff_policies(old, new)
    expected = tuple(
        name
        for name, on in (
            ("identifies_you", after[0] and not before[0]),
            ("correlated_with_personal_information", after[1] and not before[1]),
            ("items", more and any(after)),
        )
        if on
    )
    assert expected == change.traffic_changed
    assert bool(expected) == change.material
    if expected:
        assert _uses(new) == change.affected
        assert change.notice is not None and change.notice.prominent
        assert "What our web servers log about your visits" in change.notice.text
        assert "ip addresses" in change.notice.text
        assert "opt out" in change.notice.text
    else:
        assert ((), None) == (change.affected, change.notice)


def _published(consent: ConsentService, clock: FixedClock, version: str, **traffic: bool) -> None:
    """Publish ``version`` with the traffic logging changed, and move to its effective date."""
    at = clock.now() + DAY
    new = _traffic(attrs.evolve(consent.get_policy(), version=version, effective_at=at), **traffic)
    consent.publish_policy(new)
    clock.set(at)


@pytest.fixture
def consent(store: Store) -> tuple[ConsentService, FixedClock]:
    clock = FixedClock(T0)
    return ConsentService(store, clock), clock


def _refused(attempt: object) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        attempt()  # type: ignore[operator]
    return info.value


def test_traffic_items_wait_for_the_notice_of_the_correlation(
    consent: tuple[ConsentService, FixedClock],
) -> None:
    """A subject who gave personal data before the change: their traffic items stay
    refused by every recording call until they are notified (nothing is written),
    the affected uses wait for the notice, and they are listed to notify."""
    service, clock = consent
    service.record_personal_data("cust-42", "product_registration", {"name": "Ada Lovelace"})
    _published(
        service, clock, "2011-02", identifies_you=True, correlated_with_personal_information=True
    )
    change = service.get_policy_change("2011-02")
    assert change.material and change.notice is not None
    before = service.history("cust-42")
    attempts = (
        lambda: service.record_personal_data("cust-42", "other_activities", {LOGGED: "1.2.3.4"}),
        lambda: service.record_gathered("cust-42", "other_activities", ["name", "client_ip"]),
        lambda: service.record_gathered_many([("cust-42", "other_activities", ["IP address"])]),
    )
    for attempt in attempts:
        refused = _refused(attempt)
        assert ("traffic_not_personal_data", "data", "2011-02") == (
            refused.code,
            refused.field,
            refused.details["policy_version"],
        )
    assert before == service.history("cust-42")
    assert ("not_yet_notified_of_material_change",) == service.may_use(
        "cust-42", "newsletters"
    ).codes
    assert ["cust-42"] == list(service.iter_subjects_to_notify("2011-02"))

    service.record_notice("cust-42", "2011-02", channel="email")
    service.record_personal_data("cust-42", "other_activities", {LOGGED: "1.2.3.4"})
    assert LOGGED in {d.name for d in service.personal_data("cust-42").data}
    assert service.may_use("cust-42", "newsletters").allowed
    assert service.verify("cust-42").ok


def test_a_subject_who_first_gives_data_under_the_new_version_has_its_notice(
    consent: tuple[ConsentService, FixedClock],
) -> None:
    """The version a subject first gives personal data under is notice of every change
    up to it: a newcomer's traffic items are kept."""
    service, clock = consent
    _published(service, clock, "2011-02", correlated_with_personal_information=True)
    service.record_personal_data("new-1", "other_activities", {"name": "Ann", LOGGED: "1.2.3.4"})
    service.record_gathered("new-2", "other_activities", ["name", "user_agent"], makes_known=False)
    assert LOGGED in {d.name for d in service.personal_data("new-1").data}


def test_each_change_of_the_logs_waits_for_its_own_notice(
    consent: tuple[ConsentService, FixedClock],
) -> None:
    """Logs made identifying by one version and correlated by the next: the later
    version's notice alone does not cover the earlier change (a notice covers its own
    version's change), so the items wait for both."""
    service, clock = consent
    service.record_personal_data("cust-1", "product_registration", {"name": "Ada"})
    _published(service, clock, "2011-02", identifies_you=True)
    # identifying but still not correlated: refused as anonymous logs, as before
    assert (
        "policy_version"
        not in _refused(
            lambda: service.record_gathered("cust-1", "other_activities", [LOGGED])
        ).details
    )
    _published(service, clock, "2011-03", correlated_with_personal_information=True)
    service.record_notice("cust-1", "2011-03", channel="email")
    refused = _refused(lambda: service.record_gathered("cust-1", "other_activities", [LOGGED]))
    assert "2011-02" == refused.details["policy_version"]
    service.record_notice("cust-1", "2011-02", channel="email")
    service.record_gathered("cust-1", "other_activities", [LOGGED])


def test_a_policy_correlated_from_the_start_refuses_nothing() -> None:
    """No change made the logs personal (the first version already correlates them):
    nothing waits for a notice, as before."""
    policy = _traffic(BASE, correlated_with_personal_information=True)
    catalogue = PolicyCatalogue([policy])
    assert () == catalogue.traffic_changes(policy.effective_at + DAY)
    rules.check_traffic_noticed(policy, [LOGGED], policy.effective_at + DAY, None, catalogue)
