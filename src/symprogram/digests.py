"""Ledger digests: a compact proof of every ledger, kept outside the database.

A :class:`LedgerDigest` records, at an instant, every stream of every ledger of
a program (its name, length and newest hash: a :class:`StreamHead`), the total
number of entries covered (its ``sequence``, which only grows, like a
Certificate Transparency tree size), and a Merkle root over the sorted
``(stream, length, head)`` leaves built as RFC 9162 builds a Merkle Tree Hash. With
the program's ledger key it is also authenticated (HMAC-SHA-256 of its body, and
the key's public fingerprint ``key_id``).

The host keeps it *outside* the database (a log line: :meth:`LedgerDigest.to_text`,
object storage, another database), as AWS QLDB users keep a digest. Later
``verify(..., against=digest)`` proves that every stream the digest covered is
still present, at least as long, and still has the covered hash at the covered
length, so today's ledger extends it: truncation, a stream rolled back to an
older head (from a backup), and any deleted, reordered or rewritten entry the
digest covered are detected, even by someone holding the database and not the key.

Example:
    >>> from symprogram import Program
    >>> with Program.in_memory(ledger_key=b"k" * 32) as program:
    ...     _ = program.consent.grant("c-1", "special_offers", channel="web_form",
    ...                               evidence="box ticked")
    ...     digest = LedgerDigest.from_text(program.digest().to_text())
    ...     (digest.sequence, program.verify_all(against=digest).ok)
    (1, True)
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hashlib
import hmac
import itertools
import secrets
import zlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import attrs

from symprogram.clock import ensure_utc
from symprogram.errors import IntegrityError, ValidationError
from symprogram.ledger import Ledger, Outcome, Verification
from symprogram.ledger_keys import LedgerKeys, as_ledger_keys, key_id
from symprogram.persistence import Store, Transaction, check_key
from symprogram.serialization import canonical_json, json_value

__all__ = [
    "DIGEST_FORMAT",
    "STORE_ID_KIND",
    "LedgerDigest",
    "LedgersVerification",
    "StreamHead",
    "digest_ledgers",
    "ensure_store_id",
    "merkle_root",
    "read_store_id",
]

DIGEST_FORMAT = 2
"""The version of the digest's layout (and of its text form); 2 adds the store id.
Digests of version 1 (no store id) are still read and verified."""
_FORMATS = (1, DIGEST_FORMAT)
STORE_ID_KIND = "ledger_store_id"
"""The record kind of a store's identity: one record (key ``"store"``) holding a random
id made the first time a digest of the store is taken."""
_STORE_KEY = "store"
_TEXT_PREFIX = "symprogram-digest-v1:"
_PAGE = 500


def _is_hex64(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) == 64
        and all(ch in "0123456789abcdef" for ch in value)
    )


def _check_head_hash(_instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if not _is_hex64(value):
        raise ValidationError(
            f"{attribute.name} must be 64 lower-case hex digits",
            field=attribute.name,
            code="invalid_digest",
        )


def _check_length(_instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationError(
            f"{attribute.name} must be a whole number, 0 or more",
            field=attribute.name,
            code="invalid_digest",
        )


def _check_stream(_instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or ":" not in value:
        raise ValidationError(
            "stream must be a stream name (<ledger>:<subject>)",
            field=attribute.name,
            code="invalid_digest",
        )


@attrs.frozen
class StreamHead:
    """What a digest covered of one stream: its name, length and newest hash.

    Attributes:
        stream: ``"<ledger>:<subject>"``, e.g. ``"consent:cust-1"``.
        length: the entries covered (1 or more).
        head: the hash of entry ``length``.
    """

    stream: str = attrs.field(validator=_check_stream)
    length: int = attrs.field(validator=_check_length)
    head: str = attrs.field(validator=_check_head_hash)

    def leaf(self) -> bytes:
        """The Merkle leaf's data: ``canonical_json([stream, length, head])`` in UTF-8."""
        return canonical_json([self.stream, self.length, self.head]).encode("utf-8")


