"""One benchmark measurement per process: ``python -m benchmarks.worker TASK JSON-ARGS``.

Prints one JSON line with the figures (seconds) and this process's peak RSS.
"""

from __future__ import annotations

import json
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from benchmarks._harness import peak_rss_mb, per_call, timed

NOW = datetime(2012, 3, 1, tzinfo=UTC)
DOC = "essential_support_basic_maintenance_handbook"


def _clock() -> Any:
    from symprogram.clock import FixedClock

    return FixedClock(NOW)


def _store(backend: str, path: str | None = None) -> Any:
    if backend == "memory":
        from symprogram.storage.memory import MemoryStore

        return MemoryStore()
    if backend == "sqlite":
        from symprogram.storage.sqlite import SQLiteStore

        return SQLiteStore(path or str(Path(tempfile.mkdtemp()) / "bench.db"))
    from symprogram.storage.sqlalchemy import SQLAlchemyStore

    return SQLAlchemyStore.from_url(backend)


def _customer(i: int) -> str:
    return f"C-{i:07d}"


def _subject(i: int) -> str:
    return f"subj-{i:07d}"


# -- decisions ----------------------------------------------------------------------
def decisions(size: int, backend: str, number: int) -> dict[str, Any]:
    """Warm and population-wide decide / may_use / progress against the floor."""
    from symprogram.awards import AwardsService, KitAddress, StaticCandidateDirectory
    from symprogram.consent import ConsentService, ConsentSettings
    from symprogram.entitlements import EntitlementsService, Reader
    from symprogram.history import AccountHistory
    from symprogram.notify import Outbox

    store = _store(backend)
    clock = _clock()
    ent = EntitlementsService(store, clock)
    con = ConsentService(store, clock, settings=ConsentSettings(policy="opt_in"))
    people = StaticCandidateDirectory()
    awards = AwardsService(
        store, clock, history=AccountHistory(store), notifier=Outbox(), candidates=people
    )
    seed = time.perf_counter()
    for start in range(0, size, 10_000):
        # One outer unit of work per 10k: the services' own units of work join it.
        with store.transaction():
            for i in range(start, min(size, start + 10_000)):
                ent.add_agreement(
                    _customer(i),
                    agreement_id=f"A-{i}",
                    level="essential_support",
                    products=["Backup Exec"],
                    starts_on=date(2012, 1, 1),
                    ends_on=date(2012, 12, 31),
                    by="sales",
                )
                if i % 2:
                    con.grant(_subject(i), "special_offers", channel="web_form", evidence="box")
                else:
                    con.refuse(_subject(i), "special_offers", channel="web_form", evidence="box")
    seed_s = time.perf_counter() - seed
    people.add("c-1", KitAddress("Ada", "ada@example.com", ("1 Main St", "Springfield")))
    awards.record_exam_result("c-1", "ST0-091", 82, taken_at=NOW)

    table = {"k": 1}

    def f(x: object) -> object:
        return x

    reader = Reader(_customer(0), logged_in=True)
    subject = _subject(1)
    rng = random.Random(9)
    population = [rng.randrange(size) for _ in range(4096)]
    readers = [Reader(_customer(i), logged_in=True) for i in population]
    subjects = [_subject(i) for i in population]
    it_r = iter(())
    it_s = iter(())

    def decide_population() -> object:
        nonlocal it_r
        try:
            who = next(it_r)
        except StopIteration:
            it_r = iter(readers)
            who = next(it_r)
        return ent.decide(who, DOC, "ja")

    def may_use_population() -> object:
        nonlocal it_s
        try:
            who = next(it_s)
        except StopIteration:
            it_s = iter(subjects)
            who = next(it_s)
        return con.may_use(who, "special_offers")

    def it_floor() -> object:
        # The same iterator plumbing as the population loops, without the work.
        nonlocal it_s
        try:
            who = next(it_s)
        except StopIteration:
            it_s = iter(subjects)
            who = next(it_s)
        return f(table.get(who))

    assert ent.decide(reader, DOC, "ja").allowed
    assert con.may_use(_subject(1), "special_offers").allowed
    # The same questions through services on the system clock: every call is asked
    # about a new instant (the seeded agreements have ended by now: a warm "no").
    from symprogram.clock import SystemClock

    ent_now = EntitlementsService(store, SystemClock())
    con_now = ConsentService(store, SystemClock(), settings=ConsentSettings(policy="opt_in"))
    ops: dict[str, Callable[[], object]] = {
        "floor": lambda: f(table["k"]),
        # What a warm answer asks the store: has anything been committed since?
        "change_token": store.change_token,
        "decide_warm": lambda: ent.decide(reader, DOC, "ja"),
        "may_use_warm": lambda: con.may_use(subject, "special_offers"),
        "decide_warm_system_clock": lambda: ent_now.decide(reader, DOC, "ja"),
        "may_use_warm_system_clock": lambda: con_now.may_use(subject, "special_offers"),
        "progress_warm": lambda: awards.progress("c-1", "sts-endpoint"),
        "floor_population": it_floor,
        "decide_population": decide_population,
        "may_use_population": may_use_population,
    }
    out: dict[str, Any] = {"seed_s": seed_s}
    for name, op in ops.items():
        n = number * (10 if name.startswith("floor") else 1)
        out[name] = per_call(op, number=n)
    out["peak_rss_mb"] = peak_rss_mb()
    store.close()
    return out


