"""Flow: achievement kits (made when a certification is earned), released, shipped, delivered.

A kit goes out only to a postal address on file: "Be sure to keep all of your
contact information current through the "Update Personal Info" link in order to
ensure we can contact you as necessary (i.e. important emails, certification
achievement kits, etc)" (Terms of Use v.2007.507). A kit held for want of one is
released by :meth:`Kits.release_held_kits` (which ``Program`` calls when the
accounts context records a new postal address) or by :meth:`Kits.ship_kit`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from symprogram.awards import messages, rules
from symprogram.awards._base import FlowBase
from symprogram.awards.events import KitDelivered, KitReleased, KitShipped
from symprogram.awards.models import CandidateAwards, KitAddress, KitFulfilment, KitStatus
from symprogram.decisions import Decision
from symprogram.errors import NotFound
from symprogram.notify import Message
from symprogram.persistence import Transaction

__all__ = ["Kits"]


class Kits(FlowBase):
    """The candidates' achievement kits."""

    def kits_of(self, candidate_id: str) -> tuple[KitFulfilment, ...]:
        """The candidate's achievement kits, oldest first.

        Each is checked against the candidate's history as :meth:`get_kit` checks
        one (the history read once).

        Raises:
            IntegrityError: a stored kit is not as the candidate's history says
                (``record_corrupt``).
        """
        cid = self._candidate(candidate_id)
        with self._store.transaction(readonly=True) as tx:
            state = self._repo.candidate(tx, cid)
            return self._said_kits(tx, cid, tuple(self._repo.kit(tx, k) for k in state.kit_ids))

    def get_kit(self, kit_id: str) -> KitFulfilment:
        """The kit ``kit_id``.

        A kit its candidate does not list is not answered, nor one that is not as
        that candidate's history says (:func:`~symprogram.awards.rules.kit_anchored`:
        a row put back from before a later entry, such as a shipped kit put back
        as queued): the read refuses it as :meth:`ship_kit` does. The record and
        the history are read in one read-only unit of work (one snapshot).

        Raises:
            ValidationError: ``invalid_kit_id``.
            NotFound: ``award_kit_not_found``.
            IntegrityError: the stored kit is not as its candidate's history says
                (``record_corrupt``).
        """
        kid = rules.check_id(kit_id, "kit_id")

        def read(tx: Transaction) -> KitFulfilment:
            kit = self._named_kit(tx, kid)[0]
            return self._said_kits(tx, kit.candidate_id, (kit,))[0]

        return self._read(read)

    def _said_kits(
        self, tx: Transaction, owner: str, kits: tuple[KitFulfilment, ...]
    ) -> tuple[KitFulfilment, ...]:
        """``kits`` (listed by the candidate ``owner``) if each is as the owner's history
        says (:func:`~symprogram.awards.rules.require_kit_anchored`; the history read
        once, none for no kit).

        Raises:
            IntegrityError: one is not (``record_corrupt``).
        """
        if not kits:
            return kits
        entries = self._history.ledger.said_entries(tx, owner)
        return tuple(rules.require_kit_anchored(kit, entries) for kit in kits)

    def _named_kit(self, tx: Transaction, kit_id: str) -> tuple[KitFulfilment, CandidateAwards]:
        """The kit ``kit_id`` and its candidate's awards record, which must list it (a
        kit record written in by hand under an ID of its own is not answered).

        Raises:
            NotFound: ``award_kit_not_found``.
        """
        kit = self._repo.kit(tx, kit_id)
        state = self._repo.candidate(tx, kit.candidate_id)
        if not rules.kit_named(kit, state):
            raise NotFound(
                f"no award kit {kit_id!r}", code="award_kit_not_found", details={"key": kit_id}
            )
        return kit, state

    def _anchored_kit(self, tx: Transaction, kit: KitFulfilment) -> KitFulfilment:
        """``kit`` if it is as its candidate's history says
        (:func:`~symprogram.awards.rules.kit_anchored`): a kit row put back from before
        a later entry (a shipped kit put back as queued, which would ship again) is
        refused. The kit is read again after the history: one changed in between
        was changed by a concurrent unit of work, and is left to its save, which
        fails as stale (``ConcurrencyError``), rather than taken for a row put back.

        Raises:
            IntegrityError: ``record_corrupt``.
        """
        entries = self._history.ledger.said_entries(tx, kit.candidate_id)
        if self._repo.kit(tx, kit.kit_id).version != kit.version:
            return kit
        return rules.require_kit_anchored(kit, entries)

    def kit_destination(self, kit_id: str) -> Decision:
        """Whether the kit ``kit_id`` could go out now, and why.

        Allowed with ``postal_address_on_file``; denied with
        ``no_postal_address`` (its hint: "Update Personal Info").

        Raises:
            ValidationError: ``invalid_kit_id``.
            NotFound: ``award_kit_not_found``.
        """
        kit = self.get_kit(kit_id)
        return rules.kit_destination(self._kit_recipient(kit.candidate_id))

    def held_kits(self, candidate_id: str) -> tuple[KitFulfilment, ...]:
        """The candidate's held kits, oldest first (each with its ``hold_reason``)."""
        return tuple(k for k in self.kits_of(candidate_id) if k.status is KitStatus.HELD)

    def release_held_kits(self, candidate_id: str) -> tuple[KitFulfilment, ...]:
        """Queue every held kit of the candidate now that a postal address is on file.

        Returns the kits released (none while no address is on file, nor for a
        candidate whose awards data was erased; a kit whose award was revoked stays
        held). A kit that is not as the
        candidate's history says (:func:`~symprogram.awards.rules.kit_anchored`: a
        row put back as held after its release or shipping) is left as it is.
        ``Program`` calls it, in the same unit of work, when the accounts context
        records a postal address; a host using its own directory calls it after the
        candidate's contact details change.

        Raises:
            ValidationError: ``invalid_candidate_id``.
            NotFound: ``candidate_not_found``.
        """
        cid = self._candidate(candidate_id)
        now = self._now()
        recipient = self._kit_recipient(cid)
        released = []
        with self._store.transaction() as tx:
            state = self._locked(tx, cid)
            said: list[tuple[str, Mapping[str, Any] | None]] | None = None
            for kit_id in rules.kits_to_release(state, recipient):
                kit = self._repo.kit(tx, kit_id)
                if recipient is None or not rules.releasable(kit, recipient, state, now):
                    continue
                if said is None:  # the history, read once for the kits to release
                    said = list(self._history.ledger.said_entries(tx, cid))
                if rules.kit_anchored(kit, said):  # a kit put back as held stays as it is
                    released.append(self._release(tx, kit, recipient, now))
        return tuple(released)

    def _release(
        self, tx: Transaction, kit: KitFulfilment, recipient: KitAddress, now: datetime
    ) -> KitFulfilment:
        kit = self._repo.save_kit(tx, rules.kit_released(kit, now, address=recipient))
        self._record(tx, KitReleased(kit.candidate_id, now, kit.kit_id))
        return kit

    def ship_kit(self, kit_id: str, *, tracking: str | None = None) -> KitFulfilment:
        """Mark a kit shipped now, addressed to the candidate's *current* contact details.

        A held kit whose candidate now has a postal address on file is released and
        shipped at once. A kit never goes out without a postal address: then
        nothing changes and ``Conflict`` ``no_postal_address`` is raised. The
        candidate gets a ``achievement_kit_shipped`` notice when their
        ``achievement_kits`` notification is on.

        Raises:
            IllegalTransition: ``illegal_kit_transition`` (already shipped or delivered),
                ``account_erased`` (the candidate's data was erased),
                ``award_revoked`` (the grant that made the kit was revoked).
            IntegrityError: ``record_corrupt``: the stored kit is not as its
                candidate's history says (a row put back from before its shipping).
            Conflict: ``no_postal_address``.
            NotFound: ``award_kit_not_found``.
            ValidationError: ``invalid_kit_id``, ``invalid_tracking``.
        """
        kid = rules.check_id(kit_id, "kit_id")
        number = rules.check_tracking(tracking)
        now = self._now()
        with self._store.transaction() as tx:
            kit, state = self._named_kit(tx, kid)
            rules.require_not_erased(state)
            # the awards record locked and checked: a revocation racing the shipping
            # is either seen here or waits for it
            state = self._anchored(tx, self._locked(tx, kit.candidate_id))
            kit = self._anchored_kit(tx, kit)
            rules.require_kit_award_kept(state, kit, now)
            address = rules.require_shippable(kit, self._kit_recipient(kit.candidate_id))
            if kit.status is KitStatus.HELD:
                kit = self._release(tx, kit, address, now)
            kit = self._repo.save_kit(
                tx, rules.kit_shipped(kit, now, address=address, tracking=number)
            )
            self._record(tx, KitShipped(kit.candidate_id, now, kid, number))
            self._send(tx, kit.candidate_id, *self._shipped_notice(kit))
        return kit

    def _shipped_notice(self, kit: KitFulfilment) -> list[Message]:
        found = self._catalogue.awards.get(kit.award_id)
        name = kit.award_id if found is None else found.name
        return self._kit_notice(
            kit.candidate_id,
            lambda to: messages.kit_shipped_message(
                to=to, award_name=name, kit_id=kit.kit_id, tracking=kit.tracking
            ),
        )

    def deliver_kit(self, kit_id: str) -> KitFulfilment:
        """Mark a shipped kit delivered now.

        Raises:
            IllegalTransition: ``illegal_kit_transition`` (not shipped),
                ``account_erased`` (the candidate's data was erased).
            IntegrityError: ``record_corrupt``: the stored kit is not as its
                candidate's history says (a row put back from before its delivery).
            NotFound: ``award_kit_not_found``.
            ValidationError: ``invalid_kit_id``.
        """
        kid = rules.check_id(kit_id, "kit_id")
        now = self._now()
        with self._store.transaction() as tx:
            kit, state = self._named_kit(tx, kid)
            rules.require_not_erased(state)
            kit = self._anchored_kit(tx, kit)
            kit = self._repo.save_kit(tx, rules.kit_delivered(kit, now))
            self._record(tx, KitDelivered(kit.candidate_id, now, kid))
        return kit
