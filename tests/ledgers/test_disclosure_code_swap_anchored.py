"""A disclosure's verification code is anchored to its holder's account history.

A tamper probe swapped the ``code_digest`` of two stored disclosures together with
their two ``award_disclosure_code`` index entries: index and rows stayed
consistent, and no history entry said which code was whose. A holder's revoked
disclosure's code then answered again with the other disclosure's awards, and,
across holders, the code one holder gave an employer showed another holder's
name and certification, while ``verify_all`` stayed clean. The ``awards_published``
entry now records the code's digest (not the code); the stored digest is compared
with it (``aggregate_mismatch``, field ``code_digest``) and ``verify_disclosure``
refuses a disclosure that holds another's code (``IntegrityError``
``record_corrupt``: nothing shown). Entries written before (no ``code_digest``) and
erased entries say nothing of it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from ledger_rows import (
    LedgerRows,
    disclosure_mismatches,
    disclosure_refused,
    history_without,
)

from _programs import register_earned
from symprogram import Program
from symprogram._anchors import AggregateMismatch
from symprogram.awards import rules as award_rules
from symprogram.awards.models import ERASED_TEXT, CandidateAwards, Disclosure
from symprogram.errors import IntegrityError

KIND = "award_disclosure"
CODE_INDEX = "award_disclosure_code"
AWARD = "scs-endpoint"
AT = datetime(2012, 3, 1, tzinfo=UTC)
UNTIL = datetime(2013, 3, 1, tzinfo=UTC)


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def _swap_codes(program: Program, first: str, second: str) -> None:
    """Swap the ``code_digest`` of the disclosures ``first`` and ``second`` and their
    code index entries, as a database writer without the ledger key can: the index
    and the rows stay consistent with each other."""
    rows = LedgerRows(program)
    texts = {did: rows.get_record(KIND, did) for did in (first, second)}
    data = {did: json.loads(text) for did, text in texts.items() if text is not None}
    digests = {did: str(data[did]["code_digest"]) for did in (first, second)}
    for did, other in ((first, second), (second, first)):
        changed = {**data[did], "code_digest": digests[other]}
        rows.put_record(KIND, did, json.dumps(changed, separators=(",", ":"), sort_keys=True))
    with program.store.transaction() as tx:
        for digest in digests.values():
            tx.index_delete(CODE_INDEX, digest)
        tx.index_put(CODE_INDEX, digests[second], first)
        tx.index_put(CODE_INDEX, digests[first], second)


def test_two_codes_of_one_holder_swapped_are_refused_and_reported(program: Program) -> None:
    """The codes of a revoked and a live disclosure of one holder swapped: the revoked
    disclosure's code no longer answers with the live one's awards, the live code no
    longer answers ``disclosure_revoked``; both are ``record_corrupt``, and verify
    and verify_all report ``code_digest`` on both disclosures."""
    cid = register_earned(program, "ada@example.com")
    first = program.awards.publish(cid, [AWARD], "r1@example.com")
    second = program.awards.publish(cid, [AWARD], "r2@example.com")
    d1, d2 = first.disclosure.disclosure_id, second.disclosure.disclosure_id
    program.awards.revoke_disclosure(cid, d1)
    assert "disclosure_revoked" == program.awards.verify_disclosure(first.code).reason
    assert program.verify_all().ok

    _swap_codes(program, d1, d2)

    disclosure_refused(program, first.code, d2)  # the revoked code would show d2's awards
    disclosure_refused(program, second.code, d1)
    with pytest.raises(IntegrityError):
        program.awards.verify_disclosure(first.code, recipient_email="r1@example.com")
    expected = {(d1, "code_digest"), (d2, "code_digest")}
    problems = program.history.verify(cid).problems
    assert expected == {(p.key, p.field) for p in problems if isinstance(p, AggregateMismatch)}
    assert expected == disclosure_mismatches(program)
    with pytest.raises(IntegrityError):
        program.awards.disclosures_of(cid)


def test_codes_of_two_holders_swapped_show_neither_holder(program: Program) -> None:
    """Ada's code (given to an employer) and Grace's code swapped with their index
    entries: neither code shows the other holder's name or awards; both histories
    report ``code_digest``."""
    ada = register_earned(program, "ada@example.com")
    grace = register_earned(program, "grace@example.com")
    program.accounts.update_contact_details(grace, given_name="Grace", family_name="Hopper")
    to_ada = program.awards.publish(ada, [AWARD], "hr@example.com")
    to_grace = program.awards.publish(grace, [AWARD], "hr2@example.com")
    da, dg = to_ada.disclosure.disclosure_id, to_grace.disclosure.disclosure_id
    assert "Grace Hopper" != program.awards.verify_disclosure(to_ada.code).holder_name

    _swap_codes(program, da, dg)

    disclosure_refused(program, to_ada.code, dg)  # Grace's disclosure is not shown for Ada's code
    disclosure_refused(program, to_grace.code, da)
    assert {(da, "code_digest"), (dg, "code_digest")} == disclosure_mismatches(program)
    assert {f"history:{ada}", f"history:{grace}"} == {
        f.subject for f in program.verify_all().failures
    }


def test_the_published_entry_records_the_code_digest_not_the_code(program: Program) -> None:
    """The ``awards_published`` entry says the stored digest of the code, never the code."""
    cid = register_earned(program, "ada@example.com")
    published = program.awards.publish(cid, [AWARD], "hr@example.com")
    [entry] = [e for e in program.history.history(cid) if e.kind == "awards_published"]
    assert entry.data is not None
    assert _digest(published.code) == entry.data["code_digest"]
    assert published.disclosure.code_digest == entry.data["code_digest"]
    assert published.code not in json.dumps(entry.data)


def test_erasing_the_awards_then_the_person_keeps_the_code_anchored(program: Program) -> None:
    """The awards erasure keeps each disclosure's digest and the entry's data;
    ``erase_person`` drops the entry's data: the history verifies after each."""
    cid = register_earned(program, "ada@example.com")
    program.awards.publish(cid, [AWARD], "hr@example.com")
    program.awards.erase(cid)
    assert program.history.verify(cid).ok
    program.erase_person(cid, reason="ticket 9")
    assert program.verify_all().ok


