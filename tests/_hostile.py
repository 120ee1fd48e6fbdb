"""Hostile values the hostile-input suites of every context share.

Importable as ``_hostile`` because the ``tests`` directory, home of the root
``conftest.py``, is on ``sys.path``.
"""

from __future__ import annotations

from typing import Any

HUGE = 10**5000
"""An int whose ``repr`` Python refuses (more than 4,300 digits: ``ValueError``)."""


def deep(depth: int = 5000) -> list[Any]:
    """A list nested ``depth`` deep: its ``repr`` exceeds the recursion limit."""
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value
