"""Concurrent account calls on every backend: a lost race is re-run, never an error.

On a database server two units of work can both find no record for a key (an
address's request log, a stand-in slot shared by unknown addresses, a link's
generation) and both insert it. The account flows run their unit of work through
the store's ``run`` where it has one (the SQLAlchemy adapter), which re-runs a
unit of work that lost such a race, so that callers never see it: eight threads
asking for resets of unknown addresses that share one stand-in slot, or of one
known address, all succeed and leave one record per key (issues 17 and 18).
Runs on memory, SQLite, SQLAlchemy on SQLite, and PostgreSQL / MariaDB when their
URLs are set.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from _programs import (
    ALL,
    SERVER_ENV,
    START,
    ProgramFactory,
    merged_options,
    record_report,
    register_active,
    register_form,
    within_retries,
)
from symprogram import Program, persistence
from symprogram.accounts import ScryptHasher
from symprogram.accounts.ports import CANDIDATE_KIND, SCORE_REPORT_ADDRESS_KIND
from symprogram.clock import FixedClock
from symprogram.errors import PermissionDenied, SymprogramError

THREADS = 8
ROUNDS = 4
OWNER = "owner@example.com"


def _race(work: Callable[[int, int], object]) -> list[str]:
    """Run ``work(thread, round)`` from THREADS threads started together; the errors."""
    barrier = threading.Barrier(THREADS)
    errors: list[str] = []

    def thread(n: int) -> None:
        barrier.wait()
        for i in range(ROUNDS):
            try:
                work(n, i)
            except Exception as error:
                errors.append(repr(error))

    threads = [threading.Thread(target=thread, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def _program(make_program: ProgramFactory, backend: str) -> Program:
    # One stand-in slot: every unknown address's writes contend for the same records.
    return make_program(backend, options={"accounts": {"settings": {"stand_in_pool": 1}}})


@pytest.mark.parametrize("backend", ALL)
def test_resets_for_unknown_addresses_sharing_a_slot_all_succeed(
    backend: str, make_program: ProgramFactory
) -> None:
    """Resets and resends for 64 unknown addresses at once (a pool of one slot; their
    stand-in links and messages are new records, their sweeps run beside each other):
    no call fails, and nobody receives anything."""
    program = _program(make_program, backend)

    def ask(n: int, i: int) -> None:
        if i % 2:
            program.accounts.resend_activation(f"nobody-{n}-{i}@example.com")
        else:
            program.accounts.request_password_reset(f"nobody-{n}-{i}@example.com")

    assert [] == _race(ask)
    assert [] == [m for m in program.notifier.messages if "nobody" in m.to]


@pytest.mark.parametrize("backend", ALL)
def test_resets_of_one_known_address_at_once_all_succeed(
    backend: str, make_program: ProgramFactory
) -> None:
    """Eight threads asking a reset for one account at once: every call returns, the
    owner gets at most the limit's links, and each link sent works."""
    program = _program(make_program, backend)
    register_form(program.accounts, "owner@example.com", preferred_language="en")
    assert [] == _race(lambda n, i: program.accounts.request_password_reset("owner@example.com"))
    resets = [
        m
        for m in program.notifier.messages
        if m.kind == "password_reset" and m.to == "owner@example.com"
    ]
    assert 1 <= len(resets) <= program.accounts.settings.reset_limit


@pytest.mark.parametrize("backend", ALL)
def test_failed_log_ins_at_once_are_refused_and_nothing_else(
    backend: str, make_program: ProgramFactory
) -> None:
    """Eight threads failing log-ins at once (new unknown addresses, one shared client
    key, the expired counts swept meanwhile): each call is refused as a failed
    log-in or as rate limited, never with another error."""
    program = _program(make_program, backend)
    clock = program.clock
    for i in range(20):  # counts of an hour ago: the sweeps below delete them
        with pytest.raises(PermissionDenied):
            program.accounts.authenticate(f"old-{i}@example.com", "wrong password!")
    clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]

    def fail(n: int, i: int) -> None:
        with pytest.raises(PermissionDenied) as refused:
            program.accounts.authenticate(
                f"guess-{n}-{i}@example.com", "wrong password!", client_key="203.0.113.9"
            )
        if refused.value.code not in ("invalid_credentials", "rate_limited"):
            raise refused.value

    assert [] == _race(fail)


