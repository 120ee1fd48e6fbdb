"""Stored aggregates checked against their keyed ledger (``aggregate_mismatch``).

A tamper probe found that a candidate row or a customer's holdings row put back
from an older backup (or edited by hand) went unnoticed, even with the ledger key:
the chains and heads were untouched. ``history.verify`` / ``verify_all`` and the
entitlements audit's now compare the stored record with what the ledger says (the
candidate's status, address and erasure; each agreement's, grant's and
extension's state) as consent compares its projection (``projection_mismatch``).
See ``docs/explanation-threat-model.md``.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing, suppress
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import (
    ProgramFactory,
    add_agreement,
    add_grant,
    change_email,
    db_path,
    register_active,
)
from symprogram import Program
from symprogram._anchors import AggregateMismatch
from symprogram.accounts import rules as account_rules
from symprogram.accounts.models import ContactDetails
from symprogram.entitlements import rules as entitlement_rules
from symprogram.errors import IntegrityError, SymprogramError
from symprogram.ids import CandidateId
from symprogram.ledger import Verification
from symprogram.notify import Outbox

KEY = b"aggregate anchors ledger key, 32"
CANDIDATE = "candidate"
HOLDINGS = "entitlements_customer"
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


# -- helpers ------------------------------------------------------------------------


def _outbox(program: Program) -> Outbox:
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    return outbox


def add_customer(program: Program, customer: str = "C-1", agreement: str = "A-1") -> str:
    """``customer`` with an active agreement and a courtesy grant; return the grant id."""
    add_agreement(program.entitlements, customer, agreement_id=agreement)
    return str(add_grant(program.entitlements, customer).grant_id)


def mismatches(result: Verification) -> list[AggregateMismatch]:
    """The ``aggregate_mismatch`` problems of ``result``."""
    found = [p for p in result.problems if p.code == "aggregate_mismatch"]
    assert all(isinstance(p, AggregateMismatch) for p in found)
    return [p for p in found if isinstance(p, AggregateMismatch)]


def fields(result: Verification) -> set[tuple[str, str, str]]:
    """``(kind, key, field)`` of every ``aggregate_mismatch`` of ``result``."""
    return {(p.kind, p.key, p.field) for p in mismatches(result)}


def raw_row(path: Path, kind: str, key: str) -> tuple[int, str]:
    """``(version, data)`` of a record, read with the stdlib as a backup holds it."""
    with closing(sqlite3.connect(path)) as conn:
        row = conn.execute(
            "SELECT version, data FROM sp_records WHERE kind = ? AND key = ?", (kind, key)
        ).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


def put_back(path: Path, kind: str, key: str, row: tuple[int, str], *, version: bool) -> None:
    """Write an older row's data back (and its old version, with ``version``)."""
    with closing(sqlite3.connect(path)) as conn, conn:
        if version:
            conn.execute(
                "UPDATE sp_records SET data = ?, version = ? WHERE kind = ? AND key = ?",
                (row[1], row[0], kind, key),
            )
        else:
            conn.execute(
                "UPDATE sp_records SET data = ? WHERE kind = ? AND key = ?", (row[1], kind, key)
            )


def failed_subjects(program: Program) -> dict[str, set[str]]:
    """``program.verify_all()``: each failed stream's problem codes."""
    return {
        failure.subject: {p.code for p in failure.problems}
        for failure in program.verify_all().failures
    }


# -- the probe's replays, on SQLite through the stdlib -------------------------------


