"""Program-wide right to erasure: ``Program.erase_person`` on memory and on a SQLite file."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from erasure_helpers import (
    PASSWORD,
    file_leaks,
    index_leaks,
    leaks_in_texts,
    records_of,
    register,
    seed,
    sqlite_rows,
    store_texts,
    stored_kinds,
)

from _kinds import KNOWN_KINDS, OTHER_KINDS, PERSONAL_KINDS, sqlite_kinds
from _programs import ALL, START, ProgramFactory, db_path
from symprogram import Program
from symprogram.accounts import (
    ERASED_EMAIL,
    ERASED_TEXT,
    AccountStatus,
    BulkCandidate,
    ContactDetails,
)
from symprogram.awards.models import ERASED_KIT_ADDRESS
from symprogram.clock import FixedClock
from symprogram.errors import (
    IllegalTransition,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    SymprogramError,
    ValidationError,
)

REASON = "erasure request 17"

#: Each erasure runs on memory and a SQLite file; the promise that nothing is left in
#: the store is checked on every backend.
pytestmark = pytest.mark.backends("memory", "sqlite")


@pytest.mark.backends(*ALL)
def test_erasure_leaves_no_personal_data_in_the_store(program: Program) -> None:
    """After erase_person, no record, stream entry or index entry holds the person's data."""
    seeded = seed(program)
    person = seeded.person
    before = leaks_in_texts(store_texts(program), person.stored())
    assert sorted(person.stored()) == sorted(before)  # the scan finds them while they exist

    program.erase_person(seeded.cid, reason=REASON)

    assert [] == leaks_in_texts(store_texts(program), person.needles())
    assert [] == index_leaks(program, (person.email, person.new_email))


@pytest.mark.backends(*ALL)
def test_messages_another_candidate_sent_to_the_person_are_erased(program: Program) -> None:
    """A disclosure the bystander published to the person's address is filed under the
    bystander; erasing the person still leaves no record holding that address."""
    seeded = seed(program)
    person = seeded.person
    awards, clock = program.awards, program.clock
    awards.record_exam_result(seeded.bystander, "250-315", 90, taken_at=clock.now())
    awards.evaluate(seeded.bystander)
    awards.publish(seeded.bystander, ["scs-endpoint"], person.new_email.upper())
    sent = program.notifier.last("award_disclosure")  # type: ignore[attr-defined]
    assert person.new_email.casefold() == sent.to.casefold()

    texts = [text.casefold() for text in store_texts(program)]
    assert [person.new_email] == leaks_in_texts(texts, [person.new_email])

    program.erase_person(seeded.cid, reason=REASON)

    texts = [text.casefold() for text in store_texts(program)]
    assert [] == leaks_in_texts(texts, [n.casefold() for n in person.needles()])
    assert program.verify_all().ok


@pytest.mark.backends(*ALL)
def test_every_stored_kind_is_declared_and_the_other_kinds_hold_no_personal_data(
    program: Program,
) -> None:
    """Every record kind found in the store (read beside the port) is declared by a
    context as personal or not, and the kinds declared not personal hold none of the
    person's values while they still exist: a new kind holding personal fields that
    no context registers fails here."""
    seeded = seed(program)

    assert set() == stored_kinds(program) - set(KNOWN_KINDS)
    assert set(PERSONAL_KINDS) <= stored_kinds(program) | {"account_request_log"}
    assert [] == leaks_in_texts(records_of(program, OTHER_KINDS), seeded.person.needles())


@pytest.mark.backends(*ALL)
def test_entitlements_cases_holdings_and_audit_name_nobody_after_erasure(
    program: Program,
) -> None:
    """The support case's summary and ``by`` fields, the grant's reason and the
    ``entitlements:<candidate>`` audit entries are erased; the audit still verifies."""
    seeded = seed(program)
    entitlements = program.entitlements
    length = len(entitlements.history(seeded.cid))

    receipt = program.erase_person(seeded.cid, reason=REASON)

    case = entitlements.get_case(seeded.case_id)
    assert {ERASED_TEXT} == {
        case.summary,
        case.opened_by,
        *(s.by for s in case.escalations),
        *(s.reason for s in case.escalations),
    }
    assert (seeded.cid, 1) == (case.customer_id, case.escalation_level)
    entries = entitlements.history(seeded.cid)
    assert (length, [True] * length) == (len(entries), [e.erased for e in entries])
    assert entitlements.verify(seeded.cid).ok
    assert receipt.entitlements is not None
    assert ((seeded.case_id,), length, length) == (
        receipt.entitlements.cases,
        receipt.entitlements.audit_entries_erased,
        receipt.entitlements.audit_length,
    )


