"""The read-only reporting views, queried with plain SQL on every SQL backend (issue 19).

A program on each backend (the SQLite adapter, SQLAlchemy on SQLite, and PostgreSQL /
MariaDB when ``SYMPROGRAM_TEST_POSTGRES_URL`` / ``SYMPROGRAM_TEST_MARIADB_URL`` are
set) registers and activates candidates, earns and revokes awards, records consent
and an agreement through ``Program``; each view, read with plain SQL on a
connection of its own, agrees with the services' answers. Erased people do not come
back through the views, the views refuse writes, they are dropped and recreated on
upgrade, and Alembic's autogenerate leaves them alone.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from _programs import ALL, ProgramFactory, add_agreement, db_path
from symprogram import Program
from symprogram.clock import FixedClock
from symprogram.erasure import erase_person
from symprogram.storage._views import VIEWS, create_statements, drop_statements
from symprogram.storage.sqlite import SCHEMA_VERSION as SQLITE_SCHEMA_VERSION
from symprogram.storage.sqlite import SQLiteStore

pytestmark = pytest.mark.backends(*ALL)

PASSWORD = "correct horse battery staple"
#: A month ago, to the second: awards granted then are active now (they last two years).
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)


# -- plain SQL on a connection of its own ------------------------------------------------


def view_names(program: Program) -> dict[str, str]:
    """``{"v_candidates": "<prefix>v_candidates", ...}`` as the store lists them."""
    names: tuple[str, ...] = program.store.view_names  # type: ignore[attr-defined]
    return {view: name for name in names for view in VIEWS if name.endswith(view)}


@contextmanager
def analyst(program: Program) -> Iterator[Any]:
    """A function running one SQL query on a connection of its own: rows as dicts."""
    store: Any = program.store
    if isinstance(store, SQLiteStore):
        with closing(sqlite3.connect(f"file:{store.path}?mode=ro", uri=True)) as conn:

            def run_sqlite(sql: str) -> list[dict[str, Any]]:
                cursor = conn.execute(sql)
                columns = [d[0] for d in cursor.description]
                return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

            yield run_sqlite
        return
    import sqlalchemy as sa

    with store.engine.connect() as conn:

        def run_sa(sql: str) -> list[dict[str, Any]]:
            try:
                return [dict(row._mapping) for row in conn.execute(sa.text(sql))]
            finally:
                conn.rollback()

        yield run_sa


def query(program: Program, view: str, where: str = "") -> list[dict[str, Any]]:
    """Every row of ``view`` (a name without prefix), in a stable order."""
    name = view_names(program)[view]
    with analyst(program) as run:
        rows = run(f"SELECT * FROM {name} {where}")
    return sorted(rows, key=lambda row: tuple(str(v) for v in row.values()))


def instant(value: object) -> datetime | None:
    """A view's instant (ISO text, aware or naive UTC datetime) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime), value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def day(value: object) -> date:
    """A view's date (ISO text or a date)."""
    if isinstance(value, str):
        return date.fromisoformat(value)
    assert isinstance(value, date) and not isinstance(value, datetime), value
    return value


# -- the program's data, through the services -----------------------------------------------


def clock_of(program: Program) -> FixedClock:
    clock = program.clock
    assert isinstance(clock, FixedClock)
    return clock


def register(program: Program, email: str, given: str, family: str) -> str:
    """Register ``email``; return its activation token."""
    receipt = program.accounts.accept_terms(path="create_account")
    assert receipt.token is not None
    program.accounts.register(
        terms_receipt=receipt.token,
        email=email,
        password=PASSWORD,
        given_name=given,
        family_name=family,
        company_name="Analytical Engines",
        partner_company="Babbage & Co",
        preferred_language="en-GB",
    )
    outbox: Any = program.notifier
    return str(outbox.last("activation", to=email).data["token"])


