"""The audience index: ``audience`` of an opt-in purpose reads only the subjects who
ever granted it, and must list exactly the subjects ``may_use`` allows.

Every test compares ``list(audience(purpose, channel, at))`` with the reference,
``[s for s in subjects if may_use(s, purpose, channel, at).allowed]``, on MemoryStore
and SQLiteStore, after grants, refusals, withdrawals, opt-outs, channel opt-outs,
notices, erasure, published policy versions and clock moves, at present, past
(replayed) and future instants.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from symprogram.clock import FixedClock
from symprogram.consent import ConsentService, ConsentSettings, LegalBasis
from symprogram.consent import rules as consent_rules
from symprogram.consent.models import Policy, Purpose, Recipient
from symprogram.consent.ports import AUDIENCE_KIND, AUDIENCE_MARKER, META_KIND
from symprogram.consent.storage import audience_key
from symprogram.errors import SymprogramError
from symprogram.ledger_keys import LedgerKeys
from symprogram.persistence import Store
from symprogram.serialization import canonical_json
from symprogram.storage.memory import MemoryStore
from symprogram.storage.sqlite import SQLiteStore

T0 = datetime(2011, 1, 14, tzinfo=UTC)
HOUR = timedelta(hours=1)
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
# The index serves opt-in purposes: these tests run on the opt-in reading of the
# policy, where special_offers and research need consent first.
OPT_IN_READING = ConsentSettings(policy="opt_in")
SUBJECTS = sorted(["a1", "B2", "c3", "c3.x", "d:4"])
TOPICS = [
    "special_offers",
    "research",
    "remote_access",
    "newsletters",
    "purchases_downloads",
    "channel.email",
    "channel.phone",
]
PURPOSES = ["special_offers", "research", "remote_access", "newsletters", "purchases_downloads"]
CHANNELS: list[str | None] = [None, "email", "phone"]
VARIANTS = ["recipient", "widen", "narrow", "drop", "restore"]


def _next_policy(latest: Policy, version: str, at: datetime, variant: str) -> Policy:
    """The next version: a material change of special_offers, a basis change, or research
    dropped / added back (added back is a material change of research)."""
    purposes = latest.purposes
    if variant == "recipient":
        recipient = Recipient(f"r{version.replace('-', '')}", "Partners", ("special_offers",))
        return attrs.evolve(
            latest, version=version, effective_at=at, recipients=(*latest.recipients, recipient)
        )
    if variant in ("widen", "narrow"):
        basis = LegalBasis.OPT_OUT if variant == "widen" else LegalBasis.OPT_IN
        purposes = tuple(
            Purpose(p.id, p.title, basis, p.kind) if p.id in ("research", "newsletters") else p
            for p in purposes
        )
    elif variant == "drop":
        purposes = tuple(p for p in purposes if p.id != "research")
        recipients = tuple(
            attrs.evolve(r, purposes=tuple(x for x in r.purposes if x != "research"))
            for r in latest.recipients
        )
        return attrs.evolve(
            latest, version=version, effective_at=at, purposes=purposes, recipients=recipients
        )
    elif not any(p.id == "research" for p in purposes):
        purposes = (*purposes, Purpose("research", "Research", LegalBasis.OPT_IN))
    return attrs.evolve(latest, version=version, effective_at=at, purposes=purposes)


def _reference(
    consent: ConsentService, purpose: str, channel: str | None, at: datetime | None
) -> list[str]:
    return [s for s in SUBJECTS if consent.may_use(s, purpose, channel, at).allowed]


def _forget_index(store: Store, consent: ConsentService) -> None:
    """Make the store look as if it was written before the index existed."""
    with store.transaction() as tx:
        for record in tx.scan(AUDIENCE_KIND, limit=10_000):
            tx.delete(record.kind, record.key, record.version)
        marker = tx.load(META_KIND, AUDIENCE_MARKER)
        if marker is not None:
            tx.delete(META_KIND, AUDIENCE_MARKER, marker.version)


def _has_marker(store: Store) -> bool:
    with store.transaction(readonly=True) as tx:
        return tx.load(META_KIND, AUDIENCE_MARKER) is not None


class Scenario:
    """A consent service driven by named steps, remembering instants worth asking about."""

    def __init__(self, store: Store, ledger_key: bytes | None = None) -> None:
        self.store = store
        self.clock = FixedClock(T0)
        self.key = ledger_key
        self.consent = self._service()
        self.published = 0
        self.instants: list[datetime] = [T0]

    def step(self, item: tuple[Any, ...]) -> None:
        kind = item[0]
        try:
            if kind == "choose":
                _, subject, how, topic, via = item
                getattr(self.consent, how)(subject, topic, channel=via)
            elif kind == "notice":
                self.consent.record_notice(item[1], self.consent.policies.latest.version)
            elif kind == "erase":
                self.consent.erase(item[1])
            elif kind == "advance":
                self.clock.advance(item[1] * HOUR)
            elif kind == "publish":
                self.published += 1
                latest = self.consent.policies.latest
                start = max(self.clock.now(), latest.effective_at) + item[2] * HOUR
                version = f"2012-{self.published:02d}"
                self.consent.publish_policy(_next_policy(latest, version, start, item[1]))
                self.instants += [start - timedelta(microseconds=1), start]
            elif kind == "legacy":
                _forget_index(self.store, self.consent)
                self.consent = self._service()
        except SymprogramError:
            pass  # refused inputs (erased subject, necessary purpose, ...) change nothing
        self.instants.append(self.clock.now())

    def _service(self) -> ConsentService:
        return ConsentService(self.store, self.clock, settings=OPT_IN_READING, ledger_key=self.key)

    def check(self, purpose: str, channel: str | None, at: datetime | None, batch: int) -> None:
        expected = _reference(self.consent, purpose, channel, at)
        actual = list(self.consent.iter_audience(purpose, channel, at, batch=batch))
        assert expected == actual, (purpose, channel, at)

    def check_all(self) -> None:
        whens: list[datetime | None] = [None, self.clock.now() + 100 * HOUR]
        whens += sorted(set(self.instants))[-3:]
        for purpose in PURPOSES:
            for channel in CHANNELS:
                for at in whens:
                    self.check(purpose, channel, at, batch=2)


step = st.one_of(
    st.tuples(
        st.just("choose"),
        st.sampled_from(SUBJECTS),
        st.sampled_from(["grant", "grant", "refuse", "withdraw", "opt_out"]),
        st.sampled_from(TOPICS),
        st.sampled_from(["web_form", "email_reply"]),
    ),
    st.tuples(st.just("notice"), st.sampled_from(SUBJECTS)),
    st.tuples(st.just("erase"), st.sampled_from(SUBJECTS)),
    st.tuples(st.just("advance"), st.integers(1, 48)),
    st.tuples(st.just("publish"), st.sampled_from(VARIANTS), st.integers(1, 24)),
    st.tuples(st.just("legacy")),
)


@settings(max_examples=40, suppress_health_check=HEALTH, deadline=None)
@given(steps=st.lists(step, max_size=25))
def test_audience_lists_exactly_who_may_use_allows(
    new_store: Callable[[], Store], steps: list[tuple[Any, ...]]
) -> None:
    """After any history, audience equals filtering every subject with may_use, at
    present, past and future instants, through any channel, in subject order."""
    scenario = Scenario(new_store())
    for item in steps:
        scenario.step(item)
    scenario.check_all()
    assert scenario.consent.verify_all().ok


class AudienceMachine(RuleBasedStateMachine):
    """Any interleaving of writes, clock moves, publications and audience questions."""

    adapter = "memory"
    ledger_key: bytes | None = None

    def __init__(self) -> None:
        super().__init__()
        self.tmp: str | None = None
        store: Store
        if self.adapter == "sqlite":
            self.tmp = tempfile.mkdtemp()
            store = SQLiteStore(Path(self.tmp) / "a.db")
        else:
            store = MemoryStore()
        self.scenario = Scenario(store, self.ledger_key)

    def teardown(self) -> None:
        self.scenario.store.close()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    @rule(item=step)
    def act(self, item: tuple[Any, ...]) -> None:
        """Record a choice or notice, erase, move the clock, publish, or forget the index."""
        self.scenario.step(item)

    @rule(
        purpose=st.sampled_from(PURPOSES),
        channel=st.sampled_from(CHANNELS),
        when=st.sampled_from(["now", "recorded", "future"]),
        index=st.integers(0, 1000),
        batch=st.integers(1, 4),
    )
    def ask(self, purpose: str, channel: str | None, when: str, index: int, batch: int) -> None:
        """The audience at an instant equals filtering every subject with may_use."""
        instants = self.scenario.instants
        at = {
            "now": None,
            "recorded": instants[index % len(instants)],
            "future": self.scenario.clock.now() + 72 * HOUR,
        }[when]
        self.scenario.check(purpose, channel, at, batch)

    @invariant()
    def index_verifies(self) -> None:
        """Every ledger, projection and audience entry agrees."""
        assert self.scenario.consent.verify_all().ok


class SQLiteAudienceMachine(AudienceMachine):
    """The same machine on a SQLite file."""

    adapter = "sqlite"


class KeyedAudienceMachine(AudienceMachine):
    """The same machine with a keyed ledger: every entry sealed and its seal checked."""

    ledger_key = b"audience machine ledger key 32b."


TestAudienceMemory = AudienceMachine.TestCase
TestAudienceMemory.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
TestAudienceSQLite = SQLiteAudienceMachine.TestCase
TestAudienceSQLite.settings = settings(max_examples=20, stateful_step_count=25, deadline=None)
TestAudienceKeyed = KeyedAudienceMachine.TestCase
TestAudienceKeyed.settings = settings(max_examples=25, stateful_step_count=25, deadline=None)


# -- examples ---------------------------------------------------------------------


def _populate(consent: ConsentService, clock: FixedClock) -> None:
    consent.grant("a1", "special_offers", channel="web_form")
    consent.refuse("B2", "special_offers", channel="web_form")
    consent.grant("c3", "special_offers", channel="web_form")
    consent.opt_out("c3", "channel.email", channel="email_reply")
    consent.grant("d:4", "special_offers", channel="web_form")
    clock.advance(HOUR)
    consent.withdraw("d:4", "special_offers", channel="email_reply")
    consent.record_notice("B2", "2005-07")


def test_the_index_holds_only_those_who_ever_granted(store: Store, clock: FixedClock) -> None:
    """Refusing without ever granting writes no entry; a withdrawal keeps the entry."""
    consent = ConsentService(store, clock, settings=OPT_IN_READING)
    _populate(consent, clock)
    with store.transaction(readonly=True) as tx:
        entries = {
            r.key.split("\x1f")[1]: json.loads(r.data)["choice"]
            for r in tx.scan(AUDIENCE_KIND, prefix="special_offers\x1f")
        }
    assert {"a1": "granted", "c3": "granted", "d:4": "withdrawn"} == entries
    assert ["a1", "c3"] == list(consent.iter_audience("special_offers"))
    assert ["a1"] == list(consent.iter_audience("special_offers", "email"))
    assert ["a1", "c3", "d:4"] == list(consent.iter_audience("special_offers", at=T0))
    assert _has_marker(store)


def test_erasure_deletes_the_entries(store: Store, clock: FixedClock) -> None:
    """Erasing a subject deletes its audience entries in the same unit of work."""
    consent = ConsentService(store, clock, settings=OPT_IN_READING)
    _populate(consent, clock)
    consent.erase("a1")
    with store.transaction(readonly=True) as tx:
        assert tx.load(AUDIENCE_KIND, audience_key("special_offers", "a1")) is None
    assert ["c3"] == list(consent.iter_audience("special_offers"))
    assert ["c3", "d:4"] == list(consent.iter_audience("special_offers", at=T0))
    assert consent.verify("a1").ok


def test_a_store_without_the_marker_gets_the_index_built(store: Store, clock: FixedClock) -> None:
    """A store written before the index existed gets it built on first use, same answers."""
    consent = ConsentService(store, clock, settings=OPT_IN_READING)
    _populate(consent, clock)
    expected = {
        (channel, at): _reference(consent, "special_offers", channel, at)
        for channel in CHANNELS
        for at in (None, T0)
    }
    _forget_index(store, consent)
    assert not _has_marker(store)
    fresh = ConsentService(store, clock, settings=OPT_IN_READING)
    for (channel, at), subjects in expected.items():
        assert subjects == list(fresh.iter_audience("special_offers", channel, at, batch=1))
    assert _has_marker(store)
    with store.transaction(readonly=True) as tx:
        keys = [r.key for r in tx.scan(AUDIENCE_KIND, prefix="special_offers\x1f")]
    # Built from projections: every subject with a choice on the purpose (B2 refused).
    assert [audience_key("special_offers", s) for s in ["B2", "a1", "c3", "d:4"]] == keys
    assert fresh.verify_all().ok
    fresh.grant("B2", "special_offers", channel="web_form")
    assert ["B2", "a1", "c3"] == list(fresh.iter_audience("special_offers"))


def test_without_a_marker_inside_a_read_only_unit_the_full_scan_answers(
    store: Store, clock: FixedClock
) -> None:
    """Where the index cannot be built (read-only unit of work), the answer is the same."""
    consent = ConsentService(store, clock, settings=OPT_IN_READING)
    _populate(consent, clock)
    _forget_index(store, consent)
    fresh = ConsentService(store, clock, settings=OPT_IN_READING)
    with store.transaction(readonly=True):
        assert ["a1", "c3"] == list(fresh.iter_audience("special_offers"))
    assert not _has_marker(store)


def test_verify_reports_an_entry_that_disagrees(store: Store, clock: FixedClock) -> None:
    """A tampered or missing audience entry is reported as audience_index_mismatch."""
    consent = ConsentService(store, clock, settings=OPT_IN_READING)
    _populate(consent, clock)
    assert consent.verify_all().ok
    kind = AUDIENCE_KIND
    with store.transaction() as tx:
        record = tx.load(kind, audience_key("special_offers", "d:4"))
        assert record is not None
        entry = json.loads(record.data)
        tampered = json.dumps({**entry, "choice": "granted"})
        tx.save(kind, record.key, tampered, record.version)
        gone = tx.load(kind, audience_key("special_offers", "a1"))
        assert gone is not None
        tx.delete(kind, gone.key, gone.version)
        tx.save(kind, audience_key("special_offers", "B2"), json.dumps(entry), 0)
    # The index is believed: a1 (entry deleted) is missing, d:4 (withdrew) is listed.
    assert ["c3", "d:4"] == list(consent.iter_audience("special_offers"))
    for subject in ("d:4", "a1", "B2"):
        codes = [p.code for p in consent.verify(subject).problems]
        assert ["audience_index_mismatch"] == codes, subject
    audit = consent.verify_all()
    assert ["B2", "a1", "d:4"] == sorted(f.subject for f in audit.failures)
    assert consent.verify("c3").ok


def _tamper(store: Store) -> None:
    """d:4's entry edited to a grant (its position and seal kept), a1's deleted, and a
    copy of d:4's original entry written in for B2, who never granted."""
    with store.transaction() as tx:
        record = tx.load(AUDIENCE_KIND, audience_key("special_offers", "d:4"))
        assert record is not None
        entry = json.loads(record.data)
        tx.save(record.kind, record.key, json.dumps({**entry, "choice": "granted"}), record.version)
        gone = tx.load(AUDIENCE_KIND, audience_key("special_offers", "a1"))
        assert gone is not None
        tx.delete(AUDIENCE_KIND, gone.key, gone.version)
        tx.save(AUDIENCE_KIND, audience_key("special_offers", "B2"), json.dumps(entry), 0)