@pytest.mark.parametrize("version", [False, True], ids=["data", "data-and-version"])
@pytest.mark.parametrize("ledger_key", [None, KEY], ids=["no-key", "key"])
def test_an_older_candidate_row_put_back_is_reported(
    make_program: ProgramFactory, tmp_path: Path, version: bool, ledger_key: bytes | None
) -> None:
    """A closed account whose candidate row is put back from before the closure reads
    ``active`` again; ``history.verify``, ``history.verify_all`` and
    ``program.verify_all`` report ``aggregate_mismatch`` on its status."""
    path = db_path(tmp_path)
    with make_program("sqlite", ledger_key=ledger_key) as program:
        cid = register_active(program)
        backup = raw_row(path, CANDIDATE, cid)
        program.accounts.close(cid, "left the program")
        assert program.history.verify(cid).ok
    put_back(path, CANDIDATE, cid, backup, version=version)
    with make_program("sqlite", ledger_key=ledger_key) as program:
        assert "active" == program.accounts.get_candidate(cid).status
        result = program.history.verify(cid)
        assert {(CANDIDATE, cid, "status")} == fields(result)
        [problem] = mismatches(result)
        assert {"kind": CANDIDATE, "key": cid, "field": "status"} == problem.details
        assert "'active'" in problem.message and "'closed'" in problem.message
        assert [cid] == [f.subject for f in program.history.verify_all()]
        assert {f"history:{cid}": {"aggregate_mismatch"}} == failed_subjects(program)
        with pytest.raises(IntegrityError) as raised:
            result.raise_for_problems()
        assert "status" == raised.value.details["problems"][0]["field"]


@pytest.mark.parametrize("change", ["cancel the agreement", "revoke the grant"])
@pytest.mark.parametrize("version", [False, True], ids=["data", "data-and-version"])
def test_older_holdings_put_back_are_reported(
    make_program: ProgramFactory, tmp_path: Path, change: str, version: bool
) -> None:
    """Holdings put back from before a cancellation (or revocation) are not decided
    with (``record_corrupt``, naming the record); the audit's ``verify`` and
    ``verify_all`` and ``program.verify_all`` report ``aggregate_mismatch`` naming it."""
    path = db_path(tmp_path)
    with make_program("sqlite", ledger_key=KEY) as program:
        ents = program.entitlements
        grant = add_customer(program)
        backup = raw_row(path, HOLDINGS, "C-1")
        if change == "cancel the agreement":
            ents.cancel_agreement("A-1", by="staff", reason="unpaid")
            expected = {(HOLDINGS, "C-1", "agreements[A-1].status")}
        else:
            ents.revoke_entitlement("C-1", grant, by="staff", reason="ended")
            expected = {(HOLDINGS, "C-1", f"grants[{grant}]")}
        assert ents.verify("C-1").ok
    put_back(path, HOLDINGS, "C-1", backup, version=version)
    with make_program("sqlite", ledger_key=KEY) as program:
        ents = program.entitlements
        with pytest.raises(IntegrityError) as raised:
            ents.support_decision("C-1", "NetBackup")
        assert "record_corrupt" == raised.value.code
        [(_, _, field)] = expected
        assert {"kind": HOLDINGS, "key": "C-1", "field": field} == raised.value.details
        assert expected == fields(ents.verify("C-1"))
        assert ["C-1"] == [f.subject for f in ents.verify_all()]
        assert {"entitlements:C-1": {"aggregate_mismatch"}} == failed_subjects(program)


def test_an_older_address_put_back_is_reported_without_showing_it(
    make_program: ProgramFactory, tmp_path: Path
) -> None:
    """A candidate row put back from before an e-mail change is ``aggregate_mismatch``
    on ``email``; the message names neither address (personal data)."""
    path = db_path(tmp_path)
    with make_program("sqlite", ledger_key=KEY) as program:
        cid = register_active(program)
        backup = raw_row(path, CANDIDATE, cid)
        change_email(program, cid, "ada.lovelace@example.org")
        assert program.history.verify(cid).ok
    put_back(path, CANDIDATE, cid, backup, version=True)
    with make_program("sqlite", ledger_key=KEY) as program:
        result = program.history.verify(cid)
        assert {(CANDIDATE, cid, "email")} == fields(result)
        message = mismatches(result)[0].message
        assert "example" not in message


