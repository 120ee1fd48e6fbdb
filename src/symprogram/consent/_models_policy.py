"""The consent context's policy models: a policy version, its purposes and what it declares.

Kept apart from :mod:`symprogram.consent.models` (which re-exports every name) so
that each module stays one readable size; import them from ``models``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import attrs

from symprogram._checks import check_enum, check_text, shown, validator
from symprogram._codegen import returns_as_is
from symprogram._lookup import find_by
from symprogram.clock import ensure_utc
from symprogram.consent._models_content import (
    ContactPoint,
    ContactUse,
    PolicyReading,
    TrafficLogging,
    TrustProgram,
    ident,
    idents,
)
from symprogram.errors import ValidationError

__all__ = [
    "BASIS_RANK",
    "CHANNEL_PREFIX",
    "Activity",
    "BasisChange",
    "CoBrandedSite",
    "ContactPoint",
    "ContactUse",
    "LegalBasis",
    "Notice",
    "NoticeKind",
    "Policy",
    "PolicyChange",
    "PolicyReading",
    "PublishedPolicy",
    "Purpose",
    "PurposeKind",
    "Recipient",
    "Referral",
    "TrafficLogging",
    "Transfer",
    "TrustProgram",
    "check_site",
    "site_key",
    "utc_instant",
]


def _items(value: Any) -> tuple[Any, ...]:
    """``value`` as a tuple (a policy's lists), or ``invalid_policy`` when it is not a
    collection (``tuple`` itself raises a bare ``TypeError``)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValidationError(
            f"expected a list, got {type(value).__name__}", field="policy", code="invalid_policy"
        )
    return tuple(value)


def _basis(value: object) -> LegalBasis:
    return check_enum(LegalBasis, value, "basis", code="invalid_policy")


def _purpose_kind(value: object) -> PurposeKind:
    return check_enum(PurposeKind, value, "kind", code="invalid_policy")


def _reading(value: object) -> PolicyReading:
    return check_enum(PolicyReading, value, "reading", code="invalid_policy")


def _notice_kind(value: object) -> NoticeKind:
    return check_enum(NoticeKind, value, "kind", code="invalid_policy")


CHANNEL_PREFIX = "channel."
MAX_TITLE_LENGTH = 4000

_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_LABEL = r"[a-z0-9][a-z0-9-]{0,62}"
_SITE = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_MAX_SITE_LENGTH = 253
_A_LABEL = "xn--"


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


class NoticeKind(enum.StrEnum):
    """Which notice."""

    FORUM_PUBLIC = "forum_public"
    COBRANDED_SITE = "cobranded_site"
    MATERIAL_CHANGE = "material_change"


def utc_instant(value: object) -> datetime:
    """``value`` as a UTC instant (field ``at``), returned as is when it already is one."""
    if value.__class__ is datetime and value.tzinfo is UTC:  # what ensure_utc returns as is
        return value
    return ensure_utc(value, field="at")


returns_as_is(utc_instant, datetime)


def _effective_utc(value: object) -> datetime:
    return ensure_utc(value, field="effective_at")


def site_key(value: str) -> str:
    """``value`` as the one spelling of its host: ASCII lower case, no trailing dot.

    Host names are case-insensitive and ``veritas.com.`` (the fully-qualified
    form) names the same host as ``veritas.com``. Anything else is returned as
    is (:func:`check_site` says whether it is a site name at all).

    Example:
        >>> site_key("WWW.Veritas.com.")
        'www.veritas.com'
    """
    host = str.__str__(value)  # a plain copy: a str subclass's own methods never run
    if host.isascii():
        host = host.lower()
    return host[:-1] if host.endswith(".") else host


def _real_a_label(label: str) -> bool:
    """Whether an IDNA label (``xn--...``) decodes to a name that is not plain ASCII."""
    if not label.startswith(_A_LABEL):
        return True
    try:
        decoded = label[len(_A_LABEL) :].encode("ascii").decode("punycode")
    except UnicodeError:
        return False
    return bool(decoded) and not decoded.isascii()


def check_site(value: object, field: str = "site") -> str:
    """Validate a site name such as ``symantec.com`` and return its one spelling.

    The host is normalised (:func:`site_key`): ``Veritas.COM.`` is ``veritas.com``,
    so every check of a site (a referral to its own policy, a co-branded site) sees
    the host whatever its spelling. An internationalised name is given in its ASCII
    form (IDNA A-labels, ``xn--...``); other non-ASCII text, white space, an empty
    label (``a..com``), a label of more than 63 characters, an ``xn--`` label
    that is not a real A-label and a name of more than 253 characters are refused.

    Raises:
        ValidationError: code ``invalid_site``.
    """
    host = site_key(value) if isinstance(value, str) else None
    if (
        host is None
        or len(host) > _MAX_SITE_LENGTH
        or not _SITE.fullmatch(host)
        or not all(_real_a_label(label) for label in host.split("."))
    ):
        raise ValidationError(
            f"not a site name: {shown(value, limit=80)} (an ASCII host name such as "
            "symantec.com; an internationalised name in its xn-- form)",
            field=field,
            code="invalid_site",
        )
    return host


def _canonical_site(value: object, field: str) -> None:
    """A site of a policy's data: a site name in its one spelling (:func:`check_site`).

    Raises:
        ValidationError: ``invalid_site`` (also for ``Veritas.com`` or ``veritas.com.``:
            the data names each site once, as the rules compare it).
    """
    if check_site(value, field) != value:
        raise ValidationError(
            f"{shown(value, limit=80)} is not written as {check_site(value, field)!r} "
            "(lower case, no trailing dot)",
            field=field,
            code="invalid_site",
        )


_nonempty = validator(check_text, limit=MAX_TITLE_LENGTH, controls=True)
_ident = ident
_idents = idents


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
        consequence: what the policy says follows when the person refuses it
            (cookies: "Rejecting cookies may affect your ability to use of some
            of the products and/or services at our web site"); a decision that
            denies the purpose carries it in its details.
    """

    id: str = attrs.field(validator=_ident("purpose"))
    title: str = attrs.field(validator=_nonempty)
    basis: LegalBasis = attrs.field(converter=_basis)
    kind: PurposeKind = attrs.field(default=PurposeKind.USE, converter=_purpose_kind)
    consequence: str = ""

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

    The privacy policy: "We request personal information when you place an order,
    register a product, request a service, answer a survey, enter a contest,
    correspond with us or engage in certain other activities on our website."

    Attributes:
        id: e.g. ``"order"``.
        title: readable description.
        data: the items gathered during the activity.
        open_ended: the policy does not list what is gathered ("certain other
            activities"): the page that asks says it, and any item is accepted.
    """

    id: str = attrs.field(validator=_ident("activity"))
    title: str = attrs.field(validator=_nonempty)
    data: tuple[str, ...] = attrs.field(converter=_items, validator=_idents("data_item"))
    open_ended: bool = False


@attrs.frozen
class Recipient:
    """Who may receive personal information, and for which purposes.

    Attributes:
        id: e.g. ``"business_partners"``.
        name: readable name.
        purposes: the purposes for which they receive it (empty: as the law requires).
        description: why.
        abroad: what they may do with it in other countries, e.g. contractors:
            "in certain countries our outside contractors might undertake the
            collection, transferring, storage and processing of your information"
            (``("collection", "transferring", "storage", "processing")``).
    """

    id: str = attrs.field(validator=_ident("recipient"))
    name: str = attrs.field(validator=_nonempty)
    purposes: tuple[str, ...] = attrs.field(
        default=(), converter=_items, validator=_idents("purpose")
    )
    description: str = ""
    abroad: tuple[str, ...] = attrs.field(
        default=(), converter=_items, validator=_idents("processing")
    )


@attrs.frozen
class Transfer:
    """A cross-border transfer, e.g. EU -> US -> EU offices."""

    id: str = attrs.field(validator=_ident("transfer"))
    route: tuple[str, ...] = attrs.field(converter=_items)
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
    partners: tuple[str, ...] = attrs.field(converter=_items)


def _policy_version(_instance: object, _attribute: object, value: Any) -> None:
    if not isinstance(value, str) or not _VERSION.fullmatch(value):
        raise ValidationError(
            f"not a policy version: {shown(value)}", field="version", code="invalid_version"
        )


def _scope(_instance: object, _attribute: object, value: tuple[Any, ...]) -> None:
    if not value:
        raise ValidationError("a policy applies to some sites", field="sites", code="no_scope")
    for site in value:
        _canonical_site(site, "sites")


def _declared(
    kind: type,
    key: str | None = None,
    *,
    what: str = "",
    required: bool = False,
    sites: bool = False,
) -> Callable[[object, attrs.Attribute[Any], tuple[Any, ...]], None]:
    """The validator of a policy's list of ``kind`` objects: each is one, a
    ``required`` list is not empty, each item's site is written in its one spelling
    (``sites``), and each item's ``key`` is declared once. Each check needs that
    list alone (checks across lists are the policy's ``__attrs_post_init__``)."""

    def check(_instance: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
        name = attribute.name
        if not all(isinstance(item, kind) for item in value):
            raise ValidationError(
                f"a policy's {name} are {kind.__name__} objects", field=name, code="invalid_policy"
            )
        if required and not value:
            raise ValidationError(f"a policy declares its {name}", field=name, code=f"no_{name}")
        if sites:
            for item in value:
                _canonical_site(item.site, name)
        if key is not None:
            _unique(value, key, what)

    return check


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
        reading: which reading of the document this policy implements
            (:class:`PolicyReading`; the default catalogue's is ``document``).
        contact_points: the communication channels the policy names (profile
            form, product registration form, postal address, main phone, ...).
        trust: the TRUSTe statements (``None``: no seal program).
        traffic: what the web servers log about visitors (IP addresses, ...).
        partner_links_notice: the statement about links to business partners.
        cobranded_statement: the statement about co-branded sites.
    """

    version: str = attrs.field(validator=_policy_version)
    effective_at: datetime = attrs.field(converter=_effective_utc)
    title: str = attrs.field(validator=_nonempty)
    sites: tuple[str, ...] = attrs.field(converter=_items, validator=_scope)
    purposes: tuple[Purpose, ...] = attrs.field(
        converter=_items, validator=_declared(Purpose, "id", what="purpose", required=True)
    )
    activities: tuple[Activity, ...] = attrs.field(
        default=(), converter=_items, validator=_declared(Activity, "id", what="activity")
    )
    recipients: tuple[Recipient, ...] = attrs.field(
        default=(), converter=_items, validator=_declared(Recipient, "id", what="recipient")
    )
    transfers: tuple[Transfer, ...] = attrs.field(
        default=(), converter=_items, validator=_declared(Transfer, "id", what="transfer")
    )
    referrals: tuple[Referral, ...] = attrs.field(
        default=(), converter=_items, validator=_declared(Referral, sites=True)
    )
    cobranded_sites: tuple[CoBrandedSite, ...] = attrs.field(
        default=(),
        converter=_items,
        validator=_declared(CoBrandedSite, "site", what="cobranded_site", sites=True),
    )
    forum_notice: str = ""
    reading: PolicyReading = attrs.field(default=PolicyReading.DOCUMENT, converter=_reading)
    contact_points: tuple[ContactPoint, ...] = attrs.field(
        default=(), converter=_items, validator=_declared(ContactPoint, "id", what="contact_point")
    )
    trust: TrustProgram | None = None
    traffic: TrafficLogging | None = None
    partner_links_notice: str = ""
    cobranded_statement: str = ""

    def __attrs_post_init__(self) -> None:
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
        return find_by(self.purposes, "id", purpose_id)

    def activity(self, activity_id: str) -> Activity | None:
        """The declared activity ``activity_id``, or ``None``."""
        return find_by(self.activities, "id", activity_id)

    def cobranded(self, site: str) -> CoBrandedSite | None:
        """The co-branded site ``site`` is (or is a subdomain of: ``www.shopsymantec.com``
        is ShopSymantec), whatever its spelling (:func:`site_key`), or ``None``."""
        labels = site_key(site).split(".")
        for start in range(len(labels)):
            found = find_by(self.cobranded_sites, "site", ".".join(labels[start:]))
            if found is not None:
                return found
        return None

    def recipients_for(self, purpose_id: str) -> tuple[str, ...]:
        """Names of the recipients receiving information for ``purpose_id``."""
        return tuple(r.name for r in self.recipients if purpose_id in r.purposes)

    def covers(self, site: str) -> bool:
        """Whether ``site`` (or a subdomain of a covered site) is in scope, whatever
        its spelling (:func:`site_key`)."""
        host = site_key(site)
        return any(host == s or host.endswith("." + s) for s in self.sites)

    def referral(self, site: str) -> Referral | None:
        """The referral of ``site`` (or of a site it is a subdomain of) to its own
        policy, whatever its spelling (:func:`site_key`)."""
        host = site_key(site)
        for ref in self.referrals:
            if host == ref.site or host.endswith("." + ref.site):
                return ref
        return None

    def contact_points_for(self, use: ContactUse | str) -> tuple[ContactPoint, ...]:
        """The contact points the policy names for ``use``, in the policy's order."""
        return tuple(c for c in self.contact_points if use in c.uses)


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
        contact_points: how to act on it (material changes: the policy's contact
            points for changing communication preferences, to opt out).
    """

    kind: NoticeKind = attrs.field(converter=_notice_kind)
    title: str
    text: str
    policy_version: str
    recipients: tuple[str, ...] = attrs.field(default=(), converter=_items)
    prominent: bool = False
    contact_points: tuple[ContactPoint, ...] = attrs.field(default=(), converter=_items)


@attrs.frozen
class PolicyChange:
    """What changed from the previous policy version, and whether it is material.

    The privacy policy: "In the event there is a major change to Symantec's privacy practices, a
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
        traffic_changed: the fields of the traffic logging (:class:`TrafficLogging`)
            whose change makes the logs personal information:
            ``identifies_you`` and ``correlated_with_personal_information`` turned
            on, ``items`` logged that were not while the logs identify visitors or
            are correlated. Material; until notified, a subject's traffic items are
            still refused as their personal data.
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
    traffic_changed: tuple[str, ...] = ()


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
    published_at: datetime = attrs.field(converter=utc_instant)
    version: int = 0
