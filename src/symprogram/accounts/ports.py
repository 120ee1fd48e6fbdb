"""What the accounts service needs from outside, and what it offers other contexts.

* The repositories it keeps its aggregates in (implemented for every storage
  adapter by :mod:`symprogram.accounts.storage` on the generic storage port);
* :class:`PasswordHasher`, the password hashing port (default:
  :class:`~symprogram.accounts.passwords.ScryptHasher`);
* :class:`MarketingConsent`, the question it asks the consent context before
  newsletters and offers (an adapter in ``program.py`` answers it; accounts
  never imports the consent context); :class:`MarketingChoices`, the same that
  also records the person's marketing switches in the consent ledger (then the
  account's switches are a view of consent); :class:`PersonalDataLedger`, where
  accounts records which personal data a registration gathered;
* :class:`CandidateDirectory`, the small read API other contexts (awards) use;
* the record kinds and the unique index it keeps on the storage port, and which
  of them hold personal data (walked by the erasure).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Protocol, runtime_checkable

from symprogram.accounts.models import (
    Candidate,
    ContactDetails,
    Incident,
    ScoreReport,
    TermsAcceptance,
)
from symprogram.persistence import Aggregates

__all__ = [
    "ACCEPTANCE_KIND",
    "ACTIVATION",
    "ACTIVATION_ITEMS",
    "CANDIDATE_KIND",
    "CREDENTIAL_KIND",
    "CLAIM_LOG",
    "CLIENT_LOGIN_LOG",
    "CONTACT_UPDATE",
    "EMAIL_CHANGE_BY_LOG",
    "EMAIL_CHANGE_KIND",
    "EMAIL_CHANGE_LOG",
    "EMAIL_INDEX",
    "GATHERING_ACTIVITIES",
    "INCIDENT_ITEMS",
    "INCIDENT_KIND",
    "LOGIN_LOG",
    "PERSONAL_DATA_KINDS",
    "RECORD_KINDS",
    "REGISTRATION",
    "REGISTRATION_LOG",
    "REQUEST_LOGS",
    "REQUEST_LOG_KIND",
    "RESEND_LOG",
    "RESET_LOG",
    "SCORE_REPORT_ADDRESS_KIND",
    "SCORE_REPORT_KIND",
    "SUPPORT_INCIDENT",
    "UNUSABLE_PREFIX",
    "AcceptanceRepository",
    "CandidateDirectory",
    "CandidateRepository",
    "CredentialRepository",
    "IncidentRepository",
    "MarketingChoices",
    "MarketingConsent",
    "PasswordHasher",
    "PersonalDataLedger",
    "PersonalDataLedgerBatch",
    "PersonalDataLedgerStandIn",
    "RequestLog",
    "ScoreReportRepository",
]

UNUSABLE_PREFIX = "!unusable$"
"""The start of a stored password hash no hasher ever verifies: an account opened
without a password (an operator's import), which sets one with a reset."""

CANDIDATE_KIND = "candidate"
"""Candidates, keyed by candidate ID."""
CREDENTIAL_KIND = "account_credential"
"""Password hashes, keyed by candidate ID."""
ACCEPTANCE_KIND = "terms_acceptance"
"""Terms of Use acceptances, keyed by acceptance ID."""
SCORE_REPORT_KIND = "score_report"
"""Score reports, keyed by registration number."""
SCORE_REPORT_ADDRESS_KIND = "score_report_address"
"""The score reports recorded for each address: a secondary index on the storage
port's records, one record keyed ``<SHA-256 of the lower-case address>:<registration
number>`` per report, found by a key-prefix scan (the erasure finds a person's
unclaimed reports with it). A record keyed ``~complete:<random>`` says every report
of the store has its entry (a store written before the index existed has none,
until its first erasure indexes them)."""
EMAIL_CHANGE_KIND = "email_change_address"
"""The addresses accounts asked to change to: a secondary index on the storage port's
records, one record keyed ``<SHA-256 of the lower-case new address>:<candidate
ID>:<history position>`` per ``request_email_change`` (a free or a taken address
alike), holding the position of the account's ``email_change_requested`` entry that
names the address. Found by a key-prefix scan: the erasure of an address's owner
cancels another account's pending change to it and drops the address from that
entry. Removed once the change is confirmed (the address is then the account's
own), with that entry, and by the erasure of either account."""
INCIDENT_KIND = "incident"
"""Support incidents, keyed by incident ID."""
REQUEST_LOG_KIND = "account_request_log"
"""Recent request instants, keyed by purpose and the SHA-256 of an address (or of a
client key): the rate limits, kept in the store so that they hold across processes.
The purposes are :data:`REQUEST_LOGS`."""
RESEND_LOG = "activation_resend"
"""Activation messages sent per address (``AccountsSettings.resend_limit``)."""
RESET_LOG = "password_reset"
"""Password reset messages sent per address (``AccountsSettings.reset_limit``)."""
EMAIL_CHANGE_LOG = "email_change"
"""The latest e-mail change request for a new address, whichever account asked: the
record a request to change to the address and an erasure of its owner both write
(the point they queue on); it limits nothing."""
EMAIL_CHANGE_BY_LOG = "email_change_by"
"""E-mail change messages sent per requesting account and new address
(``AccountsSettings.email_change_limit``), keyed by the address's SHA-256 and the
candidate ID's: one account's requests never use up another's."""
LOGIN_LOG = "login_failed"
"""Failed log-ins per address (``AccountsSettings.login_failure_limit``)."""
CLIENT_LOGIN_LOG = "login_failed_client"
"""Failed log-ins per client key (``AccountsSettings.client_failure_limit``)."""
REGISTRATION_LOG = "registration_attempt"
"""Request log purpose: registrations of an address (the notices to its owner)."""
CLAIM_LOG = "score_report_claim_failed"
"""Wrong score report proofs per claimant account, keyed by the SHA-256 of its
candidate ID (``AccountsSettings.claim_failure_limit``)."""

REQUEST_LOGS = (RESEND_LOG, RESET_LOG, EMAIL_CHANGE_LOG, LOGIN_LOG, REGISTRATION_LOG)
"""The request logs kept per address (forgotten with the address by the erasure)."""
EMAIL_INDEX = "candidate_email"
"""The unique index from the SHA-256 of a lower-case address to its candidate ID."""

RECORD_KINDS = (
    CANDIDATE_KIND,
    CREDENTIAL_KIND,
    ACCEPTANCE_KIND,
    SCORE_REPORT_KIND,
    SCORE_REPORT_ADDRESS_KIND,
    EMAIL_CHANGE_KIND,
    INCIDENT_KIND,
    REQUEST_LOG_KIND,
)
"""Every record kind the accounts context keeps (tokens and history are the kernel's)."""

PERSONAL_DATA_KINDS = (
    CANDIDATE_KIND,
    CREDENTIAL_KIND,
    SCORE_REPORT_KIND,
    SCORE_REPORT_ADDRESS_KIND,
    EMAIL_CHANGE_KIND,
    INCIDENT_KIND,
    REQUEST_LOG_KIND,
)
"""The record kinds that can hold personal data: scrubbed by ``AccountsService.erase``."""


@runtime_checkable
class PasswordHasher(Protocol):
    """Turns passwords into self-describing hashes and checks them."""

    def hash(self, password: str) -> str:
        """Return an encoded hash of ``password`` (algorithm, parameters, salt, digest)."""
        ...

    def verify(self, password: str, encoded: str) -> bool:
        """Whether ``password`` matches ``encoded``; constant time; ``False`` for junk."""
        ...


# A hasher may also offer (the shipped ones do; AccountsService uses them when present):
#   needs_rehash(encoded) -> bool: the stored hash is weaker than the policy (rehash on log-in);
#   dummy_hash() -> str: a hash no password matches, as costly to verify as a real one;
#   recognizes(encoded) -> bool: ``encoded`` is a hash this hasher can verify (bulk
#   registration refuses a row's hash otherwise: ``invalid_password_hash``).


@runtime_checkable
class MarketingConsent(Protocol):
    """The consent context's answer to "may we send this person marketing of this kind?".

    Consulted for the ``newsletters`` and ``offers`` categories only; when it
    says no, those categories are effectively off whatever the candidate chose.
    """

    def may_contact(self, subject: str, category: str, at: datetime) -> bool:
        """Whether ``subject`` (a candidate ID) may receive ``category`` messages at ``at``."""
        ...


@runtime_checkable
class MarketingChoices(MarketingConsent, Protocol):
    """A :class:`MarketingConsent` that also keeps the person's marketing choices.

    With one of these the account's newsletter and offer switches are a view of
    the consent ledger ("one truth per choice", DESIGN.md): switching one on
    records a grant, switching it off an opt-out (or a withdrawal of a grant), and
    reading the switch asks :meth:`may_contact`.

    One may also offer ``stop_contact(subject, at)`` (not part of the protocol, so
    that implementations written without it keep working): record that
    ``subject`` may be contacted through no channel for any purpose; closing an
    account calls it in the closure's unit of work, so that nothing is mailed to a
    closed account.
    """

    def record_choice(self, subject: str, category: str, enabled: bool, at: datetime) -> bool:
        """Record that ``subject`` switched ``category`` on or off at ``at``.

        Called inside the unit of work of the account change (so both are saved or
        neither). Returns whether anything was recorded (nothing when the ledger
        already holds that very choice).
        """
        ...


REGISTRATION = "registration"
"""Registering (``register``, ``register_many``, the CSV import): the contact details.
The account is pending activation: nobody has confirmed the address yet (anyone can
register someone else's), so this gathering makes no one known (see :data:`ACTIVATION`)."""
ACTIVATION = "activation"
"""Activating the account with the link mailed to its address (``activate``): the
address, confirmed by its owner. From then on the person is a known subject."""
ACTIVATION_ITEMS = ("email",)
"""What an activation gathers: the address its owner confirmed."""
SUPPORT_INCIDENT = "support_incident"
"""Opening a support incident (``open_incident``): the description of the problem."""
INCIDENT_ITEMS = ("problem_description",)
"""What a candidate gives when opening an incident, in the privacy policy's words."""
CONTACT_UPDATE = "contact_update"
"""Keeping contact details current (``update_contact_details``, ``confirm_email_change``):
the items newly given."""

GATHERING_ACTIVITIES = (REGISTRATION, ACTIVATION, SUPPORT_INCIDENT, CONTACT_UPDATE)
"""The accounts activities that gather personal data, as :class:`PersonalDataLedger` hears them."""


@runtime_checkable
class PersonalDataLedger(Protocol):
    """Where accounts records which personal data an activity gathered, and under which policy.

    Program wires the consent context: a person whose account was activated is
    then a known subject of the privacy policy in effect (what a registration
    gathered is recorded at once, but makes nobody known until the activation).
    """

    def record_gathered(
        self, subject: str, activity: str, items: tuple[str, ...], at: datetime
    ) -> None:
        """Record that ``activity`` (one of :data:`GATHERING_ACTIVITIES`) gathered the
        items named ``items`` about ``subject`` at ``at``.

        Called inside the unit of work that stores the data (all or nothing); a
        refusal it raises rolls the activity back.
        """
        ...


@runtime_checkable
class PersonalDataLedgerBatch(PersonalDataLedger, Protocol):
    """A :class:`PersonalDataLedger` that can also record many gatherings at once.

    ``register_many`` uses it, when the wired ledger offers it, to record what a
    whole batch of registrations gathered in one call instead of one per candidate.
    """

    def record_gathered_many(
        self, gathered: list[tuple[str, str, tuple[str, ...]]], at: datetime
    ) -> None:
        """:meth:`~PersonalDataLedger.record_gathered` of each ``(subject, activity,
        items)`` at ``at``, in order, inside the unit of work that stores the data."""
        ...


@runtime_checkable
class PersonalDataLedgerStandIn(PersonalDataLedger, Protocol):
    """A :class:`PersonalDataLedger` that can do a recording's work for nobody.

    A registration of an address that already has an account records nothing
    about anybody, yet must cost what a new account's does (issue 18: nobody can
    tell the two apart). Where the wired ledger offers this, that registration
    has it do the work of :meth:`~PersonalDataLedger.record_gathered` for a new
    subject, every write of it going to stand-in records under ``key`` instead.
    """

    def record_gathered_for_nobody(
        self, key: str, activity: str, items: tuple[str, ...], at: datetime
    ) -> None:
        """The work of :meth:`~PersonalDataLedger.record_gathered` for a new subject,
        inside the current unit of work, its writes to stand-in records keyed
        ``key:<n>``; nothing is recorded about anybody, nothing is published."""
        ...


@runtime_checkable
class CandidateDirectory(Protocol):
    """The read API other contexts need (the awards context wraps it in its own protocol)."""

    def get_candidate(self, candidate_id: str) -> Candidate:
        """Return the candidate; NotFound (``candidate_not_found``) if unknown."""
        ...

    def contact_details(self, candidate_id: str) -> ContactDetails:
        """Return the candidate's current contact details."""
        ...

    def has_accepted_current_terms(self, candidate_id: str) -> bool:
        """Whether the candidate accepted the Terms of Use version currently in effect."""
        ...


class CandidateRepository(Aggregates[Candidate], Protocol):
    """Candidates by ID (``candidate_not_found``), with a unique index of e-mail addresses.

    :meth:`add` also indexes the new candidate's e-mail address.
    """

    def find_by_email(self, email: str) -> Candidate | None:
        """Return the owner of a normalized address, or ``None``."""
        ...

    def move_email(self, candidate: Candidate, old_email: str, new_email: str) -> None:
        """Point the e-mail index from ``old_email`` to ``new_email`` for ``candidate``."""
        ...

    def iter_candidates(self) -> Iterator[Candidate]:
        """Yield every candidate in key order."""
        ...


class CredentialRepository(Protocol):
    """Password hashes, kept apart from the candidate aggregate."""

    def password_hash(self, candidate_id: str) -> str | None:
        """Return the stored hash, or ``None``."""
        ...

    def set_password_hash(self, candidate_id: str, encoded: str, at: datetime) -> None:
        """Store a new hash."""
        ...


class AcceptanceRepository(Aggregates[TermsAcceptance], Protocol):
    """Terms acceptances by ID, bound or waiting for their registration."""


class ScoreReportRepository(Aggregates[ScoreReport], Protocol):
    """Score reports by registration number (``score_report_exists`` if the number is taken)."""


class IncidentRepository(Aggregates[Incident], Protocol):
    """Support incidents by ID (``incident_not_found`` if unknown)."""


class RequestLog(Protocol):
    """Recent request instants per ``(purpose, e-mail)``, for rate limits that reveal nothing."""

    def recent(self, purpose: str, email: str) -> tuple[datetime, ...]:
        """Return the kept request instants, oldest first."""
        ...

    def note(self, purpose: str, email: str, at: datetime, keep: int) -> None:
        """Remember a request at ``at``, keeping the newest ``keep`` instants."""
        ...

    def recent_key(self, key: str) -> tuple[datetime, ...]:
        """Return the kept instants of a record key (e.g. of a client key), oldest first."""
        ...

    def note_key(self, key: str, at: datetime, keep: int) -> None:
        """Remember an instant under a record key, keeping the newest ``keep`` instants."""
        ...
