"""Stand-in slots (issues 17 and 18): what a call writes for nobody stays bounded and inert.

A call for an address without an account (or whose owner may receive nothing now)
writes the record kinds a call for an owner writes: new stand-in links and
messages, swept once a window has passed, and what an account would add in a fixed
pool of slots (``AccountsSettings.stand_in_pool``): whatever a stranger tries, the
store holds what the last window's calls left at most; their links redeem nothing; their
messages reach nobody, not even after a crash (``deliver_pending``); no reader
(iterators, the reporting views) takes a stand-in for a candidate. Runs through
``Program`` on memory and SQLite.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from accounts_helpers import spy_locks
from hypothesis import given, settings
from hypothesis import strategies as st

from _programs import ProgramFactory, register_form
from symprogram import Program
from symprogram.accounts import AccountsSettings, _stand_ins
from symprogram.accounts._stand_ins import StandIns, is_stand_in, slot_key
from symprogram.clock import FixedClock
from symprogram.errors import TokenError, ValidationError
from symprogram.notify import Message, Outbox
from symprogram.outbox import MESSAGE_KIND, PENDING_KIND, STAND_IN, MessageOutbox
from symprogram.serialization import dumps_without
from symprogram.storage.memory import MemoryStore
from symprogram.tokens import GENERATION_KIND, TOKEN_KIND, TokenGeneration, TokenRecord, Tokens

PASSWORD = "correct horse battery staple"
POOL = 16
START = datetime(2012, 3, 1, 9, 30, tzinfo=UTC)
#: The kinds a call for nobody writes (register's account kinds included).
KINDS = (
    "account_request_log",
    "token",
    "token_generation",
    "outbox_message",
    "outbox_pending",
    "candidate",
    "account_credential",
)
pytestmark = pytest.mark.backends("memory", "sqlite")


def _pool(size: int = POOL, **values: Any) -> dict[str, Any]:
    return {"accounts": {"settings": AccountsSettings(stand_in_pool=size, **values)}}


def _outbox(program: Program) -> Outbox:
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    return outbox


def _register(program: Program, email: str) -> None:
    register_form(program.accounts, email, password=PASSWORD)


def _count(program: Program) -> dict[str, tuple[int, int]]:
    """Per kind: (all records, stand-in records)."""
    counts = {}
    with program.store.transaction(readonly=True) as tx:
        for kind in KINDS:
            keys = [r.key for r in tx.scan(kind, limit=100_000)]
            counts[kind] = (len(keys), sum(is_stand_in(k) for k in keys))
    return counts


def _stand_in_secrets(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every secret a stand-in link is issued with."""
    issued: list[str] = []
    original = Tokens.issue

    def spy(self: Tokens, *args: Any, **kwargs: Any) -> str:
        secret = original(self, *args, **kwargs)
        if kwargs.get("into") is not None:  # a stand-in link
            issued.append(secret)
        return secret

    monkeypatch.setattr(Tokens, "issue", spy)
    return issued


@pytest.fixture
def program(backend: str, make_program: ProgramFactory) -> Program:
    """A program whose stand-in pool has :data:`POOL` slots."""
    return make_program(backend, options=_pool())


def _stand_ins_of(program: Program, kind: str) -> int:
    with program.store.transaction(readonly=True) as tx:
        return len(tx.scan(kind, prefix=STAND_IN + ":", limit=100_000))


def test_many_unknown_addresses_leave_what_a_window_counts(
    backend: str, make_program: ProgramFactory
) -> None:
    """Issue 17: 600 distinct unknown addresses, one a minute, each asking for a reset
    and an activation link, leave about what the last window (an hour) holds and a
    sweep's lag in every kind, and stop growing (before: 600 per kind); none of them
    receives anything."""
    clock = FixedClock(START)
    program = make_program(backend, clock=clock, options=_pool())
    seen: dict[int, dict[str, tuple[int, int]]] = {}
    for number in range(600):
        email = f"stranger{number}@example.com"
        program.accounts.request_password_reset(email)
        program.accounts.resend_activation(email)
        clock.advance(timedelta(minutes=1))
        if number + 1 in (300, 600):
            seen[number + 1] = _count(program)
    window = int(program.accounts.settings.resend_window / timedelta(minutes=1))
    for kind in ("account_request_log", "token", "token_generation", "outbox_message"):
        total, stand_ins = seen[600][kind]
        assert total <= seen[300][kind][0] + 16, kind  # no longer growing
        assert total <= 2 * window * 3 // 2, kind  # two a minute for a window, and the lag
        if kind != "account_request_log":  # an unknown address's own log is no stand-in
            assert total == stand_ins, kind
    assert (0, 0) == seen[600]["outbox_pending"]
    assert () == tuple(_outbox(program).messages)


