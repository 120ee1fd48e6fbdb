"""Pieces shared by the adapters: argument checks, the per-thread ambient unit of
work, and the shape of the SQL adapters' batches.

The checks of versions, data text and positions, and the errors every adapter
raises the same way, live with the port (the write buffer needs them too) and are
re-exported here.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Generic, Protocol, TypeVar

from symprogram._persistence_records import (
    MAX_STORED_INT,
    _writes,
    check_writable,
    entry_not_found,
    position_taken,
    record_not_found,
    stale_version,
    value_taken,
)
from symprogram.errors import IntegrityError, StorageError, SymprogramError, ValidationError
from symprogram.persistence import (
    CheckedItems,
    batch_items,
    batch_keys,
    check_key,
    check_position,
    check_text,
    check_version,
)

__all__ = [
    "IN_CHUNK",
    "MIN_BATCH",
    "PRIVATE_FILE_MODE",
    "CommitHooks",
    "Joinable",
    "Unit",
    "Units",
    "as_int",
    "as_text",
    "check_batch",
    "check_callback",
    "check_file_path",
    "check_timeout",
    "check_bounds",
    "checked_items",
    "check_entry",
    "check_index",
    "check_key",
    "check_limit",
    "check_pair",
    "check_position",
    "check_read",
    "check_save",
    "check_text",
    "check_version",
    "check_writable",
    "create_private_file",
    "entry_not_found",
    "position_taken",
    "record_not_found",
    "stale_version",
    "value_taken",
    "enable_wal",
    "in_chunks",
    "listing_start",
    "net_saves",
    "pair_of",
    "read_chunks",
    "write_batch",
]

T = TypeVar("T")

IN_CHUNK = 500
"""Keys per ``IN (...)`` list of a batched read (well under SQLite's variable limit)."""
MIN_BATCH = 8
"""Smaller batches are written item by item (a savepoint costs more than it saves)."""


_SURROGATE = re.compile("[\ud800-\udfff]")

PRIVATE_FILE_MODE = 0o600
"""The permissions of every database file symprogram creates (owner read and write)."""


def _file_of(path: str) -> str | None:
    """The file SQLite would create for ``path``: ``None`` for a database in memory,
    a temporary one (``""``), or a ``file:`` URI that may not create its file
    (``mode=ro``, ``mode=rw``, ``mode=memory``) or names another host."""
    if path in ("", ":memory:"):
        return None
    if not path.startswith("file:"):
        return path
    rest, _, query = path[len("file:") :].partition("#")[0].partition("?")
    mode = urllib.parse.parse_qs(query).get("mode", ["rwc"])[-1]
    if mode != "rwc" or rest in ("", ":memory:"):
        return None
    if rest.startswith("//"):
        authority, slash, rest = rest[2:].partition("/")
        if authority not in ("", "localhost"):
            return None
        rest = slash + rest
    return urllib.parse.unquote(rest)


def check_file_path(path: object) -> str:
    """``path`` as text, when it is a text path (or an ``os.PathLike`` of one).

    Raises:
        ValidationError: anything else (``None``, a number, bytes), or a path with
            a NUL or a lone surrogate (``invalid_path``).
    """
    text = os.fspath(path) if isinstance(path, str | os.PathLike) else None
    if not isinstance(text, str):
        raise ValidationError(
            f"path must be a file path (text), not {type(path).__name__}",
            field="path",
            code="invalid_path",
        )
    if "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text):
        raise ValidationError(
            "path may not contain NUL or lone surrogates", field="path", code="invalid_path"
        )
    return text


def check_timeout(timeout: object) -> float:
    """``timeout`` in seconds, when it is a number from 0 to a day.

    Raises:
        ValidationError: anything else (``invalid_timeout``).
    """
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not 0 <= timeout <= 86_400
    ):
        raise ValidationError(
            "timeout must be a number of seconds from 0 to 86400",
            field="timeout",
            code="invalid_timeout",
        )
    return float(timeout)


def create_private_file(path: str) -> bool:
    """Create ``path`` as an empty file readable and writable by its owner only (0600).

    Whatever the process's umask: the file is created with ``O_CREAT | O_EXCL`` and
    mode 0600, then ``fchmod`` to 0600 (where the platform has it). An existing file
    is left as it is, permissions included (returns False), and so is a path that
    names no file to create (``""``, ``":memory:"``, a ``file:`` URI in memory or
    opened without ``mode=rwc``); a ``file:`` URI's own file is created as SQLite
    would (it reads ``file:`` names as URIs). SQLite gives the
    ``-wal``, ``-shm`` and ``-journal`` files it creates beside a database the
    database file's own permissions, so they are 0600 too.

    Returns:
        True if the file was created.

    Raises:
        StorageError: the file cannot be created (``database_unavailable``), e.g. its
            folder does not exist or may not be written.
    """
    target = _file_of(path)
    if target is None:
        return False
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(target, flags, PRIVATE_FILE_MODE)
    except FileExistsError:
        return False
    except OSError as exc:
        raise StorageError(
            f"cannot open the database: unable to create {target!r} ({exc.strerror})",
            code="database_unavailable",
        ) from exc
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)
    return True


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


