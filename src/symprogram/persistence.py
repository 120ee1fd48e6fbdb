"""The storage port: what every adapter implements, and typed repositories over it.

symprogram stores three shapes of data, whatever the backend:

* **records** — versioned aggregates, one JSON document per ``(kind, key)``, with
  optimistic concurrency: a save names the version it was based on, and a stale
  one raises :class:`~symprogram.errors.ConcurrencyError` instead of overwriting;
* **unique index entries** — ``(index, value) -> key``, e.g. a normalized email
  pointing at a candidate; a second owner of the same value is refused;
* **streams** — append-only sequences of JSON entries (account history, consent
  ledger) with gap-free positions; appending at a taken position is refused.

An adapter provides a :class:`Store` whose :meth:`Store.transaction` yields a
:class:`Transaction`: a unit of work that commits everything on a clean exit and
nothing at all if the block raises. Contexts (accounts, awards, ...) never talk
to an adapter directly: they declare the repositories they need as protocols in
their ``ports.py`` and build them on :class:`Repository` and :class:`Stream`.

Limits enforced by every adapter (see :data:`MAX_KEY_LENGTH`): kinds, keys,
index names and values are at most 255 characters and may not contain NUL.

Bulk work uses the batch helpers :func:`save_many`, :func:`index_put_many`,
:func:`append_many`, :func:`load_many` and :func:`index_get_many`: an adapter
that offers the optional methods of :class:`BatchTransaction` writes a batch in a
few statements, any other one item by item, with the same result and the same
errors. :class:`WriteBuffer` gathers a unit of work's writes and sends them with
those helpers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

import attrs
import cattrs

from symprogram.errors import (
    ConcurrencyError,
    Conflict,
    IntegrityError,
    LimitExceeded,
    NotFound,
    StorageError,
    ValidationError,
)
from symprogram.serialization import dumps, dumps_without, loads, make_converter

__all__ = [
    "MAX_KEY_LENGTH",
    "AppendItem",
    "BatchTransaction",
    "IndexItem",
    "Record",
    "Repository",
    "SaveItem",
    "Store",
    "Transaction",
    "WriteBuffer",
    "append_many",
    "batch_items",
    "batch_keys",
    "change_tracker",
    "check_key",
    "check_position",
    "check_text",
    "check_version",
    "index_get_many",
    "index_put_many",
    "load_many",
    "save_many",
    "save_waves",
]

MAX_KEY_LENGTH = 255
"""Longest kind, key, index name, index value or stream name, in characters."""

T = TypeVar("T")


@attrs.frozen
class Record:
    """A stored aggregate: its kind, key, version (1 after the first save) and JSON data."""

    kind: str
    key: str
    version: int
    data: str


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_key(value: object, field: str) -> str:
    """Validate a storage key component and return it.

    Raises:
        ValidationError: not a non-empty string, or contains NUL.
        LimitExceeded: longer than :data:`MAX_KEY_LENGTH`.
    """
    if not isinstance(value, str) or not value:
        raise ValidationError(
            f"{field} must be a non-empty string", field=field, code="invalid_key"
        )
    if "\x00" in value:
        raise ValidationError(f"{field} may not contain NUL", field=field, code="invalid_key")
    if not value.isascii() and not _encodable(value):
        raise ValidationError(f"{field} contains a lone surrogate", field=field, code="invalid_key")
    if len(value) > MAX_KEY_LENGTH:
        raise LimitExceeded(
            f"{field} is longer than {MAX_KEY_LENGTH} characters",
            field=field,
            code="key_too_long",
            details={"limit": MAX_KEY_LENGTH, "length": len(value)},
        )
    return value


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


def check_position(value: object, field: str = "position") -> int:
    """Validate a stream position (>= 0 for ``after``, >= 1 for an entry)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(
            f"{field} must be a non-negative integer", field=field, code="invalid_position"
        )
    return value