# -- registration -----------------------------------------------------------------------
def _emails(size: int) -> list[str]:
    return [f"Candidate.{i}@Example{i % 97}.com" for i in range(size)]


def _copy_rows(src: str) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(src)
    try:
        return {
            # In key order: the baseline's best case (a B-tree filled in order).
            "sp_records": conn.execute(
                "SELECT kind, key, version, data FROM sp_records ORDER BY kind, key"
            ).fetchall(),
            "sp_index": conn.execute(
                "SELECT name, value, key FROM sp_index ORDER BY name, value"
            ).fetchall(),
            "sp_streams": conn.execute(
                "SELECT stream, position, data FROM sp_streams ORDER BY stream, position"
            ).fetchall(),
        }
    finally:
        conn.close()


def _raw_insert(path: str, rows: dict[str, list[tuple[Any, ...]]]) -> float:
    """Hand-written sqlite3: same schema and pragmas, executemany in one transaction."""
    from symprogram.storage.sqlite import _MIGRATIONS

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    for migration in _MIGRATIONS:  # the very schema symprogram's file has
        for statement in migration:
            conn.execute(statement)
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO sp_records (kind, key, version, data) VALUES (?, ?, ?, ?)", rows["sp_records"]
    )
    conn.executemany("INSERT INTO sp_index (name, value, key) VALUES (?, ?, ?)", rows["sp_index"])
    conn.executemany(
        "INSERT INTO sp_streams (stream, position, data) VALUES (?, ?, ?)", rows["sp_streams"]
    )
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def _bulk_rows(emails: list[str]) -> list[Any]:
    """``BulkCandidate`` rows built from the raw fields (validation included)."""
    from symprogram.accounts import ContactDetails
    from symprogram.accounts.service import BulkCandidate

    return [
        BulkCandidate(
            ContactDetails(
                email=email,
                given_name="Ann",
                family_name="Lee",
                company_name="Acme Storage",
                partner_company="Acme Partner",
                preferred_language="de",
            )
        )
        for email in emails
    ]


