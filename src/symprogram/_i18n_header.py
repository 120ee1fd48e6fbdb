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
    prefix = language_range
    while prefix:
        try:
            return _parse_cached(prefix), prefix
        except ValidationError:
            prefix = prefix[: max(prefix.rfind("-"), prefix.rfind("_"), 0)]
    return "no prefix of it is a language tag"


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


def _split(header: str, notes: list[str]) -> list[str]:
    """The items of ``header``, bounded in characters (before any parsing) and in number."""
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
    return items


@functools.lru_cache(maxsize=1024)
def _parse_header(header: str) -> _Header:
    notes: list[str] = []
    seen: set[LanguageTag | None] = set()
    accepted: list[_Preference] = []
    excluded: list[LanguageTag] = []
    for item in _split(header, notes):
        read = _item(item, notes)
        if isinstance(read, str):
            notes.append(f"ignored item {_clip(item)}: {read}")
            continue
        language_range, tag, q = read
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
