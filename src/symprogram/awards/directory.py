"""An in-memory :class:`~symprogram.awards.ports.CandidateDirectory` for tests and demos."""

from __future__ import annotations

import threading

from symprogram._checks import check_found, check_instance, check_text, shown
from symprogram.awards.models import KitAddress

__all__ = ["StaticCandidateDirectory"]

MAX_ID = 200
"""The longest candidate ID :meth:`StaticCandidateDirectory.add` accepts."""


def _known(candidate_id: object) -> str:
    """``candidate_id`` as plain text; ``""`` (never added) when it is not text."""
    return str.__str__(candidate_id) if isinstance(candidate_id, str) else ""


class StaticCandidateDirectory:
    """Candidates kept in a dict: contact details, whether current terms are accepted,
    whether a postal address is on file and whether kit notices and expiry reminders
    are wanted.

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
        self._inactive: set[str] = set()
        self._closed: set[str] = set()
        self._no_address: set[str] = set()
        self._no_notices: set[str] = set()
        self._no_reminders: set[str] = set()

    def add(
        self,
        candidate_id: str,
        contact: KitAddress,
        *,
        accepted_terms: bool = True,
        postal_address_on_file: bool = True,
        kit_notices: bool = True,
        account_active: bool = True,
        account_closed: bool = False,
        expiry_reminders: bool = True,
    ) -> None:
        """Add or replace a candidate.

        Args:
            candidate_id: the candidate.
            contact: name, e-mail and postal address.
            accepted_terms: whether the current terms are accepted.
            postal_address_on_file: ``False``: the candidate has no postal address
                on file (``contact``'s is ignored until :meth:`update_contact`).
            kit_notices: whether the ``achievement_kits`` notification is on.
            account_active: ``False``: the account is pending activation,
                suspended or closed (it publishes nothing).
            account_closed: ``True``: the account is closed (so not active
                either): its disclosures show nothing.
            expiry_reminders: whether the ``expiry_reminders`` notification is on.

        Raises:
            ValidationError: ``candidate_id`` is not one line of text
                (``invalid_candidate_id``); ``contact`` is not a
                :class:`~symprogram.awards.models.KitAddress` (``invalid_contact``).
            LimitExceeded: ``candidate_id`` is over 200 characters
                (``candidate_id_too_long``).
        """
        candidate_id = check_text(candidate_id, "candidate_id", limit=MAX_ID)
        contact = check_instance(contact, KitAddress, "contact", code="invalid_contact")
        with self._lock:
            self._contacts[candidate_id] = contact
            self._terms[candidate_id] = accepted_terms
            self._flag(self._no_address, candidate_id, not postal_address_on_file)
            self._flag(self._no_notices, candidate_id, not kit_notices)
            self._flag(self._inactive, candidate_id, not account_active or account_closed)
            self._flag(self._closed, candidate_id, account_closed)
            self._flag(self._no_reminders, candidate_id, not expiry_reminders)

    @staticmethod
    def _flag(flags: set[str], candidate_id: str, on: bool) -> None:
        if on:
            flags.add(candidate_id)
        else:
            flags.discard(candidate_id)

    def update_contact(self, candidate_id: str, contact: KitAddress) -> None:
        """Change a candidate's contact details ("Update Personal Info"); the postal
        address is then on file.

        Raises:
            ValidationError: ``contact`` is not a
                :class:`~symprogram.awards.models.KitAddress` (``invalid_contact``).
            NotFound: an unknown candidate (``candidate_not_found``).
        """
        contact = check_instance(contact, KitAddress, "contact", code="invalid_contact")
        with self._lock:
            self._require(candidate_id)
            self._contacts[candidate_id] = contact
            self._no_address.discard(candidate_id)

    def remove_postal_address(self, candidate_id: str) -> None:
        """The candidate has no postal address on file any more."""
        with self._lock:
            self._require(candidate_id)
            self._no_address.add(candidate_id)

    def set_kit_notices(self, candidate_id: str, wanted: bool) -> None:
        """Switch the candidate's ``achievement_kits`` notification on or off."""
        with self._lock:
            self._require(candidate_id)
            self._flag(self._no_notices, candidate_id, not wanted)

    def set_expiry_reminders(self, candidate_id: str, wanted: bool) -> None:
        """Switch the candidate's ``expiry_reminders`` notification on or off."""
        with self._lock:
            self._require(candidate_id)
            self._flag(self._no_reminders, candidate_id, not wanted)

    def set_terms_accepted(self, candidate_id: str, accepted: bool) -> None:
        """Record whether the candidate accepted the current terms."""
        with self._lock:
            self._require(candidate_id)
            self._terms[candidate_id] = accepted

    def _require(self, candidate_id: str) -> KitAddress:
        return check_found(
            self._contacts.get(_known(candidate_id)),
            f"no candidate {shown(candidate_id, limit=80)}",
            field="candidate_id",
            code="candidate_not_found",
        )

    def exists(self, candidate_id: str) -> bool:
        """Whether the candidate was added."""
        with self._lock:
            return _known(candidate_id) in self._contacts

    def contact_details(self, candidate_id: str) -> KitAddress:
        """The candidate's contact details (NotFound ``candidate_not_found``)."""
        with self._lock:
            return self._require(candidate_id)

    def holder_name(self, candidate_id: str) -> str:
        """The contact's name (NotFound ``candidate_not_found``)."""
        with self._lock:
            return self._require(candidate_id).name

    def kit_recipient(self, candidate_id: str) -> KitAddress | None:
        """The contact details, or ``None`` without a postal address on file
        (NotFound ``candidate_not_found``)."""
        with self._lock:
            found = self._require(candidate_id)
            return None if _known(candidate_id) in self._no_address else found

    def kit_notices_to(self, candidate_id: str) -> str | None:
        """The candidate's e-mail, or ``None`` when kit notices are off
        (NotFound ``candidate_not_found``)."""
        with self._lock:
            found = self._require(candidate_id)
            return None if _known(candidate_id) in self._no_notices else found.email

    def expiry_reminders_to(self, candidate_id: str) -> str | None:
        """The candidate's e-mail, or ``None`` when expiry reminders are off
        (NotFound ``candidate_not_found``)."""
        with self._lock:
            found = self._require(candidate_id)
            return None if _known(candidate_id) in self._no_reminders else found.email

    def has_accepted_current_terms(self, candidate_id: str) -> bool:
        """Whether the candidate accepted the current terms (False if unknown)."""
        with self._lock:
            return self._terms.get(_known(candidate_id), False)

    def account_active(self, candidate_id: str) -> bool:
        """Whether the candidate's account is active (False if unknown)."""
        with self._lock:
            key = _known(candidate_id)
            return key in self._contacts and key not in self._inactive

    def account_closed(self, candidate_id: str) -> bool:
        """Whether the candidate's account is closed (False if unknown)."""
        with self._lock:
            return _known(candidate_id) in self._closed
