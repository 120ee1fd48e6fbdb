"""Each context's own erasure keeps the erasure promise alone, not only inside
``Program.erase_person``: no message of the person is sent afterwards, and on a SQLite
file no erased value stays in the file or its WAL once the call returned
("one erasure walks them all, and nothing erased stays in the files")."""

from __future__ import annotations

from pathlib import Path

import pytest
from erasure_helpers import file_leaks, register

from _programs import db_path
from symprogram import Program
from symprogram.notify import Message, Outbox

pytestmark = pytest.mark.backends("memory", "sqlite")


class Down:
    """A notifier forwarder that fails while ``down``: messages stay pending."""

    def __init__(self) -> None:
        self.down = True

    def __call__(self, message: Message) -> None:
        if self.down:
            raise OSError("the mail server is down")


def _outbox(program: Program) -> Outbox:
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    return outbox


def test_accounts_erase_deletes_the_pending_messages_of_the_person(program: Program) -> None:
    """A reset link left pending (the notifier was down) is not handed over by a later
    delivery once ``accounts.erase`` returned: it named the address and held a link."""
    email = "nora.pending@example.com"
    cid = register(program, email=email, given_name="Nora", family_name="Pendingmail")
    outbox = _outbox(program)
    down = Down()
    outbox.forward = down
    program.accounts.request_password_reset(email)
    down.down = False

    program.accounts.erase(cid, reason="request 5")
    outbox.clear()
    program.deliver_pending()

    assert [] == [m.kind for m in outbox.messages if m.to == email]


def test_awards_erase_deletes_the_pending_disclosure_message(program: Program) -> None:
    """A disclosure message to a recruiter ("<holder> shared program awards with you")
    left pending is not handed over once ``awards.erase`` returned."""
    cid = register(
        program, email="hanna@example.com", given_name="Hanna", family_name="Holderstrom"
    )
    program.awards.record_exam_result(cid, "250-315", 85, taken_at=program.now())
    program.awards.evaluate(cid)
    outbox = _outbox(program)
    down = Down()
    outbox.forward = down
    program.awards.publish(cid, ["scs-endpoint"], "recruiter@example.org")
    down.down = False

    program.awards.erase(cid)
    outbox.clear()
    program.deliver_pending()

    assert [] == [m.kind for m in outbox.messages if m.to == "recruiter@example.org"]
    assert not any("Holderstrom" in m.body for m in outbox.messages)


@pytest.mark.backends("sqlite")
def test_consent_erase_leaves_nothing_in_the_files(program: Program, tmp_path: Path) -> None:
    """A subject without an account (a lead) can only be erased by ``consent.erase``:
    once it returned, its name and address are in neither the database file nor its WAL."""
    for n in range(40):
        program.consent.record_personal_data(
            f"lead-{n:03d}",
            "order",
            {"name": f"Lead Person {n:03d}", "address": f"{n:03d} Lead St"},
        )

    program.consent.erase("lead-007")

    path = db_path(tmp_path)
    assert ["Lead Person 008"] == file_leaks(path, ["Lead Person 008"])  # the file read
    assert [] == file_leaks(path, ["Lead Person 007", "007 Lead St"])


@pytest.mark.backends("sqlite")
def test_accounts_erase_leaves_nothing_in_the_files(program: Program, tmp_path: Path) -> None:
    """Once ``accounts.erase`` returned, the account's name and address are in neither
    the database file nor its WAL."""
    cid = register(
        program, email="wilhelmina@example.com", given_name="Wilhelmina", family_name="Zonderkop"
    )

    register(program, email="ada@example.com", given_name="Ada", family_name="Lovelace")

    program.accounts.erase(cid, reason="request 6")

    path = db_path(tmp_path)
    assert ["Lovelace"] == file_leaks(path, ["Lovelace"])  # the file read
    assert [] == file_leaks(path, ["Zonderkop", "wilhelmina@example.com"])


def test_no_erasure_leaves_the_persons_records_decoded_in_the_process(program: Program) -> None:
    """The process keeps decoded records by their stored text (which held the
    person's values): once an erasure returned, none of those texts is left."""
    from symprogram import persistence

    email = "kaja.cachedova@example.com"
    cid = register(program, email=email, given_name="Kaja", family_name="Cachedova")
    program.accounts.get_candidate(cid)
    program.consent.record_personal_data(cid, "order", {"name": "Kaja Cachedova"})
    program.consent.personal_data(cid)
    assert any(email in key[2] for key in list(persistence._decoded))

    program.erase_person(cid, reason="request 7")

    assert not any("Cachedova" in key[2] for key in list(persistence._decoded))


def test_nothing_more_is_recorded_about_an_erased_customer(program: Program) -> None:
    """After ``erase_person``, the entitlements context refuses to record anything
    more about the customer named by the candidate ID (a case summary, a ``by``
    naming the person), as the other contexts do: ``customer_erased``, nothing
    written, and the audit still verifies."""
    from datetime import date

    from symprogram.errors import IllegalTransition

    cid = register(program, email="ella@example.com", given_name="Ella", family_name="Entitled")
    entitlements = program.entitlements
    fields: dict[str, object] = {
        "level": "essential_support",
        "products": ["NetBackup"],
        "starts_on": date(2012, 1, 1),
        "ends_on": date(2012, 12, 31),
    }
    entitlements.add_agreement(cid, agreement_id="A-1", by="sales", **fields)  # type: ignore[arg-type]
    program.erase_person(cid, reason="request 8")
    before = entitlements.history(cid)

    with pytest.raises(IllegalTransition) as added:
        entitlements.add_agreement(cid, agreement_id="A-2", by="Ella Entitled", **fields)  # type: ignore[arg-type]
    with pytest.raises(IllegalTransition) as opened:
        entitlements.open_case(
            cid,
            case_id="K-1",
            product="NetBackup",
            severity="high",
            summary="Ella, +1 555 0142",
            by="support",
        )

    assert ("customer_erased", "customer_erased") == (added.value.code, opened.value.code)
    assert before == entitlements.history(cid)
    assert entitlements.verify(cid).ok
    assert all(entry.erased for entry in before)
