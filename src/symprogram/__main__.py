"""``python -m symprogram``: the same as the ``symprogram`` command (needs the ``cli`` extra)."""

from __future__ import annotations


def _run() -> None:
    try:
        from symprogram.cli import main
    except ImportError as exc:  # pragma: no cover - depends on installed extras
        raise SystemExit(
            f"error: [cli_extra_missing] the command needs click: pip install 'symprogram[cli]' "
            f"({exc})"
        ) from None
    main()


if __name__ == "__main__":
    _run()
