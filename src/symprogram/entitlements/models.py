"""The entitlements models: readers, agreements, grants, extensions, cases, and the catalogue.

Every model is a frozen ``attrs`` class validated in its constructor (with the
field checks of :mod:`symprogram._checks`), so an invalid one cannot exist: bad
input raises :class:`~symprogram.errors.ValidationError` with a stable code and
the offending field. Dates of agreements and grants are calendar dates in UTC and
*inclusive*: an agreement ending on 2011-12-31 gives access on 2011-12-31, not on
2012-01-01.

The catalogue models (service levels, documents, sites, telephone lines,
escalation levels, :class:`EntitlementCatalogue`) are kept in a private module
of their own and re-exported here.
"""

# ruff: noqa: F405

from __future__ import annotations

import enum
import functools
import itertools
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, TypeVar

import attrs

from symprogram._checks import (
    check_date,
    check_enum,
    check_instance,
    check_instant,
    check_int,
    check_text,
    optional,
    reported_as,
    validator,
)
from symprogram._lookup import find_by
from symprogram._names import name_key
from symprogram.clock import ensure_utc
from symprogram.decisions import Decision

# The catalogue models, re-exported here: their names stand in __all__ (hence F405).
from symprogram.entitlements._models_catalogue import *  # noqa: F403
from symprogram.entitlements._models_catalogue import Document
from symprogram.errors import LimitExceeded, ValidationError

__all__ = [
    "Access",
    "AccessRule",
    "AccessibleDocument",
    "Agreement",
    "AgreementStatus",
    "CaseStatus",
    "CustomerEntitlements",
    "Document",
    "EntitlementCatalogue",
    "EscalationLevel",
    "EscalationStep",
    "Grant",
    "GrantKind",
    "LanguageOutcome",
    "LocalSite",
    "ProductLifecycle",
    "Reader",
    "Release",
    "RemoteAccessTerms",
    "RemoteAccessVersion",
    "RemoteSession",
    "ServiceLevel",
    "Severity",
    "StatusChange",
    "SupportCase",
    "SupportExtension",
    "TelephoneLine",
    "release_key",
    "MAX_NAMES",
]

MAX_TEXT = 255
"""Longest identifier, name or product, in characters."""

MAX_CUSTOMER_ID = MAX_TEXT - len("entitlements:")
"""Longest customer ID, in characters: its audit stream ``entitlements:<id>`` must fit
a storage key (:data:`MAX_TEXT`)."""

MAX_NOTE = 2000
"""Longest free-text reason or summary, in characters."""

MAX_NAMES = 500
"""The most products an agreement or a grant names, and releases an extension names.
More is ``too_many_products`` / ``too_many_releases`` (a LimitExceeded), read no further."""


# --------------------------------------------------------------------- validators

_text = validator(check_text, limit=MAX_TEXT)
_note = validator(check_text, limit=MAX_NOTE, multiline=True)
_optional_text = optional(_text)
_optional_note = optional(_note)
_date = validator(check_date)
_optional_date = optional(_date)
_non_negative = validator(check_int, minimum=0)


_instant = validator(check_instant)
_optional_instant = optional(_instant)


def _utc(value: object) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return ensure_utc(value)
    return value


def _optional_utc(value: object) -> Any:
    return None if value is None else _utc(value)


def _str_set(value: object, field: str) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError(
            f"{field} must be a collection of names, not a single string",
            field=field,
            code=f"invalid_{field}",
        )
    items = list(itertools.islice(value, MAX_NAMES + 1))  # an endless iterable too
    if len(items) > MAX_NAMES:
        raise LimitExceeded(
            f"at most {MAX_NAMES} {field}",
            field=field,
            code=f"too_many_{field}",
            details={"limit": MAX_NAMES},
        )
    try:
        return frozenset(items)
    except TypeError:  # an unhashable item: no name
        raise ValidationError(
            f"{field} must be names", field=field, code=f"invalid_{field}"
        ) from None


_R = TypeVar("_R")


