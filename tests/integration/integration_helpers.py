"""Shared helpers of the integration journeys: seeded data, messages, snapshots.

Everything goes through the public API (``Program`` and its services); the only
exceptions are the snapshot (the Store's own transaction scan API, plus the raw
unique index of the SQL backends) and raw reads of a SQLite file, which is what an
auditor of the file would do. Programs come from the ``program`` / ``make_program``
fixtures of ``tests/conftest.py`` (built in ``tests/_programs.py``).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from _kinds import known_records
from _programs import START, add_agreement, add_grant, fast_options, record_report
from symprogram import Program
from symprogram.clock import FixedClock
from symprogram.entitlements import Reader
from symprogram.errors import SymprogramError
from symprogram.notify import Message, Outbox

PASSWORD = "correct horse battery staple"

#: Seed 001's public document and the documents gated from 2011-01-15.
POLICY = "technical_support_policy"
ES_HANDBOOK = "essential_support_basic_maintenance_handbook"
BCS_HANDBOOK = "business_critical_services_handbook"
GATED = (
    ES_HANDBOOK,
    BCS_HANDBOOK,
    "global_escalation_process_guide",
    "remote_access_standard_terms",
    "local_language_support_table",
)
#: The logged-in reader of customer C-1 (the customer the journeys give agreements).
READER = Reader("C-1", logged_in=True)


def clock_of(program: Program) -> FixedClock:
    """The program's FixedClock."""
    clock = program.clock
    assert isinstance(clock, FixedClock)
    return clock


def outbox_of(program: Program) -> Outbox:
    """The program's in-memory outbox."""
    outbox = program.notifier
    assert isinstance(outbox, Outbox)
    return outbox


def last(program: Program, kind: str, to: str | None = None) -> Message:
    """The newest message of ``kind`` (to ``to``)."""
    return outbox_of(program).last(kind, to=to)


def register(
    program: Program,
    email: str,
    *,
    terms_receipt: str | None = None,
    given_name: str = "Ada",
    family_name: str = "Lovelace",
) -> str:
    """Accept the terms (unless a receipt is given), register and return the activation
    token sent for ``email``."""
    if terms_receipt is None:
        receipt = program.accounts.accept_terms(path="create_account")
        assert receipt.token is not None
        terms_receipt = receipt.token
    program.accounts.register(
        terms_receipt=terms_receipt,
        email=email,
        password=PASSWORD,
        given_name=given_name,
        family_name=family_name,
        company_name="Analytical Engines",
        partner_company="Babbage & Co",
        preferred_language="en-GB",
    )
    sent = [m for m in outbox_of(program).messages if m.kind == "activation" and m.to == email]
    assert sent, f"no activation message for {email}"
    token = sent[-1].data["token"]
    assert isinstance(token, str)
    return token


def register_active(program: Program, email: str = "ada@example.com", **names: str) -> str:
    """Register and activate; return the candidate ID."""
    return program.accounts.activate(register(program, email, **names)).candidate_id


def earn_scs_endpoint(program: Program, cid: str) -> None:
    """The candidate passes 250-315 and ST0-091 and earns SCS Endpoint and the STS
    Endpoint it includes."""
    taken = clock_of(program).now() - timedelta(days=1)
    program.awards.record_exam_result(cid, "250-315", 85, taken_at=taken)
    program.awards.record_exam_result(cid, "ST0-091", 85, taken_at=taken)
    program.awards.evaluate(cid)


@dataclass
class Seeded:
    """Ids of a program seeded with one of everything."""

    program: Program
    cid: str
    code: str
    disclosure_id: str
    kit_id: str
    incident_id: str
    grant_id: str
    extra: dict[str, str] = field(default_factory=dict)


