"""``symprogram --db URL`` on a storage backend whose entry point cannot be loaded, or
whose factory fails, prints one ``error: [code]`` line and exits 1: no traceback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType

import pytest
from cli_helpers import assert_one_line_error
from click.testing import CliRunner

from symprogram.cli import cli
from symprogram.storage import ENTRY_POINT_GROUP, backends

FAKE_MODULE = "symprogram_cli_fake_backend"


def _raising(url: str) -> object:
    raise OSError(f"cannot reach {url}")


@pytest.fixture
def broken_backends() -> Iterator[None]:
    """Entry points ``badattr`` (no such object) and ``raises`` (a failing factory)."""
    module = ModuleType(FAKE_MODULE)
    module.raising = _raising  # type: ignore[attr-defined]
    fakes = [
        EntryPoint("badattr", f"{FAKE_MODULE}:no_such_attr", ENTRY_POINT_GROUP),
        EntryPoint("raises", f"{FAKE_MODULE}:raising", ENTRY_POINT_GROUP),
    ]

    def fake_entry_points(*, group: str) -> list[EntryPoint]:
        return [*entry_points(group=group), *fakes]

    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, FAKE_MODULE, module)
        patch.setattr("symprogram.storage.entry_points", fake_entry_points)
        backends()
        yield
    backends()


@pytest.mark.usefixtures("broken_backends")
@pytest.mark.parametrize(
    ("url", "code"),
    [("badattr://x", "storage_backend_unavailable"), ("raises://x", "storage_backend_failed")],
)
def test_a_broken_storage_backend_is_one_error_line(url: str, code: str) -> None:
    """A missing entry-point object or a failing factory: exit 1, no traceback."""
    result = CliRunner().invoke(cli, ["--db", url, "init"])
    assert_one_line_error(result, code)
