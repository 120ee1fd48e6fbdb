"""The consent context's old public names still work for a release, each warning."""

from __future__ import annotations

import pytest

from symprogram.clock import FixedClock
from symprogram.consent import ConsentService, Policy, PolicyCatalogue
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
