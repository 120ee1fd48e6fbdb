"""What JSON cannot hold is refused with ``not_serializable``, never a bare
``TypeError`` or ``ValueError``."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from symprogram import serialization
from symprogram.accounts.rules import ClaimOutcome
from symprogram.errors import Conflict, ValidationError
from symprogram.testing import strategies as sps


@pytest.mark.parametrize(
    "value",
    [object(), {"a": [1, object()]}, {(1, 2): "x"}],
)
def test_a_value_json_cannot_hold_is_not_serializable(value: Any) -> None:
    for write in (serialization.dumps, serialization.canonical_json):
        with pytest.raises(ValidationError) as info:
            write(value)
        assert "not_serializable" == info.value.code


@given(sps.candidates())
def test_a_claim_outcome_with_its_refusal_reads_back_as_itself(candidate: Any) -> None:
    """A refused claim's outcome holds the refusal (an error): written as its class,
    code, message, field and details, it reads back as an equal error of its class."""
    refusal = Conflict("claimed", code="score_report_claimed", details={"incident_id": "INC-1"})
    outcome = ClaimOutcome(candidate, refusal=refusal)
    again = serialization.loads(serialization.dumps(outcome), ClaimOutcome)
    assert outcome == again
    assert type(refusal) is type(again.refusal)
    assert refusal.to_dict() == again.refusal.to_dict()


@given(sps.candidates())
def test_models_still_write_as_before(candidate: Any) -> None:
    text = serialization.dumps(candidate)
    assert candidate == serialization.loads(text, type(candidate))
