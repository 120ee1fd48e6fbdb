"""Score reports are anchored in the account history (``score_report_recorded``).

A score report used to be stored with no ledger entry: a row written into the
database by hand (any exam, any score, the writer's own name and address) could be
claimed, and a stored score edited, while ``verify_all()`` stayed ok. Now each
report's own history subject (``~score-report:<number>``) records its exam fields
and a keyed digest of its name and address; the reads refuse a report that
differs, or has no entry in a store marked as anchoring, and ``verify_all()``
reports it. Legacy reports are anchored by ``anchor_score_reports``.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import ProgramFactory, record_report, register_active, reported_mismatches
from symprogram import Program
from symprogram.accounts import ScoreReportErased, ScoreReportRecorded
from symprogram.accounts import rules as account_rules
from symprogram.errors import IntegrityError
from symprogram.ledger_keys import LedgerKeys
from symprogram.testing.strategies import score_reports

KEY = b"score report anchors ledger key!!"
NUMBER = "REG-0001"
SUBJECT = "~score-report:REG-0001"
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def _row(program: Program, number: str) -> dict[str, Any]:
    text = LedgerRows(program).get_record("score_report", number)
    assert text is not None
    return dict(json.loads(text))


def _put_row(program: Program, number: str, row: dict[str, Any]) -> None:
    """Write a score report row through the storage layer, as by hand."""
    LedgerRows(program).put_record("score_report", number, json.dumps(row))


def _forge(program: Program, number: str, **fields: Any) -> None:
    """A report written in by hand under ``number``: a copy of REG-0001's row with ``fields``."""
    _put_row(program, number, {**_row(program, NUMBER), "registration_number": number, **fields})


def _refused(action: Any) -> str:
    with pytest.raises(IntegrityError) as caught:
        action()
    return caught.value.code


def _markers(program: Program) -> list[str]:
    """The kinds of the entries of every store marker subject (``~score-reports:…``)."""
    rows = LedgerRows(program)
    return [
        kind
        for stream in rows.keys("ledger_head")
        if stream.startswith("history:~score-reports:")
        for kind in (e.kind for e in program.history.history(stream.partition(":")[2]))
    ]


def _drop_anchors(program: Program, *numbers: str) -> None:
    """What an earlier build left: the reports without their subjects, no store marker."""
    rows = LedgerRows(program)
    markers = [s for s in rows.keys("ledger_head") if s.startswith("history:~score-reports:")]
    for stream in (*(f"history:~score-report:{n}" for n in numbers), *markers):
        rows.put_stream(stream, [])
        rows.put_head(stream, None)


def _record(program: Program, number: str, email: str, score: int = 85) -> None:
    program.accounts.record_score_report(
        registration_number=number,
        exam_code="250-315",
        candidate_name="Eve Forger",
        email=email,
        score=score,
        passing_score=70,
        exam_date=date(2012, 2, 1),
        test_centre="Paris",
    )


# -- recording and claiming -------------------------------------------------------------


def test_a_recorded_report_is_anchored_and_claimed_as_before(
    make_program: ProgramFactory, backend: str
) -> None:
    """Recording appends ``score_report_recorded`` under the report's own subject (exam
    fields, a keyed digest, never the name or address) and marks the new store; the
    claim journey, the reads and ``verify_all()`` work as before."""
    program = make_program(backend, ledger_key=KEY)
    record_report(program)
    [entry] = program.history.history(SUBJECT)
    assert "score_report_recorded" == entry.kind
    data = entry.data or {}
    assert {"exam_code": "250-315", "score": 85, "passing_score": 70}.items() <= data.items()
    assert ("2012-02-01", "London", "recorded") == (
        data["exam_date"],
        data["test_centre"],
        data["method"],
    )
    assert "Ada" not in json.dumps(data) and "ada@" not in json.dumps(data)
    assert LedgerKeys(KEY).current_id == data["personal_key"]
    assert ["score_reports_anchored"] == _markers(program)
    cid = register_active(program)
    claimed = program.accounts.claim_score_report(cid, NUMBER, email="ada@example.com")
    assert cid == claimed.claimed_by
    assert claimed == program.accounts.get_score_report(NUMBER)
    assert (claimed,) == program.accounts.score_reports_of(cid)
    record_report(program, "REG-0002")  # the store is marked once
    assert ["score_reports_anchored"] == _markers(program)
    assert program.verify_all().ok


