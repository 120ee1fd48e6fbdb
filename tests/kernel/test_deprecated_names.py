"""Renamed public names keep working for a release, with a DeprecationWarning."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from symprogram._deprecation import deprecated_alias, module_getattr, renamed_keyword
from symprogram.errors import ValidationError
from symprogram.events import DomainEvent
from symprogram.history import AccountHistory
from symprogram.storage.memory import MemoryStore


class Service:
    def get_case(self, case_id: str) -> str:
        return case_id.upper()

    case = deprecated_alias("get_case", old="case", since="0.2.0")


def test_a_deprecated_method_warns_and_forwards() -> None:
    """service.case(...) warns, naming the new method, and returns what get_case returns."""
    with pytest.warns(DeprecationWarning, match=r"Service\.get_case\(\)"):
        assert Service().case("c-1") == "C-1"


def test_a_moved_module_name_warns_and_returns_the_object() -> None:
    """A module __getattr__ from module_getattr serves the moved name with a warning."""
    getter = module_getattr(
        "old.place", {"Thing": ("symprogram.errors", "NotFound")}, since="0.2.0"
    )
    from symprogram.errors import NotFound

    with pytest.warns(DeprecationWarning, match="symprogram.errors.NotFound"):
        assert getter("Thing") is NotFound
    with pytest.raises(AttributeError):
        getter("Other")


def test_a_renamed_keyword_is_read_with_a_warning_and_conflicts_are_refused() -> None:
    """The old keyword still works; both at once, or an unknown one, is a ValidationError."""
    assert renamed_keyword({}, old="terms", new="catalogue", value=1, since="0.2.0", where="f") == 1
    with pytest.warns(DeprecationWarning, match=r"f\(catalogue=\.\.\.\)"):
        got = renamed_keyword(
            {"terms": 2}, old="terms", new="catalogue", value=None, since="0.2.0", where="f"
        )
    assert got == 2
    with pytest.raises(ValidationError) as caught:
        renamed_keyword(
            {"terms": 2}, old="terms", new="catalogue", value=1, since="0.2.0", where="f"
        )
    assert caught.value.code == "conflicting_arguments"
    with pytest.raises(ValidationError) as caught:
        renamed_keyword(
            {"nope": 2}, old="terms", new="catalogue", value=1, since="0.2.0", where="f"
        )
    assert caught.value.code == "unexpected_argument"


class Listing:
    def items_of(self, owner: str) -> tuple[str, ...]:
        return (owner, owner.upper())

    items = deprecated_alias("items_of", old="items", since="0.2", returns=list)

    def iter_names(self, count: int) -> Iterator[str]:
        yield from (f"n{i}" for i in range(count))

    names = deprecated_alias("iter_names", old="names", since="0.2")


def test_a_deprecated_alias_answers_what_the_old_name_answered() -> None:
    """returns=list converts the new method's tuple back to the list the old name gave."""
    with pytest.warns(DeprecationWarning, match=r"Listing\.items_of\(\)"):
        old = Listing().items("a")
    assert ["a", "A"] == old
    assert type(old) is list


def test_the_deprecated_alias_of_a_generator_is_a_generator() -> None:
    """The old name of a generator method stays a generator (an async proxy streams it)."""
    assert inspect.isgeneratorfunction(Listing().names)
    with pytest.warns(DeprecationWarning, match=r"Listing\.iter_names\(\)"):
        assert ["n0", "n1"] == list(Listing().names(2))


def _history_of_two() -> AccountHistory:
    history = AccountHistory(MemoryStore())
    at = datetime(2011, 1, 15, tzinfo=UTC)
    with history.store.transaction() as tx:
        for subject in ("B", "A", "B"):
            history.record(tx, DomainEvent(subject, at))
    return history


def test_history_read_warns_and_lists_what_history_answers() -> None:
    """AccountHistory.read() is history(), still a list, still read after a position."""
    history = _history_of_two()
    with pytest.warns(DeprecationWarning, match=r"AccountHistory\.history\(\)"):
        old = history.read("B")
    assert type(old) is list
    assert list(history.history("B")) == old
    with pytest.warns(DeprecationWarning, match=r"AccountHistory\.history\(\)"):
        assert [2] == [entry.position for entry in history.read("B", after=1)]


def test_history_iter_and_subjects_warn_and_stream_as_the_iter_names() -> None:
    """AccountHistory.iter() is iter_history(); subjects() is iter_subjects()."""
    history = _history_of_two()
    with pytest.warns(DeprecationWarning, match=r"AccountHistory\.iter_history\(\)"):
        old = list(history.iter("B"))
    assert list(history.iter_history("B")) == old
    assert 2 == len(old)
    with pytest.warns(DeprecationWarning, match=r"AccountHistory\.iter_subjects\(\)"):
        subjects = list(history.subjects(batch=1))
    assert ["A", "B"] == subjects == list(history.iter_subjects(batch=1))


def test_repository_iterate_is_iter_all() -> None:
    """Repository.iterate warns and yields what Repository.iter_all yields (a stream is
    named ``iter_*``)."""
    import attrs

    from symprogram.persistence import Repository

    @attrs.frozen
    class Thing:
        key: str
        version: int = 0

    store = MemoryStore()
    with store.transaction() as tx:
        repo = Repository(tx, "thing", Thing, key=lambda t: t.key)
        for key in ("b", "a", "c"):
            repo.add(Thing(key))
        with pytest.warns(DeprecationWarning, match=r"Repository\.iter_all\(\)"):
            old = list(repo.iterate(batch=2))
        assert old == list(repo.iter_all(batch=2))
        assert [t.key for t in old] == ["a", "b", "c"]
