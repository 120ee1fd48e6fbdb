"""The cases of the storage contract suite on batches (:func:`symprogram.persistence.save_many`
and the other batch helpers, and :class:`~symprogram.persistence.WriteBuffer`), composed
into :class:`symprogram.testing.contract.StoreContract`."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram.errors import ConcurrencyError, Conflict, SymprogramError, ValidationError
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
from symprogram.testing._contract_basics import HEALTH, Boom

__all__ = ["BatchContract"]

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


class BatchContract:
    """A batch does what its items one by one do: the same results, contents and errors."""

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
                    raise Boom
            except Boom:
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

    @settings(max_examples=40, deadline=None, suppress_health_check=HEALTH)
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

    @settings(max_examples=40, deadline=None, suppress_health_check=HEALTH)
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
