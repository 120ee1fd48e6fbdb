"""Rules of progress: the evidence that counts, requirement trees evaluated, holdings.

Pure functions, re-exported by :mod:`symprogram.awards.rules` (read its module
documentation for evidence windows, retired exams and how progress is scored).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from fractions import Fraction

import attrs

from symprogram.awards.models import (
    AllOf,
    AnyOf,
    AtLeast,
    AwardCatalogue,
    AwardDefinition,
    AwardGrant,
    AwardHolding,
    AwardKind,
    AwardStatus,
    CandidateAwards,
    ExamPassed,
    ExamResult,
    HoldsAward,
    MinimumCredits,
    Progress,
    Requirement,
    RequirementStatus,
)

__all__ = [
    "Evidence",
    "active_awards",
    "described",
    "evaluate_requirement",
    "evidence_for",
    "holding",
    "holdings",
    "missing_leaves",
    "progress",
    "progress_window",
]


@attrs.frozen
class Evidence:
    """What a requirement is evaluated against.

    Attributes:
        results: exam results that count.
        held: awards held active on the date asked about.
    """

    results: tuple[ExamResult, ...] = ()
    held: frozenset[str] = frozenset()


def active_awards(state: CandidateAwards, at: datetime) -> frozenset[str]:
    """The awards ``state`` holds active at ``at``."""
    return frozenset(g.award_id for g in state.grants if g.status_at(at) is AwardStatus.ACTIVE)


def _window_start(state: CandidateAwards, award_id: str, at: datetime) -> datetime | None:
    ends = [e for g in state.grants_of(award_id) if (e := g.ended_at(at)) is not None]
    return max(ends) if ends else None


def evidence_for(
    state: CandidateAwards, award_id: str, at: datetime, *, since: datetime | None = None
) -> Evidence:
    """The evidence that counts towards earning ``award_id`` at ``at``.

    Results taken after ``at`` never count; if an earlier grant of the award has
    ended, only results taken after its end count (and after ``since``, if given).
    """
    start = _window_start(state, award_id, at)
    if since is not None:
        start = since if start is None else max(start, since)
    results = tuple(
        r for r in state.results if r.taken_at <= at and (start is None or r.taken_at > start)
    )
    return Evidence(results, active_awards(state, at))


# -- evaluation -------------------------------------------------------------------


def _exam_met(node: ExamPassed, evidence: Evidence, catalogue: AwardCatalogue) -> bool:
    for ref in node.exams:
        chain = catalogue.replacements(ref.code) if ref.version is None else (ref.code,)
        for result in evidence.results:
            if not result.passed or result.exam_code not in chain:
                continue
            if (
                ref.version is not None
                and result.exam_code == ref.code
                and result.version != ref.version
            ):
                continue
            if node.min_score is not None and result.score < node.min_score:
                continue
            return True
    return False


def _credits(node: MinimumCredits, evidence: Evidence, catalogue: AwardCatalogue) -> int:
    codes = {r.exam_code for r in evidence.results if r.passed}
    if node.exams is not None:
        allowed = {c for code in node.exams for c in catalogue.replacements(code)}
        codes &= allowed
    return sum(catalogue.exams[c].credits for c in codes if c in catalogue.exams)


def _node(
    node: Requirement, evidence: Evidence, catalogue: AwardCatalogue, path: str
) -> tuple[RequirementStatus, Fraction]:
    if isinstance(node, AllOf | AnyOf | AtLeast):
        key = "all_of" if isinstance(node, AllOf) else "any_of" if isinstance(node, AnyOf) else "of"
        evaluated = [
            _node(child, evidence, catalogue, f"{path}.{key}[{i}]")
            for i, child in enumerate(node.children)
        ]
        fractions = [f for _, f in evaluated]
        if isinstance(node, AllOf):
            value = sum(fractions, Fraction(0)) / len(fractions)
        elif isinstance(node, AnyOf):
            value = max(fractions)
        else:
            best = sorted(fractions, reverse=True)[: node.n]
            value = sum(best, Fraction(0)) / node.n
        children = tuple(s for s, _ in evaluated)
        met = value == 1
        return (
            RequirementStatus(path, node.label or node.describe(), met, float(value), children),
            value,
        )
    if isinstance(node, ExamPassed):
        value = Fraction(1 if _exam_met(node, evidence, catalogue) else 0)
    elif isinstance(node, HoldsAward):
        value = Fraction(1 if node.award_id in evidence.held else 0)
    else:
        have = _credits(node, evidence, catalogue)
        value = min(Fraction(have, node.credits), Fraction(1))
    met = value == 1
    return RequirementStatus(path, node.label or node.describe(), met, float(value)), value


def evaluate_requirement(
    node: Requirement, evidence: Evidence, catalogue: AwardCatalogue, *, path: str = "requires"
) -> RequirementStatus:
    """Evaluate a requirement tree against ``evidence``."""
    return _node(node, evidence, catalogue, path)[0]


def missing_leaves(status: RequirementStatus) -> tuple[RequirementStatus, ...]:
    """The leaves still needed below ``status`` (none of an alternative already met)."""
    if status.met:
        return ()
    if not status.children:
        return (status,)
    return tuple(leaf for child in status.children for leaf in missing_leaves(child))


def progress(
    state: CandidateAwards, award: AwardDefinition, at: datetime, catalogue: AwardCatalogue
) -> Progress:
    """A candidate's progress towards ``award`` as of ``at``.

    "review your accreditation and certification awards progress" (the Terms of Use v.2007.507).
    """
    evidence = evidence_for(state, award.award_id, at)
    status, value = _node(award.requires, evidence, catalogue, "requires")
    percentage = int(value * 100)  # Fraction -> int rounds towards zero: floor for >= 0
    return Progress(
        candidate_id=state.candidate_id,
        award_id=award.award_id,
        at=at,
        met=status.met,
        percentage=percentage,
        satisfied=tuple(leaf for leaf in status.leaves() if leaf.met),
        missing=missing_leaves(status),
        tree=status,
    )


def _instants(state: CandidateAwards) -> Iterator[datetime]:
    for r in state.results:
        yield r.taken_at
        yield r.recorded_at
    for g in state.grants:
        yield g.granted_at
        if g.expires_at is not None:
            yield g.expires_at
        if g.revoked_at is not None:
            yield g.revoked_at
        for renewal in g.renewals:
            yield renewal.at
            yield renewal.previous_expiry
            yield renewal.new_expiry
    if state.erased_at is not None:
        yield state.erased_at


def progress_window(
    state: CandidateAwards, at: datetime
) -> tuple[datetime | None, datetime | None]:
    """The instants ``[start, end)`` around ``at`` over which :func:`progress` stands still.

    For every ``t`` with ``start <= t < end`` (``None``: unbounded),
    ``progress(state, award, t, catalogue)`` equals ``progress(state, award, at,
    catalogue)`` but for its ``at``, whatever the award and catalogue.

    Why: :func:`progress` reads the instant only through comparisons of the form
    ``instant >= x`` / ``instant < x`` against instants ``x`` recorded in ``state``
    (results taken, grants made, expiries, renewals, revocations). ``start`` is
    the latest recorded instant at or before ``at`` and ``end`` the earliest
    after it, so each such comparison has the same outcome anywhere in the
    window. Every instant of the aggregate is counted, even ones progress does
    not read (e.g. ``recorded_at``): the window is conservative.
    """
    start: datetime | None = None
    end: datetime | None = None
    for x in _instants(state):
        if x <= at:
            if start is None or x > start:
                start = x
        elif end is None or x < end:
            end = x
    return start, end


# -- holding, earning ---------------------------------------------------------------


def described(catalogue: AwardCatalogue, award_id: str) -> tuple[str, AwardKind]:
    """The name and kind of ``award_id`` (its ID and certification if the catalogue lost it)."""
    definition = catalogue.awards.get(award_id)
    if definition is None:
        return award_id, AwardKind.CERTIFICATION
    return definition.name, definition.kind


def holdings(
    state: CandidateAwards, at: datetime, catalogue: AwardCatalogue
) -> tuple[AwardHolding, ...]:
    """Each award ``state`` has ever held by ``at``: its newest grant's status at ``at``."""
    latest: dict[str, AwardGrant] = {}
    for g in state.grants:
        if g.granted_at <= at:
            latest[g.award_id] = g
    out = [holding(g, at, catalogue) for g in latest.values()]
    return tuple(sorted(out, key=lambda h: h.award_id))


def holding(grant: AwardGrant, at: datetime, catalogue: AwardCatalogue) -> AwardHolding:
    """How ``grant`` (granted by ``at``) stands at ``at``."""
    status = grant.status_at(at)
    assert status is not None
    name, kind = described(catalogue, grant.award_id)
    return AwardHolding(
        award_id=grant.award_id,
        name=name,
        kind=kind,
        status=status,
        grant_id=grant.grant_id,
        granted_at=grant.granted_at,
        expires_at=grant.expiry_as_of(at),
        revoked_at=grant.revoked_at if status is AwardStatus.REVOKED else None,
    )
