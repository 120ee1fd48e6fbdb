"""Rules of the holdings anchored to the audit: the stored record against the ledger (pure).

The audit is keyed and chained; the stored :class:`CustomerEntitlements` is not.
A holdings row put back from before a revocation or a cancellation would give
access again while every chain verifies, so the audit's verification also
replays, from the customer's entries, what the ledger says of each agreement,
grant and support extension and compares it with the stored record
(``aggregate_mismatch``; the kernel's :mod:`symprogram._anchors` runs it):

- **agreements**: ``agreement_recorded`` makes one ``active``; each
  ``agreement_status_changed`` sets its ``status``;
- **grants**: ``entitlement_granted`` makes one ``active``;
  ``entitlement_revoked`` makes it ``revoked``;
- **support extensions**: ``extension_recorded`` and ``extension_status_changed``,
  as agreements.

Every record the ledger names must be stored with that state, and every stored
record must be named by the ledger; each agreement and extension it names must be
given to the customer by its unique index (:func:`owner_index_differences`). The
support cases the audit names are compared too (:func:`cases_differences`): each
``case_opened`` case is stored for that customer, open, at escalation level 0, with
the severity it was opened with; each ``case_escalated`` sets its level,
``case_closed`` closes it (and ends its sessions); each ``remote_session_started``
adds a session and ``remote_session_ended`` ends it (a session put back as running
would show remote access still going on).

An entry of a kind whose data was erased (the right to erasure) no longer says
which record it was about: the records of that kind are then not compared at all.

The changes of an agreement or a support extension ask the same of the one record
they change (:func:`agreement_anchored`, :func:`extension_anchored`): recorded in
its customer's audit, with the status the audit gives it.

Each stored case must be one its customer's audit opened (:func:`case_opened_in`):
a case record written in by hand under an ID of its own, which no audit names, is
reported by ``verify_all`` and not answered by ``get_case``.

Re-exported by :mod:`symprogram.entitlements.rules`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from symprogram._anchors import (
    AggregateDifference,
    SaidEntries,
    record_differences,
    said_names,
    said_pairs,
    said_text,
)
from symprogram.entitlements.events import (
    AgreementRecorded,
    AgreementStatusChanged,
    CaseClosed,
    CaseEscalated,
    CaseOpened,
    EntitlementGranted,
    EntitlementRevoked,
    ExtensionRecorded,
    ExtensionStatusChanged,
    RemoteSessionEnded,
    RemoteSessionStarted,
)
from symprogram.entitlements.models import (
    Agreement,
    AgreementStatus,
    CustomerEntitlements,
    SupportCase,
    SupportExtension,
)
from symprogram.entitlements.ports import (
    AGREEMENT_INDEX,
    CASE_KIND,
    EXTENSION_INDEX,
    HOLDINGS_KIND,
)

__all__ = [
    "agreement_anchored",
    "case_anchored",
    "case_opened_in",
    "cases_differences",
    "extension_anchored",
    "holdings_differences",
    "named_cases",
    "owner_index_differences",
    "said_owned_ids",
]

_ACTIVE = AgreementStatus.ACTIVE.value
_REVOKED = "revoked"


@attrs.frozen
class _Records:
    """One kind of record of the holdings, as the audit names it."""

    name: str
    id_field: str
    opened: str
    changed: str
    suffix: str


_AGREEMENTS = _Records(
    "agreements",
    "agreement_id",
    AgreementRecorded.event_name(),
    AgreementStatusChanged.event_name(),
    ".status",
)
_GRANTS = _Records(
    "grants", "grant_id", EntitlementGranted.event_name(), EntitlementRevoked.event_name(), ""
)
_EXTENSIONS = _Records(
    "extensions",
    "extension_id",
    ExtensionRecorded.event_name(),
    ExtensionStatusChanged.event_name(),
    ".status",
)


def _replay(
    records: _Records, entries: Sequence[tuple[str, Mapping[str, Any] | None]]
) -> dict[str, str] | None:
    """Each record's state as the ledger says it (``None``: an erased entry hides one)."""
    states: dict[str, str] = {}
    for kind, data in entries:
        if kind != records.opened and kind != records.changed:
            continue
        identifier = said_text(data, records.id_field)
        if identifier is None:
            return None
        if kind == records.opened:
            states[identifier] = _ACTIVE
        elif records is _GRANTS:
            states[identifier] = _REVOKED
        else:
            status = said_text(data, "status")
            if status is None:
                return None
            states[identifier] = status
    return states


