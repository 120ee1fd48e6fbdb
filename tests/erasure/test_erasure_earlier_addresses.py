"""The erasure walk reaches every address the person ever used, not only the current one."""

from __future__ import annotations

from pathlib import Path

import pytest
from erasure_helpers import email_key, file_leaks, leaks_in_texts, register, store_texts

from _programs import ALL, db_path
from symprogram import Program

REASON = "erasure request 31"
OLD = "zeb.oldmail@quixote-family.example"
NEW = "Zebulon.Quixote+7@Example.org"


def _person_who_moved(program: Program) -> tuple[str, str]:
    """A person who registered with ``OLD`` and then moved to ``NEW``, and a bystander
    who published a disclosure to ``OLD`` after the move (filed under the bystander)."""
    bystander = register(program, email="ada@example.com", given_name="Ada", family_name="Lovelace")
    cid = register(program, email=OLD, given_name="Zebulonius", family_name="Quixotely")
    program.accounts.request_email_change(cid, NEW)
    verification = program.notifier.last("email_verification")  # type: ignore[attr-defined]
    program.accounts.confirm_email_change(verification.data["token"])
    awards = program.awards
    awards.record_exam_result(bystander, "250-315", 90, taken_at=program.clock.now())
    awards.evaluate(bystander)
    awards.publish(bystander, ["scs-endpoint"], OLD)
    return cid, bystander


@pytest.mark.backends(*ALL)
def test_messages_sent_to_an_earlier_address_are_erased(program: Program) -> None:
    """A message another candidate sent to an address the person had before an e-mail
    change (pending or delivered, which keeps the address's digest) is erased with
    the person: no record holds the address or its SHA-256."""
    cid, _ = _person_who_moved(program)
    assert [OLD] == leaks_in_texts(store_texts(program), [OLD])  # pending, as typed

    program.deliver_pending()
    assert [email_key(OLD)] == leaks_in_texts(store_texts(program), [email_key(OLD)])

    program.erase_person(cid, reason=REASON)

    assert [] == leaks_in_texts(store_texts(program), [OLD, email_key(OLD)])
    assert program.verify_all().ok


@pytest.mark.backends("sqlite")
def test_no_digest_of_an_earlier_address_stays_in_the_sqlite_files(
    program: Program, tmp_path: Path
) -> None:
    """The raw bytes of the database file and its WAL hold neither the earlier address
    nor its SHA-256 after the erasure returns."""
    cid, _ = _person_who_moved(program)
    program.deliver_pending()
    path = db_path(tmp_path)

    program.erase_person(cid, reason=REASON)

    assert [] == file_leaks(path, [OLD, NEW, email_key(OLD), email_key(NEW)])
