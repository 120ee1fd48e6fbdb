"""The accounts text fast paths give exactly the answers of the full checks.

* ``_plain_email``: a plain ASCII address is normalized without email-validator;
  whenever it answers, the answer is email-validator's own (same normalized text,
  and email-validator accepts the address), on generated and hostile addresses.
* ``line``: a printable text skips the per-character checks; the result or error
  is the one of the per-character checks.
"""

from __future__ import annotations

import sys
import unicodedata

import email_validator
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given
from hypothesis import strategies as st

from symprogram.accounts import _text
from symprogram.errors import SymprogramError


def _library(text: str) -> str | None:
    """email-validator's normalized form, or None if it refuses the address."""
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def _check(text: str) -> None:
    fast = _text._plain_email(text)
    if fast is not None:
        assert _library(text) == fast


ROLE_NAMES = ["info", "Info", "POSTMASTER", "abuse", "noc", "www", "Sales"]
SPECIAL = ["test", "local", "localhost", "invalid", "onion", "arpa", "example", "TEST"]
label_chars = "abcXYZ0129-"
labels = st.one_of(
    st.text(alphabet=label_chars, min_size=0, max_size=8),
    st.text(alphabet="ab", min_size=60, max_size=66),  # around the 63-character limit
    st.sampled_from(["xn--bcher-kva", "xn--", "ab--cd", "a--b", "-a", "a-", "1", "123", "co"]),
    st.sampled_from(SPECIAL),
    st.text(alphabet="aé\u00fc\u0131\u212a\u200b.\u3002", min_size=1, max_size=4),  # IDNA
)
domains = st.lists(labels, min_size=1, max_size=5).map(".".join) | st.lists(
    st.text(alphabet="abc", min_size=50, max_size=63), min_size=4, max_size=5
).map(".".join)  # around the 253-character limit
locals_ = st.one_of(
    st.text(alphabet="aZ09._+-", min_size=0, max_size=10),
    st.text(alphabet="ab", min_size=60, max_size=70),  # around the 64-character limit
    st.sampled_from(ROLE_NAMES),
    st.sampled_from(['"a b"', '"a"', '"a@b"', "a..b", ".a", "a.", "é", "a\u0301", "a b"]),
    st.text(alphabet="!#$%&'*/=?^`{|}~\"\\(),:;<>[]@ ", max_size=3),
)
addresses = st.one_of(
    st.builds(lambda a, b: f"{a}@{b}", locals_, domains),
    st.from_regex(_text._PLAIN_EMAIL, fullmatch=True),
    st.text(max_size=40),
    st.builds(lambda a, b: f"Name <{a}@{b}>", locals_, domains),
)


@given(addresses)
@example("candidate.1@example1.com")
@example("Ann.Lee+news@Mail.Example.COM")
@example("info@example.com")
@example("a@b.test")
@example("a@mail.localhost")
@example("a@xn--bcher-kva.example")
@example("a@ab--cd.com")
@example("a@" + "b" * 64 + ".com")
@example("a" * 65 + "@example.com")
@example("a@" + ".".join(["c" * 63] * 4) + ".com")
@example("a" * 60 + "@" + ".".join(["b" * 50] * 4) + ".com")  # 269 characters
@example('"a"@example.com')
@example("a@example.c0m")
@example("a@123.com")
def test_the_plain_address_fast_path_answers_as_email_validator(text: str) -> None:
    """Whenever the fast path answers, email-validator accepts and normalizes the same."""
    _check(text)


def test_plain_addresses_take_the_fast_path() -> None:
    """The common shapes are answered without email-validator (so the test above bites)."""
    assert "candidate.1@example1.com" == _text._plain_email("candidate.1@example1.com")
    assert "Ann.Lee+news@mail.example.com" == _text._plain_email("Ann.Lee+news@Mail.Example.COM")
    for hostile in ("info@example.com", "a@b.test", "a@xn--bcher-kva.example", '"a"@x.com'):
        assert _text._plain_email(hostile) is None


def test_a_special_use_name_added_at_run_time_is_respected() -> None:
    """The fast path reads email-validator's special-use list when it runs."""
    email_validator.SPECIAL_USE_DOMAIN_NAMES.append("example")
    try:
        assert _text._plain_email("a@mail.example") is None
        _check("a@mail.example")
    finally:
        email_validator.SPECIAL_USE_DOMAIN_NAMES.remove("example")


def _reference_email(value: object) -> tuple[str, str]:
    """``email`` as it was before the fast paths: every check, then email-validator."""
    try:
        text = _text._check_type(value, "email").strip()
        _text._check_length(text, "email", _text.MAX_EMAIL_LENGTH)
        _text._check_unicode(text, "email")
        return ("value", _text._email.__wrapped__(text, "email"))
    except SymprogramError as exc:
        return ("error", exc.code)


def _email(value: object) -> tuple[str, str]:
    try:
        return ("value", _text.email(value))
    except SymprogramError as exc:
        return ("error", exc.code)


@given(addresses | st.text(alphabet=st.characters(codec=None), max_size=30))
@example("  Ada@EXAMPLE.com ")
@example("a\ud800@example.com")
@example("x" * 250 + "@example.com")
def test_email_gives_the_result_or_error_code_of_the_full_checks(text: str) -> None:
    """Normalized text or error code: exactly what the full checks give."""
    assert _reference_email(text) == _email(text)


# -- line -------------------------------------------------------------------------------
def _reference_line(value: object, field: str, limit: int) -> tuple[str, object]:
    """``line`` (``symprogram._checks.check_text``, stripped) without the fast path:
    every character checked, in order, before the blank and length checks."""
    try:
        text = _text._check_type(value, field)
        _text._check_length(text, field, limit * 4 + 64)
        text = text.strip()
        for ch in text:
            if unicodedata.category(ch) == "Cs":
                return ("error", "invalid_unicode")
            if unicodedata.category(ch) == "Cc" or ch in _text._LINE_BREAKS:
                return ("error", "control_characters")
        if not text:
            return ("error", "field_required")
        _text._check_length(text, field, limit)
        return ("value", text)
    except SymprogramError as exc:
        return ("error", exc.code)


def _line(value: object, field: str, limit: int) -> tuple[str, object]:
    try:
        return ("value", _text.line(value, field, limit))
    except SymprogramError as exc:
        return ("error", exc.code)


@given(
    st.text(alphabet=st.characters(codec=None), max_size=12)
    | st.text(alphabet=" \t\n\r\x00\x7f\x85\u2028\u2029a\u00e9\ud800", max_size=8),
    st.integers(1, 10),
)
def test_line_gives_the_result_or_error_code_of_the_character_checks(text: str, limit: int) -> None:
    """Stripped text or error code: exactly what the per-character checks give."""
    assert _reference_line(text, "name", limit) == _line(text, "name", limit)


@pytest.mark.parametrize("start", range(0, sys.maxunicode + 1, 0x10000))
def test_no_printable_character_is_a_control_surrogate_or_line_break(start: int) -> None:
    """Every code point (one plane per case): printable implies both checks pass."""
    for ch in map(chr, range(start, start + 0x10000)):
        if ch.isprintable():
            assert unicodedata.category(ch) not in ("Cc", "Cs")
            assert ch not in _text._LINE_BREAKS
