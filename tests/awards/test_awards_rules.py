"""Pure rules of the awards context, mostly as Hypothesis properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram.awards import (
    AllOf,
    AnyOf,
    AtLeast,
    AwardCatalogue,
    AwardGrant,
    AwardStatus,
    CandidateAwards,
    DisclosureStatus,
    ExamPassed,
    ExamRef,
    ExamResult,
    HoldsAward,
    KitAddress,
    KitStatus,
    MinimumCredits,
    rules,
)
from symprogram.errors import Conflict, IllegalTransition
from symprogram.testing import _awards as sa
from symprogram.testing.strategies import instants

T0 = datetime(2012, 3, 1, tzinfo=UTC)
DEFAULT = AwardCatalogue.default()
ADDRESS = KitAddress("Ada", "ada@example.com", ("1 Main St",))


def result(
    code: str,
    score: int = 90,
    *,
    at: datetime = T0,
    version: str | None = None,
    passed: bool = True,
) -> ExamResult:
    """A passed (by default) exam result taken at ``at``."""
    return ExamResult(f"r-{code}-{at.isoformat()}-{score}", code, version, score, passed, at, at)


@st.composite
def catalogue_results(draw: st.DrawFn) -> tuple[AwardCatalogue, list[ExamResult], list[ExamResult]]:
    """A generated catalogue and two batches of results over its exams."""
    catalogue = draw(sa.award_catalogues())
    codes = sorted(catalogue.exams)
    one = st.builds(
        lambda c, s, d: result(c, s, at=T0 + timedelta(days=d), passed=s >= 50),
        st.sampled_from(codes),
        st.integers(0, 100),
        st.integers(0, 30),
    )
    return catalogue, draw(st.lists(one, max_size=5)), draw(st.lists(one, max_size=5))


@settings(max_examples=60)
@given(catalogue_results(), st.data())
def test_progress_is_monotone_in_exam_results(data_: tuple, data: st.DataObject) -> None:
    """Adding exam results never lowers the percentage, unmeets, or unsatisfies a requirement."""
    catalogue, before, extra = data_
    award = catalogue.awards[data.draw(st.sampled_from(sorted(catalogue.awards)))]
    at = T0 + timedelta(days=60)
    small = rules.progress(CandidateAwards("c", tuple(before)), award, at, catalogue)
    large = rules.progress(CandidateAwards("c", tuple(before + extra)), award, at, catalogue)
    assert small.percentage <= large.percentage
    assert (not small.met) or large.met
    assert {s.path for s in small.satisfied} <= {s.path for s in large.satisfied}


@settings(max_examples=60)
@given(catalogue_results(), st.data())
def test_progress_is_monotone_in_held_awards(data_: tuple, data: st.DataObject) -> None:
    """Holding more awards never lowers progress."""
    catalogue, results, _ = data_
    award = catalogue.awards[data.draw(st.sampled_from(sorted(catalogue.awards)))]
    ids = sorted(catalogue.awards)
    held = frozenset(data.draw(st.lists(st.sampled_from(ids), unique=True)))
    more = held | frozenset(data.draw(st.lists(st.sampled_from(ids), unique=True)))
    small = rules.evaluate_requirement(
        award.requires, rules.Evidence(tuple(results), held), catalogue
    )
    large = rules.evaluate_requirement(
        award.requires, rules.Evidence(tuple(results), more), catalogue
    )
    assert small.fraction <= large.fraction
    assert (not small.met) or large.met


@settings(max_examples=60)
@given(catalogue_results(), st.data())
def test_met_exactly_when_percentage_is_100(data_: tuple, data: st.DataObject) -> None:
    """A progress report is met exactly when it reads 100 % and lists nothing missing."""
    catalogue, results, _ = data_
    award = catalogue.awards[data.draw(st.sampled_from(sorted(catalogue.awards)))]
    report = rules.progress(
        CandidateAwards("c", tuple(results)), award, T0 + timedelta(days=60), catalogue
    )
    assert report.met == (report.percentage == 100)
    assert report.met == (report.missing == ())
    assert 0 <= report.percentage <= 100


@settings(max_examples=100)
@given(
    st.integers(1, 5).flatmap(
        lambda m: st.tuples(st.integers(1, m), st.sets(st.integers(0, m - 1)), st.just(m))
    )
)
def test_n_of_m_is_met_when_at_least_n_children_are(case: tuple[int, set[int], int]) -> None:
    """AtLeast(n, M children) is met exactly when n or more children are met."""
    n, passed, m = case
    node = AtLeast(n, tuple(ExamPassed((ExamRef(f"E{i}"),)) for i in range(m)))
    catalogue = AwardCatalogue.from_toml(
        "\n".join(f'[exams.E{i}]\ntitle="t"' for i in range(m))
        + '\n[awards.a]\nname="A"\nkind="accreditation"\nrequires={exam="E0"}'
    )
    evidence = rules.Evidence(tuple(result(f"E{i}") for i in passed))
    assert (len(passed) >= n) == rules.evaluate_requirement(node, evidence, catalogue).met


def test_any_of_met_by_one_child_lists_nothing_missing() -> None:
    """Unmet alternatives of a met any-of are not reported as missing."""
    award = DEFAULT.awards["sts-backup-exec"]
    report = rules.progress(CandidateAwards("c", (result("ST0-148"),)), award, T0, DEFAULT)
    assert (True, (), 100) == (report.met, report.missing, report.percentage)


def test_retired_exam_requirement_is_met_by_its_replacement() -> None:
    """A requirement naming retired ST0-085 is met by a pass of its replacement ST0-091."""
    award = DEFAULT.awards["sts-endpoint"]
    report = rules.progress(CandidateAwards("c", (result("ST0-091"),)), award, T0, DEFAULT)
    assert report.met


def test_version_specific_requirement_refuses_other_versions() -> None:
    """250-310@11.0 is not met by a pass of another version of 250-310."""
    node = ExamPassed((ExamRef("250-310", "11.0"),))
    wrong = rules.Evidence((result("250-310", version="10.0"),))
    right = rules.Evidence((result("250-310", version="11.0"),))
    assert (False, True) == (
        rules.evaluate_requirement(node, wrong, DEFAULT).met,
        rules.evaluate_requirement(node, right, DEFAULT).met,
    )


def test_version_pinned_requirement_does_not_accept_the_replacement() -> None:
    """250-310@11.0 is not met by its replacement 250-315; plain 250-310 is."""
    evidence = rules.Evidence((result("250-315", version="12.1"),))
    pinned = ExamPassed((ExamRef("250-310", "11.0"),))
    plain = ExamPassed((ExamRef("250-310"),))
    assert (False, True) == (
        rules.evaluate_requirement(pinned, evidence, DEFAULT).met,
        rules.evaluate_requirement(plain, evidence, DEFAULT).met,
    )


def test_min_score_is_enforced() -> None:
    """scs-netbackup needs 70 on 250-371: a passing 69 is not enough."""
    award = DEFAULT.awards["scs-netbackup"]
    low = rules.progress(CandidateAwards("c", (result("250-371", 69),)), award, T0, DEFAULT)
    high = rules.progress(CandidateAwards("c", (result("250-371", 70),)), award, T0, DEFAULT)
    assert (False, True) == (low.met, high.met)


def test_credits_count_each_exam_once_and_partially() -> None:
    """Credits: each exam code counts once; progress is the share earned."""
    node = MinimumCredits(40, ("250-316", "250-371"))
    evidence = rules.Evidence((result("250-316"), result("250-316", 95)))
    status = rules.evaluate_requirement(node, evidence, DEFAULT)
    assert (False, 0.5) == (status.met, status.fraction)


def test_failed_results_never_count() -> None:
    """A failed result meets no exam requirement."""
    node = AllOf((ExamPassed((ExamRef("ST0-091"),)),))
    evidence = rules.Evidence((result("ST0-091", 40, passed=False),))
    assert not rules.evaluate_requirement(node, evidence, DEFAULT).met


def test_holds_award_reads_the_held_set() -> None:
    """HoldsAward is met only when the award is in the held set."""
    node = AnyOf((HoldsAward("sts-endpoint"),))
    assert rules.evaluate_requirement(
        node, rules.Evidence(held=frozenset({"sts-endpoint"})), DEFAULT
    ).met


@settings(max_examples=100)
@given(sa.award_grants(), instants())
def test_grant_is_never_active_outside_its_validity(grant: AwardGrant, at: datetime) -> None:
    """ACTIVE implies granted <= at < expiry known at ``at``, and not revoked by then."""
    if grant.status_at(at) is AwardStatus.ACTIVE:
        expiry = grant.expiry_as_of(at)
        assert grant.granted_at <= at
        assert expiry is None or at < expiry
        assert grant.revoked_at is None or at < grant.revoked_at


def _held(award_id: str, at: datetime) -> tuple[CandidateAwards, AwardGrant]:
    codes = {
        "scs-netbackup": "250-371",
        "scs-backup-exec": "250-316",
        "sts-netbackup": "ST0-192",
        "sts-backup-exec": "ST0-148",
    }
    state = CandidateAwards("c", tuple(result(c, at=at) for c in codes.values()))
    for aid in (
        "sts-netbackup",
        "sts-backup-exec",
        "scs-netbackup",
        "scs-backup-exec",
        "scp-data-protection",
    ):
        state, _ = rules.grant(state, DEFAULT.awards[aid], at, DEFAULT, grant_id=aid)
    found = state.latest_grant(award_id)
    assert found is not None
    return state, found


@settings(max_examples=60)
@given(
    st.lists(st.integers(0, 800), min_size=1, max_size=5),
    st.sampled_from(["scp-data-protection", "scs-netbackup", "sts-backup-exec"]),
)
def test_renewal_never_shortens_validity(offsets: list[int], award_id: str) -> None:
    """Whatever is renewed, when, no award's expiry ever moves earlier."""
    state, _ = _held(award_id, T0)
    at = T0
    for days in offsets:
        at = at + timedelta(days=days)
        before = {g.award_id: g.current_expiry for g in state.grants}
        try:
            state, renewed = rules.renew(state, DEFAULT.awards[award_id], at, DEFAULT)
        except (Conflict, IllegalTransition):
            continue
        for _, r in renewed:
            assert r.previous_expiry <= r.new_expiry
        for g in state.grants:
            previous = before[g.award_id]
            assert previous is None or g.current_expiry is None or previous <= g.current_expiry


