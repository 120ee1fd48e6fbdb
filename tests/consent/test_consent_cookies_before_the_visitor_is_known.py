"""Cookies are decided for a visitor before anything makes them known.

The privacy policy: "Symantec may use cookies to personalize your pages at our
Service & Support Web site, or to remember you when you register for products or
services. If you do not want Symantec to deploy cookies in your browser, you can set
your browser to reject cookies ..." and "Symantec may also use cookies to track your
visit to our Web site." The cookies that remember a person when they register are
set before the person is known. Before the fix every cookie category of a visitor
with nothing recorded was refused as ``unknown_subject``, in both readings (even
``cookies.necessary``, which the opt-in reading says "cannot be refused").

Now a cookie category of a visitor not known is decided by the policy in effect at
the instant asked about and the visitor's own cookie choices: ``necessary`` allowed,
opt-out allowed until refused, opt-in refused until granted. Every other purpose of
such a visitor stays ``unknown_subject`` (nobody known to contact), and the
audiences of those purposes do not change. ``may_use``, ``has_consented``, the
remembered (warm) answers and the answers as of an earlier instant agree, and
asking writes nothing. Every service test runs on memory and SQLite.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram.clock import FixedClock
from symprogram.consent import (
    ConsentService,
    ConsentSettings,
    CookieCategory,
    LegalBasis,
    PolicyCatalogue,
    PurposeKind,
)
from symprogram.consent.models import Policy
from symprogram.errors import SymprogramError
from symprogram.persistence import Store, Transaction, change_tracker
from symprogram.storage.memory import MemoryStore

T0 = datetime(2011, 1, 14, tzinfo=UTC)
HOUR = timedelta(hours=1)
COOKIES = ("cookies.necessary", "cookies.preferences", "cookies.tracking")
VISITOR = "visitor-7f3a"

Snapshot = Callable[[], Any]

EXPECTED_FOR_A_VISITOR = {
    LegalBasis.NECESSARY: (True, ("necessary_for_transaction",)),
    LegalBasis.OPT_OUT: (True, ("not_opted_out",)),
    LegalBasis.OPT_IN: (False, ("never_asked_opt_in",)),
}


def _with_bases(policy: Policy, bases: dict[str, LegalBasis], **changes: Any) -> Policy:
    """``policy`` with the legal bases of some purposes changed (and other fields)."""
    purposes = tuple(
        attrs.evolve(p, basis=bases[p.id]) if p.id in bases else p for p in policy.purposes
    )
    return attrs.evolve(policy, purposes=purposes, **changes)


def _opt_in_preferences() -> PolicyCatalogue:
    """The document's policy with preference cookies made opt-in (a host's own catalogue)."""
    policy = PolicyCatalogue.default().latest
    return PolicyCatalogue([_with_bases(policy, {"cookies.preferences": LegalBasis.OPT_IN})])


@pytest.mark.parametrize("reading", ["document", "opt_in"])
def test_a_visitor_never_recorded_is_answered_by_the_policy_in_effect(
    store: Store, clock: FixedClock, snapshot: Snapshot, reading: str
) -> None:
    """With nothing recorded, each cookie category is decided by its basis in the policy
    in effect (the opt-in reading's ``cookies.necessary``: necessary), with reasons that
    name the visitor and the policy version; has_consented agrees; nothing is written."""
    consent = ConsentService(store, clock, settings=ConsentSettings(policy=reading))
    policy = consent.get_policy()
    before = snapshot()
    for purpose in COOKIES:
        declared = policy.purpose(purpose)
        assert declared is not None
        decision = consent.may_use(VISITOR, purpose)
        answer = EXPECTED_FOR_A_VISITOR[declared.basis]
        assert answer == (decision.allowed, decision.codes), purpose
        assert "visitor" in decision.explain()
        assert policy.version == decision.reasons[0].fact("policy_version")
        assert policy.version == decision.detail("policy_version")
        assert policy.recipients_for(purpose) == decision.detail("recipients")
        assert decision.allowed is consent.has_consented(VISITOR, purpose)
        assert decision == consent.may_contact(VISITOR, purpose, channel="email")
        assert None is consent.granted_evidence(VISITOR, purpose)
    necessary = consent.may_use(VISITOR, CookieCategory.NECESSARY)
    code = "necessary_for_transaction" if reading == "opt_in" else "not_opted_out"
    assert (True, (code,)) == (necessary.allowed, necessary.codes)
    assert before == snapshot()


def test_other_purposes_of_a_visitor_never_recorded_stay_unknown_subject(
    consent: ConsentService, snapshot: Snapshot
) -> None:
    """Marketing, contact and every other purpose that is not a cookie category is still
    refused as unknown_subject, exactly as before (details: the policy version only),
    and the visitor is in no audience."""
    before = snapshot()
    others = [p for p in consent.get_policy().purposes if p.kind is not PurposeKind.COOKIES]
    assert others
    for purpose in others:
        for channel in (None, "email", "phone", "postal_mail"):
            decision = consent.may_use(VISITOR, purpose.id, channel)
            assert (False, ("unknown_subject",)) == (decision.allowed, decision.codes)
            assert (("policy_version", "2005-07"),) == decision.details
            assert [] == list(consent.iter_audience(purpose.id, channel))
    for cookie in COOKIES:
        assert [] == list(consent.iter_audience(cookie))  # nobody recorded: nobody listed
    assert before == snapshot()


def test_an_opt_in_cookie_category_is_refused_until_the_visitor_accepts_it(
    store: Store, clock: FixedClock
) -> None:
    """Under a policy that makes preference cookies opt-in, a visitor never recorded is
    refused them (never_asked_opt_in, with the consequence of rejecting cookies) until
    they accept; accepting is their own grant and makes them no more than a visitor."""
    consent = ConsentService(store, clock, catalogue=_opt_in_preferences())
    refused = consent.may_use(VISITOR, CookieCategory.PREFERENCES)
    assert (False, ("never_asked_opt_in",)) == (refused.allowed, refused.codes)
    assert "Rejecting cookies" in refused.detail("consequence")
    assert "accepted" in refused.explain()
    assert consent.may_use(VISITOR, CookieCategory.TRACKING).allowed
    clock.advance(HOUR)
    consent.grant(VISITOR, CookieCategory.PREFERENCES, channel="browser_signal")
    assert ("granted",) == consent.may_use(VISITOR, CookieCategory.PREFERENCES).codes
    at_t0 = consent.may_use(VISITOR, "cookies.preferences", at=T0)
    assert ("never_asked_opt_in",) == at_t0.codes
    assert ("unknown_subject",) == consent.may_use(VISITOR, "newsletters", "email").codes
    assert [VISITOR] == list(consent.iter_audience("cookies.preferences"))
    assert [] == list(consent.iter_audience("newsletters", "email"))


def test_refusing_one_cookie_category_leaves_the_others_to_the_policy(
    opt_in_consent: ConsentService, clock: FixedClock
) -> None:
    """A visitor who refuses preference cookies by browser signal is refused those (with
    the consequence) and keeps the others the policy allows; the necessary ones still
    cannot be refused; marketing stays unknown_subject."""
    consent = opt_in_consent
    consent.opt_out(VISITOR, CookieCategory.PREFERENCES, channel="browser_signal")
    preferences = consent.may_use(VISITOR, CookieCategory.PREFERENCES)
    assert (False, ("opted_out",)) == (preferences.allowed, preferences.codes)
    assert preferences.detail("consequence")
    assert ("not_opted_out",) == consent.may_use(VISITOR, CookieCategory.TRACKING).codes
    assert ("necessary_for_transaction",) == consent.may_use(VISITOR, "cookies.necessary").codes
    assert ("unknown_subject",) == consent.may_use(VISITOR, "special_offers").codes
    assert consent.verify(VISITOR).ok


def test_a_visitors_contact_channel_opt_out_is_still_said(consent: ConsentService) -> None:
    """Asked with a contact channel the visitor opted out of, the cookie answer says so."""
    consent.opt_out(VISITOR, "channel.email", channel="email_reply")
    decision = consent.may_use(VISITOR, CookieCategory.PREFERENCES, channel="email")
    assert (False, ("not_opted_out", "channel_opted_out")) == (decision.allowed, decision.codes)
    assert consent.may_use(VISITOR, CookieCategory.PREFERENCES).allowed


def test_answers_as_of_an_instant_follow_the_policy_then(
    consent: ConsentService, clock: FixedClock
) -> None:
    """as of an instant before the visitor's first record the policy in effect then
    decides; a later policy version that makes tracking cookies opt-in decides from its
    effective date; before the first policy nothing is in effect."""
    clock.advance(HOUR)
    consent.opt_out(VISITOR, CookieCategory.PREFERENCES, channel="browser_signal")
    assert ("not_opted_out",) == consent.may_use(VISITOR, "cookies.preferences", at=T0).codes
    assert ("opted_out",) == consent.may_use(VISITOR, "cookies.preferences").codes
    latest = consent.policies.latest
    starts = clock.now() + 5 * HOUR
    narrowed = _with_bases(
        latest, {"cookies.tracking": LegalBasis.OPT_IN}, version="2011-02", effective_at=starts
    )
    consent.publish_policy(narrowed)
    for subject in (VISITOR, "never-seen"):
        assert ("not_opted_out",) == consent.may_use(subject, "cookies.tracking").codes
        later = consent.may_use(subject, "cookies.tracking", at=starts + HOUR)
        assert (False, ("never_asked_opt_in",)) == (later.allowed, later.codes)
        assert "2011-02" == later.detail("policy_version")
    early = consent.may_use("never-seen", "cookies.tracking", at=datetime(2001, 1, 1, tzinfo=UTC))
    assert ("no_policy_in_effect",) == early.codes
    clock.advance(7 * HOUR)
    assert ("never_asked_opt_in",) == consent.may_use("never-seen", "cookies.tracking").codes


class PlainStore:
    """The same store without its change token: every answer reads the store."""

    def __init__(self, inner: MemoryStore) -> None:
        self._inner = inner

    def transaction(self, *, readonly: bool = False) -> AbstractContextManager[Transaction]:
        """Delegate to the wrapped store."""
        return self._inner.transaction(readonly=readonly)

    def close(self) -> None:
        """Nothing to release: the wrapped store is closed by its owner."""


SUBJECTS = ["v1", "v2", "c3"]
ASKED = [*COOKIES, "newsletters", "special_offers"]

op = st.one_of(
    st.tuples(
        st.just("choose"),
        st.sampled_from(SUBJECTS),
        st.sampled_from(["grant", "refuse", "withdraw", "opt_out"]),
        st.sampled_from([*COOKIES, "channel.email", "newsletters"]),
    ),
    st.tuples(st.just("gather"), st.sampled_from(SUBJECTS)),
    st.tuples(st.just("advance"), st.integers(1, 48)),
    st.tuples(st.just("publish"), st.sampled_from(list(LegalBasis))),
    st.tuples(
        st.just("ask"),
        st.sampled_from(SUBJECTS),
        st.sampled_from(ASKED),
        st.sampled_from([None, "email"]),
        st.sampled_from([None, -30, 30]),
    ),
)


@settings(max_examples=60, deadline=None)
@given(ops=st.lists(op, max_size=25), reading=st.sampled_from(["document", "opt_in"]))
def test_warm_and_as_of_answers_about_visitors_equal_the_reference(
    ops: list[Any], reading: str
) -> None:
    """On a store with a change token, remembered answers about visitors (never
    recorded, only cookie choices, or known) equal those of a service that reads the
    store every time, now, before and after, across policy versions that change the
    basis of tracking cookies; has_consented is may_use's yes/no; nothing is written
    by asking."""
    store = MemoryStore()
    clock = FixedClock(T0)
    settings_ = ConsentSettings(policy=reading)
    consent = ConsentService(store, clock, settings=settings_)
    assert change_tracker(PlainStore(store)) is None
    published = 0
    for item in ops:
        try:
            if item[0] == "choose":
                _, subject, how, topic = item
                getattr(consent, how)(subject, topic, channel="browser_signal")
            elif item[0] == "gather":
                consent.record_gathered(item[1], "other_activities", ["name"])
            elif item[0] == "advance":
                clock.advance(item[1] * HOUR)
            elif item[0] == "publish":
                published += 1
                latest = consent.policies.latest
                start = max(clock.now(), latest.effective_at) + 5 * HOUR
                consent.publish_policy(
                    _with_bases(
                        latest,
                        {"cookies.tracking": item[1]},
                        version=f"2012-{published:02d}",
                        effective_at=start,
                    )
                )
        except SymprogramError:
            continue  # refused inputs (a necessary purpose refused, ...) change nothing
        if item[0] != "ask":
            continue
        _, subject, purpose, channel, hours = item
        at = None if hours is None else clock.now() + hours * HOUR
        with store.transaction(readonly=True) as tx:
            before = [(k, list(tx.scan(k, limit=1000))) for k in ("consent_state", "ledger_head")]
        reference = ConsentService(PlainStore(store), clock, settings=settings_)
        expected = reference.may_use(subject, purpose, channel, at)
        for _ in range(2):
            assert expected == consent.may_use(subject, purpose, channel, at)
        # has_consented takes no channel: it is the yes/no of may_use without one
        unchanneled = expected if channel is None else reference.may_use(subject, purpose, None, at)
        assert unchanneled.allowed is consent.has_consented(subject, purpose, at)
        with store.transaction(readonly=True) as tx:
            after = [(k, list(tx.scan(k, limit=1000))) for k in ("consent_state", "ledger_head")]
        assert before == after
