"""Published policy versions are checked against their ``policy_published`` entries.

The rules (``symprogram.consent._rules_policy_anchors``) compare the stored
``consent_policy`` rows with the entries of the consent ledger's subject
``~policies``; the service refuses a catalogue that differs when it reads it
(``record_corrupt``: nothing is decided or written on a forged policy) and
``verify`` / ``verify_all`` report it. The program-level journeys (digests,
legacy stores, every backend) are in ``tests/ledgers/test_policy_anchors.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram._anchors import AggregateMismatch
from symprogram.clock import FixedClock
from symprogram.consent import ConsentService
from symprogram.consent import _rules_policy_anchors as anchors
from symprogram.consent.models import PublishedPolicy
from symprogram.consent.storage import CONVERTER
from symprogram.errors import IntegrityError, ValidationError
from symprogram.persistence import Store
from symprogram.testing.strategies import policies

DAY = timedelta(days=1)
AT = datetime(2011, 1, 14, tzinfo=UTC)


def _text(sequence: int, policy: Any) -> str:
    """A stored row's text, as the repository writes it (no storage version)."""
    data = CONVERTER.unstructure(PublishedPolicy(sequence, policy, AT))
    del data["version"]
    return json.dumps(data)


def _anchored(texts: list[str]) -> tuple[list[tuple[str, str]], list[tuple[str, dict[str, Any]]]]:
    """The rows of ``texts`` (sequences 1, 2, ...) and the entries that publish them."""
    rows = [(anchors.policy_key(n), text) for n, text in enumerate(texts, start=1)]
    pairs = [
        (anchors.POLICY_PUBLISHED, anchors.published_entry(key, text, method="published"))
        for key, text in rows
    ]
    return rows, pairs


def _fields(rows: list[tuple[str, str]], pairs: Any) -> list[tuple[str, str]]:
    return [(d.key, d.field) for d in anchors.policy_differences(rows, pairs)]


_VERSIONED = st.lists(policies(), min_size=2, max_size=4, unique_by=lambda p: p.version)


@given(published=_VERSIONED, data=st.data())
def test_published_rows_agree_with_their_entries_and_any_change_is_named(
    published: list[Any], data: st.DataObject
) -> None:
    """Rows agree with the entries written for them (re-encoded too); an edited
    version or content, a deleted, added or swapped row, and a repeated entry are
    each named; with no entry at all (an unanchored store) nothing is compared."""
    rows, pairs = _anchored([_text(n, p) for n, p in enumerate(published, start=1)])
    assert [] == _fields(rows, pairs)
    reencoded = [(key, json.dumps(json.loads(text), indent=2)) for key, text in rows]
    assert [] == _fields(reencoded, pairs)
    assert [] == _fields(rows, [])
    index = data.draw(st.integers(0, len(rows) - 1), label="row")
    key, text = rows[index]
    row = json.loads(text)

    renamed = {**row, "policy": {**row["policy"], "version": row["policy"]["version"] + "x"}}
    edited = [*rows[:index], (key, json.dumps(renamed)), *rows[index + 1 :]]
    assert [(key, "version")] == _fields(edited, pairs)
    retitled = {**row, "policy": {**row["policy"], "title": row["policy"]["title"] + "!"}}
    edited = [*rows[:index], (key, json.dumps(retitled)), *rows[index + 1 :]]
    assert [(key, "content")] == _fields(edited, pairs)

    assert [(key, "consent_policy")] == _fields(rows[:index] + rows[index + 1 :], pairs)
    extra = anchors.policy_key(len(rows) + 1)
    assert [(extra, "consent_policy")] == _fields([*rows, (extra, text)], pairs)
    swapped = [(rows[0][0], rows[1][1]), (rows[1][0], rows[0][1]), *rows[2:]]
    assert [(rows[0][0], "version"), (rows[1][0], "version")] == _fields(swapped, pairs)
    assert [(rows[0][0], "entry")] == _fields(rows, [*pairs, pairs[0]])

    with pytest.raises(IntegrityError) as caught:
        anchors.require_anchored(rows[:index] + rows[index + 1 :], pairs)
    assert ("record_corrupt", "consent_policy", key) == (
        caught.value.code,
        caught.value.details["kind"],
        caught.value.details["key"],
    )


def _publish(consent: ConsentService, version: str, days: int) -> None:
    latest = consent.get_policy()
    consent.publish_policy(attrs.evolve(latest, version=version, effective_at=AT + days * DAY))


def _edit(store: Store, key: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Edit a stored policy row in place, as by hand."""
    with store.transaction() as tx:
        record = tx.load("consent_policy", key)
        assert record is not None
        row = json.loads(record.data)
        change(row)
        tx.save("consent_policy", key, json.dumps(row), record.version)


def _necessary(row: dict[str, Any]) -> None:
    for purpose in row["policy"]["purposes"]:
        if purpose["id"] == "special_offers":
            purpose["basis"] = "necessary"


def test_the_service_refuses_a_forged_catalogue_and_verify_reports_it(
    store: Store, clock: FixedClock, snapshot: Callable[[], Any]
) -> None:
    """A service that reads the catalogue after a row was edited refuses it
    (``record_corrupt``: no decision, no publication, nothing written);
    ``verify("~policies")`` and ``verify_all()`` report ``aggregate_mismatch``."""
    consent = ConsentService(store, clock)
    consent.withdraw("cust-1", "special_offers", channel="web_form")
    _publish(consent, "2011-02", 10)
    assert consent.verify("~policies").ok
    assert ["policy_published"] == [e.kind for e in consent.history("~policies")]
    _edit(store, "00000001", _necessary)
    with pytest.raises(IntegrityError) as caught:
        consent.refresh_policies()
    assert "record_corrupt" == caught.value.code
    other = ConsentService(store, clock)
    clock.advance(11 * DAY)
    with pytest.raises(IntegrityError):
        other.may_use("cust-1", "special_offers")
    before = snapshot()
    with pytest.raises(IntegrityError):
        _publish(other, "2011-03", 20)
    assert before == snapshot()
    result = other.verify("~policies")
    assert [("aggregate_mismatch", "consent_policy", "00000001", "content")] == [
        (p.code, p.kind, p.key, p.field)
        for p in result.problems
        if isinstance(p, AggregateMismatch)
    ]
    assert 1 == len(result.problems)
    assert ["~policies"] == [f.subject for f in other.verify_all().failures]


def test_the_reserved_subject_is_no_consent_subject(store: Store, clock: FixedClock) -> None:
    """``~policies`` can be verified and read, never recorded about."""
    consent = ConsentService(store, clock)
    assert consent.verify("~policies").ok
    assert () == consent.history("~policies")
    with pytest.raises(ValidationError) as caught:
        consent.grant("~policies", "special_offers", channel="web_form", evidence="box")
    assert "invalid_subject" == caught.value.code


def test_a_version_moved_to_another_sequence_is_refused(store: Store, clock: FixedClock) -> None:
    """The latest row copied under the first row's key (its sequence rewritten to fit)
    is the wrong content there."""
    consent = ConsentService(store, clock)
    _publish(consent, "2011-02", 10)
    _publish(consent, "2011-03", 20)
    with store.transaction() as tx:
        first, second = tx.load("consent_policy", "00000001"), tx.load("consent_policy", "00000002")
        assert first is not None and second is not None
        moved = {**json.loads(second.data), "sequence": 1}
        tx.save("consent_policy", "00000001", json.dumps(moved), first.version)
    with pytest.raises(IntegrityError) as caught:
        ConsentService(store, clock).get_policy()
    assert ("record_corrupt", "version") == (caught.value.code, caught.value.details["field"])
