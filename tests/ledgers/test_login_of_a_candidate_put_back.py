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

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import PASSWORD, register_active
from symprogram import Program
from symprogram.accounts import rules as account_rules
from symprogram.accounts._text import email_key
from symprogram.accounts.models import Candidate, ContactDetails
from symprogram.accounts.ports import EMAIL_INDEX
from symprogram.errors import PermissionDenied
from symprogram.notify import Outbox

CANDIDATES = "candidate"
CREDENTIALS = "account_credential"
NEW_PASSWORD = "a brand new pass phrase of mine"
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def _change_email(program: Program, cid: str, new_email: str) -> None:
    program.accounts.request_email_change(cid, new_email)
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    token = outbox.last("email_verification", to=new_email).data["token"]
    assert isinstance(token, str)
    program.accounts.confirm_email_change(token)


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
    cid = register_active(program, "ada@example.com")
    rows = LedgerRows(program)
    before = rows.get_record(CANDIDATES, cid)
    _change_email(program, cid, "ada@example.org")
    current = rows.get_record(CANDIDATES, cid)
    rows.put_record(CANDIDATES, cid, before)
    with program.store.transaction() as tx:
        tx.index_put(EMAIL_INDEX, email_key("ada@example.com"), cid)
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

_STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("email"), st.sampled_from(["a@example.com", "b@example.com"])),
        st.tuples(st.just("status"), st.sampled_from(["active", "suspended"])),
        st.tuples(st.just("password"), st.sampled_from(["password_changed", "password_rehashed"])),
    ),
    max_size=8,
)


def _replay(steps: list[tuple[str, str]]) -> list[tuple[tuple[str, str, str], tuple[str, dict]]]:
    """Each state ``(email, status, hash)`` of the account and the entry that made it."""
    state = ("a@example.com", "pending_activation", "$h$0")
    digest = account_rules.credential_digest(state[2])
    made = [(state, ("candidate_registered", {"email": state[0], "credential_digest": digest}))]
    for n, (what, value) in enumerate(steps, start=1):
        email, status, encoded = state
        if what == "email":
            state, entry = (value, status, encoded), ("email_changed", {"email": value})
        elif what == "status":
            state, entry = (email, value, encoded), ("account_status_changed", {"status": value})
        else:
            encoded = f"$h${n}"
            digest = account_rules.credential_digest(encoded)
            state, entry = (email, status, encoded), (value, {"credential_digest": digest})
        made.append((state, entry))
    return made


def _candidate(email: str, status: str) -> Candidate:
    at = datetime(2012, 3, 1, 9, 30, tzinfo=UTC)
    contact = ContactDetails(email, "Ada", "Lovelace", "Acme", "Acme", "en")
    return Candidate("SP-1", status, contact, at, at, at)


@settings(max_examples=100, deadline=None, suppress_health_check=HEALTH)
@given(steps=_STEPS, data=st.data())
def test_a_row_is_anchored_exactly_when_it_is_the_latest_state(
    steps: list[tuple[str, str]], data: st.DataObject
) -> None:
    """Over random histories of address, status and password changes, the account
    as it stood after any entry (its row and hash put back from then) logs in only
    when it is what the account is now."""
    made = _replay(steps)
    entries = [entry for _, entry in made]
    latest = made[-1][0]
    state, _ = made[data.draw(st.integers(0, len(made) - 1))]
    email, status, encoded = state
    anchored = account_rules.login_anchored(_candidate(email, status), encoded, entries)
    assert anchored == (state == latest)
    assert account_rules.login_anchored(None, encoded, entries)
