"""The awards service: exam results, progress, earning, renewal, kits and disclosures.

Every public method runs in ONE unit of work (all or nothing), appends a domain
event to the candidate's account history for every change, and hands messages to
the notifier only after the unit of work committed.

Example:
    >>> from datetime import datetime, timezone
    >>> from symprogram.clock import FixedClock
    >>> from symprogram.history import AccountHistory
    >>> from symprogram.notify import Outbox
    >>> from symprogram.storage.memory import MemoryStore
    >>> from symprogram.awards import AwardsService, KitAddress, StaticCandidateDirectory
    >>> store, clock = MemoryStore(), FixedClock(datetime(2012, 3, 1, tzinfo=timezone.utc))
    >>> people = StaticCandidateDirectory()
    >>> people.add("c-1", KitAddress("Ada", "ada@example.com", ("1 Main St", "Springfield")))
    >>> awards = AwardsService(store, clock, history=AccountHistory(store), notifier=Outbox(),
    ...                        candidates=people)
    >>> _ = awards.record_exam_result("c-1", "ST0-091", 82, taken_at=clock.now())
    >>> [g.award_id for g in awards.evaluate("c-1")]
    ['sts-endpoint']
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from datetime import UTC, datetime, timedelta

import attrs
from email_validator import EmailNotValidError, validate_email

from symprogram.awards import rules
from symprogram.awards.catalogue import AwardCatalogue
from symprogram.awards.events import (
    AwardGranted,
    AwardRenewed,
    AwardRevoked,
    AwardsPublished,
    DisclosureRevoked,
    DisclosureVerified,
    ExamResultRecorded,
    KitDelivered,
    KitQueued,
    KitShipped,
)
from symprogram.awards.models import (
    ERASED_KIT_ADDRESS,
    ERASED_TEXT,
    AwardDefinition,
    AwardGrant,
    AwardHolding,
    AwardsErasure,
    CandidateAwards,
    Disclosure,
    DisclosureStatus,
    DisclosureView,
    ExamResult,
    KitFulfilment,
    Progress,
    PublishedDisclosure,
    VerificationRecord,
)
from symprogram.awards.ports import AwardsRepository, CandidateDirectory
from symprogram.awards.storage import UNKNOWN_CODE_LOG, AwardsStorage
from symprogram.clock import Clock, ensure_utc, start_of_day
from symprogram.decisions import Decision
from symprogram.errors import (
    Conflict,
    IllegalTransition,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from symprogram.history import AccountHistory
from symprogram.notify import Message, Notifier
from symprogram.persistence import MAX_KEY_LENGTH, Store, Transaction, change_tracker

__all__ = ["DEFAULT_DISCLOSURE_TTL", "MAX_DISCLOSURE_TTL", "AwardsService"]

DEFAULT_DISCLOSURE_TTL = timedelta(days=30)
"""How long a disclosure lasts when neither ``ttl`` nor ``expires_at`` is given."""

MAX_DISCLOSURE_TTL = timedelta(days=365)
"""The longest a disclosure may last."""

MAX_REASON_LENGTH = 500
MAX_CODE_LENGTH = 200

PROGRESS_MEMO_MAX = 4096
"""Most ``(candidate, award)`` progress answers one service remembers (oldest dropped first)."""

_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)
_new = object.__new__

# A remembered progress answer: (change token, window start, window end, award
# definition, the answer, the exact clock/argument object it was asked with or None).
_Remembered = tuple[object, datetime, datetime, AwardDefinition, Progress, datetime | None]

# The slot setters of the frozen Progress: a restamp copies the fields without
# running the initializer (attrs.evolve) or the frozen __setattr__ check.
(
    _set_candidate_id,
    _set_award_id,
    _set_at,
    _set_met,
    _set_percentage,
    _set_satisfied,
    _set_missing,
    _set_tree,
) = (
    vars(Progress)[name].__set__
    for name in (
        "candidate_id",
        "award_id",
        "at",
        "met",
        "percentage",
        "satisfied",
        "missing",
        "tree",
    )
)


def _restamped(p: Progress, at: datetime) -> Progress:
    """``p`` asked about instant ``at``: the frozen, validated fields copied as they are."""
    out: Progress = _new(Progress)
    _set_candidate_id(out, p.candidate_id)
    _set_award_id(out, p.award_id)
    _set_at(out, at)
    _set_met(out, p.met)
    _set_percentage(out, p.percentage)
    _set_satisfied(out, p.satisfied)
    _set_missing(out, p.missing)
    _set_tree(out, p.tree)
    return out


def _exact_utc(value: object) -> datetime | None:
    """``value`` if it is a plain UTC datetime (immutable: ``ensure_utc`` returns it as is)."""
    if type(value) is datetime and value.tzinfo is UTC:
        return value
    return None


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def _check_id(value: object, field: str) -> str:
    if (
        not isinstance(value, str)
        or not value.strip()
        or "\x00" in value
        or len(value) > MAX_KEY_LENGTH
    ):
        raise ValidationError(
            f"{field} must be a non-empty string of at most {MAX_KEY_LENGTH} characters",
            field=field,
            code=f"invalid_{field}",
        )
    return value


def _normalize_email(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise ValidationError("an email address is required", field=field, code="invalid_email")
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationError(str(exc), field=field, code="invalid_email") from exc


def _require_not_erased(state: CandidateAwards) -> None:
    if state.erased_at is not None:
        raise IllegalTransition(
            "this candidate's personal data was erased; nothing more is recorded",
            field="candidate_id",
            code="account_erased",
        )


def _candidate_not_found(cid: str) -> NotFound:
    return NotFound(f"no candidate {cid!r}", field="candidate_id", code="candidate_not_found")


def _last_change(state: CandidateAwards) -> datetime | None:
    instants: list[datetime] = []
    for g in state.grants:
        instants.append(g.granted_at)
        instants.extend(r.at for r in g.renewals)
        if g.revoked_at is not None:
            instants.append(g.revoked_at)
    return max(instants) if instants else None


class AwardsService:
    """Accreditations and certifications of one program.

    Args:
        store: where awards are kept.
        clock: the source of "now".
        history: the account history every change is appended to.
        notifier: receives the verification messages of disclosures.
        candidates: the program's candidates (satisfied by the accounts context).
        catalogue: the program; default :meth:`AwardCatalogue.default`.
        salt: service-wide secret salt for recipient hashes; default: a random
            salt per disclosure, stored beside the hash.
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        history: AccountHistory,
        notifier: Notifier,
        candidates: CandidateDirectory,
        catalogue: AwardCatalogue | None = None,
        salt: bytes | None = None,
    ) -> None:
        if salt is not None and (not isinstance(salt, bytes) or len(salt) < 16):
            raise ValidationError(
                "salt must be at least 16 bytes", field="salt", code="invalid_salt"
            )
        self._store = store
        self._clock = clock
        self._history = history
        self._notifier = notifier
        self._candidates = candidates
        self._catalogue = catalogue if catalogue is not None else AwardCatalogue.default()
        self._salt = salt
        self._repo: AwardsRepository = AwardsStorage()
        # Warm progress answers, only on stores with a change token (see progress()).
        self._probe = change_tracker(store)
        self._memo: dict[tuple[str, str], _Remembered] | None = None if self._probe is None else {}
        self._memo_token: object = None
        self._memo_lock = threading.Lock()

    @property
    def catalogue(self) -> AwardCatalogue:
        """The program catalogue in use."""
        return self._catalogue

    # -- helpers ----------------------------------------------------------------
    def _now(self) -> datetime:
        return ensure_utc(self._clock.now(), field="now")

    def _at(self, at: object | None) -> datetime:
        return self._now() if at is None else ensure_utc(at, field="at")

    def _candidate(self, candidate_id: object) -> str:
        cid = _check_id(candidate_id, "candidate_id")
        if not self._candidates.exists(cid):
            raise _candidate_not_found(cid)
        return cid

    def _grant_all(
        self, tx: Transaction, state: CandidateAwards, ids: tuple[str, ...], at: datetime
    ) -> tuple[CandidateAwards, list[AwardGrant]]:
        granted = []
        for award_id in ids:
            definition = self._catalogue.award(award_id)
            state, new = rules.grant(
                state, definition, at, self._catalogue, grant_id=secrets.token_hex(8)
            )
            granted.append(new)
            self._history.record(
                tx,
                AwardGranted(state.candidate_id, at, award_id, new.grant_id, new.expires_at),
            )
            if definition.kit:
                kit = rules.queue_kit(
                    kit_id=secrets.token_hex(8),
                    candidate_id=state.candidate_id,
                    grant=new,
                    address=self._candidates.contact_details(state.candidate_id),
                    at=at,
                )
                self._repo.save_kit(tx, kit)
                state = attrs.evolve(state, kit_ids=(*state.kit_ids, kit.kit_id))
                self._history.record(tx, KitQueued(state.candidate_id, at, kit.kit_id, award_id))
        return state, granted

    # -- evidence ---------------------------------------------------------------
    def record_exam_result(
        self,
        candidate_id: str,
        exam_code: str,
        score: int,
        *,
        taken_at: datetime,
        version: str | None = None,
    ) -> ExamResult:
        """Record an exam result (e.g. from a claimed score report).

        The result passes when ``score`` reaches the exam's pass score. ``version``
        defaults to the exam's newest version.

        Raises:
            ValidationError: ``invalid_candidate_id``, ``invalid_exam_code``,
                ``invalid_score``, ``score_out_of_range``, ``unknown_exam_version``,
                ``naive_datetime``, ``instant_in_future``, ``exam_retired`` (taken on
                or after the exam's retirement).
            NotFound: ``candidate_not_found``, ``exam_not_found``.
            Conflict: ``duplicate_exam_result`` (same exam, version and instant).
        """
        cid = self._candidate(candidate_id)
        exam = self._catalogue.exam(exam_code)
        if isinstance(score, bool) or not isinstance(score, int):
            raise ValidationError("score must be an integer", field="score", code="invalid_score")
        if not 0 <= score <= exam.max_score:
            raise ValidationError(
                f"score must be between 0 and {exam.max_score}",
                field="score",
                code="score_out_of_range",
            )
        if version is None:
            version = exam.versions[-1] if exam.versions else None
        elif not isinstance(version, str) or version not in exam.versions:
            raise ValidationError(
                f"exam {exam.code} has no version {version!r}",
                field="version",
                code="unknown_exam_version",
            )
        taken = ensure_utc(taken_at, field="taken_at")
        now = self._now()
        if taken > now:
            raise ValidationError(
                "an exam cannot be taken in the future", field="taken_at", code="instant_in_future"
            )
        if exam.retired_on is not None and taken >= start_of_day(exam.retired_on):
            raise ValidationError(
                f"exam {exam.code} was retired on {exam.retired_on.isoformat()}",
                field="taken_at",
                code="exam_retired",
                details={"replaced_by": exam.replaced_by},
            )
        with self._store.transaction() as tx:
            state = self._repo.candidate(tx, cid)
            _require_not_erased(state)
            for r in state.results:
                if r.exam_code == exam.code and r.version == version and r.taken_at == taken:
                    raise Conflict(
                        "this exam result is already recorded",
                        field="taken_at",
                        code="duplicate_exam_result",
                    )
            result = ExamResult(
                result_id=secrets.token_hex(8),
                exam_code=exam.code,
                version=version,
                score=score,
                passed=score >= exam.pass_score,
                taken_at=taken,
                recorded_at=now,
            )
            state = attrs.evolve(state, results=(*state.results, result))
            self._repo.save_candidate(tx, state)
            self._history.record(
                tx,
                ExamResultRecorded(
                    cid, now, result.result_id, exam.code, version, score, result.passed, taken
                ),
            )
        return result

    def exam_results(self, candidate_id: str) -> tuple[ExamResult, ...]:
        """The candidate's recorded exam results, oldest record first."""
        cid = self._candidate(candidate_id)
        with self._store.transaction(readonly=True) as tx:
            return self._repo.candidate(tx, cid).results

    # -- progress and holding ------------------------------------------------------
    def progress(self, candidate_id: str, award_id: str, at: datetime | None = None) -> Progress:
        """Which requirements of ``award_id`` the candidate meets as of ``at`` (default now).

        On a store with a change token (:func:`symprogram.persistence.change_tracker`,
        e.g. the memory store) a repeated question is answered from memory while no
        unit of work has committed since and the instant lies where the answer
        stands still (:func:`symprogram.awards.rules.progress_window`); the answer
        is the one a fresh evaluation gives. Other stores are read on every call.

        Raises:
            NotFound: ``candidate_not_found``, ``award_not_found``.
            ValidationError: ``invalid_candidate_id``, ``naive_datetime``.
        """
        # Warm answers (stores with a change token only, e.g. the memory store): an
        # answer is remembered with the store's change token, read before the
        # aggregate, and with the window of instants over which it stands still
        # (rules.progress_window). It is reused only while the token is unchanged
        # and the instant lies in the window, restamped with the instant asked.
        # Keys are only exact strings that passed _check_id and catalogue.award,
        # both pure functions of the string (the catalogue is fixed per service),
        # so a key found needs neither again. The candidate directory is an
        # outside port that may change without a commit: it is asked on every
        # call, remembered or not.
        memo = self._memo
        entry: _Remembered | None = None
        if memo is not None and type(candidate_id) is str and type(award_id) is str:
            entry = memo.get((candidate_id, award_id))
        if entry is None:
            cid = self._candidate(candidate_id)
            award = self._catalogue.award(award_id)
        else:
            cid = candidate_id
            if not self._candidates.exists(cid):
                raise _candidate_not_found(cid)
            award = entry[3]
        raw = self._clock.now() if at is None else at
        probe = self._probe
        token = None if probe is None else probe()
        if entry is not None and token == entry[0]:  # never None in an entry
            if raw is entry[5]:
                return entry[4]  # asked with the very instant it was remembered with
            when = ensure_utc(raw, field="now" if at is None else "at")
            if entry[1] <= when < entry[2]:
                answer = _restamped(entry[4], when)
                self._remember(
                    (cid, award_id), (token, entry[1], entry[2], award, answer, _exact_utc(raw))
                )
                return answer
        else:
            when = ensure_utc(raw, field="now" if at is None else "at")
        with self._store.transaction(readonly=True) as tx:
            state = self._repo.candidate(tx, cid)
        answer = rules.progress(state, award, when, self._catalogue)
        if token is not None and type(candidate_id) is str and type(award_id) is str:
            start, end = rules.progress_window(state, when)
            self._remember(
                (cid, award_id),
                (
                    token,
                    _EARLIEST if start is None else start,
                    _LATEST if end is None else end,
                    award,
                    answer,
                    _exact_utc(raw),
                ),
            )
        return answer

    def _remember(self, key: tuple[str, str], entry: _Remembered) -> None:
        memo = self._memo
        assert memo is not None
        with self._memo_lock:
            if entry[0] != self._memo_token:
                # Every remembered answer carries the same token: a new one means a
                # commit since the others were made, so they are dropped.
                memo.clear()
                self._memo_token = entry[0]
            elif key not in memo and len(memo) >= PROGRESS_MEMO_MAX:
                del memo[next(iter(memo))]
            memo[key] = entry

    def progress_all(self, candidate_id: str, at: datetime | None = None) -> tuple[Progress, ...]:
        """Progress towards every award of the catalogue, in catalogue order."""
        cid = self._candidate(candidate_id)
        when = self._at(at)
        with self._store.transaction(readonly=True) as tx:
            state = self._repo.candidate(tx, cid)
        return tuple(
            rules.progress(state, award, when, self._catalogue)
            for award in self._catalogue.awards.values()
        )

    def awards_of(self, candidate_id: str, at: datetime | None = None) -> tuple[AwardHolding, ...]:
        """Every award the candidate held by ``at``, with its status then (sorted by ID)."""
        cid = self._candidate(candidate_id)
        when = self._at(at)
        with self._store.transaction(readonly=True) as tx:
            state = self._repo.candidate(tx, cid)
        return rules.holdings(state, when, self._catalogue)

    def grants_of(self, candidate_id: str) -> tuple[AwardGrant, ...]:
        """Every grant of the candidate (including ended ones), oldest first."""
        cid = self._candidate(candidate_id)
        with self._store.transaction(readonly=True) as tx:
            return self._repo.candidate(tx, cid).grants

    # -- earning -------------------------------------------------------------------
    def evaluate(self, candidate_id: str, at: datetime | None = None) -> tuple[AwardGrant, ...]:
        """Grant every award whose requirements are met at ``at`` (default now).

        Repeats until nothing more is earned, so that an award requiring another
        one just earned is granted too. Each certification with a kit queues an
        achievement kit addressed to the candidate's current contact details.

        ``at`` may lie in the past (a score report claimed late) but not in the
        future nor before the candidate's last grant, renewal or revocation.

        Raises:
            ValidationError: ``instant_in_future``, ``instant_before_last_change``.
            NotFound: ``candidate_not_found``.
        """
        cid = self._candidate(candidate_id)
        now = self._now()
        when = self._at(at)
        if when > now:
            raise ValidationError(
                "cannot grant awards in the future", field="at", code="instant_in_future"
            )
        with self._store.transaction() as tx:
            state = self._repo.candidate(tx, cid)
            _require_not_erased(state)
            last = _last_change(state)
            if last is not None and when < last:
                raise ValidationError(
                    "cannot evaluate before the last change of the candidate's awards",
                    field="at",
                    code="instant_before_last_change",
                    details={"last_change": last.isoformat()},
                )
            granted: list[AwardGrant] = []
            while True:
                ids = rules.earnable(state, when, self._catalogue)
                if not ids:
                    break
                state, new = self._grant_all(tx, state, ids, when)
                granted.extend(new)
            if granted:
                self._repo.save_candidate(tx, state)
        return tuple(granted)

    def earn(self, candidate_id: str, award_id: str) -> AwardGrant:
        """Grant one award now, if its requirements are met.

        Raises:
            Conflict: ``requirements_not_met`` (missing requirements in
                ``details``), ``award_already_active``.
            IllegalTransition: ``award_retired``.
            NotFound: ``candidate_not_found``, ``award_not_found``.
        """
        cid = self._candidate(candidate_id)
        award = self._catalogue.award(award_id)
        now = self._now()
        with self._store.transaction() as tx:
            state = self._repo.candidate(tx, cid)
            _require_not_erased(state)
            state, granted = self._grant_all(tx, state, (award.award_id,), now)
            self._repo.save_candidate(tx, state)
        return granted[0]

    def can_renew(self, candidate_id: str, award_id: str, at: datetime | None = None) -> Decision:
        """Whether the award can be renewed at ``at`` (default now), with the reasons."""
        cid = self._candidate(candidate_id)
        award = self._catalogue.award(award_id)
        when = self._at(at)
        with self._store.transaction(readonly=True) as tx:
            state = self._repo.candidate(tx, cid)
        return rules.can_renew(state, award, when, self._catalogue)

    def renew(self, candidate_id: str, award_id: str) -> tuple[AwardHolding, ...]:
        """Renew an active award now, extending it from its current expiry.

        Awards it includes (per the catalogue) that are active are renewed too.
        Returns the renewed awards, the requested one first.

        Raises:
            IllegalTransition: ``award_not_held``, ``award_expired`` (earn it
                again), ``award_revoked``, ``award_does_not_expire``,
                ``award_retired``.
            Conflict: ``renewal_too_early``, ``renewal_requirements_not_met``.
            NotFound: ``candidate_not_found``, ``award_not_found``.
        """
        cid = self._candidate(candidate_id)
        award = self._catalogue.award(award_id)
        now = self._now()
        with self._store.transaction() as tx:
            state = self._repo.candidate(tx, cid)
            _require_not_erased(state)
            state, renewed = rules.renew(state, award, now, self._catalogue)
            self._repo.save_candidate(tx, state)
            for g, r in renewed:
                self._history.record(
                    tx,
                    AwardRenewed(
                        cid, now, g.award_id, g.grant_id, r.previous_expiry, r.new_expiry, r.via
                    ),
                )
        holdings = {h.award_id: h for h in rules.holdings(state, now, self._catalogue)}
        return tuple(holdings[g.award_id] for g, _ in renewed)

    def revoke(self, candidate_id: str, award_id: str, *, reason: str) -> AwardHolding:
        """Revoke an active award now (e.g. for misconduct).

        Raises:
            ValidationError: ``invalid_reason``.
            IllegalTransition: ``award_not_held``, ``award_expired``, ``award_revoked``.
            NotFound: ``candidate_not_found``, ``award_not_found``.
        """
        cid = self._candidate(candidate_id)
        award = self._catalogue.award(award_id)
        if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON_LENGTH:
            raise ValidationError(
                f"reason must be a non-empty string of at most {MAX_REASON_LENGTH} characters",
                field="reason",
                code="invalid_reason",
            )
        now = self._now()
        with self._store.transaction() as tx:
            state = self._repo.candidate(tx, cid)
            state, revoked = rules.revoke(state, award.award_id, now, reason.strip())
            self._repo.save_candidate(tx, state)
            self._history.record(
                tx, AwardRevoked(cid, now, award.award_id, revoked.grant_id, reason.strip())
            )
        holdings = {h.award_id: h for h in rules.holdings(state, now, self._catalogue)}
        return holdings[award.award_id]

    # -- kits --------------------------------------------------------------------
    def kits_of(self, candidate_id: str) -> tuple[KitFulfilment, ...]:
        """The candidate's achievement kits, oldest first."""
        cid = self._candidate(candidate_id)
        with self._store.transaction(readonly=True) as tx:
            state = self._repo.candidate(tx, cid)
            return tuple(self._repo.kit(tx, k) for k in state.kit_ids)

    def kit(self, kit_id: str) -> KitFulfilment:
        """The kit ``kit_id`` (NotFound ``award_kit_not_found``)."""
        kid = _check_id(kit_id, "kit_id")
        with self._store.transaction(readonly=True) as tx:
            return self._repo.kit(tx, kid)

    def ship_kit(self, kit_id: str, *, tracking: str | None = None) -> KitFulfilment:
        """Mark a queued kit shipped now, addressed to the candidate's *current* contact details.

        Raises:
            IllegalTransition: ``illegal_kit_transition`` (not queued).
            NotFound: ``award_kit_not_found``.
            ValidationError: ``invalid_kit_id``, ``invalid_tracking``.
        """
        kid = _check_id(kit_id, "kit_id")
        if tracking is not None and (
            not isinstance(tracking, str) or not tracking.strip() or len(tracking) > 100
        ):
            raise ValidationError(
                "tracking must be a non-empty string of at most 100 characters",
                field="tracking",
                code="invalid_tracking",
            )
        now = self._now()
        with self._store.transaction() as tx:
            kit = self._repo.kit(tx, kid)
            address = self._candidates.contact_details(kit.candidate_id)
            kit = self._repo.save_kit(
                tx, rules.kit_shipped(kit, now, address=address, tracking=tracking)
            )
            self._history.record(tx, KitShipped(kit.candidate_id, now, kid, tracking))
        return kit

    def deliver_kit(self, kit_id: str) -> KitFulfilment:
        """Mark a shipped kit delivered now.

        Raises:
            IllegalTransition: ``illegal_kit_transition`` (not shipped).
            NotFound: ``award_kit_not_found``.
        """
        kid = _check_id(kit_id, "kit_id")
        now = self._now()
        with self._store.transaction() as tx:
            kit = self._repo.kit(tx, kid)
            kit = self._repo.save_kit(tx, rules.kit_delivered(kit, now))
            self._history.record(tx, KitDelivered(kit.candidate_id, now, kid))
        return kit

    # -- publishing ----------------------------------------------------------------
    def publish(
        self,
        candidate_id: str,
        award_ids: list[str] | tuple[str, ...],
        recipient_email: str,
        *,
        expires_at: datetime | None = None,
        ttl: timedelta | None = None,
    ) -> PublishedDisclosure:
        """Publish chosen awards to a third party by email.

        "publish your certifications to third parties via email" (seed 000). The
        candidate must have accepted the current terms and hold every chosen award
        active. A disclosure is created (recipient stored only as a salted hash,
        verification code only as its SHA-256 digest) and, after commit, a message
        with the verification code goes to the recipient through the notifier.

        Give ``expires_at`` or ``ttl`` (not both); default 30 days, at most 365.

        Raises:
            PermissionDenied: ``terms_not_accepted``.
            ValidationError: ``invalid_award_ids``, ``invalid_email``,
                ``invalid_ttl``, ``invalid_expiry``, ``ambiguous_expiry``.
            LimitExceeded: ``disclosure_too_long``.
            Conflict: ``award_not_active`` (a chosen award is not active).
            NotFound: ``candidate_not_found``, ``award_not_found``.
        """
        cid = self._candidate(candidate_id)
        if not self._candidates.has_accepted_current_terms(cid):
            raise PermissionDenied(
                "the candidate must accept the current Terms of Use before publishing",
                field="candidate_id",
                code="terms_not_accepted",
            )
        ids = rules.check_award_ids(award_ids)
        for award_id in ids:
            self._catalogue.award(award_id)
        recipient = _normalize_email(recipient_email, "recipient_email")
        now = self._now()
        if expires_at is not None and ttl is not None:
            raise ValidationError(
                "give expires_at or ttl, not both", field="ttl", code="ambiguous_expiry"
            )
        if expires_at is not None:
            until = ensure_utc(expires_at, field="expires_at")
            if until <= now:
                raise ValidationError(
                    "expires_at must be in the future", field="expires_at", code="invalid_expiry"
                )
            if until - now > MAX_DISCLOSURE_TTL:
                raise LimitExceeded(
                    f"a disclosure lasts at most {MAX_DISCLOSURE_TTL.days} days",
                    field="expires_at",
                    code="disclosure_too_long",
                )
        else:
            until = now + rules.check_ttl(
                DEFAULT_DISCLOSURE_TTL if ttl is None else ttl, MAX_DISCLOSURE_TTL
            )
        contact = self._candidates.contact_details(cid)
        code = secrets.token_urlsafe(24)
        per_disclosure_salt = None if self._salt is not None else secrets.token_bytes(16)
        salt = self._salt if self._salt is not None else per_disclosure_salt
        assert salt is not None
        with self._store.transaction() as tx:
            state = self._repo.candidate(tx, cid)
            _require_not_erased(state)
            held = rules.active_awards(state, now)
            for award_id in ids:
                if award_id not in held:
                    raise Conflict(
                        f"{award_id} is not an active award of the candidate",
                        field="award_ids",
                        code="award_not_active",
                        details={"award_id": award_id},
                    )
            disclosure = Disclosure(
                disclosure_id=secrets.token_hex(10),
                candidate_id=cid,
                award_ids=ids,
                holder_name=contact.name,
                recipient_hash=rules.hash_recipient(recipient.casefold(), salt),
                recipient_salt=None if per_disclosure_salt is None else per_disclosure_salt.hex(),
                code_digest=_digest(code),
                created_at=now,
                expires_at=until,
            )
            disclosure = self._repo.save_disclosure(tx, disclosure)
            state = attrs.evolve(
                state, disclosure_ids=(*state.disclosure_ids, disclosure.disclosure_id)
            )
            self._repo.save_candidate(tx, state)
            self._history.record(
                tx,
                AwardsPublished(
                    cid, now, disclosure.disclosure_id, ids, disclosure.recipient_hash, until
                ),
            )
        names = [self._catalogue.awards[a].name for a in ids]
        self._notifier.send(
            Message(
                to=recipient,
                kind="award_disclosure",
                subject=f"{contact.name} shared program awards with you",
                body=(
                    f"{contact.name} has published these awards to you: {'; '.join(names)}.\n"
                    f"Verify them with the code {code} until {until.date().isoformat()}."
                ),
                data={
                    "code": code,
                    "disclosure_id": disclosure.disclosure_id,
                    "award_ids": list(ids),
                    "expires_at": until.isoformat(),
                },
            )
        )
        return PublishedDisclosure(disclosure, code)

    def verify_disclosure(self, code: str, *, recipient_email: str | None = None) -> DisclosureView:
        """What a third party sees for a verification code; every call is logged.

        Only the disclosed awards are shown, with their *current* status (an award
        revoked or expired after publishing shows as such). A revoked or expired
        disclosure returns a view with no awards, no name and ``reason``
        ``disclosure_revoked`` / ``disclosure_expired``. If ``recipient_email`` is
        given and does not match the recipient, nothing is shown either
        (``reason="recipient_mismatch"``).

        Raises:
            ValidationError: ``invalid_code``, ``invalid_email``.
            NotFound: ``disclosure_not_found`` (no such code; the attempt is logged).
        """
        if (
            not isinstance(code, str)
            or not code.strip()
            or len(code) > MAX_CODE_LENGTH
            or any("\ud800" <= ch <= "\udfff" for ch in code)
        ):
            raise ValidationError(
                "a verification code is a non-empty string", field="code", code="invalid_code"
            )
        recipient = (
            None
            if recipient_email is None
            else _normalize_email(recipient_email, "recipient_email")
        )
        now = self._now()
        view: DisclosureView | None = None
        with self._store.transaction() as tx:
            disclosure = self._repo.disclosure_by_code(tx, _digest(code.strip()))
            if disclosure is None:
                self._repo.log_verification(
                    tx, VerificationRecord(UNKNOWN_CODE_LOG, now, "unknown_code")
                )
            else:
                state = self._repo.candidate(tx, disclosure.candidate_id)
                if recipient is not None and not self._recipient_matches(disclosure, recipient):
                    view = DisclosureView(
                        disclosure_id=disclosure.disclosure_id,
                        status=disclosure.status_at(now),
                        verified_at=now,
                        holder_name=None,
                        reason="recipient_mismatch",
                    )
                else:
                    view = rules.disclosure_view(disclosure, state, now, self._catalogue)
                outcome = view.reason or "shown"
                self._repo.log_verification(
                    tx, VerificationRecord(disclosure.disclosure_id, now, outcome)
                )
                self._history.record(
                    tx,
                    DisclosureVerified(
                        disclosure.candidate_id, now, disclosure.disclosure_id, outcome
                    ),
                )
        if view is None:
            raise NotFound(
                "no disclosure has this verification code",
                field="code",
                code="disclosure_not_found",
            )
        return view

    def _recipient_matches(self, disclosure: Disclosure, recipient: str) -> bool:
        salt = (
            bytes.fromhex(disclosure.recipient_salt)
            if disclosure.recipient_salt is not None
            else self._salt
        )
        if salt is None:
            return False
        expected = rules.hash_recipient(recipient.casefold(), salt)
        return hmac.compare_digest(expected, disclosure.recipient_hash)

    def _own_disclosure(self, tx: Transaction, cid: str, disclosure_id: object) -> Disclosure:
        did = _check_id(disclosure_id, "disclosure_id")
        try:
            disclosure = self._repo.disclosure(tx, did)
        except NotFound:
            disclosure = None
        if disclosure is None or disclosure.candidate_id != cid:
            raise NotFound(
                f"the candidate has no disclosure {did!r}",
                field="disclosure_id",
                code="disclosure_not_found",
            )
        return disclosure

    def revoke_disclosure(self, candidate_id: str, disclosure_id: str) -> Disclosure:
        """Revoke a disclosure now: from then on its code shows nothing.

        Raises:
            IllegalTransition: ``disclosure_already_revoked``.
            NotFound: ``candidate_not_found``, ``disclosure_not_found``.
        """
        cid = self._candidate(candidate_id)
        now = self._now()
        with self._store.transaction() as tx:
            disclosure = self._own_disclosure(tx, cid, disclosure_id)
            if disclosure.revoked_at is not None:
                raise IllegalTransition(
                    "this disclosure is already revoked",
                    field="disclosure_id",
                    code="disclosure_already_revoked",
                )
            disclosure = self._repo.save_disclosure(tx, attrs.evolve(disclosure, revoked_at=now))
            self._history.record(tx, DisclosureRevoked(cid, now, disclosure.disclosure_id))
        return disclosure

    def disclosures_of(self, candidate_id: str) -> tuple[Disclosure, ...]:
        """The candidate's disclosures, oldest first."""
        cid = self._candidate(candidate_id)
        with self._store.transaction(readonly=True) as tx:
            state = self._repo.candidate(tx, cid)
            return tuple(self._repo.disclosure(tx, d) for d in state.disclosure_ids)

    def verification_log(
        self, candidate_id: str, disclosure_id: str
    ) -> tuple[VerificationRecord, ...]:
        """Every verification of one of the candidate's disclosures, oldest first."""
        cid = self._candidate(candidate_id)
        with self._store.transaction(readonly=True) as tx:
            disclosure = self._own_disclosure(tx, cid, disclosure_id)
            return self._repo.verifications(tx, disclosure.disclosure_id)

    # -- erasure -------------------------------------------------------------------
    def erase(self, candidate_id: str) -> AwardsErasure:
        """Anonymize the candidate's awards data (right to erasure), in ONE unit of work.

        Every achievement kit's address becomes :data:`ERASED_KIT_ADDRESS`; every
        disclosure loses its holder name and recipient hash, and the ones still
        showing are revoked now (a ``disclosure_revoked`` history entry each), so
        verifying their codes shows nothing (``reason="disclosure_revoked"``).
        Exam results and award grants stay: they are keyed by the pseudonymous
        candidate ID (a revocation reason, free text, becomes a marker).
        Afterwards recording results, earning, renewing and publishing raise
        ``IllegalTransition`` with code ``account_erased``. Idempotent: a second
        call scrubs anything missed and returns ``already_erased=True``.

        :meth:`symprogram.Program.erase_person` calls it together with the
        accounts and consent erasures in one unit of work.

        Raises:
            ValidationError: ``invalid_candidate_id``.
            NotFound: ``candidate_not_found``.
        """
        cid = self._candidate(candidate_id)
        now = self._now()
        kits: list[str] = []
        disclosures: list[str] = []
        revoked: list[str] = []
        with self._store.transaction() as tx:
            state = self._repo.candidate(tx, cid)
            already = state.erased_at is not None
            for kit_id in state.kit_ids:
                kit = self._repo.kit(tx, kit_id)
                if kit.address != ERASED_KIT_ADDRESS:
                    self._repo.save_kit(tx, attrs.evolve(kit, address=ERASED_KIT_ADDRESS))
                kits.append(kit_id)
            for disclosure_id in state.disclosure_ids:
                disclosure = self._repo.disclosure(tx, disclosure_id)
                changed = attrs.evolve(
                    disclosure, holder_name=ERASED_TEXT, recipient_hash="", recipient_salt=None
                )
                if disclosure.status_at(now) is DisclosureStatus.ACTIVE:
                    changed = attrs.evolve(changed, revoked_at=now)
                    revoked.append(disclosure_id)
                    self._history.record(tx, DisclosureRevoked(cid, now, disclosure_id))
                if changed != disclosure:
                    self._repo.save_disclosure(tx, changed)
                disclosures.append(disclosure_id)
            grants = tuple(
                g if g.revoke_reason is None else attrs.evolve(g, revoke_reason=ERASED_TEXT)
                for g in state.grants
            )
            erased = attrs.evolve(
                state, grants=grants, erased_at=state.erased_at if already else now
            )
            if erased != state or state.version == 0:
                erased = self._repo.save_candidate(tx, erased)
        assert erased.erased_at is not None
        return AwardsErasure(
            candidate_id=cid,
            erased_at=erased.erased_at,
            kits=tuple(kits),
            disclosures=tuple(disclosures),
            revoked=tuple(revoked),
            already_erased=already,
        )
