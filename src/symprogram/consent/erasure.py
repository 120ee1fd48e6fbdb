"""Erasure: drop a subject's personal data, keeping a pseudonymous proof in the ledger."""

from __future__ import annotations

from datetime import datetime

from symprogram.consent import rules
from symprogram.consent._base import ConsentBase
from symprogram.consent.models import ErasureReceipt, check_subject
from symprogram.consent.storage import ConsentStorage

__all__ = ["Erasure"]


class Erasure(ConsentBase):
    """The right to erasure."""

    def erase(self, subject: str, *, at: datetime | None = None) -> ErasureReceipt:
        """Erase the subject's personal data, keeping a pseudonymous proof in the ledger.

        Drops the data (evidence included) of every ledger entry while keeping its
        digest and the chain, deletes the personal information and requests, and
        appends a ``subject_erased`` entry. Afterwards every answer about the
        subject, at any instant, is ``subject_erased`` and nothing more is recorded.

        Raises:
            NotFound: ``consent_subject_not_found``.
            IllegalTransition: ``subject_erased`` (already erased).
            ValidationError: the instant codes of :meth:`grant`.
        """
        subject = check_subject(subject)
        catalogue = self._policies()
        now, instant = self._now_and(at)
        with self._store.transaction() as tx:
            storage = ConsentStorage(tx)
            state = storage.states.find(subject)
            event = rules.check_erasable(subject, state, instant)
            rules.check_record_instant(state, instant, now, catalogue)
            erased = self.ledger.erase(tx, subject)
            saved, entry = self._append(tx, state, event)
            file = storage.files.find(subject)
            if file is not None:
                storage.files.remove(file)
        self._projections.forget(subject)
        return ErasureReceipt(subject, instant, erased, saved.length, entry.hash)
