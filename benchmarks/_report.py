"""REPORT.md's sections: which the writer generates, and the hand-written ones it keeps.

``python -m benchmarks`` generates the preamble, ``## Machine``, ``## Targets``, one
numbered section per measured section of ``results.json`` and ``## Notes``. Some
sections are written by hand (a benchmark run on its own, such as
``python -m benchmarks.event_loop_lag``, whose figures are not in ``results.json``).
:func:`merge` puts every section of the existing file that the writer does not
generate back where it was:

- a numbered one (``## 6. ...``, ``## 2b. ...``) before the first generated section
  of a higher number (after the last numbered section when none is higher), so the
  numbers stay in order; a generated section of the same number replaces it;
- any other one right after the section it followed in the existing file (before
  ``## Notes`` when that section is gone).

Each kept section is copied verbatim (trailing blank lines aside).
"""

from __future__ import annotations

import re

__all__ = ["Key", "merge", "number", "sections"]

Key = tuple[int, str] | str
"""A section's identity: its number (``(2, "b")`` for ``## 2b.``) or, unnumbered, its title."""

_NUMBERED = re.compile(r"## (\d+)([a-z]*)\.(?:\s|$)")


def number(chunk: str) -> tuple[int, str] | None:
    """The number of the section ``chunk`` (``## 2b. Title`` -> ``(2, "b")``), if it has one."""
    found = _NUMBERED.match(chunk)
    return None if found is None else (int(found[1]), found[2])


def key(chunk: str) -> Key:
    """The identity of the section ``chunk``: its number, else its title line."""
    numbered = number(chunk)
    return numbered if numbered is not None else chunk.partition("\n")[0].strip()


def sections(text: str) -> list[str]:
    """The ``## `` sections of a markdown text, each from its heading to the next one,
    without trailing blank lines (the text before the first heading is left out)."""
    parts = re.split(r"(?m)^(?=## )", text)
    return [part.rstrip() + "\n" for part in parts[1:] if part.startswith("## ")]


def merge(generated: list[str], previous: str) -> list[str]:
    """``generated`` (in order) with every section of ``previous`` it does not generate.

    Args:
        generated: the sections the writer generates now, each starting ``## ``.
        previous: the existing report's text ('' when there is none).

    Returns:
        The sections of the new report, in order.
    """
    out = [(key(chunk), chunk.rstrip() + "\n") for chunk in generated]
    made = {k for k, _ in out}
    anchor: Key | None = None
    for chunk in sections(previous):
        k = key(chunk)
        if k not in made:
            out.insert(_position(out, k, anchor), (k, chunk))
        anchor = k
    return [chunk for _, chunk in out]


def _position(out: list[tuple[Key, str]], k: Key, anchor: Key | None) -> int:
    """Where the kept section ``k`` (which followed ``anchor`` before) goes in ``out``."""
    keys = [existing for existing, _ in out]
    if isinstance(k, tuple):
        numbered = [i for i, existing in enumerate(keys) if isinstance(existing, tuple)]
        for i in numbered:
            existing = keys[i]
            if isinstance(existing, tuple) and existing > k:
                return i
        if numbered:
            return numbered[-1] + 1
    if anchor is not None and anchor in keys:
        return keys.index(anchor) + 1
    return keys.index("## Notes") if "## Notes" in keys else len(keys)
