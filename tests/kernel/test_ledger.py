"""The hash-chained ledger detects every edit, removal, reordering and truncation."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symprogram.errors import IntegrityError, ValidationError
from symprogram.events import DomainEvent, Ledger
from symprogram.persistence import Store
from symprogram.storage.memory import MemoryStore
from symprogram.storage.sqlite import SQLiteStore

T0 = datetime(2011, 1, 15, tzinfo=UTC)
HEALTH = [HealthCheck.function_scoped_fixture]


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each ledger test runs on both adapters."""
    s: Store = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "l.db")
    yield s
    s.close()


def _fill(store: Store, ledger: Ledger, subject: str, n: int) -> None:
    with store.transaction() as tx:
        for i in range(n):
            ledger.append(tx, subject, "event", {"i": i, "name": f"n{i}"}, T0 + timedelta(i))


def test_appended_entries_read_back_in_order_and_verify(store: Store) -> None:
    """Entries come back in append order with gap-free positions and verify cleanly."""
    ledger = Ledger("history")
    _fill(store, ledger, "S1", 5)
    with store.transaction(readonly=True) as tx:
        entries = ledger.entries(tx, "S1")
        assert [1, 2, 3, 4, 5] == [e.position for e in entries]
        assert [{"i": i, "name": f"n{i}"} for i in range(5)] == [e.data for e in entries]
        assert entries[0].prev_hash == "0" * 64
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
        assert ledger.verify(tx, "S1").ok


@settings(max_examples=25, suppress_health_check=HEALTH)
@given(n=st.integers(1, 6), data=st.data())
def test_any_single_edited_entry_is_detected(store: Store, n: int, data: st.DataObject) -> None:
    """Changing any field of any one entry makes verify() report a problem at that entry."""
    ledger = Ledger(f"edit{n}")
    subject = f"S{data.draw(st.integers(0, 10**9))}"
    _fill(store, ledger, subject, n)
    position = data.draw(st.integers(1, n))
    field = data.draw(st.sampled_from(["kind", "at", "data", "prev", "hash", "digest"]))
    with store.transaction() as tx:
        raw = json.loads(tx.read(ledger.stream(subject))[position - 1][1])
        if field == "data":
            raw["data"]["i"] = -1
        elif field == "at":
            raw["at"] = "1999-01-01T00:00:00+00:00"
        else:
            raw[field] = raw[field] + "x"
        tx.rewrite(ledger.stream(subject), position, json.dumps(raw))
    with store.transaction(readonly=True) as tx:
        result = ledger.verify(tx, subject)
    assert not result.ok
    assert position in [p.position for p in result.problems]


@settings(max_examples=20, suppress_health_check=HEALTH)
@given(n=st.integers(2, 6), data=st.data())
def test_swapped_entries_are_detected(store: Store, n: int, data: st.DataObject) -> None:
    """Swapping the contents of two entries breaks verification."""
    ledger = Ledger(f"swap{n}")
    subject = f"S{data.draw(st.integers(0, 10**9))}"
    _fill(store, ledger, subject, n)
    a = data.draw(st.integers(1, n - 1))
    b = data.draw(st.integers(a + 1, n))
    with store.transaction() as tx:
        entries = dict(tx.read(ledger.stream(subject)))
        tx.rewrite(ledger.stream(subject), a, entries[b])
        tx.rewrite(ledger.stream(subject), b, entries[a])
    with store.transaction(readonly=True) as tx:
        assert not ledger.verify(tx, subject).ok


def test_removed_newest_entry_is_detected_through_the_head(tmp_path: Path) -> None:
    """Deleting the newest entries from the file is reported as truncation."""
    path = tmp_path / "t.db"
    ledger = Ledger("history")
    with SQLiteStore(path) as store:
        _fill(store, ledger, "S1", 3)
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM sp_streams WHERE position = 3")
    conn.commit()
    conn.close()
    with SQLiteStore(path) as store, store.transaction(readonly=True) as tx:
        result = ledger.verify(tx, "S1")
    assert ["truncated"] == [p.code for p in result.problems]
    with pytest.raises(IntegrityError) as info:
        result.raise_for_problems()
    assert "ledger_tampered" == info.value.code


