"""The consent context's old public names still work for a release, each warning."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from symprogram.clock import FixedClock
from symprogram.consent import ConsentService, Policy, PolicyCatalogue, Purpose
from symprogram.persistence import Store


def test_policy_warns_and_answers_as_get_policy(consent: ConsentService) -> None:
    """``policy(at)`` is the deprecated name of ``get_policy(at)``."""
    with pytest.warns(DeprecationWarning, match="get_policy"):
        old = consent.policy()
    assert consent.get_policy() == old


def test_policy_change_warns_and_answers_as_get_policy_change(consent: ConsentService) -> None:
    """``policy_change(version)`` is the deprecated name of ``get_policy_change(version)``."""
    version = consent.policies.latest.version
    with pytest.warns(DeprecationWarning, match="get_policy_change"):
        old = consent.policy_change(version)
    assert consent.get_policy_change(version) == old


def test_policies_keyword_warns_and_sets_the_catalogue(store: Store, clock: FixedClock) -> None:
    """``ConsentService(policies=...)`` is the deprecated name of ``catalogue=``."""
    catalogue = PolicyCatalogue.default()
    with pytest.warns(DeprecationWarning, match="catalogue="):
        consent = ConsentService(store, clock, policies=catalogue)
    assert catalogue.versions == consent.policies.versions


def test_policy_from_mapping_warns_and_still_builds_a_policy() -> None:
    """The module-level ``policy_from_mapping`` warns and builds the same policy as before."""
    from symprogram.consent import catalogue as module

    latest = PolicyCatalogue.default().latest
    raw = {
        "version": "x1",
        "effective_at": latest.effective_at.isoformat(),
        "title": latest.title,
        "sites": list(latest.sites),
        "purposes": [
            {"id": p.id, "title": p.title, "basis": p.basis.value} for p in latest.purposes
        ],
    }
    with pytest.warns(DeprecationWarning, match="from_toml"):
        build = module.policy_from_mapping
    policy = build(raw)
    assert isinstance(policy, Policy)
    assert "x1" == policy.version
    with pytest.warns(DeprecationWarning, match="from_toml"):
        from symprogram.consent import policy_from_mapping  # noqa: F401


def test_audience_warns_and_streams_as_iter_audience(consent: ConsentService) -> None:
    """``audience(...)`` is the deprecated name of ``iter_audience(...)``: the same subjects."""
    consent.record_gathered("cand-1", "other_activities", ("name", "email"))
    consent.record_gathered("cand-2", "other_activities", ("name", "email"))
    consent.opt_out("cand-2", "newsletters", channel="email_reply")
    with pytest.warns(DeprecationWarning, match=r"ConsentService\.iter_audience\(\)"):
        old = list(consent.audience("newsletters", "email", batch=1))
    assert ["cand-1"] == old
    assert list(consent.iter_audience("newsletters", "email", batch=1)) == old


def test_subjects_to_notify_warns_and_streams_as_iter_subjects_to_notify(
    consent: ConsentService, clock: FixedClock
) -> None:
    """``subjects_to_notify(version)`` is the deprecated name of ``iter_subjects_to_notify``."""
    consent.grant("cust-1", "special_offers", channel="web_form")
    consent.grant("cust-2", "special_offers", channel="web_form")
    current = consent.get_policy()
    later = attrs.evolve(
        current,
        version="2011-02",
        effective_at=clock.now() + timedelta(days=20),
        purposes=(*current.purposes, Purpose("profiling", "Build interest profiles", "opt_out")),
    )
    consent.publish_policy(later)
    consent.record_notice("cust-2", "2011-02", channel="email")
    with pytest.warns(DeprecationWarning, match=r"ConsentService\.iter_subjects_to_notify\(\)"):
        old = list(consent.subjects_to_notify("2011-02"))
    assert ["cust-1"] == old
    assert list(consent.iter_subjects_to_notify("2011-02")) == old


def test_policy_catalogue_get_warns_and_is_get_policy() -> None:
    """PolicyCatalogue.get() is get_policy()."""
    catalogue = PolicyCatalogue.default()
    version = catalogue.latest.version
    with pytest.warns(DeprecationWarning, match=r"PolicyCatalogue\.get\(\)"):
        old = catalogue.get(version)
    assert catalogue.get_policy(version) == old
