"""The SQLAlchemy 2 Core adapter: PostgreSQL, MariaDB and SQLite for servers.

Install the ``sql`` extra (and a driver: ``postgres`` for psycopg 3, ``mariadb``
for PyMySQL). The adapter keeps the three tables of the SQLite adapter —
records, the unique index and streams — under a configurable prefix
(``sp_records``, ``sp_index``, ``sp_streams``) plus a version table
(``sp_schema``), and behaves exactly like the other adapters:

* **schema** — created and migrated forward by the library when a store opens,
  idempotently, under a PostgreSQL advisory lock or a MariaDB ``GET_LOCK`` so
  that two processes opening a fresh database at once do not collide; a
  database migrated by a newer release is refused (``schema_too_new``);
* **ordering** — keys and names are ordered by code point: PostgreSQL columns
  use ``COLLATE "C"``, MariaDB columns ``utf8mb4_nopad_bin`` (case, accent and
  trailing-space sensitive);
* **no lost update** — a save is ``UPDATE ... WHERE kind = ? AND key = ? AND
  version = ?`` with its row count checked, a first save and an index entry are
  inserts whose unique violation becomes a :class:`~symprogram.errors.ConcurrencyError`
  or :class:`~symprogram.errors.Conflict`, and a stream append relies on the
  ``(stream, position)`` primary key, whatever the isolation level;
* **batches** — :func:`~symprogram.persistence.save_many` and the other batch
  helpers send one ``executemany`` per table (psycopg pipelines it, PyMySQL
  folds it into multi-row inserts) inside a SAVEPOINT, and batched reads use
  ``IN`` lists: a few round trips per batch instead of one per item;
* **errors** — every driver and SQLAlchemy error is translated into a
  :class:`~symprogram.errors.StorageError` (``serialization_failure``,
  ``deadlock``, ``lock_timeout``, ``connection_lost``, ``database_unavailable``,
  ...) after the unit of work is rolled back; transient ones carry
  ``details["retryable"] = True`` and :meth:`SQLAlchemyStore.run` re-runs a
  whole unit of work on them;
* **text** — PostgreSQL text cannot hold NUL: the data column holds the data
  text unchanged when it is valid JSON (which never contains a raw NUL), and
  escapes the raw control characters U+0000 and U+0001 and lone surrogates
  otherwise, so any Python string round-trips.

A host application can hand in its own :class:`~sqlalchemy.engine.Engine`
(``SQLAlchemyStore(engine=...)``) or :class:`~sqlalchemy.engine.Connection`
(:meth:`SQLAlchemyStore.bind`, :meth:`SQLAlchemyStore.using`,
:meth:`SQLAlchemyStore.for_connection`): symprogram's writes then join the
host's transaction inside a SAVEPOINT and are committed, or not, by the host.

Example:
    >>> store = SQLAlchemyStore.from_url("sqlite+pysqlite://")
    >>> with store.transaction() as tx:
    ...     tx.save("note", "n1", '{"text": "hello"}', 0)
    1
    >>> store.run(lambda tx: tx.load("note", "n1").version)
    1
    >>> store.close()
"""

from __future__ import annotations

import random
import re
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.dialects import mysql as mysql_dialect
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import URL, Connection, CursorResult, Engine, RootTransaction
from sqlalchemy.pool import StaticPool

from symprogram.errors import (
    ConcurrencyError,
    Conflict,
    IntegrityError,
    LimitExceeded,
    NotFound,
    StorageError,
    SymprogramError,
    ValidationError,
)
from symprogram.persistence import (
    MAX_KEY_LENGTH,
    AppendItem,
    IndexItem,
    Record,
    SaveItem,
    batch_items,
    check_key,
    save_waves,
)
from symprogram.storage._base import (
    Ambient,
    as_int,
    as_text,
    check_batch,
    check_limit,
    check_pair,
    check_position,
    check_text,
    check_version,
    enable_wal,
    in_chunks,
    pair_of,
    read_chunks,
    write_batch,
)

__all__ = [
    "DEFAULT_TABLE_PREFIX",
    "SCHEMA_VERSION",
    "SQLAlchemyStore",
    "SQLAlchemyTransaction",
]

R = TypeVar("R")

DEFAULT_TABLE_PREFIX = "sp_"
"""The prefix of symprogram's table names unless another is given."""

_PREFIX_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}\Z")
_URL_PREFIX_PARAMETER = "symprogram_table_prefix"
_LOCK_NAMESPACE = 0x53594D50  # "SYMP": high half of the PostgreSQL advisory lock key
_LOCK_WAIT_SECONDS = 60
_STATEMENT_HEADROOM = 16 * 1024  # bytes of a statement besides the data: SQL text, keys


# -- data text ---------------------------------------------------------------------
#
# U+0001 is the escape character: "\x01\x01" is U+0001, "\x010" is NUL and
# "\x01uXXXX" a lone surrogate. Valid JSON never holds a raw control character, so
# JSON data is stored byte for byte as given.

_ESCAPE = "\x01"
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED = re.compile("\x01(?:(\x01)|(0)|u([0-9a-f]{4}))")


def _encode_data(text: str) -> str:
    if "\x00" in text or _ESCAPE in text:
        text = text.replace(_ESCAPE, _ESCAPE * 2).replace("\x00", _ESCAPE + "0")
    if not text.isascii() and _SURROGATE.search(text):
        text = _SURROGATE.sub(lambda m: f"{_ESCAPE}u{ord(m.group()):04x}", text)
    return text


def _decode_data(text: str) -> str:
    if _ESCAPE not in text:
        return text
    pieces: list[str] = []
    at = 0
    for match in _ESCAPED.finditer(text):
        if _ESCAPE in text[at : match.start()]:
            break
        pieces.append(text[at : match.start()])
        if match.group(1):
            pieces.append(_ESCAPE)
        elif match.group(2):
            pieces.append("\x00")
        else:
            pieces.append(chr(int(match.group(3), 16)))
        at = match.end()
    rest = text[at:]
    if _ESCAPE in rest:
        raise IntegrityError("stored data holds a broken escape", code="database_corrupt")
    pieces.append(rest)
    return "".join(pieces)


def _check_storable_key(value: object, field: str) -> str:
    """check_key, plus: no lone surrogate (no database column can hold one)."""
    text = check_key(value, field)
    if not text.isascii() and _SURROGATE.search(text):
        raise ValidationError(
            f"{field} may not contain a lone surrogate", field=field, code="invalid_key"
        )
    return text


def _lower_bound(prefix: str, after: str | None) -> tuple[str | None, bool] | None:
    """Where a code-point ordered listing starts: (bound, inclusive), or None if empty.

    Stored names never hold NUL or lone surrogates; a bound that does is replaced
    by an equivalent one the database can compare.
    """
    if after is not None and after >= prefix:
        bound, inclusive = after, False
    elif prefix:
        bound, inclusive = prefix, True
    else:
        return (None, True)
    for i, char in enumerate(bound):
        if char == "\x00":
            if inclusive:  # a prefix holding NUL matches nothing
                return None
            return (bound[:i], False)
        if "\ud800" <= char <= "\udfff":
            if inclusive:
                return None
            return (bound[:i] + "\ue000", True)
    return (bound, inclusive)


