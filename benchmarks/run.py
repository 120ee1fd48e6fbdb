"""Run every benchmark and write ``benchmarks/REPORT.md``.

Usage (from the repository root)::

    python -m benchmarks            # sizes 10k and 100k (about 20 minutes on 2 cores)
    python -m benchmarks --quick    # sizes 1k and 10k: a smoke run (a few minutes)
    python -m benchmarks --full     # adds the 1M sizes (audience, history, decisions)

Set ``SYMPROGRAM_TEST_POSTGRES_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``)
to add the PostgreSQL audience query. Needs the ``bench`` extra (pydantic, msgspec).

Every figure is measured in this run: a median of repeated runs for the
per-call figures, one timed pass over the whole data set for the bulk ones (the
data set is the repetition), each heavy measurement in a fresh child process
whose peak RSS (``VmHWM``) is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # ``python benchmarks/run.py``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._harness import ROOT, machine, run_child
from benchmarks._report import merge
from benchmarks._report import sections as split_sections
from benchmarks.enumeration import bench_enumeration

REPORT = ROOT / "benchmarks" / "REPORT.md"


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.2f} µs"


def _rate(seconds: float) -> str:
    return f"{1 / seconds:,.0f}/s" if seconds else "-"


def _k(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"


def _verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


class Report:
    """Collects markdown sections and the per-target verdicts, section by section.

    Each section remembers when it was measured, on which commit and under which
    load; ``write`` merges the sections run now with those kept in
    ``benchmarks/results.json`` from earlier runs, so one section can be measured
    again (``--only``) without discarding the others. Ratios never mix runs: every
    ratio is computed inside one section's run.
    """

    def __init__(self, command: str) -> None:
        self.command = command
        self.current: dict[str, Any] | None = None
        self.sections: dict[str, dict[str, Any]] = {}

    def begin(self, name: str) -> None:
        load = os.getloadavg()
        self.current = {
            "name": name,
            "command": self.command,
            "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": _commit(),
            "load_at_start": f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
            "text": [],
            "targets": [],
            "t0": time.perf_counter(),
        }
        self.sections[name] = self.current

    def end(self) -> None:
        assert self.current is not None
        load = os.getloadavg()
        self.current["load_at_end"] = f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
        self.current["minutes"] = round((time.perf_counter() - self.current.pop("t0")) / 60, 1)
        self.current = None

    def add(self, text: str) -> None:
        assert self.current is not None
        self.current["text"].append(text.rstrip() + "\n")
        print(text.rstrip(), flush=True)

    def target(self, name: str, measured: str, ok: bool | None) -> None:
        assert self.current is not None
        self.current["targets"].append(
            (name, measured, "not measured" if ok is None else _verdict(ok))
        )


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src", "benchmarks/worker.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return "unknown"
    sha = out.stdout.strip() or "unknown"
    return sha + (" with uncommitted changes" if dirty.stdout.strip() else "")


def bench_decisions(rep: Report, sizes: list[int], number: int) -> None:
    rows = []
    warm: dict[str, Any] = {}
    for backend in ("memory", "sqlite"):
        for size in sizes if backend == "memory" else sizes[:1]:
            r = run_child("decisions", size=size, backend=backend, number=number)
            rows.append((backend, size, r))
            if backend == "memory" and size == sizes[0]:
                warm = r
    lines = [
        "## 1. Decisions in memory and on SQLite (per call, median of 7 runs)",
        "",
        "Floor: the same process calling `f(table['k'])` (a dict lookup plus a function call)",
        "through the same zero-argument-callable loop. Warm: the same reader/subject asked",
        'again, on the benchmark\'s fixed clock; "system clock": the same question on',
        "`SystemClock`, so every call is about a new instant. Population: a random reader",
        "among all seeded customers each call (4096-long cycle; its floor adds the same",
        "iterator plumbing). Change token: the store's `change_token()` alone, which every",
        "warm answer reads first (on SQLite the WAL-index header in the `-shm` file, so that",
        "a commit by any process is seen by the next call). Each backend runs in its own",
        "child process of this run, each with its own floor.",
        "",
        "| backend | subjects | floor | change token | decide warm | may_use warm"
        " | decide warm, system clock"
        " | may_use warm, system clock | progress warm |"
        " decide population | may_use population | seed | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for backend, size, r in rows:
        lines.append(
            f"| {backend} | {_k(size)} | {_us(r['floor'])} "
            f"| {_us(r['change_token'])} "
            f"| {_us(r['decide_warm'])} ({r['decide_warm'] / r['floor']:.0f}x, "
            f"{_rate(r['decide_warm'])}) "
            f"| {_us(r['may_use_warm'])} ({r['may_use_warm'] / r['floor']:.0f}x, "
            f"{_rate(r['may_use_warm'])}) "
            f"| {_us(r['decide_warm_system_clock'])} "
            f"({r['decide_warm_system_clock'] / r['floor']:.0f}x) "
            f"| {_us(r['may_use_warm_system_clock'])} "
            f"({r['may_use_warm_system_clock'] / r['floor']:.0f}x) "
            f"| {_us(r['progress_warm'])} ({r['progress_warm'] / r['floor']:.0f}x) "
            f"| {_us(r['decide_population'])} "
            f"({r['decide_population'] / r['floor_population']:.0f}x) "
            f"| {_us(r['may_use_population'])} "
            f"({r['may_use_population'] / r['floor_population']:.0f}x) "
            f"| {r['seed_s']:.1f} s | {r['peak_rss_mb']:.0f} MB |"
        )
    rep.add("\n".join(lines))
    d, m = warm["decide_warm"] / warm["floor"], warm["may_use_warm"] / warm["floor"]
    rep.target(
        "warm `decide` within 10x the floor (memory)",
        f"{d:.0f}x ({_rate(warm['decide_warm'])})",
        d <= 10,
    )
    rep.target(
        "warm `may_use` within 10x the floor (memory)",
        f"{m:.0f}x ({_rate(warm['may_use_warm'])})",
        m <= 10,
    )
    ds = warm["decide_warm_system_clock"] / warm["floor"]
    ms = warm["may_use_warm_system_clock"] / warm["floor"]
    rep.target(
        "warm `decide` / `may_use` on the system clock within 10x the floor (memory)",
        f"{ds:.0f}x / {ms:.0f}x",
        ds <= 10 and ms <= 10,
    )
    sqlite = next(r for b, _, r in rows if b == "sqlite")
    rep.target(
        "warm `decide` / `may_use` on SQLite at most 2 µs, another process's commit seen"
        " on the next call (memory in the same run)",
        f"{_us(sqlite['decide_warm'])} / {_us(sqlite['may_use_warm'])}"
        f" (memory {_us(warm['decide_warm'])} / {_us(warm['may_use_warm'])})",
        max(sqlite["decide_warm"], sqlite["may_use_warm"]) <= 2e-6,
    )
    flat = [r["decide_population"] for b, _, r in rows if b == "memory"]
    if len(flat) > 1:
        rep.target(
            "decide cost per call flat across sizes (memory)",
            " → ".join(_us(x) for x in flat),
            max(flat) / min(flat) < 2,
        )


def bench_registration(
    rep: Report, sizes: list[int], big: list[int], sample: int, postgres: str | None
) -> None:
    lines = [
        "## 2. Bulk registration into SQLite (and PostgreSQL)",
        "",
        "symprogram: `accept_terms` + `register` per candidate through the public API",
        "(history, tokens, unique e-mail index, activation message: 3 records + 1 index",
        "entry + 3 ledger entries + heads per candidate), in a fresh SQLite file.",
        "Baseline: `email_validator.validate_email` alone on the same addresses plus raw",
        "`sqlite3.executemany` of exactly the rows symprogram wrote (copied back out of its",
        "file, in primary-key order: the baseline's best case), same schema and pragmas,",
        "one transaction.",
        "",
        "| candidates | mode | hasher | symprogram | validate_email | raw executemany |"
        " baseline | ratio | per candidate | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    results = []
    plan: list[tuple[int, str, int | None]] = [(sample, "per_call", None)]
    for size in sizes:
        plan.append((size, "batched", 16))
    for size in big:
        plan.append((size, "bulk", 16))
    plan.append((sizes[0], "per_call", 16))
    for size, mode, n in plan:
        r = run_child("register", size=size, mode=mode, scrypt_n=n)
        base = r["validate_s"] + r["raw_executemany_s"]
        ratio = r["symprogram_s"] / base
        results.append((size, mode, n, r, ratio))
        if mode == "bulk":
            hasher = "none (unusable password)"
        elif n is None:
            hasher = "scrypt n=2**15 (default)"
        else:
            hasher = f"scrypt n=2**{n.bit_length() - 1}"
        lines.append(
            f"| {_k(size) if size >= 1000 else size} | {mode} | {hasher} "
            f"| {r['symprogram_s']:.2f} s | {r['validate_s']:.2f} s "
            f"| {r['raw_executemany_s']:.3f} s | {base:.2f} s | {ratio:.1f}x "
            f"| {_us(r['symprogram_s'] / size)} (hash {_us(r['hash_s_per_call'])}) "
            f"| {r['peak_rss_mb']:.0f} MB |"
        )
    lines += [
        "",
        "`per_call`: one unit of work per call (two per candidate). `batched`: the same calls",
        "with 1000 candidates joined in one outer `store.transaction()` (nested units of work",
        "join the outer one). `bulk`: `AccountsService.register_many` (what the CSV importer",
        "uses), 1000 rows per unit of work, timed from the raw fields (building the",
        "`BulkCandidate` rows, i.e. validating them, included); no terms receipt token and no",
        "password hash (unusable password), hence fewer rows. The outbox is emptied after",
        "every unit of work, as the importer does. Peak RSS is the worker's `VmHWM` read",
        "right after the registration, before the baseline copies every written row out",
        "into Python lists (that copy alone reached several hundred MB at 100k in round 1,",
        "and was what the 822 MB of round 1 mostly measured).",
        "Rows written per candidate: "
        + "; ".join(
            f"{mode} {_k(size)}: {sum(r['rows'].values()) / size:.0f} ({r['rows']})"
            for size, mode, _, r, _ in results
            if size >= 1000 and mode in ("batched", "bulk") and size == max(big)
        )
        + ".",
    ]
    if postgres:
        size = sizes[0]
        _reset_postgres(postgres)
        r = run_child("register_pg", size=size, url=postgres)
        _reset_postgres(postgres)
        em = r["validate_s"] + r["executemany_s"]
        cp = r["validate_s"] + r["copy_s"]
        pg_ratio = r["symprogram_s"] / em
        lines += [
            "",
            "### PostgreSQL",
            "",
            "symprogram: `register_many` (1000 rows per unit of work) through the SQLAlchemy",
            "adapter (psycopg 3) into a fresh database. Baselines: `validate_email` plus the",
            "very rows symprogram wrote, inserted with psycopg `executemany` (one transaction)",
            "or `COPY`, into same-shaped tables.",
            "",
            "| candidates | symprogram | validate_email | executemany | COPY | ratio vs"
            " executemany | ratio vs COPY | per candidate | peak RSS |",
            "|---|---|---|---|---|---|---|---|---|",
            f"| {_k(size)} | {r['symprogram_s']:.2f} s | {r['validate_s']:.2f} s "
            f"| {r['executemany_s']:.3f} s | {r['copy_s']:.3f} s | {pg_ratio:.1f}x "
            f"| {r['symprogram_s'] / cp:.1f}x | {_us(r['symprogram_s'] / size)} "
            f"| {r['peak_rss_mb']:.0f} MB |",
            "",
            f"Rows: {r['rows']}.",
        ]
        rep.target(
            "bulk registration into PostgreSQL within 1.5x of psycopg executemany",
            f"{pg_ratio:.1f}x ({_k(size)} candidates)",
            pg_ratio <= 1.5,
        )
    else:
        rep.target("bulk registration into PostgreSQL", "SYMPROGRAM_TEST_POSTGRES_URL unset", None)
    prof = run_child("register_profile", size=sizes[0])
    sqlite_share = prof["sqlite_s"] / prof["plain_s"]
    lines += [
        "",
        f"### Where `register_many` spends its time ({_k(sizes[0])} candidates, SQLite)",
        "",
        f"Without a profiler: {prof['plain_s']:.2f} s. Inside `sqlite3`'s own calls (C:",
        "`executemany`, `execute`, commits; measured under cProfile, which does not slow",
        f"C code down): {prof['sqlite_s']:.2f} s, i.e. {sqlite_share:.0%} of the plain run;",
        f"the other {1 - sqlite_share:.0%} is Python work: building and validating the",
        "records, encoding them, chaining the history, drawing tokens and IDs. Under",
        f"cProfile the run takes {prof['profiled_s']:.2f} s (each Python call is slowed",
        "down), so the shares below overstate Python work against SQLite; they are",
        "cumulative (a function's time includes its callees').",
        "",
        "| symprogram function | share of the profiled run | calls per candidate |",
        "|---|---|---|",
        *[
            f"| `{t['function']}` | {t['share']:.0%} | {t['calls_per_candidate']:g} |"
            for t in prof["top"]
        ],
    ]
    rep.add("\n".join(lines))
    best = min(r[4] for r in results if r[1] == "bulk")
    rep.target(
        "bulk registration within 1.5x of validate_email + executemany (SQLite)",
        f"{best:.1f}x at best (`register_many`); per-call API with cheap scrypt "
        f"{min(r[4] for r in results if r[1] == 'batched'):.1f}x; default scrypt "
        f"{results[0][3]['hash_s_per_call'] * 1e3:.0f} ms per hash",
        best <= 1.5,
    )
    largest = [r for r in results if r[0] in (max(sizes), max(big)) and r[1] in ("batched", "bulk")]
    rep.target(
        f"registration peak RSS under 200 MB (up to {_k(max(big))} candidates)",
        " / ".join(
            f"{mode} {_k(size)} {r['peak_rss_mb']:.0f} MB" for size, mode, _, r, _ in largest
        ),
        max(r[3]["peak_rss_mb"] for r in largest) < 200,
    )
    per_item = [r[3]["symprogram_s"] / r[0] for r in results if r[1] == "bulk"]
    if len(per_item) > 1:
        rep.target(
            "registration cost per candidate flat across sizes",
            " → ".join(_us(x) for x in per_item),
            max(per_item) / min(per_item) < 2,
        )


def bench_registration_pg(rep: Report, big: list[int], postgres: str | None) -> None:
    """``register_many`` into PostgreSQL at every size: the growth of its cost."""
    if not postgres:
        rep.add(
            "## 2b. Bulk registration into PostgreSQL by size\n\n"
            "SYMPROGRAM_TEST_POSTGRES_URL unset."
        )
        rep.target("PostgreSQL registration by size", "SYMPROGRAM_TEST_POSTGRES_URL unset", None)
        return
    lines = [
        "## 2b. Bulk registration into PostgreSQL by size",
        "",
        "As in section 2's PostgreSQL table (`register_many`, 1000 rows per unit of work,",
        "SQLAlchemy adapter on psycopg 3, a fresh database; baselines `validate_email` plus",
        "the very rows inserted with psycopg `executemany` or `COPY`), at every size.",
        "",
        "| candidates | symprogram | validate_email | executemany | COPY | ratio vs"
        " executemany | ratio vs COPY | per candidate | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    per_item, worst = [], 0.0
    for size in big:
        _reset_postgres(postgres)
        r = run_child("register_pg", size=size, url=postgres)
        _reset_postgres(postgres)
        em = r["validate_s"] + r["executemany_s"]
        cp = r["validate_s"] + r["copy_s"]
        worst = max(worst, r["symprogram_s"] / em)
        per_item.append(r["symprogram_s"] / size)
        lines.append(
            f"| {_k(size)} | {r['symprogram_s']:.2f} s | {r['validate_s']:.2f} s "
            f"| {r['executemany_s']:.3f} s | {r['copy_s']:.3f} s "
            f"| {r['symprogram_s'] / em:.1f}x | {r['symprogram_s'] / cp:.1f}x "
            f"| {_us(r['symprogram_s'] / size)} | {r['peak_rss_mb']:.0f} MB |"
        )
    rep.add("\n".join(lines))
    rep.target(
        "PostgreSQL bulk registration within 1.5x of psycopg executemany, every size",
        f"{worst:.1f}x worst",
        worst <= 1.5,
    )
    if len(per_item) > 1:
        rep.target(
            "PostgreSQL registration cost per candidate flat across sizes",
            " → ".join(_us(x) for x in per_item),
            max(per_item) / min(per_item) < 2,
        )


KEEP_GENERATED = 1.5
"""The generated code is kept for a model only where it is this much faster than cattrs."""


def bench_serialization(rep: Report, number: int) -> None:
    r = run_child("serialization", number=number)
    models = ("ConsentState", "ContactDetails")
    lines = [
        "## 3. Serialization round trip (model → JSON text → model, best of 3 medians of 7 runs)",
        "",
        "symprogram: `serialization.dumps` + `loads` (generated code on cattrs, canonical",
        "JSON). cattrs alone: the same converter with the generated code switched off",
        "(cattrs' general path, same hooks, same text). pydantic v2: `model_dump_json` +",
        "`model_validate_json`. msgspec: `Encoder.encode` + `Decoder.decode`. Equivalent",
        "models in `benchmarks/models.py`; a pool of 6000 distinct objects. msgspec's",
        "ContactDetails cannot validate e-mail addresses. Times are CPU time of the",
        "measuring thread (`time.thread_time`): on this shared machine, wall time also",
        "counts the time spent waiting for a core, several times the work under load.",
        "",
        "| model | symprogram | cattrs alone | pydantic v2 | msgspec | cattrs alone / symprogram"
        " | symprogram / pydantic | symprogram / msgspec |",
        "|---|---|---|---|---|---|---|---|",
    ]
    worst = 0.0
    gains: dict[str, float] = {}
    for model in models:
        s, c = r[f"{model}:symprogram"], r[f"{model}:cattrs"]
        p, m = r[f"{model}:pydantic"], r[f"{model}:msgspec"]
        worst = max(worst, s / p)
        gains[model] = c / s
        lines.append(
            f"| {model} | {_us(s)} ({_rate(s)}) | {_us(c)} ({_rate(c)}) | {_us(p)} ({_rate(p)})"
            f" | {_us(m)} ({_rate(m)}) | {c / s:.2f}x faster | {s / p:.2f}x time"
            f" | {s / m:.0f}x time |"
        )
    lines += [
        "",
        "Each direction alone, generated code against cattrs alone (same objects and texts):",
        "",
        "| model | dumps: generated | dumps: cattrs alone | speed-up | loads: generated"
        " | loads: cattrs alone | speed-up |",
        "|---|---|---|---|---|---|---|",
    ]
    for model in models:
        gd, cd = r[f"{model}:generated-dumps"], r[f"{model}:cattrs-dumps"]
        gl, cl = r[f"{model}:generated-loads"], r[f"{model}:cattrs-loads"]
        lines.append(
            f"| {model} | {_us(gd)} | {_us(cd)} | {cd / gd:.2f}x | {_us(gl)} | {_us(cl)}"
            f" | {cl / gl:.2f}x |"
        )
    stored = [model for model in models if f"{model}:generated-stored-loads" in r]
    if stored:
        lines += [
            "",
            'Reading a stored record (`loads_without(text, cls, {"version"})`: the text a',
            "repository keeps, without the version the store keeps beside it):",
            "",
            "| model | stored loads: generated | stored loads: cattrs alone | speed-up |",
            "|---|---|---|---|",
        ]
        for model in stored:
            gs, cs = r[f"{model}:generated-stored-loads"], r[f"{model}:cattrs-stored-loads"]
            lines.append(f"| {model} | {_us(gs)} | {_us(cs)} | {cs / gs:.2f}x |")
    rep.add("\n".join(lines))
    rep.target(
        "serialization throughput at least 1.5x pydantic v2's on every model (at most 0.67x"
        " its time)",
        f"symprogram takes {worst:.2f}x pydantic's time on the worst model",
        worst <= 1 / 1.5,
    )
    rep.target(
        f"generated code at least {KEEP_GENERATED}x faster than cattrs alone (round trip,"
        " every model; else it is deleted)",
        ", ".join(f"{model} {gain:.2f}x" for model, gain in gains.items()),
        min(gains.values()) >= KEEP_GENERATED,
    )


def bench_audience(rep: Report, sizes: list[int], postgres: str | None) -> None:
    lines = [
        "## 4. Audience query (consent for `special_offers`, half the subjects granted)",
        "",
        "symprogram: `ConsentService.iter_audience('special_offers', batch=1000)` streamed to the",
        "end. Hand-written SQL: one query evaluating the same rule with SQLite's JSON",
        "functions (PostgreSQL: `jsonb` and a server-side cursor), rows iterated. Each run in",
        "its own process; peak RSS is that process's `VmHWM`. Seed: SQLite through the",
        "public API (`grant` / `refuse`, 5000 per unit of work); PostgreSQL gets the very",
        "rows of that SQLite file with `COPY` (same table layout), then `ANALYZE`.",
        "",
        "| backend | subjects | seed | symprogram | hand-written SQL | ratio | per subject |"
        " peak RSS symprogram | peak RSS SQL |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    worst_ratio, worst_rss, per_item = 0.0, 0.0, []
    workdir = Path(tempfile.mkdtemp(prefix="symprogram-bench-"))
    for size in sizes:
        path = str(workdir / f"audience-{size}.db")
        runs = [("sqlite", path, "sql_sqlite")]
        if postgres:
            runs.append(("postgresql", postgres, "sql_postgres"))
        for backend, url, how in runs:
            if backend == "postgresql":
                _reset_postgres(url)
                seed = run_child("audience_copy", src=path, url=url)
            else:
                seed = run_child("audience_seed", size=size, url=url)
            sym = run_child("audience_query", url=url, how="symprogram")
            sql = run_child("audience_query", url=url, how=how)
            assert sym["count"] == sql["count"] == size // 2, (sym, sql)
            ratio = sym["s"] / sql["s"]
            worst_ratio = max(worst_ratio, ratio)
            worst_rss = max(worst_rss, sym["peak_rss_mb"])
            if backend == "sqlite":
                per_item.append(sym["s"] / size)
            lines.append(
                f"| {backend} | {_k(size)} | {seed['seed_s']:.0f} s | {sym['s']:.2f} s "
                f"| {sql['s']:.2f} s "
                f"| {ratio:.1f}x | {_us(sym['s'] / size)} | {sym['peak_rss_mb']:.0f} MB "
                f"| {sql['peak_rss_mb']:.0f} MB |"
            )
        Path(path).unlink(missing_ok=True)
    if postgres:
        _reset_postgres(postgres)
    rep.add("\n".join(lines))
    rep.target(
        "audience within 2x of hand-written SQL", f"{worst_ratio:.1f}x worst", worst_ratio <= 2
    )
    rep.target(
        f"audience peak RSS under 200 MB (up to {_k(sizes[-1])} subjects)",
        f"{worst_rss:.0f} MB worst",
        worst_rss < 200,
    )
    if len(per_item) > 1:
        rep.target(
            "audience cost per subject flat across sizes",
            " → ".join(_us(x) for x in per_item),
            max(per_item) / min(per_item) < 2,
        )
    if not postgres:
        rep.target("PostgreSQL audience", "SYMPROGRAM_TEST_POSTGRES_URL unset", None)


def _reset_postgres(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for table in ("sp_records", "sp_index", "sp_streams", "sp_schema"):
            # CASCADE: the reporting views (sp_v_*) read the tables
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table} CASCADE"))
    engine.dispose()


def bench_growth(rep: Report, sizes: list[int]) -> None:
    lines = [
        "## 5. Growth: history `verify()` of one subject's stream (SQLite file)",
        "",
        "One subject's account history with N entries, appended in units of work of 10k;",
        "`AccountHistory.verify()` median of 3.",
        "",
        "| entries | append | per entry | verify | per entry | peak RSS |",
        "|---|---|---|---|---|---|",
    ]
    per_entry = []
    for size in sizes:
        r = run_child("history_verify", size=size, backend="sqlite")
        per_entry.append(r["verify_s"] / size)
        lines.append(
            f"| {_k(size)} | {r['append_s']:.1f} s | {_us(r['append_s'] / size)} "
            f"| {r['verify_s']:.2f} s | {_us(r['verify_s'] / size)} | {r['peak_rss_mb']:.0f} MB |"
        )
    rep.add("\n".join(lines))
    rep.target(
        "history verify() linear (cost per entry flat)",
        " → ".join(_us(x) for x in per_entry),
        max(per_entry) / min(per_entry) < 2,
    )


def bench_anchors(rep: Report, sizes: list[int]) -> None:
    lines = [
        "## 5b. `verify_all()` of the account history with its anchor checks",
        "",
        "N accounts bulk-registered into a SQLite file; `program.history.verify_all()`",
        "(which also compares each stored candidate, the address index entries of the",
        "addresses it left, and each candidate's stored awards record and the code index",
        "entries of its disclosures, with the history) against an `AccountHistory` of the",
        "same store without the checks; best of 3 each.",
        "",
        "| accounts | with the checks | per account | without | per account | cost of the checks |",
        "|---|---|---|---|---|---|",
    ]
    per_account = []
    for size in sizes:
        r = run_child("anchors_verify", size=size, backend="sqlite")
        ratio = r["with_s"] / r["without_s"]
        per_account.append(r["with_s"] / size)
        lines.append(
            f"| {_k(size)} | {r['with_s']:.2f} s | {_us(r['with_s'] / size)} "
            f"| {r['without_s']:.2f} s | {_us(r['without_s'] / size)} | {ratio:.2f}x |"
        )
    lines += [
        "",
        "Most of the checks' cost is decoding each stored candidate in full (every",
        "converter and validator runs, so a row edited into an invalid one is reported",
        "too); the rest is replaying the account's entries and looking up its awards",
        "record (none here: a bulk-registered account has taken no exam, changed no",
        "address and holds no disclosure, so no index entry is looked up).",
    ]
    rep.add("\n".join(lines))
    rep.target(
        "verify_all() with the anchor checks linear (cost per account flat within 2x)",
        " → ".join(_us(x) for x in per_account),
        max(per_account) / min(per_account) < 2,
    )


KEYED_CALLS = (
    ("authenticate", "`authenticate` (right password)"),
    ("authenticate_imported", "`authenticate` of an imported account (refused)"),
    (
        "authenticate_no_digest",
        "`authenticate` of an account whose candidate keeps no credential digest",
    ),
    ("request_password_reset", "`request_password_reset`"),
    ("reset_password", "`reset_password`"),
)


def bench_keyed(rep: Report, size: int, number: int) -> None:
    """Account calls with and without a ledger key, each in its own child process."""
    plain = run_child("accounts_keyed", size=size, keyed=False, number=number)
    keyed = run_child("accounts_keyed", size=size, keyed=True, number=number)
    accounts = keyed["accounts"]
    lines = [
        "## 5c. Account calls with and without a ledger key",
        "",
        f"A SQLite file holding {_k(size)} bulk-registered accounts and two active ones;",
        "`Program(..., ledger_key=...)` against the same program without a key (with a key,",
        "token digests are HMACs under a key derived from the ledger key and token rows are",
        "sealed; history entries are authenticated). Hasher `ScryptHasher(n=2**4)`, so that",
        "the rest of each call shows. The account without a digest is an account stored",
        "before digests were kept (its candidate's `credential_digest` cleared beside the",
        "store before each call, untimed): its log-in reads and verifies its history and",
        f"writes the digest back. Median of 7 runs of {number} calls for the first two rows,",
        f"median of {number} single calls for the others; `verify_all()` best of 3. Each",
        "program runs in its own child process.",
        "",
        "| call | without a key | with a key | with / without |",
        "|---|---|---|---|",
    ]
    worst = 0.0
    for name, label in KEYED_CALLS:
        ratio = keyed[name] / plain[name]
        worst = max(worst, ratio)
        lines.append(f"| {label} | {_us(plain[name])} | {_us(keyed[name])} | {ratio:.2f}x |")
    per_plain, per_keyed = plain["verify_all_s"] / accounts, keyed["verify_all_s"] / accounts
    lines.append(
        f"| `history.verify_all()`, {accounts:,} accounts | {plain['verify_all_s']:.2f} s"
        f" ({_us(per_plain)} per account) | {keyed['verify_all_s']:.2f} s"
        f" ({_us(per_keyed)} per account) | {per_keyed / per_plain:.2f}x |"
    )
    lines += [
        "",
        f"Peak RSS {plain['peak_rss_mb']:.0f} MB without a key, {keyed['peak_rss_mb']:.0f} MB"
        " with one.",
    ]
    rep.add("\n".join(lines))
    rep.target(
        "account calls with a ledger key within 1.5x of the same calls without one",
        f"{worst:.2f}x worst",
        worst <= 1.5,
    )


RESULTS = ROOT / "benchmarks" / "results.json"
ORDER = [
    "decisions",
    "registration",
    "registration-postgresql",
    "serialization",
    "audience",
    "growth",
    "anchors",
    "keyed",
    "enumeration",
]


def write(
    rep: Report, info: dict[str, Any], *, report: Path | None = None, results: Path | None = None
) -> None:
    """Merge this run's sections with the kept ones and write REPORT.md and results.json.

    The sections of the existing REPORT.md that are not generated from results.json
    (written by hand, e.g. the event-loop lag) are kept, in place and in order (see
    ``benchmarks/_report.py``).
    """
    report = REPORT if report is None else report
    results = RESULTS if results is None else results
    kept: dict[str, Any] = {}
    if results.exists():
        kept = json.loads(results.read_text(encoding="utf-8"))
    sections: dict[str, Any] = dict(kept.get("sections", {}))
    sections.update(rep.sections)
    machines: dict[str, Any] = dict(kept.get("machine", {}))
    machines.update(dict.fromkeys(rep.sections, info))
    results.write_text(
        json.dumps({"sections": sections, "machine": machines}, indent=1, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    present = [name for name in ORDER if name in sections]
    info = machines[present[0]] if present else info
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    head = [
        "# symprogram benchmarks",
        "",
        "Written by `python -m benchmarks` (see the README). Each section says the command,",
        "commit, time and load it was measured with; every ratio compares figures measured in",
        "the same run of that section. `--only SECTION` measures one section again and keeps",
        "the others (`benchmarks/results.json` holds them). Sections it does not generate",
        "(written by hand, for a benchmark run on its own) are kept where they are.",
        "",
        "## Machine",
        "",
        f"- {info['nproc']} CPUs: {info['cpu']}; memory {info['memory']}",
        "- other engineers' work shares the machine: figures are medians, expect noise of",
        "  tens of percent (each section gives the load average at its start and end)",
        f"- {info['os']}; {info['python']}; SQLite {info['sqlite']}",
        f"- {versions}",
        "",
        "## Targets",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
        *[
            f"| {name} | {measured} | {verdict} |"
            for section in present
            for name, measured, verdict in sections[section]["targets"]
        ],
        "",
    ]
    body: list[str] = []
    for name in present:
        section = sections[name]
        text = "".join(section["text"])
        title, _, rest = text.partition("\n")
        body.append(
            f"{title}\n\n_Measured by `{section['command']}` at commit {section['commit']},"
            f" {section['started']}, in {section['minutes']} min; load average"
            f" {section['load_at_start']} at start, {section['load_at_end']} at end._\n" + rest
        )
    previous = report.read_text(encoding="utf-8") if report.exists() else ""
    text = "\n".join(head) + "\n"
    preamble = text[: text.index("\n## ")].rstrip() + "\n"
    chunks = merge([*split_sections(text), *body, *split_sections(NOTES)], previous)
    report.write_text(preamble + "\n" + "\n".join(chunks), encoding="utf-8")
    print(f"wrote {report}")


NOTES = """
## Notes

