"""Registration: accepting the Terms of Use, registering, activating, resending the link."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import datetime

import attrs

from symprogram._checks import check_enum
from symprogram.accounts import messages, rules
from symprogram.accounts._base import REGISTER, RESEND, TERMS_PURPOSE, FlowBase, candidate_key
from symprogram.accounts._links import LinkRequests
from symprogram.accounts._receipts import ReceiptSweep
from symprogram.accounts._stand_ins import StandIns
from symprogram.accounts.events import RegistrationAttempted
from symprogram.accounts.models import (
    AcceptancePath,
    AccountStatus,
    Candidate,
    ContactDetails,
    PostalAddress,
    RegistrationReceipt,
    TermsAcceptance,
    TermsReceipt,
)
from symprogram.accounts.ports import (
    ACTIVATION,
    ACTIVATION_ITEMS,
    REGISTRATION,
    UNUSABLE_PREFIX,
    PersonalDataLedger,
    PersonalDataLedgerStandIn,
)
from symprogram.accounts.storage import AccountsStorage
from symprogram.errors import Conflict
from symprogram.ids import CandidateId
from symprogram.persistence import Transaction
from symprogram.tokens import TokenPurpose

__all__ = ["AccountOpening", "Registration"]


class AccountOpening(FlowBase):
    """Opening an account inside a unit of work: shared by registration and bulk import."""

    def _new_candidate_id(self, store: AccountsStorage, drawn: Iterator[str] | None = None) -> str:
        for _ in range(8):
            key = (drawn is not None and next(drawn, None)) or CandidateId.generate().display
            if store.candidates.find(key) is None:
                return key
        raise Conflict("could not draw a free candidate ID", code="candidate_id_exhausted")

    def _store_account(
        self,
        tx: Transaction,
        store: AccountsStorage,
        bound: TermsAcceptance,
        contact: ContactDetails,
        encoded: str,
        now: datetime,
        *,
        gathered: bool = True,
    ) -> tuple[Candidate, datetime]:
        """Store the new candidate of the acceptance ``bound`` to its candidate ID, its
        password hash (anchored by its digest) and its first history entries, in
        ``tx`` (or a batch's buffer), and, unless ``gathered`` is false (a batch
        records that at once), record in the personal data ledger (consent, when
        wired) what the registration gathered; return the candidate and when its
        activation link expires (the link itself is issued by the caller)."""
        expires = now + self.settings.activation_ttl
        digest = rules.credential_digest(encoded)
        candidate, events = rules.new_account(
            bound, contact, now, expires, credential_digest=digest
        )
        store.candidates.add(candidate)
        store.credentials.add(candidate.candidate_id, encoded, now)
        self._record(tx, *events)
        if gathered and isinstance(self._consent, PersonalDataLedger):
            items = rules.gathered_items(contact)
            self._consent.record_gathered(candidate.candidate_id, REGISTRATION, items, now)
        return candidate, expires

    def _open_account(
        self,
        tx: Transaction,
        store: AccountsStorage,
        acceptance: TermsAcceptance,
        contact: ContactDetails,
        encoded: str,
        now: datetime,
        noted_in: str,
    ) -> tuple[Candidate, str, datetime]:
        """Issue a candidate ID, bind ``acceptance`` to it, store the account and
        issue its activation link, its issue noted under the new stand-in key
        ``noted_in`` (as the reset link of a known address's registration is: a new
        generation record either way, whatever links the address had); return the
        candidate, the link and its expiry."""
        key = self._new_candidate_id(store)
        bound = store.acceptances.save(attrs.evolve(acceptance, candidate_id=key))
        candidate, expires = self._store_account(tx, store, bound, contact, encoded, now)
        ttl = self.settings.activation_ttl
        token = self._tokens.issue(
            tx, purpose=TokenPurpose.ACTIVATION, subject=key, ttl=ttl, now=now, noted_in=noted_in
        )
        return candidate, token, expires


class Registration(AccountOpening, LinkRequests):
    """Terms of Use, registration and activation of the accounts service."""

    _receipt_sweep: ReceiptSweep = ReceiptSweep()

    def accept_terms(
        self,
        *,
        path: AcceptancePath | str,
        candidate_id: str | CandidateId | None = None,
        terms_version: str | None = None,
    ) -> TermsReceipt:
        """Record that the Terms of Use in effect now were accepted along ``path``.

        Acceptance "simply acknowledges that you have reviewed this information
        - it does not constitute any agreements of participation" (the Terms of
        Use v.2007.507).

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
        chosen = check_enum(AcceptancePath, path, "path")
        key = None if candidate_id is None else candidate_key(candidate_id)
        now = self._now()
        current = self.catalogue.current(now)
        rules.check_terms_version(current, terms_version)
        rules.offered_path(current, chosen)
        acceptance = rules.new_acceptance(current, chosen, now, secrets.token_hex(16), key)
        ttl = self.settings.terms_receipt_ttl
        if key is None:
            with self._store.transaction() as tx:
                stored = AccountsStorage(tx).acceptances.add(acceptance)
                token = self._tokens.issue(
                    tx, purpose=TERMS_PURPOSE, subject=stored.acceptance_id, ttl=ttl, now=now
                )
            self._sweep_receipts(now)
            return TermsReceipt(stored, token, now + ttl)
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            candidate = store.candidates.get_for_update(key)
            rules.require_open(candidate)
            stored = store.acceptances.add(acceptance)
            store.candidates.save(attrs.evolve(candidate, terms=stored))
            self._record(tx, rules.terms_accepted(key, stored))
        return TermsReceipt(stored)

    def _sweep_receipts(self, now: datetime) -> None:
        """Delete a few terms receipts nobody can use any more (unbound acceptances and
        receipt tokens expired for a whole receipt lifetime), in a unit of work of
        their own, after the call's (see :mod:`._receipts`): anonymous receipts
        cannot pile up faster than they are deleted once they have expired.

        The call's own receipt is committed by then, so a sweep that still loses a
        race after its re-runs (a deadlock or a stale version on a database server,
        beside many concurrent calls) is given up, not raised: the receipt stands,
        and the next anonymous call sweeps from the same place."""
        ttl = self.settings.terms_receipt_ttl
        sweep = self._receipt_sweep

        def run(tx: Transaction) -> ReceiptSweep:
            return sweep.run(
                tx, TERMS_PURPOSE, accepted_before=now - 2 * ttl, expired_before=now - ttl
            )

        following = self._tidy(run)
        if following is not None:
            self._receipt_sweep = following

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
        rules.require_usable_email(contact.email)
        normalized = self._password_ok(password, contact)
        rules.require_receipt(terms_receipt)
        encoded = self._hasher.hash(normalized)
        now = self._now()
        reference = secrets.token_hex(8).upper()
        try:
            self._registered(terms_receipt, contact, encoded, now, reference)
        except Conflict as exc:
            if exc.code != "email_taken":
                raise
            # A race: the address was registered meanwhile (by a concurrent call on
            # PostgreSQL or MariaDB): again, now its owner is told, the same receipt.
            self._registered(terms_receipt, contact, encoded, now, reference)
        self._sweep_leftovers(now)
        return RegistrationReceipt(email=contact.email, requested_at=now, reference=reference)

    def _registered(
        self, receipt: str, contact: ContactDetails, encoded: str, now: datetime, reference: str
    ) -> None:
        """The unit of work of :meth:`register`, its message written in it: the same
        writes for a new address and a known one (see :meth:`_attempted`)."""
        current = self.catalogue.current(now)

        def unit(tx: Transaction) -> None:
            store = AccountsStorage(tx)
            acceptance_id = self._consume(tx, TERMS_PURPOSE, receipt, now, "terms_receipt")
            acceptance = rules.unbound_acceptance(store.acceptances.find(acceptance_id))
            rules.require_terms(rules.terms_status(acceptance, current, now), "terms_receipt")
            owner = store.candidates.find_by_email(contact.email)
            if owner is not None:
                self._attempted(tx, store, owner, contact, acceptance, reference, now)
                return
            # Nothing to count for a new address: the request log write a known one
            # makes goes to the stand-in slot.
            slot = self._stand_in(tx, contact.email).key
            store.requests.note_key(slot, now, keep=self.settings.reset_limit)
            candidate, token, expires = self._open_account(
                tx, store, acceptance, contact, encoded, now, StandIns.fresh(now, reference)
            )
            self._send(tx, [messages.activation(candidate, token, expires, reference)])

        self._in_unit(unit)

    def _attempted(
        self,
        tx: Transaction,
        store: AccountsStorage,
        owner: Candidate,
        contact: ContactDetails,
        acceptance: TermsAcceptance,
        reference: str,
        now: datetime,
    ) -> None:
        """A registration of ``owner``'s address (``contact.email``), written as a new one is.

        The owner's history gets a ``registration_attempted`` entry and the owner a
        notice, carrying a password reset link (an activation link for an account
        still pending activation, none for a closed one:
        :func:`~symprogram.accounts.rules.attempt_link`) at most
        ``settings.reset_limit`` times per ``settings.resend_window``; the visitor's
        acceptance is saved used up. What a new account would add (its index
        entry, candidate, credential, the personal data ledger's record of what
        was gathered), and the link and request log entry beyond the limit, go to
        stand-ins instead (see :mod:`._stand_ins`).
        """
        email = contact.email
        limit = self.settings.reset_limit
        window = self.settings.resend_window
        recent = store.requests.recent(REGISTER, email)
        allowed = rules.may_send(recent, now, limit=limit, window=window)
        stand_in = self._stand_in(tx, email)
        # beyond the limit written back as it was: the same write, not extending it
        store.requests.note(REGISTER, email, now, keep=limit, count=allowed)
        store.acceptances.save(acceptance)
        stand_in.account(self._decoy(), self._dummy(), now)
        self._record(tx, RegistrationAttempted(owner.candidate_id, now))
        if isinstance(self._consent, PersonalDataLedgerStandIn):
            items = rules.gathered_items(contact)
            key = StandIns.fresh(now, reference)
            self._consent.record_gathered_for_nobody(key, REGISTRATION, items, now)
        purpose = rules.attempt_link(owner)
        linked = owner if allowed and purpose is not None else None
        activating = purpose == TokenPurpose.ACTIVATION
        ttl = self.settings.activation_ttl if activating else self.settings.reset_ttl
        # noted under a new key, as a new account's activation link is (see _open_account)
        fresh = StandIns.fresh(now, reference)
        token = self._issue_for(
            tx, purpose or TokenPurpose.PASSWORD_RESET, linked, stand_in, ttl, now, slot=fresh
        )
        link = None if linked is None else (token, now + ttl)
        message = messages.registration_attempt(owner, reference, link, activation=activating)
        self._send(tx, [message])

    def activate(self, token: str) -> Candidate:
        """Complete activation with the token from the activation e-mail.

        The personal data ledger (consent, when wired) records the confirmed
        address (activity ``activation``): what the registration gathered made
        nobody known, this does, so the person joins the marketing audiences only
        now (never while the account waits for activation).

        Returns:
            the active account (its ``candidate_id`` can now be shown).

        Raises:
            TokenError: ``token_invalid``, ``token_used``, ``token_revoked`` or
                ``token_expired`` (field ``token``).
            IllegalTransition: the account is no longer pending (``illegal_transition``).
            IntegrityError: a candidate row put back or written in (``record_corrupt``).
        """
        now = self._now()
        with self._store.transaction(readonly=True) as tx:
            key = self._verify_token(tx, TokenPurpose.ACTIVATION, token, now, "token")
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            # the account locked first: a racing use of the same link waits here, then
            # finds it used (token_used), as reset_password's does
            locked = self._candidate_for_update(store, key)
            self._consume(tx, TokenPurpose.ACTIVATION, token, now, "token")
            candidate, event = rules.change_status(locked, AccountStatus.ACTIVE, now)
            candidate = store.candidates.save(candidate)
            self._record(tx, event)
            if isinstance(self._consent, PersonalDataLedger):
                # the owner confirmed the address: only now are they a known subject
                self._consent.record_gathered(key, ACTIVATION, ACTIVATION_ITEMS, now)
            encoded = store.credentials.password_hash(key) or ""
            password_set = not encoded.startswith(UNUSABLE_PREFIX)
            self._send(tx, [messages.account_activated(candidate, password_set=password_set)])
        return candidate

    def resend_activation(self, email: str) -> None:
        """Send a fresh activation link if ``email`` belongs to an account pending activation.

        Says nothing about whether it does: the answer, the work and the writes
        are the same for every address (an address without a pending account
        gets a link too, issued to nobody and never sent). At most
        ``settings.resend_limit`` links go to one address within
        ``settings.resend_window``; beyond that the call returns as usual and
        sends nothing. Earlier links stay valid until they expire, so nobody can
        lock the owner out.

        Raises:
            ValidationError: not an e-mail address (``invalid_email``).
        """
        self._send_link(
            email,
            RESEND,
            TokenPurpose.ACTIVATION,
            rules.may_resend_activation,
            self.settings.activation_ttl,
            self.settings.resend_limit,
            messages.resent_activation,
        )
