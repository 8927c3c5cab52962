"""The Kubernetes control plane and nodes as one deterministic transition system: ``ClusterModel``.

``ClusterModel`` implements ``kmodel.core.model.Model`` over the world as one value
(``kmodel.k8s.state.ClusterState``). It is exactly the model ``check`` runs; ``explore`` wraps the
same model in ``kmodel.k8s.explore_view.ExploreView``. The structure a scenario fixes (which
components exist, which node hosts what, the selected invariants) is its ``Wiring``
(``kmodel.k8s.wiring``), built by folding over the component specs in
``kmodel.k8s.components.BUILTIN``. The steps are functions of ``(wiring, state, ...)`` in
``kmodel.k8s.steps``. Actions, in the fixed order ``actions()`` lists them:

- ``deliver(component)``: the next watch event the component cares about reaches its cache and
  its event handlers run (system; ``steps.watch``);
- ``reconcile(component)``: one reconcile from its cache at the current clock; its API requests
  go through the API server's pipeline (``kmodel.k8s.apiserver``) and each result is handed back
  (system; ``steps.reconcile``);
- ``reconcile(component, node)``, right after its component's ``reconcile``: the reconcile taking
  another option of a choice upstream makes at random (``Component.choices``: the node of a
  scheduler's score tie), enabled only when that node is one of the options and not the default
  one, the lowest name, that the plain reconcile and the settle phase take (choice);
- ``tick()``: the clock jumps to the next timer any running component has, never past work a
  running process owes (time; ``steps.timing``);
- the faults the scenario's budgets enable (``steps.faults``: crash, lose and recover a node,
  crash a container, partition, restarts, lost requests, coalesced events, clock skew, pauses);
- user steps from the scenario's ``spec.user`` and client requests to Services (``steps.user``).

An action that would change nothing is not enabled (``step`` returns None). After every step the
watch log is compacted behind every watcher (``steps.watch.compact``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import attrs

from kmodel.core.fmap import FMap
from kmodel.core.model import Action, ActionSpec, Property, expand
from kmodel.core.run import settle_steps
from kmodel.k8s import leaderelection as le
from kmodel.k8s.controllers.kubelet import Kubelet, KubeletLocal, node_lease
from kmodel.k8s.controllers.kubeproxy import allocate_cluster_ips
from kmodel.k8s.informers import EMPTY_CACHE, ComponentState, View
from kmodel.k8s.objects import APIObject
from kmodel.k8s.state import ClusterConfig, ClusterState, ControlPlane, Variants
from kmodel.k8s.steps import faults, timing, user, watch
from kmodel.k8s.steps.reconcile import reconcile
from kmodel.k8s.store import Request, Store
from kmodel.k8s.userops import initial_loads, user_budgets, user_specs
from kmodel.k8s.wiring import Wiring

Step = Callable[[Wiring, ClusterState, Action, "list[str] | None"], "ClusterState | None"]


def _deliver(w: Wiring, state: ClusterState, action: Action, log: list[str] | None) -> ClusterState | None:
    return watch.deliver(w, state, action.arg("component"), log)


def _reconcile(w: Wiring, state: ClusterState, action: Action, log: list[str] | None) -> ClusterState | None:
    choice = dict(action.args).get("node")  # a choice variant: reconcile(component, node)
    return reconcile(w, state, action.arg("component"), log, choice=None if choice is None else str(choice))


def _tick(w: Wiring, state: ClusterState, action: Action, log: list[str] | None) -> ClusterState | None:
    return timing.tick(w, state, log)


def _fault(fn: faults.Step) -> Step:
    def step(w: Wiring, state: ClusterState, action: Action, log: list[str] | None) -> ClusterState | None:
        return fn(w, state, log, **dict(action.args))

    return step


STEPS: dict[str, Step] = {
    "deliver": _deliver,
    "reconcile": _reconcile,
    "tick": _tick,
    **{op: _fault(fn) for op, fn in faults.STEPS.items()},
}


class ClusterModel:
    """The Kubernetes control plane and nodes as a deterministic transition system."""

    def __init__(self, config: ClusterConfig) -> None:
        self.config: ClusterConfig = config
        self.wiring = w = Wiring(config)
        # the structure, as the reports, the symmetry reduction and the tests read it
        self.api = w.api
        self.node_names = w.node_names
        self.group_nodes = w.group_nodes
        self.components = w.components
        self.component_names = w.component_names
        self.processes = w.processes
        self.hosts = w.hosts
        self.control_plane = w.control_plane
        self.renew_interval = w.renew_interval
        self.quiet_period = w.renew_interval
        # the settle phase's candidate actions per component, built once
        self._system = tuple(
            (n, Action.of("deliver", component=n), Action.of("reconcile", component=n)) for n in w.component_names
        )
        self._initial: ClusterState | None = None
        self._space: list[ActionSpec] | None = None

    # -- the start -----------------------------------------------------------------------------

    def initial(self) -> ClusterState:
        if self._initial is None:
            self._initial = self._build_initial()
        return self._initial

    def _build_initial(self) -> ClusterState:
        """The nodes with their Leases, the scenario's objects, every component started (HA
        controllers stopped until their process leads, node-group kubelets dormant); with
        ``start: settled``, the fair settle phase run from there."""
        w = self.wiring
        store = Store()
        lease_seconds = self.config.control_plane.node_lease_duration_seconds
        for node in self.config.nodes:
            store, res = store.apply(Request("create", node.key, node), 0, w.api)
            lease = node_lease(node.meta.name, 0, lease_seconds)
            store, res = store.apply(Request("create", lease.key, lease), 0, w.api)
        for obj in [*allocate_cluster_ips(self.config.objects), *initial_loads(self.config.user)]:
            store, res = store.apply(Request("create", obj.key, obj), 0, w.api)
            if not res.ok:
                raise ValueError(f"{obj.KIND} {obj.meta.name}: {res.reason}: {res.message}")
        comps = {name: w.fresh_component(c, store) for name, c in w.components.items()}
        for name in w.process_of:  # HA replicas' controllers start only once their process leads
            if name not in w.electors:
                comps[name] = le.stopped(w.components[name], store.revision)
        for c in w.components.values():
            if isinstance(c, Kubelet):
                cs = comps[c.name]
                comps[c.name] = attrs.evolve(cs, local=KubeletLocal(last_renew=0))
                if c.node in w.group_nodes:  # dormant until its node group adds the node
                    comps[c.name] = ComponentState(cs.cursor, EMPTY_CACHE, KubeletLocal(), up=False)
        state = ClusterState(
            clock=0,
            store=store.compact(store.revision),
            components=FMap(comps),
            nodes_up=FMap((n, True) for n in w.node_names),
            faults_left=FMap((*self.config.faults, *user_budgets(self.config.user))),
            monitor=w.initial_monitor,
        )
        if self.config.start == "settled":
            for _, settled in settle_steps(self, state):
                state = settled
        return state

    # -- the Model protocol ----------------------------------------------------------------------

    def action_space(self) -> Sequence[ActionSpec]:
        if self._space is None:
            # One spec per component (not one spec with a component argument): Hypothesis picks
            # rules uniformly and swarm-tests subsets of them, so per-component rules let a run
            # focus on the few components a bug needs.
            space = []
            for name in self.component_names:
                space.append(ActionSpec("deliver", "system", (("component", (name,)),)))
                space.append(ActionSpec("reconcile", "system", (("component", (name,)),)))
                space.extend(self._choice_specs(name))
            space.append(ActionSpec("tick", "time"))
            space.extend(faults.specs(self.wiring))
            space.extend(user_specs(self.config.user))
            self._space = space
        return self._space

    def _choice_specs(self, name: str) -> list[ActionSpec]:
        """``reconcile(component=NAME, node=N)`` over every node (a node group's too, once
        added) for a component whose reconcile makes a choice upstream makes at random
        (``Component.choices``: the scheduler's score ties): a ``choice`` action, so ``check``
        draws it and ``explore`` branches on it, but the settle phase keeps the default."""
        if not self.components[name].has_choices:
            return []
        nodes = (*self.node_names, *self.group_nodes)
        return [ActionSpec("reconcile", "choice", (("component", (name,)), ("node", nodes)))]

    def actions(self, state: ClusterState) -> list[Action]:
        return [a for spec in self.action_space() for a in expand(spec) if self.step(state, a) is not None]

    def system_actions(self, state: ClusterState) -> list[Action]:
        if self.wiring.never_settles(state):
            return []
        comps = state.components
        return [a for name, deliver, rec in self._system if comps[name].up for a in (deliver, rec)]

    def time_action(self, state: ClusterState) -> Action | None:
        if self.wiring.never_settles(state):
            return None
        return Action("tick") if timing.next_deadline(self.wiring, state) is not None else None

    def properties(self) -> Sequence[Property[ClusterState]]:
        return self.wiring.properties

    def clock(self, state: ClusterState) -> int:
        return state.clock

    def pending_until(self, state: ClusterState) -> int:
        return timing.pending_until(self.wiring, state)

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
        fn = STEPS.get(action.op)
        if fn is not None:
            nxt = fn(self.wiring, state, action, log)
        elif action.op in self.wiring.user_ops:
            nxt = user.user(self.wiring, state, action, log)
        else:
            raise ValueError(f"unknown action {action.op!r}")
        return None if nxt is None else watch.compact(self.wiring, nxt)

    def describe(self, before: ClusterState, action: Action, after: ClusterState) -> str:
        log: list[str] = []
        self.step(before, action, log)
        return "; ".join(log) if log else "no change"

    # -- traces ------------------------------------------------------------------------------------

    def tie_actions(self) -> list[Action]:
        """Every choice action (``reconcile(component, node)``) of the action space."""
        return [a for spec in self.action_space() if spec.category == "choice" for a in expand(spec)]

    def plain_action(self, action: Action) -> Action:
        """``action`` without the explorer's variant arguments (a choice's ``node`` is kept; a
        pod ``frame`` is dropped), for checking that a trace's step belongs to this scenario."""
        return Action(action.op, tuple((k, v) for k, v in action.args if k != "frame"))

    # -- a component's place, for reports and tests --------------------------------------------------

    def view(self, state: ClusterState, name: str, cache: object = None) -> View:
        return self.wiring.view(state, name, cache)

    def fresh(self, state: ClusterState, name: str) -> ComponentState:
        return self.wiring.fresh(state, name)


__all__ = ["APIObject", "ClusterConfig", "ClusterModel", "ClusterState", "ControlPlane", "Variants"]
