"""The public API keeps its conventions (docs/explanation-architecture.md).

Collections come back as tuples, never lists; a stream (an iterator, a generator)
is named ``iter_*``. Every public method of the program, its services, the account
history, the ledger registry, the outbox, the catalogues and the kernel's repository is
inspected; a
deprecated old name (a ``deprecated_alias``, or a method documented "Deprecated
since") keeps answering what it always answered and is left out.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable

import pytest

from symprogram import Program
from symprogram._deprecation import deprecated_alias
from symprogram.accounts import AccountsService, TermsCatalogue
from symprogram.aio import AsyncProgram
from symprogram.awards import AwardCatalogue, AwardsService
from symprogram.consent import ConsentService, PolicyCatalogue
from symprogram.entitlements import EntitlementCatalogue, EntitlementsService
from symprogram.history import AccountHistory
from symprogram.ledger import LedgerRegistry
from symprogram.outbox import MessageOutbox
from symprogram.persistence import Repository

PUBLIC = (
    Program,
    AsyncProgram,
    AccountsService,
    AwardsService,
    EntitlementsService,
    ConsentService,
    AccountHistory,
    LedgerRegistry,
    MessageOutbox,
    TermsCatalogue,
    AwardCatalogue,
    EntitlementCatalogue,
    PolicyCatalogue,
    Repository,
)

KEPT = {
    "AccountHistory.record_many": "a write inside the caller's unit of work that hands back "
    "what it appended, as Ledger.append_many does; no collection read",
}
"""Public methods allowed to break the rule, each with the reason."""

STREAM = re.compile(r"^(?:collections\.abc\.|typing\.)?(?:Async)?(?:Iterator|Iterable|Generator)\b")


def _methods(cls: type) -> list[tuple[str, Callable[..., object]]]:
    """The public methods of ``cls`` that are not deprecated old names."""
    found = []
    for name in dir(cls):
        if name.startswith("_"):
            continue
        raw = inspect.getattr_static(cls, name)
        if isinstance(raw, deprecated_alias):
            continue
        function = getattr(raw, "__func__", raw)
        if not inspect.isfunction(function):
            continue
        if (function.__doc__ or "").startswith("Deprecated since"):
            continue
        found.append((name, function))
    return found


def _returns(function: Callable[..., object]) -> str:
    annotation = function.__annotations__.get("return", "")
    return annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)


@pytest.mark.parametrize("cls", PUBLIC, ids=lambda cls: cls.__name__)
def test_collections_come_back_as_tuples(cls: type) -> None:
    """No public method answers a list (a tuple is the collection of the API)."""
    lists = {
        f"{cls.__name__}.{name}": _returns(function)
        for name, function in _methods(cls)
        if re.match(r"^(?:builtins\.)?list\b", _returns(function))
    }
    assert {} == {name: answer for name, answer in lists.items() if name not in KEPT}


@pytest.mark.parametrize("cls", PUBLIC, ids=lambda cls: cls.__name__)
def test_streams_are_named_iter(cls: type) -> None:
    """A public method answering an iterator, or a generator, is named ``iter_*``."""
    streams = {
        f"{cls.__name__}.{name}": _returns(function)
        for name, function in _methods(cls)
        if STREAM.match(_returns(function))
        or inspect.isgeneratorfunction(function)
        or inspect.isasyncgenfunction(function)
    }
    assert {} == {name: answer for name, answer in streams.items() if "iter_" not in name}


@pytest.mark.parametrize("cls", PUBLIC, ids=lambda cls: cls.__name__)
def test_every_old_name_forwards_to_a_new_one(cls: type) -> None:
    """A deprecated old name names a public method of the same class."""
    aliases = {
        name: raw.new
        for name in dir(cls)
        if isinstance(raw := inspect.getattr_static(cls, name), deprecated_alias)
    }
    assert {} == {old: new for old, new in aliases.items() if not callable(getattr(cls, new, None))}


def test_the_rule_is_checked_on_every_service() -> None:
    """The inspection sees the methods it guards (not an empty list that passes)."""
    names = {f"{cls.__name__}.{name}" for cls in PUBLIC for name, _ in _methods(cls)}
    assert {
        "AccountsService.incidents_of",
        "ConsentService.iter_audience",
        "ConsentService.iter_subjects_to_notify",
        "AccountHistory.iter_subjects",
        "AccountHistory.iter_history",
        "AccountHistory.history",
        "Repository.iter_all",
    } <= names
    assert "Repository.iterate" not in names
    assert "AccountHistory.read" not in names
    assert set(KEPT) <= names


def test_every_public_method_of_every_public_class_has_a_docstring() -> None:
    """Docstrings on every public name: every class any public module exports in
    ``__all__`` documents each of its public methods (its own docstring or the one of
    the port it implements, as ``inspect.getdoc`` finds it)."""
    import importlib
    import inspect
    import pkgutil

    import symprogram

    missing = []
    for info in pkgutil.walk_packages(symprogram.__path__, "symprogram."):
        if "._" in info.name or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            cls = getattr(module, name, None)
            if not inspect.isclass(cls):
                continue
            for attribute, value in vars(cls).items():
                method = callable(value) or isinstance(value, property)
                public = method and not attribute.startswith("_")
                if public and not inspect.getdoc(getattr(cls, attribute)):
                    missing.append(f"{info.name}.{name}.{attribute}")
    assert [] == sorted(set(missing))
