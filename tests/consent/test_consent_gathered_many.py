"""``ConsentService.record_gathered_many``: one batch, the same result as one call per item.

A bulk registration records what each candidate's registration gathered in one call
per batch (issue 20). The batch must leave exactly what :meth:`record_gathered` of each
item in order leaves (projections, files, ledger entries; salts and hashes aside), be
all or nothing, and refuse a malformed batch before anything is written. Every test
runs on memory and SQLite (the ``store`` / ``new_store`` fixtures).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symprogram.clock import FixedClock
from symprogram.consent import ConsentService
from symprogram.errors import IllegalTransition, SymprogramError, ValidationError
from symprogram.persistence import Store

Snapshot = Callable[[], Any]
StoreFactory = Callable[[], Store]

ITEMS = ("company", "email", "language", "name", "partner_company", "phone")
_RANDOM = {"digest", "hash", "prev", "salt"}


def _content(store: Store) -> Any:
    """Projections, files and ledger entries of ``store``, the random salts and the
    hashes that depend on them masked."""
    with store.transaction(readonly=True) as tx:
        records = {
            kind: sorted((r.key, r.version, r.data) for r in tx.scan(kind, limit=10_000))
            for kind in ("consent_state", "consent_file", "consent_granted")
        }
        heads = sorted((r.key, r.version) for r in tx.scan("ledger_head", limit=10_000))
        streams = {
            name: [
                (p, {k: v for k, v in json.loads(d).items() if k not in _RANDOM})
                for p, d in tx.read(name)
            ]
            for name in tx.streams(limit=10_000)
        }
    return records, heads, streams


_subjects = st.sampled_from(["cand-1", "cand-2", "cand-3", "SP-1234-5678-9012-3"])
_gathered = st.lists(
    st.tuples(
        _subjects,
        st.just("other_activities"),
        st.lists(st.sampled_from(ITEMS), min_size=1, max_size=4).map(tuple),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(gathered=_gathered, earlier=st.lists(_subjects, max_size=2))
def test_a_batch_leaves_what_one_call_per_item_leaves(
    new_store: StoreFactory,
    clock: FixedClock,
    gathered: list[tuple[str, str, tuple[str, ...]]],
    earlier: list[str],
) -> None:
    """Property: for any items (subjects repeated, some known before), the batch writes
    the same projections, files and entries as record_gathered of each item in order,
    and returns the same records (hashes aside); every ledger verifies."""
    one, many = ConsentService(new_store(), clock), ConsentService(new_store(), clock)
    for service in (one, many):
        for subject in earlier:
            service.record_gathered(subject, "other_activities", ["email"])
    singles = [one.record_gathered(s, a, i) for s, a, i in gathered]
    batch = many.record_gathered_many(gathered)
    assert _content(one._store) == _content(many._store)
    assert [r.position for r in singles] == [r.position for r in batch]
    assert [(r.subject, r.kind, r.policy_version) for r in singles] == [
        (r.subject, r.kind, r.policy_version) for r in batch
    ]
    for subject in {s for s, _, _ in gathered}:
        assert many.verify(subject).ok
        assert one.may_use(subject, "virus_alerts") == many.may_use(subject, "virus_alerts")


@pytest.mark.parametrize(
    ("bad", "error", "code"),
    [
        (("cand-2", "no_such_activity", ("email",)), ValidationError, "unknown_activity"),
        (("cand-2", "other_activities", ()), ValidationError, "invalid_data"),
        (("", "other_activities", ("email",)), ValidationError, "invalid_subject"),
    ],
)
def test_a_bad_item_anywhere_writes_nothing(
    consent: ConsentService,
    snapshot: Snapshot,
    bad: tuple[str, str, tuple[str, ...]],
    error: type[SymprogramError],
    code: str,
) -> None:
    """All or nothing: a refused item, even the last one, leaves the store as it was."""
    before = snapshot()
    with pytest.raises(error) as raised:
        consent.record_gathered_many([("cand-1", "other_activities", ("email",)), bad])
    assert code == raised.value.code
    assert before == snapshot()
    assert ("unknown_subject",) == consent.may_use("cand-1", "virus_alerts").codes


def test_an_erased_subject_refuses_the_batch(consent: ConsentService, snapshot: Snapshot) -> None:
    """A subject whose data was erased refuses the whole batch (subject_erased)."""
    consent.record_gathered("cand-9", "other_activities", ["email"])
    consent.erase("cand-9")
    before = snapshot()
    with pytest.raises(IllegalTransition) as raised:
        consent.record_gathered_many(
            [("cand-1", "other_activities", ("email",)), ("cand-9", "other_activities", ("name",))]
        )
    assert "subject_erased" == raised.value.code
    assert before == snapshot()


@pytest.mark.parametrize(
    "batch", ["cand-1", {"cand-1": "x"}, [("cand-1", "other_activities")], [["a", "b", "c"]], 7]
)
def test_a_malformed_batch_is_refused(consent: ConsentService, batch: Any) -> None:
    """Not an iterable of (subject, activity, items) tuples: invalid_batch."""
    with pytest.raises(ValidationError) as raised:
        consent.record_gathered_many(batch)
    assert "invalid_batch" == raised.value.code


def test_an_empty_batch_records_nothing(consent: ConsentService, snapshot: Snapshot) -> None:
    """No items: nothing is written and nothing is returned."""
    before = snapshot()
    assert () == consent.record_gathered_many([])
    assert before == snapshot()
