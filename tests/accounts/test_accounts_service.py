"""The accounts service end to end, on the memory and SQLite adapters."""

from __future__ import annotations

import math
import unicodedata
from datetime import date, timedelta
from typing import Any

import attrs
import pytest
from accounts_helpers import PASSWORD, START, World
from hypothesis import given
from hypothesis import strategies as st

from symprogram.accounts import (
    KEEP,
    AcceptancePath,
    AccountsSettings,
    AccountStatus,
    IncidentCategory,
    IncidentStatus,
    MessageAuthor,
    NotificationCategory,
    PostalAddress,
    RegistrationReceipt,
    TermsCatalogue,
    TermsVersion,
    rules,
)
from symprogram.accounts.ports import REQUEST_LOG_KIND, RESEND_LOG
from symprogram.accounts.storage import AccountsStorage
from symprogram.errors import (
    Conflict,
    IllegalTransition,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    RateLimited,
    SymprogramError,
    TokenError,
    ValidationError,
)
from symprogram.persistence import Store


def assert_refused(
    world: World, error: type[SymprogramError], code: str, call: Any, *args: Any, **kw: Any
) -> SymprogramError:
    """Call, expect ``error`` with ``code``, and check that storage did not change."""
    before = world.snapshot()
    with pytest.raises(error) as info:
        call(*args, **kw)
    assert code == info.value.code
    assert before == world.snapshot()
    return info.value


# -- terms and registration ---------------------------------------------------------------


def test_register_then_activate_issues_a_candidate_id_and_activates(world: World) -> None:
    """A registered account is pending until its activation token is used; then active."""
    token = world.register()
    message = world.outbox.last("activation")
    candidate_id = message.data["candidate_id"]
    assert AccountStatus.PENDING_ACTIVATION == world.accounts.get_candidate(candidate_id).status
    assert candidate_id in message.body
    candidate = world.accounts.activate(token)
    assert AccountStatus.ACTIVE == candidate.status
    assert candidate_id == candidate.candidate_id
    assert "en-GB" == candidate.contact.preferred_language
    assert world.accounts.has_accepted_current_terms(candidate_id)


def test_registration_outcome_does_not_reveal_an_existing_email(world: World) -> None:
    """Registering a taken address returns the same shape and tells the owner instead."""
    world.active()
    receipt = world.accounts.accept_terms(path="create_account")
    before = len(world.outbox)
    again = world.accounts.register(
        terms_receipt=receipt.token,
        email="ADA@example.com",
        password="another long passphrase",
        given_name="Eve",
        family_name="Mallory",
        company_name="X",
        partner_company="Y",
        preferred_language="fr",
    )
    assert isinstance(again, RegistrationReceipt)
    assert {"email", "requested_at", "reference", "next_step"} == set(
        attrs.fields_dict(RegistrationReceipt)
    )
    assert "check_email" == again.next_step
    assert before + 1 == len(world.outbox)
    assert "registration_attempt" == world.outbox.last().kind
    assert "ada@example.com" == world.outbox.last().to


def test_registration_receipt_never_carries_the_candidate_id(world: World) -> None:
    """The receipt of a new registration holds no candidate ID (it is in the e-mail)."""
    receipt = world.accounts.accept_terms(path=AcceptancePath.CREATE_ACCOUNT)
    result = world.accounts.register(
        terms_receipt=receipt.token,
        email="new@example.com",
        password=PASSWORD,
        given_name="N",
        family_name="U",
        company_name="C",
        partner_company="P",
        preferred_language="de",
    )
    candidate_id = world.outbox.last("activation").data["candidate_id"]
    assert candidate_id not in repr(result)


def test_register_requires_a_terms_receipt(world: World) -> None:
    """Registering without accepting the terms is refused, and nothing is written."""
    assert_refused(
        world,
        PermissionDenied,
        "terms_not_accepted",
        world.register,
        terms_receipt="",
    )


def test_a_terms_receipt_works_once(world: World) -> None:
    """The acceptance token is single use: a second registration with it is refused."""
    receipt = world.accounts.accept_terms(path=AcceptancePath.CREATE_ACCOUNT)
    world.register(terms_receipt=receipt.token)
    error = assert_refused(
        world,
        TokenError,
        "token_used",
        world.register,
        "b@example.com",
        terms_receipt=receipt.token,
    )
    assert "terms_receipt" == error.field


