"""A customer's stored support cases checked against the audit (``aggregate_mismatch``).

The entitlements audit names every case, escalation, closure and remote session;
the stored cases are not keyed. A closed case put back open, an escalation rolled
back, a remote session put back as running (remote access seemingly still going
on) or a case deleted went unseen by ``verify``: the audit's verification now also
compares the stored cases with its entries
(``symprogram.entitlements.rules.cases_differences``).
"""

from __future__ import annotations

import json
from contextlib import suppress

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import ProgramFactory, add_agreement, register_active
from symprogram import Program
from symprogram._anchors import AggregateMismatch
from symprogram.entitlements import rules as entitlement_rules
from symprogram.errors import SymprogramError
from symprogram.ledger import Verification

KEY = b"support cases audit ledger key 32"[:32]
CASES = "entitlements_case"
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def _fields(result: Verification) -> set[str]:
    return {p.field for p in result.problems if isinstance(p, AggregateMismatch)}


def _open(program: Program, case_id: str = "K-1", customer: str = "C-1") -> None:
    program.entitlements.open_case(
        customer, case_id=case_id, product="NetBackup", severity="high", summary="down", by="me"
    )


def test_a_closed_case_put_back_with_its_session_running_is_reported(program: Program) -> None:
    """Escalated, a remote session started, then closed (which ends the session): the
    case from before, put back, is open, a level lower and its session running."""
    add_agreement(program.entitlements)
    program.consent_to_remote_access("C-1")
    _open(program)
    ents = program.entitlements
    ents.escalate_case("K-1", by="agent", reason="stuck")
    rows = LedgerRows(program)
    before_escalation = rows.get_record(CASES, "K-1")
    ents.escalate_case("K-1", by="agent", reason="still stuck")
    session = ents.start_remote_session("K-1", by="engineer")
    before = rows.get_record(CASES, "K-1")
    ents.close_case("K-1", by="agent")
    assert ents.verify("C-1").ok
    rows.put_record(CASES, "K-1", before)
    expected = {"status", f"remote_sessions[{session.session_id}]"}
    assert expected == _fields(ents.verify("C-1"))
    rows.put_record(CASES, "K-1", before_escalation)
    assert expected | {"escalation_level"} == _fields(ents.verify("C-1"))
    assert ["C-1"] == [f.subject for f in ents.verify_all()]
    rows.put_record(CASES, "K-1", None)
    assert {"case"} == _fields(ents.verify("C-1"))


def test_a_case_moved_to_another_customer_is_reported(program: Program) -> None:
    """The stored case edited to name another customer: ``customer_id``."""
    add_agreement(program.entitlements)
    _open(program)
    rows = LedgerRows(program)
    text = rows.get_record(CASES, "K-1")
    assert text is not None
    data = {**json.loads(text), "customer_id": "C-2", "severity": "low"}
    rows.put_record(CASES, "K-1", json.dumps(data, separators=(",", ":"), sort_keys=True))
    assert {"customer_id", "severity"} == _fields(program.entitlements.verify("C-1"))


STEPS = ("open", "escalate", "start", "end", "close")


@settings(max_examples=25, deadline=None, suppress_health_check=HEALTH)
@given(
    steps=st.lists(st.tuples(st.sampled_from(STEPS), st.integers(0, 1)), max_size=10),
    erase=st.booleans(),
)
def test_legitimate_case_life_cycles_never_report_a_mismatch(
    make_program: ProgramFactory, steps: list[tuple[str, int]], erase: bool
) -> None:
    """Random cases opened, escalated, closed, with remote sessions started and ended,
    then perhaps the customer erased: nothing reported."""
    program = make_program("memory", ledger_key=KEY)
    ents = program.entitlements
    customer = register_active(program)  # the candidate is the customer: erasable
    add_agreement(ents, customer)
    program.consent_to_remote_access(customer)
    for step, which in steps:
        case_id = f"K-{which}"
        with suppress(SymprogramError):  # a refused step changes nothing
            if step == "open":
                _open(program, case_id, customer)
            elif step == "escalate":
                ents.escalate_case(case_id, by="agent", reason="stuck")
            elif step == "start":
                ents.start_remote_session(case_id, by="engineer")
            elif step == "end":
                case = ents.get_case(case_id)
                running = [s for s in case.remote_sessions if s.ended_at is None]
                if running:
                    ents.end_remote_session(case_id, running[0].session_id, by="engineer")
            else:
                ents.close_case(case_id, by="agent")
    if erase:
        program.erase_person(customer, reason="request")
    assert set() == _fields(ents.verify(customer))
    assert () == ents.verify_all()


def test_the_case_rule_compares_nothing_once_an_entry_is_erased() -> None:
    """An erased case entry hides which case it was about: no case is compared."""
    entries: list[tuple[str, dict[str, object] | None]] = [
        ("case_opened", {"case_id": "K-1", "severity": "high"}),
        ("case_closed", None),
    ]
    assert {"K-1"} == entitlement_rules.named_cases(entries)
    assert () == entitlement_rules.cases_differences("C-1", entries, {})
    [missing] = entitlement_rules.cases_differences("C-1", entries[:1], {})
    assert ("case", None, "opened") == (missing.field, missing.stored, missing.ledger)
