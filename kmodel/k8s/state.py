"""The world as one value: ``ClusterState``, and the scenario's configuration ``ClusterConfig``.

Pure data, no behaviour: every module of the model (steps, invariants, leader election, the
explorer's view) reads these types from here, so none of them needs ``kmodel.k8s.cluster``.
"""

from __future__ import annotations

from typing import Any

import attrs

from kmodel.core.fmap import FMap
from kmodel.core.model import Property
from kmodel.k8s.informers import Component, ComponentState
from kmodel.k8s.objects import Node
from kmodel.k8s.store import Store
from kmodel.k8s.userops import UserOp

# The records of the invariants' monitors (``kmodel.k8s.monitors``): an invariant's name maps to
# its monitor's record (a first violation message, or a frozen attrs record); absent: none yet.
Monitor = FMap[str, Any]


@attrs.frozen
class Variants:
    """Deliberate deviations from upstream, to study failure patterns."""

    replica_set_expectations: bool = True
    replica_set_edge_triggered_deletes: bool = False
    replica_set_trusts_status: bool = False
    scheduler_assume_cache: bool = True
    garbage_collector: bool = True  # False: no garbage collector (dependents of deleted owners stay)
    disruption_controller_track_disrupted: bool = True  # False: ignore PDB status.disruptedPods
    # kmodel's own, not upstream: writes of HA replicas carry their lease epoch and stale ones are
    # rejected (a fencing token; see kmodel.k8s.leaderelection.fence_rejection)
    fenced_leader_election: bool = False
    # True: the DaemonSet controller's NodeShouldRunDaemonPod ignores taints (pods for nodes whose
    # NoSchedule taints they do not tolerate stay Pending; kmodel.k8s.controllers.daemonset)
    daemon_set_ignores_taints: bool = False
    job_tracking_finalizers: bool = True  # False: legacy Job tracking, counts from the pods present


@attrs.frozen
class ControlPlane:
    """Settings of built-in components; upstream flag names in the scenario (camelCase)."""

    node_monitor_grace_period: int = 50
    node_lease_duration_seconds: int = 40
    default_not_ready_toleration_seconds: int = 300
    default_unreachable_toleration_seconds: int = 300
    # (component, replicas) for HA control-plane components with more than one replica, e.g.
    # (("kube-controller-manager", 2),); empty: one replica each, no leader election modelled
    replicas: tuple[tuple[str, int], ...] = ()


@attrs.frozen
class ClusterConfig:
    nodes: tuple[Node, ...]
    objects: tuple[Any, ...] = ()
    variants: Variants = Variants()
    control_plane: ControlPlane = ControlPlane()
    faults: tuple[tuple[str, int], ...] = ()
    user: tuple[UserOp, ...] = ()
    invariants: tuple[str, ...] | None = None  # None: every built-in that applies
    start: str = "settled"
    node_groups: tuple[Any, ...] = ()  # kmodel.k8s.controllers.autoscaler.NodeGroup
    controllers: tuple[Component, ...] = ()  # user controllers (kmodel.k8s.usercontrollers)
    user_invariants: tuple[Property[Any], ...] = ()  # checked after the built-in ones


@attrs.frozen(cache_hash=True, repr=False)  # states are hashed again and again by the explorer
class ClusterState:
    """The world as one value (see the module docstring).

    ``lost`` records the nodes ``lose_node`` took for good (``faults.nodeLoss``): their
    ``nodes_up`` is False like a crashed node's, and ``recover_node`` is never enabled for them.
    It is part of equality and hashing like every field. ``repr`` (which ``fingerprint`` and the
    symmetry reduction's canonical choice read) leaves it out while it is empty, so the repr of
    every state of a scenario without ``nodeLoss`` (and the fingerprints recorded from it) is
    what it was before the field existed; a non-empty ``lost`` is shown, so two states that
    differ in it never share a repr.
    """

    clock: int
    store: Store
    components: FMap[str, ComponentState]
    nodes_up: FMap[str, bool]
    faults_left: FMap[str, int]
    monitor: Monitor = FMap()  # the invariants' monitors' records (``kmodel.k8s.monitors``)
    partitioned: FMap[str, bool] = FMap()  # node → its kubelet is cut off from the API server
    offsets: FMap[str, int] = FMap()  # component → clock offset (seconds) from the true clock
    paused: FMap[str, int] = FMap()  # HA process → the true time its pause ends
    lost: FMap[str, bool] = FMap()  # node → lost for good (``lose_node``); never recovers

    def __repr__(self) -> str:
        fields = (f for f in attrs.fields(ClusterState) if f.name != "lost" or self.lost)
        return f"ClusterState({', '.join(f'{f.name}={getattr(self, f.name)!r}' for f in fields)})"


__all__ = ["ClusterConfig", "ClusterState", "ControlPlane", "Variants"]
