"""Verifying every stream of a ledger: what the services holding one all answer.

``verify_all`` of the account history, of the entitlements audit, and the
program's own check of a ledger no service answers for are this one walk.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from symprogram._checks import check_int
from symprogram.ledger import Ledger, Verification, iter_verifications
from symprogram.persistence import Store, Transaction

if TYPE_CHECKING:
    from symprogram.digests import LedgerDigest

__all__ = ["failed_verifications"]


def failed_verifications(
    store: Store,
    ledger: Ledger,
    *,
    batch: object = 500,
    against: LedgerDigest | None = None,
    check: Callable[[Transaction, str], Verification] | None = None,
) -> tuple[Verification, ...]:
    """The verifications of ``ledger``'s streams that failed (none: all ok).

    The streams are read ``batch`` at a time (1 to 10,000) and each is checked
    with ``check`` (default: :meth:`Ledger.verify` ``against`` the digest, whose
    key is checked first; see :func:`~symprogram.ledger.iter_verifications`).

    Raises:
        ValidationError: ``batch`` is not 1 to 10,000 (``invalid_batch``);
            ``digest_key_mismatch``, ``digest_store_mismatch``.
        IntegrityError: ``digest_forged``.
    """
    size = check_int(batch, "batch", minimum=1, maximum=10_000)
    if against is not None:
        ledger.check_digest(against)
    if check is None:
        check = functools.partial(ledger.verify, against=against)
    every = iter_verifications(store, ledger, check, batch=size, against=against)
    return tuple(result for result in every if not result.ok)
