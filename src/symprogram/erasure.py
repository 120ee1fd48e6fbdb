"""Program-wide right to erasure: one person's personal data removed from every context.

:meth:`symprogram.Program.erase_person` calls :func:`erase_person`, which erases,
in ONE unit of work (all or nothing):

1. the person's awards data (:meth:`~symprogram.awards.AwardsService.erase`):
   kit addresses and disclosure holder names; showing disclosures are revoked;
2. the account (:meth:`~symprogram.accounts.AccountsService.erase`): contact
   details, password hash, pending links, e-mail index, claimed score reports,
   incidents, and the data of every account history entry, ending the history
   with an ``account_erased`` entry;
3. the consent subject named by the candidate ID
   (:meth:`~symprogram.consent.ConsentService.erase`), if anything was recorded
   about it.

The ledgers (account history and consent) keep a pseudonymous proof: each
entry's digest and the hash chain, so ``program.history.verify(cid).ok`` and
``program.consent.verify(cid).ok`` stay ``True``. Erasing twice is harmless.

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

from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from symprogram.accounts.models import AccountErasure
from symprogram.awards.models import AwardsErasure
from symprogram.clock import ensure_utc
from symprogram.consent.models import ErasureReceipt
from symprogram.errors import IllegalTransition, NotFound

if TYPE_CHECKING:
    from symprogram.program import Program

__all__ = ["PersonErasure", "erase_person"]


def _utc_erased_at(value: object) -> datetime:
    return ensure_utc(value, field="erased_at")


@attrs.frozen
class PersonErasure:
    """Proof that one person's personal data was erased program-wide (no personal data in it).

    Attributes:
        candidate_id: the erased candidate (also the consent subject).
        erased_at: when the account's personal data was erased (the first erasure).
        reason: the reason given.
        accounts: the accounts context's receipt.
        awards: the awards context's receipt.
        consent: the consent context's receipt, or ``None`` when nothing was
            ever recorded about the candidate ID in the consent ledger.
        already_erased: the person had been erased before this call.
    """

    candidate_id: str
    erased_at: datetime = attrs.field(converter=_utc_erased_at)
    reason: str
    accounts: AccountErasure
    awards: AwardsErasure
    consent: ErasureReceipt | None = None
    already_erased: bool = False


def _erase_consent(program: Program, subject: str) -> ErasureReceipt | None:
    consent = program.consent
    try:
        return consent.erase(subject)
    except NotFound as exc:
        if exc.code != "consent_subject_not_found":
            raise
        return None
    except IllegalTransition as exc:
        if exc.code != "subject_erased":
            raise
    # Already erased: describe the standing erasure from the consent receipt.
    receipt = consent.receipt(subject)
    return ErasureReceipt(
        subject,
        receipt.erased_at if receipt.erased_at is not None else receipt.issued_at,
        0,
        receipt.ledger_length,
        receipt.ledger_head,
    )


def erase_person(program: Program, candidate_id: str, *, reason: str) -> PersonErasure:
    """Erase a candidate's personal data from accounts, awards and consent, all or nothing.

    See :meth:`symprogram.Program.erase_person`.

    Raises:
        ValidationError: a malformed candidate ID or reason.
        NotFound: no such candidate (``candidate_not_found``).
    """
    key = program.accounts.get_candidate(candidate_id).candidate_id
    with program.store.transaction():
        awards = program.awards.erase(key)
        accounts = program.accounts.erase(key, reason=reason)
        consent = _erase_consent(program, key)
    return PersonErasure(
        candidate_id=key,
        erased_at=accounts.erased_at,
        reason=accounts.reason,
        accounts=accounts,
        awards=awards,
        consent=consent,
        already_erased=accounts.already_erased,
    )