def test_an_expired_terms_receipt_is_refused(world: World) -> None:
    """A terms receipt older than its lifetime is refused with token_expired."""
    receipt = world.accounts.accept_terms(path=AcceptancePath.CREATE_ACCOUNT)
    world.clock.advance(world.accounts.settings.terms_receipt_ttl)
    assert_refused(world, TokenError, "token_expired", world.register, terms_receipt=receipt.token)


def test_superseded_terms_must_be_accepted_again(store: Store) -> None:
    """After a new terms version takes effect, old receipts and accounts need a new acceptance."""
    old = TermsCatalogue.default().versions[0]
    newer = TermsVersion.create("2011.201", START + timedelta(days=1), "Terms of Use", "New text")
    settings = AccountsSettings(terms_receipt_ttl=timedelta(days=5))
    world = World(store, catalogue=TermsCatalogue([old, newer]), settings=settings)
    candidate = world.active()
    receipt = world.accounts.accept_terms(path=AcceptancePath.CREATE_ACCOUNT)
    world.clock.advance(timedelta(days=2))
    assert_refused(
        world,
        PermissionDenied,
        "terms_outdated",
        world.register,
        "b@example.com",
        terms_receipt=receipt.token,
    )
    decision = world.accounts.terms_status(candidate.candidate_id)
    assert ("terms_outdated",) == decision.codes
    again = world.accounts.accept_terms(
        path=AcceptancePath.SCORE_REPORT, candidate_id=candidate.candidate_id
    )
    assert again.token is None
    assert "2011.201" == again.acceptance.terms_version
    assert world.accounts.has_accepted_current_terms(candidate.candidate_id)


def test_accepting_a_version_that_is_not_current_is_refused(world: World) -> None:
    """A terms version other than the one in effect cannot be accepted."""
    assert_refused(
        world,
        ValidationError,
        "terms_version_not_current",
        world.accounts.accept_terms,
        path="create_account",
        terms_version="1999.1",
    )
    assert_refused(world, ValidationError, "invalid_path", world.accounts.accept_terms, path="x")


def test_acceptance_says_it_is_not_an_agreement_to_participate(world: World) -> None:
    """The acceptance model states it only acknowledges reading the terms."""
    receipt = world.accounts.accept_terms(path=AcceptancePath.SCORE_REPORT)
    assert receipt.acceptance.is_agreement_to_participate is False
    doc = " ".join((type(receipt.acceptance).__doc__ or "").split())
    assert "simply acknowledges that you have reviewed this information" in doc
    assert "it does not constitute any agreements of participation" in doc


@pytest.mark.parametrize(
    ("field", "value", "error", "code"),
    [
        ("email", "not-an-address", ValidationError, "invalid_email"),
        ("email", "a" * 300 + "@example.com", LimitExceeded, "text_too_long"),
        ("preferred_language", "klingon-xx-q", ValidationError, "unknown_language"),
        ("preferred_language", "tlh", ValidationError, "unknown_language"),
        ("given_name", "Ada\nLovelace", ValidationError, "control_characters"),
        ("given_name", "Ada\x00", ValidationError, "control_characters"),
        ("family_name", "   ", ValidationError, "field_required"),
        ("family_name", "x" * 101, LimitExceeded, "text_too_long"),
        ("company_name", "x" * 201, LimitExceeded, "text_too_long"),
        ("phone", "call me", ValidationError, "invalid_phone"),
        ("password", "short", ValidationError, "password_too_short"),
        ("password", "password123", ValidationError, "password_too_common"),
        ("password", "ada-is-my-name-lovelace", ValidationError, "password_contains_personal_info"),
        ("password", "x" * 300, LimitExceeded, "password_too_long"),
    ],
)
def test_bad_registration_input_is_refused_and_nothing_is_written(
    world: World, field: str, value: str, error: type[SymprogramError], code: str
) -> None:
    """Each bad field raises its error class and code, naming the field, and writes nothing."""
    receipt = world.accounts.accept_terms(path=AcceptancePath.CREATE_ACCOUNT)
    refused = assert_refused(
        world, error, code, world.register, terms_receipt=receipt.token, **{field: value}
    )
    assert field == refused.field


