"""``symprogram consent``: grant, withdraw, check and prove consent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import click

from symprogram._cli.output import decision_data, jsonable, when
from symprogram._cli.shell import State, emit, instant_option, json_command, json_option, pass_state


# -- consent -----------------------------------------------------------------------------
@click.group()
def consent() -> None:
    """The consent ledger: grant, withdraw, check and prove choices."""


_CHANNEL = click.option(
    "--channel",
    default="profile_form",
    show_default=True,
    help="Through which channel the choice was made (web_form, email_reply, phone, ...).",
)
_EVIDENCE = click.option("--evidence", default="", help="What proves it (form, message id).")


def _record_lines(record: Any) -> list[str]:
    return [
        f"{record.subject}: {record.topic} {record.choice} via {record.channel} "
        f"under policy {record.policy_version} (ledger position {record.position})"
    ]


def _choice_command(name: str, help_text: str) -> click.Command:
    """``consent grant`` or ``consent withdraw``: record the choice, print the ledger record."""

    def command(
        state: State, subject: str, purpose: str, channel: str, evidence: str, as_json: bool
    ) -> None:
        choose = getattr(state.program().consent, name)
        record = choose(subject, purpose, channel=channel, evidence=evidence)
        emit(as_json, jsonable(record), _record_lines(record))

    options = [click.argument("subject"), click.argument("purpose"), _CHANNEL, _EVIDENCE]
    decorated: Callable[..., None] = json_option(pass_state(command))
    for option in reversed(options):
        decorated = option(decorated)
    return consent.command(name, help=help_text)(decorated)


consent_grant = _choice_command(
    "grant", "Record that SUBJECT agreed to PURPOSE (e.g. special_offers, channel.email)."
)
consent_withdraw = _choice_command(
    "withdraw", "Withdraw SUBJECT's consent to PURPOSE: one call, through any channel."
)


@consent.command("check")
@click.argument("subject")
@click.argument("purpose")
@click.option("--via", "contact_channel", help="Contact channel: email, postal_mail, phone.")
@instant_option("As of this date or instant (default: now).")
@json_option
@pass_state
def consent_check(
    state: State,
    subject: str,
    purpose: str,
    contact_channel: str | None,
    at: datetime | None,
    as_json: bool,
) -> None:
    """May PURPOSE be pursued for SUBJECT? (exit 0 either way; see 'allowed')"""
    decision = state.existing_program().consent.may_use(subject, purpose, contact_channel, at)
    emit(as_json, decision_data(decision), [f"{subject} / {purpose}: {decision.explain()}"])


@json_command(consent, "receipt", click.argument("subject"))
def consent_receipt(state: State, subject: str, as_json: bool) -> None:
    """A consent receipt: every standing choice and the verified ledger."""
    receipt = state.existing_program().consent.receipt(subject)

    def lines() -> list[str]:
        out = [
            f"consent receipt for {receipt.subject}, issued {when(receipt.issued_at)} "
            f"(policy {receipt.policy_version})"
        ]
        out += [f"  {c.topic}: {c.choice} on {when(c.at)} via {c.channel}" for c in receipt.choices]
        out.append(
            f"ledger: {receipt.ledger_length} entries, head {receipt.ledger_head[:16]}..., "
            f"verified: {receipt.verified}"
        )
        return out

    emit(as_json, jsonable(receipt), lines)
