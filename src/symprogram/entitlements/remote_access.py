"""Remote access: remote diagnostics sessions on a support case, only with the
customer's express consent to the current Remote Access Standard Terms.

Seed: "Before implementing such remote access we will require your express
consent to the service terms." Consent is asked through the
:class:`~symprogram.entitlements.ports.RemoteAccessConsent` port; the program
wires the consent context to it, and :class:`InMemoryRemoteAccessConsent` serves
tests and demos.
"""

from __future__ import annotations

import threading
from datetime import datetime

from symprogram._checks import check_text
from symprogram.clock import ensure_utc
from symprogram.entitlements import rules
from symprogram.entitlements._base import _Base
from symprogram.entitlements.events import RemoteSessionEnded, RemoteSessionStarted
from symprogram.entitlements.models import MAX_TEXT, RemoteSession
from symprogram.entitlements.storage import StoredCases

__all__ = ["InMemoryRemoteAccessConsent", "RemoteAccess"]


class RemoteAccess(_Base):
    """The remote access flow."""

    def start_remote_session(self, case_id: str, *, by: str) -> RemoteSession:
        """Start remote diagnostics on a case, only with express consent to the current terms.

        The current version of the Remote Access Standard Terms comes from the catalogue.

        Raises:
            PermissionDenied: no consent to the current version
                (``remote_access_consent_required``, details: ``terms_version``),
                or the catalogue offers no terms (``remote_access_not_offered``).
            NotFound: ``entitlements_case_not_found``.
            IllegalTransition: the case is closed (``case_closed``).
            Conflict: a session is already open (``remote_session_open``).
        """
        check_text(case_id, "case_id", limit=MAX_TEXT)
        check_text(by, "by", limit=MAX_TEXT)
        now = self._now()
        consent = self._consent
        with self._store.transaction() as tx:
            repo = StoredCases(tx)
            case = repo.get(case_id)
            terms = rules.remote_access_terms(self._catalogue)
            consented = consent is not None and consent.has_consented(
                case.customer_id, terms.version, now
            )
            rules.require_remote_consent(case, terms, consented)
            case, session = rules.start_remote_session(
                case, terms_version=terms.version, at=now, by=by
            )
            repo.save(case)
            event = RemoteSessionStarted(
                case.customer_id, now, case_id, session.session_id, terms.version, by
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
            case, session = rules.end_remote_session(repo.get(case_id), session_id, at=now, by=by)
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
        check_text(customer_id, "customer_id", limit=MAX_TEXT)
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
            events = list(self._events.get((customer_id, terms_version), ()))
        state = False
        for when, given in events:
            if when <= instant:
                state = given
        return state
