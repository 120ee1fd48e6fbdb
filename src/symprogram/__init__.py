"""symprogram: the domain rules of a software vendor's partner and customer programs.

Start with :class:`Program`::

    from symprogram import Program

    with Program.open("sqlite:///program.db") as program:
        ...

Every error symprogram raises on purpose is a :class:`SymprogramError` with a
stable ``code``; see :mod:`symprogram.errors`.
"""

from symprogram._version import __version__
from symprogram.clock import Clock, FixedClock, SystemClock
from symprogram.decisions import Decision, Reason
from symprogram.digests import LedgerDigest
from symprogram.errors import (
    CatalogueError,
    ConcurrencyError,
    Conflict,
    IllegalTransition,
    IntegrityError,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    RateLimited,
    StorageError,
    SymprogramError,
    TokenError,
    ValidationError,
)
from symprogram.notify import Message, Notifier, Outbox
from symprogram.program import Program

__all__ = [
    "CatalogueError",
    "Clock",
    "ConcurrencyError",
    "Conflict",
    "Decision",
    "FixedClock",
    "IllegalTransition",
    "IntegrityError",
    "LedgerDigest",
    "LimitExceeded",
    "Message",
    "NotFound",
    "Notifier",
    "Outbox",
    "PermissionDenied",
    "Program",
    "RateLimited",
    "Reason",
    "StorageError",
    "SymprogramError",
    "SystemClock",
    "TokenError",
    "ValidationError",
    "__version__",
]
