"""Domain events and the append-only, tamper-evident ledger that records them.

A :class:`DomainEvent` is a fact that happened to a subject (a candidate, a
consent subject, ...) at an instant. Services append events to a :class:`Ledger`
(the account history, the consent ledger): one stream per subject, positions
1, 2, 3, ... with no gaps, each :class:`LedgerEntry` chained to the previous one
by a SHA-256 (or, with a secret key, HMAC-SHA-256) hash. A head record kept
beside each stream remembers the length and last hash, so that removing the
newest entries is detected as well as editing, reordering or removing any other.

Personal data can be erased from an entry without breaking the chain: the chain
covers a salted digest of the entry's data, and :meth:`Ledger.erase` drops the
data and the salt but keeps the digest, a pseudonymous proof that *something*
was recorded then.

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

import functools
import hashlib
import hmac
import json
import re
import secrets
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import attrs

from symprogram.clock import ensure_utc
from symprogram.errors import IntegrityError, ValidationError
from symprogram.persistence import Transaction, append_many, check_key
from symprogram.serialization import canonical_json, make_converter

# What ``json.dumps(..., ensure_ascii=False)`` (and so ``canonical_json``) writes for a str.
_json_str: Callable[[str], str] = json.encoder.encode_basestring

# The encoder ``canonical_json`` builds on every call (the same options, so the same
# text), built once: ``json.dumps`` with any option constructs a new one each time.
_canonical: Callable[[Any], str] = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False
).encode

__all__ = [
    "DomainEvent",
    "Ledger",
    "LedgerEntry",
    "Problem",
    "Verification",
]

GENESIS = "0" * 64
_SALT_BYTES = 16
"""Random bytes in an entry's salt (written as 32 hex digits)."""
_CONVERTER = make_converter()


@functools.lru_cache(maxsize=1024)
def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@attrs.frozen
class DomainEvent:
    """Base of every domain event: something that happened to ``subject`` at ``at``.

    Subclasses are frozen attrs classes adding their own fields; :attr:`name`
    defaults to the class name in ``snake_case``.
    """

    name: ClassVar[str] = ""

    subject: str
    at: datetime

    @classmethod
    def event_name(cls) -> str:
        """The stable name recorded in the ledger."""
        return cls.name or _snake(cls.__name__)

    def payload(self) -> dict[str, Any]:
        """The event's own fields (without subject and instant) as JSON-friendly data.

        What the shared converter's ``unstructure`` gives, less ``subject`` and
        ``at``. When every own field is annotated ``str``, ``int``, ``bool``,
        ``datetime``, ``Any`` or ``X | None`` of those and holds a value of exactly
        such a class (a ``datetime`` in UTC), which the converter returns as is (an
        instant as its ISO text), the dict is built directly; anything else takes
        the converter.
        """
        cls = self.__class__
        plan = _PAYLOAD_PLANS.get(cls, _UNPLANNED)
        if plan is _UNPLANNED:
            plan = _PAYLOAD_PLANS[cls] = _payload_plan(cls)
        if plan is not None:
            fast: dict[str, Any] = {}
            for name, kinds in plan:
                value = getattr(self, name)
                kind = value.__class__
                if kind not in kinds:
                    break
                if kind is datetime:
                    if value.tzinfo is not UTC:
                        break
                    value = value.isoformat()
                fast[name] = value
            else:
                return fast
        raw: dict[str, Any] = _CONVERTER.unstructure(self)
        raw.pop("subject", None)
        raw.pop("at", None)
        return raw


_NONE = type(None)
_PLAIN: dict[Any, frozenset[type]] = {
    str: frozenset({str}),
    int: frozenset({int}),
    bool: frozenset({bool}),
    datetime: frozenset({datetime}),
    Any: frozenset({str, int, bool, _NONE}),
}
_UNPLANNED: Any = object()
# Per event class: ``(field name, value classes taken as is)`` of its own fields, or
# ``None`` when a field is of another type (the converter always answers then).
_PAYLOAD_PLANS: dict[type, tuple[tuple[str, frozenset[type]], ...] | None] = {}


def _field_kinds(tp: Any) -> frozenset[type] | None:
    plain = _PLAIN.get(tp)
    if plain is not None:
        return plain
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        args = typing.get_args(tp)
        if len(args) == 2 and _NONE in args:
            inner = _PLAIN.get(args[0] if args[1] is _NONE else args[1])
            if inner is not None:
                return inner | {_NONE}
    return None


