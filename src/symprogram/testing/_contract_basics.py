"""The cases of the storage contract suite on single operations: records, the
unique index, streams, units of work and bad input (composed into
:class:`symprogram.testing.contract.StoreContract`)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symprogram._persistence_records import MAX_STORED_INT
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
    SaveItem,
    Store,
    Transaction,
    WriteBuffer,
    append_many,
    save_many,
)

__all__ = [
    "HEALTH",
    "Boom",
    "InputContract",
    "RecordContract",
    "UnitOfWorkContract",
    "in_threads",
    "keys",
    "texts",
    "until_committed",
]


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
        lambda s: '{"v": ' + json.dumps(s) + "}"
    )


class Boom(Exception):
    """Raised inside a unit of work to make it fail."""


HEALTH = [
    HealthCheck.function_scoped_fixture,
    HealthCheck.too_slow,
    HealthCheck.differing_executors,
]


_TRANSIENT = ("database_busy", "serialization_failure", "deadlock")


def until_committed(work: Callable[[], None]) -> None:
    """Run ``work`` (one unit of work) until it commits: again after a
    ConcurrencyError or a transient StorageError (busy, serialization, deadlock)."""
    while True:
        try:
            work()
            return
        except ConcurrencyError:
            continue
        except StorageError as exc:
            if exc.code not in _TRANSIENT:
                raise


def in_threads(work: Callable[[int], None], workers: int) -> list[BaseException]:
    """Run ``work(n)`` in ``workers`` threads at once; what they raised."""
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            work(n)
        except BaseException as exc:  # pragma: no cover - reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


class RecordContract:
    """Records, the unique index and streams, one operation at a time."""

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


class UnitOfWorkContract:
    """All or nothing, read-only units of work, nested blocks and concurrent writers."""

    # -- units of work ---------------------------------------------------------------
    def test_failed_unit_of_work_leaves_nothing(self, store: Store) -> None:
        """An exception inside the block rolls back records, index entries and stream entries."""
        with store.transaction() as tx:
            tx.save("thing", "kept", "1", 0)
            tx.append("s", 1, "kept")
        with pytest.raises(Boom), store.transaction() as tx:
            tx.save("thing", "new", "1", 0)
            tx.save("thing", "kept", "2", 1)
            tx.delete("thing", "kept", 2)
            tx.index_put("email", "x", "new")
            tx.append("s", 2, "lost")
            tx.append("t", 1, "lost")
            tx.rewrite("s", 1, "changed")
            raise Boom
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
        with pytest.raises(Boom), store.transaction() as outer:
            outer.save("thing", "outer", "1", 0)
            with store.transaction() as inner:
                inner.save("thing", "inner", "1", 0)
            raise Boom
        with store.transaction(readonly=True) as tx:
            assert tx.load("thing", "outer") is None
            assert tx.load("thing", "inner") is None

    def test_threads_writing_the_same_record_lose_no_update(self, store: Store) -> None:
        """Concurrent read-modify-write with retry on ConcurrencyError counts every increment."""
        with store.transaction() as tx:
            tx.save("counter", "c", "0", 0)
        workers, each = 4, 25

        def increment() -> None:
            with store.transaction() as tx:
                record = tx.load("counter", "c")
                assert record is not None
                tx.save("counter", "c", str(int(record.data) + 1), record.version)

        def work(_: int) -> None:
            for _ in range(each):
                until_committed(increment)

        errors = in_threads(work, workers)
        assert [] == errors
        with store.transaction(readonly=True) as tx:
            record = tx.load("counter", "c")
            assert record is not None
            assert (str(workers * each), 1 + workers * each) == (record.data, record.version)

    def test_threads_appending_to_one_stream_leave_no_gap(self, store: Store) -> None:
        """Concurrent appends with retry produce a gap-free stream with every entry once."""
        workers, each = 4, 10

        def work(n: int) -> None:
            for i in range(each):

                def append(entry: str = f"{n}-{i}") -> None:
                    with store.transaction() as tx:
                        tx.append("shared", tx.stream_length("shared") + 1, entry)

                until_committed(append)

        errors = in_threads(work, workers)
        assert [] == errors
        with store.transaction(readonly=True) as tx:
            entries = tx.read("shared")
        assert list(range(1, workers * each + 1)) == [p for p, _ in entries]
        expected = sorted(f"{n}-{i}" for n in range(workers) for i in range(each))
        assert expected == sorted(d for _, d in entries)


class InputContract:
    """Bad keys, versions and types are refused with SymprogramErrors; any text round-trips."""

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

    @pytest.mark.parametrize("big", [2**63, 2**64, 10**30])
    def test_integers_beyond_64_bits_are_refused_the_same_way(self, store: Store, big: int) -> None:
        """A version, position or limit no SQL database holds (beyond a signed 64-bit
        integer) raises ValidationError with the argument's code on every adapter, and
        the unit of work it was made in leaves nothing."""
        saves: list[SaveItem] = [("thing", f"b{n}", "{}", 0) for n in range(9)]
        appends: list[AppendItem] = [(f"s{n}", 1, "{}") for n in range(9)]
        calls: list[tuple[str, Callable[[Transaction], object]]] = [
            ("invalid_version", lambda tx: tx.save("thing", "a", "{}", big)),
            ("invalid_version", lambda tx: tx.save("thing", "a", "{}", big - 1)),
            ("invalid_version", lambda tx: tx.delete("thing", "a", big)),
            ("invalid_position", lambda tx: tx.append("s", big, "{}")),
            ("invalid_position", lambda tx: tx.rewrite("s", big, "{}")),
            ("invalid_position", lambda tx: tx.read("s", after=big)),
            ("invalid_limit", lambda tx: tx.read("s", limit=big)),
            ("invalid_limit", lambda tx: tx.scan("thing", limit=big)),
            ("invalid_limit", lambda tx: tx.streams(limit=big)),
            ("invalid_version", lambda tx: save_many(tx, [*saves, ("thing", "c", "{}", big)])),
            ("invalid_position", lambda tx: append_many(tx, [*appends, ("s", big, "{}")])),
        ]
        for code, call in calls:
            with pytest.raises(ValidationError) as info, store.transaction() as tx:
                tx.save("probe", "k", "{}", 0)
                call(tx)
            assert code == info.value.code
        with pytest.raises(ValidationError) as info, store.transaction() as tx:
            buffer = WriteBuffer(tx)
            buffer.save("thing", "a", "{}", big - 1)
            buffer.flush()
        assert "invalid_version" == info.value.code
        with store.transaction(readonly=True) as tx:
            assert [] == tx.scan("probe") == tx.scan("thing")
            assert [] == tx.streams()

    def test_the_largest_integers_are_answered(self, store: Store) -> None:
        """The largest version, position and limit (a signed 64-bit integer) are answered
        as any other: a stale version, a position out of place, everything read."""
        top = MAX_STORED_INT
        with store.transaction() as tx:
            tx.save("thing", "a", "{}", 0)
            tx.append("s", 1, "one")
        with pytest.raises(ConcurrencyError), store.transaction() as tx:
            tx.save("thing", "a", "{}", top - 1)
        with pytest.raises(ConcurrencyError), store.transaction() as tx:
            tx.delete("thing", "a", top - 1)
        with pytest.raises(ConcurrencyError), store.transaction() as tx:
            tx.append("s", top, "x")
        with pytest.raises(NotFound), store.transaction() as tx:
            tx.rewrite("s", top, "x")
        with store.transaction(readonly=True) as tx:
            assert [] == tx.read("s", after=top)
            assert [(1, "one")] == tx.read("s", limit=top)
            assert ["a"] == [r.key for r in tx.scan("thing", limit=top)]
            assert ["s"] == tx.streams(limit=top)

    def test_listing_bounds_holding_nul_or_surrogates_list_by_code_point(
        self, store: Store
    ) -> None:
        """A ``prefix`` or ``after`` holding NUL or a lone surrogate (no stored name holds
        one, and no database takes one as a parameter) lists what code-point order says."""
        names = ["a", "ab", "ab\x01", "abc", "a\ue000", "a\U0001f600", "b"]
        with store.transaction() as tx:
            for name in names:
                tx.save("thing", name, "{}", 0)
                tx.append(name, 1, "x")
        cases: list[tuple[str, str | None]] = [
            ("ab\x00", None),
            ("a", "ab\x00c"),
            ("a", "a\ud900"),
            ("a", "a\udfff"),
            ("", "ab\x00"),
            ("", "\ud800"),
            ("a\ud800", None),
            ("\udc00", "a"),
            ("a", "ab\ud800"),
        ]
        with store.transaction(readonly=True) as tx:
            for prefix, after in cases:
                expected = sorted(
                    n for n in names if n.startswith(prefix) and (after is None or n > after)
                )
                found = [r.key for r in tx.scan("thing", prefix=prefix, after=after)]
                assert (prefix, after, expected) == (prefix, after, found)
                assert expected == tx.streams(prefix=prefix, after=after)
                assert expected[:1] == tx.streams(prefix=prefix, after=after, limit=1)

    def test_errors_are_symprogram_errors(self, store: Store) -> None:
        """Wrong argument types raise SymprogramError, never a bare TypeError."""
        with pytest.raises(SymprogramError), store.transaction() as tx:
            tx.save("thing", 1, "{}", 0)  # type: ignore[arg-type]
        with pytest.raises(SymprogramError), store.transaction() as tx:
            tx.save("thing", "a", b"{}", 0)  # type: ignore[arg-type]
        with pytest.raises(SymprogramError), store.transaction() as tx:
            tx.scan("thing", limit=0)

    @settings(max_examples=40, deadline=None, suppress_health_check=HEALTH)
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
