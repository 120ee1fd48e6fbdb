"""The warm path of ``AwardsService.progress``: remembered answers equal fresh ones.

On a store with a change token (the memory store) the service remembers each
progress answer with the token and the window of instants over which it stands
still (``rules.progress_window``). These tests compare it with a reference service
on the same data that cannot remember anything (its store hides the token).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import pytest
from awards_env import ADA, BOB, START
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from symprogram.awards import AwardsService, AwardsSettings, KitAddress, Progress, rules
from symprogram.awards import progress as progress_module
from symprogram.awards.catalogue import AwardCatalogue
from symprogram.awards.models import AwardGrant, CandidateAwards
from symprogram.awards.storage import AwardsStorage
from symprogram.errors import SymprogramError
from symprogram.history import AccountHistory
from symprogram.notify import Outbox
from symprogram.persistence import Store, Transaction, change_tracker
from symprogram.storage.memory import MemoryStore
from symprogram.storage.sqlite import SQLiteStore
from symprogram.testing import _awards as sa
from symprogram.testing.strategies import instants

CATALOGUE = AwardCatalogue.default()
AWARDS = tuple(CATALOGUE.awards)
# Exams that are never retired, so a result may be taken at any instant.
EXAMS = ("SSE-EP", "ST0-091", "ST0-148", "ST0-192", "250-315", "250-316", "250-371")
US = timedelta(microseconds=1)


class Untracked:
    """A store seen without its change token: a service on it remembers nothing."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def transaction(self, *, readonly: bool = False) -> AbstractContextManager[Transaction]:
        """The wrapped store's unit of work."""
        return self._store.transaction(readonly=readonly)

    def close(self) -> None:
        """Nothing to close: the wrapped store is closed by its owner."""


class Dial:
    """A clock a test may set anywhere, backwards included."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        """The instant the dial is set to."""
        return self.at


class Directory:
    """A candidate directory whose members may leave without any store commit."""

    def __init__(self) -> None:
        self.contacts: dict[str, KitAddress] = {"ada": ADA, "bob": BOB}
        self.present = {"ada", "bob"}

    def exists(self, candidate_id: str) -> bool:
        """Whether the candidate is present now."""
        return candidate_id in self.present

    def contact_details(self, candidate_id: str) -> KitAddress:
        """The candidate's contact details."""
        return self.contacts[candidate_id]

    def has_accepted_current_terms(self, candidate_id: str) -> bool:
        """Everyone accepted the terms."""
        return True


class Pair:
    """A remembering service and a reference service on one memory store and clock."""

    def __init__(self, at: datetime = START, *, settings: AwardsSettings | None = None) -> None:
        self.store = MemoryStore()
        self.clock = Dial(at)
        self.people = Directory()
        history = AccountHistory(self.store)
        self.fast = AwardsService(
            self.store,
            self.clock,
            history=history,
            notifier=Outbox(),
            candidates=self.people,
            settings=settings,
        )
        self.ref = AwardsService(
            Untracked(self.store),
            self.clock,
            history=history,
            notifier=Outbox(),
            candidates=self.people,
        )

    def same(self, candidate_id: Any, award_id: Any, at: Any = None) -> Progress | str:
        """Ask both services; they must return equal answers or raise the same error."""
        fast = _outcome(lambda: self.fast.progress(candidate_id, award_id, at))
        ref = _outcome(lambda: self.ref.progress(candidate_id, award_id, at))
        assert fast == ref
        if isinstance(fast, Progress):
            assert isinstance(ref, Progress)
            assert fast.at == ref.at and fast.at.tzinfo is ref.at.tzinfo
        return fast


def _outcome(call: Any) -> Progress | str:
    try:
        answer: Progress = call()
    except SymprogramError as exc:
        return f"{type(exc).__name__}:{exc.code}:{exc.field}:{exc}"
    return answer


