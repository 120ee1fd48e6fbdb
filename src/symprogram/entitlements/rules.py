"""Pure rules of the entitlements context: no I/O, no clock.

Each function takes the state, the input and the instant it is about, and
returns new state or an explainable :class:`~symprogram.decisions.Decision`.
Decisions only use records valid at that instant: agreements whose dates cover
it and whose status then was active, grants whose window covers it and that had
not been revoked by then.

Reason codes (stable):

========================================  ==================================================
``public_document``                       the document is public at that instant
``public_before_login_requirement``       public now, gated from a later date (facts: date)
``logged_in``                             a login-only document, reader logged in
``symaccount_login``                      (login reading) a SymAccount login suffices
``not_logged_in``                         the reader must log in (facts: since)
``active_agreement``                      access through an agreement (facts: id, level, date)
``courtesy_entitlement``                  access through a courtesy grant (facts: until)
``temporary_entitlement``                 access through a temporary grant (facts: until)
``no_active_agreement``                   nothing in force at that instant
``level_too_low``                         in force, but below the document's level
``agreement_expired``                     an agreement ended before (facts: ended_on)
``agreement_not_started``                 an agreement starts later (facts: starts_on)
``agreement_suspended``                   an agreement was suspended then
``agreement_cancelled``                   an agreement was cancelled by then
``entitlement_revoked``                   a grant was revoked by then (facts: revoked_at)
``entitlement_expired``                   a grant ended before (facts: ended_on)
``entitlement_not_started``               a grant starts later (facts: starts_on)
``language_served``                       the document exists in the reader's language
                                          (facts: language, location)
``language_local_site``                   a local-language site serves it (facts: url)
``language_fallback_english``             none of the reader's languages: English
``product_not_covered``                   (support) no agreement covers the product
``support_extension``                     (support) an extension covers the old release
``extension_required``                    (support) past end of standard support
``release_end_of_life``                   (support) past end of life
``telephone_local_language``              (telephone) a local language of the line matches
``telephone_english``                     (telephone) English, the primary language
``telephone_table_public``                (telephone) no document gates the table
``remote_access_consented``               (remote) consent to the version in force
``remote_access_consent_required``        (remote) no consent to the version in force
``remote_access_terms_not_in_force``      (remote) no version in force yet
``remote_access_not_offered``             (remote) the catalogue has no terms
========================================  ==================================================

Every refusal of the context is decided here (or in the private modules this
one re-exports: ``_rules_access`` for reading documents, ``_rules_holdings`` for
what a customer's agreements and grants give, ``_rules_languages``
for languages and telephone support, ``_rules_cases`` for support cases and
remote sessions, ``_rules_remote`` for remote access as of an instant,
``_rules_anchors`` for the stored holdings against the audit, ``_rules_case_anchors``
for the stored support cases against it, ``_rules_lifecycle_anchors`` for the stored
release lifecycles against the products' audit); the flows only
load state, call these rules and save.

Every decision about a document names the access rule applied in its ``rule``
detail: ``public``, ``service_level`` (the default catalogue: a login and an
agreement at the document's level) or ``symaccount_login`` (the ``login``
catalogue, the Enterprise Support page's literal reading).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

import attrs

from symprogram._checks import check_found, check_text, check_transition, reported_as, shown
from symprogram._guard import guard_public
from symprogram._names import name_key
from symprogram.decisions import Decision, Reason
from symprogram.entitlements import (
    _rules_access,
    _rules_anchors,
    _rules_case_anchors,
    _rules_cases,
    _rules_holdings,
    _rules_languages,
    _rules_lifecycle_anchors,
    _rules_remote,
)
from symprogram.entitlements._rules_access import *  # noqa: F403
from symprogram.entitlements._rules_anchors import *  # noqa: F403
from symprogram.entitlements._rules_case_anchors import *  # noqa: F403
from symprogram.entitlements._rules_cases import *  # noqa: F403
from symprogram.entitlements._rules_cases import model_or_error
from symprogram.entitlements._rules_holdings import *  # noqa: F403
from symprogram.entitlements._rules_holdings import entitlement_reasons
from symprogram.entitlements._rules_languages import *  # noqa: F403
from symprogram.entitlements._rules_lifecycle_anchors import *  # noqa: F403
from symprogram.entitlements._rules_remote import *  # noqa: F403
from symprogram.entitlements.models import (
    MAX_NOTE,
    MAX_TEXT,
    Agreement,
    AgreementStatus,
    CustomerEntitlements,
    EntitlementCatalogue,
    Grant,
    ProductLifecycle,
    Release,
    StatusChange,
    SupportExtension,
    release_key,
)
from symprogram.errors import Conflict, IllegalTransition, ValidationError

__all__ = [
    "add_agreement",
    "add_extension",
    "add_grant",
    "change_agreement_status",
    "change_extension_status",
    "held_agreement",
    "held_extension",
    "held_grant",
    "register_release",
    "replace_in",
    "require_new_id",
    "revoke_grant",
    "support_coverage",
    # The private rule modules' names, re-exported as each one declares them.
    *_rules_access.__all__,
    *_rules_anchors.__all__,
    *_rules_case_anchors.__all__,
    *_rules_cases.__all__,
    *_rules_holdings.__all__,
    *_rules_languages.__all__,
    *_rules_lifecycle_anchors.__all__,
    *_rules_remote.__all__,
]

_C = TypeVar("_C", Agreement, SupportExtension)
_R = TypeVar("_R", Agreement, Grant, SupportExtension)

_TRANSITIONS: Mapping[AgreementStatus, frozenset[AgreementStatus]] = {
    AgreementStatus.ACTIVE: frozenset({AgreementStatus.SUSPENDED, AgreementStatus.CANCELLED}),
    AgreementStatus.SUSPENDED: frozenset({AgreementStatus.ACTIVE, AgreementStatus.CANCELLED}),
    AgreementStatus.CANCELLED: frozenset(),
}


# ------------------------------------------------------------------- support cover


def support_coverage(
    catalogue: EntitlementCatalogue,
    holdings: CustomerEntitlements | None,
    product: str,
    release: Release | None,
    at: datetime,
) -> Decision:
    """Whether the customer is entitled to support for ``product`` (and ``release``) at ``at``.

    The Enterprise Support page: "The Policy describes the Support Services we provide to business
    customers for Software covered under active Support Agreements." A release
    past its end of standard support needs, in addition, an extension agreement
    covering that release at that instant; past its end of life nothing covers it.
    """
    lowest = catalogue.service_levels[0].id
    allowed, reasons, hint = entitlement_reasons(catalogue, holdings, lowest, at, product=product)
    facts: dict[str, Any] = {"product": product}
    if not allowed:
        return Decision(False, reasons, hint, at, facts)
    if release is None:
        return Decision(True, reasons, hint, at, facts)
    facts["release"] = release.release
    day = at.date()
    if release.end_of_life is not None and day > release.end_of_life:
        return Decision(
            False,
            [
                Reason(
                    "release_end_of_life",
                    f"{product} {release.release} reached end of life on {release.end_of_life}",
                    {"end_of_life": release.end_of_life},
                )
            ],
            "upgrade to a supported release",
            at,
            facts,
        )
    if day <= release.end_of_standard_support:
        return Decision(True, reasons, hint, at, facts)
    extensions = sorted(
        (
            extension
            for extension in (holdings.extensions if holdings is not None else ())
            if extension.product == product
            and release_key(release.release) in {release_key(r) for r in extension.releases}
            and extension.active_at(at)
        ),
        key=lambda extension: (-extension.ends_on.toordinal(), extension.extension_id),
    )
    if extensions:
        extension = extensions[0]
        return Decision(
            True,
            [
                *reasons,
                Reason(
                    "support_extension",
                    f"extension {extension.extension_id} covers {product} {release.release} "
                    f"until {extension.ends_on}",
                    {"extension_id": extension.extension_id, "until": extension.ends_on},
                ),
            ],
            None,
            at,
            facts,
        )
    return Decision(
        False,
        [
            Reason(
                "extension_required",
                f"standard support for {product} {release.release} ended on "
                f"{release.end_of_standard_support}; an extension agreement is required",
                {"end_of_standard_support": release.end_of_standard_support},
            )
        ],
        "take out a support extension for this release, or upgrade",
        at,
        facts,
    )


# ----------------------------------------------------------------------- lifecycles


def _check_level(catalogue: EntitlementCatalogue, level: object) -> str:
    if isinstance(level, str) and catalogue.level(level) is not None:
        return level
    known = ", ".join(item.id for item in catalogue.service_levels)
    unknown = f"unknown service level {shown(level)} (known: {known})"
    raise ValidationError(unknown, field="level", code="unknown_service_level")


def require_new_id(taken: bool, what: str, record_id: str) -> None:
    """Refuse a new record whose id is already in use (``what``: ``"agreement"``, ...).

    Raises:
        Conflict: ``taken`` (code ``<what>_exists``, field ``<what>_id``).
    """
    if taken:
        raise Conflict(
            f"{what} {record_id!r} already exists", field=f"{what}_id", code=f"{what}_exists"
        )


def add_agreement(
    catalogue: EntitlementCatalogue,
    holdings: CustomerEntitlements,
    agreement_id: str,
    level: str,
    products: Iterable[str],
    starts_on: date,
    ends_on: date,
    at: datetime,
    by: str,
) -> tuple[CustomerEntitlements, Agreement]:
    """Record a new agreement in the customer's holdings.

    Raises:
        ValidationError: an unknown level or invalid field.
        Conflict: the customer already has this agreement id (``agreement_exists``).
    """
    _check_level(catalogue, level)
    # The fields in the model's order (id, customer, terms, dates, created at and by);
    # a refusal of ``created_by`` is one of the caller's ``by``.
    customer = holdings.customer_id
    with reported_as(created_by="by"):
        agreement: Agreement = model_or_error(
            Agreement, agreement_id, customer, level, products, starts_on, ends_on, at, by
        )
    require_new_id(holdings.agreement(agreement_id) is not None, "agreement", agreement_id)
    return attrs.evolve(holdings, agreements=(*holdings.agreements, agreement)), agreement


def _with_status(contract: _C, new: object, at: datetime, by: str, reason: str, what: str) -> _C:
    """``contract`` (an agreement or extension) with a status change to ``new`` appended."""
    change: StatusChange = model_or_error(StatusChange, status=new, at=at, by=by, reason=reason)
    current = contract.status
    check_transition(
        _TRANSITIONS,
        current,
        change.status,
        what=what,
        code=f"{what}_{current.value}" if current is AgreementStatus.CANCELLED else None,
    )
    changes: tuple[StatusChange, ...] = contract.status_changes
    if changes and change.at < changes[-1].at:
        raise ValidationError(
            "a status change cannot take effect before the previous one",
            field="at",
            code="status_change_out_of_order",
        )
    return attrs.evolve(contract, status_changes=(*changes, change))


def change_agreement_status(
    agreement: Agreement, status: object, *, at: datetime, by: str, reason: str
) -> Agreement:
    """Suspend, reinstate or cancel an agreement, effective at ``at``.

    Raises:
        IllegalTransition: not allowed from the current status (a cancelled
            agreement: code ``agreement_cancelled``; otherwise ``illegal_transition``).
    """
    return _with_status(agreement, status, at, by, reason, "agreement")


def add_grant(
    catalogue: EntitlementCatalogue,
    holdings: CustomerEntitlements,
    kind: object,
    level: str,
    products: Iterable[str],
    starts_on: date,
    ends_on: date,
    reason: str,
    approver: str,
    at: datetime,
    by: str,
) -> tuple[CustomerEntitlements, Grant]:
    """Grant a courtesy or temporary entitlement (the id is ``grant-<n>``).

    Raises:
        ValidationError: an unknown level, an invalid field, or the approver is
            the person recording the grant (code ``approver_must_differ``).
    """
    _check_level(catalogue, level)
    new_id, customer = f"grant-{len(holdings.grants) + 1}", holdings.customer_id
    # The fields in the model's order (approved by ``approver``, granted by ``by`` at ``at``).
    with reported_as(granted_by="by"):
        grant: Grant = model_or_error(
            Grant, new_id, customer, kind, level, products, starts_on, ends_on, reason, approver,
            by, at,
        )  # fmt: skip
    if name_key(grant.approver) == name_key(grant.granted_by):
        raise ValidationError(
            "a grant must be approved by someone other than the person granting it",
            field="approver",
            code="approver_must_differ",
        )
    return attrs.evolve(holdings, grants=(*holdings.grants, grant)), grant


def revoke_grant(grant: Grant, *, at: datetime, by: str, reason: str) -> Grant:
    """Revoke a grant from ``at`` on; asking about an earlier instant still shows it.

    Raises:
        IllegalTransition: already revoked (code ``grant_revoked``).
    """
    check_text(by, "by", limit=MAX_TEXT)
    check_text(reason, "reason", limit=MAX_NOTE, multiline=True)
    if grant.revoked_at is not None:
        raise IllegalTransition(
            f"grant {grant.grant_id!r} was already revoked",
            field="grant_id",
            code="grant_revoked",
        )
    revoked: Grant = model_or_error(
        attrs.evolve, grant, revoked_at=at, revoked_by=by, revocation_reason=reason
    )
    return revoked


def add_extension(
    holdings: CustomerEntitlements,
    extension_id: str,
    product: str,
    releases: Iterable[str],
    starts_on: date,
    ends_on: date,
    at: datetime,
    by: str,
) -> tuple[CustomerEntitlements, SupportExtension]:
    """Record a support extension agreement.

    Raises:
        ValidationError: an invalid field.
        Conflict: the id is taken for this customer (``extension_exists``).
    """
    customer = holdings.customer_id
    with reported_as(created_by="by"):
        extension: SupportExtension = model_or_error(
            SupportExtension, extension_id, customer, product, releases, starts_on, ends_on, at, by
        )
    require_new_id(holdings.extension(extension_id) is not None, "extension", extension_id)
    return attrs.evolve(holdings, extensions=(*holdings.extensions, extension)), extension


def change_extension_status(
    extension: SupportExtension, status: object, *, at: datetime, by: str, reason: str
) -> SupportExtension:
    """Suspend, reinstate or cancel an extension, effective at ``at``."""
    return _with_status(extension, status, at, by, reason, "extension")


def replace_in(
    holdings: CustomerEntitlements, item: Agreement | Grant | SupportExtension
) -> CustomerEntitlements:
    """Return ``holdings`` with ``item`` replacing the record of the same id."""
    if isinstance(item, Agreement):
        return attrs.evolve(
            holdings,
            agreements=tuple(
                item if a.agreement_id == item.agreement_id else a for a in holdings.agreements
            ),
        )
    if isinstance(item, Grant):
        return attrs.evolve(
            holdings,
            grants=tuple(item if g.grant_id == item.grant_id else g for g in holdings.grants),
        )
    return attrs.evolve(
        holdings,
        extensions=tuple(
            item if e.extension_id == item.extension_id else e for e in holdings.extensions
        ),
    )


# ------------------------------------------------------------------------- lookups


def _held(record: _R | None, what: str, record_id: object, holder: str = "") -> _R:
    """``record``, the customer's ``what`` looked up by id, unless the lookup found nothing.

    Raises:
        NotFound: ``record`` is ``None`` (``<what>_not_found``, field ``<what>_id``).
    """
    missing = f"no {what} {record_id!r}{holder}"
    return check_found(record, missing, field=f"{what}_id", code=f"{what}_not_found")


def held_agreement(holdings: CustomerEntitlements, agreement_id: str) -> Agreement:
    """The customer's agreement ``agreement_id``.

    Raises:
        NotFound: the customer holds none (``agreement_not_found``).
    """
    return _held(holdings.agreement(agreement_id), "agreement", agreement_id)


def held_grant(holdings: CustomerEntitlements, grant_id: object) -> Grant:
    """The customer's grant ``grant_id``.

    Raises:
        ValidationError: not an identifier (``invalid_grant_id``).
        NotFound: the customer holds none (``grant_not_found``).
    """
    check_text(grant_id, "grant_id", limit=MAX_TEXT)
    grant = holdings.grant(str(grant_id))
    return _held(grant, "grant", grant_id, f" for customer {holdings.customer_id!r}")


def held_extension(holdings: CustomerEntitlements, extension_id: str) -> SupportExtension:
    """The customer's support extension ``extension_id``.

    Raises:
        NotFound: the customer holds none (``extension_not_found``).
    """
    return _held(holdings.extension(extension_id), "extension", extension_id)


def register_release(
    lifecycle: ProductLifecycle,
    release: str,
    *,
    end_of_standard_support: date,
    end_of_life: date | None = None,
) -> ProductLifecycle:
    """Record (or correct) the support dates of a release of ``lifecycle``'s product.

    Raises:
        ValidationError: a bad name or date (``invalid_window`` when end of life
            precedes end of standard support).
    """
    item = Release(release, end_of_standard_support, end_of_life)
    others = tuple(r for r in lifecycle.releases if release_key(r.release) != release_key(release))
    return attrs.evolve(lifecycle, releases=(*others, item))


guard_public(globals(), __all__)
