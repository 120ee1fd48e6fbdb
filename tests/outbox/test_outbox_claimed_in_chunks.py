"""A large unit of work's messages are claimed and handed over a chunk at a time.

Delivery claims messages (locks and marks them) in the unit of work that hands them to
the notifier, so an erasure, and on SQLite every other writer, waits for the sends of
one claim. A delivery therefore claims ``CLAIM_FIRST`` messages first, then as many as
the notifier sends in about ``CLAIM_TIME``, and once its claims held their locks
``PACE_HOLD`` seconds in all it pauses ``PACE_PAUSE`` before the next, so that a writer
polling SQLite's lock gets it. The order, the counts and a refusal in a later chunk
behave as for one unit of work.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

import symprogram._outbox_pace as pace
import symprogram.outbox as outbox_module
from _programs import ProgramFactory
from symprogram import Program
from symprogram._outbox_seal import Seal
from symprogram.notify import Message, Outbox
from symprogram.outbox import PENDING_KIND, Entry, MessageOutbox
from symprogram.persistence import Transaction

COUNT = 120


class RefusesOne(Outbox):
    """An outbox that refuses the message to :attr:`refused` while it is set."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: str | None = None

    def send(self, message: Message) -> None:
        if message.to == self.refused:
            raise ConnectionError("mail server down")
        super().send(message)


class FakeTime:
    """What the pacing reads of the ``time`` module: a monotonic clock the test moves,
    and a ``sleep`` that records its pauses and moves the clock."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Slow(Outbox):
    """An outbox that takes ``seconds`` of the fake clock per message."""

    def __init__(self, clock: FakeTime, seconds: float) -> None:
        super().__init__()
        self.clock, self.seconds = clock, seconds

    def send(self, message: Message) -> None:
        self.clock.now += self.seconds
        super().send(message)


def write_one_unit(program: Program) -> list[Message]:
    """Write :data:`COUNT` messages, pending, in one unit of work; return them."""
    messages = [
        Message(to=f"p{n:03d}@example.com", kind="k", subject="s", body="b") for n in range(COUNT)
    ]
    with program.store.transaction() as tx:
        MessageOutbox(program.store, Outbox()).write(tx, messages)
    return messages


def markers(program: Program) -> list[list[str]]:
    """The message keys each pending marker names."""
    with program.store.transaction(readonly=True) as tx:
        return [json.loads(marker.data)["keys"] for marker in tx.scan(PENDING_KIND)]


def test_a_large_unit_of_work_goes_out_in_order_across_claims(
    backend: str, make_program: ProgramFactory
) -> None:
    """120 messages written in one unit of work, the notifier refusing the one after the
    first claim and a half: those before it are delivered once, in order; it and those
    after it stay pending, named by the marker in order; the next ``deliver_pending``
    sends them, in order, and leaves nothing pending."""
    notifier = RefusesOne()
    program = make_program(backend, notifier=notifier)
    messages = write_one_unit(program)
    stop = pace.CLAIM_FIRST + pace.CLAIM_FIRST // 2
    notifier.refused = messages[stop].to
    assert stop == program.deliver_pending()
    assert [m.message_id for m in messages[:stop]] == [m.message_id for m in notifier.messages]
    [left] = markers(program)
    assert [f"-:{m.message_id}" for m in messages[stop:]] == left
    notifier.refused = None
    assert COUNT - stop == program.deliver_pending()
    assert [m.message_id for m in messages] == [m.message_id for m in notifier.messages]
    assert [] == markers(program)
    assert 0 == program.deliver_pending()


def test_claims_follow_a_slow_notifiers_pace_and_pause_for_other_writers(
    backend: str, make_program: ProgramFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A notifier taking 40 ms a message: the first claim takes 50 messages (2 s), the
    later ones 2 each (what it sends in 100 ms); and the delivery pauses 120 ms before
    a claim once its claims held their locks a second in all (after the first claim,
    then after every 13 claims of 2). Every message goes out once, in order."""
    clock = FakeTime()
    monkeypatch.setattr(pace, "time", clock)
    sizes: list[int] = []
    claim = outbox_module._claim

    def counting(
        tx: Transaction, seal: Seal, entries: Sequence[Entry], *, read: bool
    ) -> list[Entry]:
        sizes.append(len(entries))
        return claim(tx, seal, entries, read=read)

    monkeypatch.setattr(outbox_module, "_claim", counting)
    notifier = Slow(clock, 0.04)
    program = make_program(backend, notifier=notifier)
    messages = write_one_unit(program)
    assert COUNT == program.deliver_pending()
    assert [m.message_id for m in messages] == [m.message_id for m in notifier.messages]
    assert [pace.CLAIM_FIRST] + [2] * ((COUNT - pace.CLAIM_FIRST) // 2) == sizes
    assert [pace.PACE_PAUSE] * 3 == clock.sleeps
    assert [] == markers(program)
