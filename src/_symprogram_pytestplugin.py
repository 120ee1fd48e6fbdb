"""symprogram's pytest entry point: options and markers now, fixtures after coverage starts.

pytest imports every ``pytest11`` entry point before ``pytest --cov`` starts measuring,
so this module (outside the package, like Hypothesis' ``_hypothesis_pytestplugin``)
imports nothing of symprogram: importing ``symprogram.anything`` would import the
package first and leave its module-level lines unmeasured. It adds the
``--symprogram-storage`` option, the ``symprogram_storage`` ini setting and marker,
and in ``pytest_configure`` loads :mod:`symprogram.testing.pytest_plugin`, which
holds the fixtures.
"""

from __future__ import annotations

import pytest

__all__ = ["pytest_addoption", "pytest_configure"]

_PLUGIN = "symprogram.testing.pytest_plugin"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--symprogram-storage`` and the ``symprogram_storage`` ini setting."""
    group = parser.getgroup("symprogram", "symprogram test kit")
    group.addoption(
        "--symprogram-storage",
        dest="symprogram_storage",
        default=None,
        metavar="URL|memory|sqlite",
        help="storage of the program fixture: memory (default), sqlite (a file in "
        "tmp_path) or a storage URL",
    )
    parser.addini(
        "symprogram_storage", "default storage of the program fixture (memory, sqlite or a URL)"
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``symprogram_storage`` marker and load the fixtures."""
    config.addinivalue_line(
        "markers",
        "symprogram_storage(storage): run the test's symprogram program on this storage "
        "(memory, sqlite or a storage URL)",
    )
    config.pluginmanager.import_plugin(_PLUGIN)
