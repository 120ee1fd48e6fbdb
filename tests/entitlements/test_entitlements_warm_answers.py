"""The remembered answers of ``EntitlementsService.decide`` on a store with a change tracker.

Every answer given from memory must be exactly the answer worked out afresh (a
service on the same store without the tracker): at every instant, in particular
just before, at and just after each instant at which something the rules read
switches; across writes, clock moves and units of work; and a bad argument raises
the same error whether or not an answer is remembered.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, suppress
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

import attrs
import pytest
from entitlements_helpers import save_holdings
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from symprogram.clock import FixedClock
from symprogram.decisions import Decision
from symprogram.entitlements import (
    Access,
    AccessRule,
    CustomerEntitlements,
    Document,
    EntitlementCatalogue,
    EntitlementsService,
    Grant,
    Reader,
)
from symprogram.entitlements import rules as entitlement_rules
from symprogram.errors import SymprogramError
from symprogram.persistence import Transaction
from symprogram.storage.memory import MemoryStore
from symprogram.testing._entitlements import (
    LANGUAGES,
    LEVEL_IDS,
    agreements,
    customer_entitlements,
    grants,
    status_changes,
    support_extensions,
)
from symprogram.testing.strategies import instants

TICK = timedelta(microseconds=1)
START = datetime(2012, 3, 1, 9, 0, tzinfo=UTC)
PROBE_DOC = "fast_path_probe"
DEFAULT_DOCS = tuple(doc.id for doc in EntitlementCatalogue.default().documents)
HANDBOOK = "essential_support_basic_maintenance_handbook"


class Untracked:
    """The same store without its change tracker: every answer is worked out afresh."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def transaction(self, *, readonly: bool = False) -> AbstractContextManager[Transaction]:
        return self._store.transaction(readonly=readonly)

    def close(self) -> None:
        self._store.close()


