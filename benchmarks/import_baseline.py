"""The CLI CSV import against a hand-written importer, in one run (issue 20).

``python -m benchmarks.import_baseline [--rows 20000 [100000 ...]] [--profile]
[--postgres URL] [--no-sqlite] [--sample SECONDS] [--out FILE.json]``

Each size is measured in turn, in a fresh temporary directory (deleted after it), with
the load average at its start and end; ``--out`` keeps the JSON of the sizes done so
far (a 1M import takes tens of minutes). Above ``--dbstat-max`` rows the per-table
``dbstat``, the rows by kind and the ``VACUUM`` copy are skipped (``PRAGMA page_count``
is always read).

Measures, on the same CSV file of unique candidates:

- ``symprogram import candidates FILE --terms-accepted -q`` into a fresh SQLite file,
  run as a user runs it (a subprocess, wall clock including interpreter start);
- the hand-written baseline: ``csv`` + ``email_validator.validate_email`` (no
  deliverability check) + one row per candidate in a natural table (unique e-mail),
  inserted with ``sqlite3`` ``executemany`` per batch of the same size, same pragmas
  (WAL, synchronous NORMAL);
- database bytes per candidate (the file after the importing process closed it, WAL
  checkpointed; and per table/index through SQLite's ``dbstat``);
- the rows symprogram wrote per candidate by kind (records, index entries, stream
  entries);
- optionally a cProfile of the same import run in-process (top entries by cumulative
  time), and the same two importers into PostgreSQL (``pg_total_relation_size``).

Prints one JSON document (one size: that size's; several: ``{"runs": [...]}``);
``benchmarks/REPORT.md`` quotes it by hand.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import os
import pstats
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BATCH = 500  # the CLI's default --batch-size
HEADER = (
    "email",
    "given_name",
    "family_name",
    "company_name",
    "partner_company",
    "preferred_language",
)
NOW = "2026-11-24T08:00:00Z"


def write_csv(path: Path, rows: int) -> None:
    """Unique, valid candidates (the e-mails of the other benchmarks)."""
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for i in range(rows):
            w.writerow(
                (
                    f"Candidate.{i}@Example{i % 97}.com",
                    "Ann",
                    "Lee",
                    "Acme Storage",
                    "Acme Partner",
                    "de",
                )
            )


# -- the hand-written importer ----------------------------------------------------------
_NATURAL = """CREATE TABLE IF NOT EXISTS candidates (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    company_name TEXT NOT NULL,
    partner_company TEXT NOT NULL,
    preferred_language TEXT NOT NULL,
    terms_version INTEGER NOT NULL,
    terms_accepted_at TEXT NOT NULL,
    created_at TEXT NOT NULL
)"""


def _natural_rows(path: Path) -> Any:
    """Yield batches of validated natural rows read from the CSV."""
    from email_validator import EmailNotValidError, validate_email

    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        batch: list[tuple[Any, ...]] = []
        for email, given, family, company, partner, lang in reader:
            try:
                normal = validate_email(email, check_deliverability=False).normalized
            except EmailNotValidError:
                continue
            batch.append((normal, given, family, company, partner, lang, 1, NOW, NOW))
            if len(batch) == BATCH:
                yield batch
                batch = []
        if batch:
            yield batch


def baseline_sqlite(csv_path: Path, db: Path) -> dict[str, Any]:
    """Hand-written: validate_email + one natural row per candidate, executemany."""
    start = time.perf_counter()
    cpu = time.process_time()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(_NATURAL)
    for batch in _natural_rows(csv_path):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT OR IGNORE INTO candidates (email, given_name, family_name, company_name, "
            "partner_company, preferred_language, terms_version, terms_accepted_at, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            batch,
        )
        conn.execute("COMMIT")
    (count,) = conn.execute("SELECT COUNT(*) FROM candidates").fetchone()
    conn.close()
    elapsed = time.perf_counter() - start
    return {"seconds": elapsed, "cpu_seconds": time.process_time() - cpu, "rows": count}


def baseline_postgres(csv_path: Path, url: str) -> dict[str, Any]:
    """The same natural rows into PostgreSQL with psycopg ``executemany`` per batch."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    start = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        conn.execute(
            _NATURAL.replace(
                "INTEGER PRIMARY KEY", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
            )
        )
        conn.commit()
        for batch in _natural_rows(csv_path):
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO candidates (email, given_name, family_name, company_name, "
                    "partner_company, preferred_language, terms_version, terms_accepted_at, "
                    "created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT DO NOTHING",
                    batch,
                )
            conn.commit()
        elapsed = time.perf_counter() - start
        counted = conn.execute("SELECT COUNT(*) FROM candidates").fetchone()
        sized = conn.execute("SELECT pg_total_relation_size('candidates')").fetchone()
    assert counted is not None
    assert sized is not None
    count, size = counted[0], sized[0]
    return {"seconds": elapsed, "rows": count, "bytes": size}


