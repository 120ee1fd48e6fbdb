"""RFC 9110 language ranges in Accept-Language, and CLDR alias codes in both directions."""

from __future__ import annotations

import pytest
from babel.core import get_global
from hypothesis import example, given
from hypothesis import strategies as st

from symprogram._i18n_header import _range_tag, _range_tag_reference
from symprogram.i18n import (
    MAX_ACCEPT_LANGUAGE_ITEMS,
    MAX_ACCEPT_LANGUAGE_LENGTH,
    LanguageTag,
    negotiate,
    parse_accept_language,
    parse_tag,
)


def _pairs(header: str) -> list[tuple[str, float]]:
    return [(str(tag), q) for tag, q in parse_accept_language(header)]


def _match(preferred: str | list[str], available: list[str]) -> str | None:
    result = negotiate(preferred, available)
    return None if result.match is None else str(result.match)


# ------------------------------------------------------------ RFC 9110 ranges


@pytest.mark.parametrize(
    ("language_range", "expected"),
    [
        ("en-au-xx", "en-AU"),
        ("EN-AU-XX", "en-AU"),
        ("en-a", "en"),
        ("en-US-x", "en-US"),
        ("de-DE-1996-ab", "de-DE"),
        ("zh-hant-tw-12345678-zz", "zh-Hant-TW"),
        ("en-abc", "en"),
        ("iw-il-q1", "he-IL"),
        ("sh-rs-x1-y2", "sr-Latn-RS"),
        ("zh-min", "zh"),
    ],
)
def test_rfc9110_range_is_matched_by_its_prefix(language_range: str, expected: str) -> None:
    """A range RFC 9110 allows that is no BCP 47 tag is read as its longest prefix that is."""
    assert [(expected, 1.0)] == _pairs(language_range)
    assert [(expected, 0.5)] == _pairs(f"{language_range};q=0.5")


def test_rfc9110_range_negotiates() -> None:
    """en-au-xx finds en-AU (and then the English of the catalogue), and says how it was read."""
    assert "en-AU" == _match("en-au-xx", ["en", "en-AU", "fr"])
    assert "en" == _match("en-au-xx", ["en", "fr"])
    result = negotiate("en-au-xx, fr;q=0.5", ["fr", "en-GB"])
    assert "en-GB" == str(result.match)
    assert "'en-au-xx' is not a language tag: matched by its prefix en-AU" in result.steps


def test_q_zero_on_a_range_read_by_its_prefix_excludes_nothing() -> None:
    """en-a;q=0 does not exclude all of English: the range is narrower than its prefix."""
    assert [("en", 0.5)] == _pairs("en-a;q=0, en;q=0.5")
    result = negotiate("en-a;q=0, de;q=0.9, en;q=0.5", ["en", "fr"])
    assert parse_tag("en") == result.match
    assert any("q=0 on a range that is only matched by its prefix en" in s for s in result.steps)


@pytest.mark.parametrize(
    "language_range",
    ["x-klingon", "abcd", "und", "und-US", "i-default", "a-b-c", "1en", "en--US", "en-", "é"],
)
def test_range_without_a_language_is_ignored(language_range: str) -> None:
    """A range with no prefix that is a language tag, or no range at all, is skipped."""
    assert [("fr", 0.9)] == _pairs(f"{language_range}, fr;q=0.9")


RANGE_SUBTAGS = st.one_of(
    st.sampled_from(
        ["en", "zh", "i", "x", "a", "und", "hant", "latn", "us", "419", "1996", "abc", "klingon",
         "min", "nan", "yue", "sgn", "be", "fr", "toolong99", "q1", "iw", "sh", "no", "nb"]
    ),
    st.text(alphabet="abcxyz019AZ", min_size=1, max_size=9),
)  # fmt: skip
RANGES = st.builds(
    lambda parts, sep: sep.join(parts), st.lists(RANGE_SUBTAGS, min_size=1, max_size=12),
    st.sampled_from(["-", "_"]),
)  # fmt: skip


@given(st.one_of(RANGES, st.text(max_size=20)))
@example("en-au-xx")
@example("zh-yue-x")
@example("i-klingon-zz")
@example("sgn-be-fr-1")
@example("en-US-u-co")
@example("zh-hant-abc-de")
@example("en-GB-aa-bb-cc-dd-ee")
@example("en-a-bb-c-dd-1-x-y")
@example("sgn-be-fr-1-2-3-4")
def test_range_reading_agrees_with_the_grammars(language_range: str) -> None:
    """The one-pass reading equals RFC 9110's grammar plus RFC 4647 lookup over RFC 5646 tags."""
    assert _range_tag_reference(language_range) == _range_tag(language_range)


