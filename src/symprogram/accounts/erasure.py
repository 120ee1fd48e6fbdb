"""The account's part of the right to erasure (``symprogram.erasure`` walks every context)."""

from __future__ import annotations

import attrs

from symprogram._checks import check_text
from symprogram.accounts import rules
from symprogram.accounts._base import ACCOUNT_PURPOSES, RESEND, RESET, FlowBase, candidate_key
from symprogram.accounts._text import CODES
from symprogram.accounts.events import AccountErased
from symprogram.accounts.models import (
    ERASED_EMAIL,
    ERASED_TEXT,
    MAX_REASON_LENGTH,
    AccountErasure,
    AccountStatus,
    Candidate,
    erased_contact,
)
from symprogram.accounts.storage import AccountsStorage
from symprogram.ids import CandidateId
from symprogram.persistence import Transaction

__all__ = ["Erasure"]

_EMAIL_FIELDS = ("email", "new_email", "previous_email")
"""History entry fields that may hold an address the account used."""


class Erasure(FlowBase):
    """Erasure of :class:`~symprogram.accounts.AccountsService`."""

    def erase(self, candidate_id: str | CandidateId, *, reason: str) -> AccountErasure:
        """Erase the candidate's personal data, keeping a pseudonymous proof (right to erasure).

        In ONE unit of work: closes the account if it is not closed (every
        outstanding link dies); replaces the contact details with the
        :func:`~symprogram.accounts.models.erased_contact` markers and drops the
        pending address; releases the e-mail index (the address can register
        again, as a new account with a new candidate ID); deletes the password
        hash and the request logs of every address the account used; replaces
        the name and e-mail of every claimed score report and the title and
        message bodies of every incident with markers; drops the data of every
        account history entry through :meth:`~symprogram.events.Ledger.erase`
        (digests and chain kept, so ``history.verify`` stays ok); and appends a
        final ``account_erased`` entry holding only ``reason``.

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
        """
        key = candidate_key(candidate_id)
        text = check_text(reason, "reason", limit=MAX_REASON_LENGTH, strip=True, codes=CODES)
        now = self._now()
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            candidate = store.candidates.get(key)
            already = candidate.erased_at is not None
            emails = self._known_emails(tx, candidate)
            if candidate.status is not AccountStatus.CLOSED:
                candidate, event = rules.change_status(
                    candidate, AccountStatus.CLOSED, now, reason=text
                )
                self._record(tx, event)
            if not already:
                for purpose in ACCOUNT_PURPOSES:
                    self._tokens.revoke_all(tx, purpose=purpose, subject=key)
            for email in emails:
                store.candidates.release_email(key, email)
                for log in (RESEND, RESET):
                    store.requests.forget(log, email)
            store.credentials.delete(key)
            reports = _erase_score_reports(store, candidate)
            incidents = _erase_incidents(store, candidate)
            erased = attrs.evolve(
                candidate,
                contact=erased_contact(),
                pending_email=None,
                status_reason=candidate.status_reason if already else text,
                erased_at=candidate.erased_at if already else now,
            )
            if erased != candidate:
                erased = store.candidates.save(erased)
            count = 0
            if not already:
                count = self._history.ledger.erase(tx, key)
                self._record(tx, AccountErased(key, now, reason=text))
            entries = self._history.ledger.entries(tx, key)
        assert erased.erased_at is not None
        return AccountErasure(
            candidate_id=key,
            erased_at=erased.erased_at,
            reason=erased.status_reason or text,
            history_entries_erased=count,
            history_length=len(entries),
            history_head=entries[-1].hash if entries else "0" * 64,
            score_reports=reports,
            incidents=incidents,
            already_erased=already,
        )

    def _known_emails(self, tx: Transaction, candidate: Candidate) -> tuple[str, ...]:
        """Every address the account used: current, pending, and those in its history."""
        found = {candidate.contact.email}
        if candidate.pending_email is not None:
            found.add(candidate.pending_email)
        for entry in self._history.ledger.iter_entries(tx, candidate.candidate_id):
            for name in _EMAIL_FIELDS:
                value = (entry.data or {}).get(name)
                if isinstance(value, str) and value:
                    found.add(value)
        found.discard(ERASED_EMAIL)
        return tuple(sorted(found))


def _erase_score_reports(store: AccountsStorage, candidate: Candidate) -> tuple[str, ...]:
    done: list[str] = []
    for number in candidate.score_reports:
        report = store.score_reports.find(number)
        if report is None or report.claimed_by != candidate.candidate_id:
            continue
        erased = attrs.evolve(report, candidate_name=ERASED_TEXT, email=ERASED_EMAIL)
        if erased != report:
            store.score_reports.save(erased)
        done.append(number)
    return tuple(done)


def _erase_incidents(store: AccountsStorage, candidate: Candidate) -> tuple[str, ...]:
    done: list[str] = []
    for incident_id in candidate.incidents:
        incident = store.incidents.find(incident_id)
        if incident is None or incident.candidate_id != candidate.candidate_id:
            continue
        erased = attrs.evolve(
            incident,
            title=ERASED_TEXT,
            messages=tuple(attrs.evolve(m, body=ERASED_TEXT) for m in incident.messages),
        )
        if erased != incident:
            store.incidents.save(erased)
        done.append(incident_id)
    return tuple(done)
