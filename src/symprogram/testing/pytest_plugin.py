"""A pytest plugin for applications built on symprogram: ``program``, ``clock``, ``outbox``.

Installed with symprogram, the plugin is loaded through pytest's ``pytest11`` entry
point; nothing to configure. Its fixtures:

* ``clock`` — a :class:`~symprogram.clock.FixedClock` standing at :data:`START`, which
  the test moves with ``clock.advance(timedelta(days=1))`` or ``clock.set(instant)``;
* ``program`` — a fresh :class:`~symprogram.program.Program` on that clock, closed after
  the test, with cheap password hashing (see ``symprogram_options``);
* ``outbox`` — the program's :class:`~symprogram.notify.Outbox`: every message the
  program sent (``outbox.messages``, ``outbox.to(address)``, ``outbox.last(kind)``);
* ``symprogram_storage`` — where ``program`` keeps its data: ``"memory"`` (default),
  ``"sqlite"`` (a file in the test's ``tmp_path``) or any storage URL that
  :meth:`Program.open <symprogram.program.Program.open>` accepts;
* ``symprogram_options`` — the ``options`` the program is built with; override the
  fixture in a ``conftest.py`` to change them.

The storage is chosen, most specific first, by the marker
``@pytest.mark.symprogram_storage("sqlite")`` on a test, class or module, then by the
command-line option ``--symprogram-storage=URL|memory|sqlite``, then by the ini
setting ``symprogram_storage``. A server URL should name a database kept for tests.
Each test's program is fresh there too: on a URL the SQLAlchemy adapter opens
(PostgreSQL, MariaDB, ``sqlite+pysqlite``...) it gets tables of its own, under a table
prefix no other test uses, dropped after the test; a URL that names its prefix
(``?symprogram_table_prefix=...``) is used as it is, its tables kept and shared by the
tests, as is any other URL (a ``sqlite:///path.db`` file: use ``"sqlite"`` for a fresh
file per test).

pytest loads this module through the ``_symprogram_pytestplugin`` entry point (which
adds the option, the ini setting and the marker, and imports nothing of symprogram, so
that ``pytest --cov`` measures symprogram's modules from their first line). Where
entry points are off, list both: ``pytest_plugins = ["_symprogram_pytestplugin"]``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest

if TYPE_CHECKING:
    from symprogram.clock import FixedClock
    from symprogram.notify import Outbox
    from symprogram.program import Program

# The fixtures are found by pytest, not imported: only the constants are exported.
__all__ = ["MARKER", "OPTION", "START"]

START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
"""Where the ``clock`` fixture stands at the start of each test."""

OPTION = "--symprogram-storage"
"""The command-line option naming the storage of the ``program`` fixture."""

MARKER = "symprogram_storage"
"""The marker naming the storage of a test's ``program``: ``symprogram_storage("sqlite")``."""

_INI = "symprogram_storage"  # declared by _symprogram_pytestplugin
_DEST = "symprogram_storage"
_PREFIX = "symprogram_table_prefix"  # the SQLAlchemy adapter's URL parameter
_SQLALCHEMY = "symprogram.storage.sqlalchemy"


def pytest_report_header(config: pytest.Config) -> str | None:
    """Name the storage when it is not the default one."""
    chosen = _configured(config)
    return None if chosen == "memory" else f"symprogram storage: {chosen}"


def _configured(config: pytest.Config) -> str:
    chosen = config.getoption(_DEST, default=None) or config.getini(_INI) or "memory"
    return str(chosen).strip() or "memory"


def _storage_url(storage: str, directory: Path) -> str | None:
    """The URL :meth:`Program.open` gets for ``storage``; ``None`` for memory."""
    if storage == "memory":
        return None
    if storage == "sqlite":
        return f"sqlite:///{directory / 'symprogram.db'}"
    return storage


def _own_tables(url: str) -> str | None:
    """``url`` with a table prefix of the test's own, for a URL the SQLAlchemy adapter
    opens and that names no prefix; ``None`` for any other URL (used as it is)."""
    from symprogram.errors import SymprogramError
    from symprogram.storage import _entry_point

    scheme, found, _ = url.partition("://")
    if not found:
        return None
    try:
        if _PREFIX in parse_qs(urlsplit(url).query):
            return None
        point = _entry_point(scheme.lower())
    except (SymprogramError, ValueError):
        return None  # Program.open says what is wrong with the URL
    if point.value.partition(":")[0] != _SQLALCHEMY:
        return None
    return f"{url}{'&' if '?' in url else '?'}{_PREFIX}=sp_t{secrets.token_hex(6)}_"


@pytest.fixture
def symprogram_storage(request: pytest.FixtureRequest) -> str:
    """The storage of ``program``: the marker's, else the option's, else ``"memory"``."""
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        if len(marker.args) != 1 or not isinstance(marker.args[0], str):
            raise pytest.UsageError(f"{MARKER} takes one storage: memory, sqlite or a URL")
        return marker.args[0]
    return _configured(request.config)


@pytest.fixture
def symprogram_options() -> dict[str, dict[str, Any]]:
    """The ``options`` of ``program``: cheap scrypt hashing (tests do not need a slow hash)."""
    from symprogram.accounts import ScryptHasher

    return {"accounts": {"hasher": ScryptHasher(n=2**4)}}


@pytest.fixture
def clock() -> FixedClock:
    """A :class:`~symprogram.clock.FixedClock` at :data:`START`; the test may move it."""
    from symprogram.clock import FixedClock

    return FixedClock(START)


@pytest.fixture
def program(
    symprogram_storage: str,
    symprogram_options: dict[str, dict[str, Any]],
    clock: FixedClock,
    tmp_path: Path,
) -> Iterator[Program]:
    """A fresh program on ``symprogram_storage`` with ``clock``, closed after the test."""
    from symprogram.program import Program

    url = _storage_url(symprogram_storage, tmp_path)
    own = None if url is None else _own_tables(url)
    if url is None:
        made = Program.in_memory(clock=clock, options=symprogram_options)
    else:
        made = Program.open(own or url, clock=clock, options=symprogram_options)
    try:
        yield made
    finally:
        try:
            if own is not None:
                made.store.drop_tables()  # type: ignore[attr-defined]  # SQLAlchemyStore's
        finally:
            made.close()


@pytest.fixture
def outbox(program: Program) -> Outbox:
    """The program's :class:`~symprogram.notify.Outbox`: every message it sent."""
    from symprogram.notify import Outbox

    notifier = program.notifier
    if not isinstance(notifier, Outbox):
        raise pytest.UsageError("the program fixture's notifier is not an Outbox")
    return notifier
