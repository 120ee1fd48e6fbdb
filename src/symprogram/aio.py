"""Awaitable services for asyncio applications (Starlette, FastAPI, aiohttp, ...).

Every service call of a :class:`~symprogram.Program` may block: a registration
hashes a password with scrypt (about half a second by default), a unit of work
talks to SQLite or a database server. Called from a coroutine, that time is
stolen from every other request the event loop serves. :class:`AsyncProgram`
wraps a program so that each service method is awaitable and its work runs in a
bounded pool of worker threads, off the event loop::

    from symprogram.accounts import AcceptancePath
    from symprogram.aio import AsyncProgram

    aprogram = await AsyncProgram.open("sqlite:///portal.db")
    version = aprogram.accounts.terms.current(aprogram.now()).version
    receipt = await aprogram.accounts.accept_terms(
        path=AcceptancePath.CREATE_ACCOUNT, terms_version=version
    )
    decision = await aprogram.entitlements.decide(reader, "technical_support_policy")
    async for candidate_id in aprogram.accounts.iter_contact_reviews_due():  # a stream
        ...
    await aprogram.aclose()

Each service of the async program (:attr:`AsyncProgram.accounts`, ``awards``,
``entitlements``, ``consent``, ``history``) is an :class:`AsyncService`: a proxy
with the service's own method names. A method call returns an awaitable of the
method's result (a method that returns an iterator has it read to a tuple in
the worker); an ``iter_*`` method or a generator method returns an
:class:`AsyncStream` to read with ``async for``, read in one worker thread of its
own so that a unit of work it holds open stays in one thread. Attributes that are
not methods (a catalogue, settings, the ledger) are returned as they are.
The program's own calls have the program's names and arguments: those that do
I/O (:meth:`AsyncProgram.digest`, ``verify_all``, ``rekey``, ``adopt_erasures``,
``deliver_pending``, ``consent_to_remote_access``, ``erase_person``) are awaited;
:meth:`AsyncProgram.subscribe` registers a synchronous handler, run in the worker
that records the event (a coroutine function is refused).

Threads and stores: a :class:`~symprogram.Program` is safe to share between
threads (its services are built once, under a lock; every adapter serializes or
isolates units of work per thread), so the worker threads share one program.
A store that is not (an :class:`~symprogram.storage.sqlalchemy.SQLAlchemyStore`
bound to one host connection, or any store whose ``thread_safe`` attribute is
false) gets a single worker thread, so its calls never overlap. Context
variables are copied into the worker (as :func:`asyncio.to_thread` does), so
``SQLAlchemyStore.using(connection)`` around an ``await`` joins that connection.

Cancelling an awaiting task does not stop a call already running in a worker:
its unit of work commits or rolls back as a whole, as usual.

Measured (``python -m benchmarks.event_loop_lag``, see ``benchmarks/REPORT.md``):
50 registrations called directly from coroutines stop the event loop for seconds;
through an :class:`AsyncProgram` the loop keeps running, and with the default
hasher (which releases the GIL) the workers add well under a millisecond of lag at
the 99th percentile when the loop's thread is not starved of CPU by other
processes. Registration's own Python work still takes the GIL: with a very cheap
hasher the loop waits up to CPython's switch interval (5 ms).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, overload

from symprogram._closing import Closing
from symprogram.errors import StorageError, ValidationError
from symprogram.program import Program

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection, Engine

    from symprogram.accounts import AccountsService
    from symprogram.awards import AwardsService
    from symprogram.clock import Clock
    from symprogram.consent import ConsentRecord, ConsentService
    from symprogram.digests import LedgerDigest, LedgersVerification
    from symprogram.entitlements import EntitlementsService
    from symprogram.erasure import PersonErasure
    from symprogram.events import DomainEvent, EventFilter, EventHandler
    from symprogram.history import AccountHistory
    from symprogram.persistence import Store

__all__ = ["DEFAULT_MAX_WORKERS", "AsyncProgram", "AsyncService", "AsyncStream"]

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")
E = TypeVar("E", bound="DomainEvent")

DEFAULT_MAX_WORKERS = min(4, os.cpu_count() or 1)
"""Worker threads of an :class:`AsyncProgram` unless another number is given: one
per core, at most four.