def _records(value: object, cls: type[_R], field: str) -> tuple[_R, ...]:
    """``value`` as a tuple of ``cls`` objects (a record's list of records).

    Raises:
        ValidationError: not a collection, or an item that is not a ``cls``
            (``invalid_<field>``).
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValidationError(
            f"{field} must be a list, not {type(value).__name__}",
            field=field,
            code=f"invalid_{field}",
        )
    items = tuple(value)
    if not all(isinstance(item, cls) for item in items):
        raise ValidationError(
            f"{field} must hold {cls.__name__} objects", field=field, code=f"invalid_{field}"
        )
    return items


def _to_products(value: object) -> frozenset[str]:
    return _str_set(value, "products")


def _to_releases(value: object) -> frozenset[str]:
    return _str_set(value, "releases")


def _names(_: Any, attribute: attrs.Attribute[Any], value: frozenset[object]) -> None:
    # Each name is checked as one ``product`` (its codes: ``invalid_product``, ...) and
    # refused on the collection the caller gave (``products``).
    with reported_as(**{attribute.name[:-1]: attribute.name}):
        for item in value:
            check_text(item, attribute.name[:-1], limit=MAX_TEXT)


def _non_empty(_: Any, attribute: attrs.Attribute[Any], value: frozenset[object]) -> None:
    if not value:
        raise ValidationError(
            f"{attribute.name} may not be empty",
            field=attribute.name,
            code=f"invalid_{attribute.name}",
        )


def _window(instance: Any, _: Any, value: date) -> None:
    if value < instance.starts_on:
        raise ValidationError(
            "ends_on is before starts_on",
            field="ends_on",
            code="invalid_window",
            details={"starts_on": instance.starts_on.isoformat(), "ends_on": value.isoformat()},
        )


def _bool(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        raise ValidationError(
            f"{attribute.name} must be a boolean",
            field=attribute.name,
            code=f"invalid_{attribute.name}",
        )


# ---------------------------------------------------------------------- enumerations


class AgreementStatus(enum.StrEnum):
    """The life-cycle status of a support agreement or extension.

    ``active`` may become ``suspended`` or ``cancelled``; ``suspended`` may become
    ``active`` again (reinstated) or ``cancelled``; ``cancelled`` is final.
    Expiry is not a status: it follows from the agreement's dates.
    """

    ACTIVE = "active"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


class GrantKind(enum.StrEnum):
    """The kinds of entitlement staff may grant outside an agreement.

    The Enterprise Support page: "Courtesy and Temporary Entitlement Support".
    """

    COURTESY = "courtesy"
    TEMPORARY = "temporary"


class Severity(enum.StrEnum):
    """The severity of a support case, from ``critical`` (1) to ``low`` (4)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class CaseStatus(enum.StrEnum):
    """A support case is ``open`` until it is ``closed``."""

    OPEN = "open"
    CLOSED = "closed"


class LanguageOutcome(enum.StrEnum):
    """How the reader's language was answered.

    ``served``: the document exists in the chosen language; ``local_site``: a
    local-language site serves that translation; ``fallback``: none of the
    reader's languages is available and English is served.
    """

    SERVED = "served"
    LOCAL_SITE = "local_site"
    FALLBACK = "fallback"


def _to_status(value: object) -> AgreementStatus:
    return check_enum(AgreementStatus, value, "status")


def _to_kind(value: object) -> GrantKind:
    return check_enum(GrantKind, value, "kind")


def _to_severity(value: object) -> Severity:
    return check_enum(Severity, value, "severity")


def _to_case_status(value: object) -> CaseStatus:
    return check_enum(CaseStatus, value, "status")


# ---------------------------------------------------------------------------- reader


