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

import hmac
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from symprogram._checks import check_instance
from symprogram._ledger_results import KeyUnknown as KeyUnknown
from symprogram._ledger_results import Outcome as Outcome
from symprogram._ledger_results import Problem as Problem
from symprogram._ledger_results import Verification as Verification
from symprogram._ledger_results import VerificationFailures as VerificationFailures
from symprogram._ledger_subjects import HEAD_KIND, verify_pages
from symprogram._ledger_text import _canonical as _canonical
from symprogram._ledger_text import _chain_body as _chain_body
from symprogram._ledger_text import _data_digest, _head_mac, _mac, _marker
from symprogram._ledger_text import _entry_text as _entry_text
from symprogram.clock import ensure_utc
from symprogram.errors import IntegrityError, ValidationError
from symprogram.ledger_keys import LedgerKeys, as_ledger_keys
from symprogram.persistence import (
    Record,
    Store,
    Transaction,
    append_many,
    check_key,
    load_many,
)
from symprogram.serialization import canonical_json, json_value

if TYPE_CHECKING:
    from symprogram.digests import LedgerDigest

__all__ = [
    "GENESIS",
    "KeyUnknown",
    "Ledger",
    "LedgerEntry",
    "LedgerRegistry",
    "Problem",
    "Verification",
    "VerificationFailures",
    "iter_verifications",
]

GENESIS = "0" * 64
"""The ``prev_hash`` of a stream's first entry (and the head of an empty stream)."""
_SALT_BYTES = 16
"""Random bytes in an entry's salt (written as 32 hex digits)."""
_BATCH = 1000
"""Entries read per query while streaming a stream."""


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


class _UnknownKey(Exception):
    """A key id the ledger's ring does not hold (reported ``ledger_key_unknown``)."""


