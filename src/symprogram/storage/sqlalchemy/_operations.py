"""The single-item operations of the SQL adapter's unit of work (the port's
:class:`~symprogram.persistence.Transaction`); the batches are in ``_transaction``."""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection, CursorResult

from symprogram.errors import ConcurrencyError, LimitExceeded
from symprogram.persistence import Record
from symprogram.storage import _base as base
from symprogram.storage._base import as_int, as_text
from symprogram.storage.sqlalchemy._errors import is_duplicate, translate
from symprogram.storage.sqlalchemy._schema import Tables
from symprogram.storage.sqlalchemy._text import (
    decode_data,
    encode_data,
    name_range,
)

__all__: list[str] = []

_ROW_LOCKS = frozenset({"postgresql", "mysql", "mariadb", "cockroachdb"})
"""Dialects whose writing units of work lock rows with ``SELECT ... FOR UPDATE``."""


def _listing(column: sa.ColumnElement[Any], prefix: str, after: str | None, limit: int) -> Any:
    """Check the arguments of a listing; its WHERE condition (None: nothing matches)."""
    base.check_limit(limit)
    base.check_bounds(prefix, after)
    return name_range(column, prefix, after)


class _Operations:
    """Records, the unique index and streams, one item at a time, on one connection."""

    def __init__(
        self,
        conn: Connection,
        tables: Tables,
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
        self._outer: sa.Transaction | None = None  # what the store commits or rolls back
        # See symprogram.storage.sqlalchemy._postgres.
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
            raise translate(error) from error

    def _rows(self, statement: sa.Executable) -> list[Any]:
        try:
            return list(self._conn.execute(statement).all())
        except exc.SQLAlchemyError as error:
            raise translate(error) from error

    def _stored(self, data: str) -> str:
        """The data as stored, checked against the server's statement size limit."""
        stored = encode_data(data)
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
        # InnoDB rolls back only the failed statement on a duplicate key; elsewhere a
        # savepoint keeps the transaction usable after one.
        nested = self._dialect not in ("mysql", "mariadb")
        try:
            with self._conn.begin_nested() if nested else contextlib.nullcontext():
                self._conn.execute(statement)
        except exc.IntegrityError as error:
            if is_duplicate(error):
                return False
            raise translate(error) from error
        except exc.SQLAlchemyError as error:
            raise translate(error) from error
        return True

    def load(self, kind: str, key: str) -> Record | None:
        """Return the record, or ``None`` if there is none."""
        return self._load(kind, key, lock=False)

    def load_for_update(self, kind: str, key: str) -> Record | None:
        """:meth:`load`; in a writing unit of work on a server, ``SELECT ... FOR UPDATE``.

        The row stays locked until the unit of work ends, so writers of one
        aggregate queue (see :class:`symprogram.persistence.LockingTransaction`).
        SQLite serialises writers anyway (``BEGIN IMMEDIATE``): a plain read there.
        """
        return self._load(kind, key, lock=not self.readonly and self._dialect in _ROW_LOCKS)

    def _load(self, kind: str, key: str, *, lock: bool) -> Record | None:
        base.check_pair(kind, key)
        r = self._t.records
        statement = sa.select(r.c.version, r.c.data).where(r.c.kind == kind, r.c.key == key)
        rows = self._rows(statement.with_for_update() if lock else statement)
        if not rows:
            return None
        version, data = rows[0]
        return Record(
            kind, key, as_int(version, "a version"), decode_data(as_text(data, "a record"))
        )

    def _version(self, kind: str, key: str) -> int | None:
        r = self._t.records
        rows = self._rows(sa.select(r.c.version).where(r.c.kind == kind, r.c.key == key))
        return None if not rows else as_int(rows[0][0], "a version")

    def _stale(self, kind: str, key: str, expected: int) -> ConcurrencyError:
        return base.stale_version(kind, key, self._version(kind, key) or 0, expected)

    def save(self, kind: str, key: str, data: str, expected_version: int) -> int:
        """Write a record based on ``expected_version`` (0: it must not exist yet).

        Returns the new version.

        Raises:
            ConcurrencyError: the stored version differs (code ``base.stale_version``).
        """
        base.check_save(kind, key, data, expected_version)
        base.check_writable(self.readonly)
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
            NotFound: there is no such record (code ``base.record_not_found``).
            ConcurrencyError: the stored version differs.
        """
        base.check_pair(kind, key)
        base.check_version(expected_version)
        base.check_writable(self.readonly)
        r = self._t.records
        result = self._exec(
            sa.delete(r).where(r.c.kind == kind, r.c.key == key, r.c.version == expected_version)
        )
        if result.rowcount == 1:
            return
        current = self._version(kind, key)
        if current is None:
            raise base.record_not_found(kind, key)
        raise base.stale_version(kind, key, current, expected_version)

    def scan(
        self, kind: str, *, prefix: str = "", after: str | None = None, limit: int = 500
    ) -> list[Record]:
        """Return up to ``limit`` records of ``kind`` whose key starts with ``prefix``
        and sorts (by code point) after ``after``, in key order."""
        base.check_key(kind, "kind")
        r = self._t.records
        condition = _listing(r.c.key, prefix, after, limit)
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
                decode_data(as_text(d, "a record")),
            )
            for k, v, d in rows
        ]

    # -- unique index ----------------------------------------------------------
    def index_put(self, index: str, value: str, key: str) -> None:
        """Point ``value`` at ``key`` in a unique index.

        Raises:
            Conflict: another key holds ``value`` (code ``duplicate``).
        """
        base.check_index(index, value, key)
        base.check_writable(self.readonly)
        current = self.index_get(index, value)
        if current == key:
            return
        if current is None and self._insert_new(
            self._t.index, {"name": index, "value": value, "key": key}
        ):
            return
        if current is None and self.index_get(index, value) == key:
            return
        raise base.value_taken(index, value)

    def index_get(self, index: str, value: str) -> str | None:
        """Return the key ``value`` points at, or ``None``."""
        base.check_key(index, "index")
        base.check_key(value, "value")
        i = self._t.index
        rows = self._rows(sa.select(i.c.key).where(i.c.name == index, i.c.value == value))
        return None if not rows else as_text(rows[0][0], "an index key")

    def index_delete(self, index: str, value: str) -> None:
        """Remove ``value`` from the index (no error if absent)."""
        base.check_key(index, "index")
        base.check_key(value, "value")
        base.check_writable(self.readonly)
        i = self._t.index
        self._exec(sa.delete(i).where(i.c.name == index, i.c.value == value))

    # -- streams ---------------------------------------------------------------
    def stream_length(self, stream: str) -> int:
        """Return the number of entries in ``stream`` (its last position)."""
        base.check_key(stream, "stream")
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
        base.check_entry(stream, position, data)
        base.check_writable(self.readonly)
        length = self.stream_length(stream)
        if position == length + 1 and self._insert_new(
            self._t.streams, {"stream": stream, "position": position, "data": self._stored(data)}
        ):
            return
        if position == length + 1:
            length = self.stream_length(stream)
        raise base.position_taken(stream, length, position)

    def read(
        self, stream: str, *, after: int = 0, limit: int | None = None
    ) -> list[tuple[int, str]]:
        """Return ``(position, data)`` entries after position ``after``, in order."""
        base.check_read(stream, after, limit)
        s = self._t.streams
        statement = (
            sa.select(s.c.position, s.c.data)
            .where(s.c.stream == stream, s.c.position > after)
            .order_by(s.c.position)
        )
        if limit is not None:
            statement = statement.limit(limit)
        rows = self._rows(statement)
        return [(as_int(p, "a position"), decode_data(as_text(d, "an entry"))) for p, d in rows]

    def streams(self, *, prefix: str = "", after: str | None = None, limit: int = 500) -> list[str]:
        """Return stream names starting with ``prefix`` after ``after``, in order."""
        s = self._t.streams
        condition = _listing(s.c.stream, prefix, after, limit)
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
        base.check_entry(stream, position, data)
        base.check_writable(self.readonly)
        s = self._t.streams
        result = self._exec(
            sa.update(s)
            .where(s.c.stream == stream, s.c.position == position)
            .values(data=self._stored(data))
        )
        if result.rowcount != 1:
            raise base.entry_not_found(stream, position)