@attrs.frozen
class Reader:
    """Who is asking to read a document.

    Attributes:
        customer_id: the customer the reader belongs to, or ``None`` when unknown.
        logged_in: whether the reader is logged in (to SymAccount, on the page).

    Example:
        >>> Reader.anonymous().logged_in, Reader("C-1", logged_in=True).customer_id
        (False, 'C-1')
    """

    customer_id: str | None = attrs.field(default=None, validator=_optional_text)
    logged_in: bool = attrs.field(default=False, validator=_bool)

    @classmethod
    def anonymous(cls) -> Reader:
        """A reader who is not logged in and whose customer is unknown."""
        return _ANONYMOUS


_ANONYMOUS = Reader()


# ------------------------------------------------------------------------ agreements


@attrs.frozen
class StatusChange:
    """One status change of an agreement or extension, effective from ``at``.

    Attributes:
        status: the new status.
        at: the instant it takes effect (UTC).
        by: who made the change.
        reason: why.
    """

    status: AgreementStatus = attrs.field(converter=_to_status)
    at: datetime = attrs.field(converter=_utc, validator=_instant)
    by: str = attrs.field(validator=_text)
    reason: str = attrs.field(validator=_note)


def status_at(changes: tuple[StatusChange, ...], at: datetime) -> AgreementStatus:
    """The status in force at ``at``: ``active`` until the first change takes effect."""
    status = AgreementStatus.ACTIVE
    for change in changes:
        if change.at <= at:
            status = change.status
        else:
            break
    return status


def _changes(value: Iterable[StatusChange]) -> tuple[StatusChange, ...]:
    return _records(value, StatusChange, "status_changes")


def _ordered_changes(_: Any, __: Any, value: tuple[StatusChange, ...]) -> None:
    for earlier, later in itertools.pairwise(value):
        if later.at < earlier.at:
            raise ValidationError(
                "status changes must be in time order",
                field="status_changes",
                code="invalid_status_changes",
            )


class _Contract:
    """What an agreement and a support extension share: the days covered and a status history.

    A contract gives support at an instant when its dates cover that day and the
    status in force then is ``active``.
    """

    __slots__ = ()

    starts_on: date
    ends_on: date
    status_changes: tuple[StatusChange, ...]

    @property
    def status(self) -> AgreementStatus:
        """The latest status, whenever it takes effect."""
        return self.status_changes[-1].status if self.status_changes else AgreementStatus.ACTIVE

    def status_at(self, at: datetime) -> AgreementStatus:
        """The status in force at ``at``."""
        return status_at(self.status_changes, at)

    def covers(self, day: date) -> bool:
        """Whether ``day`` is within the contract's dates (both ends inclusive)."""
        return self.starts_on <= day <= self.ends_on

    def active_at(self, at: datetime) -> bool:
        """Whether the contract gives support at ``at``: dates cover it and status is active."""
        return self.covers(at.date()) and self.status_at(at) is AgreementStatus.ACTIVE


@attrs.frozen
class Agreement(_Contract):
    """A support agreement: a customer's service level for some products over some dates.

    The Enterprise Support page: "The Policy describes the Support Services we provide to business
    customers for Software covered under active Support Agreements."

    Attributes:
        agreement_id: the contract number (unique across customers).
        customer_id: the customer holding it.
        level: the service level id (from the catalogue), e.g. ``"essential_support"``.
        products: the products covered.
        starts_on: first day covered (UTC date).
        ends_on: last day covered, inclusive.
        created_at: when it was recorded.
        created_by: who recorded it.
        status_changes: suspensions, reinstatements and cancellations, in time order.
    """

    agreement_id: str = attrs.field(validator=_text)
    customer_id: str = attrs.field(validator=_text)
    level: str = attrs.field(validator=_text)
    products: frozenset[str] = attrs.field(converter=_to_products, validator=[_non_empty, _names])
    starts_on: date = attrs.field(validator=_date)
    ends_on: date = attrs.field(validator=[_date, _window])
    created_at: datetime = attrs.field(converter=_utc, validator=_instant)
    created_by: str = attrs.field(validator=_text)
    status_changes: tuple[StatusChange, ...] = attrs.field(
        default=(), converter=_changes, validator=_ordered_changes
    )


