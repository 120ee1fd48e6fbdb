"""The stored candidate checked against the account history (read-only).

:func:`candidate_anchor_check` (exported by :mod:`symprogram.accounts`) is an
anchor check of the kernel (:data:`symprogram._anchors.AnchorCheck`): a program
registers it on its account history (``AccountHistory.add_anchor_check``), so
that ``history.verify`` and ``verify_all`` report a stored candidate whose
status, address, pending address, erasure, credential digest or notification
preferences differ
from what the history says, whose address the ``candidate_email`` index does not
give it, a score report or incident of the account that does (after the
account's erasure: an incident it lists not in its erased form), or a stored
password hash (``account_credential``) that is not the one the history recorded
(``aggregate_mismatch``; the rules are
:func:`symprogram.accounts.rules.candidate_differences`,
:func:`~symprogram.accounts.rules.account_records_differences` and
:func:`~symprogram.accounts.rules.credential_differences`). It only reads: the
candidate record, its credential, the reports its history names and the incidents
its history names or the candidate lists; when the
history says nothing of an account, only whether a candidate is stored (one is
reported: it was written in by hand, or its history dropped).

:func:`incident_owner_check` and :func:`score_report_owner_check` are owner checks
of the kernel (:data:`symprogram._owned.OwnerCheck`): a program registers them on
its account history (``AccountHistory.add_owner_check``), so that ``verify_all``
walks every stored incident and score report and reports one that the candidate
it names does not list (written in by hand under an ID of its own).

:class:`ScoreReportAnchorChecks` holds the checks of each score report against
its own history subject (``~score-report:<number>``), made with the history's
ledger (its key digests the names and addresses): its ``anchor_check`` compares
the stored report with the entries of its subject, and its ``owner_check`` (the
owner check above, and more) reports a stored report whose subject has no entry,
in a store marked as anchoring (written in by hand under a number of its own).
"""

from __future__ import annotations

from collections.abc import Sequence

from symprogram._anchors import AggregateDifference, AggregateMismatch, mismatches
from symprogram._owned import unnamed
from symprogram._persistence_records import Record
from symprogram.accounts import rules
from symprogram.accounts._report_anchors import store_marked
from symprogram.accounts._stand_ins import is_stand_in
from symprogram.accounts.ports import INCIDENT_KIND, SCORE_REPORT_KIND
from symprogram.accounts.storage import AccountsStorage
from symprogram.ledger import Ledger, LedgerEntry
from symprogram.persistence import Transaction

__all__ = [
    "ScoreReportAnchorChecks",
    "candidate_anchor_check",
    "incident_owner_check",
    "score_report_owner_check",
]


def candidate_anchor_check(
    tx: Transaction, subject: str, entries: Sequence[LedgerEntry]
) -> tuple[AggregateMismatch, ...]:
    """The stored candidate ``subject`` against its history ``entries`` (read in ``tx``).

    Raises:
        IntegrityError: the stored candidate cannot be read (``record_corrupt``).
    """
    storage = AccountsStorage(tx)
    candidate = storage.candidates.find(subject)
    pairs = [(entry.kind, entry.data) for entry in entries]
    position = entries[-1].position if entries else 0
    if not rules.mentions_account(entry.kind for entry in entries):
        # A candidate stored where the history records no account: written in by hand
        # (a stand-in, the decoy of a call for an unknown address, has no history).
        if is_stand_in(subject):
            return ()
        return mismatches(position, rules.candidate_differences(subject, candidate, pairs))
    numbers, incident_ids = rules.named_records(pairs)
    reports = {n: r for n in sorted(numbers) if (r := storage.score_reports.find(n))}
    # The listed ones too: after the erasure no entry names them, and each is compared
    # with its erased form (an incident put back from before the erasure is reported).
    listed = () if candidate is None else candidate.incidents
    wanted = sorted({*incident_ids, *listed})
    incidents = {i: n for i in wanted if (n := storage.incidents.find(i))}
    email = rules.said_email(pairs)
    owner = None if email is None else storage.candidates.find_key_by_email(email)
    left = rules.former_emails(pairs)
    indexed = [e for e in left if storage.candidates.find_key_by_email(e) == subject]
    encoded = storage.credentials.password_hash(subject)
    differences = (
        *rules.candidate_differences(subject, candidate, pairs),
        *rules.email_index_differences(subject, candidate, email, owner),
        *rules.former_email_index_differences(subject, candidate, indexed),
        *rules.account_records_differences(subject, candidate, pairs, reports, incidents),
        *rules.credential_differences(subject, encoded, pairs),
    )
    return mismatches(position, differences)


