"""``rebuild`` / ``rebuild_all`` bring a stored projection back to a replay of the ledger.

The privacy policy: "We give you choices regarding the collection and usage of your
personally identifiable information" -- a choice is what the consent ledger proves,
and the projection answering "may we?" is only a fold of it. A projection stored by an
earlier version (one made ``known`` by an opt-out alone) keeps answering as known and
``verify`` reports ``projection_mismatch``; rebuilding it recomputes it from the
ledger in one unit of work, appends nothing to the ledger, and ``verify`` is clean.
Every test runs on memory and SQLite.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram.clock import FixedClock
from symprogram.consent import ConsentService, rules
from symprogram.consent.models import Choice
from symprogram.consent.ports import STATE_KIND
from symprogram.consent.storage import ConsentStorage
from symprogram.errors import IntegrityError, NotFound, ValidationError
from symprogram.persistence import Store
from symprogram.storage.memory import MemoryStore

T0 = datetime(2011, 1, 14, tzinfo=UTC)


def _forget_known(store: Store, *subjects: str) -> None:
    """Store the projections of ``subjects`` as an earlier version wrote them: no ``known``."""
    with store.transaction() as tx:
        for subject in subjects:
            record = tx.load(STATE_KIND, subject)
            assert record is not None
            data = json.loads(record.data)
            data.pop("known")
            tx.save(STATE_KIND, subject, json.dumps(data), record.version)


def _ledger(consent: ConsentService, subject: str) -> tuple[object, ...]:
    return tuple((e.position, e.hash) for e in consent.history(subject))


def test_rebuild_repairs_an_old_projection_made_known_by_an_opt_out(
    store: Store, consent: ConsentService
) -> None:
    """The old projection answers as known (``not_opted_out``) and fails ``verify``;
    after ``rebuild`` it answers ``unknown_subject``, verifies, and the ledger is unchanged."""
    consent.global_privacy_control("V-1")
    _forget_known(store, "V-1")
    old = ConsentService(store, consent._clock)
    assert ("not_opted_out",) == old.may_use("V-1", "virus_alerts").codes
    assert ["projection_mismatch"] == [p.code for p in old.verify("V-1").problems]
    ledger = _ledger(old, "V-1")
    assert old.rebuild("V-1") is True
    assert ("unknown_subject",) == old.may_use("V-1", "virus_alerts").codes
    assert old.verify("V-1").ok
    assert ledger == _ledger(old, "V-1")
    assert old.verify_all().ok


def test_rebuild_of_a_sound_projection_writes_nothing(
    store: Store, consent: ConsentService
) -> None:
    """A projection equal to its replay is left as it is: ``False``, same record version."""
    consent.record_gathered("C-1", "other_activities", ["name"])
    with store.transaction(readonly=True) as tx:
        before = tx.load(STATE_KIND, "C-1")
    assert consent.rebuild("C-1") is False
    with store.transaction(readonly=True) as tx:
        assert before == tx.load(STATE_KIND, "C-1")
    assert consent.verify("C-1").ok


def test_rebuild_all_repairs_every_old_projection_and_counts_them(
    store: Store, consent: ConsentService
) -> None:
    """``rebuild_all`` pages through every subject and repairs only those that differ."""
    consent.global_privacy_control("V-1")
    consent.opt_out("V-2", "newsletters", channel="email_reply")
    consent.record_gathered("C-1", "other_activities", ["name"])
    _forget_known(store, "V-1", "V-2", "C-1")
    old = ConsentService(store, consent._clock)
    assert 2 == len(old.verify_all().failures)
    assert 2 == old.rebuild_all(batch=1)
    assert old.verify_all().ok
    assert ("unknown_subject",) == old.may_use("V-2", "virus_alerts").codes
    assert ("not_opted_out",) == old.may_use("C-1", "virus_alerts").codes
    assert 0 == old.rebuild_all()


def test_rebuild_repairs_the_audience_index_with_the_projection(
    store: Store, consent: ConsentService
) -> None:
    """A projection (and its audience entry) altered to claim a grant the ledger does
    not hold is rebuilt with its audience entries: the refusal stands again, the
    subject leaves the audience and verify is clean."""
    consent.record_gathered("C-1", "other_activities", ["name"])
    consent.refuse("C-1", "special_offers", channel="web_form")
    with store.transaction() as tx:
        states = ConsentStorage(tx).states
        state = states.find("C-1")
        assert state is not None
        item = state.choice("special_offers")
        assert item is not None
        forged = attrs.evolve(item, choice=Choice.GRANTED)
        others = tuple(c for c in state.choices if c.topic != "special_offers")
        tampered_state = attrs.evolve(state, choices=tuple(sorted((*others, forged), key=str)))
        states.save(tampered_state)
        consent._index.write(tx, state, tampered_state)
    tampered = ConsentService(store, consent._clock)
    assert tampered.may_use("C-1", "special_offers").allowed
    assert "C-1" in set(tampered.iter_audience("special_offers"))
    assert not tampered.verify("C-1").ok
    assert tampered.rebuild("C-1") is True
    assert ("refused",) == tampered.may_use("C-1", "special_offers").codes
    assert "C-1" not in set(tampered.iter_audience("special_offers"))
    assert tampered.verify("C-1").ok


def test_rebuild_refuses_an_altered_ledger_and_writes_nothing(
    store: Store, consent: ConsentService, snapshot: object
) -> None:
    """A projection is never rebuilt from a ledger whose chain does not verify:
    IntegrityError ``ledger_tampered``, the store unchanged."""
    consent.global_privacy_control("V-1")
    _forget_known(store, "V-1")
    with store.transaction() as tx:
        [(position, text)] = tx.read("consent:V-1")
        tx.rewrite("consent:V-1", position, text.replace('"opted_out"', '"granted"'))
    before = snapshot()  # type: ignore[operator]
    with pytest.raises(IntegrityError) as caught:
        consent.rebuild("V-1")
    assert "ledger_tampered" == caught.value.code
    assert before == snapshot()  # type: ignore[operator]


def test_rebuild_of_an_unknown_subject_is_refused(consent: ConsentService) -> None:
    """Nothing recorded about the subject: NotFound ``consent_subject_not_found``."""
    with pytest.raises(NotFound) as caught:
        consent.rebuild("nobody")
    assert "consent_subject_not_found" == caught.value.code


def test_rebuild_refuses_a_bad_subject_and_batch(consent: ConsentService) -> None:
    """``invalid_subject`` and ``invalid_batch`` as every consent call answers them."""
    with pytest.raises(ValidationError) as bad_subject:
        consent.rebuild("")
    with pytest.raises(ValidationError) as bad_batch:
        consent.rebuild_all(batch=0)
    assert ("invalid_subject", "invalid_batch") == (bad_subject.value.code, bad_batch.value.code)


def test_rebuild_of_an_erased_subject_keeps_it_erased(consent: ConsentService) -> None:
    """An erased subject's projection is the replay of its erased ledger: nothing to do."""
    consent.global_privacy_control("V-1")
    consent.erase("V-1")
    assert consent.rebuild("V-1") is False
    assert ("subject_erased",) == consent.may_use("V-1", "newsletters").codes
    assert consent.verify("V-1").ok


@given(drop=st.lists(st.sampled_from(["s1", "s2", "s3"]), unique=True))
def test_after_rebuild_all_every_projection_is_its_replay(drop: list[str]) -> None:
    """For any set of projections stored without ``known``: after ``rebuild_all`` each
    stored projection equals a replay of its ledger."""
    store = MemoryStore()
    consent = ConsentService(store, FixedClock(T0))
    consent.global_privacy_control("s1")
    consent.opt_out("s2", "newsletters", channel="email_reply")
    consent.grant("s3", "special_offers", channel="web_form")
    _forget_known(store, *drop)
    ConsentService(store, consent._clock).rebuild_all()
    with store.transaction(readonly=True) as tx:
        for subject in ("s1", "s2", "s3"):
            stored = consent._states(tx).find(subject)
            entries = [(e.kind, e.data, e.at, e.position) for e in consent.history(subject)]
            assert stored is not None
            assert rules.replay(subject, entries) == attrs.evolve(stored, version=0)