class Counting:
    """The same store, with its tracker, counting the units of work opened through it."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.units = 0

    def transaction(self, *, readonly: bool = False) -> AbstractContextManager[Transaction]:
        self.units += 1
        return self._store.transaction(readonly=readonly)

    def change_token(self) -> int | None:
        return self._store.change_token()

    def close(self) -> None:
        self._store.close()


class Rollback(Exception):
    """Raised to leave a unit of work without keeping it."""


# ------------------------------------------------------------------------ strategies

# Rule starts and record boundaries fall on midnights, on the same midnights as
# each other, and anywhere in between.
_SPAN = (datetime(2009, 1, 1, tzinfo=UTC), datetime(2016, 12, 31, tzinfo=UTC))
moments = st.one_of(
    instants(*_SPAN),
    st.dates(date(2009, 1, 1), date(2016, 12, 31)).map(
        lambda day: datetime.combine(day, time.min, tzinfo=UTC)
    ),
    st.sampled_from([datetime(2012, 1, 1, tzinfo=UTC), datetime(2012, 3, 1, tzinfo=UTC), START]),
)


@st.composite
def probe_documents(draw: st.DrawFn) -> Document:
    """A document whose access changes 0-3 times, to any rule."""
    starts = sorted(draw(st.lists(moments, max_size=3, unique=True)))
    kinds = draw(
        st.lists(st.sampled_from(Access), min_size=len(starts) + 1, max_size=len(starts) + 1)
    )
    rules = (
        AccessRule(kinds[0]),
        *(AccessRule(k, s) for k, s in zip(kinds[1:], starts, strict=True)),
    )
    return Document(
        id=PROBE_DOC,
        title="Probe",
        languages=("en", "ja"),
        local_sites=draw(st.booleans()),
        min_level=draw(st.sampled_from(LEVEL_IDS)),
        access=rules,
    )


def with_document(document: Document) -> EntitlementCatalogue:
    default = EntitlementCatalogue.default()
    documents = tuple(sorted((*default.documents, document), key=lambda doc: doc.id))
    return attrs.evolve(default, documents=documents)


def _ordered_changes(customer: str) -> st.SearchStrategy[Any]:
    return st.lists(status_changes(at=moments), max_size=3).map(
        lambda changes: tuple(sorted(changes, key=lambda change: change.at))
    )


def revoked_or_not(drawn: tuple[Grant, st.DataObject]) -> Grant:
    """The grant as drawn, or revoked at any instant, often one within its days."""
    grant, data = drawn
    days = (
        datetime.combine(grant.starts_on, time.min, tzinfo=UTC),
        datetime.combine(grant.ends_on, time.max, tzinfo=UTC),
    )
    revoked_at = data.draw(st.one_of(st.none(), moments, instants(*days)))
    if revoked_at is None:
        return grant
    return attrs.evolve(grant, revoked_at=revoked_at, revoked_by="manager")


def holdings_of(customer: str) -> st.SearchStrategy[CustomerEntitlements]:
    """Agreements with status changes, grants (some revoked) and an extension."""
    return customer_entitlements(
        customer_id=customer,
        agreements=st.lists(
            agreements(customer_id=customer, status_changes=_ordered_changes(customer)),
            max_size=3,
            unique_by=lambda a: a.agreement_id,
        ).map(tuple),
        grants=st.lists(
            st.tuples(grants(customer_id=customer), st.data()).map(revoked_or_not),
            max_size=3,
            unique_by=lambda g: g.grant_id,
        ).map(tuple),
        extensions=st.lists(support_extensions(customer_id=customer), max_size=1).map(tuple),
    )


readers = st.one_of(
    st.just(Reader("C-1", logged_in=True)),
    st.none(),
    st.builds(Reader, st.sampled_from(["C-1", "C-2", None]), logged_in=st.booleans()),
)
# Forms that differ (or not) in small ways: no preference, English, Japanese.
NEAR_LANGUAGES: list[Any] = [None, (), [], "", "en", ["en"], ("en",), "ja", ["ja"], ("ja", "en")]
language_args = st.one_of(
    st.sampled_from(NEAR_LANGUAGES),
    st.sampled_from(LANGUAGES),
    st.sampled_from(["iw-IL,ja;q=0.5", "fr;q=0.5,de;q=0.5", "xx, *;q=0.1", ""]),
    st.lists(st.sampled_from(LANGUAGES), max_size=3),
    st.lists(st.sampled_from(LANGUAGES), max_size=3).map(tuple),
)


def boundaries(document: Document, holdings: CustomerEntitlements) -> set[datetime]:
    """Every instant at which something about the reader's access could switch."""

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=UTC)

    found = {rule.effective_from for rule in document.access if rule.effective_from is not None}
    for agreement in holdings.agreements:
        found |= {midnight(agreement.starts_on), midnight(agreement.ends_on) + timedelta(days=1)}
        found |= {change.at for change in agreement.status_changes}
    for grant in holdings.grants:
        found |= {midnight(grant.starts_on), midnight(grant.ends_on) + timedelta(days=1)}
        if grant.revoked_at is not None:
            found.add(grant.revoked_at)
    for extension in holdings.extensions:  # not read by decide(): probed all the same
        found |= {midnight(extension.starts_on), midnight(extension.ends_on) + timedelta(days=1)}
    return found


def around(points: set[datetime]) -> list[datetime]:
    """Each point, and the instants just before and just after it."""
    return sorted({p + step for p in points for step in (-TICK, timedelta(0), TICK)})


class Rig(NamedTuple):
    """A store, its clock, and the remembering service and the reference on it."""

    store: MemoryStore
    clock: FixedClock
    counting: Counting
    warm: EntitlementsService
    reference: EntitlementsService


def services(catalogue: EntitlementCatalogue | None = None, clock: FixedClock | None = None) -> Rig:
    """A store, its clock, and the remembering service and the reference on it."""
    store = MemoryStore()
    clock = clock or FixedClock(START)
    counting = Counting(store)
    warm = EntitlementsService(counting, clock, catalogue=catalogue)
    reference = EntitlementsService(Untracked(store), clock, catalogue=catalogue)
    return Rig(store, clock, counting, warm, reference)


def outcome(call: Any) -> Decision | tuple[type[BaseException], str | None, str | None]:
    """The decision, or the error's type, code and field."""
    try:
        decision: Decision = call()
    except SymprogramError as exc:
        return type(exc), exc.code, exc.field
    return decision


# ------------------------------------------------------------------ (1) properties


pools = st.lists(st.sampled_from(NEAR_LANGUAGES), min_size=1, max_size=3) | st.lists(
    language_args, min_size=1, max_size=3
)
questions = pools.flatmap(
    lambda pool: st.lists(
        st.tuples(readers, st.booleans(), st.sampled_from(pool), st.booleans()),
        min_size=1,
        max_size=5,
    )
)
"""(reader, the probe document or the handbook, languages, as a Document or its id);
the languages come from a small pool, so that questions differing in one part meet."""


