"""The transactional outbox: messages written with the change they announce, delivered after.

Kernel; knows no context. A flow never hands a message to the
:class:`~symprogram.notify.Notifier` itself: it writes it with
:meth:`MessageOutbox.write` inside its unit of work, as an ``outbox_message``
record (key ``<subject>:<message_id>``, state ``pending``) and one ``outbox_pending``
marker per unit of work listing them (key: the first message's ID, which sorts
by creation time).
Both commit or roll back with the state change: a message is never sent for a
change that was rolled back, and never lost for one that committed.

After the outermost unit of work of a :class:`DeliveringStore` commits (and the
store's unit of work it joined, if a host had one open in the thread), the
messages it wrote are handed to the notifier and marked ``delivered`` (the
marker deleted; recipient, body, subject line and data dropped from the record,
which keeps the kind, the ID and a SHA-256 digest of the lower-case recipient, by
which an erasure still finds it); when its units of work joined a host's
transaction (a store with an ``on_host_commit`` hook, such as an SQLAlchemy store
bound to the host's connection), only once the host has committed it, and never
if the host rolls it back. A crash between the commit and the marking
leaves them pending; :meth:`MessageOutbox.deliver_pending` (and
:meth:`symprogram.Program.deliver_pending`) sends them later. Delivery is thus
*at least once*: a crash after the notifier took a message and before it was
marked means it is sent again, with the same :attr:`~symprogram.notify.Message.message_id`,
which the host uses to drop the duplicate.

Every delivery hands messages over inside a unit of work that first *claims* them:
it reads their marker locked and marks those still pending delivered (which locks
their records), then calls the notifier and commits. :func:`erase_messages` reads
each record locked before deleting it, so an erasure either commits before a claim
(nothing of the person is sent) or waits for it to commit: nothing is handed over
after ``erase_person`` returned. Two deliverers of one marker queue the same way,
so each message is handed over once unless a crash intervenes.

A notifier that raises leaves the message (and those after it) pending: the
error is logged (logger ``symprogram.outbox``), never raised to the caller, whose
change has committed.

With a ledger key (``MessageOutbox(..., ledger_key=...)``, the program's), a pending
record keeps its recipient, subject line, body and data (a link's secret) encrypted
and sealed under keys derived from it (:mod:`symprogram._outbox_seal`), beside the
recipient's digest (for the erasure): a record changed in the database (another
recipient, kind, body, data or ID) does not match its seal and is refused, marked
``refused`` with the code ``outbox_message_tampered`` and logged, never handed to
the notifier. Without a key, and for a pending record written unsealed by an earlier
build, the text is kept in clear and read as before.

A *stand-in* message (:meth:`MessageOutbox.write_stand_in`) is what a call about
nobody writes so that its writes match a call for a real recipient: the same
records, in a bounded pool of slots (subject :data:`STAND_IN`), marked delivered
after commit without ever reaching the notifier, by :meth:`MessageOutbox.deliver_pending`
too.

Example:
    >>> from symprogram.notify import Message, Outbox
    >>> from symprogram.storage.memory import MemoryStore
    >>> store, sent = DeliveringStore(MemoryStore()), Outbox()
    >>> outbox = MessageOutbox(store, sent)
    >>> with store.transaction() as tx:
    ...     outbox.write(tx, [Message(to="a@example.com", kind="hello", subject="Hi",
    ...                               body="Hello", data={"candidate_id": "SP-1"})])
    >>> sent.last("hello").to, outbox.deliver_pending()
    ('a@example.com', 0)
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import TracebackType
from typing import Any, TypeVar

from symprogram._outbox_pace import CLAIM_ATTEMPTS, Pace, Progress
from symprogram._outbox_seal import Seal, refused_text
from symprogram._outbox_seal import addressed_to as _addressed_to
from symprogram._outbox_seal import marked_keys as _marked_keys
from symprogram._outbox_seal import read as _read
from symprogram._outbox_seal import readable as _readable
from symprogram._outbox_seal import reseal as _reseal
from symprogram.errors import (
    ConcurrencyError,
    IntegrityError,
    NotFound,
    StorageError,
    SymprogramError,
    ValidationError,
)
from symprogram.ledger_keys import LedgerKeys, as_ledger_keys
from symprogram.notify import Message, Notifier
from symprogram.persistence import (
    Record,
    Store,
    Transaction,
    load_for_update,
    load_many,
    save_many,
)

__all__ = [
    "MESSAGE_KIND",
    "OUTBOX_KINDS",
    "PENDING_KIND",
    "STAND_IN",
    "DeliveringStore",
    "DeliversAfterCommit",
    "MessageOutbox",
    "Entry",
    "erase_messages",
]

MESSAGE_KIND = "outbox_message"
"""The record of one message (personal data: the address, the body)."""

PENDING_KIND = "outbox_pending"
"""The marker of a unit of work's messages not yet marked delivered (key: the first
message's ID; data: their record keys, pseudonymous; no personal data)."""

