"""Who is a marketing target: only an activated account that is not closed.

Two defects of "one truth per choice" (the account setting, ``consent.may_use`` and
``consent.iter_audience`` always agree, whichever side the choice was made on):

* an address registered by anyone, never activated, was in the newsletter and offers
  audiences at once (the registration's record made the subject known); now what a
  registration gathered makes nobody known until the activation records the
  confirmed address;
* after ``close()``, a grant of the e-mail channel recorded in consent (by phone, on
  the profile form) put the closed account back in the e-mail audiences while the
  account said off; now the closure stops every contact channel for good and such a
  grant is refused (``account_closed``).

Through ``Program`` on memory and SQLite; as-of reads included.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _programs import ProgramFactory, register_form
from symprogram import Program
from symprogram.clock import FixedClock
from symprogram.consent import ContactChannel
from symprogram.errors import IllegalTransition
from symprogram.notify import Outbox

pytestmark = pytest.mark.backends("memory", "sqlite")

MARKETING = {"newsletters": "newsletters", "offers": "special_offers"}
_EXAMPLES = itertools.count()


def _activation_token(program: Program, email: str) -> str:
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    token = outbox.last("activation", to=email).data["token"]
    assert isinstance(token, str)
    return token


def _register(program: Program, email: str) -> tuple[str, str]:
    register_form(program.accounts, email)
    candidate = program.accounts.find_by_email(email)
    assert candidate is not None
    return str(candidate.candidate_id), _activation_token(program, email)


def _clock(program: Program) -> FixedClock:
    clock = program.clock
    assert isinstance(clock, FixedClock)
    return clock


def _agree(program: Program, cid: str, expected: bool, at: datetime | None = None) -> None:
    """The account setting (now only), may_use and the audience agree on ``expected``."""
    for category, purpose in MARKETING.items():
        allowed = program.consent.may_use(cid, purpose, "email", at=at).allowed
        listed = cid in set(program.consent.iter_audience(purpose, "email", at=at))
        assert (expected, expected) == (allowed, listed), (category, at)
        if at is None:
            setting = program.accounts.get_notification_setting(cid, category)
            assert (expected, expected) == (setting.chosen, setting.effective), category


def test_an_address_nobody_confirmed_is_in_no_audience(
    backend: str, make_program: ProgramFactory
) -> None:
    """Registered, never activated: not a marketing target, however long it waits; from
    the activation on it is (and an as-of read before the activation still says no)."""
    program = make_program(backend)
    clock = _clock(program)
    cid, token = _register(program, "victim@example.com")
    clock.advance(timedelta(hours=20))
    _agree(program, cid, False)
    pending = clock.now()
    clock.advance(timedelta(minutes=1))
    program.accounts.activate(token)
    _agree(program, cid, True)
    _agree(program, cid, False, at=pending)
    assert program.verify_all().ok


def test_a_pending_account_left_to_expire_is_never_a_target(
    backend: str, make_program: ProgramFactory
) -> None:
    """The probe: 30 days after someone registered another person's address."""
    program = make_program(backend)
    cid, _ = _register(program, "victim@example.com")
    _clock(program).advance(timedelta(days=30))
    assert "pending_activation" == str(program.accounts.get_candidate(cid).status)
    _agree(program, cid, False)
    setting = program.accounts.get_notification_setting(cid, "newsletters")
    assert "consent_withheld" == setting.reason


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    contact=st.sampled_from(list(ContactChannel)),
    via=st.sampled_from(["phone", "profile_form", "web_form", "postal_mail", "email_reply"]),
    earlier_opt_out=st.booleans(),
)
def test_a_closed_account_stays_out_of_every_audience(
    backend: str,
    make_program: ProgramFactory,
    contact: ContactChannel,
    via: str,
    earlier_opt_out: bool,
) -> None:
    """After close(), a grant of any contact channel through any consent channel is
    refused (also where the person had opted out of it before the closure); a grant of
    newsletters is recorded, yet the account setting, may_use and the audience agree
    that nothing is mailed, now and as of any instant after the closure."""
    program = make_program(backend)  # the same SQLite file for every example
    clock = _clock(program)
    cid, token = _register(program, f"ada{next(_EXAMPLES)}@example.com")
    program.accounts.activate(token)
    if earlier_opt_out:
        program.consent.opt_out(cid, contact, channel="phone")
    _agree(program, cid, not earlier_opt_out or contact is not ContactChannel.EMAIL)
    clock.advance(timedelta(minutes=1))
    program.accounts.close(cid, reason="leaving")
    closed = clock.now()
    clock.advance(timedelta(minutes=1))
    with pytest.raises(IllegalTransition) as raised:
        program.consent.grant(cid, contact, channel=via)
    assert "account_closed" == raised.value.code
    program.consent.grant(cid, "newsletters", channel=via)
    for category, purpose in MARKETING.items():
        setting = program.accounts.get_notification_setting(cid, category)
        assert (False, "account_closed") == (setting.effective, setting.reason)
        for channel in ContactChannel:
            assert not program.consent.may_use(cid, purpose, channel).allowed
            assert cid not in set(program.consent.iter_audience(purpose, channel))
    _agree(program, cid, False)
    _agree(program, cid, False, at=closed)
    assert program.verify_all().ok


@given(
    unsubscribed=st.sampled_from(["email_reply", "web_form", "phone"]),
    category=st.sampled_from(sorted(MARKETING)),
)
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_a_switch_turned_on_after_an_email_opt_out_takes_effect(
    make_program: ProgramFactory, unsubscribed: str, category: str
) -> None:
    """ "Unsubscribe from all e-mail" (an opt-out of the e-mail channel), then the person
    turns a switch back on in the account: the switch is on and in effect, may_use and
    the audience agree (before, nothing was recorded and the switch read off)."""
    program = make_program("memory")
    cid, token = _register(program, f"p{next(_EXAMPLES)}@example.com")
    program.accounts.activate(token)
    _clock(program).advance(timedelta(minutes=1))
    program.consent.opt_out(cid, ContactChannel.EMAIL, channel=unsubscribed)
    _clock(program).advance(timedelta(minutes=1))

    setting = program.accounts.set_notification_preference(cid, category, True)

    assert (True, True) == (setting.chosen, setting.effective)
    purpose = MARKETING[category]
    assert program.consent.may_use(cid, purpose, "email").allowed
    assert cid in set(program.consent.iter_audience(purpose, "email"))
