"""SQLAlchemyStore's own behaviour: schema, URLs, host transactions, run(), errors, text.

Each test runs on SQLite through SQLAlchemy and, when their URLs are set, on
PostgreSQL and MariaDB (see ``SYMPROGRAM_TEST_POSTGRES_URL`` and
``SYMPROGRAM_TEST_MARIADB_URL``); every store uses a fresh table prefix whose
tables are dropped afterwards.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pymysql  # type: ignore[import-untyped]
import pytest
import sqlalchemy as sa
from sqlalchemy import exc

from symprogram.errors import (
    ConcurrencyError,
    LimitExceeded,
    StorageError,
    ValidationError,
)
from symprogram.persistence import MAX_KEY_LENGTH
from symprogram.storage import open_store
from symprogram.storage import sqlalchemy as sqla
from symprogram.storage._views import VIEWS
from symprogram.storage.sqlalchemy import SCHEMA_VERSION, SQLAlchemyStore

SERVERS = {
    "postgresql": "SYMPROGRAM_TEST_POSTGRES_URL",
    "mariadb": "SYMPROGRAM_TEST_MARIADB_URL",
}


def backend_url(name: str, tmp_path: Path) -> str:
    """The URL of a backend: an SQLite file, or a server from the environment (else skip)."""
    if name == "sqlite":
        return f"sqlite+pysqlite:///{tmp_path}/store.db"
    url = os.environ.get(SERVERS[name])
    if not url:
        pytest.skip(f"set {SERVERS[name]} to run the {name} adapter tests")
    return url


class Opener:
    """Opens stores on one backend under fresh prefixes and drops their tables at the end."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.prefixes: set[str] = set()

    def prefix(self) -> str:
        prefix = f"t{uuid.uuid4().hex[:12]}_"
        self.prefixes.add(prefix)
        return prefix

    def __call__(self, prefix: str | None = None, **kwargs: Any) -> SQLAlchemyStore:
        prefix = prefix or self.prefix()
        self.prefixes.add(prefix)
        return SQLAlchemyStore.from_url(self.url, table_prefix=prefix, **kwargs)

    def cleanup(self) -> None:
        engine = sa.create_engine(self.url)
        try:
            with engine.begin() as conn:
                names = set(sa.inspect(conn).get_table_names())
                for prefix in self.prefixes:
                    for view in VIEWS:  # the reporting views read the tables
                        conn.execute(sa.text(f"DROP VIEW IF EXISTS {prefix}{view}"))
                    for suffix in ("records", "index", "streams", "schema", "other"):
                        if prefix + suffix in names:
                            conn.execute(sa.text(f"DROP TABLE {prefix}{suffix}"))
        finally:
            engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """A factory of stores on each backend."""
    opener = Opener(backend_url(request.param, tmp_path))
    yield opener
    opener.cleanup()


_SHARED: dict[str, str] = {}


@pytest.fixture(scope="module", autouse=True)
def _drop_shared_tables() -> Iterator[None]:
    """Drop the tables shared by the ``store`` fixture after the module."""
    yield
    for url, prefix in _SHARED.items():
        SQLAlchemyStore.from_url(url, table_prefix=prefix).drop_tables()
    _SHARED.clear()


@pytest.fixture
def store(opener: Opener) -> Iterator[SQLAlchemyStore]:
    """An empty store on each backend (one prefix per server, emptied before each test)."""
    if opener.url.startswith("sqlite"):
        store = opener()
    else:
        known = opener.url in _SHARED
        prefix = _SHARED.setdefault(opener.url, f"s{uuid.uuid4().hex[:12]}_")
        store = SQLAlchemyStore.from_url(opener.url, table_prefix=prefix)
        if known:
            with store.engine.begin() as conn:
                for table in store.metadata.sorted_tables:
                    if not table.name.endswith("schema"):
                        conn.execute(sa.delete(table))
    yield store
    store.close()