STAND_IN = "~stand-in"
"""The subject of stand-in messages (:meth:`MessageOutbox.write_stand_in`): written
like any message, in a bounded pool of slots (key ``~stand-in:<slot>``), and
delivered to nobody: no notifier ever gets one."""

OUTBOX_KINDS = {MESSAGE_KIND: True, PENDING_KIND: False}
"""The outbox's record kinds, mapped to whether they hold personal data."""

_NO_SUBJECT = "-"
_PAGE = 500
_log = logging.getLogger("symprogram.outbox")
R = TypeVar("R")


Entry = tuple[str, int, Message]
"""A message of the outbox: ``(record key, record version, message)``."""


class _Queued(threading.local):
    """The calling thread's open units of work and the messages they wrote."""

    def __init__(self) -> None:
        self.depth = 0
        self.written: list[tuple[MessageOutbox, str, list[Entry]]] = []


_queued = _Queued()


def _subject_of(message: Message, subject: str | None) -> str:
    if subject:
        return subject
    found = message.data.get("candidate_id")
    return found if isinstance(found, str) and found else _NO_SUBJECT


def _checked_slot(slot: str) -> str:
    """``slot`` if it is a stand-in key.

    Raises:
        ValidationError: it does not start with ``~stand-in:`` (``invalid_slot``).
    """
    if not _is_stand_in(slot):
        raise ValidationError(
            f"a stand-in slot starts with {STAND_IN}:", field="slot", code="invalid_slot"
        )
    return slot


def _put(tx: Transaction, seal: Seal, key: str, message: Message, subject: str) -> Entry:
    """Write ``message`` pending under ``key``, replacing what the record there held
    (a stand-in slot written again); return its entry."""
    found = load_for_update(tx, MESSAGE_KIND, key)
    text = seal.encode(key, message, subject, "pending")
    return key, tx.save(MESSAGE_KIND, key, text, 0 if found is None else found.version), message


class DeliveringStore:
    """A store whose units of work deliver, after the outermost one commits, the
    messages written in them with :meth:`MessageOutbox.write`.

    Everything else is the wrapped store's (attributes are forwarded). Units of
    work nest per thread across every ``DeliveringStore``: the messages go out
    once the outermost one committed, and are dropped (their records rolled
    back) when it failed.

    Args:
        store: the store wrapped.
    """

    def __init__(self, store: Store) -> None:
        self.inner: Store = store.inner if isinstance(store, DeliveringStore) else store

    def transaction(self, *, readonly: bool = False) -> _Unit:
        """A unit of work of the wrapped store (see the class)."""
        return _Unit(self.inner, readonly)

    def run(self, fn: Callable[[Transaction], R], *, attempts: int = 4) -> R:
        """``fn(tx)`` in a unit of work (see the class), run again whole when it lost
        a race (:class:`~symprogram.errors.ConcurrencyError`: on a database server
        two units of work both inserted one key, or one changed a record the other
        read; or a retryable :class:`~symprogram.errors.StorageError` such as a
        deadlock or a serialization failure), up to ``attempts`` runs in all,
        after a short random pause. Only the outermost unit of work of a thread
        is run again (a nested one failing dooms its outer one, which only its
        owner can run again). A failed run's messages were rolled back with it:
        only the run that committed sends any.
        """
        for attempt in range(1, attempts + 1):
            outermost = _queued.depth == 0
            try:
                with self.transaction() as tx:
                    return fn(tx)
            except (ConcurrencyError, StorageError) as error:
                lost = isinstance(error, ConcurrencyError) or error.details.get("retryable")
                if not lost or not outermost or attempt == attempts:
                    raise
            time.sleep(random.uniform(0.001, 0.01) * attempt)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def close(self) -> None:
        """Close the wrapped store."""
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def __repr__(self) -> str:
        return f"DeliveringStore({self.inner!r})"


