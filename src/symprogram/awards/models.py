"""The awards models: catalogue entries, requirement trees, evidence, grants, kits, disclosures.

Everything here is a frozen attrs class; enumerations are :class:`enum.StrEnum`
so that they serialize as readable strings. Constructors validate their input and
raise :class:`~symprogram.errors.ValidationError` (never a bare ``ValueError``).
The catalogue models (requirement trees, exam and award definitions, the
catalogue itself) live in the private ``_models_catalogue`` module and are
re-exported here: this module is where every model of the context is found.

The program (the Terms of Use v.2007.507) has "accreditation and certification awards"; a candidate
reviews their "awards progress", receives "certification achievement kits" and
can "publish your certifications to third parties via email".
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import attrs

from symprogram._checks import check_enum, check_int, check_text, optional, validator
from symprogram.awards._models_catalogue import *  # noqa: F403  (re-exported from here)
from symprogram.awards._models_catalogue import AwardKind
from symprogram.awards._models_catalogue import __all__ as _catalogue_all
from symprogram.clock import ensure_utc
from symprogram.errors import ValidationError

__all__ = [
    "ERASED_KIT_ADDRESS",
    "ERASED_TEXT",
    "AwardGrant",
    "AwardHolding",
    "AwardStatus",
    "AwardsErasure",
    "CandidateAwards",
    "DisclosedAward",
    "Disclosure",
    "DisclosureStatus",
    "DisclosureView",
    "ExamResult",
    "KitAddress",
    "KitFulfilment",
    "KitHoldReason",
    "KitStatus",
    "Progress",
    "PublishedDisclosure",
    "Renewal",
    "RequirementStatus",
    "VerificationRecord",
    *_catalogue_all,
]


class AwardStatus(enum.StrEnum):
    """Status of a held award as of an instant."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class KitStatus(enum.StrEnum):
    """Status of an achievement kit: (held ->) queued -> shipped -> delivered.

    A kit is *held* while it cannot go out (see :class:`KitHoldReason`) and is
    queued once it can.
    """

    HELD = "held"
    QUEUED = "queued"
    SHIPPED = "shipped"
    DELIVERED = "delivered"


class KitHoldReason(enum.StrEnum):
    """Why an achievement kit is held instead of queued.

    * ``no_postal_address`` — the candidate has no postal address on file: "Be sure
      to keep all of your contact information current through the "Update Personal
      Info" link in order to ensure we can contact you as necessary (i.e. important
      emails, certification achievement kits, etc)" (Terms of Use v.2007.507).
    """

    NO_POSTAL_ADDRESS = "no_postal_address"


