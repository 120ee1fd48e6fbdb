"""A row the store cannot read is reported by ``verify_all``, not raised.

SQLite keeps whatever a hand-written UPDATE puts in a column: a position of 1.5,
a version of ``'x'``, bytes where text belongs. Reading such a row raises
``IntegrityError`` ``database_corrupt``; ``Program.verify_all`` "never raises for a
defect", so the row becomes a reported problem and the reading goes on: a stream
entry as its stream's failure, a record that stops the listing of a ledger's
subjects as that ledger's failure.
"""

from __future__ import annotations

import sqlite3

import pytest

from _programs import ProgramFactory, register_active
from symprogram import Program

KEY = b"unreadable rows ledger key, 32 b"


def _tables(path: str) -> tuple[str, str]:
    with sqlite3.connect(path) as db:
        names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    streams = "sp_streams_v2" if "sp_streams_v2" in names else "sp_streams"
    records = "sp_records_v2" if "sp_records_v2" in names else "sp_records"
    return streams, records


def _failures(path: str) -> dict[str, list[str]]:
    """The problem codes ``verify_all`` reports per subject, read by a new program."""
    reopened = Program.open(f"sqlite:///{path}", ledger_key=KEY)
    try:
        result = reopened.verify_all()
    finally:
        reopened.close()
    return {failure.subject: [p.code for p in failure.problems] for failure in result.failures}


def _write(path: str, sql: str, *args: object) -> None:
    db = sqlite3.connect(path)
    try:
        db.execute(sql, args)
        db.commit()
    finally:
        db.close()


@pytest.mark.parametrize(
    ("column", "value"), [("position", 1.5), ("data", b"\x00\xff")], ids=["position", "data"]
)
def test_an_unreadable_entry_is_its_streams_reported_failure(
    make_program: ProgramFactory, column: str, value: object
) -> None:
    """One history entry no store could have written: that stream fails with
    ``database_corrupt``, and a problem elsewhere is still found."""
    program = make_program("sqlite", ledger_key=KEY)
    spoiled, other = register_active(program), register_active(program, email="b@example.com")
    path = str(program.store.path)  # type: ignore[attr-defined]
    streams, _ = _tables(path)
    _write(
        path,
        f"UPDATE {streams} SET {column} = ? WHERE stream = ? AND position = 1",
        value,
        f"history:{spoiled}",
    )
    _write(path, f"DELETE FROM {streams} WHERE stream = ? AND position = 1", f"history:{other}")
    found = _failures(path)
    assert ["database_corrupt"] == found.pop(f"history:{spoiled}")
    assert f"history:{other}" in found  # the reading went on


@pytest.mark.parametrize(
    ("column", "value"), [("version", "x"), ("data", b"\x00\xff")], ids=["version", "data"]
)
def test_an_unreadable_record_fails_its_ledger_and_the_others_are_read(
    make_program: ProgramFactory, column: str, value: object
) -> None:
    """A consent projection no store could have written stops the listing of the
    consent ledger's subjects: the consent ledger fails as a whole, with
    ``database_corrupt``, and the account history is still checked."""
    program = make_program("sqlite", ledger_key=KEY)
    cid = register_active(program)
    program.consent.grant("visitor-1", "special_offers", channel="web_form")
    path = str(program.store.path)  # type: ignore[attr-defined]
    streams, records = _tables(path)
    _write(path, f"UPDATE {records} SET {column} = ? WHERE kind = 'consent_state'", value)
    _write(path, f"DELETE FROM {streams} WHERE stream = ? AND position = 1", f"history:{cid}")
    found = _failures(path)
    assert ["database_corrupt"] == found.pop("consent")
    assert f"history:{cid}" in found
