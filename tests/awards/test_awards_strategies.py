"""The awards Hypothesis strategies: valid instances, overrides, registration."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram.awards import (
    AllOf,
    AnyOf,
    AtLeast,
    AwardCatalogue,
    AwardDefinition,
    AwardGrant,
    AwardGranted,
    AwardHolding,
    AwardRenewed,
    AwardRevoked,
    AwardsPublished,
    CandidateAwards,
    DisclosedAward,
    Disclosure,
    DisclosureRevoked,
    DisclosureVerified,
    DisclosureView,
    ExamDefinition,
    ExamPassed,
    ExamRef,
    ExamResult,
    ExamResultRecorded,
    ExpiryReminderSent,
    HoldsAward,
    KitAddress,
    KitDelivered,
    KitFulfilment,
    KitQueued,
    KitShipped,
    MinimumCredits,
    Progress,
    PublishedDisclosure,
    Renewal,
    RequirementStatus,
    VerificationRecord,
)
from symprogram.errors import ValidationError
from symprogram.serialization import dumps, loads
from symprogram.testing import _awards as sa

MODELS = [
    ExamRef,
    ExamDefinition,
    AwardDefinition,
    AwardCatalogue,
    ExamResult,
    Renewal,
    AwardGrant,
    CandidateAwards,
    AwardHolding,
    RequirementStatus,
    Progress,
    KitAddress,
    KitFulfilment,
    Disclosure,
    PublishedDisclosure,
    DisclosedAward,
    DisclosureView,
    VerificationRecord,
    ExamPassed,
    MinimumCredits,
    HoldsAward,
    AllOf,
    AnyOf,
    AtLeast,
    ExamResultRecorded,
    AwardGranted,
    AwardRenewed,
    AwardRevoked,
    ExpiryReminderSent,
    KitQueued,
    KitShipped,
    KitDelivered,
    AwardsPublished,
    DisclosureRevoked,
    DisclosureVerified,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_from_type_builds_each_model_after_register(model: type[Any]) -> None:
    """After register(), st.from_type(Model) draws instances of Model."""
    sa.register()

    @settings(max_examples=5)
    @given(st.from_type(model))
    def check(value: Any) -> None:
        assert model is type(value)

    check()


@pytest.mark.parametrize(
    ("factory", "field"),
    [(sa.award_grants, "colour"), (sa.disclosures, "recipient"), (sa.kit_addresses, "zip")],
)
def test_unknown_override_is_refused_at_once(factory: Any, field: str) -> None:
    """A strategy refuses an override naming no field, with code unknown_field."""
    with pytest.raises(ValidationError) as info:
        factory(**{field: 1})
    assert ("unknown_field", field) == (info.value.code, info.value.field)


@settings(max_examples=20)
@given(sa.award_grants(award_id="scs-endpoint", revoked_at=None))
def test_overrides_accept_plain_values(grant: AwardGrant) -> None:
    """A plain-value override fixes the field."""
    assert ("scs-endpoint", None) == (grant.award_id, grant.revoked_at)


@settings(max_examples=30)
@given(sa.candidate_awards())
def test_candidate_awards_round_trip_through_json(state: CandidateAwards) -> None:
    """The stored aggregate survives the JSON converter unchanged."""
    assert state == loads(dumps(state), CandidateAwards)


@settings(max_examples=30)
@given(sa.kit_fulfilments())
def test_kits_round_trip_through_json(kit: KitFulfilment) -> None:
    """A kit survives the JSON converter unchanged."""
    assert kit == loads(dumps(kit), KitFulfilment)


@settings(max_examples=30)
@given(sa.disclosures())
def test_disclosures_round_trip_through_json(disclosure: Disclosure) -> None:
    """A disclosure survives the JSON converter unchanged."""
    assert disclosure == loads(dumps(disclosure), Disclosure)
