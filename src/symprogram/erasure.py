"""Program-wide right to erasure: one person's personal data removed from every context.

Erasure is one mechanism every context joins: each context's ``erasure.py`` flow
is an :class:`Erasable` (:mod:`symprogram._erasable`) that declares the record
kinds holding personal data and erases one person's data inside a unit of work.
:meth:`symprogram.Program.erase_person` calls :func:`erase_person`, which walks
every context of :data:`CONTEXTS` in ONE unit of work (all or nothing):

1. awards (:meth:`~symprogram.awards.AwardsService.erase`): kit addresses and
   disclosure holder names; showing disclosures are revoked;
2. accounts (:meth:`~symprogram.accounts.AccountsService.erase`): contact
   details, password hash, pending links, e-mail index, claimed score reports
   and the unclaimed ones recorded for the account's addresses, incidents, other
   accounts' pending changes to those addresses (cancelled, the address dropped
   from their history entry), and the data of every account history entry,
   ending the history with an ``account_erased`` entry;
3. consent (:meth:`~symprogram.consent.ConsentService.erase`), the subject named
   by the candidate ID, if anything was recorded about it;
4. entitlements (the customer named by the candidate ID): support case
   summaries, every ``by`` field and reason of its cases and holdings, and the
   data of its ``entitlements:<candidate>`` audit entries.

Every context keys the person by the display form of the candidate ID, whatever
spelling a call was made with (awards: the directory's ``canonical_id``; consent
subjects and entitlements customers: :func:`symprogram.ids.canonical_subject`),
so one erasure finds what was recorded under ``sp-…`` or ``SP…`` too.

The ledgers keep a pseudonymous proof: each entry's digest, the hash chain and
an erasure marker authenticated with the program's key, so every ``verify``
stays ok. Erasing twice is harmless.

Nothing is left in the files: after the unit of work commits, a store that
offers it (:class:`~symprogram.storage.sqlite.SQLiteStore`) settles its files
(:meth:`~symprogram.storage.sqlite.SQLiteStore.checkpoint`: ``PRAGMA
wal_checkpoint(TRUNCATE)``; ``secure_delete`` is always on), so no
erased value remains in the database file, its WAL or journal when the call
returns. Server databases keep dead tuples and old row versions until the
documented purge step (:func:`symprogram.storage.sqlalchemy.purge`).

Example:
    >>> from symprogram import Program
    >>> from symprogram.errors import NotFound
    >>> with Program.in_memory() as program:
    ...     try:
    ...         program.erase_person("SP-0000-0000-0000-0", reason="request 17")
    ...     except NotFound as exc:
    ...         print(exc.code)
    candidate_not_found
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from symprogram._erasable import KERNEL_KINDS, Erasable, after_erasure
from symprogram.accounts.models import AccountErasure
from symprogram.accounts.ports import CANDIDATE_KIND
from symprogram.accounts.rules import held_emails
from symprogram.accounts.storage import AccountsStorage
from symprogram.awards.models import AwardsErasure
from symprogram.clock import ensure_utc
from symprogram.consent.models import ErasureReceipt
from symprogram.entitlements.erasure import EntitlementsErasure
from symprogram.errors import ValidationError
from symprogram.outbox import OUTBOX_KINDS, erase_messages
from symprogram.persistence import Transaction, load_for_update

if TYPE_CHECKING:
    from symprogram.program import Program

__all__ = [
    "CONTEXTS",
    "Erasable",
    "PersonErasure",
    "erasable_contexts",
    "erase_person",
    "record_kinds",
]

CONTEXTS = ("awards", "accounts", "consent", "entitlements")
"""The contexts :func:`erase_person` walks, in order (each a ``Program`` attribute)."""


def _utc_erased_at(value: object) -> datetime:
    return ensure_utc(value, field="erased_at")


@attrs.frozen
class PersonErasure:
    """Proof that one person's personal data was erased program-wide (no personal data in it).

    Attributes:
        candidate_id: the erased candidate (also the consent subject and the
            entitlements customer).
        erased_at: when the account's personal data was erased (the first erasure).
        reason: the reason given.
        accounts: the accounts context's receipt.
        awards: the awards context's receipt.
        consent: the consent context's receipt, or ``None`` when nothing was
            ever recorded about the candidate ID in the consent ledger.
        already_erased: the person had been erased before this call.
        entitlements: the entitlements context's receipt, or ``None`` when the
            candidate ID was never an entitlements customer.
    """

    candidate_id: str
    erased_at: datetime = attrs.field(converter=_utc_erased_at)
    reason: str
    accounts: AccountErasure
    awards: AwardsErasure
    consent: ErasureReceipt | None = None
    already_erased: bool = False
    entitlements: EntitlementsErasure | None = None


def _service_classes() -> dict[str, type[Any]]:
    from symprogram.accounts import AccountsService
    from symprogram.awards import AwardsService
    from symprogram.consent import ConsentService
    from symprogram.entitlements import EntitlementsService

    return {
        "awards": AwardsService,
        "accounts": AccountsService,
        "consent": ConsentService,
        "entitlements": EntitlementsService,
    }


def record_kinds() -> Mapping[str, bool]:
    """Every record kind the SDK declares, mapped to whether it can hold personal data.

    Read from each context's :class:`Erasable` declarations
    (``personal_data_kinds`` / ``other_kinds``) plus the kernel's
    :data:`~symprogram._erasable.KERNEL_KINDS` and the outbox's
    :data:`~symprogram.outbox.OUTBOX_KINDS`; a kind found in a store but not
    here is a kind nobody declared (the erasure suite fails on it).

    Example:
        >>> record_kinds()["entitlements_case"], record_kinds()["ledger_head"]
        (True, False)
    """
    kinds: dict[str, bool] = dict.fromkeys(KERNEL_KINDS, False)
    kinds.update(OUTBOX_KINDS)
    for cls in _service_classes().values():
        kinds.update(dict.fromkeys(cls.other_kinds, False))
        kinds.update(dict.fromkeys(cls.personal_data_kinds, True))
    return dict(sorted(kinds.items()))


def erasable_contexts(program: Program) -> tuple[tuple[str, Erasable], ...]:
    """The program's services that take part in the erasure, as ``(name, service)``."""
    found = []
    for name in CONTEXTS:
        service = getattr(program, name)
        assert isinstance(service, Erasable), f"{name} does not join the erasure"
        found.append((name, service))
    return tuple(found)


