"""The remembered answers of ``may_use`` on a store with a change token.

On :class:`MemoryStore` a warm ``may_use`` answers from memory while nothing was
committed, the catalogue is the same and the instant stays in the span over which
the answer cannot change. Every test here compares it with the reference: the same
question asked of a service on a store without a change token (which reads the
store every time).
"""

from __future__ import annotations

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
    ContactChannel,
    CookieCategory,
    LegalBasis,
)
from symprogram.consent.models import Policy, Purpose, Recipient
from symprogram.decisions import Decision
from symprogram.errors import SymprogramError
from symprogram.persistence import Transaction, change_tracker
from symprogram.storage.memory import MemoryStore

T0 = datetime(2011, 1, 14, tzinfo=UTC)
HOUR = timedelta(hours=1)
SUBJECTS = ["a1", "b2", "c3"]
TOPICS = ["special_offers", "research", "newsletters", "channel.email", "channel.phone"]
PURPOSES = ["special_offers", "research", "newsletters", "purchases_downloads"]
CHANNELS: list[str | None] = [None, "email", "phone"]


class PlainStore:
    """The same store without its change token: every answer reads the store."""

    def __init__(self, inner: MemoryStore) -> None:
        self._inner = inner

    def transaction(self, *, readonly: bool = False) -> AbstractContextManager[Transaction]:
        """Delegate to the wrapped store."""
        return self._inner.transaction(readonly=readonly)

    def close(self) -> None:
        """Nothing to release: the wrapped store is closed by its owner."""


def _reference(store: MemoryStore, clock: FixedClock) -> ConsentService:
    """A new service reading everything from the store (no remembered answer)."""
    plain = PlainStore(store)
    assert change_tracker(plain) is None
    return ConsentService(plain, clock)


def _next_policy(latest: Policy, version: str, at: datetime, variant: str) -> Policy:
    """A next policy version: a material change of special_offers, or a basis change."""
    if variant == "recipient":
        recipient = Recipient(f"r{version.replace('-', '')}", "Partners", ("special_offers",))
        return attrs.evolve(
            latest, version=version, effective_at=at, recipients=(*latest.recipients, recipient)
        )
    basis = {"widen": LegalBasis.OPT_OUT, "narrow": LegalBasis.OPT_IN}[variant]
    purposes = tuple(
        Purpose(p.id, p.title, basis, p.kind) if p.id in ("research", "newsletters") else p
        for p in latest.purposes
    )
    return attrs.evolve(latest, version=version, effective_at=at, purposes=purposes)


op = st.one_of(
    st.tuples(
        st.just("choose"),
        st.sampled_from(SUBJECTS),
        st.sampled_from(["grant", "refuse", "withdraw", "opt_out"]),
        st.sampled_from(TOPICS),
    ),
    st.tuples(st.just("notice"), st.sampled_from(SUBJECTS)),
    st.tuples(st.just("erase"), st.sampled_from(SUBJECTS)),
    st.tuples(st.just("advance"), st.integers(1, 72)),
    st.tuples(st.just("publish"), st.sampled_from(["recipient", "widen", "narrow"])),
    st.tuples(
        st.just("ask"),
        st.sampled_from(SUBJECTS),
        st.sampled_from(PURPOSES),
        st.sampled_from(CHANNELS),
        st.permutations(["now", "past", "future"]),
    ),
)


