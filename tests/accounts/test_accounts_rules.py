"""Properties of the pure accounts rules."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram.accounts import (
    AccountStatus,
    IncidentStatus,
    MessageAuthor,
    NotificationCategory,
    NotificationPreferences,
    TermsCatalogue,
    rules,
)
from symprogram.accounts.models import ERASED_EMAIL, Candidate
from symprogram.errors import Conflict, IllegalTransition, ValidationError
from symprogram.testing import _accounts as sa
from symprogram.testing.strategies import instants

CURRENT = TermsCatalogue.default().versions[0]


@settings(max_examples=60)
@given(sa.candidates(), st.sampled_from(AccountStatus), instants())
def test_change_status_follows_the_transition_table(candidate, target, at) -> None:  # type: ignore[no-untyped-def]
    """A status change succeeds exactly when the table allows it, and records from/to."""
    allowed = target in rules.ACCOUNT_TRANSITIONS[candidate.status]
    if allowed:
        updated, event = rules.change_status(candidate, target, at, reason="r")
        assert (target, at) == (updated.status, updated.status_changed_at)
        assert (str(candidate.status), str(target)) == (event.previous, event.status)
    else:
        with pytest.raises(IllegalTransition) as info:
            rules.change_status(candidate, target, at)
        assert "illegal_transition" == info.value.code


def test_closed_is_final() -> None:
    """No transition leaves the closed status."""
    assert frozenset() == rules.ACCOUNT_TRANSITIONS[AccountStatus.CLOSED]


@settings(max_examples=60)
@given(sa.terms_acceptances(), instants())
def test_terms_status_allows_only_the_current_version_and_digest(acceptance, at) -> None:  # type: ignore[no-untyped-def]
    """Acceptance of the current version with its digest is allowed; anything else is not."""
    decision = rules.terms_status(acceptance, CURRENT, at)
    expected = (
        acceptance.terms_version == CURRENT.version and acceptance.terms_digest == CURRENT.digest
    )
    assert expected == decision.allowed
    matching = attrs.evolve(acceptance, terms_digest=CURRENT.digest)
    assert ("terms_accepted",) == rules.terms_status(matching, CURRENT, at).codes
    assert ("terms_not_accepted",) == rules.terms_status(None, CURRENT, at).codes


@settings(max_examples=80)
@given(st.text(max_size=40), st.integers(6, 20))
def test_password_policy_length_rule(password, minimum) -> None:  # type: ignore[no-untyped-def]
    """Passwords shorter than the minimum are always refused with password_too_short.

    The length is the hashed (NFKC) form's, as every other check's: a password and
    its normal forms get one verdict (``test_the_policy_judges_every_normal_form_alike``),
    so ``"000000000000\u00b4"`` (13 typed, 14 in NFKC) meets a minimum of 14."""
    decision = rules.password_policy(password, min_length=minimum)
    hashed = rules.normalize_password(password)
    assert (len(hashed) < minimum) == decision.has("password_too_short")


@settings(max_examples=40)
@given(sa.passwords())
def test_generated_passwords_pass_the_policy(password) -> None:  # type: ignore[no-untyped-def]
    """Every password of the strategy is accepted by the default policy."""
    assert password == rules.check_password(password, min_length=10)


def test_check_password_codes() -> None:
    """Bad passwords raise ValidationError with the first refusal code."""
    for bad, code in (
        ("Password123", "password_too_common"),
        ("aaaaaaaaaaaa", "password_too_common"),
        ("x\x00yyyyyyyyyy", "invalid_password"),
        ("a long pass\x85phrase", "invalid_password"),  # C1 (NEL)
        ("a long pass\x9fphrase", "invalid_password"),
        (
            "\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44\uff11\uff12\uff13",
            "password_too_common",
        ),
    ):
        with pytest.raises(ValidationError) as info:
            rules.check_password(bad, min_length=10)
        assert code == info.value.code


def test_the_policy_judges_the_nfkc_form_without_case() -> None:
    """Personal information and the deny-list are compared on the NFKC, casefolded form:
    a family name or a common password in fullwidth letters is refused; the accepted
    password comes back normalized (the form that is hashed)."""
    personal = ("ada", "Ada", "Lovelace")
    fullwidth = "".join(chr(0xFF21 + ord(c) - ord("A")) for c in "LOVELACE") + "12345"
    with pytest.raises(ValidationError) as info:
        rules.check_password(fullwidth, min_length=10, personal=personal)
    assert "password_contains_personal_info" == info.value.code
    decomposed = unicodedata.normalize("NFD", "Cr\u00e8me br\u00fbl\u00e9e \ufb01ne")
    assert "Cr\u00e8me br\u00fbl\u00e9e fine" == rules.check_password(decomposed, min_length=10)


@settings(max_examples=80)
@given(st.text(max_size=30), st.sampled_from(("NFC", "NFD", "NFKC", "NFKD")))
def test_the_policy_judges_every_normal_form_alike(password: str, form: str) -> None:
    """A password and any of its Unicode normal forms get the same verdict."""
    variant = unicodedata.normalize(form, password)  # type: ignore[arg-type]
    assert rules.password_policy(password, min_length=10).codes == (
        rules.password_policy(variant, min_length=10).codes
    )


@settings(max_examples=60)
@given(
    sa.candidates(),
    instants(),
    st.timedeltas(min_value=timedelta(days=1), max_value=timedelta(days=800)),
)
def test_contact_review_due_exactly_after_the_period(candidate, at, period) -> None:  # type: ignore[no-untyped-def]
    """Review is due iff at least ``period`` passed since the last review."""
    decision = rules.contact_review(candidate, at, period)
    assert (at - candidate.contact_reviewed_at >= period) == decision.has("contact_review_due")


@settings(max_examples=60)
@given(sa.candidates(), instants(), st.timedeltas())
def test_contact_review_answers_any_period(candidate, at, period) -> None:  # type: ignore[no-untyped-def]
    """Any ``timedelta``, one reaching past either end of the calendar included, is
    answered (never OverflowError): due exactly when at least ``period`` passed."""
    decision = rules.account_contact_review(candidate, at, period)
    if candidate.status is not AccountStatus.CLOSED:
        passed = at - candidate.contact_reviewed_at
        assert (passed >= period) == decision.has("contact_review_due")


@settings(max_examples=60)
@given(
    sa.candidates(),
    instants(),
    st.timedeltas(min_value=timedelta(days=1), max_value=timedelta(days=800)),
)
def test_an_account_is_asked_to_review_only_while_open(candidate, at, period) -> None:  # type: ignore[no-untyped-def]
    """A closed account is never due (``account_closed``); an open one is due exactly
    when :func:`rules.contact_review` says so."""
    decision = rules.account_contact_review(candidate, at, period)
    if candidate.status is AccountStatus.CLOSED:
        assert (True, ("account_closed",)) == (decision.allowed, decision.codes)
    else:
        assert rules.contact_review(candidate, at, period) == decision


@settings(max_examples=60)
@given(sa.candidates(), st.sampled_from(NotificationCategory), st.none() | st.booleans())
def test_notification_setting_invariants(candidate, category, consent) -> None:  # type: ignore[no-untyped-def]
    """Mandatory categories are on unless closed; marketing without consent is never effective."""
    setting = rules.notification_setting(candidate, category, consent)
    if candidate.status is AccountStatus.CLOSED:
        assert not setting.effective
    elif category is NotificationCategory.PROGRAM_NOTICES:
        assert setting.effective
    if consent is False and category in (
        NotificationCategory.NEWSLETTERS,
        NotificationCategory.OFFERS,
    ):
        assert not setting.effective
    if setting.effective:
        assert setting.chosen


@settings(max_examples=60)
@given(sa.notification_preferences(), st.sampled_from(NotificationCategory), st.booleans())
def test_set_preference(preferences, category, enabled) -> None:  # type: ignore[no-untyped-def]
    """Switching changes exactly that category; program notices cannot be switched off."""
    if category is NotificationCategory.PROGRAM_NOTICES and not enabled:
        with pytest.raises(ValidationError) as info:
            rules.set_preference(preferences, category, enabled)
        assert "notification_mandatory" == info.value.code
        return
    updated = rules.set_preference(preferences, category, enabled)
    assert enabled == updated.chosen(category)
    assert preferences.enabled - {category} == updated.enabled - {category}
    assert NotificationCategory.PROGRAM_NOTICES in NotificationPreferences(frozenset()).enabled


@settings(max_examples=60)
@given(sa.score_reports(), sa.candidate_ids(), instants())
def test_claim_and_proof(report, candidate_id, at) -> None:  # type: ignore[no-untyped-def]
    """The report's own e-mail or name proves it; a claimed report cannot be claimed again."""
    assert rules.score_report_proof(report, email=report.email.upper(), name=None)
    assert rules.score_report_proof(report, email=None, name=f"  {report.candidate_name}  ")
    assert not rules.score_report_proof(report, email=None, name=None)
    claimed = rules.claim_report(report, candidate_id, at)
    assert (candidate_id, at) == (claimed.claimed_by, claimed.claimed_at)
    with pytest.raises(Conflict) as info:
        rules.claim_report(claimed, candidate_id, at)
    assert "score_report_already_claimed" == info.value.code