def check_bounds(prefix: object, after: object) -> tuple[str, str | None]:
    """Validate the ``prefix`` and ``after`` arguments of a scan; return them."""
    if not isinstance(prefix, str):
        raise ValidationError("prefix must be a string", field="prefix", code="invalid_key")
    if after is not None and not isinstance(after, str):
        raise ValidationError("after must be a string", field="after", code="invalid_key")
    return prefix, after


def listing_start(prefix: object, after: object, limit: object) -> tuple[str, bool, str]:
    """Check the arguments of an ordered listing (a scan, the stream names): where it
    begins, ``(bound, inclusive)``, for the names starting with ``prefix`` and sorting
    after ``after``, and the prefix to match.

    Stored names never hold a lone surrogate, and a database cannot take one as a
    parameter (it is no UTF-8): a ``prefix`` holding one matches nothing (NUL,
    which no name holds either, is matched instead), an ``after`` holding one is
    replaced by the bound that lists the same names in code-point order.
    """
    check_limit(limit)
    text, last = check_bounds(prefix, after)
    bound, inclusive = (last, False) if last is not None and last >= text else (text, True)
    if bound.isascii() and text.isascii():
        return bound, inclusive, text
    if _SURROGATE.search(text):
        return "", True, "\x00"
    found = _SURROGATE.search(bound)
    if found is not None:  # a name above it is at least bound[:i] + U+E000 (none holds one)
        return bound[: found.start()] + "\ue000", True, text
    return bound, inclusive, text


def check_limit(value: object) -> int:
    """Validate a page size: an int from 1 to :data:`MAX_STORED_INT` (``invalid_limit``)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_STORED_INT:
        raise ValidationError(
            f"limit must be an integer from 1 to {MAX_STORED_INT}",
            field="limit",
            code="invalid_limit",
        )
    return value


def check_pair(kind: str, key: str) -> None:
    """Validate a ``(kind, key)`` pair."""
    check_key(kind, "kind")
    check_key(key, "key")


def check_save(kind: str, key: str, data: str, expected_version: int) -> None:
    """Validate the arguments of a save."""
    check_pair(kind, key)
    check_text(data, "data")
    check_version(expected_version)


def check_index(index: str, value: str, key: str) -> None:
    """Validate the arguments of an index entry."""
    check_key(index, "index")
    check_key(value, "value")
    check_key(key, "key")


def check_entry(stream: str, position: int, data: str) -> None:
    """Validate the arguments of an append or a rewrite of a stream entry."""
    check_key(stream, "stream")
    check_position(position)
    check_text(data, "data")


def check_read(stream: str, after: int, limit: int | None) -> None:
    """Validate the arguments of a read of a stream."""
    check_key(stream, "stream")
    check_position(after, "after")
    if limit is not None:
        check_limit(limit)


def as_text(value: Any, what: str) -> str:
    """A text column's value; anything else is a damaged database."""
    if isinstance(value, str):
        return value
    raise IntegrityError(f"{what} is not text in the database", code="database_corrupt")


