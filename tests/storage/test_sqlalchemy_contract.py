"""The SQLAlchemy adapter passes the shared storage contract, as a third-party adapter would.

SQLite through SQLAlchemy always runs; PostgreSQL and MariaDB run when
``SYMPROGRAM_TEST_POSTGRES_URL`` / ``SYMPROGRAM_TEST_MARIADB_URL`` are set
(``.ci/run`` sets them), and skip with the reason otherwise. Every store gets a
table prefix per test class, emptied before each test, and its tables are
dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from symprogram.persistence import Store
from symprogram.storage.sqlalchemy import SQLAlchemyStore
from symprogram.testing.contract import PersistentStoreContract, StoreContract

SERVERS = {
    "postgresql": "SYMPROGRAM_TEST_POSTGRES_URL",
    "mariadb": "SYMPROGRAM_TEST_MARIADB_URL",
}


def server_url(name: str) -> str:
    """The URL of a test server from the environment, or skip the test."""
    variable = SERVERS[name]
    url = os.environ.get(variable)
    if not url:
        pytest.skip(f"set {variable} to run the {name} adapter tests")
    return url


def empty(store: SQLAlchemyStore) -> None:
    """Delete every row of a store's tables (much faster than dropping them on a server)."""
    with store.engine.begin() as conn:
        for table in store.metadata.sorted_tables:
            if not table.name.endswith("schema"):
                conn.execute(sa.delete(table))


_OPENED: dict[str, str] = {}


@pytest.fixture(scope="module", autouse=True)
def _drop_tables_afterwards() -> Iterator[None]:
    """Drop the server tables the module's stores used."""
    yield
    for url, prefix in _OPENED.items():
        SQLAlchemyStore.from_url(url, table_prefix=prefix).drop_tables()
    _OPENED.clear()


class _SQLAlchemyContract(PersistentStoreContract):
    """Opens server stores under one fresh table prefix per server, emptied before each
    test (SQLite gets a new file per test)."""

    backend = "sqlite"

    def url(self, tmp_path: Path) -> str:
        if self.backend == "sqlite":
            return f"sqlite+pysqlite:///{tmp_path}/contract.db"
        return server_url(self.backend)

    def make_store(self, tmp_path: Path) -> Store:
        url = self.url(tmp_path)
        if self.backend == "sqlite":
            return SQLAlchemyStore.from_url(url)
        known = url in _OPENED
        prefix = _OPENED.setdefault(url, f"t{uuid.uuid4().hex[:12]}_")
        store = SQLAlchemyStore.from_url(url, table_prefix=prefix)
        if known:
            empty(store)
        return store

    def reopen_store(self, store: Store, tmp_path: Path) -> Store:
        assert isinstance(store, SQLAlchemyStore)
        store.close()
        return SQLAlchemyStore.from_url(self.url(tmp_path), table_prefix=store.table_prefix)


class TestSQLiteThroughSQLAlchemy(_SQLAlchemyContract):
    """SQLAlchemyStore on an SQLite file (pysqlite) against the shared contract."""

    backend = "sqlite"


class TestSQLiteMemoryThroughSQLAlchemy(StoreContract):
    """SQLAlchemyStore on an in-memory SQLite database against the shared contract."""

    def make_store(self, tmp_path: Path) -> Store:
        return SQLAlchemyStore.from_url("sqlite+pysqlite://")


class TestPostgreSQL(_SQLAlchemyContract):
    """SQLAlchemyStore on PostgreSQL (psycopg 3) against the shared contract."""

    backend = "postgresql"


class TestMariaDB(_SQLAlchemyContract):
    """SQLAlchemyStore on MariaDB (PyMySQL) against the shared contract."""

    backend = "mariadb"
