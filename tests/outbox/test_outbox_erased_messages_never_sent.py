"""A pending message of an erased person is never sent (docs/explanation-outbox.md, "Erasure").

``deliver_pending`` reads a page of pending messages, then hands them over one unit of
work at a time. It used to hand over what the page held without looking again, so a
person erased meanwhile by another program still got the activation message (address,
candidate ID, token), found on SQLite, PostgreSQL and MariaDB. Now each unit of work's
messages are claimed (their records locked) right before they are handed over, and the
erasure takes the same lock: an erasure that committed first leaves nothing to send,
and one that starts while a message is being sent waits until it is done, so nothing
is handed over after ``erase_person`` returned.

The notifier below blocks on the first message it gets until the test releases it.
On PostgreSQL and MariaDB the locks are rows: an erasure of somebody else returns while
it waits. On SQLite and in memory the unit of work holds the store's one writer lock:
every erasure waits for the send in progress, and after it either may go first.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from _programs import SERVER_ENV, ProgramFactory, contact, within_retries
from symprogram import Program
from symprogram.notify import Message, Outbox
from symprogram.outbox import PENDING_KIND, MessageOutbox

WAIT = 30.0
"""Seconds a thread of the test waits at most for another (a hang fails, never blocks)."""
SETTLE = 0.5
"""Seconds the test gives an erasure to return while the notifier holds a message."""


class Gate:
    """A notifier that records when each message was handed to it and, once
    :attr:`armed`, holds the first message it gets until :attr:`release` is set."""

    def __init__(self) -> None:
        self.armed = False
        self.holding = threading.Event()
        self.release = threading.Event()
        self.handed: list[tuple[Message, float]] = []

    def send(self, message: Message) -> None:
        self.handed.append((message, time.monotonic()))
        if self.armed and not self.holding.is_set():
            self.holding.set()
            assert self.release.wait(WAIT), "the test never released the notifier"


class Erasing(threading.Thread):
    """``erase_person`` in a thread of its own, under the documented retry policy;
    :attr:`returned` is when it returned."""

    def __init__(self, program: Program, candidate_id: str) -> None:
        super().__init__(daemon=True)
        self.program, self.candidate_id = program, candidate_id
        self.returned: float | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            within_retries(lambda: self.program.erase_person(self.candidate_id, reason="request"))
            self.returned = time.monotonic()
        except BaseException as error:  # reported by the test
            self.error = error


def people(program: Program, *emails: str) -> list[str]:
    """Register ``emails`` (their activation messages delivered) and return their IDs."""
    assert len(emails) == program.accounts.register_many([contact(e) for e in emails]).created
    found = [program.accounts.find_by_email(email) for email in emails]
    return [str(candidate.candidate_id) for candidate in found if candidate is not None]


def leave_pending(program: Program, *candidate_ids: str) -> None:
    """Write one message to each candidate, each in a unit of work of its own, in this
    order, and leave them pending (as a mail server that was down would)."""
    outbox = MessageOutbox(program.store, Outbox())
    for cid in candidate_ids:
        with program.store.transaction() as tx:
            message = Message(
                to=f"{cid.lower()}@example.com",
                kind="activation",
                subject="Activate",
                body="b",
                data={"candidate_id": cid, "token": "t"},
            )
            outbox.write(tx, [message])


def to_person(handed: list[tuple[Message, float]], cid: str) -> list[float]:
    """When each message about ``cid`` was handed over."""
    return [at for message, at in handed if message.data.get("candidate_id") == cid]


def subjects_left(program: Program) -> set[str]:
    """The subjects of every outbox record left in the store."""
    return {r["subject"] for r in MessageOutbox(program.store, Outbox()).iter_records()}


def pending_markers(program: Program) -> int:
    with program.store.transaction(readonly=True) as tx:
        return len(tx.scan(PENDING_KIND))


def two_programs(
    backend: str, make_program: ProgramFactory, notifier: Any
) -> tuple[Program, Program]:
    """A program delivering to ``notifier`` and another on the same store (in memory, the
    same program: its store is its own)."""
    delivering = make_program(backend, notifier=notifier)
    return delivering, delivering if backend == "memory" else make_program(backend)


def test_a_person_erased_after_the_pending_page_was_read_gets_no_message(
    program: Program, backend: str, make_program: ProgramFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program erases a person between ``deliver_pending``'s read of the pending
    messages and their delivery: the person's message is not handed over, the
    bystander's is, and nothing stays pending."""
    bystander, erased = people(program, "ann@example.com", "bob@example.com")
    leave_pending(program, bystander, erased)
    other = program if backend == "memory" else make_program(backend)
    read_page = MessageOutbox._pending_page
    pages: list[object] = []

    def page_then_erase(self: MessageOutbox, after: str | None) -> Any:
        page = read_page(self, after)
        if page[0] and not pages:  # the first page holds the person's message: erase now
            other.erase_person(erased, reason="request")
        pages.append(page)
        return page

    monkeypatch.setattr(MessageOutbox, "_pending_page", page_then_erase)
    sent = program.notifier
    assert isinstance(sent, Outbox)
    before = len(sent.messages)
    assert 1 == program.deliver_pending()
    assert [bystander] == [m.data["candidate_id"] for m in sent.messages[before:]]
    assert erased not in subjects_left(program)
    assert 0 == pending_markers(program)


