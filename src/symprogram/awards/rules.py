"""Pure rules of the awards context: no storage, no clock, no notifier.

Each function takes the state, the input and the instant and returns new state
(or raises a :class:`~symprogram.errors.SymprogramError`). Requirement evaluation
is cheap: the catalogue is in memory and evaluation only walks the tree.

Evidence windows
    An award that was held before and has ended (expired or revoked) must be
    *earned again* ("once expired, renewal requires earning again"): only exam
    results taken strictly after the end of the last ended grant count towards
    it. Renewal requirements count only results taken strictly after the current
    validity period began (the grant or the last renewal).

Retired exams
    A requirement naming an exam by code alone (``"ST0-085"``) is also met by a
    pass of the exam that replaced it, transitively. A requirement pinned to one
    version (``"250-310@11.0"``) is met by that version only.

Progress
    Each leaf scores 0 or 1 (credits: the share of credits earned, capped at 1),
    all-of is the mean of its children, any-of the best child, N-of-M the mean
    of the best N children. Every combinator is monotone, so progress never goes
    down when evidence is added.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from fractions import Fraction

import attrs

from symprogram.awards.catalogue import AwardCatalogue
from symprogram.awards.models import (
    AllOf,
    AnyOf,
    AtLeast,
    AwardDefinition,
    AwardGrant,
    AwardHolding,
    AwardKind,
    AwardStatus,
    CandidateAwards,
    DisclosedAward,
    Disclosure,
    DisclosureStatus,
    DisclosureView,
    ExamPassed,
    ExamResult,
    HoldsAward,
    KitAddress,
    KitFulfilment,
    KitStatus,
    MinimumCredits,
    Progress,
    Renewal,
    Requirement,
    RequirementStatus,
)
from symprogram.clock import start_of_day
from symprogram.decisions import Decision, Reason
from symprogram.errors import Conflict, IllegalTransition, LimitExceeded, ValidationError

__all__ = [
    "Evidence",
    "active_awards",
    "can_renew",
    "check_award_ids",
    "check_ttl",
    "disclosure_view",
    "earnable",
    "evaluate_requirement",
    "evidence_for",
    "grant",
    "hash_recipient",
    "holdings",
    "issuable",
    "kit_delivered",
    "kit_shipped",
    "progress",
    "progress_window",
    "queue_kit",
    "renew",
    "revoke",
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


def _missing(status: RequirementStatus) -> list[RequirementStatus]:
    if status.met:
        return []
    if not status.children:
        return [status]
    return [leaf for child in status.children for leaf in _missing(child)]


def progress(
    state: CandidateAwards, award: AwardDefinition, at: datetime, catalogue: AwardCatalogue
) -> Progress:
    """A candidate's progress towards ``award`` as of ``at``.

    "review your accreditation and certification awards progress" (seed 000).
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
        missing=tuple(_missing(status)),
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


def holdings(
    state: CandidateAwards, at: datetime, catalogue: AwardCatalogue
) -> tuple[AwardHolding, ...]:
    """Each award ``state`` has ever held by ``at``: its newest grant's status at ``at``."""
    latest: dict[str, AwardGrant] = {}
    for g in state.grants:
        if g.granted_at <= at:
            latest[g.award_id] = g
    out = []
    for award_id, g in latest.items():
        status = g.status_at(at)
        assert status is not None
        definition = catalogue.awards.get(award_id)
        out.append(
            AwardHolding(
                award_id=award_id,
                name=definition.name if definition else award_id,
                kind=definition.kind if definition else AwardKind.CERTIFICATION,
                status=status,
                grant_id=g.grant_id,
                granted_at=g.granted_at,
                expires_at=g.expiry_as_of(at),
                revoked_at=g.revoked_at if status is AwardStatus.REVOKED else None,
            )
        )
    return tuple(sorted(out, key=lambda h: h.award_id))


