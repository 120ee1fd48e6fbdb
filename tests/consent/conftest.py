"""Fixtures of the consent tests: every service test runs on MemoryStore and SQLiteStore.

The ``store`` fixture (memory and a SQLite file) is the suite's, in ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from _programs import STORES, open_store
from symprogram.clock import FixedClock
from symprogram.consent import ConsentService, ConsentSettings
from symprogram.persistence import Store

T0 = datetime(2011, 1, 14, tzinfo=UTC)

Snapshot = Callable[[], Any]


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing at 2011-01-14."""
    return FixedClock(T0)


@pytest.fixture
def consent(store: Store, clock: FixedClock) -> ConsentService:
    """A consent service with the default policy: the privacy policy as the document says it."""
    return ConsentService(store, clock)


@pytest.fixture
def opt_in_consent(store: Store, clock: FixedClock) -> ConsentService:
    """A consent service on the stricter opt-in reading of the privacy policy."""
    return ConsentService(store, clock, settings=ConsentSettings(policy="opt_in"))


def take_snapshot(store: Store) -> Any:
    """Everything the consent context keeps in ``store``, for "nothing changed" checks."""
    with store.transaction(readonly=True) as tx:
        records = {
            kind: [(r.key, r.version, r.data) for r in tx.scan(kind, limit=10_000)]
            for kind in ("consent_state", "consent_file", "consent_policy", "ledger_head")
        }
        streams = {name: tx.read(name) for name in tx.streams(prefix="", limit=10_000)}
    return records, streams


@pytest.fixture
def snapshot(store: Store) -> Snapshot:
    """A function returning the current content of the store."""
    return lambda: take_snapshot(store)


StoreFactory = Callable[[], Store]


@pytest.fixture(params=STORES)
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """A factory of fresh, empty stores of each adapter (one per Hypothesis example)."""
    opened: list[Store] = []

    def make() -> Store:
        s = open_store(str(request.param), tmp_path, name=f"p{len(opened)}.db")
        opened.append(s)
        return s

    yield make
    for s in opened:
        s.close()
