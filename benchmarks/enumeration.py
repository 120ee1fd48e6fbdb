"""Can the elapsed time of one call tell a known address from an unknown one? (issue 18)

Usage (from the repository root)::

    python -m benchmarks.enumeration              # 200 + 200 samples per call, SQLite and memory
    python -m benchmarks.enumeration --samples 50 --backend memory
    python -m benchmarks.enumeration --samples 1000 --backend postgresql --only resend

For each call (``authenticate`` with a wrong password, ``request_password_reset``,
``resend_activation``, ``request_email_change``, ``register`` and
``claim_score_report`` with a wrong proof) the script times
``samples`` calls about addresses of one kind (an active account, an imported one
without a password, one imported with a hash *weaker* than the policy's (scrypt
N=2**12) or *costlier* (scrypt N=2**17 under Argon2id), a pending one, a taken
address; for the claim, a recorded registration number, the row's address standing
for it, see :func:`report_number`) and as many about unknown addresses (numbers
nobody recorded), interleaved in a random order, each
address asked once (what a prober does), with the policy's password hasher
(:func:`default_hasher`: Argon2id with the extra ``argon2``, scrypt N=2**17
otherwise). The *costlier* row comes last of the log-ins: from the first
verification of such a hash on, the process pads every failed verification to its
cost (see ``docs/accounts.md``, Security), and its first calls show what is left
before that.

The attacker's best one-sample classifier is a threshold on the elapsed time. Two
figures per row: the accuracy of the best threshold chosen on all the samples
(optimistic: on two identical distributions of 200 + 200 samples it is about 54%
from noise alone), and the held-out accuracy (the threshold and its direction
chosen on one half of each kind, scored on the other half, both ways, averaged
over 20 random halvings: about 50% when nothing leaks). The target is a held-out
accuracy of at most 55% (at most 52% from 1,000 + 1,000 samples on). A third figure,
the chance that a known address's call is the slower of two (with its distance from
0.5 in standard errors), uses all the samples at once and shows a difference too
small for one call to tell. Each row starts with :data:`WARMUP` calls about other
addresses. ``--backend postgresql`` runs on ``SYMPROGRAM_TEST_POSTGRES_URL``, its
symprogram tables dropped before and after.

A last row per backend is a control: ``request_password_reset`` for two sets of
unknown addresses, where nothing can leak; its score is what noise alone gives in
the same run (with 200 + 200 samples the held-out score scatters by about 2.5
points around 50%).

The section is written into ``benchmarks/REPORT.md`` (section ``enumeration``) and
``benchmarks/results.json`` with the other sections.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # ``python benchmarks/enumeration.py``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from symprogram import Outbox, Program
from symprogram.accounts import AccountsSettings, BulkCandidate, ContactDetails
from symprogram.accounts.passwords import Argon2Hasher, ScryptHasher, default_hasher
from symprogram.clock import FixedClock
from symprogram.errors import SymprogramError

PASSWORD = "correct horse battery staple"
WRONG = "not the password at all"
WRONG_PROOF = "not.on.the.report@example.com"
TARGET = 0.55
TARGET_LARGE = 0.52
WARMUP = 50
"""Calls per row about addresses outside the samples, before the timed ones."""


def best_threshold(known: list[float], unknown: list[float]) -> tuple[float, float, bool]:
    """The threshold on the elapsed time that best separates the samples: (accuracy,
    threshold, whether "known" is the slower side)."""
    labelled = sorted([(t, 1) for t in known] + [(t, 0) for t in unknown])
    n_known, n_unknown = len(known), len(unknown)
    best = (0.5, labelled[0][0], True)
    below_known = below_unknown = 0
    for i, (value, label) in enumerate(labelled):
        below_known += label
        below_unknown += 1 - label
        if i + 1 < len(labelled) and labelled[i + 1][0] == value:
            continue
        # "known if slower than value": right on the unknown below and the known above
        slower = ((n_known - below_known) / n_known + below_unknown / n_unknown) / 2
        for accuracy, known_slower in ((slower, True), (1 - slower, False)):
            if accuracy > best[0]:
                best = (accuracy, value, known_slower)
    return best


def score(known: list[float], unknown: list[float], threshold: float, slower: bool) -> float:
    """The balanced accuracy of one threshold classifier on these samples."""
    right_known = sum((t > threshold) == slower for t in known) / len(known)
    right_unknown = sum((t > threshold) != slower for t in unknown) / len(unknown)
    return (right_known + right_unknown) / 2


def held_out(known: list[float], unknown: list[float], seed: int = 7, splits: int = 20) -> float:
    """Choose the threshold on one half of each kind, score it on the other, both ways;
    the mean over ``splits`` random halvings (one halving alone adds its own luck)."""
    rng = random.Random(seed)
    scores = []
    for _ in range(splits):
        a, b = known[:], unknown[:]
        rng.shuffle(a)
        rng.shuffle(b)
        ka, kb = a[: len(a) // 2], a[len(a) // 2 :]
        ua, ub = b[: len(b) // 2], b[len(b) // 2 :]
        for train_k, train_u, test_k, test_u in ((ka, ua, kb, ub), (kb, ub, ka, ua)):
            _, threshold, slower = best_threshold(train_k, train_u)
            scores.append(score(test_k, test_u, threshold, slower))
    return sum(scores) / len(scores)


def rank_auc(known: list[float], unknown: list[float]) -> tuple[float, float]:
    """The chance that a call about a known address is slower than one about an
    unknown address (the area under the ROC curve of the elapsed time: 0.5 when
    nothing leaks; ties count half), and its distance from 0.5 in standard errors
    (Mann-Whitney's normal approximation: beyond about 3 it is unlikely to be noise).
    It uses every sample at once, so it sees a smaller difference than the
    one-sample classifier's accuracy does."""
    labelled = sorted([(t, 1) for t in known] + [(t, 0) for t in unknown])
    ranks = 0.0
    i = 0
    while i < len(labelled):
        j = i
        while j + 1 < len(labelled) and labelled[j + 1][0] == labelled[i][0]:
            j += 1
        mean_rank = (i + j) / 2 + 1
        ranks += mean_rank * sum(label for _, label in labelled[i : j + 1])
        i = j + 1
    n_known, n_unknown = len(known), len(unknown)
    auc = (ranks - n_known * (n_known + 1) / 2) / (n_known * n_unknown)
    error = ((n_known + n_unknown + 1) / (12 * n_known * n_unknown)) ** 0.5
    return auc, (auc - 0.5) / error


def _contact(email: str) -> ContactDetails:
    return ContactDetails(
        email=email,
        given_name="Ada",
        family_name="Lovelace",
        company_name="Analytical Engines",
        partner_company="Babbage & Co",
        preferred_language="en-GB",
    )


class Probe:
    """A program with known addresses of every kind, and timed calls about them."""

    def __init__(self, backend: str, directory: Path, samples: int) -> None:
        self.clock = FixedClock(datetime(2012, 3, 1, 9, 30, tzinfo=UTC))
        self.hasher = default_hasher()
        limits = AccountsSettings(
            login_failure_limit=1000,
            client_failure_limit=1000,
            reset_limit=1000,
            resend_limit=1000,
            email_change_limit=1000,
        )
        options = {"accounts": {"hasher": self.hasher, "settings": limits}}
        if backend == "memory":
            self.program = Program.in_memory(clock=self.clock, options=options)
        elif backend == "postgresql":
            self.program = Program.open(postgres_url(), clock=self.clock, options=options)
        else:
            url = f"sqlite:///{directory / 'enumeration.db'}"
            self.program = Program.open(url, clock=self.clock, options=options)
        self.accounts = self.program.accounts
        self.samples = samples
        self._seed()

    @property
    def outbox(self) -> Outbox:
        """The program's outbox."""
        outbox = self.program.notifier
        assert isinstance(outbox, Outbox)
        return outbox

    def addresses(self, kind: str) -> list[str]:
        """``samples`` addresses of ``kind``."""
        return [f"{kind}{i}@example.com" for i in range(self.samples)]

    def _seed(self) -> None:
        encoded = self.hasher.hash(PASSWORD)
        rows = [
            BulkCandidate(_contact(email), password_hash=encoded)
            for email in (
                "caller@example.com",
                *self.addresses("active"),
                *self.addresses("pending"),
            )
        ]
        rows += [BulkCandidate(_contact(email)) for email in self.addresses("imported")]
        # Imported with a hash not at the policy's cost (issue: auth-timing): one of a
        # weaker legacy policy, and one costlier than the policy (scrypt N=2**17 stored
        # before the argon2 extra was installed; N=2**18 when the policy is scrypt).
        for kind, other in (("weaker", weaker_hasher()), ("costlier", costlier_hasher())):
            legacy = other.hash(PASSWORD)
            rows += [BulkCandidate(_contact(e), password_hash=legacy) for e in self.addresses(kind)]
        self.accounts.register_many(rows)
        for message in list(self.outbox.messages):
            if message.kind == "activation" and message.to.startswith(("active", "caller")):
                self.accounts.activate(str(message.data["token"]))
        self.caller = self.accounts.find_by_email("caller@example.com")
        for email in self.addresses("report"):  # score reports, by registration number
            self.accounts.record_score_report(
                registration_number=report_number(email),
                exam_code="250-315",
                candidate_name="Ada Lovelace",
                email="ada@example.com",
                score=85,
                passing_score=70,
                exam_date=self.clock.now().date(),
                test_centre="London",
            )

    def close(self) -> None:
        """Close the program."""
        self.program.close()


def weaker_hasher() -> ScryptHasher:
    """A legacy policy's hasher, cheaper than the policy's: scrypt N=2**12."""
    return ScryptHasher(n=2**12)


def costlier_hasher() -> ScryptHasher:
    """A hasher costlier than the policy's: scrypt N=2**17 (what a program without the
    extra ``argon2`` stored) under an Argon2id policy, N=2**18 under a scrypt one."""
    policy = default_hasher()
    return ScryptHasher(n=2**18) if not isinstance(policy, Argon2Hasher) else ScryptHasher()


def report_number(address: str) -> str:
    """The registration number a row's "address" stands for in the claim rows: a digest
    of it, so that a recorded number and one nobody recorded have the same length and
    scattered places among the keys (``report7@example.com``: recorded; an unknown
    address's: a number nobody recorded)."""
    return "REG-" + hashlib.sha256(address.encode()).hexdigest()[:12].upper()


def postgres_url() -> str:
    """The PostgreSQL database of the ``postgresql`` rows (``SYMPROGRAM_TEST_POSTGRES_URL``,
    as the other server benchmarks use): its symprogram tables are dropped before and
    after them."""
    url = os.environ.get("SYMPROGRAM_TEST_POSTGRES_URL")
    if not url:
        raise SystemExit("set SYMPROGRAM_TEST_POSTGRES_URL for the postgresql rows")
    return url


def _swallow(call: Callable[[], object]) -> None:
    with suppress(SymprogramError):
        call()


def calls(probe: Probe) -> Iterator[tuple[str, str, Callable[[str], Callable[[], object]]]]:
    """(call, kind of known address, address -> a prepared zero-argument call)."""
    accounts = probe.accounts
    caller = probe.caller
    assert caller is not None

    def authenticate(email: str) -> Callable[[], object]:
        return lambda: _swallow(lambda: accounts.authenticate(email, WRONG))

    def reset(email: str) -> Callable[[], object]:
        return lambda: accounts.request_password_reset(email)

    def resend(email: str) -> Callable[[], object]:
        return lambda: accounts.resend_activation(email)

    def change(email: str) -> Callable[[], object]:
        return lambda: accounts.request_email_change(caller.candidate_id, email)

    def claim(email: str) -> Callable[[], object]:
        number = report_number(email)
        return lambda: _swallow(
            lambda: accounts.claim_score_report(caller.candidate_id, number, email=WRONG_PROOF)
        )

    def register(email: str) -> Callable[[], object]:
        token = accounts.accept_terms(path="create_account").token
        return lambda: accounts.register(
            terms_receipt=token,
            email=email,
            password=PASSWORD,
            given_name="Eve",
            family_name="Prober",
            company_name="Probing Ltd",
            partner_company="Babbage & Co",
            preferred_language="en-GB",
        )

    yield "authenticate (wrong password)", "active", authenticate
    yield "authenticate (wrong password)", "imported", authenticate
    yield "authenticate (wrong password)", "weaker", authenticate
    # last of the log-ins: once a costlier hash was verified, every failed
    # verification of the process is padded to its cost
    yield "authenticate (wrong password)", "costlier", authenticate
    yield "request_password_reset", "active", reset
    yield "resend_activation", "pending", resend
    yield "request_email_change", "active", change
    yield "register", "active", register
    yield "claim_score_report (wrong proof)", "report", claim
    # The control: two sets of unknown addresses, so nothing can leak; its held-out
    # score is what noise alone gives in the same run.
    yield "request_password_reset (control: both unknown)", "unregistered", reset


def measure(
    probe: Probe,
    kind: str,
    prepare: Callable[[str], Callable[[], object]],
    tag: str,
    warmup: int = WARMUP,
) -> tuple[list[float], list[float]]:
    """Time one call per address, known and unknown interleaved at random, after
    ``warmup`` calls about addresses outside the samples."""
    known = probe.addresses(kind)
    unknown = [f"nobody-{tag}-{i}@example.com" for i in range(probe.samples)]
    order = [(True, email) for email in known] + [(False, email) for email in unknown]
    random.Random(tag).shuffle(order)
    for warm in range(warmup):  # warm-up on addresses outside the samples
        prepare(f"warm-{tag}-{warm}@example.com")()
    times: dict[bool, list[float]] = {True: [], False: []}
    for is_known, email in order:
        call = prepare(email)
        probe.clock.advance(timedelta(milliseconds=1))
        started = time.perf_counter_ns()
        call()
        times[is_known].append((time.perf_counter_ns() - started) / 1e6)
    return times[True], times[False]


def run(
    backends: list[str],
    samples: int,
    add: Callable[[str], None],
    warmup: int = WARMUP,
    only: list[str] | None = None,
) -> list[tuple[Any, ...]]:
    """Measure every call (those whose name contains one of ``only``, if given) on
    every backend; return the rows (and print them)."""
    rows = []
    for backend in backends:
        if backend == "postgresql":
            from benchmarks.run import _reset_postgres

            _reset_postgres(postgres_url())
        with _directory() as directory:
            probe = Probe(backend, directory, samples)
            try:
                for n, (name, kind, prepare) in enumerate(calls(probe)):
                    if only and not any(part in name for part in only):
                        continue
                    known, unknown = measure(probe, kind, prepare, f"{backend}{n}", warmup)
                    accuracy, _, _ = best_threshold(known, unknown)
                    row = (
                        backend,
                        name,
                        kind,
                        statistics.median(known),
                        statistics.median(unknown),
                        accuracy,
                        held_out(known, unknown),
                        *rank_auc(known, unknown),
                    )
                    rows.append(row)
                    add(_line(row))
            finally:
                probe.close()
                if backend == "postgresql":
                    _reset_postgres(postgres_url())
    return rows


@contextmanager
def _directory() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="symprogram-enum-") as name:
        yield Path(name)


