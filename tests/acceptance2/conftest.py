"""Fixtures of the second acceptance pass: SQLAlchemy-backed programs (SQLite always,
PostgreSQL / MariaDB when their URLs are set), with unique table prefixes."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from symprogram import Program

# the first pass's helpers and hostile targets are reused, not copied
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "acceptance"))

SQL_BACKENDS = ("sqla-sqlite", "postgresql", "mariadb")
ENV = {
    "postgresql": "SYMPROGRAM_TEST_POSTGRES_URL",
    "mariadb": "SYMPROGRAM_TEST_MARIADB_URL",
}


def sql_url(backend: str, tmp_path: Path) -> str:
    """A URL with a unique ``symprogram_table_prefix`` for ``backend`` (skips if unset)."""
    prefix = f"a2{uuid.uuid4().hex[:8]}_"
    if backend == "sqla-sqlite":
        return f"sqlite+pysqlite:///{tmp_path / 'sqla.db'}?symprogram_table_prefix={prefix}"
    base = os.environ.get(ENV[backend])
    if not base:
        pytest.skip(f"{ENV[backend]} is not set: no {backend} server to test against")
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}symprogram_table_prefix={prefix}"


@pytest.fixture(params=SQL_BACKENDS)
def sql_backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh SQLAlchemy URL; its tables are dropped afterwards."""
    url = sql_url(str(request.param), tmp_path)
    yield url
    from symprogram.storage.sqlalchemy import SQLAlchemyStore

    store = SQLAlchemyStore.from_url(url)
    try:
        store.drop_tables()
    finally:
        store.close()


@pytest.fixture(params=("memory", "sqlite"))
def backend(request: pytest.FixtureRequest) -> str:
    """The embedded storage backend under test."""
    return str(request.param)


@pytest.fixture
def program(backend: str, tmp_path: Path) -> Iterator[Program]:
    """A fresh program on the backend with a FixedClock, closed afterwards."""
    from acceptance_helpers import make_program

    with make_program(backend, tmp_path) as made:
        yield made
