"""Privacy consent: versioned policies, purposes, a provable consent ledger, opt-outs.

The public entry point is :class:`ConsentService`; policies are data
(:class:`PolicyCatalogue`, default: the privacy policy as the document says it;
``PolicyCatalogue.default(reading="opt_in")`` the stricter opt-in reading). See
``docs/consent.md``.
"""

from typing import Any

from symprogram.consent.events import *  # noqa: F403  (every event, re-exported)
from symprogram.consent.events import __all__ as _events_all
from symprogram.consent.models import *  # noqa: F403  (every model, re-exported)
from symprogram.consent.models import __all__ as _models_all
from symprogram.consent.ports import ConsentChecker, ContactPreferences
from symprogram.consent.rules import apply, decide, diff_policies, replay
from symprogram.consent.service import ConsentService, ConsentSettings

__all__ = [
    "ConsentChecker",
    "ConsentService",
    "ConsentSettings",
    "ContactPreferences",
    "apply",
    "decide",
    "diff_policies",
    "replay",
    *_events_all,
    *_models_all,
]


def __getattr__(name: str) -> Any:
    """Deprecated names of the package (``policy_from_mapping``), served with a warning."""
    if name == "policy_from_mapping":
        from symprogram.consent import catalogue

        return catalogue.__getattr__(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