Password hashing releases the GIL, so one worker per core keeps the cores busy;
more workers only queue on the store's lock and take CPU time and the GIL from the
event loop, which then wakes up later (measured in ``benchmarks/event_loop_lag.py``)."""

_STREAM_CHUNK = 256
"""Items an :class:`AsyncStream` reads per trip to its worker thread."""


def _check_workers(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 256:
        raise ValidationError(
            "max_workers must be an integer from 1 to 256",
            field="max_workers",
            code="invalid_max_workers",
        )
    return value


def _thread_safe(store: Store) -> bool:
    """Whether units of work of ``store`` may run in several threads at once."""
    if getattr(store, "_bound", None) is not None:  # an SQLAlchemyStore bound to one connection
        return False
    return bool(getattr(store, "thread_safe", True))


def _materialized(call: Callable[[], T]) -> Callable[[], T]:
    """``call`` whose iterator result (if any) is read to a tuple in the same thread."""

    def run() -> T:
        result = call()
        if isinstance(result, Iterator):
            return tuple(result)  # type: ignore[return-value]
        return result

    return run


class _Runner:
    """Runs blocking calls in a bounded pool of worker threads, context copied."""

    def __init__(self, max_workers: int, *, exclusive: bool = False) -> None:
        self.max_workers = max_workers
        self.exclusive = exclusive
        """One worker for a store that is not thread-safe: every call goes through it."""
        self._executor = ThreadPoolExecutor(max_workers, thread_name_prefix="symprogram-aio")

    async def __call__(self, call: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        try:
            future = loop.run_in_executor(self._executor, context.run, call)
        except RuntimeError as exc:  # the pool was shut down: the program is closed
            raise StorageError("the program is closed", code="store_closed") from exc
        return await future

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)


class AsyncStream(Generic[T]):
    """An ``async for`` over a synchronous iterator, read in a worker thread of its own.

    The iterator is created and read in one dedicated thread (a unit of work it
    keeps open belongs to that thread), a chunk of items per trip. Leaving the
    loop early closes the iterator: use ``async with`` or :meth:`aclose` when the
    loop may stop before the end. On a store that is not thread-safe the stream is
    read whole, in one trip to the program's single worker. A cancelled ``anext``
    (a timeout around it) loses no item: the next one returns what its read brought.
    """

    def __init__(
        self,
        start: Callable[[], Iterator[T]],
        *,
        chunk: int = _STREAM_CHUNK,
        runner: _Runner | None = None,
    ) -> None:
        self._start = start
        self._runner = runner
        self._chunk = sys.maxsize if runner is not None else chunk
        self._iterator: Iterator[T] | None = None
        self._buffer: list[T] = []
        self._done = False
        self._executor: ThreadPoolExecutor | None = None
        self._context = contextvars.copy_context()
        self._reading: asyncio.Future[list[T]] | None = None
        """The trip to the worker under way: a cancelled ``__anext__`` leaves it running,
        and the next one takes its items, so that none is lost."""

    def __aiter__(self) -> AsyncStream[T]:
        return self

    def _read(self) -> list[T]:
        if self._iterator is None:
            self._iterator = iter(self._start())
        items: list[T] = []
        for item in self._iterator:
            items.append(item)
            if len(items) >= self._chunk:
                break
        return items

    async def _in_thread(self, call: Callable[[], R]) -> R:
        if self._runner is not None:
            return await self._runner(call)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="symprogram-aio-stream")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._context.run, call)

    async def _fill(self) -> None:
        """Read the next chunk into the buffer (or find the stream done).

        The trip to the worker is shielded from the awaiting task's cancellation (a
        timeout around ``anext``): it goes on, and the next ``anext`` takes its items
        instead of reading past them. Tasks reading one stream at once share a trip:
        the first to wake takes its items, the others then read the buffer.
        """
        reading = self._reading
        if reading is None:
            reading = self._reading = asyncio.ensure_future(self._in_thread(self._read))
        try:
            items = await asyncio.shield(reading)
        except asyncio.CancelledError:
            if reading.cancelled() and self._reading is reading:
                self._reading = None  # the trip itself was cancelled: the next anext reads again
            raise
        except BaseException:
            if self._reading is reading:
                self._reading = None
            raise
        if self._reading is not reading:
            return  # another task took these items
        self._reading = None
        if len(items) < self._chunk:
            self._done = True
        self._buffer = items[::-1]

    async def __anext__(self) -> T:
        while not self._buffer and not self._done:
            await self._fill()
        if self._buffer:
            return self._buffer.pop()
        await self.aclose()
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Close the iterator (in its thread) and stop the thread. Idempotent."""
        self._done = True
        self._buffer = []
        reading, self._reading = self._reading, None
        if reading is not None:  # a read left behind by a cancelled anext: its items are dropped
            reading.add_done_callback(_retrieve)
        executor, self._executor = self._executor, None
        iterator, self._iterator = self._iterator, None
        if executor is None:
            return
        close = getattr(iterator, "close", None)
        if close is not None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(executor, self._context.run, close)
        executor.shutdown(wait=False)

    async def __aenter__(self) -> AsyncStream[T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _close_when_opened(opening: asyncio.Future[Program]) -> None:
    """Close the program an :meth:`AsyncProgram.open` cancelled while opening had opened."""
    if opening.cancelled() or opening.exception() is not None:
        return
    asyncio.get_running_loop().run_in_executor(None, opening.result().close)


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Take a dropped read's outcome, so that asyncio logs no unretrieved exception."""
    if not future.cancelled():
        future.exception()


class AsyncService(Generic[S]):
    """An awaitable view of one service: the same method names, each a coroutine.

    ``await proxy.method(...)`` runs ``service.method(...)`` in a worker thread and
    returns its result (an iterator result read to a tuple there); ``iter_*`` and
    generator methods return an :class:`AsyncStream`. Private names and attributes
    that are not methods are the service's own, returned as they are.

    Args:
        service: the synchronous service.
        runner: runs a blocking call off the event loop (see :class:`AsyncProgram`).
    """

    __slots__ = ("_methods", "_runner", "_service")

    def __init__(self, service: S, runner: _Runner) -> None:
        self._service = service
        self._runner = runner
        self._methods: dict[str, Callable[..., Any]] = {}

    @property
    def sync(self) -> S:
        """The wrapped synchronous service (its calls block: use it in a thread)."""
        return self._service

    def __getattr__(self, name: str) -> Any:
        if name in AsyncService.__slots__:  # not set yet (a copy being made): no recursion
            raise AttributeError(name)
        method = self._methods.get(name)
        if method is not None:
            return method
        value = getattr(self._service, name)
        if name.startswith("_") or isinstance(value, type) or not callable(value):
            return value
        method = self._methods[name] = self._wrap(name, value)
        return method

    def _wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        runner = self._runner
        if name.startswith("iter_") or inspect.isgeneratorfunction(function):

            @functools.wraps(function)
            def stream(*args: Any, **kwargs: Any) -> AsyncStream[Any]:
                return AsyncStream(
                    functools.partial(function, *args, **kwargs),
                    runner=runner if runner.exclusive else None,
                )

            return stream

        @functools.wraps(function)
        async def call(*args: Any, **kwargs: Any) -> Any:
            return await runner(_materialized(functools.partial(function, *args, **kwargs)))

        return call

    def __dir__(self) -> list[str]:
        return sorted({*dir(type(self)), *dir(self._service)})

    def __repr__(self) -> str:
        return f"AsyncService({self._service!r})"


class _Served(Generic[S]):
    """An attribute of :class:`AsyncProgram`: the program's service of the same name,
    behind an :class:`AsyncService` made on first use."""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, aprogram: None, owner: type) -> _Served[S]: ...

    @overload
    def __get__(self, aprogram: AsyncProgram, owner: type) -> AsyncService[S]: ...

    def __get__(self, aprogram: AsyncProgram | None, owner: type) -> _Served[S] | AsyncService[S]:
        if aprogram is None:
            return self
        return aprogram._proxy(self._name)


