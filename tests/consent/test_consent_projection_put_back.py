"""An older projection put back is never served.

Someone with write access to the database puts back a subject's projection row as
it was before the subject withdrew (from a backup, or a copy kept aside). The
ledger still says withdrawn; the projection says granted. The projection records
the ledger position it was derived from (``length``) and every acting read
compares it with the subject's ledger head: a single-subject read or write refuses
it (``IntegrityError`` ``record_corrupt``, nothing written), a stream (the
audience, the subjects to notify) leaves the subject out and reports it on the
``symprogram.consent`` logger. ``verify`` reports it and ``rebuild`` repairs it.
Runs on MemoryStore and SQLiteStore.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symprogram.clock import FixedClock
from symprogram.consent import ConsentService, ConsentSettings
from symprogram.consent.models import Policy, Recipient
from symprogram.consent.ports import AUDIENCE_KIND, STATE_KIND
from symprogram.consent.storage import audience_key
from symprogram.errors import IntegrityError
from symprogram.persistence import Store, Transaction

T0 = datetime(2011, 1, 14, tzinfo=UTC)
OPT_IN_READING = ConsentSettings(policy="opt_in")

Rows = dict[str, str]
Snapshot = Callable[[], object]
StoreFactory = Callable[[], Store]


def _rows(store: Store, subject: str) -> Rows:
    """The subject's projection and audience entries, as a backup holds them."""
    with store.transaction(readonly=True) as tx:
        rows = {r.key: r.data for r in tx.scan(AUDIENCE_KIND, limit=1000)}
        rows = {k: v for k, v in rows.items() if k.endswith("\x1f" + subject)}
        state = tx.load(STATE_KIND, subject)
        assert state is not None
        rows[""] = state.data
    return rows


def _put_back(store: Store, subject: str, rows: Rows, *, entries: bool = False) -> None:
    """Write ``rows`` over the current ones, as a row edit would (the version moves on)."""
    with store.transaction() as tx:
        for key, data in rows.items():
            if key == "":
                kind, key = STATE_KIND, subject
            elif entries:
                kind = AUDIENCE_KIND
            else:
                continue
            current = tx.load(kind, key)
            tx.save(kind, key, data, 0 if current is None else current.version)


def _withdrawn_after_grant(consent: ConsentService, clock: FixedClock, subject: str) -> Rows:
    """``subject`` granted special_offers and remote_access, then withdrew both; returns
    the rows as they were while both were granted."""
    consent.grant(subject, "special_offers", channel="web_form", evidence="box ticked")
    consent.grant(subject, "remote_access", channel="web_form", evidence="terms:2011-01")
    before = _rows(consent._store, subject)
    clock.advance(timedelta(hours=1))
    consent.withdraw(subject, "special_offers", channel="email_reply")
    consent.withdraw(subject, "remote_access", channel="email_reply")
    return before


def _code(call: Callable[[], object]) -> str:
    with pytest.raises(IntegrityError) as raised:
        call()
    return raised.value.code


def test_single_subject_reads_refuse_an_older_projection(
    consent: ConsentService, clock: FixedClock
) -> None:
    """may_use, has_consented, may_contact, granted_evidence and receipt refuse it."""
    before = _withdrawn_after_grant(consent, clock, "s1")
    consent.grant("s2", "special_offers", channel="web_form")
    assert ("withdrawn",) == consent.may_use("s1", "special_offers").codes
    _put_back(consent._store, "s1", before)
    calls: list[Callable[[], object]] = [
        lambda: consent.may_use("s1", "special_offers"),
        lambda: consent.has_consented("s1", "remote_access"),
        lambda: consent.may_contact("s1", "special_offers"),
        lambda: consent.granted_evidence("s1", "remote_access"),
        lambda: consent.receipt("s1"),
    ]
    assert ["record_corrupt"] * len(calls) == [_code(call) for call in calls]
    assert consent.may_use("s2", "special_offers").allowed  # others answer as before


def test_a_write_on_an_older_projection_is_refused_and_writes_nothing(
    consent: ConsentService, clock: FixedClock, snapshot: Snapshot
) -> None:
    """A grant or withdrawal never builds on the stale projection."""
    before = _withdrawn_after_grant(consent, clock, "s1")
    _put_back(consent._store, "s1", before)
    taken = snapshot()
    with pytest.raises(IntegrityError) as raised:
        consent.withdraw("s1", "research", channel="email_reply")
    assert ("record_corrupt", "consent_state") == (
        raised.value.code,
        raised.value.details["kind"],
    )
    assert "record_corrupt" == _code(
        lambda: consent.grant("s1", "special_offers", channel="web_form")
    )
    assert taken == snapshot()