@given(RANGES)
def test_a_range_read_is_one_of_its_prefixes(language_range: str) -> None:
    """The tag a range is read as is the tag of a prefix of it in whole subtags."""
    tag = _range_tag(language_range)
    if isinstance(tag, LanguageTag):
        subtags = language_range.replace("_", "-").split("-")
        prefixes = ("-".join(subtags[:end]) for end in range(len(subtags), 0, -1))
        assert any(_tag_or_none(prefix) == tag for prefix in prefixes)


@given(st.from_regex(r"[a-z]{2,3}(-[a-z0-9]{1,8}){0,5}", fullmatch=True))
def test_a_range_starting_with_a_language_is_always_read(language_range: str) -> None:
    """Every range whose first subtag is a language code is accepted (unless undetermined)."""
    tag = _range_tag(language_range)
    first = language_range.split("-")[0]
    assert isinstance(tag, LanguageTag) or first == "und"


def _tag_or_none(text: str) -> LanguageTag | None:
    try:
        return parse_tag(text)
    except ValueError:
        return None


# -------------------------------------------------------- real Accept-Language headers


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # Chrome, Firefox, Safari, Edge as they send it
        ("en-US,en;q=0.9", [("en-US", 1.0), ("en", 0.9)]),
        ("en-US,en;q=0.5", [("en-US", 1.0), ("en", 0.5)]),
        ("de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7",
         [("de-DE", 1.0), ("de", 0.9), ("en-US", 0.8), ("en", 0.7)]),
        ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5",
         [("fr-CH", 1.0), ("fr", 0.9), ("en", 0.8), ("de", 0.7), ("*", 0.5)]),
        ("he-IL,he;q=0.9,en-US;q=0.8,en;q=0.7",
         [("he-IL", 1.0), ("he", 0.9), ("en-US", 0.8), ("en", 0.7)]),
        ("zh-CN,zh;q=0.9,zh-TW;q=0.8", [("zh-CN", 1.0), ("zh", 0.9), ("zh-TW", 0.8)]),
        ("nb-NO,nb;q=0.9,no;q=0.8,nn;q=0.7,en-US;q=0.6,en;q=0.5",
         [("nb-NO", 1.0), ("nb", 0.9), ("no", 0.8), ("nn", 0.7), ("en-US", 0.6), ("en", 0.5)]),
        # odd spacing and case, q values written in full
        ("  fr-ch ,\tFR ; q=0.900 ,EN;Q=1.000  ", [("fr-CH", 1.0), ("en", 1.0), ("fr", 0.9)]),
        ("en;q=0.8,,,de", [("de", 1.0), ("en", 0.8)]),
        ("en ;q=1, de;q=0.", [("en", 1.0)]),
        # wildcards and duplicates: the first of a repeated range counts
        ("*", [("*", 1.0)]),
        ("*;q=0.1, *, ja", [("ja", 1.0), ("*", 0.1)]),
        ("en, en;q=0.5, EN-us, en-US;q=0.1", [("en", 1.0), ("en-US", 1.0)]),
        ("en-au-xx, en-AU;q=0.4", [("en-AU", 1.0)]),
    ],
)  # fmt: skip
def test_browser_headers(header: str, expected: list[tuple[str, float]]) -> None:
    """Headers as browsers send them, spaced oddly, with q values, wildcards and duplicates."""
    assert expected == _pairs(header)


def test_thousand_range_header_reads_the_first_items() -> None:
    """A header of 1,000 ranges is read up to the item limit, in order, never raising."""
    languages = ["en", "fr", "de", "it", "es"] + [f"en-x{i}" for i in range(995)]
    header = ",".join(f"{language};q=0.{999 - i:03d}" for i, language in enumerate(languages))
    read = _pairs(header)
    assert MAX_ACCEPT_LANGUAGE_ITEMS >= len(read)
    assert [("en", 0.999), ("fr", 0.998), ("de", 0.997), ("it", 0.996), ("es", 0.995)] == read
    assert "en" == _match(header, ["de", "en"])


