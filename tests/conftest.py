"""Test-wide settings: Hypothesis profiles.

``dev`` (default) keeps runs quick; ``ci`` (selected by ``HYPOTHESIS_PROFILE=ci``,
which ``.ci/run`` sets) runs more examples, derandomized so CI is deterministic.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