@runtime_checkable
class Transaction(Protocol):
    """One unit of work against a store. Obtained from :meth:`Store.transaction`."""

    def load(self, kind: str, key: str) -> Record | None:
        """Return the record, or ``None`` if there is none."""
        ...

    def save(self, kind: str, key: str, data: str, expected_version: int) -> int:
        """Write a record based on ``expected_version`` (0: it must not exist yet).

        Returns the new version. Raises ConcurrencyError if the stored version differs.
        """
        ...

    def delete(self, kind: str, key: str, expected_version: int) -> None:
        """Delete a record at ``expected_version``.

        Raises ConcurrencyError if stale, NotFound if absent.
        """
        ...

    def scan(
        self, kind: str, *, prefix: str = "", after: str | None = None, limit: int = 500
    ) -> list[Record]:
        """Return up to ``limit`` records of ``kind`` whose key starts with ``prefix``
        and sorts (by code point) after ``after``, in key order."""
        ...

    def index_put(self, index: str, value: str, key: str) -> None:
        """Point ``value`` at ``key`` in a unique index; Conflict if another key holds it."""
        ...

    def index_get(self, index: str, value: str) -> str | None:
        """Return the key ``value`` points at, or ``None``."""
        ...

    def index_delete(self, index: str, value: str) -> None:
        """Remove ``value`` from the index (no error if absent)."""
        ...

    def append(self, stream: str, position: int, data: str) -> None:
        """Append an entry at ``position`` (1 + the current length).

        Raises ConcurrencyError if that position is taken or leaves a gap.
        """
        ...

    def read(
        self, stream: str, *, after: int = 0, limit: int | None = None
    ) -> list[tuple[int, str]]:
        """Return ``(position, data)`` entries after position ``after``, in order."""
        ...

    def stream_length(self, stream: str) -> int:
        """Return the number of entries in ``stream`` (its last position)."""
        ...

    def streams(self, *, prefix: str = "", after: str | None = None, limit: int = 500) -> list[str]:
        """Return stream names starting with ``prefix`` after ``after``, in order."""
        ...

    def rewrite(self, stream: str, position: int, data: str) -> None:
        """Replace an existing entry's data (erasure only: contexts re-verify afterwards)."""
        ...


@runtime_checkable
class Store(Protocol):
    """A storage backend: a factory of units of work."""

    def transaction(self, *, readonly: bool = False) -> AbstractContextManager[Transaction]:
        """Open a unit of work; committed on a clean exit, rolled back on an exception."""
        ...

    def close(self) -> None:
        """Release the backend's resources. Idempotent."""
        ...


def change_tracker(store: object) -> Callable[[], object | None] | None:
    """The store's cheap "has anything changed?" probe, or ``None`` if it has none.

    A store may offer ``change_token()``: a value that differs whenever a unit of
    work has committed a change since the last call returned it, and ``None``
    whenever the answer cannot be trusted (e.g. the calling thread has a unit of
    work open, whose own uncommitted writes must never be remembered). Services use
    it to answer a repeated question without opening a unit of work: an answer
    remembered with token ``t`` is reused only while ``change_token()`` still
    returns ``t`` (read *before* the data the answer was computed from).

    :class:`~symprogram.storage.memory.MemoryStore` offers it; stores shared with
    other processes (SQLite, SQL servers) do not, so every answer reads the store.
    The method is optional: the :class:`Store` protocol does not require it.
    """
    probe = getattr(store, "change_token", None)
    return probe if callable(probe) else None


# -- batches ---------------------------------------------------------------------------
#
# An adapter may offer batched variants of its writes and reads. They are optional:
# the helpers below use them when the transaction has them (found with getattr, like
# ``change_token``) and otherwise loop over the single-item methods, so an adapter
# written against the plain :class:`Transaction` protocol keeps working unchanged.

SaveItem = tuple[str, str, str, int]
"""One item of :func:`save_many`: ``(kind, key, data, expected_version)``."""
IndexItem = tuple[str, str, str]
"""One item of :func:`index_put_many`: ``(index, value, key)``."""
AppendItem = tuple[str, int, str]
"""One item of :func:`append_many`: ``(stream, position, data)``."""


