"""The ``symprogram`` group, its own commands (demo, init, terms) and ``run``.

Private to :mod:`symprogram.cli`; each command group lives in a module of its own.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import NoReturn

import click

from symprogram._cli.awards import awards
from symprogram._cli.bulk_import import import_
from symprogram._cli.candidates import candidates
from symprogram._cli.consent import consent
from symprogram._cli.entitlements import entitlements
from symprogram._cli.history import history
from symprogram._cli.ledgers import ledgers
from symprogram._cli.output import dump_json, when
from symprogram._cli.shell import (
    DEFAULT_DATABASE,
    CliError,
    FilePath,
    Main,
    State,
    emit,
    json_option,
    key_ring,
    log_warnings_on_one_line,
    pass_state,
)


# -- the group ---------------------------------------------------------------------------
@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    metavar="PATH|URL",
    help="Database file or storage URL [env SYMPROGRAM_DB, SYMPROGRAM_STORAGE; "
    f"default {DEFAULT_DATABASE}].",
)
@click.option(
    "--now",
    metavar="INSTANT",
    envvar="SYMPROGRAM_NOW",
    help="Run as if it were this instant (replays, scripts, tests) [env SYMPROGRAM_NOW].",
)
@click.version_option(package_name="symprogram", prog_name="symprogram")
@click.pass_context
def cli(ctx: click.Context, db: str | None, now: str | None) -> None:
    """symprogram: the domain rules of a partner and customer program, from a terminal.

    Start with 'symprogram demo'.
    """
    state = State(db, now)
    ctx.obj = state
    ctx.call_on_close(state.close)


# -- demo --------------------------------------------------------------------------------
@cli.command()
@click.option(
    "--db",
    "demo_db",
    type=FilePath(dir_okay=False, path_type=Path),
    help="SQLite file to run on (must not exist yet; default: a temporary file).",
)
@json_option
def demo(demo_db: Path | None, as_json: bool) -> None:
    """Run the whole program on an embedded SQLite file, as its documents describe it.

    Accept the Terms of Use, register, activate, claim a score report, earn, publish
    and verify a certification, check handbook access by level, date and language,
    grant and withdraw consent, then print and verify the account history. The clock
    starts on 2011-01-10, so the run is the same every time.
    """
    from symprogram._cli.demo import run_demo

    echo = None if as_json else click.echo
    ring = key_ring()  # the file is written with the key the other commands read it with
    if demo_db is not None:
        if demo_db.exists():
            raise CliError(
                "database_exists", f"{demo_db} already exists; the demo needs a new file"
            )
        summary = run_demo(demo_db, echo, ring)
    else:
        with tempfile.TemporaryDirectory(prefix="symprogram-demo-") as tmp:
            summary = run_demo(Path(tmp) / "demo.db", echo, ring)
            summary["database"] = "(temporary file, deleted)"
    if as_json:
        click.echo(dump_json(summary))
    else:
        click.echo("")
        click.echo(f"demo finished; database: {summary['database']}")


# -- init --------------------------------------------------------------------------------
@cli.command()
@json_option
@pass_state
def init(state: State, as_json: bool) -> None:
    """Create (or upgrade) the database and show what the program holds."""
    program = state.program()
    with program.store.transaction():
        pass
    now = program.now()
    terms = program.accounts.terms.current(now)
    policy = program.consent.get_policy(now)
    data = {
        "database": state.url,
        "terms_version": terms.version,
        "policy_version": policy.version,
        "awards": len(program.awards.catalogue.awards),
        "documents": len(program.entitlements.catalogue.documents),
    }
    emit(
        as_json,
        data,
        [
            f"database ready: {state.url}",
            f"Terms of Use in effect: v.{terms.version}",
            f"privacy policy in effect: {policy.version}",
            f"catalogue: {data['awards']} awards, {data['documents']} support documents",
        ],
    )


# -- terms -------------------------------------------------------------------------------
@cli.command()
@click.option("--text", "show_text", is_flag=True, help="Print the full text.")
@json_option
@pass_state
def terms(state: State, show_text: bool, as_json: bool) -> None:
    """Show the Terms of Use in effect (read them before 'candidates register').

    Needs no database (and creates none): the terms come from the catalogue.
    """
    program = state.catalogue_program()
    current = program.accounts.terms.current(program.now())
    data = {
        "version": current.version,
        "effective": current.effective.isoformat(),
        "digest": current.digest,
        "paths": [str(p) for p in current.acceptance_paths],
    }
    if show_text:
        data["text"] = current.text
    lines = [
        f"Terms of Use v.{current.version}, in effect since {when(current.effective)}",
        f"sha256 {current.digest}",
    ]
    if show_text:
        lines += ["", current.text]
    emit(as_json, data, lines)


# -- the command groups ------------------------------------------------------------------
for _group in (awards, candidates, consent, entitlements, history, import_, ledgers):
    cli.add_command(_group)


# -- entry point -------------------------------------------------------------------------
def run(argv: list[str] | None = None) -> NoReturn:
    """Run the ``symprogram`` group (called by :func:`symprogram.cli.main`)."""
    log_warnings_on_one_line()
    cli.main(args=argv, prog_name="symprogram")
    raise SystemExit(0)  # pragma: no cover - click exits itself
