"""A portal session lasts only while its account is active: every request re-reads the
account's status, and a suspended or closed account's session ends (logged out)."""

from __future__ import annotations

from typing import Any

import pytest
from webapp_helpers import PASSWORD, csrf_of, register_and_activate

from symprogram import Program

pytestmark = pytest.mark.backends("memory", "sqlite")

GATED = "/handbook/essential_support_basic_maintenance_handbook"


def test_a_suspended_accounts_session_ends(client: Any, program: Program) -> None:
    """After a suspension the session no longer reads the gated handbook it read before."""
    candidate_id = register_and_activate(client)
    assert 200 == client.get(GATED).status_code
    program.accounts.suspend(candidate_id, reason="abuse")

    denied = client.get(GATED)

    assert 403 == denied.status_code
    assert "signed-in" not in client.get("/").text
    assert 302 == client.get("/consent").status_code
    with client.session_transaction() as session:
        assert "candidate_id" not in session


def test_a_closed_accounts_session_records_no_consent(client: Any, program: Program) -> None:
    """After a closure the session's form posts nothing: partner sharing stays off."""
    candidate_id = register_and_activate(client)
    csrf = csrf_of(client.get("/consent").text)
    program.accounts.close(candidate_id)
    before = program.consent.history(candidate_id)

    response = client.post(
        "/consent", data={"csrf": csrf, "purpose": "partner_sharing", "action": "grant"}
    )

    assert 400 == response.status_code
    assert before == program.consent.history(candidate_id)
    assert not program.consent.may_use(candidate_id, "partner_sharing").allowed
    assert 302 == client.get("/consent").status_code


def test_a_reinstated_account_logs_in_again_and_stays(client: Any, program: Program) -> None:
    """The check ends nothing else: an active account's session lasts, and after a
    reinstatement the person logs in again and stays logged in."""
    candidate_id = register_and_activate(client)
    program.accounts.suspend(candidate_id, reason="abuse")
    assert 302 == client.get("/consent").status_code
    program.accounts.reinstate(candidate_id)
    csrf = csrf_of(client.get("/login").text)
    login = {"csrf": csrf, "email": "ada@example.com", "password": PASSWORD}
    assert 303 == client.post("/login", data=login).status_code
    for _ in range(3):
        assert 200 == client.get("/consent").status_code
    assert 200 == client.get(GATED).status_code
