"""Flow: renewing an award before it expires (with the awards it includes), revoking one."""

from __future__ import annotations

from datetime import datetime

from symprogram.awards import rules
from symprogram.awards._base import FlowBase
from symprogram.awards.events import AwardRenewed, AwardRevoked
from symprogram.awards.models import AwardHolding
from symprogram.decisions import Decision

__all__ = ["Renewals"]


class Renewals(FlowBase):
    """Renewal and revocation of held awards."""

    def can_renew(self, candidate_id: str, award_id: str, at: datetime | None = None) -> Decision:
        """Whether the award can be renewed at ``at`` (default now), with the reasons."""
        cid, award = self._candidate_award(candidate_id, award_id)
        when = self._at(at)
        return rules.can_renew(self._state(cid), award, when, self._catalogue)

    def renew(self, candidate_id: str, award_id: str) -> tuple[AwardHolding, ...]:
        """Renew an active award now, extending it from its current expiry.

        Awards it includes (per the catalogue) that are active are renewed too.
        Returns the renewed awards, the requested one first.

        Raises:
            IllegalTransition: ``award_not_held``, ``award_expired`` (earn it
                again), ``award_revoked``, ``award_does_not_expire``,
                ``award_retired``, ``account_erased``.
            Conflict: ``renewal_too_early``, ``renewal_requirements_not_met``.
            NotFound: ``candidate_not_found``, ``award_not_found``.
            IntegrityError: an awards record put back or edited (``record_corrupt``).
        """
        cid, award = self._candidate_award(candidate_id, award_id)
        now = self._now()
        with self._changing(cid, anchored=True) as (tx, state):
            now = rules.stamp(state, now)  # after a renewal committed meanwhile
            state, renewed = rules.renew(state, award, now, self._catalogue)
            self._repo.save_candidate(tx, state)
            self._record(
                tx,
                *(
                    AwardRenewed(
                        cid, now, g.award_id, g.grant_id, r.previous_expiry, r.new_expiry, r.via
                    )
                    for g, r in renewed
                ),
            )
        holdings = {h.award_id: h for h in rules.holdings(state, now, self._catalogue)}
        return tuple(holdings[g.award_id] for g, _ in renewed)

    def revoke(self, candidate_id: str, award_id: str, *, reason: str) -> AwardHolding:
        """Revoke an active award now (e.g. for misconduct).

        Raises:
            ValidationError: ``invalid_reason``.
            IllegalTransition: ``award_not_held``, ``award_expired``, ``award_revoked``,
                ``account_erased`` (nothing is recorded after the erasure).
            NotFound: ``candidate_not_found``, ``award_not_found``.
            IntegrityError: an awards record put back or edited (``record_corrupt``).
        """
        cid, award = self._candidate_award(candidate_id, award_id)
        why = rules.check_reason(reason)
        now = self._now()
        with self._changing(cid, anchored=True) as (tx, state):
            now = rules.stamp(state, now)
            state, revoked = rules.revoke(state, award.award_id, now, why)
            self._repo.save_candidate(tx, state)
            self._record(tx, AwardRevoked(cid, now, award.award_id, revoked.grant_id, why))
        holdings = {h.award_id: h for h in rules.holdings(state, now, self._catalogue)}
        return holdings[award.award_id]
