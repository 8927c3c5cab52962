"""The built-in components, one ``ComponentSpec`` per upstream component, in model order.

``BUILTIN`` is the only list of components the model has: ``build`` folds over it to give a
scenario its components (each spec decides whether the scenario needs it), then leader election
(``kmodel.k8s.leaderelection.replicate``) replaces the control-plane components of an HA group by
one copy per replica. ``time_abstraction`` folds over it too, for the explorer's horizon.

Adding a controller is one module plus one entry here:

1. write ``kmodel/k8s/controllers/<name>.py``: a frozen attrs ``Component`` (``watches``,
   ``initial_local``, ``on_event``, ``reconcile``, ``on_result``, timers) whose docstrings cite the
   upstream file and function it mirrors, its local state as frozen attrs classes with their time
   and revision fields declared for the abstraction (``kmodel.k8s.abstraction``), and a
   ``SPEC = ComponentSpec(...)`` saying when a scenario needs it, how to build it from the
   scenario's config, and the durations its timers look back;
2. add ``<name>.SPEC`` to ``BUILTIN`` below, at the place its steps should take in the action
   order (appending keeps every existing scenario's traces and reports unchanged).

The order of ``BUILTIN`` is the order of the components' actions, which Hypothesis draws from and
the explorer expands in: it is part of every recorded trace and report.
"""

from __future__ import annotations

from typing import Any

from kmodel.k8s import leaderelection as le
from kmodel.k8s.abstraction import TimeAbstraction, time_abstraction
from kmodel.k8s.apiserver import WATCH_CACHE_SECONDS
from kmodel.k8s.controllers import (
    autoscaler,
    cronjob,
    daemonset,
    deployment,
    disruption,
    drain,
    gc,
    hpa,
    job,
    kubelet,
    kubeproxy,
    nodelifecycle,
    replicaset,
    scheduler,
    statefulset,
)
from kmodel.k8s.informers import Component, ComponentSpec
from kmodel.k8s.state import ClusterConfig

# user controllers (kmodel.k8s.usercontrollers): control-plane components like the built-in ones
USER = ComponentSpec("user controllers", build=lambda config: config.controllers)

BUILTIN: tuple[ComponentSpec, ...] = (
    replicaset.SPEC,
    replicaset.RC_SPEC,  # only with a ReplicationController: other scenarios' action order is unchanged
    scheduler.SPEC,
    nodelifecycle.SPEC,
    deployment.SPEC,
    statefulset.SPEC,
    hpa.SPEC,
    gc.SPEC,
    disruption.SPEC,
    drain.SPEC,
    USER,
    kubelet.SPEC,
    autoscaler.SPEC,
    kubeproxy.SPEC,
    daemonset.SPEC,  # the last three: appended, so the other scenarios' traces are unchanged
    job.SPEC,
    cronjob.SPEC,
)


def build(config: ClusterConfig) -> tuple[list[Component], dict[str, le.Process]]:
    """The scenario's components in action order, and its HA processes by name.

    HA hook: with ``controlPlane.replicas`` > 1 the control-plane components become one copy per
    replica process, each process led by its elector (``kmodel.k8s.leaderelection``); with 1
    replica (the default) nothing changes and no election is modelled. A user controller with
    ``replicas`` > 1 is a group of its own (its own Lease), elected the same way."""
    comps = [c for spec in BUILTIN for c in spec.build(config)]
    replicas = dict(config.control_plane.replicas)
    for uc in config.controllers:
        n = getattr(uc, "replicas", 1)
        if n > 1:
            replicas[uc.name] = n
    if not any(n > 1 for n in replicas.values()):
        return comps, {}
    own = (c.name for c in config.controllers)
    ha, processes = le.replicate((c for c in comps if not c.node_side), replicas, own)
    return ha + [c for c in comps if c.node_side], processes


def time_abstraction_for(config: ClusterConfig) -> TimeAbstraction:
    """The horizon is the longest duration any timer or comparison of this scope looks back: the
    components' own (``ComponentSpec.durations``: CrashLoopBackOff's reset (600s) plus its longest
    backoff (300s), expectations (300s), the grace periods), the watch cache's window and the
    default tolerations, and the objects' own durations (HPA stabilization windows and policy
    periods among them; the HPA's default 300s downscale window, leader election's 15s lease,
    the disruption controller's 120s DeletionTimeout and kubectl drain's 5s retry are all
    shorter than the 900s floor); clock skew and watch delay widen it."""
    cp = config.control_plane
    durations = [d for spec in BUILTIN for d in spec.durations(config)]
    durations += [
        WATCH_CACHE_SECONDS,
        cp.default_not_ready_toleration_seconds,
        cp.default_unreachable_toleration_seconds,
    ]
    periods: list[int] = []
    for obj in config.objects:
        _object_durations(obj, durations, periods)
    faults = dict(config.faults)
    widen = 2 * faults.get("clockSkew", 0) + faults.get("watchDelay", 0)
    # groups compared with the clock (kmodel.k8s.abstraction): how far back each looks
    horizons = [h for spec in BUILTIN for h in spec.horizons(config)]
    return time_abstraction([d + widen for d in durations], periods, skew=widen, horizons=horizons)


def _object_durations(obj: Any, durations: list[int], periods: list[int]) -> None:
    """Add the durations ``obj``'s spec declares (deadlines, grace periods, tolerations, probe
    delays, HPA windows) to ``durations`` and its probe periods to ``periods``."""
    spec = getattr(obj, "spec", None)
    for name in ("progress_deadline_seconds", "min_ready_seconds", "active_deadline_seconds"):
        durations.append(getattr(spec, name, 0) or 0)
    template = getattr(spec, "template", None)
    pod_spec = template.spec if template is not None else getattr(obj, "spec", None)
    if pod_spec is None or not hasattr(pod_spec, "containers"):
        return
    durations.append(pod_spec.termination_grace_period_seconds)
    durations.extend(t.toleration_seconds or 0 for t in pod_spec.tolerations)
    for c in (*pod_spec.init_containers, *pod_spec.containers):
        durations.append((c.readiness_initial_delay or 0) + c.pre_stop_sleep)
        periods.append(c.readiness_period)
    behavior = getattr(spec, "behavior", None)  # a HorizontalPodAutoscaler's windows
    if behavior is not None:
        for rules in (behavior.scale_up, behavior.scale_down):
            durations.append(rules.stabilization_window_seconds or 0)
            durations.extend(p.period_seconds for p in rules.policies)
