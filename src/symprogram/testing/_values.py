"""Plain-value overrides checked when a strategy is built, not when it is drawn from.

A strategy function's override that is a plain value (not a strategy) names a
field of the model it builds: the value goes through that field's converter, is
checked against its annotation (shallowly into tuples, sets and mappings), then
through its validator, each on its own; then it must be written as JSON by the
field's type and read back as itself (what every drawn model must do: an aware
instant, text without lone surrogates, a finite number, ...). Last, the model's
``__attrs_post_init__`` runs on an instance holding only the plain values: a
check that reads the other fields of the instance (a window's end after its
start) is left to the draw; the values are checked as far as they can be
without them.
"""

from __future__ import annotations

import builtins
import collections.abc
import contextlib
import json
import sys
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from symprogram.errors import SymprogramError

__all__ = ["accepts", "convert", "describe", "first_refusal"]

_COLLECTIONS = (tuple, list, set, frozenset, collections.abc.Sequence, collections.abc.Set)


class _Lenient(dict[str, Any]):
    """A namespace for annotations: the module's names, the builtins, else ``Any``
    (a name imported only for type checking stays unchecked)."""

    def __init__(self, module: str) -> None:
        super().__init__()
        self._globals = vars(sys.modules[module]) if module in sys.modules else {}

    def __missing__(self, key: str) -> Any:
        if key in self._globals:
            return self._globals[key]
        return getattr(builtins, key, Any)


_HINTS: dict[type[Any], tuple[Mapping[str, Any], bool]] = {}


def _hints(cls: type[Any]) -> Mapping[str, Any]:
    return _resolved(cls)[0]


def _resolved(cls: type[Any]) -> tuple[Mapping[str, Any], bool]:
    """``cls``'s annotations, and whether every one of them was resolved (not leniently)."""
    if cls not in _HINTS:
        _HINTS[cls] = _resolve(cls)
    return _HINTS[cls]


def _resolve(cls: type[Any]) -> tuple[Mapping[str, Any], bool]:
    try:
        return typing.get_type_hints(cls), True
    except (NameError, TypeError, AttributeError, SyntaxError):  # resolved leniently
        try:
            return typing.get_type_hints(cls, localns=_Lenient(cls.__module__)), False
        except (NameError, TypeError, AttributeError, SyntaxError):
            return {}, False


def _accepts_generic(origin: Any, args: tuple[Any, ...], value: object) -> bool:
    if origin in (typing.Union, types.UnionType):
        return any(accepts(arm, value) for arm in args)
    if origin is typing.Literal:
        return value in args
    if origin in (typing.Annotated, typing.ClassVar, typing.Final):
        return accepts(args[0], value)
    if not isinstance(origin, type):
        return True
    if not _isinstance(value, origin):
        return False
    if isinstance(value, Mapping) and len(args) == 2:
        return all(accepts(args[0], k) and accepts(args[1], v) for k, v in value.items())
    if isinstance(value, _COLLECTIONS) and not isinstance(value, str | bytes) and args:
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return len(args) == len(value) and all(
                accepts(a, v) for a, v in zip(args, value, strict=False)
            )
        return all(accepts(args[0], item) for item in value)
    return True


def _isinstance(value: object, tp: type[Any]) -> bool:
    try:
        return isinstance(value, tp)
    except TypeError:  # a protocol that cannot be checked at run time
        return True


def accepts(tp: Any, value: object) -> bool:
    """Whether ``value`` is of annotation ``tp``, as far as it can be told at run time.

    Unions, ``Literal``, ``Optional``, classes and the usual generics (their items
    too) are checked; ``Any``, type variables and what cannot be checked accept
    anything. An ``int`` is a ``float`` (not a ``bool``, which is no number here).
    """
    if tp is Any or tp is object or isinstance(tp, typing.TypeVar | str):
        return True
    if tp is None or tp is type(None):
        return value is None
    origin = typing.get_origin(tp)
    if origin is not None:
        return _accepts_generic(origin, typing.get_args(tp), value)
    if not isinstance(tp, type):
        return True
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return True
    return _isinstance(value, tp)


def describe(tp: Any) -> str:
    """``tp`` as an error message names it: ``date``, ``str | None``."""
    return tp.__name__ if isinstance(tp, type) else str(tp).replace("typing.", "")


def _convert(field: attrs.Attribute[Any], value: object, stand_in: object) -> object:
    converter: Any = field.converter
    if converter is None:
        return value
    if isinstance(converter, attrs.Converter):
        extra: list[Any] = []
        if converter.takes_self:  # type: ignore[attr-defined]
            extra.append(stand_in)
        if converter.takes_field:  # type: ignore[attr-defined]
            extra.append(field)
        return converter.converter(value, *extra)  # type: ignore[attr-defined]
    return converter(value)


def convert(field: attrs.Attribute[Any], value: object, cls: type[Any]) -> object:
    """``value`` as ``field`` of ``cls`` keeps it: its converter applied (raises what
    the converter raises)."""
    return _convert(field, value, _stand_in(cls))


def _stand_in(cls: type[Any]) -> object:
    """An instance of ``cls`` with no field set: a validator reading another field
    of it raises ``AttributeError`` (that check is left to the draw)."""
    try:
        return object.__new__(cls)
    except TypeError:
        return None


