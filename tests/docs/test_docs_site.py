"""The docs site builds offline, shows the changelog, and tells newcomers a working install.

``sphinx-build -W`` runs in CI without network access (package registries only), so
every intersphinx inventory must be a file in the checkout; the install lines must
work from a checkout while the package is not published.
"""

from __future__ import annotations

import posixpath
import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

pytest.importorskip("sphinx", reason="the docs configuration is Sphinx's")
from sphinx.util.inventory import InventoryFile  # noqa: E402


def conf() -> dict[str, object]:
    return runpy.run_path(str(DOCS / "conf.py"))


def test_intersphinx_links_the_five_projects_from_local_inventories() -> None:
    """Python, attrs, cattrs, Hypothesis and SQLAlchemy, each from a shipped inventory file."""
    settings = conf()
    assert "sphinx.ext.intersphinx" in settings["extensions"]  # type: ignore[operator]
    mapping = settings["intersphinx_mapping"]
    assert isinstance(mapping, dict)
    assert {"python", "attrs", "cattrs", "hypothesis", "sqlalchemy"} == set(mapping)
    for name, (address, inventory) in mapping.items():
        assert address.startswith("https://"), name
        assert isinstance(inventory, str), f"{name}: an inventory Sphinx would download"
        path = Path(inventory)
        assert path.is_file() and DOCS in path.parents, name
        with path.open("rb") as f:
            loaded = InventoryFile.load(f, address, posixpath.join)
        data = getattr(loaded, "data", loaded)
        assert any(kind.startswith("py:") for kind in data), name  # type: ignore[union-attr]


def test_the_changelog_is_a_page_of_the_site() -> None:
    """docs/changelog.md includes ../CHANGELOG.md and the index lists it."""
    page = (DOCS / "changelog.md").read_text(encoding="utf-8")
    assert re.search(r"^```\{include\} \.\./CHANGELOG\.md$", page, re.M)
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    assert re.search(r"^changelog$", index, re.M)


def test_install_lines_work_from_a_checkout() -> None:
    """No page tells a newcomer to install the unpublished package from an index."""
    pages = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
    found = [
        f"{page.relative_to(ROOT)}:{n}: {line.strip()}"
        for page in pages
        if "_build" not in page.parts
        for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1)
        if any(_from_an_index(command) for command in line.split("pip install ")[1:])
    ]
    assert [] == found


def _from_an_index(command: str) -> bool:
    """Whether the arguments of one ``pip install`` name the package ``symprogram``."""
    arguments = re.split(r"&&|#|`|;|\(|\)", command, maxsplit=1)[0]
    return any(
        re.fullmatch(r"symprogram(\[[\w,]+\])?", word.strip("'\"")) for word in arguments.split()
    )


def test_the_readme_and_the_docs_install_the_cli_extra_from_a_checkout() -> None:
    for page in (ROOT / "README.md", DOCS / "index.md", DOCS / "cli.md"):
        assert "pip install -e '.[cli]'" in page.read_text(encoding="utf-8"), page.name
