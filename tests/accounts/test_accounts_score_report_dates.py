"""A score report is the result of an exam already taken: its exam date cannot lie
after the day it is recorded (the test centre's day may be one ahead of UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram import Program
from symprogram.accounts import rules
from symprogram.errors import NotFound, ValidationError


def _record(program: Program, exam_date: date) -> object:
    return program.accounts.record_score_report(
        registration_number="REG-0001",
        exam_code="250-315",
        candidate_name="Ada Lovelace",
        email="ada@example.com",
        score=85,
        passing_score=70,
        exam_date=exam_date,
        test_centre="London",
    )


def test_a_report_of_an_exam_after_the_recording_day_is_refused(program: Program) -> None:
    today = program.now().date()
    with pytest.raises(ValidationError) as info:
        _record(program, today + timedelta(days=2))
    assert ("exam_date_in_future", "exam_date") == (info.value.code, info.value.field)
    with pytest.raises(NotFound):
        program.accounts.get_score_report("REG-0001")


@pytest.mark.parametrize("days", [-400, -1, 0, 1])
def test_a_report_of_an_exam_up_to_the_test_centres_day_is_recorded(
    program: Program, days: int
) -> None:
    exam_day = program.now().date() + timedelta(days=days)
    _record(program, exam_day)
    assert exam_day == program.accounts.get_score_report("REG-0001").exam_date


@given(
    exam_date=st.dates(date(2000, 1, 1), date(2040, 12, 31)),
    recorded_at=st.datetimes(datetime(2000, 1, 1), datetime(2040, 12, 31), timezones=st.just(UTC)),
)
def test_the_exam_date_is_refused_exactly_when_after_the_next_utc_day(
    exam_date: date, recorded_at: datetime
) -> None:
    late = exam_date > recorded_at.date() + timedelta(days=1)
    if late:
        with pytest.raises(ValidationError):
            rules.check_exam_date(exam_date, recorded_at)
    else:
        assert exam_date == rules.check_exam_date(exam_date, recorded_at)
