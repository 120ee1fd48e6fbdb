"""Reading a catalogue's TOML: the one reader every context's ``load`` and ``from_toml`` use.

Each catalogue (the Terms of Use, the awards, the privacy policies, the
entitlements) loads with ``default()``, ``load(path)`` and ``from_toml(text)``;
they read the file with :func:`read_catalogue` and the text with
:func:`catalogue_table`, so the same input is refused with the same code
whichever catalogue reads it (field, and ``details`` naming the ``file``, the
``entry`` and the ``problem``):

* ``invalid_path``: ``path`` is no path of text, or one with a NUL byte;
* ``catalogue_not_found``: no file is there;
* ``catalogue_unreadable``: the file cannot be read (a directory, a FIFO, a
  device, no permission, larger than ``serialization.MAX_CATALOGUE_BYTES``);
* ``invalid_toml``: the text is no text, not UTF-8, or not TOML (an integer too
  long or nesting too deep for Python included);
* ``empty_catalogue``: the TOML holds nothing (blank, or comments only).

What the table then holds is the catalogue's own to check.

Kernel code: it knows no context.

Example:
    >>> catalogue_table('name = "x"', source="<text>")
    {'name': 'x'}
    >>> catalogue_table("# nothing", source="t")
    Traceback (most recent call last):
    ...
    symprogram.errors.CatalogueError: [empty_catalogue] t: the catalogue holds nothing (field: text)
"""

from __future__ import annotations

import os
from typing import Any

from symprogram.errors import CatalogueError, ValidationError
from symprogram.serialization import catalogue_file_text, toml_value

__all__ = ["catalogue_table", "read_catalogue"]


def catalogue_table(
    text: object, *, source: str, what: str = "catalogue", field: str = "text"
) -> dict[str, Any]:
    """The TOML table of a catalogue's text ``text`` (named ``source`` in messages).

    Args:
        text: the TOML text.
        source: the file or name the text came from.
        what: what the catalogue is, for the message.
        field: the field an error names (``text``, or ``path`` for a file's text).

    Raises:
        CatalogueError: not text or not TOML (``invalid_toml``), or a table with
            nothing in it (``empty_catalogue``).
    """
    try:
        table = toml_value(text)  # type: ignore[arg-type]  # toml_value refuses a non-str
    except ValueError as exc:  # a ValidationError, or a ValueError from an older toml_value
        problem = exc.message if isinstance(exc, ValidationError) else str(exc)
        raise CatalogueError(
            f"{source}: the {what} is not valid TOML: {problem}",
            field=field,
            code="invalid_toml",
            details={"file": source, "entry": "file", "problem": problem},
        ) from exc
    if not table:
        raise CatalogueError(
            f"{source}: the {what} holds nothing",
            field=field,
            code="empty_catalogue",
            details={"file": source, "entry": "file", "problem": "empty"},
        )
    return table


def read_catalogue(path: object, *, what: str = "catalogue") -> tuple[dict[str, Any], str]:
    """The TOML table of the catalogue file ``path``, and the file's name.

    Raises:
        CatalogueError: field ``path``; ``invalid_path``, ``catalogue_not_found``,
            ``catalogue_unreadable`` (see :func:`~symprogram.serialization.catalogue_file_text`),
            ``invalid_toml`` or ``empty_catalogue`` (see :func:`catalogue_table`).
    """
    text = catalogue_file_text(path, what=what)
    name = os.fspath(path)  # type: ignore[call-overload]  # a path of text: read above
    return catalogue_table(text, source=str(name), what=what, field="path"), str(name)
