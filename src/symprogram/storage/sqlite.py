"""The SQLite adapter (stdlib ``sqlite3``): the embedded default.

* WAL journal, a busy timeout, ``secure_delete`` (erased data is overwritten, not
  left in free pages) and ``synchronous=NORMAL``; a 32 MB page cache and a WAL
  checkpoint every 10,000 pages (about 40 MB) instead of SQLite's 2 MB and 1,000
  pages, both adjustable (measured: bulk registration of 50k candidates about 12 %
  faster, of 300k about 2 %);
* write units of work start with ``BEGIN IMMEDIATE`` so concurrent writers, in
  threads or in other processes, queue instead of losing updates;
* the schema is versioned with ``PRAGMA user_version`` and migrated forward on
  open; a file written by a newer symprogram is refused, and so is a file that is
  not a symprogram database. Both are recognised read-only (``PRAGMA query_only``)
  before anything is written: another application's database is left exactly as
  it was, journal mode included;
* a database file it creates is readable and writable by its owner only (0600,
  whatever the umask), and so are the ``-wal`` and ``-shm`` files SQLite creates
  beside it (SQLite gives them the database file's permissions). The permissions
  of an existing file are never changed;
* batches (``save_many`` etc.): one ``executemany`` per table in a savepoint, rows in key order;
* every ``sqlite3`` error is translated into a :class:`~symprogram.errors.StorageError`
  (``database_busy``, ``database_corrupt``, ...), and the unit of work is rolled back;
* :meth:`SQLiteStore.change_token` tells the services' memos (``symprogram._memo``)
  that the file changed, whichever connection or process committed: it is the
  WAL-index header SQLite keeps in the ``-shm`` file (about 0.1 µs to read; ``PRAGMA
  data_version`` costs about 4.6 µs per call), see ``symprogram.storage._wal_header``.

Example:
    >>> store = SQLiteStore(":memory:")
    >>> with store.transaction() as tx:
    ...     tx.save("note", "n1", '{"text": "hello"}', 0)
    1
    >>> store.close()
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from symprogram._closing import Closing
from symprogram.errors import (
    IntegrityError,
    StorageError,
    ValidationError,
)
from symprogram.persistence import AppendItem, IndexItem, Record, SaveItem, Store, Transaction
from symprogram.storage._base import (
    CommitHooks,
    Unit,
    Units,
    as_int,
    as_text,
    check_entry,
    check_file_path,
    check_index,
    check_key,
    check_pair,
    check_read,
    check_save,
    check_timeout,
    check_version,
    check_writable,
    checked_items,
    create_private_file,
    enable_wal,
    entry_not_found,
    listing_start,
    net_saves,
    pair_of,
    position_taken,
    read_chunks,
    record_not_found,
    stale_version,
    value_taken,
    write_batch,
)
from symprogram.storage._views import create_statements, drop_statements, view_names
from symprogram.storage._wal_header import (
    HEADER_BYTES,
    HeaderMapping,
    map_header,
    release_header,
)

__all__ = [
    "APPLICATION_ID",
    "DEFAULT_CACHE_MB",
    "DEFAULT_CHECKPOINT_PAGES",
    "SCHEMA_VERSION",
    "SQLiteStore",
    "SQLiteTransaction",
    "open_url",
]

APPLICATION_ID = 0x53594D50  # "SYMP"
"""Written to ``PRAGMA application_id`` so foreign files are recognised."""

_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE IF NOT EXISTS sp_records (
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            version INTEGER NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (kind, key)
        ) WITHOUT ROWID""",
        """CREATE TABLE IF NOT EXISTS sp_index (
            name TEXT NOT NULL,
            value TEXT NOT NULL,
            key TEXT NOT NULL,
            PRIMARY KEY (name, value)
        ) WITHOUT ROWID""",
        """CREATE TABLE IF NOT EXISTS sp_streams (
            stream TEXT NOT NULL,
            position INTEGER NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (stream, position)
        ) WITHOUT ROWID""",
    ),
    # 2: records and stream entries in rowid tables with a unique (kind, key) and
    # (stream, position) index. Their rows are large (JSON documents) and their keys
    # random (IDs, digests): in a WITHOUT ROWID table every insert moves whole rows
    # inside the key-ordered B-tree, here only the small index entry; bulk writes
    # cost about half the CPU. Lookups, ordering and uniqueness are unchanged.
    (
        """CREATE TABLE sp_records_v2 (
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            version INTEGER NOT NULL,
            data TEXT NOT NULL,
            UNIQUE (kind, key)
        )""",
        "INSERT INTO sp_records_v2 (kind, key, version, data) "
        "SELECT kind, key, version, data FROM sp_records ORDER BY kind, key",
        "DROP TABLE sp_records",
        "ALTER TABLE sp_records_v2 RENAME TO sp_records",
        """CREATE TABLE sp_streams_v2 (
            stream TEXT NOT NULL,
            position INTEGER NOT NULL,
            data TEXT NOT NULL,
            UNIQUE (stream, position)
        )""",
        "INSERT INTO sp_streams_v2 (stream, position, data) "
        "SELECT stream, position, data FROM sp_streams ORDER BY stream, position",
        "DROP TABLE sp_streams",
        "ALTER TABLE sp_streams_v2 RENAME TO sp_streams",
    ),
    # 3: the read-only reporting views (symprogram.storage._views). They are dropped
    # and recreated after every migration forward, so a newer release's views
    # replace the older ones: the step itself has nothing more to do.
    (),
)

