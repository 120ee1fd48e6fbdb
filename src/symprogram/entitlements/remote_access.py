"""Remote access: remote diagnostics sessions on a support case, only with the
customer's express consent to the Remote Access Standard Terms in force.

The Enterprise Support page: "Before implementing such remote access we will
require your express consent to the service terms." The terms are versioned in
the catalogue with effective instants; at each instant only consent to the
version then in force counts (:meth:`RemoteAccess.may_start_remote_session`
answers as of any instant). Consent is asked through the
:class:`~symprogram.entitlements.ports.RemoteAccessConsent` port; the program
wires the consent context to it, and :class:`InMemoryRemoteAccessConsent` serves
tests and demos.
"""

from __future__ import annotations

import threading
from datetime import date, datetime

from symprogram._checks import check_text
from symprogram.clock import ensure_utc
from symprogram.decisions import Decision
from symprogram.entitlements import rules
from symprogram.entitlements._base import _Base
from symprogram.entitlements.events import RemoteSessionEnded, RemoteSessionStarted
from symprogram.entitlements.models import MAX_CUSTOMER_ID, MAX_TEXT, RemoteSession
from symprogram.entitlements.storage import StoredCases
from symprogram.ids import canonical_subject

__all__ = ["InMemoryRemoteAccessConsent", "RemoteAccess"]


class RemoteAccess(_Base):
    """The remote access flow."""

    def may_start_remote_session(
        self, customer_id: str, at: datetime | date | None = None
    ) -> Decision:
        """May a remote session start for ``customer_id`` at ``at`` (default: now)?

        Only express consent to the version of the Remote Access Standard Terms
        in force at ``at`` counts: once a newer version comes into force, a
        consent to an older one stops counting.

        Returns:
            A :class:`~symprogram.decisions.Decision`: ``remote_access_consented``,
            or ``remote_access_consent_required``, ``remote_access_not_offered``,
            ``remote_access_terms_not_in_force``; details ``terms_version``,
            ``document``, ``effective_from``, ``next_version``,
            ``next_effective_from`` (see
            :func:`~symprogram.entitlements.rules.remote_session_decision`).

        Raises:
            ValidationError: a bad customer id or instant.
        """
        return self._remote_decision(self._customer(customer_id), self._instant(at))

    def _remote_decision(self, customer_id: str, at: datetime) -> Decision:
        version = rules.remote_terms_in_force(self._catalogue, at)
        consent = self._consent
        consented = (
            version is not None
            and consent is not None
            and consent.has_consented(customer_id, version.version, at)
        )
        return rules.remote_session_decision(self._catalogue, at, consented)

    def start_remote_session(self, case_id: str, *, by: str) -> RemoteSession:
        """Start remote diagnostics on a case, only with express consent to the terms in force.

        Refused when :meth:`may_start_remote_session` refuses the case's customer now,
        and once the customer is no longer entitled to support for the case's
        product (remote diagnostics is a support service).

        Raises:
            PermissionDenied: not entitled any more (the first reason, such as
                ``agreement_expired``).
            PermissionDenied: no consent to the version in force
                (``remote_access_consent_required``, details: ``terms_version``),
                the catalogue offers no terms (``remote_access_not_offered``) or
                none is in force yet (``remote_access_terms_not_in_force``).
            NotFound: ``entitlements_case_not_found``.
            IllegalTransition: the case is closed (``case_closed``).
            Conflict: a session is already open (``remote_session_open``).
        """
        check_text(case_id, "case_id", limit=MAX_TEXT)
        check_text(by, "by", limit=MAX_TEXT)
        now = self._now()
        with self._store.transaction() as tx:
            repo = StoredCases(tx)
            case = self._opened_case(tx, repo, case_id, for_update=True)
            decision = self._remote_decision(case.customer_id, now)
            rules.require_remote_session(case, decision)
            self._require_covered(tx, case, now)
            version = str(decision.detail("terms_version"))
            case, session = rules.start_remote_session(case, terms_version=version, at=now, by=by)
            repo.save(case)
            event = RemoteSessionStarted(
                case.customer_id, now, case_id, session.session_id, version, by
            )
            self._record(tx, event)
        return session

    def end_remote_session(self, case_id: str, session_id: str, *, by: str) -> RemoteSession:
        """End a remote session.

        Raises:
            NotFound: ``entitlements_case_not_found`` / ``remote_session_not_found``.
            IllegalTransition: it already ended (``remote_session_ended``).
        """
        check_text(case_id, "case_id", limit=MAX_TEXT)
        now = self._now()
        with self._store.transaction() as tx:
            repo = StoredCases(tx)
            case, session = rules.end_remote_session(
                self._opened_case(tx, repo, case_id, for_update=True), session_id, at=now, by=by
            )
            repo.save(case)
            self._record(tx, RemoteSessionEnded(case.customer_id, now, case_id, session_id, by))
        return session


class InMemoryRemoteAccessConsent:
    """A :class:`~symprogram.entitlements.RemoteAccessConsent` kept in memory. Thread-safe.

    For tests and demos.

    Example:
        >>> from datetime import datetime, timezone
        >>> consent = InMemoryRemoteAccessConsent()
        >>> at = datetime(2011, 2, 1, tzinfo=timezone.utc)
        >>> consent.give("C-1", "2011-01", at)
        >>> consent.has_consented("C-1", "2011-01", at), consent.has_consented("C-1", "2012-01", at)
        (True, False)
    """

    def __init__(self) -> None:
        self._events: dict[tuple[str, str], list[tuple[datetime, bool]]] = {}
        self._lock = threading.Lock()

    def give(self, customer_id: str, terms_version: str, at: datetime) -> None:
        """Record express consent to ``terms_version`` from ``at`` on."""
        self._record(customer_id, terms_version, at, True)

    def withdraw(self, customer_id: str, terms_version: str, at: datetime) -> None:
        """Record the withdrawal of consent to ``terms_version`` from ``at`` on."""
        self._record(customer_id, terms_version, at, False)

    def _record(self, customer_id: str, terms_version: str, at: datetime, given: bool) -> None:
        customer_id = canonical_subject(
            check_text(customer_id, "customer_id", limit=MAX_CUSTOMER_ID)
        )
        check_text(terms_version, "terms_version", limit=MAX_TEXT)
        instant = ensure_utc(at)
        with self._lock:
            events = self._events.setdefault((customer_id, terms_version), [])
            events.append((instant, given))
            events.sort(key=lambda event: event[0])

    def has_consented(self, customer_id: str, terms_version: str, at: datetime) -> bool:
        """Whether the latest event at or before ``at`` for that version is a consent."""
        instant = ensure_utc(at)
        with self._lock:
            events = list(self._events.get((canonical_subject(customer_id), terms_version), ()))
        state = False
        for when, given in events:
            if when <= instant:
                state = given
        return state