def test_a_forged_report_is_refused_by_the_claim_and_reported(
    make_program: ProgramFactory, backend: str
) -> None:
    """A row written in by hand under a number of its own (the writer's exam, score,
    name and address): the claim and the read refuse it (``record_corrupt``), nothing
    is written, and ``verify_all()`` reports it."""
    program = make_program(backend, ledger_key=KEY)
    record_report(program)
    assert program.verify_all().ok
    _forge(program, "REG-0666", email="eve@example.com", candidate_name="Eve", score=100)
    eve = register_active(program, "eve@example.com")
    length = len(program.history.history(eve))
    claim = lambda: program.accounts.claim_score_report(eve, "REG-0666", email="eve@example.com")  # noqa: E731
    assert "record_corrupt" == _refused(claim)
    assert "record_corrupt" == _refused(lambda: program.accounts.get_score_report("REG-0666"))
    assert length == len(program.history.history(eve))
    assert _row(program, "REG-0666")["claimed_by"] is None
    assert ("score_report", "REG-0666", "score_report") in reported_mismatches(program)


def test_an_edited_report_is_refused_and_reported(
    make_program: ProgramFactory, backend: str
) -> None:
    """A stored score edited in place, or the address on an unclaimed report changed to
    the writer's: refused by the claim and the read, reported by ``verify_all()``; the
    claimed report's edit too, by ``score_reports``."""
    program = make_program(backend, ledger_key=KEY)
    record_report(program)
    record_report(program, "REG-0002")
    row = _row(program, NUMBER)
    _put_row(program, NUMBER, {**row, "score": 99})
    ada = register_active(program)
    assert "record_corrupt" == _refused(
        lambda: program.accounts.claim_score_report(ada, NUMBER, email="ada@example.com")
    )
    assert ("score_report", NUMBER, "score") in reported_mismatches(program)
    _put_row(program, NUMBER, {**row, "email": "eve@example.com"})
    eve = register_active(program, "eve@example.com")
    assert "record_corrupt" == _refused(
        lambda: program.accounts.claim_score_report(eve, NUMBER, email="eve@example.com")
    )
    assert ("score_report", NUMBER, "personal") in reported_mismatches(program)
    _put_row(program, NUMBER, row)
    assert program.verify_all().ok
    program.accounts.claim_score_report(ada, "REG-0002", email="ada@example.com")
    _put_row(program, "REG-0002", {**_row(program, "REG-0002"), "exam_code": "250-999"})
    assert "record_corrupt" == _refused(lambda: program.accounts.score_reports_of(ada))
    assert ("score_report", "REG-0002", "exam_code") in reported_mismatches(program)


def test_a_deleted_report_is_reported(make_program: ProgramFactory) -> None:
    """An unclaimed report deleted from the store: its subject says it was recorded."""
    program = make_program("memory", ledger_key=KEY)
    record_report(program)
    LedgerRows(program).put_record("score_report", NUMBER, None)
    assert {("score_report", NUMBER, "score_report")} == reported_mismatches(program)


# -- claims recorded in the report's own subject ----------------------------------------


def test_a_claimed_report_put_back_unclaimed_is_refused_and_never_claimed_again(
    make_program: ProgramFactory, backend: str
) -> None:
    """A claim appends ``score_report_claim_recorded`` (naming the claimant) under the
    report's subject; the report's row put back from before the claim (unclaimed) is
    refused by the reads and by another account's claim (``record_corrupt``, field
    ``claimed_by``), which writes nothing, and ``verify_all()`` reports it."""
    program = make_program(backend, ledger_key=KEY)
    record_report(program)
    backup = _row(program, NUMBER)
    ada = register_active(program)
    bob = register_active(program, "bob@example.com")
    program.accounts.claim_score_report(ada, NUMBER, name="Ada Lovelace")
    recorded, claim = program.history.history(SUBJECT)
    assert "score_report_recorded" == recorded.kind
    assert ("score_report_claim_recorded", {"claimed_by": ada}) == (claim.kind, claim.data)
    assert program.verify_all().ok
    _put_row(program, NUMBER, backup)
    length = len(program.history.history(bob))
    accounts = program.accounts
    with pytest.raises(IntegrityError) as caught:
        accounts.claim_score_report(bob, NUMBER, name="Ada Lovelace")
    assert ("record_corrupt", "claimed_by") == (
        caught.value.code,
        caught.value.details["field"],
    )
    assert "record_corrupt" == _refused(lambda: accounts.get_score_report(NUMBER))
    assert "record_corrupt" == _refused(lambda: accounts.score_reports_of(ada))
    assert length == len(program.history.history(bob))
    assert _row(program, NUMBER)["claimed_by"] is None
    assert 2 == len(program.history.history(SUBJECT))
    assert ("score_report", NUMBER, "claimed_by") in reported_mismatches(program)


