"""Rules of language: which language a document and telephone support are given in.

Pure functions over the catalogue and the reader's languages, with
:func:`symprogram.i18n.negotiate`; re-exported by :mod:`symprogram.entitlements.rules`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeAlias

import attrs

from symprogram._checks import check_found, check_instance, check_text
from symprogram.decisions import Decision, Reason
from symprogram.entitlements._rules_cases import refuse
from symprogram.entitlements.models import (
    MAX_TEXT,
    Document,
    EntitlementCatalogue,
    LanguageOutcome,
    TelephoneLine,
)
from symprogram.errors import (
    LimitExceeded,
    SymprogramError,
    ValidationError,
)
from symprogram.i18n import (
    MAX_ACCEPT_LANGUAGE_LENGTH,
    LanguageTag,
    Negotiation,
    direction,
    display_name,
    negotiate,
)

__all__ = [
    "LanguageChoice",
    "Languages",
    "LanguagesKey",
    "choose_language",
    "check_telephone_question",
    "header_key",
    "languages_key",
    "require_telephone_table",
    "telephone_answer",
    "telephone_language",
    "telephone_line",
    "telephone_table_decision",
]

Languages: TypeAlias = str | Sequence[str | LanguageTag] | None
"""The reader's languages: an ``Accept-Language`` header, a list (most preferred
first) or ``None`` (no preference)."""

LanguagesKey: TypeAlias = str | tuple[str | LanguageTag, ...]


# ------------------------------------------------------------------------ languages


def header_key(header: str) -> str:
    """The part of an ``Accept-Language`` header that negotiation reads, as a cache key.

    Only the first :data:`~symprogram.i18n.MAX_ACCEPT_LANGUAGE_LENGTH` characters
    are read (and the next, to tell whether the limit cuts an item in two), so a
    cache never keeps more of a hostile header than that.

    Raises:
        ValidationError: ``header`` is not text (``invalid_languages``, field
            ``languages``).
    """
    text = check_instance(header, str, "languages", code="invalid_languages")
    return str.__str__(text)[: MAX_ACCEPT_LANGUAGE_LENGTH + 1]


def languages_key(languages: object) -> LanguagesKey:
    """Normalize the reader's languages into a hashable key (a header: :func:`header_key`).

    Raises:
        ValidationError: neither a string nor a sequence of strings / tags
            (code ``invalid_languages``, field ``languages``).
    """
    if languages is None:
        return ()
    if isinstance(languages, str):
        return header_key(languages)
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
        location: where that language is served: the local-language site for
            ``local_site``, else the document's ``location`` (e.g.
            ``"https://my.symantec.com"`` for the handbooks); ``None``: where the
            document is listed.
    """

    outcome: LanguageOutcome
    language: str
    name: str
    direction: str
    site_url: str | None
    requested: str | None
    steps: tuple[str, ...]
    location: str | None = None

    @property
    def reason(self) -> Reason:
        """The language reason of a decision (facts: ``language``, and ``location`` or ``url``)."""
        at = "" if self.location is None else f" at {self.location}"
        where = {} if self.location is None else {"location": self.location}
        if self.outcome is LanguageOutcome.SERVED:
            return Reason(
                "language_served",
                f"served in {self.name} ({self.language}){at}",
                {"language": self.language, **where},
            )
        if self.outcome is LanguageOutcome.LOCAL_SITE:
            return Reason(
                "language_local_site",
                f"the {self.language} translation is on the local-language site {self.site_url}",
                {"language": self.language, "url": self.site_url},
            )
        return Reason(
            "language_fallback_english",
            f"none of the reader's languages is available; served in {self.language}{at}",
            {"language": self.language, **where},
        )

    def details(self) -> dict[str, Any]:
        """The decision details contributed by the language choice."""
        return {
            "language": self.language,
            "language_name": self.name,
            "direction": self.direction,
            "language_outcome": self.outcome.value,
            "local_site_url": self.site_url,
            "location": self.location,
            "negotiation": self.steps,
        }


