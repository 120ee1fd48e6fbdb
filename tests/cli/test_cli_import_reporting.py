"""`symprogram import candidates`: reporting as it goes, the rejects file, stops, duplicates.

Issue 19: bad rows reported as they happen (above the progress bar), ``--rejects``,
``--max-errors`` and an early stop on a systematic error, messages naming the CSV
column, duplicates listed with their line numbers.
"""

from __future__ import annotations

import csv
import io
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import Invoke, parsed
from hypothesis import given
from hypothesis import strategies as st
from test_cli_import import HEADER, do_import, emails_in, write_csv

from symprogram._cli.bulk_import import _Progress
from symprogram._cli.csv_rows import spreadsheet_safe, spreadsheet_value
from symprogram.accounts import AccountsService
from symprogram.accounts.models import MAX_ADDRESS_LINE_LENGTH
from symprogram.program import Program

GOOD = "{n}@example.com,Ada,Lovelace,Engines,Babbage,en-GB"


def csv_file(path: Path, header: list[str], rows: list[str]) -> Path:
    path.write_text(",".join(header) + "\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def last_error(stderr: str) -> str:
    return stderr.strip().splitlines()[-1]


# -- reported as they happen -----------------------------------------------------------------
def test_bad_rows_are_reported_before_the_import_ends(
    run: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad row is on stderr before the first batch after it is even committed."""
    path = csv_file(
        tmp_path / "c.csv",
        HEADER,
        ["not-an-email,A,L,C,P,en"] + [GOOD.format(n=n) for n in range(6)],
    )
    real = AccountsService.register_many
    seen: list[str] = []

    def spy(self: AccountsService, rows: Any, **kwargs: Any) -> Any:
        sys.stderr.flush()
        seen.append(sys.stderr.buffer.getvalue().decode())  # type: ignore[attr-defined]
        return real(self, rows, **kwargs)

    monkeypatch.setattr(AccountsService, "register_many", spy)
    result = do_import(run, path, "--batch-size", "2")
    assert 1 == result.exit_code, result.output
    assert 3 == len(seen)
    assert "line 2: [invalid_email] email: " in seen[0]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_a_reported_row_goes_above_the_redrawn_bar(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bar's line is cleared, the row printed, and the bar drawn again below it."""
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    bar = _Progress(100, show=True)
    bar.start()
    bar.advance(40)
    before = terminal.getvalue()
    bar.note("line 7: [invalid_email] email: not a valid e-mail address")
    after = terminal.getvalue()[len(before) :]
    bar.finish()
    assert after.startswith("\r\x1b[Kline 7: [invalid_email] email: not a valid e-mail address\n")
    assert "importing" in after.split("\n", 1)[1]  # the bar again, on the next line
    assert "40%" in after.split("\n", 1)[1]


# -- the CSV column, not the model field ----------------------------------------------------
def test_refusals_name_the_csv_column(run: Invoke, tmp_path: Path) -> None:
    """An address without a street line is `address_line1`; a long second line `address_line2`."""
    header = [*HEADER, "address_line1", "address_line2", "city", "country"]
    long_line = "x" * (MAX_ADDRESS_LINE_LENGTH + 1)
    path = csv_file(
        tmp_path / "c.csv",
        header,
        [
            GOOD.format(n=1) + ",,,Springfield,US",
            GOOD.format(n=2) + f",1 Main St,{long_line},Springfield,US",
            GOOD.format(n=3) + f",{long_line},Suite 2,Springfield,US",
            GOOD.format(n=4) + ",1 Main St,,,US",
        ],
    )
    data = parsed(do_import(run, path, "--json"))
    assert [(2, "address_line1"), (3, "address_line2"), (4, "address_line1"), (5, "city")] == [
        (b["line"], b["field"]) for b in data["bad_rows"]
    ]
    text = do_import(run, path)
    assert "line 2: [field_required] address_line1: " in text.stderr
    assert "lines" not in text.stderr


def test_the_erased_address_marker_is_a_bad_row(run: Invoke, tmp_path: Path) -> None:
    """A row for the address that replaces erased ones is refused alone, as `email`; the
    other rows are imported."""
    marker = GOOD.format(n="ERASED").replace("example.com", "erased.example")
    path = csv_file(tmp_path / "c.csv", HEADER, [GOOD.format(n=1), marker, GOOD.format(n=3)])
    data = parsed(do_import(run, path, "--json"))
    assert [(3, "email", "invalid_email")] == [
        (b["line"], b["field"], b["code"]) for b in data["bad_rows"]
    ]
    assert 2 == data["imported"]


def test_a_column_missing_from_the_header_is_named_as_missing(run: Invoke, tmp_path: Path) -> None:
    """A city and country without any street-line column: the message says the column is absent."""
    path = csv_file(
        tmp_path / "c.csv", [*HEADER, "city", "country"], [GOOD.format(n=1) + ",Oslo,NO"]
    )
    result = do_import(run, path)
    assert (
        "line 2: [field_required] address_line1: a postal address needs at least one street "
        "line (the file has no address_line1 column)"
    ) in result.stderr


# -- the rejects file --------------------------------------------------------------------------
def test_rejects_are_written_with_line_code_column_message_and_the_row(
    run: Invoke, tmp_path: Path
) -> None:
    """Each bad row: line, code, column, message, then its values under the file's own header."""
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"Email,Given Name,family_name,company_name,partner_company,preferred_language\n"
        b"ok1@example.com,Ada,L,Co,P,en\n"  # line 2
        b"not-an-email,Bob,L,Co,P,en\n"  # line 3
        b"ok2@example.com,D\xff,L,Co,P,en\n"  # line 4: not UTF-8
        b"ok3@example.com,Cy,L,Co,P,en,surplus\n"  # line 5
    )
    rejects = tmp_path / "rejects.csv"
    result = do_import(run, path, "--rejects", str(rejects))
    assert 1 == result.exit_code
    assert f"bad rows written to {rejects}" in result.stdout
    with rejects.open(encoding="utf-8", errors="surrogateescape", newline="") as f:
        rows = list(csv.reader(f))
    assert [
        "line",
        "code",
        "column",
        "message",
        "Email",
        "Given Name",
        "family_name",
        "company_name",
        "partner_company",
        "preferred_language",
    ] == rows[0]
    assert [("3", "invalid_email", "email"), ("4", "invalid_encoding", "given_name")] == [
        tuple(r[:3]) for r in rows[1:3]
    ]
    assert ("5", "csv_extra_fields", "") == tuple(rows[3][:3])
    assert ["not-an-email", "Bob", "L", "Co", "P", "en"] == rows[1][4:]
    assert ["ok3@example.com", "Cy", "L", "Co", "P", "en", "surplus"] == rows[3][4:]
    assert all(r[3] for r in rows[1:])  # every message
    assert b"D\xff" in rejects.read_bytes()  # the bytes as they were
    assert 0o600 == stat.S_IMODE(rejects.stat().st_mode)


def test_a_corrected_rejects_file_imports(run: Invoke, db: Path, tmp_path: Path) -> None:
    """The rejects file, corrected, is itself an import file (its four first columns ignored)."""
    path = csv_file(tmp_path / "c.csv", HEADER, [GOOD.format(n=1), "bob-at-example.com,B,L,C,P,en"])
    rejects = tmp_path / "rejects.csv"
    do_import(run, path, "--rejects", str(rejects))
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(rejects.read_text().replace("bob-at-example.com", "bob@example.com"))
    data = parsed(do_import(run, fixed, "--json"))
    assert (1, ["line", "code", "column", "message"]) == (data["imported"], data["ignored_columns"])
    assert ["1@example.com", "bob@example.com"] == emails_in(db)


def test_rejects_cells_that_a_spreadsheet_would_run_are_written_as_text(
    run: Invoke, db: Path, tmp_path: Path
) -> None:
    """CSV injection: a refused row's ``=``/``+``/``-``/``@`` cells get a leading ``'``.

    Importing the corrected rejects file takes the ``'`` off again, so the values
    registered are the ones first read.
    """
    path = tmp_path / "c.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerow(["=HYPERLINK(x)", "@Ada", "-Lovelace", "+Co", "'=P", "en"])
    rejects = tmp_path / "rejects.csv"
    do_import(run, path, "--rejects", str(rejects))
    with rejects.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    cells = rows[1]
    assert ["'=HYPERLINK(x)", "'@Ada", "'-Lovelace", "'+Co", "''=P", "en"] == cells[4:]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    cells[4] = "ada@example.com"
    fixed = tmp_path / "fixed.csv"
    with fixed.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([rows[0], cells])
    data = parsed(do_import(run, fixed, "--json"))
    assert 1 == data["imported"], data
    with Program.open(f"sqlite:///{db}") as program:
        (subject,) = program.history.iter_subjects()
        contact = program.accounts.get_candidate(subject).contact
    assert ("@Ada", "-Lovelace", "+Co", "'=P") == (
        contact.given_name,
        contact.family_name,
        contact.company_name,
        contact.partner_company,
    )


@given(st.text(max_size=20))
def test_spreadsheet_safe_cells_read_back_exactly_and_never_start_a_formula(cell: str) -> None:
    """What the rejects file writes is never a formula, and reads back as it was."""
    safe = spreadsheet_safe(cell)
    assert spreadsheet_value(safe) == cell
    assert not safe.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_a_clean_import_leaves_a_rejects_file_with_the_header_only(
    run: Invoke, tmp_path: Path
) -> None:
    """The rejects file is rewritten by each run: no stale rows from an earlier one."""
    rejects = tmp_path / "rejects.csv"
    rejects.write_text("stale\n")
    result = do_import(run, write_csv(tmp_path / "c.csv", 2), "--rejects", str(rejects))
    assert 0 == result.exit_code, result.output
    assert 1 == len(rejects.read_text().splitlines())


# -- stops ---------------------------------------------------------------------------------
def test_max_errors_stops_after_that_many_bad_rows(run: Invoke, db: Path, tmp_path: Path) -> None:
    """--max-errors 2: the third bad row stops the import; the good rows read before it stay."""
    rows = []
    for n in range(10):
        rows += [GOOD.format(n=n), f"bad{n},A,L,C,P,en"]
    path = csv_file(tmp_path / "c.csv", HEADER, rows)
    result = do_import(run, path, "--max-errors", "2")
    assert 1 == result.exit_code
    assert last_error(result.stderr) == (
        "error: [too_many_bad_rows] more than 2 bad row(s): stopped at line 7; the rows "
        "after it were not read (--max-errors 2)"
    )
    assert ["0@example.com", "1@example.com", "2@example.com"] == emails_in(db)
    data = parsed(do_import(run, path, "--max-errors", "2", "--json"))
    assert ("too_many_bad_rows", 7) == (data["stopped"]["code"], data["stopped"]["line"])
    assert "too_many_bad_rows" == data["error"]["code"]


def test_max_errors_zero_stops_at_the_first_bad_row(run: Invoke, tmp_path: Path) -> None:
    path = csv_file(
        tmp_path / "c.csv", HEADER, [GOOD.format(n=1), "bad,A,L,C,P,en", GOOD.format(n=2)]
    )
    data = parsed(do_import(run, path, "--max-errors", "0", "--json"))
    assert (2, 1, 3) == (data["rows"], data["imported"], data["stopped"]["line"])


def systematic_file(path: Path, count: int) -> Path:
    """``count`` rows with a city and country but a header without any street-line column."""
    return csv_file(
        path, [*HEADER, "city", "country"], [GOOD.format(n=n) + ",Oslo,NO" for n in range(count)]
    )


def test_a_systematic_error_stops_after_the_first_100_rows(run: Invoke, tmp_path: Path) -> None:
    """Every row failing the same way is a wrong file: stop at row 100 and name the cause."""
    result = do_import(run, systematic_file(tmp_path / "c.csv", 500))
    assert 1 == result.exit_code
    error = last_error(result.stderr)
    assert error.startswith(
        "error: [systematic_error] the first 100 rows were all refused with [field_required] "
        "in column address_line1: a postal address needs at least one street line (the file "
        "has no address_line1 column). The file itself looks wrong, so the import stopped at "
        "line 101"
    ), error
    assert 100 == result.stderr.count("[field_required] address_line1")
    assert "100 rows: 0 imported" in result.stdout


def test_a_field_past_the_reader_limit_stops_at_its_line(run: Invoke, tmp_path: Path) -> None:
    """A quoted field longer than the CSV reader's limit: the reader would resume
    inside it and turn every later line into a bad row; the import stops there,
    after the rows before it were registered."""
    path = tmp_path / "c.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerow(GOOD.format(n=1).split(","))
        huge = "x" * (csv.field_size_limit() + 10) + "\n" + "y,z\n" * 50
        writer.writerow(["2@example.com", huge, "L", "C", "P", "en"])
        for n in range(3, 30):
            writer.writerow(GOOD.format(n=n).split(","))
    result = do_import(run, path, "--no-early-stop")
    assert 1 == result.exit_code
    assert last_error(result.stderr).startswith("error: [csv_field_too_large] line 3: "), (
        result.stderr
    )
    assert 0 == result.stderr.count("[csv_malformed]")  # no flood of misread lines
    assert "1 imported" in result.stdout


def test_no_early_stop_reads_the_whole_file(run: Invoke, tmp_path: Path) -> None:
    data = parsed(
        do_import(run, systematic_file(tmp_path / "c.csv", 150), "--no-early-stop", "--json")
    )
    assert (150, 150, None) == (data["rows"], len(data["bad_rows"]), data["stopped"])
    assert "import_bad_rows" == data["error"]["code"]


def test_mixed_failures_are_not_systematic(run: Invoke, tmp_path: Path) -> None:
    """100 bad first rows with two different codes, or 99 bad and one good: no early stop."""
    rows = ["bad,A,L,C,P,en"] * 50 + [
        GOOD.format(n=n).replace("en-GB", "xx-nonsense") for n in range(50)
    ]
    data = parsed(do_import(run, csv_file(tmp_path / "a.csv", HEADER, [*rows, *rows]), "--json"))
    assert (200, None) == (data["rows"], data["stopped"])
    rows = ["bad,A,L,C,P,en"] * 99 + [GOOD.format(n=1)] + ["bad,A,L,C,P,en"] * 20
    data = parsed(do_import(run, csv_file(tmp_path / "b.csv", HEADER, rows), "--json"))
    assert (120, 1, None) == (data["rows"], data["imported"], data["stopped"])


# -- duplicates ----------------------------------------------------------------------------
def test_duplicates_are_listed_with_their_line_numbers(run: Invoke, tmp_path: Path) -> None:
    """A repeat in the file names the line it repeats; a re-run lists the rows already there."""
    path = csv_file(
        tmp_path / "c.csv",
        HEADER,
        [GOOD.format(n="a"), GOOD.format(n="b"), GOOD.format(n="A"), GOOD.format(n="b")],
    )
    first = do_import(run, path)
    assert 0 == first.exit_code, first.output
    assert "line 4: same e-mail address as line 2 (skipped)" in first.stderr
    assert "line 5: same e-mail address as line 3 (skipped)" in first.stderr
    data = parsed(do_import(run, path, "--json"))
    assert [
        {"line": 2, "duplicate_of": None},
        {"line": 3, "duplicate_of": None},
        {"line": 4, "duplicate_of": 2},
        {"line": 5, "duplicate_of": 3},
    ] == data["duplicates"]
    assert (0, 4) == (data["imported"], data["skipped"])
    again = do_import(run, path)
    assert "registered before this import: line(s) 2, 3" in again.stdout


def test_a_long_list_of_registered_rows_is_cut_in_the_text_summary(
    run: Invoke, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "c.csv", 25)
    do_import(run, path)
    again = do_import(run, path)
    assert (
        "registered before this import: line(s) 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 "
        "and 15 more (--json lists them)"
    ) in again.stdout


# -- read-only commands ----------------------------------------------------------------------
READ_ONLY = [
    ("candidates", "show", "ada@example.com"),
    ("awards", "progress", "SP-0000-0000-0000-0"),
    ("entitlements", "decide", "technical_support_policy"),
    ("consent", "check", "cust-1", "special_offers"),
    ("consent", "receipt", "cust-1"),
    ("history", "show", "SP-0000-0000-0000-0"),
    ("history", "verify", "--all"),
]


@pytest.mark.parametrize("args", READ_ONLY, ids=[" ".join(a[:2]) for a in READ_ONLY])
def test_read_only_commands_never_create_a_database(
    run: Invoke, db: Path, args: tuple[str, ...]
) -> None:
    """On a missing file: one line naming it, exit 1, and still no file."""
    result = run(*args)
    assert 1 == result.exit_code, result.output
    lines = result.stderr.strip().splitlines()
    assert 1 == len(lines), result.stderr
    assert lines[0].startswith(f"error: [database_missing] no database at {db}: create it with ")
    assert not db.exists()


def test_terms_need_no_database_and_create_none(run: Invoke, db: Path) -> None:
    result = run("terms", "--json")
    assert 0 == result.exit_code, result.output
    assert "2007.507" == parsed(result)["version"]
    assert not db.exists()


def test_a_file_refused_before_its_first_row_leaves_no_rejects_file(
    run: Invoke, tmp_path: Path
) -> None:
    path = csv_file(tmp_path / "c.csv", ["email", "given_name"], ["a@example.com,A"])
    rejects = tmp_path / "rejects.csv"
    result = do_import(run, path, "--rejects", str(rejects))
    assert 1 == result.exit_code
    assert "csv_missing_columns" in result.stderr
    assert not rejects.exists()


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("email,given_name\na@example.com,A\n", "csv_missing_columns"),
        (",".join([*HEADER, "email"]) + "\n", "csv_duplicate_columns"),
        ("", "csv_empty"),
    ],
    ids=["missing-columns", "duplicate-columns", "empty"],
)
def test_a_file_refused_at_its_header_leaves_existing_output_files_as_they_were(
    run: Invoke, tmp_path: Path, content: str, code: str
) -> None:
    """The rejects file is rewritten only once the header is accepted: a run that stops
    at the header neither truncates nor removes an existing rejects file (nor touches
    an existing outbox)."""
    path = tmp_path / "c.csv"
    path.write_text(content, encoding="utf-8")
    rejects, outbox = tmp_path / "rejects.csv", tmp_path / "outbox.jsonl"
    rejects.write_bytes(b"line,code\n7,kept\n")
    rejects.chmod(0o640)
    outbox.write_bytes(b'{"kept": true}\n')
    result = do_import(run, path, "--rejects", str(rejects), "--outbox", str(outbox))
    assert 1 == result.exit_code
    assert last_error(result.stderr).startswith(f"error: [{code}] ")
    assert b"line,code\n7,kept\n" == rejects.read_bytes()
    assert 0o640 == stat.S_IMODE(rejects.stat().st_mode)
    assert b'{"kept": true}\n' == outbox.read_bytes()