@attrs.frozen
class Grant:
    """A courtesy or temporary entitlement granted by staff, outside an agreement.

    The page: "Courtesy and Temporary Entitlement Support". A grant is in force on the
    days of its window (inclusive) until it is revoked; a revocation takes effect
    at its instant, so asking about an earlier instant still shows access.

    Attributes:
        grant_id: unique within the customer, e.g. ``"grant-1"``.
        customer_id: who receives it.
        kind: courtesy or temporary.
        level: the service level it gives.
        products: the products it covers.
        starts_on: first day (UTC date).
        ends_on: last day, inclusive.
        reason: why it was granted.
        approver: who approved it.
        granted_by: the staff member who recorded it.
        granted_at: when it was recorded.
        revoked_at: when it was revoked, if it was.
        revoked_by: who revoked it.
        revocation_reason: why.
    """

    grant_id: str = attrs.field(validator=_text)
    customer_id: str = attrs.field(validator=_text)
    kind: GrantKind = attrs.field(converter=_to_kind)
    level: str = attrs.field(validator=_text)
    products: frozenset[str] = attrs.field(converter=_to_products, validator=[_non_empty, _names])
    starts_on: date = attrs.field(validator=_date)
    ends_on: date = attrs.field(validator=[_date, _window])
    reason: str = attrs.field(validator=_note)
    approver: str = attrs.field(validator=_text)
    granted_by: str = attrs.field(validator=_text)
    granted_at: datetime = attrs.field(converter=_utc, validator=_instant)
    revoked_at: datetime | None = attrs.field(
        default=None, converter=_optional_utc, validator=_optional_instant
    )
    revoked_by: str | None = attrs.field(default=None, validator=_optional_text)
    revocation_reason: str | None = attrs.field(default=None, validator=_optional_note)

    def covers(self, day: date) -> bool:
        """Whether ``day`` is within the grant's window (both ends inclusive)."""
        return self.starts_on <= day <= self.ends_on

    def revoked_by_then(self, at: datetime) -> bool:
        """Whether the grant had been revoked at ``at``."""
        return self.revoked_at is not None and self.revoked_at <= at

    def active_at(self, at: datetime) -> bool:
        """Whether the grant is in force at ``at``."""
        return self.covers(at.date()) and not self.revoked_by_then(at)


@attrs.frozen
class SupportExtension(_Contract):
    """An extension agreement: support for older releases past their end of standard support.

    The page: "The Support Extensions Program is a suite of services designed to meet
    the changing support needs of customers on older versions of our software."

    Attributes:
        extension_id: the contract number (unique across customers).
        customer_id: the customer holding it.
        product: the product.
        releases: the releases covered.
        starts_on: first day covered.
        ends_on: last day covered, inclusive.
        created_at: when it was recorded.
        created_by: who recorded it.
        status_changes: cancellations etc., in time order.
    """

    extension_id: str = attrs.field(validator=_text)
    customer_id: str = attrs.field(validator=_text)
    product: str = attrs.field(validator=_text)
    releases: frozenset[str] = attrs.field(converter=_to_releases, validator=[_non_empty, _names])
    starts_on: date = attrs.field(validator=_date)
    ends_on: date = attrs.field(validator=[_date, _window])
    created_at: datetime = attrs.field(converter=_utc, validator=_instant)
    created_by: str = attrs.field(validator=_text)
    status_changes: tuple[StatusChange, ...] = attrs.field(
        default=(), converter=_changes, validator=_ordered_changes
    )


def _agreements(value: Iterable[Agreement]) -> tuple[Agreement, ...]:
    return _records(value, Agreement, "agreements")


def _grants(value: Iterable[Grant]) -> tuple[Grant, ...]:
    return _records(value, Grant, "grants")


def _extensions(value: Iterable[SupportExtension]) -> tuple[SupportExtension, ...]:
    return _records(value, SupportExtension, "extensions")


