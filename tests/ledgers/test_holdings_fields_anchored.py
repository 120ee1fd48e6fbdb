"""A customer's holdings edited in place are neither decided with nor answered.

A probe edited an agreement, a temporary grant and a support extension inside the
stored ``entitlements_customer`` row (a higher service level, a later end date, one
more product or release, a cancellation or revocation moved to a later instant):
``decide`` then allowed the handbook, ``support_decision`` and ``open_case`` the
added product, ``get_agreement`` answered the forged values, and ``verify`` /
``verify_all`` stayed clean, even with the ledger key. The audit entries record
every one of those fields (``agreement_recorded``: level, products, days, author;
``entitlement_granted``; ``extension_recorded``; each status change and revocation
at its instant), so:

- ``verify`` and ``verify_all`` report the field (``agreements[A-1].level``, ...);
- the decisions (``decide``, ``accessible_documents``, ``support_decision``,
  ``open_case``, ``escalate_case``, ``start_remote_session``) refuse the holdings
  with ``IntegrityError`` ``record_corrupt`` naming the field, and write nothing;
- the reads and changes of the record (``get_agreement``, ``suspend_agreement``,
  ``cancel_extension``, ``revoke_entitlement``) refuse it alike;
- the genuine row put back is decided with again.

The decisions compare the holdings with the audit once per stored version of the
holdings and head of the audit, not once per decision; a field an entry does not
hold (an entry of an older build) is not compared.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from ledger_rows import LedgerRows

from _programs import add_agreement, add_extension, add_grant
from symprogram import Program
from symprogram._anchors import AggregateMismatch
from symprogram.entitlements import Reader
from symprogram.entitlements import rules as entitlement_rules
from symprogram.entitlements import storage as entitlement_storage
from symprogram.errors import IntegrityError

HOLDINGS = "entitlements_customer"
HANDBOOK = "essential_support_basic_maintenance_handbook"
READER = Reader("C-1", logged_in=True)

#: what is edited in the stored row: (list, ID, the new values, the field reported)
EDITS: dict[str, tuple[str, str, dict[str, Any], str]] = {
    "agreement level": (
        "agreements",
        "A-1",
        {"level": "business_critical_services"},
        "agreements[A-1].level",
    ),
    "agreement last day": (
        "agreements",
        "A-1",
        {"ends_on": "2030-12-31"},
        "agreements[A-1].ends_on",
    ),
    "agreement first day": (
        "agreements",
        "A-1",
        {"starts_on": "2010-01-01"},
        "agreements[A-1].starts_on",
    ),
    "agreement products": (
        "agreements",
        "A-1",
        {"products": ["Backup Exec", "NetBackup"]},
        "agreements[A-1].products",
    ),
    "grant level": (
        "grants",
        "grant-1",
        {"level": "business_critical_services"},
        "grants[grant-1].level",
    ),
    "grant last day": ("grants", "grant-1", {"ends_on": "2030-12-31"}, "grants[grant-1].ends_on"),
    "grant kind": ("grants", "grant-1", {"kind": "courtesy"}, "grants[grant-1].kind"),
    "extension releases": (
        "extensions",
        "X-1",
        {"releases": ["6.0", "6.5"]},
        "extensions[X-1].releases",
    ),
    "extension last day": (
        "extensions",
        "X-1",
        {"ends_on": "2030-12-31"},
        "extensions[X-1].ends_on",
    ),
}


def _customer(program: Program) -> None:
    """C-1: agreement A-1, a temporary grant ``grant-1``, extension X-1 for NetBackup
    6.5 (past its standard support), an open case K-1 and consent to remote access."""
    ents = program.entitlements
    add_agreement(ents)
    add_grant(ents, kind="temporary")
    ents.register_release(
        "NetBackup", "6.5", end_of_standard_support=date(2011, 10, 1), end_of_life=date(2013, 1, 1)
    )
    add_extension(ents, releases=["6.5"])
    ents.open_case(
        "C-1", case_id="K-1", product="NetBackup", severity="high", summary="down", by="me"
    )
    program.consent_to_remote_access("C-1")


def _edit(program: Program, what: str, identifier: str, changes: dict[str, Any]) -> str:
    """Edit the stored record ``identifier`` of ``what`` in C-1's row; return the row
    as it was."""
    rows = LedgerRows(program)
    genuine = rows.get_record(HOLDINGS, "C-1")
    assert genuine is not None
    data = json.loads(genuine)
    [record] = [item for item in data[what] if item[f"{what[:-1]}_id"] == identifier]
    record.update(changes)
    rows.put_record(HOLDINGS, "C-1", json.dumps(data, separators=(",", ":"), sort_keys=True))
    return genuine


def _mismatches(program: Program) -> set[str]:
    """The holdings fields ``verify("C-1")`` reports (and ``verify_all`` reports C-1)."""
    assert "entitlements:C-1" in {f.subject for f in program.verify_all().failures}
    return {
        p.field
        for p in program.entitlements.verify("C-1").problems
        if isinstance(p, AggregateMismatch) and p.kind == HOLDINGS
    }


def _corrupt(field: str, call: Callable[[], object]) -> None:
    with pytest.raises(IntegrityError) as raised:
        call()
    assert "record_corrupt" == raised.value.code
    assert {"kind": HOLDINGS, "key": "C-1", "field": field} == raised.value.details


def _decisions_refused(program: Program, field: str) -> None:
    """Every entitlement decision refuses C-1's holdings, naming ``field``; nothing is
    recorded."""
    ents = program.entitlements
    length = len(ents.history("C-1"))
    _corrupt(field, lambda: ents.decide(READER, HANDBOOK))
    _corrupt(field, lambda: ents.accessible_documents(READER))
    _corrupt(field, lambda: ents.support_decision("C-1", "NetBackup"))
    _corrupt(field, lambda: ents.support_decision("C-1", "NetBackup", "6.5"))
    _corrupt(
        field,
        lambda: ents.open_case(
            "C-1", case_id="K-2", product="NetBackup", severity="high", summary="x", by="me"
        ),
    )
    _corrupt(field, lambda: ents.escalate_case("K-1", by="agent", reason="stuck"))
    _corrupt(field, lambda: ents.start_remote_session("K-1", by="engineer"))
    assert length == len(ents.history("C-1"))


def _decided_again(program: Program) -> None:
    ents = program.entitlements
    assert ents.decide(READER, HANDBOOK).allowed
    assert ents.support_decision("C-1", "NetBackup", "6.5").has("support_extension")
    assert program.verify_all().ok


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_field_edited_in_the_holdings_is_reported_and_refused(
    program: Program, edit: str
) -> None:
    """A field of an agreement, a grant or an extension edited in the stored row:
    ``verify`` reports that field, every decision and the record's own read and change
    refuse the holdings (``record_corrupt``, naming it), even the decision remembered
    just before the edit; the genuine row put back is decided with again."""
    what, identifier, changes, field = EDITS[edit]
    _customer(program)
    ents = program.entitlements
    _decided_again(program)  # remembered before the edit
    genuine = _edit(program, what, identifier, changes)
    assert {field} == _mismatches(program)
    _decisions_refused(program, field)
    length = len(ents.history("C-1"))
    if what == "agreements":
        _corrupt(field, lambda: ents.get_agreement("A-1"))
        _corrupt(field, lambda: ents.suspend_agreement("A-1", by="staff", reason="r"))
        _corrupt(field, lambda: ents.cancel_agreement("A-1", by="staff", reason="r"))
    elif what == "grants":
        _corrupt(field, lambda: ents.revoke_entitlement("C-1", "grant-1", by="staff", reason="r"))
    else:
        _corrupt(field, lambda: ents.cancel_extension("X-1", by="staff", reason="r"))
    assert length == len(ents.history("C-1"))
    LedgerRows(program).put_record(HOLDINGS, "C-1", genuine)
    _decided_again(program)


def _moved(data: dict[str, Any], what: str) -> None:
    if what == "agreements":
        [agreement] = data["agreements"]
        agreement["status_changes"][0]["at"] = "2030-01-01T00:00:00+00:00"
    else:
        [grant] = data["grants"]
        grant["revoked_at"] = "2030-01-01T00:00:00+00:00"


@pytest.mark.parametrize(
    ("what", "field"),
    [
        ("agreements", "agreements[A-1].status_changes[0].at"),
        ("grants", "grants[grant-1].revoked_at"),
    ],
)
def test_a_cancellation_or_revocation_moved_later_is_reported_and_refused(
    program: Program, what: str, field: str
) -> None:
    """An agreement cancelled (or a grant revoked) now, whose cancellation (revocation)
    is moved to 2030 in the stored row, would give access until then with the same
    status: the instant is compared with the entry's, reported and refused."""
    ents = program.entitlements
    add_agreement(ents)
    if what == "agreements":
        ents.cancel_agreement("A-1", by="staff", reason="unpaid")
    else:
        ents.cancel_agreement("A-1", by="staff", reason="unpaid")
        add_grant(ents)
        ents.revoke_entitlement("C-1", "grant-1", by="staff", reason="ended")
    assert not ents.decide(READER, HANDBOOK).allowed
    rows = LedgerRows(program)
    genuine = rows.get_record(HOLDINGS, "C-1")
    assert genuine is not None
    data = json.loads(genuine)
    _moved(data, what)
    rows.put_record(HOLDINGS, "C-1", json.dumps(data))
    assert {field} == _mismatches(program)
    _corrupt(field, lambda: ents.decide(READER, HANDBOOK))
    _corrupt(field, lambda: ents.support_decision("C-1", "NetBackup"))
    if what == "agreements":
        _corrupt(field, lambda: ents.get_agreement("A-1"))
    rows.put_record(HOLDINGS, "C-1", genuine)
    assert not ents.decide(READER, HANDBOOK).allowed
    assert program.verify_all().ok


