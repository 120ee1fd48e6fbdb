"""A damaged SQLite file is reported the same way whichever adapter opens it."""

from __future__ import annotations

from pathlib import Path

import pytest

from symprogram.errors import IntegrityError
from symprogram.program import Program


@pytest.mark.parametrize("scheme", ["sqlite", "sqlite+pysqlite"])
@pytest.mark.parametrize("garbage", [b"garbage" * 1000, b"SQLite format 3\x00" + b"\xff" * 4000])
def test_a_damaged_file_is_database_corrupt_through_either_url(
    tmp_path: Path, scheme: str, garbage: bytes
) -> None:
    path = tmp_path / "damaged.db"
    path.write_bytes(garbage)
    with pytest.raises(IntegrityError) as info:
        program = Program.open(f"{scheme}:///{path}")
        try:
            program.consent.may_use("someone", "newsletters")
        finally:
            program.close()
    assert "database_corrupt" == info.value.code
