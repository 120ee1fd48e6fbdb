"""SQLAlchemyStore under load and faults: threads, processes, deadlocks, lost connections, SIGKILL.

Runs on SQLite through SQLAlchemy always, and on PostgreSQL / MariaDB when
``SYMPROGRAM_TEST_POSTGRES_URL`` / ``SYMPROGRAM_TEST_MARIADB_URL`` are set.
Every store uses a fresh table prefix whose tables are dropped afterwards.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from symprogram.errors import StorageError
from symprogram.storage.sqlalchemy import SQLAlchemyStore, SQLAlchemyTransaction

pytestmark = pytest.mark.slow

SERVERS = {
    "postgresql": "SYMPROGRAM_TEST_POSTGRES_URL",
    "mariadb": "SYMPROGRAM_TEST_MARIADB_URL",
}


def backend_url(name: str, tmp_path: Path) -> str:
    """The URL of a backend: an SQLite file, or a server from the environment (else skip)."""
    if name == "sqlite":
        return f"sqlite+pysqlite:///{tmp_path}/faults.db"
    url = os.environ.get(SERVERS[name])
    if not url:
        pytest.skip(f"set {SERVERS[name]} to run the {name} adapter tests")
    return url


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(url, prefix) of a fresh store on each backend; its tables are dropped afterwards."""
    url = backend_url(request.param, tmp_path)
    prefix = f"f{uuid.uuid4().hex[:12]}_"
    SQLAlchemyStore.from_url(url, table_prefix=prefix).close()
    yield url, prefix
    SQLAlchemyStore.from_url(url, table_prefix=prefix).drop_tables()


@pytest.fixture
def store(target: tuple[str, str]) -> Iterator[SQLAlchemyStore]:
    """A store on the target."""
    url, prefix = target
    store = SQLAlchemyStore.from_url(url, table_prefix=prefix)
    yield store
    store.close()


def run_threads(count: int, work: Callable[[int], object]) -> list[BaseException]:
    """Run ``work(n)`` in ``count`` threads; return what they raised."""
    errors: list[BaseException] = []

    def guarded(n: int) -> None:
        try:
            work(n)
        except BaseException as error:  # reported by the caller
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def increment(tx: SQLAlchemyTransaction, key: str) -> None:
    """Read-modify-write a counter record (created at 1)."""
    record = tx.load("counter", key)
    if record is None:
        tx.save("counter", key, "1", 0)
    else:
        tx.save("counter", key, str(int(record.data) + 1), record.version)


# -- load ---------------------------------------------------------------------------


def test_threads_writing_shared_and_own_records_lose_nothing(store: SQLAlchemyStore) -> None:
    """Six threads incrementing one shared and one own counter via run() count every increment."""
    workers, each = 6, 12

    def work(n: int) -> None:
        def both(tx: SQLAlchemyTransaction) -> None:
            increment(tx, "shared")
            increment(tx, f"own-{n}")

        for _ in range(each):
            store.run(both, retries=500)

    assert [] == run_threads(workers, work)
    with store.transaction(readonly=True) as tx:
        shared = tx.load("counter", "shared")
        assert shared is not None
        assert (str(workers * each), workers * each) == (shared.data, shared.version)
        for n in range(workers):
            own = tx.load("counter", f"own-{n}")
            assert own is not None
            assert str(each) == own.data


def append_entries(url: str, prefix: str, worker: int, count: int) -> None:
    """Process body: append ``count`` entries to a shared and an own stream, with retries."""
    store = SQLAlchemyStore.from_url(url, table_prefix=prefix)
    try:
        for i in range(count):

            def write(tx: SQLAlchemyTransaction, i: int = i) -> None:
                tx.append("shared", tx.stream_length("shared") + 1, f"{worker}-{i}")
                tx.append(f"own-{worker}", tx.stream_length(f"own-{worker}") + 1, str(i))

            store.run(write, retries=1000, backoff=0.005)
    finally:
        store.close()


