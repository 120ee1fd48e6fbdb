"""A published disclosure's holder name is anchored to the account history.

A tamper probe rewrote the ``holder_name`` of a stored disclosure (the name the
verifying third party is shown by ``verify_disclosure``) and ``verify_all`` stayed
clean: the ``awards_published`` entry did not say the name. It now does, and the
stored name is compared with it (``aggregate_mismatch``, field ``holder_name``, a
personal difference whose message leaves the names out). Entries written before
(no ``holder_name``) and erased entries say nothing of it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import register_active
from symprogram import Program
from symprogram._anchors import AggregateMismatch
from symprogram.awards import rules as award_rules
from symprogram.awards.models import ERASED_TEXT, CandidateAwards, Disclosure

DISCLOSURES = "award_disclosure"
EXAM, AWARD = "SSE-EP", "sse-endpoint"
AT = datetime(2012, 3, 1, 9, 30, tzinfo=UTC)
UNTIL = datetime(2013, 3, 1, 9, 30, tzinfo=UTC)


def _published(program: Program) -> tuple[str, str, str]:
    """An active candidate who earned the award and published it; returns the
    candidate ID, the disclosure ID and the verification code."""
    cid = register_active(program)
    taken = program.clock.now() - timedelta(days=1)
    program.awards.record_exam_result(cid, EXAM, 90, taken_at=taken)
    program.awards.evaluate(cid)
    published = program.awards.publish(cid, [AWARD], "hiring@example.com")
    return cid, published.disclosure.disclosure_id, published.code


def _rename(program: Program, did: str, name: str) -> None:
    rows = LedgerRows(program)
    text = rows.get_record(DISCLOSURES, did)
    assert text is not None
    data = json.loads(text)
    data["holder_name"] = name
    rows.put_record(DISCLOSURES, did, json.dumps(data, separators=(",", ":"), sort_keys=True))


def test_a_rewritten_holder_name_is_an_aggregate_mismatch(program: Program) -> None:
    """The stored disclosure renamed by hand shows the verifier another name; verify
    and verify_all report ``holder_name``, naming neither name."""
    cid, did, code = _published(program)
    original = program.awards.disclosures_of(cid)[0].holder_name
    assert program.verify_all().ok

    _rename(program, did, "Mallory Evil")

    view = program.awards.verify_disclosure(code, recipient_email="hiring@example.com")
    assert "Mallory Evil" == view.holder_name  # the forgery shows...
    [problem] = program.history.verify(cid).problems
    assert isinstance(problem, AggregateMismatch)  # ...and is reported
    assert {"kind": DISCLOSURES, "key": did, "field": "holder_name"} == problem.details
    assert "Mallory" not in problem.message and original not in problem.message
    assert not program.verify_all().ok


def test_the_published_entry_records_the_holder_name(program: Program) -> None:
    """The ``awards_published`` entry says the name the disclosure shows."""
    cid, did, _ = _published(program)
    [entry] = [e for e in program.history.history(cid) if e.kind == "awards_published"]
    assert entry.data is not None
    assert program.awards.disclosures_of(cid)[0].holder_name == entry.data["holder_name"]
    assert did == entry.data["disclosure_id"]


def test_erasing_the_person_or_their_awards_keeps_the_history_verifying(
    program: Program,
) -> None:
    """After the awards erasure alone (the history keeps its data) and after
    erase_person (the history's data is dropped), nothing is reported."""
    cid, _, _ = _published(program)

    program.awards.erase(cid)
    assert program.history.verify(cid).ok
    program.erase_person(cid, reason="ticket 9")

    assert program.verify_all().ok
    assert ERASED_TEXT == program.awards.disclosures_of(cid)[0].holder_name


def _disclosure(name: str) -> Disclosure:
    return Disclosure(
        disclosure_id="D-1",
        candidate_id="SP-1",
        award_ids=(AWARD,),
        holder_name=name,
        recipient_hash="ab" * 32,
        recipient_salt=None,
        code_digest="cd" * 32,
        created_at=AT,
        expires_at=UNTIL,
    )


def _entry(name: str | None) -> tuple[str, dict[str, object]]:
    data: dict[str, object] = {
        "disclosure_id": "D-1",
        "award_ids": [AWARD],
        "expires_at": UNTIL.isoformat(),
    }
    if name is not None:
        data["holder_name"] = name
    return "awards_published", data


_STATE = CandidateAwards(candidate_id="SP-1", disclosure_ids=("D-1",))
names = st.text(min_size=1, max_size=40)


@given(said=names, stored=names)
def test_the_rule_reports_exactly_a_differing_holder_name(said: str, stored: str) -> None:
    """For any names: one personal ``holder_name`` difference when they differ, none
    when they are equal; an entry without ``holder_name`` (written before) says nothing."""
    entries = [_entry(said)]
    found = award_rules.awards_differences("SP-1", _STATE, entries, {"D-1": _disclosure(stored)})
    expected = [] if said == stored else [("holder_name", stored, said, True)]
    assert expected == [(d.field, d.stored, d.ledger, d.personal) for d in found]
    legacy = award_rules.awards_differences(
        "SP-1", _STATE, [_entry(None)], {"D-1": _disclosure(stored)}
    )
    assert [] == list(legacy)
    erased_entry = [("awards_published", None)]
    assert [] == list(
        award_rules.awards_differences("SP-1", _STATE, erased_entry, {"D-1": _disclosure(stored)})
    )


@given(said=names)
def test_an_erased_disclosure_is_accepted_only_in_an_erased_record(said: str) -> None:
    """The erased form (marker, no recipient) is what the awards erasure leaves while
    the history keeps its data: not reported once the record of awards is erased,
    reported while it is not (a name blanked by hand)."""
    erased = attrs.evolve(_disclosure(ERASED_TEXT), recipient_hash="", recipient_salt=None)
    entries = [_entry(said)]
    gone = attrs.evolve(_STATE, erased_at=AT)
    kept = award_rules.awards_differences("SP-1", gone, entries, {"D-1": erased})
    blanked = award_rules.awards_differences("SP-1", _STATE, entries, {"D-1": erased})
    assert [] == list(kept)
    assert ([] if said == ERASED_TEXT else ["holder_name"]) == [d.field for d in blanked]


def test_a_rewritten_recipient_is_an_aggregate_mismatch(program: Program) -> None:
    """The stored disclosure's recipient hash rewritten by hand (so that another address
    could verify it) is reported as ``recipient_hash``, naming neither hash."""
    cid, did, _ = _published(program)
    rows = LedgerRows(program)
    text = rows.get_record(DISCLOSURES, did)
    assert text is not None
    data = json.loads(text)
    original = data["recipient_hash"]
    data["recipient_hash"] = "ef" * 32
    rows.put_record(DISCLOSURES, did, json.dumps(data, separators=(",", ":"), sort_keys=True))
    [problem] = program.history.verify(cid).problems
    assert isinstance(problem, AggregateMismatch)
    assert {"kind": DISCLOSURES, "key": did, "field": "recipient_hash"} == problem.details
    assert original not in problem.message and "ef" * 32 not in problem.message


@given(said=st.text("0123456789abcdef", min_size=1, max_size=64))
def test_the_rule_reports_exactly_a_differing_recipient(said: str) -> None:
    """For any recipient hash the entry says: a personal ``recipient_hash`` difference
    exactly when the stored one differs."""
    kind, data = _entry("Ada")
    data["recipient_hash"] = said
    stored = attrs.evolve(_disclosure("Ada"), recipient_hash="ab" * 32)
    found = award_rules.awards_differences("SP-1", _STATE, [(kind, data)], {"D-1": stored})
    expected = [] if said == "ab" * 32 else [("recipient_hash", True)]
    assert expected == [(d.field, d.personal) for d in found]
