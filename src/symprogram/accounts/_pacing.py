"""Failed password verifications padded to the time of the costliest kind of hash (private).

``AccountsService.authenticate`` verifies one hash per call: the account's, or a
dummy of the policy's parameters for an address without one. A stored hash of other
parameters (imported from a legacy policy, a scrypt hash stored before the extra
``argon2`` was installed, the 0.1 form) takes another time to verify, which would
tell that the address has an account. Django's ``harden_runtime`` bridges the gap by
doing the missing iterations; that needs the same algorithm on both sides. Here the
gap is measured and slept instead, for any two kinds of hash:

* every verification is timed and filed under its *kind*, the hash without its salt
  and digest (``$argon2id$v=19$m=19456,t=2,p=1``, ``$scrypt$ln=12,r=8,p=1``), the
  last :data:`KEEP` times of each;
* the *target* is the costliest kind: the highest median (the fastest time while a
  kind has fewer than :data:`FEW`: a pause only ever slows a verification, so one
  slow outlier does not make a cheap kind the target);
* a verification that fails and is not of the target kind sleeps until the target
  kind's time *at the same quantile*: its rank among its own kind's earlier times
  (randomised within ties, uniform while there are none) is mapped onto the target's
  times (quantile matching). The padded calls then follow the target's distribution,
  spread included, and move with the machine's load as the target's do; a kind as
  costly as the target is mapped onto about its own time (no pad). A fixed pad (the
  target's median) would make every padded call take the same time, which a
  threshold at that time tells from the target's spread; verifying the dummy on top
  of a cheap hash would add the cheap hash's time to the policy's. While the target
  has fewer than :data:`DRAW` times, the kind with the most times stands in, scaled
  by the ratio of the two costs, so that the pads are spread from the first;
* the sleep's own overshoot (its median, measured) is taken off the next sleeps.

A kind costlier than the policy (a scrypt N=2**17 hash under an Argon2id policy)
becomes the target once verified: from then on every failed verification of the
process, an unknown address's included, takes its time (a sleep: no CPU). Its first
verification in a process cannot be hidden (nothing before it was padded to it).
A successful verification is never padded: its caller knows the password.
"""

from __future__ import annotations

import bisect
import collections
import random
import statistics
import threading
import time
from collections.abc import Callable

__all__ = ["DRAW", "FEW", "KEEP", "MAX_KINDS", "VerificationPacer", "hash_kind"]

KEEP = 64
"""Times kept per kind of hash (the newest), and sleep overshoots kept."""

FEW = 3
"""Below this many times a kind's cost is its fastest time, from then on its median."""

DRAW = 16
"""Times a target kind needs before pads are drawn from its own times alone."""

MAX_KINDS = 16
"""Kinds of hash told apart; hashes of any further kind share one (``OTHER``)."""

OTHER = "?"
"""The kind of junk, of a hash too long to be a kind, and of kinds beyond MAX_KINDS."""

_LONGEST_KIND = 120


def hash_kind(encoded: str) -> str:
    """The kind of the hash ``encoded``: its text before the salt and digest (the last
    two ``$``-separated fields), which names the algorithm and its parameters.

    Example:
        >>> hash_kind("$scrypt$ln=12,r=8,p=1$c2FsdHNhbHQ$ZGlnZXN0ZGlnZXN0")
        '$scrypt$ln=12,r=8,p=1'
        >>> hash_kind("scrypt$n=32768,r=8,p=1$c2FsdA$ZGlnZXN0"), hash_kind("plaintext")
        ('scrypt$n=32768,r=8,p=1', '?')
    """
    parts = encoded.split("$")
    kind = "$".join(parts[:-2])
    return kind if len(parts) >= 4 and 0 < len(kind) <= _LONGEST_KIND else OTHER


class _Times:
    """The newest times of one kind, kept sorted too."""

    def __init__(self) -> None:
        self.newest: collections.deque[float] = collections.deque(maxlen=KEEP)
        self.ordered: list[float] = []

    def add(self, seconds: float) -> None:
        if len(self.newest) == KEEP:
            del self.ordered[bisect.bisect_left(self.ordered, self.newest[0])]
        self.newest.append(seconds)
        bisect.insort(self.ordered, seconds)

    def cost(self) -> float:
        """The median, or the fastest time while there are fewer than :data:`FEW`."""
        if len(self.ordered) < FEW:
            return self.ordered[0]
        return statistics.median(self.ordered)

    def rank(self, seconds: float, uniform: float) -> float:
        """Where ``seconds`` falls among these times, from 0 to 1 (ties and an
        empty kind spread by ``uniform``)."""
        below = bisect.bisect_left(self.ordered, seconds)
        equal = bisect.bisect_right(self.ordered, seconds) - below
        return (below + uniform * (equal + 1)) / (len(self.ordered) + 1)

    def quantile(self, at: float) -> float:
        """The time at quantile ``at`` (0 to 1), interpolated between the times."""
        times = self.ordered
        position = at * (len(times) - 1)
        low = int(position)
        high = min(low + 1, len(times) - 1)
        return times[low] + (times[high] - times[low]) * (position - low)


