"""The instants a grant was made, renewed and revoked at are compared with its entries.

Checking the awards anchor's field lists after a probe (an exam result's version
edited, see ``test_exam_result_fields_anchored``) found more of a grant that the
history records and the reads and decisions use, but ``verify`` did not compare:
the instant of its ``award_granted``, ``award_renewed`` and ``award_revoked``
entries (the stored ``granted_at``, each renewal's ``at``, ``revoked_at``) and the
expiry each renewal gave it (only the current one was compared). A revoked grant
whose ``revoked_at`` was moved years ahead answered active again, the grant
shown to a third party with the instant of the row's choosing, while ``verify_all``
stayed ok. Now ``verify`` reports ``grants[ID].granted_at``, ``.renewed_at``,
``.renewals`` and ``.revoked_at``; the rule compares the instants only where the
caller gives them.
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
from symprogram.awards.models import CandidateAwards
from symprogram.serialization import loads_without

KEY = b"grant instants anchor key, 32 b."
AWARDS = "award_candidate"
EXAM, AWARD = "SSE-EP", "sse-endpoint"
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def _pass(program: Program, cid: str) -> None:
    taken = program.clock.now() - timedelta(days=1)
    program.awards.record_exam_result(cid, EXAM, 90, taken_at=taken)


def _renewed_twice_and_revoked(program: Program) -> str:
    """A candidate whose grant was renewed twice, then revoked (verifies)."""
    cid = register_active(program)
    _pass(program, cid)
    program.awards.evaluate(cid)
    for _ in range(2):
        [grant] = program.awards.grants_of(cid)
        expiry = grant.current_expiry
        assert expiry is not None
        program.clock.advance(expiry - program.clock.now() - timedelta(days=30))
        _pass(program, cid)
        program.awards.renew(cid, AWARD)
    program.clock.advance(timedelta(days=10))
    program.awards.revoke(cid, AWARD, reason="misconduct")
    assert program.verify_all().ok
    return cid


def _shifted(text: str, days: int) -> str:
    return (datetime.fromisoformat(text) + timedelta(days=days)).isoformat()


def _granted_at(grant: dict[str, Any], days: int) -> None:
    grant["granted_at"] = _shifted(grant["granted_at"], -days)


def _renewed_at(grant: dict[str, Any], days: int) -> None:
    grant["renewals"][0]["at"] = _shifted(grant["renewals"][0]["at"], -days)


def _renewals(grant: dict[str, Any], days: int) -> None:
    grant["renewals"][0]["new_expiry"] = _shifted(grant["renewals"][0]["new_expiry"], days)


def _revoked_at(grant: dict[str, Any], days: int) -> None:
    grant["revoked_at"] = _shifted(grant["revoked_at"], days)


#: each grant field the entries record, and how it is edited in the stored row
EDITS = {
    "granted_at": _granted_at,
    "renewed_at": _renewed_at,  # the first renewal's instant, earlier
    "renewals": _renewals,  # the expiry the first renewal gave, later
    "revoked_at": _revoked_at,
}


def _reported(program: Program, cid: str) -> set[str]:
    return {
        p.field for p in program.history.verify(cid).problems if isinstance(p, AggregateMismatch)
    }


def _edit_grant(program: Program, cid: str, field: str, days: int) -> str:
    rows = LedgerRows(program)
    data = json.loads(rows.get_record(AWARDS, cid) or "{}")
    [grant] = data["grants"]
    EDITS[field](grant, days)
    rows.put_record(AWARDS, cid, json.dumps(data, separators=(",", ":"), sort_keys=True))
    return str(grant["grant_id"])


def test_a_revocation_moved_later_is_reported(make_program: ProgramFactory) -> None:
    """A revoked grant whose ``revoked_at`` is moved years ahead answers active (the
    reads answer the record as stored), and ``verify`` / ``verify_all`` report it."""
    program = make_program("sqlite", ledger_key=KEY)
    cid = _renewed_twice_and_revoked(program)
    grant_id = _edit_grant(program, cid, "revoked_at", 3000)
    assert ["active"] == [str(h.status) for h in program.awards.awards_of(cid)]
    assert {f"grants[{grant_id}].revoked_at"} == _reported(program, cid)
    assert not program.verify_all().ok


@settings(max_examples=8, deadline=None, suppress_health_check=HEALTH)
@given(field=st.sampled_from(sorted(EDITS)), days=st.integers(min_value=1, max_value=20))
def test_a_grant_instant_edited_is_refused_by_the_decisions(
    make_program: ProgramFactory, field: str, days: int
) -> None:
    """The decisions compare the instants too, not only ``verify``: with any recorded
    instant of a grant edited (a revocation moved later answers active), ``evaluate``
    and ``publish`` refuse the record (``record_corrupt``) and nothing is shown to a
    third party."""
    from symprogram.errors import IntegrityError

    program = make_program("memory", ledger_key=KEY)
    cid = _renewed_twice_and_revoked(program)
    _edit_grant(program, cid, field, days)
    with pytest.raises(IntegrityError) as evaluated:
        program.awards.evaluate(cid)
    with pytest.raises(IntegrityError) as published:
        program.awards.publish(cid, [AWARD], "recruiter@example.org")
    assert ("record_corrupt", "record_corrupt") == (evaluated.value.code, published.value.code)


@settings(max_examples=20, deadline=None, suppress_health_check=HEALTH)
@given(field=st.sampled_from(sorted(EDITS)), days=st.integers(min_value=1, max_value=20))
def test_every_recorded_grant_instant_edited_is_reported(
    make_program: ProgramFactory, field: str, days: int
) -> None:
    """Whichever instant of a grant its entries record (made, each renewal and the
    expiry it gave, revoked) is edited in the stored row, ``verify`` reports that
    field, and only it."""
    program = make_program("memory", ledger_key=KEY)
    cid = _renewed_twice_and_revoked(program)
    grant_id = _edit_grant(program, cid, field, days)
    assert {f"grants[{grant_id}].{field}"} == _reported(program, cid)


def test_the_rule_compares_the_instants_only_where_given(make_program: ProgramFactory) -> None:
    """Without ``instants`` the rule compares what the entries' data say (the renewals'
    expiries too); with them, the instants as well."""
    program = make_program("memory", ledger_key=KEY)
    cid = _renewed_twice_and_revoked(program)
    for field in ("granted_at", "renewed_at", "revoked_at"):
        _edit_grant(program, cid, field, 5)
    record = LedgerRows(program).get_record(AWARDS, cid)
    assert record is not None
    state = loads_without(record, CandidateAwards, frozenset({"version"}))
    with program.store.transaction(readonly=True) as tx:
        entries = program.history.ledger.entries(tx, cid)
    pairs = [(entry.kind, entry.data) for entry in entries]
    instants = [entry.at for entry in entries]
    assert award_rules.awards_anchored(state, pairs)
    assert not award_rules.awards_anchored(state, pairs, instants)
    found = award_rules.awards_differences(cid, state, pairs, instants=instants)
    assert {"granted_at", "renewed_at", "revoked_at"} == {d.field.split(".")[-1] for d in found}
