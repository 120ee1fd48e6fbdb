"""Accounts from before credential digests were recorded get one (``credential_anchored``).

An account whose history never recorded a ``credential_digest`` (its hash set by an
older build) was not checked at all until its next password change, reset or
rehash: a hash written over it logged in and ``verify_all()`` stayed ok. Now its
next successful log-in records the digest of its stored hash, and
``anchor_credentials`` does so for every such account at once; from then on the
stored hash is checked like any other account's.
"""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_rows import LedgerRows, without_credential_digests

from _programs import (
    FORM,
    PASSWORD,
    ProgramFactory,
    register_active,
    register_form,
    reported_mismatches,
)
from symprogram import Program
from symprogram.accounts import (
    BulkCandidate,
    ContactDetails,
    CredentialAnchored,
    ScryptHasher,
)
from symprogram.accounts import rules as account_rules
from symprogram.errors import PermissionDenied, SymprogramError, ValidationError

KEY = b"credential anchoring ledger key!!"
ATTACKER = "the attacker's own passphrase"
WRONG = "certainly not the password"
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def _stored_hash(program: Program, cid: str) -> str:
    text = LedgerRows(program).get_record("account_credential", cid)
    assert text is not None
    return str(json.loads(text)["password_hash"])


def _write_hash(program: Program, cid: str, password: str) -> None:
    """Write a hash of ``password`` over the account's stored one, as by hand."""
    rows = LedgerRows(program)
    text = rows.get_record("account_credential", cid)
    assert text is not None
    forged = {**json.loads(text), "password_hash": ScryptHasher(n=2**4).hash(password)}
    rows.put_record("account_credential", cid, json.dumps(forged))


def _anchors(program: Program, cid: str) -> list[dict[str, Any] | None]:
    """The data of the ``credential_anchored`` entries of ``cid``'s history."""
    return [e.data for e in program.history.history(cid) if e.kind == "credential_anchored"]


def _old_account(program: Program, email: str) -> str:
    """An active account of ``email`` whose hash was set before digests were recorded."""
    cid = register_active(program, email)
    without_credential_digests(program, cid)
    return cid


def _refused(program: Program, email: str, password: str) -> None:
    with pytest.raises(PermissionDenied) as caught:
        program.accounts.authenticate(email, password)
    assert "invalid_credentials" == caught.value.code


def _tampering_is_caught(program: Program, cid: str, email: str, password: str) -> None:
    """A hash of the attacker's password written over ``cid``'s: reported by
    ``verify_all()`` and refused at log-in (and the owner's password no longer matches)."""
    _write_hash(program, cid, ATTACKER)
    assert ("account_credential", cid, "password_hash") in reported_mismatches(program)
    _refused(program, email, ATTACKER)
    _refused(program, email, password)


# -- on the next successful log-in -------------------------------------------------------


def test_a_pre_digest_account_is_anchored_on_its_next_successful_log_in(
    make_program: ProgramFactory, backend: str
) -> None:
    """A wrong password writes nothing of the kind; the right one records a
    ``credential_anchored`` entry (``method`` ``log_in``, the digest of the hash it was
    verified against, kept on the candidate), publishes it, sends nothing and keeps
    ``verify_all()`` ok; a hash written in afterwards is reported and refused."""
    program = make_program(backend, ledger_key=KEY)
    cid = _old_account(program, "ada@example.com")
    published: list[CredentialAnchored] = []
    program.subscribe(CredentialAnchored, published.append)
    length = len(program.history.history(cid))
    _refused(program, "ada@example.com", WRONG)
    assert length == len(program.history.history(cid))
    assert program.accounts.get_candidate(cid).credential_digest is None
    stored = _stored_hash(program, cid)
    digest = account_rules.credential_digest(stored)
    sent = len(program.notifier.messages)
    assert cid == program.accounts.authenticate("ada@example.com", PASSWORD).candidate_id
    assert [{"credential_digest": digest, "method": "log_in"}] == _anchors(program, cid)
    assert length + 1 == len(program.history.history(cid))
    assert digest == program.accounts.get_candidate(cid).credential_digest
    assert [(cid, digest, "log_in")] == [
        (e.subject, e.credential_digest, e.method) for e in published
    ]
    assert sent == len(program.notifier.messages)
    assert stored == _stored_hash(program, cid)  # the hash itself is kept
    assert program.verify_all().ok
    assert cid == program.accounts.authenticate("ada@example.com", PASSWORD).candidate_id
    assert 1 == len(_anchors(program, cid))  # once
    _tampering_is_caught(program, cid, "ada@example.com", PASSWORD)