def test_renewing_a_higher_award_renews_the_included_ones() -> None:
    """Renewing the SCP extends the SCSs and STSs it includes, each by its own validity."""
    state, _ = _held("scp-data-protection", T0)
    at = T0 + timedelta(days=700)
    state = attrs.evolve(state, results=(*state.results, result("250-316", at=at)))
    state, renewed = rules.renew(state, DEFAULT.awards["scp-data-protection"], at, DEFAULT)
    assert [
        "scp-data-protection",
        "scs-backup-exec",
        "scs-netbackup",
        "sts-backup-exec",
        "sts-netbackup",
    ] == [g.award_id for g, _ in renewed]
    assert all(r.new_expiry == T0 + timedelta(days=1460) for _, r in renewed)


def test_renewal_before_the_window_is_refused() -> None:
    """Renewing more than 90 days before expiry is Conflict renewal_too_early."""
    state, _ = _held("scs-netbackup", T0)
    with pytest.raises(Conflict) as info:
        rules.renew(state, DEFAULT.awards["scs-netbackup"], T0 + timedelta(days=10), DEFAULT)
    assert "renewal_too_early" == info.value.code


def test_renewal_after_expiry_requires_earning_again() -> None:
    """An expired award cannot be renewed (IllegalTransition award_expired)."""
    state, _ = _held("scs-netbackup", T0)
    with pytest.raises(IllegalTransition) as info:
        rules.renew(state, DEFAULT.awards["scs-netbackup"], T0 + timedelta(days=731), DEFAULT)
    assert "award_expired" == info.value.code