def raw(store: SQLAlchemyStore, sql: str, **params: Any) -> list[Any]:
    """Run SQL of our own on the store's engine (tables named {p} get the prefix)."""
    with store.engine.begin() as conn:
        result = conn.execute(sa.text(sql.replace("{p}", store.table_prefix)), params)
        return list(result.all()) if result.returns_rows else []


# -- schema ------------------------------------------------------------------------


def test_new_database_gets_prefixed_tables_at_the_current_version(opener: Opener) -> None:
    """Opening creates prefix_records/index/streams/schema at SCHEMA_VERSION."""
    store = opener()
    try:
        assert SCHEMA_VERSION == store.schema_version
        expected = {store.table_prefix + s for s in ("records", "index", "streams", "schema")}
        assert expected == set(store.table_names)
        with store.engine.connect() as conn:
            assert expected <= set(sa.inspect(conn).get_table_names())
    finally:
        store.close()


def test_reopening_is_idempotent_and_keeps_data(opener: Opener) -> None:
    """Opening the same prefix again migrates nothing, adds no version row, keeps the data."""
    prefix = opener.prefix()
    with opener(prefix) as store, store.transaction() as tx:
        tx.save("thing", "a", "1", 0)
    for _ in range(3):
        with opener(prefix) as store:
            assert SCHEMA_VERSION == store.schema_version
            assert [(SCHEMA_VERSION,)] == raw(store, "SELECT count(*) FROM {p}schema")
            with store.transaction(readonly=True) as tx:
                record = tx.load("thing", "a")
                assert record is not None
                assert "1" == record.data


def test_prefixes_keep_stores_apart(opener: Opener) -> None:
    """Two prefixes in one database are two independent stores."""
    with opener() as one, opener() as two:
        with one.transaction() as tx:
            tx.save("thing", "a", "one", 0)
        with two.transaction(readonly=True) as tx:
            assert tx.load("thing", "a") is None


def test_database_from_a_newer_release_is_refused(opener: Opener) -> None:
    """A schema version above SCHEMA_VERSION raises schema_too_new and changes nothing."""
    prefix = opener.prefix()
    with opener(prefix) as store:
        raw(
            store,
            "INSERT INTO {p}schema (version, description) VALUES (:v, 'future')",
            v=SCHEMA_VERSION + 1,
        )
    with pytest.raises(StorageError) as info:
        opener(prefix)
    assert ("schema_too_new", SCHEMA_VERSION + 1) == (info.value.code, info.value.details["found"])