class _Unit:
    def __init__(self, store: Store, readonly: bool) -> None:
        self._context = store.transaction(readonly=readonly)

    def __enter__(self) -> Transaction:
        tx = self._context.__enter__()
        _queued.depth += 1
        return tx

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        committed = False
        try:
            result = self._context.__exit__(exc_type, exc, tb)
            committed = exc is None
            return result
        finally:
            _queued.depth -= 1
            if _queued.depth == 0:
                written, _queued.written = _queued.written, []
                for outbox, marker, entries in written if committed else ():
                    outbox.after_commit(marker, entries)


class MessageOutbox:
    """Writes messages in a unit of work and delivers them to a notifier after commit.

    Args:
        store: the store the messages are kept in.
        notifier: receives the messages.
        ledger_key: the program's ledger key or key ring: with one, a pending
            message's recipient, subject line, body and data are kept encrypted and
            sealed (see :mod:`symprogram._outbox_seal`), and one whose seal does not
            match is refused, never sent. ``None``: kept in clear, as before.

    Raises:
        ValidationError: ``ledger_key`` is not bytes, a key ring or ``None``
            (``invalid_key``).
    """

    def __init__(
        self, store: Store, notifier: Notifier, *, ledger_key: bytes | LedgerKeys | None = None
    ) -> None:
        self._store = store
        self._notifier = notifier
        self._seal = Seal(as_ledger_keys(ledger_key))

    def _like(self, store: Store) -> MessageOutbox:
        """An outbox of ``store`` with this one's notifier and keys."""
        return MessageOutbox(store, self._notifier, ledger_key=self._seal.keys)

    def write(
        self, tx: Transaction, messages: Iterable[Message], *, subject: str | None = None
    ) -> None:
        """Write ``messages`` as pending in ``tx``; they are delivered after it commits.

        One ``outbox_message`` record per message and one ``outbox_pending`` marker
        listing them (keyed by the first message's ID, which sorts by time).

        Args:
            tx: the unit of work of the change the messages announce.
            messages: the messages, in the order they are to be delivered.
            subject: the candidate they concern (default: each message's
                ``data["candidate_id"]``), for the erasure.
        """
        written: list[Entry] = []
        for message in messages:
            owner = _subject_of(message, subject)
            key = f"{owner}:{message.message_id}"
            text = self._seal.encode(key, message, owner, "pending")
            version = tx.save(MESSAGE_KIND, key, text, 0)
            written.append((key, version, message))
        self._pending(tx, written)

    def write_alike(self, tx: Transaction, message: Message, slot: str | None) -> None:
        """Write one message as :meth:`write` does, or under ``slot`` (a stand-in key
        no record has yet, e.g. ``~stand-in:<address>:<instant>:<message id>``) as a stand-in
        "delivered" to nobody: the same reads and writes either way, for the flows
        whose cost must not tell whether anybody receives a message (issue 18).

        Raises:
            ValidationError: ``slot`` does not start with ``~stand-in:`` (``invalid_slot``).
        """
        if slot is None:
            owner = _subject_of(message, None)
            key = f"{owner}:{message.message_id}"
        else:
            key, owner = _checked_slot(slot), STAND_IN
        # both keys are new (a message ID, a fresh stand-in key): written, not read first
        text = self._seal.encode(key, message, owner, "pending")
        self._pending(tx, [(key, tx.save(MESSAGE_KIND, key, text, 0), message)])

    def write_stand_in(self, tx: Transaction, message: Message, slot: str) -> None:
        """Write ``message`` in ``tx`` as a stand-in: the same records as :meth:`write`
        (its ``outbox_message`` record in the slot ``slot``, e.g. ``~stand-in:0042``,
        replacing the one there), "delivered" after commit to nobody.

        Raises:
            ValidationError: ``slot`` does not start with ``~stand-in:`` (``invalid_slot``).
        """
        self._pending(tx, [_put(tx, self._seal, _checked_slot(slot), message, STAND_IN)])

    def _pending(self, tx: Transaction, written: list[Entry]) -> None:
        """Write the pending marker of ``written`` and queue them for after the commit."""
        if not written:
            return
        marker = written[0][2].message_id
        tx.save(PENDING_KIND, marker, json.dumps({"keys": [key for key, _, _ in written]}), 0)
        if _queued.depth > 0:
            _queued.written.append((self, marker, written))

    def after_commit(self, marker: str, entries: Sequence[Entry]) -> None:
        """Deliver the messages of ``marker`` now that their unit of work committed, or,
        when it joined a unit of work still open in this thread (a host's ``with
        store.transaction():`` around service calls; a store with an ``on_commit``
        hook), once that one commits; when the store's units of work joined a host's
        transaction (a store with an ``on_host_commit`` hook, such as an SQLAlchemy
        store bound to a host's connection), once the host commits it: never if the
        outer unit of work or the host rolls it back."""
        joined = getattr(self._store, "on_commit", None)
        if joined is not None and joined(lambda: self.after_commit(marker, entries)):
            return
        defer = getattr(self._store, "on_host_commit", None)
        if defer is None or not defer(lambda store: self._deliver_kept(store, marker, entries)):
            try:
                self.deliver(marker, entries)
            except Exception:  # the change committed: the call must not fail for its mail
                _log.exception("messages could not be delivered; they stay pending")

    def _deliver_kept(self, store: Store, marker: str, entries: Sequence[Entry]) -> None:
        """After the host's commit, through ``store`` (joining no host): deliver what the
        host kept (a savepoint of its own that it rolled back took the marker and the
        messages along: the claim finds none of them, and nothing is sent)."""
        try:
            self._like(store).deliver(marker, entries)
        except Exception:  # the host committed: its commit must not fail for the mail
            _log.exception("messages could not be delivered; they stay pending")

    def deliver(self, marker: str, entries: Sequence[Entry]) -> int:
        """Hand the messages of the pending ``marker`` to the notifier, in order, and
        mark them delivered; stop at the first the notifier refuses (logged: the rest
        stay pending). Only those still pending when they are claimed are handed over
        (one erased or delivered meanwhile is not; see :meth:`_deliver`). A stand-in
        (:data:`STAND_IN`) is marked delivered without being handed to anybody.
        Return how many were handed over."""
        return self._deliver(marker, entries)[0]

    def _deliver(
        self, marker: str, entries: Sequence[Entry], pace: Pace | None = None
    ) -> tuple[int, bool]:
        """:meth:`deliver`; return how many were handed over and whether the notifier
        refused one.

        The messages go out in order, a chunk at a time, each chunk in a unit of
        work of its own that claims it, hands it over and commits (see
        :meth:`_deliver_chunk`), so that an erasure or another writer waits for at
        most one chunk's sends; ``pace`` sizes and spaces the chunks (see
        :class:`Pace`).
        """
        pace = Pace() if pace is None else pace
        handed, start = 0, 0
        while start < len(entries) or start == 0:
            end = start + pace.size
            progress = self._deliver_chunk(
                marker, entries[start:end], [key for key, _, _ in entries[end:]], pace
            )
            handed += progress.handed
            if progress.refused or progress.stopped:
                return handed, progress.refused
            start = end
        return handed, False

    def _deliver_chunk(
        self, marker: str, chunk: Sequence[Entry], later: list[str], pace: Pace
    ) -> Progress:
        """Claim ``chunk`` of ``marker``'s messages, hand it over and mark it in one unit
        of work; ``later`` are the keys of the marker's messages after it.

        The claim reads the marker locked, then marks the messages still pending
        delivered (one batched save at the versions they had when read, which locks
        their records until the commit; an erasure deletes a record only once it
        holds the same lock, see :func:`erase_messages`). So an erasure either
        committed before the claim, which then does not find the message, or waits
        until this unit of work ends: a message is never handed over after
        ``erase_person`` returned. A second deliverer of the same marker waits for
        its lock, then finds it gone or shorter. A claim that lost a race (a
        message erased, or a stand-in slot written, since it was read) is run
        again, reading the records first, before anything was handed over.
        """
        progress = Progress()
        for attempt in range(1, CLAIM_ATTEMPTS + 1):
            started = pace.claim()
            try:
                with self._store.transaction() as tx:
                    found = load_for_update(tx, PENDING_KIND, marker)
                    if found is None:  # delivered by another caller, or rolled back by a host
                        progress.stopped = True
                        return progress
                    claimed = _claim(tx, self._seal, chunk, read=attempt > 1)
                    progress.claimed = True
                    done = self._hand_over(claimed, progress)
                    _mark(tx, self._seal, found, claimed[done:], later)
                return progress
            except SymprogramError as error:
                if progress.claimed or not _lost(error) or attempt == CLAIM_ATTEMPTS:
                    _log.exception("messages could not be claimed or marked; they stay pending")
                    progress.stopped = True
                    return progress
            finally:
                pace.done(started, len(chunk))
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns

    def _hand_over(self, claimed: Sequence[Entry], progress: Progress) -> int:
        """Hand ``claimed`` to the notifier in order, up to the first it refuses
        (counted in ``progress``); return how many are done, stand-ins included
        (handed to nobody)."""
        for done, (key, _, message) in enumerate(claimed):
            if _is_stand_in(key):
                continue
            try:
                self._notifier.send(message)
            except Exception:  # the host's notifier: its error must not undo a commit
                _log.exception("a notifier refused a message; it stays pending")
                progress.refused = True
                return done
            progress.handed += 1
        return len(claimed)

    def deliver_pending(self, limit: int | None = None) -> int:
        """Deliver the messages a crash (or a refusing notifier) left pending, oldest
        first; return how many were handed to the notifier.

        Each unit of work's messages are claimed right before they are handed over
        (see :meth:`deliver`): a message erased after the page of pending ones was
        read is not sent, and several callers at once hand each message over once.
        Called inside a unit of work still open in this thread (a host's ``with
        store.transaction():``), or while the store's units of work join a host's
        transaction, the delivery runs once that commits (never if it rolls back:
        what it wrote may be among the pending messages) and this returns 0.

        Args:
            limit: at most about this many (whole units of work; default: all).

        A unit of work whose pending marker cannot be read, or with a message sealed
        with a key the outbox does not hold, is left pending whole (logged) until the
        marker is mended or removed, or the key given; the others go out. A message
        that does not match its seal or cannot be read is refused, logged and never
        sent; the rest of its unit of work goes out.

        Raises:
            ValidationError: a limit that is not a positive integer (``invalid_limit``).
            IntegrityError: once the others went out, the first unit of work left
                pending: its marker cannot be read (``record_corrupt``, naming its
                kind and key), or a message is sealed with a key the outbox does not
                hold (``ledger_key_unknown``, naming the message).
        """
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 1
        ):
            raise ValidationError(
                "limit must be a positive integer or None", field="limit", code="invalid_limit"
            )
        if self._deferred(lambda outbox: outbox.deliver_pending(limit)):
            return 0
        delivered, after, refused, pace = 0, None, False, Pace()
        left: list[IntegrityError] = []
        while not refused and (limit is None or delivered < limit):
            found, after, unread = self._pending_page(after)
            left.extend(unread)
            if after is None:
                break
            for marker, entries in found:
                handed, refused = self._deliver(marker, entries, pace)
                delivered += handed
                if refused or (limit is not None and delivered >= limit):
                    break
        if left:
            raise left[0]
        return delivered

    def _deferred(self, work: Callable[[MessageOutbox], object]) -> bool:
        """Defer ``work`` until the unit of work open in this thread (or the host's
        transaction the store's units of work join) commits, if there is one: what it
        wrote is not committed yet, so its messages must not go out before (and never,
        if it rolls back). Return whether it was deferred. An error of the deferred
        work is logged: the host's commit has happened by then."""

        def run(store: Store) -> None:
            try:
                work(self._like(store))
            except Exception:  # after the commit: it must not be undone by our error
                _log.exception("a deferred delivery of pending messages failed")

        joined = getattr(self._store, "on_commit", None)
        if joined is not None and joined(lambda: run(self._store)):
            return True
        defer = getattr(self._store, "on_host_commit", None)
        return defer is not None and bool(defer(run))

    def _pending_page(
        self, after: str | None
    ) -> tuple[list[tuple[str, list[Entry]]], str | None, list[IntegrityError]]:
        """The next page of pending markers after ``after``, each with its messages still
        pending (none: erased, or delivered by another caller; :meth:`_deliver` then
        drops the marker), and the key to read the next page after (``None``: no more).
        A message that does not match its seal or cannot be read is left out and
        refused (see :meth:`_refuse`); and the errors of the units of work
        :meth:`_entries` cannot read, left pending whole (logged)."""
        found: list[tuple[str, list[Entry]]] = []
        left: list[IntegrityError] = []
        refused: list[tuple[Record, IntegrityError]] = []
        with self._store.transaction(readonly=True) as tx:
            markers = tx.scan(PENDING_KIND, after=after, limit=_PAGE)
            for marker in markers:
                try:
                    found.append((marker.key, self._entries(tx, marker, refused)))
                except IntegrityError as error:
                    _log.error("outbox unit of work %s left pending: %s", marker.key, error)
                    left.append(error)
        if refused:
            self._refuse(refused)
        return found, (markers[-1].key if markers else None), left

    def _entries(
        self, tx: Transaction, marker: Record, refused: list[tuple[Record, IntegrityError]]
    ) -> list[Entry]:
        """The messages of ``marker`` still pending, opened; those that do not match
        their seal or cannot be read are added to ``refused`` instead. Raises
        ``IntegrityError`` when the marker cannot be read (``record_corrupt``) or a
        message is sealed with a key the ring does not hold (``ledger_key_unknown``)."""
        keys = _marked_keys(marker)
        records = _load_all(tx, keys)
        entries: list[Entry] = []
        for record in (records[key] for key in keys if key in records):
            try:
                message = self._seal.decode(record)[1]
            except IntegrityError as error:
                if error.code == "ledger_key_unknown":
                    raise
                refused.append((record, error))
                continue
            if message is not None:
                entries.append((record.key, record.version, message))
        return entries

    def _refuse(self, refused: Sequence[tuple[Record, IntegrityError]]) -> None:
        """Mark the messages of ``refused`` (changed in the database: their seal does not
        match, or they cannot be read) ``refused``, with the error's code and without
        their text, at the versions they were read at (the delivery leaves them out,
        and drops them from their marker); log each (logger ``symprogram.outbox``).
        None is ever handed to the notifier."""
        with self._store.transaction() as tx:
            for record, error in refused:
                current = load_for_update(tx, MESSAGE_KIND, record.key)
                if current is not None and current.version == record.version:
                    text = refused_text(_readable(current), error.code)
                    tx.save(MESSAGE_KIND, record.key, text, current.version)
        for record, error in refused:
            _log.error("outbox message %s refused, not sent: %s", record.key, error.code)

    def reseal(self) -> int:
        """Seal every pending message a retired key of the ring sealed again with the
        current key (:meth:`symprogram.Program.rekey` does, after a rotation), so that
        it opens once the retired key is dropped; return how many. One that does not
        match its seal or cannot be read is refused (see :meth:`deliver_pending`), one
        sealed with a key the ring does not hold left as it is (both logged)."""
        resealed, after = 0, None
        while True:
            refused: list[tuple[Record, IntegrityError]] = []
            with self._store.transaction() as tx:
                page = tx.scan(MESSAGE_KIND, after=after, limit=_PAGE)
                resealed += sum(_reseal(tx, self._seal, record, refused) for record in page)
            if refused:
                self._refuse(refused)
            if len(page) < _PAGE:
                return resealed
            after = page[-1].key

    def iter_records(self) -> Iterator[dict[str, Any]]:
        """Every message record (pending ones with their text), in key order.

        A sealed one is opened with this outbox's ledger key; without a key it is
        given as stored (no text).

        Raises:
            IntegrityError: a record is unreadable (``record_corrupt``), its seal does
                not match (``outbox_message_tampered``) or it is sealed with a key
                the ring does not hold (``ledger_key_unknown``).
        """
        after: str | None = None
        while True:
            with self._store.transaction(readonly=True) as tx:
                page = tx.scan(MESSAGE_KIND, after=after, limit=_PAGE)
            for record in page:
                data = _read(record)
                sealed = "sealed" in data and self._seal.keys is not None
                yield self._seal.opened(record, data) if sealed else data
            if len(page) < _PAGE:
                return
            after = page[-1].key


