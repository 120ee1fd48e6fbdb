"""SQLiteStore.change_token: a commit anywhere changes it, so remembered answers stay true.

The token guards the services' memos (``symprogram._memo.TokenMemo``): it must
change after every commit, of this store, of another connection and of another
process writing the same file, and only then; it is ``None`` inside a unit of work
of the calling thread. Through ``Program`` on SQLite a warm ``entitlements.decide``
/ ``consent.may_use`` answer changes on the very next call after another process
changed the data (issue 20).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symprogram import Program
from symprogram.clock import FixedClock
from symprogram.consent import ConsentSettings
from symprogram.entitlements import Reader
from symprogram.storage.sqlite import SQLiteStore

NOW = datetime(2012, 3, 1, 12, 0, tzinfo=UTC)
DOC = "essential_support_basic_maintenance_handbook"

# Another process: opens the same file and changes it; argv: path, action, instant.
CHILD = """
import sys
from datetime import date, datetime, timedelta
from symprogram import Program
from symprogram.clock import FixedClock
from symprogram.storage.sqlite import SQLiteStore

path, action, at = sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3])
if action == "save":
    with SQLiteStore(path) as store, store.transaction() as tx:
        tx.save("note", at.isoformat(), "{}", 0)
    raise SystemExit(0)
with Program(SQLiteStore(path), clock=FixedClock(at)) as program:
    if action == "agreement":
        program.entitlements.add_agreement(
            "C-1", agreement_id="A-1", level="essential_support",
            products=["Backup Exec"], starts_on=date(2012, 1, 1),
            ends_on=date(2012, 12, 31), by="sales",
        )
    elif action == "grant":
        program.consent.grant("subj-1", "special_offers", channel="web_form", evidence="box")
    elif action == "withdraw":
        program.consent.withdraw("subj-1", "special_offers", channel="web_form", evidence="box")
    elif action == "toggle":  # 41 choices a second apart, from `at`: the last a grant
        for i in range(41):
            program.clock.set(at + timedelta(seconds=i))
            choose = program.consent.withdraw if i % 2 else program.consent.grant
            choose("subj-1", "special_offers", channel="web_form", evidence="box")
    else:
        raise SystemExit(f"unknown action {action}")
