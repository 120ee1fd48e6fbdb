"""The implementation of the ``symprogram`` command (see :mod:`symprogram.cli`).

The modules here do not import click: the demo and the CSV import are plain
functions that report through callbacks, so they can be reused and tested
without a terminal. :mod:`symprogram.cli` is the click shell around them.
"""
