"""Concurrent writers of one customer's holdings or one candidate's awards: retryable, never lost.

* The first write of an aggregate made on demand (a customer's entitlement holdings,
  a candidate's awards record) can race: two units of work both find none and both
  insert. The loser must get a retryable ``ConcurrencyError``, not the final
  ``Conflict`` ``<kind>_exists`` that a caller would not retry (seen on PostgreSQL
  and MariaDB as ``award_candidate_exists`` from ``record_exam_result``).
* Writers of one customer's holdings queue on its row lock (as consent writers of one
  subject do, ``tests/storage/test_hot_subject.py``): before the lock, 8 threads adding
  agreements to one customer on PostgreSQL / MariaDB exhausted the documented 20
  retries.
* Writers of one candidate's awards (exam results, evaluations, disclosures published
  and revoked) queue on the lock of the candidate's awards record the same way.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from _programs import (
    START,
    ProgramFactory,
    add_agreement,
    awards_write_calls,
    open_store,
    register_earned,
    run_together,
    spy_locks,
    within_retries,
)
from symprogram import ConcurrencyError, Program
from symprogram.awards.models import CandidateAwards
from symprogram.awards.ports import CANDIDATE_KIND
from symprogram.awards.storage import AwardsStorage
from symprogram.entitlements.models import CustomerEntitlements
from symprogram.entitlements.storage import StoredHoldings


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_second_first_insert_is_a_concurrency_error(kind: str, tmp_path: Path) -> None:
    """Saving a never-saved (version 0) aggregate over one stored meanwhile is stale."""
    store = open_store(kind, tmp_path)
    try:
        with store.transaction() as tx:
            AwardsStorage().save_candidate(tx, CandidateAwards("SP-1"))
            StoredHoldings(tx).save(CustomerEntitlements("C-1"))
        with pytest.raises(ConcurrencyError), store.transaction() as tx:
            AwardsStorage().save_candidate(tx, CandidateAwards("SP-1"))
        with pytest.raises(ConcurrencyError), store.transaction() as tx:
            StoredHoldings(tx).save(CustomerEntitlements("C-1"))
    finally:
        store.close()


@pytest.mark.backends("sqlite", "postgresql", "mariadb")
def test_threads_adding_agreements_to_one_customer_all_succeed(
    backend: str, make_program: ProgramFactory
) -> None:
    """8 threads x 4 agreements for one customer: every one stored, the ledger clean."""
    program = make_program(backend)
    threads_, per_thread = 8, 4
    failures: list[str] = []

    def work(n: int) -> None:
        for i in range(per_thread):
            try:
                within_retries(
                    lambda i=i: add_agreement(
                        program.entitlements, "C-9", agreement_id=f"A-{n}-{i}"
                    )
                )
            except BaseException as exc:  # reported below
                failures.append(f"{n}-{i}: {exc!r}")

    assert [] == run_together(work, threads_)
    assert [] == failures
    held = {a.agreement_id for a in program.entitlements.get_holdings("C-9").agreements}
    assert {f"A-{n}-{i}" for n in range(threads_) for i in range(per_thread)} == held
    assert program.entitlements.verify("C-9").ok


def test_every_awards_write_locks_the_candidates_record_first(
    program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each awards call that writes about a candidate reads the candidate's awards record
    locked (``load_for_update``) before anything else of its kind, as consent and
    entitlements writers do."""
    cid = register_earned(program, "ada@example.com")
    locked = spy_locks(monkeypatch)
    calls = awards_write_calls(program, cid)
    unlocked = []
    for name, call in calls.items():
        locked.clear()
        call()
        if (CANDIDATE_KIND, cid) not in locked:
            unlocked.append(name)
    assert [] == unlocked


def _awards_round(program: Program, cid: str, tag: str, minute: int) -> list[int]:
    """One thread's round on a candidate: an exam result, an evaluation, a disclosure
    published and revoked, each under the retry policy; the retries each took."""
    taken = START - timedelta(days=2, minutes=minute)
    published: list[Any] = []
    spent = [
        within_retries(
            lambda: program.awards.record_exam_result(cid, "250-315", 70, taken_at=taken)
        ),
        within_retries(lambda: program.awards.evaluate(cid)),
        within_retries(
            lambda: published.append(
                program.awards.publish(cid, ["scs-endpoint"], f"hr-{tag}@example.com")
            )
        ),
    ]
    did = published[-1].disclosure.disclosure_id
    spent.append(within_retries(lambda: program.awards.revoke_disclosure(cid, did)))
    return spent


@pytest.mark.backends("sqlite", "postgresql", "mariadb")
def test_threads_writing_one_candidates_awards_queue_without_retries(
    backend: str, make_program: ProgramFactory
) -> None:
    """8 threads x 3 rounds of an exam result, an evaluation, a disclosure published and
    revoked for one candidate: every write succeeds at once (before the lock, on
    PostgreSQL and MariaDB, 12 threads needed over 500 retries and one write gave up
    after 20), nothing is lost and the ledgers verify."""
    program = make_program(backend)
    cid = register_earned(program, "hot@example.com")
    threads_, rounds = 8, 3
    failures: list[str] = []
    retries: list[int] = []

    def work(n: int) -> None:
        for i in range(rounds):
            try:
                retries.extend(_awards_round(program, cid, f"{n}-{i}", 10 * n + i))
            except BaseException as exc:  # reported below
                failures.append(f"{n}-{i}: {exc!r}")

    assert [] == run_together(work, threads_)
    assert [] == failures
    assert 0 == sum(retries)
    assert 2 + threads_ * rounds == len(program.awards.exam_results_of(cid))
    disclosures = program.awards.disclosures_of(cid)
    assert threads_ * rounds == len(disclosures)
    assert all(d.revoked_at is not None for d in disclosures)
    assert program.verify_all().ok
