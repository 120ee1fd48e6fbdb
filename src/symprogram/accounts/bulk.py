"""Bulk registration: an operator's import of many candidates, batch by batch.

:class:`BulkCandidate` and :class:`BulkRegistrationReport` live in
:mod:`symprogram.accounts.models` and are re-exported here (and from
:mod:`symprogram.accounts.service`, where they used to be).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime

from symprogram._checks import check_enum
from symprogram.accounts import _text, messages, rules
from symprogram.accounts.models import (
    AcceptancePath,
    BulkCandidate,
    BulkRegistrationReport,
    Candidate,
    ContactDetails,
    TermsAcceptance,
    TermsVersion,
)
from symprogram.accounts.ports import (
    CANDIDATE_KIND,
    EMAIL_INDEX,
    REGISTRATION,
    UNUSABLE_PREFIX,
    PersonalDataLedger,
    PersonalDataLedgerBatch,
)
from symprogram.accounts.registration import AccountOpening
from symprogram.accounts.storage import AccountsStorage
from symprogram.errors import Conflict
from symprogram.events import Ledger
from symprogram.ids import CandidateId
from symprogram.persistence import WriteBuffer
from symprogram.tokens import GENERATION_KIND, TokenPurpose

__all__ = ["Bulk", "BulkCandidate", "BulkRegistrationReport"]

_ROW_RANDOM_BYTES = 40
"""Random bytes drawn per row: 16 (acceptance ID) + 16 (unusable password) + 8 (reference)."""


class Bulk(AccountOpening):
    """Bulk registration of :class:`~symprogram.accounts.AccountsService`."""

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
        ``activation_sent``; each batch's ``activation`` messages are
        written in its unit of work and sent after it committed (a crash leaves
        them pending: :meth:`symprogram.Program.deliver_pending`). The one
        difference: no terms *receipt* token is
        issued and used up, since the operator attests that the people accepted
        the Terms of Use in effect now along ``terms_accepted_path`` ("I agree
        to these terms", the Terms of Use v.2007.507).

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
            ValidationError: ``rows`` that is not iterable (``invalid_rows``), a
                row that is not a ``BulkCandidate`` or ``ContactDetails``
                (``invalid_row``, details ``row``), a bad batch
                size (``invalid_batch_size``), an unknown path
                (``invalid_terms_accepted_path``) or one the terms in effect do not
                offer (``invalid_path``).
            NotFound: no terms in effect (``no_terms_in_effect``).
            Conflict: an address of the batch was registered concurrently by another
                unit of work (``email_taken``); that batch is rolled back, batches
                committed before stay (running the same rows again skips them).
            StorageError: the storage failed; batches committed before stay.
        """
        size = rules.check_batch_size(batch_size)
        chosen = check_enum(AcceptancePath, terms_accepted_path, "terms_accepted_path")
        recognizes = getattr(self._hasher, "recognizes", None)
        checked = rules.check_bulk_rows(rows, recognizes if callable(recognizes) else None)
        rules.offered_path(self.catalogue.current(self._now()), chosen, "terms_accepted_path")
        created = skipped = batches = 0
        seen: set[str] = set()
        for start in range(0, len(checked), size):
            batch = checked[start : start + size]
            added = self._register_batch(batch, chosen, seen)
            seen.update(added)
            batches += 1
            created += len(added)
            skipped += len(batch) - len(added)
        return BulkRegistrationReport(created=created, skipped=skipped, batches=batches)

    def _register_batch(
        self, rows: Sequence[BulkCandidate], chosen: AcceptancePath, seen: set[str]
    ) -> list[str]:
        """Register one batch in one unit of work, its activation messages written in
        it (delivered after it commits); return the e-mail keys it added."""
        now = self._now()
        current = self.catalogue.current(now)
        rules.offered_path(current, chosen, "terms_accepted_path")
        added: list[str] = []
        opened: list[tuple[Candidate, int]] = []
        password_set: list[bool] = []  # per opened account: its row had a password
        # Drawn ahead so that the candidate IDs and every record keyed by them
        # are read in one batch each; the writes are sent in batches by flush().
        drawn = [CandidateId.generate().display for _ in rows]
        # The random hex of every row's acceptance ID (16 bytes), unusable
        # password (16) and message reference (8), drawn in one call.
        randoms = secrets.token_bytes(_ROW_RANDOM_BYTES * len(rows)).hex()
        with self._store.transaction() as tx:
            buffer = self._preloaded(WriteBuffer(tx), rows, drawn)
            store = AccountsStorage(buffer)
            pool = iter(drawn)
            for number, row in enumerate(rows):
                email_key = _text.email_key(row.contact.email)
                if email_key in seen or store.candidates.find_key_by_email(row.contact.email):
                    continue
                added.append(email_key)
                at = 2 * _ROW_RANDOM_BYTES * number
                key = self._new_candidate_id(store, pool)
                bound = self._bind(buffer, store, current, chosen, key, randoms[at : at + 32], now)
                encoded = row.password_hash or UNUSABLE_PREFIX + randoms[at + 32 : at + 64]
                # the personal data ledger records the whole batch at once (_record_gathered)
                candidate, _ = self._store_account(
                    buffer, store, bound, row.contact, encoded, now, gathered=False
                )
                opened.append((candidate, at))
                password_set.append(row.password_hash is not None)
            self._record_gathered(opened, now)
            tokens = self._tokens.issue_many(
                buffer,
                purpose=TokenPurpose.ACTIVATION,
                subjects=[candidate.candidate_id for candidate, _ in opened],
                ttl=self.settings.activation_ttl,
                now=now,
                noted=False,  # as register(), which notes its link's issue in a stand-in
            )
            expires = now + self.settings.activation_ttl
            outbox = [
                messages.activation(
                    candidate,
                    token,
                    expires,
                    randoms[at + 64 : at + 80].upper(),
                    password_set=chosen_password,
                )
                for (candidate, at), token, chosen_password in zip(
                    opened, tokens, password_set, strict=True
                )
            ]
            self._send(buffer, outbox)
            _flush(buffer)
        return added

    def _record_gathered(self, opened: list[tuple[Candidate, int]], now: datetime) -> None:
        """Record in the personal data ledger (consent, when wired) what the batch's
        registrations gathered: one call for the batch when the ledger takes batches,
        else one per candidate (as :meth:`register` does)."""
        ledger = self._consent
        if not opened or not isinstance(ledger, PersonalDataLedger):
            return
        gathered = [
            (c.candidate_id, REGISTRATION, rules.gathered_items(c.contact)) for c, _ in opened
        ]
        if isinstance(ledger, PersonalDataLedgerBatch):
            ledger.record_gathered_many(gathered, now)
            return
        for subject, activity, items in gathered:
            ledger.record_gathered(subject, activity, items, now)

    def _preloaded(
        self, buffer: WriteBuffer, rows: Sequence[BulkCandidate], drawn: list[str]
    ) -> WriteBuffer:
        """Read in one batched call each what the batch will look up: the addresses'
        index entries, the drawn candidate IDs, their token states and history heads."""
        buffer.preload_index(EMAIL_INDEX, [_text.email_key(r.contact.email) for r in rows])
        buffer.preload(CANDIDATE_KIND, drawn)
        buffer.preload(GENERATION_KIND, [f"{TokenPurpose.ACTIVATION}:{k}" for k in drawn])
        buffer.preload(Ledger.HEAD_KIND, [self._history.ledger.stream(k) for k in drawn])
        return buffer

    @staticmethod
    def _bind(
        buffer: WriteBuffer,
        store: AccountsStorage,
        current: TermsVersion,
        chosen: AcceptancePath,
        key: str,
        acceptance_id: str,
        now: datetime,
    ) -> TermsAcceptance:
        """Store the acceptance at version 2 bound to ``key``, as accept_terms (added
        unbound) and then register (bound) leave it: built once, encoded once, added,
        then its stored text saved again."""
        bound = rules.new_acceptance(current, chosen, now, acceptance_id, key, version=2)
        first = store.acceptances.add(bound)
        stored = buffer.load(store.acceptances.kind, bound.acceptance_id)
        assert stored is not None  # just added to the buffer
        saved = buffer.save(stored.kind, stored.key, stored.data, first.version)
        assert saved == bound.version
        return bound


def _flush(buffer: WriteBuffer) -> None:
    try:
        buffer.flush()
    except Conflict as exc:
        if exc.code != "duplicate":
            raise
        # The only index written here: an address taken concurrently.
        raise Conflict("this e-mail address is taken", field="email", code="email_taken") from exc
