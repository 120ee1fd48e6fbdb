"""The examples in the package's docstrings run and print what they show.

A docstring example is documentation a reader copies; one that no longer runs
misleads. Every module of ``symprogram`` is imported and its ``>>>`` examples
are run with :mod:`doctest`; a module whose optional dependency is missing
(``click`` for the CLI) is reported as such, not run.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import symprogram

_OPTIONAL = {"click"}


def _module_names() -> list[str]:
    names = [symprogram.__name__]
    for info in pkgutil.walk_packages(symprogram.__path__, prefix="symprogram."):
        names.append(info.name)
    return sorted(names)


def _with_examples() -> list[str]:
    chosen = []
    finder = doctest.DocTestFinder()
    for name in _module_names():
        try:
            module = importlib.import_module(name)
        except ImportError as exc:  # an optional extra this machine lacks
            if exc.name in _OPTIONAL:
                continue
            raise
        if any(test.examples for test in finder.find(module)):
            chosen.append(name)
    return chosen


MODULES = _with_examples()


def test_the_package_has_docstring_examples() -> None:
    """The run below is not empty: the modules with examples are found."""
    assert "symprogram._anchors" in MODULES
    assert "symprogram._checks" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run_as_shown(name: str) -> None:
    """Every ``>>>`` example of the module gives the output written under it."""
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"
