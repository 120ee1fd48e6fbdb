"""Event-loop lag while 50 registrations run at once through :mod:`symprogram.aio`.

Usage (from the repository root)::

    python -m benchmarks.event_loop_lag            # every scenario (about a minute)
    python -m benchmarks.event_loop_lag --quick    # the cheap hasher only

A ticker coroutine sleeps 1 ms again and again and records how late it wakes up
(its lateness is what every other request served by the loop would wait). While
it ticks, 50 coroutines each accept the Terms of Use and register a candidate on
an SQLite file, all started at once. Scenarios:

* ``idle``: the ticker alone (the loop's own jitter on this machine);
* ``aio``: the registrations through :class:`~symprogram.aio.AsyncProgram`
  (worker threads), with the cheap test hasher (scrypt ``n=2**4``), with the
  program's default (:func:`~symprogram.accounts.default_hasher`: Argon2id
  m=19 MiB t=2 p=1 when ``argon2-cffi`` is installed) and with scrypt ``n=2**17``
  (the default without it);
* ``aio, switch 1 ms``: the same with ``sys.setswitchinterval(0.001)`` (the
  host's choice: a worker running Python code then hands the GIL to the loop's
  thread after 1 ms instead of 5 ms);
* ``aio, loop real-time`` (``--realtime-loop``): the event loop's thread alone at
  real-time priority (``SCHED_FIFO``; the workers keep the normal one), so that
  other processes of a shared machine no longer delay its wake-ups: the lag that
  remains is the workers' (their Python code holding the GIL);
* ``blocking``: the same calls made directly from the coroutines (what an async
  app does without :mod:`symprogram.aio`), for comparison.

The target (issue 19) is a p99 lateness of at most 5 ms in the ``aio`` scenarios.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # ``python benchmarks/event_loop_lag.py``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from symprogram import Outbox, Program
from symprogram.accounts import AcceptancePath, PasswordHasher, ScryptHasher, default_hasher
from symprogram.aio import DEFAULT_MAX_WORKERS, AsyncProgram

REGISTRATIONS = 50
TICK = 0.001
SWITCH = 0.001
"""The GIL switch interval of the ``aio, switch 1 ms`` rows (CPython's default: 5 ms)."""
MIN_SECONDS = 2.0
"""Rounds of 50 concurrent registrations are repeated until they took this long, so
that the cheap hasher's short runs give the ticker enough samples too."""

HASHERS: dict[str, Callable[[], PasswordHasher]] = {
    "cheap (scrypt n=2**4)": lambda: ScryptHasher(n=2**4),
    "default (default_hasher())": default_hasher,
    "scrypt n=2**17": lambda: ScryptHasher(n=2**17),
}


def _form(i: int) -> dict[str, Any]:
    return {
        "email": f"lag{i}@example.com",
        "password": "correct horse battery staple",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "company_name": "Analytical Engines",
        "partner_company": "Babbage & Co",
        "preferred_language": "en",
    }


def _program(directory: str, n: Callable[[], PasswordHasher]) -> Program:
    return Program.open(
        f"sqlite:///{directory}/lag.db",
        notifier=Outbox(),
        options={"accounts": {"hasher": n()}},
    )


async def _ticker(stop: asyncio.Event, lateness: list[float]) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(TICK)
        lateness.append(time.perf_counter() - start - TICK)


async def _measure(work: Callable[[int], Awaitable[None]]) -> dict[str, float]:
    """Run rounds of ``work`` while the ticker ticks: lateness (ms), rounds, wall time (s)."""
    stop = asyncio.Event()
    lateness: list[float] = []
    ticker = asyncio.create_task(_ticker(stop, lateness))
    await asyncio.sleep(0.05)  # the ticker is running before the work starts
    lateness.clear()
    started = time.perf_counter()
    rounds = 0
    while rounds == 0 or time.perf_counter() - started < MIN_SECONDS:
        await work(rounds)
        rounds += 1
    wall = time.perf_counter() - started
    stop.set()
    await ticker
    if len(lateness) < 2:  # the loop was blocked all along: one late tick (or none)
        lateness = (lateness or [wall - TICK]) * 2
    cuts = statistics.quantiles(lateness, n=100, method="inclusive")
    return {
        "ticks": len(lateness),
        "p50_ms": cuts[49] * 1e3,
        "p99_ms": cuts[98] * 1e3,
        "max_ms": max(lateness) * 1e3,
        "rounds": rounds,
        "wall_s": wall,
    }


async def _idle(realtime: bool = False) -> dict[str, float]:
    with _realtime_loop(realtime):
        return await _measure(lambda _: asyncio.sleep(MIN_SECONDS))


async def _aio(
    n: Callable[[], PasswordHasher],
    workers: int,
    switch: float | None = None,
    realtime: bool = False,
) -> dict[str, float]:
    previous = sys.getswitchinterval()
    if switch is not None:
        sys.setswitchinterval(switch)
    try:
        return await _aio_run(n, workers, realtime)
    finally:
        sys.setswitchinterval(previous)


@contextlib.contextmanager
def _realtime_loop(enabled: bool) -> Iterator[None]:
    """The calling (event loop) thread at real-time priority, the workers left as they are."""
    if not enabled:
        yield
        return
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    try:
        yield
    finally:
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))


