"""An opt-out of a contact channel recorded through ``account_closure`` stops it for good.

Before the fix, an account's closure was only ordinary channel opt-outs, which any
later grant of the channel lifted: ``grant(cid, ContactChannel.EMAIL, channel="phone")``
put the closed account back in every e-mail audience while the account's setting
still said off. Now no later choice on a channel a closure stopped is recorded
(``account_closed``), so ``may_use``, ``iter_audience`` and a replay of the ledger
agree, at every instant after the closure, that the subject is not contacted through
it; a closure grants nothing (``invalid_channel``). Every service test runs on memory
and SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symprogram.clock import FixedClock
from symprogram.consent import Channel, ConsentService, ContactChannel, rules
from symprogram.errors import IllegalTransition, ValidationError
from symprogram.storage.memory import MemoryStore

T0 = datetime(2011, 1, 14, tzinfo=UTC)
HOUR = timedelta(hours=1)
ITEMS = ("company", "email", "language", "name", "partner_company")
CLOSURE = Channel.ACCOUNT_CLOSURE
OTHER_VIAS = [c for c in Channel if c is not CLOSURE]


def _close(consent: ConsentService, subject: str) -> None:
    for contact in ContactChannel:
        consent.opt_out(subject, contact, channel=CLOSURE, evidence="account closed")


def test_a_closure_stop_cannot_be_lifted_by_a_grant(
    consent: ConsentService, clock: FixedClock
) -> None:
    """The probe: after the closure, a grant of the e-mail channel by phone is refused;
    a grant of newsletters is recorded but e-mail contact stays denied, and the subject
    is in no e-mail audience."""
    consent.record_gathered("SP-1", "other_activities", ITEMS)
    assert "SP-1" in set(consent.iter_audience("newsletters", "email"))
    clock.advance(HOUR)
    _close(consent, "SP-1")
    clock.advance(HOUR)
    with pytest.raises(IllegalTransition) as raised:
        consent.grant("SP-1", ContactChannel.EMAIL, channel="phone")
    assert ("account_closed", "purpose") == (raised.value.code, raised.value.field)
    consent.grant("SP-1", "newsletters", channel="phone")
    decision = consent.may_use("SP-1", "newsletters", channel="email")
    assert (False, ("granted", "channel_opted_out")) == (decision.allowed, decision.codes)
    assert "SP-1" not in set(consent.iter_audience("newsletters", "email"))
    assert consent.verify("SP-1").ok


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    contact=st.sampled_from(list(ContactChannel)),
    action=st.sampled_from(["grant", "refuse", "withdraw", "opt_out"]),
    via=st.sampled_from(OTHER_VIAS),
    purpose=st.sampled_from(["newsletters", "special_offers", "virus_alerts", "research"]),
)
def test_no_choice_on_a_stopped_channel_is_recorded(
    contact: ContactChannel, action: str, via: Channel, purpose: str
) -> None:
    """Whatever choice, through whatever channel, on a channel a closure stopped is
    refused and leaves the ledger as it was; contact through it is denied for every
    purpose, at every later instant, and the subject is in none of its audiences."""
    clock = FixedClock(T0)
    consent = ConsentService(MemoryStore(), clock)
    consent.record_gathered("SP-1", "other_activities", ITEMS)
    clock.advance(HOUR)
    _close(consent, "SP-1")
    closed = len(consent.history("SP-1"))
    clock.advance(HOUR)
    with pytest.raises(IllegalTransition) as raised:
        getattr(consent, action)("SP-1", contact, channel=via)
    assert "account_closed" == raised.value.code
    assert closed == len(consent.history("SP-1"))
    consent.grant("SP-1", purpose, channel=via)  # a purpose is no channel: recorded
    for at in (None, clock.now() - HOUR):
        assert not consent.may_use("SP-1", purpose, contact, at=at).allowed
        assert "SP-1" not in set(consent.iter_audience(purpose, contact, at=at))
    entries = [(e.kind, e.data, e.at, e.position) for e in consent.history("SP-1")]
    state = rules.replay("SP-1", entries)
    assert state is not None
    assert not rules.decide(state, consent.policies, purpose, clock.now(), contact.value).allowed


def test_an_ordinary_opt_out_is_still_lifted_by_a_grant(consent: ConsentService) -> None:
    """Only the closure's stop is for good: an opt-out through any other channel is not."""
    consent.record_gathered("SP-1", "other_activities", ITEMS)
    consent.opt_out("SP-1", ContactChannel.EMAIL, channel="profile_form")
    consent.grant("SP-1", ContactChannel.EMAIL, channel="phone")
    assert consent.may_use("SP-1", "newsletters", "email").allowed


@pytest.mark.parametrize("topic", ["channel.email", "newsletters"])
def test_a_closure_grants_nothing(consent: ConsentService, topic: str) -> None:
    """A grant through ``account_closure`` is refused (``invalid_channel``), nothing
    recorded; a withdrawal or an opt-out of a purpose through it is recorded."""
    with pytest.raises(ValidationError) as raised:
        consent.grant("SP-1", topic, channel=CLOSURE)
    assert ("invalid_channel", "channel") == (raised.value.code, raised.value.field)
    assert () == consent.history("SP-1")
    consent.opt_out("SP-1", "newsletters", channel=CLOSURE)
    assert ("opted_out",) == consent.may_use("SP-1", "newsletters").codes