def populate(program: Program) -> dict[str, str]:
    """Two active candidates (one with awards and consent), one pending, an agreement."""
    clock = clock_of(program)
    ada_token = register(program, "ada@example.com", "Ada", "Lovelace")
    # Quotes, backslashes and letters beyond ASCII come out of the JSON unescaped.
    pending_token = register(program, "grace@example.com", 'Grâce \\ "Amazing"', "O'Hopper-Ünal")
    found = program.accounts.find_by_email("grace@example.com")
    assert found is not None and pending_token
    pending = found.candidate_id
    clock.advance(timedelta(hours=1))
    ada = program.accounts.activate(ada_token).candidate_id
    clock.advance(timedelta(hours=1))
    taken = clock.now() - timedelta(days=1)
    program.awards.record_exam_result(ada, "250-315", 85, taken_at=taken)
    program.awards.record_exam_result(ada, "ST0-091", 85, taken_at=taken)
    program.awards.evaluate(ada)
    clock.advance(timedelta(hours=1))
    held = program.awards.awards_of(ada)
    assert len(held) >= 2
    program.awards.revoke(ada, held[0].award_id, reason="exam irregularity")
    consent = program.consent
    consent.grant(ada, "special_offers", channel="web_form", evidence="box 2 ticked")
    clock.advance(timedelta(minutes=5))
    consent.refuse(ada, "newsletters", channel="web_form", evidence="box 3 left empty")
    consent.grant("cust-7", "research", channel="web_form", evidence="survey")
    entitlements = program.entitlements
    entitlements.add_agreement(
        "C-1",
        agreement_id="A-1",
        level="essential_support",
        products=["NetBackup"],
        starts_on=date(2012, 1, 1),
        ends_on=date(2030, 12, 31),
        by="sales",
    )
    entitlements.add_agreement(
        "C-2",
        agreement_id="A-2",
        level="business_critical_services",
        products=["NetBackup"],
        starts_on=date(2013, 1, 1),
        ends_on=date(2031, 6, 30),
        by="sales",
    )
    entitlements.suspend_agreement("A-2", by="finance", reason="unpaid invoice")
    # Erased: not in any view afterwards.
    erased = program.accounts.activate(register(program, "eve@example.com", "Eve", "Secret"))
    consent.grant(erased.candidate_id, "special_offers", channel="web_form", evidence="x")
    erase_person(program, erased.candidate_id, reason="asked to be forgotten")
    return {"ada": ada, "pending": pending, "erased": erased.candidate_id}


@pytest.fixture
def populated(backend: str, make_program: ProgramFactory) -> tuple[Program, dict[str, str]]:
    if backend == "memory":
        pytest.skip("the memory store has no SQL: no views")
    program = make_program(backend, start=START)
    return program, populate(program)


# -- the views agree with the services ------------------------------------------------------


def test_every_view_is_listed_by_the_store(populated: tuple[Program, dict[str, str]]) -> None:
    program, _ = populated
    assert sorted(VIEWS) == sorted(view_names(program))
    for view in VIEWS:
        query(program, view)  # each one reads


def test_candidates(populated: tuple[Program, dict[str, str]]) -> None:
    program, ids = populated
    rows = {row["candidate_id"]: row for row in query(program, "v_candidates")}
    assert {ids["ada"], ids["pending"]} == set(rows)
    for cid, row in rows.items():
        candidate = program.accounts.get_candidate(cid)
        contact = candidate.contact
        assert {
            "status": candidate.status.value,
            "email": contact.email,
            "given_name": contact.given_name,
            "family_name": contact.family_name,
            "preferred_language": contact.preferred_language,
        } == {
            key: row[key]
            for key in ("status", "email", "given_name", "family_name", "preferred_language")
        }
        assert candidate.registered_at == instant(row["registered_at"])
    assert START + timedelta(hours=1) == instant(rows[ids["ada"]]["activated_at"])
    assert rows[ids["pending"]]["activated_at"] is None
    assert "pending_activation" == rows[ids["pending"]]["status"]
    assert "O'Hopper-Ünal" == rows[ids["pending"]]["family_name"]


