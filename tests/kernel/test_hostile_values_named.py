"""Hostile values named in a refusal's message never escape as Python's own errors.

``repr`` raises for an int past 4300 digits (``ValueError``) and for a container
nested past the recursion limit (``RecursionError``): a message that names the
value must still be built, and the refusal raised with its stable code.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from _hostile import HUGE, deep
from symprogram import Program
from symprogram._checks import check_enum, shown
from symprogram.consent import Channel
from symprogram.errors import ValidationError
from symprogram.i18n import direction, display_name, negotiate, parse_tag
from symprogram.serialization import loads

HOSTILE = [HUGE, deep()]


def test_shown_is_repr_for_ordinary_values_and_never_raises() -> None:
    """Ordinary values read as ``repr``; unprintable ones as their type, cut to the limit."""
    assert ("'abc'", "42", "None") == (shown("abc"), shown(42), shown(None))
    assert ("<int>", "<list>") == (shown(HUGE), shown(deep()))
    assert "'xxxx..." == shown("x" * 10, limit=8)


@pytest.mark.parametrize("value", HOSTILE, ids=["huge_int", "deep_list"])
def test_check_enum_refuses_a_hostile_value_as_any_other(value: object) -> None:
    """The enum check names the value in its message: it is refused like "nope"."""
    with pytest.raises(ValidationError) as plain:
        check_enum(Channel, "nope", "channel")
    with pytest.raises(ValidationError) as hostile:
        check_enum(Channel, value, "channel")
    assert plain.value.code == hostile.value.code


@pytest.mark.parametrize("value", HOSTILE, ids=["huge_int", "deep_list"])
def test_language_helpers_refuse_a_hostile_value_as_any_other(value: object) -> None:
    """parse_tag, direction, display_name and negotiate refuse it as a bad tag."""
    with pytest.raises(ValidationError) as plain:
        parse_tag(5)  # type: ignore[arg-type]
    calls = [
        lambda: parse_tag(value),  # type: ignore[arg-type]
        lambda: direction(value),  # type: ignore[arg-type]
        lambda: display_name(value),  # type: ignore[arg-type]
        lambda: display_name("en", value),  # type: ignore[arg-type]
        lambda: negotiate("en", [value]),  # type: ignore[list-item]
        lambda: negotiate("en", ["en"], default=value),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises(ValidationError) as hostile:
            call()
        assert plain.value.code == hostile.value.code


def test_an_instant_outside_the_calendar_in_utc_is_refused_when_read() -> None:
    """0001-01-01T00:00+14:00 has no UTC instant: instant_out_of_range, not OverflowError."""
    with pytest.raises(ValidationError) as info:
        loads('"0001-01-01T00:00:00+14:00"', datetime)
    assert "instant_out_of_range" == info.value.code
    assert datetime(2012, 1, 1, tzinfo=UTC) == loads('"2012-01-01T00:00:00+00:00"', datetime)


@pytest.mark.parametrize("against", ["digest", b"digest", 0, object()])
def test_verify_all_refuses_what_is_not_a_digest(against: object) -> None:
    """Program.verify_all(against=...) refuses a non-digest: invalid_digest."""
    with Program.in_memory() as program, pytest.raises(ValidationError) as info:
        program.verify_all(against=against)  # type: ignore[arg-type]
    assert ("invalid_digest", "against") == (info.value.code, info.value.field)
