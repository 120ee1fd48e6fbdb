"""`symprogram import candidates`: streaming, bad rows with line numbers, batches, re-runs."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import CSV_HEADER, Invoke, assert_one_line_error, parsed

from symprogram.accounts import AccountsService
from symprogram.errors import Conflict
from symprogram.program import Program

HEADER = CSV_HEADER


def write_csv(path: Path, count: int, *, start: int = 0) -> Path:
    """A valid candidates CSV with ``count`` rows (user<start>@example.com ...)."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for i in range(start, start + count):
            writer.writerow(
                [
                    f"user{i}@example.com",
                    f"Given{i}",
                    "Family",
                    "Co",
                    "Partner",
                    "de" if i % 2 else "he-IL",
                ]
            )
    return path


def emails_in(db: Path) -> list[str]:
    """Every registered candidate's e-mail address, by walking the account histories."""
    with Program.open(f"sqlite:///{db}") as program:
        return sorted(
            program.accounts.get_candidate(subject).contact.email
            for subject in program.history.iter_subjects()
        )


def do_import(run: Invoke, path: Path, *extra: str) -> Any:
    return run("import", "candidates", str(path), "--terms-accepted", *extra)


def test_a_clean_import_registers_everyone(run: Invoke, db: Path, tmp_path: Path) -> None:
    """Every row becomes a pending account; the summary counts them; exit 0."""
    result = do_import(run, write_csv(tmp_path / "c.csv", 12), "--batch-size", "5", "--json")
    assert 0 == result.exit_code, result.output
    assert {
        "rows": 12,
        "imported": 12,
        "skipped": 0,
        "bad_rows": [],
        "duplicates": [],
        "batches": 3,
        "ignored_columns": [],
        "stopped": None,
    } == parsed(result)
    assert 12 == len(emails_in(db))


def test_imported_accounts_record_terms_acceptance_and_have_no_usable_password(
    run: Invoke, tmp_path: Path
) -> None:
    """The import accepts the terms on behalf of the row; nobody can log in before a reset."""
    do_import(run, write_csv(tmp_path / "c.csv", 1))
    shown = parsed(run("candidates", "show", "user0@example.com", "--json"))
    assert ("pending_activation", "2007.507") == (shown["status"], shown["terms"]["terms_version"])
    kinds = [e["kind"] for e in parsed(run("history", "show", shown["candidate_id"], "--json"))]
    assert ["terms_accepted", "candidate_registered", "activation_sent"] == kinds


def test_the_import_refuses_to_run_without_terms_confirmation(
    run: Invoke, db: Path, tmp_path: Path
) -> None:
    """Without --terms-accepted nothing is imported."""
    result = run("import", "candidates", str(write_csv(tmp_path / "c.csv", 3)))
    assert_one_line_error(result, "terms_not_accepted")
    assert not db.exists() or [] == emails_in(db)


