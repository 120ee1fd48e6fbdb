"""Concurrent writers: threads through one Program, two processes on one SQLite file,
and threads with a Program each on the same SQL tables.

Issue 7: "N threads and 2 processes registering candidates and writing consent at
once lose nothing (counts match, no duplicate candidate IDs, no broken hash
chain)". docs/storage.md: "``BEGIN IMMEDIATE`` for writers so threads and
processes queue rather than lose updates". No service documents that callers
should retry, so no retries are made here: any ConcurrencyError fails the test.
DESIGN.md principle 4: a caller only ever sees SymprogramErrors, even when 8
threads race for ONE e-mail address and append to ONE consent ledger at once,
each thread with its own Program on the same tables.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from integration_helpers import (
    PASSWORD,
    START,
    process_worker,
    raw_rows,
    register_active,
)

from _programs import (
    SQLALCHEMY,
    ProgramFactory,
    db_path,
    fast_options,
    record_report,
    register_earned,
    register_form,
    run_together,
    spy_locks,
    within_retries,
)
from symprogram import Program, erasure
from symprogram.accounts import PostalAddress
from symprogram.accounts.ports import CANDIDATE_KIND
from symprogram.clock import FixedClock
from symprogram.errors import SymprogramError

THREADS = 6
PER_THREAD = 4
RACERS = 8


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_threads_register_and_write_consent_without_losing_anything(
    backend: str, make_program: ProgramFactory
) -> None:
    """Threads registering candidates, granting/withdrawing consent on a shared and
    their own subjects and appending history through one Program lose nothing: all
    candidates exist, IDs and e-mails are unique, every chain verifies."""
    with make_program(backend) as program:
        ids: list[str] = []
        lock = threading.Lock()

        def work(n: int) -> None:
            for k in range(PER_THREAD):
                cid = register_active(program, f"t{n}-{k}@example.com")
                with lock:
                    ids.append(cid)
                program.accounts.suspend(cid, "concurrency audit")
                program.accounts.reinstate(cid)
                program.consent.grant("shared", "research", channel="web_form", evidence=cid)
                program.consent.withdraw("shared", "research", channel="phone")
                program.consent.grant(f"thread-{n}", "special_offers", channel="web_form")
                program.consent.opt_out(f"thread-{n}", "newsletters", channel="email_reply")

        errors = run_together(work, THREADS)
        assert [] == errors
        assert THREADS * PER_THREAD == len(set(ids)) == len(ids)
        emails = [program.accounts.get_candidate(cid).contact.email for cid in ids]
        assert len(emails) == len(set(emails))
        assert all(program.accounts.find_by_email(e) is not None for e in emails)
        assert all(program.history.verify(cid).ok for cid in ids)
        assert all(6 <= len(program.history.history(cid)) for cid in ids)
        shared = program.consent.history("shared")
        assert 2 * THREADS * PER_THREAD == len(shared)
        audit = program.consent.verify_all()
        assert () == tuple(audit.failures)
        # the shared subject, each thread's own, and every registered candidate (issue 16)
        assert 1 + THREADS + len(ids) == audit.checked
        assert not program.consent.may_use("shared", "research").allowed


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_threads_racing_for_one_address_get_one_account(
    backend: str, make_program: ProgramFactory
) -> None:
    """Threads registering the same e-mail at once end with exactly one account;
    the others get the same receipt shape and the owner is notified."""
    with make_program(backend) as program:
        receipts = []

        def work(n: int) -> None:
            terms = program.accounts.accept_terms(path="create_account")
            receipts.append(
                program.accounts.register(
                    terms_receipt=terms.token,
                    email="race@example.com",
                    password="a long enough passphrase",
                    given_name="Race",
                    family_name=f"Runner{n}",
                    company_name="C",
                    partner_company="P",
                    preferred_language="en",
                )
            )

        assert [] == run_together(work, 8)
        assert 8 == len(receipts)
        assert {"race@example.com"} == {r.email for r in receipts}
        activations = [m for m in program.notifier.messages if m.kind == "activation"]
        attempts = [m for m in program.notifier.messages if m.kind == "registration_attempt"]
        assert (1, 7) == (len(activations), len(attempts))


def test_two_processes_on_one_file_lose_nothing(
    make_program: ProgramFactory, tmp_path: Path
) -> None:
    """Two processes, each with its own Program on the same SQLite file, register
    candidates and write consent at once: counts match, no duplicate IDs or
    e-mails, every ledger verifies."""
    path = db_path(tmp_path)
    with make_program("sqlite"):
        pass  # create the schema once
    per_process = 5
    # An executor, not multiprocessing.Pool: a worker that dies fails the test
    # (BrokenProcessPool) instead of leaving Pool.starmap waiting forever.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        futures = [pool.submit(process_worker, str(path), w, per_process) for w in range(2)]
        results = [future.result(timeout=300) for future in futures]
    ids = [cid for chunk in results for cid in chunk]
    assert 2 * per_process == len(ids) == len(set(ids))
    with Program.open(
        f"sqlite:///{path}", clock=FixedClock(START), options=fast_options()
    ) as program:
        emails = Counter(program.accounts.get_candidate(cid).contact.email for cid in ids)
        assert all(1 == n for n in emails.values())
        assert program.accounts.find_by_email("contended@example.com") is not None
        assert all(program.history.verify(cid).ok for cid in ids)
        assert 4 * per_process == len(program.consent.history("shared"))
        assert () == tuple(program.consent.verify_all().failures)
    # Candidate rows, the stand-in slots (``~stand-in:<n>``) that registering the
    # contended address again writes for nobody left out.
    candidates = [
        row
        for row in raw_rows(path, "sp_records")
        if row[0] == "candidate" and not str(row[1]).startswith("~stand-in:")
    ]
    assert 2 * per_process + 1 == len(candidates)
    owners = [row for row in raw_rows(path, "sp_index") if "contended" in str(row)]
    assert len(owners) <= 1


def test_two_programs_in_one_process_share_a_file(make_program: ProgramFactory) -> None:
    """Two Program objects on one file (two connections) writing from threads at once
    do not lose consent records or break the chain."""
    first = make_program("sqlite")
    second = make_program("sqlite")
    try:

        def work(n: int) -> None:
            program = first if n % 2 else second
            for k in range(5):
                program.consent.grant("both", "research", channel="web_form", evidence=f"{n}-{k}")
                register_active(program, f"two-{n}-{k}@example.com")

        assert [] == run_together(work, 4)
        assert 20 == len(first.consent.history("both"))
        assert first.consent.verify("both").ok
        assert second.consent.verify("both").ok
    finally:
        first.close()
        second.close()


@pytest.mark.backends(*SQLALCHEMY)
def test_racing_writers_get_symprogram_errors_only_and_lose_nothing(
    backend: str, make_program: ProgramFactory
) -> None:
    """Every call either succeeds or raises a SymprogramError with a code (never a
    driver error); exactly one account holds the contended address; every
    successful consent choice is in the shared ledger, which verifies."""
    sql_backend_url = make_program.url(backend)
    with Program.open(sql_backend_url, clock=FixedClock(START), options=fast_options()) as first:
        first.consent.grant("shared", "research", channel="web_form", evidence="seed")
    barrier = threading.Barrier(RACERS)
    outcomes: list[Any] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        with Program.open(
            sql_backend_url, clock=FixedClock(START), options=fast_options()
        ) as program:
            receipt = program.accounts.accept_terms(path="create_account")
            barrier.wait(timeout=30)
            for action in ("register", "grant"):
                try:
                    if action == "register":
                        program.accounts.register(
                            terms_receipt=receipt.token or "",
                            email="contended@example.com",
                            password=PASSWORD,
                            given_name=f"T{n}",
                            family_name="Racer",
                            company_name="C",
                            partner_company="P",
                            preferred_language="en",
                        )
                    else:
                        program.consent.grant(
                            "shared", "research", channel="web_form", evidence=f"thread {n}"
                        )
                    result: Any = (action, "ok", n)
                except SymprogramError as exc:
                    result = (action, exc.code, n)
                except BaseException as exc:
                    result = (action, "RAW " + repr(exc), n)
                with lock:
                    outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert [] == [o for o in outcomes if o[1].startswith("RAW")]
    assert 2 * RACERS == len(outcomes)
    with Program.open(sql_backend_url, clock=FixedClock(START), options=fast_options()) as program:
        found = program.accounts.find_by_email("contended@example.com")
        assert found is not None
        subjects = list(program.history.iter_subjects())
        holders = [
            s
            for s in subjects
            if program.accounts.get_candidate(s).contact.email == found.contact.email
        ]
        assert [found.candidate_id] == holders
        evidence = [
            e.data.get("evidence")
            for e in program.consent.receipt("shared").history
            if e.data and e.data.get("evidence")
        ]
        granted = sorted(f"thread {n}" for a, code, n in outcomes if a == "grant" and code == "ok")
        assert granted == sorted(str(e) for e in evidence if e != "seed")
        assert program.consent.verify("shared").ok


def test_erase_person_locks_the_account_before_anything_else(
    program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``erase_person`` takes the account's lock first, as the account calls that reach
    into another context do (a postal address releasing held kits locks the account,
    then the awards record): before, it locked the awards record first, and on
    PostgreSQL an erasure racing address updates deadlocked (up to 8 retries)."""
    cid = register_earned(program, "ada@example.com")
    locked = spy_locks(monkeypatch, erasure)
    program.erase_person(cid, reason="asked")
    assert (CANDIDATE_KIND, cid) == locked[0]


