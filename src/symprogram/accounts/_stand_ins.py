"""Stand-in writes: what an account call writes when there is nobody to write for.

Private. A call for an address without an account (or whose owner may not receive
anything now: another kind of account, a message limit reached) writes the same
record kinds, with the same methods and in the same order, as one for an owner,
so that nobody can tell the two apart from the writes or their cost (issue 18).
Where an owner's call *creates* records, so does a stand-in, or SQLite's work
would tell them apart (a new row and index entry against an update in place):

- a link's token and message for nobody are new records with fresh keys
  (``~stand-in:<address>:<half a digest>``, ``~stand-in:<address>:<instant>:<message id>``),
  as an owner's token (a new digest) and message (``<candidate ID>:<message ID>``)
  are, and at scattered places among their kind's keys as an owner's are: never
  always the last key (SQLite appends a last key to its B-tree at another cost than
  it inserts one in the middle);
- a link's issue is noted per address and purpose
  (``~stand-in:<address>:<purpose>``), for nobody and for an owner alike (an
  owner's link is in its account's generation, whose record only revocations
  write: a pending account's exists from its registration on, and a resend
  updating it would create nothing where a stranger's creates a record); a
  registration's link (activation or reset) notes its issue under a new key
  (``~stand-in:<instant>:<reference>:<purpose>``), new whatever links the
  address had;
- a request for nobody is noted in the address's own request log, as an owner's is.

:class:`StandInSweep` deletes those (every link call and registration looks at a
few, in a unit of work of its own) once they are of no use to anybody: tokens and
delivered messages at once, generations once no window counts their last issue;
request logs are swept as every request log is. So what a stranger leaves grows
with the requests of the last window, never with all the addresses ever tried
(issue 17, "growth bounded"). What opening an account writes for nobody (index
entry, candidate, credential) goes to a **bounded pool of slots**: a keyed hash of
the address modulo ``settings.stand_in_pool`` picks the slot (key
``~stand-in:<slot>``), whatever a stranger does.

What another context writes for a new account (the consent context's record of
what a registration gathered: ledger entry, stream head, projection, file) is
written for a registration of a known address too, by the same code run over a
:class:`StandInStore`: it reads what a new subject's recording reads (nothing is
found) and every write goes instead to a new record of kind :data:`WRITES_KIND`
(``~stand-in:<instant>:<reference>:<n>``, as large as the write it stands for),
deleted by the sweep once older than a window (oldest first). Nothing is
recorded about anybody and nothing is published.

A stand-in record is never what a reader takes for a real one: its key is no
candidate ID, no token digest and no address digest (``~`` is in none of their
alphabets); a stand-in candidate is shaped as an erased, closed account (the
reporting views and the iterators leave it out); a stand-in token's key is
no digest a secret is looked up by (half of one, after the ``~stand-in:`` prefix), and
it is already used and has expired (never redeemable); a stand-in
message is delivered to nobody (see :data:`symprogram.outbox.STAND_IN`).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import attrs

from symprogram.accounts import _text
from symprogram.accounts._rules_credentials import credential_digest
from symprogram.accounts.models import AccountStatus, Candidate
from symprogram.accounts.ports import CANDIDATE_KIND, CREDENTIAL_KIND, EMAIL_INDEX
from symprogram.accounts.storage import Credential
from symprogram.errors import StorageError, SymprogramError
from symprogram.outbox import MESSAGE_KIND, STAND_IN
from symprogram.persistence import (
    AppendItem,
    IndexItem,
    Record,
    SaveItem,
    Store,
    Transaction,
    change_tracker,
    load_for_update,
    save_many,
)
from symprogram.serialization import dumps_without, json_value, loads_without
from symprogram.tokens import GENERATION_KIND, TOKEN_KIND, TokenGeneration, TokenRecord

__all__ = [
    "DEFAULT_POOL",
    "STAND_IN",
    "SWEEP",
    "WRITES_KIND",
    "StandInStore",
    "StandInSweep",
    "StandIns",
    "is_stand_in",
    "slot_key",
]

SWEEP = 4
"""Stand-in records of each kind a sweep looks at: more than one call leaves."""

DEFAULT_POOL = 256
"""Stand-in slots per record kind unless ``settings.stand_in_pool`` says otherwise."""

WRITES_KIND = "account_stand_in"
"""Where the writes of another context's work for nobody go (see :class:`StandInStore`)."""

