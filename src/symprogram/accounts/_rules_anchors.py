"""Rules of the account anchored to its history: the stored candidate against the ledger (pure).

The account history is keyed and chained; the stored :class:`Candidate` is not. A
candidate row put back from an older backup (or edited by hand) would answer
``active`` for a closed account while every chain verifies, so the history's
verification also replays, from the entries, what the ledger says of the account
and compares it with the stored candidate (``aggregate_mismatch``; the kernel's
:mod:`symprogram._anchors` runs it):

- **status**: ``candidate_registered`` makes it ``pending_activation`` (the kind
  says so, even when the entry's data was erased); each ``account_status_changed``
  sets its ``status``; ``account_erased`` makes it ``closed``;
- **e-mail address**: ``candidate_registered``'s ``email``, then each
  ``email_changed``'s ``email``; ``account_erased`` makes it the erased marker;
- **pending address**: the newest ``email_change_requested``'s ``new_email``,
  none once an ``email_changed`` or ``account_erased`` follows it or its data was
  erased (the change cancelled:
  :func:`~symprogram.accounts.rules.said_pending_email`);
- **erasure**: after ``account_erased`` the stored candidate is erased;
- **address index**: the index gives the current address to the account, and
  none of the addresses it left (:func:`former_emails`);
- **credential digest**: ``candidate_registered``, ``password_changed`` and
  ``password_rehashed`` record the SHA-256 of the password hash they stored
  (``credential_digest``), which the candidate keeps (a log-in compares the
  stored hash with it), and ``credential_anchored`` that of a hash stored before
  digests were recorded; ``account_erased`` leaves none.

The records the account owns are compared too (:func:`account_records_differences`):

- **notification preferences**: the last ``notification_preference_changed`` of
  a category says whether the candidate chose it;
- **score reports**: each ``score_report_claimed`` names a report the account
  lists and the stored report's ``claimed_by`` (a claim rolled back would let
  another account claim the report);
- **incidents**: each ``incident_opened`` names an incident the account lists,
  open with one message; each ``incident_message_posted`` adds a message and each
  ``incident_status_changed`` sets its status;
- **erased incidents**: after ``account_erased`` (its kind says it, even once the
  data of the incident entries is dropped) every incident the account lists is
  stored in the form the erasure gives it (:func:`incident_erased`: the title and
  every message body the erased marker). A row put back from before the erasure
  would show the person's title and messages again while the erased entries say
  nothing of them.

An entry whose data was erased says nothing of its field: the field is unknown
until a later entry says it again, and an unknown field is not compared. A
history that says nothing of an account (no such entry at all: the awards
entries of a candidate kept by another directory, say) is not compared either.
Accounts opened one by one and in bulk record the same first entries.

The stored password hash (record kind ``account_credential``) is compared with
the digest the latest of those entries recorded (:func:`credential_differences`):
a hash put back from an older backup, or written in by hand, is reported. An
entry written before digests were recorded says nothing of it (nor does an
erased one): there is nothing to compare until a later entry records a digest
(the next change, reset or rehash, or the ``credential_anchored`` entry the
account's next successful log-in or ``anchor_credentials`` writes).

Each stored incident and claimed score report must be listed by the candidate it
names (:func:`incident_named`, :func:`report_named`): that list is anchored to the
history above, so a record written in by hand under a number or ID of its own,
which no history names, is reported by ``verify_all`` and not answered by the
reads by its key.

Re-exported by :mod:`symprogram.accounts.rules`.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from symprogram._anchors import (
    UNKNOWN,
    AggregateDifference,
    SaidEntries,
    listing_differences,
    record_differences,
    require_said,
    said_names,
    said_pairs,
    said_text,
)
from symprogram.accounts._rules_credentials import credential_digest
from symprogram.accounts._rules_lifecycle import incident_erased
from symprogram.accounts._rules_pending_email import pending_email_differences
from symprogram.accounts._text import fold_email
from symprogram.accounts.events import (
    AccountErased,
    AccountStatusChanged,
    CandidateRegistered,
    CredentialAnchored,
    EmailChanged,
    IncidentMessagePosted,
    IncidentOpened,
    IncidentStatusChanged,
    NotificationPreferenceChanged,
    PasswordChanged,
    PasswordRehashed,
    ScoreReportClaimed,
)
from symprogram.accounts.models import (
    ERASED_EMAIL,
    AccountStatus,
    Candidate,
    Incident,
    IncidentStatus,
    ScoreReport,
)
from symprogram.accounts.ports import (
    CANDIDATE_KIND,
    CREDENTIAL_KIND,
    EMAIL_INDEX,
    INCIDENT_KIND,
    SCORE_REPORT_KIND,
)

__all__ = [
    "account_records_differences",
    "candidate_anchored",
    "candidate_differences",
    "require_candidate_anchored",
    "credential_differences",
    "email_index_differences",
    "former_email_index_differences",
    "former_emails",
    "mentions_account",
    "incident_anchored",
    "incident_named",
    "require_incident_anchored",
    "login_anchored",
    "named_records",
    "report_named",
    "said_credential",
    "said_email",
]

_REGISTERED = CandidateRegistered.event_name()
_STATUS = AccountStatusChanged.event_name()
_EMAIL = EmailChanged.event_name()
_ERASED = AccountErased.event_name()

_PREFERENCE = NotificationPreferenceChanged.event_name()
_CLAIMED = ScoreReportClaimed.event_name()
_OPENED = IncidentOpened.event_name()
_POSTED = IncidentMessagePosted.event_name()
_MOVED = IncidentStatusChanged.event_name()

_CREDENTIAL_KINDS = frozenset(
    {
        _REGISTERED,
        PasswordChanged.event_name(),
        PasswordRehashed.event_name(),
        CredentialAnchored.event_name(),
    }
)
"""The history entry kinds that record the digest of the stored password hash (all but
``credential_anchored`` set the hash)."""

_ANCHOR_KINDS = frozenset({_REGISTERED, _STATUS, _EMAIL, _ERASED})
"""The history entry kinds that say what the stored candidate holds."""


def mentions_account(kinds: Iterable[str]) -> bool:
    """Whether a history of entries of ``kinds`` says anything of the account."""
    return any(kind in _ANCHOR_KINDS for kind in kinds)


def _replayed(entries: SaidEntries) -> tuple[bool, bool, str | None, str | None]:
    """``(said, erased, status, email)``: whether the history says anything of the
    account, whether it records its erasure, and its status and address (``None``:
    unknown, its entry erased)."""
    said = erased = False
    status: str | None = None
    email: str | None = None
    for kind, data in said_pairs(entries):
        if kind == _REGISTERED:
            status, email = str(AccountStatus.PENDING_ACTIVATION), said_text(data, "email")
            said = True
        elif kind == _STATUS:
            said, status = True, said_text(data, "status")
        elif kind == _EMAIL:
            said, email = True, said_text(data, "email")
        elif kind == _ERASED:
            said = erased = True
            status, email = str(AccountStatus.CLOSED), ERASED_EMAIL
    return said, erased, status, email


def said_email(entries: SaidEntries) -> str | None:
    """The address the history says a live account has (``None``: unknown or erased)."""
    said, erased, _, email = _replayed(entries)
    return email if said and not erased else None


def said_credential(entries: SaidEntries) -> object:
    """The digest of the stored password hash the history recorded last.

    Returns:
        the ``credential_digest`` of the latest ``candidate_registered``,
        ``password_changed``, ``password_rehashed`` or ``credential_anchored``
        entry; ``None`` after
        ``account_erased`` (no credential); :data:`UNKNOWN` where the history says
        nothing of it: no such entry, or the latest one erased or written before
        digests were recorded.

    Raises:
        ValidationError: ``entries`` not ``(kind, data)`` pairs (``invalid_entries``).

    Example:
        >>> said_credential([("candidate_registered", {"credential_digest": "ab"})])
        'ab'
        >>> said_credential([("password_changed", {"method": "reset"})])
        UNKNOWN
    """
    said: object = UNKNOWN
    for kind, data in said_pairs(entries):
        if kind in _CREDENTIAL_KINDS:
            said = said_text(data, "credential_digest") or UNKNOWN
        elif kind == _ERASED:
            said = None
    return said


def _superseded_credentials(pairs: SaidEntries) -> frozenset[str]:
    """The digests of password hashes the history recorded and later replaced (by a
    change, reset or rehash: a later entry recording another digest, or none)."""
    superseded: set[str] = set()
    current: str | None = None
    for kind, data in pairs:
        if kind not in _CREDENTIAL_KINDS:
            continue
        digest = said_text(data, "credential_digest")
        if current is not None and digest != current:
            superseded.add(current)
        current = digest
    return frozenset(superseded - {current} if current is not None else superseded)


def login_anchored(candidate: Candidate | None, encoded: str, entries: SaidEntries) -> bool:
    """Whether the account a log-in found is the one its history ``entries`` (oldest
    first) say, with the stored password hash ``encoded``.

    A candidate row (with its ``candidate_email`` index entry and credential row) put
    back from an older backup holds what the history since changed: the address it
    had before an e-mail change, the status it had before a suspension or closure,
    or the hash it had before a password change or reset. A log-in refuses it,
    exactly as a wrong password. Compared, as :func:`candidate_differences` compares
    them: the history must say something of the account (its registration) and not
    record its erasure; the stored ``status`` and address must be the ones the
    history gives it (a field whose entry was erased is not compared); and the
    SHA-256 of ``encoded`` must be the digest the history recorded last
    (:func:`said_credential`), so that neither a hash put back from before a
    change nor a hash written in by hand together with a matching digest on the
    candidate row opens the account, and must not be a digest the history
    recorded and later replaced. Only where the history never recorded a digest
    (every entry setting the hash written by a build that recorded none) is the
    hash left to :func:`~symprogram.accounts.rules.credential_anchored`
    (compared with the candidate's own digest, or accepted for the first log-in
    that anchors it). Nothing to compare (``True``) without a candidate.
    The digest is computed and the entries replayed either way: the same work for
    every address.

    Example:
        >>> from datetime import datetime, timezone
        >>> from symprogram.accounts.models import ContactDetails
        >>> at = datetime(2012, 3, 1, tzinfo=timezone.utc)
        >>> contact = ContactDetails("ada@example.com", "Ada", "Lovelace", "Acme", "Acme", "en")
        >>> ada = Candidate("SP-1", "active", contact, at, at, at)
        >>> said = [("candidate_registered", {"email": "ada@example.com"}),
        ...         ("account_status_changed", {"status": "active"})]
        >>> login_anchored(ada, "$scrypt$x", said)
        True
        >>> moved = ("email_changed", {"email": "ada@example.org"})
        >>> login_anchored(ada, "$scrypt$x", [*said, moved])
        False
        >>> old = ("password_changed", {"credential_digest": credential_digest("$scrypt$x")})
        >>> new = ("password_changed", {"credential_digest": credential_digest("$scrypt$y")})
        >>> login_anchored(ada, "$scrypt$x", [*said, old, new])
        False
        >>> login_anchored(ada, "$scrypt$y", [*said, old, new])
        True
        >>> login_anchored(ada, "$scrypt$z", [*said, old, new])  # written in by hand
        False
    """
    pairs = said_pairs(entries)  # replayed three times
    digest = credential_digest(encoded)
    said, erased, status, email = _replayed(pairs)
    superseded = digest in _superseded_credentials(pairs)
    latest = said_credential(pairs)
    unrecorded = isinstance(latest, str) and not hmac.compare_digest(
        latest.encode("utf-8", "surrogatepass"), digest.encode("ascii")
    )
    if candidate is None:
        return True
    if not said or erased or superseded or unrecorded:
        return False
    if status is not None and str(candidate.status) != status:
        return False
    return email is None or candidate.contact.email == email


def credential_differences(
    candidate_id: str, encoded: str | None, entries: SaidEntries
) -> tuple[AggregateDifference, ...]:
    """Whether the stored password hash is the one the history ``entries`` recorded.

    Args:
        candidate_id: the account's candidate ID (the credential's key).
        encoded: the stored password hash (``None``: no ``account_credential`` record).
        entries: the history's ``(kind, data)`` pairs, oldest first.

    Returns:
        ``password_hash`` of kind ``account_credential`` when the SHA-256 of
        ``encoded`` is not the digest the history recorded last
        (:func:`said_credential`; the values left out of the message), when no
        hash is stored where one is recorded, or when one is stored after the
        account's erasure; none when they agree or the history recorded no digest.
    """
    said = said_credential(entries)
    if said is UNKNOWN:
        return ()
    if said is None:
        if encoded is None:
            return ()
        return (
            AggregateDifference(CREDENTIAL_KIND, candidate_id, "password_hash", "recorded", None),
        )
    if encoded is None:
        return (
            AggregateDifference(CREDENTIAL_KIND, candidate_id, "password_hash", None, "recorded"),
        )
    stored = credential_digest(encoded)
    if stored == said:
        return ()
    return (
        AggregateDifference(
            CREDENTIAL_KIND, candidate_id, "password_hash", stored, str(said), personal=True
        ),
    )


def candidate_differences(
    candidate_id: str,
    candidate: Candidate | None,
    entries: SaidEntries,
) -> tuple[AggregateDifference, ...]:
    """Where the stored ``candidate`` differs from what its history ``entries`` say.

    Args:
        candidate_id: the account's candidate ID (the record's key).
        candidate: the stored candidate (``None``: no record).
        entries: the history's ``(kind, data)`` pairs, oldest first (``data``
            ``None`` once erased).

    Returns:
        one difference per field (``candidate``: no record where the history
        records an account, or a record where it records none; ``status``;
        ``email`` and ``pending_email``, personal data (see
        :func:`~symprogram.accounts.rules.said_pending_email`); ``erased_at``: an
        erasure the history does not
        record, or one it records and the record lacks; ``credential_digest``:
        not the digest of the password hash the history recorded last, see
        :func:`said_credential`), none when they agree or neither says anything
        of the account.
    """
    pairs = tuple(entries)  # replayed twice
    said, erased, status, email = _replayed(pairs)
    digest = said_credential(pairs)
    if not said:
        if candidate is None:
            return ()
        return (AggregateDifference(CANDIDATE_KIND, candidate_id, "candidate", "recorded", None),)
    if candidate is None:
        return (AggregateDifference(CANDIDATE_KIND, candidate_id, "candidate", None, "recorded"),)
    found: list[AggregateDifference] = []
    if status is not None and str(candidate.status) != status:
        stored = str(candidate.status)
        found.append(AggregateDifference(CANDIDATE_KIND, candidate_id, "status", stored, status))
    if email is not None and candidate.contact.email != email:
        stored = candidate.contact.email
        found.append(
            AggregateDifference(CANDIDATE_KIND, candidate_id, "email", stored, email, personal=True)
        )
    if erased != (candidate.erased_at is not None):  # an erasure undone, or one made up
        marked = None if candidate.erased_at is None else "erased"
        said_erased = None if marked else "erased"
        found.append(
            AggregateDifference(CANDIDATE_KIND, candidate_id, "erased_at", marked, said_erased)
        )
    found += pending_email_differences(candidate_id, candidate, pairs)
    return (*found, *_digest_differences(candidate_id, candidate, digest))


def candidate_anchored(candidate: Candidate, entries: SaidEntries) -> bool:
    """Whether the stored ``candidate`` is the account its history ``entries`` (oldest
    first) say: :func:`candidate_differences` finds nothing (the history records the
    account; the status, address, pending address, erasure and credential digest
    are the ones it gives). A candidate row written in by hand, or put back from
    before a later entry (an address the account has since left, a status since
    changed), or whose pending address was written over, is not.

    The status and address are compared as :func:`login_anchored` compares them
    (its example shows the entries); a row with no history at all is not anchored.
    """
    return not candidate_differences(candidate.candidate_id, candidate, entries)


def require_candidate_anchored(candidate: Candidate, entries: SaidEntries) -> Candidate:
    """``candidate`` if it is as its history ``entries`` say (:func:`candidate_anchored`):
    a candidate row written in by hand or put back from before a later entry is
    refused, and the caller changes nothing.

    Raises:
        IntegrityError: ``record_corrupt`` (details: kind ``candidate`` and its ID).
    """
    said = candidate_anchored(candidate, entries)
    return require_said(candidate, said, CANDIDATE_KIND, candidate.candidate_id)


def _digest_differences(
    candidate_id: str, candidate: Candidate, digest: object
) -> tuple[AggregateDifference, ...]:
    """The candidate's ``credential_digest`` against the one the history recorded last."""
    if digest is UNKNOWN or candidate.credential_digest == digest:
        return ()
    recorded = None if digest is None else str(digest)
    stored = candidate.credential_digest
    return (
        AggregateDifference(CANDIDATE_KIND, candidate_id, "credential_digest", stored, recorded),
    )


