"""Sphinx configuration of the symprogram documentation.

Build it (warnings are errors) with::

    pip install -e '.[docs]'
    sphinx-build -W -b html docs docs/_build/html
"""

from __future__ import annotations

import sys
from pathlib import Path

# The package is normally installed (editable) in the docs environment; this line
# lets a plain checkout build the reference too.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

# Import Hypothesis before symprogram.testing is autodoc'ed: importing
# ``symprogram.testing.strategies`` first makes Hypothesis run symprogram's entry
# point while that module is half-imported, which prints a RuntimeWarning.
import hypothesis  # noqa: F401

from symprogram import __version__

project = "symprogram"
author = "The symprogram developers"
copyright = "the symprogram developers"
release = __version__
version = ".".join(__version__.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_inventories", "Thumbs.db", ".DS_Store"]

# MyST: ``{directive}`` fences, ``:::`` fences and heading anchors for #links.
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# Links to the documentation of Python, attrs, cattrs, Hypothesis and SQLAlchemy.
# The build must work offline (CI reaches package registries only), so Sphinx never
# downloads an inventory: each one is a file shipped in docs/_inventories/, copied
# from the Debian documentation packages (python3-doc, python-attr-doc,
# python-cattrs-doc, python-hypothesis-doc, python-sqlalchemy-doc). Each address is
# the documentation of the version its inventory describes, so every link lands on
# an existing anchor; docs/_inventories/README.md says how to refresh them.
_INVENTORIES = Path(__file__).resolve().parent / "_inventories"
intersphinx_mapping = {
    "python": ("https://docs.python.org/3.11/", str(_INVENTORIES / "python-3.11.inv")),
    "attrs": ("https://www.attrs.org/en/22.2.0/", str(_INVENTORIES / "attrs-22.2.0.inv")),
    "cattrs": ("https://catt.rs/en/v22.2.0/", str(_INVENTORIES / "cattrs-22.2.0.inv")),
    "hypothesis": (
        "https://hypothesis.readthedocs.io/en/hypothesis-python-6.67.1/",
        str(_INVENTORIES / "hypothesis-6.67.1.inv"),
    ),
    "sqlalchemy": (
        "https://docs.sqlalchemy.org/en/14/",
        str(_INVENTORIES / "sqlalchemy-1.4.46.inv"),
    ),
}
intersphinx_timeout = 5

# Docstrings are Google style (see DESIGN.md).
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_attr_annotations = True

autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
    "member-order": "bysource",
}
# Signatures show the types; the descriptions stay readable.
autodoc_typehints = "signature"
autodoc_preserve_defaults = True

# Cross-references that cannot be resolved (third-party types in signatures, such
# as attrs or hypothesis classes) are not warnings unless nitpicky is on; it stays
# off on purpose: the reference is generated from docstrings written for readers
# of the source, and the build must still fail on every *other* warning.
nitpicky = False

suppress_warnings: list[str] = []

html_theme = "furo"
html_title = f"symprogram {release}"
html_static_path: list[str] = []
