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
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import attrs

from symprogram._codegen import returns_as_is
from symprogram.clock import ensure_utc
from symprogram.errors import LimitExceeded, ValidationError
from symprogram.events import Verification

__all__ = [
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
    "PolicyChange",
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
    "Transfer",
    "channel_topic",
    "check_subject",
]

MAX_SUBJECT_LENGTH = 128
MAX_EVIDENCE_LENGTH = 2000
MAX_VALUE_LENGTH = 500
CHANNEL_PREFIX = "channel."

_SUBJECT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
_IDENT = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_SITE = re.compile(r"[a-z0-9][a-z0-9.-]{0,252}")


class LegalBasis(enum.StrEnum):
    """Why a purpose may be pursued.

    * ``necessary``: necessary for a transaction the person chose ("we will ask
      you for information necessary to complete the transaction"); cannot be refused;
    * ``opt_in``: only after the person agreed;
    * ``opt_out``: unless the person opted out ("Symantec provides a number of
      ways for you to 'opt-out'").
    """

    NECESSARY = "necessary"
    OPT_IN = "opt_in"
    OPT_OUT = "opt_out"


#: How much use a basis allows without asking: a change to a higher rank widens use.
BASIS_RANK: dict[LegalBasis, int] = {
    LegalBasis.OPT_IN: 0,
    LegalBasis.OPT_OUT: 1,
    LegalBasis.NECESSARY: 2,
}


class PurposeKind(enum.StrEnum):
    """What kind of purpose: a use of the information, sharing it, cookies, or terms."""

    USE = "use"
    SHARING = "sharing"
    COOKIES = "cookies"
    TERMS = "terms"


class Choice(enum.StrEnum):
    """A recorded choice about a topic."""

    GRANTED = "granted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    OPTED_OUT = "opted_out"


class Channel(enum.StrEnum):
    """Through which channel a choice or notice was recorded (seed: "communication channels")."""

    WEB_FORM = "web_form"
    PROFILE_FORM = "profile_form"
    EMAIL = "email"
    EMAIL_REPLY = "email_reply"
    POSTAL_MAIL = "postal_mail"
    PHONE = "phone"
    BROWSER_SIGNAL = "browser_signal"
    WEB_NOTICE = "web_notice"
    IMPORT = "import"


class ContactChannel(enum.StrEnum):
    """A communication channel the company may use to reach a person."""

    EMAIL = "email"
    POSTAL_MAIL = "postal_mail"
    PHONE = "phone"


class CookieCategory(enum.StrEnum):
    """Cookie categories; each is the purpose ``cookies.<category>``."""

    NECESSARY = "necessary"
    PREFERENCES = "preferences"
    TRACKING = "tracking"

    @property
    def purpose(self) -> str:
        """The purpose id of this category, e.g. ``"cookies.tracking"``."""
        return f"cookies.{self.value}"


class NoticeKind(enum.StrEnum):
    """Which notice."""

    FORUM_PUBLIC = "forum_public"
    COBRANDED_SITE = "cobranded_site"
    MATERIAL_CHANGE = "material_change"


class CorrectionStatus(enum.StrEnum):
    """Life cycle of a correction request."""

    OPEN = "open"
    COMPLETED = "completed"


def channel_topic(channel: ContactChannel | str) -> str:
    """The topic of a communication channel opt-out, e.g. ``"channel.email"``.

    Raises:
        ValidationError: not a known contact channel (code ``invalid_channel``).
    """
    member: ContactChannel = _enum(ContactChannel, channel, "channel")
    return CHANNEL_PREFIX + member.value


def _enum(cls: type[Any], value: object, field: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise ValidationError(
            f"{value!r} is not a valid {field} (expected one of: {allowed})",
            field=field,
            code=f"invalid_{field}",
        ) from None


def check_subject(value: object, field: str = "subject") -> str:
    """Validate a pseudonymous subject identifier and return it.

    A subject is an opaque ID (``SP-0000-0000-0001-2``, ``cust:42``): letters,
    digits and ``. _ : -``, at most 128 characters. Email addresses and names are
    refused, so that the ledger (keyed by subject) never holds personal data.

    Raises:
        ValidationError: code ``invalid_subject``.
    """
    if not isinstance(value, str) or not _SUBJECT.fullmatch(value):
        raise ValidationError(
            "a subject must be a pseudonymous identifier (letters, digits, '.', '_', ':', '-')",
            field=field,
            code="invalid_subject",
        )
    if len(value) > MAX_SUBJECT_LENGTH:
        raise LimitExceeded(
            f"a subject is at most {MAX_SUBJECT_LENGTH} characters",
            field=field,
            code="subject_too_long",
        )
    return value


def check_text(value: object, field: str, limit: int, *, empty: bool = True) -> str:
    """Validate free text (evidence, data values) and return it."""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text", field=field, code=f"invalid_{field}")
    if not empty and not value.strip():
        raise ValidationError(f"{field} may not be empty", field=field, code=f"invalid_{field}")
    if "\x00" in value:
        raise ValidationError(f"{field} may not contain NUL", field=field, code=f"invalid_{field}")
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValidationError(
            f"{field} may not contain lone surrogates", field=field, code=f"invalid_{field}"
        )
    if len(value) > limit:
        raise LimitExceeded(
            f"{field} is longer than {limit} characters",
            field=field,
            code=f"{field}_too_long",
            details={"limit": limit, "length": len(value)},
        )
    return value


def _ident(field: str) -> Any:
    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str) or not _IDENT.fullmatch(value) or len(value) > 64:
            raise ValidationError(
                f"{field} must be a lower-case identifier like 'special_offers', got {value!r}",
                field=field,
                code=f"invalid_{field}",
            )

    return check