def _attempt(call: Any, *allowed: str) -> None:
    """Run ``call``; a refusal is fine if its code is one of ``allowed`` (any if none)."""
    try:
        call()
    except SymprogramError as exc:
        code = exc.code
    else:
        return
    assert not allowed or code in allowed


def _instants_of(state: CandidateAwards | None, grants: tuple[AwardGrant, ...]) -> set[datetime]:
    out: set[datetime] = set()
    if state is not None:
        for r in state.results:
            out |= {r.taken_at, r.recorded_at}
    for g in grants:
        out.add(g.granted_at)
        out |= {x for x in (g.expires_at, g.revoked_at) if x is not None}
        for renewal in g.renewals:
            out |= {renewal.at, renewal.previous_expiry, renewal.new_expiry}
    return out


def _around(points: set[datetime]) -> list[datetime]:
    return sorted({p + d for p in points for d in (-US, timedelta(0), US)})


def test_the_reference_service_really_remembers_nothing() -> None:
    pair = Pair()
    assert change_tracker(pair.store) is not None
    assert change_tracker(Untracked(pair.store)) is None


# -- the window, on the pure rules --------------------------------------------------


@st.composite
def _states(draw: st.DrawFn) -> tuple[AwardCatalogue, CandidateAwards]:
    catalogue = draw(sa.award_catalogues(max_exams=4, max_awards=4))
    codes = st.sampled_from(sorted(catalogue.exams))
    ids = st.sampled_from(sorted(catalogue.awards))
    state = draw(
        sa.candidate_awards(
            results=st.lists(sa.exam_results(exam_code=codes), max_size=5).map(tuple),
            grants=st.lists(sa.award_grants(award_id=ids), max_size=4).map(tuple),
        )
    )
    return catalogue, state


@given(_states(), st.data())
def test_progress_stands_still_across_its_window_and_nowhere_claims_more(
    generated: tuple[AwardCatalogue, CandidateAwards], data: st.DataObject
) -> None:
    catalogue, state = generated
    points = _instants_of(state, state.grants)
    edges = _around(points)
    at = data.draw(st.sampled_from(edges) if edges else instants(), label="at")
    start, end = rules.progress_window(state, at)
    assert start is None or start <= at
    assert end is None or at < end
    # The window's ends are recorded instants and no recorded instant lies inside it.
    assert start is None or start in points
    assert end is None or end in points
    assert not any((start is None or start < p) and (end is None or p < end) for p in points)
    probes = {at}
    probes |= {t for t in (start, end) if t is not None}
    probes |= {t + d for t in list(probes) for d in (-US, US)}
    probes.add(data.draw(instants(), label="elsewhere"))
    inside = sorted(t for t in probes if (start is None or start <= t) and (end is None or t < end))
    assert at in inside
    for award in catalogue.awards.values():
        here = rules.progress(state, award, at, catalogue)
        for t in inside:
            assert rules.progress(state, award, t, catalogue) == attrs.evolve(here, at=t)


@given(sa.progresses(), instants())
def test_a_restamped_answer_equals_the_answer_built_for_that_instant(
    answer: Progress, at: datetime
) -> None:
    again = progress_module._restamped(answer, at)
    assert again == attrs.evolve(answer, at=at)
    assert again.at is at


