"""The entitlements catalogue: service levels, gated documents, languages, sites,
telephone support, escalation levels and the remote-access terms, as data.

The default catalogue ships as TOML files in ``symprogram/data/entitlements/``
and is taken from seed 001; a host replaces it with its own file or directory
(:meth:`EntitlementCatalogue.load`). Everything is validated on load: a bad
entry raises :class:`~symprogram.errors.CatalogueError` (code
``catalogue_invalid``) whose ``field`` and ``details`` name the file, the entry
and the problem.

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
import functools
import os
import tomllib
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, NoReturn

import attrs

from symprogram.clock import ensure_utc, start_of_day
from symprogram.errors import CatalogueError, SymprogramError
from symprogram.i18n import negotiate, parse_tag

__all__ = [
    "Access",
    "AccessRule",
    "Document",
    "EntitlementCatalogue",
    "EscalationLevel",
    "LocalSite",
    "RemoteAccessTerms",
    "ServiceLevel",
    "TelephoneLine",
]

_SECTIONS = frozenset(
    {
        "service_level",
        "document",
        "languages",
        "local_site",
        "telephone_support",
        "escalation",
        "remote_access",
    }
)


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

    Seed: "Beginning on January 15, 2011, the documents listed below will require
    you to be logged into SymAccount to access".
    """

    access: Access
    effective_from: datetime | None = None


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
    """

    id: str
    title: str
    languages: tuple[str, ...]
    local_sites: bool
    min_level: str | None
    access: tuple[AccessRule, ...]

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

    Seed: "Refer to your local language site for the following translations".

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

    Seed: "While English is the primary language used to provide technical
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
class RemoteAccessTerms:
    """The current Remote Access Standard Terms: the document and its version."""

    document: str
    version: str


# ---------------------------------------------------------------------- validation


class _Checker:
    """Builds :class:`CatalogueError` s that name the file, the entry and the field."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self.sources = sources

    def fail(self, section: str, entry: str, problem: str, *, key: str | None = None) -> NoReturn:
        where = entry if key is None else f"{entry}.{key}"
        raise CatalogueError(
            f"{self.sources.get(section, '<data>')}: {where}: {problem}",
            field=where,
            details={
                "file": self.sources.get(section, "<data>"),
                "entry": entry,
                "problem": problem,
            },
        )

    def table(self, value: object, section: str, entry: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.fail(section, entry, "must be a table")
        return value

    def tables(self, value: object, section: str) -> list[Mapping[str, Any]]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(section, section, "must be an array of tables")
        return [self.table(item, section, f"{section}[{i}]") for i, item in enumerate(value)]

    def keys(
        self,
        table: Mapping[str, Any],
        section: str,
        entry: str,
        required: Sequence[str],
        optional: Sequence[str] = (),
    ) -> None:
        for key in required:
            if key not in table:
                self.fail(section, entry, "is missing", key=key)
        unknown = sorted(set(table) - set(required) - set(optional))
        if unknown:
            self.fail(section, entry, f"unknown key {unknown[0]!r}", key=unknown[0])

    def text(self, table: Mapping[str, Any], key: str, section: str, entry: str) -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(section, entry, "must be a non-blank string", key=key)
        return value

    def optional_text(
        self, table: Mapping[str, Any], key: str, section: str, entry: str, default: str = ""
    ) -> str:
        if key not in table:
            return default
        value = table[key]
        if not isinstance(value, str):
            self.fail(section, entry, "must be a string", key=key)
        return value

    def integer(self, table: Mapping[str, Any], key: str, section: str, entry: str) -> int:
        value = table.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(section, entry, "must be an integer", key=key)
        return value

    def boolean(
        self, table: Mapping[str, Any], key: str, section: str, entry: str, default: bool
    ) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.fail(section, entry, "must be true or false", key=key)
        return value

    def strings(self, table: Mapping[str, Any], key: str, section: str, entry: str) -> list[str]:
        value = table.get(key)
        if not isinstance(value, list) or not value:
            self.fail(section, entry, "must be a non-empty array of strings", key=key)
        for item in value:
            if not isinstance(item, str) or not item.strip():
                self.fail(section, entry, "must be a non-empty array of strings", key=key)
        return list(value)

    def tag(self, value: str, section: str, entry: str, key: str) -> str:
        try:
            return str(parse_tag(value))
        except SymprogramError:
            self.fail(section, entry, f"{value!r} is not a valid language tag", key=key)

    def tags(self, table: Mapping[str, Any], key: str, section: str, entry: str) -> list[str]:
        result = [
            self.tag(v, section, entry, key) for v in self.strings(table, key, section, entry)
        ]
        if len(set(result)) != len(result):
            self.fail(section, entry, "lists a language twice", key=key)
        return result

    def instant(self, value: object, section: str, entry: str, key: str) -> datetime:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                self.fail(section, entry, "an instant needs a UTC offset", key=key)
            return ensure_utc(value)
        if isinstance(value, date):
            return start_of_day(value)
        if isinstance(value, str):
            try:
                parsed: date = (
                    datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
                )
            except ValueError:
                self.fail(section, entry, f"{value!r} is not an ISO date or instant", key=key)
            return self.instant(parsed, section, entry, key)
        self.fail(section, entry, "must be a date or an instant", key=key)


def _entry_name(section: str, index: int, table: Mapping[str, Any], key: str = "id") -> str:
    value = table.get(key)
    return f"{section}[{index}]" + (f" {value!r}" if isinstance(value, str | int) else "")


# ----------------------------------------------------------------------- catalogue


@attrs.frozen(eq=False)
class EntitlementCatalogue:
    """The validated, indexed entitlements catalogue.

    Build one with :meth:`default`, :meth:`load` or :meth:`from_mapping`.

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
        remote_access: the current Remote Access Standard Terms, if offered.
        source: where it was loaded from.
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
    _levels: dict[str, ServiceLevel] = attrs.field(init=False, repr=False)
    _documents: dict[str, Document] = attrs.field(init=False, repr=False)
    _sites: dict[str, LocalSite] = attrs.field(init=False, repr=False)
    _available: dict[str, tuple[str, ...]] = attrs.field(init=False, repr=False)

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

    # -- loading ---------------------------------------------------------------
    @classmethod
    def default(cls) -> EntitlementCatalogue:
        """The catalogue of seed 001, loaded once and shared (it is immutable)."""
        return _default()

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> EntitlementCatalogue:
        """Load a catalogue from a TOML file or a directory of TOML files.

        A directory's ``*.toml`` files are read in name order and merged; a
        top-level section may appear in only one file.

        Args:
            path: the file or directory; ``None``: the default catalogue.

        Raises:
            CatalogueError: the file is missing, is not TOML, or an entry is
                invalid (code ``catalogue_invalid``; ``field`` and ``details``
                name the entry).
        """
        if path is None:
            return cls.default()
        if not isinstance(path, str | os.PathLike):
            raise CatalogueError(
                "path must be a file or directory path",
                field="path",
                details={"file": repr(path), "entry": "path", "problem": "not a path"},
            )
        return cls._from_traversable(Path(path))

    @classmethod
    def _from_traversable(cls, root: Traversable) -> EntitlementCatalogue:
        if root.is_dir():
            files = sorted(
                (item for item in root.iterdir() if item.name.endswith(".toml")),
                key=lambda item: item.name,
            )
            if not files:
                raise CatalogueError(
                    f"{root}: no .toml files",
                    field="path",
                    details={"file": str(root), "entry": "path", "problem": "no .toml files"},
                )
        elif root.is_file():
            files = [root]
        else:
            raise CatalogueError(
                f"{root}: no such file or directory",
                field="path",
                details={"file": str(root), "entry": "path", "problem": "not found"},
            )
        merged: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for item in files:
            name = str(item)
            try:
                data = tomllib.loads(item.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
                raise CatalogueError(
                    f"{name}: not a readable TOML file: {exc}",
                    field="path",
                    details={"file": name, "entry": "file", "problem": str(exc)},
                ) from exc
            for key, value in data.items():
                if key in merged:
                    raise CatalogueError(
                        f"{name}: section {key!r} is also defined in {sources[key]}",
                        field=key,
                        details={"file": name, "entry": key, "problem": "defined twice"},
                    )
                merged[key] = value
                sources[key] = name
        return cls.from_mapping(merged, source=str(root), sources=sources)

    @classmethod
    def from_mapping(
        cls,
        data: Mapping[str, Any],
        *,
        source: str = "<data>",
        sources: Mapping[str, str] | None = None,
    ) -> EntitlementCatalogue:
        """Build a catalogue from already-parsed TOML data.

        Args:
            data: the top-level sections (``service_level``, ``document``,
                ``languages``, ``local_site``, ``telephone_support``,
                ``escalation``, ``remote_access``).
            source: a name for error messages.
            sources: the file each section came from, for error messages.

        Raises:
            CatalogueError: an entry is invalid.
        """
        if not isinstance(data, Mapping):
            raise CatalogueError(
                f"{source}: the catalogue must be a table",
                field="catalogue",
                details={"file": source, "entry": "catalogue", "problem": "must be a table"},
            )
        check = _Checker(sources if sources is not None else dict.fromkeys(data, source))
        unknown = sorted(set(data) - _SECTIONS)
        if unknown:
            check.fail(unknown[0], unknown[0], "unknown section")
        levels = _levels(check, data.get("service_level"))
        fallback, regions = _languages(check, data.get("languages"))
        documents = _documents(check, data.get("document"), levels, fallback)
        sites = _sites(check, data.get("local_site"))
        primary, lines = _telephone(check, data.get("telephone_support"), fallback)
        escalation = _escalation(check, data.get("escalation"))
        remote = _remote(check, data.get("remote_access"), documents)
        return cls(
            service_levels=tuple(sorted(levels.values(), key=lambda level: level.rank)),
            documents=tuple(sorted(documents.values(), key=lambda doc: doc.id)),
            fallback_language=fallback,
            default_regions=regions,
            local_sites=tuple(sorted(sites, key=lambda site: site.language)),
            telephone_lines=tuple(sorted(lines, key=lambda line: (line.region, line.area))),
            primary_language=primary,
            escalation_levels=escalation,
            remote_access=remote,
            source=source,
        )

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


@functools.cache
def _default() -> EntitlementCatalogue:
    root = resources.files("symprogram").joinpath("data", "entitlements")
    return EntitlementCatalogue._from_traversable(root)


# ------------------------------------------------------------------------ sections


def _levels(check: _Checker, raw: object) -> dict[str, ServiceLevel]:
    section = "service_level"
    tables = check.tables(raw, section)
    if not tables:
        check.fail(section, section, "at least one service level is required")
    levels: dict[str, ServiceLevel] = {}
    ranks: set[int] = set()
    for i, table in enumerate(tables):
        entry = _entry_name(section, i, table)
        check.keys(table, section, entry, ("id", "name", "rank"), ("description",))
        level = ServiceLevel(
            id=check.text(table, "id", section, entry),
            name=check.text(table, "name", section, entry),
            rank=check.integer(table, "rank", section, entry),
            description=check.optional_text(table, "description", section, entry),
        )
        if level.id in levels:
            check.fail(section, entry, "duplicate id", key="id")
        if level.rank in ranks:
            check.fail(section, entry, "duplicate rank", key="rank")
        levels[level.id] = level
        ranks.add(level.rank)
    return levels


def _languages(check: _Checker, raw: object) -> tuple[str, tuple[tuple[str, str], ...]]:
    section = "languages"
    if raw is None:
        return "en", ()
    table = check.table(raw, section, section)
    check.keys(table, section, section, (), ("fallback", "default_regions"))
    fallback = check.tag(
        check.optional_text(table, "fallback", section, section, "en"), section, section, "fallback"
    )
    regions_raw = check.table(table.get("default_regions", {}), section, section)
    regions: dict[str, str] = {}
    for key, value in regions_raw.items():
        if not isinstance(value, str):
            check.fail(
                section, section, "must map languages to region codes", key="default_regions"
            )
        regions[key] = value
    try:
        negotiate([], [fallback], default_regions=regions, default=fallback)
    except SymprogramError as exc:
        check.fail(section, section, exc.message, key="default_regions")
    return fallback, tuple(sorted(regions.items()))


def _access_rules(check: _Checker, raw: object, section: str, entry: str) -> tuple[AccessRule, ...]:
    if not isinstance(raw, list) or not raw:
        check.fail(section, entry, "must be a non-empty array of access rules", key="access")
    rules: list[AccessRule] = []
    for j, item in enumerate(raw):
        key = f"access[{j}]"
        table = check.table(item, section, f"{entry}.{key}")
        check.keys(table, section, f"{entry}.{key}", ("access",), ("from",))
        value = table["access"]
        try:
            access = Access(value)
        except ValueError:
            check.fail(
                section, entry, f"{value!r} is not one of public, login, entitlement", key=key
            )
        start = None if "from" not in table else check.instant(table["from"], section, entry, key)
        rules.append(AccessRule(access, start))
    bases = [rule for rule in rules if rule.effective_from is None]
    if len(bases) != 1:
        check.fail(section, entry, "exactly one access rule must have no 'from'", key="access")
    dated = sorted(
        (rule for rule in rules if rule.effective_from is not None),
        key=lambda rule: rule.effective_from or datetime.min,
    )
    starts = [rule.effective_from for rule in dated]
    if len(set(starts)) != len(starts):
        check.fail(section, entry, "two access rules start at the same instant", key="access")
    return (bases[0], *dated)


def _documents(
    check: _Checker, raw: object, levels: Mapping[str, ServiceLevel], fallback: str
) -> dict[str, Document]:
    section = "document"
    documents: dict[str, Document] = {}
    for i, table in enumerate(check.tables(raw, section)):
        entry = _entry_name(section, i, table)
        check.keys(
            table,
            section,
            entry,
            ("id", "title", "languages", "access"),
            ("min_level", "local_sites", "description"),
        )
        doc_id = check.text(table, "id", section, entry)
        if doc_id in documents:
            check.fail(section, entry, "duplicate id", key="id")
        languages = check.tags(table, "languages", section, entry)
        if fallback not in languages:
            check.fail(
                section, entry, f"must exist in the fallback language {fallback!r}", key="languages"
            )
        min_level: str | None = None
        if "min_level" in table:
            min_level = check.text(table, "min_level", section, entry)
            if min_level not in levels:
                check.fail(section, entry, f"unknown service level {min_level!r}", key="min_level")
        rules = _access_rules(check, table.get("access"), section, entry)
        if min_level is None and any(rule.access is Access.ENTITLEMENT for rule in rules):
            check.fail(section, entry, "an entitlement rule needs a min_level", key="min_level")
        documents[doc_id] = Document(
            id=doc_id,
            title=check.text(table, "title", section, entry),
            languages=tuple(sorted(languages)),
            local_sites=check.boolean(table, "local_sites", section, entry, False),
            min_level=min_level,
            access=rules,
        )
    if not documents:
        check.fail(section, section, "at least one document is required")
    return documents


def _sites(check: _Checker, raw: object) -> list[LocalSite]:
    section = "local_site"
    sites: dict[str, LocalSite] = {}
    for i, table in enumerate(check.tables(raw, section)):
        entry = _entry_name(section, i, table, "language")
        check.keys(table, section, entry, ("language", "name", "url"))
        language = check.tag(
            check.text(table, "language", section, entry), section, entry, "language"
        )
        if language in sites:
            check.fail(section, entry, "a second site for this language", key="language")
        url = check.text(table, "url", section, entry)
        if not url.startswith(("https://", "http://")):
            check.fail(section, entry, "must be an http(s) URL", key="url")
        sites[language] = LocalSite(language, check.text(table, "name", section, entry), url)
    return list(sites.values())


def _telephone(check: _Checker, raw: object, fallback: str) -> tuple[str, list[TelephoneLine]]:
    section = "telephone_support"
    if raw is None:
        return fallback, []
    table = check.table(raw, section, section)
    check.keys(table, section, section, (), ("primary_language", "example_data", "line"))
    primary = check.tag(
        check.optional_text(table, "primary_language", section, section, fallback),
        section,
        section,
        "primary_language",
    )
    check.boolean(table, "example_data", section, section, False)
    lines: list[TelephoneLine] = []
    seen: set[tuple[str, str]] = set()
    for i, line in enumerate(check.tables(table.get("line"), section)):
        entry = f"{section}.line[{i}]"
        area = line.get("area")
        if isinstance(area, str):
            entry += f" {area!r}"
        check.keys(
            line,
            section,
            entry,
            (
                "region",
                "area",
                "countries",
                "languages",
                "english_hours",
                "local_hours",
                "time_zone",
            ),
        )
        languages = check.tags(line, "languages", section, entry)
        if languages[0] != primary:
            check.fail(
                section, entry, f"the primary language {primary!r} must come first", key="languages"
            )
        countries = check.strings(line, "countries", section, entry)
        for country in countries:
            if len(country) != 2 or not country.isascii() or not country.isupper():
                check.fail(section, entry, f"{country!r} is not an ISO 3166 code", key="countries")
        key = (check.text(line, "region", section, entry), check.text(line, "area", section, entry))
        if key in seen:
            check.fail(section, entry, "duplicate region and area", key="area")
        seen.add(key)
        lines.append(
            TelephoneLine(
                region=key[0],
                area=key[1],
                countries=tuple(sorted(countries)),
                languages=tuple(languages),
                english_hours=check.text(line, "english_hours", section, entry),
                local_hours=check.text(line, "local_hours", section, entry),
                time_zone=check.text(line, "time_zone", section, entry),
            )
        )
    return primary, lines


def _escalation(check: _Checker, raw: object) -> tuple[EscalationLevel, ...]:
    section = "escalation"
    if raw is None:
        return ()
    table = check.table(raw, section, section)
    check.keys(table, section, section, (), ("example_data", "level"))
    check.boolean(table, "example_data", section, section, False)
    levels: list[EscalationLevel] = []
    for i, level in enumerate(check.tables(table.get("level"), section)):
        entry = _entry_name(f"{section}.level", i, level, "rank")
        check.keys(level, section, entry, ("rank", "name"), ("description",))
        levels.append(
            EscalationLevel(
                rank=check.integer(level, "rank", section, entry),
                name=check.text(level, "name", section, entry),
                description=check.optional_text(level, "description", section, entry),
            )
        )
    levels.sort(key=lambda level: level.rank)
    if [level.rank for level in levels] != list(range(1, len(levels) + 1)):
        check.fail(section, f"{section}.level", "ranks must be 1, 2, 3, ... without gaps")
    return tuple(levels)


def _remote(
    check: _Checker, raw: object, documents: Mapping[str, Document]
) -> RemoteAccessTerms | None:
    section = "remote_access"
    if raw is None:
        return None
    table = check.table(raw, section, section)
    check.keys(table, section, section, ("terms_document", "terms_version"))
    document = check.text(table, "terms_document", section, section)
    if document not in documents:
        check.fail(section, section, f"unknown document {document!r}", key="terms_document")
    return RemoteAccessTerms(document, check.text(table, "terms_version", section, section))
