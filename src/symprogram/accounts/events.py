"""Events appended to a candidate's account history (``program.history``).

Every change the accounts service makes appends one of these, in the same unit
of work as the change. The history entry's ``kind`` is the class name in
``snake_case`` (e.g. ``candidate_registered``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from symprogram.events import DomainEvent

__all__ = [
    "AccountErased",
    "AccountStatusChanged",
    "ActivationSent",
    "CandidateRegistered",
    "ContactDetailsReviewed",
    "ContactDetailsUpdated",
    "CredentialAnchored",
    "EmailChangeRequested",
    "EmailChanged",
    "FieldChange",
    "IncidentMessagePosted",
    "IncidentOpened",
    "IncidentStatusChanged",
    "NotificationPreferenceChanged",
    "PasswordChanged",
    "PasswordRehashed",
    "PasswordResetRequested",
    "RegistrationAttempted",
    "ScoreReportClaimRecorded",
    "ScoreReportClaimRefused",
    "ScoreReportClaimed",
    "ScoreReportErased",
    "ScoreReportRecorded",
    "ScoreReportsAnchored",
    "TermsAccepted",
]


@attrs.frozen
class TermsAccepted(DomainEvent):
    """The candidate acknowledged a Terms of Use version (not an agreement to participate)."""

    acceptance_id: str
    terms_version: str
    terms_digest: str
    path: str
    accepted_at: datetime


@attrs.frozen
class CandidateRegistered(DomainEvent):
    """A new account was created and a candidate ID issued; it is pending activation.

    ``credential_digest`` is the SHA-256 (hex) of the password hash stored for it
    (:func:`symprogram.accounts.rules.credential_digest`), which anchors the stored
    credential to the history; ``None`` in entries written before it was recorded.
    """

    email: str
    given_name: str
    family_name: str
    company_name: str
    partner_company: str
    preferred_language: str
    credential_digest: str | None = None


@attrs.frozen
class RegistrationAttempted(DomainEvent):
    """Somebody tried to register again with this account's e-mail address; the owner was told."""


@attrs.frozen
class ActivationSent(DomainEvent):
    """An activation link was sent."""

    expires_at: datetime


@attrs.frozen
class AccountStatusChanged(DomainEvent):
    """The account moved from ``previous`` to ``status`` (activation, suspension, closure ...)."""

    previous: str
    status: str
    reason: str | None = None


@attrs.frozen
class FieldChange:
    """One changed contact field: its name, old value and new value (JSON-friendly)."""

    field: str
    old: Any
    new: Any


@attrs.frozen
class ContactDetailsUpdated(DomainEvent):
    """Contact details changed; ``changes`` lists every changed field with old and new value."""

    changes: tuple[FieldChange, ...]


@attrs.frozen
class ContactDetailsReviewed(DomainEvent):
    """The candidate confirmed their contact details are still current."""


@attrs.frozen
class EmailChangeRequested(DomainEvent):
    """A new address was given; it takes effect once verified."""

    new_email: str


@attrs.frozen
class EmailChanged(DomainEvent):
    """The new address was verified and is now the account's address."""

    previous_email: str
    email: str


@attrs.frozen
class PasswordChanged(DomainEvent):
    """The password changed (``method``: ``reset`` or ``change``); older reset links died.

    ``credential_digest``: the SHA-256 (hex) of the new stored hash (``None`` in
    entries written before it was recorded).
    """

    method: str
    credential_digest: str | None = None


@attrs.frozen
class PasswordRehashed(DomainEvent):
    """The stored hash of the same password was replaced on a successful log-in.

    A hash weaker than the hasher's policy, or an imported hash of the password as
    typed (not normalized), is replaced by a new hash of the normalized password;
    the password does not change and nothing is sent. ``credential_digest`` is the
    SHA-256 (hex) of the new stored hash.
    """

    credential_digest: str


@attrs.frozen
class CredentialAnchored(DomainEvent):
    """The digest of a stored password hash set before digests were recorded was recorded.

    An account whose history never recorded a ``credential_digest`` (its hash set
    by an older build) gets one, of the hash stored then, which does not change:
    from this entry on the stored hash is compared with it, as with any other
    account. ``method``: ``log_in`` (the first successful log-in, the password
    verified against that hash) or ``migration``
    (:meth:`~symprogram.accounts.AccountsService.anchor_credentials`, which trusts
    the hashes present when it runs). Nothing is sent. ``credential_digest`` is the
    SHA-256 (hex) of the stored hash.
    """

    credential_digest: str
    method: str