def register(size: int, mode: str, scrypt_n: int | None, batch: int = 1000) -> dict[str, Any]:
    """Register ``size`` candidates into a fresh SQLite file through the public API.

    ``mode``: ``per_call`` (accept_terms + register, each its own unit of work),
    ``batched`` (the same calls, ``batch`` of them joined in one outer unit of work)
    or ``bulk`` (``AccountsService.register_many`` of ``BulkCandidate`` rows built from
    the raw fields, timed from the raw fields: row validation included; no password,
    as the CSV importer does).
    ``scrypt_n``: the ScryptHasher cost (``None``: the library default, 2**15).

    The activation messages go to an ``Outbox`` that is emptied after every unit of
    work (as the CSV importer does): a host application hands them on, it does not
    keep 100k of them in memory.
    """
    from email_validator import validate_email

    from symprogram import Program
    from symprogram.accounts.passwords import ScryptHasher
    from symprogram.notify import Outbox
    from symprogram.storage.sqlite import SQLiteStore

    workdir = Path(tempfile.mkdtemp())
    emails = _emails(size)
    hasher = ScryptHasher() if scrypt_n is None else ScryptHasher(n=scrypt_n)
    outbox = Outbox()
    program = Program(
        SQLiteStore(workdir / "sym.db"),
        clock=_clock(),
        notifier=outbox,
        options={"accounts": {"hasher": hasher}},
    )
    accounts = program.accounts

    def one(email: str) -> None:
        receipt = accounts.accept_terms(path="create_account")
        accounts.register(
            terms_receipt=receipt.token,  # type: ignore[arg-type]
            email=email,
            password="Tr0ub4dor&3-horse-staple",
            given_name="Ann",
            family_name="Lee",
            company_name="Acme Storage",
            partner_company="Acme Partner",
            preferred_language="de",
        )

    def run() -> None:
        if mode == "per_call":
            for email in emails:
                one(email)
                outbox.clear()
        elif mode == "batched":
            for start in range(0, size, batch):
                with program.store.transaction():
                    for email in emails[start : start + batch]:
                        one(email)
                outbox.clear()
        else:
            for start in range(0, size, batch):
                accounts.register_many(_bulk_rows(emails[start : start + batch]), batch_size=batch)
                outbox.clear()

    elapsed = timed(run)
    # Peak RSS of the registration itself, before the baseline copies every row out.
    run_rss = peak_rss_mb()
    hash_s = timed(lambda: [hasher.hash("Tr0ub4dor&3-horse-staple") for _ in range(min(size, 20))])
    program.close()
    rows = _copy_rows(str(workdir / "sym.db"))
    validate_s = timed(
        lambda: [validate_email(e, check_deliverability=False).normalized for e in emails]
    )
    raw_s = _raw_insert(str(workdir / "raw.db"), rows)
    return {
        "symprogram_s": elapsed,
        "validate_s": validate_s,
        "raw_executemany_s": raw_s,
        "rows": {k: len(v) for k, v in rows.items()},
        "hash_s_per_call": hash_s / min(size, 20),
        "peak_rss_mb": run_rss,
        "peak_rss_total_mb": peak_rss_mb(),
    }


def register_pg(size: int, url: str, batch: int = 1000) -> dict[str, Any]:
    """``register_many`` of ``size`` candidates into PostgreSQL (SQLAlchemy adapter).

    Baseline: ``validate_email`` alone on the same addresses, plus the very rows
    symprogram wrote (copied back out) inserted with psycopg ``executemany`` and,
    separately, with ``COPY``, each in one transaction into same-shaped tables.
    The tables must be empty before the call (the runner drops them).
    """
    import psycopg
    from email_validator import validate_email

    from symprogram import Program
    from symprogram.notify import Outbox
    from symprogram.storage.sqlalchemy import SQLAlchemyStore

    emails = _emails(size)
    outbox = Outbox()
    program = Program(SQLAlchemyStore.from_url(url), clock=_clock(), notifier=outbox)
    accounts = program.accounts

    def run() -> None:
        for start in range(0, size, batch):
            accounts.register_many(_bulk_rows(emails[start : start + batch]), batch_size=batch)
            outbox.clear()

    elapsed = timed(run)
    # Peak RSS of the registration itself, before the baseline copies every row out.
    run_rss = peak_rss_mb()
    program.close()
    validate_s = timed(
        lambda: [validate_email(e, check_deliverability=False).normalized for e in emails]
    )
    tables = ("sp_records", "sp_index", "sp_streams")
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = {t: conn.execute(f"SELECT * FROM {t}").fetchall() for t in tables}
        for t in tables:
            conn.execute(f"DROP TABLE IF EXISTS raw_{t}")
            conn.execute(f"CREATE TABLE raw_{t} (LIKE {t} INCLUDING ALL)")
        start = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur:
            for t in tables:
                marks = ", ".join(["%s"] * len(rows[t][0]))
                cur.executemany(f"INSERT INTO raw_{t} VALUES ({marks})", rows[t])
        executemany_s = time.perf_counter() - start
        for t in tables:
            conn.execute(f"TRUNCATE raw_{t}")
        start = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur:
            for t in tables:
                with cur.copy(f"COPY raw_{t} FROM STDIN") as copy:
                    for row in rows[t]:
                        copy.write_row(row)
        copy_s = time.perf_counter() - start
        for t in tables:
            conn.execute(f"DROP TABLE raw_{t}")
    return {
        "symprogram_s": elapsed,
        "validate_s": validate_s,
        "executemany_s": executemany_s,
        "copy_s": copy_s,
        "rows": {t: len(v) for t, v in rows.items()},
        "peak_rss_mb": run_rss,
        "peak_rss_total_mb": peak_rss_mb(),
    }


