"""A candidate's stored awards checked against the account history (``aggregate_mismatch``).

A tamper probe found that the awards record of a candidate could be edited beside
a keyed ledger without ``verify`` seeing it: a grant added by hand answered an
active certification the candidate never earned, a revoked grant put back from a
backup answered active again, a failed result deleted was gone. The account
history's verification now also compares the stored exam results and grants with
its ``exam_result_recorded``, ``award_granted``, ``award_renewed`` and
``award_revoked`` entries (``symprogram.awards.rules.awards_differences``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import ProgramFactory, register_active
from symprogram import Program
from symprogram._anchors import AggregateMismatch
from symprogram.accounts import PostalAddress
from symprogram.awards import awards_anchor_check
from symprogram.awards import rules as award_rules
from symprogram.awards.models import CandidateAwards, KitAddress, KitStatus
from symprogram.errors import IntegrityError, SymprogramError
from symprogram.history import AccountHistory
from symprogram.ids import CandidateId
from symprogram.ledger import Verification
from symprogram.serialization import loads_without
from symprogram.storage.memory import MemoryStore

KEY = b"awards anchors ledger key, 32 by"
AWARDS = "award_candidate"
DISCLOSURES = "award_disclosure"
KITS = "award_kit"
EXAM, AWARD = "SSE-EP", "sse-endpoint"
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def _earned(program: Program, cid: str) -> str:
    """Pass the exam and earn the award; return the grant's id."""
    taken = program.clock.now() - timedelta(days=1)
    program.awards.record_exam_result(cid, EXAM, 90, taken_at=taken)
    [grant] = program.awards.evaluate(cid)
    return grant.grant_id


def _fields(result: Verification) -> set[str]:
    return {p.field for p in result.problems if isinstance(p, AggregateMismatch)}


def _edit(rows: LedgerRows, cid: str, change: Callable[[dict[str, Any]], object]) -> None:
    """Rewrite the stored awards record of ``cid`` with ``change(data)`` applied."""
    text = rows.get_record(AWARDS, cid)
    assert text is not None
    data = json.loads(text)
    change(data)
    rows.put_record(AWARDS, cid, json.dumps(data, separators=(",", ":"), sort_keys=True))


@pytest.mark.backends("memory", "sqlite", "sqlalchemy", "postgresql", "mariadb")
def test_a_grant_added_by_hand_is_reported(backend: str, make_program: ProgramFactory) -> None:
    """A certification written into the record without an ``award_granted`` entry
    answers active, and ``verify`` / ``verify_all`` report it."""
    program = make_program(backend, ledger_key=KEY)
    cid = register_active(program)
    grant = _earned(program, cid)
    assert program.history.verify(cid).ok
    forged = {
        "award_id": "sse-information-management",
        "expires_at": "2013-03-01T09:30:00+00:00",
        "grant_id": "forged-1",
        "granted_at": "2012-03-01T09:30:00+00:00",
        "renewals": [],
        "revoke_reason": None,
        "revoked_at": None,
    }
    _edit(LedgerRows(program), cid, lambda data: data["grants"].append(forged))
    held = {h.award_id for h in program.awards.awards_of(cid)}
    assert {AWARD, "sse-information-management"} == held  # the forgery answers...
    result = program.history.verify(cid)
    assert {"grants[forged-1]"} == _fields(result)  # ...and is reported
    assert [cid] == [f.subject for f in program.history.verify_all()]
    assert grant not in str(result.problems)


def test_a_revoked_grant_put_back_and_an_edited_result_are_reported(program: Program) -> None:
    """The record from before a revocation, put back, answers active again: the
    history says revoked. A score edited, a result deleted: both reported."""
    cid = register_active(program)
    grant = _earned(program, cid)
    rows = LedgerRows(program)
    before = rows.get_record(AWARDS, cid)
    program.awards.revoke(cid, AWARD, reason="misconduct")
    rows.put_record(AWARDS, cid, before)
    assert {f"grants[{grant}].revoked"} == _fields(program.history.verify(cid))
    [result] = program.awards.exam_results_of(cid)
    _edit(rows, cid, lambda data: data["results"][0].update(score=100))
    assert f"results[{result.result_id}].score" in _fields(program.history.verify(cid))
    _edit(rows, cid, lambda data: data.update(results=[]))
    assert f"results[{result.result_id}]" in _fields(program.history.verify(cid))


