"""The accounts repositories, built on the generic storage port (every adapter gets them).

Record kinds: ``candidate`` (key: candidate ID), ``account_credential`` (key:
candidate ID), ``terms_acceptance`` (key: acceptance ID), ``score_report``
(key: registration number), ``score_report_address`` (the score reports of each
address: key ``<SHA-256 of the lower-case address>:<registration number>``, found
by a key-prefix scan), ``email_change_address`` (the e-mail changes accounts
asked for: key ``<SHA-256 of the lower-case new address>:<candidate ID>:<history
position>``, found by a key-prefix scan), ``incident`` (key: incident ID) and
``account_request_log`` (key: purpose and SHA-256 of the address, or of the
client key for failed log-ins per client; for one account's e-mail change requests
to an address, purpose, the address's SHA-256 and the candidate ID's). The unique
index ``candidate_email`` maps the SHA-256 of a lower-case address to its
candidate, so addresses differing only in case have one owner. Each of these
account kinds may also hold up to ``AccountsSettings.stand_in_pool`` stand-in
records (key ``~stand-in:<slot>``, written for nobody; the iterators leave them
out). Request logs are swept once no window counts them, an unknown address's as
an owner's.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

import attrs

from symprogram._deprecation import deprecated_alias
from symprogram.accounts import _text
from symprogram.accounts.models import Candidate, Incident, ScoreReport, TermsAcceptance
from symprogram.accounts.ports import (
    ACCEPTANCE_KIND,
    CANDIDATE_KIND,
    CREDENTIAL_KIND,
    EMAIL_CHANGE_KIND,
    EMAIL_INDEX,
    INCIDENT_KIND,
    REQUEST_LOG_KIND,
    SCORE_REPORT_ADDRESS_KIND,
    SCORE_REPORT_KIND,
)
from symprogram.errors import Conflict, IntegrityError, SymprogramError
from symprogram.persistence import Record, Repository, Transaction
from symprogram.serialization import loads_without

__all__ = ["EMAIL_INDEX", "AccountsStorage", "Credential", "RequestRecord"]


@attrs.frozen
class Credential:
    """A candidate's password hash, stored apart from the candidate.

    Attributes:
        candidate_id: whose it is.
        password_hash: the encoded hash.
        changed_at: when the password was last set.
        version: storage version.
    """

    candidate_id: str
    password_hash: str
    changed_at: datetime
    version: int = 0


@attrs.frozen
class RequestRecord:
    """Recent request instants for one ``(purpose, address digest)``."""

    key: str
    instants: tuple[datetime, ...] = ()
    version: int = 0


@attrs.frozen
class ReportAddress:
    """One entry of the score reports' address index: report ``registration_number``
    was recorded for the address whose digest starts ``key``."""

    key: str
    registration_number: str
    version: int = 0


@attrs.frozen
class ChangeRequest:
    """One entry of the e-mail change index: account ``candidate_id`` asked to change
    to the address whose digest starts ``key``, in its history entry at ``position``."""

    key: str
    candidate_id: str
    position: int
    version: int = 0


_VERSION = frozenset({"version"})
"""A stored text leaves out the version the store keeps beside it."""


def _holds(candidate: Candidate | None, digest: str) -> bool:
    """Whether ``candidate`` holds the address whose index value is ``digest``."""
    return candidate is not None and _text.email_key(candidate.contact.email) == digest


class _Candidates:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx
        self._repo = Repository(tx, CANDIDATE_KIND, Candidate, key=lambda c: c.candidate_id)

    def find(self, candidate_id: str) -> Candidate | None:
        return self._repo.find(candidate_id)

    def get(self, candidate_id: str) -> Candidate:
        return self._repo.get(candidate_id)

    def decode(self, record: Record) -> Candidate:
        """The candidate a scanned ``record`` holds (IntegrityError ``record_corrupt``)."""
        return self._repo.decode(record)

    def find_for_update(self, candidate_id: str) -> Candidate | None:
        """:meth:`find`, the record locked as by :meth:`get_for_update`."""
        return self._repo.find_for_update(candidate_id)

    def get_for_update(self, candidate_id: str) -> Candidate:
        """:meth:`get`, the record locked until the unit of work ends (where the adapter
        can): the writers of one account queue instead of deciding on a stale read."""
        found = self._repo.find_for_update(candidate_id)
        return self._repo.get(candidate_id) if found is None else found

    def add(self, candidate: Candidate) -> Candidate:
        try:
            self._tx.index_put(
                EMAIL_INDEX, _text.email_key(candidate.contact.email), candidate.candidate_id
            )
        except Conflict as exc:
            raise Conflict(
                "this e-mail address is taken", field="email", code="email_taken"
            ) from exc
        return self._repo.add(candidate)

    def save(self, candidate: Candidate) -> Candidate:
        return self._repo.save(candidate)

    def find_by_email(self, email: str) -> Candidate | None:
        """The account the address index gives ``email`` to, if it holds that address.

        An index entry naming an account that does not hold the address (an entry put
        back after an e-mail change or an erasure, or written in for another address)
        answers as no entry: the account is not returned.
        """
        digest = _text.email_key(email)
        key = self._tx.index_get(EMAIL_INDEX, digest)
        found = None if key is None else self._repo.find(key)
        return found if _holds(found, digest) else None

    def find_by_email_evenly(
        self, email: str, template: str, template_email: str, *, instead: str | None = None
    ) -> Candidate | None:
        """:meth:`find_by_email` at the same cost whether or not ``email`` has an account.

        Either way: one index look-up, one point read of the candidate kind and the
        decoding of one candidate record, never from the decoded cache (a cached
        owner would answer faster than a stranger). For an address without an
        account the record read is the candidate ``instead`` (another account's,
        read and decoded, never returned: a stored row costs SQLite more to read
        than a missing one), and where there is none the record decoded is
        ``template`` (a stored candidate's text) with its address
        ``template_email`` replaced by ``email``. The address of the candidate
        decoded is compared with ``email`` (one digest) whatever was read.
        """
        digest = _text.email_key(email)
        key = self._tx.index_get(EMAIL_INDEX, digest)
        record = self._tx.load(CANDIDATE_KIND, key if key is not None else instead or "~" + digest)
        # one code path for every case: a stored text's address replaced by the address
        text, version = (template, 1) if record is None else (record.data, record.version)
        swapped = template_email if record is None else email
        text = text.replace(json.dumps(swapped), json.dumps(email))
        try:
            found = attrs.evolve(loads_without(text, Candidate, _VERSION), version=version)
        except SymprogramError:
            if key is not None:
                raise
            return None  # an address no record can hold, or a stand-in read gone bad
        # the address compared whatever was read (a stranger's call hashes it too)
        holds = _holds(found, digest)
        return found if key is not None and record is not None and holds else None

    def find_key_by_email(self, email: str) -> str | None:
        """Return the candidate ID owning ``email`` (without loading the candidate), or ``None``."""
        return self._tx.index_get(EMAIL_INDEX, _text.email_key(email))

    def not_held_by_another(self, key: str, emails: Iterable[str]) -> tuple[str, ...]:
        """Those of ``emails`` no account but ``key`` holds now: an address the account
        gave up may since be another person's, whose records by address (request
        logs, score reports, messages) an erasure of ``key`` must leave alone."""
        return tuple(e for e in emails if self.find_key_by_email(e) in (None, key))

    def move_email(self, candidate: Candidate, old_email: str, new_email: str) -> None:
        try:
            self._tx.index_put(EMAIL_INDEX, _text.email_key(new_email), candidate.candidate_id)
        except Conflict as exc:
            raise Conflict(
                "this e-mail address is taken", field="email", code="email_taken"
            ) from exc
        if _text.email_key(old_email) != _text.email_key(new_email):
            self._tx.index_delete(EMAIL_INDEX, _text.email_key(old_email))

    def iter_candidates(self) -> Iterator[Candidate]:
        """Every candidate, in key order (stand-in slots, keyed ``~``, left out)."""
        return (c for c in self._repo.iter_all() if not c.candidate_id.startswith("~"))

    iterate = deprecated_alias("iter_candidates", old="iterate", since="0.2")

    def release_email(self, candidate_id: str, email: str) -> bool:
        """Drop ``email`` from the index if it points at ``candidate_id``; return whether it did."""
        value = _text.email_key(email)
        if self._tx.index_get(EMAIL_INDEX, value) != candidate_id:
            return False
        self._tx.index_delete(EMAIL_INDEX, value)
        return True


class _Credentials:
    def __init__(self, tx: Transaction) -> None:
        self._repo = Repository(tx, CREDENTIAL_KIND, Credential, key=lambda c: c.candidate_id)

    def password_hash(self, candidate_id: str) -> str | None:
        found = self._repo.find(candidate_id)
        return None if found is None else found.password_hash

    def add(self, candidate_id: str, encoded: str, at: datetime) -> None:
        """Store the first password hash of a new candidate (Conflict if one exists)."""
        self._repo.add(Credential(candidate_id, encoded, at))

    def set_password_hash(self, candidate_id: str, encoded: str, at: datetime) -> None:
        found = self._repo.find(candidate_id)
        if found is None:
            self._repo.add(Credential(candidate_id, encoded, at))
        else:
            self._repo.save(attrs.evolve(found, password_hash=encoded, changed_at=at))

    def rehash(self, candidate_id: str, encoded: str) -> None:
        """Replace the stored hash of the same password by ``encoded`` (``changed_at`` stays)."""
        self._repo.save(attrs.evolve(self._repo.get(candidate_id), password_hash=encoded))

    def delete(self, candidate_id: str) -> bool:
        """Delete the candidate's password hash; return whether there was one."""
        found = self._repo.find(candidate_id)
        if found is None:
            return False
        self._repo.remove(found)
        return True


