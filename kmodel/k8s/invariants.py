"""The built-in invariant catalogue: one ``Invariant`` declaration per invariant, beside its check.

Each invariant is a ``Property`` over the *true* cluster state (the store and the node
runtimes), not over any component's view. ``always`` ones are safety properties checked after
every step; ``eventually`` ones are convergence properties checked after the fair settle phase.

Everything the rest of kmodel asks about a built-in invariant is derived from its declaration:
``BUILTIN`` (name → declaration, in declaration order, which is the order of the default
selection and so of most reports' invariant lists), ``select`` (the properties a model
checks), ``monitors`` (the histories the cluster keeps for it: ``kmodel.k8s.wiring`` runs their
hooks on each applied request and announced event, and asks them whether the settle phase may
stop), ``describe``, ``caveat`` and ``caveat_faults``. None of them keeps a table of its own.

Adding an invariant
-------------------
Write its check next to the others, and declare it right below with ``declare(Invariant(...))``::

    def no_orphan_pods(state: ClusterState) -> str | None:
        # docstring: the promise in full, and the upstream source it mirrors
        ...  # None when it holds, else one line saying why not

    NO_ORPHAN_PODS = declare(
        Invariant(
            name="NoOrphanPods",
            kind="eventually",  # "always": after every step; "eventually": once settled
            text="Once the cluster settles, ...",  # the promise, as reports print it
            check=no_orphan_pods,
        )
    )

That one declaration is the whole registration: ``select`` checks it by default, scenarios may
name it, and the default selection lists it in declaration order (so add new ones at the end
unless the golden reports are regenerated on purpose). Optional fields, for when the check needs more:

- ``monitor``: instead of ``check``, for a promise about transitions rather than states: an
  ``InvariantMonitor`` (``kmodel.k8s.monitors``, whose docstring has the details) keeps a typed
  record in ``ClusterState.monitor`` under the invariant's name, updated by its hooks
  ``on_request`` (each applied API request) and ``on_event`` (each event a step announces, such
  as a client request to a Service), and gives the verdict; ``blocks_settle`` says when the
  record proves the settle phase cannot end. A monitor that only remembers the first violation
  is a stateless observer, ``(before: Store, req, res, who) -> str | None``, wrapped in
  ``FirstViolation``::

    def no_big_creates(before: Store, req: Request, res: Result, who: str) -> str | None:
        intent = req.tag  # a controller's typed intent (CreateIntent, ScaleIntent), never a tuple
        ...  # None, or one line saying what went wrong

    NO_BIG_CREATES = declare(Invariant(name=..., kind="always", text=..., monitor=FirstViolation(no_big_creates)))

  A monitor with more memory subclasses ``InvariantMonitor`` and overrides the hooks it needs
  (HPASettles' ``FlapMonitor``); its record is a frozen attrs class with its time and revision
  fields declared for the abstraction (``FlapRecord``).
- ``optional``: checked only when a scenario names it.
- ``applies``: ``(model) -> bool`` on the ``ModelLike`` (config and HA processes); by default the
  invariant is checked only where it returns True, so other scenarios' reports stay unchanged.
- ``factory``: ``(model) -> check``, for a check that needs the model's configuration
  (``with_node_groups``), instead of ``check``.
- ``caveats``: ``((fault, reason), ...)``, faults under which upstream itself does not keep the
  promise (each reason cites upstream; each needs a scripted test in tests/test_faults.py).

A user invariant (``@kmodel.invariant`` in ``kmodel.k8s.usercontrollers``) is the same idea for
scenario authors: a name, a kind, a description and a check, turned into a ``Property``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, Protocol

import attrs

from kmodel.core.fmap import FMap
from kmodel.core.model import Property, PropertyKind
from kmodel.k8s import abstraction
from kmodel.k8s.controllers.replicaset import CreateIntent, owned_active_pods
from kmodel.k8s.controllers.scheduler import fit_failures, node_usage
from kmodel.k8s.faults import FAULT_OPS
from kmodel.k8s.leaderelection import leader_missing, split_brain_write, unfenced_write
from kmodel.k8s.monitors import FirstViolation, InvariantMonitor, ServiceRequest
from kmodel.k8s.objects import Node, Pod, Replicated, condition
from kmodel.k8s.quantity import format_amount
from kmodel.k8s.state import ClusterConfig, ClusterState
from kmodel.k8s.store import Request, Result, Store

# -- the declaration ---------------------------------------------------------------------------

Check = Callable[[ClusterState], str | None]


class ModelLike(Protocol):
    """What ``select`` and an invariant's ``applies`` and ``factory`` read of the model: its
    configuration and its HA processes (empty without HA). ``ClusterModel`` is one."""

    @property
    def config(self) -> ClusterConfig: ...

    @property
    def processes(self) -> Mapping[str, Any]: ...


def monitored(name: str, monitor: InvariantMonitor[Any]) -> Check:
    """The check of a monitored invariant: its monitor's verdict on the record ``state`` holds
    under ``name`` (None while there is none)."""

    def check(state: ClusterState) -> str | None:
        return monitor.verdict(state.monitor.get(name), state)

    check.__name__ = f"monitored_{name}"
    return check


def with_node_groups(check: Callable[[ClusterState, tuple[Any, ...]], str | None]) -> Callable[[ModelLike], Check]:
    """A factory for an invariant that also reads the model's node groups (``spec.nodeGroups``)."""

    def factory(model: ModelLike) -> Check:
        groups = model.config.node_groups

        def bound(state: ClusterState) -> str | None:
            return check(state, groups)

        bound.__name__ = check.__name__
        return bound

    return factory


def _kind(inv: Invariant, _: attrs.Attribute[str], kind: str) -> None:
    if kind not in ("always", "eventually"):
        raise ValueError(f"invariant {inv.name}: kind must be 'always' or 'eventually', got {kind!r}")


