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