def test_foreign_tables_with_our_names_are_refused(opener: Opener) -> None:
    """Tables named like ours but without a symprogram version table: not_a_symprogram_database."""
    prefix = opener.prefix()
    engine = sa.create_engine(opener.url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE TABLE {prefix}records (id INTEGER)"))
    finally:
        engine.dispose()
    with pytest.raises(StorageError) as info:
        opener(prefix)
    assert "not_a_symprogram_database" == info.value.code


def test_without_migrate_missing_tables_are_an_error(opener: Opener) -> None:
    """migrate=False on an empty prefix raises schema_missing; after a migration it opens."""
    prefix = opener.prefix()
    with pytest.raises(StorageError) as info:
        opener(prefix, migrate=False)
    assert "schema_missing" == info.value.code
    opener(prefix).close()
    with opener(prefix, migrate=False) as store:
        assert SCHEMA_VERSION == store.schema_version


def test_concurrent_opens_of_a_fresh_database_all_succeed(opener: Opener) -> None:
    """Eight engines (as many processes would) opening one fresh prefix at once all succeed."""
    prefix = opener.prefix()
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            barrier.wait()
            with opener(prefix) as store, store.transaction(readonly=True) as tx:
                tx.load("thing", "a")
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [] == errors
    with opener(prefix) as store:
        assert [(SCHEMA_VERSION,)] == raw(store, "SELECT count(*) FROM {p}schema")


def test_drop_tables_removes_everything_and_closes(opener: Opener) -> None:
    """drop_tables() drops the four tables and closes the store."""
    store = opener()
    store.drop_tables()
    with pytest.raises(StorageError) as info, store.transaction():
        pass
    assert "store_closed" == info.value.code
    engine = sa.create_engine(opener.url)
    try:
        with engine.connect() as conn:
            names = set(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert set() == names & set(store.table_names)


@pytest.mark.parametrize("prefix", ["", "1abc_", "sp-", "a b", "x" * 41, "sp_;DROP"])
def test_bad_table_prefix_is_refused(prefix: str) -> None:
    """A table prefix that is not a short identifier raises invalid_table_prefix."""
    with pytest.raises(ValidationError) as info:
        SQLAlchemyStore.from_url("sqlite+pysqlite://", table_prefix=prefix or 5)  # type: ignore[arg-type]
    assert "invalid_table_prefix" == info.value.code


# -- URLs and engines ------------------------------------------------------------


def test_url_parameter_sets_the_table_prefix(tmp_path: Path) -> None:
    """symprogram_table_prefix in the URL chooses the prefix and is not passed to the driver."""
    url = f"sqlite+pysqlite:///{tmp_path}/u.db?symprogram_table_prefix=app_"
    with SQLAlchemyStore.from_url(url) as store:
        assert "app_" == store.table_prefix
        assert "symprogram_table_prefix" not in str(store.engine.url)


def test_open_store_routes_sqlalchemy_urls_here() -> None:
    """open_store() with an SQLAlchemy URL returns an SQLAlchemyStore that works."""
    store = open_store("sqlite+pysqlite://")
    try:
        assert isinstance(store, SQLAlchemyStore)
        with store.transaction() as tx:
            assert 1 == tx.save("thing", "a", "{}", 0)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("not a url", "invalid_storage_url"),
        ("nosuchdialect://x/y", "sql_driver_missing"),
        ("postgresql+nosuchdriver://x/y", "sql_driver_missing"),
    ],
)
def test_bad_urls_raise_validation_errors(url: str, code: str) -> None:
    """A malformed URL or a missing driver raises ValidationError with a clear code."""
    with pytest.raises(ValidationError) as info:
        SQLAlchemyStore.from_url(url)
    assert code == info.value.code


@pytest.mark.skipif(
    not os.environ.get("SYMPROGRAM_TEST_MARIADB_URL"),
    reason="set SYMPROGRAM_TEST_MARIADB_URL to run the mariadb adapter tests",
)
def test_a_mariadb_url_without_a_database_is_an_invalid_url() -> None:
    """MySQL and MariaDB keep tables in a database: a URL naming none is refused
    (``invalid_storage_url``), through ``from_url`` and ``Program.open``, instead of
    failing inside SQLAlchemy's schema inspection."""
    from symprogram import Program

    given = sa.make_url(os.environ["SYMPROGRAM_TEST_MARIADB_URL"])
    server = sa.URL.create(given.drivername, given.username, given.password, given.host, given.port)
    url = server.render_as_string(hide_password=False)
    assert server.database is None
    for open_it in (SQLAlchemyStore.from_url, Program.open):
        with pytest.raises(ValidationError) as info:
            open_it(url)
        assert ("invalid_storage_url", "url") == (info.value.code, info.value.field)


@pytest.mark.parametrize(
    "url",
    [
        "mysql+pymysql://root@127.0.0.1:1/test?charset=latin1",
        "mysql+pymysql://root@127.0.0.1:1/test?charset=utf8",
        "mariadb+pymysql://root@127.0.0.1:1/test?charset=ascii",
        "mysql+pymysql://root@127.0.0.1:1/test?charset=utf8mb3",
        "postgresql+psycopg://nobody@127.0.0.1:1/none?client_encoding=latin1",
    ],
)
def test_a_connection_encoding_that_cannot_carry_every_character_is_refused(url: str) -> None:
    """``?charset=latin1`` (or ``utf8``, MySQL's 3-byte UTF-8) or a PostgreSQL
    ``client_encoding`` other than UTF-8 would make the driver fail on an emoji with an
    error of its own: the URL is refused before anything connects."""
    with pytest.raises(ValidationError) as info:
        SQLAlchemyStore.from_url(url)
    assert ("invalid_storage_url", "url") == (info.value.code, info.value.field)