class BatchTransaction(Transaction, Protocol):
    """The optional batch methods an adapter's :class:`Transaction` may add.

    Each behaves exactly like calling the single-item method on every item in
    order: the same results, the same store contents afterwards, and on a
    refused or invalid item the same error the single call would raise at that
    point (what the items before it wrote stays in the unit of work, which rolls
    it all back when the error leaves it). A batch whose shape is wrong (not an
    iterable of tuples of the right length) is refused with a
    :class:`~symprogram.errors.ValidationError` (``invalid_batch``) before
    anything is written. Adapters implement them to save round trips; callers
    use the module-level helpers :func:`save_many`, :func:`index_put_many`,
    :func:`append_many`, :func:`load_many` and :func:`index_get_many`, which
    fall back to the single-item methods.
    """

    def save_many(self, items: Sequence[SaveItem]) -> list[int]:
        """:meth:`Transaction.save` of each ``(kind, key, data, expected_version)``;
        returns the new versions."""
        ...

    def index_put_many(self, items: Sequence[IndexItem]) -> None:
        """:meth:`Transaction.index_put` of each ``(index, value, key)``."""
        ...

    def append_many(self, items: Sequence[AppendItem]) -> None:
        """:meth:`Transaction.append` of each ``(stream, position, data)``."""
        ...

    def load_many(self, kind: str, keys: Sequence[str]) -> dict[str, Record]:
        """:meth:`Transaction.load` of each key: the records found, by key."""
        ...

    def index_get_many(self, index: str, values: Sequence[str]) -> dict[str, str]:
        """:meth:`Transaction.index_get` of each value: the keys found, by value."""
        ...


def batch_items(items: object, arity: int) -> list[tuple[Any, ...]]:
    """Return ``items`` as a list of tuples of ``arity`` values.

    Raises:
        ValidationError: ``items`` is not an iterable of such tuples
            (code ``invalid_batch``, details ``item``: the first bad one).
    """
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
    batch = batch_items(items, 3)
    method = getattr(tx, "index_put_many", None)
    if callable(method):
        method(batch)
        return
    for index, value, key in batch:
        tx.index_put(index, value, key)


def append_many(tx: Transaction, items: Iterable[AppendItem]) -> None:
    """Append every ``(stream, position, data)`` in order (see :func:`save_many`)."""
    batch = batch_items(items, 3)
    method = getattr(tx, "append_many", None)
    if callable(method):
        method(batch)
        return
    for stream, position, data in batch:
        tx.append(stream, position, data)


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

    def _writable(self) -> None:
        if self.readonly:
            raise StorageError("this unit of work is read-only", code="read_only_transaction")

    def flush(self) -> None:
        """Send the buffered writes to the unit of work (records, then index, then streams).

        Raises:
            ConcurrencyError, Conflict, StorageError: as the single writes would;
                the unit of work must then be abandoned (it is rolled back).
        """
        saves, puts, appends = self._saves, self._puts, self._appends
        self._saves, self._puts, self._appends = [], [], []
        if saves:
            save_many(self.tx, saves)
        if puts:
            index_put_many(self.tx, puts)
        if appends:
            append_many(self.tx, appends)

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
        self._writable()
        state = self._records.get((kind, key), _UNKNOWN)
        if state is not _UNKNOWN:
            current = 0 if state is None else state[0]
            if current != expected_version:
                raise ConcurrencyError(
                    f"{kind} {key!r} is at version {current}, not {expected_version}",
                    details={"kind": kind, "key": key, "current": current},
                )
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
        self._writable()
        current = self._index.get((index, value), _UNKNOWN)
        if current == key:
            return
        if current is not _UNKNOWN and current is not None:
            raise Conflict(
                f"{index} {value!r} is already taken", code="duplicate", details={"index": index}
            )
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
        self._writable()
        length = self._lengths.get(stream)
        if length is not None and position != length + 1:
            raise ConcurrencyError(
                f"stream {stream!r} has {length} entries; cannot append at {position}",
                code="stream_position_taken",
                details={"stream": stream, "length": length},
            )
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


_NO_VERSION = frozenset({"version"})
"""A record's text leaves out the version: the store keeps it beside the text."""
_DECODED_MAX = 2048
"""Decoded aggregates kept by :class:`Repository` (process-wide, first in first out)."""
_DECODED_MAX_TEXT = 8_192
"""Records longer than this (characters) are decoded every time, never kept, so the
cache holds at most about ``2048 * 8192`` characters of keys whatever the data."""
_decoded: dict[tuple[Any, Any, str], Any] = {}
_decoded_lock = threading.Lock()
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _with_version(obj: T, version: int) -> T:
    """``obj`` with ``version`` set, without re-running the validators of its class.

    ``attrs.evolve`` would build the aggregate again through ``__init__`` and
    validate every field once more; only the (store-given) version changes here.
    """
    if obj.version == version:  # type: ignore[attr-defined]
        return obj
    cls = type(obj)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(
            a.name
            for a in attrs.fields(cls)  # type: ignore[arg-type]
            if a.name != "version"
        )
    new = object.__new__(cls)
    setter = object.__setattr__
    for name in names:
        setter(new, name, getattr(obj, name))
    setter(new, "version", version)
    return new