def test_with_a_ledger_key_an_entry_edited_or_written_in_is_not_believed(
    store: Store, clock: FixedClock
) -> None:
    """With a keyed ledger every entry is sealed (an HMAC of its key and content): an
    entry edited while keeping its ledger position, or copied to another subject,
    is not believed, and the subject's projection answers instead; so d:4 (who
    withdrew) and B2 (who never granted) are not listed. Every tampered entry is
    reported; ``rebuild`` repairs them."""
    consent = ConsentService(store, clock, settings=OPT_IN_READING, ledger_key=b"k" * 32)
    _populate(consent, clock)
    assert consent.verify_all().ok
    with store.transaction(readonly=True) as tx:
        sealed = [json.loads(r.data) for r in tx.scan(AUDIENCE_KIND, prefix="special_offers")]
    assert sealed and all("seal" in entry for entry in sealed)
    _tamper(store)
    assert ["c3"] == list(consent.iter_audience("special_offers"))
    assert ["B2", "a1", "d:4"] == sorted(f.subject for f in consent.verify_all().failures)
    for subject in ("d:4", "a1", "B2"):
        consent.rebuild(subject)
    assert consent.verify_all().ok
    assert ["a1", "c3"] == list(consent.iter_audience("special_offers"))


def test_an_entry_whose_seal_alone_is_wrong_is_reported(store: Store, clock: FixedClock) -> None:
    """An entry holding what the projection says but with a seal of the right key id
    and a wrong MAC is reported and not believed (the projection answers: c3 is
    still listed)."""
    consent = ConsentService(store, clock, settings=OPT_IN_READING, ledger_key=b"k" * 32)
    _populate(consent, clock)
    with store.transaction() as tx:
        record = tx.load(AUDIENCE_KIND, audience_key("special_offers", "c3"))
        assert record is not None
        kid = json.loads(record.data)["seal"].partition(".")[0]
        forged = {**json.loads(record.data), "seal": f"{kid}.{'0' * 64}"}
        tx.save(record.kind, record.key, json.dumps(forged), record.version)
    assert ["audience_index_mismatch"] == [p.code for p in consent.verify("c3").problems]
    assert ["a1", "c3"] == list(consent.iter_audience("special_offers"))


