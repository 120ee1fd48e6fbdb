"""Writers of one person in different contexts take the person's locks in one order.

docs/storage.md, "Lock order": the account's record first, then the awards record,
then the rest. Before, an awards write locked only the awards record while an account
change locked only the account's record (and, recording a postal address, then the
awards record to release held kits): on PostgreSQL and MariaDB the two raced for the
person's history (``stream_position_taken``) or deadlocked each other. 12 threads
recording exam results, changing contact details, switching newsletters and claiming
score reports for one person needed 26 to 37 retries on PostgreSQL (11 of 35 once
deadlocks) and 19 to 35 on MariaDB per 108 calls; a third party verifying a
disclosure code while the holder published and revoked disclosures got a
``ConcurrencyError`` (16 of 144 verifications on PostgreSQL, 7 on MariaDB).
Now every call succeeds at once and nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from _programs import (
    SQLALCHEMY,
    START,
    ProgramFactory,
    awards_write_calls,
    register_active,
    register_earned,
    run_together,
    spy_locks,
    within_retries,
)
from symprogram import Program
from symprogram.accounts import PostalAddress
from symprogram.accounts.ports import CANDIDATE_KIND as ACCOUNT_KIND
from symprogram.awards.ports import CANDIDATE_KIND as AWARDS_KIND

THREADS = 12
CALLS = 3


def test_awards_writes_and_verifications_lock_the_account_before_the_awards_record(
    program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each awards call that writes about a candidate (a verification counts in the
    holder's history) locks the candidate's account record before the awards record,
    the order in which an account change that reaches into awards takes them."""
    cid = register_earned(program, "ada@example.com")
    published = program.awards.publish(cid, ["scs-endpoint"], "hr@example.com")
    locked = spy_locks(monkeypatch)
    calls = awards_write_calls(program, cid, verify_code=published.code)
    out_of_order = {}
    for name, call in calls.items():
        locked.clear()
        call()
        mine = [kind for kind, key in locked if key == cid]
        if mine[:2] != [ACCOUNT_KIND, AWARDS_KIND]:
            out_of_order[name] = mine
    assert {} == out_of_order