REQUEST_TEMPLATE = RequestRecord("~template", (datetime(2000, 1, 1, tzinfo=UTC),))
"""What a request-log read decodes where there is no record yet (a log of one request)."""


class _RequestLog:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx
        self._repo = Repository(tx, REQUEST_LOG_KIND, RequestRecord, key=lambda r: r.key)
        # what recent_key read, for the note that follows it (see note_key)
        self._read: dict[str, RequestRecord | None] = {}

    @staticmethod
    def _key(purpose: str, email: str) -> str:
        return f"{purpose}:{_text.email_key(email)}"

    @staticmethod
    def client_key(purpose: str, client: str) -> str:
        """The record key of a client key (e.g. an IP address): ``purpose`` and its SHA-256."""
        digest = hashlib.sha256(client.encode("utf-8", "surrogatepass")).hexdigest()
        return f"{purpose}:{digest}"

    @staticmethod
    def account_key(purpose: str, email: str, candidate_id: str) -> str:
        """The record key of one account's requests for ``email``: ``purpose``, the
        address's SHA-256 and the candidate ID's (:meth:`forget_accounts` finds every
        account's of an address by that prefix)."""
        return _RequestLog.client_key(f"{purpose}:{_text.email_key(email)}", candidate_id)

    def recent(self, purpose: str, email: str) -> tuple[datetime, ...]:
        return self.recent_key(self._key(purpose, email))

    def recent_key(self, key: str) -> tuple[datetime, ...]:
        """The kept instants of the record ``key`` (see :meth:`client_key`), oldest first.

        Read locked in a writing unit of work (``find_for_update``): two requests
        at once on a server count each other, so a limit holds under concurrency.
        A :meth:`note_key` of the same key that follows writes on what was read
        here, not on a second read: where there was no record yet (nothing to
        lock), it inserts one, and a concurrent request that inserted it first
        makes this unit of work fail with a retryable ``ConcurrencyError`` instead
        of counting on a decision made without it."""
        found = self._repo.find_evenly(key, REQUEST_TEMPLATE, for_update=True)
        self._read[key] = found
        return () if found is None else found.instants

    def note(
        self, purpose: str, email: str, at: datetime, keep: int, *, count: bool = True
    ) -> None:
        self.note_key(self._key(purpose, email), at, keep, count=count)

    def note_key(self, key: str, at: datetime, keep: int, *, count: bool = True) -> None:
        """Remember an instant under the record ``key``, keeping the newest ``keep``;
        with ``count=False`` write the record back as it is (the same write, nothing
        added: a request beyond a limit that must not extend it).

        Read as :meth:`recent_key` reads: the same cost whether or not the record
        exists yet (an address's first request costs what a later one does)."""
        if key in self._read:
            found = self._read.pop(key)
        else:
            found = self._repo.find_evenly(key, REQUEST_TEMPLATE, for_update=True)
        kept = () if found is None else found.instants
        instants = (*kept, at)[-keep:] if count else kept
        if found is None:
            # save, not add: losing the race for the first record is a retryable
            # ConcurrencyError (a unit of work re-run finds the winner's record).
            self._repo.save(RequestRecord(key, instants))
        else:
            self._repo.save(attrs.evolve(found, instants=instants))

    def sweep(self, after: str, older_than: datetime, limit: int) -> str:
        """Delete the request logs past the key ``after`` (``""``: from the first;
        ``limit`` of them looked at, in key order) whose newest instant is before
        ``older_than``, i.e. that no window counts any more.

        Returns:
            where the next sweep starts: the last key looked at, or ``""`` once
            the end was reached.
        """
        records = self._tx.scan(REQUEST_LOG_KIND, after=after or None, limit=limit)
        for record in records:
            # Decided from the scan and again once locked: a log some request is
            # counting in at this moment is never locked here, so a sweep and the
            # requests beside it cannot wait on each other in a cycle.
            if not _stale(_peek(self._repo, record), older_than):
                continue
            found = self._repo.find_for_update(record.key)
            if found is not None and _stale(found, older_than):
                self._repo.remove(found)
        return records[-1].key if len(records) == limit else ""

    def forget(self, purpose: str, email: str) -> None:
        """Delete the request log of ``(purpose, email)``, if any."""
        self.forget_key(self._key(purpose, email))

    def forget_key(self, key: str) -> None:
        """Delete the record ``key``, if any."""
        found = self._repo.find(key)
        if found is not None:
            self._repo.remove(found)

    def forget_accounts(self, purpose: str, email: str) -> None:
        """Delete the request logs of ``email`` of every account (:meth:`account_key`):
        key-prefix scans."""
        prefix = f"{purpose}:{_text.email_key(email)}:"
        after: str | None = None
        while True:
            page = self._tx.scan(REQUEST_LOG_KIND, prefix=prefix, after=after)
            for record in page:
                self.forget_key(record.key)
            if len(page) < 500:
                return
            after = page[-1].key

    def withdraw_key(self, key: str, at: datetime) -> None:
        """Take back one instant ``at`` that :meth:`note_key` noted under ``key`` (an
        attempt counted before it was checked that turned out no failure): the record
        read locked, one ``at`` removed (the newest), the record deleted once it keeps
        none. Nothing where ``at`` is no longer kept."""
        found = self._repo.find_for_update(key)
        if found is None or at not in found.instants:
            return
        instants = list(found.instants)
        del instants[len(instants) - 1 - instants[::-1].index(at)]
        if instants:
            self._repo.save(attrs.evolve(found, instants=tuple(instants)))
        else:
            self._repo.remove(found)


