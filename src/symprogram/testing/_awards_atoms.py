"""The atoms the awards strategies draw from: identifiers, words and instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

_LO = datetime(2005, 1, 1, tzinfo=UTC)
_HI = datetime(2030, 1, 1, tzinfo=UTC)


_ident = st.from_regex(r"[a-z][a-z0-9]{1,8}(-[a-z0-9]{1,6}){0,2}", fullmatch=True)
_hex = st.binary(min_size=8, max_size=8).map(bytes.hex)
_words = st.text(
    alphabet=st.characters(codec="ascii", categories=("L", "N", "Zs")), min_size=1, max_size=30
).filter(lambda s: s.strip() != "")


def _days(n: int) -> timedelta:
    return timedelta(days=n)


def _later(start: datetime, lo: int, hi: int, unit: str = "days") -> st.SearchStrategy[datetime]:
    """Instants ``lo`` to ``hi`` ``unit`` (a :class:`timedelta` keyword) after ``start``."""
    return st.integers(lo, hi).map(lambda n: start + timedelta(**{unit: n}))
