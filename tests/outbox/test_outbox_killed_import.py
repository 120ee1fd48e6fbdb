"""Killing the CSV import at random loses no activation message (issue 18).

``symprogram import candidates`` runs in a child process on 2,000 rows (imported
accounts get an unusable password: no hashing) and is killed with SIGKILL after a
random delay, several times; then it runs to completion. Every row's account must
then have exactly one activation message, delivered (a line of the ``--outbox``
file) or still pending (an ``outbox_message`` record): counted by distinct
activation token per recipient, since a message delivered again after a crash
(at least once) carries the same token and ID. On SQLite and, when
``SYMPROGRAM_TEST_POSTGRES_URL`` is set, PostgreSQL (MariaDB too with its URL).
"""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from _programs import SERVER_ENV, count_lines, drop_tables, new_prefix, program_url
from symprogram import Program
from symprogram.notify import Outbox
from symprogram.outbox import MessageOutbox

pytestmark = pytest.mark.slow

ROWS = 2_000
KILLS = 6
HEADER = ["email", "given_name", "family_name", "company_name", "partner_company"]


def _write_csv(path: Path) -> list[str]:
    emails = [f"person{n}@example.com" for n in range(ROWS)]
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow([*HEADER, "preferred_language"])
        for email in emails:
            writer.writerow([email, "Ada", "Lovelace", "Analytical Engines", "Babbage", "en"])
    return emails


def _command(url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "symprogram", "--db", url, *args]


def _import(url: str, csv_file: Path, outbox_file: Path) -> list[str]:
    return _command(
        url,
        "import",
        "candidates",
        str(csv_file),
        "--terms-accepted",
        "--batch-size",
        "100",
        "--outbox",
        str(outbox_file),
        "--quiet",
    )


def _delivered(outbox_file: Path) -> dict[str, set[str]]:
    """The activation tokens in the --outbox file, by recipient (every line whole)."""
    found: dict[str, set[str]] = defaultdict(set)
    if not outbox_file.exists():
        return found
    for line in outbox_file.read_text(encoding="utf-8").splitlines():
        message = json.loads(line)  # a torn line would fail here
        if message["kind"] == "activation":
            found[message["to"]].add(message["data"]["token"])
    return found


def _pending(program: Program) -> dict[str, set[str]]:
    """The activation tokens of the messages still pending, by recipient."""
    found: dict[str, set[str]] = defaultdict(set)
    for record in MessageOutbox(program.store, Outbox()).iter_records():
        if record["kind"] == "activation" and record["state"] == "pending":
            found[record["to"]].add(record["data"]["token"])
    return found


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mariadb"])
def test_a_killed_import_run_again_gives_every_account_one_activation_message(
    backend: str, tmp_path: Path
) -> None:
    """SIGKILL at random points, then a run to completion: every account exactly one."""
    if backend in SERVER_ENV and not os.environ.get(SERVER_ENV[backend]):
        pytest.skip(f"{SERVER_ENV[backend]} is not set")
    prefix = new_prefix()
    url = program_url(backend, tmp_path, prefix)
    csv_file, outbox_file = tmp_path / "people.csv", tmp_path / "outbox.jsonl"
    emails = _write_csv(csv_file)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    try:
        if backend == "sqlite":
            subprocess.run(_command(url, "init"), check=True, env=env, capture_output=True)
        rng = random.Random(f"issue-18-{backend}")
        killed = 0
        for _ in range(KILLS):
            child = subprocess.Popen(
                _import(url, csv_file, outbox_file),
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            # Killed once a random number of further messages reached the outbox file
            # (not after a random delay: a fast machine finishes 2,000 rows before any
            # delay long enough for a slow one), so every round stops an import midway.
            target = count_lines(outbox_file) + rng.randint(1, ROWS // KILLS)
            while child.poll() is None and count_lines(outbox_file) < target:
                time.sleep(0.002)
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
                child.wait()
                killed += 1
        assert killed > 0  # imports were stopped midway
        done = subprocess.run(
            _import(url, csv_file, outbox_file), env=env, capture_output=True, text=True
        )
        assert 0 == done.returncode, done.stderr
        delivered = _delivered(outbox_file)
        with Program.open(url) as program:
            pending = _pending(program)
            missing = [e for e in emails if program.accounts.find_by_email(e) is None]
        assert [] == missing
        counts = {e: len(delivered.get(e, set()) | pending.get(e, set())) for e in emails}
        assert {1} == set(counts.values()), {e: n for e, n in counts.items() if n != 1}
        assert set(emails) == set(delivered) | set(pending)
    finally:
        drop_tables(backend, tmp_path, prefix)
