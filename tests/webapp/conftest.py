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
def unreachable_sites() -> set[str]:
    """Local-language sites the portal's probe finds unreachable (add to it in a test)."""
    return set()


@pytest.fixture
def app(program: Program, unreachable_sites: set[str]) -> Any:
    """The portal around ``program``, at base URL ``http://localhost`` (the test
    client's host); local-language sites are reachable unless in ``unreachable_sites``."""
    application = symportal.create_app(
        program,
        secret_key="test-secret",
        base_url="http://localhost",
        site_reachable=lambda url: url not in unreachable_sites,
    )
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app: Any) -> Any:
    """Flask's test client for the portal (keeps the session cookie)."""
    return app.test_client()
