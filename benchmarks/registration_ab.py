"""Registration cost per candidate, two source trees measured in turn (A/B).

Usage (from the repository root)::

    python -m benchmarks.registration_ab --base /path/to/older/checkout
    python -m benchmarks.registration_ab --base OLD --rounds 5 --size 1000

Each measurement is a fresh interpreter importing ``symprogram`` from one tree's
``src``: ``per_call`` (``accept_terms`` + ``register`` per candidate, each its own
unit of work) or ``bulk`` (``register_many``, 1000 rows per unit of work, rows built
from the raw fields), into a ``MemoryStore`` or a fresh SQLite file, with the test
hasher (``ScryptHasher(n=2**4)``; ``bulk`` hashes nothing: unusable passwords). The
figure is the process's CPU time per candidate (``time.process_time``: on a shared
machine wall time also counts the time spent waiting for a core). The two trees
alternate within every round, so that a burst of load falls on both; the table gives
the median of the rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CASES = [(w, b) for w in ("per_call", "bulk") for b in ("memory", "sqlite")]


def measure(what: str, backend: str, size: int) -> float:
    """CPU seconds per candidate of ``what`` on ``backend`` (in this interpreter)."""
    from symprogram import Program
    from symprogram.accounts import ContactDetails
    from symprogram.accounts.passwords import ScryptHasher
    from symprogram.accounts.service import BulkCandidate
    from symprogram.clock import FixedClock
    from symprogram.notify import Outbox
    from symprogram.storage.memory import MemoryStore
    from symprogram.storage.sqlite import SQLiteStore

    store: Any = (
        MemoryStore() if backend == "memory" else SQLiteStore(Path(tempfile.mkdtemp()) / "ab.db")
    )
    outbox = Outbox()
    program = Program(
        store,
        clock=FixedClock(datetime_now()),
        notifier=outbox,
        options={"accounts": {"hasher": ScryptHasher(n=2**4)}},
    )
    accounts = program.accounts
    emails = [f"Candidate.{i}@Example{i % 97}.com" for i in range(size)]
    fields = {
        "given_name": "Ann",
        "family_name": "Lee",
        "company_name": "Acme Storage",
        "partner_company": "Acme Partner",
        "preferred_language": "de",
    }
    start = time.process_time()
    if what == "per_call":
        for email in emails:
            receipt = accounts.accept_terms(path="create_account")
            accounts.register(
                terms_receipt=receipt.token,  # type: ignore[arg-type]
                email=email,
                password="Tr0ub4dor&3-horse-staple",
                given_name=fields["given_name"],
                family_name=fields["family_name"],
                company_name=fields["company_name"],
                partner_company=fields["partner_company"],
                preferred_language=fields["preferred_language"],
            )
            outbox.clear()
    else:
        for first in range(0, size, 1000):
            rows = [
                BulkCandidate(ContactDetails(email=email, **fields))
                for email in emails[first : first + 1000]
            ]
            accounts.register_many(rows, batch_size=1000)
            outbox.clear()
    elapsed = time.process_time() - start
    program.close()
    return elapsed / size


def datetime_now() -> Any:
    """The benchmarks' fixed instant (as ``benchmarks.worker``)."""
    from datetime import UTC, datetime

    return datetime(2012, 3, 1, tzinfo=UTC)


def _child(tree: Path, what: str, backend: str, size: int) -> float:
    env = dict(os.environ, PYTHONPATH=str(tree / "src"))
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); "
        "from benchmarks.registration_ab import measure; "
        "print(json.dumps(measure(sys.argv[2], sys.argv[3], int(sys.argv[4]))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT), what, backend, str(size)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    value: float = json.loads(out.stdout.strip().splitlines()[-1])
    return value


def main(argv: list[str] | None = None) -> None:
    """Measure both trees in turn and print a Markdown table (µs per candidate)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the older checkout (A)")
    parser.add_argument("--new", type=Path, default=ROOT, help="the newer checkout (B)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", type=int, default=1000)
    args = parser.parse_args(argv)
    samples: dict[tuple[str, str, str], list[float]] = {}
    for _ in range(args.rounds):
        for what, backend in CASES:
            for side, tree in (("A", args.base), ("B", args.new)):
                value = _child(tree, what, backend, args.size)
                samples.setdefault((what, backend, side), []).append(value)
    print(f"{args.size} candidates, median of {args.rounds} rounds, CPU µs per candidate\n")
    print("| mode | backend | A (base) | B (new) | B / A | A runs | B runs |")
    print("|---|---|---:|---:|---:|---|---|")
    for what, backend in CASES:
        a, b = samples[what, backend, "A"], samples[what, backend, "B"]
        ma, mb = statistics.median(a), statistics.median(b)
        print(
            f"| {what} | {backend} | {ma * 1e6:,.0f} | {mb * 1e6:,.0f} | {mb / ma:.2f} "
            f"| {', '.join(f'{x * 1e6:.0f}' for x in a)} "
            f"| {', '.join(f'{x * 1e6:.0f}' for x in b)} |"
        )


if __name__ == "__main__":
    main()
