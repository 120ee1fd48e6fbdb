"""Rules of achievement kits: queued, shipped to the current address, delivered, erased.

Pure functions, re-exported by :mod:`symprogram.awards.rules`.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from symprogram.awards.models import (
    ERASED_KIT_ADDRESS,
    AwardGrant,
    KitAddress,
    KitFulfilment,
    KitStatus,
)
from symprogram.errors import IllegalTransition

__all__ = [
    "erased_kit",
    "kit_delivered",
    "kit_shipped",
    "queue_kit",
]


def queue_kit(
    *, kit_id: str, candidate_id: str, grant: AwardGrant, address: KitAddress, at: datetime
) -> KitFulfilment:
    """A new achievement kit for ``grant``, queued at ``at``."""
    return KitFulfilment(
        kit_id=kit_id,
        candidate_id=candidate_id,
        award_id=grant.award_id,
        grant_id=grant.grant_id,
        address=address,
        status=KitStatus.QUEUED,
        queued_at=at,
    )


def _kit_step(kit: KitFulfilment, expected: KitStatus, target: KitStatus) -> None:
    if kit.status is not expected:
        raise IllegalTransition(
            f"kit {kit.kit_id} is {kit.status.value}: it cannot become {target.value}",
            field="status",
            code="illegal_kit_transition",
            details={"from": kit.status.value, "to": target.value},
        )


def kit_shipped(
    kit: KitFulfilment, at: datetime, *, address: KitAddress, tracking: str | None = None
) -> KitFulfilment:
    """Ship a queued kit to ``address`` (the candidate's contact details at shipping time).

    Raises:
        IllegalTransition: the kit is not queued (``illegal_kit_transition``).
    """
    _kit_step(kit, KitStatus.QUEUED, KitStatus.SHIPPED)
    return attrs.evolve(
        kit,
        status=KitStatus.SHIPPED,
        shipped_at=max(at, kit.queued_at),
        address=address,
        tracking=tracking,
    )


def kit_delivered(kit: KitFulfilment, at: datetime) -> KitFulfilment:
    """Mark a shipped kit delivered.

    Raises:
        IllegalTransition: the kit is not shipped (``illegal_kit_transition``).
    """
    _kit_step(kit, KitStatus.SHIPPED, KitStatus.DELIVERED)
    assert kit.shipped_at is not None
    return attrs.evolve(kit, status=KitStatus.DELIVERED, delivered_at=max(at, kit.shipped_at))


def erased_kit(kit: KitFulfilment) -> KitFulfilment:
    """``kit`` addressed to :data:`~symprogram.awards.models.ERASED_KIT_ADDRESS`."""
    return attrs.evolve(kit, address=ERASED_KIT_ADDRESS)
