"""Anonymous terms receipts cannot grow the store without bound (issue 17).

Every anonymous ``accept_terms()`` stores an unbound acceptance, its receipt token
and the token's generation. Each such call also looks at a few acceptances and
tokens and deletes the unbound acceptances (with their generations) and receipt
tokens whose receipt expired a whole lifetime ago; an acceptance bound to an
account is kept for good. Runs through ``Program`` on every embedded backend, and
the servers when their URLs are set.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _programs import ALL, ProgramFactory, register_form
from symprogram import Program
from symprogram.accounts import AccountsSettings, TermsAcceptance
from symprogram.accounts._receipts import SWEEP, ReceiptSweep
from symprogram.accounts.ports import ACCEPTANCE_KIND
from symprogram.clock import FixedClock
from symprogram.errors import ConcurrencyError, StorageError, SymprogramError, TokenError
from symprogram.persistence import Repository
from symprogram.storage.memory import MemoryStore
from symprogram.tokens import GENERATION_KIND, TOKEN_KIND, TokenGeneration, TokenRecord

START = datetime(2012, 3, 1, 9, 30, tzinfo=UTC)
TTL = timedelta(minutes=10)
PURPOSE = "terms_acceptance"


def _program(make_program: ProgramFactory, backend: str, clock: FixedClock) -> Program:
    settings = AccountsSettings(terms_receipt_ttl=TTL)
    return make_program(backend, clock=clock, options={"accounts": {"settings": settings}})


def _records(program: Program) -> dict[str, int]:
    """Per kind: how many records the receipts left (tokens of the receipts' purpose)."""
    with program.store.transaction(readonly=True) as tx:
        acceptances = tx.scan(ACCEPTANCE_KIND, limit=100_000)
        tokens = Repository(tx, TOKEN_KIND, TokenRecord, key=lambda r: r.digest).iter_all()
        generations = tx.scan(GENERATION_KIND, prefix=f"{PURPOSE}:", limit=100_000)
        return {
            ACCEPTANCE_KIND: len(acceptances),
            TOKEN_KIND: sum(t.purpose == PURPOSE for t in tokens),
            GENERATION_KIND: len(generations),
        }


@pytest.mark.backends(*ALL)
def test_receipts_for_nobody_leave_a_bounded_number_of_records(
    backend: str, make_program: ProgramFactory
) -> None:
    """300 anonymous receipts, one a minute, never used: the store keeps about the
    receipts of the last two lifetimes and a sweep's lag, and stops growing, in every
    kind the receipts write (not 300 of each)."""
    clock = FixedClock(START)
    program = _program(make_program, backend, clock)
    seen = {}
    for i in range(300):
        program.accounts.accept_terms(path="create_account")
        clock.advance(timedelta(minutes=1))
        if i + 1 in (150, 300):
            seen[i + 1] = _records(program)
    live = 2 * int(TTL / timedelta(minutes=1)) + 2 * SWEEP
    for kind, count in seen[300].items():
        assert count <= seen[150][kind] + SWEEP, kind  # no longer growing
        assert count <= live, kind  # two lifetimes of receipts and the sweep's lag


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_an_acceptance_bound_to_an_account_is_kept(
    backend: str, make_program: ProgramFactory
) -> None:
    """Registrations bind their acceptances; however many sweeps pass them later,
    every account keeps the acceptance it registered with."""
    clock = FixedClock(START)
    program = _program(make_program, backend, clock)
    for i in range(5):
        register_form(program.accounts, f"person{i}@example.com")
    bound = _bound(program)
    assert 5 == len(bound)
    for _ in range(60):
        clock.advance(timedelta(minutes=5))
        program.accounts.accept_terms(path="create_account")
    assert bound <= _bound(program)


def _bound(program: Program) -> set[str]:
    with program.store.transaction(readonly=True) as tx:
        repo = Repository(tx, ACCEPTANCE_KIND, TermsAcceptance, key=lambda a: a.acceptance_id)
        return {a.acceptance_id for a in repo.iter_all() if a.candidate_id is not None}


def test_a_receipt_is_usable_for_its_lifetime_and_then_refused_as_expired(
    make_program: ProgramFactory,
) -> None:
    """Sweeps never take a receipt that can still be used: a receipt registers until
    it expires, whatever other receipts are asked for meanwhile; after that it is
    refused (``token_expired`` while it is kept, ``token_invalid`` once swept)."""
    clock = FixedClock(START)
    program = _program(make_program, "memory", clock)
    kept = program.accounts.accept_terms(path="create_account").token
    late = program.accounts.accept_terms(path="create_account").token
    assert kept is not None and late is not None
    for _ in range(9):
        clock.advance(timedelta(minutes=1))
        program.accounts.accept_terms(path="create_account")
    register_form(program.accounts, "ada@example.com", terms_receipt=kept)
    clock.advance(timedelta(minutes=2))  # the late receipt has expired
    with pytest.raises(TokenError) as expired:
        register_form(program.accounts, "bob@example.com", terms_receipt=late)
    assert "token_expired" == expired.value.code
    for _ in range(40):  # two lifetimes later, swept
        clock.advance(timedelta(minutes=1))
        program.accounts.accept_terms(path="create_account")
    with pytest.raises(SymprogramError) as swept:
        register_form(program.accounts, "bob@example.com", terms_receipt=late)
    assert "token_invalid" == swept.value.code


ages = st.integers(min_value=0, max_value=60)


@settings(max_examples=50)
@given(
    acceptances=st.lists(st.tuples(ages, st.booleans()), max_size=20),
    tokens=st.lists(st.tuples(ages, st.sampled_from([PURPOSE, "password_reset"])), max_size=20),
)
def test_a_sweep_deletes_exactly_the_unusable_receipts_it_looks_at(
    acceptances: list[tuple[int, bool]], tokens: list[tuple[int, str]]
) -> None:
    """Of the first :data:`SWEEP` acceptances and tokens in key order, a sweep deletes
    the unbound acceptances accepted before the cut-off (with their generations) and
    the receipt tokens expired before theirs; bound acceptances, other purposes'
    tokens and everything it did not look at stay."""
    store = MemoryStore()
    at = [START + timedelta(minutes=m) for m, _ in acceptances]
    with store.transaction() as tx:
        repo = Repository(tx, ACCEPTANCE_KIND, TermsAcceptance, key=lambda a: a.acceptance_id)
        generations = Repository(
            tx, GENERATION_KIND, TokenGeneration, key=lambda g: f"{g.purpose}:{g.subject}"
        )
        for i, ((_, bound), when) in enumerate(zip(acceptances, at, strict=True)):
            key = f"a{i:02d}"
            repo.add(TermsAcceptance(key, "v.2007.507", "d" * 64, "create_account", when,
                                     "SP-0000-0000-0000-0" if bound else None))  # fmt: skip
            generations.add(TokenGeneration(PURPOSE, key))
        token_repo = Repository(tx, TOKEN_KIND, TokenRecord, key=lambda r: r.digest)
        for i, (minutes, purpose) in enumerate(tokens):
            expires = START + timedelta(minutes=minutes)
            token_repo.add(TokenRecord(f"t{i:02d}", purpose, "s", START, expires))
    accepted_before = START + timedelta(minutes=30)
    expired_before = START + timedelta(minutes=20)
    with store.transaction() as tx:
        following = ReceiptSweep().run(
            tx, PURPOSE, accepted_before=accepted_before, expired_before=expired_before
        )
    looked_a = {f"a{i:02d}" for i in range(min(SWEEP, len(acceptances)))}
    looked_t = {f"t{i:02d}" for i in range(min(SWEEP, len(tokens)))}
    doomed_a = {
        f"a{i:02d}"
        for i, ((_, bound), when) in enumerate(zip(acceptances, at, strict=True))
        if f"a{i:02d}" in looked_a and not bound and when < accepted_before
    }
    doomed_t = {
        f"t{i:02d}"
        for i, (minutes, purpose) in enumerate(tokens)
        if f"t{i:02d}" in looked_t
        and purpose == PURPOSE
        and START + timedelta(minutes=minutes) < expired_before
    }
    with store.transaction(readonly=True) as tx:
        left_a = {r.key for r in tx.scan(ACCEPTANCE_KIND, limit=1000)}
        left_g = {r.key.split(":", 1)[1] for r in tx.scan(GENERATION_KIND, limit=1000)}
        left_t = {r.key for r in tx.scan(TOKEN_KIND, limit=1000)}
    every_a = {f"a{i:02d}" for i in range(len(acceptances))}
    assert every_a - doomed_a == left_a
    assert every_a - doomed_a == left_g
    assert {f"t{i:02d}" for i in range(len(tokens))} - doomed_t == left_t
    assert following.acceptances == ("" if len(acceptances) < SWEEP else f"a{SWEEP - 1:02d}")
    assert following.tokens == ("" if len(tokens) < SWEEP else f"t{SWEEP - 1:02d}")


def test_a_corrupt_record_does_not_stop_the_sweep() -> None:
    """A record that does not decode is left for the integrity checks; the sweep goes
    on past it (and anonymous ``accept_terms`` keeps working)."""
    store = MemoryStore()
    with store.transaction() as tx:
        tx.save(ACCEPTANCE_KIND, "a00", "{not json", 0)
        repo = Repository(tx, ACCEPTANCE_KIND, TermsAcceptance, key=lambda a: a.acceptance_id)
        repo.add(TermsAcceptance("a01", "v.2007.507", "d" * 64, "create_account", START))
    with store.transaction() as tx:
        ReceiptSweep().run(tx, PURPOSE, accepted_before=START + TTL, expired_before=START + TTL)
    with store.transaction(readonly=True) as tx:
        assert ["a00"] == [r.key for r in tx.scan(ACCEPTANCE_KIND, limit=10)]


class _LockSpy:
    """A unit of work that notes the keys it locks (``load_for_update``)."""

    def __init__(self, tx: object) -> None:
        self._tx = tx
        self.locked: list[str] = []

    def load_for_update(self, kind: str, key: str) -> object:
        self.locked.append(key)
        return self._tx.load(kind, key)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self._tx, name)