def test_a_row_put_back_from_before_the_erasure_is_reported(
    make_program: ProgramFactory, tmp_path: Path
) -> None:
    """The personal data of an erased account put back with its older candidate row is
    reported: status, address, erasure and credential digest (the erasure leaves none)
    differ from the history's ``account_erased``."""
    path = db_path(tmp_path)
    with make_program("sqlite", ledger_key=KEY) as program:
        cid = register_active(program)
        backup = raw_row(path, CANDIDATE, cid)
        program.erase_person(cid, reason="request 42")
        assert program.history.verify(cid).ok
    put_back(path, CANDIDATE, cid, backup, version=True)
    with make_program("sqlite", ledger_key=KEY) as program:
        found = {field for _, _, field in fields(program.history.verify(cid))}
        assert {"status", "email", "erased_at", "credential_digest"} == found


# -- every embedded backend, through the store's own API -----------------------------


def test_rows_put_back_are_reported_on_every_backend(
    backend: str, make_program: ProgramFactory
) -> None:
    """On memory, SQLite and SQLAlchemy alike, a candidate and a holdings record put back
    from a backup are reported by ``program.verify_all``; before that it is clean."""
    program = make_program(backend, ledger_key=KEY)
    rows = LedgerRows(program)
    cid = register_active(program)
    grant = add_customer(program)
    candidate, holdings = rows.get_record(CANDIDATE, cid), rows.get_record(HOLDINGS, "C-1")
    program.accounts.suspend(cid, "audit")
    program.entitlements.revoke_entitlement("C-1", grant, by="staff", reason="ended")
    assert {} == failed_subjects(program)
    rows.put_record(CANDIDATE, cid, candidate)
    rows.put_record(HOLDINGS, "C-1", holdings)
    assert {
        f"history:{cid}": {"aggregate_mismatch"},
        "entitlements:C-1": {"aggregate_mismatch"},
    } == failed_subjects(program)


def test_a_deleted_candidate_and_forged_holdings_are_reported(
    backend: str, make_program: ProgramFactory
) -> None:
    """A candidate row deleted under its history, an agreement the audit never
    recorded, and holdings whose whole audit stream was dropped are reported."""
    program = make_program(backend, ledger_key=KEY)
    rows = LedgerRows(program)
    cid = register_active(program)
    add_customer(program, "C-1", "A-1")
    add_customer(program, "C-2", "A-2")
    forged = rows.get_record(HOLDINGS, "C-2")
    assert forged is not None
    rows.put_record(CANDIDATE, cid, None)
    rows.put_record(HOLDINGS, "C-1", forged.replace('"C-2"', '"C-1"').replace("A-2", "A-9"))
    rows.put_stream("entitlements:C-2", [])
    rows.put_head("entitlements:C-2", None)
    assert {(CANDIDATE, cid, "candidate")} == fields(program.history.verify(cid))
    assert {
        (HOLDINGS, "C-1", "agreements[A-1]"),
        (HOLDINGS, "C-1", "agreements[A-9]"),
    } == fields(program.entitlements.verify("C-1"))
    audit = {f.subject: fields(f) for f in program.entitlements.verify_all()}
    assert {"C-1", "C-2"} == set(audit)
    assert (HOLDINGS, "C-2", "agreements[A-2]") in audit["C-2"]


def test_a_candidate_written_in_by_hand_or_whose_history_was_dropped_is_reported(
    backend: str, make_program: ProgramFactory
) -> None:
    """A candidate row stored under a candidate ID with no history at all (written in
    by hand), and an account whose history stream and head were both dropped, are
    reported by ``verify_all`` and ``verify``: the stored candidate has no
    ``candidate_registered`` behind it, even with the key and no digest."""
    program = make_program(backend, ledger_key=KEY)
    rows = LedgerRows(program)
    cid, other = register_active(program), register_active(program, "bob@example.com")
    assert {} == failed_subjects(program)
    forged_id = CandidateId.generate().display
    template = rows.get_record(CANDIDATE, other)
    assert template is not None
    rows.put_record(CANDIDATE, forged_id, template.replace(other, forged_id))
    rows.put_stream(f"history:{cid}", [])
    rows.put_head(f"history:{cid}", None)
    assert {(CANDIDATE, forged_id, "candidate")} == fields(program.history.verify(forged_id))
    assert {(CANDIDATE, cid, "candidate")} == fields(program.history.verify(cid))
    assert {
        f"history:{forged_id}": {"aggregate_mismatch"},
        f"history:{cid}": {"aggregate_mismatch"},
    } == failed_subjects(program)


