"""``symprogram history``: show and verify candidates' account histories."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click

from symprogram._cli.output import jsonable, when
from symprogram._cli.shell import CliError, State, emit, json_command, json_option, pass_state


# -- history -----------------------------------------------------------------------------
@click.group()
def history() -> None:
    """The tamper-evident account history."""


@json_command(history, "show", click.argument("candidate_id"))
def history_show(state: State, candidate_id: str, as_json: bool) -> None:
    """Print a candidate's account history, oldest first.

    An ID that no candidate uses is the same one-line error as for
    ``history verify`` (``candidate_not_found``), never an empty history.
    """
    program = state.existing_program()
    program.accounts.get_candidate(candidate_id)  # unknown candidate: a one-line error
    entries = program.accounts.history(candidate_id)
    emit(
        as_json,
        jsonable(entries),
        [f"{e.position:>4}  {when(e.at)}  {e.kind}" for e in entries] or ["(no history)"],
    )


@history.command("verify")
@click.argument("candidate_ids", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Verify every candidate's history.")
@json_option
@pass_state
def history_verify(
    state: State, candidate_ids: tuple[str, ...], every: bool, as_json: bool
) -> None:
    """Verify the hash chain of CANDIDATE_IDS' histories (or --all); exit 1 if tampered."""
    if every == bool(candidate_ids):
        raise CliError("usage", "give candidate IDs or --all (not both)", exit_code=2)
    program = state.existing_program()
    subjects: Iterator[str] | tuple[str, ...]
    subjects = program.history.subjects() if every else candidate_ids
    results = []
    for subject in subjects:
        if not every:
            program.accounts.get_candidate(subject)  # unknown candidate: a one-line error
        results.append(program.history.verify(subject))
    failed = [r for r in results if not r.ok]
    data: dict[str, Any] = {"checked": len(results), "ok": not failed, "results": jsonable(results)}
    lines = []
    for r in results:
        lines.append(f"{r.subject}: {'ok' if r.ok else 'TAMPERED'} ({r.length} entries)")
        lines.extend(f"  position {p.position}: [{p.code}] {p.message}" for p in r.problems)
    if failed:
        first = failed[0]
        error = CliError(
            "ledger_tampered",
            f"{len(failed)} of {len(results)} histories fail verification "
            f"(first: {first.subject} at position {first.problems[0].position})",
        )
        if not as_json:
            emit(as_json, data, lines)
        error.payload = data | {"error": error.data}
        raise error
    emit(as_json, data, lines or ["(no history to verify)"])