def test_registrations_of_a_known_address_leave_at_most_the_pool(
    backend: str, make_program: ProgramFactory
) -> None:
    """Registering a known address again and again adds no candidate, credential or index
    entry beyond the pool: the owner is told every time, with a reset link at most
    ``reset_limit`` times per window, the links beyond it are stand-ins swept once
    the window has passed, and no stand-in names the owner."""
    clock = FixedClock(START)
    program = make_program(backend, clock=clock, options=_pool())
    _register(program, "ada@example.com")
    before = _count(program)
    limit = program.accounts.settings.reset_limit
    for _ in range(2):
        for _ in range(200):
            _register(program, "ada@example.com")
        # the links beyond the limit this window: stand-ins (the last window's swept)
        assert 200 - limit == _stand_ins_of(program, "token")
        clock.advance(program.accounts.settings.resend_window + timedelta(seconds=1))

    after = _count(program)
    for kind in ("candidate", "account_credential"):
        assert before[kind][0] + 1 == after[kind][0], kind  # one slot: one address
        assert 1 == after[kind][1], kind
    notices = [m for m in _outbox(program).messages if m.kind == "registration_attempt"]
    assert 400 == len(notices)
    assert 2 * limit == len([n for n in notices if "token" in n.data])
    owner = program.accounts.find_by_email("ada@example.com")
    assert owner is not None
    assert [] == _naming(program, ("ada@example.com", owner.candidate_id))


def _naming(program: Program, values: tuple[str, ...]) -> list[tuple[str, str]]:
    """The stand-in records whose text names one of ``values`` (personal data that an
    erasure would not find)."""
    found = []
    with program.store.transaction(readonly=True) as tx:
        for kind in KINDS:
            for record in tx.scan(kind, prefix=STAND_IN, limit=100_000):
                if any(value in record.data for value in values):
                    found.append((kind, record.key))
    return found


@settings(max_examples=10)
@given(local=st.from_regex(r"[a-z][a-z0-9]{0,20}", fullmatch=True))
def test_a_stand_in_link_redeems_nothing(local: str) -> None:
    """A stand-in link is never a working link: not for a reset, not for activation,
    whatever the address it was issued for."""
    program = Program.in_memory(options=_pool())
    with pytest.MonkeyPatch.context() as monkeypatch:
        issued = _stand_in_secrets(monkeypatch)
        program.accounts.request_password_reset(f"{local}@example.com")
        program.accounts.resend_activation(f"{local}@example.com")
    assert 2 == len(issued)
    for secret in issued:
        with pytest.raises(TokenError) as reset:
            program.accounts.reset_password(secret, "a brand new passphrase")
        with pytest.raises(TokenError) as activation:
            program.accounts.activate(secret)
        assert ("token_invalid", "token_invalid") == (reset.value.code, activation.value.code)
    program.close()


