"""``SQLiteStore`` refuses a path or a timeout it cannot use with a ``ValidationError``.

``SQLiteStore(None)`` (a path read from an unset setting), ``SQLiteStore(b"x.db")``
or ``SQLiteStore(path, timeout="30")`` let Python's ``TypeError`` escape from
``os.fspath`` or ``sqlite3.connect``; a negative timeout was taken as it came.
Each is now ``invalid_path`` / ``invalid_timeout``, before any file is created.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram import ValidationError
from symprogram.storage.sqlite import SQLiteStore

NOT_A_TEXT_PATH = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=False),
    st.binary(min_size=1, max_size=20),
    st.lists(st.text(max_size=3), max_size=2),
)

NOT_A_TIMEOUT = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=5),
    st.floats(max_value=-0.001),
    st.floats(min_value=86_400.001, allow_infinity=True),
    st.integers(max_value=-1),
    st.just(float("nan")),
)


@given(path=NOT_A_TEXT_PATH)
def test_a_path_that_is_no_text_path_is_invalid_path(path: object) -> None:
    with pytest.raises(ValidationError) as caught:
        SQLiteStore(path)  # type: ignore[arg-type]
    assert ("invalid_path", "path") == (caught.value.code, caught.value.field)


@given(timeout=NOT_A_TIMEOUT)
def test_a_timeout_that_is_no_number_of_seconds_is_invalid_timeout(timeout: object) -> None:
    with pytest.raises(ValidationError) as caught:
        SQLiteStore(":memory:", timeout=timeout)  # type: ignore[arg-type]
    assert ("invalid_timeout", "timeout") == (caught.value.code, caught.value.field)


def test_a_refused_timeout_creates_no_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        SQLiteStore(tmp_path / "program.db", timeout="30")  # type: ignore[arg-type]
    assert [] == list(tmp_path.iterdir())


@pytest.mark.parametrize("timeout", [0, 0.05, 30, 86_400])
def test_a_number_of_seconds_is_a_timeout(tmp_path: Path, timeout: float) -> None:
    store = SQLiteStore(tmp_path / "program.db", timeout=timeout)
    store.close()
