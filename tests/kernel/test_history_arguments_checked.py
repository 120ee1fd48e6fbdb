"""The account history's reads refuse out-of-range arguments with the same ValidationError
on every adapter: never a bare ``OverflowError`` from SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from symprogram import FixedClock, Program
from symprogram.errors import ValidationError
from symprogram.events import DomainEvent

T0 = datetime(2011, 1, 10, tzinfo=UTC)
SUBJECTS = ["SP-1", "SP-2", "SP-3"]


@pytest.fixture(params=["memory", "sqlite"])
def program(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Program]:
    """A program on the in-memory store and on an SQLite file, with three histories."""
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'p.db'}"
    program = Program.open(url, clock=FixedClock(T0))
    with program.store.transaction() as tx:
        for subject in SUBJECTS:
            program.history.record(tx, DomainEvent(subject, T0))
    try:
        yield program
    finally:
        program.close()


@pytest.mark.parametrize("after", [2**63, 2**64, -1])
def test_read_after_a_position_beyond_64_bits_is_refused(program: Program, after: int) -> None:
    """history.read(after=...) beyond a signed 64-bit integer is ``invalid_position``."""
    with pytest.warns(DeprecationWarning, match="read"), pytest.raises(ValidationError) as info:
        program.history.read("SP-1", after=after)
    assert ("invalid_position", "after") == (info.value.code, info.value.field)


def test_read_after_the_largest_position_is_empty(program: Program) -> None:
    """The largest position a database holds is answered: nothing comes after it."""
    with pytest.warns(DeprecationWarning, match="read"):
        beyond = program.history.read("SP-1", after=2**63 - 1)
    with pytest.warns(DeprecationWarning, match="read"):
        everything = program.history.read("SP-1", after=0)
    assert ([], 1) == (beyond, len(everything))


@pytest.mark.parametrize("batch", [0, -1, 10_001, 2**63, 2**64, True, 2.0, "5", None])
def test_iter_subjects_checks_its_batch(program: Program, batch: object) -> None:
    """iter_subjects(batch=...) is 1 to 10,000 (``invalid_batch``), as the other batch
    arguments are; refused when the first subject is read, before any is read."""
    subjects = program.history.iter_subjects(batch=batch)  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as info:
        next(subjects)
    assert ("invalid_batch", "batch") == (info.value.code, info.value.field)


@pytest.mark.parametrize("batch", [1, 10_000])
def test_iter_subjects_takes_the_batch_bounds(program: Program, batch: int) -> None:
    """The smallest and largest batch list every subject."""
    assert SUBJECTS == list(program.history.iter_subjects(batch=batch))