def _stored(holdings: CustomerEntitlements | None) -> dict[str, dict[str, str]]:
    if holdings is None:
        return {"agreements": {}, "grants": {}, "extensions": {}}
    return {
        "agreements": {a.agreement_id: a.status.value for a in holdings.agreements},
        "grants": {
            g.grant_id: _ACTIVE if g.revoked_at is None else _REVOKED for g in holdings.grants
        },
        "extensions": {e.extension_id: e.status.value for e in holdings.extensions},
    }


def holdings_differences(
    customer_id: str,
    holdings: CustomerEntitlements | None,
    entries: SaidEntries,
) -> tuple[AggregateDifference, ...]:
    """Where the stored ``holdings`` differ from what the customer's audit ``entries`` say.

    Args:
        customer_id: the customer (the record's key).
        holdings: the stored record (``None``: none).
        entries: the audit's ``(kind, data)`` pairs, oldest first (``data``
            ``None`` once erased).

    Returns:
        one difference per record: ``agreements[<id>].status`` (``active``,
        ``suspended``, ``cancelled``), ``grants[<id>]`` (``active`` or
        ``revoked``), ``extensions[<id>].status``; a record one side does not
        have has the value ``None`` on that side. None when they agree.
    """
    entries = said_pairs(entries)
    given = list(entries)
    stored = _stored(holdings)
    found: list[AggregateDifference] = []
    for records in (_AGREEMENTS, _GRANTS, _EXTENSIONS):
        said = _replay(records, given)
        if said is None:
            continue
        mine = stored[records.name]
        for identifier in sorted(said.keys() | mine.keys()):
            have, want = mine.get(identifier), said.get(identifier)
            if have == want:
                continue
            field = f"{records.name}[{identifier}]"
            if have is not None and want is not None:
                field += records.suffix
            found.append(AggregateDifference(HOLDINGS_KIND, customer_id, field, have, want))
    return tuple(found)


def _contract_anchored(
    records: _Records, identifier: str, status: str, entries: SaidEntries
) -> bool:
    """Whether the audit ``entries`` name the record ``identifier`` with ``status``."""
    said = _replay(records, list(said_pairs(entries)))
    return said is None or said.get(identifier) == status


def agreement_anchored(agreement: Agreement, entries: SaidEntries) -> bool:
    """Whether the stored ``agreement`` is one its customer's audit ``entries`` (oldest
    first) recorded (an ``agreement_recorded`` entry naming it), with the status the
    entries give it (the last ``agreement_status_changed`` naming it, else ``active``).

    The changes of an agreement ask it (suspending, reinstating, cancelling): an
    agreement written into the holdings by hand, even with an
    ``entitlements_agreement_id`` index entry of its own, or one put back from before
    a later entry (a cancelled agreement put back as active) is not the audit's.
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
    """
    return _contract_anchored(_AGREEMENTS, agreement.agreement_id, agreement.status.value, entries)


def extension_anchored(extension: SupportExtension, entries: SaidEntries) -> bool:
    """Whether the stored support ``extension`` is one its customer's audit ``entries``
    (oldest first) recorded (an ``extension_recorded`` entry naming it), with the
    status the entries give it (the last ``extension_status_changed`` naming it, else
    ``active``).

    Asked by the cancellation of an extension, as :func:`agreement_anchored` by the
    changes of an agreement; an erased entry takes every extension as anchored.

    Example:
        >>> from datetime import date, datetime, timezone
        >>> at = datetime(2012, 3, 1, tzinfo=timezone.utc)
        >>> extension = SupportExtension("X-1", "C-1", "NetBackup", {"6.5"},
        ...     date(2012, 1, 1), date(2012, 12, 31), created_at=at, created_by="sales")
        >>> extension_anchored(extension, [("extension_recorded", {"extension_id": "X-1"})])
        True
        >>> extension_anchored(extension, [("extension_recorded", {"extension_id": "X-2"})])
        False
    """
    return _contract_anchored(_EXTENSIONS, extension.extension_id, extension.status.value, entries)


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


_OPENED = CaseOpened.event_name()
_CASE_KINDS = frozenset(
    {
        _OPENED,
        CaseEscalated.event_name(),
        CaseClosed.event_name(),
        RemoteSessionStarted.event_name(),
        RemoteSessionEnded.event_name(),
    }
)


def named_cases(entries: SaidEntries) -> set[str]:
    """The case IDs the audit's ``case_opened`` entries still name."""
    return said_names(entries, (_OPENED,), "case_id")


def _case_state(case: SupportCase) -> dict[str, str]:
    state = {
        "customer_id": case.customer_id,
        "severity": case.severity.value,
        "status": case.status.value,
        "escalation_level": str(case.escalation_level),
    }
    for session in case.remote_sessions:
        state[f"remote_sessions[{session.session_id}]"] = (
            "running" if session.ended_at is None else "ended"
        )
    return state