def test_the_account_rule_reports_a_candidate_its_history_says_nothing_of(
    program: Program,
) -> None:
    """A stored candidate beside a history with no account entry is a ``candidate``
    difference (stored ``recorded``, the ledger none); no candidate, none."""
    cid = register_active(program)
    candidate = program.accounts.get_candidate(cid)
    [difference] = account_rules.candidate_differences(cid, candidate, [("kit_queued", {})])
    assert ("candidate", "recorded", None) == (
        difference.field,
        difference.stored,
        difference.ledger,
    )
    assert () == account_rules.candidate_differences(cid, None, [("kit_queued", {})])


# -- legitimate life cycles verify clean -----------------------------------------------


def test_an_erased_account_and_customer_verify_clean(program: Program) -> None:
    """After ``erase_person`` (history and audit data erased) nothing is reported:
    erased entries say nothing, ``account_erased`` says closed and erased."""
    cid = register_active(program)
    change_email(program, cid, "ada.lovelace@example.org")
    program.accounts.suspend(cid, "audit")
    grant = add_customer(program, cid, "A-1")
    program.entitlements.revoke_entitlement(cid, grant, by="staff", reason="ended")
    program.erase_person(cid, reason="request 42")
    assert program.history.verify(cid).ok
    assert program.entitlements.verify(cid).ok
    assert {} == failed_subjects(program)
    LedgerRows(program).put_record(CANDIDATE, cid, None)  # the check does look
    assert {(CANDIDATE, cid, "candidate")} == fields(program.history.verify(cid))


def test_bulk_imported_accounts_verify_clean(program: Program) -> None:
    """Accounts opened by ``register_many`` record the same first entries as a
    registration: pending activation with their address, nothing reported."""
    rows = [
        ContactDetails(
            email=f"bulk{n}@example.com",
            given_name="Bulk",
            family_name=f"Person {n}",
            company_name="Imported",
            partner_company="Babbage & Co",
            preferred_language="en-GB",
        )
        for n in range(3)
    ]
    assert 3 == program.accounts.register_many(rows).created
    assert () == program.history.verify_all()
    for n in range(3):
        found = program.accounts.find_by_email(f"bulk{n}@example.com")
        assert found is not None and "pending_activation" == found.status
        assert program.history.verify(found.candidate_id).ok
    LedgerRows(program).put_record(CANDIDATE, found.candidate_id, None)  # the check does look
    assert [found.candidate_id] == [f.subject for f in program.history.verify_all()]


ACCOUNT_STEPS = ("suspend", "reinstate", "close", "email")
CUSTOMER_STEPS = ("agreement", "suspend", "reinstate", "cancel", "grant", "revoke")


