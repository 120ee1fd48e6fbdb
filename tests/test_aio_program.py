"""symprogram.aio: the async program has every program-level call of the program.

The service proxies mirror the services by name; the program's own calls are listed
by hand in ``AsyncProgram``, so a check compares the two classes name by name and
signature by signature, and each call added to close a gap is tested on its own:
re-keying, adopting erasures and delivering pending messages run in a worker thread
and do what the program's do; a subscribed handler runs in the worker of the call
that records the event, inside its unit of work.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from _programs import START, ProgramFactory
from symprogram import Program
from symprogram.accounts import ContactDetails
from symprogram.accounts.events import CandidateRegistered
from symprogram.aio import AsyncProgram, AsyncService
from symprogram.clock import FixedClock
from symprogram.errors import IntegrityError, ValidationError
from symprogram.events import DomainEvent
from symprogram.ledger_keys import LedgerKeys
from symprogram.notify import Message, Outbox
from symprogram.outbox import MessageOutbox

OLD_KEY = b"async program old ledger key, 32"
NEW_KEY = b"async program new ledger key, 32"

EXEMPT = {
    "store": "the synchronous store: its units of work block; aprogram.program.store",
    "clock": "the program's clock, read with AsyncProgram.now()",
    "notifier": "the notifier the workers call; aprogram.program.notifier",
    "ledgers": "the synchronous ledger registry (its reads block); aprogram.program.ledgers",
    "subscriptions": "the synchronous registry; subscribe with AsyncProgram.subscribe",
}
"""Public names of a Program that an AsyncProgram leaves to ``aprogram.program``."""

SYNCHRONOUS = {
    "now": "reads the clock",
    "close": "the blocking close, for synchronous code (aclose awaits it)",
    "in_memory": "builds a program in memory: no I/O",
    "subscribe": "registers a handler: no I/O",
}
"""Program-level calls of an AsyncProgram that are not awaited, with the reason."""

CONSTRUCTORS = ("in_memory", "open")
"""Calls that take ``max_workers`` besides the program's own arguments."""


def _parameters(function: Callable[..., Any]) -> list[tuple[str, Any, Any, Any]]:
    return [
        (p.name, p.kind, p.default, p.annotation)
        for p in inspect.signature(function).parameters.values()
    ]


def _accepts(wrapper: Callable[..., Any], function: Callable[..., Any]) -> bool:
    """Whether ``wrapper`` takes every parameter of ``function`` (a keyword-only one
    possibly through its ``**kwargs``)."""
    given = inspect.signature(wrapper).parameters
    catch_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in given.values())
    for parameter in inspect.signature(function).parameters.values():
        mine = given.get(parameter.name)
        if mine is not None:
            if mine.kind is not parameter.kind:
                return False
        elif not (catch_all and parameter.kind is inspect.Parameter.KEYWORD_ONLY):
            return False
    return True


def test_every_public_name_of_the_program_has_an_async_counterpart() -> None:
    """Every public method, property and attribute of a Program is on an AsyncProgram
    (or exempt, with its reason): a service as an AsyncService of that service, a call
    with the same parameters (names, kinds, defaults, annotations) and return type,
    awaitable unless listed as synchronous with its reason."""
    with AsyncProgram.in_memory() as aprogram:
        program = aprogram.program
        names = {name for name in dir(program) if not name.startswith("_")}
        assert set(EXEMPT) <= names
        missing = sorted(name for name in names - set(EXEMPT) if not hasattr(aprogram, name))
        assert [] == missing
        for name in sorted(names - set(EXEMPT)):
            mine, theirs = getattr(aprogram, name), getattr(program, name)
            if not callable(theirs):
                assert isinstance(mine, AsyncService), name
                assert mine.sync is theirs, name
                continue
            assert (name not in SYNCHRONOUS) == inspect.iscoroutinefunction(mine), name
            if name in CONSTRUCTORS:
                assert _accepts(mine, theirs), name
                continue
            assert _parameters(theirs) == _parameters(mine), name
            returned = inspect.signature(theirs).return_annotation
            assert returned == inspect.signature(mine).return_annotation, name


