"""Consent to service terms and a browser's signal show no privacy policy: no notice.

A notice of a material change must reach the person ("a prominent notice will be
posted ... the notice will contain instructions on how you can opt-out of such
use", the privacy policy). Express consent to the Remote Access Standard Terms
shows those terms; a browser's signal (a cookie choice sent by the browser)
shows nothing. Before the fix both were recorded with ``shown`` true for the
privacy-policy version in effect, so ``Program.consent_to_remote_access`` let
special offers go to a new ad network without its notice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from _programs import ProgramFactory, register_active
from symprogram.clock import FixedClock
from symprogram.consent import (
    Choice,
    ConsentService,
    LegalBasis,
    PolicyCatalogue,
    Recipient,
    rules,
)
from symprogram.consent.events import ConsentRecorded
from symprogram.consent.models import Channel

T0 = datetime(2011, 1, 14, tzinfo=UTC)
DAY = timedelta(days=1)
WAITING = ("not_yet_notified_of_material_change",)
TOPICS = ("special_offers", "newsletters", "remote_access", "cookies.tracking", "channel.email")


@settings(max_examples=300, deadline=None)
@given(
    topic=st.sampled_from(TOPICS),
    choice=st.sampled_from(Choice),
    channel=st.sampled_from([c for c in Channel if c is not Channel.ACCOUNT_CLOSURE]),
    asked=st.booleans(),
)
def test_only_a_form_showing_the_privacy_policy_is_notice(
    topic: str, choice: Choice, channel: Channel, asked: bool
) -> None:
    """``rules.record_choice``: ``shown`` iff a grant or refusal, said shown by its
    caller, not of a ``terms`` purpose and not a browser's signal."""
    catalogue = PolicyCatalogue.default()
    assume(choice is Choice.GRANTED or catalogue.basis(topic, T0) is not LegalBasis.NECESSARY)
    event = ConsentRecorded("cust-1", T0, topic, choice.value, channel.value, "", "", shown=asked)
    recorded = rules.record_choice(None, catalogue, event, None, T0)
    expected = (
        asked
        and choice in (Choice.GRANTED, Choice.REFUSED)
        and topic != "remote_access"
        and channel is not Channel.BROWSER_SIGNAL
    )
    assert expected == recorded.shown


def _publish_ads(consent: ConsentService, now: datetime) -> None:
    """2011-02: special offers shared with an ad network, in effect from tomorrow."""
    old = consent.get_policy()
    ads = Recipient("ads", "Ad network", ("special_offers",))
    new = attrs.evolve(
        old, version="2011-02", effective_at=now + DAY, recipients=(*old.recipients, ads)
    )
    assert consent.publish_policy(new).material


def test_consent_to_remote_access_is_no_notice(backend: str, make_program: ProgramFactory) -> None:
    """The probe's case: after consenting to the remote-access terms, the changed use
    still waits for its notice, and the customer is still to be notified."""
    with make_program(backend) as program:
        bob = register_active(program, "bob@example.com")
        consent = program.consent
        _publish_ads(consent, program.clock.now())
        program.clock.advance(2 * DAY)  # type: ignore[attr-defined]
        assert WAITING == consent.may_use(bob, "special_offers").codes
        record = program.consent_to_remote_access(bob)
        assert consent.history(bob)[-1].data["shown"] is False
        assert ("granted",) == consent.may_use(record.subject, "remote_access").codes
        assert WAITING == consent.may_use(bob, "special_offers").codes
        assert bob in set(consent.iter_subjects_to_notify("2011-02"))
        assert program.verify_all().ok


def test_a_cookie_grant_by_browser_signal_is_no_notice(
    consent: ConsentService, clock: FixedClock
) -> None:
    """A browser signal's grant is recorded under the version in effect, not as notice."""
    consent.record_gathered("cust-1", "other_activities", ["email"])
    _publish_ads(consent, T0)
    clock.advance(2 * DAY)
    consent.grant("cust-1", "cookies.tracking", channel="browser_signal")
    assert WAITING == consent.may_use("cust-1", "special_offers").codes
    consent.grant("cust-1", "cookies.tracking", channel="web_form")  # a banner showing it
    assert ("not_opted_out",) == consent.may_use("cust-1", "special_offers").codes