def clear_decoded_cache() -> None:
    """Forget every decoded aggregate kept by :class:`Repository` (tests, memory)."""
    with _decoded_lock:
        _decoded.clear()


class Repository(Generic[T]):
    """Typed access to one kind of versioned aggregate inside a transaction.

    Decoding is cached process-wide by ``(class, converter, stored text)``: the
    same stored document always decodes to the same (immutable) aggregate, so a
    record read again is not parsed and validated again. At most
    ``2048`` aggregates are kept (first in, first out); the store is still read
    every time, so a change made anywhere is always seen.

    The aggregate type must be an attrs class with an ``int`` field named
    ``version`` (0 for an aggregate never saved). :meth:`add` and :meth:`save`
    return the aggregate carrying its new version.

    Args:
        tx: the unit of work.
        kind: the record kind, e.g. ``"candidate"``.
        cls: the aggregate class.
        key: function returning an aggregate's key.
        converter: the cattrs converter (default: :func:`make_converter`).
    """

    def __init__(
        self,
        tx: Transaction,
        kind: str,
        cls: type[T],
        key: Callable[[T], str],
        converter: cattrs.Converter | None = None,
    ) -> None:
        self.tx = tx
        self.kind = kind
        self.cls = cls
        self._key = key
        self._conv = converter or _CONVERTER

    def _decode(self, record: Record) -> T:
        data = record.data
        cache_key = (self.cls, self._conv, data)
        obj: T | None = _decoded.get(cache_key)
        if obj is None:
            try:
                obj = loads(data, self.cls, converter=self._conv)
            except ValidationError as exc:
                raise IntegrityError(
                    f"stored {self.kind} {record.key!r} is unreadable: {exc.message}",
                    code="record_corrupt",
                    details={"kind": self.kind, "key": record.key},
                ) from exc
            if len(data) <= _DECODED_MAX_TEXT:
                with _decoded_lock:
                    while len(_decoded) >= _DECODED_MAX:
                        del _decoded[next(iter(_decoded))]
                    _decoded[cache_key] = obj
        return _with_version(obj, record.version)

    def _encode(self, obj: T) -> str:
        return dumps_without(obj, _NO_VERSION, converter=self._conv)

    def find(self, key: str) -> T | None:
        """Return the aggregate with ``key``, or ``None``."""
        record = self.tx.load(self.kind, key)
        return None if record is None else self._decode(record)

    def get(self, key: str) -> T:
        """Return the aggregate with ``key``.

        Raises:
            NotFound: there is none (code ``<kind>_not_found``).
        """
        found = self.find(key)
        if found is None:
            raise NotFound(
                f"no {self.kind.replace('_', ' ')} {key!r}",
                code=f"{self.kind}_not_found",
                details={"key": key},
            )
        return found

    def add(self, obj: T) -> T:
        """Store a new aggregate; Conflict (code ``<kind>_exists``) if the key is taken."""
        key = self._key(obj)
        try:
            version = self.tx.save(self.kind, key, self._encode(obj), 0)
        except ConcurrencyError as exc:
            raise Conflict(
                f"{self.kind.replace('_', ' ')} {key!r} already exists",
                code=f"{self.kind}_exists",
                details={"key": key},
            ) from exc
        return _with_version(obj, version)

    def save(self, obj: T) -> T:
        """Store a changed aggregate based on its ``version``; ConcurrencyError if stale."""
        version = self.tx.save(
            self.kind,
            self._key(obj),
            self._encode(obj),
            obj.version,  # type: ignore[attr-defined]
        )
        return _with_version(obj, version)

    def remove(self, obj: T) -> None:
        """Delete the aggregate at its ``version``."""
        self.tx.delete(self.kind, self._key(obj), obj.version)  # type: ignore[attr-defined]

    def iterate(self, *, prefix: str = "", batch: int = 500) -> Iterator[T]:
        """Yield every aggregate whose key starts with ``prefix``, in key order, in batches."""
        after: str | None = None
        while True:
            records = self.tx.scan(self.kind, prefix=prefix, after=after, limit=batch)
            for record in records:
                yield self._decode(record)
            if len(records) < batch:
                return
            after = records[-1].key


_CONVERTER = make_converter()


def encode(obj: Any) -> str:
    """Serialize any model with the shared converter (canonical JSON)."""
    return dumps(obj, converter=_CONVERTER)
