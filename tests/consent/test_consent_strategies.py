"""The consent strategies build valid models and register for st.from_type."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from symprogram import FixedClock, Program
from symprogram.consent import LegalBasis, PolicyCatalogue, Purpose
from symprogram.consent.models import MAX_SUBJECT_LENGTH
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


def test_subjects_reach_the_longest_subject() -> None:
    """subjects() draws short ids and ids of MAX_SUBJECT_LENGTH, the boundary."""
    lengths: set[int] = set()

    @settings(max_examples=100, database=None, phases=[Phase.generate])
    @given(cst.subjects())
    def draw(subject: str) -> None:
        lengths.add(len(subject))

    draw()
    assert MAX_SUBJECT_LENGTH in lengths
    assert min(lengths) <= 16


@settings(max_examples=20, deadline=None)
@given(catalogue=cst.policy_catalogues(max_size=2), subject=cst.subjects())
def test_drawn_catalogues_and_subjects_are_accepted_by_the_service(
    catalogue: PolicyCatalogue, subject: str
) -> None:
    """A drawn catalogue is loaded by the consent service, and a drawn subject's choice on
    every purpose of the latest policy is recorded and verified."""
    policy = catalogue.latest
    clock = FixedClock(policy.effective_at + timedelta(days=1))
    with Program.in_memory(clock=clock, options={"consent": {"catalogue": catalogue}}) as program:
        assert policy == program.consent.get_policy()
        for purpose in policy.purposes:
            program.consent.grant(subject, purpose.id, channel="web_form")
        assert len(policy.purposes) == len(program.consent.receipt(subject).choices)
        assert program.consent.verify(subject).ok
