"""The SQL adapter (issue 7) through ``Program``: every context's storage on every
SQLAlchemy backend (SQLite, and PostgreSQL / MariaDB when their URLs are set),
``Program.open`` with any SQLAlchemy URL (string or object), a host's own Engine or
Connection joining its transaction, prefixed table names, hostile Unicode."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from integration_helpers import (
    PASSWORD,
    READER,
    START,
    earn_scs_endpoint,
    last,
    register_active,
)
from sqlalchemy.engine import Engine

from _programs import SQLALCHEMY, ProgramFactory, add_agreement, fast_options
from symprogram import Program
from symprogram.clock import FixedClock
from symprogram.errors import LimitExceeded, ValidationError
from symprogram.storage.sqlalchemy import SQLAlchemyStore

FAST = fast_options()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A host application's engine on a SQLite file, with an app table of its own."""
    made = sa.create_engine(f"sqlite+pysqlite:///{tmp_path / 'host.db'}")
    with made.begin() as conn:
        conn.execute(sa.text("CREATE TABLE app_orders (id INTEGER PRIMARY KEY, what TEXT)"))
    yield made
    made.dispose()


@pytest.mark.backends(*SQLALCHEMY)
def test_every_context_works_on_the_sqlalchemy_adapter(
    backend: str, make_program: ProgramFactory
) -> None:
    """A whole journey (accounts, awards, entitlements, consent, history) on
    ``Program.open("sqlite+pysqlite:///...")`` (or a server from the environment)
    survives reopening the database."""
    with make_program(backend) as program:
        assert isinstance(program.store, SQLAlchemyStore)
        cid = register_active(program)
        earn_scs_endpoint(program, cid)
        code = program.awards.publish(cid, ["scs-endpoint"], "hr@example.com").code
        add_agreement(program.entitlements)
        program.consent.grant("s-1", "research", channel="web_form")
    with make_program(backend) as again:
        assert "ada@example.com" == again.accounts.get_candidate(cid).contact.email
        assert ["scs-endpoint"] == [a.award_id for a in again.awards.verify_disclosure(code).awards]
        reader = READER
        assert again.entitlements.decide(reader, "global_escalation_process_guide").allowed
        assert again.consent.may_use("s-1", "research").allowed
        assert again.history.verify(cid).ok and again.consent.verify("s-1").ok


def test_program_open_accepts_an_sqlalchemy_url_object(tmp_path: Path) -> None:
    """``Program.open`` takes a ``sqlalchemy.engine.URL`` as well as a string."""
    url = sa.engine.URL.create("sqlite+pysqlite", database=str(tmp_path / "u.db"))
    with Program.open(url, clock=FixedClock(START), options=FAST) as program:
        assert isinstance(program.store, SQLAlchemyStore)
        program.consent.grant("s-1", "research", channel="web_form")
    with Program.open(str(url), clock=FixedClock(START)) as program:
        assert program.consent.may_use("s-1", "research").allowed


def test_host_engine_is_used_with_a_configurable_prefix_and_never_disposed(
    engine: Engine,
) -> None:
    """A program on the host's Engine creates only tables with the chosen prefix, and
    closing the program leaves the engine usable."""
    store = SQLAlchemyStore(engine=engine, table_prefix="symp_")
    with Program(store, clock=FixedClock(START), options=FAST) as program:
        program.consent.grant("s-1", "research", channel="web_form")
    names = set(sa.inspect(engine).get_table_names())
    assert {"app_orders"} == {n for n in names if not n.startswith("symp_")}
    assert set(store.table_names) <= names
    with engine.connect() as conn:
        assert 0 == conn.execute(sa.text("SELECT count(*) FROM app_orders")).scalar()
    with Program.open(engine, clock=FixedClock(START)) as default_prefix:
        assert isinstance(default_prefix.store, SQLAlchemyStore)
        assert all(t.startswith("sp_") for t in default_prefix.store.table_names)
    with engine.connect() as conn:
        assert 0 == conn.execute(sa.text("SELECT count(*) FROM app_orders")).scalar()