def test_removed_middle_entry_is_detected(tmp_path: Path) -> None:
    """Deleting an entry in the middle is reported as a gap."""
    path = tmp_path / "m.db"
    ledger = Ledger("history")
    with SQLiteStore(path) as store:
        _fill(store, ledger, "S1", 4)
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM sp_streams WHERE position = 2")
    conn.commit()
    conn.close()
    with SQLiteStore(path) as store, store.transaction(readonly=True) as tx:
        codes = [p.code for p in ledger.verify(tx, "S1").problems]
    assert "gap" in codes


def test_unreadable_entry_is_reported_not_raised(store: Store) -> None:
    """Garbage in an entry is a verification problem; reading it raises IntegrityError."""
    ledger = Ledger("history")
    _fill(store, ledger, "S1", 2)
    with store.transaction() as tx:
        tx.rewrite(ledger.stream("S1"), 1, "not json")
    with store.transaction(readonly=True) as tx:
        assert "unreadable" in [p.code for p in ledger.verify(tx, "S1").problems]
        with pytest.raises(IntegrityError):
            ledger.entries(tx, "S1")


def test_erasure_keeps_the_chain_verifiable_and_drops_the_data(store: Store) -> None:
    """Erase removes data and salt but the chain and digests still verify."""
    ledger = Ledger("consent")
    _fill(store, ledger, "S1", 3)
    with store.transaction() as tx:
        assert 3 == ledger.erase(tx, "S1")
        assert 0 == ledger.erase(tx, "S1")
    with store.transaction(readonly=True) as tx:
        entries = ledger.entries(tx, "S1")
        assert [None, None, None] == [e.data for e in entries]
        assert all(e.erased for e in entries)
        assert all("n0" not in text for _, text in tx.read(ledger.stream("S1")))
        assert ledger.verify(tx, "S1").ok


def test_keyed_chain_cannot_be_verified_without_the_key(store: Store) -> None:
    """With an HMAC key, the same entries fail verification under another key."""
    _fill(store, Ledger("history", key=b"secret-one"), "S1", 2)
    with store.transaction(readonly=True) as tx:
        assert Ledger("history", key=b"secret-one").verify(tx, "S1").ok
        assert not Ledger("history", key=b"secret-two").verify(tx, "S1").ok
        assert not Ledger("history").verify(tx, "S1").ok


def test_bad_ledger_arguments_raise_validation_errors() -> None:
    """A non-bytes key, empty subject or naive instant raise ValidationError."""
    with pytest.raises(ValidationError):
        Ledger("history", key="text")  # type: ignore[arg-type]
    ledger = Ledger("history")
    store = MemoryStore()
    with pytest.raises(ValidationError), store.transaction() as tx:
        ledger.append(tx, "", "event", {}, T0)
    with pytest.raises(ValidationError), store.transaction() as tx:
        ledger.append(tx, "S1", "event", {}, datetime(2011, 1, 15))
    with store.transaction(readonly=True) as tx:
        assert [] == tx.streams()


def test_domain_event_names_are_snake_case() -> None:
    """An event's recorded name defaults to its class name in snake_case."""

    class CandidateRegistered(DomainEvent):
        pass

    event = CandidateRegistered("S1", T0)
    assert "candidate_registered" == event.event_name()
    assert {} == event.payload()


def test_the_ledger_lives_in_its_kernel_module_and_events_re_exports_it() -> None:
    """``symprogram.events.Ledger`` (and its entry and verification types) are the ones
    of ``symprogram.ledger``."""
    import symprogram.events as events
    import symprogram.ledger as ledger_module

    for name in ("Ledger", "LedgerEntry", "Problem", "Verification", "GENESIS"):
        assert getattr(ledger_module, name) is getattr(events, name)


