"""Tests of symprogram.i18n: language tags, Accept-Language and negotiation."""

from __future__ import annotations

import contextlib

import babel.localedata
import pytest
from babel import Locale
from hypothesis import example, given
from hypothesis import strategies as st

from symprogram.errors import LimitExceeded, ValidationError
from symprogram.i18n import (
    MAX_ACCEPT_LANGUAGE_ITEMS,
    LanguageTag,
    Negotiation,
    direction,
    display_name,
    negotiate,
    parse_accept_language,
    parse_tag,
)

# The languages of the Enterprise Support page, as a catalogue would list them.
PAGE_LANGUAGES = (
    "en",
    "he",
    "id",
    "th",
    "tr",
    "zh-Hans",
    "fr",
    "de",
    "it",
    "ja",
    "ko",
    "pt",
    "ru",
    "es",
)

POOL = (
    *PAGE_LANGUAGES,
    "en-GB",
    "en-US",
    "en-001",
    "en-150",
    "en-AU",
    "es-419",
    "es-MX",
    "es-ES",
    "pt-BR",
    "pt-PT",
    "pt-AO",
    "zh-Hant",
    "zh-TW",
    "zh-HK",
    "zh-CN",
    "zh-Hant-TW",
    "sr",
    "sr-Latn",
    "sr-Cyrl",
    "de-AT",
    "de-CH",
    "fr-CA",
    "nb",
    "no",
    "iw",
    "in",
    "ar",
    "fa",
    "yi",
)

tags = st.sampled_from(POOL)
catalogues = st.lists(tags, min_size=0, max_size=12, unique=True)
preference_lists = st.lists(st.sampled_from((*POOL, "*", "xx", "tlh")), max_size=6)


def _match(preferred: str | list[str], available: tuple[str, ...] | list[str], **kw: str) -> str:
    result = negotiate(preferred, available, **kw)  # type: ignore[arg-type]
    return str(result.match) if result.match is not None else "None"


# ------------------------------------------------------------------------ parse_tag


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("en", "en"),
        ("EN_us", "en-US"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("pt_BR", "pt-BR"),
        ("es-419", "es-419"),
        ("iw", "he"),
        ("iw-IL", "he-IL"),
        ("in", "id"),
        ("ji", "yi"),
        ("jw", "jv"),
        ("tl", "fil"),
        ("mo", "ro"),
        ("sh", "sr-Latn"),
        ("en-UK", "en-GB"),
        ("de-CH-1996", "de-CH"),
        ("en-US-u-ca-gregory", "en-US"),
        ("en-x-private", "en"),
        ("zh-yue", "yue"),
        ("i-klingon", "tlh"),
        ("no-bok", "nb"),
        ("  fr-ca ", "fr-CA"),
    ],
)
def test_parse_tag_canonicalizes(text: str, expected: str) -> None:
    """parse_tag accepts - or _, any case, and canonicalizes legacy codes and aliases."""
    assert expected == str(parse_tag(text))


def test_language_tag_parse_is_parse_tag() -> None:
    """LanguageTag.parse is the same as parse_tag and splits the parts."""
    expected = LanguageTag("zh", "Hant", "TW")
    assert expected == LanguageTag.parse("zh_Hant_TW")
    assert expected == parse_tag("zh-Hant-TW")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "e",
        "englishlanguage",
        "en--US",
        "en-",
        "-en",
        "en US",
        "en\x00",
        "\x00",
        "énglish",
        "中文",
        "und",
        "x-private",
        "i-default",
        "en-abc",
        "en-US-x",
        "en-a",
        "12",
        "en-US-toolongsubtag",
        "en;q=1",
    ],
)
def test_parse_tag_rejects_junk(text: str) -> None:
    """Malformed, empty, non-ASCII and NUL-bearing tags raise invalid_language_tag."""
    with pytest.raises(ValidationError) as info:
        parse_tag(text)
    assert ("invalid_language_tag", "language") == (info.value.code, info.value.field)


def test_parse_tag_rejects_overlong_input() -> None:
    """A tag longer than 255 characters raises LimitExceeded, a ValidationError."""
    with pytest.raises(LimitExceeded) as info:
        parse_tag("en-" + "a" * 300)
    assert "language" == info.value.field
    assert isinstance(info.value, ValidationError)