def test_bad_rows_are_reported_with_their_line_numbers(
    run: Invoke, db: Path, tmp_path: Path
) -> None:
    """Bad rows are reported by the line they start on, good rows are still imported, exit 1."""
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"Email,Given Name,Family-Name,company_name,partner_company,preferred_language,notes\n"
        b"ok1@example.com,Ada,L,Co,P,en,\n"  # line 2
        b"not-an-email,Bob,L,Co,P,en,\n"  # line 3
        b'ok2@example.com,"Multi\nline",L,Co,P,en,\n'  # lines 4-5: bad name
        b"\n"  # line 6: blank, ignored
        b"ok3@example.com,Cy,,Co,P,en,\n"  # line 7: empty family name
        b"ok4@example.com,D\xff,L,Co,P,en,\n"  # line 8: not UTF-8
        b"ok5@example.com,Eve,L,Co,P,xx-nonsense-tag,\n"  # line 9: unknown language
        b"ok6@example.com,Fay,L,Co,P,en,x,too-many\n"  # line 10: extra field
        b"ok7@example.com,Gus,L,Co,P,pt-BR,\n"  # line 11
    )
    result = do_import(run, path)
    assert 1 == result.exit_code, result.output
    reported = re.findall(r"^line (\d+): \[(\w+)\]", result.stderr, flags=re.MULTILINE)
    assert [
        ("3", "invalid_email"),
        ("4", "control_characters"),
        ("7", "field_required"),
        ("8", "invalid_encoding"),
        ("9", "unknown_language"),
        ("10", "csv_extra_fields"),
    ] == reported
    assert result.stderr.strip().splitlines()[-1].startswith("error: [import_bad_rows] 6 row(s)")
    assert ["ok1@example.com", "ok7@example.com"] == emails_in(db)
    as_json = parsed(do_import(run, path, "--json"))
    assert [3, 4, 7, 8, 9, 10] == [b["line"] for b in as_json["bad_rows"]]
    assert ("email", "import_bad_rows") == (
        as_json["bad_rows"][0]["field"],
        as_json["error"]["code"],
    )
    assert ["notes"] == as_json["ignored_columns"]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "csv_empty"),
        (b"email,given_name\nx@example.com,X\n", "csv_missing_columns"),
    ],
)
def test_unusable_files_are_one_line_errors(
    run: Invoke, tmp_path: Path, content: bytes, code: str
) -> None:
    """An empty file or a header without the required columns stops before any row."""
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    assert_one_line_error(do_import(run, path), code)


def test_a_missing_file_is_a_one_line_error(run: Invoke, tmp_path: Path) -> None:
    """A file that does not exist is csv_unreadable."""
    assert_one_line_error(do_import(run, tmp_path / "nope.csv"), "csv_unreadable")


def test_a_device_or_fifo_is_not_a_regular_file(run: Invoke, tmp_path: Path) -> None:
    """A path that exists but is no regular file is csv_unreadable, and said so."""
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for path in (fifo, Path(os.devnull)):
        result = do_import(run, path)
        assert_one_line_error(result, "csv_unreadable")
        assert f"not a regular file: {path}" in result.stderr


def test_ignored_column_names_reach_the_terminal_without_escape_sequences(
    run: Invoke, tmp_path: Path
) -> None:
    """A header cell carrying an escape sequence (an OSC title change, a bidi override)
    is listed among the ignored columns escaped, never as raw control characters."""
    path = tmp_path / "hostile.csv"
    hostile = "\x1b]0;pwned\x07\x9b2j\u202e"
    path.write_text(
        ",".join([*HEADER, hostile]) + "\na@example.com,A,L,Co,P,en,x\n", encoding="utf-8"
    )
    result = do_import(run, path)
    assert 0 == result.exit_code, result.output
    assert "ignored columns: \\x1b]0;pwned\\x07\\x9b2j\\u202e" in result.stdout
    assert not any(ch in result.output for ch in "\x1b\x07\x9b\u202e")
    assert [hostile] == parsed(do_import(run, path, "--json"))["ignored_columns"]


@pytest.mark.parametrize("option", ["FILE", "--outbox", "--rejects"])
def test_a_file_name_with_a_nul_byte_is_a_usage_error(
    run: Invoke, tmp_path: Path, option: str
) -> None:
    """No file name holds a NUL byte: a usage error, never a ValueError traceback."""
    good = str(write_csv(tmp_path / "ok.csv", 1))
    bad = str(tmp_path / "a\x00b")
    args = [bad] if option == "FILE" else [good, option, bad]
    result = run("import", "candidates", *args, "--terms-accepted")
    assert_one_line_error(result, "usage", exit_code=2)
    assert "NUL byte" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_rerun_skips_everyone_already_registered(run: Invoke, db: Path, tmp_path: Path) -> None:
    """Importing the first half then the whole file registers everyone exactly once."""
    first = do_import(run, write_csv(tmp_path / "half.csv", 10), "--json")
    assert 10 == parsed(first)["imported"]
    whole = do_import(run, write_csv(tmp_path / "all.csv", 20), "--json")
    assert (10, 10) == (parsed(whole)["imported"], parsed(whole)["skipped"])
    emails = emails_in(db)
    assert 20 == len(emails) == len(set(emails))