def test_opt_out_and_necessary_purposes_keep_the_full_scan(store: Store, clock: FixedClock) -> None:
    """Opt-out and necessary purposes list subjects who never granted anything."""
    consent = ConsentService(store, clock, settings=OPT_IN_READING)
    _populate(consent, clock)
    # B2 only refused and was notified: known (and listed) once data about them is gathered
    consent.record_gathered("B2", "other_activities", ["name"])
    consent.opt_out("a1", "newsletters")
    assert ["B2", "c3", "d:4"] == list(consent.iter_audience("newsletters"))
    assert ["B2", "a1", "c3", "d:4"] == list(consent.iter_audience("purchases_downloads"))


def test_subjects_to_notify_still_lists_the_unnotified(store: Store, clock: FixedClock) -> None:
    """Known subjects not notified of a new version are listed, with the index in
    place (B2 only refused and was shown a notice: not known, so not listed)."""
    consent = ConsentService(store, clock, settings=OPT_IN_READING)
    _populate(consent, clock)
    latest = consent.policies.latest
    consent.publish_policy(_next_policy(latest, "2011-02", clock.now() + HOUR, "recipient"))
    consent.record_notice("c3", "2011-02")
    assert ["a1", "d:4"] == list(consent.iter_subjects_to_notify("2011-02"))
    clock.advance(2 * HOUR)
    assert ["c3"] == list(consent.iter_audience("special_offers"))
    assert ["c3"] == _reference(consent, "special_offers", None, None)