class DisclosureStatus(enum.StrEnum):
    """Status of a disclosure (a publication to a third party) as of an instant."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


# -- small validators (the checks themselves are symprogram._checks) ------------------

TEXT_LIMIT = 10_000
"""Longest text a stored model field holds (IDs, names, address lines)."""

_text = validator(check_text, limit=TEXT_LIMIT, controls=True)
# One line: a name or an address that stands in a message's header.
_line = validator(check_text, limit=TEXT_LIMIT)
_optional_text = optional(_text)
_non_negative_int = validator(check_int, minimum=0)


def _to_utc(value: Any) -> datetime:
    return ensure_utc(value, field="at")


def _to_utc_or_none(value: Any) -> datetime | None:
    return None if value is None else ensure_utc(value, field="at")


def _hold_reason(value: Any) -> KitHoldReason | None:
    return None if value is None else check_enum(KitHoldReason, value, "hold_reason")


def _str_tuple(value: Any) -> tuple[str, ...]:
    """A postal address's lines: one text is one line, a collection is its lines.

    Raises:
        ValidationError: anything else (``invalid_postal_address``).
    """
    if isinstance(value, str):
        return (value,)
    if isinstance(value, bytes) or not isinstance(value, Iterable):
        raise ValidationError(
            f"a postal address is lines of text, not {type(value).__name__}",
            field="postal_address",
            code="invalid_postal_address",
        )
    return tuple(value)


# -- evidence and grants (stored) ------------------------------------------------


@attrs.frozen
class ExamResult:
    """A recorded exam result (e.g. from a claimed score report).

    Attributes:
        result_id: identifier of the record.
        exam_code: the exam taken.
        version: the exam version taken, if known.
        score: the score obtained.
        passed: whether the score reached the exam's pass score.
        taken_at: when the exam was taken.
        recorded_at: when the result was recorded.
    """

    result_id: str = attrs.field(validator=_text)
    exam_code: str = attrs.field(validator=_text)
    version: str | None = attrs.field(validator=_optional_text)
    score: int = attrs.field(validator=_non_negative_int)
    passed: bool
    taken_at: datetime = attrs.field(converter=_to_utc)
    recorded_at: datetime = attrs.field(converter=_to_utc)


@attrs.frozen
class Renewal:
    """One renewal of a grant: when, and the expiry before and after."""

    at: datetime = attrs.field(converter=_to_utc)
    previous_expiry: datetime = attrs.field(converter=_to_utc)
    new_expiry: datetime = attrs.field(converter=_to_utc)
    via: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.new_expiry < self.previous_expiry:
            raise ValidationError(
                "a renewal never shortens validity", field="new_expiry", code="renewal_shortens"
            )


@attrs.frozen
class AwardGrant:
    """One period of holding an award, from its grant to its expiry or revocation.

    Attributes:
        grant_id: identifier of the grant.
        award_id: the award granted.
        granted_at: start of validity.
        expires_at: the expiry as first granted (``None``: never expires).
        renewals: renewals, oldest first, each extending the expiry.
        revoked_at: when it was revoked, if it was.
        revoke_reason: why.
        reminded_expiry: the expiry the candidate was last reminded of
            (:meth:`~symprogram.awards.AwardsService.send_expiry_reminders`);
            ``None``: no reminder was sent. A renewal moves the expiry, so the
            new one is reminded of again.
    """

    grant_id: str = attrs.field(validator=_text)
    award_id: str = attrs.field(validator=_text)
    granted_at: datetime = attrs.field(converter=_to_utc)
    expires_at: datetime | None = attrs.field(default=None, converter=_to_utc_or_none)
    renewals: tuple[Renewal, ...] = ()
    revoked_at: datetime | None = attrs.field(default=None, converter=_to_utc_or_none)
    revoke_reason: str | None = None
    reminded_expiry: datetime | None = attrs.field(default=None, converter=_to_utc_or_none)

    def __attrs_post_init__(self) -> None:
        if self.expires_at is not None and self.expires_at <= self.granted_at:
            raise ValidationError(
                "an award expires after it is granted", field="expires_at", code="invalid_validity"
            )
        if self.revoked_at is not None and self.revoked_at < self.granted_at:
            raise ValidationError(
                "an award is revoked after it is granted",
                field="revoked_at",
                code="invalid_revocation",
            )

    def expiry_as_of(self, at: datetime) -> datetime | None:
        """The expiry known at ``at`` (renewals made later are not counted)."""
        expiry = self.expires_at
        for renewal in self.renewals:
            if renewal.at <= at:
                expiry = renewal.new_expiry
        return expiry

    @property
    def current_expiry(self) -> datetime | None:
        """The expiry after every renewal."""
        return self.renewals[-1].new_expiry if self.renewals else self.expires_at

    def status_at(self, at: datetime) -> AwardStatus | None:
        """The status as of ``at``; ``None`` before it was granted."""
        if at < self.granted_at:
            return None
        if self.revoked_at is not None and at >= self.revoked_at:
            return AwardStatus.REVOKED
        expiry = self.expiry_as_of(at)
        if expiry is not None and at >= expiry:
            return AwardStatus.EXPIRED
        return AwardStatus.ACTIVE

    def ended_at(self, at: datetime) -> datetime | None:
        """When this grant ended (expiry or revocation) if it ended by ``at``, else ``None``."""
        status = self.status_at(at)
        if status is AwardStatus.REVOKED:
            return self.revoked_at
        if status is AwardStatus.EXPIRED:
            return self.expiry_as_of(at)
        return None

    @property
    def period_start(self) -> datetime:
        """Start of the current validity period (the grant or the last renewal)."""
        return self.renewals[-1].at if self.renewals else self.granted_at


@attrs.frozen
class CandidateAwards:
    """Aggregate: a candidate's exam results, grants, kits and disclosures (by ID)."""

    candidate_id: str = attrs.field(validator=_text)
    results: tuple[ExamResult, ...] = ()
    grants: tuple[AwardGrant, ...] = ()
    kit_ids: tuple[str, ...] = ()
    disclosure_ids: tuple[str, ...] = ()
    erased_at: datetime | None = attrs.field(default=None, converter=_to_utc_or_none)
    """When :meth:`~symprogram.awards.AwardsService.erase` anonymized the candidate's
    awards data; afterwards nothing more is earned, recorded or published."""
    version: int = 0

    def grants_of(self, award_id: str) -> tuple[AwardGrant, ...]:
        """The grants of ``award_id``, oldest first."""
        return tuple(g for g in self.grants if g.award_id == award_id)

    def latest_grant(self, award_id: str, at: datetime | None = None) -> AwardGrant | None:
        """The newest grant of ``award_id`` (granted at or before ``at`` when given)."""
        found = None
        for grant in self.grants:
            if grant.award_id == award_id and (at is None or grant.granted_at <= at):
                found = grant
        return found