def test_parse_tag_rejects_non_strings() -> None:
    """A non-string raises ValidationError, not a TypeError."""
    with pytest.raises(ValidationError):
        parse_tag(42)  # type: ignore[arg-type]


def test_language_tag_constructor_checks_spelling() -> None:
    """Building a LanguageTag directly with non-canonical parts raises ValidationError."""
    with pytest.raises(ValidationError):
        LanguageTag("EN")
    with pytest.raises(ValidationError):
        LanguageTag("zh", "hant")
    with pytest.raises(ValidationError):
        LanguageTag("en", None, "usa")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("zh-TW", "zh-Hant-TW"),
        ("zh", "zh-Hans-CN"),
        ("iw", "he-Hebr-IL"),
        ("sr", "sr-Cyrl-RS"),
        ("sr-ME", "sr-Latn-ME"),
        ("pt", "pt-Latn-BR"),
        ("xx", "xx"),
    ],
)
def test_maximize_fills_likely_subtags(text: str, expected: str) -> None:
    """maximize() adds CLDR's likely script and region, leaving unknown languages alone."""
    assert expected == str(parse_tag(text).maximize())


def test_language_tag_helpers() -> None:
    """base drops script and region; locale_identifier is Babel's spelling."""
    tag = parse_tag("zh-Hant-TW")
    assert ("zh", "zh_Hant_TW") == (str(tag.base), tag.locale_identifier)


@given(tags)
def test_parse_tag_round_trips(text: str) -> None:
    """Parsing the canonical spelling of a tag gives the same tag."""
    tag = parse_tag(text)
    assert tag == parse_tag(str(tag))


@given(st.text())
def test_parse_tag_raises_only_validation_error(text: str) -> None:
    """Arbitrary text either parses or raises ValidationError, nothing else."""
    try:
        tag = parse_tag(text)
    except ValidationError:
        return
    assert tag == parse_tag(str(tag))


# ------------------------------------------------------------ parse_accept_language


def _pairs(header: str) -> list[tuple[str, float]]:
    return [(str(tag), q) for tag, q in parse_accept_language(header)]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-GB,en-US;q=0.9,en;q=0.8", [("en-GB", 1.0), ("en-US", 0.9), ("en", 0.8)]),
        (
            "zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7",
            [("zh-TW", 1.0), ("zh", 0.9), ("en-US", 0.8), ("en", 0.7)],
        ),
        ("iw-IL,he;q=0.9", [("he-IL", 1.0), ("he", 0.9)]),
        ("pt-BR,pt;q=0.9", [("pt-BR", 1.0), ("pt", 0.9)]),
        ("fr;q=0.5, de ; Q=0.7 ,en", [("en", 1.0), ("de", 0.7), ("fr", 0.5)]),
        ("*;q=0.1, ja", [("ja", 1.0), ("*", 0.1)]),
        ("", []),
    ],
)
def test_parse_accept_language_real_headers(header: str, expected: list[tuple[str, float]]) -> None:
    """Real browser headers are parsed into canonical tags ordered by q."""
    assert expected == _pairs(header)


def test_parse_accept_language_equal_q_keeps_header_order() -> None:
    """Items with equal q keep the order they have in the header."""
    assert [("de", 0.5), ("fr", 0.5), ("it", 0.5)] == _pairs("de;q=0.5,fr;q=0.5,it;q=0.5")


def test_parse_accept_language_skips_bad_items() -> None:
    """Malformed items and invalid q-values are skipped, not fatal."""
    header = "en;q=2, fr;q=abc, !!, de;q=0.8;q=0.9, it;foo=1, ja;q=0.3, ko;q=0.9999, ru"
    assert [("ru", 1.0), ("ja", 0.3)] == _pairs(header)


def test_parse_accept_language_excludes_q_zero() -> None:
    """An item with q=0 is 'not acceptable' and is left out."""
    assert [("en", 1.0)] == _pairs("en, fr;q=0, de;q=0.000")


def test_parse_accept_language_is_bounded() -> None:
    """Only the first 50 items are read; huge headers are cut, never fatal."""
    header = ",".join(["en"] + [f"x{i:03d}-Test".replace("x", "a") for i in range(200)])
    assert MAX_ACCEPT_LANGUAGE_ITEMS >= len(parse_accept_language(header))
    huge = "en," + "de;q=0.5," * 100_000
    assert [("en", 1.0), ("de", 0.5)] == _pairs(huge)


