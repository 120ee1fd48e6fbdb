"""The approver of a grant is another person than the one recording it, however
either name is written: fullwidth or other compatibility letters, another case, a
zero-width space or joiner, a byte order mark or extra white space do not make the
same name another person's (``approver_must_differ``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram._names import name_key
from symprogram.clock import FixedClock
from symprogram.entitlements import EntitlementsService
from symprogram.errors import ValidationError
from symprogram.storage.memory import MemoryStore

_SERVICE = EntitlementsService(MemoryStore(), FixedClock(datetime(2012, 3, 1, tzinfo=UTC)))
_NAMES = st.text(alphabet=st.characters(codec="ascii", categories=("L", "N")), min_size=1)
_INVISIBLE = st.text(alphabet="\u200b\u200c\u200d\u2060\ufeff", max_size=2)
_SPACE = st.text(alphabet=" \u00a0\u2009\u3000", max_size=2)


def _fullwidth(text: str) -> str:
    """``text`` in fullwidth forms (ASCII letters and digits are U+FF01.. minus 0x20)."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def _grant(approver: str, by: str) -> str:
    grant = _SERVICE.grant_entitlement(
        "C-1",
        kind="courtesy",
        level="business_critical_services",
        products=["NetBackup"],
        starts_on=date(2012, 3, 1),
        ends_on=date(2012, 3, 31),
        reason="goodwill",
        approver=approver,
        by=by,
    )
    return grant.grant_id


@pytest.mark.parametrize(
    "approver",
    ["alice", "ALICE ", "\uff41\uff4c\uff49\uff43\uff45", "alice\u200b", "\ufeffAl\u200dice"],
)
def test_the_same_name_written_another_way_cannot_approve(approver: str) -> None:
    """The repro's names: each is ``alice``, who records the grant."""
    with pytest.raises(ValidationError) as caught:
        _grant(approver, "alice")
    assert "approver_must_differ" == caught.value.code


@given(
    name=_NAMES,
    fullwidth=st.booleans(),
    upper=st.booleans(),
    invisible=_INVISIBLE,
    before=_SPACE,
    after=_SPACE,
    swap=st.booleans(),
)
def test_a_decorated_own_name_is_refused_as_approver(
    name: str, fullwidth: bool, upper: bool, invisible: str, before: str, after: str, swap: bool
) -> None:
    """Whatever way the recording person's name is written, as approver it is refused."""
    written = name.upper() if upper else name
    written = _fullwidth(written) if fullwidth else written
    cut = len(written) // 2
    written = before + written[:cut] + invisible + written[cut:] + after
    approver, by = (name, written) if swap else (written, name)
    with pytest.raises(ValidationError) as caught:
        _grant(approver, by)
    assert "approver_must_differ" == caught.value.code


@given(approver=_NAMES, by=_NAMES)
def test_names_of_two_people_still_grant(approver: str, by: str) -> None:
    """Names whose normal forms differ are two people: the grant is recorded."""
    if name_key(approver) == name_key(by):
        return
    assert _grant(approver, by).startswith("grant-")
