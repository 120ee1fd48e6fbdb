"""The plumbing every accounts flow shares: the clock, units of work, history, outbox, links.

Private. Each flow module defines one class deriving from :class:`FlowBase` with
that flow's public methods; :class:`~symprogram.accounts.service.AccountsService`
is composed of them and sets the attributes declared here.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from symprogram.accounts import rules
from symprogram.accounts._pacing import VerificationPacer
from symprogram.accounts._stand_ins import StandIns, StandInSweep
from symprogram.accounts.models import (
    AcceptancePath,
    AccountStatus,
    Candidate,
    ContactDetails,
    TermsCatalogue,
    erased_contact,
)
from symprogram.accounts.ports import (
    REGISTRATION_LOG,
    REQUEST_LOGS,
    RESEND_LOG,
    RESET_LOG,
    MarketingConsent,
    PasswordHasher,
)
from symprogram.accounts.storage import AccountsStorage
from symprogram.clock import Clock, read_clock
from symprogram.errors import (
    ConcurrencyError,
    StorageError,
    SymprogramError,
    TokenError,
    ValidationError,
)
from symprogram.events import DomainEvent
from symprogram.history import AccountHistory
from symprogram.ids import CandidateId
from symprogram.notify import Message, Notifier
from symprogram.outbox import DeliveringStore, DeliversAfterCommit, MessageOutbox
from symprogram.persistence import Transaction
from symprogram.serialization import dumps_without
from symprogram.tokens import TokenPurpose, Tokens

if TYPE_CHECKING:
    from symprogram.accounts.service import AccountsSettings


_log = logging.getLogger("symprogram.accounts")

__all__ = [
    "ACCOUNT_PURPOSES",
    "REGISTER",
    "REQUEST_LOGS",
    "RESEND",
    "RESET",
    "SINCE",
    "TERMS_PURPOSE",
    "FlowBase",
    "candidate_key",
    "new_incident_id",
]

T = TypeVar("T")

SINCE = "0.2"
"""The release that renamed the accounts names kept as deprecated aliases."""

TERMS_PURPOSE = "terms_acceptance"
RESEND = RESEND_LOG
REGISTER = REGISTRATION_LOG
RESET = RESET_LOG
ACCOUNT_PURPOSES = (
    TokenPurpose.ACTIVATION,
    TokenPurpose.PASSWORD_RESET,
    TokenPurpose.EMAIL_VERIFICATION,
)
"""The token purposes whose links belong to an account (revoked when it closes)."""


_VERSION = frozenset({"version"})
"""Stored texts leave out the top-level version (the store keeps it beside them)."""


def candidate_key(candidate_id: object) -> str:
    """The display form of a candidate ID (ValidationError ``invalid_candidate_id``)."""
    if isinstance(candidate_id, CandidateId):
        return candidate_id.display
    return CandidateId.parse(candidate_id).display


def new_incident_id() -> str:
    """A fresh random incident ID, e.g. ``INC-3F9A0C12D4E5``."""
    return "INC-" + secrets.token_hex(6).upper()


def _retarget(exc: SymprogramError, field: str) -> SymprogramError:
    clone = type(exc)(exc.message, field=field, code=exc.code, details=exc.details)
    clone.__cause__ = exc
    return clone


SEEN = 64
"""Accounts an address without one may be read in place of (see ``FlowBase._find_owner``)."""

SWEEP = 8
"""Request logs a call looks at for deletion (see ``FlowBase._sweep_leftovers``): more
than the (at most two) counts a call can add."""


class FlowBase(DeliversAfterCommit):
    """What every flow uses: set by :class:`~symprogram.accounts.AccountsService`."""

    _clock: Clock
    _history: AccountHistory
    _notifier: Notifier
    _hasher: PasswordHasher
    _consent: MarketingConsent | None
    _tokens: Tokens
    _dummy_hash: str | None = None
    _pacer: VerificationPacer | None = None
    _decoy_candidate: Candidate | None = None
    _decoy_text: str = ""
    _stand_in_secret: bytes = b""
    _sweep_after: str = ""
    _stand_in_sweep: StandInSweep = StandInSweep()
    _seen_owners: collections.deque[str]
    catalogue: TermsCatalogue
    settings: AccountsSettings

    def _now(self) -> datetime:
        return read_clock(self._clock)

    def _record(self, tx: Transaction, *events: DomainEvent | None) -> None:
        self._history.record_many(tx, [event for event in events if event is not None])

    def _send(
        self, tx: Transaction, messages: list[Message], *, subject: str | None = None
    ) -> None:
        """Write ``messages`` in the unit of work ``tx`` (the transactional outbox):
        the notifier gets them once it committed, at least once. ``subject`` files
        them all under one candidate (default: each message's own)."""
        self._outbox().write(tx, messages, subject=subject)

    def _outbox(self) -> MessageOutbox:
        """The outbox of the flows' messages, sealed with the history's ledger key."""
        return MessageOutbox(self._store, self._notifier, ledger_key=self._history.ledger.keys)

    def _candidate_for_update(self, store: AccountsStorage, key: str) -> Candidate:
        """The candidate ``key``, read locked, if it is the account its history says
        (:func:`~symprogram.accounts.rules.require_candidate_anchored`; the history is
        read after the lock, so it holds every change of the candidate committed
        before). A candidate row written in by hand, or put back from before a later
        entry (an address since left, a status since changed), is refused and the
        flow changes nothing.

        Raises:
            NotFound: ``candidate_not_found``.
            IntegrityError: ``record_corrupt``.
        """
        candidate = store.candidates.get_for_update(key)
        said = self._history.ledger.said_entries(store.tx, key)
        return rules.require_candidate_anchored(candidate, said)

    def _read(self, fn: Callable[[AccountsStorage], T]) -> T:
        with self._store.transaction(readonly=True) as tx:
            return fn(AccountsStorage(tx))

    def _in_unit(self, fn: Callable[[Transaction], T]) -> T:
        """Run ``fn`` in one unit of work; re-run it whole where it lost a race.

        On a database server two units of work can both find no record for a key
        (a request log, a stand-in slot, a link's generation) and both insert it:
        one loses with a :class:`~symprogram.errors.ConcurrencyError`. A store that
        can re-run a unit of work (``run``, the SQLAlchemy adapter; it does not
        inside a host's or an already open unit of work) runs ``fn`` again, which
        then finds the winner's record. SQLite and memory serialise writers: one run.
        """
        store = self._store
        if isinstance(store, DeliveringStore):
            return store.run(fn)
        with store.transaction() as tx:  # pragma: no cover - flows keep a DeliveringStore
            return fn(tx)

    def _tidy(self, fn: Callable[[Transaction], T]) -> T | None:
        """:meth:`_in_unit` for housekeeping after a call's own unit of work (a sweep of
        records nobody can use any more): ``None`` where it still lost a race after
        its re-runs (a deadlock or a stale version beside concurrent calls on a
        database server), or failed otherwise (a statement timeout, a lost
        connection, a full disk: logged on the ``symprogram.accounts`` logger). The
        call's own work is committed by then, so the call must not fail for it; the
        next call sweeps from the same place."""
        try:
            return self._in_unit(fn)
        except ConcurrencyError:
            return None
        except StorageError as error:
            if not error.details.get("retryable"):
                _log.warning("a sweep after a committed call failed: %s", error.code)
            return None
        except Exception:  # a store that is no compliant adapter: still committed
            _log.exception("a sweep after a committed call failed")
            return None

    def _sweep_leftovers(self, now: datetime) -> None:
        """Delete a few records nobody needs any more, in a unit of work of their own,
        after a call's (issue 17, "growth bounded"): request logs no window counts
        (:data:`SWEEP` looked at) and stand-in records (see
        :class:`._stand_ins.StandInSweep`). A failed log-in, a link request and a
        registration leave a count or a stand-in whether or not the address has an
        account (so that nothing answers or costs differently), and each looks at
        more than it leaves, so they cannot pile up faster than they are deleted.
        The same work for every address; a sweep that loses a race to concurrent
        calls is given up (see :meth:`_tidy`)."""
        settings = self.settings
        horizon = max(
            settings.login_failure_window,
            settings.client_failure_window,
            settings.resend_window,
            settings.claim_failure_window,
        )
        after, stand_ins = self._sweep_after, self._stand_in_sweep

        def sweep(tx: Transaction) -> tuple[str, StandInSweep]:
            logs = AccountsStorage(tx).requests.sweep(after, now - horizon, SWEEP)
            return logs, stand_ins.run(tx, issued_before=now - settings.resend_window)

        swept = self._tidy(sweep)
        if swept is not None:
            self._sweep_after, self._stand_in_sweep = swept

    def _consume(
        self, tx: Transaction, purpose: str, secret: object, now: datetime, field: str
    ) -> str:
        """Use up the link ``secret`` of ``purpose``; return its subject."""
        return self._token(tx, purpose, secret, now, field, use=True)

    def _verify_token(
        self, tx: Transaction, purpose: str, secret: object, now: datetime, field: str
    ) -> str:
        """Check the link ``secret`` of ``purpose`` without using it; return its subject."""
        return self._token(tx, purpose, secret, now, field, use=False)

    def _token(
        self,
        tx: Transaction,
        purpose: str,
        secret: object,
        now: datetime,
        field: str,
        *,
        use: bool,
    ) -> str:
        if not isinstance(secret, str) or not secret:
            raise TokenError("this link is not valid", field=field, code="token_invalid")
        check = self._tokens.consume if use else self._tokens.verify
        try:
            return check(tx, purpose=purpose, secret=secret, now=now).subject
        except (TokenError, ValidationError) as exc:
            if isinstance(exc, TokenError) and purpose in ACCOUNT_PURPOSES:
                self._refuse_if_erased(tx, purpose, secret, exc)
            raise _retarget(exc, field) from exc

    def _refuse_if_erased(
        self, tx: Transaction, purpose: str, secret: str, exc: TokenError
    ) -> None:
        # A link of an erased account was revoked by the erasure: say so plainly.
        try:
            record = self._tokens.lookup(tx, secret=secret)
            if record is None or record.purpose != purpose:
                return
            candidate = AccountsStorage(tx).candidates.find(record.subject)
        except SymprogramError:
            return
        if candidate is not None:
            try:
                rules.require_not_erased(candidate)
            except SymprogramError as refused:
                raise refused from exc

    def _password_ok(self, password: object, contact: ContactDetails) -> str:
        """``password`` normalized (the form to hash), if the policy accepts it."""
        return rules.check_password(
            password,
            min_length=self.settings.password_min_length,
            personal=rules.personal_words(contact),
        )

    def _matching_form(self, password: str, encoded: str) -> str | None:
        """The form of ``password`` that ``encoded`` verifies, or ``None``: its
        normalized form first, then, where it differs, the form typed (a hash made
        elsewhere from the raw password, imported by ``register_many``).

        Each verification that fails takes as long as one of the costliest kind of
        hash this process verified, the policy's dummy at least (see
        :mod:`._pacing`): a stored hash cheaper than the policy's (an imported
        legacy one) is padded, and one costlier (scrypt N=2**17 under an Argon2id
        policy), once verified, pads every other, an unknown address's included."""
        pacer = self._pacing()
        for form in rules.password_forms(password):
            if pacer.verify(self._hasher.verify, form, encoded, reference=self._dummy):
                return form
        return None

    def _pacing(self) -> VerificationPacer:
        """This service's :class:`._pacing.VerificationPacer` (made once)."""
        if self._pacer is None:
            self._pacer = VerificationPacer()
        return self._pacer

    def _dummy(self) -> str:
        """A hash no password matches, as costly to verify as a real one (made once)."""
        if self._dummy_hash is None:
            make = getattr(self._hasher, "dummy_hash", None)
            made = make() if callable(make) else self._hasher.hash(secrets.token_urlsafe(16))
            self._dummy_hash = str(made)
        return self._dummy_hash

    def _link_requested(
        self,
        store: AccountsStorage,
        logs: tuple[str, str],
        email: str,
        now: datetime,
        limit: int,
        *,
        by: str,
    ) -> tuple[Candidate | None, bool]:
        """Note a request by the account ``by`` for a message to ``email``; return the
        address's owner, if any, and whether a message may go.

        ``logs`` are the address's own log and the log per account and address. The
        address's own is written first, whoever asks and whatever the count (its
        latest request only): an erasure of the address's owner writes it too, so
        the two queue on it. The limit counts the requests of ``by`` for ``email``
        alone (at most ``limit`` per ``settings.resend_window``, the same for every
        address), so that one account's requests never use up another's. Beyond
        it nothing more is counted and nothing may be sent, but nothing is refused
        either."""
        window = self.settings.resend_window
        store.requests.note(logs[0], email, now, keep=1)
        own = store.requests.account_key(logs[1], email, by)
        allowed = rules.may_send(store.requests.recent_key(own), now, limit=limit, window=window)
        if allowed:
            store.requests.note_key(own, now, keep=limit)
        found = self._find_owner(store, email)
        return found, allowed

    def _find_owner(self, store: AccountsStorage, email: str) -> Candidate | None:
        """The account of ``email``, if any, at the same cost either way (see
        :meth:`~.storage._Candidates.find_by_email_evenly`): for an address without
        one, an account found by an earlier call is read and decoded instead (one of
        the last :data:`SEEN` found, picked by the address), so that a stored row is
        read either way."""
        seen = self._seen_owners
        instead = seen[hash(email) % len(seen)] if seen else None
        decoy = self._decoy()
        found = store.candidates.find_by_email_evenly(
            email, self._decoy_text, decoy.contact.email, instead=instead
        )
        if found is not None:
            seen.append(found.candidate_id)
        return found

    def _decoy(self) -> Candidate:
        """A stand-in owner: the message a link goes out in is built for it too when
        nobody may receive it (then never sent), so that every address costs the same."""
        if self._decoy_candidate is None:
            at = self._now()
            contact = erased_contact()  # markers only: nobody's details
            key = "SP-0000-0000-0000-0"
            terms = None
            with contextlib.suppress(SymprogramError):  # shaped like a real record
                current = self.catalogue.current(at)
                path = AcceptancePath.CREATE_ACCOUNT
                terms = rules.new_acceptance(current, path, at, secrets.token_hex(16), key)
            self._decoy_candidate = Candidate(
                key,
                AccountStatus.PENDING_ACTIVATION,
                contact,
                at,
                at,
                at,
                terms,
                credential_digest=rules.credential_digest(secrets.token_hex(32)),
            )
            # stored as records are: without the top-level version
            self._decoy_text = dumps_without(self._decoy_candidate, _VERSION)
        return self._decoy_candidate

    def _stand_in(self, tx: Transaction, email: str) -> StandIns:
        """The stand-in slot of ``email`` in ``tx`` (see :mod:`._stand_ins`)."""
        if not self._stand_in_secret:
            self._stand_in_secret = secrets.token_bytes(32)
        return StandIns(tx, self._stand_in_secret, email, self.settings.stand_in_pool)

    def _link_for(
        self,
        tx: Transaction,
        log: str,
        email: str,
        now: datetime,
        limit: int,
        eligible: Callable[[Candidate | None], bool],
    ) -> tuple[Candidate | None, StandIns]:
        """Note a request for a link to ``email``; return its recipient, if any, and
        the address's stand-in slot.

        The recipient is the address's owner when ``eligible(owner)`` and fewer than
        ``limit`` links went to it within ``settings.resend_window``. Otherwise there
        is none (nothing refused). Either way the request is noted in the address's
        own log, known or not (the same write; an unknown address's log is swept
        once no window counts it); an owner's log past the limit is written back as
        it was, so that requests beyond the limit do not keep extending it."""
        store = AccountsStorage(tx)
        window = self.settings.resend_window
        own = AccountsStorage.request_key(log, email)
        recent = store.requests.recent_key(own)
        found = self._find_owner(store, email)
        stand_in = self._stand_in(tx, email)
        allowed = rules.may_send(recent, now, limit=limit, window=window)
        owner = eligible(found)
        recipient = found if allowed and owner else None
        store.requests.note_key(own, now, keep=limit, count=allowed or not owner)
        return recipient, stand_in

    def _issue_for(
        self,
        tx: Transaction,
        purpose: str,
        recipient: Candidate | None,
        stand_in: StandIns,
        ttl: timedelta,
        now: datetime,
        slot: str | None = None,
    ) -> str:
        """Issue a link of ``purpose`` to ``recipient``, or a stand-in link (redeeming
        nothing) in ``stand_in`` when there is none: the same reads and writes, and
        the same records created, either way. Both note the issue under the stand-in
        key ``slot`` (``<slot>:<purpose>``; default the address's own), swept once
        no window counts it, never in the recipient's generation record, which only
        its revocations write: a pending account's activation generation would
        exist from its registration on, and its resend would update it where a
        stranger's creates a record."""
        key = stand_in.address if slot is None else slot
        if recipient is None:
            subject, into, noted = key, key, None
        else:
            subject, into, noted = recipient.candidate_id, None, key
        return self._tokens.issue(
            tx, purpose=purpose, subject=subject, ttl=ttl, now=now, into=into, noted_in=noted
        )

    def _send_for(
        self,
        tx: Transaction,
        recipient: Candidate | None,
        stand_in: StandIns,
        message: Message,
        now: datetime,
    ) -> None:
        """Write ``message`` to the outbox for ``recipient``, or as a stand-in delivered
        to nobody when there is none (the same reads and writes either way)."""
        slot = None if recipient is not None else stand_in.message(now, message.message_id)
        self._outbox().write_alike(tx, message, slot)