@attrs.frozen
class CustomerEntitlements:
    """Everything one customer holds: agreements, grants and extensions (one record).

    Keeping them in one aggregate lets a decision read a single record.

    Attributes:
        customer_id: the customer.
        agreements: support agreements, in the order recorded.
        grants: courtesy and temporary entitlements, in the order granted.
        extensions: support extension agreements, in the order recorded.
        version: storage version (0: never saved).
    """

    customer_id: str = attrs.field(validator=_text)
    agreements: tuple[Agreement, ...] = attrs.field(default=(), converter=_agreements)
    grants: tuple[Grant, ...] = attrs.field(default=(), converter=_grants)
    extensions: tuple[SupportExtension, ...] = attrs.field(default=(), converter=_extensions)
    version: int = attrs.field(default=0, validator=_non_negative)

    def agreement(self, agreement_id: str) -> Agreement | None:
        """The agreement with ``agreement_id``, or ``None``."""
        return find_by(self.agreements, "agreement_id", agreement_id)

    def grant(self, grant_id: str) -> Grant | None:
        """The grant with ``grant_id``, or ``None``."""
        return find_by(self.grants, "grant_id", grant_id)

    def extension(self, extension_id: str) -> SupportExtension | None:
        """The extension with ``extension_id``, or ``None``."""
        return find_by(self.extensions, "extension_id", extension_id)


# ------------------------------------------------------------------ product lifecycle


def _eol_after_eoss(instance: Any, _: Any, value: date | None) -> None:
    if value is not None and value < instance.end_of_standard_support:
        raise ValidationError(
            "end_of_life is before end_of_standard_support",
            field="end_of_life",
            code="invalid_window",
        )


@attrs.frozen
class Release:
    """One release of a product and its support dates.

    Attributes:
        release: the release name, e.g. ``"11.0"``.
        end_of_standard_support: last day of standard support (inclusive).
        end_of_life: last day any support, extension included, is given
            (inclusive); ``None``: not announced.
    """

    release: str = attrs.field(validator=_text)
    end_of_standard_support: date = attrs.field(validator=_date)
    end_of_life: date | None = attrs.field(
        default=None, validator=[_optional_date, _eol_after_eoss]
    )


def release_key(name: str) -> str:
    """The form in which release names are compared: ``"6.5"``, ``" 6.5 "``, ``"６.５"``
    and ``"6.5\u200b"`` name one release.

    A release is looked up to decide whether its standard support has ended, so a
    name written another way (surrounding white space, fullwidth digits, a zero-width
    character, another case) must find the same release rather than none, which
    would read as a current release. The key is the name's
    :func:`~symprogram._names.name_key`: NFKC, casefolded, without format characters
    (Unicode category ``Cf``), white space collapsed and stripped.

    Each name's key is worked out once and remembered (the last
    4096 names): a lifecycle compares every release it lists on
    every lookup, and checks them all each time it is read from the store.

    Example:
        >>> release_key(" ６.５\u200b ") == release_key("6.5")
        True

    Raises:
        ValidationError: ``name`` is not text (``invalid_release``, field ``release``).
    """
    text = str.__str__(check_instance(name, str, "release", code="invalid_release"))
    return _release_key(text)


_RELEASE_KEYS_KEPT = 4096  # release names whose key release_key remembers


@functools.lru_cache(maxsize=_RELEASE_KEYS_KEPT)
def _release_key(name: str) -> str:
    return name_key(name)


def _releases(value: Iterable[Release]) -> tuple[Release, ...]:
    return tuple(sorted(_records(value, Release, "releases"), key=lambda r: r.release))


def _unique_releases(_: Any, __: Any, value: tuple[Release, ...]) -> None:
    names = [release_key(r.release) for r in value]
    if len(names) != len(set(names)):
        raise ValidationError(
            "a release is listed twice", field="releases", code="duplicate_release"
        )


@attrs.frozen
class ProductLifecycle:
    """The releases of one product with their end-of-support dates.

    Attributes:
        product: the product name.
        releases: its releases, sorted by name.
        version: storage version.
    """

    product: str = attrs.field(validator=_text)
    releases: tuple[Release, ...] = attrs.field(
        default=(), converter=_releases, validator=_unique_releases
    )
    version: int = attrs.field(default=0, validator=_non_negative)

    def release(self, name: str) -> Release | None:
        """The release called ``name`` (compared by :func:`release_key`), or ``None``."""
        key = release_key(name)
        return next((r for r in self.releases if release_key(r.release) == key), None)


