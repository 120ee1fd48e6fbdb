"""Flow: erasing a candidate's personal data from the awards context (right to erasure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar

import attrs

from symprogram._erasable import after_erasure
from symprogram.awards import rules
from symprogram.awards._base import FlowBase
from symprogram.awards.events import (
    AwardsErased,
    AwardsPublished,
    DisclosureRecipientErased,
    DisclosureRevoked,
)
from symprogram.awards.models import AwardsErasure, Disclosure
from symprogram.awards.ports import CANDIDATE_KIND, PERSONAL_DATA_KINDS, TALLY_KIND
from symprogram.outbox import erase_messages
from symprogram.persistence import Transaction

__all__ = ["Erasure"]

_PUBLISHED = AwardsPublished.event_name()


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
        The history entries that hold personal data (``awards_published``: the
        holder name and recipient hash; ``kit_shipped``: the tracking text;
        ``award_revoked``: the reason) lose their data with
        :meth:`~symprogram.ledger.Ledger.erase_entry`, as the accounts erasure drops
        every entry's: the history still verifies, and what such an entry said
        (which disclosure, kit or grant) is no longer compared with the stored
        records.
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
            self._erase_entries(tx, cid)
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

    def _erase_entries(self, tx: Transaction, cid: str) -> None:
        """Drop the data of each of the candidate's history entries that holds personal
        data (:func:`~symprogram.awards.rules.personal_entry`) with
        :meth:`~symprogram.ledger.Ledger.erase_entry`, as the accounts erasure drops
        every entry's: digest and chain kept, an erasure marker added, so the history
        still verifies. The candidate's other entries are left as they are."""
        ledger = self._history.ledger
        for entry in ledger.entries(tx, cid):
            if rules.personal_entry(entry.kind, entry.data):
                ledger.erase_entry(tx, cid, entry.position)

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

    def erase_recipients(self, tx: Transaction, addresses: Iterable[str]) -> tuple[str, ...]:
        """Drop the recipient of every disclosure published to one of ``addresses``
        (an erased person's), in the caller's unit of work ``tx``; return their IDs.

        The disclosures stay their holders': each loses the salted hash of its
        recipient's address and its salt (it then matches no recipient address:
        verifying it with one shows nothing, ``recipient_mismatch``); the data of its
        ``awards_published`` history entry, which held the hash, is dropped with
        :meth:`~symprogram.ledger.Ledger.erase_entry` and a
        ``disclosure_recipient_erased`` entry says again what that entry said
        otherwise, so the holder's history still verifies and still anchors the
        disclosure. Reads every stored disclosure once (their hashes are salted one
        by one: no index can find them). :func:`symprogram.erasure.erase_person`
        calls it with the addresses the erased account held.
        """
        wanted = tuple(dict.fromkeys(a for a in addresses if isinstance(a, str) and a))
        if not wanted:
            return ()
        salt = self.settings.salt
        found = [
            d
            for d in self._repo.disclosures(tx)
            if d.recipient_hash and any(rules.recipient_matches(d, a, salt) for a in wanted)
        ]
        now = self._now()
        for disclosure in found:
            self._locked(tx, disclosure.candidate_id)  # the holder's, as publishing takes it
            current = self._repo.disclosure(tx, disclosure.disclosure_id)
            blank = attrs.evolve(current, recipient_hash="", recipient_salt=None)
            if blank != current:
                self._repo.save_disclosure(tx, blank)
                self._restate(tx, current, now)
        return tuple(d.disclosure_id for d in found)

    def _restate(self, tx: Transaction, disclosure: Disclosure, now: datetime) -> None:
        """Erase the ``awards_published`` entry of ``disclosure`` in its holder's history
        and append a ``disclosure_recipient_erased`` entry saying it again without the
        recipient (nothing if no entry names it any more)."""
        holder, did = disclosure.candidate_id, disclosure.disclosure_id
        ledger = self._history.ledger
        for entry in ledger.entries(tx, holder):
            data = entry.data
            if entry.kind != _PUBLISHED or data is None or data.get("disclosure_id") != did:
                continue
            ledger.erase_entry(tx, holder, entry.position)
            restated = _restated(holder, now, did, data)
            if restated is not None:
                self._record(tx, restated)
            return


def _restated(
    holder: str, at: datetime, did: str, data: Mapping[str, Any]
) -> DisclosureRecipientErased | None:
    """What the ``awards_published`` entry ``data`` said of disclosure ``did``, but its
    recipient (``None``: an entry that does not say its expiry says nothing again)."""
    expires = data.get("expires_at")
    if not isinstance(expires, str):
        return None
    return DisclosureRecipientErased(
        holder,
        at,
        did,
        award_ids=tuple(data.get("award_ids") or ()),
        expires_at=datetime.fromisoformat(expires),
        holder_name=data.get("holder_name"),
        code_digest=data.get("code_digest"),
    )
