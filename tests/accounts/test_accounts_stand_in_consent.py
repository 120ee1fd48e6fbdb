"""Issue 18: a registration of a known address costs what a new account's does, consent included.

A new account's registration also records in the consent context what it gathered
(a ledger entry, the stream head, the projection and the subject's file). A
registration of an address that already has an account records nothing about
anybody, so the same consent code does that work for nobody over a
:class:`~symprogram.accounts._stand_ins.StandInStore`: it reads what a new subject's
recording reads and every write becomes a stand-in record, swept once older than a
window. Spies on the whole program's store check the writes (never timings;
``benchmarks/enumeration.py`` measures those). Runs through ``Program`` on memory
and SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _programs import ProgramFactory, register_form
from symprogram import Program
from symprogram._bridges import NOBODY
from symprogram.accounts._stand_ins import (
    WRITES_KIND,
    WRITES_SWEEP,
    StandInStore,
    StandInSweep,
    _stamp,
)
from symprogram.clock import FixedClock
from symprogram.errors import StorageError
from symprogram.events import DomainEvent
from symprogram.outbox import STAND_IN
from symprogram.storage.memory import MemoryStore

START = datetime(2012, 3, 1, 9, 30, tzinfo=UTC)
pytestmark = pytest.mark.backends("memory", "sqlite")

#: Write methods of a unit of work: method -> (where the kind is, where the key is, items?)
_WRITES = {
    "save": False,
    "delete": False,
    "index_put": False,
    "index_delete": False,
    "append": False,
    "rewrite": False,
    "save_many": True,
    "index_put_many": True,
    "append_many": True,
}
_STREAMS = ("append", "append_many", "rewrite")


class _Spy:
    """Wraps a unit of work; notes every written item as ``(kind, key)`` (a stream
    entry as ``("stream", name)``)."""

    def __init__(self, tx: Any, written: list[tuple[str, str]]) -> None:
        self._tx = tx
        self._written = written

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._tx, name)
        if name not in _WRITES:
            return attribute

        def write(*args: Any, **kwargs: Any) -> Any:
            items = list(args[0]) if _WRITES[name] else [args]
            for item in items:
                where = ("stream", str(item[0])) if name in _STREAMS else (item[0], item[1])
                self._written.append((str(where[0]), str(where[1])))
            return attribute(*args, **kwargs)

        return write


@contextmanager
def _spying(program: Program, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """Note every item written through ``program.store`` (every context, stand-ins too)."""
    written: list[tuple[str, str]] = []
    store = program.store
    original = type(store).transaction

    @contextmanager
    def transaction(self: Any, *, readonly: bool = False) -> Iterator[Any]:
        with original(self, readonly=readonly) as tx:
            yield _Spy(tx, written) if self is store else tx

    monkeypatch.setattr(type(store), "transaction", transaction)
    try:
        yield written
    finally:
        monkeypatch.undo()


def _is_consent(kind: str, key: str) -> bool:
    return kind.startswith("consent") or key.startswith("consent:")


def _stand_in_writes(program: Program) -> list[str]:
    with program.store.transaction(readonly=True) as tx:
        return [record.key for record in tx.scan(WRITES_KIND, limit=100_000)]


def test_a_known_address_does_the_consent_work_of_a_new_account_for_nobody(
    backend: str, make_program: ProgramFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Registering a new address writes the consent record of what was gathered;
    registering a known one writes as many records, each a stand-in, and nothing of
    the consent context's: not about the owner, not about anybody."""
    program = make_program(backend)
    accounts = program.accounts
    register_form(accounts, "owner@example.com")
    owner = accounts.find_by_email("owner@example.com")
    assert owner is not None
    owner_consent = program.consent.history(owner.candidate_id)
    seen: dict[str, list[tuple[str, str]]] = {}
    for kind, email in (("unknown", "new@example.com"), ("known", "owner@example.com")):
        receipt = accounts.accept_terms(path="create_account").token
        with _spying(program, monkeypatch) as written:
            register_form(accounts, email, terms_receipt=receipt)
        seen[kind] = written
    consent_writes = [w for w in seen["unknown"] if _is_consent(*w)]
    assert consent_writes  # a ledger entry, its head, the projection, the file
    assert [] == [w for w in seen["known"] if _is_consent(*w)]
    stand_ins = [key for kind, key in seen["known"] if kind == WRITES_KIND]
    assert len(consent_writes) == len(stand_ins)
    assert all(key.startswith(STAND_IN + ":") for key in stand_ins)
    # every other write is the one a new account makes (its history's first entries
    # are one batch of three where the owner's history gets one entry)
    others = {
        kind: [w for w in seen[kind] if w[0] != WRITES_KIND and not _is_consent(*w)]
        for kind in seen
    }
    assert len(others["unknown"]) == len(others["known"]) + 2
    assert 3 == sum(w[0] == "stream" for w in others["unknown"])
    assert owner_consent == program.consent.history(owner.candidate_id)
    assert () == program.consent.history(NOBODY)


