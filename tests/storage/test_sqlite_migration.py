"""Files of schema version 1 (WITHOUT ROWID tables) are migrated to version 2 on open,
keeping every record, index entry and stream entry, their order and their uniqueness."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from symprogram.errors import ConcurrencyError
from symprogram.storage.sqlite import _MIGRATIONS, APPLICATION_ID, SCHEMA_VERSION, SQLiteStore


def _version_1_file(path: Path) -> None:
    with closing(sqlite3.connect(path)) as conn:
        for statement in _MIGRATIONS[0]:
            conn.execute(statement)
        conn.executemany(
            "INSERT INTO sp_records VALUES (?, ?, ?, ?)",
            [("thing", k, v, f'{{"k": "{k}"}}') for k, v in [("b", 2), ("a", 1), ("é", 3)]],
        )
        conn.execute("INSERT INTO sp_index VALUES ('email', 'x@example.com', 'a')")
        conn.executemany(
            "INSERT INTO sp_streams VALUES (?, ?, ?)",
            [("log:a", p, f"e{p}") for p in (2, 1, 3)] + [("log:b", 1, "b1")],
        )
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("PRAGMA user_version = 1")
        conn.commit()


def _without_rowid(path: Path) -> dict[str, bool]:
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name: "WITHOUT ROWID" in sql for name, sql in rows}


def test_a_version_1_file_is_migrated_with_everything_in_it(tmp_path: Path) -> None:
    """Opening a version 1 file moves records and streams to rowid tables; the data,
    key order, index and uniqueness checks are all as before."""
    path = tmp_path / "old.db"
    _version_1_file(path)
    assert {"sp_records": True, "sp_index": True, "sp_streams": True} == _without_rowid(path)
    with SQLiteStore(path) as store:
        assert SCHEMA_VERSION == store.schema_version == 3  # 3: the reporting views
        with store.transaction(readonly=True) as tx:
            assert [("a", 1), ("b", 2), ("é", 3)] == [(r.key, r.version) for r in tx.scan("thing")]
            assert "a" == tx.index_get("email", "x@example.com")
            assert [(1, "e1"), (2, "e2"), (3, "e3")] == tx.read("log:a")
            assert ["log:a", "log:b"] == tx.streams()
        with pytest.raises(ConcurrencyError), store.transaction() as tx:
            tx.save("thing", "a", "{}", 0)
        with pytest.raises(ConcurrencyError), store.transaction() as tx:
            tx.append("log:a", 3, "again")
        with store.transaction() as tx:
            assert 4 == tx.save("thing", "é", "{}", 3)
            tx.append("log:a", 4, "e4")
    assert {"sp_records": False, "sp_index": True, "sp_streams": False} == _without_rowid(path)
    with SQLiteStore(path) as store, store.transaction(readonly=True) as tx:
        assert 4 == len(tx.read("log:a"))
