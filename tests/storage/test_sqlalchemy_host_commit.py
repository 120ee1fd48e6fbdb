"""Messages written inside a host's transaction go out only after the host commits (issue 18).

A store bound to the host's SQLAlchemy connection (``store.using(conn)``,
``store.bind(conn)``, a Session's connection) writes symprogram's changes and their
outbox messages inside the host's transaction. The messages are handed to the
notifier once the host's commit has happened, exactly once; a host rollback (of the
whole transaction or of a savepoint of its own) leaves nothing sent and nothing
pending, because the rows are gone too.

Each test runs on SQLite through SQLAlchemy and, when their URLs are set, on
PostgreSQL and MariaDB; every store has a table prefix of its own, dropped afterwards.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import orm

from _programs import START, contact, fast_options
from symprogram import Program
from symprogram.accounts import ContactDetails
from symprogram.clock import FixedClock
from symprogram.errors import ValidationError
from symprogram.notify import Message, Outbox
from symprogram.outbox import PENDING_KIND, MessageOutbox
from symprogram.storage.sqlalchemy import SQLAlchemyStore

SERVERS = {"postgresql": "SYMPROGRAM_TEST_POSTGRES_URL", "mariadb": "SYMPROGRAM_TEST_MARIADB_URL"}


def fresh(count: int = 1) -> list[ContactDetails]:
    """``count`` people no other call of the test run has registered."""
    return [contact(f"p{uuid.uuid4().hex[:12]}@example.com") for _ in range(count)]


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SQLAlchemyStore]:
    """A store of its own on each backend (servers only when their URL is set)."""
    if request.param == "sqlite":
        url = f"sqlite+pysqlite:///{tmp_path}/host.db"
    else:
        found = os.environ.get(SERVERS[request.param])
        if not found:
            pytest.skip(f"set {SERVERS[request.param]} to run the {request.param} tests")
        url = found
    store = SQLAlchemyStore.from_url(url, table_prefix=f"h{uuid.uuid4().hex[:12]}_")
    yield store
    store.drop_tables()


def program_on(store: SQLAlchemyStore, notifier: object | None = None) -> Program:
    """A program on ``store`` with a fast hasher and a notifier that keeps what it gets."""
    return Program(
        store,
        clock=FixedClock(START),
        notifier=notifier if notifier is not None else Outbox(),  # type: ignore[arg-type]
        options=fast_options(),
    )


def sent(program: Program) -> list[str]:
    """The addresses of the activation messages the program's notifier received."""
    notifier = program.notifier
    assert isinstance(notifier, Outbox)
    return [m.to for m in notifier.messages if m.kind == "activation"]


def states(store: SQLAlchemyStore) -> list[str]:
    """The state of every outbox message record, in key order."""
    return [r["state"] for r in MessageOutbox(store, Outbox()).iter_records()]


def pending_markers(store: SQLAlchemyStore) -> int:
    """How many units of work have messages not yet marked delivered."""
    with store.transaction(readonly=True) as tx:
        return len(tx.scan(PENDING_KIND))


def test_messages_go_out_only_after_the_host_commits(store: SQLAlchemyStore) -> None:
    """Inside ``using(conn)`` the call returns with nothing sent; the host's commit sends
    each message once and marks it delivered, leaving nothing pending."""
    program = program_on(store)
    people = fresh(3)
    with store.engine.connect() as conn:
        with store.using(conn):
            assert 3 == program.accounts.register_many(people, batch_size=2).created
        assert [] == sent(program)
        conn.commit()
        assert sorted(p.email for p in people) == sorted(sent(program))
    assert ["delivered"] * 3 == states(store)
    assert 0 == pending_markers(store)
    assert 0 == program.deliver_pending()


def test_engine_begin_block_delivers_when_it_commits(store: SQLAlchemyStore) -> None:
    """The web-framework pattern: ``with engine.begin() as conn, store.using(conn)``
    delivers when the block's commit happens, after ``using`` was left."""
    program = program_on(store)
    (person,) = fresh()
    with store.engine.begin() as conn, store.using(conn):
        program.accounts.register_many([person])
        assert [] == sent(program)
    assert [person.email] == sent(program)
    assert ["delivered"] == states(store)


def test_deliver_pending_inside_the_hosts_transaction_waits_for_its_commit(
    store: SQLAlchemyStore,
) -> None:
    """``deliver_pending`` called inside ``using(conn)`` sends nothing before the host's
    commit (what it would send may be the host's own uncommitted change), nothing if the
    host rolls back, and the pending messages once the host commits."""
    program = program_on(store)
    (rolled_back,) = fresh()
    with store.engine.connect() as conn:
        with store.using(conn):
            program.accounts.register_many([rolled_back])
            assert 0 == program.deliver_pending()
        conn.rollback()
    assert [] == sent(program)
    (kept,) = fresh()
    with store.engine.begin() as conn, store.using(conn):
        program.accounts.register_many([kept])
        assert 0 == program.deliver_pending()
        assert [] == sent(program)
    assert [kept.email] == sent(program)


def test_host_rollback_sends_nothing_and_leaves_nothing_pending(store: SQLAlchemyStore) -> None:
    """A host rollback drops the messages with the rows: nothing sent, no message record,
    no pending marker; a later commit on the same connection does not send them either."""
    program = program_on(store)
    with store.engine.connect() as conn:
        with store.using(conn):
            program.accounts.register_many(fresh(2))
        conn.rollback()
        conn.execute(sa.select(1))
        conn.commit()
    assert [] == sent(program)
    assert [] == states(store)
    assert 0 == pending_markers(store)
    assert 0 == program.deliver_pending()


