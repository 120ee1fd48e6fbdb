"""Server-side sessions for symportal: the cookie holds only a random session id.

Flask's default session is a signed cookie: the server keeps nothing, so "log out"
can only ask the browser to forget the cookie, and a copy taken before logging
out keeps working. Here the session's data lives on the server, in a
:class:`SessionStore` keyed by a random id; logging out deletes the entry, so
the old cookie no longer opens anything. Logging in and out also change the id
(:meth:`ServerSession.regenerate`), so an id planted before a log-in is useless.

The cookie is ``HttpOnly`` and ``SameSite=Lax``, and ``Secure`` when the portal's
base URL is ``https``.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Request
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict
from werkzeug.wrappers import Response

__all__ = ["ServerSession", "ServerSessionInterface", "SessionStore"]

#: The session cookie's name.
COOKIE_NAME = "symportal_session"


class SessionStore:
    """Session data by id, in memory, thread safe; entries expire ``lifetime`` seconds
    after their last write, and at most ``limit`` are kept (the ones closest to
    expiring go first). A real deployment would use its database or Redis."""

    def __init__(
        self,
        *,
        lifetime: float = 8 * 3600,
        limit: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lifetime = lifetime
        self._limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[str, float]] = {}

    def get(self, sid: str) -> dict[str, Any] | None:
        """The data of session ``sid``, or ``None`` if unknown, ended or expired."""
        with self._lock:
            entry = self._entries.get(sid)
            if entry is None:
                return None
            if entry[1] <= self._clock():
                del self._entries[sid]
                return None
        data: dict[str, Any] = json.loads(entry[0])
        return data

    def put(self, sid: str, data: dict[str, Any]) -> None:
        """Store (a copy of) ``data`` under ``sid``; drop expired entries."""
        encoded = json.dumps(data)
        now = self._clock()
        with self._lock:
            expired = [key for key, (_, until) in self._entries.items() if until <= now]
            for key in expired:
                del self._entries[key]
            self._entries.pop(sid, None)
            while len(self._entries) >= self._limit:
                del self._entries[min(self._entries, key=lambda k: self._entries[k][1])]
            self._entries[sid] = (encoded, now + self._lifetime)

    def delete(self, sid: str) -> None:
        """End session ``sid`` (nothing if unknown)."""
        with self._lock:
            self._entries.pop(sid, None)

    def __contains__(self, sid: object) -> bool:
        return isinstance(sid, str) and self.get(sid) is not None

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """The session of one request: its data and its id (``None`` until stored)."""

    def __init__(self, data: dict[str, Any] | None = None, sid: str | None = None) -> None:
        def on_update(_: Any) -> None:
            self.modified = True

        super().__init__(data or {}, on_update)
        self.sid = sid
        self.ended: list[str] = []
        self.modified = False

    def regenerate(self) -> None:
        """End the current id on the server and use a new one from now on (at log-in
        and log-out)."""
        if self.sid is not None:
            self.ended.append(self.sid)
        self.sid = None
        self.modified = True


class ServerSessionInterface(SessionInterface):
    """Flask's session interface over a :class:`SessionStore`."""

    def __init__(self, store: SessionStore, *, secure: bool) -> None:
        self.store = store
        self.secure = secure

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        sid = request.cookies.get(COOKIE_NAME)
        data = self.store.get(sid) if sid else None
        if sid is None or data is None:
            return ServerSession()
        return ServerSession(data, sid)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)
        for sid in session.ended:
            self.store.delete(sid)
        if not session:
            if session.sid is not None:
                self.store.delete(session.sid)
            if session.sid is not None or session.ended:
                response.delete_cookie(
                    COOKIE_NAME, httponly=True, secure=self.secure, samesite="Lax"
                )
            return
        if session.sid is None:
            session.sid = secrets.token_urlsafe(32)
            session.modified = True
        if session.modified:
            self.store.put(session.sid, dict(session))
            response.set_cookie(
                COOKIE_NAME,
                session.sid,
                httponly=True,
                secure=self.secure,
                samesite="Lax",
                path="/",
            )
