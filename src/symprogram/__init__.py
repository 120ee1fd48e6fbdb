"""symprogram: the domain rules of a software vendor's partner and customer programs."""

from symprogram._version import __version__

__all__ = ["__version__"]
