"""What comparing a record with its history costs the changes that act on it.

Usage (from the repository root)::

    python -m benchmarks.anchored_changes                      # 20, 100, 500 entries
    python -m benchmarks.anchored_changes --entries 20 200

Some changes read the account's whole history before they act (the suspension of
an account compares the candidate row with it; the renewal of an award compares the
awards record with it). This measures two such changes against the length of that
history, on a SQLite file with a ledger key: ``suspend`` + ``reinstate`` (two
status changes) and ``publish`` + ``evaluate`` (an award shown to a third party, and
the requirements evaluated again, earning nothing new).
The history is grown with contact-detail updates (one entry each). Each figure is
the median wall time of ``--rounds`` pairs (default 15), per pair. Printed as a
Markdown table for the report's section 5d.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.worker import LEDGER_KEY


def _program(directory: Path) -> object:
    from symprogram import FixedClock, Program
    from symprogram.accounts import ScryptHasher

    return Program.open(
        f"sqlite:///{directory / 'anchored.db'}",
        clock=FixedClock(datetime(2012, 3, 1, 9, 30, tzinfo=UTC)),
        ledger_key=LEDGER_KEY,
        options={"accounts": {"hasher": ScryptHasher(n=2**4)}},
    )


def _active(program: object) -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from _programs import register_active  # the test suite's standard registration

    return register_active(program, "ada@example.com")


def main(argv: list[str] | None = None) -> None:
    """Grow the history, measure, print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.anchored_changes")
    parser.add_argument("--entries", type=int, nargs="+", default=[20, 100, 500])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    program: object = _program(Path(tempfile.mkdtemp(prefix="symprogram-anchored-")))
    accounts = program.accounts  # type: ignore[attr-defined]
    awards = program.awards  # type: ignore[attr-defined]
    history = program.history  # type: ignore[attr-defined]
    clock = program.clock  # type: ignore[attr-defined]
    cid = _active(program)
    taken = clock.now() - timedelta(days=1)
    awards.record_exam_result(cid, "250-315", 85, taken_at=taken)
    awards.record_exam_result(cid, "ST0-091", 85, taken_at=taken)
    awards.evaluate(cid)
    print("| history entries | suspend + reinstate | publish + evaluate |")
    print("|---|---|---|")
    for target in args.entries:
        while len(history.history(cid)) < target:
            accounts.update_contact_details(cid, given_name=f"Ada {len(history.history(cid))}")
        status, award = [], []
        for _ in range(args.rounds):
            start = time.perf_counter()
            accounts.suspend(cid, "benchmark")
            accounts.reinstate(cid)
            status.append(time.perf_counter() - start)
            clock.advance(timedelta(minutes=1))
            start = time.perf_counter()
            awards.publish(cid, ["scs-endpoint"], "hr@acme.example")
            awards.evaluate(cid)
            award.append(time.perf_counter() - start)
            clock.advance(timedelta(minutes=1))
        print(
            f"| {target} | {statistics.median(status) * 1e3:.2f} ms "
            f"| {statistics.median(award) * 1e3:.2f} ms |"
        )


if __name__ == "__main__":
    main()
