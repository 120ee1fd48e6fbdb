"""Accept-Language headers as browsers and HTTP clients send them, with the expected results.

Each expected result is derived from the rules, not from a run of the code:

* RFC 9110 section 12.5.4 (``Accept-Language = #( language-range [ weight ] )``,
  ``language-range`` of RFC 4647 section 2.1) and section 12.4.2
  (``weight = OWS ";" OWS "q=" qvalue``, ``qvalue = ( "0" [ "." 0*3DIGIT ] ) /
  ( "1" [ "." 0*3("0") ] )``; ``"q="`` is case-insensitive, as every ABNF string);
* the lenient reading :func:`symprogram.i18n.parse_accept_language` documents: a
  malformed item, an item with an invalid ``q`` and a repeated range (the first
  counts) are skipped, an item with ``q=0`` is left out, equal ``q`` keeps header
  order, a range that is no tag is read as its longest prefix that is (RFC 4647
  lookup), legacy codes are canonicalized (``iw`` -> ``he``);
* the negotiation rules of :func:`symprogram.i18n.negotiate` and the design notes
  ("Language fallback"): likely subtags, the script is never crossed, CLDR parent
  locales, ``no`` / ``nb`` both ways, the catalogue's default regions, ``*``
  matches the default;
* the Enterprise Support page: the handbooks exist in English, Hebrew,
  Indonesian, Thai, Turkish and the nine local-site languages (Simplified
  Chinese, French, German, Italian, Japanese, Korean, Portuguese, Russian,
  Spanish); English is the fallback; the catalogue says ``pt = "BR"``, ``zh = "CN"``.
"""

from __future__ import annotations

from typing import NamedTuple

HANDBOOK_LANGUAGES = (
    "en", "he", "id", "th", "tr", "zh-Hans", "fr", "de", "it", "ja", "ko", "pt", "ru", "es",
)  # fmt: skip
"""The languages of both handbooks (data/entitlements/documents.toml)."""

DEFAULT_REGIONS = {"pt": "BR", "zh": "CN"}
"""The default catalogue's ``[languages.default_regions]``."""


class Header(NamedTuple):
    """A header, how it is read, and what the handbook catalogue serves for it."""

    header: str
    parsed: tuple[tuple[str, float], ...]
    served: str
    fallback: bool  # True: nothing matched, English served as the fallback
    rule: str


# A Chrome user with many languages set (Chrome sends them all, q falling by 0.1
# to 0.1 and then staying there).
_MANY = (
    "en-US,en;q=0.9,de;q=0.8,fr;q=0.7,es;q=0.6,it;q=0.5,nl;q=0.4,pl;q=0.3,pt;q=0.2,"
    "ru;q=0.1,sv;q=0.1,da;q=0.1,fi;q=0.1,nb;q=0.1,cs;q=0.1,sk;q=0.1,hu;q=0.1,ro;q=0.1,"
    "bg;q=0.1,el;q=0.1,tr;q=0.1,he;q=0.1,ar;q=0.1,fa;q=0.1,hi;q=0.1,th;q=0.1,vi;q=0.1,"
    "id;q=0.1,ms;q=0.1,ja;q=0.1"
)
_MANY_PARSED = (
    ("en-US", 1.0), ("en", 0.9), ("de", 0.8), ("fr", 0.7), ("es", 0.6), ("it", 0.5),
    ("nl", 0.4), ("pl", 0.3), ("pt", 0.2),
    *((tag, 0.1) for tag in (
        "ru", "sv", "da", "fi", "nb", "cs", "sk", "hu", "ro", "bg", "el", "tr", "he",
        "ar", "fa", "hi", "th", "vi", "id", "ms", "ja",
    )),
)  # fmt: skip
# The same user with English last: the first available language by q is German.
_MANY_NON_ENGLISH = _MANY.replace("en-US,en;q=0.9,", "") + ",en;q=0.05"