def test_awards_held(populated: tuple[Program, dict[str, str]]) -> None:
    program, ids = populated
    now = datetime.now(UTC)
    expected = {
        (h.award_id, h.grant_id, h.granted_at, h.expires_at, h.status.value)
        for h in program.awards.awards_of(ids["ada"], at=now)
    }
    rows = query(program, "v_awards_held")
    assert {ids["ada"]} == {row["candidate_id"] for row in rows}
    assert expected == {
        (
            row["award_id"],
            row["grant_id"],
            instant(row["earned_at"]),
            instant(row["expires_at"]),
            row["status"],
        )
        for row in rows
    }
    statuses = sorted(row["status"] for row in rows)
    assert "revoked" in statuses and "active" in statuses
    revoked = [row for row in rows if row["status"] == "revoked"]
    assert [START + timedelta(hours=3)] == [instant(row["revoked_at"]) for row in revoked]


def test_consent_state_per_purpose(populated: tuple[Program, dict[str, str]]) -> None:
    program, ids = populated
    rows = query(program, "v_consent")
    assert {ids["ada"], "cust-7"} == {row["subject"] for row in rows}
    for subject in (ids["ada"], "cust-7"):
        expected = {
            (c.topic, c.channel.value, c.choice.value, c.at, c.policy_version)
            for c in program.consent.receipt(subject).choices
        }
        assert expected == {
            (
                row["purpose"],
                row["channel"],
                row["state"],
                instant(row["decided_at"]),
                row["policy_version"],
            )
            for row in rows
            if row["subject"] == subject
        }
    ada = {row["purpose"]: row["state"] for row in rows if row["subject"] == ids["ada"]}
    assert {"special_offers": "granted", "newsletters": "refused"} == ada


def test_agreements(populated: tuple[Program, dict[str, str]]) -> None:
    program, _ = populated
    rows = query(program, "v_agreements")
    assert ["A-1", "A-2"] == [row["agreement_id"] for row in rows]
    for row in rows:
        agreement = program.entitlements.get_agreement(row["agreement_id"])
        assert (
            agreement.customer_id,
            agreement.level,
            agreement.starts_on,
            agreement.ends_on,
            agreement.status.value,
        ) == (
            row["customer_id"],
            row["service_level"],
            day(row["starts"]),
            day(row["ends"]),
            row["status"],
        )
    assert ["active", "suspended"] == [row["status"] for row in rows]


def test_ids_that_differ_by_case_accent_or_trailing_space_stay_apart(
    populated: tuple[Program, dict[str, str]],
) -> None:
    """Customers ``C-a``, ``C-A``, ``C-á`` and ``C-a `` are four customers to the
    services: on every database a filter on one finds its agreement only and a GROUP BY
    makes four groups (MariaDB's default collation would fold them into one)."""
    program, _ = populated
    for n, customer in enumerate(("C-a", "C-A", "C-á", "C-a ")):
        add_agreement(program.entitlements, customer, agreement_id=f"X-{n}")
    rows = query(program, "v_agreements", "WHERE customer_id = 'C-a'")
    assert ["X-0"] == [row["agreement_id"] for row in rows]
    name = view_names(program)["v_agreements"]
    with analyst(program) as run:
        groups = run(f"SELECT customer_id, count(*) AS n FROM {name} GROUP BY customer_id")
    assert {"C-a", "C-A", "C-á", "C-a "} <= {row["customer_id"] for row in groups}


def test_a_filter_in_plain_sql(populated: tuple[Program, dict[str, str]]) -> None:
    """The documented kind of query: the active awards of one candidate."""
    program, ids = populated
    rows = query(
        program, "v_awards_held", f"WHERE candidate_id = '{ids['ada']}' AND status = 'active'"
    )
    expected = {
        h.award_id
        for h in program.awards.awards_of(ids["ada"], at=datetime.now(UTC))
        if h.status.value == "active"
    }
    assert expected == {row["award_id"] for row in rows}


