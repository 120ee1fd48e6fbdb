"""An in-memory :class:`~symprogram.awards.ports.CandidateDirectory` for tests and demos."""

from __future__ import annotations

import threading

from symprogram.awards.models import KitAddress
from symprogram.errors import NotFound

__all__ = ["StaticCandidateDirectory"]


class StaticCandidateDirectory:
    """Candidates kept in a dict: contact details and whether current terms are accepted.

    Example:
        >>> d = StaticCandidateDirectory()
        >>> d.add("c-1", KitAddress("Ada", "ada@example.com", ("1 Main St", "Springfield")))
        >>> d.exists("c-1"), d.has_accepted_current_terms("c-1")
        (True, True)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._contacts: dict[str, KitAddress] = {}
        self._terms: dict[str, bool] = {}

    def add(self, candidate_id: str, contact: KitAddress, *, accepted_terms: bool = True) -> None:
        """Add or replace a candidate."""
        with self._lock:
            self._contacts[candidate_id] = contact
            self._terms[candidate_id] = accepted_terms

    def update_contact(self, candidate_id: str, contact: KitAddress) -> None:
        """Change a candidate's contact details ("Update Personal Info")."""
        with self._lock:
            self._require(candidate_id)
            self._contacts[candidate_id] = contact

    def set_terms_accepted(self, candidate_id: str, accepted: bool) -> None:
        """Record whether the candidate accepted the current terms."""
        with self._lock:
            self._require(candidate_id)
            self._terms[candidate_id] = accepted

    def _require(self, candidate_id: str) -> KitAddress:
        found = self._contacts.get(candidate_id)
        if found is None:
            raise NotFound(
                f"no candidate {candidate_id!r}", field="candidate_id", code="candidate_not_found"
            )
        return found

    def exists(self, candidate_id: str) -> bool:
        """Whether the candidate was added."""
        with self._lock:
            return candidate_id in self._contacts

    def contact_details(self, candidate_id: str) -> KitAddress:
        """The candidate's contact details (NotFound ``candidate_not_found``)."""
        with self._lock:
            return self._require(candidate_id)

    def has_accepted_current_terms(self, candidate_id: str) -> bool:
        """Whether the candidate accepted the current terms (False if unknown)."""
        with self._lock:
            return self._terms.get(candidate_id, False)
