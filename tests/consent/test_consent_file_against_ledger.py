"""The consent file is served only as the subject's consent ledger says it.

The file (``consent_file``: the values given through ``record_personal_data``, the
collections and the correction requests) is kept beside the ledger, unkeyed. The
ledger records what was gathered and corrected by item *name*, never the values.
Someone with write access to the database can put the file back after the subject's
erasure (from a backup: the name and address would be served again) or edit it.
``personal_data`` and ``export`` refuse a file that is not as the ledger says
(``IntegrityError`` ``record_corrupt``, nothing served), and ``verify`` /
``verify_all`` report it (``aggregate_mismatch``, kind ``consent_file``). A value
edited in place, under the same name, activity and instant, is not seen (the ledger
holds no value to compare it with). Runs on MemoryStore and SQLiteStore.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _programs import ProgramFactory, register_active
from symprogram.clock import FixedClock
from symprogram.consent import ConsentService
from symprogram.consent.ports import FILE_KIND
from symprogram.errors import IntegrityError, ValidationError
from symprogram.ledger import Verification
from symprogram.persistence import Store

T0 = datetime(2011, 1, 14, tzinfo=UTC)
ORDER = {"name": "Ann Anders", "address": "1 Road, Paris"}

StoreFactory = Callable[[], Store]


def _row(store: Store, subject: str) -> str | None:
    with store.transaction(readonly=True) as tx:
        record = tx.load(FILE_KIND, subject)
    return None if record is None else record.data


def _put(store: Store, subject: str, data: str) -> None:
    """Write ``data`` as the subject's file, as a row edit would."""
    with store.transaction() as tx:
        current = tx.load(FILE_KIND, subject)
        tx.save(FILE_KIND, subject, data, 0 if current is None else current.version)


def _edit(store: Store, subject: str, change: Callable[[dict[str, Any]], None]) -> None:
    row = _row(store, subject)
    assert row is not None
    data = json.loads(row)
    change(data)
    _put(store, subject, json.dumps(data))


def _refused(call: Callable[[], object]) -> tuple[str, str, str]:
    with pytest.raises(IntegrityError) as raised:
        call()
    return raised.value.code, raised.value.details["kind"], raised.value.details["key"]


def _fields(result: Verification) -> list[tuple[str, str]]:
    return [
        (p.code, p.details["field"])  # type: ignore[attr-defined]
        for p in result.problems
        if p.code == "aggregate_mismatch"
    ]


def test_a_file_put_back_after_erasure_is_refused_and_reported(
    consent: ConsentService,
) -> None:
    """personal_data and export refuse it, verify and verify_all report it."""
    consent.record_personal_data("s1", "order", ORDER)
    consent.grant("s2", "special_offers", channel="web_form")
    backup = _row(consent._store, "s1")
    assert backup is not None
    consent.erase("s1")
    _put(consent._store, "s1", backup)
    refused = ("record_corrupt", FILE_KIND, "s1")
    assert refused == _refused(lambda: consent.personal_data("s1"))
    assert refused == _refused(lambda: consent.export("s1"))
    assert [("aggregate_mismatch", "file")] == _fields(consent.verify("s1"))
    audit = consent.verify_all()
    assert ["s1"] == [failure.subject for failure in audit.failures]
    assert consent.export("s2").data == ()  # others are served as before


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_a_file_put_back_after_erase_person_is_refused(
    make_program: ProgramFactory, backend: str
) -> None:
    """After program.erase_person the restored file is refused, and verify_all says so."""
    program = make_program(backend)
    cid = register_active(program)
    program.consent.record_personal_data(cid, "order", ORDER)
    store = program.consent._store
    backup = _row(store, cid)
    assert backup is not None
    program.erase_person(cid, reason="erasure request")
    _put(store, cid, backup)
    assert "record_corrupt" == _refused(lambda: program.consent.personal_data(cid))[0]
    assert "record_corrupt" == _refused(lambda: program.consent.export(cid))[0]
    assert not program.consent.verify(cid).ok
    assert not program.verify_all().ok


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_a_registrations_items_corrected_keep_the_file_as_said(
    make_program: ProgramFactory, backend: str
) -> None:
    """Every item a registration recorded by name (company, language, phone, ...) can be
    corrected; once completed, the file is served and verify is clean. The account's
    contact details are not changed by it (the host applies a correction there)."""
    program = make_program(backend)
    cid = register_active(program)
    before = program.accounts.contact_details(cid)
    gathered = program.consent.personal_data(cid).collections[0].items
    assert {"company", "partner_company", "language", "name"} <= set(gathered)
    changes = {item: f"corrected {item}" for item in gathered}
    request = program.consent.request_correction(cid, changes)
    program.consent.complete_correction(cid, request.id)
    assert program.consent.verify(cid).ok
    served = program.consent.personal_data(cid)
    assert changes == {item.name: item.value for item in served.data}
    assert served.data == program.consent.export(cid).data
    assert before == program.accounts.contact_details(cid)


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        pytest.param(
            lambda d: d["data"].append({**d["data"][0], "name": "card_number"}),
            "data[card_number]",
            id="item-added",
        ),
        pytest.param(
            lambda d: d["data"].__setitem__(0, {**d["data"][0], "activity": "survey"}),
            "data[address]",
            id="item-moved-to-another-activity",
        ),
        pytest.param(lambda d: d["collections"].pop(), "collections[1]", id="collection-dropped"),
        pytest.param(
            lambda d: d["collections"][0].__setitem__("items", ["address"]),
            "collections[0]",
            id="collection-items-edited",
        ),
        pytest.param(
            lambda d: d["corrections"][0].update(status="open", completed_at=None),
            "corrections[CR-1]",
            id="correction-reopened",
        ),
        pytest.param(lambda d: d.update(corrections=[]), "corrections[CR-1]", id="requests-gone"),
    ],
)
def test_a_live_file_edited_is_refused_and_reported(
    consent: ConsentService,
    clock: FixedClock,
    edit: Callable[[dict[str, Any]], None],
    field: str,
) -> None:
    """An item name, a collection or a request the ledger does not record is seen."""
    consent.record_personal_data("s1", "order", ORDER)
    consent.record_gathered("s1", "other_activities", ["email"])
    consent.request_correction("s1", {"name": "Ann Andrews"})
    clock.advance(timedelta(days=1))
    consent.complete_correction("s1", "CR-1")
    assert consent.verify("s1").ok
    _edit(consent._store, "s1", edit)
    assert ("record_corrupt", FILE_KIND, "s1") == _refused(lambda: consent.personal_data("s1"))
    assert "record_corrupt" == _refused(lambda: consent.export("s1"))[0]
    assert ("aggregate_mismatch", field) in _fields(consent.verify("s1"))


