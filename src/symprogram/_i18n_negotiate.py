"""Language negotiation (private to :mod:`symprogram.i18n`): one preference at a time."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from itertools import islice
from typing import Final

import attrs

from symprogram._i18n_header import (
    MAX_ACCEPT_LANGUAGE_ITEMS,
    MAX_ACCEPT_LANGUAGE_LENGTH,
    _clip,
    _parse_header,
    _Preference,
)
from symprogram._i18n_tags import (
    _REGION_RE,
    LanguageTag,
    _ancestors,
    _coerce,
    _invalid,
    _language_members,
    _likely_script,
    _maximize,
    _Node,
    _show,
    _show_full,
)
from symprogram.errors import LimitExceeded, ValidationError

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
            if language != node[0]:  # a parent language: a tag sharing it (nb -> nn)
                sibling = _match_member(requested, (language, script, node[2]), candidates, regions)
                if sibling is not None:
                    return sibling[0], (
                        f"no exact match for {requested}; {sibling[0].tag} shares CLDR parent "
                        f"{_show(level)}"
                    )
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


def _match_member(
    requested: LanguageTag, node: _Node, candidates: list[_Candidate], regions: Mapping[str, str]
) -> tuple[_Candidate, str] | None:
    """A language CLDR gives ``requested`` as its parent, in the same script: ``no`` -> ``nb``.

    The reverse of the parent step of :func:`_match_one` (``nb`` -> ``no``), so that
    either code finds the other. The same region is preferred, then the choice of
    :func:`_pick_any_region` among the members, then code order.
    """
    language, script, region = node
    members = _language_members().get(language, frozenset())
    related = [c for c in candidates if c.node[0] in members and c.node[1] == script]
    if not related:
        return None
    best = min(
        related,
        key=lambda c: (
            c.node[2] != region,
            c is not _pick_any_region(related, c.node[0], script, regions),
            str(c.tag),
        ),
    )
    return best, (
        f"no exact match for {requested}; {best.tag} is in a language whose CLDR parent "
        f"is {language}"
    )


def _excluded(
    candidate: _Candidate, excluded: Iterable[LanguageTag], regions: Mapping[str, str]
) -> bool:
    """Whether a ``q=0`` range covers ``candidate`` (RFC 4647 extended filtering).

    A range covers a tag that has each subtag the range gives: its script, written
    or likely (``zh-Hant`` covers ``zh-TW``), and its region, written or declared
    by the catalogue's ``default_regions`` (``pt-BR`` covers ``pt`` when
    ``pt = "BR"``). A region CLDR only guesses is not the tag's: ``he-IL;q=0`` is
    narrower than ``he`` and does not exclude it.
    """
    language, script, _ = candidate.node
    region = candidate.tag.region
    if region is None:
        region = regions.get(f"{language}-{script}")
        if region is None and script == _likely_script(language):
            region = regions.get(language)
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
    prefer: frozenset[str] | None = None,
) -> Negotiation:
    regions = _regions(region_items)
    steps: list[str] = []
    preferences, excluded = _preferences(preferred, steps)
    candidates = _candidates(available, regions)
    allowed = [c for c in candidates if not _excluded(c, excluded, regions)]
    default_tag = None if default is None else _coerce(default, "default")[1]
    default_candidate = _default_candidate(default_tag, candidates, regions)
    # Ties are one choice only in a header (a list is in order, most preferred first).
    ties = prefer if isinstance(preferred, str) else None
    found = _first_match(preferences, allowed, default_candidate, regions, steps, ties)
    if found is not None:
        return found
    if default_candidate is not None:
        steps.append(f"fell back to default {default_candidate.tag}")
        return Negotiation(default_candidate.tag, None, tuple(steps), True)
    if default_tag is not None:
        steps.append(f"the default {default_tag} is not available; no match")
    else:
        steps.append("no match and no default")
    return Negotiation(None, None, tuple(steps), False)


def _regions(region_items: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """``default_regions`` checked, keyed by the canonical language (or language-Script)."""
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
    return regions


def _preferences(
    preferred: str | tuple[str | LanguageTag, ...], steps: list[str]
) -> tuple[tuple[_Preference, ...], tuple[LanguageTag, ...]]:
    """The preferences in order and the excluded ranges (``q=0``) of a header or a list."""
    if isinstance(preferred, str):
        header = _parse_header(preferred)
        steps.extend(header.notes)
        return header.preferences, header.excluded
    prefs: list[_Preference] = []
    for item in preferred:
        if isinstance(item, str) and item.strip(" \t") == "*":
            prefs.append(_Preference("*", None))
        else:
            raw, tag = _coerce(item, "preferred")
            prefs.append(_Preference(raw.strip(" \t"), tag))
    return tuple(prefs), ()


def _candidates(
    available: tuple[str | LanguageTag, ...], regions: Mapping[str, str]
) -> list[_Candidate]:
    """The available tags in code order (the answer never depends on their given order)."""
    tags = {_coerce(item, "available")[1] for item in available}
    return sorted(
        (
            _Candidate(tag, node, _ancestors(node))
            for tag in tags
            for node in [_node_of(tag, regions)]
        ),
        key=lambda c: str(c.tag),
    )


def _default_candidate(
    default_tag: LanguageTag | None, candidates: list[_Candidate], regions: Mapping[str, str]
) -> _Candidate | None:
    """The available tag the default designates (itself, else the same node), or ``None``."""
    if default_tag is None:
        return None
    default_node = _node_of(default_tag, regions)
    same = [c for c in candidates if c.tag == default_tag] or [
        c for c in candidates if c.node == default_node
    ]
    return min(same, key=lambda c: str(c.tag)) if same else None


def _first_match(
    preferences: tuple[_Preference, ...],
    allowed: list[_Candidate],
    default_candidate: _Candidate | None,
    regions: Mapping[str, str],
    steps: list[str],
    prefer: frozenset[str] | None = None,
) -> Negotiation | None:
    """Try each preference in turn; the first that matches gives the answer.

    With ``prefer``, preferences of equal ``q`` are one choice (:func:`_best_of`).
    """
    tried: set[LanguageTag | None] = set()
    # A bare language after a more preferred tag of the same language with another
    # script keeps that script: Chrome's "zh-TW,zh;q=0.9" never means zh-Hans.
    scripts: dict[str, str] = {}
    named = frozenset(_node_of(p.tag, regions)[:2] for p in preferences if p.tag is not None)
    context = _Context(allowed, default_candidate, regions, scripts, named, prefer or frozenset())
    for group in _groups(preferences, prefer is not None):
        fresh = tuple(p for p in group if p.tag not in tried)
        tried.update(p.tag for p in fresh)
        if prefer is not None and len(fresh) > 1:
            found = _best_of(fresh, context, steps, prefer)
            if found is not None:
                return found
            continue
        for preference in fresh:
            found = _try(preference, context, steps)
            if found is not None:
                return found
    return None


@attrs.frozen
class _Context:
    """What every preference of one negotiation is matched against."""

    allowed: list[_Candidate]
    default_candidate: _Candidate | None
    regions: Mapping[str, str]
    scripts: dict[str, str]  # language -> the script a bare tag of it is read in
    named: frozenset[tuple[str, str | None]]  # (language, script) of every named range
    prefer: frozenset[str] = frozenset()  # the tags a tie goes to (a document's own)


def _groups(preferences: tuple[_Preference, ...], by_weight: bool) -> list[tuple[_Preference, ...]]:
    """The preferences one by one, or (``by_weight``) in runs of equal ``q``."""
    groups: list[tuple[_Preference, ...]] = []
    for preference in preferences:
        if by_weight and groups and groups[-1][0].q == preference.q:
            groups[-1] = (*groups[-1], preference)
        else:
            groups.append((preference,))
    return groups


def _try(preference: _Preference, context: _Context, steps: list[str]) -> Negotiation | None:
    """The match of one preference (noting each step in ``steps``), or ``None``."""
    requested = preference.tag
    if requested is None:
        return _wildcard(context, steps)
    requested = _with_script(requested, context.scripts, steps)
    if preference.raw != str(requested):
        steps.append(f"{preference.raw} canonicalized to {requested}")
    node = _node_of(requested, context.regions)
    if node != (requested.language, requested.script, requested.region):
        steps.append(f"{requested} maximized to {_show_full(node)}")
    found = _match_one(requested, node, context.allowed, context.regions) or _match_member(
        requested, node, context.allowed, context.regions
    )
    if found is not None:
        steps.append(found[1])
        return Negotiation(found[0].tag, requested, tuple(steps), False)
    steps.append(f"nothing available in {_show((node[0], node[1], None))} for {requested}")
    return None


def _wildcard(context: _Context, steps: list[str]) -> Negotiation | None:
    """The match of ``*``: the default language (none if a range of its own names it:
    RFC 9110, ``*`` "matches every tag not matched by any other range"); when a
    ``q=0`` range excludes the default, ``*`` ("anything but that") matches the
    first other available language no range names, a preferred one (a document's
    own) first, then in code order; ``None`` if there is none, or no default
    language is available.

    Example:
        >>> str(negotiate("en;q=0, *", ["en", "de", "fr"], default="en").match)
        'de'
    """
    default_candidate = context.default_candidate
    if default_candidate is None:
        steps.append("* ignored: no acceptable default language")
        return None
    if default_candidate in context.allowed:
        if default_candidate.node[:2] in context.named:
            # RFC 9110: "*" matches every tag "not matched by any other range"
            steps.append(f"* ignored: a range of its own names the default {default_candidate.tag}")
            return None
        steps.append(f"* matched the default {default_candidate.tag}")
        return Negotiation(default_candidate.tag, None, tuple(steps), False)
    steps.append(f"* passed over the default {default_candidate.tag}: excluded")
    others = [c for c in context.allowed if c.node[:2] not in context.named]
    if not others:
        steps.append("* ignored: every available language is named or excluded")
        return None
    chosen = min(others, key=lambda c: (str(c.tag) not in context.prefer, str(c.tag)))
    steps.append(f"* matched {chosen.tag}, the first language no range names")
    return Negotiation(chosen.tag, None, tuple(steps), False)


def _named(preference: _Preference) -> str:
    return "*" if preference.tag is None else str(preference.tag)


def _best_of(
    group: tuple[_Preference, ...], context: _Context, steps: list[str], prefer: frozenset[str]
) -> Negotiation | None:
    """The match of a run of equally weighted preferences, whatever their order.

    Each is tried, in code order (a bare language is read in the script of any tag
    of its language in the run or before it); of the matches, one in ``prefer``
    wins, then one a named range found over the ``*`` wildcard's (RFC 9110: ``*``
    "matches every tag not matched by any other range"), then the match first in
    code order, then the preference first in code order. ``steps`` gets the steps
    of every preference tried.
    """
    ordered = sorted(group, key=_named)
    for preference in ordered:  # the run's scripts are known before any is tried
        if preference.tag is not None:
            _with_script(preference.tag, context.scripts, [])
    matches: list[Negotiation] = []
    before = len(steps)
    for preference in ordered:
        own = steps[:before]
        found = _try(preference, context, own)
        steps.extend(own[before:])
        if found is not None:
            matches.append(found)
    if not matches:
        return None
    best = min(
        matches,
        key=lambda n: (
            str(n.match) not in prefer,
            n.requested is None,
            str(n.match),
            str(n.requested or "*"),
        ),
    )
    names = ", ".join(_named(p) for p in ordered)
    note = (
        f"equally preferred (q={group[0].q}): {names}; chose {best.requested or '*'} "
        "(a preferred match first, then a named range before *, then code order)"
    )
    return attrs.evolve(best, steps=(*best.steps, note))


def _with_script(requested: LanguageTag, scripts: dict[str, str], steps: list[str]) -> LanguageTag:
    """A bare language read in the script of a more preferred tag of that language.

    A tag with a script or region records its (likely) script in ``scripts``.
    """
    if requested.script is None and requested.region is None:
        inherited = scripts.get(requested.language)
        if inherited is not None and inherited != _likely_script(requested.language):
            steps.append(
                f"{requested} read as {requested.language}-{inherited}, the script "
                "of a tag of the same language at least as preferred"
            )
            return LanguageTag(requested.language, inherited)
        return requested
    script = _maximize((requested.language, requested.script, requested.region))[1]
    if script is not None:
        scripts.setdefault(requested.language, script)
    return requested


def negotiate(
    preferred: str | Iterable[str | LanguageTag],
    available: Iterable[str | LanguageTag],
    *,
    default_regions: Mapping[str, str] | None = None,
    default: str | LanguageTag | None = None,
    prefer: Iterable[str | LanguageTag] | None = None,
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
       then a tag sharing that parent (``en-AU`` -> ``en-GB``, ``nb`` -> ``nn``);
    4. the same language and script in any region, chosen without regard to the
       order of ``available``: the region ``default_regions`` gives for the
       language (or ``language-Script``), else the CLDR likely region, else the
       bare language tag, else the most general tag, else the first in code
       order;
    5. a language whose CLDR parent is the language asked for, in the same
       script (``no`` -> ``nb``, the reverse of ``nb`` -> ``no`` in step 3).

    Legacy and alias codes are canonicalized on both sides (``iw`` asked finds
    ``he`` listed, ``he`` asked finds ``iw`` listed, returned as ``he``).

    A script is never crossed: ``zh-TW`` (``zh-Hant``) is not served ``zh-Hans``
    nor ``sr-Latn`` ``sr-Cyrl``. ``*`` matches ``default`` (when a ``q=0`` range
    excludes it, the first other available tag no range names). Ranges with ``q=0``
    exclude the available tags they cover from matching (the final fallback to
    ``default`` is still made): the tags with each subtag of the range, a script
    written or likely, a region written or given by ``default_regions``
    (``he-IL;q=0`` does not exclude ``he``). When nothing matches, ``default`` is used if it
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
        prefer: when given, items of a header with equal ``q`` are one choice
            whose answer never depends on their order in the header: each is
            tried (a bare language is read in the script of any tag of its
            language at least as preferred), and of those that match, a match
            in ``prefer`` wins, then the match first in code order. Without it,
            equal ``q`` keeps header order. A list is always taken in order.

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
    prefer_key = None if prefer is None else _preferred_tags(prefer)
    return _negotiate_cached(preferred_key, available_key, region_items, default, prefer_key)


def _preferred_tags(prefer: Iterable[str | LanguageTag]) -> frozenset[str]:
    """``prefer`` in canonical form (an invalid tag: ``ValidationError``, field ``prefer``)."""
    return frozenset(str(_coerce(item, "prefer")[1]) for item in _items(prefer, "prefer", None))


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
