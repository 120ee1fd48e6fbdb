"""The change token that lets services reuse an answer, and a decision restamped in time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from symprogram.decisions import Decision
from symprogram.persistence import change_tracker
from symprogram.storage.memory import MemoryStore
from symprogram.storage.sqlite import SQLiteStore
from symprogram.testing.strategies import decisions


@given(decisions(), st.datetimes(timezones=st.just(UTC)))
def test_a_restamped_decision_equals_the_decision_built_for_that_instant(
    decision: Decision, at: datetime
) -> None:
    again = decision.restamped(at)
    assert again == attrs.evolve(decision, at=at)
    assert again.at == at
    assert again.codes == decision.codes


def test_memory_and_sqlite_stores_offer_a_change_tracker(tmp_path: Path) -> None:
    """Both built-in embedded stores have a change token (SQLite's since issue 20)."""
    assert change_tracker(MemoryStore()) is not None
    store = SQLiteStore(tmp_path / "t.db")
    try:
        assert change_tracker(store) is not None
    finally:
        store.close()


def test_the_token_is_withheld_inside_an_open_unit_of_work() -> None:
    store = MemoryStore()
    with store.transaction():
        assert store.change_token() is None
    with store.transaction(readonly=True):
        assert store.change_token() is None
    assert store.change_token() is not None


def test_another_thread_sees_the_token_move_only_when_the_writer_commits() -> None:
    store = MemoryStore()
    seen: list[object] = []
    wrote = threading.Event()
    go_on = threading.Event()

    def writer() -> None:
        with store.transaction() as tx:
            tx.save("k", "a", "{}", 0)
            wrote.set()
            go_on.wait(5)

    before = store.change_token()
    thread = threading.Thread(target=writer)
    thread.start()
    assert wrote.wait(5)
    seen.append(store.change_token())
    go_on.set()
    thread.join(5)
    assert seen == [before]
    assert store.change_token() != before


class ChangeTokenMachine(RuleBasedStateMachine):
    """Whatever is done, a token is reused only if no committed change happened since."""

    def __init__(self) -> None:
        super().__init__()
        self.store = MemoryStore()
        self.token = self.store.change_token()
        self.changed = False

    @rule(key=st.sampled_from(["a", "b"]))
    def commit_a_write(self, key: str) -> None:
        with self.store.transaction() as tx:
            record = tx.load("k", key)
            tx.save("k", key, "{}", 0 if record is None else record.version)
        self.changed = True

    @rule(key=st.sampled_from(["a", "b"]))
    def roll_back_a_write(self, key: str) -> None:
        with pytest.raises(RuntimeError), self.store.transaction() as tx:
            record = tx.load("k", key)
            tx.save("k", key, "{}", 0 if record is None else record.version)
            raise RuntimeError("abandon")

    @rule()
    def read(self) -> None:
        with self.store.transaction(readonly=True) as tx:
            tx.load("k", "a")

    @rule()
    def remember(self) -> None:
        self.token = self.store.change_token()
        self.changed = False

    @invariant()
    def a_reused_token_means_nothing_was_committed(self) -> None:
        if self.changed:
            assert self.store.change_token() != self.token
        else:
            assert self.store.change_token() == self.token


TestChangeTokenMachine = ChangeTokenMachine.TestCase
