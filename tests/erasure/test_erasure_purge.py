"""The purge step after an erasure on a server: no erased value in the table files.

On PostgreSQL an erased row's old version stays in the table's heap (and TOAST and
index) files as a dead tuple, even after ``VACUUM``, and sampled values of it in the
planner statistics; ``purge`` (``VACUUM (FULL, ANALYZE)``, ``VACUUM FULL`` of
``pg_statistic`` and ``CHECKPOINT``) rewrites them. On MariaDB old versions stay in
the table's ``.ibd`` file; ``purge`` (``OPTIMIZE TABLE``) rebuilds it. The tests read
the files of the local servers (they run as root on the test machine) and are
skipped with the reason when they cannot.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from erasure_helpers import Person, email_key, raw_forms, seed

from symprogram import Program
from symprogram.storage.sqlalchemy import SQLAlchemyStore, purge

_FILES = """
WITH t AS (SELECT CAST(:table AS regclass) AS oid),
toast AS (SELECT reltoastrelid AS oid FROM pg_class WHERE oid = (SELECT oid FROM t)
          AND reltoastrelid <> 0),
rels AS (SELECT oid FROM t UNION SELECT oid FROM toast
         UNION SELECT indexrelid FROM pg_index
         WHERE indrelid IN (SELECT oid FROM t UNION SELECT oid FROM toast))
SELECT pg_relation_filepath(oid) FROM rels
"""


def _table_files(store: SQLAlchemyStore) -> list[Path]:
    """Every file of symprogram's tables on the server: heap, TOAST and index files
    with their segments and forks."""
    with store.engine.connect() as conn:
        data_directory = Path(conn.exec_driver_sql("SHOW data_directory").scalar_one())
        relative = [
            path
            for table in store.table_names
            for path in conn.execute(sa.text(_FILES), {"table": table}).scalars()
        ]
    if not data_directory.is_dir() or not any(data_directory.iterdir()):
        pytest.skip(f"the server's data directory {data_directory} is not readable here")
    files: list[Path] = []
    for name in relative:
        base = data_directory / name
        files.extend(p for p in base.parent.glob(f"{base.name}*") if p.is_file())
    return files


def _innodb_files(store: SQLAlchemyStore) -> list[Path]:
    """The ``.ibd`` file of each of symprogram's tables, their dirty pages flushed
    (``FLUSH TABLES ... FOR EXPORT``) so that the files hold what the tables hold."""
    with store.engine.connect() as conn:
        data_directory = Path(conn.exec_driver_sql("SELECT @@datadir").scalar_one())
        database = conn.exec_driver_sql("SELECT DATABASE()").scalar_one()
        conn.exec_driver_sql(f"FLUSH TABLES {', '.join(store.table_names)} FOR EXPORT")
        conn.exec_driver_sql("UNLOCK TABLES")
    files = [data_directory / database / f"{table}.ibd" for table in store.table_names]
    if not all(path.is_file() for path in files):
        pytest.skip(f"the server's table files under {data_directory} are not readable here")
    return files


def _file_leaks(store: SQLAlchemyStore, needles: tuple[str, ...]) -> list[str]:
    find = _innodb_files if store.engine.dialect.name in ("mysql", "mariadb") else _table_files
    try:
        blobs = [path.read_bytes() for path in find(store)]
    except PermissionError as exc:
        pytest.skip(f"the server's table files are not readable here: {exc}")
    return [n for n in needles if any(f in blob for f in raw_forms(n) for blob in blobs)]


@pytest.mark.backends("postgresql")
def test_after_the_purge_no_erased_value_is_in_the_heap_files(program: Program) -> None:
    """Values readable in the heap files before the erasure are gone from every file of
    symprogram's tables once erase_person and the documented purge have run."""
    store: Any = program.store
    seeded = seed(program)
    needles = seeded.person.needles()
    purge(store)  # CHECKPOINT: what the tables hold is in the files now
    before = _file_leaks(store, needles)
    assert seeded.person.email in before  # the scan finds values while they exist

    program.erase_person(seeded.cid, reason="erasure request 17")
    ran = purge(store)

    assert "CHECKPOINT" == ran[-1]
    assert [] == _file_leaks(store, needles)


