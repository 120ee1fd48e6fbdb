"""Rules of support cases: opening, escalation, closing and remote sessions.

Pure functions of (case, input, instant) returning the changed case, or raising
the refusal; re-exported by :mod:`symprogram.entitlements.rules`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NoReturn

import attrs

from symprogram._checks import check_found, check_text, reported_as, shown
from symprogram.decisions import Decision
from symprogram.entitlements.models import (
    MAX_TEXT,
    CaseStatus,
    EntitlementCatalogue,
    EscalationStep,
    RemoteAccessTerms,
    RemoteSession,
    SupportCase,
)
from symprogram.errors import (
    Conflict,
    IllegalTransition,
    PermissionDenied,
    SymprogramError,
    ValidationError,
)

__all__ = [
    "close_case",
    "end_remote_session",
    "escalate",
    "new_case",
    "remote_access_terms",
    "require_remote_consent",
    "require_support",
    "start_remote_session",
]


def model_or_error(build: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``build``; a TypeError or ValueError becomes a ValidationError (``invalid``)."""
    try:
        return build(*args, **kwargs)
    except SymprogramError:
        raise
    except (TypeError, ValueError) as exc:  # pragma: no cover - validators cover these
        raise ValidationError(str(exc), code="invalid") from exc


def refuse(decision: Decision, refused: str, *, field: str, **details: Any) -> NoReturn:
    """Raise the refusal of a refused ``decision``: what was ``refused``, then why.

    Raises:
        PermissionDenied: always; the code is the decision's first reason, the
            details list every reason (``reasons``), the ``hint`` and ``details``.
    """
    raise PermissionDenied(
        f"{refused}: {decision.explain()}",
        field=field,
        code=decision.codes[0],
        details={"reasons": list(decision.codes), "hint": decision.hint, **details},
    )


def new_case(
    *,
    case_id: str,
    customer_id: str,
    product: str,
    severity: object,
    summary: str,
    release: str | None,
    at: datetime,
    by: str,
) -> SupportCase:
    """A new open support case (validated; entitlement is checked by :func:`require_support`).

    Raises:
        ValidationError: a bad field (``invalid_severity``, ...).
    """
    # The fields in the model's order: opened at ``at`` by ``by``, the release last.
    with reported_as(opened_by="by"):
        return SupportCase(case_id, customer_id, product, severity, summary, at, by, release)


def require_support(coverage: Decision, case: SupportCase) -> None:
    """Refuse to open ``case`` unless ``coverage`` (:func:`support_coverage`) allows it.

    Raises:
        PermissionDenied: not entitled; the code is the first reason
            (``no_active_agreement``, ``extension_required``, ...), the details
            list every reason and the hint.
    """
    if not coverage.allowed:
        refuse(
            coverage,
            f"{case.customer_id!r} is not entitled to support for {case.product}",
            field="customer_id",
        )


def remote_access_terms(catalogue: EntitlementCatalogue) -> RemoteAccessTerms:
    """The current Remote Access Standard Terms.

    Raises:
        PermissionDenied: the catalogue offers none (``remote_access_not_offered``).
    """
    terms = catalogue.remote_access
    if terms is None:
        raise PermissionDenied(
            "the catalogue offers no remote access terms",
            field="case_id",
            code="remote_access_not_offered",
        )
    return terms


def require_remote_consent(case: SupportCase, terms: RemoteAccessTerms, consented: bool) -> None:
    """Refuse a remote session without express consent to the current terms.

    The page: "Before implementing such remote access we will require your express
    consent to the service terms."

    Args:
        case: the case.
        terms: the current terms (:func:`remote_access_terms`).
        consented: whether the case's customer had expressly consented to
            ``terms.version`` then (``False`` when nobody can be asked).

    Raises:
        PermissionDenied: no consent (``remote_access_consent_required``,
            details ``terms_version`` and ``document``).
    """
    if not consented:
        raise PermissionDenied(
            f"customer {case.customer_id!r} has not expressly consented to the Remote "
            f"Access Standard Terms version {terms.version}",
            field="customer_id",
            code="remote_access_consent_required",
            details={"terms_version": terms.version, "document": terms.document},
        )