def test_a_renewal_rolled_back_is_reported(program: Program) -> None:
    """The record from before a renewal, put back, has the old expiry."""
    cid = register_active(program)
    grant = _earned(program, cid)
    rows = LedgerRows(program)
    before = rows.get_record(AWARDS, cid)
    program.clock.advance(timedelta(days=330))  # inside the 60-day renewal window
    program.awards.record_exam_result(
        cid, EXAM, 90, taken_at=program.clock.now() - timedelta(days=1)
    )
    program.awards.renew(cid, AWARD)
    assert program.history.verify(cid).ok
    after = rows.get_record(AWARDS, cid)
    assert after is not None
    data = json.loads(after)
    data["grants"] = json.loads(before or "{}")["grants"]
    rows.put_record(AWARDS, cid, json.dumps(data, separators=(",", ":"), sort_keys=True))
    assert {f"grants[{grant}].expires_at"} == _fields(program.history.verify(cid))


def test_a_revoked_disclosure_put_back_is_reported(program: Program) -> None:
    """A disclosure the candidate revoked, put back from before the revocation, would
    show the awards to the third party again: reported, as is a disclosure deleted."""
    cid = register_active(program)
    _earned(program, cid)
    published = program.awards.publish(cid, [AWARD], "hiring@example.com")
    did = published.disclosure.disclosure_id
    rows = LedgerRows(program)
    before = rows.get_record(DISCLOSURES, did)
    program.awards.revoke_disclosure(cid, did)
    assert program.history.verify(cid).ok
    rows.put_record(DISCLOSURES, did, before)
    [problem] = program.history.verify(cid).problems
    assert {"kind": DISCLOSURES, "key": did, "field": "revoked"} == problem.details
    rows.put_record(DISCLOSURES, did, None)
    assert {"disclosure"} == _fields(program.history.verify(cid))


def test_a_hand_built_history_checks_awards_once_told_to(program: Program) -> None:
    """``awards_anchor_check`` is what a program registers; a history built by hand
    over the same store reports the forged grant only once it is added."""
    cid = register_active(program)
    _earned(program, cid)
    _edit(LedgerRows(program), cid, lambda data: data.update(grants=[]))
    plain = AccountHistory(program.store, ledger=program.history.ledger)
    assert plain.verify(cid).ok
    plain.add_anchor_check(awards_anchor_check)
    assert len(_fields(plain.verify(cid))) == 1


def _certified(program: Program, cid: str) -> None:
    """Pass 250-315 and ST0-091: SCS Endpoint is earned, with an achievement kit."""
    taken = program.clock.now() - timedelta(days=1)
    program.awards.record_exam_result(cid, "250-315", 85, taken_at=taken)
    program.awards.record_exam_result(cid, "ST0-091", 85, taken_at=taken)
    program.awards.evaluate(cid)


def _with_address(program: Program, cid: str) -> None:
    address = PostalAddress(lines=("12 St James's Square",), city="London", country="GB")
    program.accounts.update_contact_details(cid, postal_address=address)


def _edit_kit(rows: LedgerRows, kit_id: str, **changes: object) -> None:
    text = rows.get_record(KITS, kit_id)
    assert text is not None
    data = {**json.loads(text), **changes}
    rows.put_record(KITS, kit_id, json.dumps(data, separators=(",", ":"), sort_keys=True))


