"""The ``symprogram`` command: a demo and real commands over a database file.

Install with the ``cli`` extra (``pip install 'symprogram[cli]'``), then::

    symprogram demo                       # the whole program on a temporary SQLite file
    symprogram --db program.db init       # create a database
    symprogram candidates register --help

The database is ``--db`` (a file path or a storage URL), else the
``SYMPROGRAM_DB`` or ``SYMPROGRAM_STORAGE`` environment variable, else
``sqlite:///symprogram.db``. Every command takes ``--json``. A caller's mistake
exits with status 1 (2 for a usage error) and one line on stderr,
``error: [code] message``; never a traceback.

symprogram never sends e-mail: the CLI prints the messages a host application
would e-mail (activation tokens, verification codes), which is what makes
``register`` then ``activate`` work from a terminal.
"""

from __future__ import annotations

from typing import Final

from symprogram._cli import shell as _shell
from symprogram._cli.app import cli as cli
from symprogram._cli.app import main

__all__ = ["DEFAULT_DATABASE", "main"]

DEFAULT_DATABASE: Final = _shell.DEFAULT_DATABASE
"""The database used when neither ``--db`` nor an environment variable names one."""

main.__module__ = __name__  # documented here, the console script's home
