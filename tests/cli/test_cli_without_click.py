"""Without the ``cli`` extra the command says how to install it: one line, exit 1, no traceback.

click is made missing in a fresh interpreter (``sys.modules["click"] = None``), as
when symprogram is installed without the extra.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from symprogram.cli import INSTALL_HINT

_NO_CLICK = "import sys; sys.modules['click'] = None; "


def run_without_click(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _NO_CLICK + code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "code",
    [
        # the console script exactly as installed (the entry point pyproject declares)
        "from importlib.metadata import entry_points; "
        "sys.argv = ['symprogram', 'demo']; "
        "next(iter(entry_points(group='console_scripts', name='symprogram'))).load()()",
        # python -m symprogram
        "import runpy; sys.argv = ['symprogram', 'demo']; "
        "runpy.run_module('symprogram', run_name='__main__')",
    ],
    ids=["console-script", "python-m"],
)
def test_the_command_without_click_prints_how_to_install_the_extra(code: str) -> None:
    """Exit 1, the install line on stderr, nothing on stdout, no traceback."""
    result = run_without_click(code)
    assert 1 == result.returncode, result.stderr
    assert [INSTALL_HINT] == result.stderr.strip().splitlines()
    assert "pip install -e '.[cli]'" in result.stderr
    assert "" == result.stdout
    assert "Traceback" not in result.stderr


def test_the_module_imports_without_click() -> None:
    """``import symprogram.cli`` needs no click; the group itself does, on first use."""
    result = run_without_click(
        "import symprogram.cli as c; print(c.DEFAULT_DATABASE); "
        "\ntry:\n    c.cli\nexcept ModuleNotFoundError as e:\n    print('needs', e.name)"
    )
    assert 0 == result.returncode, result.stderr
    assert ["sqlite:///symprogram.db", "needs click"] == result.stdout.split("\n")[:2]


def test_an_unrelated_missing_module_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a missing click gets the hint; any other import error is raised as it is."""
    import symprogram.cli as cli_module

    def broken(name: str, *args: object, **kwargs: object) -> object:
        if name == "symprogram._cli.app":
            raise ModuleNotFoundError("No module named 'somethingelse'", name="somethingelse")
        return real_import(name, *args, **kwargs)

    import builtins

    real_import = builtins.__import__
    monkeypatch.setattr(builtins, "__import__", broken)
    with pytest.raises(ModuleNotFoundError, match="somethingelse"):
        cli_module.main([])
