"""No probing by the stored hash's cost: a failed verification takes the costliest kind's time.

``authenticate`` verifies the account's stored hash, or the policy's dummy for an
address without one. A stored hash of other parameters (imported from a legacy
policy, scrypt stored before the extra ``argon2``, the 0.1 form) would take another
time; :class:`~symprogram.accounts._pacing.VerificationPacer` pads every failed
verification to the costliest kind of hash the process verified. Timings are never
asserted here (``benchmarks/enumeration.py`` measures them): a fake monotonic clock
that only the hasher and the pacer's sleep move makes the pad deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _programs import contact
from symprogram import Program
from symprogram.accounts import BulkCandidate, ScryptHasher
from symprogram.accounts._pacing import (
    DRAW,
    MAX_KINDS,
    OTHER,
    VerificationPacer,
    hash_kind,
)
from symprogram.errors import PermissionDenied

PASSWORD = "correct horse battery staple"
WRONG = "not the password at all"

POLICY = ScryptHasher(n=2**4)
COSTS = {
    "$scrypt$ln=4,r=8,p=1": 0.024,  # the policy's (and its dummy's)
    "$scrypt$ln=2,r=8,p=1": 0.003,  # imported from a weaker legacy policy
    "$scrypt$ln=6,r=8,p=1": 0.400,  # costlier than the policy
}


class FakeTime:
    """A monotonic clock moved only by the fake hasher's work and the pacer's sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.overshoot = 0.0

    def clock(self) -> float:
        """The time."""
        return self.now

    def sleep(self, seconds: float) -> None:
        """Sleep (and overshoot by :attr:`overshoot`)."""
        self.sleeps.append(seconds)
        self.now += seconds + self.overshoot

    def costing(self, cost: float, ok: bool = False) -> Callable[[str, str], bool]:
        """A ``verify`` that takes ``cost`` seconds and answers ``ok``."""

        def check(password: str, encoded: str) -> bool:
            self.now += cost
            return ok

        return check


class CostlyHasher:
    """The policy's hasher, whose verifications take the fake time of their kind."""

    def __init__(self, time: FakeTime) -> None:
        self.time = time
        self.verified: list[str] = []

    def hash(self, password: str) -> str:
        """The policy's hash."""
        return POLICY.hash(password)

    def verify(self, password: str, encoded: str) -> bool:
        """Verify, costing the fake time of the hash's kind."""
        self.verified.append(hash_kind(encoded))
        self.time.now += COSTS[hash_kind(encoded)]
        return POLICY.verify(password, encoded)

    def needs_rehash(self, encoded: str) -> bool:
        """The policy's answer."""
        return POLICY.needs_rehash(encoded)

    def dummy_hash(self) -> str:
        """The policy's dummy."""
        return POLICY.dummy_hash()

    def recognizes(self, encoded: str) -> bool:
        """The policy's answer."""
        return POLICY.recognizes(encoded)


def _pacer(time: FakeTime, uniform: float = 0.5) -> VerificationPacer:
    return VerificationPacer(clock=time.clock, sleep=time.sleep, uniform=lambda: uniform)


class Login:
    """A program whose log-ins cost fake time: accounts imported with hashes of each kind."""

    def __init__(self, program: Program, time: FakeTime, hasher: CostlyHasher) -> None:
        self.program, self.time, self.hasher = program, time, hasher
        self.accounts = program.accounts

    def took(self, email: str, password: str = WRONG) -> float:
        """The fake time one ``authenticate`` takes (it is refused as a wrong password)."""
        started = self.time.now
        with pytest.raises(PermissionDenied):
            self.accounts.authenticate(email, password)
        return self.time.now - started


@pytest.fixture
def login() -> Iterator[Login]:
    """Accounts with a hash at the policy's cost, a weaker one and a costlier one."""
    time = FakeTime()
    hasher = CostlyHasher(time)
    program = Program.in_memory(options={"accounts": {"hasher": hasher}})
    program.accounts._pacer = _pacer(time)
    program.accounts.register_many(
        [
            BulkCandidate(contact("policy@example.com"), password_hash=POLICY.hash(PASSWORD)),
            BulkCandidate(
                contact("weaker@example.com"),
                password_hash=ScryptHasher(n=2**2).hash(PASSWORD),
            ),
            BulkCandidate(
                contact("costlier@example.com"),
                password_hash=ScryptHasher(n=2**6).hash(PASSWORD),
            ),
        ]
    )
    yield Login(program, time, hasher)
    program.close()