def email_index_differences(
    candidate_id: str, candidate: Candidate | None, email: str | None, owner: str | None
) -> tuple[AggregateDifference, ...]:
    """Whether the address index names a live account as the owner of its address.

    The ``candidate_email`` entry of a live account's address is what refuses a
    second account the address: deleted, it lets another registration take it;
    moved, it hands the address (and its password resets) to another account.

    Args:
        candidate_id: the account's candidate ID.
        candidate: the stored candidate (``None``: none, nothing compared; an
            erased one has no entry).
        email: the address its history says it has (:func:`said_email`;
            ``None``: unknown, nothing compared).
        owner: the candidate ID the index gives for ``email``.

    Returns:
        ``email_index`` of kind ``candidate_email`` (stored: the owner the index
        names, ledger: the account) when they differ; none otherwise.
    """
    live = candidate is not None and candidate.erased_at is None
    if not live or email is None or owner == candidate_id:
        return ()
    return (AggregateDifference(EMAIL_INDEX, candidate_id, "email_index", owner, candidate_id),)


def former_emails(entries: SaidEntries) -> tuple[str, ...]:
    """The addresses the history says a live account had before its current one.

    ``candidate_registered``'s ``email`` and each ``email_changed``'s ``email``,
    oldest first, without the current address (compared in lower case, as the
    address index does: :func:`~symprogram.accounts._text.fold_email`); none for an
    account whose address is unknown or that was erased.

    Raises:
        ValidationError: ``entries`` not ``(kind, data)`` pairs (``invalid_entries``).

    Example:
        >>> former_emails([("candidate_registered", {"email": "a@x.example"}),
        ...                ("email_changed", {"email": "b@x.example"})])
        ('a@x.example',)
    """
    pairs = said_pairs(entries)
    current = said_email(pairs)
    if current is None:
        return ()
    found: list[str] = []
    for kind, data in pairs:
        email = said_text(data, "email") if kind in (_REGISTERED, _EMAIL) else None
        if email is not None and fold_email(email) != fold_email(current) and email not in found:
            found.append(email)
    return tuple(found)


