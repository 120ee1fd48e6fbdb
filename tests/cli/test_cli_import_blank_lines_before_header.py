"""`import candidates`: blank lines before the header are skipped, as between rows.

A line that is empty, or holds only spaces or commas (a spreadsheet's empty first
row), before the header does not make the file "empty": the header is the first line
that is not blank, and rows keep the line numbers of the file. A file of nothing but
blank lines is still ``csv_empty``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from cli_helpers import CSV_HEADER, Invoke, assert_one_line_error, parsed
from hypothesis import given
from hypothesis import strategies as st

from symprogram._cli.csv_rows import read_header
from symprogram.errors import ValidationError

HEADER = ",".join(CSV_HEADER)
ROW = "ada@example.com,Ada,Lovelace,AE,B&C,en"
BAD_ROW = "not-an-email,Bob,Smith,AE,B&C,en"

blank_lines = st.lists(
    st.sampled_from(["", " ", ",", ",,,", " , ,", "\t", '""', '"",""']), max_size=6
)
endings = st.sampled_from(["\n", "\r\n"])


@given(blank_lines, endings)
def test_the_header_is_the_first_line_that_is_not_blank(blanks: list[str], end: str) -> None:
    """Any blank lines before the header are skipped; the rows read on after it."""
    text = end.join([*blanks, HEADER, ROW]) + end
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = read_header(reader)
    assert tuple(CSV_HEADER) == header.columns
    assert len(blanks) + 1 == reader.line_num
    assert ROW.split(",") == next(reader)


@given(blank_lines, endings)
def test_a_file_of_blank_lines_is_empty(blanks: list[str], end: str) -> None:
    """Nothing but blank lines (or nothing at all) is still ``csv_empty``."""
    text = end.join(blanks) + (end if blanks else "")
    with pytest.raises(ValidationError) as refused:
        read_header(csv.reader(io.StringIO(text, newline=""), strict=True))
    assert "csv_empty" == refused.value.code


@pytest.mark.parametrize("first", ["", ",,,,,", "  "], ids=["empty", "commas", "spaces"])
def test_a_blank_first_line_does_not_stop_the_import(
    run: Invoke, tmp_path: Path, first: str
) -> None:
    """The rows after the header are imported; a bad one is reported on its own line."""
    path = tmp_path / "c.csv"
    path.write_text("\n".join([first, HEADER, ROW, BAD_ROW]) + "\n", encoding="utf-8")
    report = parsed(run("import", "candidates", str(path), "--terms-accepted", "--json"))
    assert 1 == report["imported"]
    assert [(4, "email")] == [(bad["line"], bad["field"]) for bad in report["bad_rows"]]


def test_blank_lines_alone_stop_as_an_empty_file(run: Invoke, tmp_path: Path) -> None:
    """A file of blank lines stops before any row, as the empty file does."""
    path = tmp_path / "blank.csv"
    path.write_bytes(b"\xef\xbb\xbf\n,,,\n \n")
    assert_one_line_error(run("import", "candidates", str(path), "--terms-accepted"), "csv_empty")
