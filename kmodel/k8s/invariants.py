"""The built-in invariant catalogue.

Each invariant is a ``Property`` over the *true* cluster state (the store and the node
runtimes), not over any component's view. ``always`` ones are safety properties checked after
every step; ``eventually`` ones are convergence properties checked after the fair settle phase.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from kmodel.core.model import Property
from kmodel.k8s.controllers.replicaset import owned_active_pods
from kmodel.k8s.controllers.scheduler import fit_failures, node_usage
from kmodel.k8s.leaderelection import leader_missing, split_brain_write, unfenced_write
from kmodel.k8s.objects import Node, Pod, ReplicaSet
from kmodel.k8s.quantity import format_amount
from kmodel.k8s.store import Request, Result, Store

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


def excess_replicas_create(before: Store, req: Request, res: Result, who: str) -> str | None:
    """Observer for NoExcessReplicas: a ReplicaSet controller's create (request tag
    ``rs-create``) that takes its ReplicaSet above both the current ``spec.replicas`` and the
    replicas the controller acted on — the promise ControllerExpectations exist to keep
    (``pkg/controller/replicaset/replica_set.go``, comment on expectations)."""
    if not req.tag or req.tag[0] != "rs-create":
        return None
    _, rs_key, acting = req.tag
    rs = before.get(("ReplicaSet", *rs_key))
    if rs is None:
        return None
    active = len(owned_active_pods(rs, before.list("Pod")))
    if active < max(rs.spec.replicas, acting):
        return None
    return (
        f"ReplicaSet {rs_key[0]}/{rs_key[1]}: the controller created a pod while {active} active pods "
        f"already existed (spec.replicas {rs.spec.replicas}, acting on {acting})"
    )


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
    from kmodel.k8s.controllers.gc import owner_key

    store = state.store
    for key, obj in store.objects.items():
        meta = obj.meta
        if not meta.owner_references or meta.deletion_timestamp is not None:
            continue
        for ref in meta.owner_references:
            owner = store.get(owner_key(ref, meta.namespace))
            if owner is None or owner.meta.uid != ref.uid:
                what = "no longer exists" if owner is None else f"was replaced (uid {owner.meta.uid})"
                return (
                    f"{key[0]} {meta.namespace}/{meta.name} still refers to its owner {ref.kind}/{ref.name} "
                    f"(uid {ref.uid}), which {what}, and nothing is deleting it"
                )
    return None


def at_most_one_pod_per_ordinal(state: ClusterState) -> str | None:
    """StatefulSet "at most one" semantics: at no instant do two pods whose containers actually run
    (the kubelets' container runtimes, not the API) claim the same StatefulSet identity
    ``<set>-<ordinal>``. The API server holds one object per name and the controller recreates an
    ordinal only once the old pod is gone from the API, so a duplicate needs containers that still
    run after their pod's name was freed: a force deletion, typically of a pod on a partitioned node
    (https://kubernetes.io/docs/tasks/run-application/force-delete-stateful-set-pod/)."""
    from kmodel.k8s.controllers.statefulset import parent_and_ordinal, running_ordinals

    running = running_ordinals(state.components.items())
    dups = sorted((key, where) for key, where in running.items() if len(where) > 1)
    if not dups:
        return None
    sets = {(s.meta.namespace, s.meta.name) for s in state.store.list("StatefulSet")}
    for (ns, name), where in dups:
        parent, ordinal = parent_and_ordinal(name)
        if ordinal < 0 or (ns, parent) not in sets:
            continue
        api = state.store.get(("Pod", ns, name))
        copies = []
        for node, uid in where:
            notes = []
            if state.partitioned.get(node, False):
                notes.append("node partitioned")
            if api is None or api.meta.uid != uid:
                notes.append(f"pod uid {uid} no longer in the API")
            copies.append(f"{node}" + (f" ({'; '.join(notes)})" if notes else ""))
        return (
            f"StatefulSet {ns}/{parent}: identity {name} (ordinal {ordinal}) runs twice at once, "
            f"on {' and '.join(copies)}"
        )
    return None


def statefulset_converges(state: ClusterState) -> str | None:
    """After settling, every StatefulSet (unless being deleted) has its pods ``<set>-0`` to
    ``<set>-(replicas-1)``, each Running, Ready and not Terminating, and none of a higher ordinal:
    the target state of ``pkg/controller/statefulset/stateful_set_control.go: updateStatefulSet``.
    A failure names the first ordinal that is missing or unhealthy and why; an ordinal whose old
    pod stays Terminating (its kubelet is unreachable or down) is never recreated, by design."""
    from kmodel.k8s.controllers.statefulset import (
        is_running_and_ready,
        is_terminating,
        ordinal_of,
        pod_name,
        set_pods,
    )

    store = state.store
    pods = store.list("Pod")
    nodes: list[Node] = store.list("Node")
    for sset in store.list("StatefulSet"):
        if sset.meta.deletion_timestamp is not None:
            continue
        members = {p.meta.name: p for p in set_pods(sset, pods)}
        where = f"StatefulSet {sset.meta.namespace}/{sset.meta.name}"
        n = sset.spec.replicas
        for i in range(n):
            name = pod_name(sset, i)
            p = members.get(name)
            if p is None:
                return f"{where}: {name} does not exist (ready {sset.status.ready_replicas}/{n})"
            node = p.spec.node_name
            down = bool(node) and not state.nodes_up.get(node, True)
            cut = bool(node) and state.partitioned.get(node, False)
            if is_terminating(p):
                why = " (crashed)" if down else " (partitioned)" if cut else ""
                return (
                    f"{where}: {name} is still Terminating on {node or 'no node'}{why}; the controller "
                    f"recreates ordinal {i} only once the old pod is gone from the API"
                )
            if not is_running_and_ready(p):
                if not node:
                    from kmodel.core.fmap import FMap

                    by_ref = {(q.meta.namespace, q.meta.name): q for q in pods}
                    failures = fit_failures(p, nodes, node_usage(pods, FMap(), by_ref))
                    if len(failures) == len(nodes):
                        detail = "; ".join(f"{k}: {v}" for k, v in sorted(failures.items()))
                        return f"{where}: {name} fits no node ({detail})"
                    return f"{where}: {name} is not scheduled yet"
                state_note = " (node crashed)" if down else " (node partitioned)" if cut else ""
                return f"{where}: {name} on {node}{state_note} is not running and ready ({p.status.phase})"
        extra = sorted((p for p in members.values() if ordinal_of(p) >= n), key=ordinal_of)
        if extra:
            names = ", ".join(p.meta.name for p in extra)
            return f"{where}: {names} still exist beyond spec.replicas {n}"
    return None


def endpoints_converge(state: ClusterState) -> str | None:
    """After settling, every Service with a selector (unless being deleted) has exactly one
    EndpointSlice, listing the pods it selects with the conditions the EndpointSlice controller
    gives them (``staging/src/k8s.io/endpointslice/utils.go: podToEndpoint``: ready, serving,
    terminating), and every running kube-proxy programs, for a Service with a cluster IP, the
    endpoints ``CategorizeEndpoints`` picks from them (ready ones, else serving-and-terminating).
    A kube-proxy on a crashed node is not running; one cut off by a partition still runs and routes
    with its last rules, so it is held to the promise too (upstream it cannot converge until the
    partition heals)."""
    from kmodel.k8s.controllers.endpointslice import desired_endpoints, service_slices
    from kmodel.k8s.controllers.kubeproxy import ProxyLocal, usable_endpoints

    store = state.store
    pods = store.list("Pod")
    all_slices = store.list("EndpointSlice")
    for svc in store.list("Service"):
        ns, name = svc.meta.namespace, svc.meta.name
        if svc.meta.deletion_timestamp is not None or svc.spec.selector is None:
            continue
        where = f"Service {ns}/{name}"
        want = desired_endpoints(svc, pods)
        slices = service_slices(all_slices, ns, name)
        if len(slices) != 1:
            return f"{where}: {len(slices)} EndpointSlices instead of one (pods: {_fmt_endpoints(want)})"
        if slices[0].endpoints != want:
            return (
                f"{where}: EndpointSlice {slices[0].meta.name} lists {_fmt_endpoints(slices[0].endpoints)}, "
                f"but the pods give {_fmt_endpoints(want)}"
            )
        if not svc.spec.cluster_ip or svc.spec.headless():
            continue
        backends = usable_endpoints(want)
        for comp, cs in state.components.items():
            if not cs.up or not isinstance(cs.local, ProxyLocal):
                continue
            table = cs.local.table.get((ns, name), ())
            if table != backends:
                node = comp.partition("/")[2]
                cut = " (cut off from the API server by a partition)" if state.partitioned.get(node) else ""
                have = ", ".join(b.pod_name for b in table) or "nothing"
                should = ", ".join(b.pod_name for b in backends) or "nothing"
                return f"{where}: {comp}{cut} routes to {have}, but its endpoints are {should}"
    return None


def _fmt_endpoints(endpoints: Any) -> str:
    parts = []
    for ep in endpoints:
        c = ep.conditions
        flags = [f for f, on in (("ready", c.ready), ("serving", c.serving), ("terminating", c.terminating)) if on]
        parts.append(f"{ep.pod_name} ({', '.join(flags) or 'not ready'})")
    return ", ".join(parts) or "no endpoints"


def no_traffic_to_dead_pods(state: ClusterState) -> str | None:  # recorded by ClusterModel._request
    """No client request reaches a pod whose container is not running at that instant: the first
    request that does is recorded by the ``request`` step (a history variable). Upstream does not
    promise this: a pod's containers can stop before every kube-proxy has seen its endpoint go, which
    is why a ``preStop`` sleep is the documented mitigation (kubernetes.io, "Pod Lifecycle":
    termination of Pods; KEP-1669). Optional: it is checked only when a scenario names it."""
    return state.monitor.get("NoTrafficToDeadPods")


_Check = Callable[[Any], str | None]

# History invariants: an observer sees every request a component sends, with the store just
# before it is applied, and returns a violation message or None. The cluster records the first
# message per invariant in ``ClusterState.monitor``; the invariant's check reads it back
# (``recorded``). Only the observers of selected invariants run.
Observer = Callable[[Store, Request, Result, str], str | None]
OBSERVERS: dict[str, Observer] = {
    "NoExcessReplicas": excess_replicas_create,
    "SingleLeader": split_brain_write,
    "FencedWrites": unfenced_write,
}


def recorded(name: str) -> _Check:
    """The check of a history invariant: the violation its observer recorded, if any."""

    def check(state: ClusterState) -> str | None:
        return state.monitor.get(name)

    check.__name__ = f"recorded_{name}"
    return check


def observers(names: Iterable[str]) -> tuple[tuple[str, Observer], ...]:
    """The observers of the invariants ``names``, in their order."""
    return tuple((n, OBSERVERS[n]) for n in names if n in OBSERVERS)


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
        recorded("NoExcessReplicas"),
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
    "AtMostOnePodPerOrdinal": (
        "always",
        "No two pods with running containers ever claim the same StatefulSet identity <set>-<ordinal> "
        "(the StatefulSet's at-most-one semantics).",
        at_most_one_pod_per_ordinal,
    ),
    "StatefulSetConverges": (
        "eventually",
        "Once the cluster settles, every StatefulSet has pods for ordinals 0..replicas-1, each Running and "
        "Ready, and none beyond.",
        statefulset_converges,
    ),
}


CATALOGUE["EndpointsConverge"] = (
    "eventually",
    "Once the cluster settles, each Service's EndpointSlice lists the pods it selects with their current "
    "conditions, and every running kube-proxy routes to its ready endpoints (else the serving terminating ones).",
    endpoints_converge,
)
CATALOGUE["NoTrafficToDeadPods"] = (
    "always",
    "No request to a Service reaches a pod whose container is not running (optional: upstream does not promise it).",
    no_traffic_to_dead_pods,
)
CATALOGUE["SingleLeader"] = (
    "always",
    "No write by an HA control-plane replica's controllers lands while another replica holds the "
    "leader-election Lease (no split brain; client-go does not promise it). Vacuous without HA.",
    recorded("SingleLeader"),
)
CATALOGUE["FencedWrites"] = (
    "always",
    "Every write by an HA replica's controllers that lands carries the Lease's current epoch "
    "(leaseTransitions): what the kmodel variant fencedLeaderElection enforces. Vacuous without HA.",
    recorded("FencedWrites"),
)
CATALOGUE["LeaderEventuallyElected"] = (
    "eventually",
    "Once the cluster settles, each HA leader-election Lease has a holder whose replica runs and "
    "believes it leads. Vacuous without HA.",
    leader_missing,
)
OPTIONAL = frozenset({"NoTrafficToDeadPods"})  # checked only when a scenario names them


def describe(name: str) -> str:
    return CATALOGUE[name][1]


HA_ONLY = frozenset({"SingleLeader", "FencedWrites", "LeaderEventuallyElected"})  # vacuous without HA replicas


def select(model: ClusterModel, names: tuple[str, ...] | None) -> list[Property[ClusterState]]:
    """The named invariants, or (``names`` None) every built-in that applies: not the optional
    ones, nor the leader-election ones when the model has no HA replicas."""
    if names is None:
        chosen = [n for n in CATALOGUE if n not in OPTIONAL and (model.processes or n not in HA_ONLY)]
    else:
        chosen = list(names)
    props: list[Property[ClusterState]] = []
    for name in chosen:
        kind, text, check = CATALOGUE[name]
        props.append(Property(name, kind, text, check))  # type: ignore[arg-type]
    return props