@pytest.mark.parametrize(
    "url",
    [
        "mysql+pymysql://root@127.0.0.1:1/test?charset=utf8mb4",
        "postgresql+psycopg://nobody@127.0.0.1:1/none?client_encoding=UTF8",
    ],
)
def test_a_utf8_connection_encoding_is_taken(url: str) -> None:
    """The encodings that carry every character pass the check (the unreachable server
    is then ``database_unavailable``)."""
    with pytest.raises(StorageError) as info:
        SQLAlchemyStore.from_url(url, connect_args={"connect_timeout": 2})
    assert "database_unavailable" == info.value.code


def test_unreachable_server_is_database_unavailable() -> None:
    """A server that refuses connections raises StorageError database_unavailable."""
    with pytest.raises(StorageError) as info:
        SQLAlchemyStore.from_url(
            "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 2}
        )
    assert "database_unavailable" == info.value.code
    assert info.value.details["retryable"] is True


def test_engine_must_be_an_engine() -> None:
    """Passing something else than an Engine raises invalid_engine."""
    with pytest.raises(ValidationError) as info:
        SQLAlchemyStore(engine="sqlite://")  # type: ignore[arg-type]
    assert "invalid_engine" == info.value.code


def test_closing_never_disposes_a_host_engine(opener: Opener) -> None:
    """A store given the host's engine leaves it usable after close(); close is idempotent."""
    engine = sa.create_engine(opener.url)
    try:
        store = SQLAlchemyStore(engine=engine, table_prefix=opener.prefix())
        store.close()
        store.close()
        with engine.connect() as conn:
            assert 1 == conn.execute(sa.text("SELECT 1")).scalar()
        with pytest.raises(StorageError) as info, store.transaction():
            pass
        assert "store_closed" == info.value.code
    finally:
        engine.dispose()


# -- host transactions -----------------------------------------------------------


def test_bound_store_writes_commit_with_the_host(store: SQLAlchemyStore) -> None:
    """Writes through bind(conn) are visible after the host commits its transaction."""
    with store.engine.begin() as conn:
        bound = store.bind(conn)
        with bound.transaction() as tx:
            tx.save("thing", "a", "host", 0)
        with bound.transaction(readonly=True) as tx:
            assert tx.load("thing", "a") is not None
    with store.transaction(readonly=True) as tx:
        record = tx.load("thing", "a")
        assert record is not None
        assert "host" == record.data


def test_bound_store_writes_vanish_when_the_host_rolls_back(store: SQLAlchemyStore) -> None:
    """A clean unit of work on a bound store is not committed: the host's rollback undoes it."""
    with store.engine.connect() as conn:
        with conn.begin() as host:
            with store.bind(conn).transaction() as tx:
                tx.save("thing", "a", "host", 0)
            host.rollback()
    with store.transaction(readonly=True) as tx:
        assert tx.load("thing", "a") is None


def test_failed_unit_of_work_rolls_back_only_its_savepoint(store: SQLAlchemyStore) -> None:
    """A block that raises on a bound store undoes its own writes, not the host's earlier ones."""
    with store.engine.begin() as conn:
        bound = store.bind(conn)
        with bound.transaction() as tx:
            tx.save("thing", "kept", "1", 0)
        with pytest.raises(ConcurrencyError), bound.transaction() as tx:
            tx.save("thing", "lost", "1", 0)
            tx.save("thing", "kept", "stale", 0)
    with store.transaction(readonly=True) as tx:
        assert tx.load("thing", "kept") is not None
        assert tx.load("thing", "lost") is None


def test_using_routes_units_of_work_to_the_host_connection(store: SQLAlchemyStore) -> None:
    """Inside store.using(conn) the store joins conn; outside it, it runs on its own."""
    with store.engine.connect() as conn:
        with conn.begin() as host, store.using(conn):
            with store.transaction() as tx:
                assert tx.connection is conn
                tx.save("thing", "a", "1", 0)
            host.rollback()
        with store.transaction() as tx:
            assert tx.connection is not conn
    with store.transaction(readonly=True) as tx:
        assert tx.load("thing", "a") is None


