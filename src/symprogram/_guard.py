"""Public pure functions answer a wrong argument with a coded error, at no cost otherwise.

The rules and messages of every context are pure functions of typed arguments. A
caller that hands one ``None`` where a :class:`Candidate` belongs, or a number where
text belongs, would see whatever the body trips over first: an ``AttributeError``,
a ``TypeError``, a ``KeyError``. :func:`guard_public` wraps each public function of a
module so that such an error is looked at only once it has happened: the arguments
are compared with the function's annotations, and the first one that is not what
its annotation says is answered as :class:`~symprogram.errors.ValidationError`
``invalid_argument`` (``field`` the parameter's name), chained to the original
error. When every argument matches its annotation the original error is raised
unchanged: it is a fault of the function, not of the caller, and is not hidden.
A call that succeeds costs one wrapper frame and nothing else.

Kernel code: it knows no context.
"""

from __future__ import annotations

import collections.abc
import contextlib
import functools
import inspect
import sys
import types
import typing
from collections.abc import Callable, Iterable, MutableMapping
from datetime import datetime
from typing import Any, TypeVar

from symprogram.errors import SymprogramError, ValidationError

__all__ = ["guard_public", "mismatched_argument"]

F = TypeVar("F", bound=Callable[..., Any])

_TRIPS = (AttributeError, TypeError, KeyError, ValueError, IndexError, OverflowError)
_MATERIAL = (list, tuple, set, frozenset, str, bytes)
_ANY = (Any, object)


_DEPTH = 3
"""How many levels into built containers the items are compared."""


def _conforms(value: object, hint: Any, depth: int = 0) -> bool:  # one case per kind of annotation
    """Whether ``value`` is what the annotation ``hint`` says (built containers a few
    levels in; a ``datetime`` only if it is aware, as every rule takes instants)."""
    if hint in _ANY or isinstance(hint, TypeVar) or hint is inspect.Parameter.empty:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        return any(_conforms(value, arm, depth) for arm in typing.get_args(hint))
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if origin in (typing.Annotated, typing.ClassVar, typing.Final):
        return _conforms(value, typing.get_args(hint)[0], depth)
    if origin is None:
        if hint is float:
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        if hint is datetime:
            return isinstance(value, datetime) and value.tzinfo is not None
        return not isinstance(hint, type) or isinstance(value, hint)
    if origin is collections.abc.Callable:
        return callable(value)
    if not isinstance(origin, type) or not isinstance(value, origin):
        return False
    return depth >= _DEPTH or _items_conform(value, origin, typing.get_args(hint), depth + 1)


def _items_conform(value: Any, origin: type, args: tuple[Any, ...], depth: int) -> bool:
    """Whether the items of an already built container match the annotation's arguments."""
    if not args:
        return True
    if issubclass(origin, collections.abc.Mapping) and isinstance(value, dict) and len(args) == 2:
        return all(
            _conforms(k, args[0], depth) and _conforms(v, args[1], depth) for k, v in value.items()
        )
    if not isinstance(value, _MATERIAL):
        return True  # a stream is not read ahead of the function
    if origin is tuple and (len(args) != 2 or args[1] is not Ellipsis):
        return len(value) == len(args) and all(
            _conforms(item, arg, depth) for item, arg in zip(value, args, strict=True)
        )
    return all(_conforms(item, args[0], depth) for item in value)


def _keyword_mismatch(
    function: Callable[..., Any], given: dict[str, Any], hint: Any
) -> ValidationError | None:
    """The error for ``**kwargs: Unpack[SomeTypedDict]``: a required key missing, a key
    the dictionary does not declare, or a value not of its key's annotation."""
    args = typing.get_args(hint) if typing.get_origin(hint) is typing.Unpack else ()
    if len(args) != 1 or not typing.is_typeddict(args[0]):
        return None
    declared = typing.get_type_hints(args[0])
    for key in sorted(args[0].__required_keys__ - set(given)):
        return _refusal(function, key, f"{key} is required", declared[key])
    for key, one in given.items():
        if key not in declared:
            return _refusal(function, key, f"{key} is not an argument", None)
        if not _conforms(one, declared[key]):
            return _refusal(function, key, f"{key} must be {_shown(declared[key])}", declared[key])
    return None


