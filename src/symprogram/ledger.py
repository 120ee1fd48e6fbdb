"""The append-only, tamper-evident ledger every context records its events in.

A :class:`Ledger` is a family of streams, one per subject (the account history,
the consent ledger, the entitlements audit): positions 1, 2, 3, ... with no gaps,
each :class:`LedgerEntry` chained to the previous one by a SHA-256 (or, with a
secret key, HMAC-SHA-256) hash. A head record kept beside each stream remembers
the length and last hash (authenticated with the key), so that removing the
newest entries is detected as well as editing, reordering or removing any other.

Personal data can be erased from an entry without breaking the chain: the chain
covers a salted digest of the entry's data, and :meth:`Ledger.erase` drops the
data and the salt but keeps the digest, a pseudonymous proof that *something*
was recorded then, and writes an *erasure marker*: a MAC (with the key) of the
entry's stream, position, digest and hash. Nulling an entry's data without the
key leaves no valid marker, so :meth:`Ledger.verify` reports it
(``erasure_forged``).

What a head and a chain cannot prove alone (a stream rolled back to an older,
authentic state from a backup, or dropped whole) is proved against a
:class:`~symprogram.digests.LedgerDigest` the host kept outside the database:
``verify(..., against=digest)``. A program makes every ledger through one
:class:`LedgerRegistry` (``Program.ledgers``), so every ledger has the
program's key. See ``docs/explanation-threat-model.md``.

Example:
    >>> from datetime import datetime, timezone
    >>> from symprogram.storage.memory import MemoryStore
    >>> store, ledger = MemoryStore(), Ledger("history")
    >>> at = datetime(2011, 1, 15, tzinfo=timezone.utc)
    >>> with store.transaction() as tx:
    ...     _ = ledger.append(tx, "SP-1", "registered", {"email": "a@example.com"}, at)
    ...     ledger.verify(tx, "SP-1").ok
    True
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from symprogram.clock import ensure_utc
from symprogram.errors import IntegrityError, ValidationError
from symprogram.persistence import (
    Record,
    Store,
    Transaction,
    append_many,
    check_key,
    load_many,
)
from symprogram.serialization import canonical_json

if TYPE_CHECKING:
    from symprogram.digests import LedgerDigest, StreamHead

__all__ = [
    "GENESIS",
    "Ledger",
    "LedgerEntry",
    "LedgerRegistry",
    "Problem",
    "Verification",
    "iter_verifications",
]

# What ``json.dumps(..., ensure_ascii=False)`` (and so ``canonical_json``) writes for a str.
_json_str: Callable[[str], str] = json.encoder.encode_basestring

# The encoder ``canonical_json`` builds on every call (the same options, so the same
# text), built once: ``json.dumps`` with any option constructs a new one each time.
_canonical: Callable[[Any], str] = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False
).encode

GENESIS = "0" * 64
"""The ``prev_hash`` of a stream's first entry (and the head of an empty stream)."""
_SALT_BYTES = 16
"""Random bytes in an entry's salt (written as 32 hex digits)."""
_BATCH = 1000
"""Entries read per query while streaming a stream."""
_KEY_ID_LABEL = b"symprogram ledger key id"


