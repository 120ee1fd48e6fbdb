"""Candidate IDs: format, lenient parsing, check character and randomness."""

from __future__ import annotations

import contextlib
import itertools
import random

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram.errors import LimitExceeded, ValidationError
from symprogram.ids import (
    ALPHABET,
    BODY_LENGTH,
    LENGTH,
    MAX_INPUT_LENGTH,
    PREFIX,
    RANDOM_BITS,
    CandidateId,
    canonical_subject,
    check_character,
    validate,
)

bodies = st.text(alphabet=ALPHABET, min_size=BODY_LENGTH, max_size=BODY_LENGTH)
candidate_ids = bodies.map(lambda body: CandidateId(body + check_character(body)))

# A fixed sample for the exhaustive proofs: edge cases plus seeded random draws.
_rng = random.Random(20110114)
SAMPLE = [
    CandidateId("0" * BODY_LENGTH + check_character("0" * BODY_LENGTH)),
    CandidateId("Z" * BODY_LENGTH + check_character("Z" * BODY_LENGTH)),
    CandidateId.parse("SP-0000-0000-0001-2"),
    *(CandidateId.generate(_rng) for _ in range(60)),
]


def _substitutions(text: str) -> list[str]:
    return [
        text[:i] + symbol + text[i + 1 :]
        for i in range(len(text))
        for symbol in ALPHABET
        if symbol != text[i]
    ]


def _adjacent_swaps(text: str) -> list[str]:
    return [
        text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        for i in range(len(text) - 1)
        if text[i] != text[i + 1]
    ]


def _all_swaps(text: str) -> list[str]:
    out = []
    for i in range(len(text)):
        for j in range(i + 1, len(text)):
            if text[i] != text[j]:
                chars = list(text)
                chars[i], chars[j] = chars[j], chars[i]
                out.append("".join(chars))
    return out


def test_alphabet_is_crockford_base32():
    """The alphabet is the 32 Crockford symbols, without I, L, O and U."""
    assert len(set(ALPHABET)) == 32
    assert set() == set("ILOU") & set(ALPHABET)
    assert ALPHABET == "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def test_display_form_is_prefix_groups_and_check():
    """str() is SP-XXXX-XXXX-XXXX-C and the compact value is 13 symbols."""
    cid = CandidateId.parse("SP-0000-0000-0001-2")
    assert str(cid) == "SP-0000-0000-0001-2"
    assert cid.value == "0000000000012"
    assert cid.body == "000000000001"
    assert cid.check == "2"
    assert cid.display == str(cid)
    assert repr(cid) == "CandidateId('SP-0000-0000-0001-2')"


@given(candidate_ids)
def test_every_id_has_fixed_length_display_form(cid):
    """Every ID displays as SP, three groups of four and the check symbol."""
    parts = str(cid).split("-")
    assert [parts[0], *map(len, parts[1:])] == [PREFIX, 4, 4, 4, 1]
    assert len(cid.value) == LENGTH


@pytest.mark.parametrize("cid", SAMPLE, ids=str)
def test_every_single_substitution_is_rejected(cid):
    """Replacing any one symbol (body or check) by any other symbol is refused."""
    for text in (cid.value, PREFIX + cid.value):
        for wrong in _substitutions(text):
            assert not CandidateId.is_valid(wrong), wrong
    for wrong in _substitutions(cid.value):
        assert not validate(wrong)


@pytest.mark.parametrize("cid", SAMPLE, ids=str)
def test_every_adjacent_transposition_is_rejected(cid):
    """Swapping two adjacent distinct symbols, prefix and check included, is refused."""
    for text in (cid.value, PREFIX + cid.value, str(cid).replace("-", "")):
        for wrong in _adjacent_swaps(text):
            with pytest.raises(ValidationError):
                CandidateId.parse(wrong)


@pytest.mark.parametrize("cid", SAMPLE, ids=str)
def test_every_transposition_at_any_distance_is_rejected(cid):
    """Swapping any two distinct symbols of the compact form is refused."""
    for wrong in _all_swaps(cid.value):
        assert not CandidateId.is_valid(wrong), wrong


@pytest.mark.parametrize("cid", SAMPLE, ids=str)
def test_a_wrong_check_symbol_reports_check_failed(cid):
    """A body with the wrong check symbol raises candidate_id_check_failed."""
    for symbol in ALPHABET.replace(cid.check, ""):
        with pytest.raises(ValidationError) as info:
            CandidateId.parse(cid.body + symbol)
        assert info.value.code == "candidate_id_check_failed"
        assert info.value.field == "candidate_id"


def test_every_twin_error_is_rejected():
    """Replacing two equal adjacent symbols aa by bb is refused (exhaustive over pairs)."""
    for a in ALPHABET:
        body = "0" * 5 + a + a + "0" * 5
        good = body + check_character(body)
        for b in ALPHABET.replace(a, ""):
            assert not validate(good[:5] + b + b + good[7:])