@attrs.frozen(kw_only=True)
class Invariant:
    """One built-in invariant, declared once beside its check (see the module docstring).

    Args:
        name: the name scenarios and reports use.
        kind: ``"always"`` (checked after every step) or ``"eventually"`` (once settled).
        text: the promise, one sentence or two, as reports print it.
        check: ``state -> str | None``.
        monitor: for a promise about transitions, not states, the invariant's history
            (``kmodel.k8s.monitors.InvariantMonitor``); its verdict is the check.
        optional: checked only when a scenario names it.
        applies: whether the invariant can apply to a model; None: everywhere.
        factory: builds the check from the model (its configuration), instead of ``check``.
        caveats: ``(fault, reason)`` pairs: upstream itself does not keep the promise under the
            fault, for the reason (with its upstream citation).

    Raises:
        ValueError: the kind is unknown, or the declaration gives not exactly one of ``check``,
            ``factory`` and ``monitor``.
    """

    name: str
    kind: PropertyKind = attrs.field(validator=_kind)
    text: str
    check: Check | None = attrs.field(default=None, eq=False, repr=False)
    monitor: InvariantMonitor[Any] | None = attrs.field(default=None, eq=False, repr=False)
    optional: bool = False
    applies: Callable[[ModelLike], bool] | None = attrs.field(default=None, eq=False, repr=False)
    factory: Callable[[ModelLike], Check] | None = attrs.field(default=None, eq=False, repr=False)
    caveats: tuple[tuple[str, str], ...] = ()

    def __attrs_post_init__(self) -> None:
        given = [f for f in ("check", "factory", "monitor") if getattr(self, f) is not None]
        if not given:
            raise ValueError(f"invariant {self.name}: no check, factory or monitor")
        if len(given) > 1:
            both = " and ".join(given)
            raise ValueError(f"invariant {self.name}: give one of check, factory and monitor, not {both}")

    def applies_to(self, model: ModelLike) -> bool:
        """Whether ``select`` checks it by default for ``model``."""
        return not self.optional and (self.applies is None or self.applies(model))

    def property(self, model: ModelLike) -> Property[ClusterState]:
        """The property ``model`` checks: the check, the factory's, or the monitor's verdict."""
        check = self.factory(model) if self.factory is not None else self.property_check()
        return Property(self.name, self.kind, self.text, check)

    def property_check(self) -> Check:
        """The check of a declaration without a ``factory``: ``check``, or the monitor's verdict
        on its record (``monitored``)."""
        if self.monitor is not None:
            return monitored(self.name, self.monitor)
        if self.check is None:
            raise ValueError(f"invariant {self.name}: its check is built per model (factory)")
        return self.check


_DECLARED: dict[str, Invariant] = {}
BUILTIN: Mapping[str, Invariant] = MappingProxyType(_DECLARED)  # name → declaration, in order


def declare(inv: Invariant) -> Invariant:
    """Register a built-in invariant (once per name); reports list them in this order."""
    if inv.name in _DECLARED:
        raise ValueError(f"invariant {inv.name} is declared twice")
    _DECLARED[inv.name] = inv
    return inv


# -- the invariants, each declared below its check ---------------------------------------------


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


NO_OVERCOMMIT = declare(
    Invariant(
        name="NoOvercommit",
        kind="always",
        text=(
            "Requests of the pods bound to a node never exceed its allocatable resources or pod count "
            "(NodeResourcesFit and kubelet admission)."
        ),
        check=no_overcommit,
    )
)


def excess_replicas_create(before: Store, req: Request, res: Result, who: str) -> str | None:
    """Observer for NoExcessReplicas: a ReplicaSet controller's create (its request tag is a
    ``CreateIntent``) that takes its ReplicaSet above both the current ``spec.replicas`` and the
    replicas the controller acted on — the promise ControllerExpectations exist to keep
    (``pkg/controller/replicaset/replica_set.go``, comment on expectations)."""
    intent = req.tag
    if not isinstance(intent, CreateIntent):
        return None
    rs_key, acting = intent.replica_set, intent.acting
    rs = before.get((intent.kind, *rs_key))
    if rs is None:
        return None
    active = len(owned_active_pods(rs, before.list("Pod")))
    if active < max(rs.spec.replicas, acting):
        return None
    return (
        f"{intent.kind} {rs_key[0]}/{rs_key[1]}: the controller created a pod while {active} active pods "
        f"already existed (spec.replicas {rs.spec.replicas}, acting on {acting})"
    )


NO_EXCESS_REPLICAS = declare(
    Invariant(
        name="NoExcessReplicas",
        kind="always",
        text=(
            "The ReplicaSet controller (and the replication manager, its ReplicationController twin) never "
            "creates a pod beyond spec.replicas (ControllerExpectations)."
        ),
        monitor=FirstViolation(excess_replicas_create),
        caveats=(
            # kubernetes#59848 (PR #60478: a watch cache in an HA setup "can be arbitrarily delayed",
            # so a list at resourceVersion=0 may return stale data), and
            # pkg/controller/replicaset/replica_set.go: ReplicaSetController.expectations, "A TTLCache
            # of pod creates/deletes each rc expects to see", held in memory. Reproduced by
            # properties/scenarios/rs-stale-relist.yaml and
            # test_stale_relist_makes_upstream_replicaset_overshoot_then_heal.
            (
                "staleRelist",
                "a restarted ReplicaSet controller has lost its in-memory expectations "
                "(pkg/controller/replicaset/replica_set.go), and a relist served by a lagging watch cache shows it "
                "fewer pods than exist, so it creates more (kubernetes#59848)",
            ),
            # pkg/controller/replicaset/replica_set.go: manageReplicas lowers the expectations for every
            # create that returned an error ("Decrement the expected number of creates because the
            # informer won't observe this pod"); creates are counted, not tracked by UID (its "TODO:
            # Track UIDs of creates"). A create applied with its response lost is then observed too,
            # and the controller syncs with one pod missing from its view. Reproduced by
            # test_lost_create_response_can_make_upstream_overshoot.
            (
                "requestLoss",
                "a pod create that was applied but whose response was lost counts as failed, so the ReplicaSet "
                "controller stops expecting that pod and, syncing before its informer shows it, creates another "
                "(pkg/controller/replicaset/replica_set.go: manageReplicas)",
            ),
        ),
    )
)


def _down(state: ClusterState, node: str) -> str:
    """How a node that is not up went down, for messages: lost for good (``nodeLoss``) or crashed."""
    return "lost" if state.lost.get(node, False) else "crashed"


