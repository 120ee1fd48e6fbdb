"""The SQL adapter's store: construction, schema, units of work and retries."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import URL, Connection, Engine

from symprogram._closing import Closing
from symprogram.errors import ConcurrencyError, StorageError, SymprogramError, ValidationError
from symprogram.storage._base import CommitHooks, Units, check_callback
from symprogram.storage.sqlalchemy import _host_commit
from symprogram.storage.sqlalchemy._engine import create_engine
from symprogram.storage.sqlalchemy._errors import (
    close_quietly,
    connect_failure,
    joined_error,
    rollback_quietly,
    translate,
)
from symprogram.storage.sqlalchemy._schema import (
    DEFAULT_TABLE_PREFIX,
    Tables,
    check_prefix,
    check_schema,
    max_data_bytes,
    read_version,
)
from symprogram.storage.sqlalchemy._schema import migrate as migrate_schema
from symprogram.storage.sqlalchemy._transaction import SQLAlchemyTransaction

__all__ = ["SQLAlchemyStore"]

_SNAPSHOT_READS = frozenset({"postgresql", "mysql", "mariadb"})
"""Dialects whose read-only units of work read one snapshot (REPEATABLE READ)."""

R = TypeVar("R")

_USING: ContextVar[Mapping[int, Connection]] = ContextVar(
    "symprogram_sqlalchemy_using", default=MappingProxyType({})
)


class SQLAlchemyStore(Closing, CommitHooks):
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
        StorageError: the database cannot be reached (``database_unavailable``,
            retryable), refuses the user or its password (``access_denied``), does
            not exist (``database_not_found``) or refuses the connection settings
            (``invalid_connection_settings``), was migrated by a newer release
            (``schema_too_new``), or holds tables of the same names that are not
            symprogram's (``not_a_symprogram_database``).
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
        self.table_prefix = check_prefix(table_prefix)
        self.engine = engine
        self._owns_engine = False
        self._closed = False
        self._bound: Connection | None = None
        self._units = Units(self._begin, self._end)
        self._sleep: Callable[[float], None] = time.sleep
        conn = _connect(engine)  # also lets the dialect learn the server (MariaDB or MySQL)
        try:
            _require_database(conn)
            self._tables = Tables(self.table_prefix, conn.dialect)
            self._max_data_bytes = max_data_bytes(conn)
            if migrate:
                migrate_schema(conn, self._tables, self.table_prefix, self._sleep)
            else:
                check_schema(conn, self._tables, self.table_prefix)
        except exc.SQLAlchemyError as error:
            raise translate(error) from error
        finally:
            close_quietly(conn)

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
        engine, url_prefix = create_engine(url, engine_kwargs)
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
            store._units = Units(store._begin, store._end, lock=threading.RLock())
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
        _check_connection(connection)
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
        _check_connection(connection)
        return self._clone(connection)

    @contextmanager
    def using(self, connection: Connection) -> Iterator[SQLAlchemyStore]:
        """Within the block (in this thread or task), units of work join ``connection``.

        Meant for web frameworks: wire a :class:`~symprogram.program.Program` once,
        and in a request middleware that owns a connection and its transaction::

            with engine.begin() as conn, store.using(conn):
                program.accounts.register(...)
        """
        _check_connection(connection)
        token = _USING.set(MappingProxyType({**_USING.get(), id(self): connection}))
        try:
            yield self
        finally:
            _USING.reset(token)

    def on_host_commit(self, callback: Callable[[SQLAlchemyStore], None]) -> bool:
        """Defer ``callback`` until the host's transaction commits, if units of work
        join one now.

        On a store bound to a host's connection (:meth:`bind`, or inside
        :meth:`using`), ``callback(store)`` runs once the host's transaction has
        committed, with a store on the same tables whose units of work do not join
        it (they use connections of their own); it never runs if the host rolls the
        transaction back. The outbox uses it to deliver messages after the host's
        commit (:mod:`symprogram.outbox`).

        Returns:
            True if deferred; False if units of work commit on their own (the
            caller then acts at once).

        Raises:
            ValidationError: ``callback`` is not callable (``invalid_callback``).
        """
        check_callback(callback)
        host = self._bound or _USING.get().get(id(self))
        if host is None:
            return False
        _host_commit.defer(host, lambda: callback(self._detached()))
        return True

    def _detached(self) -> SQLAlchemyStore:
        """A store on the same engine and tables whose units of work join no host."""
        return self._clone(None)

    def _clone(self, bound: Connection | None) -> SQLAlchemyStore:
        """A store on the same engine and tables, open, not owning the engine, whose
        units of work join ``bound`` (none: they use connections of their own)."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone._units = Units(clone._begin, clone._end)
        clone._owns_engine = False
        clone._bound = bound
        clone._closed = False
        return clone

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
    def view_names(self) -> tuple[str, ...]:
        """The read-only reporting views in this database (``sp_v_candidates``, ...).

        Created with the tables on SQLite, PostgreSQL and MariaDB (none elsewhere);
        see ``docs/howto-reporting-views.md`` for their columns and example queries.
        """
        return self._tables.view_names

    @property
    def schema_version(self) -> int:
        """The schema version of the database (0 if it has no symprogram tables)."""
        try:
            with self.engine.connect() as conn:
                return read_version(conn, self._tables)
        except exc.SQLAlchemyError as error:
            raise translate(error) from error

    def drop_tables(self) -> None:
        """Drop symprogram's tables and views, and everything in them. Irreversible.

        Meant for tests and for uninstalling; the store is closed afterwards.
        """
        try:
            with self.engine.begin() as conn:
                self._tables.drop_views(conn)
                self._tables.metadata.drop_all(conn, checkfirst=True)
        except exc.SQLAlchemyError as error:
            raise translate(error) from error
        self.close()

    # -- units of work -------------------------------------------------------
    def transaction(
        self, *, readonly: bool = False
    ) -> AbstractContextManager[SQLAlchemyTransaction]:
        """Open a unit of work: committed on a clean exit, rolled back on an exception.

        A nested block in the same thread joins the open unit of work. On a store
        bound to a host connection (:meth:`bind`, :meth:`using`), the unit of work
        is a SAVEPOINT in the host's transaction and nothing is committed.

        Raises:
            StorageError: the store is closed (``store_closed``), the database
                failed (see the module documentation for the codes); the unit
                of work was rolled back.
        """
        return self._units(readonly)

    def _begin(self, readonly: bool) -> SQLAlchemyTransaction:
        """Begin a unit of work (see :class:`~symprogram.storage._base.Units`)."""
        if self._closed:
            raise StorageError("the store is closed", code="store_closed")
        host = self._bound or _USING.get().get(id(self))
        if host is not None:
            try:
                savepoint = host.begin_nested()
            except exc.SQLAlchemyError as error:
                raise joined_error(error) from error
            tx = self._unit(host, readonly, joined=True)
            tx._outer = savepoint
            return tx
        conn = _connect(self.engine)
        try:
            conn.info["symprogram_immediate"] = not readonly
            try:
                trans = conn.begin()
            except exc.SQLAlchemyError as error:
                raise translate(error, during="begin") from error
            finally:
                conn.info.pop("symprogram_immediate", None)
            if readonly and self.engine.dialect.name in _SNAPSHOT_READS:
                _read_one_snapshot(conn)
        except BaseException:
            close_quietly(conn)
            raise
        tx = self._unit(conn, readonly, joined=False)
        tx._outer = trans
        return tx

    def _unit(self, conn: Connection, readonly: bool, *, joined: bool) -> SQLAlchemyTransaction:
        return SQLAlchemyTransaction(
            conn, self._tables, readonly, joined=joined, max_data_bytes=self._max_data_bytes
        )

    def _end(self, tx: SQLAlchemyTransaction, error: BaseException | None) -> None:
        """Commit (``error`` is None) or roll back a unit of work begun by :meth:`_begin`."""
        outer = tx._outer
        if outer is None:  # pragma: no cover - every unit of work has one
            return
        if tx._joined:
            _end_joined(outer, error)
            return
        try:
            if error is not None:
                rollback_quietly(outer)
                return
            try:
                outer.commit()
            except exc.SQLAlchemyError as failure:
                rollback_quietly(outer)
                raise translate(failure, during="commit") from failure
        finally:
            close_quietly(tx._conn)

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
        nested = self._units.current() is not None
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
                raise translate(error) from error

    def __repr__(self) -> str:
        url = self.engine.url.render_as_string(hide_password=True)
        bound = ", bound" if self._bound is not None else ""
        return f"SQLAlchemyStore({url!r}, table_prefix={self.table_prefix!r}{bound})"


