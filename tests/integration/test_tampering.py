"""Tampered SQLite files reopened through ``Program.open``.

Issue 3: "The history is tamper-evident (hash chain) and ``verify()`` detects any
edited or removed entry." Issue 6: "``verify()`` finds any edited, reordered or
removed record." docs/storage.md: a damaged file raises ``IntegrityError``
``database_corrupt``; a foreign file ``not_a_symprogram_database``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from integration_helpers import raw_rows, register_active, sql

from _programs import ProgramFactory, add_agreement, db_path, open_program
from symprogram import Program
from symprogram.errors import IntegrityError, StorageError, SymprogramError

KEY = b"integration ledger key"


def _build(make_program: ProgramFactory, *, ledger_key: bytes | None = None) -> str:
    with make_program("sqlite", ledger_key=ledger_key) as program:
        cid = register_active(program, "ada@example.com")
        program.accounts.suspend(cid, "audit")
        program.accounts.reinstate(cid)
        consent = program.consent
        consent.grant("s1", "special_offers", channel="web_form", evidence="box 2")
        consent.withdraw("s1", "special_offers", channel="phone")
        consent.grant("s1", "research", channel="web_form", evidence="box 3")
        assert program.history.verify(cid).ok
        assert consent.verify("s1").ok
    return cid


def _reopen(make_program: ProgramFactory, *, ledger_key: bytes | None = None) -> Program:
    return make_program("sqlite", ledger_key=ledger_key)


def _last(path: Path, stream: str) -> int:
    return max(p for s, p, _ in raw_rows(path, "sp_streams") if s == stream)


TAMPERS: dict[str, Callable[[Path, str], None]] = {
    "edit a history entry's data": lambda path, cid: sql(
        path,
        "UPDATE sp_streams SET data = replace(data, 'Lovelace', 'Lovelacf') "
        f"WHERE stream = 'history:{cid}'",
    ),
    "edit a history entry's instant": lambda path, cid: sql(
        path,
        'UPDATE sp_streams SET data = replace(data, \'"at":"2012\', \'"at":"2011\') '
        f"WHERE stream = 'history:{cid}' AND position = 2",
    ),
    "delete the newest history entry": lambda path, cid: sql(
        path,
        f"DELETE FROM sp_streams WHERE stream = 'history:{cid}' "
        f"AND position = {_last(path, f'history:{cid}')}",
    ),
    "delete a middle history entry": lambda path, cid: sql(
        path, f"DELETE FROM sp_streams WHERE stream = 'history:{cid}' AND position = 2"
    ),
    "swap two history entries": lambda path, cid: sql(
        path,
        f"UPDATE sp_streams SET position = -1 WHERE stream = 'history:{cid}' AND position = 2",
        f"UPDATE sp_streams SET position = 2 WHERE stream = 'history:{cid}' AND position = 3",
        f"UPDATE sp_streams SET position = 3 WHERE stream = 'history:{cid}' AND position = -1",
    ),
    "delete the history head": lambda path, cid: sql(
        path, f"DELETE FROM sp_records WHERE kind = 'ledger_head' AND key = 'history:{cid}'"
    ),
}

CONSENT_TAMPERS: dict[str, Callable[[Path], None]] = {
    "change a consent entry": lambda path: sql(
        path,
        "UPDATE sp_streams SET data = replace(data, 'withdrawn', 'granted') "
        "WHERE stream = 'consent:s1'",
    ),
    "change the consent record (projection)": lambda path: sql(
        path,
        "UPDATE sp_records SET data = replace(data, 'withdrawn', 'granted') "
        "WHERE kind = 'consent_state'",
    ),
    "delete the newest consent entry": lambda path: sql(
        path,
        "DELETE FROM sp_streams WHERE stream = 'consent:s1' "
        f"AND position = {_last(path, 'consent:s1')}",
    ),
    "swap two consent entries": lambda path: sql(
        path,
        "UPDATE sp_streams SET position = -1 WHERE stream = 'consent:s1' AND position = 1",
        "UPDATE sp_streams SET position = 1 WHERE stream = 'consent:s1' AND position = 2",
        "UPDATE sp_streams SET position = 2 WHERE stream = 'consent:s1' AND position = -1",
    ),
    "corrupt a consent entry's JSON": lambda path: sql(
        path, "UPDATE sp_streams SET data = '{\"kind\": [' WHERE stream = 'consent:s1'"
    ),
}


@pytest.mark.parametrize("tamper", sorted(TAMPERS))
def test_history_verify_detects_tampering(
    make_program: ProgramFactory, tmp_path: Path, tamper: str
) -> None:
    """Editing, deleting (newest or middle) or swapping history entries, or deleting
    the head, is reported by ``program.history.verify`` after reopening the file."""
    cid = _build(make_program)
    TAMPERS[tamper](db_path(tmp_path), cid)
    with _reopen(make_program) as program:
        result = program.history.verify(cid)
        assert not result.ok
        assert result.problems


@pytest.mark.parametrize("tamper", sorted(CONSENT_TAMPERS))
def test_consent_verify_detects_tampering(
    make_program: ProgramFactory, tmp_path: Path, tamper: str
) -> None:
    """Editing, reordering or removing consent records, or editing the stored
    projection, is reported by ``consent.verify`` and ``verify_all``."""
    _build(make_program)
    CONSENT_TAMPERS[tamper](db_path(tmp_path))
    with _reopen(make_program) as program:
        assert not program.consent.verify("s1").ok
        audit = program.consent.verify_all()
        assert ["s1"] == [failure.subject for failure in audit.failures]


@pytest.mark.parametrize("ledger", ["history", "consent"])
def test_keyed_ledger_detects_truncation_with_a_rolled_back_head(
    make_program: ProgramFactory, tmp_path: Path, ledger: str
) -> None:
    """With a ledger key, deleting the newest entry *and* rolling the head back to the
    previous entry's (visible) hash is still detected: "nobody without the key can
    forge a consistent chain" (events.py)."""
    cid = _build(make_program, ledger_key=KEY)
    stream = f"history:{cid}" if ledger == "history" else "consent:s1"
    path = db_path(tmp_path)
    last = _last(path, stream)
    previous = next(
        json.loads(d) for s, p, d in raw_rows(path, "sp_streams") if s == stream and p == last - 1
    )
    forged = json.dumps({"hash": previous["hash"], "length": last - 1})
    sql(path, f"DELETE FROM sp_streams WHERE stream = '{stream}' AND position = {last}")
    sql(
        path,
        "UPDATE sp_records SET data = ? WHERE kind = 'ledger_head' AND key = ?",
        params=(forged, stream),
    )
    with _reopen(make_program, ledger_key=KEY) as program:
        result = (
            program.history.verify(cid) if ledger == "history" else program.consent.verify("s1")
        )
        assert not result.ok
        with pytest.raises(SymprogramError):  # and nothing is appended to a forged chain
            if ledger == "history":
                program.accounts.suspend(cid, "again")
            else:
                program.consent.grant("s1", "research", channel="web_form")


