"""Rules of publishing awards to third parties: disclosures, codes, what a verifier sees.

Pure functions, re-exported by :mod:`symprogram.awards.rules`: every refusal of
publishing, verifying and revoking a disclosure is decided here.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime, timedelta

import attrs
from email_validator import EmailNotValidError, validate_email

from symprogram._anchors import SaidEntries, require_said
from symprogram._checks import check_found, check_length
from symprogram.awards._rules_anchors import disclosure_anchored
from symprogram.awards._rules_progress import active_awards, holding
from symprogram.awards.models import (
    ERASED_TEXT,
    AwardCatalogue,
    CandidateAwards,
    DisclosedAward,
    Disclosure,
    DisclosureStatus,
    DisclosureView,
)
from symprogram.awards.ports import DISCLOSURE_KIND
from symprogram.clock import ensure_utc
from symprogram.errors import (
    Conflict,
    IllegalTransition,
    IntegrityError,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    ValidationError,
)

__all__ = [
    "DEFAULT_DISCLOSURE_TTL",
    "MAX_DISCLOSURE_TTL",
    "check_award_ids",
    "check_email",
    "check_ttl",
    "code_digest",
    "disclosure_expiry",
    "disclosure_view",
    "erased_disclosure",
    "hash_recipient",
    "mismatch_view",
    "owned_disclosure",
    "publish",
    "recipient_matches",
    "require_active",
    "require_disclosure_anchored",
    "require_listed",
    "require_may_publish",
    "require_terms_accepted",
    "revoke_disclosure",
    "unknown_code",
]

DEFAULT_DISCLOSURE_TTL = timedelta(days=30)
"""How long a disclosure lasts when neither ``ttl`` nor ``expires_at`` is given."""

MAX_DISCLOSURE_TTL = timedelta(days=365)
"""The longest a disclosure may last."""


def code_digest(code: str) -> str:
    """The SHA-256 hex digest under which a verification code is kept."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def hash_recipient(email: str, salt: bytes) -> str:
    """Salted SHA-256 (HMAC) of a normalized recipient address."""
    return hmac.new(salt, email.encode("utf-8"), hashlib.sha256).hexdigest()


def recipient_matches(disclosure: Disclosure, recipient: str, salt: bytes | None) -> bool:
    """Whether ``recipient`` is the address ``disclosure`` was sent to.

    ``salt`` is the service-wide salt, used when the disclosure has none of its own.
    """
    own = disclosure.recipient_salt
    key = bytes.fromhex(own) if own is not None else salt
    if key is None:
        return False
    expected = hash_recipient(recipient.lower(), key)  # not casefold: ß is no ss
    return hmac.compare_digest(expected, disclosure.recipient_hash)


# -- input ------------------------------------------------------------------------------


_MAX_EMAIL_LENGTH = 254
"""The longest e-mail address (RFC 5321); longer text is refused before it is parsed."""


def check_email(value: object, field: str) -> str:
    """The normalized e-mail address ``value`` (no deliverability look-up).

    Raises:
        ValidationError: ``invalid_email``.
        LimitExceeded: longer than 254 characters (``<field>_too_long``), checked
            before the address is parsed.
    """
    if not isinstance(value, str):
        raise ValidationError("an email address is required", field=field, code="invalid_email")
    check_length(
        value,
        field,
        limit=_MAX_EMAIL_LENGTH,
        code=f"{field}_too_long",
        message=f"{field} is at most {_MAX_EMAIL_LENGTH} characters",
    )
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationError(str(exc), field=field, code="invalid_email") from exc


def check_award_ids(value: object) -> tuple[str, ...]:
    """Validate a non-empty list of distinct award IDs.

    Raises:
        ValidationError: ``invalid_award_ids``.
    """
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise _bad_award_ids("a list of award IDs")
    ids = tuple(value)
    if not ids or not all(isinstance(i, str) and i for i in ids) or len(set(ids)) != len(ids):
        raise _bad_award_ids("a non-empty list of distinct award IDs")
    return ids


def _bad_award_ids(expected: str) -> ValidationError:
    return ValidationError(
        f"award_ids must be {expected}", field="award_ids", code="invalid_award_ids"
    )