def former_email_index_differences(
    candidate_id: str, candidate: Candidate | None, indexed: Sequence[str]
) -> tuple[AggregateDifference, ...]:
    """Whether the address index still gives a live account an address it left.

    An e-mail change moves the account's index entry to the new address; the old
    entry put back would let the account log in, and be found, under the address it
    left (and keep that address from anybody else).

    Args:
        candidate_id: the account's candidate ID.
        candidate: the stored candidate (``None`` or erased: nothing compared).
        indexed: the account's :func:`former_emails` that the index still gives to it.

    Returns:
        one personal difference ``former_email_index`` of kind ``candidate_email``
        (the message names no address) when any is; none otherwise.
    """
    live = candidate is not None and candidate.erased_at is None
    if not live or not indexed:
        return ()
    return (
        AggregateDifference(
            EMAIL_INDEX, candidate_id, "former_email_index", candidate_id, None, personal=True
        ),
    )


def named_records(
    entries: SaidEntries,
) -> tuple[set[str], set[str]]:
    """The score reports (registration numbers) and incidents (IDs) the history names.

    Raises:
        ValidationError: ``entries`` not ``(kind, data)`` pairs (``invalid_entries``).
    """
    pairs = said_pairs(entries)  # read twice
    return (
        said_names(pairs, (_CLAIMED,), "registration_number"),
        said_names(pairs, (_OPENED,), "incident_id"),
    )


