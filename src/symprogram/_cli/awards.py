"""``symprogram awards``: exam results, progress towards awards, expiry reminders."""

from __future__ import annotations

from datetime import datetime, timedelta

import click

from symprogram._cli.output import jsonable, when
from symprogram._cli.shell import (
    State,
    emit,
    instant_option,
    json_option,
    message_data,
    message_lines,
    pass_state,
)


# -- awards ------------------------------------------------------------------------------
@click.group()
def awards() -> None:
    """Exam results, progress towards accreditations and certifications, reminders."""


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


@awards.command("remind")
@click.option(
    "--within",
    "within_days",
    type=click.IntRange(1, 3650),
    default=60,
    show_default=True,
    metavar="DAYS",
    help="Remind of awards expiring within this many days.",
)
@click.option(
    "--batch",
    type=click.IntRange(1, 10_000),
    default=500,
    show_default=True,
    help="Candidate records read per page.",
)
@json_option
@pass_state
def awards_remind(state: State, within_days: int, batch: int, as_json: bool) -> None:
    """Send the expiry reminders due: once per award and expiry date (run it daily).

    Prints the messages a host application would e-mail. Only candidates whose
    expiry_reminders notification is on are reminded; never a closed account.
    """
    program = state.existing_program()
    count = program.awards.send_expiry_reminders(within=timedelta(days=within_days), batch=batch)
    messages = state.outbox.messages
    emit(
        as_json,
        {"sent": count, "messages": message_data(messages)},
        [f"sent {count} expiry reminder{'' if count == 1 else 's'}", *message_lines(messages)],
    )
