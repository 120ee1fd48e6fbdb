"""Pure rules of the accounts context: no storage, no clock, no notifier.

Each function takes state, input and the instant it is asked about, and returns
new state, events or an explainable :class:`~symprogram.decisions.Decision`;
the ones that refuse raise a :class:`~symprogram.errors.SymprogramError`
subclass with a stable code. Every refusal of the accounts context is decided
here; the flows only load, call these rules, save and send.

This module holds the terms of use, registration, contact details and
notification preferences, and re-exports the rules of the account life cycle
and erasure (:mod:`~symprogram.accounts._rules_lifecycle`), credentials
(:mod:`~symprogram.accounts._rules_credentials`), score report claims
(:mod:`~symprogram.accounts._rules_claims`), score report anchors
(:mod:`~symprogram.accounts._rules_report_anchors`), incidents
(:mod:`~symprogram.accounts._rules_incidents`), the account anchored to its history
(:mod:`~symprogram.accounts._rules_anchors`) and its pending e-mail change
(:mod:`~symprogram.accounts._rules_pending_email`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from symprogram._anchors import SaidEntries, require_said
from symprogram._checks import check_instance, check_instant, check_int
from symprogram._guard import guard_public
from symprogram.accounts import (
    _rules_anchors,
    _rules_claims,
    _rules_credentials,
    _rules_incidents,
    _rules_lifecycle,
    _rules_pending_email,
    _rules_report_anchors,
    _text,
)
from symprogram.accounts._rules_anchors import *  # noqa: F403
from symprogram.accounts._rules_claims import *  # noqa: F403
from symprogram.accounts._rules_credentials import *  # noqa: F403
from symprogram.accounts._rules_incidents import *  # noqa: F403
from symprogram.accounts._rules_lifecycle import *  # noqa: F403
from symprogram.accounts._rules_pending_email import *  # noqa: F403
from symprogram.accounts._rules_report_anchors import *  # noqa: F403
from symprogram.accounts.events import (
    ActivationSent,
    CandidateRegistered,
    ContactDetailsUpdated,
    FieldChange,
    TermsAccepted,
)
from symprogram.accounts.models import (
    MANDATORY_CATEGORIES,
    MARKETING_CATEGORIES,
    AcceptancePath,
    AccountStatus,
    BulkCandidate,
    Candidate,
    ContactDetails,
    NotificationCategory,
    NotificationPreferences,
    NotificationSetting,
    TermsAcceptance,
    TermsVersion,
)
from symprogram.accounts.ports import CANDIDATE_KIND
from symprogram.decisions import Decision, Reason
from symprogram.errors import PermissionDenied, TokenError, ValidationError
from symprogram.events import DomainEvent

__all__ = [
    "CONTACT_FIELDS",
    "account_contact_review",
    "apply_contact_changes",
    "change_email",
    "check_batch_size",
    "check_bulk_rows",
    "check_enabled",
    "check_new_email",
    "check_terms_version",
    "contact_review",
    "gathered_items",
    "marketing_setting",
    "new_acceptance",
    "new_account",
    "notification_setting",
    "offered_path",
    "pending_email",
    "require_receipt",
    "require_terms",
    "set_preference",
    "terms_accepted",
    "terms_status",
    "unbound_acceptance",
    "updated_items",
]
# The private rule modules' names, re-exported as each one declares them.
__all__ += _rules_anchors.__all__
__all__ += _rules_claims.__all__
__all__ += _rules_credentials.__all__
__all__ += _rules_incidents.__all__
__all__ += _rules_lifecycle.__all__
__all__ += _rules_pending_email.__all__
__all__ += _rules_report_anchors.__all__

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


def terms_accepted(candidate_id: str, acceptance: TermsAcceptance) -> TermsAccepted:
    """The history entry of ``acceptance`` bound to ``candidate_id``."""
    return TermsAccepted(
        candidate_id,
        acceptance.accepted_at,
        acceptance_id=acceptance.acceptance_id,
        terms_version=acceptance.terms_version,
        terms_digest=acceptance.terms_digest,
        path=str(acceptance.path),
        accepted_at=acceptance.accepted_at,
    )


def new_acceptance(
    current: TermsVersion,
    path: AcceptancePath,
    at: datetime,
    acceptance_id: str,
    candidate_id: str | None = None,
    version: int = 0,
) -> TermsAcceptance:
    """An acceptance of ``current`` (the terms in effect) through ``path`` at ``at``, bound
    to ``candidate_id`` when one is given; ``version`` is its storage version."""
    return TermsAcceptance(
        acceptance_id, current.version, current.digest, path, at, candidate_id, version
    )


def new_account(
    bound: TermsAcceptance,
    contact: ContactDetails,
    at: datetime,
    activation_expires: datetime,
    *,
    credential_digest: str | None = None,
) -> tuple[Candidate, tuple[DomainEvent, ...]]:
    """A new account pending activation, for the acceptance ``bound`` to its candidate ID.

    ``credential_digest`` (:func:`credential_digest` of the password hash stored for
    it) is kept on the candidate and recorded in ``candidate_registered``.

    Returns:
        the candidate and its first history entries: ``terms_accepted``,
        ``candidate_registered`` and ``activation_sent``.
    """
    key = bound.candidate_id
    if key is None:
        raise ValidationError(
            "the acceptance is not bound to the new account",
            field="candidate_id",
            code="acceptance_unbound",
        )
    candidate = Candidate(
        candidate_id=key,
        status=AccountStatus.PENDING_ACTIVATION,
        contact=contact,
        registered_at=at,
        status_changed_at=at,
        contact_reviewed_at=at,
        terms=bound,
        credential_digest=credential_digest,
    )
    registered = CandidateRegistered(
        key,
        at,
        email=contact.email,
        given_name=contact.given_name,
        family_name=contact.family_name,
        company_name=contact.company_name,
        partner_company=contact.partner_company,
        preferred_language=contact.preferred_language,
        credential_digest=credential_digest,
    )
    sent = ActivationSent(key, at, expires_at=activation_expires)
    return candidate, (terms_accepted(key, bound), registered, sent)


def check_terms_version(current: TermsVersion, seen: str | None) -> None:
    """Refuse an acceptance of a version that is not the one in effect.

    Raises:
        ValidationError: ``terms_version_not_current`` (details ``current``).
    """
    if seen is not None and seen != current.version:
        raise ValidationError(
            f"version {current.version} of the Terms of Use is in effect",
            field="terms_version",
            code="terms_version_not_current",
            details={"current": current.version},
        )


def offered_path(current: TermsVersion, path: AcceptancePath, field: str = "path") -> None:
    """Refuse an acceptance path the terms in effect do not offer.

    Raises:
        ValidationError: ``invalid_path`` (on ``field``).
    """
    if path not in current.acceptance_paths:
        raise ValidationError(
            f"terms {current.version} do not offer the {path} path",
            field=field,
            code="invalid_path",
        )


def require_receipt(terms_receipt: object) -> None:
    """Refuse a registration without a terms receipt.

    Raises:
        PermissionDenied: ``terms_not_accepted`` (field ``terms_receipt``).
    """
    # str's own comparison: a foreign object's __eq__ is never called here; its type
    # is refused where the receipt is read.
    if terms_receipt is None or (isinstance(terms_receipt, str) and str.__eq__(terms_receipt, "")):
        raise PermissionDenied(
            "accept the Terms of Use before creating an account",
            field="terms_receipt",
            code="terms_not_accepted",
        )


def unbound_acceptance(acceptance: TermsAcceptance | None) -> TermsAcceptance:
    """Return the acceptance a terms receipt names, if no account used it yet.

    Raises:
        TokenError: ``token_invalid`` (field ``terms_receipt``).
    """
    if acceptance is None or acceptance.candidate_id is not None:
        raise TokenError("this link is not valid", field="terms_receipt", code="token_invalid")
    return acceptance


def require_terms(decision: Decision, field: str) -> None:
    """Refuse when a :func:`terms_status` decision is a denial.

    Raises:
        PermissionDenied: the decision's first code (``terms_not_accepted`` or
            ``terms_outdated``) on ``field``.
    """
    if not decision:
        raise PermissionDenied(decision.reasons[0].message, field=field, code=decision.codes[0])


def check_bulk_rows(
    rows: Iterable[object], recognizes: Callable[[str], bool] | None = None
) -> list[BulkCandidate]:
    """Return the rows of a bulk registration as :class:`BulkCandidate` s.

    A bare :class:`ContactDetails` becomes a row with an unusable password. With
    ``recognizes`` (the hasher's "is this one of my hashes?"), a row's password
    hash must be one: "a password hash not in the hasher's format" is refused
    before anything is written, instead of an account nobody can ever log in to.

    Raises:
        ValidationError: not an iterable of rows (``invalid_rows``), a row of another
            type (``invalid_row``, details ``row``), a password hash the hasher
            does not recognize (``invalid_password_hash``, details ``row``), the
            address that stands for erased ones (``invalid_email``, details ``row``).
    """
    if not isinstance(rows, Iterable):
        raise ValidationError(
            f"rows must be an iterable of rows, not {type(rows).__name__}",
            field="rows",
            code="invalid_rows",
        )
    checked: list[BulkCandidate] = []
    for number, row in enumerate(rows):
        if isinstance(row, ContactDetails):
            row = BulkCandidate(row)
        elif not isinstance(row, BulkCandidate):
            raise ValidationError(
                f"row {number} is not a BulkCandidate or ContactDetails",
                field="rows",
                code="invalid_row",
                details={"row": number},
            )
        _usable_row_email(row, number)
        hashed = row.password_hash
        if hashed is not None and recognizes is not None and not recognizes(hashed):
            raise ValidationError(
                f"row {number}: the password hash is not in the format of the "
                "service's password hasher",
                field="password_hash",
                code="invalid_password_hash",
                details={"row": number},
            )
        checked.append(row)
    return checked


def check_batch_size(value: object) -> int:
    """Return a bulk registration's batch size: a positive integer.

    Raises:
        ValidationError: ``invalid_batch_size``.
    """
    return check_int(value, "batch_size", minimum=1, code="invalid_batch_size")


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


_END_OF_CALENDAR = datetime.max.replace(tzinfo=UTC)
_START_OF_CALENDAR = datetime.min.replace(tzinfo=UTC)


def _review_arguments(
    candidate: object, at: object, period: object
) -> tuple[Candidate, datetime, timedelta]:
    """The arguments of a contact review, checked (``ValidationError`` otherwise)."""
    return (
        check_instance(candidate, Candidate, "candidate", code="invalid_candidate"),
        check_instant(at, "at"),
        check_instance(period, timedelta, "period", code="invalid_period"),
    )


def contact_review(candidate: Candidate, at: datetime, period: timedelta) -> Decision:
    """Whether the contact details are current: "Be sure to keep all of your contact
    information current" (the Terms of Use v.2007.507).

    Allowed (``contact_current``) when the details were updated or confirmed less
    than ``period`` before ``at``; denied (``contact_review_due``) otherwise, with
    the instant the review fell due. A ``period`` reaching past the calendar's
    end never falls due (``due_at`` is then the last instant of the calendar).

    Raises:
        ValidationError: ``candidate`` not a :class:`Candidate`
            (``invalid_candidate``), ``at`` not an aware ``datetime``
            (``invalid_instant``, ``naive_datetime``), ``period`` not a
            ``timedelta`` (``invalid_period``).
    """
    candidate, at, period = _review_arguments(candidate, at, period)
    try:
        due = candidate.contact_reviewed_at + period
    except OverflowError:
        due = _END_OF_CALENDAR if period > timedelta(0) else _START_OF_CALENDAR
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


def account_contact_review(candidate: Candidate, at: datetime, period: timedelta) -> Decision:
    """Whether the account is asked to review its contact details at ``at``.

    A closed account (an erased one included) is not: it cannot update its details
    and the program contacts it no more, so the answer is allowed with the reason
    ``account_closed``. Any other account is answered by :func:`contact_review`.

    Raises:
        ValidationError: as :func:`contact_review`.
    """
    candidate, at, period = _review_arguments(candidate, at, period)
    if candidate.status is AccountStatus.CLOSED:
        return Decision.allow(
            Reason("account_closed", "a closed account is not asked to review its details"),
            at=at,
        )
    return contact_review(candidate, at, period)


def _usable_row_email(row: BulkCandidate, number: int) -> None:
    """Refuse a bulk row for the address that stands for erased ones (details ``row``)."""
    try:
        _rules_lifecycle.require_usable_email(row.contact.email)
    except ValidationError as exc:
        raise ValidationError(
            f"row {number}: {exc.message}",
            field="email",
            code=exc.code,
            details={**exc.details, "row": number},
        ) from None


def check_new_email(candidate: Candidate, new_email: str) -> None:
    """Refuse an e-mail change to the account's own address (``new_email`` normalized),
    or to the address that stands for erased ones (:data:`ERASED_EMAIL`).

    Raises:
        ValidationError: ``email_unchanged`` or ``invalid_email`` (field ``new_email``).
    """
    _rules_lifecycle.require_usable_email(new_email, "new_email")
    if _text.email_key(new_email) == _text.email_key(candidate.contact.email):
        raise ValidationError(
            "this is already the account's address",
            field="new_email",
            code="email_unchanged",
        )


def pending_email(candidate: Candidate, entries: SaidEntries | None = None) -> str:
    """Return the address waiting for verification.

    With the account's history ``entries`` (oldest first), only the address the
    history vouches for (:func:`said_pending_email`): a ``pending_email`` written
    over by hand is refused rather than made the account's address.

    Raises:
        TokenError: none is waiting (``token_invalid``, field ``token``).
        IntegrityError: the stored address is not the one the history says
            (``record_corrupt``, details: kind ``candidate`` and its ID).
    """
    if entries is not None:
        key = candidate.candidate_id
        differences = _rules_pending_email.pending_email_differences(key, candidate, entries)
        require_said(candidate, not differences, CANDIDATE_KIND, key)
    if candidate.pending_email is None:
        raise TokenError("this link is not valid", field="token", code="token_invalid")
    return candidate.pending_email


def change_email(candidate: Candidate, new_email: str, at: datetime) -> Candidate:
    """The account with its verified new address (which also counts as a review)."""
    return attrs.evolve(
        candidate,
        contact=attrs.evolve(candidate.contact, email=new_email),
        pending_email=None,
        contact_reviewed_at=at,
    )


# -- notification preferences -----------------------------------------------------------------


def check_enabled(value: object) -> bool:
    """Return a preference switch: ``True`` or ``False``.

    Raises:
        ValidationError: anything else (``invalid_type``, field ``enabled``).
    """
    if not isinstance(value, bool):
        raise ValidationError("enabled must be true or false", field="enabled", code="invalid_type")
    return value


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


def marketing_setting(
    candidate: Candidate, category: NotificationCategory, allowed: bool
) -> NotificationSetting:
    """A marketing category as a view of the consent ledger (one truth per choice).

    Used when the consent context keeps the candidate's marketing choices: the
    switch is on exactly when consent allows ``category`` to reach the candidate
    (``allowed``), whatever the account stored. Reasons: ``account_closed``,
    ``chosen`` (consent allows it), ``consent_withheld`` (it does not).
    """
    if candidate.status is AccountStatus.CLOSED:
        return NotificationSetting(category, allowed, False, False, "account_closed")
    if allowed:
        return NotificationSetting(category, True, True, False, "chosen")
    return NotificationSetting(category, False, False, False, "consent_withheld")


_ITEM_OF_FIELD = {
    "email": "email",
    "given_name": "name",
    "family_name": "name",
    "company_name": "company",
    "partner_company": "partner_company",
    "preferred_language": "language",
    "phone": "phone",
    "postal_address": "address",
}
"""Contact fields -> the personal data items they are, in the privacy policy's words
where it has them ("name", "address", "email")."""


def gathered_items(contact: ContactDetails) -> tuple[str, ...]:
    """The names of the personal data items a registration gathered (never the values).

    Every field given, by item name, sorted: ``phone`` and ``address`` only when given.
    """
    return tuple(sorted({item for name, item in _ITEM_OF_FIELD.items() if getattr(contact, name)}))


def updated_items(event: ContactDetailsUpdated | None) -> tuple[str, ...]:
    """The names of the personal data items a contact update newly gathered: every
    changed field given a value (a field cleared gathers nothing); sorted."""
    if event is None:
        return ()
    return tuple(sorted({_ITEM_OF_FIELD[c.field] for c in event.changes if c.new is not None}))


guard_public(globals(), __all__)
