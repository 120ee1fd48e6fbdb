"""What the SQL adapter does on PostgreSQL only: batched reads that probe the
primary key once per name (LATERAL over ``unnest``), and batch inserts by ``COPY``
on psycopg 3.

Batched reads on PostgreSQL probe the primary key once per wanted name, whatever
the statistics say. On tables never analyzed (a bulk import into a fresh
database, autovacuum off or not yet run) the planner takes ``key IN (500 names)``
for most of the table: it then reads every record of the kind (or the whole
streams table) and filters, once per batch, and an import slows down with every
batch.

``COPY ... FROM STDIN`` sends the rows as one stream the server parses once:
measured about four times faster than psycopg's pipelined ``executemany`` (a
statement per row) for a batch of records.

A batch of updates is one ``UPDATE ... FROM unnest(kinds, keys, versions, data)``
statement: psycopg's pipelined ``executemany`` still sends, parses and plans one
``UPDATE`` per record (no server-side prepared statements, see ``_engine``), which
made the updates of a bulk import's batch (terms acceptances bound, messages marked
delivered) the largest share of its time in the database.
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.engine import Connection

__all__ = ["copy_rows", "index_probe", "lengths_probe", "records_probe", "update_records"]


def _wanted(chunk: list[str]) -> Any:
    """``unnest(:wanted) AS v(wanted)``: the names a batched read probes one by one."""
    return (
        sa.func.unnest(sa.bindparam("wanted", chunk, type_=pg_dialect.ARRAY(sa.Text)))
        .table_valued("wanted")
        .render_derived(name="v")
    )


def lengths_probe(streams: sa.Table, chunk: list[str]) -> sa.Executable:
    """``(stream, last position)`` of each stream of ``chunk`` (NULL: no entries)."""
    names = _wanted(chunk)
    x = streams.alias("x")
    return sa.select(
        names.c.wanted,
        sa.select(sa.func.max(x.c.position))
        .where(x.c.stream == names.c.wanted.collate("C"))
        .scalar_subquery(),
    )


def records_probe(records: sa.Table, kind: str, chunk: list[str]) -> sa.Executable:
    """``(key, version, data)`` of the records of ``kind`` with the keys of ``chunk``."""
    probe = _wanted(chunk)
    x = (
        sa.select(records.c.version, records.c.data)
        .where(records.c.kind == kind, records.c.key == probe.c.wanted.collate("C"))
        .limit(1)  # one row (the key is unique); not flattened into a join
        .lateral("x")
    )
    return sa.select(probe.c.wanted, x.c.version, x.c.data).join_from(probe, x, sa.true())


def index_probe(index: sa.Table, name: str, chunk: list[str]) -> sa.Executable:
    """``(value, key)`` of the entries of index ``name`` with the values of ``chunk``."""
    probe = _wanted(chunk)
    x = (
        sa.select(index.c.key)
        .where(index.c.name == name, index.c.value == probe.c.wanted.collate("C"))
        .limit(1)  # one row (the key is unique); not flattened into a join
        .lateral("x")
    )
    return sa.select(probe.c.wanted, x.c.key).join_from(probe, x, sa.true())


def update_records(
    records: sa.Table, updates: list[tuple[str, str, int, int, str]], dialect: sa.Dialect
) -> sa.Executable:
    """One ``UPDATE`` of every ``(kind, key, expected version, new version, data)`` of
    ``updates``: each record at its expected version gets the data and the new
    version. Its row count is
    the number of records updated (a stale or missing one is left alone; a key
    repeated in ``updates`` is updated once).

    Each record is found by a primary-key probe (``LATERAL ... LIMIT 1``, as the
    batched reads) and updated by its ``ctid``: joined directly, a table never
    analyzed was read whole into a hash join for every batch (measured: a
    sequential scan of 15,000 records for 500 updates, growing with the import).
    Under READ COMMITTED a record another transaction changed meanwhile has a new
    ``ctid`` and version, so the re-check leaves it alone and the row count tells.
    """
    kinds, keys, versions, finals, data = (list(c) for c in zip(*updates, strict=True))
    table = dialect.identifier_preparer.format_table(records)
    text = pg_dialect.ARRAY(sa.Text)
    return sa.text(  # the table name: a checked prefix, quoted by the dialect
        f"UPDATE {table} AS r SET version = t.final, data = t.data "  # noqa: S608
        "FROM (SELECT x.tid, u.version, u.final, u.data FROM unnest("
        ":u_kinds, :u_keys, :u_versions, :u_finals, :u_data"
        ") AS u(kind, key, version, final, data) "
        f"CROSS JOIN LATERAL (SELECT ctid AS tid FROM {table} "
        'WHERE kind = (u.kind COLLATE "C") AND key = (u.key COLLATE "C") '
        "AND version = u.version LIMIT 1) AS x) AS t "
        "WHERE r.ctid = t.tid AND r.version = t.version"
    ).bindparams(
        sa.bindparam("u_kinds", kinds, type_=text),
        sa.bindparam("u_keys", keys, type_=text),
        sa.bindparam("u_versions", versions, type_=pg_dialect.ARRAY(sa.BigInteger)),
        sa.bindparam("u_finals", finals, type_=pg_dialect.ARRAY(sa.BigInteger)),
        sa.bindparam("u_data", data, type_=text),
    )


def copy_rows(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """``COPY`` of ``rows`` into ``table`` through the psycopg connection of ``conn``
    (same transaction and savepoint); its errors raised as SQLAlchemy raises the
    driver's, the connection invalidated if it was lost."""
    import psycopg

    names = [column.name for column in table.columns]
    quote = conn.dialect.identifier_preparer
    columns = ", ".join(quote.quote(name) for name in names)
    statement = f"COPY {quote.format_table(table)} ({columns}) FROM STDIN"
    proxied = conn.connection
    driver: psycopg.Connection[Any] = proxied.driver_connection  # type: ignore[assignment]
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[name] for name in names])
    except psycopg.Error as orig:
        dialect = conn.dialect
        lost = dialect.is_disconnect(cast(Any, orig), proxied.dbapi_connection, None)
        error = exc.DBAPIError.instance(
            statement,
            None,
            orig,
            psycopg.Error,
            connection_invalidated=lost,
            dialect=dialect,
        )
        if lost:
            conn.invalidate(error)
        raise error from orig
