"""The plumbing every accounts flow shares: the clock, units of work, history, outbox, links.

Private. Each flow module defines one class deriving from :class:`FlowBase` with
that flow's public methods; :class:`~symprogram.accounts.service.AccountsService`
is composed of them and sets the attributes declared here.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from symprogram.accounts import rules
from symprogram.accounts.models import Candidate, ContactDetails, TermsCatalogue
from symprogram.accounts.ports import MarketingConsent, PasswordHasher
from symprogram.accounts.storage import AccountsStorage
from symprogram.clock import Clock, ensure_utc
from symprogram.errors import SymprogramError, TokenError, ValidationError
from symprogram.events import DomainEvent
from symprogram.history import AccountHistory
from symprogram.ids import CandidateId
from symprogram.notify import Message, Notifier
from symprogram.persistence import Repository, Store, Transaction
from symprogram.tokens import TOKEN_KIND, TokenPurpose, TokenRecord, Tokens
from symprogram.tokens import digest as token_digest

if TYPE_CHECKING:
    from symprogram.accounts.service import AccountsSettings


__all__ = [
    "ACCOUNT_PURPOSES",
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
RESEND = "activation_resend"
RESET = "password_reset"
ACCOUNT_PURPOSES = (
    TokenPurpose.ACTIVATION,
    TokenPurpose.PASSWORD_RESET,
    TokenPurpose.EMAIL_VERIFICATION,
)
"""The token purposes whose links belong to an account (revoked when it closes)."""


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


class FlowBase:
    """What every flow uses: set by :class:`~symprogram.accounts.AccountsService`."""

    _store: Store
    _clock: Clock
    _history: AccountHistory
    _notifier: Notifier
    _hasher: PasswordHasher
    _consent: MarketingConsent | None
    _tokens: Tokens
    _dummy_hash: str | None
    catalogue: TermsCatalogue
    settings: AccountsSettings

    def _now(self) -> datetime:
        return ensure_utc(self._clock.now(), field="now")

    def _record(self, tx: Transaction, *events: DomainEvent | None) -> None:
        self._history.record_many(tx, [event for event in events if event is not None])

    def _send(self, messages: list[Message]) -> None:
        for message in messages:
            self._notifier.send(message)

    def _read(self, fn: Callable[[AccountsStorage], T]) -> T:
        with self._store.transaction(readonly=True) as tx:
            return fn(AccountsStorage(tx))

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

    @staticmethod
    def _refuse_if_erased(tx: Transaction, purpose: str, secret: str, exc: TokenError) -> None:
        # A link of an erased account was revoked by the erasure: say so plainly.
        try:
            record = Repository(tx, TOKEN_KIND, TokenRecord, key=lambda r: r.digest).find(
                token_digest(secret)
            )
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
        return rules.check_password(
            password,
            min_length=self.settings.password_min_length,
            personal=rules.personal_words(contact),
        )

    def _link_requested(
        self, store: AccountsStorage, log: str, email: str, now: datetime, limit: int, code: str
    ) -> Candidate | None:
        """Note a request for a link to ``email`` (refused with ``code`` beyond ``limit``
        within ``settings.resend_window``, the same for every address); return the
        address's owner, if any."""
        rules.enforce_rate_limit(
            store.requests.recent(log, email),
            now,
            limit=limit,
            window=self.settings.resend_window,
            code=code,
        )
        store.requests.note(log, email, now, keep=limit)
        return store.candidates.find_by_email(email)
