"""Fixtures for the symportal example web app (examples/webapp/symportal.py)."""

from __future__ import annotations

from typing import Any

import pytest
import webapp_helpers  # puts examples/webapp on sys.path
from webapp_helpers import NOW

import symportal  # isort: skip
from symprogram import FixedClock, Outbox, Program

assert webapp_helpers.WEBAPP.is_dir()


@pytest.fixture
def clock() -> FixedClock:
    """The portal's programs (the shared ``program`` fixture, which has an Outbox) stand
    at :data:`NOW`."""
    return FixedClock(NOW)


@pytest.fixture
def outbox(program: Program) -> Outbox:
    """The program's outbox."""
    assert isinstance(program.notifier, Outbox)
    return program.notifier


@pytest.fixture
def app(program: Program) -> Any:
    """The portal around ``program``."""
    application = symportal.create_app(program, secret_key="test-secret")
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app: Any) -> Any:
    """Flask's test client for the portal (keeps the session cookie)."""
    return app.test_client()