"""


def _other_process(path: Path, action: str, at: datetime = NOW) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), action, at.isoformat()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "program.db"


@pytest.fixture
def store(path: Path) -> Iterator[SQLiteStore]:
    opened = SQLiteStore(path)
    yield opened
    opened.close()


def test_token_changes_after_a_commit_in_this_process(store: SQLiteStore) -> None:
    before = store.change_token()
    assert before is not None
    with store.transaction() as tx:
        tx.save("note", "n1", "{}", 0)
    after = store.change_token()
    assert after is not None and after != before
    with store.transaction() as tx:
        tx.save("note", "n1", '{"a": 1}', 1)
    assert store.change_token() not in (before, after)


def test_token_changes_after_a_commit_of_another_connection(store: SQLiteStore, path: Path) -> None:
    before = store.change_token()
    with SQLiteStore(path) as other, other.transaction() as tx:
        tx.save("note", "n1", "{}", 0)
    assert store.change_token() != before


def test_token_changes_after_a_commit_by_another_process(store: SQLiteStore, path: Path) -> None:
    before = store.change_token()
    _other_process(path, "save")
    after = store.change_token()
    assert after != before
    with store.transaction(readonly=True) as tx:
        assert tx.load("note", NOW.isoformat()) is not None
    _other_process(path, "save", NOW + timedelta(seconds=1))
    assert store.change_token() not in (before, after)


def test_token_stays_the_same_across_reads(store: SQLiteStore) -> None:
    with store.transaction() as tx:
        tx.save("note", "n1", "{}", 0)
    token = store.change_token()
    for _ in range(3):
        with store.transaction(readonly=True) as tx:
            assert tx.load("note", "n1") is not None
            assert tx.scan("note") != []
        assert store.change_token() == token
    # A writing unit of work that writes nothing, or is rolled back, changes nothing.
    with store.transaction():
        pass
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.save("note", "n2", "{}", 0)
        raise RuntimeError("rolled back")
    assert store.change_token() == token


def test_token_is_none_inside_a_unit_of_work(store: SQLiteStore) -> None:
    with store.transaction(readonly=True):
        assert store.change_token() is None
    with store.transaction() as tx:
        assert store.change_token() is None
        tx.save("note", "n1", "{}", 0)
        assert store.change_token() is None
    assert store.change_token() is not None


def test_another_threads_unit_of_work_is_not_this_threads(store: SQLiteStore) -> None:
    inside, release = threading.Event(), threading.Event()
    before = store.change_token()

    def write() -> None:
        with store.transaction() as tx:
            tx.save("note", "n1", "{}", 0)
            inside.set()
            release.wait(10)

    worker = threading.Thread(target=write)
    worker.start()
    assert inside.wait(10)
    # Nothing committed yet: the other thread's writes are not visible to a reader.
    assert store.change_token() == before
    release.set()
    worker.join(10)
    assert store.change_token() != before


def test_a_store_opened_through_a_symbolic_link_sees_commits_through_the_file(
    tmp_path: Path,
) -> None:
    real = tmp_path / "real" / "program.db"
    real.parent.mkdir()
    SQLiteStore(real).close()
    link = tmp_path / "links" / "program.db"
    link.parent.mkdir()
    link.symlink_to(real)
    with SQLiteStore(link) as store:
        for i, name in enumerate((real, link, real)):
            before = store.change_token()
            assert before is not None
            with SQLiteStore(name) as other, other.transaction() as tx:
                tx.save("note", f"n{i}", "{}", 0)
            assert store.change_token() != before


def test_token_is_none_once_closed(path: Path) -> None:
    store = SQLiteStore(path)
    store.close()
    assert store.change_token() is None


def test_database_in_memory_counts_its_commits() -> None:
    with SQLiteStore(":memory:") as store:
        before = store.change_token()
        assert before is not None
        with store.transaction(readonly=True):
            assert store.change_token() is None
        assert store.change_token() == before
        with store.transaction() as tx:
            tx.save("note", "n1", "{}", 0)
        assert store.change_token() not in (None, before)


def test_without_the_header_pragma_data_version_sees_other_processes(
    store: SQLiteStore, path: Path
) -> None:
    header, store._header = store._header, None  # as where -shm cannot be mapped
    assert header is not None
    try:
        before = store.change_token()
        assert before is not None
        assert store.change_token() == before
        _other_process(path, "save")
        after = store.change_token()
        assert after not in (None, before)
        with store.transaction() as tx:
            tx.save("note", "mine", "{}", 0)
        assert store.change_token() not in (None, before, after)
        with store.transaction():
            assert store.change_token() is None
    finally:
        store._header = header


OPS = ("read", "write", "empty", "rollback", "other")


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(OPS), min_size=1, max_size=12))
def test_the_header_agrees_with_pragma_data_version(ops: list[str]) -> None:
    """The fast token (mapped header) against the reference (commits + data_version).

    After every step: the header changed exactly when data was committed (by this
    store or another connection), and whenever it changed the reference changed
    too (the reference may also change for a writing unit that wrote nothing).
    """
    with tempfile.TemporaryDirectory() as folder:
        name = Path(folder) / "program.db"
        with SQLiteStore(name) as store, SQLiteStore(name) as other:
            assert store._header is not None
            for step, op in enumerate(ops):
                fast, reference = store.change_token(), store._counted_token()
                assert fast is not None and reference is not None
                if op == "read":
                    with store.transaction(readonly=True) as tx:
                        tx.scan("note")
                elif op == "write":
                    with store.transaction() as tx:
                        tx.save("note", f"n{step}", "{}", 0)
                elif op == "empty":
                    with store.transaction():
                        pass
                elif op == "rollback":
                    with contextlib.suppress(RuntimeError), store.transaction() as tx:
                        tx.save("note", f"n{step}", "{}", 0)
                        raise RuntimeError("rolled back")
                else:
                    with other.transaction() as tx:
                        tx.save("note", f"o{step}", "{}", 0)
                wrote = op in ("write", "other")
                fast_after, reference_after = store.change_token(), store._counted_token()
                assert (fast_after != fast) is wrote
                if fast_after != fast:
                    assert reference_after != reference


# -- through Program on SQLite: the memo never outlives another process's commit -----


def _program(path: Path) -> Program:
    return Program(
        SQLiteStore(path),
        clock=FixedClock(NOW),
        options={"consent": {"settings": ConsentSettings(policy="opt_in")}},
    )


def test_warm_decide_sees_another_processes_agreement_on_the_next_call(path: Path) -> None:
    with _program(path) as program:
        reader = Reader("C-1", logged_in=True)
        first = program.entitlements.decide(reader, DOC, "ja")
        assert not first.allowed
        # Warm: the same answer object, from memory (no unit of work).
        assert program.entitlements.decide(reader, DOC, "ja") is first
        _other_process(path, "agreement", NOW - timedelta(days=1))
        assert program.entitlements.decide(reader, DOC, "ja").allowed


def test_warm_may_use_sees_another_processes_grant_and_withdrawal(path: Path) -> None:
    with _program(path) as program:
        consent = program.consent
        assert not consent.may_use("subj-1", "special_offers").allowed
        warm = consent.may_use("subj-1", "special_offers")
        assert not warm.allowed
        assert consent.may_use("subj-1", "special_offers") is warm
        _other_process(path, "grant", NOW - timedelta(hours=2))
        granted = consent.may_use("subj-1", "special_offers")
        assert granted.allowed
        assert consent.may_use("subj-1", "special_offers").allowed
        _other_process(path, "withdraw", NOW - timedelta(hours=1))
        assert not consent.may_use("subj-1", "special_offers").allowed


def test_warm_may_use_while_another_process_keeps_committing(path: Path) -> None:
    """Answers asked while the other process commits (tokens read mid-commit included)."""
    with _program(path) as program:
        consent = program.consent
        assert not consent.may_use("subj-1", "special_offers").allowed
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                CHILD,
                str(path),
                "toggle",
                (NOW - timedelta(hours=1)).isoformat(),
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            while child.poll() is None:
                consent.may_use("subj-1", "special_offers")
        finally:
            _, errors = child.communicate(timeout=120)
        assert child.returncode == 0, errors
        # The first call after the last commit sees it, whatever was remembered before.
        assert consent.may_use("subj-1", "special_offers").allowed
        with program.store.transaction(readonly=True):
            assert consent.may_use("subj-1", "special_offers").allowed  # read afresh
