"""The built-in invariant catalogue.

Each invariant is a ``Property`` over the *true* cluster state (the store and the node
runtimes), not over any component's view. ``always`` ones are safety properties checked after
every step; ``eventually`` ones are convergence properties checked after the fair settle phase.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kmodel.core.model import Property
from kmodel.k8s.controllers.replicaset import owned_active_pods
from kmodel.k8s.controllers.scheduler import fit_failures, node_usage
from kmodel.k8s.objects import Node, Pod, ReplicaSet
from kmodel.k8s.quantity import format_amount

if TYPE_CHECKING:
    from kmodel.k8s.cluster import ClusterModel, ClusterState


def no_overcommit(state: ClusterState) -> str | None:
    """Sum of requests of non-terminal pods bound to each node ≤ the node's allocatable, and the
    pod count ≤ allocatable pods — what ``NodeResourcesFit`` and kubelet admission promise."""
    store = state.store
    pods_by_node: dict[str, list[Pod]] = {}
    for p in store.list("Pod"):
        if p.spec.node_name and not p.is_terminal():
            pods_by_node.setdefault(p.spec.node_name, []).append(p)
    for node in store.list("Node"):
        pods = pods_by_node.get(node.meta.name, [])
        alloc = node.status.allocatable
        if len(pods) > alloc.get("pods", 110):
            return f"{node.meta.name}: {len(pods)} pods bound > allocatable pods {alloc.get('pods', 110)}"
        total: dict[str, int] = {}
        for p in pods:
            for r, v in p.spec.requests().items():
                total[r] = total.get(r, 0) + v
        for r in sorted(total):
            if total[r] > alloc.get(r, 0):
                names = ", ".join(sorted(p.meta.name for p in pods))
                return (
                    f"{node.meta.name}: {r} requested {format_amount(r, total[r])} > allocatable "
                    f"{format_amount(r, alloc.get(r, 0))} (pods: {names})"
                )
    return None


def no_excess_replicas(state: ClusterState) -> str | None:
    """The ReplicaSet controller never creates a pod that takes its ReplicaSet above both the
    current ``spec.replicas`` and the replicas it acted on — the promise ControllerExpectations
    exist to keep (``pkg/controller/replicaset/replica_set.go``, comment on expectations)."""
    return state.monitor.get("NoExcessReplicas")


def replicas_converge(state: ClusterState) -> str | None:
    """After settling, every ReplicaSet has ``spec.replicas`` ready pods. A shortfall says why."""
    store = state.store
    pods = store.list("Pod")
    nodes: list[Node] = store.list("Node")
    for rs in store.list("ReplicaSet"):
        if rs.meta.deletion_timestamp is not None:
            continue
        active = owned_active_pods(rs, pods)
        ready = [p for p in active if p.is_ready()]
        want = rs.spec.replicas
        if len(ready) == want and len(active) == want:
            continue
        where = f"ReplicaSet {rs.meta.namespace}/{rs.meta.name}"
        if len(active) > want:
            return f"{where}: {len(active)} active pods for spec.replicas {want}"
        return f"{where}: {len(ready)}/{want} ready: {_why_not_ready(rs, active, pods, nodes, state)}"
    return None


def _why_not_ready(rs: ReplicaSet, active: list[Pod], pods: list[Pod], nodes: list[Node], state: ClusterState) -> str:
    if len(active) < rs.spec.replicas:
        return f"only {len(active)} active pods exist (the controller has not created the rest)"
    by_ref = {(p.meta.namespace, p.meta.name): p for p in pods}
    from kmodel.core.fmap import FMap

    usage = node_usage(pods, FMap(), by_ref)
    reasons = []
    for p in sorted(active, key=lambda p: p.meta.name):
        if p.is_ready():
            continue
        if not p.spec.node_name:
            failures = fit_failures(p, nodes, usage)
            if len(failures) == len(nodes):
                detail = "; ".join(f"{n}: {r}" for n, r in sorted(failures.items()))
                reasons.append(f"pod {p.meta.name} fits no node ({detail})")
            else:
                reasons.append(f"pod {p.meta.name} is not scheduled yet")
        elif not state.nodes_up.get(p.spec.node_name, True):
            reasons.append(f"pod {p.meta.name} is on crashed node {p.spec.node_name}")
        else:
            reasons.append(f"pod {p.meta.name} on {p.spec.node_name} is not ready ({p.status.phase})")
    return "; ".join(reasons) or "pods are not ready"


_Check = Callable[[Any], str | None]

CATALOGUE: dict[str, tuple[str, str, _Check]] = {
    "NoOvercommit": (
        "always",
        "Requests of the pods bound to a node never exceed its allocatable resources or pod count "
        "(NodeResourcesFit and kubelet admission).",
        no_overcommit,
    ),
    "NoExcessReplicas": (
        "always",
        "The ReplicaSet controller never creates a pod beyond spec.replicas (ControllerExpectations).",
        no_excess_replicas,
    ),
    "ReplicasConverge": (
        "eventually",
        "Once the cluster settles, every ReplicaSet has spec.replicas ready pods.",
        replicas_converge,
    ),
}


def describe(name: str) -> str:
    return CATALOGUE[name][1]


def select(model: ClusterModel, names: tuple[str, ...] | None) -> list[Property[ClusterState]]:
    chosen = list(CATALOGUE) if names is None else list(names)
    props: list[Property[ClusterState]] = []
    for name in chosen:
        kind, text, check = CATALOGUE[name]
        props.append(Property(name, kind, text, check))  # type: ignore[arg-type]
    return props
