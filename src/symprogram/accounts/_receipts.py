"""The sweep of terms receipts nobody can use any more (issue 17, "growth bounded").

Private. Every anonymous :meth:`~symprogram.accounts.AccountsService.accept_terms`
stores three records: the unbound acceptance, its receipt token and the token's
generation. A registration binds the acceptance to the new account (kept for
good: it is the account's record of the terms it accepted); an acceptance never
bound, once its receipt has expired, is of no use to anyone, and a stranger could
otherwise grow the store without limit by asking for receipts. So each anonymous
``accept_terms`` also looks at :data:`SWEEP` acceptances and :data:`SWEEP` tokens
past a cursor, in a unit of work of its own, and deletes:

- an unbound acceptance accepted before ``accepted_before``, with its receipt's
  generation record;
- a receipt token (purpose ``terms_acceptance``) that expired before
  ``expired_before``.

The flow passes instants one receipt lifetime beyond the receipts' expiry, so an
expired receipt is still refused as ``token_expired`` for that long (then as
``token_invalid``, as a purged token is). Acceptances bound to an account and
tokens of every other purpose are never touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

import attrs

from symprogram.accounts.models import TermsAcceptance
from symprogram.accounts.ports import ACCEPTANCE_KIND
from symprogram.errors import IntegrityError
from symprogram.persistence import Record, Repository, Transaction, load_for_update
from symprogram.tokens import GENERATION_KIND, TOKEN_KIND, TokenRecord

__all__ = ["SWEEP", "ReceiptSweep"]

SWEEP = 8
"""Acceptances and tokens looked at per anonymous ``accept_terms``."""

T = TypeVar("T")


@attrs.frozen
class ReceiptSweep:
    """Where the next sweep starts (``""``: from the first key) in each kind.

    Attributes:
        acceptances: the last ``terms_acceptance`` key looked at.
        tokens: the last ``token`` key looked at.
    """

    acceptances: str = ""
    tokens: str = ""

    def run(
        self,
        tx: Transaction,
        purpose: str,
        *,
        accepted_before: datetime,
        expired_before: datetime,
    ) -> ReceiptSweep:
        """Sweep once in ``tx``; return where the next sweep starts.

        Args:
            tx: the sweep's own unit of work.
            purpose: the receipts' token purpose.
            accepted_before: unbound acceptances accepted before it are deleted.
            expired_before: receipt tokens expired before it are deleted.
        """
        acceptances = Repository(tx, ACCEPTANCE_KIND, TermsAcceptance, key=_acceptance_key)
        records = tx.scan(ACCEPTANCE_KIND, after=self.acceptances or None, limit=SWEEP)
        for record in records:
            if not _unbound_before(_peek(acceptances, record), accepted_before):
                continue
            found = _readable(acceptances, record.key)
            if found is None or not _unbound_before(found, accepted_before):
                continue  # gone, bound or changed since the scan
            acceptances.remove(found)
            generation = load_for_update(tx, GENERATION_KIND, f"{purpose}:{found.acceptance_id}")
            if generation is not None:
                tx.delete(GENERATION_KIND, generation.key, generation.version)
        tokens = Repository(tx, TOKEN_KIND, TokenRecord, key=_token_key)
        scanned = tx.scan(TOKEN_KIND, after=self.tokens or None, limit=SWEEP)
        for record in scanned:
            if not _expired_before(_peek(tokens, record), purpose, expired_before):
                continue
            token = _readable(tokens, record.key)
            if token is not None and _expired_before(token, purpose, expired_before):
                tokens.remove(token)
        return ReceiptSweep(_next(records), _next(scanned))


def _unbound_before(acceptance: TermsAcceptance | None, accepted_before: datetime) -> bool:
    return (
        acceptance is not None
        and acceptance.candidate_id is None
        and acceptance.accepted_at < accepted_before
    )


def _expired_before(token: TokenRecord | None, purpose: str, expired_before: datetime) -> bool:
    return token is not None and token.purpose == purpose and token.expires_at < expired_before


def _peek(repo: Repository[T], record: Record) -> T | None:
    """``record`` as scanned, decoded without a lock, or ``None`` if it does not decode.

    The sweep decides from this what it may delete and locks only those records
    (then decides again from the locked copy): the records it keeps, such as a
    receipt a registration is using up at this moment, are never locked by it, so
    a sweep and the calls it runs beside cannot wait on each other in a cycle."""
    try:
        return repo.decode(record)
    except IntegrityError:
        return None


def _readable(repo: Repository[T], key: str) -> T | None:
    """The record ``key`` locked, or ``None`` if it is gone or does not decode: a
    corrupt record is left for the integrity checks to report, and the sweep (part
    of every anonymous ``accept_terms``) goes on past it."""
    try:
        return repo.find_for_update(key)
    except IntegrityError:
        return None


def _acceptance_key(acceptance: TermsAcceptance) -> str:
    return acceptance.acceptance_id


def _token_key(token: TokenRecord) -> str:
    return token.digest


def _next(records: Sequence[Record]) -> str:
    """The cursor after ``records`` (a full page: its last key; else from the start)."""
    return records[-1].key if len(records) >= SWEEP else ""
