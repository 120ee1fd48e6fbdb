"""`symprogram import candidates` killed with SIGKILL midway, then run again.

The import runs in a child process on a SQLite file and is killed once part of the
file is imported. The database must then open and verify, and the same command run
again must import every good row exactly once: one account per address, one
activation message per account in the ``--outbox`` file (a repeat carries the same
token), nothing left pending, and a ``--rejects`` file listing every bad row once.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import CSV_HEADER

from _programs import count_lines
from symprogram import Program
from symprogram.notify import Outbox
from symprogram.outbox import MessageOutbox

pytestmark = pytest.mark.slow

ROWS = 4_000
BAD_EVERY = 97  # rows 0, 97, 194, ... have no valid e-mail address
KILL_AT = 800  # messages in the outbox file when the child is killed
HEADER = CSV_HEADER


def _write_csv(path: Path) -> tuple[list[str], list[int]]:
    """The file; return the good addresses and the lines of the bad rows."""
    good: list[str] = []
    bad_lines: list[int] = []
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        for n in range(ROWS):
            if n % BAD_EVERY == 0:
                email = f"bad{n}-at-example.com"
                bad_lines.append(n + 2)
            else:
                email = f"person{n}@example.com"
                good.append(email)
            writer.writerow([email, "Ada", "Lovelace", "Analytical Engines", "Babbage", "en"])
    return good, bad_lines


def _import(db: Path, csv_file: Path, outbox: Path, rejects: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "symprogram",
        "--db",
        str(db),
        "import",
        "candidates",
        str(csv_file),
        "--terms-accepted",
        "--batch-size",
        "100",
        "--outbox",
        str(outbox),
        "--rejects",
        str(rejects),
        "--quiet",
        "--json",
    ]


def _messages(outbox: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The messages of the outbox file, and the lines that are not JSON."""
    messages: list[dict[str, Any]] = []
    unreadable: list[str] = []
    for line in outbox.read_text(encoding="utf-8").splitlines():
        try:
            messages.append(json.loads(line))
        except ValueError:
            unreadable.append(line)
    return messages, unreadable


def test_an_import_killed_midway_verifies_and_its_rerun_imports_each_row_once(
    tmp_path: Path,
) -> None:
    db, csv_file = tmp_path / "program.db", tmp_path / "people.csv"
    outbox, rejects = tmp_path / "outbox.jsonl", tmp_path / "rejects.csv"
    good, bad_lines = _write_csv(csv_file)
    command = _import(db, csv_file, outbox, rejects)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while child.poll() is None and count_lines(outbox) < KILL_AT:
        time.sleep(0.002)
    assert child.poll() is None, child.stderr.read() if child.stderr else ""
    child.send_signal(signal.SIGKILL)
    child.wait()
    if child.stderr is not None:
        child.stderr.close()

    # (a) the database opens and verifies
    with sqlite3.connect(db) as conn:
        assert [("ok",)] == conn.execute("PRAGMA integrity_check").fetchall()
    with Program.open(f"sqlite:///{db}") as program:
        verified = program.verify_all()
        assert (True, []) == (verified.ok, list(verified.failures))
        before = len(list(program.history.iter_subjects()))
    assert KILL_AT <= before < len(good)

    # (b) the same command again imports the rest, each row once
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert 1 == done.returncode, done.stderr
    assert done.stderr.strip().startswith("error: [import_bad_rows] ")
    report = json.loads(done.stdout)
    assert (ROWS, before, len(good) - before, None) == (
        report["rows"],
        report["skipped"],
        report["imported"],
        report["stopped"],
    )
    assert bad_lines == [b["line"] for b in report["bad_rows"]]
    with Program.open(f"sqlite:///{db}") as program:
        subjects = list(program.history.iter_subjects())
        emails = sorted(program.accounts.get_candidate(s).contact.email for s in subjects)
        pending = [
            record
            for record in MessageOutbox(program.store, Outbox()).iter_records()
            if record["state"] == "pending"
        ]
    assert sorted(good) == emails  # one account per good row, no other
    assert [] == pending

    messages, unreadable = _messages(outbox)
    assert len(unreadable) <= 1  # at most the line the kill cut short
    tokens: dict[str, set[str]] = defaultdict(set)
    ids: dict[str, set[str]] = defaultdict(set)
    for message in messages:
        assert "activation" == message["kind"]
        tokens[message["to"]].add(message["data"]["token"])
        ids[message["to"]].add(message["message_id"])
    assert set(good) == set(tokens)
    assert {1} == {len(found) for found in tokens.values()}  # a repeat is the same message
    # ... with the same id: a mailer de-duplicates on it ("with an id for de-duplication")
    assert {1} == {len(found) for found in ids.values()}

    # (c) the rejects file is the rerun's, whole: every bad row once
    with rejects.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    assert ["line", "code", "column", "message", *HEADER] == rows[0]
    assert [str(line) for line in bad_lines] == [row[0] for row in rows[1:]]
    assert {"invalid_email"} == {row[1] for row in rows[1:]}
