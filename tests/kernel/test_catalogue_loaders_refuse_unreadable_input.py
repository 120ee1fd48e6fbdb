"""Every catalogue loader refuses what Python cannot read with a ``CatalogueError``.

The Terms of Use, the award catalogue, the privacy policies and the entitlement
catalogue each load from TOML text (``from_toml``) or a file (``load``). TOML
nested past Python's recursion limit, an integer too long for Python to read, a
path with a NUL byte or a name too long for the file system raised a bare
``RecursionError`` / ``ValueError`` from all but one of them; they are now the
loader's ``CatalogueError``, as any text that is not TOML is.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram.accounts import TermsCatalogue
from symprogram.awards import AwardCatalogue
from symprogram.consent import PolicyCatalogue
from symprogram.entitlements import EntitlementCatalogue
from symprogram.errors import CatalogueError
from symprogram.serialization import MAX_CATALOGUE_BYTES, toml_value

CATALOGUES: list[Any] = [TermsCatalogue, AwardCatalogue, PolicyCatalogue, EntitlementCatalogue]

UNREADABLE_TOML = {
    "nested": "x = " + "[" * 5000 + "]" * 5000,
    "integer_too_long": "x = " + "9" * 5000,
    "not_toml": "x = = 1",
}


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("text", UNREADABLE_TOML.values(), ids=list(UNREADABLE_TOML))
def test_from_toml_refuses_what_python_cannot_read(catalogue: Any, text: str) -> None:
    with pytest.raises(CatalogueError):
        catalogue.from_toml(text)


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("name", ["a" * 5000, "nul\x00byte.toml", "missing.toml"])
def test_load_refuses_a_path_the_system_refuses(catalogue: Any, name: str, tmp_path: Path) -> None:
    with pytest.raises(CatalogueError):
        catalogue.load(str(tmp_path / name))


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.__name__)
def test_load_refuses_a_file_that_is_not_utf8(catalogue: Any, tmp_path: Path) -> None:
    path = tmp_path / "catalogue.toml"
    path.write_bytes(b'title = "\xff\xfe"\n')
    with pytest.raises(CatalogueError):
        catalogue.load(str(path))


@given(st.integers(min_value=1, max_value=3000))
def test_toml_value_fails_only_with_value_error(depth: int) -> None:
    """Any nesting depth: a table, or a ValueError (never a RecursionError)."""
    text = "x = " + "[" * depth + "]" * depth
    with contextlib.suppress(ValueError):
        assert isinstance(toml_value(text), dict)


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.__name__)
def test_load_refuses_a_file_that_is_no_regular_file(catalogue: Any, tmp_path: Path) -> None:
    """A FIFO (whose opening waits for a writer) and a device (``/dev/zero`` never ends)
    are refused at once, never read."""
    fifo = tmp_path / "catalogue.toml"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(CatalogueError):
            catalogue.load(str(path))


@pytest.mark.parametrize("catalogue", CATALOGUES[:3], ids=lambda c: c.__name__)
def test_load_refuses_a_file_larger_than_the_limit(catalogue: Any, tmp_path: Path) -> None:
    """A file over ``MAX_CATALOGUE_BYTES`` is refused after reading no more than that."""
    big = tmp_path / "big.toml"
    big.write_bytes(b"# " + b"x" * MAX_CATALOGUE_BYTES + b"\n")
    with pytest.raises(CatalogueError) as refused:
        catalogue.load(str(big))
    assert "larger than" in str(refused.value)
