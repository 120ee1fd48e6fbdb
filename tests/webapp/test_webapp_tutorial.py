"""The tutorial (docs/tutorial.md) runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "tutorial.md"


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_the_tutorials_code_runs_and_ends_as_it_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every Python block of the tutorial runs in order and prints what the comments say."""
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "tutorial"}
    blocks = _python_blocks(TUTORIAL.read_text(encoding="utf-8"))
    assert 8 <= len(blocks)
    for block in blocks:
        exec(compile(block, str(TUTORIAL), "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()
    assert [
        "Terms of Use 2007.507",
        "check_email",
    ] == printed[:2]
    assert "TokenError token_used token" == printed[3]
    assert "False ('no_active_agreement', 'language_served')" == printed[4]
    assert "True fr https://my.symantec.com" == printed[6]
    assert "he עברית rtl" == printed[7]
    assert "('withdrawn',)" == printed[9]
    assert ["1 terms_accepted", "2 candidate_registered"] == printed[10:12]
    assert "True True" == printed[-1]
    assert (tmp_path / "portal.db").exists()