# -- the service against the reference ------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    results=st.lists(
        st.tuples(st.sampled_from(EXAMS), st.integers(0, 100), st.integers(0, 1500)),
        max_size=5,
    ),
    evaluations=st.lists(st.integers(0, 1600), max_size=3),
    extra=st.lists(instants(START - timedelta(days=30), START + timedelta(days=4000)), max_size=4),
    order=st.randoms(use_true_random=False),
)
def test_remembered_progress_is_the_reference_answer_at_every_instant(
    results: list[tuple[str, int, int]],
    evaluations: list[int],
    extra: list[datetime],
    order: Any,
) -> None:
    pair = Pair(START + timedelta(days=5000))
    for exam, score, day in results:
        taken = START + timedelta(days=day, seconds=day)
        record = partial(pair.fast.record_exam_result, "ada", exam, score, taken_at=taken)
        _attempt(record, "duplicate_exam_result")
    for day in sorted(evaluations):
        pair.fast.evaluate("ada", at=START + timedelta(days=day))
    points = {START, *extra} | _instants_of(None, pair.ref.grants_of("ada"))
    points |= {x for r in pair.ref.exam_results_of("ada") for x in (r.taken_at, r.recorded_at)}
    moments = _around(points)
    # Asked with an explicit instant, in an arbitrary order (the window moves about).
    shuffled = list(moments)
    order.shuffle(shuffled)
    for t in shuffled:
        for award_id in AWARDS:
            pair.same("ada", award_id, t)
    # Asked "now" while the clock walks forwards, then backwards, over every edge.
    for t in [*moments, *reversed(moments)]:
        pair.clock.at = t
        for award_id in AWARDS:
            pair.same("ada", award_id)
            pair.same("ada", award_id)  # the same clock reading again


# -- units of work ----------------------------------------------------------------


class Abandon(Exception):
    """Raised to roll a unit of work back."""


def test_inside_a_unit_of_work_the_uncommitted_write_counts_and_is_forgotten_after() -> None:
    pair = Pair()
    before = pair.fast.progress("ada", "sts-endpoint")
    assert not before.met
    assert pair.fast.progress("ada", "sts-endpoint") is before  # remembered
    token = pair.store.change_token()
    with pytest.raises(Abandon), pair.store.transaction():
        pair.fast.record_exam_result("ada", "ST0-091", 90, taken_at=START)
        inside = pair.fast.progress("ada", "sts-endpoint")
        assert inside.met and inside.percentage == 100
        assert inside == pair.ref.progress("ada", "sts-endpoint")
        assert pair.fast.progress("ada", "sts-endpoint", START).met
        raise Abandon
    # A rollback leaves the token as it was: an answer remembered inside the unit
    # of work would be handed out now.
    assert pair.store.change_token() == token
    after = pair.fast.progress("ada", "sts-endpoint")
    assert not after.met
    assert after == pair.ref.progress("ada", "sts-endpoint") == before
    assert not pair.fast.progress("ada", "sts-endpoint", START).met


def test_a_committed_write_is_seen_at_once() -> None:
    pair = Pair()
    assert not pair.fast.progress("ada", "sts-endpoint").met
    pair.fast.record_exam_result("ada", "ST0-091", 90, taken_at=START)
    assert pair.fast.progress("ada", "sts-endpoint").met


def test_a_unit_of_work_committed_outside_the_service_is_seen_at_once() -> None:
    pair = Pair()
    assert not pair.fast.progress("bob", "sts-endpoint").met
    with pair.store.transaction():
        pair.ref.record_exam_result("bob", "ST0-091", 90, taken_at=START)
    assert pair.fast.progress("bob", "sts-endpoint").met


# -- validation and the candidate directory -----------------------------------------


BAD = [
    ("", "sts-endpoint", None),
    ("  ", "sts-endpoint", None),
    ("a\x00b", "sts-endpoint", None),
    ("x" * 256, "sts-endpoint", None),
    (None, "sts-endpoint", None),
    (7, "sts-endpoint", None),
    (["ada"], "sts-endpoint", None),
    ("nobody", "sts-endpoint", None),
    ("ada", "no-such-award", None),
    ("ada", "", None),
    ("ada", None, None),
    ("ada", ["sts-endpoint"], None),
    ("ada", "sts-endpoint", datetime(2012, 3, 1)),
    ("ada", "sts-endpoint", "2012-03-01"),
    ("ada", "sts-endpoint", 0),
]


@pytest.mark.parametrize(("candidate_id", "award_id", "at"), BAD)
def test_bad_input_raises_the_same_error_warm_or_cold(
    candidate_id: Any, award_id: Any, at: Any
) -> None:
    pair = Pair()
    cold = pair.same(candidate_id, award_id, at)
    assert isinstance(cold, str)
    pair.same("ada", "sts-endpoint")
    pair.same("ada", "sts-endpoint", START)
    assert pair.same(candidate_id, award_id, at) == cold


