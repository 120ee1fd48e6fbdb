"""A clock set to the ends of the calendar is refused before anything is written.

The services count back from now (sweep windows, rate limits) and forward (link and
award expiries): a clock reading year 1 or 9999 made that arithmetic leave the
calendar, and a bare ``OverflowError`` escaped, at year 1 after the call's own unit
of work had committed. Every reading of the clock is now checked first
(``instant_out_of_range``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _programs import ProgramFactory, register_active, register_form
from symprogram.clock import EARLIEST_NOW, LATEST_NOW, FixedClock, read_clock
from symprogram.errors import ValidationError

EDGES = [
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(1899, 12, 31, 23, 59, 59, tzinfo=UTC),
    LATEST_NOW,
    datetime(9999, 12, 30, 12, tzinfo=UTC),
]

CALLS: dict[str, Callable[[Any, str], object]] = {
    "register": lambda p, _: register_form(p.accounts, "edge@example.com"),
    "resend_activation": lambda p, _: p.accounts.resend_activation("ada@example.com"),
    "request_password_reset": lambda p, _: p.accounts.request_password_reset("ada@example.com"),
    "authenticate": lambda p, _: p.accounts.authenticate("ada@example.com", "wrong password"),
    "consent grant": lambda p, cid: p.consent.grant(cid, "research", channel="web_form"),
    "awards evaluate": lambda p, cid: p.awards.evaluate(cid),
}


@given(st.datetimes(timezones=st.just(UTC)))
def test_a_reading_is_kept_exactly_when_it_lies_within_the_years(now: datetime) -> None:
    """``read_clock``: the reading itself within [EARLIEST_NOW, LATEST_NOW), else refused."""
    if EARLIEST_NOW <= now < LATEST_NOW:
        assert now == read_clock(FixedClock(now))
        return
    with pytest.raises(ValidationError) as refused:
        read_clock(FixedClock(now))
    assert "instant_out_of_range" == refused.value.code


@pytest.mark.parametrize("edge", EDGES, ids=str)
@pytest.mark.parametrize("call", CALLS)
def test_a_call_on_a_clock_at_the_calendars_end_is_refused_writing_nothing(
    make_program: ProgramFactory, edge: datetime, call: str
) -> None:
    """Refused with ``instant_out_of_range``; the store is as it was."""
    cid = register_active(make_program("sqlite"), "ada@example.com")
    program = make_program("sqlite", clock=FixedClock(edge))  # the same file
    before = _rows(program)
    with pytest.raises(ValidationError) as refused:
        CALLS[call](program, cid)
    assert "instant_out_of_range" == refused.value.code
    assert before == _rows(program)


def test_the_last_working_instant_still_works(make_program: ProgramFactory) -> None:
    """A clock a moment before LATEST_NOW registers (links expire within the calendar)."""
    program = make_program("memory", clock=FixedClock(LATEST_NOW - timedelta(days=30)))
    register_form(program.accounts, "late@example.com")
    assert program.notifier.last("activation", to="late@example.com") is not None


def _rows(program: Any) -> list[tuple[str, str, int]]:
    with program.store.transaction(readonly=True) as tx:
        kinds = ("candidate", "token", "account_request_log", "outbox_message", "consent_state")
        return sorted((k, r.key, r.version) for k in kinds for r in tx.scan(k, limit=10_000))


class _DayLongOffset(tzinfo):
    """A time zone whose offset is a whole day or more (Python refuses it on use)."""

    def __init__(self, hours: int) -> None:
        self.hours = hours

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(hours=self.hours)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)


@given(st.integers(24, 1000) | st.integers(-1000, -24))
def test_an_offset_of_a_day_or_more_is_an_invalid_instant(hours: int) -> None:
    """ensure_utc (behind every ``at=``) answers it with ``invalid_instant``, never the
    bare ``ValueError`` that converting it raises."""
    from symprogram.clock import ensure_utc

    with pytest.raises(ValidationError) as caught:
        ensure_utc(datetime(2011, 1, 15, tzinfo=_DayLongOffset(hours)), field="at")
    assert (caught.value.code, caught.value.field) == ("invalid_instant", "at")
