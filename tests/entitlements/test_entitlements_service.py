"""The entitlements service on every adapter: happy paths, as-of answers, unhappy paths."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from entitlements_helpers import START, Env

from _programs import add_agreement
from symprogram.entitlements import AgreementStatus, GrantKind, Reader, Severity
from symprogram.errors import (
    Conflict,
    IllegalTransition,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    SymprogramError,
    ValidationError,
)

ES_HANDBOOK = "essential_support_basic_maintenance_handbook"
BCS_HANDBOOK = "business_critical_services_handbook"


def agreement(env: Env, **overrides: Any) -> Any:
    """Record the standard agreement (``overrides``, ``customer_id`` included, change it)."""
    customer = overrides.pop("customer_id", "C-1")
    return add_agreement(env.service, customer, **overrides)


def grant(env: Env, **overrides: Any) -> Any:
    """Grant an entitlement with sensible defaults."""
    fields: dict[str, Any] = {
        "kind": "temporary",
        "level": "business_critical_services",
        "products": ["NetBackup"],
        "starts_on": date(2012, 3, 1),
        "ends_on": date(2012, 3, 31),
        "reason": "critical outage while the renewal is processed",
        "approver": "manager",
        "by": "agent",
    }
    fields.update(overrides)
    customer = fields.pop("customer_id", "C-1")
    return env.service.grant_entitlement(customer, **fields)


def at(day: date, hour: int = 12) -> datetime:
    """Noon UTC on ``day``."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


READER = Reader("C-1", logged_in=True)


