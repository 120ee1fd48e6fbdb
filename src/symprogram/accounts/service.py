"""The accounts service: terms, registration, activation, contact details, passwords,
score reports, notification preferences and incidents.

Every public method is one unit of work: it loads what it needs, applies the
pure rules of :mod:`symprogram.accounts.rules`, saves, appends the events to the
candidate's history, and only after the unit of work committed hands messages
to the notifier.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import Any, TypeVar

import attrs

from symprogram.accounts import _text, rules
from symprogram.accounts.events import (
    AccountErased,
    ActivationSent,
    CandidateRegistered,
    ContactDetailsReviewed,
    EmailChanged,
    EmailChangeRequested,
    IncidentMessagePosted,
    IncidentOpened,
    NotificationPreferenceChanged,
    PasswordChanged,
    PasswordResetRequested,
    RegistrationAttempted,
    ScoreReportClaimed,
    ScoreReportClaimRefused,
    TermsAccepted,
)
from symprogram.accounts.models import (
    ERASED_EMAIL,
    ERASED_TEXT,
    MARKETING_CATEGORIES,
    MAX_REASON_LENGTH,
    AcceptancePath,
    AccountErasure,
    AccountSettings,
    AccountStatus,
    Candidate,
    ContactDetails,
    Incident,
    IncidentCategory,
    IncidentMessage,
    IncidentStatus,
    MessageAuthor,
    NotificationCategory,
    NotificationPreferences,
    NotificationSetting,
    PostalAddress,
    RegistrationReceipt,
    ScoreReport,
    TermsAcceptance,
    TermsReceipt,
    erased_contact,
    normalize_email,
    normalize_registration_number,
)
from symprogram.accounts.passwords import ScryptHasher
from symprogram.accounts.ports import MarketingConsent, PasswordHasher
from symprogram.accounts.storage import EMAIL_INDEX, AccountsStorage
from symprogram.accounts.terms import TermsCatalogue
from symprogram.clock import Clock, ensure_utc
from symprogram.decisions import Decision
from symprogram.errors import (
    Conflict,
    IllegalTransition,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    SymprogramError,
    TokenError,
    ValidationError,
)
from symprogram.events import DomainEvent, Ledger, LedgerEntry
from symprogram.history import AccountHistory
from symprogram.ids import CandidateId
from symprogram.notify import Message, Notifier
from symprogram.persistence import Repository, Store, Transaction, WriteBuffer
from symprogram.tokens import GENERATION_KIND, TOKEN_KIND, TokenPurpose, TokenRecord, Tokens
from symprogram.tokens import digest as token_digest

__all__ = ["KEEP", "AccountsService", "BulkCandidate", "BulkRegistrationReport", "Keep"]

T = TypeVar("T")

TERMS_PURPOSE = "terms_acceptance"
_RESEND = "activation_resend"
_RESET = "password_reset"
_ACCOUNT_PURPOSES = (
    TokenPurpose.ACTIVATION,
    TokenPurpose.PASSWORD_RESET,
    TokenPurpose.EMAIL_VERIFICATION,
)
_EMAIL_FIELDS = ("email", "new_email", "previous_email")


def _erased_error() -> IllegalTransition:
    return IllegalTransition(
        "this account's personal data was erased; it cannot be used again",
        field="candidate_id",
        code="account_erased",
    )


class Keep(enum.Enum):
    """Type of :data:`KEEP`, the "leave this field as it is" marker."""

    KEEP = "keep"


KEEP = Keep.KEEP
"""Default of every ``update_contact_details`` argument: leave the field unchanged."""


def _candidate_key(candidate_id: object) -> str:
    if isinstance(candidate_id, CandidateId):
        return candidate_id.display
    return CandidateId.parse(candidate_id).display


def _enum_value(cls: type[T], value: object, field: str) -> T:
    try:
        return cls(value)  # type: ignore[call-arg]
    except (ValueError, TypeError) as exc:
        allowed = ", ".join(str(m) for m in cls)  # type: ignore[attr-defined]
        raise ValidationError(
            f"{field} must be one of {allowed}", field=field, code=f"invalid_{field}"
        ) from exc


def _retarget(exc: SymprogramError, field: str) -> SymprogramError:
    clone = type(exc)(exc.message, field=field, code=exc.code, details=exc.details)
    clone.__cause__ = exc
    return clone


_UNUSABLE_PREFIX = "!unusable$"
_ROW_RANDOM_BYTES = 40
"""Random bytes drawn per row of ``register_many``: 16 + 16 + 8 (see there)."""
_MAX_HASH_LENGTH = 1024


def _check_password_hash(value: object) -> str | None:
    if value is None:
        return None
    if (
        not isinstance(value, str)
        or not value
        or len(value) > _MAX_HASH_LENGTH
        or not value.isascii()
        or not value.isprintable()
        or any(ch.isspace() for ch in value)
    ):
        raise ValidationError(
            "a password hash must be printable ASCII text without spaces (at most "
            f"{_MAX_HASH_LENGTH} characters), in the format of the service's password hasher",
            field="password_hash",
            code="invalid_password_hash",
        )
    return value


@attrs.frozen
class BulkCandidate:
    """One row of :meth:`AccountsService.register_many`.

    Attributes:
        contact: the validated contact details (validated when built).
        password_hash: a hash already in the format of the service's
            :class:`~symprogram.accounts.ports.PasswordHasher` (for instance
            migrated from another system), or ``None`` for an *unusable*
            password that no hasher ever verifies: the person activates and
            then chooses a password with "Forgot password".
    """

    contact: ContactDetails = attrs.field(validator=attrs.validators.instance_of(ContactDetails))
    password_hash: str | None = attrs.field(default=None, converter=_check_password_hash)


@attrs.frozen
class BulkRegistrationReport:
    """What :meth:`AccountsService.register_many` did.

    Attributes:
        created: accounts created.
        skipped: rows whose address was already registered (or repeated in
            the input); which ones is not revealed.
        batches: units of work committed.
    """

    created: int
    skipped: int
    batches: int


class AccountsService:
    """Candidate accounts of the accreditation & certification program (seed 000).

    Args:
        store: where accounts live.
        clock: the source of "now".
        history: the account history every change is appended to.
        notifier: receives activation, reset and security e-mails after commit.
        terms: the Terms of Use versions (default: the seed's ``v.2007.507``).
        hasher: password hashing (default: :class:`ScryptHasher`).
        marketing_consent: the consent context's answer for newsletters and
            offers; without it the candidate's own choice decides.
        settings: tunables (default: :class:`AccountSettings`).
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        history: AccountHistory,
        notifier: Notifier,
        terms: TermsCatalogue | None = None,
        hasher: PasswordHasher | None = None,
        marketing_consent: MarketingConsent | None = None,
        settings: AccountSettings | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._history = history
        self._notifier = notifier
        self.terms = terms if terms is not None else TermsCatalogue.default()
        self._hasher: PasswordHasher = hasher if hasher is not None else ScryptHasher()
        self._consent = marketing_consent
        self.settings = settings if settings is not None else AccountSettings()
        self._tokens = Tokens()
        self._dummy_hash: str | None = None

    # -- plumbing ------------------------------------------------------------------------
    def _now(self) -> datetime:
        return ensure_utc(self._clock.now(), field="now")

    def _record(self, tx: Transaction, *events: DomainEvent | None) -> None:
        self._history.record_many(tx, [event for event in events if event is not None])

    def _send(self, messages: list[Message]) -> None:
        for message in messages:
            self._notifier.send(message)

    def _consume(
        self, tx: Transaction, purpose: str, secret: object, now: datetime, field: str
    ) -> str:
        if not isinstance(secret, str) or not secret:
            raise TokenError("this link is not valid", field=field, code="token_invalid")
        try:
            return self._tokens.consume(tx, purpose=purpose, secret=secret, now=now).subject
        except (TokenError, ValidationError) as exc:
            self._refuse_if_erased(tx, purpose, secret, exc)
            raise _retarget(exc, field) from exc

    def _verify_token(
        self, tx: Transaction, purpose: str, secret: object, now: datetime, field: str
    ) -> str:
        if not isinstance(secret, str) or not secret:
            raise TokenError("this link is not valid", field=field, code="token_invalid")
        try:
            return self._tokens.verify(tx, purpose=purpose, secret=secret, now=now).subject
        except (TokenError, ValidationError) as exc:
            self._refuse_if_erased(tx, purpose, secret, exc)
            raise _retarget(exc, field) from exc

    @staticmethod
    def _refuse_if_erased(tx: Transaction, purpose: str, secret: str, exc: SymprogramError) -> None:
        # A link of an erased account was revoked by the erasure: say so plainly.
        if purpose not in _ACCOUNT_PURPOSES or not isinstance(exc, TokenError):
            return
        try:
            record = Repository(tx, TOKEN_KIND, TokenRecord, key=lambda r: r.digest).find(
                token_digest(secret)
            )
        except SymprogramError:
            return
        if record is None or record.purpose != purpose:
            return
        try:
            candidate = AccountsStorage(tx).candidates.find(record.subject)
        except SymprogramError:
            return
        if candidate is not None and candidate.erased_at is not None:
            raise _erased_error() from exc

    @staticmethod
    def _require_open(candidate: Candidate) -> None:
        if candidate.erased_at is not None:
            raise _erased_error()
        if candidate.status is AccountStatus.CLOSED:
            raise IllegalTransition(
                "this account is closed", field="candidate_id", code="account_closed"
            )

    def _password_ok(self, password: object, contact: ContactDetails) -> str:
        return rules.check_password(
            password,
            min_length=self.settings.password_min_length,
            personal=rules.personal_words(contact),
        )

    def _rate_limit(
        self, store: AccountsStorage, purpose: str, email: str, now: datetime, limit: int, code: str
    ) -> None:
        decision = rules.rate_limit(
            store.requests.recent(purpose, email),
            now,
            limit=limit,
            window=self.settings.resend_window,
        )
        if not decision:
            raise LimitExceeded(
                "too many requests for this address; please try again later",
                field="email",
                code=code,
                details={"retry_at": decision.reasons[0].fact("retry_at")},
            )
        store.requests.note(purpose, email, now, keep=limit)

    def _read(self, fn: Callable[[AccountsStorage], T]) -> T:
        with self._store.transaction(readonly=True) as tx:
            return fn(AccountsStorage(tx))

    # -- read API (used by other contexts) -------------------------------------------------
    def get(self, candidate_id: str | CandidateId) -> Candidate:
        """Return a candidate's account.

        Raises:
            ValidationError: not a candidate ID (``invalid_candidate_id``).
            NotFound: no such candidate (``candidate_not_found``).
        """
        key = _candidate_key(candidate_id)
        return self._read(lambda s: s.candidates.get(key))

    def find_by_email(self, email: str) -> Candidate | None:
        """Return the account using ``email`` (staff look-up; never exposed to the public).

        Raises:
            ValidationError: not an e-mail address (``invalid_email``).
        """
        normalized = normalize_email(email)
        return self._read(lambda s: s.candidates.find_by_email(normalized))

    def contact_details(self, candidate_id: str | CandidateId) -> ContactDetails:
        """Return the current contact details: e-mail, names, postal address, language.

        Raises:
            NotFound: no such candidate (``candidate_not_found``).
        """
        return self.get(candidate_id).contact

    def terms_status(self, candidate_id: str | CandidateId) -> Decision:
        """Whether the candidate accepted the Terms of Use in effect now, as a Decision.

        Reasons: ``terms_accepted``, ``terms_not_accepted``, ``terms_outdated``.
        """
        candidate = self.get(candidate_id)
        now = self._now()
        return rules.terms_status(candidate.terms, self.terms.current(now), now)

    def has_accepted_current_terms(self, candidate_id: str | CandidateId) -> bool:
        """Whether the candidate accepted the Terms of Use version currently in effect.

        Registering, claiming a report and publishing a certification are refused
        until it is ``True``.
        """
        return bool(self.terms_status(candidate_id))

    def history(self, candidate_id: str | CandidateId) -> list[LedgerEntry]:
        """Return the candidate's account history, oldest first ("audit your account history")."""
        return self._history.read(_candidate_key(candidate_id))

    # -- terms of use ---------------------------------------------------------------------
    def accept_terms(
        self,
        *,
        path: AcceptancePath | str,
        candidate_id: str | CandidateId | None = None,
        terms_version: str | None = None,
    ) -> TermsReceipt:
        """Record that the Terms of Use in effect now were accepted along ``path``.

        Acceptance "simply acknowledges that you have reviewed this information
        - it does not constitute any agreements of participation" (seed 000).

        A person accepts *before* they have an account: without
        ``candidate_id`` the acceptance is stored unbound and the receipt
        carries a single-use ``token`` (valid for
        ``settings.terms_receipt_ttl``) that :meth:`register` requires; the
        acceptance is bound to the new account there. With ``candidate_id`` (an
        existing account accepting a newer version) it is recorded into the
        account at once and the receipt has no token.

        Args:
            path: ``create_account`` or ``score_report``.
            candidate_id: an existing account, if any.
            terms_version: the version the person saw; refused if it is not
                the one in effect now.

        Raises:
            ValidationError: unknown path (``invalid_path``), a version that is
                not current (``terms_version_not_current``).
            NotFound: no terms in effect (``no_terms_in_effect``) or no such candidate.
            IllegalTransition: the account is closed (``account_closed``).
        """
        chosen = _enum_value(AcceptancePath, path, "path")
        key = None if candidate_id is None else _candidate_key(candidate_id)
        now = self._now()
        current = self.terms.current(now)
        if terms_version is not None and terms_version != current.version:
            raise ValidationError(
                f"version {current.version} of the Terms of Use is in effect",
                field="terms_version",
                code="terms_version_not_current",
                details={"current": current.version},
            )
        if chosen not in current.acceptance_paths:
            raise ValidationError(
                f"terms {current.version} do not offer the {chosen} path",
                field="path",
                code="invalid_path",
            )
        acceptance = TermsAcceptance(
            acceptance_id=secrets.token_hex(16),
            terms_version=current.version,
            terms_digest=current.digest,
            path=chosen,
            accepted_at=now,
            candidate_id=key,
        )
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            if key is None:
                stored = store.acceptances.add(acceptance)
                token = self._tokens.issue(
                    tx,
                    purpose=TERMS_PURPOSE,
                    subject=acceptance.acceptance_id,
                    ttl=self.settings.terms_receipt_ttl,
                    now=now,
                )
                return TermsReceipt(stored, token, now + self.settings.terms_receipt_ttl)
            candidate = store.candidates.get(key)
            self._require_open(candidate)
            stored = store.acceptances.add(acceptance)
            store.candidates.save(attrs.evolve(candidate, terms=stored))
            self._record(tx, self._accepted_event(key, stored))
        return TermsReceipt(stored)

    @staticmethod
    def _accepted_event(key: str, acceptance: TermsAcceptance) -> TermsAccepted:
        return TermsAccepted(
            key,
            acceptance.accepted_at,
            acceptance_id=acceptance.acceptance_id,
            terms_version=acceptance.terms_version,
            terms_digest=acceptance.terms_digest,
            path=str(acceptance.path),
            accepted_at=acceptance.accepted_at,
        )

    # -- registration and activation ----------------------------------------------------
    def register(
        self,
        *,
        terms_receipt: str,
        email: str,
        password: str,
        given_name: str,
        family_name: str,
        company_name: str,
        partner_company: str,
        preferred_language: str,
        phone: str | None = None,
        postal_address: PostalAddress | None = None,
    ) -> RegistrationReceipt:
        """Create an account pending activation, or quietly notify an existing owner.

        The receipt has the same shape whether ``email`` was new or already
        registered; it never carries the candidate ID (see
        :class:`RegistrationReceipt`). For a new address a candidate ID is issued
        and an ``activation`` message (token, candidate ID) is sent; for a known
        one its owner gets a ``registration_attempt`` notice instead and nothing
        else changes. The terms receipt is used up in both cases.

        Args:
            terms_receipt: the token of :meth:`accept_terms` ("I agree to these terms").
            email: the address (normalized with email-validator, no network).
            password: checked against the password policy.
            given_name: given name.
            family_name: family name.
            company_name: company name.
            partner_company: partner company.
            preferred_language: a BCP 47 tag (e.g. ``"de"``, ``"pt-BR"``).
            phone: optional telephone number.
            postal_address: optional postal address.

        Raises:
            ValidationError: a bad field (``invalid_email``, ``unknown_language``,
                ``field_required``, ``control_characters``, password codes ...).
            LimitExceeded: a field too long (``text_too_long``).
            PermissionDenied: no terms receipt (``terms_not_accepted``) or one for
                superseded terms (``terms_outdated``).
            TokenError: an unknown, used or expired receipt (``token_invalid``,
                ``token_used``, ``token_expired``; field ``terms_receipt``).
        """
        contact = ContactDetails(
            email=email,
            given_name=given_name,
            family_name=family_name,
            company_name=company_name,
            partner_company=partner_company,
            preferred_language=preferred_language,
            phone=phone,
            postal_address=postal_address,
        )
        self._password_ok(password, contact)
        if terms_receipt is None or terms_receipt == "":
            raise PermissionDenied(
                "accept the Terms of Use before creating an account",
                field="terms_receipt",
                code="terms_not_accepted",
            )
        encoded = self._hasher.hash(password)
        now = self._now()
        current = self.terms.current(now)
        reference = secrets.token_hex(8).upper()
        outbox: list[Message] = []
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            acceptance_id = self._consume(tx, TERMS_PURPOSE, terms_receipt, now, "terms_receipt")
            acceptance = store.acceptances.find(acceptance_id)
            if acceptance is None or acceptance.candidate_id is not None:
                raise TokenError(
                    "this link is not valid", field="terms_receipt", code="token_invalid"
                )
            decision = rules.terms_status(acceptance, current, now)
            if not decision:
                raise PermissionDenied(
                    decision.reasons[0].message, field="terms_receipt", code=decision.codes[0]
                )
            owner = store.candidates.find_by_email(contact.email)
            if owner is not None:
                self._record(tx, RegistrationAttempted(owner.candidate_id, now))
                outbox.append(
                    Message(
                        to=owner.contact.email,
                        kind="registration_attempt",
                        subject="Somebody tried to create an account with your address",
                        body=(
                            "An account already exists for this e-mail address. If it was you, "
                            "log in, or reset your password with 'Forgot password'. "
                            "If it was not you, you can ignore this message."
                        ),
                        data={"reference": reference, "candidate_id": owner.candidate_id},
                    )
                )
            else:
                candidate, token, expires = self._open_account(
                    tx, store, acceptance, contact, encoded, now
                )
                outbox.append(self._activation_message(candidate, token, expires, reference))
        self._send(outbox)
        return RegistrationReceipt(email=contact.email, requested_at=now, reference=reference)

    def _new_candidate_id(self, store: AccountsStorage, drawn: Iterator[str] | None = None) -> str:
        for _ in range(8):
            key = (drawn is not None and next(drawn, None)) or CandidateId.generate().display
            if store.candidates.find(key) is None:
                return key
        raise Conflict("could not draw a free candidate ID", code="candidate_id_exhausted")

    @staticmethod
    def _activation_message(
        candidate: Candidate, token: str, expires: datetime, reference: str | None = None
    ) -> Message:
        return Message(
            to=candidate.contact.email,
            kind="activation",
            subject="Activate your account",
            body=(
                f"Welcome, {candidate.contact.given_name}. Your candidate ID is "
                f"{candidate.candidate_id}. Follow the activation link to complete the account "
                f"activation process; it works once, until {expires.isoformat()}."
            ),
            data={
                "token": token,
                "candidate_id": candidate.candidate_id,
                "expires_at": expires.isoformat(),
                "reference": reference,
            },
        )

    def _open_account(
        self,
        tx: Transaction,
        store: AccountsStorage,
        acceptance: TermsAcceptance,
        contact: ContactDetails,
        encoded: str,
        now: datetime,
        drawn: Iterator[str] | None = None,
    ) -> tuple[Candidate, str, datetime]:
        """Create a new account pending activation inside ``tx``.

        Issues a candidate ID, binds ``acceptance`` to it, stores the candidate,
        its password hash (``encoded``) and an activation token, and records
        ``terms_accepted``, ``candidate_registered`` and ``activation_sent``.
        Returns the candidate, the activation token and when it expires.
        ``drawn``: candidate IDs to try first (drawn at random beforehand).
        """
        key = self._new_candidate_id(store, drawn)
        bound = store.acceptances.save(attrs.evolve(acceptance, candidate_id=key))
        candidate, expires = self._store_account(tx, store, bound, contact, encoded, now)
        token = self._tokens.issue(
            tx,
            purpose=TokenPurpose.ACTIVATION,
            subject=key,
            ttl=self.settings.activation_ttl,
            now=now,
        )
        return candidate, token, expires

    def _store_account(
        self,
        tx: Transaction,
        store: AccountsStorage,
        bound: TermsAcceptance,
        contact: ContactDetails,
        encoded: str,
        now: datetime,
    ) -> tuple[Candidate, datetime]:
        """Store the candidate of the stored acceptance ``bound`` (bound to its new
        candidate ID), its password hash and its history entries ``terms_accepted``,
        ``candidate_registered`` and ``activation_sent`` inside ``tx``; everything
        :meth:`_open_account` does but the activation token. Returns the candidate
        and when its activation token expires."""
        key = bound.candidate_id
        assert key is not None  # bound to the new candidate ID by the caller
        candidate = Candidate(
            candidate_id=key,
            status=AccountStatus.PENDING_ACTIVATION,
            contact=contact,
            registered_at=now,
            status_changed_at=now,
            contact_reviewed_at=now,
            terms=bound,
        )
        store.candidates.add(candidate)
        store.credentials.add(key, encoded, now)
        expires = now + self.settings.activation_ttl
        self._record(
            tx,
            self._accepted_event(key, bound),
            CandidateRegistered(
                key,
                now,
                email=contact.email,
                given_name=contact.given_name,
                family_name=contact.family_name,
                company_name=contact.company_name,
                partner_company=contact.partner_company,
                preferred_language=contact.preferred_language,
            ),
            ActivationSent(key, now, expires_at=expires),
        )
        return candidate, expires

    def register_many(
        self,
        rows: Iterable[BulkCandidate | ContactDetails],
        *,
        terms_accepted_path: AcceptancePath | str = AcceptancePath.CREATE_ACCOUNT,
        batch_size: int = 1000,
    ) -> BulkRegistrationReport:
        """Register many candidates at once (an operator's bulk import).

        Every row is checked before anything is written. Then the rows are
        written in batches of ``batch_size``, each batch ONE unit of work
        leaving exactly what :meth:`accept_terms` + :meth:`register` leave for
        a new address: the bound terms acceptance, the candidate, the e-mail
        index entry, the credential, the activation token, and the history
        entries ``terms_accepted``, ``candidate_registered`` and
        ``activation_sent``; each batch's ``activation`` messages are sent
        after it committed. The one difference: no terms *receipt* token is
        issued and used up, since the operator attests that the people accepted
        the Terms of Use in effect now along ``terms_accepted_path`` ("I agree
        to these terms", seed 000).

        A row whose address is already registered, or repeats an earlier row,
        is skipped without any change or message; the report only counts them,
        so it never reveals which addresses exist.

        Each batch is read and written with a few batched store calls
        (:class:`~symprogram.persistence.WriteBuffer`): the addresses, the drawn
        candidate IDs, token states and history heads are looked up once per
        batch, and the records, index entries and history entries are sent with
        the store's batch methods, one statement or round trip per table on the
        SQLite and SQL adapters. The activation tokens are issued with
        :meth:`~symprogram.tokens.Tokens.issue_many`, and the batch's other random
        values (acceptance IDs, unusable passwords, message references) are drawn
        in one call.

        Args:
            rows: :class:`BulkCandidate` rows (or bare :class:`ContactDetails`,
                which get an unusable password).
            terms_accepted_path: the acceptance path recorded (``create_account``
                or ``score_report``).
            batch_size: rows per unit of work (a positive integer).

        Raises:
            ValidationError: a row that is not a ``BulkCandidate`` or
                ``ContactDetails`` (``invalid_row``, details ``row``), a bad batch
                size (``invalid_batch_size``), an unknown path
                (``invalid_terms_accepted_path``) or one the terms in effect do not
                offer (``invalid_path``).
            NotFound: no terms in effect (``no_terms_in_effect``).
            Conflict: an address of the batch was registered concurrently by another
                unit of work (``email_taken``); that batch is rolled back, batches
                committed before stay (running the same rows again skips them).
            StorageError: the storage failed; batches committed before stay.
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValidationError(
                "the batch size must be a positive integer",
                field="batch_size",
                code="invalid_batch_size",
            )
        chosen = _enum_value(AcceptancePath, terms_accepted_path, "terms_accepted_path")
        checked: list[BulkCandidate] = []
        for number, row in enumerate(rows):
            if isinstance(row, ContactDetails):
                checked.append(BulkCandidate(row))
            elif isinstance(row, BulkCandidate):
                checked.append(row)
            else:
                raise ValidationError(
                    f"row {number} is not a BulkCandidate or ContactDetails",
                    field="rows",
                    code="invalid_row",
                    details={"row": number},
                )
        in_effect = self.terms.current(self._now())
        if chosen not in in_effect.acceptance_paths:
            raise ValidationError(
                f"terms {in_effect.version} do not offer the {chosen} path",
                field="terms_accepted_path",
                code="invalid_path",
            )
        created = skipped = batches = 0
        seen: set[str] = set()
        for start in range(0, len(checked), batch_size):
            now = self._now()
            current = self.terms.current(now)
            if chosen not in current.acceptance_paths:
                raise ValidationError(
                    f"terms {current.version} do not offer the {chosen} path",
                    field="terms_accepted_path",
                    code="invalid_path",
                )
            outbox: list[Message] = []
            added: list[str] = []
            opened: list[tuple[Candidate, int]] = []
            rows = checked[start : start + batch_size]
            # Drawn ahead so that the candidate IDs and every record keyed by them
            # are read in one batch each; the writes are sent in batches by flush().
            drawn = [CandidateId.generate().display for _ in rows]
            # The random hex of every row's acceptance ID (16 bytes), unusable
            # password (16) and message reference (8), what secrets.token_hex gives,
            # drawn in one call.
            randoms = secrets.token_bytes(_ROW_RANDOM_BYTES * len(rows)).hex()
            with self._store.transaction() as tx:
                buffer = WriteBuffer(tx)
                store = AccountsStorage(buffer)
                buffer.preload_index(EMAIL_INDEX, [_text.email_key(r.contact.email) for r in rows])
                buffer.preload("candidate", drawn)
                buffer.preload(GENERATION_KIND, [f"{TokenPurpose.ACTIVATION}:{k}" for k in drawn])
                buffer.preload(Ledger.HEAD_KIND, [self._history.ledger.stream(k) for k in drawn])
                pool = iter(drawn)
                expires = now + self.settings.activation_ttl
                for number, row in enumerate(rows):
                    contact = row.contact
                    email_key = _text.email_key(contact.email)
                    if email_key in seen or store.candidates.find_key_by_email(contact.email):
                        continue
                    added.append(email_key)
                    at = 2 * _ROW_RANDOM_BYTES * number
                    key = self._new_candidate_id(store, pool)
                    # Stored at version 2 with the candidate ID, as accept_terms (added
                    # unbound) and then register (bound) leave it. Built once, bound,
                    # encoded once: added, then its stored text saved again.
                    bound = TermsAcceptance(
                        acceptance_id=randoms[at : at + 32],
                        terms_version=current.version,
                        terms_digest=current.digest,
                        path=chosen,
                        accepted_at=now,
                        candidate_id=key,
                        version=2,
                    )
                    first = store.acceptances.add(bound)
                    stored = buffer.load(store.acceptances.kind, bound.acceptance_id)
                    assert stored is not None  # just added to the buffer
                    saved = buffer.save(stored.kind, stored.key, stored.data, first.version)
                    assert saved == bound.version
                    encoded = row.password_hash
                    if encoded is None:
                        encoded = _UNUSABLE_PREFIX + randoms[at + 32 : at + 64]
                    candidate, _ = self._store_account(buffer, store, bound, contact, encoded, now)
                    opened.append((candidate, at))
                tokens = self._tokens.issue_many(
                    buffer,
                    purpose=TokenPurpose.ACTIVATION,
                    subjects=[candidate.candidate_id for candidate, _ in opened],
                    ttl=self.settings.activation_ttl,
                    now=now,
                )
                for (candidate, at), token in zip(opened, tokens, strict=True):
                    outbox.append(
                        self._activation_message(
                            candidate, token, expires, randoms[at + 64 : at + 80].upper()
                        )
                    )
                try:
                    buffer.flush()
                except Conflict as exc:
                    if exc.code != "duplicate":
                        raise
                    # The only index written here: an address taken concurrently.
                    raise Conflict(
                        "this e-mail address is taken", field="email", code="email_taken"
                    ) from exc
            seen.update(added)
            batches += 1
            created += len(added)
            skipped += min(batch_size, len(checked) - start) - len(added)
            self._send(outbox)
        return BulkRegistrationReport(created=created, skipped=skipped, batches=batches)

    def activate(self, token: str) -> Candidate:
        """Complete activation with the token from the activation e-mail.

        Returns:
            the active account (its ``candidate_id`` can now be shown).

        Raises:
            TokenError: ``token_invalid``, ``token_used``, ``token_revoked`` or
                ``token_expired`` (field ``token``).
            IllegalTransition: the account is no longer pending (``illegal_transition``).
        """
        now = self._now()
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            key = self._consume(tx, TokenPurpose.ACTIVATION, token, now, "token")
            candidate, event = rules.change_status(
                store.candidates.get(key), AccountStatus.ACTIVE, now
            )
            candidate = store.candidates.save(candidate)
            self._record(tx, event)
        self._send(
            [
                Message(
                    to=candidate.contact.email,
                    kind="account_activated",
                    subject="Your account is active",
                    body=f"Your account {candidate.candidate_id} is now active.",
                    data={"candidate_id": candidate.candidate_id},
                )
            ]
        )
        return candidate

    def resend_activation(self, email: str) -> None:
        """Send a fresh activation link if ``email`` belongs to an account pending activation.

        Says nothing about whether it does: the answer and the limit are the
        same for every address. Earlier links stay valid until they expire.

        Raises:
            ValidationError: not an e-mail address (``invalid_email``).
            LimitExceeded: more than ``settings.resend_limit`` requests for this
                address within ``settings.resend_window`` (``resend_limit_reached``).
        """
        normalized = normalize_email(email)
        now = self._now()
        outbox: list[Message] = []
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            self._rate_limit(
                store, _RESEND, normalized, now, self.settings.resend_limit, "resend_limit_reached"
            )
            candidate = store.candidates.find_by_email(normalized)
            if candidate is not None and candidate.status is AccountStatus.PENDING_ACTIVATION:
                token = self._tokens.issue(
                    tx,
                    purpose=TokenPurpose.ACTIVATION,
                    subject=candidate.candidate_id,
                    ttl=self.settings.activation_ttl,
                    now=now,
                )
                expires = now + self.settings.activation_ttl
                self._record(tx, ActivationSent(candidate.candidate_id, now, expires_at=expires))
                outbox.append(self._activation_message(candidate, token, expires))
        self._send(outbox)

    # -- life cycle ---------------------------------------------------------------------
    def _change_status(
        self,
        candidate_id: str | CandidateId,
        target: AccountStatus,
        reason: str | None,
        *,
        require: AccountStatus | None = None,
    ) -> Candidate:
        key = _candidate_key(candidate_id)
        text = None if reason is None else _text.optional_line(reason, "reason", MAX_REASON_LENGTH)
        now = self._now()
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            current = store.candidates.get(key)
            if current.erased_at is not None:
                raise _erased_error()
            if require is not None and current.status is not require:
                raise IllegalTransition(
                    f"only a {require} account can become {target} this way",
                    field="status",
                    code="illegal_transition",
                    details={"from": str(current.status), "to": str(target)},
                )
            candidate, event = rules.change_status(current, target, now, reason=text)
            candidate = store.candidates.save(candidate)
            if target is AccountStatus.CLOSED:
                for purpose in (
                    TokenPurpose.ACTIVATION,
                    TokenPurpose.PASSWORD_RESET,
                    TokenPurpose.EMAIL_VERIFICATION,
                ):
                    self._tokens.revoke_all(tx, purpose=purpose, subject=key)
            self._record(tx, event)
        self._send(
            [
                Message(
                    to=candidate.contact.email,
                    kind=f"account_{target}",
                    subject=f"Your account is {target}",
                    body=f"Your account {key} is now {target}."
                    + (f" Reason: {text}" if text else ""),
                    data={"candidate_id": key, "status": str(target), "reason": text},
                )
            ]
        )
        return candidate

    def suspend(self, candidate_id: str | CandidateId, reason: str) -> Candidate:
        """Suspend an active account (staff).

        Raises:
            IllegalTransition: the account is not active (``illegal_transition``).
            ValidationError / LimitExceeded: a bad reason.
        """
        _text.line(reason, "reason", MAX_REASON_LENGTH)
        return self._change_status(candidate_id, AccountStatus.SUSPENDED, reason)

    def reinstate(self, candidate_id: str | CandidateId) -> Candidate:
        """Make a suspended account active again (staff).

        Raises:
            IllegalTransition: the account is not suspended (``illegal_transition``).
        """
        return self._change_status(
            candidate_id, AccountStatus.ACTIVE, None, require=AccountStatus.SUSPENDED
        )

    def close(self, candidate_id: str | CandidateId, reason: str | None = None) -> Candidate:
        """Close an account for good; every outstanding link dies. The address stays reserved.

        Raises:
            IllegalTransition: already closed (``illegal_transition``).
        """
        return self._change_status(candidate_id, AccountStatus.CLOSED, reason)

    # -- passwords ----------------------------------------------------------------------
    def authenticate(self, email: str, password: str) -> Candidate:
        """Check a log-in and return the account.

        Raises:
            PermissionDenied: unknown address or wrong password (both
                ``invalid_credentials``), or an account that is not active
                (``account_pending_activation``, ``account_suspended``,
                ``account_closed``; only after a correct password).
        """
        denied = PermissionDenied(
            "the e-mail address or password is wrong", field="password", code="invalid_credentials"
        )
        try:
            normalized = normalize_email(email)
        except ValidationError:
            raise denied from None
        if not isinstance(password, str):
            raise denied

        def load(store: AccountsStorage) -> tuple[Candidate | None, str | None]:
            found = store.candidates.find_by_email(normalized)
            return found, None if found is None else store.credentials.password_hash(
                found.candidate_id
            )

        candidate, encoded = self._read(load)
        if candidate is None or encoded is None:
            if self._dummy_hash is None:
                self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
            self._hasher.verify(password, self._dummy_hash)
            raise denied
        if not self._hasher.verify(password, encoded):
            raise denied
        if candidate.status is not AccountStatus.ACTIVE:
            raise PermissionDenied(
                f"this account is {candidate.status}",
                field="candidate_id",
                code=f"account_{candidate.status}",
            )
        return candidate

    def _password_changed(
        self,
        tx: Transaction,
        store: AccountsStorage,
        candidate: Candidate,
        encoded: str,
        now: datetime,
        method: str,
    ) -> Message:
        store.credentials.set_password_hash(candidate.candidate_id, encoded, now)
        self._tokens.revoke_all(
            tx, purpose=TokenPurpose.PASSWORD_RESET, subject=candidate.candidate_id
        )
        self._record(tx, PasswordChanged(candidate.candidate_id, now, method=method))
        return Message(
            to=candidate.contact.email,
            kind="password_changed",
            subject="Your password was changed",
            body="Your password was changed. If this was not you, contact customer support.",
            data={"candidate_id": candidate.candidate_id, "method": method},
        )

    def change_password(
        self, candidate_id: str | CandidateId, current_password: str, new_password: str
    ) -> None:
        """Change the password of a logged-in candidate; outstanding reset links die.

        Raises:
            PermissionDenied: wrong current password (``invalid_credentials``).
            ValidationError: the new password breaks the policy (password codes).
            IllegalTransition: the account is closed (``account_closed``).
        """
        key = _candidate_key(candidate_id)
        candidate = self.get(key)
        self._require_open(candidate)
        encoded_now = self._read(lambda s: s.credentials.password_hash(key))
        if (
            not isinstance(current_password, str)
            or encoded_now is None
            or not self._hasher.verify(current_password, encoded_now)
        ):
            raise PermissionDenied(
                "the current password is wrong",
                field="current_password",
                code="invalid_credentials",
            )
        self._password_ok(new_password, candidate.contact)
        encoded = self._hasher.hash(new_password)
        now = self._now()
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            fresh = store.candidates.get(key)
            self._require_open(fresh)
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
        outbox: list[Message] = []
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            self._rate_limit(
                store, _RESET, normalized, now, self.settings.reset_limit, "reset_limit_reached"
            )
            candidate = store.candidates.find_by_email(normalized)
            if candidate is not None and candidate.status is not AccountStatus.CLOSED:
                token = self._tokens.issue(
                    tx,
                    purpose=TokenPurpose.PASSWORD_RESET,
                    subject=candidate.candidate_id,
                    ttl=self.settings.reset_ttl,
                    now=now,
                )
                expires = now + self.settings.reset_ttl
                self._record(
                    tx, PasswordResetRequested(candidate.candidate_id, now, expires_at=expires)
                )
                outbox.append(
                    Message(
                        to=candidate.contact.email,
                        kind="password_reset",
                        subject="Reset your password",
                        body=(
                            "Follow the link to choose a new password. It works once, until "
                            f"{expires.isoformat()}. If you did not ask, ignore this message."
                        ),
                        data={
                            "token": token,
                            "candidate_id": candidate.candidate_id,
                            "expires_at": expires.isoformat(),
                        },
                    )
                )
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
        self._require_open(candidate)
        self._password_ok(new_password, candidate.contact)
        encoded = self._hasher.hash(new_password)
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            self._consume(tx, TokenPurpose.PASSWORD_RESET, token, now, "token")
            fresh = store.candidates.get(key)
            self._require_open(fresh)
            message = self._password_changed(tx, store, fresh, encoded, now, "reset")
        self._send([message])

    # -- contact details ----------------------------------------------------------------
    def update_contact_details(
        self,
        candidate_id: str | CandidateId,
        *,
        given_name: str | Keep = KEEP,
        family_name: str | Keep = KEEP,
        company_name: str | Keep = KEEP,
        partner_company: str | Keep = KEEP,
        preferred_language: str | Keep = KEEP,
        phone: str | Keep | None = KEEP,
        postal_address: PostalAddress | Keep | None = KEEP,
    ) -> Candidate:
        """Change contact details ("Update Personal Info"); each change goes to the history.

        Arguments left at :data:`KEEP` are unchanged; ``None`` clears ``phone``
        or ``postal_address``. The e-mail address changes through
        :meth:`request_email_change`. An update also counts as a review.

        Raises:
            ValidationError / LimitExceeded: a bad value (the field's code).
            IllegalTransition: the account is closed (``account_closed``).
        """
        key = _candidate_key(candidate_id)
        given: dict[str, Any] = {
            "given_name": given_name,
            "family_name": family_name,
            "company_name": company_name,
            "partner_company": partner_company,
            "preferred_language": preferred_language,
            "phone": phone,
            "postal_address": postal_address,
        }
        changes = {k: v for k, v in given.items() if v is not KEEP}
        now = self._now()
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            candidate = store.candidates.get(key)
            self._require_open(candidate)
            updated, event = rules.apply_contact_changes(candidate, changes, now)
            updated = store.candidates.save(updated)
            self._record(tx, event or ContactDetailsReviewed(key, now))
        return updated

    def confirm_contact_details(self, candidate_id: str | CandidateId) -> Candidate:
        """Record that the candidate reviewed their details and they are still current.

        Raises:
            IllegalTransition: the account is closed (``account_closed``).
        """
        return self.update_contact_details(candidate_id)

    def contact_review(self, candidate_id: str | CandidateId) -> Decision:
        """Whether the contact details are due for review ("keep your contact information
        current"); denied with ``contact_review_due`` after ``settings.contact_review_period``.
        """
        candidate = self.get(candidate_id)
        return rules.contact_review(candidate, self._now(), self.settings.contact_review_period)

    def contact_reviews_due(self) -> Iterator[str]:
        """Yield the IDs of open accounts whose contact details are due for review."""
        now = self._now()
        period = self.settings.contact_review_period
        after: list[Candidate] = self._read(lambda s: list(s.candidates.iterate()))
        for candidate in after:
            if candidate.status is AccountStatus.CLOSED:
                continue
            if not rules.contact_review(candidate, now, period):
                yield candidate.candidate_id

    def request_email_change(self, candidate_id: str | CandidateId, new_email: str) -> None:
        """Start changing the address; it takes effect only once the new address is verified.

        A ``email_verification`` message (token) goes to the new address and a
        security notice to the current one. If the new address already belongs
        to another account, that account's owner is told instead and no link is
        issued; the caller sees the same outcome either way.

        Raises:
            ValidationError: not an e-mail address (``invalid_email``) or the
                current one (``email_unchanged``).
            IllegalTransition: the account is closed (``account_closed``).
        """
        key = _candidate_key(candidate_id)
        normalized = normalize_email(new_email, field="new_email")
        now = self._now()
        outbox: list[Message] = []
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            candidate = store.candidates.get(key)
            self._require_open(candidate)
            if _text.email_key(normalized) == _text.email_key(candidate.contact.email):
                raise ValidationError(
                    "this is already the account's address",
                    field="new_email",
                    code="email_unchanged",
                )
            owner = store.candidates.find_by_email(normalized)
            if owner is not None:
                outbox.append(
                    Message(
                        to=owner.contact.email,
                        kind="email_in_use_attempt",
                        subject="Somebody tried to use your address",
                        body="Another account asked to use this address; nothing was changed.",
                        data={},
                    )
                )
            else:
                self._tokens.revoke_all(tx, purpose=TokenPurpose.EMAIL_VERIFICATION, subject=key)
                token = self._tokens.issue(
                    tx,
                    purpose=TokenPurpose.EMAIL_VERIFICATION,
                    subject=key,
                    ttl=self.settings.email_verification_ttl,
                    now=now,
                )
                store.candidates.save(attrs.evolve(candidate, pending_email=normalized))
                self._record(tx, EmailChangeRequested(key, now, new_email=normalized))
                expires = now + self.settings.email_verification_ttl
                outbox.append(
                    Message(
                        to=normalized,
                        kind="email_verification",
                        subject="Confirm your new e-mail address",
                        body="Follow the link to confirm this address for your account.",
                        data={
                            "token": token,
                            "candidate_id": key,
                            "expires_at": expires.isoformat(),
                        },
                    )
                )
                outbox.append(
                    Message(
                        to=candidate.contact.email,
                        kind="email_change_requested",
                        subject="A new e-mail address was given for your account",
                        body=(
                            "A change of your account's e-mail address was requested. It takes "
                            "effect once the new address is confirmed. If this was not you, "
                            "contact customer support."
                        ),
                        data={"candidate_id": key},
                    )
                )
        self._send(outbox)

    def confirm_email_change(self, token: str) -> Candidate:
        """Verify the new address with its token and make it the account's address.

        Outstanding password reset and e-mail verification links die.

        Raises:
            TokenError: ``token_invalid``, ``token_used``, ``token_revoked`` or
                ``token_expired`` (field ``token``).
            Conflict: the address was taken meanwhile (``email_taken``).
            IllegalTransition: the account is closed (``account_closed``).
        """
        now = self._now()
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            key = self._consume(tx, TokenPurpose.EMAIL_VERIFICATION, token, now, "token")
            candidate = store.candidates.get(key)
            self._require_open(candidate)
            new_email = candidate.pending_email
            if new_email is None:
                raise TokenError("this link is not valid", field="token", code="token_invalid")
            old_email = candidate.contact.email
            store.candidates.move_email(candidate, old_email, new_email)
            updated = attrs.evolve(
                candidate,
                contact=attrs.evolve(candidate.contact, email=new_email),
                pending_email=None,
                contact_reviewed_at=now,
            )
            updated = store.candidates.save(updated)
            for purpose in (TokenPurpose.PASSWORD_RESET, TokenPurpose.EMAIL_VERIFICATION):
                self._tokens.revoke_all(tx, purpose=purpose, subject=key)
            self._record(tx, EmailChanged(key, now, previous_email=old_email, email=new_email))
        self._send(
            [
                Message(
                    to=address,
                    kind="email_changed",
                    subject="Your account's e-mail address changed",
                    body=f"The address of account {key} is now {new_email}.",
                    data={"candidate_id": key},
                )
                for address in (old_email, new_email)
            ]
        )
        return updated

    # -- score reports -------------------------------------------------------------------
    def record_score_report(
        self,
        *,
        registration_number: str,
        exam_code: str,
        candidate_name: str,
        email: str,
        score: int,
        passing_score: int,
        exam_date: date,
        test_centre: str,
    ) -> ScoreReport:
        """Record an exam score report (staff or import), before any account needs to exist.

        Raises:
            ValidationError / LimitExceeded: a bad field.
            Conflict: the registration number is already recorded (``score_report_exists``).
        """
        report = ScoreReport(
            registration_number=registration_number,
            exam_code=exam_code,
            candidate_name=candidate_name,
            email=email,
            score=score,
            passing_score=passing_score,
            exam_date=exam_date,
            test_centre=test_centre,
            recorded_at=self._now(),
        )
        with self._store.transaction() as tx:
            return AccountsStorage(tx).score_reports.add(report)

    def get_score_report(self, registration_number: str) -> ScoreReport:
        """Return a recorded report (staff).

        Raises:
            NotFound: unknown registration number (``score_report_not_found``).
        """
        number = normalize_registration_number(registration_number)
        return self._read(lambda s: s.score_reports.get(number))

    def score_reports(self, candidate_id: str | CandidateId) -> list[ScoreReport]:
        """Return the score reports the candidate claimed, in claim order."""
        candidate = self.get(candidate_id)
        return self._read(
            lambda s: [s.score_reports.get(number) for number in candidate.score_reports]
        )

    def claim_score_report(
        self,
        candidate_id: str | CandidateId,
        registration_number: str,
        email: str | None = None,
        name: str | None = None,
    ) -> ScoreReport:
        """Claim a score report into an account, by proof ("I have a Score Report").

        The proof is the registration number plus the e-mail address or the name
        on the report. A report can be claimed once. A second claim by another
        account is refused *and* opens a support incident for the claimant, which
        is committed before the refusal is raised; the same account claiming
        again is refused without an incident.

        Raises:
            PermissionDenied: the account is not active (``account_not_active``),
                the current terms are not accepted (``terms_not_accepted`` /
                ``terms_outdated``), or the number and proof do not match a report
                (``score_report_proof_mismatch``; unknown numbers look the same).
            ValidationError: neither ``email`` nor ``name`` (``proof_required``),
                or a malformed value.
            Conflict: already claimed (``score_report_already_claimed``; details
                ``incident_id`` when an incident was opened).
        """
        key = _candidate_key(candidate_id)
        number = normalize_registration_number(registration_number)
        proof_email = None if email is None else normalize_email(email)
        proof_name = None if name is None else _text.line(name, "name", 200)
        if proof_email is None and proof_name is None:
            raise ValidationError(
                "give the e-mail address or the name printed on the score report",
                field="email",
                code="proof_required",
            )
        now = self._now()
        current = self.terms.current(now)
        refusal: Conflict | None = None
        outbox: list[Message] = []
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            candidate = store.candidates.get(key)
            if candidate.status is not AccountStatus.ACTIVE:
                raise PermissionDenied(
                    f"this account is {candidate.status}",
                    field="candidate_id",
                    code="account_not_active",
                )
            terms = rules.terms_status(candidate.terms, current, now)
            if not terms:
                raise PermissionDenied(
                    terms.reasons[0].message, field="candidate_id", code=terms.codes[0]
                )
            report = store.score_reports.find(number)
            if report is None or not rules.score_report_proof(
                report, email=proof_email, name=proof_name
            ):
                raise PermissionDenied(
                    "the registration number and details do not match a score report",
                    field="registration_number",
                    code="score_report_proof_mismatch",
                )
            try:
                claimed = rules.claim_report(report, key, now)
            except Conflict as exc:
                if report.claimed_by == key:
                    raise
                incident = self._new_incident(
                    key,
                    title=f"Score report {number} was already claimed",
                    category=IncidentCategory.SCORE_REPORT,
                    body=(
                        f"A claim of score report {number} was refused because another account "
                        "already claimed it. Customer support will follow up."
                    ),
                    author=MessageAuthor.SUPPORT,
                    at=now,
                    details=(("registration_number", number),),
                )
                store.incidents.add(incident)
                store.candidates.save(
                    attrs.evolve(candidate, incidents=(*candidate.incidents, incident.incident_id))
                )
                self._record(
                    tx,
                    IncidentOpened(
                        key,
                        now,
                        incident_id=incident.incident_id,
                        category=str(incident.category),
                        title=incident.title,
                    ),
                    ScoreReportClaimRefused(
                        key, now, registration_number=number, incident_id=incident.incident_id
                    ),
                )
                refusal = Conflict(
                    exc.message,
                    field="registration_number",
                    code="score_report_already_claimed",
                    details={"registration_number": number, "incident_id": incident.incident_id},
                )
                outbox.append(self._incident_message(candidate, incident, "incident_opened"))
            else:
                claimed = store.score_reports.save(claimed)
                store.candidates.save(
                    attrs.evolve(candidate, score_reports=(*candidate.score_reports, number))
                )
                self._record(
                    tx,
                    ScoreReportClaimed(
                        key, now, registration_number=number, exam_code=claimed.exam_code
                    ),
                )
        self._send(outbox)
        if refusal is not None:
            raise refusal
        return claimed

    # -- notification preferences --------------------------------------------------------
    def _setting(self, candidate: Candidate, category: NotificationCategory) -> NotificationSetting:
        consent = None
        if (
            self._consent is not None
            and category in MARKETING_CATEGORIES
            and candidate.preferences.chosen(category)
        ):
            consent = bool(
                self._consent.may_contact(candidate.candidate_id, str(category), self._now())
            )
        return rules.notification_setting(candidate, category, consent)

    def notification_setting(
        self, candidate_id: str | CandidateId, category: NotificationCategory | str
    ) -> NotificationSetting:
        """Whether messages of ``category`` go to the candidate, and why.

        Newsletters and offers are effectively off (reason ``consent_withheld``)
        whenever the consent context says no, whatever the candidate chose.
        """
        chosen = _enum_value(NotificationCategory, category, "category")
        return self._setting(self.get(candidate_id), chosen)

    def notification_settings(
        self, candidate_id: str | CandidateId
    ) -> tuple[NotificationSetting, ...]:
        """Every category as the candidate sees it ("manage notifications")."""
        candidate = self.get(candidate_id)
        return tuple(self._setting(candidate, category) for category in NotificationCategory)

    def set_notification_preference(
        self,
        candidate_id: str | CandidateId,
        category: NotificationCategory | str,
        enabled: bool,
    ) -> NotificationSetting:
        """Switch a category on or off and return its resulting setting.

        Raises:
            ValidationError: unknown category (``invalid_category``), switching
                off program notices (``notification_mandatory``), a non-bool
                ``enabled`` (``invalid_type``).
            IllegalTransition: the account is closed (``account_closed``).
        """
        key = _candidate_key(candidate_id)
        chosen = _enum_value(NotificationCategory, category, "category")
        if not isinstance(enabled, bool):
            raise ValidationError(
                "enabled must be true or false", field="enabled", code="invalid_type"
            )
        now = self._now()
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            candidate = store.candidates.get(key)
            self._require_open(candidate)
            preferences: NotificationPreferences = rules.set_preference(
                candidate.preferences, chosen, enabled
            )
            if preferences != candidate.preferences:
                candidate = store.candidates.save(attrs.evolve(candidate, preferences=preferences))
                self._record(
                    tx,
                    NotificationPreferenceChanged(key, now, category=str(chosen), enabled=enabled),
                )
        return self._setting(candidate, chosen)

    # -- incidents ---------------------------------------------------------------------
    @staticmethod
    def _new_incident(
        candidate_id: str,
        *,
        title: str,
        category: IncidentCategory,
        body: str,
        author: MessageAuthor,
        at: datetime,
        details: tuple[tuple[str, str], ...] = (),
    ) -> Incident:
        return Incident(
            incident_id="INC-" + secrets.token_hex(6).upper(),
            candidate_id=candidate_id,
            title=title,
            category=category,
            status=IncidentStatus.OPEN,
            opened_at=at,
            updated_at=at,
            messages=(IncidentMessage(author, body, at),),
            details=details,
        )

    @staticmethod
    def _incident_message(candidate: Candidate, incident: Incident, kind: str) -> Message:
        return Message(
            to=candidate.contact.email,
            kind=kind,
            subject=f"Incident {incident.incident_id}: {incident.title}",
            body=f"Incident {incident.incident_id} is {incident.status}.",
            data={
                "incident_id": incident.incident_id,
                "candidate_id": candidate.candidate_id,
                "status": str(incident.status),
            },
        )

    def open_incident(
        self,
        candidate_id: str | CandidateId,
        *,
        title: str,
        body: str,
        category: IncidentCategory | str = IncidentCategory.GENERAL,
    ) -> Incident:
        """Log an incident for follow-up ("log incidents for follow up; communicate with
        customer support", seed 000).

        Raises:
            ValidationError / LimitExceeded: a bad title, body or category.
            IllegalTransition: the account is closed (``account_closed``).
        """
        key = _candidate_key(candidate_id)
        chosen = _enum_value(IncidentCategory, category, "category")
        now = self._now()
        incident = self._new_incident(
            key, title=title, category=chosen, body=body, author=MessageAuthor.CANDIDATE, at=now
        )
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            candidate = store.candidates.get(key)
            self._require_open(candidate)
            incident = store.incidents.add(incident)
            store.candidates.save(
                attrs.evolve(candidate, incidents=(*candidate.incidents, incident.incident_id))
            )
            self._record(
                tx,
                IncidentOpened(
                    key,
                    now,
                    incident_id=incident.incident_id,
                    category=str(chosen),
                    title=incident.title,
                ),
            )
        self._send([self._incident_message(candidate, incident, "incident_opened")])
        return incident

    def get_incident(self, incident_id: str) -> Incident:
        """Return an incident.

        Raises:
            NotFound: unknown incident (``incident_not_found``).
        """
        if not isinstance(incident_id, str) or not incident_id or len(incident_id) > 64:
            raise NotFound(f"no incident {incident_id!r}", code="incident_not_found")
        return self._read(lambda s: s.incidents.get(incident_id))

    def incidents(self, candidate_id: str | CandidateId) -> list[Incident]:
        """Return the candidate's incidents, oldest first."""
        candidate = self.get(candidate_id)
        return self._read(lambda s: [s.incidents.get(i) for i in candidate.incidents])

    def post_incident_message(
        self, incident_id: str, *, author: MessageAuthor | str, body: str
    ) -> Incident:
        """Add a message from the candidate or customer support to an incident.

        Raises:
            NotFound: unknown incident (``incident_not_found``).
            IllegalTransition: the incident is closed (``incident_closed``).
            ValidationError / LimitExceeded: a bad body or author, or a full
                conversation (``too_many_messages``).
        """
        who = _enum_value(MessageAuthor, author, "author")
        now = self._now()
        message = IncidentMessage(who, body, now)
        self.get_incident(incident_id)
        outbox: list[Message] = []
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            owner = store.candidates.find(store.incidents.get(incident_id).candidate_id)
            if owner is not None and owner.erased_at is not None:
                raise _erased_error()
            incident = rules.add_incident_message(store.incidents.get(incident_id), message)
            incident = store.incidents.save(incident)
            self._record(
                tx,
                IncidentMessagePosted(
                    incident.candidate_id, now, incident_id=incident_id, author=str(who)
                ),
            )
            if who is MessageAuthor.SUPPORT:
                candidate = store.candidates.get(incident.candidate_id)
                outbox.append(self._incident_message(candidate, incident, "incident_update"))
        self._send(outbox)
        return incident

    def _move_incident(self, incident_id: str, target: IncidentStatus) -> Incident:
        self.get_incident(incident_id)
        now = self._now()
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            incident, event = rules.change_incident_status(
                store.incidents.get(incident_id),
                target,
                now,
                reopen_window=self.settings.incident_reopen_window,
            )
            incident = store.incidents.save(incident)
            self._record(tx, event)
            candidate = store.candidates.get(incident.candidate_id)
        self._send([self._incident_message(candidate, incident, "incident_update")])
        return incident

    def start_incident(self, incident_id: str) -> Incident:
        """Customer support takes an open incident up: ``open -> in_progress``.

        Raises:
            IllegalTransition: not open (``illegal_transition``).
        """
        return self._move_incident(incident_id, IncidentStatus.IN_PROGRESS)

    def resolve_incident(self, incident_id: str) -> Incident:
        """Mark an open or in-progress incident resolved; starts the reopen window.

        Raises:
            IllegalTransition: not open or in progress (``illegal_transition``).
        """
        return self._move_incident(incident_id, IncidentStatus.RESOLVED)

    def close_incident(self, incident_id: str) -> Incident:
        """Close a resolved incident.

        Raises:
            IllegalTransition: not resolved (``illegal_transition``).
        """
        return self._move_incident(incident_id, IncidentStatus.CLOSED)

    def reopen_incident(self, incident_id: str) -> Incident:
        """Reopen a resolved or closed incident within ``settings.incident_reopen_window``
        of its resolution.

        Raises:
            IllegalTransition: not resolved or closed (``illegal_transition``), or
                the window has passed (``reopen_window_passed``).
        """
        return self._move_incident(incident_id, IncidentStatus.OPEN)

    # -- erasure ---------------------------------------------------------------------
    def erase(self, candidate_id: str | CandidateId, *, reason: str) -> AccountErasure:
        """Erase the candidate's personal data, keeping a pseudonymous proof (right to erasure).

        In ONE unit of work: closes the account if it is not closed (every
        outstanding link dies); replaces the contact details with the
        :func:`~symprogram.accounts.models.erased_contact` markers and drops the
        pending address; releases the e-mail index (the address can register
        again, as a new account with a new candidate ID); deletes the password
        hash and the request logs of every address the account used; replaces
        the name and e-mail of every claimed score report and the title and
        message bodies of every incident with markers; drops the data of every
        account history entry through :meth:`~symprogram.events.Ledger.erase`
        (digests and chain kept, so ``history.verify`` stays ok); and appends a
        final ``account_erased`` entry holding only ``reason``.

        The candidate ID, status (``closed``), dates, terms acceptance, claimed
        registration numbers and exam scores stay: they are pseudonymous. The
        account can never be used, reactivated or reopened; every call that
        would change it raises ``IllegalTransition`` with code
        ``account_erased``. Idempotent: erasing again scrubs anything missed,
        writes no new history entry and returns a receipt with
        ``already_erased=True``.

        Do not put personal data into ``reason``: it is kept.

        Raises:
            ValidationError: not a candidate ID (``invalid_candidate_id``), a
                bad reason (``field_required``, ``control_characters``, ...).
            LimitExceeded: a reason over 500 characters (``text_too_long``).
            NotFound: no such candidate (``candidate_not_found``).
        """
        key = _candidate_key(candidate_id)
        text = _text.line(reason, "reason", MAX_REASON_LENGTH)
        now = self._now()
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            candidate = store.candidates.get(key)
            already = candidate.erased_at is not None
            emails = self._known_emails(tx, candidate)
            if candidate.status is not AccountStatus.CLOSED:
                candidate, event = rules.change_status(
                    candidate, AccountStatus.CLOSED, now, reason=text
                )
                self._record(tx, event)
            if not already:
                for purpose in _ACCOUNT_PURPOSES:
                    self._tokens.revoke_all(tx, purpose=purpose, subject=key)
            for email in emails:
                store.candidates.release_email(key, email)
                for log in (_RESEND, _RESET):
                    store.requests.forget(log, email)
            store.credentials.delete(key)
            reports = self._erase_score_reports(store, candidate)
            incidents = self._erase_incidents(store, candidate)
            erased = attrs.evolve(
                candidate,
                contact=erased_contact(),
                pending_email=None,
                status_reason=candidate.status_reason if already else text,
                erased_at=candidate.erased_at if already else now,
            )
            if erased != candidate:
                erased = store.candidates.save(erased)
            count = 0
            if not already:
                count = self._history.ledger.erase(tx, key)
                self._record(tx, AccountErased(key, now, reason=text))
            entries = self._history.ledger.entries(tx, key)
        assert erased.erased_at is not None
        return AccountErasure(
            candidate_id=key,
            erased_at=erased.erased_at,
            reason=erased.status_reason or text,
            history_entries_erased=count,
            history_length=len(entries),
            history_head=entries[-1].hash if entries else "0" * 64,
            score_reports=reports,
            incidents=incidents,
            already_erased=already,
        )

    def _known_emails(self, tx: Transaction, candidate: Candidate) -> tuple[str, ...]:
        """Every address the account used: current, pending, and those in its history."""
        found = {candidate.contact.email}
        if candidate.pending_email is not None:
            found.add(candidate.pending_email)
        for entry in self._history.ledger.iter_entries(tx, candidate.candidate_id):
            for name in _EMAIL_FIELDS:
                value = (entry.data or {}).get(name)
                if isinstance(value, str) and value:
                    found.add(value)
        found.discard(ERASED_EMAIL)
        return tuple(sorted(found))

    @staticmethod
    def _erase_score_reports(store: AccountsStorage, candidate: Candidate) -> tuple[str, ...]:
        done: list[str] = []
        for number in candidate.score_reports:
            report = store.score_reports.find(number)
            if report is None or report.claimed_by != candidate.candidate_id:
                continue
            erased = attrs.evolve(report, candidate_name=ERASED_TEXT, email=ERASED_EMAIL)
            if erased != report:
                store.score_reports.save(erased)
            done.append(number)
        return tuple(done)

    @staticmethod
    def _erase_incidents(store: AccountsStorage, candidate: Candidate) -> tuple[str, ...]:
        done: list[str] = []
        for incident_id in candidate.incidents:
            incident = store.incidents.find(incident_id)
            if incident is None or incident.candidate_id != candidate.candidate_id:
                continue
            erased = attrs.evolve(
                incident,
                title=ERASED_TEXT,
                messages=tuple(attrs.evolve(m, body=ERASED_TEXT) for m in incident.messages),
            )
            if erased != incident:
                store.incidents.save(erased)
            done.append(incident_id)
        return tuple(done)
