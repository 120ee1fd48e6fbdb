"""With a ledger key, a pending message's text is sealed: unreadable, and refused if changed.

A probe (attacker A: write access to the database, no key) found a password-reset
message left pending while the mail relay was down holding the reset token and the
recipient in clear: A read the token, or rewrote ``to``, and ``deliver_pending()``
sent the victim's link to A, who took the account over (``verify_all()`` ok). Now,
with a key, the recipient, subject line, body and data of a pending record are
encrypted and sealed (keys derived from the ledger key): the token is not in the
row, and a record changed in any covered field is refused (marked ``refused``,
``outbox_message_tampered``, logged), never sent. Without a key, and for rows an
earlier build wrote unsealed, messages are kept and delivered as before.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _programs import register_active
from symprogram import Program
from symprogram._outbox_seal import TAMPERED, Seal, recipient_digest
from symprogram.errors import IntegrityError
from symprogram.ledger_keys import LedgerKeys
from symprogram.notify import Message, Outbox
from symprogram.outbox import MESSAGE_KIND, DeliveringStore, MessageOutbox, erase_messages
from symprogram.persistence import Record
from symprogram.storage.memory import MemoryStore

pytestmark = pytest.mark.backends("memory", "sqlite", "postgresql", "mariadb")

KEY = b"k" * 32
VICTIM, ATTACKER = "victim@example.com", "eve@attacker.email"


class Relay(Outbox):
    """An outbox whose mail relay can be down (then it raises)."""

    down = False

    def send(self, message: Message) -> None:
        if self.down:
            raise ConnectionError("smtp down")
        super().send(message)

    @property
    def sent(self) -> list[Message]:
        return list(self.messages)


def _pending_rows(program: Program) -> list[Record]:
    with program.store.transaction(readonly=True) as tx:
        rows = tx.scan(MESSAGE_KIND, limit=1000)
    return [row for row in rows if json.loads(row.data).get("state") == "pending"]


def _save(program: Program, row: Record, data: dict[str, Any]) -> None:
    """Write ``data`` over ``row`` as attacker A would."""
    with program.store.transaction() as tx:
        tx.save(MESSAGE_KIND, row.key, json.dumps(data), row.version)


def _reset_left_pending(make_program: Any, backend: str, **keys: Any) -> tuple[Program, Relay]:
    relay = Relay()
    program = make_program(backend, notifier=relay, **keys)
    register_active(program, VICTIM)
    relay.down = True
    program.accounts.request_password_reset(VICTIM)
    relay.down = False
    return program, relay


def _redirected(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (a sealed record) with its recipient rewritten to :data:`ATTACKER` as a
    stream cipher allows without the key: the text sealed ends with the address (its
    JSON has sorted keys, ``to`` last), so A flips those bytes of the ciphertext from
    the victim's address to A's (of the same length) and makes the digest again."""
    box = bytearray(base64.b64decode(data["sealed"]["box"]))
    at = len(box) - len(VICTIM) - 2  # ...  "to": "victim@example.com"}
    for n, (was, wanted) in enumerate(zip(VICTIM, ATTACKER, strict=True)):
        box[at + n] ^= ord(was) ^ ord(wanted)
    sealed = {**data["sealed"], "box": base64.b64encode(bytes(box)).decode("ascii")}
    return {**data, "sealed": sealed, "to_digest": recipient_digest(ATTACKER)}


def test_a_pending_reset_holds_neither_token_nor_address_with_a_key(
    make_program: Any, backend: str
) -> None:
    """With a key, the row of a reset left pending holds no token and no address; once
    the relay is back the link reaches the victim."""
    program, relay = _reset_left_pending(make_program, backend, ledger_key=KEY)
    [row] = _pending_rows(program)
    assert 1 == program.deliver_pending()
    [sent] = [m for m in relay.sent if m.kind == "password_reset"]
    assert VICTIM == sent.to
    for secret in (sent.data["token"], VICTIM, sent.body):
        assert secret not in row.data
        assert json.dumps(secret)[1:-1] not in row.data


