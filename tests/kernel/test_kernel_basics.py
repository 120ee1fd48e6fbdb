"""Errors, clocks, decisions, serialization, repositories, the outbox and open_store."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from symprogram import errors
from symprogram.clock import FixedClock, SystemClock, ensure_utc, start_of_day
from symprogram.decisions import Decision, Reason
from symprogram.errors import (
    ConcurrencyError,
    Conflict,
    IntegrityError,
    NotFound,
    StorageError,
    SymprogramError,
    ValidationError,
)
from symprogram.events import DomainEvent
from symprogram.history import AccountHistory
from symprogram.notify import Message, Outbox
from symprogram.persistence import Repository
from symprogram.serialization import dumps, loads, make_converter
from symprogram.storage import open_store
from symprogram.storage.memory import MemoryStore
from symprogram.storage.sqlite import SQLiteStore
from symprogram.testing import strategies as sps

T0 = datetime(2011, 1, 15, tzinfo=UTC)


# -- errors ---------------------------------------------------------------------
ERROR_CLASSES = [getattr(errors, name) for name in errors.__all__ if name != "SymprogramError"]


@pytest.mark.parametrize("cls", ERROR_CLASSES)
def test_every_error_has_a_stable_default_code_and_pickles(cls: type[SymprogramError]) -> None:
    """Each error class has a snake_case code, keeps its field, and survives pickling."""
    exc = cls("something is wrong", field="email")
    assert cls.default_code == exc.code
    assert exc.code.islower() and " " not in exc.code
    clone = pickle.loads(pickle.dumps(exc))
    assert (type(exc), exc.code, exc.field, exc.message) == (
        type(clone),
        clone.code,
        clone.field,
        clone.message,
    )
    assert {"error", "code", "message", "field", "details"} == set(exc.to_dict())


def test_errors_inherit_the_matching_builtins() -> None:
    """NotFound is a LookupError, ValidationError a ValueError, StorageError an OSError."""
    assert issubclass(NotFound, LookupError)
    assert issubclass(ValidationError, ValueError)
    assert issubclass(StorageError, OSError)
    assert issubclass(ConcurrencyError, Conflict)
    assert "[invalid_email] bad (field: email)" == str(
        ValidationError("bad", field="email", code="invalid_email")
    )


# -- clock ----------------------------------------------------------------------
def test_fixed_clock_moves_only_forward() -> None:
    """A FixedClock advances and sets forward and refuses to go back."""
    clock = FixedClock(T0)
    assert T0 + timedelta(days=1) == clock.advance(timedelta(days=1))
    with pytest.raises(ValidationError) as info:
        clock.advance(timedelta(seconds=-1))
    assert "clock_backwards" == info.value.code
    with pytest.raises(ValidationError):
        clock.set(T0)
    assert T0 + timedelta(days=2) == clock.set(T0 + timedelta(days=2))


def test_system_clock_is_utc() -> None:
    """SystemClock returns an aware UTC instant."""
    assert timedelta(0) == SystemClock().now().utcoffset()


def test_ensure_utc_converts_offsets_and_refuses_naive() -> None:
    """Aware instants are converted to UTC, dates read as midnight UTC, naive refused."""
    plus_two = datetime(2011, 1, 15, 2, tzinfo=timezone(timedelta(hours=2)))
    assert T0 == ensure_utc(plus_two)
    assert T0 == ensure_utc(date(2011, 1, 15)) == start_of_day(date(2011, 1, 15))
    with pytest.raises(ValidationError) as info:
        ensure_utc(datetime(2011, 1, 15))
    assert "naive_datetime" == info.value.code
    with pytest.raises(ValidationError):
        ensure_utc("2011-01-15")


@given(
    st.datetimes(),
    st.integers(-1439, 1439).map(lambda m: timezone(timedelta(minutes=m))),
)
def test_an_instant_outside_the_calendar_in_utc_is_a_validation_error(
    local: datetime, offset: timezone
) -> None:
    """0001-01-01T00:00+02:00 exists, but not in UTC: ``instant_out_of_range``, never
    the OverflowError of ``astimezone``; any other aware instant converts."""
    aware = local.replace(tzinfo=offset)
    try:
        expected = aware.astimezone(UTC)
    except OverflowError:
        with pytest.raises(ValidationError) as info:
            ensure_utc(aware, field="at")
        assert ("instant_out_of_range", "at") == (info.value.code, info.value.field)
    else:
        assert expected == ensure_utc(aware)


def test_a_service_refuses_an_instant_outside_the_calendar() -> None:
    """Through the public API: a question about such an instant is a ValidationError."""
    from symprogram import Program

    program = Program(MemoryStore(), clock=FixedClock(T0))
    edge = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=2)))
    with pytest.raises(ValidationError) as info:
        program.consent.may_use("subject-1", "special_offers", at=edge)
    assert "instant_out_of_range" == info.value.code
    with pytest.raises(ValidationError) as info:
        FixedClock(edge)
    assert "instant_out_of_range" == info.value.code


# -- decisions ------------------------------------------------------------------
def test_decision_explains_itself() -> None:
    """A decision lists its reason codes, facts, details and a readable explanation."""
    reason = Reason("agreement_expired", "expired on 2011-01-14", {"on": "2011-01-14"})
    decision = Decision.deny(reason, hint="renew the agreement", details={"level": "essential"})
    assert not decision
    assert ("agreement_expired",) == decision.codes
    assert decision.has("agreement_expired") and not decision.has("other")
    assert "2011-01-14" == reason.fact("on")
    assert reason.fact("missing", 3) == 3
    assert "essential" == decision.detail("level")
    assert "denied: expired on 2011-01-14 (hint: renew the agreement)" == decision.explain()
    assert Decision.allow().explain() == "allowed"
    assert ("agreement_expired", "x") == decision.with_reasons([Reason("x")]).codes


@given(sps.decisions())
def test_decisions_round_trip_through_json(decision: Decision) -> None:
    """Every Decision survives the converter's JSON round trip."""
    conv = make_converter()
    assert decision == conv.loads(conv.dumps(decision), Decision)


