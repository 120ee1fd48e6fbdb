"""Random histories of one account's address, status and password, for the anchor rules.

``STEPS`` draws the changes; :func:`account_states` replays them into each state the
account passed through, with the history entry that made it; :func:`stored_candidate`
is the candidate row of one such state, as a backup would hold it;
:func:`put_back_before_email_change` puts such a row back into a program's store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import change_email, register_active
from symprogram import Program
from symprogram.accounts import rules as account_rules
from symprogram.accounts._text import email_key
from symprogram.accounts.models import Candidate, ContactDetails
from symprogram.accounts.ports import EMAIL_INDEX

State = tuple[str, str, str]
"""``(email, status, password hash)`` of the account."""

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("email"), st.sampled_from(["a@example.com", "b@example.com"])),
        st.tuples(st.just("status"), st.sampled_from(["active", "suspended"])),
        st.tuples(st.just("password"), st.sampled_from(["password_changed", "password_rehashed"])),
    ),
    max_size=8,
)


def account_states(steps: list[tuple[str, str]]) -> list[tuple[State, tuple[str, dict[str, Any]]]]:
    """Each state of the account and the entry that made it, registration first."""
    state = ("a@example.com", "pending_activation", "$h$0")
    digest = account_rules.credential_digest(state[2])
    made: list[tuple[State, tuple[str, dict[str, Any]]]] = [
        (state, ("candidate_registered", {"email": state[0], "credential_digest": digest}))
    ]
    for n, (what, value) in enumerate(steps, start=1):
        email, status, encoded = state
        entry: tuple[str, dict[str, Any]]
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


def stored_candidate(email: str, status: str, encoded: str | None = None) -> Candidate:
    """SP-1's candidate row with ``email`` and ``status`` (and, given the hash
    ``encoded``, the digest of it the row keeps)."""
    at = datetime(2012, 3, 1, 9, 30, tzinfo=UTC)
    contact = ContactDetails(email, "Ada", "Lovelace", "Acme", "Acme", "en")
    candidate = Candidate("SP-1", status, contact, at, at, at)
    if encoded is None:
        return candidate
    return attrs.evolve(candidate, credential_digest=account_rules.credential_digest(encoded))


def put_back_before_email_change(program: Program) -> tuple[str, str | None]:
    """Ada registers as ada@example.com and moves to ada@example.org; her candidate row
    and ``candidate_email`` index entry from before are put back. Returns her ID and
    her current row (to put back in turn)."""
    cid = register_active(program, "ada@example.com")
    rows = LedgerRows(program)
    before = rows.get_record("candidate", cid)
    change_email(program, cid, "ada@example.org")
    current = rows.get_record("candidate", cid)
    rows.put_record("candidate", cid, before)
    with program.store.transaction() as tx:
        tx.index_put(EMAIL_INDEX, email_key("ada@example.com"), cid)
    return cid, current