@pytest.mark.parametrize(
    "change",
    ["redirect", "kind", "message_id", "to_digest", "tag", "nonce", "another_record"],
)
def test_a_changed_sealed_message_is_refused_never_sent(
    make_program: Any, backend: str, change: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A sealed pending record changed in the database (its recipient flipped in the
    ciphertext, its kind, ID, digest, tag or nonce, or another message's seal put in
    its place) is not sent: marked ``refused`` with ``outbox_message_tampered``,
    logged, dropped from its marker; the rest still goes out."""
    program, relay = _reset_left_pending(make_program, backend, ledger_key=KEY)
    [row] = _pending_rows(program)
    data = json.loads(row.data)
    sealed = data["sealed"]
    if change == "redirect":
        changed = _redirected(data)
    elif change in ("tag", "nonce"):
        flipped = "A" if sealed[change][0] != "A" else "B"
        changed = {**data, "sealed": {**sealed, change: flipped + sealed[change][1:]}}
    elif change == "another_record":
        with program.store.transaction() as tx:
            outbox = MessageOutbox(program.store, Outbox(), ledger_key=KEY)
            outbox.write(tx, [Message(to=ATTACKER, kind="other", subject="s", body="b")])
        other = next(r for r in _pending_rows(program) if r.key != row.key)
        changed = {**data, **{k: v for k, v in json.loads(other.data).items() if k != "subject"}}
    else:
        changed = {**data, change: "x" + str(data[change])}
    _save(program, row, changed)
    before = len(relay.sent)
    with caplog.at_level(logging.ERROR, logger="symprogram.outbox"):
        program.deliver_pending()
    assert [] == [m for m in relay.sent[before:] if m.kind == "password_reset"]
    with program.store.transaction(readonly=True) as tx:
        stored = tx.load(MESSAGE_KIND, row.key)
    assert stored is not None
    assert ("refused", TAMPERED) == (
        json.loads(stored.data)["state"],
        json.loads(stored.data)["error"],
    )
    assert "sealed" not in json.loads(stored.data)
    assert TAMPERED in caplog.text and row.key in caplog.text
    assert 0 == program.deliver_pending()
    assert [] == _pending_rows(program)


def test_a_message_sealed_with_a_key_not_in_the_ring_is_ledger_key_unknown(
    make_program: Any, backend: str
) -> None:
    """A program without the key the message was sealed with does not send it nor
    destroy it: ``IntegrityError`` ``ledger_key_unknown``; with the key back, it goes out."""
    program, relay = _reset_left_pending(make_program, backend, ledger_key=KEY)
    other = MessageOutbox(program.store, relay, ledger_key=b"o" * 32)
    with pytest.raises(IntegrityError) as info:
        other.deliver_pending()
    assert "ledger_key_unknown" == info.value.code
    assert 1 == len(_pending_rows(program))
    rotated = MessageOutbox(program.store, relay, ledger_key=LedgerKeys(b"n" * 32, retired=(KEY,)))
    assert 1 == rotated.deliver_pending()


def test_without_a_key_messages_are_kept_and_delivered_as_before(
    make_program: Any, backend: str
) -> None:
    """No key: the pending row holds the text in clear (nothing to seal it with) and is
    delivered as before."""
    program, relay = _reset_left_pending(make_program, backend)
    [row] = _pending_rows(program)
    assert VICTIM == json.loads(row.data)["to"]
    assert 1 == program.deliver_pending()
    assert VICTIM == relay.sent[-1].to and "password_reset" == relay.sent[-1].kind


def test_an_unsealed_row_of_an_earlier_build_is_still_delivered_with_a_key(
    make_program: Any, backend: str
) -> None:
    """A pending row written unsealed (before this release) is read as before once
    the program has a key."""
    relay = Relay()
    program = make_program(backend, notifier=relay, ledger_key=KEY)
    legacy = MessageOutbox(program.store, relay)  # no key: what an earlier build wrote
    with program.store.transaction() as tx:
        legacy.write(tx, [Message(to=VICTIM, kind="hello", subject="Hi", body="Hello")])
    [row] = _pending_rows(program)
    assert "sealed" not in json.loads(row.data)
    assert 1 == program.deliver_pending()
    assert [(VICTIM, "hello")] == [(m.to, m.kind) for m in relay.sent]


def test_erasure_finds_a_sealed_pending_message_by_address(make_program: Any, backend: str) -> None:
    """A sealed pending message filed under nobody is still found by the person's
    address (its digest) and erased; ``iter_records`` opens sealed ones with the key."""
    program = make_program(backend, ledger_key=KEY)
    outbox = MessageOutbox(program.store, Outbox(), ledger_key=KEY)
    with program.store.transaction() as tx:
        outbox.write(tx, [Message(to="Ann@Example.com", kind="k", subject="s", body="b")])
    assert ["Ann@Example.com"] == [r["to"] for r in outbox.iter_records()]
    with program.store.transaction() as tx:
        assert 1 == erase_messages(tx, "SP-NONE", addresses=["ann@example.com"])
    assert [] == list(outbox.iter_records())


_header = st.text(st.characters(whitelist_categories=("L", "N", "P", "S")), min_size=1, max_size=40)
_messages = st.builds(
    Message,
    to=_header,
    kind=st.text(max_size=20),
    subject=_header,
    body=st.text(max_size=200),
    data=st.dictionaries(
        st.text(max_size=10),
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=50)),
        max_size=4,
    ),
)


@given(message=_messages, subject=st.text(min_size=1, max_size=20))
def test_a_sealed_record_opens_to_the_message_it_was_sealed_from(
    message: Message, subject: str
) -> None:
    """Property: sealing and opening give the message back (with its ID), under the key
    it was sealed with, also once that key is retired in a rotated ring; no other
    ring opens it."""
    key = f"{subject}:{message.message_id}"
    text = Seal(LedgerKeys(KEY)).encode(key, message, subject, "pending")
    record = Record(MESSAGE_KIND, key, 1, text)
    for ring in (LedgerKeys(KEY), LedgerKeys(b"n" * 32, retired=(KEY,))):
        data, opened = Seal(ring).decode(record)
        assert opened == message and opened.message_id == message.message_id
        assert subject == data["subject"]
    with pytest.raises(IntegrityError) as info:
        Seal(LedgerKeys(b"n" * 32)).decode(record)
    assert "ledger_key_unknown" == info.value.code
    moved = Record(MESSAGE_KIND, "x" + key, 1, text)
    with pytest.raises(IntegrityError) as info:
        Seal(LedgerKeys(KEY)).decode(moved)
    assert TAMPERED == info.value.code


@given(
    message=_messages,
    field=st.sampled_from(["kind", "message_id", "subject", "to_digest", "nonce", "box", "tag"]),
    at=st.integers(min_value=0),
    bit=st.integers(min_value=0, max_value=5),
)
def test_any_changed_byte_of_a_sealed_record_is_refused(
    message: Message, field: str, at: int, bit: int
) -> None:
    """Property: one character of any covered field changed (a base64 digit of the
    nonce, ciphertext or tag, or a clear field): the record is refused at delivery,
    and nothing reaches the notifier."""
    store, sent = DeliveringStore(MemoryStore()), Outbox()
    outbox = MessageOutbox(store, sent, ledger_key=KEY)
    with store.inner.transaction() as tx:  # not delivered after commit: left pending
        outbox.write(tx, [message], subject="SP-1")
    with store.transaction(readonly=True) as tx:
        [row] = tx.scan(MESSAGE_KIND)
    data = json.loads(row.data)
    holder = data["sealed"] if field in ("nonce", "box", "tag") else data
    value = str(holder[field]) or "="
    index = at % len(value)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    changed = alphabet[(alphabet.find(value[index]) + 1 + bit) % len(alphabet)]
    holder[field] = value[:index] + changed + value[index + 1 :]
    with store.transaction() as tx:
        tx.save(MESSAGE_KIND, row.key, json.dumps(data), row.version)
    assert 0 == outbox.deliver_pending()
    assert () == sent.messages
    with store.transaction(readonly=True) as tx:
        [stored] = tx.scan(MESSAGE_KIND)
    assert "refused" == json.loads(stored.data)["state"]
