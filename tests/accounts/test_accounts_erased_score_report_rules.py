"""Properties of the erasure rules of score reports: which unclaimed reports an
erasure reaches (``reported_for``) and that an erased report proves nothing."""

from __future__ import annotations

import attrs
from hypothesis import given
from hypothesis import strategies as st

from symprogram.accounts import rules
from symprogram.accounts.models import ScoreReport, normalize_email
from symprogram.testing._accounts import emails, names, score_reports


@given(report=score_reports(), others=st.lists(emails(), max_size=3))
def test_an_unclaimed_report_is_reached_through_its_address_in_any_case(
    report: ScoreReport, others: list[str]
) -> None:
    """An unclaimed report is reported for its own address, in any letter case,
    among other addresses; never for addresses that are not its own."""
    unclaimed = attrs.evolve(report, claimed_by=None, claimed_at=None)
    strangers = [e for e in others if e.casefold() != unclaimed.email.casefold()]
    shouted = normalize_email(unclaimed.email.upper())

    assert rules.reported_for(unclaimed, [*strangers, shouted])
    assert not rules.reported_for(unclaimed, strangers)
    assert not rules.reported_for(attrs.evolve(unclaimed, claimed_by="SP-1"), [shouted])


@given(report=score_reports(), email=emails(), name=names())
def test_an_erased_report_proves_nothing_and_is_reached_no_more(
    report: ScoreReport, email: str, name: str
) -> None:
    """Whatever address or name a claimant gives, the erased form of a report does
    not match; it is no longer reported for its former address either."""
    erased = rules.erased_report(report)

    assert rules.report_erased(erased)
    for proof in (
        {"email": email, "name": None},
        {"email": None, "name": name},
        {"email": erased.email, "name": erased.candidate_name},
        {"email": report.email, "name": report.candidate_name},
    ):
        assert ("proof_mismatch",) == rules.score_report_proof(erased, **proof).codes
    assert not rules.reported_for(erased, [report.email, erased.email])