def issuable(award: AwardDefinition, at: datetime) -> Decision:
    """Whether ``award`` is still issued at ``at`` (a retired award is not)."""
    if award.retired_on is not None and at >= start_of_day(award.retired_on):
        return Decision.deny(
            Reason(
                "award_retired",
                f"{award.award_id} was retired on {award.retired_on.isoformat()}",
                {"retired_on": award.retired_on.isoformat()},
            ),
            at=at,
        )
    return Decision.allow(at=at)


def earnable(state: CandidateAwards, at: datetime, catalogue: AwardCatalogue) -> tuple[str, ...]:
    """Awards ``state`` could be granted at ``at`` (not active, issued, requirements met).

    Does not account for awards that become held by granting others; see
    :func:`grant` and the service's ``evaluate``, which repeat until nothing changes.
    """
    held = active_awards(state, at)
    out = []
    for award_id, award in catalogue.awards.items():
        if award_id in held or not issuable(award, at):
            continue
        if progress(state, award, at, catalogue).met:
            out.append(award_id)
    return tuple(out)


def grant(
    state: CandidateAwards,
    award: AwardDefinition,
    at: datetime,
    catalogue: AwardCatalogue,
    *,
    grant_id: str,
) -> tuple[CandidateAwards, AwardGrant]:
    """Grant ``award`` at ``at`` with its validity period.

    Raises:
        IllegalTransition: the award is retired (``award_retired``).
        Conflict: it is already active (``award_already_active``) or its
            requirements are not met (``requirements_not_met``, with the missing
            requirements in ``details``).
    """
    if not issuable(award, at):
        raise IllegalTransition(
            f"{award.award_id} is retired and no longer issued",
            field="award_id",
            code="award_retired",
        )
    if award.award_id in active_awards(state, at):
        raise Conflict(
            f"{award.award_id} is already active", field="award_id", code="award_already_active"
        )
    report = progress(state, award, at, catalogue)
    if not report.met:
        raise Conflict(
            f"the requirements of {award.award_id} are not met",
            field="award_id",
            code="requirements_not_met",
            details={
                "missing": [m.description for m in report.missing],
                "percentage": report.percentage,
            },
        )
    new = AwardGrant(
        grant_id=grant_id,
        award_id=award.award_id,
        granted_at=at,
        expires_at=None if award.validity is None else at + award.validity,
    )
    return attrs.evolve(state, grants=(*state.grants, new)), new


def _replace_grant(state: CandidateAwards, new: AwardGrant) -> CandidateAwards:
    return attrs.evolve(
        state, grants=tuple(new if g.grant_id == new.grant_id else g for g in state.grants)
    )


def _active_grant(state: CandidateAwards, award_id: str, at: datetime) -> AwardGrant:
    latest = state.latest_grant(award_id, at)
    if latest is None:
        raise IllegalTransition(f"{award_id} is not held", field="award_id", code="award_not_held")
    status = latest.status_at(at)
    if status is AwardStatus.EXPIRED:
        raise IllegalTransition(
            f"{award_id} has expired: it must be earned again",
            field="award_id",
            code="award_expired",
        )
    if status is AwardStatus.REVOKED:
        raise IllegalTransition(f"{award_id} was revoked", field="award_id", code="award_revoked")
    return latest


def can_renew(
    state: CandidateAwards, award: AwardDefinition, at: datetime, catalogue: AwardCatalogue
) -> Decision:
    """Whether ``award`` can be renewed at ``at``, with the reasons why not."""
    try:
        current = _active_grant(state, award.award_id, at)
    except IllegalTransition as exc:
        return Decision.deny(Reason(exc.code, exc.message), at=at)
    reasons: list[Reason] = []
    if award.validity is None:
        reasons.append(Reason("award_does_not_expire", f"{award.award_id} never expires"))
    if not issuable(award, at):
        reasons.append(Reason("award_retired", f"{award.award_id} is retired"))
    expiry = current.expiry_as_of(at)
    window = award.renewal_window
    if window is not None and expiry is not None and at < expiry - window:
        opens = expiry - window
        reasons.append(
            Reason(
                "renewal_too_early",
                f"renewal opens on {opens.isoformat()}",
                {"opens_at": opens.isoformat()},
            )
        )
    if award.renewal is not None:
        evidence = evidence_for(state, award.award_id, at, since=current.period_start)
        status = evaluate_requirement(award.renewal, evidence, catalogue, path="renewal")
        if not status.met:
            reasons.append(
                Reason(
                    "renewal_requirements_not_met",
                    "renewal requirements are not met: "
                    + "; ".join(m.description for m in _missing(status)),
                )
            )
    if reasons:
        return Decision.deny(*reasons, at=at)
    return Decision.allow(at=at)


