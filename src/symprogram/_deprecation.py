"""Old public names kept for a release, each warning with a ``DeprecationWarning``.

A renamed method keeps its old name as :func:`deprecated_alias`; a moved
module-level name is served by the module's ``__getattr__`` from
:func:`module_getattr`; a renamed keyword argument is read with
:func:`renamed_keyword`, and an argument made keyword-only with
:func:`positional_keyword`.

Kernel code: it knows no context.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import warnings
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, TypeVar, overload

__all__ = [
    "deprecated_alias",
    "module_getattr",
    "outside_stacklevel",
    "positional_keyword",
    "renamed_keyword",
    "warn_deprecated",
]

T = TypeVar("T")


def outside_stacklevel() -> int:
    """The ``stacklevel`` of the first caller outside the symprogram package."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("symprogram"):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def warn_deprecated(old: str, new: str, since: str, *, stacklevel: int | None = 3) -> None:
    """Warn that ``old`` is deprecated in favour of ``new`` (from version ``since``).

    ``stacklevel=None`` points the warning at the first caller outside symprogram.
    """
    if stacklevel is None:
        stacklevel = outside_stacklevel()
    warnings.warn(
        f"{old} is deprecated since symprogram {since}; use {new} instead "
        "(the old name goes away in a later release)",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


class deprecated_alias:
    """A class attribute that forwards to the method ``new`` and warns.

    ``returns`` converts what ``new`` answers back to what the old name answered
    (``returns=list`` for an old name that gave a list where the new one gives a
    tuple). An old name of a generator method is a generator too (it warns when
    it is first read), so an async proxy still streams it.

    Example:
        >>> class Service:
        ...     def get_case(self, case_id: str) -> str:
        ...         return case_id
        ...     case = deprecated_alias("get_case", old="case", since="0.2")
    """

    def __init__(
        self,
        new: str,
        *,
        old: str,
        since: str = "0.2.0",
        returns: Callable[[Any], Any] | None = None,
    ) -> None:
        self.new = new
        self.old = old
        self.since = since
        self.returns = returns

    @overload
    def __get__(self, instance: None, owner: type) -> deprecated_alias: ...

    @overload
    def __get__(self, instance: object, owner: type) -> Callable[..., Any]: ...

    def __get__(self, instance: object | None, owner: type) -> Any:
        if instance is None:
            return self
        target = getattr(instance, self.new)
        owner_name = type(instance).__name__  # the service, not the flow declaring the name
        old, new, since, returns = self.old, self.new, self.since, self.returns

        def warn() -> None:
            warn_deprecated(f"{owner_name}.{old}()", f"{owner_name}.{new}()", since, stacklevel=4)

        forward: Callable[..., Any]
        if returns is None and inspect.isgeneratorfunction(target):

            def stream(*args: Any, **kwargs: Any) -> Any:
                warn()
                yield from target(*args, **kwargs)

            forward = stream
        else:

            def call(*args: Any, **kwargs: Any) -> Any:
                warn()
                answer = target(*args, **kwargs)
                return answer if returns is None else returns(answer)

            forward = call
        forward.__name__ = old
        forward.__qualname__ = f"{owner_name}.{old}"
        forward.__doc__ = f"Deprecated since {since}: use :meth:`{new}`."
        return forward


def _served_getattr(
    module: str, served: Mapping[str, tuple[str, str, Callable[[], Any]]], since: str
) -> Callable[[str], Any]:
    """A module ``__getattr__`` serving old names with a warning: each maps to what the
    warning calls it, what to use instead, and how to get what it serves (when read)."""

    def __getattr__(name: str) -> Any:
        try:
            old, new, load = served[name]
        except KeyError:
            raise AttributeError(f"module {module!r} has no attribute {name!r}") from None
        warn_deprecated(old, new, since)
        return load()

    return __getattr__


def _imported(where: str, name: str) -> Any:
    return getattr(importlib.import_module(where), name)


def _itself(value: T) -> T:
    return value


def module_getattr(
    module: str, moved: Mapping[str, tuple[str, str]], *, since: str = "0.2.0"
) -> Callable[[str], Any]:
    """A module ``__getattr__`` serving moved names with a warning.

    Args:
        module: the module's ``__name__``.
        moved: old name -> (the module it lives in now, its name there).
        since: the release that deprecated the old names.
    """
    served = {
        name: (f"{module}.{name}", f"{where}.{new}", partial(_imported, where, new))
        for name, (where, new) in moved.items()
    }
    return _served_getattr(module, served, since)


def retired_getattr(
    module: str, retired: Mapping[str, tuple[Callable[..., Any], str]], *, since: str
) -> Callable[[str], Any]:
    """A module ``__getattr__`` serving retired functions with a warning: each old name
    maps to the function still served and what to use instead.

    Args:
        module: the module's ``__name__``.
        retired: old name -> (the function served, what to use instead).
        since: the release that deprecated the old names.
    """
    served = {
        name: (f"{module}.{name}()", instead, partial(_itself, function))
        for name, (function, instead) in retired.items()
    }
    return _served_getattr(module, served, since)


_MISSING: Any = object()


def renamed_keyword(
    kwargs: dict[str, Any], *, old: str, new: str, value: T, since: str = "0.2.0", where: str
) -> T:
    """Read a renamed keyword argument: ``value`` (the new one) or the old one, warning.

    Raises:
        symprogram.errors.ValidationError: both the old and the new keyword were given
            (``conflicting_arguments``), or an unknown keyword remains
            (``unexpected_argument``).
    """
    from symprogram.errors import ValidationError

    given = kwargs.pop(old, _MISSING)
    if kwargs:
        name = sorted(kwargs)[0]
        raise ValidationError(
            f"{where}() got an unexpected keyword argument {name!r}",
            field=name,
            code="unexpected_argument",
        )
    if given is _MISSING:
        return value
    if value is not None:
        raise ValidationError(
            f"{where}(): give {new}= only ({old}= is its deprecated name)",
            field=new,
            code="conflicting_arguments",
        )
    warn_deprecated(f"{where}({old}=...)", f"{where}({new}=...)", since, stacklevel=4)
    return given  # type: ignore[no-any-return]


def positional_keyword(
    args: tuple[Any, ...], value: T | None, *, name: str, where: str, since: str = "0.2.0"
) -> T | None:
    """Read a keyword-only argument once taken positionally: ``value``, or ``args[0]``, warning.

    The function declares ``*args`` before its keyword-only ``name`` and passes both.

    Raises:
        symprogram.errors.ValidationError: more than one positional argument
            (``unexpected_argument``), or ``name`` given both ways
            (``conflicting_arguments``).
    """
    from symprogram.errors import ValidationError

    if not args:
        return value
    if len(args) > 1:
        raise ValidationError(
            f"{where}() takes no positional argument (give {name}=)",
            field=name,
            code="unexpected_argument",
        )
    if value is not None:
        raise ValidationError(
            f"{where}(): give {name}= only (a positional {name} is its deprecated form)",
            field=name,
            code="conflicting_arguments",
        )
    warn_deprecated(
        f"{where}() with a positional {name}", f"{where}({name}=...)", since, stacklevel=None
    )
    return args[0]  # type: ignore[no-any-return]