- The password hasher is the library's `ScryptHasher`. With its default cost
  (n=2**15, about 0.1 s of CPU per hash, by design) registration is bound by
  hashing: the `per_call` row with the default hasher is a small sample. The bulk rows
  use the same hasher class at its cheapest cost (n=2**4) so that the rest of the
  path is visible; that is a benchmark setting, never a production one.
- Warm decisions (round 3): on a store with a change token (the memory store) a
  service remembers an answer with the token read before the data and the window of
  instants over which the answer cannot change, and reuses it without a unit of
  work while both hold (`docs/explanation-performance.md`). What remains of a warm
  call: the method call and argument screening, `change_token()` (~0.15 µs), one
  dictionary lookup, the window comparison and, for a new instant, `restamped`
  (~0.35 µs) — hence the system-clock column, where every call is a new instant and
  `SystemClock.now()` itself costs ~0.2 µs. The 10x target is for decisions in
  memory.
- Warm decisions on SQLite (issue 20): before, SQLite had no change token (other
  processes write the file), so every SQLite decision opened a unit of work and read
  its record (~20 µs). `SQLiteStore.change_token()` is now the 48-byte WAL-index
  header SQLite keeps at the start of the `-shm` file, read from a read-only
  mapping: every commit of any connection of any process rewrites it (`iChange`,
  `mxFrame`, the frame checksum; new salts when the WAL restarts), so the next call
  after another process's commit misses the memo and reads the file
  (`tests/storage/test_sqlite_change_token.py` checks it with a second process).
  Measured with `timeit` on this machine: the mapped header 0.12 µs a read, `PRAGMA
  data_version` (the documented per-connection signal) 4.6 µs a call, more than
  the 2 µs budget of a whole warm answer; it remains the fallback where the header
  cannot be mapped (a database in memory counts its own commits). Re-checking the
  file only every N µs was not taken: the next call would not always see the change.
