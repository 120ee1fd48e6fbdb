"""The stored password hash anchored to the account history (``account_credential``).

The hash is kept apart from the candidate, in a record of its own. Before, nothing
anchored it: a credential row kept from before a password change and written back
let the old password log in again, and a hash of an attacker's own password written
in by hand logged the attacker in, while ``verify_all()`` stayed ok even with a
ledger key. Now every entry that sets the hash (``candidate_registered``,
``password_changed``, ``password_rehashed``) records its SHA-256
(``credential_digest``), which the candidate keeps too: the history's verification
compares the stored hash with it (``aggregate_mismatch`` of kind
``account_credential``) and a log-in refuses a hash that does not match it exactly
as it refuses a wrong password.
"""

from __future__ import annotations

import json
import unicodedata
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_rows import LedgerRows, without_credential_digests

from _programs import FORM, PASSWORD, ProgramFactory, register_active
from symprogram import Program
from symprogram._anchors import UNKNOWN, AggregateMismatch
from symprogram.accounts import (
    AccountStatus,
    BulkCandidate,
    Candidate,
    ContactDetails,
    ScryptHasher,
)
from symprogram.accounts import rules as account_rules
from symprogram.errors import PermissionDenied, SymprogramError

KEY = b"credential anchors ledger key 32b"
NEW = "a brand new secret phrase"
ATTACKER = "the attacker's own passphrase"
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def _mismatches(program: Program) -> set[tuple[str, str]]:
    """``(kind, field)`` of every ``aggregate_mismatch`` ``verify_all()`` reports."""
    return {
        (problem.kind, problem.field)
        for failed in program.verify_all().failures
        for problem in failed.problems
        if isinstance(problem, AggregateMismatch)
    }


def _refusal(program: Program, email: str, password: str) -> tuple[str, str, str | None]:
    with pytest.raises(PermissionDenied) as caught:
        program.accounts.authenticate(email, password)
    return caught.value.code, str(caught.value), caught.value.field


def _failed_log_ins(rows: LedgerRows) -> list[int]:
    """How many failed log-ins each request log holds."""
    return sorted(
        len(json.loads(text).get("instants", []))
        for key in rows.keys("account_request_log")
        if key.startswith("login_failed:")
        and (text := rows.get_record("account_request_log", key)) is not None
    )


def test_a_credential_row_put_back_after_a_password_change_is_reported_and_refused(
    program: Program,
) -> None:
    """The credential row from before ``change_password`` written back (at the new
    version): ``verify_all()`` reports ``account_credential``, and the old password
    is refused as a wrong one, counted as a failed log-in; so is a change of it."""
    cid = register_active(program, "ada@example.com")
    rows = LedgerRows(program)
    old = rows.get_record("account_credential", cid)
    program.accounts.change_password(cid, PASSWORD, NEW)
    assert program.verify_all().ok
    rows.put_record("account_credential", cid, old)
    assert {("account_credential", "password_hash")} == _mismatches(program)
    assert not program.history.verify(cid).ok
    wrong = _refusal(program, "ada@example.com", "not the password at all")
    assert [1] == _failed_log_ins(rows)
    assert wrong == _refusal(program, "ada@example.com", PASSWORD)
    assert [2] == _failed_log_ins(rows)  # counted as any failed log-in
    with pytest.raises(PermissionDenied) as caught:
        program.accounts.change_password(cid, PASSWORD, "yet another passphrase")
    assert "invalid_credentials" == caught.value.code


def test_a_hash_written_in_by_hand_is_reported_and_refused(program: Program) -> None:
    """A hash of the attacker's own password written over the account's: reported,
    and that password refused as a wrong one."""
    cid = register_active(program, "ada@example.com")
    rows = LedgerRows(program)
    text = rows.get_record("account_credential", cid)
    assert text is not None
    forged = {**json.loads(text), "password_hash": ScryptHasher(n=2**4).hash(ATTACKER)}
    rows.put_record("account_credential", cid, json.dumps(forged))
    assert {("account_credential", "password_hash")} == _mismatches(program)
    wrong = _refusal(program, "ada@example.com", "not the password at all")
    assert wrong == _refusal(program, "ada@example.com", ATTACKER)