class _Owned:
    """What the entries say of the records the account owns (replayed in order)."""

    def __init__(self) -> None:
        self.chosen: dict[str, object] = {}
        self.claims: set[str] = set()
        self.incidents: dict[str, dict[str, object]] = {}
        self.all_claims = True  # no claim entry was erased
        self.all_incidents = True  # no incident entry was erased
        self.erased = False  # the history records the account's erasure

    def preference(self, data: Mapping[str, Any] | None) -> None:
        category = said_text(data, "category")
        enabled = None if data is None else data.get("enabled")
        if category is None or not isinstance(enabled, bool):
            self.chosen = dict.fromkeys(self.chosen, UNKNOWN)  # which one changed is unknown
        else:
            self.chosen[category] = enabled

    def claim(self, data: Mapping[str, Any] | None) -> None:
        number = said_text(data, "registration_number")
        if number is None:
            self.all_claims = False
        else:
            self.claims.add(number)

    def incident(self, kind: str, data: Mapping[str, Any] | None) -> None:
        incident = said_text(data, "incident_id")
        if incident is None:
            self.all_incidents = False
            for each in self.incidents.values():  # which one changed is unknown
                each["status"] = each["messages"] = UNKNOWN
            return
        if kind == _OPENED:
            self.incidents[incident] = {"status": str(IncidentStatus.OPEN), "messages": 1}
            return
        said = self.incidents.get(incident)
        if said is None:
            return
        if kind == _MOVED:
            said["status"] = said_text(data, "status") or UNKNOWN
        elif isinstance(count := said["messages"], int):
            said["messages"] = count + 1


