"""The building blocks every strategy module uses: ``build``, ``composite``,
``check_overrides``, ``instants``.

Kept apart from :mod:`symprogram.testing.strategies` (which re-exports them) so that a
context's strategy module imports them without importing every other context's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any, TypeVar, cast

import attrs
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from symprogram._checks import shown
from symprogram.clock import EARLIEST_NOW, LATEST_NOW, start_of_day
from symprogram.errors import ValidationError
from symprogram.testing._values import accepts, convert, describe, first_refusal

__all__ = [
    "StrategyArgumentError",
    "build",
    "check_overrides",
    "check_instants",
    "check_range",
    "check_value",
    "composite",
    "derived",
    "instants",
    "is_count",
]

T = TypeVar("T")


class StrategyArgumentError(ValidationError, InvalidArgument):
    """A strategy function's argument refused: a :class:`ValidationError` with a stable
    ``code``, and also Hypothesis' :class:`~hypothesis.errors.InvalidArgument` (what the
    consent strategies raised before they raised ``ValidationError``)."""


def _as_strategy(value: Any) -> st.SearchStrategy[Any]:
    return value if isinstance(value, st.SearchStrategy) else st.just(value)


def check_overrides(
    cls: type[Any],
    fields: Iterable[str],
    overrides: Mapping[str, Any],
    *,
    unchecked: Iterable[str] = (),
) -> None:
    """Refuse an override that names none of ``fields`` (the fields ``cls`` is built from),
    or a plain-value override (not a strategy) that its field of ``cls`` refuses.

    Each plain value naming a field of the attrs class ``cls`` goes through that
    field's converter, its annotation and its validator, on its own, now: a bad
    value fails when the strategy is built, not when Hypothesis draws from it. A
    check that needs the instance's other fields is left to the draw; strategies
    are checked as they are drawn from.

    Args:
        cls: the model the strategy builds.
        fields: the names the strategy accepts.
        overrides: the overrides given, by name.
        unchecked: names the strategy gives another meaning than the field's
            (it checks those values itself).

    Raises:
        ValidationError: an override names a field the model does not have
            (code ``unknown_field``), or a plain value its field refuses (code
            ``invalid_argument``; ``details["reason"]`` holds the field's own code).
    """
    unknown = sorted(set(overrides) - set(fields))
    if unknown:
        raise StrategyArgumentError(
            f"{cls.__name__} has no field(s) {', '.join(unknown)}",
            field=unknown[0],
            code="unknown_field",
        )
    refused = first_refusal(cls, overrides, frozenset(unchecked))
    if refused is not None:
        name, why, reason = refused
        raise StrategyArgumentError(
            f"{cls.__name__}.{name} override {shown(overrides[name], limit=80)} refused: {why}",
            field=name,
            code="invalid_argument",
            details={"reason": reason} if reason else None,
        )


def check_value(function: str, name: str, value: Any, accepted: Any) -> None:
    """Refuse a plain-value argument ``name`` of strategy function ``function`` that
    is not of annotation ``accepted`` (a strategy is checked as it is drawn from).

    Raises:
        ValidationError: ``value`` is no strategy and not of ``accepted``
            (code ``invalid_argument``).
    """
    if not isinstance(value, st.SearchStrategy) and not accepts(accepted, value):
        raise StrategyArgumentError(
            f"{function}() argument {name}={value!r} is not {describe(accepted)}",
            field=name,
            code="invalid_argument",
        )


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_range(
    cls: type[Any],
    overrides: Mapping[str, Any],
    name: str,
    low: float,
    high: object = None,
    *,
    why: str,
) -> None:
    """Refuse a plain-number override ``name`` outside ``low`` to ``high`` (``high``:
    a number, else no upper bound): the range the strategy draws other fields of
    ``cls`` from it in (``why`` says which), though the field itself may take more.

    A strategy override is drawn as it is; a value that is no number is left to
    :func:`check_overrides`.

    Raises:
        ValidationError: code ``invalid_argument`` (``details["reason"]`` is
            ``out_of_range``).
    """
    value = overrides.get(name)
    if not _number(value):
        return
    if value < low or (_number(high) and value > high):  # type: ignore[operator]
        raise StrategyArgumentError(
            f"{cls.__name__}.{name} override {shown(value, limit=80)} refused: {why}",
            field=name,
            code="invalid_argument",
            details={"reason": "out_of_range"},
        )


def _utc(value: object) -> datetime | None:
    """``value`` (an aware instant, or a day read as its midnight) in UTC, or ``None``
    for anything else, naive or outside the calendar in UTC (:func:`check_overrides`
    refuses those)."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:
            return None
    return start_of_day(value) if isinstance(value, date) else None


def check_instants(cls: type[Any], overrides: Mapping[str, Any], *names: str) -> None:
    """Refuse a plain instant (or day) override of any of ``names`` outside the years
    a program's clock reads (:data:`~symprogram.clock.EARLIEST_NOW` to
    :data:`~symprogram.clock.LATEST_NOW`): the strategy counts days or hours from
    it, which must stay within the calendar, though the field itself may take more.

    A strategy override is drawn as it is; a value that is no aware instant or day
    is left to :func:`check_overrides`.

    Raises:
        ValidationError: code ``invalid_argument`` (``details["reason"]`` is
            ``out_of_range``).
    """
    for name in names:
        value = overrides.get(name)
        at = _utc(value)
        if at is not None and not EARLIEST_NOW <= at < LATEST_NOW:
            raise StrategyArgumentError(
                f"{cls.__name__}.{name} override {shown(value, limit=80)} refused: the "
                f"strategy counts from it, so it is from the year {EARLIEST_NOW.year} "
                f"to {LATEST_NOW.year - 1}",
                field=name,
                code="invalid_argument",
                details={"reason": "out_of_range"},
            )


def composite(
    cls: type[T],
    overrides: dict[str, Any],
    defaults: Callable[[Callable[[str, st.SearchStrategy[Any]], Any]], dict[str, Any]],
) -> st.SearchStrategy[T]:
    """Build ``cls`` drawing each field from its override or from ``defaults``' strategy
    (for a model whose fields are drawn from others drawn before them).

    ``defaults`` receives ``pick(name, default_strategy)`` and returns each field's
    default: a strategy, drawn (or the field's override, as its converter keeps it)
    in order, or a value it already drew with ``pick`` (so that later defaults may
    depend on earlier draws).
    An override is never dropped: a field whose default is a value ``defaults``
    computed without picking it (``None`` for a held kit's release) takes its
    override all the same.

    Raises:
        ValidationError: an override names a field the model does not have
            (code ``unknown_field``), or is a plain value its field refuses
            (code ``invalid_argument``).
    """
    check_overrides(cls, [a.name for a in attrs.fields(cast(Any, cls))], overrides)

    attributes = {a.alias or a.name: a for a in attrs.fields(cast(Any, cls))}

    @st.composite
    def strategy(draw: st.DrawFn) -> T:
        picked: set[str] = set()

        def pick(name: str, default: st.SearchStrategy[Any]) -> Any:
            picked.add(name)
            if name not in overrides:
                return draw(default)
            # an override as its field keeps it (a date given for an instant is one),
            # so that the defaults drawn from it compare with it
            return convert(attributes[name], draw(_as_strategy(overrides[name])), cls)

        fields = defaults(pick)
        values = {
            name: pick(name, value)
            if isinstance(value, st.SearchStrategy) or (name in overrides and name not in picked)
            else value
            for name, value in fields.items()
        }
        for name in overrides.keys() - values.keys():
            values[name] = pick(name, st.nothing())
        return cls(**values)

    return strategy()


def derived(
    cls: type[T], strategy: st.SearchStrategy[T], overrides: dict[str, Any]
) -> st.SearchStrategy[T]:
    """``strategy`` (values a rule computed, consistent as a whole) with ``overrides``
    (strategies or plain values) replacing fields of each value it draws.

    Raises:
        ValidationError: an override names a field ``cls`` does not have
            (code ``unknown_field``), or is a plain value its field refuses
            (code ``invalid_argument``).
    """
    names = [a.alias or a.name for a in attrs.fields(cls) if a.init]  # type: ignore[arg-type]
    check_overrides(cls, names, overrides)
    if not overrides:
        return strategy
    replaced = st.fixed_dictionaries({k: _as_strategy(v) for k, v in overrides.items()})
    return st.tuples(strategy, replaced).map(lambda pair: attrs.evolve(pair[0], **pair[1]))


def is_count(value: object) -> bool:
    """Whether ``value`` is an ``int`` (not a ``bool``): a size a strategy function takes."""
    return isinstance(value, int) and not isinstance(value, bool)


def build(
    cls: type[T], fields: dict[str, st.SearchStrategy[Any]], overrides: dict[str, Any]
) -> st.SearchStrategy[T]:
    """Build ``cls`` from ``fields`` with ``overrides`` applied (strategies or plain values).

    Raises:
        ValidationError: an override names a field the model does not have
            (code ``unknown_field``), or is a plain value its field refuses
            (code ``invalid_argument``).
    """
    check_overrides(cls, fields, overrides)
    merged = {**fields, **{k: _as_strategy(v) for k, v in overrides.items()}}
    return st.builds(cls, **merged)


def instants(
    min_value: datetime = datetime(2000, 1, 1, tzinfo=UTC),
    max_value: datetime = datetime(2040, 1, 1, tzinfo=UTC),
) -> st.SearchStrategy[datetime]:
    """Timezone-aware UTC instants between ``min_value`` and ``max_value`` (whole microseconds).

    Raises:
        ValidationError: a bound that is no datetime (``invalid_argument``), naive
            (``naive_datetime``), or ``min_value`` after ``max_value`` (``invalid_range``).
    """
    if not (isinstance(min_value, datetime) and isinstance(max_value, datetime)):
        raise StrategyArgumentError(
            "instants() takes datetime bounds", field="min_value", code="invalid_argument"
        )
    if min_value.tzinfo is None or max_value.tzinfo is None:
        raise ValidationError("bounds must be timezone-aware", code="naive_datetime")
    if min_value > max_value:
        raise ValidationError("min_value is after max_value", code="invalid_range")
    lo = min_value.astimezone(UTC).replace(tzinfo=None)
    hi = max_value.astimezone(UTC).replace(tzinfo=None)
    return st.datetimes(min_value=lo, max_value=hi).map(lambda d: d.replace(tzinfo=UTC))
