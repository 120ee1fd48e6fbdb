"""WriteBuffer: writes gathered and sent in batches, read back before they are sent,
refused at once when the buffer knows better, checked by the store otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from symprogram.errors import ConcurrencyError, Conflict, StorageError, ValidationError
from symprogram.persistence import Store, WriteBuffer
from symprogram.storage.memory import MemoryStore
from symprogram.storage.sqlite import SQLiteStore


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each test runs on the memory and the SQLite adapter."""
    s: Store = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "b.db")
    yield s
    s.close()


def test_buffered_writes_are_read_back_then_stored_on_flush(store: Store) -> None:
    """Loads, index look-ups and reads see buffered writes; the store sees them after the
    buffer is flushed (on leaving its block)."""
    with store.transaction() as tx:
        with WriteBuffer(tx) as buffer:
            assert 1 == buffer.save("thing", "a", "one", 0)
            assert 2 == buffer.save("thing", "a", "two", 1)
            buffer.index_put("email", "x", "a")
            buffer.append("log", 1, "e1")
            buffer.append("log", 2, "e2")
            record = buffer.load("thing", "a")
            assert record is not None
            assert (2, "two") == (record.version, record.data)
            assert "a" == buffer.index_get("email", "x")
            assert tx.load("thing", "a") is None
            assert 5 == buffer.pending
        assert 0 == buffer.pending
    with store.transaction(readonly=True) as tx:
        record = tx.load("thing", "a")
        assert record is not None
        assert (2, "two") == (record.version, record.data)
        assert "a" == tx.index_get("email", "x")
        assert [(1, "e1"), (2, "e2")] == tx.read("log")


def test_what_the_buffer_knows_refuses_at_once(store: Store) -> None:
    """A stale save of a record it read, a value it knows is taken and an append out of
    place after its own append raise when made, and nothing is buffered for them."""
    with store.transaction() as tx:
        tx.save("thing", "a", "one", 0)
        tx.index_put("email", "x", "a")
    with store.transaction() as tx:
        buffer = WriteBuffer(tx)
        buffer.preload("thing", ["a", "b"])
        buffer.preload_index("email", ["x"])
        with pytest.raises(ConcurrencyError) as stale:
            buffer.save("thing", "a", "again", 0)
        assert "stale_version" == stale.value.code
        assert 1 == stale.value.details["current"]
        with pytest.raises(Conflict) as taken:
            buffer.index_put("email", "x", "b")
        assert "duplicate" == taken.value.code
        buffer.index_put("email", "x", "a")  # the same owner: nothing to do
        buffer.append("log", 1, "e1")
        with pytest.raises(ConcurrencyError) as misplaced:
            buffer.append("log", 3, "e3")
        assert "stream_position_taken" == misplaced.value.code
        assert 1 == buffer.pending


def test_what_the_buffer_does_not_know_is_refused_by_the_flush(store: Store) -> None:
    """A first save of a key that exists (never read) is accepted by the buffer and
    refused by the store when flushed; the unit of work then leaves nothing."""
    with store.transaction() as tx:
        tx.save("thing", "a", "one", 0)
    with pytest.raises(ConcurrencyError), store.transaction() as tx:
        buffer = WriteBuffer(tx)
        buffer.save("thing", "new", "n", 0)
        buffer.save("thing", "a", "clash", 0)
        buffer.flush()
    with store.transaction(readonly=True) as tx:
        assert ["a"] == [r.key for r in tx.scan("thing")]


def test_a_block_that_raises_sends_nothing(store: Store) -> None:
    """Leaving the buffer's block with an exception does not flush it."""
    with store.transaction() as tx:
        with pytest.raises(RuntimeError), WriteBuffer(tx) as buffer:
            buffer.save("thing", "a", "one", 0)
            raise RuntimeError
        assert tx.load("thing", "a") is None


def test_other_operations_flush_first(store: Store) -> None:
    """Scan, read, stream_length, delete, index_delete and rewrite see the buffered writes."""
    with store.transaction() as tx:
        buffer = WriteBuffer(tx)
        buffer.save("thing", "a", "one", 0)
        assert ["a"] == [r.key for r in buffer.scan("thing")]
        buffer.append("log", 1, "e1")
        assert [(1, "e1")] == buffer.read("log")
        assert 1 == buffer.stream_length("log")
        assert ["log"] == buffer.streams()
        buffer.rewrite("log", 1, "E1")
        buffer.index_put("email", "x", "a")
        buffer.index_delete("email", "x")
        assert buffer.index_get("email", "x") is None
        buffer.delete("thing", "a", 1)
        assert buffer.load("thing", "a") is None
        assert 0 == buffer.pending
    with store.transaction(readonly=True) as tx:
        assert [(1, "E1")] == tx.read("log")
        assert tx.load("thing", "a") is None


def test_arguments_are_checked_when_the_write_is_made(store: Store) -> None:
    """Bad keys, text, versions and positions raise the store's ValidationError at once,
    and writes in a read-only unit of work are refused."""
    with store.transaction() as tx:
        buffer = WriteBuffer(tx)
        for call in (
            lambda: buffer.save("thing", "", "{}", 0),
            lambda: buffer.save("thing", "a", b"{}", 0),  # type: ignore[arg-type]
            lambda: buffer.save("thing", "a", "{}", -1),
            lambda: buffer.index_put("email", "a\x00", "k"),
            lambda: buffer.append("log", -1, "x"),
            lambda: buffer.load("thing", 5),  # type: ignore[arg-type]
        ):
            with pytest.raises(ValidationError):
                call()
        assert 0 == buffer.pending
    with store.transaction(readonly=True) as tx:
        with pytest.raises(StorageError) as info:
            WriteBuffer(tx).save("thing", "a", "{}", 0)
        assert "read_only_transaction" == info.value.code
