"""The support customer's journey (issue 5, entitlements): service levels,
agreements, courtesy and temporary grants, extensions for old versions, languages,
escalation and remote access, each bullet exercised through ``Program`` on every
backend."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import attrs
import pytest
from integration_helpers import BCS_HANDBOOK, ES_HANDBOOK, POLICY, READER

from _programs import add_agreement, add_grant
from symprogram import Program
from symprogram.errors import IllegalTransition, PermissionDenied, ValidationError


def _agreement(program: Program, **overrides: object) -> None:
    add_agreement(program.entitlements, **overrides)


def test_default_service_levels_are_ranked(program: Program) -> None:
    """Basic Maintenance < Essential Support < Business Critical Services."""
    levels = program.entitlements.catalogue.service_levels
    ranked = sorted(levels, key=lambda level: level.rank)
    assert ["basic_maintenance", "essential_support", "business_critical_services"] == [
        level.id for level in ranked
    ]


def test_agreement_end_date_is_inclusive_and_expiry_is_explained(program: Program) -> None:
    """Access holds on the end date; the day after, the decision says it expired on DATE."""
    _agreement(program)
    last = datetime(2012, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert program.entitlements.decide(READER, ES_HANDBOOK, at=last).allowed
    after = program.entitlements.decide(READER, ES_HANDBOOK, at=last + timedelta(seconds=1))
    assert (False, True) == (after.allowed, after.has("agreement_expired"))
    expired = next(r for r in after.reasons if r.code == "agreement_expired")
    assert date(2012, 12, 31) == expired.fact("ended_on")
    assert after.hint


@pytest.mark.parametrize("kind", ["courtesy", "temporary"])
def test_courtesy_and_temporary_grants_carry_reason_approver_window_and_are_revocable(
    program: Program, kind: str
) -> None:
    """A grant by staff records reason, approver and window, answers "until DATE",
    and is revocable from the revocation instant on; approver must differ from staff."""
    window = {
        "kind": kind,
        "level": "business_critical_services",
        "starts_on": date(2012, 3, 1),
        "ends_on": date(2012, 3, 31),
    }
    with pytest.raises(ValidationError) as same:
        add_grant(program.entitlements, **window, reason="outage", approver="agent", by="agent")
    assert "approver_must_differ" == same.value.code
    granted = add_grant(
        program.entitlements,
        **window,
        reason="critical outage while the renewal is processed",
        by="agent",
    )
    assert (
        "critical outage while the renewal is processed",
        "manager",
        date(2012, 3, 1),
        date(2012, 3, 31),
    ) == (granted.reason, granted.approver, granted.starts_on, granted.ends_on)
    noon = datetime(2012, 3, 31, 12, tzinfo=UTC)
    decision = program.entitlements.decide(READER, BCS_HANDBOOK, at=noon)
    assert decision.allowed
    grant_reason = next(r for r in decision.reasons if r.code == f"{kind}_entitlement")
    assert date(2012, 3, 31) == grant_reason.fact("until")
    assert not program.entitlements.decide(READER, BCS_HANDBOOK, at=noon + timedelta(days=1))
    revoked = program.entitlements.revoke_entitlement(
        "C-1", granted.grant_id, by="manager", reason="renewed"
    )
    assert revoked.revoked_at is not None
    assert not program.entitlements.decide(READER, BCS_HANDBOOK, at=revoked.revoked_at)


def test_older_versions_need_an_extension_covering_the_dates(program: Program) -> None:
    """Past end of standard support, support needs an extension covering those dates."""
    _agreement(program)
    program.entitlements.register_release(
        "NetBackup", "6.5", end_of_standard_support=date(2011, 10, 1), end_of_life=date(2013, 1, 1)
    )
    assert ("extension_required",) == program.entitlements.support_decision(
        "C-1", "NetBackup", "6.5"
    ).codes
    program.entitlements.add_extension(
        "C-1",
        extension_id="X-1",
        product="NetBackup",
        releases=["6.5"],
        starts_on=date(2012, 1, 1),
        ends_on=date(2012, 6, 30),
        by="sales",
    )
    assert program.entitlements.support_decision("C-1", "NetBackup", "6.5").allowed
    assert not program.entitlements.support_decision(
        "C-1", "NetBackup", "6.5", at=date(2012, 7, 1)
    ).allowed


# tag -> (reason code, served language) for the Technical Support Policy (seed 001)
POLICY_TABLE = {
    "th": ("language_served", "th"),
    "he": ("language_served", "he"),
    "iw": ("language_served", "he"),
    "id": ("language_served", "id"),
    "in": ("language_served", "id"),
    "tr": ("language_served", "tr"),
    "ja": ("language_local_site", "ja"),
    "zh-TW": ("language_fallback_english", "en"),
    "zh-CN": ("language_local_site", "zh-Hans"),
    "pt-BR": ("language_local_site", "pt"),
    "de-AT": ("language_local_site", "de"),
    "en-GB": ("language_served", "en"),
    "xx": ("language_fallback_english", "en"),
}


@pytest.mark.parametrize("tag", sorted(POLICY_TABLE))
def test_policy_language_decision_table(program: Program, tag: str) -> None:
    """Each tag of the issue's table picks the seed's language, local site or English,
    says which and why, with the display name and direction (Hebrew is rtl)."""
    decision = program.entitlements.decide(READER, POLICY, languages=tag)
    code, language = POLICY_TABLE[tag]
    assert (code, language) == (decision.codes[-1], decision.detail("language"))
    assert ("rtl" if language == "he" else "ltr") == decision.detail("direction")
    assert decision.detail("language_name")


def test_accessible_documents_lists_what_decide_allows(program: Program) -> None:
    """accessible_documents(reader, at=) lists exactly the documents decide allows."""
    _agreement(program, level="basic_maintenance")
    at = datetime(2012, 6, 1, tzinfo=UTC)
    listed = {item.document.id for item in program.entitlements.accessible_documents(READER, at=at)}
    every = [d.id for d in program.entitlements.catalogue.documents]
    expected = {d for d in every if program.entitlements.decide(READER, d, at=at).allowed}
    assert expected == listed
    assert BCS_HANDBOOK not in listed
    assert ES_HANDBOOK in listed


def test_telephone_support_has_english_first_everywhere(program: Program) -> None:
    """Every line of the local language table offers English as its primary language."""
    _agreement(program)  # the table is the Local Language Support Table: gated (issue 16)
    lines = program.entitlements.telephone_support(reader=READER)
    assert lines
    assert all("en" == line.languages[0] for line in lines)
    assert all(line.english_hours and line.local_hours for line in lines)


def test_escalation_steps_are_recorded_and_past_the_top_refused(program: Program) -> None:
    """Each escalation step records who and why; past the top level it is refused."""
    _agreement(program)
    program.entitlements.open_case(
        "C-1", case_id="K-1", product="NetBackup", severity="critical", summary="down", by="c"
    )
    top = program.entitlements.catalogue.top_escalation_level
    for n in range(1, top + 1):
        case = program.entitlements.escalate_case("K-1", by=f"eng{n}", reason=f"why {n}")
    assert [(f"eng{n}", f"why {n}") for n in range(1, top + 1)] == [
        (step.by, step.reason) for step in case.escalations
    ]
    with pytest.raises(IllegalTransition) as info:
        program.entitlements.escalate_case("K-1", by="vp", reason="more")
    assert "escalation_top_level" == info.value.code
    assert top == program.entitlements.get_case("K-1").escalation_level


def test_remote_access_needs_consent_to_the_current_terms_version(program: Program) -> None:
    """Consent given to an earlier version of the Remote Access Standard Terms does not
    allow a session once a newer version is current; consenting to it does."""
    _agreement(program)
    program.entitlements.open_case(
        "C-1", case_id="K-1", product="NetBackup", severity="high", summary="down", by="c"
    )
    program.consent_to_remote_access("C-1")
    session = program.entitlements.start_remote_session("K-1", by="eng")
    program.entitlements.end_remote_session("K-1", session.session_id, by="eng")
    catalogue = program.entitlements.catalogue
    assert catalogue.remote_access is not None
    newer = attrs.evolve(
        catalogue, remote_access=attrs.evolve(catalogue.remote_access, version="2099.1")
    )
    later = Program(
        program.store, clock=program.clock, options={"entitlements": {"catalogue": newer}}
    )
    with pytest.raises(PermissionDenied) as info:
        later.entitlements.start_remote_session("K-1", by="eng")
    assert ("remote_access_consent_required", "2099.1") == (
        info.value.code,
        info.value.details["terms_version"],
    )
    later.consent_to_remote_access("C-1", channel="phone")
    assert "2099.1" == later.entitlements.start_remote_session("K-1", by="eng").terms_version
