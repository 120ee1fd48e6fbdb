"""Rules of access: may a reader open a document at an instant, and why.

Pure functions of (catalogue, document, reader, holdings, instant) returning the
reasons of a :class:`~symprogram.decisions.Decision`, and the window of instants
over which such an answer holds; re-exported by
:mod:`symprogram.entitlements.rules`, whose docstring lists the reason codes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from symprogram._checks import check_found, shown
from symprogram._deprecation import warn_deprecated
from symprogram.decisions import Decision, Reason
from symprogram.entitlements._rules_holdings import entitlement_reasons
from symprogram.entitlements._rules_languages import LanguageChoice
from symprogram.entitlements.models import (
    Access,
    AccessRule,
    CustomerEntitlements,
    Document,
    EntitlementCatalogue,
    Reader,
)
from symprogram.errors import ValidationError

__all__ = [
    "EARLIEST",
    "LATEST",
    "access_decision",
    "decide",
    "decision_window",
    "find_document",
    "reader_of",
    "require_document",
]

# --------------------------------------------------------------------------- inputs


def require_document(catalogue: EntitlementCatalogue, document: object) -> Document:
    """The catalogue's document for a document id or :class:`Document`.

    Raises:
        NotFound: not in the catalogue (``document_not_found``).
    """
    doc_id = document.id if isinstance(document, Document) else document
    return check_found(
        catalogue.document(doc_id) if isinstance(doc_id, str) else None,
        f"no document {shown(doc_id)} in the catalogue",
        field="document",
        code="document_not_found",
    )


def find_document(catalogue: EntitlementCatalogue, document: object) -> Document:
    """Deprecated name of :func:`require_document` (a ``find_`` answers ``None``; this raises).

    Raises:
        NotFound: not in the catalogue (``document_not_found``).
    """
    warn_deprecated("rules.find_document()", "rules.require_document()", "0.2")
    return require_document(catalogue, document)


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


# --------------------------------------------------------------------------- access


def access_decision(
    catalogue: EntitlementCatalogue,
    document: Document,
    reader: Reader,
    holdings: CustomerEntitlements | None,
    at: datetime,
) -> tuple[bool, list[Reason], str | None, Access]:
    """Whether ``reader`` may open ``document`` at ``at``, without the language part.

    The Enterprise Support page: "Beginning on January 15, 2011, the documents
    listed below will require you to be logged into SymAccount to access".
    Before the document's first gating rule it is public
    (``public_before_login_requirement``). Which rule gates it is catalogue data:
    an ``entitlement`` rule (the default catalogue's ``service_level`` reading)
    needs an agreement or grant at the document's level, a ``login`` rule (the
    ``login`` reading: "If you already have a SymAccount login there is nothing
    further that you need to do") only a login, and a login rule that admits the
    reader gives its name as the reason code (``symaccount_login``).

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
            return True, [_logged_in(rule)], None, rule.access
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
_SYMACCOUNT_LOGIN = Reason(
    "symaccount_login",
    'a SymAccount login suffices (the Enterprise Support page: "If you already have a '
    'SymAccount login there is nothing further that you need to do")',
)


def _logged_in(rule: AccessRule) -> Reason:
    # A login rule that admits the reader is named by its reason code.
    if rule.name is None or rule.name == "logged_in":
        return _LOGGED_IN
    if rule.name == "symaccount_login":
        return _SYMACCOUNT_LOGIN
    return Reason(rule.name, f"the reader is logged in, which suffices under rule {rule.name}")


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

    Details: ``document``, ``access`` (rule in force), ``rule`` (its name, e.g.
    ``service_level`` or ``symaccount_login``), ``required_level``, ``language``,
    ``language_name``, ``direction``, ``language_outcome``, ``local_site_url``,
    ``location`` and ``negotiation`` (the steps).
    """
    allowed, reasons, hint, access = access_decision(catalogue, document, reader, holdings, at)
    details = language.details()
    details["document"] = document.id
    details["access"] = access.value
    details["rule"] = document.rule_at(at)[0].rule_name
    details["required_level"] = document.min_level
    reasons.append(language.reason)
    return Decision(allowed, reasons, hint, at, details)
