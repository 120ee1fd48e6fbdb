"""How the outbox paces its claims: how many messages each takes, and when it pauses.

Kernel; private to :mod:`symprogram.outbox`, whose deliveries claim messages (lock
and mark them) in the unit of work that hands them to the notifier. The notifier
therefore sends while the claim holds its locks (on SQLite and in memory the
store's one writer lock); these rules keep that wait short for everybody else.
"""

from __future__ import annotations

import time

__all__ = [
    "CLAIM_ATTEMPTS",
    "CLAIM_FIRST",
    "CLAIM_MOST",
    "CLAIM_TIME",
    "PACE_HOLD",
    "PACE_PAUSE",
    "Pace",
    "Progress",
]

CLAIM_ATTEMPTS = 4
"""Runs of a delivery whose claim lost a race (see :meth:`MessageOutbox.deliver`)."""

CLAIM_FIRST = 50
"""Messages a delivery claims and hands over in its first unit of work; later ones
claim as many as the notifier sends in about :data:`CLAIM_TIME` (see :class:`Pace`)."""

CLAIM_TIME = 0.1
"""Seconds a claim aims to hold its locks: what an erasure (and, on SQLite and in
memory, every other writer) waits for at most, once the notifier's pace is known."""

CLAIM_MOST = 1000
"""The most messages one claim takes (a quick notifier, a bulk batch)."""


PACE_HOLD = 1.0
"""Seconds one delivery may hold its claims' locks, in all, before it pauses."""

PACE_PAUSE = 0.12
"""Its pause, in seconds: longer than the 100 ms between two looks of SQLite's busy
handler, so a writer waiting for the lock finds it free (see :class:`Pace`)."""


class Progress:
    """What one chunk's delivery got to: claimed its messages, handed some over, met a
    refusal, or stopped (its marker gone, or the store failed)."""

    def __init__(self) -> None:
        self.claimed = False
        self.handed = 0
        self.refused = False
        self.stopped = False


class Pace:
    """Sizes and spaces the claims of one delivery so that others get the locks.

    A claim holds its locks while the notifier sends (on SQLite and in memory the
    store's one writer lock), so it takes :data:`CLAIM_FIRST` messages at first,
    then as many as the notifier sent in :data:`CLAIM_TIME` at the last claim's
    pace (one at least, :data:`CLAIM_MOST` at most). And a deliverer that claims
    again at once takes the lock back before a writer waiting for it (another
    process polling SQLite's lock, an erasure among them) sees it free, for as long
    as messages are pending: so once its claims have held their locks
    :data:`PACE_HOLD` seconds in all, it pauses :data:`PACE_PAUSE` seconds before
    the next one. A waiting writer gets the lock within about a second, and a long
    delivery takes about a tenth longer.
    """

    def __init__(self) -> None:
        self.held = 0.0
        self.size = CLAIM_FIRST

    def claim(self) -> float:
        """Pause if the claims so far held their locks long enough; return the instant
        this claim starts."""
        if self.held >= PACE_HOLD:
            time.sleep(PACE_PAUSE)
            self.held = 0.0
        return time.monotonic()

    def done(self, started: float, count: int) -> None:
        """Count the time the claim of ``count`` messages started at ``started`` held
        its locks, and size the next claim by it."""
        took = time.monotonic() - started
        self.held += took
        each = took / max(count, 1)
        self.size = max(1, min(CLAIM_MOST, int(CLAIM_TIME / each) if each > 0 else CLAIM_MOST))