HEADER = (
    "| backend | call | known address | median known | median unknown "
    "| best threshold, in sample | held out | known slower (z) |"
    "\n|---|---|---|---|---|---|---|---|"
)


def _line(row: tuple[Any, ...]) -> str:
    backend, name, kind, known, unknown, accuracy, held, auc, z = row
    return (
        f"| {backend} | `{name}` | {kind} | {known:.2f} ms | {unknown:.2f} ms "
        f"| {accuracy:.1%} | {held:.1%} | {auc:.3f} ({z:+.1f}) |"
    )


def target_for(samples: int) -> float:
    """The held-out accuracy a row may reach: :data:`TARGET` below 1,000 + 1,000 samples
    (noise alone scatters the score by about 2.5 points at 200 + 200), else
    :data:`TARGET_LARGE` (about 1 point at 1,000 + 1,000)."""
    return TARGET_LARGE if samples >= 1000 else TARGET


def bench_enumeration(
    rep: Any,
    samples: int,
    backends: list[str],
    warmup: int = WARMUP,
    only: list[str] | None = None,
) -> None:
    """The ``enumeration`` section of ``python -m benchmarks``."""
    hasher = default_hasher()
    target = target_for(samples)
    rep.add(
        "## 7. Enumeration by timing: one-sample classifier accuracy (issue 18)\n\n"
        f"{samples} + {samples} calls per row (a known address of the kind named, and "
        "unknown ones), interleaved at random after "
        f"{warmup} warm-up calls, each address asked once, with the "
        f"policy's hasher `{hasher!r}`. The attacker's classifier is the best threshold "
        "on the elapsed time of one call; *in sample* chooses it on all the samples "
        "(about 54% from noise alone at 200 + 200), *held out* chooses it on half of "
        "them and scores it on the other half, both ways, averaged over 20 random halvings "
        "(about 50% when nothing leaks). *Known slower* is the chance that a call about "
        "a known address is the slower of two (0.500 when nothing leaks) and, in "
        "brackets, its distance from 0.500 in standard errors: it uses all the samples "
        "at once and sees differences too small for one sample to tell. Target: "
        f"held out at most {target:.0%}. Before issue 18: `authenticate` on an imported "
        "account 0.8 ms against 159 ms for an unknown address (100%), "
        "`request_password_reset` and `resend_activation` 97.5%. Stand-in messages "
        "are keyed by the address's stand-in key since they were found to be the "
        "last key of their kind, where a real message lands in the middle "
        "(section 7b).\n\n" + HEADER
    )
    rows = run(backends, samples, lambda line: rep.add(line), warmup, only)
    worst = max((r for r in rows if "control" not in r[1]), key=lambda r: r[6])
    rep.target(
        f"one-sample timing classifier at most {target:.0%} "
        f"(held out, {samples} + {samples} samples, every call)",
        f"{worst[6]:.1%} worst (`{worst[1]}`, {worst[2]}, {worst[0]})",
        worst[6] <= target,
    )