_INDEX_COMPLETE = "~complete"
"""The key prefix of the records of :data:`SCORE_REPORT_ADDRESS_KIND` saying every
report is indexed (any one of them says so)."""


def _complete_marker() -> ReportAddress:
    """A new marker under its own key, so that two units of work that each write
    one at once (two first reports) never collide on the same record."""
    return ReportAddress(f"{_INDEX_COMPLETE}:{secrets.token_hex(8)}", "")


class _ReportAddresses:
    """The score reports recorded for each address (a secondary index on the port:
    records keyed ``<address digest>:<registration number>``, read by key prefix)."""

    def __init__(self, tx: Transaction, reports: Repository[ScoreReport]) -> None:
        self._tx = tx
        self._reports = reports
        self._repo = Repository(tx, SCORE_REPORT_ADDRESS_KIND, ReportAddress, key=lambda a: a.key)

    @staticmethod
    def _key(report: ScoreReport) -> str:
        return f"{_text.email_key(report.email)}:{report.registration_number}"

    def record(self, report: ScoreReport) -> ScoreReport:
        """Store a new report (Conflict ``score_report_exists`` if its number is
        taken) and its entry; return it stored.

        The first report of a store with none also marks the index complete (two
        firsts at once each write their own marker: neither is refused).
        """
        first = not self._complete() and not _real(self._tx.scan(SCORE_REPORT_KIND, limit=1))
        stored = self._reports.add(report)
        if first:
            self._repo.save(_complete_marker())
        self._repo.save(ReportAddress(self._key(stored), stored.registration_number))
        return stored

    def remove(self, report: ScoreReport) -> None:
        """Drop the entry of ``report`` (as stored before it is erased), if any."""
        found = self._repo.find(self._key(report))
        if found is not None:
            self._repo.remove(found)

    def numbers(self, emails: tuple[str, ...]) -> tuple[str, ...]:
        """The registration numbers recorded for ``emails``, sorted: one key-prefix
        scan per address. A store whose reports were recorded before the index
        existed is indexed first (every report read once, its missing entry
        written), in this unit of work."""
        if not self._complete():
            self._index_all()
        found: set[str] = set()
        for digest in sorted({_text.email_key(email) for email in emails}):
            after: str | None = None
            while True:
                page = self._tx.scan(SCORE_REPORT_ADDRESS_KIND, prefix=f"{digest}:", after=after)
                found.update(self._repo.decode(r).registration_number for r in page)
                if len(page) < 500:
                    break
                after = page[-1].key
        return tuple(sorted(found))

    def _complete(self) -> bool:
        marker = self._tx.scan(SCORE_REPORT_ADDRESS_KIND, prefix=_INDEX_COMPLETE, limit=1)
        return bool(marker)

    def _index_all(self) -> None:
        for report in self._reports.iter_all():
            if report.registration_number.startswith("~"):
                continue  # a stand-in slot
            if self._repo.find(self._key(report)) is None:
                self._repo.save(ReportAddress(self._key(report), report.registration_number))
        self._repo.save(_complete_marker())


