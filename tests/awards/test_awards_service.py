"""The awards service on every storage adapter: happy paths and every refusal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from awards_env import ADA, START, Env

from symprogram.awards import (
    AwardStatus,
    DisclosureStatus,
    KitAddress,
    KitStatus,
)
from symprogram.errors import (
    Conflict,
    IllegalTransition,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    SymprogramError,
    ValidationError,
)
from symprogram.storage.memory import MemoryStore

DAY = timedelta(days=1)


def earn_scs_endpoint(env: Env) -> None:
    """Ada passes 250-315 and ST0-091 and earns SCS and STS Endpoint."""
    env.service.record_exam_result("ada", "250-315", 85, taken_at=START)
    env.service.record_exam_result("ada", "ST0-091", 80, taken_at=START)
    env.service.evaluate("ada")


def status_of(env: Env, award_id: str, at: datetime | None = None) -> AwardStatus | None:
    """The status of ``award_id`` for Ada at ``at``."""
    for holding in env.service.awards_of("ada", at):
        if holding.award_id == award_id:
            return holding.status
    return None


def assert_refused(
    env: Env, call: Callable[[], Any], error: type[SymprogramError], code: str
) -> SymprogramError:
    """``call`` raises ``error`` with ``code`` and leaves storage and the outbox unchanged."""
    before, messages = env.snapshot(), len(env.outbox)
    with pytest.raises(error) as info:
        call()
    assert code == info.value.code
    assert before == env.snapshot()
    assert messages == len(env.outbox)
    return info.value


# -- exam results -------------------------------------------------------------------


def test_record_exam_result_passes_on_pass_score_and_logs_history(env: Env) -> None:
    """A score at the pass score passes; the result is kept and appears in the history."""
    r = env.service.record_exam_result("ada", "ST0-091", 70, taken_at=START)
    assert (True, "12.1") == (r.passed, r.version)
    assert (r,) == env.service.exam_results_of("ada")
    assert ["exam_result_recorded"] == [e.kind for e in env.history.history("ada")]


@pytest.mark.parametrize(
    ("kwargs", "error", "code"),
    [
        ({"candidate_id": "nobody"}, NotFound, "candidate_not_found"),
        ({"candidate_id": ""}, ValidationError, "invalid_candidate_id"),
        ({"candidate_id": 7}, ValidationError, "invalid_candidate_id"),
        ({"exam_code": "XYZ"}, NotFound, "exam_not_found"),
        ({"exam_code": None}, ValidationError, "invalid_exam_code"),
        ({"score": "90"}, ValidationError, "invalid_score"),
        ({"score": True}, ValidationError, "invalid_score"),
        ({"score": 101}, ValidationError, "score_out_of_range"),
        ({"score": -1}, ValidationError, "score_out_of_range"),
        ({"version": "9.9"}, ValidationError, "unknown_exam_version"),
        ({"taken_at": datetime(2012, 1, 1)}, ValidationError, "naive_datetime"),
        ({"taken_at": "yesterday"}, ValidationError, "invalid_instant"),
        ({"taken_at": START + DAY}, ValidationError, "instant_in_future"),
        ({"exam_code": "ST0-085", "version": None}, ValidationError, "exam_retired"),
    ],
)
def test_record_exam_result_refuses_bad_input(
    env: Env, kwargs: dict[str, Any], error: type[SymprogramError], code: str
) -> None:
    """Each bad input raises its error and code and writes nothing."""
    args: dict[str, Any] = {
        "candidate_id": "ada",
        "exam_code": "ST0-091",
        "score": 80,
        "taken_at": START,
    }
    args.update(kwargs)
    assert_refused(env, lambda: env.service.record_exam_result(**args), error, code)


def test_duplicate_exam_result_is_refused(env: Env) -> None:
    """The same exam, version and instant cannot be recorded twice."""
    env.service.record_exam_result("ada", "ST0-091", 80, taken_at=START)
    assert_refused(
        env,
        lambda: env.service.record_exam_result("ada", "ST0-091", 90, taken_at=START),
        Conflict,
        "duplicate_exam_result",
    )


def test_retired_exam_taken_before_retirement_is_accepted(env: Env) -> None:
    """A score report of a retired exam taken before its retirement can be recorded."""
    r = env.service.record_exam_result(
        "ada", "ST0-085", 80, taken_at=datetime(2011, 12, 1, tzinfo=UTC)
    )
    assert "ST0-085" == r.exam_code


# -- progress and earning -----------------------------------------------------------------


def test_progress_reports_met_missing_and_percentage(env: Env) -> None:
    """Two NetBackup awards meet the SCP's 2-of-4; 30 of 50 credits: 80 %, credits missing."""
    env.service.record_exam_result("ada", "250-371", 80, taken_at=START)
    env.service.record_exam_result("ada", "ST0-192", 80, taken_at=START)
    env.service.evaluate("ada")
    report = env.service.progress("ada", "scp-data-protection")
    assert (False, 80) == (report.met, report.percentage)
    assert ["earn at least 50 credits from exams ST0-074, ST0-148, ST0-192, 250-316, 250-371"] == [
        m.description for m in report.missing
    ]