# -- erasure, writes, upgrades ----------------------------------------------------------------


def test_erased_people_do_not_come_back(populated: tuple[Program, dict[str, str]]) -> None:
    program, ids = populated
    for view in VIEWS:
        for row in query(program, view):
            values = {str(value) for value in row.values()}
            assert ids["erased"] not in values, (view, row)
            assert not {"eve@example.com", "Eve", "Secret"} & values, (view, row)


def test_the_views_refuse_writes(populated: tuple[Program, dict[str, str]]) -> None:
    program, _ = populated
    names = view_names(program)
    store: Any = program.store
    for view, name in names.items():
        before = query(program, view)
        assert before, view
        if isinstance(store, SQLiteStore):
            with closing(sqlite3.connect(store.path)) as conn, pytest.raises(sqlite3.Error):
                conn.execute(f"DELETE FROM {name}")
        else:
            import sqlalchemy as sa

            with store.engine.connect() as conn:
                with pytest.raises(sa.exc.SQLAlchemyError):
                    conn.execute(sa.text(f"DELETE FROM {name}"))
                conn.rollback()
        assert before == query(program, view)


@pytest.mark.backends("sqlite")
def test_a_version_2_sqlite_file_gets_the_views(backend: str, make_program: ProgramFactory) -> None:
    """A file written before the views (schema version 2) gets them on open, and stale
    views of an older release are replaced."""
    program = make_program(backend, start=START)
    ids = populate(program)
    program.close()
    path = db_path(make_program.directory)
    with closing(sqlite3.connect(path)) as conn:
        for statement in drop_statements("sqlite", "sp_"):
            conn.execute(statement)
        conn.execute("CREATE VIEW sp_v_candidates AS SELECT 'stale' AS candidate_id")
        conn.execute("PRAGMA user_version = 2")
        conn.commit()
    reopened = make_program(backend, start=START)
    assert SQLITE_SCHEMA_VERSION == reopened.store.schema_version  # type: ignore[attr-defined]
    rows = query(reopened, "v_candidates")
    assert {ids["ada"], ids["pending"]} == {row["candidate_id"] for row in rows}
    assert len(query(reopened, "v_agreements")) == 2


@pytest.mark.backends("sqlalchemy", "postgresql", "mariadb")
def test_a_version_1_sql_database_gets_the_views(
    backend: str, make_program: ProgramFactory
) -> None:
    """Tables of schema version 1 (before the views) get them when a store opens, and a
    stale view of an older release is replaced."""
    import sqlalchemy as sa

    from symprogram.storage.sqlalchemy import SCHEMA_VERSION, SQLAlchemyStore

    program = make_program(backend, start=START)
    ids = populate(program)
    store: Any = program.store
    prefix, engine = store.table_prefix, store.engine
    with engine.begin() as conn:
        for statement in drop_statements(engine.dialect.name, prefix):
            conn.execute(sa.text(statement))
        conn.execute(sa.text(f"DELETE FROM {prefix}schema WHERE version > 1"))
        conn.execute(sa.text(f"CREATE VIEW {prefix}v_candidates AS SELECT 'stale' AS candidate_id"))
    assert 1 == store.schema_version
    upgraded = SQLAlchemyStore(engine=engine, table_prefix=prefix)
    assert SCHEMA_VERSION == upgraded.schema_version == 3  # 3: views compare by code point
    assert set(upgraded.view_names) <= set(sa.inspect(engine).get_view_names())
    upgraded.close()
    rows = query(program, "v_candidates")
    assert {ids["ada"], ids["pending"]} == {row["candidate_id"] for row in rows}
    assert len(query(program, "v_consent")) == 3


def test_views_for_other_databases_are_not_made() -> None:
    assert () == create_statements("mssql", "sp_") == drop_statements("oracle", "sp_")
    for dialect in ("sqlite", "postgresql", "mariadb", "mysql"):
        made = create_statements(dialect, "sp_")
        assert len(VIEWS) == len(made) == len(drop_statements(dialect, "sp_"))


