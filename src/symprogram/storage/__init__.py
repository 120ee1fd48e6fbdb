"""Storage adapters: in-memory, SQLite (the embedded default) and SQLAlchemy.

Every adapter implements :class:`symprogram.persistence.Store` and passes the
same contract suite, :mod:`symprogram.testing.contract`.

Adapters are found by the scheme of a storage URL through the entry-point group
``symprogram.storage`` (:data:`ENTRY_POINT_GROUP`): each entry point is named
after a scheme and points at a factory that takes the URL (a string) and returns
a store. The built-in adapters are registered the same way, in symprogram's own
``pyproject.toml``; a third-party package registers its own schemes in its
``pyproject.toml`` and :func:`open_store`, ``Program.open(url)`` and the
``SYMPROGRAM_STORAGE`` environment variable find it once it is installed:

.. code-block:: toml

    [project.entry-points."symprogram.storage"]
    myscheme = "my_package.store:open_url"
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType

from symprogram.errors import StorageError, SymprogramError, ValidationError
from symprogram.persistence import Store

__all__ = ["ENTRY_POINT_GROUP", "ENVIRONMENT_VARIABLE", "backends", "open_store"]

ENVIRONMENT_VARIABLE = "SYMPROGRAM_STORAGE"
"""The environment variable naming the storage URL when none is given."""
ENTRY_POINT_GROUP = "symprogram.storage"
"""The entry-point group mapping URL schemes to adapter factories (``url -> Store``)."""

_lock = threading.Lock()
_found: dict[str, Mapping[str, EntryPoint]] = {}


def _registered(*, refresh: bool = False) -> Mapping[str, EntryPoint]:
    """The entry points of :data:`ENTRY_POINT_GROUP` by scheme (read once, cached)."""
    with _lock:
        cached = _found.get(ENTRY_POINT_GROUP)
        if cached is None or refresh:
            # URL schemes are case-insensitive (RFC 3986): names are matched in lower case.
            points = {point.name.lower(): point for point in entry_points(group=ENTRY_POINT_GROUP)}
            cached = _found[ENTRY_POINT_GROUP] = MappingProxyType(points)
        return cached


def backends() -> Mapping[str, str]:
    """The installed storage backends: each URL scheme and its factory (``module:name``).

    Example:
        >>> backends()["memory"]
        'symprogram.storage.memory:open_url'
    """
    return MappingProxyType(
        {scheme: point.value for scheme, point in sorted(_registered(refresh=True).items())}
    )


def _entry_point(scheme: str) -> EntryPoint:
    """The entry point of ``scheme``, else of its part before ``+`` (a driver variant).

    An unknown scheme reads the installed entry points again before it is refused,
    so a backend installed while the process runs is found too.
    """
    for refresh in (False, True):
        found = _registered(refresh=refresh)
        point = found.get(scheme) or found.get(scheme.partition("+")[0])
        if point is not None:
            return point
    known = ", ".join(sorted(_registered()))
    raise ValidationError(
        f"no storage backend for {scheme}:// URLs (known schemes: {known}); "
        f"install one that registers it in the {ENTRY_POINT_GROUP!r} entry points",
        field="url",
        code="unknown_storage_scheme",
        details={"scheme": scheme, "known": sorted(_registered())},
    )


def _factory(point: EntryPoint) -> Callable[[str], object]:
    """The factory an entry point names; any failure to load it is a ValidationError."""
    try:
        factory = point.load()
    except ImportError as exc:
        if exc.name == "sqlalchemy" or (exc.name or "").startswith("sqlalchemy."):
            raise ValidationError(
                "this URL needs the SQLAlchemy adapter: pip install 'symprogram[sql]'",
                field="url",
                code="sql_extra_missing",
            ) from exc
        raise _unavailable(point, exc) from exc
    except Exception as exc:  # a missing attribute, or the module failing as it loads
        raise _unavailable(point, exc) from exc
    if not callable(factory):
        raise StorageError(
            f"the storage backend {point.value!r} is not callable",
            code="invalid_storage_backend",
        )
    return factory  # type: ignore[no-any-return]


def _unavailable(point: EntryPoint, error: Exception) -> ValidationError:
    return ValidationError(
        f"the storage backend {point.name} = {point.value!r} cannot be loaded: "
        f"{type(error).__name__}: {error}",
        field="url",
        code="storage_backend_unavailable",
        details={"entry_point": point.name, "target": point.value},
    )


def _open(point: EntryPoint, factory: Callable[[str], object], url: str) -> object:
    """Call a backend's factory: its own SymprogramError passes through, anything
    else it raises is wrapped (``storage_backend_failed``), the original chained."""
    try:
        return factory(url)
    except SymprogramError:
        raise
    except Exception as exc:
        raise StorageError(
            f"the storage backend {point.name} = {point.value!r} failed to open the URL: "
            f"{type(exc).__name__}: {exc}",
            code="storage_backend_failed",
            details={"entry_point": point.name, "target": point.value, "retryable": False},
        ) from exc


def _from_sqlalchemy_object(target: object) -> Store:
    """A store on an SQLAlchemy ``URL`` (engine created and owned), a host ``Engine``
    (never disposed by symprogram) or a host ``Connection`` (units of work join its
    transaction), each with the default table prefix."""
    from sqlalchemy.engine import URL, Connection, Engine

    from symprogram.storage.sqlalchemy import (  # type: ignore[import-not-found,unused-ignore]
        SQLAlchemyStore,
    )

    store: Store
    if isinstance(target, URL):
        store = SQLAlchemyStore.from_url(target)
    elif isinstance(target, Engine):
        store = SQLAlchemyStore(engine=target)
    elif isinstance(target, Connection):
        store = SQLAlchemyStore.for_connection(target)
    else:
        raise ValidationError(
            "give a storage URL string, or an SQLAlchemy URL, Engine or Connection",
            field="url",
            code="invalid_storage_url",
        )
    return store


def open_store(url: object = None) -> Store:
    """Open a store from a URL.

    The backend is chosen by the explicit ``url`` first, then the environment
    variable ``SYMPROGRAM_STORAGE``, then the default (in memory). The URL's
    scheme (before ``://``) names the backend in the ``symprogram.storage``
    entry points, in any case (schemes, and the entry points' names, are
    compared in lower case); a scheme with a driver (``postgresql+psycopg``) that has no
    entry point of its own uses the one of its part before ``+``. Built in:

    * ``memory://`` — :class:`~symprogram.storage.memory.MemoryStore`;
    * ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``,
      ``sqlite://`` or ``sqlite:///:memory:`` —
      :class:`~symprogram.storage.sqlite.SQLiteStore`;
    * SQLAlchemy URLs (``postgresql+psycopg://...``, ``mysql+pymysql://...``,
      ``mariadb://...``, ``cockroachdb://...``, ``sqlite+pysqlite://...``) —
      :class:`~symprogram.storage.sqlalchemy.SQLAlchemyStore` (install the
      ``sql`` extra);
    * an SQLAlchemy ``URL`` object (same), or a host application's own
      ``Engine`` (never disposed by symprogram) or ``Connection`` (every unit of
      work joins its transaction: :meth:`SQLAlchemyStore.for_connection`).

    Raises:
        ValidationError: the URL is not understood (``invalid_storage_url``), no
            backend is registered for its scheme (``unknown_storage_scheme``,
            naming the known ones), or the backend's package is missing
            (``sql_extra_missing``, ``sql_driver_missing``), or its entry point
            cannot be loaded (``storage_backend_unavailable``: a missing module
            or attribute, or any error while importing it).
        StorageError: the backend's factory did not return a store
            (``invalid_storage_backend``), raised an error of its own that is no
            :class:`~symprogram.errors.SymprogramError`
            (``storage_backend_failed``, the original chained), or the storage
            cannot be opened.
    """
    if url is None:
        url = os.environ.get(ENVIRONMENT_VARIABLE) or "memory://"
    if type(url).__module__.partition(".")[0] == "sqlalchemy":
        return _from_sqlalchemy_object(url)
    if not isinstance(url, str) or "://" not in url:
        raise ValidationError(
            "storage URL must be a string such as sqlite:///path.db or memory://",
            field="url",
            code="invalid_storage_url",
        )
    scheme = url.partition("://")[0].lower()  # schemes are case-insensitive (RFC 3986)
    point = _entry_point(scheme)
    store = _open(point, _factory(point), url)
    if not isinstance(store, Store):
        raise StorageError(
            f"the storage backend {point.value!r} returned {type(store).__name__}, not a Store",
            code="invalid_storage_backend",
        )
    return store