def _run(consent: ConsentService, clock: FixedClock, store: MemoryStore, ops: list[Any]) -> int:
    """Apply ``ops``; at every "ask", compare the answer (asked twice) with the reference."""
    published = 0
    asked = 0
    for item in ops:
        kind = item[0]
        try:
            if kind == "choose":
                _, subject, how, topic = item
                getattr(consent, how)(subject, topic, channel="web_form")
            elif kind == "notice":
                consent.record_notice(item[1], consent.policies.latest.version)
            elif kind == "erase":
                consent.erase(item[1])
            elif kind == "advance":
                clock.advance(item[1] * HOUR)
            elif kind == "publish":
                published += 1
                latest = consent.policies.latest
                start = max(clock.now(), latest.effective_at)
                version = f"2012-{published:02d}"
                consent.publish_policy(_next_policy(latest, version, start + 5 * HOUR, item[1]))
        except SymprogramError:
            continue  # refused inputs (erased subject, necessary purpose, ...) change nothing
        if kind != "ask":
            continue
        _, subject, purpose, channel, order = item
        instants = {
            "now": None,
            "past": clock.now() - 30 * HOUR,
            "future": clock.now() + 30 * HOUR,
        }
        for when in order:
            at = instants[when]
            expected = _reference(store, clock).may_use(subject, purpose, channel, at)
            for _ in range(2):
                assert expected == consent.may_use(subject, purpose, channel, at)
            asked += 1
    return asked


@settings(max_examples=60, deadline=None)
@given(ops=st.lists(op, max_size=30))
def test_remembered_answers_equal_the_reference(ops: list[Any]) -> None:
    """Whatever was recorded, published or how far the clock moved, a remembered
    answer is exactly the answer of a service that reads the store every time."""
    store = MemoryStore()
    clock = FixedClock(T0)
    consent = ConsentService(store, clock)
    _run(consent, clock, store, ops)
    for subject in SUBJECTS:
        for purpose in PURPOSES:
            for channel in CHANNELS:
                expected = _reference(store, clock).may_use(subject, purpose, channel)
                assert expected == consent.may_use(subject, purpose, channel)


def test_a_commit_is_seen_at_once() -> None:
    """A remembered refusal is not given again once a grant was committed."""
    store = MemoryStore()
    consent = ConsentService(store, FixedClock(T0))
    assert ("unknown_subject",) == consent.may_use("a1", "special_offers").codes
    consent.grant("a1", "special_offers", channel="web_form")
    assert consent.may_use("a1", "special_offers").allowed
    consent.withdraw("a1", "special_offers", channel="email_reply")
    assert ("withdrawn",) == consent.may_use("a1", "special_offers").codes


class Boom(Exception):
    """Raised to roll a unit of work back."""


def test_uncommitted_writes_are_never_remembered() -> None:
    """Inside a unit of work the answer sees its own writes; after a rollback, nothing."""
    store = MemoryStore()
    consent = ConsentService(store, FixedClock(T0))
    consent.refuse("a1", "special_offers", channel="web_form")
    assert not consent.may_use("a1", "special_offers").allowed
    with pytest.raises(Boom), store.transaction():
        consent.grant("a1", "special_offers", channel="web_form")
        assert consent.may_use("a1", "special_offers").allowed
        assert consent.may_use("a1", "special_offers").allowed
        raise Boom
    assert ("refused",) == consent.may_use("a1", "special_offers").codes


def test_the_clock_crossing_a_policy_date_changes_the_answer() -> None:
    """With nothing committed, an answer is not reused past the next policy's effective date."""
    store = MemoryStore()
    clock = FixedClock(T0)
    consent = ConsentService(store, clock)
    consent.grant("a1", "special_offers", channel="web_form")
    latest = consent.policies.latest
    consent.publish_policy(_next_policy(latest, "2011-02", T0 + 2 * HOUR, "recipient"))
    assert consent.may_use("a1", "special_offers").allowed
    assert consent.may_use("a1", "special_offers").allowed
    clock.advance(3 * HOUR)
    denied = consent.may_use("a1", "special_offers")
    assert ("not_yet_notified_of_material_change",) == denied.codes
    assert denied == _reference(store, clock).may_use("a1", "special_offers")


