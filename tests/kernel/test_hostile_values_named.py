"""Hostile values named in a refusal's message never escape as Python's own errors.

``repr`` raises for an int past 4300 digits (``ValueError``) and for a container
nested past the recursion limit (``RecursionError``): a message that names the
value must still be built, and the refusal raised with its stable code.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from _hostile import HUGE, deep
from symprogram import FixedClock, Program
from symprogram._checks import check_enum, shown
from symprogram.consent import Channel
from symprogram.errors import ValidationError
from symprogram.events import DomainEvent
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


class _Hostile:
    """An argument whose hashing, comparing and printing all raise."""

    def __hash__(self) -> int:
        raise RuntimeError("hash")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("eq")

    def __repr__(self) -> str:
        raise RuntimeError("repr")


class _Text(str):
    """A str subclass with a hostile ``__hash__`` and ``__eq__``."""

    def __hash__(self) -> int:
        raise RuntimeError("hash")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("eq")


def test_check_enum_never_runs_the_arguments_own_hash_or_eq() -> None:
    """An object that raises when hashed or compared is refused like "nope"; a str
    subclass that does is read as its text."""
    with pytest.raises(ValidationError) as refused:
        check_enum(Channel, _Hostile(), "channel")
    assert "invalid_channel" == refused.value.code
    assert Channel.EMAIL is check_enum(Channel, _Text("email"), "channel")
    with pytest.raises(ValidationError):
        check_enum(Channel, _Text("nope"), "channel")


def test_a_hostile_object_for_an_enumeration_argument_is_a_validation_error() -> None:
    """Through the public API: a terms path, a notification category and an incident
    message author that hash-raise are refused with their codes."""
    program = Program.open("memory://", clock=FixedClock(datetime(2012, 3, 1, tzinfo=UTC)))
    calls = [
        lambda: program.accounts.accept_terms(path=_Hostile()),  # type: ignore[arg-type]
        lambda: program.accounts.get_notification_setting("SP-1", _Hostile()),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises(ValidationError):
            call()


def test_history_record_refuses_what_is_not_an_event() -> None:
    """``history.record`` and ``record_many`` refuse a non-event (``invalid_event``)
    and append nothing."""
    program = Program.open("memory://", clock=FixedClock(datetime(2012, 3, 1, tzinfo=UTC)))
    history = program.history
    with program.store.transaction() as tx:
        for call in (
            lambda: history.record(tx, "not an event"),  # type: ignore[arg-type]
            lambda: history.record_many(  # type: ignore[list-item]
                tx, [DomainEvent("SP-1", datetime(2012, 3, 1, tzinfo=UTC)), "x"]
            ),
        ):
            with pytest.raises(ValidationError) as refused:
                call()
            assert "invalid_event" == refused.value.code
    assert [] == list(history.history("SP-1"))
