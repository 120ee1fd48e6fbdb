"""The catalogue of Terms of Use versions (kept import path).

:class:`TermsCatalogue` lives in :mod:`symprogram.accounts.models`; loading it
from data is :mod:`symprogram.accounts.catalogue`.
"""

from __future__ import annotations

from symprogram.accounts.models import TermsCatalogue

__all__ = ["TermsCatalogue"]