WRITES_SWEEP = 16
"""Stand-in writes a sweep looks at, oldest first: more than a registration leaves."""

_VERSION = frozenset({"version"})

_ADDRESS_LENGTH = 32
"""Hexadecimal digits of an address's own stand-in key after ``~stand-in:``."""


def slot_key(slot: int) -> str:
    """The key of stand-in slot ``slot`` in every kind, e.g. ``~stand-in:0042``."""
    return f"{STAND_IN}:{slot:04d}"


def is_stand_in(key: str) -> bool:
    """Whether ``key`` names a stand-in slot (no real record's key starts so)."""
    return key.startswith(STAND_IN + ":")


class StandIns:
    """Writes to the stand-in slot of one address inside a unit of work.

    Args:
        tx: the unit of work.
        secret: the key of the hash that picks the slot.
        email: the normalized address the call was for.
        pool: how many slots there are.
    """

    def __init__(self, tx: Transaction, secret: bytes, email: str, pool: int) -> None:
        self._tx = tx
        mac = hmac.new(secret, _text.email_key(email).encode("ascii"), hashlib.sha256)
        self.key = slot_key(int.from_bytes(mac.digest()[:8], "big") % pool)
        self.address = f"{STAND_IN}:{mac.hexdigest()[:_ADDRESS_LENGTH]}"
        """The address's own stand-in key (the subject of its stand-in links)."""

    def message(self, now: datetime, unique: str) -> str:
        """The key of a new stand-in message for this address,
        ``~stand-in:<address key>:<instant>:<message id>``: the address's own stand-in
        key first, as a real message's key starts with its owner's candidate ID, so
        that the two are new records at scattered places among their kind's keys
        (a key in the order of ``now`` would always be the last one, and a store
        writes a new last key at another cost than one in the middle)."""
        return f"{self.address}:{_stamp(now)}:{unique}"

    @staticmethod
    def fresh(now: datetime, unique: str) -> str:
        """A stand-in key no record has yet, in the order of ``now`` (a message for
        nobody is a new record, swept once it is older than a window); ``unique``
        (a message ID) makes it new."""
        return f"{STAND_IN}:{_stamp(now)}:{unique}"

    def _put(self, kind: str, value: object) -> int:
        """Write ``value`` (an attrs model) into this slot of ``kind``; return its version."""
        found = load_for_update(self._tx, kind, self.key)
        text = dumps_without(value, _VERSION)
        return self._tx.save(kind, self.key, text, 0 if found is None else found.version)

    def account(self, decoy: Candidate, encoded: str, now: datetime) -> None:
        """What opening an account writes (``candidate_email`` index entry,
        ``candidate``, ``account_credential``): ``decoy`` stored as an erased,
        closed account, ``encoded`` a hash no password matches."""
        self._tx.index_put(EMAIL_INDEX, self.key, self.key)
        # the digest an owner's candidate holds, so that the records are alike
        candidate = attrs.evolve(decoy, credential_digest=credential_digest(encoded))
        self._put(CANDIDATE_KIND, _erased(candidate, self.key, now))
        self._put(CREDENTIAL_KIND, Credential(self.key, encoded, now))


