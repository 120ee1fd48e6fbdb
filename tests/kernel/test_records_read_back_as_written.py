"""Records read back as written.

A write through another connection, a corrupt record after a good one, versions
returned by add and save, and both converter modes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import attrs
import pytest

from symprogram.errors import ConcurrencyError, IntegrityError, ValidationError
from symprogram.persistence import Repository
from symprogram.serialization import dumps, loads, make_converter
from symprogram.storage.memory import MemoryStore
from symprogram.storage.sqlite import SQLiteStore

AT = datetime(2011, 1, 15, 9, 30, tzinfo=UTC)


@attrs.frozen
class Note:
    """A tiny aggregate with a validated field."""

    key: str
    text: str = attrs.field(validator=attrs.validators.max_len(10))
    at: datetime = AT
    version: int = 0


def _repo(tx: object) -> Repository[Note]:
    return Repository(tx, "note", Note, key=lambda n: n.key)  # type: ignore[arg-type]


def test_a_write_through_another_connection_is_seen_by_the_next_read(tmp_path: Path) -> None:
    """Decoded aggregates are cached by stored text, so another connection's commit is seen."""
    first, second = SQLiteStore(tmp_path / "a.db"), SQLiteStore(tmp_path / "a.db")
    try:
        with first.transaction() as tx:
            _repo(tx).add(Note("n", "old"))
        with first.transaction(readonly=True) as tx:
            assert "old" == _repo(tx).get("n").text
        with second.transaction() as tx:
            repo = _repo(tx)
            repo.save(attrs.evolve(repo.get("n"), text="new"))
        with first.transaction(readonly=True) as tx:
            assert Note("n", "new", version=2) == _repo(tx).get("n")
    finally:
        first.close()
        second.close()


def test_a_corrupt_record_is_refused_even_after_a_good_one_was_cached() -> None:
    """A stored document that does not validate raises record_corrupt, cache or not."""
    store = MemoryStore()
    with store.transaction() as tx:
        _repo(tx).add(Note("n", "fine"))
    with store.transaction(readonly=True) as tx:
        _repo(tx).get("n")
    with store.transaction() as tx:
        tx.save(
            "note",
            "n",
            '{"key":"n","text":"far too long a text","at":"2011-01-15T09:30:00+00:00"}',
            1,
        )
    with store.transaction(readonly=True) as tx, pytest.raises(IntegrityError) as caught:
        _repo(tx).get("n")
    assert "record_corrupt" == caught.value.code


def test_add_and_save_return_the_aggregate_at_its_new_version() -> None:
    """add/save give back an equal aggregate (same hash) carrying the store's version."""
    store = MemoryStore()
    with store.transaction() as tx:
        added = _repo(tx).add(Note("n", "a"))
        saved = _repo(tx).save(attrs.evolve(added, text="b"))
    assert (Note("n", "a", version=1), Note("n", "b", version=2)) == (added, saved)
    assert hash(Note("n", "b", version=2)) == hash(saved)
    with store.transaction() as tx, pytest.raises(ConcurrencyError):
        _repo(tx).save(added)


@pytest.mark.parametrize("detailed", [False, True])
def test_both_converter_modes_round_trip_and_report_codes(detailed: bool) -> None:
    """make_converter(detailed_validation=...) round-trips; bad data gives the same codes."""
    conv = make_converter(detailed_validation=detailed)
    east = timezone(timedelta(hours=2))
    note = Note("n", "x", datetime(2011, 1, 15, 11, 30, tzinfo=east))
    assert Note("n", "x", AT) == loads(dumps(note, converter=conv), Note, converter=conv)
    with pytest.raises(ValidationError) as naive:
        loads('{"key":"n","text":"x","at":"2011-01-15T09:30:00"}', Note, converter=conv)
    assert "naive_datetime" == naive.value.code
    with pytest.raises(ValidationError) as missing:
        loads('{"text":"x"}', Note, converter=conv)
    assert "invalid_data" == missing.value.code
    with pytest.raises(ValidationError) as bad_instant:
        loads('{"key":"n","text":"x","at":"soon"}', Note, converter=conv)
    assert "invalid_instant" == bad_instant.value.code