class Ledger:
    """A family of append-only, hash-chained streams, one per subject.

    Args:
        name: the family, e.g. ``"history"`` or ``"consent"``; streams are named
            ``"<name>:<subject>"``.
        key: optional secret (bytes) or key ring (:class:`~symprogram.ledger_keys.LedgerKeys`);
            with it the chain, the head and the erasure markers use HMAC-SHA-256,
            so nobody without the key can forge a consistent chain or erase an
            entry. Each of them records the key id it was made with; new writes
            use the current key, retired keys only verify. In a program, make
            ledgers with :meth:`LedgerRegistry.ledger` (``program.ledgers``),
            which gives the program's key.

    Raises:
        ValidationError: a bad name (``invalid_name``) or a key that is not
            bytes or a key ring (``invalid_key``).
    """

    HEAD_KIND = HEAD_KIND

    def __init__(self, name: str, key: bytes | LedgerKeys | None = None) -> None:
        self.name = check_key(name, "name")
        self.keys = as_ledger_keys(key)
        """The key ring (``None`` without a key)."""
        self._key = None if self.keys is None else self.keys.current
        self._kid = None if self.keys is None else self.keys.current_id
        self._heads: dict[tuple[str, str], tuple[int, str]] = {}  # texts authenticated

    @property
    def key_id(self) -> str | None:
        """The fingerprint of the current key (``None`` without a key); see :func:`key_id`."""
        return self._kid

    def check_digest(self, digest: LedgerDigest) -> None:
        """Check that ``digest`` is whole and was made with a key of this ledger's ring.

        Raises:
            ValidationError: not a digest (``invalid_digest``), another key
                (``digest_key_mismatch``).
            IntegrityError: an altered digest (``digest_forged``).
        """
        _checked_digest(digest).authenticate(self.keys)

    def stream(self, subject: str) -> str:
        """The stream name of ``subject``."""
        return f"{self.name}:{check_key(subject, 'subject')}"

    def _key_for(self, kid: object) -> bytes | None:
        """The key named by a stored key id (``None``: no key id); raises _UnknownKey."""
        if self.keys is None:
            if kid is None:
                return None
            raise _UnknownKey(kid)
        if kid is not None and not isinstance(kid, str):
            raise _UnknownKey(kid)
        key = self.keys.key_for(kid)
        if key is None:
            raise _UnknownKey(kid)
        return key

    def _erasure_marker(
        self, stream: str, position: int, digest: str, chain: str, adopted: str | None = None
    ) -> str:
        """The erasure marker the current key makes for an entry."""
        return _marker(self._key, stream, position, digest, chain, adopted)

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
            IntegrityError: the stream head is unreadable or forged (``ledger_corrupt``)
                or made with a key the ring does not hold (``ledger_key_unknown``).
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
        key, kid = self._key, self._kid
        for number, (kind, when, payload) in enumerate(checked):
            length += 1
            prev_hash = chain
            if when is not last_when:
                instant, last_when = when.isoformat(), when
            salt = salts[2 * _SALT_BYTES * number : 2 * _SALT_BYTES * (number + 1)]
            payload_json = _canonical(payload)
            digest = _data_digest(salt, payload_json)
            chain = _mac(key, _chain_body(prev_hash, subject, length, kind, instant, digest))
            text = _entry_text(kind, instant, payload_json, salt, digest, prev_hash, chain, kid)
            rows.append((stream, length, text))
            entries.append(
                LedgerEntry(subject, length, kind, when, payload, digest, prev_hash, chain)
            )
        append_many(tx, rows)
        self._save_head(tx, subject, length, chain, version, stream)
        return entries

    def _head(
        self, tx: Transaction, subject: str, stream: str | None = None
    ) -> tuple[int, str, int]:
        stream = stream or self.stream(subject)
        return self._parse_head(subject, tx.load(self.HEAD_KIND, stream), stream)

    def _parse_head(
        self, subject: str, record: Record | None, stream: str | None = None
    ) -> tuple[int, str, int]:
        if record is None:
            return 0, GENESIS, 0
        stream = stream or self.stream(subject)
        known = self._heads.get((stream, record.data))
        if known is not None:  # the same text of the same stream, authenticated before
            return *known, record.version
        try:
            raw = json_value(record.data)
            length, chain = int(raw["length"]), str(raw["hash"])
            mac = _head_mac(self._key_for(raw.get("key")), stream, length, chain)
            if mac is not None and not hmac.compare_digest(mac, str(raw.get("mac"))):
                raise ValueError("head not authenticated")
        except _UnknownKey as exc:
            raise IntegrityError(
                f"the head of {stream!r} was made with a key the program does not hold",
                code="ledger_key_unknown",
                details={"stream": stream, "key_id": str(exc.args[0])},
            ) from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise IntegrityError(
                f"the head of {stream!r} is unreadable or forged",
                code="ledger_corrupt",
                details={"stream": stream},
            ) from exc
        self._heads = self._heads if len(self._heads) < _BATCH else {}  # kept bounded
        self._heads[stream, record.data] = length, chain
        return length, chain, record.version

    def head(self, tx: Transaction, subject: str) -> tuple[int, str]:
        """The length and newest hash recorded in ``subject``'s stream head.

        ``(0, GENESIS)`` for a stream never written.

        Raises:
            IntegrityError: the head is unreadable or not authenticated by the key
                (``ledger_corrupt``), or made with a key the ring does not hold
                (``ledger_key_unknown``).
        """
        length, chain, _ = self._head(tx, subject)
        return length, chain

    def heads(self, tx: Transaction, subjects: Sequence[str]) -> list[tuple[int, str]]:
        """:meth:`head` of each of ``subjects``, in order, read in one batch.

        Raises:
            IntegrityError: a head is unreadable or forged (``ledger_corrupt``), or
                made with an unknown key (``ledger_key_unknown``).
        """
        streams = [self.stream(subject) for subject in subjects]
        found = load_many(tx, self.HEAD_KIND, streams)
        return [
            self._parse_head(subject, found.get(stream), stream)[:2]
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
        stream = stream or self.stream(subject)
        head: dict[str, Any] = {"length": length, "hash": chain}
        mac = _head_mac(self._key, stream, length, chain)
        if mac is not None:
            head["mac"] = mac
            head["key"] = self._kid
        tx.save(self.HEAD_KIND, stream, _canonical(head), version)

    def erase(self, tx: Transaction, subject: str) -> int:
        """Drop the data and salt of every entry of ``subject``, keeping the chain intact.

        Each erased entry keeps its digest and hash and gains an erasure marker
        authenticated with the current key (and naming it), so the stream still
        verifies while an entry nulled by anyone without the key does not. Returns
        the number of entries erased (entries erased before are left as they are).
        """
        stream = self.stream(subject)
        count = 0
        for position, text in tx.read(stream):
            count += self._erase_text(tx, stream, position, text)
        return count

    def erase_entry(
        self,
        tx: Transaction,
        subject: str,
        position: int,
        *,
        where: Callable[[str, Mapping[str, Any]], bool] | None = None,
    ) -> bool:
        """Drop the data and salt of ``subject``'s entry at ``position`` alone, as
        :meth:`erase` drops every entry's (digest and chain kept, an erasure marker
        authenticated with the current key): another person's data that one entry
        holds, the rest of the stream left as it is.

        Args:
            tx: the unit of work.
            subject: whose stream.
            position: the entry's position (1-based).
            where: erase only if ``where(kind, data)`` says so (``None``: always).

        Returns:
            whether the entry was erased now (``False``: no such entry, one erased
            before, or one ``where`` refused).

        Raises:
            IntegrityError: the entry cannot be read (``ledger_corrupt``).
        """
        stream = self.stream(subject)
        if not isinstance(position, int) or position < 1:
            return False
        found = tx.read(stream, after=position - 1, limit=1)
        if not found or found[0][0] != position:
            return False
        text = found[0][1]
        if where is not None:
            try:
                raw = json_value(text)
                kind, data = raw["kind"], raw["data"]
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise _unreadable_entry(subject, position) from exc
            if not isinstance(data, dict) or not where(str(kind), data):
                return False
        return bool(self._erase_text(tx, stream, position, text))

    def _erase_text(self, tx: Transaction, stream: str, position: int, text: str) -> int:
        """Rewrite the entry ``text`` at ``position`` of ``stream`` erased (data and salt
        nulled, an erasure marker added); 1 if it was, 0 if it was erased before."""
        raw = json_value(text)
        if raw.get("data") is None:
            return 0
        raw["data"] = None
        raw["salt"] = None
        raw["erased"] = self._erasure_marker(stream, position, str(raw["digest"]), str(raw["hash"]))
        if self._kid is not None:
            raw["erased_key"] = self._kid
        tx.rewrite(stream, position, canonical_json(raw))
        return 1

    def rekey(self, tx: Transaction, subject: str, *, against: LedgerDigest | None = None) -> bool:
        """Re-authenticate ``subject``'s stream with the current key, after verifying it.

        The stream is verified first (against ``against`` when given) with the
        keys it names; a stream that does not verify is refused, so re-keying never
        launders a forgery. Then every entry made with another key gets a *seal*
        under the current key (a MAC of its fields and its hash: the hash stays as
        it was, so digests taken before still match it, and the old key is no longer
        needed to verify the entry), and every erasure marker and the head are made
        again with the current key. Returns whether anything was rewritten
        (``False``: already on the current key, or no key).

        Raises:
            IntegrityError: the stream does not verify (``ledger_rekey_refused``,
                with the problems in ``details``).
        """
        from symprogram._ledger_upkeep import rekey_stream

        return rekey_stream(self, tx, subject, against=against)

    def adopt_erasures(
        self,
        tx: Transaction,
        subject: str,
        *,
        at: datetime,
        against: LedgerDigest | None = None,
    ) -> int:
        """Give the entries an earlier build erased without a marker an adopted marker.

        An earlier build nulled ``data`` and ``salt`` and wrote no marker; such
        entries verify as ``erasure_forged``. This verifies the stream (against
        ``against`` when given) and, when its only problems are such entries,
        marks each with a marker recording that it was adopted and when (``at``).
        It vouches for nulls made before it ran: run it once, deliberately, right
        after upgrading. Returns the entries adopted.

        Raises:
            IntegrityError: the stream has another problem (``ledger_adoption_refused``).
        """
        from symprogram._ledger_upkeep import adopt_stream_erasures

        return adopt_stream_erasures(self, tx, subject, at=ensure_utc(at), against=against)

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

    def said_entries(
        self, tx: Transaction, subject: str, *, after: int = 0
    ) -> tuple[tuple[str, dict[str, Any] | None], ...]:
        """The ``(kind, data)`` of ``subject``'s entries after ``after``, oldest first.

        What the anchor rules replay (``data`` is ``None`` once erased): each entry
        is checked as :meth:`verify` checks it (data against digest or erasure
        marker, hash with the key its key id names, link), once per stored text
        (an entry found authentic as stored is remembered), and the entries must
        end where the authenticated stream head says
        (:func:`~symprogram._ledger_verify.said_at_head`): a stream that does not
        verify is never replayed.

        Raises:
            IntegrityError: an entry or the head cannot be read (``ledger_corrupt``,
                ``ledger_key_unknown``); the entries do not end at the head, or one
                of them is not as it was written (``ledger_tampered``); an entry
                names a key id the ring does not hold (``ledger_key_unknown``).
        """
        from symprogram._ledger_verify import said_at_head

        return said_at_head(self, tx, subject, after)

    def said_entries_at(
        self, tx: Transaction, subject: str
    ) -> tuple[tuple[tuple[str, dict[str, Any] | None], ...], tuple[datetime, ...]]:
        """:meth:`said_entries` of every entry, and each entry's instant, in the same
        order (what a rule comparing recorded instants replays).

        Raises:
            IntegrityError: as :meth:`said_entries`.
        """
        from symprogram._ledger_verify import said_at_head

        instants: list[datetime] = []
        said = said_at_head(self, tx, subject, 0, instants)
        return said, tuple(instants)

    def _parse(self, subject: str, position: int, text: str) -> LedgerEntry:
        try:
            return _entry_of(subject, position, json_value(text))
        except (ValueError, KeyError, TypeError, AttributeError, ValidationError) as exc:
            raise _unreadable_entry(subject, position) from exc

    # -- verifying ---------------------------------------------------------------
    def verify(
        self, tx: Transaction, subject: str, *, against: LedgerDigest | None = None
    ) -> Verification:
        """Check ``subject``'s whole stream: every hash, link, position, erasure and the head.

        Each entry, marker and head is checked with the key its key id names
        (when the ring does not hold it: a :class:`KeyUnknown` problem naming that
        key id and the ring's, not tampering; see
        :attr:`Verification.key_mismatch`). With ``against``
        (a digest kept outside the database), also prove that the stream still
        extends what the digest covered: it is present, at least as long, and its
        entry at the covered length has the covered hash (or had it before a
        re-keying) (``digest_stream_missing``, ``digest_truncated``,
        ``digest_head_mismatch``). One pass over the stream, in order.

        Never raises for a defect of the stream; it reports it (call
        :meth:`Verification.raise_for_problems` to turn that into an error).

        Raises:
            ValidationError: a digest made with another key (``digest_key_mismatch``)
                or of another store (``digest_store_mismatch``).
            IntegrityError: a digest that was altered (``digest_forged``).
        """
        from symprogram._ledger_verify import verify_stream

        return verify_stream(self, tx, subject, against=against)


def _entry_of(subject: str, position: int, raw: Any) -> LedgerEntry:
    """The entry at ``position`` of ``subject``'s stream, parsed from its stored JSON ``raw``.

    Raises:
        ValueError, KeyError, TypeError, AttributeError, ValidationError: not an entry.
    """
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


def _unreadable_entry(subject: str, position: int) -> IntegrityError:
    """The refusal of an entry that cannot be read (``ledger_corrupt``)."""
    return IntegrityError(
        f"ledger entry {position} of {subject!r} is unreadable",
        code="ledger_corrupt",
        details={"position": position},
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


def _checked_digest(value: object) -> LedgerDigest:
    """``value`` if it is a :class:`~symprogram.digests.LedgerDigest` (``against=``).

    Raises:
        ValidationError: anything else (``invalid_digest``, field ``against``).
    """
    from symprogram.digests import LedgerDigest

    if not isinstance(value, LedgerDigest):
        raise ValidationError(
            f"against must be a LedgerDigest, not {type(value).__name__}",
            field="against",
            code="invalid_digest",
        )
    return value


def iter_verifications(
    store: Store,
    ledger: Ledger,
    check: Callable[[Transaction, str], Verification],
    *,
    batch: int,
    against: LedgerDigest | None = None,
    kinds: Sequence[str] = (),
) -> Iterator[Verification]:
    """Verify every stream of ``ledger`` page by page, with ``check(tx, subject)``.

    The subjects checked are those with entries or a stream head, those keying a
    record of ``kinds`` (consent projections, say) and, with ``against``, those the
    digest covered, so a stream dropped whole is checked too (and reported missing
    by ``check``), page by page (``symprogram._ledger_subjects``).
    """
    prefix = ledger.name + ":"
    covered = [] if against is None else _checked_digest(against).covered(prefix)
    streams = [head.stream for head in covered]
    return verify_pages(
        store, ledger.name, check, batch=batch, covered=streams, kinds=kinds, invalid=_misnamed
    )


def _misnamed(subject: str, code: str, why: str) -> Verification:
    """A stream that cannot be checked: a stored name no subject can have
    (``stream_name_invalid``), or a row of it the store cannot read
    (``database_corrupt``), both written by hand."""
    return Verification(subject, 0, (Problem(0, code, why),))


class LedgerRegistry:
    """The ledgers of one program: every one made here, every one with the program's key.

    ``Program.ledgers`` is one. A context's ledger is made (or adopted, when the
    service built it from the same key ring) here, so that a ledger without the
    program's key cannot exist in a program, and :meth:`Program.digest
    <symprogram.Program.digest>` covers every ledger.

    Args:
        key: the program's ledger key, or key ring
            (:class:`~symprogram.ledger_keys.LedgerKeys`), or ``None``.

    Example:
        >>> registry = LedgerRegistry(b"secret")
        >>> registry.ledger("history") is registry.ledger("history")
        True
        >>> registry.names()
        ('history',)
    """

    def __init__(self, key: bytes | LedgerKeys | None = None) -> None:
        self.keys = as_ledger_keys(key)
        """The program's key ring (``None`` without a key)."""
        self._ledgers: dict[str, Ledger] = {}

    @property
    def key_id(self) -> str | None:
        """The fingerprint of the program's current key (``None`` without a key)."""
        return None if self.keys is None else self.keys.current_id

    def ledger(self, name: str) -> Ledger:
        """The program's ledger called ``name``, made with the program's key on first use."""
        found = self._ledgers.get(name) if isinstance(name, str) else None  # Ledger checks it
        if found is None:
            found = self._ledgers[name] = Ledger(name, key=self.keys)
        return found

    def register(self, ledger: Ledger) -> Ledger:
        """Adopt a ledger a service made; it must have the program's key ring.

        Raises:
            ValidationError: a ledger with another key (or none while the program
                has one), ``ledger_key_mismatch``; or another ledger object already
                registered under the name with a different key.
        """
        if not isinstance(ledger, Ledger) or ledger.keys != self.keys:
            raise ValidationError(
                f"the ledger {getattr(ledger, 'name', ledger)!r} does not use the program's key",
                field="ledger",
                code="ledger_key_mismatch",
            )
        self._ledgers.setdefault(ledger.name, ledger)
        return ledger

    def holds_key_of(self, ledger: Ledger) -> bool:
        """Whether ``ledger`` uses this registry's key ring (not a Ledger: ``invalid_ledger``)."""
        return check_instance(ledger, Ledger, "ledger").keys == self.keys

    def names(self) -> tuple[str, ...]:
        """The names of the ledgers made or adopted, sorted."""
        return tuple(sorted(self._ledgers))

    def __iter__(self) -> Iterator[Ledger]:
        return iter([self._ledgers[name] for name in self.names()])

    def __len__(self) -> int:
        return len(self._ledgers)

    def __contains__(self, name: object) -> bool:
        return name in self._ledgers
