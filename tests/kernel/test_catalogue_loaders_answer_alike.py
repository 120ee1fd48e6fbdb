"""The four catalogue loaders answer the same input the same way (one convention).

``TermsCatalogue``, ``AwardCatalogue``, ``PolicyCatalogue`` and
``EntitlementCatalogue`` each load with ``default()``, ``load(path)`` and
``from_toml(text)`` (docs/explanation-architecture.md). A missing file used to be
``catalogue_invalid``, ``catalogue_not_found`` or ``catalogue_unreadable`` depending
on the catalogue, text that is not TOML ``catalogue_invalid`` or ``invalid_toml``,
an empty file ``catalogue_invalid`` or ``invalid_entry``; ``EntitlementCatalogue``
answered ``load(None)`` with its default where the others refused it, and only the
consent catalogue took its reading positionally. Every loader now reads a file and
its TOML through the one kernel reader, :mod:`symprogram.serialization`.
"""

from __future__ import annotations

import inspect
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram.accounts import TermsCatalogue
from symprogram.accounts import catalogue as terms_catalogue
from symprogram.awards import AwardCatalogue
from symprogram.awards import catalogue as awards_catalogue
from symprogram.consent import PolicyCatalogue
from symprogram.consent import catalogue as consent_catalogue
from symprogram.entitlements import EntitlementCatalogue
from symprogram.entitlements import catalogue as entitlements_catalogue
from symprogram.errors import CatalogueError, ValidationError
from symprogram.serialization import catalogue_file_text

CATALOGUES: list[Any] = [TermsCatalogue, AwardCatalogue, PolicyCatalogue, EntitlementCatalogue]
MODULES: list[Any] = [terms_catalogue, awards_catalogue, consent_catalogue, entitlements_catalogue]


def _missing(tmp: Path) -> object:
    return str(tmp / "nope.toml")


def _missing_folder(tmp: Path) -> object:
    return tmp / "no-such-folder" / "catalogue.toml"


def _fifo(tmp: Path) -> object:
    os.mkfifo(tmp / "fifo.toml")
    return tmp / "fifo.toml"


def _written(data: bytes) -> Callable[[Path], object]:
    def write(tmp: Path) -> object:
        (tmp / "catalogue.toml").write_bytes(data)
        return tmp / "catalogue.toml"

    return write


FILES: dict[str, tuple[Callable[[Path], object], str]] = {
    "int": (lambda tmp: 5, "invalid_path"),
    "bytes_path": (lambda tmp: b"catalogue.toml", "invalid_path"),
    "nul_in_path": (lambda tmp: str(tmp / "a\x00b.toml"), "invalid_path"),
    "missing_file": (_missing, "catalogue_not_found"),
    "missing_folder": (_missing_folder, "catalogue_not_found"),
    "fifo": (_fifo, "catalogue_unreadable"),
    "device": (lambda tmp: "/dev/zero", "catalogue_unreadable"),
    "not_toml": (_written(b"a = ["), "invalid_toml"),
    "not_utf8": (_written(b'title = "\xff\xfe"\n'), "invalid_toml"),
    "empty": (_written(b""), "empty_catalogue"),
    "only_comments": (_written(b"# nothing here\n\n"), "empty_catalogue"),
}

TEXTS: dict[str, tuple[object, str]] = {
    "none": (None, "invalid_toml"),
    "int": (5, "invalid_toml"),
    "bytes": (b"a = 1", "invalid_toml"),
    "not_toml": ("a = [", "invalid_toml"),
    "nested_too_deeply": ("x = " + "[" * 5000 + "]" * 5000, "invalid_toml"),
    "empty": ("", "empty_catalogue"),
    "blank": ("  \n\t\n", "empty_catalogue"),
}


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("kind", list(FILES))
def test_every_load_answers_a_bad_file_with_the_same_code(
    catalogue: Any, kind: str, tmp_path: Path
) -> None:
    make, code = FILES[kind]
    with pytest.raises(CatalogueError) as refused:
        catalogue.load(make(tmp_path))
    assert (code, "path") == (refused.value.code, refused.value.field)


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("kind", list(TEXTS))
def test_every_from_toml_answers_bad_text_with_the_same_code(catalogue: Any, kind: str) -> None:
    text, code = TEXTS[kind]
    with pytest.raises(CatalogueError) as refused:
        catalogue.from_toml(text)
    assert code == refused.value.code


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.__name__)
@given(text=st.lists(st.sampled_from([" ", "\t", "\n", "\r\n", "# a note\n"])).map("".join))
def test_text_holding_nothing_is_an_empty_catalogue(catalogue: Any, text: str) -> None:
    """Blank lines and comments only: ``empty_catalogue``, whichever the catalogue."""
    with pytest.raises(CatalogueError) as refused:
        catalogue.from_toml(text)
    assert "empty_catalogue" == refused.value.code