def test_a_report_claimed_before_claims_were_recorded_stays_readable(
    make_program: ProgramFactory, backend: str
) -> None:
    """A claim made by an earlier build left no ``score_report_claim_recorded`` entry
    (its subject as before the claim): the claimed row is answered as before and
    ``verify_all()`` stays ok; a report recorded in a legacy store and claimed there
    gets its claim entry from ``anchor_score_reports``, with its recorded entry."""
    program = make_program(backend, ledger_key=KEY)
    record_report(program)
    rows = LedgerRows(program)
    before = rows.snapshot(f"history:{SUBJECT}")
    ada = register_active(program)
    claimed = program.accounts.claim_score_report(ada, NUMBER, name="Ada Lovelace")
    rows.restore(before)  # the subject as an earlier build left it
    assert ["score_report_recorded"] == [e.kind for e in program.history.history(SUBJECT)]
    assert claimed == program.accounts.get_score_report(NUMBER)
    assert (claimed,) == program.accounts.score_reports_of(ada)
    assert program.verify_all().ok
    record_report(program, "REG-0002")
    _drop_anchors(program, "REG-0002")
    program.accounts.claim_score_report(ada, "REG-0002", name="Ada Lovelace")
    assert () == program.history.history("~score-report:REG-0002")  # not anchored
    assert 2 == program.accounts.anchor_score_reports()  # REG-0002, and REG-0001's claim
    for subject in (SUBJECT, "~score-report:REG-0002"):
        kinds = [e.kind for e in program.history.history(subject)]
        assert ["score_report_recorded", "score_report_claim_recorded"] == kinds
    assert program.verify_all().ok
    _put_row(program, "REG-0002", {**_row(program, "REG-0002"), "claimed_by": None})
    assert "record_corrupt" == _refused(lambda: program.accounts.get_score_report("REG-0002"))


def _claim_as_the_previous_release(program: Program, cid: str, number: str) -> dict[str, Any]:
    """Claim ``number`` for ``cid`` as the previous release did (the claimant's
    ``score_report_claimed``, but no ``score_report_claim_recorded``: the report's
    subject as it was before the claim; the store stays marked); return the report's
    row from before the claim (a backup)."""
    rows = LedgerRows(program)
    subject = f"~score-report:{number}"
    backup = _row(program, number)
    before = rows.snapshot(f"history:{subject}")
    program.accounts.claim_score_report(cid, number, name="Ada Lovelace")
    rows.restore(before)
    assert ["score_report_recorded"] == [e.kind for e in program.history.history(subject)]
    return backup


def test_claims_of_the_previous_release_are_anchored_in_a_marked_store(
    make_program: ProgramFactory, backend: str
) -> None:
    """A store the previous release wrote is marked and its reports anchored, but a
    report claimed there has no ``score_report_claim_recorded`` entry: the migration
    writes it (a batch at a time, once), so that the report's row put back from
    before the claim is refused (``record_corrupt``) and never claimed a second time."""
    program = make_program(backend, ledger_key=KEY)
    for number in (NUMBER, "REG-0002", "REG-0003"):
        record_report(program, number)
    ada = register_active(program)
    bob = register_active(program, "bob@example.com")
    backup = _claim_as_the_previous_release(program, ada, NUMBER)
    _claim_as_the_previous_release(program, ada, "REG-0002")
    assert ["score_reports_anchored"] == _markers(program)
    assert program.verify_all().ok
    assert 2 == program.accounts.anchor_score_reports(batch=1)
    for number in (NUMBER, "REG-0002"):
        *_, claim = program.history.history(f"~score-report:{number}")
        assert ("score_report_claim_recorded", {"claimed_by": ada}) == (claim.kind, claim.data)
    kinds = [e.kind for e in program.history.history("~score-report:REG-0003")]
    assert ["score_report_recorded"] == kinds  # unclaimed: nothing to anchor
    assert 0 == program.accounts.anchor_score_reports()  # idempotent
    assert 2 == len(program.history.history(SUBJECT))
    assert ["score_reports_anchored"] == _markers(program)
    assert program.verify_all().ok
    _put_row(program, NUMBER, backup)  # put back from before the claim
    length = len(program.history.history(bob))
    with pytest.raises(IntegrityError) as caught:
        program.accounts.claim_score_report(bob, NUMBER, name="Ada Lovelace")
    assert ("record_corrupt", "claimed_by") == (
        caught.value.code,
        caught.value.details["field"],
    )
    assert "record_corrupt" == _refused(lambda: program.accounts.get_score_report(NUMBER))
    assert length == len(program.history.history(bob))
    assert _row(program, NUMBER)["claimed_by"] is None
    assert ("score_report", NUMBER, "claimed_by") in reported_mismatches(program)


