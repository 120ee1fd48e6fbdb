"""The change token of the SQLite adapter: the WAL-index header in the ``-shm`` file.

Measured on this machine: reading the header's 48 bytes from a read-only mapping
takes about 0.1 µs; ``PRAGMA data_version`` on the connection (the documented way
to learn that another connection committed) about 4.6 µs per call, more than the
2 µs a warm decision may take in all (issue 20).

**Never close a descriptor of the ``-shm`` file early.** SQLite's locks on it are
POSIX advisory locks, which belong to the process and are all released when the
process closes *any* descriptor of the file (including the duplicate a Python
``mmap`` keeps). A store that opened, mapped and closed the file at once dropped
its own connection's shared lock on the WAL index: the next process to open the
database then believed itself alone, truncated the ``-shm`` file and the first
process died of ``SIGBUS`` inside SQLite (or, worse, used a WAL index it no longer
shared). So one mapping per ``-shm`` file is kept for the whole process, counted
by the stores using it, and its descriptors are closed only after the last of
them has closed its connection (:func:`release_header`).
"""

from __future__ import annotations

import mmap
import os
import sys
import threading

__all__ = ["HEADER_BYTES", "HeaderMapping", "map_header", "release_header"]

HEADER_BYTES = 48
"""The first copy of the WAL-index header (``WalIndexHdr``) at the start of ``-shm``:
``view[:HEADER_BYTES]`` of the mapping :func:`map_header` returns is the token."""
_WAL_INDEX_VERSION = 3007000


class HeaderMapping:
    """One process-wide read-only mapping of a ``-shm`` file, shared by the stores
    of this process that have its database open (see the module's docstring)."""

    __slots__ = ("fd", "key", "mapping", "users", "view")

    def __init__(self, key: tuple[int, int], fd: int, mapping: mmap.mmap | None) -> None:
        self.key = key
        self.fd = fd
        self.mapping = mapping
        """The mapping itself (it holds a duplicate descriptor: closed on release only)."""
        self.view = mapping if mapping is not None and _initialised(mapping) else None
        """The mapping, or ``None`` when the file holds no initialised WAL index."""
        self.users = 1


_mappings: dict[tuple[int, int], HeaderMapping] = {}
_mappings_lock = threading.Lock()


def map_header(path: str, journal_mode: str) -> HeaderMapping | None:
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
    mapping stays valid until the last store of the process using it has
    closed its connection and released it.

    Args:
        path: the database file, as given to ``sqlite3.connect`` (already opened
            and read by a connection, so that its WAL index exists).
        journal_mode: the connection's ``PRAGMA journal_mode``: the header is
            only used in ``wal`` mode (a ``-shm`` file left over from another
            mode would never change).

    Returns:
        The process's shared mapping of the file (``mapping.view[:HEADER_BYTES]``
        is the header; ``view`` is ``None`` when the file holds no initialised
        WAL index), to be given back with :func:`release_header` after the
        store's connection is closed; or ``None`` for a database in memory or not
        in WAL mode, and when the ``-shm`` file is missing, not readable or
        ambiguous (a symbolic link whose target has its own). Without a view the
        store uses ``PRAGMA data_version``.
    """
    if journal_mode.lower() != "wal" or path == ":memory:" or path.startswith("file:"):
        return None
    candidates = {os.path.abspath(path) + "-shm", os.path.realpath(path) + "-shm"}
    found = [name for name in candidates if os.path.exists(name)]
    if len(found) != 1:
        return None
    with _mappings_lock:
        try:
            status = os.stat(found[0])
        except OSError:
            return None
        shared = _mappings.get((status.st_dev, status.st_ino))
        if shared is not None:  # no second descriptor: closing it would drop the locks
            shared.users += 1
            return shared
        try:
            fd = os.open(found[0], os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return None
        status = os.fstat(fd)
        key = (status.st_dev, status.st_ino)
        shared = HeaderMapping(key, fd, _map(fd))
        _mappings[key] = shared
        return shared


def _map(fd: int) -> mmap.mmap | None:
    try:
        return mmap.mmap(fd, HEADER_BYTES, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None


def _initialised(view: mmap.mmap) -> bool:
    version = int.from_bytes(view[0:4], sys.byteorder)
    return version == _WAL_INDEX_VERSION and view[12] == 1  # iVersion, isInit


def release_header(shared: HeaderMapping) -> None:
    """A store that used ``shared`` has closed its connection: close the mapping and
    its descriptors once no store of this process uses it any more."""
    with _mappings_lock:
        shared.users -= 1
        if shared.users > 0:
            return
        if _mappings.get(shared.key) is shared:
            del _mappings[shared.key]
        if shared.mapping is not None:
            shared.mapping.close()
        os.close(shared.fd)
