"""The kernel's one lookup by key (symprogram._lookup.find_by)."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from symprogram._lookup import find_by


@given(st.lists(st.integers(0, 5)), st.integers(0, 6))
def test_find_by_returns_the_first_match_or_none(keys: list[int], wanted: int) -> None:
    """find_by agrees with the plain loop it replaced: the first item whose key matches."""
    items = [SimpleNamespace(key=key, position=i) for i, key in enumerate(keys)]
    expected = next((item for item in items if item.key == wanted), None)
    assert find_by(items, "key", wanted) is expected