def test_a_claim_its_claimant_history_does_not_confirm_is_not_anchored(
    make_program: ProgramFactory, backend: str
) -> None:
    """A row edited before the migration to name an account whose history never
    claimed it (or no account at all) is not vouched for: no claim entry, in a marked
    store or with the report's own anchor, and ``verify_all()`` reports it."""
    program = make_program(backend, ledger_key=KEY)
    record_report(program)
    record_report(program, "REG-0002")
    record_report(program, "REG-0003")
    ada = register_active(program)
    eve = register_active(program, "eve@example.com")
    _claim_as_the_previous_release(program, ada, NUMBER)
    _put_row(program, NUMBER, {**_row(program, NUMBER), "claimed_by": eve})  # ada's claim
    _put_row(program, "REG-0002", {**_row(program, "REG-0002"), "claimed_by": eve})
    _put_row(program, "REG-0003", {**_row(program, "REG-0003"), "claimed_by": "~nobody"})
    assert 0 == program.accounts.anchor_score_reports()
    for number in (NUMBER, "REG-0002", "REG-0003"):
        kinds = [e.kind for e in program.history.history(f"~score-report:{number}")]
        assert ["score_report_recorded"] == kinds
    assert {
        ("score_report", NUMBER, "claimed_by"),  # ada's history names it
        ("score_report", "REG-0002", "score_report"),  # eve's lists no such report
        ("score_report", "REG-0003", "score_report"),
    } <= reported_mismatches(program)
    # a legacy report (no subject, store not marked) gets its entry but not the claim
    _drop_anchors(program, "REG-0002")
    assert 1 == program.accounts.anchor_score_reports()
    kinds = [e.kind for e in program.history.history("~score-report:REG-0002")]
    assert ["score_report_recorded"] == kinds


# -- legacy stores and the migration ----------------------------------------------------


def test_legacy_reports_are_accepted_until_the_migration_anchors_them(
    make_program: ProgramFactory, backend: str
) -> None:
    """Reports recorded by an earlier build (no subject, no marker) are answered and
    claimed; ``anchor_score_reports`` anchors them (idempotent) and marks the store;
    from then on a row written in by hand is refused and reported."""
    program = make_program(backend, ledger_key=KEY)
    for number in (NUMBER, "REG-0002", "REG-0003"):
        record_report(program, number)
    _drop_anchors(program, NUMBER, "REG-0002", "REG-0003")
    _forge(program, "REG-0004", email="old@example.com")  # from before: trusted, as documented
    assert program.verify_all().ok
    ada = register_active(program)
    program.accounts.claim_score_report(ada, "REG-0003", email="ada@example.com")
    assert 4 == program.accounts.anchor_score_reports(batch=1)
    assert 0 == program.accounts.anchor_score_reports()
    assert ["score_reports_anchored"] == _markers(program)
    [entry] = program.history.history(SUBJECT)
    assert "migration" == (entry.data or {})["method"]
    assert program.verify_all().ok
    program.accounts.claim_score_report(ada, NUMBER, email="ada@example.com")
    _forge(program, "REG-0666", email="eve@example.com")
    assert 0 == program.accounts.anchor_score_reports()  # a marked store: nothing laundered
    eve = register_active(program, "eve@example.com")
    assert "record_corrupt" == _refused(
        lambda: program.accounts.claim_score_report(eve, "REG-0666", email="eve@example.com")
    )
    assert ("score_report", "REG-0666", "score_report") in reported_mismatches(program)