@pytest.mark.parametrize(
    "header",
    [
        "a" * 1_000_000,
        "en-" + "a" * 1_000_000,
        "en," + "x-" * 500_000,
        "," * 1_000_000 + "en",
        ";" * 1_000_000,
        "en;q=" + "0" * 1_000_000,
        "en-US," + "fr;q=0.5 " + " " * 1_000_000 + ",de",
    ],
)
def test_hostile_lengths_are_cut_before_parsing(header: str) -> None:
    """Huge headers are cut to the length limit first; what is left is read, never raising."""
    read = parse_accept_language(header)
    assert MAX_ACCEPT_LANGUAGE_ITEMS >= len(read)
    assert all(0 < q <= 1 for _, q in read)
    assert read == parse_accept_language(header[: MAX_ACCEPT_LANGUAGE_LENGTH + 1])


def test_header_of_commas_before_a_language_is_cut() -> None:
    """Only the first characters are read: a language after the limit is not seen."""
    assert [] == _pairs("," * MAX_ACCEPT_LANGUAGE_LENGTH + "en")
    assert [("en", 1.0)] == _pairs("en-US-" + "a" * 300 + ",en")


# -------------------------------------------------------------- aliases, both ways


@pytest.mark.parametrize(
    ("legacy", "canonical"),
    [
        ("no", "nb"),
        ("nb", "no"),
        ("no", "nn"),
        ("iw", "he"),
        ("in", "id"),
        ("ji", "yi"),
        ("jw", "jv"),
        ("tl", "fil"),
        ("sh", "sr-Latn"),
        ("mo", "ro"),
        ("nor", "no"),
        ("cmn", "zh"),
    ],
)
def test_alias_codes_find_each_other(legacy: str, canonical: str) -> None:
    """Either code of a CLDR alias (or parent) pair, asked for, finds the other in a catalogue."""
    assert parse_tag(canonical) == negotiate(legacy, [canonical, "da"]).match
    assert parse_tag(legacy) == negotiate(canonical, ["da", legacy]).match
    assert parse_tag(legacy) == negotiate([canonical], [legacy]).match


def _alias_pairs() -> list[tuple[str, str]]:
    """Every CLDR language alias (legacy -> replacement), and every language CLDR parents to
    another language (``nb`` -> ``no``), as Babel ships them."""
    pairs = [
        (alias, replacement.replace("_", "-"))
        for alias, replacement in get_global("language_aliases").items()
        if replacement
    ]
    pairs += [
        (child, parent)
        for child, parent in get_global("parent_exceptions").items()
        if "_" not in child and parent.isalpha() and parent != "root"
    ]
    return sorted(pairs)


ALIAS_PAIRS = _alias_pairs()
OTHERS = ("en", "fr", "de", "ja", "ar", "zh-Hant", "sr-Cyrl", "pt-BR", "es-419", "da", "sv", "fa")


def _family(code: str) -> set[str]:
    """The languages a code is related to by canonicalization or by a CLDR language parent."""
    tag = parse_tag(code)
    family = {tag.language}
    for child, parent in ALIAS_PAIRS:
        languages = {parse_tag(child).language, parse_tag(parent).language}
        if tag.language in languages:
            family |= languages
    return family


@given(
    st.sampled_from(ALIAS_PAIRS),
    st.lists(st.sampled_from(OTHERS), max_size=5, unique=True),
    st.integers(min_value=0, max_value=5),
    st.sampled_from(["header", "header with wildcard", "list"]),
)
@example(("nb", "no"), ["da", "en"], 1, "header")
@example(("nn", "no"), ["sv"], 0, "list")
@example(("iw", "he"), ["en", "ar"], 2, "header with wildcard")
@example(("sh", "sr-Latn"), ["sr-Cyrl", "en"], 0, "header")
@example(("tl", "fil"), [], 0, "list")
def test_negotiation_is_symmetric_under_aliasing(
    pair: tuple[str, str], others: list[str], position: int, form: str
) -> None:
    """Asking with an alias or its canonical form, against a catalogue listing either one,
    gives the same answer: the same entry of the catalogue (or none)."""
    alias, canonical = pair
    family = _family(alias) | _family(canonical)
    others = [other for other in others if parse_tag(other).language not in family]
    answers = set()
    for asked in (alias, canonical):
        preferred = {
            "header": asked,
            "header with wildcard": f"{asked}, *;q=0.1",
            "list": [asked],
        }[form]
        for listed in (alias, canonical):
            catalogue = list(others)
            catalogue.insert(min(position, len(catalogue)), listed)
            result = negotiate(preferred, catalogue, default=others[0] if others else None)
            match = result.match
            answers.add(None if match is None else [parse_tag(c) for c in catalogue].index(match))
    assert 1 == len(answers)