- Audience (round 3): opt-in purposes read the audience index (`consent_granted`
  records kept in the projection's unit of work), half the rows the hand-written
  SQL evaluates, with no JSON decoding of projections.
- Bulk registration: writes are batched (`WriteBuffer`, `save_many` /
  `append_many` / `index_put_many`, a few statements per 1000 candidates). On
  PostgreSQL (round 4) a batch's new rows are one `COPY` per table and its reads
  probe the primary key once per key, whatever the table statistics (before, an
  `IN` list of 500 keys on tables never analyzed read every record of a kind per
  batch: the cost per candidate grew from 0.8 ms at 25k to 2.1 ms at 250k). On
  SQLite the page cache is 32 MB and the WAL is checkpointed every 10,000 pages
  (SQLite's defaults: 2 MB, 1,000 pages). What remains is the work the raw
  baseline does not do, shown by the profile table of section 2: building and
  validating every record and e-mail address, encoding ten rows per candidate as
  canonical JSON, drawing and hashing the activation token, hash-chaining three
  history entries per candidate, and inserting rows under random keys. The
  baseline inserts finished rows in primary-key order, its best case, and its
  `executemany` spends nothing in Python per row; 1.5x of it would leave about
  half of what SQLite itself takes per candidate for all of that Python work.
  Not taken: fewer key checks (one costs 0.1 µs, measured; the profile counts 59
  per candidate, about 6 µs or 2 %, and every layer checks what it is given);
  storing each terms acceptance once at version 2 instead of saving it twice (the
  bulk path leaves exactly what `accept_terms` + `register` leave).
- Registration cost per candidate grows with the file on SQLite (about 1.5x per
  tenfold size), the raw baseline's much less: it inserts in primary-key order,
  so consecutive rows share index pages, while symprogram's keys (candidate IDs,
  tokens, history streams, e-mail digests) are random by design. Once an index is
  far larger than the page cache, every insert under a random key costs about
  one page read and one dirty page written back at commit; a 1000-candidate
  batch then dirties about ten thousand distinct pages, where it dirtied a few
  hundred shared ones while the file was small. That cost stops growing once
  every insert has its own page (it is bounded, not quadratic: a quadratic path
  would multiply the cost per candidate by ten per tenfold size). A larger page
  cache helps while the indexes nearly fit (50k: 12 % faster with the store's
  32 MB than with SQLite's 2 MB, measured) and hardly afterwards (300k: 2 %).
  PostgreSQL, with its server-side buffers, grew 1.25x from 10k to 1M.
- Serialization: code generated per model class writes canonical JSON directly and
  builds models from the parsed JSON, every converter and validator still run;
  pydantic-core and msgspec do the same in compiled code. ContactDetails is
  faster than pydantic because plain ASCII addresses skip email-validator
  (property-tested to give its exact result), which pydantic's `EmailStr` calls.
- Generated code against cattrs alone (round 5): the issue's rule keeps the
  generator only where it is at least 1.5x faster than cattrs' general path on
  the same models. Per model (round trip) it is 4.2x on ConsentState and 2.1x on
  ContactDetails (round 6), so it stays for both. Per direction every figure clears 1.5x
  but one: reading ContactDetails alone is about 1.1-1.3x, because a validated model
  is built by calling the class, and its e-mail and text checks, which both paths
  run, are most of the time. Its reader is kept as part of the ContactDetails
  round trip; the writers (4-7x) are where the generator pays most. Measured on
  another machine than the sections before it (2 CPUs, Intel Xeon; results.json
  keeps each section's machine), shared with other engineers' test runs (load
  average about 6): every case ran in three interleaved rounds and kept its best median, so
  that a burst of load does not favour one column over another.
- Serialization at 1.5x pydantic v2 (issue 20, round 6): **missed** on
  ConsentState (0.80x pydantic's time, 0.67x needed); ContactDetails is at 0.16x.
  Done: a generated reader no longer sets each slot of a frozen record through its
  descriptor (one call per field, most of the cost of building a record); it fills an
  instance of a private subclass of the same layout with plain stores, then assigns
  its class (`symprogram/_codegen.py`, `_filler`). ConsentState's reader went from
  7.3-8.2 µs to 5.6-6.1 µs and the round trip from 0.84-0.90x to 0.80x pydantic's
  time. Where ConsentState's round trip (20 µs, pydantic 25 µs) goes now, measured
  interleaved in one process as CPU time, best of 400 runs of 50 calls, at load
  7-9: `json` parsing the 760-character text 6.0 µs; `dumps` 7.6 µs, of which
  formatting the six instants 2.9-3.3 µs (seven attribute reads and table
  look-ups each, the fastest pure-Python form measured: `isoformat()` is 3.5x
  slower, the `__reduce__` bytes 1.4x); building the six records 2.5-3.0 µs
  (allocation, stores, class assignment); the reader's key look-ups, class checks,
  enumeration look-ups and `fromisoformat` 3.1 µs. 0.67x needs 16.5 µs, 3.5-4 µs
  less. Tried and dropped: a regular expression over the canonical text instead of
  `json` (6.8 µs for the match and the items, slower than the parser), splitting
  the text at its quotes (3 µs for the split alone), one check per record in the
  writers instead of one per field (2.5 % of `dumps`). Measured, not taken:
  msgspec's untyped JSON decoder parses the text in 2.6-2.8 µs instead of 5.7-5.9 µs, about
  0.69x in all, but it is a compiled dependency for the pure-Python core and
  answers some inputs differently from `json` (control characters, big integers),
  which would need their own fallback and tests.
"""


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run everything, write the report."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="sizes 1k and 10k")
    parser.add_argument("--full", action="store_true", help="add the 1M sizes")
    parser.add_argument(
        "--render",
        action="store_true",
        help="measure nothing: write REPORT.md again from results.json (after editing the notes)",
    )
    parser.add_argument(
        "--only",
        choices=ORDER,
        action="append",
        help="run only these sections (the report then holds only them)",
    )
    args = parser.parse_args(argv)
    if args.render:
        write(Report("python -m benchmarks --render"), machine())
        return
    if args.quick:
        sizes, number, sample = [1_000, 10_000], 5_000, 5
    else:
        sizes, number, sample = [10_000, 100_000], 20_000, 20
    big = [*sizes, 1_000_000] if args.full else sizes
    postgres = os.environ.get("SYMPROGRAM_TEST_POSTGRES_URL")
    only = set(args.only or ORDER)
    info = machine()
    command = (
        "python -m benchmarks"
        + (" --quick" if args.quick else "")
        + (" --full" if args.full else "")
    )
    rep = Report(command)
    runs: dict[str, Any] = {
        "decisions": lambda: bench_decisions(rep, big, number),
        "serialization": lambda: bench_serialization(rep, number // 4),
        "audience": lambda: bench_audience(rep, big, postgres),
        "growth": lambda: bench_growth(rep, big),
        "anchors": lambda: bench_anchors(rep, sizes),
        "keyed": lambda: bench_keyed(rep, sizes[0], number // 25),
        "registration": lambda: bench_registration(rep, sizes, big, sample, postgres),
        "registration-postgresql": lambda: bench_registration_pg(rep, big, postgres),
        "enumeration": lambda: bench_enumeration(rep, 200, ["sqlite", "memory"]),
    }
    for name in (
        "decisions",
        "serialization",
        "audience",
        "growth",
        "anchors",
        "keyed",
        "registration",
        "registration-postgresql",
        "enumeration",
    ):
        if name in only:
            rep.begin(name)
            runs[name]()
            rep.end()
            write(rep, info)


if __name__ == "__main__":
    main()