@settings(max_examples=80)
@given(
    sa.incidents(),
    st.sampled_from(IncidentStatus),
    instants(),
    st.timedeltas(min_value=timedelta(hours=1), max_value=timedelta(days=30)),
)
def test_incident_transitions(incident, target, at, window) -> None:  # type: ignore[no-untyped-def]
    """Transitions follow the table; reopening also needs the window; resolving stamps it."""
    legal = target in rules.INCIDENT_TRANSITIONS[incident.status]
    if legal and target is IncidentStatus.OPEN:
        legal = incident.resolved_at is not None and at <= incident.resolved_at + window
    if not legal:
        with pytest.raises(IllegalTransition):
            rules.change_incident_status(incident, target, at, reopen_window=window)
        return
    updated, event = rules.change_incident_status(incident, target, at, reopen_window=window)
    assert target == updated.status
    assert str(target) == event.status
    if target is IncidentStatus.RESOLVED:
        assert at == updated.resolved_at


@settings(max_examples=80)
@given(
    sa.candidates(),
    st.sampled_from(MessageAuthor),
    st.booleans(),
    instants(),
)
def test_only_support_changes_the_incidents_of_a_closed_account(  # type: ignore[no-untyped-def]
    candidate, author, erased, at
) -> None:
    """On a closed account only customer support posts and moves incidents (the
    candidate's own posting and reopening are refused ``account_closed``, as opening
    one is); an erased account's incidents change no more (``account_erased``); and
    no incident notice is mailed to a closed account, whoever acts."""
    if erased:
        candidate = attrs.evolve(candidate, status=AccountStatus.CLOSED, erased_at=at)
    closed = candidate.status is AccountStatus.CLOSED
    refused = "account_erased" if erased else None
    if refused is None and closed and author is MessageAuthor.CANDIDATE:
        refused = "account_closed"
    if refused is None:
        rules.require_incident_writer(candidate, author)
    else:
        with pytest.raises(IllegalTransition) as info:
            rules.require_incident_writer(candidate, author)
        assert refused == info.value.code
    notice = rules.incident_notice_due(candidate, at)
    assert (not closed) == notice.allowed
    assert (("account_closed",) if closed else ("account_open",)) == notice.codes
    notices = rules.notification_setting(candidate, NotificationCategory.PROGRAM_NOTICES, None)
    assert notices.effective == notice.allowed


