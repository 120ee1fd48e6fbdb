"""Storage of the awards context on the generic storage port (every adapter).

Record kinds: ``award_candidate`` (key: candidate ID), ``award_kit`` (key: kit
ID), ``award_disclosure`` (key: disclosure ID). Unique index
``award_disclosure_code``: SHA-256 digest of a verification code -> disclosure
ID. Streams ``award_verifications:<disclosure ID>``: the verification log, and
``award_verifications:-`` for codes that matched nothing; ``award_verification_tally``
(key: ``<disclosure ID>/<YYYY-MM-DD>``): each day's verifications counted per outcome.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from symprogram.awards.models import (
    CandidateAwards,
    Disclosure,
    KitFulfilment,
    VerificationRecord,
)
from symprogram.awards.ports import (
    CANDIDATE_KIND,
    CODE_INDEX,
    DISCLOSURE_KIND,
    KIT_KIND,
    TALLY_KIND,
    VERIFICATION_STREAM_PREFIX,
)
from symprogram.errors import IntegrityError
from symprogram.persistence import Record, Repository, Transaction, load_for_update
from symprogram.serialization import canonical_json, json_value

__all__ = ["CODE_INDEX", "UNKNOWN_CODE_LOG", "AwardsStorage"]

UNKNOWN_CODE_LOG = "-"
"""Disclosure ID under which verifications of unknown codes are logged."""


def _log_stream(disclosure_id: str) -> str:
    return f"{VERIFICATION_STREAM_PREFIX}{disclosure_id}"


class AwardsStorage:
    """The default :class:`~symprogram.awards.ports.AwardsRepository`."""

    def _candidates(self, tx: Transaction) -> Repository[CandidateAwards]:
        return Repository(tx, CANDIDATE_KIND, CandidateAwards, key=lambda c: c.candidate_id)

    def _kits(self, tx: Transaction) -> Repository[KitFulfilment]:
        return Repository(tx, KIT_KIND, KitFulfilment, key=lambda k: k.kit_id)

    def _disclosures(self, tx: Transaction) -> Repository[Disclosure]:
        return Repository(tx, DISCLOSURE_KIND, Disclosure, key=lambda d: d.disclosure_id)

    def candidate(
        self, tx: Transaction, candidate_id: str, *, for_update: bool = False
    ) -> CandidateAwards:
        """The candidate's aggregate (a fresh one, version 0, if there is none);
        ``for_update``: read locked (``find_for_update``), so that the writers of one
        candidate's awards queue instead of failing with a stale version."""
        repo = self._candidates(tx)
        found = repo.find_for_update(candidate_id) if for_update else repo.find(candidate_id)
        return found if found is not None else CandidateAwards(candidate_id)

    def candidate_page(
        self, tx: Transaction, *, after: str | None, limit: int
    ) -> tuple[list[CandidateAwards], str | None, bool]:
        """The stored aggregates of the next ``limit`` candidate records after the key
        ``after``, in key order; the last key read; whether more may follow. A record
        that cannot be read is left out (``verify_all`` reports it)."""
        records = tx.scan(CANDIDATE_KIND, after=after, limit=limit)
        repo = self._candidates(tx)
        found = []
        for record in records:
            try:
                found.append(repo.decode(record))
            except IntegrityError:
                continue
        last = records[-1].key if records else after
        return found, last, len(records) == limit

    def save_candidate(self, tx: Transaction, state: CandidateAwards) -> CandidateAwards:
        """Add (version 0) or save the aggregate; ConcurrencyError if it is stale,
        including a version-0 aggregate another unit of work added after this one
        found none (a retry then sees it)."""
        return self._candidates(tx).save(state)

    def kit(self, tx: Transaction, kit_id: str) -> KitFulfilment:
        """The kit (NotFound ``kit_not_found``)."""
        return self._kits(tx).get(kit_id)

    def find_kit(self, tx: Transaction, kit_id: str) -> KitFulfilment | None:
        """The kit, or ``None``."""
        return self._kits(tx).find(kit_id)

    def decode_kit(self, tx: Transaction, record: Record) -> KitFulfilment:
        """The kit a stored ``award_kit`` record holds (IntegrityError
        ``record_corrupt``: it cannot be read as its key's)."""
        return self._kits(tx).decode(record)

    def save_kit(self, tx: Transaction, kit: KitFulfilment) -> KitFulfilment:
        """Add or save a kit."""
        repo = self._kits(tx)
        return repo.add(kit) if kit.version == 0 else repo.save(kit)

    def disclosure(self, tx: Transaction, disclosure_id: str) -> Disclosure:
        """The disclosure (NotFound ``disclosure_not_found``)."""
        return self._disclosures(tx).get(disclosure_id)

    def find_disclosure(self, tx: Transaction, disclosure_id: str) -> Disclosure | None:
        """The disclosure, or ``None``."""
        return self._disclosures(tx).find(disclosure_id)

    def decode_disclosure(self, tx: Transaction, record: Record) -> Disclosure:
        """The disclosure a stored ``award_disclosure`` record holds (IntegrityError
        ``record_corrupt``: it cannot be read as its key's)."""
        return self._disclosures(tx).decode(record)

    def disclosures(self, tx: Transaction) -> Iterator[Disclosure]:
        """Every stored disclosure, in key order (pages of 500; a record that cannot be
        read is left out: ``verify_all`` reports it)."""
        repo = self._disclosures(tx)
        after: str | None = None
        while True:
            records = tx.scan(DISCLOSURE_KIND, after=after, limit=500)
            for record in records:
                try:
                    yield repo.decode(record)
                except IntegrityError:
                    continue
            if len(records) < 500:
                return
            after = records[-1].key

    def disclosure_by_code(self, tx: Transaction, code_digest: str) -> Disclosure | None:
        """The disclosure whose verification code has this digest, if any.

        An index entry naming a disclosure of another code (written in for a code of
        one's own) answers as no entry: that disclosure is not returned.
        """
        key = tx.index_get(CODE_INDEX, code_digest)
        found = None if key is None else self._disclosures(tx).find(key)
        return found if found is not None and found.code_digest == code_digest else None

    def code_owner(self, tx: Transaction, code_digest: str) -> str | None:
        """The disclosure ID the code index gives ``code_digest`` (``None``: none)."""
        return tx.index_get(CODE_INDEX, code_digest)

    def save_disclosure(self, tx: Transaction, disclosure: Disclosure) -> Disclosure:
        """Add (and index its code digest) or save a disclosure."""
        repo = self._disclosures(tx)
        if disclosure.version == 0:
            tx.index_put(CODE_INDEX, disclosure.code_digest, disclosure.disclosure_id)
            return repo.add(disclosure)
        return repo.save(disclosure)

    def log_verification(self, tx: Transaction, record: VerificationRecord) -> None:
        """Append ``record`` to its disclosure's verification log."""
        stream = _log_stream(record.disclosure_id)
        position = tx.stream_length(stream) + 1
        data = {"at": record.at.isoformat(), "outcome": record.outcome}
        tx.append(stream, position, canonical_json(data))

    def verifications(self, tx: Transaction, disclosure_id: str) -> tuple[VerificationRecord, ...]:
        """The verification log of ``disclosure_id``, oldest first."""
        out = []
        for position, text in tx.read(_log_stream(disclosure_id)):
            try:
                raw = json_value(text)
                out.append(
                    VerificationRecord(
                        disclosure_id, datetime.fromisoformat(raw["at"]), str(raw["outcome"])
                    )
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise IntegrityError(
                    f"verification log entry {position} of {disclosure_id!r} is unreadable",
                    code="record_corrupt",
                ) from exc
        return tuple(out)

    def verification_tally(
        self, tx: Transaction, disclosure_id: str, day: date
    ) -> tuple[dict[str, int], int]:
        """The day's verifications of ``disclosure_id`` per outcome and the tally's version
        (0: none yet), read for update (writers of one tally queue)."""
        record = load_for_update(tx, TALLY_KIND, f"{disclosure_id}/{day.isoformat()}")
        if record is None:
            return {}, 0
        return _counts(record.data, record.key), record.version

    def save_verification_tally(
        self, tx: Transaction, disclosure_id: str, day: date, counts: dict[str, int], version: int
    ) -> None:
        """Store the day's tally over the ``version`` read."""
        key = f"{disclosure_id}/{day.isoformat()}"
        tx.save(TALLY_KIND, key, canonical_json({"counts": counts}), version)

    def verification_tallies(
        self, tx: Transaction, disclosure_id: str
    ) -> tuple[tuple[date, dict[str, int]], ...]:
        """Every day's tally of ``disclosure_id``, oldest first."""
        out: list[tuple[date, dict[str, int]]] = []
        after: str | None = None
        while True:
            page = tx.scan(TALLY_KIND, prefix=f"{disclosure_id}/", after=after, limit=500)
            for record in page:
                day = date.fromisoformat(record.key.rpartition("/")[2])
                out.append((day, _counts(record.data, record.key)))
            if len(page) < 500:
                return tuple(out)
            after = page[-1].key


def _counts(data: str, key: str) -> dict[str, int]:
    try:
        raw = json_value(data)["counts"]
        return {str(outcome): int(count) for outcome, count in raw.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IntegrityError(
            f"verification tally {key!r} is unreadable", code="record_corrupt"
        ) from exc
