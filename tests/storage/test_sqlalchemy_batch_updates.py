"""A batch of record updates through the SQL adapter (issue 20).

On PostgreSQL the updates of a batch are one ``UPDATE ... FROM unnest(...)``
statement (psycopg's pipelined ``executemany`` parsed and planned one statement per
record); elsewhere one ``executemany``. Either way a batch behaves exactly as the
memory store's: every record at its expected version is updated, or the unit of work
raises ``ConcurrencyError`` and nothing of it stays.

Runs on SQLite through SQLAlchemy and, when their URLs are set, on PostgreSQL and
MariaDB; every store has a table prefix of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symprogram.errors import ConcurrencyError, NotFound
from symprogram.persistence import Store, save_many
from symprogram.storage.memory import MemoryStore
from symprogram.storage.sqlalchemy import SQLAlchemyStore

SERVERS = {"postgresql": "SYMPROGRAM_TEST_POSTGRES_URL", "mariadb": "SYMPROGRAM_TEST_MARIADB_URL"}


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SQLAlchemyStore]:
    """A store of its own on each backend (servers only when their URL is set)."""
    if request.param == "sqlite":
        url = f"sqlite+pysqlite:///{tmp_path}/batches.db"
    else:
        found = os.environ.get(SERVERS[request.param])
        if not found:
            pytest.skip(f"set {SERVERS[request.param]} to run the {request.param} tests")
        url = found
    store = SQLAlchemyStore.from_url(url, table_prefix=f"u{uuid.uuid4().hex[:12]}_")
    yield store
    store.drop_tables()


KEYS = st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "h", "i", "Z", "é", "a b"])
DATA = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)


@st.composite
def scripts(draw: st.DrawFn) -> tuple[dict[str, int], list[tuple[str, str, int]]]:
    """Records to create (key -> how many saves), then a batch of
    ``(key, data, expected version)`` saves: mostly in step (a new key at 0, a key
    saved again in the batch at the version its previous save gave, which the adapter
    folds into one write), some stale, ahead or missing. At least 8 of them: smaller
    batches are written one by one (``storage._base.MIN_BATCH``)."""
    existing = draw(st.dictionaries(KEYS, st.integers(1, 3), min_size=4, max_size=12))
    current = dict(existing)
    batch = []
    for key in draw(st.lists(KEYS, min_size=8, max_size=16)):
        now = current.get(key, 0)
        version = draw(st.sampled_from([now, now, now, now + 1, max(now - 1, 0), 1]))
        if version == now:
            current[key] = now + 1
        batch.append((key, draw(DATA), version))
    return existing, batch


def run_script(
    store: Store, kind: str, existing: dict[str, int], batch: list[tuple[str, str, int]]
) -> tuple[str | None, dict[str, tuple[int, str]]]:
    """Create the records, apply the batch in one unit of work; return the error code
    (None when it committed) and every record of ``kind`` as ``key -> (version, data)``."""
    with store.transaction() as tx:
        for key, saves in existing.items():
            for version in range(saves):
                tx.save(kind, key, f"v{version + 1}", version)
    error = None
    try:
        with store.transaction() as tx:
            save_many(tx, [(kind, key, data, version) for key, data, version in batch])
    except (ConcurrencyError, NotFound) as failure:
        error = failure.code
    with store.transaction(readonly=True) as tx:
        found = {r.key: (r.version, r.data) for r in tx.scan(kind)}
    return error, found


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(script=scripts())
def test_property_a_batch_of_updates_agrees_with_the_memory_store(
    store: SQLAlchemyStore, script: tuple[dict[str, int], list[tuple[str, str, int]]]
) -> None:
    """Whatever the expected versions, the batch gives the memory store's outcome: all
    saved (each record at the version its last save gave, with that save's data), or
    ConcurrencyError and nothing changed."""
    existing, batch = script
    kind = f"k{uuid.uuid4().hex[:8]}"
    assert run_script(MemoryStore(), kind, existing, batch) == run_script(
        store, kind, existing, batch
    )


def test_a_batch_of_updates_is_one_statement_on_postgresql(store: SQLAlchemyStore) -> None:
    """On PostgreSQL 500 updates are sent as one UPDATE statement, not one per record;
    500 records added and saved again in one batch are inserted once, at version 2,
    with no UPDATE at all."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("the single-statement update is PostgreSQL's")
    keys = [f"r{n:04d}" for n in range(500)]
    with store.transaction() as tx:
        save_many(tx, [("thing", key, "{}", 0) for key in keys])
    sent: list[tuple[str, bool]] = []

    def remember(*args: object) -> None:
        statement, executemany = args[2], args[5]
        assert isinstance(statement, str) and isinstance(executemany, bool)
        if statement.lstrip().upper().startswith("UPDATE"):
            sent.append((statement, executemany))

    sa.event.listen(store.engine, "before_cursor_execute", remember)
    try:
        with store.transaction() as tx:
            assert [2] * 500 == save_many(tx, [("thing", k, f'"{k}"', 1) for k in keys])
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", remember)
    assert 1 == len(sent)
    assert not sent[0][1]
    with store.transaction(readonly=True) as tx:
        found = tx.load_many("thing", keys)
    assert {(2, f'"{k}"') for k in keys} == {(r.version, r.data) for r in found.values()}
    sent.clear()
    sa.event.listen(store.engine, "before_cursor_execute", remember)
    try:
        with store.transaction() as tx:
            saves = [("new", k, d, v) for k in keys for d, v in (("a", 0), ("b", 1))]
            assert [1, 2] * 500 == save_many(tx, saves)
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", remember)
    assert [] == sent
    with store.transaction(readonly=True) as tx:
        assert {(2, "b")} == {(r.version, r.data) for r in tx.load_many("new", keys).values()}


def test_a_record_changed_while_the_batch_waits_for_it_is_not_overwritten(
    store: SQLAlchemyStore,
) -> None:
    """Another transaction holds one record of the batch changed but uncommitted; the
    batch waits for it, then finds it at a newer version than expected: it raises
    ConcurrencyError and the other transaction's change stays (no lost update)."""
    if store.engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time: no other writer can hold a record")
    keys = [f"r{n:02d}" for n in range(10)]
    with store.transaction() as tx:
        save_many(tx, [("thing", key, "{}", 0) for key in keys])
    outcome: list[BaseException | None] = []
    with store.engine.connect() as other:
        records = store.metadata.tables[f"{store.table_prefix}records"]
        other.execute(
            sa.update(records)
            .where(records.c.kind == "thing", records.c.key == "r05")
            .values(version=2, data="theirs")
        )

        def batch() -> None:
            try:
                with store.transaction() as tx:
                    save_many(tx, [("thing", key, "mine", 1) for key in keys])
            except ConcurrencyError as error:
                outcome.append(error)
            else:
                outcome.append(None)

        worker = threading.Thread(target=batch)
        worker.start()
        worker.join(0.5)
        assert worker.is_alive()  # waiting for the other transaction's row lock
        other.commit()
        worker.join(30)
    assert 1 == len(outcome)
    assert isinstance(outcome[0], ConcurrencyError)
    with store.transaction(readonly=True) as tx:
        found = tx.load_many("thing", keys)
    assert {"r05": (2, "theirs")} | {k: (1, "{}") for k in keys if k != "r05"} == {
        k: (r.version, r.data) for k, r in found.items()
    }
