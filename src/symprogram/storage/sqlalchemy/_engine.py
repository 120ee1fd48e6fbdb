"""Engines made from URLs with symprogram's defaults for each database."""

from __future__ import annotations

import codecs
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import StaticPool

from symprogram.errors import ValidationError
from symprogram.storage._base import create_private_file, enable_wal
from symprogram.storage.sqlalchemy._schema import check_prefix

__all__ = ["create_engine"]

_URL_PREFIX_PARAMETER = "symprogram_table_prefix"


def create_engine(url: str | URL, engine_kwargs: dict[str, Any]) -> tuple[Engine, str | None]:
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
        check_prefix(prefix)
    parsed = parsed.difference_update_query([_URL_PREFIX_PARAMETER])
    backend = parsed.get_backend_name()
    kwargs = dict(engine_kwargs)
    _check_encoding(backend, parsed, kwargs)
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
            # Created 0600 (its -wal and -shm files follow); an existing file is kept.
            create_private_file(database)
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
        # READ COMMITTED, as on PostgreSQL: InnoDB's default REPEATABLE READ takes gap
        # locks on a `SELECT ... FOR UPDATE` of a missing row (a new consent subject),
        # and two such units of work inserting into one gap deadlock. Stale writes are
        # still refused by the records' versions and the unique keys.
        kwargs.setdefault("isolation_level", "READ COMMITTED")
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except (exc.NoSuchModuleError, ImportError) as error:
        raise ValidationError(
            f"the database driver for {parsed.drivername!r} is not installed "
            "(pip install 'symprogram[postgres]' or 'symprogram[mariadb]')",
            field="url",
            code="sql_driver_missing",
        ) from error
    except (exc.ArgumentError, TypeError, ValueError) as error:  # e.g. ?connect_timeout=abc
        raise ValidationError(
            f"cannot create an engine for this URL: {error}",
            field="url",
            code="invalid_storage_url",
        ) from error
    if backend == "sqlite":
        _sqlite_transactions(engine, wal=not sqlite_memory)
    return engine, prefix


_ENCODINGS = {
    "mysql": ("charset", {"utf8mb4"}),
    "postgresql": ("client_encoding", {"utf8", "unicode"}),
}
"""The connection setting of each server that names its text encoding, and the values
that carry every character a program stores (4-byte UTF-8 included)."""


def _check_encoding(backend: str, parsed: URL, kwargs: dict[str, Any]) -> None:
    """Refuse a connection encoding that cannot carry every character a program stores
    (``?charset=latin1`` or ``utf8``, MySQL's 3-byte UTF-8, on MariaDB; a
    ``client_encoding`` other than UTF-8 on PostgreSQL): the driver would fail on an
    emoji, inside the store, with an error that is no ``StorageError``.

    Raises:
        ValidationError: ``invalid_storage_url`` (field ``url``).
    """
    name, allowed = _ENCODINGS.get("mysql" if backend == "mariadb" else backend, ("", set()))
    if not name:
        return
    given = [parsed.query.get(name), dict(kwargs.get("connect_args") or {}).get(name)]
    for value in given:
        values = value if isinstance(value, tuple) else (value,)
        for one in values:
            if one is not None and _narrow(str(one), allowed):
                raise ValidationError(
                    f"the connection's {name} {str(one)!r} cannot carry every character "
                    f"a program stores: leave it out or use {sorted(allowed)[0]}",
                    field="url",
                    code="invalid_storage_url",
                )


def _narrow(encoding: str, allowed: set[str]) -> bool:
    """Whether ``encoding`` is a known one, not in ``allowed`` (a name nobody knows is
    left to the driver, which refuses it as a connection setting)."""
    if encoding.lower().replace("-", "") in allowed:
        return False
    if encoding.lower() == "utf8mb3":  # MySQL's 3-byte UTF-8, a name Python does not know
        return True
    try:
        codecs.lookup(encoding)
    except LookupError:
        return False
    return True


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
