"""The SQL adapter's tables, their schema version and its migrations."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.dialects import mysql as mysql_dialect
from sqlalchemy.engine import Connection, RootTransaction

from symprogram._checks import check_match
from symprogram.errors import StorageError
from symprogram.persistence import MAX_KEY_LENGTH
from symprogram.storage._base import as_int
from symprogram.storage._views import create_statements, drop_statements, supports, view_names
from symprogram.storage.sqlalchemy._errors import rollback_quietly, translate

__all__ = [
    "DEFAULT_TABLE_PREFIX",
    "SCHEMA_VERSION",
    "Tables",
    "check_prefix",
    "check_schema",
    "max_data_bytes",
    "migrate",
    "read_version",
]

DEFAULT_TABLE_PREFIX = "sp_"
"""The prefix of symprogram's table names unless another is given."""

_PREFIX_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")
_LOCK_NAMESPACE = 0x53594D50  # "SYMP": high half of the PostgreSQL advisory lock key
_LOCK_WAIT_SECONDS = 60
_STATEMENT_HEADROOM = 16 * 1024  # bytes of a statement besides the data: SQL text, keys


class Tables:
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

        # The read-only reporting views (symprogram.storage._views), quoted as the
        # tables are: none on databases other than SQLite, PostgreSQL and MariaDB.
        quote = dialect.identifier_preparer.quote
        # MariaDB through a mysql+ driver is named "mysql": its collations are its own
        name = "mariadb" if getattr(dialect, "is_mariadb", False) else dialect.name
        self.view_names = view_names(prefix) if supports(name) else ()
        self.view_drops = drop_statements(name, prefix, quote)
        self.view_creates = create_statements(name, prefix, quote)

    @property
    def data_tables(self) -> tuple[sa.Table, ...]:
        return (self.records, self.index, self.streams)

    def drop_views(self, conn: Connection) -> None:
        """Drop the reporting views (before the tables they read are changed or dropped)."""
        for statement in self.view_drops:
            conn.execute(sa.DDL(statement))  # type: ignore[no-untyped-call]

    def create_views(self, conn: Connection) -> None:
        """Create the reporting views over the current tables."""
        for statement in self.view_creates:
            conn.execute(sa.DDL(statement))  # type: ignore[no-untyped-call]


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


def _migration_1(conn: Connection, tables: Tables) -> None:
    for table in tables.data_tables:
        table.create(conn, checkfirst=True)


def _migration_2(conn: Connection, tables: Tables) -> None:
    """The reporting views: created after every migration forward (see :func:`_migrate_once`)."""


def _migration_3(conn: Connection, tables: Tables) -> None:
    """The reporting views again: on MariaDB and MySQL their text columns compare by
    code point, as the tables' do (the views are dropped before and created after every
    migration forward, see :func:`_migrate_once`)."""


_MIGRATIONS: tuple[tuple[str, Callable[[Connection, Tables], None]], ...] = (
    ("records, unique index and streams", _migration_1),
    ("reporting views", _migration_2),
    ("reporting views compare text by code point", _migration_3),
)

SCHEMA_VERSION = len(_MIGRATIONS)
"""The schema version this release writes; older databases are migrated forward on open."""


class _MigrationRace(Exception):
    """Another process changed the schema at the same time: try again."""


def read_version(conn: Connection, tables: Tables) -> int:
    """The schema version of the database (0 if it has no symprogram tables)."""
    names = set(sa.inspect(conn).get_table_names())
    if tables.schema.name not in names:
        return 0
    value = conn.execute(sa.select(sa.func.max(tables.schema.c.version))).scalar()
    return 0 if value is None else as_int(value, "a schema version")


def check_schema(conn: Connection, tables: Tables, prefix: str) -> None:
    """Refuse a database whose schema is not exactly this release's (``migrate=False``)."""
    version = read_version(conn, tables)
    rollback_quietly(conn)
    if version > SCHEMA_VERSION:
        raise _too_new(version)
    if version == 0:
        raise StorageError(
            f"the symprogram tables ({prefix}*) do not exist",
            code="schema_missing",
        )
    if version < SCHEMA_VERSION:
        raise StorageError(
            f"the symprogram tables are at schema version {version}; this release needs "
            f"{SCHEMA_VERSION}: open the store with migrate=True",
            code="schema_outdated",
            details={"found": version, "supported": SCHEMA_VERSION},
        )


def migrate(conn: Connection, tables: Tables, prefix: str, sleep: Callable[[float], None]) -> None:
    """Create or migrate the tables forward, under a database-wide lock (best effort),
    trying again while another process changes the schema at the same time."""
    with _schema_lock(conn, prefix):
        for attempt in range(6):
            try:
                _migrate_once(conn, tables, prefix)
                return
            except (_MigrationRace, exc.SQLAlchemyError) as error:
                rollback_quietly(conn)
                if attempt == 5:
                    if isinstance(error, exc.SQLAlchemyError):
                        raise translate(error) from error
                    raise StorageError(
                        "the schema kept changing while migrating", code="migration_failed"
                    ) from error
                sleep(0.05 * (attempt + 1))


def _migrate_once(conn: Connection, t: Tables, prefix: str) -> None:
    with _begin(conn, write=True):
        names = set(sa.inspect(conn).get_table_names())
        if t.schema.name not in names:
            if any(table.name in names for table in t.data_tables):
                raise StorageError(
                    f"tables named {prefix}* exist but are not symprogram's; "
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
        if version == SCHEMA_VERSION:
            return
        # Views first out, last in: a step may then change or drop the tables they read,
        # and a newer release's views replace the older ones.
        t.drop_views(conn)
        for number in range(version, SCHEMA_VERSION):
            description, step = _MIGRATIONS[number]
            step(conn, t)
            try:
                conn.execute(
                    sa.insert(t.schema).values(version=number + 1, description=description)
                )
            except exc.IntegrityError as error:
                raise _MigrationRace from error
        t.create_views(conn)


@contextmanager
def _schema_lock(conn: Connection, prefix: str) -> Iterator[None]:
    """Hold a database-wide lock for this prefix while migrating (best effort)."""
    dialect = conn.dialect.name
    name = f"symprogram:{prefix}"
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
        rollback_quietly(conn)
        unlock = None
    try:
        yield
    finally:
        if unlock is not None:
            try:
                conn.execute(unlock, params)
                conn.commit()
            except exc.SQLAlchemyError:
                rollback_quietly(conn)


@contextmanager
def _begin(conn: Connection, *, write: bool) -> Iterator[RootTransaction]:
    """Begin a transaction on a connection of our own (BEGIN IMMEDIATE on SQLite writes)."""
    conn.info["symprogram_immediate"] = write
    try:
        trans = conn.begin()
    finally:
        conn.info.pop("symprogram_immediate", None)
    with trans:
        yield trans


def max_data_bytes(conn: Connection) -> int | None:
    """The largest data text one statement can carry (MariaDB's max_allowed_packet), or None."""
    if conn.dialect.name not in ("mysql", "mariadb"):
        return None
    packet = conn.execute(sa.text("SELECT @@max_allowed_packet")).scalar()
    rollback_quietly(conn)
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


def check_prefix(prefix: object) -> str:
    """Validate a table prefix (letters, digits and ``_``, at most 40, no leading digit)."""
    return check_match(
        prefix,
        "table_prefix",
        _PREFIX_RE,
        message="table_prefix must be letters, digits and '_' (at most 40, not starting with a "
        "digit)",
        code="invalid_table_prefix",
    )
