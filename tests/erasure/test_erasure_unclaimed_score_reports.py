"""Erasure reaches the score reports recorded for the person's addresses and never claimed.

A probe recorded a score report for a candidate's address, left it unclaimed and
erased the person: the report kept their full name and address in the store (and
in the SQLite file's bytes). ``erase_person`` now also anonymizes every unclaimed
report recorded for an address the account had (current, pending, or earlier in
its history; compared ignoring case), found through the score reports' address
index (kind ``score_report_address``), in the same unit of work; an erased
report proves nothing to a claimant, so nobody registering the address again can
claim it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from erasure_helpers import file_leaks, leaks_in_texts, register, store_texts

from _programs import ProgramFactory, db_path
from symprogram import Program
from symprogram.accounts import ERASED_EMAIL, ERASED_TEXT
from symprogram.errors import PermissionDenied

pytestmark = pytest.mark.backends("memory", "sqlite")

OLD, NEW = "Zebedee.Quixote@example.org", "zeb.q@mail-example.net"
SHOUTED = "ZEBEDEE.QUIXOTE@example.org"  # OLD in other case: the same address
NAME = "Zebedee Quixoticson"
INDEX = "score_report_address"


def _record(program: Program, number: str, email: str, name: str = NAME) -> None:
    program.accounts.record_score_report(
        registration_number=number,
        exam_code="250-371",
        candidate_name=name,
        email=email,
        score=50,
        passing_score=70,
        exam_date=date(2012, 2, 21),
        test_centre="Reading",
    )


def _person(program: Program) -> str:
    """Zebedee registers with OLD, moves to NEW; reports are recorded for both
    addresses (OLD in other case), and one for a stranger."""
    cid = register(program, email=OLD, given_name="Zebedee", family_name="Quixoticson")
    program.accounts.request_email_change(cid, NEW)
    token = program.notifier.last("email_verification").data["token"]  # type: ignore[attr-defined]
    program.accounts.confirm_email_change(token)
    _record(program, "REG-8801", SHOUTED)
    _record(program, "REG-8802", NEW)
    _record(program, "REG-8803", "someone.else@example.org", name="Someone Else")
    return cid


def test_unclaimed_reports_for_current_and_earlier_addresses_are_anonymized(
    program: Program,
) -> None:
    """Both unclaimed reports of the person lose name and address, the stranger's
    keeps them; the receipt names them; verify_all stays clean; no value is left."""
    cid = _person(program)
    needles = (NAME, SHOUTED, NEW)
    assert sorted(needles) == sorted(leaks_in_texts(store_texts(program), needles))

    receipt = program.erase_person(cid, reason="ticket 10")

    get = program.accounts.get_score_report
    for number in ("REG-8801", "REG-8802"):
        report = get(number)
        assert (ERASED_TEXT, ERASED_EMAIL, None, 50) == (
            report.candidate_name,
            report.email,
            report.claimed_by,
            report.score,
        )
    assert ("Someone Else", "someone.else@example.org") == (
        get("REG-8803").candidate_name,
        get("REG-8803").email,
    )
    assert ("REG-8801", "REG-8802") == receipt.accounts.score_reports
    assert program.verify_all().ok
    assert [] == leaks_in_texts(store_texts(program), (NAME, OLD, SHOUTED, NEW, "Quixoticson"))


def test_an_erased_unclaimed_report_cannot_be_claimed_by_a_new_account(
    program: Program,
) -> None:
    """Whoever registers the released address again cannot claim the erased report,
    by address or by the erased marker as name (the proof does not match)."""
    cid = _person(program)
    program.erase_person(cid, reason="ticket 10")
    again = register(program, email=NEW, given_name="Zebedee", family_name="Quixoticson")

    codes = []
    for proof in ({"email": NEW}, {"name": NAME}, {"email": ERASED_EMAIL}, {"name": ERASED_TEXT}):
        with pytest.raises(PermissionDenied) as info:
            program.accounts.claim_score_report(again, "REG-8802", **proof)
        codes.append(info.value.code)

    assert ["score_report_proof_mismatch"] * 4 == codes
    assert program.accounts.get_score_report("REG-8802").claimed_by is None
    assert program.verify_all().ok


def test_a_claimed_and_an_unclaimed_report_are_erased_together_all_or_nothing(
    program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after the accounts erasure rolls the unclaimed report back too."""
    cid = _person(program)
    program.accounts.claim_score_report(cid, "REG-8802", email=NEW)
    before = store_texts(program)
    original = program.consent.erase

    def fail(*args: Any, **kwargs: Any) -> Any:
        original(*args, **kwargs)
        raise RuntimeError("consent failed midway")

    monkeypatch.setattr(program.consent, "erase", fail)
    with pytest.raises(RuntimeError, match="midway"):
        program.erase_person(cid, reason="ticket 10")
    assert before == store_texts(program)
    monkeypatch.undo()

    receipt = program.erase_person(cid, reason="ticket 10")

    assert ("REG-8802", "REG-8801") == receipt.accounts.score_reports
    assert [] == leaks_in_texts(store_texts(program), (NAME, SHOUTED, NEW))
    assert program.verify_all().ok


def test_a_store_written_before_the_index_is_indexed_by_its_first_erasure(
    program: Program,
) -> None:
    """Reports recorded before the address index existed (no entries, no
    ``~complete`` marker) are still found: the first erasure indexes every report."""
    cid = _person(program)
    with program.store.transaction() as tx:
        for record in tx.scan(INDEX):
            tx.delete(INDEX, record.key, record.version)

    program.erase_person(cid, reason="ticket 10")

    assert ERASED_TEXT == program.accounts.get_score_report("REG-8801").candidate_name
    with program.store.transaction(readonly=True) as tx:
        keys = [record.key for record in tx.scan(INDEX)]
    markers = [key for key in keys if key.startswith("~complete:")]
    assert 2 == len(keys) and 1 == len(markers)  # the stranger's entry and the marker
    assert program.verify_all().ok


def test_nothing_of_an_unclaimed_report_stays_in_the_sqlite_file(
    make_program: ProgramFactory, tmp_path: Path
) -> None:
    """The raw bytes of the SQLite files hold neither the name nor the addresses."""
    program = make_program("sqlite")
    cid = _person(program)

    program.erase_person(cid, reason="ticket 10")

    assert [] == file_leaks(db_path(tmp_path), (NAME, OLD, SHOUTED, NEW))