@given(bodies, st.data())
def test_random_substitutions_are_rejected_by_generic_validate(body, data):
    """validate() refuses any single substitution of any valid ID."""
    good = body + check_character(body)
    assert validate(good)
    i = data.draw(st.integers(0, LENGTH - 1))
    symbol = data.draw(st.sampled_from(ALPHABET).filter(lambda s: s != good[i]))
    assert not validate(good[:i] + symbol + good[i + 1 :])


@given(candidate_ids)
def test_parse_round_trips_display_and_compact_forms(cid):
    """parse(str(id)) == id and parse(id.value) == id."""
    assert cid == CandidateId.parse(str(cid))
    assert cid == CandidateId.parse(cid.value)
    assert cid == CandidateId.parse(PREFIX + cid.value)


@given(candidate_ids, st.data())
def test_parse_is_lenient_about_case_separators_and_aliases(cid, data):
    """Lower case, O for 0, I/L for 1, and any hyphens or spaces are accepted."""
    chars = []
    for ch in str(cid):
        if ch == "-":
            chars.append(data.draw(st.sampled_from(["", "-", " ", " - ", "--"])))
            continue
        if ch == "0":
            ch = data.draw(st.sampled_from("0Oo"))
        elif ch == "1":
            ch = data.draw(st.sampled_from("1IiLl"))
        if data.draw(st.booleans()):
            ch = ch.lower()
        chars.append(ch)
    if data.draw(st.booleans()):
        chars = chars[1:] if chars[0] in "Ss" else chars
        chars = chars[1:] if chars and chars[0] in "Pp" else chars
    text = data.draw(st.sampled_from(["", " ", "\t"])) + "".join(chars) + " "
    assert cid == CandidateId.parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "sp-0000-0000-0001-2",
        "SP 0000 0000 0001 2",
        "0000000000012",
        "00000000000-12",
        "sp-oooo-OOOO-ooo1-2",
        "SP-0000-0000-000I-2",
        "SP-0000-0000-000l-2",
        "  SP-0000-0000-0001-2\n",
    ],
)
def test_parse_accepts_written_variants(text):
    """Typical ways of writing the same ID all parse to it."""
    assert str(CandidateId.parse(text)) == "SP-0000-0000-0001-2"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "SP",
        "SP-0000-0000-0001",
        "SP-0000-0000-0001-2-0",
        "XX-0000-0000-0001-2",
        "SP-0000-0000-000U-2",
        "SP-0000-0000-0001-*",
        "SP-0000-0000-0001-2\x00",
        "SP_0000_0000_0001_2",
        "SP-0000-0000-000\u0131-2",  # dotless i upper-cases to I: refused, not aliased
        "SP-\uff10000-0000-0001-2",  # full-width zero
        "SPSP-0000-0000-0001-2",
    ],
)
def test_parse_refuses_malformed_text(text):
    """Wrong length, foreign symbols, NUL or non-ASCII raise invalid_candidate_id."""
    with pytest.raises(ValidationError) as info:
        CandidateId.parse(text)
    assert info.value.code == "invalid_candidate_id"
    assert info.value.field == "candidate_id"
    assert not CandidateId.is_valid(text)


def test_parse_refuses_huge_input_before_reading_it():
    """Input longer than MAX_INPUT_LENGTH raises LimitExceeded with the candidate_id code."""
    with pytest.raises(LimitExceeded) as info:
        CandidateId.parse("0" * (MAX_INPUT_LENGTH + 1))
    assert info.value.code == "invalid_candidate_id"
    with pytest.raises(ValidationError):
        CandidateId.parse("SP-0000-0000-0001-2" + " " * 10_000_000)


@pytest.mark.parametrize("value", [None, 12, b"SP-0000-0000-0001-2", ["0"], 1.5])
def test_parse_refuses_non_text(value):
    """Non-string input raises ValidationError, never TypeError."""
    with pytest.raises(ValidationError) as info:
        CandidateId.parse(value)
    assert info.value.code == "invalid_candidate_id"
    assert not CandidateId.is_valid(value)


@given(st.text())
def test_parse_only_ever_raises_validation_error(text):
    """Any text either parses to an ID whose display re-parses, or raises ValidationError."""
    if CandidateId.is_valid(text):
        cid = CandidateId.parse(text)
        assert CandidateId.parse(str(cid)) == cid
    else:
        with pytest.raises(ValidationError) as info:
            CandidateId.parse(text)
        assert info.value.code in {"invalid_candidate_id", "candidate_id_check_failed"}
        assert info.value.field == "candidate_id"


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz- "))
def test_parse_of_near_miss_text_only_raises_validation_error(text):
    """Text made of ID-like characters either parses or raises ValidationError."""
    with contextlib.suppress(ValidationError):
        CandidateId.parse(text)