def key_id(key: bytes | None) -> str | None:
    """A public, stable fingerprint of a ledger key (``None`` without a key).

    HMAC-SHA-256 of a fixed label under the key, 16 hex digits: it names the key
    (a digest records the key it was made with) without revealing it.
    """
    if key is None:
        return None
    return hmac.new(key, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


@attrs.frozen
class LedgerEntry:
    """One entry of a hash-chained stream.

    Attributes:
        subject: whose stream this is.
        position: 1-based, gap-free position in the stream.
        kind: the event name, e.g. ``"candidate_registered"``.
        at: when it happened (UTC).
        data: the event's data; ``None`` once erased.
        digest: salted SHA-256 of the data, kept after erasure.
        prev_hash: the previous entry's hash (64 zeros for the first).
        hash: this entry's chain hash.
        erased: whether the personal data was erased.
    """

    subject: str
    position: int
    kind: str
    at: datetime
    data: dict[str, Any] | None
    digest: str
    prev_hash: str
    hash: str
    erased: bool = False


@attrs.frozen
class Problem:
    """A defect found by :meth:`Ledger.verify`.

    Attributes:
        position: the entry concerned (the stream's length for a whole-stream defect).
        code: a stable code, e.g. ``hash_mismatch``, ``truncated``,
            ``erasure_forged``, ``digest_head_mismatch``.
        message: a human explanation.
    """

    position: int
    code: str
    message: str


@attrs.frozen
class Verification:
    """The result of verifying one stream: ``ok`` and the problems found.

    Attributes:
        subject: whose stream (a stream name in :meth:`Program.verify_all
            <symprogram.Program.verify_all>`'s answer).
        length: the entries found.
        problems: every defect found, in stream order.
    """

    subject: str
    length: int
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def __bool__(self) -> bool:
        return self.ok

    def raise_for_problems(self) -> None:
        """Raise :class:`IntegrityError` (code ``ledger_tampered``) if anything was found."""
        if self.problems:
            first = self.problems[0]
            raise IntegrityError(
                f"ledger of {self.subject!r} fails verification at position "
                f"{first.position}: {first.message}",
                code="ledger_tampered",
                details={"problems": [attrs.asdict(p) for p in self.problems]},
            )


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
    kind: str, at: str, data_json: str, salt: str, digest: str, prev_hash: str, chain: str
) -> str:
    """The stored entry: ``canonical_json`` of its fields (keys sorted), with the data's
    canonical JSON text ``data_json`` spliced in rather than encoded a second time."""
    return (
        f'{{"at":{_json_str(at)},"data":{data_json},"digest":{_json_str(digest)},'
        f'"hash":{_json_str(chain)},"kind":{_json_str(kind)},"prev":{_json_str(prev_hash)},'
        f'"salt":{_json_str(salt)}}}'
    )


def _data_digest(salt: str, data_json: str) -> str:
    """The salted digest of an entry's data (its canonical JSON text); the chain covers it."""
    return hashlib.sha256((salt + data_json).encode("utf-8")).hexdigest()


class _Walk:
    """The state of one streaming pass over a stream (see :meth:`Ledger.verify`)."""

    __slots__ = ("covered", "covered_hash", "expected", "last", "prev", "problems")

    def __init__(self, covered: StreamHead | None) -> None:
        self.problems: list[Problem] = []
        self.prev = GENESIS
        self.expected = 1
        self.last = 0
        self.covered = covered
        self.covered_hash: str | None = None


