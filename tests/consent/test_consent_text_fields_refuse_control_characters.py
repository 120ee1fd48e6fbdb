"""Consent text refuses control characters and escape sequences, as its error says.

Before the fix the evidence of a choice and the values of personal data (recorded
or asked to be corrected) refused only NUL, although the refusal read "may not
contain control characters or line breaks": ESC sequences, BEL, DEL, line breaks,
U+0085 and U+2028 were stored. Evidence is one line of text; a value of personal
information may span lines (a postal address: ``\\n`` and ``\\t``; ``\\r\\n`` and
``\\r`` become ``\\n``) and refuses every other control character or line break.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram.clock import FixedClock
from symprogram.consent import ConsentService
from symprogram.errors import ValidationError
from symprogram.storage.memory import MemoryStore

T0 = datetime(2011, 1, 14, tzinfo=UTC)

Snapshot = Callable[[], Any]
Write = Callable[[ConsentService, str], object]

EVIDENCE: dict[str, Write] = {
    "grant": lambda c, t: c.grant("S-1", "newsletters", channel="web_form", evidence=t),
    "refuse": lambda c, t: c.refuse("S-1", "special_offers", channel="web_form", evidence=t),
    "withdraw": lambda c, t: c.withdraw("S-1", "research", channel="phone", evidence=t),
    "opt_out": lambda c, t: c.opt_out("S-1", "newsletters", channel="email_reply", evidence=t),
}
VALUES: dict[str, Write] = {
    "record_personal_data": lambda c, t: c.record_personal_data("S-1", "order", {"name": t}),
    "request_correction": lambda c, t: c.request_correction("S-1", {"name": t}),
}

# Refused everywhere: C0 controls but \n and \t, DEL, C1 controls (CSI U+009B), the
# Unicode line and paragraph separators.
ALWAYS_REFUSED = ["\x00", "\x07", "\x1b", "\x7f", "\x9b", "\x85", "\u2028", "\u2029"]
LINE_BREAKS = ["\n", "\r", "\r\n", "\t"]


@pytest.mark.parametrize("write", sorted(EVIDENCE))
@pytest.mark.parametrize("bad", ALWAYS_REFUSED + LINE_BREAKS, ids=ascii)
def test_evidence_is_one_line_without_control_characters(
    consent: ConsentService, snapshot: Snapshot, write: str, bad: str
) -> None:
    """ESC, BEL, DEL, C1, NUL, line breaks, tabs in evidence: invalid_evidence; nothing written."""
    before = snapshot()
    with pytest.raises(ValidationError) as info:
        EVIDENCE[write](consent, f"\x1b[2Jbox ticked{bad}forged line")
    assert ("invalid_evidence", "evidence") == (info.value.code, info.value.field)
    assert before == snapshot()


def test_the_reported_escape_sequence_is_refused(consent: ConsentService) -> None:
    """The report's evidence and name are refused; plain evidence is kept as given."""
    with pytest.raises(ValidationError) as evidence:
        consent.grant(
            "S-1", "newsletters", channel="web_form", evidence="\x1b[2J\x07box ticked\nforged line"
        )
    assert "invalid_evidence" == evidence.value.code
    with pytest.raises(ValidationError) as value:
        consent.record_personal_data("S-1", "order", {"name": "\x1b[31mAda\x7f"})
    assert "invalid_value" == value.value.code
    consent.grant("S-1", "newsletters", channel="web_form", evidence="form 7, box 2 ticked")
    assert "form 7, box 2 ticked" == consent.granted_evidence("S-1", "newsletters")


@pytest.mark.parametrize("write", sorted(VALUES))
@pytest.mark.parametrize("bad", ALWAYS_REFUSED, ids=ascii)
def test_personal_data_values_refuse_control_characters(
    consent: ConsentService, snapshot: Snapshot, write: str, bad: str
) -> None:
    """A value with a control character (but \\n, \\t) or U+0085/U+2028/U+2029:
    invalid_value, nothing written."""
    consent.record_gathered("S-1", "other_activities", ["name"])
    before = snapshot()
    with pytest.raises(ValidationError) as info:
        VALUES[write](consent, f"Ada{bad}Lovelace")
    assert ("invalid_value", "value") == (info.value.code, info.value.field)
    assert before == snapshot()


def test_a_postal_address_may_span_lines(consent: ConsentService) -> None:
    """\\n and \\t are kept in a value; \\r\\n and a lone \\r become \\n."""
    consent.record_personal_data(
        "S-1", "order", {"address": "Symantec Corporation\r\n555 International Way\rSpringfield"}
    )
    assert "Symantec Corporation\n555 International Way\nSpringfield" == (
        consent.personal_data("S-1").value("address")
    )
    request = consent.request_correction("S-1", {"address": "Suite 1\tFloor 2\nSpringfield"})
    assert (("address", "Suite 1\tFloor 2\nSpringfield"),) == request.changes


# -- properties --------------------------------------------------------------------


def _refused_in_a_value(ch: str) -> bool:
    return (unicodedata.category(ch) == "Cc" and ch not in "\n\t\r") or ch in "\x85\u2028\u2029"


_PLAIN = st.text(st.characters(categories=["L", "N", "P", "Zs"]), max_size=20)
_CONTROLS = st.characters(categories=["Cc"]) | st.sampled_from(["\u2028", "\u2029"])


@settings(max_examples=60, deadline=None)
@given(_PLAIN, _CONTROLS, _PLAIN, st.sampled_from(sorted(EVIDENCE)))
def test_any_control_character_anywhere_in_evidence_is_refused(
    head: str, bad: str, tail: str, write: str
) -> None:
    """For every control character or line separator at any place: invalid_evidence."""
    consent = ConsentService(MemoryStore(), FixedClock(T0))
    with pytest.raises(ValidationError) as info:
        EVIDENCE[write](consent, head + bad + tail)
    assert "invalid_evidence" == info.value.code
    assert () == consent.history("S-1")


@settings(max_examples=60, deadline=None)
@given(_PLAIN, _CONTROLS, _PLAIN, st.sampled_from(sorted(VALUES)))
def test_any_control_character_in_a_value_is_refused_but_line_breaks(
    head: str, bad: str, tail: str, write: str
) -> None:
    """A value is refused exactly when it holds a control character other than \\n, \\t
    (and \\r, read as \\n) or a Unicode line separator; else it is kept."""
    consent = ConsentService(MemoryStore(), FixedClock(T0))
    consent.record_gathered("S-1", "other_activities", ["name"])
    value = head + bad + tail
    if _refused_in_a_value(bad):
        with pytest.raises(ValidationError) as info:
            VALUES[write](consent, value)
        assert "invalid_value" == info.value.code
        assert 1 == len(consent.history("S-1"))
    else:
        VALUES[write](consent, value)
        assert 2 == len(consent.history("S-1"))


@given(_PLAIN, st.sampled_from(sorted(EVIDENCE)))
@settings(max_examples=30, deadline=None)
def test_plain_one_line_evidence_is_kept_as_given(text: str, write: str) -> None:
    """Evidence of letters, digits, punctuation and spaces is recorded as given."""
    consent = ConsentService(MemoryStore(), FixedClock(T0))
    EVIDENCE[write](consent, text)
    (entry,) = consent.history("S-1")
    assert entry.data is not None and text == entry.data["evidence"]
