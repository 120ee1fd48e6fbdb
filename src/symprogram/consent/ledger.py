"""The consent ledger: a subject's history and receipt, and proof that nothing changed.

Every ledger of the program answers ``history(subject)``, ``verify(subject)`` and
``verify_all()``; a consent receipt is the machine-readable form of one subject's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import attrs

from symprogram.consent import rules
from symprogram.consent._base import ConsentBase
from symprogram.consent.models import Choice, ConsentReceipt, LedgerAudit, check_subject
from symprogram.errors import IntegrityError, ValidationError
from symprogram.events import LedgerEntry, Problem, Verification
from symprogram.persistence import Transaction

__all__ = ["LedgerChecks"]


class LedgerChecks(ConsentBase):
    """Reading and verifying the consent ledger."""

    def receipt(self, subject: str) -> ConsentReceipt:
        """A machine-readable consent receipt: every standing choice and the full ledger.

        Raises:
            NotFound: ``consent_subject_not_found``.
        """
        subject = check_subject(subject)
        now = self._clock.now()
        with self._store.transaction(readonly=True) as tx:
            return self._receipt(tx, subject, now)

    def history(self, subject: str) -> tuple[LedgerEntry, ...]:
        """The subject's ledger entries, oldest first."""
        subject = check_subject(subject)
        with self._store.transaction(readonly=True) as tx:
            return tuple(self.ledger.entries(tx, subject))

    def verify(self, subject: str) -> Verification:
        """Check the subject's ledger chain and that the projection equals its replay.

        Never raises for a defect: problems (``hash_mismatch``, ``broken_link``,
        ``gap``, ``truncated``, ``data_altered``, ``projection_mismatch``, ...) are
        listed; call ``raise_for_problems()`` to turn them into an ``IntegrityError``.
        """
        subject = check_subject(subject)
        with self._store.transaction(readonly=True) as tx:
            return self._verify(tx, subject)

    def _verify(self, tx: Transaction, subject: str) -> Verification:
        result = self.ledger.verify(tx, subject)
        problems = list(result.problems)
        granted: set[str] = set()

        def entries() -> Iterator[tuple[str, dict[str, Any] | None, datetime, int]]:
            for kind, data, at, position in self._projections.entries(tx, subject):
                if (
                    kind == rules.CONSENT_RECORDED
                    and data is not None
                    and data.get("choice") == Choice.GRANTED.value
                ):
                    granted.add(str(data.get("topic")))
                yield kind, data, at, position

        try:
            replayed = rules.replay(subject, entries())
            stored = self._projections.load(tx, subject)
        except (IntegrityError, ValidationError, KeyError, ValueError, TypeError):
            problems.append(Problem(result.length, "projection_unreadable", "cannot replay"))
        else:
            if stored is not None:
                stored = attrs.evolve(stored, version=0)
            if replayed != stored:
                problems.append(
                    Problem(
                        result.length,
                        "projection_mismatch",
                        "the stored consent state differs from a replay of the ledger",
                    )
                )
            catalogue = self._policies()
            for topic in self._index.problems(tx, subject, stored, granted, catalogue):
                problems.append(
                    Problem(
                        result.length,
                        "audience_index_mismatch",
                        f"the audience index entry for {topic!r} differs from the projection",
                    )
                )
        return Verification(subject, result.length, tuple(problems))

    def verify_all(self, *, batch: int = 500) -> LedgerAudit:
        """Verify every subject's ledger (page by page) and report the failures."""
        size = rules.check_batch(batch)
        prefix = self.ledger.name + ":"
        after: str | None = None
        checked = 0
        failures: list[Verification] = []
        while True:
            with self._store.transaction(readonly=True) as tx:
                names = tx.streams(prefix=prefix, after=after, limit=size)
                for name in names:
                    result = self._verify(tx, name[len(prefix) :])
                    checked += 1
                    if not result.ok:
                        failures.append(result)
            if len(names) < size:
                return LedgerAudit(checked, tuple(failures))
            after = names[-1]
