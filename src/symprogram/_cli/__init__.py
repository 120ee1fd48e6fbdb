"""The implementation of the ``symprogram`` command (see :mod:`symprogram.cli`).

The plain modules do not import click: the demo (``demo``), the CSV import
(``importer``, reading the file with ``csv_rows``) and the output helpers
(``output``) are functions that report through callbacks, so they can be reused
and tested without a terminal. The
click shell around them: ``shell`` (errors, options, the database and clock),
``app`` (the group, ``demo``, ``init``, ``terms`` and ``main``) and one module
per command group (``candidates``, ``awards``, ``entitlements``, ``consent``,
``history``, ``bulk_import``).
"""
