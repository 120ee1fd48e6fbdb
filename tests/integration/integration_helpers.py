"""Shared helpers of the acceptance suite: programs, seeded data, snapshots.

Everything goes through the public API (``Program`` and its services); the only
exceptions are the snapshot (the Store's own transaction scan API) and raw
reads of a SQLite file, which is what an auditor of the file would do.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from _kinds import known_records
from symprogram import Program
from symprogram.accounts import ScryptHasher
from symprogram.clock import FixedClock
from symprogram.errors import SymprogramError

START = datetime(2012, 3, 1, 9, 30, tzinfo=UTC)
PASSWORD = "correct horse battery staple"


def fast_options() -> dict[str, dict[str, Any]]:
    """Program options with a tiny scrypt cost so that tests run fast."""
    return {"accounts": {"hasher": ScryptHasher(n=2**4)}}


def make_program(
    backend: str, tmp_path: Path, *, start: datetime = START, **kwargs: Any
) -> Program:
    """A program on ``memory`` or a ``sqlite`` file under ``tmp_path``, with a FixedClock."""
    clock = FixedClock(start)
    options = kwargs.pop("options", None) or fast_options()
    if backend == "memory":
        return Program.in_memory(clock=clock, options=options, **kwargs)
    return Program.open(f"sqlite:///{db_path(tmp_path)}", clock=clock, options=options, **kwargs)


def db_path(tmp_path: Path) -> Path:
    """The SQLite file of a ``sqlite`` program made by :func:`make_program`."""
    return tmp_path / "program.db"


def clock_of(program: Program) -> FixedClock:
    """The program's FixedClock."""
    clock = program.clock
    assert isinstance(clock, FixedClock)
    return clock


def register(
    program: Program, email: str, *, given_name: str = "Ada", family_name: str = "Lovelace"
) -> str:
    """Accept the terms, register and return the activation token sent for ``email``."""
    receipt = program.accounts.accept_terms(path="create_account")
    assert receipt.token is not None
    program.accounts.register(
        terms_receipt=receipt.token,
        email=email,
        password=PASSWORD,
        given_name=given_name,
        family_name=family_name,
        company_name="Analytical Engines",
        partner_company="Babbage & Co",
        preferred_language="en-GB",
    )
    sent = [
        m
        for m in program.notifier.messages  # type: ignore[attr-defined]
        if m.kind == "activation" and m.to == email
    ]
    assert sent, f"no activation message for {email}"
    token = sent[-1].data["token"]
    assert isinstance(token, str)
    return token


def register_active(program: Program, email: str, **names: str) -> str:
    """Register and activate; return the candidate ID."""
    return program.accounts.activate(register(program, email, **names)).candidate_id


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
    accounts.record_score_report(
        registration_number="REG-0001",
        exam_code="250-315",
        candidate_name="Ada Lovelace",
        email="ada@example.com",
        score=85,
        passing_score=70,
        exam_date=date(2012, 2, 1),
        test_centre="London",
    )
    incident = accounts.open_incident(cid, title="Kit", body="Where is my kit?")
    awards.record_exam_result(cid, "250-315", 85, taken_at=clock.now() - timedelta(days=20))
    awards.evaluate(cid)
    published = awards.publish(cid, ["scs-endpoint"], "hiring@example.com")
    kit = awards.kits_of(cid)[0]
    ent = program.entitlements
    ent.add_agreement(
        "C-1",
        agreement_id="A-1",
        level="essential_support",
        products=["NetBackup"],
        starts_on=date(2012, 1, 1),
        ends_on=date(2012, 12, 31),
        by="sales",
    )
    grant = ent.grant_entitlement(
        "C-1",
        kind="courtesy",
        level="business_critical_services",
        products=["NetBackup"],
        starts_on=date(2012, 1, 1),
        ends_on=date(2012, 6, 30),
        reason="goodwill",
        approver="manager",
        by="staff",
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


def snapshot(program: Program, sqlite_file: Path | None = None) -> dict[str, Any]:
    """Every record of every known kind and every stream, read through the Store's
    transaction scan API (plus the unique index, read from the file, for SQLite)."""
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
    if sqlite_file is not None:
        result["index"] = sorted(raw_rows(sqlite_file, "sp_index"))
    return result


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


def iter_history_ok(program: Program, subjects: Iterator[str]) -> list[str]:
    """The subjects whose account history does not verify."""
    return [s for s in subjects if not program.history.verify(s).ok]


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