def test_for_connection_opens_a_bound_store(opener: Opener) -> None:
    """for_connection() migrates through the engine and joins the given connection."""
    prefix = opener.prefix()
    engine = sa.create_engine(opener.url)
    try:
        with engine.begin() as conn:
            bound = SQLAlchemyStore.for_connection(conn, table_prefix=prefix)
            with bound.transaction() as tx:
                tx.append("s", 1, "x")
            assert 1 == bound.run(lambda tx: tx.stream_length("s"))
        with opener(prefix) as store, store.transaction(readonly=True) as tx:
            assert [(1, "x")] == tx.read("s")
    finally:
        engine.dispose()


def test_bad_connections_are_refused(store: SQLAlchemyStore) -> None:
    """bind/using/for_connection with something else than a Connection: invalid_connection."""
    calls: list[Callable[[], object]] = [
        lambda: store.bind(store.engine),  # type: ignore[arg-type]
        lambda: SQLAlchemyStore.for_connection(store.engine),  # type: ignore[arg-type]
        lambda: store.using(store.engine).__enter__(),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises(ValidationError) as info:
            call()
        assert "invalid_connection" == info.value.code


# -- run() -----------------------------------------------------------------------


def transient(code: str) -> StorageError:
    return StorageError("transient", code=code, details={"retryable": True})


def test_run_retries_retryable_failures_and_keeps_only_the_last_attempt(
    store: SQLAlchemyStore,
) -> None:
    """run() re-runs fn after a retryable error; the failed attempts leave nothing."""
    store._sleep = lambda _: None
    attempts: list[int] = []

    def fn(tx: sqla.SQLAlchemyTransaction) -> str:
        attempts.append(len(attempts))
        tx.append("s", tx.stream_length("s") + 1, f"try {len(attempts)}")
        if len(attempts) < 3:
            raise transient("deadlock" if len(attempts) == 1 else "serialization_failure")
        return "done"

    assert "done" == store.run(fn, retries=3)
    assert 3 == len(attempts)
    with store.transaction(readonly=True) as tx:
        assert [(1, "try 3")] == tx.read("s")


def test_run_gives_up_after_the_retries(store: SQLAlchemyStore) -> None:
    """After 1 + retries attempts the last error is raised with its attempt count."""
    store._sleep = lambda _: None
    calls: list[int] = []

    def fn(tx: sqla.SQLAlchemyTransaction) -> None:
        calls.append(1)
        raise transient("deadlock")

    with pytest.raises(StorageError) as info:
        store.run(fn, retries=2)
    assert ("deadlock", 3, 3) == (info.value.code, info.value.details["attempts"], len(calls))


def test_run_does_not_retry_other_errors(store: SQLAlchemyStore) -> None:
    """A non-retryable StorageError, or a conflict with retry_conflicts=False, raises at once."""
    store._sleep = lambda _: None
    calls: list[int] = []

    def fails(tx: sqla.SQLAlchemyTransaction) -> None:
        calls.append(1)
        raise StorageError("no", code="storage_error")

    with pytest.raises(StorageError):
        store.run(fails)
    with store.transaction() as tx:
        tx.save("thing", "a", "1", 0)

    def stale(tx: sqla.SQLAlchemyTransaction) -> None:
        calls.append(1)
        tx.save("thing", "a", "2", 0)

    with pytest.raises(ConcurrencyError):
        store.run(stale, retry_conflicts=False)
    assert 2 == len(calls)


def test_run_inside_a_unit_of_work_runs_once(store: SQLAlchemyStore) -> None:
    """Nested in an open unit of work, run() cannot re-run the outer block: no retry."""
    store._sleep = lambda _: None
    calls: list[int] = []

    def fn(tx: sqla.SQLAlchemyTransaction) -> None:
        calls.append(1)
        raise transient("deadlock")

    with pytest.raises(StorageError), store.transaction():
        store.run(fn, retries=5)
    assert 1 == len(calls)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"retries": -1}, "invalid_retries"),
        ({"retries": True}, "invalid_retries"),
        ({"backoff": -1.0}, "invalid_backoff"),
        ({"backoff": "x"}, "invalid_backoff"),
    ],
)
def test_run_checks_its_arguments(
    store: SQLAlchemyStore, kwargs: dict[str, Any], code: str
) -> None:
    """Bad retries/backoff raise ValidationError before anything runs."""
    with pytest.raises(ValidationError) as info:
        store.run(lambda tx: None, **kwargs)
    assert code == info.value.code


