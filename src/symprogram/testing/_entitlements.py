"""Hypothesis strategies for the entitlements models.

Every function returns a strategy of *valid* instances and accepts per-field
keyword overrides, each a strategy or a plain value; an unknown field raises
:class:`~symprogram.errors.ValidationError` (code ``unknown_field``) at once.
Windows (``starts_on`` / ``ends_on``) stay ordered whichever end is overridden.

Example:
    >>> from symprogram.entitlements import AgreementStatus
    >>> strategy = agreements(level="essential_support")
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import attrs
from hypothesis import strategies as st

from symprogram import entitlements
from symprogram.decisions import Decision
from symprogram.entitlements.catalogue import READINGS
from symprogram.entitlements.erasure import EntitlementsErasure
from symprogram.entitlements.service import EntitlementsSettings
from symprogram.testing._base import (
    StrategyArgumentError,
    check_overrides,
    check_range,
    check_value,
    derived,
    is_count,
)

T = TypeVar("T")

# ``symprogram.testing.strategies`` imports this module to register it: import
# its helpers lazily so that importing this module first works too.


def build(
    cls: type[T], fields: dict[str, st.SearchStrategy[Any]], overrides: dict[str, Any]
) -> st.SearchStrategy[T]:
    """:func:`symprogram.testing.strategies.build`."""
    from symprogram.testing.strategies import build as _build

    return _build(cls, fields, overrides)


def instants(*args: Any) -> st.SearchStrategy[Any]:
    """:func:`symprogram.testing.strategies.instants`."""
    from symprogram.testing.strategies import instants as _instants

    return _instants(*args)


__all__ = [
    "DOCUMENT_IDS",
    "LANGUAGES",
    "LEVEL_IDS",
    "PRODUCTS",
    "REMOTE_ACCESS_VERSIONS",
    "access_rules",
    "accessible_documents",
    "agreements",
    "customer_entitlements",
    "customer_ids",
    "documents",
    "entitlement_catalogues",
    "entitlements_erasures",
    "entitlements_settings",
    "escalation_levels",
    "escalation_steps",
    "found_holdings",
    "grants",
    "language_choices",
    "languages",
    "local_sites",
    "product_lifecycles",
    "readers",
    "register",
    "releases",
    "remote_access_terms",
    "remote_access_versions",
    "remote_sessions",
    "service_levels",
    "status_changes",
    "support_cases",
    "support_extensions",
    "telephone_lines",
    "windows",
]

LEVEL_IDS = ("basic_maintenance", "essential_support", "business_critical_services")
"""The service levels of the default catalogue, lowest first."""

DOCUMENT_IDS = tuple(doc.id for doc in entitlements.EntitlementCatalogue.default().documents)
"""The documents of the default catalogue."""

PRODUCTS = ("Backup Exec", "NetBackup", "Endpoint Protection", "Enterprise Vault")
"""Example product names."""

LANGUAGES = (
    "th", "he", "iw", "id", "in", "tr", "ja", "zh-TW", "zh-CN", "pt-BR", "de-AT", "en-GB",
    "en", "fr", "ko", "ru", "es", "it", "xx",
)  # fmt: skip
"""Reader languages the strategies draw from (the issue's decision table, and more)."""

_DAY_MIN = date(2009, 1, 1)
_DAY_MAX = date(2014, 12, 31)


def _as(value: Any) -> st.SearchStrategy[Any]:
    return value if isinstance(value, st.SearchStrategy) else st.just(value)


def _names(max_size: int = 20) -> st.SearchStrategy[str]:
    return st.text(
        st.characters(whitelist_categories=("Lu", "Ll", "Nd"), max_codepoint=0x24F),
        min_size=1,
        max_size=max_size,
    )


def customer_ids() -> st.SearchStrategy[str]:
    """Customer ids such as ``"C-1042"``."""
    return st.integers(1, 99_999).map(lambda n: f"C-{n}")


def languages() -> st.SearchStrategy[str]:
    """One reader language tag from :data:`LANGUAGES`."""
    return st.sampled_from(LANGUAGES)


def windows(starts_on: Any = None, ends_on: Any = None) -> st.SearchStrategy[tuple[date, date]]:
    """Ordered ``(starts_on, ends_on)`` pairs; either end may be fixed (value or strategy).

    Raises:
        ValidationError: an end given as a plain value that is no date, or two
            plain ends out of order (code ``invalid_argument``).
    """
    check_value("windows", "starts_on", starts_on, date | None)
    check_value("windows", "ends_on", ends_on, date | None)
    if isinstance(starts_on, date) and isinstance(ends_on, date) and ends_on < starts_on:
        raise StrategyArgumentError(
            f"windows() ends_on {ends_on} is before starts_on {starts_on}",
            field="ends_on",
            code="invalid_argument",
        )
    if starts_on is not None and ends_on is not None:
        return st.tuples(_as(starts_on), _as(ends_on)).filter(lambda w: w[0] <= w[1])
    if starts_on is not None:
        return _as(starts_on).flatmap(
            lambda s: st.tuples(
                st.just(s),
                st.dates(min_value=s, max_value=s + timedelta(min(900, (date.max - s).days))),
            )
        )
    if ends_on is not None:
        return _as(ends_on).flatmap(
            lambda e: st.tuples(
                st.dates(min_value=e - timedelta(min(900, (e - date.min).days)), max_value=e),
                st.just(e),
            )
        )
    return st.dates(_DAY_MIN, _DAY_MAX).flatmap(
        lambda s: st.tuples(
            st.just(s),
            st.dates(min_value=s, max_value=s + timedelta(min(900, (date.max - s).days))),
        )
    )


def _windowed(
    cls: type[T], fields: dict[str, st.SearchStrategy[Any]], overrides: dict[str, Any]
) -> st.SearchStrategy[T]:
    fields = _at_defaults(cls, fields)
    check_overrides(cls, (*fields, "starts_on", "ends_on"), overrides)
    rest = {k: v for k, v in overrides.items() if k not in ("starts_on", "ends_on")}
    return windows(overrides.get("starts_on"), overrides.get("ends_on")).flatmap(
        lambda w: build(cls, {**fields, "starts_on": st.just(w[0]), "ends_on": st.just(w[1])}, rest)
    )


def _at_defaults(
    cls: type[Any], fields: dict[str, st.SearchStrategy[Any]]
) -> dict[str, st.SearchStrategy[Any]]:
    """``fields``, and every other field of ``cls`` that has a default, drawn at its default."""
    defaults = {
        a.name: st.just(a.default)
        for a in attrs.fields(cls)
        if a.default is not attrs.NOTHING and not isinstance(a.default, attrs.Factory)  # type: ignore[arg-type]
    }
    return {**defaults, **fields}


# ---------------------------------------------------------------------- catalogue


def service_levels(**overrides: Any) -> st.SearchStrategy[entitlements.ServiceLevel]:
    """Strategy for :class:`~symprogram.entitlements.ServiceLevel`."""
    fields = {
        "id": st.sampled_from(LEVEL_IDS),
        "name": _names(),
        "rank": st.integers(1, 10),
        "description": st.text(max_size=30),
    }
    return build(entitlements.ServiceLevel, fields, overrides)


def access_rules(**overrides: Any) -> st.SearchStrategy[entitlements.AccessRule]:
    """Strategy for :class:`~symprogram.entitlements.AccessRule`."""
    fields = {
        "access": st.sampled_from(entitlements.Access),
        "effective_from": st.none() | instants(),
        "name": st.none() | st.sampled_from(("service_level", "symaccount_login")),
    }
    return build(entitlements.AccessRule, fields, overrides)


def documents(**overrides: Any) -> st.SearchStrategy[entitlements.Document]:
    """Documents of the default catalogue (overrides give modified copies)."""
    fields = ("id", "title", "languages", "local_sites", "min_level", "access", "location")
    return _catalogue_entries(entitlements.Document, _CATALOGUE().documents, fields, overrides)


def local_sites(**overrides: Any) -> st.SearchStrategy[entitlements.LocalSite]:
    """Local-language sites of the default catalogue (overrides give modified copies)."""
    fields = ("language", "name", "url")
    return _catalogue_entries(entitlements.LocalSite, _CATALOGUE().local_sites, fields, overrides)


def telephone_lines(**overrides: Any) -> st.SearchStrategy[entitlements.TelephoneLine]:
    """Telephone support lines of the default catalogue (overrides give modified copies)."""
    lines = _CATALOGUE().telephone_lines
    fields = (
        "region", "area", "countries", "languages", "english_hours", "local_hours", "time_zone",
    )  # fmt: skip
    return _catalogue_entries(entitlements.TelephoneLine, lines, fields, overrides)


_CATALOGUE = entitlements.EntitlementCatalogue.default


def _catalogue_entries(
    cls: type[T], entries: tuple[T, ...], fields: tuple[str, ...], overrides: dict[str, Any]
) -> st.SearchStrategy[T]:
    """One of the catalogue's ``entries``; with ``overrides``, a copy with those ``fields`` set."""
    base = st.sampled_from(entries)
    if not overrides:
        return base
    check_overrides(cls, fields, overrides)
    return base.flatmap(
        lambda entry: build(
            cls, {name: st.just(getattr(entry, name)) for name in fields}, overrides
        )
    )


def escalation_levels(**overrides: Any) -> st.SearchStrategy[entitlements.EscalationLevel]:
    """Strategy for :class:`~symprogram.entitlements.EscalationLevel`."""
    fields = {"rank": st.integers(1, 6), "name": _names(), "description": st.text(max_size=30)}
    return build(entitlements.EscalationLevel, fields, overrides)


REMOTE_ACCESS_VERSIONS = ("2011-01", "2012-06", "2014-01", "2015-09")
"""Example labels of the Remote Access Standard Terms, oldest first."""


def remote_access_versions(**overrides: Any) -> st.SearchStrategy[entitlements.RemoteAccessVersion]:
    """Strategy for :class:`~symprogram.entitlements.RemoteAccessVersion`."""
    fields = {
        "version": st.sampled_from(REMOTE_ACCESS_VERSIONS),
        "effective_from": st.none() | instants(),
    }
    return build(entitlements.RemoteAccessVersion, fields, overrides)


@st.composite
def _version_history(draw: st.DrawFn) -> tuple[entitlements.RemoteAccessVersion, ...]:
    count = draw(st.integers(1, len(REMOTE_ACCESS_VERSIONS)))
    starts: list[Any] = sorted(
        draw(st.lists(instants(), min_size=count, max_size=count, unique=True))
    )
    if draw(st.booleans()):
        starts[0] = None  # the first version in force from the beginning
    return tuple(
        entitlements.RemoteAccessVersion(label, start)
        for label, start in zip(REMOTE_ACCESS_VERSIONS, starts, strict=False)
    )


def _earlier_than(
    history: tuple[entitlements.RemoteAccessVersion, ...], start: object
) -> tuple[entitlements.RemoteAccessVersion, ...]:
    """The versions of ``history`` that may come before one effective from ``start``:
    none before a version in force from the beginning (``None``), else those in force
    before ``start`` (the first perhaps from the beginning)."""
    if not isinstance(start, datetime):
        return ()
    return tuple(v for v in history if v.effective_from is None or v.effective_from < start)


def remote_access_terms(**overrides: Any) -> st.SearchStrategy[entitlements.RemoteAccessTerms]:
    """Strategy for :class:`~symprogram.entitlements.RemoteAccessTerms`: one to four
    versions with increasing effective instants (the first perhaps from the beginning).

    Overriding ``version`` keeps the drawn history, so give a label not among
    :data:`REMOTE_ACCESS_VERSIONS` (or override ``earlier`` too). Overriding
    ``effective_from`` keeps the drawn versions in force before it.
    """
    fields = ("document", "version", "effective_from", "earlier")
    check_overrides(entitlements.RemoteAccessTerms, fields, overrides)
    rest = {k: v for k, v in overrides.items() if k != "effective_from"}

    def terms(
        history: tuple[entitlements.RemoteAccessVersion, ...], start: Any
    ) -> st.SearchStrategy[entitlements.RemoteAccessTerms]:
        return build(
            entitlements.RemoteAccessTerms,
            {
                "document": st.just("remote_access_standard_terms"),
                "version": st.just(history[-1].version),
                "effective_from": st.just(start),
                "earlier": st.just(_earlier_than(history[:-1], start)),
            },
            rest,
        )

    if "effective_from" not in overrides:
        return _version_history().flatmap(
            lambda history: terms(history, history[-1].effective_from)
        )
    start = _as(overrides["effective_from"])
    return st.tuples(_version_history(), start).flatmap(lambda pair: terms(*pair))


def entitlement_catalogues() -> st.SearchStrategy[entitlements.EntitlementCatalogue]:
    """The default catalogue (immutable, shared)."""
    return st.just(entitlements.EntitlementCatalogue.default())


def language_choices(**overrides: Any) -> st.SearchStrategy[entitlements.LanguageChoice]:
    """Strategy for :class:`~symprogram.entitlements.LanguageChoice` (consistent values)."""
    fields = {
        "location": st.none() | st.just("https://my.symantec.com"),
        "outcome": st.sampled_from(entitlements.LanguageOutcome),
        "language": st.sampled_from(("en", "he", "th", "ja", "zh-Hans")),
        "name": _names(),
        "direction": st.sampled_from(("ltr", "rtl")),
        "site_url": st.none() | st.just("https://support.example.com/ja/"),
        "requested": st.none() | languages(),
        "steps": st.lists(st.text(max_size=20), max_size=3).map(tuple),
    }
    return build(entitlements.LanguageChoice, fields, overrides)


# ----------------------------------------------------------------------- holdings


def readers(**overrides: Any) -> st.SearchStrategy[entitlements.Reader]:
    """Strategy for :class:`~symprogram.entitlements.Reader`."""
    fields = {"customer_id": st.none() | customer_ids(), "logged_in": st.booleans()}
    return build(entitlements.Reader, fields, overrides)


def status_changes(**overrides: Any) -> st.SearchStrategy[entitlements.StatusChange]:
    """Strategy for :class:`~symprogram.entitlements.StatusChange`."""
    fields = {"status": st.sampled_from(entitlements.AgreementStatus), **_who_when_why()}
    return build(entitlements.StatusChange, fields, overrides)


def _who_when_why() -> dict[str, st.SearchStrategy[Any]]:
    """The instant, author and reason of a change (a status change, an escalation step)."""
    return {"at": instants(), "by": _names(), "reason": _names(40)}


def _held_terms() -> dict[str, st.SearchStrategy[Any]]:
    """The customer, service level and products of an agreement or a grant."""
    return {
        "customer_id": customer_ids(),
        "level": st.sampled_from(LEVEL_IDS),
        "products": st.frozensets(st.sampled_from(PRODUCTS), min_size=1),
    }


def agreements(**overrides: Any) -> st.SearchStrategy[entitlements.Agreement]:
    """Strategy for :class:`~symprogram.entitlements.Agreement` (no status changes by default)."""
    fields = {
        "agreement_id": st.integers(1, 99_999).map(lambda n: f"A-{n}"),
        **_held_terms(),
        "created_at": instants(),
        "created_by": _names(),
    }
    return _windowed(entitlements.Agreement, fields, overrides)


def grants(**overrides: Any) -> st.SearchStrategy[entitlements.Grant]:
    """Strategy for :class:`~symprogram.entitlements.Grant` (not revoked by default)."""
    fields = {
        "grant_id": st.integers(1, 999).map(lambda n: f"grant-{n}"),
        "kind": st.sampled_from(entitlements.GrantKind),
        **_held_terms(),
        "reason": _names(40),
        "approver": st.just("approver"),
        "granted_by": st.just("agent"),
        "granted_at": instants(),
    }
    return _windowed(entitlements.Grant, fields, overrides)


def support_extensions(**overrides: Any) -> st.SearchStrategy[entitlements.SupportExtension]:
    """Strategy for :class:`~symprogram.entitlements.SupportExtension`."""
    fields = {
        "extension_id": st.integers(1, 99_999).map(lambda n: f"X-{n}"),
        "customer_id": customer_ids(),
        "product": st.sampled_from(PRODUCTS),
        "releases": st.frozensets(st.sampled_from(("10.0", "11.0", "12.5")), min_size=1),
        "created_at": instants(),
        "created_by": _names(),
    }
    return _windowed(entitlements.SupportExtension, fields, overrides)


def customer_entitlements(**overrides: Any) -> st.SearchStrategy[entitlements.CustomerEntitlements]:
    """Strategy for :class:`~symprogram.entitlements.CustomerEntitlements` (one customer)."""
    fields = ("customer_id", "agreements", "grants", "extensions", "version")
    check_overrides(entitlements.CustomerEntitlements, fields, overrides)

    def holdings(customer: str) -> st.SearchStrategy[entitlements.CustomerEntitlements]:
        defaults = {
            "customer_id": st.just(customer),
            "agreements": st.lists(
                agreements(customer_id=customer), max_size=3, unique_by=lambda a: a.agreement_id
            ).map(tuple),
            "grants": st.lists(
                grants(customer_id=customer), max_size=2, unique_by=lambda g: g.grant_id
            ).map(tuple),
            "extensions": st.lists(
                support_extensions(customer_id=customer),
                max_size=1,
                unique_by=lambda e: e.extension_id,
            ).map(tuple),
            "version": st.just(0),
        }
        rest = {k: v for k, v in overrides.items() if k != "customer_id"}
        return build(entitlements.CustomerEntitlements, defaults, rest)

    return _as(overrides.get("customer_id", customer_ids())).flatmap(holdings)


@st.composite
def _found(draw: st.DrawFn) -> Any:
    from datetime import UTC, datetime

    from symprogram.entitlements.rules import scan_holdings

    return scan_holdings(
        _CATALOGUE(),
        draw(st.none() | customer_entitlements()),
        draw(st.sampled_from(LEVEL_IDS)),
        draw(instants(datetime(2008, 6, 1, tzinfo=UTC), datetime(2016, 6, 1, tzinfo=UTC))),
        product=draw(st.none() | st.sampled_from(PRODUCTS)),
    )


def found_holdings(**overrides: Any) -> st.SearchStrategy[Any]:
    """Strategy for :class:`~symprogram.entitlements.rules.Found`, as
    :func:`~symprogram.entitlements.rules.scan_holdings` sorts a customer's holdings
    (of the default catalogue) at an instant; overrides replace fields of it."""
    from symprogram.entitlements.rules import Found

    return derived(Found, _found(), overrides)


def releases(**overrides: Any) -> st.SearchStrategy[entitlements.Release]:
    """Strategy for :class:`~symprogram.entitlements.Release` (end of life after end of support)."""
    fields = ("release", "end_of_standard_support", "end_of_life")
    check_overrides(entitlements.Release, fields, overrides)
    eoss = _as(overrides.get("end_of_standard_support", st.dates(_DAY_MIN, _DAY_MAX)))

    def with_eol(day: date) -> st.SearchStrategy[entitlements.Release]:
        defaults = {
            "release": st.sampled_from(("10.0", "11.0", "12.5")),
            "end_of_standard_support": st.just(day),
            "end_of_life": st.none()
            | st.dates(min_value=day, max_value=day + timedelta(min(1000, (date.max - day).days))),
        }
        rest = {k: v for k, v in overrides.items() if k != "end_of_standard_support"}
        return build(entitlements.Release, defaults, rest)

    return eoss.flatmap(with_eol)


def product_lifecycles(**overrides: Any) -> st.SearchStrategy[entitlements.ProductLifecycle]:
    """Strategy for :class:`~symprogram.entitlements.ProductLifecycle`."""
    fields = {
        "product": st.sampled_from(PRODUCTS),
        "releases": st.lists(releases(), max_size=3, unique_by=lambda r: r.release).map(tuple),
    }
    return build(
        entitlements.ProductLifecycle,
        _at_defaults(entitlements.ProductLifecycle, fields),
        overrides,
    )


# -------------------------------------------------------------------------- cases


def escalation_steps(**overrides: Any) -> st.SearchStrategy[entitlements.EscalationStep]:
    """Strategy for :class:`~symprogram.entitlements.EscalationStep` (one level up)."""
    fields = ("from_level", "to_level", "at", "by", "reason")
    check_overrides(entitlements.EscalationStep, fields, overrides)

    def step(level: int) -> st.SearchStrategy[entitlements.EscalationStep]:
        defaults = {"from_level": st.just(level), "to_level": st.just(level + 1), **_who_when_why()}
        return build(
            entitlements.EscalationStep,
            defaults,
            {k: v for k, v in overrides.items() if k != "from_level"},
        )

    return _as(overrides.get("from_level", st.integers(0, 3))).flatmap(step)


def remote_sessions(**overrides: Any) -> st.SearchStrategy[entitlements.RemoteSession]:
    """Strategy for :class:`~symprogram.entitlements.RemoteSession` (open by default)."""
    fields = {
        "session_id": st.integers(1, 9).map(lambda n: f"remote-{n}"),
        "terms_version": st.just("2011-01"),
        "started_at": instants(),
        "started_by": _names(),
    }
    return build(
        entitlements.RemoteSession, _at_defaults(entitlements.RemoteSession, fields), overrides
    )


def support_cases(**overrides: Any) -> st.SearchStrategy[entitlements.SupportCase]:
    """Strategy for :class:`~symprogram.entitlements.SupportCase` (open, not escalated)."""
    fields = {
        "case_id": st.integers(1, 999_999).map(lambda n: f"CASE-{n}"),
        "customer_id": customer_ids(),
        "product": st.sampled_from(PRODUCTS),
        "severity": st.sampled_from(entitlements.Severity),
        "summary": _names(60),
        "opened_at": instants(),
        "opened_by": _names(),
        "release": st.none() | st.sampled_from(("10.0", "11.0", "12.5")),
    }
    return build(
        entitlements.SupportCase, _at_defaults(entitlements.SupportCase, fields), overrides
    )


def accessible_documents(**overrides: Any) -> st.SearchStrategy[entitlements.AccessibleDocument]:
    """Strategy for :class:`~symprogram.entitlements.AccessibleDocument` (allowed decisions)."""
    fields = {
        "document": documents(),
        "decision": st.builds(Decision, allowed=st.just(True), at=instants()),
    }
    return build(entitlements.AccessibleDocument, fields, overrides)


def entitlements_settings(**overrides: Any) -> st.SearchStrategy[EntitlementsSettings]:
    """Strategy for :class:`~symprogram.entitlements.EntitlementsSettings` (small limits often)."""
    limits = st.integers(1, 16) | st.integers(1, 100_000)
    fields = {
        "cache_limit": limits,
        "memo_limit": limits,
        "reading": st.none() | st.sampled_from(READINGS),
    }
    return build(EntitlementsSettings, fields, overrides)


def entitlements_erasures(**overrides: Any) -> st.SearchStrategy[EntitlementsErasure]:
    """Strategy for :class:`~symprogram.entitlements.erasure.EntitlementsErasure`: the
    entries erased are at most the audit stream's length (drawn from the entries
    erased up when only those are given).

    Raises:
        ValidationError: ``invalid_argument``: a plain ``audit_length`` below 0, or
            a plain ``audit_entries_erased`` below 0 or above a plain ``audit_length``.
    """
    fields = ("customer_id", "erased_at", "cases", "audit_entries_erased", "audit_length")
    check_overrides(EntitlementsErasure, fields, overrides)
    check_range(
        EntitlementsErasure, overrides, "audit_length", 0, why="a stream's length is not negative"
    )
    check_range(
        EntitlementsErasure,
        overrides,
        "audit_entries_erased",
        0,
        overrides.get("audit_length"),
        why="the entries erased are from 0 to the audit stream's length",
    )
    erased: Any = overrides.get("audit_entries_erased")
    low = erased if is_count(erased) and "audit_length" not in overrides else 0

    def receipt(length: int) -> st.SearchStrategy[EntitlementsErasure]:
        defaults = {
            "customer_id": customer_ids(),
            "erased_at": instants(),
            "cases": st.lists(
                st.integers(1, 999_999).map(lambda n: f"CASE-{n}"), max_size=3, unique=True
            ).map(tuple),
            "audit_entries_erased": st.integers(0, length)
            if is_count(length) and length >= 0
            else st.just(0),
            "audit_length": st.just(length),
        }
        rest = {k: v for k, v in overrides.items() if k != "audit_length"}
        return build(EntitlementsErasure, defaults, rest)

    return _as(overrides.get("audit_length", st.integers(low, low + 1000))).flatmap(receipt)


def register() -> None:
    """Register a strategy for every entitlements model with Hypothesis."""
    pairs: list[tuple[type[Any], st.SearchStrategy[Any]]] = [
        (entitlements.ServiceLevel, service_levels()),
        (entitlements.AccessRule, access_rules()),
        (entitlements.Document, documents()),
        (entitlements.LocalSite, local_sites()),
        (entitlements.TelephoneLine, telephone_lines()),
        (entitlements.EscalationLevel, escalation_levels()),
        (entitlements.RemoteAccessTerms, remote_access_terms()),
        (entitlements.RemoteAccessVersion, remote_access_versions()),
        (entitlements.EntitlementCatalogue, entitlement_catalogues()),
        (entitlements.LanguageChoice, language_choices()),
        (entitlements.Reader, readers()),
        (entitlements.StatusChange, status_changes()),
        (entitlements.Agreement, agreements()),
        (entitlements.Grant, grants()),
        (entitlements.SupportExtension, support_extensions()),
        (entitlements.CustomerEntitlements, customer_entitlements()),
        (entitlements.Release, releases()),
        (entitlements.ProductLifecycle, product_lifecycles()),
        (entitlements.EscalationStep, escalation_steps()),
        (entitlements.RemoteSession, remote_sessions()),
        (entitlements.SupportCase, support_cases()),
        (entitlements.AccessibleDocument, accessible_documents()),
        (EntitlementsSettings, entitlements_settings()),
        (EntitlementsErasure, entitlements_erasures()),
    ]
    from symprogram.entitlements.rules import Found

    pairs.append((Found, found_holdings()))
    for cls, strategy in pairs:
        st.register_type_strategy(cls, strategy)
