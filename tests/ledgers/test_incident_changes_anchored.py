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
from symprogram.accounts import rules as account_rules
from symprogram.accounts.models import IncidentStatus
from symprogram.errors import IntegrityError

INCIDENTS = "incident"


def _refused(change: Callable[[], object]) -> None:
    with pytest.raises(IntegrityError) as raised:
        change()
    assert "record_corrupt" == raised.value.code
    assert INCIDENTS == raised.value.details["kind"]


def _every_read_and_change_refused(program: Program, cid: str, iid: str) -> None:
    """Every read and change of ``iid`` is refused and nothing is written."""
    accounts = program.accounts
    rows = LedgerRows(program)
    stored, length = rows.get_record(INCIDENTS, iid), len(program.history.history(cid))
    _refused(lambda: accounts.get_incident(iid))
    _refused(lambda: accounts.incidents_of(cid))
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
