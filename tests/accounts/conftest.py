"""Fixtures of the accounts tests: a service on each storage adapter.

The ``store`` fixture (memory and a SQLite file) is the suite's, in ``tests/conftest.py``.
"""

from __future__ import annotations

import pytest
from accounts_helpers import World

from symprogram.persistence import Store


@pytest.fixture
def world(store: Store) -> World:
    """A service on the parametrized store."""
    return World(store)