def test_earning_again_needs_new_evidence() -> None:
    """After expiry the old exam result no longer counts; a new one does."""
    state, _ = _held("scs-netbackup", T0)
    later = T0 + timedelta(days=800)
    award = DEFAULT.awards["scs-netbackup"]
    assert not rules.progress(state, award, later, DEFAULT).met
    state = attrs.evolve(state, results=(*state.results, result("250-371", at=later)))
    assert rules.progress(state, award, later, DEFAULT).met


def test_retired_award_is_not_issued() -> None:
    """scs-endpoint-11 is not granted after its retirement, even with the evidence."""
    state = CandidateAwards("c", (result("250-310", version="11.0"),))
    at = datetime(2012, 7, 1, tzinfo=UTC)
    with pytest.raises(IllegalTransition) as info:
        rules.grant(state, DEFAULT.awards["scs-endpoint-11"], at, DEFAULT, grant_id="g")
    assert "award_retired" == info.value.code


def test_grant_without_requirements_lists_missing() -> None:
    """Granting an award whose requirements are not met says what is missing."""
    with pytest.raises(Conflict) as info:
        rules.grant(CandidateAwards("c"), DEFAULT.awards["scs-endpoint"], T0, DEFAULT, grant_id="g")
    assert ("requirements_not_met", ["pass exam 250-315"]) == (
        info.value.code,
        info.value.details["missing"],
    )