def test_two_processes_appending_at_once_leave_gap_free_streams(
    target: tuple[str, str],
) -> None:
    """Two processes appending to the same stream produce positions 1..N with every entry once."""
    url, prefix = target
    count = 30
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=append_entries, args=(url, prefix, n, count)) for n in range(2)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    assert [0, 0] == [process.exitcode for process in processes]
    with SQLAlchemyStore.from_url(url, table_prefix=prefix) as store:
        with store.transaction(readonly=True) as tx:
            shared = tx.read("shared")
            own = [tx.read(f"own-{n}") for n in range(2)]
    assert list(range(1, 2 * count + 1)) == [p for p, _ in shared]
    assert sorted(f"{n}-{i}" for n in range(2) for i in range(count)) == sorted(
        d for _, d in shared
    )
    for entries in own:
        assert [(i + 1, str(i)) for i in range(count)] == entries


def test_deadlocks_are_translated_and_retried(store: SQLAlchemyStore) -> None:
    """Two units of work locking two records in opposite orders deadlock; run() retries one."""
    if store.engine.dialect.name == "sqlite":
        pytest.skip("SQLite serializes writers: it cannot deadlock")
    with store.transaction() as tx:
        tx.save("thing", "a", "0", 0)
        tx.save("thing", "b", "0", 0)
    barrier = threading.Barrier(2, timeout=20)
    calls: list[str] = []
    seen: list[str] = []

    def watching_run(first: str, second: str) -> None:
        def fn(tx: SQLAlchemyTransaction) -> None:
            calls.append(first)
            for i, key in enumerate((first, second)):
                record = tx.load("thing", key)
                assert record is not None
                tx.save("thing", key, str(int(record.data) + 1), record.version)
                if i == 0 and len(calls) <= 2:
                    barrier.wait()

        try:
            store.run(fn, retries=5, retry_conflicts=True)
        except StorageError as error:  # pragma: no cover - reported by the assertion
            seen.append(error.code)
            raise

    assert [] == run_threads(2, lambda n: watching_run(*(("a", "b"), ("b", "a"))[n]))
    assert [] == seen
    assert 3 <= len(calls)
    with store.transaction(readonly=True) as tx:
        a, b = tx.load("thing", "a"), tx.load("thing", "b")
        assert a is not None and b is not None
        assert ("2", "2") == (a.data, b.data)


def test_a_deadlock_surfaces_as_a_retryable_storage_error(store: SQLAlchemyStore) -> None:
    """Without run(), the deadlock victim gets a retryable StorageError deadlock, rolled back."""
    if store.engine.dialect.name == "sqlite":
        pytest.skip("SQLite serializes writers: it cannot deadlock")
    with store.transaction() as tx:
        tx.save("thing", "a", "0", 0)
        tx.save("thing", "b", "0", 0)
    barrier = threading.Barrier(2, timeout=20)
    codes: list[tuple[str, bool]] = []

    def work(n: int) -> None:
        first, second = ("a", "b") if n == 0 else ("b", "a")
        try:
            with store.transaction() as tx:
                tx.save("thing", first, f"by {n}", 1)
                barrier.wait()
                tx.save("thing", second, f"by {n}", 1)
        except StorageError as error:
            codes.append((error.code, bool(error.details.get("retryable"))))

    assert [] == run_threads(2, work)
    assert [("deadlock", True)] == codes
    with store.transaction(readonly=True) as tx:
        a, b = tx.load("thing", "a"), tx.load("thing", "b")
        assert a is not None and b is not None
        assert a.data == b.data  # the survivor wrote both, the victim neither


# -- lost connections -------------------------------------------------------------------


