"""The transactional outbox (issue 18): a message is written in the unit of work of the
change it announces and delivered after commit, at least once, with a stable ID.

A crash is injected at the two moments that matter: right after a batch commits
(before any delivery) and after the notifier took the messages but before they were
marked delivered. Either way nothing is lost, and what is sent twice carries the same
``message_id``.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import Any

import pytest

from _programs import contact
from symprogram import Program
from symprogram.errors import ValidationError
from symprogram.notify import Message, Outbox
from symprogram.outbox import PENDING_KIND, DeliveringStore, MessageOutbox
from symprogram.storage.memory import MemoryStore

pytestmark = pytest.mark.backends("memory", "sqlite", "postgresql", "mariadb")


class Killed(BaseException):
    """The process dies here (a BaseException: nothing may catch it)."""


ROWS = [contact(f"person{n}@example.com") for n in range(5)]


def outbox_of(program: Program) -> Outbox:
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    return outbox


def records(program: Program) -> list[dict[str, Any]]:
    """Every outbox record of the program's store."""
    return list(MessageOutbox(program.store, program.notifier).iter_records())


def pending_markers(program: Program) -> int:
    with program.store.transaction(readonly=True) as tx:
        return len(tx.scan(PENDING_KIND))


def ids_by_recipient(messages: tuple[Message, ...], kind: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for message in messages:
        if message.kind == kind:
            found[message.to].add(message.message_id)
    return dict(found)


def test_messages_are_delivered_after_commit_and_marked_delivered(program: Program) -> None:
    """Each batch's activation messages reach the notifier when the call returns; their
    records are marked delivered, keep no body or token, and nothing stays pending."""
    report = program.accounts.register_many(ROWS, batch_size=2)
    assert 5 == report.created
    sent = outbox_of(program).messages
    assert {row.email for row in ROWS} == {m.to for m in sent}
    assert 5 == len({m.message_id for m in sent})
    kept = records(program)
    assert ["delivered"] * 5 == [r["state"] for r in kept]
    assert {m.message_id for m in sent} == {r["message_id"] for r in kept}
    assert all("body" not in r and "data" not in r for r in kept)
    assert 0 == pending_markers(program)
    assert 0 == program.deliver_pending()


def test_a_delivered_record_keeps_only_a_digest_of_its_recipient(program: Program) -> None:
    """Once delivered, a record no longer holds the recipient's address (a third
    party's, for a disclosure): only the SHA-256 of the casefolded address, by which
    an erasure still finds it."""
    report = program.accounts.register_many(ROWS, batch_size=5)
    assert 5 == report.created
    kept = records(program)
    assert all("to" not in record for record in kept)
    texts = [json.dumps(record) for record in kept]
    assert not [row.email for row in ROWS if any(row.email.casefold() in t for t in texts)]
    digests = {hashlib.sha256(row.email.casefold().encode()).hexdigest() for row in ROWS}
    assert digests == {record["to_digest"] for record in kept}


def test_a_crash_right_after_a_batch_commits_loses_nothing(
    program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed right after the first batch committed, before any delivery: the re-run
    skips that batch's rows, and deliver_pending sends their messages: every account
    has exactly one activation message."""

    def die(self: MessageOutbox, marker: str, entries: object) -> int:
        raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(MessageOutbox, "deliver", die)
        with pytest.raises(Killed):
            program.accounts.register_many(ROWS, batch_size=2)
    assert () == outbox_of(program).messages
    assert 2 == sum(r["state"] == "pending" for r in records(program))
    again = program.accounts.register_many(ROWS, batch_size=2)
    assert (3, 2) == (again.created, again.skipped)
    assert 2 == program.deliver_pending()
    ids = ids_by_recipient(outbox_of(program).messages, "activation")
    assert {row.email: 1 for row in ROWS} == {to: len(found) for to, found in ids.items()}
    assert 5 == len(outbox_of(program).messages)
    assert 0 == program.deliver_pending()
    assert 0 == pending_markers(program)


def test_a_crash_after_sending_resends_with_the_same_id(
    program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed after the notifier took the messages and before they were marked: they
    are sent again by deliver_pending, at least once, each with its first ID."""
    import symprogram.outbox as outbox_module

    def die(*args: object) -> None:
        raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(outbox_module, "_mark", die)
        with pytest.raises(Killed):
            program.accounts.register_many(ROWS[:3], batch_size=10)
    first = outbox_of(program).messages
    assert 3 == len(first)
    assert 3 == program.deliver_pending()
    sent = outbox_of(program).messages
    assert 6 == len(sent)
    ids = ids_by_recipient(sent, "activation")
    assert {m.to: {m.message_id} for m in first} == ids
    assert 0 == program.deliver_pending()


def test_a_refusing_notifier_leaves_the_message_pending(make_program: Any, backend: str) -> None:
    """A notifier that raises does not undo the committed change nor reach the caller:
    the message stays pending until deliver_pending sends it."""

    class Flaky:
        def __init__(self) -> None:
            self.down = True
            self.sent: list[Message] = []

        def send(self, message: Message) -> None:
            if self.down:
                raise ConnectionError("mail server down")
            self.sent.append(message)

    notifier = Flaky()
    program = make_program(backend, notifier=notifier)
    assert 2 == program.accounts.register_many(ROWS[:2]).created
    assert [] == notifier.sent
    assert program.accounts.find_by_email(ROWS[0].email) is not None
    assert 0 == program.deliver_pending()  # still down: stops at the first refusal
    notifier.down = False
    assert 2 == program.deliver_pending()
    assert [row.email for row in ROWS[:2]] == [m.to for m in notifier.sent]
    assert 0 == program.deliver_pending()


def test_deliver_pending_takes_the_oldest_first_and_a_limit(program: Program) -> None:
    """Messages written outside a delivering store stay pending; deliver_pending sends
    them oldest first, at most about ``limit`` (whole units of work)."""
    outbox = MessageOutbox(program.store, program.notifier)
    for n in range(3):
        with program.store.transaction() as tx:
            outbox.write(tx, [Message(to=f"p{n}@example.com", kind="k", subject="s", body="b")])
    assert 3 == pending_markers(program)
    assert 2 == program.deliver_pending(limit=2)
    assert 1 == program.deliver_pending()
    assert ["p0@example.com", "p1@example.com", "p2@example.com"] == [
        m.to for m in outbox_of(program).messages
    ]


@pytest.mark.parametrize("limit", [0, -1, True, "3", 1.5])
def test_deliver_pending_refuses_a_bad_limit(limit: object) -> None:
    """The limit is a positive integer or None (ValidationError ``invalid_limit``)."""
    with Program.in_memory() as program, pytest.raises(ValidationError) as caught:
        program.deliver_pending(limit=limit)  # type: ignore[arg-type]
    assert "invalid_limit" == caught.value.code


def test_a_rolled_back_unit_of_work_sends_and_keeps_nothing() -> None:
    """A unit of work that fails writes no message and sends none."""
    store, sent = DeliveringStore(MemoryStore()), Outbox()
    outbox = MessageOutbox(store, sent)
    with pytest.raises(RuntimeError), store.transaction() as tx:
        outbox.write(tx, [Message(to="a@example.com", kind="k", subject="s", body="b")])
        raise RuntimeError("rolled back")
    assert () == sent.messages
    assert [] == list(outbox.iter_records())
    assert 0 == outbox.deliver_pending()


def test_nested_units_deliver_once_the_outermost_commits() -> None:
    """A message written in a nested unit of work waits for the outermost one."""
    store, sent = DeliveringStore(MemoryStore()), Outbox()
    outbox = MessageOutbox(store, sent)
    with store.transaction() as outer:
        with store.transaction() as tx:
            outbox.write(tx, [Message(to="a@example.com", kind="k", subject="s", body="b")])
        assert () == sent.messages
        assert outer is not None
    assert ["a@example.com"] == [m.to for m in sent.messages]


def test_a_call_inside_a_host_unit_of_work_sends_only_once_it_commits(program: Program) -> None:
    """A service call joining a unit of work the host opened sends its messages once
    that unit commits, and none when it rolls back: none is sent for a change that
    was rolled back, and none stays pending."""
    program.accounts.register_many(ROWS[:1])
    sent = outbox_of(program)
    before = len(sent.messages)
    with pytest.raises(RuntimeError), program.store.transaction():
        program.accounts.request_password_reset(ROWS[0].email)
        assert before == len(sent.messages)
        raise RuntimeError("the host's later step fails")
    assert before == len(sent.messages)
    assert 0 == pending_markers(program)
    with program.store.transaction():
        program.accounts.request_password_reset(ROWS[0].email)
        assert before == len(sent.messages)
    assert ["password_reset"] == [m.kind for m in sent.messages[before:]]
    assert 0 == program.deliver_pending()


def test_the_erasure_erases_the_persons_messages(program: Program) -> None:
    """erase_person removes the person's outbox records, pending or delivered."""
    program.accounts.register_many(ROWS[:2])
    erased = program.accounts.find_by_email(ROWS[0].email)
    assert erased is not None
    program.erase_person(erased.candidate_id, reason="request 18")
    left = records(program)
    bystander = hashlib.sha256(ROWS[1].email.casefold().encode()).hexdigest()
    assert [bystander] == [r["to_digest"] for r in left]  # delivered: the digest only
    assert all(erased.candidate_id != r["subject"] for r in left)


def test_a_message_id_is_stable_and_not_compared() -> None:
    """Two messages differing only by ID are equal; the ID survives the outbox."""
    a = Message(to="a@example.com", kind="k", subject="s", body="b", data={"x": "1"})
    b = Message(to="a@example.com", kind="k", subject="s", body="b", data={"x": "1"})
    assert a == b and a.message_id != b.message_id
    store, sent = MemoryStore(), Outbox()
    outbox = MessageOutbox(store, sent)
    with store.transaction() as tx:
        outbox.write(tx, [a])
    assert 1 == outbox.deliver_pending()
    assert a.message_id == sent.last().message_id
    assert a == sent.last()
