"""Life cycles across contexts through ``Program`` (issues 3, 4 and 6)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from acceptance_helpers import clock_of, db_path, make_program, raw_rows, register

from symprogram import Program
from symprogram.errors import Conflict, NotFound, PermissionDenied, SymprogramError


def test_candidate_to_verified_disclosure_and_revocation(program: Program) -> None:
    """register -> activate -> claim score report -> record exam result -> earn ->
    publish -> verify disclosure -> revoke -> verify shows nothing (issue 4: "a
    revoked or expired disclosure shows nothing"; every step in the history)."""
    clock = clock_of(program)
    accounts, awards = program.accounts, program.awards
    accounts.record_score_report(
        registration_number="REG-0042",
        exam_code="250-315",
        candidate_name="Ada Lovelace",
        email="ada@example.com",
        score=85,
        passing_score=70,
        exam_date=date(2012, 2, 1),
        test_centre="London",
    )
    token = register(program, "ada@example.com")
    with pytest.raises(PermissionDenied):  # not active yet
        accounts.claim_score_report(
            accounts.find_by_email("ada@example.com").candidate_id,  # type: ignore[union-attr]
            "REG-0042",
            name="Ada Lovelace",
        )
    cid = accounts.activate(token).candidate_id
    report = accounts.claim_score_report(cid, "REG-0042", email="ada@example.com")
    assert ["REG-0042"] == [r.registration_number for r in accounts.score_reports(cid)]
    taken = clock.now() - timedelta(days=30)
    awards.record_exam_result(cid, report.exam_code, report.score, taken_at=taken)
    assert 100 == awards.progress(cid, "scs-endpoint").percentage
    grant = awards.earn(cid, "scs-endpoint")
    assert "scs-endpoint" == grant.award_id
    published = awards.publish(cid, ["scs-endpoint"], "hiring@example.com")
    view = awards.verify_disclosure(published.code, recipient_email="hiring@example.com")
    assert ["scs-endpoint"] == [a.award_id for a in view.awards]
    assert view.reason is None
    clock.advance(timedelta(days=1))
    awards.revoke_disclosure(cid, published.disclosure.disclosure_id)
    after = awards.verify_disclosure(published.code)
    assert () == tuple(after.awards)
    assert after.holder_name is None
    assert "disclosure_revoked" == after.reason
    kinds = [entry.kind for entry in program.history.read(cid)]
    for expected in (
        "terms_accepted",
        "candidate_registered",
        "account_status_changed",
        "score_report_claimed",
        "exam_result_recorded",
        "award_granted",
        "awards_published",
        "disclosure_verified",
        "disclosure_revoked",
    ):
        assert expected in kinds
    assert program.history.verify(cid).ok


def test_second_claim_is_refused_and_opens_an_incident(program: Program) -> None:
    """ "a second claim of a claimed report is refused and opens a support incident"."""
    program.accounts.record_score_report(
        registration_number="REG-7",
        exam_code="250-315",
        candidate_name="Ada Lovelace",
        email="ada@example.com",
        score=85,
        passing_score=70,
        exam_date=date(2012, 2, 1),
        test_centre="London",
    )
    first = program.accounts.activate(register(program, "ada@example.com")).candidate_id
    second = program.accounts.activate(register(program, "eve@example.com")).candidate_id
    program.accounts.claim_score_report(first, "REG-7", name="Ada Lovelace")
    with pytest.raises(Conflict) as caught:
        program.accounts.claim_score_report(second, "REG-7", name="Ada Lovelace")
    assert "score_report_already_claimed" == caught.value.code
    assert 1 == len(program.accounts.incidents(second))


def test_revoked_award_shows_as_revoked_to_the_verifier(program: Program) -> None:
    """An award revoked after publishing shows as such ("an award revoked or expired
    after publishing shows as such"), and a disclosure never reveals an award not chosen."""
    from acceptance_helpers import register_active

    clock = clock_of(program)
    cid = register_active(program, "ada@example.com")
    awards = program.awards
    awards.record_exam_result(cid, "250-315", 90, taken_at=clock.now() - timedelta(days=5))
    awards.record_exam_result(cid, "ST0-091", 90, taken_at=clock.now() - timedelta(days=5))
    earned = {g.award_id for g in awards.evaluate(cid)}
    assert {"scs-endpoint", "sts-endpoint"} <= earned
    published = awards.publish(cid, ["scs-endpoint"], "hr@example.com")
    awards.revoke(cid, "scs-endpoint", reason="exam fraud")
    view = awards.verify_disclosure(published.code)
    assert ["scs-endpoint"] == [a.award_id for a in view.awards]
    assert "revoked" == str(view.awards[0].status)


def test_consent_grant_withdraw_denies(program: Program) -> None:
    """grant -> withdraw -> may_use denies ("withdraw after grant always denies"), and
    withdrawing through another channel is one call."""
    consent = program.consent
    consent.grant("cust-42", "special_offers", channel="web_form", evidence="box ticked")
    assert consent.may_use("cust-42", "special_offers", channel="email").allowed
    clock_of(program).advance(timedelta(hours=1))
    consent.withdraw("cust-42", "special_offers", channel="phone")
    decision = consent.may_use("cust-42", "special_offers", channel="email")
    assert not decision.allowed
    assert decision.has("withdrawn")
    assert consent.verify("cust-42").ok
    assert "cust-42" not in set(consent.audience("special_offers", "email"))


def test_newsletter_preference_follows_consent(program: Program) -> None:
    """Newsletters respect the consent context's answer (issue 3)."""
    from acceptance_helpers import register_active

    cid = register_active(program, "ada@example.com")
    program.accounts.set_notification_preference(cid, "newsletters", True)
    program.consent.opt_out(cid, "newsletters", channel="email_reply")
    setting = program.accounts.notification_setting(cid, "newsletters")
    assert not setting.effective


MARKERS = (
    "Zebulon Quxworthy",
    "zq-marker@example.org",
    "77 Quxworthy Lane",
    "QX-CARD-4111111111111111",
    "Zebulon Q. Corrected",
    "evidence-zq-9f1",
)


def test_erasure_leaves_no_personal_data_in_the_sqlite_file(tmp_path: Path) -> None:
    """After ``consent.erase`` no personal data is left in any table of the SQLite file
    nor anywhere in its raw bytes after closing (issue 6: "erasure leaves no personal
    data in any table of the SQLite file"), and the ledger still verifies."""
    with make_program("sqlite", tmp_path) as program:
        consent = program.consent
        consent.grant("subj-1", "special_offers", channel="web_form", evidence=MARKERS[5])
        consent.record_personal_data("subj-1", "order", {"name": MARKERS[0], "address": MARKERS[2]})
        request = consent.request_correction("subj-1", {"name": MARKERS[4]})
        consent.complete_correction("subj-1", request.id)
        consent.grant("subj-2", "research", channel="web_form", evidence="other person")
        text = repr(consent.export("subj-1"))
        assert MARKERS[4] in text
        clock_of(program).advance(timedelta(minutes=5))
        consent.erase("subj-1")
        assert consent.verify("subj-1").ok
        assert not consent.may_use("subj-1", "special_offers").allowed
        assert consent.verify("subj-2").ok
    path = db_path(tmp_path)
    for table in ("sp_records", "sp_index", "sp_streams"):
        dump = repr(raw_rows(path, table))
        for marker in (MARKERS[0], MARKERS[2], MARKERS[4], MARKERS[5]):
            assert marker not in dump, (table, marker)
    files = [path, *(Path(f"{path}{s}") for s in ("-wal", "-shm", "-journal"))]
    raw = b"".join(f.read_bytes() for f in files if f.exists())
    for marker in (MARKERS[0], MARKERS[2], MARKERS[4], MARKERS[5]):
        assert marker.encode() not in raw, marker
    assert b"other person" in raw  # control: the other subject's data is still there


def test_erased_subject_cannot_be_written_again(program: Program) -> None:
    """After erasure nothing more is recorded about the subject (IllegalTransition)."""
    program.consent.grant("subj-9", "research", channel="web_form")
    program.consent.erase("subj-9")
    with pytest.raises(SymprogramError) as caught:
        program.consent.grant("subj-9", "research", channel="web_form")
    assert "subject_erased" == caught.value.code
    with pytest.raises(NotFound):
        program.consent.erase("never-seen")


def test_closed_account_refuses_changes_and_keeps_its_address(program: Program) -> None:
    """pending -> active -> suspended -> active -> closed; a closed account refuses
    changes and its address stays reserved (docs/accounts.md)."""
    from acceptance_helpers import register_active

    cid = register_active(program, "ada@example.com")
    program.accounts.suspend(cid, "audit")
    with pytest.raises(PermissionDenied):
        program.accounts.authenticate("ada@example.com", "correct horse battery staple")
    program.accounts.reinstate(cid)
    assert (
        cid
        == program.accounts.authenticate(
            "ada@example.com", "correct horse battery staple"
        ).candidate_id
    )
    program.accounts.close(cid, "bye")
    with pytest.raises(SymprogramError) as caught:
        program.accounts.suspend(cid, "again")
    assert caught.value.code in {"account_closed", "illegal_transition"}
    assert cid == program.accounts.find_by_email("ada@example.com").candidate_id  # type: ignore[union-attr]
    assert program.history.verify(cid).ok
