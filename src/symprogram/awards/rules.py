"""Pure rules of the awards context: no storage, no clock, no notifier.

Each function takes the state, the input and the instant and returns new state
(or raises a :class:`~symprogram.errors.SymprogramError`). Every refusal of the
context is decided here, or in the private modules re-exported here
(``_rules_progress``: evidence and progress; ``_rules_kits``: achievement kits;
``_rules_disclosures``: publishing and verifying; ``_rules_reminders``: expiry
reminders); the flows only orchestrate.
Requirement evaluation is cheap: the catalogue is in memory and evaluation only
walks the tree.

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

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from symprogram._checks import check_int, shown
from symprogram._guard import guard_public
from symprogram.awards import (
    _inputs,
    _rules_anchors,
    _rules_disclosures,
    _rules_kits,
    _rules_reminders,
)
from symprogram.awards._inputs import *  # noqa: F403
from symprogram.awards._rules_anchors import *  # noqa: F403
from symprogram.awards._rules_disclosures import *  # noqa: F403
from symprogram.awards._rules_kits import *  # noqa: F403
from symprogram.awards._rules_progress import (
    Evidence,
    active_awards,
    evaluate_requirement,
    evidence_for,
    holdings,
    missing_leaves,
    progress,
    progress_window,
)
from symprogram.awards._rules_reminders import *  # noqa: F403
from symprogram.awards.events import (
    AwardRevoked,
    AwardsPublished,
    DisclosureRecipientErased,
    KitShipped,
)
from symprogram.awards.models import (
    ERASED_TEXT,
    AwardCatalogue,
    AwardDefinition,
    AwardGrant,
    AwardStatus,
    CandidateAwards,
    ExamDefinition,
    ExamResult,
    Renewal,
)
from symprogram.clock import start_of_day
from symprogram.decisions import Decision, Reason
from symprogram.errors import Conflict, IllegalTransition, NotFound, ValidationError

__all__ = [
    # The private rule modules' names, re-exported as each one declares them.
    *_inputs.__all__,
    *_rules_anchors.__all__,
    *_rules_disclosures.__all__,
    *_rules_kits.__all__,
    *_rules_reminders.__all__,
    "Evidence",
    "active_awards",
    "can_renew",
    "check_evaluation_instant",
    "earnable",
    "erased_state",
    "evaluate_requirement",
    "evidence_for",
    "exam_result",
    "grant",
    "holdings",
    "issuable",
    "last_change",
    "stamp",
    "missing_leaves",
    "personal_entry",
    "progress",
    "progress_window",
    "record_result",
    "renew",
    "require_candidate",
    "require_not_erased",
    "revoke",
]

# -- candidates ------------------------------------------------------------------------


def require_candidate(exists: bool, candidate_id: str) -> None:
    """The candidate must be known to the program.

    Raises:
        NotFound: ``candidate_not_found``.
    """
    if not exists:
        raise NotFound(
            f"no candidate {candidate_id!r}", field="candidate_id", code="candidate_not_found"
        )


def require_not_erased(state: CandidateAwards) -> None:
    """Nothing more is recorded for a candidate whose awards data was erased.

    Raises:
        IllegalTransition: ``account_erased``.
    """
    if state.erased_at is not None:
        raise IllegalTransition(
            "this candidate's personal data was erased; nothing more is recorded",
            field="candidate_id",
            code="account_erased",
        )


def erased_state(state: CandidateAwards, at: datetime) -> CandidateAwards:
    """``state`` erased at ``at`` (kept as first erased): revocation reasons become a marker."""
    grants = tuple(
        g if g.revoke_reason is None else attrs.evolve(g, revoke_reason=ERASED_TEXT)
        for g in state.grants
    )
    when = state.erased_at if state.erased_at is not None else at
    return attrs.evolve(state, grants=grants, erased_at=when)


_PERSONAL_FIELDS = {
    AwardRevoked.event_name(): ("reason",),
    KitShipped.event_name(): ("tracking",),
    AwardsPublished.event_name(): ("holder_name", "recipient_hash"),
    DisclosureRecipientErased.event_name(): ("holder_name",),
}
"""The awards history entries that can hold personal data, and the fields that hold
it: a revocation's reason and a kit's tracking text (free text), a disclosure's
holder name and the salted hash of its recipient's address."""


def personal_entry(kind: str, data: Mapping[str, Any] | None) -> bool:
    """Whether the awards history entry of ``kind`` with ``data`` holds personal data
    (the entries whose data the awards erasure drops; ``None``: erased already).

    Example:
        >>> personal_entry("kit_shipped", {"kit_id": "KIT-1", "tracking": "TRK-1"})
        True
        >>> personal_entry("kit_shipped", {"kit_id": "KIT-1", "tracking": None})
        False
        >>> personal_entry("award_granted", {"grant_id": "G-1", "award_id": "scs"})
        False
    """
    fields = _PERSONAL_FIELDS.get(kind, ())
    return data is not None and any(data.get(field) not in (None, "") for field in fields)


