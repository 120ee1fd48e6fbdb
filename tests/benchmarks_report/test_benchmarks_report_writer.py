"""``python -m benchmarks`` rewrites REPORT.md from results.json and keeps the sections
it does not generate (written by hand by the benchmarks run on their own: the event-loop
lag, ``import hypothesis``, the README's pytest, the CSV import, an enumeration section
not in results.json) in place and in order. Nothing is measured here: the writer is fed
a small fake results mapping and writes into a temporary directory.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the benchmarks package lives beside src/, not in it
    sys.path.insert(0, str(ROOT))

from benchmarks import run  # noqa: E402
from benchmarks._report import merge, sections  # noqa: E402

MACHINE: dict[str, Any] = {
    "nproc": 2,
    "cpu": "Test CPU",
    "memory": "1 GiB",
    "os": "TestOS",
    "python": "CPython 3.11.7",
    "sqlite": "3.40.1",
    "versions": {"attrs": "26.1.0"},
}

OLD = """# symprogram benchmarks

An older preamble.

## Machine

- an older machine

## Targets

| target | measured | verdict |
|---|---|---|
| old target | 1 | **met** |

## 1. Decisions (an older run)

old figures

## 6. Event-loop lag: 50 registrations at once through `symprogram.aio`

Written by hand, with a table:

| scenario | p99 |
|---|---:|
| aio | 4.6 ms |

## 7. Enumeration by timing (written by hand)

56.2% worst

## 8. `import hypothesis` with symprogram installed (issue 19)

1.6 ms

## Notes

- older notes
"""

HAND = ("## 6. Event-loop lag", "## 7. Enumeration by timing", "## 8. `import hypothesis`")


def fake_section(title: str, body: str, target: str) -> dict[str, Any]:
    """A section as ``Report`` records it, without measuring anything."""
    return {
        "name": title,
        "command": "python -m benchmarks --quick",
        "started": "2026-12-02 04:00 UTC",
        "commit": "abc1234",
        "load_at_start": "0.50 0.50 0.50",
        "load_at_end": "0.60 0.60 0.60",
        "minutes": 0.1,
        "text": [f"{title}\n\n{body}\n"],
        "targets": [(target, "1 µs", "**met**")],
    }


def write(tmp_path: Path, fake: dict[str, dict[str, Any]]) -> str:
    """Write the report into ``tmp_path`` with the fake sections ``fake``; its text."""
    rep = run.Report("python -m benchmarks --quick")
    rep.sections = fake
    run.write(rep, MACHINE, report=tmp_path / "REPORT.md", results=tmp_path / "results.json")
    return (tmp_path / "REPORT.md").read_text(encoding="utf-8")


def chunk(text: str, heading: str) -> str:
    """The section of ``text`` whose heading starts with ``heading``."""
    (found,) = [c for c in sections(text) if c.startswith(heading)]
    return found


def headings(text: str) -> list[str]:
    """Every ``## `` heading of ``text``, in order."""
    return re.findall(r"(?m)^## .*$", text)


FAKE = {
    "decisions": fake_section("## 1. Decisions in memory", "new figures", "decide fast"),
    "growth": fake_section("## 5. Growth: history `verify()`", "linear", "verify linear"),
}


def test_hand_written_sections_survive_in_place(tmp_path: Path) -> None:
    """The hand-written sections 6, 7 (no enumeration in results.json) and 8 are kept
    verbatim, between the generated 5 and the notes; the generated sections, machine,
    targets and notes are written from the results."""
    (tmp_path / "REPORT.md").write_text(OLD, encoding="utf-8")
    text = write(tmp_path, FAKE)
    numbered = [h.split(".")[0] for h in headings(text) if re.match(r"## \d", h)]
    assert ["## 1", "## 5", "## 6", "## 7", "## 8"] == numbered
    assert ["## Machine", "## Targets"] == headings(text)[:2]
    assert headings(text)[-1] == "## Notes"
    for heading in HAND:
        assert chunk(OLD, heading) == chunk(text, heading)
    assert "old figures" not in text and "new figures" in text
    assert "old target" not in text and "| decide fast | 1 µs | **met** |" in text
    assert "older notes" not in text and chunk(run.NOTES, "## Notes") == chunk(text, "## Notes")
    assert "- 2 CPUs: Test CPU; memory 1 GiB" in text
    kept = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert {"decisions", "growth"} == set(kept["sections"])


