"""Work deferred until a host's transaction has committed (the outbox's delivery).

A store bound to a host's connection (:meth:`SQLAlchemyStore.bind`,
:meth:`SQLAlchemyStore.using`) writes inside the host's transaction: its messages
may be sent only once the host has committed that transaction, and never if the
host rolls it back. SQLAlchemy's ``commit`` connection event fires *before* the
database commits (and a Session's ``after_commit`` covers sessions only), so the
dialect's ``do_commit`` of the connection's engine is wrapped, once per dialect:
after the driver's commit returned, the callbacks deferred on that connection
(kept in its ``info``) run. A ``rollback`` of the host's transaction (explicit,
or a connection closed without committing) forgets them. A Session commits
through its connection's transaction, so both are covered, and a session joined
to an outer transaction of the host's delivers when that outer one commits.

A callback never raises into the host's commit, which has already happened: an
error is logged (logger ``symprogram.outbox``) and its messages stay pending for
:meth:`symprogram.Program.deliver_pending`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection

__all__ = ["defer"]

_KEY = "symprogram_after_commit"
_WRAPPED = "_symprogram_after_commit"
_log = logging.getLogger("symprogram.outbox")


def defer(connection: Connection, callback: Callable[[], None]) -> None:
    """Run ``callback()`` once ``connection``'s transaction has committed; drop it if
    that transaction rolls back."""
    _wrap_commit(connection)
    if not event.contains(connection, "rollback", _forget):
        event.listen(connection, "rollback", _forget)
    connection.info.setdefault(_KEY, []).append(callback)


def _forget(connection: Connection) -> None:
    """The host rolled its transaction back: what was deferred on it is dropped."""
    connection.info.pop(_KEY, None)


def _wrap_commit(connection: Connection) -> None:
    """Wrap the ``do_commit`` of ``connection``'s dialect so that it runs the callbacks
    deferred on the committed connection after the driver's commit returned."""
    dialect = connection.dialect
    if getattr(dialect, _WRAPPED, False):
        return
    commit: Callable[[Any], None] = dialect.do_commit

    def do_commit(dbapi_connection: Any) -> None:
        commit(dbapi_connection)
        info = getattr(dbapi_connection, "info", None)
        callbacks = info.pop(_KEY, None) if isinstance(info, dict) else None
        for callback in callbacks or ():
            try:
                callback()
            except Exception:  # the host's commit happened: never undo or hide it
                _log.exception("messages of a host's committed transaction stay pending")

    setattr(dialect, "do_commit", do_commit)  # noqa: B010 - an instance attribute, not a method
    setattr(dialect, _WRAPPED, True)
