"""Issue 18: ``load_for_update`` locks an aggregate's row so its writers queue.

On the embedded adapters (memory, SQLite) it is :meth:`Transaction.load` (their
writers are serialised anyway); on PostgreSQL and MariaDB a second unit of work
asking for the same row waits until the first ends, then reads what it committed.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from symprogram.persistence import Record, Repository, Store, load_for_update
from symprogram.storage.sqlalchemy import SQLAlchemyStore

SERVERS = {"postgresql": "SYMPROGRAM_TEST_POSTGRES_URL", "mariadb": "SYMPROGRAM_TEST_MARIADB_URL"}


@attrs.frozen
class Counter:
    """A tiny aggregate for the repository test."""

    name: str
    count: int = 0
    version: int = 0


def test_load_for_update_is_load_on_the_embedded_adapters(store: Store) -> None:
    """Memory and SQLite: load_for_update answers what load answers (None, then the record)."""
    with store.transaction() as tx:
        assert load_for_update(tx, "note", "n1") is None
        tx.save("note", "n1", '{"text": "hello"}', 0)
        assert Record("note", "n1", 1, '{"text": "hello"}') == load_for_update(tx, "note", "n1")
        assert tx.load("note", "n1") == load_for_update(tx, "note", "n1")


def test_repository_find_for_update(store: Store) -> None:
    """Repository.find_for_update decodes the locked record like find."""
    with store.transaction() as tx:
        repo = Repository(tx, "counter", Counter, key=lambda c: c.name)
        assert repo.find_for_update("a") is None
        repo.add(Counter("a", 1))
        assert Counter("a", 1, 1) == repo.find_for_update("a") == repo.find("a")


class _Plain:
    """A transaction without the optional method: the helper falls back to load."""

    def load(self, kind: str, key: str) -> Record | None:
        return Record(kind, key, 3, "{}")


def test_load_for_update_falls_back_to_load() -> None:
    """An adapter without load_for_update is read with its load."""
    assert Record("k", "x", 3, "{}") == load_for_update(_Plain(), "k", "x")  # type: ignore[arg-type]


@pytest.fixture(params=["sqlalchemy-sqlite", "postgresql", "mariadb"])
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SQLAlchemyStore]:
    """A SQLAlchemy store on SQLite and, when their URLs are set, on the servers."""
    if request.param == "sqlalchemy-sqlite":
        url = f"sqlite+pysqlite:///{tmp_path}/locks.db"
    else:
        found = os.environ.get(SERVERS[request.param])
        if not found:
            pytest.skip(f"set {SERVERS[request.param]} to run the {request.param} lock test")
        url = found
    store = SQLAlchemyStore.from_url(url, table_prefix=f"k{uuid.uuid4().hex[:10]}_")
    try:
        yield store
    finally:
        store.drop_tables()


def test_second_writer_waits_and_reads_the_first_ones_commit(sql_store: SQLAlchemyStore) -> None:
    """A locked row: the second writer waits for the first and reads its committed version."""
    with sql_store.transaction() as tx:
        tx.save("counter", "hot", "1", 0)
    first_locked, second_read = threading.Event(), threading.Event()
    seen: list[int] = []
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with sql_store.transaction() as tx:
                record = load_for_update(tx, "counter", "hot")
                assert record is not None
                first_locked.set()
                # The second writer must not get past its locked read meanwhile.
                assert not second_read.wait(0.5)
                tx.save("counter", "hot", "2", record.version)
        except BaseException as exc:
            errors.append(exc)
            first_locked.set()

    def second() -> None:
        try:
            first_locked.wait(10)
            with sql_store.transaction() as tx:
                record = load_for_update(tx, "counter", "hot")
                second_read.set()
                assert record is not None
                seen.append(record.version)
                tx.save("counter", "hot", "3", record.version)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join(30)
    assert [] == errors
    assert [2] == seen
    with sql_store.transaction(readonly=True) as tx:
        assert Record("counter", "hot", 3, "3") == tx.load("counter", "hot")
        assert Record("counter", "hot", 3, "3") == load_for_update(tx, "counter", "hot")
