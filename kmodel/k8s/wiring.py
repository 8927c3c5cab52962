"""What a scenario's model is made of, fixed once from its configuration: the ``Wiring``.

The ``Wiring`` holds every static fact the steps need (the components by name, the HA processes
and their hosts, which component runs on which node, the selected invariants and their monitors,
the API server's settings) and the few functions that read a component's place in the world:
its view, a fresh restart, whether it is halted or cut off. The steps
(``kmodel.k8s.steps``) are functions of ``(wiring, state, ...)``; ``kmodel.k8s.cluster.ClusterModel``
is the Model protocol over them. It is also the narrow runtime leader election needs
(``kmodel.k8s.leaderelection.Runtime``).
"""

from __future__ import annotations

from typing import Any

from kmodel.core.fmap import FMap
from kmodel.core.model import Property
from kmodel.k8s import components as builtin
from kmodel.k8s import invariants
from kmodel.k8s import leaderelection as le
from kmodel.k8s.informers import Component, ComponentState, View, cache_from_store
from kmodel.k8s.monitors import listens
from kmodel.k8s.state import ClusterConfig, ClusterState, Monitor
from kmodel.k8s.store import APIConfig, Event, Request, Result, Store
from kmodel.k8s.userops import user_specs


class Wiring:
    """The static structure of one scenario's cluster (see the module docstring)."""

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        cp = config.control_plane
        self.api = APIConfig(cp.default_not_ready_toleration_seconds, cp.default_unreachable_toleration_seconds)
        self.node_names = tuple(n.meta.name for n in config.nodes)
        self.group_nodes = tuple(n for g in config.node_groups for n in g.node_names())
        comps, self.processes = builtin.build(config)
        self.components: dict[str, Component] = {c.name: c for c in comps}
        self.component_names = tuple(self.components)
        # kubeadm hook: HA replicas are static pods on the nodes labelled
        # node-role.kubernetes.io/control-plane (le.hosts); a crash of the node stops them. No
        # labelled nodes: no process has a node, nothing changes.
        self.hosts: dict[str, str] = le.hosts(self.processes, config.nodes)
        self.hosted: dict[str, tuple[le.Process, ...]] = {}
        for pname, host in self.hosts.items():
            self.hosted[host] = (*self.hosted.get(host, ()), self.processes[pname])
        self.process_of = {c: p for p in self.processes.values() for c in (p.elector, *p.controllers)}
        self.electors = {p.elector: p for p in self.processes.values()}
        # node of each component a partition cuts off (kubelets and kube-proxies)
        self.node_of = {n: h for n, c in self.components.items() if (h := c.host()) is not None}
        self.control_plane = tuple(n for n in self.components if n not in self.node_of and n not in self.electors)
        self.prompt = tuple(n for n, c in self.components.items() if c.prompt)
        self.properties: list[Property[ClusterState]] = [
            *invariants.select(self, config.invariants),
            *config.user_invariants,
        ]
        # the selected invariants' monitors, and those of them each hook of the cluster runs
        self.monitors = invariants.monitors(p.name for p in self.properties)
        # (bound methods: ``observe`` runs on every applied request, the reconcile's hot path)
        self.on_request = tuple((n, m.on_request) for n, m in self.monitors if listens(m, "on_request"))
        self.on_event = tuple((n, m.on_event) for n, m in self.monitors if listens(m, "on_event"))
        self.settle_blockers = tuple((n, m.blocks_settle) for n, m in self.monitors if listens(m, "blocks_settle"))
        self.initial_monitor: Monitor = FMap((n, r) for n, m in self.monitors if (r := m.initial(config)) is not None)
        self.user_ops = {spec.op for spec in user_specs(config.user)}
        self.budgeted = frozenset(op.op for op in config.user if "times" in dict(op.params))
        faults = dict(config.faults)
        self.faults = faults
        self.history = faults.get("staleRelist", 0) > 0
        self.watch_delay = faults.get("watchDelay", 0)
        self.renew_interval = cp.node_lease_duration_seconds // 4
        self._memo: dict[str, tuple[ComponentState, int, Any, tuple[Request, ...]]] = {}

    # -- a component's place in the world ----------------------------------------------------

    def view(self, state: ClusterState, name: str, cache: Any = None) -> View:
        """What ``name`` sees: its cache (or ``cache``) and its own clock."""
        c = state.components[name].cache if cache is None else cache
        return View(c, state.clock + state.offsets.get(name, 0))

    def fresh_component(self, comp: Component, store: Store, at: int | None = None, now: int = 0) -> ComponentState:
        """A component just (re)started: empty memory, cache from a LIST at head (or at
        revision ``at``, served by a lagging API server)."""
        revision = store.revision if at is None else at
        objects = None if at is None else store.objects_at(at)
        cache = cache_from_store(store, comp.watches, objects)
        local = comp.on_relist(comp.initial_local(), View(cache, now))
        return ComponentState(cursor=revision, cache=cache, local=local)

    def fresh(self, state: ClusterState, name: str) -> ComponentState:
        """``name`` (re)started now: empty memory, a LIST at head, its own clock."""
        return self.fresh_component(self.components[name], state.store, now=self.view(state, name).now)

    def halted(self, state: ClusterState, name: str) -> bool:
        """HA gate (kmodel.k8s.leaderelection): a component of a paused process takes no step, and
        a replica's controller runs only while its process's elector believes it leads (the
        cluster reads the elector's memory: same process). False for every other component."""
        process = self.process_of.get(name)
        if process is None:
            return False
        if process.name in state.paused:
            return True
        return name != process.elector and not le.leads(state, process)

    def host_down(self, state: ClusterState, name: str) -> bool:
        """Whether ``name`` belongs to an HA process whose control-plane node is down (its elector
        stopped with the node: ``le.stop_process``). False for every component without hosting."""
        if not self.hosts:
            return False
        process = self.process_of.get(name)
        return process is not None and process.name in self.hosts and not state.components[process.elector].up

    def cut_off(self, state: ClusterState, name: str) -> bool:
        """Whether a partition cuts ``name`` off from the API server (its node's)."""
        if not state.partitioned:
            return False
        node = self.node_of.get(name)
        return node is not None and bool(state.partitioned.get(node))

    def listening(self, state: ClusterState, name: str) -> bool:
        """Whether ``name`` receives watch events now: up, connected to the API server (no
        partition cuts it off) and not halted (paused, or an HA controller whose process does
        not lead)."""
        return state.components[name].up and not self.cut_off(state, name) and not self.halted(state, name)

    def runs(self, state: ClusterState, name: str) -> bool:
        """Whether ``name`` takes steps now: up, and not halted by a pause or a lost election."""
        return state.components[name].up and not (state.paused and self.halted(state, name))

    # -- reconciles and watches --------------------------------------------------------------

    def reconcile_memo(self, name: str, cs: ComponentState, view: View) -> tuple[Any, list[Request]]:
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

    def known_noop(self, state: ClusterState, name: str) -> bool:
        """Whether the memoised reconcile of this very component state at this instant sent
        nothing and changed nothing (the common no-op, answered without reconciling)."""
        cs = state.components[name]
        hit = self._memo.get(name)
        return (
            hit is not None
            and hit[0] is cs
            and not hit[3]
            and hit[1] == state.clock + state.offsets.get(name, 0)
            and hit[2] == cs.local
        )

    def pending(self, state: ClusterState, name: str) -> list[Event]:
        """The watch events ``name`` has yet to see, in order (skipping coalesced ones)."""
        cs = state.components[name]
        comp = self.components[name]
        return [ev for ev in state.store.events_after(cs.cursor) if ev.revision not in cs.skip and comp.watches(ev.obj)]

    def first_pending(self, state: ClusterState, name: str) -> Event | None:
        """The next watch event ``name`` has yet to see, or None (cheaper than ``pending``)."""
        cs = state.components[name]
        watches = self.components[name].watches
        skip = cs.skip
        for ev in state.store.events_after(cs.cursor):
            if (not skip or ev.revision not in skip) and watches(ev.obj):
                return ev
        return None

    # -- the invariants' monitors (kmodel.k8s.monitors) -----------------------------------------

    def observe(self, before: Store, req: Request, res: Result, who: str, monitor: Monitor) -> Monitor:
        """``monitor`` after the selected invariants' monitors saw one applied request."""
        for name, hook in self.on_request:
            record = monitor.get(name)
            new = hook(record, before, req, res, who)
            if new is not record:
                monitor = monitor.delete(name) if new is None else monitor.set(name, new)
        return monitor

    def monitored(self) -> bool:
        """Whether any selected invariant's monitor sees requests (else ``observe`` is skipped)."""
        return bool(self.on_request)

    def announce(self, state: ClusterState, event: object) -> Monitor:
        """``state.monitor`` after the selected invariants' monitors saw ``event``, which a step
        announces (``kmodel.k8s.monitors.ServiceRequest``); the same object if none changed."""
        monitor = state.monitor
        for name, hook in self.on_event:
            record = monitor.get(name)
            new = hook(record, event, state)
            if new is not record:
                monitor = monitor.delete(name) if new is None else monitor.set(name, new)
        return monitor

    def never_settles(self, state: ClusterState) -> bool:
        """A monitor's record proves the cluster cannot become quiescent (an HPA flapping under
        constant load): the settle phase stops there."""
        blockers = self.settle_blockers
        return bool(blockers) and any(blocks(state.monitor.get(n)) for n, blocks in blockers)