class StandInStore:
    """A store whose units of work do another context's work for nobody.

    Its units of work join the unit of work open on ``inner`` (a registration's)
    and read what they are asked to read. Every write goes instead to a new
    record of :data:`WRITES_KIND` keyed ``<key>:<n>`` (``key`` as given to
    :meth:`writing_as`), holding the text the write carried: as many writes, as
    large, in the same unit of work, and none of them real.

    Args:
        inner: the store the registration writes to.
    """

    def __init__(self, inner: Store) -> None:
        self._inner = inner
        self._local = threading.local()

    @contextmanager
    def writing_as(self, key: str) -> Iterator[None]:
        """Within the block, this thread's units of work write under ``key`` (every
        write of the block a new record ``<key>:<n>``, however many units it opens)."""
        self._local.key, self._local.written = key, 0
        try:
            yield
        finally:
            self._local.key = None

    def _next_key(self) -> str:
        self._local.written += 1
        return f"{self._local.key}:{self._local.written:02d}"

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Transaction]:
        """The unit of work open on the inner store, its writes turned into stand-ins.

        Raises:
            StorageError: ``stand_in_unbound`` outside :meth:`writing_as`.
        """
        key = getattr(self._local, "key", None)
        if key is None:
            raise StorageError(
                "a stand-in store writes only inside writing_as()", code="stand_in_unbound"
            )
        with self._inner.transaction(readonly=readonly) as tx:
            yield _StandInTransaction(tx, self._next_key)

    def change_token(self) -> object | None:
        """The inner store's change token (``None`` where it has none)."""
        probe = change_tracker(self._inner)
        return None if probe is None else probe()

    def close(self) -> None:
        """Nothing: the inner store is not this one's to close."""


class _StandInTransaction:
    """Reads go to ``tx``; every write is a new :data:`WRITES_KIND` record instead."""

    def __init__(self, tx: Transaction, next_key: Callable[[], str]) -> None:
        self._tx = tx
        self._next = next_key

    def __getattr__(self, name: str) -> Any:
        # the reads, and what else the unit of work offers
        return getattr(self._tx, name)

    def save(self, kind: str, key: str, data: str, expected_version: int) -> int:
        self._tx.save(WRITES_KIND, self._next(), data, 0)
        return expected_version + 1

    def save_many(self, items: Sequence[SaveItem]) -> list[int]:
        save_many(self._tx, [(WRITES_KIND, self._next(), item[2], 0) for item in items])
        return [item[3] + 1 for item in items]

    def append(self, stream: str, position: int, data: str) -> None:
        self._tx.save(WRITES_KIND, self._next(), data, 0)

    def append_many(self, items: Sequence[AppendItem]) -> None:
        save_many(self._tx, [(WRITES_KIND, self._next(), item[2], 0) for item in items])

    def index_put(self, index: str, value: str, key: str) -> None:
        self._tx.save(WRITES_KIND, self._next(), key, 0)

    def index_put_many(self, items: Sequence[IndexItem]) -> None:
        save_many(self._tx, [(WRITES_KIND, self._next(), item[2], 0) for item in items])

    def rewrite(self, stream: str, position: int, data: str) -> None:
        self._tx.save(WRITES_KIND, self._next(), data, 0)

    def delete(self, kind: str, key: str, expected_version: int) -> None:
        """Nothing: work for nobody never deletes a real record."""

    def index_delete(self, index: str, value: str) -> None:
        """Nothing: work for nobody never deletes a real index entry."""


def _erased(decoy: Candidate, key: str, now: datetime) -> Candidate:
    """``decoy`` in the slot ``key`` as an erased, closed account: no reader counts it."""
    return attrs.evolve(
        decoy, candidate_id=key, status=AccountStatus.CLOSED, status_changed_at=now, erased_at=now
    )


