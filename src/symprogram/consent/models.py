"""The consent context's models: policies, purposes, choices, the projection, receipts.

Every model is a frozen ``attrs`` class validated on construction; enumerations
are :class:`enum.StrEnum` so they serialize as readable strings. Collections are
tuples (immutable, hashable) kept in a canonical order.

Vocabulary:

* a **purpose** is something the company does with personal information ("to
  provide you with special offers that may be of interest to you"), with a
  :class:`LegalBasis`; partner sharing and each cookie category are purposes too
  (of kind ``sharing`` / ``cookies``);
* a **topic** is what a choice is about: a purpose id, or a communication
  channel scope ``channel.email`` / ``channel.postal_mail`` / ``channel.phone``;
* a **choice** is granted, refused, withdrawn or opted out, recorded through a
  :class:`Channel` (web form, customer profile form, email reply, ...) under a
  policy version, with evidence.
"""

from __future__ import annotations

import enum
import hashlib
import re
from datetime import datetime
from typing import Any

import attrs

from symprogram._checks import TextCodes, check_enum, check_text
from symprogram._codegen import returns_as_is
from symprogram._lookup import find_by
from symprogram.consent._models_catalogue import PolicyCatalogue
from symprogram.consent._models_content import (
    Channel,
    ContactPoint,
    ContactUse,
    PolicyReading,
    TrafficLogging,
    TrustProgram,
)
from symprogram.consent._models_policy import (
    BASIS_RANK as BASIS_RANK,
)
from symprogram.consent._models_policy import (
    CHANNEL_PREFIX as CHANNEL_PREFIX,
)
from symprogram.consent._models_policy import (
    Activity,
    BasisChange,
    CoBrandedSite,
    LegalBasis,
    Notice,
    NoticeKind,
    Policy,
    PolicyChange,
    PublishedPolicy,
    Purpose,
    PurposeKind,
    Recipient,
    Referral,
    Transfer,
    utc_instant,
)
from symprogram.consent._models_policy import (
    check_site as check_site,
)
from symprogram.errors import ValidationError
from symprogram.events import Verification
from symprogram.ids import canonical_subject

__all__ = [
    "RECEIPT_FORMAT",
    "Activity",
    "BasisChange",
    "Channel",
    "Choice",
    "ChoiceState",
    "CoBrandedSite",
    "Collection",
    "ConsentReceipt",
    "ConsentRecord",
    "ConsentState",
    "ContactChannel",
    "ContactPoint",
    "ContactUse",
    "CookieCategory",
    "CorrectionRequest",
    "CorrectionStatus",
    "DataItem",
    "ErasureReceipt",
    "LedgerAudit",
    "LegalBasis",
    "Notice",
    "NoticeKind",
    "Policy",
    "PolicyCatalogue",
    "PolicyChange",
    "PolicyReading",
    "PublishedPolicy",
    "Purpose",
    "PurposeKind",
    "ReceiptChoice",
    "ReceiptEntry",
    "Recipient",
    "Referral",
    "SeenPolicy",
    "SubjectExport",
    "SubjectFile",
    "TrafficLogging",
    "Transfer",
    "TrustProgram",
    "channel_topic",
    "check_subject",
    "subject_for",
]

RECEIPT_FORMAT = "symprogram-consent-receipt/1"
"""The ``format`` of every :class:`ConsentReceipt`."""

MAX_SUBJECT_LENGTH = 128
MAX_EVIDENCE_LENGTH = 2000
MAX_VALUE_LENGTH = 500

_SUBJECT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
_SUBJECT_CODES = TextCodes.same("invalid_subject", too_long="subject_too_long")


class Choice(enum.StrEnum):
    """A recorded choice about a topic: ``granted`` (agreed, or opted back in),
    ``refused`` (declined when asked), ``withdrawn`` (a consent taken back) or
    ``opted_out`` (the privacy policy's "opt-out" of a channel or of sharing)."""

    GRANTED = "granted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    OPTED_OUT = "opted_out"


class ContactChannel(enum.StrEnum):
    """A communication channel the company may use to reach a person."""

    EMAIL = "email"
    POSTAL_MAIL = "postal_mail"
    PHONE = "phone"