def _sessions(state: Mapping[str, str]) -> list[str]:
    return [name for name in state if name.startswith("remote_sessions[")]


def _said_cases(
    customer_id: str, entries: Sequence[tuple[str, Mapping[str, Any] | None]]
) -> dict[str, dict[str, str]] | None:
    """Each case's state as the audit says it (``None``: an erased entry hides one)."""
    said: dict[str, dict[str, str]] = {}
    for kind, data in entries:
        if kind not in _CASE_KINDS:
            continue
        case_id = said_text(data, "case_id")
        if data is None or case_id is None:
            return None
        if kind == _OPENED:
            severity = said_text(data, "severity") or ""
            said[case_id] = {
                "customer_id": customer_id,
                "severity": severity,
                "status": "open",
                "escalation_level": "0",
            }
            continue
        state = said.get(case_id)
        if state is None:
            continue
        session = said_text(data, "session_id")
        if kind == CaseEscalated.event_name():
            state["escalation_level"] = str(data.get("to_level"))
        elif kind == CaseClosed.event_name():  # closing ends every session still running
            state.update(status="closed", **dict.fromkeys(_sessions(state), "ended"))
        elif session is not None:
            ended = kind == RemoteSessionEnded.event_name()
            state[f"remote_sessions[{session}]"] = "ended" if ended else "running"
    return said


def cases_differences(
    customer_id: str,
    entries: SaidEntries,
    cases: Mapping[str, SupportCase],
) -> tuple[AggregateDifference, ...]:
    """Where the stored support ``cases`` differ from what the customer's audit says.

    Args:
        customer_id: the customer.
        entries: the audit's ``(kind, data)`` pairs, oldest first.
        cases: the stored cases the audit names (see :func:`named_cases`), by ID
            (one missing: not stored).

    Returns:
        one difference per case not stored (``case``) and per field of a stored
        case that differs (``customer_id``, ``severity``, ``status``,
        ``escalation_level``, ``remote_sessions[<id>]``: ``running`` or ``ended``);
        none when they agree, or when an erased entry hides which case it was about.
    """
    entries = said_pairs(entries)
    said = _said_cases(customer_id, list(entries))
    if said is None:
        return ()
    found: list[AggregateDifference] = []
    for case_id, want in sorted(said.items()):
        case = cases.get(case_id)
        if case is None:
            found.append(AggregateDifference(CASE_KIND, case_id, "case", None, "opened"))
            continue
        found += record_differences(CASE_KIND, case_id, want, _case_state(case))
    return tuple(found)


def case_opened_in(case_id: str, entries: SaidEntries) -> bool:
    """Whether the customer's audit ``entries`` (oldest first) opened the case ``case_id``.

    Read lazily: the answer is given at the first ``case_opened`` entry that names
    the case, or whose data was erased (it may have been the case's: taken as opened).

    Example:
        >>> case_opened_in("K-1", [("case_opened", {"case_id": "K-1"})])
        True
        >>> case_opened_in("K-2", [("case_opened", {"case_id": "K-1"})])
        False
    """
    entries = said_pairs(entries)
    for kind, data in entries:
        if kind == _OPENED and (data is None or said_text(data, "case_id") in (case_id, None)):
            return True
    return False


def case_anchored(case: SupportCase, entries: SaidEntries) -> bool:
    """Whether the stored ``case`` is the one its customer's audit ``entries`` (oldest
    first) say: opened there (a ``case_opened`` entry naming it), and with the
    severity, status, escalation level and remote sessions the entries give it.

    The reads of a case ask it (``get_case`` and every change of a case): a case
    written in by hand, even with a case index entry of its own, one moved to
    another customer, or one put back from before a later entry (a closed case
    reopened, an escalation rolled back, a session put back as running) is not the
    audit's. When an erased entry hides which case it was about, every case is
    taken as anchored (as :func:`cases_differences` then compares none).

    Example:
        >>> from datetime import datetime, timezone
        >>> at = datetime(2012, 3, 1, tzinfo=timezone.utc)
        >>> case = SupportCase("K-1", "C-1", "NetBackup", "high", "down", opened_at=at,
        ...                    opened_by="me")
        >>> opened = ("case_opened", {"case_id": "K-1", "severity": "high"})
        >>> case_anchored(case, [opened])
        True
        >>> case_anchored(case, [opened, ("case_closed", {"case_id": "K-1"})])
        False
    """
    entries = said_pairs(entries)
    said = _said_cases(case.customer_id, list(entries))
    if said is None:
        return True
    want = said.get(case.case_id)
    return want is not None and not record_differences(
        CASE_KIND, case.case_id, want, _case_state(case)
    )