def test_progress_as_of_a_date_ignores_later_results(env: Env) -> None:
    """Progress as of a date before an exam was taken does not count it."""
    env.service.record_exam_result("ada", "ST0-091", 80, taken_at=START)
    assert (0, 100) == (
        env.service.progress("ada", "sts-endpoint", START - DAY).percentage,
        env.service.progress("ada", "sts-endpoint").percentage,
    )


def test_evaluate_grants_awards_kits_and_history(env: Env) -> None:
    """Evaluate grants met awards with their validity, queues kits for certifications."""
    env.service.record_exam_result("ada", "250-315", 85, taken_at=START)
    env.service.record_exam_result("ada", "ST0-091", 80, taken_at=START)
    granted = env.service.evaluate("ada")
    assert ["scs-endpoint", "sts-endpoint"] == sorted(g.award_id for g in granted)
    assert {START + timedelta(days=730)} == {g.expires_at for g in granted}
    kits = env.service.kits_of("ada")
    assert [("scs-endpoint", KitStatus.QUEUED, ADA)] == [
        (k.award_id, k.status, k.address) for k in kits
    ]
    kinds = [e.kind for e in env.history.history("ada")]
    assert 2 == kinds.count("award_granted")
    assert 1 == kinds.count("kit_queued")
    assert env.history.verify("ada").ok
    assert () == env.service.evaluate("ada")


def test_evaluate_cascades_to_awards_requiring_awards(env: Env) -> None:
    """The SCP is granted in the same evaluation as the awards it requires."""
    for code in ("250-371", "250-316", "ST0-192", "ST0-148"):
        env.service.record_exam_result("ada", code, 90, taken_at=START)
    granted = {g.award_id for g in env.service.evaluate("ada")}
    assert "scp-data-protection" in granted


def test_evaluate_refuses_future_and_before_last_change(env: Env) -> None:
    """Evaluate may not grant in the future nor rewrite history before the last change."""
    assert_refused(
        env, lambda: env.service.evaluate("ada", START + DAY), ValidationError, "instant_in_future"
    )
    earn_scs_endpoint(env)
    assert_refused(
        env,
        lambda: env.service.evaluate("ada", START - DAY),
        ValidationError,
        "instant_before_last_change",
    )


def test_earn_refuses_unmet_and_already_active(env: Env) -> None:
    """earn refuses an award whose requirements are unmet, and one already active."""
    assert_refused(
        env, lambda: env.service.earn("ada", "scs-endpoint"), Conflict, "requirements_not_met"
    )
    env.service.record_exam_result("ada", "250-315", 85, taken_at=START)
    grant = env.service.earn("ada", "scs-endpoint")
    assert "scs-endpoint" == grant.award_id
    assert_refused(
        env, lambda: env.service.earn("ada", "scs-endpoint"), Conflict, "award_already_active"
    )
    assert_refused(env, lambda: env.service.earn("ada", "nope"), NotFound, "award_not_found")


