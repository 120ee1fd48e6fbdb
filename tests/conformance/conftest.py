"""Fixtures of the conformance suite: each scenario runs on memory and on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conformance_helpers import make_program

from symprogram import Program


@pytest.fixture(params=["memory", "sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """The storage backend under test."""
    return str(request.param)


@pytest.fixture
def program(backend: str, tmp_path: Path) -> Iterator[Program]:
    """A fresh program on the backend, closed afterwards."""
    with make_program(backend, tmp_path) as made:
        yield made
