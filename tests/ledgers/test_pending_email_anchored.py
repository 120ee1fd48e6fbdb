"""The address an account asked to change to is anchored to its history (``pending_email``).

A probe asked for an e-mail change as the victim, then, with write access to the
database but not the ledger key, wrote its own address over the candidate row's
``pending_email``: the victim's own link then made the attacker's address the
account's (password resets and all), while ``verify_all()`` and
``history.verify()`` stayed ok. The pending address is now compared with the
history (:func:`~symprogram.accounts.rules.said_pending_email`: the newest
``email_change_requested`` entry's ``new_email``, none once an ``email_changed``
or ``account_erased`` follows it or its data was erased, the change cancelled by
the erasure of the address's holder): ``candidate_anchored`` refuses a row that
differs (``record_corrupt``, nothing written), ``verify`` reports it
(``aggregate_mismatch``, field ``pending_email``), and ``confirm_email_change``
takes the address the history vouches for.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import ProgramFactory, register_active
from symprogram import Program
from symprogram._anchors import UNKNOWN, AggregateMismatch
from symprogram.accounts import Candidate, ContactDetails
from symprogram.accounts import rules as account_rules
from symprogram.accounts.ports import EMAIL_CHANGE_KIND
from symprogram.errors import IntegrityError, SymprogramError, TokenError
from symprogram.notify import Outbox

CANDIDATES = "candidate"
NEW = "ada.new@example.org"
ATTACKER = "mallory@evil.example"
PERSON = "grace@example.com"
KEY = b"pending e-mail anchors ledger 32"
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def _outbox(program: Program) -> Outbox:
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    return outbox


def _link(program: Program, to: str | None = None) -> str:
    """The token of the newest e-mail verification link (sent to ``to``)."""
    token = _outbox(program).last("email_verification", to=to).data["token"]
    assert isinstance(token, str)
    return token


def _pending_set(program: Program, cid: str, address: str | None) -> str | None:
    """Write ``address`` over ``cid``'s stored ``pending_email``; return the row before."""
    rows = LedgerRows(program)
    before = rows.get_record(CANDIDATES, cid)
    assert before is not None
    data = json.loads(before)
    data["pending_email"] = address
    rows.put_record(CANDIDATES, cid, json.dumps(data))
    return before


def _mismatches(program: Program) -> set[tuple[str, str, str]]:
    """``(kind, key, field)`` of every ``aggregate_mismatch`` ``verify_all()`` reports."""
    return {
        (problem.kind, problem.key, problem.field)
        for failed in program.verify_all().failures
        for problem in failed.problems
        if isinstance(problem, AggregateMismatch)
    }


def _refused(program: Program, cid: str, change: Callable[[], object]) -> None:
    """``change`` is refused as ``record_corrupt`` of the candidate; nothing is written."""
    rows = LedgerRows(program)
    stored = rows.get_record(CANDIDATES, cid)
    length = len(program.history.history(cid))
    with pytest.raises(IntegrityError) as raised:
        change()
    assert "record_corrupt" == raised.value.code
    assert (CANDIDATES, cid) == (raised.value.details["kind"], raised.value.details["key"])
    assert stored == rows.get_record(CANDIDATES, cid)
    assert length == len(program.history.history(cid))


def test_a_pending_email_written_over_is_refused_by_confirm_and_reported(
    program: Program,
) -> None:
    """The attacker's address written over the victim's pending change: the victim's
    own link changes nothing (``record_corrupt``), the address stays the victim's,
    no reset reaches the attacker, and ``verify_all()`` and ``history.verify``
    report field ``pending_email`` without naming an address; the row put back, the
    same link confirms the address the victim asked for."""
    cid = register_active(program, "ada@example.com")
    program.accounts.request_email_change(cid, NEW)
    link = _link(program, NEW)
    genuine = _pending_set(program, cid, ATTACKER)

    assert {(CANDIDATES, cid, "pending_email")} == _mismatches(program)
    verification = program.history.verify(cid)
    assert not verification.ok
    assert [("aggregate_mismatch", "pending_email")] == [
        (problem.code, problem.details["field"]) for problem in verification.problems
    ]
    assert all(ATTACKER not in problem.message for problem in verification.problems)
    _refused(program, cid, lambda: program.accounts.confirm_email_change(link))
    assert "ada@example.com" == program.accounts.get_candidate(cid).contact.email
    program.accounts.request_password_reset(ATTACKER)
    program.deliver_pending()
    assert () == _outbox(program).to(ATTACKER)

    LedgerRows(program).put_record(CANDIDATES, cid, genuine)
    assert NEW == program.accounts.confirm_email_change(link).contact.email
    assert program.verify_all().ok


