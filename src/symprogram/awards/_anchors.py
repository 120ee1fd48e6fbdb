"""The stored awards of a candidate checked against the account history (read-only).

:func:`awards_anchor_check` (exported by :mod:`symprogram.awards`) is an anchor
check of the kernel (:data:`symprogram._anchors.AnchorCheck`): a program
registers it on its account history (``AccountHistory.add_anchor_check``), so
that ``history.verify`` and ``verify_all`` report a stored record whose exam
results, grants, disclosures (or their code index entries) or kits differ from
what the history says (``aggregate_mismatch``; the rule is
:func:`symprogram.awards.rules.awards_differences`). It only reads: the
candidate's awards record, its disclosures, their code index entries and its kits.

:func:`disclosure_owner_check` and :func:`kit_owner_check` are owner checks of the
kernel (:data:`symprogram._owned.OwnerCheck`): a program registers them on its
account history (``AccountHistory.add_owner_check``), so that ``verify_all``
walks every stored disclosure and kit and reports one that the awards record of
the candidate it names does not list (written in by hand under an ID of its own).
"""

from __future__ import annotations

from collections.abc import Sequence

from symprogram._anchors import AggregateDifference, AggregateMismatch, mismatches
from symprogram._owned import unnamed
from symprogram._persistence_records import Record
from symprogram.awards import rules
from symprogram.awards.ports import DISCLOSURE_KIND, KIT_KIND
from symprogram.awards.storage import AwardsStorage
from symprogram.ledger import LedgerEntry
from symprogram.persistence import Transaction

__all__ = ["awards_anchor_check", "disclosure_owner_check", "kit_owner_check"]


def awards_anchor_check(
    tx: Transaction, subject: str, entries: Sequence[LedgerEntry]
) -> tuple[AggregateMismatch, ...]:
    """The stored awards of the candidate ``subject`` against its history ``entries``
    (read in ``tx``).

    Raises:
        IntegrityError: the stored record cannot be read (``record_corrupt``).
    """
    storage = AwardsStorage()
    awards = storage.candidate(tx, subject)  # none stored: an empty record
    pairs = [(entry.kind, entry.data) for entry in entries]
    named = {*awards.disclosure_ids, *rules.published_disclosures(pairs)}
    disclosures = {did: d for did in sorted(named) if (d := storage.find_disclosure(tx, did))}
    made = {*awards.kit_ids, *rules.made_kits(pairs)}
    kits = {kid: kit for kid in sorted(made) if (kit := storage.find_kit(tx, kid))}
    owners = {did: storage.code_owner(tx, d.code_digest) for did, d in disclosures.items()}
    instants = [entry.at for entry in entries]
    differences = rules.awards_differences(
        subject, awards, pairs, disclosures, kits, owners, instants
    )
    return mismatches(entries[-1].position if entries else 0, differences)


def disclosure_owner_check(
    tx: Transaction, record: Record
) -> tuple[str, tuple[AggregateDifference, ...]]:
    """The candidate the stored disclosure ``record`` names, and whether its awards
    record lists it.

    Raises:
        IntegrityError: the record cannot be read as its key's (``record_corrupt``).
    """
    storage = AwardsStorage()
    disclosure = storage.decode_disclosure(tx, record)
    awards = storage.candidate(tx, disclosure.candidate_id)
    named = rules.disclosure_named(disclosure, awards)
    return disclosure.candidate_id, unnamed(DISCLOSURE_KIND, record.key, named)


def kit_owner_check(tx: Transaction, record: Record) -> tuple[str, tuple[AggregateDifference, ...]]:
    """The candidate the stored kit ``record`` names, and whether its awards record
    lists it.

    Raises:
        IntegrityError: the record cannot be read as its key's (``record_corrupt``).
    """
    storage = AwardsStorage()
    kit = storage.decode_kit(tx, record)
    awards = storage.candidate(tx, kit.candidate_id)
    return kit.candidate_id, unnamed(KIT_KIND, record.key, rules.kit_named(kit, awards))