class CookieCategory(enum.StrEnum):
    """Cookie categories; each is the purpose ``cookies.<category>``.

    ``NECESSARY`` is the cookies that "remember you when you register for products
    or services": in the document's reading they can be refused ("you can set your
    browser to reject cookies"); the opt-in reading treats them as strictly
    necessary.
    """

    NECESSARY = "necessary"
    PREFERENCES = "preferences"
    TRACKING = "tracking"

    @property
    def purpose(self) -> str:
        """The purpose id of this category, e.g. ``"cookies.tracking"``."""
        return f"cookies.{self.value}"


class CorrectionStatus(enum.StrEnum):
    """Life cycle of a correction request."""

    OPEN = "open"
    COMPLETED = "completed"


def channel_topic(channel: ContactChannel | str) -> str:
    """The topic of a communication channel opt-out, e.g. ``"channel.email"``.

    Raises:
        ValidationError: not a known contact channel (code ``invalid_channel``).
    """
    member = check_enum(ContactChannel, channel, "channel")
    return CHANNEL_PREFIX + member.value


def check_subject(value: object, field: str = "subject") -> str:
    """Validate a pseudonymous subject identifier and return it in its one spelling.

    A subject is an opaque ID (``SP-0000-0000-0001-2``, ``cust:42``): letters,
    digits and ``. _ : -``, at most 128 characters. Email addresses and names are
    refused, so that the ledger (keyed by subject) never holds personal data.
    A subject that reads as a candidate ID is that candidate ID in its display
    form (:func:`symprogram.ids.canonical_subject`: ``sp-0000-0000-0001-2`` is
    ``SP-0000-0000-0001-2``, the subject ``Program.erase_person`` erases); any
    other subject is returned as given.

    Raises:
        ValidationError: code ``invalid_subject``.
    """
    if not isinstance(value, str) or not _SUBJECT.fullmatch(value):
        raise ValidationError(
            "a subject must be a pseudonymous identifier (letters, digits, '.', '_', ':', '-')",
            field=field,
            code="invalid_subject",
        )
    checked = check_text(value, field, limit=MAX_SUBJECT_LENGTH, codes=_SUBJECT_CODES)
    return canonical_subject(checked)


DERIVED_SUBJECT_PREFIX = "sha256:"
"""The prefix of a subject :func:`subject_for` derives from an identifier."""


def subject_for(identifier: object) -> str:
    """The consent subject of an identifier from elsewhere (an entitlements customer ID).

    An identifier that is a subject (:func:`check_subject`) is that subject. Any other
    text (``"Acme, Inc."``, ``"Müller GmbH"``, an ID longer than 128 characters) stands
    for the pseudonymous subject ``sha256:<hex digest of its UTF-8>``, so that a
    customer whose ID the consent ledger cannot key can still give and withdraw
    consent; an identifier that itself starts with ``sha256:`` is digested too, so
    no identifier can name another's derived subject.

    Raises:
        ValidationError: not a string, or empty (``invalid_subject``).

    Example:
        >>> subject_for("cust-42")
        'cust-42'
        >>> subject_for("Acme, Inc.")[:15]
        'sha256:c40fac9c'
    """
    if not isinstance(identifier, str) or not identifier:
        raise ValidationError(
            "an identifier must be non-empty text", field="subject", code="invalid_subject"
        )
    if not identifier.startswith(DERIVED_SUBJECT_PREFIX):
        try:
            return check_subject(identifier)
        except ValidationError:
            pass
    data = identifier.encode("utf-8", "surrogatepass")  # one spelling, one digest
    return DERIVED_SUBJECT_PREFIX + hashlib.sha256(data).hexdigest()


def _opt_utc(value: object) -> datetime | None:
    return None if value is None else utc_instant(value)


def _choice(value: object) -> Choice:
    """``Choice(value)``, by a dictionary lookup first (the lookup ``Choice`` itself makes)."""
    try:
        return Choice._value2member_map_[value]  # type: ignore[return-value]
    except (KeyError, TypeError):
        return Choice(value)  # type: ignore[arg-type]


def _channel(value: object) -> Channel:
    """``Channel(value)``, by a dictionary lookup first (the lookup ``Channel`` itself makes);
    anything else is refused (``invalid_channel``)."""
    try:
        return Channel._value2member_map_[value]  # type: ignore[return-value]
    except (KeyError, TypeError):
        return check_enum(Channel, value, "channel")


# What the generated readers of symprogram.serialization may skip: these converters
# return a UTC instant, None or a member of their enumeration as it is.
returns_as_is(_opt_utc, datetime, None)
returns_as_is(_choice, Choice)
returns_as_is(_channel, Channel)