def test_a_credential_deleted_or_kept_after_erasure_is_reported(program: Program) -> None:
    """No credential where the history recorded one; one put back after the erasure."""
    cid = register_active(program, "ada@example.com")
    rows = LedgerRows(program)
    text = rows.get_record("account_credential", cid)
    rows.put_record("account_credential", cid, None)
    assert {("account_credential", "password_hash")} == _mismatches(program)
    rows.put_record("account_credential", cid, text)
    program.erase_person(cid, reason="request")
    assert program.verify_all().ok
    rows.put_record("account_credential", cid, text)
    assert {("account_credential", "password_hash")} == _mismatches(program)


def test_the_candidate_and_credential_rows_put_back_together_are_reported(
    program: Program,
) -> None:
    """Both rows from before the change (the candidate's digest matching the old hash):
    the candidate's ``credential_digest`` and the credential are reported."""
    cid = register_active(program, "ada@example.com")
    rows = LedgerRows(program)
    kept = {kind: rows.get_record(kind, cid) for kind in ("candidate", "account_credential")}
    program.accounts.change_password(cid, PASSWORD, NEW)
    for kind, text in kept.items():
        rows.put_record(kind, cid, text)
    assert {
        ("candidate", "credential_digest"),
        ("account_credential", "password_hash"),
    } == _mismatches(program)


def _contact(email: str) -> ContactDetails:
    return ContactDetails(email=email, **FORM)


def test_rehashes_on_log_in_are_recorded_and_keep_verify_all_ok(
    make_program: ProgramFactory,
) -> None:
    """A pre-hashed import weaker than the policy, and one of the password as typed
    (not NFKC), are replaced on the first log-in: a ``password_rehashed`` entry,
    nothing sent, ``verify_all()`` ok, and the password keeps working."""
    program = make_program(
        "memory", ledger_key=KEY, options={"accounts": {"hasher": ScryptHasher(n=2**5)}}
    )
    accounts = program.accounts
    raw = unicodedata.normalize("NFD", "\uff21\u00e9roport \ufb01lm passphrase")
    weaker = ScryptHasher(n=2**4)
    accounts.register_many(
        [
            BulkCandidate(_contact("ada@example.com"), weaker.hash(PASSWORD)),
            BulkCandidate(_contact("bob@example.com"), ScryptHasher(n=2**5).hash(raw)),
        ]
    )
    for email, password in (("ada@example.com", PASSWORD), ("bob@example.com", raw)):
        token = program.notifier.last("activation", to=email).data["token"]
        cid = accounts.activate(token).candidate_id
        sent = len(program.notifier.messages)
        assert cid == accounts.authenticate(email, password).candidate_id
        assert "password_rehashed" == program.history.history(cid)[-1].kind
        assert sent == len(program.notifier.messages)
        assert program.verify_all().ok
        assert cid == accounts.authenticate(email, password).candidate_id


STEPS = ("change", "reset", "log in", "wrong password", "erase")
STARTS = ("register", "bulk with hash", "bulk without hash")


def _start(program: Program, start: str) -> tuple[str, str | None]:
    """Open Ada's account as ``start`` says; return its ID and password (``None``: none)."""
    if start == "register":
        return register_active(program, "ada@example.com"), PASSWORD
    hashed = ScryptHasher(n=2**4).hash(PASSWORD) if start == "bulk with hash" else None
    program.accounts.register_many([BulkCandidate(_contact("ada@example.com"), hashed)])
    token = program.notifier.last("activation", to="ada@example.com").data["token"]
    cid = program.accounts.activate(token).candidate_id
    return cid, None if hashed is None else PASSWORD


def _step(program: Program, cid: str, step: str, password: str | None, n: int) -> str | None:
    """Do ``step``; return the password afterwards."""
    accounts = program.accounts
    new = f"fresh passphrase number {n}"
    if step == "change" and password is not None:
        accounts.change_password(cid, password, new)
        return new
    if step == "reset":
        accounts.request_password_reset("ada@example.com")
        token = program.notifier.last("password_reset", to="ada@example.com").data["token"]
        accounts.reset_password(token, new)
        return new
    if step == "log in" and password is not None:
        accounts.authenticate("ada@example.com", password)
    elif step == "wrong password":
        with suppress(PermissionDenied):
            accounts.authenticate("ada@example.com", "certainly not it at all")
    elif step == "erase":
        program.erase_person(cid, reason="request")
    return password


