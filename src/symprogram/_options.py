"""Checking a service's options when the ``Program`` is built, not at first use.

``Program(options={"accounts": {...}, ...})`` hands each service keyword
arguments of its constructor. They are checked against the constructor's
signature and type hints as soon as the program is built, so a misspelled
option or a value of the wrong type is a
:class:`~symprogram.errors.ValidationError` at once (``unknown_option``,
``invalid_option``), never a ``TypeError`` at the first ``program.accounts``. A
``settings`` option may be given as a mapping: it is turned into the service's
typed settings object, with the same checks. Options that are each right but
wrong together (a deprecated keyword and its new name, or what a service's
``_options_check`` refuses, such as a settings reading another than the
catalogue's) are refused then too, by the same code the constructor runs.

Wiring code: it knows the services only through the classes it is handed.
"""

from __future__ import annotations

import contextlib
import inspect
import types
import typing
import warnings
from collections.abc import Mapping
from typing import Any

import attrs

from symprogram._deprecation import renamed_keyword, warn_deprecated
from symprogram.errors import SymprogramError, ValidationError

__all__ = ["check_options"]

# Parameters the program itself passes: never options.
_WIRED = frozenset({"self", "store", "clock", "history", "notifier", "ledger_key", "subscriptions"})


def _accepts(value: object, hint: Any) -> bool:
    """Whether ``value`` fits ``hint`` (classes, unions, Optional; anything else passes)."""
    if hint is Any or hint is object:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_accepts(value, arg) for arg in typing.get_args(hint))
    if hint is None or hint is type(None):
        return value is None
    if origin is not None:
        hint = origin
    if not isinstance(hint, type):
        return True
    if getattr(hint, "_is_protocol", False) and not getattr(hint, "_is_runtime_protocol", False):
        return True  # a static protocol cannot be checked at run time
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int and isinstance(value, bool):
        return False
    return isinstance(value, hint)


def _hints(cls: type) -> dict[str, Any]:
    """The constructor's parameter types that can be resolved at run time."""
    init = next((k.__dict__["__init__"] for k in cls.__mro__ if "__init__" in k.__dict__), None)
    if init is None:
        return {}
    scope = dict(getattr(init, "__globals__", {}))
    hints: dict[str, Any] = {}
    for name, annotation in getattr(init, "__annotations__", {}).items():
        # A name imported only for type checkers cannot be resolved: not checked.
        with contextlib.suppress(NameError, AttributeError, SyntaxError, TypeError):
            hints[name] = (
                eval(annotation, scope) if isinstance(annotation, str) else annotation  # noqa: S307
            )
    return hints


def _check_deprecated(
    hints: Mapping[str, Any], old: str, new: str, value: object, where: str
) -> None:
    """Check the value of a deprecated keyword as its new home checks it: the new
    keyword's type, or, where the value moved into a settings object (``salt`` ->
    ``settings``), the type of that object's field of the same name.

    Raises:
        ValidationError: a value of the wrong type (``invalid_option``).
    """
    hint = hints.get(new, Any)
    holder = _settings_class(hint)
    if holder is not None and old in attrs.fields_dict(holder):
        with contextlib.suppress(NameError, TypeError):
            hint = typing.get_type_hints(holder).get(old, Any)
    if not _accepts(value, hint):
        raise ValidationError(
            f"{where} must be {getattr(hint, '__name__', hint)}, not {type(value).__name__}",
            field=where,
            code="invalid_option",
        )


def _settings_class(hint: Any) -> type | None:
    """The settings class (an attrs class) a keyword's type names, if any."""
    classes = [a for a in typing.get_args(hint) if isinstance(a, type) and attrs.has(a)]
    return classes[0] if classes else None


def _check_together(
    service: type,
    options: Mapping[str, Any],
    deprecated: Mapping[str, str],
    hints: Mapping[str, Any],
) -> None:
    """Refuse options that are each right but wrong together, with the checks the
    constructor makes: a renamed keyword given with its new name
    (``conflicting_arguments``, by :func:`renamed_keyword`), then the service's own
    ``_options_check`` (called with the options, renamed ones under their new name).
    """
    together = dict(options)
    for old, new in deprecated.items():
        holder = _settings_class(hints.get(new, Any))
        if old not in together or (holder is not None and old in attrs.fields_dict(holder)):
            continue  # not given, or moved into the settings (the service's check has it)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # warned at the caller
            together[new] = renamed_keyword(
                {old: together.pop(old)},
                old=old,
                new=new,
                value=together.get(new),
                where=service.__name__,
            )
    check = getattr(service, "_options_check", None)
    if check is not None:
        check(**together)


def _settings(cls: type, value: Mapping[str, Any], where: str) -> object:
    """Build the settings object of class ``cls`` from a mapping, field by field."""
    fields = {f.name for f in attrs.fields(cls)} if attrs.has(cls) else set()
    for name in value:
        if name not in fields:
            raise ValidationError(
                f"{where}: unknown setting {name!r} (known: {', '.join(sorted(fields))})",
                field=f"{where}.{name}",
                code="unknown_option",
            )
    try:
        return cls(**value)
    except SymprogramError:
        raise
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{where}: {exc}", field=where, code="invalid_option") from None


def check_options(service: type, context: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The options for ``service`` checked, with a ``settings`` mapping made an object.

    Raises:
        ValidationError: options that are not a mapping, a name the constructor does
            not take (``unknown_option``), a value of the wrong type
            (``invalid_option``), or options the constructor would refuse together
            (``conflicting_arguments``, the service's ``_options_check`` codes).
    """
    if not isinstance(options, Mapping):
        raise ValidationError(
            f"options[{context!r}] must be a mapping of keyword arguments",
            field=f"options.{context}",
            code="invalid_option",
        )
    parameters = inspect.signature(service).parameters
    deprecated: Mapping[str, str] = getattr(service, "DEPRECATED_KEYWORDS", {})
    known = {
        name
        for name, p in parameters.items()
        if name not in _WIRED and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    }
    hints = _hints(service)
    checked: dict[str, Any] = {}
    for name, value in options.items():
        where = f"options.{context}.{name}"
        if name in deprecated:
            # Warned here, at the caller of Program(); the service is then built with
            # the old keyword under a filter (see Program._service).
            warn_deprecated(
                f"options[{context!r}][{name!r}]",
                f"options[{context!r}][{deprecated[name]!r}]",
                "0.2.0",
                stacklevel=None,
            )
            _check_deprecated(hints, name, deprecated[name], value, where)
            checked[name] = value
            continue
        if not isinstance(name, str) or name not in known:
            raise ValidationError(
                f"{context} has no option {name!r} (options: {', '.join(sorted(known))})",
                field=where,
                code="unknown_option",
            )
        hint = hints.get(name, Any)
        if name == "settings" and isinstance(value, Mapping):
            holder = _settings_class(hint)
            if holder is not None:
                value = _settings(holder, value, where)
        if not _accepts(value, hint):
            raise ValidationError(
                f"{where} must be {getattr(hint, '__name__', hint)}, not {type(value).__name__}",
                field=where,
                code="invalid_option",
            )
        checked[name] = value
    _check_together(service, checked, deprecated, hints)
    return checked