class Ledger:
    """A family of append-only, hash-chained streams, one per subject.

    Args:
        name: the family, e.g. ``"history"`` or ``"consent"``; streams are named
            ``"<name>:<subject>"``.
        key: optional secret; with it the chain, the head and the erasure markers
            use HMAC-SHA-256, so nobody without the key can forge a consistent
            chain or erase an entry. In a program, make ledgers with
            :meth:`LedgerRegistry.ledger` (``program.ledgers``), which gives the
            program's key.

    Raises:
        ValidationError: a bad name (``invalid_name``) or a key that is not
            bytes (``invalid_key``).
    """

    HEAD_KIND = "ledger_head"

    def __init__(self, name: str, key: bytes | None = None) -> None:
        self.name = check_key(name, "name")
        if key is not None and not isinstance(key, bytes | bytearray):
            raise ValidationError("ledger key must be bytes", field="key", code="invalid_key")
        self._key = bytes(key) if key is not None else None

    @property
    def key_id(self) -> str | None:
        """The fingerprint of this ledger's key (``None`` without a key); see :func:`key_id`."""
        return key_id(self._key)

    def check_digest(self, digest: LedgerDigest) -> None:
        """Check that ``digest`` is whole and was made with this ledger's key.

        Raises:
            ValidationError: another key (``digest_key_mismatch``).
            IntegrityError: an altered digest (``digest_forged``).
        """
        digest.authenticate(self._key)

    def stream(self, subject: str) -> str:
        """The stream name of ``subject``."""
        return f"{self.name}:{check_key(subject, 'subject')}"

    # -- hashing -----------------------------------------------------------------
    def _mac(self, body: str) -> str:
        encoded = body.encode("utf-8")
        if self._key is not None:
            return hmac.new(self._key, encoded, hashlib.sha256).hexdigest()
        return hashlib.sha256(encoded).hexdigest()

    def _chain(
        self, prev_hash: str, subject: str, position: int, kind: str, at: str, digest: str
    ) -> str:
        return self._mac(_chain_body(prev_hash, subject, position, kind, at, digest))

    def _erasure_marker(self, stream: str, position: int, digest: str, chain: str) -> str:
        # Binds the erasure to this entry (stream, position, digest, hash): a marker
        # cannot be moved to another entry, and without the key it cannot be made.
        return self._mac(canonical_json(["erased", stream, position, digest, chain]))

    # -- writing -----------------------------------------------------------------
    def append(
        self,
        tx: Transaction,
        subject: str,
        kind: str,
        data: Mapping[str, Any],
        at: datetime,
    ) -> LedgerEntry:
        """Append an entry to ``subject``'s stream in ``tx`` and return it."""
        return self.append_many(tx, subject, [(kind, data, at)])[0]

    def append_many(
        self,
        tx: Transaction,
        subject: str,
        items: Iterable[tuple[str, Mapping[str, Any], datetime]],
    ) -> list[LedgerEntry]:
        """Append several ``(kind, data, at)`` entries to ``subject``'s stream, in order.

        The same entries as :meth:`append` called for each item, written with one
        read and one write of the stream head and the entries in one batch
        (:func:`symprogram.persistence.append_many`). Returns them.

        Raises:
            ValidationError: a bad subject, kind or instant (nothing is written).
            IntegrityError: the stream head is unreadable or forged (``ledger_corrupt``).
            ConcurrencyError: another unit of work appended meanwhile.
        """
        stream = self.stream(subject)
        checked = [
            (check_key(kind, "kind"), ensure_utc(at), dict(data)) for kind, data, at in items
        ]
        if not checked:
            return []
        length, chain, version = self._head(tx, subject, stream)
        rows: list[tuple[str, int, str]] = []
        entries: list[LedgerEntry] = []
        # One draw of random bytes for every salt (each 16 bytes as 32 hex digits,
        # what ``secrets.token_hex(16)`` gives); one ISO text per distinct instant.
        salts = secrets.token_bytes(_SALT_BYTES * len(checked)).hex()
        last_when: datetime | None = None
        instant = ""
        for number, (kind, when, payload) in enumerate(checked):
            length += 1
            prev_hash = chain
            if when is not last_when:
                instant, last_when = when.isoformat(), when
            salt = salts[2 * _SALT_BYTES * number : 2 * _SALT_BYTES * (number + 1)]
            payload_json = _canonical(payload)
            digest = _data_digest(salt, payload_json)
            chain = self._chain(prev_hash, subject, length, kind, instant, digest)
            text = _entry_text(kind, instant, payload_json, salt, digest, prev_hash, chain)
            rows.append((stream, length, text))
            entries.append(
                LedgerEntry(subject, length, kind, when, payload, digest, prev_hash, chain)
            )
        append_many(tx, rows)
        self._save_head(tx, subject, length, chain, version, stream)
        return entries

    def _head_mac(self, subject: str, length: int, chain: str) -> str | None:
        # With a key the head is authenticated too, so that removing the newest
        # entries and rolling the head back to an older (visible) hash is detected.
        if self._key is None:
            return None
        body = canonical_json(["head", self.stream(subject), length, chain]).encode("utf-8")
        return hmac.new(self._key, body, hashlib.sha256).hexdigest()

    def _head(
        self, tx: Transaction, subject: str, stream: str | None = None
    ) -> tuple[int, str, int]:
        return self._parse_head(subject, tx.load(self.HEAD_KIND, stream or self.stream(subject)))

    def _parse_head(self, subject: str, record: Record | None) -> tuple[int, str, int]:
        if record is None:
            return 0, GENESIS, 0
        try:
            raw = json.loads(record.data)
            length, chain = int(raw["length"]), str(raw["hash"])
            mac = self._head_mac(subject, length, chain)
            if mac is not None and not hmac.compare_digest(mac, str(raw.get("mac"))):
                raise ValueError("head not authenticated")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise IntegrityError(
                f"the head of {self.stream(subject)!r} is unreadable or forged",
                code="ledger_corrupt",
                details={"stream": self.stream(subject)},
            ) from exc
        return length, chain, record.version

    def head(self, tx: Transaction, subject: str) -> tuple[int, str]:
        """The length and newest hash recorded in ``subject``'s stream head.

        ``(0, GENESIS)`` for a stream never written.

        Raises:
            IntegrityError: the head is unreadable or not authenticated by the key
                (``ledger_corrupt``).
        """
        length, chain, _ = self._head(tx, subject)
        return length, chain

    def heads(self, tx: Transaction, subjects: Sequence[str]) -> list[tuple[int, str]]:
        """:meth:`head` of each of ``subjects``, in order, read in one batch.

        Raises:
            IntegrityError: a head is unreadable or forged (``ledger_corrupt``).
        """
        streams = [self.stream(subject) for subject in subjects]
        found = load_many(tx, self.HEAD_KIND, streams)
        return [
            self._parse_head(subject, found.get(stream))[:2]
            for subject, stream in zip(subjects, streams, strict=True)
        ]

    def _save_head(
        self,
        tx: Transaction,
        subject: str,
        length: int,
        chain: str,
        version: int,
        stream: str | None = None,
    ) -> None:
        head: dict[str, Any] = {"length": length, "hash": chain}
        mac = self._head_mac(subject, length, chain)
        if mac is not None:
            head["mac"] = mac
        tx.save(self.HEAD_KIND, stream or self.stream(subject), _canonical(head), version)

    def erase(self, tx: Transaction, subject: str) -> int:
        """Drop the data and salt of every entry of ``subject``, keeping the chain intact.

        Each erased entry keeps its digest and hash and gains an erasure marker
        authenticated with the key, so the stream still verifies while an entry
        nulled by anyone without the key does not. Returns the number of entries
        erased (entries erased before are left as they are).
        """
        stream = self.stream(subject)
        count = 0
        for position, text in tx.read(stream):
            raw = json.loads(text)
            if raw.get("data") is None:
                continue
            raw["data"] = None
            raw["salt"] = None
            raw["erased"] = self._erasure_marker(
                stream, position, str(raw["digest"]), str(raw["hash"])
            )
            tx.rewrite(stream, position, canonical_json(raw))
            count += 1
        return count

    # -- reading -----------------------------------------------------------------
    def entries(self, tx: Transaction, subject: str, *, after: int = 0) -> list[LedgerEntry]:
        """Return ``subject``'s entries after position ``after``, oldest first.

        Raises:
            IntegrityError: an entry cannot be parsed (the file was tampered with).
        """
        return list(self.iter_entries(tx, subject, after=after))

    def iter_entries(
        self, tx: Transaction, subject: str, *, after: int = 0
    ) -> Iterator[LedgerEntry]:
        """Yield ``subject``'s entries after ``after`` in order, reading in batches."""
        stream = self.stream(subject)
        for position, text in _read_stream(tx, stream, after):
            yield self._parse(subject, position, text)

    def _parse(self, subject: str, position: int, text: str) -> LedgerEntry:
        try:
            raw = json.loads(text)
            data = raw["data"]
            return LedgerEntry(
                subject=subject,
                position=position,
                kind=str(raw["kind"]),
                at=ensure_utc(datetime.fromisoformat(raw["at"])),
                data=None if data is None else dict(data),
                digest=str(raw["digest"]),
                prev_hash=str(raw["prev"]),
                hash=str(raw["hash"]),
                erased=data is None,
            )
        except (ValueError, KeyError, TypeError, AttributeError, ValidationError) as exc:
            raise IntegrityError(
                f"ledger entry {position} of {subject!r} is unreadable",
                code="ledger_corrupt",
                details={"position": position},
            ) from exc

    # -- verifying ---------------------------------------------------------------
    def verify(
        self, tx: Transaction, subject: str, *, against: LedgerDigest | None = None
    ) -> Verification:
        """Check ``subject``'s whole stream: every hash, link, position, erasure and the head.

        With ``against`` (a digest kept outside the database), also prove that the
        stream still extends what the digest covered: it is present, at least as
        long, and its entry at the covered length has the covered hash
        (``digest_stream_missing``, ``digest_truncated``, ``digest_head_mismatch``).
        One pass over the stream, in order.

        Never raises for a defect of the stream; it reports it (call
        :meth:`Verification.raise_for_problems` to turn that into an error).

        Raises:
            ValidationError: a digest made with another key (``digest_key_mismatch``).
            IntegrityError: a digest that was altered (``digest_forged``).
        """
        stream = self.stream(subject)
        covered = None
        if against is not None:
            self.check_digest(against)
            covered = against.head(stream)
        walk = _Walk(covered)
        for position, text in _read_stream(tx, stream, 0):
            self._check_entry(walk, stream, subject, position, text)
        self._check_head(tx, subject, walk)
        if covered is not None:
            _check_covered(walk, covered)
        return Verification(subject, walk.last, tuple(walk.problems))

    def _check_entry(
        self, walk: _Walk, stream: str, subject: str, position: int, text: str
    ) -> None:
        problems = walk.problems
        walk.last = position
        if position != walk.expected:
            problems.append(Problem(walk.expected, "gap", f"entry {walk.expected} is missing"))
        walk.expected = position + 1
        try:
            raw = json.loads(text)
            digest = str(raw["digest"])
            self._check_data(problems, stream, position, raw, digest)
            at = ensure_utc(datetime.fromisoformat(raw["at"])).isoformat()
            if raw["prev"] != walk.prev:
                problems.append(
                    Problem(position, "broken_link", "does not follow the previous entry")
                )
            chain = self._chain(raw["prev"], subject, position, str(raw["kind"]), at, digest)
            if chain != raw["hash"]:
                problems.append(Problem(position, "hash_mismatch", "the entry was altered"))
            walk.prev = str(raw["hash"])
        except (ValueError, KeyError, TypeError, AttributeError, ValidationError):
            problems.append(Problem(position, "unreadable", "the entry cannot be parsed"))
            walk.prev = ""
        if walk.covered is not None and position == walk.covered.length:
            walk.covered_hash = walk.prev

    def _check_data(
        self, problems: list[Problem], stream: str, position: int, raw: Any, digest: str
    ) -> None:
        data, salt = raw["data"], raw["salt"]
        if data is None:
            marker = raw.get("erased")
            expected = self._erasure_marker(stream, position, digest, str(raw["hash"]))
            if not isinstance(marker, str) or not hmac.compare_digest(marker, expected):
                problems.append(
                    Problem(
                        position,
                        "erasure_forged",
                        "the data was removed without an authenticated erasure",
                    )
                )
        elif not isinstance(salt, str) or _data_digest(salt, canonical_json(data)) != digest:
            problems.append(Problem(position, "data_altered", "the data does not match its digest"))

    def _check_head(self, tx: Transaction, subject: str, walk: _Walk) -> None:
        last = walk.last
        try:
            length, head_hash, _ = self._head(tx, subject)
        except IntegrityError:
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


