"""Ledger.append_many: several entries with one head read and one head write, the same
chain the single appends build."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symprogram.errors import IntegrityError, ValidationError
from symprogram.events import DomainEvent, Ledger, _chain_body, _entry_text
from symprogram.history import AccountHistory
from symprogram.persistence import Store
from symprogram.serialization import canonical_json
from symprogram.storage.memory import MemoryStore
from symprogram.storage.sqlite import SQLiteStore

T0 = datetime(2011, 1, 15, tzinfo=UTC)
HEALTH = [HealthCheck.function_scoped_fixture]
_SUBJECTS = itertools.count()


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each test runs on the memory and the SQLite adapter."""
    s: Store = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "l.db")
    yield s
    s.close()


def _without_salt(ledger: Ledger, store: Store, subject: str) -> list[tuple[Any, ...]]:
    with store.transaction(readonly=True) as tx:
        return [(e.position, e.kind, e.at, e.data) for e in ledger.entries(tx, subject)]


_ITEMS = st.lists(
    st.tuples(
        st.sampled_from(["registered", "activated", "x"]),
        st.dictionaries(st.sampled_from(["a", "b", "é"]), st.integers() | st.text(max_size=5)),
        st.integers(0, 400),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=30, deadline=None, suppress_health_check=HEALTH)
@given(before=st.integers(0, 3), items=_ITEMS, key=st.sampled_from([None, b"secret"]))
def test_append_many_equals_the_appends_in_order(
    store: Store, before: int, items: list[tuple[str, dict[str, Any], int]], key: bytes | None
) -> None:
    """append_many leaves the entries (positions, kinds, instants, data) and head length
    that append called per item leaves; both chains verify, with or without a key."""
    one, many = Ledger("one", key=key), Ledger("many", key=key)
    rows = [(kind, data, T0 + timedelta(days=d)) for kind, data, d in items]
    subject = f"S{next(_SUBJECTS)}"
    with store.transaction() as tx:
        for n in range(before):
            one.append(tx, subject, "seed", {"n": n}, T0)
            many.append(tx, subject, "seed", {"n": n}, T0)
        singles = [one.append(tx, subject, k, d, at) for k, d, at in rows]
        batched = many.append_many(tx, subject, rows)
    strip = [(e.position, e.kind, e.at, e.data, e.erased) for e in singles]
    assert strip == [(e.position, e.kind, e.at, e.data, e.erased) for e in batched]
    assert _without_salt(one, store, subject) == _without_salt(many, store, subject)
    with store.transaction(readonly=True) as tx:
        assert one.verify(tx, subject).ok
        assert many.verify(tx, subject).ok
        assert [e.hash for e in batched] == [e.hash for e in many.entries(tx, subject)[before:]]


def test_append_many_of_nothing_writes_nothing(store: Store) -> None:
    """An empty batch neither reads nor writes the head: no stream, no head record."""
    ledger = Ledger("history")
    with store.transaction() as tx:
        assert [] == ledger.append_many(tx, "S1", [])
    with store.transaction(readonly=True) as tx:
        assert [] == tx.streams()
        assert tx.load(Ledger.HEAD_KIND, "history:S1") is None


def test_append_many_checks_every_item_before_writing(store: Store) -> None:
    """A bad kind or a naive instant anywhere in the batch is refused and nothing is written."""
    ledger = Ledger("history")
    good: tuple[str, dict[str, Any], datetime] = ("ok", {}, T0)
    bad: tuple[str, dict[str, Any], datetime]
    for bad in [("", {}, T0), ("ok", {}, datetime(2011, 1, 15))]:
        with pytest.raises(ValidationError), store.transaction() as tx:
            ledger.append_many(tx, "S1", [good, bad])
        with store.transaction(readonly=True) as tx:
            assert [] == tx.streams()


def test_tampering_after_append_many_is_detected(store: Store) -> None:
    """Entries appended in a batch are chained like any others: an edit is reported."""
    ledger = Ledger("history")
    with store.transaction() as tx:
        ledger.append_many(tx, "S1", [("e", {"i": i}, T0) for i in range(10)])
    with store.transaction() as tx:
        position, text = tx.read("history:S1")[4]
        raw = json.loads(text)
        raw["kind"] = "forged"
        tx.rewrite("history:S1", position, json.dumps(raw))
    with store.transaction(readonly=True) as tx:
        result = ledger.verify(tx, "S1")
    assert not result.ok
    assert 5 == result.problems[0].position
    with pytest.raises(IntegrityError):
        result.raise_for_problems()


def test_record_many_groups_each_subjects_run(store: Store) -> None:
    """AccountHistory.record_many appends each event to its own subject's history, in
    order, even when subjects alternate."""
    history = AccountHistory(store)
    events = [DomainEvent(s, T0 + timedelta(i)) for i, s in enumerate("AABAB")]
    with store.transaction() as tx:
        entries = history.record_many(tx, events)
    assert [("A", 1), ("A", 2), ("B", 1), ("A", 3), ("B", 2)] == [
        (e.subject, e.position) for e in entries
    ]
    assert [T0, T0 + timedelta(1), T0 + timedelta(3)] == [e.at for e in history.history("A")]
    assert history.verify("A").ok
    assert history.verify("B").ok


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
_ANY = _JSON | st.text(alphabet=st.characters(codec="utf-8"))


@settings(max_examples=200)
@given(values=st.tuples(_ANY, _ANY, st.integers() | _ANY, _ANY, _ANY, _ANY))
def test_the_chain_body_is_the_canonical_json_of_its_fields(values: tuple[Any, ...]) -> None:
    """The directly built chain body is canonical_json of the six fields, for any values
    (stored entries being verified may hold anything), so old chains still verify."""
    assert canonical_json(list(values)) == _chain_body(*values)


@settings(max_examples=200)
@given(
    strings=st.lists(st.text(), min_size=6, max_size=6),
    data=st.dictionaries(st.text(), _JSON, max_size=4),
)
def test_the_entry_text_is_the_canonical_json_of_the_entry(
    strings: list[str], data: dict[str, Any]
) -> None:
    """An entry's stored text, with its data's JSON spliced in, is exactly canonical_json
    of the entry (what earlier releases wrote and what verify re-reads)."""
    kind, at, salt, digest, prev, chain = strings
    raw = {
        "kind": kind,
        "at": at,
        "data": data,
        "salt": salt,
        "digest": digest,
        "prev": prev,
        "hash": chain,
    }
    text = _entry_text(kind, at, canonical_json(data), salt, digest, prev, chain)
    assert canonical_json(raw) == text
