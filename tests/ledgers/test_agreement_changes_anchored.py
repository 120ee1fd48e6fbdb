"""The changes of an agreement or a support extension answer only the record its
customer's audit vouches for.

Suspending, reinstating and cancelling an agreement, and cancelling a support
extension, read the customer's audit and change the record only when the audit
recorded it (``agreement_recorded`` / ``extension_recorded``) and gives it the stored
status. The ``entitlements_agreement_id`` and ``entitlements_extension_id`` indexes
are no anchor: a record written into the holdings together with an index entry of
its own, and a record put back from before a later entry (a cancelled agreement put
back as active), are refused as absent (``agreement_not_found``,
``extension_not_found``), as a case is, nothing is recorded, and ``verify_all``
reports each of them. ``get_agreement`` refuses them alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ledger_rows import LedgerRows

from _programs import add_agreement
from symprogram import Program
from symprogram._anchors import AggregateMismatch
from symprogram.entitlements import rules as entitlement_rules
from symprogram.entitlements.models import (
    Agreement,
    AgreementStatus,
    CustomerEntitlements,
    StatusChange,
    SupportExtension,
)
from symprogram.entitlements.ports import AGREEMENT_INDEX, EXTENSION_INDEX
from symprogram.errors import NotFound

HOLDINGS = "entitlements_customer"


def _refused(code: str, change: Callable[[], object]) -> None:
    with pytest.raises(NotFound) as raised:
        change()
    assert code == raised.value.code


def _agreement_changes_refused(program: Program, agreement_id: str, customer: str) -> None:
    """Every change of ``agreement_id`` is refused and nothing is recorded; the read
    refuses it alike."""
    ents = program.entitlements
    length = len(ents.history(customer))
    before = LedgerRows(program).get_record(HOLDINGS, customer)
    _refused("agreement_not_found", lambda: ents.get_agreement(agreement_id))
    for change in (ents.suspend_agreement, ents.reinstate_agreement, ents.cancel_agreement):
        with pytest.raises(NotFound) as raised:
            change(agreement_id, by="staff", reason="r")
        assert "agreement_not_found" == raised.value.code
    assert length == len(ents.history(customer))
    assert before == LedgerRows(program).get_record(HOLDINGS, customer)


def _holdings_mismatches(program: Program) -> set[tuple[str, str]]:
    """``(subject, field)`` of every mismatch on stored holdings ``verify_all`` finds."""
    return {
        (failure.subject, p.field)
        for failure in program.verify_all().failures
        for p in failure.problems
        if isinstance(p, AggregateMismatch) and p.kind == HOLDINGS
    }


def _forge(program: Program, what: str, source: str, forged: str, customer: str = "C-1") -> None:
    """A copy of the stored ``what`` (``agreements``, ``extensions``) ``source`` of the
    customer's holdings, under the ID ``forged``, written in by hand with an index
    entry giving it to the customer, as the flow would write it."""
    rows = LedgerRows(program)
    text = rows.get_record(HOLDINGS, customer)
    assert text is not None
    data = json.loads(text)
    id_field = f"{what[:-1]}_id"
    [original] = [item for item in data[what] if item[id_field] == source]
    data[what].append({**original, id_field: forged})
    rows.put_record(HOLDINGS, customer, json.dumps(data, separators=(",", ":"), sort_keys=True))
    index = AGREEMENT_INDEX if what == "agreements" else EXTENSION_INDEX
    with program.store.transaction() as tx:
        tx.index_delete(index, forged)
        tx.index_put(index, forged, customer)


def _add_extension(program: Program, extension_id: str = "X-1") -> None:
    program.entitlements.register_release(
        "NetBackup", "6.5", end_of_standard_support=date(2011, 10, 1), end_of_life=date(2013, 1, 1)
    )
    program.entitlements.add_extension(
        "C-1",
        extension_id=extension_id,
        product="NetBackup",
        releases=["6.5"],
        starts_on=date(2012, 1, 1),
        ends_on=date(2012, 6, 30),
        by="sales",
    )


def test_an_agreement_written_in_with_its_own_index_entry_cannot_be_changed(
    program: Program,
) -> None:
    """A copy of C-1's agreement under a new ID with an index entry giving it to C-1:
    suspending, reinstating and cancelling it are refused as ``agreement_not_found``,
    nothing is written; ``verify_all`` reports it; the genuine agreement still
    changes."""
    add_agreement(program.entitlements)
    _forge(program, "agreements", "A-1", "A-9")
    _agreement_changes_refused(program, "A-9", "C-1")
    assert {("entitlements:C-1", "agreements[A-9]")} == _holdings_mismatches(program)
    changed = program.entitlements.suspend_agreement("A-1", by="staff", reason="audit")
    assert AgreementStatus.SUSPENDED == changed.status


def test_a_cancelled_agreement_put_back_as_active_cannot_be_changed(program: Program) -> None:
    """The holdings row put back from before the cancellation (and from before a
    suspension): every change of the agreement is refused, nothing is recorded, so no
    reinstatement or new suspension hides the put-back; the current row put back is
    answered as the audit says (cancelled, final)."""
    ents = program.entitlements
    rows = LedgerRows(program)
    add_agreement(ents)
    active = rows.get_record(HOLDINGS, "C-1")
    ents.suspend_agreement("A-1", by="staff", reason="unpaid")
    suspended = rows.get_record(HOLDINGS, "C-1")
    ents.cancel_agreement("A-1", by="staff", reason="unpaid")
    cancelled = rows.get_record(HOLDINGS, "C-1")
    for earlier in (active, suspended):
        rows.put_record(HOLDINGS, "C-1", earlier)
        _agreement_changes_refused(program, "A-1", "C-1")
        assert {("entitlements:C-1", "agreements[A-1].status")} == _holdings_mismatches(program)
    rows.put_record(HOLDINGS, "C-1", cancelled)
    assert AgreementStatus.CANCELLED == ents.get_agreement("A-1").status
    assert program.verify_all().ok


def test_an_extension_written_in_or_put_back_cannot_be_cancelled(program: Program) -> None:
    """A support extension copied under a new ID with its own index entry, and the
    extension's row put back as active after its cancellation: cancelling either is
    refused as ``extension_not_found``, nothing recorded; ``verify_all`` reports both;
    the genuine row is answered."""
    ents = program.entitlements
    rows = LedgerRows(program)
    add_agreement(ents)
    _add_extension(program)
    length = len(ents.history("C-1"))
    genuine = rows.get_record(HOLDINGS, "C-1")
    _forge(program, "extensions", "X-1", "X-9")
    _refused("extension_not_found", lambda: ents.cancel_extension("X-9", by="s", reason="r"))
    assert {("entitlements:C-1", "extensions[X-9]")} == _holdings_mismatches(program)
    rows.put_record(HOLDINGS, "C-1", genuine)
    active = rows.get_record(HOLDINGS, "C-1")
    ents.cancel_extension("X-1", by="staff", reason="ended")
    length += 1
    cancelled = rows.get_record(HOLDINGS, "C-1")
    rows.put_record(HOLDINGS, "C-1", active)
    _refused("extension_not_found", lambda: ents.cancel_extension("X-1", by="s", reason="r"))
    assert length == len(ents.history("C-1"))
    assert {("entitlements:C-1", "extensions[X-1].status")} == _holdings_mismatches(program)
    rows.put_record(HOLDINGS, "C-1", cancelled)
    assert program.verify_all().ok


# -- the rules ------------------------------------------------------------------------

_AT = datetime(2012, 3, 1, tzinfo=UTC)
_STATUSES = ("active", "suspended", "cancelled")
_IDS = ("A-1", "A-2")


def _changed(status: str) -> tuple[StatusChange, ...]:
    """The status changes that leave a record ``status``."""
    return () if status == "active" else (StatusChange(status, _AT, "staff", "r"),)


_ENTRY = st.one_of(
    st.tuples(st.just("recorded"), st.sampled_from(_IDS)),
    st.tuples(st.sampled_from(_STATUSES), st.sampled_from(_IDS)),
    st.just(("erased", "")),
    st.just(("other", "")),
)


def _entries(kind: str, steps: list[tuple[str, str]]) -> list[tuple[str, Any]]:
    id_field = f"{kind}_id"
    made: list[tuple[str, Any]] = []
    for step, identifier in steps:
        if step == "recorded":
            made.append((f"{kind}_recorded", {id_field: identifier}))
        elif step == "erased":
            made.append((f"{kind}_status_changed", None))
        elif step == "other":
            made.append(("case_opened", {"case_id": "K-1", "severity": "high"}))
        else:
            made.append((f"{kind}_status_changed", {id_field: identifier, "status": step}))
    return made


def _model(steps: list[tuple[str, str]], identifier: str, status: str) -> bool:
    """What the audit says, replayed the plain way: an erased entry vouches for every
    record; else the record's status changes since it was last recorded must be the
    stored ones (``_changed(status)``), so its status too (recorded: active)."""
    said: list[str] | None = None
    for step, named in steps:
        if step == "erased":
            return True
        if step != "other" and named == identifier:
            said = [] if step == "recorded" else [*(said or []), step]
    return said == [change.status.value for change in _changed(status)]


@given(steps=st.lists(_ENTRY, max_size=8), status=st.sampled_from(_STATUSES))
def test_agreement_anchored_is_the_audit_replayed(
    steps: list[tuple[str, str]], status: str
) -> None:
    """``agreement_anchored`` holds exactly when the audit's entries give the agreement
    the stored status (an erased entry vouches for every agreement); it reads the
    entries lazily as any iterable, and ``holdings_differences`` finds no difference on
    that agreement exactly then."""
    agreement = Agreement(
        "A-1", "C-1", "essential_support", {"NetBackup"}, date(2012, 1, 1),
        date(2012, 12, 31), created_at=_AT, created_by="sales", status_changes=_changed(status),
    )  # fmt: skip
    entries = _entries("agreement", steps)
    expected = _model(steps, "A-1", status)
    assert expected == entitlement_rules.agreement_anchored(agreement, entries)
    assert expected == entitlement_rules.agreement_anchored(agreement, iter(entries))
    holdings = entitlement_rules.holdings_differences(
        "C-1", _holdings_with(agreement=agreement), entries
    )
    assert expected == (not any(d.field.startswith("agreements[A-1]") for d in holdings))


@given(steps=st.lists(_ENTRY, max_size=8), status=st.sampled_from(_STATUSES))
def test_extension_anchored_is_the_audit_replayed(
    steps: list[tuple[str, str]], status: str
) -> None:
    """``extension_anchored`` holds exactly when the audit's entries give the extension
    the stored status; agreement entries say nothing of an extension."""
    extension = SupportExtension(
        "A-1", "C-1", "NetBackup", {"6.5"}, date(2012, 1, 1), date(2012, 12, 31),
        created_at=_AT, created_by="sales", status_changes=_changed(status),
    )  # fmt: skip
    entries = _entries("extension", steps)
    assert _model(steps, "A-1", status) == entitlement_rules.extension_anchored(extension, entries)
    recorded_elsewhere = _entries("agreement", [("recorded", "A-1")])
    assert not entitlement_rules.extension_anchored(extension, recorded_elsewhere)


def _holdings_with(*, agreement: Agreement) -> CustomerEntitlements:
    return CustomerEntitlements("C-1", agreements=(agreement,))
