"""Flow: achievement kits (queued when a certification is earned), shipped and delivered."""

from __future__ import annotations

from symprogram.awards import rules
from symprogram.awards._base import FlowBase
from symprogram.awards.events import KitDelivered, KitShipped
from symprogram.awards.models import KitFulfilment

__all__ = ["Kits"]


class Kits(FlowBase):
    """The candidates' achievement kits."""

    def kits_of(self, candidate_id: str) -> tuple[KitFulfilment, ...]:
        """The candidate's achievement kits, oldest first."""
        cid = self._candidate(candidate_id)
        with self._store.transaction(readonly=True) as tx:
            state = self._repo.candidate(tx, cid)
            return tuple(self._repo.kit(tx, k) for k in state.kit_ids)

    def get_kit(self, kit_id: str) -> KitFulfilment:
        """The kit ``kit_id``.

        Raises:
            ValidationError: ``invalid_kit_id``.
            NotFound: ``award_kit_not_found``.
        """
        kid = rules.check_id(kit_id, "kit_id")
        return self._read(lambda tx: self._repo.kit(tx, kid))

    def ship_kit(self, kit_id: str, *, tracking: str | None = None) -> KitFulfilment:
        """Mark a queued kit shipped now, addressed to the candidate's *current* contact details.

        Raises:
            IllegalTransition: ``illegal_kit_transition`` (not queued).
            NotFound: ``award_kit_not_found``.
            ValidationError: ``invalid_kit_id``, ``invalid_tracking``.
        """
        kid = rules.check_id(kit_id, "kit_id")
        number = rules.check_tracking(tracking)
        now = self._now()
        with self._store.transaction() as tx:
            kit = self._repo.kit(tx, kid)
            address = self._candidates.contact_details(kit.candidate_id)
            kit = self._repo.save_kit(
                tx, rules.kit_shipped(kit, now, address=address, tracking=number)
            )
            self._record(tx, KitShipped(kit.candidate_id, now, kid, number))
        return kit

    def deliver_kit(self, kit_id: str) -> KitFulfilment:
        """Mark a shipped kit delivered now.

        Raises:
            IllegalTransition: ``illegal_kit_transition`` (not shipped).
            NotFound: ``award_kit_not_found``.
            ValidationError: ``invalid_kit_id``.
        """
        kid = rules.check_id(kit_id, "kit_id")
        now = self._now()
        with self._store.transaction() as tx:
            kit = self._repo.kit(tx, kid)
            kit = self._repo.save_kit(tx, rules.kit_delivered(kit, now))
            self._record(tx, KitDelivered(kit.candidate_id, now, kid))
        return kit
