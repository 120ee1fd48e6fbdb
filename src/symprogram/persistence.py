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
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

import attrs
import cattrs

from symprogram._deprecation import deprecated_alias
from symprogram._persistence_batches import (
    AppendItem,
    CheckedItems,
    IndexItem,
    SaveItem,
    WriteBuffer,
    append_many,
    batch_items,
    batch_keys,
    index_get_many,
    index_put_many,
    load_many,
    save_many,
    save_waves,
)
from symprogram._persistence_records import (
    MAX_KEY_LENGTH,
    Record,
    check_key,
    check_position,
    check_text,
    check_version,
)
from symprogram.errors import (
    ConcurrencyError,
    Conflict,
    IntegrityError,
    NotFound,
    ValidationError,
)
from symprogram.serialization import dumps, dumps_without, loads_without, make_converter

__all__ = [
    "MAX_KEY_LENGTH",
    "Aggregates",
    "AppendItem",
    "BatchTransaction",
    "CheckedItems",
    "IndexItem",
    "LockingTransaction",
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
    "decode_stored",
    "index_get_many",
    "index_put_many",
    "load_for_update",
    "load_many",
    "save_many",
    "save_waves",
]

T = TypeVar("T")


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

    :class:`~symprogram.storage.memory.MemoryStore` and
    :class:`~symprogram.storage.sqlite.SQLiteStore` (whose token also changes when
    another process commits to the file) offer it; SQL servers do not, so every
    answer reads the store.
    The method is optional: the :class:`Store` protocol does not require it.
    """
    probe = getattr(store, "change_token", None)
    return probe if callable(probe) else None


# -- batches: the optional methods (the helpers are in _persistence_batches) ----------


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


# -- locking reads: the optional method ----------------------------------------------


class LockingTransaction(Transaction, Protocol):
    """The optional locking read an adapter's :class:`Transaction` may add.

    ``load_for_update`` returns what :meth:`Transaction.load` returns and, in a
    writing unit of work, also locks the record's row until the unit of work ends:
    another unit of work asking for the same lock waits, then reads what the first
    one committed. Writes to one aggregate then queue instead of failing with
    :class:`~symprogram.errors.ConcurrencyError` one after the other (a hot
    subject). Adapters whose writers are serialised anyway (memory, SQLite) need
    not offer it; callers use :func:`load_for_update`, which falls back to
    :meth:`Transaction.load`.
    """

    def load_for_update(self, kind: str, key: str) -> Record | None:
        """:meth:`Transaction.load`, the row locked until the unit of work ends."""
        ...


def decode_stored(
    data: str,
    cls: type[T],
    *,
    kind: str,
    key: str,
    converter: cattrs.Converter,
    identity: Callable[[T], str] | None = None,
) -> T:
    """Decode the stored text of the ``kind`` record ``key`` into a ``cls``.

    A stored text leaves out the ``version`` the store keeps beside it, so the
    aggregate decoded holds its default version; the caller sets the record's.
    With ``identity`` (the function giving an aggregate's key), the aggregate must
    be the one stored under ``key`` (the ``record_corrupt`` error below).

    Raises:
        IntegrityError: the text is not a valid ``cls``, or holds the aggregate of
            another key (``record_corrupt``, details ``kind`` and ``key``).
    """
    try:
        obj = loads_without(data, cls, _NO_VERSION, converter=converter)
    except ValidationError as exc:
        raise IntegrityError.record_corrupt(kind, key, f"is unreadable: {exc.message}") from exc
    if identity is not None:
        _check_identity(obj, identity, kind=kind, key=key)
    return obj


def _check_identity(obj: T, identity: Callable[[T], str], *, kind: str, key: str) -> T:
    """Return ``obj``, the aggregate read from the ``kind`` record ``key``, if it is
    that key's: a row copied or moved to another key (another candidate, customer or
    subject) must not be taken for that key's own.

    Raises:
        IntegrityError: ``identity(obj)`` is not ``key`` (``record_corrupt``).
    """
    if identity(obj) != key:
        raise IntegrityError.record_corrupt(kind, key, f"holds the data of another {kind}")
    return obj


def load_for_update(tx: Transaction, kind: str, key: str) -> Record | None:
    """Load a record and lock it for the rest of the unit of work where the adapter can.

    Call it as the unit of work's first read of an aggregate it is about to
    change, so that every later read sees what the previous holder committed.

    Example:
        >>> from symprogram.storage.memory import MemoryStore
        >>> with MemoryStore().transaction() as tx:
        ...     load_for_update(tx, "note", "n1") is None
        True
    """
    method = getattr(tx, "load_for_update", None)
    if callable(method):
        record: Record | None = method(kind, key)
        return record
    return tx.load(kind, key)


_NO_VERSION = frozenset({"version"})
"""A record's text leaves out the version: the store keeps it beside the text."""
_DECODED_MAX = 2048
"""Decoded aggregates kept by :class:`Repository` (process-wide, first in first out)."""
_DECODED_MAX_TEXT = 8_192
"""Records longer than this (characters) are decoded every time, never kept, so the
cache holds at most about ``2048 * 8192`` characters of keys whatever the data."""
_decoded: dict[tuple[Any, Any, str], Any] = {}
_decoded_lock = threading.Lock()
# The stored texts of the templates Repository.find_evenly decodes for a missing record.
_templates: dict[tuple[Any, Any, Any], str] = {}
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