# -- serialization --------------------------------------------------------------
class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


@attrs.frozen
class Sample:
    id: str
    at: datetime
    day: date
    colours: frozenset[Colour]
    span: timedelta = timedelta(0)
    version: int = 0


samples = st.builds(
    Sample,
    id=st.text(min_size=1, max_size=20),
    at=sps.instants(),
    day=st.dates(),
    colours=st.frozensets(st.sampled_from(Colour)),
    span=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=999)).map(
        lambda d: timedelta(seconds=int(d.total_seconds()))
    ),
)


@given(samples)
def test_models_round_trip_through_canonical_json(sample: Sample) -> None:
    """dumps/loads round-trip a model; the JSON is canonical (same text for the same value)."""
    text = dumps(sample)
    assert sample == loads(text, Sample)
    assert text == dumps(loads(text, Sample))


def test_loads_translates_bad_input_into_validation_errors() -> None:
    """Invalid JSON or data of the wrong shape raise ValidationError with a code."""
    with pytest.raises(ValidationError) as info:
        loads("{", Sample)
    assert "invalid_json" == info.value.code
    with pytest.raises(ValidationError) as info:
        loads('{"id": "x"}', Sample)
    assert "invalid_data" == info.value.code
    good = dumps(Sample("x", T0, date(2011, 1, 1), frozenset()))
    with pytest.raises(ValidationError) as info:
        loads(good.replace("+00:00", ""), Sample)
    assert "naive_datetime" == info.value.code
    with pytest.raises(ValidationError):
        dumps(Sample("x", datetime(2011, 1, 1), date(2011, 1, 1), frozenset()))


