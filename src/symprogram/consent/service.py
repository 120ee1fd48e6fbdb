"""The consent service: record choices in a provable ledger and answer "may we?".

Every public method that writes opens one unit of work: it validates the input,
appends to the subject's hash-chained ledger stream and updates the subject's
projection in the same transaction, so the projection can never disagree with
the ledger. Reading answers (:meth:`ConsentService.may_use`) read the projection
once and apply pure rules with the policies held in memory.

Example:
    >>> from datetime import datetime, timezone
    >>> from symprogram.clock import FixedClock
    >>> from symprogram.storage.memory import MemoryStore
    >>> clock = FixedClock(datetime(2011, 1, 14, tzinfo=timezone.utc))
    >>> consent = ConsentService(MemoryStore(), clock)
    >>> _ = consent.grant("cust-1", "special_offers", channel="web_form", evidence="box ticked")
    >>> consent.may_use("cust-1", "special_offers").codes
    ('granted',)
    >>> _ = consent.withdraw("cust-1", "special_offers", channel="email_reply")
    >>> consent.may_use("cust-1", "special_offers").codes
    ('withdrawn',)
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from symprogram.clock import Clock, ensure_utc
from symprogram.consent import rules
from symprogram.consent.catalogue import PolicyCatalogue
from symprogram.consent.models import (
    CHANNEL_PREFIX,
    MAX_EVIDENCE_LENGTH,
    MAX_VALUE_LENGTH,
    Channel,
    Choice,
    Collection,
    ConsentReceipt,
    ConsentRecord,
    ConsentState,
    ContactChannel,
    CookieCategory,
    CorrectionRequest,
    CorrectionStatus,
    DataItem,
    ErasureReceipt,
    LedgerAudit,
    LegalBasis,
    Notice,
    NoticeKind,
    Policy,
    PolicyChange,
    PublishedPolicy,
    ReceiptChoice,
    ReceiptEntry,
    SubjectExport,
    SubjectFile,
    _enum,
    _site,
    channel_topic,
    check_subject,
    check_text,
)
from symprogram.consent.ports import FILE_KIND, POLICY_KIND, STATE_KIND
from symprogram.decisions import Decision
from symprogram.errors import (
    CatalogueError,
    ConcurrencyError,
    Conflict,
    IllegalTransition,
    IntegrityError,
    LimitExceeded,
    NotFound,
    StorageError,
    ValidationError,
)
from symprogram.events import GENESIS, Ledger, LedgerEntry, Problem, Verification
from symprogram.persistence import Record, Repository, Store, Transaction, change_tracker
from symprogram.serialization import canonical_json, loads, make_converter

__all__ = [
    "AUDIENCE_KIND",
    "AUDIENCE_MARKER",
    "META_KIND",
    "RECEIPT_FORMAT",
    "ConsentService",
    "audience_key",
]

RECEIPT_FORMAT = "symprogram-consent-receipt/1"
"""The ``format`` of every :class:`ConsentReceipt`."""

AUDIENCE_KIND = "consent_granted"
"""Record kind of the audience index, keyed ``<purpose>\x1f<subject>`` (:func:`audience_key`).

A subject has an entry for a purpose from the first time it granted it until it is
erased (:func:`symprogram.consent.rules.audience_entry` gives the data); the entry is
written in the unit of work that updates the subject's projection. Purpose ids (at
most 64 characters) and subjects (at most 128) always fit the 255-character key."""

_SEPARATOR = "\x1f"

META_KIND = "consent_meta"
"""Record kind of the consent context's bookkeeping records."""

AUDIENCE_MARKER = "audience_index"
"""Key of the ``consent_meta`` record saying every subject's audience entries exist."""

_MARKER_DATA = canonical_json({"format": 1})


def audience_key(purpose: str, subject: str) -> str:
    """The key of ``subject``'s audience entry for ``purpose``: sorted by purpose, then subject."""
    return purpose + _SEPARATOR + subject


_CONVERTER = make_converter()
_CACHE_LIMIT = 100_000
_MEMO_LIMIT = 16_384
"""Remembered ``may_use`` answers (stores with a change token only); cleared when full."""
_BEGINNING = datetime.min.replace(tzinfo=UTC)
_END = datetime.max.replace(tzinfo=UTC)
_MAX_ITEMS = 50


def _state_key(state: ConsentState) -> str:
    return state.subject


def _file_key(file: SubjectFile) -> str:
    return file.subject


def _policy_key(published: PublishedPolicy) -> str:
    return f"{published.sequence:08d}"


