"""Consent centre: every button does what it says, and a grant can always be withdrawn.

After "unsubscribe from all e-mail", agreeing to a mailed purpose turns its switch on
(the e-mail opt-out is lifted for it alone), so the row becomes allowed; and whenever a
grant stands, even one the e-mail channel keeps from counting by e-mail, the row offers
Withdraw."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webapp_helpers import csrf_of, register_and_activate

from symprogram import Program
from symprogram.consent import ContactChannel

pytestmark = pytest.mark.backends("memory")

MAILED = ("newsletters", "special_offers")


def _buttons(page: str, purpose: str) -> list[str]:
    return re.findall(rf'value="(\w+)" id="[\w-]+-{purpose}"', page)


def _row_allowed(page: str, purpose: str) -> bool:
    match = re.search(rf'<tr id="{purpose}" data-allowed="(yes|no)"', page)
    assert match is not None
    return match.group(1) == "yes"


def _granted(program: Program, candidate_id: str, purpose: str) -> bool:
    return "granted" in program.consent.may_use(candidate_id, purpose).codes


def _unsubscribe_from_all_email(program: Program, candidate_id: str) -> None:
    program.consent.opt_out(candidate_id, ContactChannel.EMAIL, channel="email_reply")


def test_agreeing_after_an_email_opt_out_takes_effect(client: Any, program: Program) -> None:
    """The repro: Agree makes the row allowed by e-mail, offers Withdraw, and clicking
    Agree again records nothing."""
    candidate_id = register_and_activate(client)
    _unsubscribe_from_all_email(program, candidate_id)
    page = client.get("/consent").text
    assert not _row_allowed(page, "newsletters")
    assert ["grant"] == _buttons(page, "newsletters")

    grant = {"csrf": csrf_of(page), "purpose": "newsletters", "action": "grant"}
    assert 303 == client.post("/consent", data=grant).status_code
    page = client.get("/consent").text

    assert _row_allowed(page, "newsletters")
    assert ["withdraw"] == _buttons(page, "newsletters")
    assert "You agreed to" in page
    assert program.consent.may_use(candidate_id, "newsletters", "email").allowed
    assert program.accounts.get_notification_setting(candidate_id, "newsletters").effective
    recorded = len(program.consent.history(candidate_id))
    assert 303 == client.post("/consent", data=grant).status_code
    assert recorded == len(program.consent.history(candidate_id))


def test_a_grant_kept_off_by_email_can_be_withdrawn(client: Any, program: Program) -> None:
    """A grant made before "unsubscribe from all e-mail" still counts by post and phone:
    the row offers Withdraw (and Agree, to have it by e-mail too)."""
    candidate_id = register_and_activate(client)
    program.consent.grant(candidate_id, "special_offers", channel="web_form", evidence="test")
    _unsubscribe_from_all_email(program, candidate_id)
    page = client.get("/consent").text
    assert not _row_allowed(page, "special_offers")
    assert ["withdraw", "grant"] == _buttons(page, "special_offers")

    withdraw = {"csrf": csrf_of(page), "purpose": "special_offers", "action": "withdraw"}
    assert 303 == client.post("/consent", data=withdraw).status_code

    assert not _granted(program, candidate_id, "special_offers")
    assert ["grant"] == _buttons(client.get("/consent").text, "special_offers")


_STEPS = st.lists(
    st.tuples(st.sampled_from(MAILED), st.integers(0, 1)) | st.just(("unsubscribe", 0)),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=_STEPS)
def test_every_button_does_what_it_says(client: Any, program: Program, steps: Any) -> None:
    """Any sequence of clicks on the buttons shown (and e-mail opt-outs between them):
    Withdraw is shown exactly when a grant stands, Agree makes the row allowed,
    Withdraw ends the grant, Opt out makes the row not allowed."""
    with client.session_transaction() as session:
        candidate_id = session.get("candidate_id")
    if candidate_id is None:
        candidate_id = register_and_activate(client)
    for purpose, which in steps:
        if purpose == "unsubscribe":
            _unsubscribe_from_all_email(program, candidate_id)
            continue
        page = client.get("/consent").text
        buttons = _buttons(page, purpose)
        assert buttons, purpose
        action = buttons[which % len(buttons)]
        data = {"csrf": csrf_of(page), "purpose": purpose, "action": action}
        assert 303 == client.post("/consent", data=data).status_code
        page = client.get("/consent").text
        allowed = program.consent.may_use(candidate_id, purpose, "email").allowed
        assert _row_allowed(page, purpose) == allowed
        if action == "grant":
            assert allowed and _granted(program, candidate_id, purpose)
        elif action == "withdraw":
            assert not _granted(program, candidate_id, purpose)
        else:
            assert not allowed
        for mailed in MAILED:
            shown = "withdraw" in _buttons(page, mailed)
            assert shown == _granted(program, candidate_id, mailed), mailed
