"""The text and hashes of ledger entries, heads and erasure markers (private to the ledger).

The stored forms :class:`symprogram.ledger.Ledger` writes and checks: the chain
body an entry's hash covers, an entry's canonical text, the salted data digest,
the head's MAC and the erasure marker, each made with a given key (HMAC-SHA-256)
or without one (SHA-256).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from symprogram.serialization import canonical_json

# What ``json.dumps(..., ensure_ascii=False)`` (and so ``canonical_json``) writes for a str.
_json_str: Callable[[str], str] = json.encoder.encode_basestring

# The encoder ``canonical_json`` builds on every call (the same options, so the same
# text), built once: ``json.dumps`` with any option constructs a new one each time.
_canonical: Callable[[Any], str] = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False
).encode


def _chain_body(
    prev_hash: object, subject: object, position: object, kind: object, at: object, digest: object
) -> str:
    """``canonical_json([prev_hash, subject, position, kind, at, digest])``, built
    directly (same text) when the values have their usual types."""
    if (
        prev_hash.__class__ is str
        and subject.__class__ is str
        and position.__class__ is int
        and kind.__class__ is str
        and at.__class__ is str
        and digest.__class__ is str
    ):
        return (
            f"[{_json_str(prev_hash)},{_json_str(subject)},{position},"
            f"{_json_str(kind)},{_json_str(at)},{_json_str(digest)}]"
        )
    return canonical_json([prev_hash, subject, position, kind, at, digest])


def _entry_text(
    kind: str,
    at: str,
    data_json: str,
    salt: str,
    digest: str,
    prev_hash: str,
    chain: str,
    kid: str | None = None,
) -> str:
    """The stored entry: ``canonical_json`` of its fields (keys sorted), with the data's
    canonical JSON text ``data_json`` spliced in rather than encoded a second time."""
    key = "" if kid is None else f'"key":{_json_str(kid)},'
    return (
        f'{{"at":{_json_str(at)},"data":{data_json},"digest":{_json_str(digest)},'
        f'"hash":{_json_str(chain)},{key}"kind":{_json_str(kind)},"prev":{_json_str(prev_hash)},'
        f'"salt":{_json_str(salt)}}}'
    )


def _data_digest(salt: str, data_json: str) -> str:
    """The salted digest of an entry's data (its canonical JSON text); the chain covers it."""
    return hashlib.sha256((salt + data_json).encode("utf-8")).hexdigest()


def _mac(key: bytes | None, body: str) -> str:
    """HMAC-SHA-256 of ``body`` under ``key``; SHA-256 without a key."""
    encoded = body.encode("utf-8")
    if key is not None:
        return hmac.new(key, encoded, hashlib.sha256).hexdigest()
    return hashlib.sha256(encoded).hexdigest()


def _marker(
    key: bytes | None, stream: str, position: int, digest: str, chain: str, adopted: str | None
) -> str:
    """An erasure marker: binds the erasure to its entry (stream, position, digest, hash),
    so a marker cannot be moved to another entry, and without the key it cannot be made.
    An adopted erasure (made before markers existed) also binds when it was adopted."""
    body: list[object] = ["erased", stream, position, digest, chain]
    if adopted is not None:
        body.append(adopted)
    return _mac(key, canonical_json(body))


def _seal(
    key: bytes | None,
    prev_hash: str,
    subject: str,
    position: int,
    kind: str,
    at: str,
    digest: str,
    chain: str,
) -> str:
    """A re-keyed entry's seal: a MAC under the new key of everything the chain hash
    covers *and* the hash itself, so the entry keeps its hash (digests taken before
    still match it) and no longer needs the old key to be verified."""
    return _mac(
        key, canonical_json(["sealed", prev_hash, subject, position, kind, at, digest, chain])
    )


def _head_mac(key: bytes | None, stream: str, length: int, chain: str) -> str | None:
    """The head's MAC (``None`` without a key): with a key, removing the newest entries
    and rolling the head back to an older (visible) hash is detected."""
    if key is None:
        return None
    body = canonical_json(["head", stream, length, chain]).encode("utf-8")
    return hmac.new(key, body, hashlib.sha256).hexdigest()