def _prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string above every string starting with ``prefix`` (None: no bound)."""
    chars = list(prefix)
    while chars:
        code = ord(chars[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:
            code = 0xE000
        if code <= 0x10FFFF:
            chars[-1] = chr(code)
            return "".join(chars)
        chars.pop()
    return None


# -- error translation -----------------------------------------------------------

_PG_CODES: Mapping[str, tuple[str, bool]] = {
    "40001": ("serialization_failure", True),
    "40P01": ("deadlock", True),
    "55P03": ("lock_timeout", True),
    "57014": ("statement_timeout", False),
    "25006": ("database_read_only", False),
    "42P01": ("schema_missing", False),
    "54000": ("database_limit_exceeded", False),
    "53300": ("database_unavailable", True),
    "57P03": ("database_unavailable", True),
}
_MYSQL_CODES: Mapping[int, tuple[str, bool]] = {
    1213: ("deadlock", True),
    1205: ("lock_timeout", True),
    1020: ("serialization_failure", True),  # record changed since last read
    1969: ("statement_timeout", False),
    3024: ("statement_timeout", False),
    1146: ("schema_missing", False),
    1290: ("database_read_only", False),
    1792: ("database_read_only", False),
    1040: ("database_unavailable", True),
    1045: ("access_denied", False),
    1044: ("access_denied", False),
    1142: ("access_denied", False),
}
_MYSQL_LOST = frozenset({1927, 2003, 2006, 2013, 2055, 4031})
_MYSQL_DUPLICATE = 1062
_MYSQL_PACKET_TOO_LARGE = 1153


_MYSQL_DRIVERS = ("pymysql", "MySQLdb", "mariadb", "mysql", "asyncmy", "aiomysql")


def _is_mysql_error(orig: BaseException | None) -> bool:
    return type(orig).__module__.split(".")[0] in _MYSQL_DRIVERS


def _sqlstate(orig: BaseException | None) -> str | None:
    if _is_mysql_error(orig):
        return None  # MySQL drivers' SQLSTATEs are coarse: use the error number
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return state if isinstance(state, str) else None


def _errno(orig: BaseException | None) -> int | None:
    if not _is_mysql_error(orig):
        return None
    number = getattr(orig, "errno", None)
    if isinstance(number, int) and not isinstance(number, bool):
        return number
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int) and not isinstance(args[0], bool):
        return int(args[0])
    return None


def _is_duplicate(error: exc.DBAPIError) -> bool:
    number = _errno(error.orig)
    if number is not None:
        return number == _MYSQL_DUPLICATE
    state = _sqlstate(error.orig)
    if state is not None:
        return state == "23505"
    text = str(error.orig).lower()
    return "unique constraint" in text or "duplicate" in text


def _storage_error(message: str, code: str, retryable: bool, **details: Any) -> StorageError:
    return StorageError(message, code=code, details={"retryable": retryable, **details})


def _translate(error: BaseException, *, during: str = "statement") -> SymprogramError:
    """Turn an SQLAlchemy or driver error into a SymprogramError (never raises)."""
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    first = text[0] if text else type(error).__name__
    if isinstance(error, exc.TimeoutError):
        return _storage_error(
            f"no database connection free in the pool: {first}", "pool_timeout", True
        )
    if not isinstance(error, exc.DBAPIError):
        if isinstance(error, exc.ResourceClosedError | exc.InvalidRequestError):
            return _storage_error(f"the connection is unusable: {first}", "connection_lost", False)
        return _storage_error(f"SQLAlchemy failed: {first}", "storage_error", False)
    orig = error.orig
    state = _sqlstate(orig)
    number = _errno(orig)
    lost = bool(error.connection_invalidated)
    if state is not None:
        lost = lost or state.startswith("08") or state in ("57P01", "57P02")
    if number is not None:
        lost = lost or number in _MYSQL_LOST
    if lost:
        if during == "commit":
            return _storage_error(
                f"the connection was lost while committing; the outcome is unknown: {first}",
                "connection_lost",
                False,
                during=during,
                outcome="unknown",
            )
        if during == "connect":
            return _storage_error(
                f"cannot connect to the database: {first}", "database_unavailable", True
            )
        return _storage_error(
            f"the database connection was lost; the unit of work was rolled back: {first}",
            "connection_lost",
            True,
            during=during,
        )
    if state is not None and state in _PG_CODES:
        code, retryable = _PG_CODES[state]
        return _storage_error(f"the database refused: {first}", code, retryable, sqlstate=state)
    if state is not None and state.startswith("28"):
        return _storage_error(f"access denied: {first}", "access_denied", False, sqlstate=state)
    if number is not None:
        if number == _MYSQL_PACKET_TOO_LARGE:
            return LimitExceeded(
                f"the data is larger than the server accepts (max_allowed_packet): {first}",
                field="data",
                code="data_too_large",
            )
        if number in _MYSQL_CODES:
            code, retryable = _MYSQL_CODES[number]
            return _storage_error(f"the database refused: {first}", code, retryable, errno=number)
    lowered = first.lower()
    if "locked" in lowered or "busy" in lowered:
        return _storage_error(f"the database is busy: {first}", "database_busy", True)
    if "readonly" in lowered or "read-only" in lowered:
        return _storage_error(f"the database is read-only: {first}", "database_read_only", False)
    if "no such table" in lowered:
        return _storage_error(f"the tables are missing: {first}", "schema_missing", False)
    if "not a database" in lowered or "malformed" in lowered:
        # SQLite's words for a damaged file: the same error as the SQLite adapter's.
        return IntegrityError(f"the database file is damaged: {first}", code="database_corrupt")
    if during == "connect":
        return _storage_error(
            f"cannot connect to the database: {first}", "database_unavailable", True
        )
    return _storage_error(f"the database failed: {first}", "storage_error", False)


# -- schema ----------------------------------------------------------------------


class _Tables:
    """The symprogram tables for one prefix and one database dialect."""

    def __init__(self, prefix: str, dialect: sa.Dialect) -> None:
        self.metadata = sa.MetaData()
        name_type = _name_type(dialect)
        data_type = sa.Text().with_variant(
            mysql_dialect.LONGTEXT(charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
        )
        options: dict[str, Any] = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}
        self.schema = sa.Table(
            f"{prefix}schema",
            self.metadata,
            sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("description", sa.String(200), nullable=False),
            **options,
        )
        self.records = sa.Table(
            f"{prefix}records",
            self.metadata,
            sa.Column("kind", name_type, primary_key=True),
            sa.Column("key", name_type, primary_key=True),
            sa.Column("version", sa.BigInteger, nullable=False),
            sa.Column("data", data_type, nullable=False),
            **options,
        )
        self.index = sa.Table(
            f"{prefix}index",
            self.metadata,
            sa.Column("name", name_type, primary_key=True),
            sa.Column("value", name_type, primary_key=True),
            sa.Column("key", name_type, nullable=False),
            **options,
        )
        self.streams = sa.Table(
            f"{prefix}streams",
            self.metadata,
            sa.Column("stream", name_type, primary_key=True),
            sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("data", data_type, nullable=False),
            **options,
        )

    @property
    def data_tables(self) -> tuple[sa.Table, ...]:
        return (self.records, self.index, self.streams)


def _name_type(dialect: sa.Dialect) -> sa.types.TypeEngine[str]:
    """VARCHAR(255) compared and ordered by code point on every database."""
    if dialect.name == "postgresql":
        return sa.String(MAX_KEY_LENGTH, collation="C")
    if dialect.name in ("mysql", "mariadb"):
        collation = (
            "utf8mb4_nopad_bin" if getattr(dialect, "is_mariadb", False) else "utf8mb4_0900_bin"
        )
        return mysql_dialect.VARCHAR(MAX_KEY_LENGTH, charset="utf8mb4", collation=collation)
    return sa.String(MAX_KEY_LENGTH)


def _migration_1(conn: Connection, tables: _Tables) -> None:
    for table in tables.data_tables:
        table.create(conn, checkfirst=True)


_MIGRATIONS: tuple[tuple[str, Callable[[Connection, _Tables], None]], ...] = (
    ("records, unique index and streams", _migration_1),
)

SCHEMA_VERSION = len(_MIGRATIONS)
"""The schema version this release writes; older databases are migrated forward on open."""


class _MigrationRace(Exception):
    """Another process changed the schema at the same time: try again."""


# -- units of work ---------------------------------------------------------------


class SQLAlchemyTransaction:
    """A unit of work on a :class:`SQLAlchemyStore`.

    It implements :class:`symprogram.persistence.Transaction`.

    Attributes:
        readonly: whether writes are refused.
    """

    def __init__(
        self,
        conn: Connection,
        tables: _Tables,
        readonly: bool,
        joined: bool,
        max_data_bytes: int | None = None,
    ) -> None:
        self._conn = conn
        self._t = tables
        self._max_data_bytes = max_data_bytes
        self._dialect = conn.dialect.name
        self.readonly = readonly
        self._joined = joined
        # Batched reads on PostgreSQL probe the primary key once per wanted name
        # (LATERAL over unnest), whatever the statistics say. On tables never
        # analyzed (a bulk import into a fresh database, autovacuum off or not yet
        # run) the planner takes ``key IN (500 names)`` for most of the table: it
        # then reads every record of the kind (or the whole streams table) and
        # filters, once per batch, and an import slows down with every batch.
        self._probe_each = self._dialect == "postgresql"
        self._copy_rows = self._dialect == "postgresql" and conn.dialect.driver == "psycopg"

    @property
    def connection(self) -> Connection:
        """The SQLAlchemy connection this unit of work runs on.

        Statements of your own executed on it are part of the same transaction.
        """
        return self._conn

    def _exec(self, statement: sa.Executable) -> CursorResult[Any]:
        try:
            return self._conn.execute(statement)
        except exc.SQLAlchemyError as error:
            raise _translate(error) from error

    def _rows(self, statement: sa.Executable) -> list[Any]:
        try:
            return list(self._conn.execute(statement).all())
        except exc.SQLAlchemyError as error:
            raise _translate(error) from error

    def _writable(self) -> None:
        if self.readonly:
            raise StorageError("this unit of work is read-only", code="read_only_transaction")

    def _stored(self, data: str) -> str:
        """The data as stored, checked against the server's statement size limit."""
        stored = _encode_data(data)
        limit = self._max_data_bytes
        if limit is not None and 4 * len(stored) > limit:
            size = len(stored.encode("utf-8"))
            if size > limit:
                raise LimitExceeded(
                    f"data of {size} bytes is larger than the server accepts ({limit} bytes)",
                    field="data",
                    code="data_too_large",
                    details={"limit": limit, "length": size},
                )
        return stored

    def _insert_new(self, table: sa.Table, values: dict[str, Any]) -> bool:
        """Insert a row; False (and no harm done to the transaction) if its key exists."""
        first = table.primary_key.columns.values()[0]
        if self._dialect == "postgresql":
            pg_stmt = pg_dialect.insert(table).values(values).on_conflict_do_nothing()
            return bool(self._rows(pg_stmt.returning(first)))
        if self._dialect == "sqlite" and sqlite3.sqlite_version_info >= (3, 35):
            lite_stmt = sqlite_dialect.insert(table).values(values).on_conflict_do_nothing()
            return bool(self._rows(lite_stmt.returning(first)))
        statement = sa.insert(table).values(values)
        if self._dialect in ("mysql", "mariadb"):
            # InnoDB rolls back only the failed statement on a duplicate key.
            try:
                self._conn.execute(statement)
            except exc.IntegrityError as error:
                if _is_duplicate(error):
                    return False
                raise _translate(error) from error
            except exc.SQLAlchemyError as error:
                raise _translate(error) from error
            return True
        try:
            with self._conn.begin_nested():
                self._conn.execute(statement)
        except exc.IntegrityError as error:
            if _is_duplicate(error):
                return False
            raise _translate(error) from error
        except exc.SQLAlchemyError as error:
            raise _translate(error) from error
        return True

    # -- records -------------------------------------------------------------
    def _pair(self, kind: str, key: str) -> None:
        check_pair(kind, key)
        _check_storable_key(kind, "kind")
        _check_storable_key(key, "key")

    def load(self, kind: str, key: str) -> Record | None:
        """Return the record, or ``None`` if there is none."""
        self._pair(kind, key)
        r = self._t.records
        rows = self._rows(sa.select(r.c.version, r.c.data).where(r.c.kind == kind, r.c.key == key))
        if not rows:
            return None
        version, data = rows[0]
        return Record(
            kind, key, as_int(version, "a version"), _decode_data(as_text(data, "a record"))
        )

    def _version(self, kind: str, key: str) -> int | None:
        r = self._t.records
        rows = self._rows(sa.select(r.c.version).where(r.c.kind == kind, r.c.key == key))
        return None if not rows else as_int(rows[0][0], "a version")

    def _stale(self, kind: str, key: str, expected: int) -> ConcurrencyError:
        current = self._version(kind, key) or 0
        if current == expected:
            message = f"{kind} {key!r} was changed by a concurrent unit of work"
        else:
            message = f"{kind} {key!r} is at version {current}, not {expected}"
        return ConcurrencyError(message, details={"kind": kind, "key": key, "current": current})

    def save(self, kind: str, key: str, data: str, expected_version: int) -> int:
        """Write a record based on ``expected_version`` (0: it must not exist yet).

        Returns the new version.

        Raises:
            ConcurrencyError: the stored version differs (code ``stale_version``).
        """
        self._pair(kind, key)
        check_text(data, "data")
        check_version(expected_version)
        self._writable()
        r = self._t.records
        stored = self._stored(data)
        if expected_version == 0:
            values = {"kind": kind, "key": key, "version": 1, "data": stored}
            if not self._insert_new(r, values):
                raise self._stale(kind, key, 0)
            return 1
        result = self._exec(
            sa.update(r)
            .where(r.c.kind == kind, r.c.key == key, r.c.version == expected_version)
            .values(version=expected_version + 1, data=stored)
        )
        if result.rowcount != 1:
            raise self._stale(kind, key, expected_version)
        return expected_version + 1

    def delete(self, kind: str, key: str, expected_version: int) -> None:
        """Delete a record at ``expected_version``.

        Raises:
            NotFound: there is no such record (code ``record_not_found``).
            ConcurrencyError: the stored version differs.
        """
        self._pair(kind, key)
        check_version(expected_version)
        self._writable()
        r = self._t.records
        result = self._exec(
            sa.delete(r).where(r.c.kind == kind, r.c.key == key, r.c.version == expected_version)
        )
        if result.rowcount == 1:
            return
        current = self._version(kind, key)
        if current is None:
            raise NotFound(f"no {kind} {key!r}", code="record_not_found")
        raise ConcurrencyError(
            f"{kind} {key!r} is at version {current}, not {expected_version}",
            details={"kind": kind, "key": key, "current": current},
        )

    def scan(
        self, kind: str, *, prefix: str = "", after: str | None = None, limit: int = 500
    ) -> list[Record]:
        """Return up to ``limit`` records of ``kind`` whose key starts with ``prefix``
        and sorts (by code point) after ``after``, in key order."""
        check_key(kind, "kind")
        check_limit(limit)
        _check_bound(prefix, "prefix")
        if after is not None:
            _check_bound(after, "after")
        r = self._t.records
        condition = _range(r.c.key, prefix, after)
        if condition is None:
            return []
        rows = self._rows(
            sa.select(r.c.key, r.c.version, r.c.data)
            .where(r.c.kind == kind, condition)
            .order_by(r.c.key)
            .limit(limit)
        )
        return [
            Record(
                kind,
                as_text(k, "a key"),
                as_int(v, "a version"),
                _decode_data(as_text(d, "a record")),
            )
            for k, v, d in rows
        ]

    # -- unique index ----------------------------------------------------------
    def index_put(self, index: str, value: str, key: str) -> None:
        """Point ``value`` at ``key`` in a unique index.

        Raises:
            Conflict: another key holds ``value`` (code ``duplicate``).
        """
        _check_storable_key(index, "index")
        _check_storable_key(value, "value")
        _check_storable_key(key, "key")
        self._writable()
        current = self.index_get(index, value)
        if current == key:
            return
        if current is None and self._insert_new(
            self._t.index, {"name": index, "value": value, "key": key}
        ):
            return
        if current is None and self.index_get(index, value) == key:
            return
        raise Conflict(
            f"{index} {value!r} is already taken", code="duplicate", details={"index": index}
        )

    def index_get(self, index: str, value: str) -> str | None:
        """Return the key ``value`` points at, or ``None``."""
        _check_storable_key(index, "index")
        _check_storable_key(value, "value")
        i = self._t.index
        rows = self._rows(sa.select(i.c.key).where(i.c.name == index, i.c.value == value))
        return None if not rows else as_text(rows[0][0], "an index key")

    def index_delete(self, index: str, value: str) -> None:
        """Remove ``value`` from the index (no error if absent)."""
        _check_storable_key(index, "index")
        _check_storable_key(value, "value")
        self._writable()
        i = self._t.index
        self._exec(sa.delete(i).where(i.c.name == index, i.c.value == value))

    # -- streams ---------------------------------------------------------------
    def stream_length(self, stream: str) -> int:
        """Return the number of entries in ``stream`` (its last position)."""
        _check_storable_key(stream, "stream")
        s = self._t.streams
        rows = self._rows(sa.select(sa.func.max(s.c.position)).where(s.c.stream == stream))
        value = rows[0][0] if rows else None
        return 0 if value is None else as_int(value, "a position")

    def append(self, stream: str, position: int, data: str) -> None:
        """Append an entry at ``position`` (1 + the current length).

        Raises:
            ConcurrencyError: the position is taken or leaves a gap (code
                ``stream_position_taken``).
        """
        _check_storable_key(stream, "stream")
        check_position(position)
        check_text(data, "data")
        self._writable()
        length = self.stream_length(stream)
        if position == length + 1 and self._insert_new(
            self._t.streams, {"stream": stream, "position": position, "data": self._stored(data)}
        ):
            return
        if position == length + 1:
            length = self.stream_length(stream)
        raise ConcurrencyError(
            f"stream {stream!r} has {length} entries; cannot append at {position}",
            code="stream_position_taken",
            details={"stream": stream, "length": length},
        )

    def read(
        self, stream: str, *, after: int = 0, limit: int | None = None
    ) -> list[tuple[int, str]]:
        """Return ``(position, data)`` entries after position ``after``, in order."""
        _check_storable_key(stream, "stream")
        check_position(after, "after")
        if limit is not None:
            check_limit(limit)
        s = self._t.streams
        statement = (
            sa.select(s.c.position, s.c.data)
            .where(s.c.stream == stream, s.c.position > after)
            .order_by(s.c.position)
        )
        if limit is not None:
            statement = statement.limit(limit)
        rows = self._rows(statement)
        return [(as_int(p, "a position"), _decode_data(as_text(d, "an entry"))) for p, d in rows]

    def streams(self, *, prefix: str = "", after: str | None = None, limit: int = 500) -> list[str]:
        """Return stream names starting with ``prefix`` after ``after``, in order."""
        check_limit(limit)
        _check_bound(prefix, "prefix")
        if after is not None:
            _check_bound(after, "after")
        s = self._t.streams
        condition = _range(s.c.stream, prefix, after)
        if condition is None:
            return []
        rows = self._rows(
            sa.select(s.c.stream)
            .where(condition)
            .group_by(s.c.stream)
            .order_by(s.c.stream)
            .limit(limit)
        )
        return [as_text(row[0], "a stream name") for row in rows]

    def rewrite(self, stream: str, position: int, data: str) -> None:
        """Replace an existing entry's data (erasure only: contexts re-verify afterwards).

        Raises:
            NotFound: there is no such entry (code ``stream_entry_not_found``).
        """
        _check_storable_key(stream, "stream")
        check_position(position)
        check_text(data, "data")
        self._writable()
        s = self._t.streams
        result = self._exec(
            sa.update(s)
            .where(s.c.stream == stream, s.c.position == position)
            .values(data=self._stored(data))
        )
        if result.rowcount != 1:
            raise NotFound(f"no entry {position} in {stream!r}", code="stream_entry_not_found")

    # -- batches (see symprogram.persistence.BatchTransaction) --------------------
    def _all_or_nothing(self, work: Callable[[], bool]) -> bool:
        """Run ``work`` inside a savepoint: kept if it returns True, undone if it
        returns False or hits a duplicate key (then False). Other errors are raised."""
        try:
            savepoint = self._conn.begin_nested()
        except exc.SQLAlchemyError as error:
            raise _translate(error) from error
        try:
            ok = work()
        except exc.IntegrityError as error:
            _rollback_quietly(savepoint)
            if not _is_duplicate(error):
                raise _translate(error) from error
            return False
        except exc.SQLAlchemyError as error:
            _rollback_quietly(savepoint)
            raise _translate(error) from error
        except BaseException:
            _rollback_quietly(savepoint)
            raise
        try:
            if ok:
                savepoint.commit()
            else:
                savepoint.rollback()
        except exc.SQLAlchemyError as error:
            raise _translate(error) from error
        return ok

    def _insert_rows(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """Insert ``rows`` with one ``executemany``, or ``COPY`` on psycopg 3 (a
        duplicate key raises).

        ``COPY ... FROM STDIN`` sends the rows as one stream the server parses once:
        measured about four times faster than psycopg's pipelined ``executemany``
        (a statement per row) for a batch of records. Other drivers use
        ``executemany``.
        """
        if self._copy_rows:
            self._copy(table, rows)
        else:
            self._conn.execute(sa.insert(table), rows)

    def _copy(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """``COPY`` of ``rows`` into ``table`` through the psycopg connection of this
        unit of work (same transaction and savepoint); its errors raised as
        SQLAlchemy raises the driver's, the connection invalidated if it was lost."""
        import psycopg

        names = [column.name for column in table.columns]
        quote = self._conn.dialect.identifier_preparer
        columns = ", ".join(quote.quote(name) for name in names)
        statement = f"COPY {quote.format_table(table)} ({columns}) FROM STDIN"
        proxied = self._conn.connection
        driver: psycopg.Connection[Any] = proxied.driver_connection  # type: ignore[assignment]
        try:
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row([row[name] for name in names])
        except psycopg.Error as orig:
            dialect = self._conn.dialect
            lost = dialect.is_disconnect(cast(Any, orig), proxied.dbapi_connection, None)
            error = exc.DBAPIError.instance(
                statement,
                None,
                orig,
                psycopg.Error,
                connection_invalidated=lost,
                dialect=dialect,
            )
            if lost:
                self._conn.invalidate(error)
            raise error from orig

    def save_many(self, items: Sequence[SaveItem]) -> list[int]:
        """:meth:`save` of every ``(kind, key, data, expected_version)``, in batches.

        One ``executemany`` per wave (see :func:`~symprogram.persistence.save_waves`)
        of first saves and one of updates, inside a savepoint; if any is refused the
        savepoint is rolled back and the items are saved one by one, which raises
        the error of the first refused item.
        """
        batch = batch_items(items, 4)
        stored = check_batch(batch, self._checked_save, self.save_many)

        def attempt() -> bool:
            if not (
                self._conn.dialect.supports_sane_multi_rowcount or all(v == 0 for *_, v in batch)
            ):
                return False
            self._writable()
            encoded = [(k, key, d, v) for (k, key, _, v), d in zip(batch, stored, strict=True)]
            return self._all_or_nothing(lambda: self._save_waves(encoded))

        versions = write_batch(batch, attempt, self.save)
        return [item[3] + 1 for item in batch] if versions is None else versions

    def _checked_save(self, kind: str, key: str, data: str, expected_version: int) -> str:
        """The checks of :meth:`save`: the data as stored."""
        self._pair(kind, key)
        check_text(data, "data")
        check_version(expected_version)
        return self._stored(data)

    def _save_waves(self, batch: list[SaveItem]) -> bool:
        r = self._t.records
        for wave in save_waves(batch):
            wave.sort(key=pair_of)
            inserts = [
                {"kind": k, "key": key, "version": 1, "data": d} for k, key, d, v in wave if v == 0
            ]
            if inserts:
                self._insert_rows(r, inserts)
            updates = [
                {"b_kind": k, "b_key": key, "b_version": v, "b_new": v + 1, "b_data": d}
                for k, key, d, v in wave
                if v
            ]
            if updates:
                result = self._conn.execute(
                    sa.update(r)
                    .where(
                        r.c.kind == sa.bindparam("b_kind"),
                        r.c.key == sa.bindparam("b_key"),
                        r.c.version == sa.bindparam("b_version"),
                    )
                    .values(version=sa.bindparam("b_new"), data=sa.bindparam("b_data")),
                    updates,
                )
                if result.rowcount != len(updates):
                    return False
        return True

    def index_put_many(self, items: Sequence[IndexItem]) -> None:
        """:meth:`index_put` of every ``(index, value, key)``: one ``executemany`` in a
        savepoint, or one by one if an entry is already there."""
        batch = batch_items(items, 3)
        check_batch(batch, self._checked_index, self.index_put_many)

        def attempt() -> bool:
            self._writable()
            rows = [{"name": i, "value": v, "key": k} for i, v, k in sorted(batch, key=pair_of)]

            def insert() -> bool:
                self._insert_rows(self._t.index, rows)
                return True

            return self._all_or_nothing(insert)

        write_batch(batch, attempt, self.index_put)  # the same key is fine, another is refused

    def _checked_index(self, index: str, value: str, key: str) -> None:
        """The checks of :meth:`index_put`."""
        _check_storable_key(index, "index")
        _check_storable_key(value, "value")
        _check_storable_key(key, "key")

    def append_many(self, items: Sequence[AppendItem]) -> None:
        """:meth:`append` of every ``(stream, position, data)``: the streams' lengths
        read at once, then one ``executemany`` in a savepoint."""
        batch = batch_items(items, 3)
        stored = check_batch(batch, self._checked_append, self.append_many)

        def attempt() -> bool:
            self._writable()
            lengths = self._lengths([stream for stream, _, _ in batch])
            for stream, position, _ in batch:
                if position != lengths.get(stream, 0) + 1:
                    return False
                lengths[stream] = position
            rows = sorted(
                (
                    {"stream": s, "position": p, "data": d}
                    for (s, p, _), d in zip(batch, stored, strict=True)
                ),
                key=lambda row: row["stream"],  # stable: each stream's entries in order
            )

            def insert() -> bool:
                self._insert_rows(self._t.streams, rows)
                return True

            return self._all_or_nothing(insert)

        write_batch(batch, attempt, self.append)  # raises the error of the first refused entry

    def _checked_append(self, stream: str, position: int, data: str) -> str:
        """The checks of :meth:`append`: the data as stored."""
        _check_storable_key(stream, "stream")
        check_position(position)
        check_text(data, "data")
        return self._stored(data)

    def _lengths(self, streams: list[str]) -> dict[str, int]:
        s = self._t.streams
        found: dict[str, int] = {}
        for chunk in in_chunks(streams):
            if self._probe_each:
                names = _wanted(chunk)
                x = s.alias("x")
                statement: sa.Executable = sa.select(
                    names.c.wanted,
                    sa.select(sa.func.max(x.c.position))
                    .where(x.c.stream == names.c.wanted.collate("C"))
                    .scalar_subquery(),
                )
            else:
                statement = (
                    sa.select(s.c.stream, sa.func.max(s.c.position))
                    .where(s.c.stream.in_(chunk))
                    .group_by(s.c.stream)
                )
            for name, length in self._rows(statement):
                if length is not None:
                    found[as_text(name, "a stream name")] = as_int(length, "a position")
        return found

    def load_many(self, kind: str, keys: Sequence[str]) -> dict[str, Record]:
        """:meth:`load` of every key: the records found, by key."""
        _check_storable_key(kind, "kind")
        chunks = read_chunks(keys, "keys", "key", _check_storable_key)
        r = self._t.records
        found: dict[str, Record] = {}
        for chunk in chunks:
            if self._probe_each:
                probe = _wanted(chunk)
                x = (
                    sa.select(r.c.version, r.c.data)
                    .where(r.c.kind == kind, r.c.key == probe.c.wanted.collate("C"))
                    .limit(1)  # one row (the key is unique); not flattened into a join
                    .lateral("x")
                )
                statement: sa.Executable = sa.select(
                    probe.c.wanted, x.c.version, x.c.data
                ).join_from(probe, x, sa.true())
            else:
                statement = sa.select(r.c.key, r.c.version, r.c.data).where(
                    r.c.kind == kind, r.c.key.in_(chunk)
                )
            for key, version, data in self._rows(statement):
                text = as_text(key, "a key")
                found[text] = Record(
                    kind,
                    text,
                    as_int(version, "a version"),
                    _decode_data(as_text(data, "a record")),
                )
        return found

    def index_get_many(self, index: str, values: Sequence[str]) -> dict[str, str]:
        """:meth:`index_get` of every value: the keys found, by value."""
        _check_storable_key(index, "index")
        chunks = read_chunks(values, "values", "value", _check_storable_key)
        i = self._t.index
        found: dict[str, str] = {}
        for chunk in chunks:
            if self._probe_each:
                probe = _wanted(chunk)
                x = (
                    sa.select(i.c.key)
                    .where(i.c.name == index, i.c.value == probe.c.wanted.collate("C"))
                    .limit(1)  # one row (the key is unique); not flattened into a join
                    .lateral("x")
                )
                statement: sa.Executable = sa.select(probe.c.wanted, x.c.key).join_from(
                    probe, x, sa.true()
                )
            else:
                statement = sa.select(i.c.value, i.c.key).where(
                    i.c.name == index, i.c.value.in_(chunk)
                )
            for value, key in self._rows(statement):
                found[as_text(value, "an index value")] = as_text(key, "an index key")
        return found


def _wanted(chunk: list[str]) -> Any:
    """``unnest(:wanted) AS v(wanted)``: the names a batched read on PostgreSQL probes
    one by one (see :attr:`SQLAlchemyTransaction._probe_each`)."""
    return (
        sa.func.unnest(sa.bindparam("wanted", chunk, type_=pg_dialect.ARRAY(sa.Text)))
        .table_valued("wanted")
        .render_derived(name="v")
    )


def _check_bound(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string", field=field, code="invalid_key")
    return value


def _range(column: sa.ColumnElement[Any], prefix: str, after: str | None) -> Any:
    """The WHERE condition for names starting with ``prefix`` and sorting after ``after``."""
    if "\x00" in prefix or _SURROGATE.search(prefix):
        return None  # no stored name holds NUL or a lone surrogate
    lower = _lower_bound(prefix, after)
    if lower is None:
        return None
    conditions: list[Any] = []
    bound, inclusive = lower
    if bound:
        conditions.append(column >= bound if inclusive else column > bound)
    if prefix:
        upper = _prefix_upper_bound(prefix)
        if upper is not None:
            conditions.append(column < upper)
    return sa.and_(sa.true(), *conditions)


# -- the store -------------------------------------------------------------------

_USING: ContextVar[Mapping[int, Connection]] = ContextVar(
    "symprogram_sqlalchemy_using", default=MappingProxyType({})
)


class SQLAlchemyStore:
    """A :class:`symprogram.persistence.Store` on any SQLAlchemy 2 database.

    Args:
        engine: the SQLAlchemy engine to use. Its pool, isolation level and
            connection arguments are the host's; symprogram never disposes of an
            engine it did not create (see :meth:`from_url`).
        table_prefix: prepended to every table name (letters, digits and ``_``,
            at most 40 characters, not starting with a digit).
        migrate: create or migrate the tables on open (default). With ``False``
            the schema must already be at :data:`SCHEMA_VERSION` (e.g. created
            by a deployment step), else ``schema_missing`` / ``schema_outdated``.

    Raises:
        ValidationError: a bad argument (``invalid_engine``, ``invalid_table_prefix``).
        StorageError: the database cannot be reached (``database_unavailable``),
            was migrated by a newer release (``schema_too_new``), or holds tables
            of the same names that are not symprogram's (``not_a_symprogram_database``).
    """

    def __init__(
        self,
        *,
        engine: Engine,
        table_prefix: str = DEFAULT_TABLE_PREFIX,
        migrate: bool = True,
    ) -> None:
        if not isinstance(engine, Engine):
            raise ValidationError(
                "engine must be an SQLAlchemy Engine", field="engine", code="invalid_engine"
            )
        self.table_prefix = _check_prefix(table_prefix)
        self.engine = engine
        self._owns_engine = False
        self._ambient: Ambient[SQLAlchemyTransaction] = Ambient()
        self._closed = False
        self._bound: Connection | None = None
        self._serial: threading.RLock | None = None
        self._sleep: Callable[[float], None] = time.sleep
        try:
            conn = engine.connect()  # also lets the dialect learn the server (MariaDB or MySQL)
        except exc.SQLAlchemyError as error:
            raise _translate(error, during="connect") from error
        try:
            self._tables = _Tables(self.table_prefix, conn.dialect)
            self._max_data_bytes = _max_data_bytes(conn)
            if migrate:
                self._migrate(conn)
            else:
                self._check_schema(conn)
        except exc.SQLAlchemyError as error:
            raise _translate(error) from error
        finally:
            _close_quietly(conn)

    # -- construction --------------------------------------------------------
    @classmethod
    def from_url(
        cls,
        url: str | URL,
        *,
        table_prefix: str | None = None,
        migrate: bool = True,
        **engine_kwargs: Any,
    ) -> SQLAlchemyStore:
        """Create an engine for ``url`` and open a store on it (closed with the store).

        ``url`` is any SQLAlchemy URL: ``postgresql+psycopg://user:pw@host/db``,
        ``mariadb+pymysql://user:pw@host/db?charset=utf8mb4``,
        ``sqlite+pysqlite:///path.db``. The query parameter
        ``symprogram_table_prefix=...`` sets the table prefix (so that
        ``SYMPROGRAM_STORAGE`` alone can choose it). ``engine_kwargs`` go to
        :func:`sqlalchemy.create_engine` (``pool_size``, ``max_overflow``,
        ``pool_timeout``, ``pool_recycle``, ``isolation_level``,
        ``connect_args``, ...); ``pool_pre_ping`` defaults to ``True`` so a
        connection the server dropped is replaced rather than failing a unit of work.

        Raises:
            ValidationError: the URL is malformed (``invalid_storage_url``) or
                its driver is not installed (``sql_driver_missing``).
            StorageError: as for the constructor.
        """
        engine, url_prefix = _create_engine(url, engine_kwargs)
        try:
            store = cls(
                engine=engine,
                table_prefix=table_prefix or url_prefix or DEFAULT_TABLE_PREFIX,
                migrate=migrate,
            )
        except BaseException:
            engine.dispose()
            raise
        store._owns_engine = True
        if engine.dialect.name == "sqlite":
            # One writer at a time in this process; BEGIN IMMEDIATE orders the others.
            store._serial = threading.RLock()
        return store

    @classmethod
    def for_connection(
        cls,
        connection: Connection,
        *,
        table_prefix: str = DEFAULT_TABLE_PREFIX,
        migrate: bool = True,
    ) -> SQLAlchemyStore:
        """Open a store whose units of work all run inside ``connection``'s transaction.

        Shorthand for ``SQLAlchemyStore(engine=connection.engine, ...).bind(connection)``:
        the schema is checked (and migrated) through a separate connection of the
        same engine, then every unit of work is a SAVEPOINT in the host's
        transaction, which the host commits or rolls back.
        """
        if not isinstance(connection, Connection):
            raise ValidationError(
                "connection must be an SQLAlchemy Connection",
                field="connection",
                code="invalid_connection",
            )
        store = cls(engine=connection.engine, table_prefix=table_prefix, migrate=migrate)
        return store.bind(connection)

    def bind(self, connection: Connection) -> SQLAlchemyStore:
        """Return a store on the same tables whose units of work join ``connection``.

        Each unit of work of the returned store is a SAVEPOINT inside the
        connection's transaction (begun if none is open): a block that raises
        rolls back to the savepoint, a clean one releases it, and nothing is
        committed until the host commits its own transaction. The returned
        store must be used by one thread at a time, like the connection;
        closing it leaves the connection open.
        """
        if not isinstance(connection, Connection):
            raise ValidationError(
                "connection must be an SQLAlchemy Connection",
                field="connection",
                code="invalid_connection",
            )
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone._ambient = Ambient()
        clone._owns_engine = False
        clone._bound = connection
        clone._serial = None
        clone._closed = False
        return clone

    @contextmanager
    def using(self, connection: Connection) -> Iterator[SQLAlchemyStore]:
        """Within the block (in this thread or task), units of work join ``connection``.

        Meant for web frameworks: wire a :class:`~symprogram.program.Program` once,
        and in a request middleware that owns a connection and its transaction::

            with engine.begin() as conn, store.using(conn):
                program.accounts.register(...)
        """
        if not isinstance(connection, Connection):
            raise ValidationError(
                "connection must be an SQLAlchemy Connection",
                field="connection",
                code="invalid_connection",
            )
        token = _USING.set(MappingProxyType({**_USING.get(), id(self): connection}))
        try:
            yield self
        finally:
            _USING.reset(token)

    # -- schema --------------------------------------------------------------
    @property
    def metadata(self) -> sa.MetaData:
        """The tables' metadata (e.g. to exclude them from Alembic's autogenerate)."""
        return self._tables.metadata

    @property
    def table_names(self) -> tuple[str, ...]:
        """The names of symprogram's tables in this database."""
        return tuple(t.name for t in self._tables.metadata.sorted_tables)

    @property
    def schema_version(self) -> int:
        """The schema version of the database (0 if it has no symprogram tables)."""
        try:
            with self.engine.connect() as conn:
                return self._read_version(conn)
        except exc.SQLAlchemyError as error:
            raise _translate(error) from error

    def _read_version(self, conn: Connection) -> int:
        names = set(sa.inspect(conn).get_table_names())
        if self._tables.schema.name not in names:
            return 0
        schema = self._tables.schema
        value = conn.execute(sa.select(sa.func.max(schema.c.version))).scalar()
        return 0 if value is None else as_int(value, "a schema version")

    def _check_schema(self, conn: Connection) -> None:
        version = self._read_version(conn)
        _rollback_quietly(conn)
        if version > SCHEMA_VERSION:
            raise _too_new(version)
        if version == 0:
            raise StorageError(
                f"the symprogram tables ({self.table_prefix}*) do not exist",
                code="schema_missing",
            )
        if version < SCHEMA_VERSION:
            raise StorageError(
                f"the symprogram tables are at schema version {version}; this release needs "
                f"{SCHEMA_VERSION}: open the store with migrate=True",
                code="schema_outdated",
                details={"found": version, "supported": SCHEMA_VERSION},
            )

    def _migrate(self, conn: Connection) -> None:
        with self._schema_lock(conn):
            for attempt in range(6):
                try:
                    self._migrate_once(conn)
                    return
                except (_MigrationRace, exc.SQLAlchemyError) as error:
                    _rollback_quietly(conn)
                    if attempt == 5:
                        if isinstance(error, exc.SQLAlchemyError):
                            raise _translate(error) from error
                        raise StorageError(
                            "the schema kept changing while migrating", code="migration_failed"
                        ) from error
                    self._sleep(0.05 * (attempt + 1))

    def _migrate_once(self, conn: Connection) -> None:
        t = self._tables
        with self._begin(conn, write=True):
            names = set(sa.inspect(conn).get_table_names())
            if t.schema.name not in names:
                if any(table.name in names for table in t.data_tables):
                    raise StorageError(
                        f"tables named {self.table_prefix}* exist but are not symprogram's; "
                        "choose another table_prefix",
                        code="not_a_symprogram_database",
                    )
                t.schema.create(conn, checkfirst=True)
                version = 0
            else:
                value = conn.execute(sa.select(sa.func.max(t.schema.c.version))).scalar()
                version = 0 if value is None else as_int(value, "a schema version")
            if version > SCHEMA_VERSION:
                raise _too_new(version)
            for number in range(version, SCHEMA_VERSION):
                description, step = _MIGRATIONS[number]
                step(conn, t)
                try:
                    conn.execute(
                        sa.insert(t.schema).values(version=number + 1, description=description)
                    )
                except exc.IntegrityError as error:
                    raise _MigrationRace from error

    @contextmanager
    def _schema_lock(self, conn: Connection) -> Iterator[None]:
        """Hold a database-wide lock for this prefix while migrating (best effort)."""
        dialect = conn.dialect.name
        name = f"symprogram:{self.table_prefix}"
        unlock: sa.TextClause | None = None
        params: dict[str, Any] = {}
        try:
            if dialect == "postgresql":
                params = {"k": (_LOCK_NAMESPACE << 32) | zlib.crc32(name.encode())}
                conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), params)
                unlock = sa.text("SELECT pg_advisory_unlock(:k)")
            elif dialect in ("mysql", "mariadb"):
                params = {"n": name[:64], "w": _LOCK_WAIT_SECONDS}
                got = conn.execute(sa.text("SELECT GET_LOCK(:n, :w)"), params).scalar()
                if got != 1:
                    raise StorageError("another process holds the schema lock", code="lock_timeout")
                unlock = sa.text("SELECT RELEASE_LOCK(:n)")
            conn.commit()
        except exc.SQLAlchemyError:
            # The database has no such locks (e.g. a PostgreSQL-compatible one):
            # migrating still works, by create-if-missing and catching the duplicate.
            _rollback_quietly(conn)
            unlock = None
        try:
            yield
        finally:
            if unlock is not None:
                try:
                    conn.execute(unlock, params)
                    conn.commit()
                except exc.SQLAlchemyError:
                    _rollback_quietly(conn)

    def drop_tables(self) -> None:
        """Drop symprogram's tables and everything in them. Irreversible.

        Meant for tests and for uninstalling; the store is closed afterwards.
        """
        try:
            with self.engine.begin() as conn:
                self._tables.metadata.drop_all(conn, checkfirst=True)
        except exc.SQLAlchemyError as error:
            raise _translate(error) from error
        self.close()

    # -- units of work -------------------------------------------------------
    @contextmanager
    def _begin(self, conn: Connection, *, write: bool) -> Iterator[RootTransaction]:
        """Begin a transaction on a connection of our own (BEGIN IMMEDIATE on SQLite writes)."""
        conn.info["symprogram_immediate"] = write
        try:
            trans = conn.begin()
        finally:
            conn.info.pop("symprogram_immediate", None)
        with trans:
            yield trans

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[SQLAlchemyTransaction]:
        """Open a unit of work: committed on a clean exit, rolled back on an exception.

        A nested block in the same thread joins the open unit of work. On a store
        bound to a host connection (:meth:`bind`, :meth:`using`), the unit of work
        is a SAVEPOINT in the host's transaction and nothing is committed.

        Raises:
            StorageError: the store is closed (``store_closed``), the database
                failed (see the module documentation for the codes); the unit
                of work was rolled back.
        """
        current = self._ambient.current()
        if current is not None:
            if current.readonly and not readonly:
                raise StorageError(
                    "cannot write inside a read-only unit of work", code="read_only_transaction"
                )
            yield current
            return
        if self._closed:
            raise StorageError("the store is closed", code="store_closed")
        host = self._bound or _USING.get().get(id(self))
        if host is not None:
            with self._joined(host, readonly) as tx:
                yield tx
            return
        with self._serialized():
            try:
                conn = self.engine.connect()
            except exc.SQLAlchemyError as error:
                raise _translate(error, during="connect") from error
            try:
                conn.info["symprogram_immediate"] = not readonly
                try:
                    trans = conn.begin()
                except exc.SQLAlchemyError as error:
                    raise _translate(error, during="begin") from error
                finally:
                    conn.info.pop("symprogram_immediate", None)
                tx = SQLAlchemyTransaction(
                    conn, self._tables, readonly, joined=False, max_data_bytes=self._max_data_bytes
                )
                with self._ambient.bind(tx):
                    try:
                        yield tx
                    except BaseException:
                        _rollback_quietly(trans)
                        raise
                try:
                    trans.commit()
                except exc.SQLAlchemyError as error:
                    _rollback_quietly(trans)
                    raise _translate(error, during="commit") from error
            finally:
                _close_quietly(conn)

    @contextmanager
    def _joined(self, host: Connection, readonly: bool) -> Iterator[SQLAlchemyTransaction]:
        try:
            savepoint = host.begin_nested()
        except exc.SQLAlchemyError as error:
            raise _joined_error(error) from error
        tx = SQLAlchemyTransaction(
            host, self._tables, readonly, joined=True, max_data_bytes=self._max_data_bytes
        )
        with self._ambient.bind(tx):
            try:
                yield tx
            except StorageError as error:
                _rollback_quietly(savepoint)
                if error.details.get("retryable"):
                    error.details["retryable"] = False
                    error.details["scope"] = "host_transaction"
                raise
            except BaseException:
                _rollback_quietly(savepoint)
                raise
        try:
            savepoint.commit()
        except exc.SQLAlchemyError as error:
            _rollback_quietly(savepoint)
            raise _joined_error(error) from error

    @contextmanager
    def _serialized(self) -> Iterator[None]:
        if self._serial is None:
            yield
            return
        with self._serial:
            yield

    def run(
        self,
        fn: Callable[[SQLAlchemyTransaction], R],
        *,
        retries: int = 3,
        readonly: bool = False,
        retry_conflicts: bool = True,
        backoff: float = 0.02,
    ) -> R:
        """Run ``fn(tx)`` in a unit of work, re-running it on transient failures.

        A unit of work that failed with a retryable :class:`StorageError`
        (``serialization_failure``, ``deadlock``, ``lock_timeout``,
        ``database_busy``, ``connection_lost`` before the commit, ...) was
        rolled back entirely, so the whole of ``fn`` is run again, up to
        ``retries`` more times, after an exponential, jittered pause. With
        ``retry_conflicts`` (the default) a :class:`~symprogram.errors.ConcurrencyError`
        (a stale version, a taken stream position) is retried too: ``fn`` must
        therefore load what it bases its writes on itself. Inside an open unit
        of work, or on a store bound to a host connection, ``fn`` runs once:
        only the host can re-run its transaction.

        Returns:
            What ``fn`` returned.

        Raises:
            ValidationError: ``retries`` or ``backoff`` is invalid.
            SymprogramError: the last failure, with ``details["attempts"]``.
        """
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValidationError(
                "retries must be a non-negative integer", field="retries", code="invalid_retries"
            )
        if isinstance(backoff, bool) or not isinstance(backoff, int | float) or not backoff >= 0:
            raise ValidationError(
                "backoff must be a non-negative number", field="backoff", code="invalid_backoff"
            )
        if not callable(fn):
            raise ValidationError("fn must be callable", field="fn", code="invalid_function")
        nested = self._ambient.current() is not None
        host = self._bound is not None or id(self) in _USING.get()
        limit = 0 if nested or host else retries
        attempt = 0
        while True:
            try:
                with self.transaction(readonly=readonly) as tx:
                    return fn(tx)
            except ConcurrencyError as error:
                if not retry_conflicts or attempt >= limit:
                    error.details["attempts"] = attempt + 1
                    raise
            except StorageError as error:
                if not error.details.get("retryable") or attempt >= limit:
                    error.details["attempts"] = attempt + 1
                    raise
            pause = min(1.0, backoff * (2**attempt)) * random.uniform(0.5, 1.5)
            attempt += 1
            self._sleep(pause)

    def close(self) -> None:
        """Release the store: dispose of the engine if :meth:`from_url` created it. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._owns_engine:
            try:
                self.engine.dispose()
            except exc.SQLAlchemyError as error:  # pragma: no cover - dispose rarely fails
                raise _translate(error) from error

    def __enter__(self) -> SQLAlchemyStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        url = self.engine.url.render_as_string(hide_password=True)
        bound = ", bound" if self._bound is not None else ""
        return f"SQLAlchemyStore({url!r}, table_prefix={self.table_prefix!r}{bound})"


def _max_data_bytes(conn: Connection) -> int | None:
    """The largest data text one statement can carry (MariaDB's max_allowed_packet), or None."""
    if conn.dialect.name not in ("mysql", "mariadb"):
        return None
    packet = conn.execute(sa.text("SELECT @@max_allowed_packet")).scalar()
    _rollback_quietly(conn)
    if not isinstance(packet, int):
        return None
    return max(1024, packet - _STATEMENT_HEADROOM)


def _too_new(version: int) -> StorageError:
    return StorageError(
        f"the database has symprogram schema version {version}; this release knows up to "
        f"{SCHEMA_VERSION}: upgrade symprogram",
        code="schema_too_new",
        details={"found": version, "supported": SCHEMA_VERSION},
    )


def _joined_error(error: exc.SQLAlchemyError) -> SymprogramError:
    translated = _translate(error)
    if translated.details.get("retryable"):
        translated.details["retryable"] = False
        translated.details["scope"] = "host_transaction"
    return translated


def _check_prefix(prefix: object) -> str:
    if not isinstance(prefix, str) or not _PREFIX_RE.match(prefix):
        raise ValidationError(
            "table_prefix must be letters, digits and '_' (at most 40, not starting with a digit)",
            field="table_prefix",
            code="invalid_table_prefix",
        )
    return prefix


def _rollback_quietly(target: Connection | sa.Transaction) -> None:
    try:
        if isinstance(target, Connection) or target.is_active:
            target.rollback()
    except (exc.SQLAlchemyError, OSError):
        pass


def _close_quietly(conn: Connection) -> None:
    with suppress(exc.SQLAlchemyError, OSError):
        conn.close()


def _create_engine(url: str | URL, engine_kwargs: dict[str, Any]) -> tuple[Engine, str | None]:
    """Create an engine with symprogram's defaults; also return the URL's table prefix."""
    if not isinstance(url, str | URL) or not url:
        raise ValidationError(
            "storage URL must be a string", field="url", code="invalid_storage_url"
        )
    try:
        parsed = sa.make_url(url)
    except (exc.ArgumentError, ValueError) as error:
        raise ValidationError(
            "not an SQLAlchemy URL (dialect+driver://user:password@host/database)",
            field="url",
            code="invalid_storage_url",
        ) from error
    prefix_value = parsed.query.get(_URL_PREFIX_PARAMETER)
    prefix = prefix_value if isinstance(prefix_value, str) else None
    if isinstance(prefix_value, tuple):
        prefix = prefix_value[-1]
    if prefix is not None:
        _check_prefix(prefix)
    parsed = parsed.difference_update_query([_URL_PREFIX_PARAMETER])
    backend = parsed.get_backend_name()
    kwargs = dict(engine_kwargs)
    sqlite_memory = False
    if backend == "sqlite":
        database = parsed.database or ""
        sqlite_memory = database in ("", ":memory:") or "mode=memory" in str(parsed)
        if sqlite_memory:
            kwargs.setdefault("poolclass", StaticPool)
            connect_args = dict(kwargs.get("connect_args") or {})
            connect_args.setdefault("check_same_thread", False)
            kwargs["connect_args"] = connect_args
        else:
            connect_args = dict(kwargs.get("connect_args") or {})
            connect_args.setdefault("timeout", 30.0)
            connect_args.setdefault("check_same_thread", False)
            kwargs["connect_args"] = connect_args
    else:
        kwargs.setdefault("pool_pre_ping", True)
    if backend == "postgresql" and parsed.get_driver_name() == "psycopg":
        # No server-side prepared statements: psycopg prepares a query after five runs
        # and the server may then keep a generic plan made while the tables were
        # small (a sequential scan), which a bulk import into a fresh database then
        # runs for every batch read until the next ANALYZE. A plan per statement
        # costs far less than a scan of a large table.
        connect_args = dict(kwargs.get("connect_args") or {})
        connect_args.setdefault("prepare_threshold", None)
        kwargs["connect_args"] = connect_args
    if backend in ("mysql", "mariadb"):
        if "charset" not in parsed.query:
            parsed = parsed.update_query_dict({"charset": "utf8mb4"})
        kwargs.setdefault("pool_recycle", 3600)
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except (exc.NoSuchModuleError, ImportError) as error:
        raise ValidationError(
            f"the database driver for {parsed.drivername!r} is not installed "
            "(pip install 'symprogram[postgres]' or 'symprogram[mariadb]')",
            field="url",
            code="sql_driver_missing",
        ) from error
    except (exc.ArgumentError, TypeError) as error:
        raise ValidationError(
            f"cannot create an engine for this URL: {error}",
            field="url",
            code="invalid_storage_url",
        ) from error
    if backend == "sqlite":
        _sqlite_transactions(engine, wal=not sqlite_memory)
    return engine, prefix


def _sqlite_transactions(engine: Engine, *, wal: bool) -> None:
    """Let SQLAlchemy, not pysqlite, begin transactions: BEGIN IMMEDIATE for writers."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA busy_timeout = 30000")
            if wal:
                enable_wal(cursor.execute)
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.info.get("symprogram_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
