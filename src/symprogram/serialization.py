"""One cattrs converter for every model, JSON in and out.

:func:`make_converter` builds a fresh converter (never a shared mutable global):
instants are ISO 8601 strings in UTC, dates ISO dates, candidate IDs their
display form, enumerations their string values, tuples and frozensets JSON
arrays (frozensets sorted, so the output is canonical). :func:`dumps` and
:func:`loads` use a module-private converter built once by
:func:`make_converter`, for convenience.

Example:
    >>> import attrs
    >>> from datetime import datetime, timezone
    >>> @attrs.frozen
    ... class Seen:
    ...     at: datetime
    >>> conv = make_converter()
    >>> conv.structure(conv.unstructure(Seen(datetime(2011, 1, 15, tzinfo=timezone.utc))), Seen)
    Seen(at=datetime.datetime(2011, 1, 15, 0, 0, tzinfo=datetime.timezone.utc))
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import cattrs
from cattrs.preconf.json import make_converter as _make_json_converter

from symprogram.errors import ValidationError
from symprogram.ids import CandidateId

__all__ = ["canonical_json", "dumps", "loads", "make_converter"]

T = TypeVar("T")


def _unstructure_datetime(value: datetime) -> str:
    tz = value.tzinfo
    if tz is UTC:
        return value.isoformat()
    if tz is None:
        raise ValidationError("naive datetimes cannot be stored", code="naive_datetime")
    return value.astimezone(UTC).isoformat()


def _structure_datetime(value: Any, _: type) -> datetime:
    if value.__class__ is str:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValidationError(
                f"not an ISO 8601 instant: {value!r}", code="invalid_instant"
            ) from exc
    elif isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        return _structure_datetime(str(value), _)
    else:
        raise ValidationError(f"not an ISO 8601 instant: {value!r}", code="invalid_instant")
    tz = parsed.tzinfo
    if tz is UTC:
        return parsed
    if tz is None:
        raise ValidationError(f"instant without time zone: {value!r}", code="naive_datetime")
    return parsed.astimezone(UTC)


def _enum_hook(cls: type[enum.Enum]) -> Callable[[Any, type], Any]:
    """Structure an enumeration member by a dictionary lookup (``cls(value)`` as fallback)."""
    members = cls._value2member_map_

    def structure(value: Any, _: type) -> Any:
        try:
            return members[value]
        except (KeyError, TypeError):
            return cls(value)

    return structure


def _structure_date(value: Any, _: type) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValidationError(f"not an ISO 8601 date: {value!r}", code="invalid_date") from exc
    raise ValidationError(f"not an ISO 8601 date: {value!r}", code="invalid_date")


def _sorted_key(item: Any) -> Any:
    return json.dumps(item, sort_keys=True, default=str)


def _first_validation_error(exc: BaseException) -> ValidationError | None:
    """Find a symprogram ValidationError inside cattrs' exception groups."""
    if isinstance(exc, ValidationError):
        return exc
    for inner in getattr(exc, "exceptions", ()):
        found = _first_validation_error(inner)
        if found is not None:
            return found
    return None


def make_converter(*, detailed_validation: bool = False) -> cattrs.Converter:
    """Return a new converter that round-trips every symprogram model through JSON.

    Args:
        detailed_validation: cattrs' detailed validation (every structuring error
            collected into exception groups with their paths). Off by default: the
            generated code is then markedly faster, and :func:`loads` reports the
            first error either way (a ``ValidationError`` with its own code, or
            ``invalid_data``).
    """
    conv = _make_json_converter(detailed_validation=detailed_validation)
    conv.register_unstructure_hook(datetime, _unstructure_datetime)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_unstructure_hook(date, lambda d: d.isoformat())
    conv.register_structure_hook(date, _structure_date)
    conv.register_unstructure_hook(CandidateId, str)
    conv.register_structure_hook(CandidateId, lambda v, _: CandidateId.parse(v))
    conv.register_unstructure_hook(timedelta, lambda d: d.total_seconds())
    conv.register_structure_hook(timedelta, lambda v, _: timedelta(seconds=float(v)))

    def _unstructure_frozenset(value: frozenset[Any]) -> list[Any]:
        items = [conv.unstructure(v) for v in value]
        return sorted(items, key=_sorted_key)

    conv.register_unstructure_hook_func(
        lambda t: t is frozenset or getattr(t, "__origin__", None) is frozenset,
        _unstructure_frozenset,
    )
    conv.register_structure_hook_factory(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _enum_hook
    )
    return conv


_DEFAULT = make_converter()


def canonical_json(value: Any) -> str:
    """Serialize already-unstructured data canonically (sorted keys, no spaces, UTF-8 safe)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def dumps(obj: Any, *, converter: cattrs.Converter | None = None) -> str:
    """Serialize a model to canonical JSON text."""
    conv = converter or _DEFAULT
    return canonical_json(conv.unstructure(obj))


def loads(text: str | bytes, cls: type[T], *, converter: cattrs.Converter | None = None) -> T:
    """Parse JSON text into ``cls``.

    Raises:
        ValidationError: the text is not valid JSON or does not fit ``cls``.
    """
    conv = converter or _DEFAULT
    try:
        raw = json.loads(text)
    except (ValueError, TypeError) as exc:
        raise ValidationError(f"not valid JSON: {exc}", code="invalid_json") from exc
    try:
        return conv.structure(raw, cls)
    except ValidationError:
        raise
    except cattrs.BaseValidationError as exc:
        inner = _first_validation_error(exc)
        if inner is not None:
            raise inner from exc
        raise ValidationError(
            f"data does not fit {getattr(cls, '__name__', cls)}: {exc}", code="invalid_data"
        ) from exc
    except Exception as exc:  # without detailed validation: the hook's own error
        raise ValidationError(
            f"data does not fit {getattr(cls, '__name__', cls)}: {exc}", code="invalid_data"
        ) from exc
