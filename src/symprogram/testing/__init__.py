"""Test support for users of symprogram: Hypothesis strategies and the storage contract.

Importing :mod:`symprogram.testing.strategies` registers a strategy for every
public model, so that ``hypothesis.strategies.from_type(Model)`` works; Hypothesis
also calls :func:`_hypothesis_setup_hook` through its ``hypothesis`` entry point,
so the registration happens as soon as Hypothesis is imported.

* :mod:`symprogram.testing.strategies` — a strategy function per model, with
  per-field keyword overrides;
* :mod:`symprogram.testing.contract` — the abstract storage contract suite that
  every adapter's tests subclass (needs pytest).
"""

from __future__ import annotations

import sys
import warnings

__all__ = ["register_strategies"]


def register_strategies() -> None:
    """Register a Hypothesis strategy for every public symprogram model (idempotent)."""
    from symprogram.testing import strategies

    strategies.register_all()


def _hypothesis_setup_hook() -> None:
    """Entry point called by Hypothesis at import time; never breaks Hypothesis itself."""
    pending = sys.modules.get("symprogram.testing.strategies")
    if pending is not None and not hasattr(pending, "register_all"):
        # strategies is importing Hypothesis right now; it registers when it finishes.
        return
    try:
        register_strategies()
    except Exception as exc:  # pragma: no cover - only when an install is broken
        warnings.warn(
            f"symprogram could not register its Hypothesis strategies: {exc!r}",
            RuntimeWarning,
            stacklevel=2,
        )