@settings(max_examples=25, deadline=None, suppress_health_check=HEALTH)
@given(
    accounts=st.lists(st.sampled_from(ACCOUNT_STEPS), max_size=6),
    customers=st.lists(st.tuples(st.sampled_from(CUSTOMER_STEPS), st.integers(0, 2)), max_size=10),
    erase=st.booleans(),
)
def test_legitimate_life_cycles_never_report_a_mismatch(
    make_program: ProgramFactory,
    accounts: list[str],
    customers: list[tuple[str, int]],
    erase: bool,
) -> None:
    """Random life cycles (activate, suspend, reinstate, close, e-mail change; agreements
    added, suspended, reinstated, cancelled; grants given and revoked; an erasure)
    verify without any ``aggregate_mismatch``, alone and in ``verify_all``."""
    program = make_program("memory", ledger_key=KEY)
    cid = register_active(program)
    for number, step in enumerate(accounts):
        with suppress(SymprogramError):  # a refused step changes nothing
            if step == "email":
                change_email(program, cid, f"ada{number}@example.org")
            elif step == "suspend":
                program.accounts.suspend(cid, "audit")
            elif step == "reinstate":
                program.accounts.reinstate(cid)
            else:
                program.accounts.close(cid, "left")
    ents = program.entitlements
    grants: list[str] = []
    any_agreement = any(step == "agreement" for step, _ in customers)
    for step, which in customers:
        agreement = f"A-{which}"
        with suppress(SymprogramError):  # a refused step changes nothing
            if step == "agreement":
                add_agreement(program.entitlements, "C-1", agreement_id=agreement)
            elif step == "grant":
                grants.append(add_grant(program.entitlements).grant_id)
            elif step == "revoke":
                if grants:
                    ents.revoke_entitlement("C-1", grants[which % len(grants)], by="s", reason="r")
            else:
                getattr(ents, f"{step}_agreement")(agreement, by="s", reason="r")
    if erase:
        program.erase_person(cid, reason="request")
    assert [] == mismatches(program.history.verify(cid))
    assert [] == mismatches(ents.verify("C-1"))
    assert {} == failed_subjects(program)
    # The check did look at both records: without them, both are reported.
    rows = LedgerRows(program)
    rows.put_record(CANDIDATE, cid, None)
    rows.put_record(HOLDINGS, "C-1", None)
    expected = {f"history:{cid}"} | ({"entitlements:C-1"} if grants or any_agreement else set())
    assert expected == set(failed_subjects(program))


# -- the pure rules --------------------------------------------------------------------


def test_the_account_rule_skips_what_erased_entries_no_longer_say(program: Program) -> None:
    """An erased ``account_status_changed`` leaves the status unknown (not compared);
    a history with no account entry at all compares nothing."""
    cid = register_active(program)
    candidate = program.accounts.get_candidate(cid)
    erased: list[tuple[str, dict[str, str] | None]] = [
        ("candidate_registered", None),
        ("account_status_changed", None),
        ("noted", {}),
    ]
    assert () == account_rules.candidate_differences(cid, candidate, erased)
    assert () == account_rules.candidate_differences(cid, None, [("kit_queued", {})])
    said = [("candidate_registered", {"email": "ada@example.com"})]
    [difference] = account_rules.candidate_differences(cid, candidate, said)
    assert ("status", "active", "pending_activation") == (
        difference.field,
        difference.stored,
        difference.ledger,
    )


def test_the_holdings_rule_skips_a_kind_with_an_erased_entry(program: Program) -> None:
    """An erased ``agreement_status_changed`` hides which agreement changed: the
    agreements are not compared; the grants still are."""
    add_customer(program)
    holdings = program.entitlements.get_holdings("C-1")
    entries = [
        ("agreement_recorded", {"agreement_id": "A-1"}),
        ("agreement_status_changed", None),
        ("entitlement_granted", {"grant_id": "grant-9"}),
    ]
    found = entitlement_rules.holdings_differences("C-1", holdings, entries)
    grant = holdings.grants[0].grant_id
    assert {f"grants[{grant}]", "grants[grant-9]"} == {d.field for d in found}


def test_an_erasure_the_history_never_recorded_is_reported(program: Program) -> None:
    """A live account's row marked erased by hand (the account then refuses every
    change as ``account_erased``) is reported: the history records no erasure."""
    cid = register_active(program)
    rows = LedgerRows(program)
    text = rows.get_record(CANDIDATE, cid)
    assert text is not None
    data = json.loads(text)
    data["erased_at"] = "2011-02-01T00:00:00+00:00"
    rows.put_record(CANDIDATE, cid, json.dumps(data, separators=(",", ":"), sort_keys=True))
    assert {(CANDIDATE, cid, "erased_at")} == fields(program.history.verify(cid))
    said = [(entry.kind, entry.data) for entry in program.history.history(cid)]
    [found] = account_rules.candidate_differences(cid, program.accounts.get_candidate(cid), said)
    assert ("erased_at", "erased", None) == (found.field, found.stored, found.ledger)


