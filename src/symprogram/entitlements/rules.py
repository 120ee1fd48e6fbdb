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
``language_local_site``                   a local-language site serves it (facts: url)
``language_fallback_english``             none of the reader's languages: English
``product_not_covered``                   (support) no agreement covers the product
``support_extension``                     (support) an extension covers the old release
``extension_required``                    (support) past end of standard support
``release_end_of_life``                   (support) past end of life
========================================  ==================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeAlias

import attrs

from symprogram.decisions import Decision, Reason
from symprogram.entitlements.catalogue import Access, Document, EntitlementCatalogue
from symprogram.entitlements.models import (
    Agreement,
    AgreementStatus,
    CaseStatus,
    CustomerEntitlements,
    EscalationStep,
    Grant,
    GrantKind,
    LanguageOutcome,
    Reader,
    Release,
    RemoteSession,
    StatusChange,
    SupportCase,
    SupportExtension,
    check_text,
)
from symprogram.errors import (
    Conflict,
    IllegalTransition,
    LimitExceeded,
    NotFound,
    SymprogramError,
    ValidationError,
)
from symprogram.i18n import LanguageTag, Negotiation, direction, display_name, negotiate
from symprogram.i18n import parse_accept_language as _parse_accept_language

__all__ = [
    "LanguageChoice",
    "Languages",
    "access_decision",
    "add_agreement",
    "add_extension",
    "add_grant",
    "change_agreement_status",
    "change_extension_status",
    "choose_language",
    "close_case",
    "decide",
    "decision_window",
    "end_remote_session",
    "escalate",
    "languages_key",
    "revoke_grant",
    "start_remote_session",
    "support_coverage",
]

Languages: TypeAlias = str | Sequence[str | LanguageTag] | None
"""The reader's languages: an ``Accept-Language`` header, a list (most preferred
first) or ``None`` (no preference)."""

LanguagesKey: TypeAlias = str | tuple[str | LanguageTag, ...]

_TRANSITIONS: Mapping[AgreementStatus, frozenset[AgreementStatus]] = {
    AgreementStatus.ACTIVE: frozenset({AgreementStatus.SUSPENDED, AgreementStatus.CANCELLED}),
    AgreementStatus.SUSPENDED: frozenset({AgreementStatus.ACTIVE, AgreementStatus.CANCELLED}),
    AgreementStatus.CANCELLED: frozenset(),
}

_ALLOW_PRIORITY = {"agreement": 0, GrantKind.COURTESY: 1, GrantKind.TEMPORARY: 2}


# ------------------------------------------------------------------------ languages


def languages_key(languages: object) -> LanguagesKey:
    """Normalize the reader's languages into a hashable key.

    Raises:
        ValidationError: neither a string nor a sequence of strings / tags
            (code ``invalid_languages``, field ``languages``).
    """
    if languages is None:
        return ()
    if isinstance(languages, str):
        return languages
    if isinstance(languages, tuple | list):
        for item in languages:
            if not isinstance(item, str | LanguageTag):
                raise ValidationError(
                    "languages must be an Accept-Language header or a list of language tags",
                    field="languages",
                    code="invalid_languages",
                )
        return tuple(languages)
    raise ValidationError(
        "languages must be an Accept-Language header or a list of language tags",
        field="languages",
        code="invalid_languages",
    )


