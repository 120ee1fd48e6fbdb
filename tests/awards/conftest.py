"""Fixtures of the awards tests: an :class:`Env` on each storage adapter.

The ``store`` fixture (memory and a SQLite file) is the suite's, in ``tests/conftest.py``.
"""

from __future__ import annotations

import pytest
from awards_env import Env

from symprogram.persistence import Store


@pytest.fixture
def env(store: Store) -> Env:
    """An :class:`Env` on each adapter."""
    return Env(store)
