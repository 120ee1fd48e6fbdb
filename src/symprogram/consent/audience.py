"""The audience index and the caches of decoded projections.

Two helpers of :class:`~symprogram.consent.service.ConsentService`, each holding
what it remembers between calls:

* :class:`Projections` decodes stored projections (remembering the decoded
  state and the decisions computed from it per subject), replays a subject's
  ledger up to an instant, and pages through every projection;
* :class:`AudienceIndex` keeps one small ``consent_granted`` record per subject
  and purpose the subject ever granted (written in the unit of work that updates
  the projection), so that the audience of an opt-in purpose reads only those
  subjects; a store written before the index existed gets it built on first use.

A projection records the ledger position it was derived from (``length``, the
number of entries applied). Every acting read compares it with the subject's
ledger head (:meth:`Projections.check`, one point read; :meth:`Projections.current`,
one batch per page): a projection whose position is not the head's (an older row
put back by someone with database access) is never served, nor is a missing
projection of a subject whose ledger has entries (the row deleted) taken for
"nothing recorded". A single-subject read or write refuses either (``IntegrityError``
``record_corrupt``); a stream of subjects (the
audience, the subjects to notify) skips it and reports it on the
``symprogram.consent`` logger. ``verify_all`` reports it (``projection_mismatch``)
and ``rebuild_all`` repairs it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import attrs

from symprogram._anchors import anchored_entries
from symprogram.consent import rules
from symprogram.consent._rules_audience import entry_allows  # the hot loop: unguarded
from symprogram.consent.models import CHANNEL_PREFIX, Choice, ConsentState
from symprogram.consent.ports import AUDIENCE_KIND, AUDIENCE_MARKER, META_KIND, STATE_KIND
from symprogram.consent.storage import CONVERTER, audience_key
from symprogram.decisions import Decision
from symprogram.errors import ConcurrencyError, IntegrityError, StorageError
from symprogram.events import Ledger
from symprogram.ledger_keys import LedgerKeys
from symprogram.persistence import (
    Record,
    Store,
    Transaction,
    WriteBuffer,
    decode_stored,
    load_many,
)
from symprogram.serialization import canonical_json, json_value

__all__ = ["CACHE_LIMIT", "AudienceIndex", "Projections"]

CACHE_LIMIT = 100_000
"""Decoded projections remembered by default; cleared when full."""

_MARKER_DATA = canonical_json({"format": 1})

_log = logging.getLogger("symprogram.consent")

_STALE = "is out of step with its consent ledger (an older projection put back?)"
_UNREAD = "cannot be read for the audience (%s)"
_MISSING = "is missing while its consent ledger has entries (the projection deleted?)"

Keep = Callable[[Transaction, ConsentState], bool]
Entries = Iterator[tuple[str, dict[str, Any] | None, datetime, int]]


class Cached:
    """A decoded projection and the decisions already computed from it."""

    __slots__ = ("data", "decisions", "state", "version")

    def __init__(self, data: str, version: int, state: ConsentState) -> None:
        self.data = data
        self.version = version
        self.state = state
        self.decisions: dict[tuple[object, ...], Decision] = {}


class Projections:
    """Stored projections, decoded once, and the ledger replayed when an instant needs it.

    Args:
        store: the store.
        ledger: the consent ledger.
        limit: the most decoded projections remembered.
    """

    def __init__(self, store: Store, ledger: Ledger, *, limit: int = CACHE_LIMIT) -> None:
        self._store = store
        self._ledger = ledger
        self._limit = limit
        self._cache: dict[str, Cached] = {}

    @property
    def keys(self) -> LedgerKeys | None:
        """The consent ledger's key ring (``None`` without a key)."""
        return self._ledger.keys

    def _decode(self, subject: str, record_data: str, version: int) -> ConsentState:
        state = decode_stored(
            record_data,
            ConsentState,
            kind=STATE_KIND,
            key=subject,
            converter=CONVERTER,
            identity=_subject_of,
        )
        return attrs.evolve(state, version=version)

    def cached(self, subject: str, record_data: str, version: int) -> Cached:
        """The decoded projection of a stored record, remembered for the next call."""
        cached = self._cache.get(subject)
        if cached is not None and cached.version == version and cached.data == record_data:
            return cached
        cached = Cached(record_data, version, self._decode(subject, record_data, version))
        if len(self._cache) >= self._limit:
            self._cache.clear()
        self._cache[subject] = cached
        return cached

    def peek(self, subject: str, record_data: str, version: int) -> ConsentState:
        """Decode a projection for a one-pass scan: use the cache, never fill it.

        A scan over every subject would otherwise hold up to the limit of decoded
        projections: memory must stay flat whatever the size.
        """
        cached = self._cache.get(subject)
        if cached is not None and cached.version == version and cached.data == record_data:
            return cached.state
        return self._decode(subject, record_data, version)

    def forget(self, subject: str) -> None:
        """Drop what is remembered about ``subject`` (after erasure)."""
        self._cache.pop(subject, None)

    def load(self, tx: Transaction, subject: str) -> ConsentState | None:
        """The subject's stored projection, or ``None`` (not checked against the ledger)."""
        record = tx.load(STATE_KIND, subject)
        if record is None:
            return None
        return self.cached(subject, record.data, record.version).state

    def check(
        self, tx: Transaction, state: ConsentState | None, subject: str
    ) -> ConsentState | None:
        """``state``, ``subject``'s stored projection, when it was derived from the
        subject's ledger as it stands now.

        One point read of the ledger head: the projection's ``length`` must be the
        head's. ``None`` (no projection) is returned only while the subject's ledger
        is empty (nothing recorded): a ledger with entries and no projection is a
        projection deleted, never "not known".

        A projection found missing is looked for once more (one more point read,
        only then): a unit of work that sees each statement's committed state (READ
        COMMITTED on a server) may read no projection and then the head of the
        subject's first records, committed between the two reads.

        Raises:
            IntegrityError: ``record_corrupt`` (an older projection, put back, or the
                projection deleted), or the head's own codes (``ledger_corrupt``,
                ``ledger_key_unknown``).
            ConcurrencyError: the subject's first records were committed between the
                reads (read again, or retry the write).
        """
        length = 0 if state is None else state.length
        if self._ledger.head(tx, subject)[0] == length:
            return state
        if state is None:
            if tx.load(STATE_KIND, subject) is not None:
                raise ConcurrencyError(
                    f"consent of {subject!r} was changed concurrently; retry",
                    details={"subject": subject},
                )
            raise IntegrityError.record_corrupt(STATE_KIND, subject, _MISSING)
        raise IntegrityError.record_corrupt(STATE_KIND, subject, _STALE)

    def checked(self, tx: Transaction, subject: str) -> ConsentState | None:
        """The subject's stored projection (:meth:`load`), checked (:meth:`check`);
        read twice when the subject's first records were committed meanwhile."""
        try:
            return self.check(tx, self.load(tx, subject), subject)
        except ConcurrencyError:
            return self.check(tx, self.load(tx, subject), subject)

    def current(self, tx: Transaction, lengths: dict[str, int]) -> set[str]:
        """The subjects whose projection length (``lengths``) is their ledger head's.

        The heads are read in one batch; each other subject (an older projection put
        back, or an unreadable head) is left out and reported on the
        ``symprogram.consent`` logger.
        """
        subjects = list(lengths)
        try:
            heads = [length for length, _ in self._ledger.heads(tx, subjects)]
        except IntegrityError:
            heads = [self._head_length(tx, subject) for subject in subjects]
        kept: set[str] = set()
        for subject, head in zip(subjects, heads, strict=True):
            if head == lengths[subject]:
                kept.add(subject)
            else:
                _log.warning("consent projection of %r %s: not served", subject, _STALE)
        return kept

    def _head_length(self, tx: Transaction, subject: str) -> int:
        try:
            return self._ledger.head(tx, subject)[0]
        except IntegrityError:
            return -1

    def entries(self, tx: Transaction, subject: str) -> Entries:
        """The subject's ledger as ``(kind, data, at, position)``, oldest first."""
        for entry in self._ledger.iter_entries(tx, subject):
            yield entry.kind, entry.data, entry.at, entry.position

    def as_of(
        self,
        tx: Transaction,
        state: ConsentState | None,
        instant: datetime,
        catalogue: Any = None,
    ) -> ConsentState | None:
        """``state`` as of ``instant``: replayed from the ledger when it has later records,
        only from entries that end where the stream head says (an anchored read: a
        deleted entry is ``ledger_tampered``, never an answer about the past), under
        ``catalogue`` (the policy catalogue in use: :func:`~symprogram.consent.rules.apply`).

        Raises:
            IntegrityError: ``ledger_tampered``, ``ledger_corrupt``, ``ledger_key_unknown``.
        """
        if (
            state is not None
            and state.erased_at is None
            and state.last_at is not None
            and state.last_at > instant
        ):
            entries = anchored_entries(self._ledger, tx, state.subject)
            said = ((e.kind, e.data, e.at, e.position) for e in entries)
            return rules.replay(state.subject, said, until=instant, catalogue=catalogue)
        return state

    def state_at(
        self, tx: Transaction, subject: str, instant: datetime, catalogue: Any = None
    ) -> tuple[ConsentState | None, int | None]:
        """The subject's projection as of ``instant`` (under ``catalogue``, see
        :meth:`as_of`) and the stored projection's length (scan use: the cache is not
        filled); ``(None, None)`` without a projection."""
        record = tx.load(STATE_KIND, subject)
        if record is None:
            return None, None
        return self._served(tx, subject, record.data, record.version, instant, catalogue)

    def _served(
        self,
        tx: Transaction,
        subject: str,
        data: str,
        version: int,
        instant: datetime,
        catalogue: Any = None,
    ) -> tuple[ConsentState | None, int | None]:
        """A stored projection as of ``instant`` for a scan, and its length. One that
        cannot be served (it holds another subject's data, or its ledger does not
        vouch for a replay) is ``(None, None)``, reported on the ``symprogram.consent``
        logger: it is left out of the audience, which goes on for every other subject."""
        try:
            stored = self.peek(subject, data, version)
            return self.as_of(tx, stored, instant, catalogue), stored.length
        except IntegrityError as exc:
            _log.warning("consent projection of %r %s: not served", subject, _UNREAD % exc.code)
            return None, None

    def pages(
        self, size: int, keep: Keep, instant: datetime, catalogue: Any = None
    ) -> Iterator[str]:
        """Stream every subject whose projection as of ``instant`` (under ``catalogue``,
        see :meth:`as_of`) ``keep`` accepts.

        A subject whose projection is not at its ledger head is left out (:meth:`current`).
        """
        after: str | None = None
        while True:
            chosen: dict[str, int] = {}
            with self._store.transaction(readonly=True) as tx:
                records = tx.scan(STATE_KIND, after=after, limit=size)
                for record in records:
                    state, length = self._served(
                        tx, record.key, record.data, record.version, instant, catalogue
                    )
                    if state is not None and length is not None and keep(tx, state):
                        chosen[record.key] = length
                kept = self.current(tx, chosen) if chosen else set()
            yield from (subject for subject in chosen if subject in kept)
            if len(records) < size:
                return
            after = records[-1].key