def test_hostile_unicode_round_trips_through_storage(world: World) -> None:
    """Right-to-left marks, joiners, combining marks and emoji are stored unchanged."""
    given = "\u202eevil\u200d\U0001f9d1\u200d\U0001f4bb"
    family = "Zalgo\u0335\u0338 \u05e9\u05dc\u05d5\u05dd \ufdfd"
    address = PostalAddress(
        lines=["\U0001d54f 1", "\u0627\u0644\u0634\u0627\u0631\u0639"],
        city="\u6771\u4eac",
        country="jp",
    )
    candidate = world.active(given_name=given, family_name=family, postal_address=address)
    stored = world.accounts.contact_details(candidate.candidate_id)
    assert given == stored.given_name
    assert family == stored.family_name
    assert address == stored.postal_address
    assert stored.postal_address is not None
    assert "JP" == stored.postal_address.country


def test_resend_activation_is_limited_and_reveals_nothing(world: World) -> None:
    """Resends are limited per address; beyond the limit the call returns as usual,
    sends nothing and changes no real record but the address's request log, which
    every request writes (an owner's beyond the limit written back with the same
    counts): its link and message are stand-ins, as a call for an unknown address's
    always are (issue 18: a limit throttles messages, it never shows in the answer
    or the writes)."""
    world.register()
    limit = world.accounts.settings.resend_limit
    for _ in range(limit):
        world.accounts.resend_activation("ada@example.com")
        world.accounts.resend_activation("nobody@example.com")
    assert limit + 1 == len([m for m in world.outbox.messages if m.kind == "activation"])
    owners_log = AccountsStorage.request_key(RESEND_LOG, "ada@example.com")

    def counted() -> str:
        with world.store.transaction(readonly=True) as tx:
            record = tx.load(REQUEST_LOG_KIND, owners_log)
        assert record is not None
        return record.data

    counts = counted()
    for email in ("ada@example.com", "nobody@example.com"):
        before, sent = world.snapshot(stand_ins=False, logs=False), len(world.outbox.messages)
        assert world.accounts.resend_activation(email) is None
        assert sent == len(world.outbox.messages)
        assert before == world.snapshot(stand_ins=False, logs=False)
    assert counts == counted()
    world.clock.advance(world.accounts.settings.resend_window)
    world.accounts.resend_activation("ada@example.com")
    assert limit + 2 == len([m for m in world.outbox.messages if m.kind == "activation"])


def test_activation_token_is_single_use_and_expires(world: World) -> None:
    """A used activation token is refused; an expired one too; neither writes."""
    token = world.register()
    world.accounts.activate(token)
    assert_refused(world, TokenError, "token_used", world.accounts.activate, token)
    token2 = world.register("b@example.com")
    world.clock.advance(world.accounts.settings.activation_ttl)
    assert_refused(world, TokenError, "token_expired", world.accounts.activate, token2)
    assert_refused(world, TokenError, "token_invalid", world.accounts.activate, "nonsense")


# -- life cycle ------------------------------------------------------------------------------


def test_life_cycle_transitions_and_illegal_ones(world: World) -> None:
    """active -> suspended -> active -> closed; illegal steps raise IllegalTransition."""
    cid = world.active().candidate_id
    assert_refused(world, IllegalTransition, "illegal_transition", world.accounts.reinstate, cid)
    assert AccountStatus.SUSPENDED == world.accounts.suspend(cid, "fraud review").status
    assert_refused(
        world, IllegalTransition, "illegal_transition", world.accounts.suspend, cid, "again"
    )
    assert AccountStatus.ACTIVE == world.accounts.reinstate(cid).status
    assert AccountStatus.CLOSED == world.accounts.close(cid).status
    assert_refused(world, IllegalTransition, "illegal_transition", world.accounts.close, cid)
    assert_refused(
        world,
        IllegalTransition,
        "account_closed",
        world.accounts.open_incident,
        cid,
        title="t",
        body="b",
    )


def test_pending_account_cannot_be_reinstated_into_active(world: World) -> None:
    """Reinstating is only for suspended accounts; activation needs the token."""
    world.register()
    cid = world.outbox.last("activation").data["candidate_id"]
    assert_refused(world, IllegalTransition, "illegal_transition", world.accounts.reinstate, cid)


def test_authenticate(world: World) -> None:
    """Right password logs in; wrong password and unknown address give the same error."""
    candidate = world.active()
    assert candidate == world.accounts.authenticate("ada@example.com", PASSWORD)
    for email, password in (("ada@example.com", "wrong password!"), ("x@example.com", PASSWORD)):
        with pytest.raises(PermissionDenied) as info:
            world.accounts.authenticate(email, password)
        assert "invalid_credentials" == info.value.code
    world.accounts.suspend(candidate.candidate_id, "review")
    with pytest.raises(PermissionDenied) as info:
        world.accounts.authenticate("ada@example.com", PASSWORD)
    assert "account_suspended" == info.value.code