# -- repositories ---------------------------------------------------------------
@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_repository_adds_saves_and_detects_stale_versions(backend: str, tmp_path: Path) -> None:
    """Repository.add/save return new versions; a stale save raises; get raises NotFound."""
    store = MemoryStore() if backend == "memory" else SQLiteStore(tmp_path / "r.db")
    sample = Sample("s1", T0, date(2011, 1, 1), frozenset({Colour.RED}))
    with store.transaction() as tx:
        repo = Repository(tx, "sample", Sample, key=lambda s: s.id)
        added = repo.add(sample)
        assert 1 == added.version
        with pytest.raises(Conflict) as info:
            repo.add(sample)
        assert "sample_exists" == info.value.code
        saved = repo.save(attrs.evolve(added, colours=frozenset({Colour.BLUE})))
        assert 2 == saved.version
        with pytest.raises(ConcurrencyError):
            repo.save(added)
        assert saved == repo.get("s1")
        assert [saved] == list(repo.iter_all(batch=1))
        with pytest.raises(NotFound) as missing:
            repo.get("nope")
        assert "sample_not_found" == missing.value.code
        repo.remove(saved)
        assert repo.find("s1") is None
    store.close()


def test_repository_reports_tampered_records_as_integrity_errors() -> None:
    """A stored record that no longer fits its model raises IntegrityError record_corrupt."""
    store = MemoryStore()
    with store.transaction() as tx:
        tx.save("sample", "s1", '{"id": 5}', 0)
        with pytest.raises(IntegrityError) as info:
            Repository(tx, "sample", Sample, key=lambda s: s.id).get("s1")
    assert "record_corrupt" == info.value.code


# -- outbox and history ---------------------------------------------------------
def test_outbox_keeps_messages_in_order() -> None:
    """The outbox returns messages in order, filters them and raises when none match."""
    outbox = Outbox()
    outbox.send(Message("a@example.com", "activation", "s", "b", {"token": "1"}))
    outbox.send(Message("b@example.com", "reset", "s", "b"))
    assert 2 == len(outbox)
    assert "1" == outbox.last("activation").data["token"]
    assert 1 == len(outbox.to("b@example.com"))
    with pytest.raises(NotFound):
        outbox.last("other")
    outbox.clear()
    assert () == outbox.messages


def test_account_history_lists_subjects_and_verifies() -> None:
    """AccountHistory appends events, reads them back and lists subjects in order."""
    history = AccountHistory(MemoryStore())
    with history.store.transaction() as tx:
        for subject in ["B", "A", "C"]:
            history.record(tx, DomainEvent(subject, T0))
    assert ["A", "B", "C"] == list(history.iter_subjects(batch=2))
    assert ["domain_event"] == [e.kind for e in history.iter_history("A")]
    assert history.verify("A").ok


# -- open_store -----------------------------------------------------------------
def test_open_store_picks_the_adapter_from_url_then_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Explicit URL first, then SYMPROGRAM_STORAGE, then memory."""
    monkeypatch.delenv("SYMPROGRAM_STORAGE", raising=False)
    assert isinstance(open_store(), MemoryStore)
    assert isinstance(open_store("memory://"), MemoryStore)
    file_store = open_store(f"sqlite:///{tmp_path}/x.db")
    assert isinstance(file_store, SQLiteStore)
    file_store.close()
    assert (tmp_path / "x.db").exists()
    memory_sqlite = open_store("sqlite://")
    assert isinstance(memory_sqlite, SQLiteStore)
    memory_sqlite.close()
    monkeypatch.setenv("SYMPROGRAM_STORAGE", f"sqlite:///{tmp_path}/env.db")
    env_store = open_store()
    assert isinstance(env_store, SQLiteStore)
    env_store.close()


@pytest.mark.parametrize("url", ["nonsense", "sqlite:relative.db", ""])
def test_open_store_refuses_unknown_urls(url: str) -> None:
    """An unknown or malformed URL raises ValidationError invalid_storage_url."""
    with pytest.raises(ValidationError) as info:
        open_store(url)
    assert "invalid_storage_url" == info.value.code