def test_nothing_is_handed_over_after_an_erasure_returned(
    backend: str, make_program: ProgramFactory
) -> None:
    """The notifier holds the bystander's message while another program erases a person
    whose message waits in a later unit of work; then it is released. The person's
    message is never handed over after ``erase_person`` returned. With row locks
    (PostgreSQL, MariaDB) the erasure returns while the notifier waits, and the message
    is not handed over at all; with one writer lock (SQLite, memory) the erasure waits
    for the send in progress."""
    gate = Gate()
    delivering, other = two_programs(backend, make_program, gate)
    bystander, erased = people(other, "ann@example.com", "bob@example.com")
    leave_pending(delivering, bystander, erased)
    handed_before, gate.armed = len(gate.handed), True
    deliverer = threading.Thread(target=delivering.deliver_pending, daemon=True)
    deliverer.start()
    assert gate.holding.wait(WAIT)
    erasure = Erasing(other, erased)
    erasure.start()
    erasure.join(SETTLE)
    returned_while_held = not erasure.is_alive()
    gate.release.set()
    deliverer.join(WAIT)
    erasure.join(WAIT)
    assert erasure.error is None
    assert erasure.returned is not None and not deliverer.is_alive()
    handed = gate.handed[handed_before:]
    assert [bystander] == [m.data["candidate_id"] for m, _ in handed[:1]]
    assert [] == [at for at in to_person(handed, erased) if at >= erasure.returned]
    if backend in SERVER_ENV:
        assert returned_while_held
        assert [] == to_person(handed, erased)
    else:
        assert not returned_while_held
    assert erased not in subjects_left(delivering)
    assert 0 == pending_markers(delivering)


def test_an_erasure_waits_for_the_send_of_the_persons_message_in_progress(
    backend: str, make_program: ProgramFactory
) -> None:
    """The notifier holds the person's own message when another program starts erasing
    the person: the erasure waits until the notifier is done and the message marked,
    then erases it; the message was handed over once, before the erasure returned."""
    gate = Gate()
    delivering, other = two_programs(backend, make_program, gate)
    [erased] = people(other, "bob@example.com")
    leave_pending(delivering, erased)
    handed_before, gate.armed = len(gate.handed), True
    deliverer = threading.Thread(target=delivering.deliver_pending, daemon=True)
    deliverer.start()
    assert gate.holding.wait(WAIT)
    erasure = Erasing(other, erased)
    erasure.start()
    erasure.join(SETTLE)
    assert erasure.is_alive(), "the erasure returned while the message was being sent"
    gate.release.set()
    deliverer.join(WAIT)
    erasure.join(WAIT)
    assert erasure.error is None and erasure.returned is not None
    [at] = to_person(gate.handed[handed_before:], erased)
    assert at < erasure.returned
    assert erased not in subjects_left(delivering)
    assert 0 == pending_markers(delivering)
