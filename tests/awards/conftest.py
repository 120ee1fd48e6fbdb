"""Fixtures of the awards tests: an :class:`Env` on each storage adapter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from awards_env import Env, make_store


@pytest.fixture(params=["memory", "sqlite"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    """An :class:`Env` on each adapter."""
    store = make_store(request.param, tmp_path)
    try:
        yield Env(store)
    finally:
        store.close()
