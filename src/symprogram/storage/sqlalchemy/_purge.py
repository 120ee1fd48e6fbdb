"""The purge step after an erasure: rewrite symprogram's tables so that no erased value
stays in the database's table files (dead tuples, old row versions, free pages).

Deleting or rewriting a row on a server leaves its old version in the table files
until the server reuses the space: PostgreSQL keeps dead tuples until a vacuum and
even ``VACUUM`` only marks them reusable, and its planner statistics
(``pg_statistic``, shown by ``pg_stats``) keep sampled column values; InnoDB keeps
old versions in its pages and undo logs. :func:`purge` rewrites the tables
(``VACUUM (FULL, ANALYZE)``, ``VACUUM FULL pg_catalog.pg_statistic`` then
``CHECKPOINT`` on PostgreSQL, ``OPTIMIZE TABLE`` on MariaDB and MySQL, ``VACUUM`` and a truncating
WAL checkpoint on SQLite). It takes an exclusive lock on each table while it runs:
schedule it, e.g. after the day's erasures. What the server still keeps elsewhere
(its WAL or binary log until recycled, replicas, backups) is listed in
``docs/howto-erasure.md``.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Engine

from symprogram.errors import StorageError, ValidationError
from symprogram.storage.sqlalchemy._errors import translate
from symprogram.storage.sqlalchemy._schema import DEFAULT_TABLE_PREFIX, Tables, check_prefix

if TYPE_CHECKING:
    from symprogram.storage.sqlalchemy.store import SQLAlchemyStore

__all__ = ["purge"]


def _statements(dialect: sa.Dialect, tables: list[str]) -> list[str]:
    quote = dialect.identifier_preparer.quote
    name = dialect.name
    if name == "postgresql":
        # ANALYZE replaces the planner's samples of the old rows (pg_statistic keeps
        # column values); rewriting pg_statistic drops its dead tuples holding them.
        rewrites = [f"VACUUM (FULL, ANALYZE) {quote(t)}" for t in tables]
        return [*rewrites, "VACUUM FULL pg_catalog.pg_statistic", "CHECKPOINT"]
    if name in ("mysql", "mariadb"):
        return [f"OPTIMIZE TABLE {', '.join(quote(t) for t in tables)}"]
    if name == "sqlite":
        return ["VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"]
    raise StorageError(f"no purge step is known for {name} databases", code="purge_unsupported")


def purge(target: Engine | SQLAlchemyStore, *, table_prefix: str | None = None) -> tuple[str, ...]:
    """Rewrite symprogram's tables so that erased values leave the table files.

    Run it after :meth:`symprogram.Program.erase_person` (for example once a day):
    PostgreSQL ``VACUUM (FULL, ANALYZE)`` of each table (indexes and TOAST
    included; the planner statistics sampled again from the live rows), ``VACUUM
    FULL`` of the catalog ``pg_statistic`` (which keeps sampled column values; a
    role that may not vacuum it gets a warning and it is skipped) and a
    ``CHECKPOINT``; MariaDB/MySQL ``OPTIMIZE TABLE`` (InnoDB rebuilds the table);
    SQLite ``VACUUM`` and ``PRAGMA wal_checkpoint(TRUNCATE)``. Each table is locked
    while it is rewritten. ``CHECKPOINT`` needs a superuser or the
    ``pg_checkpoint`` role. A row version that a transaction still open elsewhere
    in the database may see survives the rewrite: run it when no long transaction
    is open (or again once they have ended).

    Args:
        target: a store (its engine and table prefix) or an engine.
        table_prefix: the tables' prefix with an engine (default ``sp_``).

    Returns:
        The statements run.

    Raises:
        ValidationError: ``invalid_engine``, ``invalid_table_prefix``.
        StorageError: ``purge_unsupported`` (another database), or a translated
            database error (``permission_denied``, ``lock_timeout``, ...).

    Example:
        >>> from symprogram.storage.sqlalchemy import SQLAlchemyStore, purge
        >>> store = SQLAlchemyStore.from_url("sqlite+pysqlite://")
        >>> purge(store)
        ('VACUUM', 'PRAGMA wal_checkpoint(TRUNCATE)')
        >>> store.close()
    """
    if isinstance(target, Engine):
        engine, prefix = target, check_prefix(table_prefix or DEFAULT_TABLE_PREFIX)
    elif isinstance(getattr(target, "engine", None), Engine):
        engine, prefix = target.engine, target.table_prefix
    else:
        raise ValidationError(
            "purge needs an SQLAlchemy Engine or SQLAlchemyStore",
            field="target",
            code="invalid_engine",
        )
    tables = [t.name for t in Tables(prefix, engine.dialect).metadata.sorted_tables]
    statements = _statements(engine.dialect, tables)
    try:
        if engine.dialect.name == "sqlite":
            _run_raw(engine, statements)  # the adapter's own BEGIN would wrap a VACUUM
        else:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for statement in statements:
                    result = conn.exec_driver_sql(statement)
                    if result.returns_rows:
                        result.fetchall()
    except exc.SQLAlchemyError as error:
        raise translate(error) from error
    except sqlite3.Error as error:
        raise StorageError(f"the purge failed: {error}", code="storage_error") from error
    return tuple(statements)


def _run_raw(engine: Engine, statements: list[str]) -> None:
    """Run ``statements`` on a pooled SQLite connection outside any transaction."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            for statement in statements:
                cursor.execute(statement)
                cursor.fetchall()
        finally:
            cursor.close()
    finally:
        raw.close()
