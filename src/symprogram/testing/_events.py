"""Strategies for every domain event of every context (the account history's entries).

Events are plain frozen attrs classes, so their strategies are derived from
their field types: instants are timezone-aware UTC, subjects non-empty text,
and everything else is inferred by Hypothesis from the annotations.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterator
from typing import Any, TypeVar

import attrs
from hypothesis import strategies as st

from symprogram.errors import ValidationError
from symprogram.events import DomainEvent

__all__ = ["all_event_types", "domain_events", "register"]

E = TypeVar("E", bound=DomainEvent)

_CONTEXTS = (
    "symprogram.accounts",
    "symprogram.awards",
    "symprogram.entitlements",
    "symprogram.consent",
)


def _subclasses(cls: type[DomainEvent]) -> Iterator[type[DomainEvent]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def all_event_types() -> tuple[type[DomainEvent], ...]:
    """Every public DomainEvent subclass of the four contexts, sorted by module and name."""
    for name in _CONTEXTS:
        importlib.import_module(name)
    found = {
        cls
        for cls in _subclasses(DomainEvent)
        if cls.__module__.startswith("symprogram.") and not cls.__name__.startswith("_")
    }
    return tuple(sorted(found, key=lambda c: (c.__module__, c.__name__)))


def _field_strategy(tp: Any) -> st.SearchStrategy[Any] | None:
    from symprogram.testing.strategies import instants

    if tp is dt.datetime:
        return instants()
    if tp == (dt.datetime | None):
        return st.none() | instants()
    return None


def domain_events(cls: type[E], **overrides: Any) -> st.SearchStrategy[E]:
    """Strategy for the event class ``cls``, with per-field overrides.

    Raises:
        ValidationError: ``cls`` is not a DomainEvent class (``invalid_event_type``)
            or an override names an unknown field (``unknown_field``).
    """
    from symprogram.testing.strategies import build

    if not (isinstance(cls, type) and issubclass(cls, DomainEvent)):
        raise ValidationError(
            "domain_events needs a DomainEvent subclass", field="cls", code="invalid_event_type"
        )
    attrs.resolve_types(cls)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for attribute in attrs.fields(cls):
        special = _field_strategy(attribute.type)
        fields[attribute.name] = special if special is not None else st.from_type(attribute.type)
    fields["subject"] = st.text(min_size=1, max_size=20)
    return build(cls, fields, overrides)


def register() -> None:
    """Register a strategy for every domain event (and the accounts FieldChange)."""
    from symprogram.accounts.events import FieldChange

    json_values = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
    st.register_type_strategy(
        FieldChange,
        st.builds(
            FieldChange, field=st.text(min_size=1, max_size=20), old=json_values, new=json_values
        ),
    )
    for cls in all_event_types():
        st.register_type_strategy(cls, _deferred(cls))


def _deferred(cls: type[DomainEvent]) -> st.SearchStrategy[DomainEvent]:
    def make() -> st.SearchStrategy[DomainEvent]:
        return domain_events(cls)

    return st.deferred(make)