def _is_stand_in(key: str) -> bool:
    return key.startswith(STAND_IN + ":")


def _load_all(tx: Transaction, keys: Sequence[str]) -> dict[str, Record]:
    """The message records of ``keys`` that exist, by key: one plain read for one key
    (cheaper than a batched read on a server), one batched read for more."""
    if len(keys) > 1:
        return load_many(tx, MESSAGE_KIND, keys)
    found = tx.load(MESSAGE_KIND, keys[0]) if keys else None
    return {} if found is None else {found.key: found}


def _lost(error: SymprogramError) -> bool:
    """Whether ``error`` means a claim lost a race and may run again at once: a record
    changed or deleted since it was read, a deadlock, a serialization failure (not a
    database that stayed busy, or a lock wait that timed out: those waited already)."""
    if isinstance(error, ConcurrencyError | NotFound):
        return True
    return error.code in ("deadlock", "serialization_failure")


def _owner(key: str) -> str:
    """The subject a message record is filed under: its key up to the first colon."""
    return key.partition(":")[0]


def _claim(tx: Transaction, seal: Seal, entries: Sequence[Entry], *, read: bool) -> list[Entry]:
    """``entries`` marked delivered in ``tx`` (their text dropped), in their order, each
    with its new version; with ``read``, only those still pending, read first.

    Without ``read`` they are saved at the versions they were read (or written) at:
    a record erased or changed since makes the save raise
    :class:`~symprogram.errors.ConcurrencyError` (or ``NotFound``), and the caller
    claims again with ``read``. The save locks their records until ``tx`` ends: an
    erasure waits for it (see :func:`erase_messages`). Saved in key order, the order
    in which the erasure deletes them, so that the two never wait for each other in
    a circle.
    """
    if not entries:
        return []
    pending = _still_pending(tx, seal, entries) if read else {e[0]: e for e in entries}
    if not pending:
        return []
    order = sorted(pending)
    versions = save_many(
        tx,
        [
            (MESSAGE_KIND, key, seal.encode(key, message, _owner(key), "delivered"), version)
            for key, version, message in (pending[key] for key in order)
        ],
    )
    saved = dict(zip(order, versions, strict=True))
    return [(key, saved[key], pending[key][2]) for key, _, _ in entries if key in pending]