SCHEMA_VERSION = len(_MIGRATIONS)
"""The schema version this release writes; older files are migrated forward on open."""

_PREFIX = "sp_"
_VIEWS = create_statements("sqlite", _PREFIX)


def _stream_of(item: tuple[Any, ...]) -> Any:
    return item[0]


_INSERT_RECORD = "INSERT OR IGNORE INTO sp_records (kind, key, version, data) VALUES (?, ?, ?, ?)"
_UPDATE_RECORD = (
    "UPDATE sp_records SET version = ?, data = ? WHERE kind = ? AND key = ? AND version = ?"
)
_LOAD_IN = "SELECT key, version, data FROM sp_records WHERE kind = ? AND key IN ({marks})"
_INDEX_IN = "SELECT value, key FROM sp_index WHERE name = ? AND value IN ({marks})"
_INSERT_INDEX = "INSERT OR IGNORE INTO sp_index (name, value, key) VALUES (?, ?, ?)"
_APPEND = (
    "INSERT INTO sp_streams (stream, position, data) SELECT ?, ?, ? "
    "WHERE (SELECT COALESCE(MAX(position), 0) FROM sp_streams WHERE stream = ?) = ?"
)


def _translate(exc: sqlite3.Error) -> StorageError:
    text = str(exc)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return StorageError(
            f"the database is busy: {text}", code="database_busy", details={"retryable": True}
        )
    if isinstance(exc, sqlite3.DatabaseError) and (
        "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered
    ):
        return IntegrityError(f"the database file is damaged: {text}", code="database_corrupt")
    if "readonly" in lowered or "read-only" in lowered:
        return StorageError(f"the database is read-only: {text}", code="database_read_only")
    if "unable to open" in lowered:
        return StorageError(f"cannot open the database: {text}", code="database_unavailable")
    return StorageError(f"SQLite failed: {text}", code="storage_error")


