"""Every command that opens the database reads ``SYMPROGRAM_LEDGER_KEY``, not only ``ledgers``.

A host program keeps its ledgers (and its pending messages) keyed. The CLI writes
into such a store with the key the environment names, so the host's
``verify_all()`` still holds afterwards; without a key it refuses
(``ledger_key_missing``) before writing anything, rather than write entries without
the key that would read as tampering.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

from cli_helpers import CSV_HEADER, NOW, Invoke, assert_one_line_error, ledger_env, parsed
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symprogram import Program
from symprogram.accounts import AcceptancePath
from symprogram.clock import FixedClock
from symprogram.notify import Message, Outbox

KEY = b"the host program's ledger key!!!"


class _RelayDown:
    """A notifier that fails: the host's message stays pending (sealed with the key)."""

    def send(self, message: Message) -> None:
        raise RuntimeError("relay down")


def _host_registers(db: Path, key: bytes, email: str = "host@example.com") -> None:
    """The host program, holding ``key``, registers ``email``; its message stays pending."""
    clock = FixedClock(datetime.fromisoformat(NOW))
    with Program.open(
        f"sqlite:///{db}", clock=clock, notifier=_RelayDown(), ledger_key=key
    ) as program:
        terms = program.accounts.terms.current(program.now())
        receipt = program.accounts.accept_terms(
            path=AcceptancePath.CREATE_ACCOUNT, terms_version=terms.version
        )
        program.accounts.register(
            terms_receipt=receipt.token,
            email=email,
            password="a long passphrase 42",
            given_name="Host",
            family_name="Person",
            company_name="C",
            partner_company="P",
            preferred_language="en-GB",
        )


def _verifies(db: Path, key: bytes) -> list[str]:
    """The problem codes of the host's ``verify_all()`` (empty: it holds)."""
    with Program.open(f"sqlite:///{db}", notifier=Outbox(), ledger_key=key) as program:
        result = program.verify_all()
    return sorted({p.code for f in result.failures for p in f.problems})


def _csv(path: Path, email: str = "new@example.com") -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_HEADER)
        writer.writerow([email, "New", "One", "C", "P", "en-GB"])
    return path


def _import(run: Invoke, tmp_path: Path, env: dict[str, str | None], outbox: Path) -> Result:
    return run(
        "import",
        "candidates",
        str(_csv(tmp_path / "in.csv")),
        "--terms-accepted",
        "--outbox",
        str(outbox),
        "--json",
        env=env,
    )


def test_import_with_a_sealed_message_pending_delivers_it_and_keeps_the_store_verified(
    run: Invoke, db: Path, tmp_path: Path
) -> None:
    """With the host's sealed message pending, an import given the key delivers it and
    its own to the outbox file, and the host's ``verify_all()`` still holds (it used to
    stop with ``ledger_key_unknown`` and import nothing)."""
    _host_registers(db, KEY)
    outbox = tmp_path / "outbox.jsonl"
    result = _import(run, tmp_path, ledger_env(KEY), outbox)
    assert 0 == result.exit_code, result.output
    sent = [json.loads(line)["to"] for line in outbox.read_text().splitlines()]
    assert {"host@example.com", "new@example.com"} == set(sent)
    assert [] == _verifies(db, KEY)


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(key=st.binary(min_size=1, max_size=64))
def test_every_writing_command_writes_a_keyed_store_with_its_key(
    run: Invoke, db: Path, tmp_path: Path, key: bytes
) -> None:
    """Whatever the key: import, register, consent and entitlements commands run with the
    key write entries the host's ``verify_all()`` accepts (nothing is pending afterwards)."""
    db.unlink(missing_ok=True)
    _host_registers(db, key)
    env = ledger_env(key)
    outbox = tmp_path / "outbox.jsonl"
    outbox.unlink(missing_ok=True)
    assert 0 == _import(run, tmp_path, env, outbox).exit_code
    shown = run("candidates", "show", "host@example.com", "--json", env=env)
    assert 0 == shown.exit_code, shown.output
    subject = parsed(shown)["candidate_id"]
    for args in (
        ("consent", "grant", subject, "special_offers", "--channel", "web_form"),
        (
            "entitlements",
            "add-agreement",
            "CUST-1",
            "--agreement-id",
            "AG-1",
            "--level",
            "essential_support",
            "--product",
            "symprogram",
            "--starts-on",
            "2011-01-01",
            "--ends-on",
            "2012-01-01",
        ),
    ):
        result = run(*args, env=env)
        assert 0 == result.exit_code, result.output
    assert [] == _verifies(db, key)


def test_without_the_key_a_keyed_store_is_refused_and_nothing_is_written(
    run: Invoke, db: Path, tmp_path: Path
) -> None:
    """No ``SYMPROGRAM_LEDGER_KEY`` on a keyed store: every command that opens it stops
    with one ``ledger_key_missing`` line naming the key id, and the file is unchanged;
    ``terms`` (which reads no ledger) still answers."""
    _host_registers(db, KEY)
    before = db.read_bytes()
    no_key = ledger_env(None)
    for args in (
        ("import", "candidates", str(_csv(tmp_path / "in.csv")), "--terms-accepted"),
        ("consent", "grant", "someone", "special_offers"),
        ("candidates", "show", "host@example.com"),
        ("ledgers", "verify"),
        ("history", "verify", "--all"),
        ("init",),
    ):
        result = run(*args, env=no_key)
        assert_one_line_error(result, "ledger_key_missing")
        assert "key id" in result.stderr
    assert before == db.read_bytes()
    assert [] == _verifies(db, KEY)
    assert 0 == run("terms", env=no_key).exit_code


def test_an_unkeyed_store_still_works_without_a_key(run: Invoke, db: Path, tmp_path: Path) -> None:
    """A store written without a key is not refused: the import runs and verifies."""
    outbox = tmp_path / "outbox.jsonl"
    result = _import(run, tmp_path, ledger_env(None), outbox)
    assert 0 == result.exit_code, result.output
    with Program.open(f"sqlite:///{db}", notifier=Outbox()) as program:
        assert program.verify_all().ok


def test_the_demo_writes_its_file_with_the_environments_key(run: Invoke, tmp_path: Path) -> None:
    """``demo --db FILE`` with a key: the other commands then verify it with that key."""
    demo = tmp_path / "demo.db"
    result = run("demo", "--db", str(demo), "--json", env=ledger_env(KEY))
    assert 0 == result.exit_code, result.output
    assert [] == _verifies(demo, KEY)