def _still_pending(tx: Transaction, seal: Seal, entries: Sequence[Entry]) -> dict[str, Entry]:
    """Those of ``entries`` whose record is still pending, by key, at its version now (a
    stand-in as its record holds it now: a slot may have been written again)."""
    found = _load_all(tx, sorted({key for key, _, _ in entries}))
    pending: dict[str, Entry] = {}
    for key, version, message in entries:
        record = found.get(key)
        if record is None:  # erased
            continue
        if record.version == version:  # unchanged since it was read or written
            pending[key] = (key, version, message)
        elif _is_stand_in(key):
            current = seal.decode(record)[1]
            if current is not None:
                pending[key] = (key, record.version, current)
        elif _read(record).get("state") == "pending":
            pending[key] = (key, record.version, message)
    return pending


def _mark(
    tx: Transaction, seal: Seal, marker: Record, unsent: Sequence[Entry], later: list[str]
) -> None:
    """Settle ``marker`` (read locked) after a chunk was handed over: the messages of it
    left ``unsent`` (the notifier refused one; the claim marked them delivered) are
    pending again, and the marker keeps them and the ``later`` ones; with none left,
    it is deleted."""
    if unsent:
        save_many(
            tx,
            [
                (MESSAGE_KIND, key, seal.encode(key, message, _owner(key), "pending"), version)
                for key, version, message in unsent
            ],
        )
    rest = [key for key, _, _ in unsent] + later
    if not rest:
        tx.delete(PENDING_KIND, marker.key, marker.version)
    elif rest != _marked_keys(marker):
        tx.save(PENDING_KIND, marker.key, json.dumps({"keys": rest}), marker.version)


