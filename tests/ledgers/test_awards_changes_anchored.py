"""What a third party is shown, and what is earned, comes from the awards the history says.

A candidate's awards record (``award_candidate``: exam results and grants) put back
from before a revocation held the certification as active: ``publish`` sent it to a
third party, and ``verify_disclosure`` showed it as active to that party, while
``verify`` reported the record. A passing result written into the record by hand
was earned from by ``evaluate``, and the grant it made was then recorded as any
other. ``publish``, ``renew``, ``revoke``, ``earn`` and ``evaluate`` now read the
record locked and compare its results and grants with the candidate's history
(:func:`~symprogram.awards.rules.awards_anchored`) and refuse a record that differs
(``IntegrityError`` ``record_corrupt``), writing and sending nothing;
``verify_disclosure`` shows nothing for it (the same refusal). The current record
put back, they act again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import register_active, register_earned
from symprogram import Program
from symprogram.awards import rules as award_rules
from symprogram.awards.models import AwardGrant, AwardStatus, CandidateAwards
from symprogram.awards.ports import CANDIDATE_KIND
from symprogram.errors import IntegrityError
from symprogram.notify import Outbox

AWARD = "scs-endpoint"


def _refused(program: Program, cid: str, change: Callable[[], object]) -> None:
    """``change`` is refused as ``record_corrupt`` of the awards record; nothing is
    written to the record or the history, and no message is written."""
    rows = LedgerRows(program)
    stored, length = rows.get_record(CANDIDATE_KIND, cid), len(program.history.history(cid))
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    program.deliver_pending()
    sent = len(outbox.messages)
    with pytest.raises(IntegrityError) as raised:
        change()
    assert "record_corrupt" == raised.value.code
    assert (CANDIDATE_KIND, cid) == (raised.value.details["kind"], raised.value.details["key"])
    assert stored == rows.get_record(CANDIDATE_KIND, cid)
    assert length == len(program.history.history(cid))
    program.deliver_pending()
    assert sent == len(outbox.messages)


def test_a_revoked_award_put_back_as_active_is_neither_published_nor_shown(
    program: Program,
) -> None:
    """Ada's SCS Endpoint, published to Acme, then revoked; her awards record from
    before the revocation put back: it is not published again, not renewed, and
    Acme's code shows nothing; the current record put back, Acme sees it revoked."""
    cid = register_earned(program, "ada@example.com")
    code = program.awards.publish(cid, [AWARD], "hr@acme.example").code
    rows = LedgerRows(program)
    before = rows.get_record(CANDIDATE_KIND, cid)
    program.awards.revoke(cid, AWARD, reason="exam misconduct")
    current = rows.get_record(CANDIDATE_KIND, cid)
    rows.put_record(CANDIDATE_KIND, cid, before)
    awards = program.awards
    _refused(program, cid, lambda: awards.publish(cid, [AWARD], "hr@other.example"))
    _refused(program, cid, lambda: awards.renew(cid, AWARD))
    _refused(program, cid, lambda: awards.revoke(cid, AWARD, reason="again"))
    _refused(program, cid, lambda: awards.verify_disclosure(code))
    rows.put_record(CANDIDATE_KIND, cid, current)
    [shown] = awards.verify_disclosure(code).awards
    assert AwardStatus.REVOKED == shown.status


def test_a_failed_result_edited_to_a_pass_earns_nothing(program: Program) -> None:
    """Ada failed 250-315 and ST0-091; her record edited by hand to say she passed
    both: neither ``evaluate`` nor ``earn`` grants anything; the record put back,
    nothing is earned."""
    cid = register_active(program, "ada@example.com")
    taken = program.clock.now() - timedelta(days=1)
    program.awards.record_exam_result(cid, "250-315", 20, taken_at=taken)
    program.awards.record_exam_result(cid, "ST0-091", 20, taken_at=taken)
    rows = LedgerRows(program)
    text = rows.get_record(CANDIDATE_KIND, cid)
    assert text is not None
    record = json.loads(text)
    passed = [{**result, "score": 85, "passed": True} for result in record["results"]]
    rows.put_record(CANDIDATE_KIND, cid, json.dumps({**record, "results": passed}))
    _refused(program, cid, lambda: program.awards.evaluate(cid))
    _refused(program, cid, lambda: program.awards.earn(cid, AWARD))
    rows.put_record(CANDIDATE_KIND, cid, text)
    assert () == program.awards.evaluate(cid)


# -- the rule ------------------------------------------------------------------------

_AT = datetime(2012, 3, 1, 9, 30, tzinfo=UTC)
_STEPS = st.lists(
    st.tuples(st.sampled_from(["grant", "revoke"]), st.sampled_from(["G-1", "G-2"])),
    max_size=8,
)


def _history(steps: list[tuple[str, str]]) -> list[tuple[CandidateAwards, tuple[str, dict]]]:
    """Each record the history's entries make, and the entry that made it."""
    grants: dict[str, AwardGrant] = {}
    made: list[tuple[CandidateAwards, tuple[str, dict]]] = []
    for what, gid in steps:
        if what == "grant" and gid not in grants:
            grants[gid] = AwardGrant(gid, AWARD, _AT)
            entry = ("award_granted", {"grant_id": gid, "award_id": AWARD, "expires_at": None})
        elif what == "revoke" and gid in grants and grants[gid].revoked_at is None:
            grant = grants[gid]
            grants[gid] = AwardGrant(gid, AWARD, _AT, revoked_at=_AT, revoke_reason="r")
            entry = ("award_revoked", {"grant_id": grant.grant_id, "award_id": AWARD})
        else:
            continue
        made.append((CandidateAwards("SP-1", grants=tuple(grants.values())), entry))
    return made


@settings(max_examples=100, deadline=None)
@given(steps=_STEPS, data=st.data())
def test_a_record_is_anchored_exactly_when_it_holds_the_latest_grants(
    steps: list[tuple[str, str]], data: st.DataObject
) -> None:
    """Over random histories of grants and revocations, the awards record as it stood
    after any entry (or before the first) is anchored exactly when its grants are
    what the history says now."""
    made = _history(steps)
    entries = [entry for _, entry in made]
    records = [CandidateAwards("SP-1"), *(record for record, _ in made)]
    record = records[data.draw(st.integers(0, len(records) - 1))]
    latest = records[-1]
    assert award_rules.awards_anchored(record, entries) == (record.grants == latest.grants)
    assert award_rules.awards_anchored(latest, entries)