# -- serialization --------------------------------------------------------------------
def serialization(number: int) -> dict[str, Any]:
    """JSON round trip of equivalent models: symprogram (generated code on cattrs), cattrs
    alone, pydantic v2, msgspec; and symprogram's each direction with and without the
    generated code."""
    from benchmarks import models

    runs = {
        f"{name}:{label}": fn
        for table in (models.cases(), models.one_way())
        for name, cases in table.items()
        for label, fn in cases.items()
    }
    # Every case once per round, three rounds; each keeps its best median, so that a
    # burst of load from other processes does not favour whichever case ran before it.
    out: dict[str, Any] = {}
    for _ in range(3):
        for key, fn in runs.items():
            median = per_call(fn, number=number, warmup=200, clock=time.thread_time)
            out[key] = min(out.get(key, median), median)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


# -- audience ----------------------------------------------------------------------------
def audience_seed(size: int, url: str, batch: int = 5000) -> dict[str, Any]:
    """Give ``size`` subjects a consent choice (odd: granted, even: refused)."""
    from symprogram.consent import ConsentService, ConsentSettings

    store = _store("sqlite", url) if not url.startswith(("postgresql", "mysql")) else _store(url)
    con = ConsentService(store, _clock(), settings=ConsentSettings(policy="opt_in"))

    def seed() -> None:
        for start in range(0, size, batch):
            with store.transaction():
                for i in range(start, min(size, start + batch)):
                    if i % 2:
                        con.grant(_subject(i), "special_offers", channel="web_form", evidence="b")
                    else:
                        con.refuse(_subject(i), "special_offers", channel="web_form", evidence="b")

    elapsed = timed(seed)
    store.close()
    return {"seed_s": elapsed, "peak_rss_mb": peak_rss_mb()}


def audience_copy(src: str, url: str) -> dict[str, Any]:
    """Copy a seeded SQLite file's rows into a fresh PostgreSQL schema with ``COPY``.

    Seeding PostgreSQL through the API at 1M subjects would take most of an hour of
    round trips; the rows are the very ones symprogram wrote (both adapters share the
    table layout), and the seed is not what is measured.
    """
    import psycopg

    from symprogram.storage.sqlalchemy import SQLAlchemyStore

    SQLAlchemyStore.from_url(url).close()  # creates and migrates the schema
    start = time.perf_counter()
    source = sqlite3.connect(src)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        for table, columns in (
            ("sp_records", "kind, key, version, data"),
            ("sp_index", "name, value, key"),
            ("sp_streams", "stream, position, data"),
        ):
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in source.execute(f"SELECT {columns} FROM {table}"):
                    copy.write_row(row)
        cur.execute("ANALYZE")
    source.close()
    return {"seed_s": time.perf_counter() - start, "peak_rss_mb": peak_rss_mb()}