@settings(max_examples=60)
@given(sa.candidate_awards(), sa.disclosures(), instants())
def test_disclosure_never_reveals_an_award_not_chosen(
    state: CandidateAwards, disclosure: object, at: datetime
) -> None:
    """The view lists only chosen awards; an inactive disclosure lists none."""
    from symprogram.awards import Disclosure

    assert isinstance(disclosure, Disclosure)
    chosen = disclosure.award_ids
    grants = tuple(
        attrs.evolve(g, award_id=chosen[i % len(chosen)]) if i % 2 else g
        for i, g in enumerate(state.grants)
    )
    view = rules.disclosure_view(disclosure, attrs.evolve(state, grants=grants), at, DEFAULT)
    assert {a.award_id for a in view.awards} <= set(chosen)
    if view.status is not DisclosureStatus.ACTIVE:
        assert ((), None) == (view.awards, view.holder_name)


def test_kit_moves_queued_shipped_delivered_only() -> None:
    """A kit ships once from queued and is delivered once from shipped."""
    grant = AwardGrant("g", "scs-endpoint", T0)
    kit = rules.queue_kit(kit_id="k", candidate_id="c", grant=grant, address=ADDRESS, at=T0)
    with pytest.raises(IllegalTransition):
        rules.kit_delivered(kit, T0)
    shipped = rules.kit_shipped(kit, T0, address=ADDRESS, tracking="1Z")
    with pytest.raises(IllegalTransition) as info:
        rules.kit_shipped(shipped, T0, address=ADDRESS)
    delivered = rules.kit_delivered(shipped, T0)
    assert "illegal_kit_transition" == info.value.code
    assert (KitStatus.QUEUED, KitStatus.SHIPPED, KitStatus.DELIVERED) == (
        kit.status,
        shipped.status,
        delivered.status,
    )


def test_earnable_respects_dependencies_through_service_loop() -> None:
    """earnable only lists awards met now; the SCP needs the SCSs granted first."""
    codes = ("250-371", "250-316", "ST0-192", "ST0-148")
    state = CandidateAwards("c", tuple(result(c) for c in codes))
    first = rules.earnable(state, T0, DEFAULT)
    assert "scp-data-protection" not in first
    assert {"scs-netbackup", "scs-backup-exec", "sts-netbackup", "sts-backup-exec"} == set(first)


@given(sa.candidate_awards(), instants())
def test_a_change_is_stamped_now_or_at_the_last_change_when_later(
    state: CandidateAwards, now: datetime
) -> None:
    """``rules.stamp``: never before the record's last change (a change committed by a
    process whose clock is ahead stays before this one), else ``now``."""
    stamped = rules.stamp(state, now)
    last = rules.last_change(state)
    assert stamped == (now if last is None else max(now, last))