class _EmailChanges:
    """The e-mail changes accounts asked for (a secondary index on the port: records
    keyed ``<address digest>:<candidate ID>:<history position>``, read by key prefix)."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx
        self._repo = Repository(tx, EMAIL_CHANGE_KIND, ChangeRequest, key=lambda r: r.key)

    def record(self, email: str, candidate_id: str, position: int) -> None:
        """Note that ``candidate_id`` asked for ``email`` in its history entry at
        ``position``: one new record, whoever has the address (the same write)."""
        key = f"{_text.email_key(email)}:{candidate_id}:{position}"
        self._repo.add(ChangeRequest(key, candidate_id, position))

    def of(self, emails: tuple[str, ...], candidate_id: str = "") -> tuple[ChangeRequest, ...]:
        """The requests for any of ``emails`` (compared in lower case), by every
        account or only by ``candidate_id``: one key-prefix scan per address."""
        found: list[ChangeRequest] = []
        tail = f"{candidate_id}:" if candidate_id else ""
        for digest in sorted({_text.email_key(email) for email in emails}):
            after: str | None = None
            while True:
                prefix = f"{digest}:{tail}"
                page = self._tx.scan(EMAIL_CHANGE_KIND, prefix=prefix, after=after)
                found.extend(self._repo.decode(record) for record in page)
                if len(page) < 500:
                    break
                after = page[-1].key
        return tuple(found)

    def remove(self, request: ChangeRequest) -> None:
        """Delete the entry ``request`` (as read by :meth:`of`)."""
        self._repo.remove(request)

    def discard(self, request: ChangeRequest) -> bool:
        """Delete the entry of ``request`` if it is still stored (read again, locked:
        a concurrent confirmation may have removed it since :meth:`of` read it);
        return whether it was."""
        found = self._repo.find_for_update(request.key)
        if found is None:
            return False
        self._repo.remove(found)
        return True


def _real(records: list[Record]) -> list[Record]:
    """The ``records`` that are no stand-in slot (keyed ``~``)."""
    return [r for r in records if not r.key.startswith("~")]


class AccountsStorage:
    """Every accounts repository inside one unit of work.

    Args:
        tx: the unit of work.
    """

    def __init__(self, tx: Transaction) -> None:
        self.tx = tx
        self.candidates = _Candidates(tx)
        self.credentials = _Credentials(tx)
        self.acceptances: Repository[TermsAcceptance] = Repository(
            tx, ACCEPTANCE_KIND, TermsAcceptance, key=lambda a: a.acceptance_id
        )
        self.score_reports: Repository[ScoreReport] = Repository(
            tx, SCORE_REPORT_KIND, ScoreReport, key=lambda r: r.registration_number
        )
        self.report_addresses = _ReportAddresses(tx, self.score_reports)
        self.incidents: Repository[Incident] = Repository(
            tx, INCIDENT_KIND, Incident, key=lambda i: i.incident_id
        )
        self.requests = _RequestLog(tx)
        self.email_changes = _EmailChanges(tx)

    @staticmethod
    def request_key(purpose: str, email: str) -> str:
        """The request log key of ``(purpose, email)``: the purpose and the address's SHA-256."""
        return _RequestLog._key(purpose, email)

    @staticmethod
    def client_key(purpose: str, client: str) -> str:
        """The request log key of ``(purpose, client key)``: the purpose and its SHA-256."""
        return _RequestLog.client_key(purpose, client)


def _stale(log: RequestRecord | None, older_than: datetime) -> bool:
    """Whether no window counts the request ``log`` any more."""
    return log is not None and (not log.instants or log.instants[-1] < older_than)


def _peek(repo: Repository[RequestRecord], record: Record) -> RequestRecord | None:
    """The scanned ``record`` decoded, or ``None`` where it does not decode (a corrupt
    log is left for the integrity checks, as a locked read would raise)."""
    try:
        return repo.decode(record)
    except IntegrityError:
        return None