# -- symprogram's CLI ----------------------------------------------------------------------
def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of a running process (``/proc/PID/stat``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli_import(csv_path: Path, db: str, *, sample: float = 0.0) -> dict[str, Any]:
    """``symprogram import candidates`` as a user runs it (a new process).

    ``cpu_seconds`` is the import process's own user + system time (less moved by
    other processes sharing the CPUs than the wall clock). ``sample`` > 0 (SQLite):
    every ``sample`` seconds, (wall seconds, bytes of the database file and its WAL,
    CPU seconds of the import so far), to follow the cost per row as the file grows.
    """
    cmd = [sys.executable, "-m", "symprogram", *_argv(csv_path, db)]
    samples: list[tuple[float, int, float]] = []
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if sample > 0:
        path = Path(db)
        while proc.poll() is None:
            try:
                proc.wait(timeout=sample)
            except subprocess.TimeoutExpired:
                size = sum(_files_size(path).values())
                samples.append((time.perf_counter() - start, size, _cpu_of(proc.pid)))
    stdout, stderr = proc.communicate()
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"import failed ({proc.returncode}): {stderr[-2000:]}")
    report = json.loads(stdout)
    out = {
        "seconds": elapsed,
        "cpu_seconds": _children_cpu() - cpu,
        "imported": report["imported"],
        "command": " ".join(cmd[1:]),
    }
    if samples:
        out["size_samples"] = samples
    return out


def _files_size(db: Path) -> dict[str, int]:
    return {
        p.name: p.stat().st_size for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()
    }


def sqlite_breakdown(db: Path) -> dict[str, Any]:
    """Rows by kind and bytes by table/index (``dbstat``) of a symprogram file."""
    conn = sqlite3.connect(db)
    try:
        out: dict[str, Any] = {
            "records": dict(
                conn.execute(
                    "SELECT kind, COUNT(*) FROM sp_records GROUP BY kind ORDER BY 2 DESC"
                ).fetchall()
            ),
            "record_data_bytes": dict(
                conn.execute(
                    "SELECT kind, SUM(LENGTH(data)) FROM sp_records GROUP BY kind ORDER BY 2 DESC"
                ).fetchall()
            ),
            "index": dict(
                conn.execute(
                    "SELECT name, COUNT(*) FROM sp_index GROUP BY name ORDER BY 2 DESC"
                ).fetchall()
            ),
            "streams": {
                prefix: {"entries": n, "data_bytes": size}
                for prefix, n, size in conn.execute(
                    "SELECT substr(stream, 1, instr(stream, ':')), COUNT(*), "
                    "SUM(LENGTH(data)) FROM sp_streams GROUP BY 1 ORDER BY 2 DESC"
                )
            },
            "pages": dict(
                conn.execute(
                    "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
                ).fetchall()
            ),
            "page_size": conn.execute("PRAGMA page_size").fetchone()[0],
            "freelist_pages": conn.execute("PRAGMA freelist_count").fetchone()[0],
        }
        return out
    finally:
        conn.close()


def page_counts(db: Path) -> dict[str, int]:
    """``PRAGMA page_count`` / ``page_size`` / ``freelist_count`` (cheap at any size)."""
    conn = sqlite3.connect(db)
    try:
        return {
            name: conn.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("page_count", "page_size", "freelist_count")
        }
    finally:
        conn.close()