# ------------------------------------------------ q=0 and the wildcard, read whole


def _at_the_limit(head: str, last: str) -> str:
    """``head``, ignored filler items, then ``last`` ending at exactly the length limit."""
    room = MAX_ACCEPT_LANGUAGE_LENGTH - len(head) - len(last) - 1
    filler = ",".join("z" * 200 for _ in range(room // 201))
    filler += "," + "z" * (room - len(filler) - 1) if len(filler) < room else ""
    header = f"{head}{filler},{last}"
    assert MAX_ACCEPT_LANGUAGE_LENGTH == len(header)
    return header


@pytest.mark.parametrize("tail", ["", ",en", ", en", " ,en", "\t,en", " ", "\t\t , de"])
def test_a_q_zero_item_at_the_length_limit_excludes_what_it_covers(tail: str) -> None:
    """ "an item with q=0 always excludes what it covers, even in a header at its ...
    4,096-character limit": the white space RFC 9110 allows before a comma ends the
    item as the comma does, so the item is read whole."""
    header = _at_the_limit("iw;q=0.5,", "he;q=0") + tail
    result = negotiate(header, ["he", "en"], default="en")
    assert "en" == str(result.match)
    assert "he is not acceptable (q=0)" in result.steps


@pytest.mark.parametrize(
    "header",
    ["he-x-foo, he;q=0", "he-IL-x-a;q=0.9, iw;q=0", "iw-xyz, he;q=0", "he-Hebr-IL-1996, he;q=0"],
)
def test_q_zero_excludes_a_tag_an_earlier_narrower_range_was_read_as(header: str) -> None:
    """A range read as the same tag before a ``q=0`` item does not make that item a
    repeat: the ``q=0`` still excludes the tag."""
    result = negotiate(header, ["he", "en"], default="en")
    assert ("en", True) == (str(result.match), result.fallback)


@given(
    before=st.lists(st.sampled_from(["iw", "he-IL", "he-x-a", "iw-IL-x-b", "he-xyz", "de"])),
    after=st.lists(st.sampled_from(["he", "iw", "he-x-c", "de"])),
    q=st.sampled_from(["0", "0.0", "0.000"]),
)
def test_a_q_zero_range_is_never_served_wherever_it_stands(
    before: list[str], after: list[str], q: str
) -> None:
    """Whatever other ranges stand before or after ``he;q=0``, Hebrew is never the
    answer (the same range written earlier is a repeat, and the first counts)."""
    header = ", ".join([*before, f"he;q={q}", *after])
    assert negotiate(header, ["he", "he-IL", "en"], default="en").match not in (
        parse_tag("he"),
        parse_tag("he-IL"),
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de;q=0.5, *;q=0.8, en;q=0.1", "de"),
        ("*;q=0.8, de;q=0.5, en-GB;q=0.1", "de"),
        ("*, de;q=0.5, en;q=0.4", "de"),
        ("*;q=0.9, en;q=0.2", "en"),
        ("fr, *;q=0.8, de;q=0.5", "en"),  # en is named by no range: * stands for it
    ],
)
def test_the_wildcard_does_not_stand_for_a_language_the_header_names(
    header: str, expected: str
) -> None:
    """RFC 9110: ``*`` "matches every tag not matched by any other range in the field":
    English named at a low weight is not promoted by the wildcard's higher one."""
    assert expected == _match_default(header, ["en", "de"], "en")


def _match_default(header: str, available: list[str], default: str) -> str | None:
    result = negotiate(header, available, default=default)
    return None if result.match is None else str(result.match)


@given(
    available=st.lists(
        st.sampled_from(["en", "de", "fr", "ja", "he", "pt", "zh-Hans", "ko"]),
        min_size=2,
        max_size=6,
        unique=True,
    ),
    data=st.data(),
)
def test_the_wildcard_beside_an_excluded_default_stands_for_another_language(
    available: list[str], data: st.DataObject
) -> None:
    """``en;q=0, *`` is "anything but English": the wildcard stands for another available
    language (the first in code order), never for the excluded default, and the answer
    is served, not a fallback to the excluded language."""
    default = data.draw(st.sampled_from(available))
    result = negotiate(f"{default};q=0, *", available, default=default)
    assert (min(t for t in available if t != default), False) == (
        str(result.match),
        result.fallback,
    )
