"""Erasure: drop a subject's personal data, keeping a pseudonymous proof in the ledger."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from symprogram._erasable import after_erasure
from symprogram.consent import rules
from symprogram.consent._base import ConsentBase
from symprogram.consent.models import ErasureReceipt, check_subject
from symprogram.consent.ports import AUDIENCE_KIND, FILE_KIND, META_KIND, POLICY_KIND, STATE_KIND
from symprogram.consent.storage import ConsentStorage
from symprogram.errors import IllegalTransition, NotFound
from symprogram.persistence import Transaction

__all__ = ["Erasure"]


class Erasure(ConsentBase):
    """The right to erasure (a :class:`symprogram._erasable.Erasable`)."""

    personal_data_kinds: ClassVar[tuple[str, ...]] = (STATE_KIND, FILE_KIND, AUDIENCE_KIND)
    """The projection, the personal information held and the audience index."""
    other_kinds: ClassVar[tuple[str, ...]] = (POLICY_KIND, META_KIND)
    """Published policy versions and bookkeeping markers."""

    def erase_subject(self, tx: Transaction, subject: str, *, reason: str) -> ErasureReceipt | None:
        """The consent part of :func:`symprogram.erasure.erase_person`, within ``tx``.

        :meth:`erase`; ``None`` when nothing was ever recorded about ``subject``; for
        a subject erased before, a receipt of the standing erasure (nothing erased).
        """
        del reason
        try:
            return self.erase(subject)
        except NotFound as exc:
            if exc.code != "consent_subject_not_found":
                raise
            return None
        except IllegalTransition as exc:
            if exc.code != "subject_erased":
                raise
        state = ConsentStorage(tx).states.find(subject)
        length, head = self.ledger.head(tx, subject)
        erased_at = state.erased_at if state is not None else None
        return ErasureReceipt(subject, erased_at or self._clock.now(), 0, length, head)

    def erase(self, subject: str, *, at: datetime | None = None) -> ErasureReceipt:
        """Erase the subject's personal data, keeping a pseudonymous proof in the ledger.

        Drops the data (evidence included) of every ledger entry while keeping its
        digest and the chain, deletes the personal information and requests, and
        appends a ``subject_erased`` entry. Afterwards every answer about the
        subject, at any instant, is ``subject_erased`` and nothing more is recorded.
        Once the unit of work committed, an SQLite store rebuilds its file and
        truncates its WAL, so no erased value stays in the files (the only way to
        erase a visitor or a subject without an account).

        Raises:
            NotFound: ``consent_subject_not_found``.
            StorageError: ``database_busy`` when another connection kept the
                SQLite WAL from being truncated (the erasure itself is committed).
            IllegalTransition: ``subject_erased`` (already erased).
            ValidationError: the instant codes of :meth:`grant`.
        """
        subject = check_subject(subject)
        catalogue = self._policies()
        with self._locked(subject, at) as (tx, storage, state, now, instant):
            event = rules.check_erasable(subject, state, instant)
            rules.check_record_instant(state, instant, now, catalogue)
            erased = self.ledger.erase(tx, subject)
            saved, entry = self._append(tx, state, event)
            file = storage.files.find(subject)
            if file is not None:
                storage.files.remove(file)
        self._projections.forget(subject)
        after_erasure(self._store)
        return ErasureReceipt(subject, instant, erased, saved.length, entry.hash)