@attrs.frozen
class LanguageChoice:
    """How a document is served to a reader, language-wise.

    Attributes:
        outcome: served, local site or fallback.
        language: the canonical tag served (the site's language for a local site).
        name: the language's name in that language (``"עברית"``).
        direction: ``"ltr"`` or ``"rtl"`` (Hebrew is right-to-left).
        site_url: the local-language site, for ``local_site``.
        requested: the reader's preference that produced the match, if any.
        steps: the negotiation steps, in order.
    """

    outcome: LanguageOutcome
    language: str
    name: str
    direction: str
    site_url: str | None
    requested: str | None
    steps: tuple[str, ...]

    @property
    def reason(self) -> Reason:
        """The language reason of a decision."""
        if self.outcome is LanguageOutcome.SERVED:
            return Reason(
                "language_served",
                f"served in {self.name} ({self.language})",
                {"language": self.language},
            )
        if self.outcome is LanguageOutcome.LOCAL_SITE:
            return Reason(
                "language_local_site",
                f"the {self.language} translation is on the local-language site {self.site_url}",
                {"language": self.language, "url": self.site_url},
            )
        return Reason(
            "language_fallback_english",
            f"none of the reader's languages is available; served in {self.language}",
            {"language": self.language},
        )

    def details(self) -> dict[str, Any]:
        """The decision details contributed by the language choice."""
        return {
            "language": self.language,
            "language_name": self.name,
            "direction": self.direction,
            "language_outcome": self.outcome.value,
            "local_site_url": self.site_url,
            "negotiation": self.steps,
        }


def _negotiate(
    catalogue: EntitlementCatalogue, preferred: LanguagesKey, available: tuple[str, ...]
) -> Negotiation:
    try:
        return negotiate(
            preferred,
            available,
            default_regions=dict(catalogue.default_regions),
            default=catalogue.fallback_language,
        )
    except LimitExceeded as exc:
        raise LimitExceeded(
            exc.message, field="languages", code=exc.code, details=exc.details
        ) from None
    except ValidationError as exc:
        raise ValidationError(
            exc.message, field="languages", code=exc.code, details=exc.details
        ) from None


def _classify(
    catalogue: EntitlementCatalogue, document: Document, result: Negotiation
) -> tuple[LanguageOutcome, str]:
    match = str(result.match) if result.match is not None else catalogue.fallback_language
    if result.fallback or result.match is None:
        return LanguageOutcome.FALLBACK, match
    if match in document.languages:
        return LanguageOutcome.SERVED, match
    return LanguageOutcome.LOCAL_SITE, match


def choose_language(
    catalogue: EntitlementCatalogue, document: Document, languages: Languages
) -> LanguageChoice:
    """Choose the language a document is served in, with :func:`symprogram.i18n.negotiate`.

    The reader's preferences are tried in order; the document's own languages
    and, when the document has them, the local-language sites are the
    candidates. Seed: "Refer to your local language site for the following
    translations". When nothing matches, the catalogue's fallback (English) is
    served. Preferences of an ``Accept-Language`` header that tie (equal ``q``)
    are not ordered by their position in the header: among them the one served
    directly wins over a local site, then the first in code order.

    Raises:
        ValidationError: an invalid tag in a list (code ``invalid_language_tag``,
            field ``languages``) or languages of the wrong type.
        LimitExceeded: more than 50 languages in a list.
    """
    key = languages_key(languages)
    available = catalogue.available_languages(document.id)
    result = _negotiate(catalogue, key, available)
    outcome, match = _classify(catalogue, document, result)
    steps = result.steps
    if isinstance(key, str) and result.requested is not None:
        result, outcome, match, steps = _break_ties(
            catalogue, document, key, available, result, outcome, match
        )
    site = catalogue.local_site(match) if outcome is LanguageOutcome.LOCAL_SITE else None
    return LanguageChoice(
        outcome=outcome,
        language=match,
        name=display_name(match),
        direction=direction(match),
        site_url=None if site is None else site.url,
        requested=None if result.requested is None else str(result.requested),
        steps=steps,
    )