def test_keyed_ledger_verifies_when_untouched(make_program: ProgramFactory, tmp_path: Path) -> None:
    """A keyed program reopened with its key verifies and keeps appending."""
    cid = _build(make_program, ledger_key=KEY)
    with _reopen(make_program, ledger_key=KEY) as program:
        program.accounts.suspend(cid, "again")
        program.consent.grant("s1", "special_offers", channel="web_form")
        assert program.history.verify(cid).ok
        assert program.consent.verify("s1").ok


CORRUPT_RECORDS = {
    "candidate JSON": "UPDATE sp_records SET data = '{not json' WHERE kind = 'candidate'",
    "candidate shape": "UPDATE sp_records SET data = '{\"a\": 1}' WHERE kind = 'candidate'",
    "candidate version": "UPDATE sp_records SET version = 'abc' WHERE kind = 'candidate'",
    "candidate blob": "UPDATE sp_records SET data = X'00FF' WHERE kind = 'candidate'",
    "history head": "UPDATE sp_records SET data = '[1' WHERE kind = 'ledger_head'",
}


@pytest.mark.parametrize("corruption", sorted(CORRUPT_RECORDS))
def test_reading_or_writing_a_corrupt_record_raises_integrity_errors(
    make_program: ProgramFactory, tmp_path: Path, corruption: str
) -> None:
    """A record whose JSON, shape or version was corrupted raises IntegrityError or
    StorageError (a SymprogramError), never a raw json/KeyError/sqlite3 error."""
    cid = _build(make_program)
    sql(db_path(tmp_path), CORRUPT_RECORDS[corruption])
    with _reopen(make_program) as program:
        calls: list[Callable[[], object]] = [
            lambda: program.accounts.get_candidate(cid),
            lambda: program.accounts.suspend(cid, "x"),
            lambda: program.history.verify(cid),
            lambda: program.awards.progress(cid, "scs-endpoint"),
        ]
        raised = []
        for call in calls:
            try:
                call()
            except SymprogramError as exc:
                assert exc.code  # noqa: PT017
                raised.append(type(exc))
        if corruption.startswith("candidate"):
            assert raised
            assert all(issubclass(kind, IntegrityError | StorageError) for kind in raised)


def test_corrupt_consent_state_raises_integrity_error(
    make_program: ProgramFactory, tmp_path: Path
) -> None:
    """A corrupted consent record raises IntegrityError on read and verify reports it."""
    _build(make_program)
    sql(db_path(tmp_path), "UPDATE sp_records SET data = '{x' WHERE kind = 'consent_state'")
    with _reopen(make_program) as program:
        with pytest.raises(IntegrityError):
            program.consent.may_use("s1", "research")
        assert not program.consent.verify("s1").ok


