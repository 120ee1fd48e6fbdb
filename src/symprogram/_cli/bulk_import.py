"""``symprogram import``: bulk imports from CSV files, with a progress bar."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

import click

from symprogram._cli.shell import CliError, State, emit, json_option, message_data, pass_state
from symprogram.notify import Message


def _open_private(path: Path) -> TextIO:
    """Open ``path`` for appending; a new file is created 0600 whatever the umask.

    The outbox holds raw activation tokens. An existing file keeps its permissions.
    """
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    try:
        created = not path.exists()
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        raise CliError("outbox_unwritable", f"cannot write {path}: {exc.strerror}") from exc
    if created and hasattr(os, "fchmod"):
        os.fchmod(fd, 0o600)
    return os.fdopen(fd, "a", encoding="utf-8")


# -- import ------------------------------------------------------------------------------
@click.group("import")
def import_() -> None:
    """Bulk imports from CSV files."""


@import_.command("candidates")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--terms-accepted",
    is_flag=True,
    help="Confirm that the people in the file accepted the Terms of Use in effect; "
    "the import records that acceptance on behalf of each row.",
)
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--outbox",
    "outbox_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append the activation messages (what a host application would e-mail) to this "
    "JSON-lines file.",
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
    quiet: bool,
    as_json: bool,
) -> None:
    """Register every candidate of FILE.csv, streaming it in batches.

    Columns: email, given_name, family_name, company_name, partner_company,
    preferred_language; optional phone, address_line1, address_line2, city,
    region, postal_code, country. Bad rows are reported with their line numbers and
    skipped; rows whose e-mail is already registered are skipped, so an interrupted
    import can simply be run again. Imported accounts have no usable password until
    the person activates and uses "Forgot password".
    """
    from symprogram._cli.importer import CandidateImport, UnusablePasswords

    if not terms_accepted:
        raise CliError(
            "terms_not_accepted",
            "the import accepts the Terms of Use on behalf of every row: pass "
            "--terms-accepted to confirm the people in the file accepted them",
        )
    if not file.is_file():
        raise CliError("csv_unreadable", f"no such file: {file}")
    program = state.program(accounts={"hasher": UnusablePasswords()})
    sink = None if outbox_file is None else _open_private(outbox_file)

    def write(messages: tuple[Message, ...]) -> None:
        if sink is not None:
            for m in message_data(messages):
                sink.write(json.dumps(m, ensure_ascii=False, default=str) + "\n")
            sink.flush()

    bar = _Progress(file.stat().st_size, show=not quiet and not as_json)
    importer = CandidateImport(
        program,
        state.outbox,
        batch_size=batch_size,
        on_start=bar.start,
        on_progress=bar.advance,
        on_messages=write,
    )
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
        if sink is not None:
            sink.close()
    data = report.as_dict()
    error = None
    if report.bad:
        first = report.bad[0]
        error = CliError(
            "import_bad_rows",
            f"{len(report.bad)} row(s) not imported (first: line {first.line}, [{first.code}])",
        )
        error.payload = data | {"error": error.data}
        if as_json:
            raise error
        for bad in report.bad:
            click.echo(str(bad), err=True)
    emit(
        as_json,
        data,
        [
            f"{report.rows} rows: {report.imported} imported, {report.skipped} already "
            f"registered (skipped), {len(report.bad)} bad, in {report.batches} batches",
            *(
                [f"ignored columns: {', '.join(report.ignored_columns)}"]
                if report.ignored_columns
                else []
            ),
        ],
    )
    if error is not None:
        raise error


class _Progress:
    """A click progress bar on stderr, drawn once the CSV header has been accepted."""

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

    def finish(self) -> None:
        if self._bar is not None:
            bar, self._bar = self._bar, None
            bar.__exit__(None, None, None)
