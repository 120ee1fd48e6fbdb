"""A candidate's preferred language: a language CLDR knows, in any region CLDR names."""

from __future__ import annotations

import pytest
from babel import Locale, localedata
from hypothesis import example, given
from hypothesis import strategies as st

from symprogram.accounts._text import language
from symprogram.errors import ValidationError
from symprogram.i18n import parse_tag

# The languages (and language-Script) Babel has a locale for, and the regions CLDR names.
BASES = sorted(
    identifier
    for identifier in localedata.locale_identifiers()
    for parts in [identifier.split("_")]
    if len(parts) == 1 or (len(parts) == 2 and len(parts[1]) == 4)
)
REGIONS = sorted(set(Locale("en").territories) - {"ZZ"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no-NO", "no-NO"),  # Java's Norwegian locale; "no" alone is known
        ("pt-US", "pt-US"),  # a Portuguese speaker in the United States
        ("de-FR", "de-FR"),
        ("zh-Hans-TW", "zh-Hans-TW"),
        ("ru-DE", "ru-DE"),
        ("iw-US", "he-US"),  # legacy code, canonicalized
        ("zh-TW", "zh-TW"),  # CLDR keys it as zh_Hant_TW
        ("sr-Latn", "sr-Latn"),
        ("es-419", "es-419"),
    ],
)
def test_a_known_language_in_a_known_region_is_accepted(text: str, expected: str) -> None:
    """CLDR has no locale data for these combinations, but knows the language and the region."""
    assert expected == language(text)


@pytest.mark.parametrize(
    "text",
    [
        *("en-AA", "en-XX", "fr-QZ", "tlh-US", "qq-FR", "zz-ZZ", "en-ZZ"),
        *("zh-Cyrl", "sr-Grek", "he-Latn", "ja-Latn", "de-Hebr", "de-Hebr-DE", "en-Zzzz"),
    ],
)
def test_an_unknown_language_or_region_is_refused(text: str) -> None:
    """A region CLDR does not name (private use AA, XX, QZ; ``ZZ``, unknown), a
    language it does not know, or a script CLDR has no locale of the language in
    (Babel's ``Locale.parse`` would read ``zh-Cyrl`` as ``zh-Hans``)."""
    with pytest.raises(ValidationError) as info:
        language(text)
    assert "unknown_language" == info.value.code


@given(st.sampled_from(BASES), st.sampled_from(REGIONS))
@example("no", "NO")
@example("pt", "US")
@example("zh_Hans", "TW")
def test_every_cldr_language_in_every_cldr_region_is_known(base: str, region: str) -> None:
    """Any language (or language-Script) Babel has a locale for, in any region CLDR names,
    is a known preferred language, stored canonical."""
    text = f"{base}-{region}".replace("_", "-")
    assert str(parse_tag(text)) == language(text)