def test_a_limited_owners_request_writes_a_stand_in_that_redeems_nothing(
    program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond ``reset_limit`` the owner's own address gets a stand-in link: it does not
    work, while the last real link still does."""
    _register(program, "ada@example.com")
    program.accounts.activate(str(_outbox(program).last("activation").data["token"]))
    issued = _stand_in_secrets(monkeypatch)
    for _ in range(program.accounts.settings.reset_limit + 1):
        program.accounts.request_password_reset("ada@example.com")
    assert 1 == len(issued)
    with pytest.raises(TokenError):
        program.accounts.reset_password(issued[0], "a brand new passphrase")
    real = str(_outbox(program).last("password_reset").data["token"])
    program.accounts.reset_password(real, "a brand new passphrase")


def test_deliver_pending_never_sends_a_stand_in(program: Program) -> None:
    """A crash after the commit leaves a stand-in pending, next to a real message:
    ``deliver_pending`` sends the real one only and clears the stand-in's marker."""
    outbox = MessageOutbox(program.store, _outbox(program))
    real = Message(to="ada@example.com", kind="hello", subject="Hi", body="Hello")
    decoy = Message(to="nobody@example.com", kind="password_reset", subject="S", body="B")
    # Written outside any delivering unit of work: as a crash would leave them.
    with program.store.transaction() as tx:
        outbox.write_stand_in(tx, decoy, slot_key(3))
        outbox.write(tx, [real])

    assert 1 == program.deliver_pending()
    assert [real.message_id] == [m.message_id for m in _outbox(program).messages]
    with program.store.transaction(readonly=True) as tx:
        assert [] == tx.scan(PENDING_KIND)
        stand_in = tx.load(MESSAGE_KIND, slot_key(3))
    assert stand_in is not None and '"state": "delivered"' in stand_in.data
    assert 0 == program.deliver_pending()


def test_a_stand_in_slot_must_be_one() -> None:
    """``write_stand_in`` refuses a key outside the stand-in pool (no real message can be
    overwritten or silenced through it)."""
    store = MemoryStore()
    outbox = MessageOutbox(store, Outbox())
    with store.transaction() as tx, pytest.raises(ValidationError) as info:
        outbox.write_stand_in(
            tx, Message(to="a@example.com", kind="k", subject="s", body="b"), "SP-1:x"
        )
    assert "invalid_slot" == info.value.code


def test_no_reader_takes_a_stand_in_for_a_candidate(
    backend: str, make_program: ProgramFactory, tmp_path: Any
) -> None:
    """After registrations of a known address (stand-in candidates written), the
    candidates due for review are the real ones, and on SQLite the reporting view
    lists only the real account."""
    program = make_program(backend, options=_pool())
    _register(program, "ada@example.com")
    for _ in range(3):
        _register(program, "ada@example.com")
    clock = program.clock
    assert isinstance(clock, FixedClock)
    clock.advance(program.accounts.settings.contact_review_period * 2)

    real = program.accounts.find_by_email("ada@example.com")
    assert real is not None
    assert [real.candidate_id] == list(program.accounts.iter_contact_reviews_due())
    if backend == "sqlite":
        assert [real.candidate_id] == _view_rows(tmp_path)


def _view_rows(directory: Any) -> list[str]:
    path = next(iter(_files(directory)))
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        (view,) = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'view' AND name LIKE '%v_candidates'"
        ).fetchone()
        return [row[0] for row in conn.execute(f"SELECT candidate_id FROM {view}")]


def _files(directory: Any) -> Iterator[Any]:
    yield from sorted(directory.rglob("*.db"))


@given(
    email=st.from_regex(r"[a-z]{1,12}@[a-z]{1,8}\.(com|org)", fullmatch=True),
    pool=st.integers(min_value=1, max_value=4096),
    secret=st.binary(min_size=1, max_size=32),
)
def test_an_address_has_one_slot_in_the_pool(email: str, pool: int, secret: bytes) -> None:
    """The slot of an address is the same every time, inside the pool, and a
    stand-in key: never a candidate ID, a token digest or an address digest."""
    store = MemoryStore()
    with store.transaction() as tx:
        first = StandIns(tx, secret, email, pool).key
        again = StandIns(tx, secret, email.upper(), pool).key
    assert first == again
    assert is_stand_in(first)
    assert first.startswith(STAND_IN + ":")
    assert 0 <= int(first.rpartition(":")[2]) < pool
    assert first in {slot_key(n) for n in range(pool)}


def test_the_pool_size_is_a_checked_setting() -> None:
    """``stand_in_pool`` is a positive integer (``invalid_setting``); 256 by default."""
    assert _stand_ins.DEFAULT_POOL == AccountsSettings().stand_in_pool
    for bad in (0, -1, "many", True):
        with pytest.raises(ValidationError) as info:
            AccountsSettings(stand_in_pool=bad)  # type: ignore[arg-type]
        assert "invalid_setting" == info.value.code


