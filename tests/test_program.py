"""The Program facade wires the four contexts together; journeys across them work."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from _programs import fast_options
from symprogram import (
    FixedClock,
    Outbox,
    PermissionDenied,
    Program,
    StorageError,
    ValidationError,
)
from symprogram._bridges import remote_access_evidence
from symprogram.accounts import PostalAddress
from symprogram.storage.memory import MemoryStore

T0 = datetime(2011, 1, 10, 9, tzinfo=UTC)
FAST = fast_options()


@pytest.fixture
def clock() -> FixedClock:
    """The programs of this module (the shared ``program`` fixture) start at T0, before
    the handbooks became gated on 2011-01-15."""
    return FixedClock(T0)


def _register(program: Program, email: str = "ada@example.com") -> str:
    receipt = program.accounts.accept_terms(path="create_account")
    assert receipt.token is not None
    program.accounts.register(
        terms_receipt=receipt.token,
        email=email,
        password="correct horse battery staple 7",
        given_name="Ada",
        family_name="Lovelace",
        company_name="Analytical Engines Ltd",
        partner_company="Babbage Partners",
        preferred_language="en-GB",
        postal_address=PostalAddress(lines=("12 St James's Square",), city="London", country="GB"),
    )
    assert isinstance(program.notifier, Outbox)
    token = program.notifier.last("activation", to=email).data["token"]
    return str(program.accounts.activate(token).candidate_id)


def test_certification_journey_across_contexts(program: Program) -> None:
    """Register, activate, pass an exam, earn, publish, verify, revoke: the seed 000 journey."""
    cid = _register(program)
    assert program.accounts.has_accepted_current_terms(cid)
    program.awards.record_exam_result(cid, "250-310", 90, taken_at=T0, version="11.0")
    granted = program.awards.evaluate(cid)
    assert "scs-endpoint-11" in [g.award_id for g in granted]
    kits = program.awards.kits_of(cid)
    assert kits, "earning an award queues an achievement kit"
    assert "ada@example.com" == kits[0].address.email
    assert "London" in " ".join(kits[0].address.postal_address)
    published = program.awards.publish(cid, ["scs-endpoint-11"], "hr@partner.example")
    view = program.awards.verify_disclosure(published.code)
    assert ["scs-endpoint-11"] == [a.award_id for a in view.awards]
    program.awards.revoke_disclosure(cid, published.disclosure.disclosure_id)
    assert () == program.awards.verify_disclosure(published.code).awards
    kinds = [e.kind for e in program.history.history(cid)]
    assert len(kinds) >= 5
    assert program.history.verify(cid).ok


def test_newsletters_follow_the_consent_ledger(program: Program) -> None:
    """Accounts' newsletter preference is in effect only while consent allows it: not
    after the switch was turned off (an opt-out in consent) until a grant, not after a
    withdrawal, not after an opt-out (issue 3; issue 16: the switch is a view of consent)."""
    cid = _register(program)
    program.accounts.set_notification_preference(cid, "newsletters", False)
    assert not program.accounts.get_notification_setting(cid, "newsletters").effective
    program.consent.grant(cid, "newsletters", channel="web_form", evidence="signup form")
    assert program.accounts.get_notification_setting(cid, "newsletters").effective
    program.consent.withdraw(cid, "newsletters", channel="email_reply")
    assert not program.accounts.get_notification_setting(cid, "newsletters").effective
    program.consent.grant(cid, "newsletters", channel="web_form", evidence="signup again")
    assert program.accounts.get_notification_setting(cid, "newsletters").effective
    program.consent.opt_out(cid, "newsletters", channel="email_reply")
    setting = program.accounts.get_notification_setting(cid, "newsletters")
    assert not setting.effective


def test_remote_access_needs_express_consent_to_the_current_terms(program: Program) -> None:
    """Seed 001: "Before implementing such remote access we will require your express consent"."""
    ents = program.entitlements
    ents.add_agreement(
        "cust-1",
        agreement_id="AG-1",
        level="business_critical_services",
        products=["Endpoint Protection"],
        starts_on=date(2011, 1, 1),
        ends_on=date(2011, 12, 31),
        by="staff",
    )
    ents.open_case(
        "cust-1",
        case_id="CASE-1",
        product="Endpoint Protection",
        severity="high",
        summary="clients do not update",
        by="cust-1",
    )
    with pytest.raises(PermissionDenied) as info:
        ents.start_remote_session("CASE-1", by="engineer")
    assert "remote_access_consent_required" == info.value.code
    version = ents.catalogue.remote_access.version
    program.consent_to_remote_access("cust-1", channel="web_form")
    evidence = program.consent.granted_evidence("cust-1", "remote_access")
    assert remote_access_evidence(version) == evidence
    session = ents.start_remote_session("CASE-1", by="engineer")
    assert (version, "engineer") == (session.terms_version, session.started_by)
    ents.end_remote_session("CASE-1", session.session_id, by="engineer")
    program.consent.withdraw("cust-1", "remote_access", channel="phone")
    with pytest.raises(PermissionDenied):
        ents.start_remote_session("CASE-1", by="engineer")


def test_options_for_unknown_services_are_refused() -> None:
    """A typo in the options mapping raises ValidationError unknown_service."""
    with pytest.raises(ValidationError) as info:
        Program.in_memory(options={"acounts": {}})
    assert "unknown_service" == info.value.code


def test_program_refuses_things_that_are_not_stores_or_clocks() -> None:
    """Program() checks its store and clock arguments."""
    with pytest.raises(ValidationError) as info:
        Program("sqlite:///x.db")  # type: ignore[arg-type]
    assert "invalid_store" == info.value.code
    with pytest.raises(ValidationError) as info:
        Program(MemoryStore(), clock=object())  # type: ignore[arg-type]
    assert "invalid_clock" == info.value.code


def test_closed_program_refuses_work(tmp_path: Path) -> None:
    """After the with block the store is closed and services refuse units of work."""
    with Program.open(f"sqlite:///{tmp_path}/closed.db", options=FAST) as program:
        program.consent.get_policy()
    with pytest.raises(StorageError) as info:
        program.accounts.accept_terms(path="create_account")
    assert "store_closed" == info.value.code


def test_data_survives_reopening_the_file(tmp_path: Path) -> None:
    """A candidate registered in one Program is there when the file is opened again."""
    url = f"sqlite:///{tmp_path}/persist.db"
    clock = FixedClock(T0)
    with Program.open(url, clock=clock, options=FAST) as program:
        cid = _register(program)
    with Program.open(url, clock=clock, options=FAST) as program:
        assert "ada@example.com" == program.accounts.contact_details(cid).email
        assert program.history.verify(cid).ok
