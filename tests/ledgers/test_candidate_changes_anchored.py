"""The changes that decide who holds an account act only on the account its history says.

A candidate row put back from an older backup, with its ``candidate_email`` index
entry, held an address the account had since left: a password reset asked for
that address sent a link to it, and the link set a new password. The changes that
decide who holds an account or what it may do (``reset_password``,
``request_email_change``, ``confirm_email_change``,
``activate``, ``suspend``, ``reinstate``, ``close``, ``claim_score_report``) now
read the candidate locked and compare it with its history
(:func:`~symprogram.accounts.rules.candidate_anchored`, what ``verify`` compares:
status, address, erasure, credential digest) and refuse a row that differs, or one
written in by hand with no history (``IntegrityError`` ``record_corrupt``), writing
nothing. ``change_password`` refuses it as a wrong current password, as a log-in
does. The current row put back, they act again.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from account_states import STEPS, account_states, put_back_before_email_change, stored_candidate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import PASSWORD, register_active
from symprogram import Program
from symprogram.accounts import rules as account_rules
from symprogram.errors import IntegrityError, PermissionDenied
from symprogram.ids import check_character
from symprogram.notify import Outbox

CANDIDATES = "candidate"
CREDENTIALS = "account_credential"
NEW_PASSWORD = "a brand new pass phrase of mine"
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def _outbox(program: Program) -> Outbox:
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    return outbox


def _refused(program: Program, cid: str, change: Callable[[], object]) -> None:
    """``change`` is refused as ``record_corrupt`` of the candidate; nothing is written."""
    rows = LedgerRows(program)
    stored = rows.get_record(CANDIDATES, cid), rows.get_record(CREDENTIALS, cid)
    length = len(program.history.history(cid))
    with pytest.raises(IntegrityError) as raised:
        change()
    assert "record_corrupt" == raised.value.code
    assert (CANDIDATES, cid) == (raised.value.details["kind"], raised.value.details["key"])
    assert stored == (rows.get_record(CANDIDATES, cid), rows.get_record(CREDENTIALS, cid))
    assert length == len(program.history.history(cid))


def _wrong_password(program: Program, cid: str) -> None:
    """A password change is refused as a wrong current password (as a log-in of the
    row would be); nothing but the failed attempt is written."""
    rows = LedgerRows(program)
    stored = rows.get_record(CANDIDATES, cid), rows.get_record(CREDENTIALS, cid)
    length = len(program.history.history(cid))
    with pytest.raises(PermissionDenied) as raised:
        program.accounts.change_password(cid, PASSWORD, NEW_PASSWORD)
    assert "invalid_credentials" == raised.value.code
    assert stored == (rows.get_record(CANDIDATES, cid), rows.get_record(CREDENTIALS, cid))
    assert length == len(program.history.history(cid))


def test_a_reset_link_sent_to_an_address_left_sets_no_password(program: Program) -> None:
    """The reset asked for Ada's former address (which the row put back holds) is
    answered as any reset is, but its link sets no password; nor does a change of
    address go through; the current row put back, the link works."""
    cid, current = put_back_before_email_change(program)
    program.accounts.request_password_reset("ada@example.com")
    program.deliver_pending()
    token = _outbox(program).last("password_reset", to="ada@example.com").data["token"]
    assert isinstance(token, str)
    _refused(program, cid, lambda: program.accounts.reset_password(token, NEW_PASSWORD))
    _wrong_password(program, cid)
    _refused(program, cid, lambda: program.accounts.request_email_change(cid, "eve@example.net"))
    LedgerRows(program).put_record(CANDIDATES, cid, current)
    program.accounts.change_password(cid, PASSWORD, NEW_PASSWORD)
    assert cid == program.accounts.authenticate("ada@example.org", NEW_PASSWORD).candidate_id


def test_a_suspended_account_put_back_as_active_cannot_act(program: Program) -> None:
    """Ada's row from before her suspension: no claim, no password change, no staff
    status change acts on it."""
    cid = register_active(program, "ada@example.com")
    rows = LedgerRows(program)
    active = rows.get_record(CANDIDATES, cid)
    program.accounts.suspend(cid, "abuse")
    suspended = rows.get_record(CANDIDATES, cid)
    rows.put_record(CANDIDATES, cid, active)
    accounts = program.accounts
    _refused(program, cid, lambda: accounts.claim_score_report(cid, "123456", name="Ada"))
    _wrong_password(program, cid)
    _refused(program, cid, lambda: accounts.suspend(cid, "again"))
    _refused(program, cid, lambda: accounts.close(cid, "gone"))
    rows.put_record(CANDIDATES, cid, suspended)
    assert "active" == str(accounts.reinstate(cid).status)


@pytest.mark.parametrize("change", ["suspend", "close"])
def test_an_account_put_back_as_active_cannot_publish(program: Program, change: str) -> None:
    """A suspended or closed account whose row is put back from before: publishing its
    certifications to a third party, which needs an active account, is refused
    (``record_corrupt``) and nothing is sent; ``get_account_status`` refuses the row,
    while ``get_candidate`` answers it as stored."""
    cid = register_active(program, "ada@example.com")
    taken = program.clock.now()
    program.awards.record_exam_result(cid, "250-315", 85, taken_at=taken)
    program.awards.record_exam_result(cid, "ST0-091", 85, taken_at=taken)
    program.awards.evaluate(cid)
    rows = LedgerRows(program)
    active = rows.get_record(CANDIDATES, cid)
    getattr(program.accounts, change)(cid, "abuse")
    rows.put_record(CANDIDATES, cid, active)
    sent = len(_outbox(program).messages)
    with pytest.raises(IntegrityError) as raised:
        program.awards.publish(cid, ["scs-endpoint"], "hr@example.com")
    assert ("record_corrupt", cid) == (raised.value.code, raised.value.details["key"])
    program.deliver_pending()
    assert sent == len(_outbox(program).messages)
    with pytest.raises(IntegrityError):
        program.accounts.get_account_status(cid)
    assert "active" == str(program.accounts.get_candidate(cid).status)


def test_a_candidate_written_in_by_hand_cannot_be_changed(program: Program) -> None:
    """A copy of Ada's row under an ID of its own, with no history: no staff status
    change, password change or claim acts on it."""
    cid = register_active(program, "ada@example.com")
    rows = LedgerRows(program)
    text = rows.get_record(CANDIDATES, cid)
    assert text is not None
    body = "ABCD0EFGH0JKLM"[:12]
    forged = f"SP-{body[:4]}-{body[4:8]}-{body[8:12]}-{check_character(body)}"
    rows.put_record(CANDIDATES, forged, text.replace(cid, forged))
    accounts = program.accounts
    _refused(program, forged, lambda: accounts.suspend(forged, "test"))
    _refused(program, forged, lambda: accounts.close(forged, "test"))
    _refused(program, forged, lambda: accounts.claim_score_report(forged, "123456", name="Ada"))


# -- the rule ------------------------------------------------------------------------


@settings(max_examples=100, deadline=None, suppress_health_check=HEALTH)
@given(steps=STEPS, data=st.data())
def test_a_row_is_anchored_exactly_when_it_is_the_latest_state(
    steps: list[tuple[str, str]], data: st.DataObject
) -> None:
    """Over random histories of address, status and password changes, the candidate
    row as it stood after any entry is anchored exactly when it is what the account
    is now (its address, status and credential digest), and a row with no history
    never is."""
    made = account_states(steps)
    entries = [entry for _, entry in made]
    state, _ = made[data.draw(st.integers(0, len(made) - 1))]
    candidate = stored_candidate(*state)
    assert account_rules.candidate_anchored(candidate, entries) == (state == made[-1][0])
    assert not account_rules.candidate_anchored(candidate, [])
    if state != made[-1][0]:
        with pytest.raises(IntegrityError):
            account_rules.require_candidate_anchored(candidate, entries)