# -- passwords --------------------------------------------------------------------------------


def test_password_reset_flow_and_token_death(world: World) -> None:
    """Reset works once; other outstanding reset links die when the password changes."""
    world.active()
    world.accounts.request_password_reset("ada@example.com")
    first = world.outbox.last("password_reset").data["token"]
    world.accounts.request_password_reset("ada@example.com")
    second = world.outbox.last("password_reset").data["token"]
    world.accounts.reset_password(second, "a brand new passphrase")
    assert_refused(
        world,
        TokenError,
        "token_used",
        world.accounts.reset_password,
        second,
        "whatever passphrase 2",
    )
    assert_refused(
        world,
        TokenError,
        "token_revoked",
        world.accounts.reset_password,
        first,
        "whatever passphrase 2",
    )
    world.accounts.authenticate("ada@example.com", "a brand new passphrase")
    assert "password_changed" == world.outbox.last().kind


def test_password_reset_request_reveals_nothing(world: World) -> None:
    """Asking to reset an unknown address behaves like a known one (no error, no message)."""
    world.active()
    before = len(world.outbox)
    assert world.accounts.request_password_reset("ghost@example.com") is None
    assert before == len(world.outbox)


def test_bad_new_password_does_not_burn_the_reset_token(world: World) -> None:
    """A reset with a weak password is refused and the token still works afterwards."""
    world.active()
    world.accounts.request_password_reset("ada@example.com")
    token = world.outbox.last("password_reset").data["token"]
    assert_refused(
        world, ValidationError, "password_too_short", world.accounts.reset_password, token, "short"
    )
    world.accounts.reset_password(token, "a perfectly fine passphrase")


def test_change_password(world: World) -> None:
    """Changing the password needs the current one and kills reset links; a wrong
    current password changes nothing but the address's count of failed log-ins."""
    cid = world.active().candidate_id
    world.accounts.request_password_reset("ada@example.com")
    token = world.outbox.last("password_reset").data["token"]
    before = world.snapshot(logs=False)
    with pytest.raises(PermissionDenied, match="invalid_credentials"):
        world.accounts.change_password(cid, "nope", "another long passphrase")
    assert before == world.snapshot(logs=False)
    world.accounts.change_password(cid, PASSWORD, "another long passphrase")
    assert_refused(
        world,
        TokenError,
        "token_revoked",
        world.accounts.reset_password,
        token,
        "third long passphrase",
    )


def test_every_password_flow_judges_and_hashes_the_nfkc_form(world: World) -> None:
    """Registration, change and reset normalize the password (NFKC) before the policy and
    the hash: the family name or a common password in fullwidth letters, or a C1
    control character, is refused; a password set composed logs in decomposed."""
    cid = world.active().candidate_id
    fullwidth = "".join(chr(0xFF21 + ord(c) - ord("A")) for c in "LOVELACE") + "12345"
    common = "".join(chr(0xFF41 + ord(c) - ord("a")) for c in "password") + "\uff11\uff12\uff13"
    for new, code in (
        (fullwidth, "password_contains_personal_info"),
        (common, "password_too_common"),
        ("a long pass\x85phrase", "invalid_password"),
    ):
        assert_refused(
            world, ValidationError, code, world.accounts.change_password, cid, PASSWORD, new
        )
        world.accounts.request_password_reset("ada@example.com")
        token = world.outbox.last("password_reset").data["token"]
        assert_refused(world, ValidationError, code, world.accounts.reset_password, token, new)
        with pytest.raises(ValidationError) as info:
            world.register("grace@example.com", password=new, family_name="Lovelace")
        assert code == info.value.code
    composed = "Cr\u00e8me br\u00fbl\u00e9e s\u00e9ance"
    decomposed = unicodedata.normalize("NFD", composed)
    world.accounts.change_password(cid, PASSWORD, composed)
    assert cid == world.accounts.authenticate("ada@example.com", decomposed).candidate_id
    world.accounts.change_password(cid, decomposed, "\ufb01ne " + decomposed)
    assert cid == world.accounts.authenticate("ada@example.com", "fine " + composed).candidate_id


# -- contact details ----------------------------------------------------------------------------


