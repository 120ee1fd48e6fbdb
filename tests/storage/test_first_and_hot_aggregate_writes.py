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
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from _programs import ProgramFactory, add_agreement, open_store, within_retries
from symprogram import ConcurrencyError
from symprogram.awards.models import CandidateAwards
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
    barrier = threading.Barrier(threads_)
    failures: list[str] = []

    def work(n: int) -> None:
        barrier.wait()
        for i in range(per_thread):
            try:
                within_retries(
                    lambda i=i: add_agreement(
                        program.entitlements, "C-9", agreement_id=f"A-{n}-{i}"
                    )
                )
            except BaseException as exc:  # reported below
                failures.append(f"{n}-{i}: {exc!r}")

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads_)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [] == failures
    held = {a.agreement_id for a in program.entitlements.get_holdings("C-9").agreements}
    assert {f"A-{n}-{i}" for n in range(threads_) for i in range(per_thread)} == held
    assert program.entitlements.verify("C-9").ok
