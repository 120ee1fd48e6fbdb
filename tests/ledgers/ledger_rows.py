"""The rows of a program's ledgers, read and written as an attacker with database access would.

Entries are read, rewritten and appended through the store's own transaction API;
whole streams are replaced underneath it (the port has no way to delete an entry):
the memory store's lists, a second connection to the SQLite file, or the
SQLAlchemy adapter's tables. Heads and projection records are written through
the transaction API (``load`` / ``save`` / ``delete``), as a row edit would.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import sqlite3
from contextlib import closing
from typing import Any

import attrs
import pytest

from symprogram import Program
from symprogram._anchors import AggregateMismatch
from symprogram.errors import IntegrityError
from symprogram.events import Ledger, _chain_body
from symprogram.serialization import canonical_json
from symprogram.storage.memory import MemoryStore
from symprogram.storage.sqlite import SQLiteStore

#: The record kind of a stored disclosure.
DISCLOSURE = "award_disclosure"

Rows = list[tuple[int, str]]


@attrs.frozen
class Snapshot:
    """A stream's entries and head row, and any records, as a backup holds them."""

    stream: str
    rows: tuple[tuple[int, str], ...]
    head: str | None
    records: tuple[tuple[str, str, str | None], ...] = ()


class LedgerRows:
    """Raw access to the ledger rows of ``program``'s store."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.store = program.store

    # -- entries ---------------------------------------------------------------
    def read(self, stream: str) -> Rows:
        """Every ``(position, text)`` of ``stream``."""
        with self.store.transaction(readonly=True) as tx:
            return list(tx.read(stream))

    def put_stream(self, stream: str, rows: Rows) -> None:
        """Replace every entry of ``stream`` with ``rows`` (none: the stream is gone)."""
        store: Any = self.store
        if isinstance(store, MemoryStore):
            state = store._state
            if stream in state.streams:
                del state.streams[stream]
                state.stream_names.remove(stream)
            if rows:
                state.streams[stream] = [text for _, text in sorted(rows)]
                bisect.insort(state.stream_names, stream)
            state.generation += 1
        elif isinstance(store, SQLiteStore):
            with closing(sqlite3.connect(store.path)) as conn, conn:
                conn.execute("DELETE FROM sp_streams WHERE stream = ?", (stream,))
                conn.executemany(
                    "INSERT INTO sp_streams (stream, position, data) VALUES (?, ?, ?)",
                    [(stream, p, text) for p, text in rows],
                )
        else:
            from symprogram.storage.sqlalchemy._text import encode_data

            table = store._tables.streams
            with store.engine.begin() as conn:
                conn.execute(table.delete().where(table.c.stream == stream))
                if rows:
                    conn.execute(
                        table.insert(),
                        [
                            {"stream": stream, "position": p, "data": encode_data(text)}
                            for p, text in rows
                        ],
                    )

    def rewrite(self, stream: str, position: int, raw: dict[str, Any]) -> None:
        """Write ``raw`` (an entry's fields) at ``position``."""
        with self.store.transaction() as tx:
            tx.rewrite(stream, position, json.dumps(raw))

    # -- records -----------------------------------------------------------------
    def get_record(self, kind: str, key: str) -> str | None:
        """The data of a record, or ``None``."""
        with self.store.transaction(readonly=True) as tx:
            record = tx.load(kind, key)
            return None if record is None else record.data

    def put_record(self, kind: str, key: str, data: str | None) -> None:
        """Write (or, with ``None``, delete) a record whatever its version."""
        with self.store.transaction() as tx:
            record = tx.load(kind, key)
            version = 0 if record is None else record.version
            if data is None:
                if record is not None:
                    tx.delete(kind, key, version)
            else:
                tx.save(kind, key, data, version)

    def keys(self, kind: str) -> list[str]:
        """Every key of ``kind``."""
        found: list[str] = []
        after: str | None = None
        while True:
            with self.store.transaction(readonly=True) as tx:
                records = tx.scan(kind, after=after, limit=500)
            found.extend(r.key for r in records)
            if len(records) < 500:
                return found
            after = records[-1].key

    # -- heads -------------------------------------------------------------------
    def head(self, stream: str) -> dict[str, Any] | None:
        """The stream head's fields."""
        data = self.get_record(Ledger.HEAD_KIND, stream)
        return None if data is None else dict(json.loads(data))

    def put_head(self, stream: str, head: dict[str, Any] | None) -> None:
        """Write the stream head's fields (``None``: delete the head)."""
        self.put_record(Ledger.HEAD_KIND, stream, None if head is None else json.dumps(head))

    # -- backups -----------------------------------------------------------------
    def snapshot(self, stream: str, records: tuple[tuple[str, str], ...] = ()) -> Snapshot:
        """A backup of ``stream`` (entries and head) and of the records named."""
        return Snapshot(
            stream,
            tuple(self.read(stream)),
            self.get_record(Ledger.HEAD_KIND, stream),
            tuple((kind, key, self.get_record(kind, key)) for kind, key in records),
        )

    def restore(self, snapshot: Snapshot) -> None:
        """Put the backup back: entries, head and records as they were."""
        self.put_stream(snapshot.stream, list(snapshot.rows))
        self.put_record(Ledger.HEAD_KIND, snapshot.stream, snapshot.head)
        for kind, key, data in snapshot.records:
            self.put_record(kind, key, data)


def history_without(program: Program, cid: str, field: str) -> None:
    """Rewrite ``cid``'s history as a build that did not record ``field`` wrote it: the
    same entries, at the same instants, with no ``field`` in their data (with the
    program's key, so it verifies)."""
    rows = LedgerRows(program)
    entries = program.history.history(cid)
    stream = f"history:{cid}"
    rows.put_stream(stream, [])
    rows.put_head(stream, None)
    items = [
        (e.kind, {k: v for k, v in (e.data or {}).items() if k != field}, e.at) for e in entries
    ]
    with program.store.transaction() as tx:
        program.history.ledger.append_many(tx, cid, items)


def disclosure_refused(program: Program, code: str, did: str) -> None:
    """``verify_disclosure(code)`` refuses the stored disclosure ``did`` (``record_corrupt``)."""
    with pytest.raises(IntegrityError) as raised:
        program.awards.verify_disclosure(code)
    assert "record_corrupt" == raised.value.code
    assert {"kind": DISCLOSURE, "key": did} == raised.value.details


def disclosure_mismatches(program: Program) -> set[tuple[str, str]]:
    """``(disclosure ID, field)`` of every disclosure ``verify_all`` reports."""
    return {
        (p.key, p.field)
        for failure in program.verify_all().failures
        for p in failure.problems
        if isinstance(p, AggregateMismatch) and p.kind == DISCLOSURE
    }


def without_credential_digests(program: Program, cid: str) -> None:
    """Make ``cid`` an account from before credential digests were recorded: its history
    rewritten as such a build wrote it (:func:`history_without` ``credential_digest``)
    and its candidate's ``credential_digest`` set to null."""
    history_without(program, cid, "credential_digest")
    rows = LedgerRows(program)
    text = rows.get_record("candidate", cid)
    assert text is not None
    rows.put_record("candidate", cid, json.dumps({**json.loads(text), "credential_digest": None}))
    assert program.history.verify(cid).ok


def sha256_chain(raw: dict[str, Any], subject: str, position: int, prev: str) -> str:
    """The chain hash an attacker without the key computes for an entry."""
    body = _chain_body(prev, subject, position, str(raw["kind"]), str(raw["at"]), raw["digest"])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def sha256_digest(salt: str, data: dict[str, Any]) -> str:
    """An entry's data digest (no key involved)."""
    return hashlib.sha256((salt + canonical_json(data)).encode("utf-8")).hexdigest()


def unkeyed_marker(stream: str, position: int, digest: str, chain: str) -> str:
    """The erasure marker an attacker without the key can compute."""
    body = canonical_json(["erased", stream, position, digest, chain])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
