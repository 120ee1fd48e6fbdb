"""``symprogram ledgers``: digest, verify, rekey, adopt-erasures and anchor-credentials, keys
from the environment."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

from cli_helpers import Invoke, assert_one_line_error, ledger_env, parsed

from _programs import START, fast_options, register_active
from symprogram import Program
from symprogram.events import Ledger
from symprogram.ledger_keys import key_id

OLD, NEW = b"cli rotation old key, 32 bytes!!", b"cli rotation new key, 32 bytes!!"
DIGEST = "credential_digest"


def _write(db: Path, key: bytes, subjects: tuple[str, ...] = ("S1", "S2")) -> None:
    """History entries written by a host program holding ``key``."""
    with Program.open(f"sqlite:///{db}", ledger_key=key) as program:
        with program.store.transaction() as tx:
            for subject in subjects:
                program.history.ledger.append_many(
                    tx, subject, [("noted", {"n": i}, START + timedelta(minutes=i)) for i in (1, 2)]
                )


def test_rotate_then_rekey_from_the_command_line(run: Invoke, db: Path, tmp_path: Path) -> None:
    """With the new key alone the old entries are ``ledger_key_unknown`` (exit 1); with the
    old key retired they verify; ``rekey`` re-keys both streams once, then nothing; the new
    key alone then verifies, and a digest kept before still verifies with the ring."""
    _write(db, OLD)
    kept = tmp_path / "digest.txt"
    result = run("ledgers", "digest", "--json", env=ledger_env(OLD))
    assert 0 == result.exit_code, result.output
    kept.write_text(parsed(result)["digest"], encoding="ascii")
    alone = run("ledgers", "verify", "--json", env=ledger_env(NEW))
    assert 1 == alone.exit_code
    codes = {p[1] for f in parsed(alone)["failures"] for p in f["problems"]}
    assert {"ledger_key_unknown"} == codes
    ring = ledger_env(NEW, OLD)
    assert 0 == run("ledgers", "verify", "--against", str(kept), env=ring).exit_code
    first = run("ledgers", "rekey", "--against", str(kept), "--json", env=ring)
    assert {"rekeyed": 2, "key_id": key_id(NEW)} == parsed(first), first.output
    assert 0 == parsed(run("ledgers", "rekey", "--json", env=ring))["rekeyed"]
    assert 0 == run("ledgers", "verify", env=ledger_env(NEW)).exit_code
    assert 0 == run("ledgers", "verify", "--against", str(kept), env=ring).exit_code


def test_rekey_refuses_a_tampered_stream(run: Invoke, db: Path) -> None:
    """A stream edited in the database is not re-keyed: one-line ``ledger_rekey_refused``."""
    _write(db, OLD, ("S1",))
    with closing(sqlite3.connect(db)) as conn, conn:
        text = conn.execute("SELECT data FROM sp_streams WHERE position = 1").fetchone()[0]
        raw = json.loads(text)
        raw["data"]["n"] = 42
        conn.execute("UPDATE sp_streams SET data = ? WHERE position = 1", (json.dumps(raw),))
    result = run("ledgers", "rekey", env=ledger_env(NEW, OLD))
    assert_one_line_error(result, "ledger_rekey_refused")


def test_rekey_needs_a_key_and_bad_keys_are_one_line_errors(run: Invoke, db: Path) -> None:
    """Without ``SYMPROGRAM_LEDGER_KEY``: ``ledger_key_missing``; a key that is not hex:
    ``invalid_key``; a key twice in the ring: ``invalid_key_ring``."""
    _write(db, OLD, ("S1",))
    assert_one_line_error(run("ledgers", "rekey", env=ledger_env(None)), "ledger_key_missing")
    bad = {**ledger_env(OLD), "SYMPROGRAM_LEDGER_KEY": "not hex"}
    assert_one_line_error(run("ledgers", "verify", env=bad), "invalid_key")
    assert_one_line_error(run("ledgers", "verify", env=ledger_env(OLD, OLD)), "invalid_key_ring")


def test_adopt_erasures_marks_the_earlier_builds_erasures(run: Invoke, db: Path) -> None:
    """An entry erased the earlier build's way (data and salt nulled, no marker) fails
    ``verify``; ``adopt-erasures`` adopts it once and ``verify`` passes."""
    _write(db, OLD, ("S1",))
    with closing(sqlite3.connect(db)) as conn, conn:
        text = conn.execute("SELECT data FROM sp_streams WHERE position = 1").fetchone()[0]
        raw = json.loads(text)
        raw["data"] = raw["salt"] = None
        conn.execute("UPDATE sp_streams SET data = ? WHERE position = 1", (json.dumps(raw),))
    assert 1 == run("ledgers", "verify", env=ledger_env(OLD)).exit_code
    assert {"adopted": 1} == parsed(run("ledgers", "adopt-erasures", "--json", env=ledger_env(OLD)))
    assert 0 == run("ledgers", "verify", env=ledger_env(OLD)).exit_code
    assert {"adopted": 0} == parsed(run("ledgers", "adopt-erasures", "--json", env=ledger_env(OLD)))


def test_against_a_file_name_with_a_nul_byte_is_a_usage_error(run: Invoke, db: Path) -> None:
    """A NUL byte in --against is a usage error, not a ValueError traceback."""
    _write(db, OLD)
    result = run("ledgers", "verify", "--against", "kept\x00.txt", env=ledger_env(OLD))
    assert_one_line_error(result, "usage", exit_code=2)


def test_a_key_variable_set_but_empty_is_invalid_key(run: Invoke, db: Path) -> None:
    """``SYMPROGRAM_LEDGER_KEY`` or ``SYMPROGRAM_LEDGER_LEGACY_KEY`` set but empty, or an
    empty key in ``SYMPROGRAM_LEDGER_RETIRED_KEYS``: one-line ``invalid_key``, never a
    program run without the key."""
    _write(db, OLD, ("S1",))
    empties = [
        {**ledger_env(OLD), "SYMPROGRAM_LEDGER_KEY": ""},
        {**ledger_env(OLD), "SYMPROGRAM_LEDGER_LEGACY_KEY": ""},
        {**ledger_env(NEW), "SYMPROGRAM_LEDGER_RETIRED_KEYS": f"{OLD.hex()},,"},
    ]
    for env in empties:
        for command in ("verify", "digest"):
            assert_one_line_error(run("ledgers", command, env=env), "invalid_key")
    assert (
        0
        == run(
            "ledgers", "verify", env={**ledger_env(OLD), "SYMPROGRAM_LEDGER_RETIRED_KEYS": ""}
        ).exit_code
    )


def test_a_key_that_did_not_write_the_ledgers_is_ledger_key_unknown_not_tampering(
    run: Invoke, db: Path
) -> None:
    """``history verify`` reads the key from the environment as ``ledgers verify`` does.
    With a valid key that did not write the entries, both exit 1 with
    ``ledger_key_unknown`` (``KEY UNKNOWN``, the key ids named, never the keys), not
    ``ledger_tampered``; with the key that wrote them, both exit 0."""
    _write(db, OLD)
    for command in (("history", "verify", "--all"), ("ledgers", "verify")):
        text = run(*command, env=ledger_env(NEW))
        assert_one_line_error(text, "ledger_key_unknown")
        assert "TAMPERED" not in text.output
        assert key_id(OLD) in text.output and key_id(NEW) in text.output
        assert OLD.hex() not in text.output and NEW.hex() not in text.output
        as_json = parsed(run(*command, "--json", env=ledger_env(NEW)))
        assert "ledger_key_unknown" == as_json["error"]["code"]
        assert 0 == run(*command, env=ledger_env(OLD)).exit_code, command
    shown = parsed(run("history", "verify", "--all", "--json", env=ledger_env(NEW)))
    assert {(key_id(OLD), (key_id(NEW),))} == {
        (p["key_id"], tuple(p["key_ids"])) for r in shown["results"] for p in r["problems"]
    }
    assert "KEY UNKNOWN" in run("history", "verify", "--all", env=ledger_env(NEW)).stdout


def _old_account(db: Path, key: bytes) -> str:
    """An account whose history was written by a build that recorded no credential digest
    (with ``key``), and whose candidate keeps none; return its candidate ID."""
    with Program.open(f"sqlite:///{db}", ledger_key=key, options=fast_options()) as program:
        cid = register_active(program, "ada@example.com")
        entries = program.history.history(cid)
        stream = f"history:{cid}"
        with closing(sqlite3.connect(db)) as conn, conn:
            conn.execute("DELETE FROM sp_streams WHERE stream = ?", (stream,))
        with program.store.transaction() as tx:
            head = tx.load(Ledger.HEAD_KIND, stream)
            assert head is not None
            tx.delete(Ledger.HEAD_KIND, stream, head.version)
            items = [
                (e.kind, {k: v for k, v in (e.data or {}).items() if k != DIGEST}, e.at)
                for e in entries
            ]
            program.history.ledger.append_many(tx, cid, items)
            record = tx.load("candidate", cid)
            assert record is not None
            row = {**json.loads(record.data), DIGEST: None}
            tx.save("candidate", cid, json.dumps(row), record.version)
    return cid


def test_anchor_credentials_anchors_the_accounts_from_before_digests(run: Invoke, db: Path) -> None:
    """An account from before credential digests: ``anchor-credentials`` anchors it once
    (then nothing); ``verify`` passes, and reports a credential row written in by hand
    afterwards (exit 1)."""
    cid = _old_account(db, OLD)
    first = run("ledgers", "anchor-credentials", "--batch", "1", "--json", env=ledger_env(OLD))
    assert {"anchored": 1} == parsed(first), first.output
    again = run("ledgers", "anchor-credentials", env=ledger_env(OLD))
    assert (0, "anchored 0 account credentials") == (again.exit_code, again.output.strip())
    assert 0 == run("ledgers", "verify", env=ledger_env(OLD)).exit_code
    with closing(sqlite3.connect(db)) as conn, conn:
        (text,) = conn.execute(
            "SELECT data FROM sp_records WHERE kind = 'account_credential' AND key = ?", (cid,)
        ).fetchone()
        forged = {**json.loads(text), "password_hash": "$scrypt$written-in"}
        conn.execute(
            "UPDATE sp_records SET data = ? WHERE kind = 'account_credential' AND key = ?",
            (json.dumps(forged), cid),
        )
    assert_one_line_error(run("ledgers", "verify", env=ledger_env(OLD)), "ledger_tampered")


def test_anchor_credentials_refuses_a_bad_batch(run: Invoke, db: Path) -> None:
    """A batch out of 1 to 10,000 is a one-line usage error naming ``--batch``."""
    _write(db, OLD, ("S1",))
    for batch in ("0", "10001", "x"):
        result = run("ledgers", "anchor-credentials", "--batch", batch, env=ledger_env(OLD))
        assert_one_line_error(result, "usage", exit_code=2)
        assert "'--batch'" in result.stderr