def _erase_or_write(program: Program, cid: str, n: int, j: int) -> None:
    """Thread 0 erases ``cid``; the others record a postal address and an exam result,
    each under the retry policy, an ``account_erased`` refusal accepted."""
    if n == 0:
        within_retries(lambda: program.erase_person(cid, reason="asked"))
        return
    address = PostalAddress(
        lines=(f"{n} Main St",), city="Ockham", country="GB", postal_code="KT11"
    )
    taken = START - timedelta(days=3, minutes=10 * n + j)
    for action in (
        lambda: program.accounts.update_contact_details(cid, postal_address=address),
        lambda: program.awards.record_exam_result(cid, "250-315", 70, taken_at=taken),
    ):
        try:
            within_retries(action)
        except SymprogramError as exc:
            if exc.code != "account_erased":
                raise


@pytest.mark.backends("sqlite", *SQLALCHEMY)
def test_an_erasure_racing_address_updates_and_exam_results_loses_nothing(
    backend: str, make_program: ProgramFactory
) -> None:
    """One thread erases four people while seven update their postal addresses (which
    releases their held kits) and record their exam results: every call succeeds
    within the retry policy or is refused as erased, and the ledgers verify."""
    program = make_program(backend)
    people = [register_earned(program, f"p{j}@example.com") for j in range(4)]
    barrier = threading.Barrier(8)
    failures: list[str] = []

    def work(n: int) -> None:
        barrier.wait()
        for j, cid in enumerate(people):
            try:
                _erase_or_write(program, cid, n, j)
            except BaseException as exc:  # reported below
                failures.append(f"{n}-{j}: {exc!r}")

    workers = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert [] == failures
    assert all(program.accounts.get_candidate(cid).erased_at is not None for cid in people)
    assert program.verify_all().ok


