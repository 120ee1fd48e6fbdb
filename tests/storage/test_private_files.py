"""Issue 18: the files symprogram creates are 0600; a foreign SQLite file is left untouched.

The database file, its ``-wal`` and ``-shm`` files (SQLite creates them with the
database file's permissions) and the CLI's ``--outbox`` file are readable by their
owner only whatever the umask; an existing file keeps its permissions. Another
application's SQLite database is recognised read-only and refused before any
statement that could change it: its bytes and its journal mode are unchanged.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from symprogram import Program, StorageError
from symprogram.storage._base import create_private_file
from symprogram.storage.sqlite import SCHEMA_VERSION, SQLiteStore

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


@pytest.fixture(params=[0o022, 0o000], ids=["umask022", "umask000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """Run the test under a permissive umask (022, the common default, and 000)."""
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def _write_something(store: SQLiteStore) -> None:
    with store.transaction() as tx:
        tx.save("note", "n1", '{"text": "hello"}', 0)


def test_new_sqlite_database_and_its_wal_and_shm_are_0600(tmp_path: Path, umask: int) -> None:
    """A database file created by SQLiteStore, its -wal and its -shm file are 0600."""
    path = tmp_path / "new.db"
    with SQLiteStore(path) as store:
        _write_something(store)
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        assert wal.exists() and shm.exists()
        assert [0o600, 0o600, 0o600] == [_mode(path), _mode(wal), _mode(shm)]


def test_rollback_journal_is_0600_too(tmp_path: Path, umask: int) -> None:
    """SQLite gives a -journal file the database file's permissions (checked, not assumed)."""
    path = tmp_path / "journal.db"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE scratch (x)")
        conn.execute("INSERT INTO scratch VALUES (1)")
        journal = Path(f"{path}-journal")
        assert journal.exists()
        assert 0o600 == _mode(journal)
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def test_program_open_creates_a_private_database(tmp_path: Path, umask: int) -> None:
    """Program.open("sqlite:///...") and SQLAlchemy on an SQLite file create 0600 files."""
    native, through_sqlalchemy = tmp_path / "program.db", tmp_path / "program-sa.db"
    for url, path in (
        (f"sqlite:///{native}", native),
        (f"sqlite+pysqlite:///{through_sqlalchemy}", through_sqlalchemy),
    ):
        program = Program.open(url)
        try:
            program.consent.grant("subject-1", "newsletters", channel="web_form")
            created = [p for p in tmp_path.iterdir() if p.name.startswith(path.name)]
            assert created
            assert {0o600} == {_mode(p) for p in created}
        finally:
            program.close()


def test_existing_file_keeps_its_permissions(tmp_path: Path, umask: int) -> None:
    """An existing (empty) database file is used as it is: its mode is not changed."""
    path = tmp_path / "shared.db"
    path.touch()
    path.chmod(0o640)
    with SQLiteStore(path) as store:
        _write_something(store)
    assert 0o640 == _mode(path)
    assert create_private_file(str(path)) is False
    assert 0o640 == _mode(path)


def test_no_file_is_created_for_memory_databases(tmp_path: Path) -> None:
    """ ":memory:", "", and file: URIs in memory or without mode=rwc name no file to create."""
    for name in (
        "",
        ":memory:",
        "file::memory:",
        f"file:{tmp_path}/x.db?mode=memory",
        f"file:{tmp_path}/x.db?mode=ro",
        f"file:{tmp_path}/x.db?mode=rw",
        f"file://elsewhere{tmp_path}/x.db",
    ):
        assert create_private_file(name) is False
    assert [] == list(tmp_path.iterdir())


def test_file_uri_databases_are_0600_too(tmp_path: Path, umask: int) -> None:
    """A file: URI (read as a URI by SQLite) creates its file 0600, percent-escapes decoded."""
    for uri, name in (
        (f"file:{tmp_path}/u%20one.db", "u one.db"),
        (f"file://localhost{tmp_path}/u2.db?cache=shared#x", "u2.db"),
        (f"file:{tmp_path}/u3.db?mode=rwc", "u3.db"),
    ):
        assert create_private_file(uri) is True
        assert 0o600 == _mode(tmp_path / name)
    if _sqlite_reads_uris():
        with SQLiteStore(f"file:{tmp_path}/store.db") as store:
            _write_something(store)
        assert 0o600 == _mode(tmp_path / "store.db")


def _sqlite_reads_uris() -> bool:
    """Whether this SQLite was built to read ``file:`` names as URIs (USE_URI)."""
    conn = sqlite3.connect(":memory:")
    try:
        options = {row[0] for row in conn.execute("PRAGMA compile_options")}
    finally:
        conn.close()
    return any(option.startswith("USE_URI") for option in options)


