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
  helpers write each record once, at its final version (a record added and saved
  again in one batch is one insert), with one statement per table inside a
  SAVEPOINT: ``COPY`` for new rows on PostgreSQL with psycopg 3, one
  ``UPDATE ... FROM unnest(...)`` for changed records on PostgreSQL (each found by
  a primary-key probe), ``executemany`` elsewhere (PyMySQL folds it into
  multi-row inserts); batched reads use ``IN`` lists (primary-key probes over
  ``unnest`` on PostgreSQL): a few round trips per batch instead of one per item;
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

**erasure** — :func:`purge` rewrites the tables after an erasure so that no erased
value stays in the table files or the planner statistics (``VACUUM (FULL, ANALYZE)``,
``VACUUM FULL pg_statistic`` + ``CHECKPOINT`` on PostgreSQL,
``OPTIMIZE TABLE`` on MariaDB; see ``docs/howto-erasure.md``).

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

The adapter is registered for the ``postgresql``, ``mysql``, ``mariadb``,
``cockroachdb``, ``mssql``, ``oracle`` and ``sqlite+pysqlite`` URL schemes of
the ``symprogram.storage`` entry-point group (:func:`open_url`), so
:func:`symprogram.storage.open_store` and ``Program.open(url)`` find it.
"""

from __future__ import annotations

from symprogram.storage.sqlalchemy._errors import translate as _translate  # noqa: F401  (tests)
from symprogram.storage.sqlalchemy._purge import purge
from symprogram.storage.sqlalchemy._schema import DEFAULT_TABLE_PREFIX, SCHEMA_VERSION
from symprogram.storage.sqlalchemy._transaction import SQLAlchemyTransaction
from symprogram.storage.sqlalchemy.store import SQLAlchemyStore

__all__ = [
    "DEFAULT_TABLE_PREFIX",
    "SCHEMA_VERSION",
    "SQLAlchemyStore",
    "SQLAlchemyTransaction",
    "open_url",
    "purge",
]


def open_url(url: str) -> SQLAlchemyStore:
    """The adapter factory of the ``symprogram.storage`` entry points: a store on
    any SQLAlchemy URL (engine created and owned by the store).

    Raises:
        ValidationError: the URL is malformed (``invalid_storage_url``) or its
            driver is not installed (``sql_driver_missing``).
        StorageError: the database cannot be reached or its schema is refused.
    """
    return SQLAlchemyStore.from_url(url)