@given(st.text())
def test_parse_accept_language_never_raises(header: str) -> None:
    """Any text at all is parsed without raising, with q in (0, 1]."""
    for _, q in parse_accept_language(header):
        assert 0 < q <= 1


# ----------------------------------------------------------------------- negotiate


@pytest.mark.parametrize("language", PAGE_LANGUAGES)
def test_page_languages_match_themselves(language: str) -> None:
    """Each language of the page asked for is served as such."""
    assert language == _match(language, PAGE_LANGUAGES, default="en")


@pytest.mark.parametrize(
    ("preferred", "expected"),
    [
        ("he", "he"),
        ("he-IL", "he"),
        ("iw", "he"),
        ("iw-IL,he;q=0.9", "he"),
        ("in", "id"),
        ("id-ID", "id"),
        ("th-TH", "th"),
        ("tr-TR", "tr"),
        ("zh-CN", "zh-Hans"),
        ("zh", "zh-Hans"),
        ("fr-CA", "fr"),
        ("de-AT", "de"),
        ("en-GB", "en"),
        ("en-GB,en-US;q=0.9,en;q=0.8", "en"),
        ("ja-JP", "ja"),
        ("ko-KR", "ko"),
        ("pt-BR,pt;q=0.9", "pt"),
        ("ru-RU", "ru"),
        ("es-MX", "es"),
    ],
)
def test_page_catalogue_regional_requests(preferred: str, expected: str) -> None:
    """Regional and legacy requests find the page's language of the same language."""
    assert expected == _match(preferred, PAGE_LANGUAGES, default="en")


def test_legacy_codes_are_explained() -> None:
    """The steps say a legacy code was canonicalized."""
    result = negotiate(["iw"], PAGE_LANGUAGES)
    assert "iw canonicalized to he" in result.steps
    assert (parse_tag("he"), parse_tag("he")) == (result.match, result.requested)


def test_traditional_chinese_reader_never_gets_simplified() -> None:
    """zh-TW is not served zh-Hans: it falls through to the next preference or default."""
    result = negotiate("zh-TW", PAGE_LANGUAGES, default="en")
    assert (parse_tag("en"), True) == (result.match, result.fallback)
    assert "zh-TW maximized to zh-Hant-TW" in result.steps
    assert "en" == _match("zh-TW,en;q=0.5", PAGE_LANGUAGES)
    assert "None" == _match("zh-TW", PAGE_LANGUAGES)


def test_traditional_chinese_reader_gets_traditional() -> None:
    """zh-TW, zh-HK and zh-Hant are served zh-Hant when the catalogue has it."""
    catalogue = (*PAGE_LANGUAGES, "zh-Hant")
    for preferred in ("zh-TW", "zh-HK", "zh-Hant", "zh-MO", "zh-Hant-TW"):
        assert "zh-Hant" == _match(preferred, catalogue)
    assert "zh-Hans" == _match("zh-CN", catalogue)


def test_simplified_chinese_reader_never_gets_traditional() -> None:
    """zh-CN and zh-Hans are not served zh-Hant or zh-TW."""
    assert "None" == _match("zh-CN,zh-Hans;q=0.9,zh;q=0.8", ["zh-Hant", "zh-TW"])


def test_serbian_scripts_are_not_crossed() -> None:
    """sr-Latn is not served sr-Cyrl, nor sr (Cyrillic) sr-Latn."""
    assert "None" == _match("sr-Latn", ["sr-Cyrl"])
    assert "None" == _match("sr", ["sr-Latn"])
    assert "sr-Latn" == _match("sr-ME", ["sr-Cyrl", "sr-Latn"])


def test_angolan_portuguese_gets_european_portuguese() -> None:
    """pt-AO falls back to its CLDR parent pt-PT, not to the likely pt-BR."""
    result = negotiate("pt-AO", ["pt-BR", "pt-PT"])
    assert (parse_tag("pt-PT"), parse_tag("pt-AO")) == (result.match, result.requested)
    assert "no exact match for pt-AO; CLDR parent pt-PT" in result.steps