@pytest.mark.backends("memory", "sqlite", "sqlalchemy", "postgresql", "mariadb")
def test_a_shipped_kit_put_back_as_queued_is_reported(
    backend: str, make_program: ProgramFactory
) -> None:
    """A shipped achievement kit whose row is put back from before the shipping would
    be shipped again: the history says shipped, so ``get_kit`` refuses it and
    ``verify`` reports its status; a kit deleted, or moved to another candidate, is reported too."""
    program = make_program(backend, ledger_key=KEY)
    cid = register_active(program)
    _with_address(program, cid)
    _certified(program, cid)
    kit = program.awards.kits_of(cid)[0]
    rows = LedgerRows(program)
    queued = rows.get_record(KITS, kit.kit_id)
    assert KitStatus.SHIPPED == program.awards.ship_kit(kit.kit_id).status
    assert program.history.verify(cid).ok
    rows.put_record(KITS, kit.kit_id, queued)
    with pytest.raises(IntegrityError) as caught:  # no longer read as queued...
        program.awards.get_kit(kit.kit_id)
    assert "record_corrupt" == caught.value.code
    [problem] = program.history.verify(cid).problems  # ...and verify reports it
    assert {"kind": KITS, "key": kit.kit_id, "field": "status"} == problem.details
    assert [cid] == [f.subject for f in program.history.verify_all()]
    _edit_kit(rows, kit.kit_id, candidate_id="SP-OTHER", status="shipped")
    assert {"candidate_id"} == _fields(program.history.verify(cid))
    rows.put_record(KITS, kit.kit_id, None)
    assert {"kit"} == _fields(program.history.verify(cid))


def test_a_kit_the_history_never_made_is_reported_on_the_record(program: Program) -> None:
    """A kit ID added to the candidate's record without a ``kit_queued`` or ``kit_held``
    entry is reported (``kits[ID]``); an erased kit entry leaves every kit's status
    unknown, so none is reported."""
    cid = register_active(program)
    _certified(program, cid)
    kit = program.awards.kits_of(cid)[0]
    assert KitStatus.HELD == kit.status  # no postal address on file
    _edit(LedgerRows(program), cid, lambda data: data["kit_ids"].append("forged-kit"))
    assert {"kits[forged-kit]"} == _fields(program.history.verify(cid))
    state = CandidateAwards(cid)  # no results nor grants: only kits are compared
    made = {"kit_id": kit.kit_id, "award_id": kit.award_id}
    address = KitAddress("Ada Lovelace", "ada@example.com", ("London",), "GB")
    shipped = attrs.evolve(kit, status=KitStatus.SHIPPED, address=address, hold_reason=None)
    listed = attrs.evolve(state, kit_ids=(kit.kit_id,))
    erased: list[tuple[str, dict[str, object] | None]] = [("kit_held", made), ("kit_shipped", None)]
    assert () == award_rules.awards_differences(cid, listed, erased, kits={kit.kit_id: shipped})
    [status] = award_rules.awards_differences(cid, listed, erased[:1], kits={kit.kit_id: shipped})
    assert ("status", "shipped", "held") == (status.field, status.stored, status.ledger)
    [unlisted] = award_rules.awards_differences(cid, state, erased[:1], kits={kit.kit_id: kit})
    assert (f"kits[{kit.kit_id}]", None, "recorded") == (
        unlisted.field,
        unlisted.stored,
        unlisted.ledger,
    )


AWARD_STEPS = (
    "pass",
    "fail",
    "evaluate",
    "renew",
    "revoke",
    "publish",
    "withdraw",
    "later",
    "certify",
    "address",
    "ship",
    "deliver",
    "remind",
)