class SQLiteTransaction(Transaction):
    """A unit of work on a :class:`SQLiteStore` (a :class:`~symprogram.persistence.Transaction`)."""

    def __init__(self, conn: sqlite3.Connection, readonly: bool) -> None:
        self._conn = conn
        self.readonly = readonly

    def _run(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise _translate(exc) from exc

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        cursor = self._run(sql, params)
        try:
            return cursor.fetchall()
        except sqlite3.Error as exc:
            raise _translate(exc) from exc

    # -- records -------------------------------------------------------------
    def load(self, kind: str, key: str) -> Record | None:
        check_pair(kind, key)
        rows = self._rows(
            "SELECT version, data FROM sp_records WHERE kind = ? AND key = ?", (kind, key)
        )
        if not rows:
            return None
        version, data = rows[0]
        return Record(kind, key, as_int(version, "a version"), as_text(data, "a record"))

    def _version(self, kind: str, key: str) -> int | None:
        rows = self._rows("SELECT version FROM sp_records WHERE kind = ? AND key = ?", (kind, key))
        return None if not rows else as_int(rows[0][0], "a version")

    def save(self, kind: str, key: str, data: str, expected_version: int) -> int:
        check_save(kind, key, data, expected_version)
        check_writable(self.readonly)
        # One statement in the common case; the version check is in its WHERE
        # clause (or the primary key), and only a refused write reads the version.
        if expected_version == 0:
            cursor = self._run(_INSERT_RECORD, (kind, key, 1, data))
        else:
            cursor = self._run(
                _UPDATE_RECORD, (expected_version + 1, data, kind, key, expected_version)
            )
        if cursor.rowcount == 1:
            return expected_version + 1
        current_version = self._version(kind, key) or 0
        raise stale_version(kind, key, current_version, expected_version)

    def delete(self, kind: str, key: str, expected_version: int) -> None:
        check_pair(kind, key)
        check_version(expected_version)
        check_writable(self.readonly)
        current = self._version(kind, key)
        if current is None:
            raise record_not_found(kind, key)
        if current != expected_version:
            raise stale_version(kind, key, current, expected_version)
        self._run("DELETE FROM sp_records WHERE kind = ? AND key = ?", (kind, key))

    def scan(
        self, kind: str, *, prefix: str = "", after: str | None = None, limit: int = 500
    ) -> list[Record]:
        check_key(kind, "kind")
        bound, inclusive, prefix = listing_start(prefix, after, limit)
        op = ">=" if inclusive else ">"
        rows = self._rows(
            f"SELECT key, version, data FROM sp_records WHERE kind = ? AND key {op} ? "  # noqa: S608
            "AND substr(key, 1, ?) = ? ORDER BY key LIMIT ?",
            (kind, bound, len(prefix), prefix, limit),
        )
        return [
            Record(kind, as_text(k, "a key"), as_int(v, "a version"), as_text(d, "a record"))
            for k, v, d in rows
        ]

    # -- unique index ----------------------------------------------------------
    def index_put(self, index: str, value: str, key: str) -> None:
        check_index(index, value, key)
        check_writable(self.readonly)
        cursor = self._run(_INSERT_INDEX, (index, value, key))
        if cursor.rowcount == 1:
            return
        if self.index_get(index, value) != key:
            raise value_taken(index, value)

    def index_get(self, index: str, value: str) -> str | None:
        check_key(index, "index")
        check_key(value, "value")
        rows = self._rows("SELECT key FROM sp_index WHERE name = ? AND value = ?", (index, value))
        return None if not rows else as_text(rows[0][0], "an index key")

    def index_delete(self, index: str, value: str) -> None:
        check_key(index, "index")
        check_key(value, "value")
        check_writable(self.readonly)
        self._run("DELETE FROM sp_index WHERE name = ? AND value = ?", (index, value))

    # -- streams ---------------------------------------------------------------
    def stream_length(self, stream: str) -> int:
        check_key(stream, "stream")
        rows = self._rows("SELECT MAX(position) FROM sp_streams WHERE stream = ?", (stream,))
        value = rows[0][0] if rows else None
        return 0 if value is None else as_int(value, "a position")

    def append(self, stream: str, position: int, data: str) -> None:
        check_entry(stream, position, data)
        check_writable(self.readonly)
        cursor = self._run(_APPEND, (stream, position, data, stream, position - 1))
        if cursor.rowcount == 1:
            return
        raise position_taken(stream, self.stream_length(stream), position)

    def read(
        self, stream: str, *, after: int = 0, limit: int | None = None
    ) -> list[tuple[int, str]]:
        check_read(stream, after, limit)
        rows = self._rows(
            "SELECT position, data FROM sp_streams WHERE stream = ? AND position > ? "
            "ORDER BY position LIMIT ?",
            (stream, after, -1 if limit is None else limit),
        )
        return [(as_int(p, "a position"), as_text(d, "an entry")) for p, d in rows]

    def streams(self, *, prefix: str = "", after: str | None = None, limit: int = 500) -> list[str]:
        bound, inclusive, prefix = listing_start(prefix, after, limit)
        op = ">=" if inclusive else ">"
        rows = self._rows(
            f"SELECT DISTINCT stream FROM sp_streams WHERE stream {op} ? "  # noqa: S608
            "AND substr(stream, 1, ?) = ? ORDER BY stream LIMIT ?",
            (bound, len(prefix), prefix, limit),
        )
        return [as_text(r[0], "a stream name") for r in rows]

    def rewrite(self, stream: str, position: int, data: str) -> None:
        check_entry(stream, position, data)
        check_writable(self.readonly)
        cursor = self._run(
            "UPDATE sp_streams SET data = ? WHERE stream = ? AND position = ?",
            (data, stream, position),
        )
        if cursor.rowcount != 1:
            raise entry_not_found(stream, position)

    # -- batches (see symprogram.persistence.BatchTransaction) --------------------
    def _batch(self, steps: list[tuple[str, list[tuple[Any, ...]]]]) -> bool:
        """Run each ``(sql, rows)`` step with executemany inside one savepoint.

        True if every row of every step changed one row; otherwise everything the
        steps did is rolled back (to the savepoint) and False returned, so that
        the caller can replay the items one by one for the exact error.
        """
        self._run("SAVEPOINT sp_batch")
        try:
            ok = True
            for sql, rows in steps:
                if not rows:
                    continue
                try:
                    cursor = self._conn.executemany(sql, rows)
                except sqlite3.Error as exc:
                    raise _translate(exc) from exc
                if cursor.rowcount != len(rows):
                    ok = False
                    break
            if not ok:
                self._run("ROLLBACK TO sp_batch")
            self._run("RELEASE sp_batch")
            return ok
        except BaseException:
            if self._conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK TO sp_batch")
                    self._conn.execute("RELEASE sp_batch")
            raise

    def save_many(self, items: Sequence[SaveItem]) -> list[int]:
        """:meth:`save` of every ``(kind, key, data, expected_version)``, in batches."""
        batch = checked_items(items, 4, check_save, self.save_many)

        def attempt() -> bool:
            check_writable(self.readonly)
            net = net_saves(batch)
            if net is None:
                return False
            # In key order: B-tree pages are then filled one after the other.
            net.sort(key=pair_of)
            inserts = [(k, key, final, d) for k, key, d, v, final in net if v == 0]
            updates = [(final, d, k, key, v) for k, key, d, v, final in net if v]
            return self._batch([(_INSERT_RECORD, inserts), (_UPDATE_RECORD, updates)])

        # Small, or refused: one by one, raising the error of the first refused item.
        versions = write_batch(batch, attempt, self.save)
        return [item[3] + 1 for item in batch] if versions is None else versions

    def index_put_many(self, items: Sequence[IndexItem]) -> None:
        """:meth:`index_put` of every ``(index, value, key)``, in one batch."""
        batch = checked_items(items, 3, check_index, self.index_put_many)

        def attempt() -> bool:
            check_writable(self.readonly)
            return self._batch([(_INSERT_INDEX, sorted(batch, key=pair_of))])

        # Small, or an entry already there (the same key is fine, another is refused).
        write_batch(batch, attempt, self.index_put)

    def append_many(self, items: Sequence[AppendItem]) -> None:
        """:meth:`append` of every ``(stream, position, data)``, in one batch."""
        batch = checked_items(items, 3, check_entry, self.append_many)

        def attempt() -> bool:
            check_writable(self.readonly)
            ordered = sorted(batch, key=_stream_of)  # stable: each stream's entries in order
            return self._batch([(_APPEND, [(s, p, d, s, p - 1) for s, p, d in ordered])])

        # Small, or refused: one by one, raising the error of the first refused entry.
        write_batch(batch, attempt, self.append)

    def load_many(self, kind: str, keys: Sequence[str]) -> dict[str, Record]:
        """:meth:`load` of every key: the records found, by key."""
        check_key(kind, "kind")
        found: dict[str, Record] = {}
        chunks = read_chunks(keys, "keys", "key", check_key)
        for key, version, data in self._rows_in(_LOAD_IN, kind, chunks):
            text = as_text(key, "a key")
            found[text] = Record(
                kind, text, as_int(version, "a version"), as_text(data, "a record")
            )
        return found

    def index_get_many(self, index: str, values: Sequence[str]) -> dict[str, str]:
        """:meth:`index_get` of every value: the keys found, by value."""
        check_key(index, "index")
        chunks = read_chunks(values, "values", "value", check_key)
        return {
            as_text(value, "an index value"): as_text(key, "an index key")
            for value, key in self._rows_in(_INDEX_IN, index, chunks)
        }

    def _rows_in(self, sql: str, name: str, chunks: list[list[str]]) -> Iterator[Any]:
        """The rows of ``sql`` (its ``IN ({marks})`` list one chunk) for every chunk."""
        for chunk in chunks:
            marks = ", ".join("?" * len(chunk))
            yield from self._rows(sql.format(marks=marks), (name, *chunk))


DEFAULT_CACHE_MB = 32
"""The page cache of a :class:`SQLiteStore` connection unless another is given (MB)."""
DEFAULT_CHECKPOINT_PAGES = 10_000
"""WAL pages that trigger a checkpoint unless another number is given."""


def _positive(value: object, field: str, code: str, limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= limit:
        raise ValidationError(
            f"{field} must be an integer from 1 to {limit}", field=field, code=code
        )
    return value


class SQLiteStore(Closing, CommitHooks):
    """A :class:`symprogram.persistence.Store` in one SQLite file.

    Args:
        path: the database file (created if missing, with permissions 0600; an
            existing file keeps its permissions), or ``":memory:"``.
        timeout: seconds to wait for another writer before ``database_busy``.
        cache_mb: the connection's page cache in megabytes (``PRAGMA cache_size``;
            memory is taken only as pages are read). SQLite's own default is 2 MB;
            with 32 MB a bulk import's indexes stay in memory longer.
        checkpoint_pages: the WAL is copied back into the database file once it
            holds this many pages (``PRAGMA wal_autocheckpoint``; 4 KB pages). SQLite's
            own default is 1,000; fewer, larger checkpoints make bulk writes cheaper,
            and the WAL file keeps the largest size it reached (about 40 MB by default).

    Raises:
        ValidationError: a bad ``cache_mb`` (``invalid_cache_size``) or
            ``checkpoint_pages`` (``invalid_checkpoint_pages``): positive integers;
            a ``path`` that is no text path (``invalid_path``); a ``timeout``
            that is not 0 to 86,400 seconds (``invalid_timeout``).
        StorageError: the file cannot be opened, is not a symprogram database
            (``not_a_symprogram_database``) or was written by a newer release
            (``schema_too_new``).
        IntegrityError: the file is damaged (``database_corrupt``).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = 30.0,
        cache_mb: int = DEFAULT_CACHE_MB,
        checkpoint_pages: int = DEFAULT_CHECKPOINT_PAGES,
    ) -> None:
        self.path = check_file_path(path)
        self._cache_mb = _positive(cache_mb, "cache_mb", "invalid_cache_size", 1 << 20)
        self._checkpoint_pages = _positive(
            checkpoint_pages, "checkpoint_pages", "invalid_checkpoint_pages", 1 << 30
        )
        self._timeout = check_timeout(timeout)
        self._lock = threading.RLock()
        self._units: Units[SQLiteTransaction] = Units(self._begin, self._end, lock=self._lock)
        self._open = self._units.open
        self._closed = False
        self._generation = 0
        self._header: HeaderMapping | None = None
        create_private_file(self.path)
        try:
            self._conn = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise _translate(exc) from exc
        try:
            self._exec(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
            self._recognise()
            self._configure()
            self._migrate()
        except BaseException:
            self._conn.close()
            raise
        # After the first statements: the connection has opened the -shm file.
        mode = self._exec("PRAGMA journal_mode")[0][0]
        self._header = map_header(self.path, str(mode))

    def _exec(self, sql: str) -> list[Any]:
        try:
            return self._conn.execute(sql).fetchall()
        except sqlite3.Error as exc:
            raise _translate(exc) from exc

    def _exec_all(self, statements: Sequence[str]) -> None:
        for statement in statements:
            self._exec(statement)

    def _recognise(self) -> None:
        """Refuse a foreign or newer file before any statement that could change it.

        The connection is ``query_only`` meanwhile: nothing here can write.
        """
        self._exec("PRAGMA query_only = ON")
        try:
            # One read transaction: the three reads see one snapshot, never a new
            # file half before and half after another opener's first migration.
            self._exec("BEGIN")
            try:
                self._schema_version()
            finally:
                self._rollback_quietly()
        finally:
            self._exec("PRAGMA query_only = OFF")

    def _schema_version(self) -> tuple[int, int]:
        """``(application_id, user_version)`` of a file that is ours (or empty).

        Raises:
            StorageError: ``not_a_symprogram_database``, ``schema_too_new``.
        """
        app_id = as_int(self._exec("PRAGMA application_id")[0][0], "application_id")
        version = as_int(self._exec("PRAGMA user_version")[0][0], "user_version")
        tables = self._exec("SELECT count(*) FROM sqlite_master")[0][0]
        if app_id not in (0, APPLICATION_ID) or (app_id == 0 and tables and version == 0):
            raise StorageError(
                f"{self.path} is not a symprogram database",
                code="not_a_symprogram_database",
            )
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"{self.path} has schema version {version}; this release knows up to "
                f"{SCHEMA_VERSION}: upgrade symprogram",
                code="schema_too_new",
                details={"found": version, "supported": SCHEMA_VERSION},
            )
        return app_id, version

    def _configure(self) -> None:
        if self.path != ":memory:":
            enable_wal(self._exec, timeout=self._timeout)
        self._exec("PRAGMA synchronous = NORMAL")
        self._exec(f"PRAGMA cache_size = -{self._cache_mb * 1024}")
        self._exec(f"PRAGMA wal_autocheckpoint = {self._checkpoint_pages}")
        self._exec("PRAGMA secure_delete = ON")
        self._exec("PRAGMA foreign_keys = ON")

    def _migrate(self) -> None:
        self._exec("BEGIN IMMEDIATE")
        try:
            # Again inside the write lock: another process may have written meanwhile.
            app_id, version = self._schema_version()
            if version < SCHEMA_VERSION:
                # Views first out, last in: a step may then drop or rename tables.
                self._exec_all(drop_statements("sqlite", _PREFIX))
                for number in range(version, SCHEMA_VERSION):
                    self._exec_all(_MIGRATIONS[number])
                self._exec_all(_VIEWS)
                self._exec(f"PRAGMA user_version = {SCHEMA_VERSION}")
            if app_id == 0:
                self._exec(f"PRAGMA application_id = {APPLICATION_ID}")
            self._exec("COMMIT")
        except BaseException:
            self._rollback_quietly()
            raise

    def _begin(self, readonly: bool) -> SQLiteTransaction:
        if self._closed:
            raise StorageError("the store is closed", code="store_closed")
        self._exec("BEGIN" if readonly else "BEGIN IMMEDIATE")
        return SQLiteTransaction(self._conn, readonly)

    def _end(self, tx: SQLiteTransaction, error: BaseException | None) -> None:
        if error is not None:
            self._rollback_quietly()
            return
        try:
            self._exec("COMMIT")
        except BaseException:
            self._rollback_quietly()
            raise
        finally:
            if not tx.readonly:
                self._generation += 1

    def _rollback_quietly(self) -> None:
        try:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    @property
    def view_names(self) -> tuple[str, ...]:
        """The read-only reporting views in the file (``sp_v_candidates``, ...).

        See ``docs/howto-reporting-views.md`` for their columns and example queries.
        """
        return view_names(_PREFIX)

    @property
    def schema_version(self) -> int:
        """The schema version of the open file."""
        with self._lock:
            return as_int(self._exec("PRAGMA user_version")[0][0], "user_version")

    def checkpoint(self, *, attempts: int = 3, wait: float = 0.05, vacuum: bool = False) -> bool:
        """Copy the WAL into the database file and truncate the WAL to zero bytes.

        With ``secure_delete`` (always on; checked here) a deleted row's bytes are
        overwritten; ``vacuum`` first rebuilds the file (``VACUUM``: a rebalance
        leaves old copies of moved cells, which ``secure_delete`` misses), as
        :func:`symprogram.erasure.erase_person` asks. A reader on another
        connection still using an older snapshot keeps the WAL from being
        truncated: the call retries ``attempts`` times, waiting ``wait`` seconds
        and doubling, then raises. Inside an open unit of work of this thread
        nothing is committed yet: returns ``False``.

        Returns:
            ``True`` when the WAL was checkpointed and truncated (always for a
            database in memory), ``False`` inside an open unit of work.

        Raises:
            StorageError: ``database_busy`` (other connections kept the WAL),
                ``store_closed``.
        """
        with self._lock:
            if self._closed:
                raise StorageError("the store is closed", code="store_closed")
            if self._conn.in_transaction:
                return False
            if self._exec("PRAGMA secure_delete")[0][0] != 1:
                self._exec("PRAGMA secure_delete = ON")  # pragma: no cover - set on open
            if vacuum:
                self._exec("VACUUM")
            for attempt in range(attempts):
                busy = self._exec("PRAGMA wal_checkpoint(TRUNCATE)")[0][0]
                if busy == 0:
                    return True
                time.sleep(wait * 2**attempt)
        raise StorageError(
            "other connections kept the WAL from being checkpointed and truncated",
            code="database_busy",
        )

    def transaction(self, *, readonly: bool = False) -> AbstractContextManager[SQLiteTransaction]:
        """Open a unit of work: committed on a clean exit, rolled back on an exception.

        A nested block in the same thread joins the open unit of work. A read-only
        unit of work is a deferred ``BEGIN`` (a consistent snapshot for several
        statements), a writing one ``BEGIN IMMEDIATE``.
        """
        return Unit(self._units, readonly)

    def change_token(self) -> object | None:
        """A value that changes whenever anyone commits a change to the database.

        Commits of this store, of other connections and of other processes all
        change it (the WAL-index header of the ``-shm`` file, see
        ``symprogram.storage._wal_header``; where that cannot be read, this
        store's count of commits with ``PRAGMA data_version``). ``None`` while this thread has a
        unit of work open on the store (what it reads may include its own
        uncommitted writes, which nobody may remember), after :meth:`close`, and,
        without the header, while another thread's unit of work holds the
        connection. See :func:`symprogram.persistence.change_tracker`.
        """
        if self._open.tx is not None:
            return None
        header = self._header
        view = None if header is None else header.view
        if view is not None:
            try:
                return view[:HEADER_BYTES]
            except ValueError:  # closed meanwhile
                return None
        return self._counted_token()

    def _counted_token(self) -> object | None:
        """This store's commits and ``PRAGMA data_version`` (other connections' commits)."""
        if self._closed or not self._lock.acquire(blocking=False):
            return None
        try:
            if self._closed or self._conn.in_transaction:
                return None
            if self.path == ":memory:":
                return self._generation  # no other connection sees this database
            row = self._conn.execute("PRAGMA data_version").fetchone()
            return (self._generation, row[0])
        except sqlite3.Error:
            return None
        finally:
            self._lock.release()

    def close(self) -> None:
        """Close the connection. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            header, self._header = self._header, None
            try:
                self._conn.close()
            except sqlite3.Error as exc:  # pragma: no cover - close rarely fails
                raise _translate(exc) from exc
            finally:
                # After the connection: the mapping's descriptors must outlive
                # its locks on the -shm file (see symprogram.storage._wal_header).
                if header is not None:
                    release_header(header)

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"


def open_url(url: str) -> Store:
    """The factory of the ``sqlite`` entry point.

    ``sqlite:///relative/path.db`` and ``sqlite:////absolute/path.db`` open a
    file; ``sqlite://`` and ``sqlite:///:memory:`` a database in memory. A URL
    naming a driver (``sqlite+pysqlite://...``) is SQLAlchemy's: it opens an
    :class:`~symprogram.storage.sqlalchemy.SQLAlchemyStore`.

    A query string (``?mode=ro``) is not read by this adapter, so it is refused
    rather than taken as part of the file's name; SQLAlchemy's
    ``sqlite+pysqlite:///path.db?mode=ro&uri=true`` reads one.

    Raises:
        ValidationError: the URL is not an SQLite URL, or has a query string
            (``invalid_storage_url``).
    """
    scheme, _, rest = url.partition("://")
    if scheme != "sqlite":
        from symprogram.storage.sqlalchemy import (  # type: ignore[import-not-found,unused-ignore]
            open_url as open_sqlalchemy,
        )

        store: Store = open_sqlalchemy(url)
        return store
    if rest in ("", "/", "/:memory:"):
        return SQLiteStore(":memory:")
    if "?" in rest:
        raise ValidationError(
            "sqlite:// URLs take no query string (it would become part of the file name); "
            "SQLAlchemy's sqlite+pysqlite:// URLs read one",
            field="url",
            code="invalid_storage_url",
        )
    if not rest.startswith("/"):
        raise ValidationError(
            "SQLite URLs look like sqlite:///relative.db or sqlite:////absolute.db",
            field="url",
            code="invalid_storage_url",
        )
    return SQLiteStore(rest[1:])
