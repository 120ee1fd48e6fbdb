"""Helpers shared by the accounts tests (imported by conftest and the test modules)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _programs import open_store
from symprogram.accounts import (
    AcceptancePath,
    AccountsService,
    Candidate,
    ScryptHasher,
)
from symprogram.clock import FixedClock
from symprogram.history import AccountHistory
from symprogram.notify import Outbox
from symprogram.persistence import Store

START = datetime(2011, 1, 15, 9, 30, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
KINDS = (
    "candidate",
    "account_credential",
    "terms_acceptance",
    "score_report",
    "incident",
    "account_request_log",
    "token",
    "token_generation",
    "ledger_head",
)


def make_store(kind: str, directory: Path) -> Store:
    """A fresh store of the given adapter kind (built by ``_programs.open_store``)."""
    return open_store(kind, directory, name="accounts.db")


class World:
    """A service with its store, clock, outbox and history, for one test."""

    def __init__(self, store: Store, **options: Any) -> None:
        self.store = store
        self.clock = FixedClock(START)
        self.outbox = Outbox()
        self.history = AccountHistory(store)
        options.setdefault("hasher", ScryptHasher(n=2**4))
        self.accounts = AccountsService(
            store, self.clock, history=self.history, notifier=self.outbox, **options
        )

    def register(self, email: str = "ada@example.com", **fields: Any) -> str:
        """Accept the terms (unless a ``terms_receipt`` is given) and register.

        Returns the newest activation token.
        """
        if "terms_receipt" not in fields:
            fields["terms_receipt"] = self.accounts.accept_terms(
                path=AcceptancePath.CREATE_ACCOUNT
            ).token
        values: dict[str, Any] = {
            "email": email,
            "password": PASSWORD,
            "given_name": "Ada",
            "family_name": "Lovelace",
            "company_name": "Analytical Engines Ltd",
            "partner_company": "Babbage & Co",
            "preferred_language": "en-GB",
        }
        values.update(fields)
        self.accounts.register(**values)
        return str(self.outbox.last("activation").data["token"])

    def active(self, email: str = "ada@example.com", **fields: Any) -> Candidate:
        """Register and activate an account."""
        return self.accounts.activate(self.register(email, **fields))

    def snapshot(self, *, stand_ins: bool = True, logs: bool = True) -> tuple[Any, ...]:
        """Everything the accounts context can have written, to prove nothing changed
        (without ``stand_ins``: the stand-in records, written for nobody, left out;
        without ``logs``: the request logs, which every request writes, left out)."""
        with self.store.transaction(readonly=True) as tx:
            records = tuple(
                (
                    kind,
                    tuple(
                        r
                        for r in tx.scan(kind, limit=10_000)
                        if stand_ins or not r.key.startswith("~stand-in:")
                    ),
                )
                for kind in KINDS
                if logs or kind != "account_request_log"
            )
            streams = tuple((name, tuple(tx.read(name))) for name in tx.streams(limit=10_000))
        return records, streams


def spy_locks(tx: Any) -> list[str]:
    """From now on, note the keys the unit of work ``tx`` locks (``load_for_update``,
    served as a plain load); return the list they are noted in."""
    locked: list[str] = []
    original = tx.load

    def load_for_update(kind: str, key: str) -> object:
        locked.append(key)
        return original(kind, key)

    tx.load_for_update = load_for_update
    return locked
