"""Batches of the storage port: the helpers that use an adapter's batch methods
when it has them (else the single calls), and :class:`WriteBuffer`, which gathers a
unit of work's writes and sends them in batches (re-exported by
:mod:`symprogram.persistence`).

An adapter may offer batched variants of its writes and reads. They are optional:
the helpers below use them when the transaction has them (found with getattr, like
``change_token``) and otherwise loop over the single-item methods, so an adapter
written against the plain :class:`~symprogram.persistence.Transaction` protocol
keeps working unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from symprogram._persistence_records import (
    Record,
    check_key,
    check_position,
    check_text,
    check_version,
    check_writable,
    position_taken,
    stale_version,
    value_taken,
)
from symprogram.errors import ValidationError

if TYPE_CHECKING:
    from symprogram.persistence import Transaction

__all__ = [
    "AppendItem",
    "CheckedItems",
    "IndexItem",
    "SaveItem",
    "WriteBuffer",
    "append_many",
    "batch_items",
    "batch_keys",
    "index_get_many",
    "index_put_many",
    "load_many",
    "save_many",
    "save_waves",
]

T = TypeVar("T")

SaveItem = tuple[str, str, str, int]
"""One item of :func:`save_many`: ``(kind, key, data, expected_version)``."""
IndexItem = tuple[str, str, str]
"""One item of :func:`index_put_many`: ``(index, value, key)``."""
AppendItem = tuple[str, int, str]
"""One item of :func:`append_many`: ``(stream, position, data)``."""


class CheckedItems(list[Any]):
    """Batch items a :class:`WriteBuffer` checked one by one as it buffered them.

    :func:`batch_items` passes them on as they are, and an adapter may skip
    checking their keys, texts and versions again (the SQLite adapter does): the
    keys are checked once, at the boundary.
    """


def batch_items(items: object, arity: int) -> list[tuple[Any, ...]]:
    """Return ``items`` as a list of tuples of ``arity`` values.

    Raises:
        ValidationError: ``items`` is not an iterable of such tuples
            (code ``invalid_batch``, details ``item``: the first bad one).
    """
    if type(items) is CheckedItems:
        return items
    if isinstance(items, str | bytes | Mapping) or not isinstance(items, Iterable):
        raise ValidationError(
            "a batch must be a sequence of tuples", field="items", code="invalid_batch"
        )
    out: list[tuple[Any, ...]] = list(items)
    for number, item in enumerate(out):
        if not isinstance(item, tuple) or len(item) != arity:
            raise ValidationError(
                f"batch item {number} must be a tuple of {arity} values",
                field="items",
                code="invalid_batch",
                details={"item": number},
            )
    return out


def batch_keys(values: object, field: str) -> list[str]:
    """Return the keys (or index values) of a batched read as a list.

    Raises:
        ValidationError: not an iterable of keys (code ``invalid_batch``); each
            key is checked by the read itself, like the single call.
    """
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        raise ValidationError(
            f"{field} must be a sequence of keys", field=field, code="invalid_batch"
        )
    return list(values)


def save_waves(items: Sequence[SaveItem]) -> list[list[SaveItem]]:
    """Split saves into waves that an adapter may write in any order within each wave.

    Wave ``n`` holds the ``n``-th save of each ``(kind, key)``, in the given order,
    so no wave names a record twice and doing the waves one after the other does
    exactly what the saves in their order do.
    """
    waves: list[list[SaveItem]] = []
    seen: dict[tuple[str, str], int] = {}
    for item in items:
        slot = (item[0], item[1])
        wave = seen.get(slot, 0)
        seen[slot] = wave + 1
        if wave == len(waves):
            waves.append([])
        waves[wave].append(item)
    return waves


def save_many(tx: Transaction, items: Iterable[SaveItem]) -> list[int]:
    """Save every ``(kind, key, data, expected_version)`` in order; return the new versions.

    Uses the transaction's own ``save_many`` when it has one (one statement or round
    trip per batch), else :meth:`Transaction.save` per item. See :class:`BatchTransaction`.
    """
    batch = batch_items(items, 4)
    method = getattr(tx, "save_many", None)
    if callable(method):
        return list(method(batch))
    return [tx.save(kind, key, data, version) for kind, key, data, version in batch]


def index_put_many(tx: Transaction, items: Iterable[IndexItem]) -> None:
    """Put every ``(index, value, key)`` in order (see :func:`save_many`)."""
    _write_many(tx, "index_put_many", batch_items(items, 3), tx.index_put)


def append_many(tx: Transaction, items: Iterable[AppendItem]) -> None:
    """Append every ``(stream, position, data)`` in order (see :func:`save_many`)."""
    _write_many(tx, "append_many", batch_items(items, 3), tx.append)


def _write_many(
    tx: Transaction, batched: str, batch: list[tuple[Any, ...]], one: Callable[..., object]
) -> None:
    """A batched write: the transaction's own method ``batched`` when it has one,
    else ``one(*item)`` of each item in order."""
    method = getattr(tx, batched, None)
    if callable(method):
        method(batch)
        return
    for item in batch:
        one(*item)


def _read_many(
    tx: Transaction, batched: str, name: str, wanted: list[str], one: Callable[[str], T | None]
) -> dict[str, T]:
    """A batched read in ``name`` (a kind or an index): the transaction's own method
    ``batched`` when it has one, else ``one`` of each wanted key or value; what is
    found, by key or value."""
    method = getattr(tx, batched, None)
    if callable(method):
        return dict(method(name, wanted))
    found: dict[str, T] = {}
    for item in wanted:
        result = one(item)
        if result is not None:
            found[item] = result
    return found


def load_many(tx: Transaction, kind: str, keys: Iterable[str]) -> dict[str, Record]:
    """Load the records of ``kind`` with ``keys``: those that exist, by key."""
    wanted = batch_keys(keys, "keys")
    return _read_many(tx, "load_many", kind, wanted, lambda key: tx.load(kind, key))


def index_get_many(tx: Transaction, index: str, values: Iterable[str]) -> dict[str, str]:
    """Look up ``values`` in a unique index: the keys of those present, by value."""
    wanted = batch_keys(values, "values")
    return _read_many(tx, "index_get_many", index, wanted, lambda v: tx.index_get(index, v))


_UNKNOWN: Any = object()


class WriteBuffer:
    """A :class:`Transaction` that gathers writes and sends them to ``tx`` in batches.

    Meant for bulk work inside one unit of work (``register_many``): record
    saves, index entries and stream appends are kept and written by
    :meth:`flush` with :func:`save_many`, :func:`index_put_many` and
    :func:`append_many`, a few statements per batch instead of one per write.
    Reads see the buffered writes. Every argument is checked when the write is
    made, and a write that contradicts what the buffer already knows (a record,
    index entry or stream length it read, preloaded or wrote) raises then, with
    the error the unit of work would raise. A write based on what the buffer does
    not know (e.g. a first save of a key never read) is checked by the store at
    :meth:`flush`, which then raises that error: leave the unit of work then, it
    is rolled back. Any other operation (delete, scan, read, ...) flushes first.

    Used as a context manager it flushes on a clean exit.

    Args:
        tx: the unit of work the writes go to.
    """

    def __init__(self, tx: Transaction) -> None:
        self.tx = tx
        self.readonly = bool(getattr(tx, "readonly", False))
        self._records: dict[tuple[str, str], tuple[int, str] | None] = {}
        self._index: dict[tuple[str, str], str | None] = {}
        self._lengths: dict[str, int] = {}
        self._saves: list[SaveItem] = []
        self._puts: list[IndexItem] = []
        self._appends: list[AppendItem] = []

    def __enter__(self) -> WriteBuffer:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.flush()

    @property
    def pending(self) -> int:
        """The number of writes not sent to the unit of work yet."""
        return len(self._saves) + len(self._puts) + len(self._appends)

    def flush(self) -> None:
        """Send the buffered writes to the unit of work (records, then index, then streams).

        Raises:
            ConcurrencyError, Conflict, StorageError: as the single writes would;
                the unit of work must then be abandoned (it is rolled back).
        """
        saves, puts, appends = self._saves, self._puts, self._appends
        self._saves, self._puts, self._appends = [], [], []
        # Each item was checked when it was buffered (see CheckedItems).
        if saves:
            save_many(self.tx, CheckedItems(saves))
        if puts:
            index_put_many(self.tx, CheckedItems(puts))
        if appends:
            append_many(self.tx, CheckedItems(appends))

    # -- preloading ------------------------------------------------------------
    def preload(self, kind: str, keys: Iterable[str]) -> None:
        """Read the records of ``kind`` with ``keys`` in one batch and remember them."""
        wanted = [k for k in batch_keys(keys, "keys") if (kind, k) not in self._records]
        found = load_many(self.tx, kind, wanted)
        records = self._records
        for key in wanted:
            record = found.get(key)
            records[kind, key] = None if record is None else (record.version, record.data)

    def preload_index(self, index: str, values: Iterable[str]) -> None:
        """Look ``values`` up in ``index`` in one batch and remember the answers."""
        wanted = [v for v in batch_keys(values, "values") if (index, v) not in self._index]
        found = index_get_many(self.tx, index, wanted)
        slots = self._index
        for value in wanted:
            slots[index, value] = found.get(value)

    # -- records ---------------------------------------------------------------
    def load(self, kind: str, key: str) -> Record | None:
        """Return the record (buffered, remembered or read), or ``None``."""
        check_key(kind, "kind")
        check_key(key, "key")
        state = self._records.get((kind, key), _UNKNOWN)
        if state is _UNKNOWN:
            record = self.tx.load(kind, key)
            self._records[kind, key] = None if record is None else (record.version, record.data)
            return record
        return None if state is None else Record(kind, key, state[0], state[1])

    def save(self, kind: str, key: str, data: str, expected_version: int) -> int:
        """Buffer a save; ConcurrencyError now if the known version differs."""
        check_key(kind, "kind")
        check_key(key, "key")
        check_text(data, "data")
        check_version(expected_version)
        check_writable(self.readonly)
        state = self._records.get((kind, key), _UNKNOWN)
        if state is not _UNKNOWN:
            current = 0 if state is None else state[0]
            if current != expected_version:
                raise stale_version(kind, key, current, expected_version)
        self._saves.append((kind, key, data, expected_version))
        self._records[kind, key] = (expected_version + 1, data)
        return expected_version + 1

    def delete(self, kind: str, key: str, expected_version: int) -> None:
        """Flush, then delete through the unit of work."""
        self.flush()
        self.tx.delete(kind, key, expected_version)
        self._records[kind, key] = None

    def scan(
        self, kind: str, *, prefix: str = "", after: str | None = None, limit: int = 500
    ) -> list[Record]:
        """Flush, then scan through the unit of work."""
        self.flush()
        return self.tx.scan(kind, prefix=prefix, after=after, limit=limit)

    # -- unique index ----------------------------------------------------------
    def index_put(self, index: str, value: str, key: str) -> None:
        """Buffer an index entry; Conflict now if another key is known to hold ``value``."""
        check_key(index, "index")
        check_key(value, "value")
        check_key(key, "key")
        check_writable(self.readonly)
        current = self._index.get((index, value), _UNKNOWN)
        if current == key:
            return
        if current is not _UNKNOWN and current is not None:
            raise value_taken(index, value)
        self._puts.append((index, value, key))
        self._index[index, value] = key

    def index_get(self, index: str, value: str) -> str | None:
        """Return the key ``value`` points at (buffered, remembered or read), or ``None``."""
        check_key(index, "index")
        check_key(value, "value")
        current = self._index.get((index, value), _UNKNOWN)
        if current is _UNKNOWN:
            current = self._index[index, value] = self.tx.index_get(index, value)
        return current  # type: ignore[no-any-return]

    def index_delete(self, index: str, value: str) -> None:
        """Flush, then remove ``value`` through the unit of work."""
        self.flush()
        self.tx.index_delete(index, value)
        self._index[index, value] = None

    # -- streams ---------------------------------------------------------------
    def append(self, stream: str, position: int, data: str) -> None:
        """Buffer an append; ConcurrencyError now if the known length says it is out of place."""
        check_key(stream, "stream")
        check_position(position)
        check_text(data, "data")
        check_writable(self.readonly)
        length = self._lengths.get(stream)
        if length is not None and position != length + 1:
            raise position_taken(stream, length, position)
        self._appends.append((stream, position, data))
        self._lengths[stream] = position

    def read(
        self, stream: str, *, after: int = 0, limit: int | None = None
    ) -> list[tuple[int, str]]:
        """Flush, then read through the unit of work."""
        self.flush()
        return self.tx.read(stream, after=after, limit=limit)

    def stream_length(self, stream: str) -> int:
        """Flush, then ask the unit of work."""
        self.flush()
        length = self.tx.stream_length(stream)
        self._lengths[stream] = length
        return length

    def streams(self, *, prefix: str = "", after: str | None = None, limit: int = 500) -> list[str]:
        """Flush, then list through the unit of work."""
        self.flush()
        return self.tx.streams(prefix=prefix, after=after, limit=limit)

    def rewrite(self, stream: str, position: int, data: str) -> None:
        """Flush, then rewrite through the unit of work."""
        self.flush()
        self.tx.rewrite(stream, position, data)
