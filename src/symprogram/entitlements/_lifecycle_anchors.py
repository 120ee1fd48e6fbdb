"""Release lifecycles anchored to their product's audit: the support decisions' reader
and the checks of ``verify`` / ``verify_all``.

Private. A product's stored lifecycle (``entitlements_product``) is decided with only
once it is as the ``release_registered`` entries of the product's audit stream
(``product:<name>``) say, release by release
(:func:`~symprogram.entitlements.rules.require_lifecycle_anchored`):
:class:`LifecycleReader` compares it once per stored version of the lifecycle and
head of the product's audit, and remembers the answer, so warm decisions read the
record and the head only (under an unchanged change token, the record only).
:func:`lifecycle_anchor_check` reports a difference in ``verify`` and ``verify_all``
(``aggregate_mismatch``); :class:`LifecycleOwners` reports, in ``verify_all``, a
lifecycle stored for a product whose audit holds no entry at all (written in by
hand, or its stream dropped whole), which no stream's check would read.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import attrs

from symprogram._anchors import AggregateDifference, AggregateMismatch, mismatches
from symprogram._owned import unnamed
from symprogram._persistence_records import Record
from symprogram.entitlements import rules
from symprogram.entitlements.models import ProductLifecycle
from symprogram.entitlements.ports import LIFECYCLE_KIND
from symprogram.entitlements.storage import StoredLifecycles, audit_entries
from symprogram.errors import ValidationError
from symprogram.ledger import Ledger, LedgerEntry
from symprogram.persistence import Transaction, load_for_update

__all__ = ["LifecycleOwners", "LifecycleReader", "lifecycle_anchor_check"]

_UNCHECKED = object()


@attrs.frozen
class _Held:
    """A product's lifecycle as last found anchored: the stored text and version
    (``None`` and 0: none stored), the lifecycle, the text of the audit's stream head
    it was found anchored under (``None``: no head) and the change token read before
    (``None``: none)."""

    data: str | None
    version: int
    lifecycle: ProductLifecycle | None
    head: object
    token: object


class LifecycleReader:
    """Reads a product's release lifecycle for the support decisions, comparing it with
    the product's audit once per stored version and audit head.

    Thread-safe; remembers at most ``limit`` products (then starts afresh).

    Args:
        limit: how many products' answers are kept.
        ledger: the entitlements audit.
    """

    def __init__(self, *, limit: int, ledger: Ledger) -> None:
        self._limit = limit
        self._ledger = ledger
        self._held: dict[str, _Held] = {}
        self._lock = threading.Lock()

    def read(
        self, tx: Transaction, product: str, *, token: object = None, for_update: bool = False
    ) -> ProductLifecycle | None:
        """The stored lifecycle of ``product`` (``None``: none is stored), if it is as
        the product's audit says.

        Args:
            tx: a unit of work.
            product: the product.
            token: the store's change token read before ``tx`` was opened (``None``:
                none; the audit's head is then read every time).
            for_update: read the record locked (a writer of the lifecycle), so the
                audit read next holds every change of it committed before.

        Raises:
            IntegrityError: the stored record cannot be decoded, or is not as the
                product's audit says, or is missing while the audit registers
                releases (``record_corrupt``).
        """
        if for_update:
            record = load_for_update(tx, LIFECYCLE_KIND, product)
        else:
            record = tx.load(LIFECYCLE_KIND, product)
        data, version = (None, 0) if record is None else (record.data, record.version)
        held = self._held.get(product)
        same = held is not None and held.data == data and held.version == version
        if held is not None and same and token is not None and held.token == token:
            return held.lifecycle  # anchored under this token: nothing committed since
        subject = rules.lifecycle_subject(product)
        head = self._head(tx, subject)
        if held is not None and same and held.head == head:
            lifecycle = held.lifecycle
        else:
            lifecycle = None if record is None else StoredLifecycles(tx).decode(record)
            entries, _ = audit_entries(self._ledger, tx, subject)
            rules.require_lifecycle_anchored(product, lifecycle, entries)
        with self._lock:
            if len(self._held) >= self._limit:
                self._held.clear()
            self._held[product] = _Held(data, version, lifecycle, head, token)
        return lifecycle

    def _head(self, tx: Transaction, subject: str) -> object:
        """The text of ``subject``'s audit stream head (``None``: none)."""
        try:
            found = tx.load(Ledger.HEAD_KIND, self._ledger.stream(subject))
        except ValidationError:  # a product name no stream can have: nobody recorded it
            return None
        return None if found is None else found.data


def lifecycle_anchor_check(
    tx: Transaction, subject: str, entries: Sequence[LedgerEntry]
) -> tuple[AggregateMismatch, ...]:
    """The stored lifecycle of the product whose audit ``subject`` is
    (``product:<name>``) against its audit ``entries`` (read-only; none for another
    subject).

    Raises:
        IntegrityError: the stored lifecycle cannot be read (``record_corrupt``).
    """
    product = rules.lifecycle_product(subject)
    if product is None:
        return ()
    lifecycle = StoredLifecycles(tx).find(product)
    pairs = [(entry.kind, entry.data) for entry in entries]
    differences = rules.lifecycle_differences(product, lifecycle, pairs)
    return mismatches(entries[-1].position if entries else 0, differences)


class LifecycleOwners:
    """The owner check of stored lifecycles: a lifecycle whose product's audit holds no
    entry is reported under that audit's subject (field ``entitlements_product``); one
    whose audit holds entries is compared with them by :func:`lifecycle_anchor_check`."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def __call__(
        self, tx: Transaction, record: Record
    ) -> tuple[str, tuple[AggregateDifference, ...]]:
        """The audit subject of the stored lifecycle ``record`` and, when that audit holds
        no entry, the difference.

        Raises:
            IntegrityError: the record cannot be read as its key's (``record_corrupt``).
            ValidationError: its product cannot name a stream.
        """
        StoredLifecycles(tx).decode(record)
        subject = rules.lifecycle_subject(record.key)
        length = tx.stream_length(self._ledger.stream(subject))
        return subject, unnamed(LIFECYCLE_KIND, record.key, length > 0)