def test_work_for_nobody_publishes_nothing_and_leaves_every_ledger_sound(
    backend: str, make_program: ProgramFactory
) -> None:
    """No event reaches a subscriber for the stand-in work, the consent context knows
    no subject it did not record, and every ledger still verifies."""
    program = make_program(backend)
    events: list[DomainEvent] = []
    program.subscribe(DomainEvent, events.append)
    register_form(program.accounts, "owner@example.com")
    before = len(events)
    register_form(program.accounts, "owner@example.com")
    after = events[before:]
    assert ["registration_attempted"] == [event.event_name() for event in after]
    assert NOBODY not in {getattr(event, "subject", None) for event in events}
    assert program.verify_all().ok
    assert len(_stand_in_writes(program)) > 0


def test_stand_in_writes_stop_growing_at_about_a_window(
    backend: str, make_program: ProgramFactory
) -> None:
    """A known address registered once a minute for five windows: the sweep after
    each call deletes the stand-in writes older than a window, so they stop growing
    at about a window's worth (before the sweep: five windows' worth)."""
    clock = FixedClock(START)
    program = make_program(backend, clock=clock)
    register_form(program.accounts, "owner@example.com")
    window = program.accounts.settings.resend_window
    minutes = int(window / timedelta(minutes=1))
    counts = []
    for number in range(5 * minutes):
        register_form(program.accounts, "owner@example.com")
        clock.advance(timedelta(minutes=1))
        if (number + 1) % minutes == 0:
            counts.append(len(_stand_in_writes(program)))
    per_call = counts[0] // minutes
    assert per_call > 0
    assert all(count <= (minutes + 1) * per_call for count in counts), counts
    cut = _stamp(clock.now() - window - timedelta(minutes=1))
    start = len(STAND_IN) + 1
    assert all(key[start : start + 16] >= cut for key in _stand_in_writes(program))


_STAMPS = st.integers(min_value=0, max_value=2**40)


@settings(max_examples=40, deadline=None)
@given(stamps=st.lists(_STAMPS, max_size=40), cut=_STAMPS)
def test_a_sweep_deletes_the_oldest_stand_in_writes_before_its_cut(
    stamps: list[int], cut: int
) -> None:
    """Of the :data:`WRITES_SWEEP` oldest stand-in writes, exactly those stamped before
    the cut are deleted; no newer one, nothing of another kind."""
    store = MemoryStore()
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    keys = sorted(
        f"{STAND_IN}:{_stamp(epoch + timedelta(microseconds=s))}:{n:04d}:01"
        for n, s in enumerate(stamps)
    )
    with store.transaction() as tx:
        for key in keys:
            tx.save(WRITES_KIND, key, "{}", 0)
        tx.save("other", f"{STAND_IN}:0000000000000000:x", "{}", 0)
    cut_at = epoch + timedelta(microseconds=cut)
    with store.transaction() as tx:
        StandInSweep().run(tx, issued_before=cut_at)
    with store.transaction(readonly=True) as tx:
        left = [record.key for record in tx.scan(WRITES_KIND, limit=1000)]
        other = tx.scan("other", limit=10)
    start = len(STAND_IN) + 1
    stale = [key for key in keys if key[start : start + 16] < _stamp(cut_at)]
    doomed = stale[:WRITES_SWEEP]
    assert [key for key in keys if key not in doomed] == left
    assert 1 == len(other)


def test_a_stand_in_store_writes_only_stand_ins_and_only_when_bound() -> None:
    """Outside ``writing_as`` its units of work are refused; inside, every write is a
    new stand-in record holding the written text (however many units the block
    opens), deletes do nothing, reads see the inner store and closing it leaves the
    inner store open."""
    inner = MemoryStore()
    with inner.transaction() as tx:
        tx.save("note", "n1", "real", 0)
    stand_ins = StandInStore(inner)
    with pytest.raises(StorageError) as info, stand_ins.transaction():
        pass
    assert "stand_in_unbound" == info.value.code
    key = f"{STAND_IN}:0000000000000001:R"
    with stand_ins.writing_as(key), stand_ins.transaction() as tx:
        assert "real" == tx.load("note", "n1").data  # type: ignore[union-attr]
        assert 1 == tx.save("note", "n2", "two", 0)
        tx.append("stream:a", 1, "entry")
        tx.index_put("index", "value", "n2")
        tx.delete("note", "n1", 1)
        tx.index_delete("index", "value")
        with stand_ins.transaction() as again:  # another unit in the block: new keys still
            again.save("note", "n3", "three", 0)
    stand_ins.close()
    with inner.transaction(readonly=True) as tx:
        written = [(r.key, r.data) for r in tx.scan(WRITES_KIND)]
        assert "real" == tx.load("note", "n1").data  # type: ignore[union-attr]
        assert tx.load("note", "n2") is None
        assert [] == tx.read("stream:a")
        assert tx.index_get("index", "value") is None
    assert [
        (f"{key}:01", "two"),
        (f"{key}:02", "entry"),
        (f"{key}:03", "n2"),
        (f"{key}:04", "three"),
    ] == written
    assert stand_ins.change_token() == inner.change_token()
