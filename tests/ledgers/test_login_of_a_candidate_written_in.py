"""A log-in refuses an account its history never recorded, whatever its index entry says.

A log-in takes the account the ``candidate_email`` index names when that account
holds the address, and checks its password hash against the digest the
candidate keeps. A candidate row written into the database by hand, with a
credential row and an index entry of its own (a genuine account's rows copied
under a new ID and address, or made up), passed both checks and logged in, while
``verify_all`` reported it. The log-in now also reads the account's history head
(for every address alike) and refuses an account whose history was never
written, or whose head is not authentic, exactly as a wrong password.
"""

from __future__ import annotations

import json

import pytest
from ledger_rows import LedgerRows

from _programs import PASSWORD, ProgramFactory, register_active
from symprogram import Program
from symprogram.accounts._text import email_key
from symprogram.accounts.ports import EMAIL_INDEX
from symprogram.errors import PermissionDenied
from symprogram.ledger import Ledger

FAKE = "SP-AAAA-BBBB-CCCC-D"
KEY = b"log-in of a written-in candidate"


def _written_in(program: Program, source: str, key: str, email: str) -> None:
    """``source``'s candidate and credential rows copied under ``key`` with ``email``,
    and an index entry giving ``email`` to ``key``, as a database writer would."""
    rows = LedgerRows(program)
    text = rows.get_record("candidate", source)
    credential = rows.get_record("account_credential", source)
    assert text is not None and credential is not None
    data = json.loads(text)
    data["candidate_id"] = key
    data["contact"]["email"] = email
    rows.put_record("candidate", key, json.dumps(data))
    rows.put_record("account_credential", key, credential.replace(source, key))
    with program.store.transaction() as tx:
        tx.index_put(EMAIL_INDEX, email_key(email), key)


def _refused(program: Program, email: str) -> None:
    with pytest.raises(PermissionDenied) as raised:
        program.accounts.authenticate(email, PASSWORD)
    assert "invalid_credentials" == raised.value.code


def test_a_candidate_written_in_with_its_index_entry_cannot_log_in(program: Program) -> None:
    """Ada's rows copied under a new ID and address, with its own index entry: the
    log-in is refused as a wrong password, ``verify_all`` reports it, and Ada still
    logs in."""
    ada = register_active(program, "ada@example.com")
    _written_in(program, ada, FAKE, "eve@example.com")
    _refused(program, "eve@example.com")
    assert any(f.subject == FAKE for f in program.history.verify_all())
    assert ada == program.accounts.authenticate("ada@example.com", PASSWORD).candidate_id


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_a_history_head_copied_along_does_not_vouch(
    make_program: ProgramFactory, backend: str
) -> None:
    """With a ledger key, Ada's history head copied to the written-in account's stream
    too: the head's MAC names Ada's stream, so it is not authentic there and the
    log-in is refused."""
    program = make_program(backend, ledger_key=KEY)
    ada = register_active(program, "ada@example.com")
    _written_in(program, ada, FAKE, "eve@example.com")
    history = program.ledgers.ledger("history")
    rows = LedgerRows(program)
    head = rows.get_record(Ledger.HEAD_KIND, history.stream(ada))
    assert head is not None
    rows.put_record(Ledger.HEAD_KIND, history.stream(FAKE), head)
    _refused(program, "eve@example.com")