@settings(max_examples=30)
@given(
    tokens=st.lists(st.integers(min_value=0, max_value=120), max_size=10),
    messages=st.lists(
        st.tuples(st.integers(min_value=0, max_value=120), st.booleans()), max_size=10
    ),
    generations=st.lists(st.integers(min_value=0, max_value=120), max_size=10),
    cutoff=st.integers(min_value=0, max_value=120),
)
def test_a_stand_in_sweep_deletes_exactly_what_is_older_than_its_cut_off(
    tokens: list[int],
    messages: list[tuple[int, bool]],
    generations: list[int],
    cutoff: int,
) -> None:
    """Of the first :data:`SWEEP` stand-ins of each kind, a sweep deletes the tokens
    issued, the delivered messages written and the generations last issued before the
    cut-off, and locks only those; a pending message, anything newer and anything it
    did not look at stay."""
    store = MemoryStore()
    at = [START + timedelta(minutes=m) for m in range(121)]
    with store.transaction() as tx:
        for i, minute in enumerate(tokens):
            record = TokenRecord(f"{STAND_IN}:t:{i:02d}", "password_reset", "s",
                                 at[minute], at[minute], used_at=at[minute])  # fmt: skip
            tx.save(TOKEN_KIND, record.digest, dumps_without(record, frozenset({"version"})), 0)
        for i, (minute, delivered) in enumerate(messages):
            key = StandIns.fresh(at[minute], f"{i:016d}")
            state = "delivered" if delivered else "pending"
            tx.save(MESSAGE_KIND, key, json.dumps({"state": state}), 0)
        for i, minute in enumerate(generations):
            generation = TokenGeneration("password_reset", f"g{i:02d}", issued=(at[minute],))
            key = f"{STAND_IN}:g{i:02d}:password_reset"
            tx.save(GENERATION_KIND, key, dumps_without(generation, frozenset({"version"})), 0)
    cut = at[cutoff]
    with store.transaction(readonly=True) as tx:
        looked = {
            kind: tx.scan(kind, prefix=STAND_IN + ":", limit=_stand_ins.SWEEP)
            for kind in (TOKEN_KIND, MESSAGE_KIND, GENERATION_KIND)
        }
    doomed = {
        TOKEN_KIND: {r.key for r in looked[TOKEN_KIND] if tokens[int(r.key[-2:])] < cutoff},
        MESSAGE_KIND: {
            r.key for r in looked[MESSAGE_KIND]
            if messages[int(r.key[-16:])][0] < cutoff and messages[int(r.key[-16:])][1]
        },
        GENERATION_KIND: {
            r.key for r in looked[GENERATION_KIND] if generations[int(r.key[-17:-15])] < cutoff
        },
    }  # fmt: skip
    with store.transaction() as tx:
        locked = spy_locks(tx)
        _stand_ins.StandInSweep().run(tx, issued_before=cut)
    assert set(locked) == set().union(*doomed.values())
    with store.transaction(readonly=True) as tx:
        for kind, gone in doomed.items():
            every = {r.key for r in tx.scan(kind, limit=1000)}
            assert not every & gone, kind
            assert len(every) + len(gone) == {
                TOKEN_KIND: len(tokens), MESSAGE_KIND: len(messages),
                GENERATION_KIND: len(generations),
            }[kind]  # fmt: skip


def test_stand_in_messages_are_not_written_in_key_order(program: Program) -> None:
    """A stand-in message's key starts with its address's stand-in key, as a real
    message's starts with its owner's candidate ID: messages for nobody written one
    after another land at scattered places among the messages' keys, never each
    after the last (which a store appends at another cost than it inserts in the
    middle, and a real message is never the last)."""
    clock = program.clock
    assert isinstance(clock, FixedClock)
    for number in range(12):
        program.accounts.request_password_reset(f"nobody{number}@example.com")
        clock.advance(timedelta(seconds=1))
    with program.store.transaction(readonly=True) as tx:
        records = tx.scan(MESSAGE_KIND, prefix=STAND_IN + ":", limit=100)
    written = sorted(records, key=lambda r: json.loads(r.data)["message_id"])
    keys = [r.key for r in written]
    assert 12 == len(keys)
    assert keys != sorted(keys)  # in time order with 12 addresses: 1 in 12! by chance


@settings(max_examples=30)
@given(
    messages=st.lists(
        st.tuples(st.integers(min_value=0, max_value=120), st.booleans()), max_size=10
    ),
    cutoff=st.integers(min_value=0, max_value=120),
)
def test_a_sweep_reads_the_instant_of_a_message_keyed_by_its_address(
    messages: list[tuple[int, bool]], cutoff: int
) -> None:
    """Of the first :data:`SWEEP` stand-in messages (``StandIns.message`` keys: the
    address's stand-in key, then the instant), a sweep deletes exactly the delivered
    ones written before the cut-off; a pending message and a newer one stay."""
    store = MemoryStore()
    at = [START + timedelta(minutes=m) for m in range(121)]
    with store.transaction() as tx:
        for i, (minute, delivered) in enumerate(messages):
            key = StandIns(tx, b"k", f"a{i}@example.com", POOL).message(at[minute], f"{i:016d}")
            state = "delivered" if delivered else "pending"
            tx.save(MESSAGE_KIND, key, json.dumps({"state": state}), 0)
    with store.transaction(readonly=True) as tx:
        looked = tx.scan(MESSAGE_KIND, prefix=STAND_IN + ":", limit=_stand_ins.SWEEP)
    doomed = {
        r.key
        for r in looked
        if messages[int(r.key[-16:])][0] < cutoff and messages[int(r.key[-16:])][1]
    }
    with store.transaction() as tx:
        _stand_ins.StandInSweep().run(tx, issued_before=at[cutoff])
    with store.transaction(readonly=True) as tx:
        left = {r.key for r in tx.scan(MESSAGE_KIND, limit=100)}
    assert not doomed & left
    assert len(messages) - len(doomed) == len(left)