# -- error translation -------------------------------------------------------------


def dbapi_error(orig: BaseException) -> exc.DBAPIError:
    return exc.OperationalError("SELECT 1", {}, orig)


@pytest.mark.parametrize(
    ("orig", "code", "retryable"),
    [
        (psycopg.errors.SerializationFailure("could not serialize"), "serialization_failure", True),
        (psycopg.errors.DeadlockDetected("deadlock detected"), "deadlock", True),
        (psycopg.errors.LockNotAvailable("lock timeout"), "lock_timeout", True),
        (psycopg.errors.AdminShutdown("terminating connection"), "connection_lost", True),
        (psycopg.errors.ReadOnlySqlTransaction("read-only"), "database_read_only", False),
        (pymysql.err.OperationalError(1213, "Deadlock found"), "deadlock", True),
        (pymysql.err.OperationalError(1205, "Lock wait timeout"), "lock_timeout", True),
        (pymysql.err.OperationalError(2013, "Lost connection"), "connection_lost", True),
        (pymysql.err.OperationalError(1153, "packet too big"), "data_too_large", False),
        (pymysql.err.OperationalError(9999, "odd"), "storage_error", False),
    ],
)
def test_driver_errors_translate_to_stable_codes(
    orig: BaseException, code: str, retryable: bool
) -> None:
    """PostgreSQL SQLSTATEs and MariaDB error numbers map to codes and retryability."""
    translated = sqla._translate(dbapi_error(orig))
    assert code == translated.code
    assert retryable == bool(translated.details.get("retryable"))


def test_connection_lost_during_commit_is_not_retryable() -> None:
    """A connection lost while committing has an unknown outcome: never retried blindly."""
    translated = sqla._translate(dbapi_error(psycopg.errors.AdminShutdown("bye")), during="commit")
    assert ("connection_lost", False, "unknown") == (
        translated.code,
        translated.details["retryable"],
        translated.details["outcome"],
    )