def _read_stream(tx: Transaction, stream: str, after: int) -> Iterator[tuple[int, str]]:
    """Yield ``(position, text)`` of ``stream`` after ``after``, reading in batches."""
    cursor = after
    while True:
        batch = tx.read(stream, after=cursor, limit=_BATCH)
        yield from batch
        if len(batch) < _BATCH:
            return
        cursor = batch[-1][0]


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


def iter_verifications(
    store: Store,
    ledger: Ledger,
    check: Callable[[Transaction, str], Verification],
    *,
    batch: int,
    against: LedgerDigest | None = None,
) -> Iterator[Verification]:
    """Verify every stream of ``ledger`` page by page, with ``check(tx, subject)``.

    With ``against``, the subjects checked are those present *and* those the digest
    covered (in stream order, merged as they go), so a stream dropped whole is
    checked too (and reported missing by ``check``). Each page is read in one
    read-only unit of work; verifications are yielded after it closes.
    """
    prefix = ledger.name + ":"
    covered = [] if against is None else [h.stream for h in against.covered(prefix)]
    cut = len(prefix)
    index = 0
    after: str | None = None
    while True:
        done: list[Verification] = []
        with store.transaction(readonly=True) as tx:
            names = tx.streams(prefix=prefix, after=after, limit=batch)
            final = len(names) < batch
            for name in names:
                while index < len(covered) and covered[index] < name:
                    done.append(check(tx, covered[index][cut:]))
                    index += 1
                if index < len(covered) and covered[index] == name:
                    index += 1
                done.append(check(tx, name[cut:]))
            if final:
                done.extend(check(tx, stream[cut:]) for stream in covered[index:])
        yield from done
        if final:
            return
        after = names[-1]