def test_cldr_parent_exceptions() -> None:
    """es-MX goes to es-419, en-AU to en-001 or else a sibling en-GB, zh-MO to zh-HK."""
    assert "es-419" == _match("es-MX", ["es", "es-419"])
    assert "en-001" == _match("en-AU", ["en", "en-001", "en-GB"])
    assert "en-GB" == _match("en-AU", ["en-US", "en-GB", "en-150"])
    assert "zh-HK" == _match("zh-MO", ["zh-TW", "zh-HK"])
    assert "es-MX" == _match("es-419", ["es-ES", "es-MX"])


def test_bare_language_uses_likely_region() -> None:
    """A bare pt is pt-BR (CLDR likely region), a bare de de-DE."""
    assert "pt-BR" == _match("pt", ["pt-PT", "pt-BR"])
    assert "de-DE" == _match("de-AT", ["de-CH", "de-DE"])


def test_catalogue_sets_default_region() -> None:
    """default_regions decides what a bare language means in this catalogue."""
    regions = {"pt": "PT", "en": "GB"}
    assert "pt-PT" == _match("pt", ["pt-PT", "pt-BR"], default_regions=regions)  # type: ignore[arg-type]
    assert "en-GB" == _match("en", ["en-US", "en-GB"], default_regions=regions)  # type: ignore[arg-type]
    assert "pt" == _match("pt-PT", ["pt", "pt-BR"], default_regions=regions)  # type: ignore[arg-type]


def test_invalid_default_regions_raise() -> None:
    """A region that is not a region, or a key with a region, raises ValidationError."""
    with pytest.raises(ValidationError) as info:
        negotiate("en", ["en"], default_regions={"en": "Britain"})
    assert "default_regions" == info.value.field
    with pytest.raises(ValidationError):
        negotiate("en", ["en"], default_regions={"en-US": "GB"})


def test_earlier_preference_wins_over_later_exact_match() -> None:
    """A higher preference matched loosely beats a lower preference matched exactly."""
    assert "de" == _match("de-AT,fr;q=0.9", ["fr", "de"])
    assert "de" == _match(["de-CH", "fr"], ["fr", "de"])


def test_unknown_language_falls_back_to_default() -> None:
    """A language nobody has falls back to the default, marked as a fallback."""
    result = negotiate("xx-YY,tlh", PAGE_LANGUAGES, default="en")
    expected = Negotiation(parse_tag("en"), None, result.steps, True)
    assert expected == result
    assert "fell back to default en" == result.steps[-1]


def test_no_default_means_no_match() -> None:
    """Without a default (or with one not available) the match is None."""
    assert "None" == _match("xx", PAGE_LANGUAGES)
    assert "None" == _match("xx", PAGE_LANGUAGES, default="ar")


def test_wildcard_matches_default() -> None:
    """* matches the default language, and not a match when there is no default."""
    result = negotiate("xx, *;q=0.5", PAGE_LANGUAGES, default="fr")
    assert (parse_tag("fr"), False) == (result.match, result.fallback)
    assert "None" == _match("*", PAGE_LANGUAGES)


def test_q_zero_excludes_a_language() -> None:
    """A range with q=0 is never chosen by matching."""
    assert "en-US" == _match("en, en-GB;q=0", ["en-GB", "en-US"])


@given(
    st.sampled_from(["en", "he", "pt", "es", "fr", "de", "zh", "ar", "ja", "sr", "id", "tr"]),
    st.sampled_from(["US", "GB", "IL", "BR", "PT", "419", "MX", "CN", "TW", "RS", "DE", "ID"]),
)
@example("he", "IL")  # CLDR's likely regions: where the old rule excluded the bare tag
@example("en", "US")
@example("pt", "BR")
@example("zh", "CN")
def test_q_zero_on_a_narrower_range_does_not_exclude_the_broader_tag(
    language: str, region: str
) -> None:
    """RFC 4647: a range covers the tags that have each of its subtags. ``he-IL;q=0``
    is narrower than ``he``: it excludes ``he-IL``, not the ``he`` the reader accepts,
    even though CLDR guesses ``he`` is spoken in Israel."""
    header = f"{language}-{region};q=0, {language}"
    assert language == _match(header, ["en", language], default="en")
    assert "en" == _match(header, ["en", f"{language}-{region}"], default="en")


