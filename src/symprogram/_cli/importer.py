"""``symprogram import candidates``: stream a CSV of candidates into the program.

The file is read row by row with :mod:`csv` (never loaded whole). Each row is
validated first (the accounts context's own :class:`ContactDetails` rules);
bad rows are reported with the line they start on and the import goes on. Good
rows are registered in batches, each batch one unit of work, so an interrupted
import leaves only whole batches behind. Registration is idempotent per e-mail
address: a row whose address is already registered (by an earlier run, or
earlier in the same file) is skipped, so re-running the same file after an
interruption imports the rest and creates no duplicate.

Terms of Use: every person must have accepted the Terms of Use before an
account is created (seed 000). The import records that acceptance *on behalf
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

import csv
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import attrs

from symprogram.accounts import AcceptancePath, ContactDetails, PostalAddress
from symprogram.accounts.service import BulkCandidate, BulkRegistrationReport
from symprogram.errors import SymprogramError, ValidationError
from symprogram.notify import Message, Outbox
from symprogram.program import Program

__all__ = [
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "BadRow",
    "CandidateImport",
    "ImportReport",
    "UnusablePasswords",
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

_ADDRESS_COLUMNS = OPTIONAL_COLUMNS[1:]
_UNUSABLE_PREFIX = "!unusable$"


class UnusablePasswords:
    """A password hasher whose hashes no password ever matches.

    Imported accounts get such a hash: nobody can log in until the person sets a
    password with "Forgot password" (hashed then by the program's real hasher).
    :class:`~symprogram.accounts.ScryptHasher` also answers ``False`` for it,
    since it is not a scrypt hash.
    """

    def hash(self, password: str) -> str:
        """Return a random marker that does not depend on ``password``."""
        return _UNUSABLE_PREFIX + secrets.token_hex(16)

    def verify(self, password: str, encoded: str) -> bool:
        """Always ``False``."""
        return False


@attrs.frozen
class BadRow:
    """A row that was not imported.

    Attributes:
        line: the line of the file the row starts on (the header is line 1).
        code: the stable error code (e.g. ``invalid_email``).
        message: a readable explanation.
        field: the offending column, when known.
    """

    line: int
    code: str
    message: str
    field: str | None = None

    def __str__(self) -> str:
        where = f" (field: {self.field})" if self.field else ""
        return f"line {self.line}: [{self.code}] {self.message}{where}"


@attrs.define
class ImportReport:
    """What an import did so far (updated only when a batch has committed).

    Attributes:
        rows: data rows read (blank lines not counted).
        imported: accounts created.
        skipped: rows whose e-mail address was already registered.
        bad: rows refused, with their line numbers.
        batches: units of work committed.
        ignored_columns: header columns that are not used.
    """

    rows: int = 0
    imported: int = 0
    skipped: int = 0
    bad: list[BadRow] = attrs.field(factory=list)
    batches: int = 0
    ignored_columns: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary."""
        return {
            "rows": self.rows,
            "imported": self.imported,
            "skipped": self.skipped,
            "bad_rows": [attrs.asdict(b) for b in self.bad],
            "batches": self.batches,
            "ignored_columns": list(self.ignored_columns),
        }


@attrs.frozen
class _Row:
    line: int
    contact: ContactDetails


def _column(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def _lines(stream: IO[bytes], progress: Callable[[int], None] | None) -> Iterator[str]:
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


def _has_surrogate(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


class CandidateImport:
    """Import candidates from a CSV file into ``program``.

    Args:
        program: the program to import into. Its notifier must be ``outbox``.
        outbox: where the activation messages land; after each committed batch
            they are handed to ``on_messages`` and the outbox is cleared.
        batch_size: rows per unit of work.
        on_start: called once the header is checked, before the first row.
        on_progress: called with the number of bytes read, as the file is read.
        on_messages: called with the messages of each committed batch (the
            activation messages a host application would e-mail).
    """

    def __init__(
        self,
        program: Program,
        outbox: Outbox,
        *,
        batch_size: int = 500,
        on_start: Callable[[], None] | None = None,
        on_progress: Callable[[int], None] | None = None,
        on_messages: Callable[[tuple[Message, ...]], None] | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValidationError(
                "the batch size must be a positive integer",
                field="batch_size",
                code="invalid_batch_size",
            )
        self._program = program
        self._outbox = outbox
        self._batch_size = batch_size
        self._on_start = on_start
        self._on_progress = on_progress
        self._on_messages = on_messages
        self.report = ImportReport()

    # -- reading ---------------------------------------------------------------------
    def run(self, path: str | Path) -> ImportReport:
        """Import every row of ``path`` and return the report.

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
        with stream:
            reader = csv.reader(_lines(stream, self._on_progress), strict=True)
            header = self._header(reader)
            if self._on_start is not None:
                self._on_start()
            pending: list[_Row] = []
            for line, values in self._records(reader):
                self.report.rows += 1
                row = self._check(line, header, values)
                if row is None:
                    continue
                pending.append(row)
                if len(pending) >= self._batch_size:
                    self._flush(pending)
                    pending = []
            if pending:
                self._flush(pending)
        return self.report

    def _header(self, reader: Any) -> list[str]:
        try:
            header = next(reader)
        except StopIteration:
            raise ValidationError("the file is empty", field="file", code="csv_empty") from None
        except csv.Error as exc:
            raise ValidationError(
                f"line 1: the header is not valid CSV: {exc}", field="file", code="csv_malformed"
            ) from exc
        if not any(cell.strip() for cell in header):
            # a BOM alone or a blank first line: nothing to import
            raise ValidationError("the file is empty", field="file", code="csv_empty")
        if any(_has_surrogate(cell) for cell in header):
            raise ValidationError(
                "line 1: the header is not UTF-8 text (save the file as UTF-8)",
                field="file",
                code="invalid_encoding",
            )
        columns = [_column(c) for c in header]
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
        self.report.ignored_columns = tuple(c for c in columns if c not in known)
        return columns

    def _records(self, reader: Any) -> Iterator[tuple[int, list[str]]]:
        """Yield ``(first line, values)`` for every non-blank record; malformed ones are bad."""
        while True:
            start = reader.line_num + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self.report.rows += 1
                self.report.bad.append(BadRow(start, "csv_malformed", str(exc)))
                if reader.line_num < start:  # pragma: no cover - csv always advances
                    return
                continue
            if not values or all(not v.strip() for v in values):
                continue
            yield start, values

    def _check(self, line: int, header: list[str], values: list[str]) -> _Row | None:
        if len(values) > len(header):
            self._bad(
                line,
                ValidationError(
                    f"{len(values)} fields where the header has {len(header)}",
                    code="csv_extra_fields",
                ),
            )
            return None
        fields = dict(zip(header, values, strict=False))
        for name, value in fields.items():
            if _has_surrogate(value):
                self._bad(
                    line,
                    ValidationError(
                        "the text is not valid UTF-8", field=name, code="invalid_encoding"
                    ),
                )
                return None

        def get(name: str) -> str | None:
            value = fields.get(name, "").strip()
            return value or None

        try:
            address = None
            if any(get(c) for c in _ADDRESS_COLUMNS):
                lines = [v for v in (get("address_line1"), get("address_line2")) if v]
                address = PostalAddress(
                    lines=lines,
                    city=get("city") or "",
                    country=get("country") or "",
                    region=get("region"),
                    postal_code=get("postal_code"),
                )
            contact = ContactDetails(
                email=fields.get("email", ""),
                given_name=fields.get("given_name", ""),
                family_name=fields.get("family_name", ""),
                company_name=fields.get("company_name", ""),
                partner_company=fields.get("partner_company", ""),
                preferred_language=fields.get("preferred_language", ""),
                phone=get("phone"),
                postal_address=address,
            )
        except SymprogramError as exc:
            self._bad(line, exc)
            return None
        return _Row(line, contact)

    def _bad(self, line: int, exc: SymprogramError) -> None:
        self.report.bad.append(BadRow(line, exc.code, exc.message.replace("\n", " "), exc.field))

    # -- writing ---------------------------------------------------------------------
    def _flush(self, rows: list[_Row]) -> None:
        """Commit ``rows`` as one unit of work; if one fails, redo them one by one."""
        try:
            outcomes = self._commit(rows)
        except SymprogramError:
            for row in rows:
                try:
                    self._tally(self._commit([row]))
                except SymprogramError as exc:
                    self._bad(row.line, exc)
        else:
            self._tally(outcomes)

    def _tally(self, outcome: BulkRegistrationReport) -> None:
        self.report.batches += 1
        self.report.imported += outcome.created
        self.report.skipped += outcome.skipped

    def _commit(self, rows: list[_Row]) -> BulkRegistrationReport:
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
        messages = self._outbox.messages
        self._outbox.clear()
        if self._on_messages is not None and messages:
            self._on_messages(messages)
        return outcome
