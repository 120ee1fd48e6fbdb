"""Domain events the awards context appends to a candidate's account history.

"audit your account history" (the Terms of Use v.2007.507): every change made by
:class:`~symprogram.awards.service.AwardsService` is recorded as one of these,
with the candidate as subject. A disclosure's recipient appears only as its
salted hash.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from symprogram.events import DomainEvent

__all__ = [
    "AwardGranted",
    "AwardRenewed",
    "AwardRevoked",
    "AwardsErased",
    "AwardsPublished",
    "DisclosureRecipientErased",
    "DisclosureRevoked",
    "DisclosureVerified",
    "ExamResultRecorded",
    "ExpiryReminderSent",
    "KitDelivered",
    "KitHeld",
    "KitQueued",
    "KitReleased",
    "KitShipped",
]


# Every event's ledger name is its class name in snake_case (``kit_shipped``), as
# :meth:`DomainEvent.event_name` gives it. The private bases carry the field that
# names what the event is about, first after ``subject`` and ``at``.


@attrs.frozen
class _GrantEvent(DomainEvent):
    award_id: str
    grant_id: str


@attrs.frozen
class _KitEvent(DomainEvent):
    kit_id: str


@attrs.frozen
class _DisclosureEvent(DomainEvent):
    disclosure_id: str


@attrs.frozen
class ExamResultRecorded(DomainEvent):
    """An exam result was recorded."""

    result_id: str
    exam_code: str
    version: str | None
    score: int
    passed: bool
    taken_at: datetime


@attrs.frozen
class AwardGranted(_GrantEvent):
    """An award was earned."""

    expires_at: datetime | None


@attrs.frozen
class AwardRenewed(_GrantEvent):
    """An award's validity was extended (``via``: the higher award renewed)."""

    previous_expiry: datetime
    new_expiry: datetime
    via: str | None


@attrs.frozen
class AwardRevoked(_GrantEvent):
    """An award was revoked."""

    reason: str


@attrs.frozen
class ExpiryReminderSent(_GrantEvent):
    """The candidate was reminded that the grant expires at ``expires_at`` (its
    expiry when the reminder was sent; one reminder per grant and expiry).

    The awards record keeps the expiry reminded of on the grant
    (:attr:`~symprogram.awards.models.AwardGrant.reminded_expiry`); this entry
    anchors it, so the account history's verification reports a mark changed by hand
    (a reminder suppressed, or sent again).
    """

    expires_at: datetime


@attrs.frozen
class KitQueued(_KitEvent):
    """An achievement kit was queued."""

    award_id: str


@attrs.frozen
class KitHeld(_KitEvent):
    """An achievement kit was made but held (``reason``: e.g. ``no_postal_address``)."""

    award_id: str
    reason: str


@attrs.frozen
class KitReleased(_KitEvent):
    """A held achievement kit was released (queued): a postal address is now on file."""


@attrs.frozen
class KitShipped(_KitEvent):
    """An achievement kit was shipped."""

    tracking: str | None


@attrs.frozen
class KitDelivered(_KitEvent):
    """An achievement kit was delivered."""


@attrs.frozen
class AwardsPublished(_DisclosureEvent):
    """Awards were published to a third party (a disclosure was created).

    ``holder_name`` is the name the verifying third party is shown: personal data,
    dropped with the rest of the entry's data when the person is erased (entries
    written by earlier builds lack it; their disclosures' names are then not compared).
    ``code_digest`` is the SHA-256 digest of the disclosure's verification code (not
    the code: the code is never stored), so that a code moved from one disclosure
    to another in the database is reported and refused; entries written by
    earlier builds lack it, and their disclosures' codes are then not compared.
    """

    award_ids: tuple[str, ...]
    recipient_hash: str
    expires_at: datetime
    holder_name: str | None = None
    code_digest: str | None = None


@attrs.frozen
class DisclosureRevoked(_DisclosureEvent):
    """A disclosure was revoked by its candidate."""


@attrs.frozen
class DisclosureRecipientErased(_DisclosureEvent):
    """The disclosure's recipient was erased (their own erasure, not the holder's).

    The disclosure stays the holder's, without the salted hash of the recipient's
    address (nobody can then verify it as its recipient). The data of its
    ``awards_published`` entry, which held that hash, is dropped; this entry says
    again what that entry said of the disclosure otherwise (its awards, expiry,
    holder name and code digest), so the history's verification still compares
    the stored disclosure with it.
    """

    award_ids: tuple[str, ...]
    expires_at: datetime
    holder_name: str | None = None
    code_digest: str | None = None


@attrs.frozen
class DisclosureVerified(_DisclosureEvent):
    """A third party verified a disclosure code (``outcome``: what it saw)."""

    outcome: str


@attrs.frozen
class AwardsErased(DomainEvent):
    """The candidate's awards data was erased (its first erasure only).

    From this entry on, the stored awards record is erased and every disclosure and
    achievement kit it lists carries no personal data: the account history's
    verification reports a record or a disclosure or kit put back from before it,
    even once :func:`~symprogram.erasure.erase_person` has dropped the data of every
    entry (the entry's kind says it).
    """
