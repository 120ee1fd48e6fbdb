"""Pieces shared by the adapters: argument checks and the per-thread ambient unit of work.

The checks of versions, data text and positions live in :mod:`symprogram.persistence`
(the write buffer there needs them too) and are re-exported here.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from symprogram.errors import StorageError, ValidationError
from symprogram.persistence import (
    check_key,
    check_position,
    check_text,
    check_version,
)

__all__ = [
    "Ambient",
    "check_bounds",
    "check_key",
    "check_limit",
    "check_pair",
    "check_position",
    "check_text",
    "check_version",
    "enable_wal",
]

TX = TypeVar("TX")


def enable_wal(execute: Callable[[str], object], *, timeout: float = 30.0) -> None:
    """Switch an SQLite connection to WAL, waiting while other connections hold locks.

    ``PRAGMA journal_mode = WAL`` needs a moment with no other reader or writer
    and SQLite does not apply the busy timeout to it, so several processes opening
    one new file at once can see "database is locked". Retried with a growing
    pause for up to ``timeout`` seconds; any other error is raised at once.
    """
    deadline = time.monotonic() + timeout
    pause = 0.005
    while True:
        try:
            execute("PRAGMA journal_mode = WAL")
            return
        except (sqlite3.OperationalError, StorageError) as exc:
            text = str(exc).lower()
            busy = "locked" in text or "busy" in text
            if not busy or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


def check_bounds(prefix: object, after: object) -> None:
    """Validate the ``prefix`` and ``after`` arguments of a scan."""
    if not isinstance(prefix, str):
        raise ValidationError("prefix must be a string", field="prefix", code="invalid_key")
    if after is not None and not isinstance(after, str):
        raise ValidationError("after must be a string", field="after", code="invalid_key")


def check_limit(value: object) -> int:
    """Validate a page size."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(
            "limit must be a positive integer", field="limit", code="invalid_limit"
        )
    return value


def check_pair(kind: str, key: str) -> None:
    """Validate a ``(kind, key)`` pair."""
    check_key(kind, "kind")
    check_key(key, "key")


class Ambient(Generic[TX]):
    """Remembers the unit of work open in each thread, so nested blocks join it."""

    def __init__(self) -> None:
        self._local = threading.local()

    def current(self) -> TX | None:
        """The transaction open in this thread, if any."""
        return getattr(self._local, "tx", None)

    @contextmanager
    def bind(self, tx: TX) -> Iterator[TX]:
        """Make ``tx`` this thread's ambient transaction for the block."""
        self._local.tx = tx
        try:
            yield tx
        finally:
            self._local.tx = None
