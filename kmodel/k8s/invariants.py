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
        waiting = ""
        for cs in state.components.values():
            exp = getattr(cs.local, "expectations", None)
            e = exp.get((rs.meta.namespace, rs.meta.name)) if exp is not None else None
            if e is not None and not e.fulfilled():
                waiting = (
                    f"; the ReplicaSet controller is still waiting on expectations set at t={e.timestamp}s "
                    f"({max(e.add, 0)} creates, {len(e.dels)} deletions unobserved) and nothing has synced it since"
                )
        return f"only {len(active)} active pods exist (the controller has not created the rest){waiting}"
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


def deployment_complete(state: ClusterState) -> str | None:
    """After settling, every Deployment's rollout is complete: the controller has observed its
    latest generation and ``updatedReplicas == availableReplicas == replicas == spec.replicas``
    (``pkg/controller/deployment/util: DeploymentComplete``), and no old ReplicaSet still runs
    pods. A failure names what holds the rollout up."""
    from kmodel.k8s.controllers import deployment as dc

    store = state.store
    pods = store.list("Pod")
    nodes: list[Node] = store.list("Node")
    rss = store.list("ReplicaSet")
    for d in store.list("Deployment"):
        if d.meta.deletion_timestamp is not None:
            continue
        owned = dc.owned_replica_sets(d, rss)
        new = dc.find_new_replica_set(d, owned)
        old_running = [(rs, len(owned_active_pods(rs, pods))) for rs in owned if rs is not new]
        old_running = [(rs, n) for rs, n in old_running if n]
        st = d.status
        if dc.deployment_complete(d, st) and not old_running:
            continue
        parts = [f"{st.updated_replicas} updated and {st.available_replicas} available of {d.spec.replicas} replicas"]
        if st.observed_generation < d.meta.generation:
            parts.append(f"generation {d.meta.generation} not yet observed (status is for {st.observed_generation})")
        parts.extend(f"old ReplicaSet {rs.meta.name} still runs {n} pods" for rs, n in old_running)
        if d.spec.strategy_type == dc.RECREATE and (new is None or new.spec.replicas == 0):
            old_uids = {rs.meta.uid for rs in owned if rs is not new}
            for p in sorted(pods, key=lambda p: p.meta.name):
                ref = p.meta.controller_ref()
                if ref is None or ref.uid not in old_uids or p.is_terminal() or p.is_active():
                    continue
                where = p.spec.node_name or "no node"
                down = " (crashed)" if not state.nodes_up.get(p.spec.node_name, True) else ""
                parts.append(f"Recreate waits for old pod {p.meta.name}, Terminating on {where}{down}")
        if new is None:
            parts.append("no ReplicaSet has the current pod template")
        else:
            active = owned_active_pods(new, pods)
            if sum(1 for p in active if p.is_ready()) < new.spec.replicas:
                parts.append(f"new ReplicaSet {new.meta.name}: {_why_not_ready(new, active, pods, nodes, state)}")
            if old_running and dc.is_rolling_update(d) and dc.max_unavailable(d) == 0:
                surge = dc.max_surge(d)
                parts.append(f"with maxUnavailable 0 old pods go only once surge pods (maxSurge {surge}) are available")
        return f"Deployment {d.meta.namespace}/{d.meta.name} rollout incomplete: " + "; ".join(parts)
    return None


def no_dangling_owner_references(state: ClusterState) -> str | None:
    """After settling, no object that is not being deleted has an ownerReference to an owner that
    no longer exists (no object of that kind and name, or one with another uid) — the garbage
    collector's promise (``pkg/controller/garbagecollector/garbagecollector.go:
    attemptToDeleteItem``: an object whose owners are all dangling is deleted; dangling references
    next to a solid owner are patched away). Orphan propagation removes the reference on purpose,
    so orphaned objects keep it. Objects already being deleted are on their way out (a pod on a
    crashed node may stay Terminating) and are not counted."""
    store = state.store
    for key, obj in store.objects.items():
        meta = obj.meta
        if not meta.owner_references or meta.deletion_timestamp is not None:
            continue
        for ref in meta.owner_references:
            owner = store.get((ref.kind, meta.namespace, ref.name))
            if owner is None or owner.meta.uid != ref.uid:
                what = "no longer exists" if owner is None else f"was replaced (uid {owner.meta.uid})"
                return (
                    f"{key[0]} {meta.namespace}/{meta.name} still refers to its owner {ref.kind}/{ref.name} "
                    f"(uid {ref.uid}), which {what}, and nothing is deleting it"
                )
    return None


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
    "DeploymentComplete": (
        "eventually",
        "Once the cluster settles, every Deployment is fully rolled out: all replicas updated and "
        "available, no old ReplicaSet running pods.",
        deployment_complete,
    ),
    "NoDanglingOwnerReferences": (
        "eventually",
        "Once the cluster settles, no object (unless it is being deleted) refers to an owner that no longer "
        "exists: the garbage collector deleted it or, next to a live owner, removed the reference.",
        no_dangling_owner_references,
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