def test_an_address_index_entry_deleted_or_moved_is_reported(program: Program) -> None:
    """The ``candidate_email`` entry of a live account's address refuses a second
    account the address: deleted (another registration could take it) or moved to
    another account, it is reported; the account itself verifies clean before."""
    from symprogram.accounts._text import email_key
    from symprogram.accounts.ports import EMAIL_INDEX

    cid = register_active(program)
    other = register_active(program, "other@example.com")
    assert program.history.verify(cid).ok
    address = email_key("ada@example.com")
    with program.store.transaction() as tx:
        tx.index_delete(EMAIL_INDEX, address)
    assert {(EMAIL_INDEX, cid, "email_index")} == fields(program.history.verify(cid))
    with program.store.transaction() as tx:
        tx.index_put(EMAIL_INDEX, address, other)
    [problem] = mismatches(program.history.verify(cid))
    assert (EMAIL_INDEX, cid, "email_index") == (problem.kind, problem.key, problem.field)
    assert program.history.verify(other).ok


@pytest.mark.parametrize("tamper", ["delete", "move"])
def test_an_agreement_index_entry_deleted_or_moved_is_reported(
    program: Program, tamper: str
) -> None:
    """The ``entitlements_agreement_id`` entry gives an agreement to its customer:
    deleted, another customer could record the same ID; moved, the agreement's
    changes would go to another customer. Both are ``aggregate_mismatch`` of the
    customer whose audit records the agreement; the other customer stays clean."""
    from symprogram.entitlements.ports import AGREEMENT_INDEX

    add_customer(program, "C-1", "A-1")
    add_customer(program, "C-2", "A-2")
    audit = program.entitlements
    assert audit.verify("C-1").ok
    with program.store.transaction() as tx:
        if tamper == "delete":
            tx.index_delete(AGREEMENT_INDEX, "A-1")
        else:
            tx.index_delete(AGREEMENT_INDEX, "A-1")
            tx.index_put(AGREEMENT_INDEX, "A-1", "C-2")
    [problem] = mismatches(audit.verify("C-1"))
    assert (AGREEMENT_INDEX, "A-1", f"{AGREEMENT_INDEX}[A-1]") == (
        problem.kind,
        problem.key,
        problem.field,
    )
    assert ("C-2" in problem.message) == (tamper == "move")
    assert audit.verify("C-2").ok


@given(
    said=st.dictionaries(
        st.sampled_from(["entitlements_agreement_id", "entitlements_extension_id"]),
        st.sets(st.sampled_from(["A-1", "A-2", "X-1"]), max_size=3),
    ),
    owners=st.dictionaries(
        st.tuples(
            st.sampled_from(["entitlements_agreement_id", "entitlements_extension_id"]),
            st.sampled_from(["A-1", "A-2", "X-1"]),
        ),
        st.sampled_from(["C-1", "C-2"]),
    ),
)
def test_the_index_rule_reports_exactly_the_ids_not_indexed_to_the_customer(
    said: dict[str, set[str]], owners: dict[tuple[str, str], str]
) -> None:
    """``owner_index_differences``: one difference per said ID whose entry is missing or
    names another customer, none for an ID the audit does not name."""
    found = entitlement_rules.owner_index_differences("C-1", said, owners)
    expected = {
        (index, i) for index, ids in said.items() for i in ids if owners.get((index, i)) != "C-1"
    }
    assert expected == {(d.kind, d.key) for d in found}
    assert all(d.ledger == "C-1" and d.stored == owners.get((d.kind, d.key)) for d in found)
