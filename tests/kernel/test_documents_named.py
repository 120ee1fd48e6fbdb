"""User-facing text names the source documents as their readers know them, never "seeds"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# "seed 000", "seeds 000 and 001", "the seed(s)", "the seed's", "Seed: ..." (a random
# number generator's seed, "seeded", is another word and stays).
_SEED_AS_DOCUMENT = re.compile(r"(?i:\bseeds?\s+0\d\d|\bthe\s+seeds?\b|\bseed's)|\bSeed:")


def _user_facing_files() -> list[Path]:
    files = [ROOT / "README.md"]
    for folder, patterns in (
        ("src", ("*.py", "*.toml", "*.txt", "*.md")),
        ("docs", ("*.md", "*.py")),
        ("examples", ("*.py", "*.md", "*.html", "*.toml")),
    ):
        for pattern in patterns:
            files.extend(
                path
                for path in (ROOT / folder).rglob(pattern)
                if "_build" not in path.parts and "node_modules" not in path.parts
            )
    return sorted(path for path in files if path.is_file())


def test_the_files_are_found() -> None:
    """The scan covers the package, the docs, the examples and the README."""
    names = {path.name for path in _user_facing_files()}
    assert {"README.md", "demo.py", "terms.toml", "cli.md"} <= names


@pytest.mark.parametrize("path", _user_facing_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_documents_are_named_not_called_seeds(path: Path) -> None:
    """No docstring, help, message, data comment or page calls a document a seed."""
    text = path.read_text(encoding="utf-8", errors="replace")
    found = [
        f"{number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), start=1)
        if _SEED_AS_DOCUMENT.search(line)
    ]
    assert [] == found