_RENEW_ERRORS: dict[str, type[Conflict]] = {
    "award_not_held": IllegalTransition,
    "award_expired": IllegalTransition,
    "award_revoked": IllegalTransition,
    "award_does_not_expire": IllegalTransition,
    "award_retired": IllegalTransition,
    "renewal_too_early": Conflict,
    "renewal_requirements_not_met": Conflict,
}


def renew(
    state: CandidateAwards, award: AwardDefinition, at: datetime, catalogue: AwardCatalogue
) -> tuple[CandidateAwards, tuple[tuple[AwardGrant, Renewal], ...]]:
    """Renew ``award`` at ``at`` and the awards it includes.

    Validity is extended from the current expiry by the award's validity (never
    shortened). Included awards (transitively) are renewed the same way when they
    are active, expire and are not retired; otherwise they are left alone.

    Returns the new state and ``(grant, renewal)`` pairs, the requested award first.

    Raises:
        IllegalTransition: not held (``award_not_held``), expired
            (``award_expired``), revoked (``award_revoked``), never expires
            (``award_does_not_expire``), retired (``award_retired``).
        Conflict: before the renewal window (``renewal_too_early``) or renewal
            requirements not met (``renewal_requirements_not_met``).
    """
    decision = can_renew(state, award, at, catalogue)
    if not decision:
        first = decision.reasons[0]
        raise _RENEW_ERRORS.get(first.code, Conflict)(
            first.message,
            field="award_id",
            code=first.code,
            details={"reasons": list(decision.codes)},
        )
    done: list[tuple[AwardGrant, Renewal]] = []
    for award_id in (award.award_id, *catalogue.includes_closure(award.award_id)):
        definition = catalogue.awards[award_id]
        latest = state.latest_grant(award_id, at)
        if (
            latest is None
            or latest.status_at(at) is not AwardStatus.ACTIVE
            or definition.validity is None
            or not issuable(definition, at)
        ):
            continue
        previous = latest.expiry_as_of(at)
        assert previous is not None
        renewal = Renewal(
            at=at,
            previous_expiry=previous,
            new_expiry=previous + definition.validity,
            via=None if award_id == award.award_id else award.award_id,
        )
        updated = attrs.evolve(latest, renewals=(*latest.renewals, renewal))
        state = _replace_grant(state, updated)
        done.append((updated, renewal))
    return state, tuple(done)


def revoke(
    state: CandidateAwards, award_id: str, at: datetime, reason: str
) -> tuple[CandidateAwards, AwardGrant]:
    """Revoke the active grant of ``award_id`` at ``at``.

    Raises:
        IllegalTransition: it is not active (``award_not_held``, ``award_expired``,
            ``award_revoked``).
    """
    current = _active_grant(state, award_id, at)
    updated = attrs.evolve(current, revoked_at=at, revoke_reason=reason)
    return _replace_grant(state, updated), updated


# -- kits ----------------------------------------------------------------------------


def queue_kit(
    *, kit_id: str, candidate_id: str, grant: AwardGrant, address: KitAddress, at: datetime
) -> KitFulfilment:
    """A new achievement kit for ``grant``, queued at ``at``."""
    return KitFulfilment(
        kit_id=kit_id,
        candidate_id=candidate_id,
        award_id=grant.award_id,
        grant_id=grant.grant_id,
        address=address,
        status=KitStatus.QUEUED,
        queued_at=at,
    )


def _kit_step(kit: KitFulfilment, expected: KitStatus, target: KitStatus) -> None:
    if kit.status is not expected:
        raise IllegalTransition(
            f"kit {kit.kit_id} is {kit.status.value}: it cannot become {target.value}",
            field="status",
            code="illegal_kit_transition",
            details={"from": kit.status.value, "to": target.value},
        )


