"""Properties of the accounts refusals decided in rules: the claim policy, staff status
changes, closed and erased accounts, e-mail changes and bulk input."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram.accounts import (
    AcceptancePath,
    AccountStatus,
    BulkCandidate,
    IncidentCategory,
    TermsCatalogue,
    TermsVersion,
    rules,
)
from symprogram.decisions import Decision, Reason
from symprogram.errors import Conflict, IllegalTransition, PermissionDenied, ValidationError
from symprogram.testing import _accounts as sa
from symprogram.testing.strategies import instants

ACCEPTED = Decision.allow(Reason("terms_accepted"))
OUTDATED = Decision.deny(Reason("terms_outdated", "an older version was accepted"))


@settings(max_examples=60)
@given(sa.candidates(status=AccountStatus.ACTIVE), sa.score_reports(), instants())
def test_an_unclaimed_report_with_proof_is_claimed(candidate, report, at) -> None:  # type: ignore[no-untyped-def]
    """The report's own name proves it: claimed for the candidate, listed, one event."""
    outcome = rules.decide_claim(
        candidate, report, terms=ACCEPTED, email=None, name=report.candidate_name,
        at=at, incident_id="INC-000000000001",
    )  # fmt: skip
    assert outcome.report is not None and outcome.refusal is None and outcome.incident is None
    assert (candidate.candidate_id, at) == (outcome.report.claimed_by, outcome.report.claimed_at)
    assert report.registration_number == outcome.candidate.score_reports[-1]
    assert ["score_report_claimed"] == [e.event_name() for e in outcome.events]


@settings(max_examples=60)
@given(sa.candidates(status=AccountStatus.ACTIVE), sa.score_reports(), instants())
def test_a_report_claimed_by_another_account_opens_an_incident(candidate, report, at) -> None:  # type: ignore[no-untyped-def]
    """The second claim is refused with a Conflict naming the incident it opened."""
    taken = attrs.evolve(report, claimed_by="SP-0000-0000-0001-2", claimed_at=at)
    outcome = rules.decide_claim(
        candidate, taken, terms=ACCEPTED, email=report.email, name=None,
        at=at, incident_id="INC-00000000000A",
    )  # fmt: skip
    assert outcome.report is None and outcome.incident is not None
    assert outcome.refusal is not None
    assert "score_report_already_claimed" == outcome.refusal.code
    assert "INC-00000000000A" == outcome.refusal.details["incident_id"]
    assert IncidentCategory.SCORE_REPORT == outcome.incident.category
    assert "INC-00000000000A" == outcome.candidate.incidents[-1]
    assert ["incident_opened", "score_report_claim_refused"] == [
        e.event_name() for e in outcome.events
    ]


@settings(max_examples=40)
@given(sa.candidates(status=AccountStatus.ACTIVE), sa.score_reports(), instants())
def test_the_same_account_claiming_again_opens_no_incident(candidate, report, at) -> None:  # type: ignore[no-untyped-def]
    """A report the claimant already holds: Conflict at once, no outcome, no incident."""
    mine = attrs.evolve(report, claimed_by=candidate.candidate_id, claimed_at=at)
    with pytest.raises(Conflict) as info:
        rules.decide_claim(
            candidate, mine, terms=ACCEPTED, email=report.email, name=None,
            at=at, incident_id="INC-00000000000B",
        )  # fmt: skip
    assert "score_report_already_claimed" == info.value.code


@settings(max_examples=60)
@given(sa.candidates(), sa.score_reports(), instants(), st.booleans())
def test_claims_need_an_active_account_current_terms_and_proof(  # type: ignore[no-untyped-def]
    candidate, report, at, accepted
) -> None:
    """The first refusal found, in order: not active, terms, proof (an unknown report looks
    like a wrong proof)."""
    terms = ACCEPTED if accepted else OUTDATED
    if candidate.status is not AccountStatus.ACTIVE:
        expected = "account_not_active"
    elif not accepted:
        expected = "terms_outdated"
    else:
        expected = "score_report_proof_mismatch"
    with pytest.raises(PermissionDenied) as info:
        rules.decide_claim(
            candidate, None, terms=terms, email=report.email, name=None,
            at=at, incident_id="INC-00000000000C",
        )  # fmt: skip
    assert expected == info.value.code


