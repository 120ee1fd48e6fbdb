"""The kernel's field checks (symprogram._checks): one behaviour for every context."""

from __future__ import annotations

import enum
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram._checks import (
    TextCodes,
    check_date,
    check_enum,
    check_found,
    check_instance,
    check_instant,
    check_int,
    check_length,
    check_text,
    check_transition,
    optional,
    optional_instance,
    optional_text,
    validator,
)
from symprogram.errors import (
    IllegalTransition,
    LimitExceeded,
    NotFound,
    SymprogramError,
    ValidationError,
)


class Colour(enum.StrEnum):
    RED = "red"
    BLUE = "blue"


def _acceptable(text: str) -> bool:
    return all(
        unicodedata.category(ch) not in ("Cc", "Cs") and ch not in "\u2028\u2029\u0085"
        for ch in text
    )


@given(st.text(max_size=40))
def test_check_text_accepts_exactly_printable_text_within_its_limit(text: str) -> None:
    """Text without controls, line breaks or surrogates, non-blank and within the limit passes."""
    ok = _acceptable(text) and text.strip() != "" and len(text) <= 20
    if ok:
        assert check_text(text, "note", limit=20) == text
    else:
        with pytest.raises(SymprogramError) as caught:
            check_text(text, "note", limit=20)
        assert caught.value.field == "note"
        assert caught.value.code in {"invalid_note", "note_too_long"}


@given(st.text(max_size=60))
def test_check_text_never_lets_nul_or_surrogates_through(text: str) -> None:
    """Whatever the options, NUL and lone surrogates are refused."""
    bad = "\x00" in text or any(unicodedata.category(ch) == "Cs" for ch in text)
    for options in ({}, {"controls": True}, {"multiline": True, "blank": True}):
        try:
            check_text(text, "t", limit=1000, **options)  # type: ignore[arg-type]
        except LimitExceeded:
            raise AssertionError("within the limit") from None
        except ValidationError:
            if options.get("controls") or options.get("blank"):
                assert bad or not text.strip() or not _acceptable(text)
        else:
            assert not bad


def test_multiline_normalises_line_ends_and_allows_tabs() -> None:
    """\\r\\n and lone \\r become \\n; tabs are kept; other controls refused."""
    assert check_text("a\r\nb\rc\td", "body", limit=20, multiline=True) == "a\nb\nc\td"
    with pytest.raises(ValidationError) as caught:
        check_text("a\x07b", "body", limit=20, multiline=True)
    assert caught.value.details["character"] == "U+0007"


def test_single_line_text_refuses_line_breaks() -> None:
    """A line may not contain \\n, U+2028 or U+0085."""
    for text in ("a\nb", "a\u2028b", "a\x85b"):
        with pytest.raises(ValidationError):
            check_text(text, "name", limit=20)


def test_context_codes_replace_the_defaults() -> None:
    """A context's TextCodes decide every code raised."""
    codes = TextCodes(
        wrong_type="invalid_type",
        blank="field_required",
        too_long="text_too_long",
        control="control_characters",
        surrogate="invalid_unicode",
    )
    cases = [
        (3, "invalid_type"),
        ("  ", "field_required"),
        ("x" * 9, "text_too_long"),
        ("a\tb", "control_characters"),
        ("a\ud800", "invalid_unicode"),
    ]
    for value, code in cases:
        with pytest.raises(SymprogramError) as caught:
            check_text(value, "city", limit=8, codes=codes)
        assert code == caught.value.code


def test_too_long_reports_limit_and_length_and_strip_counts_after_stripping() -> None:
    """The limit applies to the stripped text; details say limit and length."""
    assert check_text("  abc  ", "x", limit=3, strip=True) == "abc"
    with pytest.raises(LimitExceeded) as caught:
        check_text("abcd", "x", limit=3)
    assert {"limit": 3, "length": 4} == caught.value.details


def test_huge_input_is_refused_before_it_is_scanned() -> None:
    """A megabyte for a 10-character field is LimitExceeded at once."""
    with pytest.raises(LimitExceeded):
        check_text("\x01" * 1_000_000, "x", limit=10, strip=True)


def test_optional_text_gives_none_for_none_and_blank() -> None:
    """None and blank are absent; anything else is checked."""
    assert optional_text(None, "x", limit=3) is None
    assert optional_text("   ", "x", limit=3) is None
    assert optional_text("ab", "x", limit=3) == "ab"
    with pytest.raises(LimitExceeded):
        optional_text("abcd", "x", limit=3)


@given(st.one_of(st.text(max_size=6), st.integers(), st.none(), st.sampled_from(list(Colour))))
def test_check_enum_accepts_members_and_their_values_only(value: object) -> None:
    """A member or a member's value is accepted; anything else is invalid_<field>."""
    valid = value in set(Colour) or value in {c.value for c in Colour}
    if valid:
        assert check_enum(Colour, value, "colour") is Colour(value)
    else:
        with pytest.raises(ValidationError) as caught:
            check_enum(Colour, value, "colour")
        assert caught.value.code == "invalid_colour"
        assert "red, blue" in caught.value.message


def test_check_instant_and_date() -> None:
    """Instants become UTC; naive ones, dates and strings are refused; dates must be dates."""
    east = datetime(2011, 1, 15, 2, tzinfo=timezone(timedelta(hours=2)))
    assert datetime(2011, 1, 15, tzinfo=UTC) == check_instant(east, "at")
    for bad, code in (("2011", "invalid_instant"), (datetime(2011, 1, 1), "naive_datetime")):
        with pytest.raises(ValidationError) as caught:
            check_instant(bad, "at")
        assert code == caught.value.code
    assert date(2011, 1, 15) == check_date(date(2011, 1, 15), "day")
    with pytest.raises(ValidationError):
        check_date(datetime(2011, 1, 15, tzinfo=UTC), "day")


