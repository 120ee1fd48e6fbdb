"""The ``symprogram`` command's journey: hostile CSV files, hostile database files,
tampering seen through the CLI, and the real ``python -m symprogram`` process.

docs/cli.md: "A caller's mistake never prints a traceback: the command exits with
status 1 and one line on stderr, ``error: [code] message (field: ...)``"; bad CSV
rows are "reported with the line they start on ... and the SDK's error code".
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from symprogram.cli import cli

NOW = "2011-01-10T09:00:00+00:00"
HEADER = "email,given_name,family_name,company_name,partner_company,preferred_language"
ROW = "ada{n}@example.com,Ada,Lovelace,Engines,Babbage,en-GB"
ERROR_LINE = re.compile(r"^error: \[[a-z0-9_]+\] .+")


def invoke(db: Path | str, *args: str) -> Result:
    """Run the CLI in-process on ``db`` with a fixed clock."""
    return CliRunner().invoke(cli, ["--db", str(db), "--now", NOW, *args])


def assert_one_line_error(result: Result, code: str, exit_code: int = 1) -> None:
    """Exit status ``exit_code``, exactly one ``error: [code] ...`` line on stderr, no traceback."""
    assert exit_code == result.exit_code, (result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert 1 == len(lines), result.stderr
    assert lines[0].startswith(f"error: [{code}] "), lines[0]
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), repr(result.exception)


def assert_clean_failure(result: Result) -> str:
    """Exit 1, the last stderr line is ``error: [code] ...``, no traceback; return the code."""
    assert 1 == result.exit_code, (result.output, result.exception)
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    last = result.stderr.strip().splitlines()[-1]
    assert ERROR_LINE.match(last), last
    match = re.match(r"^error: \[([a-z0-9_]+)\]", last)
    assert match is not None
    return match.group(1)


def do_import(tmp_path: Path, content: bytes) -> Result:
    """Import ``content`` as a candidates CSV into a fresh database under ``tmp_path``."""
    path = tmp_path / "people.csv"
    path.write_bytes(content)
    return invoke(
        tmp_path / "p.db", "import", "candidates", str(path), "--terms-accepted", "--quiet"
    )


def emails(db: Path) -> list[str]:
    """Registered e-mail addresses in the SQLite file (via the public API)."""
    from symprogram import Program

    with Program.open(f"sqlite:///{db}") as program:
        return sorted(
            program.accounts.get_candidate(s).contact.email for s in program.history.iter_subjects()
        )


# -- CSV import -------------------------------------------------------------------------------


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    """A UTF-8 BOM and CRLF line endings (Excel's CSV) import cleanly."""
    content = "\ufeff" + HEADER + "\r\n" + ROW.format(n=1) + "\r\n" + ROW.format(n=2) + "\r\n"
    result = do_import(tmp_path, content.encode("utf-8"))
    assert 0 == result.exit_code, result.output
    assert ["ada1@example.com", "ada2@example.com"] == emails(tmp_path / "p.db")


def test_latin1_bytes_are_a_line_numbered_bad_row(tmp_path: Path) -> None:
    """A row with non-UTF-8 bytes is reported with its line and ``invalid_encoding``;
    the other rows are imported; exit 1 with ``import_bad_rows``."""
    content = (
        HEADER.encode()
        + b"\n"
        + ROW.format(n=1).encode()
        + b"\n"
        + "zoe@example.com,Zo\u00eb,M\u00fcller,Co,P,de".encode("latin-1")
        + b"\n"
        + ROW.format(n=3).encode()
        + b"\n"
    )
    result = do_import(tmp_path, content)
    assert "import_bad_rows" == assert_clean_failure(result)
    assert "line 3: [invalid_encoding]" in result.stderr, result.stderr
    assert ["ada1@example.com", "ada3@example.com"] == emails(tmp_path / "p.db")


def test_latin1_header_is_a_clear_error(tmp_path: Path) -> None:
    """A file whose header itself is not UTF-8 stops with a one-line error."""
    content = (HEADER + ",r\u00e9gion\n").encode("latin-1") + ROW.format(n=1).encode() + b"\n"
    result = do_import(tmp_path, content)
    assert_one_line_error(result, "invalid_encoding")


def test_missing_header_column(tmp_path: Path) -> None:
    """A header without a required column stops with ``csv_missing_columns``."""
    header = HEADER.replace(",preferred_language", "")
    result = do_import(tmp_path, (header + "\nada@example.com,Ada,L,C,P\n").encode())
    assert_one_line_error(result, "csv_missing_columns")


def test_extra_columns_are_ignored_and_extra_fields_are_bad_rows(tmp_path: Path) -> None:
    """Extra header columns are ignored; a row with more fields than the header is a
    line-numbered ``csv_extra_fields`` bad row."""
    content = HEADER + ",notes\n" + ROW.format(n=1) + ",hello\n" + ROW.format(n=2) + ",x,surplus\n"
    result = do_import(tmp_path, content.encode())
    assert "import_bad_rows" == assert_clean_failure(result)
    assert "line 3: [csv_extra_fields]" in result.stderr, result.stderr
    assert ["ada1@example.com"] == emails(tmp_path / "p.db")


def test_quoted_field_with_embedded_newlines(tmp_path: Path) -> None:
    """A quoted field spanning lines: a control character in a name is a bad row at the
    line the row starts on; the next row's line number counts every physical line."""
    content = (
        HEADER
        + "\n"
        + 'ada1@example.com,"Ada\nAugusta",Lovelace,Engines,Babbage,en-GB\n'
        + "bad-address,Ada,Lovelace,Engines,Babbage,en-GB\n"
    )
    result = do_import(tmp_path, content.encode())
    assert "import_bad_rows" == assert_clean_failure(result)
    assert "line 2: [" in result.stderr, result.stderr
    assert "line 4: [invalid_email]" in result.stderr, result.stderr


def test_a_100k_character_field(tmp_path: Path) -> None:
    """A 100 000-character name is a bad row with a limit code, not a crash."""
    content = HEADER + "\n" + f"ada@example.com,{'A' * 100_000},L,C,P,en\n" + ROW.format(n=2)
    result = do_import(tmp_path, content.encode())
    assert "import_bad_rows" == assert_clean_failure(result)
    assert re.search(r"line 2: \[[a-z_]+\]", result.stderr), result.stderr[-500:]
    assert ["ada2@example.com"] == emails(tmp_path / "p.db")


def test_a_100k_character_field_beyond_the_csv_limit(tmp_path: Path) -> None:
    """A 200 000-character field (over csv's default field limit) is still a clean error."""
    content = HEADER + "\n" + f'ada@example.com,"{"A" * 200_000}",L,C,P,en\n' + ROW.format(n=2)
    result = do_import(tmp_path, content.encode())
    assert_clean_failure(result)


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "csv_empty"),
        (b"\xef\xbb\xbf", "csv_empty"),
        ((HEADER + "\n").encode(), None),
        ((HEADER + "\r\n").encode(), None),
    ],
    ids=["empty", "bom-only", "header-only", "header-only-crlf"],
)
def test_empty_and_header_only_files(tmp_path: Path, content: bytes, code: str | None) -> None:
    """An empty file is ``csv_empty``; a header-only file imports nothing and exits 0."""
    result = do_import(tmp_path, content)
    if code is None:
        assert 0 == result.exit_code, result.output
        assert "Traceback" not in result.output
    else:
        assert_one_line_error(result, code)


