"""One lookup by key over the tuples models hold (``holdings.grant(id)``, ...).

Kernel code: it knows no context.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

__all__ = ["find_by"]

T = TypeVar("T")


def find_by(items: Iterable[T], attribute: str, value: object) -> T | None:
    """The first of ``items`` whose ``attribute`` equals ``value``, or ``None``.

    Example:
        >>> from types import SimpleNamespace as NS
        >>> find_by([NS(id="a"), NS(id="b")], "id", "b")
        namespace(id='b')
        >>> find_by([NS(id="a")], "id", "z") is None
        True
    """
    for item in items:
        if getattr(item, attribute) == value:
            return item
    return None
