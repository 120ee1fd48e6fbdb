"""The plumbing every consent flow shares: the catalogue in use, instants, the ledger append.

:class:`ConsentBase` holds the attributes :class:`~symprogram.consent.service.ConsentService`
sets up in its ``__init__``; each flow class (choices, queries, policies, ...)
derives from it and adds only its own public methods.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import datetime

import attrs

from symprogram._anchors import SaidEntries
from symprogram._memo import TokenMemo
from symprogram.clock import Clock, ensure_utc, read_clock
from symprogram.consent import _rules_policy_anchors as anchors
from symprogram.consent import rules
from symprogram.consent.audience import AudienceIndex, Projections
from symprogram.consent.catalogue import PolicyCatalogue
from symprogram.consent.events import (
    ConsentEvent,
    ConsentRecorded,
    DataCollected,
    NoticeRecorded,
)
from symprogram.consent.models import (
    RECEIPT_FORMAT,
    Channel,
    Choice,
    ConsentReceipt,
    ConsentRecord,
    ConsentState,
    Policy,
    ReceiptChoice,
    ReceiptEntry,
    check_subject,
)
from symprogram.consent.ports import POLICY_KIND, STATE_KIND
from symprogram.consent.storage import ConsentStorage
from symprogram.decisions import Decision
from symprogram.errors import ConcurrencyError, IntegrityError
from symprogram.events import GENESIS, Ledger, LedgerEntry, Subscriptions
from symprogram.persistence import Record, Repository, Store, Transaction

__all__ = ["ConsentBase", "MemoKey", "Recording", "Remembered", "policy_records"]

_PAGE = 500
"""Stored policy versions read per query."""

MemoKey = tuple[str, str, str | None]
"""A remembered ``may_use`` question: subject, purpose, contact channel."""

Remembered = tuple[PolicyCatalogue, datetime, datetime, Decision]
"""A remembered answer: the catalogue, the span of instants it holds for, the answer."""

Head = tuple[int, str]
"""A ledger stream head: its length and newest hash."""

Held = tuple[PolicyCatalogue, Head | None, object]
"""The catalogue in use, the head of the policies' stream it was read at (``None``:
not read yet) and the store's change token read before that head (``None``: none)."""


Locked = tuple[Transaction, ConsentStorage, ConsentState | None, datetime, datetime]
"""What :meth:`ConsentBase._locked` yields: the unit of work, its repositories, the
subject's projection, now and the record's instant."""


def policy_records(tx: Transaction) -> list[Record]:
    """Every stored ``consent_policy`` record, in key order (publication order)."""
    found: list[Record] = []
    after: str | None = None
    while True:
        page = tx.scan(POLICY_KIND, after=after, limit=_PAGE)
        found.extend(page)
        if len(page) < _PAGE:
            return found
        after = page[-1].key


@attrs.frozen
class Recording:
    """A unit of work recording about one subject, its instant checked.

    Attributes:
        tx: the unit of work.
        storage: the repositories in it.
        state: the subject's projection (``None``: nothing recorded yet).
        policy: the policy in effect at ``instant``.
        instant: when the record is made.
    """

    tx: Transaction
    storage: ConsentStorage
    state: ConsentState | None
    policy: Policy
    instant: datetime