def test_who_and_why_edited_are_reported_without_their_values(program: Program) -> None:
    """The approver of a grant edited in the row is reported (``grants[grant-1].approver``)
    without the names in the message, and the holdings are not decided with."""
    ents = program.entitlements
    add_agreement(ents)
    add_grant(ents)
    _edit(program, "grants", "grant-1", {"approver": "Mallory Forger"})
    [problem] = [p for p in ents.verify("C-1").problems if isinstance(p, AggregateMismatch)]
    assert "grants[grant-1].approver" == problem.field
    assert "Mallory" not in problem.message and "manager" not in problem.message
    _corrupt("grants[grant-1].approver", lambda: ents.support_decision("C-1", "NetBackup"))


def test_a_legitimate_life_cycle_is_decided_with(program: Program) -> None:
    """Agreements suspended, reinstated and cancelled, grants given and revoked, an
    extension cancelled: every decision and read answers, and nothing is reported."""
    ents = program.entitlements
    add_agreement(ents)
    add_agreement(ents, agreement_id="A-2", level="business_critical_services")
    ents.suspend_agreement("A-1", by="staff", reason="unpaid")
    ents.reinstate_agreement("A-1", by="staff", reason="paid")
    ents.cancel_agreement("A-2", by="staff", reason="ended")
    add_grant(ents)
    add_grant(ents, kind="temporary", level="business_critical_services")
    ents.revoke_entitlement("C-1", "grant-1", by="staff", reason="ended")
    ents.register_release("NetBackup", "6.5", end_of_standard_support=date(2011, 10, 1))
    add_extension(ents, releases=["6.5"])
    ents.cancel_extension("X-1", by="staff", reason="upgraded")
    assert ents.decide(READER, "business_critical_services_handbook").has("temporary_entitlement")
    assert ents.decide(READER, HANDBOOK).has("active_agreement")
    assert ents.support_decision("C-1", "NetBackup", "6.5").has("extension_required")
    assert "cancelled" == ents.get_agreement("A-2").status.value
    assert program.verify_all().ok