@settings(max_examples=25, deadline=None, suppress_health_check=HEALTH)
@given(start=st.sampled_from(STARTS), steps=st.lists(st.sampled_from(STEPS), max_size=6))
def test_every_legitimate_credential_change_keeps_verify_all_ok(
    make_program: ProgramFactory, start: str, steps: list[str]
) -> None:
    """Registration (one by one, in bulk with or without a hash), changes, resets,
    log-ins, failed log-ins and erasure: ``verify_all()`` stays ok, and the current
    password of a live account logs in; the first credential, put back after it was
    replaced, is reported and its password refused."""
    program = make_program("memory", ledger_key=KEY)
    cid, password = _start(program, start)
    rows = LedgerRows(program)
    first, first_password = rows.get_record("account_credential", cid), password
    erased = False
    for n, step in enumerate(steps):
        with suppress(SymprogramError):  # a refused step changes nothing
            password = _step(program, cid, step, password, n)
        erased = erased or step == "erase"
        assert program.verify_all().ok, (step, program.verify_all().failures)
    if password is not None and not erased:
        assert cid == program.accounts.authenticate("ada@example.com", password).candidate_id
    if not erased and rows.get_record("account_credential", cid) != first:
        rows.put_record("account_credential", cid, first)
        assert {("account_credential", "password_hash")} == _mismatches(program)
        if first_password is not None:
            with pytest.raises(PermissionDenied):
                program.accounts.authenticate("ada@example.com", first_password)


def test_the_rule_skips_a_history_that_recorded_no_digest() -> None:
    """Entries written before digests were recorded (or erased) say nothing of the
    hash: nothing is compared until an entry records a digest."""
    old: list[tuple[str, dict[str, Any] | None]] = [
        ("candidate_registered", {"email": "ada@example.com"}),
        ("password_changed", {"method": "reset"}),
    ]
    assert UNKNOWN is account_rules.said_credential(old)
    assert () == account_rules.credential_differences("SP-1", "$scrypt$x", old)
    assert () == account_rules.credential_differences("SP-1", None, old)
    erased = [("candidate_registered", None)]
    assert () == account_rules.credential_differences("SP-1", "$scrypt$x", erased)
    digest = account_rules.credential_digest("$scrypt$x")
    recorded = [*old, ("password_rehashed", {"credential_digest": digest})]
    assert () == account_rules.credential_differences("SP-1", "$scrypt$x", recorded)
    [found] = account_rules.credential_differences("SP-1", "$scrypt$y", recorded)
    assert ("account_credential", "password_hash", True) == (
        found.kind,
        found.field,
        found.personal,
    )


def test_a_candidate_without_a_digest_logs_in_as_before() -> None:
    """A candidate stored before digests were kept (``credential_digest`` ``None``)
    is not compared: its hash is accepted as it was."""
    at = datetime(2012, 3, 1, tzinfo=UTC)
    old = Candidate("SP-1", AccountStatus.ACTIVE, _contact("ada@example.com"), at, at, at)
    assert account_rules.credential_anchored(None, "$scrypt$x")
    assert account_rules.credential_anchored(old, "$scrypt$x")
    digest = account_rules.credential_digest("$scrypt$y")
    anchored = attrs.evolve(old, credential_digest=digest)
    assert not account_rules.credential_anchored(anchored, "$scrypt$x")
    assert account_rules.credential_anchored(anchored, "$scrypt$y")


@pytest.mark.parametrize("junk", ["\u00e9" * 64, "\ud800", 5, ["a"]])
def test_a_candidate_digest_written_in_by_hand_is_refused_not_raised(
    program: Program, junk: object
) -> None:
    """Any value written into the candidate's ``credential_digest`` (non-ASCII text,
    a lone surrogate, a number) refuses the log-in as a wrong password and is
    reported; no other exception escapes."""
    cid = register_active(program, "ada@example.com")
    rows = LedgerRows(program)
    text = rows.get_record("candidate", cid)
    assert text is not None
    rows.put_record("candidate", cid, json.dumps({**json.loads(text), "credential_digest": junk}))
    wrong = _refusal(program, "ada@example.com", "not the password at all")
    assert wrong == _refusal(program, "ada@example.com", PASSWORD)
    assert ("candidate", "credential_digest") in _mismatches(program)