def _nonempty(field: str) -> Any:
    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        check_text(value, field, 4000, empty=False)

    return check


def _idents(field: str) -> Any:
    one = _ident(field)

    def check(instance: object, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
        for item in value:
            one(instance, attribute, item)
        if len(set(value)) != len(value):
            raise ValidationError(
                f"{field} lists an entry twice", field=field, code=f"duplicate_{field}"
            )

    return check


def _texts(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _utc(value: object) -> datetime:
    if value.__class__ is datetime and value.tzinfo is UTC:  # what ensure_utc returns as is
        return value
    return ensure_utc(value, field="at")


def _effective_utc(value: object) -> datetime:
    return ensure_utc(value, field="effective_at")


def _opt_utc(value: object) -> datetime | None:
    return None if value is None else _utc(value)


def _choice(value: object) -> Choice:
    """``Choice(value)``, by a dictionary lookup first (the lookup ``Choice`` itself makes)."""
    try:
        return Choice._value2member_map_[value]  # type: ignore[return-value]
    except (KeyError, TypeError):
        return Choice(value)  # type: ignore[arg-type]


def _channel(value: object) -> Channel:
    """``Channel(value)``, by a dictionary lookup first (the lookup ``Channel`` itself makes)."""
    try:
        return Channel._value2member_map_[value]  # type: ignore[return-value]
    except (KeyError, TypeError):
        return Channel(value)  # type: ignore[arg-type]


# What the generated readers of symprogram.serialization may skip: these converters
# return a UTC instant, None or a member of their enumeration as it is.
returns_as_is(_utc, datetime)
returns_as_is(_opt_utc, datetime, None)
returns_as_is(_choice, Choice)
returns_as_is(_channel, Channel)


def _unique(items: Iterable[Any], key: str, field: str) -> None:
    seen: set[Any] = set()
    for item in items:
        value = getattr(item, key)
        if value in seen:
            raise ValidationError(
                f"{field} {value!r} is declared twice", field=field, code=f"duplicate_{field}"
            )
        seen.add(value)


# -- policy ----------------------------------------------------------------------


@attrs.frozen
class Purpose:
    """A purpose a policy declares.

    Attributes:
        id: stable identifier, e.g. ``"special_offers"``, ``"cookies.tracking"``.
        title: readable description taken from the policy.
        basis: the legal basis.
        kind: use, sharing, cookies or terms.
    """

    id: str = attrs.field(validator=_ident("purpose"))
    title: str = attrs.field(validator=_nonempty("title"))
    basis: LegalBasis = attrs.field(converter=LegalBasis)
    kind: PurposeKind = attrs.field(default=PurposeKind.USE, converter=PurposeKind)

    def __attrs_post_init__(self) -> None:
        if self.id.startswith(CHANNEL_PREFIX):
            raise ValidationError(
                "purpose ids starting with 'channel.' are reserved",
                field="purpose",
                code="invalid_purpose",
            )


@attrs.frozen
class Activity:
    """An activity during which personal information is gathered, and what is gathered.

    Seed: "We request personal information when you place an order, register a
    product, request a service, answer a survey, enter a contest, correspond with us".
    """

    id: str = attrs.field(validator=_ident("activity"))
    title: str = attrs.field(validator=_nonempty("title"))
    data: tuple[str, ...] = attrs.field(converter=_texts, validator=_idents("data_item"))


@attrs.frozen
class Recipient:
    """Who may receive personal information, and for which purposes.

    Attributes:
        id: e.g. ``"business_partners"``.
        name: readable name.
        purposes: the purposes for which they receive it (empty: as the law requires).
        description: why.
    """

    id: str = attrs.field(validator=_ident("recipient"))
    name: str = attrs.field(validator=_nonempty("name"))
    purposes: tuple[str, ...] = attrs.field(
        default=(), converter=_texts, validator=_idents("purpose")
    )
    description: str = ""


@attrs.frozen
class Transfer:
    """A cross-border transfer, e.g. EU -> US -> EU offices."""

    id: str = attrs.field(validator=_ident("transfer"))
    route: tuple[str, ...] = attrs.field(converter=_texts)
    description: str = ""

    def __attrs_post_init__(self) -> None:
        if len(self.route) < 2 or not all(isinstance(r, str) and r for r in self.route):
            raise ValidationError(
                "a transfer route names at least two places", field="route", code="invalid_route"
            )


@attrs.frozen
class Referral:
    """Sites outside the policy's scope and where their own policy is."""

    site: str
    url: str


@attrs.frozen
class CoBrandedSite:
    """A site run with business partners: what is submitted there goes to them too."""

    site: str
    name: str
    partners: tuple[str, ...] = attrs.field(converter=_texts)


def _site(value: object, field: str = "site") -> str:
    if not isinstance(value, str) or not _SITE.fullmatch(value):
        raise ValidationError(f"not a site name: {value!r}", field=field, code="invalid_site")
    return value


def _purposes(value: Iterable[Purpose]) -> tuple[Purpose, ...]:
    return tuple(value)


def _activities(value: Iterable[Activity]) -> tuple[Activity, ...]:
    return tuple(value)


def _recipients(value: Iterable[Recipient]) -> tuple[Recipient, ...]:
    return tuple(value)


def _transfers(value: Iterable[Transfer]) -> tuple[Transfer, ...]:
    return tuple(value)


def _referrals(value: Iterable[Referral]) -> tuple[Referral, ...]:
    return tuple(value)


def _cobranded(value: Iterable[CoBrandedSite]) -> tuple[CoBrandedSite, ...]:
    return tuple(value)


@attrs.frozen
class Policy:
    """One version of the privacy policy.

    Attributes:
        version: e.g. ``"2005-07"``.
        effective_at: from when it applies (UTC).
        title: readable title.
        sites: the scope, e.g. ``("symantec.com",)``.
        referrals: sites it does not cover and where their policy is.
        purposes: what personal information is used for, each with its basis.
        activities: the data gathered per activity.
        recipients: with whom it may be shared.
        transfers: where it may be transferred.
        cobranded_sites: sites whose submissions also go to business partners.
        forum_notice: the notice to show before posting in a public forum.
    """

    version: str
    effective_at: datetime = attrs.field(converter=_effective_utc)
    title: str = attrs.field(validator=_nonempty("title"))
    sites: tuple[str, ...] = attrs.field(converter=_texts)
    purposes: tuple[Purpose, ...] = attrs.field(converter=_purposes)
    activities: tuple[Activity, ...] = attrs.field(default=(), converter=_activities)
    recipients: tuple[Recipient, ...] = attrs.field(default=(), converter=_recipients)
    transfers: tuple[Transfer, ...] = attrs.field(default=(), converter=_transfers)
    referrals: tuple[Referral, ...] = attrs.field(default=(), converter=_referrals)
    cobranded_sites: tuple[CoBrandedSite, ...] = attrs.field(default=(), converter=_cobranded)
    forum_notice: str = ""

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.version, str) or not _VERSION.fullmatch(self.version):
            raise ValidationError(
                f"not a policy version: {self.version!r}", field="version", code="invalid_version"
            )
        if not self.sites:
            raise ValidationError("a policy applies to some sites", field="sites", code="no_scope")
        for site in self.sites:
            _site(site, "sites")
        for ref in self.referrals:
            _site(ref.site, "referrals")
        for co in self.cobranded_sites:
            _site(co.site, "cobranded_sites")
        if not self.purposes:
            raise ValidationError(
                "a policy declares its purposes", field="purposes", code="no_purposes"
            )
        _unique(self.purposes, "id", "purpose")
        _unique(self.activities, "id", "activity")
        _unique(self.recipients, "id", "recipient")
        _unique(self.transfers, "id", "transfer")
        _unique(self.cobranded_sites, "site", "cobranded_site")
        ids = {p.id for p in self.purposes}
        for recipient in self.recipients:
            for purpose in recipient.purposes:
                if purpose not in ids:
                    raise ValidationError(
                        f"recipient {recipient.id!r} names undeclared purpose {purpose!r}",
                        field="recipients",
                        code="unknown_purpose",
                    )

    def purpose(self, purpose_id: str) -> Purpose | None:
        """The declared purpose ``purpose_id``, or ``None``."""
        for purpose in self.purposes:
            if purpose.id == purpose_id:
                return purpose
        return None

    def activity(self, activity_id: str) -> Activity | None:
        """The declared activity ``activity_id``, or ``None``."""
        for activity in self.activities:
            if activity.id == activity_id:
                return activity
        return None

    def cobranded(self, site: str) -> CoBrandedSite | None:
        """The co-branded site ``site``, or ``None``."""
        for co in self.cobranded_sites:
            if co.site == site:
                return co
        return None

    def recipients_for(self, purpose_id: str) -> tuple[str, ...]:
        """Names of the recipients receiving information for ``purpose_id``."""
        return tuple(r.name for r in self.recipients if purpose_id in r.purposes)

    def covers(self, site: str) -> bool:
        """Whether ``site`` (or a subdomain of a covered site) is in scope."""
        return any(site == s or site.endswith("." + s) for s in self.sites)


@attrs.frozen
class BasisChange:
    """A purpose whose legal basis changed between two versions."""

    purpose: str
    before: LegalBasis
    after: LegalBasis

    @property
    def widens(self) -> bool:
        """Whether the new basis allows more use without asking."""
        return BASIS_RANK[self.after] > BASIS_RANK[self.before]


@attrs.frozen
class Notice:
    """A notice to show people.

    Attributes:
        kind: forum (public information), co-branded site, or material change.
        title: a heading.
        text: the notice itself.
        policy_version: the version it belongs to.
        recipients: who receives what is submitted (co-branded sites).
        prominent: whether it must be shown prominently (material changes).
    """

    kind: NoticeKind = attrs.field(converter=NoticeKind)
    title: str
    text: str
    policy_version: str
    recipients: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    prominent: bool = False


@attrs.frozen
class PolicyChange:
    """What changed from the previous policy version, and whether it is material.

    Seed: "In the event there is a major change to Symantec's privacy practices, a
    prominent notice will be posted on our web site. If the change involves the use
    of your personally identifiable information, the notice will contain
    instructions on how you can opt-out of such use."

    Attributes:
        version: the new version.
        previous: the version it replaces (``None`` for the first).
        purposes_added / purposes_removed: purpose ids.
        basis_changed: purposes whose legal basis changed.
        recipients_added / recipients_removed: recipient ids.
        transfers_added / transfers_removed: transfer ids.
        data_added / data_removed: ``"activity.item"`` entries.
        material: whether the use of personal information changed.
        affected: the purposes whose use changed; until notified, a subject may
            not be used for them.
        notice: the prominent notice, for a material change.
    """

    version: str
    previous: str | None = None
    purposes_added: tuple[str, ...] = ()
    purposes_removed: tuple[str, ...] = ()
    basis_changed: tuple[BasisChange, ...] = ()
    recipients_added: tuple[str, ...] = ()
    recipients_removed: tuple[str, ...] = ()
    transfers_added: tuple[str, ...] = ()
    transfers_removed: tuple[str, ...] = ()
    data_added: tuple[str, ...] = ()
    data_removed: tuple[str, ...] = ()
    material: bool = False
    affected: tuple[str, ...] = ()
    notice: Notice | None = None


@attrs.frozen
class PublishedPolicy:
    """A policy version published through the service, as stored.

    Attributes:
        sequence: publication order (1, 2, ...).
        policy: the policy.
        published_at: when it was published.
        version: the storage version (optimistic concurrency).
    """

    sequence: int
    policy: Policy
    published_at: datetime = attrs.field(converter=_utc)
    version: int = 0


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
    at: datetime = attrs.field(converter=_utc)
    channel: Channel = attrs.field(converter=_channel)
    policy_version: str
    position: int


@attrs.frozen
class SeenPolicy:
    """A policy version the subject was shown or notified of, first at ``at``."""

    policy_version: str
    at: datetime = attrs.field(converter=_utc)


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
    """

    subject: str
    choices: tuple[ChoiceState, ...] = ()
    seen: tuple[SeenPolicy, ...] = ()
    sites: tuple[str, ...] = ()
    last_at: datetime | None = attrs.field(default=None, converter=_opt_utc)
    length: int = 0
    erased_at: datetime | None = attrs.field(default=None, converter=_opt_utc)
    version: int = 0

    def choice(self, topic: str) -> ChoiceState | None:
        """The standing choice on ``topic``, or ``None`` if never made."""
        for item in self.choices:
            if item.topic == topic:
                return item
        return None


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
    collected_at: datetime = attrs.field(converter=_utc)


@attrs.frozen
class Collection:
    """A time personal information was gathered: the activity, the items, the site."""

    activity: str
    items: tuple[str, ...]
    at: datetime = attrs.field(converter=_utc)
    channel: Channel = attrs.field(converter=Channel)
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
    requested_at: datetime = attrs.field(converter=_utc)
    channel: Channel = attrs.field(converter=Channel)
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
