"""The storage contract suite: one set of tests every adapter must pass.

A storage adapter's test module subclasses :class:`StoreContract` and provides a
factory, exactly as a third-party adapter would::

    import pytest
    from symprogram.testing.contract import PersistentStoreContract, StoreContract
    from my_adapter import MyStore

    class TestMyStore(StoreContract):
        def make_store(self, tmp_path):
            return MyStore(...)

    # for stores that outlive the process, also reopen what make_store created:
    class TestMyFileStore(PersistentStoreContract):
        def make_store(self, tmp_path):
            return MyStore(tmp_path / "data")

        def reopen_store(self, store, tmp_path):
            store.close()
            return MyStore(...)

The base class is not named ``Test*``, so pytest does not collect it by itself.
It needs ``pytest`` and ``hypothesis`` (the ``test`` extra).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symprogram.errors import (
    ConcurrencyError,
    Conflict,
    LimitExceeded,
    NotFound,
    StorageError,
    SymprogramError,
    ValidationError,
)
from symprogram.persistence import (
    MAX_KEY_LENGTH,
    AppendItem,
    IndexItem,
    SaveItem,
    Store,
    Transaction,
    WriteBuffer,
    append_many,
    index_get_many,
    index_put_many,
    load_many,
    save_many,
)

__all__ = ["PersistentStoreContract", "StoreContract", "keys", "texts"]


def keys() -> st.SearchStrategy[str]:
    """Valid storage keys: 1-255 characters of any Unicode except NUL and surrogates."""
    return st.text(
        alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
        min_size=1,
        max_size=40,
    )


def texts() -> st.SearchStrategy[str]:
    """Arbitrary stored data text (JSON text in practice), including quotes and escapes."""
    return st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=200).map(
        lambda s: '{"v": ' + _json_string(s) + "}"
    )


def _json_string(value: str) -> str:
    import json

    return json.dumps(value)


class _Boom(Exception):
    """Raised inside a unit of work to make it fail."""


_HEALTH = [
    HealthCheck.function_scoped_fixture,
    HealthCheck.too_slow,
    HealthCheck.differing_executors,
]


_Ops = tuple[list[SaveItem], list[IndexItem], list[AppendItem]]
_SPACES = itertools.count()
_SMALL_TEXT = st.text(alphabet='ab"é😀', max_size=4)


def _batch_ops() -> st.SearchStrategy[_Ops]:
    """Saves, index entries and appends on a few names: often fine, sometimes stale,
    taken or out of place, and often more than a few of a kind (an adapter's batch path)."""
    saves = st.lists(
        st.tuples(
            st.sampled_from(["a", "b"]),
            st.sampled_from(["k0", "k1", "k2", "k3"]),
            _SMALL_TEXT,
            st.integers(0, 2),
        ),
        max_size=14,
    )
    puts = st.lists(
        st.tuples(
            st.just("idx"), st.sampled_from(["v0", "v1", "v2", "v3"]), st.sampled_from(["k0", "k1"])
        ),
        max_size=12,
    )
    appends = st.lists(
        st.tuples(st.sampled_from(["s0", "s1"]), st.integers(1, 5), _SMALL_TEXT), max_size=14
    )
    return st.tuples(saves, puts, appends)


def _apply(tx: Transaction, space: str, ops: _Ops, *, batched: bool) -> None:
    """Apply ``ops`` under ``space`` (prefixing kinds, index and stream names)."""
    saves = [(space + kind, key, data, version) for kind, key, data, version in ops[0]]
    puts = [(space + index, value, key) for index, value, key in ops[1]]
    appends = [(space + stream, position, data) for stream, position, data in ops[2]]
    if batched:
        save_many(tx, saves)
        index_put_many(tx, puts)
        append_many(tx, appends)
        return
    for kind, key, data, version in saves:
        tx.save(kind, key, data, version)
    for index, value, key in puts:
        tx.index_put(index, value, key)
    for stream, position, data in appends:
        tx.append(stream, position, data)


def _prepare(tx: Transaction, space: str, ops: _Ops) -> None:
    """Apply ``ops`` under ``space`` one by one, skipping those the store refuses."""
    for single in (
        *[([op], [], []) for op in ops[0]],
        *[([], [op], []) for op in ops[1]],
        *[([], [], [op]) for op in ops[2]],
    ):
        with contextlib.suppress(ConcurrencyError, Conflict):
            _apply(tx, space, single, batched=False)


def _contents(tx: Transaction, space: str) -> object:
    """Everything ``_apply`` can have written under ``space``."""
    return (
        [
            (r.kind[len(space) :], r.key, r.version, r.data)
            for k in "ab"
            for r in tx.scan(space + k)
        ],
        {v: tx.index_get(space + "idx", v) for v in ("v0", "v1", "v2", "v3")},
        {s: tx.read(space + s) for s in ("s0", "s1")},
    )


class StoreContract:
    """Behaviour every :class:`~symprogram.persistence.Store` must have.

    Subclasses implement :meth:`make_store`. Stores that persist beyond the
    process subclass :class:`PersistentStoreContract` instead.
    """

    def make_store(self, tmp_path: Path) -> Store:
        """Return a new, empty store."""
        raise NotImplementedError

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        """A fresh store, closed afterwards."""
        store = self.make_store(tmp_path)
        try:
            yield store
        finally:
            store.close()

    # -- records -------------------------------------------------------------
    def test_save_then_load_returns_data_and_version(self, store: Store) -> None:
        """A saved record loads back with its data and version 1, then 2 after an update."""
        with store.transaction() as tx:
            assert 1 == tx.save("thing", "a", '{"n": 1}', 0)
        with store.transaction() as tx:
            record = tx.load("thing", "a")
            assert record is not None
            assert (1, '{"n": 1}') == (record.version, record.data)
            assert 2 == tx.save("thing", "a", '{"n": 2}', 1)
        with store.transaction(readonly=True) as tx:
            record = tx.load("thing", "a")
            assert record is not None
            assert (2, '{"n": 2}') == (record.version, record.data)

    def test_load_of_missing_record_is_none(self, store: Store) -> None:
        """Loading a record that was never saved gives None."""
        with store.transaction(readonly=True) as tx:
            assert tx.load("thing", "missing") is None

    def test_stale_version_raises_and_never_overwrites(self, store: Store) -> None:
        """A save based on a stale version raises ConcurrencyError and keeps the newer data."""
        with store.transaction() as tx:
            tx.save("thing", "a", "1", 0)
            tx.save("thing", "a", "2", 1)
        with pytest.raises(ConcurrencyError) as info, store.transaction() as tx:
            tx.save("thing", "a", "stale", 1)
        assert "stale_version" == info.value.code
        with pytest.raises(ConcurrencyError), store.transaction() as tx:
            tx.save("thing", "a", "again", 0)
        with store.transaction() as tx:
            record = tx.load("thing", "a")
            assert record is not None
            assert (2, "2") == (record.version, record.data)

    def test_delete_respects_version(self, store: Store) -> None:
        """Delete needs the current version; a missing record raises NotFound."""
        with store.transaction() as tx:
            tx.save("thing", "a", "1", 0)
        with pytest.raises(ConcurrencyError), store.transaction() as tx:
            tx.delete("thing", "a", 5)
        with store.transaction() as tx:
            tx.delete("thing", "a", 1)
            assert tx.load("thing", "a") is None
        with pytest.raises(NotFound), store.transaction() as tx:
            tx.delete("thing", "a", 1)
        with store.transaction() as tx:
            assert 1 == tx.save("thing", "a", "new", 0)

    def test_scan_orders_by_code_point_with_prefix_after_and_limit(self, store: Store) -> None:
        """Scan returns keys in code-point order, filtered by prefix, paged by after/limit."""
        names = ["b/2", "a/1", "b/10", "b/1", "c", "b/é", "b/Z", "b/z", "b/😀", "ba"]
        with store.transaction() as tx:
            for name in names:
                tx.save("thing", name, "{}", 0)
            tx.save("other", "b/3", "{}", 0)
        with store.transaction(readonly=True) as tx:
            assert sorted(names) == [r.key for r in tx.scan("thing")]
            in_b = sorted(n for n in names if n.startswith("b/"))
            assert in_b == [r.key for r in tx.scan("thing", prefix="b/")]
            first = tx.scan("thing", prefix="b/", limit=3)
            rest = tx.scan("thing", prefix="b/", after=first[-1].key, limit=100)
            assert in_b == [r.key for r in first + rest]
            assert [] == tx.scan("thing", prefix="zz")

    def test_keys_are_case_and_accent_sensitive(self, store: Store) -> None:
        """Keys differing only in case or accents are different records."""
        with store.transaction() as tx:
            for key in ["abc", "ABC", "ábc", "abc "]:
                tx.save("thing", key, key, 0)
        with store.transaction(readonly=True) as tx:
            for key in ["abc", "ABC", "ábc", "abc "]:
                record = tx.load("thing", key)
                assert record is not None
                assert key == record.data

    # -- unique index ------------------------------------------------------------
    def test_unique_index_refuses_a_second_owner(self, store: Store) -> None:
        """A value held by one key cannot be claimed by another; the same key may repeat."""
        with store.transaction() as tx:
            tx.index_put("email", "a@example.com", "C1")
            tx.index_put("email", "a@example.com", "C1")
        with pytest.raises(Conflict) as info, store.transaction() as tx:
            tx.index_put("email", "a@example.com", "C2")
        assert "duplicate" == info.value.code
        with store.transaction() as tx:
            assert "C1" == tx.index_get("email", "a@example.com")
            assert tx.index_get("email", "b@example.com") is None
            tx.index_delete("email", "a@example.com")
            tx.index_delete("email", "never-there")
            tx.index_put("email", "a@example.com", "C2")
        with store.transaction(readonly=True) as tx:
            assert "C2" == tx.index_get("email", "a@example.com")

    # -- streams -------------------------------------------------------------------
    def test_streams_append_gap_free_and_read_in_order(self, store: Store) -> None:
        """Entries append at 1, 2, 3...; a taken or skipped position raises ConcurrencyError."""
        with store.transaction() as tx:
            for i in range(1, 6):
                tx.append("log:x", i, f"e{i}")
        for bad in (3, 5, 7):
            with pytest.raises(ConcurrencyError), store.transaction() as tx:
                tx.append("log:x", bad, "bad")
        with store.transaction(readonly=True) as tx:
            assert 5 == tx.stream_length("log:x")
            assert 0 == tx.stream_length("log:none")
            assert [(i, f"e{i}") for i in range(1, 6)] == tx.read("log:x")
            assert [(3, "e3"), (4, "e4")] == tx.read("log:x", after=2, limit=2)
            assert [] == tx.read("log:x", after=5)

    def test_stream_names_list_in_order_with_prefix(self, store: Store) -> None:
        """Stream names list in code-point order, filtered by prefix and paged."""
        with store.transaction() as tx:
            for name in ["h:b", "h:a", "c:a", "h:c"]:
                tx.append(name, 1, "x")
        with store.transaction(readonly=True) as tx:
            assert ["h:a", "h:b", "h:c"] == tx.streams(prefix="h:")
            assert ["h:c"] == tx.streams(prefix="h:", after="h:b")
            assert ["c:a", "h:a"] == tx.streams(limit=2)

    def test_rewrite_replaces_one_entry(self, store: Store) -> None:
        """Rewrite changes exactly one existing entry; a missing one raises NotFound."""
        with store.transaction() as tx:
            tx.append("s", 1, "a")
            tx.append("s", 2, "b")
            tx.rewrite("s", 1, "A")
        with store.transaction(readonly=True) as tx:
            assert [(1, "A"), (2, "b")] == tx.read("s")
        with pytest.raises(NotFound), store.transaction() as tx:
            tx.rewrite("s", 3, "c")

    # -- units of work ---------------------------------------------------------------
    def test_failed_unit_of_work_leaves_nothing(self, store: Store) -> None:
        """An exception inside the block rolls back records, index entries and stream entries."""
        with store.transaction() as tx:
            tx.save("thing", "kept", "1", 0)
            tx.append("s", 1, "kept")
        with pytest.raises(_Boom), store.transaction() as tx:
            tx.save("thing", "new", "1", 0)
            tx.save("thing", "kept", "2", 1)
            tx.delete("thing", "kept", 2)
            tx.index_put("email", "x", "new")
            tx.append("s", 2, "lost")
            tx.append("t", 1, "lost")
            tx.rewrite("s", 1, "changed")
            raise _Boom
        with store.transaction(readonly=True) as tx:
            assert tx.load("thing", "new") is None
            kept = tx.load("thing", "kept")
            assert kept is not None
            assert (1, "1") == (kept.version, kept.data)
            assert tx.index_get("email", "x") is None
            assert [(1, "kept")] == tx.read("s")
            assert [] == tx.read("t")
            assert ["s"] == tx.streams()

    def test_a_domain_error_mid_way_rolls_back_too(self, store: Store) -> None:
        """A SymprogramError raised by the store itself also rolls back earlier writes."""
        with store.transaction() as tx:
            tx.index_put("email", "taken", "C1")
        with pytest.raises(Conflict), store.transaction() as tx:
            tx.save("thing", "half", "1", 0)
            tx.index_put("email", "taken", "C2")
        with store.transaction(readonly=True) as tx:
            assert tx.load("thing", "half") is None

    def test_readonly_unit_of_work_refuses_writes(self, store: Store) -> None:
        """Writing inside a read-only unit of work raises StorageError."""
        with pytest.raises(StorageError) as info, store.transaction(readonly=True) as tx:
            tx.save("thing", "a", "1", 0)
        assert "read_only_transaction" == info.value.code

    def test_nested_blocks_join_the_outer_unit_of_work(self, store: Store) -> None:
        """A nested block shares the outer unit of work: the outer failure undoes both."""
        with pytest.raises(_Boom), store.transaction() as outer:
            outer.save("thing", "outer", "1", 0)
            with store.transaction() as inner:
                inner.save("thing", "inner", "1", 0)
            raise _Boom
        with store.transaction(readonly=True) as tx:
            assert tx.load("thing", "outer") is None
            assert tx.load("thing", "inner") is None

    def test_threads_writing_the_same_record_lose_no_update(self, store: Store) -> None:
        """Concurrent read-modify-write with retry on ConcurrencyError counts every increment."""
        with store.transaction() as tx:
            tx.save("counter", "c", "0", 0)
        workers, each = 4, 25
        errors: list[BaseException] = []

        def work() -> None:
            try:
                for _ in range(each):
                    while True:
                        try:
                            with store.transaction() as tx:
                                record = tx.load("counter", "c")
                                assert record is not None
                                tx.save("counter", "c", str(int(record.data) + 1), record.version)
                            break
                        except ConcurrencyError:
                            continue
                        except StorageError as exc:
                            if exc.code in ("database_busy", "serialization_failure", "deadlock"):
                                continue
                            raise
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [] == errors
        with store.transaction(readonly=True) as tx:
            record = tx.load("counter", "c")
            assert record is not None
            assert (str(workers * each), 1 + workers * each) == (record.data, record.version)

    def test_threads_appending_to_one_stream_leave_no_gap(self, store: Store) -> None:
        """Concurrent appends with retry produce a gap-free stream with every entry once."""
        workers, each = 4, 10
        errors: list[BaseException] = []

        def work(n: int) -> None:
            try:
                for i in range(each):
                    while True:
                        try:
                            with store.transaction() as tx:
                                tx.append("shared", tx.stream_length("shared") + 1, f"{n}-{i}")
                            break
                        except ConcurrencyError:
                            continue
                        except StorageError as exc:
                            if exc.code in ("database_busy", "serialization_failure", "deadlock"):
                                continue
                            raise
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [] == errors
        with store.transaction(readonly=True) as tx:
            entries = tx.read("shared")
        assert list(range(1, workers * each + 1)) == [p for p, _ in entries]
        expected = sorted(f"{n}-{i}" for n in range(workers) for i in range(each))
        assert expected == sorted(d for _, d in entries)

    # -- batches (symprogram.persistence.save_many & co.) -----------------------------
    def test_batches_write_what_the_single_calls_write(self, store: Store) -> None:
        """save_many, index_put_many and append_many (more than a few items, so that an
        adapter's own batch path runs) store what the single calls store."""
        with store.transaction() as tx:
            tx.save("thing", "old", "o1", 0)
            tx.append("log:b", 1, "b1")
        saves = [("thing", f"k{n:02d}", f"d{n}", 0) for n in range(12)]
        saves += [("thing", "k03", "again", 1), ("thing", "old", "o2", 1), ("other", "k03", "x", 0)]
        with store.transaction() as tx:
            assert [1] * 12 + [2, 2, 1] == save_many(tx, saves)
            index_put_many(tx, [("email", f"v{n}", f"k{n}") for n in range(10)])
            index_put_many(tx, [("email", "v1", "k1")] * 9)  # the same owner again: fine
            append_many(
                tx,
                [("log:a", p, f"a{p}") for p in range(1, 8)]
                + [("log:b", p, f"b{p}") for p in range(2, 5)],
            )
        with store.transaction(readonly=True) as tx:
            loaded = {(r.key, r.version, r.data) for r in tx.scan("thing", limit=100)}
            expected = {(f"k{n:02d}", 1, f"d{n}") for n in range(12) if n != 3}
            assert expected | {("k03", 2, "again"), ("old", 2, "o2")} == loaded
            assert [("k03", 1, "x")] == [(r.key, r.version, r.data) for r in tx.scan("other")]
            assert {f"v{n}": f"k{n}" for n in range(10)} == index_get_many(
                tx, "email", [f"v{n}" for n in range(12)]
            )
            assert [(p, f"a{p}") for p in range(1, 8)] == tx.read("log:a")
            assert [(p, f"b{p}") for p in range(1, 5)] == tx.read("log:b")
            found = load_many(tx, "thing", ["k01", "missing", "old", "k01"])
            assert {"k01": (1, "d1"), "old": (2, "o2")} == {
                k: (r.version, r.data) for k, r in found.items()
            }
            assert all(k == r.key and r.kind == "thing" for k, r in found.items())

    def test_empty_batches_do_nothing(self, store: Store) -> None:
        """Empty batches write and find nothing, even in a read-only unit of work."""
        with store.transaction(readonly=True) as tx:
            assert [] == save_many(tx, [])
            index_put_many(tx, [])
            append_many(tx, ())
            assert {} == load_many(tx, "thing", [])
            assert {} == index_get_many(tx, "email", [])
            assert [] == tx.scan("thing")

    @pytest.mark.parametrize("at", [0, 5, 11])
    def test_a_refused_item_raises_the_single_error_and_leaves_nothing(
        self, store: Store, at: int
    ) -> None:
        """A stale save, a taken index value or an out-of-place append at item ``at`` of a
        batch raises what the single calls in order raise; the unit of work leaves nothing."""
        with store.transaction() as tx:
            tx.save("thing", "taken", "t", 0)
            tx.index_put("email", "taken", "owner")
            tx.append("log", 1, "first")

        def single(call: Callable[[Transaction], object]) -> SymprogramError:
            with pytest.raises(SymprogramError) as info, store.transaction() as tx:
                call(tx)
            return info.value

        saves = [("thing", f"n{n}", "x", 0) for n in range(12)]
        saves[at] = ("thing", "taken", "y", 0)
        puts = [("email", f"n{n}", "k") for n in range(12)]
        puts[at] = ("email", "taken", "intruder")
        appends = [("log", p, "e") for p in range(2, 14)]
        appends[at] = ("log", 1, "again")

        def one_by_one(tx: Transaction) -> None:
            for item in saves:
                tx.save(*item)

        def put_one_by_one(tx: Transaction) -> None:
            for item in puts:
                tx.index_put(*item)

        def append_one_by_one(tx: Transaction) -> None:
            for item in appends:
                tx.append(*item)

        cases: list[tuple[Callable[[Transaction], object], Callable[[Transaction], object]]] = [
            (lambda tx: save_many(tx, saves), one_by_one),
            (lambda tx: index_put_many(tx, puts), put_one_by_one),
            (lambda tx: append_many(tx, appends), append_one_by_one),
        ]
        for batch, one in cases:
            expected = single(one)
            with pytest.raises(SymprogramError) as info, store.transaction() as tx:
                batch(tx)
            assert (type(expected), expected.code) == (type(info.value), info.value.code)
            assert expected.details == info.value.details
        with store.transaction(readonly=True) as tx:
            assert ["taken"] == [r.key for r in tx.scan("thing")]
            assert {"taken": "owner"} == index_get_many(tx, "email", [p[1] for p in puts])
            assert [(1, "first")] == tx.read("log")

    @pytest.mark.parametrize(
        "bad",
        [("", "{}", 0), ("a\x00", "{}", 0), ("k" * (MAX_KEY_LENGTH + 1), "{}", 0),
         ("a\ud800", "{}", 0), ("a", b"{}", 0), ("a", "\ud800", 0), ("a", "{}", -1),
         ("a", "{}", True), (1, "{}", 0)],
    )  # fmt: skip
    def test_an_invalid_item_raises_the_single_error(
        self, store: Store, bad: tuple[object, object, object]
    ) -> None:
        """An invalid key, text, version or position in the middle of a batch raises the
        error (class and code) of the single call; the unit of work leaves nothing."""
        key, data, number = bad

        def outcome(call: Callable[[Transaction], object]) -> tuple[type, str] | None:
            try:
                with store.transaction() as tx:
                    call(tx)
                    raise _Boom
            except _Boom:
                return None
            except SymprogramError as exc:
                return type(exc), exc.code

        good = [("thing", f"g{n}", "{}", 0) for n in range(10)]
        saves: list[Any] = [*good[:5], ("thing", key, data, number), *good[5:]]
        single = outcome(lambda tx: tx.save("thing", key, data, number))  # type: ignore[arg-type]
        assert single is not None
        assert single == outcome(lambda tx: save_many(tx, saves))
        puts: list[Any] = [(f"i{n}", "v", "k") for n in range(10)]
        puts.insert(5, ("email", key, "k"))
        single_put = outcome(lambda tx: tx.index_put("email", key, "k"))  # type: ignore[arg-type]
        assert single_put == outcome(lambda tx: index_put_many(tx, puts))
        position = number if isinstance(number, int) and number < 0 else 1
        appends: list[Any] = [(f"s{n}", 1, "x") for n in range(10)]
        appends.insert(5, (key, position, data))
        single_append = outcome(lambda tx: tx.append(key, position, data))  # type: ignore[arg-type]
        assert single_append == outcome(lambda tx: append_many(tx, appends))
        with store.transaction(readonly=True) as tx:
            assert [] == tx.scan("thing")
            assert [] == tx.streams()
            assert {} == index_get_many(tx, "i0", ["v"])

    def test_malformed_batches_are_refused_before_any_write(self, store: Store) -> None:
        """A batch that is not a sequence of tuples of the right length raises
        ValidationError (invalid_batch)."""
        for call in (
            lambda tx: save_many(tx, "abc"),  # type: ignore[arg-type]
            lambda tx: save_many(tx, [("thing", "a", "{}", 0), ("thing", "b", "{}")]),  # type: ignore[list-item]
            lambda tx: index_put_many(tx, [["email", "v", "k"]]),  # type: ignore[list-item]
            lambda tx: append_many(tx, None),  # type: ignore[arg-type]
            lambda tx: load_many(tx, "thing", "abc"),
            lambda tx: index_get_many(tx, "email", 5),  # type: ignore[arg-type]
        ):
            with pytest.raises(ValidationError) as info, store.transaction() as tx:
                call(tx)
            assert "invalid_batch" == info.value.code
        with store.transaction(readonly=True) as tx:
            assert [] == tx.scan("thing")

    @settings(max_examples=40, deadline=None, suppress_health_check=_HEALTH)
    @given(setup=_batch_ops(), batch=_batch_ops())
    def test_a_batch_equals_the_single_calls_in_order(
        self, store: Store, setup: _Ops, batch: _Ops
    ) -> None:
        """Whatever the items (stale, taken, out of place or fine), each batch helper leaves
        exactly what the single calls in order leave, and raises the same error."""
        results = []
        for batched in (True, False):
            space = f"{next(_SPACES)}:"
            with store.transaction() as tx:
                _prepare(tx, space, setup)
                error = None
                try:
                    _apply(tx, space, batch, batched=batched)
                except SymprogramError as exc:
                    details = {
                        k: v.removeprefix(space) if isinstance(v, str) else v
                        for k, v in exc.details.items()
                    }
                    error = (type(exc), exc.code, details)
                results.append((error, _contents(tx, space)))
        assert results[0] == results[1]

    @settings(max_examples=40, deadline=None, suppress_health_check=_HEALTH)
    @given(setup=_batch_ops(), ops=_batch_ops())
    def test_a_write_buffer_leaves_what_direct_writes_leave(
        self, store: Store, setup: _Ops, ops: _Ops
    ) -> None:
        """Writes made through a WriteBuffer (flushed in batches) succeed exactly when the
        same writes made directly succeed, and then leave the same contents."""
        results = []
        for buffered in (True, False):
            space = f"{next(_SPACES)}:"
            with store.transaction() as tx:
                _prepare(tx, space, setup)
                buffer = WriteBuffer(tx)
                try:
                    _apply(buffer if buffered else tx, space, ops, batched=False)
                    buffer.flush()
                    outcome: object = _contents(tx, space)
                except (ConcurrencyError, Conflict):
                    outcome = "refused"
                results.append(outcome)
        assert results[0] == results[1]

    # -- bad input -----------------------------------------------------------------
    @pytest.mark.parametrize("bad", ["", "a\x00b", "k" * (MAX_KEY_LENGTH + 1)])
    def test_bad_keys_raise_validation_errors(self, store: Store, bad: str) -> None:
        """Empty, NUL-containing and overlong keys raise ValidationError, nothing is written."""
        with pytest.raises(ValidationError), store.transaction() as tx:
            tx.save("thing", bad, "{}", 0)
        with pytest.raises(ValidationError), store.transaction() as tx:
            tx.index_put("email", bad, "k")
        with pytest.raises(ValidationError), store.transaction() as tx:
            tx.append(bad, 1, "x")
        with store.transaction(readonly=True) as tx:
            assert [] == tx.scan("thing")

    def test_lone_surrogates_and_wrong_bound_types_are_refused(self, store: Store) -> None:
        """Lone surrogates (no database holds them) and non-string bounds raise ValidationError."""
        with pytest.raises(ValidationError), store.transaction() as tx:
            tx.save("thing", "a\ud800", "{}", 0)
        with pytest.raises(ValidationError), store.transaction() as tx:
            tx.save("thing", "a", '{"v": "\udfff"}', 0)
        with pytest.raises(ValidationError), store.transaction() as tx:
            tx.append("s", 1, "\ud800")
        with pytest.raises(ValidationError), store.transaction(readonly=True) as tx:
            tx.scan("thing", after=5)  # type: ignore[arg-type]
        with pytest.raises(ValidationError), store.transaction(readonly=True) as tx:
            tx.streams(prefix=None)  # type: ignore[arg-type]
        with store.transaction(readonly=True) as tx:
            assert [] == tx.scan("thing")
            assert [] == tx.streams()

    def test_overlong_key_is_a_limit_error(self, store: Store) -> None:
        """A key longer than MAX_KEY_LENGTH raises LimitExceeded with code key_too_long."""
        with pytest.raises(LimitExceeded) as info, store.transaction() as tx:
            tx.load("thing", "k" * (MAX_KEY_LENGTH + 1))
        assert "key_too_long" == info.value.code

    def test_longest_allowed_key_works(self, store: Store) -> None:
        """A key of exactly MAX_KEY_LENGTH characters (even 4-byte ones) is stored."""
        key = "😀" * MAX_KEY_LENGTH
        with store.transaction() as tx:
            tx.save("k" * MAX_KEY_LENGTH, key, "{}", 0)
            tx.index_put("i" * MAX_KEY_LENGTH, key, key)
            tx.append("s" * MAX_KEY_LENGTH, 1, "x")
        with store.transaction(readonly=True) as tx:
            assert tx.load("k" * MAX_KEY_LENGTH, key) is not None
            assert key == tx.index_get("i" * MAX_KEY_LENGTH, key)

    @pytest.mark.parametrize("version", [-1, "1", 1.0, True, None])
    def test_bad_versions_raise_validation_errors(self, store: Store, version: object) -> None:
        """A version that is not a non-negative int raises ValidationError."""
        with pytest.raises(ValidationError), store.transaction() as tx:
            tx.save("thing", "a", "{}", version)  # type: ignore[arg-type]

    def test_errors_are_symprogram_errors(self, store: Store) -> None:
        """Wrong argument types raise SymprogramError, never a bare TypeError."""
        with pytest.raises(SymprogramError), store.transaction() as tx:
            tx.save("thing", 1, "{}", 0)  # type: ignore[arg-type]
        with pytest.raises(SymprogramError), store.transaction() as tx:
            tx.save("thing", "a", b"{}", 0)  # type: ignore[arg-type]
        with pytest.raises(SymprogramError), store.transaction() as tx:
            tx.scan("thing", limit=0)

    @settings(max_examples=40, deadline=None, suppress_health_check=_HEALTH)
    @given(key=keys(), data=texts())
    def test_hostile_text_round_trips(self, store: Store, key: str, data: str) -> None:
        """Any Unicode key and data (quotes, escapes, emoji) round-trips unchanged."""
        with store.transaction() as tx:
            record = tx.load("hostile", key)
            version = tx.save("hostile", key, data, 0 if record is None else record.version)
            tx.index_put("hostile", key, key)
            stream = "h:" + key
            tx.append(stream, tx.stream_length(stream) + 1, data)
        with store.transaction(readonly=True) as tx:
            loaded = tx.load("hostile", key)
            assert loaded is not None
            assert (version, data) == (loaded.version, loaded.data)
            assert key == tx.index_get("hostile", key)
            assert data == tx.read("h:" + key)[-1][1]
            assert key in [r.key for r in tx.scan("hostile", prefix=key)]


class PersistentStoreContract(StoreContract):
    """:class:`StoreContract` plus the behaviour of stores that outlive the process.

    Subclasses also implement :meth:`reopen_store`.
    """

    def reopen_store(self, store: Store, tmp_path: Path) -> Store:
        """Close ``store`` and open the same data again."""
        raise NotImplementedError

    def test_reopening_gives_back_exactly_what_was_committed(
        self, store: Store, tmp_path: Path
    ) -> None:
        """A persistent store reopened holds the committed data and none of the rolled back."""
        with store.transaction() as tx:
            tx.save("thing", "a", '{"é": "ü\\u0000"}', 0)
            tx.index_put("email", "a@example.com", "a")
            tx.append("s", 1, "one")
        with pytest.raises(_Boom), store.transaction() as tx:
            tx.save("thing", "b", "{}", 0)
            raise _Boom
        reopened = self.reopen_store(store, tmp_path)
        try:
            with reopened.transaction(readonly=True) as tx:
                record = tx.load("thing", "a")
                assert record is not None
                assert (1, '{"é": "ü\\u0000"}') == (record.version, record.data)
                assert tx.load("thing", "b") is None
                assert "a" == tx.index_get("email", "a@example.com")
                assert [(1, "one")] == tx.read("s")
        finally:
            reopened.close()