def test_an_unwritable_rejects_file_stops_before_any_row(
    run: Invoke, db: Path, tmp_path: Path
) -> None:
    result = do_import(
        run, write_csv(tmp_path / "c.csv", 3), "--rejects", str(tmp_path / "no" / "r.csv")
    )
    assert 1 == result.exit_code
    assert result.stderr.strip().startswith("error: [rejects_unwritable] cannot write ")
    assert [] == emails_in(db)


def test_bad_rows_found_after_the_whole_file_was_read_stop_nothing(
    run: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refusals of the last batch, committed after the end of the file, are bad rows, not a stop."""
    from symprogram.errors import Conflict

    def refuse(self: AccountsService, rows: Any, **kwargs: Any) -> Any:
        raise Conflict("simulated refusal", field="email", code="simulated_conflict")

    monkeypatch.setattr(AccountsService, "register_many", refuse)
    path = write_csv(tmp_path / "c.csv", 3)
    data = parsed(do_import(run, path, "--max-errors", "1", "--json"))
    assert (3, None, "import_bad_rows") == (
        len(data["bad_rows"]),
        data["stopped"],
        data["error"]["code"],
    )


@pytest.mark.parametrize(
    ("option", "target"),
    [
        ("--rejects", "input"),
        ("--outbox", "input"),
        ("--rejects", "database"),
        ("--outbox", "database"),
        ("--rejects", "link"),
    ],
)
def test_an_output_file_that_is_the_input_or_the_database_is_refused(
    run: Invoke, db: Path, tmp_path: Path, option: str, target: str
) -> None:
    """--rejects is truncated and --outbox appended to before the first row is read:
    naming the CSV being imported (or a link to it) or the database file is refused
    before anything is written, and both are left as they were."""
    assert 0 == run("init").exit_code
    path = write_csv(tmp_path / "c.csv", 2)
    before, database = path.read_bytes(), db.read_bytes()
    named = {"input": path, "database": db, "link": tmp_path / "link.csv"}[target]
    if target == "link":
        named.symlink_to(path)
    result = do_import(run, path, option, str(named))
    assert 1 == result.exit_code, result.output
    assert result.stderr.strip().startswith("error: [output_clash] ")
    assert (before, database) == (path.read_bytes(), db.read_bytes())
    assert [] == emails_in(db)


def test_outbox_and_rejects_must_be_two_files(run: Invoke, tmp_path: Path) -> None:
    """One file cannot be both the outbox (appended) and the rejects file (rewritten)."""
    out = tmp_path / "out.txt"
    result = do_import(
        run, write_csv(tmp_path / "c.csv", 2), "--outbox", str(out), "--rejects", str(out)
    )
    assert result.stderr.strip().startswith("error: [output_clash] --rejects ")
