"""``symprogram entitlements``: support agreements and document access."""

from __future__ import annotations

from datetime import datetime

import click

from symprogram._cli.output import decision_data, explain_decision, jsonable
from symprogram._cli.shell import State, emit, instant_option, json_option, pass_state


# -- entitlements ------------------------------------------------------------------------
@click.group()
def entitlements() -> None:
    """Support agreements and who may read which document, in which language."""


@entitlements.command("add-agreement")
@click.argument("customer_id")
@click.option("--agreement-id", required=True)
@click.option("--level", required=True, help="basic_maintenance, essential_support, ...")
@click.option("--product", "products", multiple=True, required=True, help="Repeatable.")
@click.option("--starts-on", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--ends-on", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--by", default="cli", show_default=True, help="Who records it.")
@json_option
@pass_state
def entitlements_add_agreement(
    state: State,
    customer_id: str,
    agreement_id: str,
    level: str,
    products: tuple[str, ...],
    starts_on: datetime,
    ends_on: datetime,
    by: str,
    as_json: bool,
) -> None:
    """Record a support agreement for CUSTOMER_ID (dates inclusive)."""
    agreement = state.program().entitlements.add_agreement(
        customer_id,
        agreement_id=agreement_id,
        level=level,
        products=list(products),
        starts_on=starts_on.date(),
        ends_on=ends_on.date(),
        by=by,
    )
    emit(
        as_json,
        jsonable(agreement),
        [
            f"{customer_id}: agreement {agreement_id} at {level} "
            f"from {starts_on:%Y-%m-%d} to {ends_on:%Y-%m-%d}"
        ],
    )


@entitlements.command("decide")
@click.argument("document")
@click.option("--customer", "customer_id", help="The reader's customer ID.")
@click.option(
    "--logged-in/--logged-out",
    default=None,
    help="Whether the reader is logged in [default: logged in when --customer is given].",
)
@click.option("--lang", "languages", metavar="ACCEPT-LANGUAGE", help='e.g. "iw-IL,en;q=0.5".')
@instant_option("As of this date or instant (default: now).")
@json_option
@pass_state
def entitlements_decide(
    state: State,
    document: str,
    customer_id: str | None,
    logged_in: bool | None,
    languages: str | None,
    at: datetime | None,
    as_json: bool,
) -> None:
    """May a reader open DOCUMENT, and in which language? (exit 0 either way)"""
    from symprogram.entitlements import Reader

    reader = Reader(
        customer_id, logged_in=customer_id is not None if logged_in is None else logged_in
    )
    decision = state.existing_program().entitlements.decide(reader, document, languages, at)
    site = decision.detail("local_site_url")
    lines = [
        f"{document}: {explain_decision(decision)}",
        f"language: {decision.detail('language')} ({decision.detail('language_name')}, "
        f"{decision.detail('direction')})" + (f" at {site}" if site else ""),
    ]
    emit(as_json, decision_data(decision), lines)