@given(
    document=probe_documents(),
    holdings=holdings_of("C-1"),
    asked=questions,
    extra=st.lists(moments, max_size=4),
    data=st.data(),
)
def test_remembered_answers_are_the_answers_worked_out_afresh(
    document: Document,
    holdings: CustomerEntitlements,
    asked: list[tuple[Reader | None, bool, Any, bool]],
    extra: list[datetime],
    data: st.DataObject,
) -> None:
    catalogue = with_document(document)
    store, clock, counting, warm, reference = services(catalogue, FixedClock(_SPAN[0]))
    save_holdings(store, holdings)  # with the audit entries that record them
    handbook = catalogue.document(HANDBOOK)
    assert handbook is not None
    calls: list[tuple[Reader | None, Document | str, Any]] = []
    points: set[datetime] = set()
    for reader, probe, languages, as_object in asked:
        target = document if probe else handbook
        calls.append((reader, target if as_object else target.id, languages))
        points |= boundaries(target, holdings)
    probes = around(points) + extra
    # Any order (so that a remembered answer is asked about from either side),
    # the questions interleaved (so that no two share a remembered answer).
    for at in data.draw(st.permutations(probes)):
        for reader, target, languages in calls:
            expected = reference.decide(reader, target, languages, at=at)
            assert warm.decide(reader, target, languages, at=at) == expected
            # The very same question again: never a unit of work, the same answer.
            units = counting.units
            assert warm.decide(reader, target, languages, at=at) == expected
            assert counting.units == units
    # The clock's instant, moving forward through every probe.
    for at in sorted(p for p in probes if p >= clock.now()):
        clock.set(at)
        for reader, target, languages in calls:
            expected = reference.decide(reader, target, languages)
            assert expected.at == at
            assert warm.decide(reader, target, languages) == expected


@given(
    document=probe_documents(),
    holdings=holdings_of("C-1"),
    reader=readers,
    at=moments,
    data=st.data(),
)
def test_the_window_holds_the_access_decision(
    document: Document,
    holdings: CustomerEntitlements,
    reader: Reader | None,
    at: datetime,
    data: st.DataObject,
) -> None:
    catalogue = with_document(document)
    document = data.draw(st.sampled_from([document, catalogue.document(HANDBOOK)]))
    who = reader or Reader.anonymous()
    start, end = entitlement_rules.decision_window(document, holdings, at)
    assert start <= at < end
    answer = entitlement_rules.access_decision(catalogue, document, who, holdings, at)
    lo = max(start, at - timedelta(days=4000))
    hi = min(end, at + timedelta(days=4000))
    inside = [start, end - TICK, data.draw(instants(lo, hi - TICK))]
    for other in inside:
        if other >= lo and other < hi:
            got = entitlement_rules.access_decision(catalogue, document, who, holdings, other)
            assert got == answer
    # Each end is a real switch point or unbounded: the window is never widened past one.
    assert start == entitlement_rules.EARLIEST or start in boundaries(document, holdings)
    assert end == entitlement_rules.LATEST or end in boundaries(document, holdings)


GRID_READERS = (
    None,
    Reader(),
    Reader(None, logged_in=True),
    Reader("C-1"),
    Reader("C-1", logged_in=True),
    Reader("C-2", logged_in=True),
)


@given(document=probe_documents(), holdings=holdings_of("C-1"), at=moments)
@settings(max_examples=30)
def test_questions_that_differ_in_one_part_are_remembered_apart(
    document: Document, holdings: CustomerEntitlements, at: datetime
) -> None:
    catalogue = with_document(document)
    rig = services(catalogue, FixedClock(at))
    store, warm, reference = rig.store, rig.warm, rig.reference
    save_holdings(store, holdings)  # with the audit entries that record them
    handbook = catalogue.document(HANDBOOK)
    assert handbook is not None
    grid = [
        (reader, target, languages)
        for reader in GRID_READERS
        for doc in (document, handbook)
        for target in (doc, doc.id)
        for languages in NEAR_LANGUAGES
    ]
    expected = [reference.decide(*question) for question in grid]
    for _ in range(2):  # the second round from memory
        assert [warm.decide(*question) for question in grid] == expected
    later = at + timedelta(hours=1)
    expected = [reference.decide(*question, at=later) for question in grid]
    assert [warm.decide(*question, at=later) for question in grid] == expected


