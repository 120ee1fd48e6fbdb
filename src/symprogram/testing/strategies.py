"""Hypothesis strategies for every public symprogram model.

Each function returns a strategy of valid instances and accepts per-field
keyword overrides, each either a strategy or a plain value::

    from symprogram.testing import strategies as sps

    @given(sps.decisions(allowed=True))
    def test_something(decision): ...

:func:`register_all` registers them with ``st.register_type_strategy`` so that
``st.from_type(Model)`` works; it runs when :mod:`symprogram.testing` is imported
and through Hypothesis' entry point.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from hypothesis import strategies as st

from symprogram.decisions import Decision, Reason
from symprogram.errors import ValidationError

__all__ = [
    "CONTEXT_MODULES",
    "build",
    "check_overrides",
    "decisions",
    "instants",
    "reasons",
    "register_all",
    "reason_codes",
]

CONTEXT_MODULES = (
    "symprogram.testing._kernel",
    "symprogram.testing._accounts",
    "symprogram.testing._awards",
    "symprogram.testing._entitlements",
    "symprogram.testing._consent",
    "symprogram.testing._events",
)

_REGISTERED = False
_DONE: set[str] = set()
T = TypeVar("T")


def _as_strategy(value: Any) -> st.SearchStrategy[Any]:
    return value if isinstance(value, st.SearchStrategy) else st.just(value)


def check_overrides(cls: type[Any], fields: Iterable[str], overrides: Mapping[str, Any]) -> None:
    """Refuse an override that names none of ``fields`` (the fields ``cls`` is built from).

    Raises:
        ValidationError: an override names a field the model does not have
            (code ``unknown_field``).
    """
    unknown = sorted(set(overrides) - set(fields))
    if unknown:
        raise ValidationError(
            f"{cls.__name__} has no field(s) {', '.join(unknown)}",
            field=unknown[0],
            code="unknown_field",
        )


def build(
    cls: type[T], fields: dict[str, st.SearchStrategy[Any]], overrides: dict[str, Any]
) -> st.SearchStrategy[T]:
    """Build ``cls`` from ``fields`` with ``overrides`` applied (strategies or plain values).

    Raises:
        ValidationError: an override names a field the model does not have
            (code ``unknown_field``).
    """
    check_overrides(cls, fields, overrides)
    merged = {**fields, **{k: _as_strategy(v) for k, v in overrides.items()}}
    return st.builds(cls, **merged)


def instants(
    min_value: datetime = datetime(2000, 1, 1, tzinfo=UTC),
    max_value: datetime = datetime(2040, 1, 1, tzinfo=UTC),
) -> st.SearchStrategy[datetime]:
    """Timezone-aware UTC instants between ``min_value`` and ``max_value`` (whole microseconds)."""
    if min_value.tzinfo is None or max_value.tzinfo is None:
        raise ValidationError("bounds must be timezone-aware", code="naive_datetime")
    if min_value > max_value:
        raise ValidationError("min_value is after max_value", code="invalid_range")
    lo = min_value.astimezone(UTC).replace(tzinfo=None)
    hi = max_value.astimezone(UTC).replace(tzinfo=None)
    return st.datetimes(min_value=lo, max_value=hi).map(lambda d: d.replace(tzinfo=UTC))


def reason_codes() -> st.SearchStrategy[str]:
    """Stable-looking reason codes: lower-case snake_case."""
    return st.from_regex(r"[a-z][a-z0-9]{0,11}(_[a-z0-9]{1,8}){0,3}", fullmatch=True)


def reasons(**overrides: Any) -> st.SearchStrategy[Reason]:
    """Strategy for :class:`~symprogram.decisions.Reason`."""
    return build(
        Reason,
        {
            "code": reason_codes(),
            "message": st.text(max_size=40),
            "facts": st.dictionaries(reason_codes(), st.text(max_size=10), max_size=3),
        },
        overrides,
    )


def decisions(**overrides: Any) -> st.SearchStrategy[Decision]:
    """Strategy for :class:`~symprogram.decisions.Decision`."""
    return build(
        Decision,
        {
            "allowed": st.booleans(),
            "reasons": st.lists(reasons(), max_size=3).map(tuple),
            "hint": st.none() | st.text(max_size=40),
            "at": st.none() | instants(),
            "details": st.dictionaries(reason_codes(), st.text(max_size=10), max_size=3),
        },
        overrides,
    )


def register_all() -> None:
    """Register every model's strategy with Hypothesis (idempotent).

    A context module still being imported (Hypothesis' entry point can run while
    one of them imports Hypothesis) is skipped and registered on the next call.
    """
    global _REGISTERED
    if not _REGISTERED:
        st.register_type_strategy(Reason, reasons())
        st.register_type_strategy(Decision, decisions())
        _REGISTERED = True
    for name in CONTEXT_MODULES:
        if name in _DONE:
            continue
        module = importlib.import_module(name)
        register = getattr(module, "register", None)
        if register is None:  # partially initialized: its own import will finish first
            continue
        register()
        _DONE.add(name)


register_all()
