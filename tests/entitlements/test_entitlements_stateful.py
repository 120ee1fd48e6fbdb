"""Stateful tests: agreements, grants and escalations against a simple model, on every adapter."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from entitlements_helpers import Env, make_store
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from symprogram.entitlements import Reader
from symprogram.errors import IllegalTransition, PermissionDenied, SymprogramError

RANK = {"basic_maintenance": 1, "essential_support": 2, "business_critical_services": 3}
MIN_RANK = {
    "essential_support_basic_maintenance_handbook": 1,
    "business_critical_services_handbook": 3,
    "global_escalation_process_guide": 1,
}
CUSTOMERS = ("C-1", "C-2")


class EntitlementsMachine(RuleBasedStateMachine):
    """Drives the service and keeps a model of agreements, grants and cases."""

    store_kind = "memory"

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.env = Env(make_store(self.store_kind, Path(self.tmp.name)))
        # model: id -> dict(customer, level, start, end, status changes [(at, status)])
        self.agreements: dict[str, dict[str, Any]] = {}
        self.grants: dict[tuple[str, str], dict[str, Any]] = {}
        self.cases: dict[str, int] = {}
        self.case_customers: dict[str, str] = {}
        self.counter = 0

    def teardown(self) -> None:
        self.env.store.close()
        self.tmp.cleanup()

    def now(self) -> datetime:
        return self.env.clock.now()

    @rule(
        customer=st.sampled_from(CUSTOMERS),
        level=st.sampled_from(list(RANK)),
        start=st.integers(-60, 30),
        length=st.integers(0, 120),
    )
    def add_agreement(self, customer: str, level: str, start: int, length: int) -> None:
        self.counter += 1
        agreement_id = f"A-{self.counter}"
        starts = self.now().date() + timedelta(days=start)
        self.env.service.add_agreement(
            customer,
            agreement_id=agreement_id,
            level=level,
            products=["NetBackup"],
            starts_on=starts,
            ends_on=starts + timedelta(days=length),
            by="sales",
        )
        self.agreements[agreement_id] = {
            "customer": customer,
            "level": level,
            "start": starts,
            "end": starts + timedelta(days=length),
            "changes": [],
        }

    @precondition(lambda self: bool(self.agreements))
    @rule(data=st.data(), status=st.sampled_from(["suspended", "active", "cancelled"]))
    def change_status(self, data: st.DataObject, status: str) -> None:
        agreement_id = data.draw(st.sampled_from(sorted(self.agreements)))
        model = self.agreements[agreement_id]
        current = model["changes"][-1][1] if model["changes"] else "active"
        allowed = {"active": {"suspended", "cancelled"}, "suspended": {"active", "cancelled"}}
        call = {
            "suspended": self.env.service.suspend_agreement,
            "active": self.env.service.reinstate_agreement,
            "cancelled": self.env.service.cancel_agreement,
        }[status]
        if status in allowed.get(current, set()):
            call(agreement_id, by="finance", reason="test")
            model["changes"].append((self.now(), status))
        else:
            with pytest.raises(IllegalTransition):
                call(agreement_id, by="finance", reason="test")

    @rule(
        customer=st.sampled_from(CUSTOMERS),
        level=st.sampled_from(list(RANK)),
        kind=st.sampled_from(["courtesy", "temporary"]),
        length=st.integers(0, 20),
    )
    def grant(self, customer: str, level: str, kind: str, length: int) -> None:
        issued = self.env.service.grant_entitlement(
            customer,
            kind=kind,
            level=level,
            products=["NetBackup"],
            starts_on=self.now().date(),
            ends_on=self.now().date() + timedelta(days=length),
            reason="outage",
            approver="manager",
            by="agent",
        )
        self.grants[(customer, issued.grant_id)] = {
            "level": level,
            "start": issued.starts_on,
            "end": issued.ends_on,
            "revoked": None,
        }

    @precondition(lambda self: bool(self.grants))
    @rule(data=st.data())
    def revoke(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.grants)))
        model = self.grants[key]
        if model["revoked"] is None:
            self.env.service.revoke_entitlement(key[0], key[1], by="manager", reason="done")
            model["revoked"] = self.now()
        else:
            with pytest.raises(IllegalTransition):
                self.env.service.revoke_entitlement(key[0], key[1], by="manager", reason="done")

    @rule(hours=st.integers(1, 24 * 20))
    def advance(self, hours: int) -> None:
        self.env.clock.advance(timedelta(hours=hours))

    @rule(customer=st.sampled_from(CUSTOMERS))
    def open_case(self, customer: str) -> None:
        self.counter += 1
        case_id = f"CASE-{self.counter}"
        covered = self.model_rank(customer, self.now()) >= 1

        def call() -> None:
            self.env.service.open_case(
                customer, case_id=case_id, product="NetBackup", severity="high",
                summary="broken", by="customer",
            )  # fmt: skip

        if not covered:
            with pytest.raises(SymprogramError):
                call()
            return
        call()
        self.cases[case_id] = 0
        self.case_customers[case_id] = customer

    @precondition(lambda self: bool(self.cases))
    @rule(data=st.data())
    def escalate(self, data: st.DataObject) -> None:
        case_id = data.draw(st.sampled_from(sorted(self.cases)))
        top = self.env.service.catalogue.top_escalation_level
        if self.model_rank(self.case_customers[case_id], self.now()) < 1:
            # support only under an active agreement: no escalation once it ended
            with pytest.raises(PermissionDenied):
                self.env.service.escalate_case(case_id, by="eng", reason="slow")
        elif self.cases[case_id] < top:
            case = self.env.service.escalate_case(case_id, by="eng", reason="slow")
            self.cases[case_id] += 1
            assert self.cases[case_id] == case.escalation_level
        else:
            with pytest.raises(IllegalTransition):
                self.env.service.escalate_case(case_id, by="eng", reason="slow")

    def model_rank(self, customer: str, at: datetime) -> int:
        """The highest level the model says is in force for ``customer`` at ``at``."""
        best, day = 0, at.date()
        for model in self.agreements.values():
            status = "active"
            for when, new in model["changes"]:
                if when <= at:
                    status = new
            in_dates = model["start"] <= day <= model["end"]
            if model["customer"] == customer and in_dates and status == "active":
                best = max(best, RANK[model["level"]])
        for (owner, _), model in self.grants.items():
            revoked = model["revoked"] is not None and model["revoked"] <= at
            if owner == customer and model["start"] <= day <= model["end"] and not revoked:
                best = max(best, RANK[model["level"]])
        return best

    @invariant()
    def decisions_match_the_model(self) -> None:
        now = self.now()
        for customer in CUSTOMERS:
            rank = self.model_rank(customer, now)
            reader = Reader(customer, logged_in=True)
            for document, needed in MIN_RANK.items():
                assert (rank >= needed) == self.env.service.decide(reader, document).allowed

    @invariant()
    def audit_verifies(self) -> None:
        for customer in CUSTOMERS:
            assert self.env.service.verify(customer).ok


class SQLiteEntitlementsMachine(EntitlementsMachine):
    """The same machine on SQLite."""

    store_kind = "sqlite"


START_AFTER_GATING = datetime(2012, 3, 1, 9, tzinfo=UTC)
assert START_AFTER_GATING.date() > date(2011, 1, 15)

TestEntitlementsMemory = EntitlementsMachine.TestCase
TestEntitlementsMemory.settings = settings(max_examples=30, stateful_step_count=25, deadline=None)
TestEntitlementsSQLite = SQLiteEntitlementsMachine.TestCase
TestEntitlementsSQLite.settings = settings(max_examples=25, stateful_step_count=20, deadline=None)
