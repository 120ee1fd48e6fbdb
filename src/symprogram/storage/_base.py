"""Pieces shared by the adapters: argument checks and the per-thread ambient unit of work."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from symprogram.errors import StorageError, ValidationError
from symprogram.persistence import check_key

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


def check_version(value: object) -> int:
    """Validate an expected version (a non-negative int)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(
            "expected_version must be a non-negative integer",
            field="expected_version",
            code="invalid_version",
        )
    return value


def check_text(value: object, field: str) -> str:
    """Validate stored data text (a string encodable as UTF-8)."""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string", field=field, code="invalid_data")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValidationError(
                f"{field} contains a lone surrogate", field=field, code="invalid_data"
            ) from exc
    return value


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


def check_position(value: object, field: str = "position") -> int:
    """Validate a stream position (>= 0 for ``after``, >= 1 for an entry)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(
            f"{field} must be a non-negative integer", field=field, code="invalid_position"
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
