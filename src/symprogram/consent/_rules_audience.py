"""Pure rules of the audience index: what an entry keeps and when it allows.

Re-exported by :mod:`symprogram.consent.rules`; import them from there.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from symprogram.consent.models import CHANNEL_PREFIX, Choice, ConsentState
from symprogram.ledger_keys import LedgerKeys
from symprogram.serialization import canonical_json

if TYPE_CHECKING:
    from symprogram.consent.catalogue import PolicyCatalogue

__all__ = ["audience_entry", "entry_allows", "entry_vouched", "micros", "sealed_entry"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_SEAL_LABEL = b"symprogram consent audience entry"
_SEAL_FIELDS = frozenset({"kid", "mac"})


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


@functools.lru_cache(maxsize=16)
def _seal_key(key: bytes) -> bytes:
    """The key of the entries' seals, derived from a ledger key (its own domain)."""
    return hmac.new(key, _SEAL_LABEL, hashlib.sha256).digest()


def _entry_mac(key: bytes, record_key: str, entry: Mapping[str, Any]) -> bytes:
    content = {k: v for k, v in entry.items() if k not in _SEAL_FIELDS}
    body = canonical_json([record_key, content]).encode("utf-8", "surrogatepass")
    return hmac.new(_seal_key(key), body, hashlib.sha256).hexdigest().encode("ascii")


def sealed_entry(
    keys: LedgerKeys | None, record_key: str, entry: Mapping[str, Any]
) -> dict[str, Any]:
    """``entry`` (an :func:`audience_entry`, stored under ``record_key``) with its seal.

    With a ledger key ring, the entry keeps the id of the ring's current key
    (``kid``) and an HMAC-SHA-256 of its record key and content under a key derived
    from it (``mac``), so that an entry edited or written in by someone with
    database access but without the key is not believed (:func:`entry_vouched`).
    Without a ring it is returned as it is (nothing keyed, nothing to prove).

    Example:
        >>> ring = LedgerKeys(b"k" * 32)
        >>> entry = {"choice": "granted", "last": 0, "off": [], "seen": ["1"], "length": 2}
        >>> sealed = sealed_entry(ring, "newsletter:SP-1", entry)
        >>> entry_vouched(ring, "newsletter:SP-1", sealed)
        True
        >>> entry_vouched(ring, "newsletter:SP-2", sealed)  # moved to another subject
        False
        >>> entry_vouched(ring, "newsletter:SP-1", {**sealed, "off": ["email"]})
        False
        >>> sealed_entry(None, "newsletter:SP-1", entry) == entry
        True
    """
    if keys is None:
        return dict(entry)
    mac = _entry_mac(keys.current, record_key, entry).decode("ascii")
    return {**entry, "kid": keys.current_id, "mac": mac}


def entry_vouched(keys: LedgerKeys | None, record_key: str, entry: Mapping[str, Any]) -> bool:
    """Whether the stored audience ``entry`` under ``record_key`` may be believed.

    Always without a ledger key ring. With one, only when its seal
    (:func:`sealed_entry`) is an HMAC of its record key and content under a key of
    the ring: an entry edited, moved, written in by hand, sealed by a key the ring
    no longer holds, or written before entries were sealed is not, and the
    subject's projection answers instead.
    """
    if keys is None:
        return True
    kid, mac = entry.get("kid"), entry.get("mac")
    if not isinstance(kid, str) or not isinstance(mac, str):
        return False
    key = keys.key_for(kid)
    if key is None:
        return False
    expected = _entry_mac(key, record_key, entry)
    return hmac.compare_digest(mac.encode("utf-8", "surrogatepass"), expected)
