"""Server-side sessions for symportal: the cookie holds only a random session id.

Flask's default session is a signed cookie: the server keeps nothing, so "log out"
can only ask the browser to forget the cookie, and a copy taken before logging
out keeps working. Here the session's data lives on the server, in a
:class:`SessionStore` keyed by a random id; logging out deletes the entry, so
the old cookie no longer opens anything. Logging in and out also change the id
and start the session afresh (:meth:`ServerSession.regenerate`: a new CSRF token,
nothing kept from before), so an id planted before a log-in is useless, and so is
the form token read with it.

Sessions end after ``idle_timeout`` seconds unused; anonymous sessions (stored
only when a page shows a form) are kept apart from logged-in ones and can never
push one out, so a flood of new visitors logs nobody out (:class:`SessionStore`).

The cookie is ``HttpOnly`` and ``SameSite=Lax``, and ``Secure`` when the portal's
base URL is ``https``.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import Flask, Request
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict
from werkzeug.wrappers import Response

__all__ = ["ServerSession", "ServerSessionInterface", "SessionStore"]

#: The session cookie's name.
COOKIE_NAME = "symportal_session"


class _Entry:
    """One stored session: its data, whose it is, when it was written and last used."""

    __slots__ = ("data", "owner", "used", "written")

    def __init__(self, data: str, owner: str | None, now: float) -> None:
        self.data = data
        self.owner = owner
        self.written = now
        self.used = now


class SessionStore:
    """Session data by id, in memory, thread safe. A real deployment would use its
    database or Redis.

    A session ends when it has not been used (read or written) for ``idle_timeout``
    seconds, or ``lifetime`` seconds after its last write, whichever comes first;
    an ended session is dropped before any other.

    Sessions of a logged-in person (whose data has ``owner_key``) and anonymous
    ones are kept apart, so that a flood of anonymous visits cannot log anyone
    out: at most ``limit`` anonymous sessions are kept (the least recently used
    goes first) and they never push out a logged-in one; a person has at most
    ``per_owner`` sessions (their least recently used goes first), and logging in
    takes their password, which the SDK throttles.

    Args:
        lifetime: seconds a session lasts after its last write.
        idle_timeout: seconds a session lasts unused.
        limit: anonymous sessions kept at most.
        per_owner: sessions of one logged-in person kept at most.
        owner_key: the data key naming whose session it is.
        clock: a monotonic clock (for tests).
    """

    def __init__(
        self,
        *,
        lifetime: float = 8 * 3600,
        idle_timeout: float = 3600,
        limit: int = 100_000,
        per_owner: int = 10,
        owner_key: str = "candidate_id",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if min(lifetime, idle_timeout) <= 0 or min(limit, per_owner) < 1:
            raise ValueError("lifetime, idle_timeout, limit and per_owner must be positive")
        self._lifetime = lifetime
        self._idle = idle_timeout
        self._limit = limit
        self._per_owner = per_owner
        self._owner_key = owner_key
        self._clock = clock
        self._lock = threading.Lock()
        self._anonymous: OrderedDict[str, _Entry] = OrderedDict()  # least recently used first
        self._owned: dict[str, _Entry] = {}
        self._by_owner: dict[str, OrderedDict[str, None]] = {}
        self._next_sweep = clock()

    def _ended(self, entry: _Entry, now: float) -> bool:
        return entry.used + self._idle <= now or entry.written + self._lifetime <= now

    def _drop(self, sid: str) -> None:
        entry = self._anonymous.pop(sid, None) or self._owned.pop(sid, None)
        if entry is not None and entry.owner is not None:
            mine = self._by_owner[entry.owner]
            mine.pop(sid, None)
            if not mine:
                del self._by_owner[entry.owner]

    def _sweep(self, now: float) -> None:
        """Drop every ended session (at most once per tenth of the idle timeout)."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + min(60.0, self._idle / 10)
        for pool in (self._anonymous, self._owned):
            for sid in [sid for sid, entry in pool.items() if self._ended(entry, now)]:
                self._drop(sid)

    def get(self, sid: str) -> dict[str, Any] | None:
        """The data of session ``sid``, or ``None`` if unknown or ended; marks it used."""
        now = self._clock()
        with self._lock:
            entry = self._anonymous.get(sid) or self._owned.get(sid)
            if entry is None:
                return None
            if self._ended(entry, now):
                self._drop(sid)
                return None
            entry.used = now
            if entry.owner is None:
                self._anonymous.move_to_end(sid)
            else:
                self._by_owner[entry.owner].move_to_end(sid)
        data: dict[str, Any] = json.loads(entry.data)
        return data

    def put(self, sid: str, data: dict[str, Any]) -> None:
        """Store (a copy of) ``data`` under ``sid``; ended sessions go first, then
        the least recently used of its pool if that pool is full."""
        encoded = json.dumps(data)
        owner = data.get(self._owner_key)
        owner = None if owner is None else str(owner)
        now = self._clock()
        with self._lock:
            self._drop(sid)
            self._sweep(now)
            entry = _Entry(encoded, owner, now)
            if owner is None:
                if len(self._anonymous) >= self._limit:
                    self._next_sweep = now  # full: look for ended sessions first
                    self._sweep(now)
                while len(self._anonymous) >= self._limit:
                    self._drop(next(iter(self._anonymous)))
                self._anonymous[sid] = entry
                return
            mine = self._by_owner.setdefault(owner, OrderedDict())
            while len(mine) >= self._per_owner:
                self._drop(next(iter(mine)))
                mine = self._by_owner.setdefault(owner, OrderedDict())
            mine[sid] = None
            self._owned[sid] = entry

    def delete(self, sid: str) -> None:
        """End session ``sid`` (nothing if unknown)."""
        with self._lock:
            self._drop(sid)

    def __contains__(self, sid: object) -> bool:
        return isinstance(sid, str) and self.get(sid) is not None

    def __len__(self) -> int:
        with self._lock:
            return len(self._anonymous) + len(self._owned)


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
        """End the current id on the server and start an empty session under a new id
        (at log-in, activation and log-out): nothing from before carries over, its
        CSRF token included, so a token read with a planted id is useless too."""
        if self.sid is not None:
            self.ended.append(self.sid)
        self.sid = None
        self.clear()
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