def test_the_audit_is_read_once_per_version_of_the_holdings(
    program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The decisions read the customer's audit the first time they read a stored version
    of the holdings beside a head of the audit, not for every decision: a write for
    another customer does not make them read it again, a write for the customer does."""
    ents = program.entitlements
    add_agreement(ents)
    reads: list[str] = []
    original = entitlement_storage.audit_entries

    def counted(ledger: Any, tx: Any, customer_id: str, **head: Any) -> Any:
        reads.append(customer_id)
        return original(ledger, tx, customer_id, **head)

    monkeypatch.setattr(entitlement_storage, "audit_entries", counted)
    for _ in range(3):
        assert ents.support_decision("C-1", "NetBackup").allowed
    assert ents.decide(READER, HANDBOOK).allowed
    assert ["C-1"] == reads
    add_agreement(ents, "C-2", agreement_id="A-2")
    assert ents.support_decision("C-1", "NetBackup").allowed
    assert ["C-1"] == reads
    add_grant(ents)
    assert ents.support_decision("C-1", "NetBackup").allowed
    assert ["C-1", "C-1"] == reads


# -- the rules ------------------------------------------------------------------------


def test_a_field_an_older_entry_does_not_hold_is_not_compared(program: Program) -> None:
    """An entry that holds only some fields (one of an older build) compares those: the
    missing ones are not compared, the present ones are; without the instants, no
    instant is compared."""
    ents = program.entitlements
    add_agreement(ents)
    add_grant(ents)
    holdings = ents.get_holdings("C-1")
    older = [
        ("agreement_recorded", {"agreement_id": "A-1", "level": "essential_support"}),
        ("entitlement_granted", {"grant_id": "grant-1", "products": ["NetBackup"]}),
    ]
    assert () == entitlement_rules.holdings_differences("C-1", holdings, older)
    assert entitlement_rules.agreement_anchored(holdings.agreements[0], older)
    assert entitlement_rules.grant_anchored(holdings.grants[0], older)
    other = [
        ("agreement_recorded", {"agreement_id": "A-1", "level": "basic_maintenance"}),
        ("entitlement_granted", {"grant_id": "grant-1", "products": ["Backup Exec"]}),
    ]
    found = entitlement_rules.holdings_differences("C-1", holdings, other)
    assert ["agreements[A-1].level", "grants[grant-1].products"] == [d.field for d in found]
    assert not entitlement_rules.agreement_anchored(holdings.agreements[0], other)
    with pytest.raises(IntegrityError) as raised:
        entitlement_rules.require_agreement_anchored(holdings.agreements[0], other)
    assert "agreements[A-1].level" == raised.value.details["field"]
