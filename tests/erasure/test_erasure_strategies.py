"""The erasure receipts have Hypothesis strategies, registered for ``st.from_type``."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from symprogram.accounts import AccountErasure, Candidate
from symprogram.awards import AwardsErasure, CandidateAwards
from symprogram.entitlements.erasure import EntitlementsErasure
from symprogram.erasure import PersonErasure
from symprogram.errors import ValidationError
from symprogram.serialization import dumps, loads
from symprogram.testing import _accounts, _awards, _entitlements, _kernel


@pytest.fixture(autouse=True, scope="module")
def _registered() -> None:
    _accounts.register()
    _awards.register()
    _kernel.register()
    _entitlements.register()


@pytest.mark.parametrize(
    "model",
    [AccountErasure, AwardsErasure, EntitlementsErasure, PersonErasure, Candidate, CandidateAwards],
)
def test_from_type_builds_every_erasure_model(model: type[Any]) -> None:
    """``st.from_type`` draws valid instances of each model after ``register()``."""

    @settings(max_examples=10, deadline=None)
    @given(st.from_type(model))
    def check(value: Any) -> None:
        assert type(value) is model

    check()


@settings(max_examples=20, deadline=None)
@given(_kernel.person_erasures())
def test_person_erasures_are_consistent(receipt: PersonErasure) -> None:
    """The drawn parts name the same candidate and instant as the whole."""
    subjects = {receipt.candidate_id, receipt.accounts.candidate_id, receipt.awards.candidate_id}
    if receipt.consent is not None:
        subjects.add(receipt.consent.subject)
    if receipt.entitlements is not None:
        subjects.add(receipt.entitlements.customer_id)
        assert receipt.erased_at == receipt.entitlements.erased_at
    assert {receipt.candidate_id} == subjects
    assert receipt.erased_at == receipt.accounts.erased_at == receipt.awards.erased_at


def test_person_erasures_draw_every_part() -> None:
    """Receipts with and without the entitlements part (and the consent part) are drawn:
    the strategy covers every shape erase_person returns."""
    for wanted in ((True, True), (False, False)):
        found = find(
            _kernel.person_erasures(),
            lambda receipt, wanted=wanted: (
                (receipt.entitlements is None, receipt.consent is None) == wanted
            ),
            settings=settings(
                max_examples=2000, deadline=None, database=None, phases=[Phase.generate]
            ),
        )
        assert wanted == (found.entitlements is None, found.consent is None)


@settings(max_examples=50, deadline=None)
@given(_entitlements.entitlements_erasures())
def test_entitlements_erasures_are_valid_and_round_trip(receipt: EntitlementsErasure) -> None:
    """No more entries erased than the audit stream holds; the JSON reads back as itself."""
    assert 0 <= receipt.audit_entries_erased <= receipt.audit_length
    assert receipt == loads(dumps(receipt), EntitlementsErasure)


@settings(max_examples=10, deadline=None)
@given(_kernel.person_erasures(already_erased=True), _accounts.account_erasures(reason="r"))
def test_overrides_apply(receipt: PersonErasure, accounts: AccountErasure) -> None:
    """Per-field overrides, plain values or strategies, replace the drawn fields."""
    assert (True, "r") == (receipt.already_erased, accounts.reason)


@pytest.mark.parametrize(
    "factory",
    [
        _kernel.person_erasures,
        _accounts.account_erasures,
        _awards.awards_erasures,
        _entitlements.entitlements_erasures,
    ],
)
def test_unknown_fields_are_refused(factory: Any) -> None:
    """An override for a field the model does not have raises ``unknown_field`` at once."""
    with pytest.raises(ValidationError) as info:
        factory(no_such_field=1)
    assert "unknown_field" == info.value.code
