"""``symprogram import``: bulk imports from CSV files, with a progress bar."""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from symprogram._cli.output import escape_controls
from symprogram._cli.shell import (
    CliError,
    FilePath,
    State,
    emit,
    json_option,
    message_data,
    pass_state,
    sqlite_file,
)
from symprogram.notify import Message

if TYPE_CHECKING:
    from symprogram._cli.importer import RejectsWriter

_LISTED = 10  # already-registered lines listed in the text summary (--json lists all)


def _open_private(path: Path, *, append: bool = True, what: str = "outbox") -> TextIO:
    """Open ``path`` for writing; a new file is created 0600 whatever the umask.

    The outbox holds raw activation tokens, the rejects file personal data. An
    existing file keeps its permissions; the rejects file is rewritten
    (``append=False``, once the CSV header is accepted), the outbox appended to.
    """
    mode = os.O_APPEND if append else os.O_TRUNC
    flags = os.O_WRONLY | mode | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    try:
        created = not path.exists()
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        raise CliError(f"{what}_unwritable", f"cannot write {path}: {exc.strerror}") from exc
    if created and hasattr(os, "fchmod"):
        os.fchmod(fd, 0o600)
    if append:
        return os.fdopen(fd, "a", encoding="utf-8")
    # newline="" for the csv module; bytes that were not UTF-8 are written back as read
    return os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape", newline="")


# -- import ------------------------------------------------------------------------------
_FILE = FilePath(dir_okay=False, path_type=Path)