def erase_messages(tx: Transaction, subject: str, *, addresses: Sequence[str] = ()) -> int:
    """Delete, within ``tx``, every message record of ``subject`` (pending or
    delivered) and every other one sent to one of ``addresses``, whoever it is
    filed under (a disclosure another candidate published to the person's
    address); return how many.

    Finding the messages to an address reads every message record once, page by
    page: an erasure is rare, and the SQLite erasure rewrites the whole file anyway.
    """
    own = f"{subject}:"
    doomed = _scan(tx, MESSAGE_KIND, own)
    wanted = set(addresses)
    if wanted:
        after: str | None = None
        while True:
            page = tx.scan(MESSAGE_KIND, after=after, limit=_PAGE)
            doomed.extend(
                record
                for record in page
                if not record.key.startswith(own) and _addressed_to(record, wanted)
            )
            if len(page) < _PAGE:
                break
            after = page[-1].key
    erased = 0
    # Each read locked before it is deleted, in key order: a delivery that claimed one
    # (MessageOutbox.deliver) is waited for, so that nothing is sent once this unit of
    # work has committed. A marker left naming them is dropped when next read.
    for key in sorted({record.key for record in doomed}):
        current = load_for_update(tx, MESSAGE_KIND, key)
        if current is not None:
            tx.delete(MESSAGE_KIND, key, current.version)
            erased += 1
    return erased


def _scan(tx: Transaction, kind: str, prefix: str) -> list[Record]:
    found: list[Record] = []
    after: str | None = None
    while True:
        page = tx.scan(kind, prefix=prefix, after=after, limit=_PAGE)
        found.extend(page)
        if len(page) < _PAGE:
            return found
        after = page[-1].key


class DeliversAfterCommit:
    """Mixin of a service's flows: ``self._store = store`` keeps it as a
    :class:`DeliveringStore`, so their units of work deliver their messages after commit."""

    _delivering: DeliveringStore

    @property
    def _store(self) -> Store:
        """The store, its units of work delivering their messages after commit."""
        return self._delivering

    @_store.setter
    def _store(self, store: Store) -> None:
        self._delivering = DeliveringStore(store)