@pytest.mark.backends("sqlite", *SQLALCHEMY)
def test_a_renewal_after_another_process_renewed_is_too_early(
    backend: str, make_program: ProgramFactory
) -> None:
    """Two processes whose clocks differ by a second (or that read their clocks in one
    order and took the lock in the other) renew one award: the second sees the first
    renewal, so it is ``renewal_too_early``, and the award is renewed once."""
    first = make_program(backend)
    cid = register_earned(first, "renew@example.com")
    renewing = first.now() + timedelta(days=660)
    behind = make_program(backend, clock=FixedClock(renewing))
    ahead = make_program(backend, clock=FixedClock(renewing + timedelta(seconds=1)))
    (renewed, *_) = ahead.awards.renew(cid, "scs-endpoint")
    with pytest.raises(SymprogramError) as refused:
        behind.awards.renew(cid, "scs-endpoint")
    assert "renewal_too_early" == refused.value.code
    (holding,) = [h for h in ahead.awards.awards_of(cid) if h.award_id == "scs-endpoint"]
    assert renewed.expires_at == holding.expires_at
    kinds = [e.kind for e in behind.history.history(cid)]
    assert 2 == kinds.count("award_renewed")  # scs-endpoint and the sts it includes, once
    assert behind.verify_all().ok


@pytest.mark.backends("sqlite", *SQLALCHEMY)
def test_a_revocation_by_a_process_whose_clock_is_behind_is_seen_by_later_changes(
    backend: str, make_program: ProgramFactory
) -> None:
    """A revocation stamped at least at the record's last change: the grant it revokes
    is never read "as of" an instant before that grant was renewed."""
    first = make_program(backend)
    cid = register_earned(first, "revoke@example.com")
    renewing = first.now() + timedelta(days=660)
    ahead = make_program(backend, clock=FixedClock(renewing + timedelta(seconds=5)))
    behind = make_program(backend, clock=FixedClock(renewing))
    ahead.awards.renew(cid, "scs-endpoint")
    revoked = behind.awards.revoke(cid, "scs-endpoint", reason="misconduct")
    assert "revoked" == str(revoked.status)
    assert revoked.revoked_at == renewing + timedelta(seconds=5)  # not before the renewal
    with pytest.raises(SymprogramError) as refused:
        ahead.awards.renew(cid, "scs-endpoint")
    assert refused.value.code in {"award_revoked", "renewal_too_early"}
    assert behind.verify_all().ok


