"""SQLite batches: each record written once, at its final version; keys checked once (issue 20).

A bulk registration adds each terms acceptance and saves it again (bound to the new
candidate) in the same batch. The SQLite adapter folds a record's consecutive saves
into one row write; the result must be exactly what the single saves in order leave,
and a batch whose saves of one record do not follow each other's versions must raise
the error the single calls raise, at the same point. A write buffer's items were
checked when buffered: the adapter takes them as they are (``CheckedItems``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram.errors import ConcurrencyError, ValidationError
from symprogram.persistence import CheckedItems, WriteBuffer, batch_items, save_many
from symprogram.storage._base import MIN_BATCH, net_saves
from symprogram.storage.sqlite import SQLiteStore


def test_an_added_and_saved_record_is_written_once_at_version_two(tmp_path: Path) -> None:
    """add + save of each of MIN_BATCH records in one batch: version 2, the last text."""
    store = SQLiteStore(tmp_path / "c.db")
    keys = [f"k{i}" for i in range(MIN_BATCH)]
    items = [("acc", k, f"first {k}", 0) for k in keys] + [
        ("acc", k, f"bound {k}", 1) for k in keys
    ]
    with store.transaction() as tx:
        assert [1] * MIN_BATCH + [2] * MIN_BATCH == save_many(tx, items)
    with store.transaction(readonly=True) as tx:
        found = [(r.key, r.version, r.data) for r in tx.scan("acc")]
    store.close()
    assert [(k, 2, f"bound {k}") for k in sorted(keys)] == found


def test_a_broken_chain_raises_what_the_single_saves_raise(tmp_path: Path) -> None:
    """Two adds of one key in a batch: ConcurrencyError, nothing of the unit kept."""
    store = SQLiteStore(tmp_path / "c.db")
    items = [("acc", f"k{i}", "x", 0) for i in range(MIN_BATCH)] + [("acc", "k0", "again", 0)]
    with pytest.raises(ConcurrencyError), store.transaction() as tx:
        save_many(tx, items)
    with store.transaction(readonly=True) as tx:
        assert [] == tx.scan("acc")
    store.close()


_saves = st.lists(
    st.tuples(st.sampled_from(["a", "b"]), st.sampled_from(["k0", "k1"]), st.text(max_size=3)),
    max_size=12,
)


def _chain(
    saves: list[tuple[str, str, str]], start: int
) -> tuple[list[tuple[str, str, str, int]], dict[tuple[str, str], int]]:
    """Saves whose versions follow each other per record, from ``start``."""
    versions: dict[tuple[str, str], int] = {}
    batch: list[tuple[str, str, str, int]] = []
    for kind, key, data in saves:
        expected = versions.get((kind, key), start)
        batch.append((kind, key, data, expected))
        versions[kind, key] = expected + 1
    return batch, versions


@settings(max_examples=50, deadline=None)
@given(saves=_saves, start=st.integers(0, 3))
def test_net_saves_keeps_the_last_text_and_the_final_version(
    saves: list[tuple[str, str, str]], start: int
) -> None:
    """Property: one entry per record, in first-seen order, with its first expected
    version, its last text and its final version."""
    batch, versions = _chain(saves, start)
    last = {(k, key): d for k, key, d in saves}
    assert [(k, key, last[k, key], start, versions[k, key]) for k, key in last] == net_saves(batch)


@settings(max_examples=50, deadline=None)
@given(saves=_saves.filter(bool), gap=st.integers(-2, 3).filter(lambda g: g != 0))
def test_a_save_out_of_step_gives_none(saves: list[tuple[str, str, str]], gap: int) -> None:
    """Property: a further save of a record at any version but the next: None (replayed
    one by one, that save raises)."""
    batch, versions = _chain(saves, 0)
    kind, key, _ = saves[0]
    batch.append((kind, key, "late", versions[kind, key] + gap))
    assert net_saves(batch) is None


def test_a_write_buffer_hands_on_its_checked_items(tmp_path: Path) -> None:
    """A WriteBuffer flushes CheckedItems (checked when buffered, passed on as they
    are); a plain batch is still checked item by item (invalid_batch, invalid_key)."""
    checked = CheckedItems([("acc", "k", "x", 0)])
    assert checked is batch_items(checked, 4)
    with pytest.raises(ValidationError) as raised:
        batch_items([("acc", "k", "x")], 4)
    assert "invalid_batch" == raised.value.code
    store = SQLiteStore(tmp_path / "c.db")
    with pytest.raises(ValidationError) as refused, store.transaction() as tx:
        save_many(tx, [("acc", f"k{i}", "x", 0) for i in range(MIN_BATCH)] + [("acc", "", "x", 0)])
    assert "invalid_key" == refused.value.code
    with store.transaction() as tx, WriteBuffer(tx) as buffer:
        for i in range(MIN_BATCH):
            buffer.save("acc", f"k{i}", "x", 0)
        with pytest.raises(ValidationError):
            buffer.save("acc", "", "x", 0)  # refused when buffered, never sent
    with store.transaction(readonly=True) as tx:
        assert [f"k{i}" for i in range(MIN_BATCH)] == [r.key for r in tx.scan("acc")]
    store.close()