def test_account_writes_of_the_history_lock_the_account_record_first(
    program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each accounts call that writes the person's history locks the account record
    before anything else of the person: a password change or reset and every change of
    an incident (a message, a status) queue behind the other writers of the person
    instead of racing them for the history."""
    cid = register_active(program)
    incident = program.accounts.open_incident(
        cid, title="Score missing", body="My score is not shown.", category="score_report"
    )
    iid = incident.incident_id
    program.accounts.request_password_reset("ada@example.com")
    token = str(program.notifier.last("password_reset", to="ada@example.com").data["token"])
    locked = spy_locks(monkeypatch)
    calls: dict[str, Callable[[], object]] = {
        "reset_password": lambda: program.accounts.reset_password(token, "yet another one!"),
        "change_password": lambda: program.accounts.change_password(
            cid, "yet another one!", "a new passphrase!"
        ),
        "post_incident_message": lambda: program.accounts.post_incident_message(
            iid, author="support", body="We are looking into it."
        ),
        "start_incident": lambda: program.accounts.start_incident(iid),
        "resolve_incident": lambda: program.accounts.resolve_incident(iid),
    }
    out_of_order = {}
    for name, call in calls.items():
        locked.clear()
        call()
        # Rate-limit counts are read and written in units of work of their own.
        mine = [lock for lock in locked if lock[0] != "account_request_log"]
        if mine[:1] != [(ACCOUNT_KIND, cid)]:
            out_of_order[name] = mine[:2]
    assert {} == out_of_order


def _person_call(program: Program, cid: str, n: int, k: int) -> None:
    """Thread ``n``'s ``k``-th call about ``cid``: an exam result, a contact change with
    a postal address (which releases held kits), a newsletter switch or a claim."""
    role = n % 4
    if role == 0:
        taken = START - timedelta(days=3, minutes=10 * n + k)
        program.awards.record_exam_result(cid, "250-315", 70, taken_at=taken)
    elif role == 1:
        address = PostalAddress(
            lines=(f"{n}-{k} Main St",), city="Ockham", country="GB", postal_code="KT11"
        )
        program.accounts.update_contact_details(cid, postal_address=address)
    elif role == 2:
        program.accounts.set_notification_preference(cid, "newsletters", k % 2 == 0)
    else:
        program.accounts.claim_score_report(cid, f"REG-{n}-{k}", email="hot@example.com")


@pytest.mark.backends("sqlite", *SQLALCHEMY)
def test_writers_of_one_person_in_different_contexts_neither_deadlock_nor_lose_updates(
    backend: str, make_program: ProgramFactory
) -> None:
    """12 threads x 3 calls for one person (exam results in awards; contact changes,
    newsletter switches and score report claims in accounts), each made once with no
    retry: every call succeeds (no deadlock, no lost race for the person's history),
    every write is kept and every ledger verifies."""
    program = make_program(backend)
    cid = register_earned(program, "hot@example.com")
    for n in range(3, THREADS, 4):
        for k in range(CALLS):
            program.accounts.record_score_report(
                registration_number=f"REG-{n}-{k}",
                exam_code="250-315",
                candidate_name="Ada Lovelace",
                email="hot@example.com",
                score=85,
                passing_score=70,
                exam_date=date(2012, 2, 1),
                test_centre="London",
            )
    before = [entry.kind for entry in program.history.history(cid)]

    def work(n: int) -> None:
        for k in range(CALLS):
            _person_call(program, cid, n, k)

    assert [] == run_together(work, THREADS)
    per_role = THREADS // 4 * CALLS
    assert 2 + per_role == len(program.awards.exam_results_of(cid))
    kinds = [entry.kind for entry in program.history.history(cid)][len(before) :]
    for kind in ("exam_result_recorded", "contact_details_updated", "score_report_claimed"):
        assert per_role == kinds.count(kind), kind
    written = {f"{n}-{k} Main St" for n in range(1, THREADS, 4) for k in range(CALLS)}
    address = program.accounts.contact_details(cid).postal_address
    assert address is not None and address.lines[0] in written
    assert program.verify_all().ok


def _publish_and_revoke(program: Program, cid: str, recipient: str) -> None:
    """Publish ``cid``'s award to ``recipient`` and revoke it, each under the retry policy."""
    published: list[Any] = []
    within_retries(
        lambda: published.append(program.awards.publish(cid, ["scs-endpoint"], recipient))
    )
    did = published[-1].disclosure.disclosure_id
    within_retries(lambda: program.awards.revoke_disclosure(cid, did))


@pytest.mark.backends("sqlite", *SQLALCHEMY)
def test_verifiers_racing_publish_and_revoke_see_no_concurrency_error(
    backend: str, make_program: ProgramFactory
) -> None:
    """8 threads verify one published code (each call once, no retry) while 4 publish
    and revoke disclosures of the same holder: every verification shows the awards
    and is counted, and the ledgers verify."""
    program = make_program(backend)
    cid = register_earned(program, "holder@example.com")
    code = program.awards.publish(cid, ["scs-endpoint"], "hr@example.com").code
    did = program.awards.disclosures_of(cid)[0].disclosure_id
    verifiers, per_verifier, rounds = 8, 12, 4
    shown: list[Any] = []

    def work(n: int) -> None:
        if n < verifiers:
            for _ in range(per_verifier):
                shown.append(program.awards.verify_disclosure(code).reason)
            return
        for k in range(rounds):
            _publish_and_revoke(program, cid, f"w{n}-{k}@example.com")

    assert [] == run_together(work, verifiers + 4)
    assert [None] * (verifiers * per_verifier) == shown
    counted = sum(count for _, _, count in program.awards.verification_counts(cid, did))
    assert verifiers * per_verifier == counted
    assert 1 + 4 * rounds == len(program.awards.disclosures_of(cid))
    assert program.verify_all().ok
