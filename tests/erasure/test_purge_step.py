"""``symprogram.storage.sqlalchemy.purge``: its statements per database and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from erasure_helpers import file_leaks, seed

from _programs import START
from symprogram import Program
from symprogram.clock import FixedClock
from symprogram.errors import StorageError, ValidationError
from symprogram.storage.sqlalchemy import SQLAlchemyStore, purge
from symprogram.storage.sqlalchemy._purge import _statements


def test_the_purge_refuses_what_is_no_engine_or_store() -> None:
    """Anything but an Engine or an SQLAlchemyStore is ValidationError invalid_engine."""
    with pytest.raises(ValidationError) as info:
        purge("postgresql://")  # type: ignore[arg-type]
    assert "invalid_engine" == info.value.code


def test_an_unknown_database_has_no_purge_step() -> None:
    """A dialect without a known purge step is StorageError purge_unsupported."""
    import sqlalchemy as sa

    dialect = sa.create_engine("sqlite://").dialect
    dialect.name = "oracle"
    with pytest.raises(StorageError) as info:
        _statements(dialect, ["sp_records"])
    assert "purge_unsupported" == info.value.code


def test_the_purge_leaves_no_erased_value_in_an_sqlalchemy_sqlite_file(
    tmp_path: Path,
) -> None:
    """On the SQLAlchemy adapter over a SQLite file (no secure_delete), VACUUM and a
    truncating checkpoint clear the erased values from the file and its WAL."""
    path = tmp_path / "sa.db"
    store = SQLAlchemyStore.from_url(f"sqlite+pysqlite:///{path}")
    with Program(store=store, clock=FixedClock(START)) as program:
        seeded = seed(program)
        program.erase_person(seeded.cid, reason="erasure request 17")

        assert ("VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)") == purge(store)
        assert [] == file_leaks(path, seeded.person.needles())