def audience_query(url: str, how: str) -> dict[str, Any]:
    """Stream the audience of special_offers: ``iter_audience()`` or hand-written SQL."""
    count = 0
    if how == "symprogram":
        from symprogram.consent import ConsentService, ConsentSettings

        pg = url.startswith("postgresql")
        store = _store(url) if pg else _store("sqlite", url)
        con = ConsentService(store, _clock(), settings=ConsentSettings(policy="opt_in"))
        with store.transaction(readonly=True):
            pass  # connect before the timer starts, as the SQL baselines do
        start = time.perf_counter()
        for _ in con.iter_audience("special_offers", batch=1000):
            count += 1
        elapsed = time.perf_counter() - start
        store.close()
    elif how == "sql_sqlite":
        conn = sqlite3.connect(url)
        start = time.perf_counter()
        cursor = conn.execute(
            "SELECT key FROM sp_records WHERE kind = 'consent_state' "
            "AND json_extract(data, '$.erased_at') IS NULL AND EXISTS ("
            "  SELECT 1 FROM json_each(data, '$.choices') "
            "  WHERE json_extract(value, '$.topic') = 'special_offers' "
            "  AND json_extract(value, '$.choice') = 'granted') ORDER BY key"
        )
        for _ in cursor:
            count += 1
        elapsed = time.perf_counter() - start
        conn.close()
    else:  # sql_postgres: psycopg, server-side cursor
        import psycopg

        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn) as conn:
            start = time.perf_counter()
            with conn.cursor(name="audience") as cur:
                cur.itersize = 1000
                cur.execute(
                    "SELECT key FROM sp_records WHERE kind = 'consent_state' "
                    "AND (data::jsonb -> 'erased_at') = 'null'::jsonb AND EXISTS ("
                    "  SELECT 1 FROM jsonb_array_elements(data::jsonb -> 'choices') c "
                    "  WHERE c ->> 'topic' = 'special_offers' AND c ->> 'choice' = 'granted')"
                    " ORDER BY key"
                )
                for _ in cur:
                    count += 1
            elapsed = time.perf_counter() - start
    return {"s": elapsed, "count": count, "peak_rss_mb": peak_rss_mb()}


# -- history -------------------------------------------------------------------------------
def history_verify(size: int, backend: str) -> dict[str, Any]:
    """Append ``size`` entries to one subject's history, then verify() it (median of 3)."""
    from symprogram.events import DomainEvent
    from symprogram.history import AccountHistory

    store = _store(backend)
    history = AccountHistory(store)
    start = time.perf_counter()
    for chunk in range(0, size, 10_000):
        with store.transaction() as tx:
            for _ in range(chunk, min(size, chunk + 10_000)):
                history.record(tx, DomainEvent("SP-1", NOW))
    append_s = time.perf_counter() - start
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        assert history.verify("SP-1").ok
        runs.append(time.perf_counter() - t)
    runs.sort()
    store.close()
    return {"append_s": append_s, "verify_s": runs[1], "peak_rss_mb": peak_rss_mb()}


def anchors_verify(size: int, backend: str) -> dict[str, Any]:
    """``history.verify_all()`` over ``size`` bulk-registered accounts, with and without
    the candidate anchor check (best of 3 each, alternated)."""
    from symprogram import Program
    from symprogram.history import AccountHistory
    from symprogram.notify import Outbox

    store = _store(backend)
    program = Program(store, clock=_clock(), notifier=Outbox())
    emails = _emails(size)
    for start in range(0, size, 10_000):
        program.accounts.register_many(_bulk_rows(emails[start : start + 10_000]))
    plain = AccountHistory(store)  # the same ledger, no anchor check
    with_s, without_s = [], []
    for _ in range(3):
        t = time.perf_counter()
        assert not list(program.history.verify_all())
        with_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        assert not list(plain.verify_all())
        without_s.append(time.perf_counter() - t)
    program.close()
    return {"with_s": min(with_s), "without_s": min(without_s), "peak_rss_mb": peak_rss_mb()}


