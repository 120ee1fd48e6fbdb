"""Reading and verifying a ledger: what the services holding one all answer.

``verify_all`` of the account history, of the entitlements audit, and the
program's own check of a ledger no service answers for are this one walk;
:class:`LedgerReads` is the ledger convention (``history(subject)``,
``verify(subject)``, ``verify_all()``) written once for the classes that hold one,
with the anchor checks of the stored aggregates beside the ledger
(:mod:`symprogram._anchors`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from symprogram._anchors import AnchorCheck, anchored
from symprogram._checks import check_int
from symprogram._owned import OwnedKind, owned_problems, with_owned
from symprogram.ledger import (
    Ledger,
    LedgerEntry,
    Verification,
    VerificationFailures,
    iter_verifications,
)
from symprogram.persistence import Store, Transaction

if TYPE_CHECKING:
    from symprogram.digests import LedgerDigest

__all__ = ["LedgerReads", "failed_verifications"]


def failed_verifications(
    store: Store,
    ledger: Ledger,
    *,
    batch: object = 500,
    against: LedgerDigest | None = None,
    check: Callable[[Transaction, str], Verification] | None = None,
    kinds: Sequence[str] = (),
) -> tuple[Verification, ...]:
    """The verifications of ``ledger``'s streams that failed (none: all ok).

    The streams are read ``batch`` at a time (1 to 10,000) and each is checked
    with ``check`` (default: :meth:`Ledger.verify` ``against`` the digest, whose
    key is checked first; see :func:`~symprogram.ledger.iter_verifications`); the
    keys of the records of ``kinds`` are checked as subjects too.

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
    every = iter_verifications(store, ledger, check, batch=size, against=against, kinds=kinds)
    return tuple(result for result in every if not result.ok)


class LedgerReads:
    """``history(subject)``, ``verify(subject)`` and ``verify_all()`` over one ledger.

    A class that holds a ledger derives from this and says where the ledger is
    (:meth:`_ledger_parts`), when its subjects are checked first, how
    (:meth:`_ledger_subject`), and which stored aggregates are anchored to the
    ledger (:meth:`_anchor_checks`, :meth:`_anchor_kinds`); every reading of a
    ledger then answers alike.
    """

    __slots__ = ()

    def _ledger_parts(self) -> tuple[Store, Ledger]:
        """The store and the ledger read (the deriving class says)."""
        raise NotImplementedError

    def _ledger_subject(self, subject: str) -> str:
        """``subject`` checked (a deriving class may refuse a malformed one)."""
        return subject

    def _anchor_checks(self) -> Sequence[AnchorCheck]:
        """The checks of the stored aggregates against the ledger (none by default)."""
        return ()

    def _anchor_kinds(self) -> Sequence[str]:
        """Record kinds keyed by subject whose keys ``verify_all`` checks too (none)."""
        return ()

    def _owned_kinds(self) -> Sequence[OwnedKind]:
        """Record kinds whose every stored record its owner must name (none by default):
        ``verify_all`` walks them too (see :mod:`symprogram._owned`)."""
        return ()

    def _verify_in(
        self, tx: Transaction, subject: str, against: LedgerDigest | None
    ) -> Verification:
        """``subject``'s stream verified in ``tx``, its anchored aggregates compared."""
        _, ledger = self._ledger_parts()
        result = ledger.verify(tx, subject, against=against)
        return anchored(tx, ledger, subject, result, self._anchor_checks())

    def history(self, subject: str) -> tuple[LedgerEntry, ...]:
        """``subject``'s whole stream, oldest first."""
        name = self._ledger_subject(subject)
        store, ledger = self._ledger_parts()
        with store.transaction(readonly=True) as tx:
            return tuple(ledger.entries(tx, name))

    def verify(self, subject: str, *, against: LedgerDigest | None = None) -> Verification:
        """Check ``subject``'s stream for edited, reordered or removed entries.

        With ``against``, a digest kept outside the database, also prove that the
        stream still extends what the digest covered (see
        :meth:`~symprogram.ledger.Ledger.verify`). Never raises for a defect: the
        result lists them (``raise_for_problems()`` turns them into an
        :class:`~symprogram.errors.IntegrityError`). A stored aggregate that
        differs from what the ledger says is ``aggregate_mismatch`` (see
        :mod:`symprogram._anchors`).

        Raises:
            ValidationError: ``digest_key_mismatch`` (a digest of another key),
                ``digest_store_mismatch`` (a digest of another store).
            IntegrityError: ``digest_forged`` (an altered digest).
        """
        name = self._ledger_subject(subject)
        store, _ = self._ledger_parts()
        with store.transaction(readonly=True) as tx:
            return self._verify_in(tx, name, against)

    def verify_all(
        self, *, batch: int = 500, against: LedgerDigest | None = None
    ) -> VerificationFailures:
        """Check every subject's stream, page by page; return the failed ones (none: all ok),
        with ``.ok`` and ``.failures`` (:class:`~symprogram.ledger.VerificationFailures`).

        With ``against``, every stream the digest covered is checked too, so one
        dropped whole is reported (``digest_stream_missing``). Every stored record
        of the owned kinds that its owner does not name (written in by hand under a
        key of its own) is reported too, under its owner (``aggregate_mismatch``;
        see :mod:`symprogram._owned`).

        Raises:
            ValidationError: ``batch`` is not 1 to 10,000 (``invalid_batch``);
                ``digest_key_mismatch``, ``digest_store_mismatch``.
            IntegrityError: ``digest_forged``.
        """
        store, ledger = self._ledger_parts()
        checks = self._anchor_checks()
        if not checks:
            failed = failed_verifications(store, ledger, batch=batch, against=against)
        else:
            failed = failed_verifications(
                store,
                ledger,
                batch=batch,
                against=against,
                check=lambda tx, subject: self._verify_in(tx, subject, against),
                kinds=self._anchor_kinds(),
            )
        owned = self._owned_kinds()
        if not owned:
            return VerificationFailures(failed)
        size = check_int(batch, "batch", minimum=1, maximum=10_000)
        found = owned_problems(store, ledger, owned, batch=size)
        return VerificationFailures(with_owned(failed, found))
