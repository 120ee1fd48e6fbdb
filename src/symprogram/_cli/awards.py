"""``symprogram awards``: exam results and progress towards awards."""

from __future__ import annotations

from datetime import datetime

import click

from symprogram._cli.output import jsonable, when
from symprogram._cli.shell import State, emit, instant_option, json_option, pass_state


# -- awards ------------------------------------------------------------------------------
@click.group()
def awards() -> None:
    """Exam results and progress towards accreditations and certifications."""


@awards.command("record-result")
@click.argument("candidate_id")
@click.argument("exam_code")
@click.argument("score", type=int)
@instant_option("When the exam was taken (default: now).", "--taken-at")
@click.option("--version", "exam_version", help="Exam version (default: the newest).")
@json_option
@pass_state
def awards_record(
    state: State,
    candidate_id: str,
    exam_code: str,
    score: int,
    taken_at: datetime | None,
    exam_version: str | None,
    as_json: bool,
) -> None:
    """Record an exam result, then grant every award it completes."""
    program = state.program()
    result = program.awards.record_exam_result(
        candidate_id,
        exam_code,
        score,
        taken_at=taken_at or program.now(),
        version=exam_version,
    )
    granted = program.awards.evaluate(candidate_id)
    emit(
        as_json,
        {"result": jsonable(result), "granted": jsonable(granted)},
        [
            f"{result.exam_code} {result.version or ''} score {result.score}: "
            f"{'passed' if result.passed else 'not passed'}",
            *[f"earned {g.award_id}, until {when(g.expires_at)}" for g in granted],
        ],
    )


@awards.command("progress")
@click.argument("candidate_id")
@click.argument("award_id", required=False)
@instant_option("As of this date or instant (default: now).")
@json_option
@pass_state
def awards_progress(
    state: State, candidate_id: str, award_id: str | None, at: datetime | None, as_json: bool
) -> None:
    """Progress towards AWARD_ID (or every award): what is met and what is missing."""
    service = state.existing_program().awards
    if award_id is None:
        progress = service.progress_all(candidate_id, at)
    else:
        progress = (service.progress(candidate_id, award_id, at),)

    def lines() -> list[str]:
        out = []
        for p in progress:
            out.append(f"{p.award_id}: {p.percentage}%{' (met)' if p.met else ''}")
            out.extend(f"  missing: {m.description}" for m in p.missing)
        return out

    emit(
        as_json,
        [jsonable(p) for p in progress] if award_id is None else jsonable(progress[0]),
        lines,
    )
