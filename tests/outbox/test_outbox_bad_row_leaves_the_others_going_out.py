"""One pending outbox row that cannot be read or opened stops only its own unit of work.

A probe (attacker A: write access to the database, no key) edited only the first
pending message's ``sealed.key`` to an id the ring does not hold, or removed its
``sealed`` field: ``deliver_pending()`` raised ``ledger_key_unknown`` or
``record_corrupt`` while loading the page, and none of the other, untouched units of
work reached the notifier (one row held every message back). Now each row is handled
on its own: a message that cannot be read is refused (``record_corrupt``, like one
whose seal does not match), a unit of work with a message sealed with a key the ring
does not hold, or whose marker cannot be read, is left pending whole; each is logged
(logger ``symprogram.outbox``, level ERROR), the others go out, and only then does
``deliver_pending()`` raise the first unit of work it left pending.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _programs import register_form
from symprogram import Program
from symprogram._outbox_seal import Seal
from symprogram.errors import IntegrityError
from symprogram.ledger_keys import LedgerKeys
from symprogram.notify import Message, Outbox
from symprogram.outbox import MESSAGE_KIND, PENDING_KIND, DeliveringStore, MessageOutbox
from symprogram.persistence import Record
from symprogram.storage.memory import MemoryStore

pytestmark = pytest.mark.backends("memory", "sqlite", "postgresql", "mariadb")

KEY = b"k" * 32
OTHER = b"o" * 32


class Relay(Outbox):
    """An outbox whose mail relay can be down (then it raises)."""

    down = False

    def send(self, message: Message) -> None:
        if self.down:
            raise ConnectionError("smtp down")
        super().send(message)


def _rows(store: Any, kind: str) -> list[Record]:
    with store.transaction(readonly=True) as tx:
        return list(tx.scan(kind, limit=1000))


def _edit(store: Any, row: Record, text: str) -> None:
    """Write ``text`` over ``row`` as attacker A would."""
    with store.transaction() as tx:
        tx.save(row.kind, row.key, text, row.version)


def _three_left_pending(make_program: Any, backend: str) -> tuple[Program, Relay]:
    relay = Relay()
    program = make_program(backend, notifier=relay, ledger_key=KEY)
    relay.down = True
    for name in ("ann", "bob", "cy"):
        register_form(program.accounts, f"{name}@example.com")
    relay.down = False
    return program, relay


def _first_message(program: Program) -> Record:
    """The message of the oldest pending unit of work (the first delivered)."""
    [marker, *_] = _rows(program.store, PENDING_KIND)
    [key] = json.loads(marker.data)["keys"]
    return next(row for row in _rows(program.store, MESSAGE_KIND) if row.key == key)


@pytest.mark.parametrize("change", ["unknown_key", "no_seal", "not_json", "junk_marker"])
def test_one_bad_row_does_not_hold_back_the_other_units_of_work(
    make_program: Any, backend: str, change: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The first pending row edited (a key id the ring does not hold, no seal, not
    JSON) or a junk marker written before the rest: the two untouched activations go
    out, the bad row is logged at ERROR; a message that cannot be read is refused and
    nothing is raised, a unit of work left pending is raised after the others went out."""
    program, relay = _three_left_pending(make_program, backend)
    row = _first_message(program)
    data = json.loads(row.data)
    if change == "unknown_key":
        _edit(program.store, row, json.dumps({**data, "sealed": {**data["sealed"], "key": "00"}}))
    elif change == "no_seal":
        _edit(program.store, row, json.dumps({k: v for k, v in data.items() if k != "sealed"}))
    elif change == "not_json":
        _edit(program.store, row, "garbage")
    else:
        with program.store.transaction() as tx:
            tx.save(PENDING_KIND, "0-junk", "garbage", 0)
    ann_left = change in ("unknown_key", "no_seal", "not_json")
    with caplog.at_level(logging.ERROR, logger="symprogram.outbox"):
        if change in ("unknown_key", "junk_marker"):
            with pytest.raises(IntegrityError) as info:
                program.deliver_pending()
            code = "ledger_key_unknown" if change == "unknown_key" else "record_corrupt"
            bad = row.key if change == "unknown_key" else "0-junk"
            assert (code, bad) == (info.value.code, info.value.details["key"])
        else:
            assert 2 == program.deliver_pending()
    sent = sorted(m.to for m in relay.messages if m.kind == "activation")
    untouched = ["bob@example.com", "cy@example.com"]
    assert (untouched if ann_left else ["ann@example.com", *untouched]) == sent
    assert any(r.levelno == logging.ERROR for r in caplog.records)
    stored = json.loads(
        next(r for r in _rows(program.store, MESSAGE_KIND) if r.key == row.key).data
    )
    if change == "unknown_key":
        assert "pending" == stored["state"]  # sent once the key is back, if it ever is
    elif change in ("no_seal", "not_json"):
        assert ("refused", "record_corrupt") == (stored["state"], stored["error"])
        assert 0 == program.deliver_pending()  # refused for good, nothing left to raise
        assert [] == _rows(program.store, PENDING_KIND)