def seed(program: Program) -> Seeded:
    """One active candidate with an award, a kit, a disclosure, an incident, a score
    report; one customer with an agreement, a grant and a case; one consent subject."""
    clock = clock_of(program)
    cid = register_active(program, "ada@example.com")
    accounts, awards = program.accounts, program.awards
    record_report(program)
    incident = accounts.open_incident(cid, title="Kit", body="Where is my kit?")
    awards.record_exam_result(cid, "250-315", 85, taken_at=clock.now() - timedelta(days=20))
    awards.evaluate(cid)
    published = awards.publish(cid, ["scs-endpoint"], "hiring@example.com")
    kit = awards.kits_of(cid)[0]
    ent = program.entitlements
    add_agreement(ent)
    grant = add_grant(
        ent, level="business_critical_services", ends_on=date(2012, 6, 30), reason="goodwill"
    )
    ent.open_case(
        "C-1", case_id="K-1", product="NetBackup", severity="high", summary="down", by="me"
    )
    consent = program.consent
    consent.grant("s1", "special_offers", channel="web_form", evidence="box 2 ticked")
    consent.record_personal_data("s1", "order", {"name": "Ada Lovelace"})
    return Seeded(
        program,
        cid,
        published.code,
        published.disclosure.disclosure_id,
        kit.kit_id,
        incident.incident_id,
        grant.grant_id,
    )


def snapshot(program: Program) -> dict[str, Any]:
    """Every record of every known kind and every stream, read through the Store's
    transaction scan API, plus the raw unique index of a SQLite or SQLAlchemy store."""
    records: dict[tuple[str, str], tuple[int, str]] = {}
    streams: dict[str, list[tuple[int, str]]] = {}
    with program.store.transaction(readonly=True) as tx:
        for kind, record in known_records(tx):
            records[(kind, record.key)] = (record.version, record.data)
        after: str | None = None
        while True:
            names = tx.streams(after=after, limit=500)
            for name in names:
                streams[name] = tx.read(name)
            if len(names) < 500:
                break
            after = names[-1]
    result: dict[str, Any] = {"records": records, "streams": streams}
    index = raw_index(program)
    if index is not None:
        result["index"] = index
    return result


def raw_index(program: Program) -> list[tuple[Any, ...]] | None:
    """The rows of the unique-index table of a SQL store, sorted (None in memory)."""
    from symprogram.storage.sqlite import SQLiteStore

    store = program.store
    if isinstance(store, SQLiteStore):
        if store.path == ":memory:":
            return None
        return sorted(raw_rows(Path(store.path), "sp_index"))
    try:
        from symprogram.storage.sqlalchemy import SQLAlchemyStore
    except ImportError:  # pragma: no cover - the test extra installs SQLAlchemy
        return None
    if not isinstance(store, SQLAlchemyStore):
        return None
    import sqlalchemy as sa

    table = next(t for t in store.metadata.sorted_tables if t.name.endswith("index"))
    with store.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.select(table)))


def raw_rows(path: Path, table: str) -> list[tuple[Any, ...]]:
    """All rows of a table of a SQLite file, read with sqlite3 directly."""
    with closing(sqlite3.connect(path)) as conn:
        return list(conn.execute(f"SELECT * FROM {table}"))


def sql(path: Path, *statements: str, params: tuple[Any, ...] = ()) -> None:
    """Run statements against a SQLite file directly (the tamperer's tool)."""
    with closing(sqlite3.connect(path)) as conn:
        for statement in statements:
            conn.execute(statement, params if "?" in statement else ())
        conn.commit()


def expect_symprogram_error_or_success(call: Any) -> SymprogramError | None:
    """Run ``call``; return the SymprogramError it raised (None if it succeeded).

    Any other exception propagates and fails the test.
    """
    try:
        call()
    except SymprogramError as exc:
        assert isinstance(exc.code, str) and exc.code, f"empty code on {exc!r}"  # noqa: PT017
        return exc
    return None


def process_worker(path: str, worker: int, count: int) -> list[str]:
    """Run in a child process: register ``count`` candidates and write consent.

    Opens its own Program on the shared SQLite file; returns the candidate IDs.
    """
    clock = FixedClock(START)
    ids: list[str] = []
    with Program.open(f"sqlite:///{path}", clock=clock, options=fast_options()) as program:
        for n in range(count):
            email = f"p{worker}-{n}@example.com"
            ids.append(register_active(program, email))
            program.consent.grant("shared", "research", channel="web_form", evidence=email)
            program.consent.withdraw("shared", "research", channel="phone")
            program.consent.grant(f"proc-{worker}-{n}", "special_offers", channel="web_form")
            # a contended address: every worker tries to register it
            register_same = program.accounts.accept_terms(path="create_account")
            program.accounts.register(
                terms_receipt=register_same.token or "",
                email="contended@example.com",
                password=PASSWORD,
                given_name="Con",
                family_name="Tended",
                company_name="C",
                partner_company="P",
                preferred_language="en",
            )
    return ids
