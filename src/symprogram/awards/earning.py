"""Flow: earning awards (every award whose requirements are met, or one chosen award).

A certification with a kit makes an achievement kit in the same unit of work as
the grant: queued for the candidate's current postal address, or held (reason
``no_postal_address``, a ``kit_held`` history entry and, when the candidate's
``achievement_kits`` notification is on, an e-mail asking for an address) when
none is on file.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from symprogram.awards import messages, rules
from symprogram.awards._base import FlowBase, new_id
from symprogram.awards.events import AwardGranted, KitHeld, KitQueued
from symprogram.awards.models import AwardGrant, CandidateAwards
from symprogram.notify import Message
from symprogram.persistence import Transaction

__all__ = ["Earning"]


class Earning(FlowBase):
    """Granting awards whose requirements are met."""

    def _grant_all(
        self, tx: Transaction, state: CandidateAwards, ids: tuple[str, ...], at: datetime
    ) -> tuple[CandidateAwards, list[AwardGrant], list[Message]]:
        granted, notices = [], []
        for award_id in ids:
            definition = self._catalogue.get_award(award_id)
            state, new = rules.grant(state, definition, at, self._catalogue, grant_id=new_id())
            granted.append(new)
            self._record(
                tx, AwardGranted(state.candidate_id, at, award_id, new.grant_id, new.expires_at)
            )
            if definition.kit:
                state, notice = self._make_kit(tx, state, new, definition.name, at)
                notices.extend(notice)
        return state, granted, notices

    def _make_kit(
        self, tx: Transaction, state: CandidateAwards, grant: AwardGrant, name: str, at: datetime
    ) -> tuple[CandidateAwards, list[Message]]:
        """Queue the grant's kit, or hold it (and say so) when no postal address is on file."""
        cid = state.candidate_id
        kit = self._repo.save_kit(
            tx,
            rules.new_kit(
                kit_id=new_id(),
                candidate_id=cid,
                grant=grant,
                recipient=self._kit_recipient(cid),
                at=at,
            ),
        )
        state = attrs.evolve(state, kit_ids=(*state.kit_ids, kit.kit_id))
        if kit.hold_reason is None:
            self._record(tx, KitQueued(cid, at, kit.kit_id, grant.award_id))
            return state, []
        reason = kit.hold_reason.value
        self._record(tx, KitHeld(cid, at, kit.kit_id, grant.award_id, reason))
        return state, self._kit_notice(
            cid,
            lambda to: messages.kit_held_message(
                to=to, award_name=name, kit_id=kit.kit_id, reason=reason
            ),
        )

    def evaluate(self, candidate_id: str, at: datetime | None = None) -> tuple[AwardGrant, ...]:
        """Grant every award whose requirements are met at ``at`` (default now).

        Repeats until nothing more is earned, so that an award requiring another
        one just earned is granted too. Each certification with a kit queues an
        achievement kit addressed to the candidate's current contact details, or
        holds it while no postal address is on file.

        ``at`` may lie in the past (a score report claimed late) but not in the
        future nor before the candidate's last grant, renewal or revocation.

        Raises:
            ValidationError: ``instant_in_future``, ``instant_before_last_change``.
            NotFound: ``candidate_not_found``.
            IllegalTransition: ``account_erased``.
            IntegrityError: an awards record put back or edited (``record_corrupt``).
        """
        cid = self._candidate(candidate_id)
        now = self._now()
        chosen = None if at is None else self._at(at)  # not a second reading of the clock
        with self._store.transaction() as tx:
            state = self._locked(tx, cid)
            if chosen is None:  # now, or after a change committed meanwhile
                when = limit = rules.stamp(state, now)
            else:
                when, limit = chosen, now
            rules.check_evaluation_instant(state, when, limit)
            state = self._anchored(tx, state)  # nothing earned from a result written in
            granted: list[AwardGrant] = []
            notices: list[Message] = []
            while ids := rules.earnable(state, when, self._catalogue):
                state, new, sent = self._grant_all(tx, state, ids, when)
                granted.extend(new)
                notices.extend(sent)
            if granted:
                self._repo.save_candidate(tx, state)
            self._send(tx, cid, *notices)
        return tuple(granted)

    def earn(self, candidate_id: str, award_id: str) -> AwardGrant:
        """Grant one award now, if its requirements are met.

        Raises:
            Conflict: ``requirements_not_met`` (missing requirements in
                ``details``), ``award_already_active``.
            IllegalTransition: ``award_retired``, ``account_erased``.
            NotFound: ``candidate_not_found``, ``award_not_found``.
            IntegrityError: an awards record put back or edited (``record_corrupt``).
        """
        cid, award = self._candidate_award(candidate_id, award_id)
        now = self._now()
        with self._changing(cid, anchored=True) as (tx, state):
            now = rules.stamp(state, now)
            state, granted, notices = self._grant_all(tx, state, (award.award_id,), now)
            self._repo.save_candidate(tx, state)
            self._send(tx, cid, *notices)
        return granted[0]
