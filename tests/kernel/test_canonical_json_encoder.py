"""``canonical_json`` encodes with one encoder built once: the very text, and the very
refusals, of ``json.dumps`` with the canonical options (sorted keys, no spaces, UTF-8)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram import serialization
from symprogram.errors import ValidationError
from symprogram.serialization import canonical_json

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.text(), st.integers(), st.booleans()), inner, max_size=4),
    ),
    max_leaves=20,
)


def _plain(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@given(_JSON)
def test_canonical_json_writes_what_json_dumps_writes(value: Any) -> None:
    try:
        expected = _plain(value)
    except (TypeError, ValueError):  # keys of mixed types cannot be sorted
        with pytest.raises(ValidationError):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


def test_canonical_json_encoder_is_built_once() -> None:
    encode = serialization._canonical_encode
    canonical_json({"b": 1, "a": [1.5, "é"]})
    assert serialization._canonical_encode is encode
    assert encode({"b": 1, "a": "é"}) == '{"a":"é","b":1}'


@pytest.mark.parametrize(
    "value",
    [{1: 1, "a": 2}, {(1, 2): 3}, object(), {"a": {1, 2}}],
)
def test_canonical_json_refuses_as_json_dumps_does(value: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        _plain(value)
    with pytest.raises(ValidationError) as caught:
        canonical_json(value)
    assert caught.value.code == "not_serializable"
