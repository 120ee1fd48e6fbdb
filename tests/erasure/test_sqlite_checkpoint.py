"""``SQLiteStore.checkpoint``: the WAL truncated after an erasure, and when it cannot be."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from symprogram.errors import StorageError
from symprogram.storage.sqlite import SQLiteStore


def _store_with_a_row(path: Path) -> SQLiteStore:
    store = SQLiteStore(path, timeout=0.05)
    with store.transaction() as tx:
        tx.save("note", "n1", '{"text": "Gracielle Hopperina"}', 0)
    return store


def test_checkpoint_truncates_the_wal_and_keeps_secure_delete_on(tmp_path: Path) -> None:
    """After a delete and a checkpoint the WAL is empty and the value is not in the file."""
    path = tmp_path / "c.db"
    with _store_with_a_row(path) as store:
        with store.transaction() as tx:
            tx.delete("note", "n1", 1)

        assert store.checkpoint()

        assert [(1,)] == store._exec("PRAGMA secure_delete")
        assert 0 == Path(f"{path}-wal").stat().st_size
        assert b"Hopperina" not in path.read_bytes()


def test_inside_an_open_unit_of_work_nothing_is_checkpointed(tmp_path: Path) -> None:
    """Nothing is committed yet inside a unit of work: checkpoint returns False."""
    with _store_with_a_row(tmp_path / "c.db") as store, store.transaction():
        assert not store.checkpoint()


def test_a_reader_holding_the_wal_makes_it_database_busy(tmp_path: Path) -> None:
    """Another connection reading an old snapshot keeps the WAL: after its retries the
    call raises StorageError database_busy; once the reader is done it succeeds."""
    path = tmp_path / "c.db"
    with _store_with_a_row(path) as store, closing(sqlite3.connect(path)) as reader:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM sp_records").fetchall()
        with store.transaction() as tx:
            tx.delete("note", "n1", 1)

        with pytest.raises(StorageError) as info:
            store.checkpoint(attempts=2, wait=0.01)
        reader.execute("COMMIT")

        assert "database_busy" == info.value.code
        assert store.checkpoint()


def test_a_closed_store_refuses_to_checkpoint(tmp_path: Path) -> None:
    """checkpoint on a closed store is StorageError store_closed."""
    store = _store_with_a_row(tmp_path / "c.db")
    store.close()
    with pytest.raises(StorageError) as info:
        store.checkpoint()
    assert "store_closed" == info.value.code