def test_a_claim_needs_an_email_or_a_name() -> None:
    """Neither proof given: proof_required."""
    with pytest.raises(ValidationError) as info:
        rules.require_proof(None, None)
    assert "proof_required" == info.value.code
    rules.require_proof("ada@example.com", None)


@settings(max_examples=60)
@given(sa.candidates(), st.sampled_from(AccountStatus), instants(), st.booleans())
def test_staff_status_changes_follow_the_table_and_refuse_erased_accounts(  # type: ignore[no-untyped-def]
    candidate, target, at, erased
) -> None:
    """Erased: account_erased; otherwise exactly what the transition table allows."""
    if erased:
        candidate = attrs.evolve(candidate, erased_at=at)
        with pytest.raises(IllegalTransition) as info:
            rules.staff_status_change(candidate, target, at)
        assert "account_erased" == info.value.code
        return
    if target in rules.ACCOUNT_TRANSITIONS[candidate.status]:
        updated, _ = rules.staff_status_change(candidate, target, at)
        assert target == updated.status
    else:
        with pytest.raises(IllegalTransition):
            rules.staff_status_change(candidate, target, at)


@settings(max_examples=40)
@given(sa.candidates(status=AccountStatus.ACTIVE), instants())
def test_reinstating_requires_a_suspended_account(candidate, at) -> None:  # type: ignore[no-untyped-def]
    """An active account cannot be "reinstated": illegal_transition."""
    with pytest.raises(IllegalTransition) as info:
        rules.staff_status_change(
            candidate, AccountStatus.ACTIVE, at, require=AccountStatus.SUSPENDED
        )
    assert "illegal_transition" == info.value.code


@settings(max_examples=40)
@given(sa.candidates(), instants())
def test_open_accounts_are_neither_closed_nor_erased(candidate, at) -> None:  # type: ignore[no-untyped-def]
    """require_open refuses closed (account_closed) and erased (account_erased) accounts."""
    if candidate.status is AccountStatus.CLOSED:
        with pytest.raises(IllegalTransition) as info:
            rules.require_open(candidate)
        assert "account_closed" == info.value.code
    else:
        rules.require_open(candidate)
    with pytest.raises(IllegalTransition) as info:
        rules.require_open(attrs.evolve(candidate, erased_at=at))
    assert "account_erased" == info.value.code


@settings(max_examples=40)
@given(sa.candidates())
def test_an_email_change_to_the_same_address_is_refused(candidate) -> None:  # type: ignore[no-untyped-def]
    """The current address, in any case: email_unchanged."""
    with pytest.raises(ValidationError) as info:
        rules.check_new_email(candidate, candidate.contact.email.upper())
    assert "email_unchanged" == info.value.code


@given(st.one_of(st.integers(max_value=0), st.booleans(), st.text(), st.none()))
def test_a_batch_size_is_a_positive_integer(value: object) -> None:
    """Zero, negatives, bools and anything else: invalid_batch_size."""
    with pytest.raises(ValidationError) as info:
        rules.check_batch_size(value)
    assert "invalid_batch_size" == info.value.code


@settings(max_examples=20)
@given(sa.contact_details())
def test_bulk_rows_are_candidates_or_contact_details(contact) -> None:  # type: ignore[no-untyped-def]
    """ContactDetails become rows without a password; anything else is invalid_row."""
    assert [BulkCandidate(contact)] == rules.check_bulk_rows([contact])
    with pytest.raises(ValidationError) as info:
        rules.check_bulk_rows([contact, "not a row"])
    assert ("invalid_row", 1) == (info.value.code, info.value.details["row"])


def test_a_path_the_terms_do_not_offer_is_refused() -> None:
    """A version offering create_account only refuses score_report: invalid_path."""
    only = TermsCatalogue.default().versions[0]
    narrow = TermsVersion.create(
        "2012.1", only.effective + timedelta(days=1), "Terms", "Text", ["create_account"]
    )
    rules.offered_path(narrow, AcceptancePath.CREATE_ACCOUNT)
    with pytest.raises(ValidationError) as info:
        rules.offered_path(narrow, AcceptancePath.SCORE_REPORT)
    assert "invalid_path" == info.value.code