def _refusal(function: Callable[..., Any], field: str, what: str, hint: Any) -> ValidationError:
    expected = None if hint is None else _shown(hint)
    return ValidationError(
        f"{function.__name__}(): {what}",
        field=field,
        code="invalid_argument",
        details={"function": function.__qualname__, "expected": expected},
    )


_UNRESOLVED = (NameError, TypeError, SyntaxError, AttributeError)


@functools.cache
def _hints(function: Callable[..., Any]) -> tuple[inspect.Signature, dict[str, Any]]:
    """The signature and resolved annotations of ``function``. A name imported for type
    checking only is looked up among the package's loaded classes; an annotation
    that still cannot be resolved checks nothing (its parameter is left out)."""
    signature = inspect.signature(function)
    classes = _package_classes()
    hints: dict[str, Any] = {}
    for name, annotation in function.__annotations__.items():
        one = _Annotated(name, annotation, function.__globals__)
        with contextlib.suppress(*_UNRESOLVED):
            hints[name] = typing.get_type_hints(one, localns=classes)[name]
    return signature, hints


class _Annotated:
    """One annotation of a function, in the shape ``typing.get_type_hints`` reads."""

    def __init__(self, name: str, annotation: object, namespace: dict[str, Any]) -> None:
        self.__annotations__ = {name: annotation}
        self.__globals__ = namespace


def _package_classes() -> dict[str, Any]:
    """The classes of the loaded symprogram modules, by name (the first of a name wins)."""
    found: dict[str, Any] = {}
    for module_name, module in list(sys.modules.items()):
        if module is None or not module_name.startswith("symprogram"):
            continue
        for name, value in list(vars(module).items()):
            if isinstance(value, type) and not name.startswith("_"):
                found.setdefault(name, value)
    return found


def mismatched_argument(
    function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> ValidationError | None:
    """The ``invalid_argument`` error for the first argument of a call of ``function``
    that is not what its annotation says, or ``None`` when every one is."""
    signature, hints = _hints(function)
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        return None  # a call with the wrong arguments: Python's own message says it
    for name, parameter in signature.parameters.items():
        hint = hints.get(name, inspect.Parameter.empty)
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            keyword = _keyword_mismatch(function, bound.arguments.get(name, {}), hint)
            if keyword is not None:
                return keyword
            continue
        if name not in bound.arguments:
            continue  # a default
        value = bound.arguments[name]
        values: Iterable[object] = (
            value if parameter.kind is inspect.Parameter.VAR_POSITIONAL else (value,)
        )
        for one in values:
            if not _conforms(one, hint):
                return _refusal(
                    function,
                    name,
                    f"{name} must be {_shown(hint)}, not {type(one).__name__}"
                    + (" (a naive datetime)" if isinstance(one, datetime) else ""),
                    hint,
                )
    return None


def _shown(hint: Any) -> str:
    if isinstance(hint, type):
        return hint.__name__
    return str(hint).replace("typing.", "").replace("collections.abc.", "")


def _guarded(function: F) -> F:
    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except SymprogramError:
            raise
        except _TRIPS as exc:
            error = mismatched_argument(function, args, kwargs)
            if error is None:
                raise
            raise error from exc

    guarded.__symprogram_guarded__ = True  # type: ignore[attr-defined]
    return typing.cast(F, guarded)


def guard_public(namespace: MutableMapping[str, Any], names: Iterable[str]) -> None:
    """Wrap each plain function ``namespace`` exports under ``names`` (see the module).

    Call it at the end of a public module of pure functions:
    ``guard_public(globals(), __all__)``. Classes, constants and functions already
    guarded are left alone; what each name is (its signature, docstring, module and
    name) is kept.
    """
    for name in names:
        value = namespace.get(name)
        if inspect.isfunction(value) and not getattr(value, "__symprogram_guarded__", False):
            namespace[name] = _guarded(value)