def _owned(entries: SaidEntries) -> _Owned:
    owned = _Owned()
    for kind, data in entries:
        if kind == _PREFERENCE:
            owned.preference(data)
        elif kind == _CLAIMED:
            owned.claim(data)
        elif kind in (_OPENED, _POSTED, _MOVED):
            owned.incident(kind, data)
        elif kind == _ERASED:
            owned.erased = True
    return owned


def _reports(
    candidate_id: str, claims: set[str], reports: Mapping[str, ScoreReport]
) -> list[AggregateDifference]:
    """Each claimed report, stored as claimed by the account (its own record)."""
    found = []
    for number in sorted(claims):
        report = reports.get(number)
        stored = {"claimed_by": None if report is None else report.claimed_by}
        found += record_differences(SCORE_REPORT_KIND, number, {"claimed_by": candidate_id}, stored)
    return found


def _incidents(
    said: Mapping[str, Mapping[str, object]], incidents: Mapping[str, Incident]
) -> list[AggregateDifference]:
    """Each incident the history names, stored as it says (its own record)."""
    found = []
    for incident_id in sorted(said):
        incident = incidents.get(incident_id)
        if incident is None:
            missing = AggregateDifference(INCIDENT_KIND, incident_id, "incident", None, "opened")
            found.append(missing)
            continue
        stored = {"status": str(incident.status), "messages": len(incident.messages)}
        found += record_differences(INCIDENT_KIND, incident_id, said[incident_id], stored)
    return found