@settings(max_examples=30)
@given(
    bound=st.lists(st.booleans(), min_size=1, max_size=12),
    expired=st.lists(st.booleans(), min_size=1, max_size=12),
)
def test_a_sweep_locks_only_what_it_deletes(bound: list[bool], expired: list[bool]) -> None:
    """The sweep decides from its scan and locks only the records it then deletes (and
    their generations): a receipt a registration is binding or using up at that
    moment is never locked by it, so a sweep beside registrations on a database
    server cannot deadlock with them."""
    store = MemoryStore()
    with store.transaction() as tx:
        repo = Repository(tx, ACCEPTANCE_KIND, TermsAcceptance, key=lambda a: a.acceptance_id)
        for i, is_bound in enumerate(bound):
            repo.add(TermsAcceptance(f"a{i:02d}", "v.2007.507", "d" * 64, "create_account", START,
                                     "SP-0000-0000-0000-0" if is_bound else None))  # fmt: skip
        tokens = Repository(tx, TOKEN_KIND, TokenRecord, key=lambda r: r.digest)
        for i, is_expired in enumerate(expired):
            expires = START if is_expired else START + 3 * TTL
            tokens.add(TokenRecord(f"t{i:02d}", PURPOSE, "s", START, expires))
    cut = START + TTL
    with store.transaction() as tx:
        spy = _LockSpy(tx)
        ReceiptSweep().run(spy, PURPOSE, accepted_before=cut, expired_before=cut)  # type: ignore[arg-type]
    doomed_a = [f"a{i:02d}" for i, b in enumerate(bound[:SWEEP]) if not b]
    doomed_t = [f"t{i:02d}" for i, e in enumerate(expired[:SWEEP]) if e]
    generations = [f"{PURPOSE}:{key}" for key in doomed_a]
    expected = [k for pair in zip(doomed_a, generations, strict=True) for k in pair] + doomed_t
    assert expected == spy.locked


