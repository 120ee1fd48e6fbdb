"""Rules of achievement kits: held or queued, released, shipped, delivered, erased.

Pure functions, re-exported by :mod:`symprogram.awards.rules`.

What the Terms of Use v.2007.507 say about kits, in one sentence: "Be sure to keep
all of your contact information current through the "Update Personal Info" link
in order to ensure we can contact you as necessary (i.e. important emails,
certification achievement kits, etc)." A kit is something the program sends to
the candidate's contact information, so:

* a kit goes out only to a postal address on file: without one it is *held*
  (reason ``no_postal_address``) and released (queued) once an address is on file
  (:func:`kit_destination`, :func:`new_kit`, :func:`kit_released`); nothing is
  ever shipped to a placeholder address (:func:`require_kit_destination`);
* the document lists kits among the contacts made "as necessary", beside
  important e-mails, and gives the candidate no way to refuse them; what it lets
  the candidate choose is the *notifications*: "manage notifications you may or
  may not want to receive". The ``achievement_kits`` notification setting
  therefore decides whether the e-mails *about* kits (held, shipped) are sent
  (:func:`kit_notice`), never whether the kit itself is made or shipped;
* a kit celebrates an award: once the grant that made it is revoked, the kit is
  neither released nor shipped (:func:`kit_award_kept`,
  :func:`require_kit_award_kept`). An award that merely expired was still
  achieved, so its kit still goes out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from symprogram.awards.models import (
    ERASED_KIT_ADDRESS,
    ERASED_TEXT,
    AwardGrant,
    CandidateAwards,
    KitAddress,
    KitFulfilment,
    KitHoldReason,
    KitStatus,
)
from symprogram.decisions import Decision, Reason
from symprogram.errors import Conflict, IllegalTransition

__all__ = [
    "KIT_NOTICES_CHOSEN",
    "KIT_NOTICES_OFF",
    "POSTAL_ADDRESS_ON_FILE",
    "erased_kit",
    "is_erased_kit",
    "kit_scrubbed",
    "kit_award_kept",
    "kit_delivered",
    "kit_destination",
    "kit_notice",
    "kit_released",
    "kit_shipped",
    "kits_to_release",
    "new_kit",
    "queue_kit",
    "releasable",
    "require_kit_award_kept",
    "require_kit_destination",
    "require_shippable",
]

POSTAL_ADDRESS_ON_FILE = "postal_address_on_file"
"""Reason of an allowed :func:`kit_destination`: the kit can go out."""

KIT_NOTICES_CHOSEN = "achievement_kits_chosen"
"""Reason of an allowed :func:`kit_notice`: the candidate receives kit e-mails."""

KIT_NOTICES_OFF = "achievement_kits_off"
"""Reason of a denied :func:`kit_notice`: the ``achievement_kits`` notification is off."""

_TERMS_SENTENCE = (
    "keep all of your contact information current ... in order to ensure we can "
    "contact you as necessary (i.e. important emails, certification achievement kits, etc)"
)


def kit_destination(recipient: KitAddress | None) -> Decision:
    """Whether a kit may go out to ``recipient`` (the candidate's kit address, if any).

    Allowed with reason ``postal_address_on_file``; denied with reason
    ``no_postal_address`` when there is no postal address on file (the hint says
    how to fix it: "Update Personal Info").

    Example:
        >>> kit_destination(None).codes
        ('no_postal_address',)
    """
    if recipient is None:
        return Decision.deny(
            Reason(
                KitHoldReason.NO_POSTAL_ADDRESS.value,
                "no postal address is on file for the candidate",
                {"terms": _TERMS_SENTENCE},
            ),
            hint='add a postal address through "Update Personal Info"',
        )
    return Decision.allow(Reason(POSTAL_ADDRESS_ON_FILE, "a postal address is on file"))


def kit_notice(to: str | None) -> Decision:
    """Whether e-mails about achievement kits go to the candidate (``to``: their address).

    ``to`` is ``None`` when the candidate switched the ``achievement_kits``
    notification off ("manage notifications you may or may not want to receive",
    Terms of Use v.2007.507): denied with ``achievement_kits_off``; otherwise
    allowed with ``achievement_kits_chosen`` and the address in ``details["to"]``.
    """
    return category_notice(to, "achievement_kits", off=KIT_NOTICES_OFF, chosen=KIT_NOTICES_CHOSEN)


def category_notice(to: str | None, category: str, *, off: str, chosen: str) -> Decision:
    """Whether messages of a notification ``category`` go to the candidate: denied
    with ``off`` when ``to`` is ``None`` (the candidate switched it off), else
    allowed with ``chosen`` and the address in ``details["to"]``."""
    if to is None:
        return Decision.deny(Reason(off, f"the {category} notification is switched off"))
    return Decision.allow(
        Reason(chosen, f"the candidate receives {category} notifications"), details={"to": to}
    )


def queue_kit(
    *, kit_id: str, candidate_id: str, grant: AwardGrant, address: KitAddress, at: datetime
) -> KitFulfilment:
    """A new achievement kit for ``grant``, queued at ``at`` for ``address``."""
    return _kit(kit_id, candidate_id, grant, at, address)


def new_kit(
    *,
    kit_id: str,
    candidate_id: str,
    grant: AwardGrant,
    recipient: KitAddress | None,
    at: datetime,
) -> KitFulfilment:
    """A new achievement kit for ``grant``: queued for ``recipient``, or held without one.

    The kit is held (status ``held``, ``hold_reason`` ``no_postal_address``, no
    address) when :func:`kit_destination` denies ``recipient``.
    """
    if kit_destination(recipient):
        return _kit(kit_id, candidate_id, grant, at, recipient)
    return _kit(kit_id, candidate_id, grant, at, None, KitHoldReason.NO_POSTAL_ADDRESS)


def _kit(
    kit_id: str,
    candidate_id: str,
    grant: AwardGrant,
    at: datetime,
    address: KitAddress | None,
    hold_reason: KitHoldReason | None = None,
) -> KitFulfilment:
    """A new kit for ``grant`` made at ``at``: held for ``hold_reason`` if given, else queued."""
    return KitFulfilment(
        kit_id=kit_id,
        candidate_id=candidate_id,
        award_id=grant.award_id,
        grant_id=grant.grant_id,
        address=address,
        status=KitStatus.QUEUED if hold_reason is None else KitStatus.HELD,
        queued_at=at,
        hold_reason=hold_reason,
    )


def kits_to_release(state: CandidateAwards, recipient: KitAddress | None) -> tuple[str, ...]:
    """The kits of ``state`` worth looking at for release: none without a postal
    address on file or once the candidate's awards data was erased, else every kit
    (:func:`releasable` tells which are held)."""
    if state.erased_at is not None or not kit_destination(recipient):
        return ()
    return state.kit_ids


def releasable(
    kit: KitFulfilment,
    recipient: KitAddress | None,
    state: CandidateAwards | None = None,
    at: datetime | None = None,
) -> bool:
    """Whether ``kit`` is held and may now be released to ``recipient``: with
    ``state`` and ``at``, also only while the grant that made it is not revoked
    (:func:`kit_award_kept`)."""
    kept = state is None or at is None or kit_award_kept(state, kit, at)
    return kit.status is KitStatus.HELD and bool(kit_destination(recipient)) and kept


def kit_award_kept(state: CandidateAwards, kit: KitFulfilment, at: datetime) -> bool:
    """Whether the grant that made ``kit`` is not revoked as of ``at``.

    A grant ``state`` does not list (data erased, or a kit from elsewhere) is not
    revoked by this rule: erasure has its own refusal.
    """
    for grant in state.grants:
        if grant.grant_id == kit.grant_id:
            return grant.revoked_at is None or at < grant.revoked_at
    return True


def require_kit_award_kept(state: CandidateAwards, kit: KitFulfilment, at: datetime) -> None:
    """Refuse to release or ship ``kit`` once the grant that made it is revoked.

    Raises:
        IllegalTransition: ``award_revoked`` (``details``: the kit and award IDs).
    """
    if not kit_award_kept(state, kit, at):
        raise IllegalTransition(
            f"kit {kit.kit_id} celebrates {kit.award_id}, which was revoked",
            field="award_id",
            code="award_revoked",
            details={"kit_id": kit.kit_id, "award_id": kit.award_id},
        )


# The status a kit must have to move to each status (shipping also takes a held kit
# whose address is now on file: see :func:`require_shippable`).
_MOVES_FROM = {
    KitStatus.QUEUED: (KitStatus.HELD,),
    KitStatus.SHIPPED: (KitStatus.QUEUED,),
    KitStatus.DELIVERED: (KitStatus.SHIPPED,),
}


def _kit_moved(kit: KitFulfilment, target: KitStatus, **changes: Any) -> KitFulfilment:
    """``kit`` moved to ``target`` with ``changes``, if it may move there from its status."""
    _kit_step(kit, _MOVES_FROM[target], target)
    return attrs.evolve(kit, status=target, **changes)


def _kit_step(kit: KitFulfilment, expected: tuple[KitStatus, ...], target: KitStatus) -> None:
    if kit.status not in expected:
        raise IllegalTransition(
            f"kit {kit.kit_id} is {kit.status.value}: it cannot become {target.value}",
            field="status",
            code="illegal_kit_transition",
            details={"from": kit.status.value, "to": target.value},
        )


def require_kit_destination(decision: Decision, kit: KitFulfilment) -> None:
    """Refuse to send ``kit`` anywhere when ``decision`` (:func:`kit_destination`) denies it.

    Raises:
        Conflict: ``no_postal_address`` (``details``: the kit ID and the reasons).
    """
    if not decision:
        raise Conflict(
            f"kit {kit.kit_id} cannot go out: no postal address is on file",
            field="postal_address",
            code=KitHoldReason.NO_POSTAL_ADDRESS.value,
            details={"kit_id": kit.kit_id, "reasons": list(decision.codes)},
        )


def require_shippable(kit: KitFulfilment, recipient: KitAddress | None) -> KitAddress:
    """The address ``kit`` ships to: ``recipient``, when the kit is held or queued and
    a postal address is on file.

    Raises:
        IllegalTransition: ``illegal_kit_transition`` (already shipped or delivered).
        Conflict: ``no_postal_address``.
    """
    _kit_step(kit, (KitStatus.HELD, KitStatus.QUEUED), KitStatus.SHIPPED)
    require_kit_destination(kit_destination(recipient), kit)
    assert recipient is not None
    return recipient


def kit_released(kit: KitFulfilment, at: datetime, *, address: KitAddress) -> KitFulfilment:
    """Release a held kit: queued for ``address`` (now on file) at ``at``.

    Raises:
        IllegalTransition: the kit is not held (``illegal_kit_transition``).
    """
    return _kit_moved(
        kit, KitStatus.QUEUED, address=address, hold_reason=None, released_at=max(at, kit.queued_at)
    )


def kit_shipped(
    kit: KitFulfilment, at: datetime, *, address: KitAddress, tracking: str | None = None
) -> KitFulfilment:
    """Ship a queued kit to ``address`` (the candidate's contact details at shipping time).

    Raises:
        IllegalTransition: the kit is not queued (``illegal_kit_transition``).
    """
    return _kit_moved(
        kit,
        KitStatus.SHIPPED,
        shipped_at=max(at, kit.released_at or kit.queued_at),
        address=address,
        tracking=tracking,
    )


def kit_delivered(kit: KitFulfilment, at: datetime) -> KitFulfilment:
    """Mark a shipped kit delivered.

    Raises:
        IllegalTransition: the kit is not shipped (``illegal_kit_transition``).
    """
    delivered_at = max(at, kit.shipped_at or at)
    return _kit_moved(kit, KitStatus.DELIVERED, delivered_at=delivered_at)


def erased_kit(kit: KitFulfilment) -> KitFulfilment:
    """``kit`` addressed to :data:`~symprogram.awards.models.ERASED_KIT_ADDRESS`, its
    tracking text (the carrier's number, which names the parcel and its recipient)
    replaced by :data:`~symprogram.awards.models.ERASED_TEXT`."""
    tracking = None if kit.tracking is None else ERASED_TEXT
    return attrs.evolve(kit, address=ERASED_KIT_ADDRESS, tracking=tracking)


def is_erased_kit(kit: KitFulfilment) -> bool:
    """Whether ``kit`` is addressed as :func:`erased_kit` leaves it (or was never
    addressed): what the history's checks take for an erased kit.

    The tracking text is not asked: an erasure by a build before 0.3 left it, and
    such a kit is as erased as the history says (:func:`kit_scrubbed` tells whether
    it holds nothing more; erasing the person again scrubs it).
    """
    return kit.address in (None, ERASED_KIT_ADDRESS)


def kit_scrubbed(kit: KitFulfilment) -> bool:
    """Whether ``kit`` holds nothing of the person: addressed as erased and no
    tracking text but the erased marker."""
    return is_erased_kit(kit) and kit.tracking in (None, ERASED_TEXT)
