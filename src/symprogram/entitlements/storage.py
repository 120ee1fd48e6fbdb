"""The repositories of the entitlements context, on the generic storage port.

Every repository wraps one unit of work (:class:`~symprogram.persistence.Transaction`)
and works on every adapter: :class:`StoredHoldings` (one record per customer:
agreements, grants, extensions), :class:`StoredCases`, :class:`StoredLifecycles`,
and :class:`RecordOwners`, the unique indexes from agreement and extension ids to
the customer holding them. :class:`HoldingsReader` is the hot-path reader of the
decision methods, which decodes a customer's record once per stored version and
compares it with the customer's audit once per stored version and audit head.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any, Generic, TypeVar

import attrs

from symprogram._anchors import anchored_entries
from symprogram._checks import check_found, check_text
from symprogram.entitlements.models import (
    MAX_TEXT,
    CustomerEntitlements,
    ProductLifecycle,
    SupportCase,
)
from symprogram.entitlements.ports import CASE_KIND, HOLDINGS_KIND, LIFECYCLE_KIND
from symprogram.entitlements.rules import require_holdings_anchored, require_new_id
from symprogram.errors import ValidationError
from symprogram.ledger import Ledger
from symprogram.persistence import Record, Repository, Transaction, decode_stored
from symprogram.serialization import make_converter

__all__ = [
    "HoldingsReader",
    "RecordOwners",
    "audit_entries",
    "StoredCases",
    "StoredHoldings",
    "StoredLifecycles",
]

_CONVERTER = make_converter()


_A = TypeVar("_A", CustomerEntitlements, SupportCase, ProductLifecycle)


class _Stored(Generic[_A]):
    """One kind of aggregate in one unit of work: found by key, inserted or updated by version."""

    def __init__(self, repo: Repository[_A]) -> None:
        self._repo: Repository[_A] = repo

    def find(self, key: str) -> _A | None:
        """The aggregate stored under ``key``, or ``None``."""
        return self._repo.find(key)

    def decode(self, record: Record) -> _A:
        """The aggregate a stored ``record`` of this kind holds (IntegrityError
        ``record_corrupt``: it cannot be read as its key's)."""
        return self._repo.decode(record)

    def save(self, item: _A) -> _A:
        """Insert (version 0) or update ``item``; returns it with its new version.

        ConcurrencyError if it is stale, including a version-0 record that another unit
        of work inserted after this one found none (a retry then sees it).
        """
        return self._repo.save(item)


class StoredHoldings(_Stored[CustomerEntitlements]):
    """:class:`~symprogram.entitlements.ports.HoldingsRepository` on the storage port."""

    def __init__(self, tx: Transaction) -> None:
        super().__init__(Repository(tx, HOLDINGS_KIND, CustomerEntitlements, key=_holdings_key))

    def get_or_empty(self, customer_id: str, *, for_update: bool = False) -> CustomerEntitlements:
        """The customer's holdings, or an empty (never saved) record; ``for_update``:
        read locked (``find_for_update``), so writers of one customer queue."""
        found = (
            self._repo.find_for_update(customer_id) if for_update else self._repo.find(customer_id)
        )
        return found if found is not None else CustomerEntitlements(customer_id)


class StoredCases(_Stored[SupportCase]):
    """:class:`~symprogram.entitlements.ports.CaseRepository` on the storage port."""

    def __init__(self, tx: Transaction) -> None:
        super().__init__(Repository(tx, CASE_KIND, SupportCase, key=_case_key))

    def get(self, case_id: str, *, for_update: bool = False) -> SupportCase:
        """The case; NotFound (``entitlements_case_not_found``) if absent. ``for_update``:
        read locked (``find_for_update``), so writers of one case queue and each reads
        the case and its customer's audit as the one before it left them."""
        if not for_update:
            return self._repo.get(case_id)
        return check_found(
            self._repo.find_for_update(case_id),
            f"no entitlements case {case_id!r}",
            code="entitlements_case_not_found",
            details={"key": case_id},
        )

    def add(self, case: SupportCase) -> SupportCase:
        """Store a new case; Conflict (``entitlements_case_exists``) if the id is taken."""
        return self._repo.add(case)

    def save(self, case: SupportCase) -> SupportCase:
        """Store a changed case (at its version; ConcurrencyError if stale)."""
        return self._repo.save(case)


class StoredLifecycles(_Stored[ProductLifecycle]):
    """:class:`~symprogram.entitlements.ports.LifecycleRepository` on the storage port."""

    def __init__(self, tx: Transaction) -> None:
        super().__init__(Repository(tx, LIFECYCLE_KIND, ProductLifecycle, key=_lifecycle_key))

    def get(self, product: str) -> ProductLifecycle:
        """The product's lifecycle; NotFound (``product_not_found``) if none is registered."""
        missing = f"no releases of {product!r}"
        return check_found(
            self._repo.find(product), missing, field="product", code="product_not_found"
        )


class RecordOwners:
    """A unique index from a record id (agreement, extension) to the customer holding it.

    Args:
        tx: the unit of work.
        index: the index name (:data:`~symprogram.entitlements.ports.AGREEMENT_INDEX`, ...).
        what: the record's name in codes and fields (``"agreement"``: ``agreement_id``,
            ``agreement_exists``, ``agreement_not_found``).
    """

    def __init__(self, tx: Transaction, index: str, what: str) -> None:
        self._tx = tx
        self._index = index
        self._what = what

    def claim(self, record_id: str, customer_id: str) -> None:
        """Give ``record_id`` to ``customer_id``; Conflict (``<what>_exists``) if it is taken."""
        taken = self._tx.index_get(self._index, record_id) is not None
        require_new_id(taken, self._what, record_id)
        self._tx.index_put(self._index, record_id, customer_id)

    def owner(self, record_id: object) -> str:
        """The customer holding ``record_id``; NotFound (``<what>_not_found``) if none.

        Raises:
            ValidationError: ``record_id`` is not an identifier (``invalid_<what>_id``).
        """
        field = f"{self._what}_id"
        check_text(record_id, field, limit=MAX_TEXT)
        return check_found(
            self._tx.index_get(self._index, str(record_id)),
            f"no {self._what} {record_id!r}",
            field=field,
            code=f"{self._what}_not_found",
        )


@attrs.frozen
class _Held:
    """A customer's holdings as last read: the stored text, the decoded record, the
    text of the audit's stream head it was found anchored under (``None``: no head;
    :data:`_UNCHECKED`: not compared) and the change token read before (``None``:
    none; :data:`_UNCHECKED`: not remembered yet)."""

    data: str
    holdings: CustomerEntitlements
    head: object
    token: object


_UNCHECKED = object()


class HoldingsReader:
    """Reads holdings for the decision methods, decoding each stored version once and
    comparing it with the customer's audit once per stored version and audit head.

    With a ``ledger`` (the customer's audit), the holdings are what the decisions
    decide with only once they are as the audit says, field by field
    (:func:`~symprogram.entitlements.rules.require_holdings_anchored`): the audit's
    entries are read and replayed the first time a stored version of the holdings is
    read beside a given head of the customer's audit stream, and the answer is
    remembered. Later reads compare the stored text and the head's (one more point
    read), and, under the change token the answer was found under (nothing
    committed since), not even the head.

    Thread-safe; remembers at most ``limit`` customers (then starts afresh).
    """

    def __init__(self, *, limit: int, ledger: Ledger | None = None) -> None:
        self._limit = limit
        self._ledger = ledger
        self._decoded: dict[str, _Held] = {}
        self._lock = threading.Lock()

    def read(
        self, tx: Transaction, customer_id: str, *, token: object = None
    ) -> CustomerEntitlements | None:
        """The customer's holdings, or ``None`` (none are stored).

        Args:
            tx: a unit of work.
            customer_id: the customer.
            token: the store's change token read before ``tx`` was opened (``None``:
                none; the audit's head is then read every time).

        Raises:
            IntegrityError: the stored record cannot be decoded, or is not as the
                customer's audit says (``record_corrupt``).
        """
        record = tx.load(HOLDINGS_KIND, customer_id)
        if record is None:
            return None
        held = self._decoded.get(customer_id)
        if held is None or held.data != record.data or held.holdings.version != record.version:
            holdings = attrs.evolve(
                decode_stored(
                    record.data,
                    CustomerEntitlements,
                    kind=HOLDINGS_KIND,
                    key=customer_id,
                    converter=_CONVERTER,
                    identity=_holdings_key,
                ),
                version=record.version,
            )
            held = _Held(record.data, holdings, _UNCHECKED, _UNCHECKED)
        elif token is not None and held.token == token and held.head is not _UNCHECKED:
            return held.holdings  # anchored under this token: nothing committed since
        ledger = self._ledger
        head = _UNCHECKED if ledger is None else _anchored_head(ledger, tx, held)
        if held.token is not _UNCHECKED and held.head == head and held.token == token:
            return held.holdings  # remembered as it is (a store without a change token)
        with self._lock:
            if len(self._decoded) >= self._limit:
                self._decoded.clear()
            self._decoded[customer_id] = _Held(record.data, held.holdings, head, token)
        return held.holdings


def _anchored_head(ledger: Ledger, tx: Transaction, held: _Held) -> object:
    """The text of the audit head the holdings ``held`` are anchored under, after
    comparing them with the audit's entries unless ``held`` was under that head.

    Raises:
        IntegrityError: ``record_corrupt``.
    """
    customer_id = held.holdings.customer_id
    try:
        found = tx.load(Ledger.HEAD_KIND, ledger.stream(customer_id))
    except ValidationError:  # a customer ID no stream can have: nobody recorded it
        found = None
    head = None if found is None else found.data
    if held.head is _UNCHECKED or held.head != head:
        said = audit_entries(ledger, tx, customer_id, head=found)
        require_holdings_anchored(held.holdings, *said)
    return head


def audit_entries(
    ledger: Ledger, tx: Transaction, customer_id: str, *, head: Record | bool | None = False
) -> tuple[list[tuple[str, dict[str, Any] | None]], list[datetime]]:
    """The ``(kind, data)`` pairs of the customer's audit entries and their instants,
    oldest first (none for a customer ID no stream can have), only if they end where
    the audit's stream head says (:func:`~symprogram._anchors.anchored_entries`;
    ``head``: its record, already loaded in ``tx``, else read here): an audit whose
    newest entries were deleted vouches for nothing.

    Raises:
        IntegrityError: an entry or the head cannot be read (``ledger_corrupt``,
            ``ledger_key_unknown``); the entries do not end at the head
            (``ledger_tampered``).
    """
    try:
        entries = anchored_entries(ledger, tx, customer_id, head=head)
    except ValidationError:
        return [], []
    return [(e.kind, e.data) for e in entries], [e.at for e in entries]


def _holdings_key(holdings: CustomerEntitlements) -> str:
    return holdings.customer_id


def _case_key(case: SupportCase) -> str:
    return case.case_id


def _lifecycle_key(lifecycle: ProductLifecycle) -> str:
    return lifecycle.product
