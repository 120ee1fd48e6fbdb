"""A catalogue's ``load`` given something that is no path says so with a ``CatalogueError``.

``TermsCatalogue.load(None)`` (an unset setting read from the environment, say),
``AwardCatalogue.load(5)`` or ``PolicyCatalogue.load(["a.toml"])`` let Python's
``TypeError`` escape; ``EntitlementCatalogue.load`` already refused them. Each now
raises the loader's ``CatalogueError`` naming the ``path`` field.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _hostile import HUGE
from symprogram.accounts import TermsCatalogue
from symprogram.awards import AwardCatalogue
from symprogram.consent import PolicyCatalogue
from symprogram.entitlements import EntitlementCatalogue
from symprogram.errors import CatalogueError

CATALOGUES: list[Any] = [TermsCatalogue, AwardCatalogue, PolicyCatalogue, EntitlementCatalogue]

NOT_A_PATH = st.one_of(
    st.integers(),
    st.floats(allow_nan=False),
    st.binary(),
    st.lists(st.text(max_size=5), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.__name__)
@given(value=NOT_A_PATH)
def test_load_refuses_a_value_that_is_no_path(catalogue: Any, value: object) -> None:
    with pytest.raises(CatalogueError) as caught:
        catalogue.load(value)
    assert "path" == caught.value.field


@pytest.mark.parametrize("catalogue", [TermsCatalogue, AwardCatalogue, PolicyCatalogue])
def test_load_refuses_none(catalogue: Any) -> None:
    """``None`` is no path for the loaders that have no default to fall back on."""
    with pytest.raises(CatalogueError) as caught:
        catalogue.load(None)
    assert "path" == caught.value.field
    assert "NoneType" in caught.value.message


def test_a_policy_missing_a_required_key_is_named() -> None:
    """A policy without ``version`` says which key is missing, not a bare ``'version'``."""
    with pytest.raises(CatalogueError) as caught:
        PolicyCatalogue.from_toml('effective = "2005-07-01"\n')
    assert "version" == caught.value.field
    assert "the required key 'version' is missing" in caught.value.message


class _FsPath(os.PathLike[str]):
    """An ``os.PathLike`` whose ``__fspath__`` gives ``value``, whatever it is."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __fspath__(self) -> Any:
        return self.value


@pytest.mark.parametrize(
    "given_path", [5, None, b"catalogue.toml", HUGE], ids=["int", "none", "bytes", "huge_int"]
)
@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.__name__)
def test_load_refuses_a_path_like_that_gives_no_text(catalogue: Any, given_path: object) -> None:
    """An ``os.PathLike`` whose ``__fspath__`` gives no text (an int, ``None``, bytes)
    is no path: a ``CatalogueError`` on ``path``, never Python's ``TypeError``."""
    with pytest.raises(CatalogueError) as caught:
        catalogue.load(_FsPath(given_path))
    assert "path" == caught.value.field


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.__name__)
def test_load_refuses_an_int_too_long_to_print(catalogue: Any) -> None:
    """An int of 5,000 digits (whose ``repr`` Python refuses) is no path either."""
    with pytest.raises(CatalogueError) as caught:
        catalogue.load(HUGE)
    assert "path" == caught.value.field
