"""The account's part of the right to erasure (``symprogram.erasure`` walks every context)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

import attrs

from symprogram._checks import check_text
from symprogram._erasable import after_erasure
from symprogram.accounts import rules
from symprogram.accounts._base import ACCOUNT_PURPOSES, REQUEST_LOGS, candidate_key
from symprogram.accounts._report_anchors import ReportAnchors
from symprogram.accounts._stand_ins import WRITES_KIND
from symprogram.accounts._text import CODES, fold_email
from symprogram.accounts.events import AccountErased, EmailChangeRequested
from symprogram.accounts.models import (
    MAX_REASON_LENGTH,
    AccountErasure,
)
from symprogram.accounts.ports import (
    ACCEPTANCE_KIND,
    EMAIL_CHANGE_BY_LOG,
    EMAIL_CHANGE_LOG,
    PERSONAL_DATA_KINDS,
)
from symprogram.accounts.storage import AccountsStorage
from symprogram.ids import CandidateId
from symprogram.outbox import erase_messages
from symprogram.persistence import Repository, Transaction
from symprogram.tokens import TokenPurpose

__all__ = ["Erasure"]

T = TypeVar("T")

_REQUESTED = EmailChangeRequested.event_name()
"""The kind of the history entry that names the address an account asked for."""


class Erasure(ReportAnchors):
    """Erasure of :class:`~symprogram.accounts.AccountsService` (a
    :class:`symprogram._erasable.Erasable`)."""

    personal_data_kinds: ClassVar[tuple[str, ...]] = PERSONAL_DATA_KINDS
    """Candidates, credentials, score reports, e-mail change requests, incidents,
    request logs."""
    other_kinds: ClassVar[tuple[str, ...]] = (ACCEPTANCE_KIND, WRITES_KIND)
    """Terms acceptances: a version, a digest, a path and an instant only; the
    stand-in writes of work done for nobody (item names under a subject nobody has)."""

    def erase_subject(self, tx: Transaction, subject: str, *, reason: str) -> AccountErasure:
        """The accounts part of :func:`symprogram.erasure.erase_person`: :meth:`erase`,
        joining the caller's unit of work ``tx``."""
        del tx  # the unit of work erase opens joins the caller's
        return self.erase(subject, reason=reason)

    def erase(self, candidate_id: str | CandidateId, *, reason: str) -> AccountErasure:
        """Erase the candidate's personal data, keeping a pseudonymous proof (right to erasure).

        In ONE unit of work: closes the account if it is not closed (every
        outstanding link dies); replaces the contact details with the
        :func:`~symprogram.accounts.models.erased_contact` markers and drops the
        pending address; releases the e-mail index (the address can register
        again, as a new account with a new candidate ID); deletes the password
        hash, the request logs of every address the account held (every account's
        e-mail change requests for it included) and the logs of its own e-mail
        change requests, whatever the address (the address's latest-request log
        with them: it limits nothing, and its key is the address's digest);
        replaces
        with markers the name and e-mail of every score report it claimed and of
        every unclaimed score report recorded for one of those addresses (found
        through the score reports' address index, whose entries it drops; such a
        report can then never be claimed, by anybody; the data of its own history
        subject's entries, the digest of its name and address, is dropped and a
        ``score_report_erased`` entry says its exam fields again), and the title and
        message bodies of every incident; cancels every other account's pending
        change to one of those addresses (found through the e-mail change index,
        whose entries for them it drops: that account's ``pending_email``
        cleared, its e-mail verification links revoked) and drops the data of
        each of that account's ``email_change_requested`` history entries naming
        one of them (:meth:`~symprogram.ledger.Ledger.erase_entry`: its history
        still verifies); drops the data of every
        account history entry through :meth:`~symprogram.events.Ledger.erase`
        (digests and chain kept, so ``history.verify`` stays ok); appends a
        final ``account_erased`` entry holding only ``reason``; and deletes the
        account's outbox messages, pending or delivered, and every message to an
        address it held (a pending one is never sent). Once it committed, an
        SQLite store rebuilds its file and truncates its WAL, so no erased value
        stays in the files (as :meth:`symprogram.Program.erase_person` does).

        The candidate ID, status (``closed``), dates, terms acceptance, claimed
        registration numbers and exam scores stay: they are pseudonymous. The
        account can never be used, reactivated or reopened; every call that
        would change it raises ``IllegalTransition`` with code
        ``account_erased``. Idempotent: erasing again scrubs anything missed,
        writes no new history entry and returns a receipt with
        ``already_erased=True``.

        Do not put personal data into ``reason``: it is kept.

        Raises:
            ValidationError: not a candidate ID (``invalid_candidate_id``), a
                bad reason (``field_required``, ``control_characters``, ...).
            LimitExceeded: a reason over 500 characters (``text_too_long``).
            NotFound: no such candidate (``candidate_not_found``).
            StorageError: ``database_busy`` when another connection kept the
                SQLite WAL from being truncated (the erasure itself is committed).
        """
        key = candidate_key(candidate_id)
        text = check_text(reason, "reason", limit=MAX_REASON_LENGTH, strip=True, codes=CODES)
        now = self._now()
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            candidate = store.candidates.get_for_update(key)
            already = candidate.erased_at is not None
            history = [e.data for e in self._history.ledger.iter_entries(tx, key)]
            emails = rules.known_emails(candidate, history)
            # what the erasure does to an address beyond the account's own records,
            # only for the addresses it held: one it merely asked for may be another's
            # (and only while no other account holds it now: one it gave up may be
            # somebody else's since)
            held = store.candidates.not_held_by_another(key, rules.held_emails(candidate, history))
            erased, closed = rules.erase_account(candidate, text, now)
            self._record(tx, closed)
            if not already:
                for purpose in ACCOUNT_PURPOSES:
                    self._tokens.revoke_all(tx, purpose=purpose, subject=key)
            for email in emails:
                store.candidates.release_email(key, email)  # only an entry of this account
            for email in held:
                # A request to change to the address writes this log before it looks
                # up the address's owner: written here first, the erasure and such a
                # request queue on it (the request is then seen below, or sees the
                # person erased), whichever commits first.
                store.requests.note(EMAIL_CHANGE_LOG, email, now, keep=1)
                for log in REQUEST_LOGS:
                    store.requests.forget(log, email)
                # every account's requests for it, counted per account and address
                store.requests.forget_accounts(EMAIL_CHANGE_BY_LOG, email)
            for email in emails:  # its own requests for any address it asked for
                # the address's latest request (it limits nothing) may be the person's:
                # its key is the address's digest, whoever asked last
                store.requests.forget(EMAIL_CHANGE_LOG, email)
                store.requests.forget_key(
                    store.requests.account_key(EMAIL_CHANGE_BY_LOG, email, key)
                )
            store.credentials.delete(key)
            self._cancel_changes_to(store, key, held)
            for request in store.email_changes.of(emails, key):  # its own requests
                store.email_changes.remove(request)
            claimed = _scrub(
                store.score_reports,
                candidate.score_reports,
                lambda report: report.claimed_by == key,
                rules.erased_report,
                before=store.report_addresses.remove,
            )
            unclaimed = _scrub(
                store.score_reports,
                store.report_addresses.numbers(held),
                lambda report: rules.reported_for(report, held),
                rules.erased_report,
                before=store.report_addresses.remove,
            )
            incidents = _scrub(
                store.incidents,
                candidate.incidents,
                lambda incident: incident.candidate_id == key,
                rules.erased_incident,
            )
            for number in dict.fromkeys((*claimed, *unclaimed)):
                self._erase_report_anchor(tx, number, now)
            if erased != candidate:
                erased = store.candidates.save(erased)
            count = 0
            if not already:
                count = self._history.ledger.erase(tx, key)
                self._record(tx, AccountErased(key, now, reason=text))
            entries = self._history.ledger.entries(tx, key)
            # its messages, pending or delivered, and those to the addresses it held:
            # nothing of the person is sent once this returned
            erase_messages(tx, key, addresses=held)
        after_erasure(self._store)
        assert erased.erased_at is not None
        return AccountErasure(
            candidate_id=key,
            erased_at=erased.erased_at,
            reason=erased.status_reason or text,
            history_entries_erased=count,
            history_length=len(entries),
            history_head=entries[-1].hash if entries else "0" * 64,
            score_reports=(*claimed, *(n for n in unclaimed if n not in claimed)),
            incidents=incidents,
            already_erased=already,
        )

    def _cancel_changes_to(self, store: AccountsStorage, key: str, emails: tuple[str, ...]) -> None:
        """The requests of other accounts to change to one of ``emails`` (the erased
        person's addresses), found through the e-mail change index: each index entry
        dropped (the person's own too: its history is erased whole), the account's
        pending change to the address cancelled (its e-mail verification links
        revoked) and the data of its history entry naming the address erased."""
        folded = {fold_email(email) for email in emails}

        def names(kind: str, data: Mapping[str, Any]) -> bool:
            new_email = data.get("new_email")
            return (
                kind == _REQUESTED
                and isinstance(new_email, str)
                and fold_email(new_email) in folded
            )

        for request in store.email_changes.of(emails):
            other = request.candidate_id
            if other == key:
                store.email_changes.remove(request)
                continue
            # the other account locked after the person's, as every erasure takes them
            candidate = store.candidates.find_for_update(other)
            if not store.email_changes.discard(request):
                continue  # its change ended meanwhile (confirmed: the address is its own)
            self._history.ledger.erase_entry(store.tx, other, request.position, where=names)
            pending = None if candidate is None else candidate.pending_email
            if candidate is not None and pending is not None and fold_email(pending) in folded:
                store.candidates.save(attrs.evolve(candidate, pending_email=None))
                purpose = TokenPurpose.EMAIL_VERIFICATION
                self._tokens.revoke_all(store.tx, purpose=purpose, subject=other)


def _scrub(
    repository: Repository[T],
    keys: tuple[str, ...],
    mine: Callable[[T], bool],
    erased: Callable[[T], T],
    *,
    before: Callable[[T], None] | None = None,
) -> tuple[str, ...]:
    """Save the erased form of each record of ``keys`` that is ``mine`` (calling
    ``before`` with the record as stored first); return their keys."""
    done: list[str] = []
    for key in keys:
        record = repository.find(key)
        if record is None or not mine(record):
            continue
        if before is not None:
            before(record)
        scrubbed = erased(record)
        if scrubbed != record:
            repository.save(scrubbed)
        done.append(key)
    return tuple(done)
