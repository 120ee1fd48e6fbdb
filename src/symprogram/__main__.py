"""``python -m symprogram``: the same as the ``symprogram`` command (needs the ``cli`` extra)."""

from __future__ import annotations

from symprogram.cli import main

if __name__ == "__main__":
    main()
