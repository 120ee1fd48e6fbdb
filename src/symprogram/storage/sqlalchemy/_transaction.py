"""The SQL adapter's unit of work: the single-item operations and the batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc

from symprogram.persistence import (
    AppendItem,
    CheckedItems,
    IndexItem,
    Record,
    SaveItem,
    batch_items,
)
from symprogram.storage._base import (
    as_int,
    as_text,
    check_batch,
    check_entry,
    check_index,
    check_key,
    check_save,
    check_writable,
    checked_items,
    in_chunks,
    net_saves,
    pair_of,
    read_chunks,
    write_batch,
)
from symprogram.storage.sqlalchemy import _postgres
from symprogram.storage.sqlalchemy._errors import is_duplicate, rollback_quietly, translate
from symprogram.storage.sqlalchemy._operations import _Operations
from symprogram.storage.sqlalchemy._text import decode_data

__all__ = ["SQLAlchemyTransaction"]


class SQLAlchemyTransaction(_Operations):
    """A unit of work on a :class:`SQLAlchemyStore`.

    It implements :class:`symprogram.persistence.Transaction`.

    Attributes:
        readonly: whether writes are refused.
    """

    # -- batches (see symprogram.persistence.BatchTransaction) --------------------
    def _all_or_nothing(self, work: Callable[[], bool]) -> bool:
        """Run ``work`` inside a savepoint: kept if it returns True, undone if it
        returns False or hits a duplicate key (then False). Other errors are raised."""
        try:
            savepoint = self._conn.begin_nested()
        except exc.SQLAlchemyError as error:
            raise translate(error) from error
        try:
            ok = work()
        except exc.IntegrityError as error:
            rollback_quietly(savepoint)
            if not is_duplicate(error):
                raise translate(error) from error
            return False
        except exc.SQLAlchemyError as error:
            rollback_quietly(savepoint)
            raise translate(error) from error
        except BaseException:
            rollback_quietly(savepoint)
            raise
        try:
            if ok:
                savepoint.commit()
            else:
                savepoint.rollback()
        except exc.SQLAlchemyError as error:
            raise translate(error) from error
        return ok

    def _insert_rows(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """Insert ``rows`` with one ``executemany``, or ``COPY`` on psycopg 3 (a
        duplicate key raises; see :mod:`symprogram.storage.sqlalchemy._postgres`)."""
        if self._copy_rows:
            self._copy(table, rows)
        else:
            self._conn.execute(sa.insert(table), rows)

    def _copy(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """``COPY`` of ``rows`` into ``table`` in this unit of work (psycopg 3)."""
        _postgres.copy_rows(self._conn, table, rows)

    def save_many(self, items: Sequence[SaveItem]) -> list[int]:
        """:meth:`save` of every ``(kind, key, data, expected_version)``, in batches.

        Each record written once, at its final version (a record saved more than
        once in the batch, such as a row added and then bound, is folded: see
        :func:`~symprogram.storage._base.net_saves`): the new records in one
        ``COPY`` (PostgreSQL with psycopg) or ``executemany``, the updated ones in
        one statement (PostgreSQL) or ``executemany``, inside a savepoint; if any
        is refused the savepoint is rolled back and the items are saved one by one,
        which raises the error of the first refused item.
        """
        batch = batch_items(items, 4)
        checked = type(batch) is CheckedItems  # checked once, when buffered: encode only
        stored = check_batch(
            batch, self._encoded_save if checked else self._checked_save, self.save_many
        )

        def attempt() -> bool:
            if not (
                self._conn.dialect.supports_sane_multi_rowcount or all(v == 0 for *_, v in batch)
            ):
                return False
            check_writable(self.readonly)
            net = net_saves(
                [(k, key, d, v) for (k, key, _, v), d in zip(batch, stored, strict=True)]
            )
            if net is None:  # saves of one record out of step: one by one raises
                return False
            return self._all_or_nothing(lambda: self._save_net(net))

        versions = write_batch(batch, attempt, self.save)
        return [item[3] + 1 for item in batch] if versions is None else versions

    def _checked_save(self, kind: str, key: str, data: str, expected_version: int) -> str:
        """The checks of :meth:`save`: the data as stored."""
        check_save(kind, key, data, expected_version)
        return self._stored(data)

    def _encoded_save(self, kind: str, key: str, data: str, expected_version: int) -> str:
        """The data as stored, of an item a write buffer already checked."""
        return self._stored(data)

    def _save_net(self, net: list[tuple[str, str, str, int, int]]) -> bool:
        """Write each ``(kind, key, data, expected version, final version)`` of ``net``
        (one per record); False if a record was not at its expected version."""
        r = self._t.records
        net.sort(key=pair_of)  # in key order: index pages filled one after the other
        inserts = [
            {"kind": k, "key": key, "version": final, "data": d}
            for k, key, d, v, final in net
            if v == 0
        ]
        if inserts:
            self._insert_rows(r, inserts)
        changed = [(k, key, v, final, d) for k, key, d, v, final in net if v]
        if not changed:
            return True
        if self._probe_each:  # PostgreSQL: one UPDATE ... FROM unnest(...)
            result = self._conn.execute(_postgres.update_records(r, changed, self._conn.dialect))
            return result.rowcount == len(changed)
        updates = [
            {"b_kind": k, "b_key": key, "b_version": v, "b_new": final, "b_data": d}
            for k, key, v, final, d in changed
        ]
        result = self._conn.execute(
            sa.update(r)
            .where(
                r.c.kind == sa.bindparam("b_kind"),
                r.c.key == sa.bindparam("b_key"),
                r.c.version == sa.bindparam("b_version"),
            )
            .values(version=sa.bindparam("b_new"), data=sa.bindparam("b_data")),
            updates,
        )
        return result.rowcount == len(updates)

    def index_put_many(self, items: Sequence[IndexItem]) -> None:
        """:meth:`index_put` of every ``(index, value, key)``: one ``executemany`` in a
        savepoint, or one by one if an entry is already there."""
        batch = checked_items(items, 3, check_index, self.index_put_many)

        def attempt() -> bool:
            check_writable(self.readonly)
            rows = [{"name": i, "value": v, "key": k} for i, v, k in sorted(batch, key=pair_of)]

            def insert() -> bool:
                self._insert_rows(self._t.index, rows)
                return True

            return self._all_or_nothing(insert)

        write_batch(batch, attempt, self.index_put)  # the same key is fine, another is refused

    def append_many(self, items: Sequence[AppendItem]) -> None:
        """:meth:`append` of every ``(stream, position, data)``: the streams' lengths
        read at once, then one ``executemany`` in a savepoint."""
        batch = batch_items(items, 3)
        checked = type(batch) is CheckedItems  # checked once, when buffered: encode only
        stored = check_batch(
            batch, self._encoded_append if checked else self._checked_append, self.append_many
        )

        def attempt() -> bool:
            check_writable(self.readonly)
            lengths = self._lengths([stream for stream, _, _ in batch])
            for stream, position, _ in batch:
                if position != lengths.get(stream, 0) + 1:
                    return False
                lengths[stream] = position
            rows = sorted(
                (
                    {"stream": s, "position": p, "data": d}
                    for (s, p, _), d in zip(batch, stored, strict=True)
                ),
                key=lambda row: row["stream"],  # stable: each stream's entries in order
            )

            def insert() -> bool:
                self._insert_rows(self._t.streams, rows)
                return True

            return self._all_or_nothing(insert)

        write_batch(batch, attempt, self.append)  # raises the error of the first refused entry

    def _checked_append(self, stream: str, position: int, data: str) -> str:
        """The checks of :meth:`append`: the data as stored."""
        check_entry(stream, position, data)
        return self._stored(data)

    def _encoded_append(self, stream: str, position: int, data: str) -> str:
        """The data as stored, of an entry a write buffer already checked."""
        return self._stored(data)

    def _lengths(self, streams: list[str]) -> dict[str, int]:
        s = self._t.streams

        def plain(chunk: list[str]) -> sa.Executable:
            return (
                sa.select(s.c.stream, sa.func.max(s.c.position))
                .where(s.c.stream.in_(chunk))
                .group_by(s.c.stream)
            )

        rows = self._chunk_rows(
            in_chunks(streams), lambda chunk: _postgres.lengths_probe(s, chunk), plain
        )
        return {
            as_text(name, "a stream name"): as_int(length, "a position")
            for name, length in rows
            if length is not None
        }

    def load_many(self, kind: str, keys: Sequence[str]) -> dict[str, Record]:
        """:meth:`load` of every key: the records found, by key."""
        rows = self._rows_among(
            self._t.records, ("kind", "kind", kind), ("key", keys), _postgres.records_probe
        )
        found: dict[str, Record] = {}
        for key, version, data in rows:
            text = as_text(key, "a key")
            found[text] = Record(
                kind, text, as_int(version, "a version"), decode_data(as_text(data, "a record"))
            )
        return found

    def index_get_many(self, index: str, values: Sequence[str]) -> dict[str, str]:
        """:meth:`index_get` of every value: the keys found, by value."""
        rows = self._rows_among(
            self._t.index, ("index", "name", index), ("value", values), _postgres.index_probe
        )
        return {
            as_text(value, "an index value"): as_text(key, "an index key") for value, key in rows
        }

    def _rows_among(
        self,
        table: sa.Table,
        owner: tuple[str, str, str],
        among: tuple[str, Sequence[str]],
        probe: Callable[[sa.Table, str, list[str]], sa.Executable],
    ) -> Iterator[Any]:
        """The rows of ``table`` whose ``owner`` (field, column, value: a kind, an
        index) is the one given and whose column ``among[0]`` is one of ``among[1]``
        (each checked): every column but the owner's (the table's first), that one first."""
        field, column, name = owner
        check_key(name, field)
        values_column, values = among
        chunks = read_chunks(values, f"{values_column}s", values_column, check_key)
        others = [c for c in list(table.c)[1:] if c.name != values_column]
        columns = [table.c[values_column], *others]
        return self._chunk_rows(
            chunks,
            lambda chunk: probe(table, name, chunk),
            lambda chunk: sa.select(*columns).where(
                table.c[column] == name, table.c[values_column].in_(chunk)
            ),
        )

    def _chunk_rows(
        self,
        chunks: list[list[str]],
        probe: Callable[[list[str]], sa.Executable],
        plain: Callable[[list[str]], sa.Executable],
    ) -> Iterator[Any]:
        """The rows of a batched read, chunk by chunk: ``probe`` on PostgreSQL (one
        primary-key probe per name, see ``_postgres``), else ``plain`` (an ``IN`` list)."""
        for chunk in chunks:
            yield from self._rows(probe(chunk) if self._probe_each else plain(chunk))