BROWSER_HEADERS: tuple[Header, ...] = (
    # ---- browser defaults, locale by locale
    Header("en-US,en;q=0.9", (("en-US", 1.0), ("en", 0.9)), "en", False,
           "Chrome/Edge en-US; en is en-Latn-US, the same language, script and region"),
    Header("en-US,en;q=0.5", (("en-US", 1.0), ("en", 0.5)), "en", False,
           "Firefox en-US"),
    Header("en-GB,en;q=0.9", (("en-GB", 1.0), ("en", 0.9)), "en", False,
           "Safari en-GB; CLDR parent en-001, then English in any region"),
    Header("en-IN,en-GB;q=0.9,en-US;q=0.8,en;q=0.7",
           (("en-IN", 1.0), ("en-GB", 0.9), ("en-US", 0.8), ("en", 0.7)), "en", False,
           "Chrome en-IN; same language and script, any region"),
    Header("de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7",
           (("de-DE", 1.0), ("de", 0.9), ("en-US", 0.8), ("en", 0.7)), "de", False,
           "Chrome de-DE; de is de-Latn-DE"),
    Header("de-CH,de;q=0.8,en-US;q=0.5,en;q=0.3",
           (("de-CH", 1.0), ("de", 0.8), ("en-US", 0.5), ("en", 0.3)), "de", False,
           "Firefox de-CH; same language and script, any region"),
    Header("de-AT,de;q=0.9,en;q=0.8", (("de-AT", 1.0), ("de", 0.9), ("en", 0.8)), "de", False,
           "Edge de-AT"),
    Header("fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7",
           (("fr-FR", 1.0), ("fr", 0.9), ("en-US", 0.8), ("en", 0.7)), "fr", False,
           "Chrome fr-FR"),
    Header("fr-CA,fr;q=0.9,en-CA;q=0.8,en;q=0.7",
           (("fr-CA", 1.0), ("fr", 0.9), ("en-CA", 0.8), ("en", 0.7)), "fr", False,
           "Chrome fr-CA"),
    Header("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5",
           (("fr-CH", 1.0), ("fr", 0.9), ("en", 0.8), ("de", 0.7), ("*", 0.5)), "fr", False,
           "RFC 9110 / MDN example, OWS after the commas"),
    Header("it-IT,it;q=0.9,en-US;q=0.8,en;q=0.7",
           (("it-IT", 1.0), ("it", 0.9), ("en-US", 0.8), ("en", 0.7)), "it", False,
           "Chrome it-IT"),
    Header("es-ES,es;q=0.9", (("es-ES", 1.0), ("es", 0.9)), "es", False,
           "Chrome es-ES; es is es-Latn-ES"),
    Header("es-419,es;q=0.9", (("es-419", 1.0), ("es", 0.9)), "es", False,
           "Chrome es-419; same language and script, any region"),
    Header("es-MX,es;q=0.9,en;q=0.8", (("es-MX", 1.0), ("es", 0.9), ("en", 0.8)), "es", False,
           "Safari es-MX; CLDR parent es-419, then Spanish in any region"),
    Header("pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7",
           (("pt-BR", 1.0), ("pt", 0.9), ("en-US", 0.8), ("en", 0.7)), "pt", False,
           "Chrome pt-BR; the catalogue's pt is pt-BR (default_regions)"),
    Header("pt-PT,pt;q=0.9,en;q=0.8", (("pt-PT", 1.0), ("pt", 0.9), ("en", 0.8)), "pt", False,
           "Firefox pt-PT; the same language and script in another region before English"),
    Header("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7",
           (("ru-RU", 1.0), ("ru", 0.9), ("en-US", 0.8), ("en", 0.7)), "ru", False,
           "Chrome ru-RU"),
    Header("uk-UA,uk;q=0.9,ru;q=0.8,en-US;q=0.7,en;q=0.6",
           (("uk-UA", 1.0), ("uk", 0.9), ("ru", 0.8), ("en-US", 0.7), ("en", 0.6)), "ru", False,
           "Ukrainian is not available: the next preference, Russian"),
    Header("ja,en-US;q=0.9,en;q=0.8", (("ja", 1.0), ("en-US", 0.9), ("en", 0.8)), "ja", False,
           "Chrome ja"),
    Header("ja-JP", (("ja-JP", 1.0),), "ja", False, "Safari ja-JP"),
    Header("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7",
           (("ko-KR", 1.0), ("ko", 0.9), ("en-US", 0.8), ("en", 0.7)), "ko", False,
           "Chrome ko-KR"),
    Header("he-IL,he;q=0.9,en-US;q=0.8,en;q=0.7",
           (("he-IL", 1.0), ("he", 0.9), ("en-US", 0.8), ("en", 0.7)), "he", False,
           "Chrome he-IL"),
    Header("id-ID,id;q=0.9,en-US;q=0.8,en;q=0.7",
           (("id-ID", 1.0), ("id", 0.9), ("en-US", 0.8), ("en", 0.7)), "id", False,
           "Chrome id-ID"),
    Header("th-TH,th;q=0.9", (("th-TH", 1.0), ("th", 0.9)), "th", False, "Chrome th-TH"),
    Header("tr-TR,tr;q=0.9,en-US;q=0.8,en;q=0.7",
           (("tr-TR", 1.0), ("tr", 0.9), ("en-US", 0.8), ("en", 0.7)), "tr", False,
           "Chrome tr-TR"),
    Header("ar-SA,ar;q=0.9,en-US;q=0.8,en;q=0.7",
           (("ar-SA", 1.0), ("ar", 0.9), ("en-US", 0.8), ("en", 0.7)), "en", False,
           "Arabic is not available: English, the reader's next preference"),
    Header("nl-NL,nl;q=0.9", (("nl-NL", 1.0), ("nl", 0.9)), "en", True,
           "Dutch is not available and nothing else is asked: the fallback"),
    Header(_MANY, _MANY_PARSED, "en", False, "Chrome with 30 languages; equal q keeps order"),
    Header(_MANY_NON_ENGLISH, (*_MANY_PARSED[2:], ("en", 0.05)), "de", False,
           "the same languages, English last: German is the first available by q"),
    # ---- Chinese: the script is never crossed (design notes; negotiate rule "a script
    # is never crossed"); a bare zh after zh-TW keeps Traditional
    Header("zh-CN,zh;q=0.9", (("zh-CN", 1.0), ("zh", 0.9)), "zh-Hans", False,
           "zh-CN is zh-Hans-CN, the catalogue's zh-Hans (zh = CN)"),
    Header("zh-SG,zh;q=0.9,en;q=0.8", (("zh-SG", 1.0), ("zh", 0.9), ("en", 0.8)), "zh-Hans",
           False, "zh-SG is zh-Hans-SG: Simplified, any region"),
    Header("zh", (("zh", 1.0),), "zh-Hans", False, "zh is zh-Hans-CN (likely subtags)"),
    Header("zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7",
           (("zh-TW", 1.0), ("zh", 0.9), ("en-US", 0.8), ("en", 0.7)), "en", False,
           "zh-TW is zh-Hant-TW and zh after it is read as zh-Hant: never zh-Hans"),
    Header("zh-TW,zh-Hant;q=0.9", (("zh-TW", 1.0), ("zh-Hant", 0.9)), "en", True,
           "Traditional only: nothing available in zh-Hant, the fallback"),
    Header("zh-HK,zh;q=0.9,en;q=0.8", (("zh-HK", 1.0), ("zh", 0.9), ("en", 0.8)), "en", False,
           "zh-HK is zh-Hant-HK: Traditional, so English"),
    Header("zh-Hant-TW,zh-Hans;q=0.5", (("zh-Hant-TW", 1.0), ("zh-Hans", 0.5)), "zh-Hans", False,
           "the reader accepts Simplified explicitly, at a lower q"),
    Header("zh-TW,zh;q=0.9,zh-CN;q=0.8", (("zh-TW", 1.0), ("zh", 0.9), ("zh-CN", 0.8)),
           "zh-Hans", False, "zh-CN, asked explicitly, is Simplified"),
    # ---- Norwegian and Serbian: not in the catalogue, so the next preference
    Header("nb-NO,nb;q=0.9,no;q=0.8,nn;q=0.7,en-US;q=0.6,en;q=0.5",
           (("nb-NO", 1.0), ("nb", 0.9), ("no", 0.8), ("nn", 0.7), ("en-US", 0.6), ("en", 0.5)),
           "en", False, "Chrome nb-NO"),
    Header("sr-Latn-RS,sr-Latn;q=0.9", (("sr-Latn-RS", 1.0), ("sr-Latn", 0.9)), "en", True,
           "Serbian is not available"),
    # ---- legacy and grandfathered codes (RFC 5646, CLDR aliases)
    Header("iw", (("he", 1.0),), "he", False, "iw is the legacy code of he"),
    Header("iw-IL,iw;q=0.9,en;q=0.8", (("he-IL", 1.0), ("he", 0.9), ("en", 0.8)), "he", False,
           "old Java and Android send iw"),
    Header("in", (("id", 1.0),), "id", False, "in is the legacy code of id"),
    Header("in-ID,in;q=0.9", (("id-ID", 1.0), ("id", 0.9)), "id", False, "legacy in-ID"),
    Header("ji", (("yi", 1.0),), "en", True, "ji is yi, not available"),
    Header("tl-PH,tl;q=0.9", (("fil-PH", 1.0), ("fil", 0.9)), "en", True, "tl is fil"),
    Header("i-klingon", (("tlh", 1.0),), "en", True, "grandfathered, preferred value tlh"),
    Header("x-pig-latin", (), "en", True, "private use only: no prefix is a language tag"),
    Header("x-pig-latin, fr;q=0.5", (("fr", 0.5),), "fr", False, "the private-use range skipped"),
    Header("en-GB-oed", (("en-GB", 1.0),), "en", False, "grandfathered en-GB-oed is en-GB"),
    # ---- wildcard, empty
    Header("*", (("*", 1.0),), "en", False, "* matches the default"),
    Header("", (), "en", True, "no preference: the fallback"),
    Header("   ", (), "en", True, "whitespace only"),
    Header("\t", (), "en", True, "a tab only"),
    Header("*;q=0", (), "en", True, "q=0 is left out; the final fallback is still made"),
    # ---- case and separators
    Header("en-us", (("en-US", 1.0),), "en", False, "case does not matter (RFC 4647 2.1)"),
    Header("EN", (("en", 1.0),), "en", False, "case does not matter"),
    Header("ZH-tw", (("zh-TW", 1.0),), "en", True, "case does not matter, Traditional"),
    Header("en_US", (("en-US", 1.0),), "en", False, "_ is read as a separator, as in tags"),
    Header("de-DE,de;q=0.9,", (("de-DE", 1.0), ("de", 0.9)), "de", False,
           "trailing comma: an empty list element (RFC 9110 5.6.1)"),
    Header(",fr;q=0.8,,it;q=0.9", (("it", 0.9), ("fr", 0.8)), "it", False,
           "empty list elements; ordered by q"),
    Header("ja\t;\tq=0.5 ,\tko;q=0.4", (("ja", 0.5), ("ko", 0.4)), "ja", False,
           "OWS (spaces, tabs) around ; and ,"),
    # ---- q values (RFC 9110 12.4.2)
    Header("ja;q=1.000", (("ja", 1.0),), "ja", False, "1.000 is a qvalue"),
    Header("ja;q=1.,ko;q=0.5", (("ja", 1.0), ("ko", 0.5)), "ja", False,
           "1. is a qvalue (0 digits after the point)"),
    Header("ko;q=0.001", (("ko", 0.001),), "ko", False, "0.001 is the smallest qvalue above 0"),
    Header("ja;q=1.0001,ko;q=0.5", (("ko", 0.5),), "ko", False,
           "1.0001: at most 3 digits, the item is skipped"),
    Header("ja;q=.5,ko;q=0.4", (("ko", 0.4),), "ko", False,
           ".5: a qvalue starts with 0 or 1, the item is skipped"),
    Header("ja;q=0.5000,ko;q=0.4", (("ko", 0.4),), "ko", False, "four digits: skipped"),
    Header("ja;q=1.5,ko;q=0.4", (("ko", 0.4),), "ko", False, "above 1: skipped"),
    Header("ja;q=-0.5,ko;q=0.4", (("ko", 0.4),), "ko", False, "negative: skipped"),
    Header("ja;q=1e-1,ko;q=0.4", (("ko", 0.4),), "ko", False, "exponent: skipped"),
    Header("ja;Q=0.5,ko;q=0.4", (("ja", 0.5), ("ko", 0.4)), "ja", False,
           "\"q=\" is case-insensitive (RFC 5234 strings)"),
    Header("ja;q=0,ko;q=0.5", (("ko", 0.5),), "ko", False, "q=0: not acceptable"),
    Header("ja;q=0.,ko;q=0.5", (("ko", 0.5),), "ko", False, "0. is q=0"),
    Header("en;q=0,ja;q=0.001", (("ja", 0.001),), "ja", False, "English refused, Japanese kept"),
    Header("ja;q=0.5,ko;q=0.7,ja;q=0.9", (("ko", 0.7), ("ja", 0.5)), "ko", False,
           "a repeated range: the first counts"),
    Header("iw;q=0.5,he;q=0.9", (("he", 0.5),), "he", False,
           "iw and he are one tag: the first counts"),
    # ---- parameters other than q: RFC 9110 gives Accept-Language none, the item is skipped
    Header("ja;level=1,ko;q=0.5", (("ko", 0.5),), "ko", False, "an unknown parameter"),
    Header("ja;q=0.5;level=1,ko;q=0.4", (("ko", 0.4),), "ko", False, "q and another parameter"),
    Header("ja;q=0.5;q=0.6,ko;q=0.4", (("ko", 0.4),), "ko", False, "two weights"),
    # ---- extensions, variants, private use: dropped from the tag read
    Header("en-US-u-ca-gregory,en;q=0.9", (("en-US", 1.0), ("en", 0.9)), "en", False,
           "a Unicode extension is dropped"),
    Header("ja-JP-u-ca-japanese", (("ja-JP", 1.0),), "ja", False, "a Unicode extension"),
    Header("de-DE-1996,de;q=0.9", (("de-DE", 1.0), ("de", 0.9)), "de", False, "a variant"),
    Header("en-x-foo", (("en", 1.0),), "en", False, "private use is dropped"),
    Header("en-au-xx", (("en-AU", 1.0),), "en", False,
           "not a tag: read as its longest prefix that is (RFC 4647 lookup)"),
    # ---- q=0 on a range narrower than the tag it is read as excludes nothing
    # (RFC 4647 3.3.2: a range covers the tags that have each of its subtags)
    Header("en-x-foo;q=0,en;q=0.8,ja;q=0.5", (("en", 0.8), ("ja", 0.5)), "en", False,
           "en-x-foo;q=0 says nothing of en"),
    Header("en-US-u-ca-gregory;q=0,en-US;q=0.5,ja;q=0.4", (("en-US", 0.5), ("ja", 0.4)), "en",
           False, "an extension makes the range narrower than en-US"),
    Header("de-DE-1996;q=0,de-DE;q=0.9,fr;q=0.5", (("de-DE", 0.9), ("fr", 0.5)), "de", False,
           "a variant makes the range narrower than de-DE"),
    Header("en-GB-oed;q=0,en-GB;q=0.9,fr;q=0.5", (("en-GB", 0.9), ("fr", 0.5)), "en", False,
           "en-GB-oed is en-GB-oxendict (IANA), narrower than en-GB"),
    Header("en-a;q=0,en;q=0.5", (("en", 0.5),), "en", False,
           "read by its prefix: narrower than en"),
)  # fmt: skip