def _open(case: SupportCase) -> None:
    if case.status is CaseStatus.CLOSED:
        raise IllegalTransition(
            f"case {case.case_id!r} is closed", field="case_id", code="case_closed"
        )


def escalate(
    catalogue: EntitlementCatalogue, case: SupportCase, *, at: datetime, by: str, reason: str
) -> tuple[SupportCase, EscalationStep]:
    """Escalate an open case one level up the Global Escalation Process.

    The page: "In the event that you need to escalate a case, our senior technical
    staff is ready and available to help you quickly bring your issue to closure."

    Raises:
        IllegalTransition: the case is closed (``case_closed``), or already at
            the top level (``escalation_top_level``).
    """
    _open(case)
    top = catalogue.top_escalation_level
    if case.escalation_level >= top:
        raise IllegalTransition(
            f"case {case.case_id!r} is already at the top escalation level ({top})",
            field="case_id",
            code="escalation_top_level",
            details={"level": case.escalation_level, "top": top},
        )
    step: EscalationStep = model_or_error(
        EscalationStep,
        from_level=case.escalation_level,
        to_level=case.escalation_level + 1,
        at=at,
        by=by,
        reason=reason,
    )
    updated = attrs.evolve(
        case, escalation_level=step.to_level, escalations=(*case.escalations, step)
    )
    return updated, step


def close_case(case: SupportCase, *, at: datetime, by: str) -> SupportCase:
    """Close an open case; any open remote session ends with it.

    Raises:
        IllegalTransition: already closed (``case_closed``).
    """
    _open(case)
    check_text(by, "by", limit=MAX_TEXT)
    sessions = tuple(
        session if session.ended_at is not None else attrs.evolve(session, ended_at=at, ended_by=by)
        for session in case.remote_sessions
    )
    return attrs.evolve(case, status=CaseStatus.CLOSED, closed_at=at, remote_sessions=sessions)


def start_remote_session(
    case: SupportCase, *, terms_version: str, at: datetime, by: str
) -> tuple[SupportCase, RemoteSession]:
    """Start a remote session on an open case (consent is checked by the service).

    Raises:
        IllegalTransition: the case is closed (``case_closed``).
        Conflict: a session is already open (``remote_session_open``).
    """
    _open(case)
    if any(session.ended_at is None for session in case.remote_sessions):
        raise Conflict(
            f"case {case.case_id!r} already has an open remote session",
            field="case_id",
            code="remote_session_open",
        )
    session: RemoteSession = model_or_error(
        RemoteSession,
        session_id=f"remote-{len(case.remote_sessions) + 1}",
        terms_version=terms_version,
        started_at=at,
        started_by=by,
    )
    return attrs.evolve(case, remote_sessions=(*case.remote_sessions, session)), session


def end_remote_session(
    case: SupportCase, session_id: str, *, at: datetime, by: str
) -> tuple[SupportCase, RemoteSession]:
    """End an open remote session.

    Raises:
        NotFound: no such session (``remote_session_not_found``).
        IllegalTransition: it already ended (``remote_session_ended``).
    """
    check_text(by, "by", limit=MAX_TEXT)
    session = check_found(
        case.session(session_id) if isinstance(session_id, str) else None,
        f"no remote session {shown(session_id)} on case {case.case_id!r}",
        field="session_id",
        code="remote_session_not_found",
    )
    if session.ended_at is not None:
        raise IllegalTransition(
            f"remote session {session_id!r} already ended",
            field="session_id",
            code="remote_session_ended",
        )
    ended = attrs.evolve(session, ended_at=at, ended_by=by)
    sessions = tuple(ended if s.session_id == session_id else s for s in case.remote_sessions)
    return attrs.evolve(case, remote_sessions=sessions), ended
