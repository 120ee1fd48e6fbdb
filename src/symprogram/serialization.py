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

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import cattrs
from cattrs.preconf.json import make_converter as _make_json_converter

from symprogram.errors import ValidationError
from symprogram.ids import CandidateId

__all__ = ["canonical_json", "dumps", "loads", "make_converter"]

T = TypeVar("T")


def _unstructure_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValidationError("naive datetimes cannot be stored", code="naive_datetime")
    return value.astimezone(UTC).isoformat()


def _structure_datetime(value: Any, _: type) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValidationError(
                f"not an ISO 8601 instant: {value!r}", code="invalid_instant"
            ) from exc
    else:
        raise ValidationError(f"not an ISO 8601 instant: {value!r}", code="invalid_instant")
    if parsed.tzinfo is None:
        raise ValidationError(f"instant without time zone: {value!r}", code="naive_datetime")
    return parsed.astimezone(UTC)


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


def make_converter() -> cattrs.Converter:
    """Return a new converter that round-trips every symprogram model through JSON."""
    conv = _make_json_converter()
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
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValidationError(
            f"data does not fit {getattr(cls, '__name__', cls)}: {exc}", code="invalid_data"
        ) from exc
