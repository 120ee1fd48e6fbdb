"""Rules of the verification log: bounded, however often a code is tried (issue 17).

Every verification of a disclosure (and every unknown code, under the log
``"-"``) is counted in one tally per (disclosure, UTC day) with a count per
outcome. Only the first :data:`LOGGED_PER_DAY` verifications of a day are also
logged one by one, and only the first verification of each outcome in a day
goes into the holder's account history. So a stranger trying a code 2,000 times
adds at most one tally, :data:`LOGGED_PER_DAY` log entries and one history entry
per outcome that day: nobody's ``verify`` gets slower by it, and the store grows
by a bounded amount per day whatever the number of tries.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import attrs

__all__ = [
    "LOGGED_PER_DAY",
    "VerificationCount",
    "count_verification",
    "count_verification_reference",
    "tally_key",
]

LOGGED_PER_DAY = 20
"""Verifications of one disclosure (or unknown codes) logged one by one per UTC day."""


@attrs.frozen
class VerificationCount:
    """What counting one verification in its day's tally gives.

    Attributes:
        counts: the day's tally afterwards, outcome -> verifications.
        log: log this verification one by one (the day's log is still short).
        record: record it in the holder's history (the day's first of this outcome).
    """

    counts: Mapping[str, int]
    log: bool
    record: bool


def tally_key(disclosure_id: str, day: date) -> str:
    """The key of the tally of ``disclosure_id`` for ``day``: ``<id>/<YYYY-MM-DD>``."""
    return f"{disclosure_id}/{day.isoformat()}"


def count_verification(
    counts: Mapping[str, int], outcome: str, *, logged_per_day: int = LOGGED_PER_DAY
) -> VerificationCount:
    """Count one verification with ``outcome`` in a day's tally ``counts`` (one pass)."""
    seen = counts.get(outcome, 0)
    total = sum(counts.values())
    updated = {**counts, outcome: seen + 1}
    return VerificationCount(updated, total < logged_per_day, seen == 0)


def count_verification_reference(
    history: list[str], outcome: str, *, logged_per_day: int = LOGGED_PER_DAY
) -> VerificationCount:
    """:func:`count_verification` from the day's outcomes one by one (the plain reference)."""
    after = [*history, outcome]
    counts = {name: after.count(name) for name in dict.fromkeys(after)}
    return VerificationCount(counts, len(history) < logged_per_day, outcome not in history)
