"""Every candidate ID the docs show as issued is one a candidate could have.

A newcomer copies the ID printed in an example into ``get_candidate`` or
``erase_person``: an example whose check symbol does not match answers
``candidate_id_check_failed`` instead of what the page describes. The only ID
shown on purpose with a wrong check symbol is the subject nobody has, which the
accounts page says is so.
"""

from __future__ import annotations

import re
from pathlib import Path

from symprogram.ids import CandidateId

ROOT = Path(__file__).resolve().parents[2]
_ID = re.compile(r"SP-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z*~$=U]")
_EXAMPLE_IN_SOURCE = re.compile(r"e\.g\. ``(SP-[^`]+)``")

#: Shown on purpose with a check symbol no issued ID has (docs/accounts.md).
NOBODY = "SP-0000-0000-0000-1"


def shown() -> list[tuple[str, str]]:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    found = [
        (page.name, match)
        for page in pages
        for match in _ID.findall(page.read_text(encoding="utf-8"))
        if match != NOBODY
    ]
    for path in sorted((ROOT / "src" / "symprogram").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        found += [(path.name, match) for match in _EXAMPLE_IN_SOURCE.findall(text)]
    return found


def test_the_docs_show_candidate_ids() -> None:
    assert len(shown()) >= 5


def test_every_candidate_id_shown_is_valid() -> None:
    assert [] == [(where, cid) for where, cid in shown() if not CandidateId.is_valid(cid)]
