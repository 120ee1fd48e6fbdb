"""The consent strategies build valid models and register for st.from_type."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from symprogram.consent import LegalBasis, Purpose
from symprogram.errors import ValidationError
from symprogram.serialization import dumps, loads
from symprogram.testing import _consent as cst

cst.register()


@pytest.mark.parametrize("model", cst.MODELS, ids=lambda m: m.__name__)
def test_from_type_works_for_every_model(model: type[Any]) -> None:
    """After register(), st.from_type(Model) draws instances of Model."""

    @settings(max_examples=5)
    @given(st.from_type(model))
    def check(value: Any) -> None:
        assert isinstance(value, model)

    check()


@settings(max_examples=30)
@given(purpose=cst.purposes(basis=LegalBasis.OPT_IN, id=st.just("fixed")))
def test_overrides_accept_values_and_strategies(purpose: Purpose) -> None:
    """Overrides may be plain values or strategies."""
    assert ("fixed", LegalBasis.OPT_IN) == (purpose.id, purpose.basis)


def test_unknown_override_is_refused() -> None:
    """An override naming no field raises ValidationError (unknown_field) at once, which is
    still Hypothesis' InvalidArgument too."""
    with pytest.raises(ValidationError) as info:
        cst.purposes(colour="blue")
    assert ("unknown_field", "colour") == (info.value.code, info.value.field)
    assert isinstance(info.value, InvalidArgument)


def test_bad_catalogue_sizes_are_refused() -> None:
    """policy_catalogues() checks its bounds at once: ValidationError (invalid_argument)."""
    with pytest.raises(ValidationError) as info:
        cst.policy_catalogues(min_size=3, max_size=1)
    assert "invalid_argument" == info.value.code
    assert isinstance(info.value, InvalidArgument)


@settings(max_examples=25)
@given(
    value=st.one_of(
        cst.policies(), cst.consent_states(), cst.consent_receipts(), cst.subject_files()
    )
)
def test_models_round_trip_through_json(value: Any) -> None:
    """Policies, projections, receipts and subject files survive dumps/loads unchanged."""
    assert value == loads(dumps(value), type(value))