@pytest.mark.backends("mariadb")
def test_after_the_purge_no_erased_value_is_in_the_innodb_files(program: Program) -> None:
    """Values in the tables' .ibd files before the erasure are gone from them once
    erase_person and the documented purge (OPTIMIZE TABLE) have run."""
    store: Any = program.store
    seeded = seed(program)
    needles = seeded.person.needles()
    assert seeded.person.email in _file_leaks(store, needles)

    program.erase_person(seeded.cid, reason="erasure request 17")
    ran = purge(store)

    assert ran[0].startswith("OPTIMIZE TABLE")
    assert [] == _file_leaks(store, needles)


def _unique_person() -> Person:
    """A person whose values no other test run on the same server uses (the planner's
    statistics are kept per database, for every table in it)."""
    tag = uuid.uuid4().hex[:10]
    return Person(
        email=f"zebulon.quixote+{tag}@example.org",
        new_email=f"quixote.{tag}@windmill-example.org",
        given_name=f"Zebulonius{tag}",
        family_name=f"Quixotely{tag}",
        case_summary=f"Windmill backup {tag} fails nightly",
    )


def _statistics_leaks(store: SQLAlchemyStore, needles: tuple[str, ...]) -> list[str]:
    """The needles in the planner's statistics of symprogram's tables (``pg_stats``:
    most common values and histogram bounds, sampled by ``ANALYZE`` or autovacuum)."""
    query = sa.text(
        "SELECT coalesce(most_common_vals::text, '') || coalesce(histogram_bounds::text, '')"
        " FROM pg_stats WHERE tablename = ANY(:tables)"
    )
    with store.engine.connect() as conn:
        blob = "\n".join(conn.execute(query, {"tables": list(store.table_names)}).scalars())
    return [n for n in needles if n in blob]


def _statistic_file_leaks(store: SQLAlchemyStore, needles: tuple[str, ...]) -> list[str]:
    """The needles in the files of the catalog ``pg_statistic`` (and its TOAST)."""
    with store.engine.connect() as conn:
        data_directory = Path(conn.exec_driver_sql("SHOW data_directory").scalar_one())
        relative = list(
            conn.execute(sa.text(_FILES), {"table": "pg_catalog.pg_statistic"}).scalars()
        )
    try:
        blobs = [
            p.read_bytes()
            for name in relative
            for p in (data_directory / name).parent.glob(f"{Path(name).name}*")
            if p.is_file()
        ]
    except PermissionError as exc:
        pytest.skip(f"the server's catalog files are not readable here: {exc}")
    if not blobs:
        pytest.skip(f"the server's data directory {data_directory} is not readable here")
    return [n for n in needles if any(f in blob for f in raw_forms(n) for blob in blobs)]


@pytest.mark.backends("postgresql")
def test_after_the_purge_the_planner_statistics_hold_no_erased_value(program: Program) -> None:
    """``ANALYZE`` (run by autovacuum at any time) copies sampled column values into
    ``pg_statistic``; after erase_person and the purge, neither ``pg_stats`` nor the
    catalog's files hold any of the person's values."""
    store: Any = program.store
    seeded = seed(program, _unique_person())
    needles = (
        seeded.person.email,
        seeded.person.given_name,
        seeded.person.family_name,
        email_key(seeded.person.new_email),
    )
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in store.table_names:
            conn.exec_driver_sql(f'ANALYZE "{table}"')
        conn.exec_driver_sql("CHECKPOINT")
    assert seeded.person.email in _statistics_leaks(store, needles)
    # the sampled text is compressed in the catalog's files; the index digest is not
    assert email_key(seeded.person.new_email) in _statistic_file_leaks(store, needles)

    program.erase_person(seeded.cid, reason="erasure request 17")
    purge(store)

    assert [] == _statistics_leaks(store, needles)
    assert [] == _statistic_file_leaks(store, needles)