def test_head_reports_length_and_newest_hash(store: Store) -> None:
    """``head()`` is ``(0, GENESIS)`` for a stream never written, then the newest entry's."""
    ledger = Ledger("history", key=b"k")
    with store.transaction(readonly=True) as tx:
        assert (0, "0" * 64) == ledger.head(tx, "S1")
    _fill(store, ledger, "S1", 3)
    with store.transaction(readonly=True) as tx:
        assert (3, ledger.entries(tx, "S1")[-1].hash) == ledger.head(tx, "S1")


def test_the_key_id_names_the_key_without_revealing_it() -> None:
    """Same key, same 16-hex-digit id; another key, another id; no key, ``None``."""
    one, same, other = (Ledger("a", key=b"one"), Ledger("b", key=b"one"), Ledger("a", key=b"2"))
    assert one.key_id == same.key_id != other.key_id
    assert one.key_id is not None and 16 == len(one.key_id)
    assert "one" not in one.key_id
    assert Ledger("a").key_id is None


def test_an_erased_entry_carries_a_marker_bound_to_it(store: Store) -> None:
    """Erasure writes an ``erased`` marker per entry; nulling without one is
    ``erasure_forged``, with or without a key."""
    for ledger in (Ledger("plain"), Ledger("keyed", key=b"secret")):
        _fill(store, ledger, "S1", 2)
        with store.transaction() as tx:
            ledger.erase(tx, "S1")
            raws = [json.loads(text) for _, text in tx.read(ledger.stream("S1"))]
            assert all(isinstance(raw["erased"], str) for raw in raws)
            assert raws[0]["erased"] != raws[1]["erased"]
        _fill(store, ledger, "S2", 1)
        with store.transaction() as tx:
            raw = json.loads(tx.read(ledger.stream("S2"))[0][1])
            raw["data"] = raw["salt"] = None
            tx.rewrite(ledger.stream("S2"), 1, json.dumps(raw))
        with store.transaction(readonly=True) as tx:
            assert ledger.verify(tx, "S1").ok
            assert ["erasure_forged"] == [p.code for p in ledger.verify(tx, "S2").problems]


@settings(max_examples=25, suppress_health_check=HEALTH)
@given(n=st.integers(0, 6), erased=st.booleans(), after=st.integers(0, 7), data=st.data())
def test_said_entries_are_the_kinds_and_data_of_the_entries(
    store: Store, n: int, erased: bool, after: int, data: st.DataObject
) -> None:
    """``said_entries`` answers what ``iter_entries`` does, kind and data only, after any
    position, erased entries with no data."""
    ledger = Ledger("said")
    subject = f"S{data.draw(st.integers(0, 10**9))}"
    _fill(store, ledger, subject, n)
    if erased:
        with store.transaction() as tx:
            ledger.erase(tx, subject)
    with store.transaction(readonly=True) as tx:
        full = [(e.kind, e.data) for e in ledger.iter_entries(tx, subject, after=after)]
        assert tuple(full) == ledger.said_entries(tx, subject, after=after)


@pytest.mark.parametrize(
    "text", ["not json", "[1, 2]", '{"kind": 5, "data": null}', '{"data": {}}']
)
def test_said_entries_refuse_an_entry_that_is_not_one(store: Store, text: str) -> None:
    """An entry that cannot be read for its kind and data is ``ledger_corrupt``."""
    ledger = Ledger("history")
    _fill(store, ledger, "S1", 2)
    with store.transaction() as tx:
        tx.rewrite(ledger.stream("S1"), 2, text)
    with store.transaction(readonly=True) as tx:
        with pytest.raises(IntegrityError) as raised:
            ledger.said_entries(tx, "S1")
        assert ("ledger_corrupt", {"position": 2}) == (raised.value.code, raised.value.details)
