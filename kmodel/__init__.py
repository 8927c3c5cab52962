"""kmodel: a property-based model checker of Kubernetes orchestration behaviour.

Public API::

    import kmodel
    result = kmodel.check("scenario.yaml", seed=0)   # or kmodel.check() for the built-in one
    if not result.held:
        kmodel.replay(result.trace)
"""

__version__ = "0.1.0"

from kmodel.api import CheckResult, ReplayResult, check, explore, load_trace, replay, save_trace
from kmodel.errors import InputError
from kmodel.scenario import Scenario, load_scenario

__all__ = [
    "CheckResult",
    "InputError",
    "ReplayResult",
    "Scenario",
    "__version__",
    "check",
    "explore",
    "load_scenario",
    "load_trace",
    "replay",
    "save_trace",
]
