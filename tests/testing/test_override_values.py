"""A strategy's plain-value override is checked when the strategy is built.

A plain value (not a strategy) of the wrong type, or one its field refuses, fails
at once with ``ValidationError`` (code ``invalid_argument``, also Hypothesis'
``InvalidArgument``), not later when Hypothesis draws. Strategy overrides are
checked as they are drawn from.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import date
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import symprogram.testing.strategies as sps
from symprogram.accounts.events import CandidateRegistered
from symprogram.awards.events import AwardGranted
from symprogram.errors import ValidationError


def _override_functions() -> list[str]:
    """Every strategy function taking per-field overrides and nothing it must be given."""
    found = []
    for name in sps.__all__:
        fn = getattr(sps, name)
        if not inspect.isfunction(fn):
            continue
        params = inspect.signature(fn).parameters.values()
        if any(p.kind is p.VAR_KEYWORD for p in params) and all(
            p.default is not p.empty for p in params if p.kind is p.POSITIONAL_OR_KEYWORD
        ):
            found.append(name)
    return found


# ``ledger_keys`` builds no attrs class: its arguments are checked below.
FUNCTIONS: dict[str, Callable[..., st.SearchStrategy[Any]]] = {
    name: getattr(sps, name) for name in _override_functions() if name != "ledger_keys"
}
FUNCTIONS["domain_events(CandidateRegistered)"] = lambda **kw: sps.domain_events(
    CandidateRegistered, **kw
)
FUNCTIONS["award_events_of(AwardGranted)"] = lambda **kw: sps.award_events_of(AwardGranted, **kw)


class _Stranger:
    """A value of no model field's type."""


def _takes(fn: Callable[..., st.SearchStrategy[Any]], name: str) -> bool:
    try:
        fn(**{name: st.nothing()})
    except ValidationError as exc:
        if "unknown_field" != exc.code:
            raise
        return False
    return True


def _overridable(fn: Callable[..., st.SearchStrategy[Any]], cls: type[Any]) -> list[Any]:
    """The fields of attrs class ``cls`` that ``fn`` takes as overrides."""
    return [field for field in attrs.fields(cls) if _takes(fn, field.alias)]


def _refused(call: Callable[[], object], field: str) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        call()
    assert isinstance(info.value, InvalidArgument)
    assert "invalid_argument" == info.value.code
    assert field == info.value.field
    return info.value


# Discovery finds the strategy functions of every context.
assert {"candidates", "agreements", "policies", "award_grants", "token_records"} <= set(FUNCTIONS)
assert len(FUNCTIONS) >= 80


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_each_field_refuses_a_foreign_plain_value_and_takes_a_valid_one(
    name: str, data: st.DataObject
) -> None:
    """Every field a strategy function takes refuses a value of a foreign type when the
    strategy is built, and takes the field of a drawn (valid) model as a plain value."""
    fn = FUNCTIONS[name]
    value = data.draw(fn())
    fields = _overridable(fn, type(value))
    assert fields
    for field in fields:
        fn(**{field.alias: getattr(value, field.name)})
        _refused(lambda field=field: fn(**{field.alias: _Stranger()}), field.alias)


def test_windows_refuses_a_start_that_is_no_date() -> None:
    """A fixed end that is no date fails at once; a date still draws ordered windows."""

    @settings(max_examples=5, deadline=None)
    @given(sps.windows(date(2012, 1, 1)))
    def check(window: tuple[date, date]) -> None:
        assert date(2012, 1, 1) == window[0] <= window[1]

    check()
    _refused(lambda: sps.windows(starts_on="x"), "starts_on")
    _refused(lambda: sps.windows(ends_on=20120101), "ends_on")
    _refused(lambda: sps.agreements(starts_on="x"), "starts_on")


def test_windows_refuses_plain_ends_out_of_order() -> None:
    """Two fixed ends the wrong way round would leave nothing to draw."""
    _refused(lambda: sps.windows(date(2012, 1, 2), date(2012, 1, 1)), "ends_on")
    _refused(lambda: sps.grants(starts_on=date(2012, 1, 2), ends_on=date(2012, 1, 1)), "ends_on")


def test_a_value_its_field_converter_or_validator_refuses_fails_when_built() -> None:
    """The field's converter and validator run (the field's own code is kept in
    details); a value the converter takes, such as an enumeration's text, still draws."""

    @settings(max_examples=5, deadline=None)
    @given(sps.candidates(status="active"))
    def check(candidate: Any) -> None:
        assert "active" == candidate.status

    check()
    error = _refused(lambda: sps.candidates(status="nope"), "status")
    assert {"reason": "invalid_status"} == error.details
    error = _refused(lambda: sps.agreements(products=frozenset()), "products")
    assert {"reason": "invalid_products"} == error.details


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: sps.token_records(ttl=5), "ttl"),
        (lambda: sps.token_records(issued_at="now"), "issued_at"),
        (lambda: sps.ledger_digests(key="secret"), "key"),
        (lambda: sps.ledger_digests(streams=[1]), "streams"),
        (lambda: sps.ledger_keys(current="k"), "current"),
        (lambda: sps.ledger_keys(current=b""), "current"),
        (lambda: sps.ledger_keys(current=b"k" * 16, retired=[b"k" * 16]), "retired"),
    ],
    ids=["ttl", "issued_at", "key", "streams", "current", "empty-key", "twice"],
)
def test_the_arguments_that_are_no_field_are_checked_too(
    call: Callable[[], object], field: str
) -> None:
    _refused(call, field)


def test_a_strategy_override_is_checked_when_drawn_the_plain_value_at_once() -> None:
    """The same bad value fails at once as a plain value, and only when drawn from as a
    strategy (a strategy is not drawn from to build the strategy around it)."""
    _refused(lambda: sps.candidates(status="nope"), "status")
    strategy = sps.candidates(status=st.just("nope"))

    @settings(max_examples=1, deadline=None, database=None, phases=[Phase.generate])
    @given(strategy)
    def draw(_: Any) -> None:
        raise AssertionError("never drawn")

    with pytest.raises(ValidationError) as info:
        draw()
    assert "invalid_status" == info.value.code


@pytest.mark.parametrize("name", ["decisions", "candidates", "agreements", "policies"])
@settings(max_examples=1, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_an_override_too_large_to_print_is_refused_as_any_foreign_value(
    name: str, data: st.DataObject
) -> None:
    """A plain value Python refuses to print (an int of 5,000 digits) is named in the
    refusal as its type, never a bare ``ValueError`` while building the message."""
    fn = FUNCTIONS[name]
    value = data.draw(fn())
    field = next(f.alias for f in _overridable(fn, type(value)) if f.type not in (int, "int"))
    refused = _refused(lambda: fn(**{field: 10**5000}), field)
    assert "<int>" in str(refused)
