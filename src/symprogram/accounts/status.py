"""The account life cycle by staff: suspend, reinstate, close."""

from __future__ import annotations

from symprogram._checks import check_text, optional_text
from symprogram.accounts import messages, rules
from symprogram.accounts._base import ACCOUNT_PURPOSES, FlowBase, candidate_key
from symprogram.accounts._text import CODES
from symprogram.accounts.models import (
    MARKETING_CATEGORIES,
    MAX_REASON_LENGTH,
    AccountStatus,
    Candidate,
)
from symprogram.accounts.ports import MarketingChoices
from symprogram.accounts.storage import AccountsStorage
from symprogram.ids import CandidateId

__all__ = ["Status"]


class Status(FlowBase):
    """Suspension, reinstatement and closure of :class:`~symprogram.accounts.AccountsService`."""

    def suspend(self, candidate_id: str | CandidateId, reason: str) -> Candidate:
        """Suspend an active account (staff).

        Raises:
            IllegalTransition: the account is not active (``illegal_transition``).
            ValidationError / LimitExceeded: a bad reason.
            IntegrityError: a candidate row put back or written in (``record_corrupt``).
        """
        check_text(reason, "reason", limit=MAX_REASON_LENGTH, strip=True, codes=CODES)
        return self._change_status(candidate_id, AccountStatus.SUSPENDED, reason)

    def reinstate(self, candidate_id: str | CandidateId) -> Candidate:
        """Make a suspended account active again (staff).

        Raises:
            IllegalTransition: the account is not suspended (``illegal_transition``).
            IntegrityError: a candidate row put back or written in (``record_corrupt``).
        """
        return self._change_status(
            candidate_id, AccountStatus.ACTIVE, None, require=AccountStatus.SUSPENDED
        )

    def close(self, candidate_id: str | CandidateId, reason: str | None = None) -> Candidate:
        """Close an account for good; every outstanding link dies. The address stays reserved.

        When the consent context keeps the marketing choices, newsletters and offers
        are opted out of (or withdrawn) there too.

        Raises:
            IllegalTransition: already closed (``illegal_transition``).
            IntegrityError: a candidate row put back or written in (``record_corrupt``).
        """
        return self._change_status(candidate_id, AccountStatus.CLOSED, reason)

    def _change_status(
        self,
        candidate_id: str | CandidateId,
        target: AccountStatus,
        reason: str | None,
        *,
        require: AccountStatus | None = None,
    ) -> Candidate:
        key = candidate_key(candidate_id)
        text = optional_text(reason, "reason", limit=MAX_REASON_LENGTH, strip=True, codes=CODES)
        now = self._now()
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            candidate, event = rules.staff_status_change(
                self._candidate_for_update(store, key), target, now, reason=text, require=require
            )
            candidate = store.candidates.save(candidate)
            if target is AccountStatus.CLOSED:
                for purpose in ACCOUNT_PURPOSES:
                    self._tokens.revoke_all(tx, purpose=purpose, subject=key)
                if isinstance(self._consent, MarketingChoices):
                    # No marketing to a closed account: the consent ledger (what a
                    # mailer reads) says so too, in the same unit of work.
                    for category in sorted(MARKETING_CATEGORIES):
                        self._consent.record_choice(key, str(category), False, now)
                    stop = getattr(self._consent, "stop_contact", None)
                    if callable(stop):  # every other purpose too, on every channel
                        stop(key, now)
            self._record(tx, event)
            self._send(tx, [messages.account_status_changed(candidate, target, text)])
        return candidate