@attrs.frozen
class StandInSweep:
    """Where the next sweep of stand-in records starts in each kind (``""``: the first).

    A sweep looks at :data:`SWEEP` stand-in tokens, messages and generations past
    these keys, and deletes those written before ``issued_before`` (a stand-in token
    is used and expired when written, a stand-in message delivered to nobody; a
    generation by its last issue). Never a record a call just wrote: what a sweep
    does depends on the calls of a window ago, not on the call it follows. It
    decides from its scan and locks only what it then deletes (deciding again from
    the locked record), so it never waits on a call writing a record it keeps.
    """

    tokens: str = ""
    messages: str = ""
    generations: str = ""

    def run(self, tx: Transaction, *, issued_before: datetime) -> StandInSweep:
        """Sweep once in ``tx``; return where the next sweep starts."""

        def stale(record: Record) -> bool:
            found = _decoded(record, TokenGeneration)
            return found is not None and (not found.issued or found.issued[-1] < issued_before)

        def used(record: Record) -> bool:
            found = _decoded(record, TokenRecord)
            return found is not None and found.issued_at < issued_before

        def delivered(record: Record) -> bool:
            stamp = _message_stamp(record.key)
            # a slot of the pool of earlier versions (``~stand-in:0042``) has no stamp
            return (len(stamp) != 16 or stamp < _stamp(issued_before)) and _delivered(record)

        _sweep_oldest(tx, WRITES_KIND, _stamp(issued_before))
        return StandInSweep(
            _sweep(tx, TOKEN_KIND, self.tokens, used),
            _sweep(tx, MESSAGE_KIND, self.messages, delivered),
            _sweep(tx, GENERATION_KIND, self.generations, stale),
        )


def _sweep(tx: Transaction, kind: str, after: str, doomed: Callable[[Record], bool]) -> str:
    """Delete the ``doomed`` stand-in records of ``kind`` among :data:`SWEEP` past
    ``after``; return the cursor of the next sweep."""
    records = tx.scan(kind, prefix=STAND_IN + ":", after=after or None, limit=SWEEP)
    for record in records:
        if not doomed(record):
            continue
        locked = load_for_update(tx, kind, record.key)
        if locked is not None and doomed(locked):
            tx.delete(kind, locked.key, locked.version)
    return records[-1].key if len(records) >= SWEEP else ""


def _sweep_oldest(tx: Transaction, kind: str, cut: str) -> None:
    """Delete the stand-in records of ``kind`` stamped before ``cut``, among the
    :data:`WRITES_SWEEP` oldest (their keys sort as their instants do)."""
    start = len(STAND_IN) + 1
    for record in tx.scan(kind, prefix=STAND_IN + ":", limit=WRITES_SWEEP):
        if record.key[start : start + 16] >= cut:
            return
        locked = load_for_update(tx, kind, record.key)
        if locked is not None:
            tx.delete(kind, locked.key, locked.version)


def _message_stamp(key: str) -> str:
    """The instant part of a stand-in message's key: after the address's key
    (``~stand-in:<32 hex>:<stamp>:<id>``, see :meth:`StandIns.message`), or first
    (``~stand-in:<stamp>:<id>``, as :meth:`StandIns.fresh` and earlier versions
    write them)."""
    parts = key[len(STAND_IN) + 1 :].split(":", 2)
    return parts[1] if len(parts[0]) == _ADDRESS_LENGTH and len(parts) > 1 else parts[0]


def _delivered(record: Record) -> bool:
    try:
        data = json_value(record.data)
    except ValueError:  # left for the integrity checks
        return False
    return isinstance(data, dict) and data.get("state") == "delivered"


def _stamp(at: datetime) -> str:
    """``at`` as a key part that sorts as the instants do: microseconds since 1970 in
    16 hexadecimal digits (cheap: a call for nobody must cost what an owner's does)."""
    return f"{(at - _EPOCH) // _MICROSECOND:016x}"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


R = TypeVar("R", TokenGeneration, TokenRecord)


def _decoded(record: Record, cls: type[R]) -> R | None:
    try:
        return loads_without(record.data, cls, _VERSION)
    except SymprogramError:  # left for the integrity checks
        return None