def test_an_instant_before_the_newest_record_replays() -> None:
    """A remembered answer is never given for an instant before the subject's newest record."""
    store = MemoryStore()
    clock = FixedClock(T0)
    consent = ConsentService(store, clock)
    consent.grant("a1", "special_offers", channel="web_form")
    clock.advance(HOUR)
    consent.withdraw("a1", "special_offers", channel="email_reply")
    assert not consent.may_use("a1", "special_offers").allowed
    assert consent.may_use("a1", "special_offers", at=T0 + HOUR / 2).allowed
    assert not consent.may_use("a1", "special_offers", at=T0 + 2 * HOUR).allowed


def test_answers_carry_the_instant_asked_about() -> None:
    """A remembered answer is stamped with the instant of the new question."""
    store = MemoryStore()
    clock = FixedClock(T0)
    consent = ConsentService(store, clock)
    consent.grant("a1", "special_offers", channel="web_form")
    first = consent.may_use("a1", "special_offers")
    clock.advance(HOUR)
    second = consent.may_use("a1", "special_offers")
    at = T0 + 5 * HOUR
    third = consent.may_use("a1", "special_offers", at=at)
    assert (T0, T0 + HOUR, at) == (first.at, second.at, third.at)
    assert first.reasons == second.reasons == third.reasons


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("bad subject!", "special_offers", None, None), "invalid_subject"),
        (("a1", "nonsense", None, None), "unknown_purpose"),
        (("a1", "channel.email", None, None), "invalid_purpose"),
        (("a1", "special_offers", "fax", None), "invalid_channel"),
        (("a1", "special_offers", None, datetime(2011, 1, 14)), "naive_datetime"),
        (("a1", "special_offers", None, "2011-01-14"), "invalid_instant"),
        (("a1", ["special_offers"], None, None), "invalid_purpose"),
        ((42, "special_offers", None, None), "invalid_subject"),
    ],
)
def test_bad_arguments_raise_the_same_codes_when_warm(args: tuple[Any, ...], code: str) -> None:
    """Remembered answers never skip a check: bad arguments raise as on a cold service."""
    store = MemoryStore()
    consent = ConsentService(store, FixedClock(T0))
    consent.grant("a1", "special_offers", channel="web_form")
    for channel in CHANNELS:
        consent.may_use("a1", "special_offers", channel)
        consent.may_use("a1", "special_offers", channel)
    with pytest.raises(SymprogramError) as raised:
        consent.may_use(*args)
    assert code == raised.value.code
    cold = _reference(store, FixedClock(T0))
    with pytest.raises(SymprogramError) as raised_cold:
        cold.may_use(*args)
    assert code == raised_cold.value.code


def test_enum_arguments_answer_as_their_values() -> None:
    """ContactChannel and CookieCategory arguments get the answers of the plain strings."""
    store = MemoryStore()
    clock = FixedClock(T0)
    consent = ConsentService(store, clock)
    consent.opt_out("a1", ContactChannel.PHONE)
    consent.opt_out("a1", CookieCategory.TRACKING)
    reference = _reference(store, clock)
    pairs: list[tuple[Any, Any, str, str | None]] = [
        ("cookies.tracking", None, "cookies.tracking", None),
        (CookieCategory.TRACKING, None, "cookies.tracking", None),
        ("newsletters", ContactChannel.PHONE, "newsletters", "phone"),
        ("newsletters", "phone", "newsletters", "phone"),
        ("newsletters", ContactChannel.EMAIL, "newsletters", "email"),
    ]
    for purpose, channel, plain_purpose, plain_channel in pairs * 2:
        expected = reference.may_use("a1", plain_purpose, plain_channel)
        assert expected == consent.may_use("a1", purpose, channel)


def test_remembered_answers_are_bounded() -> None:
    """The memory of answers never grows past its limit."""
    store = MemoryStore()
    consent = ConsentService(store, FixedClock(T0), settings=ConsentSettings(memo_limit=5))
    answers: list[Decision] = [consent.may_use(f"s{i}", "special_offers") for i in range(12)]
    assert all(not a.allowed for a in answers)
    assert len(consent._memo) <= 5