def test_reopening_is_the_candidates_step_and_the_other_moves_supports() -> None:
    """``-> open`` (a reopen) is the candidate's; taking up, resolving, closing support's."""
    authors = {target: rules.incident_change_author(target) for target in IncidentStatus}
    assert MessageAuthor.CANDIDATE == authors.pop(IncidentStatus.OPEN)
    assert {MessageAuthor.SUPPORT} == set(authors.values())


@settings(max_examples=80)
@given(
    st.lists(instants(), max_size=8),
    instants(),
    st.integers(1, 5),
    st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=2)),
)
def test_rate_limit_counts_the_window(history, at, limit, window) -> None:  # type: ignore[no-untyped-def]
    """One more request is allowed iff fewer than ``limit`` fell in the window."""
    recent = [i for i in history if at - window < i <= at]
    assert (len(recent) < limit) == rules.rate_limit(
        history, at, limit=limit, window=window
    ).allowed


@settings(max_examples=40)
@given(sa.candidates(), sa.contact_details(), instants())
def test_apply_contact_changes_diffs_exactly_the_changed_fields(candidate, other, at) -> None:  # type: ignore[no-untyped-def]
    """The event lists exactly the fields that differ; the review instant moves to ``at``."""
    changes = {name: getattr(other, name) for name in rules.CONTACT_FIELDS}
    updated, event = rules.apply_contact_changes(candidate, changes, at)
    differing = [
        n for n in rules.CONTACT_FIELDS if getattr(candidate.contact, n) != getattr(other, n)
    ]
    assert differing == ([c.field for c in event.changes] if event else [])
    assert at == updated.contact_reviewed_at
    assert candidate.contact.email == updated.contact.email


@settings(max_examples=10)
@given(sa.candidates())
def test_apply_contact_changes_refuses_email(candidate) -> None:  # type: ignore[no-untyped-def]
    """The e-mail address cannot change through a contact update."""
    with pytest.raises(ValidationError) as info:
        rules.apply_contact_changes(candidate, {"email": "x@example.com"}, candidate.registered_at)
    assert "unknown_field" == info.value.code


def test_former_emails_reads_an_iterator_of_entries_once() -> None:
    """``former_emails`` takes any iterable of ``(kind, data)`` pairs, an iterator
    included (read once), and answers as for the same pairs in a list."""
    entries = [
        ("candidate_registered", {"email": "a@x.example"}),
        ("email_changed", {"email": "b@x.example"}),
    ]
    assert ("a@x.example",) == rules.former_emails(iter(entries))
    assert rules.former_emails(entries) == rules.former_emails(iter(entries))


@settings(max_examples=10, deadline=None)
@given(
    candidate=sa.candidates(),
    held=st.lists(sa.emails(), max_size=3),
    asked=st.lists(sa.emails(), max_size=3),
)
def test_an_account_holds_only_the_addresses_it_registered_with_or_changed_to(
    candidate: Candidate, held: list[str], asked: list[str]
) -> None:
    """held_emails is the current address and those the history says the account
    registered with or changed from or to; an address it only asked for (pending, or
    named by an ``email_change_requested`` entry) is known but not held."""
    history = [{"email": held[0]}] if held else []
    history += [{"previous_email": e, "email": candidate.contact.email} for e in held[1:]]
    history += [{"new_email": e} for e in asked]
    pending = attrs.evolve(candidate, pending_email=asked[0] if asked else None)
    expected = {candidate.contact.email, *held} - {ERASED_EMAIL}
    assert tuple(sorted(expected)) == rules.held_emails(pending, history)
    assert set(rules.held_emails(pending, history)) <= set(rules.known_emails(pending, history))
    assert set(asked) <= set(rules.known_emails(pending, history)) | {ERASED_EMAIL}