def merkle_root(leaves: Sequence[bytes]) -> str:
    """The RFC 9162 Merkle Tree Hash of ``leaves`` (hex).

    ``SHA-256()`` of nothing for no leaf; ``SHA-256(0x00 || leaf)`` for one;
    ``SHA-256(0x01 || left || right)`` for more, splitting at the largest power of
    two smaller than the count.

    Raises:
        ValidationError: ``leaves`` is not a sequence of bytes (``invalid_digest``).

    Example:
        >>> merkle_root([]) == hashlib.sha256(b"").hexdigest()
        True
    """
    if (
        isinstance(leaves, str | bytes)
        or not isinstance(leaves, Sequence)
        or not all(isinstance(leaf, bytes | bytearray | memoryview) for leaf in leaves)
    ):
        raise ValidationError(
            "leaves must be a sequence of bytes", field="leaves", code="invalid_digest"
        )
    if not leaves:
        return hashlib.sha256(b"").hexdigest()
    return _subtree(leaves, 0, len(leaves)).hex()


def _subtree(leaves: Sequence[bytes], start: int, end: int) -> bytes:
    count = end - start
    if count == 1:
        return hashlib.sha256(b"\x00" + leaves[start]).digest()
    split = 1 << ((count - 1).bit_length() - 1)
    left = _subtree(leaves, start, start + split)
    right = _subtree(leaves, start + split, end)
    return hashlib.sha256(b"\x01" + left + right).digest()


def _check_streams(_instance: Any, _attribute: Any, value: object) -> None:
    if not isinstance(value, tuple) or not all(isinstance(h, StreamHead) for h in value):
        raise ValidationError(
            "streams must be a tuple of StreamHead", field="streams", code="invalid_digest"
        )
    names = [h.stream for h in value]
    if any(a >= b for a, b in itertools.pairwise(names)):
        raise ValidationError(
            "streams must be sorted by name, each once", field="streams", code="invalid_digest"
        )


