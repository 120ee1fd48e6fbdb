"""The reads of a support case answer only the case its customer's audit vouches for.

``get_case`` and every change of a case (escalation, closing, remote sessions)
read the customer's audit and take the case only when the audit opened it and
gives it the stored severity, status, escalation level and remote sessions. The
``entitlements_case_id`` index is no anchor: a case record written into the
database together with an index entry of its own, a case moved to another
customer with its entry, and a case row put back from before a later entry (a
closed case reopened, its remote session running again) are refused as absent
(``entitlements_case_not_found``), nothing is recorded, and ``verify_all``
reports each of them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import ProgramFactory, add_agreement
from symprogram import Program
from symprogram._anchors import AggregateMismatch
from symprogram.entitlements import rules as entitlement_rules
from symprogram.entitlements.models import SupportCase
from symprogram.entitlements.ports import CASE_INDEX
from symprogram.errors import NotFound, PermissionDenied

CASES = "entitlements_case"
GONE = "entitlements_case_not_found"
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def _open(program: Program, case_id: str = "K-1", customer: str = "C-1") -> None:
    program.entitlements.open_case(
        customer, case_id=case_id, product="NetBackup", severity="high", summary="down", by="me"
    )


def _refused(read: Callable[[], object]) -> None:
    with pytest.raises(NotFound) as raised:
        read()
    assert GONE == raised.value.code


def _every_operation_refused(program: Program, case_id: str, customer: str) -> None:
    """Every read and change of ``case_id`` is refused and nothing is recorded."""
    ents = program.entitlements
    length = len(ents.history(customer))
    _refused(lambda: ents.get_case(case_id))
    _refused(lambda: ents.escalate_case(case_id, by="agent", reason="stuck"))
    _refused(lambda: ents.start_remote_session(case_id, by="engineer"))
    _refused(lambda: ents.end_remote_session(case_id, "remote-1", by="engineer"))
    _refused(lambda: ents.close_case(case_id, by="agent"))
    assert length == len(ents.history(customer))


def _case_mismatches(program: Program) -> set[tuple[str, str, str]]:
    """``(subject, key, field)`` of every mismatch on a stored case ``verify_all`` finds."""
    return {
        (failure.subject, p.key, p.field)
        for failure in program.verify_all().failures
        for p in failure.problems
        if isinstance(p, AggregateMismatch) and p.kind == CASES
    }


def _put_case(program: Program, key: str, **changes: object) -> None:
    """The stored case K-1 written again under ``key`` with ``changes``, by hand."""
    rows = LedgerRows(program)
    text = rows.get_record(CASES, "K-1")
    assert text is not None
    data = {**json.loads(text), "case_id": key, **changes}
    rows.put_record(CASES, key, json.dumps(data, separators=(",", ":"), sort_keys=True))


def _index(program: Program, case_id: str, customer: str) -> None:
    with program.store.transaction() as tx:
        tx.index_delete(CASE_INDEX, case_id)
        tx.index_put(CASE_INDEX, case_id, customer)


def test_a_case_written_in_with_its_own_index_entry_is_refused(program: Program) -> None:
    """A copy of C-1's case under a new ID, and one made up for C-2, each with an index
    entry giving it to its customer, as ``open_case`` would write it: every read and
    change refuses them and records nothing; ``verify_all`` reports them; the genuine
    case is answered."""
    add_agreement(program.entitlements)
    add_agreement(program.entitlements, "C-2", agreement_id="AGR-C-2")
    _open(program)
    _put_case(program, "K-Z")
    _index(program, "K-Z", "C-1")
    _put_case(program, "K-NEW", customer_id="C-2")
    _index(program, "K-NEW", "C-2")
    _every_operation_refused(program, "K-Z", "C-1")
    _every_operation_refused(program, "K-NEW", "C-2")
    assert {
        ("entitlements:C-1", "K-Z", CASES),
        ("entitlements:C-2", "K-NEW", CASES),
    } == _case_mismatches(program)
    assert "K-1" == program.entitlements.get_case("K-1").case_id


def test_a_case_moved_to_another_customer_with_its_index_entry_is_refused(
    program: Program,
) -> None:
    """C-1's case rewritten to name C-2, its index entry moved along: C-2's audit never
    opened it, so it is refused (C-2 cannot escalate, close or take over C-1's case),
    and put back as it was it is answered again."""
    add_agreement(program.entitlements)
    add_agreement(program.entitlements, "C-2", agreement_id="AGR-C-2")
    _open(program)
    original = LedgerRows(program).get_record(CASES, "K-1")
    _put_case(program, "K-1", customer_id="C-2")
    _index(program, "K-1", "C-2")
    _every_operation_refused(program, "K-1", "C-2")
    assert ("entitlements:C-1", "K-1", "customer_id") in _case_mismatches(program)
    LedgerRows(program).put_record(CASES, "K-1", original)
    _index(program, "K-1", "C-1")
    assert "C-1" == program.entitlements.get_case("K-1").customer_id


def test_a_case_whose_severity_was_edited_is_refused(program: Program) -> None:
    """The stored severity is the one the case was opened with: edited, it is refused."""
    add_agreement(program.entitlements)
    _open(program)
    _put_case(program, "K-1", severity="low")
    _every_operation_refused(program, "K-1", "C-1")
    assert {("entitlements:C-1", "K-1", "severity")} == _case_mismatches(program)


def test_a_closed_case_put_back_open_is_refused(program: Program) -> None:
    """A case row put back from before its closing (open, a level lower, its remote
    session running) with its index entry: refused, so no remote session can start or
    go on and no escalation is recorded on a closed case; the current row put back is
    answered again."""
    add_agreement(program.entitlements)
    program.consent_to_remote_access("C-1")
    _open(program)
    ents = program.entitlements
    rows = LedgerRows(program)
    before_escalation = rows.get_record(CASES, "K-1")
    ents.escalate_case("K-1", by="agent", reason="stuck")
    session = ents.start_remote_session("K-1", by="engineer")
    running = rows.get_record(CASES, "K-1")
    ents.close_case("K-1", by="agent")
    closed = rows.get_record(CASES, "K-1")
    for earlier in (running, before_escalation):
        rows.put_record(CASES, "K-1", earlier)
        _every_operation_refused(program, "K-1", "C-1")
    rows.put_record(CASES, "K-1", running)
    _refused(lambda: ents.end_remote_session("K-1", session.session_id, by="engineer"))
    rows.put_record(CASES, "K-1", closed)
    assert "closed" == ents.get_case("K-1").status.value
    assert program.verify_all().ok


def test_a_case_moved_to_another_product_or_release_is_refused(program: Program) -> None:
    """A case on Backup Exec, whose agreement was cancelled, edited to name NetBackup
    (another agreement of the customer, still active) or another release: it would be
    escalated and given a remote session under that agreement. The audit's
    ``case_opened`` entry records the product and the release: the case is refused,
    nothing is recorded, ``verify_all`` reports the field; put back it is answered."""
    ents = program.entitlements
    add_agreement(ents)
    add_agreement(ents, agreement_id="A-BE", products=["Backup Exec"])
    program.consent_to_remote_access("C-1")
    ents.open_case(
        "C-1",
        case_id="K-1",
        product="Backup Exec",
        release="2010",
        severity="high",
        summary="jobs fail",
        by="agent",
    )
    ents.cancel_agreement("A-BE", by="sales", reason="not renewed")
    with pytest.raises(PermissionDenied):
        ents.escalate_case("K-1", by="agent", reason="urgent")
    genuine = LedgerRows(program).get_record(CASES, "K-1")
    for field, value in (("product", "NetBackup"), ("release", "2012"), ("release", None)):
        LedgerRows(program).put_record(CASES, "K-1", genuine)
        _put_case(program, "K-1", **{field: value})
        _every_operation_refused(program, "K-1", "C-1")
        assert {("entitlements:C-1", "K-1", field)} == _case_mismatches(program)
    LedgerRows(program).put_record(CASES, "K-1", genuine)
    assert ("Backup Exec", "2010") == (ents.get_case("K-1").product, ents.get_case("K-1").release)
    assert program.verify_all().ok


_TEXTS = st.sampled_from(["NetBackup", "Backup Exec", "Enterprise Vault"])
_RELEASES = st.none() | st.sampled_from(["6.5", "7.0", "2010"])
_SEVERITIES = st.sampled_from(["low", "medium", "high", "critical"])


@settings(max_examples=100, deadline=None)
@given(
    opened=st.tuples(_TEXTS, _RELEASES, _SEVERITIES),
    edited=st.tuples(_TEXTS, _RELEASES, _SEVERITIES),
    older=st.booleans(),
)
def test_any_edited_field_a_case_was_opened_with_is_reported(
    opened: tuple[str, str | None, str], edited: tuple[str, str | None, str], older: bool
) -> None:
    """The product, release and severity of a stored case are the ones its
    ``case_opened`` entry records: each one edited is reported (that field alone), and
    the case is not anchored. An entry of a build that did not record the release
    (``older``) does not compare it."""
    product, release, severity = opened
    data: dict[str, object] = {"case_id": "K-1", "product": product, "severity": severity}
    if not older:
        data["release"] = release
    entries = [("case_opened", data)]
    at = datetime(2012, 3, 1, tzinfo=UTC)
    case = SupportCase(
        "K-1", "C-1", edited[0], edited[2], "down", opened_at=at, opened_by="me", release=edited[1]
    )
    fields = [
        name
        for name, was, now in zip(("product", "release", "severity"), opened, edited, strict=True)
        if was != now and not (older and name == "release")
    ]
    found = entitlement_rules.cases_differences("C-1", entries, {"K-1": case})
    assert sorted(fields) == [d.field for d in found]
    assert entitlement_rules.case_anchored(case, entries) == (not fields)


STEPS = ("escalate", "start", "end", "close")


def _step(program: Program, step: str) -> None:
    ents = program.entitlements
    case = ents.get_case("K-1")
    running = [s for s in case.remote_sessions if s.ended_at is None]
    if step == "escalate" and case.status.value == "open" and case.escalation_level < 3:
        ents.escalate_case("K-1", by="agent", reason="stuck")
    elif step == "start" and case.status.value == "open" and not running:
        ents.start_remote_session("K-1", by="engineer")
    elif step == "end" and running:
        ents.end_remote_session("K-1", running[0].session_id, by="engineer")
    elif step == "close" and case.status.value == "open":
        ents.close_case("K-1", by="agent")


@settings(max_examples=20, deadline=None, suppress_health_check=HEALTH)
@given(steps=st.lists(st.sampled_from(STEPS), max_size=6), back=st.integers(0, 6))
def test_a_case_row_is_answered_exactly_when_verify_finds_it_whole(
    make_program: ProgramFactory, steps: list[str], back: int
) -> None:
    """Any earlier row of a case put back (with its index entry untouched): ``get_case``
    answers it exactly when ``verify`` finds no difference on the case, i.e. when the
    row says what the audit says (an earlier row equal to the newest is answered)."""
    program = make_program("memory")
    add_agreement(program.entitlements)
    program.consent_to_remote_access("C-1")
    _open(program)
    rows = LedgerRows(program)
    versions = [rows.get_record(CASES, "K-1")]
    for step in steps:
        _step(program, step)
        versions.append(rows.get_record(CASES, "K-1"))
    rows.put_record(CASES, "K-1", versions[max(0, len(versions) - 1 - back)])
    whole = not _case_mismatches(program)
    try:
        program.entitlements.get_case("K-1")
        answered = True
    except NotFound:
        answered = False
    assert whole == answered


def test_case_anchored_rule() -> None:
    """The rule replays the case from the audit; an erased entry takes every case as
    anchored, as the verification then compares none."""
    ents = _example_case()
    opened = ("case_opened", {"case_id": "K-1", "severity": "high"})
    escalated = ("case_escalated", {"case_id": "K-1", "from_level": 0, "to_level": 1})
    assert entitlement_rules.case_anchored(ents, [("agreement_recorded", {}), opened])
    assert not entitlement_rules.case_anchored(ents, [opened, escalated])
    assert not entitlement_rules.case_anchored(ents, [])
    other = ("case_opened", {"case_id": "K-2", "severity": "high"})
    assert not entitlement_rules.case_anchored(ents, [other])
    assert entitlement_rules.case_anchored(ents, [other, ("case_opened", None)])
    low = ("case_opened", {"case_id": "K-1", "severity": "low"})
    assert not entitlement_rules.case_anchored(ents, [low])


def _example_case() -> SupportCase:
    at = datetime(2012, 3, 1, tzinfo=UTC)
    return SupportCase("K-1", "C-1", "NetBackup", "high", "down", opened_at=at, opened_by="me")
