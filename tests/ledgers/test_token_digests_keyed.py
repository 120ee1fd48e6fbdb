"""Token digests keyed under the ledger key: a token row written by hand redeems nothing.

A program with a ledger key stores each token's digest as HMAC-SHA-256 under a key
derived from the ledger key, and seals the record's purpose, subject, generation and
lifetime with another derived key. Before, the digest was plain SHA-256: anyone able
to write to the database wrote one ``token`` row carrying the SHA-256 of a secret of
their own choosing, for somebody else's account and the reset purpose, and
``reset_password`` with that secret took the account over (a legitimate
``password_changed`` entry, ``verify_all()`` ok). Now such a row, or a genuine row
moved onto another account, is refused as an unknown link (``token_invalid``). Rows
are written through the store's own transaction API, as the other tamper tests do.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import attrs
import pytest
from ledger_rows import LedgerRows

from _programs import FORM, PASSWORD, START, ProgramFactory, register_active, register_form
from symprogram import Program
from symprogram.accounts import BulkCandidate, ContactDetails, ScryptHasher
from symprogram.errors import PermissionDenied, TokenError
from symprogram.ledger_keys import LedgerKeys
from symprogram.serialization import dumps_without
from symprogram.tokens import TOKEN_KIND, TokenKey, TokenRecord, _sealed, digest

KEY = b"token digests ledger key, 32 b.."
NEXT = b"token digests next ledger key 32"
CHOSEN = "A" * 43  # a well-formed secret the attacker chose
NEW = "the attacker's new passphrase"


def _row(record: TokenRecord) -> str:
    return dumps_without(record, frozenset({"version"}))


def _reset_refused(program: Program, secret: str) -> str:
    with pytest.raises(TokenError) as caught:
        program.accounts.reset_password(secret, NEW)
    return caught.value.code


def _token_rows(rows: LedgerRows) -> dict[str, dict[str, Any]]:
    """Every stored token row's fields, by key."""
    found = {}
    for key in rows.keys(TOKEN_KIND):
        text = rows.get_record(TOKEN_KIND, key)
        assert text is not None
        found[key] = json.loads(text)
    return found


def _minted(subject: str, secret: str) -> TokenRecord:
    """A reset row for ``subject`` with the SHA-256 of ``secret``, valid for years."""
    return TokenRecord(
        hashlib.sha256(secret.encode()).hexdigest(),
        "password_reset",
        subject,
        START,
        START + timedelta(days=3650),
        generation=10**6,  # no revocation can refuse it
    )


def _victim(program: Program) -> str:
    return register_active(program, "victim@example.com")


def test_a_token_row_minted_for_a_victim_is_refused(
    make_program: ProgramFactory, backend: str
) -> None:
    """The takeover: a reset row with the SHA-256 of a chosen secret, for the victim.
    With a ledger key the secret is an unknown link and the password stays; so is a
    row digested and sealed under a key of the attacker's own."""
    program = make_program(backend, ledger_key=KEY)
    cid = _victim(program)
    rows = LedgerRows(program)
    forged = _minted(cid, CHOSEN)
    rows.put_record(TOKEN_KIND, forged.digest, _row(forged))
    assert "token_invalid" == _reset_refused(program, CHOSEN)
    theirs = TokenKey.derive(b"the attacker's own key, 32 bytes")
    forged = _sealed(theirs, attrs.evolve(forged, digest=digest(CHOSEN, theirs)))
    rows.put_record(TOKEN_KIND, forged.digest, _row(forged))
    assert "token_invalid" == _reset_refused(program, CHOSEN)
    assert cid == program.accounts.authenticate("victim@example.com", PASSWORD).candidate_id
    with pytest.raises(PermissionDenied):
        program.accounts.authenticate("victim@example.com", NEW)


def test_a_genuine_row_moved_onto_another_account_is_refused(
    make_program: ProgramFactory, backend: str
) -> None:
    """The attacker asks for a reset of their own account and moves the row onto the
    victim's (subject, and a generation no revocation refuses): refused as unknown, on
    every backend; the row as issued still resets the attacker's own password."""
    program = make_program(backend, ledger_key=KEY)
    cid = _victim(program)
    register_active(program, "mallory@example.com")
    program.accounts.request_password_reset("mallory@example.com")
    secret = program.notifier.last("password_reset", to="mallory@example.com").data["token"]
    rows = LedgerRows(program)
    (key,) = [k for k, data in _token_rows(rows).items() if data["purpose"] == "password_reset"]
    original = rows.get_record(TOKEN_KIND, key)
    assert original is not None
    for change in ({"subject": cid}, {"generation": 10**6}, {"expires_at": "2099-01-01T00:00:00Z"}):
        rows.put_record(TOKEN_KIND, key, json.dumps({**json.loads(original), **change}))
        assert "token_invalid" == _reset_refused(program, secret)
    assert cid == program.accounts.authenticate("victim@example.com", PASSWORD).candidate_id
    rows.put_record(TOKEN_KIND, key, original)
    program.accounts.reset_password(secret, NEW)
    program.accounts.authenticate("mallory@example.com", NEW)
    assert program.verify_all().ok


