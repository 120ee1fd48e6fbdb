"""Entries written by the previous release that showed no privacy policy are no notice.

Express consent to service terms (a purpose of kind ``terms``: the Remote Access
Standard Terms), a choice sent through ``browser_signal`` and a choice of an
account's notification switch show no privacy policy, and are recorded with
``shown: false`` since that was fixed. The previous release wrote them with
``shown: true``, and the replay believed the flag: after ``rebuild_all()`` such an
entry still counted as notice of a material change, so special offers went to a
new ad network without its notice. The replay now reads such an entry's own data
(its topic's kind in the policy catalogue, its channel, the switch's evidence)
and never counts it as shown; ``rebuild_all()`` repairs the stored projections.
Every service test runs on memory and SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from _programs import ProgramFactory, register_active
from symprogram._bridges import PREFERENCE_CHANNEL
from symprogram.clock import FixedClock
from symprogram.consent import (
    Choice,
    ConsentService,
    ConsentState,
    PolicyCatalogue,
    Recipient,
    SeenPolicy,
    rules,
)
from symprogram.consent.events import ConsentRecorded
from symprogram.consent.models import Channel
from symprogram.consent.storage import ConsentStorage

T0 = datetime(2011, 1, 14, tzinfo=UTC)
DAY = timedelta(days=1)
WAITING = ("not_yet_notified_of_material_change",)
SWITCH = "account notification preference newsletters: on"


def _catalogue() -> PolicyCatalogue:
    """2005-07, and 2011-02 (in effect from T0 + 1 day) sharing special offers with ads."""
    old = PolicyCatalogue.default().latest
    ads = Recipient("ads", "Ad network", ("special_offers",))
    new = attrs.evolve(
        old, version="2011-02", effective_at=T0 + DAY, recipients=(*old.recipients, ads)
    )
    return PolicyCatalogue((old, new))


def _publish_ads(consent: ConsentService) -> None:
    assert consent.publish_policy(_catalogue().latest).material


def _old_grant(topic: str, channel: str, evidence: str, **extra: object) -> dict[str, Any]:
    """A ``consent_recorded`` entry's data as the previous release wrote it: ``shown`` true."""
    return {
        "topic": topic,
        "choice": "granted",
        "channel": channel,
        "policy_version": "2011-02",
        "evidence": evidence,
        "shown": True,
        **extra,
    }


_OLD_ENTRIES = {
    # Program.consent_to_remote_access (makes_known false, as that release wrote it)
    "terms": _old_grant("remote_access", "web_form", "terms:2011-01", makes_known=False),
    # a grant of the terms written before ``makes_known`` existed: only its kind says so
    "terms-older": _old_grant("remote_access", "web_form", "terms:2011-01"),
    "browser": _old_grant("cookies.tracking", "browser_signal", ""),
    "switch": _old_grant("newsletters", PREFERENCE_CHANNEL, SWITCH),
}


def _write_as_previous_release(consent: ConsentService, subject: str, data: dict[str, Any]) -> None:
    """Append ``data`` to ``subject``'s ledger now and store the projection (and audience
    entries) the previous release's fold made of it: the same, with 2011-02 seen."""
    at = consent._clock.now()
    with consent._store.transaction() as tx:
        states = ConsentStorage(tx).states
        state = states.find_for_update(subject)
        assert state is not None
        entry = consent.ledger.append(tx, subject, rules.CONSENT_RECORDED, data, at)
        new = rules.apply(state, entry.kind, entry.data, at, entry.position)
        old = new
        if "2011-02" not in {s.policy_version for s in new.seen}:
            seen = sorted((*new.seen, SeenPolicy("2011-02", at)), key=lambda s: s.policy_version)
            old = attrs.evolve(new, seen=tuple(seen))
        consent._index.write(tx, state, old)
        states.save(old)
    consent._projections.forget(subject)


def test_rebuild_all_stops_old_entries_counting_as_notice(
    consent: ConsentService, clock: FixedClock
) -> None:
    """The probe's case for each kind of entry: before ``rebuild_all`` the stored
    projection answers as stored and ``verify_all`` reports it (``projection_mismatch``,
    as documented for projections of an earlier release); after, every such subject
    waits for the notice, is to be notified, and ``verify_all`` is clean, as is a
    subject whose entry did show the policy (left as it was)."""
    for subject in (*_OLD_ENTRIES, "shown"):
        consent.grant(subject, "special_offers", channel="web_form", evidence="ticked")
    _publish_ads(consent)
    clock.advance(2 * DAY)
    assert consent.verify_all().ok
    for subject, data in _OLD_ENTRIES.items():
        _write_as_previous_release(consent, subject, data)
    _write_as_previous_release(consent, "shown", _old_grant("newsletters", "web_form", "ticked"))
    for subject in _OLD_ENTRIES:
        assert ("granted",) == consent.may_use(subject, "special_offers").codes
    failing = {f.subject: tuple(p.code for p in f.problems) for f in consent.verify_all().failures}
    assert dict.fromkeys(_OLD_ENTRIES, ("projection_mismatch",)) == failing
    assert len(_OLD_ENTRIES) == consent.rebuild_all()
    assert consent.verify_all().ok
    clock.advance(DAY)
    consent.opt_out("terms-older", "virus_alerts", channel="web_form")  # a later entry
    for subject in _OLD_ENTRIES:
        assert WAITING == consent.may_use(subject, "special_offers").codes
        # as of an instant before the later entry: the ledger replayed (catalogue too)
        assert WAITING == consent.may_use(subject, "special_offers", at=T0 + 2 * DAY).codes
    assert ("granted",) == consent.may_use("shown", "special_offers").codes
    assert set(_OLD_ENTRIES) == set(consent.iter_subjects_to_notify("2011-02"))
    assert ["shown"] == list(consent.iter_audience("special_offers"))
    assert consent.verify_all().ok
    assert 0 == consent.rebuild_all()