def test_nothing_erased_stays_in_the_open_sqlite_files(
    make_program: ProgramFactory, tmp_path: Path
) -> None:
    """When erase_person returns, with the program still open, the raw bytes of the
    .db, -wal and -shm files hold none of the person's values (UTF-8, UTF-16, JSON
    escaped): secure_delete is on and the WAL was checkpointed and truncated."""
    program = make_program("sqlite")
    seeded = seed(program)
    person, path = seeded.person, db_path(tmp_path)
    store: Any = program.store
    assert [(1,)] == store._exec("PRAGMA secure_delete")
    assert set(person.stored()) <= set(file_leaks(path, person.stored()))

    program.erase_person(seeded.cid, reason=REASON)

    assert [] == file_leaks(path, person.needles())
    assert 0 == Path(f"{path}-wal").stat().st_size


def test_erasure_leaves_no_personal_data_in_the_sqlite_file(
    make_program: ProgramFactory, tmp_path: Path
) -> None:
    """Every table (plain sqlite3) and the raw bytes of the closed file are free of it."""
    with make_program("sqlite") as program:
        seeded = seed(program)
    person, path = seeded.person, db_path(tmp_path)
    assert sorted(person.stored()) == sorted(file_leaks(path, person.stored()))

    with Program.open(f"sqlite:///{path}", clock=FixedClock(START)) as program:
        program.erase_person(seeded.cid, reason=REASON)

    assert [] == leaks_in_texts(sqlite_rows(path), person.needles())
    assert [] == file_leaks(path, person.needles())
    assert set() == sqlite_kinds(path) - set(KNOWN_KINDS)


def test_ledgers_still_verify_and_keep_a_pseudonymous_proof(program: Program) -> None:
    """History and consent chains verify; every entry's data is gone but the last."""
    seeded = seed(program)
    length = len(program.history.history(seeded.cid))

    receipt = program.erase_person(seeded.cid, reason=REASON)

    assert program.history.verify(seeded.cid).ok
    assert program.consent.verify(seeded.cid).ok
    entries = program.history.history(seeded.cid)
    # the closure, the awards' disclosure revocation and the awards erasure were
    # recorded, then erased
    assert length + 4 == len(entries)
    assert [True] * (len(entries) - 1) == [e.erased for e in entries[:-1]]
    assert ("account_erased", {"reason": REASON}) == (entries[-1].kind, entries[-1].data)
    assert (len(entries), entries[-1].hash) == (
        receipt.accounts.history_length,
        receipt.accounts.history_head,
    )
    assert receipt.consent is not None
    assert program.consent.verify(seeded.cid).length == receipt.consent.ledger_length


def test_erased_records_carry_markers_only(program: Program) -> None:
    """The account, report, incident, kit and disclosure keep their IDs with markers."""
    seeded = seed(program)
    program.erase_person(seeded.cid, reason=REASON)
    accounts, awards = program.accounts, program.awards

    candidate = accounts.get_candidate(seeded.cid)
    assert (AccountStatus.CLOSED, START, REASON) == (
        candidate.status,
        candidate.erased_at,
        candidate.status_reason,
    )
    assert (ERASED_EMAIL, ERASED_TEXT, None, None) == (
        candidate.contact.email,
        candidate.contact.full_name.split(" ")[0],
        candidate.contact.phone,
        candidate.contact.postal_address,
    )
    report = accounts.get_score_report(seeded.registration_number)
    assert (ERASED_TEXT, ERASED_EMAIL, seeded.cid, 85) == (
        report.candidate_name,
        report.email,
        report.claimed_by,
        report.score,
    )
    incident = accounts.get_incident(seeded.incident_id)
    assert {ERASED_TEXT} == {incident.title, *(m.body for m in incident.messages)}
    assert ERASED_KIT_ADDRESS == awards.get_kit(seeded.kit_id).address
    (disclosure,) = awards.disclosures_of(seeded.cid)
    assert (ERASED_TEXT, "", START) == (
        disclosure.holder_name,
        disclosure.recipient_hash,
        disclosure.revoked_at,
    )
    assert ["scs-endpoint"] == [g.award_id for g in awards.grants_of(seeded.cid)]


