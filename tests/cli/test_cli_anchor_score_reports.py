"""``symprogram ledgers anchor-score-reports``: anchor the score reports of an earlier build."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from cli_helpers import Invoke, assert_one_line_error, ledger_env, parsed

from _programs import fast_options, record_report, register_active
from symprogram import Program

KEY = b"cli score report anchors key, 32"


def _legacy_reports(db: Path) -> None:
    """Two reports as an earlier build left them: no history subject, no store marker."""
    with Program.open(f"sqlite:///{db}", ledger_key=KEY, options=fast_options()) as program:
        record_report(program, "REG-0001")
        record_report(program, "REG-0002")
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("DELETE FROM sp_streams WHERE stream LIKE 'history:~score-report%'")
        conn.execute(
            "DELETE FROM sp_records WHERE kind = 'ledger_head' "
            "AND key LIKE 'history:~score-report%'"
        )


def _edit_report(db: Path, **changes: object) -> None:
    """Rewrite the stored report REG-0001 with ``changes`` (by hand, in the file)."""
    with closing(sqlite3.connect(db)) as conn, conn:
        (text,) = conn.execute(
            "SELECT data FROM sp_records WHERE kind = 'score_report' AND key = 'REG-0001'"
        ).fetchone()
        conn.execute(
            "UPDATE sp_records SET data = ? WHERE kind = 'score_report' AND key = 'REG-0001'",
            (json.dumps({**json.loads(text), **changes}),),
        )


def test_anchor_score_reports_anchors_the_reports_from_before_anchors(
    run: Invoke, db: Path
) -> None:
    """``anchor-score-reports`` anchors each legacy report once (then nothing); ``verify``
    passes, and reports a score edited by hand afterwards (exit 1)."""
    _legacy_reports(db)
    first = run("ledgers", "anchor-score-reports", "--batch", "1", "--json", env=ledger_env(KEY))
    assert {"anchored": 2} == parsed(first), first.output
    again = run("ledgers", "anchor-score-reports", env=ledger_env(KEY))
    assert (0, "anchored 0 score reports") == (again.exit_code, again.output.strip())
    assert 0 == run("ledgers", "verify", env=ledger_env(KEY)).exit_code
    _edit_report(db, score=100)
    assert_one_line_error(run("ledgers", "verify", env=ledger_env(KEY)), "ledger_tampered")


def _claim_as_the_previous_release(db: Path) -> str:
    """REG-0001 claimed by Ada as the previous release did: its subject keeps only its
    ``score_report_recorded`` entry (the store stays marked); return Ada's ID."""
    with Program.open(f"sqlite:///{db}", ledger_key=KEY, options=fast_options()) as program:
        record_report(program, "REG-0001")
        ada = register_active(program)
        with closing(sqlite3.connect(db)) as conn:
            (head,) = conn.execute(
                "SELECT data FROM sp_records WHERE kind = 'ledger_head' "
                "AND key = 'history:~score-report:REG-0001'"
            ).fetchone()
        program.accounts.claim_score_report(ada, "REG-0001", name="Ada Lovelace")
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(
            "DELETE FROM sp_streams WHERE stream = 'history:~score-report:REG-0001' "
            "AND position > 1"
        )
        conn.execute(
            "UPDATE sp_records SET data = ? WHERE kind = 'ledger_head' "
            "AND key = 'history:~score-report:REG-0001'",
            (head,),
        )
    return ada


def test_anchor_score_reports_anchors_the_claims_of_the_previous_release(
    run: Invoke, db: Path
) -> None:
    """In a store already marked, ``anchor-score-reports`` anchors a claim the previous
    release made (once); the report's row put back unclaimed is then reported."""
    _claim_as_the_previous_release(db)
    assert 0 == run("ledgers", "verify", env=ledger_env(KEY)).exit_code
    first = run("ledgers", "anchor-score-reports", "--json", env=ledger_env(KEY))
    assert {"anchored": 1} == parsed(first), first.output
    again = run("ledgers", "anchor-score-reports", env=ledger_env(KEY))
    assert (0, "anchored 0 score reports") == (again.exit_code, again.output.strip())
    assert 0 == run("ledgers", "verify", env=ledger_env(KEY)).exit_code
    _edit_report(db, claimed_by=None, claimed_at=None)
    assert_one_line_error(run("ledgers", "verify", env=ledger_env(KEY)), "ledger_tampered")


def test_anchor_score_reports_refuses_a_bad_batch(run: Invoke, db: Path) -> None:
    """A batch out of 1 to 10,000 is a one-line usage error naming ``--batch``."""
    _legacy_reports(db)
    for batch in ("0", "10001", "x"):
        result = run("ledgers", "anchor-score-reports", "--batch", batch, env=ledger_env(KEY))
        assert_one_line_error(result, "usage", exit_code=2)
        assert "'--batch'" in result.stderr
