"""The catalogue models of the entitlements context: service levels, gated documents,
local-language sites, telephone lines, escalation levels, the remote-access terms,
and :class:`EntitlementCatalogue`, the validated and indexed whole.

They are re-exported by :mod:`symprogram.entitlements.models`; loading a catalogue
from its TOML files is the job of :mod:`symprogram.entitlements.catalogue`.

The catalogue is indexed once (documents by id, level ranks, the languages of
each document) so that a decision does little work per call, and every listing
is sorted by a key of its own (rank, id, language), so the order of entries in
the files never changes an answer.

Example:
    >>> catalogue = EntitlementCatalogue.default()
    >>> [level.name for level in catalogue.service_levels]
    ['Basic Maintenance', 'Essential Support', 'Business Critical Services']
    >>> catalogue.document("technical_support_policy").languages
    ('en', 'he', 'id', 'th', 'tr')
"""

from __future__ import annotations

import enum
import itertools
import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from symprogram._checks import check_instant, optional, validator
from symprogram._deprecation import warn_deprecated
from symprogram.clock import ensure_utc
from symprogram.errors import ValidationError

__all__ = [
    "Access",
    "AccessRule",
    "Document",
    "EntitlementCatalogue",
    "EscalationLevel",
    "LocalSite",
    "RemoteAccessTerms",
    "RemoteAccessVersion",
    "ServiceLevel",
    "TelephoneLine",
]