# -- exam results ----------------------------------------------------------------------


def _exam_version(exam: ExamDefinition, version: object) -> str | None:
    if version is None:
        return exam.versions[-1] if exam.versions else None
    if not isinstance(version, str) or version not in exam.versions:
        raise ValidationError(
            f"exam {exam.code} has no version {shown(version)}",
            field="version",
            code="unknown_exam_version",
        )
    return version


def _check_taken(exam: ExamDefinition, taken: datetime, now: datetime) -> None:
    if taken > now:
        raise ValidationError(
            "an exam cannot be taken in the future", field="taken_at", code="instant_in_future"
        )
    if exam.retired_on is not None and taken >= start_of_day(exam.retired_on):
        raise ValidationError(
            f"exam {exam.code} was retired on {exam.retired_on.isoformat()}",
            field="taken_at",
            code="exam_retired",
            details={"replaced_by": exam.replaced_by},
        )


def exam_result(
    exam: ExamDefinition,
    *,
    result_id: str,
    score: object,
    version: object,
    taken_at: datetime,
    now: datetime,
) -> ExamResult:
    """The result of ``exam`` with ``score``, taken at ``taken_at``, recorded at ``now``.

    It passes when ``score`` reaches the exam's pass score; ``version`` defaults
    to the exam's newest version.

    Raises:
        ValidationError: ``invalid_score``, ``score_out_of_range``,
            ``unknown_exam_version``, ``instant_in_future``, ``exam_retired`` (taken
            on or after the exam's retirement).
    """
    points = check_int(score, "score", code="invalid_score")
    if not 0 <= points <= exam.max_score:
        raise ValidationError(
            f"score must be between 0 and {exam.max_score}",
            field="score",
            code="score_out_of_range",
        )
    taken_version = _exam_version(exam, version)
    _check_taken(exam, taken_at, now)
    return ExamResult(
        result_id=result_id,
        exam_code=exam.code,
        version=taken_version,
        score=points,
        passed=points >= exam.pass_score,
        taken_at=taken_at,
        recorded_at=now,
    )


def record_result(state: CandidateAwards, result: ExamResult) -> CandidateAwards:
    """``state`` with ``result`` recorded.

    Raises:
        IllegalTransition: ``account_erased``.
        Conflict: ``duplicate_exam_result`` (same exam, version and instant).
    """
    require_not_erased(state)
    for r in state.results:
        if (r.exam_code, r.version, r.taken_at) == (
            result.exam_code,
            result.version,
            result.taken_at,
        ):
            raise Conflict(
                "this exam result is already recorded",
                field="taken_at",
                code="duplicate_exam_result",
            )
    return attrs.evolve(state, results=(*state.results, result))


# -- holding, earning ---------------------------------------------------------------


def last_change(state: CandidateAwards) -> datetime | None:
    """The latest grant, renewal or revocation of ``state``, if any."""
    instants: list[datetime] = []
    for g in state.grants:
        instants.append(g.granted_at)
        instants.extend(r.at for r in g.renewals)
        if g.revoked_at is not None:
            instants.append(g.revoked_at)
    return max(instants) if instants else None


def stamp(state: CandidateAwards, now: datetime) -> datetime:
    """The instant a change of ``state`` is stamped: ``now``, or the record's last
    change when that is later.

    A change committed meanwhile by a process whose clock is ahead, or that read
    its clock after this one did (each reads it before taking the record's lock),
    would otherwise lie after the change now made: read "as of now" it would be
    unseen, so a renewal would be granted on the expiry the other renewal had
    already moved. Stamped at least at the last change, the changes of a record
    stay in order and each sees every earlier one.

    Example:
        >>> from datetime import datetime, timezone
        >>> at = datetime(2012, 3, 1, tzinfo=timezone.utc)
        >>> stamp(CandidateAwards("c-1"), at) == at
        True
    """
    last = last_change(state)
    return now if last is None or last <= now else last


def check_evaluation_instant(state: CandidateAwards, at: datetime, now: datetime) -> None:
    """Awards are granted as of ``at``: not in the future, nor before the last change.

    Raises:
        IllegalTransition: ``account_erased``.
        ValidationError: ``instant_in_future``, ``instant_before_last_change``.
    """
    if at > now:
        raise ValidationError(
            "cannot grant awards in the future", field="at", code="instant_in_future"
        )
    require_not_erased(state)
    last = last_change(state)
    if last is not None and at < last:
        raise ValidationError(
            "cannot evaluate before the last change of the candidate's awards",
            field="at",
            code="instant_before_last_change",
            details={"last_change": last.isoformat()},
        )


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
                    + "; ".join(m.description for m in missing_leaves(status)),
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


guard_public(globals(), __all__)
