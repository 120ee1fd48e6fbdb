"""Fixtures of the entitlements tests: a service on each storage adapter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from entitlements_helpers import Env, make_store


@pytest.fixture(params=["memory", "sqlite"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    """An :class:`Env` on each adapter."""
    store = make_store(request.param, tmp_path)
    yield Env(store)
    store.close()
