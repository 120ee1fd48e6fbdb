"""A key rotation done as documented keeps the messages pending across it deliverable.

A probe followed the threat model's procedure (restart with ``LedgerKeys(new,
retired=(old,))``, ``rekey()``, verify with the new key alone, drop the old key): the
outbox messages left pending before the rotation were still sealed with the old key,
so ``deliver_pending()`` then raised ``ledger_key_unknown`` and neither they nor the
messages written after the rotation were ever sent. Now ``rekey()`` seals the pending
messages again with the current key (their seal checked first: one changed in the
database is refused, never sealed again), so they go out once the old key is dropped.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _programs import register_active
from symprogram import Program
from symprogram._outbox_seal import TAMPERED, Seal
from symprogram.errors import IntegrityError
from symprogram.ledger_keys import LedgerKeys
from symprogram.notify import Message, Outbox
from symprogram.outbox import MESSAGE_KIND, MessageOutbox
from symprogram.persistence import Record

pytestmark = pytest.mark.backends("memory", "sqlite", "postgresql", "mariadb")

OLD, NEW = b"o" * 32, b"n" * 32


class Relay(Outbox):
    """An outbox whose mail relay can be down (then it raises)."""

    down = False

    def send(self, message: Message) -> None:
        if self.down:
            raise ConnectionError("smtp down")
        super().send(message)


def _pending(program: Program) -> list[Record]:
    with program.store.transaction(readonly=True) as tx:
        rows = tx.scan(MESSAGE_KIND, limit=1000)
    return [row for row in rows if json.loads(row.data).get("state") == "pending"]


def _reset_while_down(program: Program, relay: Relay, email: str) -> None:
    relay.down = True
    program.accounts.request_password_reset(email)
    relay.down = False


def test_the_documented_rotation_leaves_no_pending_message_behind(
    make_program: Any, backend: str
) -> None:
    """A reset left pending under the old key; the rotation as the threat model gives it
    (digest, rotate, ``rekey``, verify, drop the old key); a reset left pending under the
    new key: ``deliver_pending()`` with the new key alone sends both."""
    relay = Relay()
    before = make_program(backend, notifier=relay, ledger_key=OLD)
    register_active(before, "ann@example.com")
    register_active(before, "bob@example.com")
    _reset_while_down(before, relay, "ann@example.com")
    kept = before.digest()
    ring = LedgerKeys(NEW, retired=(OLD,))
    rotated = Program(before.store, clock=before.clock, notifier=relay, ledger_key=ring)
    assert rotated.rekey(against=kept) >= 1
    assert rotated.verify_all(against=kept).ok
    after = Program(before.store, clock=before.clock, notifier=relay, ledger_key=NEW)
    assert after.verify_all().ok
    _reset_while_down(after, relay, "bob@example.com")
    assert 2 == len(_pending(after))
    assert 2 == after.deliver_pending()
    resets = [m.to for m in relay.messages if m.kind == "password_reset"]
    assert ["ann@example.com", "bob@example.com"] == resets
    assert [] == _pending(after)


def test_resealing_refuses_a_changed_message_and_leaves_an_unknown_key_alone(
    make_program: Any, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    """``MessageOutbox.reseal`` over a pending message sealed with the retired key, one
    changed in the database and one sealed with a key the ring does not hold: the first
    is sealed again (once: a second run does nothing), the changed one refused and
    never sent, the third left as it is; the last two logged."""
    relay = Relay()
    program = make_program(backend, notifier=relay, ledger_key=OLD)
    fine, changed, foreign = (
        Message(to=f"{n}@example.com", kind="k", subject="s", body="b") for n in "abc"
    )
    with program.store.transaction() as tx:  # not delivered after commit: left pending
        MessageOutbox(program.store, relay, ledger_key=OLD).write(tx, [fine, changed], subject="S")
        MessageOutbox(program.store, relay, ledger_key=b"x" * 32).write(tx, [foreign], subject="S")
    [row] = [r for r in _pending(program) if r.key == f"S:{changed.message_id}"]
    with program.store.transaction() as tx:
        tx.save(MESSAGE_KIND, row.key, json.dumps({**json.loads(row.data), "kind": "x"}), 1)
    ring = LedgerKeys(NEW, retired=(OLD,))
    with caplog.at_level(logging.ERROR, logger="symprogram.outbox"):
        assert 1 == MessageOutbox(program.store, relay, ledger_key=ring).reseal()
    assert 0 == MessageOutbox(program.store, relay, ledger_key=ring).reseal()
    assert TAMPERED in caplog.text and row.key in caplog.text
    assert f"S:{foreign.message_id}" in caplog.text
    with program.store.transaction(readonly=True) as tx:
        stored = tx.load(MESSAGE_KIND, row.key)
    assert stored is not None and "refused" == json.loads(stored.data)["state"]
    with pytest.raises(IntegrityError) as info:  # the foreign one: its key is not held
        MessageOutbox(program.store, relay, ledger_key=NEW).deliver_pending()
    assert "ledger_key_unknown" == info.value.code
    assert ["a@example.com"] == [m.to for m in relay.messages]


_header = st.text(st.characters(whitelist_categories=("L", "N", "P", "S")), min_size=1, max_size=40)
_messages = st.builds(
    Message,
    to=_header,
    kind=st.text(max_size=20),
    subject=_header,
    body=st.text(max_size=200),
    data=st.dictionaries(st.text(max_size=10), st.text(max_size=50), max_size=4),
)


@given(message=_messages, field=st.sampled_from(["kind", "message_id", "subject", "to_digest"]))
def test_a_resealed_message_opens_with_the_new_key_alone(message: Message, field: str) -> None:
    """Property: a message sealed with the old key, sealed again by a ring that retired
    it, opens with the new key alone to the same message (and needs no second
    resealing); one with a clear field changed is never sealed again (``TAMPERED``)."""
    key = f"SP-1:{message.message_id}"
    record = Record(
        MESSAGE_KIND, key, 1, Seal(LedgerKeys(OLD)).encode(key, message, "SP-1", "pending")
    )
    ring = Seal(LedgerKeys(NEW, retired=(OLD,)))
    resealed = ring.resealed(record)
    assert resealed is not None
    moved = Record(MESSAGE_KIND, key, 2, resealed)
    assert message == Seal(LedgerKeys(NEW)).decode(moved)[1]
    assert ring.resealed(moved) is None
    data = json.loads(record.data)
    changed = Record(MESSAGE_KIND, key, 1, json.dumps({**data, field: "x" + str(data[field])}))
    with pytest.raises(IntegrityError) as info:
        ring.resealed(changed)
    assert TAMPERED == info.value.code
