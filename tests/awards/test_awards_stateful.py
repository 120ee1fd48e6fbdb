"""Stateful test of the awards life cycle on memory and SQLite: earn, expire, renew,
revoke, kits, publish, verify, revoke disclosures."""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from awards_env import Env
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
)

from symprogram.awards import AwardStatus, DisclosureStatus, KitStatus
from symprogram.errors import Conflict, IllegalTransition, ValidationError
from symprogram.storage.memory import MemoryStore
from symprogram.storage.sqlite import SQLiteStore

EXAMS = ("250-315", "ST0-091", "SSE-EP", "250-371", "ST0-192", "250-316", "ST0-148")
AWARDS = ("sse-endpoint", "sts-endpoint", "scs-endpoint", "scs-netbackup", "scp-data-protection")
QUALIFY = {
    "sse-endpoint": ("SSE-EP",),
    "sts-endpoint": ("ST0-091",),
    "scs-endpoint": ("250-315",),
    "scs-netbackup": ("250-371",),
    "scp-data-protection": ("250-371", "250-316", "ST0-192", "ST0-148"),
}


class AwardsMachine(RuleBasedStateMachine):
    """Drives one candidate through random award life cycles."""

    adapter = "memory"
    disclosures = Bundle("disclosures")

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp())
        store = MemoryStore() if self.adapter == "memory" else SQLiteStore(str(self.tmp / "a.db"))
        self.env = Env(store)
        self.expiries: dict[str, object] = {}
        self.chosen: dict[str, tuple[str, ...]] = {}
        self.codes: dict[str, str] = {}
        self.revoked_disclosures: set[str] = set()

    def teardown(self) -> None:
        """The history still verifies; the store is closed."""
        assert self.env.history.verify("ada").ok
        self.env.store.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def active(self) -> set[str]:
        """The awards Ada holds active now."""
        return {
            h.award_id for h in self.env.service.awards_of("ada") if h.status is AwardStatus.ACTIVE
        }

    @rule(exam=st.sampled_from(EXAMS), score=st.integers(50, 100))
    def take_exam(self, exam: str, score: int) -> None:
        """A recorded result is kept."""
        before = len(self.env.service.exam_results_of("ada"))
        self.env.clock.advance(timedelta(hours=1))
        self.env.service.record_exam_result("ada", exam, score, taken_at=self.env.clock.now())
        assert before + 1 == len(self.env.service.exam_results_of("ada"))

    @rule(award=st.sampled_from(AWARDS))
    def qualify(self, award: str) -> None:
        """Passing every exam an award needs, then evaluating, makes it active."""
        self.env.clock.advance(timedelta(hours=1))
        for exam in QUALIFY[award]:
            self.env.service.record_exam_result("ada", exam, 95, taken_at=self.env.clock.now())
        self.env.service.evaluate("ada")
        assert award in self.active()

    @rule(award=st.sampled_from(AWARDS), days_before=st.integers(0, 120))
    def renew_near_expiry(self, award: str, days_before: int) -> None:
        """Move the clock to shortly before an active award's expiry, then try to renew it."""
        for h in self.env.service.awards_of("ada"):
            if h.award_id == award and h.status is AwardStatus.ACTIVE and h.expires_at:
                target = h.expires_at - timedelta(days=days_before)
                if target > self.env.clock.now():
                    self.env.clock.set(target)
        self.renew(award)

    @rule(days=st.integers(1, 400))
    def time_passes(self, days: int) -> None:
        """Time moves forward; awards expire on their own."""
        self.env.clock.advance(timedelta(days=days))

    @rule()
    def evaluate(self) -> None:
        """Evaluate grants exactly the awards whose progress is met and that were not active."""
        before = self.active()
        met = {a for a in AWARDS if self.env.service.progress("ada", a).met and a not in before}
        granted = {g.award_id for g in self.env.service.evaluate("ada")}
        assert met <= granted
        assert granted <= self.active()
        assert not granted & before

    @rule(award=st.sampled_from(AWARDS))
    def renew_now(self, award: str) -> None:
        """Renewing at a random moment."""
        self.renew(award)

    def renew(self, award: str) -> None:
        """Renewal succeeds exactly when can_renew allows; each expiry grows by its validity."""
        decision = self.env.service.can_renew("ada", award)
        before = {h.award_id: h.expires_at for h in self.env.service.awards_of("ada")}
        try:
            renewed = self.env.service.renew("ada", award)
        except (Conflict, IllegalTransition) as exc:
            refused = exc.code
        else:
            refused = None
        if refused is not None:
            assert not decision
            assert decision.codes[0] == refused
            return
        assert decision
        assert award == renewed[0].award_id
        for holding in renewed:
            validity = self.env.service.catalogue.awards[holding.award_id].validity
            previous = before[holding.award_id]
            assert validity is not None
            assert previous is not None
            assert previous + validity == holding.expires_at

    @rule(award=st.sampled_from(AWARDS))
    def revoke(self, award: str) -> None:
        """Revocation succeeds exactly for an active award."""
        was_active = award in self.active()
        try:
            holding = self.env.service.revoke("ada", award, reason="audit")
        except IllegalTransition:
            assert not was_active
            return
        assert was_active
        assert AwardStatus.REVOKED == holding.status

    @rule(data=st.data())
    def move_kit(self, data: st.DataObject) -> None:
        """Kits only move forward."""
        kits = self.env.service.kits_of("ada")
        if not kits:
            return
        kit = data.draw(st.sampled_from(kits))
        try:
            moved = (
                self.env.service.ship_kit(kit.kit_id)
                if data.draw(st.booleans())
                else self.env.service.deliver_kit(kit.kit_id)
            )
        except IllegalTransition:
            return
        order = [KitStatus.QUEUED, KitStatus.SHIPPED, KitStatus.DELIVERED]
        assert order.index(moved.status) == order.index(kit.status) + 1

    @rule(target=disclosures, data=st.data())
    def publish(self, data: st.DataObject) -> str:
        """Publishing succeeds exactly when every chosen award is active."""
        active = sorted(self.active())
        pool = active if active and data.draw(st.booleans()) else list(AWARDS)
        chosen = tuple(
            data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
        )
        all_active = set(chosen) <= self.active()
        try:
            published = self.env.service.publish(
                "ada", list(chosen), "hr@example.com", ttl=timedelta(days=90)
            )
        except Conflict as exc:
            refused = exc.code
        else:
            refused = None
        if refused is not None:
            assert not all_active
            assert "award_not_active" == refused
            return "none"
        assert all_active
        did = published.disclosure.disclosure_id
        self.chosen[did] = chosen
        self.codes[did] = published.code
        return did

    @rule(did=disclosures)
    def verify(self, did: str) -> None:
        """A view shows only chosen awards; a revoked or expired disclosure shows nothing."""
        if did == "none":
            return
        view = self.env.service.verify_disclosure(self.codes[did])
        assert {a.award_id for a in view.awards} <= set(self.chosen[did])
        if did in self.revoked_disclosures:
            assert DisclosureStatus.REVOKED == view.status
        if view.status is not DisclosureStatus.ACTIVE:
            assert () == view.awards
        else:
            assert set(self.chosen[did]) == {a.award_id for a in view.awards}

    @rule(did=consumes(disclosures))
    def revoke_disclosure(self, did: str) -> None:
        """A revoked disclosure stays revoked."""
        if did == "none" or did in self.revoked_disclosures:
            return
        self.env.service.revoke_disclosure("ada", did)
        self.revoked_disclosures.add(did)

    @invariant()
    def never_active_outside_validity_and_never_shortened(self) -> None:
        """Active awards are within validity; no grant's expiry ever moves earlier."""
        now = self.env.clock.now()
        for h in self.env.service.awards_of("ada"):
            if h.status is AwardStatus.ACTIVE:
                assert h.granted_at <= now
                assert h.expires_at is None or now < h.expires_at
        for g in self.env.service.grants_of("ada"):
            previous = self.expiries.get(g.grant_id)
            current = g.current_expiry
            if previous is not None and current is not None:
                assert previous <= current  # type: ignore[operator]
            self.expiries[g.grant_id] = current

    @rule()
    def bad_input_changes_nothing(self) -> None:
        """A refused call leaves storage unchanged."""
        before = self.env.snapshot()
        with pytest.raises(ValidationError):
            self.env.service.record_exam_result(
                "ada", "250-315", 500, taken_at=self.env.clock.now()
            )
        assert before == self.env.snapshot()


AwardsMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=25, deadline=None)
TestAwardsMemory = AwardsMachine.TestCase


class AwardsSQLiteMachine(AwardsMachine):
    """The same machine on SQLite."""

    adapter = "sqlite"


AwardsSQLiteMachine.TestCase.settings = settings(
    max_examples=20, stateful_step_count=25, deadline=None
)
TestAwardsSQLite = AwardsSQLiteMachine.TestCase
