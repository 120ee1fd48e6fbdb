"""An erased candidate's awards rows put back from before the erasure (``aggregate_mismatch``).

``erase_person`` drops the data of every account history entry, so the entries no
longer say which grants, disclosures and kits the candidate had: a backup's awards
record (a revoked certification active again), disclosure (the holder's name and
recipient, verifiable again) or kit (the postal address) put back after the
erasure went unnoticed, with the key. The awards erasure now appends an
``awards_erased`` entry, whose kind outlives its data, and the history's
verification checks that the stored record, disclosures and kits are in the form
the erasure gives them (field ``erased``).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from ledger_rows import LedgerRows

from _programs import ProgramFactory, register_active
from symprogram import Program
from symprogram._anchors import AggregateMismatch
from symprogram.accounts import PostalAddress
from symprogram.awards import rules as award_rules
from symprogram.awards.models import CandidateAwards, Disclosure
from symprogram.errors import IntegrityError
from symprogram.ledger import Verification
from symprogram.serialization import loads_without

KEY = b"erased awards anchors key, 32 by"
AWARDS = "award_candidate"
DISCLOSURES = "award_disclosure"
KITS = "award_kit"


def _details(result: Verification) -> set[tuple[str, str, str]]:
    return {(p.kind, p.key, p.field) for p in result.problems if isinstance(p, AggregateMismatch)}


def _certified_and_published(program: Program) -> tuple[str, str, str, str]:
    """An active candidate with a postal address, SCS Endpoint earned (a queued kit),
    published and then revoked; ``(cid, code, disclosure ID, kit ID)``."""
    cid = register_active(program)
    address = PostalAddress(lines=("12 St James's Square",), city="London", country="GB")
    program.accounts.update_contact_details(cid, postal_address=address)
    taken = program.clock.now() - timedelta(days=1)
    program.awards.record_exam_result(cid, "250-315", 85, taken_at=taken)
    program.awards.record_exam_result(cid, "ST0-091", 85, taken_at=taken)
    program.awards.evaluate(cid)
    published = program.awards.publish(cid, ["scs-endpoint"], "hr@example.com")
    program.awards.revoke(cid, "scs-endpoint", reason="exam fraud")
    [kit] = program.awards.kits_of(cid)
    return cid, published.code, published.disclosure.disclosure_id, kit.kit_id


@pytest.mark.backends("memory", "sqlite", "sqlalchemy", "postgresql", "mariadb")
@pytest.mark.parametrize("kind", [AWARDS, DISCLOSURES, KITS])
def test_an_erased_candidate_s_awards_row_put_back_is_reported(
    backend: str, make_program: ProgramFactory, kind: str
) -> None:
    """Each awards row of an erased candidate, put back from before ``erase_person``,
    is reported (field ``erased``) by ``history.verify`` and ``program.verify_all``."""
    program = make_program(backend, ledger_key=KEY)
    cid, code, did, kid = _certified_and_published(program)
    key = {AWARDS: cid, DISCLOSURES: did, KITS: kid}[kind]
    rows = LedgerRows(program)
    backup = rows.get_record(kind, key)
    program.erase_person(cid, reason="asked")
    assert program.verify_all().ok
    rows.put_record(kind, key, backup)
    assert {(kind, key, "erased")} == _details(program.history.verify(cid))
    assert [f"history:{cid}"] == [f.subject for f in program.verify_all().failures]
    if kind == DISCLOSURES:  # the backup is not shown to the third party again
        with pytest.raises(IntegrityError) as caught:
            program.awards.verify_disclosure(code, recipient_email="hr@example.com")
        assert "record_corrupt" == caught.value.code


@pytest.mark.parametrize("kind", [AWARDS, DISCLOSURES, KITS])
def test_an_erased_candidate_s_awards_row_deleted_is_reported(program: Program, kind: str) -> None:
    """The erased record deleted reads as a candidate with no awards; a disclosure or
    kit it lists, deleted, is no longer found: each is reported."""
    cid, _, did, kid = _certified_and_published(program)
    key = {AWARDS: cid, DISCLOSURES: did, KITS: kid}[kind]
    program.erase_person(cid, reason="asked")
    LedgerRows(program).put_record(kind, key, None)
    assert {(kind, key, "erased")} == _details(program.history.verify(cid))


def test_the_awards_erasure_is_recorded_once_and_keeps_verify_ok(program: Program) -> None:
    """``awards.erase`` appends one ``awards_erased`` entry, a second call none; the
    history still verifies, and so it does after ``erase_person`` too."""
    cid, _, _, _ = _certified_and_published(program)
    program.awards.erase(cid)
    kinds = [entry.kind for entry in program.history.history(cid)]
    assert "awards_erased" == kinds[-1]
    assert program.verify_all().ok
    program.awards.erase(cid)
    assert kinds == [entry.kind for entry in program.history.history(cid)]
    program.erase_person(cid, reason="asked")
    assert "account_erased" == program.history.history(cid)[-1].kind
    assert program.verify_all().ok


def test_the_erasure_rule_reads_the_entry_kind_only(program: Program) -> None:
    """The rule needs only the ``awards_erased`` kind (its data erased): a record not
    erased, and a disclosure with its holder's name, are reported."""
    cid, _, did, _ = _certified_and_published(program)
    rows = LedgerRows(program)
    record, text = rows.get_record(AWARDS, cid), rows.get_record(DISCLOSURES, did)
    assert record is not None and text is not None
    state = loads_without(record, CandidateAwards, frozenset({"version"}))
    disclosure = loads_without(text, Disclosure, frozenset({"version"}))
    found = award_rules.awards_differences(cid, state, [("awards_erased", None)], {did: disclosure})
    assert {(AWARDS, "erased"), (DISCLOSURES, "erased")} <= {(d.kind, d.field) for d in found}
    without = award_rules.awards_differences(
        cid, state, [("award_granted", None)], {did: disclosure}
    )
    assert "erased" not in {d.field for d in without}
