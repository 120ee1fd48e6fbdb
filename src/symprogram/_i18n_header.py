"""``Accept-Language`` headers, read leniently and with bounded work.

Private to :mod:`symprogram.i18n`, which exports the public names.
"""

from __future__ import annotations

import functools
import re
from typing import Final, Literal, TypeAlias

import attrs

from symprogram._i18n_tags import (
    MAX_TAG_LENGTH,
    LanguageTag,
    _narrows,
    _parse_cached,
    _parse_reference,
)
from symprogram.errors import ValidationError

MAX_ACCEPT_LANGUAGE_LENGTH: Final = 4096
"""Characters of an ``Accept-Language`` header that are read; the rest is ignored."""

MAX_ACCEPT_LANGUAGE_ITEMS: Final = 50
"""Items of an ``Accept-Language`` header (or of a preference list) that are read."""

_QVALUE_RE: Final = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?", re.ASCII)

_Wildcard: TypeAlias = Literal["*"]


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


# RFC 9110 section 12.5.4: ``language-range = (1*8ALPHA *("-" 1*8alphanum)) / "*"``
# (RFC 4647 section 2.1). ``_`` is also read as a separator, as language tags are.
_RANGE_RE: Final = re.compile(r"[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*", re.ASCII)


def _range_tag(language_range: str) -> LanguageTag | str:
    """The tag a language range is matched as, or why it is ignored.

    A range that is a language tag is that tag. Any other RFC 9110 range is
    matched by prefix (RFC 4647 lookup): its subtags are removed from the end
    until what is left is a language tag (``en-au-xx`` is read as ``en-AU``).
    """
    found = _lookup(language_range)
    return found if isinstance(found, str) else found[0]


def _lookup(language_range: str) -> tuple[LanguageTag, str] | str:
    """:func:`_range_tag` with the prefix that is the tag, or why the range is ignored."""
    if len(language_range) > MAX_TAG_LENGTH:  # checked before any parsing
        return "tag too long"
    if not _RANGE_RE.fullmatch(language_range):
        return "not a language range"
    ends = [at.start() for at in _SEPARATOR_RE.finditer(language_range)]
    ends.append(len(language_range))
    # Only the prefixes the grammar can take are parsed: one parse, not one per
    # subtag, for a range a hostile header fills with subtags.
    reach = max(_reach(language_range.lower().replace("_", "-").split("-")), _GRANDFATHERED_SUBTAGS)
    for end in reversed(ends[:reach]):
        prefix = language_range[:end]
        try:
            return _parse_cached(prefix), prefix
        except ValidationError:
            continue
    return "no prefix of it is a language tag"


_SEPARATOR_RE: Final = re.compile(r"[-_]")

#: Subtags of the longest grandfathered tag (``zh-min-nan``): a tag the grammar does
#: not take, so always tried.
_GRANDFATHERED_SUBTAGS: Final = 3


def _region(subtag: str) -> bool:
    return (len(subtag) == 2 and subtag.isalpha()) or (len(subtag) == 3 and subtag.isdigit())


def _variant(subtag: str) -> bool:
    return len(subtag) >= 5 or (len(subtag) == 4 and subtag[0].isdigit())


def _reach(subtags: list[str]) -> int:
    """How many leading ``subtags`` (lower case, each 1-8 letters or digits) RFC 5646's
    ``langtag`` can take: no longer prefix is a tag but a grandfathered one.

    The grammar is read in one pass (language, extlang, script, region, variants,
    extensions, private use); it has one reading, so where it stops no longer
    prefix can be a tag. Checks that need more than the shape (which extended
    languages a language has, ``und``) are left to the parse of each prefix.
    """
    count, i = len(subtags), 1
    if i < count and len(subtags[i]) == 3 and subtags[i].isalpha():
        i += 1  # extlang
    if i < count and len(subtags[i]) == 4 and subtags[i].isalpha():
        i += 1  # script
    if i < count and _region(subtags[i]):
        i += 1
    while i < count and _variant(subtags[i]):
        i += 1
    while i < count and len(subtags[i]) == 1:
        if subtags[i] == "x":
            return count  # private use takes the rest
        j = i + 1
        while j < count and len(subtags[j]) >= 2:
            j += 1
        if j == i + 1:
            return i  # an empty extension
        i = j
    return i