def test_a_file_written_in_for_a_stranger_is_reported(consent: ConsentService) -> None:
    """A file copied under a subject the ledger has nothing about: refused, and
    verify_all finds it (it walks the stored files too)."""
    consent.record_personal_data("s1", "order", ORDER)
    row = _row(consent._store, "s1")
    assert row is not None
    _put(consent._store, "s9", row.replace('"s1"', '"s9"'))
    assert "record_corrupt" == _refused(lambda: consent.personal_data("s9"))[0]
    assert ["s9"] == [failure.subject for failure in consent.verify_all().failures]


def test_a_missing_file_is_reported(consent: ConsentService) -> None:
    """A file deleted while the ledger says something was gathered is reported."""
    consent.record_gathered("s1", "other_activities", ["email"])
    with consent._store.transaction() as tx:
        record = tx.load(FILE_KIND, "s1")
        assert record is not None
        tx.delete(FILE_KIND, "s1", record.version)
    assert [("aggregate_mismatch", "file")] == _fields(consent.verify("s1"))


_STEPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("data"),
            st.sampled_from(["contest", "correspondence", "product_registration"]),
            st.dictionaries(
                st.sampled_from(["name", "address", "email"]),
                st.text("ab \n", max_size=5),
                min_size=1,
            ),
        ),
        st.tuples(
            st.just("gathered"),
            st.just("other_activities"),
            st.lists(
                st.sampled_from(["name", "email", "phone", "company"]), min_size=1, max_size=3
            ),
        ),
        st.tuples(
            st.just("correct"),
            st.just(""),
            st.dictionaries(
                st.sampled_from(["name", "email", "phone", "company"]), st.text("xy", max_size=3)
            ),
        ),
        st.tuples(st.just("complete"), st.just(""), st.integers(1, 3)),
    ),
    min_size=1,
    max_size=8,
)


def _correctable(consent: ConsentService) -> set[str]:
    """The items of the steps' pool a correction of s1 may name: those a closed activity
    of the policy declares (name, email), and those s1's file records as gathered (phone
    and company only ever by name, through record_gathered)."""
    file = consent.export("s1")
    declared = {"name", "email"}
    return declared | {d.name for d in file.data} | {i for c in file.collections for i in c.items}


def _apply(consent: ConsentService, clock: FixedClock, steps: list[tuple[str, str, Any]]) -> None:
    # the subject is known; phone gathered by name only, as a registration records it
    consent.record_gathered("s1", "other_activities", ["name", "phone"])
    for step, activity, value in steps:
        clock.advance(timedelta(minutes=1))
        if step == "data":
            consent.record_personal_data("s1", activity, value)
        elif step == "gathered":
            consent.record_gathered("s1", activity, value)
        elif step == "correct" and value:
            if set(value) <= _correctable(consent):
                consent.request_correction("s1", value)
            else:  # an item never gathered: refused, nothing written
                with pytest.raises(ValidationError) as refused:
                    consent.request_correction("s1", value)
                assert "data_not_declared" == refused.value.code
        elif step == "complete":
            file = consent.export("s1")
            open_ids = [r.id for r in file.corrections if r.completed_at is None]
            if open_ids:
                consent.complete_correction("s1", open_ids[(value - 1) % len(open_ids)])


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=_STEPS, extra=st.sampled_from(["card_number", "phone_number"]))
def test_an_honest_file_agrees_with_its_ledger_and_an_added_item_does_not(
    new_store: StoreFactory, steps: list[tuple[str, str, Any]], extra: str
) -> None:
    """Whatever was gathered, corrected and completed, the file is served and verify is
    clean; an item name added to it by hand is refused."""
    clock = FixedClock(T0)
    consent = ConsentService(new_store(), clock)
    _apply(consent, clock, steps)
    assert consent.verify("s1").ok
    exported = consent.export("s1")
    if exported.data:
        served = consent.personal_data("s1")
        assert exported.data == served.data

        def add(data: dict[str, Any]) -> None:
            data["data"].append({**data["data"][0], "name": extra})

        _edit(consent._store, "s1", add)
        assert "record_corrupt" == _refused(lambda: consent.personal_data("s1"))[0]
        assert not consent.verify("s1").ok
