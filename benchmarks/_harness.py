"""Timing, machine description and child-process plumbing shared by the benchmarks."""

from __future__ import annotations

import gc
import importlib.metadata
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def per_call(
    fn: Callable[[], object],
    *,
    number: int,
    repeat: int = 7,
    warmup: int = 1000,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """Median seconds per call of ``fn`` over ``repeat`` runs of ``number`` calls.

    ``clock``: wall time by default; ``time.thread_time`` counts only the CPU time
    of the measuring thread (time spent waiting for a core on a loaded machine left out).
    """
    for _ in range(min(warmup, number)):
        fn()
    samples = []
    for _ in range(repeat):
        gc_was = gc.isenabled()
        gc.disable()
        start = clock()
        for _ in range(number):
            fn()
        samples.append((clock() - start) / number)
        if gc_was:
            gc.enable()
    return statistics.median(samples)


def timed(fn: Callable[[], object]) -> float:
    """Wall seconds of one call."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_of(fn: Callable[[], float], repeat: int) -> float:
    """Median of ``repeat`` measurements returned by ``fn``."""
    return statistics.median(fn() for _ in range(repeat))


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM), in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import sqlite3

    load = os.getloadavg()
    return {
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory": _memory(),
        "load_at_start": f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "sqlite": sqlite3.sqlite_version,
        "versions": {
            name: _version(name)
            for name in (
                "symprogram",
                "attrs",
                "cattrs",
                "email-validator",
                "babel",
                "pydantic",
                "pydantic-core",
                "msgspec",
                "SQLAlchemy",
                "psycopg",
            )
        },
    }


def run_child(task: str, **kwargs: Any) -> dict[str, Any]:
    """Run ``benchmarks.worker <task>`` in a fresh interpreter; return its JSON result.

    A fresh process per measurement gives each one its own peak RSS (VmHWM) and
    keeps one benchmark's caches and garbage out of the next.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.worker", task, json.dumps(kwargs)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark {task} {kwargs} failed:\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["child_cpu_s"] = round(
        (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2
    )
    return result