def test_disclosure_verification_shows_nothing(program: Program) -> None:
    """A verifier with the code sees a revoked disclosure: no name, no awards."""
    seeded = seed(program)
    program.erase_person(seeded.cid, reason=REASON)

    view = program.awards.verify_disclosure(seeded.code)

    assert (None, (), "disclosure_revoked") == (view.holder_name, view.awards, view.reason)


def test_the_address_can_register_again_as_a_new_account(program: Program) -> None:
    """The e-mail index is released: the same address registers with a new candidate ID."""
    seeded = seed(program)
    program.erase_person(seeded.cid, reason=REASON)

    again = register(program, email=seeded.person.new_email, given_name="G", family_name="H")
    old = register(program, email=seeded.person.email, given_name="G", family_name="H")

    assert len({seeded.cid, again, old}) == 3
    assert again == program.accounts.find_by_email(seeded.person.new_email).candidate_id  # type: ignore[union-attr]
    assert program.accounts.get_candidate(seeded.cid).erased_at == START


def test_erasing_twice_is_idempotent(program: Program) -> None:
    """A second erasure changes nothing stored and returns the same kind of receipt."""
    seeded = seed(program)
    first = program.erase_person(seeded.cid, reason=REASON)
    snapshot = store_texts(program)
    clock = program.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(hours=1))

    second = program.erase_person(seeded.cid, reason="asked again")

    assert snapshot == store_texts(program)
    assert (False, True) == (first.already_erased, second.already_erased)
    assert (first.erased_at, first.reason) == (second.erased_at, second.reason)
    assert (first.accounts.history_length, first.accounts.history_head) == (
        second.accounts.history_length,
        second.accounts.history_head,
    )
    assert second.consent is not None and first.consent is not None
    assert (first.consent.ledger_length, first.consent.ledger_head) == (
        second.consent.ledger_length,
        second.consent.ledger_head,
    )
    assert (0, ()) == (second.accounts.history_entries_erased, second.awards.revoked)


def test_the_bystander_is_untouched(program: Program) -> None:
    """Another candidate's account and consent data survive the erasure unchanged."""
    seeded = seed(program)
    before = program.accounts.get_candidate(seeded.bystander)
    data_before = program.consent.personal_data(seeded.bystander)

    program.erase_person(seeded.cid, reason=REASON)

    assert before == program.accounts.get_candidate(seeded.bystander)
    assert data_before == program.consent.personal_data(seeded.bystander)
    assert program.history.verify(seeded.bystander).ok


def test_the_receipt_names_no_personal_data(program: Program) -> None:
    """The combined receipt holds IDs, instants, counts and hashes only."""
    seeded = seed(program)

    receipt = program.erase_person(seeded.cid, reason=REASON)

    assert [] == leaks_in_texts([repr(receipt)], seeded.person.needles())
    assert (seeded.cid, (seeded.kit_id,), (seeded.disclosure_id,)) == (
        receipt.candidate_id,
        receipt.awards.kits,
        receipt.awards.revoked,
    )
    assert ((seeded.registration_number,), (seeded.incident_id,)) == (
        receipt.accounts.score_reports,
        receipt.accounts.incidents,
    )


def _refused(
    program: Program, call: Callable[[], Any], *, counted: str | None = None
) -> SymprogramError:
    """``call`` raises and changes nothing but, with ``counted``, the one request-log
    record it names (a failed log-in is counted per address, issue 18)."""
    before = store_texts(program)
    with pytest.raises(SymprogramError) as info:
        call()
    after = store_texts(program)
    if counted is not None:
        added = [text for text in after if text not in before]
        assert 1 == len(added)
        assert added[0].startswith(f"account_request_log\t{counted}:")
        after.remove(added[0])
    assert before == after
    return info.value


