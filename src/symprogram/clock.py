"""Time is injected: nothing in symprogram calls ``datetime.now()`` itself.

A :class:`Clock` is anything with a ``now()`` returning a timezone-aware UTC
``datetime``. :class:`SystemClock` reads the real time; :class:`FixedClock` is for
tests and demos and can be moved forward.

Example:
    >>> from datetime import datetime, timedelta, timezone
    >>> clock = FixedClock(datetime(2011, 1, 14, tzinfo=timezone.utc))
    >>> clock.advance(timedelta(days=1)).date().isoformat()
    '2011-01-15'
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol, runtime_checkable

from symprogram.errors import ValidationError

__all__ = [
    "EARLIEST_NOW",
    "LATEST_NOW",
    "LONGEST_SPAN",
    "Clock",
    "FixedClock",
    "SystemClock",
    "ensure_utc",
    "read_clock",
    "start_of_day",
]


@runtime_checkable
class Clock(Protocol):
    """Source of the current instant."""

    def now(self) -> datetime:
        """Return the current instant as a timezone-aware UTC ``datetime``."""
        ...


class SystemClock:
    """The real clock of the machine, in UTC."""

    def now(self) -> datetime:
        """Return the current instant in UTC."""
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """A clock that stands still until told to move; safe to share between threads.

    Args:
        start: the instant the clock shows; must be timezone-aware.
    """

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start, field="start")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the instant the clock is set to.

        Reading one attribute is atomic; the lock only orders the writers.
        """
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by ``delta`` (never backward) and return the new instant."""
        if delta < timedelta(0):
            raise ValidationError(
                "a clock only moves forward", field="delta", code="clock_backwards"
            )
        with self._lock:
            self._now = self._now + delta
            return self._now

    def set(self, instant: datetime) -> datetime:
        """Move the clock to ``instant``, which must not be before the current one."""
        instant = ensure_utc(instant, field="instant")
        with self._lock:
            if instant < self._now:
                raise ValidationError(
                    "a clock only moves forward", field="instant", code="clock_backwards"
                )
            self._now = instant
            return self._now

    def __repr__(self) -> str:
        return f"FixedClock({self._now.isoformat()})"


def ensure_utc(value: object, *, field: str = "at") -> datetime:
    """Return ``value`` as a UTC ``datetime``.

    A ``date`` is read as the start of that day in UTC. A naive ``datetime`` is
    refused: symprogram never guesses a time zone.

    Raises:
        ValidationError: ``value`` is not a date/datetime, or its time zone gives no
            usable offset (a whole day or more, or not a ``timedelta``)
            (``invalid_instant``), is naive (``naive_datetime``), or lies outside the
            calendar once moved to UTC (``instant_out_of_range``: e.g.
            0001-01-01T00:00+02:00).
    """
    if isinstance(value, datetime):
        try:
            offset = value.utcoffset()
        except (ValueError, TypeError):
            raise ValidationError(
                "the datetime's time zone gives no offset strictly between -24 and 24 hours",
                field=field,
                code="invalid_instant",
            ) from None
        if offset is None:
            raise ValidationError(
                "a timezone-aware datetime is required (naive datetimes are ambiguous)",
                field=field,
                code="naive_datetime",
            )
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValidationError(
                f"{value.isoformat()} is outside the years 1 to 9999 in UTC",
                field=field,
                code="instant_out_of_range",
            ) from None
    if isinstance(value, date):
        return start_of_day(value)
    raise ValidationError(
        f"expected a datetime, got {type(value).__name__}", field=field, code="invalid_instant"
    )


EARLIEST_NOW = datetime(1900, 1, 1, tzinfo=UTC)
"""The earliest instant a clock may read: the services count back from now (sweep
windows, rate limits) and must stay within the calendar."""
LATEST_NOW = datetime(9000, 1, 1, tzinfo=UTC)
"""The first instant a clock may not read: the services count forward from now
(link and award expiries, renewal windows) and must stay within the calendar."""

LONGEST_SPAN = timedelta(days=100 * 366)
"""The longest window or lifetime a setting may give (a hundred years): counted back
or forward from any instant a clock may read, it stays within the calendar."""


def read_clock(clock: Clock, *, field: str = "now") -> datetime:
    """``clock.now()`` as a UTC instant, read once, within the years a program works in.

    Raises:
        ValidationError: ``clock`` has no ``now()`` (``invalid_clock``, field
            ``clock``), the codes of :func:`ensure_utc` (a naive reading), or
            ``instant_out_of_range``: before :data:`EARLIEST_NOW` or from
            :data:`LATEST_NOW` on (a clock set to year 1 or 9999, where counting back
            or forward from now would leave the calendar), before anything is
            written.
    """
    reading = getattr(clock, "now", None)
    if not callable(reading):
        raise ValidationError(
            f"clock must be a Clock (got {type(clock).__name__})",
            field="clock",
            code="invalid_clock",
        )
    now = ensure_utc(reading(), field=field)
    if not EARLIEST_NOW <= now < LATEST_NOW:
        raise ValidationError(
            f"the clock reads {now.isoformat()}, outside the years "
            f"{EARLIEST_NOW.year} to {LATEST_NOW.year - 1}",
            field=field,
            code="instant_out_of_range",
        )
    return now


def start_of_day(day: date) -> datetime:
    """Return midnight UTC at the start of ``day``.

    Raises:
        ValidationError: ``day`` is not a ``date`` (``invalid_date``, field ``day``).
    """
    if not isinstance(day, date):
        raise ValidationError("day must be a calendar date", field="day", code="invalid_date")
    return datetime.combine(day, time.min, tzinfo=UTC)
