"""``check_key``: the storage port's key check, its fast path included (issue 20).

A bulk import checks about ninety keys per candidate, so ``check_key`` accepts a
plain ASCII key in one expression before the full checks. Both paths must agree:
a key is accepted exactly when it is a non-empty ``str`` of at most
``MAX_KEY_LENGTH`` characters, without NUL, encodable as UTF-8.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram.errors import LimitExceeded, ValidationError
from symprogram.persistence import MAX_KEY_LENGTH, check_key


def _malformed(value: object) -> bool:
    """Refused whatever its length: not a str, empty, with NUL, or not UTF-8."""
    if not isinstance(value, str) or not value or "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _acceptable(value: object) -> bool:
    return not _malformed(value) and len(str(value)) <= MAX_KEY_LENGTH


@given(
    st.one_of(
        st.text(max_size=MAX_KEY_LENGTH + 3),
        st.text(st.characters(codec="ascii"), min_size=MAX_KEY_LENGTH - 2, max_size=260),
        st.text(st.characters(categories=["Cs", "Ll"]), max_size=4),
        st.integers(),
        st.none(),
        st.binary(max_size=4),
    )
)
def test_a_key_is_accepted_exactly_when_it_is_valid(value: object) -> None:
    """Property: accepted (and returned unchanged) iff valid; otherwise the error of the
    full check (ValidationError invalid_key, LimitExceeded key_too_long)."""
    if _acceptable(value):
        assert value is check_key(value, "key")
        return
    with pytest.raises((ValidationError, LimitExceeded)) as raised:
        check_key(value, "key")
    malformed = _malformed(value)
    assert ("invalid_key" if malformed else "key_too_long") == raised.value.code
    assert "key" == raised.value.field


class _Text(str):
    """A str subclass: still a key (the port accepts any str)."""


def test_a_str_subclass_is_a_key_too() -> None:
    """The fast path does not change what a str subclass gets: accepted when valid."""
    assert "abc" == check_key(_Text("abc"), "key")


@pytest.mark.parametrize("value", ["", "a\x00b", "\ud800", "k" * (MAX_KEY_LENGTH + 1)])
def test_the_edges_are_refused(value: str) -> None:
    """Empty, NUL, a lone surrogate and one character too many are refused."""
    with pytest.raises((ValidationError, LimitExceeded)):
        check_key(value, "key")


def test_the_longest_key_is_accepted() -> None:
    """Exactly MAX_KEY_LENGTH ASCII characters pass."""
    assert "k" * MAX_KEY_LENGTH == check_key("k" * MAX_KEY_LENGTH, "key")