def test_contact_update_history_and_review(world: World) -> None:
    """Updates are recorded with old and new values; review falls due after the period."""
    cid = world.active().candidate_id
    world.clock.advance(timedelta(days=10))
    updated = world.accounts.update_contact_details(
        cid, company_name="New Co", phone="+1 555 0100", given_name=KEEP
    )
    assert "New Co" == updated.contact.company_name
    entry = world.accounts.history(cid)[-1]
    assert "contact_details_updated" == entry.kind
    assert entry.data is not None
    changed = {c["field"]: (c["old"], c["new"]) for c in entry.data["changes"]}
    assert {
        "company_name": ("Analytical Engines Ltd", "New Co"),
        "phone": (None, "+1 555 0100"),
    } == changed
    assert world.accounts.contact_review(cid).allowed
    world.clock.advance(world.accounts.settings.contact_review_period)
    assert ("contact_review_due",) == world.accounts.contact_review(cid).codes
    assert [cid] == list(world.accounts.iter_contact_reviews_due())
    world.accounts.confirm_contact_details(cid)
    assert world.accounts.contact_review(cid).allowed
    assert "contact_details_reviewed" == world.accounts.history(cid)[-1].kind


def test_contact_update_refuses_bad_values(world: World) -> None:
    """A bad value in an update is refused with its code and nothing changes."""
    cid = world.active().candidate_id
    assert_refused(
        world,
        ValidationError,
        "unknown_language",
        world.accounts.update_contact_details,
        cid,
        preferred_language="zz-ZZ-bogus",
    )
    assert_refused(
        world,
        ValidationError,
        "unknown_country",
        world.accounts.update_contact_details,
        cid,
        postal_address={"lines": ["1"], "city": "X", "country": "QQ"},
    )


def test_email_change_takes_effect_only_after_verification(world: World) -> None:
    """The new address is used only once verified; reset links die on the change."""
    cid = world.active().candidate_id
    world.accounts.request_password_reset("ada@example.com")
    reset = world.outbox.last("password_reset").data["token"]
    world.accounts.request_email_change(cid, "ada@lovelace.org")
    assert "ada@example.com" == world.accounts.contact_details(cid).email
    assert "email_change_requested" == world.outbox.last().kind
    token = world.outbox.last("email_verification").data["token"]
    assert "ada@lovelace.org" == world.outbox.last("email_verification").to
    candidate = world.accounts.confirm_email_change(token)
    assert "ada@lovelace.org" == candidate.contact.email
    assert candidate == world.accounts.find_by_email("ADA@lovelace.org")
    assert world.accounts.find_by_email("ada@example.com") is None
    assert_refused(
        world,
        TokenError,
        "token_revoked",
        world.accounts.reset_password,
        reset,
        "a brand new passphrase",
    )
    assert_refused(world, TokenError, "token_used", world.accounts.confirm_email_change, token)


def test_email_change_to_a_taken_address_tells_its_owner(world: World) -> None:
    """Asking for another account's address sends no link; that owner is told. The
    caller's own account changes as for a free address (issue 18: pending_email and a
    history entry either way), and the link, sent to nobody, confirms nothing."""
    cid = world.active().candidate_id
    world.active("bob@example.com", given_name="Bob", family_name="Builder")
    world.accounts.request_email_change(cid, "bob@example.com")
    attempt = world.outbox.last("email_in_use_attempt")
    assert "bob@example.com" == attempt.to
    assert "email_change_requested" == world.outbox.last().kind
    assert "ada@example.com" == world.outbox.last().to
    assert not [m for m in world.outbox.messages if m.kind == "email_verification"]
    assert "bob@example.com" == world.accounts.get_candidate(cid).pending_email
    assert "email_change_requested" == world.history.history(cid)[-1].kind


# -- score reports --------------------------------------------------------------------------------


def record(world: World, number: str = "REG-0001") -> None:
    """Record a score report for Ada."""
    world.accounts.record_score_report(
        registration_number=number,
        exam_code="250-251",
        candidate_name="Ada Lovelace",
        email="ada@example.com",
        score=78,
        passing_score=70,
        exam_date=date(2011, 1, 10),
        test_centre="Mountain View",
    )


def test_score_report_claim_by_name_or_email(world: World) -> None:
    """A report recorded before the account is claimed by number plus e-mail or name."""
    record(world, "reg-0001")
    record(world, "REG-0002")
    cid = world.active().candidate_id
    claimed = world.accounts.claim_score_report(cid, "REG-0001", email="Ada@EXAMPLE.com")
    assert cid == claimed.claimed_by
    world.accounts.claim_score_report(cid, " reg-0002 ", name="  ada   LOVELACE ")
    assert ["REG-0001", "REG-0002"] == [
        r.registration_number for r in world.accounts.score_reports_of(cid)
    ]
    assert "score_report_claimed" == world.accounts.history(cid)[-1].kind


