"""The in-memory adapter passes the storage contract suite."""

from __future__ import annotations

from pathlib import Path

from symprogram.persistence import Store
from symprogram.storage.memory import MemoryStore
from symprogram.testing.contract import StoreContract


class TestMemoryStore(StoreContract):
    """MemoryStore against the shared contract."""

    def make_store(self, tmp_path: Path) -> Store:
        return MemoryStore()