def profile_import(csv_path: Path, db: Path, top: int, dump: Path | None = None) -> dict[str, Any]:
    """The same import in-process under cProfile: top entries by cumulative time."""
    from symprogram.cli import cli as cli_main

    argv = _argv(csv_path, db)
    prof = cProfile.Profile()
    stdout = sys.stdout
    sys.stdout = io.StringIO()
    start = time.perf_counter()
    try:
        prof.enable()
        try:
            cli_main.main(argv, prog_name="symprogram", standalone_mode=False)
        finally:
            prof.disable()
    finally:
        sys.stdout = stdout
    elapsed = time.perf_counter() - start
    if dump is not None:
        prof.dump_stats(dump)
    text = io.StringIO()
    stats = pstats.Stats(prof, stream=text)
    stats.sort_stats("cumulative").print_stats(top)
    tottime = io.StringIO()
    pstats.Stats(prof, stream=tottime).sort_stats("tottime").print_stats(top)
    ours = io.StringIO()
    pstats.Stats(prof, stream=ours).sort_stats("cumulative").print_stats("src/symprogram", top)
    return {
        "seconds": elapsed,
        "cumulative": text.getvalue(),
        "cumulative_symprogram": ours.getvalue(),
        "tottime": tottime.getvalue(),
    }


def _argv(csv_path: Path, db: str | Path) -> list[str]:
    return [
        "--db",
        str(db),
        "--now",
        NOW,
        "import",
        "candidates",
        str(csv_path),
        "--terms-accepted",
        "--batch-size",
        str(BATCH),
        "-q",
        "--json",
    ]


def in_process(csv_path: Path, db: Path, *, consent: bool) -> float:
    """The import in this process (no interpreter start); ``consent=False`` is an ablation.

    Without consent, the bridge that records in the consent ledger what a registration
    gathered (``ConsentMarketing.record_gathered`` and, per batch,
    ``record_gathered_many``) does nothing: a what-if that prices the consent records,
    never a supported configuration.
    """
    from symprogram._bridges import ConsentMarketing
    from symprogram.cli import cli as cli_main

    original = ConsentMarketing.record_gathered
    original_many = getattr(ConsentMarketing, "record_gathered_many", None)
    if not consent:
        ConsentMarketing.record_gathered = lambda *a, **k: None  # type: ignore[method-assign]
        if original_many is not None:
            ConsentMarketing.record_gathered_many = lambda *a, **k: None  # type: ignore[method-assign]
    stdout = sys.stdout
    sys.stdout = io.StringIO()
    start = time.perf_counter()
    try:
        cli_main.main(_argv(csv_path, db), prog_name="symprogram", standalone_mode=False)
    finally:
        sys.stdout = stdout
        ConsentMarketing.record_gathered = original  # type: ignore[method-assign]
        if original_many is not None:
            ConsentMarketing.record_gathered_many = original_many  # type: ignore[method-assign]
    return time.perf_counter() - start


def _self_io() -> dict[str, int]:
    """This process's ``/proc/self/io`` counters (rchar, wchar, write_bytes...)."""
    lines = Path("/proc/self/io").read_text().splitlines()
    return {name: int(value) for name, value in (line.split(": ") for line in lines)}


def cache_what_if(rows: int, d: Path, csv_path: Path, sizes_mb: list[int]) -> list[dict[str, Any]]:
    """The in-process import with each SQLite page cache size (``cache_mb``): a what-if.

    The store's default ``cache_mb`` is replaced for the run; CPU time and the
    process's I/O per row tell how much of the cost is pages moved between SQLite's
    cache, the WAL and the file.
    """
    from symprogram.storage.sqlite import SQLiteStore

    defaults = SQLiteStore.__init__.__kwdefaults__
    assert defaults is not None
    original = defaults["cache_mb"]
    warm = d / "warm.csv"
    write_csv(warm, 50)
    in_process(warm, d / "warm.db", consent=True)
    out: list[dict[str, Any]] = []
    for mb in sizes_mb:
        db = d / f"cache{mb}.db"
        before, cpu = _self_io(), time.process_time()
        defaults["cache_mb"] = mb
        try:
            wall = in_process(csv_path, db, consent=True)
        finally:
            defaults["cache_mb"] = original
        cpu = time.process_time() - cpu
        after = _self_io()
        out.append(
            {"cache_mb": mb, "seconds": wall, "cpu_seconds": cpu, "rows_per_s": rows / wall}
            | {"cpu_us_per_row": cpu / rows * 1e6, "load_end": os.getloadavg()}
            | {f"{k}_per_row": (after[k] - before[k]) / rows for k in ("rchar", "wchar")}
            | {"write_bytes_per_row": (after["write_bytes"] - before["write_bytes"]) / rows}
        )
        for name in (db.name, f"{db.name}-wal", f"{db.name}-shm"):
            (d / name).unlink(missing_ok=True)
    return out