def test_award_expires_after_its_validity(env: Env) -> None:
    """awards_of reports active before expiry and expired from it on."""
    earn_scs_endpoint(env)
    expiry = START + timedelta(days=730)
    assert (AwardStatus.ACTIVE, AwardStatus.EXPIRED, None) == (
        status_of(env, "scs-endpoint", expiry - timedelta(seconds=1)),
        status_of(env, "scs-endpoint", expiry),
        status_of(env, "scs-endpoint", START - DAY),
    )


def test_retired_award_is_kept_by_holders_until_expiry(env: Env) -> None:
    """SCS EP 11 earned before retirement stays active after it, until expiry."""
    env.service.record_exam_result("ada", "250-310", 80, taken_at=datetime(2012, 1, 10, tzinfo=UTC))
    env.service.evaluate("ada")
    assert AwardStatus.ACTIVE == status_of(env, "scs-endpoint-11", datetime(2013, 1, 1, tzinfo=UTC))
    env.clock.set(datetime(2012, 7, 2, tzinfo=UTC))
    assert_refused(
        env, lambda: env.service.renew("ada", "scs-endpoint-11"), IllegalTransition, "award_retired"
    )


# -- renewal and revocation -----------------------------------------------------------


def test_renew_extends_from_current_expiry_with_included_awards(env: Env) -> None:
    """Renewing SCS EP in its window extends it and the STS EP it includes by 730 days."""
    earn_scs_endpoint(env)
    env.clock.advance(timedelta(days=700))
    renewed = env.service.renew("ada", "scs-endpoint")
    new_expiry = START + timedelta(days=1460)
    assert [("scs-endpoint", new_expiry), ("sts-endpoint", new_expiry)] == [
        (h.award_id, h.expires_at) for h in renewed
    ]
    assert 2 == [e.kind for e in env.history.history("ada")].count("award_renewed")


def test_renew_refusals(env: Env) -> None:
    """Renewal: too early, not held, expired (earn again), unknown award."""
    assert_refused(
        env, lambda: env.service.renew("ada", "scs-endpoint"), IllegalTransition, "award_not_held"
    )
    earn_scs_endpoint(env)
    assert_refused(
        env, lambda: env.service.renew("ada", "scs-endpoint"), Conflict, "renewal_too_early"
    )
    decision = env.service.can_renew("ada", "scs-endpoint")
    assert ("renewal_too_early",) == decision.codes
    env.clock.advance(timedelta(days=731))
    assert_refused(
        env, lambda: env.service.renew("ada", "scs-endpoint"), IllegalTransition, "award_expired"
    )


def test_renewal_requirements_must_be_met_since_the_period_began(env: Env) -> None:
    """SSE Endpoint renewal needs a new pass of SSE-EP taken during the current period."""
    env.service.record_exam_result("ada", "SSE-EP", 80, taken_at=START)
    env.service.evaluate("ada")
    env.clock.advance(timedelta(days=330))
    assert_refused(
        env,
        lambda: env.service.renew("ada", "sse-endpoint"),
        Conflict,
        "renewal_requirements_not_met",
    )
    env.service.record_exam_result("ada", "SSE-EP", 85, taken_at=env.clock.now())
    (renewed,) = env.service.renew("ada", "sse-endpoint")
    assert START + timedelta(days=730) == renewed.expires_at


def test_revoke_then_status_is_revoked_and_earning_needs_new_evidence(env: Env) -> None:
    """A revoked award shows revoked; old results do not re-earn it."""
    earn_scs_endpoint(env)
    env.clock.advance(DAY)
    holding = env.service.revoke("ada", "scs-endpoint", reason="exam misconduct")
    assert AwardStatus.REVOKED == holding.status
    assert "scs-endpoint" not in {g.award_id for g in env.service.evaluate("ada")}
    assert_refused(
        env,
        lambda: env.service.revoke("ada", "scs-endpoint", reason="again"),
        IllegalTransition,
        "award_revoked",
    )
    assert_refused(
        env,
        lambda: env.service.revoke("ada", "sts-endpoint", reason=" "),
        ValidationError,
        "invalid_reason",
    )