# -- ledger projection -----------------------------------------------------------


@attrs.frozen
class ChoiceState:
    """The standing choice on one topic, as projected from the ledger.

    Attributes:
        topic: purpose id or ``channel.<channel>``.
        choice: the latest choice.
        at: when it was made.
        channel: through which channel.
        policy_version: the policy version shown.
        position: the ledger position that recorded it.
    """

    topic: str
    choice: Choice = attrs.field(converter=_choice)
    at: datetime = attrs.field(converter=utc_instant)
    channel: Channel = attrs.field(converter=_channel)
    policy_version: str
    position: int


@attrs.frozen
class SeenPolicy:
    """A policy version the subject was shown or notified of, first at ``at``."""

    policy_version: str
    at: datetime = attrs.field(converter=utc_instant)


@attrs.frozen
class ConsentState:
    """The projection of a subject's consent ledger: the current state of every choice.

    Attributes:
        subject: the pseudonymous subject.
        choices: the standing choice per topic, sorted by topic.
        seen: policy versions shown or notified, sorted by version.
        sites: sites where the subject submitted information, sorted.
        last_at: the instant of the newest ledger entry.
        length: the number of ledger entries applied.
        erased_at: when the subject's personal data was erased, if it was.
        version: storage version (optimistic concurrency).
        known: whether something that makes the subject known was recorded:
            personal information gathered (``data_collected``) or a grant. An
            opt-out, a refusal, a withdrawal, a notice or a correction alone
            never does; a subject who is not known is denied every purpose
            (their own standing refusal or opt-out, else ``unknown_subject``)
            but a cookie category, which the policy's basis and their own
            cookie choices decide (:func:`symprogram.consent.rules.decide`). Set by the
            projection's first entry (:func:`symprogram.consent.rules.apply`);
            ``True`` by default, so that a projection stored before this field
            existed reads as it was answered then (``verify`` reports one that
            an opt-out alone made known).
        notice_only: the versions of ``seen`` the subject was only sent a notice
            of (``record_notice``), never shown when granting or refusing nor
            first gave personal data under, sorted: such a notice counts as
            notice of that version's own material change only, not of earlier
            ones it never mentions. ``()`` by default, so that a projection
            stored before this field existed reads as it was answered then.
        unconfirmed: personal data was gathered while the subject is not known
            (a registration awaiting activation): the subject first gave
            personal data then, so the record that later makes them known is
            not the first (:func:`symprogram.consent.rules.apply`).
    """

    subject: str
    choices: tuple[ChoiceState, ...] = ()
    seen: tuple[SeenPolicy, ...] = ()
    sites: tuple[str, ...] = ()
    last_at: datetime | None = attrs.field(default=None, converter=_opt_utc)
    length: int = 0
    erased_at: datetime | None = attrs.field(default=None, converter=_opt_utc)
    version: int = 0
    known: bool = True
    notice_only: tuple[str, ...] = ()
    unconfirmed: bool = False

    def choice(self, topic: str) -> ChoiceState | None:
        """The standing choice on ``topic``, or ``None`` if never made."""
        return find_by(self.choices, "topic", topic)


@attrs.frozen
class ConsentRecord:
    """What a recording call (grant, refuse, withdraw, opt-out, notice) appended.

    Attributes:
        subject: the subject.
        kind: the ledger entry kind, e.g. ``"consent_recorded"``.
        topic: the topic (``None`` for notices and other entries).
        choice: the choice (``None`` for notices and other entries).
        at: when.
        channel: through which channel.
        policy_version: the policy version shown.
        position: the ledger position.
        hash: the chain hash of the entry (proof of the record).
    """

    subject: str
    kind: str
    topic: str | None
    choice: Choice | None
    at: datetime
    channel: Channel
    policy_version: str
    position: int
    hash: str


# -- personal data and requests --------------------------------------------------


@attrs.frozen
class DataItem:
    """One piece of personal information held about a subject."""

    name: str
    value: str
    activity: str
    collected_at: datetime = attrs.field(converter=utc_instant)


@attrs.frozen
class Collection:
    """A time personal information was gathered: the activity, the items, the site."""

    activity: str
    items: tuple[str, ...]
    at: datetime = attrs.field(converter=utc_instant)
    channel: Channel = attrs.field(converter=_channel)
    policy_version: str
    site: str | None = None