def test_a_repeated_question_opens_no_unit_of_work_within_its_window() -> None:
    rig = services()
    counting, warm, reference = rig.counting, rig.warm, rig.reference
    warm.add_agreement(
        "C-1",
        agreement_id="A-1",
        level="essential_support",
        products=["Backup Exec"],
        starts_on=date(2012, 1, 1),
        ends_on=date(2012, 12, 31),
        by="sales",
    )
    reader = Reader("C-1", logged_in=True)
    first = warm.decide(reader, HANDBOOK, "ja")
    units = counting.units
    later = START + timedelta(days=30)
    again = warm.decide(reader, HANDBOOK, "ja", at=later)
    assert counting.units == units
    assert again == reference.decide(reader, HANDBOOK, "ja", at=later)
    assert again.at == later and first.at == START
    # The last microsecond of the last day is still inside the window.
    after = datetime(2013, 1, 1, tzinfo=UTC)
    last = warm.decide(reader, HANDBOOK, "ja", at=after - TICK)
    assert last.allowed and counting.units == units
    # The day after the last day is outside it: worked out afresh, denied.
    expired = warm.decide(reader, HANDBOOK, "ja", at=after)
    assert counting.units == units + 1
    assert not expired.allowed and expired.has("agreement_expired")


def test_a_committed_change_is_seen_at_once() -> None:
    rig = services()
    store, clock, warm, reference = rig.store, rig.clock, rig.warm, rig.reference
    reader = Reader("C-1", logged_in=True)
    assert not warm.decide(reader, HANDBOOK).allowed
    other = EntitlementsService(store, clock)  # another service on the same store
    other.add_agreement(
        "C-1",
        agreement_id="A-1",
        level="essential_support",
        products=["Backup Exec"],
        starts_on=date(2012, 1, 1),
        ends_on=date(2012, 12, 31),
        by="sales",
    )
    assert warm.decide(reader, HANDBOOK).allowed
    other.suspend_agreement("A-1", by="finance", reason="unpaid")
    decision = warm.decide(reader, HANDBOOK)
    assert decision == reference.decide(reader, HANDBOOK)
    assert decision.codes[:2] == ("no_active_agreement", "agreement_suspended")


# ---------------------------------------------------------- (2) writes, clock moves

CUSTOMERS = ("C-1", "C-2")
LEVELS = ("basic_maintenance", "essential_support", "business_critical_services")