def replicas_converge(state: ClusterState) -> str | None:
    """After settling, every ReplicaSet and ReplicationController has ``spec.replicas`` ready
    pods. A shortfall says why."""
    store = state.store
    pods = store.list("Pod")
    nodes: list[Node] = store.list("Node")
    for rs in (*store.list("ReplicaSet"), *store.list("ReplicationController")):
        if rs.meta.deletion_timestamp is not None:
            continue
        active = owned_active_pods(rs, pods)
        ready = [p for p in active if p.is_ready()]
        want = rs.spec.replicas
        if len(ready) == want and len(active) == want:
            continue
        where = f"{rs.KIND} {rs.meta.namespace}/{rs.meta.name}"
        if len(active) > want:
            return f"{where}: {len(active)} active pods for spec.replicas {want}"
        return f"{where}: {len(ready)}/{want} ready: {_why_not_ready(rs, active, pods, nodes, state)}"
    return None


REPLICAS_CONVERGE = declare(
    Invariant(
        name="ReplicasConverge",
        kind="eventually",
        text="Once the cluster settles, every ReplicaSet and ReplicationController has spec.replicas ready pods.",
        check=replicas_converge,
    )
)


def _why_not_ready(rs: Replicated, active: list[Pod], pods: list[Pod], nodes: list[Node], state: ClusterState) -> str:
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
            reasons.append(f"pod {p.meta.name} is on {_down(state, p.spec.node_name)} node {p.spec.node_name}")
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
                down = f" ({_down(state, p.spec.node_name)})" if not state.nodes_up.get(p.spec.node_name, True) else ""
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


DEPLOYMENT_COMPLETE = declare(
    Invariant(
        name="DeploymentComplete",
        kind="eventually",
        text=(
            "Once the cluster settles, every Deployment is fully rolled out: all replicas updated and "
            "available, no old ReplicaSet running pods."
        ),
        check=deployment_complete,
    )
)


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


NO_DANGLING_OWNER_REFERENCES = declare(
    Invariant(
        name="NoDanglingOwnerReferences",
        kind="eventually",
        text=(
            "Once the cluster settles, no object (unless it is being deleted) refers to an owner that no longer "
            "exists: the garbage collector deleted it or, next to a live owner, removed the reference."
        ),
        check=no_dangling_owner_references,
    )
)


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


AT_MOST_ONE_POD_PER_ORDINAL = declare(
    Invariant(
        name="AtMostOnePodPerOrdinal",
        kind="always",
        text=(
            "No two pods with running containers ever claim the same StatefulSet identity <set>-<ordinal> "
            "(the StatefulSet's at-most-one semantics)."
        ),
        check=at_most_one_pod_per_ordinal,
    )
)


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
                why = f" ({_down(state, node)})" if down else " (partitioned)" if cut else ""
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
                state_note = f" (node {_down(state, node)})" if down else " (node partitioned)" if cut else ""
                return f"{where}: {name} on {node}{state_note} is not running and ready ({p.status.phase})"
        extra = sorted((p for p in members.values() if ordinal_of(p) >= n), key=ordinal_of)
        if extra:
            names = ", ".join(p.meta.name for p in extra)
            return f"{where}: {names} still exist beyond spec.replicas {n}"
    return None


STATEFULSET_CONVERGES = declare(
    Invariant(
        name="StatefulSetConverges",
        kind="eventually",
        text=(
            "Once the cluster settles, every StatefulSet has pods for ordinals 0..replicas-1, each Running and "
            "Ready, and none beyond."
        ),
        check=statefulset_converges,
    )
)


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


ENDPOINTS_CONVERGE = declare(
    Invariant(
        name="EndpointsConverge",
        kind="eventually",
        text=(
            "Once the cluster settles, each Service's EndpointSlice lists the pods it selects with their current "
            "conditions, and every running kube-proxy routes to its ready endpoints (else the serving terminating "
            "ones)."
        ),
        check=endpoints_converge,
    )
)


def _fmt_endpoints(endpoints: Any) -> str:
    parts = []
    for ep in endpoints:
        c = ep.conditions
        flags = [f for f, on in (("ready", c.ready), ("serving", c.serving), ("terminating", c.terminating)) if on]
        parts.append(f"{ep.pod_name} ({', '.join(flags) or 'not ready'})")
    return ", ".join(parts) or "no endpoints"


@attrs.frozen
class DeadPodTraffic(InvariantMonitor[str]):
    """Monitor of NoTrafficToDeadPods: no client request reaches a pod whose container is not
    running at that instant. The ``request`` step announces each client request to a Service as a
    ``ServiceRequest``; the first that reached a stopped container is recorded, as its message
    (the record). Upstream does not promise this: a pod's containers can stop before every
    kube-proxy has seen its endpoint go, which is why a ``preStop`` sleep is the documented
    mitigation (kubernetes.io, "Pod Lifecycle": termination of Pods; KEP-1669)."""

    def on_event(self, record: str | None, event: object, state: ClusterState) -> str | None:
        if record is not None or not isinstance(event, ServiceRequest) or event.running:
            return record
        (ns, name), b = event.service, event.backend
        pod = state.store.get(("Pod", ns, b.pod_name))
        if pod is None or pod.meta.uid != b.pod_uid:
            where = "deleted from the API"
        elif pod.meta.deletion_timestamp is not None:
            where = "Terminating"
        else:
            where = "not deleted"
        return (
            f"a request to Service {ns}/{name} from {event.node} went through {event.via} to pod {b.pod_name} "
            f"({b.ip}) on {b.node}, whose container is not running (pod {where})"
        )

    def verdict(self, record: str | None, state: ClusterState) -> str | None:
        return record


NO_TRAFFIC_TO_DEAD_PODS = declare(
    Invariant(
        name="NoTrafficToDeadPods",
        kind="always",
        text=(
            "No request to a Service reaches a pod whose container is not running (optional: upstream does not "
            "promise it)."
        ),
        monitor=DeadPodTraffic(),
        optional=True,
    )
)
no_traffic_to_dead_pods = NO_TRAFFIC_TO_DEAD_PODS.property_check()