_TOPICS = ("special_offers", "newsletters", "remote_access", "cookies.tracking", "channel.email")
_EVIDENCE = ("ticked", SWITCH, "account notification preference offers: on", "terms:2011-01")


@settings(max_examples=300, deadline=None)
@given(
    topic=st.sampled_from(_TOPICS),
    choice=st.sampled_from([Choice.GRANTED, Choice.REFUSED]),
    channel=st.sampled_from([c for c in Channel if c is not Channel.ACCOUNT_CLOSURE]),
    evidence=st.sampled_from(_EVIDENCE),
    flag=st.sampled_from([True, None]),
    looked_up=st.booleans(),
)
def test_an_old_entry_counts_as_shown_unless_its_data_proves_otherwise(
    topic: str, choice: Choice, channel: Channel, evidence: str, flag: bool | None, looked_up: bool
) -> None:
    """``rules.replay`` of a known subject's entry written with ``shown`` true (or
    without the field): 2011-02 is seen unless the choice went through
    ``browser_signal``, is the switch's (``profile_form`` and its evidence), or is on a
    ``terms`` purpose (its ``makes_known`` false, or its kind in the catalogue)."""
    catalogue = _catalogue()
    terms = topic == "remote_access"
    data = {
        "topic": topic,
        "choice": choice.value,
        "channel": channel.value,
        "policy_version": "2011-02",
        "evidence": evidence,
    }
    if flag is not None:
        data["shown"] = flag
    if terms and evidence.startswith("terms:"):
        data["makes_known"] = False  # as the previous release wrote consent to terms
    granted = {**_old_grant("special_offers", "web_form", "ticked"), "policy_version": "2005-07"}
    entries = [("consent_recorded", granted, T0, 1), ("consent_recorded", data, T0 + 2 * DAY, 2)]
    state = rules.replay("C-1", entries, catalogue=catalogue if looked_up else None)
    assert state is not None
    nothing_shown = (
        channel is Channel.BROWSER_SIGNAL
        or (channel is Channel.PROFILE_FORM and evidence.startswith(rules.SWITCH_EVIDENCE))
        or "makes_known" in data
        or (terms and looked_up)
    )
    assert nothing_shown != ("2011-02" in {s.policy_version for s in state.seen})


@settings(max_examples=300, deadline=None)
@given(
    topic=st.sampled_from(_TOPICS),
    choice=st.sampled_from(Choice),
    channel=st.sampled_from([c for c in Channel if c is not Channel.ACCOUNT_CLOSURE]),
    evidence=st.sampled_from(_EVIDENCE),
    asked=st.booleans(),
)
def test_the_recorded_fold_is_the_replay(
    topic: str, choice: Choice, channel: Channel, evidence: str, asked: bool
) -> None:
    """What the recording side folds (``rules.apply`` without a catalogue, on the entry
    ``rules.record_choice`` returns) is what ``verify`` and ``rebuild`` replay with the
    catalogue: no projection written now is ever ``projection_mismatch``."""
    catalogue = _catalogue()
    state = ConsentState("C-1")
    asked_event = ConsentRecorded(
        "C-1", T0 + 2 * DAY, topic, choice.value, channel.value, "", evidence, shown=asked
    )
    event = rules.record_choice(state, catalogue, asked_event, None, T0 + 2 * DAY)
    data = event.ledger_data()
    recorded = rules.apply(state, rules.CONSENT_RECORDED, data, event.at, 1)
    replayed = rules.apply(state, rules.CONSENT_RECORDED, data, event.at, 1, catalogue=catalogue)
    assert recorded == replayed


def test_the_switch_still_writes_what_the_replay_knows_it_by(
    backend: str, make_program: ProgramFactory
) -> None:
    """The account switch's grant is recorded through ``rules.SWITCH_CHANNEL`` with
    evidence starting with ``rules.SWITCH_EVIDENCE``, as the previous release's was."""
    with make_program(backend) as program:
        cid = register_active(program, "switch@example.com")
        program.accounts.set_notification_preference(cid, "offers", False)
        program.accounts.set_notification_preference(cid, "offers", True)
        data = program.consent.history(cid)[-1].data
        assert (data["channel"], data["choice"]) == (rules.SWITCH_CHANNEL.value, "granted")
        assert data["evidence"] == f"{rules.SWITCH_EVIDENCE}offers: on"
        assert rules.shows_no_policy({**data, "shown": True})
        assert program.verify_all().ok
