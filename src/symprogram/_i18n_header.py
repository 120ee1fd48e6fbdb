"""``Accept-Language`` headers, read leniently and with bounded work.

Private to :mod:`symprogram.i18n`, which exports the public names.
"""

from __future__ import annotations

import functools
import re
from typing import Final, Literal, TypeAlias

import attrs

from symprogram._i18n_tags import MAX_TAG_LENGTH, LanguageTag, _parse_cached
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
