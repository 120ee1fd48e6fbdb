"""``symprogram history``: show and verify candidates' account histories."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click

from symprogram._cli.ledgers import keyed_program, verification_error
from symprogram._cli.output import jsonable, when
from symprogram._cli.shell import CliError, State, emit, json_command, json_option, pass_state
from symprogram.ledger import KeyUnknown, Verification


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
    """Verify the hash chain of CANDIDATE_IDS' histories (or --all); exit 1 if tampered.

    ``--all`` verifies every candidate's history; the history subjects of no
    candidate (score report anchors) are verified by ``ledgers verify``.

    The ledger key is read from the environment, as the ``ledgers`` commands read it.
    """
    if every == bool(candidate_ids):
        raise CliError("usage", "give candidate IDs or --all (not both)", exit_code=2)
    program = keyed_program(state)
    subjects: Iterator[str] | tuple[str, ...]
    # --all: every candidate's history; the subjects of no candidate (a score report's
    # anchor, ``~score-report:…``, and the store markers) are verified by ``ledgers verify``.
    every_candidate = (s for s in program.history.iter_subjects() if not s.startswith("~"))
    subjects = every_candidate if every else candidate_ids
    results = []
    for subject in subjects:
        if not every:
            program.accounts.get_candidate(subject)  # unknown candidate: a one-line error
        results.append(program.history.verify(subject))
    failed = [r for r in results if not r.ok]
    shown = [_result_data(r) for r in results]
    data: dict[str, Any] = {"checked": len(results), "ok": not failed, "results": shown}
    lines = []
    for r in results:
        label = "ok" if r.ok else "KEY UNKNOWN" if r.key_mismatch else "TAMPERED"
        lines.append(f"{r.subject}: {label} ({r.length} entries)")
        lines.extend(f"  position {p.position}: [{p.code}] {p.message}" for p in r.problems)
    if failed:
        error = verification_error(failed, f"of {len(results)} histories")
        if not as_json:
            emit(as_json, data, lines)
        error.payload = data | {"error": error.data}
        raise error
    emit(as_json, data, lines or ["(no history to verify)"])


def _result_data(result: Verification) -> Any:
    """``result`` as JSON data, a key problem with the key ids it names (never keys)."""
    data = jsonable(result)
    for problem, shown in zip(result.problems, data["problems"], strict=True):
        if isinstance(problem, KeyUnknown):
            shown.update(problem.details)
    return data
