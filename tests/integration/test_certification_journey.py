"""The certification journey (issue 4, awards): requirements and progress, earning,
expiry and renewal, kits, publishing and verifying a disclosure, each bullet
exercised through ``Program`` with the real accounts context behind the awards
(kits, names, terms), on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from integration_helpers import (
    START,
    clock_of,
    earn_scs_endpoint,
    register,
    register_active,
)

from _programs import ProgramFactory, record_report
from symprogram import Program
from symprogram.accounts import PostalAddress
from symprogram.awards import AwardCatalogue, AwardStatus, DisclosureStatus, KitStatus
from symprogram.errors import (
    CatalogueError,
    IllegalTransition,
    NotFound,
    PermissionDenied,
    SymprogramError,
)

DAY = timedelta(days=1)


def status(program: Program, cid: str, award_id: str, at: datetime | None = None) -> str | None:
    """The status of ``award_id`` for ``cid`` at ``at`` (None when never held)."""
    for holding in program.awards.awards_of(cid, at):
        if holding.award_id == award_id:
            return str(holding.status)
    return None


def test_bad_host_catalogue_is_refused_naming_the_entry(tmp_path: Path) -> None:
    """A host catalogue with a bad requirement raises CatalogueError naming the entry."""
    path = tmp_path / "program.toml"
    path.write_text(
        'format = 1\n[exams."E-1"]\ntitle = "E"\n'
        '[awards.a]\nname = "A"\nkind = "certification"\n'
        'requires = { at_least = 3, of = [{ exam = "E-1" }] }\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError) as info:
        AwardCatalogue.load(path)
    assert "awards.a" in (info.value.field or "")


def test_n_of_m_and_minimum_credits_gate_the_professional_award(program: Program) -> None:
    """SCP Data Protection needs two of four data-protection awards AND 50 credits
    from its exams; progress lists what is missing and grows monotonically."""
    cid = register_active(program)
    taken = START - DAY
    for exam in ("ST0-148", "ST0-192"):  # 10 + 10 credits; STS Backup Exec + STS NetBackup
        program.awards.record_exam_result(cid, exam, 90, taken_at=taken)
    program.awards.evaluate(cid)
    partial = program.awards.progress(cid, "scp-data-protection")
    assert (False, "active", "active") == (
        partial.met,
        status(program, cid, "sts-backup-exec"),
        status(program, cid, "sts-netbackup"),
    )
    assert [m.path for m in partial.missing] != []
    assert any("credit" in m.description.lower() for m in partial.missing)
    assert status(program, cid, "scp-data-protection") is None
    program.awards.record_exam_result(cid, "250-316", 90, taken_at=taken)  # 40 credits
    still = program.awards.progress(cid, "scp-data-protection")
    assert not still.met
    assert partial.percentage <= still.percentage
    program.awards.record_exam_result(cid, "250-371", 90, taken_at=taken)  # 60 credits
    program.awards.evaluate(cid)
    assert "active" == status(program, cid, "scp-data-protection")
    assert 100 == program.awards.progress(cid, "scp-data-protection").percentage


def test_retired_exam_is_met_by_its_replacement(program: Program) -> None:
    """STS Endpoint is written against the retired ST0-085; a pass of its replacement
    ST0-091 meets it."""
    cid = register_active(program)
    program.awards.record_exam_result(cid, "ST0-091", 80, taken_at=START - DAY)
    program.awards.evaluate(cid)
    assert "active" == status(program, cid, "sts-endpoint")


def test_retired_award_is_kept_until_expiry_but_not_issued_again(program: Program) -> None:
    """SCS EP 11 earned before its retirement stays active after it, until it expires;
    it cannot be renewed once retired."""
    cid = register_active(program)
    program.awards.record_exam_result(cid, "250-310", 80, taken_at=START - DAY, version="11.0")
    (grant,) = [g for g in program.awards.evaluate(cid) if g.award_id == "scs-endpoint-11"]
    after_retirement = datetime(2012, 7, 15, tzinfo=UTC)
    assert "active" == status(program, cid, "scs-endpoint-11", after_retirement)
    assert grant.expires_at is not None
    assert "expired" == status(program, cid, "scs-endpoint-11", grant.expires_at)
    clock_of(program).set(after_retirement)
    with pytest.raises(IllegalTransition) as info:
        program.awards.renew(cid, "scs-endpoint-11")
    assert "award_retired" == info.value.code


def test_renewing_the_higher_award_renews_the_included_one(program: Program) -> None:
    """Renewal extends from the current expiry, for SCS EP and the STS EP it includes."""
    cid = register_active(program)
    earn_scs_endpoint(program, cid)
    before = {h.award_id: h.expires_at for h in program.awards.awards_of(cid)}
    clock_of(program).advance(timedelta(days=700))
    renewed = {h.award_id: h.expires_at for h in program.awards.renew(cid, "scs-endpoint")}
    assert {"scs-endpoint", "sts-endpoint"} == set(renewed)
    for award_id, until in renewed.items():
        old = before[award_id]
        assert old is not None and until is not None
        assert old + timedelta(days=730) == until


def test_once_expired_renewal_requires_earning_again(program: Program) -> None:
    """After expiry renew is refused (``award_expired``); a new pass earns it again."""
    cid = register_active(program)
    earn_scs_endpoint(program, cid)
    clock_of(program).advance(timedelta(days=732))
    assert "expired" == status(program, cid, "scs-endpoint")
    with pytest.raises(IllegalTransition) as info:
        program.awards.renew(cid, "scs-endpoint")
    assert "award_expired" == info.value.code
    earn_scs_endpoint(program, cid)
    assert "active" == status(program, cid, "scs-endpoint")


def test_kit_is_queued_and_shipped_to_the_current_contact_details(program: Program) -> None:
    """Earning queues a kit addressed to the candidate's contact details in accounts;
    shipping uses the details current at that moment."""
    cid = register_active(program)
    # A kit is queued only with a postal address on file (issue 16; otherwise it is held).
    program.accounts.update_contact_details(
        cid,
        postal_address=PostalAddress(lines=("12 St James's Square",), city="London", country="GB"),
    )
    earn_scs_endpoint(program, cid)
    (kit,) = [k for k in program.awards.kits_of(cid) if k.award_id == "scs-endpoint"]
    assert (KitStatus.QUEUED, "Ada Lovelace", "ada@example.com") == (
        kit.status,
        kit.address.name,
        kit.address.email,
    )
    program.accounts.update_contact_details(
        cid,
        family_name="King",
        postal_address=PostalAddress(lines=("Ockham Park",), city="Ockham", country="GB"),
    )
    shipped = program.awards.ship_kit(kit.kit_id, tracking="1Z")
    assert ("Ada King", "GB", KitStatus.SHIPPED) == (
        shipped.address.name,
        shipped.address.country,
        shipped.status,
    )
    assert "Ockham Park" in shipped.address.postal_address
    assert KitStatus.DELIVERED == program.awards.deliver_kit(kit.kit_id).status


def test_disclosure_shows_only_chosen_awards_with_current_status_and_logs_every_check(
    program: Program,
) -> None:
    """A disclosure stores a hashed recipient, shows only the chosen awards with their
    current status (revoked after publishing shows revoked; expired shows expired);
    revoked or expired disclosures show nothing; every verification is logged."""
    cid = register_active(program)
    earn_scs_endpoint(program, cid)
    published = program.awards.publish(
        cid, ["sts-endpoint"], "HR@example.com", ttl=timedelta(days=365)
    )
    disclosure = published.disclosure
    assert "hr@example.com" not in repr(disclosure).lower()
    view = program.awards.verify_disclosure(published.code)
    assert (DisclosureStatus.ACTIVE, ["sts-endpoint"], "Ada Lovelace") == (
        view.status,
        [a.award_id for a in view.awards],
        view.holder_name,
    )
    clock_of(program).advance(DAY)
    program.awards.revoke(cid, "sts-endpoint", reason="misconduct")
    assert [AwardStatus.REVOKED] == [
        a.status for a in program.awards.verify_disclosure(published.code).awards
    ]
    second = program.awards.publish(cid, ["scs-endpoint"], "b@example.com", ttl=timedelta(days=2))
    clock_of(program).advance(timedelta(days=3))
    gone = program.awards.verify_disclosure(second.code)
    assert ((), None, "disclosure_expired") == (gone.awards, gone.holder_name, gone.reason)
    program.awards.revoke_disclosure(cid, disclosure.disclosure_id)
    revoked = program.awards.verify_disclosure(published.code)
    assert ((), None, "disclosure_revoked") == (revoked.awards, revoked.holder_name, revoked.reason)
    with pytest.raises(NotFound):
        program.awards.verify_disclosure("not-a-real-code-0123456789")
    outcomes = [r.outcome for r in program.awards.verification_log(cid, disclosure.disclosure_id)]
    assert ["shown", "shown", "disclosure_revoked"] == outcomes
    assert ["disclosure_expired"] == [
        r.outcome for r in program.awards.verification_log(cid, second.disclosure.disclosure_id)
    ]


def test_expired_award_in_an_open_disclosure_shows_expired(
    backend: str, make_program: ProgramFactory
) -> None:
    """An award that expires while its disclosure is open is shown as expired."""
    with make_program(backend, start=START - timedelta(days=360)) as program:
        cid = register_active(program)
        program.awards.record_exam_result(cid, "SSE-EP", 80, taken_at=program.now())
        program.awards.evaluate(cid)
        clock_of(program).set(START)
        code = program.awards.publish(cid, ["sse-endpoint"], "hr@example.com").code
        clock_of(program).advance(timedelta(days=10))
        view = program.awards.verify_disclosure(code)
        assert [AwardStatus.EXPIRED] == [a.status for a in view.awards]


def test_every_award_change_is_in_the_account_history(program: Program) -> None:
    """Exam results, grants, kits, publishing, verification and revocation append to
    the candidate's account history, which verifies."""
    cid = register_active(program)
    earn_scs_endpoint(program, cid)
    published = program.awards.publish(cid, ["scs-endpoint"], "hr@example.com")
    program.awards.verify_disclosure(published.code)
    program.awards.revoke_disclosure(cid, published.disclosure.disclosure_id)
    kinds = {e.kind for e in program.history.history(cid)}
    assert {"awards_published", "disclosure_verified"} <= kinds
    assert len(kinds) >= 7
    assert program.history.verify(cid).ok