@pytest.mark.parametrize(
    "failure",
    [
        StorageError("deadlock", code="deadlock", details={"retryable": True}),
        ConcurrencyError("stale", code="version_conflict"),
    ],
)
def test_a_sweep_that_loses_a_race_does_not_fail_the_call(
    failure: SymprogramError, make_program: ProgramFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receipt is committed before the sweep runs: a sweep that still loses its
    race after the re-runs (deadlocks beside concurrent registrations on a database
    server) is given up, the call returns its receipt, and the receipt registers."""
    clock = FixedClock(START)
    program = _program(make_program, "memory", clock)
    runs: list[int] = []

    def lose(*args: object, **kwargs: object) -> ReceiptSweep:
        runs.append(1)
        raise failure

    monkeypatch.setattr(ReceiptSweep, "run", lose)
    version = program.accounts.terms.current(program.now()).version
    receipt = program.accounts.accept_terms(path="create_account", terms_version=version)
    assert len(runs) > 1  # re-run before being given up
    assert receipt.token is not None
    register_form(program.accounts, "racer@example.com", terms_receipt=receipt.token)
    assert program.notifier.last("activation", to="racer@example.com")  # type: ignore[attr-defined]


def test_a_sweep_that_fails_for_good_is_logged_not_raised(
    make_program: ProgramFactory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A sweep runs after the call's own unit of work committed: a storage failure no
    re-run can mend (say, the database refused the statement) is logged, and the
    call still returns what it committed, which the caller can use (raising would
    tell them it failed)."""
    program = _program(make_program, "memory", FixedClock(START))

    def fail(*args: object, **kwargs: object) -> ReceiptSweep:
        raise StorageError("refused", code="database_error", details={"retryable": False})

    monkeypatch.setattr(ReceiptSweep, "run", fail)
    version = program.accounts.terms.current(program.now()).version
    with caplog.at_level("WARNING", logger="symprogram.accounts"):
        receipt = program.accounts.accept_terms(path="create_account", terms_version=version)
    assert ["a sweep after a committed call failed: database_error"] == caplog.messages
    assert receipt.token is not None
    register_form(program.accounts, "kept@example.com", terms_receipt=receipt.token)
    assert program.notifier.last("activation", to="kept@example.com")  # type: ignore[attr-defined]
