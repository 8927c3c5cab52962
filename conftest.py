"""Hypothesis settings profiles for kmodel's own tests and the property suites.

- ``ci``: derandomized, modest example counts; loaded when ``CI`` is set (``.ci/run``).
- ``dev`` (default): like ci but randomized, for everyday runs.
- ``deep``: many more examples, for long hunts (``pytest --hypothesis-profile=deep``).

The property suite (properties/test_scenarios.py) multiplies scenario budgets by 10 under deep.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, max_examples=50, deadline=None, database=None, print_blob=True)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("deep", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# CI runs with CI=true: derandomized unless a profile is asked for explicitly.
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
