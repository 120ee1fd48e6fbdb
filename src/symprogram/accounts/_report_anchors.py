"""Score report anchors: each report's ``score_report_recorded`` entry, checked on read.

Private. Recording a score report appends, in the same unit of work, an entry
under the report's own subject of the account history (``~score-report:<number>``,
see :mod:`~symprogram.accounts._rules_report_anchors`); every read that answers
a report compares it with that entry and refuses one that differs, or one with no
entry in a store marked as anchoring (``IntegrityError`` ``record_corrupt``).
A store written by an earlier build holds reports without entries: they are
accepted until :meth:`ReportAnchors.anchor_score_reports` anchors them and marks
the store (a new store is marked by its first report).

A claim of an anchored report appends a ``score_report_claim_recorded`` entry
under the same subject; from then on the stored report must be claimed by the
account it names (a row put back from before the claim is refused). A claim made
by an earlier build gets its entry from :meth:`ReportAnchors.anchor_score_reports`
(where the claimant's history confirms it), even in a store already marked.

A claim looks its report up evenly (:meth:`ReportAnchors._claimable`): for a
registration number nobody recorded, the history of a stored report seen by an
earlier call is read in its place and that report checked against it, so that
the call reads and checks as much whether or not the number exists.
"""

from __future__ import annotations

import collections
import functools
import secrets
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from symprogram._anchors import AggregateDifference
from symprogram._batches import in_batches
from symprogram.accounts import rules
from symprogram.accounts._base import SEEN, FlowBase, candidate_key
from symprogram.accounts.events import ScoreReportClaimRecorded
from symprogram.accounts.models import ScoreReport
from symprogram.accounts.ports import SCORE_REPORT_KIND
from symprogram.accounts.storage import AccountsStorage
from symprogram.errors import IntegrityError, ValidationError
from symprogram.ledger import Ledger
from symprogram.persistence import Transaction

__all__ = ["ANCHORED_ON_MIGRATION", "ANCHORED_ON_RECORD", "ReportAnchors", "report_pairs"]

ANCHORED_ON_RECORD = "recorded"
"""The ``method`` of a ``score_report_recorded`` entry written by ``record_score_report``."""

ANCHORED_ON_MIGRATION = "migration"
"""The ``method`` of a ``score_report_recorded`` entry written by ``anchor_score_reports``."""

_NO_KEY = "~stand-in:score-report"
"""A score report key never stored (``~`` is in no registration number)."""

STAND_IN_REPORT = ScoreReport(
    registration_number="STAND-IN-0000000000",
    exam_code="000-000",
    candidate_name="Stand-in Candidate Name",
    email="stand-in@example.com",
    score=500,
    passing_score=500,
    exam_date=date(2000, 1, 1),
    test_centre="Stand-in Test Centre",
    recorded_at=datetime(2000, 1, 1, tzinfo=UTC),
)
"""What a claim of a number nobody recorded decodes in place of a stored report
(shaped like one)."""

Pairs = list[tuple[str, Mapping[str, Any] | None]]


def report_pairs(ledger: Ledger, tx: Transaction, subject: str) -> Pairs:
    """The ``(kind, data)`` entries of ``subject`` after verifying its stream.

    Raises:
        IntegrityError: the stream does not verify (``ledger_tampered``,
            ``ledger_key_unknown``) or cannot be read.
    """
    ledger.verify(tx, subject).raise_for_problems()
    return list(ledger.said_entries(tx, subject))


def store_marked(ledger: Ledger, tx: Transaction) -> bool:
    """Whether the store is marked as anchoring every score report (a marker
    subject, ``~score-reports:<random>``, has a stream head: one scan of a key
    prefix)."""
    prefix = ledger.stream(rules.REPORTS_MARKER)
    return bool(tx.scan(Ledger.HEAD_KIND, prefix=prefix, limit=1))


