"""`symprogram demo`: the whole program from the seeds, readable and as JSON."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import assert_one_line_error, parsed
from click.testing import CliRunner

from symprogram.cli import cli


def test_demo_prints_every_section_and_a_verified_history() -> None:
    """The readable demo walks through the eight sections and ends verified."""
    result = CliRunner().invoke(cli, ["demo"])
    assert 0 == result.exit_code, result.output
    for title in (
        "1. Terms of Use",
        "2. Register and activate",
        "3. Claim a score report",
        "4. Earn, publish and verify",
        "5. Handbook access",
        "6. Which language",
        "7. Consent",
        "8. Account history",
    ):
        assert f"== {title}" in result.stdout
    assert "history verified: True" in result.stdout
    assert "2011-01-15 anonymous" in result.stdout


def test_demo_json_summary() -> None:
    """--json gives a machine-readable summary of what happened."""
    data = parsed(CliRunner().invoke(cli, ["demo", "--json"]))
    assert "2007.507" == data["terms"]["version"]
    assert "active" == data["candidate"]["status"]
    assert (0, 100, ["scs-endpoint"]) == (
        data["awards"]["progress_before"],
        data["awards"]["progress_after"],
        data["awards"]["granted"],
    )
    assert [{"award_id": "scs-endpoint", "status": "active"}] == data["awards"]["verified"]
    access = {
        (a["date"], a["reader"], a["document"]): a["allowed"] for a in data["handbook_access"]
    }
    handbook = "essential_support_basic_maintenance_handbook"
    assert (True, False, True) == (
        access[("2011-01-14", "anonymous", handbook)],
        access[("2011-01-15", "anonymous", handbook)],
        access[("2011-01-15", "CUST-0042, logged in", handbook)],
    )
    languages = {row["accept_language"]: row for row in data["languages"]}
    assert ("he", "rtl") == (
        languages["iw-IL,en;q=0.5"]["language"],
        languages["iw-IL,en;q=0.5"]["direction"],
    )
    assert "en" == languages["zh-TW"]["language"]
    assert (True, False) == (
        data["consent"]["after_grant"]["allowed"],
        data["consent"]["after_withdrawal"]["allowed"],
    )
    assert (True, "terms_accepted") == (data["history"]["verified"], data["history"]["entries"][0])


def test_demo_on_a_named_file_keeps_it(tmp_path: Path) -> None:
    """--db keeps the database; its history verifies with the real commands afterwards."""
    target = tmp_path / "demo.db"
    data = parsed(CliRunner().invoke(cli, ["demo", "--db", str(target), "--json"]))
    assert target.exists()
    check = CliRunner().invoke(cli, ["--db", str(target), "history", "verify", "--all", "--json"])
    assert (0, True, 1) == (check.exit_code, parsed(check)["ok"], parsed(check)["checked"])
    assert data["candidate"]["candidate_id"] == parsed(check)["results"][0]["subject"]


def test_demo_refuses_an_existing_file(tmp_path: Path) -> None:
    """The demo never writes into an existing database."""
    target = tmp_path / "existing.db"
    target.write_bytes(b"")
    assert_one_line_error(CliRunner().invoke(cli, ["demo", "--db", str(target)]), "database_exists")


def _console_script() -> Path | None:
    script = Path(sys.executable).parent / "symprogram"
    return script if script.exists() else None


@pytest.mark.parametrize("how", ["module", "script"])
def test_the_readme_command_works(how: str, tmp_path: Path) -> None:
    """`python -m symprogram demo` and the installed `symprogram demo` run as processes."""
    if how == "module":
        command = [sys.executable, "-m", "symprogram", "demo"]
    else:
        script = _console_script()
        if script is None:
            pytest.skip("the console script is not installed next to this interpreter")
        command = [str(script), "demo"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYMPROGRAM_")}
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env, check=False
    )
    assert 0 == done.returncode, done.stderr
    assert "history verified: True" in done.stdout
    assert [] == list(tmp_path.iterdir())  # the default demo leaves nothing behind


def test_demo_refuses_a_file_name_with_a_nul_byte(tmp_path: Path) -> None:
    """A NUL byte in --db is a usage error, not a ValueError traceback."""
    result = CliRunner().invoke(cli, ["demo", "--db", str(tmp_path / "a\x00.db")])
    assert_one_line_error(result, "usage", exit_code=2)