def _payload_plan(cls: type) -> tuple[tuple[str, frozenset[type]], ...] | None:
    try:
        fields = attrs.fields(attrs.resolve_types(cls))
    except Exception:  # unresolvable annotations: the converter answers
        return None
    plan: list[tuple[str, frozenset[type]]] = []
    for field in fields:
        if field.name in ("subject", "at"):
            continue
        kinds = _field_kinds(field.type)
        if kinds is None or not field.init or field.alias != field.name:
            return None
        plan.append((field.name, kinds))
    return tuple(plan)


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
    """A defect found by :meth:`Ledger.verify`."""

    position: int
    code: str
    message: str


@attrs.frozen
class Verification:
    """The result of verifying one stream: ``ok`` and the problems found."""

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


class Ledger:
    """A family of append-only, hash-chained streams, one per subject.

    Args:
        name: the family, e.g. ``"history"`` or ``"consent"``; streams are named
            ``"<name>:<subject>"``.
        key: optional secret; with it the chain uses HMAC-SHA-256, so nobody
            without the key can forge a consistent chain.
    """

    HEAD_KIND = "ledger_head"

    def __init__(self, name: str, key: bytes | None = None) -> None:
        self.name = check_key(name, "name")
        if key is not None and not isinstance(key, bytes | bytearray):
            raise ValidationError("ledger key must be bytes", field="key", code="invalid_key")
        self._key = bytes(key) if key is not None else None

    def stream(self, subject: str) -> str:
        """The stream name of ``subject``."""
        return f"{self.name}:{check_key(subject, 'subject')}"

    # -- hashing -----------------------------------------------------------------
    def _digest(self, salt: str, data: Mapping[str, Any]) -> str:
        return self._digest_text(salt, canonical_json(data))

    @staticmethod
    def _digest_text(salt: str, data_json: str) -> str:
        return hashlib.sha256((salt + data_json).encode("utf-8")).hexdigest()

    def _chain(
        self, prev_hash: str, subject: str, position: int, kind: str, at: str, digest: str
    ) -> str:
        body = _chain_body(prev_hash, subject, position, kind, at, digest).encode("utf-8")
        if self._key is not None:
            return hmac.new(self._key, body, hashlib.sha256).hexdigest()
        return hashlib.sha256(body).hexdigest()

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
            digest = self._digest_text(salt, payload_json)
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
        record = tx.load(self.HEAD_KIND, stream or self.stream(subject))
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

        Returns the number of entries erased.
        """
        stream = self.stream(subject)
        count = 0
        for position, text in tx.read(stream):
            raw = json.loads(text)
            if raw.get("data") is None:
                continue
            raw["data"] = None
            raw["salt"] = None
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
        cursor = after
        while True:
            batch = tx.read(stream, after=cursor, limit=1000)
            for position, text in batch:
                yield self._parse(subject, position, text)
            if len(batch) < 1000:
                return
            cursor = batch[-1][0]

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

    def verify(self, tx: Transaction, subject: str) -> Verification:
        """Check ``subject``'s whole stream: every hash, every link, every position, the head.

        Never raises for a defect; it reports it (call
        :meth:`Verification.raise_for_problems` to turn that into an error).
        """
        stream = self.stream(subject)
        problems: list[Problem] = []
        prev = GENESIS
        expected = 1
        last = 0
        cursor = 0
        while True:
            batch = tx.read(stream, after=cursor, limit=1000)
            for position, text in batch:
                last = position
                if position != expected:
                    problems.append(Problem(expected, "gap", f"entry {expected} is missing"))
                expected = position + 1
                try:
                    raw = json.loads(text)
                    data = raw["data"]
                    salt = raw["salt"]
                    digest = str(raw["digest"])
                    if data is not None and (
                        not isinstance(salt, str) or self._digest(salt, data) != digest
                    ):
                        problems.append(
                            Problem(position, "data_altered", "the data does not match its digest")
                        )
                    at = ensure_utc(datetime.fromisoformat(raw["at"])).isoformat()
                    if raw["prev"] != prev:
                        problems.append(
                            Problem(position, "broken_link", "does not follow the previous entry")
                        )
                    chain = self._chain(
                        raw["prev"], subject, position, str(raw["kind"]), at, digest
                    )
                    if chain != raw["hash"]:
                        problems.append(Problem(position, "hash_mismatch", "the entry was altered"))
                    prev = str(raw["hash"])
                except (ValueError, KeyError, TypeError, AttributeError, ValidationError):
                    problems.append(Problem(position, "unreadable", "the entry cannot be parsed"))
                    prev = ""
            if len(batch) < 1000:
                break
            cursor = batch[-1][0]
        try:
            length, head_hash, _ = self._head(tx, subject)
        except IntegrityError:
            problems.append(
                Problem(last, "head_unreadable", "the stream head cannot be parsed or is forged")
            )
        else:
            if length != last or (last and head_hash != prev):
                problems.append(
                    Problem(
                        last,
                        "truncated",
                        f"the stream head records {length} entries, {last} were found",
                    )
                )
        return Verification(subject, last, tuple(problems))
