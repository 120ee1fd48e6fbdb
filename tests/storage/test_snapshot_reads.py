"""A read-only unit of work reads one snapshot on every backend, so that a
verification running beside writers never reports a problem that is not there.

Under READ COMMITTED (the SQL servers' isolation for writers) two reads of one unit
of work may see different commits: a stream's head read before a writer's commit
and its entries after it (a false ``truncated``), or the history before and the
stored candidate after (a false ``aggregate_mismatch``).
"""

from __future__ import annotations

import threading
import time

from _programs import ProgramFactory, register_form
from symprogram import Program


def _commit_in_another_thread(work: threading.Thread) -> None:
    """Start ``work`` and give it the time to commit (a store that serializes its
    units of work makes it wait for the reader instead: a snapshot too)."""
    work.start()
    work.join(timeout=0.5)


def test_a_read_only_unit_of_work_sees_no_commit_made_after_its_first_read(
    backend: str, make_program: ProgramFactory
) -> None:
    """A record read twice in one read-only unit of work reads the same both times,
    though another unit of work committed a new version of it in between."""
    program = make_program(backend)
    store = program.store
    with store.transaction() as tx:
        tx.save("thing", "a", '{"n": 1}', 0)

    def rewrite() -> None:
        with store.transaction() as tx:
            tx.save("thing", "a", '{"n": 2}', 1)

    writer = threading.Thread(target=rewrite)
    with store.transaction(readonly=True) as tx:
        first = tx.load("thing", "a")
        _commit_in_another_thread(writer)
        again = tx.load("thing", "a")
    writer.join()
    assert first is not None and again is not None
    assert (first.version, first.data) == (again.version, again.data)
    with store.transaction(readonly=True) as tx:
        after = tx.load("thing", "a")
    assert after is not None and 2 == after.version


def _active_candidate(program: Program) -> str:
    register_form(program.accounts, "ada@example.com")
    token = program.notifier.last("activation").data["token"]  # type: ignore[attr-defined]
    return program.accounts.activate(token).candidate_id


def test_verifying_an_account_while_its_status_changes_finds_nothing_wrong(
    backend: str, make_program: ProgramFactory
) -> None:
    """The account history verified again and again while a writer suspends and
    reinstates the account reports no problem (each verification reads the stream's
    head, its entries and the stored candidate from one snapshot)."""
    program = make_program(backend, ledger_key=b"snapshot reads key, 32 bytes!!!!")
    cid = _active_candidate(program)
    stop = threading.Event()
    changes: list[int] = []

    def toggle() -> None:
        while not stop.is_set():
            program.accounts.suspend(cid, "audit")
            program.accounts.reinstate(cid)
            changes.append(2)

    writer = threading.Thread(target=toggle)
    writer.start()
    problems: list[str] = []
    deadline = time.monotonic() + 0.7
    try:
        while time.monotonic() < deadline or not changes:
            problems.extend(problem.code for problem in program.history.verify(cid).problems)
    finally:
        stop.set()
        writer.join()
    assert [] == problems
    assert changes, "the writer never committed: the verification raced with nothing"