class FastPathMachine(RuleBasedStateMachine):
    """Interleaves writes, clock moves and decisions; each answer equals the reference's."""

    def __init__(self) -> None:
        super().__init__()
        self.store, self.clock, self.counting, self.warm, self.reference = services()
        self.agreements: list[str] = []
        self.grants: list[tuple[str, str]] = []
        self.extensions: list[str] = []
        self.counter = 0

    def teardown(self) -> None:
        self.store.close()

    @initialize(customer=st.sampled_from(CUSTOMERS))
    def first_agreement(self, customer: str) -> None:
        self.add_agreement(customer, "essential_support", 0, 30)

    def today(self) -> date:
        return self.clock.now().date()

    def asked_about(self) -> list[datetime]:
        now = self.clock.now()
        midnight = datetime.combine(now.date(), time.min, tzinfo=UTC)
        return [now, now - TICK, midnight, midnight - TICK, midnight + timedelta(days=1)]

    @rule(
        customer=st.sampled_from(CUSTOMERS),
        level=st.sampled_from(LEVELS),
        start=st.integers(-40, 10),
        length=st.integers(0, 60),
    )
    def add_agreement(self, customer: str, level: str, start: int, length: int) -> None:
        self.counter += 1
        agreement_id = f"A-{self.counter}"
        starts = self.today() + timedelta(days=start)
        self.warm.add_agreement(
            customer,
            agreement_id=agreement_id,
            level=level,
            products=["Backup Exec"],
            starts_on=starts,
            ends_on=starts + timedelta(days=length),
            by="sales",
        )
        self.agreements.append(agreement_id)

    @precondition(lambda self: bool(self.agreements))
    @rule(data=st.data(), change=st.sampled_from(["suspend", "reinstate", "cancel"]))
    def change_agreement(self, data: st.DataObject, change: str) -> None:
        agreement_id = data.draw(st.sampled_from(self.agreements))
        call = {
            "suspend": self.reference.suspend_agreement,
            "reinstate": self.reference.reinstate_agreement,
            "cancel": self.reference.cancel_agreement,
        }[change]
        with suppress(SymprogramError):  # not allowed from its status: nothing changed
            call(agreement_id, by="finance", reason="test")

    @rule(
        customer=st.sampled_from(CUSTOMERS),
        level=st.sampled_from(LEVELS),
        kind=st.sampled_from(["courtesy", "temporary"]),
        start=st.integers(-3, 3),
        length=st.integers(0, 10),
    )
    def grant(self, customer: str, level: str, kind: str, start: int, length: int) -> None:
        starts = self.today() + timedelta(days=start)
        issued = self.warm.grant_entitlement(
            customer,
            kind=kind,
            level=level,
            products=["Backup Exec"],
            starts_on=starts,
            ends_on=starts + timedelta(days=length),
            reason="outage",
            approver="manager",
            by="agent",
        )
        self.grants.append((customer, issued.grant_id))

    @precondition(lambda self: bool(self.grants))
    @rule(data=st.data())
    def revoke(self, data: st.DataObject) -> None:
        customer, grant_id = data.draw(st.sampled_from(self.grants))
        with suppress(SymprogramError):  # already revoked
            self.warm.revoke_entitlement(customer, grant_id, by="manager", reason="done")

    @rule(customer=st.sampled_from(CUSTOMERS), length=st.integers(0, 30))
    def add_extension(self, customer: str, length: int) -> None:
        self.counter += 1
        self.warm.add_extension(
            customer,
            extension_id=f"X-{self.counter}",
            product="Backup Exec",
            releases=["11.0"],
            starts_on=self.today(),
            ends_on=self.today() + timedelta(days=length),
            by="sales",
        )
        self.extensions.append(f"X-{self.counter}")

    @precondition(lambda self: bool(self.extensions))
    @rule(data=st.data())
    def cancel_extension(self, data: st.DataObject) -> None:
        extension_id = data.draw(st.sampled_from(self.extensions))
        with suppress(SymprogramError):  # already cancelled
            self.warm.cancel_extension(extension_id, by="sales", reason="test")

    @rule(
        step=st.sampled_from(
            [TICK, timedelta(hours=1), timedelta(hours=15), timedelta(days=1), timedelta(days=9)]
        )
    )
    def advance(self, step: timedelta) -> None:
        self.clock.advance(step)

    @rule()
    def to_the_next_midnight(self) -> None:
        midnight = datetime.combine(self.today() + timedelta(days=1), time.min, tzinfo=UTC)
        self.clock.set(midnight - TICK)

    @rule(
        reader=readers,
        document=st.sampled_from(DEFAULT_DOCS),
        languages=language_args,
        data=st.data(),
    )
    def decide(
        self, reader: Reader | None, document: str, languages: Any, data: st.DataObject
    ) -> None:
        at = data.draw(st.none() | st.sampled_from(self.asked_about()))
        expected = self.reference.decide(reader, document, languages, at=at)
        assert self.warm.decide(reader, document, languages, at=at) == expected
        assert self.warm.decide(reader, document, languages, at=at) == expected

    @precondition(lambda self: bool(self.agreements))
    @rule(data=st.data(), reader=readers)
    def uncommitted(self, data: st.DataObject, reader: Reader | None) -> None:
        agreement_id = data.draw(st.sampled_from(self.agreements))
        before = self.reference.decide(reader, HANDBOOK)
        with pytest.raises(Rollback), self.store.transaction():
            assert self.warm.decide(reader, HANDBOOK) == before
            with suppress(SymprogramError):
                self.warm.cancel_agreement(agreement_id, by="finance", reason="test")
            inside = self.warm.decide(reader, HANDBOOK)
            assert inside == self.reference.decide(reader, HANDBOOK)
            raise Rollback
        assert self.warm.decide(reader, HANDBOOK) == before


FastPathMachine.TestCase.settings = settings(
    FastPathMachine.TestCase.settings, stateful_step_count=40
)
TestFastPathMachine = FastPathMachine.TestCase


# -------------------------------------------------------------- (3) units of work


@pytest.fixture
def seeded() -> Iterator[Rig]:
    store, clock, counting, warm, reference = services()
    warm.add_agreement(
        "C-1",
        agreement_id="A-1",
        level="essential_support",
        products=["Backup Exec"],
        starts_on=date(2012, 1, 1),
        ends_on=date(2012, 12, 31),
        by="sales",
    )
    yield Rig(store, clock, counting, warm, reference)
    store.close()


