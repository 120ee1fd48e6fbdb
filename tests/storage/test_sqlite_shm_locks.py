"""The SQLite adapter never drops the process's locks on the ``-shm`` file.

SQLite's locks on the WAL index are POSIX advisory locks: the process loses all
of them when it closes *any* descriptor of the file. The change token's mapping
of the ``-shm`` file (``symprogram.storage._wal_header``) once closed its
descriptor at once: the store's own shared lock on the "dead man switch" byte
vanished, the next process to open the database believed itself alone and
truncated the file, and the first process died of ``SIGBUS`` inside SQLite
(found by the two-process test of ``tests/integration/test_concurrency.py``).
Here another process probes the lock directly: while a store of this process has
the database open, nobody may take the byte exclusively.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from symprogram.storage.sqlite import SQLiteStore

# SQLite's unix VFS: the WAL-index locks start at byte 120 of -shm, 8 of them; the
# "dead man switch" byte after them is held shared by every connection that has the
# database open, and taken exclusively by the first one (which then resets the file).
DMS_BYTE = 128

PROBE = """
import fcntl, os, sys
try:
    fd = os.open(sys.argv[1], os.O_RDWR)
except FileNotFoundError:  # the last connection removed it: nobody holds anything
    print("free")
    raise SystemExit(0)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, int(sys.argv[2]))
except OSError:
    print("held")
else:
    print("free")
"""


def _dms(path: Path) -> str:
    """Whether another process could take the dead-man-switch byte exclusively."""
    shm = f"{path}-shm"
    result = subprocess.run(
        [sys.executable, "-c", PROBE, shm, str(DMS_BYTE)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.strip()


def _write(store: SQLiteStore, key: str) -> None:
    with store.transaction() as tx:
        tx.save("note", key, "{}", 0)


def test_an_open_store_keeps_its_shared_lock_on_the_wal_index(tmp_path: Path) -> None:
    """While a store has the file open (and after it read its change token), another
    process cannot take the WAL index for itself."""
    path = tmp_path / "locks.db"
    with SQLiteStore(str(path)) as store:
        _write(store, "a")
        assert store.change_token() is not None
        assert "held" == _dms(path)
    assert "free" == _dms(path)


def test_closing_one_of_two_stores_keeps_the_others_lock(tmp_path: Path) -> None:
    """Two stores of one process on one file: closing the first leaves the second's
    lock in place (the shared mapping's descriptors close with the last store)."""
    path = tmp_path / "two.db"
    first = SQLiteStore(str(path))
    second = SQLiteStore(str(path))
    try:
        _write(first, "a")
        first.close()
        assert "held" == _dms(path)
        _write(second, "b")
        before = second.change_token()
        _write(second, "c")
        assert before != second.change_token()
    finally:
        second.close()
    assert "free" == _dms(path)