def _break_ties(
    catalogue: EntitlementCatalogue,
    document: Document,
    header: str,
    available: tuple[str, ...],
    result: Negotiation,
    outcome: LanguageOutcome,
    match: str,
) -> tuple[Negotiation, LanguageOutcome, str, tuple[str, ...]]:
    preferences = _parse_accept_language(header)
    weight = next((q for tag, q in preferences if tag == result.requested), None)
    tied = sorted(
        {str(tag) for tag, q in preferences if q == weight and isinstance(tag, LanguageTag)}
    )
    if len(tied) < 2:
        return result, outcome, match, result.steps
    rank = {LanguageOutcome.SERVED: 0, LanguageOutcome.LOCAL_SITE: 1}
    best: tuple[tuple[int, str, str], Negotiation, LanguageOutcome, str] | None = None
    for tag in tied:
        # The tag first, then the whole header (so its exclusions still apply).
        trial = _negotiate(catalogue, f"{tag},{header}", available)
        if trial.fallback or trial.requested is None or str(trial.requested) != tag:
            continue
        trial_outcome, trial_match = _classify(catalogue, document, trial)
        key = (rank.get(trial_outcome, 2), trial_match, tag)
        if best is None or key < best[0]:
            best = (key, trial, trial_outcome, trial_match)
    if best is None:  # pragma: no cover - the original winner always matches
        return result, outcome, match, result.steps
    _, trial, trial_outcome, trial_match = best
    kept = tuple(
        step
        for step in trial.steps
        if not step.startswith("ignored repeated item") or step in result.steps
    )
    note = (
        f"equally preferred (q={weight}): {', '.join(tied)}; chose {trial.requested} "
        "(served directly before a local site, then code order)"
    )
    return trial, trial_outcome, trial_match, (*kept, note)


# --------------------------------------------------------------------------- access


def _level_name(catalogue: EntitlementCatalogue, level_id: str) -> str:
    level = catalogue.level(level_id)
    return level.name if level is not None else level_id


def _rank(catalogue: EntitlementCatalogue, level_id: str) -> int:
    rank = catalogue.rank(level_id)
    return -1 if rank is None else rank  # an unknown level never gives access


_REASONS: dict[tuple[int, int], tuple[object, object, Reason]] = {}


def _allow_reason(catalogue: EntitlementCatalogue, source: Agreement | Grant) -> Reason:
    # Memoized by identity: holdings are decoded once per stored version, so the
    # same source object comes back call after call (the hot path of decide()).
    key = (id(source), id(catalogue))
    cached = _REASONS.get(key)
    if cached is not None and cached[0] is source and cached[1] is catalogue:
        return cached[2]
    name = _level_name(catalogue, source.level)
    if isinstance(source, Agreement):
        reason = Reason(
            "active_agreement",
            f"active {name} agreement {source.agreement_id} (last day {source.ends_on})",
            {"agreement_id": source.agreement_id, "level": source.level, "ends_on": source.ends_on},
        )
    else:
        reason = Reason(
            f"{source.kind.value}_entitlement",
            f"{source.kind.value} entitlement at {name} until {source.ends_on}",
            {"grant_id": source.grant_id, "level": source.level, "until": source.ends_on},
        )
    if len(_REASONS) >= 8192:
        _REASONS.clear()
    _REASONS[key] = (source, catalogue, reason)
    return reason


def _allow_key(source: Agreement | Grant) -> tuple[int, int, str]:
    if isinstance(source, Agreement):
        return (0, -source.ends_on.toordinal(), source.agreement_id)
    return (_ALLOW_PRIORITY[source.kind], -source.ends_on.toordinal(), source.grant_id)