def test_a_weaker_imported_hash_takes_the_policys_time(login: Login) -> None:
    """A wrong password for an account imported with a hash cheaper than the policy's
    takes as long as for an unknown address (the dummy, at the policy's cost): the
    verification is padded by the difference."""
    assert 0.024 == pytest.approx(login.took("nobody@example.com"))
    assert 0.024 == pytest.approx(login.took("weaker@example.com"))
    assert [pytest.approx(0.021)] == login.time.sleeps
    assert 0.024 == pytest.approx(login.took("policy@example.com"))


def test_a_weaker_hash_still_verifies_once_per_log_in(login: Login) -> None:
    """The pad is a sleep, not a second verification: one verification per call once
    the policy's cost is known (the first call of a service verifies the dummy
    first, once, when the hash it verifies is of another kind)."""
    login.took("weaker@example.com")
    assert ["$scrypt$ln=4,r=8,p=1", "$scrypt$ln=2,r=8,p=1"] == login.hasher.verified
    login.hasher.verified.clear()
    assert 0.024 == pytest.approx(login.took("weaker@example.com"))
    assert ["$scrypt$ln=2,r=8,p=1"] == login.hasher.verified


def test_the_first_log_in_of_a_service_on_a_weaker_hash_takes_the_policys_time(
    login: Login,
) -> None:
    """Before any policy-cost verification was timed, a weaker hash's log-in verifies
    the dummy too (to learn the policy's cost): together they take about its time."""
    took = login.took("weaker@example.com")
    assert 0.024 + 0.003 == pytest.approx(took)
    assert [] == login.time.sleeps


def test_a_costlier_hash_once_verified_pads_every_failed_log_in(login: Login) -> None:
    """A stored hash costlier than the policy's (scrypt N=2**17 under Argon2id) cannot be
    verified faster: once verified, every failed verification of the service takes
    its time, an unknown address's and a policy hash's included."""
    assert 0.024 == pytest.approx(login.took("nobody@example.com"))
    assert 0.400 == pytest.approx(login.took("costlier@example.com"))
    for email in ("nobody2@example.com", "policy@example.com", "weaker@example.com"):
        assert 0.400 == pytest.approx(login.took(email)), email
    assert 0.400 == pytest.approx(login.took("costlier@example.com"))


def test_the_right_password_is_not_padded(login: Login) -> None:
    """A verification that matches is never padded: its caller knows the password (an
    account still pending activation is refused only after it)."""
    login.took("nobody@example.com")
    assert 0.003 == pytest.approx(login.took("weaker@example.com", PASSWORD))
    assert [] == login.time.sleeps


def test_a_pad_follows_the_policys_times_quantile_for_quantile() -> None:
    """The pad is drawn at the failed verification's rank among its own kind's times,
    mapped onto the target kind's times: padded calls spread as the target's do
    (a fixed pad would make them all take one time)."""
    time = FakeTime()
    draws = iter([0.0, 0.0, 0.0, 0.0, 0.5, 1.0])
    pacer = VerificationPacer(clock=time.clock, sleep=time.sleep, uniform=lambda: next(draws))
    for cost in (0.25, 0.5, 1.0):  # exact in binary: ranks unaffected by rounding
        pacer.verify(time.costing(cost), "pw", "$policy$x$s$d")
    totals = []
    for _ in range(3):  # ranked at 0 (no times yet), 0.5 (between ties), 1.0
        started = time.now
        pacer.verify(time.costing(0.125), "pw", "$legacy$y$s$d")
        totals.append(time.now - started)
    assert [0.25, 0.5, 1.0] == pytest.approx(totals)


