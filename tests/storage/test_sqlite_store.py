"""The SQLite adapter passes the storage contract suite, and handles its own file safely."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram.errors import IntegrityError, StorageError, ValidationError
from symprogram.persistence import Store
from symprogram.storage.sqlite import (
    DEFAULT_CACHE_MB,
    DEFAULT_CHECKPOINT_PAGES,
    SCHEMA_VERSION,
    SQLiteStore,
)
from symprogram.testing.contract import PersistentStoreContract, StoreContract


class TestSQLiteStore(PersistentStoreContract):
    """SQLiteStore on a file against the shared contract."""

    def make_store(self, tmp_path: Path) -> Store:
        return SQLiteStore(tmp_path / "contract.db")

    def reopen_store(self, store: Store, tmp_path: Path) -> Store:
        store.close()
        return SQLiteStore(tmp_path / "contract.db")


class TestSQLiteMemoryDatabase(StoreContract):
    """SQLiteStore on ':memory:' against the shared contract."""

    def make_store(self, tmp_path: Path) -> Store:
        return SQLiteStore(":memory:")


def test_new_file_gets_the_current_schema_version(tmp_path: Path) -> None:
    """A new database file is created at the current schema version, in WAL mode."""
    with SQLiteStore(tmp_path / "new.db") as store:
        assert SCHEMA_VERSION == store.schema_version
    conn = sqlite3.connect(tmp_path / "new.db")
    try:
        assert "wal" == conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()


def test_file_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    """A file whose schema version is newer than this release raises schema_too_new."""
    SQLiteStore(tmp_path / "future.db").close()
    conn = sqlite3.connect(tmp_path / "future.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StorageError) as info:
        SQLiteStore(tmp_path / "future.db")
    assert "schema_too_new" == info.value.code


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    """An SQLite file of another application raises not_a_symprogram_database."""
    conn = sqlite3.connect(tmp_path / "other.db")
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(StorageError) as info:
        SQLiteStore(tmp_path / "other.db")
    assert "not_a_symprogram_database" == info.value.code


def test_garbage_file_is_reported_as_corrupt(tmp_path: Path) -> None:
    """A file that is not a database at all raises IntegrityError database_corrupt."""
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not an sqlite database" * 200)
    with pytest.raises(IntegrityError) as info:
        SQLiteStore(path)
    assert "database_corrupt" == info.value.code


def test_tampered_column_types_are_integrity_errors(tmp_path: Path) -> None:
    """A record whose data was replaced by a non-text value raises IntegrityError on load."""
    with SQLiteStore(tmp_path / "t.db") as store, store.transaction() as tx:
        tx.save("thing", "a", "{}", 0)
    conn = sqlite3.connect(tmp_path / "t.db")
    conn.execute("UPDATE sp_records SET data = X'00FF', version = 'x'")
    conn.commit()
    conn.close()
    with SQLiteStore(tmp_path / "t.db") as store:
        with pytest.raises(IntegrityError), store.transaction(readonly=True) as tx:
            tx.load("thing", "a")


def test_unopenable_path_is_a_storage_error(tmp_path: Path) -> None:
    """A path inside a missing directory raises StorageError, not sqlite3.Error."""
    with pytest.raises(StorageError):
        SQLiteStore(tmp_path / "missing" / "dir" / "x.db")


def test_closed_store_refuses_units_of_work(tmp_path: Path) -> None:
    """After close(), opening a unit of work raises store_closed; close is idempotent."""
    store = SQLiteStore(tmp_path / "c.db")
    store.close()
    store.close()
    with pytest.raises(StorageError) as info, store.transaction():
        pass
    assert "store_closed" == info.value.code


def test_migration_is_idempotent_across_reopen(tmp_path: Path) -> None:
    """Opening the same file many times keeps the schema and the data."""
    with SQLiteStore(tmp_path / "m.db") as store, store.transaction() as tx:
        tx.save("thing", "a", "1", 0)
    for _ in range(3):
        with SQLiteStore(tmp_path / "m.db") as store:
            assert SCHEMA_VERSION == store.schema_version
            with store.transaction(readonly=True) as tx:
                record = tx.load("thing", "a")
                assert record is not None
                assert "1" == record.data


def test_concurrent_opens_of_a_fresh_file_all_succeed(tmp_path: Path) -> None:
    """Eight stores opening one new file at once (switching it to WAL) all succeed."""
    import threading

    for trial in range(5):
        path = tmp_path / f"fresh-{trial}.db"
        barrier = threading.Barrier(8)
        errors: list[BaseException] = []

        def open_one(
            target: Path = path,
            gate: threading.Barrier = barrier,
            found: list[BaseException] = errors,
        ) -> None:
            try:
                gate.wait()
                with SQLiteStore(target) as store, store.transaction(readonly=True) as tx:
                    tx.load("thing", "a")
            except BaseException as error:  # reported below
                found.append(error)

        threads = [threading.Thread(target=open_one) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [] == errors
        with SQLiteStore(path) as store:
            assert SCHEMA_VERSION == store.schema_version


def _pragma(store: SQLiteStore, name: str) -> int:
    value = store._conn.execute(f"PRAGMA {name}").fetchone()[0]  # type: ignore[attr-defined]
    assert isinstance(value, int)
    return value


def test_the_page_cache_and_checkpoint_interval_default_to_the_documented_values(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(tmp_path / "a.db")
    try:
        assert -DEFAULT_CACHE_MB * 1024 == _pragma(store, "cache_size")
        assert DEFAULT_CHECKPOINT_PAGES == _pragma(store, "wal_autocheckpoint")
    finally:
        store.close()


@given(cache_mb=st.integers(1, 4096), pages=st.integers(1, 10**6))
@settings(max_examples=10, deadline=None)
def test_the_page_cache_and_checkpoint_interval_can_be_chosen(cache_mb: int, pages: int) -> None:
    store = SQLiteStore(":memory:", cache_mb=cache_mb, checkpoint_pages=pages)
    try:
        assert -cache_mb * 1024 == _pragma(store, "cache_size")
        assert pages == _pragma(store, "wal_autocheckpoint")
    finally:
        store.close()


@pytest.mark.parametrize(
    ("option", "value", "code"),
    [
        ("cache_mb", 0, "invalid_cache_size"),
        ("cache_mb", -5, "invalid_cache_size"),
        ("cache_mb", True, "invalid_cache_size"),
        ("cache_mb", 1.5, "invalid_cache_size"),
        ("cache_mb", "32", "invalid_cache_size"),
        ("cache_mb", 1 << 40, "invalid_cache_size"),
        ("checkpoint_pages", 0, "invalid_checkpoint_pages"),
        ("checkpoint_pages", None, "invalid_checkpoint_pages"),
        ("checkpoint_pages", 2**63, "invalid_checkpoint_pages"),
    ],
)
def test_a_bad_cache_size_or_checkpoint_interval_is_refused_before_any_file_is_made(
    tmp_path: Path, option: str, value: object, code: str
) -> None:
    path = tmp_path / "never.db"
    with pytest.raises(ValidationError) as caught:
        SQLiteStore(path, **{option: value})  # type: ignore[arg-type]
    assert code == caught.value.code
    assert option == caught.value.field
    assert not path.exists()


def test_a_query_string_is_refused_not_made_part_of_the_file_name(tmp_path: Path) -> None:
    """``sqlite:///x.db?mode=ro``: the embedded adapter reads no query string, so the
    URL is refused (``invalid_storage_url``) and no file ``x.db?mode=ro`` is made."""
    from symprogram.storage import open_store

    with pytest.raises(ValidationError) as info:
        open_store(f"sqlite:///{tmp_path}/x.db?mode=ro")
    assert ("invalid_storage_url", "url") == (info.value.code, info.value.field)
    assert [] == list(tmp_path.iterdir())
