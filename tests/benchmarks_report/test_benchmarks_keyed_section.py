"""The section of account calls with and without a ledger key (``--only keyed``): its
table has a row per call and one for ``verify_all``, each ratio is the keyed figure over
the unkeyed one, and its target reads the worst ratio. Nothing is measured here: the
child processes' results are faked."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the benchmarks package lives beside src/, not in it
    sys.path.insert(0, str(ROOT))

from benchmarks import run  # noqa: E402


def fake(scale: float) -> dict[str, Any]:
    """A child's result with every per-call figure ``scale`` times a base one."""
    return {
        "authenticate": 100e-6 * scale,
        "authenticate_imported": 200e-6 * scale,
        "authenticate_no_digest": 250e-6 * scale,
        "request_password_reset": 300e-6 * scale,
        "reset_password": 400e-6 * scale * (2 if scale > 1 else 1),
        "verify_all_s": 1.0 * scale,
        "accounts": 1002,
        "peak_rss_mb": 50.0,
    }


def test_keyed_section_rows_and_target(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unkeyed 1x, keyed 1.1x (reset_password 2.2x): every call has its row with both
    figures and the ratio, verify_all its per-account figures, and the target is
    missed on the worst ratio (2.20x)."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def run_child(task: str, **kwargs: Any) -> dict[str, Any]:
        calls.append((task, kwargs))
        return fake(1.1 if kwargs["keyed"] else 1.0)

    monkeypatch.setattr(run, "run_child", run_child)
    rep = run.Report("python -m benchmarks --quick")
    rep.begin("keyed")
    run.bench_keyed(rep, 1000, 200)
    rep.end()
    section = rep.sections["keyed"]
    text = "".join(section["text"])
    assert [task for task, _ in calls] == ["accounts_keyed", "accounts_keyed"]
    assert {kwargs["keyed"] for _, kwargs in calls} == {False, True}
    assert text.startswith("## 5c. Account calls with and without a ledger key\n")
    assert "| `authenticate` (right password) | 100.00 µs | 110.00 µs | 1.10x |" in text
    assert "| `reset_password` | 400.00 µs | 880.00 µs | 2.20x |" in text
    assert (
        "| `history.verify_all()`, 1,002 accounts | 1.00 s (998.00 µs per account)"
        " | 1.10 s (1,097.80 µs per account) | 1.10x |"
    ) in text
    assert len([line for line in text.splitlines() if line.startswith("| `")]) == 6
    ((name, measured, verdict),) = section["targets"]
    assert "ledger key" in name
    assert (measured, verdict) == ("2.20x worst", "**missed**")


def test_keyed_section_is_measured_by_default_and_ordered() -> None:
    """``keyed`` is one of the sections ``--only`` accepts, after the anchor checks
    (5b) and before the enumeration (7)."""
    assert run.ORDER.index("anchors") < run.ORDER.index("keyed") < run.ORDER.index("enumeration")
