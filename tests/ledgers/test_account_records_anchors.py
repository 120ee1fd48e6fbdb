"""The records an account owns checked against its history (``aggregate_mismatch``).

Beside the candidate's status and address, a tamper probe could roll back what
else the account holds with the history untouched: a notification preference
switched off put back on (marketing the person refused), a score report's claim
cleared (another account could then claim it), an incident's status or messages
put back. The account history's verification now also compares them with its
``notification_preference_changed``, ``score_report_claimed``,
``incident_opened``, ``incident_message_posted`` and ``incident_status_changed``
entries (``symprogram.accounts.rules.account_records_differences``).
"""

from __future__ import annotations

import json
from contextlib import suppress

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import ProgramFactory, record_report, register_active
from symprogram import Program
from symprogram._anchors import AggregateMismatch
from symprogram.accounts import rules as account_rules
from symprogram.errors import SymprogramError
from symprogram.ledger import Verification

KEY = b"account records ledger key, 32 b"
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def _fields(result: Verification) -> set[str]:
    return {p.field for p in result.problems if isinstance(p, AggregateMismatch)}


def _edit(rows: LedgerRows, kind: str, key: str, **changes: object) -> None:
    text = rows.get_record(kind, key)
    assert text is not None
    data = {**json.loads(text), **changes}
    rows.put_record(kind, key, json.dumps(data, separators=(",", ":"), sort_keys=True))


def test_a_preference_switched_off_and_put_back_on_is_reported(program: Program) -> None:
    """Newsletters chosen, then switched off; the row from before, put back, would
    send them again: ``preferences[newsletters]``."""
    cid = register_active(program, "ada@example.com")
    program.accounts.set_notification_preference(cid, "newsletters", True)
    rows = LedgerRows(program)
    before = rows.get_record("candidate", cid)
    program.accounts.set_notification_preference(cid, "newsletters", False)
    assert program.history.verify(cid).ok
    rows.put_record("candidate", cid, before)
    assert {"preferences[newsletters]"} == _fields(program.history.verify(cid))


def test_a_claim_cleared_from_the_report_is_reported(program: Program) -> None:
    """The report's ``claimed_by`` cleared (another account could claim it), and the
    number dropped from the account's list: both reported."""
    cid = register_active(program, "ada@example.com")
    record_report(program, "REG-1")
    program.accounts.claim_score_report(cid, "REG-1", email="ada@example.com")
    assert program.history.verify(cid).ok
    rows = LedgerRows(program)
    _edit(rows, "score_report", "REG-1", claimed_by=None, claimed_at=None)
    [problem] = program.history.verify(cid).problems
    assert {"kind": "score_report", "key": "REG-1", "field": "claimed_by"} == problem.details
    _edit(rows, "candidate", cid, score_reports=[])
    assert "score_reports[REG-1]" in _fields(program.history.verify(cid))


def test_an_incident_rolled_back_or_deleted_is_reported(program: Program) -> None:
    """An incident's status put back, a message deleted, the record deleted."""
    cid = register_active(program, "ada@example.com")
    incident = program.accounts.open_incident(cid, title="Kit", body="Where is my kit?")
    iid = incident.incident_id
    program.accounts.post_incident_message(iid, author="support", body="Shipped today.")
    program.accounts.resolve_incident(iid)
    assert program.history.verify(cid).ok
    rows = LedgerRows(program)
    text = rows.get_record("incident", iid)
    assert text is not None
    data = json.loads(text)
    _edit(rows, "incident", iid, status="open", messages=data["messages"][:1])
    assert {"status", "messages"} == _fields(program.history.verify(cid))
    rows.put_record("incident", iid, None)
    assert {"incident"} == _fields(program.history.verify(cid))


STEPS = (
    "newsletters on",
    "newsletters off",
    "offers on",
    "claim",
    "claim again",
    "stranger claims",
    "incident",
    "message",
    "start",
    "resolve",
    "close",
    "reopen",
    "candidate message",
    "close account",
)


@settings(max_examples=25, deadline=None, suppress_health_check=HEALTH)
@given(steps=st.lists(st.sampled_from(STEPS), max_size=10), erase=st.booleans())
def test_legitimate_account_records_never_report_a_mismatch(
    make_program: ProgramFactory, steps: list[str], erase: bool
) -> None:
    """Random preferences, claims (a second one by a stranger opens an incident for
    the stranger), incidents and their messages and statuses, perhaps the account's
    closing (support still moves its incidents), then perhaps an erasure: neither
    account reports any ``aggregate_mismatch``, and the incidents are answered (in
    their erased form after the erasure: no false ``record_corrupt``)."""
    program = make_program("memory", ledger_key=KEY)
    cid = register_active(program, "ada@example.com")
    stranger = register_active(program, "eve@example.com")
    accounts = program.accounts
    record_report(program, "REG-1")
    incidents: list[str] = []
    for step in steps:
        with suppress(SymprogramError):  # a refused step changes nothing
            if step.startswith(("newsletters", "offers")):
                category, switch = step.split()
                accounts.set_notification_preference(cid, category, switch == "on")
            elif step in ("claim", "claim again"):
                accounts.claim_score_report(cid, "REG-1", email="ada@example.com")
            elif step == "stranger claims":
                accounts.claim_score_report(stranger, "REG-1", name="Ada Lovelace")
            elif step == "incident":
                incidents.append(accounts.open_incident(cid, title="Kit", body="?").incident_id)
            elif step == "close account":
                accounts.close(cid, reason="leaving")
            elif incidents and step.endswith("message"):
                author = "candidate" if step.startswith("candidate") else "support"
                accounts.post_incident_message(incidents[-1], author=author, body="ok")
            elif incidents:
                getattr(accounts, f"{step}_incident")(incidents[-1])
    if erase:
        program.erase_person(cid, reason="request")
    assert set() == _fields(program.history.verify(cid))
    assert set() == _fields(program.history.verify(stranger))
    assert () == program.history.verify_all()
    answered = accounts.incidents_of(cid)  # a refused claim opens one too
    assert set(incidents) <= {i.incident_id for i in answered}
    assert list(answered) == [accounts.get_incident(i.incident_id) for i in answered]
    assert [erase] * len(answered) == [account_rules.incident_erased(i) for i in answered]
    for incident in accounts.incidents_of(stranger):
        assert not account_rules.incident_erased(accounts.get_incident(incident.incident_id))


def test_the_rule_skips_what_erased_entries_no_longer_say() -> None:
    """An erased preference entry leaves every named category unknown; an erased
    incident entry every incident's status and count; an erased claim the list."""
    entries: list[tuple[str, dict[str, object] | None]] = [
        ("notification_preference_changed", {"category": "newsletters", "enabled": True}),
        ("notification_preference_changed", None),
        ("incident_opened", {"incident_id": "INC-1"}),
        ("incident_status_changed", None),
        ("score_report_claimed", None),
    ]
    assert ({"REG-9"}, {"INC-1"}) == account_rules.named_records(
        [*entries, ("score_report_claimed", {"registration_number": "REG-9"})]
    )
    found = account_rules.account_records_differences("SP-1", None, entries, {}, {})
    assert {"incident"} == {d.field for d in found}  # INC-1 is named but not stored