def test_a_correct_password_of_an_account_that_is_not_active_anchors_nothing(
    make_program: ProgramFactory,
) -> None:
    """A refused log-in (a suspended account, the right password) writes no anchor;
    reinstated, the account's next log-in does."""
    program = make_program("memory", ledger_key=KEY)
    cid = _old_account(program, "ada@example.com")
    program.accounts.suspend(cid, "review")
    with pytest.raises(PermissionDenied) as caught:
        program.accounts.authenticate("ada@example.com", PASSWORD)
    assert "account_suspended" == caught.value.code
    assert [] == _anchors(program, cid)
    program.accounts.reinstate(cid)
    program.accounts.authenticate("ada@example.com", PASSWORD)
    assert ["log_in"] == [data and data["method"] for data in _anchors(program, cid)]


# -- the batch migration -----------------------------------------------------------------


def _contact(email: str) -> ContactDetails:
    return ContactDetails(email=email, **FORM)


def _key(program: Program, email: str) -> str:
    found = program.accounts.find_by_email(email)
    assert found is not None
    return str(found.candidate_id)


@pytest.mark.parametrize("batch", [1, 2, 500])
def test_anchor_credentials_anchors_every_pre_digest_account_once(
    make_program: ProgramFactory, backend: str, batch: int
) -> None:
    """Old accounts (active, pending activation, imported without a password) are
    anchored (``method`` ``migration``) whatever the batch; accounts with a digest and
    an erased one are left alone; a second run anchors nothing; ``verify_all()`` stays
    ok, and a hash written over any anchored account is then reported and refused."""
    program = make_program(backend, ledger_key=KEY)
    active = _old_account(program, "ada@example.com")
    register_form(program.accounts, "bob@example.com")
    pending = _key(program, "bob@example.com")
    without_credential_digests(program, pending)
    program.accounts.register_many([BulkCandidate(_contact("cy@example.com"), None)])
    imported = _key(program, "cy@example.com")
    without_credential_digests(program, imported)
    current = register_active(program, "dee@example.com")
    erased = _old_account(program, "eve@example.com")
    program.erase_person(erased, reason="request")
    before = {cid: len(program.history.history(cid)) for cid in (current, erased)}
    assert 3 == program.accounts.anchor_credentials(batch=batch)
    for cid in (active, pending, imported):
        digest = account_rules.credential_digest(_stored_hash(program, cid))
        assert [{"credential_digest": digest, "method": "migration"}] == _anchors(program, cid)
        assert digest == program.accounts.get_candidate(cid).credential_digest
    assert before == {cid: len(program.history.history(cid)) for cid in before}
    assert program.verify_all().ok
    assert 0 == program.accounts.anchor_credentials(batch=batch)
    assert 0 == program.accounts.anchor_credentials()
    program.accounts.authenticate("ada@example.com", PASSWORD)
    assert 1 == len(_anchors(program, active))  # the log-in found it anchored
    for cid in (pending, imported):
        _write_hash(program, cid, ATTACKER)
        assert ("account_credential", cid, "password_hash") in reported_mismatches(program)
    _tampering_is_caught(program, active, "ada@example.com", PASSWORD)


