"""The world as one value (ClusterState) and its steps (ClusterModel).

``ClusterModel`` implements ``kmodel.core.model.Model``. Actions, in the fixed order
``actions()`` lists them:

- ``deliver(component)``: the next watch event the component cares about reaches its cache and
  its event handlers run (system);
- ``reconcile(component)``: one reconcile from its cache at the current clock; its API requests
  are applied in order and each result is handed back (system);
- ``tick()``: the clock jumps to the next timer any running component has (time);
- ``crash_node(node)`` / ``recover_node(node)``: the node's kubelet and containers stop; on
  recovery the kubelet starts empty and relists (fault; budget ``faults.nodeCrash``);
- ``crash_container(node, index)``: the index-th running pod (by name) on the node exits
  (fault; budget ``faults.containerCrash``);
- user steps from the scenario's ``spec.user`` (``kubectl scale``, ``cordon``/``uncordon``,
  ``delete pod`` with or without ``--force``): see ``kmodel.k8s.userops`` (user).

An action that would change nothing is not enabled (``step`` returns None).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import attrs

from kmodel.core.fmap import FMap
from kmodel.core.model import Action, ActionSpec, Property, expand
from kmodel.core.run import settle_steps
from kmodel.k8s.controllers.kubelet import Kubelet, KubeletLocal, crashed, node_lease
from kmodel.k8s.controllers.nodelifecycle import NodeLifecycleController, NodeLifecycleLocal
from kmodel.k8s.controllers.replicaset import ReplicaSetController, owned_active_pods
from kmodel.k8s.controllers.scheduler import Scheduler
from kmodel.k8s.informers import EMPTY_CACHE, Component, ComponentState, View, cache_apply, cache_from_store
from kmodel.k8s.objects import APIObject, Key, Node
from kmodel.k8s.store import APIConfig, Request, Result, Store
from kmodel.k8s.userops import UserOp, apply_user_op, user_specs

CONTAINER_SLOTS = 3  # crash_container draws index 0..2 into a node's running pods


@attrs.frozen
class Variants:
    """Deliberate deviations from upstream, to study failure patterns."""

    replica_set_expectations: bool = True
    scheduler_assume_cache: bool = True


@attrs.frozen
class ControlPlane:
    """Settings of built-in components; upstream flag names in the scenario (camelCase)."""

    node_monitor_grace_period: int = 50
    node_lease_duration_seconds: int = 40
    default_not_ready_toleration_seconds: int = 300
    default_unreachable_toleration_seconds: int = 300


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


@attrs.frozen
class ClusterState:
    clock: int
    store: Store
    components: FMap[str, ComponentState]
    nodes_up: FMap[str, bool]
    faults_left: FMap[str, int]
    monitor: FMap[str, str] = FMap()  # history variables for transition invariants


class ClusterModel:
    """The Kubernetes control plane and nodes as a deterministic transition system."""

    def __init__(self, config: ClusterConfig) -> None:
        from kmodel.k8s import invariants  # local import: invariants need the model's types

        self.config = config
        cp = config.control_plane
        self.api = APIConfig(cp.default_not_ready_toleration_seconds, cp.default_unreachable_toleration_seconds)
        self.node_names = tuple(n.meta.name for n in config.nodes)
        comps: list[Component] = [
            ReplicaSetController(expectations=config.variants.replica_set_expectations),
            Scheduler(assume_cache=config.variants.scheduler_assume_cache),
            NodeLifecycleController(node_monitor_grace_period=cp.node_monitor_grace_period),
        ]
        comps.extend(Kubelet(node=n, lease_duration_seconds=cp.node_lease_duration_seconds) for n in self.node_names)
        self.components: dict[str, Component] = {c.name: c for c in comps}
        self.component_names = tuple(self.components)
        self._properties = invariants.select(self, config.invariants)
        self._user_ops = {spec.op for spec in user_specs(config.user)}
        self._initial: ClusterState | None = None
        self._space: list[ActionSpec] | None = None
        self.renew_interval = cp.node_lease_duration_seconds // 4
        self.quiet_period = 2 * self.renew_interval

    # -- Model protocol ----------------------------------------------------------------------

    def initial(self) -> ClusterState:
        if self._initial is None:
            self._initial = self._build_initial()
        return self._initial

    def _build_initial(self) -> ClusterState:
        store = Store()
        for node in self.config.nodes:
            store, res = store.apply(Request("create", node.key, node), 0, self.api)
            lease = node_lease(node.meta.name, 0, self.config.control_plane.node_lease_duration_seconds)
            store, res = store.apply(Request("create", lease.key, lease), 0, self.api)
        for obj in self.config.objects:
            store, res = store.apply(Request("create", obj.key, obj), 0, self.api)
            if not res.ok:
                raise ValueError(f"{obj.KIND} {obj.meta.name}: {res.reason}: {res.message}")
        comps = {name: self._fresh_component(c, store) for name, c in self.components.items()}
        for c in self.components.values():
            if isinstance(c, Kubelet):
                cs = comps[c.name]
                comps[c.name] = attrs.evolve(cs, local=KubeletLocal(last_renew=0))
        state = ClusterState(
            clock=0,
            store=store.compact(store.revision),
            components=FMap(comps),
            nodes_up=FMap((n, True) for n in self.node_names),
            faults_left=FMap(self.config.faults),
        )
        if self.config.start == "settled":
            for _, settled in settle_steps(self, state):
                state = settled
        return state

    def _fresh_component(self, comp: Component, store: Store) -> ComponentState:
        cache = cache_from_store(store, comp.watches)
        local = comp.initial_local()
        if isinstance(comp, ReplicaSetController):
            local = comp.resync(local, View(cache, 0))
        return ComponentState(cursor=store.revision, cache=cache, local=local)

    def action_space(self) -> Sequence[ActionSpec]:
        if self._space is None:
            # One spec per component (not one spec with a component argument): Hypothesis picks
            # rules uniformly and swarm-tests subsets of them, so per-component rules let a run
            # focus on the few components a bug needs.
            space = []
            for name in self.component_names:
                space.append(ActionSpec("deliver", "system", (("component", (name,)),)))
                space.append(ActionSpec("reconcile", "system", (("component", (name,)),)))
            space.append(ActionSpec("tick", "time"))
            faults = dict(self.config.faults)
            if faults.get("nodeCrash", 0) > 0:
                space.append(ActionSpec("crash_node", "fault", (("node", self.node_names),)))
                space.append(ActionSpec("recover_node", "fault", (("node", self.node_names),)))
            if faults.get("containerCrash", 0) > 0:
                space.append(
                    ActionSpec(
                        "crash_container",
                        "fault",
                        (("node", self.node_names), ("index", tuple(range(CONTAINER_SLOTS)))),
                    )
                )
            space.extend(user_specs(self.config.user))
            self._space = space
        return self._space

    def actions(self, state: ClusterState) -> list[Action]:
        out = []
        for spec in self.action_space():
            for action in expand(spec):
                if self.step(state, action) is not None:
                    out.append(action)
        return out

    def system_actions(self, state: ClusterState) -> list[Action]:
        out = []
        for name in self.component_names:
            if state.components[name].up:
                out.append(Action.of("deliver", component=name))
                out.append(Action.of("reconcile", component=name))
        return out

    def time_action(self, state: ClusterState) -> Action | None:
        return Action("tick") if self._next_deadline(state) is not None else None

    def properties(self) -> Sequence[Property[ClusterState]]:
        return self._properties

    def clock(self, state: ClusterState) -> int:
        return state.clock

    def pending_until(self, state: ClusterState) -> int:
        """When every timer that could still change a quiescent cluster has fired.

        Such timers are: pending container restarts (CrashLoopBackOff), scheduled evictions,
        and, for a down node not yet marked Unknown, the node lifecycle controller's grace
        period. Heartbeats change nothing once the cluster is quiescent.
        """
        until = state.clock
        for _name, cs in state.components.items():
            local = cs.local
            if isinstance(local, KubeletLocal):
                for rt in local.pods.values():
                    t = rt.restart_at()
                    if t is not None:
                        until = max(until, t)
            elif isinstance(local, NodeLifecycleLocal):
                for t in local.evict_at.values():
                    until = max(until, t)
                for node, up in state.nodes_up.items():
                    stored = state.store.get(("Node", "", node))
                    if not up and stored is not None and stored.ready_status() != "Unknown":
                        h = local.health.get(node)
                        probe = h.probe if h is not None else state.clock
                        until = max(until, probe + self.config.control_plane.node_monitor_grace_period + 1)
        return until

    def truth_key(self, state: ClusterState) -> tuple[object, ...]:
        return (state.store.objects, state.monitor, state.nodes_up)

    def progress_key(self, state: ClusterState) -> Hashable:
        objs = tuple(o for k, o in state.store.objects.items() if k[0] != "Lease")
        runtimes = tuple(
            (name, cs.local.pods) for name, cs in state.components.items() if isinstance(cs.local, KubeletLocal)
        )
        return objs, state.nodes_up, runtimes

    def step(self, state: ClusterState, action: Action, log: list[str] | None = None) -> ClusterState | None:
        op = action.op
        if op == "deliver":
            nxt = self._deliver(state, action.arg("component"), log)
        elif op == "reconcile":
            nxt = self._reconcile(state, action.arg("component"), log)
        elif op == "tick":
            nxt = self._tick(state, log)
        elif op == "crash_node":
            nxt = self._crash_node(state, action.arg("node"), log)
        elif op == "recover_node":
            nxt = self._recover_node(state, action.arg("node"), log)
        elif op == "crash_container":
            nxt = self._crash_container(state, action.arg("node"), action.arg("index"), log)
        elif self._user_ops and op in self._user_ops:
            nxt = self._user(state, action, log)
        else:
            raise ValueError(f"unknown action {op!r}")
        if nxt is None:
            return None
        return self._compact(nxt)

    def describe(self, before: ClusterState, action: Action, after: ClusterState) -> str:
        log: list[str] = []
        self.step(before, action, log)
        return "; ".join(log) if log else "no change"

    # -- steps -------------------------------------------------------------------------------

    def view(self, state: ClusterState, name: str) -> View:
        return View(state.components[name].cache, state.clock)

    def _deliver(self, state: ClusterState, name: str, log: list[str] | None) -> ClusterState | None:
        cs = state.components.get(name)
        if cs is None or not cs.up:
            return None
        comp = self.components[name]
        for ev in state.store.events_after(cs.cursor):
            if not comp.watches(ev.obj):
                continue
            view = View(cs.cache, state.clock)
            old = view.get(ev.key)
            cache = cache_apply(cs.cache, ev)
            local = comp.on_event(cs.local, ev, old, View(cache, state.clock))
            if log is not None:
                log.append(f"{name} sees {ev.type} {_fmt_key(ev.key)} (rv {ev.revision})")
            cs = attrs.evolve(cs, cursor=ev.revision, cache=cache, local=local)
            return attrs.evolve(state, components=state.components.set(name, cs))
        return None

    def _reconcile(self, state: ClusterState, name: str, log: list[str] | None) -> ClusterState | None:
        cs = state.components.get(name)
        if cs is None or not cs.up:
            return None
        comp = self.components[name]
        view = View(cs.cache, state.clock)
        local, reqs = comp.reconcile(cs.local, view)
        if not reqs and local == cs.local:
            return None
        store = state.store
        monitor = state.monitor
        for req in reqs:
            if req.tag and req.tag[0] == "rs-create":
                monitor = self._check_excess(store, req, monitor)
            store, res = store.apply(req, state.clock, self.api)
            local = comp.on_result(local, req, res, view)
            if log is not None:
                log.append(f"{name}: {_fmt_result(req, res)}")
        if store is state.store and monitor is state.monitor and local == cs.local:
            return None  # every request failed or changed nothing: the step is a no-op
        if log is not None and not reqs:
            log.append(f"{name}: no API calls (in-memory state updated)")
        cs = attrs.evolve(cs, local=local)
        return attrs.evolve(state, store=store, monitor=monitor, components=state.components.set(name, cs))

    def _check_excess(self, store: Store, req: Request, monitor: FMap[str, str]) -> FMap[str, str]:
        """History variable for NoExcessReplicas: a create that takes a ReplicaSet above both its
        current spec.replicas and the replicas the controller acted on."""
        if "NoExcessReplicas" in monitor:
            return monitor
        _, rs_key, acting = req.tag
        rs = store.get(("ReplicaSet", *rs_key))
        if rs is None:
            return monitor
        active = len(owned_active_pods(rs, store.list("Pod")))
        limit = max(rs.spec.replicas, acting)
        if active >= limit:
            msg = (
                f"ReplicaSet {rs_key[0]}/{rs_key[1]}: the controller created a pod while {active} active pods "
                f"already existed (spec.replicas {rs.spec.replicas}, acting on {acting})"
            )
            return monitor.set("NoExcessReplicas", msg)
        return monitor

    def _next_deadline(self, state: ClusterState) -> int | None:
        best: int | None = None
        for name, comp in self.components.items():
            cs = state.components[name]
            if not cs.up:
                continue
            t = comp.next_deadline(cs.local, View(cs.cache, state.clock))
            if t is not None and t > state.clock and (best is None or t < best):
                best = t
        return best

    def _tick(self, state: ClusterState, log: list[str] | None) -> ClusterState | None:
        t = self._next_deadline(state)
        if t is None:
            return None
        if log is not None:
            log.append(f"clock {state.clock}s → {t}s")
        return attrs.evolve(state, clock=t)

    def _crash_node(self, state: ClusterState, node: str, log: list[str] | None) -> ClusterState | None:
        if not state.nodes_up.get(node) or state.faults_left.get("nodeCrash", 0) <= 0:
            return None
        name = f"kubelet/{node}"
        cs = state.components[name]
        if log is not None:
            pods = sorted(rt.name for rt in cs.local.pods.values() if rt.running)
            log.append(f"{node} crashed: kubelet stopped; containers of {', '.join(pods) or 'no pods'} gone")
        down = ComponentState(cursor=cs.cursor, cache=EMPTY_CACHE, local=KubeletLocal(), up=False)
        return attrs.evolve(
            state,
            components=state.components.set(name, down),
            nodes_up=state.nodes_up.set(node, False),
            faults_left=state.faults_left.set("nodeCrash", state.faults_left["nodeCrash"] - 1),
        )

    def _recover_node(self, state: ClusterState, node: str, log: list[str] | None) -> ClusterState | None:
        if state.nodes_up.get(node, True):
            return None
        name = f"kubelet/{node}"
        comp = self.components[name]
        fresh = self._fresh_component(comp, state.store)
        if log is not None:
            log.append(f"{node} recovered: kubelet starts and relists at rv {state.store.revision}")
        return attrs.evolve(
            state, components=state.components.set(name, fresh), nodes_up=state.nodes_up.set(node, True)
        )

    def _crash_container(
        self, state: ClusterState, node: str, index: int, log: list[str] | None
    ) -> ClusterState | None:
        if not state.nodes_up.get(node) or state.faults_left.get("containerCrash", 0) <= 0:
            return None
        name = f"kubelet/{node}"
        cs = state.components[name]
        running = sorted(((rt.name, uid) for uid, rt in cs.local.pods.items() if rt.running))
        if not running:
            return None
        pod_name, uid = running[index % len(running)]
        local = attrs.evolve(cs.local, pods=cs.local.pods.set(uid, crashed(cs.local.pods[uid], state.clock)))
        if log is not None:
            log.append(f"container of {pod_name} on {node} exited")
        return attrs.evolve(
            state,
            components=state.components.set(name, attrs.evolve(cs, local=local)),
            faults_left=state.faults_left.set("containerCrash", state.faults_left["containerCrash"] - 1),
        )

    def _user(self, state: ClusterState, action: Action, log: list[str] | None) -> ClusterState | None:
        applied = apply_user_op(state.store, self.config.user, action.op, dict(action.args), state.clock, self.api)
        if applied is None:
            return None
        store, what = applied
        if log is not None:
            log.append(what)
        return attrs.evolve(state, store=store)

    def _compact(self, state: ClusterState) -> ClusterState:
        store = state.store
        if not store.events:
            return state
        low = min((cs.cursor for cs in state.components.values() if cs.up), default=store.revision)
        if store.events[0].revision > low:
            return state
        return attrs.evolve(state, store=store.compact(low))


def _fmt_key(key: Key) -> str:
    kind, ns, name = key
    return f"{kind}/{ns}/{name}" if ns else f"{kind}/{name}"


def _fmt_result(req: Request, res: Result) -> str:
    what = str(req)
    if req.verb == "create" and res.ok and res.obj is not None:
        what = f"create {req.key[0]}/{res.obj.meta.name}"
    return f"{what} → ok" if res.ok else f"{what} → {res.reason}: {res.message}"


__all__ = ["APIObject", "ClusterConfig", "ClusterModel", "ClusterState"]
