"""Score reports: recording them, and claiming one into an account ("I have a Score Report")."""

from __future__ import annotations

from datetime import date, datetime

import attrs

from symprogram._checks import check_text
from symprogram._deprecation import deprecated_alias
from symprogram.accounts import messages, rules
from symprogram.accounts._base import SINCE, candidate_key, new_incident_id
from symprogram.accounts._report_anchors import ReportAnchors, store_marked
from symprogram.accounts._rules_claims import ClaimOutcome
from symprogram.accounts._text import CODES
from symprogram.accounts.models import (
    MAX_REPORT_NAME_LENGTH,
    ScoreReport,
    normalize_email,
    normalize_registration_number,
)
from symprogram.accounts.ports import CLAIM_LOG, SCORE_REPORT_KIND
from symprogram.accounts.storage import AccountsStorage
from symprogram.errors import NotFound, PermissionDenied
from symprogram.ids import CandidateId
from symprogram.notify import Message
from symprogram.persistence import Transaction

__all__ = ["ScoreReports"]


class ScoreReports(ReportAnchors):
    """Score reports of :class:`~symprogram.accounts.AccountsService`.

    Every report is anchored in the account history under a subject of its own
    (a ``score_report_recorded`` entry, see :meth:`record_score_report`), and every
    read that answers one refuses a report that differs from its entry, or has
    none in a store marked as anchoring (``IntegrityError`` ``record_corrupt``).
    """

    def record_score_report(
        self,
        *,
        registration_number: str,
        exam_code: str,
        candidate_name: str,
        email: str,
        score: int,
        passing_score: int,
        exam_date: date,
        test_centre: str,
    ) -> ScoreReport:
        """Record an exam score report (staff or import), before any account needs to exist.

        In the same unit of work, a ``score_report_recorded`` entry under the
        report's own history subject (``~score-report:<number>``) records its exam
        fields and a keyed digest of its name and address (never the values), so
        that a report written into the database by hand, or edited there, is
        refused by the reads and reported by ``verify_all()``. The first report of
        a store that has none also marks the store (``score_reports_anchored``).

        Raises:
            ValidationError / LimitExceeded: a bad field, or an exam date after the
                day the report is recorded (``exam_date_in_future``).
            Conflict: the registration number is already recorded (``score_report_exists``).
        """
        report = ScoreReport(
            registration_number=registration_number,
            exam_code=exam_code,
            candidate_name=candidate_name,
            email=email,
            score=score,
            passing_score=passing_score,
            exam_date=exam_date,
            test_centre=test_centre,
            recorded_at=self._now(),
        )
        rules.check_exam_date(report.exam_date, report.recorded_at)
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            fresh = not store_marked(self._history.ledger, tx) and not _any_report(tx)
            stored = store.report_addresses.record(report)
            self._anchor_new(tx, stored, fresh=fresh)
            return stored

    def get_score_report(self, registration_number: str) -> ScoreReport:
        """Return a recorded report (staff).

        A claimed report the candidate that claimed it does not list (written in by
        hand under a number of its own) is not answered.

        Raises:
            NotFound: unknown registration number (``score_report_not_found``).
            IntegrityError: the stored report is not the one its history recorded,
                or has no entry in a store marked as anchoring (``record_corrupt``);
                its history does not verify (``ledger_tampered``).
        """
        number = normalize_registration_number(registration_number)
        return self._read(lambda s: self._checked_report(s.tx, _named_report(s, number)))

    def score_reports_of(self, candidate_id: str | CandidateId) -> tuple[ScoreReport, ...]:
        """Return the score reports the candidate claimed, in claim order.

        Raises:
            IntegrityError: a report is not the one its history recorded
                (``record_corrupt``, as :meth:`get_score_report`).
        """
        key = candidate_key(candidate_id)

        def load(store: AccountsStorage) -> tuple[ScoreReport, ...]:
            candidate = store.candidates.get(key)
            return tuple(
                self._checked_report(store.tx, store.score_reports.get(number))
                for number in candidate.score_reports
            )

        return self._read(load)

    score_reports = deprecated_alias("score_reports_of", old="score_reports", since=SINCE)

    def claim_score_report(
        self,
        candidate_id: str | CandidateId,
        registration_number: str,
        email: str | None = None,
        name: str | None = None,
    ) -> ScoreReport:
        """Claim a score report into an account, by proof ("I have a Score Report").

        The proof is the registration number plus the e-mail address or the name
        on the report. A report can be claimed once. A second claim by another
        account is refused *and* opens a support incident for the claimant, which
        is committed before the refusal is raised; the same account claiming
        again is refused without an incident (the policy is
        :func:`~symprogram.accounts.rules.decide_claim`).

        The claim is recorded in the claimant's history (``score_report_claimed``)
        and, for a report anchored in its own subject, there too
        (``score_report_claim_recorded``): a stored report put back from before
        the claim is then refused (``record_corrupt``), never claimed again. An
        unknown registration number costs what a wrong proof costs: a stored
        report's history is read and checked in its place.

        Wrong proofs are counted per claimant: beyond
        ``settings.claim_failure_limit`` within ``settings.claim_failure_window``
        a claim is refused before its proof is looked at (the rule is
        :func:`~symprogram.accounts.rules.enforce_claim_limit`).

        Raises:
            RateLimited: too many wrong proofs from this account (``rate_limited``,
                ``retry_after``).
            PermissionDenied: the account is not active (``account_not_active``),
                the current terms are not accepted (``terms_not_accepted`` /
                ``terms_outdated``), or the number and proof do not match a report
                (``score_report_proof_mismatch``; unknown numbers look the same).
            ValidationError: neither ``email`` nor ``name`` (``proof_required``),
                or a malformed value.
            Conflict: already claimed (``score_report_already_claimed``; details
                ``incident_id`` when an incident was opened).
            IntegrityError: the stored report is not the one its history recorded,
                or has no entry in a store marked as anchoring, or is unclaimed or
                claimed by another account where its history recorded a claim,
                or the stored candidate is not the account its history says (a
                row written in or put back; all ``record_corrupt``), or the
                report's history does not verify (``ledger_tampered``): nothing
                is written.
        """
        key = candidate_key(candidate_id)
        number = normalize_registration_number(registration_number)
        proof_email = None if email is None else normalize_email(email)
        proof_name = None
        if name is not None:
            proof_name = check_text(
                name, "name", limit=MAX_REPORT_NAME_LENGTH, strip=True, codes=CODES
            )
        rules.require_proof(proof_email, proof_name)
        now = self._now()
        outcome = self._in_claim(key, number, proof_email, proof_name, now)
        if isinstance(outcome, PermissionDenied):
            raise outcome  # a wrong proof, counted in the unit of work
        if outcome.refusal is not None:
            raise outcome.refusal
        assert outcome.report is not None
        return outcome.report

    def _in_claim(
        self,
        key: str,
        number: str,
        email: str | None,
        name: str | None,
        now: datetime,
    ) -> ClaimOutcome | PermissionDenied:
        """The claim's unit of work: the claimant's limit, the report, the decision and
        its writes; returns the outcome with the report as saved, or the refusal of
        a wrong proof, whose count it wrote (under the claimant's lock, so claims
        in flight at once count each other; the same whatever the number)."""
        failures = AccountsStorage.client_key(CLAIM_LOG, key)
        current = self.catalogue.current(now)
        settings = self.settings
        outbox: list[Message] = []
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            candidate = self._candidate_for_update(store, key)
            rules.enforce_claim_limit(
                store.requests.recent_key(failures),
                now,
                limit=settings.claim_failure_limit,
                window=settings.claim_failure_window,
            )
            # locked: a racing claim of the same report waits here, then finds it
            # claimed (score_report_already_claimed, and its incident)
            found, anchored, checked = self._claimable(store, number)
            try:
                outcome = rules.decide_claim(
                    candidate,
                    found,
                    terms=rules.terms_status(candidate.terms, current, now),
                    email=email,
                    name=name,
                    at=now,
                    incident_id=new_incident_id(),
                    stand_in=checked,
                )
            except PermissionDenied as refused:
                if refused.code != "score_report_proof_mismatch":
                    raise
                store.requests.note_key(failures, now, keep=settings.claim_failure_limit)
                return refused
            if outcome.incident is not None:
                store.incidents.add(outcome.incident)
                outbox.append(
                    messages.incident_notice(candidate, outcome.incident, "incident_opened")
                )
            anchor = None
            if outcome.report is not None:
                claimed = store.score_reports.save(outcome.report)
                anchor = rules.claimed_report_event(claimed, now) if anchored else None
                outcome = attrs.evolve(outcome, report=claimed)
            store.candidates.save(outcome.candidate)
            self._record(tx, *outcome.events, anchor)
            self._send(tx, outbox)
        return outcome


def _any_report(tx: Transaction) -> bool:
    """Whether the store holds a score report (a stand-in slot, keyed ``~``, sorts last)."""
    return any(not r.key.startswith("~") for r in tx.scan(SCORE_REPORT_KIND, limit=1))


def _named_report(store: AccountsStorage, number: str) -> ScoreReport:
    """The stored report ``number`` if it is unclaimed or listed by its claimer.

    Raises:
        NotFound: none, or a claimed one its claimer does not list
            (``score_report_not_found``).
    """
    report = store.score_reports.get(number)
    claimer = None if report.claimed_by is None else store.candidates.find(report.claimed_by)
    if not rules.report_named(report, claimer):
        raise NotFound(
            f"no score report {number!r}", code="score_report_not_found", details={"key": number}
        )
    return report
