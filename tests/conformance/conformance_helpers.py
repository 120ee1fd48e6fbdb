"""Helpers of the conformance suite: programs on every built-in backend, through the
public API only (``Program`` and its services), plus raw reads of a SQLite file."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from symprogram import Program
from symprogram.accounts import ScryptHasher
from symprogram.clock import FixedClock
from symprogram.notify import Message, Outbox

START = datetime(2012, 3, 1, 9, 30, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
BACKENDS = ("memory", "sqlite", "sqlalchemy")


def make_program(
    backend: str,
    tmp_path: Path,
    *,
    start: datetime = START,
    options: dict[str, dict[str, Any]] | None = None,
    **kwargs: Any,
) -> Program:
    """A program with a FixedClock on ``memory``, a ``sqlite`` file or the
    SQLAlchemy adapter on a SQLite file (``sqlalchemy``)."""
    clock = FixedClock(start)
    merged: dict[str, dict[str, Any]] = {"accounts": {"hasher": ScryptHasher(n=2**4)}}
    for name, values in (options or {}).items():
        merged.setdefault(name, {}).update(values)
    if backend == "memory":
        return Program.in_memory(clock=clock, options=merged, **kwargs)
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'program.db'}"
    else:
        url = f"sqlite+pysqlite:///{tmp_path / 'program-sa.db'}"
    return Program.open(url, clock=clock, options=merged, **kwargs)


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


def register(program: Program, email: str, *, terms_receipt: str | None = None) -> str:
    """Accept the terms (unless a receipt is given), register, return the activation token."""
    if terms_receipt is None:
        receipt = program.accounts.accept_terms(path="create_account")
        assert receipt.token is not None
        terms_receipt = receipt.token
    program.accounts.register(
        terms_receipt=terms_receipt,
        email=email,
        password=PASSWORD,
        given_name="Ada",
        family_name="Lovelace",
        company_name="Analytical Engines",
        partner_company="Babbage & Co",
        preferred_language="en-GB",
    )
    token = last(program, "activation", to=email).data["token"]
    assert isinstance(token, str)
    return token


def register_active(program: Program, email: str = "ada@example.com") -> str:
    """Register and activate; return the candidate ID."""
    return program.accounts.activate(register(program, email)).candidate_id


def record_report(program: Program, number: str = "REG-0001") -> None:
    """Record Ada's exam score report before any account claims it."""
    program.accounts.record_score_report(
        registration_number=number,
        exam_code="250-315",
        candidate_name="Ada Lovelace",
        email="ada@example.com",
        score=85,
        passing_score=70,
        exam_date=date(2012, 2, 1),
        test_centre="London",
    )


def earn_scs_endpoint(program: Program, cid: str) -> None:
    """The candidate passes 250-315 and ST0-091 and earns SCS Endpoint and the STS
    Endpoint it includes."""
    taken = clock_of(program).now() - timedelta(days=1)
    program.awards.record_exam_result(cid, "250-315", 85, taken_at=taken)
    program.awards.record_exam_result(cid, "ST0-091", 85, taken_at=taken)
    program.awards.evaluate(cid)


def snapshot(program: Program) -> dict[str, Any]:
    """Every record of every kind and every stream, through the Store's scan API."""
    records: dict[tuple[str, str], tuple[int, str]] = {}
    streams: dict[str, list[Any]] = {}
    with program.store.transaction(readonly=True) as tx:
        kinds = {
            "account_credential", "account_request_log", "award_candidate", "award_disclosure",
            "award_kit", "candidate", "consent_file", "consent_policy", "consent_state",
            "entitlements_case", "entitlements_customer", "entitlements_product", "incident",
            "ledger_head", "score_report", "terms_acceptance", "token", "token_generation",
        }  # fmt: skip
        for kind in sorted(kinds):
            for record in tx.scan(kind, limit=100_000):
                records[(kind, record.key)] = (record.version, record.data)
        for name in tx.streams(limit=100_000):
            streams[name] = tx.read(name)
    return {"records": records, "streams": streams}


def sql(path: Path, *statements: str) -> None:
    """Run statements against a SQLite file directly (the tamperer's tool)."""
    with closing(sqlite3.connect(path)) as conn:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