def _every_link(program: Program) -> list[tuple[str, str]]:
    """Use a link of every purpose; return ``(purpose, secret)`` of each one used."""
    accounts = program.accounts
    used = []
    receipt = accounts.accept_terms(path="create_account").token
    assert receipt is not None
    used.append(("terms_acceptance", receipt))
    register_form(accounts, "ada@example.com", terms_receipt=receipt)
    accounts.resend_activation("ada@example.com")
    token = program.notifier.last("activation", to="ada@example.com").data["token"]
    cid = str(accounts.activate(token).candidate_id)
    used.append(("activation", token))
    accounts.request_password_reset("ada@example.com")
    token = program.notifier.last("password_reset", to="ada@example.com").data["token"]
    accounts.reset_password(token, NEW)
    used.append(("password_reset", token))
    accounts.request_email_change(cid, "ada@example.org")
    token = program.notifier.last("email_verification", to="ada@example.org").data["token"]
    assert "ada@example.org" == accounts.confirm_email_change(token).contact.email
    used.append(("email_verification", token))
    contact = ContactDetails(email="bob@example.com", **FORM)
    accounts.register_many([BulkCandidate(contact, ScryptHasher(n=2**4).hash(PASSWORD))])
    token = program.notifier.last("activation", to="bob@example.com").data["token"]
    accounts.activate(token)
    used.append(("activation", token))
    return used


def test_every_link_is_stored_keyed_and_works(make_program: ProgramFactory, backend: str) -> None:
    """Terms receipt, activation (resent), reset, e-mail change and a bulk activation
    all work with a ledger key, and none of their rows is keyed by a plain SHA-256."""
    program = make_program(backend, ledger_key=KEY)
    used = _every_link(program)
    keys = set(LedgerRows(program).keys(TOKEN_KIND))
    token_key = TokenKey.derive(KEY)
    for _purpose, secret in used:
        assert digest(secret) not in keys
        assert digest(secret, token_key) in keys
    assert program.accounts.authenticate("ada@example.org", NEW)
    assert program.verify_all().ok


def test_a_token_issued_before_a_rotation_works_while_its_key_is_in_the_ring(
    make_program: ProgramFactory, backend: str
) -> None:
    """A reset link issued under the old key resets the password after the rotation
    (the old key retired); without the old key in the ring it is an unknown link."""
    program = make_program(backend, ledger_key=KEY)
    _victim(program)
    program.accounts.request_password_reset("victim@example.com")
    secret = program.notifier.last("password_reset").data["token"]
    options = {"accounts": {"hasher": ScryptHasher(n=2**4)}}
    dropped = Program(program.store, clock=program.clock, ledger_key=NEXT, options=options)
    assert "token_invalid" == _reset_refused(dropped, secret)
    ring = LedgerKeys(NEXT, retired=(KEY,))
    rotated = Program(program.store, clock=program.clock, ledger_key=ring, options=options)
    rotated.accounts.reset_password(secret, NEW)
    assert "token_used" == _reset_refused(rotated, secret)
    rotated.accounts.request_password_reset("victim@example.com")
    fresh = rotated.notifier.last("password_reset").data["token"]
    assert digest(fresh, TokenKey.derive(NEXT)) in LedgerRows(rotated).keys(TOKEN_KIND)


def test_a_token_stored_unkeyed_stops_working_once_a_key_is_set(
    make_program: ProgramFactory,
) -> None:
    """Upgrade: a link issued while the program had no ledger key is an unknown link
    once it has one (its row could have been written by anybody)."""
    program = make_program("sqlite")
    _victim(program)
    program.accounts.request_password_reset("victim@example.com")
    secret = program.notifier.last("password_reset").data["token"]
    keyed = make_program("sqlite", ledger_key=KEY)
    assert "token_invalid" == _reset_refused(keyed, secret)
