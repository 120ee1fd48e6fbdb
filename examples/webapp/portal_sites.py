"""Whether a local-language site can be reached, before sending a reader there.

A translation served by a local-language site is a redirect; when that site's
name does not resolve (or nothing answers), the reader would land on the
browser's error page. :class:`SiteProbe` asks once per host (the answer is
remembered for a while, and the question never takes longer than ``timeout``);
the handbook page then redirects only to a site that answers, and otherwise
offers the local site *and* the English version.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

__all__ = ["SiteProbe"]


class SiteProbe:
    """``probe(url) -> bool``: whether a TCP connection to the URL's host and port opens.

    Args:
        timeout: seconds to wait at most (name resolution included).
        ttl: seconds an answer is remembered.
        clock: a monotonic clock (for tests).
    """

    def __init__(
        self,
        *,
        timeout: float = 2.0,
        ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._timeout = timeout
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._answers: dict[tuple[str, int], tuple[bool, float]] = {}

    def __call__(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return False
        key = (parts.hostname, port)
        now = self._clock()
        with self._lock:
            known = self._answers.get(key)
        if known is not None and now < known[1]:
            return known[0]
        answer = self._connects(*key)
        with self._lock:
            self._answers[key] = (answer, now + self._ttl)
        return answer

    def _connects(self, host: str, port: int) -> bool:
        result: list[bool] = []

        def attempt() -> None:
            try:
                with socket.create_connection((host, port), timeout=self._timeout):
                    result.append(True)
            except OSError:
                result.append(False)

        # Name resolution has no timeout of its own: ask from a thread and stop waiting.
        worker = threading.Thread(target=attempt, name=f"probe {host}", daemon=True)
        worker.start()
        worker.join(self._timeout)
        return bool(result and result[0])