@pytest.mark.backends("memory", "sqlite", "sqlalchemy", "postgresql", "mariadb")
def test_a_kit_or_disclosure_put_back_after_the_erasure_is_not_read(
    backend: str, make_program: ProgramFactory
) -> None:
    """A kit or disclosure row put back from before the person's erasure would show
    their name and postal address again: ``get_kit``, ``kits_of`` and
    ``disclosures_of`` refuse it (``record_corrupt``), as ``verify`` reports it."""
    program = make_program(backend, ledger_key=KEY)
    cid = register_active(program)
    _with_address(program, cid)
    _certified(program, cid)
    [kit] = program.awards.kits_of(cid)
    did = program.awards.publish(cid, ["scs-endpoint"], "hr@example.com").disclosure.disclosure_id
    rows = LedgerRows(program)
    kit_row, disclosure_row = rows.get_record(KITS, kit.kit_id), rows.get_record(DISCLOSURES, did)
    program.erase_person(cid, reason="request")
    assert () == program.history.verify_all()
    rows.put_record(KITS, kit.kit_id, kit_row)
    for read in (lambda: program.awards.get_kit(kit.kit_id), lambda: program.awards.kits_of(cid)):
        with pytest.raises(IntegrityError) as caught:
            read()
        assert "record_corrupt" == caught.value.code
    rows.put_record(DISCLOSURES, did, disclosure_row)
    with pytest.raises(IntegrityError) as caught:
        program.awards.disclosures_of(cid)
    assert "record_corrupt" == caught.value.code
    assert {"erased"} == _fields(program.history.verify(cid))


def _move_kits(program: Program, cid: str, step: str) -> None:
    """Ship (or deliver) every kit of ``cid`` that can be."""
    awards = program.awards
    for kit in awards.kits_of(cid):
        ship = awards.ship_kit if step == "ship" else awards.deliver_kit
        with suppress(SymprogramError):
            ship(kit.kit_id)


def _read_all(program: Program, cid: str) -> None:
    """Read every kit and disclosure of ``cid`` (each read checks its row)."""
    for kit in program.awards.kits_of(cid):
        assert kit == program.awards.get_kit(kit.kit_id)
    program.awards.disclosures_of(cid)


@settings(max_examples=25, deadline=None, suppress_health_check=HEALTH)
@given(steps=st.lists(st.sampled_from(AWARD_STEPS), max_size=10), erase=st.booleans())
def test_legitimate_awards_life_cycles_never_report_a_mismatch(
    make_program: ProgramFactory, steps: list[str], erase: bool
) -> None:
    """Random awards life cycles (results passed and failed, evaluations, renewals,
    revocations, publications, kits held, released, shipped and delivered, time
    passing; then perhaps an erasure) verify without
    any ``aggregate_mismatch``; a stored record emptied afterwards is reported once
    the history recorded anything of the awards."""
    program = make_program("memory", ledger_key=KEY)
    cid = register_active(program)
    awards = program.awards
    recorded = False
    for step in steps:
        with suppress(SymprogramError):  # a refused step changes nothing
            taken = program.clock.now() - timedelta(hours=1)
            if step in ("pass", "fail"):
                awards.record_exam_result(cid, EXAM, 90 if step == "pass" else 10, taken_at=taken)
                recorded = True
            elif step == "evaluate":
                awards.evaluate(cid)
            elif step == "renew":
                awards.renew(cid, AWARD)
            elif step == "revoke":
                awards.revoke(cid, AWARD, reason="audit")
            elif step == "publish":
                awards.publish(cid, [AWARD], "hiring@example.com")
            elif step == "withdraw":
                for disclosure in awards.disclosures_of(cid):
                    awards.revoke_disclosure(cid, disclosure.disclosure_id)
            elif step == "certify":
                _certified(program, cid)
                recorded = True
            elif step == "address":
                _with_address(program, cid)
            elif step == "remind":
                awards.send_expiry_reminders(within=timedelta(days=400))
            elif step in ("ship", "deliver"):
                _move_kits(program, cid, step)
            else:
                program.clock.advance(timedelta(days=110))
    if erase:
        program.erase_person(cid, reason="request")
    _read_all(program, cid)  # the reads take what the erasure left
    assert set() == _fields(program.history.verify(cid))
    assert () == program.history.verify_all()
    if recorded and not erase:
        _edit(LedgerRows(program), cid, lambda data: data.update(results=[]))
        assert _fields(program.history.verify(cid))


