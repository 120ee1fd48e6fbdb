"""Language tags, ``Accept-Language`` parsing and language negotiation.

The peers get language fallback wrong in the same few ways (see the design
notes): they ignore scripts, forget legacy codes and answer differently when the
catalogue is listed in another order. This module:

* parses and canonicalizes BCP 47 tags (:class:`LanguageTag`, :func:`parse_tag`),
  including the legacy codes CLDR aliases (``iw`` -> ``he``, ``in`` -> ``id``,
  ``ji`` -> ``yi``, ``jw`` -> ``jv``, ``tl`` -> ``fil``, ``sh`` -> ``sr-Latn``);
* parses RFC 9110 ``Accept-Language`` headers leniently and with bounded work
  (:func:`parse_accept_language`): every RFC 9110 language range is accepted, one
  that is not a BCP 47 tag matched by its longest prefix that is (``en-au-xx`` ->
  ``en-AU``);
* negotiates the language of a response (:func:`negotiate`): likely subtags are
  filled in, the script must match and is never crossed, CLDR parent-locale
  exceptions are honoured (``pt-AO`` -> ``pt-PT``, ``es-MX`` -> ``es-419``,
  ``en-AU`` -> ``en-001``), a language CLDR gives as another's parent finds it
  both ways (``nb`` -> ``no`` and ``no`` -> ``nb``), the catalogue may set the
  default region of a bare language, the answer never depends on the order of
  the catalogue, and every step taken is returned;
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
from collections.abc import Mapping
from typing import Final, Literal

from babel import Locale, UnknownLocaleError, localedata

from symprogram import _i18n_header, _i18n_tags
from symprogram._i18n_header import parse_accept_language
from symprogram._i18n_negotiate import Negotiation, negotiate
from symprogram._i18n_tags import (
    LanguageTag,
    _coerce,
    _likely_script,
    _maximize,
    parse_tag,
)

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

MAX_TAG_LENGTH: Final = _i18n_tags.MAX_TAG_LENGTH
"""Longest language tag accepted, in characters (longer raises ``LimitExceeded``)."""

MAX_ACCEPT_LANGUAGE_LENGTH: Final = _i18n_header.MAX_ACCEPT_LANGUAGE_LENGTH
"""Characters of an ``Accept-Language`` header that are read; the rest is ignored."""

MAX_ACCEPT_LANGUAGE_ITEMS: Final = _i18n_header.MAX_ACCEPT_LANGUAGE_ITEMS
"""Items of an ``Accept-Language`` header (or of a preference list) that are read."""

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


# The public names keep this module as their home (documentation, pickles, reprs).
for _public in (LanguageTag, Negotiation, negotiate, parse_accept_language, parse_tag):
    _public.__module__ = __name__
del _public


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
