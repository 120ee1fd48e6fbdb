"""``symprogram candidates``: register, activate and look up candidates."""

from __future__ import annotations

from typing import Any

import click

from symprogram._cli.output import decision_data, explain_decision, jsonable, when
from symprogram._cli.shell import (
    CliError,
    State,
    emit,
    json_option,
    message_data,
    message_lines,
    pass_state,
)


# -- candidates --------------------------------------------------------------------------
@click.group()
def candidates() -> None:
    """Register, activate and look up candidates."""


@candidates.command("register")
@click.option("--email", required=True)
@click.option("--given-name", required=True)
@click.option("--family-name", required=True)
@click.option("--company", "company_name", required=True, help="Company name.")
@click.option("--partner-company", required=True)
@click.option("--language", "preferred_language", required=True, help="e.g. en-GB, de, pt-BR.")
@click.option("--phone")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted for when not given.",
)
@click.option(
    "--accept-terms",
    is_flag=True,
    help="\"I agree to these terms and want to create a new account\" (see 'symprogram terms').",
)
@json_option
@pass_state
def candidates_register(
    state: State, /, password: str, accept_terms: bool, as_json: bool, **form: Any
) -> None:
    # ``form``: the contact options above, named as register() names them.
    """Accept the Terms of Use and register a candidate (pending activation).

    Prints the message a host application would e-mail: for a new address, the
    activation token and the candidate ID; for a known one, a notice to its owner.
    """
    if not accept_terms:
        raise CliError(
            "terms_not_accepted",
            "accept the Terms of Use before creating an account: pass --accept-terms "
            "(read them with 'symprogram terms --text')",
        )
    from symprogram.accounts import AcceptancePath

    program = state.program()
    receipt = program.accounts.accept_terms(path=AcceptancePath.CREATE_ACCOUNT)
    registration = program.accounts.register(
        terms_receipt=receipt.token or "",
        password=password,
        **form,
    )
    messages = state.outbox.messages
    data = {
        "registration": jsonable(registration),
        "terms_version": receipt.acceptance.terms_version,
        "messages": message_data(messages),
    }
    emit(
        as_json,
        data,
        [
            f"registration received for {registration.email} "
            f"(reference {registration.reference}); next step: {registration.next_step}",
            *message_lines(messages),
        ],
    )


@candidates.command("activate")
@click.argument("token")
@json_option
@pass_state
def candidates_activate(state: State, token: str, as_json: bool) -> None:
    """Activate an account with the TOKEN of its activation message.

    Put '--' before the token: a token may start with '-'
    (symprogram candidates activate -- TOKEN).
    """
    candidate = state.program().accounts.activate(token)
    emit(
        as_json,
        {"candidate_id": candidate.candidate_id, "status": str(candidate.status)},
        [f"candidate {candidate.candidate_id} is {candidate.status}"],
    )


@candidates.command("resend-activation")
@click.argument("email")
@json_option
@pass_state
def candidates_resend(state: State, email: str, as_json: bool) -> None:
    """Send a fresh activation link if EMAIL has an account pending activation."""
    state.program().accounts.resend_activation(email)
    messages = state.outbox.messages
    emit(
        as_json,
        {"messages": message_data(messages)},
        ["request noted (the answer is the same for every address)", *message_lines(messages)],
    )


@candidates.command("show")
@click.argument("who")
@json_option
@pass_state
def candidates_show(state: State, who: str, as_json: bool) -> None:
    """Show a candidate, by candidate ID or e-mail address (staff look-up)."""
    accounts = state.existing_program().accounts
    if "@" in who:
        found = accounts.find_by_email(who)
        if found is None:
            raise CliError("candidate_not_found", f"no candidate uses {who}")
        candidate = found
    else:
        candidate = accounts.get_candidate(who)
    terms_status = accounts.terms_status(candidate.candidate_id)
    c = candidate.contact
    data = jsonable(candidate)
    # the switches as the consent ledger holds them (the one truth of a marketing
    # choice), not the copy the candidate record keeps
    settings = accounts.get_notification_settings(candidate.candidate_id)
    data["preferences"] = {"enabled": sorted(str(s.category) for s in settings if s.chosen)}
    data["notification_settings"] = [
        {
            "category": str(s.category),
            "chosen": s.chosen,
            "effective": s.effective,
            "reason": s.reason,
        }
        for s in settings
    ]
    data["terms_status"] = decision_data(terms_status)
    emit(
        as_json,
        data,
        [
            f"{candidate.candidate_id}  {c.full_name}  <{c.email}>",
            f"status: {candidate.status} since {when(candidate.status_changed_at)}",
            f"company: {c.company_name} (partner: {c.partner_company})",
            f"language: {c.preferred_language}",
            f"registered: {when(candidate.registered_at)}",
            f"terms: {explain_decision(terms_status)}",
            f"score reports: {', '.join(candidate.score_reports) or '-'}",
        ],
    )