def test_calls_on_the_erased_account_raise_account_erased(program: Program) -> None:
    """Staff transitions, updates and links of an erased account raise ``account_erased``
    and change nothing."""
    seeded = seed(program)
    cid, accounts, awards = seeded.cid, program.accounts, program.awards
    accounts.request_password_reset(seeded.person.new_email)
    reset = program.notifier.last("password_reset").data["token"]  # type: ignore[attr-defined]
    program.erase_person(cid, reason=REASON)

    calls: dict[str, Callable[[], Any]] = {
        "reset_password": lambda: accounts.reset_password(reset, "An0ther#long-pass"),
        "update": lambda: accounts.update_contact_details(cid, given_name="Grace"),
        "confirm": lambda: accounts.confirm_contact_details(cid),
        "reinstate": lambda: accounts.reinstate(cid),
        "suspend": lambda: accounts.suspend(cid, "x"),
        "close": lambda: accounts.close(cid),
        "email": lambda: accounts.request_email_change(cid, "new@example.org"),
        "preference": lambda: accounts.set_notification_preference(cid, "offers", True),
        "incident": lambda: accounts.open_incident(cid, title="t", body="b"),
        "message": lambda: accounts.post_incident_message(
            seeded.incident_id, author="support", body="hello again"
        ),
        "start": lambda: accounts.start_incident(seeded.incident_id),
        "resolve": lambda: accounts.resolve_incident(seeded.incident_id),
        "close incident": lambda: accounts.close_incident(seeded.incident_id),
        "reopen": lambda: accounts.reopen_incident(seeded.incident_id),
        "terms": lambda: accounts.accept_terms(path="create_account", candidate_id=cid),
        "publish": lambda: awards.publish(cid, ["scs-endpoint"], "x@example.org"),
        "evaluate": lambda: awards.evaluate(cid),
        "earn": lambda: awards.earn(cid, "scs-endpoint"),
        "exam": lambda: awards.record_exam_result(cid, "250-315", 90, taken_at=START),
        "revoke": lambda: awards.revoke(cid, "scs-endpoint", reason="Grace's misconduct"),
        "ship": lambda: awards.ship_kit(seeded.kit_id, tracking="T-1"),
    }
    codes = {}
    for name, call in calls.items():
        error = _refused(program, call)
        codes[name] = (type(error), error.code)

    assert dict.fromkeys(calls, (IllegalTransition, "account_erased")) == codes


def test_after_the_erasure_account_erased_stays_the_last_history_entry(
    program: Program,
) -> None:
    """Delivering a kit shipped before the erasure or revoking a disclosure that had
    expired raise ``account_erased`` and change nothing; verifying a code is counted
    but adds nothing to the erased person's history, whose last entry stays
    ``account_erased``."""
    seeded = seed(program)
    cid, awards = seeded.cid, program.awards
    clock = program.clock
    assert isinstance(clock, FixedClock)
    awards.ship_kit(seeded.kit_id, tracking="T-1")
    expiring = awards.publish(cid, ["scs-endpoint"], "short@example.org", ttl=timedelta(days=1))
    clock.advance(timedelta(days=2))
    program.erase_person(cid, reason=REASON)

    deliver = _refused(program, lambda: awards.deliver_kit(seeded.kit_id))
    did = expiring.disclosure.disclosure_id
    revoke = _refused(program, lambda: awards.revoke_disclosure(cid, did))
    views = [awards.verify_disclosure(code).reason for code in (seeded.code, expiring.code)]

    assert (IllegalTransition, "account_erased") == (type(deliver), deliver.code)
    assert (IllegalTransition, "account_erased") == (type(revoke), revoke.code)
    assert ["disclosure_revoked", "disclosure_expired"] == views
    assert "account_erased" == program.accounts.history(cid)[-1].kind
    assert program.history.verify(cid).ok