def test_a_pending_email_written_in_where_none_is_pending_is_reported_and_refused(
    program: Program,
) -> None:
    """An address written in as pending on an account that asked for none, or whose
    change was confirmed: reported, and the changes that decide who holds the account
    refuse the row."""
    cid = register_active(program, "ada@example.com")
    original = _pending_set(program, cid, ATTACKER)
    assert {(CANDIDATES, cid, "pending_email")} == _mismatches(program)
    _refused(program, cid, lambda: program.accounts.request_email_change(cid, NEW))
    LedgerRows(program).put_record(CANDIDATES, cid, original)

    program.accounts.request_email_change(cid, NEW)
    program.accounts.confirm_email_change(_link(program, NEW))
    _pending_set(program, cid, ATTACKER)
    assert {(CANDIDATES, cid, "pending_email")} == _mismatches(program)
    _refused(program, cid, lambda: program.accounts.suspend(cid, "abuse"))


def test_a_pending_change_dropped_from_the_row_is_reported_and_refused(program: Program) -> None:
    """A row put back from before the request (no pending address) while the history
    records it: reported, and the link is refused as ``record_corrupt``."""
    cid = register_active(program, "ada@example.com")
    before = LedgerRows(program).get_record(CANDIDATES, cid)
    program.accounts.request_email_change(cid, NEW)
    LedgerRows(program).put_record(CANDIDATES, cid, before)
    assert {(CANDIDATES, cid, "pending_email")} == _mismatches(program)
    _refused(program, cid, lambda: program.accounts.confirm_email_change(_link(program, NEW)))


def test_a_change_cancelled_by_an_erasure_reads_as_cancelled(program: Program) -> None:
    """A bystander asked for a person's address; the person's erasure erases that
    entry's data and clears the pending change: ``verify_all()`` is ok, and the
    pending address put back (the row from before the erasure) is reported and
    refused."""
    bystander = register_active(program, "ada@example.com")
    person = register_active(program, PERSON)
    program.accounts.request_email_change(bystander, PERSON)
    asked = LedgerRows(program).get_record(CANDIDATES, bystander)

    program.erase_person(person, reason="erasure request 7")
    assert program.accounts.get_candidate(bystander).pending_email is None
    assert program.verify_all().ok

    LedgerRows(program).put_record(CANDIDATES, bystander, asked)
    assert {(CANDIDATES, bystander, "pending_email")} == _mismatches(program)
    _refused(program, bystander, lambda: program.accounts.request_email_change(bystander, NEW))


def test_a_request_of_the_previous_release_stays_anchored(program: Program) -> None:
    """A request the previous release made was not indexed: the erasure of the
    address's holder leaves it (entry and pending address) as it is, and the
    store still verifies; the pending change is still confirmed with its link once
    the address is free."""
    bystander = register_active(program, "ada@example.com")
    program.accounts.request_email_change(bystander, PERSON)
    link = _link(program, PERSON)
    person = register_active(program, PERSON)
    rows = LedgerRows(program)
    for key in rows.keys(EMAIL_CHANGE_KIND):  # as the previous release left the store
        rows.put_record(EMAIL_CHANGE_KIND, key, None)

    program.erase_person(person, reason="erasure request 8")
    assert PERSON == program.accounts.get_candidate(bystander).pending_email
    assert program.verify_all().ok
    assert PERSON == program.accounts.confirm_email_change(link).contact.email
    assert program.verify_all().ok


