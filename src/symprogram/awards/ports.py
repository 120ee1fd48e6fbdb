"""What the awards service needs from the outside: candidates and storage.

:class:`CandidateDirectory` is the small protocol the accounts context satisfies
(the awards context never imports accounts; ``program.py`` wires them).
:class:`AwardsRepository` is the storage the service needs; the default
implementation, :class:`symprogram.awards.storage.AwardsStorage`, is built on the
generic storage port and so works on every adapter. The record kinds, index and
streams it writes are named here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Protocol, runtime_checkable

from symprogram.awards.models import (
    CandidateAwards,
    Disclosure,
    KitAddress,
    KitFulfilment,
    VerificationRecord,
)
from symprogram.persistence import Transaction

__all__ = [
    "CANDIDATE_KIND",
    "CODE_INDEX",
    "DISCLOSURE_KIND",
    "KIT_KIND",
    "PERSONAL_DATA_KINDS",
    "RECORD_KINDS",
    "TALLY_KIND",
    "VERIFICATION_STREAM_PREFIX",
    "AwardsRepository",
    "CandidateDirectory",
]

CANDIDATE_KIND = "award_candidate"
"""Record kind of a candidate's aggregate (key: candidate ID)."""

KIT_KIND = "award_kit"
"""Record kind of an achievement kit (key: kit ID); holds a postal address."""

DISCLOSURE_KIND = "award_disclosure"
"""Record kind of a disclosure (key: disclosure ID); holds the holder's name."""

TALLY_KIND = "award_verification_tally"
"""Record kind of the verifications of one disclosure (or of unknown codes, ``-``) in one
UTC day, counted per outcome (key: ``<disclosure ID>/<YYYY-MM-DD>``); no personal data."""

RECORD_KINDS = (CANDIDATE_KIND, KIT_KIND, DISCLOSURE_KIND, TALLY_KIND)
"""Every record kind of the awards context."""

PERSONAL_DATA_KINDS = (KIT_KIND, DISCLOSURE_KIND)
"""The record kinds that hold personal data (scrubbed by ``AwardsService.erase``)."""

CODE_INDEX = "award_disclosure_code"
"""Unique index: verification code digest -> disclosure ID."""

VERIFICATION_STREAM_PREFIX = "award_verifications:"
"""Streams ``award_verifications:<disclosure ID>``: each disclosure's verification log."""


@runtime_checkable
class CandidateDirectory(Protocol):
    """The candidates of the program, as the awards context sees them.

    A directory may also offer ``lock_account(tx, candidate_id) -> None`` (not part
    of the protocol, so that directories written without it keep working): lock the
    candidate's account record in the unit of work ``tx`` until it ends. Every awards
    call that writes about a candidate (and a verification of a disclosure, which
    counts in the holder's history) calls it first, before it locks the candidate's
    awards record: the account's lock is the first of a person's locks whichever
    context writes (docs/storage.md, "Lock order"), so that writers of one person in
    different contexts queue instead of deadlocking or racing for the person's
    history. Without it (or on a store without row locks) no such lock is taken.

    A directory may also offer ``canonical_id(candidate_id) -> str | None`` (not part
    of the protocol either): the one spelling of a known candidate's ID, ``None`` for
    no such candidate. A directory that accepts several spellings of one ID (case,
    dashes) must offer it: every awards call then keys the candidate's records,
    kits, disclosures and history entries by that spelling, so that one erasure
    finds them all. Without it every call asks :meth:`exists` and keeps the ID as
    given.
    """

    def exists(self, candidate_id: str) -> bool:
        """Whether ``candidate_id`` is a known candidate."""
        ...

    def contact_details(self, candidate_id: str) -> KitAddress:
        """The candidate's current contact details (name, email, postal address).

        "keep all of your contact information current ... (i.e. important emails,
        certification achievement kits, etc)" (Terms of Use v.2007.507). The awards
        flows ask :meth:`kit_recipient` when the directory has it.
        """
        ...

    def has_accepted_current_terms(self, candidate_id: str) -> bool:
        """Whether the candidate accepted the Terms of Use currently in force."""
        ...

    def holder_name(self, candidate_id: str) -> str:
        """The candidate's name as their published awards show it.

        A directory without this method answers through :meth:`contact_details`.
        """
        ...

    def account_active(self, candidate_id: str) -> bool:
        """Whether the candidate's account is active (not pending activation,
        suspended or closed): only an active account publishes its awards.

        A directory without this method has only active accounts.
        """
        ...

    def account_closed(self, candidate_id: str) -> bool:
        """Whether the candidate's account is closed (for good): its earlier
        disclosures then show nothing (``reason="account_closed"``).

        A directory without this method has no closed accounts.
        """
        ...

    def kit_recipient(self, candidate_id: str) -> KitAddress | None:
        """Where the candidate's achievement kits go: name, e-mail and postal address.

        ``None`` when no postal address is on file: the kit is then held (reason
        ``no_postal_address``) until one is. A directory written before this
        method existed keeps working: :meth:`contact_details` is used instead.
        """
        ...

    def kit_notices_to(self, candidate_id: str) -> str | None:
        """The e-mail address achievement-kit notices go to, or ``None`` when the
        candidate does not want them (the ``achievement_kits`` notification is off).

        "manage notifications you may or may not want to receive" (Terms of Use
        v.2007.507). A directory without this method gets no kit notices.
        """
        ...

    def expiry_reminders_to(self, candidate_id: str) -> str | None:
        """The e-mail address expiry reminders go to, or ``None`` when the candidate
        does not want them (the ``expiry_reminders`` notification is off).

        "manage notifications you may or may not want to receive" (Terms of Use
        v.2007.507). The category is on by default, so a directory without this
        method has every candidate want them: they go to the e-mail of
        :meth:`contact_details`.
        """
        ...