@attrs.frozen
class CorrectionRequest:
    """A request to correct personal information ("How you can correct inaccuracies").

    Attributes:
        id: e.g. ``"CR-1"``, unique per subject.
        subject: whose information.
        changes: the corrected values, sorted ``(item, new value)`` pairs.
        requested_at: when it was asked.
        channel: through which channel.
        status: open or completed.
        completed_at: when the change was made.
    """

    id: str
    subject: str
    changes: tuple[tuple[str, str], ...]
    requested_at: datetime = attrs.field(converter=utc_instant)
    channel: Channel = attrs.field(converter=_channel)
    status: CorrectionStatus = attrs.field(
        default=CorrectionStatus.OPEN, converter=CorrectionStatus
    )
    completed_at: datetime | None = attrs.field(default=None, converter=_opt_utc)


@attrs.frozen
class SubjectFile:
    """The personal information held about a subject and its requests (erased on request).

    Attributes:
        subject: the pseudonymous subject.
        data: current values, sorted by item name.
        collections: when what was gathered.
        corrections: correction requests, oldest first.
        version: storage version.
    """

    subject: str
    data: tuple[DataItem, ...] = ()
    collections: tuple[Collection, ...] = ()
    corrections: tuple[CorrectionRequest, ...] = ()
    version: int = 0

    def value(self, name: str) -> str | None:
        """The current value of item ``name``, or ``None``."""
        for item in self.data:
            if item.name == name:
                return item.value
        return None


# -- receipts and exports --------------------------------------------------------


@attrs.frozen
class ReceiptChoice:
    """One standing choice in a receipt."""

    topic: str
    choice: Choice
    at: datetime
    channel: Channel
    policy_version: str
    position: int


@attrs.frozen
class ReceiptEntry:
    """One ledger entry in a receipt or an export (``data`` is ``None`` once erased)."""

    position: int
    kind: str
    at: datetime
    data: dict[str, Any] | None
    hash: str
    prev_hash: str
    erased: bool = False


@attrs.frozen
class ConsentReceipt:
    """A machine-readable consent receipt: the current state and its full history.

    Serialize with :func:`symprogram.serialization.dumps`.

    Attributes:
        format: receipt format identifier.
        subject: the subject.
        issued_at: when the receipt was made.
        policy_version: the policy in effect at ``issued_at``.
        choices: the standing choices.
        seen: policy versions shown or notified.
        history: every ledger entry, oldest first.
        ledger_length: number of ledger entries.
        ledger_head: the newest chain hash (64 zeros for none).
        verified: whether the ledger verified when the receipt was made.
        erased_at: when personal data was erased, if it was.
    """

    format: str
    subject: str
    issued_at: datetime
    policy_version: str | None
    choices: tuple[ReceiptChoice, ...]
    seen: tuple[SeenPolicy, ...]
    history: tuple[ReceiptEntry, ...]
    ledger_length: int
    ledger_head: str
    verified: bool
    erased_at: datetime | None = None


@attrs.frozen
class SubjectExport:
    """Everything held about a subject (access request).

    Attributes:
        subject: the subject.
        exported_at: when.
        receipt: the consent receipt (state and ledger history).
        data: personal information held.
        collections: when what was gathered.
        corrections: correction requests.
    """

    subject: str
    exported_at: datetime
    receipt: ConsentReceipt
    data: tuple[DataItem, ...]
    collections: tuple[Collection, ...]
    corrections: tuple[CorrectionRequest, ...]


@attrs.frozen
class ErasureReceipt:
    """Proof that a subject's personal data was erased.

    Attributes:
        subject: the pseudonymous subject.
        erased_at: when.
        entries_erased: ledger entries whose data was dropped (digests kept).
        ledger_length: the ledger length after erasure (includes the erasure entry).
        ledger_head: the newest chain hash.
    """

    subject: str
    erased_at: datetime
    entries_erased: int
    ledger_length: int
    ledger_head: str


@attrs.frozen
class LedgerAudit:
    """The result of verifying every subject's ledger.

    Attributes:
        checked: how many subjects were checked.
        failures: the subjects whose ledger failed, with the problems found.
    """

    checked: int
    failures: tuple[Verification, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether every ledger verified."""
        return not self.failures

    def __bool__(self) -> bool:
        return self.ok
