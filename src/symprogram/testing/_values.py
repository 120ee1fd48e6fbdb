"""Plain-value overrides checked when a strategy is built, not when it is drawn from.

A strategy function's override that is a plain value (not a strategy) names a
field of the model it builds: the value goes through that field's converter, is
checked against its annotation (shallowly into tuples, sets and mappings), then
through its validator, each on its own. A validator that needs the other fields
of the instance (a window's end after its start) is left to the draw: the value
is checked as far as it can be without them.
"""

from __future__ import annotations

import builtins
import collections.abc
import sys
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from symprogram.errors import SymprogramError

__all__ = ["accepts", "describe", "first_refusal"]

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


_HINTS: dict[type[Any], Mapping[str, Any]] = {}


def _hints(cls: type[Any]) -> Mapping[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = _resolve(cls)
    return _HINTS[cls]


def _resolve(cls: type[Any]) -> Mapping[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except (NameError, TypeError, AttributeError, SyntaxError):  # resolved leniently
        try:
            return typing.get_type_hints(cls, localns=_Lenient(cls.__module__))
        except (NameError, TypeError, AttributeError, SyntaxError):
            return {}


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


def _stand_in(cls: type[Any]) -> object:
    """An instance of ``cls`` with no field set: a validator reading another field
    of it raises ``AttributeError`` (that check is left to the draw)."""
    try:
        return object.__new__(cls)
    except TypeError:
        return None


def _check(cls: type[Any], field: attrs.Attribute[Any], value: object) -> str | None:
    stand_in = _stand_in(cls)
    converted = _convert(field, value, stand_in)
    tp = _hints(cls).get(field.name, Any)
    if not accepts(tp, converted):
        return f"is not {describe(tp)}"
    validator: Callable[..., Any] | None = field.validator
    if validator is not None:
        try:
            validator(stand_in, field, converted)
        except AttributeError:  # needs the instance's other fields
            return None
    return None


def first_refusal(
    cls: type[Any], overrides: Mapping[str, Any], skip: frozenset[str] = frozenset()
) -> tuple[str, str, str | None] | None:
    """The first plain-value override of ``cls``'s fields that the field refuses.

    Returns:
        ``(name, why, code)`` (``code``: the field's own error code, if it raised
        one) or ``None`` when every plain value passes.
    """
    from hypothesis.strategies import SearchStrategy

    if not attrs.has(cls):
        return None
    fields = {(a.alias or a.name): a for a in attrs.fields(cls) if a.init}
    for name, value in overrides.items():
        field = fields.get(name)
        if field is None or name in skip or isinstance(value, SearchStrategy):
            continue
        try:
            why = _check(cls, field, value)
        except SymprogramError as exc:
            return name, exc.message, exc.code
        except (TypeError, ValueError, AttributeError) as exc:
            return name, str(exc) or type(exc).__name__, None
        if why is not None:
            return name, why, None
    return None