@pytest.mark.parametrize("catalogue", CATALOGUES[:3], ids=lambda c: c.__name__)
def test_load_refuses_none_alike(catalogue: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        catalogue.load(None)
    assert ("invalid_path", "path") == (refused.value.code, refused.value.field)


def test_entitlement_load_of_none_still_gives_the_default_with_a_warning() -> None:
    """``EntitlementCatalogue.load(None)`` (and ``load()``) answered the default: kept
    for a release, with a ``DeprecationWarning`` pointing to ``default()``."""
    with pytest.warns(DeprecationWarning, match=r"default\(\)") as caught:
        loaded = EntitlementCatalogue.load(None)
    assert loaded is EntitlementCatalogue.default()
    assert __file__ == caught[0].filename
    with pytest.deprecated_call():
        assert entitlements_catalogue.load() is EntitlementCatalogue.default()


def _policies(catalogue: Any) -> Any:
    """What a catalogue holds, compared by value (a ``PolicyCatalogue`` has no ``==``)."""
    return catalogue.policies if isinstance(catalogue, PolicyCatalogue) else catalogue


@pytest.mark.parametrize("catalogue", [PolicyCatalogue, EntitlementCatalogue])
def test_default_takes_its_reading_as_a_keyword(catalogue: Any) -> None:
    """Both catalogues with readings take ``reading=`` keyword-only, ``None`` standing for
    the default reading, and refuse an unknown one with ``invalid_reading``."""
    parameter = inspect.signature(catalogue.default).parameters["reading"]
    assert (inspect.Parameter.KEYWORD_ONLY, None) == (parameter.kind, parameter.default)
    assert _policies(catalogue.default(reading=None)) == _policies(catalogue.default())
    with pytest.raises(ValidationError) as refused:
        catalogue.default(reading="bogus")
    assert "invalid_reading" == refused.value.code


def test_a_positional_policy_reading_still_works_with_a_warning() -> None:
    with pytest.warns(DeprecationWarning, match="reading=") as caught:
        positional = PolicyCatalogue.default("opt_in")
    assert __file__ == caught[0].filename
    assert _policies(PolicyCatalogue.default(reading="opt_in")) == _policies(positional)
    with pytest.deprecated_call():
        assert _policies(consent_catalogue.default("opt_in")) == _policies(positional)
    with pytest.raises(ValidationError) as both:
        PolicyCatalogue.default("opt_in", reading="opt_in")
    assert "conflicting_arguments" == both.value.code


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_a_catalogue_module_loads_with_default_load_and_from_toml_only(module: Any) -> None:
    functions = {name for name in module.__all__ if inspect.isfunction(getattr(module, name, None))}
    assert {"default", "load", "from_toml"} == functions


def test_awards_from_mapping_is_deprecated() -> None:
    """``symprogram.awards.catalogue.from_mapping`` (a fourth loader) warns, pointing to
    ``from_toml``, and still builds what ``from_toml`` builds."""
    raw = {
        "exams": {"E": {"title": "E"}},
        "awards": {"a": {"name": "A", "kind": "accreditation", "requires": {"exam": "E"}}},
    }
    text = (
        '[exams.E]\ntitle = "E"\n'
        '[awards.a]\nname = "A"\nkind = "accreditation"\nrequires = { exam = "E" }\n'
    )
    with pytest.warns(DeprecationWarning, match="from_toml") as caught:
        from_mapping = awards_catalogue.from_mapping
    assert __file__ == caught[0].filename
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert AwardCatalogue.from_toml(text) == from_mapping(raw)
    with pytest.warns(DeprecationWarning, match="from_toml"):
        assert AwardCatalogue.from_toml(text) == AwardCatalogue.from_mapping(raw)


def test_the_file_reader_code_argument_is_deprecated(tmp_path: Path) -> None:
    """``catalogue_file_text(code=...)`` (each loader's own code) still gives that code
    for every refusal, with a ``DeprecationWarning``; without it the codes are shared."""
    with pytest.deprecated_call(), pytest.raises(CatalogueError) as refused:
        catalogue_file_text(tmp_path / "nope.toml", code="my_code")
    assert "my_code" == refused.value.code
    with pytest.raises(CatalogueError) as shared:
        catalogue_file_text(tmp_path / "nope.toml")
    assert ("catalogue_not_found", "not found") == (
        shared.value.code,
        shared.value.details["problem"],
    )
