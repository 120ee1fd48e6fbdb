"""``symprogram ledgers anchor-policies``: anchor the policy versions of an earlier build."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import attrs
from cli_helpers import Invoke, assert_one_line_error, ledger_env, parsed

from _programs import fast_options
from symprogram import Program

KEY = b"cli policy anchors ledger key, 32"


def _legacy_policy(db: Path) -> None:
    """A published version as an earlier build left it: a row, no ``~policies`` entry."""
    with Program.open(f"sqlite:///{db}", ledger_key=KEY, options=fast_options()) as program:
        latest = program.consent.get_policy()
        later = program.clock.now() + timedelta(days=1)
        program.consent.publish_policy(attrs.evolve(latest, version="2099-01", effective_at=later))
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("DELETE FROM sp_streams WHERE stream = 'consent:~policies'")
        conn.execute(
            "DELETE FROM sp_records WHERE kind = 'ledger_head' AND key = 'consent:~policies'"
        )


def test_anchor_policies_anchors_the_versions_from_before_anchors(run: Invoke, db: Path) -> None:
    """``anchor-policies`` anchors the stored version once (then nothing); ``verify``
    passes, and reports the version edited by hand afterwards (exit 1)."""
    _legacy_policy(db)
    first = run("ledgers", "anchor-policies", "--json", env=ledger_env(KEY))
    assert {"anchored": 1} == parsed(first), first.output
    again = run("ledgers", "anchor-policies", env=ledger_env(KEY))
    assert (0, "anchored 0 policy versions") == (again.exit_code, again.output.strip())
    assert 0 == run("ledgers", "verify", env=ledger_env(KEY)).exit_code
    with closing(sqlite3.connect(db)) as conn, conn:
        (key, text) = conn.execute(
            "SELECT key, data FROM sp_records WHERE kind = 'consent_policy'"
        ).fetchone()
        data = json.loads(text)
        data["policy"]["version"] = "2099-02"
        conn.execute(
            "UPDATE sp_records SET data = ? WHERE kind = 'consent_policy' AND key = ?",
            (json.dumps(data), key),
        )
    assert_one_line_error(run("ledgers", "verify", env=ledger_env(KEY)), "ledger_tampered")
