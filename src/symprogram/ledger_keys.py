"""The keys of a program's ledgers: the current key, and retired keys that only verify.

Every authenticated thing a keyed ledger writes (an entry's chain hash, a stream
head, an erasure marker, a digest) names the key it was made with by a public
fingerprint, its *key id* (:func:`key_id`, never the key). Verification picks
the key by that id from a :class:`LedgerKeys` ring: new writes use the current
key, a retired key only verifies, and an id the ring does not hold is reported
as ``ledger_key_unknown`` (never as an altered entry).

Rotating a key: make the old current key retired, give the new one as current
(``LedgerKeys(new, retired=(old,))``), then re-key the stored streams with
:meth:`Program.rekey <symprogram.Program.rekey>` (``symprogram ledgers rekey``).
See ``docs/explanation-threat-model.md``.

Example:
    >>> ring = LedgerKeys(b"n" * 32, retired=(b"o" * 32,))
    >>> ring.key_for(key_id(b"o" * 32)) == b"o" * 32, ring.key_for("0" * 16)
    (True, None)
    >>> "nnnn" in repr(ring)
    False
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from symprogram.errors import ValidationError

__all__ = ["LedgerKeys", "as_ledger_keys", "key_id"]

_KEY_ID_LABEL = b"symprogram ledger key id"


def key_id(key: bytes | None) -> str | None:
    """A public, stable fingerprint of a ledger key (``None`` without a key).

    HMAC-SHA-256 of a fixed label under the key, 16 hex digits: it names the key
    (an entry, head, erasure marker or digest records the key it was made with)
    without revealing it.

    Example:
        >>> len(key_id(b"k" * 32)), key_id(None)
        (16, None)

    Raises:
        ValidationError: ``key`` is neither non-empty bytes nor ``None``
            (``invalid_key``): an empty key authenticates nothing.
    """
    if key is None:
        return None
    return hmac.new(_check_key(key, "key"), _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def _check_key(value: object, field: str) -> bytes:
    if not isinstance(value, bytes | bytearray) or not value:
        raise ValidationError(
            "a ledger key must be non-empty bytes", field=field, code="invalid_key"
        )
    return bytes(value)


class LedgerKeys:
    """A ledger key ring: the current key, retired keys, and the key of unlabelled data.

    Immutable and never serialized (it holds secrets; its ``repr`` shows key ids
    only). ``Program(ledger_key=...)`` accepts one, or plain ``bytes`` (a ring of
    that key alone).

    Args:
        current: the key new entries, heads, erasure markers and digests are made with.
        retired: older keys; they only verify what was made with them (entries
            not yet re-keyed, digests taken before a rotation).
        legacy: the key of what was written before key ids existed (entries,
            heads and markers with no key id); default: the current key. It must
            be the current key or one of the retired keys.

    Raises:
        ValidationError: a key that is not non-empty bytes (``invalid_key``), or
            a key given twice (HMAC pads a short key with zero bytes, so ``b"k"``
            and ``b"k\\x00"`` are one key) or a legacy key not in the ring
            (``invalid_key_ring``).
    """

    __slots__ = ("_by_id", "_current", "_legacy", "_retired")
    _by_id: dict[str, bytes]
    _current: bytes
    _legacy: bytes
    _retired: tuple[bytes, ...]

    def __init__(
        self, current: bytes, retired: Iterable[bytes] = (), legacy: bytes | None = None
    ) -> None:
        now = _check_key(current, "current")
        if isinstance(retired, bytes | bytearray | str) or not isinstance(retired, Iterable):
            raise ValidationError(
                "retired must be a sequence of keys", field="retired", code="invalid_key"
            )
        old = tuple(_check_key(k, "retired") for k in retired)
        by_id: dict[str, bytes] = {}
        for key in (now, *old):
            kid = key_id(key)
            assert kid is not None
            if kid in by_id:
                raise ValidationError(
                    "a key appears twice in the ring", field="retired", code="invalid_key_ring"
                )
            by_id[kid] = key
        unlabelled = now if legacy is None else _check_key(legacy, "legacy")
        if key_id(unlabelled) not in by_id:
            raise ValidationError(
                "the legacy key must be the current key or a retired key",
                field="legacy",
                code="invalid_key_ring",
            )
        object.__setattr__(self, "_current", now)
        object.__setattr__(self, "_retired", old)
        object.__setattr__(self, "_legacy", unlabelled)
        object.__setattr__(self, "_by_id", by_id)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("LedgerKeys is immutable")

    @property
    def current(self) -> bytes:
        """The key new things are made with."""
        return self._current

    @property
    def retired(self) -> tuple[bytes, ...]:
        """The retired keys, which only verify."""
        return self._retired

    @property
    def legacy(self) -> bytes:
        """The key of entries, heads and markers written with no key id."""
        return self._legacy

    @property
    def current_id(self) -> str:
        """The key id of the current key."""
        kid = key_id(self._current)
        assert kid is not None
        return kid

    @property
    def ids(self) -> tuple[str, ...]:
        """The key ids of the ring: the current key's first, then the retired keys'."""
        return tuple(self._by_id)

    def key_for(self, kid: str | None) -> bytes | None:
        """The key whose id is ``kid`` (``None``: the legacy key); ``None`` if unknown."""
        if kid is None:
            return self._legacy
        return self._by_id.get(kid)

    def rotated(self, new: bytes) -> LedgerKeys:
        """This ring with ``new`` as the current key and the current key retired.

        Example:
            >>> ring = LedgerKeys(b"a" * 32).rotated(b"b" * 32)
            >>> ring.current == b"b" * 32, ring.retired == (b"a" * 32,)
            (True, True)
        """
        return LedgerKeys(new, (self._current, *self._retired), self._legacy)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LedgerKeys):
            return NotImplemented
        return self.ids == other.ids and key_id(self._legacy) == key_id(other._legacy)

    def __hash__(self) -> int:
        return hash((self.ids, key_id(self._legacy)))

    def __repr__(self) -> str:
        retired = ", ".join(repr(k) for k in self.ids[1:])
        return f"LedgerKeys(current_id={self.current_id!r}, retired_ids=({retired}))"


def as_ledger_keys(key: bytes | LedgerKeys | None) -> LedgerKeys | None:
    """``key`` as a ring: ``None`` stays ``None``, bytes become a ring of that key alone.

    Raises:
        ValidationError: anything else (``invalid_key``).
    """
    if key is None or isinstance(key, LedgerKeys):
        return key
    if not isinstance(key, bytes | bytearray):
        raise ValidationError(
            "ledger key must be bytes or LedgerKeys", field="key", code="invalid_key"
        )
    return LedgerKeys(bytes(key))