def _optional_utc(value: object) -> Any:
    """An aware ``datetime`` in UTC; anything else as given, for the validator to refuse."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return ensure_utc(value, field="effective_from")
    return value


_optional_instant = optional(validator(check_instant))
"""An effective instant: ``None`` or an aware datetime (``naive_datetime``,
``invalid_instant``), so that instants are only ever compared with instants."""


class Access(enum.StrEnum):
    """Who may read a document while an access rule is in force.

    ``public``: anyone; ``login``: a logged-in reader; ``entitlement``: a
    logged-in reader holding, at that instant, an active agreement or grant at
    the document's ``min_level`` or higher.
    """

    PUBLIC = "public"
    LOGIN = "login"
    ENTITLEMENT = "entitlement"


@attrs.frozen
class ServiceLevel:
    """A service level; a higher ``rank`` includes everything a lower one gives.

    Attributes:
        id: stable identifier, e.g. ``"essential_support"``.
        name: display name, e.g. ``"Essential Support"``.
        rank: position in the ranking (unique; higher is more).
        description: what it offers.
    """

    id: str
    name: str
    rank: int
    description: str = ""


@attrs.frozen
class AccessRule:
    """An access rule of a document, in force from ``effective_from`` (``None``: always).

    The Enterprise Support page: "Beginning on January 15, 2011, the documents
    listed below will require you to be logged into SymAccount to access".

    Attributes:
        access: who may read the document while the rule is in force.
        effective_from: when the rule comes into force (``None``: from the beginning),
            held in UTC; a naive one is refused (``naive_datetime``), as is
            anything but a datetime (``invalid_instant``).
        name: the rule's name, given by the catalogue (e.g. ``"service_level"`` or
            ``"symaccount_login"``); a decision names it in its ``rule`` detail, and a
            ``login`` rule that admits a reader gives it as the reason code.
            ``None``: the access value names it.
    """

    access: Access
    effective_from: datetime | None = attrs.field(
        default=None, converter=_optional_utc, validator=_optional_instant
    )
    name: str | None = None

    @property
    def rule_name(self) -> str:
        """The name decisions give the rule: :attr:`name`, else the access value."""
        return self.name if self.name is not None else self.access.value


@attrs.frozen
class Document:
    """A support document and the rules for reading it.

    Attributes:
        id: stable identifier, e.g. ``"business_critical_services_handbook"``.
        title: display title.
        languages: canonical tags of the languages it exists in, sorted.
        local_sites: whether local-language sites serve its other translations.
        min_level: the lowest service level it is for (``None``: any).
        access: its access rules, oldest first (the first has no start).
        location: where its own languages are served (a URL, e.g.
            ``"https://my.symantec.com"`` for the handbooks); ``None``: where the
            document is listed (the Enterprise Support page).
    """

    id: str
    title: str
    languages: tuple[str, ...]
    local_sites: bool
    min_level: str | None
    access: tuple[AccessRule, ...]
    location: str | None = None

    def rule_at(self, at: datetime) -> tuple[AccessRule, AccessRule | None]:
        """The rule in force at ``at`` and the next rule to come into force, if any."""
        current = self.access[0]
        for index, rule in enumerate(self.access):
            start = rule.effective_from
            if start is not None and start > at:
                return current, self.access[index]
            current = rule
        return current, None

    @property
    def gated_from(self) -> datetime | None:
        """The first instant from which reading it is no longer public, if any."""
        for rule in self.access:
            if rule.access is not Access.PUBLIC:
                return rule.effective_from
        return None


@attrs.frozen
class LocalSite:
    """A local-language site serving translations the documents do not carry.

    The Enterprise Support page: "Refer to your local language site for the following translations".

    Attributes:
        language: canonical tag, e.g. ``"zh-Hans"``.
        name: English name, e.g. ``"Simplified Chinese"``.
        url: the site's address.
    """

    language: str
    name: str
    url: str


@attrs.frozen
class TelephoneLine:
    """A row of the local language telephone support table.

    The Enterprise Support page: "While English is the primary language used to provide technical
    telephone support, Symantec also offers local language support in certain
    non-English speaking regions."

    Attributes:
        region: e.g. ``"EMEA"``.
        area: the countries' common name, e.g. ``"Germany, Austria and Switzerland"``.
        countries: ISO 3166 codes, sorted.
        languages: canonical tags; the primary language (English) first.
        english_hours: when English support is available.
        local_hours: when the other languages are available (``time_zone``).
        time_zone: IANA time zone of ``local_hours``.
    """

    region: str
    area: str
    countries: tuple[str, ...]
    languages: tuple[str, ...]
    english_hours: str
    local_hours: str
    time_zone: str


@attrs.frozen
class EscalationLevel:
    """A level of the Global Escalation Process (ranks run 1, 2, 3, ...)."""

    rank: int
    name: str
    description: str = ""


@attrs.frozen
class RemoteAccessVersion:
    """One published version of the Remote Access Standard Terms.

    Attributes:
        version: the version label, e.g. ``"2011-01"``.
        effective_from: the instant it comes into force (``None``: from the beginning),
            held in UTC.

    Raises:
        ValidationError: ``effective_from`` is naive (``naive_datetime``) or no
            datetime (``invalid_instant``).
    """

    version: str
    effective_from: datetime | None = attrs.field(
        default=None, converter=_optional_utc, validator=_optional_instant
    )


def _check_versions(terms: RemoteAccessTerms) -> None:
    if not isinstance(terms.earlier, tuple) or not all(
        isinstance(item, RemoteAccessVersion) for item in terms.earlier
    ):
        raise ValidationError(
            "earlier must be a tuple of RemoteAccessVersion",
            field="earlier",
            code="invalid_remote_access_versions",
        )
    starts = [item.effective_from for item in terms.versions]
    labels = [item.version for item in terms.versions]
    if not all(isinstance(label, str) for label in labels):
        raise ValidationError(
            "a version of the Remote Access Standard Terms is labelled by text",
            field="version",
            code="invalid_remote_access_versions",
        )
    dated = [start for start in starts if start is not None]
    ordered = starts[: len(starts) - len(dated)] == [None] * (len(starts) - len(dated))
    if (
        len(set(labels)) != len(labels)
        or starts.count(None) > 1
        or not ordered
        or any(a >= b for a, b in itertools.pairwise(dated))
    ):
        raise ValidationError(
            "the versions of the Remote Access Standard Terms must have distinct labels "
            "and strictly increasing effective instants (only the first may have none)",
            field="remote_access",
            code="invalid_remote_access_versions",
        )


@attrs.frozen
class RemoteAccessTerms:
    """The Remote Access Standard Terms: the document and its published versions.

    The Enterprise Support page: "Before implementing such remote access we will
    require your express consent to the service terms." Consent counts for the
    version in force at an instant: publishing a new version (:meth:`publish`)
    makes consents to older versions stop counting from its effective instant,
    and the older versions are kept (:attr:`versions`).

    Attributes:
        document: the catalogue document holding the terms.
        version: the latest published version's label.
        effective_from: when the latest version comes into force (``None``: from
            the beginning).
        earlier: the versions published before it, oldest first.

    Raises:
        ValidationError: two versions with the same label, effective instants
            that do not increase, or ``earlier`` not a tuple of
            :class:`RemoteAccessVersion` (``invalid_remote_access_versions``); an
            effective instant that is naive (``naive_datetime``) or no datetime
            (``invalid_instant``), refused before any is compared.

    Example:
        >>> from datetime import datetime, timezone
        >>> terms = RemoteAccessTerms("remote_access_standard_terms", "2011-01")
        >>> newer = terms.publish("2012-06", datetime(2012, 6, 1, tzinfo=timezone.utc))
        >>> newer.version_at(datetime(2012, 5, 31, tzinfo=timezone.utc)).version
        '2011-01'
        >>> [item.version for item in newer.versions]
        ['2011-01', '2012-06']
    """

    document: str
    version: str
    effective_from: datetime | None = attrs.field(
        default=None, converter=_optional_utc, validator=_optional_instant
    )
    earlier: tuple[RemoteAccessVersion, ...] = ()

    def __attrs_post_init__(self) -> None:
        _check_versions(self)

    @property
    def versions(self) -> tuple[RemoteAccessVersion, ...]:
        """Every published version, oldest first (the latest last)."""
        return (*self.earlier, RemoteAccessVersion(self.version, self.effective_from))

    def version_at(self, at: datetime) -> RemoteAccessVersion | None:
        """The version in force at ``at`` (``None``: none had come into force yet).

        Raises:
            ValidationError: ``at`` is not an aware datetime (``naive_datetime``, ...).
        """
        at = ensure_utc(at)
        found: RemoteAccessVersion | None = None
        for item in self.versions:
            if item.effective_from is not None and item.effective_from > at:
                break
            found = item
        return found

    def next_after(self, at: datetime) -> RemoteAccessVersion | None:
        """The first version coming into force after ``at``, if one is published.

        Raises:
            ValidationError: ``at`` is not an aware datetime (``naive_datetime``, ...).
        """
        at = ensure_utc(at)
        for item in self.versions:
            if item.effective_from is not None and item.effective_from > at:
                return item
        return None

    def publish(self, version: str, effective_from: datetime) -> RemoteAccessTerms:
        """These terms with ``version`` published, in force from ``effective_from``.

        The versions published so far are kept; consents to them stop counting
        from ``effective_from``.

        Raises:
            ValidationError: a label already used, or ``effective_from`` not after
                the latest version's (``invalid_remote_access_versions``).
        """
        latest = RemoteAccessVersion(self.version, self.effective_from)
        start = ensure_utc(effective_from, field="effective_from")
        return RemoteAccessTerms(self.document, version, start, earlier=(*self.earlier, latest))


@attrs.frozen(cache_hash=True)
class EntitlementCatalogue:
    """The validated, indexed entitlements catalogue.

    Build one with :meth:`default`, :meth:`load` or :meth:`from_toml`.

    Attributes:
        service_levels: sorted by rank, lowest first.
        documents: sorted by id.
        fallback_language: the language served when none of the reader's is
            available (English).
        default_regions: the region a bare language stands for, e.g. ``{"pt": "BR"}``.
        local_sites: sorted by language.
        telephone_lines: sorted by region then area.
        primary_language: the primary language of telephone support (English).
        escalation_levels: sorted by rank (1, 2, ...).
        remote_access: the Remote Access Standard Terms and their versions, if offered.
        source: where it was loaded from.
        reading: the reading of the page's login rule the catalogue implements
            (``"service_level"``: the default, each handbook for its service level;
            ``"login"``: the page's literal reading, a SymAccount login suffices).
        telephone_document: the document whose readers may see the telephone
            support table (the Local Language Support Table); ``None``: anyone.
    """

    service_levels: tuple[ServiceLevel, ...]
    documents: tuple[Document, ...]
    fallback_language: str
    default_regions: tuple[tuple[str, str], ...]
    local_sites: tuple[LocalSite, ...]
    telephone_lines: tuple[TelephoneLine, ...]
    primary_language: str
    escalation_levels: tuple[EscalationLevel, ...]
    remote_access: RemoteAccessTerms | None
    source: str = "<data>"
    reading: str = "custom"
    telephone_document: str | None = None
    _levels: dict[str, ServiceLevel] = attrs.field(init=False, repr=False, eq=False)
    _documents: dict[str, Document] = attrs.field(init=False, repr=False, eq=False)
    _sites: dict[str, LocalSite] = attrs.field(init=False, repr=False, eq=False)
    _available: dict[str, tuple[str, ...]] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_levels", {level.id: level for level in self.service_levels})
        object.__setattr__(self, "_documents", {doc.id: doc for doc in self.documents})
        object.__setattr__(self, "_sites", {site.language: site for site in self.local_sites})
        available: dict[str, tuple[str, ...]] = {}
        for doc in self.documents:
            languages = set(doc.languages)
            if doc.local_sites:
                languages.update(self._sites)
            available[doc.id] = tuple(sorted(languages))
        object.__setattr__(self, "_available", available)

    # -- loading (the work is done by symprogram.entitlements.catalogue) -------------
    @classmethod
    def default(cls, *, reading: str | None = None) -> EntitlementCatalogue:
        """The catalogue of the Enterprise Support page, loaded once and shared (immutable).

        Args:
            reading: which reading of the page's login rule (see
                :data:`~symprogram.entitlements.catalogue.READINGS`):
                ``"service_level"`` (the default: each handbook is gated by the
                service level it is for) or ``"login"`` (the page's literal
                reading: from 2011-01-15 a SymAccount login suffices).

        Raises:
            ValidationError: an unknown reading (``invalid_reading``).
        """
        from symprogram.entitlements import catalogue

        return catalogue.default(reading=reading)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> EntitlementCatalogue:
        """Load a catalogue from a TOML file or a directory of TOML files (``None``: the default).

        See :func:`symprogram.entitlements.catalogue.load`.

        Raises:
            CatalogueError: missing, not TOML, or an invalid entry (``catalogue_invalid``).
        """
        from symprogram.entitlements import catalogue

        return catalogue.load(path)

    @classmethod
    def from_toml(cls, text: str, *, source: str = "<string>") -> EntitlementCatalogue:
        """Build a catalogue from the text of one TOML document holding every section.

        See :func:`symprogram.entitlements.catalogue.from_toml`.

        Raises:
            CatalogueError: not TOML, or an entry is invalid (``catalogue_invalid``).
        """
        from symprogram.entitlements import catalogue

        return catalogue.from_toml(text, source=source)

    @classmethod
    def from_mapping(
        cls,
        data: Mapping[str, Any],
        *,
        source: str = "<data>",
        sources: Mapping[str, str] | None = None,
    ) -> EntitlementCatalogue:
        """Deprecated since 0.2.0: build from TOML text with :meth:`from_toml` instead."""
        from symprogram.entitlements import catalogue

        warn_deprecated(
            "EntitlementCatalogue.from_mapping()", "EntitlementCatalogue.from_toml()", "0.2.0"
        )
        return catalogue._from_mapping(data, source=source, sources=sources)

    # -- queries ------------------------------------------------------------------
    def level(self, level_id: str) -> ServiceLevel | None:
        """The service level ``level_id``, or ``None``."""
        return self._levels.get(level_id)

    def rank(self, level_id: str) -> int | None:
        """The rank of ``level_id``, or ``None`` for an unknown level."""
        found = self._levels.get(level_id)
        return None if found is None else found.rank

    def document(self, document_id: str) -> Document | None:
        """The document ``document_id``, or ``None``."""
        return self._documents.get(document_id)

    def local_site(self, language: str) -> LocalSite | None:
        """The local-language site for the canonical tag ``language``, or ``None``."""
        return self._sites.get(language)

    def available_languages(self, document_id: str) -> tuple[str, ...]:
        """Every language a document can be read in: its own and (if any) its local sites'."""
        return self._available.get(document_id, ())

    def escalation_level(self, rank: int) -> EscalationLevel | None:
        """The escalation level of ``rank``, or ``None``."""
        if 1 <= rank <= len(self.escalation_levels):
            return self.escalation_levels[rank - 1]
        return None

    @property
    def top_escalation_level(self) -> int:
        """The highest escalation rank (0: escalation not offered)."""
        return len(self.escalation_levels)

    def telephone_support(self, region: str | None = None) -> tuple[TelephoneLine, ...]:
        """The telephone support lines, all or those of ``region`` (case-insensitive)."""
        if region is None:
            return self.telephone_lines
        wanted = region.casefold()
        return tuple(line for line in self.telephone_lines if line.region.casefold() == wanted)