def register_profile(size: int, batch: int = 1000, top: int = 18) -> dict[str, Any]:
    """Where ``register_many`` into a fresh SQLite file spends its time (cProfile).

    Returns the wall time without the profiler, the profiled total, the time inside
    ``sqlite3``'s own calls (C: ``execute``, ``executemany``, ``fetchall``...), and the
    ``top`` symprogram functions by cumulative time (overlapping: a function's time
    includes its callees') with their calls per candidate.
    """
    import cProfile
    import pstats

    from symprogram import Program
    from symprogram.notify import Outbox
    from symprogram.storage.sqlite import SQLiteStore

    emails = _emails(size)

    def run_once() -> Callable[[], None]:
        workdir = Path(tempfile.mkdtemp())
        outbox = Outbox()
        program = Program(SQLiteStore(workdir / "sym.db"), clock=_clock(), notifier=outbox)

        def run() -> None:
            for start in range(0, size, batch):
                rows = _bulk_rows(emails[start : start + batch])
                program.accounts.register_many(rows, batch_size=batch)
                outbox.clear()
            program.close()

        return run

    plain_s = timed(run_once())
    profiler = cProfile.Profile()
    run = run_once()
    profiler.enable()
    run()
    profiler.disable()
    stats = pstats.Stats(profiler)
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = max(ct for (_, _, _), (_, _, _, ct, _) in table.items())
    sqlite_s = sum(
        tt
        for (filename, _, name), (_, _, tt, _, _) in table.items()
        if filename == "~" and "sqlite3." in name
    )
    rows = []
    for (filename, line, name), (_, calls, _, cumulative, _) in table.items():
        if "/symprogram/" in filename or "symprogram." in filename:
            where = filename.split("/symprogram/")[-1]
            rows.append((cumulative, f"{where}:{line} {name}", calls))
    rows.sort(reverse=True)
    return {
        "plain_s": plain_s,
        "profiled_s": total,
        "sqlite_s": sqlite_s,
        "top": [
            {"function": label, "share": c / total, "calls_per_candidate": n / size}
            for c, label, n in rows[:top]
        ],
    }


# -- account calls with and without a ledger key -------------------------------------------
LEDGER_KEY = b"benchmark ledger key, 32 bytes.."
PASSWORD = "Tr0ub4dor&3-horse-staple"


def _median_each(fn: Callable[[], tuple[float, ...]], number: int) -> list[float]:
    """Median of each figure ``fn`` returns over ``number`` calls (gc off while timing)."""
    import gc
    import statistics

    samples: list[tuple[float, ...]] = []
    for _ in range(number):
        gc.disable()
        samples.append(fn())
        gc.enable()
    return [statistics.median(column) for column in zip(*samples, strict=True)]


def _clear_credential_digest(path: Path, candidate_id: str) -> None:
    """Store ``candidate_id``'s candidate record without its credential digest (as an
    account stored before digests were kept), through sqlite3 beside the store."""
    conn = sqlite3.connect(path)
    try:
        (text,) = conn.execute(
            "SELECT data FROM sp_records WHERE kind = 'candidate' AND key = ?", (candidate_id,)
        ).fetchone()
        data = {**json.loads(text), "credential_digest": None}
        conn.execute(
            "UPDATE sp_records SET data = ? WHERE kind = 'candidate' AND key = ?",
            (json.dumps(data, separators=(",", ":"), sort_keys=True), candidate_id),
        )
        conn.commit()
    finally:
        conn.close()


