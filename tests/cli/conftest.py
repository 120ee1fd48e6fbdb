"""Fixtures for the CLI tests: a CliRunner bound to a database file and a fixed clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cli_helpers import NOW, Invoke
from click.testing import CliRunner, Result

from symprogram.cli import cli


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database file that does not exist yet."""
    return tmp_path / "program.db"


@pytest.fixture
def run(db: Path) -> Invoke:
    """Invoke the CLI on ``db`` at ``NOW`` (override with ``now=``)."""
    runner = CliRunner()

    def invoke(*args: str, now: str = NOW, input: str | None = None, **kw: Any) -> Result:
        return runner.invoke(cli, ["--db", str(db), "--now", now, *args], input=input, **kw)

    return invoke


@pytest.fixture
def initialised(run: Invoke, db: Path) -> Path:
    """``db`` created by ``symprogram init`` (read-only commands never create it)."""
    result = run("init")
    assert 0 == result.exit_code, result.output
    return db
