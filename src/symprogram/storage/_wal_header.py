"""The change token of the SQLite adapter: the WAL-index header in the ``-shm`` file.

Measured on this machine: reading the header's 48 bytes from a read-only mapping
takes about 0.1 µs; ``PRAGMA data_version`` on the connection (the documented way
to learn that another connection committed) about 4.6 µs per call, more than the
2 µs a warm decision may take in all (issue 20).
"""

from __future__ import annotations

import mmap
import os
import sys

__all__ = ["HEADER_BYTES", "map_header"]

HEADER_BYTES = 48
"""The first copy of the WAL-index header (``WalIndexHdr``) at the start of ``-shm``:
``view[:HEADER_BYTES]`` of the mapping :func:`map_header` returns is the token."""
_WAL_INDEX_VERSION = 3007000


def map_header(path: str, journal_mode: str) -> mmap.mmap | None:
    """A read-only mapping of the WAL-index header of the database at ``path``.

    In WAL mode every commit, by any connection of any process, rewrites the
    header SQLite keeps at the start of the ``-shm`` file (shared memory, mapped
    by every connection): ``iChange`` counts transactions, ``mxFrame`` and the
    running frame checksum move with every commit, and a WAL restart draws new
    salts (https://www.sqlite.org/walformat.html). Its 48 bytes therefore differ
    after every commit: a sound change token, read without a system call. A torn
    read (a commit writing the header meanwhile) only gives a token no later read
    matches: a remembered answer is then recomputed, never reused wrongly,
    because the data it was computed from was read after the token. SQLite keeps
    the ``-shm`` file while any connection (the store's own included) has the
    database open, and no connection can leave WAL mode meanwhile, so the
    mapping stays valid until the store closes it (before its connection).

    Args:
        path: the database file, as given to ``sqlite3.connect`` (already opened
            and read by a connection, so that its WAL index exists).
        journal_mode: the connection's ``PRAGMA journal_mode``: the header is
            only used in ``wal`` mode (a ``-shm`` file left over from another
            mode would never change).

    Returns:
        The mapping (``view[:HEADER_BYTES]`` is the header), or ``None`` for a
        database in memory or not in WAL mode, and when the ``-shm`` file is
        missing, not readable, ambiguous (a symbolic link whose target has its
        own) or holds no initialised WAL index: the store then uses ``PRAGMA
        data_version``.
    """
    if journal_mode.lower() != "wal" or path == ":memory:" or path.startswith("file:"):
        return None
    candidates = {os.path.abspath(path) + "-shm", os.path.realpath(path) + "-shm"}
    found = [name for name in candidates if os.path.exists(name)]
    if len(found) != 1:
        return None
    try:
        fd = os.open(found[0], os.O_RDONLY)
    except OSError:
        return None
    try:
        view = mmap.mmap(fd, HEADER_BYTES, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)
    version = int.from_bytes(view[0:4], sys.byteorder)
    if version != _WAL_INDEX_VERSION or view[12] != 1:  # iVersion, isInit
        view.close()
        return None
    return view
