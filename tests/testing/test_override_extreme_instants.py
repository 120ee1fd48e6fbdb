"""An instant or day overridden near the ends of the calendar (years 1 and 9999)
never breaks a draw with a bare ``OverflowError``.

Every strategy function, every field of its model that holds an instant or a day,
overridden with plain values at the ends of ``datetime``'s and ``date``'s range:
building the strategy either raises ``ValidationError`` ``invalid_argument``
naming the field, or every value drawn holds the override (as its field keeps it)
and reads back from its JSON as itself; never a bare exception. (A value only
another field drawn independently makes wrong, a revocation before the grant, is
left to the draw, as docs/testing.md says: the model's own ``ValidationError``.)
A strategy counting days or hours from an instant refuses one too near the ends
for its arithmetic when it is built.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis.errors import InvalidArgument
from test_override_values import FUNCTIONS, _overridable
from test_override_values_refused_at_build import QUICK, _built, _draws, _kept, share

import symprogram.testing.strategies as sps
from symprogram import serialization
from symprogram.errors import ValidationError

EXTREMES: dict[str, Any] = {
    "datetime.min in UTC": datetime.min.replace(tzinfo=UTC),
    "datetime.max in UTC": datetime.max.replace(tzinfo=UTC),
    "the first day of year 1": datetime(1, 1, 2, tzinfo=UTC),
    "the last day of year 9999": datetime(9999, 12, 31, tzinfo=UTC),
    "datetime.min two hours east": datetime.min.replace(tzinfo=timezone(timedelta(hours=2))),
    "datetime.max two hours west": datetime.max.replace(tzinfo=timezone(timedelta(hours=-2))),
    "date.min": date.min,
    "date.max": date.max,
}


def _holds_a_day(tp: Any) -> bool:
    """Whether annotation ``tp`` is (or may be) an instant or a day."""
    if isinstance(tp, type):
        return issubclass(tp, date)
    return any(_holds_a_day(arg) for arg in typing.get_args(tp))


def _day_fields(fn: Callable[..., Any], cls: type[Any]) -> list[attrs.Attribute[Any]]:
    hints = typing.get_type_hints(cls)
    return [f for f in _overridable(fn, cls) if _holds_a_day(hints.get(f.name))]


def _check(fn: Callable[..., Any], cls: type[Any], field: attrs.Attribute[Any], turn: int) -> None:
    for label, value in share(EXTREMES, turn).items():
        strategy = _built(fn, field.alias, value)
        if isinstance(strategy, ValidationError):
            assert isinstance(strategy, InvalidArgument), label
            assert ("invalid_argument", field.alias) == (strategy.code, strategy.field), label
            continue
        try:
            drawn_values = _draws(strategy, 2 if QUICK else 5)
        except ValidationError:  # the model's own check against another field drawn
            continue
        for drawn in drawn_values:  # the value was taken
            assert _kept(field, cls, value) == getattr(drawn, field.name), label
            assert drawn == serialization.loads(serialization.dumps(drawn), cls), label


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_an_instant_at_the_ends_of_the_calendar_is_refused_when_built_or_drawn(
    name: str,
) -> None:
    fn = FUNCTIONS[name]
    cls = type(_draws(fn(), 1)[0])
    for turn, field in enumerate(_day_fields(fn, cls), start=sorted(FUNCTIONS).index(name)):
        _check(fn, cls, field, turn)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: sps.award_grants(granted_at=datetime(9999, 12, 31, tzinfo=UTC)), "granted_at"),
        (lambda: sps.token_records(issued_at=datetime(9999, 12, 31, tzinfo=UTC)), "issued_at"),
        (lambda: sps.renewals(previous_expiry=datetime(1, 1, 2, tzinfo=UTC)), "previous_expiry"),
    ],
    ids=["award_grants", "token_records", "renewals"],
)
def test_an_instant_counted_from_beyond_the_calendar_is_refused_when_built(
    call: Callable[[], object], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        call()
    assert ("invalid_argument", field) == (info.value.code, info.value.field)
    assert {"reason": "out_of_range"} == info.value.details


def test_a_release_supported_to_the_last_day_ends_its_life_that_day() -> None:
    """Days are drawn up to the last day of the calendar, not past it."""
    for release in _draws(sps.releases(end_of_standard_support=date.max), 10):
        assert release.end_of_life in (None, date.max)


def test_instants_within_the_years_a_clock_reads_are_still_taken() -> None:
    early, late = datetime(1900, 1, 1, tzinfo=UTC), datetime(8999, 12, 31, tzinfo=UTC)
    assert [early] == [g.granted_at for g in _draws(sps.award_grants(granted_at=early), 1)]
    assert [late] == [g.granted_at for g in _draws(sps.award_grants(granted_at=late), 1)]
    assert [late] == [t.issued_at for t in _draws(sps.token_records(issued_at=late), 1)]
