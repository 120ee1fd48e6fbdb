"""symprogram.aio: awaitable services whose blocking work runs off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from _programs import ProgramFactory
from symprogram import Outbox, Program
from symprogram.accounts import AcceptancePath, ScryptHasher
from symprogram.aio import DEFAULT_MAX_WORKERS, AsyncProgram, AsyncService, AsyncStream
from symprogram.clock import FixedClock
from symprogram.errors import SymprogramError, TokenError, ValidationError
from symprogram.notify import Message

SERVICES = ("accounts", "awards", "entitlements", "consent", "history")


def _form(i: int) -> dict[str, Any]:
    return {
        "email": f"user{i}@example.com",
        "password": "correct horse battery staple",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "company_name": "Analytical Engines",
        "partner_company": "Babbage & Co",
        "preferred_language": "en",
    }


class ThreadRecordingOutbox(Outbox):
    """An outbox that remembers the thread each message was sent from."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[int] = []

    def send(self, message: Message) -> None:
        self.threads.append(threading.get_ident())
        super().send(message)


@pytest.fixture
def aprogram(clock: FixedClock, make_program: ProgramFactory) -> Iterator[AsyncProgram]:
    """An async program in memory, with a thread-recording outbox."""
    made = AsyncProgram(make_program("memory", clock=clock, notifier=ThreadRecordingOutbox()))
    yield made
    made.close()


async def _register(aprogram: AsyncProgram, i: int) -> str:
    accounts = aprogram.accounts
    version = accounts.terms.current(aprogram.now()).version
    receipt = await accounts.accept_terms(path=AcceptancePath.CREATE_ACCOUNT, terms_version=version)
    await accounts.register(terms_receipt=receipt.token, **_form(i))
    outbox = aprogram.program.notifier
    assert isinstance(outbox, Outbox)
    token = outbox.last("activation", to=_form(i)["email"]).data["token"]
    candidate = await accounts.activate(token)
    return str(candidate.candidate_id)


def test_proxies_expose_every_public_method(aprogram: AsyncProgram) -> None:
    """Each service proxy has the service's public method names, each a coroutine function
    (``iter_*`` a stream), and passes attributes that are not methods through as they are."""
    for name in SERVICES:
        proxy = getattr(aprogram, name)
        service = getattr(aprogram.program, name)
        assert isinstance(proxy, AsyncService)
        assert service is proxy.sync
        assert proxy is getattr(aprogram, name)
        methods = [
            n
            for n in dir(service)
            if not n.startswith("_")
            and callable(getattr(service, n))
            and not isinstance(getattr(service, n), type)
        ]
        assert methods, name
        assert set(methods) <= set(dir(proxy))
        for method in methods:
            wrapped = getattr(proxy, method)
            if method.startswith("iter_") or inspect.isgeneratorfunction(getattr(service, method)):
                assert not inspect.iscoroutinefunction(wrapped), method
            else:
                assert inspect.iscoroutinefunction(wrapped), method
    assert aprogram.program.accounts.terms is aprogram.accounts.terms
    assert aprogram.program.entitlements.catalogue is aprogram.entitlements.catalogue
    with pytest.raises(AttributeError):
        _ = aprogram.accounts.no_such_method


def test_calls_run_in_worker_threads_and_give_the_same_answers(aprogram: AsyncProgram) -> None:
    """A registration's messages are sent from a worker thread, never the event loop's; the
    awaited answers are those of the synchronous service."""

    async def scenario() -> tuple[int, str]:
        candidate_id = await _register(aprogram, 1)
        decision = await aprogram.consent.may_use(candidate_id, "special_offers")
        assert aprogram.program.consent.may_use(candidate_id, "special_offers") == decision
        verification = await aprogram.history.verify(candidate_id)
        assert verification.ok
        return threading.get_ident(), candidate_id

    loop_thread, candidate_id = asyncio.run(scenario())
    outbox = aprogram.program.notifier
    assert isinstance(outbox, ThreadRecordingOutbox)
    assert outbox.threads
    assert loop_thread not in outbox.threads
    assert candidate_id == aprogram.program.accounts.get_candidate(candidate_id).candidate_id


def test_errors_are_raised_by_the_await(aprogram: AsyncProgram) -> None:
    """A refusal raises the service's own SymprogramError from the ``await``."""

    async def scenario() -> None:
        with pytest.raises(TokenError) as caught:
            await aprogram.accounts.activate("x" * 43)
        assert isinstance(caught.value, SymprogramError)
        with pytest.raises(ValidationError):
            await aprogram.consent.may_use("", "special_offers")

    asyncio.run(scenario())


