"""The ``symprogram`` command: a demo and real commands over a database file.

Install with the ``cli`` extra. Until the package is published, from the root of a
checkout of the repository::

    pip install -e '.[cli]'

then::

    symprogram demo                       # the whole program on a temporary SQLite file
    symprogram --db program.db init       # create a database
    symprogram candidates register --help

Without the extra (click is not installed) the command prints one line saying how
to install it and exits with status 1.

The database is ``--db`` (a file path or a storage URL), else the
``SYMPROGRAM_DB`` or ``SYMPROGRAM_STORAGE`` environment variable, else
``sqlite:///symprogram.db``. Every command takes ``--json``. A caller's mistake
exits with status 1 (2 for a usage error) and one line on stderr,
``error: [code] message``; never a traceback. Commands that only read (``terms``,
``candidates show``, ``history show``, ...) never create a database: on a file that
does not exist they stop with ``error: [database_missing]`` naming the file.
Every command that opens the database reads the ledger key ring from the
environment (``SYMPROGRAM_LEDGER_KEY``, hex; never from the command line); on a
store whose ledgers are keyed, a command without it stops with
``error: [ledger_key_missing]`` before writing anything.

symprogram never sends e-mail: the CLI prints the messages a host application
would e-mail (activation tokens, verification codes), which is what makes
``register`` then ``activate`` work from a terminal.
"""

from __future__ import annotations

import sys
from typing import Any, Final, NoReturn

__all__ = ["DEFAULT_DATABASE", "INSTALL_HINT", "main"]

DEFAULT_DATABASE: Final = "sqlite:///symprogram.db"
"""The database used when neither ``--db`` nor an environment variable names one."""

INSTALL_HINT: Final = (
    "error: [cli_extra_missing] the symprogram command needs click; install the cli "
    "extra: pip install -e '.[cli]' (from the root of a checkout of the repository)"
)
"""The line printed on stderr when the command runs without the ``cli`` extra."""


def _click_missing(exc: ModuleNotFoundError) -> bool:
    name = exc.name or ""
    return name == "click" or name.startswith("click.")


def _encodable_output() -> None:
    """Let stdout and stderr write what their encoding cannot (a stored name with
    U+202E or Ł on a cp1252 console, output redirected on Windows) as backslash
    escapes, rather than stop the command with a traceback."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if callable(reconfigure):
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a stream already written in another way
                continue


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the ``symprogram`` command (the console script and ``python -m symprogram``).

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Raises:
        SystemExit: always, with the command's exit status; 1 with
            :data:`INSTALL_HINT` on stderr when click is not installed.
    """
    _encodable_output()
    try:
        from symprogram._cli.app import run
    except ModuleNotFoundError as exc:
        if not _click_missing(exc):
            raise
        print(INSTALL_HINT, file=sys.stderr)
        raise SystemExit(1) from None
    run(argv)


def __getattr__(name: str) -> Any:
    # ``symprogram.cli.cli`` (the click group, for click's CliRunner) is imported on
    # first use, so that importing this module never needs click.
    if name == "cli":
        from symprogram._cli.app import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
