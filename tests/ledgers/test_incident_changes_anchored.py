"""The changes of an incident act only on the incident its candidate's history says.

Taking an incident up, resolving, closing, reopening it and posting a message read
the stored incident and checked only that its candidate lists it. An incident row
put back from before a later entry (a resolved or closed incident put back as open
with its first message only) was acted on as it stood: resolved again, written
over. Each change now compares the incident with its candidate's history
(:func:`~symprogram.accounts.rules.incident_anchored`) and refuses one that differs
(``IntegrityError`` ``record_corrupt``), writing nothing; ``verify_all`` reports
it, and the current row put back is acted on again. The reads (``get_incident``,
``incidents_of``) refuse it alike: a put-back row is not served as current.

After the account's erasure (``account_erased``) the data of the incident entries
is dropped, so they say nothing of the incident: a row put back from before the
erasure was served with the person's title and messages, and ``verify_all`` stayed
ok. The history's ``account_erased`` entry now says every incident of the account
is in its erased form (:func:`~symprogram.accounts.rules.incident_erased`): one
that is not is refused and reported (field ``erased``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import register_active
from symprogram import Program
from symprogram._anchors import AggregateMismatch
from symprogram.accounts import rules as account_rules
from symprogram.accounts.models import IncidentStatus
from symprogram.errors import IntegrityError

INCIDENTS = "incident"


def _refused(change: Callable[[], object]) -> None:
    with pytest.raises(IntegrityError) as raised:
        change()
    assert "record_corrupt" == raised.value.code
    assert INCIDENTS == raised.value.details["kind"]


def _reads_refused(program: Program, cid: str, iid: str) -> None:
    """Both reads of ``iid`` (and of ``cid``'s incidents) are refused ``record_corrupt``."""
    _refused(lambda: program.accounts.get_incident(iid))
    _refused(lambda: program.accounts.incidents_of(cid))


def _every_read_and_change_refused(program: Program, cid: str, iid: str) -> None:
    """Every read and change of ``iid`` is refused and nothing is written."""
    accounts = program.accounts
    rows = LedgerRows(program)
    stored, length = rows.get_record(INCIDENTS, iid), len(program.history.history(cid))
    _reads_refused(program, cid, iid)
    _refused(lambda: accounts.start_incident(iid))
    _refused(lambda: accounts.resolve_incident(iid))
    _refused(lambda: accounts.close_incident(iid))
    _refused(lambda: accounts.reopen_incident(iid))
    _refused(lambda: accounts.post_incident_message(iid, author="support", body="Again?"))
    assert stored == rows.get_record(INCIDENTS, iid)
    assert length == len(program.history.history(cid))


def test_a_resolved_incident_put_back_as_open_is_refused(program: Program) -> None:
    """Ada's incident put back from before support's answer and its resolution (open,
    one message): every change is refused; ``verify_all`` reports it; the current row
    put back, it is closed."""
    cid = register_active(program, "ada@example.com")
    accounts = program.accounts
    iid = accounts.open_incident(cid, title="Kit", body="Where is my kit?").incident_id
    rows = LedgerRows(program)
    opened = rows.get_record(INCIDENTS, iid)
    accounts.post_incident_message(iid, author="support", body="Shipped today.")
    accounts.resolve_incident(iid)
    resolved = rows.get_record(INCIDENTS, iid)
    rows.put_record(INCIDENTS, iid, opened)
    _every_read_and_change_refused(program, cid, iid)
    assert cid in {failure.subject for failure in program.history.verify_all()}
    rows.put_record(INCIDENTS, iid, resolved)
    assert IncidentStatus.CLOSED == accounts.close_incident(iid).status


def test_a_closed_incident_put_back_as_resolved_is_refused(program: Program) -> None:
    """A closed incident put back as resolved (which could be reopened or closed again)
    is refused."""
    cid = register_active(program, "ada@example.com")
    accounts = program.accounts
    iid = accounts.open_incident(cid, title="Kit", body="Where is my kit?").incident_id
    accounts.resolve_incident(iid)
    rows = LedgerRows(program)
    resolved = rows.get_record(INCIDENTS, iid)
    accounts.close_incident(iid)
    rows.put_record(INCIDENTS, iid, resolved)
    _every_read_and_change_refused(program, cid, iid)


def test_an_incident_whose_message_was_dropped_is_refused(program: Program) -> None:
    """An open incident put back from before a message was posted (same status)."""
    cid = register_active(program, "ada@example.com")
    accounts = program.accounts
    iid = accounts.open_incident(cid, title="Kit", body="Where is my kit?").incident_id
    rows = LedgerRows(program)
    opened = rows.get_record(INCIDENTS, iid)
    accounts.post_incident_message(iid, author="candidate", body="Any news?")
    rows.put_record(INCIDENTS, iid, opened)
    _every_read_and_change_refused(program, cid, iid)


def _erased_problems(program: Program, cid: str) -> set[tuple[str, str, str]]:
    """``(kind, key, field)`` of every ``erased`` mismatch ``verify_all`` reports of ``cid``."""
    return {
        (p.details["kind"], p.details["key"], p.details["field"])
        for failure in program.history.verify_all()
        if failure.subject == cid
        for p in failure.problems
        if isinstance(p, AggregateMismatch) and p.details["field"] == "erased"
    }


def test_an_incident_put_back_from_before_the_erasure_is_refused(program: Program) -> None:
    """Ada's incident (title and messages about her health) put back from a backup
    taken before her erasure: the reads refuse it (never serving the title or the
    messages again) and ``verify_all`` reports it (field ``erased``); the erased row
    put back, it is answered again and nothing is reported."""
    cid = register_active(program, "ada@example.com")
    accounts = program.accounts
    iid = accounts.open_incident(cid, title="My health", body="Private details").incident_id
    accounts.post_incident_message(iid, author="support", body="Noted.")
    rows = LedgerRows(program)
    backup = rows.get_record(INCIDENTS, iid)
    program.erase_person(cid, reason="GDPR request")
    erased = rows.get_record(INCIDENTS, iid)
    assert () == program.history.verify_all()
    rows.put_record(INCIDENTS, iid, backup)
    _reads_refused(program, cid, iid)
    assert {(INCIDENTS, iid, "erased")} == _erased_problems(program, cid)
    rows.put_record(INCIDENTS, iid, erased)
    [incident] = accounts.incidents_of(cid)
    assert ("[erased]", ("[erased]", "[erased]")) == (
        incident.title,
        tuple(m.body for m in incident.messages),
    )
    assert incident == accounts.get_incident(iid)
    assert () == program.history.verify_all()


def test_the_changes_refuse_an_incident_put_back_with_its_account(program: Program) -> None:
    """The account's row and the incident's both put back from before the erasure (the
    account then looks open): every change of the incident is refused
    ``record_corrupt``, nothing is written, and nothing is mailed."""
    cid = register_active(program, "ada@example.com")
    iid = program.accounts.open_incident(cid, title="My health", body="Private").incident_id
    rows = LedgerRows(program)
    account, incident = rows.get_record("candidate", cid), rows.get_record(INCIDENTS, iid)
    program.erase_person(cid, reason="GDPR request")
    rows.put_record("candidate", cid, account)
    rows.put_record(INCIDENTS, iid, incident)
    sent = len(program.notifier.messages)
    _every_read_and_change_refused(program, cid, iid)
    assert sent == len(program.notifier.messages)
    assert (INCIDENTS, iid, "erased") in _erased_problems(program, cid)


# -- the rule ------------------------------------------------------------------------

_AT = datetime(2012, 3, 1, 9, 30, tzinfo=UTC)
_STEPS = st.lists(
    st.tuples(
        st.sampled_from(["INC-1", "INC-2"]),
        st.sampled_from(["post", "open", "in_progress", "resolved", "closed"]),
    ),
    max_size=10,
)


@settings(max_examples=100, deadline=None)
@given(steps=_STEPS, data=st.data())
def test_an_incident_is_anchored_exactly_when_it_is_the_latest_state(
    steps: list[tuple[str, str]], data: st.DataObject
) -> None:
    """Over random histories of two incidents (messages, status changes), INC-1 as it
    stood after any entry is anchored only when it is what the history says now."""
    first = account_rules.open_incident(
        "SP-1", "INC-1", title="Kit", category="general", body="?", author="candidate", at=_AT
    )
    entries: list[tuple[str, dict[str, object]]] = [
        ("incident_opened", {"incident_id": "INC-1"}),
        ("incident_opened", {"incident_id": "INC-2"}),
    ]
    states = [(str(IncidentStatus.OPEN), 1)]
    for iid, step in steps:
        status, count = states[-1]
        if step == "post":
            entries.append(("incident_message_posted", {"incident_id": iid}))
            count += iid == "INC-1"
        else:
            entries.append(("incident_status_changed", {"incident_id": iid, "status": step}))
            status = step if iid == "INC-1" else status
        states.append((status, count))
    status, count = states[data.draw(st.integers(0, len(states) - 1))]
    stored = attrs.evolve(first, status=status, messages=first.messages * count)
    assert account_rules.incident_anchored(stored, entries) == ((status, count) == states[-1])


@settings(max_examples=100, deadline=None)
@given(steps=_STEPS, data=st.data())
def test_after_the_erasure_an_incident_is_anchored_exactly_when_erased(
    steps: list[tuple[str, str]], data: st.DataObject
) -> None:
    """Over random histories then the erasure (every entry's data dropped, then
    ``account_erased``), INC-1 as it stood after any entry is anchored exactly when
    it is in its erased form, whatever its status and messages."""
    first = account_rules.open_incident(
        "SP-1", "INC-1", title="Kit", category="general", body="?", author="candidate", at=_AT
    )
    kinds = ["incident_opened", "incident_opened"]
    kinds += [
        "incident_message_posted" if s == "post" else "incident_status_changed" for _, s in steps
    ]
    entries: list[tuple[str, dict[str, object] | None]] = [(kind, None) for kind in kinds]
    entries.append(("account_erased", {"reason": "request"}))
    status = data.draw(st.sampled_from(IncidentStatus))
    count = data.draw(st.integers(1, 4))
    stored = attrs.evolve(first, status=status, messages=first.messages * count)
    assert not account_rules.incident_anchored(stored, entries)
    assert account_rules.incident_anchored(stored, entries[:-1])  # erased entries say nothing
    erased = account_rules.erased_incident(stored)
    assert account_rules.incident_anchored(erased, entries)
    assert account_rules.incident_erased(erased) and not account_rules.incident_erased(stored)