def test_evaluate_on_the_system_clock_grants_what_is_met() -> None:
    """``evaluate(cid)`` without ``at`` on the default clock: the instant it grants at is
    the one it read, never a later reading that would lie "in the future"."""
    with Program.in_memory(options=fast_options()) as program:
        cid = register_earned(program, "system@example.com")
        assert "scs-endpoint" in {g.award_id for g in program.awards.grants_of(cid)}


@pytest.mark.backends("postgresql", "mariadb")
def test_a_preference_racing_a_consent_write_raises_no_tamper_alarm(
    backend: str, make_program: ProgramFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A switch of the account's newsletters reads the consent standing inside its own
    unit of work: on a server (READ COMMITTED) a grant another process commits between
    the projection's read and the ledger head's made them disagree, and the switch was
    refused as a projection put back (``record_corrupt``). Read again, they agree."""
    from symprogram.consent.audience import Projections

    program = make_program(backend)
    other = make_program(backend)
    cid = register_active(program)
    original = Projections.check
    pending = [lambda: other.consent.grant(cid, "research", channel="web_form")]

    def racing(self: Projections, tx: Any, state: Any, *more: Any) -> Any:
        if pending and state is not None and state.subject == cid:
            pending.pop()()  # committed by another connection, right now
        return original(self, tx, state, *more)

    monkeypatch.setattr(Projections, "check", racing)
    setting = program.accounts.set_notification_preference(cid, "newsletters", False)
    assert not pending and not setting.effective
    assert ("opted_out",) == program.consent.may_use(cid, "newsletters").codes
    assert program.verify_all().ok


@pytest.mark.backends("sqlite", *SQLALCHEMY)
def test_an_award_revoked_by_a_process_whose_clock_is_ahead_is_not_published(
    backend: str, make_program: ProgramFactory
) -> None:
    """ "publishes chosen active awards": a revocation committed by a process whose clock
    is a second ahead is seen by a publication made right after it."""
    first = make_program(backend)
    cid = register_earned(first, "publish@example.com")
    now = first.now()
    ahead = make_program(backend, clock=FixedClock(now + timedelta(seconds=1)))
    behind = make_program(backend, clock=FixedClock(now))
    ahead.awards.revoke(cid, "scs-endpoint", reason="misconduct")
    with pytest.raises(SymprogramError) as refused:
        behind.awards.publish(cid, ["scs-endpoint"], "hr@example.com")
    assert "award_not_active" == refused.value.code
    assert "awards_published" not in [e.kind for e in behind.history.history(cid)]


@pytest.mark.backends("sqlite", *SQLALCHEMY)
def test_accounts_racing_for_one_report_get_the_documented_refusal(
    backend: str, make_program: ProgramFactory
) -> None:
    """Accounts claiming one report at once, each on its own connection: one claims it,
    every other gets ``score_report_already_claimed`` and its incident, never a bare
    ``stale_version`` (the report is read locked)."""
    claimants = [make_program(backend) for _ in range(RACERS // 2)]
    cids = [register_active(claimants[0], f"c{n}@example.com") for n in range(len(claimants))]
    record_report(claimants[0])
    outcomes: list[str] = []

    def claim(n: int) -> None:
        try:
            claimants[n].accounts.claim_score_report(cids[n], "REG-0001", name="Ada Lovelace")
            outcomes.append("claimed")
        except SymprogramError as refused:
            outcomes.append(refused.code)

    assert [] == run_together(claim, len(claimants))
    losers = len(claimants) - 1
    assert ["claimed"] + ["score_report_already_claimed"] * losers == sorted(outcomes)
    assert losers == sum(len(claimants[0].accounts.incidents_of(c)) for c in cids)
    assert claimants[0].verify_all().ok


@pytest.mark.backends("sqlite", *SQLALCHEMY)
def test_one_activation_link_used_at_once_is_used_once(
    backend: str, make_program: ProgramFactory
) -> None:
    """An activation link used from several connections at once: one activates, the
    others get ``token_used`` (the account is locked before the link is used up)."""
    users = [make_program(backend) for _ in range(RACERS // 2)]
    register_form(users[0].accounts, "link@example.com")
    token = users[0].notifier.last("activation", to="link@example.com").data["token"]
    outcomes: list[str] = []

    def activate(n: int) -> None:
        try:
            users[n].accounts.activate(token)
            outcomes.append("activated")
        except SymprogramError as refused:
            outcomes.append(refused.code)

    assert [] == run_together(activate, len(users))
    assert ["activated"] + ["token_used"] * (len(users) - 1) == sorted(outcomes)