@pytest.mark.backends("sqlalchemy", "postgresql", "mariadb")
def test_dropping_the_tables_drops_the_views(backend: str, make_program: ProgramFactory) -> None:
    import sqlalchemy as sa

    from symprogram.storage.sqlalchemy import SQLAlchemyStore

    program = make_program(backend, start=START)
    populate(program)
    store: Any = program.store
    engine = store.engine
    names = set(store.view_names)
    other = SQLAlchemyStore(engine=engine, table_prefix=store.table_prefix)
    other.drop_tables()
    inspector = sa.inspect(engine)
    assert not names & set(inspector.get_view_names())
    assert not set(store.table_names) & set(inspector.get_table_names())


# -- Alembic ------------------------------------------------------------------------------------


@pytest.mark.backends("sqlalchemy", "postgresql", "mariadb")
def test_alembic_autogenerate_leaves_the_views_alone(
    backend: str, make_program: ProgramFactory
) -> None:
    """The recipe of docs/howto-alembic.md: nothing about symprogram's tables or views."""
    pytest.importorskip("alembic")
    import sqlalchemy as sa
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    program = make_program(backend, start=START)
    store: Any = program.store
    tables = frozenset(store.metadata.tables)
    views = set(store.view_names)

    def by_metadata(obj: Any, name: Any, type_: Any, reflected: Any, compare_to: Any) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return table is None or table.name not in tables

    def by_prefix(obj: Any, name: Any, type_: Any, reflected: Any, compare_to: Any) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return table is None or not table.name.startswith(store.table_prefix)

    app = sa.MetaData()
    sa.Table(f"app_orders_{store.table_prefix}", app, sa.Column("id", sa.Integer, primary_key=True))
    for include_object in (by_metadata, by_prefix):
        with store.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": include_object})
            diffs = compare_metadata(context, app)
            conn.rollback()
        touched = {
            str(part) for diff in diffs for part in (diff if isinstance(diff, tuple) else ())
        }
        named = {name for name in views | tables if any(name in text for text in touched)}
        assert not named, diffs
        assert any(diff[0] == "add_table" for diff in diffs if isinstance(diff, tuple))


# -- the documented example queries ----------------------------------------------------------

DOCS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "howto-reporting-views.md"
_EXAMPLE = re.compile(r"```sql\n-- on: ([a-z, ]+)\n(.*?)```", re.S)


def documented_queries() -> list[tuple[tuple[str, ...], str]]:
    """``(databases, sql)`` of every example query of docs/howto-reporting-views.md."""
    text = DOCS_PAGE.read_text(encoding="utf-8")
    return [
        (tuple(name.strip() for name in on.split(",")), sql.strip())
        for on, sql in _EXAMPLE.findall(text)
    ]


def test_the_page_has_examples_for_every_database() -> None:
    examples = documented_queries()
    assert len(examples) >= 8
    for database in ("sqlite", "postgresql", "mariadb"):
        assert sum(database in on for on, _ in examples) >= 5, database


def test_the_documented_queries_run(populated: tuple[Program, dict[str, str]]) -> None:
    program, _ = populated
    store: Any = program.store
    database = "sqlite" if isinstance(store, SQLiteStore) else store.engine.dialect.name
    database = "mariadb" if database == "mysql" else database
    prefix = next(iter(store.view_names)).removesuffix(VIEWS[0])
    ran = 0
    for on, sql in documented_queries():
        if database not in on:
            continue
        with analyst(program) as run:
            # SQLAlchemy's text() reads ':name' as a parameter and '%' as a format.
            statement = sql.replace("sp_v_", f"{prefix}v_")
            if database != "sqlite":
                statement = statement.replace(":", r"\:")
            run(statement)
        ran += 1
    assert ran >= 5