class VerificationPacer:
    """Times password verifications by kind of hash and pads the failed ones.

    One per :class:`~symprogram.accounts.AccountsService` (its estimates are of this
    process); safe to share between threads.

    Args:
        clock: a monotonic clock in seconds (default :func:`time.perf_counter`).
        sleep: sleeps for a number of seconds (default :func:`time.sleep`).
        uniform: draws a number from 0 to 1 (default: a :class:`random.Random`).

    Example:
        >>> now = [0.0]
        >>> def sleep(seconds): now[0] += seconds
        >>> def verify(cost):
        ...     def check(password, encoded):
        ...         now[0] += cost
        ...         return False
        ...     return check
        >>> pacer = VerificationPacer(clock=lambda: now[0], sleep=sleep)
        >>> policy, legacy = "$p$x$salt$digest", "$legacy$y$salt$digest"
        >>> pacer.verify(verify(0.024), "pw", policy), pacer.verify(verify(0.003), "pw", legacy)
        (False, False)
        >>> round(pacer.padded, 3)  # the legacy hash's call took 0.024 s too
        0.021
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], object] = time.sleep,
        uniform: Callable[[], float] | None = None,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._uniform = uniform if uniform is not None else random.Random().random
        self._kinds: dict[str, _Times] = {}
        self._overshoot: collections.deque[float] = collections.deque(maxlen=KEEP)
        self._lock = threading.Lock()
        self._calibrated = False
        self.padded = 0.0
        """The last pad slept, in seconds (0 after a verification not padded)."""

    def verify(
        self,
        check: Callable[[str, str], bool],
        password: str,
        encoded: str,
        *,
        reference: Callable[[], str] | None = None,
    ) -> bool:
        """``check(password, encoded)``, timed; padded to the target kind when it fails.

        Args:
            check: the hasher's ``verify``.
            password: the password to verify.
            encoded: the stored hash (or the dummy).
            reference: gives the dummy hash (the policy's kind), asked once per
                pacer: where ``encoded`` is of another kind, the dummy is verified
                first (the policy's cost must be known to pad to it), and that time
                counts in this verification's.

        Returns:
            What ``check`` returned.
        """
        kind = self._kind(encoded)
        spent = 0.0
        if reference is not None and not self._calibrated:
            self._calibrated = True
            dummy = reference()
            if self._kind(dummy) != kind:
                spent = self._timed(check, "", dummy)[1]
                with self._lock:
                    self._times(self._kind(dummy)).add(spent)
        ok, elapsed = self._timed(check, password, encoded)
        with self._lock:
            uniform = self._uniform()
            pad = 0.0 if ok else self._pad(kind, elapsed, uniform) - spent
            self._times(kind).add(elapsed)
            overshoot = statistics.median(self._overshoot) if self._overshoot else 0.0
        self.padded = max(0.0, pad)
        if pad - overshoot > 0:
            started = self._clock()
            self._sleep(pad - overshoot)
            slept = self._clock() - started
            with self._lock:
                self._overshoot.append(slept - (pad - overshoot))
        return ok

    def cost(self, encoded: str) -> float | None:
        """The estimated time to verify a hash of the kind of ``encoded`` (``None``
        while none was timed)."""
        with self._lock:
            times = self._kinds.get(self._kind(encoded))
            return None if times is None else times.cost()

    def _timed(
        self, check: Callable[[str, str], bool], password: str, encoded: str
    ) -> tuple[bool, float]:
        started = self._clock()
        ok = bool(check(password, encoded))
        return ok, self._clock() - started

    def _kind(self, encoded: str) -> str:
        kind = hash_kind(encoded)
        return kind if kind in self._kinds or len(self._kinds) < MAX_KINDS else OTHER

    def _times(self, kind: str) -> _Times:
        times = self._kinds.get(kind)
        if times is None:
            times = self._kinds[kind] = _Times()
        return times

    def _pad(self, kind: str, elapsed: float, uniform: float) -> float:
        """How long a failed verification of ``kind`` that took ``elapsed`` sleeps."""
        if not self._kinds:
            return 0.0
        target = max(self._kinds, key=lambda name: self._kinds[name].cost())
        if target == kind:
            return 0.0
        own = self._kinds.get(kind)
        at = own.rank(elapsed, uniform) if own is not None else uniform
        times = self._kinds[target]
        if len(times.ordered) >= DRAW:
            return times.quantile(at) - elapsed
        fullest = max(self._kinds.values(), key=lambda t: len(t.ordered))
        if len(fullest.ordered) <= len(times.ordered):
            return times.quantile(at) - elapsed
        return fullest.quantile(at) * times.cost() / fullest.cost() - elapsed