def test_the_rule_reads_the_newest_request_and_what_ended_it() -> None:
    """The newest ``email_change_requested`` decides; a confirmation, the account's
    erasure or the entry's own erasure leaves none pending; an entry with no address
    says nothing (nothing compared)."""
    registered = ("candidate_registered", {"email": "ada@example.com"})
    first = ("email_change_requested", {"new_email": "a@example.org"})
    second = ("email_change_requested", {"new_email": "b@example.org"})
    said: Callable[[list[tuple[str, dict[str, Any] | None]]], object]
    said = account_rules.said_pending_email
    assert said([registered]) is None
    assert "b@example.org" == said([registered, first, second])
    assert "b@example.org" == said([registered, ("email_change_requested", None), second])
    assert said([registered, second, ("email_change_requested", None)]) is None
    assert said([registered, second, ("email_changed", {"email": "b@example.org"})]) is None
    assert said([registered, second, ("account_erased", {"reason": "r"})]) is None
    assert UNKNOWN is said([registered, ("email_change_requested", {})])


def test_the_confirmation_takes_only_the_address_the_history_vouches_for() -> None:
    """``rules.pending_email`` given the history returns the address it says was asked
    for, refuses another one stored (``record_corrupt``) and a change it says was
    cancelled (``token_invalid``, none pending); without the history, the stored one."""
    at = datetime(2012, 3, 1, tzinfo=UTC)
    contact = ContactDetails("ada@example.com", "Ada", "Lovelace", "Acme", "Acme", "en")
    ada = Candidate("SP-1", "active", contact, at, at, at, pending_email=NEW)
    asked = [("candidate_registered", {"email": "ada@example.com"})]
    asked.append(("email_change_requested", {"new_email": NEW}))
    assert NEW == account_rules.pending_email(ada, asked)
    forged = attrs.evolve(ada, pending_email=ATTACKER)
    assert ATTACKER == account_rules.pending_email(forged)
    with pytest.raises(IntegrityError) as raised:
        account_rules.pending_email(forged, asked)
    assert ("record_corrupt", "SP-1") == (raised.value.code, raised.value.details["key"])
    cancelled = [*asked[:1], ("email_change_requested", None)]
    with pytest.raises(IntegrityError):
        account_rules.pending_email(ada, cancelled)
    with pytest.raises(TokenError) as invalid:
        account_rules.pending_email(attrs.evolve(ada, pending_email=None), cancelled)
    assert "token_invalid" == invalid.value.code


STEPS = st.lists(
    st.sampled_from(["ask:new", "ask:other", "ask:person", "confirm", "erase_person"]),
    max_size=8,
)


def _step(program: Program, cid: str, person: str, step: str) -> None:
    if step == "confirm":
        program.accounts.confirm_email_change(_link(program))
    elif step == "erase_person":
        program.erase_person(person, reason="erasure request 9")
    else:
        address = {"ask:new": NEW, "ask:other": "ada.other@example.net", "ask:person": PERSON}
        program.accounts.request_email_change(cid, address[step])


@settings(max_examples=25, deadline=None, suppress_health_check=HEALTH)
@given(steps=STEPS)
def test_every_legitimate_email_change_keeps_verify_all_ok(
    make_program: ProgramFactory, steps: list[str]
) -> None:
    """Requests (to a free address, to another person's, again beyond the limit),
    confirmations and the erasure of the person whose address was asked for keep
    ``verify_all()`` ok; another address written over the pending one (or one
    written in) is reported afterwards."""
    program = make_program("memory", ledger_key=KEY)
    cid = register_active(program, "ada@example.com")
    person = register_active(program, PERSON)
    for step in steps:
        with suppress(SymprogramError):  # a refused step changes nothing
            _step(program, cid, person, step)
        assert program.verify_all().ok, (step, program.verify_all().failures)
    _pending_set(program, cid, ATTACKER)
    assert {(CANDIDATES, cid, "pending_email")} == _mismatches(program)
