"""The SQLite and memory adapters, driven by the same operations, give identical results."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from symprogram.errors import SymprogramError
from symprogram.persistence import Store
from symprogram.storage.memory import MemoryStore
from symprogram.storage.sqlite import SQLiteStore

KEYS = st.sampled_from(["a", "b", "B", "é", "a/1", "a/2", "😀"])
KINDS = st.sampled_from(["thing", "other"])
DATA = st.text(max_size=12)


def _outcome(store: Store, op: str, *args: Any, fail: bool = False) -> Any:
    """Run one operation in its own unit of work; return its result or its error code."""
    try:
        with store.transaction() as tx:
            result = getattr(tx, op)(*args)
            if fail:
                raise RuntimeError("abort")
            return ("ok", result)
    except SymprogramError as exc:
        return ("error", type(exc).__name__, exc.code)
    except RuntimeError:
        return ("aborted",)


class AdaptersAgree(RuleBasedStateMachine):
    """Every operation gives the same answer on MemoryStore and SQLiteStore."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.stores: list[Store] = [MemoryStore(), SQLiteStore(Path(self.tmp.name) / "s.db")]

    def both(self, op: str, *args: Any, fail: bool = False) -> None:
        results = [_outcome(store, op, *args, fail=fail) for store in self.stores]
        assert results[0] == results[1]

    @rule(kind=KINDS, key=KEYS, data=DATA, version=st.integers(0, 3), fail=st.booleans())
    def save(self, kind: str, key: str, data: str, version: int, fail: bool) -> None:
        self.both("save", kind, key, data, version, fail=fail)

    @rule(kind=KINDS, key=KEYS, version=st.integers(0, 3))
    def delete(self, kind: str, key: str, version: int) -> None:
        self.both("delete", kind, key, version)

    @rule(kind=KINDS, key=KEYS)
    def load(self, kind: str, key: str) -> None:
        self.both("load", kind, key)

    @rule(value=KEYS, key=KEYS, fail=st.booleans())
    def index_put(self, value: str, key: str, fail: bool) -> None:
        self.both("index_put", "idx", value, key, fail=fail)

    @rule(value=KEYS)
    def index_delete(self, value: str) -> None:
        self.both("index_delete", "idx", value)

    @rule(stream=KEYS, position=st.integers(1, 4), data=DATA, fail=st.booleans())
    def append(self, stream: str, position: int, data: str, fail: bool) -> None:
        self.both("append", stream, position, data, fail=fail)

    @invariant()
    def same_contents(self) -> None:
        views = []
        for store in self.stores:
            with store.transaction(readonly=True) as tx:
                records = [tx.scan(kind) for kind in ("thing", "other")]
                index = [tx.index_get("idx", k) for k in ["a", "b", "B", "é", "a/1", "a/2", "😀"]]
                streams = {name: tx.read(name) for name in tx.streams()}
                prefixed = tx.scan("thing", prefix="a/")
            views.append((records, index, streams, prefixed))
        assert views[0] == views[1]

    def teardown(self) -> None:
        for store in self.stores:
            store.close()
        self.tmp.cleanup()


AdaptersAgree.TestCase.settings = settings(max_examples=30, stateful_step_count=30, deadline=None)
TestAdaptersAgree = AdaptersAgree.TestCase