def entitlement_reasons(
    catalogue: EntitlementCatalogue,
    holdings: CustomerEntitlements | None,
    required_level: str,
    at: datetime,
    *,
    product: str | None = None,
) -> tuple[bool, list[Reason], str | None]:
    """Whether ``holdings`` give ``required_level`` or higher at ``at``, with the reasons.

    Only records valid at ``at`` give access. When nothing does, the reasons
    explain what is there instead (expired, not started, suspended, cancelled,
    revoked). With ``product``, only records covering that product count.

    Returns:
        ``(allowed, reasons, hint)``.
    """
    required = _rank(catalogue, required_level)
    day = at.date()
    best: Agreement | Grant | None = None
    best_key: tuple[int, int, str] | None = None
    low: Agreement | Grant | None = None
    expired: Agreement | None = None
    future: Agreement | None = None
    inactive: list[tuple[Agreement, AgreementStatus]] = []
    revoked: Grant | None = None
    grant_ended: Grant | None = None
    grant_future: Grant | None = None
    agreements = holdings.agreements if holdings is not None else ()
    grants = holdings.grants if holdings is not None else ()
    for agreement in agreements:
        if product is not None and product not in agreement.products:
            continue
        if agreement.starts_on <= day <= agreement.ends_on:
            status = agreement.status_at(at) if agreement.status_changes else AgreementStatus.ACTIVE
            if status is AgreementStatus.ACTIVE:
                if _rank(catalogue, agreement.level) >= required:
                    if best is None:
                        best = agreement
                    else:
                        key = _allow_key(agreement)
                        best_key = best_key or _allow_key(best)
                        if key < best_key:
                            best, best_key = agreement, key
                elif low is None or _rank(catalogue, agreement.level) > _rank(catalogue, low.level):
                    low = agreement
            else:
                inactive.append((agreement, status))
        elif agreement.ends_on < day:
            if expired is None or (agreement.ends_on, agreement.agreement_id) > (
                expired.ends_on,
                expired.agreement_id,
            ):
                expired = agreement
        elif future is None or (agreement.starts_on, agreement.agreement_id) < (
            future.starts_on,
            future.agreement_id,
        ):
            future = agreement
    for grant in grants:
        if product is not None and product not in grant.products:
            continue
        if grant.starts_on <= day <= grant.ends_on:
            if grant.revoked_at is not None and grant.revoked_at <= at:
                if revoked is None or grant.grant_id < revoked.grant_id:
                    revoked = grant
            elif _rank(catalogue, grant.level) >= required:
                if best is None:
                    best = grant
                else:
                    key = _allow_key(grant)
                    best_key = best_key or _allow_key(best)
                    if key < best_key:
                        best, best_key = grant, key
            elif low is None or _rank(catalogue, grant.level) > _rank(catalogue, low.level):
                low = grant
        elif grant.ends_on < day:
            if grant_ended is None or (grant.ends_on, grant.grant_id) > (
                grant_ended.ends_on,
                grant_ended.grant_id,
            ):
                grant_ended = grant
        elif grant_future is None or (grant.starts_on, grant.grant_id) < (
            grant_future.starts_on,
            grant_future.grant_id,
        ):
            grant_future = grant
    if best is not None:
        reason = _allow_reason(catalogue, best)
        if isinstance(best, Grant):
            return True, [reason], f"access through this entitlement ends after {best.ends_on}"
        return True, [reason], None

    required_name = _level_name(catalogue, required_level)
    reasons: list[Reason] = []
    hint: str | None
    if low is not None:
        reasons.append(
            Reason(
                "level_too_low",
                f"{_level_name(catalogue, low.level)} is below {required_name}",
                {"level": low.level, "required": required_level},
            )
        )
        hint = f"upgrade to {required_name} or higher"
    else:
        reasons.append(
            Reason(
                "no_active_agreement",
                "no active support agreement or entitlement"
                + ("" if product is None else f" covers {product}"),
                {"required": required_level},
            )
        )
        hint = f"a support agreement at {required_name} or higher gives access"

    def relevant(level: str) -> bool:
        return low is None or _rank(catalogue, level) >= required

    for agreement, status in sorted(inactive, key=lambda item: item[0].agreement_id):
        if relevant(agreement.level):
            reasons.append(
                Reason(
                    f"agreement_{status.value}",
                    f"agreement {agreement.agreement_id} is {status.value}",
                    {"agreement_id": agreement.agreement_id},
                )
            )
            if status is AgreementStatus.SUSPENDED and low is None:
                hint = f"reinstate the suspended agreement {agreement.agreement_id}"
    if expired is not None and relevant(expired.level):
        reasons.append(
            Reason(
                "agreement_expired",
                f"agreement {expired.agreement_id} expired on {expired.ends_on} (its last day)",
                {"agreement_id": expired.agreement_id, "ended_on": expired.ends_on},
            )
        )
        if low is None and not inactive:
            hint = f"renew the support agreement that expired on {expired.ends_on}"
    if future is not None and relevant(future.level):
        reasons.append(
            Reason(
                "agreement_not_started",
                f"agreement {future.agreement_id} starts on {future.starts_on}",
                {"agreement_id": future.agreement_id, "starts_on": future.starts_on},
            )
        )
    if revoked is not None and relevant(revoked.level):
        reasons.append(
            Reason(
                "entitlement_revoked",
                f"{revoked.kind.value} entitlement {revoked.grant_id} was revoked",
                {"grant_id": revoked.grant_id, "revoked_at": revoked.revoked_at},
            )
        )
    if grant_ended is not None and relevant(grant_ended.level):
        reasons.append(
            Reason(
                "entitlement_expired",
                f"{grant_ended.kind.value} entitlement {grant_ended.grant_id} "
                f"ended on {grant_ended.ends_on}",
                {"grant_id": grant_ended.grant_id, "ended_on": grant_ended.ends_on},
            )
        )
    if grant_future is not None and relevant(grant_future.level):
        reasons.append(
            Reason(
                "entitlement_not_started",
                f"{grant_future.kind.value} entitlement {grant_future.grant_id} "
                f"starts on {grant_future.starts_on}",
                {"grant_id": grant_future.grant_id, "starts_on": grant_future.starts_on},
            )
        )
    return False, reasons, hint


