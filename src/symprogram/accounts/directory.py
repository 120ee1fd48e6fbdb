"""Looking accounts up: the read API other contexts and staff use.

:class:`Directory` answers :class:`~symprogram.accounts.ports.CandidateDirectory`
(``get_candidate``, ``contact_details``, ``has_accepted_current_terms``), the
staff look-up by address, the terms status and the account history.
"""

from __future__ import annotations

from symprogram.accounts import rules
from symprogram.accounts._base import FlowBase, candidate_key
from symprogram.accounts.models import Candidate, ContactDetails, normalize_email
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
