"""Several ``deliver_pending`` callers at once hand each pending message over once.

Each caller used to read the same page of pending messages and send all of it: three
processes delivering 300 messages on SQLite sent 147 twice, and the servers did the
same. Now a unit of work's messages are claimed (its marker read locked, its
messages marked delivered) in the unit of work that hands them over: a second caller
waits for that lock, then finds them delivered. Only a crash, or a commit that fails,
after the notifier took a message sends it again (at least once, the same ID).
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from _programs import ProgramFactory
from symprogram import Program
from symprogram.notify import Message, Outbox
from symprogram.outbox import PENDING_KIND, MessageOutbox

CALLERS = 3
MESSAGES = 30
WAIT = 60.0


class Slow:
    """A thread-safe notifier that takes a moment per message and records each."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids: list[str] = []

    def send(self, message: Message) -> None:
        time.sleep(0.002)
        with self.lock:
            self.ids.append(message.message_id)


def test_concurrent_deliver_pending_callers_hand_each_message_over_once(
    backend: str, make_program: ProgramFactory
) -> None:
    """Three callers (three programs on one store; in memory, three threads of one
    program) run ``deliver_pending`` at the same moment over 30 pending messages, each
    written in a unit of work of its own: every message is handed over exactly once,
    and nothing stays pending."""
    notifier = Slow()
    first = make_program(backend, notifier=notifier)
    programs: list[Program] = [first] * CALLERS
    if backend != "memory":
        programs = [first, *(make_program(backend, notifier=notifier) for _ in range(1, CALLERS))]
    outbox = MessageOutbox(first.store, Outbox())
    written = []
    for n in range(MESSAGES):
        message = Message(to=f"p{n}@example.com", kind="k", subject="s", body="b")
        with first.store.transaction() as tx:
            outbox.write(tx, [message])
        written.append(message.message_id)
    start = threading.Barrier(CALLERS)
    counts: list[int] = []
    errors: list[BaseException] = []

    def deliver(program: Program) -> None:
        try:
            start.wait(WAIT)
            counts.append(program.deliver_pending())
        except BaseException as error:  # reported by the test
            errors.append(error)

    callers = [threading.Thread(target=deliver, args=(p,), daemon=True) for p in programs]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(WAIT)
    assert [] == errors
    assert dict.fromkeys(written, 1) == dict(Counter(notifier.ids))
    assert MESSAGES == sum(counts)
    with first.store.transaction(readonly=True) as tx:
        assert [] == tx.scan(PENDING_KIND)