# -- kits ---------------------------------------------------------------------------------


def test_kit_ships_to_current_contact_details_then_is_delivered(env: Env) -> None:
    """Shipping re-reads the candidate's current contact details; illegal steps are refused."""
    earn_scs_endpoint(env)
    (kit,) = env.service.kits_of("ada")
    assert_refused(
        env,
        lambda: env.service.deliver_kit(kit.kit_id),
        IllegalTransition,
        "illegal_kit_transition",
    )
    moved = KitAddress("Ada King", "ada@example.com", ("Ockham Park",), "GB")
    env.people.update_contact("ada", moved)
    shipped = env.service.ship_kit(kit.kit_id, tracking="1Z999")
    assert (KitStatus.SHIPPED, moved, "1Z999") == (
        shipped.status,
        shipped.address,
        shipped.tracking,
    )
    assert_refused(
        env, lambda: env.service.ship_kit(kit.kit_id), IllegalTransition, "illegal_kit_transition"
    )
    delivered = env.service.deliver_kit(kit.kit_id)
    assert KitStatus.DELIVERED == delivered.status
    assert_refused(env, lambda: env.service.get_kit("nope"), NotFound, "award_kit_not_found")
    assert_refused(
        env,
        lambda: env.service.ship_kit(kit.kit_id, tracking=""),
        ValidationError,
        "invalid_tracking",
    )


# -- publishing ------------------------------------------------------------------------------


def test_publish_creates_disclosure_and_sends_code_after_commit(env: Env) -> None:
    """Publishing stores a hashed recipient, and a message carries the code."""
    earn_scs_endpoint(env)
    published = env.service.publish("ada", ["scs-endpoint"], "Hiring@Example.com")
    message = env.outbox.last("award_disclosure")
    assert ("Hiring@example.com", published.code) == (message.to, message.data["code"])
    snapshot = repr(env.snapshot())
    assert "hiring@example.com" not in snapshot.lower()
    assert published.code not in snapshot
    assert START + timedelta(days=30) == published.disclosure.expires_at
    assert (published.disclosure,) == env.service.disclosures_of("ada")


def test_verify_shows_only_chosen_awards_with_current_status(env: Env) -> None:
    """Only the chosen award is shown; a later revocation shows as revoked."""
    earn_scs_endpoint(env)
    code = env.service.publish("ada", ["sts-endpoint"], "hr@example.com").code
    view = env.service.verify_disclosure(code)
    assert (DisclosureStatus.ACTIVE, "Ada Lovelace", ["sts-endpoint"]) == (
        view.status,
        view.holder_name,
        [a.award_id for a in view.awards],
    )
    env.clock.advance(DAY)
    env.service.revoke("ada", "sts-endpoint", reason="misconduct")
    assert [AwardStatus.REVOKED] == [a.status for a in env.service.verify_disclosure(code).awards]


def test_verify_expired_award_shows_expired(env: Env) -> None:
    """An award that expires while the disclosure is open shows as expired."""
    env.service.record_exam_result("ada", "SSE-EP", 80, taken_at=START - timedelta(days=360))
    env.service.evaluate("ada", START - timedelta(days=360))
    code = env.service.publish("ada", ["sse-endpoint"], "hr@example.com").code
    env.clock.advance(timedelta(days=10))
    assert [AwardStatus.EXPIRED] == [a.status for a in env.service.verify_disclosure(code).awards]


def test_revoked_or_expired_disclosure_shows_nothing(env: Env) -> None:
    """A revoked or expired disclosure returns an empty view with the reason."""
    earn_scs_endpoint(env)
    first = env.service.publish("ada", ["scs-endpoint"], "a@example.com")
    second = env.service.publish("ada", ["scs-endpoint"], "b@example.com", ttl=DAY)
    env.service.revoke_disclosure("ada", first.disclosure.disclosure_id)
    env.clock.advance(2 * DAY)
    one, two = env.service.verify_disclosure(first.code), env.service.verify_disclosure(second.code)
    assert ((), None, "disclosure_revoked") == (one.awards, one.holder_name, one.reason)
    assert ((), None, "disclosure_expired") == (two.awards, two.holder_name, two.reason)