def test_the_audience_leaves_out_and_reports_an_older_projection(
    consent: ConsentService, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    """special_offers (opt-out on the document's reading) is read from the projections."""
    before = _withdrawn_after_grant(consent, clock, "s1")
    consent.grant("s2", "special_offers", channel="web_form")
    assert ["s2"] == list(consent.iter_audience("special_offers"))
    _put_back(consent._store, "s1", before)
    with caplog.at_level(logging.WARNING, logger="symprogram.consent"):
        assert ["s2"] == list(consent.iter_audience("special_offers"))
        with pytest.warns(DeprecationWarning, match="iter_audience"):
            assert ["s2"] == list(consent.audience("special_offers"))
    assert any("'s1'" in r.getMessage() for r in caplog.records)


def test_a_projection_copied_from_another_subject_leaves_only_that_subject_out(
    consent: ConsentService, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    """S1's projection row written over S2's: S2 is left out of an audience read from
    the projections and reported; S1 and S3 are still listed (before, the whole
    audience was refused, ``record_corrupt``)."""
    for subject in ("S1", "S2", "S3"):
        consent.grant(subject, "special_offers", channel="web_form", evidence="box ticked")
    clock.advance(timedelta(hours=1))
    store = consent._store
    with store.transaction() as tx:
        first, second = tx.load(STATE_KIND, "S1"), tx.load(STATE_KIND, "S2")
        assert first is not None and second is not None
        tx.save(STATE_KIND, "S2", first.data, second.version)
    with caplog.at_level(logging.WARNING, logger="symprogram.consent"):
        assert ["S1", "S3"] == list(consent.iter_audience("special_offers"))
    assert any("'S2'" in r.getMessage() for r in caplog.records)


def test_the_index_audience_leaves_out_entries_put_back_with_their_projection(
    store: Store, clock: FixedClock
) -> None:
    """An opt-in purpose answers from the audience index: entries put back with the
    projection (a consistent older copy of the subject's rows) are older than the
    ledger head and left out too."""
    consent = ConsentService(store, clock, settings=OPT_IN_READING)
    before = _withdrawn_after_grant(consent, clock, "s1")
    consent.grant("s2", "remote_access", channel="web_form")
    consent.grant("s2", "special_offers", channel="web_form")
    _put_back(store, "s1", before, entries=True)
    assert ["s2"] == list(consent.iter_audience("remote_access"))
    assert ["s2"] == list(consent.iter_audience("special_offers", channel="email"))


def test_entries_written_before_they_kept_a_position_are_checked_by_the_projection(
    store: Store, clock: FixedClock
) -> None:
    """An audience entry with no ``length`` (an older release's) is still answered,
    verify accepts it, and its subject is left out when its projection is stale."""
    consent = ConsentService(store, clock, settings=OPT_IN_READING)
    before = _withdrawn_after_grant(consent, clock, "s1")
    consent.grant("s2", "remote_access", channel="web_form")
    with store.transaction() as tx:
        for record in tx.scan(AUDIENCE_KIND, limit=1000):
            entry = json.loads(record.data)
            entry.pop("length", None)
            tx.save(AUDIENCE_KIND, record.key, json.dumps(entry), record.version)
    assert ["s2"] == list(consent.iter_audience("remote_access"))
    assert consent.verify_all().ok
    key = audience_key("remote_access", "s1")
    legacy = json.loads(before[key])
    legacy.pop("length", None)
    _put_back(store, "s1", {"": before[""], key: json.dumps(legacy)}, entries=True)
    assert ["s2"] == list(consent.iter_audience("remote_access"))


def test_subjects_to_notify_leaves_out_an_older_projection(
    consent: ConsentService, clock: FixedClock
) -> None:
    """A subject notified of a version, whose projection from before the notice is put
    back, is not listed from the stale copy (nor is anyone else's answer changed)."""
    latest: Policy = consent.policies.latest
    recipient = Recipient("r201102", "Partners", ("special_offers",))
    consent.publish_policy(
        attrs.evolve(
            latest,
            version="2011-02",
            effective_at=T0 + timedelta(hours=1),
            recipients=(*latest.recipients, recipient),
        )
    )
    consent.record_personal_data("s1", "contest", {"name": "Pat"})
    consent.record_personal_data("s2", "contest", {"name": "Sam"})
    before = _rows(consent._store, "s1")
    consent.record_notice("s1", "2011-02")
    assert ["s2"] == list(consent.iter_subjects_to_notify("2011-02"))
    _put_back(consent._store, "s1", before)
    assert ["s2"] == list(consent.iter_subjects_to_notify("2011-02"))


def test_verify_reports_it_and_rebuild_serves_the_ledger_again(
    consent: ConsentService, clock: FixedClock
) -> None:
    """verify: projection_mismatch; rebuild_all repairs it; answers follow the ledger."""
    before = _withdrawn_after_grant(consent, clock, "s1")
    _put_back(consent._store, "s1", before)
    assert "projection_mismatch" in [p.code for p in consent.verify("s1").problems]
    assert "record_corrupt" == _code(lambda: consent.may_use("s1", "special_offers"))
    assert 1 == consent.rebuild_all()
    assert ("withdrawn",) == consent.may_use("s1", "special_offers").codes
    assert [] == list(consent.iter_audience("special_offers"))
    consent.grant("s1", "special_offers", channel="web_form")
    assert ["s1"] == list(consent.iter_audience("special_offers"))


# -- a projection deleted ------------------------------------------------------------
def _delete_projection(store: Store, subject: str) -> None:
    """Delete the subject's projection row alone (its ledger and head left in place)."""
    with store.transaction() as tx:
        record = tx.load(STATE_KIND, subject)
        assert record is not None
        tx.delete(STATE_KIND, subject, record.version)


def test_single_subject_reads_refuse_a_deleted_projection(
    consent: ConsentService, clock: FixedClock
) -> None:
    """A visitor who refused tracking cookies, projection deleted: never "not known"
    (allowed the opt-out cookies again), every single-subject read refuses it."""
    consent.opt_out("visitor-42", "cookies.tracking", channel="web_form")
    consent.grant("visitor-42", "remote_access", channel="web_form", evidence="terms:2011-01")
    assert ("opted_out",) == consent.may_use("visitor-42", "cookies.tracking").codes
    _delete_projection(consent._store, "visitor-42")
    clock.advance(timedelta(minutes=1))
    calls: list[Callable[[], object]] = [
        lambda: consent.may_use("visitor-42", "cookies.tracking"),
        lambda: consent.may_use("visitor-42", "cookies.tracking", at=T0),
        lambda: consent.has_consented("visitor-42", "cookies.tracking"),
        lambda: consent.may_contact("visitor-42", "special_offers"),
        lambda: consent.granted_evidence("visitor-42", "remote_access"),
        lambda: consent.receipt("visitor-42"),
        lambda: consent.export("visitor-42"),
    ]
    assert ["record_corrupt"] * len(calls) == [_code(call) for call in calls]
    # A visitor never seen still answers as the policy says (nothing recorded).
    assert ("not_opted_out",) == consent.may_use("visitor-7", "cookies.tracking").codes
    assert ("unknown_subject",) == consent.may_use("visitor-7", "special_offers").codes


def test_a_write_or_erasure_on_a_deleted_projection_is_refused_and_writes_nothing(
    consent: ConsentService, clock: FixedClock, snapshot: Snapshot
) -> None:
    """A choice is never recorded as a subject's first, and an erasure never reports
    "nothing recorded" (leaving the ledger's evidence in place), once the projection
    is deleted."""
    consent.grant("s1", "special_offers", channel="web_form", evidence="box ticked")
    _delete_projection(consent._store, "s1")
    taken = snapshot()

    def erase_person_part() -> object:  # as erase_person calls it, in its unit of work
        with consent._store.transaction() as tx:
            return consent.erase_subject(tx, "s1", reason="asked")

    calls: list[Callable[[], object]] = [
        lambda: consent.withdraw("s1", "special_offers", channel="email_reply"),
        lambda: consent.record_personal_data("s1", "contest", {"name": "Pat"}),
        lambda: consent.record_gathered_many([("s1", "contest", ["name"])]),
        lambda: consent.erase("s1"),
        erase_person_part,
    ]
    assert ["record_corrupt"] * len(calls) == [_code(call) for call in calls]
    assert taken == snapshot()
    assert "box ticked" == consent.history("s1")[0].data["evidence"]  # type: ignore[index]


def test_verify_reports_a_deleted_projection_and_rebuild_serves_the_ledger_again(
    consent: ConsentService, clock: FixedClock
) -> None:
    """verify: projection_mismatch; rebuild_all puts the replay back."""
    consent.opt_out("visitor-42", "cookies.tracking", channel="web_form")
    _delete_projection(consent._store, "visitor-42")
    assert ["projection_mismatch"] == [p.code for p in consent.verify("visitor-42").problems]
    assert 1 == consent.rebuild_all()
    assert ("opted_out",) == consent.may_use("visitor-42", "cookies.tracking").codes
    assert consent.verify_all().ok


class _FirstProjectionReadMisses:
    """A unit of work whose first projection read comes before a concurrent writer's
    commit (READ COMMITTED on a server): it misses, the head read after it does not."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx
        self._missed = False

    def load(self, kind: str, key: str) -> object:
        if kind == STATE_KIND and not self._missed:
            self._missed = True
            return None
        return self._tx.load(kind, key)

    def __getattr__(self, name: str) -> object:
        return getattr(self._tx, name)


class _RacingStore:
    """``store`` whose units of work each miss their first projection read."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @contextlib.contextmanager
    def transaction(self, **options: Any) -> Iterator[object]:
        with self._store.transaction(**options) as tx:
            yield _FirstProjectionReadMisses(tx)

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)


def test_a_first_record_committed_between_the_reads_is_read_again_not_refused(
    consent: ConsentService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No projection, then a head with entries: the subject's first records were
    committed in between; the projection is read again and answers."""
    consent.grant("s1", "remote_access", channel="web_form", evidence="terms:2011-01")
    monkeypatch.setattr(consent, "_store", _RacingStore(consent._store))
    assert "terms:2011-01" == consent.granted_evidence("s1", "remote_access")
    assert ("granted",) == consent.may_use("s1", "remote_access").codes
    assert "s1" == consent.receipt("s1").subject


# -- property -----------------------------------------------------------------------
SUBJECTS = ["a1", "b2", "c3"]
PURPOSES = ["special_offers", "remote_access"]

steps = st.lists(
    st.tuples(
        st.sampled_from(SUBJECTS),
        st.sampled_from(["grant", "withdraw"]),
        st.sampled_from(PURPOSES),
    ),
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ops=steps,
    pick=st.integers(0, 100),
    entries=st.booleans(),
    reading=st.sampled_from(["document", "opt_in"]),
)
def test_no_put_back_projection_puts_a_withdrawn_subject_in_an_audience(
    new_store: StoreFactory,
    ops: list[tuple[str, str, str]],
    pick: int,
    entries: bool,
    reading: str,
) -> None:
    """After any grants and withdrawals and a put-back of any earlier projection row
    (with or without its audience entries), no audience lists a subject whose ledger
    says withdrawn."""
    store = new_store()
    clock = FixedClock(T0)
    consent = ConsentService(store, clock, settings=ConsentSettings(policy=reading))
    saved: list[tuple[str, Rows]] = []
    last: dict[tuple[str, str], str] = {}
    for subject, action, purpose in ops:
        clock.advance(timedelta(minutes=1))
        if action == "grant":
            consent.grant(subject, purpose, channel="web_form")
        else:
            consent.withdraw(subject, purpose, channel="email_reply")
        last[subject, purpose] = action
        saved.append((subject, _rows(store, subject)))
    subject, rows = saved[pick % len(saved)]
    _put_back(store, subject, rows, entries=entries)
    for purpose in PURPOSES:
        listed = set(consent.iter_audience(purpose))
        withdrawn = {s for (s, p), a in last.items() if p == purpose and a == "withdraw"}
        assert not listed & withdrawn, (purpose, listed, withdrawn)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ops=st.lists(
        st.tuples(
            st.sampled_from(SUBJECTS),
            st.sampled_from(["grant", "withdraw", "opt_out", "erase"]),
            st.sampled_from(["cookies.tracking", "special_offers", "remote_access"]),
        ),
        min_size=1,
        max_size=10,
    ),
    pick=st.integers(0, 100),
)
def test_a_deleted_projection_is_never_answered_as_nothing_recorded(
    new_store: StoreFactory, ops: list[tuple[str, str, str]], pick: int
) -> None:
    """After any choices and erasures, deleting one subject's projection makes every
    answer about that subject ``record_corrupt``; every other subject, erased ones
    included (an erasure keeps its projection), answers as before."""
    store = new_store()
    clock = FixedClock(T0)
    consent = ConsentService(store, clock)
    recorded: set[str] = set()
    erased: set[str] = set()
    for subject, action, purpose in ops:
        clock.advance(timedelta(minutes=1))
        if subject in erased or (action == "erase" and subject not in recorded):
            continue
        if action == "erase":
            consent.erase(subject)
            erased.add(subject)
        else:
            getattr(consent, action)(subject, purpose, channel="web_form")
            recorded.add(subject)
    assume(recorded)
    questions = [(s, p) for s in SUBJECTS for p in ("cookies.tracking", "special_offers")]
    before = {q: consent.may_use(*q).codes for q in questions}
    victim = sorted(recorded)[pick % len(recorded)]
    _delete_projection(store, victim)
    for subject, purpose in questions:
        if subject == victim:
            with pytest.raises(IntegrityError) as raised:
                consent.may_use(subject, purpose)
            assert "record_corrupt" == raised.value.code
        else:
            assert before[subject, purpose] == consent.may_use(subject, purpose).codes
            if subject in erased:
                assert ("subject_erased",) == before[subject, purpose]
