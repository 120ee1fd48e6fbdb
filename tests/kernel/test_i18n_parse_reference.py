"""The one-pass tag parser agrees with RFC 5646's grammar written as a regular expression."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from symprogram._i18n_tags import _parse_cached, _parse_reference
from symprogram.errors import ValidationError
from symprogram.i18n import LanguageTag

# Subtags of every length and kind the grammar distinguishes, and a few that break it.
SUBTAGS = st.one_of(
    st.sampled_from(
        [
            "en", "zh", "sgn", "ar", "und", "x", "a", "u", "t", "1", "i", "iw", "in", "sh",
            "yue", "ase", "abc", "hant", "latn", "1996", "a123", "us", "gb", "419", "001",
            "uk", "valencia", "rozaj", "co", "phonebk", "toolongsubtag", "", "ks", "ca",
            "default", "klingon", "art", "lojban", "min", "nan",
        ]
    ),
    st.text(alphabet="abcxyz019", min_size=0, max_size=9),
)  # fmt: skip

TAGS = st.builds(
    lambda parts, sep, upper: sep.join(p.upper() if upper else p for p in parts),
    st.lists(SUBTAGS, min_size=1, max_size=7),
    st.sampled_from(["-", "_"]),
    st.booleans(),
)


def _outcome(parse: object, text: str) -> LanguageTag | str:
    assert callable(parse)
    try:
        result = parse(text)
    except ValidationError:
        return "invalid"
    assert isinstance(result, LanguageTag)
    return result


@given(st.one_of(TAGS, st.text(max_size=30)))
@example("zh-yue-HK")
@example("en-abc")
@example("de-CH-1996-a-bbb-x-1")
@example("en-a")
@example("en-x")
@example("i-klingon")
@example("i-default")
@example("sgn-be-fr")
@example("es-419-valencia-u-co-phonebk")
@example("en-US-GB")
@example("en--US")
def test_fast_parser_agrees_with_the_grammar(text: str) -> None:
    """Both give the same canonical tag, or both raise ValidationError."""
    assert _outcome(_parse_reference, text) == _outcome(_parse_cached.__wrapped__, text)
