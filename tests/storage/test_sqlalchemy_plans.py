"""PostgreSQL: no server-side prepared statements, so no plan outlives a bulk import.

psycopg prepares a statement after it ran five times, and the server may then keep
one generic plan for it; a plan made while the tables were nearly empty is a
sequential scan, which a bulk import into a fresh database would then run for every
batch read. The adapter's own engines therefore never prepare.
"""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

from symprogram.storage._views import VIEWS
from symprogram.storage.sqlalchemy import SQLAlchemyStore

URL = os.environ.get("SYMPROGRAM_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(
    not URL, reason="set SYMPROGRAM_TEST_POSTGRES_URL to run the PostgreSQL plan test"
)


def test_repeated_reads_leave_no_prepared_statement_on_the_server() -> None:
    assert URL is not None
    prefix = f"p{uuid.uuid4().hex[:12]}_"
    store = SQLAlchemyStore.from_url(URL, table_prefix=prefix)
    try:
        with store.transaction() as tx:
            tx.save("thing", "a", "{}", 0)
        with store.transaction(readonly=True) as tx:
            for _ in range(20):
                assert tx.load("thing", "a") is not None
            prepared = tx._conn.exec_driver_sql(  # type: ignore[attr-defined]
                "SELECT count(*) FROM pg_prepared_statements"
            ).scalar()
        assert 0 == prepared
    finally:
        store.close()
        engine = sa.create_engine(URL)
        with engine.begin() as conn:
            for view in VIEWS:  # the reporting views read the tables
                conn.execute(sa.text(f"DROP VIEW IF EXISTS {prefix}{view}"))
            for suffix in ("records", "index", "streams", "schema"):
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {prefix}{suffix}"))
        engine.dispose()


def _drop(prefix: str) -> None:
    assert URL is not None
    engine = sa.create_engine(URL)
    with engine.begin() as conn:
        for view in VIEWS:  # the reporting views read the tables
            conn.execute(sa.text(f"DROP VIEW IF EXISTS {prefix}{view}"))
        for suffix in ("records", "index", "streams", "schema"):
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {prefix}{suffix}"))
    engine.dispose()


def test_batch_reads_use_the_indexes_of_tables_never_analyzed() -> None:
    """A bulk import into fresh tables runs its batch reads before any ANALYZE.

    Without statistics the planner guesses that ``column IN (500 values)`` matches
    most of a table: for the streams' lengths that guess was a sequential scan of
    the whole streams table per batch read, and for records an index scan of every
    record of the kind, the wanted keys filtered afterwards: an import that slowed
    down with every batch (quadratic). Every batched read must probe the index once
    per key whatever the statistics say. Checked with EXPLAIN of the very
    statements the adapter sent.
    """
    assert URL is not None
    prefix = f"p{uuid.uuid4().hex[:12]}_"
    store = SQLAlchemyStore.from_url(URL, table_prefix=prefix)
    sent: list[tuple[str, object]] = []
    try:
        size = 20_000
        with store.transaction() as tx:
            conn = tx._conn  # type: ignore[attr-defined]
            for table, columns in (
                ("records", "kind, key, version, data"),
                ("index", "name, value, key"),
                ("streams", "stream, position, data"),
            ):
                rows = {
                    "records": "SELECT 'thing', 'k' || g, 1, '{}'",
                    "index": "SELECT 'email', 'v' || g, 'k' || g",
                    "streams": "SELECT 's' || ((g - 1) / 4), mod(g - 1, 4) + 1, '{}'",
                }[table] + f" FROM generate_series(1, {size}) g"
                conn.exec_driver_sql(f"INSERT INTO {prefix}{table} ({columns}) {rows}")
        keys = [f"k{n}" for n in range(1, 1001, 2)] + ["missing"]
        streams = [f"s{n}" for n in range(1, 600)] + ["fresh"]

        def remember(
            conn: object,
            cursor: object,
            statement: str,
            parameters: object,
            context: object,
            executemany: bool,
        ) -> None:
            if statement.lstrip().upper().startswith("SELECT") and not executemany:
                sent.append((statement, parameters))

        engine = store.engine
        sa.event.listen(engine, "before_cursor_execute", remember)
        with store.transaction() as tx:
            assert len(tx.load_many("thing", keys)) == 500
            assert len(tx.index_get_many("email", [f"v{n}" for n in range(1, 700)])) == 699
            tx.append_many([(s, 5 if s != "fresh" else 1, "{}") for s in streams])
            conn = tx._conn  # type: ignore[attr-defined]
            plans = []
            for statement, parameters in list(sent):
                if prefix not in statement:
                    continue
                lines = conn.exec_driver_sql("EXPLAIN " + statement, parameters).scalars().all()
                plans.append("\n".join(lines))
        sa.event.remove(engine, "before_cursor_execute", remember)
        assert len(plans) >= 4  # two chunks of loads, two of index values, lengths
        for plan in plans:
            # neither a scan of the table nor of all the rows of one kind or index,
            # filtered by the wanted keys afterwards
            assert "Seq Scan" not in plan, plan
            assert "Filter" not in plan, plan
    finally:
        store.close()
        _drop(prefix)