def _erased_incidents(
    listed: Iterable[str], incidents: Mapping[str, Incident]
) -> list[AggregateDifference]:
    """After ``account_erased``: each incident the account lists (or the history
    names) is stored in its erased form (field ``erased``; one missing too)."""
    found = []
    for incident_id in sorted({*listed, *incidents}):
        incident = incidents.get(incident_id)
        if incident is None or not incident_erased(incident):
            found.append(AggregateDifference(INCIDENT_KIND, incident_id, "erased", None, "erased"))
    return found


def _preferences(candidate: Candidate, chosen: Mapping[str, object]) -> dict[str, object]:
    enabled = {str(category) for category in candidate.preferences.enabled}
    return {f"preferences[{category}]": category in enabled for category in chosen}


def account_records_differences(
    candidate_id: str,
    candidate: Candidate | None,
    entries: SaidEntries,
    reports: Mapping[str, ScoreReport],
    incidents: Mapping[str, Incident],
) -> tuple[AggregateDifference, ...]:
    """Where the records the account owns differ from what its history ``entries`` say.

    Args:
        candidate_id: the account's candidate ID.
        candidate: the stored candidate (``None``: no record, reported by
            :func:`candidate_differences`; its lists are then not compared).
        entries: the history's ``(kind, data)`` pairs, oldest first.
        reports: the stored score reports the history names (see
            :func:`named_records`), by registration number (one missing: not stored).
        incidents: the stored incidents the history names or the candidate lists,
            by ID.

    Returns:
        one difference per preference (``preferences[CATEGORY]``) and listed claim
        or incident (``score_reports[NUMBER]``, ``incidents[ID]``) of the stored
        candidate, and per field of a report or incident that differs from the
        history, under that record's own kind and key (``claimed_by``;
        ``incident``: not stored, ``status``, ``messages``; after
        ``account_erased``, ``erased``: an incident the candidate lists, or that
        is given, not stored in its erased form, see :func:`incident_erased`).
    """
    owned = _owned(entries)
    found: list[AggregateDifference] = []
    if candidate is not None:
        said = {f"preferences[{category}]": value for category, value in owned.chosen.items()}
        stored = _preferences(candidate, owned.chosen)
        found += record_differences(CANDIDATE_KIND, candidate_id, said, stored)
        for what, named, listed, complete in (
            ("score_reports", owned.claims, candidate.score_reports, owned.all_claims),
            ("incidents", owned.incidents, candidate.incidents, owned.all_incidents),
        ):
            found += listing_differences(
                CANDIDATE_KIND, candidate_id, what, named, listed, complete=complete
            )
    found += _reports(candidate_id, owned.claims, reports)
    found += _incidents(owned.incidents, incidents)
    if owned.erased:
        listed = () if candidate is None else candidate.incidents
        found += _erased_incidents(listed, incidents)
    return tuple(found)


