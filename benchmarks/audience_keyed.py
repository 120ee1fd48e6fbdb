"""The opt-in audience with and without a ledger key: what sealed entries cost.

Usage (from the repository root)::

    python -m benchmarks.audience_keyed                 # 10k and 100k subjects
    python -m benchmarks.audience_keyed --sizes 10000   # one size

With a ledger key every audience index entry is sealed (an HMAC-SHA-256 of its key
and content) and ``iter_audience`` checks the seal of every entry it believes.
For each size, two SQLite files are seeded through the public API exactly as
section 4 of the report seeds its file (odd subjects grant ``special_offers``, even
ones refuse, 5000 per unit of work), one by a ``ConsentService`` without a key and
one with a key; then ``iter_audience('special_offers', batch=1000)`` is streamed
to the end, each file in turn, ``--rounds`` times (default 5), in one process.
The figure is the median wall time of the rounds (the streams are read from a
warm page cache). Printed as a Markdown table for the report's section 4b.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.worker import LEDGER_KEY, _clock, _store, _subject


def _seed(path: str, size: int, key: bytes | None) -> float:
    from symprogram.consent import ConsentService, ConsentSettings

    store = _store("sqlite", path)
    con = ConsentService(store, _clock(), settings=ConsentSettings(policy="opt_in"), ledger_key=key)
    start = time.perf_counter()
    for first in range(0, size, 5000):
        with store.transaction():
            for i in range(first, min(size, first + 5000)):
                if i % 2:
                    con.grant(_subject(i), "special_offers", channel="web_form", evidence="b")
                else:
                    con.refuse(_subject(i), "special_offers", channel="web_form", evidence="b")
    store.close()
    return time.perf_counter() - start


def _query(path: str, key: bytes | None) -> tuple[float, int]:
    from symprogram.consent import ConsentService, ConsentSettings

    store = _store("sqlite", path)
    con = ConsentService(store, _clock(), settings=ConsentSettings(policy="opt_in"), ledger_key=key)
    with store.transaction(readonly=True):
        pass  # connect before the timer starts
    start = time.perf_counter()
    count = sum(1 for _ in con.iter_audience("special_offers", batch=1000))
    elapsed = time.perf_counter() - start
    store.close()
    return elapsed, count


def main(argv: list[str] | None = None) -> None:
    """Seed, measure, print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.audience_keyed")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    print("| subjects | without a key | with a key | per listed subject, without / with | ratio |")
    print("|---|---|---|---|---|")
    for size in args.sizes:
        workdir = Path(tempfile.mkdtemp(prefix="symprogram-audience-keyed-"))
        files = {None: str(workdir / "plain.db"), LEDGER_KEY: str(workdir / "keyed.db")}
        for key, path in files.items():
            _seed(path, size, key)
        times: dict[bytes | None, list[float]] = {key: [] for key in files}
        for _ in range(args.rounds):
            for key, path in files.items():
                elapsed, count = _query(path, key)
                assert count == size // 2, (count, size)
                times[key].append(elapsed)
        plain, keyed = (statistics.median(times[key]) for key in files)
        listed = size // 2
        print(
            f"| {size:,} | {plain:.3f} s | {keyed:.3f} s "
            f"| {plain / listed * 1e6:.2f} µs / {keyed / listed * 1e6:.2f} µs "
            f"| {keyed / plain:.2f}x |"
        )
        for path in files.values():
            Path(path).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
