"""The nested-transaction join every adapter shares (``storage._base.Units``)."""

from __future__ import annotations

import contextlib
import threading

import pytest

from symprogram.errors import StorageError, ValidationError
from symprogram.persistence import Store
from symprogram.storage._base import CommitHooks, Units, check_writable


class FakeUnit:
    """A unit of work that remembers how it ended."""

    def __init__(self, readonly: bool) -> None:
        self.readonly = readonly


class Boom(Exception):
    """Raised inside a block."""


def make_units(*, refuse: bool = False) -> tuple[Units[FakeUnit], list[object], threading.RLock]:
    """Units over FakeUnit that record every begin and end; ``refuse`` makes begin raise."""
    log: list[object] = []
    lock = threading.RLock()

    def begin(readonly: bool) -> FakeUnit:
        if refuse:
            raise StorageError("closed", code="store_closed")
        log.append(("begin", readonly))
        return FakeUnit(readonly)

    def end(tx: FakeUnit, error: BaseException | None) -> None:
        log.append(("end", type(error).__name__ if error is not None else None))

    return Units(begin, end, lock=lock), log, lock


def test_a_nested_block_joins_the_open_unit_of_work() -> None:
    """Only the outer block begins and ends; the inner one gets the same unit of work."""
    units, log, _ = make_units()
    with units(False) as outer:
        assert outer is units.current()
        with units(True) as inner:
            assert outer is inner
    assert [("begin", False), ("end", None)] == log
    assert units.current() is None


def test_a_block_that_raises_ends_with_its_error_and_releases_the_lock() -> None:
    """end() receives what the block raised; the lock is free afterwards."""
    units, log, lock = make_units()
    with pytest.raises(Boom), units(False):
        raise Boom
    assert [("begin", False), ("end", "Boom")] == log
    assert lock.acquire(blocking=False)
    lock.release()


def test_writing_inside_a_read_only_unit_of_work_is_refused() -> None:
    """A writing block nested in a read-only one raises read_only_transaction."""
    units, _, _ = make_units()
    with units(True), pytest.raises(StorageError) as info, units(False):
        pass
    assert "read_only_transaction" == info.value.code


def test_a_refused_begin_releases_the_lock_and_opens_nothing() -> None:
    """When begin() raises, nothing is open and the lock is not held."""
    units, log, lock = make_units(refuse=True)
    with pytest.raises(StorageError) as info, units(False):
        pass
    assert "store_closed" == info.value.code
    assert [] == log
    assert units.current() is None
    assert lock.acquire(blocking=False)
    lock.release()


def test_each_thread_has_its_own_unit_of_work() -> None:
    """A unit of work open in one thread is not joined by another thread."""
    units, _, _ = make_units()
    seen: list[object] = []
    with units(False):
        thread = threading.Thread(target=lambda: seen.append(units.current()))
        thread.start()
        thread.join()
    assert [None] == seen


def test_a_joined_block_that_fails_after_writing_dooms_the_outer_unit_of_work() -> None:
    """A nested block that raised after a write, its error caught in the outer block:
    leaving the outer block rolls it back (end() gets the nested error) and raises
    ``unit_of_work_doomed``; a nested block that raised before writing dooms nothing."""
    units, log, lock = make_units()
    with pytest.raises(StorageError) as info, units(False):
        with contextlib.suppress(Boom), units(False):
            check_writable(False)  # what every adapter's write calls first
            raise Boom
    assert "unit_of_work_doomed" == info.value.code
    assert isinstance(info.value.__cause__, Boom)
    assert [("begin", False), ("end", "Boom")] == log
    assert lock.acquire(blocking=False)
    lock.release()

    log.clear()
    with units(False):
        with contextlib.suppress(Boom), units(False):
            raise Boom
    assert [("begin", False), ("end", None)] == log


def test_no_adapter_keeps_half_of_a_joined_block_that_failed(store: Store) -> None:
    """On every adapter, a write of a nested block that failed is never committed with
    the outer block that caught the error: the outer one is rolled back whole."""
    with pytest.raises(StorageError) as info, store.transaction() as outer:
        outer.save("thing", "outer", "1", 0)
        with contextlib.suppress(Boom), store.transaction() as inner:
            inner.save("thing", "inner", "1", 0)
            raise Boom
    assert "unit_of_work_doomed" == info.value.code
    with store.transaction(readonly=True) as tx:
        assert (None, None) == (tx.load("thing", "outer"), tx.load("thing", "inner"))
    with store.transaction() as tx:  # the store is usable again
        tx.save("thing", "after", "1", 0)


@pytest.mark.parametrize("callback", [None, "print", 3, b"x"])
def test_a_commit_hook_that_is_not_callable_is_refused_at_once(
    store: Store, callback: object
) -> None:
    """``on_commit(callback)`` refuses what cannot be called (``invalid_callback``)
    when it is given, inside the unit of work, which then commits nothing; it never
    escapes as a TypeError after the commit."""
    assert isinstance(store, CommitHooks)
    with pytest.raises(ValidationError) as info, store.transaction() as tx:
        tx.save("thing", "written", "1", 0)
        store.on_commit(callback)  # type: ignore[arg-type]
    assert ("invalid_callback", "callback") == (info.value.code, info.value.field)
    with store.transaction(readonly=True) as tx:
        assert tx.load("thing", "written") is None
    with pytest.raises(ValidationError):
        store.on_commit(callback)  # type: ignore[arg-type]