def test_the_tracking_text_of_a_shipped_kit_is_erased(program: Program) -> None:
    """A carrier's tracking text names the parcel (here its recipient too): the erasure
    replaces it, and the history still verifies."""
    seeded = seed(program)
    program.awards.ship_kit(seeded.kit_id, tracking="RM 123 for Ada Lovelace")
    program.erase_person(seeded.cid, reason=REASON)
    kit = program.awards.get_kit(seeded.kit_id)
    assert (ERASED_KIT_ADDRESS, ERASED_TEXT) == (kit.address, kit.tracking)
    assert program.history.verify(seeded.cid).ok


def test_a_kit_erased_by_an_earlier_build_reads_and_a_new_erasure_scrubs_it(
    program: Program,
) -> None:
    """An erasure before 0.3 left a shipped kit's tracking text (its address erased):
    such a kit still reads and verifies as erased, and erasing the person again
    replaces the text."""
    seeded = seed(program)
    program.awards.ship_kit(seeded.kit_id, tracking="RM 123 for Ada Lovelace")
    program.erase_person(seeded.cid, reason=REASON)
    with program.store.transaction() as tx:  # the form an earlier build left
        record = tx.load("award_kit", seeded.kit_id)
        assert record is not None
        data = json.loads(record.data)
        data["tracking"] = "RM 123 for Ada Lovelace"
        tx.save("award_kit", seeded.kit_id, json.dumps(data), record.version)
    assert "RM 123 for Ada Lovelace" == program.awards.get_kit(seeded.kit_id).tracking
    assert program.verify_all().ok
    assert program.erase_person(seeded.cid, reason=REASON).accounts.already_erased
    assert ERASED_TEXT == program.awards.get_kit(seeded.kit_id).tracking
    assert program.verify_all().ok


def test_a_pending_account_erased_cannot_be_activated(program: Program) -> None:
    """The activation link of an erased pending account raises ``account_erased``."""
    receipt = program.accounts.accept_terms(path="create_account")
    assert receipt.token is not None
    program.accounts.register(
        terms_receipt=receipt.token,
        email="pending@example.com",
        password=PASSWORD,
        given_name="Penelope",
        family_name="Pending",
        company_name="C",
        partner_company="P",
        preferred_language="fr",
    )
    message = program.notifier.last("activation")  # type: ignore[attr-defined]
    program.erase_person(message.data["candidate_id"], reason=REASON)

    error = _refused(program, lambda: program.accounts.activate(message.data["token"]))

    assert (IllegalTransition, "account_erased") == (type(error), error.code)
    assert (
        AccountStatus.CLOSED == program.accounts.get_candidate(message.data["candidate_id"]).status
    )


def test_other_contexts_refuse_the_erased_person(program: Program) -> None:
    """Log-in, claims and consent answer with their own documented codes."""
    seeded = seed(program)
    cid = seeded.cid
    program.erase_person(cid, reason=REASON)

    login = _refused(
        program,
        lambda: program.accounts.authenticate(seeded.person.new_email, PASSWORD),
        counted="login_failed",
    )
    claim = _refused(
        program, lambda: program.accounts.claim_score_report(cid, "REG-7001", email=ERASED_EMAIL)
    )
    grant = _refused(
        program, lambda: program.consent.grant(cid, "special_offers", channel="web_form")
    )

    assert (PermissionDenied, "invalid_credentials") == (type(login), login.code)
    assert (PermissionDenied, "account_not_active") == (type(claim), claim.code)
    assert (IllegalTransition, "subject_erased") == (type(grant), grant.code)