class _SlowHasher(ScryptHasher):
    """A tiny scrypt whose verification takes SLOW seconds more (the production hasher
    takes about 0.1 s): guesses started together are all in flight at once."""

    def verify(self, password: str, encoded: str) -> bool:
        """Wait, then verify."""
        time.sleep(SLOW)
        return super().verify(password, encoded)


SLOW = 0.05
GUESSERS = 16
PROCESSES = 8
GUESS_OPTIONS: dict[str, dict[str, Any]] = {"accounts": {"hasher": _SlowHasher(n=2**4)}}
CHECKED = ("invalid_credentials", "rate_limited")


def _guess(accounts: Any, cid: str, n: int) -> str:
    """Guess ``n``: a log-in with a wrong password (even ``n``) or a password change
    with a wrong current one (odd ``n``), each from a client of its own; its answer."""
    try:
        if n % 2:
            accounts.change_password(cid, f"wrong guess number {n}", "a brand new passphrase 9")
        else:
            accounts.authenticate(OWNER, f"wrong guess number {n}", client_key=f"client-{n}")
    except SymprogramError as error:
        return error.code
    return "returned"


def _guess_in_a_process(url: str, cid: str, n: int, barrier: Any, answers: Any) -> None:
    """:func:`_guess` from a process of its own, once every guesser is ready."""
    program = Program.open(url, clock=FixedClock(START), options=merged_options(GUESS_OPTIONS))
    try:
        accounts = program.accounts
        barrier.wait(timeout=120)
        answers.put(_guess(accounts, cid, n))
    finally:
        program.close()


def _checked_at_most_the_limit(program: Program, answers: list[str]) -> None:
    """Every guess was refused, as a wrong password (its password checked) or as rate
    limited (before any hashing), and at most the log-in limit were checked; the
    next guess is refused before any hashing."""
    limit = program.accounts.settings.login_failure_limit
    assert limit < len(answers)
    assert set(answers) <= set(CHECKED), answers
    assert answers.count("invalid_credentials") <= limit, answers
    assert "rate_limited" == _guess(program.accounts, "", 0)


