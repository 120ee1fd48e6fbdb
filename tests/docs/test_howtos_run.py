"""The how-to pages' Python code runs as written, step by step, as a newcomer types it.

Each page's ``python`` blocks run in order in one namespace, in a directory of
their own (the pages write ``portal.db``, ``program.db`` and ``catalogues/``);
what the page promises is then checked. Blocks that only define tests (the
Hypothesis how-to) are run by calling what they define.
"""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from symprogram import FixedClock, Outbox, Program
from symprogram.accounts import ScryptHasher

DOCS = Path(__file__).resolve().parents[2] / "docs"


def python_blocks(page: str) -> list[str]:
    """The fenced ``python`` blocks of ``docs/<page>``, in order."""
    text = (DOCS / page).read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def run(page: str, blocks: list[str], namespace: dict[str, Any]) -> dict[str, Any]:
    for block in blocks:
        exec(compile(block, str(DOCS / page), "exec"), namespace)
    return namespace


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_howto_catalogues_copies_loads_and_hands_over_every_catalogue(here: Path) -> None:
    """Steps 1 to 3 in order: the copies load, and the program runs on them, warning-free."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        namespace = run("howto-catalogues.md", python_blocks("howto-catalogues.md"), {})
        program = namespace["program"]
        try:
            assert program.accounts.catalogue is namespace["terms"]
            assert program.awards.catalogue is namespace["awards"]
            assert program.entitlements.catalogue is namespace["entitlements"]
            assert program.consent.catalogue is namespace["policies"]
        finally:
            program.close()
    for name in ("entitlements", "terms/terms.toml", "awards.toml", "policy.toml"):
        assert (here / "catalogues" / name).exists(), name


def test_howto_async_runs_and_prints_what_it_says(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (block,) = python_blocks("howto-async.md")
    run("howto-async.md", [block], {"__name__": "howto"})
    assert ["check_email", "True"] == capsys.readouterr().out.splitlines()
    assert (here / "portal.db").exists()


def test_howto_hypothesis_strategies_tests_run() -> None:
    """Sections 2 to 5: every test the page writes runs (fixtures given by hand)."""
    namespace: dict[str, Any] = {
        "render_badge": lambda candidate: f"{candidate.candidate_id} badge",
        "render_refusal": lambda decision: f"refused: {decision.hint}",
    }
    run(
        "howto-hypothesis-strategies.md", python_blocks("howto-hypothesis-strategies.md"), namespace
    )
    tests = sorted(name for name in namespace if name.startswith("test_"))
    assert len(tests) >= 8
    for name in tests:
        test = namespace[name]
        if not hasattr(test, "hypothesis"):
            continue
        test()
    clock = FixedClock(datetime(2012, 3, 1, tzinfo=UTC))
    outbox = Outbox()
    options = {"accounts": {"hasher": ScryptHasher(n=2**4)}}
    with Program.in_memory(clock=clock, notifier=outbox, options=options) as program:
        namespace["test_the_activation_link_is_sent"](program, outbox)
        namespace["test_tomorrow"](program, clock)
        namespace["test_on_sqlite"](program)


def test_howto_erasure_erases_and_the_proof_verifies(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first two blocks, on a program.db where Ada registered."""
    clock = FixedClock(datetime(2012, 3, 1, tzinfo=UTC))
    with Program.open("sqlite:///program.db", clock=clock) as program:
        receipt = program.accounts.accept_terms(path="create_account")
        program.accounts.register(
            terms_receipt=receipt.token,
            email="ada@example.com",
            password="a long passphrase",
            given_name="Ada",
            family_name="Lovelace",
            company_name="Analytical Engines",
            partner_company="Babbage & Co",
            preferred_language="en-GB",
        )
        candidate_id = program.accounts.find_by_email("ada@example.com").candidate_id
    first, proof = python_blocks("howto-erasure.md")[:2]
    namespace = run("howto-erasure.md", [first, proof], {})
    assert candidate_id == namespace["receipt"].candidate_id
    printed = capsys.readouterr().out.split()
    assert printed[-1].isdigit() and int(printed[-1]) >= 1
    with Program.open("sqlite:///program.db") as program:
        assert program.accounts.find_by_email("ada@example.com") is None