def test_subjects_to_notify_leaves_out_those_never_made_known(
    store: Store, clock: FixedClock
) -> None:
    """Only an opt-out, a refusal, a cookie choice or a notice: nobody to notify."""
    consent = ConsentService(store, clock, settings=OPT_IN_READING)
    consent.opt_out("o1", "newsletters", channel="email_reply")
    consent.refuse("r2", "special_offers", channel="web_form")
    consent.grant("v3", "cookies.tracking", channel="web_form")
    consent.record_notice("n4", "2005-07")
    consent.record_personal_data("p5", "contest", {"name": "Pat"})
    latest = consent.policies.latest
    consent.publish_policy(_next_policy(latest, "2011-02", clock.now() + HOUR, "recipient"))
    assert ["p5"] == list(consent.iter_subjects_to_notify("2011-02"))
    consent.grant("r2", "special_offers", channel="web_form")
    assert ["p5", "r2"] == list(consent.iter_subjects_to_notify("2011-02"))


@pytest.mark.parametrize("batch", [0, 10_001, True, "5"])
def test_a_bad_batch_is_refused_at_once(consent: ConsentService, batch: Any) -> None:
    """The batch is checked when audience is called, not on the first iteration."""
    with pytest.raises(SymprogramError) as raised:
        consent.iter_audience("special_offers", batch=batch)
    assert "invalid_batch" == raised.value.code