def test_concurrent_registrations(aprogram: AsyncProgram) -> None:
    """Twenty registrations awaited at once each end with their own active account."""

    async def scenario() -> list[str]:
        return list(await asyncio.gather(*(_register(aprogram, i) for i in range(20))))

    ids = asyncio.run(scenario())
    assert 20 == len(set(ids))
    for candidate_id in ids:
        assert aprogram.program.history.verify(candidate_id).ok


def test_iter_methods_are_async_streams(aprogram: AsyncProgram, clock: FixedClock) -> None:
    """An ``iter_*`` method is read with ``async for`` and yields what the service yields."""

    async def scenario() -> tuple[list[str], list[str]]:
        for i in range(3):
            await _register(aprogram, i)
        clock.advance(timedelta(days=3 * 365))
        stream = aprogram.accounts.iter_contact_reviews_due()
        assert isinstance(stream, AsyncStream)
        seen = [candidate_id async for candidate_id in stream]
        async with aprogram.accounts.iter_contact_reviews_due() as early:
            first = [await anext(early)]
        return seen, first

    seen, first = asyncio.run(scenario())
    expected = list(aprogram.program.accounts.iter_contact_reviews_due())
    assert 3 == len(expected)
    assert expected == seen
    assert expected[:1] == first


def test_the_renamed_streams_are_async_streams(aprogram: AsyncProgram) -> None:
    """iter_subjects, iter_history, iter_audience and iter_subjects_to_notify are streams of
    what the service yields; the deprecated history.subjects() still streams, warning."""

    async def scenario() -> dict[str, list[Any]]:
        candidate_id = await _register(aprogram, 1)
        await aprogram.consent.record_gathered(candidate_id, "other_activities", ["email"])
        version = aprogram.consent.policies.latest.version
        streams = {
            "subjects": aprogram.history.iter_subjects(),
            "history": aprogram.history.iter_history(candidate_id),
            "audience": aprogram.consent.iter_audience("newsletters", "email"),
            "to_notify": aprogram.consent.iter_subjects_to_notify(version),
        }
        assert all(isinstance(stream, AsyncStream) for stream in streams.values())
        seen = {name: [item async for item in stream] for name, stream in streams.items()}
        old = aprogram.history.subjects()
        assert isinstance(old, AsyncStream)
        with pytest.warns(DeprecationWarning, match=r"AccountHistory\.iter_subjects\(\)"):
            seen["old_subjects"] = [subject async for subject in old]
        return seen

    seen = asyncio.run(scenario())
    program = aprogram.program
    candidate_id = seen["subjects"][0]
    assert seen["subjects"] == seen["old_subjects"] == list(program.history.iter_subjects())
    assert list(program.history.history(candidate_id)) == seen["history"]
    assert [candidate_id] == seen["audience"]
    version = program.consent.policies.latest.version
    assert list(program.consent.iter_subjects_to_notify(version)) == seen["to_notify"]


def test_context_variables_reach_the_worker(aprogram: AsyncProgram) -> None:
    """A context variable set in the coroutine is seen by the call in the worker."""
    variable: contextvars.ContextVar[str] = contextvars.ContextVar("variable", default="unset")

    async def scenario() -> tuple[str, int, int]:
        variable.set("request-1")
        seen = await aprogram.run(variable.get)
        worker = await aprogram.run(threading.get_ident)
        return seen, worker, threading.get_ident()

    seen, worker, loop_thread = asyncio.run(scenario())
    assert "request-1" == seen
    assert loop_thread != worker


def test_program_level_calls(aprogram: AsyncProgram) -> None:
    """digest, verify_all and erase_person are awaitable too."""

    async def scenario() -> None:
        candidate_id = await _register(aprogram, 7)
        digest = await aprogram.digest()
        verified = await aprogram.verify_all(against=digest)
        assert verified.ok
        erased = await aprogram.erase_person(candidate_id, reason="asked to be forgotten")
        assert candidate_id == str(erased.candidate_id)

    asyncio.run(scenario())


def test_bad_arguments() -> None:
    """Not a program, or a bad worker count, is a ValidationError with its code."""
    with pytest.raises(ValidationError) as caught:
        AsyncProgram("memory://")  # type: ignore[arg-type]
    assert "invalid_program" == caught.value.code
    for bad in (0, -1, 1.5, True, "4", 1000):
        with pytest.raises(ValidationError) as caught:
            AsyncProgram.in_memory(max_workers=bad)  # type: ignore[arg-type]
        assert "invalid_max_workers" == caught.value.code
    with AsyncProgram.in_memory() as made:
        pass
    assert DEFAULT_MAX_WORKERS == made.max_workers