def kill_connection(store: SQLAlchemyStore, tx: SQLAlchemyTransaction) -> None:
    """Cut the unit of work's connection the way an outage would."""
    dialect = store.engine.dialect.name
    if dialect == "postgresql":
        pid = tx.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with store.engine.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            other.commit()
    elif dialect in ("mysql", "mariadb"):
        thread = tx.connection.exec_driver_sql("SELECT CONNECTION_ID()").scalar()
        with store.engine.connect() as other:
            other.execute(sa.text(f"KILL {int(thread)}"))  # type: ignore[arg-type]
    else:
        dbapi = tx.connection.connection.dbapi_connection
        assert dbapi is not None
        dbapi.close()


def test_lost_connection_mid_unit_of_work_writes_nothing(store: SQLAlchemyStore) -> None:
    """A connection killed mid unit of work raises connection_lost; nothing is half-written."""
    with store.transaction() as tx:
        tx.save("thing", "before", "1", 0)
    with pytest.raises(StorageError) as info, store.transaction() as tx:
        tx.save("thing", "half", "1", 0)
        tx.append("s", 1, "half")
        tx.save("thing", "before", "2", 1)
        kill_connection(store, tx)
        time.sleep(0.1)
        tx.index_put("email", "x", "half")
    assert "connection_lost" == info.value.code
    assert info.value.details["retryable"] is True
    with store.transaction(readonly=True) as tx:
        assert tx.load("thing", "half") is None
        assert [] == tx.read("s")
        before = tx.load("thing", "before")
        assert before is not None
        assert (1, "1") == (before.version, before.data)


@pytest.mark.parametrize("batch", ["save_many", "append_many", "index_put_many"])
def test_lost_connection_at_a_batched_write_writes_nothing(
    store: SQLAlchemyStore, batch: str
) -> None:
    """A batch (COPY on PostgreSQL with psycopg, executemany elsewhere) sent on a cut
    connection raises connection_lost; nothing is written and the store goes on."""
    items = {
        "save_many": [("thing", f"k{n:02d}", "{}", 0) for n in range(20)],
        "append_many": [(f"s{n:02d}", 1, "{}") for n in range(20)],
        "index_put_many": [("email", f"v{n:02d}", f"k{n:02d}") for n in range(20)],
    }[batch]
    with pytest.raises(StorageError) as info, store.transaction() as tx:
        tx.save("thing", "first", "1", 0)
        kill_connection(store, tx)
        time.sleep(0.1)
        getattr(tx, batch)(items)
    assert "connection_lost" == info.value.code
    assert info.value.details["retryable"] is True
    with store.transaction() as tx:
        assert tx.load("thing", "first") is None
        assert {} == tx.load_many("thing", [f"k{n:02d}" for n in range(20)])
        assert {} == tx.index_get_many("email", [f"v{n:02d}" for n in range(20)])
        assert 0 == tx.stream_length("s00")
        getattr(tx, batch)(items)  # a fresh connection takes the same batch
    with store.transaction(readonly=True) as tx:
        written = (
            len(tx.load_many("thing", [f"k{n:02d}" for n in range(20)]))
            + len(tx.index_get_many("email", [f"v{n:02d}" for n in range(20)]))
            + sum(tx.stream_length(f"s{n:02d}") for n in range(20))
        )
    assert 20 == written


def test_a_copy_on_a_cut_connection_is_a_lost_connection(tmp_path: Path) -> None:
    """PostgreSQL with psycopg writes batches with COPY on the driver's connection: a
    connection cut under it is reported as SQLAlchemy reports the driver's errors
    (connection_lost, the connection invalidated), and the store goes on."""
    from symprogram.storage.sqlalchemy import _translate

    url = backend_url("postgresql", tmp_path)
    store = SQLAlchemyStore.from_url(url, table_prefix=f"f{uuid.uuid4().hex[:12]}_")
    try:
        row = {"kind": "t", "key": "k", "version": 1, "data": "{}"}
        with pytest.raises(StorageError) as info, store.transaction() as tx:
            kill_connection(store, tx)
            time.sleep(0.1)
            with pytest.raises(sa.exc.DBAPIError) as cut:
                tx._copy(tx._t.records, [row])  # type: ignore[attr-defined]
            assert cut.value.connection_invalidated
            assert "connection_lost" == _translate(cut.value).code
        assert "connection_lost" == info.value.code
        with store.transaction() as tx:
            tx.save_many([("t", f"k{n}", "{}", 0) for n in range(20)])
        with store.transaction(readonly=True) as tx:
            assert 20 == len(tx.load_many("t", [f"k{n}" for n in range(20)]))
    finally:
        store.drop_tables()
        store.close()


