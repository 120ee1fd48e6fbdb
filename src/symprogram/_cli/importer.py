"""``symprogram import candidates``: stream a CSV of candidates into the program.

The file is read row by row with :mod:`csv` (never loaded whole). Each row is
validated first (the accounts context's own :class:`ContactDetails` rules);
bad rows are reported as soon as they are refused (``on_bad``), with the line
they start on and the CSV column to fix, and the import goes on. Good rows are
registered in batches, each batch one unit of work, so an interrupted import
leaves only whole batches behind. Registration is idempotent per e-mail
address: a row whose address is already registered (by an earlier run, or
earlier in the same file) is skipped and listed with its line number, so
re-running the same file after an interruption imports the rest and creates no
duplicate.

Stops: after more than ``max_errors`` bad rows, and when the first
:data:`SYSTEMATIC_ROWS` rows are all refused with the same code on the same
column (a file whose every row fails the same way, e.g. an address without an
``address_line1`` column, is a wrong file, not 50,000 wrong rows). Batches
committed before a stop stay; the report says where and why it stopped.

Terms of Use: every person must have accepted the Terms of Use before an
account is created (the Terms of Use v.2007.507). The import records that acceptance *on behalf
of* each row, through the public bulk API (``AccountsService.register_many``
with ``terms_accepted_path="create_account"``), so the account history shows
``terms_accepted`` with the version and digest in effect at import time, exactly
as for a web sign-up. The
operator confirms that the people in the file accepted them elsewhere (for
instance on the paper or partner form the file comes from) by passing
``--terms-accepted``; without it nothing is imported.

Passwords: imported accounts get an *unusable* password (a marker no hasher
ever verifies, written by ``register_many`` for a row without a password hash),
as Django's ``set_unusable_password`` does. The person activates
the account with the activation message and then chooses a password through
"Forgot password". No password ever travels in the CSV.
"""

from __future__ import annotations

import contextlib
import csv
import secrets
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import attrs

from symprogram._cli.csv_rows import (
    OPTIONAL_COLUMNS,
    REJECTS_COLUMNS,
    REQUIRED_COLUMNS,
    FieldTooLarge,
    Header,
    QuoteCounter,
    RowError,
    check_row,
    decoded_lines,
    read_header,
    records,
    spreadsheet_safe,
    spreadsheet_value,
)
from symprogram.accounts import (
    AcceptancePath,
    BulkCandidate,
    BulkRegistrationReport,
    ContactDetails,
)
from symprogram.accounts._text import fold_email
from symprogram.accounts.ports import UNUSABLE_PREFIX
from symprogram.errors import SymprogramError, ValidationError
from symprogram.notify import Message, Outbox
from symprogram.program import Program

__all__ = [
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "SYSTEMATIC_ROWS",
    "BadRow",
    "CandidateImport",
    "Duplicate",
    "ImportReport",
    "RejectsWriter",
    "Stop",
    "UnusablePasswords",
]

SYSTEMATIC_ROWS = 100
"""When this many first rows are all refused the same way, the file is wrong: stop."""


class UnusablePasswords:
    """A password hasher whose hashes no password ever matches.

    Imported accounts get such a hash: nobody can log in until the person sets a
    password with "Forgot password" (hashed then by the program's real hasher).
    :class:`~symprogram.accounts.ScryptHasher` also answers ``False`` for it,
    since it is not a scrypt hash.
    """

    def hash(self, password: str) -> str:
        """Return a random marker that does not depend on ``password``."""
        return UNUSABLE_PREFIX + secrets.token_hex(16)

    def verify(self, password: str, encoded: str) -> bool:
        """Always ``False``."""
        return False


@attrs.frozen
class BadRow:
    """A row that was not imported.

    Attributes:
        line: the line of the file the row starts on (the file's first line is line 1).
        code: the stable error code (e.g. ``invalid_email``).
        message: a readable explanation.
        field: the CSV column to fix (e.g. ``address_line1``), when known.
    """

    line: int
    code: str
    message: str
    field: str | None = None

    def __str__(self) -> str:
        column = f"{self.field}: " if self.field else ""
        return f"line {self.line}: [{self.code}] {column}{self.message}"