def test_a_unit_of_work_left_pending_goes_out_whole_once_its_key_is_back(
    make_program: Any, backend: str
) -> None:
    """A unit of work of two messages, the first sealed with a key the program does not
    hold, is left pending whole (neither is sent; the later unit of work is); with the
    key back (retired in the ring), both go out, in order."""
    relay = Relay()
    program = make_program(backend, notifier=relay, ledger_key=KEY)
    outbox = MessageOutbox(program.store, relay, ledger_key=KEY)
    first, second, later = (
        Message(to=f"{n}@example.com", kind="k", subject="s", body="b") for n in "abc"
    )
    with program.store.transaction() as tx:  # not delivered after commit: left pending
        outbox.write(tx, [first, second], subject="S")
        outbox.write(tx, [later], subject="S")
    key = f"S:{first.message_id}"
    [row] = [r for r in _rows(program.store, MESSAGE_KIND) if r.key == key]
    _edit(program.store, row, Seal(LedgerKeys(OTHER)).encode(key, first, "S", "pending"))
    with pytest.raises(IntegrityError) as info:
        outbox.deliver_pending()
    assert ("ledger_key_unknown", key) == (info.value.code, info.value.details["key"])
    assert ["c@example.com"] == [m.to for m in relay.messages]
    ring = LedgerKeys(KEY, retired=(OTHER,))
    assert 2 == MessageOutbox(program.store, relay, ledger_key=ring).deliver_pending()
    assert ["c@example.com", "a@example.com", "b@example.com"] == [m.to for m in relay.messages]


def _state(row: Record) -> object:
    try:
        data = json.loads(row.data)
    except ValueError:
        return None
    return data.get("state") if isinstance(data, dict) else None


_fates = st.sampled_from(["ok", "ok", "unknown_key", "no_seal", "not_json", "tampered"])


@given(
    units=st.lists(
        st.tuples(st.booleans(), st.lists(_fates, min_size=1, max_size=3)), min_size=1, max_size=5
    )
)
def test_only_the_units_of_work_of_bad_rows_are_held_back(
    units: list[tuple[bool, list[str]]],
) -> None:
    """Property: over units of work (a marker readable or not, messages each fine, sealed
    with a key not held, unreadable or changed), ``deliver_pending`` hands over every
    fine message of every unit of work with a readable marker and no message sealed with
    a key not held, in order; it raises (after that) exactly when such a unit of work
    was left, which stays pending; every other row is done with (sent or refused)."""
    store, sent = DeliveringStore(MemoryStore()), Outbox()
    outbox = MessageOutbox(store, sent, ledger_key=KEY)
    expected: list[str] = []
    held: set[str] = set()  # the markers of the units of work left pending
    done: set[str] = set()  # the messages of the others
    for u, (marker_ok, fates) in enumerate(units):
        messages = [
            Message(to=f"u{u}m{m}@example.com", kind="k", subject="s", body="b")
            for m in range(len(fates))
        ]
        with store.inner.transaction() as tx:  # not delivered after commit: left pending
            outbox.write(tx, messages, subject=f"S{u}")
        keys = {f"S{u}:{m.message_id}": fate for m, fate in zip(messages, fates, strict=True)}
        for row in _rows(store, MESSAGE_KIND):
            data, fate = json.loads(row.data), keys.get(row.key, "ok")
            if fate == "unknown_key":
                _edit(store, row, json.dumps({**data, "sealed": {**data["sealed"], "key": "00"}}))
            elif fate == "no_seal":
                _edit(store, row, json.dumps({k: v for k, v in data.items() if k != "sealed"}))
            elif fate == "not_json":
                _edit(store, row, "[]")
            elif fate == "tampered":
                _edit(store, row, json.dumps({**data, "kind": "changed"}))
        if not marker_ok:
            marker = next(r for r in _rows(store, PENDING_KIND) if r.key == messages[0].message_id)
            _edit(store, marker, '{"keys": "junk"}')
        if not marker_ok or "unknown_key" in fates:
            held.add(messages[0].message_id)
        else:
            done.update(keys)
            expected += [m.to for m, fate in zip(messages, fates, strict=True) if fate == "ok"]
    if held:
        with pytest.raises(IntegrityError):
            outbox.deliver_pending()
    else:
        assert len(expected) == outbox.deliver_pending()
    assert expected == [m.to for m in sent.messages]
    assert held == {r.key for r in _rows(store, PENDING_KIND)}
    states = {r.key: _state(r) for r in _rows(store, MESSAGE_KIND)}
    assert all(states[key] in ("delivered", "refused") for key in done)