# ----------------------------------------------------------------------- escalation


@attrs.frozen
class EscalationStep:
    """One step up the Global Escalation Process.

    Attributes:
        from_level: the level before (0: not escalated).
        to_level: the level after.
        at: when.
        by: who escalated.
        reason: why.
    """

    from_level: int = attrs.field(validator=_non_negative)
    to_level: int = attrs.field(validator=_non_negative)
    at: datetime = attrs.field(converter=_utc, validator=_instant)
    by: str = attrs.field(validator=_text)
    reason: str = attrs.field(validator=_note)


@attrs.frozen
class RemoteSession:
    """A remote diagnostics session on a support case.

    The page: "Before implementing such remote access we will require your express
    consent to the service terms."

    Attributes:
        session_id: unique within the case, e.g. ``"remote-1"``.
        terms_version: the Remote Access Standard Terms version consented to.
        started_at: when it started.
        started_by: the engineer.
        ended_at: when it ended, if it did.
        ended_by: who ended it.
    """

    session_id: str = attrs.field(validator=_text)
    terms_version: str = attrs.field(validator=_text)
    started_at: datetime = attrs.field(converter=_utc, validator=_instant)
    started_by: str = attrs.field(validator=_text)
    ended_at: datetime | None = attrs.field(
        default=None, converter=_optional_utc, validator=_optional_instant
    )
    ended_by: str | None = attrs.field(default=None, validator=_optional_text)


def _steps(value: Iterable[EscalationStep]) -> tuple[EscalationStep, ...]:
    return tuple(value)


def _sessions(value: Iterable[RemoteSession]) -> tuple[RemoteSession, ...]:
    return tuple(value)


@attrs.frozen
class SupportCase:
    """A customer's support case, which can be escalated and receive remote sessions.

    Attributes:
        case_id: the case number (unique).
        customer_id: the customer.
        product: the product concerned.
        release: the product release, if known.
        severity: how severe.
        summary: what is wrong.
        opened_at: when it was opened.
        opened_by: who opened it.
        status: open or closed.
        escalation_level: current level of the Global Escalation Process (0: none).
        escalations: every step, oldest first.
        remote_sessions: remote sessions, oldest first.
        closed_at: when it was closed.
        version: storage version.
    """

    case_id: str = attrs.field(validator=_text)
    customer_id: str = attrs.field(validator=_text)
    product: str = attrs.field(validator=_text)
    severity: Severity = attrs.field(converter=_to_severity)
    summary: str = attrs.field(validator=_note)
    opened_at: datetime = attrs.field(converter=_utc, validator=_instant)
    opened_by: str = attrs.field(validator=_text)
    release: str | None = attrs.field(default=None, validator=_optional_text)
    status: CaseStatus = attrs.field(default=CaseStatus.OPEN, converter=_to_case_status)
    escalation_level: int = attrs.field(default=0, validator=_non_negative)
    escalations: tuple[EscalationStep, ...] = attrs.field(default=(), converter=_steps)
    remote_sessions: tuple[RemoteSession, ...] = attrs.field(default=(), converter=_sessions)
    closed_at: datetime | None = attrs.field(
        default=None, converter=_optional_utc, validator=_optional_instant
    )
    version: int = attrs.field(default=0, validator=_non_negative)

    def session(self, session_id: str) -> RemoteSession | None:
        """The remote session ``session_id``, or ``None``."""
        return find_by(self.remote_sessions, "session_id", session_id)


@attrs.frozen
class AccessibleDocument:
    """A document a reader may open, with the decision that says so (and in which language).

    Attributes:
        document: the catalogue document.
        decision: the allowed decision, with the served language in its details.
    """

    document: Document
    decision: Decision