@given(st.one_of(st.integers(-5, 15), st.booleans(), st.floats(), st.text(max_size=2)))
def test_check_int_bounds_and_refuses_bools(value: object) -> None:
    """Only ints (never bools) within the bounds pass."""
    ok = type(value) is int and 0 <= value <= 10
    if ok:
        assert value == check_int(value, "count", minimum=0, maximum=10)
    else:
        with pytest.raises(ValidationError) as caught:
            check_int(value, "count", minimum=0, maximum=10)
        assert caught.value.code == "invalid_count"


def test_attrs_validators_name_the_attribute() -> None:
    """validator() and optional() run the check with the attribute's name."""

    @attrs.frozen
    class Note:
        title: str = attrs.field(validator=validator(check_text, limit=5))
        body: str | None = attrs.field(
            default=None, validator=optional(validator(check_text, limit=5))
        )

    assert Note("ok").body is None
    with pytest.raises(LimitExceeded) as caught:
        Note("ok", body="too long")
    assert caught.value.field == "body"


def test_same_codes_give_one_code_for_every_text_error() -> None:
    """TextCodes.same(code): every kind of bad text raises ``code`` (length optionally its own)."""
    codes = TextCodes.same("invalid_name")
    assert codes == TextCodes(
        "invalid_name", "invalid_name", "invalid_name", "invalid_name", "invalid_name"
    )
    with pytest.raises(LimitExceeded) as caught:
        check_text("x" * 6, "name", limit=5, codes=codes)
    assert caught.value.code == "invalid_name"
    with pytest.raises(ValidationError) as refused:
        check_text(" ", "name", limit=5, codes=codes)
    assert refused.value.code == "invalid_name"
    assert TextCodes.same("invalid_name", too_long="name_too_long").too_long == "name_too_long"


def test_check_instance_names_the_field_and_the_class() -> None:
    """check_instance: the value if it is a ``cls``, the default for None, else invalid_<field>."""
    assert check_instance(3, int, "count") == 3
    assert check_instance(None, int, "count", default=7) == 7
    assert optional_instance(None, int, "count") is None
    assert optional_instance(4, int, "count") == 4
    with pytest.raises(ValidationError) as caught:
        check_instance("3", int, "count")
    assert caught.value.code == "invalid_count"
    assert "count must be an int" in str(caught.value)
    with pytest.raises(ValidationError) as other:
        optional_instance(3, str, "settings", code="invalid_settings")
    assert other.value.code == "invalid_settings"
    assert "settings must be a str" in str(other.value)
    assert isinstance(other.value, SymprogramError)


def test_check_transition_allows_the_table_and_refuses_the_rest() -> None:
    """check_transition: a change the table allows passes; any other is illegal_transition."""
    table = {Colour.RED: frozenset({Colour.BLUE}), Colour.BLUE: frozenset[Colour]()}
    check_transition(table, Colour.RED, Colour.BLUE, what="a colour")
    with pytest.raises(IllegalTransition) as caught:
        check_transition(table, Colour.BLUE, Colour.RED, what="a colour")
    assert caught.value.code == "illegal_transition"
    assert caught.value.field == "status"
    assert caught.value.details == {"from": "blue", "to": "red"}
    assert "a colour cannot go from blue to red" in str(caught.value)
    with pytest.raises(IllegalTransition) as custom:
        check_transition(table, Colour.BLUE, Colour.RED, what="a colour", code="colour_blue")
    assert custom.value.code == "colour_blue"


def test_check_length_counts_any_sized_value() -> None:
    """check_length: at most ``limit`` items pass; more is LimitExceeded with limit/length."""
    assert check_length("abc", "code", limit=3) == "abc"
    assert check_length((1, 2), "lines", limit=2) == (1, 2)
    with pytest.raises(LimitExceeded) as caught:
        check_length("abcd", "code", limit=3)
    assert caught.value.code == "code_too_long"
    assert caught.value.details == {"limit": 3, "length": 4}
    assert "code is longer than 3 characters" in str(caught.value)
    with pytest.raises(LimitExceeded) as custom:
        check_length(
            (1, 2, 3), "lines", limit=2, code="too_many_lines", message="two lines at most"
        )
    assert custom.value.code == "too_many_lines"
    assert "two lines at most" in str(custom.value)


@given(value=st.one_of(st.integers(), st.text(), st.just(0), st.just(""), st.just(False)))
def test_check_found_returns_anything_found_even_falsy(value: object) -> None:
    """Only ``None`` is a miss: ``0``, ``""`` and ``False`` are found things, returned as given."""
    assert check_found(value, "no such thing", code="thing_not_found") is value


@given(
    message=st.text(max_size=40),
    code=st.from_regex(r"[a-z_]{1,20}", fullmatch=True),
    field=st.none() | st.from_regex(r"[a-z_]{1,20}", fullmatch=True),
)
def test_check_found_refuses_none_with_the_message_code_and_field(
    message: str, code: str, field: str | None
) -> None:
    """A miss raises NotFound carrying the caller's message, code, field and details."""
    with pytest.raises(NotFound) as refused:
        check_found(None, message, code=code, field=field, details={"key": "k"})
    assert (message, code, field, {"key": "k"}) == (
        refused.value.message,
        refused.value.code,
        refused.value.field,
        refused.value.details,
    )