def test_duplicates_inside_one_file_are_registered_once(
    run: Invoke, db: Path, tmp_path: Path
) -> None:
    """The same address twice in a file (even in one batch, any case) is one account."""
    path = tmp_path / "dup.csv"
    path.write_text(
        ",".join(HEADER) + "\na@example.com,A,L,Co,P,en\nA@EXAMPLE.com,A,L,Co,P,en\n",
        encoding="utf-8",
    )
    data = parsed(do_import(run, path, "--json"))
    assert (1, 1) == (data["imported"], data["skipped"])
    assert ["a@example.com"] == emails_in(db)


def test_an_interrupted_import_can_be_rerun_without_duplicates(
    run: Invoke, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Interrupted in its third batch: two batches stay, the re-run imports the rest once.

    The outbox file only ever receives the messages of committed batches.
    """
    path = write_csv(tmp_path / "c.csv", 30)
    outbox = tmp_path / "outbox.jsonl"
    real = AccountsService.register_many
    calls = {"n": 0}

    def flaky(self: AccountsService, rows: Any, **kwargs: Any) -> Any:
        calls["n"] += len(rows)
        if calls["n"] >= 25:  # the 25th row, in the third batch
            raise KeyboardInterrupt
        return real(self, rows, **kwargs)

    monkeypatch.setattr(AccountsService, "register_many", flaky)
    result = do_import(run, path, "--batch-size", "10", "--outbox", str(outbox), "--quiet")
    assert_one_line_error(result, "interrupted", 130)
    assert "20 imported" in result.stderr
    assert 20 == len(emails_in(db))
    assert 20 == len(outbox.read_text(encoding="utf-8").splitlines())

    monkeypatch.setattr(AccountsService, "register_many", real)
    again = do_import(run, path, "--batch-size", "10", "--outbox", str(outbox), "--json")
    assert 0 == again.exit_code, again.output
    assert (10, 20) == (parsed(again)["imported"], parsed(again)["skipped"])
    emails = emails_in(db)
    assert [f"user{i}@example.com" for i in range(30)] == sorted(
        emails, key=lambda e: int(e[4:].split("@")[0])
    )
    sent = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert 30 == len({m["to"] for m in sent}) == len(sent)
    assert {"activation"} == {m["kind"] for m in sent}


def test_messages_appended_after_a_line_cut_short_are_each_on_a_line_of_their_own(
    run: Invoke, tmp_path: Path
) -> None:
    """An outbox whose last line a killed run cut short: the fragment stays as it was, on
    its own line, and every message appended after it is a whole JSON line."""
    outbox = tmp_path / "outbox.jsonl"
    whole = '{"kind": "activation", "to": "earlier@example.com"}\n'
    fragment = '{"kind": "activation", "to": "cut@exa'
    outbox.write_text(whole + fragment, encoding="utf-8")
    result = do_import(run, write_csv(tmp_path / "c.csv", 2), "--outbox", str(outbox))
    assert 0 == result.exit_code, result.output
    lines = outbox.read_text(encoding="utf-8").split("\n")
    assert [whole.strip(), fragment] == lines[:2]
    appended = [json.loads(line) for line in lines[2:-1]]
    assert ["user0@example.com", "user1@example.com"] == [m["to"] for m in appended]
    assert "" == lines[-1]


def test_a_row_failing_inside_a_batch_only_loses_that_row(
    run: Invoke, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch that fails mid-way is rolled back and redone row by row; only the culprit is bad."""
    path = write_csv(tmp_path / "c.csv", 8)
    real = AccountsService.register_many

    def picky(self: AccountsService, rows: Any, **kwargs: Any) -> Any:
        if any(row.contact.email == "user5@example.com" for row in rows):
            raise Conflict("simulated refusal", field="email", code="simulated_conflict")
        return real(self, rows, **kwargs)

    monkeypatch.setattr(AccountsService, "register_many", picky)
    result = do_import(run, path, "--batch-size", "4", "--json")
    assert 1 == result.exit_code
    data = parsed(result)
    assert (7, [7]) == (data["imported"], [b["line"] for b in data["bad_rows"]])
    assert "simulated_conflict" == data["bad_rows"][0]["code"]
    assert 7 == len(emails_in(db))


def test_the_progress_bar_goes_to_stderr(run: Invoke, tmp_path: Path) -> None:
    """Without --quiet or --json the progress bar is drawn on stderr, never stdout."""
    result = do_import(run, write_csv(tmp_path / "c.csv", 3))
    assert 0 == result.exit_code, result.output
    assert "importing" in result.stderr
    assert "importing" not in result.stdout
    assert "3 rows: 3 imported" in result.stdout


@pytest.mark.slow
def test_five_thousand_rows(run: Invoke, db: Path, tmp_path: Path) -> None:
    """A 5 000-row file imports completely, in batches, with a few bad rows reported."""
    path = write_csv(tmp_path / "big.csv", 5000)
    with path.open("a", encoding="utf-8") as f:
        f.write("broken-address,X,Y,Co,P,en\n")  # line 5002
    result = do_import(run, path, "--batch-size", "1000", "--json")
    data = parsed(result)
    assert (5001, 5000, 5) == (data["rows"], data["imported"], data["batches"])
    assert [5002] == [b["line"] for b in data["bad_rows"]]


def test_a_file_name_that_is_not_utf8_keeps_the_output_valid(run: Invoke, tmp_path: Path) -> None:
    """A file name with bytes that are not UTF-8 (lone surrogates in Python) never
    breaks the output: --json stays valid UTF-8 JSON naming the file, text too."""
    missing = tmp_path / "nope\udcff.csv"
    result = do_import(run, missing, "--json")
    assert_one_line_error(result, "csv_unreadable")
    document = json.loads(result.stdout_bytes.decode("utf-8"))
    assert str(missing) in document["error"]["message"]
    good = write_csv(tmp_path / "ok.csv", 1)
    rejects = tmp_path / "rejects\udcfe.csv"
    text = do_import(run, good, "--rejects", str(rejects))
    assert 0 == text.exit_code, text.output
    assert "bad rows written to " + str(tmp_path) + "/rejects\\udcfe.csv" in text.stdout


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_an_outbox_on_a_full_disk_is_reported_in_lines_and_loses_no_message(
    db: Path, tmp_path: Path
) -> None:
    """An --outbox that cannot be written: the SDK's warning is one line (no logged
    traceback), the command ends with io_error, and the re-run delivers the message
    that stayed pending."""
    path = write_csv(tmp_path / "c.csv", 1)
    command = [sys.executable, "-m", "symprogram", "--db", str(db), "import", "candidates"]
    first = subprocess.run(
        [*command, str(path), "--terms-accepted", "--quiet", "--outbox", "/dev/full"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert 1 == first.returncode
    assert "Traceback" not in first.stderr
    lines = first.stderr.strip().splitlines()
    assert lines[0].startswith("warning: a notifier refused a message; it stays pending: ")
    assert lines[-1].startswith("error: [io_error] ")
    outbox = tmp_path / "outbox.jsonl"
    again = subprocess.run(
        [*command, str(path), "--terms-accepted", "--quiet", "--outbox", str(outbox)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert 0 == again.returncode, again.stderr
    assert ["user0@example.com"] == [
        json.loads(line)["to"] for line in outbox.read_text(encoding="utf-8").splitlines()
    ]
