"""Looking accounts up: the read API other contexts and staff use.

:class:`Directory` answers :class:`~symprogram.accounts.ports.CandidateDirectory`
(``get_candidate``, ``contact_details``, ``has_accepted_current_terms``), the
staff look-up by address, the terms status and the account history.
"""

from __future__ import annotations

from symprogram.accounts import rules
from symprogram.accounts._base import FlowBase, candidate_key
from symprogram.accounts.models import AccountStatus, Candidate, ContactDetails, normalize_email
from symprogram.accounts.storage import AccountsStorage
from symprogram.decisions import Decision
from symprogram.events import LedgerEntry
from symprogram.ids import CandidateId

__all__ = ["Directory"]


class Directory(FlowBase):
    """Look-ups of :class:`~symprogram.accounts.AccountsService`."""

    def get_candidate(self, candidate_id: str | CandidateId) -> Candidate:
        """Return a candidate's account.

        Raises:
            ValidationError: not a candidate ID (``invalid_candidate_id``).
            NotFound: no such candidate (``candidate_not_found``).
        """
        key = candidate_key(candidate_id)
        return self._read(lambda s: s.candidates.get(key))

    def get_account_status(self, candidate_id: str | CandidateId) -> AccountStatus:
        """The account's status as its history vouches for it: what a decision that
        rests on the status reads (publishing needs an active account, a closed
        account's disclosures show nothing).

        The candidate and its history are read in one snapshot and compared
        (:func:`~symprogram.accounts.rules.require_candidate_anchored`), so a row
        put back from before a suspension or closure is not taken for an active
        account; :meth:`get_candidate` answers the row as stored.

        Raises:
            ValidationError: not a candidate ID (``invalid_candidate_id``).
            NotFound: no such candidate (``candidate_not_found``).
            IntegrityError: the stored account is not as its history says
                (``record_corrupt``).
        """
        key = candidate_key(candidate_id)

        def read(store: AccountsStorage) -> AccountStatus:
            candidate = store.candidates.get(key)
            said = self._history.ledger.said_entries(store.tx, key)
            return rules.require_candidate_anchored(candidate, said).status

        return self._read(read)

    def find_by_email(self, email: str) -> Candidate | None:
        """Return the account using ``email`` (staff look-up; never exposed to the public).

        Raises:
            ValidationError: not an e-mail address (``invalid_email``).
        """
        normalized = normalize_email(email)
        return self._read(lambda s: s.candidates.find_by_email(normalized))

    def contact_details(self, candidate_id: str | CandidateId) -> ContactDetails:
        """Return the current contact details: e-mail, names, postal address, language.

        Raises:
            NotFound: no such candidate (``candidate_not_found``).
        """
        return self.get_candidate(candidate_id).contact

    def terms_status(self, candidate_id: str | CandidateId) -> Decision:
        """Whether the candidate accepted the Terms of Use in effect now, as a Decision.

        Reasons: ``terms_accepted``, ``terms_not_accepted``, ``terms_outdated``.
        """
        candidate = self.get_candidate(candidate_id)
        now = self._now()
        return rules.terms_status(candidate.terms, self.catalogue.current(now), now)

    def has_accepted_current_terms(self, candidate_id: str | CandidateId) -> bool:
        """Whether the candidate accepted the Terms of Use version currently in effect.

        Registering, claiming a report and publishing a certification are refused
        until it is ``True``.
        """
        return bool(self.terms_status(candidate_id))

    def history(self, candidate_id: str | CandidateId) -> tuple[LedgerEntry, ...]:
        """Return the candidate's account history, oldest first ("audit your account history").

        Raises:
            ValidationError: not a candidate ID (``invalid_candidate_id``).
            NotFound: no such candidate (``candidate_not_found``), never an empty history.
        """
        key = candidate_key(candidate_id)
        self._read(lambda s: s.candidates.get(key))
        return self._history.history(key)