def _check_optional_hex(_instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not (isinstance(value, str) and value.isalnum()):
        raise ValidationError(
            f"{attribute.name} must be hex digits or None",
            field=attribute.name,
            code="invalid_digest",
        )


def _utc(value: object) -> datetime:
    try:
        return ensure_utc(value, field="at")
    except ValidationError as exc:
        raise ValidationError(str(exc.message), field="at", code="invalid_digest") from exc


@attrs.frozen
class LedgerDigest:
    """A compact, authenticated record of every ledger stream at an instant.

    Made by :meth:`Program.digest <symprogram.Program.digest>`; keep it outside the
    database and pass it to ``verify(..., against=digest)`` later.

    Attributes:
        sequence: the entries covered, across every stream (only grows).
        at: when the digest was made (UTC).
        streams: every covered stream's :class:`StreamHead`, sorted by name.
        root: the Merkle root (:func:`merkle_root`) of the streams' leaves.
        key_id: the fingerprint of the key that authenticated it, or ``None``.
        mac: HMAC-SHA-256 of the digest's body under the key, or ``None``.
        version: the layout version (:data:`DIGEST_FORMAT`; 1 is still read).
        store_id: the identity of the store it was taken of (:func:`ensure_store_id`),
            or ``None`` (a version 1 digest, or one made without a store).

    Raises:
        ValidationError: a malformed field (``invalid_digest``).
    """

    sequence: int = attrs.field(validator=_check_length)
    at: datetime = attrs.field(converter=_utc)
    streams: tuple[StreamHead, ...] = attrs.field(validator=_check_streams)
    root: str = attrs.field(validator=_check_head_hash)
    key_id: str | None = attrs.field(default=None, validator=_check_optional_hex)
    mac: str | None = attrs.field(default=None, validator=_check_optional_hex)
    version: int = attrs.field(default=DIGEST_FORMAT)
    store_id: str | None = attrs.field(default=None, validator=_check_optional_hex)
    _names: tuple[str, ...] = attrs.field(init=False, eq=False, repr=False, hash=False)
    _proved: set[str] = attrs.field(init=False, eq=False, repr=False, hash=False, factory=set)

    def __attrs_post_init__(self) -> None:
        if self.version not in _FORMATS or (self.version == 1 and self.store_id is not None):
            raise ValidationError(
                f"unknown digest version {self.version!r}",
                field="version",
                code="invalid_digest",
            )
        object.__setattr__(self, "_names", tuple(h.stream for h in self.streams))

    # -- making ------------------------------------------------------------------
    @classmethod
    def make(
        cls,
        heads: Iterable[StreamHead],
        *,
        at: datetime,
        key: bytes | None = None,
        store_id: str | None = None,
    ) -> LedgerDigest:
        """The digest of ``heads`` at ``at``, authenticated with ``key`` when given,
        naming the store ``store_id`` when given.

        Raises:
            ValidationError: a ``key`` that is not non-empty bytes (``invalid_key``,
                field ``key``); ``heads`` not an iterable of :class:`StreamHead`, or
                naming a stream twice (``invalid_digest``, field ``streams``).
        """
        listed = tuple(heads) if isinstance(heads, Iterable) else None
        if listed is None or not all(isinstance(h, StreamHead) for h in listed):
            raise ValidationError(
                "heads must be an iterable of StreamHead", field="streams", code="invalid_digest"
            )
        streams = tuple(sorted(listed, key=lambda h: h.stream))
        root = merkle_root([h.leaf() for h in streams])
        sequence = sum(h.length for h in streams)
        unsigned = cls(sequence, at, streams, root, key_id(key), store_id=store_id)
        if key is None:
            return unsigned
        return attrs.evolve(unsigned, mac=_mac(key, unsigned._body()))

    def _body(self) -> bytes:
        body: list[object] = [
            "ledger_digest", self.version, self.sequence, self.at.isoformat(), self.root,
            self.key_id, len(self.streams),
        ]  # fmt: skip
        if self.version >= 2:
            body.append(self.store_id)
        return canonical_json(body).encode("utf-8")

    # -- reading -----------------------------------------------------------------
    def head(self, stream: str) -> StreamHead | None:
        """What the digest covered of ``stream`` (``None``: the stream was not covered)."""
        i = bisect.bisect_left(self._names, stream)
        if i < len(self._names) and self._names[i] == stream:
            return self.streams[i]
        return None

    def covered(self, prefix: str = "") -> tuple[StreamHead, ...]:
        """The covered streams whose name starts with ``prefix`` (e.g. ``"consent:"``)."""
        start = bisect.bisect_left(self._names, prefix)
        end = start
        while end < len(self._names) and self._names[end].startswith(prefix):
            end += 1
        return self.streams[start:end]

    def ledgers(self) -> tuple[str, ...]:
        """The names of the ledgers with a covered stream, sorted."""
        return tuple(sorted({name.split(":", 1)[0] for name in self._names}))

    def unextended(self, older: LedgerDigest) -> tuple[str, ...]:
        """The streams ``older`` covered that this (newer) digest does not extend.

        A stream is extended when this digest covers it, at least as long, and with
        the same head when the length is the same: the check a Certificate
        Transparency monitor makes between two tree heads, on the digests alone
        (only verifying against the ledger also proves the entries in between).
        Authenticate both digests first.

        Example:
            >>> from datetime import datetime, timezone
            >>> at = datetime(2012, 3, 1, tzinfo=timezone.utc)
            >>> old = LedgerDigest.make([StreamHead("history:S", 2, "a" * 64)], at=at)
            >>> new = LedgerDigest.make([StreamHead("history:S", 1, "b" * 64)], at=at)
            >>> new.unextended(old)
            ('history:S',)
        """
        found: list[str] = []
        for covered in older.streams:
            now = self.head(covered.stream)
            if (
                now is None
                or now.length < covered.length
                or (now.length == covered.length and now.head != covered.head)
            ):
                found.append(covered.stream)
        return tuple(found)

    # -- proving -----------------------------------------------------------------
    def authenticate(self, key: bytes | LedgerKeys | None) -> None:
        """Check that this digest is whole and was made with ``key`` (or both without one).

        With a key ring (:class:`~symprogram.ledger_keys.LedgerKeys`), the key the
        digest names by its ``key_id`` is used: the current key or a retired one,
        so a digest taken before a rotation still verifies. The Merkle root and
        sequence are recomputed from the streams, and with a key the MAC is
        checked; an answer is remembered, so checking a digest once per stream
        costs one pass.

        Raises:
            ValidationError: the digest was made with a key the ring does not hold,
                or without one while ``key`` is given, or the other way round
                (``digest_key_mismatch``).
            IntegrityError: the digest was altered (``digest_forged``).
        """
        ring = as_ledger_keys(key)
        chosen = None if ring is None or self.key_id is None else ring.key_for(self.key_id)
        wanted = key_id(chosen) if ring is not None else None
        proved = wanted or ""
        if wanted != self.key_id or (ring is not None and chosen is None):
            raise ValidationError(
                "the digest was made by another program or with another ledger key",
                field="against",
                code="digest_key_mismatch",
                details={
                    "digest_key_id": self.key_id,
                    "key_id": None if ring is None else ring.current_id,
                    "key_ids": [] if ring is None else list(ring.ids),
                },
            )
        if proved in self._proved:
            return
        forged = (
            merkle_root([h.leaf() for h in self.streams]) != self.root
            or sum(h.length for h in self.streams) != self.sequence
            or (chosen is None) != (self.mac is None)
            or (
                chosen is not None
                and not hmac.compare_digest(_mac(chosen, self._body()), str(self.mac))
            )
        )
        if forged:
            raise IntegrityError(
                "the digest was altered: its root or authentication does not match",
                code="digest_forged",
            )
        self._proved.add(proved)

    def check_store(self, tx: Transaction) -> None:
        """Check that this digest was taken of the store ``tx`` reads (when it names one).

        A digest without a store id (version 1) is not checked.

        Raises:
            ValidationError: the digest names another store, or the store has no
                identity (``digest_store_mismatch``).
        """
        if self.store_id is None:
            return
        found = read_store_id(tx)
        if found != self.store_id:
            raise ValidationError(
                "the digest was taken of another store",
                field="against",
                code="digest_store_mismatch",
                details={"digest_store_id": self.store_id, "store_id": found},
            )

    # -- text --------------------------------------------------------------------
    def to_text(self) -> str:
        """One line of ASCII for a log or a file: the digest, compressed.

        Example:
            >>> from datetime import datetime, timezone
            >>> d = LedgerDigest.make([], at=datetime(2012, 3, 1, tzinfo=timezone.utc))
            >>> LedgerDigest.from_text(d.to_text()) == d
            True
        """
        body = {
            "version": self.version,
            "sequence": self.sequence,
            "at": self.at.isoformat(),
            "root": self.root,
            "key_id": self.key_id,
            "mac": self.mac,
            "streams": [[h.stream, h.length, h.head] for h in self.streams],
        }
        if self.version >= 2:
            body["store_id"] = self.store_id
        packed = zlib.compress(canonical_json(body).encode("utf-8"), 9)
        return _TEXT_PREFIX + base64.urlsafe_b64encode(packed).decode("ascii")

    @classmethod
    def from_text(cls, text: str) -> LedgerDigest:
        """The digest :meth:`to_text` wrote.

        Raises:
            ValidationError: not a digest's text, or a malformed one (``invalid_digest``).
        """
        try:
            if not isinstance(text, str) or not text.startswith(_TEXT_PREFIX):
                raise ValueError("not a digest")
            packed = base64.urlsafe_b64decode(text[len(_TEXT_PREFIX) :].strip().encode("ascii"))
            raw = json_value(zlib.decompress(packed).decode("utf-8"))
            return cls(
                sequence=raw["sequence"],
                at=datetime.fromisoformat(raw["at"]),
                streams=tuple(StreamHead(s, n, h) for s, n, h in raw["streams"]),
                root=raw["root"],
                key_id=raw["key_id"],
                mac=raw["mac"],
                version=raw["version"],
                store_id=raw.get("store_id"),
            )
        except ValidationError as exc:
            raise ValidationError(
                f"not a valid ledger digest: {exc.message}", field="text", code="invalid_digest"
            ) from exc
        except (ValueError, KeyError, TypeError, binascii.Error, zlib.error) as exc:
            raise ValidationError(
                "not a ledger digest's text", field="text", code="invalid_digest"
            ) from exc


def _mac(key: bytes, body: bytes) -> str:
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def read_store_id(tx: Transaction) -> str | None:
    """The store's identity as ``tx`` sees it (``None``: no digest was ever taken of it)."""
    record = tx.load(STORE_ID_KIND, _STORE_KEY)
    return None if record is None else str(record.data)


def ensure_store_id(store: Store) -> str:
    """The store's identity, made (32 random hex digits) and saved the first time.

    Kept as one record of kind :data:`STORE_ID_KIND` through the storage port; two
    processes making it at once agree on the one saved first.
    """
    from symprogram.errors import ConcurrencyError

    with store.transaction(readonly=True) as tx:
        found = read_store_id(tx)
    if found is not None:
        return found
    try:
        with store.transaction() as tx:
            found = read_store_id(tx)
            if found is None:
                found = secrets.token_hex(16)
                tx.save(STORE_ID_KIND, _STORE_KEY, found, 0)
    except ConcurrencyError:
        with store.transaction(readonly=True) as tx:
            found = read_store_id(tx)
    assert found is not None
    return found


def digest_ledgers(
    tx: Transaction,
    ledgers: Iterable[Ledger],
    *,
    at: datetime,
    key: bytes | None,
    store_id: str | None = None,
) -> LedgerDigest:
    """The digest of every stream of ``ledgers`` as ``tx`` sees them, at ``at``.

    Reads each stream's head (one record per stream), a page of heads at a time.
    ``store_id`` names the store (see :func:`ensure_store_id`).

    Raises:
        IntegrityError: a stream head is unreadable or not authenticated by the key
            (``ledger_corrupt``): verify the ledgers before taking a digest.
    """
    heads: list[StreamHead] = []
    for ledger in ledgers:
        prefix = ledger.name + ":"
        after: str | None = None
        while True:
            names = tx.streams(prefix=prefix, after=after, limit=_PAGE)
            found = ledger.heads(tx, [_subject_of(name, prefix) for name in names])
            heads.extend(
                StreamHead(name, length, chain)
                for name, (length, chain) in zip(names, found, strict=True)
                if length
            )
            if len(names) < _PAGE:
                break
            after = names[-1]
    return LedgerDigest.make(heads, at=at, key=key, store_id=store_id)


def _subject_of(stream: str, prefix: str) -> str:
    """The subject of a stored stream name.

    Raises:
        IntegrityError: a name no subject can have, written by hand (``ledger_corrupt``).
    """
    try:
        return check_key(stream[len(prefix) :], "subject")
    except ValidationError as error:
        raise IntegrityError(
            f"the stream {stream!r} is named for no subject: verify the ledgers",
            code="ledger_corrupt",
            details={"stream": stream},
        ) from error


@attrs.frozen
class LedgersVerification(Outcome):
    """The result of verifying every ledger of a program (``Program.verify_all``).

    Attributes:
        ledgers: the names of the ledgers verified.
        failures: one :class:`~symprogram.ledger.Verification` per stream with a
            problem, its ``subject`` the stream name (``"consent:cust-1"``).
        against: the digest verified against, or ``None``.
    """

    ledgers: tuple[str, ...]
    failures: tuple[Verification, ...] = ()
    against: LedgerDigest | None = attrs.field(default=None, repr=False)

    def _found(self) -> tuple[Verification, ...]:
        return self.failures

    @property
    def key_mismatch(self) -> bool:
        """True when streams failed and every one only with key problems
        (:attr:`Verification.key_mismatch <symprogram.ledger.Verification.key_mismatch>`):
        written with a key the verifying ring does not hold, not evidence of tampering."""
        return bool(self.failures) and all(f.key_mismatch for f in self.failures)

    def raise_for_problems(self) -> None:
        """Raise :class:`IntegrityError` for the first failure, a tampered stream first.

        Raises:
            IntegrityError: ``ledger_tampered`` when a stream has a problem other
                than of the key; else ``ledger_key_unknown`` (see
                :meth:`Verification.raise_for_problems
                <symprogram.ledger.Verification.raise_for_problems>`).
        """
        for failure in sorted(self.failures, key=lambda f: f.key_mismatch):
            failure.raise_for_problems()
