"""Every script in examples/ runs on its own and prints what it shows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

EXPECTED = {
    "accounts.py": [
        "accepted Terms of Use 2007.507",
        "activating twice: token_used",
        "history verified: True",
    ],
    "awards.py": ["earned scp-data-protection", "the recipient sees: Alan Turing"],
    "entitlements.py": [
        "anonymous on 2011-01-15: denied",
        "iw-IL,en;q=0.5 -> he (rtl)",
        "upgrade to Business Critical Services",
    ],
    "consent.py": [
        "withdrawn: denied: withdrawn",
        "as of 2011-01-15: allowed",
        "ledger verified: True",
    ],
    "starlette_portal.py": [
        "register: 201 check_email",
        "activating twice: token_used",
        "withdrawn special_offers: allowed=False",
    ],
    "storage_sqlite.py": [
        "read back: AGR-1",
        "rolled back: agreement_exists",
        "('unknown_subject',)",
    ],
}


def scripts() -> list[Path]:
    """The example scripts (the web app in examples/webapp/ has its own test)."""
    return sorted(EXAMPLES.glob("*.py"))


def test_every_capability_has_an_example() -> None:
    """There is one script per capability, and each is checked below."""
    assert sorted(EXPECTED) == sorted(p.name for p in scripts())


@pytest.mark.parametrize("script", scripts(), ids=lambda p: p.name)
def test_example_runs(script: Path, tmp_path: Path) -> None:
    """The script exits 0 within the timeout and prints what it is about."""
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert 0 == done.returncode, done.stderr
    assert "" == done.stderr
    for expected in EXPECTED.get(script.name, []):
        assert expected in done.stdout