@attrs.frozen
class PasswordResetRequested(DomainEvent):
    """A password reset link was sent to the account's address."""

    expires_at: datetime


@attrs.frozen
class ScoreReportClaimed(DomainEvent):
    """A score report was claimed into the account."""

    registration_number: str
    exam_code: str


@attrs.frozen
class _ScoreReportExam(DomainEvent):
    """The exam fields a score report's entries say (never its name or address)."""

    exam_code: str
    score: int
    passing_score: int
    exam_date: str
    test_centre: str
    recorded_at: str


@attrs.frozen
class ScoreReportRecorded(_ScoreReportExam):
    """A score report was recorded: its anchor in the account history.

    The subject is the report's own, ``~score-report:<registration number>``
    (:func:`symprogram.accounts.rules.report_subject`), never a candidate's. The
    entry holds the report's exam fields and, for its name and address, only a
    keyed digest: ``personal_digest`` is HMAC-SHA-256 of ``personal_salt`` and the
    two values under a key derived from the ledger key whose id is
    ``personal_key`` (salted SHA-256 when ``personal_key`` is ``None``: a program
    without a ledger key). ``method``: ``recorded`` (``record_score_report``) or
    ``migration`` (``anchor_score_reports``, which trusts the reports present
    when it runs).
    """

    personal_digest: str
    personal_salt: str
    personal_key: str | None
    method: str


@attrs.frozen
class ScoreReportErased(_ScoreReportExam):
    """The name and address on a score report were erased (its subject's last entry).

    Every earlier entry of the report's subject lost its data (the digest of the
    name and address with it; the chain still verifies); this entry says the
    exam fields again, as the history had them, and that the personal fields are
    now the erasure markers. ``claimed_by`` says again the claim the subject's
    ``score_report_claim_recorded`` entry said (its data dropped with the rest),
    ``None`` when it said none.
    """

    claimed_by: str | None = None


@attrs.frozen
class ScoreReportClaimRecorded(DomainEvent):
    """A score report was claimed: the claim in the report's own history subject.

    The subject is the report's own, ``~score-report:<registration number>``,
    written in the same unit of work as the claimant's ``score_report_claimed``
    entry (or, for a claim made before these entries were, by
    ``anchor_score_reports`` where that entry confirms it). Once a report's
    subject has one, the stored report must be claimed by ``claimed_by``: a row
    put back from before the claim is refused by the reads and the claims
    (``record_corrupt``).
    """

    claimed_by: str


@attrs.frozen
class ScoreReportsAnchored(DomainEvent):
    """From here on every score report of the store is anchored (a store marker).

    Written under a subject of its own, ``~score-reports:<random>``: by the first report of a
    store that had none (``method`` ``new_store``) or by ``anchor_score_reports``
    once every report is anchored (``method`` ``migration``). In a store so marked
    a report without a ``score_report_recorded`` entry is refused and reported.
    """

    method: str


@attrs.frozen
class ScoreReportClaimRefused(DomainEvent):
    """A claim of an already claimed score report was refused and an incident opened."""

    registration_number: str
    incident_id: str


@attrs.frozen
class NotificationPreferenceChanged(DomainEvent):
    """A notification category was switched on or off."""

    category: str
    enabled: bool


@attrs.frozen
class IncidentOpened(DomainEvent):
    """An incident was logged for follow-up."""

    incident_id: str
    category: str
    title: str


@attrs.frozen
class IncidentMessagePosted(DomainEvent):
    """A message was added to an incident."""

    incident_id: str
    author: str


@attrs.frozen
class IncidentStatusChanged(DomainEvent):
    """An incident moved from ``previous`` to ``status``."""

    incident_id: str
    previous: str
    status: str


@attrs.frozen
class AccountErased(DomainEvent):
    """The candidate's personal data was erased (the account's last history entry).

    Every earlier entry's data was dropped (its digest kept, so the chain still
    verifies); this entry holds no personal data, only the reason given.
    """

    reason: str