def hpa_recommendations_held(state: ClusterState) -> str | None:
    """Every HPA's target has the replica count the HPA recommends, computed from the true store
    with the controller's own formula (``kmodel.k8s.controllers.hpa``: ``GetResourceReplicas``,
    then minReplicas/maxReplicas). HPASettles' verdict once no flap is recorded; the load is
    held constant while settling (no user steps)."""
    from kmodel.k8s.controllers.hpa import Proposal, load_key, recommend, target_of

    store = state.store
    pods = store.list("Pod")
    for hpa in sorted(store.list("HorizontalPodAutoscaler"), key=lambda h: (h.meta.namespace, h.meta.name)):
        target = store.get(target_of(hpa))
        if target is None:
            continue
        spec = hpa.spec
        current = target.spec.replicas
        if current == 0 and spec.min_replicas != 0:
            continue  # scaling disabled
        proposal = recommend(hpa, target, pods, store.get(load_key(hpa)))
        if not isinstance(proposal, Proposal):
            continue  # no metrics: the HPA cannot recommend anything
        want = min(max(proposal.replicas, spec.min_replicas), spec.max_replicas)
        if want != current:
            return (
                f"HPA {hpa.meta.namespace}/{hpa.meta.name}: {spec.target_kind}/{spec.target_name} has {current} "
                f"replicas, but at {proposal.utilization}% cpu utilization (target {spec.target_utilization}%) "
                f"the HPA recommends {want}"
            )
    return None


@abstraction.declare(fields={"load_rv": abstraction.REV}, plain={"reversals"})
@attrs.frozen
class FlapHistory:
    """What ``FlapMonitor`` remembers of one scale target (in ``FlapRecord.last``): the direction
    and load (the ``WorkloadLoad`` resourceVersion, a revision the explorer's abstraction
    renumbers with every other) of the last scale write, the reversals in a row so far, and the
    last (at most 3) moves, oldest first. (It used to be kept as the string
    ``direction|rv|reversals|moves``, whose revision the abstraction could not see, so an abstract
    state compared a renumbered load with a raw one.)"""

    direction: str  # "up" or "down"
    load_rv: int
    reversals: int
    moves: tuple[str, ...]


Target = tuple[str, str, str]  # a scale target: (namespace, kind, name)


@abstraction.declare()  # no times or revisions of its own: those are in its FlapHistory values
@attrs.frozen
class FlapRecord:
    """HPASettles' record (``ClusterState.monitor["HPASettles"]``): the last scale write's
    ``FlapHistory`` per target, and the flap once one is recorded (the violation)."""

    last: FMap[Target, FlapHistory] = FMap()
    flap: str | None = None


@attrs.frozen
class FlapMonitor(InvariantMonitor[FlapRecord]):
    """Monitor of HPASettles: each successful HPA scale write (its request tag is a
    ``ScaleIntent``) is remembered per target with its direction and the target's load (the
    ``WorkloadLoad`` resourceVersion), as a ``FlapHistory``. A write that reverses the direction
    of the previous one under the same load counts as a reversal; the second reversal in a row
    is recorded as the flap. Under a constant load one HPA's recommendation does not depend on
    the replica count (the demand is spread over the ready pods), so repeated reversals mean HPAs
    that fight (two HPAs on one workload: kubernetes/kubernetes#101648): such a cluster never
    settles, so a recorded flap stops the settle phase (``blocks_settle``) and is the verdict.
    Without one, the verdict is ``hpa_recommendations_held``."""

    def on_request(
        self, record: FlapRecord | None, before: Store, req: Request, res: Result, who: str
    ) -> FlapRecord | None:
        from kmodel.k8s.controllers.hpa import ScaleIntent

        intent = req.tag
        if not res.ok or not isinstance(intent, ScaleIntent) or (record is not None and record.flap is not None):
            return record
        (ns, hpa_name), (kind, _, name) = intent.hpa, intent.target
        current, desired = intent.current, intent.desired
        if current == desired:
            return record
        from kmodel.k8s.objects import load_name

        load = before.get(("WorkloadLoad", ns, load_name(kind, name)))
        load_rv = load.meta.resource_version if load is not None else 0
        direction = "up" if desired > current else "down"
        target = (ns, kind, name)
        move = f"HPA {hpa_name} {current} → {desired}"
        history = FlapHistory(direction, load_rv, 0, (move,))
        record = record if record is not None else FlapRecord()
        last = record.last.get(target)
        if last is not None and last.load_rv == load_rv and last.direction != direction:
            history = FlapHistory(direction, load_rv, last.reversals + 1, (*last.moves, move)[-3:])
        if history.reversals < 2:
            return FlapRecord(record.last.set(target, history))
        cpu = f"{load.cpu}m CPU demand" if load is not None else "no load"
        moves = "; ".join(history.moves)
        flap = f"{kind} {ns}/{name} flaps under constant load ({cpu}) and never settles: {moves} (each undoes the last)"
        return FlapRecord(record.last.delete(target), flap)

    def verdict(self, record: FlapRecord | None, state: ClusterState) -> str | None:
        if record is not None and record.flap is not None:
            return record.flap
        return hpa_recommendations_held(state)

    def blocks_settle(self, record: FlapRecord | None) -> bool:
        return record is not None and record.flap is not None


HPA_SETTLES = declare(
    Invariant(
        name="HPASettles",
        kind="eventually",
        text=(
            "Once the cluster settles under a constant load, every HorizontalPodAutoscaler's target has the replica "
            "count the HPA recommends, and no HPA flaps (reverses its scaling direction again and again under the "
            "same load)."
        ),
        monitor=FlapMonitor(),
        applies=lambda model: any(o.KIND == "HorizontalPodAutoscaler" for o in model.config.objects),
    )
)
hpa_settles = HPA_SETTLES.property_check()


