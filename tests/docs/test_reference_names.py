"""Every public name is in the API reference (docs/reference/*.md).

Walks the ``__all__`` of every public module of the package (no ``_private`` part in
its dotted name) and checks that each name is documented: either autodoc covers it
(an ``automodule`` directive of a module that exports the same object, with members,
and the object has documentation autodoc shows), or the reference pages name it
in backticks or in a directive. The rules mirror autodoc's: a module with
``__all__`` documents exactly those names; one without documents what it defines;
an undocumented member is left out unless ``:undoc-members:`` is set.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import warnings
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import symprogram

pytest.importorskip("sphinx", reason="the reference check reads docstrings like autodoc")
from sphinx.errors import PycodeError
from sphinx.pycode import ModuleAnalyzer

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference"
_DIRECTIVE = re.compile(r"^\.\. automodule:: *(\S+)[ \t]*\n((?:[ \t]+:[\w-]+:.*\n?)*)", re.M)
_OPTION = re.compile(r"^[ \t]+:([\w-]+):[ \t]*(.*)$", re.M)
_NAMED = re.compile(r"^\.\. auto\w+:: *(\S+)", re.M)


@cache
def reference_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(REFERENCE.glob("*.md")))


@cache
def automodules() -> dict[str, dict[str, str]]:
    """Each ``automodule`` directive of the reference: module -> its options."""
    found: dict[str, dict[str, str]] = {}
    for match in _DIRECTIVE.finditer(reference_text()):
        options = {name: value.strip() for name, value in _OPTION.findall(match.group(2))}
        found[match.group(1)] = options
    return found


def public_modules() -> Iterator[ModuleType]:
    yield symprogram
    for info in pkgutil.walk_packages(symprogram.__path__, "symprogram."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            yield importlib.import_module(info.name)


@cache
def _attr_docs(module_name: str) -> frozenset[str]:
    try:
        analyzer = ModuleAnalyzer.for_module(module_name)
    except PycodeError:  # pragma: no cover - every module here has source
        return frozenset()
    return frozenset(name for (scope, name) in analyzer.find_attr_docs() if scope == "")


def _has_doc(module: ModuleType, name: str, obj: Any) -> bool:
    if inspect.isclass(obj) or inspect.isroutine(obj) or inspect.ismodule(obj):
        return bool((getattr(obj, "__doc__", None) or "").strip())
    return name in _attr_docs(module.__name__)


def autodoc_covers(name: str, obj: Any) -> bool:
    """Whether an ``automodule`` directive of the reference documents ``obj`` as ``name``."""
    for module_name, options in automodules().items():
        if "no-members" in options:
            continue
        listed = [m.strip() for m in options.get("members", "").split(",") if m.strip()]
        if listed and name not in listed:
            continue
        module = importlib.import_module(module_name)
        if _current(module, name) is not obj:
            continue
        exported = getattr(module, "__all__", None)
        if not listed and exported is not None and name not in exported:
            continue
        if not listed and exported is None and getattr(obj, "__module__", None) != module_name:
            continue
        if "undoc-members" in options or _has_doc(module, name, obj):
            return True
    return False


def mentioned(name: str) -> bool:
    """Whether a reference page names ``name`` in backticks or in an ``auto...`` directive."""
    text = reference_text()
    quoted = re.compile(rf"`~?(?:[\w.]+\.)?{re.escape(name)}(?:\(\))?`")
    if quoted.search(text):
        return True
    return any(target.rsplit(".", 1)[-1] == name for target in _NAMED.findall(text))


_MISSING = object()


def _current(module: ModuleType, name: str) -> Any:
    """``module.name``, or ``_MISSING`` for a deprecated alias (documented by its new name)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        obj = getattr(module, name, _MISSING)
    if any(issubclass(w.category, DeprecationWarning) for w in caught):
        return _MISSING
    return obj


def undocumented() -> list[str]:
    missing = []
    for module in public_modules():
        for name in getattr(module, "__all__", ()):
            obj = _current(module, name)
            if obj is _MISSING:
                continue
            if not (autodoc_covers(name, obj) or mentioned(name)):
                missing.append(f"{module.__name__}.{name}")
    return missing


def test_every_public_name_is_in_the_reference() -> None:
    """Each name of each public module's ``__all__`` is documented in docs/reference."""
    assert [] == undocumented()


@pytest.mark.parametrize(
    "dotted", ["symprogram.storage.open_store", "symprogram.testing.register_strategies"]
)
def test_the_names_issue_19_found_missing_are_documented(dotted: str) -> None:
    """``open_store`` and ``register_strategies`` were missing from the reference."""
    module_name, name = dotted.rsplit(".", 1)
    obj = getattr(importlib.import_module(module_name), name)
    assert autodoc_covers(name, obj), dotted


def test_every_reference_directive_names_a_module_that_exists() -> None:
    """A renamed or deleted module is noticed here, not by a silent gap in the site."""
    for module_name in automodules():
        importlib.import_module(module_name)