def kit_shipped(
    kit: KitFulfilment, at: datetime, *, address: KitAddress, tracking: str | None = None
) -> KitFulfilment:
    """Ship a queued kit to ``address`` (the candidate's contact details at shipping time).

    Raises:
        IllegalTransition: the kit is not queued (``illegal_kit_transition``).
    """
    _kit_step(kit, KitStatus.QUEUED, KitStatus.SHIPPED)
    return attrs.evolve(
        kit,
        status=KitStatus.SHIPPED,
        shipped_at=max(at, kit.queued_at),
        address=address,
        tracking=tracking,
    )


def kit_delivered(kit: KitFulfilment, at: datetime) -> KitFulfilment:
    """Mark a shipped kit delivered.

    Raises:
        IllegalTransition: the kit is not shipped (``illegal_kit_transition``).
    """
    _kit_step(kit, KitStatus.SHIPPED, KitStatus.DELIVERED)
    assert kit.shipped_at is not None
    return attrs.evolve(kit, status=KitStatus.DELIVERED, delivered_at=max(at, kit.shipped_at))


# -- disclosures -----------------------------------------------------------------------


def hash_recipient(email: str, salt: bytes) -> str:
    """Salted SHA-256 (HMAC) of a normalized recipient address."""
    return hmac.new(salt, email.encode("utf-8"), hashlib.sha256).hexdigest()


def disclosure_view(
    disclosure: Disclosure,
    state: CandidateAwards,
    at: datetime,
    catalogue: AwardCatalogue,
) -> DisclosureView:
    """What a verifier sees at ``at``: only the chosen awards, with their current status.

    A revoked or expired disclosure shows nothing but its status and the reason.
    """
    status = disclosure.status_at(at)
    if status is not DisclosureStatus.ACTIVE:
        return DisclosureView(
            disclosure_id=disclosure.disclosure_id,
            status=status,
            verified_at=at,
            holder_name=None,
            awards=(),
            expires_at=None,
            reason=f"disclosure_{status.value}",
        )
    shown = []
    for award_id in disclosure.award_ids:
        latest = state.latest_grant(award_id, at)
        if latest is None:
            continue
        grant_status = latest.status_at(at)
        assert grant_status is not None
        definition = catalogue.awards.get(award_id)
        shown.append(
            DisclosedAward(
                award_id=award_id,
                name=definition.name if definition else award_id,
                kind=definition.kind if definition else AwardKind.CERTIFICATION,
                status=grant_status,
                granted_at=latest.granted_at,
                expires_at=latest.expiry_as_of(at),
            )
        )
    return DisclosureView(
        disclosure_id=disclosure.disclosure_id,
        status=status,
        verified_at=at,
        holder_name=disclosure.holder_name,
        awards=tuple(shown),
        expires_at=disclosure.expires_at,
        reason=None,
    )


def check_award_ids(value: object) -> tuple[str, ...]:
    """Validate a non-empty list of distinct award IDs.

    Raises:
        ValidationError: ``invalid_award_ids``.
    """
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError(
            "award_ids must be a list of award IDs", field="award_ids", code="invalid_award_ids"
        )
    ids = tuple(value)
    if not ids or not all(isinstance(i, str) and i for i in ids) or len(set(ids)) != len(ids):
        raise ValidationError(
            "award_ids must be a non-empty list of distinct award IDs",
            field="award_ids",
            code="invalid_award_ids",
        )
    return ids


def check_ttl(ttl: object, maximum: timedelta) -> timedelta:
    """Validate a disclosure lifetime: positive and at most ``maximum``."""
    if not isinstance(ttl, timedelta) or ttl <= timedelta(0):
        raise ValidationError("ttl must be a positive timedelta", field="ttl", code="invalid_ttl")
    if ttl > maximum:
        raise LimitExceeded(
            f"a disclosure lasts at most {maximum.days} days",
            field="ttl",
            code="disclosure_too_long",
            details={"limit_days": maximum.days},
        )
    return ttl