def test_the_awards_rule_skips_what_erased_entries_no_longer_say(program: Program) -> None:
    """An erased grant entry hides which grant it was: a stored grant the ledger does
    not name is not reported, nor any grant's expiry; results are still compared."""
    cid = register_active(program)
    grant = _earned(program, cid)
    record = LedgerRows(program).get_record(AWARDS, cid)
    assert record is not None
    state = loads_without(record, CandidateAwards, frozenset({"version"}))
    [result] = state.results
    entries: list[tuple[str, dict[str, object] | None]] = [
        ("exam_result_recorded", {"result_id": result.result_id, "score": 1}),
        ("award_granted", None),
        ("award_renewed", {"grant_id": grant, "new_expiry": "2099-01-01T00:00:00+00:00"}),
    ]
    found = award_rules.awards_differences(cid, state, entries)
    assert {f"results[{result.result_id}].score"} == {d.field for d in found}
    assert () == award_rules.awards_differences(cid, None, [("kit_queued", {})])
    [missing] = award_rules.awards_differences(cid, None, entries[:1])
    assert (f"results[{result.result_id}]", None, "recorded") == (
        missing.field,
        missing.stored,
        missing.ledger,
    )


def test_the_disclosure_rule_compares_what_the_record_lists_and_the_history_names(
    program: Program,
) -> None:
    """A disclosure the record lists that the history does not name is reported on
    the record; an erased ``disclosure_revoked`` leaves every disclosure's
    revocation unknown."""
    cid = register_active(program)
    _earned(program, cid)
    did = program.awards.publish(cid, [AWARD], "hiring@example.com").disclosure.disclosure_id
    record = LedgerRows(program).get_record(AWARDS, cid)
    assert record is not None
    state = loads_without(record, CandidateAwards, frozenset({"version"}))
    [stored] = program.awards.disclosures_of(cid)
    published = {"disclosure_id": did, "award_ids": [AWARD], "expires_at": "2099-01-01"}
    entries: list[tuple[str, dict[str, object] | None]] = [
        ("exam_result_recorded", None),  # erased: the results and grants are not compared
        ("award_granted", None),
        ("awards_published", published),
    ]
    [expiry] = award_rules.awards_differences(cid, state, entries, {did: stored})
    assert (DISCLOSURES, did, "expires_at") == (expiry.kind, expiry.key, expiry.field)
    unknown = [*entries, ("disclosure_revoked", None)]
    revoked = attrs.evolve(stored, revoked_at=stored.created_at)
    found = award_rules.awards_differences(cid, state, unknown, {did: revoked})
    assert {"expires_at"} == {d.field for d in found}
    [listed] = award_rules.awards_differences(cid, state, entries[:2], {})
    assert (f"disclosures[{did}]", "recorded", None) == (listed.field, listed.stored, listed.ledger)


@pytest.mark.backends("memory", "sqlite", "sqlalchemy", "postgresql", "mariadb")
def test_awards_written_in_for_a_candidate_without_history_are_reported(
    backend: str, make_program: ProgramFactory
) -> None:
    """An awards record (a grant, a disclosure) stored for a candidate ID whose history
    is empty answers a certification nobody earned; ``verify`` and ``verify_all``
    report it before anyone looks it up, even with the key and no digest."""
    program = make_program(backend, ledger_key=KEY)
    rows = LedgerRows(program)
    cid = register_active(program)
    grant = _earned(program, cid)
    assert program.verify_all().ok
    forged_id = CandidateId.generate().display
    text = rows.get_record(AWARDS, cid)
    assert text is not None
    rows.put_record(AWARDS, forged_id, text.replace(cid, forged_id))
    assert f"grants[{grant}]" in _fields(program.history.verify(forged_id))
    [failure] = program.verify_all().failures
    assert f"history:{forged_id}" == failure.subject
    assert f"grants[{grant}]" in _fields(failure)