def test_database_in_a_missing_folder_is_database_unavailable(tmp_path: Path) -> None:
    """A file that cannot be created raises StorageError database_unavailable."""
    with pytest.raises(StorageError) as info:
        SQLiteStore(tmp_path / "missing" / "x.db")
    assert "database_unavailable" == info.value.code


def _foreign_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total TEXT)")
        conn.executemany("INSERT INTO invoices (total) VALUES (?)", [("10.00",), ("12.50",)])
        conn.commit()
    finally:
        conn.close()


def _fingerprint(path: Path) -> tuple[str, str, int, list[str]]:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    finally:
        conn.close()
    siblings = sorted(p.name for p in path.parent.iterdir())
    return digest, mode, app_id, siblings


@pytest.mark.parametrize(
    "opener",
    [
        pytest.param(lambda path: SQLiteStore(path), id="SQLiteStore"),
        pytest.param(lambda path: Program.open(f"sqlite:///{path}"), id="Program.open"),
    ],
)
def test_foreign_database_is_refused_unchanged(tmp_path: Path, opener: object) -> None:
    """Another application's database (journal_mode=DELETE) is refused: bytes and mode kept."""
    path = tmp_path / "other.db"
    _foreign_database(path)
    before = _fingerprint(path)
    assert "delete" == before[1]
    with pytest.raises(StorageError) as info:
        opener(path)  # type: ignore[operator]
    assert "not_a_symprogram_database" == info.value.code
    assert before == _fingerprint(path)


def test_newer_file_is_refused_before_it_is_changed(tmp_path: Path) -> None:
    """A symprogram file of a newer schema in journal_mode=DELETE is refused unchanged."""
    path = tmp_path / "future.db"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    finally:
        conn.close()
    before = _fingerprint(path)
    with pytest.raises(StorageError) as info:
        SQLiteStore(path)
    assert "schema_too_new" == info.value.code
    assert before == _fingerprint(path)


def test_refusal_leaves_the_connection_closed(tmp_path: Path) -> None:
    """After a refusal the foreign file can be switched to WAL by its owner (no lock held)."""
    path = tmp_path / "other.db"
    _foreign_database(path)
    with pytest.raises(StorageError):
        SQLiteStore(path)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        assert "wal" == conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    finally:
        conn.close()


def test_cli_outbox_file_is_0600(tmp_path: Path, umask: int) -> None:
    """`symprogram import candidates --outbox FILE` creates FILE (raw tokens) 0600."""
    from click.testing import CliRunner

    from symprogram.cli import cli

    rows = tmp_path / "people.csv"
    rows.write_text(
        "email,given_name,family_name,company_name,partner_company,preferred_language\n"
        "a@example.com,Ada,Lovelace,Co,Partner,en\n",
        encoding="utf-8",
    )
    db, outbox = tmp_path / "cli.db", tmp_path / "outbox.jsonl"
    args = ["--db", str(db), "--now", "2011-01-20T12:00:00Z", "import", "candidates"]
    result = CliRunner().invoke(
        cli, [*args, str(rows), "--terms-accepted", "--outbox", str(outbox), "--quiet"]
    )
    assert 0 == result.exit_code, result.output
    assert 1 == len(outbox.read_text(encoding="utf-8").splitlines())
    assert 0o600 == _mode(outbox)
    assert 0o600 == _mode(db)


def test_cli_outbox_existing_file_keeps_its_permissions(tmp_path: Path, umask: int) -> None:
    """An existing outbox file is appended to and keeps its mode."""
    from click.testing import CliRunner

    from symprogram.cli import cli

    rows = tmp_path / "people.csv"
    rows.write_text(
        "email,given_name,family_name,company_name,partner_company,preferred_language\n"
        "b@example.com,Bea,Smith,Co,Partner,en\n",
        encoding="utf-8",
    )
    outbox = tmp_path / "outbox.jsonl"
    outbox.write_text("", encoding="utf-8")
    outbox.chmod(0o640)
    args = ["--db", str(tmp_path / "cli.db"), "--now", "2011-01-20T12:00:00Z"]
    result = CliRunner().invoke(
        cli,
        [*args, "import", "candidates", str(rows), "--terms-accepted", "--outbox", str(outbox)],
    )
    assert 0 == result.exit_code, result.output
    assert 1 == len(outbox.read_text(encoding="utf-8").splitlines())
    assert 0o640 == _mode(outbox)
