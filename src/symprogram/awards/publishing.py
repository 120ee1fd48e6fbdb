"""Flow: publishing awards to a third party by e-mail, who verifies them with a code.

"publish your certifications to third parties via email" (the Terms of Use v.2007.507). The
recipient is stored only as a salted hash and the code only as its digest; the
message with the code is handed to the notifier after the unit of work commits.
Every verification is counted, unknown codes included, in a bounded way: one tally
per (disclosure, day), the day's first verifications logged one by one, the first
of each outcome in the holder's history
(:mod:`~symprogram.awards._rules_verifications`).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from symprogram.awards import rules
from symprogram.awards._base import FlowBase, new_id
from symprogram.awards._rules_verifications import count_verification
from symprogram.awards.events import AwardsPublished, DisclosureRevoked, DisclosureVerified
from symprogram.awards.messages import disclosure_message
from symprogram.awards.models import (
    CandidateAwards,
    Disclosure,
    DisclosureView,
    PublishedDisclosure,
    VerificationRecord,
)
from symprogram.awards.storage import UNKNOWN_CODE_LOG
from symprogram.errors import NotFound
from symprogram.persistence import Transaction

__all__ = ["Publishing"]


class Publishing(FlowBase):
    """Disclosures: awards published to third parties, verified with a code."""

    def _new_disclosure(
        self,
        state: CandidateAwards,
        holder_name: str,
        award_ids: tuple[str, ...],
        recipient: str,
        code: str,
        now: datetime,
        until: datetime,
    ) -> Disclosure:
        own_salt = None if self.settings.salt is not None else secrets.token_bytes(16)
        salt = own_salt if own_salt is not None else self.settings.salt
        assert salt is not None
        return Disclosure(
            disclosure_id=new_id(10),
            candidate_id=state.candidate_id,
            award_ids=award_ids,
            holder_name=holder_name,
            recipient_hash=rules.hash_recipient(recipient.lower(), salt),
            recipient_salt=None if own_salt is None else own_salt.hex(),
            code_digest=rules.code_digest(code),
            created_at=now,
            expires_at=until,
        )

    def publish(
        self,
        candidate_id: str,
        award_ids: list[str] | tuple[str, ...],
        recipient_email: str,
        *,
        expires_at: datetime | None = None,
        ttl: timedelta | None = None,
    ) -> PublishedDisclosure:
        """Publish chosen awards to a third party by email.

        "publish your certifications to third parties via email" (the Terms of Use v.2007.507). The
        candidate must have accepted the current terms and hold every chosen award
        active. A disclosure is created (recipient stored only as a salted hash,
        verification code only as its SHA-256 digest) and, after commit, a message
        with the verification code goes to the recipient through the notifier.

        Give ``expires_at`` or ``ttl`` (not both); default 30 days, at most 365
        (see :class:`~symprogram.awards.AwardsSettings`).

        Raises:
            PermissionDenied: ``account_not_active`` (the account is pending
                activation, suspended or closed), ``terms_not_accepted``.
            ValidationError: ``invalid_award_ids``, ``invalid_email``,
                ``invalid_ttl``, ``invalid_expiry``, ``ambiguous_expiry``.
            LimitExceeded: ``disclosure_too_long``.
            Conflict: ``award_not_active`` (a chosen award is not active).
            NotFound: ``candidate_not_found``, ``award_not_found``.
            IllegalTransition: ``account_erased``.
            IntegrityError: an awards record put back or edited (``record_corrupt``).
        """
        cid = self._candidate(candidate_id)
        rules.require_not_erased(self._state(cid))  # erased first, as every flow answers
        rules.require_may_publish(
            account_active=self._account_active(cid),
            terms_accepted=self._candidates.has_accepted_current_terms(cid),
        )
        ids = rules.check_award_ids(award_ids)
        names = [self._award(award_id).name for award_id in ids]
        recipient = rules.check_email(recipient_email, "recipient_email")
        now = self._now()
        until = rules.disclosure_expiry(
            now,
            expires_at=expires_at,
            ttl=ttl,
            default=self.settings.disclosure_ttl,
            maximum=self.settings.max_disclosure_ttl,
        )
        holder = self._holder_name(cid)
        code = secrets.token_urlsafe(24)
        with self._changing(cid, anchored=True) as (tx, state):
            # after a revocation committed meanwhile: the awards are judged as it left them
            now = rules.stamp(state, now)
            disclosure = self._new_disclosure(state, holder, ids, recipient, code, now, until)
            state = rules.publish(state, disclosure)
            disclosure = self._repo.save_disclosure(tx, disclosure)
            self._repo.save_candidate(tx, state)
            self._record(
                tx,
                AwardsPublished(
                    cid,
                    now,
                    disclosure.disclosure_id,
                    ids,
                    disclosure.recipient_hash,
                    until,
                    holder_name=disclosure.holder_name,
                    code_digest=disclosure.code_digest,
                ),
            )
            self._send(
                tx,
                cid,
                disclosure_message(
                    to=recipient,
                    holder_name=holder,
                    award_names=names,
                    code=code,
                    disclosure_id=disclosure.disclosure_id,
                    award_ids=ids,
                    expires_at=until,
                ),
            )
        return PublishedDisclosure(disclosure, code)

    def verify_disclosure(self, code: str, *, recipient_email: str | None = None) -> DisclosureView:
        """What a third party sees for a verification code; every call is counted.

        Counting is bounded however often a code is tried: each call adds one to
        the day's tally of its disclosure (:meth:`verification_counts`; unknown
        codes under ``"-"``); the day's first 20 calls are also logged one by one
        (:meth:`verification_log`), and the day's first of each outcome goes into
        the holder's account history (``disclosure_verified``). So nobody can grow
        someone's history, or make its ``verify`` slower, by trying a code.

        Only the disclosed awards are shown, with their *current* status (an award
        revoked or expired after publishing shows as such). A revoked or expired
        disclosure returns a view with no awards, no name and ``reason``
        ``disclosure_revoked`` / ``disclosure_expired``. If ``recipient_email`` is
        given and does not match the recipient, nothing is shown either
        (``reason="recipient_mismatch"``). Once the candidate's account is closed,
        its disclosures show nothing either (``reason="account_closed"``, as the
        directory's ``account_closed`` says; the disclosure is not changed): they
        were published "through your account" (the Terms of Use v.2007.507). A
        suspended account's disclosures still show.

        A verification takes the holder's locks in the order of the writers of their
        awards (the account's record, then the awards record) and is run again whole
        if it still lost a race on a database server (the day's first tally), so a
        verifier racing the holder's :meth:`publish` or :meth:`revoke_disclosure`
        gets no :class:`~symprogram.errors.ConcurrencyError`.

        Raises:
            ValidationError: ``invalid_code``, ``invalid_email``.
            NotFound: ``disclosure_not_found`` (no such code; the attempt is logged).
            IntegrityError: ``record_corrupt``: the code's disclosure is not one its
                candidate's awards record lists (written in by hand), or whose
                awards, expiry, revocation or code digest are not the ones its
                candidate's account history gives it (a row put back from before its
                revocation, or two disclosures' codes swapped with their code index
                entries: one read of that history), or the awards record's results
                and grants are not the ones that history says (a revoked award put
                back as active); nothing is shown.
        """
        typed = rules.check_code(code)
        recipient = (
            None
            if recipient_email is None
            else rules.check_email(recipient_email, "recipient_email")
        )
        now = self._now()
        digest = rules.code_digest(typed)

        def unit(tx: Transaction) -> DisclosureView | None:
            found = self._repo.disclosure_by_code(tx, digest)
            if found is None:
                self._count(tx, UNKNOWN_CODE_LOG, now, "unknown_code")
                return None
            return self._view(tx, found, recipient, now)

        view = self._delivering.run(unit)
        if view is None:
            raise rules.unknown_code()
        return view

    def _view(
        self, tx: Transaction, found: Disclosure, recipient: str | None, now: datetime
    ) -> DisclosureView:
        """What the verifier of the disclosure ``found`` sees, logged and recorded in the
        holder's history.

        The holder's locks are taken first, in the order of the writers of their
        awards (:meth:`_locked`), and the disclosure is read again under them: a
        verification queues behind a disclosure being published or revoked (and
        counts and records after it) instead of racing it for the holder's history.
        """
        state = self._locked(tx, found.candidate_id)
        disclosure = self._repo.disclosure(tx, found.disclosure_id)
        rules.require_listed(disclosure, state)
        said, instants = self._history.ledger.said_entries_at(tx, disclosure.candidate_id)
        rules.require_disclosure_anchored(disclosure, said)
        # the awards shown are as recorded, their instants too
        rules.require_awards_anchored(state, said, instants)
        if recipient is not None and not rules.recipient_matches(
            disclosure, recipient, self.settings.salt
        ):
            view = rules.mismatch_view(disclosure, now)
        else:
            closed = self._account_closed(disclosure.candidate_id)
            view = rules.disclosure_view(
                disclosure, state, now, self._catalogue, account_closed=closed
            )
        outcome = view.reason or "shown"
        did = disclosure.disclosure_id
        # counted always; in the holder's history only until the erasure (its last entry)
        if self._count(tx, did, now, outcome) and state.erased_at is None:
            self._record(tx, DisclosureVerified(disclosure.candidate_id, now, did, outcome))
        return view

    def _count(self, tx: Transaction, disclosure_id: str, now: datetime, outcome: str) -> bool:
        """Count a verification in its day's tally, logging it while the day's log is
        short. Returns whether it is the day's first of ``outcome`` (to record)."""
        day = now.date()
        counts, version = self._repo.verification_tally(tx, disclosure_id, day)
        counted = count_verification(counts, outcome)
        if counted.log:
            self._repo.log_verification(tx, VerificationRecord(disclosure_id, now, outcome))
        self._repo.save_verification_tally(tx, disclosure_id, day, dict(counted.counts), version)
        return counted.record

    def _own_disclosure(self, tx: Transaction, cid: str, disclosure_id: object) -> Disclosure:
        """The candidate's disclosure ``disclosure_id``, listed by its awards record (a
        disclosure record written in by hand under an ID of its own is not answered).

        Raises:
            NotFound: ``disclosure_not_found``.
        """
        did = rules.check_id(disclosure_id, "disclosure_id")
        try:
            found: Disclosure | None = self._repo.disclosure(tx, did)
        except NotFound:
            found = None
        if found is not None and not rules.disclosure_named(found, self._repo.candidate(tx, cid)):
            found = None
        return rules.owned_disclosure(found, cid, did)

    def revoke_disclosure(self, candidate_id: str, disclosure_id: str) -> Disclosure:
        """Revoke a disclosure now: from then on its code shows nothing.

        Raises:
            IllegalTransition: ``disclosure_already_revoked``, ``account_erased``
                (the erasure revoked every disclosure still showing).
            NotFound: ``candidate_not_found``, ``disclosure_not_found``.
        """
        cid = self._candidate(candidate_id)
        now = self._now()
        with self._changing(cid) as (tx, _):
            disclosure = self._own_disclosure(tx, cid, disclosure_id)
            revoked = rules.revoke_disclosure(disclosure, now)
            disclosure = self._repo.save_disclosure(tx, revoked)
            self._record(tx, DisclosureRevoked(cid, now, disclosure.disclosure_id))
        return disclosure

    def disclosures_of(self, candidate_id: str) -> tuple[Disclosure, ...]:
        """The candidate's disclosures, oldest first.

        Each is checked against the candidate's history
        (:func:`~symprogram.awards.rules.disclosure_anchored`, the history read
        once): a row put back from before its revocation, or from before the
        erasure of the candidate's awards data (it would show their name again), is
        refused.

        Raises:
            IntegrityError: a stored disclosure is not as the candidate's history
                says (``record_corrupt``).
        """
        cid = self._candidate(candidate_id)
        with self._store.transaction(readonly=True) as tx:
            state = self._repo.candidate(tx, cid)
            found = tuple(self._repo.disclosure(tx, d) for d in state.disclosure_ids)
            if found:
                said = list(self._history.ledger.said_entries(tx, cid))
                for disclosure in found:
                    rules.require_disclosure_anchored(disclosure, said)
            return found

    def verification_log(
        self, candidate_id: str, disclosure_id: str
    ) -> tuple[VerificationRecord, ...]:
        """Every verification of one of the candidate's disclosures, oldest first."""
        cid = self._candidate(candidate_id)
        with self._store.transaction(readonly=True) as tx:
            disclosure = self._own_disclosure(tx, cid, disclosure_id)
            return self._repo.verifications(tx, disclosure.disclosure_id)

    def verification_counts(
        self, candidate_id: str, disclosure_id: str
    ) -> tuple[tuple[date, str, int], ...]:
        """How often one of the candidate's disclosures was verified, per UTC day and
        outcome, as ``(day, outcome, count)``, oldest day first (every call counted,
        also those beyond the day's one-by-one log).

        Raises:
            NotFound: ``candidate_not_found``, ``disclosure_not_found``.
        """
        cid = self._candidate(candidate_id)
        with self._store.transaction(readonly=True) as tx:
            disclosure = self._own_disclosure(tx, cid, disclosure_id)
            tallies = self._repo.verification_tallies(tx, disclosure.disclosure_id)
        return tuple(
            (day, outcome, count)
            for day, counts in tallies
            for outcome, count in sorted(counts.items())
        )
