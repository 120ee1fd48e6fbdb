"""The right to erasure as one mechanism every context joins (kernel; knows no context).

Each context's ``erasure.py`` flow satisfies :class:`Erasable`: it declares the
record kinds it stores that can hold personal data (``personal_data_kinds``) and
those that hold none, only pseudonymous or catalogue data (``other_kinds``), and
erases one person's data inside a unit of work the caller opened
(``erase_subject``). :func:`symprogram.erasure.erase_person` walks every context
of the program in ONE unit of work; the erasure suite checks that every kind
found in a store is declared by some context (or here, for the kernel's own
kinds), so a new kind holding personal fields cannot be forgotten.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from symprogram.persistence import Transaction, clear_decoded_cache

__all__ = ["KERNEL_KINDS", "Erasable", "after_erasure"]

KERNEL_KINDS = ("ledger_head", "ledger_store_id", "token", "token_generation")
"""Record kinds the kernel stores for every context, none holding personal data:
ledger heads (stream name, length, hash), the store's identity (a random id that
digests name), tokens and their generations (a digest, a purpose and a
pseudonymous subject). Ledger *streams* are no record kind: each
context erases its own with :meth:`~symprogram.ledger.Ledger.erase`."""


@runtime_checkable
class Erasable(Protocol):
    """A context's part of the right to erasure.

    Attributes:
        personal_data_kinds: the record kinds that can hold personal data; the
            context's ``erase_subject`` leaves none of the person's data in them.
        other_kinds: the context's other record kinds, which hold no personal data.
    """

    personal_data_kinds: tuple[str, ...]
    other_kinds: tuple[str, ...]

    def erase_subject(self, tx: Transaction, subject: str, *, reason: str) -> object:
        """Erase the personal data of ``subject`` (a candidate ID) within ``tx``.

        Called inside the unit of work of :func:`symprogram.erasure.erase_person`
        (a nested unit of work joins it): all contexts or none. Returns the
        context's receipt (no personal data in it), or ``None`` when the context
        never recorded anything about the subject.
        """
        ...


def after_erasure(store: object) -> None:
    """What every erasure does once it committed, so that nothing erased stays
    behind: forget the records this process keeps decoded
    (:func:`~symprogram.persistence.clear_decoded_cache`: they are kept by their
    stored text, which held the person's values), and let ``store`` clear erased
    values out of its files, if it can (SQLite: rebuild the file, then checkpoint
    and truncate the WAL; see :meth:`~symprogram.storage.sqlite.SQLiteStore.checkpoint`).
    Inside a unit of work still open (an erasure joining the caller's) nothing is
    committed yet and the store's files are left as they are: the outermost
    erasure settles them.

    Raises:
        StorageError: ``database_busy`` when another connection kept the SQLite WAL
            from being truncated (the erasure itself is committed).
    """
    clear_decoded_cache()
    checkpoint = getattr(store, "checkpoint", None)
    if callable(checkpoint):
        checkpoint(vacuum=True)