def test_inclusive_end_date(env: Env) -> None:
    """An agreement gives access on its end date and not on the day after."""
    agreement(env)
    last = datetime(2012, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    assert env.service.decide(READER, ES_HANDBOOK, at=last).allowed
    after = env.service.decide(READER, ES_HANDBOOK, at=last + timedelta(microseconds=1))
    assert (False, ("no_active_agreement", "agreement_expired", "language_fallback_english")) == (
        after.allowed,
        after.codes,
    )
    assert date(2012, 12, 31) == after.reasons[1].fact("ended_on")
    assert "renew the support agreement that expired on 2012-12-31" == after.hint


def test_not_started_agreement(env: Env) -> None:
    """Before an agreement starts, the decision says when it will."""
    agreement(env)
    decision = env.service.decide(READER, ES_HANDBOOK, at=at(date(2011, 12, 31)))
    assert ("no_active_agreement", "agreement_not_started") == decision.codes[:2]
    assert date(2012, 1, 1) == decision.reasons[1].fact("starts_on")


def test_suspend_reinstate_cancel_as_of(env: Env) -> None:
    """Status changes take effect from their instant; earlier instants keep their answer."""
    agreement(env)
    before = env.clock.now()
    env.clock.advance(timedelta(days=1))
    suspended = env.service.suspend_agreement("A-1", by="finance", reason="unpaid invoice")
    assert AgreementStatus.SUSPENDED == suspended.status
    now = env.clock.now()
    assert env.service.decide(READER, ES_HANDBOOK, at=before).allowed
    decision = env.service.decide(READER, ES_HANDBOOK, at=now)
    assert ("no_active_agreement", "agreement_suspended") == decision.codes[:2]
    env.clock.advance(timedelta(days=1))
    env.service.reinstate_agreement("A-1", by="finance", reason="paid")
    assert env.service.decide(READER, ES_HANDBOOK).allowed
    env.clock.advance(timedelta(days=1))
    env.service.cancel_agreement("A-1", by="finance", reason="customer left")
    assert env.service.decide(READER, ES_HANDBOOK).has("agreement_cancelled")
    assert env.service.decide(READER, ES_HANDBOOK, at=now - timedelta(days=1)).allowed
    snapshot = env.snapshot("A-1")
    with pytest.raises(IllegalTransition) as caught:
        env.service.reinstate_agreement("A-1", by="finance", reason="oops")
    assert "agreement_cancelled" == caught.value.code
    assert snapshot == env.snapshot("A-1")


def test_suspending_twice_is_refused(env: Env) -> None:
    """Suspending a suspended agreement is an illegal transition and changes nothing."""
    agreement(env)
    env.service.suspend_agreement("A-1", by="finance", reason="unpaid")
    snapshot = env.snapshot("A-1")
    with pytest.raises(IllegalTransition) as caught:
        env.service.suspend_agreement("A-1", by="finance", reason="unpaid")
    assert "illegal_transition" == caught.value.code
    assert snapshot == env.snapshot("A-1")


def test_temporary_grant_and_revocation_as_of(env: Env) -> None:
    """A temporary grant gives access until its date; revocation applies only from its instant."""
    agreement(env)
    issued = grant(env)
    assert "grant-1" == issued.grant_id
    decision = env.service.decide(READER, BCS_HANDBOOK)
    assert (True, ("temporary_entitlement", "language_fallback_english")) == (
        decision.allowed,
        decision.codes,
    )
    assert date(2012, 3, 31) == decision.reasons[0].fact("until")
    granted_at = env.clock.now()
    env.clock.advance(timedelta(hours=2))
    revoked = env.service.revoke_entitlement("C-1", "grant-1", by="manager", reason="renewed")
    assert env.clock.now() == revoked.revoked_at
    assert env.service.decide(READER, BCS_HANDBOOK, at=granted_at + timedelta(hours=1)).allowed
    after = env.service.decide(READER, BCS_HANDBOOK)
    assert ("level_too_low",) == after.codes[:1]
    with pytest.raises(IllegalTransition) as caught:
        env.service.revoke_entitlement("C-1", "grant-1", by="manager", reason="again")
    assert "grant_revoked" == caught.value.code


def test_courtesy_grant_alone(env: Env) -> None:
    """A courtesy grant gives access without any agreement, within its window only."""
    grant(env, kind=GrantKind.COURTESY, level="basic_maintenance")
    assert ("courtesy_entitlement",) == env.service.decide(READER, ES_HANDBOOK).codes[:1]
    later = env.service.decide(READER, ES_HANDBOOK, at=at(date(2012, 4, 1)))
    assert ("no_active_agreement", "entitlement_expired") == later.codes[:2]


def test_level_hint(env: Env) -> None:
    """A reader below the level is told which level would give access."""
    agreement(env, level="basic_maintenance")
    decision = env.service.decide(READER, BCS_HANDBOOK)
    assert "upgrade to Business Critical Services or higher" == decision.hint
    assert (("level", "basic_maintenance"), ("required", "business_critical_services")) == (
        decision.reasons[0].facts
    )


@pytest.mark.parametrize(
    ("overrides", "error", "code", "field"),
    [
        ({"level": "platinum"}, ValidationError, "unknown_service_level", "level"),
        ({"ends_on": date(2011, 1, 1)}, ValidationError, "invalid_window", "ends_on"),
        (
            {"starts_on": datetime(2012, 1, 1, tzinfo=UTC)},
            ValidationError,
            "invalid_date",
            "starts_on",
        ),
        ({"products": []}, ValidationError, "invalid_products", "products"),
        ({"products": "NetBackup"}, ValidationError, "invalid_products", "products"),
        ({"agreement_id": ""}, ValidationError, "invalid_agreement_id", "agreement_id"),
        ({"agreement_id": "A" * 300}, LimitExceeded, "agreement_id_too_long", "agreement_id"),
        ({"customer_id": None}, ValidationError, "invalid_customer_id", "customer_id"),
        ({"by": " "}, ValidationError, "invalid_created_by", "by"),
    ],
)
def test_bad_agreements_are_refused(
    env: Env, overrides: dict[str, Any], error: type[SymprogramError], code: str, field: str
) -> None:
    """Each bad agreement field raises its error and code and stores nothing."""
    snapshot = env.snapshot("A-1")
    with pytest.raises(error) as caught:
        agreement(env, **overrides)
    assert (code, field) == (caught.value.code, caught.value.field)
    assert snapshot == env.snapshot("A-1")


def test_duplicate_agreement_id_across_customers(env: Env) -> None:
    """An agreement id belongs to one customer; a second use is a conflict, nothing written."""
    agreement(env)
    snapshot = env.snapshot("A-1")
    with pytest.raises(Conflict) as caught:
        agreement(env, customer_id="C-2")
    assert "agreement_exists" == caught.value.code
    assert snapshot == env.snapshot("A-1")


@pytest.mark.parametrize(
    ("overrides", "error", "code"),
    [
        ({"approver": "agent"}, ValidationError, "approver_must_differ"),
        ({"kind": "forever"}, ValidationError, "invalid_kind"),
        ({"level": "gold"}, ValidationError, "unknown_service_level"),
        ({"reason": ""}, ValidationError, "invalid_reason"),
        ({"ends_on": date(2012, 2, 1)}, ValidationError, "invalid_window"),
    ],
)
def test_bad_grants_are_refused(
    env: Env, overrides: dict[str, Any], error: type[SymprogramError], code: str
) -> None:
    """Each bad grant raises its code and stores nothing."""
    snapshot = env.snapshot()
    with pytest.raises(error) as caught:
        grant(env, **overrides)
    assert code == caught.value.code
    assert snapshot == env.snapshot()


def test_bad_decide_inputs(env: Env) -> None:
    """decide refuses unknown documents, naive instants, bad readers and bad language lists."""
    cases: list[tuple[dict[str, Any], type[SymprogramError], str]] = [
        ({"document": "nope"}, NotFound, "document_not_found"),
        ({"at": datetime(2012, 1, 1)}, ValidationError, "naive_datetime"),
        ({"reader": "C-1"}, ValidationError, "invalid_reader"),
        ({"languages": ["en", "!!"]}, ValidationError, "invalid_language_tag"),
        ({"languages": 42}, ValidationError, "invalid_languages"),
        ({"languages": ["en"] * 51}, LimitExceeded, "limit_exceeded"),
    ]
    for overrides, error, code in cases:
        kwargs: dict[str, Any] = {"reader": READER, "document": ES_HANDBOOK, **overrides}
        with pytest.raises(error) as caught:
            env.service.decide(**kwargs)
        assert code == caught.value.code, overrides


def test_malformed_header_is_read_leniently(env: Env) -> None:
    """A malformed Accept-Language header never raises: bad items are skipped."""
    decision = env.service.decide(None, "technical_support_policy", languages="!!, th;q=0.5")
    assert "th" == decision.detail("language")


def test_tied_languages_prefer_a_direct_translation(env: Env) -> None:
    """Equally preferred languages do not depend on header order: a direct translation wins."""
    one = env.service.decide(None, "technical_support_policy", languages="ja;q=0.8,he;q=0.8")
    two = env.service.decide(None, "technical_support_policy", languages="he;q=0.8,ja;q=0.8")
    assert ("he", "he") == (one.detail("language"), two.detail("language"))
    assert one.codes == two.codes


def test_support_extension(env: Env) -> None:
    """Past end of standard support, support needs an extension covering those dates."""
    agreement(env)
    env.service.register_release(
        "NetBackup", "6.5", end_of_standard_support=date(2011, 10, 1), end_of_life=date(2013, 1, 1)
    )
    denied = env.service.support_decision("C-1", "NetBackup", "6.5")
    assert ("extension_required",) == denied.codes
    env.service.add_extension(
        "C-1",
        extension_id="X-1",
        product="NetBackup",
        releases=["6.5"],
        starts_on=date(2012, 1, 1),
        ends_on=date(2012, 6, 30),
        by="sales",
    )
    allowed = env.service.support_decision("C-1", "NetBackup", "6.5")
    assert ("active_agreement", "support_extension") == allowed.codes
    assert not env.service.support_decision("C-1", "NetBackup", "6.5", at=date(2012, 7, 1)).allowed
    assert env.service.support_decision("C-1", "NetBackup", "7.0").allowed
    assert ("no_active_agreement",) == env.service.support_decision("C-1", "Backup Exec").codes
    env.service.cancel_extension("X-1", by="sales", reason="upgraded")
    assert not env.service.support_decision("C-1", "NetBackup", "6.5").allowed
    with pytest.raises(ValidationError) as caught:
        env.service.register_release(
            "NetBackup",
            "7.0",
            end_of_standard_support=date(2014, 1, 1),
            end_of_life=date(2013, 1, 1),
        )
    assert "invalid_window" == caught.value.code


def test_case_escalation_and_remote_access(env: Env) -> None:
    """A case escalates level by level, is refused past the top, and remote access needs consent."""
    agreement(env)
    case = env.service.open_case(
        "C-1",
        case_id="CASE-1",
        product="NetBackup",
        severity=Severity.CRITICAL,
        summary="backups fail",
        by="customer",
    )
    assert 0 == case.escalation_level
    top = env.service.catalogue.top_escalation_level
    for level in range(1, top + 1):
        case = env.service.escalate_case("CASE-1", by=f"eng{level}", reason="no progress")
        assert level == case.escalation_level
    assert [f"eng{n}" for n in range(1, top + 1)] == [step.by for step in case.escalations]
    snapshot = env.snapshot()
    with pytest.raises(IllegalTransition) as caught:
        env.service.escalate_case("CASE-1", by="vp", reason="more")
    assert "escalation_top_level" == caught.value.code
    assert snapshot == env.snapshot()

    with pytest.raises(PermissionDenied) as denied:
        env.service.start_remote_session("CASE-1", by="eng1")
    assert "remote_access_consent_required" == denied.value.code
    assert snapshot == env.snapshot()
    env.consent.give("C-1", "2010-01", env.clock.now())  # an older version does not count
    with pytest.raises(PermissionDenied):
        env.service.start_remote_session("CASE-1", by="eng1")
    env.consent.give("C-1", env.service.catalogue.remote_access.version, env.clock.now())  # type: ignore[union-attr]
    session = env.service.start_remote_session("CASE-1", by="eng1")
    with pytest.raises(Conflict) as busy:
        env.service.start_remote_session("CASE-1", by="eng1")
    assert "remote_session_open" == busy.value.code
    ended = env.service.end_remote_session("CASE-1", session.session_id, by="eng1")
    assert env.clock.now() == ended.ended_at
    closed = env.service.close_case("CASE-1", by="eng1")
    with pytest.raises(IllegalTransition) as again:
        env.service.escalate_case("CASE-1", by="eng1", reason="reopen")
    assert ("case_closed", closed.status.value) == (again.value.code, "closed")
    kinds = [entry.kind for entry in env.service.history("C-1")]
    assert ["agreement_recorded", "case_opened"] == kinds[:2]
    assert top == kinds.count("case_escalated")
    assert env.service.verify("C-1").ok


@pytest.mark.parametrize("end", ["expired", "cancelled"])
def test_a_case_is_not_escalated_nor_diagnosed_once_the_agreement_ends(env: Env, end: str) -> None:
    """ "The Policy describes the Support Services we provide to business customers for
    Software covered under active Support Agreements" (the Enterprise Support page):
    once the agreement expired or was cancelled, a case opened while it was active is
    neither escalated nor diagnosed remotely (the reason is the coverage's, nothing is
    written); it can still be closed."""
    agreement(env, ends_on=date(2012, 3, 31))
    env.service.open_case(
        "C-1", case_id="CASE-1", product="NetBackup", severity="high", summary="x", by="c"
    )
    env.consent.give("C-1", env.service.catalogue.remote_access.version, env.clock.now())  # type: ignore[union-attr]
    if end == "expired":
        env.clock.advance(datetime(2012, 4, 1, tzinfo=UTC) - env.clock.now())
    else:
        env.service.cancel_agreement("A-1", by="sales", reason="not renewed")
    snapshot = env.snapshot()
    for step in (
        lambda: env.service.escalate_case("CASE-1", by="eng1", reason="no progress"),
        lambda: env.service.start_remote_session("CASE-1", by="eng1"),
    ):
        with pytest.raises(PermissionDenied) as caught:
            step()
        assert "no_active_agreement" == caught.value.code
        assert f"agreement_{end}" in caught.value.details["reasons"]
        assert snapshot == env.snapshot()
    assert "closed" == env.service.close_case("CASE-1", by="eng1").status.value


def test_escalation_and_remote_diagnostics_read_the_holdings_locked(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The coverage of an escalation or a remote session is read from the holdings
    locked, so a cancellation racing it on a server waits for it or is seen (never
    an escalation recorded after the cancellation it did not see)."""
    from symprogram.entitlements.storage import StoredHoldings

    agreement(env)
    env.service.open_case(
        "C-1", case_id="CASE-1", product="NetBackup", severity="high", summary="x", by="c"
    )
    env.consent.give("C-1", env.service.catalogue.remote_access.version, env.clock.now())  # type: ignore[union-attr]
    reads: list[bool] = []
    original = StoredHoldings.get_or_empty

    def spied(self: Any, customer_id: str, *, for_update: bool = False) -> Any:
        reads.append(for_update)
        return original(self, customer_id, for_update=for_update)

    monkeypatch.setattr(StoredHoldings, "get_or_empty", spied)
    env.service.escalate_case("CASE-1", by="eng1", reason="slow")
    env.service.start_remote_session("CASE-1", by="eng1")
    assert [True, True] == reads


def test_open_case_needs_an_agreement(env: Env) -> None:
    """Support covers only software under an active agreement; nothing is stored otherwise."""
    agreement(env, ends_on=date(2012, 2, 1))
    snapshot = env.snapshot()
    with pytest.raises(PermissionDenied) as caught:
        env.service.open_case(
            "C-1", case_id="CASE-1", product="NetBackup", severity="high", summary="x", by="c"
        )
    assert ("no_active_agreement", ["no_active_agreement", "agreement_expired"]) == (
        caught.value.code,
        caught.value.details["reasons"],
    )
    assert snapshot == env.snapshot()
    with pytest.raises(ValidationError) as bad:
        env.service.open_case(
            "C-1", case_id="CASE-1", product="NetBackup", severity="sev0", summary="x", by="c"
        )
    assert "invalid_severity" == bad.value.code


def test_telephone_support(env: Env) -> None:
    """English is primary everywhere; a local language is offered where the table lists it."""
    # The table is the Local Language Support Table: its readers need what that
    # document needs (issue 16), here a Basic Maintenance agreement.
    env.service.add_agreement(
        "C-1",
        agreement_id="A-T",
        level="basic_maintenance",
        products=["NetBackup"],
        starts_on=date(2012, 1, 1),
        ends_on=date(2012, 12, 31),
        by="sales",
    )
    reader = Reader("C-1", logged_in=True)
    lines = env.service.telephone_support(reader=reader)
    assert all("en" == line.languages[0] for line in lines)
    assert {line.region for line in env.service.telephone_support("emea", reader=reader)} == {
        "EMEA"
    }
    german = env.service.telephone_language("AT", "de-AT,en;q=0.5", reader=reader)
    assert ("telephone_local_language", "de") == (german.codes[0], german.detail("language"))
    english = env.service.telephone_language("AT", ["ja"], reader=reader)
    assert ("telephone_english", "24x7") == (english.codes[0], english.detail("hours"))
    with pytest.raises(NotFound) as caught:
        env.service.telephone_language("AQ", reader=reader)
    assert "telephone_line_not_found" == caught.value.code


def test_not_found_errors(env: Env) -> None:
    """Unknown agreements, grants, cases and products raise NotFound with their codes."""
    checks = [
        (lambda: env.service.get_agreement("nope"), "agreement_not_found"),
        (lambda: env.service.suspend_agreement("nope", by="x", reason="y"), "agreement_not_found"),
        (
            lambda: env.service.revoke_entitlement("C-1", "grant-9", by="x", reason="y"),
            "grant_not_found",
        ),
        (lambda: env.service.get_case("CASE-9"), "entitlements_case_not_found"),
        (lambda: env.service.get_lifecycle("Nope"), "product_not_found"),
        (lambda: env.service.cancel_extension("X-9", by="x", reason="y"), "extension_not_found"),
    ]
    for call, code in checks:
        with pytest.raises(NotFound) as caught:
            call()
        assert code == caught.value.code


def test_holdings_round_trip(env: Env) -> None:
    """Agreements and grants read back equal to what was recorded."""
    recorded = agreement(env)
    issued = grant(env)
    holdings = env.service.get_holdings("C-1")
    assert ((recorded,), (issued,)) == (holdings.agreements, holdings.grants)
    assert recorded == env.service.get_agreement("A-1")
    assert START == recorded.created_at