def test_q_zero_covers_the_region_the_catalogue_declares() -> None:
    """A bare language whose region the catalogue declares (``default_regions``) is
    covered by a range with that region: ``pt-BR;q=0`` excludes a ``pt`` that means
    Brazilian Portuguese, not one that means European Portuguese."""
    assert "en" == _match("pt-BR;q=0, pt", ["en", "pt"], default="en", default_regions={"pt": "BR"})  # type: ignore[arg-type]
    assert "pt" == _match("pt-BR;q=0, pt", ["en", "pt"], default="en", default_regions={"pt": "PT"})  # type: ignore[arg-type]
    assert "en" == _match("zh-Hant;q=0, zh-TW", ["en", "zh-TW"], default="en")


def test_invalid_available_raises() -> None:
    """A bad tag in the catalogue raises ValidationError naming available."""
    with pytest.raises(ValidationError) as info:
        negotiate("en", ["en", "not a tag"])
    assert ("invalid_language_tag", "available") == (info.value.code, info.value.field)
    with pytest.raises(ValidationError):
        negotiate("en", "en")


def test_too_many_preferences_raise() -> None:
    """A preference list longer than the limit raises LimitExceeded."""
    with pytest.raises(LimitExceeded):
        negotiate(["en"] * (MAX_ACCEPT_LANGUAGE_ITEMS + 1), ["en"])


def test_language_tags_are_accepted_as_input() -> None:
    """LanguageTag objects work as preferences, catalogue and default."""
    result = negotiate([LanguageTag("iw")], [LanguageTag("he")], default=LanguageTag("he"))
    assert parse_tag("he") == result.match


@given(preference_lists, catalogues, st.randoms())
def test_result_ignores_catalogue_order(
    preferred: list[str], available: list[str], random: object
) -> None:
    """Shuffling the catalogue never changes the answer or its explanation."""
    shuffled = list(available)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    expected = negotiate(preferred, available, default="en")
    assert expected == negotiate(preferred, shuffled, default="en")


@given(preference_lists, catalogues)
def test_match_is_from_the_catalogue(preferred: list[str], available: list[str]) -> None:
    """The match is always an element of available (canonical form) or None."""
    result = negotiate(preferred, available, default="ja")
    canonical = {parse_tag(tag) for tag in available}
    assert result.match is None or result.match in canonical
    if result.fallback:
        assert (parse_tag("ja"), None) == (result.match, result.requested)


@given(preference_lists, catalogues)
def test_scripts_are_never_crossed(preferred: list[str], available: list[str]) -> None:
    """A matched preference always has the same language+script as the match (or a CLDR parent)."""
    result = negotiate(preferred, available)
    if result.match is not None and result.requested is not None:
        assert result.requested.maximize().script == result.match.maximize().script


@given(st.text(), catalogues)
def test_negotiate_header_never_raises(header: str, available: list[str]) -> None:
    """Any header text negotiates without raising."""
    result = negotiate(header, available, default="en")
    assert result.match is None or result.match in {parse_tag(tag) for tag in available}


@given(st.lists(st.text(), max_size=5), st.lists(st.text(), max_size=5))
def test_negotiate_raises_only_validation_error(preferred: list[str], available: list[str]) -> None:
    """Arbitrary tag lists either negotiate or raise ValidationError, nothing else."""
    with contextlib.suppress(ValidationError):
        negotiate(preferred, available)


# --------------------------------------------------------- display_name, direction


@pytest.mark.parametrize(
    ("tag", "locale", "expected"),
    [
        ("he", None, "עברית"),
        ("th", None, "ไทย"),
        ("en", None, "English"),
        ("de", None, "Deutsch"),
        ("ja", None, "日本語"),
        ("iw", None, "עברית"),
        ("zh-Hant", None, "繁體中文"),
        ("en-GB", None, "British English"),
        ("de", "en", "German"),
        ("he", "fr", "hébreu"),
        ("xx", None, "xx"),
    ],
)
def test_display_name(tag: str, locale: str | None, expected: str) -> None:
    """display_name gives the autonym by default, or the name in another language."""
    assert expected == display_name(tag, locale)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("he", "rtl"),
        ("iw", "rtl"),
        ("ar", "rtl"),
        ("fa", "rtl"),
        ("ur", "rtl"),
        ("yi", "rtl"),
        ("uz-Arab", "rtl"),
        ("en", "ltr"),
        ("th", "ltr"),
        ("zh-Hant", "ltr"),
        ("az-Latn", "ltr"),
        ("xx", "ltr"),
    ],
)
def test_direction(tag: str, expected: str) -> None:
    """direction is rtl for languages written in a right-to-left script."""
    assert expected == direction(tag)