def _negotiate(
    catalogue: EntitlementCatalogue, document: Document, preferred: LanguagesKey
) -> Negotiation:
    try:
        return negotiate(
            preferred,
            catalogue.available_languages(document.id),
            default_regions=dict(catalogue.default_regions),
            default=catalogue.fallback_language,
            prefer=document.languages,  # ties: a direct translation before a local site
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
    candidates. The Enterprise Support page: "Refer to your local language site
    for the following translations". When nothing matches, the catalogue's
    fallback (English) is served. The choice names where the language is served
    (``location``): the local site, else the document's own location ("The
    Enterprise Support Services Handbook will also be available in the above
    languages at https://my.symantec.com"). Preferences of an
    ``Accept-Language`` header that tie (equal ``q``) are not ordered by their
    position in the header: among them the one served directly wins over a local
    site, then the first in code order (``negotiate(..., prefer=)``), and a
    ``q=0`` exclusion always holds.

    Raises:
        ValidationError: an invalid tag in a list (code ``invalid_language_tag``,
            field ``languages``) or languages of the wrong type.
        LimitExceeded: more than 50 languages in a list.
    """
    result = _negotiate(catalogue, document, languages_key(languages))
    outcome, match = _classify(catalogue, document, result)
    site = catalogue.local_site(match) if outcome is LanguageOutcome.LOCAL_SITE else None
    return LanguageChoice(
        outcome=outcome,
        language=match,
        name=display_name(match),
        direction=direction(match),
        site_url=None if site is None else site.url,
        requested=None if result.requested is None else str(result.requested),
        steps=result.steps,
        location=document.location if site is None else site.url,
    )


# ------------------------------------------------------------------------ telephone

_TABLE_NOT_GATED = Reason(
    "telephone_table_public", "the catalogue names no document gating the telephone table"
)


def telephone_table_decision(document_decision: Decision | None, at: datetime) -> Decision:
    """May a reader see the local language telephone support table at ``at``?

    The table is the Local Language Support Table, which the Enterprise Support
    page gates from 2011-01-15 ("the documents listed below will require you to be
    logged into SymAccount to access: ... Local Language Support Table"): the
    answer is that document's decision for the reader (``document_decision``),
    with the same reasons; ``None`` (the catalogue names no gating document):
    allowed, ``telephone_table_public``.
    """
    if document_decision is None:
        return Decision.allow(_TABLE_NOT_GATED, at=at)
    return document_decision


def require_telephone_table(decision: Decision) -> None:
    """Refuse the telephone table to a reader :func:`telephone_table_decision` refuses.

    Raises:
        PermissionDenied: code: the decision's first reason (e.g. ``not_logged_in``,
            ``no_active_agreement``); details ``reasons`` (every code), ``hint``
            and ``document``.
    """
    if not decision.allowed:
        refuse(
            decision,
            "the local language telephone support table is not available to this reader",
            field="reader",
            document=decision.detail("document"),
        )


def telephone_line(catalogue: EntitlementCatalogue, country: object) -> TelephoneLine:
    """The telephone support line serving ``country`` (an ISO 3166 code, any case).

    Raises:
        ValidationError: not a country code string (``invalid_country``).
        NotFound: no line serves ``country`` (``telephone_line_not_found``);
            English support then follows the region's global line.
    """
    check_text(country, "country", limit=MAX_TEXT)
    code = str(country).upper()
    return check_found(
        next((ln for ln in catalogue.telephone_lines if code in ln.countries), None),
        f"no telephone support line lists {country!r}",
        field="country",
        code="telephone_line_not_found",
    )


def check_telephone_question(country: object, languages: object) -> None:
    """Check the types of a telephone language question before the table is consulted.

    Raises:
        ValidationError: ``country`` not a country code string (``invalid_country``),
            ``languages`` neither a header nor a list of tags (``invalid_languages``).
        LimitExceeded: ``country`` too long.
    """
    check_text(country, "country", limit=MAX_TEXT)
    languages_key(languages)


def telephone_answer(
    catalogue: EntitlementCatalogue,
    country: object,
    languages: Languages,
    table_decision: Decision,
    at: datetime,
) -> Decision:
    """The telephone language answer for ``country`` at ``at``, given the reader's table decision.

    The answer is a row of the Local Language Support Table (hours, time zone),
    so it is refused, as the table is, to a reader ``table_decision`` refuses
    (:func:`telephone_table_decision`); then the country's line
    (:func:`telephone_line`) and its language (:func:`telephone_language`).

    Raises:
        PermissionDenied: the table is refused (see :func:`require_telephone_table`).
        NotFound: no line serves ``country`` (``telephone_line_not_found``).
        ValidationError: a bad country or languages.
        LimitExceeded: too many languages.
    """
    require_telephone_table(table_decision)
    line = telephone_line(catalogue, country)
    answer = telephone_language(catalogue, line, languages)
    return attrs.evolve(answer, at=at)


def telephone_language(
    catalogue: EntitlementCatalogue, line: TelephoneLine, languages: Languages
) -> Decision:
    """Which language telephone support on ``line`` can be given in, for this reader.

    The Enterprise Support page: "While English is the primary language used to provide technical
    telephone support, Symantec also offers local language support in certain
    non-English speaking regions."

    Returns an allowed decision with reason ``telephone_local_language`` (a
    local language of the line matches) or ``telephone_english`` (English, the
    primary language, always available); details ``language``,
    ``language_name``, ``direction``, ``hours``, ``time_zone``, ``area``,
    ``region`` and ``negotiation``.

    Raises:
        ValidationError: languages of the wrong type or an invalid tag (field ``languages``).
        LimitExceeded: too many languages.
    """
    key = languages_key(languages)
    try:
        result = negotiate(
            key,
            line.languages,
            default_regions=dict(catalogue.default_regions),
            default=catalogue.primary_language,
        )
    except SymprogramError as exc:
        raise type(exc)(
            exc.message, field="languages", code=exc.code, details=exc.details
        ) from None
    match = str(result.match) if result.match else catalogue.primary_language
    local = not result.fallback and match != catalogue.primary_language
    reason = (
        Reason(
            "telephone_local_language", f"local language support in {match}", {"language": match}
        )
        if local
        else Reason(
            "telephone_english",
            "English is the primary language of telephone support",
            {"language": match},
        )
    )
    return Decision.allow(
        reason,
        details={
            "area": line.area,
            "region": line.region,
            "language": match,
            "language_name": display_name(match),
            "direction": direction(match),
            "hours": line.local_hours if local else line.english_hours,
            "time_zone": line.time_zone,
            "negotiation": result.steps,
        },
    )