class _Refused(Exception):
    """A plain value refused by a check of this module: ``why``, and the field's own
    ``code`` (or the serializer's) when there is one."""

    def __init__(self, why: str, code: str | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.code = code


_CONVERTER: list[Any] = []


def _converter() -> Any:
    """The JSON converter of :mod:`symprogram.serialization` (one, built on first use)."""
    if not _CONVERTER:
        from symprogram.serialization import make_converter

        _CONVERTER.append(make_converter())
    return _CONVERTER[0]


def _json_text(raw: object) -> str:
    """``raw`` (unstructured) as strict JSON: no ``NaN`` or infinity, valid UTF-8."""
    try:
        text = json.dumps(raw, sort_keys=True, ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _Refused(
            "holds text that is no valid Unicode (a lone surrogate)", "not_serializable"
        ) from None
    except ValueError:
        raise _Refused(
            "holds a number that is not finite (NaN, infinity)", "not_serializable"
        ) from None
    except (TypeError, RecursionError) as exc:
        raise _Refused(f"cannot be written as JSON: {exc}", "not_serializable") from None
    return text


def _check_written(
    cls: type[Any], field: attrs.Attribute[Any], tp: Any, value: object, stand_in: object
) -> None:
    """Refuse ``value`` (converted) unless the field's type writes it as JSON and reads
    it back as itself, as :func:`symprogram.serialization.dumps` and ``loads`` do for
    the whole model (the field's converter applied again to what is read)."""
    conv = _converter()
    try:
        raw = conv.unstructure(value, unstructure_as=tp)
    except SymprogramError as exc:  # the converter's own refusal: a naive instant, ...
        raise _Refused(exc.message, exc.code) from None
    except (TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise _Refused(f"cannot be written as JSON: {exc}", "not_serializable") from None
    text = _json_text(raw)
    if not _resolved(cls)[1]:  # an annotation left unresolved: what reads it is unknown
        return
    try:
        back = _convert(field, conv.structure(json.loads(text), tp), stand_in)
    except Exception:  # whatever fails to read it back refuses it
        back = _UNREAD
    if back is _UNREAD or not _same(field, back, value):
        raise _Refused("does not read back from its JSON as itself", "not_serializable")


_UNREAD = object()


def _same(field: attrs.Attribute[Any], a: object, b: object) -> bool:
    """Whether the model compares ``a`` and ``b`` as equal values of ``field`` (by its
    ``eq`` key where it has one; a field left out of the comparison always is)."""
    if not field.eq:
        return True
    key: Callable[[object], object] = getattr(field, "eq_key", None) or (lambda v: v)
    try:
        return bool(key(a) == key(b))
    except Exception:  # a comparison that fails is no equality
        return False


def _check(cls: type[Any], field: attrs.Attribute[Any], value: object) -> object:
    """``value`` as the field keeps it, once every check of the field passed.

    Raises:
        _Refused: a check refused it (``why``, and a code where there is one).
    """
    stand_in = _stand_in(cls)
    converted = _convert(field, value, stand_in)
    tp = _hints(cls).get(field.name, Any)
    if not accepts(tp, converted):
        raise _Refused(f"is not {describe(tp)}")
    validator: Callable[..., Any] | None = field.validator
    if validator is not None:
        with contextlib.suppress(AttributeError):  # needs the instance's other fields
            validator(stand_in, field, converted)
    _check_written(cls, field, tp, converted, stand_in)
    return converted


def _post_init_refusal(
    cls: type[Any], known: Mapping[str, tuple[attrs.Attribute[Any], object]]
) -> tuple[str, str, str | None] | None:
    """What ``cls.__attrs_post_init__`` says of an instance holding only ``known``
    (alias -> field and value as kept): ``(name, why, code)`` when it refuses them,
    ``None`` when it passes or reads a field not given (left to the draw)."""
    post = getattr(cls, "__attrs_post_init__", None)
    stand_in = _stand_in(cls)
    if post is None or stand_in is None or not known:
        return None
    for field, value in known.values():
        object.__setattr__(stand_in, field.name, value)
    try:
        post(stand_in)
    except SymprogramError as exc:
        by_name = {field.name: alias for alias, (field, _) in known.items()}
        named = exc.field or ""
        name = by_name.get(named, named if named in known else next(iter(known)))
        return name, exc.message, exc.code
    except Exception:  # reads a field not given, or fails as the model would: left to the draw
        return None
    return None


def first_refusal(
    cls: type[Any], overrides: Mapping[str, Any], skip: frozenset[str] = frozenset()
) -> tuple[str, str, str | None] | None:
    """The first plain-value override of ``cls``'s fields that the field refuses, or
    that the model's ``__attrs_post_init__`` refuses given the plain values alone.

    Returns:
        ``(name, why, code)`` (``code``: the field's own error code, if it raised
        one) or ``None`` when every plain value passes.
    """
    from hypothesis.strategies import SearchStrategy

    if not attrs.has(cls):
        return None
    fields = {(a.alias or a.name): a for a in attrs.fields(cls) if a.init}
    known: dict[str, tuple[attrs.Attribute[Any], object]] = {}
    for name, value in overrides.items():
        field = fields.get(name)
        if field is None or name in skip or isinstance(value, SearchStrategy):
            continue
        try:
            known[name] = (field, _check(cls, field, value))
        except _Refused as exc:
            return name, exc.why, exc.code
        except SymprogramError as exc:
            return name, exc.message, exc.code
        except (TypeError, ValueError, AttributeError) as exc:
            return name, str(exc) or type(exc).__name__, None
    return _post_init_refusal(cls, known)