def all_pods_scheduled(state: ClusterState, groups: tuple[Any, ...] = ()) -> str | None:
    """After settling, every active pod is bound to a node, unless it could run nowhere: it fits
    no node as the cluster is and no node group's template (``spec.nodeGroups``) either. A pod
    that fits a group's template stays pending only when the group is at its max size or the
    cluster autoscaler failed to add a node; the message says which."""
    from kmodel.k8s.controllers.autoscaler import GROUP_LABEL, fits_existing, fits_template

    store = state.store
    pods = store.list("Pod")
    nodes: list[Node] = store.list("Node")
    for p in sorted(pods, key=lambda p: (p.meta.namespace, p.meta.name)):
        if p.spec.node_name or not p.is_active():
            continue
        where = f"pod {p.meta.namespace}/{p.meta.name}"
        if fits_existing(p, pods, nodes):
            return f"{where} fits a node but is not bound"
        room = [g for g in groups if fits_template(p, g)]
        if not room:
            continue  # no node of any group could run it: not the autoscaler's promise
        notes = []
        for g in room:
            size = sum(1 for n in nodes if n.meta.labels.get(GROUP_LABEL) == g.name)
            notes.append(
                f"node group {g.name} is at its max size {g.max_size}"
                if size >= g.max_size
                else f"node group {g.name} has {size}/{g.max_size} nodes"
            )
        return f"{where} is pending: it fits no node, and {'; '.join(notes)}"
    return None


ALL_PODS_SCHEDULED = declare(
    Invariant(
        name="AllPodsScheduled",
        kind="eventually",
        text=(
            "Once the cluster settles, every pod is bound to a node unless no node and no node group's template could "
            "run it (the cluster autoscaler adds nodes for the others)."
        ),
        factory=with_node_groups(all_pods_scheduled),
        applies=lambda model: bool(model.config.node_groups),
    )
)


def node_groups_scale_down(state: ClusterState, groups: tuple[Any, ...] = ()) -> str | None:
    """After settling, no node group has an empty node (no pod but DaemonSet or terminal pods)
    while it is above its ``min`` size: the cluster autoscaler removes such a node after
    ``--scale-down-unneeded-time`` (``kmodel.k8s.controllers.autoscaler``)."""
    from kmodel.k8s.controllers.autoscaler import GROUP_LABEL, blocks_scale_down

    pods = state.store.list("Pod")
    nodes: list[Node] = state.store.list("Node")
    for g in groups:
        mine = sorted(n.meta.name for n in nodes if n.meta.labels.get(GROUP_LABEL) == g.name)
        empty = [n for n in mine if not any(blocks_scale_down(p, n) for p in pods)]
        if empty and len(mine) > g.min_size:
            return f"node {empty[0]} of node group {g.name} is empty but stays ({len(mine)} nodes, min {g.min_size})"
    return None


NODE_GROUPS_SCALE_DOWN = declare(
    Invariant(
        name="NodeGroupsScaleDown",
        kind="eventually",
        text=(
            "Once the cluster settles, no node group has an empty node while it is above its min size (the cluster "
            "autoscaler removes nodes unneeded for 10 minutes; optional: checked only when a scenario names it)."
        ),
        factory=with_node_groups(node_groups_scale_down),
        optional=True,
    )
)


def involuntarily_unready(pod: Pod) -> bool:
    """A pod that is not Ready because of an involuntary disruption: the node lifecycle controller
    marked it NotReady for its node (``MarkPodsNotReady``: reason ``NodeNotReady``), or its
    container crashed (the kubelet reports restarts or CrashLoopBackOff). A pod not yet Ready for
    other reasons (a fresh replacement still starting) is simply unhealthy."""
    c = condition(pod.status.conditions, "Ready")
    if c is None or c.status == "True":
        return False
    return c.reason == "NodeNotReady" or pod.status.restart_count > 0 or "CrashLoopBackOff" in pod.status.message


def pdb_holds_evict(before: Store, req: Request, res: Result, who: str) -> str | None:
    """Observer for PDBHolds: a successful eviction (``pods/eviction``) of a Ready pod never leaves
    a PodDisruptionBudget that selects it with fewer healthy pods than it desires, where
    involuntary disruptions do not count against the eviction.

    Both sides come from the true store just before the eviction, not from the PDB's status: the
    desired count is ``getExpectedPodCount`` (``pkg/controller/disruption/disruption.go``) on the
    true pods and workloads; the healthy count is the selected pods not being deleted that are
    Ready (``countHealthyPods``; in the store an evicted pod is being deleted at once, so
    ``disruptedPods`` has nothing to add) or are not Ready only because of an involuntary
    disruption (``involuntarily_unready``), minus the evicted pod. Evicting a pod that is not Ready
    takes no healthy pod away and is not judged (``unhealthyPodEvictionPolicy`` decides it).

    Why involuntary unreadiness is forgiven: the eviction API trusts the PDB's status, which "may
    trail the actual state of a system" (``staging/src/k8s.io/api/policy/v1/types.go:
    PodDisruptionBudgetStatus``). Counting only Ready pods, any node failure or container crash
    that the disruption controller has not yet folded into the status lets one more eviction
    through (tests/test_disruption.py shows the trace); upstream accepts that, and PDBs do not
    guard against involuntary disruptions. What the budget does promise is that voluntary
    evictions alone never exceed it — that is what this checks."""
    from kmodel.k8s.controllers.disruption import NoControllerError, expected_pod_count, pods_for_pdb

    if req.verb != "evict" or not res.ok:
        return None
    pod = before.get(req.key)
    if pod is None or pod.meta.deletion_timestamp is not None or not pod.is_ready():
        return None
    pods = before.list("Pod")
    for pdb in sorted(before.list("PodDisruptionBudget"), key=lambda b: b.meta.name):
        if pdb.meta.namespace != pod.meta.namespace or not pdb.spec.selects(pod):
            continue
        selected = pods_for_pdb(pdb, pods)
        try:
            _, desired = expected_pod_count(pdb, selected, before.get)
        except NoControllerError:
            continue
        live = [p for p in selected if p.meta.deletion_timestamp is None]
        ready = sum(1 for p in live if p.is_ready())
        forgiven = sum(1 for p in live if involuntarily_unready(p))
        left = ready + forgiven - 1
        if left < desired:
            extra = f" and {forgiven} involuntarily unready" if forgiven else ""
            return (
                f"{who} evicted {pod.meta.name} while PodDisruptionBudget {pdb.meta.namespace}/{pdb.meta.name} "
                f"had {ready} Ready pods{extra} and desires {desired}: {left} left (the PDB status said "
                f"disruptionsAllowed {pdb.status.disruptions_allowed}, currentHealthy {pdb.status.current_healthy}, "
                f"disruptedPods {sorted(pdb.status.disrupted_pods)})"
            )
    return None


