"""Flow: erasing a candidate's personal data from the awards context (right to erasure)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from symprogram._erasable import after_erasure
from symprogram.awards import rules
from symprogram.awards._base import FlowBase
from symprogram.awards.events import AwardsErased, DisclosureRevoked
from symprogram.awards.models import AwardsErasure
from symprogram.awards.ports import CANDIDATE_KIND, PERSONAL_DATA_KINDS, TALLY_KIND
from symprogram.outbox import erase_messages
from symprogram.persistence import Transaction

__all__ = ["Erasure"]


class Erasure(FlowBase):
    """Anonymizing a candidate's awards data (a :class:`symprogram._erasable.Erasable`)."""

    personal_data_kinds: ClassVar[tuple[str, ...]] = PERSONAL_DATA_KINDS
    """Achievement kits (a postal address) and disclosures (the holder's name)."""
    other_kinds: ClassVar[tuple[str, ...]] = (CANDIDATE_KIND, TALLY_KIND)
    """The candidate's awards aggregate (results and grants under the candidate ID) and
    the verification tallies (counts per outcome)."""

    def erase_subject(self, tx: Transaction, subject: str, *, reason: str) -> AwardsErasure:
        """The awards part of :func:`symprogram.erasure.erase_person`: :meth:`erase`,
        joining the caller's unit of work ``tx`` (``reason`` is kept by the accounts)."""
        del tx, reason
        return self.erase(subject)

    def erase(self, candidate_id: str) -> AwardsErasure:
        """Anonymize the candidate's awards data (right to erasure), in ONE unit of work.

        Every achievement kit's address becomes :data:`ERASED_KIT_ADDRESS`; every
        disclosure loses its holder name and recipient hash, and the ones still
        showing are revoked now (a ``disclosure_revoked`` history entry each), so
        verifying their codes shows nothing (``reason="disclosure_revoked"``); the
        first erasure appends an ``awards_erased`` history entry (what the history's
        verification checks the erased record against).
        Exam results and award grants stay: they are keyed by the pseudonymous
        candidate ID (a revocation reason, free text, becomes a marker).
        Afterwards recording results, earning, renewing, revoking, publishing,
        revoking a disclosure and shipping or delivering a kit raise
        ``IllegalTransition`` with code ``account_erased``; a verification is
        still counted, never added to the history (``account_erased`` stays last).
        The candidate's outbox messages, pending or delivered, are deleted (a
        pending one is never sent), and once the unit of work committed an SQLite
        store rebuilds its file and truncates its WAL, so no erased value stays in
        the files.
        Idempotent: a second call scrubs anything missed and returns
        ``already_erased=True``.

        :meth:`symprogram.Program.erase_person` calls it together with the
        accounts and consent erasures in one unit of work.

        Raises:
            ValidationError: ``invalid_candidate_id``.
            NotFound: ``candidate_not_found``.
            StorageError: ``database_busy`` when another connection kept the
                SQLite WAL from being truncated (the erasure itself is committed).
        """
        cid = self._candidate(candidate_id)
        now = self._now()
        with self._store.transaction() as tx:
            state = self._locked(tx, cid)
            for kit_id in state.kit_ids:
                kit = self._repo.kit(tx, kit_id)
                if not rules.kit_scrubbed(kit):  # an earlier build left tracking text
                    self._repo.save_kit(tx, rules.erased_kit(kit))
            revoked = self._erase_disclosures(tx, cid, state.disclosure_ids, now)
            if state.erased_at is None:
                self._record(tx, AwardsErased(cid, now))
            erased = rules.erased_state(state, now)
            if erased != state or state.version == 0:
                erased = self._repo.save_candidate(tx, erased)
            # its messages (a disclosure to a recruiter naming the holder), pending
            # or delivered: nothing of the person is sent once this returned
            erase_messages(tx, cid)
        after_erasure(self._store)
        assert erased.erased_at is not None
        return AwardsErasure(
            candidate_id=cid,
            erased_at=erased.erased_at,
            kits=state.kit_ids,
            disclosures=state.disclosure_ids,
            revoked=revoked,
            already_erased=state.erased_at is not None,
        )

    def _erase_disclosures(
        self, tx: Transaction, cid: str, disclosure_ids: tuple[str, ...], now: datetime
    ) -> tuple[str, ...]:
        """Scrub every disclosure; revoke the ones still showing. Returns those revoked."""
        revoked: list[str] = []
        for disclosure_id in disclosure_ids:
            disclosure = self._repo.disclosure(tx, disclosure_id)
            changed, was_active = rules.erased_disclosure(disclosure, now)
            if was_active:
                revoked.append(disclosure_id)
                self._record(tx, DisclosureRevoked(cid, now, disclosure_id))
            if changed != disclosure:
                self._repo.save_disclosure(tx, changed)
        return tuple(revoked)