def test_a_report_recorded_in_a_legacy_store_does_not_mark_it(
    make_program: ProgramFactory,
) -> None:
    """A new report in a store with legacy ones is anchored, but the store stays
    unmarked (the legacy reports are still answered) until the migration."""
    program = make_program("sqlite", ledger_key=KEY)
    record_report(program)
    _drop_anchors(program, NUMBER)
    record_report(program, "REG-0002")
    assert [] == _markers(program)
    assert NUMBER == program.accounts.get_score_report(NUMBER).registration_number
    assert program.verify_all().ok
    assert 1 == program.accounts.anchor_score_reports()


# -- erasure ----------------------------------------------------------------------------


def test_erasure_drops_the_personal_digest_and_keeps_the_ledger_verifiable(
    make_program: ProgramFactory, backend: str
) -> None:
    """Erasing the person erases the data of each of their reports' entries (the digest
    of the name and address) and appends ``score_report_erased`` with the exam fields:
    ``verify_all()`` stays ok, erasing again writes nothing, and an edited score of the
    erased report is still reported."""
    program = make_program(backend, ledger_key=KEY)
    record_report(program)
    record_report(program, "REG-0002")  # unclaimed, for the same address
    ada = register_active(program)
    program.accounts.claim_score_report(ada, NUMBER, email="ada@example.com")
    program.erase_person(ada, reason="request 1")
    for subject, claimer in ((SUBJECT, ada), ("~score-report:REG-0002", None)):
        first, *_, last = program.history.history(subject)
        assert (None, "score_report_erased") == (first.data, last.kind)
        assert "personal_digest" not in (last.data or {})
        assert 85 == (last.data or {})["score"]
        assert claimer == (last.data or {})["claimed_by"]  # the claim said again
    assert program.verify_all().ok
    program.erase_person(ada, reason="request 1")
    assert 3 == len(program.history.history(SUBJECT))  # recorded, claimed, erased
    assert program.accounts.get_score_report("REG-0002").email != "ada@example.com"
    _put_row(program, "REG-0002", {**_row(program, "REG-0002"), "score": 100})
    assert ("score_report", "REG-0002", "score") in reported_mismatches(program)


def test_erasure_does_not_launder_an_edited_score(make_program: ProgramFactory) -> None:
    """The erased entry says the exam fields the history had, not the stored ones."""
    program = make_program("memory", ledger_key=KEY)
    record_report(program)
    ada = register_active(program)
    _put_row(program, NUMBER, {**_row(program, NUMBER), "score": 100})
    program.erase_person(ada, reason="request 1")
    assert 85 == (program.history.history(SUBJECT)[-1].data or {})["score"]
    assert ("score_report", NUMBER, "score") in reported_mismatches(program)


# -- the rule, over generated reports ---------------------------------------------------

_EXAM = {
    "exam_code": st.just("X-EDITED"),
    "score": st.integers(101, 200),
    "passing_score": st.integers(101, 200),
    "exam_date": st.just(date(1999, 1, 1)),
    "test_centre": st.just("Edited centre, nowhere"),
}


@settings(max_examples=60, suppress_health_check=HEALTH)
@given(
    report=score_reports(),
    field=st.sampled_from(sorted(_EXAM)),
    data=st.data(),
    keyed=st.booleans(),
)
def test_a_report_agrees_with_its_anchor_and_any_edit_is_named(
    report: Any, field: str, data: st.DataObject, keyed: bool
) -> None:
    """Any report agrees with its own ``score_report_recorded`` entry; changing one exam
    field is that field's difference, changing the name or address is ``personal``,
    and the erased report agrees with its ``score_report_erased`` entry."""
    keys = LedgerKeys(KEY) if keyed else None
    event = account_rules.anchored_report_event(
        report, keys, salt="ab" * 16, at=report.recorded_at, method="recorded"
    )
    assert isinstance(event, ScoreReportRecorded)
    pairs = [(event.event_name(), event.payload())]
    number = report.registration_number
    assert [] == account_rules.report_differences(number, report, pairs, keys)
    edited = attrs.evolve(report, **{field: data.draw(_EXAM[field])})
    assert [field] == [
        d.field for d in account_rules.report_differences(number, edited, pairs, keys)
    ]
    renamed = attrs.evolve(report, email="someone.else@example.org", candidate_name="X")
    found = account_rules.report_differences(number, renamed, pairs, keys)
    assert [("personal", True)] == [(d.field, d.personal) for d in found]
    said = account_rules.said_report(pairs)
    erased = account_rules.erased_report_event(number, said, report.recorded_at)
    assert isinstance(erased, ScoreReportErased)
    after = [(event.event_name(), None), (erased.event_name(), erased.payload())]
    assert [] == account_rules.report_differences(
        number, account_rules.erased_report(report), after, keys
    )
    assert [] != account_rules.report_differences(number, report, after, keys)


