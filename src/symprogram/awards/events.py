"""Domain events the awards context appends to a candidate's account history.

"audit your account history" (the Terms of Use v.2007.507): every change made by
:class:`~symprogram.awards.service.AwardsService` is recorded as one of these,
with the candidate as subject. A disclosure's recipient appears only as its
salted hash.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import attrs

from symprogram.events import DomainEvent

__all__ = [
    "AwardGranted",
    "AwardRenewed",
    "AwardRevoked",
    "AwardsPublished",
    "DisclosureRevoked",
    "DisclosureVerified",
    "ExamResultRecorded",
    "KitDelivered",
    "KitHeld",
    "KitQueued",
    "KitReleased",
    "KitShipped",
]


@attrs.frozen
class ExamResultRecorded(DomainEvent):
    """An exam result was recorded."""

    name: ClassVar[str] = "exam_result_recorded"

    result_id: str
    exam_code: str
    version: str | None
    score: int
    passed: bool
    taken_at: datetime


@attrs.frozen
class AwardGranted(DomainEvent):
    """An award was earned."""

    name: ClassVar[str] = "award_granted"

    award_id: str
    grant_id: str
    expires_at: datetime | None


@attrs.frozen
class AwardRenewed(DomainEvent):
    """An award's validity was extended (``via``: the higher award renewed)."""

    name: ClassVar[str] = "award_renewed"

    award_id: str
    grant_id: str
    previous_expiry: datetime
    new_expiry: datetime
    via: str | None


@attrs.frozen
class AwardRevoked(DomainEvent):
    """An award was revoked."""

    name: ClassVar[str] = "award_revoked"

    award_id: str
    grant_id: str
    reason: str


@attrs.frozen
class KitQueued(DomainEvent):
    """An achievement kit was queued."""

    name: ClassVar[str] = "kit_queued"

    kit_id: str
    award_id: str


@attrs.frozen
class KitHeld(DomainEvent):
    """An achievement kit was made but held (``reason``: e.g. ``no_postal_address``)."""

    name: ClassVar[str] = "kit_held"

    kit_id: str
    award_id: str
    reason: str


@attrs.frozen
class KitReleased(DomainEvent):
    """A held achievement kit was released (queued): a postal address is now on file."""

    name: ClassVar[str] = "kit_released"

    kit_id: str


@attrs.frozen
class KitShipped(DomainEvent):
    """An achievement kit was shipped."""

    name: ClassVar[str] = "kit_shipped"

    kit_id: str
    tracking: str | None


@attrs.frozen
class KitDelivered(DomainEvent):
    """An achievement kit was delivered."""

    name: ClassVar[str] = "kit_delivered"

    kit_id: str


@attrs.frozen
class AwardsPublished(DomainEvent):
    """Awards were published to a third party (a disclosure was created)."""

    name: ClassVar[str] = "awards_published"

    disclosure_id: str
    award_ids: tuple[str, ...]
    recipient_hash: str
    expires_at: datetime


@attrs.frozen
class DisclosureRevoked(DomainEvent):
    """A disclosure was revoked by its candidate."""

    name: ClassVar[str] = "disclosure_revoked"

    disclosure_id: str


@attrs.frozen
class DisclosureVerified(DomainEvent):
    """A third party verified a disclosure code (``outcome``: what it saw)."""

    name: ClassVar[str] = "disclosure_verified"

    disclosure_id: str
    outcome: str