def test_a_program_checks_every_stored_candidate_and_awards_record() -> None:
    """The record kinds a program's account history checks by key are the accounts'
    and the awards' candidate records; other kinds are refused."""
    from symprogram._bridges import AWARDS_ANCHOR_KINDS, CANDIDATE_ANCHOR_KINDS
    from symprogram.accounts.ports import CANDIDATE_KIND as ACCOUNT_KIND
    from symprogram.awards.ports import CANDIDATE_KIND as AWARDS_KIND

    assert ((ACCOUNT_KIND,), (AWARDS_KIND,)) == (CANDIDATE_ANCHOR_KINDS, AWARDS_ANCHOR_KINDS)
    history = AccountHistory(MemoryStore())
    for kinds in ("candidate", [""], [1]):
        with pytest.raises(SymprogramError) as refused:
            history.add_anchor_check(awards_anchor_check, kinds=kinds)  # type: ignore[arg-type]
        assert "invalid_key" == refused.value.code


@pytest.mark.backends("memory", "sqlite", "sqlalchemy", "postgresql", "mariadb")
def test_a_disclosure_written_in_by_hand_is_never_shown(
    backend: str, make_program: ProgramFactory
) -> None:
    """A disclosure record written in by hand over a real holder's awards, with a code
    and a holder name of the writer's choosing, is refused by ``verify_disclosure``
    (``record_corrupt``) instead of showing the certification; listed in the
    candidate's record too, ``verify_all`` reports it."""
    program = make_program(backend, ledger_key=KEY)
    rows = LedgerRows(program)
    cid = register_active(program)
    _earned(program, cid)
    published = program.awards.publish(cid, [AWARD], "hiring@example.com")
    text = rows.get_record(DISCLOSURES, published.disclosure.disclosure_id)
    assert text is not None
    forged = json.loads(text)
    code = "forged-code-" + published.code
    forged |= {
        "disclosure_id": "f" * 20,
        "holder_name": "Mallory Forger",
        "code_digest": award_rules.code_digest(code),
    }
    rows.put_record(DISCLOSURES, "f" * 20, json.dumps(forged))
    with program.store.transaction() as tx:
        tx.index_put("award_disclosure_code", forged["code_digest"], "f" * 20)
    with pytest.raises(IntegrityError) as refused:
        program.awards.verify_disclosure(code, recipient_email="hiring@example.com")
    assert "record_corrupt" == refused.value.code
    view = program.awards.verify_disclosure(published.code, recipient_email="hiring@example.com")
    assert [AWARD] == [shown.award_id for shown in view.awards]
    _edit(rows, cid, lambda data: data["disclosure_ids"].append("f" * 20))
    assert f"disclosures[{'f' * 20}]" in _fields(program.history.verify(cid))


def test_an_expiry_reminder_mark_changed_by_hand_is_reported(program: Program) -> None:
    """The expiry a grant was reminded of is anchored by ``expiry_reminder_sent``: a mark
    cleared (the reminder would be sent again) or set by hand (it would never be sent)
    is reported as ``grants[ID].reminded``; the untouched record verifies."""
    cid = register_active(program)
    grant = _earned(program, cid)
    assert 1 == program.awards.send_expiry_reminders(within=timedelta(days=400))
    assert program.history.verify(cid).ok
    assert () == program.history.verify_all()
    rows = LedgerRows(program)
    _edit(rows, cid, lambda data: data["grants"][0].update(reminded_expiry=None))
    assert {f"grants[{grant}].reminded"} == _fields(program.history.verify(cid))
    other = register_active(program, "bob@example.com")
    other_grant = _earned(program, other)
    assert program.history.verify(other).ok
    expiry = json.loads(rows.get_record(AWARDS, other) or "{}")["grants"][0]["expires_at"]
    _edit(rows, other, lambda data: data["grants"][0].update(reminded_expiry=expiry))
    assert {f"grants[{other_grant}].reminded"} == _fields(program.history.verify(other))
