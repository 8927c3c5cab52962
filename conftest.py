"""Hypothesis settings profiles for kmodel's own tests and the property suites.

- ``ci``: derandomized, modest example counts; loaded when ``CI`` is set (``.ci/run``).
- ``dev`` (default): like ci but randomized, for everyday runs.
- ``deep``: many more examples, for long hunts (``pytest --hypothesis-profile=deep``).

The property suites scale scenario budgets by ``KMODEL_BUDGET_SCALE[profile]``.
"""

import functools
import os
from typing import Any

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, max_examples=50, deadline=None, database=None, print_blob=True)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("deep", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# CI runs with CI=true: derandomized unless a profile is asked for explicitly.
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))

KMODEL_BUDGET_SCALE = {"ci": 1, "dev": 1, "deep": 10, "default": 1}


@functools.cache
def cached_check(path: str | None, seed: int, examples: int | None = None) -> Any:
    """``kmodel.check`` of a scenario file, shared by the property suite and the golden-report
    test so that each scenario is checked once per session."""
    import kmodel

    return kmodel.check(kmodel.load_scenario(path), seed=seed, examples=examples)
