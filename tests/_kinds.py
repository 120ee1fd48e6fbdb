"""The record kinds the SDK stores, shared by the integration and erasure suites.

The list is no copy: it is read from the contexts' own declarations
(:func:`symprogram.erasure.record_kinds`: each context's erasure flow declares its
``personal_data_kinds`` and ``other_kinds``, the kernel its ``KERNEL_KINDS``), so a
kind a context starts writing without declaring it is found in a store and fails
``test_snapshot_covers_every_kind`` and the erasure suite. Importable as ``_kinds``
because the ``tests`` directory, home of the root ``conftest.py``, is on ``sys.path``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

from symprogram.erasure import record_kinds
from symprogram.persistence import Record, Transaction

#: Every record kind the SDK declares (personal or not), sorted.
KNOWN_KINDS = tuple(record_kinds())

#: The declared kinds that can hold personal data (erased by ``erase_person``).
PERSONAL_KINDS = tuple(kind for kind, personal in record_kinds().items() if personal)

#: The declared kinds that hold no personal data (the erasure suite checks it).
OTHER_KINDS = tuple(kind for kind, personal in record_kinds().items() if not personal)


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