@pytest.mark.parametrize(
    ("failing", "method"),
    [
        ("awards", "erase"),
        ("accounts", "erase"),
        ("consent", "erase"),
        ("entitlements", "erase_subject"),
    ],
)
def test_a_failure_midway_leaves_nothing_half_erased(
    program: Program, failing: str, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If any context fails after writing, every context's erasure is rolled back."""
    seeded = seed(program)
    before = store_texts(program)
    service = getattr(program, failing)
    original = getattr(service, method)

    def erase_then_fail(*args: Any, **kwargs: Any) -> Any:
        original(*args, **kwargs)
        raise RuntimeError(f"{failing} failed midway")

    monkeypatch.setattr(service, method, erase_then_fail)

    with pytest.raises(RuntimeError, match="failed midway"):
        program.erase_person(seeded.cid, reason=REASON)

    assert before == store_texts(program)
    monkeypatch.undo()
    program.erase_person(seeded.cid, reason=REASON)
    assert [] == leaks_in_texts(store_texts(program), seeded.person.needles())


@pytest.mark.parametrize(
    ("candidate_id", "reason", "error", "code"),
    [
        ("not an id", REASON, ValidationError, "invalid_candidate_id"),
        ("SP-0000-0000-0000-0", REASON, NotFound, "candidate_not_found"),
        (None, REASON, ValidationError, "invalid_candidate_id"),
        ("<cid>", "", ValidationError, "field_required"),
        ("<cid>", "line\nbreak", ValidationError, "control_characters"),
        ("<cid>", "x" * 501, LimitExceeded, "text_too_long"),
        ("<cid>", None, ValidationError, "invalid_type"),
    ],
)
def test_bad_input_raises_and_changes_nothing(
    program: Program, candidate_id: Any, reason: Any, error: type[Exception], code: str
) -> None:
    """A malformed or unknown ID or a bad reason raises a clear error; nothing is written."""
    seeded = seed(program)
    target = seeded.cid if candidate_id == "<cid>" else candidate_id

    raised = _refused(program, lambda: program.erase_person(target, reason=reason))

    assert (error, code) == (type(raised), raised.code)


class _AnswersOnly:
    """A host's own marketing answer: it records nothing in the consent ledger."""

    def may_contact(self, subject: str, category: str, at: Any) -> bool:
        return False


def test_a_person_without_consent_records_is_erased(
    backend: str, clock: FixedClock, make_program: ProgramFactory
) -> None:
    """Without consent ledger entries the consent part of the receipt is None (a
    registration records what it gathered in consent unless the host wires its own
    marketing answer, as here)."""
    program = make_program(
        backend, clock=clock, options={"accounts": {"marketing_consent": _AnswersOnly()}}
    )
    cid = register(program, email="solo@example.com", given_name="Solomon", family_name="Solo")

    receipt = program.erase_person(cid, reason=REASON)

    assert (None, (), ()) == (receipt.consent, receipt.awards.kits, receipt.accounts.incidents)
    assert [] == leaks_in_texts(store_texts(program), ("solo@example.com", "Solomon"))
    assert program.history.verify(cid).ok


def _person(email: str) -> ContactDetails:
    return ContactDetails(
        email=email,
        given_name="Eve",
        family_name="Smith",
        company_name="Analytical Engines",
        partner_company="Babbage & Co",
        preferred_language="en-GB",
    )


@pytest.mark.parametrize("address", [ERASED_EMAIL, ERASED_EMAIL.upper(), f" {ERASED_EMAIL} "])
def test_the_erased_address_marker_is_no_accounts_address(program: Program, address: str) -> None:
    """The marker that replaces erased addresses can never become an account's address:
    its owner's erasure would keep it in the e-mail index ("never in the e-mail index")
    and leave the reports recorded for it unanonymized."""
    cid = register(program, email="ada@example.com", given_name="Ada", family_name="Lovelace")
    receipt = program.accounts.accept_terms(path="create_account").token
    assert receipt is not None
    fields = _person(address)
    rows = [BulkCandidate(_person("eve@example.com")), BulkCandidate(fields)]

    refused = [
        _refused(
            program,
            lambda: program.accounts.register(
                terms_receipt=receipt, password=PASSWORD, **attrs.asdict(fields, recurse=False)
            ),
        ),
        _refused(program, lambda: program.accounts.request_email_change(cid, address)),
        _refused(program, lambda: program.accounts.register_many(rows)),
    ]

    assert [("invalid_email", True)] * 3 == [(e.code, e.details["reserved"]) for e in refused]
    assert 1 == refused[2].details["row"]
    assert program.accounts.find_by_email(ERASED_EMAIL) is None