def as_int(value: Any, what: str) -> int:
    """An integer column's value; anything else is a damaged database."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise IntegrityError(f"{what} is not an integer in the database", code="database_corrupt")


def pair_of(item: tuple[Any, ...]) -> tuple[Any, Any]:
    """The first two values of a batch item: ``(kind, key)`` or ``(index, value)``."""
    return item[0], item[1]


# -- batches (see symprogram.persistence.BatchTransaction) ---------------------------
#
# A batched write of the SQL adapters checks every item first; it then writes a
# large enough batch all at once, all or nothing, and otherwise (a small batch, or
# one the database refused) makes the single calls, which raise the exact error of
# the first refused item. Either way it does what the single calls in order do.


def check_batch(
    batch: list[tuple[Any, ...]],
    check: Callable[..., T],
    write: Callable[[list[tuple[Any, ...]]], object],
) -> list[T]:
    """``check(*item)`` of every item, in order: their results.

    On the first item ``check`` refuses (a :class:`~symprogram.errors.SymprogramError`),
    the items before it are written with ``write`` (the batch method itself) and
    the error is raised, as the single calls in order would have done.
    """
    results: list[T] = []
    for number, item in enumerate(batch):
        try:
            results.append(check(*item))
        except SymprogramError:
            write(batch[:number])
            raise
    return results


def checked_items(
    items: object,
    arity: int,
    check: Callable[..., object],
    write: Callable[[list[tuple[Any, ...]]], object],
) -> list[tuple[Any, ...]]:
    """The items of a batch method as a list of tuples of ``arity`` values, each
    checked with ``check`` (see :func:`check_batch`) unless a write buffer already
    checked them (:class:`~symprogram.persistence.CheckedItems`)."""
    batch = batch_items(items, arity)
    if type(batch) is not CheckedItems:  # else checked once, when buffered
        check_batch(batch, check, write)
    return batch


def net_saves(batch: list[tuple[Any, ...]]) -> list[tuple[str, str, str, int, int]] | None:
    """One write per record of a batch of saves: ``(kind, key, last data, first expected
    version, final version)``; ``None`` when a record's saves do not follow each other's
    versions (replayed one by one, the second raises)."""
    net: dict[tuple[str, str], list[Any]] = {}
    for kind, key, data, expected in batch:
        slot = net.get((kind, key))
        if slot is None:
            net[kind, key] = [kind, key, data, expected, expected + 1]
        elif slot[4] != expected:
            return None
        else:
            slot[2], slot[4] = data, expected + 1
    return [tuple(slot) for slot in net.values()]


def write_batch(
    batch: list[tuple[Any, ...]], attempt: Callable[[], bool], one: Callable[..., T]
) -> list[T] | None:
    """Write a checked batch: at once with ``attempt`` if it has at least
    :data:`MIN_BATCH` items, else one by one with ``one(*item)``.

    ``attempt`` writes every item and returns True, or writes nothing and returns
    False (an item refused): the items are then written one by one too, which
    raises the error of the first refused item.

    Returns:
        None if ``attempt`` wrote the batch, else the results of ``one``, in order.
    """
    if len(batch) >= MIN_BATCH and attempt():
        return None
    return [one(*item) for item in batch]


def read_chunks(
    values: object, field: str, each: str, check: Callable[[object, str], object]
) -> list[list[str]]:
    """The keys (or index values) of a batched read, for its ``IN (...)`` lists.

    ``values`` is checked as :func:`~symprogram.persistence.batch_keys` does (the
    argument named ``field``), then each value with ``check(value, each)``, all of
    them before anything is read; the distinct values follow in first-seen order,
    :data:`IN_CHUNK` at a time.
    """
    wanted = batch_keys(values, field)
    for value in wanted:
        check(value, each)
    return in_chunks(wanted)


def in_chunks(values: list[str]) -> list[list[str]]:
    """The distinct ``values``, in first-seen order, :data:`IN_CHUNK` at a time."""
    unique = list(dict.fromkeys(values))
    return [unique[start : start + IN_CHUNK] for start in range(0, len(unique), IN_CHUNK)]


class Joinable(Protocol):
    """What the nested-transaction join needs of a unit of work: whether it is read-only."""

    readonly: bool


J = TypeVar("J", bound=Joinable)


class _Open(threading.local):
    """This thread's open unit of work; ``tx`` is ``None`` when there is none.

    A class default rather than ``getattr(local, "tx", None)``: a missing
    attribute on a plain ``threading.local`` raises inside ``getattr``, which made
    every ``change_token()`` several times slower.
    """

    tx: Any = None
    after: list[Callable[[], None]] | None = None
    doomed: BaseException | None = None


class Units(Generic[J]):
    """The nested-transaction join every adapter shares: one unit of work per thread.

    ``units(readonly)`` is the context manager an adapter's ``transaction()``
    returns. Entering it in a thread that already has a unit of work open joins
    that one (a writing block inside a read-only one is refused with
    ``read_only_transaction``) and leaving the inner block does nothing, unless it
    raised after writing: then the open unit of work is doomed, and leaving it
    without an error rolls it back and raises ``StorageError``
    ``unit_of_work_doomed`` (its writes are never half-kept); otherwise
    the lock (if any) is taken, ``begin(readonly)`` opens a new unit of work and,
    on leaving, ``end(tx, error)`` commits it (``error`` is ``None``) or rolls it
    back (``error`` is what the block raised), then the lock is released.

    Args:
        begin: opens a unit of work (raise to refuse, e.g. ``store_closed``).
        end: finishes it; may raise (a failed commit), the unit of work is then
            still over.
        lock: held from ``begin`` to ``end`` (``None``: no lock).
    """

    __slots__ = ("_begin", "_end", "_local", "_lock", "open")

    def __init__(
        self,
        begin: Callable[[bool], J],
        end: Callable[[J, BaseException | None], None],
        *,
        lock: threading.RLock | None = None,
    ) -> None:
        self._begin = begin
        self._end = end
        self._lock = lock
        self._local = _Open()
        self.open = self._local
        """This thread's open unit of work is ``open.tx`` (``None``: none); the
        fastest check, for the hot paths (a store's ``change_token``)."""

    def current(self) -> J | None:
        """The unit of work open in this thread, if any."""
        return self._local.tx  # type: ignore[no-any-return]

    def defer(self, callback: Callable[[], None]) -> bool:
        """Run ``callback()`` once this thread's open unit of work has committed (never
        if it rolls back); return False, deferring nothing, when none is open."""
        local = self._local
        if local.tx is None:
            return False
        if local.after is None:
            local.after = []
        local.after.append(callback)
        return True

    def __call__(self, readonly: bool) -> AbstractContextManager[J]:
        """A unit of work: joins this thread's open one, else begins one."""
        return Unit(self, readonly)


class Unit(Generic[J]):
    """The context manager of :meth:`Units.__call__` (``Unit(units, readonly)`` is the
    same, one call fewer on the hot path of a store's ``transaction()``).

    A plain class rather than ``@contextmanager``: entering and leaving a unit of
    work is on every read's path, and a generator costs several calls more.
    """

    __slots__ = ("_readonly", "_tx", "_units", "_writes")

    def __init__(self, units: Units[J], readonly: bool) -> None:
        self._units = units
        self._readonly = readonly
        self._tx: J | None = None
        self._writes = -1  # joined: the thread's writes when entered

    def __enter__(self) -> J:
        units = self._units
        current: J | None = units._local.tx
        if current is not None:
            if current.readonly and not self._readonly:
                raise StorageError(
                    "cannot write inside a read-only unit of work", code="read_only_transaction"
                )
            self._writes = _writes.count
            return current
        lock = units._lock
        if lock is not None:
            lock.acquire()
        try:
            tx = units._begin(self._readonly)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        units._local.tx = tx
        self._tx = tx
        return tx

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        tx = self._tx
        if tx is None:
            if exc_type is not None and 0 <= self._writes < _writes.count:
                # a joined block failed after writing: what it wrote must not be kept
                local = self._units._local
                local.doomed = local.doomed or exc or StorageError("the block raised")
            return
        self._tx = None
        units = self._units
        local = units._local
        committed = False
        doomed = local.doomed
        try:
            if exc_type is not None:
                units._end(tx, exc if exc is not None else StorageError("the block raised"))
            elif doomed is not None:
                units._end(tx, doomed)
            else:
                units._end(tx, None)
                committed = True
        finally:
            local.tx = None
            local.doomed = None
            after, local.after = local.after, None
            if units._lock is not None:
                units._lock.release()
        if doomed is not None and exc_type is None:
            raise _doomed(doomed)
        for callback in after if committed and after else ():
            callback()


def _doomed(cause: BaseException) -> StorageError:
    """The error of a unit of work rolled back because a block that joined it failed
    after writing (its writes may be half done, so none of it is kept)."""
    error = StorageError(
        "a block inside this unit of work failed after writing and its error was "
        "caught: the whole unit of work was rolled back, so that nothing is half-written",
        code="unit_of_work_doomed",
        details={"cause": type(cause).__name__, "retryable": False},
    )
    error.__cause__ = cause
    return error


def check_callback(callback: Callable[..., None]) -> Callable[..., None]:
    """``callback`` if it is callable (``ValidationError`` ``invalid_callback`` otherwise)."""
    if not callable(callback):
        raise ValidationError(
            f"callback must be callable, not {type(callback).__name__}",
            field="callback",
            code="invalid_callback",
        )
    return callback


class CommitHooks:
    """Mixin of a store built on :class:`Units` (its ``_units``): :meth:`on_commit`."""

    _units: Units[Any]

    def on_commit(self, callback: Callable[[], None]) -> bool:
        """Defer ``callback`` until this thread's open unit of work commits, if one is open.

        A unit of work opened inside another one in the same thread joins it, so
        what it writes is committed only with the outer one: the outbox delivers
        the messages a joined unit of work wrote once the outer one has committed,
        and never if it rolls back (:mod:`symprogram.outbox`).

        Returns:
            True if deferred (``callback()`` runs after the commit, nothing if it
            rolls back); False if no unit of work is open in this thread.

        Raises:
            ValidationError: ``callback`` is not callable (``invalid_callback``),
                refused at once rather than after the commit.
        """
        return self._units.defer(check_callback(callback))