def accounts_keyed(size: int, keyed: bool, number: int) -> dict[str, Any]:
    """Account calls on a SQLite file holding ``size`` bulk-registered accounts and two
    active ones, with or without a ledger key (token digests keyed and token rows
    sealed, history entries authenticated); ``ScryptHasher(n=2**4)``, so that the
    rest of each call shows.

    Per call: ``authenticate`` (right password), ``authenticate`` of an imported
    account (no password: refused after the same work), the log-in of an account whose
    candidate keeps no credential digest (its history read and verified, the digest
    written back; the digest cleared again before each call, untimed),
    ``request_password_reset`` and ``reset_password`` (medians of ``number`` calls each;
    the log-ins median of 7 runs of ``number`` calls); ``verify_all`` of the account
    history (best of 3).
    """
    from datetime import timedelta

    from symprogram import Program
    from symprogram.accounts.passwords import ScryptHasher
    from symprogram.errors import SymprogramError
    from symprogram.notify import Outbox
    from symprogram.storage.sqlite import SQLiteStore

    path = Path(tempfile.mkdtemp()) / "bench.db"
    clock, outbox = _clock(), Outbox()
    program = Program(
        SQLiteStore(path),
        clock=clock,
        notifier=outbox,
        ledger_key=LEDGER_KEY if keyed else None,
        options={"accounts": {"hasher": ScryptHasher(n=16)}},
    )
    accounts = program.accounts
    emails = _emails(size)
    for start in range(0, size, 1000):
        accounts.register_many(_bulk_rows(emails[start : start + 1000]))
        outbox.clear()
    active = {}
    for email in ("ann@example.com", "bob@example.com"):
        receipt = accounts.accept_terms(path="create_account")
        accounts.register(
            terms_receipt=receipt.token,  # type: ignore[arg-type]
            email=email,
            password=PASSWORD,
            given_name="Ann",
            family_name="Lee",
            company_name="Acme Storage",
            partner_company="Acme Partner",
            preferred_language="de",
        )
        active[email] = accounts.activate(outbox.last("activation").data["token"]).candidate_id
        outbox.clear()

    verify = []
    for _ in range(3):
        t = time.perf_counter()
        assert not list(program.history.verify_all())
        verify.append(time.perf_counter() - t)

    authenticate = per_call(
        lambda: accounts.authenticate("ann@example.com", PASSWORD), number=number
    )

    def imported() -> None:
        clock.advance(timedelta(minutes=10))  # below the failed log-in limits
        try:
            accounts.authenticate(emails[0], PASSWORD)
        except SymprogramError:
            pass
        else:
            raise AssertionError("an imported account logged in")

    refused = per_call(imported, number=number)

    def without_digest() -> tuple[float]:
        _clear_credential_digest(path, active["bob@example.com"])
        t = time.perf_counter()
        accounts.authenticate("bob@example.com", PASSWORD)
        return (time.perf_counter() - t,)

    (history_read,) = _median_each(without_digest, number)

    def reset() -> tuple[float, float]:
        clock.advance(timedelta(hours=2))  # below the reset link limit
        t0 = time.perf_counter()
        accounts.request_password_reset("ann@example.com")
        t1 = time.perf_counter()
        token = outbox.last("password_reset").data["token"]
        t2 = time.perf_counter()
        accounts.reset_password(token, PASSWORD)
        t3 = time.perf_counter()
        outbox.clear()
        return t1 - t0, t3 - t2

    request_s, reset_s = _median_each(reset, number)
    program.close()
    return {
        "authenticate": authenticate,
        "authenticate_imported": refused,
        "authenticate_no_digest": history_read,
        "request_password_reset": request_s,
        "reset_password": reset_s,
        "verify_all_s": min(verify),
        "accounts": size + len(active),
        "peak_rss_mb": peak_rss_mb(),
    }


TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "decisions": decisions,
    "register": register,
    "register_pg": register_pg,
    "register_profile": register_profile,
    "serialization": serialization,
    "audience_seed": audience_seed,
    "audience_query": audience_query,
    "audience_copy": audience_copy,
    "history_verify": history_verify,
    "anchors_verify": anchors_verify,
    "accounts_keyed": accounts_keyed,
}


def main() -> None:
    """Entry point: run one task and print its JSON result."""
    task, args = sys.argv[1], json.loads(sys.argv[2])
    result = TASKS[task](**args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
