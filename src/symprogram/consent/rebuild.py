"""Flow: rebuild a stored consent projection from the subject's ledger.

The projection a "may we?" answer reads is only a fold of the consent ledger
(:func:`~symprogram.consent.rules.replay`); the ledger is what proves each choice
("We give you choices regarding the collection and usage of your personally
identifiable information", the privacy policy). A projection stored by an earlier
version of the fold (one that an opt-out alone made ``known``), or altered by
hand, keeps answering as it was stored, and
:meth:`~symprogram.consent.ConsentService.verify` reports it
(``projection_mismatch``, ``projection_unreadable``, ``audience_index_mismatch``).
:meth:`Rebuilding.rebuild` replaces it with the replay of the ledger, and brings
the subject's audience index entries in line, in one unit of work; nothing is
appended to the ledger and no event is published.
"""

from __future__ import annotations

import attrs

from symprogram.consent import rules
from symprogram.consent.ledger import LedgerChecks
from symprogram.consent.models import CHANNEL_PREFIX, Choice, ConsentState, check_subject
from symprogram.consent.ports import AUDIENCE_KIND, AUDIENCE_MARKER, META_KIND, STATE_KIND
from symprogram.consent.storage import ConsentStorage, audience_key
from symprogram.errors import IntegrityError
from symprogram.persistence import Record, Transaction, load_for_update

__all__ = ["Rebuilding"]

_REPAIRABLE = frozenset({"projection_mismatch", "projection_unreadable", "audience_index_mismatch"})
"""The problems of :meth:`~symprogram.consent.ConsentService.verify` a rebuild repairs."""


class Rebuilding(LedgerChecks):
    """Rebuilding stored projections from the consent ledger."""

    def rebuild(self, subject: str) -> bool:
        """Recompute ``subject``'s stored projection from its consent ledger.

        In one unit of work: the ledger chain is checked, replayed, and the stored
        projection (and the subject's audience index entries) replaced by the
        replay when they differ from it. Nothing is appended to the ledger and no
        event is published; afterwards :meth:`verify` reports no projection problem.
        A projection already equal to its replay is left untouched.

        Example:
            >>> from symprogram.clock import SystemClock
            >>> from symprogram.consent import ConsentService
            >>> from symprogram.storage.memory import MemoryStore
            >>> consent = ConsentService(MemoryStore(), SystemClock())
            >>> _ = consent.global_privacy_control("visitor-1")
            >>> consent.rebuild("visitor-1")
            False

        Args:
            subject: the pseudonymous subject.

        Returns:
            Whether anything was written (``False``: the projection was a replay).

        Raises:
            ValidationError: ``invalid_subject``.
            NotFound: ``consent_subject_not_found`` (nothing recorded about the subject).
            IntegrityError: ``ledger_tampered`` (the ledger chain does not verify: a
                projection is never rebuilt from an altered ledger; nothing is written).
        """
        checked = check_subject(subject)
        with self._store.transaction() as tx:
            record = load_for_update(tx, STATE_KIND, checked)
            self.ledger.verify(tx, checked).raise_for_problems()
            entries = list(self._projections.entries(tx, checked))
            if record is None:
                rules.check_known_subject(checked, None, len(entries))
            replayed = rules.replay(checked, entries, catalogue=self._policies())
            stored = self._stored(checked, record)
            granted = {
                str(data.get("topic"))
                for kind, data, _, _ in entries
                if kind == rules.CONSENT_RECORDED
                and data is not None
                and data.get("choice") == Choice.GRANTED.value
            }
            changed = self._replace(tx, record, stored, replayed)
            topics = set(granted)
            if stored is not None:
                topics.update(c.topic for c in stored.choices)
            changed |= self._repair_index(tx, checked, replayed, topics, granted)
        if changed:
            self._projections.forget(checked)
        return changed

    def rebuild_all(self, *, batch: int = 500) -> int:
        """Rebuild every projection that :meth:`verify_all` finds out of line with its ledger.

        Each subject is rebuilt in a unit of work of its own (:meth:`rebuild`);
        subjects whose ledger chain itself fails verification are left as they are
        (:meth:`verify_all` keeps reporting them).

        Args:
            batch: subjects verified per unit of work (1 to 10,000).

        Returns:
            How many subjects' projections (or audience entries) were rewritten.

        Raises:
            ValidationError: ``invalid_batch``.
        """
        size = rules.check_batch(batch)
        rebuilt = 0
        for failure in self.verify_all(batch=size).failures:
            codes = {problem.code for problem in failure.problems}
            if codes and codes <= _REPAIRABLE:
                try:
                    rebuilt += self.rebuild(failure.subject)
                except IntegrityError:
                    continue  # its ledger changed meanwhile: verify_all reports it
        return rebuilt

    def _stored(self, subject: str, record: Record | None) -> ConsentState | None:
        """The stored projection, or ``None`` when there is none or it cannot be read."""
        if record is None:
            return None
        try:
            return self._projections.peek(subject, record.data, record.version)
        except IntegrityError:
            return None

    @staticmethod
    def _replace(
        tx: Transaction,
        record: Record | None,
        stored: ConsentState | None,
        replayed: ConsentState | None,
    ) -> bool:
        """Store ``replayed`` in place of ``record`` unless ``stored`` already equals it."""
        if stored is not None and attrs.evolve(stored, version=0) == replayed:
            return False
        if replayed is None:
            if record is None:
                return False
            tx.delete(STATE_KIND, record.key, record.version)
            return True
        repo = ConsentStorage(tx).states
        if record is None:
            repo.add(replayed)
        else:
            repo.save(attrs.evolve(replayed, version=record.version))
        return True

    def _repair_index(
        self,
        tx: Transaction,
        subject: str,
        replayed: ConsentState | None,
        topics: set[str],
        granted: set[str],
    ) -> bool:
        """Bring the subject's audience entries in line with ``replayed``.

        The topics looked at are those :meth:`verify` checks (the catalogue's
        purposes, the purposes ever granted, the replay's topics) and ``topics``
        (those of the replaced projection). A store whose index is not built yet
        is left to build it on first use. Returns whether an entry was written or
        removed.
        """
        if tx.load(META_KIND, AUDIENCE_MARKER) is None:
            return False
        wrong = set(self._index.problems(tx, subject, replayed, granted, self._policies()))
        if replayed is not None:
            topics.update(c.topic for c in replayed.choices)
        changed = False
        for topic in sorted(t for t in topics | wrong if not t.startswith(CHANNEL_PREFIX)):
            key = audience_key(topic, subject)
            current = tx.load(AUDIENCE_KIND, key)
            expected = None if replayed is None else rules.audience_entry(replayed, topic)
            if expected is None:
                if current is not None:
                    tx.delete(AUDIENCE_KIND, key, current.version)
                    changed = True
            elif current is None:
                if topic in wrong:
                    tx.save(AUDIENCE_KIND, key, self._index.sealed(key, expected), 0)
                    changed = True
            elif current.data != (data := self._index.sealed(key, expected)):
                tx.save(AUDIENCE_KIND, key, data, current.version)
                changed = True
        return changed
