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
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# MyST: ``{directive}`` fences, ``:::`` fences and heading anchors for #links.
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

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
