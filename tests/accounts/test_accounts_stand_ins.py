"""Stand-in slots (issues 17 and 18): what a call writes for nobody stays bounded and inert.

A call for an address without an account (or whose owner may receive nothing now)
writes the record kinds a call for an owner writes, into a fixed pool of stand-in
slots (``AccountsSettings.stand_in_pool``): whatever a stranger tries, the store
holds at most that many stand-ins per kind; their links redeem nothing; their
messages reach nobody, not even after a crash (``deliver_pending``); no reader
(iterators, the reporting views) takes a stand-in for a candidate. Runs through
``Program`` on memory and SQLite.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest
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
from symprogram.storage.memory import MemoryStore
from symprogram.tokens import Tokens

PASSWORD = "correct horse battery staple"
POOL = 16
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


def test_many_unknown_addresses_leave_at_most_the_pool_per_kind(program: Program) -> None:
    """Issue 17: 600 distinct unknown addresses, each asking for a reset and an
    activation link, leave at most POOL records of every kind (before: 600 per kind);
    none of them receives anything."""
    for number in range(600):
        email = f"stranger{number}@example.com"
        program.accounts.request_password_reset(email)
        program.accounts.resend_activation(email)

    counts = _count(program)
    for kind in ("account_request_log", "token", "token_generation", "outbox_message"):
        total, stand_ins = counts[kind]
        assert total == stand_ins, kind
        assert 0 < stand_ins <= POOL, kind
    assert (0, 0) == counts["outbox_pending"]
    assert () == tuple(_outbox(program).messages)


def test_registrations_of_a_known_address_leave_at_most_the_pool(program: Program) -> None:
    """Registering a known address again and again adds no candidate, credential, index
    entry or token beyond the pool: the owner is told every time, with a reset link
    at most ``reset_limit`` times per window, and no stand-in names the owner."""
    _register(program, "ada@example.com")
    before = _count(program)
    for _ in range(200):
        _register(program, "ada@example.com")

    after = _count(program)
    for kind in ("candidate", "account_credential"):
        assert before[kind][0] + 1 == after[kind][0], kind  # one slot: one address
        assert 1 == after[kind][1], kind
    limit = program.accounts.settings.reset_limit
    notices = [m for m in _outbox(program).messages if m.kind == "registration_attempt"]
    assert 200 == len(notices)
    assert limit == len([n for n in notices if "token" in n.data])
    tokens = after["token"][0] - before["token"][0]
    # 200 used-up terms receipts (the visitor's acceptances), `limit` real reset links,
    # the rest in the address's one slot.
    assert 200 + limit + 1 == tokens
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
