"""The program's one registry of reactions to domain events (``symprogram.events.Subscriptions``):
handlers run per event, in subscription order, only for their event class (and its
subclasses) and only when their condition holds; bad arguments are refused with a code;
the account history publishes what it records, right after appending it, in its unit of
work.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram import Program
from symprogram.accounts.events import ContactDetailsUpdated
from symprogram.errors import ValidationError
from symprogram.events import DomainEvent, Subscriptions
from symprogram.history import AccountHistory
from symprogram.storage.memory import MemoryStore

AT = datetime(2011, 1, 15, tzinfo=UTC)


@attrs.frozen
class Moved(DomainEvent):
    """A made-up event with one field."""

    city: str


@attrs.frozen
class MovedFar(Moved):
    """A subclass of :class:`Moved`."""


@attrs.frozen
class Renamed(DomainEvent):
    """Another made-up event."""

    title: str


KINDS: dict[str, type[DomainEvent]] = {
    "any": DomainEvent,
    "moved": Moved,
    "moved_far": MovedFar,
    "renamed": Renamed,
}


def make(kind: str, n: int) -> DomainEvent:
    """An event of ``kind`` carrying ``n``."""
    if kind == "renamed":
        return Renamed("SP-1", AT, str(n))
    return (MovedFar if kind == "moved_far" else Moved)("SP-1", AT, str(n))


def number(event: DomainEvent) -> int:
    """The number :func:`make` put in ``event``."""
    return int(event.title if isinstance(event, Renamed) else event.city)  # type: ignore[attr-defined]


subscription_lists = st.lists(
    st.tuples(st.sampled_from(sorted(KINDS)), st.sampled_from(["always", "even", "odd"])),
    max_size=6,
)
event_lists = st.lists(
    st.tuples(st.sampled_from(["moved", "moved_far", "renamed"]), st.integers(0, 9)),
    max_size=8,
)
CONDITIONS: dict[str, Any] = {
    "always": None,
    "even": lambda e: number(e) % 2 == 0,
    "odd": lambda e: number(e) % 2 == 1,
}


@given(subscription_lists, event_lists)
def test_handlers_run_per_event_in_subscription_order(
    subscriptions: list[tuple[str, str]], events: list[tuple[str, int]]
) -> None:
    """For any subscriptions and events: event by event, every subscription whose class
    the event is an instance of and whose condition holds runs, in subscription order."""
    registry = Subscriptions()
    calls: list[tuple[int, int]] = []

    def handler(index: int) -> Any:
        return lambda event: calls.append((index, number(event)))

    for index, (kind, condition) in enumerate(subscriptions):
        registry.subscribe(KINDS[kind], handler(index), when=CONDITIONS[condition])
    published = [make(kind, n) for kind, n in events]
    registry.publish(published)
    expected = [
        (index, number(event))
        for event in published
        for index, (kind, condition) in enumerate(subscriptions)
        if isinstance(event, KINDS[kind])
        and (CONDITIONS[condition] is None or CONDITIONS[condition](event))
    ]
    assert expected == calls
    assert len(subscriptions) == len(registry)


def test_handlers_lists_what_an_event_class_reaches() -> None:
    """``handlers(cls)``: the subscriptions of ``cls`` and its bases, in order; a
    subscription made later is seen at once."""
    registry = Subscriptions()

    def first(e: DomainEvent) -> None:
        """A handler."""

    def second(e: Moved) -> None:
        """Another handler."""

    registry.subscribe(DomainEvent, first)
    registry.subscribe(Moved, second)
    assert (first, second) == registry.handlers(MovedFar)
    assert (first,) == registry.handlers(Renamed)
    registry.subscribe(Renamed, second)  # type: ignore[arg-type]
    assert (first, second) == registry.handlers(Renamed)


def test_a_failing_handler_stops_the_publishing() -> None:
    """What a handler raises propagates; the handlers after it do not run."""
    registry = Subscriptions()
    ran: list[str] = []

    def fail(e: Moved) -> None:
        raise RuntimeError("no")

    registry.subscribe(Moved, fail)
    registry.subscribe(Moved, lambda e: ran.append(e.city))
    with pytest.raises(RuntimeError):
        registry.publish([Moved("SP-1", AT, "Ockham")])
    assert [] == ran


@pytest.mark.parametrize(
    ("args", "kwargs", "code", "field"),
    [
        ((dict, print), {}, "invalid_event_type", "event_type"),
        (
            (
                Moved(  # an instance, not a class
                    "SP-1", AT, "x"
                ),
                print,
            ),
            {},
            "invalid_event_type",
            "event_type",
        ),
        ((Moved, "print"), {}, "invalid_handler", "handler"),
        ((Moved, print), {"when": True}, "invalid_handler", "when"),
    ],
)
def test_bad_subscriptions_are_refused(
    args: tuple[Any, ...], kwargs: dict[str, Any], code: str, field: str
) -> None:
    """Not a DomainEvent class, a handler or condition that cannot be called: a
    ValidationError with its code and field, and nothing subscribed."""
    registry = Subscriptions()
    with pytest.raises(ValidationError) as info:
        registry.subscribe(*args, **kwargs)
    assert (code, field) == (info.value.code, info.value.field)
    assert 0 == len(registry)


async def _async_handler(event: Moved) -> None:
    """A coroutine function: calling it only makes a coroutine."""


class _AsyncCallable:
    async def __call__(self, event: Moved) -> bool:
        return True


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"handler": _async_handler}, "handler"),
        ({"handler": functools.partial(_async_handler)}, "handler"),
        ({"handler": _AsyncCallable()}, "handler"),
        ({"handler": print, "when": _AsyncCallable()}, "when"),
    ],
    ids=["async-def", "partial", "async-call", "async-when"],
)
def test_a_coroutine_function_is_refused_as_a_handler(kwargs: dict[str, Any], field: str) -> None:
    """A handler runs inside the unit of work, where nothing awaits: a coroutine
    function would make a coroutine that never runs. It is refused
    (``invalid_handler``, naming the field), on the registry and on the program, and
    nothing is subscribed."""
    registry = Subscriptions()
    with pytest.raises(ValidationError) as info:
        registry.subscribe(Moved, **kwargs)
    assert ("invalid_handler", field) == (info.value.code, info.value.field)
    assert 0 == len(registry)
    program = Program.in_memory()
    with pytest.raises(ValidationError) as info:
        program.subscribe(ContactDetailsUpdated, **kwargs)
    assert ("invalid_handler", field) == (info.value.code, info.value.field)


def test_the_history_publishes_what_it_records_in_the_unit_of_work() -> None:
    """``record`` and ``record_many`` publish each event after appending it; a handler
    sees the entries appended so far in the same unit of work, and its failure rolls the
    unit back (the entries too)."""
    registry = Subscriptions()
    history = AccountHistory(MemoryStore(), subscriptions=registry)
    seen: list[tuple[str, int]] = []

    def count(event: Moved) -> None:
        with history.store.transaction(readonly=True) as tx:
            seen.append((event.city, len(history.ledger.entries(tx, event.subject))))

    registry.subscribe(Moved, count)
    with history.store.transaction() as tx:
        history.record(tx, Moved("SP-1", AT, "a"))
        history.record_many(tx, [Moved("SP-1", AT, "b"), Moved("SP-1", AT, "c")])
    assert [("a", 1), ("b", 3), ("c", 3)] == seen

    def fail(event: Moved) -> None:
        raise RuntimeError("refused")

    registry.subscribe(Moved, fail, when=lambda e: e.city == "d")
    with pytest.raises(RuntimeError), history.store.transaction() as tx:
        history.record_many(tx, [Moved("SP-1", AT, "d")])
    assert 3 == len(history.history("SP-1"))
    assert history.verify("SP-1").ok


def test_a_write_buffer_is_flushed_only_for_an_event_with_a_handler() -> None:
    """Recording through a WriteBuffer: events nobody handles leave the writes buffered
    (batching intact); before a handled event is published the buffer is flushed, so
    the handler reads every entry recorded before it."""
    from symprogram.persistence import WriteBuffer

    registry = Subscriptions()
    history = AccountHistory(MemoryStore(), subscriptions=registry)
    seen: list[int] = []

    def count(event: Renamed) -> None:
        with history.store.transaction(readonly=True) as tx:
            seen.append(len(history.ledger.entries(tx, event.subject)))

    registry.subscribe(Renamed, count)
    assert registry.reaches([Moved("SP-1", AT, "a"), Renamed("SP-1", AT, "b")])
    assert not registry.reaches([Moved("SP-1", AT, "a")])
    with history.store.transaction() as tx:
        buffer = WriteBuffer(tx)
        history.record_many(buffer, [Moved("SP-1", AT, "a"), Moved("SP-1", AT, "b")])
        assert buffer.pending > 0
        history.record_many(buffer, [Moved("SP-1", AT, "c"), Renamed("SP-1", AT, "d")])
        assert 0 == buffer.pending
        assert [4] == seen


def test_subscribing_from_threads_while_publishing_loses_nothing() -> None:
    """Threads subscribe while others publish: every subscription is kept, and a
    publish after them all reaches every handler once."""
    import threading

    registry = Subscriptions()
    calls: list[int] = []
    lock = threading.Lock()

    def subscriber(base: int) -> None:
        for i in range(50):

            def handler(event: Moved, n: int = base + i) -> None:
                with lock:
                    calls.append(n)

            registry.subscribe(Moved, handler)

    def publisher() -> None:
        for _ in range(50):
            registry.publish([Renamed("SP-1", AT, "x")])  # no handler: nothing called

    threads = [threading.Thread(target=subscriber, args=(k * 100,)) for k in range(4)]
    threads += [threading.Thread(target=publisher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 200 == len(registry)
    registry.publish([Moved("SP-1", AT, "a")])
    assert sorted(k * 100 + i for k in range(4) for i in range(50)) == sorted(calls)
