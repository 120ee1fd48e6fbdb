"""Hostile arguments to the awards service and catalogue are refused with a
SymprogramError (never Python's own ValueError, RecursionError, OverflowError or
AttributeError), and write nothing."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest
from awards_env import START, Env

from _hostile import HUGE, deep
from symprogram.awards import AwardCatalogue, AwardsSettings, KitAddress, catalogue
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


def wrong(value: object) -> Any:
    """``value`` typed as anything: a shape the type checker would refuse."""
    return value


MODELS: dict[str, tuple[Callable[[], object], str]] = {
    "AwardCatalogue(exams=None, awards=None)": (
        lambda: AwardCatalogue(exams=wrong(None), awards=wrong(None)),
        "invalid_entry",
    ),
    "AwardCatalogue(awards=list)": (
        lambda: AwardCatalogue(exams={}, awards=wrong(["x"])),
        "invalid_entry",
    ),
    "KitAddress(postal_address=None)": (
        lambda: KitAddress(name="n", email="a@example.com", postal_address=wrong(None)),
        "invalid_postal_address",
    ),
    "KitAddress(postal_address=5)": (
        lambda: KitAddress(name="n", email="a@example.com", postal_address=wrong(5)),
        "invalid_postal_address",
    ),
    "AwardsSettings(progress_memo_limit=10**9)": (
        lambda: AwardsSettings(progress_memo_limit=10**9),
        "invalid_progress_memo_limit",
    ),
    "AwardsSettings(progress_memo_limit=huge int)": (
        lambda: AwardsSettings(progress_memo_limit=HUGE),
        "invalid_progress_memo_limit",
    ),
}


@pytest.mark.parametrize("case", sorted(MODELS))
def test_a_model_or_setting_of_a_wrong_shape_is_refused_with_a_code(case: str) -> None:
    """A catalogue's tables or a postal address that are none, a memo limit past
    10,000,000 (the bound of every cache and memo limit): refused with a code, never a
    bare ``TypeError`` or an unbounded memo."""
    build, code = MODELS[case]
    with pytest.raises(ValidationError) as info:
        build()
    assert code == info.value.code
