"""Pure rules of the audience index: what an entry keeps and when it allows.

Re-exported by :mod:`symprogram.consent.rules`; import them from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from symprogram.consent.models import CHANNEL_PREFIX, Choice, ConsentState

if TYPE_CHECKING:
    from symprogram.consent.catalogue import PolicyCatalogue

__all__ = ["audience_entry", "entry_allows", "micros"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(at: datetime) -> int:
    """``at`` (an aware datetime) as whole microseconds since 1970-01-01 UTC."""
    return (at - _EPOCH) // _MICROSECOND


def audience_entry(state: ConsentState, topic: str) -> dict[str, Any] | None:
    """What the audience index keeps about ``state``'s standing on ``topic``.

    ``None`` when there is nothing to keep: the subject was erased or never made a
    choice on the topic. Otherwise a small mapping holding everything
    :func:`decide` reads about an opt-in purpose at an instant on or after the
    subject's newest record: the standing choice (``choice``), the instant of the
    newest record in microseconds (``last``, see :func:`micros`), the contact
    channels opted out of (``off``), the policy versions seen (``seen``) and the
    ledger position the projection was derived from (``length``: an entry is only
    believed while it is the subject's ledger head; entries written before it was
    kept have none and are checked through the projection instead).
    """
    if state.erased_at is not None or state.last_at is None:
        return None
    item = state.choice(topic)
    if item is None:
        return None
    start = len(CHANNEL_PREFIX)
    return {
        "choice": item.choice.value,
        "last": micros(state.last_at),
        "off": [
            c.topic[start:]
            for c in state.choices
            if c.topic.startswith(CHANNEL_PREFIX) and c.choice is not Choice.GRANTED
        ],
        "seen": [s.policy_version for s in state.seen],
        "length": state.length,
    }


def entry_allows(
    entry: Mapping[str, Any],
    notified_rank: int,
    channel: str | None,
    catalogue: PolicyCatalogue,
) -> bool:
    """:func:`decide`'s ``allowed`` for an opt-in purpose, from an audience entry.

    Valid only when the policy in effect at the instant declares the purpose as
    opt-in, the instant is on or after the entry's ``last`` record (the entry then
    describes the subject's state at that instant) and ``notified_rank`` is the
    highest rank of the policy versions whose material change of the purpose took
    effect by then (``-1``: none). Allowed when the standing choice is a grant, the
    subject saw a version at least that recent, and ``channel`` is not opted out.

    Raises:
        KeyError, TypeError: the entry is not shaped as :func:`audience_entry` makes it.
    """
    if entry["choice"] != "granted":
        return False
    if channel is not None and channel in entry["off"]:
        return False
    if notified_rank >= 0:
        return any(catalogue.rank(version) >= notified_rank for version in entry["seen"])
    return True