def _damage_truncate(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.truncate(os.path.getsize(path) // 2)


def _damage_short(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.truncate(100)


def _damage_garbage(path: Path) -> None:
    path.write_bytes(os.urandom(16384))


def _damage_text(path: Path) -> None:
    path.write_bytes(b"this is not a database at all\n" * 200)


def _damage_foreign(path: Path) -> None:
    path.unlink()
    sql(path, "CREATE TABLE customers (name TEXT)", "INSERT INTO customers VALUES ('x')")


DAMAGE = {
    "truncated to half": _damage_truncate,
    "truncated to 100 bytes": _damage_short,
    "random bytes": _damage_garbage,
    "a text file": _damage_text,
    "a foreign SQLite database": _damage_foreign,
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_files_raise_symprogram_errors_on_open(
    make_program: ProgramFactory, tmp_path: Path, damage: str
) -> None:
    """A truncated, garbage or foreign file raises a SymprogramError on open (or on
    first use) — never a raw sqlite3 error."""
    _build(make_program)
    path = db_path(tmp_path)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    DAMAGE[damage](path)
    with pytest.raises(SymprogramError) as caught:
        with _reopen(make_program) as program:
            program.history.verify("SP-0000-0000-0000-0")
            program.consent.verify_all()
    assert caught.value.code in {
        "database_corrupt",
        "not_a_symprogram_database",
        "storage_error",
    }


def test_garbage_in_the_middle_of_the_file(make_program: ProgramFactory, tmp_path: Path) -> None:
    """Random bytes written over pages of a valid file make reads raise a SymprogramError."""
    cid = _build(make_program)
    path = db_path(tmp_path)
    with path.open("r+b") as handle:
        handle.seek(4096)
        handle.write(os.urandom(8192))
    with pytest.raises(SymprogramError):
        with _reopen(make_program) as program:
            program.accounts.get_candidate(cid)
            program.history.verify(cid).raise_for_problems()
            program.consent.verify("s1").raise_for_problems()


def test_copy_of_a_clean_file_still_verifies(make_program: ProgramFactory, tmp_path: Path) -> None:
    """Control: a byte-for-byte copy of an untampered file verifies (the checks above
    are not failing for some unrelated reason)."""
    cid = _build(make_program)
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(db_path(tmp_path), db_path(copy))
    with open_program("sqlite", copy) as program:
        assert program.history.verify(cid).ok
        assert program.consent.verify("s1").ok


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////nonexistent/dir/x.db",
        "sqlite:///a\x00b.db",
        "sqlite:///\ud800.db",
        "bogus://x",
        "",
        "sqlite:////dev/null",
    ],
    ids=repr,
)
def test_unusable_urls_raise_symprogram_errors(url: str) -> None:
    """``Program.open`` with a missing directory, NUL or lone surrogate in the path, an
    unknown scheme or an empty URL raises a SymprogramError with a code."""
    with pytest.raises(SymprogramError) as caught:
        with Program.open(url) as program:
            program.consent.verify_all()
    assert caught.value.code


def _build_customer(make_program: ProgramFactory) -> None:
    """Customer C-1 with an active agreement and case K-1 (and the usual candidate)."""
    _build(make_program)
    with _reopen(make_program) as program:
        ents = program.entitlements
        add_agreement(ents)
        ents.open_case(
            "C-1", case_id="K-1", product="NetBackup", severity="high", summary="down", by="me"
        )
        assert ents.support_decision("C-1", "NetBackup").allowed


MOVED_ROWS: dict[str, tuple[str, str, str]] = {
    "holdings": ("entitlements_customer", "C-1", "C-2"),
    "case": ("entitlements_case", "K-1", "K-2"),
    "consent projection": ("consent_state", "s1", "s2"),
    "candidate": ("candidate", "", "SP-0000-0000-0000-0"),
}


@pytest.mark.parametrize("how", ["copied", "moved"])
@pytest.mark.parametrize("row", sorted(MOVED_ROWS))
def test_an_aggregate_row_under_another_key_is_refused(
    make_program: ProgramFactory, tmp_path: Path, row: str, how: str
) -> None:
    """A row copied or moved to another key (customer C-1's agreements under C-2, a
    case, a consent projection, a candidate) is not taken for that key's own: reading
    it raises ``IntegrityError`` ``record_corrupt`` instead of deciding with another
    customer's or subject's data."""
    _build_customer(make_program)
    kind, key, other = MOVED_ROWS[row]
    path = db_path(tmp_path)
    if not key:
        key = next(k for kd, k, _, _ in raw_rows(path, "sp_records") if kd == kind)
    if how == "copied":
        sql(
            path,
            "INSERT INTO sp_records (kind, key, version, data) "
            "SELECT kind, ?, version, data FROM sp_records WHERE kind = ? AND key = ?",
            params=(other, kind, key),
        )
    else:
        sql(
            path,
            "UPDATE sp_records SET key = ? WHERE kind = ? AND key = ?",
            params=(other, kind, key),
        )
    reads: dict[str, Callable[[Program], object]] = {
        "holdings": lambda p: p.entitlements.support_decision("C-2", "NetBackup"),
        "case": lambda p: p.entitlements.get_case("K-2"),
        "consent projection": lambda p: p.consent.may_use("s2", "special_offers"),
        "candidate": lambda p: p.accounts.get_candidate(other),
    }
    with _reopen(make_program) as program:
        with pytest.raises(IntegrityError) as raised:
            reads[row](program)
        assert "record_corrupt" == raised.value.code
        if row == "consent projection":
            assert "consent:s2" in {f.subject for f in program.verify_all().failures}