# -- a candidate whose digest is gone: the history decides ----------------------------


def _clear_digest(rows: LedgerRows, cid: str, how: str) -> None:
    """Set the stored candidate's ``credential_digest`` to null, or drop it from the row."""
    text = rows.get_record("candidate", cid)
    assert text is not None
    row = json.loads(text)
    if how == "null":
        row["credential_digest"] = None
    else:
        del row["credential_digest"]
    rows.put_record("candidate", cid, json.dumps(row))


def _write_hash(rows: LedgerRows, cid: str, password: str) -> None:
    """Write a hash of ``password`` over the account's stored one."""
    text = rows.get_record("account_credential", cid)
    assert text is not None
    forged = {**json.loads(text), "password_hash": ScryptHasher(n=2**4).hash(password)}
    rows.put_record("account_credential", cid, json.dumps(forged))


def _write_hash_and_digest(rows: LedgerRows, cid: str, password: str) -> None:
    """Write a hash of ``password`` over the account's, and its digest over the
    candidate's: the two rows agree with each other, not with the history."""
    _write_hash(rows, cid, password)
    forged = json.loads(rows.get_record("account_credential", cid) or "{}")["password_hash"]
    candidate = json.loads(rows.get_record("candidate", cid) or "{}")
    candidate["credential_digest"] = account_rules.credential_digest(forged)
    rows.put_record("candidate", cid, json.dumps(candidate))


def _without_digests(program: Program, cid: str) -> None:
    """Rewrite ``cid``'s history as a build that recorded no digest wrote it (with the
    program's key: the history verifies), and drop the candidate's digest."""
    without_credential_digests(program, cid)


@pytest.mark.parametrize("how", ["null", "absent"])
def test_a_digest_cleared_with_a_hash_written_in_is_refused_as_a_wrong_password(
    program: Program, how: str
) -> None:
    """The candidate's ``credential_digest`` cleared (null, or dropped from the row) and
    a hash of the attacker's own password written in: the history recorded a digest,
    so that password is refused exactly as a wrong one (the same code, message and
    field, counted as a failed log-in), and so is a password change with it; both
    rows are reported."""
    cid = register_active(program, "ada@example.com")
    rows = LedgerRows(program)
    _clear_digest(rows, cid, how)
    _write_hash(rows, cid, ATTACKER)
    wrong = _refusal(program, "ada@example.com", "not the password at all")
    assert [1] == _failed_log_ins(rows)
    assert wrong == _refusal(program, "ada@example.com", ATTACKER)
    assert [2] == _failed_log_ins(rows)
    assert wrong == _refusal(program, "ada@example.com", PASSWORD)
    with pytest.raises(PermissionDenied) as caught:
        program.accounts.change_password(cid, ATTACKER, "yet another passphrase")
    assert "invalid_credentials" == caught.value.code
    assert {
        ("candidate", "credential_digest"),
        ("account_credential", "password_hash"),
    } <= _mismatches(program)


def test_a_hash_and_its_digest_written_in_together_are_refused_as_a_wrong_password(
    program: Program,
) -> None:
    """A hash of the attacker's own password written in with its digest on the
    candidate row, so that the two rows agree with each other but not with the
    history (no entry records that digest): that password is refused exactly as a
    wrong one, counted as a failed log-in, and so is a password change with it."""
    cid = register_active(program, "ada@example.com")
    rows = LedgerRows(program)
    _write_hash_and_digest(rows, cid, ATTACKER)
    wrong = _refusal(program, "ada@example.com", "not the password at all")
    assert [1] == _failed_log_ins(rows)
    assert wrong == _refusal(program, "ada@example.com", ATTACKER)
    assert [2] == _failed_log_ins(rows)
    with pytest.raises(PermissionDenied) as caught:
        program.accounts.change_password(cid, ATTACKER, "yet another passphrase")
    assert "invalid_credentials" == caught.value.code
    assert ("account_credential", "password_hash") in _mismatches(program)