@pytest.fixture
def aprogram(clock: FixedClock, make_program: ProgramFactory) -> Iterator[AsyncProgram]:
    """An async program in memory."""
    made = AsyncProgram(make_program("memory", clock=clock))
    yield made
    made.close()


def _awaitable_calls() -> list[str]:
    return sorted(
        name
        for name, value in vars(AsyncProgram).items()
        if not name.startswith("_") and inspect.iscoroutinefunction(value)
        if name not in {"open", "start", "run", "aclose"}
    )


@pytest.mark.parametrize("name", _awaitable_calls())
def test_each_awaitable_call_runs_the_programs_in_a_worker_with_the_same_arguments(
    aprogram: AsyncProgram, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """An awaited program-level call hands its arguments unchanged to the program's
    call of the same name, in a worker thread, and returns what it returns."""
    original = getattr(aprogram.program, name)
    signature = inspect.signature(original)
    arguments = {p: object() for p in signature.parameters}
    seen: list[tuple[dict[str, Any], int]] = []
    answer = object()

    @functools.wraps(original)
    def recording(*args: Any, **kwargs: Any) -> object:
        bound = signature.bind(*args, **kwargs)
        seen.append((dict(bound.arguments), threading.get_ident()))
        return answer

    monkeypatch.setattr(aprogram.program, name, recording)

    async def scenario() -> tuple[object, int]:
        kinds = {p.name: p.kind for p in signature.parameters.values()}
        positional = [
            value
            for key, value in arguments.items()
            if kinds[key] is inspect.Parameter.POSITIONAL_OR_KEYWORD
        ]
        keywords = {
            key: value
            for key, value in arguments.items()
            if kinds[key] is inspect.Parameter.KEYWORD_ONLY
        }
        return await getattr(aprogram, name)(*positional, **keywords), threading.get_ident()

    returned, loop_thread = asyncio.run(scenario())
    assert returned is answer
    [(passed, worker)] = seen
    assert arguments == passed
    assert loop_thread != worker


# -- rekey -----------------------------------------------------------------------------


def _history(program: Program, subject: str, n: int) -> None:
    with program.store.transaction() as tx:
        program.history.ledger.append_many(
            tx, subject, [("noted", {"n": i}, START + timedelta(minutes=i)) for i in range(n)]
        )


def test_rekey_reauthenticates_every_stream_with_the_current_key(
    backend: str, clock: FixedClock, make_program: ProgramFactory
) -> None:
    """After a rotation, ``await rekey()`` re-keys the streams made with the retired
    key (and none a second time): then a program with only the new key verifies them."""
    old = make_program(backend, clock=clock, ledger_key=OLD_KEY)
    _history(old, "S", 3)
    _history(old, "T", 1)
    ring = LedgerKeys(NEW_KEY, retired=(OLD_KEY,))

    async def scenario(aprogram: AsyncProgram) -> tuple[int, int]:
        return await aprogram.rekey(), await aprogram.rekey()

    with AsyncProgram(Program(old.store, clock=clock, ledger_key=ring)) as aprogram:
        first, second = asyncio.run(scenario(aprogram))
        assert first >= 2
        assert 0 == second
        assert Program(old.store, clock=clock, ledger_key=NEW_KEY).verify_all().ok


def test_rekey_refuses_a_stream_that_does_not_verify(
    clock: FixedClock, make_program: ProgramFactory
) -> None:
    """A stream made with a key the ring does not hold is refused: the await raises
    the program's IntegrityError (``ledger_rekey_refused``)."""
    old = make_program("memory", clock=clock, ledger_key=OLD_KEY)
    _history(old, "S", 2)
    with AsyncProgram(Program(old.store, clock=clock, ledger_key=NEW_KEY)) as aprogram:
        with pytest.raises(IntegrityError) as caught:
            asyncio.run(aprogram.rekey())
    assert "ledger_rekey_refused" == caught.value.code


# -- adopt_erasures --------------------------------------------------------------------


def _old_style_erase(program: Program, stream: str, position: int) -> None:
    """What an earlier build's erasure wrote: data and salt nulled, no marker."""
    with program.store.transaction() as tx:
        raw = json.loads(dict(tx.read(stream))[position])
        raw["data"] = raw["salt"] = None
        tx.rewrite(stream, position, json.dumps(raw))


@pytest.mark.parametrize("key", [OLD_KEY, None], ids=["key", "no-key"])
def test_adopt_erasures_marks_the_earlier_builds_erasures(
    key: bytes | None, clock: FixedClock, make_program: ProgramFactory
) -> None:
    """Entries an earlier build nulled without a marker are adopted by
    ``await adopt_erasures(at=..., against=...)``, each once; the stream then verifies."""
    program = make_program("memory", clock=clock, ledger_key=key)
    _history(program, "S", 4)
    before = program.digest()
    for position in (1, 3):
        _old_style_erase(program, "history:S", position)
    assert not program.history.verify("S").ok
    at = START + timedelta(days=400)

    async def scenario(adopting: AsyncProgram) -> tuple[int, int]:
        return await adopting.adopt_erasures(at=at, against=before), await adopting.adopt_erasures()

    with AsyncProgram(program) as adopting:
        assert (2, 0) == asyncio.run(scenario(adopting))
        assert program.history.verify("S").ok
        assert program.verify_all(against=before).ok


# -- deliver_pending --------------------------------------------------------------------


class Flaky(Outbox):
    """A notifier that refuses while down, and remembers the thread each send ran in."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True
        self.threads: set[int] = set()

    def send(self, message: Message) -> None:
        if self.down:
            raise ConnectionError("mail server down")
        self.threads.add(threading.get_ident())
        super().send(message)


def _contact(n: int) -> ContactDetails:
    return ContactDetails(
        email=f"person{n}@example.com",
        given_name="Ada",
        family_name="Lovelace",
        company_name="Analytical Engines Ltd",
        partner_company="Babbage & Co",
        preferred_language="en-GB",
    )


def test_deliver_pending_sends_what_a_refusing_notifier_left_in_a_worker(
    backend: str, clock: FixedClock, make_program: ProgramFactory
) -> None:
    """Messages a refusing notifier left pending are sent by ``await deliver_pending()``
    once it is back, from a worker thread, oldest first; ``limit`` is passed on."""
    notifier = Flaky()
    program = make_program(backend, clock=clock, notifier=notifier)
    assert 2 == program.accounts.register_many([_contact(0), _contact(1)]).created
    outbox = MessageOutbox(program.store, program.notifier)
    with program.store.transaction() as tx:
        outbox.write(tx, [Message(to="late@example.com", kind="k", subject="s", body="b")])

    async def scenario(aprogram: AsyncProgram) -> tuple[list[int], int]:
        counts = [await aprogram.deliver_pending()]
        notifier.down = False
        counts += [await aprogram.deliver_pending(2), await aprogram.deliver_pending()]
        counts.append(await aprogram.deliver_pending())
        return counts, threading.get_ident()

    with AsyncProgram(program) as aprogram:
        counts, loop_thread = asyncio.run(scenario(aprogram))
    assert [0, 2, 1, 0] == counts
    sent = ["person0@example.com", "person1@example.com", "late@example.com"]
    assert sent == [m.to for m in notifier.messages]
    assert notifier.threads
    assert loop_thread not in notifier.threads


def test_deliver_pending_refuses_a_bad_limit(aprogram: AsyncProgram) -> None:
    """A bad limit is the program's ValidationError ``invalid_limit``, raised by the await."""
    with pytest.raises(ValidationError) as caught:
        asyncio.run(aprogram.deliver_pending(0))
    assert "invalid_limit" == caught.value.code


# -- subscribe --------------------------------------------------------------------------


def test_a_subscribed_handler_runs_in_the_worker_of_the_recording_call(
    aprogram: AsyncProgram,
) -> None:
    """``subscribe`` (not awaited) registers a synchronous handler on the program: it
    is called with each recorded event the condition is true of, in the worker thread
    that records it."""
    seen: list[tuple[str, int]] = []

    def handler(event: CandidateRegistered) -> None:
        seen.append((event.subject, threading.get_ident()))

    aprogram.subscribe(CandidateRegistered, handler, when=lambda e: e.subject != "")
    assert handler in aprogram.program.subscriptions.handlers(CandidateRegistered)

    async def scenario() -> int:
        assert 2 == (await aprogram.accounts.register_many([_contact(0), _contact(1)])).created
        return threading.get_ident()

    loop_thread = asyncio.run(scenario())
    found = [aprogram.program.accounts.find_by_email(_contact(n).email) for n in (0, 1)]
    candidate_ids = [str(candidate.candidate_id) for candidate in found if candidate is not None]
    assert candidate_ids == [subject for subject, _ in seen]
    assert loop_thread not in {thread for _, thread in seen}


def test_a_handler_hands_events_over_to_the_event_loop(aprogram: AsyncProgram) -> None:
    """The recipe of docs/howto-async.md: a synchronous handler that puts each event in
    an asyncio queue with ``call_soon_threadsafe``; a coroutine reads them there."""

    async def scenario() -> list[str]:
        loop = asyncio.get_running_loop()
        registered: asyncio.Queue[CandidateRegistered] = asyncio.Queue()
        aprogram.subscribe(
            CandidateRegistered,
            lambda event: loop.call_soon_threadsafe(registered.put_nowait, event),
        )
        await aprogram.accounts.register_many([_contact(0), _contact(1)])
        return [(await registered.get()).subject for _ in range(2)]

    subjects = asyncio.run(scenario())
    found = [aprogram.program.accounts.find_by_email(_contact(n).email) for n in (0, 1)]
    assert [str(candidate.candidate_id) for candidate in found if candidate is not None] == subjects


def test_a_raising_handler_rolls_the_awaited_call_back(aprogram: AsyncProgram) -> None:
    """What a handler raises is raised by the await, and the change is rolled back."""

    def refuse(event: CandidateRegistered) -> None:
        raise RuntimeError("refused by the host")

    aprogram.subscribe(CandidateRegistered, refuse)
    with pytest.raises(RuntimeError, match="refused by the host"):
        asyncio.run(aprogram.accounts.register_many([_contact(0)]))
    assert aprogram.program.accounts.find_by_email(_contact(0).email) is None


class AsyncCallable:
    """An object whose ``__call__`` is a coroutine function."""

    async def __call__(self, event: DomainEvent) -> bool:
        return True


async def _async_handler(event: DomainEvent) -> None:
    """A coroutine function."""


def _sync_handler(event: DomainEvent) -> None:
    """A plain handler."""


@pytest.mark.parametrize(
    ("handler", "when", "field"),
    [
        (_async_handler, None, "handler"),
        (functools.partial(_async_handler), None, "handler"),
        (AsyncCallable(), None, "handler"),
        (_sync_handler, AsyncCallable(), "when"),
        (_sync_handler, _async_handler, "when"),
        ("not callable", None, "handler"),
    ],
    ids=["coroutine", "partial", "async-call", "async-when", "coroutine-when", "not-callable"],
)
def test_a_coroutine_function_is_refused_as_handler_or_condition(
    aprogram: AsyncProgram, handler: Any, when: Any, field: str
) -> None:
    """A coroutine function (or an object whose ``__call__`` is one) as ``handler`` or
    ``when`` is ValidationError ``invalid_handler``, naming the field; nothing is
    subscribed."""
    _ = aprogram.program.accounts  # the program's own reactions are subscribed
    before = len(aprogram.program.subscriptions)
    with pytest.raises(ValidationError) as caught:
        aprogram.subscribe(DomainEvent, handler, when=when)
    assert ("invalid_handler", field) == (caught.value.code, caught.value.field)
    assert before == len(aprogram.program.subscriptions)


def test_subscribe_refuses_what_is_no_event_class(aprogram: AsyncProgram) -> None:
    """An event type that is no DomainEvent class is ``invalid_event_type``."""
    with pytest.raises(ValidationError) as caught:
        aprogram.subscribe(dict, _sync_handler)  # type: ignore[type-var, arg-type]
    assert "invalid_event_type" == caught.value.code