PDB_HOLDS = declare(
    Invariant(
        name="PDBHolds",
        kind="always",
        text=(
            "A voluntary eviction never takes the healthy pods of a PodDisruptionBudget below its desired healthy "
            "count, computed from the true cluster (not the PDB's status); pods unready through a crash or node "
            "failure are not held against it."
        ),
        monitor=FirstViolation(pdb_holds_evict),
    )
)


def drain_completes(state: ClusterState) -> str | None:
    """After settling, every node marked for drain (``kmodel.io/drain: requested``, set by the
    ``drain`` user op) has no pod left that ``kubectl drain`` must evict and wait for (every pod
    bound to it but mirror and DaemonSet pods). A failure says what holds the drain up: a PDB that
    allows no disruption, a pod Terminating on a node that is down or cut off, or an eviction
    kubectl gave up on. A PDB that allows no disruption blocks a drain forever by design
    (kubernetes.io, "Specifying a Disruption Budget for your Application")."""
    from kmodel.k8s.controllers.drain import DrainLocal, draining, pods_to_drain

    store = state.store
    pods = store.list("Pod")
    pdbs = store.list("PodDisruptionBudget")
    failed: dict[str, str] = {}
    for cs in state.components.values():
        if isinstance(cs.local, DrainLocal):
            failed.update(cs.local.failed.items())
    for node in sorted(store.list("Node"), key=lambda n: n.meta.name):
        if not draining(node):
            continue
        left = pods_to_drain(node.meta.name, pods)
        if not left:
            continue
        p = left[0]
        name = node.meta.name
        if p.meta.uid in failed:
            why = f"kubectl gave up evicting it ({failed[p.meta.uid]})"
        elif p.meta.deletion_timestamp is not None:
            down = not state.nodes_up.get(name, True)
            cut = state.partitioned.get(name, False)
            where = " and the node is down" if down else " and the node is cut off" if cut else ""
            why = f"it is Terminating{where}"
        else:
            blocking = [b for b in pdbs if b.meta.namespace == p.meta.namespace and b.spec.selects(p)]
            if blocking:
                b = blocking[0]
                st = b.status
                why = (
                    f"its eviction is refused: PodDisruptionBudget {b.meta.name} allows {st.disruptions_allowed} "
                    f"disruptions (desired healthy {st.desired_healthy}, currently {st.current_healthy})"
                )
            else:
                why = "it has not been evicted"
        names = ", ".join(q.meta.name for q in left)
        return f"drain of {name} incomplete: {len(left)} pods left ({names}); {p.meta.name}: {why}"
    return None


DRAIN_COMPLETES = declare(
    Invariant(
        name="DrainCompletes",
        kind="eventually",
        text="Once the cluster settles, every node being drained has no pods left that kubectl drain must evict.",
        check=drain_completes,
    )
)


# Leader election (kmodel.k8s.leaderelection holds the observers and the check): vacuous
# without HA replicas, so checked by default only where there are some.


def _has_ha(model: ModelLike) -> bool:
    return bool(model.processes)


SINGLE_LEADER = declare(
    Invariant(
        name="SingleLeader",
        kind="always",
        text=(
            "No write by an HA replica's controllers (a control-plane replica or a user controller's) lands "
            "while another replica holds the leader-election Lease (no split brain; client-go does not "
            "promise it). Vacuous without HA."
        ),
        monitor=FirstViolation(split_brain_write),
        applies=_has_ha,
    )
)


FENCED_WRITES = declare(
    Invariant(
        name="FencedWrites",
        kind="always",
        text=(
            "Every write by an HA replica's controllers that lands carries the Lease's current epoch "
            "(leaseTransitions): what the kmodel variant fencedLeaderElection enforces. Vacuous without HA."
        ),
        monitor=FirstViolation(unfenced_write),
        applies=_has_ha,
    )
)


LEADER_EVENTUALLY_ELECTED = declare(
    Invariant(
        name="LeaderEventuallyElected",
        kind="eventually",
        text=(
            "Once the cluster settles, each HA leader-election Lease has a holder whose replica runs and "
            "believes it leads. Vacuous without HA."
        ),
        check=leader_missing,
        applies=_has_ha,
    )
)