def incident_owner_check(
    tx: Transaction, record: Record
) -> tuple[str, tuple[AggregateDifference, ...]]:
    """The candidate the stored incident ``record`` names, and whether it lists it.

    Raises:
        IntegrityError: the record cannot be read as its key's (``record_corrupt``).
    """
    storage = AccountsStorage(tx)
    incident = storage.incidents.decode(record)
    candidate = storage.candidates.find(incident.candidate_id)
    named = rules.incident_named(incident, candidate)
    return incident.candidate_id, unnamed(INCIDENT_KIND, record.key, named)


def score_report_owner_check(
    tx: Transaction, record: Record
) -> tuple[str, tuple[AggregateDifference, ...]]:
    """The candidate that claimed the stored score report ``record``, and whether it
    lists it (an unclaimed report: its own number, nothing to compare).

    Raises:
        IntegrityError: the record cannot be read as its key's (``record_corrupt``).
    """
    storage = AccountsStorage(tx)
    report = storage.score_reports.decode(record)
    if report.claimed_by is None:
        return record.key, ()
    candidate = storage.candidates.find(report.claimed_by)
    named = rules.report_named(report, candidate)
    return report.claimed_by, unnamed(SCORE_REPORT_KIND, record.key, named)


class ScoreReportAnchorChecks:
    """The checks of the stored score reports against their own history subjects.

    Register both on the account history whose ``ledger`` is given (a program
    does, when it is built)::

        checks = ScoreReportAnchorChecks(history.ledger)
        history.add_anchor_check(checks.anchor_check)
        history.add_owner_check("score_report", checks.owner_check)

    Args:
        ledger: the account history's ledger (its key ring checks the digests of
            the names and addresses).
    """

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def anchor_check(
        self, tx: Transaction, subject: str, entries: Sequence[LedgerEntry]
    ) -> tuple[AggregateMismatch, ...]:
        """The stored report of the subject ``~score-report:<number>`` against its
        ``entries`` (nothing for any other subject): its exam fields, the digest of
        its name and address, and that it is stored (``aggregate_mismatch``).

        Raises:
            IntegrityError: the stored report cannot be read (``record_corrupt``).
        """
        number = rules.report_number(subject)
        if number is None:
            return ()
        report = AccountsStorage(tx).score_reports.find(number)
        pairs = [(entry.kind, entry.data) for entry in entries]
        position = entries[-1].position if entries else 0
        found = rules.report_differences(number, report, pairs, self.ledger.keys)
        return mismatches(position, found)

    def owner_check(
        self, tx: Transaction, record: Record
    ) -> tuple[str, tuple[AggregateDifference, ...]]:
        """:func:`score_report_owner_check`, and, in a store marked as anchoring, the
        difference of a report whose subject has no entry (field ``score_report``).

        Raises:
            IntegrityError: the record cannot be read as its key's (``record_corrupt``),
                or a stream head cannot be (``ledger_corrupt``).
        """
        owner, found = score_report_owner_check(tx, record)
        if record.key.startswith("~"):
            return owner, found  # a stand-in slot
        length, _ = self.ledger.head(tx, rules.report_subject(record.key))
        if length or not store_marked(self.ledger, tx):
            return owner, found
        return owner, (*found, rules.unanchored_difference(record.key))
