"""Rules of score report claims: the proof, and the claim policy (pure).

Re-exported by :mod:`symprogram.accounts.rules`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import attrs

from symprogram.accounts import _text
from symprogram.accounts._rules_credentials import rate_limit, rate_limited
from symprogram.accounts._rules_incidents import file_incident, open_incident
from symprogram.accounts._rules_lifecycle import report_erased
from symprogram.accounts.events import (
    IncidentOpened,
    ScoreReportClaimed,
    ScoreReportClaimRefused,
)
from symprogram.accounts.models import (
    AccountStatus,
    Candidate,
    Incident,
    IncidentCategory,
    MessageAuthor,
    ScoreReport,
)
from symprogram.decisions import Decision, Reason
from symprogram.errors import Conflict, PermissionDenied, SymprogramError, ValidationError

__all__ = [
    "ClaimOutcome",
    "check_exam_date",
    "claim_report",
    "decide_claim",
    "enforce_claim_limit",
    "require_proof",
    "score_report_proof",
]


def enforce_claim_limit(
    failures: Sequence[datetime], at: datetime, *, limit: int, window: timedelta
) -> None:
    """Refuse a claim once the claimant gave ``limit`` wrong proofs within ``window``.

    The proof of a claim may be the name printed on the report, which is easy to
    guess: wrong proofs are counted per claimant account (whatever the number,
    known or not: the same count either way) and, beyond the limit, a claim is
    refused before its proof is looked at, the right one included. Counted per
    claimant, a stranger can only hold back their own account.

    Raises:
        RateLimited: ``rate_limited`` (field ``registration_number``) with
            ``retry_after``, the whole seconds until a claim is allowed again.
    """
    decision = rate_limit(failures, at, limit=limit, window=window)
    if not decision:
        what = "too many wrong score report proofs"
        raise rate_limited(decision, at, what, field="registration_number")


def check_exam_date(exam_date: date, recorded_at: datetime) -> date:
    """``exam_date``, if the exam can have been sat by ``recorded_at``.

    A score report is the result of an exam taken: its day cannot lie after the
    day it is recorded. The day is the test centre's, so a day past the recording
    instant's UTC day is allowed (the earliest time zone, UTC+14, is that far ahead).

    Raises:
        ValidationError: ``exam_date_in_future`` (field ``exam_date``, details
            ``exam_date`` and ``latest``).
    """
    latest = recorded_at.date() + timedelta(days=1)
    if exam_date > latest:
        raise ValidationError(
            f"the exam date {exam_date.isoformat()} is after the day the report is "
            "recorded: a score report is the result of an exam already taken",
            field="exam_date",
            code="exam_date_in_future",
            details={"exam_date": exam_date.isoformat(), "latest": latest.isoformat()},
        )
    return exam_date


def score_report_proof(report: ScoreReport, *, email: str | None, name: str | None) -> Decision:
    """Whether a claimant proved a report is theirs: its e-mail or its name must match.

    ``email`` must already be normalized. Names match ignoring case, spacing
    and Unicode compatibility forms. An erased report (its owner's erasure
    replaced the name and address with markers) matches nothing: nobody, not even
    somebody registering the erased address again, can claim it. Reasons:
    ``email_matches``, ``name_matches`` or ``proof_mismatch``.
    """
    mismatch = Decision.deny(
        Reason("proof_mismatch", "the registration number and details do not match a report")
    )
    if report_erased(report):
        return mismatch
    if email is not None and _text.email_key(email) == _text.email_key(report.email):
        return Decision.allow(Reason("email_matches", "the e-mail on the report matches"))
    if name is not None and _text.names_match(name, report.candidate_name):
        return Decision.allow(Reason("name_matches", "the name on the report matches"))
    return mismatch


def require_proof(email: str | None, name: str | None) -> None:
    """Refuse a claim that gives neither an e-mail address nor a name.

    Raises:
        ValidationError: ``proof_required`` (field ``email``).
    """
    if email is None and name is None:
        raise ValidationError(
            "give the e-mail address or the name printed on the score report",
            field="email",
            code="proof_required",
        )


def claim_report(report: ScoreReport, candidate_id: str, at: datetime) -> ScoreReport:
    """Claim ``report`` for ``candidate_id``.

    Raises:
        Conflict: it is already claimed (code ``score_report_already_claimed``).
    """
    if report.claimed_by is not None:
        raise Conflict(
            "this score report was already claimed",
            field="registration_number",
            code="score_report_already_claimed",
            details={
                "registration_number": report.registration_number,
                "by_you": report.claimed_by == candidate_id,
            },
        )
    return attrs.evolve(report, claimed_by=candidate_id, claimed_at=at)


def _error_key(error: SymprogramError | None) -> object:
    """What an error is compared by: its class, code, message, field and details."""
    if error is None:
        return None
    return (type(error), error.code, error.message, error.field, error.details)


@attrs.frozen
class ClaimOutcome:
    """What a claim changes: the claimed report, or a refusal that opened an incident.

    Written as JSON it reads back as itself (``serialization.dumps`` / ``loads``):
    each event with its class, the refusal as its code, message, field and details.

    Attributes:
        candidate: the claimant's account afterwards.
        report: the claimed report to save, or ``None`` when refused.
        incident: the incident opened for the claimant when another account had
            claimed the report, else ``None``.
        events: the history entries to append (of the classes a claim records).
        refusal: the error to raise once the incident is committed, else ``None``
            (two outcomes compare it by class, code, message, field and details).
    """

    candidate: Candidate
    report: ScoreReport | None = None
    incident: Incident | None = None
    events: tuple[ScoreReportClaimed | ScoreReportClaimRefused | IncidentOpened, ...] = ()
    refusal: Conflict | None = attrs.field(default=None, eq=_error_key, hash=False)


def _check_claimant(
    candidate: Candidate,
    report: ScoreReport | None,
    terms: Decision,
    email: str | None,
    name: str | None,
    stand_in: ScoreReport | None,
) -> ScoreReport:
    if candidate.status is not AccountStatus.ACTIVE:
        raise PermissionDenied(
            f"this account is {candidate.status}",
            field="candidate_id",
            code="account_not_active",
        )
    if not terms:
        raise PermissionDenied(terms.reasons[0].message, field="candidate_id", code=terms.codes[0])
    # a missing report's proof is checked against the stand-in, never matching: the
    # same work either way
    against = report if report is not None else stand_in
    proved = against is not None and bool(score_report_proof(against, email=email, name=name))
    if report is None or not proved:
        raise PermissionDenied(
            "the registration number and details do not match a score report",
            field="registration_number",
            code="score_report_proof_mismatch",
        )
    return report


def decide_claim(
    candidate: Candidate,
    report: ScoreReport | None,
    *,
    terms: Decision,
    email: str | None,
    name: str | None,
    at: datetime,
    incident_id: str,
    stand_in: ScoreReport | None = None,
) -> ClaimOutcome:
    """The claim policy ("I have a Score Report", the Terms of Use v.2007.507).

    The claimant's account must be active and have accepted the terms in
    effect, and ``email`` (normalized) or ``name`` must match the report
    (unknown reports look the same as a mismatch: when ``report`` is ``None``
    the proof is compared with ``stand_in``, if given, and refused whatever the
    comparison says, so that it costs what a wrong proof costs). A report is
    claimed once: the same account claiming again is refused; a claim of a
    report another account claimed is refused *and* opens a support incident
    ``incident_id`` for the claimant, returned with the refusal (the flow commits
    it, then raises).

    Raises:
        PermissionDenied: ``account_not_active``, ``terms_not_accepted`` /
            ``terms_outdated``, ``score_report_proof_mismatch``.
        Conflict: the account itself claimed it already (``score_report_already_claimed``).
    """
    key = candidate.candidate_id
    found = _check_claimant(candidate, report, terms, email, name, stand_in)
    number = found.registration_number
    try:
        claimed = claim_report(found, key, at)
    except Conflict as exc:
        if found.claimed_by == key:
            raise
        incident = open_incident(
            key,
            incident_id,
            title=f"Score report {number} was already claimed",
            category=IncidentCategory.SCORE_REPORT,
            body=(
                f"A claim of score report {number} was refused because another account "
                "already claimed it. Customer support will follow up."
            ),
            author=MessageAuthor.SUPPORT,
            at=at,
            details=(("registration_number", number),),
        )
        updated, opened = file_incident(candidate, incident)
        refused = ScoreReportClaimRefused(
            key, at, registration_number=number, incident_id=incident_id
        )
        refusal = Conflict(
            exc.message,
            field="registration_number",
            code="score_report_already_claimed",
            details={"registration_number": number, "incident_id": incident_id},
        )
        return ClaimOutcome(updated, None, incident, (opened, refused), refusal)
    updated = attrs.evolve(candidate, score_reports=(*candidate.score_reports, number))
    event = ScoreReportClaimed(key, at, registration_number=number, exam_code=claimed.exam_code)
    return ClaimOutcome(updated, claimed, None, (event,), None)