def daemonset_converges(state: ClusterState) -> str | None:
    """After settling, every DaemonSet (unless being deleted) runs exactly one pod on every Ready
    node it should run on (``NodeShouldRunDaemonPod``'s shouldRun, with the automatic
    tolerations), Running, Ready and (strategy RollingUpdate; OnDelete replaces a pod only once it
    is deleted) at the current template's revision, and no pod that is not
    being deleted where it should not run: none where it should not even continue running, and
    none still Pending where it should not start one — the target state of
    ``pkg/controller/daemon/daemon_controller.go: manage`` and ``update.go: rollingUpdate``.
    Nodes that are not Ready are not judged (upstream keeps an old pod there and starts none:
    the not-ready and unreachable NoSchedule taints are not tolerated). A pod bound to a node
    that no longer exists is the pod GC's (``gcOrphaned``), which kmodel does not model, so it is
    not judged; an unbound one is the controller's (``getUnscheduledPodsWithoutNode``). A failure names the
    first node and why: no pod (one still Terminating), a pod Pending that fits no node (the
    default scheduler binds DaemonSet pods; without a priority class nothing preempts for them),
    not ready, an old revision, or a pod where the set should not run."""
    from kmodel.k8s.controllers.daemonset import node_should_run, nodes_to_daemon_pods, template_hash

    store = state.store
    pods: list[Pod] = store.list("Pod")
    nodes: list[Node] = sorted(store.list("Node"), key=lambda n: n.meta.name)
    names = {n.meta.name for n in nodes}
    for ds in sorted(store.list("DaemonSet"), key=lambda d: (d.meta.namespace, d.meta.name)):
        if ds.meta.deletion_timestamp is not None:
            continue
        where = f"DaemonSet {ds.meta.namespace}/{ds.meta.name}"
        hash_ = template_hash(ds)
        by_node = nodes_to_daemon_pods(ds, pods)
        for node in nodes:
            name = node.meta.name
            on_node = sorted(by_node.get(name, []), key=lambda p: p.meta.name)
            live = [p for p in on_node if p.meta.deletion_timestamp is None]
            should_run, should_continue = node_should_run(ds, node)
            if not should_run:
                stray = [p for p in live if not should_continue or not p.spec.node_name]
                if stray:
                    p = stray[0]
                    taint = _untolerated_taint_text(ds, node)
                    how = "is Pending for" if not p.spec.node_name else "runs on"
                    verb = "start" if should_continue else "run"
                    why = f"where the DaemonSet should not {verb} a pod{taint}"
                    return f"{where}: pod {p.meta.name} {how} {name}, {why}"
                continue
            up = state.nodes_up.get(name, True) and not state.partitioned.get(name, False)
            if node.ready_status() != "True" or not up:
                continue
            if not live:
                gone = [p.meta.name for p in on_node]
                note = f" ({', '.join(gone)} still Terminating)" if gone else ""
                counts = f"ready {ds.status.number_ready}/{ds.status.desired_number_scheduled}"
                return f"{where}: no pod on {name}{note} ({counts})"
            if len(live) > 1:
                return f"{where}: {len(live)} pods on {name} ({', '.join(p.meta.name for p in live)}), want one"
            p = live[0]
            if not p.spec.node_name:
                by_ref = {(q.meta.namespace, q.meta.name): q for q in pods}
                failures = fit_failures(p, [node], node_usage(pods, FMap(), by_ref))
                why = f": {failures[name]}" if name in failures else ""
                return f"{where}: pod {p.meta.name} for {name} is Pending{why}"
            if p.status.phase != "Running" or not p.is_ready():
                return f"{where}: pod {p.meta.name} on {name} is not running and ready ({p.status.phase})"
            rolling = ds.spec.update_strategy_type == "RollingUpdate"  # OnDelete replaces only deleted pods
            if rolling and p.meta.labels.get("controller-revision-hash") != hash_:
                return f"{where}: pod {p.meta.name} on {name} runs an old revision (the rollout did not finish)"
        for node_name in sorted(set(by_node) - names):
            # an unbound pod for a node that is gone is the controller's to delete
            # (getUnscheduledPodsWithoutNode); a bound one is the pod GC's (gcOrphaned), not modelled
            live = [p for p in by_node[node_name] if p.meta.deletion_timestamp is None and not p.spec.node_name]
            if live:
                return f"{where}: pod {live[0].meta.name} is for {node_name}, which does not exist"
    return None


def _untolerated_taint_text(ds: Any, node: Node) -> str:
    """`` (untolerated taint key=value:Effect)`` for the first NoSchedule/NoExecute taint of ``node``
    that the DaemonSet's pods (with the automatic tolerations) do not tolerate, else ``""``."""
    from kmodel.k8s.controllers.daemonset import new_pod

    pod = new_pod(ds, node.meta.name)
    for t in node.spec.taints:
        if t.effect in ("NoSchedule", "NoExecute") and not any(tol.tolerates(t) for tol in pod.spec.tolerations):
            value = f"={t.value}" if t.value else ""
            return f" (untolerated taint {t.key}{value}:{t.effect})"
    return " (node selector or affinity)"


DAEMONSET_CONVERGES = declare(
    Invariant(
        name="DaemonSetConverges",
        kind="eventually",
        text=(
            "Once the cluster settles, every DaemonSet runs exactly one Ready pod of its current template on every "
            "Ready node it should run on, and none where it should not."
        ),
        check=daemonset_converges,
        applies=lambda model: any(o.KIND == "DaemonSet" for o in model.config.objects),
    )
)


# Jobs and CronJobs (kmodel.k8s.controllers.job, .cronjob): checked where the scenario has one.


def _has_jobs(model: ModelLike) -> bool:
    return any(o.KIND in ("Job", "CronJob") for o in model.config.objects)


@abstraction.declare(plain={"counts"})
@attrs.frozen
class JobSuccesses:
    """JobCompletesAtMostCompletions' record: (namespace, Job name, Job uid) → (pods of the Job
    that reached Succeeded, the Job's ``completions``; 0 when unset)."""

    counts: FMap[tuple[str, str, str], tuple[int, int]] = FMap()


class JobSuccessMonitor(InvariantMonitor[JobSuccesses]):
    """Counts every pod of a Job that the kubelet takes to Succeeded (a status write from a
    non-Succeeded phase), whether or not the pod is later deleted: the work that ran."""

    def on_request(
        self, record: JobSuccesses | None, before: Store, req: Request, res: Result, who: str
    ) -> JobSuccesses | None:
        from kmodel.k8s.controllers.job import pod_successes

        hit = pod_successes(before, req, res)
        if hit is None:
            return record
        key, completions = hit
        rec = record or JobSuccesses()
        n = rec.counts.get(key, (0, completions))[0]
        return JobSuccesses(rec.counts.set(key, (n + 1, completions)))

    def verdict(self, record: JobSuccesses | None, state: ClusterState) -> str | None:
        if record is None:
            return None
        for (ns, name, _), (n, completions) in record.counts.items():
            if completions and n > completions:
                return (
                    f"Job {ns}/{name}: {n} pods succeeded, more than its completions {completions} "
                    f"(a success the controller did not record was run again)"
                )
        return None


JOB_COMPLETES_AT_MOST_COMPLETIONS = declare(
    Invariant(
        name="JobCompletesAtMostCompletions",
        kind="always",
        text=(
            "A Job's pods succeed at most spec.completions times: a success is recorded in the Job's status "
            "before its pod can go (the batch.kubernetes.io/job-tracking finalizer), so no work is run twice."
        ),
        monitor=JobSuccessMonitor(),
        applies=_has_jobs,
    )
)


