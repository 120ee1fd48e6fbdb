"""Reading a candidates CSV: the columns, the header, the records and the row check.

Private to the CSV import (:mod:`symprogram._cli.importer`). Every refusal of a row
names the CSV *column* the person can fix (``address_line1``), never the model field
it becomes (``PostalAddress.lines``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from symprogram.accounts import ContactDetails, PostalAddress, rules
from symprogram.errors import SymprogramError, ValidationError

__all__ = [
    "ADDRESS_COLUMNS",
    "FieldTooLarge",
    "QuoteCounter",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "Header",
    "RowError",
    "check_row",
    "decoded_lines",
    "read_header",
    "records",
    "spreadsheet_safe",
    "spreadsheet_value",
]

REQUIRED_COLUMNS = (
    "email",
    "given_name",
    "family_name",
    "company_name",
    "partner_company",
    "preferred_language",
)
"""Columns every candidates CSV must have (header names, any case, ``-``/space as ``_``)."""

OPTIONAL_COLUMNS = (
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
)
"""Columns that may be present; the address needs at least a line, a city and a country."""

ADDRESS_COLUMNS = OPTIONAL_COLUMNS[1:]
"""The columns of the postal address."""

REJECTS_COLUMNS = ("line", "code", "column", "message")
"""The columns a rejects file puts before the row (ignored when it is imported again)."""

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def spreadsheet_safe(cell: str) -> str:
    """``cell`` as a spreadsheet reads it as text, never as a formula.

    A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    is what a spreadsheet runs as a formula (CSV injection): it gets a leading
    ``'``, as does a cell that already begins with one, so that
    :func:`spreadsheet_value` gives back exactly what was written.
    """
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def spreadsheet_value(cell: str) -> str:
    """The value :func:`spreadsheet_safe` wrote as ``cell`` (one added ``'`` taken off)."""
    if cell.startswith("'") and cell[1:].startswith(_FORMULA_START):
        return cell[1:]
    return cell


class RowError(Exception):
    """A row refused: the error, the CSV column it concerns and the row's raw values."""

    def __init__(
        self,
        error: SymprogramError,
        column: str | None,
        values: Sequence[str],
        message: str | None = None,
    ) -> None:
        super().__init__(error.message)
        self.error = error
        self.column = column
        self.values = tuple(values)
        self.message = error.message if message is None else message
        """The error's message, naming the CSV column rather than the model field."""


class Header:
    """The accepted header: the raw names as written, their normalised columns, the unused."""

    def __init__(self, raw: Sequence[str], columns: Sequence[str]) -> None:
        known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
        self.raw = tuple(raw)
        self.columns = tuple(columns)
        self.ignored = tuple(c for c in columns if c not in known)
        self.rejects = self.columns[: len(REJECTS_COLUMNS)] == REJECTS_COLUMNS
        """Whether this is a rejects file (its cells were written spreadsheet-safe)."""

    def __contains__(self, column: object) -> bool:
        return column in self.columns


def _column(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def has_surrogate(text: str) -> bool:
    """Whether ``text`` holds bytes that were not UTF-8 (decoded as lone surrogates)."""
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def decoded_lines(stream: IO[bytes], progress: Callable[[int], None] | None) -> Iterator[str]:
    """Decode a binary file line by line, reporting the bytes consumed.

    Bytes that are not UTF-8 become lone surrogates, which the row check
    reports as ``invalid_encoding`` with the row's line number.
    """
    first = True
    for raw in stream:
        if progress is not None:
            progress(len(raw))
        if first:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
            first = False
        yield raw.decode("utf-8", "surrogateescape")


def _first_record(reader: Any) -> tuple[int, list[str]]:
    """The line the first record of ``reader`` that is not blank starts on, and that
    record: blank lines (empty, spaces or commas only, a BOM alone) before the
    header are skipped, as between rows.

    Raises:
        ValidationError: ``csv_empty`` (nothing but blank lines), ``csv_malformed``.
    """
    while True:
        start = reader.line_num + 1
        try:
            raw: list[str] = next(reader)
        except StopIteration:
            raise ValidationError("the file is empty", field="file", code="csv_empty") from None
        except csv.Error as exc:
            raise ValidationError(
                f"line {start}: the header is not valid CSV: {exc}",
                field="file",
                code="csv_malformed",
            ) from exc
        if any(cell.strip() for cell in raw):
            return start, raw


def read_header(reader: Any) -> Header:
    """Read and check the header: the first line that is not blank.

    Raises:
        ValidationError: ``csv_empty`` (no line but blank ones), ``csv_malformed``,
            ``invalid_encoding``, ``csv_missing_columns`` or ``csv_duplicate_columns``.
    """
    line, raw = _first_record(reader)
    if any(has_surrogate(cell) for cell in raw):
        raise ValidationError(
            f"line {line}: the header is not UTF-8 text (save the file as UTF-8)",
            field="file",
            code="invalid_encoding",
        )
    columns = [_column(c) for c in raw]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ValidationError(
            f"the header misses column(s): {', '.join(missing)}",
            field="file",
            code="csv_missing_columns",
            details={"missing": missing, "required": list(REQUIRED_COLUMNS)},
        )
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    repeated = sorted({c for c in columns if c in known and columns.count(c) > 1})
    if repeated:
        # which of two e-mail columns is meant? refuse rather than guess
        raise ValidationError(
            f"the header repeats column(s): {', '.join(repeated)}",
            field="file",
            code="csv_duplicate_columns",
            details={"repeated": repeated},
        )
    return Header(raw, columns)


class FieldTooLarge(csv.Error):
    """A field past the CSV reader's limit inside quotes that go on past the lines
    read: the reader would go on from inside that field, so no later line can be
    read reliably."""


class QuoteCounter:
    """The decoded lines handed to the CSV reader, counting the ``"`` of each record's
    lines (:meth:`mark` starts a record): an odd count after a refused record means
    the reader stopped inside a quoted field that goes on."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self._quotes = 0

    def __iter__(self) -> QuoteCounter:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self._quotes += line.count('"')
        return line

    def mark(self) -> None:
        """A new record starts with the next line."""
        self._quotes = 0

    def inside_quotes(self) -> bool:
        """Whether the lines read since :meth:`mark` leave a quoted field open."""
        return self._quotes % 2 == 1


def records(
    reader: Any, lines: QuoteCounter | None = None
) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """Yield ``(first line, values)`` for every non-blank record, or the csv error.

    With ``lines`` (the reader's input), a field past the reader's limit inside a
    quoted field that goes on is a :class:`FieldTooLarge`, and the reading stops
    there; one on a single line is a csv error like any other (the next record
    starts on the next line).
    """
    while True:
        start = reader.line_num + 1
        if lines is not None:
            lines.mark()
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if lines is not None and "field limit" in str(exc) and lines.inside_quotes():
                yield start, FieldTooLarge(str(exc))
                return
            yield start, exc
            if reader.line_num < start:  # pragma: no cover - csv always advances
                return
            continue
        if not values or all(not v.strip() for v in values):
            continue
        yield start, values


def _address(get: Callable[[str], str | None]) -> PostalAddress | None:
    if not any(get(c) for c in ADDRESS_COLUMNS):
        return None
    first, second = get("address_line1"), get("address_line2")
    lines = [v for v in (first, second) if v]
    fields: dict[str, Any] = {
        "city": get("city") or "",
        "country": get("country") or "",
        "region": get("region"),
        "postal_code": get("postal_code"),
    }
    try:
        return PostalAddress(lines=lines, **fields)
    except SymprogramError as exc:
        if exc.field != "lines":
            raise
        column = _line_column(first, second, fields, exc)
        message = re.sub(r"\blines\b", column, exc.message)
        raise RowError(exc, column, (), message) from exc


def _line_column(
    first: str | None, second: str | None, fields: dict[str, Any], exc: SymprogramError
) -> str:
    """Which of the two street-line columns the refusal of ``lines`` concerns."""
    if first and second:
        try:
            PostalAddress(lines=[first], **fields)
        except SymprogramError as alone:
            if alone.code == exc.code:
                return "address_line1"
        return "address_line2"
    return "address_line2" if second and not first else "address_line1"


def check_row(header: Header, values: list[str]) -> ContactDetails:
    """The contact details of one record.

    Raises:
        RowError: the record is refused; its error names the CSV column.
    """
    if len(values) > len(header.columns):
        error = ValidationError(
            f"{len(values)} fields where the header has {len(header.columns)}",
            code="csv_extra_fields",
        )
        raise RowError(error, None, values)
    fields = dict(zip(header.columns, values, strict=False))
    for name, value in fields.items():
        if has_surrogate(value):
            error = ValidationError(
                "the text is not valid UTF-8", field=name, code="invalid_encoding"
            )
            raise RowError(error, name, values)

    def get(name: str) -> str | None:
        value = fields.get(name, "").strip()
        return value or None

    try:
        contact = ContactDetails(
            email=fields.get("email", ""),
            given_name=fields.get("given_name", ""),
            family_name=fields.get("family_name", ""),
            company_name=fields.get("company_name", ""),
            partner_company=fields.get("partner_company", ""),
            preferred_language=fields.get("preferred_language", ""),
            phone=get("phone"),
            postal_address=_address(get),
        )
        rules.require_usable_email(contact.email)
    except RowError as exc:
        raise RowError(exc.error, exc.column, values, exc.message) from exc
    except SymprogramError as exc:
        raise RowError(exc, _field_column(exc.field), values) from exc
    return contact


def _field_column(field: str | None) -> str | None:
    """The CSV column of a model field (the same name, except the address's street lines)."""
    if field in ("lines", "postal_address"):
        return "address_line1"
    return field