def test_a_naive_clock_reading_is_refused_warm_or_cold() -> None:
    pair = Pair()
    pair.same("ada", "sts-endpoint")
    pair.clock.at = datetime(2012, 3, 2)
    answer = pair.same("ada", "sts-endpoint")
    assert isinstance(answer, str) and "naive_datetime" in answer


class Name(str):
    """A string subclass: valid, but never a key of the remembered answers."""


def test_a_string_subclass_is_answered_like_the_string() -> None:
    pair = Pair()
    pair.fast.record_exam_result("ada", "ST0-091", 90, taken_at=START)
    for _ in range(2):
        assert pair.same(Name("ada"), Name("sts-endpoint")) == pair.same("ada", "sts-endpoint")


def test_a_candidate_who_left_the_directory_is_not_found_though_remembered() -> None:
    pair = Pair()
    pair.fast.record_exam_result("ada", "ST0-091", 90, taken_at=START)
    assert pair.fast.progress("ada", "sts-endpoint").met
    pair.people.present.discard("ada")  # no store commit
    with pytest.raises(SymprogramError) as caught:
        pair.fast.progress("ada", "sts-endpoint")
    assert caught.value.code == "candidate_not_found"
    pair.people.present.add("ada")
    assert pair.same("ada", "sts-endpoint") == pair.fast.progress("ada", "sts-endpoint")


def test_the_remembered_answers_are_bounded() -> None:
    pair = Pair(settings=AwardsSettings(progress_memo_limit=3))
    names = [f"c-{i}" for i in range(8)]
    for name in names:
        pair.people.present.add(name)
    for _ in range(2):
        for name in names:
            for award_id in AWARDS[:2]:
                pair.same(name, award_id)
                assert pair.fast._progress_memo is not None and len(pair.fast._progress_memo) <= 3


def test_a_sqlite_store_is_read_on_every_call(tmp_path: Path) -> None:
    path = str(tmp_path / "a.db")
    store, other = SQLiteStore(path), SQLiteStore(path)
    try:
        clock = Dial(START)
        people = Directory()
        service = AwardsService(
            store, clock, history=AccountHistory(store), notifier=Outbox(), candidates=people
        )
        writer = AwardsService(
            other, clock, history=AccountHistory(other), notifier=Outbox(), candidates=people
        )
        assert not service.progress("ada", "sts-endpoint").met
        writer.record_exam_result("ada", "ST0-091", 90, taken_at=START)
        assert service.progress("ada", "sts-endpoint").met
    finally:
        store.close()
        other.close()


# -- interleavings -----------------------------------------------------------------


