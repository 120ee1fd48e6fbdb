"""A log-in refuses an account row put back from before a later entry of its history.

A log-in found the account by its ``candidate_email`` index entry and compared the
stored password hash with the digest the candidate row keeps. A candidate row put
back from an older backup, with its index entry (and its credential row), passed
both: the account logged in under the address it had left, the password it had
before a change worked again, and a suspended account logged in as active. The
log-in now compares the account with its history
(:func:`~symprogram.accounts.rules.login_anchored`) and refuses such a row
exactly as a wrong password (``invalid_credentials``), recording nothing in the
history; ``verify_all`` reports it, and the current rows put back log in again.
"""

from __future__ import annotations

import pytest
from account_states import STEPS, account_states, put_back_before_email_change, stored_candidate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import PASSWORD, register_active
from symprogram import Program
from symprogram.accounts import rules as account_rules
from symprogram.errors import PermissionDenied

CANDIDATES = "candidate"
CREDENTIALS = "account_credential"
NEW_PASSWORD = "a brand new pass phrase of mine"
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def _refused(program: Program, cid: str, email: str, password: str = PASSWORD) -> None:
    """The log-in is refused as a wrong password, and the history records nothing."""
    length = len(program.history.history(cid))
    with pytest.raises(PermissionDenied) as raised:
        program.accounts.authenticate(email, password)
    assert "invalid_credentials" == raised.value.code
    assert length == len(program.history.history(cid))


def _reported(program: Program, cid: str) -> None:
    assert cid in {failure.subject for failure in program.history.verify_all()}


def test_a_candidate_put_back_from_before_an_email_change_cannot_log_in_as_it_was(
    program: Program,
) -> None:
    """Ada's candidate row and index entry put back from before she moved to
    ada@example.org: neither her old address nor her new one logs in; the current
    row put back, the new address does."""
    cid, current = put_back_before_email_change(program)
    rows = LedgerRows(program)
    _refused(program, cid, "ada@example.com")
    _refused(program, cid, "ada@example.org")
    _reported(program, cid)
    rows.put_record(CANDIDATES, cid, current)
    assert cid == program.accounts.authenticate("ada@example.org", PASSWORD).candidate_id


def test_the_password_before_a_change_does_not_log_in_again(program: Program) -> None:
    """Ada's candidate and credential rows put back from before her password change
    (the old hash and the digest of it, which agree): the old password is refused;
    the current rows put back, the new one logs in."""
    cid = register_active(program, "ada@example.com")
    rows = LedgerRows(program)
    before = rows.get_record(CANDIDATES, cid), rows.get_record(CREDENTIALS, cid)
    program.accounts.change_password(cid, PASSWORD, NEW_PASSWORD)
    current = rows.get_record(CANDIDATES, cid), rows.get_record(CREDENTIALS, cid)
    rows.put_record(CANDIDATES, cid, before[0])
    rows.put_record(CREDENTIALS, cid, before[1])
    _refused(program, cid, "ada@example.com")
    _reported(program, cid)
    rows.put_record(CANDIDATES, cid, current[0])
    rows.put_record(CREDENTIALS, cid, current[1])
    _refused(program, cid, "ada@example.com")  # the old password, against the new hash
    assert cid == program.accounts.authenticate("ada@example.com", NEW_PASSWORD).candidate_id


def test_a_suspended_account_put_back_as_active_cannot_log_in(program: Program) -> None:
    """Ada's row put back from before her suspension: refused as a wrong password
    (not even ``account_suspended``, which only a right password learns)."""
    cid = register_active(program, "ada@example.com")
    rows = LedgerRows(program)
    active = rows.get_record(CANDIDATES, cid)
    program.accounts.suspend(cid, "abuse")
    rows.put_record(CANDIDATES, cid, active)
    _refused(program, cid, "ada@example.com")
    _reported(program, cid)


# -- the rule ------------------------------------------------------------------------


@settings(max_examples=100, deadline=None, suppress_health_check=HEALTH)
@given(steps=STEPS, data=st.data())
def test_a_row_is_anchored_exactly_when_it_is_the_latest_state(
    steps: list[tuple[str, str]], data: st.DataObject
) -> None:
    """Over random histories of address, status and password changes, the account
    as it stood after any entry (its row and hash put back from then) logs in only
    when it is what the account is now."""
    made = account_states(steps)
    entries = [entry for _, entry in made]
    latest = made[-1][0]
    state, _ = made[data.draw(st.integers(0, len(made) - 1))]
    email, status, encoded = state
    anchored = account_rules.login_anchored(stored_candidate(email, status), encoded, entries)
    assert anchored == (state == latest)
    assert account_rules.login_anchored(None, encoded, entries)
