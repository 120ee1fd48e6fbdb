"""The Alembic recipe of docs/howto-alembic.md: autogenerate leaves symprogram's tables alone.

A host application keeps symprogram's tables in its own database and runs Alembic's
autogenerate against its own models. Without the recipe, autogenerate proposes to
drop symprogram's tables (they are in the database, not in the host's metadata);
with ``include_object`` built from ``store.metadata`` no operation touches them,
while the host's own changes are still found.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sa = pytest.importorskip("sqlalchemy")
pytest.importorskip("alembic")

from alembic.autogenerate import compare_metadata  # noqa: E402
from alembic.migration import MigrationContext  # noqa: E402

from _programs import START  # noqa: E402
from symprogram import Program  # noqa: E402
from symprogram.clock import FixedClock  # noqa: E402


def symprogram_filter(program: Program) -> Any:
    """The recipe's ``include_object``, exactly as docs/howto-alembic.md writes it."""
    symprogram_tables = frozenset(program.store.metadata.tables)  # type: ignore[attr-defined]

    def include_object(
        obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return table is None or table.name not in symprogram_tables

    return include_object


def prefix_filter() -> Any:
    """The recipe's variant without a store: symprogram's tables by their prefix."""
    from symprogram.storage.sqlalchemy import DEFAULT_TABLE_PREFIX

    def include_object(
        obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return table is None or not table.name.startswith(DEFAULT_TABLE_PREFIX)

    return include_object


def _app_metadata() -> Any:
    """The host's models: ``notes`` (already in the database) and ``tags`` (new)."""
    metadata = sa.MetaData()
    sa.Table(
        "notes",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("text", sa.String(200), nullable=False),
    )
    sa.Table("tags", metadata, sa.Column("id", sa.Integer, primary_key=True))
    return metadata


def _touched(diffs: list[Any]) -> set[str]:
    """The names of the tables the autogenerate operations touch."""
    names: set[str] = set()
    for diff in diffs:
        for op in diff if isinstance(diff, list) else [diff]:
            for part in op[1:]:
                table = part if isinstance(part, sa.Table) else getattr(part, "table", None)
                if isinstance(table, sa.Table):
                    names.add(table.name)
                elif isinstance(part, str) and op[0].startswith("modify_"):
                    names.add(part)
    return names


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Any]:
    """A database file holding symprogram's tables (with data) and the app's ``notes``."""
    made = sa.create_engine(f"sqlite+pysqlite:///{tmp_path}/app.db")
    with made.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE notes (id INTEGER NOT NULL PRIMARY KEY, text VARCHAR(200) NOT NULL)"
            )
        )
    yield made
    made.dispose()


@pytest.fixture
def host_program(engine: Any) -> Iterator[Program]:
    """A program whose tables live in the app's database (``Program.open(engine)``)."""
    with Program.open(engine, clock=FixedClock(START)) as made:
        made.consent.grant("SP-0000-0000-0000-0", "special_offers", channel="web_form")
        yield made


def test_without_the_recipe_autogenerate_drops_symprogram_tables(
    engine: Any, host_program: Program
) -> None:
    """The hazard the recipe prevents: symprogram's tables look like tables to drop."""
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), _app_metadata())
    removed = {diff[1].name for diff in diffs if diff[0] == "remove_table"}
    assert set(host_program.store.metadata.tables) <= removed  # type: ignore[attr-defined]
    assert removed <= _touched(diffs)  # the helper the other tests rely on sees them


def test_the_recipe_keeps_symprogram_tables_out_of_autogenerate(
    engine: Any, host_program: Program
) -> None:
    """With include_object, no operation touches symprogram's tables; the app's own new
    table is still found, and nothing else."""
    include_object = symprogram_filter(host_program)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        diffs = compare_metadata(context, _app_metadata())
    symprogram_tables = set(host_program.store.metadata.tables)  # type: ignore[attr-defined]
    assert symprogram_tables
    assert not _touched(diffs) & symprogram_tables
    assert [("add_table", "tags")] == [(diff[0], diff[1].name) for diff in diffs]


def test_the_recipe_with_symprogram_metadata_in_the_target(
    engine: Any, host_program: Program
) -> None:
    """Also when the app lists symprogram's metadata among its targets, nothing is proposed
    for symprogram's tables (no drop, no re-creation, no column change)."""
    include_object = symprogram_filter(host_program)
    targets = [_app_metadata(), host_program.store.metadata]  # type: ignore[attr-defined]
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        diffs = compare_metadata(context, targets)
    symprogram_tables = set(host_program.store.metadata.tables)  # type: ignore[attr-defined]
    assert not _touched(diffs) & symprogram_tables
    assert ["tags"] == [diff[1].name for diff in diffs if diff[0] == "add_table"]


def test_the_prefix_variant(engine: Any, host_program: Program) -> None:
    """The variant matching the table prefix keeps symprogram's tables out as well."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": prefix_filter()})
        diffs = compare_metadata(context, _app_metadata())
    symprogram_tables = set(host_program.store.metadata.tables)  # type: ignore[attr-defined]
    assert not _touched(diffs) & symprogram_tables
    assert [("add_table", "tags")] == [(diff[0], diff[1].name) for diff in diffs]
