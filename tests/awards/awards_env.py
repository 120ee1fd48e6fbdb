"""Helpers of the awards tests: a service wired to a store, a clock, an outbox, candidates."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _programs import open_store
from symprogram.awards import (
    AwardsService,
    AwardsSettings,
    KitAddress,
    StaticCandidateDirectory,
)
from symprogram.clock import FixedClock
from symprogram.history import AccountHistory
from symprogram.notify import Outbox
from symprogram.persistence import Store

START = datetime(2012, 3, 1, 9, 0, tzinfo=UTC)
ADA = KitAddress("Ada Lovelace", "ada@example.com", ("12 St James's Square", "London"), "GB")
BOB = KitAddress("Bob Smith", "bob@example.com", ("1 Main Street", "Springfield"), "US")
KINDS = ("award_candidate", "award_kit", "award_disclosure", "ledger_head")


class Env:
    """A service with its store, clock, outbox, history and candidate directory."""

    def __init__(self, store: Store, *, salt: bytes | None = None) -> None:
        self.store = store
        self.clock = FixedClock(START)
        self.outbox = Outbox()
        self.history = AccountHistory(store)
        self.people = StaticCandidateDirectory()
        self.people.add("ada", ADA)
        self.people.add("bob", BOB, accepted_terms=False)
        self.service = AwardsService(
            store,
            self.clock,
            history=self.history,
            notifier=self.outbox,
            candidates=self.people,
            settings=AwardsSettings(salt=salt),
        )

    def snapshot(self) -> dict[str, Any]:
        """Everything the awards context and the history have stored."""
        out: dict[str, Any] = {}
        with self.store.transaction(readonly=True) as tx:
            for kind in KINDS:
                out[kind] = [(r.key, r.version, json.loads(r.data)) for r in tx.scan(kind)]
            for name in tx.streams():
                out[name] = tx.read(name)
        return out


def make_store(kind: str, path: Path) -> Store:
    """A fresh store of ``kind`` (built by ``_programs.open_store``)."""
    return open_store(kind, path, name="awards.db")
