"""The candidate's journey (issue 3, accounts): terms, registration, activation, the
account life cycle, contact details, passwords, score reports, incidents and the
history, each bullet exercised through ``Program`` on every backend."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from integration_helpers import (
    PASSWORD,
    START,
    clock_of,
    earn_scs_endpoint,
    last,
    outbox_of,
    record_report,
    register,
    register_active,
    snapshot,
)

from _programs import ProgramFactory
from symprogram import Program
from symprogram.accounts import (
    AcceptancePath,
    AccountsService,
    AccountStatus,
    IncidentStatus,
    TermsCatalogue,
    TermsVersion,
)
from symprogram.errors import (
    Conflict,
    IllegalTransition,
    NotFound,
    PermissionDenied,
    SymprogramError,
    TokenError,
    ValidationError,
)


def refused(
    program: Program, error: type[SymprogramError], code: str, call: Callable[[], Any]
) -> SymprogramError:
    """``call`` raises ``error`` with ``code`` and leaves storage and the outbox unchanged."""
    before, sent = snapshot(program), len(outbox_of(program))
    with pytest.raises(error) as info:
        call()
    assert code == info.value.code
    assert before == snapshot(program)
    assert sent == len(outbox_of(program))
    return info.value


def test_terms_document_has_version_effective_date_and_text_digest(program: Program) -> None:
    """The seed's Terms of Use ``2007.507`` carries its effective date and the SHA-256
    digest of its text; an acceptance records who, which version (and digest), when,
    which path, and says it is not an agreement to participate."""
    (terms,) = TermsCatalogue.default().versions
    assert "2007.507" == terms.version
    assert "2007-05-07" == terms.effective.date().isoformat()
    assert hashlib.sha256(terms.text.encode("utf-8")).hexdigest() == terms.digest
    receipt = program.accounts.accept_terms(path="score_report")
    acceptance = receipt.acceptance
    assert (terms.version, terms.digest, AcceptancePath.SCORE_REPORT, START) == (
        acceptance.terms_version,
        acceptance.terms_digest,
        acceptance.path,
        acceptance.accepted_at,
    )
    assert acceptance.is_agreement_to_participate is False
    assert receipt.token is not None
    register(program, "ada@example.com", terms_receipt=receipt.token)
    cid = str(last(program, "activation").data["candidate_id"])
    bound = program.accounts.get_candidate(cid).terms
    assert bound is not None
    assert (cid, AcceptancePath.SCORE_REPORT) == (bound.candidate_id, bound.path)


def _two_versions(make_program: ProgramFactory, backend: str) -> Program:
    old = TermsCatalogue.default().versions[0]
    newer = TermsVersion.create("2012.301", START + timedelta(hours=12), "Terms of Use", "New")
    return make_program(backend, options={"accounts": {"catalogue": TermsCatalogue([old, newer])}})


def test_register_claim_and_publish_are_refused_until_current_terms_are_accepted(
    backend: str, make_program: ProgramFactory
) -> None:
    """Registering, claiming a report and publishing a certification are all refused
    once a newer terms version is in effect, until the candidate accepts it."""
    with _two_versions(make_program, backend) as program:
        cid = register_active(program)
        record_report(program)
        earn_scs_endpoint(program, cid)
        stale = program.accounts.accept_terms(path="create_account").token
        assert stale is not None
        clock_of(program).advance(timedelta(hours=13))
        refused(
            program,
            PermissionDenied,
            "terms_not_accepted",
            lambda: program.accounts.register(
                terms_receipt="",
                email="bob@example.com",
                password="correct horse battery staple",
                given_name="Bob",
                family_name="B",
                company_name="C",
                partner_company="P",
                preferred_language="en",
            ),
        )
        with pytest.raises(PermissionDenied) as outdated:
            register(program, "bob@example.com", terms_receipt=stale)
        assert "terms_outdated" == outdated.value.code
        assert program.accounts.find_by_email("bob@example.com") is None
        refused(
            program,
            PermissionDenied,
            "terms_outdated",
            lambda: program.accounts.claim_score_report(cid, "REG-0001", name="Ada Lovelace"),
        )
        refused(
            program,
            PermissionDenied,
            "terms_not_accepted",
            lambda: program.awards.publish(cid, ["scs-endpoint"], "hr@example.com"),
        )
        program.accounts.accept_terms(path="create_account", candidate_id=cid)
        assert (
            "REG-0001"
            == (
                program.accounts.claim_score_report(cid, "REG-0001", name="Ada Lovelace")
            ).registration_number
        )
        program.awards.publish(cid, ["scs-endpoint"], "hr@example.com")
        register(program, "bob@example.com")
        assert program.accounts.find_by_email("bob@example.com") is not None


def test_registration_outcome_does_not_reveal_a_known_email(program: Program) -> None:
    """Registering a known address returns the same receipt shape, issues no new
    candidate ID, and notifies the existing owner instead."""
    cid = register_active(program)
    receipt = program.accounts.accept_terms(path="create_account")
    assert receipt.token is not None
    again = program.accounts.register(
        terms_receipt=receipt.token,
        email="ADA@example.com",
        password="another good passphrase",
        given_name="Eve",
        family_name="E",
        company_name="C",
        partner_company="P",
        preferred_language="de-AT",
    )
    fresh_receipt = program.accounts.accept_terms(path="create_account").token
    assert fresh_receipt is not None
    fresh = program.accounts.register(
        terms_receipt=fresh_receipt,
        email="eve@example.com",
        password="another good passphrase",
        given_name="Eve",
        family_name="E",
        company_name="C",
        partner_company="P",
        preferred_language="de-AT",
    )
    assert attrs.asdict(fresh).keys() == attrs.asdict(again).keys()
    assert ("ADA@example.com", START) == (again.email, again.requested_at)
    notice = last(program, "registration_attempt")
    assert ("ada@example.com", cid) == (notice.to, notice.data["candidate_id"])
    assert [cid] == [program.accounts.find_by_email("ada@example.com").candidate_id]  # type: ignore[union-attr]


def test_registering_again_while_pending_gives_the_steps_to_activate(program: Program) -> None:
    """ "New users to the system will be issued a candidate ID and advised of steps to
    complete the account activation process" (the Terms of Use v.2007.507): an owner
    who registers again while the account is pending (the activation e-mail lost, its
    link expired) is sent a fresh activation link with the candidate ID, not a
    password reset that would not let them log in."""
    register(program, "ada@example.com")
    cid = str(last(program, "activation").data["candidate_id"])
    clock_of(program).advance(timedelta(days=8))  # the first link has expired
    register(program, "ada@example.com")
    notice = last(program, "registration_attempt")
    assert ("ada@example.com", cid, "activation") == (
        notice.to,
        notice.data["candidate_id"],
        notice.data["link"],
    )
    assert cid in notice.body and "activation" in notice.body
    with pytest.raises(TokenError):  # an activation link, not a reset link
        program.accounts.reset_password(str(notice.data["token"]), PASSWORD + "!")
    assert AccountStatus.ACTIVE == program.accounts.activate(str(notice.data["token"])).status
    assert cid == program.accounts.authenticate("ada@example.com", PASSWORD).candidate_id


@pytest.mark.parametrize("field", ["email", "company_name", "partner_company"])
def test_registration_requires_the_email_company_and_partner_company(
    program: Program, field: str
) -> None:
    """ "You will be required to provide or verify required personal information such
    as email address, company name and Partner Company" (the Terms of Use
    v.2007.507): a registration without one of them is refused and writes nothing,
    and the receipt still works for the completed form."""
    receipt = program.accounts.accept_terms(path="create_account").token
    assert receipt is not None
    form = {
        "terms_receipt": receipt,
        "email": "ada@example.com",
        "password": PASSWORD,
        "given_name": "Ada",
        "family_name": "Lovelace",
        "company_name": "Analytical Engines",
        "partner_company": "Babbage & Co",
        "preferred_language": "en-GB",
    }
    code = "invalid_email" if field == "email" else "field_required"
    error = refused(
        program,
        ValidationError,
        code,
        lambda: program.accounts.register(**{**form, field: "  "}),
    )
    assert field == error.field
    program.accounts.register(**form)
    assert "activation" == last(program, "activation", to="ada@example.com").kind


def test_new_candidate_is_pending_until_activation(program: Program) -> None:
    """A new user gets a candidate ID and is pending activation until the token is used."""
    token = register(program, "ada@example.com")
    cid = str(last(program, "activation").data["candidate_id"])
    assert AccountStatus.PENDING_ACTIVATION == program.accounts.get_candidate(cid).status
    assert AccountStatus.ACTIVE == program.accounts.activate(token).status


def _real(state: dict[str, Any]) -> dict[str, Any]:
    """A :func:`snapshot` without the stand-ins (``~stand-in:`` keys, written for nobody),
    and with the request logs' texts only (every request writes its address's log; one
    beyond a limit writes it back with the same counts)."""
    records = {
        k: (v[1] if k[0] == "account_request_log" else v)
        for k, v in state["records"].items()
        if not k[1].startswith("~stand-in:")
    }
    return {**state, "records": records}


def test_activation_resend_is_limited(program: Program) -> None:
    """Resending the activation link is limited per address within the window: beyond
    the limit the call returns as usual, sends nothing and changes no real record (its
    request log written back with the same counts), its link and message being
    stand-ins as an unknown address's are (issue 18: a limit throttles messages, it is
    never a refusal and never shows in the writes)."""
    register(program, "ada@example.com")
    limit = program.accounts.settings.resend_limit
    for _ in range(limit):
        program.accounts.resend_activation("ada@example.com")
    before, sent = _real(snapshot(program)), len(outbox_of(program))
    assert program.accounts.resend_activation("ada@example.com") is None
    assert (before, sent) == (_real(snapshot(program)), len(outbox_of(program)))
    clock_of(program).advance(program.accounts.settings.resend_window)
    program.accounts.resend_activation("ada@example.com")
    assert sent + 1 == len(outbox_of(program))


# status -> (method name, arguments) that must be refused with ``illegal_transition``
ILLEGAL: dict[str, list[str]] = {
    "pending_activation": ["suspend", "reinstate"],
    "active": ["reinstate"],
    "suspended": ["suspend"],
    "closed": ["suspend", "reinstate", "close"],
}


def _candidate_in(program: Program, status: str) -> str:
    if status == "pending_activation":
        register(program, "ada@example.com")
        return str(last(program, "activation").data["candidate_id"])
    cid = register_active(program)
    if status == "suspended":
        program.accounts.suspend(cid, "review")
    elif status == "closed":
        program.accounts.close(cid, "left")
    return cid


@pytest.mark.parametrize(
    ("status", "action"), [(s, a) for s, actions in ILLEGAL.items() for a in actions]
)
def test_every_illegal_account_transition_is_refused(
    program: Program, status: str, action: str
) -> None:
    """Every account status change the life cycle pending -> active -> suspended /
    closed does not allow raises IllegalTransition ``illegal_transition`` naming
    from and to, and changes nothing."""
    cid = _candidate_in(program, status)
    assert status == str(program.accounts.get_candidate(cid).status)
    call: Callable[[], Any] = {
        "suspend": lambda: program.accounts.suspend(cid, "again"),
        "reinstate": lambda: program.accounts.reinstate(cid),
        "close": lambda: program.accounts.close(cid),
    }[action]
    error = refused(program, IllegalTransition, "illegal_transition", call)
    assert status == error.details["from"]
    assert error.message


def test_closing_kills_a_pending_activation_link(program: Program) -> None:
    """pending -> closed: the outstanding activation link no longer activates."""
    token = register(program, "ada@example.com")
    cid = str(last(program, "activation").data["candidate_id"])
    program.accounts.close(cid)
    with pytest.raises(TokenError) as info:
        program.accounts.activate(token)
    assert info.value.code in {"token_revoked", "token_invalid"}
    assert AccountStatus.CLOSED == program.accounts.get_candidate(cid).status


def test_contact_details_not_reviewed_for_the_period_are_flagged(program: Program) -> None:
    """ "keep your contact information current": after the configurable period the
    details are flagged; a review clears the flag; updates are in the history."""
    cid = register_active(program)
    program.accounts.update_contact_details(cid, company_name="New Co")
    changes = program.accounts.history(cid)[-1].data
    assert changes is not None
    assert [("company_name", "Analytical Engines", "New Co")] == [
        (c["field"], c["old"], c["new"]) for c in changes["changes"]
    ]
    clock_of(program).advance(program.accounts.settings.contact_review_period)
    assert ("contact_review_due",) == program.accounts.contact_review(cid).codes
    assert [cid] == list(program.accounts.iter_contact_reviews_due())
    program.accounts.confirm_contact_details(cid)
    assert program.accounts.contact_review(cid).allowed


def test_a_closed_account_is_not_asked_to_review_its_contact_details(program: Program) -> None:
    """ "keep all of your contact information current ... in order to ensure we can
    contact you as necessary" (the Terms of Use v.2007.507): a closed or erased
    account, which cannot update its details and is contacted no more, is not due for
    a review; ``contact_review`` and ``iter_contact_reviews_due`` agree."""
    open_one = register_active(program, "ada@example.com")
    closed = register_active(program, "bob@example.com")
    erased = register_active(program, "eve@example.com")
    program.accounts.close(closed, "leaving")
    program.erase_person(erased, reason="asked")
    clock_of(program).advance(program.accounts.settings.contact_review_period)
    assert ("contact_review_due",) == program.accounts.contact_review(open_one).codes
    for cid in (closed, erased):
        review = program.accounts.contact_review(cid)
        assert (True, ("account_closed",)) == (review.allowed, review.codes)
    assert [open_one] == list(program.accounts.iter_contact_reviews_due())


@pytest.mark.parametrize("change", ["password", "email"])
def test_old_reset_tokens_die_when_password_or_email_changes(program: Program, change: str) -> None:
    """A reset link issued before a password change or an e-mail change is refused."""
    cid = register_active(program)
    program.accounts.request_password_reset("ada@example.com")
    old = str(last(program, "password_reset").data["token"])
    if change == "password":
        program.accounts.change_password(cid, "correct horse battery staple", "a new passphrase!")
    else:
        program.accounts.request_email_change(cid, "ada@lovelace.org")
        assert "ada@example.com" == program.accounts.contact_details(cid).email
        program.accounts.confirm_email_change(
            str(last(program, "email_verification").data["token"])
        )
        assert "ada@lovelace.org" == program.accounts.contact_details(cid).email
    refused(
        program,
        TokenError,
        "token_revoked",
        lambda: program.accounts.reset_password(old, "yet another passphrase"),
    )


def test_password_reset_does_not_enumerate_accounts(program: Program) -> None:
    """A reset request for an unknown address returns like a known one and sends nothing."""
    register_active(program)
    sent = len(outbox_of(program))
    program.accounts.request_password_reset("nobody@example.com")
    assert sent == len(outbox_of(program))


def test_second_claim_is_refused_and_opens_an_incident(program: Program) -> None:
    """A report claimed once is refused to a second account, which gets an incident."""
    record_report(program)
    ada = register_active(program)
    program.accounts.claim_score_report(ada, "REG-0001", email="ada@example.com")
    eve = register_active(program, "eve@example.com")
    with pytest.raises(Conflict) as info:
        program.accounts.claim_score_report(eve, "reg-0001", name="Ada Lovelace")
    assert "score_report_already_claimed" == info.value.code
    (incident,) = program.accounts.incidents_of(eve)
    assert (info.value.details["incident_id"], IncidentStatus.OPEN) == (
        incident.incident_id,
        incident.status,
    )
    assert ada == program.accounts.get_score_report("REG-0001").claimed_by


def test_incident_reopens_only_within_the_window(program: Program) -> None:
    """open -> in progress -> resolved -> closed; reopening works inside the window only."""
    cid = register_active(program)
    iid = program.accounts.open_incident(cid, title="Kit", body="Where is my kit?").incident_id
    program.accounts.start_incident(iid)
    program.accounts.resolve_incident(iid)
    program.accounts.close_incident(iid)
    assert IncidentStatus.OPEN == program.accounts.reopen_incident(iid).status
    program.accounts.resolve_incident(iid)
    clock_of(program).advance(program.accounts.settings.incident_reopen_window + timedelta(0, 1))
    refused(
        program,
        IllegalTransition,
        "reopen_window_passed",
        lambda: program.accounts.reopen_incident(iid),
    )


def test_history_records_every_change_in_order_and_verifies(program: Program) -> None:
    """The candidate reads back the history in order and it verifies."""
    cid = register_active(program)
    program.accounts.suspend(cid, "review")
    program.accounts.reinstate(cid)
    kinds = [e.kind for e in program.history.history(cid)]
    assert kinds[:3] == ["terms_accepted", "candidate_registered", "activation_sent"]
    assert kinds[-2:] == ["account_status_changed", "account_status_changed"]
    assert program.history.verify(cid).ok


def test_the_history_of_an_account_nobody_has_is_refused(program: Program) -> None:
    """ "audit your account history" (the Terms of Use v.2007.507) is done through an
    account: the history of a well-formed candidate ID nobody has is refused as
    ``candidate_not_found``, like every other read of an account, never an empty one."""
    cid = register_active(program)
    nobody = "SP-0000-0000-0001-2"
    assert nobody != cid
    with pytest.raises(NotFound) as info:
        program.accounts.history(nobody)
    assert "candidate_not_found" == info.value.code
    assert "terms_accepted" == program.accounts.history(cid)[0].kind


_BAD_REPORT = {
    "registration_number": "REG-0009",
    "exam_code": "250-315",
    "candidate_name": "Ada Lovelace",
    "email": "ada@example.com",
    "score": 85,
    "passing_score": 70,
    "exam_date": date(2012, 2, 1),
    "test_centre": "London",
}


def _documented_codes(page: str) -> str:
    """The "Error codes" section of ``docs/<page>``."""
    text = (Path(__file__).resolve().parents[2] / "docs" / page).read_text(encoding="utf-8")
    return text.split("## Error codes", 1)[1].split("\n## ", 1)[0]


def test_every_refusal_of_the_account_flows_has_a_documented_code(program: Program) -> None:
    """Every refusal a caller can cause is a ``SymprogramError`` whose code the
    accounts page's "Error codes" table lists: a mistyped postal address, a bad
    score or exam date on a score report, a registration number or exam code that
    is not ASCII, a link token too long to be one, and building the service with
    arguments of the wrong type or both ``catalogue=`` and ``terms=``."""
    cid = register_active(program)
    accounts = program.accounts
    calls: list[Callable[[], Any]] = [
        lambda: accounts.update_contact_details(cid, postal_address={"street": "x"}),  # type: ignore[arg-type]
        lambda: accounts.record_score_report(**{**_BAD_REPORT, "score": -1}),
        lambda: accounts.record_score_report(**{**_BAD_REPORT, "exam_date": "2012-02-01"}),
        lambda: accounts.record_score_report(**{**_BAD_REPORT, "registration_number": "ñ1"}),
        lambda: accounts.record_score_report(**{**_BAD_REPORT, "exam_code": "ñ"}),
        lambda: accounts.claim_score_report(cid, "ñ1", name="Ada Lovelace"),
        lambda: accounts.activate("x" * 5000),
        lambda: accounts.reset_password("x" * 5000, "another long passphrase"),
    ]
    parts = {"history": program.history, "notifier": program.notifier}
    calls += [
        lambda: AccountsService(program.store, program.clock, **parts, catalogue=5),  # type: ignore[arg-type]
        lambda: AccountsService(program.store, program.clock, **parts, hasher=5),  # type: ignore[arg-type]
        lambda: AccountsService(program.store, program.clock, **parts, settings=5),  # type: ignore[arg-type]
        lambda: AccountsService(
            program.store,
            program.clock,
            **parts,
            catalogue=TermsCatalogue.default(),
            terms=TermsCatalogue.default(),
        ),
    ]
    table = _documented_codes("accounts.md")
    for call in calls:
        with pytest.raises(SymprogramError) as info:
            call()
        assert f"`{info.value.code}`" in table, info.value.code


def test_closed_account_refuses_changes_and_keeps_its_address(program: Program) -> None:
    """pending -> active -> suspended -> active -> closed; a closed account refuses
    changes and its address stays reserved (docs/accounts.md)."""
    cid = register_active(program, "ada@example.com")
    program.accounts.suspend(cid, "audit")
    with pytest.raises(PermissionDenied):
        program.accounts.authenticate("ada@example.com", PASSWORD)
    program.accounts.reinstate(cid)
    assert cid == program.accounts.authenticate("ada@example.com", PASSWORD).candidate_id
    program.accounts.close(cid, "bye")
    with pytest.raises(SymprogramError) as caught:
        program.accounts.suspend(cid, "again")
    assert caught.value.code in {"account_closed", "illegal_transition"}
    assert cid == program.accounts.find_by_email("ada@example.com").candidate_id  # type: ignore[union-attr]
    assert program.history.verify(cid).ok
