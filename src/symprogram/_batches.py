"""Walking a store a page at a time, each page handled in a unit of work of its own.

Private. The one-time steps after an upgrade (``anchor_credentials``,
``anchor_score_reports``) read the records of a kind in key order, ``batch`` at a
time, and write what each page needs before reading the next, so that no unit of
work grows with the store and a step cut short resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from symprogram._checks import check_int

__all__ = ["MAX_BATCH", "in_batches"]

T = TypeVar("T")

MAX_BATCH = 10_000
"""The largest ``batch`` a paged step takes."""


def in_batches(
    batch: object,
    read_page: Callable[[str | None, int], tuple[list[T], str | None, bool]],
    handle_page: Callable[[list[T]], int],
) -> int:
    """Read pages of ``batch`` records until no more may follow, hand each page that
    found something to ``handle_page``, and return the sum of what it returned.

    ``read_page(after, size)`` answers the items found among the next ``size``
    records after the key ``after`` (``None``: from the first), the last key it read
    and whether more may follow.

    Raises:
        ValidationError: ``batch`` is not an integer from 1 to 10,000
            (``invalid_batch``).
    """
    size = check_int(batch, "batch", minimum=1, maximum=MAX_BATCH)
    total = 0
    after: str | None = None
    while True:
        items, after, more = read_page(after, size)
        if items:
            total += handle_page(items)
        if not more:
            return total
