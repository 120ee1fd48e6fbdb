"""Renamed public names keep working for a release, with a DeprecationWarning."""

from __future__ import annotations

import pytest

from symprogram._deprecation import deprecated_alias, module_getattr, renamed_keyword
from symprogram.errors import ValidationError


class Service:
    def get_case(self, case_id: str) -> str:
        return case_id.upper()

    case = deprecated_alias("get_case", old="case", since="0.2.0")


def test_a_deprecated_method_warns_and_forwards() -> None:
    """service.case(...) warns, naming the new method, and returns what get_case returns."""
    with pytest.warns(DeprecationWarning, match=r"Service\.get_case\(\)"):
        assert Service().case("c-1") == "C-1"


def test_a_moved_module_name_warns_and_returns_the_object() -> None:
    """A module __getattr__ from module_getattr serves the moved name with a warning."""
    getter = module_getattr(
        "old.place", {"Thing": ("symprogram.errors", "NotFound")}, since="0.2.0"
    )
    from symprogram.errors import NotFound

    with pytest.warns(DeprecationWarning, match="symprogram.errors.NotFound"):
        assert getter("Thing") is NotFound
    with pytest.raises(AttributeError):
        getter("Other")


def test_a_renamed_keyword_is_read_with_a_warning_and_conflicts_are_refused() -> None:
    """The old keyword still works; both at once, or an unknown one, is a ValidationError."""
    assert renamed_keyword({}, old="terms", new="catalogue", value=1, since="0.2.0", where="f") == 1
    with pytest.warns(DeprecationWarning, match=r"f\(catalogue=\.\.\.\)"):
        got = renamed_keyword(
            {"terms": 2}, old="terms", new="catalogue", value=None, since="0.2.0", where="f"
        )
    assert got == 2
    with pytest.raises(ValidationError) as caught:
        renamed_keyword(
            {"terms": 2}, old="terms", new="catalogue", value=1, since="0.2.0", where="f"
        )
    assert caught.value.code == "conflicting_arguments"
    with pytest.raises(ValidationError) as caught:
        renamed_keyword(
            {"nope": 2}, old="terms", new="catalogue", value=1, since="0.2.0", where="f"
        )
    assert caught.value.code == "unexpected_argument"