def test_an_account_whose_history_never_recorded_a_digest_logs_in_as_before(
    make_program: ProgramFactory,
) -> None:
    """A history written before digests were recorded (and no digest on the candidate):
    the stored hash is accepted, and the password can be changed; a hash written in
    then is refused."""
    program = make_program("memory", ledger_key=KEY)
    cid = register_active(program, "ada@example.com")
    _without_digests(program, cid)
    assert cid == program.accounts.authenticate("ada@example.com", PASSWORD).candidate_id
    program.accounts.change_password(cid, PASSWORD, NEW)
    assert cid == program.accounts.authenticate("ada@example.com", NEW).candidate_id
    rows = LedgerRows(program)
    _clear_digest(rows, cid, "null")
    _write_hash(rows, cid, ATTACKER)
    with pytest.raises(PermissionDenied):
        program.accounts.authenticate("ada@example.com", ATTACKER)


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_a_history_that_does_not_verify_vouches_for_no_hash(
    make_program: ProgramFactory, backend: str
) -> None:
    """A candidate without a digest whose history was edited (here: the digest taken out
    of its registration entry, so that it seems never recorded) is refused as a wrong
    password: a history that does not verify says nothing a log-in may rely on."""
    program = make_program(backend, ledger_key=KEY)
    cid = register_active(program, "ada@example.com")
    rows = LedgerRows(program)
    stream = f"history:{cid}"
    for position, text in rows.read(stream):
        raw = json.loads(text)
        if raw["data"] and "credential_digest" in raw["data"]:
            del raw["data"]["credential_digest"]
            rows.rewrite(stream, position, raw)
    _clear_digest(rows, cid, "null")
    _write_hash(rows, cid, ATTACKER)
    assert not program.history.verify(cid).ok
    wrong = _refusal(program, "ada@example.com", "not the password at all")
    assert wrong == _refusal(program, "ada@example.com", ATTACKER)


def _live_after(program: Program, start: str, steps: list[str]) -> tuple[str, str | None, bool]:
    """Open Ada's account as ``start`` says and take ``steps`` (a refused step changes
    nothing); return her ID, her password afterwards and whether she was erased."""
    cid, password = _start(program, start)
    erased = False
    for n, step in enumerate(steps):
        with suppress(SymprogramError):
            password = _step(program, cid, step, password, n)
        erased = erased or step == "erase"
    return cid, password, erased


@settings(max_examples=20, deadline=None, suppress_health_check=HEALTH)
@given(start=st.sampled_from(STARTS), steps=st.lists(st.sampled_from(STEPS), max_size=5))
def test_whatever_set_the_hash_last_a_cleared_digest_cannot_let_a_hash_in(
    make_program: ProgramFactory, start: str, steps: list[str]
) -> None:
    """Whichever entry recorded the digest last (registration one by one or in bulk,
    a change, a reset, a rehash), a live account whose candidate digest is cleared
    still logs in with its current password, and refuses a hash written in."""
    program = make_program("memory", ledger_key=KEY)
    cid, password, erased = _live_after(program, start, steps)
    if erased:
        return
    rows = LedgerRows(program)
    _clear_digest(rows, cid, "null")
    if password is not None:
        assert cid == program.accounts.authenticate("ada@example.com", password).candidate_id
    _clear_digest(rows, cid, "null")  # a rehash on log-in records a digest again
    _write_hash(rows, cid, ATTACKER)
    with pytest.raises(PermissionDenied):
        program.accounts.authenticate("ada@example.com", ATTACKER)


@settings(max_examples=20, deadline=None, suppress_health_check=HEALTH)
@given(start=st.sampled_from(STARTS), steps=st.lists(st.sampled_from(STEPS), max_size=5))
def test_whatever_set_the_hash_last_a_hash_written_in_with_its_digest_cannot_log_in(
    make_program: ProgramFactory, start: str, steps: list[str]
) -> None:
    """Whichever entry recorded the digest last (registration one by one or in bulk,
    a change, a reset, a rehash), a hash written in together with its own digest on
    the candidate row is refused: the history's last digest decides, not the row's."""
    program = make_program("memory", ledger_key=KEY)
    cid, _, erased = _live_after(program, start, steps)
    if erased:
        return
    rows = LedgerRows(program)
    _write_hash_and_digest(rows, cid, ATTACKER)
    with pytest.raises(PermissionDenied):
        program.accounts.authenticate("ada@example.com", ATTACKER)
