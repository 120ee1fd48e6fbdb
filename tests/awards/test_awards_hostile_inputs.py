"""Hostile arguments to the awards service and catalogue are refused with a
SymprogramError (never Python's own ValueError, RecursionError, OverflowError or
AttributeError), and write nothing."""

from __future__ import annotations

from importlib import resources

import pytest
from awards_env import START, Env

from _hostile import HUGE, deep
from symprogram.awards import catalogue
from symprogram.errors import CatalogueError, ValidationError


@pytest.mark.parametrize("version", [HUGE, deep(), "9.9"], ids=["huge_int", "deep_list", "text"])
def test_an_unknown_exam_version_is_refused_however_hostile(env: Env, version: object) -> None:
    """unknown_exam_version for a huge int or a deep list as for unknown text."""
    before = env.snapshot()
    with pytest.raises(ValidationError) as info:
        env.service.record_exam_result(
            "ada",
            "ST0-091",
            80,
            taken_at=START,
            version=version,  # type: ignore[arg-type]
        )
    assert ("unknown_exam_version", "version") == (info.value.code, info.value.field)
    assert before == env.snapshot()


@pytest.mark.parametrize("text", [5, None, b"[awards]", object()])
def test_from_toml_refuses_what_is_not_text(text: object) -> None:
    """Not text: invalid_toml, not AttributeError."""
    with pytest.raises(CatalogueError) as info:
        catalogue.from_toml(text)  # type: ignore[arg-type]
    assert "invalid_toml" == info.value.code


@pytest.mark.parametrize("key", ["validity_days", "renewal_window_days"])
def test_a_period_too_long_for_a_timedelta_is_refused(key: str) -> None:
    """A 64-bit number of days (TOML's largest integer): invalid_validity, not OverflowError."""
    text = resources.files("symprogram.data.awards").joinpath("program.toml").read_text("utf-8")
    line = f"{key} = 365" if key == "validity_days" else f"{key} = 60"
    assert line in text
    with pytest.raises(CatalogueError) as info:
        catalogue.from_toml(text.replace(line, f"{key} = {2**63 - 1}", 1))
    assert "invalid_validity" == info.value.code
