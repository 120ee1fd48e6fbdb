"""Contact details kept current: updates, reviews, and changing the e-mail address."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import attrs

from symprogram.accounts import messages, rules
from symprogram.accounts._base import FlowBase, candidate_key
from symprogram.accounts.events import ContactDetailsReviewed, EmailChanged, EmailChangeRequested
from symprogram.accounts.models import Candidate, PostalAddress, normalize_email
from symprogram.accounts.ports import (
    CONTACT_UPDATE,
    EMAIL_CHANGE_BY_LOG,
    EMAIL_CHANGE_LOG,
    PersonalDataLedger,
)
from symprogram.accounts.storage import AccountsStorage
from symprogram.decisions import Decision
from symprogram.ids import CandidateId
from symprogram.persistence import Transaction
from symprogram.tokens import TokenPurpose

__all__ = ["KEEP", "Contact", "Keep"]


class Keep(enum.Enum):
    """Type of :data:`KEEP`, the "leave this field as it is" marker."""

    KEEP = "keep"


KEEP = Keep.KEEP
"""Default of every ``update_contact_details`` argument: leave the field unchanged."""


class Contact(FlowBase):
    """Contact details and e-mail changes of :class:`~symprogram.accounts.AccountsService`."""

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
        key = candidate_key(candidate_id)
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
            candidate = store.candidates.get_for_update(key)
            rules.require_open(candidate)
            updated, event = rules.apply_contact_changes(candidate, changes, now)
            updated = store.candidates.save(updated)
            self._record(tx, event or ContactDetailsReviewed(key, now))
            self._gathered(key, rules.updated_items(event), now)
        return updated

    def _gathered(self, key: str, items: tuple[str, ...], now: datetime) -> None:
        """Record in the personal data ledger (if any) the items a change gathered."""
        if items and isinstance(self._consent, PersonalDataLedger):
            self._consent.record_gathered(key, CONTACT_UPDATE, items, now)

    def confirm_contact_details(self, candidate_id: str | CandidateId) -> Candidate:
        """Record that the candidate reviewed their details and they are still current.

        Raises:
            IllegalTransition: the account is closed (``account_closed``).
        """
        return self.update_contact_details(candidate_id)

    def contact_review(self, candidate_id: str | CandidateId) -> Decision:
        """Whether the contact details are due for review ("keep your contact information
        current"); denied with ``contact_review_due`` after ``settings.contact_review_period``.

        A closed account (an erased one included) is never due: allowed with the
        reason ``account_closed``.

        Raises:
            ValidationError: not a candidate ID (``invalid_candidate_id``).
            NotFound: no such candidate (``candidate_not_found``).
        """
        key = candidate_key(candidate_id)
        candidate = self._read(lambda s: s.candidates.get(key))
        now = self._now()
        return rules.account_contact_review(candidate, now, self.settings.contact_review_period)

    def iter_contact_reviews_due(self) -> Iterator[str]:
        """Yield the IDs of open accounts whose contact details are due for review
        (exactly those :meth:`contact_review` denies)."""
        now = self._now()
        period = self.settings.contact_review_period
        every: list[Candidate] = self._read(lambda s: list(s.candidates.iter_candidates()))
        for candidate in every:
            if not rules.account_contact_review(candidate, now, period):
                yield candidate.candidate_id

    def request_email_change(self, candidate_id: str | CandidateId, new_email: str) -> None:
        """Start changing the address; it takes effect only once the new address is verified.

        The caller's own account changes the same way whether or not the new
        address is taken: a verification link is issued, ``pending_email`` is set
        and an ``email_change_requested`` entry goes to the history; a security
        notice goes to the current address. If the new address is free the
        link goes to it; if it belongs to another account, that account's owner
        gets an ``email_in_use_attempt`` notice instead and the link is sent to
        nobody (and cannot confirm anything: the address is taken). The link
        names the account it is for (its candidate ID and its current address,
        masked), so that the holder of the new address does not follow another
        account's link. At most ``settings.email_change_limit`` requests of one
        account for one new address are served within ``settings.resend_window``
        (another account's requests for the address count for that account only,
        so a stranger cannot keep the address's holder from asking for it); one
        beyond that returns as usual and changes and sends nothing (the pending
        change stays as it was, so the link sent last still confirms the address
        it was sent to). The request
        is also noted in the e-mail change index (kind ``email_change_address``,
        keyed by the address's digest, the same write whoever has the address):
        if the address belongs (or comes to belong) to a person who is erased,
        the erasure cancels this pending change and drops the address from the
        history entry. Both
        messages are filed in the outbox under the caller's candidate ID,
        the owner's notice included (an erasure of the owner finds it by its
        address), so that they are written alike either way.

        Raises:
            ValidationError: not an e-mail address (``invalid_email``) or the
                current one (``email_unchanged``).
            IllegalTransition: the account is closed (``account_closed``).
            IntegrityError: a candidate row put back or written in (``record_corrupt``).
        """
        key = candidate_key(candidate_id)
        normalized = normalize_email(new_email, field="new_email")
        now = self._now()
        ttl = self.settings.email_verification_ttl
        purpose = TokenPurpose.EMAIL_VERIFICATION

        def unit(tx: Transaction) -> None:
            store = AccountsStorage(tx)
            candidate = self._candidate_for_update(store, key)
            rules.require_open(candidate)
            rules.check_new_email(candidate, normalized)
            limit = self.settings.email_change_limit
            logs = (EMAIL_CHANGE_LOG, EMAIL_CHANGE_BY_LOG)
            owner, allowed = self._link_requested(store, logs, normalized, now, limit, by=key)
            if not allowed:
                return
            self._tokens.revoke_all(tx, purpose=purpose, subject=key)
            token = self._tokens.issue(tx, purpose=purpose, subject=key, ttl=ttl, now=now)
            store.candidates.save(attrs.evolve(candidate, pending_email=normalized))
            event = EmailChangeRequested(key, now, new_email=normalized)
            (entry,) = self._history.record_many(tx, [event])
            # found by the erasure of whoever has (or gets) the address: written for
            # a free and a taken address alike
            store.email_changes.record(normalized, key, entry.position)
            # Both messages built whatever the address (the same work); one is sent.
            decoy = self._decoy()  # built either way: the same work for every address
            in_use = messages.email_in_use_attempt(owner or decoy, now)
            verification = messages.email_verification(candidate, normalized, token, now + ttl)
            first = in_use if owner is not None else verification
            # both filed under the caller: an owner's notice filed under its owner
            # would be written elsewhere in the outbox than a link to a free address
            # (another page, another cost); the owner's erasure finds it by address
            self._send(tx, [first, messages.email_change_requested(candidate)], subject=key)

        self._in_unit(unit)

    def confirm_email_change(self, token: str) -> Candidate:
        """Verify the new address with its token and make it the account's address.

        Outstanding password reset and e-mail verification links die.

        Raises:
            TokenError: ``token_invalid``, ``token_used``, ``token_revoked`` or
                ``token_expired`` (field ``token``).
            Conflict: the address was taken meanwhile (``email_taken``).
            IllegalTransition: the account is closed (``account_closed``).
            IntegrityError: a candidate row put back or written in, or its
                ``pending_email`` not the address its history says was asked for
                (``record_corrupt``; nothing is written).
        """
        now = self._now()
        with self._store.transaction(readonly=True) as tx:
            key = self._verify_token(tx, TokenPurpose.EMAIL_VERIFICATION, token, now, "token")
        with self._store.transaction() as tx:
            store = AccountsStorage(tx)
            # the account locked first: a racing use of the same link waits here, then
            # finds it used (token_used); its history read after the lock (as
            # _candidate_for_update reads it), and the address it vouches for taken
            candidate = store.candidates.get_for_update(key)
            said = self._history.ledger.said_entries(tx, key)
            candidate = rules.require_candidate_anchored(candidate, said)
            self._consume(tx, TokenPurpose.EMAIL_VERIFICATION, token, now, "token")
            rules.require_open(candidate)
            new_email = rules.pending_email(candidate, said)
            old_email = candidate.contact.email
            store.candidates.move_email(candidate, old_email, new_email)
            # the address is the account's own now: no other person's erasure touches it
            for request in store.email_changes.of((new_email,), key):
                store.email_changes.remove(request)
            updated = store.candidates.save(rules.change_email(candidate, new_email, now))
            for purpose in (TokenPurpose.PASSWORD_RESET, TokenPurpose.EMAIL_VERIFICATION):
                self._tokens.revoke_all(tx, purpose=purpose, subject=key)
            self._record(tx, EmailChanged(key, now, previous_email=old_email, email=new_email))
            self._gathered(key, ("email",), now)
            changed = [messages.email_changed(key, a, new_email) for a in (old_email, new_email)]
            self._send(tx, changed)
        return updated