def test_nul_byte_in_csv(tmp_path: Path) -> None:
    """A NUL byte in a field is a line-numbered bad row or a clean error, never a crash."""
    content = HEADER.encode() + b"\nada@example.com,A\x00da,L,C,P,en\n" + ROW.format(n=2).encode()
    result = do_import(tmp_path, content)
    assert_clean_failure(result)


# -- hostile database files -------------------------------------------------------------------


def test_garbage_file_as_db(tmp_path: Path) -> None:
    """A file of garbage bytes as ``--db`` is a one-line error with a code."""
    db = tmp_path / "garbage.db"
    db.write_bytes(os.urandom(4096))
    assert_clean_failure(invoke(db, "init"))
    assert_clean_failure(invoke(db, "candidates", "show", "ada@example.com"))


def test_directory_as_db(tmp_path: Path) -> None:
    """A directory as ``--db`` is a one-line error with a code."""
    assert_clean_failure(invoke(tmp_path, "init"))


def test_foreign_sqlite_database(tmp_path: Path) -> None:
    """Another application's SQLite database is refused with a one-line error, and its
    tables are left alone."""
    db = tmp_path / "foreign.db"
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("CREATE TABLE sp_records (a INTEGER)")
        conn.execute("INSERT INTO sp_records VALUES (42)")
        conn.execute("CREATE TABLE customers (id TEXT)")
        conn.commit()
    result = invoke(db, "candidates", "show", "ada@example.com")
    assert_clean_failure(result)
    with closing(sqlite3.connect(db)) as conn:
        assert [(42,)] == list(conn.execute("SELECT * FROM sp_records"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_file(tmp_path: Path) -> None:
    """A read-only database file: reads work, a write is a one-line error with a code."""
    db = tmp_path / "ro.db"
    assert 0 == invoke(db, "init").exit_code
    db.chmod(stat.S_IRUSR)
    try:
        result = invoke(db, "consent", "grant", "s1", "research", "--channel", "web_form")
        assert_clean_failure(result)
    finally:
        db.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_read_only_directory(tmp_path: Path) -> None:
    """A database path in a missing directory is a one-line error with a code."""
    assert_clean_failure(invoke(tmp_path / "missing" / "dir" / "p.db", "init"))


# -- tampering through the CLI ----------------------------------------------------------------


def test_history_verify_on_an_edited_history_exits_1_with_ledger_tampered(tmp_path: Path) -> None:
    """Editing an entry of a candidate's history in the SQLite file: ``history verify``
    (by ID and ``--all``) exits 1 with ``ledger_tampered``; before the edit it exits 0."""
    db = tmp_path / "p.db"
    registered = invoke(
        db,
        "candidates", "register", "--email", "ada@example.com", "--given-name", "Ada",
        "--family-name", "Lovelace", "--company", "E", "--partner-company", "B",
        "--language", "en", "--password", "a long passphrase 42", "--accept-terms", "--json",
    )  # fmt: skip
    assert 0 == registered.exit_code, registered.output
    import json

    token = json.loads(registered.stdout)["messages"][0]["data"]["token"]
    activated = invoke(db, "candidates", "activate", "--json", "--", token)
    assert 0 == activated.exit_code, activated.output
    cid = json.loads(activated.stdout)["candidate_id"]
    assert 0 == invoke(db, "history", "verify", cid).exit_code
    with closing(sqlite3.connect(db)) as conn:
        rows = list(conn.execute("SELECT stream, position, data FROM sp_streams"))
        assert rows
        stream, position, data = next(r for r in rows if "ada@example.com" in r[2])
        conn.execute(
            "UPDATE sp_streams SET data = ? WHERE stream = ? AND position = ?",
            (data.replace("ada@example.com", "eve@example.com"), stream, position),
        )
        conn.commit()
    for args in ((cid,), ("--all",)):
        result = invoke(db, "history", "verify", *args)
        assert "ledger_tampered" == assert_clean_failure(result), result.output


# -- the real process -------------------------------------------------------------------------


def run_module(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m symprogram`` in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "symprogram", "--now", NOW, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_python_m_symprogram_errors_are_one_line(tmp_path: Path) -> None:
    """Through ``python -m symprogram``: a garbage DB, an empty CSV, a Latin-1 CSV and
    a usage mistake each print one ``error: [code]`` line and the documented status."""
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 200)
    done = run_module("--db", str(garbage), "init")
    assert 1 == done.returncode, done.stderr
    assert ERROR_LINE.match(done.stderr.strip()), done.stderr
    assert 1 == len(done.stderr.strip().splitlines())

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    done = run_module(
        "--db", str(tmp_path / "p.db"), "import", "candidates", str(empty), "--terms-accepted"
    )
    assert 1 == done.returncode, done.stderr
    assert done.stderr.strip().startswith("error: [csv_empty] "), done.stderr

    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + b"\nz@example.com,Zo\xeb,M,C,P,de\n")
    done = run_module(
        "--db", str(tmp_path / "p.db"), "import", "candidates", str(latin),
        "--terms-accepted", "--quiet",
    )  # fmt: skip
    assert 1 == done.returncode, done.stderr
    assert "line 2: [invalid_encoding]" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr

    done = run_module("no-such-command")
    assert 2 == done.returncode
    assert done.stderr.strip().startswith("error: [usage] "), done.stderr


@pytest.mark.parametrize("extra", ["email", " EMAIL ", "Email"], ids=repr)
def test_a_repeated_column_is_refused_not_guessed(tmp_path: Path, extra: str) -> None:
    """A header naming a used column twice (``email`` and `` EMAIL ``) stops with
    ``csv_duplicate_columns`` before any row; before the fix the last column
    silently won and the other address was dropped."""
    content = HEADER + f",{extra}\n" + ROW.format(n=1) + ",eve@example.com\n"
    result = do_import(tmp_path, content.encode())
    assert_one_line_error(result, "csv_duplicate_columns")


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ((HEADER + "\n" + ROW.format(n=1) + "\n").encode("utf-16"), "invalid_encoding"),
        ((HEADER + "\r" + ROW.format(n=1) + "\r").encode(), "csv_malformed"),
        ((HEADER.replace(",", ";") + "\n").encode(), "csv_missing_columns"),
        ((HEADER + "," + "x" * 200_000 + "\n").encode(), "csv_malformed"),
    ],
    ids=["utf-16", "cr-only", "semicolons", "200k-header"],
)
def test_other_unusable_files_are_one_line_errors(
    tmp_path: Path, content: bytes, code: str
) -> None:
    """A UTF-16 file (Excel "Unicode text"), old-Mac CR line endings, a semicolon
    separated file and an oversized header each stop with one clear error line."""
    assert_one_line_error(do_import(tmp_path, content), code)