@pytest.mark.parametrize("value", ["", "0000000000012 ", "SP-0000-0000-0001-2", "0000000000013"])
def test_constructor_accepts_only_the_strict_compact_form(value):
    """CandidateId(value) refuses anything but 13 canonical symbols with a right check."""
    with pytest.raises(ValidationError):
        CandidateId(value)


def test_ids_are_immutable_and_ordered():
    """A CandidateId is frozen, hashable and sortable by value."""
    a = CandidateId.parse("SP-0000-0000-0001-2")
    b = CandidateId.generate(random.Random(1))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        a.value = b.value  # type: ignore[misc]
    assert sorted([a, b], key=lambda c: c.value) == sorted([a, b])
    assert {a} == {CandidateId.parse(str(a))}


def test_generated_ids_are_valid_and_unique():
    """10 000 draws from the system CSPRNG are all valid and all distinct."""
    drawn = [CandidateId.generate() for _ in range(10_000)]
    assert all(validate(cid.value) for cid in drawn)
    assert len(set(drawn)) == 10_000


def _number(body: str) -> int:
    number = 0
    for symbol in body:
        number = number * 32 + ALPHABET.index(symbol)
    return number


def test_generated_ids_are_not_sequential():
    """Consecutive IDs are not neighbours, and every symbol position varies."""
    drawn = [CandidateId.generate() for _ in range(2_000)]
    numbers = [_number(cid.body) for cid in drawn]
    steps = {b - a for a, b in itertools.pairwise(numbers)}
    assert len(steps) > 1_900
    for position in range(BODY_LENGTH):
        assert len({cid.body[position] for cid in drawn}) == 32


def test_generate_uses_the_given_source_of_random_bits():
    """A seeded source gives reproducible IDs built from RANDOM_BITS bits."""

    class Bits:
        def __init__(self) -> None:
            self.asked: list[int] = []

        def getrandbits(self, k: int, /) -> int:
            self.asked.append(k)
            return 1

    source = Bits()
    assert str(CandidateId.generate(source)) == "SP-0000-0000-0001-2"
    assert source.asked == [RANDOM_BITS]
    assert CandidateId.generate(random.Random(5)) == CandidateId.generate(random.Random(5))
    assert RANDOM_BITS >= 60


@pytest.mark.parametrize("body", ["a", "I", "U", "0 1", "\x00", "0" * 256])
def test_check_character_refuses_bad_bodies(body):
    """check_character wants canonical symbols only; anything else is a ValidationError."""
    with pytest.raises(ValidationError) as info:
        check_character(body)
    assert info.value.code == "invalid_check_body"


@pytest.mark.parametrize("value", [None, "", "0", "00000000000-1", "0000000000012\x00", 5])
def test_validate_is_false_for_non_ids(value):
    """validate() answers False, never raises, for anything that is not a checked string."""
    assert not validate(value)


@given(st.text(alphabet=ALPHABET, min_size=1, max_size=30), st.data())
def test_check_character_catches_any_transposition_up_to_30_symbols(body, data):
    """For bodies up to 30 symbols, any swap of two distinct symbols is caught."""
    good = body + check_character(body)
    i = data.draw(st.integers(0, len(good) - 2))
    j = data.draw(st.integers(i + 1, len(good) - 1))
    chars = list(good)
    chars[i], chars[j] = chars[j], chars[i]
    assert validate("".join(chars)) == (good[i] == good[j])


@given(candidate_ids, st.data())
def test_every_spelling_of_a_candidate_id_is_one_subject(cid, data):
    """canonical_subject gives the display form for any spelling parse accepts (case,
    dashes, spaces, the prefix), and the display form is its own canonical spelling."""
    chars = [
        data.draw(st.sampled_from(["", "-", " "]))
        if ch == "-"
        else data.draw(st.sampled_from([ch, ch.lower()]))
        for ch in str(cid)
    ]
    if data.draw(st.booleans()):
        chars = chars[2:]  # without the SP prefix
    spelling = "".join(chars)
    assert canonical_subject(spelling) == str(cid)
    assert canonical_subject(str(cid)) == str(cid)


@given(st.text(max_size=80) | st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,70}", fullmatch=True))
def test_a_subject_that_is_no_candidate_id_is_kept_as_given(text):
    """Any other host ID (a visitor, a customer) is returned exactly as given."""
    expected = str(CandidateId.parse(text)) if CandidateId.is_valid(text) else text
    assert canonical_subject(text) == expected
    assert canonical_subject("C-1042") == "C-1042"
    assert canonical_subject("SP-0000-0000-0000-1") == "SP-0000-0000-0000-1"  # a wrong check
