"""Language tags, ``Accept-Language`` parsing and language negotiation.

The peers get language fallback wrong in the same few ways (see the design
notes): they ignore scripts, forget legacy codes and answer differently when the
catalogue is listed in another order. This module:

* parses and canonicalizes BCP 47 tags (:class:`LanguageTag`, :func:`parse_tag`),
  including the legacy codes CLDR aliases (``iw`` -> ``he``, ``in`` -> ``id``,
  ``ji`` -> ``yi``, ``jw`` -> ``jv``, ``tl`` -> ``fil``, ``sh`` -> ``sr-Latn``);
* parses RFC 9110 ``Accept-Language`` headers leniently and with bounded work
  (:func:`parse_accept_language`);
* negotiates the language of a response (:func:`negotiate`): likely subtags are
  filled in, the script must match and is never crossed, CLDR parent-locale
  exceptions are honoured (``pt-AO`` -> ``pt-PT``, ``es-MX`` -> ``es-419``,
  ``en-AU`` -> ``en-001``), the catalogue may set the default region of a bare
  language, the answer never depends on the order of the catalogue, and every
  step taken is returned;
* names a language in its own language (:func:`display_name`) and tells its
  writing direction (:func:`direction`).

CLDR data (aliases, likely subtags, parent locales, display names) comes from
Babel. Variants, extensions and private-use subtags of a tag are validated and
then dropped: they play no part in negotiation.

Example:
    >>> str(parse_tag("zh_tw").maximize())
    'zh-Hant-TW'
    >>> result = negotiate("zh-TW,zh;q=0.9,en;q=0.5", ["en", "zh-Hans", "zh-Hant"])
    >>> str(result.match)
    'zh-Hant'
    >>> str(negotiate("iw-IL", ["en", "he"]).match)
    'he'
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from itertools import islice
from typing import Any, Final, Literal, TypeAlias

import attrs
from babel import Locale, UnknownLocaleError, localedata
from babel.core import get_global

from symprogram.errors import LimitExceeded, ValidationError

__all__ = [
    "LanguageTag",
    "MAX_ACCEPT_LANGUAGE_ITEMS",
    "MAX_ACCEPT_LANGUAGE_LENGTH",
    "MAX_TAG_LENGTH",
    "Negotiation",
    "direction",
    "display_name",
    "negotiate",
    "parse_accept_language",
    "parse_tag",
]

MAX_TAG_LENGTH: Final = 255
"""Longest language tag accepted, in characters (longer raises ``LimitExceeded``)."""

MAX_ACCEPT_LANGUAGE_LENGTH: Final = 4096
"""Characters of an ``Accept-Language`` header that are read; the rest is ignored."""

MAX_ACCEPT_LANGUAGE_ITEMS: Final = 50
"""Items of an ``Accept-Language`` header (or of a preference list) that are read."""

_CODE: Final = "invalid_language_tag"

_LANGUAGE_RE: Final = re.compile(r"[a-z]{2,3}|[a-z]{5,8}", re.ASCII)
_SCRIPT_RE: Final = re.compile(r"[A-Z][a-z]{3}", re.ASCII)
_REGION_RE: Final = re.compile(r"[A-Z]{2}|[0-9]{3}", re.ASCII)
_SUBTAG_RE: Final = re.compile(r"[a-z0-9]{1,8}", re.ASCII)
_QVALUE_RE: Final = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?", re.ASCII)

# Macrolanguages whose extended language subtags are accepted (``zh-yue`` -> ``yue``).
_EXTLANG_PREFIXES: Final = frozenset({"ar", "kok", "ms", "sgn", "sw", "uz", "zh"})

# RFC 5646 grandfathered and redundant tags with a preferred value; ``None``: no
# preferred value, rejected.
_GRANDFATHERED: Final[Mapping[str, str | None]] = {
    "art-lojban": "jbo",
    "cel-gaulish": None,
    "en-gb-oed": "en-GB",
    "i-ami": "ami",
    "i-bnn": "bnn",
    "i-default": None,
    "i-enochian": None,
    "i-hak": "hak",
    "i-klingon": "tlh",
    "i-lux": "lb",
    "i-mingo": None,
    "i-navajo": "nv",
    "i-pwn": "pwn",
    "i-tao": "tao",
    "i-tay": "tay",
    "i-tsu": "tsu",
    "no-bok": "nb",
    "no-nyn": "nn",
    "sgn-be-fr": "sfb",
    "sgn-be-nl": "vgt",
    "sgn-ch-de": "sgg",
    "zh-guoyu": "zh",
    "zh-hakka": "hak",
    "zh-min": None,
    "zh-min-nan": "nan",
    "zh-xiang": "hsn",
}

# Scripts written right to left (ISO 15924); every right-to-left locale of CLDR
# uses one of them.
_RTL_SCRIPTS: Final = frozenset(
    {
        "Adlm", "Arab", "Armi", "Avst", "Chrs", "Cprt", "Elym", "Hatr", "Hebr", "Hung",
        "Khar", "Lydi", "Mand", "Mani", "Mend", "Merc", "Mero", "Narb", "Nbat", "Nkoo",
        "Orkh", "Ougr", "Palm", "Phli", "Phlp", "Phnx", "Prti", "Rohg", "Samr", "Sarb",
        "Sogd", "Sogo", "Syrc", "Thaa", "Yezi",
    }
)  # fmt: skip

_Node: TypeAlias = tuple[str, str | None, str | None]
"""(language, script, region) of a maximized tag or of a CLDR parent."""

_Wildcard: TypeAlias = Literal["*"]

# Of several regional variants equally close to a request, these are preferred
# (as ICU's LocaleMatcher does): an en-AU reader gets en-GB before en-150.
_PARADIGMS: Final[frozenset[_Node]] = frozenset(
    {
        ("en", "Latn", "US"),
        ("en", "Latn", "GB"),
        ("es", "Latn", "ES"),
        ("es", "Latn", "419"),
        ("pt", "Latn", "BR"),
        ("pt", "Latn", "PT"),
    }
)


# --------------------------------------------------------------------------- CLDR data


_CldrTable: TypeAlias = Literal[
    "language_aliases", "likely_subtags", "parent_exceptions", "script_aliases", "territory_aliases"
]


@functools.cache
def _cldr(name: _CldrTable) -> Mapping[str, Any]:
    return get_global(name)


# ------------------------------------------------------------------------ LanguageTag


def _invalid(text: object, why: str, *, field: str = "language") -> ValidationError:
    shown = repr(text) if len(repr(text)) <= 60 else repr(text)[:57] + "..."
    return ValidationError(
        f"{shown} is not a valid language tag: {why}",
        field=field,
        code=_CODE,
        details={"reason": why},
    )


def _check_language(_: Any, __: Any, value: str) -> None:
    if not isinstance(value, str) or not _LANGUAGE_RE.fullmatch(value):
        raise _invalid(value, "the language must be 2-3 or 5-8 lower-case ASCII letters")


def _check_script(_: Any, __: Any, value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or not _SCRIPT_RE.fullmatch(value)):
        raise _invalid(value, "the script must be 4 ASCII letters in title case, e.g. Hant")


def _check_region(_: Any, __: Any, value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or not _REGION_RE.fullmatch(value)):
        raise _invalid(value, "the region must be 2 upper-case ASCII letters or 3 digits")


@attrs.frozen(cache_hash=True)
class LanguageTag:
    """A BCP 47 language tag reduced to language, script and region.

    Build one with :meth:`parse` (or :func:`parse_tag`), which canonicalizes case,
    separators and legacy codes. The constructor only checks the canonical
    spelling of each part; it does not resolve aliases.

    Attributes:
        language: ISO 639 code in lower case, e.g. ``"zh"``.
        script: ISO 15924 code in title case, e.g. ``"Hant"``, or ``None``.
        region: ISO 3166 code in upper case or UN M.49 digits, e.g. ``"TW"``,
            ``"419"``, or ``None``.

    Example:
        >>> tag = LanguageTag.parse("ZH_hant_tw")
        >>> (tag.language, tag.script, tag.region, str(tag))
        ('zh', 'Hant', 'TW', 'zh-Hant-TW')
    """

    language: str = attrs.field(validator=_check_language)
    script: str | None = attrs.field(default=None, validator=_check_script)
    region: str | None = attrs.field(default=None, validator=_check_region)

    def __str__(self) -> str:
        return "-".join(part for part in (self.language, self.script, self.region) if part)

    @classmethod
    def parse(cls, text: str) -> LanguageTag:
        """Parse and canonicalize ``text``; same as :func:`parse_tag`."""
        return parse_tag(text)

    @property
    def base(self) -> LanguageTag:
        """The tag with its language only, e.g. ``pt`` for ``pt-BR``."""
        return LanguageTag(self.language)

    @property
    def locale_identifier(self) -> str:
        """The Babel / CLDR spelling, e.g. ``"zh_Hant_TW"``."""
        return str(self).replace("-", "_")

    def maximize(self) -> LanguageTag:
        """Fill in the likely script and region (CLDR "add likely subtags").

        A language unknown to CLDR is returned unchanged.

        Example:
            >>> [str(LanguageTag.parse(t).maximize()) for t in ("zh-TW", "iw", "sr")]
            ['zh-Hant-TW', 'he-Hebr-IL', 'sr-Cyrl-RS']
        """
        language, script, region = _maximize((self.language, self.script, self.region))
        return LanguageTag(language, script, region)


def parse_tag(text: str) -> LanguageTag:
    """Parse a language tag into its canonical :class:`LanguageTag`.

    ``-`` and ``_`` both separate subtags and case does not matter. Legacy codes
    are replaced where CLDR aliases them (``iw`` -> ``he``, ``in`` -> ``id``,
    ``ji`` -> ``yi``, ``jw`` -> ``jv``, ``tl`` -> ``fil``, ``mo`` -> ``ro``,
    ``sh`` -> ``sr-Latn``, ``UK`` -> ``GB``). Variants, extensions and private-use
    subtags are validated and dropped. Likely subtags are *not* added: see
    :meth:`LanguageTag.maximize`. Results are cached.

    Args:
        text: the tag, e.g. ``"pt_br"`` or ``"zh-Hant-TW"``.

    Returns:
        The canonical tag.

    Raises:
        LimitExceeded: ``text`` is longer than :data:`MAX_TAG_LENGTH`.
        ValidationError: ``text`` is not a well-formed tag, or is ``und``
            (code ``invalid_language_tag``, field ``language``).

    Example:
        >>> [str(parse_tag(t)) for t in ("iw", "in_ID", "EN-gb", "zh-hant-tw", "de-CH-1996")]
        ['he', 'id-ID', 'en-GB', 'zh-Hant-TW', 'de-CH']
    """
    if not isinstance(text, str):
        raise _invalid(text, "a language tag must be a string")
    if len(text) > MAX_TAG_LENGTH:
        raise LimitExceeded(
            f"a language tag is at most {MAX_TAG_LENGTH} characters, got {len(text)}",
            field="language",
            details={"limit": MAX_TAG_LENGTH, "length": len(text)},
        )
    return _parse_cached(text)


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str) -> LanguageTag:
    stripped = text.strip(" \t")
    if not stripped:
        raise _invalid(text, "it is empty")
    if not stripped.isascii():
        raise _invalid(text, "it must be ASCII")
    lowered = stripped.lower().replace("_", "-")
    if lowered in _GRANDFATHERED:
        preferred = _GRANDFATHERED[lowered]
        if preferred is None:
            raise _invalid(text, "this grandfathered tag has no modern equivalent")
        lowered = preferred.lower()
    subtags = lowered.split("-")
    for subtag in subtags:
        if not _SUBTAG_RE.fullmatch(subtag):
            raise _invalid(text, "subtags are 1 to 8 ASCII letters or digits")
    language = subtags[0]
    if not _LANGUAGE_RE.fullmatch(language):
        raise _invalid(text, "it must start with a 2-3 or 5-8 letter language code")
    if language == "und":
        raise _invalid(text, "the language is undetermined")
    count, i = len(subtags), 1
    if i < count and len(subtags[i]) == 3 and subtags[i].isalpha():
        if language not in _EXTLANG_PREFIXES:
            raise _invalid(text, f"{subtags[i]!r} is not an extended language of {language!r}")
        language, i = subtags[i], i + 1
    script = region = None
    if i < count and len(subtags[i]) == 4 and subtags[i].isalpha():
        script, i = subtags[i].title(), i + 1
    if i < count and (
        (len(subtags[i]) == 2 and subtags[i].isalpha())
        or (len(subtags[i]) == 3 and subtags[i].isdigit())
    ):
        region, i = subtags[i].upper(), i + 1
    while i < count and (
        len(subtags[i]) >= 5 or (len(subtags[i]) == 4 and subtags[i][0].isdigit())
    ):
        i += 1  # variant
    while i < count:
        singleton = subtags[i]
        if len(singleton) != 1:
            raise _invalid(text, f"unexpected subtag {singleton!r}")
        if singleton == "x":
            if i + 1 == count:
                raise _invalid(text, "an empty private-use section")
            break
        j = i + 1
        while j < count and len(subtags[j]) >= 2:
            j += 1
        if j == i + 1:
            raise _invalid(text, f"an empty extension {singleton!r}")
        i = j
    return _canonicalize(language, script, region)


def _canonicalize(language: str, script: str | None, region: str | None) -> LanguageTag:
    alias = _cldr("language_aliases").get(language)
    if isinstance(alias, str) and alias:
        parts = alias.split("_")
        language = parts[0]
        for part in parts[1:]:
            if len(part) == 4 and script is None:
                script = part
            elif len(part) in (2, 3) and region is None:
                region = part
    if script is not None:
        script = _cldr("script_aliases").get(script, script)
    if region is not None:
        replacements = _cldr("territory_aliases").get(region)
        if replacements:
            likely_region = _maximize((language, script, None))[2]
            region = likely_region if likely_region in replacements else replacements[0]
    return LanguageTag(language, script, region)


def _split_identifier(identifier: str) -> _Node:
    """Split a CLDR identifier such as ``zh_Hant_HK`` or ``en_001``."""
    parts = identifier.split("_")
    script = region = None
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            script = part
        else:
            region = part
    return parts[0], script, region


@functools.lru_cache(maxsize=4096)
def _maximize(node: _Node) -> _Node:
    """CLDR "add likely subtags", never changing a subtag that is present."""
    language, script, region = node
    keys = []
    if script and region:
        keys.append(f"{language}_{script}_{region}")
    if region:
        keys.append(f"{language}_{region}")
    if script:
        keys.append(f"{language}_{script}")
    keys.append(language)
    likely = _cldr("likely_subtags")
    for key in keys:
        found = likely.get(key)
        if isinstance(found, str):
            _, likely_script, likely_region = _split_identifier(found)
            return language, script or likely_script, region or likely_region
    return node


def _likely_script(language: str) -> str | None:
    return _maximize((language, None, None))[1]


@functools.lru_cache(maxsize=4096)
def _parent(node: _Node) -> _Node | None:
    """The CLDR parent of a maximized node, never in another script; ``None``: root."""
    language, script, region = node
    default_script = script is None or script == _likely_script(language)
    keys = []
    if region:
        if script:
            keys.append(f"{language}_{script}_{region}")
        if default_script:
            keys.append(f"{language}_{region}")
    else:
        if script:
            keys.append(f"{language}_{script}")
        if default_script:
            keys.append(language)
    exceptions = _cldr("parent_exceptions")
    for key in keys:
        found = exceptions.get(key)
        if isinstance(found, str) and found != "root":
            parent_language, parent_script, parent_region = _split_identifier(found)
            parent_script = parent_script or _likely_script(parent_language)
            if parent_script != script:
                return None
            return parent_language, parent_script, parent_region
    if region:
        return language, script, None
    return None


@functools.lru_cache(maxsize=4096)
def _ancestors(node: _Node) -> tuple[_Node, ...]:
    chain: list[_Node] = []
    current: _Node | None = node
    while current is not None and len(chain) < 8:
        current = _parent(current)
        if current is None or current in chain or current == node:
            break
        chain.append(current)
    return tuple(chain)


def _show(node: _Node) -> str:
    """Short spelling of a node: the likely script is left out (``pt-PT``)."""
    language, script, region = node
    if script == _likely_script(language):
        script = None
    return "-".join(part for part in (language, script, region) if part)


def _show_full(node: _Node) -> str:
    return "-".join(part for part in node if part)


# --------------------------------------------------------------------- Accept-Language


@attrs.frozen
class _Preference:
    raw: str
    tag: LanguageTag | None  # None: the wildcard
    q: float = 1.0


@attrs.frozen
class _Header:
    preferences: tuple[_Preference, ...]
    excluded: tuple[LanguageTag, ...]
    notes: tuple[str, ...]


def _clip(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


@functools.lru_cache(maxsize=1024)
def _parse_header(header: str) -> _Header:
    notes: list[str] = []
    if len(header) > MAX_ACCEPT_LANGUAGE_LENGTH:
        cut = header[:MAX_ACCEPT_LANGUAGE_LENGTH]
        if header[MAX_ACCEPT_LANGUAGE_LENGTH] != ",":
            cut = cut.rpartition(",")[0]  # drop the item the limit cut in two
        header = cut
        notes.append(f"read only the first {MAX_ACCEPT_LANGUAGE_LENGTH} characters of the header")
    items = [item.strip(" \t") for item in header.split(",")]
    items = [item for item in items if item]
    if len(items) > MAX_ACCEPT_LANGUAGE_ITEMS:
        items = items[:MAX_ACCEPT_LANGUAGE_ITEMS]
        notes.append(f"read only the first {MAX_ACCEPT_LANGUAGE_ITEMS} items of the header")
    seen: set[LanguageTag | None] = set()
    accepted: list[_Preference] = []
    excluded: list[LanguageTag] = []
    for item in items:
        language_range, *parameters = (part.strip(" \t") for part in item.split(";"))
        q: float | None = 1.0
        weights = 0
        for parameter in parameters:
            name, equals, value = (part.strip(" \t") for part in parameter.partition("="))
            if name.lower() == "q" and equals and _QVALUE_RE.fullmatch(value):
                q, weights = float(value), weights + 1
            elif parameter:
                q = None
        if q is None or weights > 1:
            notes.append(f"ignored item {_clip(item)}: invalid parameters")
            continue
        tag: LanguageTag | None = None
        if language_range != "*":
            if len(language_range) > MAX_TAG_LENGTH:
                notes.append(f"ignored item {_clip(item)}: tag too long")
                continue
            try:
                tag = _parse_cached(language_range)
            except ValidationError:
                notes.append(f"ignored item {_clip(item)}: not a language tag")
                continue
        if tag in seen:
            notes.append(f"ignored repeated item {_clip(item)}")
            continue
        seen.add(tag)
        if q == 0:
            if tag is not None:
                excluded.append(tag)
                notes.append(f"{tag} is not acceptable (q=0)")
            continue
        accepted.append(_Preference(language_range, tag, q))
    accepted.sort(key=lambda preference: -preference.q)  # stable: ties keep header order
    return _Header(tuple(accepted), tuple(excluded), tuple(notes))


def parse_accept_language(header: str) -> tuple[tuple[LanguageTag | _Wildcard, float], ...]:
    """Parse an RFC 9110 ``Accept-Language`` header.

    The header is read leniently and never raises: a malformed item, an item
    with an invalid ``q`` and a repeated language range are skipped, and only
    the first :data:`MAX_ACCEPT_LANGUAGE_LENGTH` characters and
    :data:`MAX_ACCEPT_LANGUAGE_ITEMS` items are read. Items with ``q=0`` mean
    "not acceptable" and are left out. The result is ordered by ``q``,
    highest first; items with equal ``q`` keep their order in the header.

    Args:
        header: the header value, e.g. ``"en-GB,en-US;q=0.9,en;q=0.8"``.

    Returns:
        ``(tag, q)`` pairs, where ``tag`` is a canonical :class:`LanguageTag` or
        ``"*"``.

    Example:
        >>> [(str(tag), q) for tag, q in parse_accept_language("iw-IL,he;q=0.9,*;q=0.1")]
        [('he-IL', 1.0), ('he', 0.9), ('*', 0.1)]
    """
    if not isinstance(header, str):
        return ()
    parsed = _parse_header(header[: MAX_ACCEPT_LANGUAGE_LENGTH + 1])
    return tuple(
        (preference.tag if preference.tag is not None else "*", preference.q)
        for preference in parsed.preferences
    )


# ------------------------------------------------------------------------- negotiation


@attrs.frozen
class Negotiation:
    """The outcome of :func:`negotiate`, with the steps that led to it.

    Attributes:
        match: the chosen element of ``available`` in canonical form, or ``None``.
        requested: the preference that produced ``match``; ``None`` when the
            default was used or for a ``*`` wildcard.
        steps: human-readable account of what was tried, in order.
        fallback: ``True`` when no preference matched and ``default`` was used.
    """

    match: LanguageTag | None
    requested: LanguageTag | None
    steps: tuple[str, ...]
    fallback: bool


@attrs.frozen
class _Candidate:
    tag: LanguageTag
    node: _Node
    ancestors: tuple[_Node, ...]


def _default_region(language: str, script: str | None, regions: Mapping[str, str]) -> str | None:
    if script is not None:
        region = regions.get(f"{language}-{script}")
        if region is not None:
            return region
        if script != _likely_script(language):
            return _maximize((language, script, None))[2]
    region = regions.get(language)
    if region is not None:
        return region
    return _maximize((language, script, None))[2]


def _node_of(tag: LanguageTag, regions: Mapping[str, str]) -> _Node:
    language, script, region = _maximize((tag.language, tag.script, tag.region))
    if tag.region is None:
        region = _default_region(language, script, regions) or region
    return language, script, region


def _coerce(item: object, field: str) -> tuple[str, LanguageTag]:
    """Return the text as given and the canonical tag, re-raising with ``field``."""
    raw = str(item) if isinstance(item, LanguageTag) else item
    if not isinstance(raw, str):
        raise _invalid(item, "expected a string or a LanguageTag", field=field)
    try:
        return raw, parse_tag(raw)
    except ValidationError as exc:
        raise type(exc)(exc.message, field=field, code=exc.code, details=exc.details) from None


def _pick_any_region(
    candidates: Iterable[_Candidate], language: str, script: str | None, regions: Mapping[str, str]
) -> _Candidate | None:
    """Same language and script, any region: a choice that ignores catalogue order."""
    same = [c for c in candidates if c.node[0] == language and c.node[1] == script]
    if not same:
        return None
    default_region = _default_region(language, script, regions)
    likely_region = _maximize((language, script, None))[2]
    return min(
        same,
        key=lambda c: (
            c.node[2] != default_region,  # the catalogue's default region
            c.node[2] != likely_region,  # then CLDR's likely region
            c.tag.region is not None,  # then the bare language
            len(c.ancestors),  # then the most general (pt-PT before pt-AO)
            str(c.tag),  # then the first in code order
        ),
    )


def _match_one(
    requested: LanguageTag, node: _Node, candidates: list[_Candidate], regions: Mapping[str, str]
) -> tuple[_Candidate, str] | None:
    for candidate in candidates:
        if candidate.tag == requested:
            return candidate, f"exact match {candidate.tag}"
    same = [c for c in candidates if c.node == node]
    if same:
        best = min(same, key=lambda c: str(c.tag))
        return best, f"{best.tag} has the same language, script and region as {requested}"
    for level in (node, *_ancestors(node)):
        language, script, region = level
        if region is None:
            found = _pick_any_region(candidates, language, script, regions)
            if found is not None:
                what = (
                    "same language and script"
                    if language == node[0]
                    else f"CLDR parent {_show(level)}"
                )
                return found, f"no exact match for {requested}; {what}, any region: {found.tag}"
            continue
        if level != node:
            for candidate in candidates:
                if candidate.node == level:
                    return candidate, (
                        f"no exact match for {requested}; CLDR parent {_show(level)}"
                    )
        related = [c for c in candidates if level in c.ancestors]
        if related:
            best = min(
                related,
                key=lambda c: (c.ancestors.index(level), c.node not in _PARADIGMS, str(c.tag)),
            )
            if level == node:
                return best, f"no exact match for {requested}; regional variant {best.tag}"
            return best, (
                f"no exact match for {requested}; {best.tag} shares CLDR parent {_show(level)}"
            )
    return None


def _excluded(candidate: _Candidate, excluded: Iterable[LanguageTag]) -> bool:
    language, script, region = candidate.node
    return any(
        tag.language == language and tag.script in (None, script) and tag.region in (None, region)
        for tag in excluded
    )


@functools.lru_cache(maxsize=4096)
def _negotiate_cached(
    preferred: str | tuple[str | LanguageTag, ...],
    available: tuple[str | LanguageTag, ...],
    region_items: tuple[tuple[str, str], ...],
    default: str | LanguageTag | None,
) -> Negotiation:
    regions: dict[str, str] = {}
    for key, value in region_items:
        _, key_tag = _coerce(key, "default_regions")
        region = value.strip(" \t").upper()
        if key_tag.region is not None or not _REGION_RE.fullmatch(region):
            raise ValidationError(
                f"default_regions maps a language (or language-Script) to a region, "
                f"got {_clip(key)}: {_clip(value)}",
                field="default_regions",
                code="invalid_default_region",
            )
        regions[str(key_tag)] = region

    steps: list[str] = []
    if isinstance(preferred, str):
        header = _parse_header(preferred)
        steps.extend(header.notes)
        preferences = header.preferences
        excluded = header.excluded
    else:
        prefs: list[_Preference] = []
        for item in preferred:
            if isinstance(item, str) and item.strip(" \t") == "*":
                prefs.append(_Preference("*", None))
            else:
                raw, tag = _coerce(item, "preferred")
                prefs.append(_Preference(raw.strip(" \t"), tag))
        preferences, excluded = tuple(prefs), ()

    tags = {_coerce(item, "available")[1] for item in available}
    candidates = sorted(
        (
            _Candidate(tag, node, _ancestors(node))
            for tag in tags
            for node in [_node_of(tag, regions)]
        ),
        key=lambda c: str(c.tag),
    )
    allowed = [c for c in candidates if not _excluded(c, excluded)]
    default_candidate: _Candidate | None = None
    default_tag: LanguageTag | None = None
    if default is not None:
        _, default_tag = _coerce(default, "default")
        default_node = _node_of(default_tag, regions)
        same = [c for c in candidates if c.tag == default_tag] or [
            c for c in candidates if c.node == default_node
        ]
        default_candidate = min(same, key=lambda c: str(c.tag)) if same else None

    tried: set[LanguageTag | None] = set()
    # A bare language after a more preferred tag of the same language with another
    # script keeps that script: Chrome's "zh-TW,zh;q=0.9" never means zh-Hans.
    scripts: dict[str, str] = {}
    for preference in preferences:
        requested = preference.tag
        if requested in tried:
            continue
        tried.add(requested)
        if requested is not None and requested.script is None and requested.region is None:
            inherited = scripts.get(requested.language)
            if inherited is not None and inherited != _likely_script(requested.language):
                steps.append(
                    f"{requested} read as {requested.language}-{inherited}, the script "
                    "of a more preferred tag of the same language"
                )
                requested = LanguageTag(requested.language, inherited)
        elif requested is not None:
            script = _maximize((requested.language, requested.script, requested.region))[1]
            if script is not None:
                scripts.setdefault(requested.language, script)
        if requested is None:
            if default_candidate is not None and default_candidate in allowed:
                steps.append(f"* matched the default {default_candidate.tag}")
                return Negotiation(default_candidate.tag, None, tuple(steps), False)
            steps.append("* ignored: no acceptable default language")
            continue
        if preference.raw != str(requested):
            steps.append(f"{preference.raw} canonicalized to {requested}")
        node = _node_of(requested, regions)
        if node != (requested.language, requested.script, requested.region):
            steps.append(f"{requested} maximized to {_show_full(node)}")
        found = _match_one(requested, node, allowed, regions)
        if found is not None:
            steps.append(found[1])
            return Negotiation(found[0].tag, requested, tuple(steps), False)
        steps.append(f"nothing available in {_show((node[0], node[1], None))} for {requested}")
    if default_candidate is not None:
        steps.append(f"fell back to default {default_candidate.tag}")
        return Negotiation(default_candidate.tag, None, tuple(steps), True)
    if default_tag is not None:
        steps.append(f"the default {default_tag} is not available; no match")
    else:
        steps.append("no match and no default")
    return Negotiation(None, None, tuple(steps), False)


def negotiate(
    preferred: str | Iterable[str | LanguageTag],
    available: Iterable[str | LanguageTag],
    *,
    default_regions: Mapping[str, str] | None = None,
    default: str | LanguageTag | None = None,
) -> Negotiation:
    """Choose the language of a response from the reader's preferences.

    Each preference is tried in turn (a header is ordered by ``q``; equal ``q``
    keeps header order) and the first that matches wins, even if a later one
    would match exactly. For one preference, after canonicalizing legacy codes
    and filling in likely subtags, the rules are, in order:

    1. the same tag, then the same language, script and region;
    2. an available regional variant of it (``es-419`` -> ``es-MX``);
    3. up its CLDR parent chain, never changing script: each parent itself
       (``pt-AO`` -> ``pt-PT``, ``es-MX`` -> ``es-419``, ``en-AU`` -> ``en-001``),
       then a tag sharing that parent (``en-AU`` -> ``en-GB``);
    4. the same language and script in any region, chosen without regard to the
       order of ``available``: the region ``default_regions`` gives for the
       language (or ``language-Script``), else the CLDR likely region, else the
       bare language tag, else the most general tag, else the first in code
       order.

    A script is never crossed: ``zh-TW`` (``zh-Hant``) is not served ``zh-Hans``
    nor ``sr-Latn`` ``sr-Cyrl``. ``*`` matches ``default``. Ranges with ``q=0``
    exclude the available tags they cover from matching (the final fallback to
    ``default`` is still made). When nothing matches, ``default`` is used if it
    is available (``fallback=True``); otherwise ``match`` is ``None``. The result
    does not depend on the order of ``available`` and is cached.

    A tag without a region, in ``available`` or in the preferences, takes its
    region from ``default_regions`` when given, so ``{"pt": "PT"}`` makes a bare
    ``pt`` mean European Portuguese.

    Args:
        preferred: an ``Accept-Language`` header (read leniently, never raises) or
            an iterable of tags, most preferred first (``"*"`` allowed), at most
            :data:`MAX_ACCEPT_LANGUAGE_ITEMS`.
        available: the catalogue's languages.
        default_regions: ``{"pt": "BR", "zh-Hant": "HK"}``: the region a bare
            language means in this catalogue.
        default: the language to fall back to; used only if it is available.

    Returns:
        The :class:`Negotiation`, with the steps taken.

    Raises:
        ValidationError: an invalid tag in ``available``, ``default``,
            ``default_regions`` or a preference list (not in a header), with that
            argument as ``field``.
        LimitExceeded: more than :data:`MAX_ACCEPT_LANGUAGE_ITEMS` preferences in
            a list.

    Example:
        >>> result = negotiate("pt-AO", ["pt-BR", "pt-PT"])
        >>> str(result.match), result.steps[-1]
        ('pt-PT', 'no exact match for pt-AO; CLDR parent pt-PT')
        >>> negotiate(["zh-TW"], ["zh-Hans", "en"], default="en").fallback
        True
    """
    preferred_key: str | tuple[str | LanguageTag, ...]
    if isinstance(preferred, str):
        preferred_key = preferred[: MAX_ACCEPT_LANGUAGE_LENGTH + 1]
    else:
        preferred_key = _items(preferred, "preferred", MAX_ACCEPT_LANGUAGE_ITEMS)
    available_key = _items(available, "available", None)
    if default_regions is None:
        region_items: tuple[tuple[str, str], ...] = ()
    else:
        if not isinstance(default_regions, Mapping):
            raise ValidationError(
                "default_regions must be a mapping", field="default_regions", code="invalid"
            )
        pairs = list(default_regions.items())
        for key, value in pairs:
            if not isinstance(key, str) or not isinstance(value, str):
                raise ValidationError(
                    "default_regions maps language codes to region codes (strings)",
                    field="default_regions",
                    code="invalid_default_region",
                )
        region_items = tuple(sorted(pairs))
    if default is not None and not isinstance(default, str | LanguageTag):
        raise _invalid(default, "expected a string or a LanguageTag", field="default")
    return _negotiate_cached(preferred_key, available_key, region_items, default)


def _items(
    values: Iterable[str | LanguageTag], field: str, limit: int | None
) -> tuple[str | LanguageTag, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ValidationError(
            f"{field} must be an iterable of language tags, not {type(values).__name__}",
            field=field,
            code="invalid",
        )
    items = tuple(values if limit is None else islice(values, limit + 1))
    if limit is not None and len(items) > limit:
        raise LimitExceeded(
            f"{field} lists more than {limit} languages",
            field=field,
            details={"limit": limit},
        )
    for item in items:
        if not isinstance(item, str | LanguageTag):
            raise _invalid(item, "expected a string or a LanguageTag", field=field)
    return items


# --------------------------------------------------------------- names and direction


def _babel_locale(tag: LanguageTag) -> Locale | None:
    """The most specific Babel locale that has data for ``tag``, or ``None``."""
    language, script, region = tag.language, tag.script, tag.region
    default_script = script is None or script == _likely_script(language)
    identifiers = []
    if script and region:
        identifiers.append(f"{language}_{script}_{region}")
    if region and default_script:
        identifiers.append(f"{language}_{region}")
    if script:
        identifiers.append(f"{language}_{script}")
    if default_script:
        identifiers.append(language)
    for identifier in identifiers:
        if localedata.exists(identifier):
            try:
                return Locale.parse(identifier)
            except (UnknownLocaleError, ValueError):  # pragma: no cover - data exists
                continue
    return None


@functools.lru_cache(maxsize=1024)
def _display_name(tag: LanguageTag, locale: LanguageTag | None) -> str:
    babel_locale = _babel_locale(locale or tag) or _babel_locale(LanguageTag("en"))
    if babel_locale is None:
        return str(tag)
    languages: Mapping[str, str] = babel_locale.languages
    language, script, region = tag.language, tag.script, tag.region
    name = None
    if region is not None and script is None:
        name = languages.get(f"{language}_{region}")
        region = None if name else region
    if name is None and script is not None:
        name = languages.get(f"{language}_{script}")
        script = None if name else script
    if name is None:
        name = languages.get(language)
    if name is None:
        return str(tag)
    details = [
        detail
        for detail in (
            babel_locale.scripts.get(script) if script else None,
            babel_locale.territories.get(region) if region else None,
        )
        if detail
    ]
    return f"{name} ({', '.join(details)})" if details else name


def display_name(tag: str | LanguageTag, locale: str | LanguageTag | None = None) -> str:
    """Name a language, by default in that language itself (its autonym).

    CLDR's names are used as they are (``français``, ``español``: lower case
    where the language writes them so). A name for the script or region is added
    in brackets, or a dialect name used where CLDR has one (``British English``).
    When Babel has no data for the locale asked for, English is used; a language
    CLDR does not know is named by its tag.

    Args:
        tag: the language to name.
        locale: the language to write the name in; ``None``: ``tag`` itself.

    Returns:
        The display name.

    Raises:
        ValidationError: ``tag`` or ``locale`` is not a valid language tag.

    Example:
        >>> display_name("he"), display_name("th"), display_name("de", "en")
        ('עברית', 'ไทย', 'German')
    """
    _, parsed = _coerce(tag, "tag")
    parsed_locale = None if locale is None else _coerce(locale, "locale")[1]
    return _display_name(parsed, parsed_locale)


def direction(tag: str | LanguageTag) -> Literal["ltr", "rtl"]:
    """The writing direction of a language, from its (likely) script.

    Agrees with Babel's ``Locale.text_direction`` for every CLDR locale, and also
    answers for tags CLDR has no locale for (``az-Arab``); an unknown language is
    ``"ltr"``, and so is vertical Mongolian script (Babel's ``"ttb"``), which is
    what an HTML ``dir`` attribute needs.

    Raises:
        ValidationError: ``tag`` is not a valid language tag.

    Example:
        >>> [direction(t) for t in ("he", "ar", "en", "iw", "uz-Arab")]
        ['rtl', 'rtl', 'ltr', 'rtl', 'rtl']
    """
    _, parsed = _coerce(tag, "tag")
    script = _maximize((parsed.language, parsed.script, parsed.region))[1]
    return "rtl" if script in _RTL_SCRIPTS else "ltr"
