"""Answering "may we?": may_use, has_consented, granted_evidence, may_contact, iter_audience.

An answer reads the subject's projection once and applies
:func:`symprogram.consent.rules.decide` with the policies held in memory; an
instant before the subject's newest record replays the ledger up to it. On a
store with a change token an answer is remembered (:class:`symprogram._memo.TokenMemo`)
for the span of instants over which it cannot change.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from symprogram._checks import check_enum, reported_as
from symprogram._deprecation import deprecated_alias
from symprogram.clock import ensure_utc
from symprogram.consent import rules
from symprogram.consent._base import ConsentBase, MemoKey
from symprogram.consent.audience import Cached
from symprogram.consent.catalogue import PolicyCatalogue
from symprogram.consent.models import (
    Choice,
    ConsentState,
    ContactChannel,
    CookieCategory,
    LegalBasis,
    check_subject,
)
from symprogram.consent.ports import STATE_KIND
from symprogram.decisions import Decision
from symprogram.errors import ConcurrencyError, IntegrityError
from symprogram.persistence import Transaction

__all__ = ["Queries"]

_BEGINNING = datetime.min.replace(tzinfo=UTC)
_END = datetime.max.replace(tzinfo=UTC)


def _span(
    catalogue: PolicyCatalogue, instant: datetime, since: datetime | None
) -> tuple[datetime, datetime]:
    """The instants over which an answer given at ``instant`` cannot change.

    Conservative: from the later of the subject's newest record (``since``; before
    it the ledger is replayed) and the effective date of the policy in effect at
    ``instant``, to the effective date of the next policy.
    """
    policies = catalogue.policies
    rank = catalogue.rank_at(instant)
    low = policies[rank].effective_at if rank >= 0 else _BEGINNING
    if since is not None and since > low:
        low = since
    high = policies[rank + 1].effective_at if rank + 1 < len(policies) else _END
    return low, high


def _plain(subject: object, purpose: object, channel: object) -> bool:
    """Whether the question can be remembered (plain strings, a known channel type)."""
    return (
        type(subject) is str
        and type(purpose) is str
        and (channel is None or type(channel) is str or type(channel) is ContactChannel)
    )


class Queries(ConsentBase):
    """Questions about what a subject's choices allow."""

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
        memo = self._memo
        token = memo.token()
        if token is None or not _plain(subject, purpose, channel):
            return self._may_use(subject, purpose, channel, at, None, None)
        key: MemoKey = (subject, purpose, channel)
        known = memo.get(key, token)
        if known is not None and known[0] is self._catalogue:
            # The arguments of a remembered answer were validated when it was
            # computed: only the instant is new.
            instant = self._clock.now() if at is None else ensure_utc(at)
            answer = known[3]
            if answer.at is instant:  # the very instant it was computed for
                return answer
            if known[1] <= instant < known[2]:
                return answer.restamped(instant)
        return self._may_use(subject, purpose, channel, at, key, token)

    def _may_use(
        self,
        subject: object,
        purpose: object,
        channel: object,
        at: object,
        memo_key: MemoKey | None,
        token: object,
    ) -> Decision:
        subject = check_subject(subject)
        seen = self._memo.token() if token is None else token  # before anything is read
        with self._store.transaction(readonly=True) as tx:
            # the catalogue the store holds (one point read unless the token says so)
            catalogue = self._policies_in(tx, seen)
            purpose_id = rules.check_purpose(purpose, catalogue)
            contact = (
                None if channel is None else check_enum(ContactChannel, channel, "channel").value
            )
            instant = self._instant(at)
            cached = self._checked(tx, subject)
            if cached is None:
                answer = rules.decide(None, catalogue, purpose_id, instant, contact)
                self._remember(memo_key, token, catalogue, instant, None, answer)
                return answer
            state = cached.state
            if state.erased_at is None and state.last_at is not None and state.last_at > instant:
                state_at = self._projections.as_of(tx, state, instant, catalogue)
                return rules.decide(state_at, catalogue, purpose_id, instant, contact)
        # The projection is the state as of ``instant``: the answer depends on the
        # instant only through the policy in effect, so it is memoized per policy.
        decision_key = (catalogue, catalogue.rank_at(instant), purpose_id, contact)
        known = cached.decisions.get(decision_key)
        if known is None:
            known = rules.decide(state, catalogue, purpose_id, instant, contact)
            cached.decisions[decision_key] = known
        answer = known.restamped(instant)
        since = None if state.erased_at is not None else state.last_at
        self._remember(memo_key, token, catalogue, instant, since, answer)
        return answer

    def _checked(self, tx: Transaction, subject: str) -> Cached | None:
        """The subject's projection, checked against its ledger head, or ``None``
        (nothing recorded: no projection and an empty ledger).

        Read twice at most. A read that joins a writer's unit of work on a server
        (READ COMMITTED: each statement sees what was committed before it) sees a
        consent write committed between the projection's read and the head's as a
        projection one entry behind (or missing); read again, the two agree. A
        projection put back from an older backup, or deleted while the ledger keeps
        its entries, disagrees every time and is refused.

        Raises:
            IntegrityError: ``record_corrupt`` (see
                :meth:`~symprogram.consent.audience.Projections.check`).
        """
        for attempt in (1, 2):
            record = tx.load(STATE_KIND, subject)
            cached = (
                None
                if record is None
                else self._projections.cached(subject, record.data, record.version)
            )
            try:
                self._projections.check(tx, None if cached is None else cached.state, subject)
            except (IntegrityError, ConcurrencyError) as exc:
                if attempt == 2 or exc.code not in ("record_corrupt", "stale_version"):
                    raise
                continue
            return cached
        return None  # pragma: no cover - the loop returns or raises

    def _remember(
        self,
        key: MemoKey | None,
        token: object,
        catalogue: PolicyCatalogue,
        instant: datetime,
        since: datetime | None,
        answer: Decision,
    ) -> None:
        """Keep ``answer`` for the span of instants over which it cannot change."""
        if key is None:
            return
        low, high = _span(catalogue, instant, since)
        if low <= instant < high:
            self._memo.put(key, token, (catalogue, low, high, answer))

    def has_consented(
        self, subject: str, purpose: str | CookieCategory, at: datetime | None = None
    ) -> bool:
        """Whether ``purpose`` may be pursued for ``subject`` at ``at`` (a yes/no :meth:`may_use`).

        For an opt-in purpose (``remote_access``; ``special_offers`` and ``research``
        only on the stricter opt-in reading: the document makes them opt-out) this
        is true only after an explicit grant that was not withdrawn. A cookie
        category of a visitor not yet known (nothing recorded about them) follows
        the policy in effect: true when it is necessary or opt-out and not refused.
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
        purpose_id = rules.check_purpose(purpose, catalogue)
        instant = self._instant(at)
        with self._store.transaction(readonly=True) as tx:
            projections = self._projections
            state = projections.as_of(tx, projections.checked(tx, subject), instant, catalogue)
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
        ``"newsletters"`` or ``"special_offers"``) through ``channel`` (default email)?

        Refused as :meth:`may_use`, a refusal of the purpose on field ``category``.
        """
        with reported_as(purpose="category"):
            return self.may_use(subject, category, channel=channel, at=at)

    def iter_audience(
        self,
        purpose: str | CookieCategory,
        channel: ContactChannel | str | None = None,
        at: datetime | None = None,
        *,
        batch: int = 500,
    ) -> Iterator[str]:
        """Stream, in subject order, every subject for whom :meth:`may_use` allows.

        Only subjects something was recorded about are listed: the known ones, and
        for a cookie category the visitors not known whom it allows (a visitor never
        recorded, allowed the cookies the policy sets, is in no audience). A visitor
        not known is allowed nothing else, so is in no other audience.

        Subjects are read ``batch`` projections at a time, each page in its own
        read-only unit of work; nobody is loaded all at once.

        Raises:
            ValidationError: as :meth:`may_use`, and ``invalid_batch`` (at once, not
                on first iteration).
        """
        catalogue = self._policies()
        purpose_id = rules.check_purpose(purpose, catalogue)
        contact = None if channel is None else check_enum(ContactChannel, channel, "channel").value
        instant = self._instant(at)
        size = rules.check_batch(batch)

        def allowed(tx: Transaction, state: ConsentState) -> bool:
            return rules.decide(state, catalogue, purpose_id, instant, contact).allowed

        policy = catalogue.in_effect(instant)
        declared = None if policy is None else policy.purpose(purpose_id)
        if declared is None:
            # No policy, or the policy in effect does not declare the purpose: every
            # answer is no.
            return iter(())
        if declared.basis is LegalBasis.OPT_IN:
            return self._index.iter_granted(size, allowed, catalogue, purpose_id, contact, instant)
        return self._projections.pages(size, allowed, instant, catalogue)

    audience = deprecated_alias("iter_audience", old="audience", since="0.2")
