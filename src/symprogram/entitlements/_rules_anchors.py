"""Rules of the holdings anchored to the audit: the stored record against the ledger (pure).

The audit is keyed and chained; the stored :class:`CustomerEntitlements` is not.
A holdings row put back from before a revocation or a cancellation, or edited in
place (a higher level, a later end date, another product or release), would give
access again while every chain verifies, so the audit's verification also
replays, from the customer's entries, what the ledger says of each agreement,
grant and support extension and compares it with the stored record, field by
field (``aggregate_mismatch``; the kernel's :mod:`symprogram._anchors` runs it):

- **agreements**: ``agreement_recorded`` records one, ``active``, with its level,
  products, first and last day and author (``by``: ``created_by``; the entry's
  instant: ``created_at``); each ``agreement_status_changed`` appends a status
  change (its status, author, reason and instant) and sets its ``status``;
- **grants**: ``entitlement_granted`` records one, ``active``, with its kind, level,
  products, days, reason, approver and author (``granted_by``; the instant:
  ``granted_at``); ``entitlement_revoked`` makes it ``revoked`` (its instant,
  author and reason: ``revoked_at``, ``revoked_by``, ``revocation_reason``);
- **support extensions**: ``extension_recorded`` (product, releases, days, author)
  and ``extension_status_changed``, as agreements.

Every record the ledger names must be stored with those fields and that state, and
every stored record must be named by the ledger; each agreement and extension it
names must be given to the customer by its unique index
(:func:`owner_index_differences`). A field an entry does not hold is not compared
(:data:`~symprogram._anchors.UNKNOWN`), nor are the instants when the caller does
not give them (``instants``). An entry of a kind whose data was erased (the right
to erasure) no longer says which record it was about: the records of that kind are
then not compared at all.

The reads and changes of an agreement, a support extension or a grant ask the same
of the one record they touch (:func:`require_agreement_anchored`,
:func:`require_extension_anchored`, :func:`require_grant_anchored`), and the
entitlement decisions of the whole record (:func:`require_holdings_anchored`).
The support cases the audit names are compared in
:mod:`~symprogram.entitlements._rules_case_anchors`.

Re-exported by :mod:`symprogram.entitlements.rules`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs

from symprogram._anchors import (
    UNKNOWN,
    AggregateDifference,
    SaidEntries,
    record_differences,
    said_pairs,
    said_text,
)
from symprogram.entitlements.events import (
    AgreementRecorded,
    AgreementStatusChanged,
    EntitlementGranted,
    EntitlementRevoked,
    ExtensionRecorded,
    ExtensionStatusChanged,
)
from symprogram.entitlements.models import (
    Agreement,
    AgreementStatus,
    CustomerEntitlements,
    Grant,
    SupportExtension,
)
from symprogram.entitlements.ports import AGREEMENT_INDEX, EXTENSION_INDEX, HOLDINGS_KIND
from symprogram.errors import IntegrityError, NotFound

__all__ = [
    "agreement_anchored",
    "extension_anchored",
    "grant_anchored",
    "holdings_differences",
    "owner_index_differences",
    "require_agreement_anchored",
    "require_extension_anchored",
    "require_grant_anchored",
    "require_holdings_anchored",
    "said_owned_ids",
]

_ACTIVE = AgreementStatus.ACTIVE.value
_REVOKED = "revoked"

Instants = Sequence[datetime] | None
"""The instant of each audit entry, in the order of the entries (``None``: the
instants are not known, and not compared)."""

_PERSONAL = frozenset(
    {"created_by", "granted_by", "approver", "reason", "revoked_by", "revocation_reason", "by"}
)
"""The fields that name who acted and why: a difference leaves the values out."""


@attrs.frozen
class _Records:
    """One kind of record of the holdings, as the audit names it.

    ``recorded`` pairs each field of the opening entry's data with the stored field
    it gives; ``made_at`` is the stored field the opening entry's instant gives.
    """

    name: str
    id_field: str
    opened: str
    changed: str
    suffix: str
    recorded: tuple[tuple[str, str], ...]
    made_at: str


_TERMS = (("starts_on", "starts_on"), ("ends_on", "ends_on"))
_AGREEMENTS = _Records(
    "agreements",
    "agreement_id",
    AgreementRecorded.event_name(),
    AgreementStatusChanged.event_name(),
    ".status",
    (("level", "level"), ("products", "products"), *_TERMS, ("by", "created_by")),
    "created_at",
)
_GRANTS = _Records(
    "grants",
    "grant_id",
    EntitlementGranted.event_name(),
    EntitlementRevoked.event_name(),
    "",
    (
        ("kind", "kind"),
        ("level", "level"),
        ("products", "products"),
        *_TERMS,
        ("reason", "reason"),
        ("approver", "approver"),
        ("by", "granted_by"),
    ),
    "granted_at",
)
_EXTENSIONS = _Records(
    "extensions",
    "extension_id",
    ExtensionRecorded.event_name(),
    ExtensionStatusChanged.event_name(),
    ".status",
    (("product", "product"), ("releases", "releases"), *_TERMS, ("by", "created_by")),
    "created_at",
)
_LISTS = frozenset({"products", "releases"})
"""The fields that hold a set of names (the entries write them sorted)."""


@attrs.define
class _Said:
    """What the audit says of one record: its state, the fields its opening entry
    recorded (:data:`~symprogram._anchors.UNKNOWN` where it says nothing of one), and
    its status changes (agreements and extensions) or revocation (grants)."""

    state: str
    fields: dict[str, object]
    changes: list[dict[str, object]] = attrs.Factory(list)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _at(instants: Instants, index: int) -> object:
    """The instant of the ``index``-th entry, as stored records write it (or UNKNOWN)."""
    if instants is None or index >= len(instants):
        return UNKNOWN
    value = instants[index]
    return _iso(value) if isinstance(value, datetime) else UNKNOWN


def _said_value(data: Mapping[str, Any], name: str) -> object:
    value = data.get(name, UNKNOWN)
    names = name in _LISTS and isinstance(value, list | tuple)
    if names and all(isinstance(item, str) for item in value):
        return sorted(value)
    return value


def _opened(records: _Records, data: Mapping[str, Any], at: object) -> _Said:
    fields = {stored: _said_value(data, name) for name, stored in records.recorded}
    fields[records.made_at] = at
    return _Said(_ACTIVE, fields)


def _unopened(records: _Records) -> _Said:
    """A record the audit changes without having recorded it: nothing of it is known."""
    fields: dict[str, object] = dict.fromkeys((s for _, s in records.recorded), UNKNOWN)
    fields[records.made_at] = UNKNOWN
    return _Said(_ACTIVE, fields)


def _replay(
    records: _Records,
    entries: Sequence[tuple[str, Mapping[str, Any] | None]],
    instants: Instants = None,
) -> dict[str, _Said] | None:
    """Each record as the ledger says it (``None``: an erased entry hides one)."""
    said: dict[str, _Said] = {}
    for index, (kind, data) in enumerate(entries):
        if kind != records.opened and kind != records.changed:
            continue
        identifier = said_text(data, records.id_field)
        if data is None or identifier is None:
            return None
        at = _at(instants, index)
        if kind == records.opened:
            said[identifier] = _opened(records, data, at)
            continue
        record = said.setdefault(identifier, _unopened(records))
        change = {"at": at, "by": data.get("by", UNKNOWN), "reason": data.get("reason", UNKNOWN)}
        if records is _GRANTS:
            record.state = _REVOKED
            record.changes = [change]  # the revocation: its instant, by whom and why
            continue
        status = said_text(data, "status")
        if status is None:
            return None
        record.state = status
        record.changes.append({"status": status, **change})
    return said


def _contract_view(contract: Agreement | SupportExtension, fields: dict[str, object]) -> _Said:
    fields["created_at"] = _iso(contract.created_at)
    fields["created_by"] = contract.created_by
    changes: list[dict[str, object]] = [
        {"status": c.status.value, "at": _iso(c.at), "by": c.by, "reason": c.reason}
        for c in contract.status_changes
    ]
    return _Said(contract.status.value, fields, changes)


def _agreement_view(agreement: Agreement) -> _Said:
    return _contract_view(
        agreement,
        {
            "level": agreement.level,
            "products": sorted(agreement.products),
            "starts_on": agreement.starts_on.isoformat(),
            "ends_on": agreement.ends_on.isoformat(),
        },
    )


def _extension_view(extension: SupportExtension) -> _Said:
    return _contract_view(
        extension,
        {
            "product": extension.product,
            "releases": sorted(extension.releases),
            "starts_on": extension.starts_on.isoformat(),
            "ends_on": extension.ends_on.isoformat(),
        },
    )


def _grant_view(grant: Grant) -> _Said:
    fields: dict[str, object] = {
        "kind": grant.kind.value,
        "level": grant.level,
        "products": sorted(grant.products),
        "starts_on": grant.starts_on.isoformat(),
        "ends_on": grant.ends_on.isoformat(),
        "reason": grant.reason,
        "approver": grant.approver,
        "granted_by": grant.granted_by,
        "granted_at": _iso(grant.granted_at),
    }
    if grant.revoked_at is None:
        return _Said(_ACTIVE, fields)
    revocation: dict[str, object] = {
        "at": _iso(grant.revoked_at),
        "by": grant.revoked_by,
        "reason": grant.revocation_reason,
    }
    return _Said(_REVOKED, fields, [revocation])


_VIEWS: dict[str, Callable[[Any], _Said]] = {
    "agreements": _agreement_view,
    "grants": _grant_view,
    "extensions": _extension_view,
}


def _stored(holdings: CustomerEntitlements | None) -> dict[str, dict[str, _Said]]:
    if holdings is None:
        return {"agreements": {}, "grants": {}, "extensions": {}}
    return {
        "agreements": {a.agreement_id: _agreement_view(a) for a in holdings.agreements},
        "grants": {g.grant_id: _grant_view(g) for g in holdings.grants},
        "extensions": {e.extension_id: _extension_view(e) for e in holdings.extensions},
    }


def _fields_differ(
    customer_id: str, prefix: str, said: Mapping[str, object], stored: Mapping[str, object]
) -> list[AggregateDifference]:
    """:func:`~symprogram._anchors.record_differences`, who and why reported without
    their values."""
    return [
        attrs.evolve(d, personal=True) if d.field.rsplit(".", 1)[-1] in _PERSONAL else d
        for d in record_differences(HOLDINGS_KIND, customer_id, said, stored, prefix=prefix)
    ]


def _history_differences(
    customer_id: str, records: _Records, field: str, have: _Said, want: _Said
) -> list[AggregateDifference]:
    """The status changes (or the revocation) of one record whose state agrees.

    A change one side lacks, or whose status differs, is reported as
    ``status_changes[<n>]`` (its status; ``None`` where it is missing); a change both
    have is compared field by field (``status_changes[<n>].at``, ``.by``,
    ``.reason``). A grant's revocation is compared as ``revoked_at``, ``revoked_by``
    and ``revocation_reason``.
    """
    if records is _GRANTS:
        if not (have.changes and want.changes):
            return []
        named = {"at": "revoked_at", "by": "revoked_by", "reason": "revocation_reason"}
        said = {named[k]: v for k, v in want.changes[0].items()}
        stored = {named[k]: v for k, v in have.changes[0].items()}
        return _fields_differ(customer_id, f"{field}.", said, stored)
    found: list[AggregateDifference] = []
    for number in range(max(len(have.changes), len(want.changes))):
        name = f"{field}.status_changes[{number}]"
        mine = have.changes[number] if number < len(have.changes) else None
        theirs = want.changes[number] if number < len(want.changes) else None
        if mine is None or theirs is None or mine["status"] != theirs["status"]:
            have_status = None if mine is None else str(mine["status"])
            said_status = None if theirs is None else str(theirs["status"])
            found.append(
                AggregateDifference(HOLDINGS_KIND, customer_id, name, have_status, said_status)
            )
            continue
        found += _fields_differ(customer_id, f"{name}.", theirs, mine)
    return found


def _record_differences(
    customer_id: str, records: _Records, identifier: str, have: _Said, want: _Said
) -> list[AggregateDifference]:
    """Where one stored record differs from what the audit says of it.

    A state that differs (``.status``; a grant's ``active`` or ``revoked``) is reported
    alone, without the status changes that make it; the recorded fields are always
    compared.
    """
    field = f"{records.name}[{identifier}]"
    if have.state != want.state:
        found = [
            AggregateDifference(
                HOLDINGS_KIND, customer_id, field + records.suffix, have.state, want.state
            )
        ]
    else:
        found = _history_differences(customer_id, records, field, have, want)
    return found + _fields_differ(customer_id, f"{field}.", want.fields, have.fields)


def holdings_differences(
    customer_id: str,
    holdings: CustomerEntitlements | None,
    entries: SaidEntries,
    instants: Instants = None,
) -> tuple[AggregateDifference, ...]:
    """Where the stored ``holdings`` differ from what the customer's audit ``entries`` say.

    Args:
        customer_id: the customer (the record's key).
        holdings: the stored record (``None``: none).
        entries: the audit's ``(kind, data)`` pairs, oldest first (``data``
            ``None`` once erased).
        instants: each entry's instant, in the same order (``None``: the instants
            are not compared).

    Returns:
        one difference per record the two sides do not share (``agreements[<id>]``,
        ``grants[<id>]``, ``extensions[<id>]``: the value ``None`` on the side that
        lacks it); per record whose state differs (``agreements[<id>].status``:
        ``active``, ``suspended``, ``cancelled``; ``grants[<id>]``: ``active`` or
        ``revoked``; ``extensions[<id>].status``); per status change that differs
        (``agreements[<id>].status_changes[<n>]``, and its ``.at``, ``.by``,
        ``.reason``) or grant revocation (``grants[<id>].revoked_at``,
        ``.revoked_by``, ``.revocation_reason``) when the state agrees; and per field
        the recording entry gave (``level``, ``products``, ``starts_on``,
        ``ends_on``, ``created_at``, ``created_by``; a grant's ``kind``, ``reason``,
        ``approver``, ``granted_by``, ``granted_at``; an extension's ``product`` and
        ``releases``), e.g. ``agreements[<id>].level``. A field an entry does not
        hold is not compared, and who and why are reported without their values.
        None when they agree.
    """
    given = said_pairs(entries)
    stored = _stored(holdings)
    found: list[AggregateDifference] = []
    for records in (_AGREEMENTS, _GRANTS, _EXTENSIONS):
        said = _replay(records, given, instants)
        if said is None:
            continue
        mine = stored[records.name]
        for identifier in sorted(said.keys() | mine.keys()):
            have, want = mine.get(identifier), said.get(identifier)
            if have is None or want is None:
                field = f"{records.name}[{identifier}]"
                stored_state = None if have is None else have.state
                said_state = None if want is None else want.state
                found.append(
                    AggregateDifference(HOLDINGS_KIND, customer_id, field, stored_state, said_state)
                )
                continue
            found += _record_differences(customer_id, records, identifier, have, want)
    return tuple(found)


def require_holdings_anchored(
    holdings: CustomerEntitlements, entries: SaidEntries, instants: Instants = None
) -> CustomerEntitlements:
    """``holdings`` if they are what the customer's audit ``entries`` say, field by
    field (:func:`holdings_differences`): what the entitlement decisions decide with.

    Raises:
        IntegrityError: ``record_corrupt`` (details: kind ``entitlements_customer``,
            the customer ID and the first field that differs).
    """
    found = holdings_differences(holdings.customer_id, holdings, entries, instants)
    if found:
        raise IntegrityError.record_corrupt(
            HOLDINGS_KIND,
            holdings.customer_id,
            "is not as its customer's audit says",
            field=found[0].field,
        )
    return holdings


def _one_differences(
    records: _Records,
    record: Agreement | Grant | SupportExtension,
    entries: SaidEntries,
    instants: Instants,
) -> tuple[bool, list[AggregateDifference]]:
    """Whether the audit ``entries`` name the stored ``record`` with its state, and the
    differences of its fields; an erased entry that hides which record it was about
    vouches for every record of its kind (as :func:`holdings_differences` then
    compares none)."""
    said = _replay(records, said_pairs(entries), instants)
    if said is None:
        return True, []
    identifier: str = getattr(record, records.id_field)
    have = _VIEWS[records.name](record)
    want = said.get(identifier)
    if want is None or want.state != have.state:
        return False, []
    return True, _record_differences(record.customer_id, records, identifier, have, want)


def _anchored(
    records: _Records,
    record: Agreement | Grant | SupportExtension,
    entries: SaidEntries,
    instants: Instants,
) -> bool:
    """Whether the audit names the stored ``record`` with its state and its fields."""
    named, found = _one_differences(records, record, entries, instants)
    return named and not found


_R = TypeVar("_R", Agreement, Grant, SupportExtension)


def _require_one(records: _Records, record: _R, entries: SaidEntries, instants: Instants) -> _R:
    """``record`` if the audit names it with its state and its fields.

    Raises:
        NotFound: ``<what>_not_found`` (field ``<what>_id``).
        IntegrityError: ``record_corrupt``.
    """
    named, found = _one_differences(records, record, entries, instants)
    identifier: str = getattr(record, records.id_field)
    what = records.id_field.removesuffix("_id")
    if not named:
        raise NotFound(
            f"no {what} {identifier!r}", field=records.id_field, code=f"{what}_not_found"
        )
    if found:
        raise IntegrityError.record_corrupt(
            HOLDINGS_KIND,
            record.customer_id,
            f"holds {what} {identifier!r} otherwise than its customer's audit says",
            field=found[0].field,
        )
    return record


def agreement_anchored(
    agreement: Agreement, entries: SaidEntries, instants: Instants = None
) -> bool:
    """Whether the stored ``agreement`` is the one its customer's audit ``entries``
    (oldest first) recorded: an ``agreement_recorded`` entry naming it, with the level,
    products, dates and author that entry recorded, and the status changes the
    ``agreement_status_changed`` entries naming it made (their statuses, authors,
    reasons and, with ``instants``, when each took effect), so with the status they
    give it (the last one's, else ``active``).

    The reads and changes of an agreement ask it (:func:`require_agreement_anchored`):
    an agreement written into the holdings by hand, even with an
    ``entitlements_agreement_id`` index entry of its own, one put back from before a
    later entry (a cancelled agreement put back as active), or one edited in place (a
    higher level, a later end, another product, a cancellation moved to a later
    instant) is not the audit's. A field an entry does not hold is not compared.
    When an erased entry hides which agreement it was about, every agreement is taken
    as anchored (as :func:`holdings_differences` then compares none).

    Example:
        >>> from datetime import date, datetime, timezone
        >>> at = datetime(2012, 3, 1, tzinfo=timezone.utc)
        >>> agreement = Agreement("A-1", "C-1", "essential_support", {"NetBackup"},
        ...     date(2012, 1, 1), date(2012, 12, 31), created_at=at, created_by="sales")
        >>> recorded = ("agreement_recorded", {"agreement_id": "A-1"})
        >>> agreement_anchored(agreement, [recorded])
        True
        >>> cancelled = ("agreement_status_changed", {"agreement_id": "A-1", "status": "cancelled"})
        >>> agreement_anchored(agreement, [recorded, cancelled])
        False
        >>> agreement_anchored(agreement, [])
        False
        >>> basic = ("agreement_recorded", {"agreement_id": "A-1", "level": "basic_maintenance"})
        >>> agreement_anchored(agreement, [basic])
        False
    """
    return _anchored(_AGREEMENTS, agreement, entries, instants)


def require_agreement_anchored(
    agreement: Agreement, entries: SaidEntries, instants: Instants = None
) -> Agreement:
    """``agreement`` if it is the one its customer's audit ``entries`` say
    (:func:`agreement_anchored`).

    Raises:
        NotFound: the audit did not record it, or gives it another status
            (``agreement_not_found``): it is refused as an unknown ID is.
        IntegrityError: the audit recorded it with that status, but with other
            fields (``record_corrupt``; details: kind ``entitlements_customer``, the
            customer ID and the first field that differs, e.g.
            ``agreements[A-1].level``).
    """
    return _require_one(_AGREEMENTS, agreement, entries, instants)


def extension_anchored(
    extension: SupportExtension, entries: SaidEntries, instants: Instants = None
) -> bool:
    """Whether the stored support ``extension`` is the one its customer's audit
    ``entries`` (oldest first) recorded (an ``extension_recorded`` entry naming it,
    with the product, releases, dates and author it recorded), with the status
    changes the ``extension_status_changed`` entries naming it made, as
    :func:`agreement_anchored` asks of an agreement.

    Asked by the cancellation of an extension (:func:`require_extension_anchored`);
    an erased entry takes every extension as anchored.

    Example:
        >>> from datetime import date, datetime, timezone
        >>> at = datetime(2012, 3, 1, tzinfo=timezone.utc)
        >>> extension = SupportExtension("X-1", "C-1", "NetBackup", {"6.5"},
        ...     date(2012, 1, 1), date(2012, 12, 31), created_at=at, created_by="sales")
        >>> extension_anchored(extension, [("extension_recorded", {"extension_id": "X-1"})])
        True
        >>> extension_anchored(extension, [("extension_recorded", {"extension_id": "X-2"})])
        False
        >>> older = {"extension_id": "X-1", "releases": ["6.0"]}
        >>> extension_anchored(extension, [("extension_recorded", older)])
        False
    """
    return _anchored(_EXTENSIONS, extension, entries, instants)


def require_extension_anchored(
    extension: SupportExtension, entries: SaidEntries, instants: Instants = None
) -> SupportExtension:
    """``extension`` if it is the one its customer's audit ``entries`` say
    (:func:`extension_anchored`).

    Raises:
        NotFound: not recorded, or another status (``extension_not_found``).
        IntegrityError: recorded with other fields (``record_corrupt``).
    """
    return _require_one(_EXTENSIONS, extension, entries, instants)


def grant_anchored(grant: Grant, entries: SaidEntries, instants: Instants = None) -> bool:
    """Whether the stored ``grant`` is the one its customer's audit ``entries`` (oldest
    first) granted (an ``entitlement_granted`` entry naming it, with the kind, level,
    products, dates, reason, approver and author it recorded), revoked exactly when an
    ``entitlement_revoked`` entry names it (by whom, why and, with ``instants``, from
    when), as :func:`agreement_anchored` asks of an agreement.

    Asked by the revocation of a grant (:func:`require_grant_anchored`); an erased
    entry takes every grant as anchored.

    Example:
        >>> from datetime import date, datetime, timezone
        >>> at = datetime(2012, 3, 1, tzinfo=timezone.utc)
        >>> grant = Grant("grant-1", "C-1", "courtesy", "essential_support", {"NetBackup"},
        ...     date(2012, 1, 1), date(2012, 1, 31), "trial", "boss", "sales", at)
        >>> granted = {"grant_id": "grant-1", "ends_on": "2012-01-31"}
        >>> grant_anchored(grant, [("entitlement_granted", granted)])
        True
        >>> later = {"grant_id": "grant-1", "ends_on": "2022-01-31"}
        >>> grant_anchored(grant, [("entitlement_granted", later)])
        False
    """
    return _anchored(_GRANTS, grant, entries, instants)


def require_grant_anchored(grant: Grant, entries: SaidEntries, instants: Instants = None) -> Grant:
    """``grant`` if it is the one its customer's audit ``entries`` say
    (:func:`grant_anchored`).

    Raises:
        NotFound: not granted there, or revoked otherwise (``grant_not_found``).
        IntegrityError: granted with other fields (``record_corrupt``).
    """
    return _require_one(_GRANTS, grant, entries, instants)


_OWNED = ((_AGREEMENTS, AGREEMENT_INDEX), (_EXTENSIONS, EXTENSION_INDEX))
"""The records whose ID a unique index gives to the customer holding it."""


def said_owned_ids(entries: SaidEntries) -> dict[str, set[str]]:
    """Per unique index (agreements, support extensions), the IDs the customer's audit
    says the customer holds; an index whose entries were erased is left out."""
    entries = said_pairs(entries)
    given = list(entries)
    said: dict[str, set[str]] = {}
    for records, index in _OWNED:
        states = _replay(records, given)
        if states is not None:
            said[index] = set(states)
    return said


def owner_index_differences(
    customer_id: str, said: Mapping[str, set[str]], owners: Mapping[tuple[str, str], str | None]
) -> tuple[AggregateDifference, ...]:
    """Whether each agreement and extension the audit gives the customer is indexed to them.

    The ``entitlements_agreement_id`` and ``entitlements_extension_id`` indexes say
    which customer holds an ID: they find the record for every later change and
    refuse the ID to anyone else. An entry deleted lets another customer record the
    same ID; one moved sends the record's changes to another customer.

    Args:
        customer_id: the customer.
        said: per index, the IDs the audit names (:func:`said_owned_ids`).
        owners: ``(index, ID) -> the customer the index names`` (``None``: no entry).

    Returns:
        one difference per ID whose entry is missing or names another customer:
        kind the index, field ``<index>[<ID>]`` (stored: the owner the index
        names, ledger: the customer).
    """
    found = []
    for index in sorted(said):
        for identifier in sorted(said[index]):
            owner = owners.get((index, identifier))
            if owner != customer_id:
                field = f"{index}[{identifier}]"
                found.append(AggregateDifference(index, identifier, field, owner, customer_id))
    return tuple(found)
