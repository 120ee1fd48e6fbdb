"""The in-memory adapter: fast, thread-safe, gone when the process ends.

Units of work are serialized by one lock, so they are serializable; each keeps an
undo log and a block that raises is rolled back completely. Nested
``store.transaction()`` blocks in the same thread join the open unit of work.

Example:
    >>> store = MemoryStore()
    >>> with store.transaction() as tx:
    ...     tx.save("note", "n1", '{"text": "hello"}', 0)
    1
    >>> with store.transaction() as tx:
    ...     tx.load("note", "n1").version
    1
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

from symprogram._closing import Closing
from symprogram.errors import StorageError, ValidationError
from symprogram.persistence import Record, Transaction
from symprogram.storage import _base as base
from symprogram.storage._base import CommitHooks, Unit, Units

__all__ = ["MemoryStore", "MemoryTransaction", "open_url"]


class _State:
    def __init__(self) -> None:
        self.records: dict[str, dict[str, tuple[int, str]]] = {}
        self.keys: dict[str, list[str]] = {}
        self.index: dict[tuple[str, str], str] = {}
        self.streams: dict[str, list[str]] = {}
        self.stream_names: list[str] = []
        self.generation = 0


def _listed(names: list[str], prefix: str, after: str | None, limit: int) -> list[str]:
    """Up to ``limit`` of the sorted ``names`` that start with ``prefix``, after ``after``."""
    bound, inclusive, prefix = base.listing_start(prefix, after, limit)
    i = (bisect.bisect_left if inclusive else bisect.bisect_right)(names, bound)
    end = len(names)
    out: list[str] = []
    while i < end and len(out) < limit and names[i].startswith(prefix):
        out.append(names[i])
        i += 1
    return out


class MemoryTransaction(Transaction):
    """A unit of work on a :class:`MemoryStore` (its methods are documented by the
    :class:`~symprogram.persistence.Transaction` port it implements)."""

    def __init__(self, state: _State, readonly: bool) -> None:
        self._s = state
        self._undo: list[Callable[[], None]] = []
        self.readonly = readonly

    # -- records -------------------------------------------------------------
    def load(self, kind: str, key: str) -> Record | None:
        base.check_pair(kind, key)
        found = self._s.records.get(kind, {}).get(key)
        return None if found is None else Record(kind, key, found[0], found[1])

    def save(self, kind: str, key: str, data: str, expected_version: int) -> int:
        base.check_save(kind, key, data, expected_version)
        base.check_writable(self.readonly)
        table = self._s.records.setdefault(kind, {})
        current = table.get(key)
        current_version = 0 if current is None else current[0]
        if current_version != expected_version:
            raise base.stale_version(kind, key, current_version, expected_version)
        table[key] = (current_version + 1, data)
        if current is None:
            keys = self._s.keys.setdefault(kind, [])
            bisect.insort(keys, key)

            def undo_insert() -> None:
                del table[key]
                keys.remove(key)

            self._undo.append(undo_insert)
        else:
            self._undo.append(lambda: table.__setitem__(key, current))
        return current_version + 1

    def delete(self, kind: str, key: str, expected_version: int) -> None:
        base.check_pair(kind, key)
        base.check_version(expected_version)
        base.check_writable(self.readonly)
        table = self._s.records.get(kind, {})
        current = table.get(key)
        if current is None:
            raise base.record_not_found(kind, key)
        if current[0] != expected_version:
            raise base.stale_version(kind, key, current[0], expected_version)
        del table[key]
        keys = self._s.keys[kind]
        keys.remove(key)

        def undo_delete() -> None:
            table[key] = current
            bisect.insort(keys, key)

        self._undo.append(undo_delete)

    def scan(
        self, kind: str, *, prefix: str = "", after: str | None = None, limit: int = 500
    ) -> list[Record]:
        base.check_key(kind, "kind")
        table = self._s.records.get(kind, {})
        found = _listed(self._s.keys.get(kind, []), prefix, after, limit)
        return [Record(kind, key, *table[key]) for key in found]

    # -- unique index ----------------------------------------------------------
    def index_put(self, index: str, value: str, key: str) -> None:
        base.check_index(index, value, key)
        base.check_writable(self.readonly)
        slot = (index, value)
        current = self._s.index.get(slot)
        if current == key:
            return
        if current is not None:
            raise base.value_taken(index, value)
        self._s.index[slot] = key

        def undo_put() -> None:
            self._s.index.pop(slot, None)

        self._undo.append(undo_put)

    def index_get(self, index: str, value: str) -> str | None:
        base.check_key(index, "index")
        base.check_key(value, "value")
        return self._s.index.get((index, value))

    def index_delete(self, index: str, value: str) -> None:
        base.check_key(index, "index")
        base.check_key(value, "value")
        base.check_writable(self.readonly)
        slot = (index, value)
        current = self._s.index.pop(slot, None)
        if current is not None:
            self._undo.append(lambda: self._s.index.__setitem__(slot, current))

    # -- streams ---------------------------------------------------------------
    def append(self, stream: str, position: int, data: str) -> None:
        base.check_entry(stream, position, data)
        base.check_writable(self.readonly)
        entries = self._s.streams.get(stream)
        length = 0 if entries is None else len(entries)
        if position != length + 1:
            raise base.position_taken(stream, length, position)
        if entries is None:
            entries = self._s.streams[stream] = []
            names = self._s.stream_names
            bisect.insort(names, stream)

            def undo_new() -> None:
                del self._s.streams[stream]
                names.remove(stream)

            self._undo.append(undo_new)
        else:
            added = entries

            def undo_append() -> None:
                added.pop()

            self._undo.append(undo_append)
        entries.append(data)

    def append_many(self, items: Sequence[tuple[str, int, str]]) -> None:
        """:meth:`append` of each ``(stream, position, data)``, in order: one call per
        batch, as the SQL adapters make (a batch of one entry or three is one write)."""
        for stream, position, data in items:
            self.append(stream, position, data)

    def read(
        self, stream: str, *, after: int = 0, limit: int | None = None
    ) -> list[tuple[int, str]]:
        base.check_read(stream, after, limit)
        entries = self._s.streams.get(stream, [])
        end = len(entries) if limit is None else min(len(entries), after + limit)
        return [(i + 1, entries[i]) for i in range(after, end)]

    def stream_length(self, stream: str) -> int:
        base.check_key(stream, "stream")
        return len(self._s.streams.get(stream, ()))

    def streams(self, *, prefix: str = "", after: str | None = None, limit: int = 500) -> list[str]:
        return _listed(self._s.stream_names, prefix, after, limit)

    def rewrite(self, stream: str, position: int, data: str) -> None:
        base.check_entry(stream, position, data)
        base.check_writable(self.readonly)
        entries = self._s.streams.get(stream, [])
        if not 1 <= position <= len(entries):
            raise base.entry_not_found(stream, position)
        old = entries[position - 1]
        entries[position - 1] = data
        self._undo.append(lambda: entries.__setitem__(position - 1, old))

    # -- completion ------------------------------------------------------------
    def _rollback(self) -> None:
        while self._undo:
            self._undo.pop()()

    def _commit(self) -> None:
        self._undo.clear()


class MemoryStore(Closing, CommitHooks):
    """A :class:`symprogram.persistence.Store` kept in process memory."""

    def __init__(self) -> None:
        self._state = _State()
        self._lock = threading.RLock()
        self._units: Units[MemoryTransaction] = Units(self._begin, self._end, lock=self._lock)
        self._open = self._units.open
        self._closed = False

    def _begin(self, readonly: bool) -> MemoryTransaction:
        if self._closed:
            raise StorageError("the store is closed", code="store_closed")
        return MemoryTransaction(self._state, readonly)

    def _end(self, tx: MemoryTransaction, error: BaseException | None) -> None:
        if not tx._undo:
            return
        if error is None:
            tx._commit()
            self._state.generation += 1
        else:
            tx._rollback()

    def transaction(self, *, readonly: bool = False) -> AbstractContextManager[MemoryTransaction]:
        """Open a unit of work: all of it is kept on a clean exit, none of it on an exception."""
        return Unit(self._units, readonly)

    def change_token(self) -> int | None:
        """A number that changes whenever a unit of work commits a change.

        ``None`` while this thread has a unit of work open on the store: what it
        reads may include its own uncommitted writes, which nobody may remember.
        See :func:`symprogram.persistence.change_tracker`.
        """
        if self._open.tx is not None:
            return None
        return self._state.generation

    def close(self) -> None:
        """Mark the store closed; later units of work are refused."""
        self._closed = True

    def __repr__(self) -> str:
        return "MemoryStore()"


def open_url(url: str) -> MemoryStore:
    """The factory of the ``memory`` entry point: ``memory://`` is a new, empty store.

    Raises:
        ValidationError: anything but ``memory://`` (``invalid_storage_url``).
    """
    if url != "memory://":
        raise ValidationError(
            "the in-memory storage URL is memory:// (nothing after it)",
            field="url",
            code="invalid_storage_url",
        )
    return MemoryStore()
