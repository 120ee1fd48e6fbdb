"""Rules of access: may a reader open a document at an instant, and why.

Pure functions of (catalogue, document, reader, holdings, instant) returning the
reasons of a :class:`~symprogram.decisions.Decision`; re-exported by
:mod:`symprogram.entitlements.rules`, whose docstring lists the reason codes.

What a customer's holdings give at an instant is found in two steps: a *scan*
sorts the records into what :class:`Found` names (the best record in force, the
best one below the level asked for, the latest expired, ...), and
:func:`explain` turns that into reasons and a hint. :func:`scan_holdings` is the
one pass used on the hot path; :func:`scan_holdings_reference` says the same
thing one plain rule at a time, and a property test checks that the two agree
on every input.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import attrs

from symprogram.decisions import Decision, Reason
from symprogram.entitlements._rules_languages import LanguageChoice
from symprogram.entitlements.models import (
    Access,
    Agreement,
    AgreementStatus,
    CustomerEntitlements,
    Document,
    EntitlementCatalogue,
    Grant,
    GrantKind,
    Reader,
)
from symprogram.errors import NotFound, ValidationError

__all__ = [
    "EARLIEST",
    "LATEST",
    "Found",
    "access_decision",
    "decide",
    "decision_window",
    "entitlement_reasons",
    "entitlement_reasons_reference",
    "explain",
    "find_document",
    "reader_of",
    "scan_holdings",
    "scan_holdings_reference",
]

_ALLOW_PRIORITY = {"agreement": 0, GrantKind.COURTESY: 1, GrantKind.TEMPORARY: 2}


# --------------------------------------------------------------------------- inputs


def find_document(catalogue: EntitlementCatalogue, document: object) -> Document:
    """The catalogue's document for a document id or :class:`Document`.

    Raises:
        NotFound: not in the catalogue (``document_not_found``).
    """
    doc_id = document.id if isinstance(document, Document) else document
    found = catalogue.document(doc_id) if isinstance(doc_id, str) else None
    if found is None:
        raise NotFound(
            f"no document {doc_id!r} in the catalogue",
            field="document",
            code="document_not_found",
        )
    return found


def reader_of(reader: object) -> Reader:
    """The :class:`Reader` asking (``None``: anonymous).

    Raises:
        ValidationError: anything else (``invalid_reader``).
    """
    if reader is None:
        return Reader.anonymous()
    if not isinstance(reader, Reader):
        raise ValidationError(
            "reader must be a Reader (or None for an anonymous reader)",
            field="reader",
            code="invalid_reader",
        )
    return reader


# --------------------------------------------------------------------------- levels


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


# ---------------------------------------------------------------------------- scans


@attrs.define
class Found:
    """What a customer's holdings hold at an instant, for the level asked for.

    Attributes:
        best: the record in force at that level or higher that gives access
            (agreements first, then courtesy, then temporary grants; the latest
            last day first, then the id).
        low: the highest-ranked record in force below that level (the first such).
        expired: the agreement that ended last (then the greatest id).
        future: the agreement that starts first (then the least id).
        inactive: the agreements whose dates cover the instant but that were
            suspended or cancelled then, with that status, in the order held.
        revoked: the grant with the least id among those revoked by then.
        grant_ended: the grant that ended last (then the greatest id).
        grant_future: the grant that starts first (then the least id).
    """

    best: Agreement | Grant | None = None
    low: Agreement | Grant | None = None
    expired: Agreement | None = None
    future: Agreement | None = None
    inactive: list[tuple[Agreement, AgreementStatus]] = attrs.Factory(list)
    revoked: Grant | None = None
    grant_ended: Grant | None = None
    grant_future: Grant | None = None
    best_key: tuple[int, int, str] | None = attrs.field(default=None, eq=False, repr=False)


def scan_holdings(
    catalogue: EntitlementCatalogue,
    holdings: CustomerEntitlements | None,
    required_level: str,
    at: datetime,
    *,
    product: str | None = None,
) -> Found:
    """Sort ``holdings`` into a :class:`Found` in one pass (the hot path).

    With ``product``, only records covering that product count.
    """
    found = Found()
    if holdings is None:
        return found
    required = _rank(catalogue, required_level)
    day = at.date()
    if holdings.agreements:
        _scan_agreements(found, catalogue, holdings.agreements, required, day, at, product)
    if holdings.grants:
        _scan_grants(found, catalogue, holdings.grants, required, day, at, product)
    return found


def _scan_agreements(
    found: Found,
    catalogue: EntitlementCatalogue,
    agreements: tuple[Agreement, ...],
    required: int,
    day: date,
    at: datetime,
    product: str | None,
) -> None:
    active = AgreementStatus.ACTIVE
    for agreement in agreements:
        if product is not None and product not in agreement.products:
            continue
        if agreement.starts_on <= day <= agreement.ends_on:
            status = agreement.status_at(at) if agreement.status_changes else active
            if status is not active:
                found.inactive.append((agreement, status))
            elif _rank(catalogue, agreement.level) >= required:
                _offer_best(found, agreement)
            else:
                _offer_low(found, catalogue, agreement)
        elif agreement.ends_on < day:
            last = found.expired
            if last is None or (agreement.ends_on, agreement.agreement_id) > (
                last.ends_on,
                last.agreement_id,
            ):
                found.expired = agreement
        else:
            first = found.future
            if first is None or (agreement.starts_on, agreement.agreement_id) < (
                first.starts_on,
                first.agreement_id,
            ):
                found.future = agreement


def _scan_grants(
    found: Found,
    catalogue: EntitlementCatalogue,
    grants: tuple[Grant, ...],
    required: int,
    day: date,
    at: datetime,
    product: str | None,
) -> None:
    for grant in grants:
        if product is not None and product not in grant.products:
            continue
        if grant.starts_on <= day <= grant.ends_on:
            if grant.revoked_at is not None and grant.revoked_at <= at:
                if found.revoked is None or grant.grant_id < found.revoked.grant_id:
                    found.revoked = grant
            elif _rank(catalogue, grant.level) >= required:
                _offer_best(found, grant)
            else:
                _offer_low(found, catalogue, grant)
        elif grant.ends_on < day:
            last = found.grant_ended
            if last is None or (grant.ends_on, grant.grant_id) > (last.ends_on, last.grant_id):
                found.grant_ended = grant
        else:
            first = found.grant_future
            if first is None or (grant.starts_on, grant.grant_id) < (
                first.starts_on,
                first.grant_id,
            ):
                found.grant_future = grant


def _offer_best(found: Found, source: Agreement | Grant) -> None:
    if found.best is None:
        found.best = source
        return
    key = _allow_key(source)
    best_key = found.best_key or _allow_key(found.best)
    if key < best_key:
        found.best, best_key = source, key
    found.best_key = best_key


def _offer_low(found: Found, catalogue: EntitlementCatalogue, source: Agreement | Grant) -> None:
    if found.low is None or _rank(catalogue, source.level) > _rank(catalogue, found.low.level):
        found.low = source


def scan_holdings_reference(
    catalogue: EntitlementCatalogue,
    holdings: CustomerEntitlements | None,
    required_level: str,
    at: datetime,
    *,
    product: str | None = None,
) -> Found:
    """:func:`scan_holdings` written one plain rule at a time (the reference).

    Each field of :class:`Found` is the least or greatest record, by its own key,
    of the records a small rule picks; ties go to the record held first.
    """
    day = at.date()
    required = _rank(catalogue, required_level)
    held = holdings if holdings is not None else CustomerEntitlements("nobody")
    agreements = [a for a in held.agreements if _for_product(a, product)]
    grants = [g for g in held.grants if _for_product(g, product)]
    current = [a for a in agreements if a.covers(day)]
    standing = [g for g in grants if g.covers(day)]
    in_force: list[Agreement | Grant] = [
        *(a for a in current if a.status_at(at) is AgreementStatus.ACTIVE),
        *(g for g in standing if not g.revoked_by_then(at)),
    ]

    def rank(source: Agreement | Grant) -> int:
        return _rank(catalogue, source.level)

    return Found(
        best=min((s for s in in_force if rank(s) >= required), key=_allow_key, default=None),
        low=max((s for s in in_force if rank(s) < required), key=rank, default=None),
        expired=max((a for a in agreements if a.ends_on < day), key=_last_day, default=None),
        future=min((a for a in agreements if a.starts_on > day), key=_first_day, default=None),
        inactive=[
            (a, a.status_at(at)) for a in current if a.status_at(at) is not AgreementStatus.ACTIVE
        ],
        revoked=min((g for g in standing if g.revoked_by_then(at)), key=_grant_id, default=None),
        grant_ended=max((g for g in grants if g.ends_on < day), key=_last_day, default=None),
        grant_future=min((g for g in grants if g.starts_on > day), key=_first_day, default=None),
    )


def _for_product(source: Agreement | Grant, product: str | None) -> bool:
    return product is None or product in source.products


def _record_id(source: Agreement | Grant) -> str:
    return source.agreement_id if isinstance(source, Agreement) else source.grant_id


def _last_day(source: Agreement | Grant) -> tuple[date, str]:
    return source.ends_on, _record_id(source)


def _first_day(source: Agreement | Grant) -> tuple[date, str]:
    return source.starts_on, _record_id(source)


def _grant_id(grant: Grant) -> str:
    return grant.grant_id


# -------------------------------------------------------------------------- reasons


def explain(
    catalogue: EntitlementCatalogue,
    found: Found,
    required_level: str,
    *,
    product: str | None = None,
) -> tuple[bool, list[Reason], str | None]:
    """The answer, reasons and hint of what a scan found.

    Returns:
        ``(allowed, reasons, hint)``.
    """
    if found.best is not None:
        reason = _allow_reason(catalogue, found.best)
        if isinstance(found.best, Grant):
            return (
                True,
                [reason],
                f"access through this entitlement ends after {found.best.ends_on}",
            )
        return True, [reason], None
    reasons, hint = _refusal(catalogue, found.low, required_level, product)
    required = _rank(catalogue, required_level)

    def relevant(level: str) -> bool:
        return found.low is None or _rank(catalogue, level) >= required

    hint = _agreement_notes(found, relevant, reasons, hint)
    _grant_notes(found, relevant, reasons)
    return False, reasons, hint


def _refusal(
    catalogue: EntitlementCatalogue,
    low: Agreement | Grant | None,
    required_level: str,
    product: str | None,
) -> tuple[list[Reason], str]:
    required_name = _level_name(catalogue, required_level)
    if low is not None:
        reason = Reason(
            "level_too_low",
            f"{_level_name(catalogue, low.level)} is below {required_name}",
            {"level": low.level, "required": required_level},
        )
        return [reason], f"upgrade to {required_name} or higher"
    reason = Reason(
        "no_active_agreement",
        "no active support agreement or entitlement"
        + ("" if product is None else f" covers {product}"),
        {"required": required_level},
    )
    return [reason], f"a support agreement at {required_name} or higher gives access"


def _agreement_notes(
    found: Found, relevant: Callable[[str], bool], reasons: list[Reason], hint: str
) -> str:
    for agreement, status in sorted(found.inactive, key=lambda item: item[0].agreement_id):
        if relevant(agreement.level):
            reasons.append(
                Reason(
                    f"agreement_{status.value}",
                    f"agreement {agreement.agreement_id} is {status.value}",
                    {"agreement_id": agreement.agreement_id},
                )
            )
            if status is AgreementStatus.SUSPENDED and found.low is None:
                hint = f"reinstate the suspended agreement {agreement.agreement_id}"
    expired = found.expired
    if expired is not None and relevant(expired.level):
        reasons.append(
            Reason(
                "agreement_expired",
                f"agreement {expired.agreement_id} expired on {expired.ends_on} (its last day)",
                {"agreement_id": expired.agreement_id, "ended_on": expired.ends_on},
            )
        )
        if found.low is None and not found.inactive:
            hint = f"renew the support agreement that expired on {expired.ends_on}"
    future = found.future
    if future is not None and relevant(future.level):
        reasons.append(
            Reason(
                "agreement_not_started",
                f"agreement {future.agreement_id} starts on {future.starts_on}",
                {"agreement_id": future.agreement_id, "starts_on": future.starts_on},
            )
        )
    return hint


def _grant_notes(found: Found, relevant: Callable[[str], bool], reasons: list[Reason]) -> None:
    revoked = found.revoked
    if revoked is not None and relevant(revoked.level):
        reasons.append(
            Reason(
                "entitlement_revoked",
                f"{revoked.kind.value} entitlement {revoked.grant_id} was revoked",
                {"grant_id": revoked.grant_id, "revoked_at": revoked.revoked_at},
            )
        )
    ended = found.grant_ended
    if ended is not None and relevant(ended.level):
        reasons.append(
            Reason(
                "entitlement_expired",
                f"{ended.kind.value} entitlement {ended.grant_id} ended on {ended.ends_on}",
                {"grant_id": ended.grant_id, "ended_on": ended.ends_on},
            )
        )
    future = found.grant_future
    if future is not None and relevant(future.level):
        reasons.append(
            Reason(
                "entitlement_not_started",
                f"{future.kind.value} entitlement {future.grant_id} starts on {future.starts_on}",
                {"grant_id": future.grant_id, "starts_on": future.starts_on},
            )
        )


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
    found = scan_holdings(catalogue, holdings, required_level, at, product=product)
    return explain(catalogue, found, required_level, product=product)


def entitlement_reasons_reference(
    catalogue: EntitlementCatalogue,
    holdings: CustomerEntitlements | None,
    required_level: str,
    at: datetime,
    *,
    product: str | None = None,
) -> tuple[bool, list[Reason], str | None]:
    """:func:`entitlement_reasons` over :func:`scan_holdings_reference` (the reference)."""
    found = scan_holdings_reference(catalogue, holdings, required_level, at, product=product)
    return explain(catalogue, found, required_level, product=product)


# --------------------------------------------------------------------------- access


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