def test_inside_a_unit_of_work_the_uncommitted_write_counts(seeded: Rig) -> None:
    store, warm, reference = seeded.store, seeded.warm, seeded.reference
    reader = Reader("C-1", logged_in=True)
    assert warm.decide(reader, HANDBOOK).allowed  # remembered
    with pytest.raises(Rollback), store.transaction():
        warm.cancel_agreement("A-1", by="finance", reason="test")
        inside = warm.decide(reader, HANDBOOK)
        assert not inside.allowed and inside.has("agreement_cancelled")
        assert warm.decide(reader, HANDBOOK) == inside  # asked again: still the write's view
        raise Rollback
    after = warm.decide(reader, HANDBOOK)
    assert after.allowed and after == reference.decide(reader, HANDBOOK)


def test_a_write_in_a_unit_of_work_is_seen_by_the_next_question_in_it(seeded: Rig) -> None:
    store, warm, reference = seeded.store, seeded.warm, seeded.reference
    reader = Reader("C-1", logged_in=True)
    with pytest.raises(Rollback), store.transaction():
        assert warm.decide(reader, HANDBOOK, "ja").allowed  # asked first inside
        warm.suspend_agreement("A-1", by="finance", reason="test")
        suspended = warm.decide(reader, HANDBOOK, "ja")
        assert not suspended.allowed and suspended.has("agreement_suspended")
        warm.reinstate_agreement("A-1", by="finance", reason="test")
        assert warm.decide(reader, HANDBOOK, "ja").allowed
        warm.cancel_agreement("A-1", by="finance", reason="test")
        assert warm.decide(reader, HANDBOOK, "ja").has("agreement_cancelled")
        raise Rollback
    assert warm.decide(reader, HANDBOOK, "ja") == reference.decide(reader, HANDBOOK, "ja")
    assert warm.decide(reader, HANDBOOK, "ja").allowed


def test_nothing_worked_out_in_a_rolled_back_unit_of_work_is_remembered(seeded: Rig) -> None:
    store, warm, reference = seeded.store, seeded.warm, seeded.reference
    reader = Reader("C-1", logged_in=True)
    later = START + timedelta(days=3)
    with pytest.raises(Rollback), store.transaction():
        warm.cancel_agreement("A-1", by="finance", reason="test")
        # First asked here, about now and about a later instant of the same window.
        assert not warm.decide(reader, HANDBOOK, "ja").allowed
        assert not warm.decide(reader, HANDBOOK, "ja", at=later).allowed
        raise Rollback
    for at in (None, later):
        decision = warm.decide(reader, HANDBOOK, "ja", at=at)
        assert decision.allowed and decision.has("active_agreement")
        assert decision == reference.decide(reader, HANDBOOK, "ja", at=at)


def test_a_committed_outer_unit_of_work_is_seen_after_it_ends(seeded: Rig) -> None:
    store, warm, reference = seeded.store, seeded.warm, seeded.reference
    reader = Reader("C-1", logged_in=True)
    assert warm.decide(reader, HANDBOOK).allowed
    with store.transaction():
        warm.suspend_agreement("A-1", by="finance", reason="test")
        assert not warm.decide(reader, HANDBOOK).allowed
    assert not warm.decide(reader, HANDBOOK).allowed
    assert warm.decide(reader, HANDBOOK) == reference.decide(reader, HANDBOOK)


# ---------------------------------------------------------------- (4) bad arguments


class NaiveClock:
    """A clock that answers a naive datetime (refused)."""

    def now(self) -> datetime:
        return datetime(2012, 3, 1, 9, 0)


class TextDocument(str):
    """A document id of a ``str`` subclass (accepted, but never remembered by)."""


class StaffReader(Reader):
    """A ``Reader`` subclass (accepted, but never remembered by)."""