def test_open_builds_services_off_the_loop(tmp_path: Path) -> None:
    """``AsyncProgram.open`` opens the store and builds every service in a worker; closing
    it closes the program."""

    async def scenario() -> AsyncProgram:
        async with await AsyncProgram.open(
            f"sqlite:///{tmp_path}/aio.db",
            max_workers=2,
            notifier=Outbox(),
            options={"accounts": {"hasher": ScryptHasher(n=2**4)}},
        ) as made:
            assert 2 == made.max_workers
            candidate_id = await _register(made, 1)
            assert (await made.history.verify(candidate_id)).ok
        return made

    made = asyncio.run(scenario())
    with pytest.raises(SymprogramError) as caught:
        made.program.accounts.get_candidate("SP-0000-0000-0000-0")
    assert "store_closed" == caught.value.code


def test_a_store_bound_to_one_connection_gets_one_worker(tmp_path: Path) -> None:
    """A store whose units of work all join one host connection is used by one thread,
    its streams included."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    from symprogram.storage.sqlalchemy import SQLAlchemyStore

    engine = sqlalchemy.create_engine(f"sqlite+pysqlite:///{tmp_path}/bound.db")
    with engine.connect() as connection:
        store = SQLAlchemyStore.for_connection(connection)
        made = AsyncProgram(Program(store), max_workers=4)
        assert 1 == made.max_workers

        async def scenario() -> tuple[bool, list[str]]:
            ok = (await made.history.verify("SP-0000-0000-0000-0")).ok
            due = [cid async for cid in made.accounts.iter_contact_reviews_due()]
            return ok, due

        assert (True, []) == asyncio.run(scenario())
        made.close()
    engine.dispose()


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda ap: ap.accounts.accept_terms(path="create_account"), id="service"),
        pytest.param(lambda ap: ap.verify_all(), id="verify_all"),
        pytest.param(lambda ap: ap.run(lambda: None), id="run"),
    ],
)
def test_a_call_after_aclose_is_store_closed(call: Any) -> None:
    """After ``aclose()`` every awaited call raises ``StorageError store_closed``, as the
    synchronous program does, never the executor's bare ``RuntimeError``."""

    async def main() -> str | None:
        aprogram = AsyncProgram.in_memory()
        await aprogram.aclose()
        try:
            await call(aprogram)
        except SymprogramError as exc:
            return exc.code
        finally:
            await aprogram.aclose()  # idempotent
        return None

    assert "store_closed" == asyncio.run(main())


def _slow_numbers(count: int) -> Iterator[int]:
    for i in range(count):
        if i % 8 == 0:
            time.sleep(0.001)
        yield i


def test_a_cancelled_anext_loses_no_item_of_a_stream() -> None:
    """A timeout around ``anext`` cancels the wait, not the read: the next ``anext``
    gets the items that read brought, so the stream yields everything, once, in order."""

    async def scenario() -> list[int]:
        stream = AsyncStream(lambda: _slow_numbers(600), chunk=256)
        got: list[int] = []
        with contextlib.suppress(TimeoutError):
            got.append(await asyncio.wait_for(anext(stream), 0.001))
        got += [i async for i in stream]
        return got

    assert list(range(600)) == asyncio.run(scenario())


def test_tasks_reading_one_stream_at_once_share_its_items() -> None:
    """Several tasks calling ``anext`` on one stream at once get every item exactly once."""

    async def scenario() -> list[int]:
        stream = AsyncStream(lambda: _slow_numbers(700), chunk=64)

        async def reader() -> list[int]:
            return [i async for i in stream]

        parts = await asyncio.gather(*(reader() for _ in range(4)))
        return sorted(i for part in parts for i in part)

    assert list(range(700)) == asyncio.run(scenario())


@pytest.mark.parametrize("stage", ["opening", "starting"])
def test_cancelling_open_closes_the_program_it_opened(
    stage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A task cancelled inside ``AsyncProgram.open`` (a timeout around it) leaves no
    program open behind it, whether the store was still opening or the services
    were still building."""
    opened: list[Program] = []
    closed: list[Program] = []
    real_open, real_close, real_start = Program.open, Program.close, AsyncProgram.start
    gate = threading.Event()

    def slow_open(*args: Any, **kwargs: Any) -> Program:
        program = real_open(*args, **kwargs)
        opened.append(program)
        if stage == "opening":
            gate.wait(5)
        return program

    async def slow_start(self: AsyncProgram) -> None:
        await self.run(gate.wait, 5)
        await real_start(self)

    def recording_close(self: Program) -> None:
        closed.append(self)
        real_close(self)

    monkeypatch.setattr(Program, "open", staticmethod(slow_open))
    monkeypatch.setattr(Program, "close", recording_close)
    monkeypatch.setattr(AsyncProgram, "start", slow_start)

    async def scenario() -> None:
        task = asyncio.create_task(AsyncProgram.open(f"sqlite:///{tmp_path}/c.db"))
        while not opened:
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        gate.set()
        for _ in range(500):
            if closed:
                break
            await asyncio.sleep(0.01)

    asyncio.run(scenario())
    assert 1 == len(opened)
    assert opened == closed
