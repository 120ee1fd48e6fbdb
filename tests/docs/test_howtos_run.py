"""The how-to pages' Python code runs as written, step by step, as a newcomer types it.

Each page's ``python`` blocks run in order in one namespace, in a directory of
their own (the pages write ``portal.db``, ``program.db`` and ``catalogues/``);
what the page promises is then checked. Blocks that only define tests (the
Hypothesis how-to) are run by calling what they define.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import symprogram
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


MY_STORE = '''\
from pathlib import Path

from symprogram.storage.sqlite import SQLiteStore


class MyStore(SQLiteStore):
    """A store kept in a folder of its own: the page's stand-in for your adapter."""

    def __init__(self, folder):
        Path(folder).mkdir(parents=True, exist_ok=True)
        super().__init__(Path(folder) / "program.db")
'''


def test_howto_storage_adapter_contract_and_plug_in(here: Path) -> None:
    """Step 2 as written, saved as tests/test_my_store.py and run by pytest; then step 3."""
    subclass, plug_in = python_blocks("howto-storage-adapter.md")
    assert subclass.startswith("# tests/test_my_store.py\n")
    package = here / "my_package"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "store.py").write_text(MY_STORE, encoding="utf-8")
    (here / "tests").mkdir()
    (here / "tests" / "test_my_store.py").write_text(subclass, encoding="utf-8")
    source = Path(symprogram.__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(here), str(source)])}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-k",
            "reopening or round_trip or stale_version or failed_unit",
            "tests/test_my_store.py",
        ],
        cwd=here,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert 0 == done.returncode, done.stdout[-2000:] + done.stderr[-2000:]
    assert re.search(r"\b4 passed\b", done.stdout), done.stdout[-500:]
    sys.path.insert(0, str(here))
    try:
        from my_package.store import MyStore  # type: ignore[import-not-found]

        namespace = run(
            "howto-storage-adapter.md",
            [plug_in.replace("/var/lib/portal", str(here / "portal"))],
            {"MyStore": MyStore},
        )
    finally:
        sys.path.remove(str(here))
        for name in [n for n in sys.modules if n == "my_package" or n.startswith("my_package.")]:
            del sys.modules[name]
    with namespace["program"] as program:
        assert program.consent.grant("s-1", "newsletters", channel="web_form").position == 1
    assert (here / "portal" / "program.db").exists()


@pytest.mark.parametrize("url", ["sqlite:///program.db", "sqlite+pysqlite:///program.db"])
def test_howto_reporting_views_lists_the_views(here: Path, url: str) -> None:
    """The page's block, on SQLite (both adapters) instead of its PostgreSQL server."""
    (block,) = python_blocks("howto-reporting-views.md")
    code, _, comment = block.rpartition("\n# ")
    server = "postgresql+psycopg://app@db/program"
    assert server in code
    namespace = run("howto-reporting-views.md", [code.replace(server, url)], {})
    with namespace["program"] as program:
        assert comment.strip() == repr(program.store.view_names)