def access_decision(
    catalogue: EntitlementCatalogue,
    document: Document,
    reader: Reader,
    holdings: CustomerEntitlements | None,
    at: datetime,
) -> tuple[bool, list[Reason], str | None, Access]:
    """Whether ``reader`` may open ``document`` at ``at``, without the language part.

    Seed: "Beginning on January 15, 2011, the documents listed below will
    require you to be logged into SymAccount to access". Before the document's
    first gating rule it is public (``public_before_login_requirement``).

    Returns:
        ``(allowed, reasons, hint, access rule in force)``.
    """
    rule, upcoming = document.rule_at(at)
    if rule.access is Access.PUBLIC:
        gated = upcoming if upcoming is not None and upcoming.access is not Access.PUBLIC else None
        if gated is not None and gated.effective_from is not None:
            since = gated.effective_from.date()
            return (
                True,
                [
                    Reason(
                        "public_before_login_requirement",
                        f"public until login is required from {since}",
                        {"login_required_from": since},
                    )
                ],
                None,
                rule.access,
            )
        return True, [_PUBLIC], None, rule.access
    reasons: list[Reason] = []
    hint: str | None = None
    if not reader.logged_in:
        start = rule.effective_from.date() if rule.effective_from is not None else None
        reasons.append(
            Reason(
                "not_logged_in",
                "log in to read this document"
                + ("" if start is None else f" (required since {start})"),
                {} if start is None else {"since": start},
            )
        )
        hint = "log in to your account"
    if rule.access is Access.LOGIN:
        if reader.logged_in:
            return True, [_LOGGED_IN], None, rule.access
        return False, reasons, hint, rule.access
    if reader.customer_id is None and not reader.logged_in:
        return False, reasons, hint, rule.access
    required = document.min_level or ""
    allowed, found, found_hint = entitlement_reasons(catalogue, holdings, required, at)
    if allowed and reader.logged_in:
        return True, found, found_hint, rule.access
    reasons.extend(reason for reason in found if not allowed)
    return False, reasons, hint or found_hint, rule.access


_PUBLIC = Reason("public_document", "the document is public")
_LOGGED_IN = Reason("logged_in", "the reader is logged in")

EARLIEST = datetime.min.replace(tzinfo=UTC)
"""The start of every validity window: no instant is earlier."""