class AudienceIndex:
    """One ``consent_granted`` record per subject and purpose the subject ever granted.

    Args:
        store: the store.
        projections: the decoded projections (for building and for replays).
    """

    def __init__(self, store: Store, projections: Projections) -> None:
        self._store = store
        self._projections = projections
        self.known: bool | None = None
        self._purpose_ids: tuple[object, frozenset[str]] | None = None

    # -- writing -----------------------------------------------------------------
    def check_marker(self, tx: Transaction, state: ConsentState | None) -> None:
        """On the first write of this service: mark an empty store's index as complete.

        A store with no projection yet needs no index build: the entries are
        written with every projection from now on. A store holding projections
        without the marker was written before the index existed;
        :meth:`iter_granted` builds it the first time it needs it.
        """
        if tx.load(META_KIND, AUDIENCE_MARKER) is not None:
            self.known = True
        elif state is None and not tx.scan(STATE_KIND, limit=1):
            # Not remembered: the unit of work may still roll back. A concurrent
            # first writer may have saved it already (a refused insert is harmless).
            # Saved on the unit of work itself, never through a write buffer: a
            # buffer would send it at its flush, where that refusal is not caught.
            target = tx.tx if isinstance(tx, WriteBuffer) else tx
            with contextlib.suppress(ConcurrencyError):
                target.save(META_KIND, AUDIENCE_MARKER, _MARKER_DATA, 0)
        else:
            self.known = False

    def write(self, tx: Transaction, old: ConsentState | None, new: ConsentState) -> None:
        """Bring the subject's audience entries in line with its new projection.

        Call :meth:`check_marker` first (before the projection is saved) while
        :attr:`known` is ``None``.
        """
        topics = {c.topic for c in new.choices}
        if old is not None:
            topics.update(c.topic for c in old.choices)
        for topic in sorted(t for t in topics if not t.startswith(CHANNEL_PREFIX)):
            key = audience_key(topic, new.subject)
            entry = rules.audience_entry(new, topic)
            item = new.choice(topic)
            granted = entry is not None and item is not None and item.choice is Choice.GRANTED
            current = None if old is None else tx.load(AUDIENCE_KIND, key)
            if current is None:
                if granted and entry is not None:
                    tx.save(AUDIENCE_KIND, key, self.sealed(key, entry), 0)
            elif entry is None:
                tx.delete(AUDIENCE_KIND, key, current.version)
            else:
                data = self.sealed(key, entry)
                if data != current.data:
                    tx.save(AUDIENCE_KIND, key, data, current.version)

    def sealed(self, key: str, entry: dict[str, Any]) -> str:
        """The stored text of ``entry`` under ``key``, sealed with the ledger's key
        (:func:`~symprogram.consent.rules.sealed_text`)."""
        return rules.sealed_text(self._projections.keys, key, canonical_json(entry))

    def _rebuild(self, tx: Transaction, state: ConsentState) -> None:
        """Write the entries of a projection stored before the index existed.

        The ledger is not read: every purpose the subject made a choice on gets an
        entry (more than the grants, never fewer, which is all the index promises).
        """
        for item in state.choices if state.erased_at is None else ():
            if item.topic.startswith(CHANNEL_PREFIX):
                continue
            key = audience_key(item.topic, state.subject)
            entry = rules.audience_entry(state, item.topic)
            if entry is None:
                continue
            data = self.sealed(key, entry)
            current = tx.load(AUDIENCE_KIND, key)
            if current is None:
                tx.save(AUDIENCE_KIND, key, data, 0)
            elif current.data != data:
                tx.save(AUDIENCE_KIND, key, data, current.version)

    def build(self, size: int) -> bool:
        """Write every subject's audience entries, ``size`` projections per unit of work.

        Returns whether the index is complete; ``False`` (answer with a full scan)
        when no write is possible here (inside a read-only unit of work) or a
        concurrent writer got in the way (the next call tries again).
        """
        after: str | None = None
        try:
            while True:
                with self._store.transaction() as tx:
                    if tx.load(META_KIND, AUDIENCE_MARKER) is not None:
                        return True
                    records = tx.scan(STATE_KIND, after=after, limit=size)
                    for record in records:
                        peek = self._projections.peek
                        self._rebuild(tx, peek(record.key, record.data, record.version))
                    if len(records) < size:
                        tx.save(META_KIND, AUDIENCE_MARKER, _MARKER_DATA, 0)
                        return True
                after = records[-1].key
        except StorageError as exc:
            if exc.code != "read_only_transaction":
                raise
            return False
        except ConcurrencyError:
            return False

    # -- checking ----------------------------------------------------------------
    def _known_purposes(self, catalogue: Any) -> frozenset[str]:
        cached = self._purpose_ids
        if cached is None or cached[0] is not catalogue:
            ids = frozenset(p.id for policy in catalogue.policies for p in policy.purposes)
            cached = self._purpose_ids = (catalogue, ids)
        return cached[1]

    def problems(
        self,
        tx: Transaction,
        subject: str,
        stored: ConsentState | None,
        granted: set[str],
        catalogue: Any,
    ) -> list[str]:
        """The purposes whose audience entry disagrees with the projection (or is missing)."""
        if tx.load(META_KIND, AUDIENCE_MARKER) is None:
            return []
        topics = set(self._known_purposes(catalogue)) | granted
        if stored is not None:
            topics.update(c.topic for c in stored.choices)
        wrong: list[str] = []
        for topic in sorted(t for t in topics if not t.startswith(CHANNEL_PREFIX)):
            current = tx.load(AUDIENCE_KIND, audience_key(topic, subject))
            expected = None if stored is None else rules.audience_entry(stored, topic)
            if expected is None:
                if current is not None:
                    wrong.append(topic)
            elif current is None:
                item = stored.choice(topic) if stored is not None else None
                if topic in granted or (item is not None and item.choice is Choice.GRANTED):
                    wrong.append(topic)
            elif not self._same_entry(current, expected):
                wrong.append(topic)
        return wrong

    def _same_entry(self, current: Record, expected: dict[str, Any]) -> bool:
        """Whether the stored entry ``current`` holds ``expected`` and, where the ledger is
        keyed and the entry is sealed, its seal vouches for it. An entry written
        before entries were sealed, or sealed by a key the ring no longer holds (the
        ledger reports ``ledger_key_unknown`` then), is compared on its content
        alone; the reads do not believe either (the projection answers)."""
        stored = _decoded(current)
        if not _same_content(stored, expected):
            return False
        return not rules.seal_wrong(self._projections.keys, current.key, current.data)

    # -- reading -----------------------------------------------------------------
    def iter_granted(
        self,
        size: int,
        allowed: Keep,
        catalogue: Any,
        purpose_id: str,
        contact: str | None,
        instant: datetime,
    ) -> Iterator[str]:
        """The audience of an opt-in purpose, read from the audience index.

        Only subjects who ever granted the purpose can be allowed it; their index
        entries answer for every instant on or after their newest record, and the
        projection (replayed when needed) answers for the others. A subject whose
        projection is not at its ledger head is left out (:meth:`_current`); the
        entries themselves are believed (``verify`` reports one that disagrees).
        """
        prefix = audience_key(purpose_id, "")
        notified = max((r for r, _ in catalogue.material_changes(purpose_id, instant)), default=-1)
        keys = self._projections.keys
        judge = _EntryJudge(rules.micros(instant), notified, contact, catalogue, keys)
        after: str | None = None
        ready: bool | None = None
        while True:
            chosen: list[str] = []
            lengths: dict[str, int] = {}
            records: list[Record] = []
            with self._store.transaction(readonly=True) as tx:
                if ready is None:
                    ready = tx.load(META_KIND, AUDIENCE_MARKER) is not None
                if ready:
                    records = tx.scan(AUDIENCE_KIND, prefix=prefix, after=after, limit=size)
                for record in records:
                    subject = record.key[len(prefix) :]
                    verdict, length = judge(record.key, record.data)
                    if verdict is None:
                        state, length = self._projections.state_at(tx, subject, instant, catalogue)
                        verdict = state is not None and allowed(tx, state)
                    if verdict:
                        chosen.append(subject)
                        if length is not None:
                            lengths[subject] = length
                kept = self._current(tx, chosen, lengths) if chosen else set()
            if not ready:
                # A store written before the index existed: build it, or scan every
                # projection when that is not possible here.
                ready = self.build(size)
                if not ready:
                    yield from self._projections.pages(size, allowed, instant, catalogue)
                    return
                continue
            yield from (subject for subject in chosen if subject in kept)
            if len(records) < size:
                return
            after = records[-1].key

    def _current(self, tx: Transaction, chosen: list[str], lengths: dict[str, int]) -> set[str]:
        """The ``chosen`` subjects whose answering record is at their ledger head.

        ``lengths`` gives the ledger position of the record that answered (the
        audience entry's, or the projection's); a subject missing from it answered
        from an entry written before entries kept their position, and its stored
        projection's length is read instead (one batch). The ledger heads are read in
        one batch; a subject whose record is older than its ledger (put back) is left
        out and reported on the ``symprogram.consent`` logger.
        """
        legacy = [subject for subject in chosen if subject not in lengths]
        if legacy:
            for subject, record in load_many(tx, STATE_KIND, legacy).items():
                length = _length_of(record.data)
                if length is not None:  # else unreadable: never served, verify reports it
                    lengths[subject] = length
        return self._projections.current(tx, lengths) if lengths else set()


