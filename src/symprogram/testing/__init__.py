"""Test support for users of symprogram: a pytest plugin, Hypothesis strategies, a contract.

Install it with the light ``testing`` extra (Hypothesis and pytest only)::

    pip install -e '.[testing]'   # from a checkout, until the package is published

* :mod:`symprogram.testing.pytest_plugin` — the ``program``, ``clock`` and ``outbox``
  fixtures, loaded by pytest through its ``pytest11`` entry point; the
  ``--symprogram-storage`` option and the ``symprogram_storage`` marker run a test on
  SQLite or any storage URL;
* :mod:`symprogram.testing.strategies` — a strategy function per model, with
  per-field keyword overrides; ``hypothesis.strategies.from_type(Model)`` works for
  every public model;
* :mod:`symprogram.testing.contract` — the abstract storage contract suite that
  every adapter's tests subclass (needs pytest).

The strategies are registered lazily: Hypothesis' ``hypothesis`` entry point only
watches symprogram's imports (it adds a few milliseconds to ``import hypothesis``),
and the first ``from_type`` of a symprogram model imports the strategies.
"""

from __future__ import annotations

__all__ = ["register_strategies"]


def register_strategies() -> None:
    """Register a Hypothesis strategy for every public symprogram model (idempotent).

    Only needed where Hypothesis' entry points are turned off
    (``HYPOTHESIS_NO_PLUGINS``); otherwise ``from_type`` finds them by itself.
    """
    from symprogram.testing import strategies

    strategies.register_all()


def _hypothesis_setup_hook() -> None:
    """The entry point of installs made before 0.2.0: now the lazy one."""
    from _symprogram_hypothesis import setup_hook

    setup_hook()