def incident_named(incident: Incident, candidate: Candidate | None) -> bool:
    """Whether the stored candidate ``incident`` names lists it (opening one lists it).

    Args:
        incident: the stored incident.
        candidate: the stored candidate of its ``candidate_id`` (``None``: none).
    """
    return candidate is not None and incident.incident_id in candidate.incidents


def incident_anchored(incident: Incident, entries: SaidEntries) -> bool:
    """Whether the stored ``incident`` is the one its candidate's history ``entries``
    (oldest first) say: opened there (an ``incident_opened`` entry naming it), with
    the status and the number of messages its entries give it (as
    :func:`account_records_differences` compares them).

    The changes of an incident ask it (taking it up, resolving, closing, reopening,
    posting a message): an incident row put back from before a later entry (a
    resolved or closed incident put back as open, a message dropped) is not the
    history's, nor, after ``account_erased``, one not in its erased form
    (:func:`incident_erased`: a row put back from before the erasure, showing the
    person's title and messages again). When an erased entry hides which incident
    it was about, what it hides is taken as anchored.

    Example:
        >>> from datetime import datetime, timezone
        >>> at = datetime(2012, 3, 1, tzinfo=timezone.utc)
        >>> from symprogram.accounts.rules import open_incident
        >>> incident = open_incident("SP-1", "INC-1", title="Kit", category="general",
        ...                          body="Where?", author="candidate", at=at)
        >>> opened = ("incident_opened", {"incident_id": "INC-1"})
        >>> incident_anchored(incident, [opened])
        True
        >>> resolved = ("incident_status_changed", {"incident_id": "INC-1", "status": "resolved"})
        >>> incident_anchored(incident, [opened, resolved])
        False
        >>> incident_anchored(incident, [("incident_opened", None), ("account_erased", {})])
        False
    """
    owned = _owned(said_pairs(entries))
    if owned.erased and not incident_erased(incident):
        return False
    said = owned.incidents.get(incident.incident_id)
    if said is None:
        return not owned.all_incidents
    stored = {"status": str(incident.status), "messages": len(incident.messages)}
    return not record_differences(INCIDENT_KIND, incident.incident_id, said, stored)


def require_incident_anchored(incident: Incident, entries: SaidEntries) -> Incident:
    """``incident`` if it is as its candidate's history ``entries`` say
    (:func:`incident_anchored`): an incident row put back from before a later entry
    is refused, and nothing is changed.

    Raises:
        IntegrityError: ``record_corrupt`` (details: the incident's kind and ID).
    """
    said = incident_anchored(incident, entries)
    return require_said(incident, said, INCIDENT_KIND, incident.incident_id)


def report_named(report: ScoreReport, candidate: Candidate | None) -> bool:
    """Whether a claimed ``report`` is listed by the candidate that claimed it.

    An unclaimed report (recorded by staff or an import, before any account) has no
    owner to name it: it is taken as named.

    Args:
        report: the stored score report.
        candidate: the stored candidate of its ``claimed_by`` (``None``: none, or
            the report is unclaimed).
    """
    if report.claimed_by is None:
        return True
    return candidate is not None and report.registration_number in candidate.score_reports