async def _aio_run(
    n: Callable[[], PasswordHasher], workers: int, realtime: bool = False
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as directory:
        aprogram = await AsyncProgram.open(
            f"sqlite:///{directory}/lag.db",
            max_workers=workers,
            notifier=Outbox(),
            options={"accounts": {"hasher": n()}},
        )
        accounts = aprogram.accounts
        version = accounts.terms.current(aprogram.now()).version

        async def register(i: int) -> None:
            receipt = await accounts.accept_terms(
                path=AcceptancePath.CREATE_ACCOUNT, terms_version=version
            )
            await accounts.register(terms_receipt=receipt.token, **_form(i))

        async def work(round_: int) -> None:
            first = round_ * REGISTRATIONS
            await asyncio.gather(*(register(first + i) for i in range(REGISTRATIONS)))

        # Every worker thread started now, so that none inherits the loop's priority.
        await asyncio.gather(*(aprogram.run(time.sleep, 0.05) for _ in range(workers)))
        try:
            with _realtime_loop(realtime):
                return await _measure(work)
        finally:
            await aprogram.aclose()


async def _blocking(n: Callable[[], PasswordHasher]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as directory, _program(directory, n) as program:
        _ = program.accounts, program.consent
        version = program.accounts.terms.current(program.now()).version

        async def register(i: int) -> None:
            await asyncio.sleep(0)
            receipt = program.accounts.accept_terms(
                path=AcceptancePath.CREATE_ACCOUNT, terms_version=version
            )
            assert receipt.token is not None
            program.accounts.register(terms_receipt=receipt.token, **_form(i))

        async def work(round_: int) -> None:
            first = round_ * REGISTRATIONS
            await asyncio.gather(*(register(first + i) for i in range(REGISTRATIONS)))

        return await _measure(work)


def _row(name: str, hasher: str, workers: str, result: dict[str, float]) -> str:
    return (
        f"| {name} | {hasher} | {workers} | {result['rounds']:.0f} | {result['ticks']:,.0f} | "
        f"{result['p50_ms']:.2f} | {result['p99_ms']:.2f} | {result['max_ms']:.1f} | "
        f"{result['wall_s'] / result['rounds']:.2f} |"
    )


def main(argv: list[str] | None = None) -> None:
    """Run the scenarios and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the cheap hasher only")
    parser.add_argument(
        "--workers", type=int, nargs="*", default=[DEFAULT_MAX_WORKERS], help="pool sizes"
    )
    parser.add_argument(
        "--realtime-loop",
        action="store_true",
        help="also with the loop's thread at real-time priority (Linux, CAP_SYS_NICE): "
        "what lag remains is the GIL's, not other processes'",
    )
    args = parser.parse_args(argv)
    hashers = dict(list(HASHERS.items())[:1]) if args.quick else HASHERS
    print(
        f"{REGISTRATIONS} concurrent registrations on an SQLite file; a ticker sleeping "
        f"{TICK * 1e3:.0f} ms measures its lateness (ms)\n"
    )
    print("| scenario | hasher | workers | rounds | ticks | p50 | p99 | max | s per round |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    print(_row("idle", "-", "-", asyncio.run(_idle())), flush=True)
    if args.realtime_loop:
        print(_row("idle, loop real-time", "-", "-", asyncio.run(_idle(True))), flush=True)
    for label, n in hashers.items():
        for workers in args.workers:
            print(_row("aio", label, str(workers), asyncio.run(_aio(n, workers))), flush=True)
        switched = asyncio.run(_aio(n, DEFAULT_MAX_WORKERS, SWITCH))
        print(_row("aio, switch 1 ms", label, str(DEFAULT_MAX_WORKERS), switched), flush=True)
        if args.realtime_loop:
            for workers in args.workers:
                protected = asyncio.run(_aio(n, workers, realtime=True))
                print(_row("aio, loop real-time", label, str(workers), protected), flush=True)
            both = asyncio.run(_aio(n, DEFAULT_MAX_WORKERS, SWITCH, realtime=True))
            name = "aio, loop real-time, switch 1 ms"
            print(_row(name, label, str(DEFAULT_MAX_WORKERS), both), flush=True)
        print(_row("blocking", label, "-", asyncio.run(_blocking(n))), flush=True)


if __name__ == "__main__":
    main()