class ReportAnchors(FlowBase):
    """Anchoring score reports in the account history, and checking them on read."""

    _seen_reports: collections.deque[ScoreReport] | None = None

    def _checked_report(self, tx: Transaction, report: ScoreReport) -> ScoreReport:
        """``report`` if it agrees with its history (a legacy one: only in a store not
        marked); raises ``IntegrityError`` (``record_corrupt``, ``ledger_tampered``)."""
        ledger = self._history.ledger
        number = report.registration_number
        pairs = report_pairs(ledger, tx, rules.report_subject(number))
        marked = bool(pairs) or store_marked(ledger, tx)
        return rules.require_anchored(number, report, pairs, marked=marked, keys=ledger.keys)

    def _anchor(
        self, tx: Transaction, number: str, report: ScoreReport
    ) -> tuple[list[AggregateDifference], bool]:
        """How ``report`` differs from the history of the report ``number`` and whether
        that history records it (:func:`~symprogram.accounts.rules.report_anchor`)."""
        ledger = self._history.ledger
        pairs = report_pairs(ledger, tx, rules.report_subject(number))
        marked = bool(pairs) or store_marked(ledger, tx)
        return rules.report_anchor(number, report, pairs, marked=marked, keys=ledger.keys)

    def _claimable(
        self, store: AccountsStorage, number: str
    ) -> tuple[ScoreReport | None, bool, ScoreReport]:
        """The report ``number``, locked and checked against its history.

        The same work whether or not the number was recorded (a claim must not
        tell which numbers exist): two point reads of report records, one stored
        and one missing (the number's, then a key never stored; or the number's,
        then the report read in its place), one decoding never from the decoded
        cache (:data:`STAND_IN_REPORT`'s text for a missing number), then the
        history of a stored report read, verified and compared with that report:
        the number's own, or for a missing number that of a report an earlier call
        found (one of the last :data:`~symprogram.accounts._base.SEEN`, picked by
        the number; the store's first report while none was seen), which is never
        answered and never refuses anything. The caller checks the proof against
        the report in its place too (``stand_in`` of
        :func:`~symprogram.accounts.rules.decide_claim`).

        Returns:
            The report (``None``: none), whether its history records it, and the
            report checked in its place (the report itself when there is one).

        Raises:
            IntegrityError: the stored report is not the one its history recorded
                (``record_corrupt``), its history does not verify (``ledger_tampered``).
        """
        tx = store.tx
        seen = self._seen_reports
        if seen is None:
            seen = self._seen_reports = collections.deque(maxlen=SEEN)
        if not seen:
            records = tx.scan(SCORE_REPORT_KIND, limit=1)
            seen.extend(store.score_reports.decode(r) for r in records if r.key[:1] != "~")
        instead = seen[hash(number) % len(seen)] if seen else STAND_IN_REPORT
        found = store.score_reports.find_evenly(number, STAND_IN_REPORT, for_update=True)
        # one stored row and one missing one read either way (SQLite reads a stored row
        # slower than a missing one): the report in its place, or a key never stored
        tx.load(SCORE_REPORT_KIND, instead.registration_number if found is None else _NO_KEY)
        try:
            if found is None:
                self._anchor(tx, instead.registration_number, instead)
                return None, False, instead
            differences, anchored = self._anchor(tx, number, found)
        except IntegrityError:
            if found is None:
                return None, False, instead  # another report's defect: for verify_all
            raise
        seen.append(found)
        if differences:
            raise IntegrityError.record_corrupt(
                SCORE_REPORT_KIND,
                number,
                "is not the one its history recorded",
                field=differences[0].field,
            )
        return found, anchored, found

    def _anchor_new(self, tx: Transaction, report: ScoreReport, *, fresh: bool) -> None:
        """Append the entry of the report just recorded in ``tx`` (and the store marker
        when it is the first report of a store that had none)."""
        now = self._now()
        event = rules.anchored_report_event(
            report,
            self._history.ledger.keys,
            salt=secrets.token_hex(16),
            at=now,
            method=ANCHORED_ON_RECORD,
        )
        marker = rules.marker_event(now, "new_store", secrets.token_hex(8)) if fresh else None
        self._record(tx, event, marker)

    def _erase_report_anchor(self, tx: Transaction, number: str, at: datetime) -> None:
        """Drop the data of the report ``number``'s entries (the digest of its name and
        address) and append a ``score_report_erased`` entry saying its exam fields
        again; nothing for a report the history says nothing of or already erased."""
        ledger = self._history.ledger
        subject = rules.report_subject(number)
        if not ledger.verify(tx, subject).ok:
            return  # tampered: left for verify_all, never laundered
        said = rules.said_report(ledger.said_entries(tx, subject))
        event = rules.erased_report_event(number, said, at)
        if event is None:
            return
        ledger.erase(tx, subject)
        self._record(tx, event)

    def anchor_score_reports(self, *, batch: int = 500) -> int:
        """Anchor every score report, and every claim, recorded before they were; return
        how many reports got an entry.

        A one-time step after upgrading:

        - from a build that wrote no ``score_report_recorded`` entry: every stored
          report whose subject has no entry gets one (``method`` ``migration``)
          recording its exam fields and the keyed digest of its name and address as
          stored now; once all are, the store is marked (a ``score_reports_anchored``
          entry), and from then on a report without an entry is refused by every
          read and reported by ``verify_all()``. Before it runs, such legacy reports
          are answered unchecked;
        - from a build that wrote no ``score_report_claim_recorded`` entry (even in
          a store already marked): every claimed report whose subject records it
          but no claim gets one naming its claimant as stored now, so that its row
          put back from before the claim is refused rather than claimed again.

        A claim is anchored only where the claimant's own history confirms it (a
        ``score_report_claimed`` entry naming the report) and the stored report
        agrees with its subject; otherwise nothing is written for it
        (``verify_all()`` reports a claim its claimant's history does not name).

        It **trusts the reports and claims present when it runs**: a report written
        in by hand before it ran is anchored as genuine. Run it right after upgrading
        (before the database is exposed again).

        Idempotent and resumable: a report, or claim, anchored already is skipped,
        and a store already marked stays as it is, so a second run returns 0 (a
        report written in by hand after the store was marked is never anchored by
        running it again: ``verify_all()`` reports it and the reads refuse it). Left
        as they are: records that cannot be read, reports whose subject does not
        verify, and stand-in slots.

        Args:
            batch: score reports read, and anchored, per unit of work (1 to 10,000).

        Returns:
            How many reports got an entry: a report anchored (with its claim, when
            confirmed) or a claim anchored counts once.

        Raises:
            ValidationError: ``batch`` is not an integer from 1 to 10,000
                (``invalid_batch``).
        """
        anchored = in_batches(
            batch,
            lambda after, size: self._read(functools.partial(_page, after=after, size=size)),
            lambda page: self._in_unit(functools.partial(self._anchor_page, numbers=page)),
        )
        self._in_unit(self._mark_store)
        return anchored

    def _anchor_page(self, tx: Transaction, *, numbers: list[str]) -> int:
        """Anchor the reports ``numbers`` (in a store not marked) and their claims."""
        ledger = self._history.ledger
        store = AccountsStorage(tx)
        marked = store_marked(ledger, tx)
        count = 0
        for number in numbers:
            subject = rules.report_subject(number)
            try:
                report = store.score_reports.find(number)
                length, _ = ledger.head(tx, subject)
                if report is None or (length and report.claimed_by is None):
                    continue
                pairs = report_pairs(ledger, tx, subject) if length else []
            except IntegrityError:
                continue  # unreadable or tampered: verify_all reports it
            at = self._now()
            event = None
            if not length:
                if marked:
                    continue  # written in by hand after the store was marked: never laundered
                event = rules.anchored_report_event(
                    report,
                    ledger.keys,
                    salt=secrets.token_hex(16),
                    at=at,
                    method=ANCHORED_ON_MIGRATION,
                )
                pairs = [(event.event_name(), event.payload())]
            claim = self._legacy_claim(tx, report, pairs, at)
            if event is None and claim is None:
                continue
            self._record(tx, event, claim)
            count += 1
        return count

    def _legacy_claim(
        self, tx: Transaction, report: ScoreReport, pairs: Pairs, at: datetime
    ) -> ScoreReportClaimRecorded | None:
        """The claim entry of ``report`` if its subject (``pairs``) records none and its
        claimant's history, which must verify, confirms the claim
        (:func:`~symprogram.accounts.rules.legacy_claim_event`)."""
        ledger = self._history.ledger
        if report.claimed_by is None or not rules.claim_unrecorded(report, pairs, ledger.keys):
            return None
        claimant = report.claimed_by
        try:
            if candidate_key(claimant) != claimant or not ledger.verify(tx, claimant).ok:
                return None  # tampered: verify_all reports it
            said = ledger.said_entries(tx, claimant)
        except (IntegrityError, ValidationError):
            return None  # not a candidate ID, or its history is unreadable
        return rules.legacy_claim_event(report, pairs, said, keys=ledger.keys, at=at)

    def _mark_store(self, tx: Transaction) -> None:
        if not store_marked(self._history.ledger, tx):
            marker = rules.marker_event(self._now(), ANCHORED_ON_MIGRATION, secrets.token_hex(8))
            self._record(tx, marker)


def _page(
    store: AccountsStorage, *, after: str | None, size: int
) -> tuple[list[str], str | None, bool]:
    """The registration numbers among the next ``size`` score report records after
    ``after`` (stand-in slots, keyed ``~``, left out), the last key read and
    whether more may follow."""
    records = store.tx.scan(SCORE_REPORT_KIND, after=after, limit=size)
    numbers = [record.key for record in records if not record.key.startswith("~")]
    last = records[-1].key if records else after
    return numbers, last, len(records) == size
