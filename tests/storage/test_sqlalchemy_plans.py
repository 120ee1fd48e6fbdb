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
            for suffix in ("records", "index", "streams", "schema"):
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {prefix}{suffix}"))
        engine.dispose()