def test_candidate_to_verified_disclosure_and_revocation(program: Program) -> None:
    """register -> activate -> claim score report -> record exam result -> earn ->
    publish -> verify disclosure -> revoke -> verify shows nothing (issue 4: "a
    revoked or expired disclosure shows nothing"; every step in the history)."""
    clock = clock_of(program)
    accounts, awards = program.accounts, program.awards
    record_report(program, "REG-0042")
    token = register(program, "ada@example.com")
    with pytest.raises(PermissionDenied):  # not active yet
        accounts.claim_score_report(
            accounts.find_by_email("ada@example.com").candidate_id,  # type: ignore[union-attr]
            "REG-0042",
            name="Ada Lovelace",
        )
    cid = accounts.activate(token).candidate_id
    report = accounts.claim_score_report(cid, "REG-0042", email="ada@example.com")
    assert ["REG-0042"] == [r.registration_number for r in accounts.score_reports_of(cid)]
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
    kinds = [entry.kind for entry in program.history.history(cid)]
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


def test_revoked_award_shows_as_revoked_to_the_verifier(program: Program) -> None:
    """An award revoked after publishing shows as such ("an award revoked or expired
    after publishing shows as such"), and a disclosure never reveals an award not chosen."""
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


def test_every_refusal_of_publishing_has_a_documented_code(program: Program) -> None:
    """ "publish your certifications to third parties via email" (the Terms of Use
    v.2007.507): every refusal a caller can cause while publishing, verifying or
    revoking is a ``SymprogramError`` whose code the awards page's "Error codes"
    table lists, over-long addresses, codes and identifiers included."""
    cid = register_active(program)
    earn_scs_endpoint(program, cid)
    awards = program.awards
    long_address = "a" * 300 + "@example.com"
    calls = [
        lambda: awards.publish(cid, ["scs-endpoint"], long_address),
        lambda: awards.verify_disclosure("x" * 5000),
        lambda: awards.verify_disclosure("code", recipient_email=long_address),
        lambda: awards.revoke_disclosure(cid, "x" * 5000),
        lambda: awards.get_kit("x" * 5000),
        lambda: awards.awards_of("x" * 5000),
    ]
    docs = Path(__file__).resolve().parents[2] / "docs" / "awards.md"
    table = docs.read_text(encoding="utf-8").split("## Error codes", 1)[1]
    for call in calls:
        with pytest.raises(SymprogramError) as info:
            call()
        code, kind = info.value.code, type(info.value).__name__
        assert any(f"`{kind}`" in row and f"`{code}`" in row for row in table.splitlines()), (
            kind,
            code,
        )