def check_ttl(ttl: object, maximum: timedelta) -> timedelta:
    """Validate a disclosure lifetime: positive and at most ``maximum``.

    Raises:
        ValidationError: ``invalid_ttl``.
        LimitExceeded: ``disclosure_too_long``.
    """
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


def disclosure_expiry(
    now: datetime,
    *,
    expires_at: object | None,
    ttl: object | None,
    default: timedelta = DEFAULT_DISCLOSURE_TTL,
    maximum: timedelta = MAX_DISCLOSURE_TTL,
) -> datetime:
    """When a disclosure published at ``now`` expires: ``expires_at``, or ``now + ttl``.

    Raises:
        ValidationError: ``ambiguous_expiry`` (both given), ``invalid_expiry`` (not
            in the future), ``invalid_ttl``, ``naive_datetime``.
        LimitExceeded: ``disclosure_too_long``.
    """
    if expires_at is not None and ttl is not None:
        raise ValidationError(
            "give expires_at or ttl, not both", field="ttl", code="ambiguous_expiry"
        )
    if expires_at is None:
        return now + check_ttl(default if ttl is None else ttl, maximum)
    until = ensure_utc(expires_at, field="expires_at")
    if until <= now:
        raise ValidationError(
            "expires_at must be in the future", field="expires_at", code="invalid_expiry"
        )
    if until - now > maximum:
        raise LimitExceeded(
            f"a disclosure lasts at most {maximum.days} days",
            field="expires_at",
            code="disclosure_too_long",
        )
    return until


# -- publishing ---------------------------------------------------------------------------


def require_may_publish(*, account_active: bool, terms_accepted: bool) -> None:
    """Who may publish: an active account that accepted the current Terms of Use.

    "Through your account you can also ... publish your certifications to third
    parties via email" (the Terms of Use v.2007.507): an account pending
    activation, suspended or closed publishes nothing, as it claims no score
    report.

    Raises:
        PermissionDenied: ``account_not_active``, then ``terms_not_accepted``.
    """
    if not account_active:
        code, message = "account_not_active", "only an active account publishes its awards"
    elif not terms_accepted:
        code = "terms_not_accepted"
        message = "the candidate must accept the current Terms of Use before publishing"
    else:
        return
    raise PermissionDenied(message, field="candidate_id", code=code)


def require_terms_accepted(accepted: bool) -> None:
    """Publishing needs the current Terms of Use accepted (see :func:`require_may_publish`).

    Raises:
        PermissionDenied: ``terms_not_accepted``.
    """
    require_may_publish(account_active=True, terms_accepted=accepted)


def require_active(state: CandidateAwards, award_ids: tuple[str, ...], at: datetime) -> None:
    """Every award published must be active at ``at``.

    Raises:
        Conflict: ``award_not_active`` (``details["award_id"]``: the first one that is not).
    """
    held = active_awards(state, at)
    for award_id in award_ids:
        if award_id not in held:
            raise Conflict(
                f"{award_id} is not an active award of the candidate",
                field="award_ids",
                code="award_not_active",
                details={"award_id": award_id},
            )


def publish(state: CandidateAwards, disclosure: Disclosure) -> CandidateAwards:
    """``state`` with ``disclosure`` published (its awards must be active then).

    Raises:
        Conflict: ``award_not_active``.
    """
    require_active(state, disclosure.award_ids, disclosure.created_at)
    return attrs.evolve(state, disclosure_ids=(*state.disclosure_ids, disclosure.disclosure_id))


def owned_disclosure(
    disclosure: Disclosure | None, candidate_id: str, disclosure_id: str
) -> Disclosure:
    """``disclosure`` if it exists and belongs to ``candidate_id``.

    Raises:
        NotFound: ``disclosure_not_found`` (missing, or another candidate's).
    """
    owned = disclosure is not None and disclosure.candidate_id == candidate_id
    return check_found(
        disclosure if owned else None,
        f"the candidate has no disclosure {disclosure_id!r}",
        field="disclosure_id",
        code="disclosure_not_found",
    )


def revoke_disclosure(disclosure: Disclosure, at: datetime) -> Disclosure:
    """``disclosure`` revoked at ``at``.

    Raises:
        IllegalTransition: ``disclosure_already_revoked``.
    """
    if disclosure.revoked_at is not None:
        raise IllegalTransition(
            "this disclosure is already revoked",
            field="disclosure_id",
            code="disclosure_already_revoked",
        )
    return attrs.evolve(disclosure, revoked_at=at)