@attrs.frozen
class Duplicate:
    """A row skipped because its e-mail address is registered already.

    Attributes:
        line: the line of the file the row starts on.
        duplicate_of: the line of the same address earlier in the file, or
            ``None`` when it was registered before this import.
    """

    line: int
    duplicate_of: int | None = None

    def __str__(self) -> str:
        if self.duplicate_of is None:
            return f"line {self.line}: already registered (skipped)"
        return f"line {self.line}: same e-mail address as line {self.duplicate_of} (skipped)"


@attrs.frozen
class Stop:
    """Why an import stopped before the end of the file.

    Attributes:
        code: ``too_many_bad_rows`` (more bad rows than allowed),
            ``systematic_error`` (the first rows all refused the same way) or
            ``csv_field_too_large`` (a field past the CSV reader's limit: the
            lines after it cannot be read reliably).
        line: the last line read; the rows after it were not read.
        message: a readable explanation naming the cause.
    """

    code: str
    line: int
    message: str


@attrs.define
class ImportReport:
    """What an import did so far (imported rows count once their batch committed).

    Attributes:
        rows: data rows read (blank lines not counted).
        imported: accounts created.
        skipped: rows whose e-mail address was already registered or repeated.
        bad: rows refused, with their line numbers.
        duplicates: the skipped rows with their line numbers (when known).
        batches: units of work committed.
        ignored_columns: header columns that are not used.
        stopped: why the import stopped early, or ``None``.
    """

    rows: int = 0
    imported: int = 0
    skipped: int = 0
    bad: list[BadRow] = attrs.field(factory=list)
    duplicates: list[Duplicate] = attrs.field(factory=list)
    batches: int = 0
    ignored_columns: tuple[str, ...] = ()
    stopped: Stop | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary (bad rows and duplicates in the order of the file)."""
        return {
            "rows": self.rows,
            "imported": self.imported,
            "skipped": self.skipped,
            "bad_rows": [attrs.asdict(b) for b in sorted(self.bad, key=_line)],
            "duplicates": [attrs.asdict(d) for d in sorted(self.duplicates, key=_line)],
            "batches": self.batches,
            "ignored_columns": list(self.ignored_columns),
            "stopped": None if self.stopped is None else attrs.asdict(self.stopped),
        }


def _line(item: BadRow | Duplicate) -> int:
    return item.line


class RejectsWriter:
    """Write refused rows as CSV: ``line``, ``code``, ``column``, ``message``, then the row.

    The row follows as it was read, under the file's own header, so the rejects
    file can be corrected and imported again (its four first columns are ignored).
    Every cell is written spreadsheet-safe (:func:`spreadsheet_safe`: a cell that
    would run as a formula gets a leading ``'``), and importing the rejects file
    takes that ``'`` off again.

    Args:
        stream: a text file opened with ``newline=""`` (and, to write back bytes
            that were not UTF-8 as they were, ``errors="surrogateescape"``).
    """

    COLUMNS = REJECTS_COLUMNS

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._writer = csv.writer(stream)

    def start(self, header: Sequence[str]) -> None:
        """Write the header line."""
        self._writer.writerow([spreadsheet_safe(cell) for cell in (*self.COLUMNS, *header)])
        self._stream.flush()

    def write(self, bad: BadRow, values: Sequence[str]) -> None:
        """Write one refused row (``values`` empty when the record was not valid CSV)."""
        cells = (str(bad.line), bad.code, bad.field or "", bad.message, *values)
        self._writer.writerow([spreadsheet_safe(cell) for cell in cells])
        self._stream.flush()


@attrs.frozen
class _Row:
    line: int
    contact: ContactDetails
    values: tuple[str, ...]


def _count(value: object, field: str, minimum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationError(
            f"{field} must be an integer of at least {minimum}",
            field=field,
            code=f"invalid_{field}",
        )
    return value


class CandidateImport:
    """Import candidates from a CSV file into ``program``.

    Args:
        program: the program to import into. Its notifier must be ``outbox``.
        outbox: where the activation messages land. Each is handed to
            ``on_messages`` as the outbox receives it, after its batch committed
            and before the transactional outbox marks it delivered; the
            messages a killed import left pending are delivered so when the
            import starts and when it ends (``Program.deliver_pending``).
        batch_size: rows per unit of work.
        max_errors: stop once more rows than this are bad (``None``: never).
        stop_after_same: stop when this many first rows are all refused with
            the same code on the same column (``None``: never).
        on_start: called once the header is checked, before the first row.
        on_progress: called with the number of bytes read, as the file is read.
        on_messages: called with each message (a tuple of one) once its batch
            committed (the activation messages a host application would e-mail).
        on_bad: called with each bad row and its values, as soon as it is refused.
        on_duplicate: called with each skipped row whose line is known.
    """

    def __init__(
        self,
        program: Program,
        outbox: Outbox,
        *,
        batch_size: int = 500,
        max_errors: int | None = None,
        stop_after_same: int | None = SYSTEMATIC_ROWS,
        on_start: Callable[[], None] | None = None,
        on_progress: Callable[[int], None] | None = None,
        on_messages: Callable[[tuple[Message, ...]], None] | None = None,
        on_bad: Callable[[BadRow, tuple[str, ...]], None] | None = None,
        on_duplicate: Callable[[Duplicate], None] | None = None,
    ) -> None:
        size = _count(batch_size, "batch_size", 1)
        if size is None:
            raise ValidationError(
                "the batch size must be a positive integer",
                field="batch_size",
                code="invalid_batch_size",
            )
        self._program = program
        self._outbox = outbox
        self._batch_size = size
        self._max_errors = _count(max_errors, "max_errors", 0)
        self._same = _count(stop_after_same, "stop_after_same", 1)
        self._on_start = on_start
        self._on_progress = on_progress
        self._on_messages = on_messages
        self._on_bad = on_bad
        self._on_duplicate = on_duplicate
        self._seen: dict[str, int] = {}
        self._last = 1
        self._reading = True
        self.header: Header | None = None
        self.report = ImportReport()

    # -- reading ---------------------------------------------------------------------
    def run(self, path: str | Path) -> ImportReport:
        """Import every row of ``path`` (or until a stop) and return the report.

        Raises:
            ValidationError: the file cannot be read (``csv_unreadable``), is empty
                (``csv_empty``) or misses required columns (``csv_missing_columns``).
            StorageError: the storage failed; batches committed before stay.
        """
        try:
            stream = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise ValidationError(
                f"cannot read {path}: {exc.strerror or exc}", field="file", code="csv_unreadable"
            ) from exc
        with stream, self._forwarding():
            self._deliver_left()
            lines = QuoteCounter(decoded_lines(stream, self._on_progress))
            reader = csv.reader(lines, strict=True)
            self.header = read_header(reader)
            self.report.ignored_columns = self.header.ignored
            if self._on_start is not None:
                self._on_start()
            pending: list[_Row] = []
            for line, values in records(reader, lines):
                self._last = line
                self.report.rows += 1
                row = self._accept(line, values)
                if row is not None:
                    pending.append(row)
                if len(pending) >= self._batch_size:
                    self._flush(pending)
                    pending = []
                self._check_systematic()
                if self.report.stopped is not None:
                    break
            self._reading = False  # bad rows of the last batch no longer stop anything
            if pending:
                self._flush(pending)
            self._deliver_left()
        return self.report

    @contextlib.contextmanager
    def _forwarding(self) -> Iterator[None]:
        """Hand each message to ``on_messages`` as the outbox receives it."""
        on_messages = self._on_messages
        if on_messages is None:
            yield
            return
        previous = self._outbox.forward
        self._outbox.forward = lambda message: on_messages((message,))
        try:
            yield
        finally:
            self._outbox.forward = previous

    def _deliver_left(self) -> None:
        """Deliver the messages an earlier, killed import left pending."""
        self._outbox.clear()
        self._program.deliver_pending()
        self._outbox.clear()

    def _accept(self, line: int, values: list[str] | csv.Error) -> _Row | None:
        """The row to register, or ``None`` (refused, or a repeat of an earlier line)."""
        if isinstance(values, csv.Error):
            if isinstance(values, FieldTooLarge):
                self._field_too_large(line)
            else:
                self._bad(line, "csv_malformed", str(values), None, ())
            return None
        assert self.header is not None
        if self.header.rejects:
            values = [spreadsheet_value(cell) for cell in values]
        try:
            contact = check_row(self.header, values)
        except RowError as exc:
            self._refuse(line, exc.error, exc.column, exc.values, exc.message)
            return None
        key = fold_email(contact.email)  # as the address index compares addresses
        first = self._seen.setdefault(key, line)
        if first != line:
            self.report.skipped += 1
            self._duplicate(Duplicate(line, first))
            return None
        return _Row(line, contact, tuple(values))

    def _refuse(
        self,
        line: int,
        exc: SymprogramError,
        column: str | None,
        values: Sequence[str],
        message: str | None = None,
    ) -> None:
        message = " ".join((exc.message if message is None else message).split())
        known = column in REQUIRED_COLUMNS or column in OPTIONAL_COLUMNS
        if known and self.header is not None and column not in self.header:
            message += f" (the file has no {column} column)"
        self._bad(line, exc.code, message, column, tuple(values))

    def _bad(
        self, line: int, code: str, message: str, column: str | None, values: tuple[str, ...]
    ) -> None:
        bad = BadRow(line, code, message, column)
        self.report.bad.append(bad)
        if self._on_bad is not None:
            self._on_bad(bad, values)
        limit = self._max_errors
        over = limit is not None and len(self.report.bad) > limit
        if over and self._reading and self.report.stopped is None:
            self.report.stopped = Stop(
                "too_many_bad_rows",
                self._last,
                f"more than {limit} bad row(s): stopped at line {self._last}; the rows "
                "after it were not read",
            )

    def _field_too_large(self, line: int) -> None:
        """A field past the CSV reader's limit inside quotes that go on: the reader
        would go on from inside that field, so every line after it would be
        misread; stop here."""
        limit = csv.field_size_limit()
        message = f"a field is longer than {limit:,} characters"
        self._bad(line, "csv_field_too_large", message, None, ())
        if self.report.stopped is None:
            self.report.stopped = Stop(
                "csv_field_too_large",
                line,
                f"line {line}: {message}, so the lines after it cannot be read "
                "reliably and the import stopped there; fix that line and run the same "
                "command again",
            )

    def _duplicate(self, duplicate: Duplicate) -> None:
        self.report.duplicates.append(duplicate)
        if self._on_duplicate is not None:
            self._on_duplicate(duplicate)

    def _check_systematic(self) -> None:
        """Stop when the first ``stop_after_same`` rows were all refused the same way."""
        bad = self.report.bad
        if self._same is None or self.report.rows != self._same or len(bad) != self._same:
            return
        if len({(b.code, b.field) for b in bad}) != 1 or self.report.stopped is not None:
            return
        first = bad[0]
        where = f" in column {first.field}" if first.field else ""
        self.report.stopped = Stop(
            "systematic_error",
            self._last,
            f"the first {self._same} rows were all refused with [{first.code}]{where}: "
            f"{first.message}. The file itself looks wrong, so the import stopped at "
            f"line {self._last}; fix the file and run the same command again",
        )

    # -- writing ---------------------------------------------------------------------
    def _flush(self, rows: list[_Row]) -> None:
        """Commit ``rows`` as one unit of work; if one fails, redo them one by one."""
        try:
            self._tally(rows, *self._commit(rows))
        except SymprogramError:
            for row in rows:
                try:
                    self._tally([row], *self._commit([row]))
                except SymprogramError as exc:
                    self._refuse(row.line, exc, exc.field, row.values)

    def _tally(
        self, rows: list[_Row], outcome: BulkRegistrationReport, sent: tuple[Message, ...]
    ) -> None:
        self.report.batches += 1
        self.report.imported += outcome.created
        self.report.skipped += outcome.skipped
        if not outcome.skipped:
            return
        # The rows that got no activation message were registered before this import.
        addressed = {m.to.casefold() for m in sent if m.kind == "activation"}
        known = [row for row in rows if row.contact.email.casefold() not in addressed]
        if len(known) == outcome.skipped:
            for row in known:
                self._duplicate(Duplicate(row.line))

    def _commit(self, rows: list[_Row]) -> tuple[BulkRegistrationReport, tuple[Message, ...]]:
        """Register ``rows`` in one unit of work (``AccountsService.register_many``).

        Each account gets an unusable password (no password hash in the row) and
        the ``create_account`` acceptance of the Terms of Use in effect now.
        """
        self._outbox.clear()
        try:
            outcome = self._program.accounts.register_many(
                [BulkCandidate(row.contact) for row in rows],
                terms_accepted_path=AcceptancePath.CREATE_ACCOUNT,
                batch_size=max(len(rows), 1),
            )
        except BaseException:
            self._outbox.clear()  # nothing was committed: nothing may be sent
            raise
        messages = self._outbox.messages  # on_messages had each (see _forwarding)
        self._outbox.clear()
        return outcome, tuple(messages)
