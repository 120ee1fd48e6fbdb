"""SQLAlchemyStore answers exactly like MemoryStore, on hostile text, on every backend.

A Hypothesis state machine drives both stores with the same operations — keys
and data of arbitrary Unicode (quotes, NUL inside the data, emoji, long
strings), prefixes and ``after`` bounds holding NUL — and compares every
result or error code. Then a property round-trips long hostile text.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from symprogram.errors import LimitExceeded, SymprogramError
from symprogram.persistence import MAX_KEY_LENGTH, Store
from symprogram.storage.memory import MemoryStore
from symprogram.storage.sqlalchemy import SQLAlchemyStore

SERVERS = {
    "postgresql": "SYMPROGRAM_TEST_POSTGRES_URL",
    "mariadb": "SYMPROGRAM_TEST_MARIADB_URL",
}

NAME_CHARS = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
KEYS = st.one_of(
    st.sampled_from(["a", "A", "a ", "ab", "é", "e\u0301", "😀", "a'b", 'a"b', "a\\b", "%", "_"]),
    st.sampled_from(["a", "a ", "ab"]),
    st.text(NAME_CHARS, min_size=1, max_size=8),
)
BOUNDS = st.one_of(
    st.none(),
    st.sampled_from(["a", "a ", "é", "a\x00", "\x00", "😀", "b"]),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=3),
)
DATA = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
SKEW = st.sampled_from([0, 0, 0, 0, 1, -1])
FAIL = st.sampled_from([False, False, False, True])


def backend_url(name: str, tmp_path: Path) -> str:
    """The URL of a backend: an SQLite file, or a server from the environment (else skip)."""
    if name == "sqlite":
        return f"sqlite+pysqlite:///{tmp_path}/agree.db"
    url = os.environ.get(SERVERS[name])
    if not url:
        pytest.skip(f"set {SERVERS[name]} to run the {name} adapter tests")
    return url


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SQLAlchemyStore]:
    """A store under a fresh prefix on each backend, dropped afterwards."""
    url = backend_url(request.param, tmp_path)
    store = SQLAlchemyStore.from_url(url, table_prefix=f"h{uuid.uuid4().hex[:12]}_")
    yield store
    store.drop_tables()


def empty(store: SQLAlchemyStore) -> None:
    """Delete every row of the store's tables."""
    with store.engine.begin() as conn:
        for table in store.metadata.sorted_tables:
            if not table.name.endswith("schema"):
                conn.execute(sa.delete(table))


def outcome(store: Store, op: str, *args: Any, fail: bool = False, **kwargs: Any) -> Any:
    """Run one operation in its own unit of work; return its result or its error."""
    try:
        with store.transaction() as tx:
            result = getattr(tx, op)(*args, **kwargs)
            if fail:
                raise RuntimeError("abort")
            return ("ok", result)
    except SymprogramError as error:
        return ("error", type(error).__name__, error.code)
    except RuntimeError:
        return ("aborted",)


