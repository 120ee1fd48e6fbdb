"""The one memo for answers guarded by the store's change token.

A store may offer ``change_token()`` (see
:func:`symprogram.persistence.change_tracker`): a value that changes whenever a
unit of work commits, and ``None`` whenever the answer cannot be trusted. A
service remembers an answer under the token it read *before* reading the data
the answer came from, and reuses it only while the store still returns that
token. A new token drops everything remembered, so no answer outlives a commit.

Kernel code: it knows no context.

Example:
    >>> from symprogram.storage.memory import MemoryStore
    >>> memo: TokenMemo[str, int] = TokenMemo(MemoryStore())
    >>> token = memo.token()
    >>> memo.put("answer", token, 42)
    >>> memo.get("answer", memo.token())
    42
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Generic, TypeVar

from symprogram.persistence import change_tracker

__all__ = ["DEFAULT_LIMIT", "TokenMemo"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

DEFAULT_LIMIT = 4096
"""How many answers a memo keeps before it forgets its oldest."""


class TokenMemo(Generic[K, V]):
    """Answers remembered while the store's change token stays the same.

    Args:
        store: the store whose ``change_token()`` guards the answers; a store
            without one gives a memo that never remembers (``enabled`` is False).
        limit: the most answers kept (the oldest is forgotten first).
    """

    __slots__ = ("_entries", "_limit", "_lock", "_probe", "_token")

    def __init__(self, store: object, *, limit: int = DEFAULT_LIMIT) -> None:
        self._probe = change_tracker(store)
        self._entries: dict[K, V] = {}
        self._token: object = None
        self._limit = max(1, int(limit))
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether the store offers a change token (else nothing is remembered)."""
        return self._probe is not None

    def token(self) -> object | None:
        """The store's token now: read it before the data an answer is computed from."""
        probe = self._probe
        return None if probe is None else probe()

    def get(self, key: K, token: object | None) -> V | None:
        """The answer remembered for ``key`` under ``token``, or ``None``."""
        if token is None or token != self._token:
            return None
        return self._entries.get(key)

    def put(self, key: K, token: object | None, value: V) -> None:
        """Remember ``value`` for ``key`` under ``token`` (a ``None`` token: nothing)."""
        if token is None:
            return
        with self._lock:
            entries = self._entries
            if token != self._token:
                # Every remembered answer carries one token: a new one means a
                # commit since they were made, so they are all dropped.
                entries.clear()
                self._token = token
            elif key not in entries and len(entries) >= self._limit:
                del entries[next(iter(entries))]
            entries[key] = value

    def clear(self) -> None:
        """Forget every answer."""
        with self._lock:
            self._entries.clear()
            self._token = None

    def __len__(self) -> int:
        return len(self._entries)