def test_oversize_data_on_mariadb_is_a_limit_error(opener: Opener) -> None:
    """Data above MariaDB's max_allowed_packet raises LimitExceeded; nothing is written."""
    if sa.make_url(opener.url).get_backend_name() not in ("mysql", "mariadb"):
        pytest.skip("max_allowed_packet is a MariaDB limit")
    with opener() as store:
        packet = int(raw(store, "SELECT @@max_allowed_packet")[0][0])
        with store.transaction() as tx:
            tx.save("thing", "a", "1", 0)
        writes: list[Callable[[sqla.SQLAlchemyTransaction], object]] = [
            lambda tx: tx.save("thing", "big", "x" * packet, 0),
            lambda tx: tx.append("s", 1, "é" * (packet // 2)),
            lambda tx: tx.save("thing", "a", "😀" * (packet // 4), 1),
        ]
        for write in writes:
            with pytest.raises(LimitExceeded) as info, store.transaction() as tx:
                write(tx)
            assert ("data_too_large", "data") == (info.value.code, info.value.field)
        with store.transaction(readonly=True) as tx:
            record = tx.load("thing", "a")
            assert record is not None
            assert (1, "1") == (record.version, record.data)
            assert tx.load("thing", "big") is None
            assert [] == tx.read("s")


# -- text -------------------------------------------------------------------------


def test_control_characters_round_trip(store: SQLAlchemyStore) -> None:
    """NUL, U+0001 and look-alike escapes in data round-trip exactly."""
    values = ["\x00", "a\x00b\x01c", "\x01", "\x010", "\x01u0041", "\\u0000", ""]
    with store.transaction() as tx:
        for i, value in enumerate(values):
            tx.save("thing", str(i), value, 0)
            tx.append("s", i + 1, value)
    with store.transaction(readonly=True) as tx:
        for i, value in enumerate(values):
            record = tx.load("thing", str(i))
            assert record is not None
            assert value == record.data
        assert values == [d for _, d in tx.read("s")]


def test_json_data_is_stored_verbatim(store: SQLAlchemyStore) -> None:
    """Valid JSON (even holding escaped NUL) is stored unchanged, so SQL tools can read it."""
    data = '{"name": "O\'Brien \\"quoted\\" \\u0000 é 😀"}'
    with store.transaction() as tx:
        tx.save("thing", "a", data, 0)
    assert [(data,)] == raw(store, "SELECT data FROM {p}records WHERE kind = 'thing'")


def test_large_data_round_trips(store: SQLAlchemyStore) -> None:
    """A 4 MB record and stream entry (beyond MariaDB TEXT's 64 KB) round-trip."""
    big = ("é😀" * 700_000)[:1_000_000] * 4
    with store.transaction() as tx:
        tx.save("thing", "big", big, 0)
        tx.append("big", 1, big)
    with store.transaction(readonly=True) as tx:
        record = tx.load("thing", "big")
        assert record is not None
        assert big == record.data
        assert big == tx.read("big")[0][1]


def test_keys_with_lone_surrogates_are_refused(store: SQLAlchemyStore) -> None:
    """A key holding a lone surrogate raises invalid_key; nothing is written."""
    refused: list[Callable[[sqla.SQLAlchemyTransaction], object]] = [
        lambda tx: tx.save("thing", "a\ud800", "{}", 0),
        lambda tx: tx.index_put("i", "\udfff", "k"),
        lambda tx: tx.append("s\ud800", 1, "x"),
    ]
    for write in refused:
        with pytest.raises(ValidationError) as info, store.transaction() as tx:
            write(tx)
        assert "invalid_key" == info.value.code
    with store.transaction(readonly=True) as tx:
        assert [] == tx.scan("thing")
        assert [] == tx.streams()


def test_listing_bounds_with_nul_or_surrogates_are_answered(store: SQLAlchemyStore) -> None:
    """prefix/after holding NUL or surrogates (never stored) list what code-point order says."""
    names = ["a", "ab", "ab\x01", "abc", "a\ue000", "b"]
    with store.transaction() as tx:
        for name in names:
            tx.save("thing", name, "{}", 0)
            tx.append(name, 1, "x")
    cases: list[tuple[str, str | None]] = [
        ("ab\x00", None),
        ("a", "ab\x00c"),
        ("a", "a\ud900"),
        ("", "ab\x00"),
        ("a\ud800", None),
    ]
    with store.transaction(readonly=True) as tx:
        for prefix, after in cases:
            expected = sorted(
                n for n in names if n.startswith(prefix) and (after is None or n > after)
            )
            assert expected == [r.key for r in tx.scan("thing", prefix=prefix, after=after)]
            assert expected == tx.streams(prefix=prefix, after=after)


def test_overlong_names_raise_limit_exceeded(store: SQLAlchemyStore) -> None:
    """Kind, key, index, value and stream names beyond MAX_KEY_LENGTH raise LimitExceeded."""
    long = "é" * (MAX_KEY_LENGTH + 1)
    writes: list[Callable[[sqla.SQLAlchemyTransaction], object]] = [
        lambda tx: tx.save(long, "k", "{}", 0),
        lambda tx: tx.save("k", long, "{}", 0),
        lambda tx: tx.index_put(long, "v", "k"),
        lambda tx: tx.index_put("i", long, "k"),
        lambda tx: tx.index_put("i", "v", long),
        lambda tx: tx.append(long, 1, "x"),
    ]
    for write in writes:
        with pytest.raises(LimitExceeded) as info, store.transaction() as tx:
            write(tx)
        assert "key_too_long" == info.value.code