def make_machine(sql: SQLAlchemyStore) -> type[RuleBasedStateMachine]:
    """A state machine comparing ``sql`` with a fresh MemoryStore."""

    class Agree(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            empty(sql)
            self.stores: list[Store] = [MemoryStore(), sql]

        def both(self, op: str, *args: Any, fail: bool = False, **kwargs: Any) -> None:
            results = [outcome(s, op, *args, fail=fail, **kwargs) for s in self.stores]
            assert results[0] == results[1]

        @rule(key=KEYS, data=DATA, skew=SKEW, fail=FAIL)
        def save(self, key: str, data: str, skew: int, fail: bool) -> None:
            record = outcome(self.stores[0], "load", "thing", key)[1]
            version = 0 if record is None else record.version
            self.both("save", "thing", key, data, max(0, version + skew), fail=fail)

        @rule(key=KEYS, version=st.integers(0, 2))
        def delete(self, key: str, version: int) -> None:
            self.both("delete", "thing", key, version)

        @rule(key=KEYS)
        def load(self, key: str) -> None:
            self.both("load", "thing", key)

        @rule(prefix=BOUNDS, after=BOUNDS, limit=st.integers(1, 4))
        def scan(self, prefix: str | None, after: str | None, limit: int) -> None:
            self.both("scan", "thing", prefix=prefix or "", after=after, limit=limit)

        @rule(value=KEYS, key=KEYS)
        def index_put(self, value: str, key: str) -> None:
            self.both("index_put", "idx", value, key)

        @rule(value=KEYS)
        def index_get_and_delete(self, value: str) -> None:
            self.both("index_get", "idx", value)
            self.both("index_delete", "idx", value)

        @rule(stream=KEYS, data=DATA, skew=SKEW, fail=FAIL)
        def append(self, stream: str, data: str, skew: int, fail: bool) -> None:
            length = outcome(self.stores[0], "stream_length", stream)[1]
            self.both("append", stream, length + 1 + skew, data, fail=fail)

        @rule(stream=KEYS, after=st.integers(0, 3), limit=st.none() | st.integers(1, 3))
        def read(self, stream: str, after: int, limit: int | None) -> None:
            self.both("read", stream, after=after, limit=limit)
            self.both("stream_length", stream)

        @rule(prefix=BOUNDS, after=BOUNDS, limit=st.integers(1, 4))
        def streams(self, prefix: str | None, after: str | None, limit: int) -> None:
            self.both("streams", prefix=prefix or "", after=after, limit=limit)

        @rule(stream=KEYS, position=st.integers(0, 3), data=DATA)
        def rewrite(self, stream: str, position: int, data: str) -> None:
            self.both("rewrite", stream, position, data)

    return Agree


def test_every_operation_agrees_with_the_memory_store(sql_store: SQLAlchemyStore) -> None:
    """Save/load/delete/scan/index/append/read/streams/rewrite give MemoryStore's answers."""
    run_state_machine_as_test(
        make_machine(sql_store),
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


LONG_TEXT = st.text(st.characters(exclude_categories=["Cs"]), min_size=0, max_size=5000)
HOSTILE = st.one_of(
    LONG_TEXT,
    st.sampled_from(["'; DROP TABLE sp_records; --", "\x00" * 100, "\\" * 50, '"' * 50]),
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    key=st.text(NAME_CHARS, min_size=MAX_KEY_LENGTH - 5, max_size=MAX_KEY_LENGTH),
    data=HOSTILE,
)
def test_long_hostile_text_round_trips(sql_store: SQLAlchemyStore, key: str, data: str) -> None:
    """Keys up to the limit and data with quotes, NUL and thousands of characters round-trip."""
    with sql_store.transaction() as tx:
        record = tx.load("hostile", key)
        version = tx.save("hostile", key, data, 0 if record is None else record.version)
        tx.index_put("hostile", key, key)
        tx.append(key, tx.stream_length(key) + 1, data)
        tx.rewrite(key, 1, data)
    with sql_store.transaction(readonly=True) as tx:
        loaded = tx.load("hostile", key)
        assert loaded is not None
        assert (version, data) == (loaded.version, loaded.data)
        assert key == tx.index_get("hostile", key)
        assert data == tx.read(key)[-1][1]
        assert key in [r.key for r in tx.scan("hostile", prefix=key[:3], limit=500)]


@pytest.mark.parametrize("field", ["kind", "key", "index", "value", "stream"])
def test_oversize_names_raise_limit_exceeded(sql_store: SQLAlchemyStore, field: str) -> None:
    """A name one character over MAX_KEY_LENGTH raises LimitExceeded; nothing is written."""
    long = "😀" * (MAX_KEY_LENGTH + 1)
    ops = {
        "kind": lambda tx: tx.save(long, "k", "{}", 0),
        "key": lambda tx: tx.save("thing", long, "{}", 0),
        "index": lambda tx: tx.index_put(long, "v", "k"),
        "value": lambda tx: tx.index_put("i", long, "k"),
        "stream": lambda tx: tx.append(long, 1, "{}"),
    }
    with pytest.raises(LimitExceeded) as info, sql_store.transaction() as tx:
        ops[field](tx)
    assert (field, "key_too_long") == (info.value.field, info.value.code)
    with sql_store.transaction(readonly=True) as tx:
        assert ([], []) == (tx.scan("thing"), tx.streams())
