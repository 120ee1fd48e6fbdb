"""Fixtures of the accounts tests: a service on each storage adapter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from accounts_helpers import World, make_store

from symprogram.persistence import Store


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each test runs on the in-memory and on the SQLite adapter."""
    made = make_store(request.param, tmp_path)
    yield made
    made.close()


@pytest.fixture
def world(store: Store) -> World:
    """A service on the parametrized store."""
    return World(store)