LATEST = datetime.max.replace(tzinfo=UTC)
"""The end of an unbounded validity window (excluded: an answer about this very
instant is never reused)."""

_ONE_DAY = timedelta(days=1)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _day_after(day: date) -> datetime | None:
    # The first instant after the (inclusive) last day; none after the last date.
    return None if day == date.max else _day_start(day + _ONE_DAY)


def decision_window(
    document: Document, holdings: CustomerEntitlements | None, at: datetime
) -> tuple[datetime, datetime]:
    """The instants ``[start, end)`` around ``at`` over which :func:`access_decision` holds.

    For every instant ``t`` with ``start <= t < end``, :func:`access_decision`
    with the same catalogue, document, reader and holdings gives the same
    ``(allowed, reasons, hint, access)`` at ``t`` as at ``at``: nothing it reads
    changes in between. The boundaries are every instant at which something the
    rules read switches:

    * the document's access rules coming into force (``effective_from``), which
      pick the rule and the next one (and whether the holdings are read at all);
    * each agreement's and grant's first day (00:00 UTC) and the day after its
      last day (dates are inclusive UTC calendar days);
    * each agreement's status changes and each grant's revocation instant.

    No reason carries a fact that depends on the exact instant (the facts are
    ids, levels, dates of records and rule dates), so the answer is the same
    across the window except for the instant it is about. Support extensions do
    not enter access decisions and so do not bound the window.

    Pass the ``holdings`` the decision was computed from (``None`` when none were
    read: an anonymous reader, or a document whose rule at ``at`` does not look
    at them; the document's own boundaries then keep it that way).

    Returns:
        ``(start, end)``: ``start`` is the latest boundary at or before ``at``
        (:data:`EARLIEST` if none), ``end`` the earliest boundary after ``at``
        (:data:`LATEST` if none).
    """
    start = EARLIEST
    end = LATEST
    bounds: list[datetime | None] = [rule.effective_from for rule in document.access]
    if holdings is not None:
        for agreement in holdings.agreements:
            bounds.append(_day_start(agreement.starts_on))
            bounds.append(_day_after(agreement.ends_on))
            bounds.extend(change.at for change in agreement.status_changes)
        for grant in holdings.grants:
            bounds.append(_day_start(grant.starts_on))
            bounds.append(_day_after(grant.ends_on))
            bounds.append(grant.revoked_at)
    for bound in bounds:
        if bound is None:
            continue
        if bound <= at:
            if bound > start:
                start = bound
        elif bound < end:
            end = bound
    return start, end


def decide(
    catalogue: EntitlementCatalogue,
    document: Document,
    reader: Reader,
    holdings: CustomerEntitlements | None,
    language: LanguageChoice,
    at: datetime,
) -> Decision:
    """The full decision: access reasons, then the language reason, with details.

    Details: ``document``, ``access`` (rule in force), ``required_level``,
    ``language``, ``language_name``, ``direction``, ``language_outcome``,
    ``local_site_url`` and ``negotiation`` (the steps).
    """
    allowed, reasons, hint, access = access_decision(catalogue, document, reader, holdings, at)
    details = language.details()
    details["document"] = document.id
    details["access"] = access.value
    details["required_level"] = document.min_level
    reasons.append(language.reason)
    return Decision(allowed, reasons, hint, at, details)


# ------------------------------------------------------------------- support cover


