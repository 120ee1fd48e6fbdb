"""One verifying pass over a ledger stream (private; :meth:`symprogram.ledger.Ledger.verify`).

Every entry is checked in order with the key its key id names: its position, its
link to the previous entry, its data against its digest (or its erasure marker),
its chain hash (or, once re-keyed, its seal); then the stream head and, with a
kept digest, what the digest covered. A key id the verifying ring does not hold
is a :class:`~symprogram.ledger.KeyUnknown` problem, never an altered entry.

The anchored reads (:func:`said_at_head`, :func:`replay`) check every entry they
replay the same way, and refuse a stream with any problem: an entry whose data was
edited while its hash was left alone is never decided with. An entry already
checked as it is stored (the same text at the same position of the same stream,
under the same key ring) is remembered, process-wide, and not checked again.
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
    _unreadable_entry,
)
from symprogram.persistence import Transaction
from symprogram.serialization import canonical_json, json_value

if TYPE_CHECKING:
    from symprogram.digests import LedgerDigest, StreamHead
    from symprogram.ledger_keys import LedgerKeys

__all__ = ["replay", "require_at_head", "said_at_head", "verify_stream"]

_VOUCHED: dict[str, tuple[LedgerKeys | None, str, int]] = {}
"""The entries an anchored read checked and found authentic, process-wide: each
stored text (compared whole: any edit of it is another text) with the key ring
that checked it, its stream and its position, so a warm read checks its link only."""
_VOUCHED_LIMIT = 8192
"""How many checked entries are remembered before the memo starts afresh."""


class _Walk:
    """The state of one streaming pass over a stream."""

    __slots__ = ("covered", "covered_hash", "expected", "last", "ledger", "prev", "problems")

    def __init__(self, ledger: Ledger, covered: StreamHead | None) -> None:
        self.ledger = ledger
        self.problems: list[Problem] = []
        self.prev: str | None = GENESIS  # None: the first entry read links to one unread
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
    _check_position(walk, position)
    try:
        _check_raw(walk, stream, subject, position, json_value(text))
    except (ValueError, KeyError, TypeError, AttributeError, ValidationError):
        walk.problems.append(Problem(position, "unreadable", "the entry cannot be parsed"))
        walk.prev = ""
    if walk.covered is not None and position == walk.covered.length:
        walk.covered_hash = walk.prev


def _check_position(walk: _Walk, position: int) -> None:
    walk.last = position
    if position != walk.expected:
        walk.problems.append(Problem(walk.expected, "gap", f"entry {walk.expected} is missing"))
    walk.expected = position + 1


def _check_raw(walk: _Walk, stream: str, subject: str, position: int, raw: Any) -> None:
    """Check the parsed entry ``raw``: its data (or erasure), link and hash.

    Raises:
        ValueError, KeyError, TypeError, AttributeError, ValidationError: unreadable.
    """
    try:
        digest = str(raw["digest"])
        _check_data(walk, stream, position, raw, digest)
        at = ensure_utc(datetime.fromisoformat(raw["at"])).isoformat()
        _check_link(walk, position, raw)
        if not _authentic(walk.ledger, raw, subject, position, at, digest):
            walk.problems.append(Problem(position, "hash_mismatch", "the entry was altered"))
    except _UnknownKey as exc:
        walk.key_unknown(position, exc.args[0], "made with")
    walk.prev = str(raw["hash"])


def _check_link(walk: _Walk, position: int, raw: Any) -> None:
    if walk.prev is not None and raw["prev"] != walk.prev:
        walk.problems.append(Problem(position, "broken_link", "does not follow the previous entry"))


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


def said_at_head(
    ledger: Ledger,
    tx: Transaction,
    subject: str,
    after: int,
    instants: list[datetime] | None = None,
) -> tuple[tuple[str, dict[str, Any] | None], ...]:
    """The ``(kind, data)`` of ``subject``'s entries after ``after``, oldest first, if
    they end where the stream head says and each is authentic (:meth:`Ledger.said_entries
    <symprogram.ledger.Ledger.said_entries>`): the head is read first (one point
    read), then the entries, each checked (:func:`replay`). With ``instants``, each
    entry's instant is appended to it, in the same order.

    Raises:
        IntegrityError: an entry or the head cannot be read (``ledger_corrupt``,
            ``ledger_key_unknown``); the entries do not end at the head, or one of
            them is not as it was written (``ledger_tampered``).
    """
    stream = ledger.stream(subject)
    head = ledger._head(tx, subject, stream)[:2]
    said: list[tuple[str, dict[str, Any] | None]] = []
    for position, raw in replay(ledger, tx, subject, stream, head, after=after):
        try:
            kind, data = raw["kind"], raw["data"]
            if not isinstance(kind, str) or not (data is None or isinstance(data, dict)):
                raise TypeError("not an entry")
            if instants is not None:
                instants.append(ensure_utc(datetime.fromisoformat(raw["at"])))
        except (ValueError, KeyError, TypeError, AttributeError, ValidationError) as exc:
            raise _unreadable_entry(subject, position) from exc
        said.append((kind, data))
    return tuple(said)


def replay(
    ledger: Ledger,
    tx: Transaction,
    subject: str,
    stream: str,
    head: tuple[int, str],
    *,
    after: int = 0,
) -> list[tuple[int, Any]]:
    """``subject``'s entries after ``after`` (its ``stream``), oldest first, as
    ``(position, parsed entry)``, for an anchored read: each checked as
    :meth:`Ledger.verify <symprogram.ledger.Ledger.verify>` checks it (its data
    against its digest, or its erasure marker; its hash, or seal, with the key its
    key id names; its link to the entry before it), the newest ending where ``head``
    (``(length, hash)``, read in ``tx`` before the entries) says
    (:func:`require_at_head`). An entry found authentic before, as it is stored now,
    has its link checked only (``_VOUCHED``).

    Raises:
        IntegrityError: an entry cannot be read (``ledger_corrupt``); the entries do
            not end at the head, or one of them fails its check (``ledger_tampered``;
            details: the ``problems``, as ``verify`` reports them), or an entry names
            a key id the ring does not hold and nothing else is wrong
            (``ledger_key_unknown``): an entry nobody can vouch for is never replayed.
    """
    walk = _Walk(ledger, None)
    walk.expected = after + 1
    walk.prev = None if after else GENESIS
    ring = ledger.keys
    read: list[tuple[int, Any]] = []
    last, chain = after, None
    for last, text in _read_stream(tx, stream, after):
        try:
            raw = json_value(text)
            _vouch(walk, ring, stream, subject, last, text, raw)
            chain = raw["hash"]
        except (ValueError, KeyError, TypeError, AttributeError, ValidationError) as exc:
            raise _unreadable_entry(subject, last) from exc
        read.append((last, raw))
    require_at_head(ledger, tx, subject, head, after=after, read=len(read), last=last, chain=chain)
    if walk.problems:
        Verification(subject, last, tuple(walk.problems)).raise_for_problems()
    return read


def _vouch(
    walk: _Walk,
    ring: LedgerKeys | None,
    stream: str,
    subject: str,
    position: int,
    text: str,
    raw: Any,
) -> None:
    """Check the entry ``raw`` (stored as ``text``) as ``verify`` does, its position
    and link always, the rest only when it was not found authentic before as stored
    (then remember it)."""
    found = len(walk.problems)
    _check_position(walk, position)
    held = _VOUCHED.get(text)
    if (
        held is not None
        and held[2] == position
        and held[1] == stream
        and (held[0] is ring or held[0] == ring)
    ):
        _check_link(walk, position, raw)
        walk.prev = str(raw["hash"])
        return
    _check_raw(walk, stream, subject, position, raw)
    if len(walk.problems) == found:
        if len(_VOUCHED) >= _VOUCHED_LIMIT:
            _VOUCHED.clear()  # kept bounded: start afresh
        _VOUCHED[text] = (ring, stream, position)


def require_at_head(
    ledger: Ledger,
    tx: Transaction,
    subject: str,
    head: tuple[int, str],
    *,
    after: int,
    read: int,
    last: int,
    chain: object,
) -> None:
    """Refuse entries read for an anchored read that do not end where the stream head says.

    ``head`` is ``(length, hash)``, read in ``tx`` *before* the entries; ``read``
    entries were read after position ``after``, the newest at position ``last``
    with chain hash ``chain``. They must be the entries ``after + 1`` to the head's
    length, the newest with the head's hash: a stream whose newest entries were
    deleted (or whose entry is missing, or that goes on past its head) vouches for
    nothing, as :meth:`Ledger.verify` reports it (``truncated``, ``gap``). On a
    mismatch the head is read once more: a read joining a writer's unit of work on a
    server (READ COMMITTED) sees an append committed between the head's read and the
    entries' as entries past the head; read again, the two agree.

    Raises:
        IntegrityError: ``ledger_tampered`` (details: the ``problems``, as
            :meth:`~symprogram.ledger.Verification.raise_for_problems` gives them), or
            the head's own codes (``ledger_corrupt``, ``ledger_key_unknown``).
    """
    length, head_hash = head
    if _at_head(length, head_hash, after, read, last, chain):
        return
    length, head_hash, _ = ledger._head(tx, subject)
    if _at_head(length, head_hash, after, read, last, chain):
        return
    if read and last == length and chain == head_hash:
        problem = Problem(last, "gap", "an entry before the newest is missing")
    else:
        message = f"the stream head records {length} entries, {last} were found"
        problem = Problem(last, "truncated", message)
    Verification(subject, last, (problem,)).raise_for_problems()


def _at_head(length: int, head_hash: str, after: int, read: int, last: int, chain: object) -> bool:
    """Whether ``read`` entries after ``after``, the newest at ``last`` with hash
    ``chain``, are the stream up to a head of ``length`` entries ending at ``head_hash``
    (none when ``after`` is the head's length or beyond)."""
    if read != max(length - after, 0):
        return False
    return not read or (last == length and chain == head_hash)
