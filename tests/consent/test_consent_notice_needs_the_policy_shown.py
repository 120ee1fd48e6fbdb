"""Only being shown a policy version is notice of it.

The privacy policy: "In the event there is a major change to Symantec's privacy
practices, a prominent notice will be posted on our web site. If the change
involves the use of your personally identifiable information, the notice will
contain instructions on how you can opt-out of such use." A person who did
something else afterwards (unsubscribed, sent a Global Privacy Control signal,
updated their contact details, opened an incident) was not told: the changed uses
stay denied and the person stays among those to notify. A notice, a grant or a
refusal made on a form showing the version, and joining under it, are notice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from _programs import ProgramFactory, register_active
from symprogram.clock import FixedClock
from symprogram.consent import Choice, ConsentService, Purpose, rules
from symprogram.consent.models import ConsentState

T0 = datetime(2011, 1, 14, tzinfo=UTC)
DAY = timedelta(days=1)
NEW = "2011-02"
WAITING = ("not_yet_notified_of_material_change",)


def _publish_profiling(consent: ConsentService, clock: FixedClock) -> None:
    """A major change (a new use, profiling) in effect from tomorrow; the clock moves there."""
    base = consent.get_policy()
    purposes = (*base.purposes, Purpose("profiling", "Build interest profiles", "opt_out"))
    new = attrs.evolve(base, version=NEW, effective_at=T0 + DAY, purposes=purposes)
    assert consent.publish_policy(new).material
    clock.advance(2 * DAY)


UNRELATED: dict[str, Callable[[ConsentService, str], object]] = {
    "global privacy control": lambda c, s: c.global_privacy_control(s),
    "unsubscribe reply": lambda c, s: c.opt_out(s, "newsletters", channel="email_reply"),
    "withdrawal": lambda c, s: c.withdraw(s, "special_offers", channel="web_form"),
    "data gathered later": lambda c, s: c.record_gathered(s, "other_activities", ["phone"]),
}


@pytest.mark.parametrize("act", UNRELATED, ids=list(UNRELATED))
def test_an_act_that_shows_no_policy_is_no_notice_of_a_major_change(
    consent: ConsentService, clock: FixedClock, act: str
) -> None:
    """After the change, an act that shows no policy leaves the person un-notified."""
    consent.record_gathered("cust-1", "other_activities", ["email"])
    consent.grant("cust-1", "special_offers", channel="web_form")
    _publish_profiling(consent, clock)
    UNRELATED[act](consent, "cust-1")
    assert WAITING == consent.may_use("cust-1", "profiling").codes
    assert ["cust-1"] == list(consent.iter_subjects_to_notify(NEW))
    consent.record_notice("cust-1", NEW, channel="email")
    assert ("not_opted_out",) == consent.may_use("cust-1", "profiling").codes
    assert [] == list(consent.iter_subjects_to_notify(NEW))


@pytest.mark.parametrize("choose", ["grant", "refuse"])
def test_a_choice_made_on_a_form_showing_the_version_is_notice(
    consent: ConsentService, clock: FixedClock, choose: str
) -> None:
    """A grant or refusal records the version the form showed: the person saw it."""
    consent.record_gathered("cust-1", "other_activities", ["email"])
    _publish_profiling(consent, clock)
    getattr(consent, choose)("cust-1", "special_offers", channel="web_form", policy_version=NEW)
    assert ("not_opted_out",) == consent.may_use("cust-1", "profiling").codes


def test_a_person_who_joins_under_the_new_version_needs_no_notice(
    consent: ConsentService, clock: FixedClock
) -> None:
    """Nothing older ever applied to a person who first gave data under the new version,
    even one who had only opted out before (which makes nobody known)."""
    consent.opt_out("cust-2", "newsletters", channel="email_reply")
    _publish_profiling(consent, clock)
    consent.record_gathered("cust-1", "other_activities", ["email"])
    consent.record_gathered("cust-2", "other_activities", ["email"])
    for subject in ("cust-1", "cust-2"):
        assert ("not_opted_out",) == consent.may_use(subject, "profiling").codes
    assert [] == list(consent.iter_subjects_to_notify(NEW))


def test_account_changes_are_no_notice(backend: str, make_program: ProgramFactory) -> None:
    """An account's contact update or incident gathers data under the new version but
    shows no policy: the account's consent subject still waits for the notice."""
    with make_program(backend) as program:
        ada = register_active(program, "ada@example.com")
        bob = register_active(program, "bob@example.com")
        consent = program.consent
        base = consent.get_policy()
        at = program.clock.now() + DAY
        purposes = (*base.purposes, Purpose("profiling", "Build interest profiles", "opt_out"))
        consent.publish_policy(attrs.evolve(base, version=NEW, effective_at=at, purposes=purposes))
        program.clock.advance(2 * DAY)  # type: ignore[attr-defined]
        program.accounts.update_contact_details(ada, phone="+1 555 0100")
        program.accounts.open_incident(bob, title="Exam voucher", body="It failed")
        for subject in (ada, bob):
            assert WAITING == consent.may_use(subject, "profiling").codes
        assert {ada, bob} == set(consent.iter_subjects_to_notify(NEW))
        assert program.verify_all().ok


@given(st.sampled_from(Choice))
def test_only_a_grant_or_a_refusal_shows_the_policy(choice: Choice) -> None:
    """``rules.shows_policy``: granted and refused, never withdrawn or opted out."""
    assert (choice in (Choice.GRANTED, Choice.REFUSED)) == rules.shows_policy(choice.value)


@given(
    kind=st.sampled_from(["consent_recorded", "data_collected"]),
    shown=st.sampled_from([None, True, False]),
)
def test_an_entry_written_before_the_flag_counts_as_shown(kind: str, shown: bool | None) -> None:
    """An entry of an older build (no ``shown``) counts as it did; a new one as it says.
    The subject is known already, so only the flag decides."""
    data: dict[str, object] = {
        "topic": "newsletters",
        "choice": "opted_out",
        "channel": "web_form",
        "policy_version": NEW,
        "activity": "other_activities",
        "items": ["phone"],
    }
    if shown is not None:
        data["shown"] = shown
    known = ConsentState("cust-1", length=1, known=True)
    state = rules.apply(known, kind, data, T0, 2)
    assert (shown is not False) == any(s.policy_version == NEW for s in state.seen)