BAD_CALLS: list[tuple[Any, Any, Any, Any]] = [
    ("C-1", HANDBOOK, "ja", None),  # reader not a Reader
    (Reader("C-1", logged_in=True), "no_such_document", "ja", None),
    (Reader("C-1", logged_in=True), 42, "ja", None),
    (Reader("C-1", logged_in=True), None, "ja", None),
    (
        Reader("C-1", logged_in=True),
        attrs.evolve(EntitlementCatalogue.default().document(HANDBOOK), id="nope"),
        "ja",
        None,
    ),
    (Reader("C-1", logged_in=True), HANDBOOK, 42, None),
    (Reader("C-1", logged_in=True), HANDBOOK, ["ja", 5], None),
    (Reader("C-1", logged_in=True), HANDBOOK, [["ja"]], None),
    (Reader("C-1", logged_in=True), HANDBOOK, ("ja", {"x": 1}), None),
    (Reader("C-1", logged_in=True), HANDBOOK, ["not a tag!"], None),
    (Reader("C-1", logged_in=True), HANDBOOK, ["ja"] * 60, None),
    (Reader("C-1", logged_in=True), HANDBOOK, {"ja"}, None),
    (Reader("C-1", logged_in=True), HANDBOOK, "ja", datetime(2012, 3, 1, 9, 0)),  # naive
    (Reader("C-1", logged_in=True), HANDBOOK, "ja", "2012-03-01"),
    (Reader("C-1", logged_in=True), HANDBOOK, "ja", 1330592400),
    ("C-1", "no_such_document", 42, datetime(2012, 3, 1)),  # the first check wins
    (Reader("C-1", logged_in=True), "no_such_document", 42, None),
    (Reader("C-1", logged_in=True), TextDocument(HANDBOOK), "ja", None),  # accepted
    (StaffReader("C-1", logged_in=True), HANDBOOK, "ja", None),  # accepted
    (Reader("C-1", logged_in=True), HANDBOOK, "ja", date(2012, 3, 1)),  # accepted
]


@pytest.mark.parametrize(("reader", "document", "languages", "at"), BAD_CALLS)
def test_arguments_are_checked_the_same_after_warm_calls(
    seeded: Rig, reader: Any, document: Any, languages: Any, at: Any
) -> None:
    warm, reference = seeded.warm, seeded.reference
    good = Reader("C-1", logged_in=True)
    for _ in range(3):  # remember every plain form of the same question
        warm.decide(good, HANDBOOK, "ja")
        warm.decide(good, HANDBOOK, ["ja"])
        warm.decide(good, EntitlementCatalogue.default().document(HANDBOOK), ("ja",))
        warm.decide(None, HANDBOOK, "ja")
    expected = outcome(lambda: reference.decide(reader, document, languages, at=at))
    assert outcome(lambda: warm.decide(reader, document, languages, at=at)) == expected
    assert outcome(lambda: warm.decide(reader, document, languages, at=at)) == expected


@given(
    reader=st.one_of(readers, st.text(max_size=3), st.integers(), st.just(object())),
    document=st.one_of(st.sampled_from(DEFAULT_DOCS), st.text(max_size=5), st.integers()),
    languages=st.one_of(
        language_args,
        st.lists(st.one_of(st.sampled_from(LANGUAGES), st.integers(), st.none()), max_size=3),
        st.integers(),
        st.text(max_size=8),
    ),
    at=st.one_of(st.none(), moments, st.datetimes(), st.dates(), st.text(max_size=3)),
)
@settings(max_examples=60)
def test_any_arguments_give_the_reference_outcome(
    reader: Any, document: Any, languages: Any, at: Any
) -> None:
    rig = services()
    warm, reference = rig.warm, rig.reference
    warm.add_agreement(
        "C-1",
        agreement_id="A-1",
        level="essential_support",
        products=["Backup Exec"],
        starts_on=date(2012, 1, 1),
        ends_on=date(2012, 12, 31),
        by="sales",
    )
    warm.decide(Reader("C-1", logged_in=True), HANDBOOK, "ja")
    for _ in range(2):
        expected = outcome(lambda: reference.decide(reader, document, languages, at=at))
        assert outcome(lambda: warm.decide(reader, document, languages, at=at)) == expected


def test_a_bad_clock_is_refused_even_with_answers_remembered() -> None:
    store = MemoryStore()
    good = EntitlementsService(store, FixedClock(START))
    bad = EntitlementsService(store, NaiveClock())  # type: ignore[arg-type]
    reader = Reader("C-1", logged_in=True)
    good.decide(reader, HANDBOOK, "ja")
    bad.decide(reader, HANDBOOK, "ja", at=START)  # remembered by the service with the bad clock
    for service in (good, bad):
        assert service.decide(reader, HANDBOOK, "ja", at=START).at == START
    with pytest.raises(SymprogramError) as caught:
        bad.decide(reader, HANDBOOK, "ja")
    assert (caught.value.code, caught.value.field) == ("naive_datetime", "clock")