class LedgerRegistry:
    """The ledgers of one program: every one made here, every one with the program's key.

    ``Program.ledgers`` is one. A context's ledger is made (or adopted, when the
    service built it from the same key) here, so that a ledger without the
    program's key cannot exist in a program, and :meth:`Program.digest
    <symprogram.Program.digest>` covers every ledger.

    Args:
        key: the program's ledger key, or ``None``.

    Example:
        >>> registry = LedgerRegistry(b"secret")
        >>> registry.ledger("history") is registry.ledger("history")
        True
        >>> registry.names()
        ('history',)
    """

    def __init__(self, key: bytes | None = None) -> None:
        if key is not None and not isinstance(key, bytes | bytearray):
            raise ValidationError("ledger key must be bytes", field="key", code="invalid_key")
        self._key = bytes(key) if key is not None else None
        self._ledgers: dict[str, Ledger] = {}

    @property
    def key_id(self) -> str | None:
        """The fingerprint of the program's key (``None`` without a key)."""
        return key_id(self._key)

    def ledger(self, name: str) -> Ledger:
        """The program's ledger called ``name``, made with the program's key on first use."""
        found = self._ledgers.get(name)
        if found is None:
            found = self._ledgers[name] = Ledger(name, key=self._key)
        return found

    def register(self, ledger: Ledger) -> Ledger:
        """Adopt a ledger a service made; it must have the program's key.

        Raises:
            ValidationError: a ledger with another key (or none while the program
                has one), ``ledger_key_mismatch``; or another ledger object already
                registered under the name with a different key.
        """
        if not isinstance(ledger, Ledger) or not _same_key(ledger._key, self._key):
            raise ValidationError(
                f"the ledger {getattr(ledger, 'name', ledger)!r} does not use the program's key",
                field="ledger",
                code="ledger_key_mismatch",
            )
        self._ledgers.setdefault(ledger.name, ledger)
        return ledger

    def holds_key_of(self, ledger: Ledger) -> bool:
        """Whether ``ledger`` uses this registry's key (the same key, or both none)."""
        return _same_key(ledger._key, self._key)

    def names(self) -> tuple[str, ...]:
        """The names of the ledgers made or adopted, sorted."""
        return tuple(sorted(self._ledgers))

    def __iter__(self) -> Iterator[Ledger]:
        return iter([self._ledgers[name] for name in self.names()])

    def __len__(self) -> int:
        return len(self._ledgers)

    def __contains__(self, name: object) -> bool:
        return name in self._ledgers


def _same_key(one: bytes | None, other: bytes | None) -> bool:
    if one is None or other is None:
        return one is other
    return hmac.compare_digest(one, other)