_ENTRY_VALUES = st.fixed_dictionaries(
    {
        "choice": st.sampled_from(["granted", "refused", "withdrawn"]),
        "last": st.integers(0, 2**53),
        "off": st.lists(st.sampled_from(["email", "phone", "post", "e,mail"]), unique=True),
        "seen": st.lists(st.sampled_from(["2005-07", "2006-01", "2007-05"]), unique=True),
        "length": st.integers(1, 10_000),
    }
)


@settings(max_examples=60)
@given(
    entry=_ENTRY_VALUES,
    other=_ENTRY_VALUES,
    subject=st.text(min_size=1, max_size=12),
    field=st.sampled_from(["choice", "last", "off", "seen", "length"]),
)
def test_a_sealed_entry_is_vouched_for_only_as_it_was_sealed(
    entry: dict[str, Any], other: dict[str, Any], subject: str, field: str
) -> None:
    """A sealed entry is vouched for under its own key and ring (also once the key is
    retired), reads back as the entry it sealed, and is not vouched for with any
    field changed, moved to another subject, read with another ring, or unsealed;
    without a ring every entry is believed."""
    ring = LedgerKeys(b"a" * 32)
    key = audience_key("special_offers", subject)
    text = consent_rules.sealed_text(ring, key, canonical_json(entry))
    assert entry == {k: v for k, v in json.loads(text).items() if k != "seal"}
    assert consent_rules.text_vouched(ring, key, text)
    assert consent_rules.text_vouched(ring.rotated(b"b" * 32), key, text)  # retired key
    assert not consent_rules.text_vouched(LedgerKeys(b"b" * 32), key, text)
    moved = audience_key("special_offers", subject + "x")
    assert not consent_rules.text_vouched(ring, moved, text)
    assert not consent_rules.text_vouched(ring, key, canonical_json(entry))
    assert not consent_rules.seal_wrong(ring, key, text)
    assert not consent_rules.seal_wrong(LedgerKeys(b"b" * 32), key, text)  # key not held
    assert not consent_rules.seal_wrong(ring, key, canonical_json(entry))  # unsealed
    changed = {**json.loads(text), field: other[field]}
    if other[field] != entry[field]:
        assert not consent_rules.text_vouched(ring, key, canonical_json(changed))
        assert not consent_rules.text_vouched(ring, key, json.dumps(changed))
        assert consent_rules.seal_wrong(ring, key, json.dumps(changed))
    assert consent_rules.text_vouched(None, key, json.dumps(changed))


