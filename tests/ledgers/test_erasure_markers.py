"""Erasure leaves an authenticated marker: a real erasure verifies, a faked one does not.

Issue 17: "Setting an entry's ``data`` or ``salt`` to null, as erasure does, passes
``verify`` even with the key." Now :meth:`Ledger.erase` writes a marker bound to the
entry (stream, position, digest, hash) and MACed with the key.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from _programs import ProgramFactory, register_form
from symprogram import Program
from symprogram.ledger import Ledger
from symprogram.persistence import Store
from symprogram.storage.memory import MemoryStore

KEY = b"erasure markers key, 32 bytes!!!"


def _register(program: Program, email: str) -> str:
    register_form(program.accounts, email)
    messages = program.notifier.messages  # type: ignore[attr-defined]
    sent = [m for m in messages if m.kind == "activation" and m.to == email]
    return program.accounts.activate(sent[-1].data["token"]).candidate_id


def _null(store: Store, stream: str, position: int, **extra: object) -> None:
    """What an attacker without the key writes: data and salt nulled (and ``extra``)."""
    with store.transaction() as tx:
        raw = json.loads(dict(tx.read(stream))[position])
        raw.update(data=None, salt=None, **extra)
        tx.rewrite(stream, position, json.dumps(raw))


@pytest.mark.backends("memory", "sqlite", "sqlalchemy", "postgresql", "mariadb")
def test_erase_person_verifies_and_a_faked_erasure_does_not(
    backend: str, make_program: ProgramFactory
) -> None:
    """With the key: after ``erase_person`` every ledger verifies (against a digest taken
    before it, too); an entry of another person nulled without the key is
    ``erasure_forged``."""
    program = make_program(backend, ledger_key=KEY)
    cid = _register(program, "ada@example.com")
    other = _register(program, "grace@example.com")
    program.consent.grant(cid, "special_offers", channel="web_form", evidence="box ticked")
    before = program.digest()

    program.erase_person(cid, reason="right to erasure")

    assert program.history.verify(cid, against=before).ok
    assert program.consent.verify(cid, against=before).ok
    assert all(e.erased for e in program.history.history(cid)[:-1])
    assert program.verify_all(against=before).ok
    _null(program.store, f"history:{other}", 1)
    codes = [(p.position, p.code) for p in program.history.verify(other).problems]
    assert [(1, "erasure_forged")] == codes
    assert not program.verify_all(against=program.digest()).ok


@pytest.mark.parametrize("key", [KEY, None], ids=["key", "no-key"])
def test_a_consent_erasure_verifies_and_nulling_without_a_marker_does_not(
    key: bytes | None, make_program: ProgramFactory
) -> None:
    """``consent.erase`` keeps the ledger verifiable; nulling data and salt without a
    marker is ``erasure_forged`` with or without a key."""
    program = make_program("memory", ledger_key=key)
    for subject in ("cust-1", "cust-2"):
        program.consent.grant(subject, "special_offers", channel="web_form", evidence="box")
        program.consent.withdraw(subject, "special_offers", channel="phone")
    receipt = program.consent.erase("cust-1")
    assert 2 == receipt.entries_erased
    assert program.consent.verify("cust-1").ok
    _null(program.store, "consent:cust-2", 2)
    assert "erasure_forged" in [p.code for p in program.consent.verify("cust-2").problems]


def _codes(store: Store, ledger: Ledger) -> list[tuple[int, str]]:
    with store.transaction(readonly=True) as tx:
        return [(p.position, p.code) for p in ledger.verify(tx, "S1").problems]


def _raw(store: Store, stream: str, position: int) -> dict[str, object]:
    with store.transaction(readonly=True) as tx:
        return dict(json.loads(dict(tx.read(stream))[position]))


@pytest.mark.parametrize("key", [KEY, None], ids=["key", "no-key"])
def test_a_marker_computed_without_the_key_or_moved_is_refused(key: bytes | None) -> None:
    """A real marker copied onto another entry is refused; with the key so is a marker
    computed without it (SHA-256), which without a key is what erasure writes."""
    store = MemoryStore()
    ledger = Ledger("history", key=key)
    at = datetime(2012, 3, 1, tzinfo=UTC)
    with store.transaction() as tx:
        ledger.append_many(tx, "S1", [("e", {"i": i}, at) for i in range(2)])
        ledger.erase(tx, "S1")
        ledger.append_many(tx, "S1", [("e", {"i": i}, at) for i in range(2, 4)])
    assert [] == _codes(store, ledger)
    moved = _raw(store, "history:S1", 1)["erased"]
    _null(store, "history:S1", 3, erased=moved)
    assert [(3, "erasure_forged")] == _codes(store, ledger)
    entry = _raw(store, "history:S1", 4)
    computed = Ledger("history")._erasure_marker(
        "history:S1", 4, str(entry["digest"]), str(entry["hash"])
    )
    _null(store, "history:S1", 4, erased=computed)
    expected = [(3, "erasure_forged")] + ([(4, "erasure_forged")] if key else [])
    assert expected == _codes(store, ledger)


@pytest.mark.parametrize("key", [KEY, None], ids=["key", "no-key"])
def test_erase_entry_erases_one_entry_with_a_marker_and_the_stream_verifies(
    key: bytes | None,
) -> None:
    """``Ledger.erase_entry`` drops the data and salt of one entry only, with an erasure
    marker (the stream verifies, with or without a key); it erases nothing where the
    position is out of the stream, the entry is erased already, or ``where`` refuses."""
    store = MemoryStore()
    ledger = Ledger("history", key=key)
    at = datetime(2012, 3, 1, tzinfo=UTC)
    with store.transaction() as tx:
        ledger.append_many(tx, "S1", [("e", {"i": i}, at) for i in range(4)])
        refused = ledger.erase_entry(tx, "S1", 3, where=lambda kind, data: data["i"] == 9)
        erased = ledger.erase_entry(tx, "S1", 2, where=lambda kind, data: data["i"] == 1)
        again = ledger.erase_entry(tx, "S1", 2)
        missing = [ledger.erase_entry(tx, "S1", position) for position in (0, 5, -1)]
        entries = ledger.entries(tx, "S1")
    assert (False, True, False, [False] * 3) == (refused, erased, again, missing)
    assert [{"i": 0}, None, {"i": 2}, {"i": 3}] == [e.data for e in entries]
    assert [False, True, False, False] == [e.erased for e in entries]
    assert _raw(store, "history:S1", 2)["salt"] is None
    assert [] == _codes(store, ledger)
    with store.transaction() as tx:
        assert 3 == ledger.erase(tx, "S1")  # the rest; the one erased before is left
    assert [] == _codes(store, ledger)
