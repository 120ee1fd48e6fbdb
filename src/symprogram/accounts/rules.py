"""Pure rules of the accounts context: no storage, no clock, no notifier.

Each function takes state, input and the instant it is asked about, and returns
new state, events or an explainable :class:`~symprogram.decisions.Decision`;
the ones that refuse raise a :class:`~symprogram.errors.SymprogramError`
subclass with a stable code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from symprogram.accounts import _text
from symprogram.accounts.events import (
    AccountStatusChanged,
    ContactDetailsUpdated,
    FieldChange,
    IncidentStatusChanged,
)
from symprogram.accounts.models import (
    MANDATORY_CATEGORIES,
    MARKETING_CATEGORIES,
    MAX_PASSWORD_LENGTH,
    AccountStatus,
    Candidate,
    ContactDetails,
    Incident,
    IncidentMessage,
    IncidentStatus,
    NotificationCategory,
    NotificationPreferences,
    NotificationSetting,
    ScoreReport,
    TermsAcceptance,
    TermsVersion,
)
from symprogram.decisions import Decision, Reason
from symprogram.errors import (
    Conflict,
    IllegalTransition,
    LimitExceeded,
    ValidationError,
)

__all__ = [
    "ACCOUNT_TRANSITIONS",
    "COMMON_PASSWORDS",
    "CONTACT_FIELDS",
    "INCIDENT_TRANSITIONS",
    "add_incident_message",
    "apply_contact_changes",
    "change_incident_status",
    "change_status",
    "check_password",
    "claim_report",
    "contact_review",
    "notification_setting",
    "password_policy",
    "rate_limit",
    "score_report_proof",
    "set_preference",
    "terms_status",
]

ACCOUNT_TRANSITIONS: Mapping[AccountStatus, frozenset[AccountStatus]] = {
    AccountStatus.PENDING_ACTIVATION: frozenset({AccountStatus.ACTIVE, AccountStatus.CLOSED}),
    AccountStatus.ACTIVE: frozenset({AccountStatus.SUSPENDED, AccountStatus.CLOSED}),
    AccountStatus.SUSPENDED: frozenset({AccountStatus.ACTIVE, AccountStatus.CLOSED}),
    AccountStatus.CLOSED: frozenset(),
}
"""Allowed account status changes; everything else raises :class:`IllegalTransition`."""

INCIDENT_TRANSITIONS: Mapping[IncidentStatus, frozenset[IncidentStatus]] = {
    IncidentStatus.OPEN: frozenset({IncidentStatus.IN_PROGRESS, IncidentStatus.RESOLVED}),
    IncidentStatus.IN_PROGRESS: frozenset({IncidentStatus.RESOLVED}),
    IncidentStatus.RESOLVED: frozenset({IncidentStatus.CLOSED, IncidentStatus.OPEN}),
    IncidentStatus.CLOSED: frozenset({IncidentStatus.OPEN}),
}
"""Allowed incident status changes. ``-> open`` from resolved/closed is a reopen and is
only allowed within the reopen window after resolution."""

CONTACT_FIELDS = (
    "given_name",
    "family_name",
    "company_name",
    "partner_company",
    "preferred_language",
    "phone",
    "postal_address",
)
"""Contact fields changed through ``update_contact_details`` (the e-mail has its own flow)."""

COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "password12",
        "password123",
        "password1234",
        "passw0rd",
        "123456789",
        "1234567890",
        "12345678910",
        "qwertyuiop",
        "qwerty12345",
        "1q2w3e4r5t",
        "iloveyou123",
        "letmein123",
        "welcome123",
        "administrator",
        "symantec123",
        "changeme123",
    }
)
"""A small deny-list of passwords everybody tries first (compared case-insensitively)."""


# -- account life cycle -------------------------------------------------------------------


def change_status(
    candidate: Candidate,
    target: AccountStatus,
    at: datetime,
    *,
    reason: str | None = None,
) -> tuple[Candidate, AccountStatusChanged]:
    """Move an account to ``target`` and return it with the event.

    Raises:
        IllegalTransition: ``target`` is not reachable from the current status
            (code ``illegal_transition``; details ``from`` and ``to``).
    """
    if target not in ACCOUNT_TRANSITIONS[candidate.status]:
        raise IllegalTransition(
            f"an account cannot go from {candidate.status} to {target}",
            field="status",
            code="illegal_transition",
            details={"from": str(candidate.status), "to": str(target)},
        )
    updated = attrs.evolve(
        candidate,
        status=target,
        status_changed_at=at,
        status_reason=reason if target in (AccountStatus.SUSPENDED, AccountStatus.CLOSED) else None,
    )
    event = AccountStatusChanged(
        candidate.candidate_id,
        at,
        previous=str(candidate.status),
        status=str(target),
        reason=reason,
    )
    return updated, event


# -- terms -----------------------------------------------------------------------------------


def terms_status(
    acceptance: TermsAcceptance | None, current: TermsVersion, at: datetime
) -> Decision:
    """Whether an account's latest acceptance covers the terms in effect at ``at``.

    Reason codes: ``terms_accepted``, ``terms_not_accepted`` (never accepted),
    ``terms_outdated`` (an older version, or a text that differs from the current one).
    """
    if acceptance is None:
        return Decision.deny(
            Reason("terms_not_accepted", "the Terms of Use have not been accepted"),
            hint=f"accept the Terms of Use version {current.version}",
            at=at,
        )
    if acceptance.terms_version != current.version or acceptance.terms_digest != current.digest:
        return Decision.deny(
            Reason(
                "terms_outdated",
                f"version {acceptance.terms_version} was accepted, {current.version} is current",
                {"accepted": acceptance.terms_version, "current": current.version},
            ),
            hint=f"accept the Terms of Use version {current.version}",
            at=at,
        )
    return Decision.allow(
        Reason("terms_accepted", f"version {current.version} was accepted"),
        at=at,
        details={"terms_version": current.version},
    )


# -- passwords ------------------------------------------------------------------------------


def password_policy(password: str, *, min_length: int, personal: Iterable[str] = ()) -> Decision:
    """Judge a password: length, a common-password deny-list, and personal information.

    Composition rules (a digit, a symbol ...) are deliberately not required.

    Reason codes when refused: ``password_too_short``, ``password_too_long``,
    ``password_too_common`` (in :data:`COMMON_PASSWORDS` or one repeated
    character), ``password_contains_personal_info`` (contains the e-mail's
    local part or a name of 4+ characters), ``invalid_password`` (control
    characters or lone surrogates).
    """
    reasons = []
    if any(ord(ch) < 32 or ord(ch) == 127 or 0xD800 <= ord(ch) <= 0xDFFF for ch in password):
        reasons.append(Reason("invalid_password", "a password may not contain control characters"))
    if len(password) < min_length:
        reasons.append(
            Reason(
                "password_too_short",
                f"a password has at least {min_length} characters",
                {"minimum": min_length},
            )
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        reasons.append(
            Reason(
                "password_too_long",
                f"a password has at most {MAX_PASSWORD_LENGTH} characters",
                {"maximum": MAX_PASSWORD_LENGTH},
            )
        )
    folded = password.casefold()
    if folded in COMMON_PASSWORDS or (password and len(set(password)) == 1):
        reasons.append(Reason("password_too_common", "this password is too easy to guess"))
    for item in personal:
        piece = item.casefold().strip()
        if len(piece) >= 4 and piece in folded:
            reasons.append(
                Reason(
                    "password_contains_personal_info",
                    "a password may not contain your e-mail address or name",
                )
            )
            break
    if reasons:
        return Decision.deny(*reasons, hint="choose a longer, unusual passphrase")
    return Decision.allow(Reason("password_acceptable"))


def check_password(password: object, *, min_length: int, personal: Iterable[str] = ()) -> str:
    """Return ``password`` if :func:`password_policy` accepts it; raise otherwise.

    Raises:
        ValidationError: not text (``invalid_password``) or the first refusal
            reason of :func:`password_policy` as code, field ``password``.
        LimitExceeded: longer than the maximum (``password_too_long``).
    """
    if not isinstance(password, str):
        raise ValidationError("a password is text", field="password", code="invalid_password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise LimitExceeded(
            f"a password has at most {MAX_PASSWORD_LENGTH} characters",
            field="password",
            code="password_too_long",
            details={"limit": MAX_PASSWORD_LENGTH, "length": len(password)},
        )
    decision = password_policy(password, min_length=min_length, personal=personal)
    if not decision:
        first = decision.reasons[0]
        raise ValidationError(
            first.message, field="password", code=first.code, details={"reasons": decision.codes}
        )
    return password


def personal_words(contact: ContactDetails) -> tuple[str, ...]:
    """The pieces of personal information a password may not contain."""
    return (
        contact.email.rsplit("@", 1)[0],
        contact.given_name,
        contact.family_name,
    )


# -- contact details -------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if attrs.has(type(value)):
        return {k: _plain(v) for k, v in attrs.asdict(value, recurse=False).items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def apply_contact_changes(
    candidate: Candidate, changes: Mapping[str, Any], at: datetime
) -> tuple[Candidate, ContactDetailsUpdated | None]:
    """Apply ``changes`` (field name -> new value) to the contact details.

    Only :data:`CONTACT_FIELDS` may change here. Updating counts as a review
    ("keep your contact information current"), even when nothing differs.

    Returns:
        the candidate and a :class:`ContactDetailsUpdated` event listing every
        field that actually changed (``None`` when nothing did).

    Raises:
        ValidationError: an unknown field (``unknown_field``) or a bad value
            (the field's own code).
    """
    for name in changes:
        if name not in CONTACT_FIELDS:
            raise ValidationError(
                f"{name!r} cannot be changed here"
                + (" (use request_email_change)" if name == "email" else ""),
                field=name,
                code="unknown_field",
            )
    contact = attrs.evolve(candidate.contact, **dict(changes))
    diff = tuple(
        FieldChange(name, _plain(getattr(candidate.contact, name)), _plain(getattr(contact, name)))
        for name in CONTACT_FIELDS
        if getattr(candidate.contact, name) != getattr(contact, name)
    )
    updated = attrs.evolve(candidate, contact=contact, contact_reviewed_at=at)
    event = ContactDetailsUpdated(candidate.candidate_id, at, changes=diff) if diff else None
    return updated, event


def contact_review(candidate: Candidate, at: datetime, period: timedelta) -> Decision:
    """Whether the contact details are current: "Be sure to keep all of your contact
    information current" (seed 000).

    Allowed (``contact_current``) when the details were updated or confirmed less
    than ``period`` before ``at``; denied (``contact_review_due``) otherwise, with
    the instant the review fell due.
    """
    due = candidate.contact_reviewed_at + period
    facts = {"reviewed_at": candidate.contact_reviewed_at.isoformat(), "due_at": due.isoformat()}
    if at >= due:
        return Decision.deny(
            Reason("contact_review_due", "please review your contact information", facts),
            hint="update or confirm your personal info",
            at=at,
        )
    return Decision.allow(
        Reason("contact_current", "your contact information was reviewed recently", facts), at=at
    )


# -- notification preferences -----------------------------------------------------------------


def set_preference(
    preferences: NotificationPreferences, category: NotificationCategory, enabled: bool
) -> NotificationPreferences:
    """Switch a category on or off.

    Raises:
        ValidationError: switching off a mandatory category (code
            ``notification_mandatory``, field ``category``).
    """
    if category in MANDATORY_CATEGORIES and not enabled:
        raise ValidationError(
            f"{category} cannot be switched off", field="category", code="notification_mandatory"
        )
    chosen = preferences.enabled | {category} if enabled else preferences.enabled - {category}
    return NotificationPreferences(chosen)


def notification_setting(
    candidate: Candidate, category: NotificationCategory, consent: bool | None
) -> NotificationSetting:
    """Whether messages of ``category`` go to ``candidate``, and why.

    Args:
        candidate: the account.
        category: the category.
        consent: the consent context's answer for marketing categories
            (``None``: no consent context is wired; the candidate's own choice decides).

    Reasons: ``account_closed``, ``mandatory``, ``not_chosen``, ``consent_withheld``, ``chosen``.
    """
    chosen = candidate.preferences.chosen(category)
    mandatory = category in MANDATORY_CATEGORIES
    if candidate.status is AccountStatus.CLOSED:
        return NotificationSetting(category, chosen, False, mandatory, "account_closed")
    if mandatory:
        return NotificationSetting(category, True, True, True, "mandatory")
    if not chosen:
        return NotificationSetting(category, False, False, False, "not_chosen")
    if category in MARKETING_CATEGORIES and consent is False:
        return NotificationSetting(category, True, False, False, "consent_withheld")
    return NotificationSetting(category, True, True, False, "chosen")


# -- score reports ----------------------------------------------------------------------------


def score_report_proof(report: ScoreReport, *, email: str | None, name: str | None) -> Decision:
    """Whether a claimant proved a report is theirs: its e-mail or its name must match.

    ``email`` must already be normalized. Names match ignoring case, spacing
    and Unicode compatibility forms. Reasons: ``email_matches``,
    ``name_matches`` or ``proof_mismatch``.
    """
    if email is not None and _text.email_key(email) == _text.email_key(report.email):
        return Decision.allow(Reason("email_matches", "the e-mail on the report matches"))
    if name is not None and _text.names_match(name, report.candidate_name):
        return Decision.allow(Reason("name_matches", "the name on the report matches"))
    return Decision.deny(
        Reason("proof_mismatch", "the registration number and details do not match a report")
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


# -- incidents --------------------------------------------------------------------------------


def change_incident_status(
    incident: Incident, target: IncidentStatus, at: datetime, *, reopen_window: timedelta
) -> tuple[Incident, IncidentStatusChanged]:
    """Move an incident to ``target`` and return it with the event.

    Raises:
        IllegalTransition: not allowed from the current status
            (``illegal_transition``), or a reopen after the window closed
            (``reopen_window_passed``).
    """
    if target not in INCIDENT_TRANSITIONS[incident.status]:
        raise IllegalTransition(
            f"an incident cannot go from {incident.status} to {target}",
            field="status",
            code="illegal_transition",
            details={"from": str(incident.status), "to": str(target)},
        )
    reopening = target is IncidentStatus.OPEN
    if reopening and (incident.resolved_at is None or at > incident.resolved_at + reopen_window):
        raise IllegalTransition(
            "this incident can no longer be reopened; please log a new one",
            field="status",
            code="reopen_window_passed",
            details={"window_days": reopen_window.days},
        )
    resolved_at = at if target is IncidentStatus.RESOLVED else incident.resolved_at
    updated = attrs.evolve(incident, status=target, updated_at=at, resolved_at=resolved_at)
    event = IncidentStatusChanged(
        incident.candidate_id,
        at,
        incident_id=incident.incident_id,
        previous=str(incident.status),
        status=str(target),
    )
    return updated, event


def add_incident_message(incident: Incident, message: IncidentMessage) -> Incident:
    """Append a message to the conversation.

    Raises:
        IllegalTransition: the incident is closed (code ``incident_closed``).
        LimitExceeded: the conversation is full (code ``too_many_messages``).
    """
    if incident.status is IncidentStatus.CLOSED:
        raise IllegalTransition(
            "this incident is closed; reopen it or log a new one",
            field="incident_id",
            code="incident_closed",
        )
    return attrs.evolve(incident, messages=(*incident.messages, message), updated_at=message.at)


# -- rate limits -------------------------------------------------------------------------------


def rate_limit(
    instants: Sequence[datetime], at: datetime, *, limit: int, window: timedelta
) -> Decision:
    """Whether one more request is allowed: fewer than ``limit`` in the ``window`` before ``at``.

    Reasons: ``within_limit`` or ``rate_limited`` (with the instant it frees up).
    """
    recent = sorted(i for i in instants if at - window < i <= at)
    if len(recent) >= limit:
        free = recent[-limit] + window
        return Decision.deny(
            Reason(
                "rate_limited",
                f"at most {limit} requests per {window}",
                {"limit": limit, "retry_at": free.isoformat()},
            ),
            at=at,
        )
    return Decision.allow(Reason("within_limit"), at=at)