def erased_disclosure(disclosure: Disclosure, at: datetime) -> tuple[Disclosure, bool]:
    """``disclosure`` without personal data, revoked at ``at`` if it still showed.

    Returns the new disclosure and whether this revoked it.
    """
    changed = attrs.evolve(
        disclosure, holder_name=ERASED_TEXT, recipient_hash="", recipient_salt=None
    )
    if disclosure.status_at(at) is DisclosureStatus.ACTIVE:
        return attrs.evolve(changed, revoked_at=at), True
    return changed, False


# -- verifying ----------------------------------------------------------------------------


unknown_code = NotFound.refusal(
    "no disclosure has this verification code", field="code", code="disclosure_not_found"
)
"""The refusal of a code that matches no disclosure (raised after it is logged)."""


def require_listed(disclosure: Disclosure, state: CandidateAwards) -> None:
    """Refuse ``disclosure`` unless its candidate's awards record lists it.

    Publishing lists every disclosure in the candidate's record (:func:`publish`),
    and the account history anchors that list; a disclosure record the list does
    not name was written in by hand (a code and a holder name of the writer's
    choosing over someone's awards), so it is never shown.

    Raises:
        IntegrityError: ``record_corrupt`` (details: the disclosure's kind and ID).
    """
    if disclosure.disclosure_id not in state.disclosure_ids:
        raise IntegrityError.record_corrupt(
            DISCLOSURE_KIND, disclosure.disclosure_id, "is not one its candidate published"
        )


def require_disclosure_anchored(disclosure: Disclosure, entries: SaidEntries) -> None:
    """Refuse ``disclosure`` unless it shows what its candidate's history ``entries``
    say of it (:func:`~symprogram.awards.rules.disclosure_anchored`): a disclosure row
    put back from before its revocation would show revoked awards again, and one
    holding another disclosure's code digest (two codes swapped together with their
    code index entries) would answer that code with its own awards and holder name.

    Raises:
        IntegrityError: ``record_corrupt`` (details: the disclosure's kind and ID).
    """
    said = disclosure_anchored(disclosure, entries)
    require_said(disclosure, said, DISCLOSURE_KIND, disclosure.disclosure_id)


def mismatch_view(disclosure: Disclosure, at: datetime) -> DisclosureView:
    """What a verifier sees who named another recipient: nothing but the status."""
    return _status_only(disclosure, disclosure.status_at(at), at, "recipient_mismatch")


def _status_only(
    disclosure: Disclosure, status: DisclosureStatus, at: datetime, reason: str
) -> DisclosureView:
    return DisclosureView(
        disclosure_id=disclosure.disclosure_id,
        status=status,
        verified_at=at,
        holder_name=None,
        reason=reason,
    )


def disclosure_view(
    disclosure: Disclosure,
    state: CandidateAwards,
    at: datetime,
    catalogue: AwardCatalogue,
    *,
    account_closed: bool = False,
) -> DisclosureView:
    """What a verifier sees at ``at``: only the chosen awards, with their current status.

    A revoked or expired disclosure shows nothing but its status and the reason.
    An active disclosure of a closed account (``account_closed``) shows nothing
    either, with reason ``account_closed`` (its status stays ``active``: nothing
    revoked it). "Through your account you can also ... publish your
    certifications to third parties via email" (the Terms of Use v.2007.507):
    what was published through an account stops showing once the account is
    closed for good. A suspended account is not closed: its disclosures show.
    """
    status = disclosure.status_at(at)
    if status is not DisclosureStatus.ACTIVE:
        return _status_only(disclosure, status, at, f"disclosure_{status.value}")
    if account_closed:
        return _status_only(disclosure, status, at, "account_closed")
    shown = []
    for award_id in disclosure.award_ids:
        latest = state.latest_grant(award_id, at)
        if latest is not None:
            h = holding(latest, at, catalogue)
            shown.append(
                DisclosedAward(h.award_id, h.name, h.kind, h.status, h.granted_at, h.expires_at)
            )
    return DisclosureView(
        disclosure_id=disclosure.disclosure_id,
        status=status,
        verified_at=at,
        holder_name=disclosure.holder_name,
        awards=tuple(shown),
        expires_at=disclosure.expires_at,
    )