@attrs.frozen
class AwardHolding:
    """How a candidate holds an award as of an instant (what :meth:`awards_of` returns)."""

    award_id: str
    name: str
    kind: AwardKind
    status: AwardStatus
    grant_id: str
    granted_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None = None


@attrs.frozen
class RequirementStatus:
    """The evaluation of one requirement node for a candidate at an instant.

    Attributes:
        path: position in the tree, e.g. ``"requires.all_of[1]"``.
        description: readable description.
        met: whether it is met.
        fraction: how far along, from 0.0 to 1.0 (1.0 exactly when met).
        children: the evaluation of the child nodes.
    """

    path: str
    description: str
    met: bool
    fraction: float
    children: tuple[RequirementStatus, ...] = ()

    def leaves(self) -> tuple[RequirementStatus, ...]:
        """Every leaf below (or this node, if it is a leaf), in order."""
        if not self.children:
            return (self,)
        return tuple(leaf for child in self.children for leaf in child.leaves())


@attrs.frozen
class Progress:
    """A candidate's progress towards an award as of ``at``.

    Attributes:
        candidate_id: whose progress.
        award_id: towards which award.
        at: as of when.
        met: whether every requirement is met.
        percentage: 0-100, rounded down (100 exactly when met).
        satisfied: leaf requirements met.
        missing: leaf requirements still needed (alternatives of an alternative
            already met are not listed).
        tree: the whole evaluated tree.
    """

    candidate_id: str
    award_id: str
    at: datetime
    met: bool
    percentage: int
    satisfied: tuple[RequirementStatus, ...]
    missing: tuple[RequirementStatus, ...]
    tree: RequirementStatus


# -- achievement kits ----------------------------------------------------------


@attrs.frozen
class KitAddress:
    """Where an achievement kit goes: the candidate's current contact details."""

    name: str = attrs.field(validator=_line)
    email: str = attrs.field(validator=_line)
    postal_address: tuple[str, ...] = attrs.field(converter=_str_tuple)
    country: str | None = None

    def __attrs_post_init__(self) -> None:
        if not self.postal_address or not all(
            isinstance(line, str) and line.strip() for line in self.postal_address
        ):
            raise ValidationError(
                "a postal address needs at least one non-empty line",
                field="postal_address",
                code="invalid_postal_address",
            )


@attrs.frozen
class KitFulfilment:
    """Aggregate: an achievement kit made when an award was earned.

    Status moves (held ->) queued -> shipped -> delivered, never back. A held kit
    carries its ``hold_reason`` and may have no ``address`` yet; every other kit
    has the address it was queued (or shipped) to.

    Attributes:
        kit_id: the kit's ID.
        candidate_id: whose kit it is.
        award_id: the award it celebrates.
        grant_id: the grant that made it.
        address: where it goes (``None`` while held for ``no_postal_address``).
        status: held, queued, shipped or delivered.
        queued_at: when the kit was made (earned), held or queued.
        shipped_at: when it was shipped.
        delivered_at: when it was delivered.
        tracking: the carrier's tracking number, if any.
        hold_reason: why it is held (only while held).
        released_at: when a held kit was released (queued), if it was held.
        version: the stored version.

    Raises:
        ValidationError: ``invalid_kit`` (a held kit without a reason, a reason or
            a missing address on a kit that is not held).
    """

    kit_id: str = attrs.field(validator=_text)
    candidate_id: str = attrs.field(validator=_text)
    award_id: str = attrs.field(validator=_text)
    grant_id: str = attrs.field(validator=_text)
    address: KitAddress | None
    status: KitStatus
    queued_at: datetime = attrs.field(converter=_to_utc)
    shipped_at: datetime | None = attrs.field(default=None, converter=_to_utc_or_none)
    delivered_at: datetime | None = attrs.field(default=None, converter=_to_utc_or_none)
    tracking: str | None = None
    hold_reason: KitHoldReason | None = attrs.field(default=None, converter=_hold_reason)
    released_at: datetime | None = attrs.field(default=None, converter=_to_utc_or_none)
    version: int = 0

    def __attrs_post_init__(self) -> None:
        held = self.status is KitStatus.HELD
        if held != (self.hold_reason is not None) or (self.address is None and not held):
            raise ValidationError(
                "a held kit has a hold reason; any other kit has an address and no reason",
                field="status",
                code="invalid_kit",
            )


