"""The record kinds the SDK stores, shared by the integration and erasure suites.

The library keeps no list of its kinds (each service names its own), so the tests
keep this one: ``test_snapshot_covers_every_kind`` and the erasure suite check it
against the kinds found in a SQLite file. Importable as ``_kinds`` because the
``tests`` directory, home of the root ``conftest.py``, is on ``sys.path``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

from symprogram.persistence import Record, Transaction

#: Every record kind the SDK writes.
KNOWN_KINDS = (
    "account_credential",
    "account_request_log",
    "award_candidate",
    "award_disclosure",
    "award_kit",
    "candidate",
    "consent_file",
    "consent_granted",
    "consent_meta",
    "consent_policy",
    "consent_state",
    "entitlements_case",
    "entitlements_customer",
    "entitlements_product",
    "incident",
    "ledger_head",
    "score_report",
    "terms_acceptance",
    "token",
    "token_generation",
)


def known_records(tx: Transaction) -> Iterator[tuple[str, Record]]:
    """Every record of every known kind, as ``(kind, record)``: kind by kind, each in
    key order, read through the Store's transaction scan API in pages of 500."""
    for kind in KNOWN_KINDS:
        after: str | None = None
        while True:
            page = tx.scan(kind, after=after, limit=500)
            for record in page:
                yield kind, record
            if len(page) < 500:
                break
            after = page[-1].key


def sqlite_kinds(path: Path) -> set[str]:
    """The record kinds present in a SQLite file, read with :mod:`sqlite3` directly."""
    with closing(sqlite3.connect(path)) as conn:
        return {row[0] for row in conn.execute("SELECT DISTINCT kind FROM sp_records")}