def support_coverage(
    catalogue: EntitlementCatalogue,
    holdings: CustomerEntitlements | None,
    product: str,
    release: Release | None,
    at: datetime,
) -> Decision:
    """Whether the customer is entitled to support for ``product`` (and ``release``) at ``at``.

    Seed: "The Policy describes the Support Services we provide to business
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
            and release.release in extension.releases
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
    if not isinstance(level, str) or catalogue.level(level) is None:
        known = ", ".join(item.id for item in catalogue.service_levels)
        raise ValidationError(
            f"unknown service level {level!r} (known: {known})",
            field="level",
            code="unknown_service_level",
        )
    return level


def _model(build: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return build(*args, **kwargs)
    except SymprogramError:
        raise
    except (TypeError, ValueError) as exc:  # pragma: no cover - validators cover these
        raise ValidationError(str(exc), code="invalid") from exc


def add_agreement(
    catalogue: EntitlementCatalogue,
    holdings: CustomerEntitlements,
    *,
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
    agreement: Agreement = _model(
        Agreement,
        agreement_id=agreement_id,
        customer_id=holdings.customer_id,
        level=level,
        products=products,
        starts_on=starts_on,
        ends_on=ends_on,
        created_at=at,
        created_by=by,
    )
    if holdings.agreement(agreement_id) is not None:
        raise Conflict(
            f"agreement {agreement_id!r} already exists",
            field="agreement_id",
            code="agreement_exists",
        )
    return attrs.evolve(holdings, agreements=(*holdings.agreements, agreement)), agreement


def _status_change(
    changes: tuple[StatusChange, ...],
    current: AgreementStatus,
    new: object,
    at: datetime,
    by: str,
    reason: str,
    what: str,
) -> StatusChange:
    change: StatusChange = _model(StatusChange, status=new, at=at, by=by, reason=reason)
    if change.status not in _TRANSITIONS[current]:
        raise IllegalTransition(
            f"{what} cannot go from {current.value} to {change.status.value}",
            field="status",
            code=f"{what}_{current.value}" if current is AgreementStatus.CANCELLED else None,
            details={"from": current.value, "to": change.status.value},
        )
    if changes and change.at < changes[-1].at:
        raise ValidationError(
            "a status change cannot take effect before the previous one",
            field="at",
            code="status_change_out_of_order",
        )
    return change


def change_agreement_status(
    agreement: Agreement, status: object, *, at: datetime, by: str, reason: str
) -> Agreement:
    """Suspend, reinstate or cancel an agreement, effective at ``at``.

    Raises:
        IllegalTransition: not allowed from the current status (a cancelled
            agreement: code ``agreement_cancelled``; otherwise ``illegal_transition``).
    """
    change = _status_change(
        agreement.status_changes, agreement.status, status, at, by, reason, "agreement"
    )
    return attrs.evolve(agreement, status_changes=(*agreement.status_changes, change))


def add_grant(
    catalogue: EntitlementCatalogue,
    holdings: CustomerEntitlements,
    *,
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
    grant: Grant = _model(
        Grant,
        grant_id=f"grant-{len(holdings.grants) + 1}",
        customer_id=holdings.customer_id,
        kind=kind,
        level=level,
        products=products,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        approver=approver,
        granted_by=by,
        granted_at=at,
    )
    if grant.approver.strip().casefold() == grant.granted_by.strip().casefold():
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
    check_text(by, "by")
    check_text(reason, "reason", limit=2000)
    if grant.revoked_at is not None:
        raise IllegalTransition(
            f"grant {grant.grant_id!r} was already revoked",
            field="grant_id",
            code="grant_revoked",
        )
    revoked: Grant = _model(
        attrs.evolve, grant, revoked_at=at, revoked_by=by, revocation_reason=reason
    )
    return revoked


def add_extension(
    holdings: CustomerEntitlements,
    *,
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
    extension: SupportExtension = _model(
        SupportExtension,
        extension_id=extension_id,
        customer_id=holdings.customer_id,
        product=product,
        releases=releases,
        starts_on=starts_on,
        ends_on=ends_on,
        created_at=at,
        created_by=by,
    )
    if holdings.extension(extension_id) is not None:
        raise Conflict(
            f"extension {extension_id!r} already exists",
            field="extension_id",
            code="extension_exists",
        )
    return attrs.evolve(holdings, extensions=(*holdings.extensions, extension)), extension


def change_extension_status(
    extension: SupportExtension, status: object, *, at: datetime, by: str, reason: str
) -> SupportExtension:
    """Suspend, reinstate or cancel an extension, effective at ``at``."""
    change = _status_change(
        extension.status_changes, extension.status, status, at, by, reason, "extension"
    )
    return attrs.evolve(extension, status_changes=(*extension.status_changes, change))


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


def _open(case: SupportCase) -> None:
    if case.status is CaseStatus.CLOSED:
        raise IllegalTransition(
            f"case {case.case_id!r} is closed", field="case_id", code="case_closed"
        )


def escalate(
    catalogue: EntitlementCatalogue, case: SupportCase, *, at: datetime, by: str, reason: str
) -> tuple[SupportCase, EscalationStep]:
    """Escalate an open case one level up the Global Escalation Process.

    Seed: "In the event that you need to escalate a case, our senior technical
    staff is ready and available to help you quickly bring your issue to closure."

    Raises:
        IllegalTransition: the case is closed (``case_closed``), or already at
            the top level (``escalation_top_level``).
    """
    _open(case)
    top = catalogue.top_escalation_level
    if case.escalation_level >= top:
        raise IllegalTransition(
            f"case {case.case_id!r} is already at the top escalation level ({top})",
            field="case_id",
            code="escalation_top_level",
            details={"level": case.escalation_level, "top": top},
        )
    step: EscalationStep = _model(
        EscalationStep,
        from_level=case.escalation_level,
        to_level=case.escalation_level + 1,
        at=at,
        by=by,
        reason=reason,
    )
    updated = attrs.evolve(
        case, escalation_level=step.to_level, escalations=(*case.escalations, step)
    )
    return updated, step


def close_case(case: SupportCase, *, at: datetime, by: str) -> SupportCase:
    """Close an open case; any open remote session ends with it.

    Raises:
        IllegalTransition: already closed (``case_closed``).
    """
    _open(case)
    check_text(by, "by")
    sessions = tuple(
        session if session.ended_at is not None else attrs.evolve(session, ended_at=at, ended_by=by)
        for session in case.remote_sessions
    )
    return attrs.evolve(case, status=CaseStatus.CLOSED, closed_at=at, remote_sessions=sessions)


def start_remote_session(
    case: SupportCase, *, terms_version: str, at: datetime, by: str
) -> tuple[SupportCase, RemoteSession]:
    """Start a remote session on an open case (consent is checked by the service).

    Raises:
        IllegalTransition: the case is closed (``case_closed``).
        Conflict: a session is already open (``remote_session_open``).
    """
    _open(case)
    if any(session.ended_at is None for session in case.remote_sessions):
        raise Conflict(
            f"case {case.case_id!r} already has an open remote session",
            field="case_id",
            code="remote_session_open",
        )
    session: RemoteSession = _model(
        RemoteSession,
        session_id=f"remote-{len(case.remote_sessions) + 1}",
        terms_version=terms_version,
        started_at=at,
        started_by=by,
    )
    return attrs.evolve(case, remote_sessions=(*case.remote_sessions, session)), session


def end_remote_session(
    case: SupportCase, session_id: str, *, at: datetime, by: str
) -> tuple[SupportCase, RemoteSession]:
    """End an open remote session.

    Raises:
        NotFound: no such session (``remote_session_not_found``).
        IllegalTransition: it already ended (``remote_session_ended``).
    """
    check_text(by, "by")
    session = case.session(session_id) if isinstance(session_id, str) else None
    if session is None:
        raise NotFound(
            f"no remote session {session_id!r} on case {case.case_id!r}",
            field="session_id",
            code="remote_session_not_found",
        )
    if session.ended_at is not None:
        raise IllegalTransition(
            f"remote session {session_id!r} already ended",
            field="session_id",
            code="remote_session_ended",
        )
    ended = attrs.evolve(session, ended_at=at, ended_by=by)
    sessions = tuple(ended if s.session_id == session_id else s for s in case.remote_sessions)
    return attrs.evolve(case, remote_sessions=sessions), ended