class ConsentBase:
    """What every consent flow uses (set up by ``ConsentService.__init__``)."""

    ledger: Ledger
    _store: Store
    _clock: Clock
    _base: PolicyCatalogue
    _catalogue: PolicyCatalogue  # the catalogue of _held (what remembered answers used)
    _held: Held
    _lock: threading.Lock  # guards only the swap of _held, never a unit of work
    _projections: Projections
    _index: AudienceIndex
    _memo: TokenMemo[MemoKey, Remembered]
    _subscriptions: Subscriptions | None = None

    # -- the catalogue in use ----------------------------------------------------
    def _read_catalogue(self, tx: Transaction) -> tuple[PolicyCatalogue, int]:
        """The catalogue in use as ``tx`` sees it, and how many versions were published.

        Every stored version is checked against its ``policy_published`` entry first
        (:meth:`_policy_rows`), so that nothing is decided on a forged policy.

        Raises:
            IntegrityError: ``record_corrupt`` (a stored version differs from its
                entry, or has none in an anchored store; or does not decode),
                ``ledger_tampered`` (the policies' stream does not verify),
                ``policy_mismatch`` (a stored version differs from the catalogue's).
        """
        records = self._policy_rows(tx)
        repo = ConsentStorage(tx).published
        stored = [repo.decode(record) for record in records]
        extra: list[Policy] = []
        for published in stored:
            known = self._base.rank(published.policy.version)
            if known >= 0:
                if self._base.get_policy(published.policy.version) != published.policy:
                    raise IntegrityError(
                        f"stored policy {published.policy.version!r} differs from the catalogue",
                        code="policy_mismatch",
                    )
                continue
            extra.append(published.policy)
        catalogue = PolicyCatalogue((*self._base.policies, *extra)) if extra else self._base
        return catalogue, len(stored)

    def _policy_rows(self, tx: Transaction) -> list[Record]:
        """Every stored ``consent_policy`` record (in key order), once checked against
        the entries of the policies' stream
        (:data:`~symprogram.consent._rules_policy_anchors.POLICIES_SUBJECT`; a small
        stream: verified, then its entries read).

        Raises:
            IntegrityError: ``record_corrupt`` (a stored version is not the one its entry
                published: :func:`~symprogram.consent._rules_policy_anchors.require_anchored`),
                ``ledger_tampered`` / ``ledger_key_unknown`` (the stream does not verify).
        """
        records = policy_records(tx)
        anchors.require_anchored([(r.key, r.data) for r in records], self._policy_entries(tx))
        return records

    def _policy_entries(self, tx: Transaction) -> SaidEntries:
        """The ``(kind, data)`` entries of the policies' stream, once it verifies.

        Raises:
            IntegrityError: ``ledger_tampered`` / ``ledger_key_unknown``.
        """
        subject = anchors.POLICIES_SUBJECT
        self.ledger.verify(tx, subject).raise_for_problems()
        return self.ledger.said_entries(tx, subject)

    def _anchor_policies(self, tx: Transaction, at: datetime, published: str | None) -> int:
        """Append a ``policy_published`` entry for every stored version that has none
        (``method`` ``published`` for the record ``published`` just stored, ``migration``
        for one an earlier build stored); return how many. The caller has read the
        catalogue in ``tx`` (:meth:`_read_catalogue`), so in an anchored store only
        ``published`` has none."""
        records = policy_records(tx)
        said = anchors.anchored_keys(self.ledger.said_entries(tx, anchors.POLICIES_SUBJECT))
        items = [
            (
                anchors.POLICY_PUBLISHED,
                anchors.published_entry(
                    record.key,
                    record.data,
                    method=anchors.ANCHORED_ON_PUBLISH
                    if record.key == published
                    else anchors.ANCHORED_ON_MIGRATION,
                ),
                at,
            )
            for record in records
            if record.key not in said
        ]
        if items:
            self.ledger.append_many(tx, anchors.POLICIES_SUBJECT, items)
        return len(items)

    def _policies(self) -> PolicyCatalogue:
        """The catalogue in use: the one the store holds now.

        On a store with a change token
        (:func:`~symprogram.persistence.change_tracker`) the catalogue held is
        given again without reading the store while the token is the one read
        before it was last checked; otherwise the head of the policies' stream is
        read (:meth:`_policies_in`).
        """
        token = self._memo.token()
        held = self._held
        if token is not None and token == held[2]:
            return held[0]
        with self._store.transaction(readonly=True) as tx:
            return self._policies_in(tx, token)

    def _policies_in(self, tx: Transaction, token: object) -> PolicyCatalogue:
        """The catalogue in use as ``tx`` sees it (``token``: the store's change token
        read before ``tx`` was opened, ``None`` for none).

        One point read, the head of the policies' stream
        (:data:`~symprogram.consent._rules_policy_anchors.POLICIES_SUBJECT`): every
        publication, by any process, moves it (a new entry, a new hash). While it is
        the head the catalogue held was read at, that catalogue is used; otherwise
        the catalogue is read again (:meth:`_read_catalogue`) and held. A version a
        unit of work wrote and then rolled back is never what the store holds, so
        the next reading after the rollback leaves it behind.
        """
        held = self._held
        if token is not None and token == held[2]:
            return held[0]
        head = self.ledger.head(tx, anchors.POLICIES_SUBJECT)
        if head == held[1]:
            if token is not None:
                self._adopt(held[0], head, token)
            return held[0]
        catalogue, _ = self._read_catalogue(tx)
        return self._adopt(catalogue, head, token)

    def _adopt(self, catalogue: PolicyCatalogue, head: Head, token: object) -> PolicyCatalogue:
        """Use ``catalogue``, read at the policies' stream ``head`` after the store's
        change token was ``token``; return it.

        Whichever reading is adopted last wins, even an older one: the next
        :meth:`_policies` finds its token or head out of date and reads again, so
        the catalogue in use always follows the store. A reading inside a unit of
        work still open (its token ``None``) may see a version it wrote: held under
        a head the store never has once that unit of work rolls back, it is never
        used after the rollback. :meth:`~symprogram.consent.policies.Policies.publish_policy`
        adopts the catalogue it published only once the outermost unit of work commits.

        The units of work that read the catalogue run before the lock is taken:
        a thread in its own unit of work (holding the store's write lock) reads
        the policies too, so waiting for a unit of work under this lock would
        let the two threads wait for each other for ever.
        """
        with self._lock:
            self._held = (catalogue, head, token)
            self._catalogue = catalogue
        return catalogue

    # -- instants ----------------------------------------------------------------
    def _instant(self, at: object, field: str = "at") -> datetime:
        """``at`` in UTC, or now when it is ``None``."""
        return read_clock(self._clock) if at is None else ensure_utc(at, field=field)

    def _given(self, at: object) -> datetime | None:
        """The instant a caller gives a record (checked), or ``None`` for now."""
        return None if at is None else ensure_utc(at)

    def _now_and(
        self, state: ConsentState | None, given: datetime | None
    ) -> tuple[datetime, datetime]:
        """Now, and the instant of a record about the subject of ``state`` (``given``,
        default now: :func:`~symprogram.consent.rules.stamped_now`). Read inside the unit
        of work, once the subject is locked, so that writers queued on one subject
        stamp their records in the order they are written."""
        now = read_clock(self._clock)
        if given is not None:
            return now, given
        stamped = rules.stamped_now(state, now)
        return stamped, stamped

    # -- storage -----------------------------------------------------------------
    @contextlib.contextmanager
    def _reading(self, subject: object) -> Iterator[tuple[str, Transaction]]:
        """Open a read-only unit of work about ``subject``, checked first.

        Raises:
            ValidationError: ``invalid_subject`` (:func:`~symprogram.consent.models.check_subject`).
        """
        checked = check_subject(subject)
        with self._store.transaction(readonly=True) as tx:
            yield checked, tx

    @contextlib.contextmanager
    def _recording(self, subject: str, at: object) -> Iterator[Recording]:
        """Open a unit of work recording about ``subject`` at ``at`` (default now).

        Raises:
            ValidationError, IllegalTransition: the instant may not be recorded
                (:func:`symprogram.consent.rules.check_record_instant`).
        """
        catalogue = self._policies()
        with self._locked(subject, at) as (tx, storage, state, now, instant):
            policy = rules.check_record_instant(state, instant, now, catalogue)
            yield Recording(tx, storage, state, policy, instant)

    @contextlib.contextmanager
    def _locked(self, subject: str, at: object) -> Iterator[Locked]:
        """A unit of work about ``subject``: ``(tx, storage, state, now, instant)``.

        The subject's projection is locked first, so that writers of one subject
        queue (issue 18, hot subjects); now and the record's instant (``at``,
        default now) are read once it is locked (:meth:`_now_and`).
        """
        given = self._given(at)
        with self._store.transaction() as tx:
            storage = ConsentStorage(tx)
            state = self._projections.check(tx, storage.states.find_for_update(subject), subject)
            now, instant = self._now_and(state, given)
            yield tx, storage, state, now, instant

    def _states(self, tx: Transaction) -> Repository[ConsentState]:
        return ConsentStorage(tx).states

    def _append(
        self, tx: Transaction, state: ConsentState | None, event: ConsentEvent
    ) -> tuple[ConsentState, LedgerEntry]:
        """Append ``event`` to the subject's ledger; save the projection and its index
        entries; publish the event (:class:`~symprogram.events.Subscriptions`)."""
        subject, at = event.subject, event.at
        entry = self.ledger.append(tx, subject, event.event_name(), event.ledger_data(), at)
        base = state if state is not None else ConsentState(subject)
        if entry.position != base.length + 1:
            current = tx.load(STATE_KIND, subject)
            if (0 if current is None else current.version) != base.version:
                # A concurrent unit of work moved the projection on after we read it
                # (possible under READ COMMITTED on a server): nothing is written.
                raise ConcurrencyError(
                    f"consent of {subject!r} was changed concurrently; retry",
                    details={"subject": subject},
                )
            raise IntegrityError(
                f"the consent projection of {subject!r} is out of step with its ledger",
                code="projection_out_of_step",
                details={"projection": base.length, "ledger": entry.position - 1},
            )
        new = rules.apply(base, entry.kind, entry.data, at, entry.position)
        if self._index.known is None:
            self._index.check_marker(tx, state)
        repo = ConsentStorage(tx).states
        saved = repo.add(new) if state is None else repo.save(new)
        self._index.write(tx, state, new)
        if self._subscriptions is not None:
            self._subscriptions.publish((event,), tx=tx)
        return saved, entry

    @staticmethod
    def _recorded(
        entry: LedgerEntry, event: ConsentRecorded | NoticeRecorded | DataCollected
    ) -> ConsentRecord:
        """What a recording call returns about the entry it appended for ``event``."""
        chosen = event if isinstance(event, ConsentRecorded) else None
        return ConsentRecord(
            entry.subject,
            entry.kind,
            None if chosen is None else chosen.topic,
            None if chosen is None else Choice(chosen.choice),
            entry.at,
            Channel(event.channel),
            event.policy_version,
            entry.position,
            entry.hash,
        )

    def _receipt(self, tx: Transaction, subject: str, now: datetime) -> ConsentReceipt:
        """The subject's consent receipt at ``now`` (NotFound ``consent_subject_not_found``)."""
        state = self._projections.checked(tx, subject)
        entries = self.ledger.entries(tx, subject)
        rules.check_known_subject(subject, state, len(entries))
        verification = self.ledger.verify(tx, subject)
        policy = self._policies().in_effect(now)
        state = state or ConsentState(subject)
        return ConsentReceipt(
            format=RECEIPT_FORMAT,
            subject=subject,
            issued_at=now,
            policy_version=None if policy is None else policy.version,
            choices=tuple(
                ReceiptChoice(c.topic, c.choice, c.at, c.channel, c.policy_version, c.position)
                for c in state.choices
            ),
            seen=state.seen,
            history=tuple(
                ReceiptEntry(e.position, e.kind, e.at, e.data, e.hash, e.prev_hash, e.erased)
                for e in entries
            ),
            ledger_length=len(entries),
            ledger_head=entries[-1].hash if entries else GENESIS,
            verified=verification.ok,
            erased_at=state.erased_at,
        )