def test_every_verification_is_logged(env: Env) -> None:
    """Each verification appends to the disclosure's log and to the candidate's history."""
    earn_scs_endpoint(env)
    published = env.service.publish("ada", ["scs-endpoint"], "hr@example.com")
    did = published.disclosure.disclosure_id
    env.service.verify_disclosure(published.code)
    env.service.verify_disclosure(published.code, recipient_email="other@example.com")
    env.service.revoke_disclosure("ada", did)
    env.service.verify_disclosure(published.code)
    outcomes = [r.outcome for r in env.service.verification_log("ada", did)]
    assert ["shown", "recipient_mismatch", "disclosure_revoked"] == outcomes
    assert 3 == [e.kind for e in env.history.history("ada")].count("disclosure_verified")


def test_verify_with_matching_recipient_shows_awards(env: Env) -> None:
    """Giving the right recipient address (any case) still shows the awards."""
    earn_scs_endpoint(env)
    code = env.service.publish("ada", ["scs-endpoint"], "HR@example.com").code
    view = env.service.verify_disclosure(code, recipient_email="hr@EXAMPLE.com")
    assert ["scs-endpoint"] == [a.award_id for a in view.awards]


def test_unknown_code_raises_not_found_but_is_logged(env: Env) -> None:
    """An unknown code is NotFound disclosure_not_found, and the attempt is logged."""
    with pytest.raises(NotFound) as info:
        env.service.verify_disclosure("not-a-real-code")
    with env.store.transaction(readonly=True) as tx:
        logged = tx.read("award_verifications:-")
    assert ("disclosure_not_found", 1) == (info.value.code, len(logged))
    assert_refused(env, lambda: env.service.verify_disclosure(""), ValidationError, "invalid_code")


PUBLISH_BAD = [
    ({"candidate_id": "bob"}, PermissionDenied, "terms_not_accepted"),
    ({"candidate_id": "ghost"}, NotFound, "candidate_not_found"),
    ({"award_ids": []}, ValidationError, "invalid_award_ids"),
    ({"award_ids": "scs-endpoint"}, ValidationError, "invalid_award_ids"),
    ({"award_ids": ["scs-endpoint", "scs-endpoint"]}, ValidationError, "invalid_award_ids"),
    ({"award_ids": ["nope"]}, NotFound, "award_not_found"),
    ({"award_ids": ["scs-netbackup"]}, Conflict, "award_not_active"),
    ({"recipient_email": "not an email"}, ValidationError, "invalid_email"),
    ({"recipient_email": None}, ValidationError, "invalid_email"),
    ({"ttl": timedelta(0)}, ValidationError, "invalid_ttl"),
    ({"ttl": 30}, ValidationError, "invalid_ttl"),
    ({"ttl": timedelta(days=400)}, LimitExceeded, "disclosure_too_long"),
    ({"expires_at": START}, ValidationError, "invalid_expiry"),
    ({"expires_at": START + timedelta(days=400)}, LimitExceeded, "disclosure_too_long"),
    ({"expires_at": datetime(2012, 4, 1)}, ValidationError, "naive_datetime"),
    ({"expires_at": START + DAY, "ttl": DAY}, ValidationError, "ambiguous_expiry"),
]


@pytest.mark.parametrize(("kwargs", "error", "code"), PUBLISH_BAD)
def test_publish_refuses_bad_input(
    env: Env, kwargs: dict[str, Any], error: type[SymprogramError], code: str
) -> None:
    """Each bad publish raises its error and code, writes nothing and sends nothing."""
    earn_scs_endpoint(env)
    env.people.add("bob", env.people.contact_details("bob"), accepted_terms=False)
    args: dict[str, Any] = {
        "candidate_id": "ada",
        "award_ids": ["scs-endpoint"],
        "recipient_email": "hr@example.com",
    }
    args.update(kwargs)
    assert_refused(env, lambda: env.service.publish(**args), error, code)


