"""Index entries put back or written in: checked against the ledger, refused by the reads.

An address index entry (``candidate_email``) and a verification code index entry
(``award_disclosure_code``) are rows like any other: an attacker with write access
to the database can put back one that an e-mail change or an erasure removed,
delete one, or add one under a value of their own. The account history's
verification reports an account still indexed under an address its history says it
left, and a disclosure whose code no longer leads to it (``aggregate_mismatch``);
the reads that go through an index (log-in, password reset, the staff look-up by
address, verifying a disclosure code) take the record it names only when that
record holds the address or code looked up, so an entry that names another record
answers as no entry at all.
"""

from __future__ import annotations

import hashlib
from contextlib import suppress

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _programs import PASSWORD, ProgramFactory, change_email, register_active, register_form
from symprogram import Program
from symprogram._anchors import AggregateMismatch
from symprogram.accounts import rules as account_rules
from symprogram.errors import Conflict, SymprogramError
from symprogram.ledger import Verification
from symprogram.notify import Outbox

EMAIL_INDEX = "candidate_email"
CODE_INDEX = "award_disclosure_code"
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def _key(address: str) -> str:
    """The address index's value of ``address`` (SHA-256 of its casefolded form)."""
    return hashlib.sha256(address.casefold().encode("utf-8")).hexdigest()


def _index_put(program: Program, index: str, value: str, key: str) -> None:
    with program.store.transaction() as tx:
        tx.index_put(index, value, key)


def _index_delete(program: Program, index: str, value: str) -> None:
    with program.store.transaction() as tx:
        tx.index_delete(index, value)


def _details(result: Verification) -> set[tuple[str, str, str]]:
    return {(p.kind, p.key, p.field) for p in result.problems if isinstance(p, AggregateMismatch)}


def _log_in_code(program: Program, email: str) -> str | None:
    """The error code of a log-in as ``email`` (``None``: it succeeded)."""
    try:
        program.accounts.authenticate(email, PASSWORD)
    except SymprogramError as exc:
        return exc.code
    return None


def _published(program: Program) -> tuple[str, str, str]:
    """An active candidate holding SCS Endpoint, published; ``(cid, code, disclosure ID)``."""
    cid = register_active(program)
    taken = program.now()
    program.awards.record_exam_result(cid, "250-315", 85, taken_at=taken)
    program.awards.record_exam_result(cid, "ST0-091", 85, taken_at=taken)
    program.awards.evaluate(cid)
    published = program.awards.publish(cid, ["scs-endpoint"], "hr@example.com")
    return cid, published.code, published.disclosure.disclosure_id


def test_an_address_index_entry_put_back_after_an_email_change_is_reported_and_refused(
    program: Program,
) -> None:
    """The entry of the address an account left, put back, would let it log in (and be
    found) under that address again: ``history.verify`` and ``program.verify_all``
    report ``former_email_index``, and the log-in and look-up refuse it. An address
    left and taken back is the current one again: no former address is reported
    before the tampering."""
    cid = register_active(program, "ada@example.com")
    change_email(program, cid, "ada@old.example.com")
    change_email(program, cid, "ada@example.com")  # back: indexed under it again
    change_email(program, cid, "ada@new.example.com")
    assert program.verify_all().ok
    assert _log_in_code(program, "ada@old.example.com") == "invalid_credentials"
    _index_put(program, EMAIL_INDEX, _key("ada@example.com"), cid)
    assert {(EMAIL_INDEX, cid, "former_email_index")} == _details(program.history.verify(cid))
    assert [f"history:{cid}"] == [f.subject for f in program.verify_all().failures]
    assert program.accounts.find_by_email("ada@example.com") is None
    assert "invalid_credentials" == _log_in_code(program, "ada@example.com")
    assert _log_in_code(program, "ada@new.example.com") is None


def test_an_address_index_entry_naming_another_account_is_refused(program: Program) -> None:
    """An entry written in for an address of the attacker's own, naming Ada's account,
    neither finds nor logs in to it."""
    cid = register_active(program, "ada@example.com")
    _index_put(program, EMAIL_INDEX, _key("eve@example.com"), cid)
    assert program.accounts.find_by_email("eve@example.com") is None
    assert "invalid_credentials" == _log_in_code(program, "eve@example.com")
    program.accounts.request_password_reset("eve@example.com")
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    assert not [m for m in outbox.messages if m.kind == "password_reset"]
    assert _log_in_code(program, "ada@example.com") is None


