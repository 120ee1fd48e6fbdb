"""Issue 7: threads and processes registering candidates and writing consent at once lose nothing.

Runs through the public ``Program`` on an SQLite file, SQLite through SQLAlchemy,
and PostgreSQL / MariaDB when ``SYMPROGRAM_TEST_POSTGRES_URL`` /
``SYMPROGRAM_TEST_MARIADB_URL`` are set (each run uses its own table prefix and
drops its tables afterwards).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from symprogram import ConcurrencyError, FixedClock, Outbox, Program, StorageError
from symprogram.accounts import ScryptHasher
from symprogram.persistence import Store

pytestmark = pytest.mark.slow

T0 = datetime(2011, 1, 20, tzinfo=UTC)
SERVERS = {"postgresql": "SYMPROGRAM_TEST_POSTGRES_URL", "mariadb": "SYMPROGRAM_TEST_MARIADB_URL"}
THREADS, PER_THREAD = 4, 5


def _with_prefix(url: str, prefix: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}symprogram_table_prefix={prefix}"


@pytest.fixture(params=["sqlite", "sqlalchemy-sqlite", "postgresql", "mariadb"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A storage URL on each backend; server tables are dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/load.db"
        return
    if request.param == "sqlalchemy-sqlite":
        base = f"sqlite+pysqlite:///{tmp_path}/load-sa.db"
    else:
        server = os.environ.get(SERVERS[request.param])
        if not server:
            pytest.skip(f"set {SERVERS[request.param]} to run the {request.param} load tests")
        base = server
    full = _with_prefix(base, f"l{uuid.uuid4().hex[:10]}_")
    yield full
    from symprogram.storage.sqlalchemy import SQLAlchemyStore

    SQLAlchemyStore.from_url(full).drop_tables()


def _program(url: str) -> Program:
    return Program.open(
        url, clock=FixedClock(T0), options={"accounts": {"hasher": ScryptHasher(n=2**4)}}
    )


def _retrying(action: Callable[[], object]) -> None:
    """Run ``action``, retrying the documented transient failures."""
    for _ in range(50):
        try:
            action()
            return
        except ConcurrencyError:
            continue
        except StorageError as exc:
            if exc.details.get("retryable") or exc.code == "database_busy":
                continue
            raise
    raise AssertionError("gave up after 50 retries")


def _register(program: Program, email: str) -> None:
    def once() -> None:
        terms = program.accounts.accept_terms(path="create_account")
        assert terms.token is not None
        program.accounts.register(
            terms_receipt=terms.token,
            email=email,
            password="a long passphrase 42",
            given_name="Load",
            family_name="Tester",
            company_name="Example Ltd",
            partner_company="Example Partner",
            preferred_language="en",
        )

    _retrying(once)


def _work(url: str, tag: str, shared_subject: str) -> None:
    """Register PER_THREAD candidates in each of THREADS threads, and write consent for all."""
    program = _program(url)
    errors: list[BaseException] = []

    def thread(n: int) -> None:
        try:
            for i in range(PER_THREAD):
                _register(program, f"{tag}-{n}-{i}@example.com")
                evidence = f"{tag}-{n}-{i}"
                _retrying(
                    lambda evidence=evidence: program.consent.grant(
                        shared_subject, "newsletters", channel="web_form", evidence=evidence
                    )
                )
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=thread, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    program.close()
    if errors:
        raise errors[0]


def _process_entry(url: str, tag: str, shared_subject: str) -> None:
    _work(url, tag, shared_subject)


def _candidate_ids(store: Store) -> list[str]:
    with store.transaction(readonly=True) as tx:
        return [r.key for r in tx.scan("candidate", limit=10_000)]


def test_threads_and_two_processes_lose_nothing(url: str) -> None:
    """Two processes x 4 threads register 40 candidates and grant consent 40 times: all there."""
    subject = "load-subject-1"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_process_entry, args=(url, f"p{k}", subject)) for k in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert [0, 0] == [p.exitcode for p in procs]
    program = _program(url)
    try:
        ids = _candidate_ids(program.store)
        expected = 2 * THREADS * PER_THREAD
        assert expected == len(ids)
        assert len(ids) == len(set(ids))
        emails = {program.accounts.contact_details(cid).email for cid in ids}
        assert expected == len(emails)
        assert all(program.history.verify(cid).ok for cid in ids)
        assert program.consent.verify(subject).ok
        grants = [e for e in program.consent.history(subject) if e.kind == "consent_recorded"]
        assert expected == len(grants)
        assert isinstance(program.notifier, Outbox)
    finally:
        program.close()
