"""Every exported model has a strategy and round-trips through serialization.dumps / loads.

The models are discovered, not listed: every attrs class in the ``__all__`` of
``symprogram``, of each of its public modules and context packages, and of each
public module of those packages. A new model is covered without editing this file.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import pkgutil
import types
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies._internal.types import _global_type_lookup

import symprogram
import symprogram.testing
from symprogram import serialization
from symprogram.awards import (
    AllOf,
    AnyOf,
    AwardCatalogue,
    AwardDefinition,
    AwardKind,
    ExamPassed,
    ExamRef,
)
from symprogram.errors import ValidationError

# Registration is lazy for users (on the first st.from_type); the check of what is
# registered needs all of it now.
symprogram.testing.register_strategies()

# Modules that hold no models of their own, or need an optional extra to import.
_NOT_MODELS = frozenset({"aio", "cli", "storage", "testing"})


def _public_modules() -> Iterator[types.ModuleType]:
    """``symprogram``, its public modules and packages, and their public modules."""
    yield symprogram
    for info in pkgutil.iter_modules(symprogram.__path__):
        if not info.name.startswith("_") and info.name not in _NOT_MODELS:
            module = importlib.import_module(f"symprogram.{info.name}")
            yield module
            for sub in pkgutil.iter_modules(getattr(module, "__path__", ())):
                if not sub.name.startswith("_"):
                    yield importlib.import_module(f"{module.__name__}.{sub.name}")


def _exported_classes() -> list[type[Any]]:
    found: dict[type[Any], None] = {}
    for module in _public_modules():
        for name in getattr(module, "__all__", ()):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                value = getattr(module, name, None)
            if isinstance(value, type):
                found.setdefault(value, None)
    return sorted(found, key=lambda cls: (cls.__module__, cls.__qualname__))


CLASSES = _exported_classes()

MODELS = [cls for cls in CLASSES if attrs.has(cls)]


def _id(cls: type[Any]) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _round_trip(value: Any) -> None:
    """``loads(dumps(value))`` gives the same text again, and an equal value (every
    model compares by value: docs/howto-hypothesis-strategies.md)."""
    cls = type(value)
    text = serialization.dumps(value)
    again = serialization.loads(text, cls)
    assert cls is type(again)
    assert text == serialization.dumps(again)
    assert value == again


def test_the_models_are_discovered() -> None:
    """Discovery finds the models of every context and of the kernel."""
    names = {cls.__name__ for cls in MODELS}
    assert {"Candidate", "AwardDefinition", "AllOf", "Document", "Policy", "Decision"} <= names
    assert {"LanguageTag", "LedgerEntry", "Record", "BulkCandidate", "TokenRecord"} <= names
    assert {"ClaimOutcome", "Credential", "RequestRecord", "Evidence", "Found"} <= names
    assert len(MODELS) >= 100


@pytest.mark.parametrize("cls", MODELS, ids=_id)
def test_every_model_has_a_registered_strategy(cls: type[Any]) -> None:
    """symprogram.testing registers a strategy for the model (or for each of its subclasses
    when it is a base class, such as DomainEvent), so st.from_type uses it."""
    registered = set(_global_type_lookup)
    assert cls in registered or any(
        isinstance(other, type) and other is not cls and issubclass(other, cls)
        for other in registered
    )


@pytest.mark.parametrize("cls", MODELS, ids=_id)
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_every_model_draws_and_round_trips(cls: type[Any], data: st.DataObject) -> None:
    """st.from_type(Model) draws valid values, and each reads back from its JSON as itself."""
    value = data.draw(st.from_type(cls))
    assert isinstance(value, cls)
    _round_trip(value)


def _catalogue_classes() -> list[type[Any]]:
    return [
        cls
        for cls in CLASSES
        if isinstance(cls.__dict__.get("default"), classmethod) and hasattr(cls, "from_toml")
    ]


def _default_catalogues() -> list[tuple[type[Any], dict[str, Any]]]:
    """Each catalogue class with the arguments of each of its shipped defaults: ``default()``,
    and ``default(reading=...)`` for every reading it ships (an enumeration's members, or
    the ``READINGS`` of the context's catalogue module)."""
    cases: list[tuple[type[Any], dict[str, Any]]] = []
    for cls in _catalogue_classes():
        cases.append((cls, {}))
        param = inspect.signature(cls.default).parameters.get("reading")
        if param is None:
            continue
        if isinstance(param.default, enum.Enum):
            readings: list[Any] = list(type(param.default))
        else:
            package = cls.__module__.rsplit(".", 1)[0]
            module = importlib.import_module(f"{package}.catalogue")
            readings = list(getattr(module, "READINGS", ()))
        cases.extend((cls, {"reading": reading}) for reading in readings)
    return cases


def _models_in(value: Any) -> Iterator[Any]:
    """Every attrs instance in ``value``, ``value`` included, depth first; of an object
    that is no attrs class (a catalogue), what its public properties hold."""
    if attrs.has(type(value)):
        yield value
        for field in attrs.fields(type(value)):
            yield from _models_in(getattr(value, field.name))
    elif _catalogue_classes().count(type(value)):
        for name, member in inspect.getmembers(type(value)):
            if isinstance(member, property) and not name.startswith("_"):
                yield from _models_in(getattr(value, name))
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _models_in(item)
    elif isinstance(value, tuple | list | frozenset):
        for item in value:
            yield from _models_in(item)


@pytest.mark.parametrize("cls", _catalogue_classes(), ids=_id)
def test_every_catalogue_class_has_a_strategy(cls: type[Any]) -> None:
    """st.from_type works for each public catalogue class (TermsCatalogue too): the drawn
    catalogues are instances and every model object in them round-trips."""

    @settings(max_examples=10, deadline=None)
    @given(st.from_type(cls))
    def check(catalogue: Any) -> None:
        assert type(catalogue) is cls
        for value in _models_in(catalogue):
            _round_trip(value)

    assert cls in set(_global_type_lookup)
    check()


def test_catalogues_are_discovered() -> None:
    """Each context's catalogue class is found by its default() and from_toml()."""
    names = {cls.__name__ for cls in _catalogue_classes()}
    assert {"AwardCatalogue", "EntitlementCatalogue", "PolicyCatalogue", "TermsCatalogue"} <= names


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    _default_catalogues(),
    ids=[f"{cls.__name__}-{kw.get('reading', 'default')}" for cls, kw in _default_catalogues()],
)
def test_default_catalogues_round_trip(cls: type[Any], kwargs: dict[str, Any]) -> None:
    """Every shipped catalogue (an attrs model itself or not) and every model object in it
    round-trips."""
    catalogue = cls.default(**kwargs)
    seen = 0
    for value in _models_in(catalogue):
        _round_trip(value)
        seen += 1
    assert seen >= 1


