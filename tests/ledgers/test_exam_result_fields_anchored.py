"""Every field an ``exam_result_recorded`` entry records is compared with the stored result.

A tamper probe edited the ``version`` of a stored exam result (1.0 to 2.0) in the
candidate's awards record: ``evaluate`` then granted a certification that requires
the exam on version 2.0, ``publish`` showed it, ``verify_all`` stayed clean (the
genuine ``award_granted`` entry that followed laundered the forgery). The entry
records the version, but the awards anchor compared only the exam, score, pass and
instant taken. Now each field the entry records (exam, version, score, pass,
instant taken) is compared: ``verify`` reports ``results[ID].<field>`` and the
decisions (``evaluate``, ``earn``) refuse the record (``record_corrupt``). A field
an entry of an earlier build lacks is not compared.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import ProgramFactory, register_active
from symprogram import Program
from symprogram._anchors import AggregateMismatch
from symprogram.awards import rules as award_rules
from symprogram.awards.catalogue import from_toml
from symprogram.awards.events import ExamResultRecorded
from symprogram.awards.models import CandidateAwards, ExamResult
from symprogram.errors import IntegrityError

KEY = b"exam result fields anchor key 32b"
AWARDS = "award_candidate"
CATALOGUE = from_toml(
    """
format = 1
name = "host program"
[exams."E-1"]
title = "Admin exam"
versions = ["1.0", "2.0"]
pass_score = 70
credits = 10
[exams."E-2"]
title = "Other exam"
pass_score = 70
credits = 10
[awards.cert-v2]
name = "Certified on 2.0"
kind = "certification"
validity_days = 730
requires = { exam = "E-1@2.0" }
"""
)
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]

#: each field of a stored result an ``exam_result_recorded`` entry records, and an
#: edit of it (the JSON row's field and a strategy of values other than the recorded)
EDITS: dict[str, st.SearchStrategy[Any]] = {
    "exam_code": st.just("E-2"),
    "version": st.sampled_from(["2.0", None]),
    "score": st.integers(min_value=0, max_value=100).filter(lambda score: score != 80),
    "passed": st.just(False),
    "taken_at": st.integers(min_value=2, max_value=300),  # days before now
}


def _reported(program: Program, cid: str) -> set[str]:
    return {
        p.field for p in program.history.verify(cid).problems if isinstance(p, AggregateMismatch)
    }


def _edit_result(program: Program, cid: str, field: str, value: Any) -> str:
    """Write ``value`` into ``field`` of the candidate's stored result; its ID."""
    rows = LedgerRows(program)
    data = json.loads(rows.get_record(AWARDS, cid) or "{}")
    [result] = data["results"]
    if field == "taken_at":
        value = (program.clock.now() - timedelta(days=value)).isoformat()
    result[field] = value
    rows.put_record(AWARDS, cid, json.dumps(data, separators=(",", ":"), sort_keys=True))
    return str(result["result_id"])


def _passed_on_1_0(program: Program) -> str:
    """A candidate with a pass of E-1 on version 1.0 (which earns nothing)."""
    cid = register_active(program)
    taken = program.clock.now() - timedelta(days=1)
    program.awards.record_exam_result(cid, "E-1", 80, taken_at=taken, version="1.0")
    assert () == program.awards.evaluate(cid)
    assert program.verify_all().ok
    return cid


@pytest.mark.backends("memory", "sqlite")
def test_a_result_edited_to_the_pinned_version_earns_nothing(
    backend: str, make_program: ProgramFactory
) -> None:
    """The probe's forgery: the version of a pass on 1.0 edited to 2.0 is reported by
    ``verify`` and ``verify_all``, and ``evaluate`` and ``earn`` refuse the record
    instead of granting the certification pinned to 2.0."""
    program = make_program(backend, ledger_key=KEY, options={"awards": {"catalogue": CATALOGUE}})
    cid = _passed_on_1_0(program)
    result_id = _edit_result(program, cid, "version", "2.0")
    assert {f"results[{result_id}].version"} == _reported(program, cid)
    assert not program.verify_all().ok
    for decide in (
        lambda: program.awards.evaluate(cid),
        lambda: program.awards.earn(cid, "cert-v2"),
    ):
        with pytest.raises(IntegrityError) as refused:
            decide()
        assert "record_corrupt" == refused.value.code
    assert () == program.awards.awards_of(cid)


@settings(max_examples=20, deadline=None, suppress_health_check=HEALTH)
@given(data=st.data(), field=st.sampled_from(sorted(EDITS)))
def test_every_recorded_result_field_edited_is_reported_and_decides_nothing(
    make_program: ProgramFactory, data: st.DataObject, field: str
) -> None:
    """Whichever field the entry records is edited in the stored result, ``verify``
    reports that field and ``evaluate`` refuses the record."""
    program = make_program("memory", ledger_key=KEY, options={"awards": {"catalogue": CATALOGUE}})
    cid = _passed_on_1_0(program)
    result_id = _edit_result(program, cid, field, data.draw(EDITS[field], label=field))
    assert {f"results[{result_id}].{field}"} == _reported(program, cid)
    with pytest.raises(IntegrityError) as refused:
        program.awards.evaluate(cid)
    assert "record_corrupt" == refused.value.code


@given(field=st.sampled_from(sorted(EDITS)))
def test_a_field_an_earlier_entry_lacks_is_not_compared(field: str) -> None:
    """An entry of an earlier build that lacks a field says nothing of it: the stored
    result is compared on the fields the entry holds (and every one of them is)."""
    taken = datetime.fromisoformat("2012-02-29T09:30:00+00:00")
    recorded = taken + timedelta(days=1)
    result = ExamResult("R-1", "E-1", "1.0", 80, True, taken, recorded)
    event = ExamResultRecorded("SP-1", recorded, "R-1", "E-1", "1.0", 80, True, taken)
    state = CandidateAwards("SP-1", results=(result,))
    entry = event.payload()
    assert () == award_rules.awards_differences("SP-1", state, [("exam_result_recorded", entry)])
    older = {name: value for name, value in entry.items() if name != field}
    assert () == award_rules.awards_differences("SP-1", state, [("exam_result_recorded", older)])
    edited = {**entry, field: "edited"}
    [found] = award_rules.awards_differences("SP-1", state, [("exam_result_recorded", edited)])
    assert ("results[R-1]." + field, "edited") == (found.field, found.ledger)
