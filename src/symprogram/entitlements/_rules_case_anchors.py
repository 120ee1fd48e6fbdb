"""Rules of the support cases anchored to the audit: the stored case against the ledger (pure).

The support cases the audit names are compared with the stored cases
(:func:`cases_differences`): each ``case_opened`` case is stored for that customer,
open, at escalation level 0, with the product, release and severity it was opened
with (a case moved to another product would be escalated, and given remote
sessions, under that product's agreement); each
``case_escalated`` sets its level, ``case_closed`` closes it (and ends its
sessions); each ``remote_session_started`` adds a session and
``remote_session_ended`` ends it (a session put back as running would show remote
access still going on). An entry whose data was erased no longer says which case it
was about: the cases are then not compared at all. A field a ``case_opened`` entry
does not hold is not compared: the entries of builds before the release was
recorded hold none (:data:`~symprogram._anchors.UNKNOWN`).

Each stored case must be one its customer's audit opened (:func:`case_opened_in`):
a case record written in by hand under an ID of its own, which no audit names, is
reported by ``verify_all`` and not answered by ``get_case``; the reads and changes
of a case ask :func:`case_anchored` of it.

Re-exported by :mod:`symprogram.entitlements.rules`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from symprogram._anchors import (
    UNKNOWN,
    AggregateDifference,
    SaidEntries,
    record_differences,
    said_names,
    said_pairs,
    said_text,
)
from symprogram.entitlements.events import (
    CaseClosed,
    CaseEscalated,
    CaseOpened,
    RemoteSessionEnded,
    RemoteSessionStarted,
)
from symprogram.entitlements.models import SupportCase
from symprogram.entitlements.ports import CASE_KIND

__all__ = ["case_anchored", "case_opened_in", "cases_differences", "named_cases"]

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


def _case_state(case: SupportCase) -> dict[str, object]:
    state: dict[str, object] = {
        "customer_id": case.customer_id,
        "product": case.product,
        "release": case.release,
        "severity": case.severity.value,
        "status": case.status.value,
        "escalation_level": str(case.escalation_level),
    }
    for session in case.remote_sessions:
        state[f"remote_sessions[{session.session_id}]"] = (
            "running" if session.ended_at is None else "ended"
        )
    return state


def _sessions(state: Mapping[str, object]) -> list[str]:
    return [name for name in state if name.startswith("remote_sessions[")]


def _said_cases(
    customer_id: str, entries: Sequence[tuple[str, Mapping[str, Any] | None]]
) -> dict[str, dict[str, object]] | None:
    """Each case's state as the audit says it (``None``: an erased entry hides one;
    :data:`~symprogram._anchors.UNKNOWN` for a field its ``case_opened`` entry does not
    hold)."""
    said: dict[str, dict[str, object]] = {}
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
                "product": data.get("product", UNKNOWN),
                "release": data.get("release", UNKNOWN),
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
        case that differs (``customer_id``, ``product``, ``release``, ``severity``,
        ``status``, ``escalation_level``, ``remote_sessions[<id>]``: ``running`` or
        ``ended``); none when they agree, or when an erased entry hides which case
        it was about. A field the ``case_opened`` entry does not hold (``release``
        in an entry of an earlier build) is not compared.
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
    product, release, severity, status, escalation level and remote sessions the
    entries give it (a field the ``case_opened`` entry does not hold is not
    compared).

    The reads of a case ask it (``get_case`` and every change of a case): a case
    written in by hand, even with a case index entry of its own, one moved to
    another customer, or one put back from before a later entry (a closed case
    reopened, an escalation rolled back, a session put back as running) or one
    edited to another product or release (escalated, or given a remote session,
    under another agreement) is not the audit's. When an erased entry hides which
    case it was about, every case is taken as anchored (as :func:`cases_differences`
    then compares none).

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
        >>> moved = {"case_id": "K-1", "severity": "high", "product": "Backup Exec"}
        >>> case_anchored(case, [("case_opened", moved)])
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