def test_award_requirements_read_back_as_their_own_class() -> None:
    """AllOf and AnyOf, of the same shape, are written with their class and read as it."""
    catalogue = AwardCatalogue.default()
    kinds = {type(node) for award in catalogue.awards.values() for node in _models_in(award)}
    assert {AllOf, AnyOf} <= kinds
    for children in [(ExamPassed((ExamRef("A"),)),)]:
        for cls in (AllOf, AnyOf):
            definition = AwardDefinition("x", "X", AwardKind.ACCREDITATION, cls(children))
            assert '"_type":"' + cls.__name__ + '"' in serialization.dumps(definition)
            _round_trip(definition)


def test_requirements_stored_without_a_tag_are_still_read() -> None:
    """Text written before requirements carried their class reads back when one class fits."""
    text = (
        '{"award_id":"x","includes":[],"kind":"accreditation","kit":false,"name":"X",'
        '"renewal":null,"renewal_window":null,"requires":{"exams":[{"code":"A",'
        '"version":null}],"label":null,"min_score":null},"retired_on":null,"validity":null}'
    )
    definition = serialization.loads(text, AwardDefinition)
    assert ExamPassed((ExamRef("A"),)) == definition.requires


@pytest.mark.parametrize(
    "requires",
    [
        '{"children":[]}',  # AllOf or AnyOf: cannot tell
        '{"_type":"Nothing","children":[]}',
        '{"_type":7,"children":[]}',
        "[]",
    ],
)
def test_unreadable_requirements_raise_validation_error(requires: str) -> None:
    """An ambiguous untagged requirement, an unknown tag or a non-object is invalid_data."""
    text = (
        '{"award_id":"x","includes":[],"kind":"accreditation","kit":false,"name":"X",'
        f'"renewal":null,"renewal_window":null,"requires":{requires},"retired_on":null,'
        '"validity":null}'
    )
    with pytest.raises(ValidationError) as info:
        serialization.loads(text, AwardDefinition)
    assert "invalid_data" == info.value.code