class _MarkerUnseen:
    """A unit of work that does not see the index marker, as on a server when a
    concurrent first writer committed it after this unit of work's snapshot."""

    def __init__(self, tx: Any) -> None:
        self._tx = tx

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)

    def load(self, kind: str, key: str) -> Any:
        return None if (kind, key) == (META_KIND, AUDIENCE_MARKER) else self._tx.load(kind, key)


class _MarkerUnseenStore:
    """A store whose units of work are :class:`_MarkerUnseen`."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    @contextlib.contextmanager
    def transaction(self, **options: Any) -> Iterator[Any]:
        with self._store.transaction(**options) as tx:
            yield _MarkerUnseen(tx)


@pytest.mark.parametrize("many", [False, True])
def test_a_marker_written_by_a_concurrent_first_writer_is_harmless(
    store: Store, clock: FixedClock, many: bool
) -> None:
    """Two first writers of an empty store both write the index marker; the second
    one's refused insert changes nothing, also in a batch (``record_gathered_many``,
    which the bulk registration calls) whose writes are sent at the end."""
    with store.transaction() as tx:
        tx.save(META_KIND, AUDIENCE_MARKER, canonical_json({"format": 1}), 0)
    consent = ConsentService(_MarkerUnseenStore(store), clock)  # type: ignore[arg-type]
    gathered = [(s, "other_activities", ["email"]) for s in ("a1", "B2")]
    if many:
        consent.record_gathered_many(gathered)
    else:
        for subject, activity, items in gathered:
            consent.record_gathered(subject, activity, items)
    for subject in ("a1", "B2"):
        assert consent.verify(subject).ok
        assert 1 == len(consent.history(subject))
    assert _has_marker(store)