def test_host_that_never_commits_sends_nothing(store: SQLAlchemyStore) -> None:
    """A connection closed without a commit rolls back: nothing is sent, then or later."""
    program = program_on(store)
    with store.engine.connect() as conn, store.using(conn):
        program.accounts.register_many(fresh(1))
    with store.engine.connect() as conn:  # the pool hands the same connection back
        conn.execute(sa.select(1))
        conn.commit()
    assert [] == sent(program)
    assert [] == states(store)
    assert 0 == program.deliver_pending()


def test_host_savepoints_keep_only_the_messages_they_kept(store: SQLAlchemyStore) -> None:
    """Calls inside the host's own savepoints: the messages of a rolled-back savepoint are
    never sent, those of a released one go out at the outer commit, each once."""
    program = program_on(store)
    dropped, kept, outer = fresh(), fresh(), fresh()
    with store.engine.connect() as conn, store.using(conn):
        with conn.begin_nested() as savepoint:
            program.accounts.register_many(dropped)
            with conn.begin_nested():  # released inside the rolled-back one
                program.accounts.register_many(fresh())
            savepoint.rollback()
        with conn.begin_nested():
            program.accounts.register_many(kept)
        program.accounts.register_many(outer)
        assert [] == sent(program)
        conn.commit()
    assert sorted([kept[0].email, outer[0].email]) == sorted(sent(program))
    assert ["delivered"] * 2 == states(store)
    assert 0 == pending_markers(store)


def test_bound_store_of_a_session_delivers_on_the_sessions_commit(
    store: SQLAlchemyStore,
) -> None:
    """``store.bind(session.connection())``: nothing on ``session.rollback()``, every
    message once on ``session.commit()``."""
    with orm.Session(store.engine) as session:
        program = program_on(store.bind(session.connection()))
        program.accounts.register_many(fresh())
        session.rollback()
        assert [] == sent(program)
        program = program_on(store.bind(session.connection()), program.notifier)
        (person,) = fresh()
        program.accounts.register_many([person])
        assert [] == sent(program)
        session.commit()
        assert [person.email] == sent(program)
    assert ["delivered"] == states(store)


def test_session_joined_to_an_outer_transaction_delivers_at_the_outer_commit(
    store: SQLAlchemyStore,
) -> None:
    """A Session joined to the host's outer transaction (savepoint mode): its commit only
    releases a savepoint, so the messages wait for the outer commit."""
    with store.engine.connect() as conn:
        outer = conn.begin()
        session = orm.Session(bind=conn, join_transaction_mode="create_savepoint")
        program = program_on(store.bind(session.connection()))
        (person,) = fresh()
        program.accounts.register_many([person])
        session.commit()
        assert [] == sent(program)
        session.close()
        outer.commit()
    assert [person.email] == sent(program)


class Refusing:
    """A notifier whose mail server is down."""

    def __init__(self) -> None:
        self.tries = 0

    def send(self, message: Message) -> None:
        self.tries += 1
        raise ConnectionError("mail server down")


def test_a_refusing_notifier_never_fails_the_hosts_commit(
    store: SQLAlchemyStore, caplog: pytest.LogCaptureFixture
) -> None:
    """The notifier raising at the host's commit is logged; the commit stands and the
    message stays pending for deliver_pending."""
    refusing = Refusing()
    program = program_on(store, refusing)
    (person,) = fresh()
    with caplog.at_level(logging.ERROR, "symprogram.outbox"):
        with store.engine.begin() as conn, store.using(conn):
            program.accounts.register_many([person])
    assert 1 == refusing.tries
    assert any("pending" in r.getMessage() for r in caplog.records)
    assert ["pending"] == states(store)
    later = program_on(store)
    assert 1 == later.deliver_pending()
    assert [person.email] == sent(later)


@st.composite
def host_scripts(draw: st.DrawFn) -> tuple[list[tuple[bool, int]], bool]:
    """Savepoints of the host, each kept or rolled back around some registrations, and
    whether the host commits at the end."""
    steps = draw(st.lists(st.tuples(st.booleans(), st.integers(0, 2)), max_size=4))
    return steps, draw(st.booleans())


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(script=host_scripts())
def test_property_exactly_the_committed_messages_are_sent_once(
    store: SQLAlchemyStore, script: tuple[list[tuple[bool, int]], bool]
) -> None:
    """Whatever the host's savepoints do, after it commits or rolls back the notifier has
    received exactly the messages of the registrations that committed, each once, and
    nothing stays pending."""
    steps, commit = script
    program = program_on(store)
    expected: list[str] = []
    with store.engine.connect() as conn, store.using(conn):
        for keep, count in steps:
            people = fresh(count)
            savepoint = conn.begin_nested()
            program.accounts.register_many(people)
            if keep:
                savepoint.commit()
                expected += [p.email for p in people]
            else:
                savepoint.rollback()
        if commit:
            conn.commit()
        else:
            conn.rollback()
    assert sorted(expected if commit else []) == sorted(sent(program))
    assert 0 == pending_markers(store)


def test_a_host_commit_hook_that_is_not_callable_is_refused_at_once(
    store: SQLAlchemyStore,
) -> None:
    """``on_host_commit`` refuses what cannot be called (``invalid_callback``) when it
    is given, bound or not, instead of raising TypeError after the host's commit."""
    with pytest.raises(ValidationError) as info:
        store.on_host_commit("print")  # type: ignore[arg-type]
    assert "invalid_callback" == info.value.code
    with store.engine.begin() as conn, store.using(conn):
        with pytest.raises(ValidationError):
            store.on_host_commit(None)  # type: ignore[arg-type]