def _connect(engine: Engine) -> Connection:
    """A connection of ``engine``; every failure translated (never a driver's own)."""
    try:
        return engine.connect()
    except exc.SQLAlchemyError as error:
        raise translate(error, during="connect") from error
    except SymprogramError:
        raise  # a host's connect hook refusing with our own error
    except Exception as error:  # the driver's own checks of its arguments
        raise connect_failure(error) from error


def _check_connection(connection: object) -> None:
    if not isinstance(connection, Connection):
        raise ValidationError(
            "connection must be an SQLAlchemy Connection",
            field="connection",
            code="invalid_connection",
        )


def _end_joined(savepoint: sa.Transaction, error: BaseException | None) -> None:
    """Release or roll back the SAVEPOINT of a unit of work inside a host's transaction.

    A failure there is never retryable by symprogram: only the host can re-run
    its transaction (``details["scope"] = "host_transaction"``).
    """
    if error is not None:
        rollback_quietly(savepoint)
        if isinstance(error, StorageError) and error.details.get("retryable"):
            error.details["retryable"] = False
            error.details["scope"] = "host_transaction"
        return
    try:
        savepoint.commit()
    except exc.SQLAlchemyError as failure:
        rollback_quietly(savepoint)
        raise joined_error(failure) from failure


def _read_one_snapshot(conn: Connection) -> None:
    """Make the read-only unit of work just begun on ``conn`` read one snapshot.

    A verification reads a stream's head, its entries and the aggregate beside it;
    under READ COMMITTED (the servers' isolation for writers) a writer committing
    in between makes them disagree: a false ``truncated`` or ``aggregate_mismatch``.
    A read-only REPEATABLE READ unit of work takes no locks and is never refused
    for a serialization failure. The statement sets this unit of work only (the
    first of its transaction on PostgreSQL, before it on MariaDB and MySQL).

    Raises:
        StorageError: the server refused it (translated).
    """
    try:
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    except exc.SQLAlchemyError as error:
        raise translate(error, during="begin") from error


def _require_database(conn: Connection) -> None:
    """Refuse a MySQL or MariaDB connection with no database selected: its tables
    would have no schema to live in.

    Raises:
        ValidationError: ``invalid_storage_url``, field ``url``.
    """
    if conn.dialect.name in ("mysql", "mariadb") and not conn.dialect.default_schema_name:
        raise ValidationError(
            "the URL names no database: give one, as in mysql+pymysql://user@host/DATABASE",
            field="url",
            code="invalid_storage_url",
        )
