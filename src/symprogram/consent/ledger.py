"""The consent ledger: a subject's history and receipt, and proof that nothing changed.

Every ledger of the program answers ``history(subject)``, ``verify(subject)`` and
``verify_all()``; a consent receipt is the machine-readable form of one subject's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from symprogram._anchors import mismatches
from symprogram.consent import _rules_policy_anchors as anchors
from symprogram.consent import rules
from symprogram.consent._base import ConsentBase, policy_records
from symprogram.consent.models import Choice, ConsentReceipt, LedgerAudit
from symprogram.consent.ports import FILE_KIND, STATE_KIND
from symprogram.consent.storage import ConsentStorage
from symprogram.errors import IntegrityError, ValidationError
from symprogram.ledger import LedgerEntry, Problem, Verification, iter_verifications
from symprogram.persistence import Transaction

if TYPE_CHECKING:
    from symprogram.digests import LedgerDigest

__all__ = ["LedgerChecks"]


class LedgerChecks(ConsentBase):
    """Reading and verifying the consent ledger."""

    def receipt(self, subject: str) -> ConsentReceipt:
        """A machine-readable consent receipt: every standing choice and the full ledger.

        Raises:
            NotFound: ``consent_subject_not_found``.
        """
        now = self._clock.now()
        with self._reading(subject) as (subject, tx):
            return self._receipt(tx, subject, now)

    def history(self, subject: str) -> tuple[LedgerEntry, ...]:
        """The subject's ledger entries, oldest first (``"~policies"``: the entries
        anchoring the published policy versions)."""
        if subject == anchors.POLICIES_SUBJECT:
            with self._store.transaction(readonly=True) as tx:
                return tuple(self.ledger.entries(tx, subject))
        with self._reading(subject) as (subject, tx):
            return tuple(self.ledger.entries(tx, subject))

    def verify(self, subject: str, *, against: LedgerDigest | None = None) -> Verification:
        """Check the subject's ledger chain, that the projection equals its replay, and
        that the subject's stored file is as the ledger says.

        The file (what :meth:`record_personal_data` and the correction requests keep)
        is compared by item name, collection and request, never by value (the ledger
        holds no value): one held after the subject's erasure, or whose names,
        collections or requests differ, is ``aggregate_mismatch`` (kind
        ``consent_file``; :func:`~symprogram.consent.rules.file_differences`).

        With ``against``, a digest kept outside the database, also prove that the
        ledger still extends what the digest covered, so a ledger and projection
        rolled back together to an older state (from a backup) are detected
        (``digest_truncated``, ``digest_head_mismatch``, ``digest_stream_missing``).

        Never raises for a defect: problems (``hash_mismatch``, ``broken_link``,
        ``gap``, ``truncated``, ``data_altered``, ``erasure_forged``,
        ``projection_mismatch``, ``aggregate_mismatch``, ...) are listed; call
        ``raise_for_problems()`` to turn them into an ``IntegrityError``.

        The reserved subject ``"~policies"`` is the stream anchoring the published
        policy versions: its verification compares every stored version with its
        ``policy_published`` entry (:meth:`_verify_policies`).

        Raises:
            ValidationError: ``digest_key_mismatch`` (a digest of another key).
            IntegrityError: ``digest_forged`` (an altered digest).
        """
        if subject == anchors.POLICIES_SUBJECT:
            with self._store.transaction(readonly=True) as tx:
                return self._verify_policies(tx, against)
        with self._reading(subject) as (subject, tx):
            return self._verify(tx, subject, against)

    def _verify_policies(self, tx: Transaction, against: LedgerDigest | None) -> Verification:
        """The policies' stream verified, and every stored policy version against it.

        A version that differs from its entry, one no entry names (written in by
        hand) or one an entry names and the store lacks (deleted) is
        ``aggregate_mismatch`` (kind ``consent_policy``; field ``content``,
        ``version``, ``consent_policy`` or ``entry``:
        :func:`~symprogram.consent._rules_policy_anchors.policy_differences`). Stored
        versions with no entry at all (an earlier build's store, before
        :meth:`anchor_policies`) are ``policies_not_anchored``.
        """
        subject = anchors.POLICIES_SUBJECT
        result = self.ledger.verify(tx, subject, against=against)
        problems = list(result.problems)
        try:
            rows = [(record.key, record.data) for record in policy_records(tx)]
            pairs = self.ledger.said_entries(tx, subject)
        except IntegrityError:
            problems.append(
                Problem(result.length, "aggregate_unreadable", "the stored policies cannot be read")
            )
        else:
            if pairs:
                problems.extend(mismatches(result.length, anchors.policy_differences(rows, pairs)))
            elif rows:
                problems.append(anchors.unanchored_problem(len(rows)))
        return Verification(subject, result.length, tuple(problems))

    def _verify(
        self, tx: Transaction, subject: str, against: LedgerDigest | None = None
    ) -> Verification:
        if subject == anchors.POLICIES_SUBJECT:
            return self._verify_policies(tx, against)
        result = self.ledger.verify(tx, subject, against=against)
        problems = list(result.problems)
        granted: set[str] = set()
        read: list[tuple[str, dict[str, Any] | None, datetime, int]] = []

        def entries() -> Iterator[tuple[str, dict[str, Any] | None, datetime, int]]:
            for kind, data, at, position in self._projections.entries(tx, subject):
                if (
                    kind == rules.CONSENT_RECORDED
                    and data is not None
                    and data.get("choice") == Choice.GRANTED.value
                ):
                    granted.add(str(data.get("topic")))
                read.append((kind, data, at, position))
                yield kind, data, at, position

        try:
            catalogue = self._policies()
        except IntegrityError:  # a forged catalogue: the policies' stream reports it
            catalogue = self._base
        try:
            replayed = rules.replay(subject, entries(), catalogue=catalogue)
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
            for topic in self._index.problems(tx, subject, stored, granted, catalogue):
                problems.append(
                    Problem(
                        result.length,
                        "audience_index_mismatch",
                        f"the audience index entry for {topic!r} differs from the projection",
                    )
                )
            problems.extend(self._file_problems(tx, subject, read, result.length))
        return Verification(subject, result.length, tuple(problems))

    def _file_problems(
        self,
        tx: Transaction,
        subject: str,
        entries: list[tuple[str, dict[str, Any] | None, datetime, int]],
        length: int,
    ) -> tuple[Problem, ...]:
        """The subject's stored file against the ledger ``entries``: ``aggregate_mismatch``
        per difference (:func:`~symprogram.consent.rules.file_differences`), or
        ``aggregate_unreadable`` for a file that cannot be read."""
        try:
            file = ConsentStorage(tx).files.find(subject)
        except IntegrityError:
            return (
                Problem(length, "aggregate_unreadable", "the stored consent file cannot be read"),
            )
        return mismatches(length, rules.file_differences(subject, file, entries))

    def verify_all(self, *, batch: int = 500, against: LedgerDigest | None = None) -> LedgerAudit:
        """Verify every subject's ledger (page by page) and report the failures.

        With ``against``, every subject the digest covered is checked too, so a
        ledger dropped whole is reported (``digest_stream_missing``). Every subject
        with a stored projection or file is checked, so a file written in for a
        subject the ledger knows nothing of is reported too. The published policy
        versions are checked against their stream (subject ``"~policies"``, see
        :meth:`verify`), also when the store holds versions and no such stream.

        Raises:
            ValidationError: ``invalid_batch``; ``digest_key_mismatch``.
            IntegrityError: ``digest_forged``.
        """
        size = rules.check_batch(batch)
        if against is not None:
            self.ledger.check_digest(against)
        checked = 0
        policies = False
        failures: list[Verification] = []
        for result in iter_verifications(
            self._store,
            self.ledger,
            lambda tx, subject: self._verify(tx, subject, against),
            batch=size,
            against=against,
            kinds=(STATE_KIND, FILE_KIND),
        ):
            checked += 1
            policies = policies or result.subject == anchors.POLICIES_SUBJECT
            if not result.ok:
                failures.append(result)
        if not policies:  # no stream: versions stored by an earlier build, or none
            with self._store.transaction(readonly=True) as tx:
                result = self._verify_policies(tx, against)
            if not result.ok:
                checked += 1
                failures.append(result)
        return LedgerAudit(checked, tuple(failures))