@pytest.mark.parametrize("backend", ALL)
def test_guesses_at_once_from_threads_check_at_most_the_limit(
    backend: str, make_program: ProgramFactory
) -> None:
    """Sixteen wrong guesses at one address's password from threads at once (log-ins
    and password changes, each from a client of its own): each attempt is counted
    under a lock before its password is checked, so at most
    ``login_failure_limit`` of them get to hashing; the others are rate limited."""
    program = make_program(backend, options=GUESS_OPTIONS)
    cid = register_active(program, OWNER)
    barrier = threading.Barrier(GUESSERS)
    answers: list[str] = []

    def guess(n: int) -> None:
        barrier.wait()
        answers.append(_guess(program.accounts, cid, n))

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(GUESSERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _checked_at_most_the_limit(program, answers)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", *SERVER_ENV])
def test_guesses_at_once_from_processes_check_at_most_the_limit(
    backend: str, make_program: ProgramFactory
) -> None:
    """Eight wrong guesses at one address's password from eight processes on one
    database at once (log-ins and password changes): the limits hold across
    processes as in one (at most ``login_failure_limit`` checked, the others rate
    limited)."""
    program = make_program(backend, options=GUESS_OPTIONS)
    cid = register_active(program, OWNER)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    queue = context.Queue()
    url = make_program.url(backend)
    processes = [
        context.Process(target=_guess_in_a_process, args=(url, cid, n, barrier, queue))
        for n in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    answers = [queue.get(timeout=300) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert [0] * PROCESSES == [process.exitcode for process in processes]
    _checked_at_most_the_limit(program, answers)


@pytest.mark.parametrize("backend", ALL)
def test_the_first_score_reports_of_a_new_store_recorded_at_once_all_succeed(
    backend: str, make_program: ProgramFactory
) -> None:
    """Score reports recorded from eight threads at once into a store that has none:
    every call succeeds on its first try (each first report marks the address index
    complete under a key of its own), and every report is found by its address."""
    program = make_program(backend)

    def record(n: int, i: int) -> None:
        program.accounts.record_score_report(
            registration_number=f"REG-{n}{i:03d}",
            exam_code="250-101",
            candidate_name=f"Candidate {n}",
            email=f"c{n}@example.com",
            score=80,
            passing_score=70,
            exam_date=program.clock.now().date(),
            test_centre="Centre 1",
        )

    assert [] == _race(record)
    with program.store.transaction(readonly=True) as tx:
        entries = [r.key for r in tx.scan(SCORE_REPORT_ADDRESS_KIND, limit=1000)]
    assert THREADS * ROUNDS == len([key for key in entries if not key.startswith("~")])
    assert any(key.startswith("~complete") for key in entries)
    for n in range(THREADS):
        numbers = {
            program.accounts.get_score_report(f"REG-{n}{i:03d}").email for i in range(ROUNDS)
        }
        assert {f"c{n}@example.com"} == numbers
    assert program.verify_all().ok


@pytest.mark.parametrize("backend", ALL)
def test_writers_of_one_account_at_once_queue_and_keep_it_agreeing_with_its_history(
    backend: str, make_program: ProgramFactory
) -> None:
    """Eight threads switching one account's newsletters on and off (recorded in the
    consent ledger too), opening incidents and changing its name at once: every call
    succeeds on its first try, and the stored account agrees with its history.

    Before the account's record was locked first, on PostgreSQL and MariaDB a switch
    decided on a stale read wrote no new candidate but a history entry, so that
    ``verify_all`` found the stored preference contradicting the ledger
    (``aggregate_mismatch``), and incidents and contact changes ran out of the 20
    retries of the documented policy."""
    program = make_program(backend)
    cid = register_active(program, "hot@example.com")
    program.consent.grant(cid, "newsletters", channel="web_form")
    retries: list[int] = []

    def write(n: int, i: int) -> None:
        accounts = program.accounts
        retries.append(
            within_retries(
                lambda: accounts.set_notification_preference(cid, "newsletters", bool(n % 2))
            )
        )
        retries.append(
            within_retries(lambda: accounts.open_incident(cid, title=f"t{n}-{i}", body="b"))
        )
        retries.append(
            within_retries(lambda: accounts.update_contact_details(cid, given_name=f"N{n}{i}"))
        )

    assert [] == _race(write)
    assert 0 == sum(retries)
    assert THREADS * ROUNDS == len(program.accounts.incidents_of(cid))
    assert program.verify_all().ok
    setting = program.accounts.get_notification_setting(cid, "newsletters")
    assert setting.effective == program.consent.may_use(cid, "newsletters").allowed


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_every_account_write_locks_the_candidate_record_first(
    backend: str, make_program: ProgramFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The calls that change one account read its candidate record locked
    (``load_for_update``), so that on a server they decide on what the previous
    writer of the account committed, not on a stale read."""
    program = make_program(backend)
    cid = register_active(program, "ada@example.com")
    record_report(program)
    first_reads: dict[str, str] = {}
    real_load_for_update = persistence.load_for_update
    reads: list[tuple[str, str, str]] = []

    def spy(tx: Any, kind: str, key: str) -> Any:
        reads.append(("locked", kind, key))
        return real_load_for_update(tx, kind, key)

    monkeypatch.setattr(persistence, "load_for_update", spy)
    accounts = program.accounts
    calls: dict[str, Callable[[], object]] = {
        "set_notification_preference": lambda: accounts.set_notification_preference(
            cid, "newsletters", True
        ),
        "open_incident": lambda: accounts.open_incident(cid, title="t", body="b"),
        "update_contact_details": lambda: accounts.update_contact_details(cid, given_name="A"),
        "request_email_change": lambda: accounts.request_email_change(cid, "new@example.com"),
        "claim_score_report": lambda: accounts.claim_score_report(
            cid, "REG-0001", name="Ada Lovelace"
        ),
        "suspend": lambda: accounts.suspend(cid, "audit"),
        "reinstate": lambda: accounts.reinstate(cid),
        "erase": lambda: accounts.erase(cid, reason="asked"),
    }
    for name, call in calls.items():
        reads.clear()
        call()
        first_reads[name] = "locked" if ("locked", CANDIDATE_KIND, cid) in reads else "plain"
    assert dict.fromkeys(calls, "locked") == first_reads