def job_completes(state: ClusterState) -> str | None:
    """After settling, every Job that is not suspended or being deleted has finished: a true
    ``Complete`` or ``Failed`` condition (``pkg/controller/job/util/utils.go: IsJobFinished``). The
    Job controller sets it once the pods have succeeded ``completions`` times, or failed past
    ``backoffLimit`` or the deadline, and — since 1.34's delayed terminal condition
    (``job_controller.go: enactJobFinished``) — once none of its pods is still terminating. A
    failure says where it stands and names a pod that holds it up."""
    from kmodel.k8s.controllers.job import is_terminating, job_pods

    store = state.store
    pods = store.list("Pod")
    for job in store.list("Job"):
        if job.meta.deletion_timestamp is not None or job.spec.suspend or job.finished():
            continue
        st = job.status
        where = f"Job {job.meta.namespace}/{job.meta.name}"
        parts = [f"{st.succeeded} succeeded, {st.failed} failed, {st.active} active"]
        conds = [c.type for c in st.conditions if c.status == "True"]
        if conds:
            parts.append(f"conditions {', '.join(conds)}")
        for p in job_pods(job, pods):
            node = p.spec.node_name
            if is_terminating(p):
                down = f" ({_down(state, node)})" if node and not state.nodes_up.get(node, True) else ""
                cut = " (partitioned)" if node and state.partitioned.get(node, False) else ""
                parts.append(f"pod {p.meta.name} still Terminating on {node or 'no node'}{down}{cut}")
                break
            if p.is_active() and not node:
                parts.append(f"pod {p.meta.name} is not scheduled")
                break
        return f"{where} has not finished: " + "; ".join(parts)
    return None


JOB_COMPLETES = declare(
    Invariant(
        name="JobCompletes",
        kind="eventually",
        text=("Once the cluster settles, every Job (not suspended) has finished: a Complete or Failed condition."),
        check=job_completes,
        applies=_has_jobs,
    )
)


def cronjob_forbid_overlaps(state: ClusterState) -> str | None:
    """A CronJob with ``concurrencyPolicy: Forbid`` never controls two Jobs at once that are
    neither finished nor being deleted (``pkg/controller/cronjob/cronjob_controllerv2.go:
    syncCronJob`` skips a scheduled run while ``status.active`` is not empty)."""
    from kmodel.k8s.controllers.cronjob import forbid_overlaps

    return forbid_overlaps(state.store)


CRONJOB_FORBID_NEVER_OVERLAPS = declare(
    Invariant(
        name="CronJobForbidNeverOverlaps",
        kind="always",
        text="A CronJob with concurrencyPolicy Forbid never has two active (unfinished) Jobs at once.",
        check=cronjob_forbid_overlaps,
        applies=lambda model: any(o.KIND == "CronJob" for o in model.config.objects),
        caveats=(
            # pkg/controller/cronjob/cronjob_controllerv2.go: syncCronJob checks Forbid against the
            # status.active of the CronJob in its informer cache, and says so: "there is some risk
            # that we won't see an active job when there is one ... So it is theoretically possible
            # to have concurrency with Forbid." Reproduced by
            # properties/scenarios/cronjob-forbid-watch-delay.yaml.
            (
                "watchDelay",
                "the CronJob controller checks Forbid against the status.active of its cached CronJob; a watch "
                "that delivers the status write listing the running Job, and the Job itself, after the next minute "
                "is due shows no active Job, and the next run's Job has a new name (pkg/controller/cronjob/"
                'cronjob_controllerv2.go: syncCronJob, "it is theoretically possible to have concurrency with '
                'Forbid")',
            ),
            (
                "staleRelist",
                "a relist served by a lagging API server can miss the status write that listed the running Job and "
                "the Job itself, so the CronJob controller's Forbid check sees no active Job once the next minute "
                "is due (pkg/controller/cronjob/cronjob_controllerv2.go: syncCronJob)",
            ),
        ),
    )
)


# -- lookups, all derived from the declarations -------------------------------------------------


def select(model: ModelLike, names: tuple[str, ...] | None) -> list[Property[ClusterState]]:
    """The built-in properties ``model`` checks: those named (in that order), or with ``names``
    None every declared one that applies to it (``Invariant.applies_to``), in declaration order."""
    chosen = (
        [inv for inv in BUILTIN.values() if inv.applies_to(model)] if names is None else [BUILTIN[n] for n in names]
    )
    return [inv.property(model) for inv in chosen]


def monitors(names: Iterable[str]) -> tuple[tuple[str, InvariantMonitor[Any]], ...]:
    """The monitors of the invariants ``names``, in their order (names not built in: none)."""
    return tuple((n, m) for n in names if (inv := BUILTIN.get(n)) is not None and (m := inv.monitor) is not None)


def describe(name: str) -> str:
    return BUILTIN[name].text


# Upstream caveats (``Invariant.caveats``): invariants that upstream Kubernetes itself does not
# keep under a fault, so a violation under that fault is faithful modelling, not a kmodel bug and
# not by itself a bug in the user's setup. Used by the reports (a violation of the invariant in a
# scenario that enables one of its faults says so, in one sentence) and by
# tests/test_faults.py::test_default_scenario_holds_with_every_fault, which drops exactly these
# invariants and asserts which ones they are, so the caveats cannot grow silently. Each caveat
# has a scripted test in tests/test_faults.py that reproduces it.


def caveat(invariant: str, faults: Iterable[tuple[str, int]], ops: Iterable[str] | None = None) -> str | None:
    """One sentence for a report of a violation of ``invariant`` when the scenario's fault budgets
    ``faults`` (``ClusterConfig.faults``: ``(fault, budget)`` pairs) enable a fault of one of its
    upstream caveats (``Invariant.caveats``); None otherwise. Given ``ops``, the step ops of the
    counterexample, a fault counts only if the counterexample took its step (``FAULT_OPS``): a
    violation that never used the fault is not explained by it. With several, each is named, in
    the declaration's order."""
    budgets = dict(faults)
    used = None if ops is None else set(ops)
    reasons = [
        f"under {fault}, {reason}"
        for fault, reason in _caveats(invariant)
        if budgets.get(fault, 0) > 0 and (used is None or fault not in FAULT_OPS or FAULT_OPS[fault] in used)
    ]
    if not reasons:
        return None
    return f"Upstream does this too: {'; and '.join(reasons)}."


def caveat_faults(invariant: str) -> tuple[str, ...]:
    """The faults under which upstream itself does not keep ``invariant`` (``Invariant.caveats``)."""
    return tuple(fault for fault, _ in _caveats(invariant))


def _caveats(invariant: str) -> tuple[tuple[str, str], ...]:
    inv = BUILTIN.get(invariant)  # a user invariant has none
    return inv.caveats if inv is not None else ()