def test_disclosures_published_by_the_previous_release_keep_working(program: Program) -> None:
    """A history whose ``awards_published`` entries lack ``code_digest`` verifies and
    its disclosures' codes still answer (their codes are not compared)."""
    cid = register_earned(program, "ada@example.com")
    published = program.awards.publish(cid, [AWARD], "hr@example.com")
    history_without(program, cid, "code_digest")
    assert program.verify_all().ok
    view = program.awards.verify_disclosure(published.code, recipient_email="hr@example.com")
    assert [AWARD] == [a.award_id for a in view.awards]
    assert 1 == len(program.awards.disclosures_of(cid))


def _disclosure(digest: str) -> Disclosure:
    return Disclosure(
        disclosure_id="D-1",
        candidate_id="SP-1",
        award_ids=(AWARD,),
        holder_name="Ada",
        recipient_hash="ab" * 32,
        recipient_salt=None,
        code_digest=digest,
        created_at=AT,
        expires_at=UNTIL,
    )


def _entry(digest: str | None) -> tuple[str, dict[str, object]]:
    data: dict[str, object] = {
        "disclosure_id": "D-1",
        "award_ids": [AWARD],
        "expires_at": UNTIL.isoformat(),
        "holder_name": "Ada",
        "recipient_hash": "ab" * 32,
    }
    if digest is not None:
        data["code_digest"] = digest
    return "awards_published", data


_STATE = CandidateAwards(candidate_id="SP-1", disclosure_ids=("D-1",))
digests = st.binary(min_size=1, max_size=16).map(lambda b: hashlib.sha256(b).hexdigest())


@given(said=digests, stored=digests)
def test_the_rule_reports_exactly_a_differing_code_digest(said: str, stored: str) -> None:
    """For any digests: one ``code_digest`` difference, and the disclosure not
    anchored, exactly when they differ; an entry without ``code_digest`` (the previous
    release) or erased says nothing of it."""
    disclosure = {"D-1": _disclosure(stored)}
    found = award_rules.awards_differences("SP-1", _STATE, [_entry(said)], disclosure)
    expected = [] if said == stored else [("code_digest", stored, said)]
    assert expected == [(d.field, d.stored, d.ledger) for d in found]
    assert (said == stored) == award_rules.disclosure_anchored(_disclosure(stored), [_entry(said)])
    for silent in ([_entry(None)], [("awards_published", None)]):
        assert [] == list(award_rules.awards_differences("SP-1", _STATE, silent, disclosure))
        assert award_rules.disclosure_anchored(_disclosure(stored), silent)


@given(said=digests, stored=digests)
def test_the_rule_compares_the_digest_of_a_disclosure_erased_with_its_awards(
    said: str, stored: str
) -> None:
    """The awards erasure keeps the digest and the entry's data: an erased disclosure in
    an erased record is still compared on it."""
    erased = attrs.evolve(
        _disclosure(stored), holder_name=ERASED_TEXT, recipient_hash="", recipient_salt=None
    )
    gone = attrs.evolve(_STATE, erased_at=AT)
    entries = [_entry(said), ("awards_erased", {})]
    found = award_rules.awards_differences("SP-1", gone, entries, {"D-1": erased})
    assert ([] if said == stored else ["code_digest"]) == [d.field for d in found]
