"""The world as one value (ClusterState) and its steps (ClusterModel).

``ClusterModel`` implements ``kmodel.core.model.Model``. Actions, in the fixed order
``actions()`` lists them:

- ``deliver(component)``: the next watch event the component cares about reaches its cache and
  its event handlers run (system);
- ``reconcile(component)``: one reconcile from its cache at the current clock; its API requests
  are applied in order and each result is handed back (system);
- ``tick()``: the clock jumps to the next timer any running component has (time);
- ``crash_node(node)`` / ``recover_node(node)``: the node's kubelet and containers stop; on
  recovery the kubelet starts empty and relists (fault; budget ``faults.nodeCrash``); HA
  control-plane replicas hosted on the node (``kmodel.k8s.leaderelection.hosts``) stop and start
  with it;
- ``lose_node(node)``: as ``crash_node``, but the node never recovers (fault; budget
  ``faults.nodeLoss``; recorded in ``ClusterState.lost``);
- ``crash_container(node, index)``: the index-th running pod (by name) on the node exits
  (fault; budget ``faults.containerCrash``);
- user steps from the scenario's ``spec.user`` (``kubectl scale``, ``cordon``/``uncordon``,
  ``delete pod`` with or without ``--force``): see ``kmodel.k8s.userops`` (user);
- ``request(target, node, index)``: a client on ``node`` sends one request to a Service; it is
  enabled only when it reaches a stopped container, which it records (user; see
  ``kmodel.k8s.controllers.kubeproxy``);
- ``pause(process, seconds)``: an HA control-plane replica takes no step until the true clock
  passes the end of the pause (fault; budget ``faults.processPause``; see
  ``kmodel.k8s.leaderelection``).

Where a Service exists, the EndpointSlice controller and the kube-proxies must act on pending work
before the clock moves on (``_overdue``), as pending watch events must be delivered (``_tick``).

An action that would change nothing is not enabled (``step`` returns None).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import attrs

from kmodel.core.evolve import evolve
from kmodel.core.fmap import FMap
from kmodel.core.model import Action, ActionSpec, Property, expand
from kmodel.core.run import settle_steps
from kmodel.k8s import invariants
from kmodel.k8s import leaderelection as le
from kmodel.k8s.abstraction import EXPECT, PROBE, READY, TimeAbstraction, time_abstraction
from kmodel.k8s.controllers.deployment import DeploymentController
from kmodel.k8s.controllers.kubelet import Kubelet, KubeletLocal, crashed, node_lease
from kmodel.k8s.controllers.kubeproxy import (
    CoreDNS,
    KubeProxy,
    ProxyLocal,
    allocate_cluster_ips,
    route_request,
    service_components,
)
from kmodel.k8s.controllers.nodelifecycle import NodeLifecycleController, NodeLifecycleLocal
from kmodel.k8s.controllers.replicaset import ReplicaSetController
from kmodel.k8s.controllers.scheduler import Scheduler
from kmodel.k8s.faults import HISTORY_KEEP, LOSS_INDEX, LOSS_KINDS, PAUSE_SECONDS, RESTART_AFTER, STALE_LAGS
from kmodel.k8s.informers import EMPTY_CACHE, Component, ComponentState, View, cache_apply, cache_from_store
from kmodel.k8s.objects import APIObject, Key
from kmodel.k8s.state import ClusterConfig, ClusterState, ControlPlane, Variants
from kmodel.k8s.store import APIConfig, Event, EventType, Request, Result, Store
from kmodel.k8s.symmetry import decode_frame
from kmodel.k8s.usercontrollers import timeless
from kmodel.k8s.userops import apply_user_op, budget_key, initial_loads, user_budgets, user_specs

CONTAINER_SLOTS = 3  # crash_container draws index 0..2 into a node's running pods
WATCH_CACHE_SECONDS = 75  # cacher.go eventFreshDuration: the watch cache keeps at least 75s
# Steps whose outcome no name order can change: they are never taken in another frame of pod
# names (``ClusterModel._framed``).
FRAME_FREE_OPS = frozenset({"deliver", "deliver_coalesced", "tick", "skew_clock"})
RECONCILE_OPS = frozenset({"reconcile", "reconcile_lossy", "restart"})  # steps that run one reconcile
FAULT_OPS = frozenset(
    {
        "partition_node",
        "heal_node",
        "restart",
        "restart_stale",
        "deliver_coalesced",
        "reconcile_lossy",
        "skew_clock",
        "pause",
    }
)


class ClusterModel:
    """The Kubernetes control plane and nodes as a deterministic transition system."""

    def __init__(self, config: ClusterConfig) -> None:
        self.config: ClusterConfig = config
        cp = config.control_plane
        self.api = APIConfig(cp.default_not_ready_toleration_seconds, cp.default_unreachable_toleration_seconds)
        self.node_names = tuple(n.meta.name for n in config.nodes)
        from kmodel.k8s.controllers.disruption import DisruptionController, needs_scale
        from kmodel.k8s.controllers.drain import Drainer
        from kmodel.k8s.controllers.gc import GarbageCollector, collector_needed
        from kmodel.k8s.controllers.hpa import HorizontalPodAutoscalerController
        from kmodel.k8s.controllers.statefulset import StatefulSetController

        pdbs = [o for o in config.objects if o.KIND == "PodDisruptionBudget"]

        comps: list[Component] = [
            ReplicaSetController(
                expectations=config.variants.replica_set_expectations,
                edge_triggered_deletes=config.variants.replica_set_edge_triggered_deletes,
                trust_status=config.variants.replica_set_trusts_status,
            ),
            Scheduler(assume_cache=config.variants.scheduler_assume_cache),
            NodeLifecycleController(node_monitor_grace_period=cp.node_monitor_grace_period),
            # only where a Deployment exists (users cannot create one mid-run)
            *([DeploymentController()] if any(o.KIND == "Deployment" for o in config.objects) else []),
            # only where a StatefulSet exists: elsewhere it would only add steps
            *([StatefulSetController()] if any(o.KIND == "StatefulSet" for o in config.objects) else []),
            # only where an HorizontalPodAutoscaler exists (users cannot create one mid-run)
            *(
                [HorizontalPodAutoscalerController(target_kinds=hpa_targets)]
                if (hpa_targets := _hpa_target_kinds(config.objects))
                else []
            ),
            # only where an owner can be deleted: elsewhere it would only add steps
            *(
                [GarbageCollector()]
                if config.variants.garbage_collector and collector_needed(config.user, config.objects)
                else []
            ),
            # only where a PodDisruptionBudget exists (users cannot create one mid-run)
            *(
                [
                    DisruptionController(
                        track_disrupted=config.variants.disruption_controller_track_disrupted,
                        watch_workloads=any(needs_scale(b) for b in pdbs),
                    )
                ]
                if pdbs
                else []
            ),
            # kubectl drain: only where the scenario drains a node
            *([Drainer()] if any(op.op == "drain" for op in config.user) else []),
            # user controllers: control-plane components like the built-in ones
            *config.controllers,
        ]
        comps.extend(Kubelet(node=n, lease_duration_seconds=cp.node_lease_duration_seconds) for n in self.node_names)
        # Node groups (spec.nodeGroups): the cluster autoscaler, and one dormant kubelet per node a
        # group may add; it starts when its Node is created (``_join_nodes``).
        self.group_nodes = tuple(n for g in config.node_groups for n in g.node_names())
        if config.node_groups:
            from kmodel.k8s.controllers.autoscaler import ClusterAutoscaler

            comps.append(ClusterAutoscaler(groups=config.node_groups))
            comps.extend(
                Kubelet(node=n, lease_duration_seconds=cp.node_lease_duration_seconds) for n in self.group_nodes
            )
        # Service discovery only where a Service exists: elsewhere it would only add steps
        comps.extend(service_components(config.objects, self.node_names))
        # HA hook: with controlPlane.replicas > 1, the control-plane components become one copy
        # per replica process, each process led by its elector (kmodel.k8s.leaderelection); with
        # 1 replica (the default) nothing changes and no election is modelled. A user controller
        # with replicas > 1 is a group of its own (its own Lease), elected the same way.
        self.processes: dict[str, le.Process] = {}
        replicas = dict(cp.replicas)
        for uc in config.controllers:
            n = getattr(uc, "replicas", 1)
            if n > 1:
                replicas[uc.name] = n
        if any(n > 1 for n in replicas.values()):
            node_side = (Kubelet, KubeProxy, CoreDNS)
            own = (c.name for c in config.controllers)
            ha, self.processes = le.replicate((c for c in comps if not isinstance(c, node_side)), replicas, own)
            comps = ha + [c for c in comps if isinstance(c, node_side)]
        # kubeadm hook: HA replicas are static pods on the nodes labelled
        # node-role.kubernetes.io/control-plane (le.hosts); a crash of the node stops them. No
        # labelled nodes (every scenario before this): no process has a node, nothing changes.
        self.hosts: dict[str, str] = le.hosts(self.processes, config.nodes)
        self._hosted: dict[str, tuple[le.Process, ...]] = {}
        for pname, host in self.hosts.items():
            self._hosted[host] = (*self._hosted.get(host, ()), self.processes[pname])
        self._process_of = {c: p for p in self.processes.values() for c in (p.elector, *p.controllers)}
        self._electors = {p.elector: p for p in self.processes.values()}
        self.components: dict[str, Component] = {c.name: c for c in comps}
        self.component_names = tuple(self.components)
        self._properties = [*invariants.select(self, config.invariants), *config.user_invariants]
        self._observers = invariants.observers(p.name for p in self._properties)
        self._trackers = invariants.trackers(p.name for p in self._properties)
        self._stops = invariants.never_settles(p.name for p in self._properties)
        self._user_ops = {spec.op for spec in user_specs(config.user)}
        self._budgeted = frozenset(op.op for op in config.user if "times" in dict(op.params))
        self._history = dict(config.faults).get("staleRelist", 0) > 0
        self._watch_delay = dict(config.faults).get("watchDelay", 0)
        self.control_plane = tuple(
            n for n, c in self.components.items() if not isinstance(c, Kubelet | KubeProxy) and n not in self._electors
        )
        self._prompt = tuple(n for n, c in self.components.items() if hasattr(c, "sync_deadline"))
        # node of each component a partition cuts off (kubelets and kube-proxies), for ``_cut_off``
        self._node_of = {n: c.node for n, c in self.components.items() if isinstance(c, Kubelet | KubeProxy)}
        # the settle phase's candidate actions per component, built once
        self._system = tuple(
            (n, Action.of("deliver", component=n), Action.of("reconcile", component=n)) for n in self.component_names
        )
        self._initial: ClusterState | None = None
        self._memo: dict[str, tuple[ComponentState, int, Any, tuple[Request, ...]]] = {}
        self._space: list[ActionSpec] | None = None
        self.renew_interval = cp.node_lease_duration_seconds // 4
        self.quiet_period = self.renew_interval
        self._abstraction = _time_abstraction(config)
        # partial-order reduction (``ample``): sound only where every reader of the state is known
        self._por = not self._watch_delay and not config.controllers and not config.user_invariants
        self._por_excluded = frozenset(self._process_of) | frozenset(
            f"{kind}/{n}" for n in self.group_nodes for kind in ("kubelet", "kube-proxy")
        )
        # user controllers: only when each declares it keeps no times or revisions (Controller.timeless)
        self._abstract_users = all(timeless(c) for c in config.controllers)
        # Symmetry reduction (kmodel.k8s.symmetry): ``ties`` makes ``actions`` list the other
        # resolutions of scheduler score ties; ``kmodel.api.explore`` sets it with symmetry on.
        self.ties = False
        # Pod symmetry (kmodel.k8s.symmetry, "Pods"): off when a scope has too many
        # interchangeable pods at once (``kmodel.api.explore`` then explores again without it).
        self.pod_symmetry = True
        self._symmetry: Any = None

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
        for obj in [*allocate_cluster_ips(self.config.objects), *initial_loads(self.config.user)]:
            store, res = store.apply(Request("create", obj.key, obj), 0, self.api)
            if not res.ok:
                raise ValueError(f"{obj.KIND} {obj.meta.name}: {res.reason}: {res.message}")
        comps = {name: self._fresh_component(c, store) for name, c in self.components.items()}
        for name in self._process_of:  # HA replicas' controllers start only once their process leads
            if name not in self._electors:
                comps[name] = le.stopped(self.components[name], store.revision)
        for c in self.components.values():
            if isinstance(c, Kubelet):
                cs = comps[c.name]
                comps[c.name] = attrs.evolve(cs, local=KubeletLocal(last_renew=0))
                if c.node in self.group_nodes:  # dormant until its node group adds the node
                    comps[c.name] = ComponentState(cs.cursor, EMPTY_CACHE, KubeletLocal(), up=False)
        state = ClusterState(
            clock=0,
            store=store.compact(store.revision),
            components=FMap(comps),
            nodes_up=FMap((n, True) for n in self.node_names),
            faults_left=FMap((*self.config.faults, *user_budgets(self.config.user))),
        )
        if self.config.start == "settled":
            for _, settled in settle_steps(self, state):
                state = settled
        return state

    def _fresh_component(self, comp: Component, store: Store, at: int | None = None, now: int = 0) -> ComponentState:
        """A component just (re)started: empty memory, cache from a LIST at head (or at
        revision ``at``, served by a lagging API server)."""
        revision = store.revision if at is None else at
        objects = None if at is None else store.objects_at(at)
        cache = cache_from_store(store, comp.watches, objects)
        local = comp.on_relist(comp.initial_local(), View(cache, now))
        return ComponentState(cursor=revision, cache=cache, local=local)

    def fresh(self, state: ClusterState, name: str) -> ComponentState:
        """``name`` (re)started now: empty memory, a LIST at head, its own clock."""
        return self._fresh_component(self.components[name], state.store, now=self.view(state, name).now)

    def _halted(self, state: ClusterState, name: str) -> bool:
        """HA gate (kmodel.k8s.leaderelection): a component of a paused process takes no step, and
        a replica's controller runs only while its process's elector believes it leads (the
        cluster reads the elector's memory: same process). False for every other component."""
        process = self._process_of.get(name)
        if process is None:
            return False
        if process.name in state.paused:
            return True
        return name != process.elector and not le.leads(state, process)

    def _host_down(self, state: ClusterState, name: str) -> bool:
        """Whether ``name`` belongs to an HA process whose control-plane node is down (its elector
        stopped with the node: ``le.stop_process``). False for every component without hosting."""
        if not self.hosts:
            return False
        process = self._process_of.get(name)
        return process is not None and process.name in self.hosts and not state.components[process.elector].up

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
            if faults.get("nodeLoss", 0) > 0:
                space.append(ActionSpec("lose_node", "fault", (("node", self.node_names),)))
            if faults.get("containerCrash", 0) > 0:
                space.append(
                    ActionSpec(
                        "crash_container",
                        "fault",
                        (("node", self.node_names), ("index", tuple(range(CONTAINER_SLOTS)))),
                    )
                )
            space.extend(self._fault_specs(faults))
            space.extend(user_specs(self.config.user))
            self._space = space
        return self._space

    def actions(self, state: ClusterState) -> list[Action]:
        return [action for action, _ in self.successors(state)]

    def successors(self, state: ClusterState) -> list[tuple[Action, ClusterState]]:
        """Every enabled action with the state it leads to, in ``actions`` order: a step is
        the only way to tell whether an action is enabled, so the explorer takes both at once
        instead of stepping each action twice. With ``ties`` on, also the scheduler's other tie
        resolutions and every action taken in another frame of pod names (``_framed``)."""
        out = []
        for spec in self.action_space():
            for action in expand(spec):
                nxt = self.step(state, action)
                if nxt is not None:
                    out.append((action, nxt))
                    if self.ties and action.op == "reconcile":
                        out.extend(self._tie_variants(state, action.arg("component")))
        if self.ties:
            out = self._framed(state, out)
        return out

    def _framed(
        self, state: ClusterState, plain: list[tuple[Action, ClusterState]]
    ) -> list[tuple[Action, ClusterState]]:
        """``plain`` and, after each of its actions, the same action with ``frame=F`` for every
        renaming F of ``state``'s interchangeable pods (``kmodel.k8s.symmetry``, "Pods") that
        leads elsewhere. Upstream, generated pod names end in random characters, so whatever
        order two pods of one ReplicaSet are taken in by name (a kubelet's status writes, the
        scheduler's queue, which surplus pod is deleted) is one of all possible orders; kmodel's
        names come from a counter, so each component sees one fixed order. ``frame=F`` takes the
        action as if the pods carried each other's names (``_step_in_frame``), which makes the
        successor set closed under pod renamings, as the symmetry reduction needs."""
        sym = self._sym()
        frames = sym.frames(state)
        if not frames:
            return plain
        out = []
        for action, nxt in plain:
            out.append((action, nxt))
            if action.op in FRAME_FREE_OPS:
                continue
            # A component whose cache and memory hold none of the renamed pods reconciles the
            # same way in the frame: its requests name none of them, so the frame's step renamed
            # back is the plain step. Skipped without stepping.
            comp = state.components.get(action.arg("component")) if action.op in RECONCILE_OPS else None
            seen = {nxt}
            for frame, mapping in frames:
                if comp is not None and sym.rename_pods(comp, mapping) is comp:
                    continue
                alt = self._in_frame(state, action, frame, mapping, None)
                if alt is not None and alt not in seen:
                    seen.add(alt)
                    out.append((Action(action.op, tuple(sorted((*action.args, ("frame", frame))))), alt))
        return out

    def _step_in_frame(
        self, state: ClusterState, action: Action, frame: Any, log: list[str] | None
    ) -> ClusterState | None:
        """``action`` (with its ``frame`` argument) as ``step`` takes it: None when ``frame`` is
        not a renaming of ``state``'s interchangeable pods."""
        mapping = self._sym().frame_mapping(state, frame)
        if mapping is None or action.op in FRAME_FREE_OPS:
            return None
        return self._in_frame(state, self.plain_action(action), frame, mapping, log)

    def _in_frame(
        self, state: ClusterState, action: Action, frame: str, mapping: dict[str, str], log: list[str] | None
    ) -> ClusterState | None:
        """``action`` in the frame ``frame`` (``_framed``), whose renaming is ``mapping``: the
        pods are renamed, the action is taken, and the result is renamed back."""
        sym = self._sym()
        sub: list[str] | None = [] if log is not None else None
        nxt = self.step(sym.rename_pods(state, mapping), action, sub)
        if nxt is None:
            return None
        inverse = {b: a for a, b in mapping.items()}
        if log is not None and sub is not None:
            swaps = ", ".join(f"{a} as {b}" for a, b in decode_frame(frame) or ())
            log.append(f"(pods taken in another name order: {swaps})")
            log.extend(sym.rename_pods(line, inverse) for line in sub)
        return sym.rename_pods(nxt, inverse)  # type: ignore[no-any-return]

    def _tie_variants(self, state: ClusterState, name: str) -> list[tuple[Action, ClusterState]]:
        """``reconcile(component=NAME, node=N)`` for each top-scoring node N of a scheduler's
        tie other than the one its plain reconcile picks (``Scheduler.tied_hosts``), with the
        state each leads to."""
        comp = self.components[name]
        tied_hosts = getattr(comp, "tied_hosts", None)
        if tied_hosts is None:
            return []
        cs = state.components[name]
        tied = tied_hosts(cs.local, self.view(state, name))
        out = []
        for node in tied[1:]:  # tied[0], the lowest name, is the plain reconcile's choice
            action = Action.of("reconcile", component=name, node=node)
            nxt = self.step(state, action)
            if nxt is not None:
                out.append((action, nxt))
        return out

    def tie_actions(self) -> list[Action]:
        """Every tie variant ``actions`` may list (for replaying explorer traces)."""
        return [
            Action.of("reconcile", component=name, node=node)
            for name, comp in self.components.items()
            if hasattr(comp, "tied_hosts")
            for node in (*self.node_names, *self.group_nodes)
        ]

    def fairness_key(self, action: Action) -> Action:
        """Weak fairness is per component: the tie variants of one reconcile are one fair action
        ("the scheduler eventually reconciles"), whichever node it then picks; an action taken
        in another frame of pod names is the same fair action as the plain one."""
        if action.op == "reconcile" and len(action.args) > 1:
            return Action.of("reconcile", component=action.arg("component"))
        if any(k == "frame" for k, _ in action.args):
            return self.plain_action(action)
        return action

    def plain_action(self, action: Action) -> Action:
        """``action`` without the explorer's variant arguments (a scheduler tie's ``node`` is
        kept; a pod ``frame`` is dropped), for checking that a trace's step belongs to this
        scenario."""
        return Action(action.op, tuple((k, v) for k, v in action.args if k != "frame"))

    def _sym(self) -> Any:
        if self._symmetry is None:
            from kmodel.k8s.symmetry import symmetry

            self._symmetry = symmetry(self.config, self.initial(), pods=self.pod_symmetry)
        return self._symmetry

    def representative(self, state: ClusterState) -> ClusterState:
        """The canonical member of ``state``'s class under renaming interchangeable nodes and
        pods (``kmodel.k8s.symmetry``); the state itself where the reduction is off."""
        return self._sym().representative(state)  # type: ignore[no-any-return]

    def symmetry_active(self) -> bool:
        """Whether ``representative`` can merge anything: some nodes are interchangeable, or
        the scenario's workloads create pods with generated names, and nothing turns the
        reduction off."""
        return bool(self._sym().active)

    def system_actions(self, state: ClusterState) -> list[Action]:
        if self._never_settles(state):
            return []
        out = []
        comps = state.components
        for name, deliver, reconcile in self._system:
            if comps[name].up:
                out.append(deliver)
                out.append(reconcile)
        return out

    def _never_settles(self, state: ClusterState) -> bool:
        """A recorded violation of a ``never_settles`` invariant (an HPA flapping
        under constant load) proves the cluster cannot become quiescent, so the settle phase
        stops there instead of running its full step budget; the invariant reports it."""
        return bool(self._stops) and any(n in state.monitor for n in self._stops)

    def time_action(self, state: ClusterState) -> Action | None:
        if self._never_settles(state):
            return None
        return Action("tick") if self._next_deadline(state) is not None else None

    def properties(self) -> Sequence[Property[ClusterState]]:
        return self._properties

    def clock(self, state: ClusterState) -> int:
        return state.clock

    def pending_until(self, state: ClusterState) -> int:
        """When every timer that could still change a quiescent cluster has fired.

        Such timers are: each component's ``settle_deadline`` (e.g. expiring ReplicaSet
        expectations), pending container restarts (CrashLoopBackOff), scheduled evictions,
        and, for a crashed or partitioned node not yet marked Unknown, the node lifecycle
        controller's grace period. Heartbeats change nothing once the cluster is quiescent.
        """
        until = state.clock
        for name, cs in state.components.items():
            local = cs.local
            offset = state.offsets.get(name, 0)
            if cs.up:
                t = self.components[name].settle_deadline(local, self.view(state, name))
                if t is not None:
                    until = max(until, t - offset)
            if isinstance(local, KubeletLocal):
                for rt in local.pods.values():
                    t = rt.last_timer()  # restart, readiness or end of termination
                    if t is not None:
                        until = max(until, t - offset)
            elif isinstance(local, NodeLifecycleLocal) and not self._host_down(state, name):
                for t in local.evict_at.values():
                    until = max(until, t - offset)
                for node, up in state.nodes_up.items():
                    stored = state.store.get(("Node", "", node))
                    silent = not up or state.partitioned.get(node, False)
                    if silent and stored is not None and stored.ready_status() != "Unknown":
                        h = local.health.get(node)
                        probe = h.probe - offset if h is not None else state.clock
                        until = max(until, probe + self.config.control_plane.node_monitor_grace_period + 1)
        if self.processes:  # pauses end, and a group without a leader elects one
            until = max(until, *state.paused.values(), le.election_pending(self, state, self.processes))
        return until

    def abstract(self, state: ClusterState) -> ClusterState:
        """The explorer's view of a state: clock translated, distant past forgotten, revisions
        renumbered (``kmodel.k8s.abstraction``). Equal abstractions behave alike."""
        if not self._abstract_users:
            # a user controller's memory and custom objects may hold times kmodel cannot see
            return state
        return self._abstraction.abstract(self._forget_delivered(state))  # type: ignore[no-any-return]

    def ample(self, state: ClusterState, succ: Sequence[tuple[Action, ClusterState]]) -> int | None:
        """Partial-order reduction for ``explore`` (the ample-set method: Peled 1993, "All from
        one, one for all"; Clarke, Grumberg and Peled, *Model Checking*, ch. 10): the index in
        ``succ`` of a ``deliver(c)`` that may be explored alone, or None to expand every action.

        Delivering a watch event to ``c`` changes only ``c``'s cache and memory. It is chosen
        alone when:

        - C1 (independence): no other enabled action touches ``c`` (``_touches``: its own
          reconcile, a fault aimed at it or its node, a clock move), and ``c``'s reconcile from
          its current view sends nothing and changes nothing, so no other component's write can
          make ``c`` act before it sees the event (its output does not depend on the store).
          Other components' steps only append to the watch log past ``c``'s pending event, so
          they commute with the delivery; with ``faults.watchDelay`` 0 the clock cannot move
          while ``c`` has an undelivered event (``_tick``), so nothing else can reach ``c`` first.
        - C2 (invisibility): the delivery leaves unchanged what the invariants read
          (``truth_key``).
        - C3 (cycle proviso): the explorer expands fully when the delivery's successor is a
          state it has already seen, so every cycle has a fully expanded state.

        Lag is not lost: a component that has work (its reconcile would send something) is never
        forced to catch up first, so every interleaving in which it acts on a stale cache is
        still explored. Off (None) with user controllers or user invariants (they may read any
        part of the state) and with ``watchDelay``; components of leader-elected processes and
        node-group kubelets are never chosen (an elector's step or the autoscaler can stop them).
        """
        if not self._por:
            return None
        blocked: set[str] = set()
        delivers: list[int] = []
        for i, (action, _) in enumerate(succ):
            if action.op == "deliver":
                delivers.append(i)  # deliveries to different components are independent
                continue
            touched = self._touches(action)
            if touched is None:
                return None
            blocked.update(touched)
        if not delivers:
            return None
        truth = self.truth_key(state)
        for i in delivers:
            action, nxt = succ[i]
            c = action.arg("component")
            if c in blocked or c in self._por_excluded:
                continue
            cs = state.components[c]
            local, reqs = self._reconcile_memo(c, cs, self.view(state, c))
            if reqs or local != cs.local:
                continue
            after = self.truth_key(nxt)
            if len(after) == len(truth) and all(a is b or a == b for a, b in zip(after, truth, strict=True)):
                return i
        return None

    def _touches(self, action: Action) -> tuple[str, ...] | None:
        """The components whose cache, memory or liveness ``action`` may read or change besides
        the store (None: any of them, or the clock)."""
        op = action.op
        if op in ("reconcile", "restart", "restart_stale", "deliver_coalesced", "reconcile_lossy"):
            return (action.arg("component"),)
        if op in ("crash_node", "lose_node", "recover_node", "partition_node", "heal_node"):
            node = action.arg("node")
            return (f"kubelet/{node}", f"kube-proxy/{node}")
        if op == "crash_container":
            return (f"kubelet/{action.arg('node')}",)
        if op != "request" and op in self._user_ops:
            return ()  # kubectl-like user steps write the store only
        return None  # tick, skew_clock, pause, request (reads kube-proxy tables)

    def _forget_delivered(self, state: ClusterState) -> ClusterState:
        """Drop the watch events every connected, running watcher has received, when nothing can
        read them any more: the 75s watch-cache window (``_compact``) is only read by a healing
        partition (``_heal_node``) and the lagging-API-server history only by ``restart_stale``,
        so without partitions (none now, no budget left) and without ``faults.staleRelist`` the
        delivered past is unobservable. The order in which independent writes were *seen* then
        stops telling states apart."""
        if self._history or state.partitioned or state.faults_left.get("nodePartition", 0) > 0:
            return state
        store = state.store
        if not store.events:
            return state
        low = min((cs.cursor for cs in state.components.values() if cs.up), default=store.revision)
        if store.events[0].revision > low:
            return state
        return attrs.evolve(state, store=store.compact(low))

    def truth_key(self, state: ClusterState) -> tuple[object, ...]:
        """What invariants read: the store, history variables, node states and what each
        kubelet's runtime is actually running (e.g. two running pods with one identity)."""
        runtimes = tuple(cs.local.pods for cs in state.components.values() if isinstance(cs.local, KubeletLocal))
        return (state.store.objects, state.monitor, state.nodes_up, state.partitioned, *runtimes)

    def progress_key(self, state: ClusterState) -> Hashable:
        objs = tuple(o for k, o in state.store.objects.items() if k[0] != "Lease")
        runtimes = tuple(
            (name, cs.local.pods) for name, cs in state.components.items() if isinstance(cs.local, KubeletLocal)
        )
        return objs, state.nodes_up, runtimes

    def step(self, state: ClusterState, action: Action, log: list[str] | None = None) -> ClusterState | None:
        op = action.op
        if any(k == "frame" for k, _ in action.args):
            return self._step_in_frame(state, action, action.arg("frame"), log)
        if op == "deliver":
            nxt = self._deliver(state, action.arg("component"), log)
        elif op == "reconcile":
            if len(action.args) > 1:  # a tie variant: reconcile(component, node)
                nxt = self._reconcile(state, action.arg("component"), log, host=action.arg("node"))
            else:
                nxt = self._reconcile(state, action.arg("component"), log)
        elif op == "tick":
            nxt = self._tick(state, log)
        elif op == "crash_node":
            nxt = self._crash_node(state, action.arg("node"), log)
        elif op == "lose_node":
            nxt = self._lose_node(state, action.arg("node"), log)
        elif op == "recover_node":
            nxt = self._recover_node(state, action.arg("node"), log)
        elif op == "crash_container":
            nxt = self._crash_container(state, action.arg("node"), action.arg("index"), log)
        elif op in FAULT_OPS:
            nxt = getattr(self, f"_{op}")(state, log, **dict(action.args))
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

    def view(self, state: ClusterState, name: str, cache: Any = None) -> View:
        """What ``name`` sees: its cache (or ``cache``) and its own clock."""
        c = state.components[name].cache if cache is None else cache
        return View(c, state.clock + state.offsets.get(name, 0))

    def _reconcile_memo(self, name: str, cs: ComponentState, view: View) -> tuple[Any, list[Request]]:
        """``reconcile`` is a pure function of (local, cache, now); most steps leave a given
        component's state object untouched, so the last result per component is reused when
        the same object is asked about at the same instant (checked by identity: cheap and
        exact). This is a cache outside the model state; it changes no result."""
        hit = self._memo.get(name)
        if hit is not None and hit[0] is cs and hit[1] == view.now:
            return hit[2], list(hit[3])
        local, reqs = self.components[name].reconcile(cs.local, view)
        self._memo[name] = (cs, view.now, local, tuple(reqs))
        return local, reqs

    def _cut_off(self, state: ClusterState, name: str) -> bool:
        if not state.partitioned:
            return False
        node = self._node_of.get(name)
        return node is not None and bool(state.partitioned.get(node))

    def _pending(self, state: ClusterState, name: str) -> list[Any]:
        """The watch events ``name`` has yet to see, in order (skipping coalesced ones)."""
        cs = state.components[name]
        comp = self.components[name]
        return [ev for ev in state.store.events_after(cs.cursor) if ev.revision not in cs.skip and comp.watches(ev.obj)]

    def _first_pending(self, state: ClusterState, name: str) -> Any:
        """The next watch event ``name`` has yet to see, or None (cheaper than ``_pending``)."""
        cs = state.components[name]
        watches = self.components[name].watches
        skip = cs.skip
        for ev in state.store.events_after(cs.cursor):
            if (not skip or ev.revision not in skip) and watches(ev.obj):
                return ev
        return None

    def _deliver(self, state: ClusterState, name: str, log: list[str] | None) -> ClusterState | None:
        cs = state.components.get(name)
        if cs is None or not cs.up or self._cut_off(state, name) or self._halted(state, name):
            return None
        ev = self._first_pending(state, name)
        if ev is None:
            return None
        return self._apply_event(state, name, ev, (), log)

    def _apply_event(
        self, state: ClusterState, name: str, ev: Any, skipped: tuple[int, ...], log: list[str] | None
    ) -> ClusterState:
        cs = state.components[name]
        comp = self.components[name]
        old = self.view(state, name).get(ev.key)
        cache = cache_apply(cs.cache, ev)
        local = comp.on_event(cs.local, ev, old, self.view(state, name, cache))
        if log is not None:
            extra = f", skipping {len(skipped)} intermediate states" if skipped else ""
            log.append(f"{name} sees {ev.type} {_fmt_key(ev.key)} (rv {ev.revision}{extra})")
        skip = tuple(sorted(r for r in (*cs.skip, *skipped) if r > ev.revision))
        cs = evolve(cs, cursor=ev.revision, cache=cache, local=local, skip=skip)
        return evolve(state, components=state.components.set(name, cs))

    def _reconcile(
        self,
        state: ClusterState,
        name: str,
        log: list[str] | None,
        cut_after: int | None = None,
        lose: tuple[int, str] | None = None,
        host: str | None = None,
    ) -> ClusterState | None:
        """One reconcile. ``cut_after``: the component crashes after that many writes (they
        are applied; the rest are not) and restarts. ``lose``: (index, "request"|"response")
        — that request never arrives, or arrives and its response is lost.

        Batches (``Request.batch``): the requests of one reconcile are applied in order, but once
        a request with a batch number fails (for any reason, a lost request or response
        included), every later request whose batch number is greater is not sent and the
        component gets ``Result(False, "Skipped")`` for it through ``on_result``. This is how a
        component that, upstream, waits for a batch before sending the next one
        (``slowStartBatch`` in ``pkg/controller/replicaset/replica_set.go``) says "stop after
        this failed" while still returning its requests up front. Requests without a batch
        number are always sent. A ``lose`` aimed at a request that is skipped is not enabled
        (the fault would change nothing). ``host``: a scheduler binds to that node of a score
        tie (not enabled when it is not one of the tied nodes other than the default choice)."""
        cs = state.components.get(name)
        if cs is None or not cs.up or self._halted(state, name):
            return None
        if host is not None:
            comp = self.components[name]
            tied = getattr(comp, "tied_hosts", lambda *_: ())(cs.local, self.view(state, name))
            if host not in tied[1:]:
                return None
        elif cut_after is None and lose is None:
            # fast path for the common no-op: the memoised reconcile of this very component
            # state at this instant sent nothing and changed nothing (see the check below)
            hit = self._memo.get(name)
            if (
                hit is not None
                and hit[0] is cs
                and not hit[3]
                and hit[1] == state.clock + state.offsets.get(name, 0)
                and hit[2] == cs.local
            ):
                return None
        comp = self.components[name]
        view = self.view(state, name)
        if host is not None:
            local, reqs = comp.reconcile(cs.local, view, host=host)  # type: ignore[call-arg]
        else:
            local, reqs = self._reconcile_memo(name, cs, view)
        process = self._process_of.get(name)
        if process is not None and name != process.elector:
            # an HA replica's writes carry the lease epoch its elector believes it holds
            epoch = state.components[process.elector].local.epoch
            reqs = [evolve(r, fence=epoch) if r.verb != "get" else r for r in reqs]
        if cut_after is not None and len(reqs) < cut_after:
            return None
        if lose is not None and len(reqs) <= lose[0]:
            return None
        if cut_after is None and lose is None and not reqs and local == cs.local:
            return None
        cut = self._cut_off(state, name)
        store = state.store
        monitor = state.monitor
        failed_batch: int | None = None  # the lowest batch number that failed so far
        for i, req in enumerate(reqs):
            if cut_after is not None and i >= cut_after:
                if log is not None:
                    log.append(f"{name}: crashed before sending {req}")
                break
            if failed_batch is not None and req.batch is not None and req.batch > failed_batch:
                if lose is not None and lose[0] == i:
                    return None
                res = Result(False, "Skipped", f"not sent: a request of batch {failed_batch} failed")
                local = comp.on_result(local, req, res, view)
                if log is not None:
                    log.append(f"{name}: skips {req} (batch {failed_batch} failed)")
                continue
            if cut or (lose is not None and lose == (i, "request")):
                res = Result(False, "NetworkError", "the request never reached the API server")
            elif (
                self.config.variants.fenced_leader_election
                and process is not None
                and (fenced := le.fence_rejection(store, process, req)) is not None
            ):
                res = fenced  # kmodel variant: the API server checks the fencing token
            else:
                before = store
                store, res = store.apply(req, state.clock, self.api)
                if self._observers or self._trackers:
                    monitor = self._observe(before, req, res, name, monitor)
                if lose is not None and lose == (i, "response"):
                    applied = "applied" if res.ok else f"{res.reason}"
                    if log is not None:
                        log.append(f"{name}: {req} → {applied}, but the response was lost")
                    res = Result(False, "NetworkError", "the response was lost")
                    failed_batch = _failed_batch(failed_batch, req, res)
                    local = comp.on_result(local, req, res, view)
                    continue
            failed_batch = _failed_batch(failed_batch, req, res)
            local = comp.on_result(local, req, res, view)
            if log is not None:
                log.append(f"{name}: {_fmt_result(req, res)}")
        if cut_after is not None:
            fresh = self._fresh_component(comp, store, now=view.now)
            if log is not None:
                log.append(f"{name} restarted: in-memory state lost, relisted at rv {store.revision}")
            new_cs = evolve(fresh, skip=())
            if new_cs == cs and store is state.store:
                return None
            return evolve(state, store=store, monitor=monitor, components=state.components.set(name, new_cs))
        if store is state.store and monitor is state.monitor and local == cs.local:
            return None  # every request failed or changed nothing: the step is a no-op
        if log is not None and not reqs:
            log.append(f"{name}: no API calls (in-memory state updated)")
        cs = evolve(cs, local=local)
        nxt = evolve(state, store=store, monitor=monitor, components=state.components.set(name, cs))
        if self.group_nodes and store is not state.store:
            nxt = self._join_nodes(nxt, log)
        if name in self._electors:  # HA hook: start or stop the process's controllers
            nxt = le.on_elector_step(self, state, nxt, self._electors[name], log)
        return nxt

    def _join_nodes(self, state: ClusterState, log: list[str] | None) -> ClusterState:
        """A node group's node that now exists in the API gets its kubelet started (fresh, with
        its Lease created, as kubelet registration does); one whose Node is gone has it stopped."""
        comps = state.components
        store = state.store
        nodes_up = state.nodes_up
        for node in self.group_nodes:
            name = f"kubelet/{node}"
            exists = store.get(("Node", "", node)) is not None
            if exists and not comps[name].up:
                lease = node_lease(node, state.clock, self.config.control_plane.node_lease_duration_seconds)
                store, _ = store.apply(Request("create", lease.key, lease), state.clock, self.api)
                fresh = self._fresh_component(self.components[name], store, now=state.clock)
                comps = comps.set(name, attrs.evolve(fresh, local=KubeletLocal(last_renew=state.clock)))
                nodes_up = nodes_up.set(node, True)
                if log is not None:
                    log.append(f"{node} registered: its kubelet starts")
            elif not exists and comps[name].up:
                # the Node was deleted (scale-down): the machine is gone, its kubelet stops, and its
                # Lease (owned by the Node upstream) goes with it
                cs = comps[name]
                comps = comps.set(name, ComponentState(cs.cursor, EMPTY_CACHE, KubeletLocal(), up=False))
                lease_key = node_lease(node, None, 0).key
                if store.get(lease_key) is not None:
                    store, _ = store.apply(Request("delete", lease_key), state.clock, self.api)
                nodes_up = nodes_up.delete(node)
                if log is not None:
                    log.append(f"{node} removed: its kubelet stops")
        if comps is state.components:
            return state
        return attrs.evolve(state, store=store, components=comps, nodes_up=nodes_up)

    def _observe(self, before: Store, req: Request, res: Result, who: str, monitor: FMap[str, str]) -> FMap[str, str]:
        """Run the selected history invariants' observers on one applied request
        (``Invariant.observer``, ``Invariant.tracker``); the first violation of each is kept."""
        for inv, observe in self._observers:
            if inv not in monitor:
                msg = observe(before, req, res, who)
                if msg is not None:
                    monitor = monitor.set(inv, msg)
        for inv, track in self._trackers:
            if inv not in monitor:
                monitor = track(before, req, res, who, monitor)
        return monitor

    def _next_deadline(self, state: ClusterState) -> int | None:
        """The earliest true time at which a running component has a timer (component timers
        are on the component's own clock)."""
        best: int | None = None
        for end in state.paused.values():  # a paused HA process resumes
            if best is None or end < best:
                best = end
        for name, comp in self.components.items():
            cs = state.components[name]
            if not cs.up or (state.paused and self._halted(state, name)):
                continue
            t = comp.next_deadline(cs.local, self.view(state, name))
            if t is None:
                continue
            t -= state.offsets.get(name, 0)
            if t > state.clock and (best is None or t < best):
                best = t
        return best

    def _busy(self, state: ClusterState) -> bool:
        """Whether a running component still has work at this instant: its reconcile would
        change something (a due timer, a queued key). Time does not pass such work
        (``_tick``) unless ``faults.watchDelay`` lets processes be slow."""
        if self._watch_delay:
            return False
        for name in self.component_names:
            cs = state.components[name]
            if not cs.up or (state.paused and self._halted(state, name)):
                continue
            if self._reconcile(state, name, None) is not None:
                return True
        return False

    def _tick(self, state: ClusterState, log: list[str] | None) -> ClusterState | None:
        """Advance the true clock to the next timer.

        Work is prompt too: the clock does not move while a running component's reconcile would
        still change something (``_busy``): its due timers and queued keys are handled at the
        instant they come up, in any order and interleaving with the others. Without this the
        adversary could postpone any component's periodic work across ticks and the phases of
        the components' timers would drift apart without bound: unfaithful (a running process
        handles its work in milliseconds; a stalled one is the ``processPause`` fault, a slow
        API server the ``watchDelay`` fault, which also lifts this bound) and an unbounded state
        space for the explorer.

        Watches are prompt: time does not move more than ``faults.watchDelay`` seconds (default
        0) past a watch event that a running, connected component has not yet received. Lag
        within an instant is unbounded, which is where the informer races are; an adversary
        that may also hold events while timers fire (a slow or overloaded API server) is the
        ``watchDelay`` fault. Without this bound every time-based promise (expectations
        expiring after 5 minutes, node grace periods) would fail by the adversary simply
        never delivering events.
        """
        t = self._next_deadline(state)
        if t is None:
            return None
        for name in self.component_names:
            if not state.components[name].up or self._cut_off(state, name) or self._halted(state, name):
                continue  # a paused process's events wait for it
            first = self._first_pending(state, name)
            if first is not None and first.time + self._watch_delay < t:
                return None
        if self._prompt and self._overdue(state, t):
            return None
        if self._busy(state):
            return None
        if log is not None:
            log.append(f"clock {state.clock}s → {t}s")
        nxt = evolve(state, clock=t)
        if state.paused:
            resumed = [p for p, end in state.paused.items() if end <= t]
            if resumed:
                if log is not None:
                    log.append(f"{', '.join(resumed)} resume{'s' if len(resumed) == 1 else ''} after a pause")
                paused = state.paused
                for p in resumed:
                    paused = paused.delete(p)
                nxt = evolve(nxt, paused=paused)
        return nxt

    def _crash_node(
        self, state: ClusterState, node: str, log: list[str] | None, fault: str = "nodeCrash", how: str = "crashed"
    ) -> ClusterState | None:
        """The node stops (``crash_node``; ``lose_node`` with ``fault="nodeLoss"``): its kubelet
        and containers, its kube-proxy and the HA replicas it hosts; spends ``fault``."""
        if not state.nodes_up.get(node) or state.faults_left.get(fault, 0) <= 0:
            return None
        name = f"kubelet/{node}"
        cs = state.components[name]
        if log is not None:
            pods = sorted(rt.name for rt in cs.local.pods.values() if rt.running)
            log.append(f"{node} {how}: kubelet stopped; containers of {', '.join(pods) or 'no pods'} gone")
        down = ComponentState(cursor=cs.cursor, cache=EMPTY_CACHE, local=KubeletLocal(), up=False)
        nxt = attrs.evolve(
            state,
            components=self._node_proxy(state.components.set(name, down), node, None),
            nodes_up=state.nodes_up.set(node, False),
            faults_left=state.faults_left.set(fault, state.faults_left[fault] - 1),
        )
        for process in self._hosted.get(node, ()):  # its static pods (control-plane replicas) die with it
            nxt = le.stop_process(self, nxt, process)
            if log is not None:
                log.append(f"{process.name} on {node} stopped: it renews nothing and its memory is lost")
        return nxt

    def _lose_node(self, state: ClusterState, node: str, log: list[str] | None) -> ClusterState | None:
        """``lose_node``: the node stops as in ``crash_node`` and is recorded in ``lost``, so it
        never recovers (a terminated VM, dead hardware; ``kmodel.k8s.faults``, ``nodeLoss``).
        Upstream its Node stays NotReady/Unknown until deleted by a person or by the cloud
        node-lifecycle controller
        (``staging/src/k8s.io/cloud-provider/controllers/nodelifecycle/node_lifecycle_controller.go:
        MonitorNodes``), neither modelled: the Node object stays, tainted unreachable, and its
        pods are evicted after their toleration like a crashed node's."""
        nxt = self._crash_node(state, node, log, fault="nodeLoss", how="lost for good")
        if nxt is None:
            return None
        return attrs.evolve(nxt, lost=nxt.lost.set(node, True))

    def _recover_node(self, state: ClusterState, node: str, log: list[str] | None) -> ClusterState | None:
        if state.nodes_up.get(node, True) or node in state.lost:
            return None
        name = f"kubelet/{node}"
        comp = self.components[name]
        fresh = self._fresh_component(comp, state.store)
        if log is not None:
            log.append(f"{node} recovered: kubelet starts and relists at rv {state.store.revision}")
        nxt = attrs.evolve(
            state,
            components=self._node_proxy(state.components.set(name, fresh), node, state.store),
            nodes_up=state.nodes_up.set(node, True),
        )
        for process in self._hosted.get(node, ()):  # the kubelet starts its static pods again
            nxt = le.start_process(self, nxt, process)
            if log is not None:
                incarnation = nxt.components[process.elector].local.incarnation
                log.append(f"{process.name} starts again on {node} as {process.name}_{incarnation}")
        return nxt

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
        exited = crashed(cs.local.pods[uid], self.view(state, name).now)  # FinishedAt, on the kubelet's clock
        local = attrs.evolve(cs.local, pods=cs.local.pods.set(uid, exited))
        if log is not None:
            log.append(f"container of {pod_name} on {node} exited")
        return attrs.evolve(
            state,
            components=state.components.set(name, attrs.evolve(cs, local=local)),
            faults_left=state.faults_left.set("containerCrash", state.faults_left["containerCrash"] - 1),
        )

    def _user(self, state: ClusterState, action: Action, log: list[str] | None) -> ClusterState | None:
        if action.op == "request":
            return self._request(state, action, log)
        op = next((o for o in self.config.user if o.op == action.op and o.target_name == action.arg("target")), None)
        budget = budget_key(op) if op is not None and op.op in self._budgeted else None
        if budget is not None and state.faults_left.get(budget, 0) <= 0:
            return None
        applied = apply_user_op(state.store, self.config.user, action.op, dict(action.args), state.clock, self.api)
        if applied is None:
            return None
        store, what = applied
        if log is not None:
            log.append(what)
        if budget is not None:
            return attrs.evolve(
                state, store=store, faults_left=state.faults_left.set(budget, state.faults_left[budget] - 1)
            )
        return attrs.evolve(state, store=store)

    # -- Services: kube-proxies follow their node; client requests (see controllers.kubeproxy) --

    def _node_proxy(
        self, comps: FMap[str, ComponentState], node: str, store: Store | None
    ) -> FMap[str, ComponentState]:
        """The node's kube-proxy, if any, stops with a crash (its rules go with the node's kernel)
        or starts fresh and relists from ``store`` on recovery."""
        name = f"kube-proxy/{node}"
        if name not in comps:
            return comps
        if store is None:
            return comps.set(name, ComponentState(comps[name].cursor, EMPTY_CACHE, ProxyLocal(), up=False))
        return comps.set(name, self._fresh_component(self.components[name], store))

    def _reconnect_proxy(self, state: ClusterState, node: str, log: list[str] | None) -> ClusterState:
        """On healing, the node's kube-proxy re-watches like the kubelet (see ``_heal_node``)."""
        name = f"kube-proxy/{node}"
        cs = state.components.get(name)
        if cs is None or not cs.up:
            return state
        events = state.store.events
        if state.store.revision > cs.cursor and (not events or events[0].revision > cs.cursor + 1):
            if log is not None:
                log.append(f"{name}'s watch from rv {cs.cursor} is too old, so it relists at rv {state.store.revision}")
            return self._relist(state, name)
        return state

    def _overdue(self, state: ClusterState, t: int) -> bool:
        """Whether moving the true clock to ``t`` would pass a sync a running, connected component
        owes (the EndpointSlice controller's queue, a kube-proxy's pending rules)."""
        for name in self._prompt:
            cs = state.components[name]
            if not cs.up or self._cut_off(state, name) or self._halted(state, name):
                continue
            d = self.components[name].sync_deadline(cs.local, self.view(state, name))  # type: ignore[attr-defined]
            if d is not None and d - state.offsets.get(name, 0) < t:
                return True
        return False

    def _request(self, state: ClusterState, action: Action, log: list[str] | None) -> ClusterState | None:
        """A client request (``kmodel.k8s.controllers.kubeproxy.route_request``). It changes the state
        only when it reaches a pod whose container is not running: the history variable
        ``NoTrafficToDeadPods`` records the first such request."""
        if "NoTrafficToDeadPods" in state.monitor:
            return None
        target = action.arg("target")
        svc = next((op.target for op in self.config.user if op.op == "request" and op.target_name == target), None)
        service = state.store.get(svc) if svc is not None else None
        if service is None:
            return None
        routed = route_request(state, service, action.arg("node"), action.arg("index"))
        if routed is None or routed.running:
            return None
        b = routed.backend
        pod = state.store.get(("Pod", service.meta.namespace, b.pod_name))
        if pod is None or pod.meta.uid != b.pod_uid:
            where = "deleted from the API"
        elif pod.meta.deletion_timestamp is not None:
            where = "Terminating"
        else:
            where = "not deleted"
        msg = (
            f"a request to Service {service.meta.namespace}/{service.meta.name} from {action.arg('node')} went "
            f"through {routed.via} to pod {b.pod_name} ({b.ip}) on {b.node}, whose container is not running "
            f"(pod {where})"
        )
        if log is not None:
            log.append(f"client on {action.arg('node')} → {routed.via} → {b.pod_name}: container not running")
        return attrs.evolve(state, monitor=state.monitor.set("NoTrafficToDeadPods", msg))

    # -- faults beyond crashes (see kmodel.k8s.faults) ---------------------------------------

    def _fault_specs(self, faults: dict[str, int]) -> list[ActionSpec]:
        cp = self.control_plane
        specs = []
        if faults.get("nodePartition", 0) > 0:
            specs.append(ActionSpec("partition_node", "fault", (("node", self.node_names),)))
            specs.append(ActionSpec("heal_node", "fault", (("node", self.node_names),)))
        if faults.get("componentRestart", 0) > 0:
            specs.append(ActionSpec("restart", "fault", (("component", cp), ("after", RESTART_AFTER))))
        if faults.get("staleRelist", 0) > 0:
            specs.append(ActionSpec("restart_stale", "fault", (("component", cp), ("lag", STALE_LAGS))))
        if faults.get("coalesce", 0) > 0:
            specs.append(ActionSpec("deliver_coalesced", "fault", (("component", self.component_names),)))
        if faults.get("requestLoss", 0) > 0:
            specs.append(
                ActionSpec(
                    "reconcile_lossy",
                    "fault",
                    (("component", self.component_names), ("index", LOSS_INDEX), ("lost", LOSS_KINDS)),
                )
            )
        skew = faults.get("clockSkew", 0)
        if skew > 0:
            # an HA replica's components share its process clock: skew the process as one
            clocks = tuple(dict.fromkeys(getattr(self._process_of.get(n), "name", n) for n in self.component_names))
            specs.append(ActionSpec("skew_clock", "fault", (("component", clocks), ("offset", (-skew, 0, skew)))))
        if faults.get("processPause", 0) > 0 and self.processes:
            specs.append(ActionSpec("pause", "fault", (("process", tuple(self.processes)), ("seconds", PAUSE_SECONDS))))
        return specs

    def _spend(self, state: ClusterState, fault: str) -> ClusterState | None:
        left = state.faults_left.get(fault, 0)
        if left <= 0:
            return None
        return attrs.evolve(state, faults_left=state.faults_left.set(fault, left - 1))

    def _partition_node(self, state: ClusterState, log: list[str] | None, node: str) -> ClusterState | None:
        if state.partitioned.get(node) or not state.nodes_up.get(node):
            return None
        spent = self._spend(state, "nodePartition")
        if spent is None:
            return None
        if log is not None:
            who = "kubelet and kube-proxy" if f"kube-proxy/{node}" in self.components else "kubelet"
            log.append(f"{node} partitioned: its {who} can no longer reach the API server; containers keep running")
        return attrs.evolve(spent, partitioned=spent.partitioned.set(node, True))

    def _heal_node(self, state: ClusterState, log: list[str] | None, node: str) -> ClusterState | None:
        """The kubelet reconnects and re-watches from the last resourceVersion it saw. The API
        server's watch cache keeps at least ``eventFreshDuration`` = 75s of events
        (``staging/src/k8s.io/apiserver/pkg/storage/cacher/cacher.go``); kmodel keeps exactly
        the events some connected watcher still needs and those younger than 75s. If the
        kubelet's next event is gone, the watch fails with "too old resource version" (410) and
        the reflector relists (``client-go/tools/cache/reflector.go: ListAndWatch``)."""
        if not state.partitioned.get(node):
            return None
        state = attrs.evolve(state, partitioned=state.partitioned.delete(node))
        state = self._reconnect_proxy(state, node, log)
        name = f"kubelet/{node}"
        cs = state.components[name]
        events = state.store.events
        gone = state.store.revision > cs.cursor and (not events or events[0].revision > cs.cursor + 1)
        if gone:
            if log is not None:
                log.append(
                    f"{node} partition healed: the kubelet's watch from rv {cs.cursor} is too old "
                    f"(no longer in the watch cache), so it relists at rv {state.store.revision}"
                )
            return self._relist(state, name)
        if log is not None:
            log.append(f"{node} partition healed: the kubelet's watch resumes from rv {cs.cursor}")
        return state

    def _relist(self, state: ClusterState, name: str) -> ClusterState:
        """Replace a running component's cache with a LIST at head, keeping its memory (a
        reflector relist, not a restart): client-go's ``Replace``, then ``on_relist``."""
        cs = state.components[name]
        comp = self.components[name]
        cache = cache_from_store(state.store, comp.watches)
        local = comp.on_relist(cs.local, self.view(state, name, cache))
        cs = attrs.evolve(cs, cursor=state.store.revision, cache=cache, local=local, skip=())
        return attrs.evolve(state, components=state.components.set(name, cs))

    def _restart(self, state: ClusterState, log: list[str] | None, component: str, after: int) -> ClusterState | None:
        if component not in self.control_plane or state.faults_left.get("componentRestart", 0) <= 0:
            return None
        nxt = self._reconcile(state, component, log, cut_after=after)
        return None if nxt is None else self._spend(nxt, "componentRestart")

    def _restart_stale(
        self, state: ClusterState, log: list[str] | None, component: str, lag: int
    ) -> ClusterState | None:
        if (
            component not in self.control_plane
            or state.faults_left.get("staleRelist", 0) <= 0
            or self._halted(state, component)
            or not state.components[component].up
        ):
            return None
        cs = state.components[component]
        comp = self.components[component]
        seen = [ev for ev in state.store.events if ev.revision <= cs.cursor and comp.watches(ev.obj)]
        if len(seen) < lag:
            return None
        at = seen[-lag].revision - 1  # just before the lag-th latest change the component had seen
        if state.store.objects_at(at) is None:
            return None
        fresh = self._fresh_component(
            self.components[component], state.store, at=at, now=self.view(state, component).now
        )
        if fresh == cs:
            return None
        if log is not None:
            log.append(
                f"{component} restarted; its relist was served by an API server at rv {at}, "
                f"missing the last {lag} changes it had seen (up to rv {cs.cursor})"
            )
        nxt = attrs.evolve(state, components=state.components.set(component, fresh))
        return self._spend(nxt, "staleRelist")

    def _deliver_coalesced(self, state: ClusterState, log: list[str] | None, component: str) -> ClusterState | None:
        cs = state.components[component]
        if (
            not cs.up
            or self._cut_off(state, component)
            or self._halted(state, component)
            or state.faults_left.get("coalesce", 0) <= 0
        ):
            return None
        pending = self._pending(state, component)
        if not pending:
            return None
        key = pending[0].key
        same = [ev for ev in pending if ev.key == key]
        if len(same) < 2:
            return None
        last = same[-1]
        had = self.view(state, component).get(key) is not None
        etype: EventType = "DELETED" if last.type == "DELETED" else ("MODIFIED" if had else "ADDED")
        if etype == "DELETED" and not had:
            return None
        merged = Event(etype, last.revision, key, last.obj, last.prev)
        # The merged event is delivered at the first one's place; the later ones are skipped.
        first = pending[0]
        skipped = tuple(ev.revision for ev in same[1:])
        nxt = self._apply_event(state, component, attrs.evolve(merged, revision=first.revision), skipped, log)
        return self._spend(nxt, "coalesce")

    def _reconcile_lossy(
        self, state: ClusterState, log: list[str] | None, component: str, index: int, lost: str
    ) -> ClusterState | None:
        if state.faults_left.get("requestLoss", 0) <= 0:
            return None
        nxt = self._reconcile(state, component, log, lose=(index, lost))
        return None if nxt is None else self._spend(nxt, "requestLoss")

    def _skew_clock(
        self, state: ClusterState, log: list[str] | None, component: str, offset: int
    ) -> ClusterState | None:
        process = self.processes.get(component)
        names = (process.elector, *process.controllers) if process is not None else (component,)
        if state.offsets.get(names[0], 0) == offset:
            return None
        if log is not None:
            log.append(f"{component}'s clock now runs {offset:+d}s from true time")
        offsets = state.offsets
        for name in names:
            offsets = offsets.delete(name) if offset == 0 else offsets.set(name, offset)
        return attrs.evolve(state, offsets=offsets)

    def _pause(self, state: ClusterState, log: list[str] | None, process: str, seconds: int) -> ClusterState | None:
        """An HA replica process stops (a long GC pause, a stopped VM, SIGSTOP): none of its
        components delivers, reconciles or renews until the true clock reaches the end; then it
        resumes with its old memory and cache, and the events it missed are delivered later."""
        if (
            process in state.paused
            or process not in self.processes
            or not state.components[self.processes[process].elector].up  # its host is down
        ):
            return None
        spent = self._spend(state, "processPause")
        if spent is None:
            return None
        if log is not None:
            log.append(f"{process} paused for {seconds}s (until t={state.clock + seconds}s)")
        return attrs.evolve(spent, paused=spent.paused.set(process, state.clock + seconds))

    def _normalize(self, state: ClusterState) -> ClusterState:
        """Move each running component's cursor over the events it does not watch, up to its
        next relevant event (or the head). Which irrelevant events a component has "passed"
        changes nothing it can observe, so this makes equal views equal states, lets the log be
        compacted, and keeps the scans for pending events short."""
        comps = state.components
        head = state.store.revision
        changed = False
        for name, cs in comps.items():
            if not cs.up or cs.cursor >= head or self._cut_off(state, name):
                continue  # a cut-off watch consumes nothing; on reconnect it must see the gap
            first = self._first_pending(state, name)
            target = head if first is None else first.revision - 1
            if target > cs.cursor:
                skip = tuple(r for r in cs.skip if r > target)
                comps = comps.set(name, evolve(cs, cursor=target, skip=skip))
                changed = True
        return evolve(state, components=comps) if changed else state

    def _compact(self, state: ClusterState) -> ClusterState:
        state = self._normalize(state)
        store = state.store
        if not store.events:
            return state
        # Events a connected watcher has yet to receive are kept; a partitioned kubelet's watch
        # is broken, so for it only the watch cache's 75s of history is kept (see _heal_node).
        low: int | None = None
        for name, cs in state.components.items():
            if cs.up and (low is None or cs.cursor < low) and not self._cut_off(state, name):
                low = cs.cursor
        if low is None:
            low = store.revision
        horizon = state.clock - WATCH_CACHE_SECONDS
        for ev in store.events:  # the oldest event the watch cache must still keep
            if ev.time >= horizon:
                low = min(low, ev.revision - 1)
                break
        if self._history:
            low -= HISTORY_KEEP  # keep what a lagging API server could still serve
        if store.events[0].revision > low:
            return state
        return evolve(state, store=store.compact(low))


def _hpa_target_kinds(objects: Sequence[Any]) -> tuple[str, ...]:
    """The kinds the scenario's HorizontalPodAutoscalers scale (sorted; empty: no HPA)."""
    return tuple(sorted({o.spec.target_kind for o in objects if o.KIND == "HorizontalPodAutoscaler"}))


def _time_abstraction(config: ClusterConfig) -> TimeAbstraction:
    """The horizon is the longest duration any timer or comparison of this scope looks back:
    CrashLoopBackOff's reset (600s) plus its longest backoff (300s), expectations (300s), the
    control plane's grace periods and tolerations, and the objects' own durations (HPA
    stabilization windows and policy periods among them; the HPA's default 300s downscale
    window, leader election's 15s lease, the disruption controller's 120s DeletionTimeout and
    kubectl drain's 5s retry are all shorter than the 900s floor); clock skew and watch delay
    widen it."""
    from kmodel.k8s.controllers.kubelet import BACKOFF_MAX, BACKOFF_RESET
    from kmodel.k8s.controllers.replicaset import EXPECTATIONS_TIMEOUT

    cp = config.control_plane
    durations = [
        BACKOFF_RESET + BACKOFF_MAX,
        EXPECTATIONS_TIMEOUT,
        WATCH_CACHE_SECONDS,
        cp.node_monitor_grace_period,
        cp.node_lease_duration_seconds,
        cp.default_not_ready_toleration_seconds,
        cp.default_unreachable_toleration_seconds,
    ]
    periods = []
    for obj in config.objects:
        spec = getattr(obj, "spec", None)
        for name in ("progress_deadline_seconds", "min_ready_seconds"):
            durations.append(getattr(spec, name, 0) or 0)
        template = getattr(spec, "template", None)
        pod_spec = template.spec if template is not None else getattr(obj, "spec", None)
        if pod_spec is None or not hasattr(pod_spec, "containers"):
            continue
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
    faults = dict(config.faults)
    widen = 2 * faults.get("clockSkew", 0) + faults.get("watchDelay", 0)
    # groups compared with the clock (kmodel.k8s.abstraction): how far back each looks
    horizons = [(PROBE, cp.node_monitor_grace_period), (EXPECT, EXPECTATIONS_TIMEOUT), (READY, 0)]
    return time_abstraction([d + widen for d in durations], periods, skew=widen, horizons=horizons)


def _failed_batch(failed: int | None, req: Request, res: Result) -> int | None:
    """The lowest failed batch number after ``req`` got ``res`` (see ``ClusterModel._reconcile``)."""
    if res.ok or req.batch is None or (failed is not None and failed <= req.batch):
        return failed
    return req.batch


def _fmt_key(key: Key) -> str:
    kind, ns, name = key
    return f"{kind}/{ns}/{name}" if ns else f"{kind}/{name}"


def _fmt_result(req: Request, res: Result) -> str:
    what = str(req)
    if req.verb == "create" and res.ok and res.obj is not None:
        what = f"create {req.key[0]}/{res.obj.meta.name}"
    return f"{what} → ok" if res.ok else f"{what} → {res.reason}: {res.message}"


__all__ = ["APIObject", "ClusterConfig", "ClusterModel", "ClusterState", "ControlPlane", "Variants"]