class AwardsRepository(Protocol):
    """Storage of the awards context, used inside one unit of work ``tx``."""

    def candidate(
        self, tx: Transaction, candidate_id: str, *, for_update: bool = False
    ) -> CandidateAwards:
        """The candidate's aggregate (a fresh, unsaved one if there is none);
        ``for_update``: its row locked until the unit of work ends."""
        ...

    def save_candidate(self, tx: Transaction, state: CandidateAwards) -> CandidateAwards:
        """Add or save the aggregate; returns it with its new version."""
        ...

    def candidate_page(
        self, tx: Transaction, *, after: str | None, limit: int
    ) -> tuple[list[CandidateAwards], str | None, bool]:
        """The stored aggregates of the next ``limit`` candidate records after the key
        ``after`` (key order), the last key read, and whether more may follow."""
        ...

    def kit(self, tx: Transaction, kit_id: str) -> KitFulfilment:
        """The kit ``kit_id`` (NotFound ``kit_not_found``)."""
        ...

    def save_kit(self, tx: Transaction, kit: KitFulfilment) -> KitFulfilment:
        """Add or save a kit."""
        ...

    def disclosure(self, tx: Transaction, disclosure_id: str) -> Disclosure:
        """The disclosure ``disclosure_id`` (NotFound ``disclosure_not_found``)."""
        ...

    def disclosures(self, tx: Transaction) -> Iterator[Disclosure]:
        """Every stored disclosure (one that cannot be read left out)."""
        ...

    def disclosure_by_code(self, tx: Transaction, code_digest: str) -> Disclosure | None:
        """The disclosure whose code has digest ``code_digest``, if any."""
        ...

    def save_disclosure(self, tx: Transaction, disclosure: Disclosure) -> Disclosure:
        """Add or save a disclosure (and index its code digest)."""
        ...

    def log_verification(self, tx: Transaction, record: VerificationRecord) -> None:
        """Append a verification to the disclosure's log."""
        ...

    def verifications(self, tx: Transaction, disclosure_id: str) -> tuple[VerificationRecord, ...]:
        """Every logged verification of ``disclosure_id``, oldest first."""
        ...

    def verification_tally(
        self, tx: Transaction, disclosure_id: str, day: date
    ) -> tuple[dict[str, int], int]:
        """The day's verifications of ``disclosure_id`` per outcome, and the tally's
        version (0: none yet), read for update."""
        ...

    def save_verification_tally(
        self, tx: Transaction, disclosure_id: str, day: date, counts: dict[str, int], version: int
    ) -> None:
        """Store the day's tally (``version``: the one read)."""
        ...

    def verification_tallies(
        self, tx: Transaction, disclosure_id: str
    ) -> tuple[tuple[date, dict[str, int]], ...]:
        """Every day's tally of ``disclosure_id``, oldest first."""
        ...