def test_an_erased_account_address_index_entry_put_back_is_refused(program: Program) -> None:
    """The entry ``erase_person`` released, put back, finds no erased account; a
    registration of the address, which cannot take its index entry, is refused
    ``email_taken`` rather than recorded on the erased account."""
    cid = register_active(program, "ada@example.com")
    program.erase_person(cid, reason="asked")
    length = len(program.history.history(cid))
    _index_put(program, EMAIL_INDEX, _key("ada@example.com"), cid)
    assert program.accounts.find_by_email("ada@example.com") is None
    assert "invalid_credentials" == _log_in_code(program, "ada@example.com")
    with pytest.raises(Conflict) as raised:
        register_form(program.accounts, "ada@example.com")
    assert "email_taken" == raised.value.code
    assert length == len(program.history.history(cid))


def test_former_emails_rule() -> None:
    """The rule lists the addresses a live account had before its current one."""
    entries = [
        ("candidate_registered", {"email": "a@example.com"}),
        ("email_changed", {"email": "b@example.com"}),
        ("email_changed", {"email": "c@example.com"}),
    ]
    assert ("a@example.com", "b@example.com") == account_rules.former_emails(entries)
    assert () == account_rules.former_emails([*entries, ("account_erased", {"reason": "x"})])
    assert () == account_rules.former_emails([("candidate_registered", None)])


def test_a_disclosure_code_index_entry_deleted_is_reported(program: Program) -> None:
    """A deleted code entry makes a valid disclosure unverifiable: ``code_index``."""
    cid, code, did = _published(program)
    digest = hashlib.sha256(code.encode("utf-8")).hexdigest()
    with program.store.transaction(readonly=True) as tx:
        assert did == tx.index_get(CODE_INDEX, digest)
    _index_delete(program, CODE_INDEX, digest)
    assert {("award_disclosure", did, "code_index")} == _details(program.history.verify(cid))
    assert [f"history:{cid}"] == [f.subject for f in program.verify_all().failures]


def test_a_code_index_entry_of_the_attacker_s_own_code_is_refused(program: Program) -> None:
    """A code of the attacker's own, indexed to Ada's disclosure, does not show it."""
    _, code, did = _published(program)
    forged = code[::-1]
    _index_put(program, CODE_INDEX, hashlib.sha256(forged.encode("utf-8")).hexdigest(), did)
    with pytest.raises(SymprogramError) as raised:
        program.awards.verify_disclosure(forged, recipient_email="hr@example.com")
    assert "disclosure_not_found" == raised.value.code
    shown = program.awards.verify_disclosure(code, recipient_email="hr@example.com")
    assert did == shown.disclosure_id


ADDRESSES = ("ada@example.com", "Ada@Example.com", "ada@new.example.com", "a.l@example.org")


@settings(max_examples=20, deadline=None, suppress_health_check=HEALTH)
@given(changes=st.lists(st.sampled_from(ADDRESSES), min_size=1, max_size=5), data=st.data())
def test_any_former_address_put_back_is_reported_and_only_the_current_one_logs_in(
    make_program: ProgramFactory, changes: list[str], data: st.DataObject
) -> None:
    """After any run of e-mail changes (an address taken back, another case), the
    history verifies and only the current address logs in; the entry of any address
    the account left, put back, is reported and refused."""
    program = make_program("memory")
    cid = register_active(program, "ada@example.com")
    for address in changes:
        with suppress(SymprogramError):  # the same address again is refused
            change_email(program, cid, address)
    current = program.accounts.get_candidate(cid).contact.email
    assert program.verify_all().ok
    assert _log_in_code(program, current) is None
    left = sorted({a.casefold() for a in ("ada@example.com", *changes)} - {current.casefold()})
    for address in left:
        assert "invalid_credentials" == _log_in_code(program, address)
    if left:
        address = data.draw(st.sampled_from(left))
        _index_put(program, EMAIL_INDEX, _key(address), cid)
        assert {(EMAIL_INDEX, cid, "former_email_index")} == _details(
            program.verify_all().failures[0]
        )
        assert "invalid_credentials" == _log_in_code(program, address)
