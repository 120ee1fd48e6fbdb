"""Loading the entitlements catalogue: :func:`default`, :func:`load` and :func:`from_toml`.

The default catalogue ships as TOML files in ``symprogram/data/entitlements/``
and is taken from the Enterprise Support page; a host replaces it with its own file or directory
(:func:`load`) or text (:func:`from_toml`). Everything is validated on load: a
bad entry raises :class:`~symprogram.errors.CatalogueError` (code
``catalogue_invalid``) whose ``field`` and ``details`` name the file, the entry
and the problem; a file that cannot be read or is not TOML is refused with the
codes every catalogue uses (``invalid_path``, ``catalogue_not_found``,
``catalogue_unreadable``, ``invalid_toml``, ``empty_catalogue``). The catalogue
models themselves live in :mod:`symprogram.entitlements.models` (and are still
importable from here).

Example:
    >>> catalogue = default()
    >>> [level.id for level in catalogue.service_levels][0]
    'basic_maintenance'
    >>> from_toml('''
    ... [[service_level]]
    ... id = "gold"
    ... name = "Gold"
    ... rank = 1
    ... [[document]]
    ... id = "guide"
    ... title = "Guide"
    ... languages = ["en"]
    ... access = [{access = "public"}]
    ... ''').document("guide").title
    'Guide'
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Final, NoReturn

from symprogram._catalogue_files import catalogue_table, read_catalogue
from symprogram._checks import shown
from symprogram._deprecation import warn_deprecated
from symprogram.clock import ensure_utc, start_of_day
from symprogram.entitlements._models_catalogue import (
    Access,
    AccessRule,
    Document,
    EntitlementCatalogue,
    EscalationLevel,
    LocalSite,
    RemoteAccessTerms,
    RemoteAccessVersion,
    ServiceLevel,
    TelephoneLine,
)
from symprogram.errors import CatalogueError, SymprogramError, ValidationError
from symprogram.i18n import negotiate, parse_tag

__all__ = ["DEFAULT_READING", "READINGS", "default", "from_toml", "load"]

DEFAULT_READING = "service_level"
"""The reading of the login rule the default catalogue implements."""

READINGS = ("login", "service_level")
"""The readings of the Enterprise Support page's login rule shipped as catalogues.

The page: "Beginning on January 15, 2011, the documents listed below will require
you to be logged into SymAccount to access: [the two handbooks, the Global
Escalation Process Guide, the Remote Access Standard Terms, the Local Language
Support Table]. If you already have a SymAccount login there is nothing further
that you need to do."

* ``"service_level"`` (the default, ``data/entitlements/documents.toml``): from
  2011-01-15 each of them needs a login AND an agreement or grant at the service
  level it is for ("Select the handbook for your service offering"), the SDK's
  purpose being handbook entitlement by service level.
* ``"login"`` (``data/entitlement_readings/login/documents.toml``): the page's
  literal reading, from 2011-01-15 a SymAccount login suffices.