def test_one_slow_time_does_not_make_a_cheap_kind_the_target() -> None:
    """A kind's cost is its median (its fastest time while it has fewer than three): a
    cheap verification delayed once (a pause) does not make every other one wait."""
    time = FakeTime()
    pacer = _pacer(time)
    for _ in range(5):
        pacer.verify(time.costing(0.024), "pw", "$policy$x$s$d")
    for cost in (0.003, 0.500, 0.003, 0.003):
        pacer.verify(time.costing(cost), "pw", "$legacy$y$s$d")
    assert 0.003 == pytest.approx(pacer.cost("$legacy$y$s$d"))
    time.sleeps.clear()
    pacer.verify(time.costing(0.024), "pw", "$policy$x$s$d")
    assert [] == time.sleeps


def test_a_sleeps_overshoot_is_taken_off_the_next_pads() -> None:
    """A sleep that overshoots (the system wakes late) is measured, and the next pads
    ask for that much less."""
    time = FakeTime()
    time.overshoot = 0.001
    pacer = _pacer(time)
    pacer.verify(time.costing(0.024), "pw", "$policy$x$s$d")
    pacer.verify(time.costing(0.004), "pw", "$legacy$y$s$d")
    pacer.verify(time.costing(0.004), "pw", "$legacy$y$s$d")
    assert [pytest.approx(0.020), pytest.approx(0.019)] == time.sleeps


def test_a_costlier_kind_seen_first_stands_in_scaled_until_it_has_times_of_its_own() -> None:
    """While the target kind has fewer than DRAW times, the fullest kind's times, scaled
    by the ratio of the costs, stand in for its spread."""
    time = FakeTime()
    draws = iter([0.0] * 4 + [1.0])
    pacer = VerificationPacer(clock=time.clock, sleep=time.sleep, uniform=lambda: next(draws))
    for cost in (0.25, 0.5, 0.75):  # exact in binary: ranks unaffected by rounding
        pacer.verify(time.costing(cost), "pw", "$policy$x$s$d")
    pacer.verify(time.costing(3.0), "pw", "$costly$z$s$d")
    started = time.now
    pacer.verify(time.costing(0.75), "pw", "$policy$x$s$d")  # ranked at 1.0
    # the policy's slowest time, scaled by 3.0 (the costly kind) / 0.5 (the policy's)
    assert 0.75 * 3.0 / 0.5 == pytest.approx(time.now - started)
    assert DRAW > 1 + 1


def test_hash_kinds_are_bounded() -> None:
    """The kind is the hash before its salt and digest; junk, and kinds beyond
    MAX_KINDS, share one."""
    assert "$argon2id$v=19$m=19456,t=2,p=1" == hash_kind("$argon2id$v=19$m=19456,t=2,p=1$s$d")
    assert "scrypt$n=32768,r=8,p=1" == hash_kind("scrypt$n=32768,r=8,p=1$s$d")
    assert OTHER == hash_kind("not a hash") == hash_kind("a$b$c") == hash_kind("$x" * 200)
    time = FakeTime()
    pacer = _pacer(time)
    for n in range(MAX_KINDS + 3):
        pacer.verify(time.costing(0.001 * (n + 1)), "pw", f"$k{n}$p$s$d")
    assert pacer.cost("$k999$p$s$d") == pacer.cost(f"$k{MAX_KINDS}$p$s$d")


@given(
    target=st.lists(st.floats(0.01, 1.0), min_size=1, max_size=80),
    cheap=st.lists(st.floats(0.0, 0.009), min_size=1, max_size=20),
    draws=st.lists(st.floats(0.0, 1.0), min_size=100, max_size=100),
)
def test_a_failed_cheaper_verification_lasts_one_of_the_targets_times(
    target: list[float], cheap: list[float], draws: list[float]
) -> None:
    """Whatever the times, a failed verification of a kind cheaper than every time of
    the target kind (the fullest) lasts between the target's fastest and slowest
    kept time; the target's own verifications are never padded."""
    time = FakeTime()
    uniform = iter(draws)
    pacer = VerificationPacer(clock=time.clock, sleep=time.sleep, uniform=lambda: next(uniform))
    for cost in target:
        pacer.verify(time.costing(cost), "pw", "$policy$x$s$d")
    assert [] == time.sleeps
    kept = target[-64:]
    for cost in cheap[: len(kept) - 1] or cheap[:1]:
        started = time.now
        pacer.verify(time.costing(cost), "pw", "$legacy$y$s$d")
        took = time.now - started
        assert min(kept) - 1e-9 <= took <= max(kept) + 1e-9