def vacuumed_size(db: Path) -> int:
    """The file's size once ``VACUUM`` rewrote it (content, without insertion slack)."""
    copy = db.with_name(db.stem + "-vacuum.db")
    src = sqlite3.connect(db)
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.execute("VACUUM")
    dst.close()
    return copy.stat().st_size


def _pg_database(url: str, name: str) -> str:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + "/" + name


def _pg_drop(url: str, *names: str) -> None:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in names:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")


def _pg_sizes(url: str) -> dict[str, int]:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY 2 DESC"
        ).fetchall()
    return dict(rows)


def _sqlite_step(args: argparse.Namespace, rows: int, d: Path, csv_path: Path) -> dict[str, Any]:
    """Baseline, symprogram CLI, baseline (interleaved: the load moves); sizes and rows."""
    base = [baseline_sqlite(csv_path, d / "natural1.db")]
    sp = cli_import(csv_path, str(d / "symprogram.db"), sample=args.sample)
    base.append(baseline_sqlite(csv_path, d / "natural2.db"))
    best = min(b["seconds"] for b in base)
    out: dict[str, Any] = {
        "symprogram": sp | {"rows_per_s": sp["imported"] / sp["seconds"]},
        "baseline": {
            "runs_seconds": [b["seconds"] for b in base],
            "rows": base[0]["rows"],
            "rows_per_s": base[0]["rows"] / best,
        },
        "ratio": sp["seconds"] / best,
        "symprogram_us_per_row": sp["seconds"] / sp["imported"] * 1e6,
        "baseline_us_per_row": best / base[0]["rows"] * 1e6,
        "symprogram_cpu_us_per_row": sp["cpu_seconds"] / sp["imported"] * 1e6,
        "baseline_cpu_us_per_row": min(b["cpu_seconds"] for b in base) / base[0]["rows"] * 1e6,
    }
    out["cpu_ratio"] = out["symprogram_cpu_us_per_row"] / out["baseline_cpu_us_per_row"]
    sp_files = _files_size(d / "symprogram.db")
    nat_files = _files_size(d / "natural1.db")
    out["bytes"] = {
        "symprogram_files": sp_files,
        "baseline_files": nat_files,
        "symprogram_per_candidate": sum(sp_files.values()) / sp["imported"],
        "baseline_per_candidate": sum(nat_files.values()) / base[0]["rows"],
    }
    out["pages"] = page_counts(d / "symprogram.db")
    if rows <= args.dbstat_max:
        out["breakdown"] = sqlite_breakdown(d / "symprogram.db")
        out["bytes"]["symprogram_vacuumed_per_candidate"] = (
            vacuumed_size(d / "symprogram.db") / sp["imported"]
        )
        nat = sqlite3.connect(d / "natural1.db")
        out["baseline_pages"] = dict(
            nat.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
        )
        nat.close()
    for name in ("natural1.db", "natural2.db"):
        (d / name).unlink(missing_ok=True)
    return out


def _ablation_step(rows: int, d: Path, csv_path: Path) -> dict[str, Any]:
    warm = d / "warm.csv"
    write_csv(warm, 50)
    in_process(warm, d / "warm.db", consent=True)  # imports, first-call caches
    full = in_process(csv_path, d / "inproc-full.db", consent=True)
    bare = in_process(csv_path, d / "inproc-noconsent.db", consent=False)
    return {
        "in_process_seconds": full,
        "in_process_rows_per_s": rows / full,
        "without_consent_records_seconds": bare,
        "without_consent_records_rows_per_s": rows / bare,
        "without_consent_bytes_per_candidate": sum(_files_size(d / "inproc-noconsent.db").values())
        / rows,
    }