"""

_SECTIONS = frozenset(
    {
        "service_level",
        "document",
        "languages",
        "local_site",
        "telephone_support",
        "escalation",
        "remote_access",
        "reading",
    }
)


# ---------------------------------------------------------------------- validation

# An http(s) URL with a host, and no whitespace or control character anywhere (a
# redirect to it must not split a response header).
_URL_RE: Final = re.compile(r"https?://[^\s/?#\x00-\x1f\x7f-\x9f]+[^\s\x00-\x1f\x7f-\x9f]*")
# An IANA time zone name ("America/New_York", "UTC", "Etc/GMT+5"): never a path.
_TIME_ZONE_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*", re.ASCII)


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
        unknown = sorted(set(table) - set(required) - set(optional), key=shown)
        if unknown:
            name = unknown[0] if isinstance(unknown[0], str) else shown(unknown[0], limit=60)
            self.fail(section, entry, f"unknown key {shown(unknown[0], limit=60)}", key=name)

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

    def url(self, table: Mapping[str, Any], key: str, section: str, entry: str) -> str:
        value = self.text(table, key, section, entry)
        if not _URL_RE.fullmatch(value):
            self.fail(section, entry, "must be an http(s) URL", key=key)
        return value

    def time_zone(self, table: Mapping[str, Any], key: str, section: str, entry: str) -> str:
        value = self.text(table, key, section, entry)
        if not _TIME_ZONE_RE.fullmatch(value) or ".." in value:
            self.fail(section, entry, f"{shown(value, limit=60)} is not an IANA time zone", key=key)
        return value

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
            try:
                return ensure_utc(value)
            except ValidationError:  # outside the years 1 to 9999 once in UTC
                self.fail(section, entry, f"{value.isoformat()} is out of range in UTC", key=key)
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
    return f"{section}[{index}]" + (
        f" {shown(value, limit=80)}" if isinstance(value, str | int) else ""
    )


# ------------------------------------------------------------------------- loading


def default(*, reading: str | None = None) -> EntitlementCatalogue:
    """The catalogue of the Enterprise Support page, loaded once and shared (immutable).

    Args:
        reading: one of :data:`READINGS` (``None``: :data:`DEFAULT_READING`). A
            reading's files (``data/entitlement_readings/<reading>/``) replace
            the default files of the same name.

    Raises:
        ValidationError: an unknown reading (``invalid_reading``).
    """
    if reading is None or reading == DEFAULT_READING:
        return _default()
    if not isinstance(reading, str) or reading not in READINGS:
        raise ValidationError(
            f"unknown reading {shown(reading, limit=80)} (known: {', '.join(READINGS)})",
            field="reading",
            code="invalid_reading",
        )
    return _default_reading(reading)


def _data_root() -> Traversable:
    return resources.files("symprogram").joinpath("data", "entitlements")


def _readings_root() -> Traversable:
    return resources.files("symprogram").joinpath("data", "entitlement_readings")


@functools.cache
def _default() -> EntitlementCatalogue:
    return _from_traversable(_data_root())


@functools.cache
def _default_reading(reading: str) -> EntitlementCatalogue:
    root = _data_root()
    files = {item.name: item for item in _files(root)}
    files.update({item.name: item for item in _files(_readings_root().joinpath(reading))})
    return _from_files([files[name] for name in sorted(files)], str(root))


def load(path: str | os.PathLike[str] | None = None) -> EntitlementCatalogue:
    """Load a catalogue from a TOML file or a directory of TOML files.

    A directory's ``*.toml`` files are read in name order and merged; a
    top-level section may appear in only one file.

    Args:
        path: the file or directory. ``None`` (or no argument) is deprecated: it
            gives :func:`default` with a ``DeprecationWarning``, for a release.

    Raises:
        CatalogueError: field ``path``: ``path`` is no path (``invalid_path``), no file
            is there or a directory has no ``.toml`` file (``catalogue_not_found``), a
            file cannot be read (``catalogue_unreadable``), is not TOML
            (``invalid_toml``) or holds nothing (``empty_catalogue``); or an entry
            is invalid (code ``catalogue_invalid``; ``field`` and ``details`` name
            the entry).
    """
    if path is None:
        warn_deprecated(
            "EntitlementCatalogue.load(None)",
            "EntitlementCatalogue.default()",
            "0.2.0",
            stacklevel=None,
        )
        return default()
    folder = _folder(path)
    if folder is None:  # a file, or what the file reader refuses with its code
        raw, name = read_catalogue(path, what=_WHAT)
        return _from_mapping(raw, source=name)
    return _from_traversable(folder)


def from_toml(text: str, *, source: str = "<string>") -> EntitlementCatalogue:
    """Build a catalogue from the text of one TOML document holding every section.

    Args:
        text: the TOML text.
        source: a name for error messages.

    Raises:
        CatalogueError: no text or not TOML (``invalid_toml``), nothing in it
            (``empty_catalogue``), or an entry is invalid (``catalogue_invalid``).
    """
    return _from_mapping(catalogue_table(text, source=source, what=_WHAT), source=source)


_WHAT = "entitlement catalogue"


def _folder(path: object) -> Path | None:
    """``path`` when it names a directory; ``None`` for anything else."""
    try:  # an os.PathLike's __fspath__ may give bytes, or anything at all
        name = os.fspath(path) if isinstance(path, str | os.PathLike) else None
        return Path(name) if isinstance(name, str) and Path(name).is_dir() else None
    except (TypeError, OSError, ValueError):
        return None


def _files(root: Traversable) -> list[Traversable]:
    try:
        return _listed(root)
    except SymprogramError:
        raise
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte, no permission
        raise CatalogueError(
            f"{shown(str(root), limit=200)}: not a readable directory: {exc}",
            field="path",
            code="catalogue_unreadable",
            details={"file": str(root), "entry": "path", "problem": str(exc)},
        ) from None


def _listed(root: Traversable) -> list[Traversable]:
    folder = root.is_dir()
    found = folder and sorted(
        (item for item in root.iterdir() if item.name.endswith(".toml")),
        key=lambda item: item.name,
    )
    if not found:
        problem = "no .toml files" if folder else "not found"
        raise CatalogueError(
            f"{root}: {problem}",
            field="path",
            code="catalogue_not_found",
            details={"file": str(root), "entry": "path", "problem": problem},
        )
    return found


def _read(item: Traversable) -> dict[str, Any]:
    """The TOML table of one file of a directory (the package's own data included)."""
    if isinstance(item, Path):
        return read_catalogue(item, what=_WHAT)[0]
    text = item.read_text(encoding="utf-8")  # packaged data in a zip archive
    return catalogue_table(text, source=str(item), what=_WHAT, field="path")


def _from_traversable(root: Traversable) -> EntitlementCatalogue:
    return _from_files(_files(root), str(root))


def _from_files(files: Sequence[Traversable], root: str) -> EntitlementCatalogue:
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for item in files:
        name = str(item)
        for key, value in _read(item).items():
            if key in merged:
                raise CatalogueError(
                    f"{name}: section {key!r} is also defined in {sources[key]}",
                    field=key,
                    details={"file": name, "entry": key, "problem": "defined twice"},
                )
            merged[key] = value
            sources[key] = name
    return _from_mapping(merged, source=root, sources=sources)


def _from_mapping(
    data: Mapping[str, Any],
    *,
    source: str = "<data>",
    sources: Mapping[str, str] | None = None,
) -> EntitlementCatalogue:
    """Build a catalogue from already-parsed TOML data (the step every loader ends with).

    Args:
        data: the top-level sections (``service_level``, ``document``,
            ``languages``, ``local_site``, ``telephone_support``,
            ``escalation``, ``remote_access``, ``reading``).
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
    unknown = sorted(set(data) - _SECTIONS, key=shown)
    if unknown:
        name = unknown[0] if isinstance(unknown[0], str) else shown(unknown[0], limit=60)
        check.fail(name, name, "unknown section")
    levels = _levels(check, data.get("service_level"))
    fallback, regions = _languages(check, data.get("languages"))
    documents = _documents(check, data.get("document"), levels, fallback)
    sites = _sites(check, data.get("local_site"))
    primary, lines, table = _telephone(check, data.get("telephone_support"), fallback, documents)
    escalation = _escalation(check, data.get("escalation"))
    remote = _remote(check, data.get("remote_access"), documents)
    reading = _reading(check, data.get("reading"))
    return EntitlementCatalogue(
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
        reading=reading,
        telephone_document=table,
    )


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
        check.keys(table, section, f"{entry}.{key}", ("access",), ("from", "name"))
        value = table["access"]
        try:
            if not isinstance(value, str):
                raise ValueError(value)  # Access() would repr a hostile value
            access = Access(value)
        except ValueError:
            check.fail(
                section,
                entry,
                f"{shown(value, limit=60)} is not one of public, login, entitlement",
                key=key,
            )
        start = None if "from" not in table else check.instant(table["from"], section, entry, key)
        name = None if "name" not in table else check.text(table, "name", section, entry)
        rules.append(AccessRule(access, start, name))
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
            ("min_level", "local_sites", "description", "location"),
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
        location = None
        if "location" in table:
            location = check.url(table, "location", section, entry)
        if min_level is None and any(rule.access is Access.ENTITLEMENT for rule in rules):
            check.fail(section, entry, "an entitlement rule needs a min_level", key="min_level")
        documents[doc_id] = Document(
            id=doc_id,
            title=check.text(table, "title", section, entry),
            languages=tuple(sorted(languages)),
            local_sites=check.boolean(table, "local_sites", section, entry, False),
            min_level=min_level,
            access=rules,
            location=location,
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
        url = check.url(table, "url", section, entry)
        sites[language] = LocalSite(language, check.text(table, "name", section, entry), url)
    return list(sites.values())


def _telephone(
    check: _Checker, raw: object, fallback: str, documents: Mapping[str, Document]
) -> tuple[str, list[TelephoneLine], str | None]:
    section = "telephone_support"
    if raw is None:
        return fallback, [], None
    table = check.table(raw, section, section)
    check.keys(
        table, section, section, (), ("primary_language", "example_data", "line", "document")
    )
    gate: str | None = None
    if "document" in table:
        gate = check.text(table, "document", section, section)
        if gate not in documents:
            check.fail(section, section, f"unknown document {gate!r}", key="document")
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
                time_zone=check.time_zone(line, "time_zone", section, entry),
            )
        )
    return primary, lines, gate


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
    check.keys(table, section, section, ("terms_document",), ("terms_version", "version"))
    document = check.text(table, "terms_document", section, section)
    if document not in documents:
        check.fail(section, section, f"unknown document {document!r}", key="terms_document")
    if ("terms_version" in table) == ("version" in table):
        check.fail(section, section, "give either terms_version or [[remote_access.version]]")
    if "terms_version" in table:
        return RemoteAccessTerms(document, check.text(table, "terms_version", section, section))
    versions: list[RemoteAccessVersion] = []
    for i, item in enumerate(check.tables(table.get("version"), section)):
        entry = _entry_name(f"{section}.version", i, item, "version")
        check.keys(item, section, entry, ("version",), ("from",))
        start = None if "from" not in item else check.instant(item["from"], section, entry, "from")
        versions.append(RemoteAccessVersion(check.text(item, "version", section, entry), start))
    if not versions:
        check.fail(section, f"{section}.version", "at least one version is required")
    versions.sort(key=lambda item: item.effective_from or datetime.min.replace(tzinfo=UTC))
    latest = versions[-1]
    try:
        return RemoteAccessTerms(
            document, latest.version, latest.effective_from, earlier=tuple(versions[:-1])
        )
    except ValidationError:
        check.fail(
            section,
            f"{section}.version",
            "versions need distinct labels and distinct effective instants (one may have none)",
        )


def _reading(check: _Checker, raw: object) -> str:
    section = "reading"
    if raw is None:
        return "custom"
    table = check.table(raw, section, section)
    check.keys(table, section, section, ("id",), ("description",))
    check.optional_text(table, "description", section, section)
    return check.text(table, "id", section, section)