class AsyncProgram(Closing):
    """A :class:`~symprogram.Program` whose service methods are awaitable.

    Args:
        program: the program to serve; it stays usable synchronously
            (:attr:`program`), from threads.
        max_workers: worker threads for blocking calls (default
            :data:`DEFAULT_MAX_WORKERS`; always 1 for a store that is not
            thread-safe, see the module documentation).

    Raises:
        ValidationError: ``program`` is not a Program (``invalid_program``), or a
            bad ``max_workers`` (``invalid_max_workers``).

    Example:
        >>> import asyncio
        >>> async def main() -> bool:
        ...     async with AsyncProgram.in_memory() as aprogram:
        ...         return (await aprogram.history.verify("SP-0000-0000-0000-0")).ok
        >>> asyncio.run(main())
        True
    """

    def __init__(self, program: Program, *, max_workers: int | None = None) -> None:
        if not isinstance(program, Program):
            raise ValidationError(
                "program must be a symprogram Program", field="program", code="invalid_program"
            )
        workers = DEFAULT_MAX_WORKERS if max_workers is None else _check_workers(max_workers)
        exclusive = not _thread_safe(program.store)
        self.program = program
        """The synchronous program (share it with threads, never block the loop with it)."""
        self._runner = _Runner(1 if exclusive else workers, exclusive=exclusive)
        self._lock = threading.Lock()
        self._proxies: dict[str, AsyncService[Any]] = {}

    # -- construction -------------------------------------------------------------
    @classmethod
    def in_memory(
        cls, *, clock: Clock | None = None, max_workers: int | None = None, **kwargs: Any
    ) -> AsyncProgram:
        """An async program kept in memory (see :meth:`Program.in_memory`)."""
        if max_workers is not None:
            _check_workers(max_workers)
        return cls(Program.in_memory(clock=clock, **kwargs), max_workers=max_workers)

    @classmethod
    async def open(
        cls,
        url: str | URL | Engine | Connection | None = None,
        *,
        max_workers: int | None = None,
        **kwargs: Any,
    ) -> AsyncProgram:
        """Open a program (see :meth:`Program.open`) in a worker thread, services built.

        Opening a store may migrate its schema and building the services loads the
        catalogues: both happen off the event loop.

        Raises:
            ValidationError: as :meth:`Program.open`, or a bad ``max_workers``.
            StorageError: the store cannot be opened.
        """
        if max_workers is not None:
            _check_workers(max_workers)
        opening = asyncio.ensure_future(asyncio.to_thread(Program.open, url, **kwargs))
        try:
            program = await asyncio.shield(opening)
        except asyncio.CancelledError:
            # the store is still being opened in its thread: close it once it is
            opening.add_done_callback(_close_when_opened)
            raise
        try:
            aprogram = cls(program, max_workers=max_workers)
        except BaseException:
            program.close()
            raise
        try:
            await aprogram.start()
        except asyncio.CancelledError:
            # the services may still be building in a worker: close once it is done
            asyncio.get_running_loop().run_in_executor(None, aprogram.close)
            raise
        except BaseException:
            aprogram.close()
            raise
        return aprogram

    async def start(self) -> None:
        """Build every service (catalogues loaded) in a worker, so first calls are quick."""

        def build() -> None:
            program = self.program
            _ = program.accounts, program.awards, program.entitlements, program.consent

        await self._runner(build)

    @property
    def max_workers(self) -> int:
        """The number of worker threads that run blocking calls."""
        return self._runner.max_workers

    # -- services -----------------------------------------------------------------
    def _proxy(self, name: str) -> AsyncService[Any]:
        """The awaitable proxy of the program's service ``name``, made once."""
        proxy = self._proxies.get(name)
        if proxy is None:
            with self._lock:
                proxy = self._proxies.get(name)
                if proxy is None:
                    service = getattr(self.program, name)
                    proxy = self._proxies[name] = AsyncService(service, self._runner)
        return proxy

    accounts: _Served[AccountsService] = _Served(":attr:`Program.accounts`, awaitable.")
    awards: _Served[AwardsService] = _Served(":attr:`Program.awards`, awaitable.")
    entitlements: _Served[EntitlementsService] = _Served(":attr:`Program.entitlements`, awaitable.")
    consent: _Served[ConsentService] = _Served(":attr:`Program.consent`, awaitable.")
    history: _Served[AccountHistory] = _Served(
        ":attr:`Program.history` (the account history ledger), awaitable."
    )

    # -- the program's own calls ------------------------------------------------------
    async def run(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run any blocking ``function(*args, **kwargs)`` in the program's workers.

        For a recipe of several synchronous calls that should not cross the event
        loop between them, e.g. ``await aprogram.run(register_and_activate, program, form)``.
        """
        return await self._runner(functools.partial(function, *args, **kwargs))

    def now(self) -> datetime:
        """The program clock's current instant."""
        return self.program.now()

    async def digest(self, *, at: datetime | None = None) -> LedgerDigest:
        """:meth:`Program.digest`, in a worker."""
        return await self.run(self.program.digest, at=at)

    async def verify_all(
        self, *, against: LedgerDigest | None = None, batch: int = 500
    ) -> LedgersVerification:
        """:meth:`Program.verify_all`, in a worker."""
        return await self.run(self.program.verify_all, against=against, batch=batch)

    async def consent_to_remote_access(
        self, customer_id: str, *, channel: str = "web_form", at: datetime | None = None
    ) -> ConsentRecord:
        """:meth:`Program.consent_to_remote_access`, in a worker."""
        return await self.run(
            self.program.consent_to_remote_access, customer_id, channel=channel, at=at
        )

    async def erase_person(self, candidate_id: str, *, reason: str) -> PersonErasure:
        """:meth:`Program.erase_person`, in a worker."""
        return await self.run(self.program.erase_person, candidate_id, reason=reason)

    async def rekey(self, *, against: LedgerDigest | None = None) -> int:
        """:meth:`Program.rekey`, in a worker."""
        return await self.run(self.program.rekey, against=against)

    async def adopt_erasures(
        self, *, against: LedgerDigest | None = None, at: datetime | None = None
    ) -> int:
        """:meth:`Program.adopt_erasures`, in a worker."""
        return await self.run(self.program.adopt_erasures, against=against, at=at)

    async def deliver_pending(self, limit: int | None = None) -> int:
        """:meth:`Program.deliver_pending`, in a worker (the notifier is called there)."""
        return await self.run(self.program.deliver_pending, limit)

    def subscribe(
        self, event_type: type[E], handler: EventHandler[E], *, when: EventFilter[E] | None = None
    ) -> None:
        """:meth:`Program.subscribe`: call ``handler(event)`` whenever a service records
        an event of ``event_type``.

        Subscribing does no I/O, so it is not awaited. The handler is synchronous, as
        on the program: it runs in the worker thread of the call that records the
        event, inside that call's unit of work (what it does through the synchronous
        services, ``aprogram.program``, joins the unit; what it raises rolls it back
        and is raised by the ``await``). It must not block on the event loop nor wait
        for this async program's calls, which run in other workers. A coroutine
        function is refused: nothing could await it inside the unit of work. To react
        in the event loop, hand the event over from a synchronous handler, e.g. with
        ``loop.call_soon_threadsafe(queue.put_nowait, event)``; the unit of work
        commits after the handlers ran, so such an event is final only once the
        awaited call returns (when it raises instead, the change was rolled back).

        Raises:
            ValidationError: ``invalid_event_type``; ``invalid_handler`` (``handler``
                or ``when`` not callable, or a coroutine function).
        """
        self.program.subscribe(event_type, handler, when=when)

    # -- life cycle -----------------------------------------------------------------
    async def aclose(self) -> None:
        """Wait for running calls, stop the workers and close the program. Idempotent."""
        await asyncio.to_thread(self.close)

    def close(self) -> None:
        """:meth:`aclose` for synchronous code (blocks until running calls finish)."""
        self._runner.shutdown()
        self.program.close()

    async def __aenter__(self) -> AsyncProgram:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncProgram({self.program!r}, max_workers={self.max_workers})"
