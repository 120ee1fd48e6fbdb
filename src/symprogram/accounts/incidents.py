"""Support incidents: "log incidents for follow up; communicate with customer support"."""

from __future__ import annotations

from symprogram._checks import check_enum
from symprogram._deprecation import deprecated_alias
from symprogram.accounts import messages, rules
from symprogram.accounts._base import SINCE, FlowBase, candidate_key, new_incident_id
from symprogram.accounts.events import IncidentMessagePosted
from symprogram.accounts.models import (
    Candidate,
    Incident,
    IncidentCategory,
    IncidentMessage,
    IncidentStatus,
    MessageAuthor,
)
from symprogram.accounts.ports import INCIDENT_ITEMS, SUPPORT_INCIDENT, PersonalDataLedger
from symprogram.accounts.storage import AccountsStorage
from symprogram.errors import NotFound
from symprogram.ids import CandidateId
from symprogram.notify import Message

__all__ = ["Incidents"]


class Incidents(FlowBase):
    """Support incidents of :class:`~symprogram.accounts.AccountsService`."""

    def open_incident(
        self,
        candidate_id: str | CandidateId,
        *,
        title: str,
        body: str,
        category: IncidentCategory | str = IncidentCategory.GENERAL,
    ) -> Incident:
        """Log an incident for follow-up ("log incidents for follow up; communicate with
        customer support", the Terms of Use v.2007.507).

        Raises:
            ValidationError / LimitExceeded: a bad title, body or category.
            IllegalTransition: the account is closed (``account_closed``).
        """
        key = candidate_key(candidate_id)
        chosen = check_enum(IncidentCategory, category, "category")
        now = self._now()
        incident = rules.open_incident(
            key,
            new_incident_id(),
            title=title,
            category=chosen,
            body=body,
            author=MessageAuthor.CANDIDATE,
            at=now,
        )
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            candidate = store.candidates.get_for_update(key)
            rules.require_open(candidate)
            incident = store.incidents.add(incident)
            updated, event = rules.file_incident(candidate, incident)
            store.candidates.save(updated)
            self._record(tx, event)
            if isinstance(self._consent, PersonalDataLedger):
                # "We request personal information when you ... request a service".
                self._consent.record_gathered(key, SUPPORT_INCIDENT, INCIDENT_ITEMS, now)
            self._send(tx, [messages.incident_notice(candidate, incident, "incident_opened")])
        return incident

    def get_incident(self, incident_id: str) -> Incident:
        """Return an incident.

        An incident record the candidate it names does not list (written in by
        hand under an ID of its own) is not answered, nor one that is not as that
        candidate's history says (:func:`~symprogram.accounts.rules.incident_anchored`:
        a row put back from before a later entry, such as a resolved incident put
        back as open, or, after the account's erasure, a row that is not erased, put
        back from before it): the read refuses it as the changes do. The record and the
        history are read in one read-only unit of work (one snapshot).

        Raises:
            NotFound: unknown incident (``incident_not_found``).
            IntegrityError: the stored incident is not as its candidate's history
                says, or not erased after the account's erasure (``record_corrupt``).
        """
        checked = rules.check_incident_id(incident_id)

        def load(store: AccountsStorage) -> Incident:
            incident = _named_incident(store, checked)
            return self._said_incidents(store, incident.candidate_id, (incident,))[0]

        return self._read(load)

    def incidents_of(self, candidate_id: str | CandidateId) -> tuple[Incident, ...]:
        """Return the candidate's incidents, oldest first.

        Each is checked against the candidate's history as :meth:`get_incident`
        checks one (the history read once).

        Raises:
            ValidationError: not a candidate ID (``invalid_candidate_id``).
            NotFound: no such candidate (``candidate_not_found``).
            IntegrityError: a stored incident is not as the candidate's history
                says, or not erased after the account's erasure (``record_corrupt``).
        """
        key = candidate_key(candidate_id)

        def load(store: AccountsStorage) -> tuple[Incident, ...]:
            candidate = store.candidates.get(key)
            listed = tuple(store.incidents.get(i) for i in candidate.incidents)
            return self._said_incidents(store, key, listed)

        return self._read(load)

    incidents = deprecated_alias("incidents_of", old="incidents", since=SINCE, returns=list)

    def post_incident_message(
        self, incident_id: str, *, author: MessageAuthor | str, body: str
    ) -> Incident:
        """Add a message from the candidate or customer support to an incident.

        A message from support is mailed to the candidate (``incident_update``),
        unless the account is closed (:func:`~symprogram.accounts.rules.incident_notice_due`:
        nothing is mailed to a closed account). On a closed account only support may
        post (:func:`~symprogram.accounts.rules.require_incident_writer`).

        Raises:
            NotFound: unknown incident (``incident_not_found``).
            IntegrityError: the stored incident is not as its candidate's history
                says, a row put back from before a later entry or, after the
                account's erasure, not erased (``record_corrupt``).
            IllegalTransition: the incident is closed (``incident_closed``), the
                account was erased (``account_erased``), or the candidate posts on
                a closed account (``account_closed``).
            ValidationError / LimitExceeded: a bad body or author, or a full
                conversation (``too_many_messages``).
        """
        who = check_enum(MessageAuthor, author, "author")
        now = self._now()
        message = IncidentMessage(who, body, now)
        checked = rules.check_incident_id(incident_id)
        outbox: list[Message] = []
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            current = store.incidents.get(checked)
            # The account first, as every writer of the person (its history is written).
            owner = _owner(current, store.candidates.find_for_update(current.candidate_id))
            rules.require_incident_writer(owner, who)
            current = self._anchored(store, checked, owner)
            incident = store.incidents.save(rules.add_incident_message(current, message))
            self._record(
                tx,
                IncidentMessagePosted(
                    incident.candidate_id, now, incident_id=checked, author=str(who)
                ),
            )
            if who is MessageAuthor.SUPPORT and rules.incident_notice_due(owner, now):
                outbox.append(messages.incident_notice(owner, incident, "incident_update"))
            self._send(tx, outbox)
        return incident

    def start_incident(self, incident_id: str) -> Incident:
        """Customer support takes an open incident up: ``open -> in_progress``.

        A step of customer support, allowed on a closed account too; the
        ``incident_update`` notice is not mailed to a closed account
        (:func:`~symprogram.accounts.rules.incident_notice_due`).

        Raises:
            IllegalTransition: not open (``illegal_transition``), or the
                account was erased (``account_erased``).
            NotFound: unknown incident, or one its candidate does not list
                (``incident_not_found``).
            IntegrityError: the stored incident is not as its candidate's history
                says, a row put back from before a later entry or, after the
                account's erasure, not erased (``record_corrupt``).
        """
        return self._move_incident(incident_id, IncidentStatus.IN_PROGRESS)

    def resolve_incident(self, incident_id: str) -> Incident:
        """Mark an open or in-progress incident resolved; starts the reopen window.

        A step of customer support, as :meth:`start_incident` (no notice mailed to
        a closed account).

        Raises:
            IllegalTransition: not open or in progress (``illegal_transition``); and
                every other refusal of :meth:`start_incident`.
        """
        return self._move_incident(incident_id, IncidentStatus.RESOLVED)

    def close_incident(self, incident_id: str) -> Incident:
        """Close a resolved incident.

        A step of customer support, as :meth:`start_incident` (no notice mailed to
        a closed account).

        Raises:
            IllegalTransition: not resolved (``illegal_transition``); and every
                other refusal of :meth:`start_incident`.
        """
        return self._move_incident(incident_id, IncidentStatus.CLOSED)

    def reopen_incident(self, incident_id: str) -> Incident:
        """Reopen a resolved or closed incident within ``settings.incident_reopen_window``
        of its resolution.

        Reopening is the candidate's own step
        (:func:`~symprogram.accounts.rules.incident_change_author`): refused on a
        closed account, as opening an incident is.

        Raises:
            IllegalTransition: not resolved or closed (``illegal_transition``), or
                the window has passed (``reopen_window_passed``), or the account
                was erased (``account_erased``) or closed (``account_closed``).
            NotFound: unknown incident, or one its candidate does not list
                (``incident_not_found``).
            IntegrityError: the stored incident is not as its candidate's history
                says, a row put back from before a later entry or, after the
                account's erasure, not erased (``record_corrupt``).
        """
        return self._move_incident(incident_id, IncidentStatus.OPEN)

    def _move_incident(self, incident_id: str, target: IncidentStatus) -> Incident:
        checked = rules.check_incident_id(incident_id)
        now = self._now()
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            current = store.incidents.get(checked)
            # The account first, as every writer of the person (its history is written).
            candidate = _owner(current, store.candidates.find_for_update(current.candidate_id))
            rules.require_incident_writer(candidate, rules.incident_change_author(target))
            current = self._anchored(store, checked, candidate)
            incident, event = rules.change_incident_status(
                current,
                target,
                now,
                reopen_window=self.settings.incident_reopen_window,
            )
            incident = store.incidents.save(incident)
            self._record(tx, event)
            if rules.incident_notice_due(candidate, now):
                self._send(tx, [messages.incident_notice(candidate, incident, "incident_update")])
        return incident

    def _said_incidents(
        self, store: AccountsStorage, owner: str, incidents: tuple[Incident, ...]
    ) -> tuple[Incident, ...]:
        """``incidents`` (listed by the candidate ``owner``) if each is as the owner's
        history says
        (:func:`~symprogram.accounts.rules.require_incident_anchored`; the history read
        once, none for no incident).

        Raises:
            IntegrityError: one is not (``record_corrupt``).
        """
        if not incidents:
            return incidents
        entries = self._history.ledger.said_entries(store.tx, owner)
        return tuple(rules.require_incident_anchored(i, entries) for i in incidents)

    def _anchored(self, store: AccountsStorage, incident_id: str, owner: Candidate) -> Incident:
        """The incident ``incident_id`` read again once its candidate ``owner`` is locked
        (every writer of an incident locks its candidate first, so the incident and
        the history read next are in step), if it is still ``owner``'s and as the
        owner's history says (:func:`~symprogram.accounts.rules.incident_anchored`):
        an incident row put back from before a later entry (a resolved or closed
        incident put back as open, a message dropped) is refused.

        Raises:
            NotFound: no longer ``owner``'s (``incident_not_found``).
            IntegrityError: not as the history says (``record_corrupt``).
        """
        incident = store.incidents.get(incident_id)
        _owner(incident, owner if incident.candidate_id == owner.candidate_id else None)
        entries = self._history.ledger.said_entries(store.tx, owner.candidate_id)
        return rules.require_incident_anchored(incident, entries)


def _named_incident(store: AccountsStorage, incident_id: str) -> Incident:
    """The stored incident ``incident_id`` if the candidate it names lists it.

    Raises:
        NotFound: none, or one no candidate lists (``incident_not_found``).
    """
    incident = store.incidents.get(incident_id)
    _owner(incident, store.candidates.find(incident.candidate_id))
    return incident


def _owner(incident: Incident, candidate: Candidate | None) -> Candidate:
    """``candidate``, the stored candidate ``incident`` names, if it lists the incident
    (an incident record written in by hand under an ID of its own is refused).

    Raises:
        NotFound: it does not (``incident_not_found``).
    """
    if candidate is None or not rules.incident_named(incident, candidate):
        key = incident.incident_id
        raise NotFound(f"no incident {key!r}", code="incident_not_found", details={"key": key})
    return candidate
