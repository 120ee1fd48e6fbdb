"""Fixtures for the symportal example web app (examples/webapp/symportal.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import webapp_helpers  # puts examples/webapp on sys.path
from webapp_helpers import NOW

import symportal  # isort: skip
from symprogram import FixedClock, Outbox, Program
from symprogram.storage.memory import MemoryStore
from symprogram.storage.sqlite import SQLiteStore

assert webapp_helpers.WEBAPP.is_dir()


@pytest.fixture(params=["memory", "sqlite"])
def program(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Program]:
    """A program at :data:`NOW` with an Outbox, on each storage adapter."""
    store = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "portal.db")
    with Program(store, clock=FixedClock(NOW), notifier=Outbox()) as program:
        yield program


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