def test_anchor_credentials_leaves_alone_what_it_cannot_vouch_for(
    make_program: ProgramFactory,
) -> None:
    """Not anchored: an old account whose history does not verify (still refused at
    log-in, still reported), one whose stored candidate cannot be read, and a candidate
    whose digest was cleared by hand while its history recorded one (reported as it was,
    its hash still checked against the history)."""
    program = make_program("sqlite", ledger_key=KEY)
    rows = LedgerRows(program)
    edited = _old_account(program, "ada@example.com")
    stream = f"history:{edited}"
    position, text = rows.read(stream)[0]
    raw = json.loads(text)
    raw["data"]["email"] = "someone@example.com"
    rows.rewrite(stream, position, raw)
    unreadable = _old_account(program, "bob@example.com")
    rows.put_record("candidate", unreadable, "{not json")
    cleared = register_active(program, "cy@example.com")
    text = rows.get_record("candidate", cleared)
    assert text is not None
    row = {**json.loads(text), "credential_digest": None}
    rows.put_record("candidate", cleared, json.dumps(row))
    assert 0 == program.accounts.anchor_credentials()
    assert [] == _anchors(program, edited) == _anchors(program, cleared)
    assert not program.history.verify(edited).ok
    _refused(program, "ada@example.com", PASSWORD)
    assert ("candidate", cleared, "credential_digest") in reported_mismatches(program)
    _write_hash(program, cleared, ATTACKER)
    _refused(program, "cy@example.com", ATTACKER)


@pytest.mark.parametrize("batch", [0, 10_001, -1, True, 2.5, "5", None])
def test_anchor_credentials_refuses_a_bad_batch(program: Program, batch: object) -> None:
    """A batch that is not an integer from 1 to 10,000: ``invalid_batch``, nothing written."""
    cid = _old_account(program, "ada@example.com")
    with pytest.raises(ValidationError) as caught:
        program.accounts.anchor_credentials(batch=batch)  # type: ignore[arg-type]
    assert ("invalid_batch", "batch") == (caught.value.code, caught.value.field)
    assert [] == _anchors(program, cid)


# -- whatever happens first ---------------------------------------------------------------

STEPS = ("log in", "wrong password", "anchor", "change", "reset", "suspend", "reinstate")


def _step(program: Program, cid: str, step: str, password: str, n: int) -> str:
    """Do ``step`` on Ada's account; return its password afterwards."""
    accounts = program.accounts
    new = f"fresh passphrase number {n}"
    if step == "log in":
        accounts.authenticate("ada@example.com", password)
    elif step == "wrong password":
        with suppress(PermissionDenied):
            accounts.authenticate("ada@example.com", WRONG)
    elif step == "anchor":
        program.accounts.anchor_credentials(batch=1)
    elif step == "change":
        accounts.change_password(cid, password, new)
        return new
    elif step == "reset":
        accounts.request_password_reset("ada@example.com")
        token = program.notifier.last("password_reset", to="ada@example.com").data["token"]
        accounts.reset_password(token, new)
        return new
    elif step == "suspend":
        accounts.suspend(cid, "review")
    else:
        accounts.reinstate(cid)
    return password


@settings(max_examples=25, deadline=None, suppress_health_check=HEALTH)
@given(steps=st.lists(st.sampled_from(STEPS), min_size=1, max_size=6))
def test_once_a_digest_is_recorded_the_hash_is_checked(
    make_program: ProgramFactory, steps: list[str]
) -> None:
    """An old account through log-ins, failed log-ins, the migration, changes, resets,
    suspension: ``verify_all()`` stays ok, at most one ``credential_anchored`` entry is
    written and only while no digest was recorded, the current password keeps logging
    in, and once the history records a digest a hash written in is reported and refused."""
    program = make_program("memory", ledger_key=KEY)
    cid = _old_account(program, "ada@example.com")
    password = PASSWORD
    for n, step in enumerate(steps):
        with suppress(SymprogramError):  # a refused step changes nothing
            password = _step(program, cid, step, password, n)
        assert program.verify_all().ok, (step, program.verify_all().failures)
    kinds = [e.kind for e in program.history.history(cid)]
    assert kinds.count("credential_anchored") <= 1
    if "credential_anchored" in kinds:
        earlier = kinds[: kinds.index("credential_anchored")]
        assert not {"password_changed", "password_rehashed"} & set(earlier)
    if str(program.accounts.get_candidate(cid).status) == "suspended":
        program.accounts.reinstate(cid)
    assert cid == program.accounts.authenticate("ada@example.com", password).candidate_id
    # the log-in above anchored the account if nothing had recorded a digest yet
    assert program.accounts.get_candidate(cid).credential_digest is not None
    _tampering_is_caught(program, cid, "ada@example.com", password)
