"""Language tags: parsing, canonicalizing, CLDR likely subtags and parents.

Private to :mod:`symprogram.i18n`, which exports the public names.

:func:`parse_tag` reads a BCP 47 tag in one pass over its subtags;
:func:`_parse_reference` reads it with the RFC 5646 grammar written as one
regular expression. Both give the same answer for every text (a property test
checks it); the pass is the one used, the grammar the one to read.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any, Final, Literal, TypeAlias

import attrs
from babel.core import get_global

from symprogram._checks import shown
from symprogram.errors import LimitExceeded, ValidationError

MAX_TAG_LENGTH: Final = 255
"""Longest language tag accepted, in characters (longer raises ``LimitExceeded``)."""

_CODE: Final = "invalid_language_tag"

_LANGUAGE_RE: Final = re.compile(r"[a-z]{2,3}|[a-z]{5,8}", re.ASCII)
_SCRIPT_RE: Final = re.compile(r"[A-Z][a-z]{3}", re.ASCII)
_REGION_RE: Final = re.compile(r"[A-Z]{2}|[0-9]{3}", re.ASCII)
_SUBTAG_RE: Final = re.compile(r"[a-z0-9]{1,8}", re.ASCII)

# Macrolanguages whose extended language subtags are accepted (``zh-yue`` -> ``yue``).
_EXTLANG_PREFIXES: Final = frozenset({"ar", "kok", "ms", "sgn", "sw", "uz", "zh"})

# RFC 5646 grandfathered and redundant tags with a preferred value; ``None``: no
# preferred value, rejected.
_GRANDFATHERED: Final[Mapping[str, str | None]] = {
    "art-lojban": "jbo",
    "cel-gaulish": None,
    "en-gb-oed": "en-GB-oxendict",
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


_Node: TypeAlias = tuple[str, str | None, str | None]
"""(language, script, region) of a maximized tag or of a CLDR parent."""

# --------------------------------------------------------------------------- CLDR data


_CldrTable: TypeAlias = Literal[
    "language_aliases", "likely_subtags", "parent_exceptions", "script_aliases", "territory_aliases"
]


@functools.cache
def _cldr(name: _CldrTable) -> Mapping[str, Any]:
    return get_global(name)


# ------------------------------------------------------------------------ LanguageTag


def _invalid(text: object, why: str, *, field: str = "language") -> ValidationError:
    return ValidationError(
        f"{shown(text, limit=60)} is not a valid language tag: {why}",
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
    """:func:`parse_tag` in one pass over the subtags (see :func:`_parse_reference`)."""
    return _parse_with_rest(text)[0]


@functools.lru_cache(maxsize=4096)
def _narrows(text: str) -> bool:
    """Whether the well-formed tag ``text`` has subtags its :class:`LanguageTag` drops.

    Variants, extensions and private use make a tag narrower than its
    :class:`LanguageTag` (``de-DE-1996`` is narrower than ``de-DE``).

    Raises:
        ValidationError: ``text`` is not a well-formed tag.
    """
    return _parse_with_rest(text)[1]


def _parse_with_rest(text: str) -> tuple[LanguageTag, bool]:
    """The canonical tag of ``text`` and whether subtags after its region were dropped."""
    subtags = _subtags(text)
    language, i = _primary_language(text, subtags)
    script = region = None
    count = len(subtags)
    if i < count and len(subtags[i]) == 4 and subtags[i].isalpha():
        script, i = subtags[i].title(), i + 1
    if i < count and (
        (len(subtags[i]) == 2 and subtags[i].isalpha())
        or (len(subtags[i]) == 3 and subtags[i].isdigit())
    ):
        region, i = subtags[i].upper(), i + 1
    rest = i < count
    while i < count and (
        len(subtags[i]) >= 5 or (len(subtags[i]) == 4 and subtags[i][0].isdigit())
    ):
        i += 1  # variant
    _check_extensions(text, subtags, i)
    return _canonicalize(language, script, region), rest


def _subtags(text: str) -> list[str]:
    """The lower-case subtags of ``text``, a grandfathered tag replaced by its preferred value."""
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
    return subtags


def _primary_language(text: str, subtags: list[str]) -> tuple[str, int]:
    """The language (an extended language replacing its macrolanguage) and the next index."""
    language = subtags[0]
    if not _LANGUAGE_RE.fullmatch(language):
        raise _invalid(text, "it must start with a 2-3 or 5-8 letter language code")
    if language == "und":
        raise _invalid(text, "the language is undetermined")
    if len(subtags) > 1 and len(subtags[1]) == 3 and subtags[1].isalpha():
        if language not in _EXTLANG_PREFIXES:
            raise _invalid(text, f"{subtags[1]!r} is not an extended language of {language!r}")
        return subtags[1], 2
    return language, 1


def _check_extensions(text: str, subtags: list[str], i: int) -> None:
    """Check the extensions and private-use section from ``subtags[i]`` on."""
    count = len(subtags)
    while i < count:
        singleton = subtags[i]
        if len(singleton) != 1:
            raise _invalid(text, f"unexpected subtag {singleton!r}")
        if singleton == "x":
            if i + 1 == count:
                raise _invalid(text, "an empty private-use section")
            return
        j = i + 1
        while j < count and len(subtags[j]) >= 2:
            j += 1
        if j == i + 1:
            raise _invalid(text, f"an empty extension {singleton!r}")
        i = j


# RFC 5646's grammar of a language tag (``langtag``), on the lower-case text.
_LANGTAG_RE: Final = re.compile(
    r"""
    (?P<language>[a-z]{2,3}|[a-z]{5,8})
    (?:-(?P<extlang>[a-z]{3}))?
    (?:-(?P<script>[a-z]{4}))?
    (?:-(?P<region>[a-z]{2}|[0-9]{3}))?
    (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*      # variants
    (?:-[0-9a-wy-z](?:-[a-z0-9]{2,8})+)*          # extensions
    (?:-x(?:-[a-z0-9]{1,8})+)?                    # private use
    """,
    re.ASCII | re.VERBOSE,
)


def _parse_reference(text: str) -> LanguageTag:
    """:func:`parse_tag` written as RFC 5646's grammar: the plain version of :func:`_parse_cached`.

    Not used by the library; a property test checks that both give the same tag,
    or both raise ``ValidationError``, for every text.
    """
    lowered = "-".join(_subtags(text))
    found = _LANGTAG_RE.fullmatch(lowered)
    if found is None:
        raise _invalid(text, "it is not a well-formed language tag")
    language, extlang, script, region = found.group("language", "extlang", "script", "region")
    if language == "und":
        raise _invalid(text, "the language is undetermined")
    if extlang is not None:
        if language not in _EXTLANG_PREFIXES:
            raise _invalid(text, f"{extlang!r} is not an extended language of {language!r}")
        language = extlang
    return _canonicalize(
        language,
        None if script is None else script.title(),
        None if region is None else region.upper(),
    )


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


@functools.cache
def _language_members() -> Mapping[str, frozenset[str]]:
    """Languages whose CLDR parent is another language, by that parent: ``{"no": {"nb", "nn"}}``.

    CLDR's parent locales name a few languages as the parent of others (Norwegian
    ``no`` of Bokmal ``nb`` and Nynorsk ``nn``): a tag of the child falls back to
    the parent, and a request for the parent is served a child (both directions).
    """
    members: dict[str, set[str]] = {}
    for child, parent in _cldr("parent_exceptions").items():
        if "_" not in child and isinstance(parent, str) and parent.isalpha() and parent != "root":
            members.setdefault(parent, set()).add(child)
    return {parent: frozenset(children) for parent, children in members.items()}


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


def _coerce(item: object, field: str) -> tuple[str, LanguageTag]:
    """Return the text as given and the canonical tag, re-raising with ``field``."""
    raw = str(item) if isinstance(item, LanguageTag) else item
    if not isinstance(raw, str):
        raise _invalid(item, "expected a string or a LanguageTag", field=field)
    try:
        return raw, parse_tag(raw)
    except ValidationError as exc:
        raise type(exc)(exc.message, field=field, code=exc.code, details=exc.details) from None
