"""An opt-out, a refusal, a withdrawal, a notice or a correction request never makes a
subject known (so never marketable); only personal data gathered or a grant does.
A visitor who is not known is still answered for cookies by the policy in effect and
their own cookie choices (test_consent_cookies_before_the_visitor_is_known.py).

Before the fix, a cookie refusal by browser signal, a Global Privacy Control signal or
a correction request from a subject never seen turned every opt-out purpose from
``unknown_subject`` into ``not_opted_out`` and put them in ``audience(...)``. The
ledger, ``may_use``, ``audience`` (projection scan and audience index) and a replay
of the ledger must agree. Every service test runs on memory and SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symprogram.clock import FixedClock
from symprogram.consent import ConsentService, ContactChannel, CookieCategory, rules
from symprogram.consent.ports import STATE_KIND
from symprogram.persistence import Store
from symprogram.storage.memory import MemoryStore

T0 = datetime(2011, 1, 14, tzinfo=UTC)
HOUR = timedelta(hours=1)

Saying = Callable[[ConsentService, str], object]

SAYING_NO: dict[str, Saying] = {
    "cookie refusal by browser signal": lambda c, s: c.opt_out(
        s, CookieCategory.TRACKING, channel="browser_signal"
    ),
    "global privacy control": lambda c, s: c.global_privacy_control(s),
    "correction request": lambda c, s: c.request_correction(s, {"name": "x"}),
    "opt-out of newsletters": lambda c, s: c.opt_out(s, "newsletters", channel="email_reply"),
    "opt-out of a contact channel": lambda c, s: c.opt_out(s, ContactChannel.PHONE),
    "refusal": lambda c, s: c.refuse(s, "special_offers", channel="web_form"),
    "withdrawal": lambda c, s: c.withdraw(s, "research", channel="phone"),
    "notice": lambda c, s: c.record_notice(s, "2005-07"),
}

# The purposes of the document's reading, opt-out, necessary and opt-in alike.
PURPOSES = [
    "newsletters",
    "special_offers",
    "research",
    "partner_sharing",
    "virus_alerts",
    "cookies.tracking",
    "cookies.preferences",
    "cookies.necessary",
    "purchases_downloads",
    "remote_access",
]
COOKIES = frozenset({"cookies.tracking", "cookies.preferences", "cookies.necessary"})


def _cookies_only(refused: tuple[str, ...] = ()) -> list[str]:
    """What a visitor not known is allowed: the cookie categories (all opt-out in the
    document's reading) they did not refuse, with or without a contact channel."""
    return [
        f"{purpose}/{channel}"
        for purpose in PURPOSES
        for channel in (None, "email")
        if purpose in COOKIES and purpose not in refused
    ]


def _allowed_anything(consent: ConsentService, subject: str) -> list[str]:
    return [
        f"{purpose}/{channel}"
        for purpose in PURPOSES
        for channel in (None, "email")
        if consent.may_use(subject, purpose, channel).allowed
    ]


def _audiences(consent: ConsentService, subject: str) -> list[str]:
    return [
        f"{purpose}/{channel}"
        for purpose in PURPOSES
        for channel in (None, "email")
        if subject in set(consent.iter_audience(purpose, channel))
    ]


@pytest.mark.parametrize("how", sorted(SAYING_NO))
def test_saying_no_keeps_a_stranger_unknown(consent: ConsentService, how: str) -> None:
    """After only an opt-out, a refusal, a withdrawal, a notice or a correction request,
    the subject is allowed nothing but the cookies they did not refuse, and is in no
    other audience; the ledger verifies."""
    assert ("unknown_subject",) == consent.may_use("V-1", "virus_alerts", "email").codes
    SAYING_NO[how](consent, "V-1")
    decision = consent.may_use("V-1", "virus_alerts", "email")
    assert (False, ("unknown_subject",)) == (decision.allowed, decision.codes)
    refused = ("cookies.tracking",) if how == "cookie refusal by browser signal" else ()
    assert _cookies_only(refused) == _allowed_anything(consent, "V-1")
    assert _cookies_only(refused) == _audiences(consent, "V-1")
    assert consent.verify("V-1").ok
    assert consent.receipt("V-1").verified  # what was recorded is still theirs to see


def test_the_repro_cookie_refusal_gpc_and_correction(consent: ConsentService) -> None:
    """The reported case: each of three strangers stays refused for newsletters and offers."""
    consent.opt_out("V-1", CookieCategory.TRACKING, channel="browser_signal")
    consent.global_privacy_control("V-2")
    consent.request_correction("V-3", {"name": "x"})
    for subject in ("V-1", "V-2", "V-3"):
        for purpose in ("newsletters", "special_offers"):
            assert ("unknown_subject",) == consent.may_use(subject, purpose, "email").codes
    assert [] == list(consent.iter_audience("newsletters", "email"))
    assert consent.verify_all().ok


def test_the_standing_no_still_explains_itself(consent: ConsentService) -> None:
    """A stranger's own refusal or opt-out is the reason given for that purpose."""
    consent.opt_out("V-1", CookieCategory.NECESSARY, channel="browser_signal")
    consent.refuse("V-1", "special_offers", channel="web_form")
    consent.opt_out("V-1", ContactChannel.EMAIL)
    cookies = consent.may_use("V-1", CookieCategory.NECESSARY)
    assert ("opted_out",) == cookies.codes
    assert cookies.detail("consequence")  # the document's consequence of rejecting cookies
    assert ("refused",) == consent.may_use("V-1", "special_offers").codes
    assert ("channel_opted_out",) == consent.may_use("V-1", "virus_alerts", "email").codes
    assert ("unknown_subject",) == consent.may_use("V-1", "virus_alerts").codes


@pytest.mark.parametrize(
    "register",
    [
        lambda c: c.record_gathered("V-1", "other_activities", ["name"]),
        lambda c: c.record_personal_data("V-1", "order", {"name": "Ada"}),
        lambda c: c.grant("V-1", "special_offers", channel="web_form"),
    ],
    ids=["record_gathered", "record_personal_data", "grant"],
)
def test_gathered_data_or_a_grant_makes_known_and_earlier_no_still_stands(
    consent: ConsentService, clock: FixedClock, register: Callable[[ConsentService], object]
) -> None:
    """Once registered, opt-out purposes are allowed, except those the person refused."""
    consent.opt_out("V-1", "newsletters", channel="email_reply")
    clock.advance(HOUR)
    register(consent)
    assert ("opted_out",) == consent.may_use("V-1", "newsletters", "email").codes
    assert ("not_opted_out",) == consent.may_use("V-1", "virus_alerts", "email").codes
    assert "V-1" in set(consent.iter_audience("virus_alerts", "email"))
    assert "V-1" not in set(consent.iter_audience("newsletters", "email"))
    # asked as of before the registration, the ledger is replayed: not known then
    before = consent.may_use("V-1", "virus_alerts", "email", at=T0)
    assert ("unknown_subject",) == before.codes
    assert "V-1" not in set(consent.iter_audience("virus_alerts", "email", at=T0))
    assert consent.verify("V-1").ok


def test_a_cookie_choice_allows_that_category_and_never_makes_a_visitor_marketable(
    consent: ConsentService,
) -> None:
    """ "this information does not identify you and you remain anonymous" (the privacy
    policy): a visitor who accepts preference cookies is allowed those cookies (and the
    others they did not refuse) and nothing else; they join no mailing audience."""
    consent.grant("V-1", CookieCategory.PREFERENCES, channel="browser_signal")
    assert ("granted",) == consent.may_use("V-1", "cookies.preferences").codes
    assert "V-1" in set(consent.iter_audience("cookies.preferences"))
    assert _cookies_only() == _allowed_anything(consent, "V-1")
    assert _cookies_only() == _audiences(consent, "V-1")
    assert consent.verify("V-1").ok


def test_a_withdrawal_does_not_unregister(consent: ConsentService, clock: FixedClock) -> None:
    """Known stays known: withdrawing the grant that registered the subject denies only it."""
    consent.grant("V-1", "special_offers", channel="web_form")
    clock.advance(HOUR)
    consent.withdraw("V-1", "special_offers", channel="phone")
    assert ("withdrawn",) == consent.may_use("V-1", "special_offers").codes
    assert consent.may_use("V-1", "newsletters").allowed


def test_erasure_of_a_stranger_verifies(consent: ConsentService) -> None:
    """An erased subject who only ever opted out: erased, and the projection is a replay."""
    consent.global_privacy_control("V-1")
    consent.erase("V-1")
    assert ("subject_erased",) == consent.may_use("V-1", "newsletters").codes
    assert consent.verify("V-1").ok


def test_a_projection_stored_before_the_fix_reads_as_known_and_verify_says_so(
    store: Store, consent: ConsentService
) -> None:
    """A projection without ``known`` (written by an earlier version) answers as before;
    ``verify`` reports the ones an opt-out alone made known (a replay says otherwise)."""
    consent.global_privacy_control("V-1")
    consent.record_gathered("C-1", "other_activities", ["name"])
    with store.transaction() as tx:
        for subject in ("V-1", "C-1"):
            record = tx.load(STATE_KIND, subject)
            assert record is not None
            data = json.loads(record.data)
            assert data.pop("known") is (subject == "C-1")
            tx.save(STATE_KIND, subject, json.dumps(data), record.version)
    reread = ConsentService(store, consent._clock)
    assert ("not_opted_out",) == reread.may_use("C-1", "newsletters").codes
    assert reread.verify("C-1").ok
    problems = [p.code for p in reread.verify("V-1").problems]
    assert ["projection_mismatch"] == problems


# -- properties ----------------------------------------------------------------------

SUBJECTS = ["s1", "s2", "s3"]
OPS = st.lists(
    st.tuples(
        st.sampled_from(SUBJECTS),
        st.sampled_from(
            [
                "grant",
                "refuse",
                "withdraw",
                "opt_out",
                "cookie",
                "gpc",
                "notice",
                "correct",
                "gather",
                "cookie_grant",
            ]
        ),
        st.sampled_from(["special_offers", "newsletters", "research", "channel.email"]),
        st.integers(0, 2),
    ),
    max_size=12,
)


def _run(consent: ConsentService, clock: FixedClock, op: tuple[str, str, str, int]) -> None:
    subject, kind, topic, gap = op
    clock.advance(timedelta(hours=gap))
    if kind in ("grant", "refuse", "withdraw", "opt_out"):
        getattr(consent, kind)(subject, topic, channel="web_form")
    elif kind == "gather":
        consent.record_gathered(subject, "other_activities", ["name"])
    else:
        {
            "cookie": lambda: consent.opt_out(
                subject, CookieCategory.TRACKING, channel="browser_signal"
            ),
            "gpc": lambda: consent.global_privacy_control(subject),
            "notice": lambda: consent.record_notice(subject, "2005-07"),
            "correct": lambda: consent.request_correction(subject, {"name": "x"}),
            "cookie_grant": lambda: consent.grant(
                subject, CookieCategory.PREFERENCES, channel="browser_signal"
            ),
        }[kind]()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS)