def main(argv: list[str] | None = None) -> None:
    """Measure and write the section into the report."""
    from benchmarks._harness import machine
    from benchmarks.run import Report, write

    parser = argparse.ArgumentParser(prog="python -m benchmarks.enumeration", description=__doc__)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=WARMUP, help="warm-up calls per row")
    parser.add_argument(
        "--backend",
        choices=["sqlite", "memory", "postgresql"],
        action="append",
        help="default: sqlite and memory (postgresql: SYMPROGRAM_TEST_POSTGRES_URL)",
    )
    parser.add_argument(
        "--only", action="append", help="only the calls whose name contains this (repeatable)"
    )
    parser.add_argument("--no-report", action="store_true", help="print only")
    args = parser.parse_args(argv)
    backends = args.backend or ["sqlite", "memory"]
    command = "python -m benchmarks.enumeration" + (
        f" --samples {args.samples}" if args.samples != 200 else ""
    )
    command += "".join(f" --backend {b}" for b in args.backend or [])
    command += "".join(f" --only {name}" for name in args.only or [])
    rep = Report(command)
    rep.begin("enumeration")
    bench_enumeration(rep, args.samples, backends, args.warmup, args.only)
    rep.end()
    if not args.no_report:
        write(rep, machine())


if __name__ == "__main__":
    main()
