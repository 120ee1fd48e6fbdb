"""``symprogram ledgers``: digests, verification, key rotation, erasure and credential adoption.

The ledger key never appears on the command line (where a process list shows it):
it is read from the environment, in hex: ``SYMPROGRAM_LEDGER_KEY`` (the current
key), ``SYMPROGRAM_LEDGER_RETIRED_KEYS`` (retired keys, comma-separated) and
``SYMPROGRAM_LEDGER_LEGACY_KEY`` (the key of entries written before key ids).
Every command reads them the same way (:func:`symprogram._cli.shell.key_ring`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from symprogram import Program
from symprogram._cli.shell import (
    KEY_ENV,
    RETIRED_ENV,
    CliError,
    FilePath,
    State,
    emit,
    json_command,
)
from symprogram.digests import LedgerDigest
from symprogram.ledger import Verification

against_option = click.option(
    "--against",
    type=FilePath(exists=True, dir_okay=False, path_type=Path),
    help="A file holding a digest kept earlier (the text 'ledgers digest' printed).",
)


def keyed_program(state: State) -> Program:
    """The existing database's program, with the environment's key ring.

    The same program as every other command's (:meth:`State.program` reads the key
    ring); kept for the commands that name the key in their help.
    """
    return state.existing_program()


def _against(path: Path | None) -> LedgerDigest | None:
    if path is None:
        return None
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError("invalid_digest", f"cannot read a digest from {path}") from exc
    return LedgerDigest.from_text(text)


def verification_error(failed: Sequence[Verification], what: str) -> CliError:
    """The error of failed verifications: ``ledger_tampered`` naming the first tampered
    one; ``ledger_key_unknown`` when every one failed only for keys the environment's
    key ring does not hold (not evidence of tampering)."""
    tampered = [f for f in failed if not f.key_mismatch]
    if tampered:
        first = tampered[0]
        return CliError(
            "ledger_tampered",
            f"{len(tampered)} {what} fail verification "
            f"(first: {first.subject} at position {first.problems[0].position})",
        )
    return CliError(
        "ledger_key_unknown",
        f"{len(failed)} {what} were written with a key the key ring does not hold "
        f"(first: {failed[0].subject}): give that key in {KEY_ENV} or {RETIRED_ENV}",
    )


@click.group()
def ledgers() -> None:
    """The tamper-evident ledgers: digests, verification, key rotation."""


@json_command(ledgers, "digest")
def ledgers_digest(state: State, as_json: bool) -> None:
    """Print a digest of every ledger, one line to keep outside the database."""
    digest = keyed_program(state).digest()
    text = digest.to_text()
    data = {
        "digest": text,
        "sequence": digest.sequence,
        "streams": len(digest.streams),
        "key_id": digest.key_id,
        "store_id": digest.store_id,
    }
    emit(as_json, data, [text])


@json_command(ledgers, "verify", against_option)
def ledgers_verify(state: State, against: Path | None, as_json: bool) -> None:
    """Verify every stream of every ledger (against a kept digest); exit 1 if tampered."""
    result = keyed_program(state).verify_all(against=_against(against))
    failures = [
        {"stream": f.subject, "problems": [[p.position, p.code, p.message] for p in f.problems]}
        for f in result.failures
    ]
    data: dict[str, Any] = {"ok": result.ok, "ledgers": list(result.ledgers), "failures": failures}
    lines = [
        f"{f['stream']}: [{p[1]}] entry {p[0]}: {p[2]}" for f in failures for p in f["problems"]
    ]
    if not result.ok:
        error = verification_error(result.failures, "stream(s)")
        if not as_json:
            emit(as_json, data, lines)
        error.payload = data | {"error": error.data}
        raise error
    emit(as_json, data, [f"every stream of {', '.join(result.ledgers)} verifies"])


@json_command(ledgers, "rekey", against_option)
def ledgers_rekey(state: State, against: Path | None, as_json: bool) -> None:
    """Re-key every stream with the current key, after verifying it; resumable."""
    program = keyed_program(state)
    if program.ledgers.keys is None:
        raise CliError("ledger_key_missing", f"set {KEY_ENV} (and {RETIRED_ENV}) to re-key")
    count = program.rekey(against=_against(against))
    key_id = program.ledgers.key_id
    emit(
        as_json,
        {"rekeyed": count, "key_id": key_id},
        [f"re-keyed {count} stream(s) with key {key_id}"],
    )


@json_command(ledgers, "adopt-erasures", against_option)
def ledgers_adopt_erasures(state: State, against: Path | None, as_json: bool) -> None:
    """Once, after upgrading: mark entries an earlier build erased without a marker."""
    count = keyed_program(state).adopt_erasures(against=_against(against))
    emit(
        as_json, {"adopted": count}, [f"adopted {count} erased entr{'y' if count == 1 else 'ies'}"]
    )


def _batch_option(what: str) -> Callable[[Any], Any]:
    """The ``--batch`` option of a one-time anchoring step (``what``: its help)."""
    return click.option(
        "--batch",
        type=click.IntRange(1, 10_000),
        default=500,
        show_default=True,
        help=what,
    )


def _say_anchored(as_json: bool, count: int, noun: str) -> None:
    """Say what a one-time anchoring step did: how many of ``noun`` it anchored."""
    emit(as_json, {"anchored": count}, [f"anchored {count} {noun}{'' if count == 1 else 's'}"])


@json_command(
    ledgers,
    "anchor-credentials",
    _batch_option("Candidates read, and anchored, per unit of work."),
)
def ledgers_anchor_credentials(state: State, batch: int, as_json: bool) -> None:
    """Once, after upgrading: record the digest of every password hash set before digests.

    Trusts the hashes present when it runs: run it right after upgrading.
    """
    count = keyed_program(state).accounts.anchor_credentials(batch=batch)
    _say_anchored(as_json, count, "account credential")


@json_command(
    ledgers,
    "anchor-score-reports",
    _batch_option("Score reports read, and anchored, per unit of work."),
)
def ledgers_anchor_score_reports(state: State, batch: int, as_json: bool) -> None:
    """Once, after upgrading: anchor every score report, and claim, recorded before they were.

    Trusts the reports and claims present when it runs: run it right after upgrading.
    """
    count = keyed_program(state).accounts.anchor_score_reports(batch=batch)
    _say_anchored(as_json, count, "score report")


@json_command(ledgers, "anchor-policies")
def ledgers_anchor_policies(state: State, as_json: bool) -> None:
    """Once, after upgrading: anchor the privacy policy versions published before policies were.

    Trusts the versions stored when it runs: run it right after upgrading.
    """
    count = keyed_program(state).consent.anchor_policies()
    _say_anchored(as_json, count, "policy version")