@pytest.mark.parametrize("outcome", ["commit", "rollback"])
def test_program_writes_join_the_host_connection_transaction(engine: Engine, outcome: str) -> None:
    """Registering a candidate through ``Program.open(connection)`` is part of the
    host's transaction: committed with the app's own row, or rolled back with it;
    its activation message goes out when the host commits, never on a rollback.

    (The schema exists before the host's write transaction starts, as after a
    deployment step: SQLite allows one writer, so migrating from a second
    connection while the host holds the write lock would wait for it.)"""
    SQLAlchemyStore(engine=engine).close()
    with engine.connect() as conn:
        host = conn.begin()
        conn.execute(sa.text("INSERT INTO app_orders (what) VALUES ('kit')"))
        program = Program.open(conn, clock=FixedClock(START), options=FAST)
        receipt = program.accounts.accept_terms(path="create_account").token
        assert receipt is not None
        program.accounts.register(
            terms_receipt=receipt,
            email="ada@example.com",
            password=PASSWORD,
            given_name="Ada",
            family_name="Lovelace",
            company_name="Analytical Engines",
            partner_company="Babbage & Co",
            preferred_language="en-GB",
        )
        registered = program.accounts.find_by_email("ada@example.com")
        assert registered is not None
        cid = str(registered.candidate_id)
        sent = program.notifier.messages  # type: ignore[attr-defined]
        assert [] == [m for m in sent if m.kind == "activation"]  # not before the host commits
        if outcome == "commit":
            host.commit()
            assert cid == str(last(program, "activation").data["candidate_id"])
        else:
            host.rollback()
            assert [] == [m for m in sent if m.kind == "activation"]
        program.close()
        assert not conn.closed
    with Program(SQLAlchemyStore(engine=engine), clock=FixedClock(START)) as after:
        found = after.accounts.find_by_email("ada@example.com")
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT count(*) FROM app_orders")).scalar()
        if outcome == "commit":
            assert (cid, 1) == (found.candidate_id if found else None, rows)
            assert after.history.verify(cid).ok
        else:
            assert (None, 0) == (found, rows)


HOSTILE = [
    'O\'Brien "Bobby"; DROP TABLE sp_records; --',
    "Zoë Ångström-Łukasiewicz",
    "עברית \u202e override",
    "名前 🧑‍💻",
    "\\x00 not a NUL, a backslash",
    "Robert'); DELETE FROM sp_streams WHERE ('1'='1",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_unicode_round_trips_through_the_sqlalchemy_adapter(
    make_program: ProgramFactory, name: str
) -> None:
    """Names with quotes, SQL, RTL overrides and emoji round-trip unchanged; the tables
    are intact afterwards."""
    with make_program("sqlalchemy") as program:
        receipt = program.accounts.accept_terms(path="create_account").token
        assert receipt is not None
        program.accounts.register(
            terms_receipt=receipt,
            email="ada@example.com",
            password=PASSWORD,
            given_name=name,
            family_name=name,
            company_name=name,
            partner_company=name,
            preferred_language="he",
        )
    with make_program("sqlalchemy") as again:
        found = again.accounts.find_by_email("ada@example.com")
        assert found is not None
        assert (name, name) == (found.contact.given_name, found.contact.company_name)
        assert again.history.verify(found.candidate_id).ok


@pytest.mark.parametrize(
    ("value", "error", "code"),
    [("x" * 10_000, LimitExceeded, "text_too_long"), ("A\x00B", ValidationError, None)],
)
def test_text_limits_are_enforced_with_clear_errors(
    make_program: ProgramFactory, value: str, error: type[Exception], code: str | None
) -> None:
    """Over-long or NUL-bearing names are refused with a SymprogramError naming the field."""
    with make_program("sqlalchemy") as program:
        receipt = program.accounts.accept_terms(path="create_account").token
        with pytest.raises(error) as info:
            program.accounts.register(
                terms_receipt=receipt or "",
                email="ada@example.com",
                password=PASSWORD,
                given_name=value,
                family_name="L",
                company_name="C",
                partner_company="P",
                preferred_language="en",
            )
        assert "given_name" == info.value.field  # type: ignore[attr-defined]
        if code is not None:
            assert code == info.value.code  # type: ignore[attr-defined]
        assert program.accounts.find_by_email("ada@example.com") is None