def _held_addresses(program: Program, tx: Transaction, key: str) -> tuple[str, ...]:
    """Every address the candidate held: current, and each one its account history
    says it registered with or changed from or to, unless another account holds it
    now; not one it only asked for (either may be another person's, whose messages
    are not the candidate's to delete)."""
    candidates = AccountsStorage(tx).candidates
    candidate = candidates.get(key)
    history = (entry.data for entry in program.history.ledger.iter_entries(tx, key))
    return candidates.not_held_by_another(key, held_emails(candidate, history))


def _after_erasure(program: Program) -> None:
    """Let a store that can clear erased values out of its files do it now (SQLite:
    rebuild the file, then checkpoint and truncate the WAL)."""
    after_erasure(program.store)


def erase_person(program: Program, candidate_id: str, *, reason: str) -> PersonErasure:
    """Erase a candidate's personal data from every context, all or nothing.

    See :meth:`symprogram.Program.erase_person`. After the unit of work commits,
    an SQLite store checkpoints and truncates its WAL, so no erased value stays in
    its files when this returns.

    Raises:
        ValidationError: ``program`` is not a :class:`~symprogram.Program`
            (``invalid_program``), a malformed candidate ID or reason.
        NotFound: no such candidate (``candidate_not_found``).
        StorageError: ``database_busy`` when another connection kept the SQLite WAL
            from being truncated (the erasure itself is committed).
    """
    from symprogram.program import Program  # the program module imports this one

    if not isinstance(program, Program):
        raise ValidationError(
            "program must be a symprogram Program", field="program", code="invalid_program"
        )
    key = program.accounts.get_candidate(candidate_id).candidate_id
    contexts = erasable_contexts(program)
    with program.store.transaction() as tx:
        # The account's lock first, as every account call that reaches into another
        # context takes it (a postal address releasing held kits, a newsletter switch
        # recorded as consent): locks taken in one order cannot deadlock.
        load_for_update(tx, CANDIDATE_KIND, str(key))
        # Every address the account used, read before the accounts erasure drops
        # the history entries that name the earlier ones.
        addresses = _held_addresses(program, tx, key)
        receipts = {name: part.erase_subject(tx, key, reason=reason) for name, part in contexts}
        # The disclosures other candidates published to one of those addresses keep
        # no salted hash of it (nor its salt): the address could be guessed back.
        program.awards.erase_recipients(tx, addresses)
        # The outbox's messages to and about the person, pending or delivered, and
        # those to any address the person held, whoever they are filed under.
        erase_messages(tx, key, addresses=addresses)
    _after_erasure(program)
    accounts = receipts["accounts"]
    assert isinstance(accounts, AccountErasure)
    awards = receipts["awards"]
    assert isinstance(awards, AwardsErasure)
    consent = receipts["consent"]
    assert consent is None or isinstance(consent, ErasureReceipt)
    entitlements = receipts["entitlements"]
    assert entitlements is None or isinstance(entitlements, EntitlementsErasure)
    return PersonErasure(
        candidate_id=key,
        erased_at=accounts.erased_at,
        reason=accounts.reason,
        accounts=accounts,
        awards=awards,
        consent=consent,
        already_erased=accounts.already_erased,
        entitlements=entitlements,
    )