def test_run_recovers_from_a_lost_connection(store: SQLAlchemyStore) -> None:
    """run() re-runs a unit of work whose connection was cut, on a fresh connection."""
    store._sleep = lambda _: None
    attempts: list[int] = []

    def fn(tx: SQLAlchemyTransaction) -> None:
        attempts.append(1)
        tx.append("s", tx.stream_length("s") + 1, "once")
        if len(attempts) == 1:
            kill_connection(store, tx)
            time.sleep(0.1)
            tx.stream_length("s")

    store.run(fn)
    assert 2 == len(attempts)
    with store.transaction(readonly=True) as tx:
        assert [(1, "once")] == tx.read("s")


# -- SIGKILL during a bulk write ------------------------------------------------------

BATCHES, PER_BATCH = 300, 10


def bulk_write(url: str, prefix: str) -> None:
    """Write BATCHES batches, each one unit of work; batches already written are skipped."""
    store = SQLAlchemyStore.from_url(url, table_prefix=prefix)
    try:
        for batch in range(BATCHES):

            def write(tx: SQLAlchemyTransaction, batch: int = batch) -> None:
                if tx.load("batch", f"{batch:04d}") is not None:
                    return
                length = tx.stream_length("bulk")
                for i in range(PER_BATCH):
                    tx.append("bulk", length + i + 1, f"{batch}/{i}")
                tx.index_put("batch-start", str(length + 1), f"{batch:04d}")
                tx.save("batch", f"{batch:04d}", f'{{"start": {length + 1}}}', 0)

            store.run(write, retries=50)
    finally:
        store.close()


def check_bulk(store: SQLAlchemyStore) -> int:
    """Assert that every committed batch is whole and the stream gap-free; return the count."""
    with store.transaction(readonly=True) as tx:
        batches = tx.scan("batch", limit=BATCHES + 1)
        entries = tx.read("bulk")
        assert list(range(1, len(entries) + 1)) == [p for p, _ in entries]
        assert PER_BATCH * len(batches) == len(entries)
        for record in batches:
            start = int(record.data.split(": ")[1].rstrip("}"))
            batch = int(record.key)
            expected = [(start + i, f"{batch}/{i}") for i in range(PER_BATCH)]
            assert expected == entries[start - 1 : start - 1 + PER_BATCH]
            assert record.key == tx.index_get("batch-start", str(start))
    return len(batches)


def test_sigkill_during_a_bulk_write_leaves_a_consistent_database(
    target: tuple[str, str],
) -> None:
    """A writer SIGKILLed mid-way leaves whole batches only; re-running completes it exactly."""
    url, prefix = target
    context = multiprocessing.get_context("spawn")
    process = context.Process(target=bulk_write, args=(url, prefix))
    process.start()
    with SQLAlchemyStore.from_url(url, table_prefix=prefix) as store:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.is_alive():
            with store.transaction(readonly=True) as tx:
                if len(tx.scan("batch", limit=20)) >= 20:
                    break
            time.sleep(0.02)
        assert process.pid is not None
        os.kill(process.pid, signal.SIGKILL)
        process.join(timeout=10)
        assert -signal.SIGKILL == process.exitcode
        written = check_bulk(store)
        assert 20 <= written < BATCHES
    bulk_write(url, prefix)
    with SQLAlchemyStore.from_url(url, table_prefix=prefix) as store:
        assert BATCHES == check_bulk(store)