def _file_option(name: str, help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--name FILE``, a file the import writes, given as ``name_file``."""
    return click.option(name, f"{name[2:]}_file", type=_FILE, help=help)


@click.group("import")
def import_() -> None:
    """Bulk imports from CSV files."""


@import_.command("candidates")
@click.argument("file", type=_FILE)
@click.option(
    "--terms-accepted",
    is_flag=True,
    help="Confirm that the people in the file accepted the Terms of Use in effect; "
    "the import records that acceptance on behalf of each row.",
)
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(min=1))
@_file_option(
    "--outbox",
    "Append the activation messages (what a host application would e-mail) to this "
    "JSON-lines file.",
)
@_file_option(
    "--rejects",
    "Write every bad row to this CSV file: line, code, column and message, then the "
    "row as read (fix it and import it again).",
)
@click.option(
    "--max-errors",
    type=click.IntRange(min=0),
    metavar="N",
    help="Stop once more than N rows are bad (batches committed before stay).",
)
@click.option(
    "--no-early-stop",
    is_flag=True,
    help="Read on even when the first 100 rows are all refused the same way.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@json_option
@pass_state
def import_candidates(
    state: State,
    file: Path,
    terms_accepted: bool,
    batch_size: int,
    outbox_file: Path | None,
    rejects_file: Path | None,
    max_errors: int | None,
    no_early_stop: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Register every candidate of FILE.csv, streaming it in batches.

    Columns: email, given_name, family_name, company_name, partner_company,
    preferred_language; optional phone, address_line1, address_line2, city,
    region, postal_code, country. Bad rows are reported on stderr as soon as they
    are found, with their line numbers and the column to fix, and skipped; rows
    whose e-mail is already registered (or repeated in the file) are skipped and
    listed, so an interrupted import can simply be run again. When the first 100
    rows are all refused the same way the import stops and names the cause.
    Imported accounts have no usable password until the person activates and uses
    "Forgot password".
    """
    from symprogram._cli.importer import (
        SYSTEMATIC_ROWS,
        CandidateImport,
        ImportReport,
        UnusablePasswords,
    )

    if not terms_accepted:
        raise CliError(
            "terms_not_accepted",
            "the import accepts the Terms of Use on behalf of every row: pass "
            "--terms-accepted to confirm the people in the file accepted them",
        )
    if not file.is_file():
        what = "not a regular file" if file.exists() else "no such file"
        raise CliError("csv_unreadable", f"{what}: {file}")
    _refuse_clashes(file, sqlite_file(state.url), outbox=outbox_file, rejects=rejects_file)
    program = state.program(accounts={"hasher": UnusablePasswords()})
    out = _Outputs(outbox_file, rejects_file, show=not as_json)
    bar = _Progress(file.stat().st_size, show=not quiet and not as_json)
    out.note = bar.note

    def start() -> None:
        out.start(importer.header)
        bar.start()

    importer = CandidateImport(
        program,
        state.outbox,
        batch_size=batch_size,
        max_errors=max_errors,
        stop_after_same=None if no_early_stop else SYSTEMATIC_ROWS,
        on_start=start,
        on_progress=bar.advance,
        on_messages=out.messages,
        on_bad=out.bad,
        on_duplicate=out.duplicate,
    )
    report: ImportReport
    try:
        report = importer.run(file)
    except KeyboardInterrupt:
        bar.finish()
        done = importer.report
        raise CliError(
            "interrupted",
            f"import interrupted ({done.imported} imported, {done.skipped} skipped in "
            f"{done.batches} committed batches); run the same command again to import the rest",
            exit_code=130,
        ) from None
    finally:
        bar.finish()
        out.close()
    _finish(report, as_json, rejects_file, max_errors)


def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return os.path.abspath(a) == os.path.abspath(b)


def _refuse_clashes(
    file: Path, database: str | None, *, outbox: Path | None, rejects: Path | None
) -> None:
    """Refuse an output file that is the CSV being imported, the other output or the
    database: the rejects file is rewritten and the outbox appended to once the
    header is accepted, before the first row is read, which would destroy it."""
    inputs: list[tuple[str, str | Path]] = [("the file being imported", file)]
    if database is not None:
        inputs += [
            ("the database", database + suffix) for suffix in ("", "-journal", "-wal", "-shm")
        ]
    for option, output in (("--outbox", outbox), ("--rejects", rejects)):
        if output is None:
            continue
        for what, other in inputs:
            if _same_file(output, other):
                raise CliError(
                    "output_clash",
                    f"{option} {output} is {what}: name another file (nothing was written)",
                )
        inputs.append((f"the {option} file", output))


def _finish(report: Any, as_json: bool, rejects_file: Path | None, max_errors: int | None) -> None:
    """Print the summary (stdout) and fail with the stop or the bad rows, if any."""
    data = report.as_dict()
    error = _failure(report, max_errors)
    if error is not None:
        error.payload = data | {"error": error.data}
        if as_json:
            raise error
    emit(as_json, data, lambda: _summary(report, rejects_file))
    if error is not None:
        raise error


def _failure(report: Any, max_errors: int | None) -> CliError | None:
    stop = report.stopped
    if stop is not None:
        hint = f" (--max-errors {max_errors})" if stop.code == "too_many_bad_rows" else ""
        if stop.code == "systematic_error":
            hint = " (or pass --no-early-stop to read on)"
        return CliError(stop.code, stop.message + hint)
    if report.bad:
        first = min(report.bad, key=lambda b: b.line)
        return CliError(
            "import_bad_rows",
            f"{len(report.bad)} row(s) not imported (first: line {first.line}, [{first.code}])",
        )
    return None


def _summary(report: Any, rejects_file: Path | None) -> list[str]:
    lines = [
        f"{report.rows} rows: {report.imported} imported, {report.skipped} skipped "
        f"(already registered or repeated), {len(report.bad)} bad, in {report.batches} batches"
    ]
    known = sorted(d.line for d in report.duplicates if d.duplicate_of is None)
    if known:
        more = (
            f" and {len(known) - _LISTED} more (--json lists them)" if len(known) > _LISTED else ""
        )
        listed = ", ".join(str(n) for n in known[:_LISTED])
        lines.append(f"registered before this import: line(s) {listed}{more}")
    if report.ignored_columns:
        ignored = ", ".join(escape_controls(c) for c in report.ignored_columns)
        lines.append(f"ignored columns: {ignored}")
    if rejects_file is not None:
        lines.append(f"bad rows written to {rejects_file}")
    return lines


class _Outputs:
    """Where an import reports as it goes: stderr notes, the outbox and the rejects file."""

    def __init__(self, outbox_file: Path | None, rejects_file: Path | None, *, show: bool) -> None:
        self.note: Callable[[str], None] = _echo_err
        self._show = show
        self._sink = None if outbox_file is None else _open_private(outbox_file)
        self._torn = outbox_file is not None and _ends_mid_line(outbox_file)
        self._rejects_file = rejects_file
        self._rejects_stream: TextIO | None = None
        self._rejects: RejectsWriter | None = None

    def start(self, header: Any) -> None:
        """The header was accepted: (re)write the rejects file, before the first row.

        Opened only now, so that a file refused at its header leaves an existing
        rejects file as it was, and creates none; an unwritable path still stops
        the command before any row is read.
        """
        if self._rejects_file is None or header is None:
            return
        self._rejects_stream = _open_private(self._rejects_file, append=False, what="rejects")
        from symprogram._cli.importer import RejectsWriter

        self._rejects = RejectsWriter(self._rejects_stream)
        self._rejects.start(header.raw)

    def messages(self, messages: tuple[Message, ...]) -> None:
        if self._sink is not None:
            if self._torn:
                # a killed run's last line, cut short: its message is still pending and
                # comes again whole, on a line of its own
                self._sink.write("\n")
                self._torn = False
            for m in message_data(messages):
                self._sink.write(json.dumps(m, ensure_ascii=False, default=str) + "\n")
            self._sink.flush()

    def bad(self, bad: Any, values: tuple[str, ...]) -> None:
        if self._show:
            self.note(str(bad))
        if self._rejects is not None:
            self._rejects.write(bad, values)

    def duplicate(self, duplicate: Any) -> None:
        # Repeats inside the file are likely mistakes: shown as they are found. Rows
        # registered before (every row of a re-run) are listed in the summary only.
        if self._show and duplicate.duplicate_of is not None:
            self.note(str(duplicate))

    def close(self) -> None:
        for stream in (self._sink, self._rejects_stream):
            if stream is not None:
                stream.close()


def _ends_mid_line(path: Path) -> bool:
    """Whether the regular file ``path`` is not empty and its last line has no end."""
    try:
        if not stat.S_ISREG(path.stat().st_mode) or path.stat().st_size == 0:
            return False  # a pipe or a device is never read
        with path.open("rb") as stream:
            stream.seek(-1, os.SEEK_END)
            return stream.read(1) != b"\n"
    except OSError:
        return False


def _echo_err(text: str) -> None:
    click.echo(text, err=True)


class _Progress:
    """A click progress bar on stderr, drawn once the CSV header has been accepted.

    :meth:`note` prints a line *above* the bar (on a terminal the bar is cleared,
    the line printed, and the bar drawn again below it).
    """

    def __init__(self, size: int, *, show: bool) -> None:
        self._size = size
        self._show = show
        self._bar: Any = None
        self._early = 0

    def start(self) -> None:
        if self._show and self._bar is None:
            self._bar = click.progressbar(
                length=self._size, label="importing", file=sys.stderr, show_eta=True
            )
            self._bar.__enter__()
            self._bar.update(self._early)

    def advance(self, count: int) -> None:
        if self._bar is None:
            self._early += count
        else:
            self._bar.update(count)

    def note(self, text: str) -> None:
        bar = self._bar
        if bar is None or not getattr(bar, "_is_atty", False):
            click.echo(text, err=True)
            return
        click.echo("\r\033[K" + text, file=bar.file)
        bar._last_line = None  # draw the bar again, below the line
        bar.render_progress()

    def finish(self) -> None:
        if self._bar is not None:
            bar, self._bar = self._bar, None
            bar.__exit__(None, None, None)
