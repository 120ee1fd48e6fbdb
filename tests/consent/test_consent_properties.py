"""Properties of the consent ledger and its answers, on every adapter."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symprogram.clock import FixedClock
from symprogram.consent import ConsentService, ContactChannel, rules
from symprogram.persistence import Store
from symprogram.storage.memory import MemoryStore

T0 = datetime(2011, 1, 14, tzinfo=UTC)
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
SUBJECTS = ["s1", "s2", "s3", "s4"]
TOPICS = [
    "special_offers",
    "research",
    "newsletters",
    "partner_sharing",
    "cookies.tracking",
    "channel.email",
    "channel.phone",
]
PURPOSES = ["special_offers", "research", "newsletters", "partner_sharing", "purchases_downloads"]
CHANNELS: list[str | None] = [None, "email", "phone"]

Op = tuple[str, str, str, int]

ops_strategy = st.lists(
    st.tuples(
        st.sampled_from(SUBJECTS),
        st.sampled_from(["grant", "refuse", "withdraw", "opt_out", "notice", "gpc"]),
        st.sampled_from(TOPICS),
        st.integers(0, 3),
    ),
    max_size=14,
)


def _apply(
    consent: ConsentService, clock: FixedClock, ops: list[Op], *, until: int | None = None
) -> None:
    for subject, kind, topic, gap in ops:
        if gap:
            clock.advance(timedelta(days=gap))
        if until is not None and clock.now() > T0 + timedelta(days=until):
            return
        if kind == "grant":
            consent.grant(subject, topic, channel="web_form")
        elif kind == "refuse":
            consent.refuse(subject, topic, channel="profile_form")
        elif kind == "withdraw":
            consent.withdraw(subject, topic, channel="email_reply")
        elif kind == "opt_out":
            consent.opt_out(subject, topic, channel="postal_mail")
        elif kind == "notice":
            consent.record_notice(subject, "2005-07")
        else:
            consent.global_privacy_control(subject)


@settings(max_examples=30, suppress_health_check=HEALTH)
@given(ops=ops_strategy)
def test_projection_equals_replay_of_the_ledger(
    new_store: Callable[[], Store], ops: list[Op]
) -> None:
    """After any sequence of choices, each stored projection equals a replay of its ledger."""
    clock = FixedClock(T0)
    store = new_store()
    consent = ConsentService(store, clock)
    _apply(consent, clock, ops)
    for subject in SUBJECTS:
        with store.transaction(readonly=True) as tx:
            stored = consent._states(tx).find(subject)
            entries = [
                (e.kind, e.data, e.at, e.position) for e in consent.ledger.entries(tx, subject)
            ]
        replayed = rules.replay(subject, entries)
        expected = None if stored is None else attrs.evolve(stored, version=0)
        assert expected == replayed
        assert consent.verify(subject).ok


@settings(max_examples=30, suppress_health_check=HEALTH)
@given(
    ops=ops_strategy,
    purpose=st.sampled_from(["special_offers", "research", "newsletters", "partner_sharing"]),
    channel=st.sampled_from(["web_form", "email_reply", "phone", "postal_mail"]),
    ask=st.sampled_from(CHANNELS),
)
def test_withdraw_after_grant_always_denies(
    new_store: Callable[[], Store], ops: list[Op], purpose: str, channel: str, ask: str | None
) -> None:
    """Whatever came before, a grant followed by a withdrawal leaves the purpose denied."""
    clock = FixedClock(T0)
    store = new_store()
    consent = ConsentService(store, clock)
    _apply(consent, clock, ops)
    consent.grant("s1", purpose, channel="web_form")
    consent.withdraw("s1", purpose, channel=channel)
    decision = consent.may_use("s1", purpose, channel=ask)
    assert False is decision.allowed
    assert "withdrawn" in decision.codes


@settings(max_examples=25, suppress_health_check=HEALTH)
@given(ops=ops_strategy, cut=st.integers(0, 20))
def test_answer_at_t_never_depends_on_later_records(
    new_store: Callable[[], Store], ops: list[Op], cut: int
) -> None:
    """may_use(at=T) with every record equals may_use(at=T) with only the records up to T."""
    full_clock = FixedClock(T0)
    full = ConsentService(new_store(), full_clock)
    _apply(full, full_clock, ops)
    prefix_clock = FixedClock(T0)
    prefix = ConsentService(MemoryStore(), prefix_clock)
    _apply(prefix, prefix_clock, ops, until=cut)
    at = T0 + timedelta(days=cut)
    for subject in SUBJECTS:
        for purpose in PURPOSES:
            for channel in CHANNELS:
                expected = prefix.may_use(subject, purpose, channel=channel, at=at)
                actual = full.may_use(subject, purpose, channel=channel, at=at)
                assert expected == actual


@settings(max_examples=25, suppress_health_check=HEALTH)
@given(
    ops=ops_strategy,
    purpose=st.sampled_from(PURPOSES),
    channel=st.sampled_from(CHANNELS),
    back=st.integers(0, 10),
    batch=st.integers(1, 3),
)
def test_audience_equals_filtering_may_use(
    new_store: Callable[[], Store],
    ops: list[Op],
    purpose: str,
    channel: str | None,
    back: int,
    batch: int,
) -> None:
    """audience() streams exactly the subjects for whom may_use allows, in order."""
    clock = FixedClock(T0)
    store = new_store()
    consent = ConsentService(store, clock)
    _apply(consent, clock, ops)
    at = clock.now() - timedelta(days=back)
    expected = [s for s in SUBJECTS if consent.may_use(s, purpose, channel=channel, at=at).allowed]
    assert expected == list(consent.iter_audience(purpose, channel, at=at, batch=batch))


@settings(max_examples=25, suppress_health_check=HEALTH)
@given(
    n=st.integers(1, 5),
    data=st.data(),
)
def test_verify_fails_for_any_single_edited_record(
    new_store: Callable[[], Store], n: int, data: st.DataObject
) -> None:
    """Editing any one field of any one consent record makes verify() fail."""
    clock = FixedClock(T0)
    store = new_store()
    consent = ConsentService(store, clock)
    subject = f"v{data.draw(st.integers(0, 10**9))}"
    for i in range(n):
        consent.grant(subject, "research", channel="web_form", evidence=f"e{i}")
        clock.advance(timedelta(hours=1))
    position = data.draw(st.integers(1, n))
    field = data.draw(
        st.sampled_from(["kind", "at", "topic", "choice", "channel", "evidence", "prev", "hash"])
    )
    stream = consent.ledger.stream(subject)
    with store.transaction() as tx:
        [(pos, text)] = tx.read(stream, after=position - 1, limit=1)
        raw = json.loads(text)
        if field in ("kind", "prev", "hash"):
            raw[field] = raw[field][:-1] + ("0" if raw[field][-1] != "0" else "1")
        elif field == "at":
            raw["at"] = (datetime.fromisoformat(raw["at"]) + timedelta(seconds=1)).isoformat()
        else:
            raw["data"][field] = raw["data"][field] + "x"
        tx.rewrite(stream, pos, json.dumps(raw))
    assert False is consent.verify(subject).ok


def test_contact_channel_enum_and_strings_agree() -> None:
    """Asking with ContactChannel.EMAIL or 'email' gives the same decision."""
    clock = FixedClock(T0)
    consent = ConsentService(MemoryStore(), clock)
    consent.opt_out("s1", ContactChannel.EMAIL)
    assert consent.may_use("s1", "newsletters", channel=ContactChannel.EMAIL) == consent.may_use(
        "s1", "newsletters", channel="email"
    )