def _postgres_step(url: str, csv_path: Path) -> dict[str, Any]:
    sp_url = _pg_database(url, "sp_i20_symprogram")
    nat_url = _pg_database(url, "sp_i20_natural")
    pg_sp = cli_import(csv_path, sp_url)
    pg_base = baseline_postgres(csv_path, nat_url)
    sizes = _pg_sizes(sp_url)
    out = {
        "symprogram": pg_sp | {"rows_per_s": pg_sp["imported"] / pg_sp["seconds"]},
        "baseline": pg_base | {"rows_per_s": pg_base["rows"] / pg_base["seconds"]},
        "ratio": pg_sp["seconds"] / pg_base["seconds"],
        "symprogram_us_per_row": pg_sp["seconds"] / pg_sp["imported"] * 1e6,
        "baseline_us_per_row": pg_base["seconds"] / pg_base["rows"] * 1e6,
        "symprogram_relations": sizes,
        "symprogram_per_candidate": sum(sizes.values()) / pg_sp["imported"],
        "baseline_bytes": pg_base["bytes"],
        "baseline_per_candidate": pg_base["bytes"] / pg_base["rows"],
    }
    _pg_drop(url, "sp_i20_symprogram", "sp_i20_natural")
    return out


def measure(args: argparse.Namespace, rows: int) -> dict[str, Any]:
    """Every requested measurement at one size, in a fresh temporary directory."""
    out: dict[str, Any] = {
        "rows": rows,
        "load_start": os.getloadavg(),
        "commit": args.commit or _commit(),
        "batch_size": BATCH,
        "symprogram_from": _symprogram_path(),
        "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    with tempfile.TemporaryDirectory(prefix="sp-i20-", dir=args.workdir) as tmp:
        d = Path(tmp)
        csv_path = d / "candidates.csv"
        write_csv(csv_path, rows)
        out["csv_bytes"] = csv_path.stat().st_size
        if not args.no_sqlite:
            out["sqlite"] = _sqlite_step(args, rows, d, csv_path)
            out["sqlite_load_end"] = os.getloadavg()
        if args.ablate:
            out.setdefault("sqlite", {})["ablation"] = _ablation_step(rows, d, csv_path)
        if args.cache_mb:
            out["cache_load_start"] = os.getloadavg()
            out["cache_what_if"] = cache_what_if(rows, d, csv_path, args.cache_mb)
        if args.postgres:
            out["postgres_load_start"] = os.getloadavg()
            out["postgres"] = _postgres_step(args.postgres, csv_path)
        if args.profile:
            out["profile_load_start"] = os.getloadavg()
            dump = args.profile_dump / f"import-{rows}.prof" if args.profile_dump else None
            out["profile"] = profile_import(csv_path, d / "profiled.db", args.top, dump)
            out["profile"]["pages"] = page_counts(d / "profiled.db")
    out["load_end"] = os.getloadavg()
    out["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    return out


def _commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()


def _symprogram_path() -> str:
    done = subprocess.run(
        [sys.executable, "-c", "import symprogram; print(symprogram.__file__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip()


def main() -> None:
    global BATCH  # one setting for both importers
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000])
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-dump", type=Path, help="directory for the cProfile stats")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--postgres", metavar="URL")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite comparison")
    parser.add_argument(
        "--dbstat-max",
        type=int,
        default=200_000,
        help="dbstat, per-kind counts and VACUUM only up to this many rows",
    )
    parser.add_argument(
        "--sample", type=float, default=0.0, help="sample the file size every N seconds"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=BATCH,
        help="rows per transaction, both importers (the CLI's --batch-size)",
    )
    parser.add_argument(
        "--cache-mb",
        type=int,
        nargs="+",
        help="what-if: the import in-process with each SQLite page cache size (MB)",
    )
    parser.add_argument("--workdir", help="where the temporary files go")
    parser.add_argument("--commit", help="the commit measured (default: this checkout's HEAD)")
    parser.add_argument("--out", type=Path, help="write the JSON here after every size")
    parser.add_argument(
        "--ablate", action="store_true", help="also in-process, with and without consent records"
    )
    args = parser.parse_args()
    BATCH = args.batch_size
    runs: list[dict[str, Any]] = []
    for rows in args.rows:
        runs.append(measure(args, rows))
        if args.out:
            args.out.write_text(json.dumps({"runs": runs}, indent=2, default=str) + "\n")
    result: Any = runs[0] if len(runs) == 1 else {"runs": runs}
    json.dump(result, sys.stdout, indent=2, default=str)
    print()


if __name__ == "__main__":
    main()
