"""Logging in or activating starts an empty session: the CSRF token and whatever else
the session held before are not carried over (no fixation of the form token)."""

from __future__ import annotations

from typing import Any

import pytest
from webapp_helpers import PASSWORD, csrf_of, register_and_activate

from symprogram import Program

pytestmark = pytest.mark.backends("memory", "sqlite")


def test_a_token_known_before_log_in_is_void_after_it(app: Any, program: Program) -> None:
    """An attacker who planted a session id and read its form token cannot post with it
    once the victim has logged in on that id."""
    register_and_activate(app.test_client(), email="victim@example.com")
    attacker = app.test_client()
    token = csrf_of(attacker.get("/login").text)
    planted = attacker.get_cookie("symportal_session").value
    victim = app.test_client()
    victim.set_cookie("symportal_session", planted)
    assert token == csrf_of(victim.get("/login").text)
    logged_in = victim.post(
        "/login", data={"csrf": token, "email": "victim@example.com", "password": PASSWORD}
    )
    assert 303 == logged_in.status_code
    with victim.session_transaction() as session:
        candidate_id = session["candidate_id"]
        assert token != session.get("csrf")
    before = program.consent.history(candidate_id)

    forged = victim.post(
        "/consent", data={"csrf": token, "purpose": "newsletters", "action": "opt_out"}
    )

    assert 400 == forged.status_code
    assert 'data-code="form_expired"' in forged.text
    assert before == program.consent.history(candidate_id)
    fresh = csrf_of(victim.get("/consent").text)
    assert fresh != token
    mine = {"csrf": fresh, "purpose": "newsletters", "action": "opt_out"}
    assert 303 == victim.post("/consent", data=mine).status_code


def test_activation_starts_an_empty_session(client: Any) -> None:
    """The registration's pending entry and its form token end with activation."""
    csrf = csrf_of(client.get("/register").text)
    register_and_activate(client)
    with client.session_transaction() as session:
        assert {"candidate_id"} == set(session)
    assert csrf != csrf_of(client.get("/").text)