def _range_tag_reference(language_range: str) -> LanguageTag | str:
    """:func:`_range_tag` written from the grammars: the plain version, property-tested.

    RFC 9110's language-range, then RFC 4647 lookup over RFC 5646 tags
    (:func:`~symprogram._i18n_tags._parse_reference`): the longest prefix, in
    whole subtags, that is a well-formed tag.
    """
    if len(language_range) > MAX_TAG_LENGTH:
        return "tag too long"
    if (
        re.fullmatch(r"[a-z]{1,8}(-[a-z0-9]{1,8})*", language_range.lower().replace("_", "-"))
        is None
    ):
        return "not a language range"
    subtags = language_range.replace("_", "-").split("-")
    for end in range(len(subtags), 0, -1):
        try:
            return _parse_reference("-".join(subtags[:end]))
        except ValidationError:
            continue
    return "no prefix of it is a language tag"


def _item(item: str, notes: list[str]) -> tuple[str, LanguageTag | None, float] | str:
    """``(range, tag, q)`` of a header item (``tag`` ``None``: the wildcard), or why it is ignored.

    A range read by a shorter prefix is noted in ``notes``.
    """
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
        return "invalid parameters"
    if language_range == "*":
        return language_range, None, q
    found = _lookup(language_range)
    if isinstance(found, str):
        return found
    tag, prefix = found
    if prefix != language_range and q == 0:  # would exclude more than the range says
        return f"q=0 on a range that is only matched by its prefix {tag}"
    if q == 0 and _narrows(prefix):  # de-DE-1996;q=0 says nothing of de-DE
        return f"q=0 on a range narrower than {tag} (variants, extensions, private use)"
    if prefix != language_range:
        notes.append(f"{_clip(language_range)} is not a language tag: matched by its prefix {tag}")
    return language_range, tag, q


#: What may follow a whole item: the list's comma, or the white space before it
#: (RFC 9110's ``OWS "," OWS``). An item cut at a space is read as whole: a
#: ``q=0`` item at the limit excludes what it covers, as everywhere else.
_ITEM_END: Final = frozenset(", \t")


def _split(header: str, notes: list[str]) -> list[str]:
    """The items of ``header``, bounded in characters (before any parsing) and in number."""
    if len(header) > MAX_ACCEPT_LANGUAGE_LENGTH:
        cut = header[:MAX_ACCEPT_LANGUAGE_LENGTH]
        if header[MAX_ACCEPT_LANGUAGE_LENGTH] not in _ITEM_END:
            cut = cut.rpartition(",")[0]  # drop the item the limit cut in two
        header = cut
        notes.append(f"read only the first {MAX_ACCEPT_LANGUAGE_LENGTH} characters of the header")
    items = [item.strip(" \t") for item in header.split(",")]
    items = [item for item in items if item]
    if len(items) > MAX_ACCEPT_LANGUAGE_ITEMS:
        items = items[:MAX_ACCEPT_LANGUAGE_ITEMS]
        notes.append(f"read only the first {MAX_ACCEPT_LANGUAGE_ITEMS} items of the header")
    return items


@functools.lru_cache(maxsize=1024)
def _parse_header(header: str) -> _Header:
    notes: list[str] = []
    seen: set[LanguageTag | None] = set()
    ranges: set[str] = set()
    accepted: list[_Preference] = []
    excluded: list[LanguageTag] = []
    for item in _split(header, notes):
        read = _item(item, notes)
        if isinstance(read, str):
            notes.append(f"ignored item {_clip(item)}: {read}")
            continue
        language_range, tag, q = read
        # A repeated range, or another range read as a tag already weighed, is
        # ignored; but q=0 excludes what it covers whatever came before
        # ("he-x-foo, he;q=0" serves no he).
        spelled = language_range.lower().replace("_", "-")
        if spelled in ranges or (q > 0 and tag in seen):
            notes.append(f"ignored repeated item {_clip(item)}")
            continue
        ranges.add(spelled)
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
    the first :data:`MAX_ACCEPT_LANGUAGE_LENGTH` characters (cut before any
    parsing) and :data:`MAX_ACCEPT_LANGUAGE_ITEMS` items are read. Every RFC 9110
    language range is accepted; one that is not a BCP 47 tag is read as its
    longest prefix that is (RFC 4647 lookup: ``en-au-xx`` -> ``en-AU``), and one
    with no such prefix (``x-klingon``) is skipped. Items with ``q=0`` mean
    "not acceptable" and are left out; ``q=0`` on a range narrower than the tag
    it is read as (matched by its prefix, or with variants, extensions or
    private use: ``de-DE-1996;q=0``) excludes nothing and is skipped. The
    result is ordered by ``q``, highest first; items with equal ``q`` keep
    their order in the header.

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