def test_claim_with_wrong_proof_or_unknown_number_is_refused(world: World) -> None:
    """A wrong proof and an unknown number look the same (nothing written but the
    claimant's count of wrong proofs); missing proof is refused."""
    record(world)
    cid = world.active().candidate_id
    for number, name in (("REG-0001", "Eve"), ("REG-9999", "Ada Lovelace")):
        before = world.snapshot(logs=False)
        with pytest.raises(PermissionDenied) as refused:
            world.accounts.claim_score_report(cid, number, name=name)
        assert "score_report_proof_mismatch" == refused.value.code
        assert before == world.snapshot(logs=False)
    assert_refused(
        world, ValidationError, "proof_required", world.accounts.claim_score_report, cid, "REG-0001"
    )


def test_wrong_proofs_are_limited_per_claimant(store: Store) -> None:
    """The name printed on a report is easy to guess: after ``claim_failure_limit``
    wrong proofs within ``claim_failure_window`` (known and unknown numbers alike) the
    claimant's next claim is refused before its proof is looked at, the right one
    included (``RateLimited``, ``retry_after``); another account is not held back, and
    once the window has passed the right proof claims."""
    world = World(store, settings=AccountsSettings(claim_failure_limit=3))
    record(world)
    eve = world.active("eve@example.com", given_name="Eve").candidate_id
    ada = world.active().candidate_id
    for number in ("REG-0001", "REG-9999", "REG-0001"):
        with pytest.raises(PermissionDenied):
            world.accounts.claim_score_report(eve, number, name="Ada Byron")
    with pytest.raises(RateLimited) as limited:
        world.accounts.claim_score_report(eve, "REG-0001", name="Ada Lovelace")
    assert ("rate_limited", 3600) == (limited.value.code, limited.value.retry_after)
    assert None is world.accounts.get_score_report("REG-0001").claimed_by
    world.clock.advance(timedelta(hours=1))
    assert eve == world.accounts.claim_score_report(eve, "REG-0001", name="Ada Lovelace").claimed_by
    with pytest.raises(Conflict):  # Ada is not held back by Eve's guesses
        world.accounts.claim_score_report(ada, "REG-0001", name="Ada Lovelace")