def _length_of(data: str) -> int | None:
    """The ``length`` of a stored projection, read without decoding it whole."""
    try:
        length = json_value(data).get("length", 0)
    except (ValueError, AttributeError):
        return None
    return length if type(length) is int else None


def _same_content(stored: object, expected: dict[str, Any]) -> bool:
    """Whether a stored audience entry holds ``expected`` (its seal aside); one written
    before entries kept their ledger position (no ``length``) is compared without it."""
    if not isinstance(stored, dict):
        return False
    content = {k: v for k, v in stored.items() if k != "seal"}
    if "length" not in content:
        return content == {k: v for k, v in expected.items() if k != "length"}
    return content == expected


def _decoded(record: Record) -> object:
    try:
        return json_value(record.data)
    except ValueError:
        return None


class _EntryJudge:
    """Answers from an audience entry when it describes the subject at the instant."""

    __slots__ = ("catalogue", "contact", "keys", "notified", "until")

    def __init__(
        self,
        until: int,
        notified: int,
        contact: str | None,
        catalogue: Any,
        keys: LedgerKeys | None,
    ) -> None:
        self.until = until
        self.notified = notified
        self.contact = contact
        self.catalogue = catalogue
        self.keys = keys

    def __call__(self, key: str, data: str) -> tuple[bool | None, int | None]:
        """Allowed or not, and the ledger position the entry was derived from (``None``:
        an entry written before it was kept); ``(None, None)`` when the projection
        must answer (later records, unreadable, or not vouched for by its seal:
        :func:`~symprogram.consent.rules.text_vouched`)."""
        try:
            entry = json_value(data)
            if entry["last"] <= self.until and rules.text_vouched(self.keys, key, data):
                allows = entry_allows(entry, self.notified, self.contact, self.catalogue)
                length = entry.get("length")
                return allows, length if type(length) is int else None
        except (ValueError, KeyError, TypeError, AttributeError):
            pass  # unreadable entry: the projection answers (verify reports it)
        return None, None


def _subject_of(state: ConsentState) -> str:
    """The key a projection is stored under: its subject."""
    return state.subject