def test_direction_agrees_with_babel() -> None:
    """direction matches Babel's text_direction for every CLDR locale written across.

    Babel says "ttb" for vertical Mongolian script; as an HTML dir it is "ltr".
    """
    disagreements = []
    for identifier in babel.localedata.locale_identifiers():
        locale = Locale.parse(identifier)
        if locale.language == "und" or identifier == "root":
            continue
        if locale.text_direction in ("ltr", "rtl") and locale.text_direction != direction(
            identifier
        ):
            disagreements.append(identifier)
    assert [] == disagreements


def test_display_name_rejects_bad_tags() -> None:
    """display_name and direction raise ValidationError for junk."""
    with pytest.raises(ValidationError):
        display_name("\x00")
    with pytest.raises(ValidationError):
        direction("")


def test_negotiate_prefer_makes_equal_q_one_choice() -> None:
    """With ``prefer``, items of equal q do not depend on their header order: a match in
    ``prefer`` wins, then code order; a bare language reads in the script of an equally
    preferred tag of its language; without ``prefer`` header order decides."""
    available = ["en", "fr", "he", "ja", "zh-Hans"]
    for header in ("ja, he", "he, ja"):
        assert "he" == str(negotiate(header, available, prefer=["he"]).match)
    assert "ja" == str(negotiate("ja, he", available).match)
    for header in ("zh-TW, zh", "zh, zh-TW"):
        result = negotiate(header, available, default="en", prefer=["en"])
        assert (True, "en") == (result.fallback, str(result.match))
    for header in ("*, fr", "fr, *"):
        assert "en" == str(negotiate(header, available, default="en", prefer=["en"]).match)
    chosen = negotiate("ja;q=0.5, he;q=0.5", available, prefer=["he"])
    assert chosen.steps[-1].startswith("equally preferred (q=0.5): he, ja; chose he")
    assert "ja" == str(negotiate(["ja", "he"], available, prefer=["he"]).match)  # a list: in order


def test_negotiate_prefer_keeps_q0_exclusions() -> None:
    """An excluded language stays excluded whatever ``prefer`` says."""
    result = negotiate("es-MX, pt-BR, es;q=0", ["es", "pt", "en"], default="en", prefer=["es"])
    assert "pt" == str(result.match)


def test_negotiate_refuses_an_invalid_prefer() -> None:
    """``prefer`` holds language tags (field ``prefer``)."""
    with pytest.raises(ValidationError) as caught:
        negotiate("en", ["en"], prefer=["not a tag!"])
    assert "prefer" == caught.value.field
    with pytest.raises(ValidationError):
        negotiate("en", ["en"], prefer="en")  # type: ignore[arg-type]


@pytest.mark.parametrize("header", ["ja, *", "*, ja", "ja;q=0.8, *;q=0.8", "*;q=0.8, ja;q=0.8"])
def test_a_named_language_wins_over_an_equally_weighted_wildcard(header: str) -> None:
    """RFC 9110: ``*`` "matches every tag not matched by any other range", so of two
    equally weighted items, both direct translations, the one the reader named wins
    over the default the wildcard stands for (it used to be code order: ``en``)."""
    available = ["en", "fr", "he", "ja"]
    result = negotiate(header, available, default="en", prefer=available)
    assert ("ja", "ja") == (str(result.match), str(result.requested))


@given(
    named=st.sampled_from(["fr", "he", "ja", "en"]),
    wildcard_first=st.booleans(),
    q=st.sampled_from(["1", "0.8", "0.5", "0.001"]),
)
def test_the_named_range_of_a_tie_with_the_wildcard_is_served(
    named: str, wildcard_first: bool, q: str
) -> None:
    """Whatever the order and weight, a named, available direct translation tied with
    ``*`` is the one served."""
    items = [f"{named};q={q}", f"*;q={q}"]
    header = ", ".join(reversed(items) if wildcard_first else items)
    available = ["en", "fr", "he", "ja"]
    assert named == str(negotiate(header, available, default="en", prefer=available).match)
