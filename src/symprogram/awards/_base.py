"""The plumbing every awards flow shares: the clock, units of work, history, outbox.

Private. Each flow module defines one class deriving from :class:`FlowBase` with
that flow's public methods; :class:`~symprogram.awards.service.AwardsService` is
composed of them and sets the attributes declared here.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from symprogram.awards import rules
from symprogram.awards.models import (
    AwardCatalogue,
    AwardDefinition,
    CandidateAwards,
    KitAddress,
)
from symprogram.awards.ports import AwardsRepository, CandidateDirectory
from symprogram.clock import Clock, ensure_utc, read_clock
from symprogram.events import DomainEvent
from symprogram.history import AccountHistory
from symprogram.notify import Message, Notifier
from symprogram.outbox import DeliversAfterCommit, MessageOutbox
from symprogram.persistence import Transaction

if TYPE_CHECKING:
    from symprogram.awards.service import AwardsSettings

T = TypeVar("T")

SINCE = "0.2"
"""The release that renamed the awards names kept as deprecated aliases."""


def new_id(nbytes: int = 8) -> str:
    """A fresh random identifier (hex)."""
    return secrets.token_hex(nbytes)


class FlowBase(DeliversAfterCommit):
    """What every flow uses: set by :class:`~symprogram.awards.AwardsService`."""

    _clock: Clock
    _history: AccountHistory
    _notifier: Notifier
    _candidates: CandidateDirectory
    _repo: AwardsRepository
    _catalogue: AwardCatalogue
    settings: AwardsSettings

    @property
    def catalogue(self) -> AwardCatalogue:
        """The program catalogue in use."""
        return self._catalogue

    def _now(self) -> datetime:
        return read_clock(self._clock)

    def _at(self, at: object | None) -> datetime:
        return self._now() if at is None else ensure_utc(at, field="at")

    def _candidate(self, candidate_id: object) -> str:
        """The checked ID of a candidate the directory knows, as the directory spells it.

        A directory with ``canonical_id`` (see
        :class:`~symprogram.awards.ports.CandidateDirectory`) answers the one spelling
        of the ID, under which every record, kit, disclosure and history entry is kept
        (``sp-…`` and ``SP-…`` are one candidate, the one an erasure erases); one
        without it is asked ``exists`` and the ID is kept as given.

        Raises:
            ValidationError: ``invalid_candidate_id``.
            NotFound: ``candidate_not_found``.
        """
        cid = rules.check_id(candidate_id, "candidate_id")
        ask = getattr(self._candidates, "canonical_id", None)
        if ask is None:
            rules.require_candidate(self._candidates.exists(cid), cid)
            return cid
        found: str | None = ask(cid)
        rules.require_candidate(found is not None, cid)
        assert found is not None
        return rules.check_id(found, "candidate_id")

    def _award(self, award_id: object) -> AwardDefinition:
        return self._catalogue.get_award(award_id)

    def _candidate_award(
        self, candidate_id: object, award_id: object
    ) -> tuple[str, AwardDefinition]:
        """The checked candidate ID and the catalogue's award ``award_id``."""
        return self._candidate(candidate_id), self._award(award_id)

    def _kit_recipient(self, candidate_id: str) -> KitAddress | None:
        """Where the candidate's kits go now (``None``: no postal address on file).

        A directory without ``kit_recipient`` (written before 0.2) answers
        through ``contact_details``.
        """
        ask = getattr(self._candidates, "kit_recipient", None)
        if ask is None:
            return self._candidates.contact_details(candidate_id)
        found: KitAddress | None = ask(candidate_id)
        return found

    def _holder_name(self, candidate_id: str) -> str:
        """The candidate's name as a disclosure shows it.

        A directory without ``holder_name`` (written before 0.2) answers through
        ``contact_details``.
        """
        ask = getattr(self._candidates, "holder_name", None)
        if ask is None:
            return self._candidates.contact_details(candidate_id).name
        name: str = ask(candidate_id)
        return name

    def _account_active(self, candidate_id: str) -> bool:
        """Whether the candidate's account is active (a directory without
        ``account_active`` has only active accounts)."""
        ask = getattr(self._candidates, "account_active", None)
        return True if ask is None else bool(ask(candidate_id))

    def _account_closed(self, candidate_id: str) -> bool:
        """Whether the candidate's account is closed (a directory without
        ``account_closed`` has no closed accounts)."""
        ask = getattr(self._candidates, "account_closed", None)
        return False if ask is None else bool(ask(candidate_id))

    def _kit_notice(self, candidate_id: str, build: Callable[[str], Message]) -> list[Message]:
        """The kit notice ``build(to)`` as a list, empty when the candidate does not want it."""
        ask = getattr(self._candidates, "kit_notices_to", None)
        decision = rules.kit_notice(None if ask is None else ask(candidate_id))
        return [build(decision.detail("to"))] if decision else []

    def _record(self, tx: Transaction, *events: DomainEvent) -> None:
        for event in events:
            self._history.record(tx, event)

    def _send(self, tx: Transaction, subject: str, *messages: Message) -> None:
        """Write ``messages`` about the candidate ``subject`` in the unit of work ``tx``
        (the transactional outbox): the notifier gets them once it committed."""
        outbox = MessageOutbox(self._store, self._notifier, ledger_key=self._history.ledger.keys)
        outbox.write(tx, messages, subject=subject)

    def _read(self, fn: Callable[[Transaction], T]) -> T:
        with self._store.transaction(readonly=True) as tx:
            return fn(tx)

    def _locked(self, tx: Transaction, candidate_id: str) -> CandidateAwards:
        """The candidate's aggregate read locked in ``tx``, after the candidate's account.

        The person's locks are taken in one order whichever context writes: the
        account's record first (through the directory's ``lock_account``, where it
        has one), then the awards record. So an awards write and an account change of
        one person queue on the account's lock instead of deadlocking or racing for
        the person's history.
        """
        lock = getattr(self._candidates, "lock_account", None)
        if lock is not None:
            lock(tx, candidate_id)
        return self._repo.candidate(tx, candidate_id, for_update=True)

    def _anchored(self, tx: Transaction, state: CandidateAwards) -> CandidateAwards:
        """``state``, read locked in ``tx``, if its results and grants are the ones the
        candidate's history says (:func:`~symprogram.awards.rules.require_awards_anchored`;
        one read of the history, after the locks, so it holds every change of them
        committed before).

        Raises:
            IntegrityError: ``record_corrupt``.
        """
        said, instants = self._history.ledger.said_entries_at(tx, state.candidate_id)
        return rules.require_awards_anchored(state, said, instants)

    @contextmanager
    def _changing(
        self, candidate_id: str, *, anchored: bool = False
    ) -> Iterator[tuple[Transaction, CandidateAwards]]:
        """A unit of work on the aggregate of a candidate whose data was not erased;
        with ``anchored``, whose results and grants are as its history says
        (:meth:`_anchored`).

        Raises:
            IllegalTransition: ``account_erased``.
            IntegrityError: ``record_corrupt`` (``anchored`` only).
        """
        with self._store.transaction() as tx:
            state = self._locked(tx, candidate_id)
            rules.require_not_erased(state)
            yield tx, self._anchored(tx, state) if anchored else state

    def _state(self, candidate_id: str) -> CandidateAwards:
        """The candidate's aggregate, read in a unit of work of its own."""
        return self._read(lambda tx: self._repo.candidate(tx, candidate_id))