class Regional(NamedTuple):
    """A header against a catalogue of regional or script variants."""

    header: str
    available: tuple[str, ...]
    served: str | None  # None: nothing matches (no default given)
    rule: str


ZH = ("en", "zh-Hans", "zh-Hant")
ZH_REGIONS = ("en", "zh-CN", "zh-TW", "zh-HK")
SR = ("en", "sr-Cyrl", "sr-Latn")
ES = ("en", "es-ES", "es-419")
PT = ("en", "pt-BR", "pt-PT")

REGIONAL_HEADERS: tuple[Regional, ...] = (
    # Chinese: zh-TW -> zh-Hant, zh-CN -> zh-Hans, zh-HK -> zh-Hant (likely subtags)
    Regional("zh-TW,zh;q=0.9", ZH, "zh-Hant", "zh-TW is zh-Hant-TW"),
    Regional("zh-CN,zh;q=0.9", ZH, "zh-Hans", "zh-CN is zh-Hans-CN"),
    Regional("zh-HK,zh;q=0.9,en;q=0.8", ZH, "zh-Hant", "zh-HK is zh-Hant-HK"),
    Regional("zh-MO", ZH, "zh-Hant", "zh-MO is zh-Hant-MO"),
    Regional("zh-SG", ZH, "zh-Hans", "zh-SG is zh-Hans-SG"),
    Regional("zh", ZH, "zh-Hans", "zh is zh-Hans-CN"),
    Regional("zh-Hant", ZH_REGIONS, "zh-TW", "zh-Hant's likely region is TW"),
    Regional("zh-HK", ZH_REGIONS, "zh-HK", "exact match"),
    Regional("zh-MO", ZH_REGIONS, "zh-HK", "CLDR parent of zh-Hant-MO is zh-Hant-HK"),
    Regional("zh-HK,en;q=0.5", ("en", "zh-CN", "zh-TW"), "zh-TW",
             "zh-TW shares the CLDR parent zh-Hant"),
    Regional("zh-TW,zh-Hant;q=0.9", ("en", "zh-Hans"), None, "never crosses to zh-Hans"),
    Regional("zh-CN", ("en", "zh-TW"), None, "never crosses to zh-Hant"),
    # Norwegian: nb and nn have the CLDR parent no; no finds nb and nn (rule 5)
    Regional("nb-NO,nb;q=0.9,no;q=0.8", ("en", "no"), "no", "nb's CLDR parent is no"),
    Regional("nn-NO,nn;q=0.9", ("en", "no"), "no", "nn's CLDR parent is no"),
    Regional("no", ("en", "nb"), "nb", "no finds a language whose CLDR parent it is"),
    Regional("no-NO", ("en", "nb"), "nb", "no-NO finds nb-NO"),
    Regional("no", ("en", "nb", "nn"), "nb", "members in the same region: code order"),
    Regional("nn-NO,nn;q=0.9,nb;q=0.8", ("en", "nb", "nn"), "nn", "exact match first"),
    Regional("no", ("en", "nn"), "nn", "no finds nn, whose CLDR parent it is"),
    Regional("nb", ("en", "nn"), "nn", "as no does: nn shares nb's CLDR parent no"),
    Regional("nb-NO,nb;q=0.9,en;q=0.5", ("en", "nn"), "nn", "nn shares the CLDR parent no"),
    Regional("nn", ("en", "nb"), "nb", "nb shares nn's CLDR parent no"),
    # Serbian: sr is sr-Cyrl-RS, sr-ME is sr-Latn-ME, sh is sr-Latn
    Regional("sr-Latn-RS", SR, "sr-Latn", "Latin script"),
    Regional("sr", SR, "sr-Cyrl", "sr is sr-Cyrl-RS"),
    Regional("sr-RS,sr;q=0.9", SR, "sr-Cyrl", "sr-RS is sr-Cyrl-RS"),
    Regional("sr-ME", SR, "sr-Latn", "sr-ME is sr-Latn-ME"),
    Regional("sh", SR, "sr-Latn", "sh is sr-Latn"),
    Regional("sr-Latn-RS", ("en", "sr"), None, "sr is Cyrillic: never crossed"),
    Regional("sr-RS,sr;q=0.9", ("en", "sr-Latn"), None, "sr-RS is Cyrillic: never crossed"),
    # Spanish: es-419 and CLDR parents
    Regional("es-419,es;q=0.9", ES, "es-419", "exact match"),
    Regional("es-MX,es;q=0.9", ES, "es-419", "CLDR parent of es-MX is es-419"),
    Regional("es-AR", ES, "es-419", "CLDR parent of es-AR is es-419"),
    Regional("es-US", ES, "es-419", "CLDR parent of es-US is es-419"),
    Regional("es", ES, "es-ES", "es is es-Latn-ES"),
    Regional("es-419", ("en", "es-MX", "es-ES"), "es-MX", "a regional variant of es-419"),
    Regional("es-AR", ("en", "es-MX", "es-ES"), "es-MX", "es-MX shares the parent es-419"),
    # Portuguese: CLDR parent pt-PT for the African and Asian variants
    Regional("pt-AO", PT, "pt-PT", "CLDR parent of pt-AO is pt-PT"),
    Regional("pt-MZ", PT, "pt-PT", "CLDR parent of pt-MZ is pt-PT"),
    Regional("pt", PT, "pt-BR", "pt is pt-Latn-BR"),
)  # fmt: skip
