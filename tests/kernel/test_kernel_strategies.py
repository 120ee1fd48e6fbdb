"""Every kernel model has a registered Hypothesis strategy producing valid instances."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram.decisions import Decision, Reason
from symprogram.errors import ValidationError
from symprogram.events import LedgerEntry, Verification
from symprogram.i18n import LanguageTag, Negotiation
from symprogram.ids import CandidateId
from symprogram.notify import Message
from symprogram.serialization import make_converter
from symprogram.testing import strategies as sps
from symprogram.testing._kernel import candidate_ids, token_records
from symprogram.tokens import TokenGeneration, TokenRecord

MODELS = [
    CandidateId,
    Decision,
    LanguageTag,
    LedgerEntry,
    Message,
    Negotiation,
    Reason,
    TokenGeneration,
    TokenRecord,
    Verification,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_from_type_builds_every_kernel_model(model: type) -> None:
    """st.from_type(Model) draws instances of Model, which round-trip through JSON."""
    conv = make_converter()

    @settings(max_examples=15)
    @given(st.from_type(model))
    def check(value: object) -> None:
        assert isinstance(value, model)
        assert value == conv.structure(conv.unstructure(value), model)

    check()


@given(candidate_ids())
def test_candidate_id_strategy_yields_parseable_ids(cid: CandidateId) -> None:
    """Generated candidate IDs parse back to themselves."""
    assert cid == CandidateId.parse(str(cid))


@given(token_records(ttl=st.just(timedelta(hours=1))))
def test_token_record_overrides_apply(record: TokenRecord) -> None:
    """An override of the ttl fixes expires_at - issued_at."""
    assert 3600 == (record.expires_at - record.issued_at).total_seconds()


def test_unknown_override_is_refused() -> None:
    """A strategy given a field the model lacks raises ValidationError unknown_field."""
    with pytest.raises(ValidationError) as info:
        sps.decisions(colour="red")
    assert "unknown_field" == info.value.code
    with pytest.raises(ValidationError):
        token_records(colour="red")


_BAD_ARGUMENTS = [
    ("instants", {"min_value": "2020-01-01"}, "invalid_argument"),
    ("instants", {"max_value": 2030}, "invalid_argument"),
    ("names", {"max_size": True}, "invalid_argument"),
    ("award_catalogues", {"max_awards": "5"}, "invalid"),
    ("award_catalogues", {"min_exams": 1.5}, "invalid"),
    ("requirements", {"exam_codes": 5}, "invalid"),
    ("requirements", {"exam_codes": "e1"}, "invalid"),
    ("requirements", {"exam_codes": [["e1"]]}, "invalid"),
    ("requirements", {"award_ids": [1]}, "invalid"),
    ("requirements", {"max_leaves": "3"}, "invalid"),
    ("policy_catalogues", {"max_size": "3"}, "invalid_argument"),
    ("terms_catalogues", {"min_size": None}, "invalid_argument"),
]


@pytest.mark.parametrize(("name", "arguments", "code"), _BAD_ARGUMENTS)
def test_strategy_functions_check_their_arguments_at_once(
    name: str, arguments: dict[str, object], code: str
) -> None:
    """An argument of the wrong type is a ValidationError with a stable code, raised when
    the strategy is made, never a TypeError or AttributeError."""
    with pytest.raises(ValidationError) as info:
        getattr(sps, name)(**arguments)
    assert code == info.value.code
