"""``awards.erase`` alone drops the personal data its own history entries hold.

A probe erased a candidate with ``awards.erase`` (the awards context's own erasure,
which keeps the same promises when called alone): the stored kit, disclosure and
grant were scrubbed, but the account history still held, in clear, the kit's
tracking text (``kit_shipped``), the disclosure's holder name and recipient hash
(``awards_published``) and the revocation reason (``award_revoked``), returned by
``history()`` and left in the SQLite file. The erasure now drops the data of those
entries with ``Ledger.erase_entry``, the accounts erasure's mechanism (digest and
chain kept, an erasure marker added): the history still verifies and the awards
reads still answer, in the erased form.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from erasure_helpers import file_leaks, register
from hypothesis import given
from hypothesis import strategies as st

from _programs import db_path
from symprogram import Program
from symprogram.accounts import PostalAddress
from symprogram.awards import rules

pytestmark = pytest.mark.backends("memory", "sqlite")

TRACKING = "TRK-777-QUIXOTIC"
REASON = "cheating reported by Mallory Whistleblowerova"
RECIPIENT = "hiring.quixote@example.org"


def _awarded(program: Program) -> tuple[str, str, str]:
    """A candidate with a shipped kit, a disclosure and a revoked award; its ID, the
    kit's ID and the disclosure's code."""
    address = PostalAddress(lines=("1 A St",), city="B", country="GB", postal_code="C1 1CC")
    cid = register(
        program,
        email="quinta.awarded@example.com",
        given_name="Quinta",
        family_name="Awardova",
        postal_address=address,
    )
    program.awards.record_exam_result(cid, "250-315", 85, taken_at=program.now())
    program.awards.record_exam_result(cid, "ST0-091", 85, taken_at=program.now())
    program.awards.evaluate(cid)
    kit = program.awards.kits_of(cid)[0]
    program.awards.ship_kit(kit.kit_id, tracking=TRACKING)
    code = program.awards.publish(cid, ["sts-endpoint"], RECIPIENT).code
    program.awards.revoke(cid, "scs-endpoint", reason=REASON)
    return cid, kit.kit_id, code


def _said(program: Program, cid: str) -> str:
    return " ".join(f"{entry.kind} {entry.data}" for entry in program.history.history(cid))


def test_awards_erase_drops_the_personal_data_of_its_history_entries(program: Program) -> None:
    cid, _, _ = _awarded(program)
    published = program.awards.disclosures_of(cid)[0]
    assert TRACKING in _said(program, cid) and REASON in _said(program, cid)

    program.awards.erase(cid)

    entries = {entry.kind: entry for entry in program.history.history(cid)}
    said = _said(program, cid)
    assert TRACKING not in said and REASON not in said
    assert published.recipient_hash not in said
    for kind in ("kit_shipped", "awards_published", "award_revoked"):
        assert entries[kind].data is None and entries[kind].erased
    # the entries without personal data keep theirs
    assert entries["exam_result_recorded"].data is not None
    assert entries["award_granted"].data is not None
    assert program.history.verify(cid).ok


def test_the_awards_reads_still_answer_after_awards_erase(program: Program) -> None:
    """The anchored reads take what an erased entry hides as anchored."""
    cid, kit_id, code = _awarded(program)

    program.awards.erase(cid)

    assert program.awards.get_kit(kit_id).tracking == "[erased]"
    assert [k.kit_id for k in program.awards.kits_of(cid)] == [kit_id]
    revoked = [g for g in program.awards.grants_of(cid) if g.revoked_at is not None]
    assert [(g.award_id, g.revoke_reason) for g in revoked] == [("scs-endpoint", "[erased]")]
    assert program.awards.disclosures_of(cid)[0].recipient_hash == ""
    assert program.awards.verify_disclosure(code).reason == "disclosure_revoked"
    again = program.awards.erase(cid)
    assert again.already_erased and program.history.verify(cid).ok


@pytest.mark.backends("sqlite")
def test_awards_erase_leaves_no_tracking_text_or_reason_in_the_files(
    program: Program, tmp_path: Path
) -> None:
    cid, _, _ = _awarded(program)

    program.awards.erase(cid)

    path = db_path(tmp_path)
    assert ["Awardova"] == file_leaks(path, ["Awardova"])  # the account is not erased
    assert [] == file_leaks(path, [TRACKING, REASON])


_FIELDS = {
    "kit_shipped": "tracking",
    "award_revoked": "reason",
    "awards_published": "holder_name",
}


@given(kind=st.sampled_from(sorted(_FIELDS)), text=st.text(min_size=1))
def test_an_entry_holding_a_personal_text_is_personal(kind: str, text: str) -> None:
    assert rules.personal_entry(kind, {"x": 1, _FIELDS[kind]: text})
    assert not rules.personal_entry(kind, {"x": 1, _FIELDS[kind]: None})
    assert not rules.personal_entry(kind, None)


@given(kind=st.sampled_from(("exam_result_recorded", "award_granted", "kit_queued")))
def test_the_other_awards_entries_hold_no_personal_data(kind: str) -> None:
    assert not rules.personal_entry(kind, {"reason": "no_postal_address", "tracking": "x"})
