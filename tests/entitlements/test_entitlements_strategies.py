"""The entitlements strategies: every model can be drawn, overrides are checked."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram import entitlements as ent
from symprogram.errors import ValidationError
from symprogram.testing import _entitlements as strategies

MODELS = [
    ent.ServiceLevel, ent.AccessRule, ent.Document, ent.LocalSite, ent.TelephoneLine,
    ent.EscalationLevel, ent.RemoteAccessTerms, ent.EntitlementCatalogue, ent.LanguageChoice,
    ent.Reader, ent.StatusChange, ent.Agreement, ent.Grant, ent.SupportExtension,
    ent.CustomerEntitlements, ent.Release, ent.ProductLifecycle, ent.EscalationStep,
    ent.RemoteSession, ent.SupportCase, ent.AccessibleDocument, ent.EntitlementsSettings,
]  # fmt: skip


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_from_type_after_register(model: type) -> None:
    """st.from_type draws valid instances of every model once register() ran."""
    strategies.register()

    @settings(max_examples=5)
    @given(st.from_type(model))
    def check(value: object) -> None:
        assert isinstance(value, model)

    check()


def test_unknown_override_is_refused() -> None:
    """An override naming no field raises ValidationError(unknown_field) at once."""
    with pytest.raises(ValidationError) as caught:
        strategies.agreements(colour="red")
    assert ("unknown_field", "colour") == (caught.value.code, caught.value.field)


@settings(max_examples=30)
@given(strategies.agreements() | strategies.grants(ends_on=st.dates()))
def test_windows_stay_ordered(agreement: ent.Agreement | ent.Grant) -> None:
    """Drawn agreements and grants always start on or before they end, overrides or not."""
    assert agreement.starts_on <= agreement.ends_on


@settings(max_examples=20)
@given(strategies.grants(level="essential_support", kind="courtesy"))
def test_plain_value_overrides(grant: ent.Grant) -> None:
    """Plain values override fields as given."""
    assert ("essential_support", ent.GrantKind.COURTESY) == (grant.level, grant.kind)