@runtime_checkable
class Aggregates(Protocol[T]):
    """The aggregate-by-key operations of a repository, as :class:`Repository` offers them.

    A context's ports name a repository of one aggregate kind with it, and add only
    what that repository does besides (``class CaseRepository(Aggregates[SupportCase],
    Protocol)``).
    """

    def find(self, key: str) -> T | None:
        """Return the aggregate with ``key``, or ``None``."""
        ...

    def get(self, key: str) -> T:
        """Return the aggregate with ``key``; NotFound (``<kind>_not_found``) if there is none."""
        ...

    def add(self, obj: T) -> T:
        """Store a new aggregate; Conflict (``<kind>_exists``) if the key is taken."""
        ...

    def save(self, obj: T) -> T:
        """Store a changed aggregate based on its version; ConcurrencyError if stale."""
        ...


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
            obj = decode_stored(
                data, self.cls, kind=self.kind, key=record.key, converter=self._conv
            )
            if len(data) <= _DECODED_MAX_TEXT:
                with _decoded_lock:
                    while len(_decoded) >= _DECODED_MAX:
                        del _decoded[next(iter(_decoded))]
                    _decoded[cache_key] = obj
        _check_identity(obj, self._key, kind=self.kind, key=record.key)
        return _with_version(obj, record.version)

    def decode(self, record: Record) -> T:
        """The aggregate a ``record`` of this kind holds (one from :meth:`Transaction.scan`,
        say), without reading it again.

        Raises:
            IntegrityError: the record does not decode (``record_corrupt``).
        """
        return self._decode(record)

    def _encode(self, obj: T) -> str:
        return dumps_without(obj, _NO_VERSION, converter=self._conv)

    def find(self, key: str) -> T | None:
        """Return the aggregate with ``key``, or ``None``."""
        record = self.tx.load(self.kind, key)
        return None if record is None else self._decode(record)

    def find_for_update(self, key: str) -> T | None:
        """:meth:`find`, the record locked until the unit of work ends (where the
        adapter can, see :func:`load_for_update`): concurrent writers of the same
        aggregate queue instead of failing with a stale version."""
        record = load_for_update(self.tx, self.kind, key)
        return None if record is None else self._decode(record)

    def find_evenly(self, key: str, template: T, *, for_update: bool = False) -> T | None:
        """:meth:`find` (or :meth:`find_for_update`) at the same cost whether or not the
        record exists: one point read and one decoding, never from the decoded cache.
        Where there is no record, the stored text of ``template`` (an aggregate of this
        repository's class, shaped like a typical one) is decoded instead, and the
        answer is ``None``. For the reads whose cost must not tell whether somebody has
        a record (the account flows, issue 18).

        Raises:
            IntegrityError: the stored text is not a valid aggregate (``record_corrupt``).
        """
        record = (
            load_for_update(self.tx, self.kind, key) if for_update else self.tx.load(self.kind, key)
        )
        text = self._template_text(template) if record is None else record.data
        obj = decode_stored(text, self.cls, kind=self.kind, key=key, converter=self._conv)
        its_own = self._key(obj) == key  # asked of the template too: the same work either way
        if record is None:
            _with_version(obj, 1)  # as a stored record's version is set: the same work
            return None
        if not its_own:
            _check_identity(obj, self._key, kind=self.kind, key=key)
        return _with_version(obj, record.version)

    def _template_text(self, template: T) -> str:
        cache_key = (self.cls, self._conv, template)
        text = _templates.get(cache_key)
        if text is None:
            text = _templates.setdefault(cache_key, self._encode(template))
        return text

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

    def iter_all(self, *, prefix: str = "", batch: int = 500) -> Iterator[T]:
        """Yield every aggregate whose key starts with ``prefix``, in key order, in batches."""
        after: str | None = None
        while True:
            records = self.tx.scan(self.kind, prefix=prefix, after=after, limit=batch)
            for record in records:
                yield self._decode(record)
            if len(records) < batch:
                return
            after = records[-1].key

    iterate = deprecated_alias("iter_all", old="iterate", since="0.2")


_CONVERTER = make_converter()


def encode(obj: Any) -> str:
    """Serialize any model with the shared converter (canonical JSON)."""
    return dumps(obj, converter=_CONVERTER)
