"""kmodel: a property-based model checker of Kubernetes orchestration behaviour.

Public API::

    import kmodel
    result = kmodel.check("scenario.yaml", seed=0)   # or kmodel.check() for the built-in one
    if not result.held:
        kmodel.replay(result.trace)
    # after fixing your own controller: does the trace still break it on today's code?
    kmodel.replay("reports/traces/T.yaml", current_code=True).held

Errors: ``kmodel.InputError`` for bad input (a scenario, manifest or trace; an output path that
cannot be written); ``kmodel.KmodelInternalError``, chained to its cause, when kmodel itself
fails: a bug in kmodel, never a verdict. A violation is no exception but a result.

Your own controllers and invariants (named in a scenario's ``spec.controllers`` and
``spec.invariants`` as ``"MODULE:NAME"``; see ``kmodel.k8s.usercontrollers``)::

    class DatabaseOperator(kmodel.Controller):
        name, watches, owns = "cleanup", ("Database", "Secret"), ("Database", "Secret")

        def reconcile(self, view):           # reads only its informer cache
            return [kmodel.delete("Secret", s.meta.namespace, s.meta.name, uid=s.meta.uid)
                    for s in view.list("Secret") if ...]

    @kmodel.invariant(kind="always")
    def every_database_has_a_secret(cluster):  # the true state; None: holds
        ...
"""

from kmodel._version import __version__
from kmodel.api import CheckResult, ReplayResult, check, explore, load_scenario, load_trace, replay, save_trace
from kmodel.errors import InputError, KmodelInternalError
from kmodel.k8s.objects import GenericObject, freeze, thaw
from kmodel.k8s.usercontrollers import (
    ClusterView,
    Controller,
    ControllerView,
    create,
    delete,
    invariant,
    new_object,
    update,
    update_status,
)
from kmodel.scenario import Scenario

__all__ = [
    "CheckResult",
    "ClusterView",
    "Controller",
    "ControllerView",
    "GenericObject",
    "InputError",
    "KmodelInternalError",
    "ReplayResult",
    "Scenario",
    "__version__",
    "check",
    "create",
    "delete",
    "explore",
    "freeze",
    "invariant",
    "load_scenario",
    "load_trace",
    "new_object",
    "replay",
    "save_trace",
    "thaw",
    "update",
    "update_status",
]