def test_a_wrong_proof_is_counted_in_the_claims_own_unit_of_work(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The count of a wrong proof is written in the claim's unit of work, under the
    claimant's lock, not in one of its own afterwards: claims in flight at once then
    count each other, and the limit holds under concurrency."""
    record(world)
    cid = world.active().candidate_id
    opened = world.store.transaction
    writing: list[bool] = []

    def counted(**options: Any) -> Any:
        writing.append(not options.get("readonly", False))
        return opened(**options)

    monkeypatch.setattr(world.store, "transaction", counted)
    with pytest.raises(PermissionDenied):
        world.accounts.claim_score_report(cid, "REG-0001", name="Eve")
    monkeypatch.setattr(world.store, "transaction", opened)
    assert 1 == writing.count(True)
    with world.store.transaction(readonly=True) as tx:
        assert 1 == len(tx.scan(REQUEST_LOG_KIND, prefix="score_report_claim_failed:"))


@given(
    ages=st.lists(st.integers(min_value=0, max_value=7200), max_size=12),
    limit=st.integers(min_value=1, max_value=6),
)
def test_the_claim_limit_counts_the_wrong_proofs_within_the_window(
    ages: list[int], limit: int
) -> None:
    """enforce_claim_limit refuses exactly when ``limit`` wrong proofs fall within the
    window before now, and then says when the oldest of them leaves it."""
    window = timedelta(hours=1)
    now = START + timedelta(days=1)
    failures = [now - timedelta(seconds=age) for age in ages]
    recent = sorted(f for f in failures if now - window < f <= now)
    if len(recent) >= limit:
        with pytest.raises(RateLimited) as limited:
            rules.enforce_claim_limit(failures, now, limit=limit, window=window)
        free = recent[-limit] + window
        assert limited.value.retry_after == max(1, math.ceil((free - now).total_seconds()))
    else:
        rules.enforce_claim_limit(failures, now, limit=limit, window=window)


def test_second_claim_is_refused_and_opens_an_incident_that_survives(world: World) -> None:
    """Another account claiming a claimed report is refused; the incident is committed."""
    record(world)
    ada = world.active().candidate_id
    eve = world.active("eve@example.com", given_name="Eve", family_name="Mallory").candidate_id
    world.accounts.claim_score_report(ada, "REG-0001", name="Ada Lovelace")
    with pytest.raises(Conflict) as info:
        world.accounts.claim_score_report(eve, "REG-0001", name="Ada Lovelace")
    assert "score_report_already_claimed" == info.value.code
    incident_id = info.value.details["incident_id"]
    incident = world.accounts.get_incident(incident_id)
    assert IncidentCategory.SCORE_REPORT == incident.category
    assert eve == incident.candidate_id
    assert [incident] == list(world.accounts.incidents_of(eve))
    assert ["incident_opened", "score_report_claim_refused"] == [
        e.kind for e in world.accounts.history(eve)[-2:]
    ]
    assert ada == world.accounts.get_score_report("REG-0001").claimed_by


def test_same_account_claiming_twice_is_refused_without_incident(world: World) -> None:
    """Claiming one's own report again is refused and writes nothing."""
    record(world)
    ada = world.active().candidate_id
    world.accounts.claim_score_report(ada, "REG-0001", name="Ada Lovelace")
    assert_refused(
        world,
        Conflict,
        "score_report_already_claimed",
        world.accounts.claim_score_report,
        ada,
        "REG-0001",
        name="Ada Lovelace",
    )


def test_claim_needs_an_active_account_and_current_terms(store: Store) -> None:
    """A pending account cannot claim; neither can one whose terms are outdated."""
    old = TermsCatalogue.default().versions[0]
    newer = TermsVersion.create("2011.201", START + timedelta(days=1), "Terms of Use", "New text")
    world = World(store, catalogue=TermsCatalogue([old, newer]))
    record(world)
    world.register("p@example.com")
    pending = world.outbox.last("activation").data["candidate_id"]
    assert_refused(
        world,
        PermissionDenied,
        "account_not_active",
        world.accounts.claim_score_report,
        pending,
        "REG-0001",
        name="Ada Lovelace",
    )
    ada = world.active().candidate_id
    world.clock.advance(timedelta(days=2))
    assert_refused(
        world,
        PermissionDenied,
        "terms_outdated",
        world.accounts.claim_score_report,
        ada,
        "REG-0001",
        name="Ada Lovelace",
    )


def test_duplicate_score_report_is_refused(world: World) -> None:
    """Recording a registration number twice is a Conflict."""
    record(world)
    assert_refused(world, Conflict, "score_report_exists", record, world)
    assert_refused(
        world, NotFound, "score_report_not_found", world.accounts.get_score_report, "NOPE"
    )


# -- notifications ------------------------------------------------------------------------------


class Consent:
    """A fake consent context answering from a set of allowed categories."""

    def __init__(self) -> None:
        self.allowed: set[str] = set()

    def may_contact(self, subject: str, category: str, at: Any) -> bool:
        return category in self.allowed


def test_marketing_preferences_respect_consent(store: Store) -> None:
    """Newsletters chosen but without consent are effectively off, with the reason."""
    consent = Consent()
    world = World(store, marketing_consent=consent)
    cid = world.active().candidate_id
    setting = world.accounts.set_notification_preference(cid, "newsletters", True)
    assert (True, False, "consent_withheld") == (setting.chosen, setting.effective, setting.reason)
    consent.allowed.add("newsletters")
    assert world.accounts.get_notification_setting(cid, NotificationCategory.NEWSLETTERS).effective
    settings = {s.category: s.reason for s in world.accounts.get_notification_settings(cid)}
    assert "mandatory" == settings[NotificationCategory.PROGRAM_NOTICES]
    assert "not_chosen" == settings[NotificationCategory.OFFERS]
    assert_refused(
        world,
        ValidationError,
        "notification_mandatory",
        world.accounts.set_notification_preference,
        cid,
        "program_notices",
        False,
    )
    assert_refused(
        world,
        ValidationError,
        "invalid_category",
        world.accounts.set_notification_preference,
        cid,
        "spam",
        True,
    )


# -- incidents -----------------------------------------------------------------------------------


def test_incident_life_cycle_and_reopen_window(store: Store) -> None:
    """open -> in progress -> resolved -> closed; reopening only inside the window."""
    world = World(store, settings=AccountsSettings(incident_reopen_window=timedelta(days=3)))
    cid = world.active().candidate_id
    incident = world.accounts.open_incident(cid, title="Kit missing", body="Where is\nmy kit?")
    iid = incident.incident_id
    world.accounts.post_incident_message(iid, author=MessageAuthor.SUPPORT, body="Looking")
    assert "incident_update" == world.outbox.last().kind
    assert IncidentStatus.IN_PROGRESS == world.accounts.start_incident(iid).status
    assert_refused(
        world, IllegalTransition, "illegal_transition", world.accounts.close_incident, iid
    )
    world.accounts.resolve_incident(iid)
    world.accounts.close_incident(iid)
    assert_refused(
        world,
        IllegalTransition,
        "incident_closed",
        world.accounts.post_incident_message,
        iid,
        author="candidate",
        body="hi",
    )
    world.clock.advance(timedelta(days=1))
    assert IncidentStatus.OPEN == world.accounts.reopen_incident(iid).status
    world.accounts.resolve_incident(iid)
    world.clock.advance(timedelta(days=3, seconds=1))
    assert_refused(
        world, IllegalTransition, "reopen_window_passed", world.accounts.reopen_incident, iid
    )
    assert_refused(world, NotFound, "incident_not_found", world.accounts.get_incident, "INC-NOPE")
    for unstorable in ("INC-\x001", "INC-\ud8001"):  # no storage key: still not found
        get = world.accounts.get_incident
        assert_refused(world, NotFound, "incident_not_found", get, unstorable)
    assert 2 == len(world.accounts.get_incident(iid).messages)


def test_support_winds_down_a_closed_accounts_incident_without_mailing_it(store: Store) -> None:
    """Once the account is closed, nothing about its incidents is mailed to it: support
    still answers, takes up, resolves and closes the incident (recorded in the
    history), while the candidate's own message and reopening are refused
    ``account_closed``, as opening an incident is."""
    world = World(store)
    cid = world.active().candidate_id
    iid = world.accounts.open_incident(cid, title="Kit missing", body="Where?").incident_id
    world.accounts.close(cid, reason="leaving the program")
    sent = len(world.outbox)
    assert_refused(
        world,
        IllegalTransition,
        "account_closed",
        world.accounts.post_incident_message,
        iid,
        author="candidate",
        body="Still here",
    )
    world.accounts.post_incident_message(iid, author="support", body="Shipped today.")
    assert IncidentStatus.IN_PROGRESS == world.accounts.start_incident(iid).status
    assert IncidentStatus.RESOLVED == world.accounts.resolve_incident(iid).status
    assert_refused(world, IllegalTransition, "account_closed", world.accounts.reopen_incident, iid)
    assert IncidentStatus.CLOSED == world.accounts.close_incident(iid).status
    assert sent == len(world.outbox)  # no incident_update to the closed account
    kinds = [entry.kind for entry in world.history.history(cid)]
    assert 1 == kinds.count("incident_message_posted")
    assert 3 == kinds.count("incident_status_changed")
    assert world.history.verify(cid).ok


# -- history -------------------------------------------------------------------------------------


def test_history_reads_every_change_in_order_and_verifies(world: World) -> None:
    """The account history lists every change in order and its hash chain verifies."""
    cid = world.active().candidate_id
    world.accounts.update_contact_details(cid, family_name="King")
    kinds = [e.kind for e in world.history.history(cid)]
    assert [
        "terms_accepted",
        "candidate_registered",
        "activation_sent",
        "account_status_changed",
        "contact_details_updated",
    ] == kinds
    assert world.history.verify(cid).ok


def test_unknown_candidate_is_not_found(world: World) -> None:
    """Reading an unknown or malformed candidate ID raises NotFound / ValidationError."""
    with pytest.raises(NotFound) as info:
        world.accounts.get_candidate("SP-0000-0000-0001-2")
    assert "candidate_not_found" == info.value.code
    with pytest.raises(ValidationError) as bad:
        world.accounts.get_candidate("bogus")
    assert "invalid_candidate_id" == bad.value.code


def test_the_account_history_ledger_has_history_verify_and_verify_all(world: World) -> None:
    """AccountHistory follows the ledger convention: history(subject) as a tuple,
    verify(subject) and verify_all() (no failures on an untouched store)."""
    cid = world.active().candidate_id
    entries = world.history.history(cid)
    assert isinstance(entries, tuple)
    assert tuple(world.accounts.history(cid)) == entries
    assert world.history.verify(cid).ok
    assert () == world.history.verify_all()