# -- disclosures -----------------------------------------------------------------


@attrs.frozen
class Disclosure:
    """Aggregate: awards a candidate published to a third party by email.

    The recipient is kept only as a salted SHA-256 hash and the verification
    code only as its SHA-256 digest.

    Attributes:
        disclosure_id: identifier.
        candidate_id: who published.
        award_ids: the awards chosen (and nothing else is ever shown).
        holder_name: the candidate's name, shown to the verifier.
        recipient_hash: salted SHA-256 of the normalized recipient address.
        recipient_salt: the per-disclosure salt (hex), or ``None`` when the
            service-wide salt was used.
        code_digest: SHA-256 hex digest of the verification code.
        created_at: when it was published.
        expires_at: when it stops showing anything.
        revoked_at: when the candidate revoked it, if they did.
    """

    disclosure_id: str = attrs.field(validator=_text)
    candidate_id: str = attrs.field(validator=_text)
    award_ids: tuple[str, ...]
    holder_name: str
    recipient_hash: str
    recipient_salt: str | None
    code_digest: str
    created_at: datetime = attrs.field(converter=_to_utc)
    expires_at: datetime = attrs.field(converter=_to_utc)
    revoked_at: datetime | None = attrs.field(default=None, converter=_to_utc_or_none)
    version: int = 0

    def __attrs_post_init__(self) -> None:
        if not self.award_ids:
            raise ValidationError(
                "a disclosure names at least one award", field="award_ids", code="invalid_award_ids"
            )
        if self.expires_at <= self.created_at:
            raise ValidationError(
                "a disclosure expires after it is created",
                field="expires_at",
                code="invalid_expiry",
            )

    def status_at(self, at: datetime) -> DisclosureStatus:
        """The status as of ``at``."""
        if self.revoked_at is not None and at >= self.revoked_at:
            return DisclosureStatus.REVOKED
        if at >= self.expires_at:
            return DisclosureStatus.EXPIRED
        return DisclosureStatus.ACTIVE


@attrs.frozen
class PublishedDisclosure:
    """What :meth:`AwardsService.publish` returns: the record and the one-time plain code."""

    disclosure: Disclosure
    code: str = attrs.field(repr=False)


@attrs.frozen
class DisclosedAward:
    """One disclosed award with its *current* status."""

    award_id: str
    name: str
    kind: AwardKind
    status: AwardStatus
    granted_at: datetime
    expires_at: datetime | None


@attrs.frozen
class DisclosureView:
    """What a third party sees when verifying a code.

    For a revoked or expired disclosure, ``awards`` is empty, ``holder_name`` is
    ``None`` and ``reason`` says why (``"disclosure_revoked"``,
    ``"disclosure_expired"``); the same for a disclosure of an account closed
    since (``"account_closed"``, status ``active``) and for a verifier who named
    another recipient (``"recipient_mismatch"``).
    """

    disclosure_id: str
    status: DisclosureStatus
    verified_at: datetime
    holder_name: str | None
    awards: tuple[DisclosedAward, ...] = ()
    expires_at: datetime | None = None
    reason: str | None = None


@attrs.frozen
class VerificationRecord:
    """One logged verification of a disclosure."""

    disclosure_id: str
    at: datetime
    outcome: str


# -- erasure ---------------------------------------------------------------------

ERASED_TEXT = "[erased]"
"""What replaces an erased name or free text (the accounts context uses the same marker)."""

ERASED_KIT_ADDRESS = KitAddress(
    name=ERASED_TEXT, email="erased@erased.example", postal_address=(ERASED_TEXT,)
)
"""The address every kit of an erased candidate carries afterwards: no personal data."""


@attrs.frozen
class AwardsErasure:
    """What :meth:`~symprogram.awards.AwardsService.erase` returns (no personal data in it).

    Attributes:
        candidate_id: the candidate whose awards data was anonymized.
        erased_at: when (the first erasure).
        kits: kits whose address was replaced by :data:`ERASED_KIT_ADDRESS`.
        disclosures: disclosures whose holder name and recipient hash were dropped.
        revoked: disclosures this call revoked (they were still showing).
        already_erased: the candidate's awards data had been erased before this call.
    """

    candidate_id: str
    erased_at: datetime = attrs.field(converter=_to_utc)
    kits: tuple[str, ...] = ()
    disclosures: tuple[str, ...] = ()
    revoked: tuple[str, ...] = ()
    already_erased: bool = False
