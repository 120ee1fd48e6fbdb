"""Storage adapters: in-memory, SQLite (the embedded default) and SQLAlchemy.

Every adapter implements :class:`symprogram.persistence.Store` and passes the
same contract suite, :mod:`symprogram.testing.contract`.
"""

from __future__ import annotations

import os

from symprogram.errors import ValidationError
from symprogram.persistence import Store

__all__ = ["open_store"]

ENVIRONMENT_VARIABLE = "SYMPROGRAM_STORAGE"


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
    variable ``SYMPROGRAM_STORAGE``, then the default (in memory).

    * ``memory://`` — :class:`~symprogram.storage.memory.MemoryStore`;
    * ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``,
      ``sqlite://`` or ``sqlite:///:memory:`` —
      :class:`~symprogram.storage.sqlite.SQLiteStore`;
    * any other SQLAlchemy URL (``postgresql+psycopg://...``,
      ``mysql+pymysql://...``) — :class:`~symprogram.storage.sqlalchemy.SQLAlchemyStore`
      (install the ``sql`` extra);
    * an SQLAlchemy ``URL`` object (same), or a host application's own
      ``Engine`` (never disposed by symprogram) or ``Connection`` (every unit of
      work joins its transaction: :meth:`SQLAlchemyStore.for_connection`).

    Raises:
        ValidationError: the URL is not understood (code ``invalid_storage_url``).
    """
    if url is None:
        url = os.environ.get(ENVIRONMENT_VARIABLE) or "memory://"
    if type(url).__module__.partition(".")[0] == "sqlalchemy":
        return _from_sqlalchemy_object(url)
    if not isinstance(url, str) or not url:
        raise ValidationError(
            "storage URL must be a string", field="url", code="invalid_storage_url"
        )
    if url == "memory://":
        from symprogram.storage.memory import MemoryStore

        return MemoryStore()
    if url.startswith("sqlite://") and not url.startswith("sqlite+"):
        from symprogram.storage.sqlite import SQLiteStore

        rest = url[len("sqlite://") :]
        if rest in ("", "/", "/:memory:"):
            return SQLiteStore(":memory:")
        if not rest.startswith("/"):
            raise ValidationError(
                "SQLite URLs look like sqlite:///relative.db or sqlite:////absolute.db",
                field="url",
                code="invalid_storage_url",
            )
        return SQLiteStore(rest[1:])
    if "://" in url:
        try:
            from symprogram.storage.sqlalchemy import (  # type: ignore[import-not-found,unused-ignore]
                SQLAlchemyStore,
            )
        except ImportError as exc:  # pragma: no cover - depends on installed extras
            raise ValidationError(
                "this URL needs the SQLAlchemy adapter: pip install 'symprogram[sql]'",
                field="url",
                code="sql_extra_missing",
            ) from exc
        store: Store = SQLAlchemyStore.from_url(url)
        return store
    raise ValidationError(f"unknown storage URL {url!r}", field="url", code="invalid_storage_url")