def test_revoke_disclosure_refusals(env: Env) -> None:
    """Revoking twice is illegal; another candidate's disclosure is not found."""
    earn_scs_endpoint(env)
    did = env.service.publish("ada", ["scs-endpoint"], "hr@example.com").disclosure.disclosure_id
    env.service.revoke_disclosure("ada", did)
    assert_refused(
        env,
        lambda: env.service.revoke_disclosure("ada", did),
        IllegalTransition,
        "disclosure_already_revoked",
    )
    assert_refused(
        env, lambda: env.service.revoke_disclosure("bob", did), NotFound, "disclosure_not_found"
    )
    assert_refused(
        env, lambda: env.service.revoke_disclosure("ada", "x"), NotFound, "disclosure_not_found"
    )


def test_service_wide_salt_is_used_and_checked() -> None:
    """With a service salt, no per-disclosure salt is stored and recipients still verify."""
    env = Env(MemoryStore(), salt=b"0123456789abcdef")
    earn_scs_endpoint(env)
    published = env.service.publish("ada", ["scs-endpoint"], "hr@example.com")
    view = env.service.verify_disclosure(published.code, recipient_email="hr@example.com")
    assert (None, 1) == (published.disclosure.recipient_salt, len(view.awards))


def test_short_salt_is_refused() -> None:
    """A salt shorter than 16 bytes is refused at construction."""
    with pytest.raises(ValidationError) as info:
        Env(MemoryStore(), salt=b"short")
    assert "invalid_salt" == info.value.code


def test_history_verifies_after_a_full_lifecycle(env: Env) -> None:
    """The candidate's account history stays tamper-evident through every change."""
    earn_scs_endpoint(env)
    (kit,) = env.service.kits_of("ada")
    env.service.ship_kit(kit.kit_id)
    env.service.deliver_kit(kit.kit_id)
    published = env.service.publish("ada", ["scs-endpoint"], "hr@example.com")
    env.service.verify_disclosure(published.code)
    env.service.revoke_disclosure("ada", published.disclosure.disclosure_id)
    assert env.history.verify("ada").ok
    assert {
        "exam_result_recorded",
        "award_granted",
        "kit_queued",
        "kit_shipped",
        "kit_delivered",
        "awards_published",
        "disclosure_verified",
        "disclosure_revoked",
    } == {e.kind for e in env.history.history("ada")}


def test_reads_refuse_naive_instants_and_unknown_candidates(env: Env) -> None:
    """progress and awards_of refuse a naive instant and an unknown candidate."""
    naive = datetime(2012, 1, 1)
    assert_refused(
        env,
        lambda: env.service.progress("ada", "scs-endpoint", naive),
        ValidationError,
        "naive_datetime",
    )
    assert_refused(
        env, lambda: env.service.awards_of("ada", naive), ValidationError, "naive_datetime"
    )
    assert_refused(env, lambda: env.service.awards_of("ghost"), NotFound, "candidate_not_found")


def test_progress_all_covers_the_catalogue_and_grants_of_lists_ended_grants(env: Env) -> None:
    """progress_all reports every award; grants_of keeps expired grants after re-earning."""
    assert list(env.service.catalogue.awards) == [
        p.award_id for p in env.service.progress_all("ada")
    ]
    earn_scs_endpoint(env)
    env.clock.advance(timedelta(days=800))
    env.service.record_exam_result("ada", "250-315", 90, taken_at=env.clock.now())
    env.service.evaluate("ada")
    grants = [g for g in env.service.grants_of("ada") if g.award_id == "scs-endpoint"]
    assert [AwardStatus.EXPIRED, AwardStatus.ACTIVE] == [
        g.status_at(env.clock.now()) for g in grants
    ]