def test_writing_again_changes_nothing(tmp_path: Path) -> None:
    """Rendering again from results.json alone (``--render``) gives the same file."""
    (tmp_path / "REPORT.md").write_text(OLD, encoding="utf-8")
    first = write(tmp_path, FAKE)
    assert first == write(tmp_path, {})


def test_a_generated_section_replaces_the_one_of_its_number(tmp_path: Path) -> None:
    """Once results.json has the enumeration section, it replaces the hand-written
    section 7; the other hand-written sections stay."""
    (tmp_path / "REPORT.md").write_text(OLD, encoding="utf-8")
    fake = {**FAKE, "enumeration": fake_section("## 7. Enumeration measured", "51%", "coin")}
    text = write(tmp_path, fake)
    assert "56.2% worst" not in text and "51%" in text
    assert 1 == len([h for h in headings(text) if h.startswith("## 7.")])
    for heading in (HAND[0], HAND[2]):
        assert chunk(OLD, heading) == chunk(text, heading)


def test_without_a_previous_report_only_generated_sections(tmp_path: Path) -> None:
    """No REPORT.md yet: the machine, targets, the generated sections and the notes."""
    text = write(tmp_path, FAKE)
    assert [
        "## Machine",
        "## Targets",
        "## 1. Decisions in memory",
        "## 5. Growth: history `verify()`",
        "## Notes",
    ] == headings(text)


numbers = st.lists(
    st.tuples(st.integers(1, 12), st.sampled_from(["", "b"])), unique=True, max_size=10
)


@given(numbers, st.data())
def test_merge_keeps_every_section_once_numbers_in_order(
    all_numbers: list[tuple[int, str]], data: st.DataObject
) -> None:
    """For any split of numbered sections into generated and hand-written ones, and
    unnumbered hand-written ones anywhere in the old file: every section appears once,
    the hand-written ones verbatim, numbered ones in increasing order, and each
    unnumbered one after the section it followed."""
    ordered = sorted(all_numbers)
    hand = data.draw(st.lists(st.sampled_from(ordered), unique=True) if ordered else st.just([]))
    title = {n: f"## {n[0]}{n[1]}. Section {n[0]}{n[1]}\n" for n in ordered}
    generated = [f"{title[n]}\nnew\n" for n in ordered if n not in hand]
    old_chunks = [f"{title[n]}\n{'hand' if n in hand else 'old'}\n" for n in ordered]
    extras = data.draw(st.lists(st.integers(0, len(old_chunks)), max_size=3))
    for i, at in enumerate(sorted(extras, reverse=True)):
        old_chunks.insert(at, f"## Extra {i}\n\nby hand\n")
    previous = "# report\n\n" + "\n".join(old_chunks)
    merged = merge([*generated, "## Notes\n\n- notes\n"], previous)

    expected = len(generated) + len(hand) + len(extras) + 1
    assert expected == len(merged) == len(set(merged))
    for old in old_chunks:
        if old.endswith("hand\n"):  # written by hand: kept as it was
            assert old in merged
        else:  # generated before: replaced by the new one
            assert old not in merged
    keys = [c.split(".")[0] for c in merged if re.match(r"## \d", c)]
    assert sorted(keys, key=lambda k: (int(k[3:].rstrip("b")), k.endswith("b"))) == keys
    for before, after in itertools.pairwise(old_chunks):
        if after.startswith("## Extra") and not before.startswith("## Extra"):
            heading = before.partition("\n")[0]
            (position,) = [i for i, c in enumerate(merged) if c.startswith(heading + "\n")]
            assert merged.index(after) > position