@settings(max_examples=60, suppress_health_check=HEALTH)
@given(
    report=score_reports(),
    claimer=st.sampled_from(["SP-1111-2222-3333-4", None]),
    named=st.sampled_from(["self", "other", "erased", "none"]),
    recorded_claim=st.booleans(),
    edited=st.booleans(),
)
def test_a_legacy_claim_is_anchored_only_where_its_claimant_confirms_it(
    report: Any, claimer: str | None, named: str, recorded_claim: bool, edited: bool
) -> None:
    """``legacy_claim_event`` names the claimant exactly when the report is claimed,
    agrees with its subject, the subject records no claim, and the claimant's history
    has a ``score_report_claimed`` entry naming that report."""
    number = report.registration_number
    recorded = account_rules.anchored_report_event(
        attrs.evolve(report, claimed_by=None, claimed_at=None),
        None,
        salt="ef" * 16,
        at=report.recorded_at,
        method="migration",
    )
    pairs: list[tuple[str, Any]] = [(recorded.event_name(), recorded.payload())]
    row = attrs.evolve(report, claimed_by=claimer)
    if recorded_claim and claimer is not None:
        claim = account_rules.claimed_report_event(row, report.recorded_at)
        pairs.append((claim.event_name(), claim.payload()))
    if edited:
        row = attrs.evolve(row, score=row.score % 100 + 1000)
    said = {
        "self": [("score_report_claimed", {"registration_number": number})],
        "other": [("score_report_claimed", {"registration_number": number + "-X"})],
        "erased": [("score_report_claimed", None)],
        "none": [],
    }[named]
    event = account_rules.legacy_claim_event(row, pairs, said, keys=None, at=report.recorded_at)
    wanted = claimer is not None and named == "self" and not recorded_claim and not edited
    assert wanted == (event is not None)
    if event is not None:
        assert (claimer, f"~score-report:{number}") == (event.claimed_by, event.subject)


@settings(max_examples=60, suppress_health_check=HEALTH)
@given(
    report=score_reports(),
    claimer=st.sampled_from(["SP-1111-2222-3333-4", "SP-5555-6666-7777-8"]),
    stored=st.sampled_from([None, "SP-1111-2222-3333-4", "SP-5555-6666-7777-8"]),
    erased=st.booleans(),
)
def test_a_recorded_claim_pins_the_claimant_of_the_stored_report(
    report: Any, claimer: str, stored: str | None, erased: bool
) -> None:
    """Once a report's subject records a claim (``score_report_claim_recorded``, or the
    ``score_report_erased`` entry saying it again after an erasure), the stored report
    differs (field ``claimed_by``) exactly when another account, or none, claimed it;
    a subject that records no claim leaves the stored claim uncompared."""
    number = report.registration_number
    recorded = account_rules.anchored_report_event(
        attrs.evolve(report, claimed_by=None, claimed_at=None),
        None,
        salt="cd" * 16,
        at=report.recorded_at,
        method="recorded",
    )
    claimed = attrs.evolve(report, claimed_by=claimer)
    claim = account_rules.claimed_report_event(claimed, report.recorded_at)
    pairs = [(recorded.event_name(), recorded.payload()), (claim.event_name(), claim.payload())]
    row = attrs.evolve(report, claimed_by=stored)
    if erased:
        said = account_rules.said_report(pairs)
        event = account_rules.erased_report_event(number, said, report.recorded_at)
        assert event is not None and claimer == event.claimed_by
        pairs = [(kind, None) for kind, _ in pairs] + [(event.event_name(), event.payload())]
        row = account_rules.erased_report(row)
    fields = [d.field for d in account_rules.report_differences(number, row, pairs, None)]
    assert (["claimed_by"] if stored != claimer else []) == fields
    unclaimed = [d.field for d in account_rules.report_differences(number, row, pairs[:1], None)]
    assert "claimed_by" not in unclaimed