def test_only_a_grant_or_gathered_data_makes_known_and_every_view_agrees(
    ops: list[tuple[str, str, str, int]],
) -> None:
    """For any history: a subject is allowed anything but cookies only after a grant or
    data gathered; may_use agrees with audience (scan and index: the subjects recorded
    by then) now and as of every earlier record; the stored projection is a replay of
    the ledger and everything verifies."""
    clock = FixedClock(T0)
    consent = ConsentService(MemoryStore(), clock)
    registered: dict[str, datetime] = {}
    recorded: dict[str, datetime] = {}
    instants = [T0]
    for op in ops:
        _run(consent, clock, op)
        instants.append(clock.now())
        recorded.setdefault(op[0], clock.now())
        if op[1] in ("grant", "gather"):
            registered.setdefault(op[0], clock.now())
    for at in sorted(set(instants)):
        audiences = {
            (p, c): set(consent.iter_audience(p, c, at=at))
            for p in ("newsletters", "special_offers", "virus_alerts", "cookies.preferences")
            for c in (None, "email")
        }
        for subject in SUBJECTS:
            known = subject in registered and registered[subject] <= at
            listed = subject in recorded and recorded[subject] <= at
            for (purpose, channel), audience in audiences.items():
                decision = consent.may_use(subject, purpose, channel, at=at)
                in_audience = decision.allowed and listed
                assert in_audience == (subject in audience), (subject, purpose, at)
                if not known and purpose != "cookies.preferences":
                    assert not decision.allowed, (subject, purpose, at, decision.codes)
    with consent._store.transaction(readonly=True) as tx:
        for subject in SUBJECTS:
            stored = consent._states(tx).find(subject)
            entries = [(e.kind, e.data, e.at, e.position) for e in consent.history(subject)]
            replayed = rules.replay(subject, entries)
            assert (None if stored is None else attrs.evolve(stored, version=0)) == replayed
            if replayed is not None:
                assert replayed.known == (subject in registered)
    assert consent.verify_all().ok


@given(
    kinds=st.lists(
        st.sampled_from(
            [
                ("consent_recorded", "refused"),
                ("consent_recorded", "withdrawn"),
                ("consent_recorded", "opted_out"),
                ("notice_recorded", None),
                ("correction_requested", None),
                ("correction_completed", None),
            ]
        ),
        min_size=1,
        max_size=8,
    )
)
def test_replaying_only_no_never_makes_known(kinds: list[tuple[str, str | None]]) -> None:
    """The pure fold: a ledger of refusals, withdrawals, opt-outs, notices and
    corrections projects a subject who is not known, denied every purpose but the
    cookies (opt-out in the document's reading, and not refused here)."""
    entries = []
    for position, (kind, choice) in enumerate(kinds, start=1):
        data: dict[str, object] = {"policy_version": "2005-07"}
        if choice is not None:
            data.update(topic="newsletters", choice=choice, channel="web_form")
        entries.append((kind, data, T0, position))
    state = rules.replay("s1", entries)
    assert state is not None and not state.known
    catalogue = ConsentService(MemoryStore(), FixedClock(T0)).policies
    for purpose in PURPOSES:
        allowed = rules.decide(state, catalogue, purpose, T0, "email").allowed
        assert allowed == (purpose in COOKIES), purpose
