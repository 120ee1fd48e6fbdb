"""Credentials: log-in, changing the password, "Forgot password" (the Enterprise Support page)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import attrs

from symprogram._anchors import UNKNOWN
from symprogram._checks import check_text
from symprogram.accounts import messages, rules
from symprogram.accounts._base import RESET, candidate_key
from symprogram.accounts._credential_anchors import ANCHORED_ON_LOG_IN, CredentialAnchors
from symprogram.accounts._links import LinkRequests
from symprogram.accounts.events import PasswordChanged, PasswordRehashed
from symprogram.accounts.models import Candidate, normalize_email
from symprogram.accounts.ports import CLIENT_LOGIN_LOG, LOGIN_LOG, UNUSABLE_PREFIX
from symprogram.accounts.storage import AccountsStorage
from symprogram.errors import IntegrityError, PermissionDenied, ValidationError
from symprogram.ids import CandidateId
from symprogram.notify import Message
from symprogram.persistence import Transaction
from symprogram.tokens import TokenPurpose

__all__ = ["MAX_CLIENT_KEY", "Credentials"]

_History = list[tuple[str, Mapping[str, Any] | None]] | None
"""An account history's ``(kind, data)`` pairs as a log-in reads them (``None``: no
history that vouches for the account)."""

MAX_CLIENT_KEY = 256
"""The longest client key ``authenticate`` accepts (an IP address, a device ID ...)."""


class Credentials(LinkRequests, CredentialAnchors):
    """Log-ins and passwords of :class:`~symprogram.accounts.AccountsService`."""

    def authenticate(
        self, email: str, password: str, *, client_key: str | None = None
    ) -> Candidate:
        """Check a log-in and return the account.

        The same work for every address: one password verification, against a
        hash no password matches when the address has no account or no password
        yet (imported), and the same writes (a failed log-in is counted per
        address and per ``client_key``). A stored hash weaker than the hasher's
        policy is replaced after a successful log-in, in the same unit of work.

        Every attempt is counted as a failed log-in before its password is
        verified: in one unit of work, the address's and the client key's counts
        are read locked, the attempt refused beyond a limit, else counted. The
        password is then verified outside any lock, so attempts in flight at
        once, in threads or in processes, count each other and at most
        ``settings.login_failure_limit`` of them are verified per window. A
        right password takes its count back: a successful log-in forgets the
        address's failed log-ins and takes back the client key's count; the
        right password of an account that is not active takes back both counts.
        An attempt that fails otherwise (an error reading the account, say)
        stays counted.

        A failed verification takes as long as one of the costliest kind of hash
        this process has verified (at least the policy's, the dummy's): a stored
        hash of other parameters (imported from a legacy policy, a scrypt hash
        stored before the extra ``argon2`` was installed, the 0.1 form) would
        otherwise tell by its time that the address has an account. One cheaper
        than the policy's is padded by a sleep to a time drawn from the measured
        times of the policy's (Django's ``harden_runtime``, measured); one
        costlier, once verified, pads every other failed verification of the
        process to its own times, an unknown address's included (its first
        verification in a process cannot be hidden). The right password is
        never padded. See :mod:`symprogram.accounts._pacing`.

        The password is verified in its NFKC form
        (:func:`~symprogram.accounts.rules.normalize_password`), so a password
        typed composed or decomposed is the same password. Where that form
        differs from the one typed and does not match, the typed form is
        verified too (a second verification, for every address alike): a hash
        made elsewhere from the raw password and imported with ``register_many``
        keeps working, and is replaced by a hash of the normalized form on the
        first successful log-in (a ``password_rehashed`` history entry; nothing
        is sent).

        A stored hash that is not the one the account history recorded (its
        digest, kept on the candidate: a credential row put back from an older
        backup or written in by hand) is refused exactly as a wrong password is,
        after the same verification. A candidate that keeps no digest (one stored
        before digests were recorded, or one whose digest was removed by hand) is
        compared with the history itself, read and verified for it alone: with
        the digest its latest entry setting the hash recorded; accepted as before
        only when the history never recorded one; refused when its history does
        not verify or records the account's erasure.

        The account found is compared with its history too
        (:func:`~symprogram.accounts.rules.login_anchored`; the history's stream is
        read for every address, the stand-in slot's for an unknown one): a candidate
        row put back from an older backup, with its ``candidate_email`` index entry
        and credential row, is refused exactly as a wrong password is when it holds
        an address the account has since left, a status the history since changed
        (an account suspended or closed since), or a hash other than the one the
        history recorded last (the password before a change or reset). An account
        whose history was never written, or whose history head is not authentic,
        is refused likewise.

        An account whose history never recorded a digest (its hash set by a build
        that recorded none) is anchored on its first successful log-in: in the
        same unit of work as the log-in's other writes, a ``credential_anchored``
        history entry (``method`` ``log_in``) records the digest of the hash the
        password was verified against, which the candidate keeps too; from then
        on that account's hash is checked like any other (see
        :meth:`~symprogram.accounts.AccountsService.anchor_credentials` to anchor
        every such account at once). A failed log-in writes no such entry.

        Args:
            email: the address.
            password: the password.
            client_key: optional key of the caller's client, such as an IP
                address, for ``settings.client_failure_limit``.

        Raises:
            RateLimited: too many failed log-ins for this address or client key
                (``rate_limited``; ``retry_after`` seconds), before any hashing.
            PermissionDenied: unknown address or wrong password (both
                ``invalid_credentials``), or an account that is not active
                (``account_pending_activation``, ``account_suspended``,
                ``account_closed``; only after a correct password).
            ValidationError: a ``client_key`` that is not text
                (``invalid_client_key``) or longer than :data:`MAX_CLIENT_KEY`
                (``client_key_too_long``, a LimitExceeded).
        """
        try:
            normalized = normalize_email(email)
        except ValidationError:
            raise rules.invalid_credentials() from None
        if not isinstance(password, str):
            raise rules.invalid_credentials()
        keys = self._failure_keys(normalized, client_key)
        now = self._now()
        self._reserve_attempt(keys, now)  # refused beyond a limit, before any hashing
        loaded = self._read(lambda s: self._load_login(s, normalized))
        candidate, encoded, said, written = loaded
        if encoded is None or encoded.startswith(UNUSABLE_PREFIX):
            candidate, encoded = None, self._dummy()  # the same work: one verification
        anchored = written and rules.credential_anchored(candidate, encoded, said)
        matched = self._matching_form(password, encoded)
        if candidate is not None and matched is not None and anchored:
            vouched = self._vouched_login(candidate, encoded, password, matched)
            anchored = vouched is not None
            if vouched is not None:  # the account as it is now, should it have moved
                candidate, encoded, matched = vouched
        if candidate is None or matched is None or not anchored:
            self._sweep_leftovers(now)  # the failure was counted when reserved
            raise rules.invalid_credentials()
        try:
            rules.log_in(candidate, True)
        except PermissionDenied:  # the right password of an account that is not active
            self._in_unit(lambda tx: self._withdraw(AccountsStorage(tx), keys, now))
            raise
        new = self._rehashed(matched, encoded)
        # a hash the history never recorded a digest of: record it now
        anchor = new is None and candidate.credential_digest is None and said is UNKNOWN
        self._logged_in(candidate.candidate_id, keys, now, encoded, new, anchor=anchor)
        return candidate

    def _rehashed(self, matched: str, encoded: str) -> str | None:
        """A new hash of the normalized password that matched ``encoded``, or ``None``
        to keep it: kept unless weaker than the hasher's policy or made from the
        password as typed rather than normalized (an imported hash)."""
        normalized = rules.normalize_password(matched)
        needs_rehash = getattr(self._hasher, "needs_rehash", None)
        weaker = callable(needs_rehash) and bool(needs_rehash(encoded))
        return self._hasher.hash(normalized) if weaker or matched != normalized else None

    @staticmethod
    def _failure_keys(email: str, client_key: object) -> tuple[str, ...]:
        account = AccountsStorage.request_key(LOGIN_LOG, email)
        if client_key is None:
            return (account,)
        client = check_text(client_key, "client_key", limit=MAX_CLIENT_KEY, controls=True)
        return account, AccountsStorage.client_key(CLIENT_LOGIN_LOG, client)

    def _load_login(
        self, store: AccountsStorage, email: str
    ) -> tuple[Candidate | None, str | None, object, bool]:
        """The account, its stored hash, what its history says of the hash (see
        :meth:`_said_credential`) and whether its history was ever written
        (:meth:`_has_history`): the same reads for every address (one candidate
        record decoded, one credential record and one history head: the address's
        stand-in slot's where it has no account), and the history verified only for
        an account that keeps no digest. Read once the attempt is reserved
        (:meth:`_reserve_attempt`), so a refusal beyond a limit reads nothing of the
        account."""
        found = self._find_owner(store, email)
        slot = self._stand_in(store.tx, email).key
        holder = slot if found is None else found.candidate_id
        encoded = store.credentials.password_hash(holder)
        written = self._has_history(store.tx, holder)
        said = self._said_credential(store.tx, found)
        return found, None if found is None else encoded, said, written

    def _vouched_login(
        self, candidate: Candidate, encoded: str, password: str, matched: str | None
    ) -> tuple[Candidate, str, str] | None:
        """The account a matching password opens, with its hash and the form of the
        password that hash verifies (``matched`` for ``encoded``), if its account
        history vouches for it (:func:`~symprogram.accounts.rules.login_anchored`:
        a row put back from before an e-mail change, a status change or a new
        password does not); ``None`` otherwise.

        The candidate, its hash and its history are read in one snapshot, only once
        the password matched ``encoded``, so the history's length costs nothing on
        the paths an address-guesser can take (a wrong password, an unknown
        address). Where another unit of work changed the account after the
        password was checked (a concurrent log-in's rehash, a change of password),
        the account is judged as it is now: the password is checked again against
        a hash that changed, so a rehash of the same password logs in and a
        changed password refuses. A stream that cannot be read, or a key no
        stream can have, vouches for nothing."""
        key = candidate.candidate_id

        def read(store: AccountsStorage) -> tuple[Candidate | None, str | None, _History]:
            try:
                history: _History = list(self._history.ledger.said_entries(store.tx, key))
            except (IntegrityError, ValidationError):
                history = None
            return store.candidates.find(key), store.credentials.password_hash(key), history

        fresh, stored, history = self._read(read)
        if fresh is None or stored is None or history is None:
            return None
        if (fresh, stored) != (candidate, encoded):
            said = UNKNOWN if fresh.credential_digest else rules.said_credential(history)
            if not rules.credential_anchored(fresh, stored, said):
                return None
            if stored != encoded:
                matched = self._matching_form(password, stored)
        if matched is None or not rules.login_anchored(fresh, stored, history):
            return None
        return fresh, stored, matched

    def _has_history(self, tx: Transaction, key: str) -> bool:
        """Whether the account history of ``key`` was ever written (its head, read and
        authenticated in ``tx``): a candidate row written into the database by hand,
        with its credential and ``candidate_email`` index entry, has none, and its
        log-in is refused as a wrong password is. A head that is not authentic, or a
        key no stream can have, vouches for nothing."""
        try:
            length, _ = self._history.ledger.head(tx, key)
        except (IntegrityError, ValidationError):
            return False
        return length > 0

    def _said_credential(self, tx: Transaction, candidate: Candidate | None) -> object:
        """What the account history says of the stored hash of ``candidate``, read in
        ``tx`` only when the candidate keeps no digest (``UNKNOWN`` otherwise, nothing
        read): the digest recorded last, ``None`` (no hash may be stored: the
        account's erasure is recorded, or the history does not verify and vouches
        for nothing) or ``UNKNOWN`` (no digest was ever recorded); see
        :func:`~symprogram.accounts.rules.credential_anchored`."""
        if candidate is None or candidate.credential_digest is not None:
            return UNKNOWN
        ledger, key = self._history.ledger, candidate.candidate_id
        if not ledger.verify(tx, key).ok:
            return None
        return rules.said_credential(ledger.said_entries(tx, key))

    def _enforce_login_limits(
        self, failures: tuple[tuple[datetime, ...], ...], now: datetime
    ) -> None:
        settings = self.settings
        rules.enforce_login_limits(
            failures[0],
            failures[1] if len(failures) > 1 else (),
            now,
            account_limit=settings.login_failure_limit,
            account_window=settings.login_failure_window,
            client_limit=settings.client_failure_limit,
            client_window=settings.client_failure_window,
        )

    def _reserve_attempt(self, keys: tuple[str, ...], now: datetime) -> None:
        """Count a log-in attempt as a failure before its password is checked, per
        address and per client key (``keys``), in one unit of work: the request logs
        read locked, the attempt refused beyond a limit (``RateLimited``, nothing
        written), else one failure noted under each. Attempts in flight at once, in
        threads or processes, count each other: at most the limit of them get to
        hashing. The password is verified afterwards, outside the lock; one that
        turns out right takes its failure back (:meth:`_withdraw`). The same reads
        and writes for every address, and nothing of the account is read.

        Raises:
            RateLimited: too many failed log-ins for the address or client key.
        """
        limits = (self.settings.login_failure_limit, self.settings.client_failure_limit)
        # In key order, as the sweep locks: two units never wait on each other in a cycle.
        ordered = sorted(zip(keys, limits, strict=False))

        def reserve(tx: Transaction) -> None:
            store = AccountsStorage(tx)
            counted = {key: store.requests.recent_key(key) for key, _ in ordered}
            self._enforce_login_limits(tuple(counted[key] for key in keys), now)
            for key, keep in ordered:
                store.requests.note_key(key, now, keep=keep)

        self._in_unit(reserve)

    @staticmethod
    def _withdraw(store: AccountsStorage, keys: tuple[str, ...], now: datetime) -> None:
        """Take back the failures :meth:`_reserve_attempt` noted at ``now`` under
        ``keys`` for an attempt whose password was right (in key order)."""
        for key in sorted(keys):
            store.requests.withdraw_key(key, now)

    def _logged_in(
        self,
        key: str,
        failures: tuple[str, ...],
        now: datetime,
        old: str,
        new: str | None,
        *,
        anchor: bool = False,
    ) -> None:
        """After a successful log-in, in one unit of work: forget the address's failed
        log-ins (``failures[0]``, the one reserved at ``now`` included) and take back
        the failure reserved under its client key, and store ``new`` for a stored
        hash ``old`` weaker than the policy (unless the password changed meanwhile),
        its digest kept on the candidate and recorded (``password_rehashed``); or,
        with ``anchor``, record the digest of ``old``, a hash the history never
        recorded one of (``credential_anchored``, kept on the candidate; nothing if
        anything changed meanwhile)."""

        def forget(tx: Transaction) -> None:
            store = AccountsStorage(tx)
            store.requests.forget_key(failures[0])  # first: in key order, as the sweep
            self._withdraw(store, failures[1:], now)
            if anchor:
                self._anchor_credential(tx, key, old, ANCHORED_ON_LOG_IN)
            elif new is not None and store.credentials.password_hash(key) == old:
                store.credentials.rehash(key, new)
                digest = rules.credential_digest(new)
                candidate = store.candidates.get(key)
                store.candidates.save(attrs.evolve(candidate, credential_digest=digest))
                self._record(tx, PasswordRehashed(key, self._now(), credential_digest=digest))

        self._in_unit(forget)

    def change_password(
        self, candidate_id: str | CandidateId, current_password: str, new_password: str
    ) -> None:
        """Change the password of a logged-in candidate; outstanding reset links die.

        Both passwords are normalized (NFKC) as :meth:`authenticate` and the
        password policy do; the current one is verified as :meth:`authenticate`
        verifies (a stored hash that is not the one the history recorded is a
        wrong current password, and so is one its account history does not
        vouch for, as :meth:`authenticate` replays it).

        A wrong current password is a failed log-in of the account's address: it
        is counted, and beyond ``settings.login_failure_limit`` the call is
        refused before any hashing, as :meth:`authenticate` is (so the current
        password cannot be guessed here past the log-in limit). As there, the
        attempt is counted as a failure, under a lock, before the password is
        verified (so changes in flight at once count each other), and taken back
        once the current password proves right.

        Raises:
            RateLimited: too many failed log-ins for the account's address
                (``rate_limited``; ``retry_after`` seconds).
            PermissionDenied: wrong current password (``invalid_credentials``).
            ValidationError: the new password breaks the policy (password codes).
            IllegalTransition: the account is closed (``account_closed``).
            IntegrityError: a candidate row put back or written in (``record_corrupt``).
        """
        key = candidate_key(candidate_id)
        candidate = self._read(lambda s: s.candidates.get(key))
        rules.require_open(candidate)
        now = self._now()
        failures = (AccountsStorage.request_key(LOGIN_LOG, candidate.contact.email),)
        self._reserve_attempt(failures, now)  # refused beyond the limit, before any hashing
        encoded_now, holder, said = self._read(
            lambda s: (
                s.credentials.password_hash(key),
                found := s.candidates.get(key),  # its digest, read with the hash
                self._said_credential(s.tx, found),
            )
        )
        matched = (
            self._matching_form(current_password, encoded_now)
            if isinstance(current_password, str) and encoded_now is not None
            else None
        )
        if not (
            matched is not None
            and encoded_now is not None
            and rules.credential_anchored(holder, encoded_now, said)
            and self._vouched_login(holder, encoded_now, current_password, matched) is not None
        ):
            self._sweep_leftovers(now)  # the failure was counted when reserved
            rules.require_current_password(False)
        # the right current password is no failure: its reserved one is taken back
        # (the address's other failures are kept, as before)
        self._in_unit(lambda tx: self._withdraw(AccountsStorage(tx), failures, now))
        self._set_password(candidate, new_password, now, "change")

    def request_password_reset(self, email: str) -> None:
        """Send a reset link if ``email`` belongs to an account that is not closed.

        "If you have an account and wish to reset the password please visit
        SymAccount - Forgot Password" (the Enterprise Support page). The outcome, the work and the
        writes are the same for every address, so nobody can learn whether an
        account exists: an address without an account that may reset gets a link
        too, issued to nobody and never sent. At most ``settings.reset_limit``
        links go to one address within ``settings.resend_window``; beyond that
        the call returns as usual and sends nothing, and the links already sent
        keep working (nobody can lock the owner out).

        Raises:
            ValidationError: not an e-mail address (``invalid_email``).
        """
        self._send_link(
            email,
            RESET,
            TokenPurpose.PASSWORD_RESET,
            rules.may_reset,
            self.settings.reset_ttl,
            self.settings.reset_limit,
            messages.password_reset,
        )

    def reset_password(self, token: str, new_password: str) -> None:
        """Set a new password with a reset token; every other reset link dies.

        A completed reset also forgets the address's failed log-ins, as a
        successful log-in does: a stranger guessing at the address (beyond
        ``settings.login_failure_limit``) cannot keep the owner, who proved they
        hold the mailbox, out of the account.

        Raises:
            TokenError: ``token_invalid``, ``token_used``, ``token_revoked`` or
                ``token_expired`` (field ``token``).
            ValidationError: the new password breaks the policy (password codes).
            IllegalTransition: the account was closed meanwhile (``account_closed``).
            IntegrityError: a candidate row put back or written in (``record_corrupt``).
        """
        now = self._now()
        with self._store.transaction(readonly=True) as tx:
            key = self._verify_token(tx, TokenPurpose.PASSWORD_RESET, token, now, "token")
            candidate = AccountsStorage(tx).candidates.get(key)
        rules.require_open(candidate)
        self._set_password(
            candidate,
            new_password,
            now,
            "reset",
            consume=lambda tx: self._consume(tx, TokenPurpose.PASSWORD_RESET, token, now, "token"),
        )

    def _set_password(
        self,
        candidate: Candidate,
        new_password: str,
        now: datetime,
        method: str,
        *,
        consume: Callable[[Transaction], object] | None = None,
    ) -> None:
        """Check and hash ``new_password`` for ``candidate``, then store it in one unit of
        work: the account locked first (as every writer of the person), the reset link
        used up (``consume``), the account still open."""
        encoded = self._hasher.hash(self._password_ok(new_password, candidate.contact))
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            fresh = self._candidate_for_update(store, candidate.candidate_id)
            if consume is not None:
                consume(tx)
            rules.require_open(fresh)
            message = self._password_changed(tx, store, fresh, encoded, now, method)
            self._send(tx, [message])

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
        digest = rules.credential_digest(encoded)
        store.credentials.set_password_hash(key, encoded, now)
        store.candidates.save(attrs.evolve(candidate, credential_digest=digest))
        self._tokens.revoke_all(tx, purpose=TokenPurpose.PASSWORD_RESET, subject=key)
        if method == "reset":
            # the owner proved they hold the mailbox: a stranger's guesses at the
            # address no longer hold them out of their account (as a log-in would)
            email = candidate.contact.email
            store.requests.forget_key(AccountsStorage.request_key(LOGIN_LOG, email))
        self._record(tx, PasswordChanged(key, now, method=method, credential_digest=digest))
        return messages.password_changed(candidate, method)
