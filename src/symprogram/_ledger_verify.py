"""One verifying pass over a ledger stream (private; :meth:`symprogram.ledger.Ledger.verify`).

Every entry is checked in order with the key its key id names: its position, its
link to the previous entry, its data against its digest (or its erasure marker),
its chain hash (or, once re-keyed, its seal); then the stream head and, with a
kept digest, what the digest covered. A key id the verifying ring does not hold
is a :class:`~symprogram.ledger.KeyUnknown` problem, never an altered entry.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import TYPE_CHECKING, Any

from symprogram._ledger_text import _chain_body, _data_digest, _mac, _marker, _seal
from symprogram.clock import ensure_utc
from symprogram.errors import IntegrityError, ValidationError
from symprogram.ledger import (
    GENESIS,
    KeyUnknown,
    Ledger,
    Problem,
    Verification,
    _read_stream,
    _UnknownKey,
)
from symprogram.persistence import Transaction
from symprogram.serialization import canonical_json, json_value

if TYPE_CHECKING:
    from symprogram.digests import LedgerDigest, StreamHead

__all__ = ["verify_stream"]


class _Walk:
    """The state of one streaming pass over a stream."""

    __slots__ = ("covered", "covered_hash", "expected", "last", "ledger", "prev", "problems")

    def __init__(self, ledger: Ledger, covered: StreamHead | None) -> None:
        self.ledger = ledger
        self.problems: list[Problem] = []
        self.prev = GENESIS
        self.expected = 1
        self.last = 0
        self.covered = covered
        self.covered_hash: str | None = None

    def key_unknown(self, position: int, kid: object, what: str) -> None:
        """Report ``what`` at ``position``, made with the key id ``kid`` the ring lacks."""
        keys = self.ledger.keys
        held = () if keys is None else keys.ids
        holds = f"the ring holds {', '.join(held)}" if held else "it verifies without a key"
        self.problems.append(
            KeyUnknown(
                position,
                "ledger_key_unknown",
                f"{what} key id {str(kid)!r}, which the program's key ring does not hold "
                f"({holds}): verify with that key",
                key_id=str(kid),
                key_ids=held,
            )
        )


def verify_stream(
    ledger: Ledger, tx: Transaction, subject: str, *, against: LedgerDigest | None = None
) -> Verification:
    """``ledger``'s stream of ``subject`` verified (see :meth:`Ledger.verify`)."""
    stream = ledger.stream(subject)
    covered = None
    if against is not None:
        ledger.check_digest(against)
        against.check_store(tx)
        covered = against.head(stream)
    walk = _Walk(ledger, covered)
    for position, text in _read_stream(tx, stream, 0):
        _check_entry(walk, stream, subject, position, text)
    _check_head(tx, subject, walk)
    if covered is not None:
        _check_covered(walk, covered)
    return Verification(subject, walk.last, tuple(walk.problems))


def _check_entry(walk: _Walk, stream: str, subject: str, position: int, text: str) -> None:
    problems = walk.problems
    walk.last = position
    if position != walk.expected:
        problems.append(Problem(walk.expected, "gap", f"entry {walk.expected} is missing"))
    walk.expected = position + 1
    try:
        raw = json_value(text)
        digest = str(raw["digest"])
        _check_data(walk, stream, position, raw, digest)
        at = ensure_utc(datetime.fromisoformat(raw["at"])).isoformat()
        if raw["prev"] != walk.prev:
            problems.append(Problem(position, "broken_link", "does not follow the previous entry"))
        if not _authentic(walk.ledger, raw, subject, position, at, digest):
            problems.append(Problem(position, "hash_mismatch", "the entry was altered"))
        walk.prev = str(raw["hash"])
    except _UnknownKey as exc:
        walk.key_unknown(position, exc.args[0], "made with")
        walk.prev = str(raw["hash"])
    except (ValueError, KeyError, TypeError, AttributeError, ValidationError):
        problems.append(Problem(position, "unreadable", "the entry cannot be parsed"))
        walk.prev = ""
    if walk.covered is not None and position == walk.covered.length:
        walk.covered_hash = walk.prev


def _authentic(ledger: Ledger, raw: Any, subject: str, position: int, at: str, digest: str) -> bool:
    """Whether the entry's hash is its chain MAC under its key, or, once re-keyed,
    whether its seal under the sealing key covers its fields and hash."""
    prev, kind, chain = str(raw["prev"]), str(raw["kind"]), raw["hash"]
    seal = raw.get("seal")
    if seal is None:
        body = _chain_body(prev, subject, position, kind, at, digest)
        return bool(_mac(ledger._key_for(raw.get("key")), body) == chain)
    key = ledger._key_for(raw.get("seal_key"))
    expected = _seal(key, prev, subject, position, kind, at, digest, str(chain))
    return isinstance(seal, str) and hmac.compare_digest(seal, expected)


def _check_data(walk: _Walk, stream: str, position: int, raw: Any, digest: str) -> None:
    data, salt = raw["data"], raw["salt"]
    if data is None:
        marker = raw.get("erased")
        adopted = raw.get("erased_adopted")
        try:
            key = walk.ledger._key_for(raw.get("erased_key"))
        except _UnknownKey as exc:
            walk.key_unknown(position, exc.args[0], "erased with")
            return
        when = None if adopted is None else str(adopted)
        expected = _marker(key, stream, position, digest, str(raw["hash"]), when)
        if not isinstance(marker, str) or not hmac.compare_digest(marker, expected):
            walk.problems.append(
                Problem(
                    position,
                    "erasure_forged",
                    "the data was removed without an authenticated erasure",
                )
            )
    elif not isinstance(salt, str) or _data_digest(salt, canonical_json(data)) != digest:
        walk.problems.append(
            Problem(position, "data_altered", "the data does not match its digest")
        )


def _check_head(tx: Transaction, subject: str, walk: _Walk) -> None:
    last = walk.last
    try:
        length, head_hash, _ = walk.ledger._head(tx, subject)
    except IntegrityError as exc:
        if exc.code == "ledger_key_unknown":
            walk.key_unknown(last, exc.details.get("key_id"), "the head names")
            return
        walk.problems.append(
            Problem(last, "head_unreadable", "the stream head cannot be parsed or is forged")
        )
        return
    if length != last or (last and head_hash != walk.prev):
        walk.problems.append(
            Problem(
                last,
                "truncated",
                f"the stream head records {length} entries, {last} were found",
            )
        )


def _check_covered(walk: _Walk, covered: StreamHead) -> None:
    """Report where the stream no longer extends what a digest covered."""
    if walk.last == 0:
        walk.problems.append(
            Problem(
                0,
                "digest_stream_missing",
                f"the digest covered {covered.length} entries; the stream is gone",
            )
        )
    elif walk.last < covered.length:
        walk.problems.append(
            Problem(
                walk.last,
                "digest_truncated",
                f"the digest covered {covered.length} entries, {walk.last} were found",
            )
        )
    elif walk.covered_hash != covered.head:
        walk.problems.append(
            Problem(
                covered.length,
                "digest_head_mismatch",
                f"entry {covered.length} is not the one the digest covered",
            )
        )