class ProgressMachine(RuleBasedStateMachine):
    """Writes, clock moves, directory changes and progress questions, in any order;
    every answer of the remembering service equals the reference service's."""

    def __init__(self) -> None:
        super().__init__()
        self.pair = Pair(START)

    def _edges(self, candidate_id: str) -> list[datetime]:
        # Read from the store itself: the directory may have forgotten the candidate.
        with self.pair.store.transaction(readonly=True) as tx:
            state = AwardsStorage().candidate(tx, candidate_id)
        return _around(_instants_of(state, state.grants))

    @rule(
        who=st.sampled_from(["ada", "bob"]),
        exam=st.sampled_from(EXAMS),
        score=st.integers(0, 100),
        back=st.integers(0, 3000),
    )
    def record_result(self, who: str, exam: str, score: int, back: int) -> None:
        """A result taken up to a few days before now."""
        taken = self.pair.clock.at - timedelta(minutes=back)
        _attempt(
            lambda: self.pair.fast.record_exam_result(who, exam, score, taken_at=taken),
            "duplicate_exam_result",
            "account_erased",
            "candidate_not_found",
        )

    @rule(who=st.sampled_from(["ada", "bob"]))
    def evaluate(self, who: str) -> None:
        """Grant what is earned now."""
        _attempt(
            lambda: self.pair.fast.evaluate(who),
            "account_erased",
            "candidate_not_found",
            "instant_before_last_change",  # the clock was moved back
        )

    @rule(who=st.sampled_from(["ada", "bob"]), award_id=st.sampled_from(AWARDS))
    def renew(self, who: str, award_id: str) -> None:
        """Renew if allowed."""
        _attempt(lambda: self.pair.fast.renew(who, award_id))

    @rule(who=st.sampled_from(["ada", "bob"]), award_id=st.sampled_from(AWARDS))
    def revoke(self, who: str, award_id: str) -> None:
        """Revoke if active."""
        _attempt(lambda: self.pair.fast.revoke(who, award_id, reason="misconduct"))

    @rule(who=st.sampled_from(["ada", "bob"]))
    def erase(self, who: str) -> None:
        """Erase the candidate's awards data."""
        _attempt(lambda: self.pair.fast.erase(who), "candidate_not_found")

    @rule(who=st.sampled_from(["ada", "bob"]), exam=st.sampled_from(EXAMS))
    def abandoned_write(self, who: str, exam: str) -> None:
        """A unit of work that writes, asks, then rolls back."""
        try:
            with self.pair.store.transaction():
                self.pair.fast.record_exam_result(who, exam, 99, taken_at=self.pair.clock.at)
                self.pair.fast.evaluate(who)
                for award_id in AWARDS:
                    self.pair.same(who, award_id)
                raise Abandon
        except (Abandon, SymprogramError):
            pass

    @rule(days=st.integers(0, 800), seconds=st.integers(0, 86_400))
    def time_passes(self, days: int, seconds: int) -> None:
        """The clock moves forward."""
        self.pair.clock.at += timedelta(days=days, seconds=seconds)

    @rule(data=st.data(), who=st.sampled_from(["ada", "bob"]))
    def clock_to_an_edge(self, data: st.DataObject, who: str) -> None:
        """The clock jumps to (or just beside) an instant recorded for the candidate."""
        edges = self._edges(who)
        if edges:
            self.pair.clock.at = data.draw(st.sampled_from(edges))

    @rule(who=st.sampled_from(["ada", "bob"]))
    def leave_or_return(self, who: str) -> None:
        """The directory forgets or recalls the candidate, without a store commit."""
        present = self.pair.people.present
        if who in present:
            present.discard(who)
        else:
            present.add(who)

    @rule(who=st.sampled_from(["ada", "bob", "nobody", ""]), award_id=st.sampled_from(AWARDS))
    def ask_now(self, who: str, award_id: str) -> None:
        """Progress as of the clock, twice."""
        self.pair.same(who, award_id)
        self.pair.same(who, award_id)

    @rule(data=st.data(), who=st.sampled_from(["ada", "bob"]), award_id=st.sampled_from(AWARDS))
    def ask_at_an_edge(self, data: st.DataObject, who: str, award_id: str) -> None:
        """Progress as of an instant at or beside a recorded one."""
        edges = self._edges(who) or [START]
        self.pair.same(who, award_id, data.draw(st.sampled_from(edges)))

    @invariant()
    def every_award_agrees(self) -> None:
        """Whatever happened, every answer now is the reference answer."""
        for award_id in AWARDS:
            self.pair.same("ada", award_id)


TestProgressMachine = ProgressMachine.TestCase
TestProgressMachine.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)


def test_a_catalogue_cannot_be_changed_after_it_was_validated() -> None:
    """Remembered progress relies on the catalogue standing still: its maps are read-only."""
    from symprogram.awards.catalogue import AwardCatalogue

    catalogue = AwardCatalogue.default()
    some_exam = next(iter(catalogue.exams))
    with pytest.raises(TypeError):
        catalogue.exams[some_exam] = catalogue.exams[some_exam]  # type: ignore[index]
    with pytest.raises(TypeError):
        del catalogue.awards[next(iter(catalogue.awards))]  # type: ignore[attr-defined]
