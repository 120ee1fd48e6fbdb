"""Issue 18: writes to one hot consent subject from many processes all succeed.

Two processes x 8 threads each record 30 choices for the same subject (480
writes). Every write must succeed within the documented retry policy
(docs/storage.md, "Concurrency: what a caller retries": a ``ConcurrencyError`` or a
retryable ``StorageError`` is retried, at most :data:`RETRIES` times): on
PostgreSQL and MariaDB the unit of work locks the subject's consent state row
(``SELECT ... FOR UPDATE``) before it reads anything else, so writers queue
instead of failing on optimistic conflicts; SQLite serialises writers anyway.

Runs on an SQLite file (and, threads only, the memory store) always, and on
PostgreSQL / MariaDB when ``SYMPROGRAM_TEST_POSTGRES_URL`` /
``SYMPROGRAM_TEST_MARIADB_URL`` are set. Marked ``slow``; ``.ci/run`` runs it.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from _programs import within_retries
from symprogram import FixedClock, Program

pytestmark = pytest.mark.slow

T0 = datetime(2011, 1, 20, tzinfo=UTC)
SERVERS = {"postgresql": "SYMPROGRAM_TEST_POSTGRES_URL", "mariadb": "SYMPROGRAM_TEST_MARIADB_URL"}
PROCESSES, THREADS, WRITES = 2, 8, 30
SUBJECT = "hot-subject-1"


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A storage URL on each backend; server tables are dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/hot.db"
        return
    server = os.environ.get(SERVERS[request.param])
    if not server:
        pytest.skip(f"set {SERVERS[request.param]} to run the {request.param} hot-subject test")
    prefix = f"h{uuid.uuid4().hex[:10]}_"
    full = f"{server}{'&' if '?' in server else '?'}symprogram_table_prefix={prefix}"
    yield full
    from symprogram.storage.sqlalchemy import SQLAlchemyStore

    SQLAlchemyStore.from_url(full).drop_tables()


def _writer(url: str, tag: str, failures: multiprocessing.Queue[str]) -> None:
    """THREADS threads of one process, each recording WRITES choices for SUBJECT."""
    program = Program.open(url, clock=FixedClock(T0))

    def thread(n: int) -> None:
        for i in range(WRITES):
            purpose = "newsletters" if i % 2 else "special_offers"
            try:
                within_retries(
                    lambda p=purpose, e=f"{tag}-{n}-{i}": program.consent.grant(
                        SUBJECT, p, channel="web_form", evidence=e
                    )
                )
            except BaseException as exc:  # counted by the parent
                failures.put(f"{tag}-{n}-{i}: {exc!r}")

    threads = [threading.Thread(target=thread, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    program.close()


def test_hot_subject_writes_all_succeed_within_the_documented_retries(url: str) -> None:
    """2 processes x 8 threads x 30 writes to one consent subject: 0 failures, 480 entries."""
    Program.open(url, clock=FixedClock(T0)).close()  # the schema, created once
    ctx = multiprocessing.get_context("spawn")
    failures: multiprocessing.Queue[str] = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(url, f"p{k}", failures)) for k in range(PROCESSES)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=600)
    assert [0] * PROCESSES == [p.exitcode for p in procs]
    failed: list[str] = []
    while not failures.empty():
        failed.append(failures.get())
    assert [] == failed
    with Program.open(url, clock=FixedClock(T0)) as program:
        entries = [e for e in program.consent.history(SUBJECT) if e.kind == "consent_recorded"]
        assert PROCESSES * THREADS * WRITES == len(entries)
        assert program.consent.verify(SUBJECT).ok


def test_hot_subject_from_threads_on_memory() -> None:
    """In one process on the memory store: 8 threads x 30 writes, 0 failures, 240 entries."""
    program = Program.in_memory(clock=FixedClock(T0))
    failures: list[str] = []

    def thread(n: int) -> None:
        for i in range(WRITES):
            purpose = "newsletters" if i % 2 else "special_offers"
            try:
                within_retries(
                    lambda p=purpose, e=f"m-{n}-{i}": program.consent.grant(
                        SUBJECT, p, channel="web_form", evidence=e
                    )
                )
            except BaseException as exc:  # counted below
                failures.append(f"m-{n}-{i}: {exc!r}")

    threads = [threading.Thread(target=thread, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [] == failures
    entries = [e for e in program.consent.history(SUBJECT) if e.kind == "consent_recorded"]
    assert THREADS * WRITES == len(entries)
    assert program.consent.verify(SUBJECT).ok