def _batch(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10_000:
        raise ValidationError(
            "batch must be an integer from 1 to 10000", field="batch", code="invalid_batch"
        )
    return value


class _Cached:
    """A decoded projection and the decisions already computed from it."""

    __slots__ = ("data", "decisions", "state", "version")

    def __init__(self, data: str, version: int, state: ConsentState) -> None:
        self.data = data
        self.version = version
        self.state = state
        self.decisions: dict[tuple[object, ...], Decision] = {}


class ConsentService:
    """Privacy policies, the consent ledger, opt-outs, notices and requests.

    Args:
        store: where the ledger, projections and personal information live.
        clock: the source of "now".
        policies: the policy catalogue (default: the seed's policy,
            :meth:`PolicyCatalogue.default`); versions published with
            :meth:`publish_policy` are stored and added to it.
        ledger_key: optional secret; with it the ledger chain is HMAC-SHA-256 so
            nobody without the key can forge a consistent history.
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        policies: PolicyCatalogue | None = None,
        ledger_key: bytes | None = None,
    ) -> None:
        if policies is not None and not isinstance(policies, PolicyCatalogue):
            raise ValidationError(
                "policies must be a PolicyCatalogue", field="policies", code="invalid_catalogue"
            )
        self._store = store
        self._clock = clock
        self._base = policies if policies is not None else PolicyCatalogue.default()
        self._catalogue = self._base
        self._loaded = False
        self._lock = threading.Lock()
        self.ledger = Ledger("consent", key=ledger_key)
        self._cache: dict[str, _Cached] = {}
        self._probe = change_tracker(store)
        self._index_known: bool | None = None
        self._purpose_ids: tuple[PolicyCatalogue, frozenset[str]] | None = None
        self._memo: dict[
            tuple[str, str, str | None],
            tuple[object, PolicyCatalogue, datetime, datetime, Decision],
        ] = {}

    # -- plumbing ----------------------------------------------------------------
    def _states(self, tx: Transaction) -> Repository[ConsentState]:
        return Repository(tx, STATE_KIND, ConsentState, key=_state_key, converter=_CONVERTER)

    def _files(self, tx: Transaction) -> Repository[SubjectFile]:
        return Repository(tx, FILE_KIND, SubjectFile, key=_file_key, converter=_CONVERTER)

    def _published(self, tx: Transaction) -> Repository[PublishedPolicy]:
        return Repository(tx, POLICY_KIND, PublishedPolicy, key=_policy_key, converter=_CONVERTER)

    def _read_catalogue(self, tx: Transaction) -> tuple[PolicyCatalogue, int]:
        stored = list(self._published(tx).iterate())
        extra: list[Policy] = []
        for published in stored:
            known = self._base.rank(published.policy.version)
            if known >= 0:
                if self._base.get(published.policy.version) != published.policy:
                    raise IntegrityError(
                        f"stored policy {published.policy.version!r} differs from the catalogue",
                        code="policy_mismatch",
                    )
                continue
            extra.append(published.policy)
        catalogue = PolicyCatalogue((*self._base.policies, *extra)) if extra else self._base
        return catalogue, len(stored)

    def _policies(self) -> PolicyCatalogue:
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    with self._store.transaction(readonly=True) as tx:
                        self._catalogue, _ = self._read_catalogue(tx)
                    self._loaded = True
        return self._catalogue

    @property
    def policies(self) -> PolicyCatalogue:
        """The policy catalogue in use (including versions published through the store)."""
        return self._policies()

    def refresh_policies(self) -> PolicyCatalogue:
        """Re-read published policy versions from the store (e.g. published by another process)."""
        with self._lock:
            with self._store.transaction(readonly=True) as tx:
                self._catalogue, _ = self._read_catalogue(tx)
            self._loaded = True
        return self._catalogue

    def _instant(self, at: object, field: str = "at") -> datetime:
        return self._clock.now() if at is None else ensure_utc(at, field=field)

    def _cached(self, subject: str, record_data: str, version: int) -> _Cached:
        cached = self._cache.get(subject)
        if cached is not None and cached.version == version and cached.data == record_data:
            return cached
        try:
            state = loads(record_data, ConsentState, converter=_CONVERTER)
        except ValidationError as exc:
            raise IntegrityError(
                f"stored consent state of {subject!r} is unreadable",
                code="record_corrupt",
                details={"kind": STATE_KIND, "key": subject},
            ) from exc
        cached = _Cached(record_data, version, attrs.evolve(state, version=version))
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[subject] = cached
        return cached

    def _peek_state(self, subject: str, record_data: str, version: int) -> ConsentState:
        """Decode a projection for a one-pass scan: use the cache, never fill it.

        A scan over every subject (:meth:`audience`) would otherwise hold up to
        ``_CACHE_LIMIT`` decoded projections: memory must stay flat whatever the size.
        """
        cached = self._cache.get(subject)
        if cached is not None and cached.version == version and cached.data == record_data:
            return cached.state
        try:
            state = loads(record_data, ConsentState, converter=_CONVERTER)
        except ValidationError as exc:
            raise IntegrityError(
                f"stored consent state of {subject!r} is unreadable",
                code="record_corrupt",
                details={"kind": STATE_KIND, "key": subject},
            ) from exc
        return attrs.evolve(state, version=version)

    def _decode_state(self, subject: str, record_data: str, version: int) -> ConsentState:
        return self._cached(subject, record_data, version).state

    def _load_state(self, tx: Transaction, subject: str) -> ConsentState | None:
        record = tx.load(STATE_KIND, subject)
        if record is None:
            return None
        return self._decode_state(subject, record.data, record.version)

    def _entries(
        self, tx: Transaction, subject: str
    ) -> Iterator[tuple[str, dict[str, Any] | None, datetime, int]]:
        for entry in self.ledger.iter_entries(tx, subject):
            yield entry.kind, entry.data, entry.at, entry.position

    def _append(
        self,
        tx: Transaction,
        state: ConsentState | None,
        subject: str,
        kind: str,
        data: Mapping[str, Any],
        at: datetime,
    ) -> tuple[ConsentState, LedgerEntry]:
        entry = self.ledger.append(tx, subject, kind, data, at)
        base = state if state is not None else ConsentState(subject)
        if entry.position != base.length + 1:
            current = tx.load(STATE_KIND, _state_key(base))
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
        new = rules.apply(base, kind, entry.data, at, entry.position)
        if self._index_known is None:
            self._check_marker(tx, state)
        repo = self._states(tx)
        saved = repo.add(new) if state is None else repo.save(new)
        self._index_write(tx, state, new)
        return saved, entry

    # -- the audience index ------------------------------------------------------
    def _check_marker(self, tx: Transaction, state: ConsentState | None) -> None:
        """On the first write of this service: mark an empty store's index as complete.

        A store with no projection yet needs no index build: the entries are
        written with every projection from now on. A store holding projections
        without the marker was written before the index existed; :meth:`audience`
        builds it the first time it needs it.
        """
        if tx.load(META_KIND, AUDIENCE_MARKER) is not None:
            self._index_known = True
        elif state is None and not tx.scan(STATE_KIND, limit=1):
            # Not remembered: the unit of work may still roll back. A concurrent
            # first writer may have saved it already (a refused insert is harmless).
            with contextlib.suppress(ConcurrencyError):
                tx.save(META_KIND, AUDIENCE_MARKER, _MARKER_DATA, 0)
        else:
            self._index_known = False

    def _index_write(self, tx: Transaction, old: ConsentState | None, new: ConsentState) -> None:
        """Bring the subject's audience entries in line with its new projection."""
        subject = new.subject
        topics = {c.topic for c in new.choices}
        if old is not None:
            topics.update(c.topic for c in old.choices)
        for topic in sorted(topics):
            if topic.startswith(CHANNEL_PREFIX):
                continue
            key = audience_key(topic, subject)
            entry = rules.audience_entry(new, topic)
            item = new.choice(topic)
            granted = item is not None and item.choice is Choice.GRANTED
            if old is None:
                if entry is not None and granted:
                    tx.save(AUDIENCE_KIND, key, canonical_json(entry), 0)
                continue
            current = tx.load(AUDIENCE_KIND, key)
            if current is None:
                if entry is not None and granted:
                    tx.save(AUDIENCE_KIND, key, canonical_json(entry), 0)
            elif entry is None:
                tx.delete(AUDIENCE_KIND, key, current.version)
            else:
                data = canonical_json(entry)
                if data != current.data:
                    tx.save(AUDIENCE_KIND, key, data, current.version)

    def _index_rebuild(self, tx: Transaction, state: ConsentState) -> None:
        """Write the entries of a projection stored before the index existed.

        The ledger is not read: every purpose the subject made a choice on gets an
        entry (more than the grants, never fewer, which is all the index promises).
        """
        for item in state.choices if state.erased_at is None else ():
            if item.topic.startswith(CHANNEL_PREFIX):
                continue
            key = audience_key(item.topic, state.subject)
            data = canonical_json(rules.audience_entry(state, item.topic))
            current = tx.load(AUDIENCE_KIND, key)
            if current is None:
                tx.save(AUDIENCE_KIND, key, data, 0)
            elif current.data != data:
                tx.save(AUDIENCE_KIND, key, data, current.version)

    def _build_index(self, size: int) -> bool:
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
                        state = self._peek_state(record.key, record.data, record.version)
                        self._index_rebuild(tx, state)
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

    def _known_purposes(self, catalogue: PolicyCatalogue) -> frozenset[str]:
        cached = self._purpose_ids
        if cached is None or cached[0] is not catalogue:
            ids = frozenset(p.id for policy in catalogue.policies for p in policy.purposes)
            cached = self._purpose_ids = (catalogue, ids)
        return cached[1]

    def _index_problems(
        self,
        tx: Transaction,
        subject: str,
        stored: ConsentState | None,
        granted: set[str],
    ) -> list[str]:
        """The purposes whose audience entry disagrees with the projection (or is missing)."""
        if tx.load(META_KIND, AUDIENCE_MARKER) is None:
            return []
        topics = set(self._known_purposes(self._policies())) | granted
        if stored is not None:
            topics.update(c.topic for c in stored.choices)
        wrong: list[str] = []
        for topic in sorted(topics):
            if topic.startswith(CHANNEL_PREFIX):
                continue
            current = tx.load(AUDIENCE_KIND, audience_key(topic, subject))
            expected = None if stored is None else rules.audience_entry(stored, topic)
            if expected is None:
                if current is not None:
                    wrong.append(topic)
            elif current is None:
                item = stored.choice(topic) if stored is not None else None
                if topic in granted or (item is not None and item.choice is Choice.GRANTED):
                    wrong.append(topic)
            else:
                try:
                    found = json.loads(current.data)
                except ValueError:
                    found = None
                if found != expected:
                    wrong.append(topic)
        return wrong

    def _topic(self, value: object, catalogue: PolicyCatalogue) -> str:
        if isinstance(value, CookieCategory):
            value = value.purpose
        elif isinstance(value, ContactChannel):
            return channel_topic(value)
        if not isinstance(value, str):
            raise ValidationError(
                "a purpose or scope is text", field="purpose", code="invalid_purpose"
            )
        if value.startswith(CHANNEL_PREFIX):
            return channel_topic(value[len(CHANNEL_PREFIX) :])
        if not catalogue.knows(value):
            raise ValidationError(
                f"no policy declares the purpose {value!r}", field="purpose", code="unknown_purpose"
            )
        return value

    def _purpose(self, value: object, catalogue: PolicyCatalogue) -> str:
        topic = self._topic(value, catalogue)
        if topic.startswith(CHANNEL_PREFIX):
            raise ValidationError(
                "ask about a purpose; pass the contact channel as channel=",
                field="purpose",
                code="invalid_purpose",
            )
        return topic

    def _site(self, site: object) -> str | None:
        return None if site is None else _site(site)

    # -- recording choices -------------------------------------------------------
    def _choose(
        self,
        subject: object,
        topic: object,
        choice: Choice,
        channel: object,
        evidence: object,
        at: object,
        policy_version: object,
        site: object,
    ) -> ConsentRecord:
        subject = check_subject(subject)
        catalogue = self._policies()
        topic_id = self._topic(topic, catalogue)
        via: Channel = _enum(Channel, channel, "channel")
        text = check_text(evidence, "evidence", MAX_EVIDENCE_LENGTH)
        where = self._site(site)
        now = self._clock.now()
        instant = now if at is None else ensure_utc(at)
        with self._store.transaction() as tx:
            state = self._states(tx).find(subject)
            policy = rules.check_record_instant(state, instant, now, catalogue)
            shown = self._shown(policy, policy_version, instant, catalogue)
            if not topic_id.startswith(CHANNEL_PREFIX):
                if shown.purpose(topic_id) is None or policy.purpose(topic_id) is None:
                    raise ValidationError(
                        f"policy {shown.version} does not declare the purpose {topic_id!r}",
                        field="purpose",
                        code="purpose_not_declared",
                    )
                if choice is not Choice.GRANTED and (
                    catalogue.basis(topic_id, instant) is LegalBasis.NECESSARY
                ):
                    raise ValidationError(
                        f"{topic_id!r} is necessary for the transaction and cannot be refused",
                        field="purpose",
                        code="necessary_cannot_be_refused",
                    )
            data: dict[str, Any] = {
                "topic": topic_id,
                "choice": choice.value,
                "channel": via.value,
                "policy_version": shown.version,
                "evidence": text,
            }
            if where is not None:
                data["site"] = where
            _, entry = self._append(tx, state, subject, rules.CONSENT_RECORDED, data, instant)
        return ConsentRecord(
            subject,
            entry.kind,
            topic_id,
            choice,
            instant,
            via,
            shown.version,
            entry.position,
            entry.hash,
        )

    def _shown(
        self, policy: Policy, version: object, at: datetime, catalogue: PolicyCatalogue
    ) -> Policy:
        if version is None:
            return policy
        if not isinstance(version, str):
            raise ValidationError(
                "policy_version must be text", field="policy_version", code="invalid_version"
            )
        shown = catalogue.get(version)
        if shown.effective_at > at:
            raise ValidationError(
                f"policy {version} was not yet in effect at {at.isoformat()}",
                field="policy_version",
                code="policy_not_in_effect",
            )
        return shown

    def grant(
        self,
        subject: str,
        purpose_or_scope: str,
        *,
        channel: Channel | str,
        evidence: str = "",
        at: datetime | None = None,
        policy_version: str | None = None,
        site: str | None = None,
    ) -> ConsentRecord:
        """Record that ``subject`` agreed to a purpose (or opted back in to a channel).

        Args:
            subject: pseudonymous subject ID.
            purpose_or_scope: a purpose id (``"special_offers"``, ``"cookies.tracking"``,
                ``"partner_sharing"``) or a channel scope (``"channel.email"``).
            channel: through which channel the choice was made (``web_form``,
                ``profile_form``, ``email_reply``, ``postal_mail``, ``phone``, ...).
            evidence: what proves it (form id, checkbox text, message id); kept in
                the ledger, erased on request.
            at: when it was made (default: now). Never in the future, never before
                the subject's newest record or the first policy's effective date.
            policy_version: the version shown (default: the one in effect at ``at``).
            site: the site where it was given (co-branded sites share with partners).

        Raises:
            ValidationError: ``invalid_subject``, ``unknown_purpose``,
                ``purpose_not_declared``, ``invalid_channel``, ``future_instant``,
                ``out_of_order``, ``no_policy_in_effect``, ``policy_not_in_effect``,
                ``invalid_site``, ``evidence_too_long``.
            NotFound: ``policy_not_found``.
            IllegalTransition: ``subject_erased``.
        """
        return self._choose(
            subject, purpose_or_scope, Choice.GRANTED, channel, evidence, at, policy_version, site
        )

    def refuse(
        self,
        subject: str,
        purpose_or_scope: str,
        *,
        channel: Channel | str,
        evidence: str = "",
        at: datetime | None = None,
        policy_version: str | None = None,
        site: str | None = None,
    ) -> ConsentRecord:
        """Record that ``subject`` declined when asked (same arguments as :meth:`grant`).

        Raises:
            ValidationError: as :meth:`grant`, and ``necessary_cannot_be_refused``.
        """
        return self._choose(
            subject, purpose_or_scope, Choice.REFUSED, channel, evidence, at, policy_version, site
        )

    def withdraw(
        self,
        subject: str,
        purpose_or_scope: str,
        *,
        channel: Channel | str,
        evidence: str = "",
        at: datetime | None = None,
    ) -> ConsentRecord:
        """Withdraw consent: one call, through any channel, as easy as granting.

        Raises:
            ValidationError: as :meth:`refuse`.
        """
        return self._choose(
            subject, purpose_or_scope, Choice.WITHDRAWN, channel, evidence, at, None, None
        )

    def opt_out(
        self,
        subject: str,
        scope: str | ContactChannel | CookieCategory,
        *,
        channel: Channel | str = Channel.PROFILE_FORM,
        evidence: str = "",
        at: datetime | None = None,
    ) -> ConsentRecord:
        """Opt out of a purpose, partner sharing, a contact channel or a cookie category.

        Seed: "If you do not wish to continue receiving our e-mail newsletters or
        bulletins you can opt-out of receiving these communications by replying to
        the unsubscribe in the subject line" — ``opt_out(s, "newsletters",
        channel="email_reply")``. ``opt_out(s, ContactChannel.PHONE)`` stops every
        contact by phone; ``opt_out(s, CookieCategory.TRACKING)`` refuses tracking
        cookies (necessary cookies cannot be refused).

        Raises:
            ValidationError: as :meth:`refuse`.
        """
        return self._choose(subject, scope, Choice.OPTED_OUT, channel, evidence, at, None, None)

    def global_privacy_control(self, subject: str, at: datetime | None = None) -> ConsentRecord:
        """Record a Global Privacy Control signal: an opt-out of partner sharing.

        Raises:
            ValidationError: as :meth:`opt_out`.
        """
        return self._choose(
            subject,
            "partner_sharing",
            Choice.OPTED_OUT,
            Channel.BROWSER_SIGNAL,
            "Sec-GPC: 1",
            at,
            None,
            None,
        )

    # -- answering -----------------------------------------------------------------
    def may_use(
        self,
        subject: str,
        purpose: str | CookieCategory,
        channel: ContactChannel | str | None = None,
        at: datetime | None = None,
    ) -> Decision:
        """May ``purpose`` be pursued for ``subject`` (through contact ``channel``) at ``at``?

        Reads the subject's projection once; an ``at`` before the subject's newest
        record replays the ledger up to ``at`` (later records are never read into
        the answer). See :func:`symprogram.consent.rules.decide` for the reason codes.

        On a store with a change token (:func:`symprogram.persistence.change_tracker`,
        e.g. :class:`~symprogram.storage.memory.MemoryStore`) an answer is remembered
        and given again without reading the store while nothing was committed, the
        policy catalogue is the same and the instant falls in the span over which the
        answer cannot change (after the subject's newest record, under the same
        policy version).

        Raises:
            ValidationError: ``invalid_subject``, ``unknown_purpose``,
                ``invalid_channel``, ``naive_datetime``.
        """
        probe = self._probe
        if probe is not None:
            token = probe()
            if (
                token is not None
                and type(subject) is str
                and type(purpose) is str
                and (channel is None or type(channel) is str or type(channel) is ContactChannel)
            ):
                key = (subject, purpose, channel)
                memo = self._memo.get(key)
                if memo is not None and memo[0] == token and memo[1] is self._catalogue:
                    # The arguments of a remembered answer were validated when it was
                    # computed: only the instant is new.
                    instant = self._clock.now() if at is None else ensure_utc(at)
                    known = memo[4]
                    if known.at is instant:  # the very instant it was computed for
                        return known
                    if memo[2] <= instant < memo[3]:
                        return known.restamped(instant)
                return self._may_use(subject, purpose, channel, at, key, token)
        return self._may_use(subject, purpose, channel, at, None, None)

    def _may_use(
        self,
        subject: object,
        purpose: object,
        channel: object,
        at: object,
        memo_key: tuple[str, str, str | None] | None,
        token: object,
    ) -> Decision:
        subject = check_subject(subject)
        catalogue = self._policies()
        purpose_id = self._purpose(purpose, catalogue)
        contact = None if channel is None else _enum(ContactChannel, channel, "channel").value
        instant = self._instant(at)
        with self._store.transaction(readonly=True) as tx:
            record = tx.load(STATE_KIND, subject)
            if record is None:
                answer = rules.decide(None, catalogue, purpose_id, instant, contact)
                if memo_key is not None:
                    self._remember(memo_key, token, catalogue, instant, None, answer)
                return answer
            cached = self._cached(subject, record.data, record.version)
            state = cached.state
            if state.erased_at is None and state.last_at is not None and state.last_at > instant:
                state_at = rules.replay(subject, self._entries(tx, subject), until=instant)
                return rules.decide(state_at, catalogue, purpose_id, instant, contact)
        # The projection is the state as of ``instant``: the answer depends on the
        # instant only through the policy in effect, so it is memoized per policy.
        key = (catalogue, catalogue.rank_at(instant), purpose_id, contact)
        known = cached.decisions.get(key)
        if known is None:
            known = rules.decide(state, catalogue, purpose_id, instant, contact)
            cached.decisions[key] = known
        answer = known.restamped(instant)
        if memo_key is not None:
            since = None if state.erased_at is not None else state.last_at
            self._remember(memo_key, token, catalogue, instant, since, answer)
        return answer

    def _remember(
        self,
        key: tuple[str, str, str | None],
        token: object,
        catalogue: PolicyCatalogue,
        instant: datetime,
        since: datetime | None,
        answer: Decision,
    ) -> None:
        """Keep ``answer`` for the span of instants over which it cannot change.

        The span is conservative: from the later of the subject's newest record
        (``since``; before it the ledger is replayed) and the effective date of the
        policy in effect at ``instant``, to the effective date of the next policy.
        """
        policies = catalogue.policies
        rank = catalogue.rank_at(instant)
        low = policies[rank].effective_at if rank >= 0 else _BEGINNING
        if since is not None and since > low:
            low = since
        high = policies[rank + 1].effective_at if rank + 1 < len(policies) else _END
        if not low <= instant < high:
            return
        memo = self._memo
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[key] = (token, catalogue, low, high, answer)

    def has_consented(
        self, subject: str, purpose: str | CookieCategory, at: datetime | None = None
    ) -> bool:
        """Whether ``purpose`` may be pursued for ``subject`` at ``at`` (a yes/no :meth:`may_use`).

        For an opt-in purpose (``remote_access``, ``special_offers``) this is true
        only after an explicit grant that was not withdrawn.
        """
        return self.may_use(subject, purpose, at=at).allowed

    def granted_evidence(
        self, subject: str, purpose: str | CookieCategory, at: datetime | None = None
    ) -> str | None:
        """The evidence of the grant that allows ``purpose`` at ``at``, or ``None``.

        For consents bound to a document version (e.g. entitlements' remote-access
        terms: ``grant(s, "remote_access", channel=..., evidence="terms:2011-01")``)
        the caller compares the evidence with the version it needs.
        """
        subject = check_subject(subject)
        catalogue = self._policies()
        purpose_id = self._purpose(purpose, catalogue)
        instant = self._instant(at)
        with self._store.transaction(readonly=True) as tx:
            state = self._load_state(tx, subject)
            if (
                state is not None
                and state.erased_at is None
                and state.last_at is not None
                and state.last_at > instant
            ):
                state = rules.replay(subject, self._entries(tx, subject), until=instant)
            if not rules.decide(state, catalogue, purpose_id, instant).allowed or state is None:
                return None
            item = state.choice(purpose_id)
            if item is None or item.choice is not Choice.GRANTED:
                return None
            entry = next(self.ledger.iter_entries(tx, subject, after=item.position - 1), None)
        if entry is None or entry.data is None:
            return None
        evidence = entry.data.get("evidence")
        return evidence if isinstance(evidence, str) else None

    def may_contact(
        self,
        subject: str,
        category: str,
        at: datetime | None = None,
        *,
        channel: ContactChannel | str = ContactChannel.EMAIL,
    ) -> Decision:
        """May ``subject`` be contacted about ``category`` (a purpose such as
        ``"newsletters"`` or ``"special_offers"``) through ``channel`` (default email)?"""
        return self.may_use(subject, category, channel=channel, at=at)

    def audience(
        self,
        purpose: str | CookieCategory,
        channel: ContactChannel | str | None = None,
        at: datetime | None = None,
        *,
        batch: int = 500,
    ) -> Iterator[str]:
        """Stream, in subject order, every known subject for whom :meth:`may_use` allows.

        Subjects are read ``batch`` projections at a time, each page in its own
        read-only unit of work; nobody is loaded all at once.

        Raises:
            ValidationError: as :meth:`may_use`, and ``invalid_batch`` (at once, not
                on first iteration).
        """
        catalogue = self._policies()
        purpose_id = self._purpose(purpose, catalogue)
        contact = None if channel is None else _enum(ContactChannel, channel, "channel").value
        instant = self._instant(at)
        size = _batch(batch)

        def allowed(tx: Transaction, state: ConsentState) -> bool:
            return rules.decide(state, catalogue, purpose_id, instant, contact).allowed

        policy = catalogue.in_effect(instant)
        declared = None if policy is None else policy.purpose(purpose_id)
        if declared is None:
            # No policy, or the policy in effect does not declare the purpose: every
            # answer is no.
            return iter(())
        if declared.basis is LegalBasis.OPT_IN:
            return self._granted_pages(size, allowed, catalogue, purpose_id, contact, instant)
        return self._pages(size, allowed, instant)

    def _granted_pages(
        self,
        size: int,
        allowed: Callable[[Transaction, ConsentState], bool],
        catalogue: PolicyCatalogue,
        purpose_id: str,
        contact: str | None,
        instant: datetime,
    ) -> Iterator[str]:
        """The audience of an opt-in purpose, read from the audience index.

        Only subjects who ever granted the purpose can be allowed it; their index
        entries answer for every instant on or after their newest record, and the
        projection (replayed when needed) answers for the others.
        """
        prefix = audience_key(purpose_id, "")
        start = len(prefix)
        notified = max((r for r, _ in catalogue.material_changes(purpose_id, instant)), default=-1)
        until = rules.micros(instant)
        entry_allows = rules.entry_allows
        decode = json.loads
        after: str | None = None
        ready: bool | None = None
        while True:
            chosen: list[str] = []
            records: list[Record] = []
            with self._store.transaction(readonly=True) as tx:
                if ready is None:
                    ready = tx.load(META_KIND, AUDIENCE_MARKER) is not None
                if ready:
                    records = tx.scan(AUDIENCE_KIND, prefix=prefix, after=after, limit=size)
                for record in records:
                    try:
                        entry = decode(record.data)
                        if entry["last"] <= until:
                            if entry_allows(entry, notified, contact, catalogue):
                                chosen.append(record.key[start:])
                            continue
                    except (ValueError, KeyError, TypeError):
                        pass  # unreadable entry: the projection answers (verify reports it)
                    subject = record.key[start:]
                    state = self._state_at(tx, subject, instant)
                    if state is not None and allowed(tx, state):
                        chosen.append(subject)
            if not ready:
                # A store written before the index existed: build it, or scan every
                # projection when that is not possible here.
                ready = self._build_index(size)
                if not ready:
                    yield from self._pages(size, allowed, instant)
                    return
                continue
            yield from chosen
            if len(records) < size:
                return
            after = records[-1].key

    def _state_at(self, tx: Transaction, subject: str, instant: datetime) -> ConsentState | None:
        """The subject's projection as of ``instant`` (replayed if it has later records)."""
        record = tx.load(STATE_KIND, subject)
        if record is None:
            return None
        state: ConsentState | None = self._peek_state(subject, record.data, record.version)
        if (
            state is not None
            and state.erased_at is None
            and state.last_at is not None
            and state.last_at > instant
        ):
            state = rules.replay(subject, self._entries(tx, subject), until=instant)
        return state

    def _pages(
        self,
        size: int,
        keep: Callable[[Transaction, ConsentState], bool],
        instant: datetime,
    ) -> Iterator[str]:
        after: str | None = None
        while True:
            chosen: list[str] = []
            with self._store.transaction(readonly=True) as tx:
                records = tx.scan(STATE_KIND, after=after, limit=size)
                for record in records:
                    state: ConsentState | None = self._peek_state(
                        record.key, record.data, record.version
                    )
                    if (
                        state is not None
                        and state.erased_at is None
                        and state.last_at is not None
                        and state.last_at > instant
                    ):
                        state = rules.replay(
                            record.key, self._entries(tx, record.key), until=instant
                        )
                    if state is not None and keep(tx, state):
                        chosen.append(record.key)
            yield from chosen
            if len(records) < size:
                return
            after = records[-1].key

    # -- policies and notices ----------------------------------------------------
    def publish_policy(self, policy: Policy) -> PolicyChange:
        """Publish a new policy version and return what changed from the previous one.

        The version must take effect after the current latest one and not before
        now (a policy is never applied retroactively). A material change (a change
        in how personal information is used) comes with a prominent
        :class:`Notice`; until a subject is notified (:meth:`record_notice`), the
        affected purposes are not allowed for them.

        Raises:
            ValidationError: ``invalid_policy``, ``policy_backdated``, ``not_after_latest``.
            Conflict: ``policy_version_exists``.
        """
        if not isinstance(policy, Policy):
            raise ValidationError("expected a Policy", field="policy", code="invalid_policy")
        now = self._clock.now()
        if policy.effective_at <= now:
            raise ValidationError(
                "a new policy version takes effect in the future (never retroactively)",
                field="effective_at",
                code="policy_backdated",
            )
        with self._lock:
            with self._store.transaction() as tx:
                current, count = self._read_catalogue(tx)
                try:
                    catalogue = current.with_policy(policy)
                except CatalogueError as exc:
                    if exc.code == "duplicate_version":
                        raise Conflict(
                            exc.message, field="version", code="policy_version_exists"
                        ) from exc
                    raise
                self._published(tx).add(PublishedPolicy(count + 1, policy, now))
            self._catalogue = catalogue
            self._loaded = True
        return catalogue.change(policy.version)

    def policy(self, at: datetime | None = None) -> Policy:
        """The policy in effect at ``at`` (default now).

        Raises:
            NotFound: none was in effect (``no_policy_in_effect``).
        """
        instant = self._instant(at)
        found = self._policies().in_effect(instant)
        if found is None:
            raise NotFound(
                "no privacy policy was in effect", field="at", code="no_policy_in_effect"
            )
        return found

    def policy_change(self, version: str) -> PolicyChange:
        """What changed in ``version`` (NotFound ``policy_not_found``)."""
        return self._policies().change(version)

    def record_notice(
        self,
        subject: str,
        policy_version: str,
        *,
        channel: Channel | str = Channel.EMAIL,
        at: datetime | None = None,
    ) -> ConsentRecord:
        """Record that ``subject`` was notified of ``policy_version`` (it may be a future version).

        Raises:
            ValidationError: ``invalid_subject``, ``invalid_channel``, ``future_instant``,
                ``out_of_order``, ``no_policy_in_effect``.
            NotFound: ``policy_not_found``.
            IllegalTransition: ``subject_erased``.
        """
        subject = check_subject(subject)
        catalogue = self._policies()
        if not isinstance(policy_version, str):
            raise ValidationError(
                "policy_version must be text", field="policy_version", code="invalid_version"
            )
        catalogue.get(policy_version)
        via: Channel = _enum(Channel, channel, "channel")
        now = self._clock.now()
        instant = now if at is None else ensure_utc(at)
        with self._store.transaction() as tx:
            state = self._states(tx).find(subject)
            rules.check_record_instant(state, instant, now, catalogue)
            data = {"policy_version": policy_version, "channel": via.value}
            _, entry = self._append(tx, state, subject, rules.NOTICE_RECORDED, data, instant)
        return ConsentRecord(
            subject,
            entry.kind,
            None,
            None,
            instant,
            via,
            policy_version,
            entry.position,
            entry.hash,
        )

    def subjects_to_notify(self, policy_version: str, *, batch: int = 500) -> Iterator[str]:
        """Stream the known, non-erased subjects not yet notified of ``policy_version``.

        Raises:
            NotFound: ``policy_not_found``.
            ValidationError: ``invalid_batch``.
        """
        catalogue = self._policies()
        catalogue.get(policy_version)
        rank = catalogue.rank(policy_version)
        size = _batch(batch)
        instant = self._clock.now()

        def pending(tx: Transaction, state: ConsentState) -> bool:
            return state.erased_at is None and not any(
                catalogue.rank(s.policy_version) >= rank for s in state.seen
            )

        return self._pages(size, pending, instant)

    def forum_notice(self, at: datetime | None = None) -> Notice:
        """The notice to show before posting in a discussion group or forum (public information)."""
        policy = self.policy(at)
        return Notice(
            kind=NoticeKind.FORUM_PUBLIC,
            title="Information you post here is public",
            text=policy.forum_notice
            or "Information you submit in a discussion group or forum is public information.",
            policy_version=policy.version,
            recipients=("anyone who reads the forum",),
        )

    def cobranded_notice(self, site: str, at: datetime | None = None) -> Notice:
        """The notice for a co-branded site: what is submitted also goes to its partners.

        Raises:
            NotFound: ``site_not_cobranded``.
        """
        where = _site(site)
        policy = self.policy(at)
        co = policy.cobranded(where)
        if co is None:
            raise NotFound(
                f"{where!r} is not a co-branded site", field="site", code="site_not_cobranded"
            )
        return Notice(
            kind=NoticeKind.COBRANDED_SITE,
            title=f"{co.name} is run with our business partners",
            text=(
                f"When you submit information to {co.name} you may be submitting it to both "
                "us and our business partners, and the privacy policies of co-branded sites "
                "may differ from this privacy policy."
            ),
            policy_version=policy.version,
            recipients=co.partners,
        )

    # -- personal information and requests --------------------------------------
    def _items(self, data: object) -> dict[str, str]:
        if not isinstance(data, Mapping) or not data:
            raise ValidationError(
                "give at least one item of personal information", field="data", code="invalid_data"
            )
        if len(data) > _MAX_ITEMS:
            raise LimitExceeded(
                f"at most {_MAX_ITEMS} items at once", field="data", code="too_many_items"
            )
        items: dict[str, str] = {}
        for name, value in data.items():
            if not isinstance(name, str):
                raise ValidationError("item names are text", field="data", code="invalid_data")
            items[name] = check_text(value, "value", MAX_VALUE_LENGTH)
        return items

    def record_personal_data(
        self,
        subject: str,
        activity: str,
        data: Mapping[str, str],
        *,
        channel: Channel | str = Channel.WEB_FORM,
        site: str | None = None,
        at: datetime | None = None,
    ) -> ConsentRecord:
        """Keep personal information the subject gave during ``activity`` (e.g. an order).

        Only the items the policy in effect declares for that activity are accepted.
        The ledger records which items were gathered, never their values.

        Raises:
            ValidationError: ``unknown_activity``, ``data_not_declared``, ``invalid_data``,
                ``value_too_long``, and the instant codes of :meth:`grant`.
            LimitExceeded: ``too_many_items``.
        """
        subject = check_subject(subject)
        catalogue = self._policies()
        items = self._items(data)
        via: Channel = _enum(Channel, channel, "channel")
        where = self._site(site)
        now = self._clock.now()
        instant = now if at is None else ensure_utc(at)
        with self._store.transaction() as tx:
            state = self._states(tx).find(subject)
            policy = rules.check_record_instant(state, instant, now, catalogue)
            declared = policy.activity(activity) if isinstance(activity, str) else None
            if declared is None:
                raise ValidationError(
                    f"policy {policy.version} declares no activity {activity!r}",
                    field="activity",
                    code="unknown_activity",
                )
            undeclared = sorted(set(items) - set(declared.data))
            if undeclared:
                raise ValidationError(
                    f"policy {policy.version} does not gather {', '.join(undeclared)} "
                    f"during {activity}",
                    field="data",
                    code="data_not_declared",
                    details={"items": undeclared},
                )
            names = tuple(sorted(items))
            ledger_data: dict[str, Any] = {
                "activity": activity,
                "items": list(names),
                "channel": via.value,
                "policy_version": policy.version,
            }
            if where is not None:
                ledger_data["site"] = where
            _, entry = self._append(tx, state, subject, rules.DATA_COLLECTED, ledger_data, instant)
            files = self._files(tx)
            file = files.find(subject) or SubjectFile(subject)
            kept = {d.name: d for d in file.data}
            for name, value in items.items():
                kept[name] = DataItem(name, value, activity, instant)
            updated = attrs.evolve(
                file,
                data=tuple(sorted(kept.values(), key=lambda d: d.name)),
                collections=(
                    *file.collections,
                    Collection(activity, names, instant, via, policy.version, where),
                ),
            )
            files.add(updated) if file.version == 0 else files.save(updated)
        return ConsentRecord(
            subject,
            entry.kind,
            None,
            None,
            instant,
            via,
            policy.version,
            entry.position,
            entry.hash,
        )

    def request_correction(
        self,
        subject: str,
        changes: Mapping[str, str],
        *,
        channel: Channel | str = Channel.PROFILE_FORM,
        at: datetime | None = None,
    ) -> CorrectionRequest:
        """Record a request to correct personal information (not yet applied).

        Seed: "If you believe that Symantec does not have your current personal
        information, you can update it".

        Raises:
            ValidationError: ``data_not_declared`` (an item no activity gathers),
                ``invalid_data``, and the instant codes of :meth:`grant`.
        """
        subject = check_subject(subject)
        catalogue = self._policies()
        items = self._items(changes)
        via: Channel = _enum(Channel, channel, "channel")
        now = self._clock.now()
        instant = now if at is None else ensure_utc(at)
        with self._store.transaction() as tx:
            state = self._states(tx).find(subject)
            policy = rules.check_record_instant(state, instant, now, catalogue)
            files = self._files(tx)
            file = files.find(subject) or SubjectFile(subject)
            declared = {d for a in policy.activities for d in a.data} | {d.name for d in file.data}
            undeclared = sorted(set(items) - declared)
            if undeclared:
                raise ValidationError(
                    f"no personal information called {', '.join(undeclared)} is gathered",
                    field="changes",
                    code="data_not_declared",
                    details={"items": undeclared},
                )
            request = CorrectionRequest(
                id=f"CR-{len(file.corrections) + 1}",
                subject=subject,
                changes=tuple(sorted(items.items())),
                requested_at=instant,
                channel=via,
            )
            self._append(
                tx,
                state,
                subject,
                rules.CORRECTION_REQUESTED,
                {"request": request.id, "items": sorted(items), "channel": via.value},
                instant,
            )
            updated = attrs.evolve(file, corrections=(*file.corrections, request))
            files.add(updated) if file.version == 0 else files.save(updated)
        return request

    def complete_correction(
        self, subject: str, request_id: str, *, at: datetime | None = None
    ) -> CorrectionRequest:
        """Apply a correction request and record when it was done.

        Raises:
            NotFound: ``correction_not_found``.
            IllegalTransition: ``correction_already_completed``, ``subject_erased``.
            ValidationError: the instant codes of :meth:`grant`.
        """
        subject = check_subject(subject)
        catalogue = self._policies()
        now = self._clock.now()
        instant = now if at is None else ensure_utc(at)
        with self._store.transaction() as tx:
            state = self._states(tx).find(subject)
            rules.check_record_instant(state, instant, now, catalogue)
            files = self._files(tx)
            file = files.find(subject)
            found = None
            if file is not None:
                found = next((r for r in file.corrections if r.id == request_id), None)
            if file is None or found is None:
                raise NotFound(
                    f"no correction request {request_id!r}",
                    field="request_id",
                    code="correction_not_found",
                )
            if found.status is CorrectionStatus.COMPLETED:
                raise IllegalTransition(
                    f"correction request {request_id} was already completed",
                    field="request_id",
                    code="correction_already_completed",
                )
            done = attrs.evolve(found, status=CorrectionStatus.COMPLETED, completed_at=instant)
            kept = {d.name: d for d in file.data}
            for name, value in found.changes:
                kept[name] = DataItem(name, value, "correction", instant)
            self._append(
                tx,
                state,
                subject,
                rules.CORRECTION_COMPLETED,
                {"request": found.id, "items": [name for name, _ in found.changes]},
                instant,
            )
            files.save(
                attrs.evolve(
                    file,
                    data=tuple(sorted(kept.values(), key=lambda d: d.name)),
                    corrections=tuple(done if r.id == found.id else r for r in file.corrections),
                )
            )
        return done

    def personal_data(self, subject: str) -> SubjectFile:
        """The personal information held about ``subject`` and their requests.

        Raises:
            NotFound: ``consent_file_not_found``.
        """
        subject = check_subject(subject)
        with self._store.transaction(readonly=True) as tx:
            return self._files(tx).get(subject)

    # -- receipts, export, erasure, verification ---------------------------------
    def _receipt(self, tx: Transaction, subject: str, now: datetime) -> ConsentReceipt:
        state = self._load_state(tx, subject)
        entries = self.ledger.entries(tx, subject)
        if state is None and not entries:
            raise NotFound(
                f"nothing is recorded about {subject!r}",
                field="subject",
                code="consent_subject_not_found",
            )
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

    def receipt(self, subject: str) -> ConsentReceipt:
        """A machine-readable consent receipt: every standing choice and the full ledger.

        Raises:
            NotFound: ``consent_subject_not_found``.
        """
        subject = check_subject(subject)
        now = self._clock.now()
        with self._store.transaction(readonly=True) as tx:
            return self._receipt(tx, subject, now)

    def history(self, subject: str) -> list[LedgerEntry]:
        """The subject's ledger entries, oldest first."""
        subject = check_subject(subject)
        with self._store.transaction(readonly=True) as tx:
            return self.ledger.entries(tx, subject)

    def export(self, subject: str) -> SubjectExport:
        """Everything held about ``subject``: receipt (state and ledger), personal data, requests.

        Raises:
            NotFound: ``consent_subject_not_found``.
        """
        subject = check_subject(subject)
        now = self._clock.now()
        with self._store.transaction(readonly=True) as tx:
            receipt = self._receipt(tx, subject, now)
            file = self._files(tx).find(subject) or SubjectFile(subject)
        return SubjectExport(subject, now, receipt, file.data, file.collections, file.corrections)

    def erase(self, subject: str, *, at: datetime | None = None) -> ErasureReceipt:
        """Erase the subject's personal data, keeping a pseudonymous proof in the ledger.

        Drops the data (evidence included) of every ledger entry while keeping its
        digest and the chain, deletes the personal information and requests, and
        appends a ``subject_erased`` entry. Afterwards every answer about the
        subject, at any instant, is ``subject_erased`` and nothing more is recorded.

        Raises:
            NotFound: ``consent_subject_not_found``.
            IllegalTransition: ``subject_erased`` (already erased).
            ValidationError: the instant codes of :meth:`grant`.
        """
        subject = check_subject(subject)
        catalogue = self._policies()
        now = self._clock.now()
        instant = now if at is None else ensure_utc(at)
        with self._store.transaction() as tx:
            state = self._states(tx).find(subject)
            if state is None:
                raise NotFound(
                    f"nothing is recorded about {subject!r}",
                    field="subject",
                    code="consent_subject_not_found",
                )
            rules.check_record_instant(state, instant, now, catalogue)
            erased = self.ledger.erase(tx, subject)
            saved, entry = self._append(tx, state, subject, rules.SUBJECT_ERASED, {}, instant)
            files = self._files(tx)
            file = files.find(subject)
            if file is not None:
                files.remove(file)
        self._cache.pop(subject, None)
        return ErasureReceipt(subject, instant, erased, saved.length, entry.hash)

    def verify(self, subject: str) -> Verification:
        """Check the subject's ledger chain and that the projection equals its replay.

        Never raises for a defect: problems (``hash_mismatch``, ``broken_link``,
        ``gap``, ``truncated``, ``data_altered``, ``projection_mismatch``, ...) are
        listed; call ``raise_for_problems()`` to turn them into an ``IntegrityError``.
        """
        subject = check_subject(subject)
        with self._store.transaction(readonly=True) as tx:
            return self._verify(tx, subject)

    def _verify(self, tx: Transaction, subject: str) -> Verification:
        result = self.ledger.verify(tx, subject)
        problems = list(result.problems)
        granted: set[str] = set()

        def entries() -> Iterator[tuple[str, dict[str, Any] | None, datetime, int]]:
            for kind, data, at, position in self._entries(tx, subject):
                if (
                    kind == rules.CONSENT_RECORDED
                    and data is not None
                    and data.get("choice") == Choice.GRANTED.value
                ):
                    granted.add(str(data.get("topic")))
                yield kind, data, at, position

        try:
            replayed = rules.replay(subject, entries())
            stored = self._load_state(tx, subject)
        except (IntegrityError, ValidationError, KeyError, ValueError, TypeError):
            problems.append(Problem(result.length, "projection_unreadable", "cannot replay"))
        else:
            if stored is not None:
                stored = attrs.evolve(stored, version=0)
            if replayed != stored:
                problems.append(
                    Problem(
                        result.length,
                        "projection_mismatch",
                        "the stored consent state differs from a replay of the ledger",
                    )
                )
            for topic in self._index_problems(tx, subject, stored, granted):
                problems.append(
                    Problem(
                        result.length,
                        "audience_index_mismatch",
                        f"the audience index entry for {topic!r} differs from the projection",
                    )
                )
        return Verification(subject, result.length, tuple(problems))

    def verify_all(self, *, batch: int = 500) -> LedgerAudit:
        """Verify every subject's ledger (page by page) and report the failures."""
        size = _batch(batch)
        prefix = self.ledger.name + ":"
        after: str | None = None
        checked = 0
        failures: list[Verification] = []
        while True:
            with self._store.transaction(readonly=True) as tx:
                names = tx.streams(prefix=prefix, after=after, limit=size)
                for name in names:
                    result = self._verify(tx, name[len(prefix) :])
                    checked += 1
                    if not result.ok:
                        failures.append(result)
            if len(names) < size:
                return LedgerAudit(checked, tuple(failures))
            after = names[-1]
