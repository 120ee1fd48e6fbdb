"""Credentials: log-in, changing the password, and "Forgot password" (seed 001)."""

from __future__ import annotations

import secrets
from datetime import datetime

from symprogram.accounts import messages, rules
from symprogram.accounts._base import RESET, FlowBase, candidate_key
from symprogram.accounts.events import PasswordChanged, PasswordResetRequested
from symprogram.accounts.models import AccountStatus, Candidate, normalize_email
from symprogram.accounts.storage import AccountsStorage
from symprogram.errors import ValidationError
from symprogram.ids import CandidateId
from symprogram.notify import Message
from symprogram.persistence import Transaction
from symprogram.tokens import TokenPurpose

__all__ = ["Credentials"]


class Credentials(FlowBase):
    """Log-ins and passwords of :class:`~symprogram.accounts.AccountsService`."""

    def authenticate(self, email: str, password: str) -> Candidate:
        """Check a log-in and return the account.

        Raises:
            PermissionDenied: unknown address or wrong password (both
                ``invalid_credentials``), or an account that is not active
                (``account_pending_activation``, ``account_suspended``,
                ``account_closed``; only after a correct password).
        """
        try:
            normalized = normalize_email(email)
        except ValidationError:
            raise rules.invalid_credentials() from None
        if not isinstance(password, str):
            raise rules.invalid_credentials()

        def load(store: AccountsStorage) -> tuple[Candidate | None, str | None]:
            found = store.candidates.find_by_email(normalized)
            if found is None:
                return None, None
            return found, store.credentials.password_hash(found.candidate_id)

        candidate, encoded = self._read(load)
        if candidate is None or encoded is None:
            # The same work for an unknown address: verify against a dummy hash.
            if self._dummy_hash is None:
                self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
            self._hasher.verify(password, self._dummy_hash)
            return rules.log_in(None, False)
        return rules.log_in(candidate, self._hasher.verify(password, encoded))

    def change_password(
        self, candidate_id: str | CandidateId, current_password: str, new_password: str
    ) -> None:
        """Change the password of a logged-in candidate; outstanding reset links die.

        Raises:
            PermissionDenied: wrong current password (``invalid_credentials``).
            ValidationError: the new password breaks the policy (password codes).
            IllegalTransition: the account is closed (``account_closed``).
        """
        key = candidate_key(candidate_id)
        candidate = self._read(lambda s: s.candidates.get(key))
        rules.require_open(candidate)
        encoded_now = self._read(lambda s: s.credentials.password_hash(key))
        rules.require_current_password(
            isinstance(current_password, str)
            and encoded_now is not None
            and self._hasher.verify(current_password, encoded_now)
        )
        self._password_ok(new_password, candidate.contact)
        encoded = self._hasher.hash(new_password)
        now = self._now()
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            fresh = store.candidates.get(key)
            rules.require_open(fresh)
            message = self._password_changed(tx, store, fresh, encoded, now, "change")
        self._send([message])

    def request_password_reset(self, email: str) -> None:
        """Send a reset link if ``email`` belongs to an account that is not closed.

        "If you have an account and wish to reset the password please visit
        SymAccount - Forgot Password" (seed 001). The outcome is the same for
        every address, so nobody can learn whether an account exists.

        Raises:
            ValidationError: not an e-mail address (``invalid_email``).
            LimitExceeded: more than ``settings.reset_limit`` requests for this
                address within ``settings.resend_window`` (``reset_limit_reached``).
        """
        normalized = normalize_email(email)
        now = self._now()
        ttl = self.settings.reset_ttl
        outbox: list[Message] = []
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            limit = self.settings.reset_limit
            candidate = self._link_requested(
                store, RESET, normalized, now, limit, "reset_limit_reached"
            )
            if candidate is not None and candidate.status is not AccountStatus.CLOSED:
                key = candidate.candidate_id
                token = self._tokens.issue(
                    tx, purpose=TokenPurpose.PASSWORD_RESET, subject=key, ttl=ttl, now=now
                )
                self._record(tx, PasswordResetRequested(key, now, expires_at=now + ttl))
                outbox.append(messages.password_reset(candidate, token, now + ttl))
        self._send(outbox)

    def reset_password(self, token: str, new_password: str) -> None:
        """Set a new password with a reset token; every other reset link dies.

        Raises:
            TokenError: ``token_invalid``, ``token_used``, ``token_revoked`` or
                ``token_expired`` (field ``token``).
            ValidationError: the new password breaks the policy (password codes).
            IllegalTransition: the account was closed meanwhile (``account_closed``).
        """
        now = self._now()
        with self._store.transaction(readonly=True) as tx:
            key = self._verify_token(tx, TokenPurpose.PASSWORD_RESET, token, now, "token")
            candidate = AccountsStorage(tx).candidates.get(key)
        rules.require_open(candidate)
        self._password_ok(new_password, candidate.contact)
        encoded = self._hasher.hash(new_password)
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            self._consume(tx, TokenPurpose.PASSWORD_RESET, token, now, "token")
            fresh = store.candidates.get(key)
            rules.require_open(fresh)
            message = self._password_changed(tx, store, fresh, encoded, now, "reset")
        self._send([message])

    def _password_changed(
        self,
        tx: Transaction,
        store: AccountsStorage,
        candidate: Candidate,
        encoded: str,
        now: datetime,
        method: str,
    ) -> Message:
        key = candidate.candidate_id
        store.credentials.set_password_hash(key, encoded, now)
        self._tokens.revoke_all(tx, purpose=TokenPurpose.PASSWORD_RESET, subject=key)
        self._record(tx, PasswordChanged(key, now, method=method))
        return messages.password_changed(candidate, method)
