"""What only the exhaustive explorer needs of the cluster model: ``ExploreView``.

``kmodel.k8s.cluster.ClusterModel`` is exactly the model ``check`` runs. ``explore`` runs the same
model, built the same way (``Scenario.model()``), wrapped in an ``ExploreView`` that adds the
explorer's hooks (``kmodel.core.model.Explorable``):

- ``successors``: every enabled action with its successor, stepped once, the other resolutions
  of upstream's random choices (the model's ``choice`` actions, ``Component.choices``: a
  scheduler's score ties) right after the reconcile they vary; with ``ties`` on, also every step
  taken in another frame of pod names (``_framed``);
- ``abstract``: the time abstraction (``kmodel.k8s.abstraction``), after forgetting the delivered
  past nothing can read;
- ``representative`` / ``symmetry_active``: the symmetry reduction (``kmodel.k8s.symmetry``);
- ``ample``: partial-order reduction over deliveries;
- ``fairness_key``: which actions are one fair action.

Everything else is the wrapped model's, unchanged, so replay can step explorer traces (ties and
frames included) with the same view.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import attrs

from kmodel.core.model import Action, ActionSpec, Property, expand
from kmodel.k8s.cluster import ClusterModel
from kmodel.k8s.components import time_abstraction_for
from kmodel.k8s.state import ClusterState
from kmodel.k8s.symmetry import Symmetry, decode_frame, symmetry
from kmodel.k8s.usercontrollers import timeless

# Steps whose outcome no name order can change: they are never taken in another frame of pod
# names (``ExploreView._framed``).
FRAME_FREE_OPS = frozenset({"deliver", "deliver_coalesced", "tick", "skew_clock"})
RECONCILE_OPS = frozenset({"reconcile", "reconcile_lossy", "restart"})  # steps that run one reconcile

Succ = list[tuple[Action, ClusterState]]


class ExploreView:
    """``model`` as the explorer sees it (see the module docstring). ``ties``: take every other
    name order of interchangeable pods (the symmetry reduction needs them; the other resolutions
    of upstream random choices, which it needs too, are the model's own ``choice`` actions and
    listed either way); ``pod_symmetry``: rename pods of one owner too (off when
    a scope has too many of them at once: ``kmodel.k8s.symmetry.PodScopeError``); ``abstraction``:
    off, ``abstract`` is the identity and the explorer searches the concrete states (which never
    repeat: heartbeats), for tests that check what the abstraction merges."""

    def __init__(
        self, model: ClusterModel, *, ties: bool = False, pod_symmetry: bool = True, abstraction: bool = True
    ) -> None:
        self.model = model
        self.abstraction = abstraction
        self.w = model.wiring
        self.ties = ties
        self.pod_symmetry = pod_symmetry
        config = model.config
        self.quiet_period = model.quiet_period
        self._symmetry: Symmetry | None = None
        self._abstraction = time_abstraction_for(config)
        # partial-order reduction (``ample``): sound only where every reader of the state is known
        self._por = not self.w.watch_delay and not config.controllers and not config.user_invariants
        self._por_excluded = frozenset(self.w.process_of) | frozenset(
            f"{kind}/{n}" for n in self.w.group_nodes for kind in ("kubelet", "kube-proxy")
        )
        # user controllers: only when each declares it keeps no times or revisions (Controller.timeless)
        self._abstract_users = all(timeless(c) for c in config.controllers)

    # -- the structure and the Model protocol, as the wrapped model has them -------------------

    @property
    def config(self) -> Any:
        return self.model.config

    @property
    def components(self) -> dict[str, Any]:
        return self.model.components

    @property
    def component_names(self) -> tuple[str, ...]:
        return self.model.component_names

    @property
    def node_names(self) -> tuple[str, ...]:
        return self.model.node_names

    def view(self, state: ClusterState, name: str, cache: object = None) -> Any:
        return self.w.view(state, name, cache)

    def initial(self) -> ClusterState:
        return self.model.initial()

    def action_space(self) -> Sequence[ActionSpec]:
        return self.model.action_space()

    def actions(self, state: ClusterState) -> list[Action]:
        return [action for action, _ in self.successors(state)]

    def system_actions(self, state: ClusterState) -> list[Action]:
        return self.model.system_actions(state)

    def time_action(self, state: ClusterState) -> Action | None:
        return self.model.time_action(state)

    def properties(self) -> Sequence[Property[ClusterState]]:
        return self.model.properties()

    def clock(self, state: ClusterState) -> int:
        return state.clock

    def progress_key(self, state: ClusterState) -> Hashable:
        return self.model.progress_key(state)

    def pending_until(self, state: ClusterState) -> int:
        return self.model.pending_until(state)

    def truth_key(self, state: ClusterState) -> tuple[object, ...]:
        return self.model.truth_key(state)

    def step(self, state: ClusterState, action: Action, log: list[str] | None = None) -> ClusterState | None:
        """``model.step``, and a step in another frame of pod names (a ``frame`` argument)."""
        if any(k == "frame" for k, _ in action.args):
            return self._step_in_frame(state, action, action.arg("frame"), log)
        return self.model.step(state, action, log)

    def describe(self, before: ClusterState, action: Action, after: ClusterState) -> str:
        log: list[str] = []
        self.step(before, action, log)
        return "; ".join(log) if log else "no change"

    # -- successors: ties and frames ------------------------------------------------------------

    def successors(self, state: ClusterState) -> Succ:
        """Every enabled action with the state it leads to, in ``actions`` order: a step is
        the only way to tell whether an action is enabled, so the explorer takes both at once
        instead of stepping each action twice. The other resolutions of upstream's random
        choices come right after the reconcile they vary (``_choice_variants``); with ``ties``
        on, every action taken in another frame of pod names too."""
        out = []
        for spec in self.model.action_space():
            if spec.category == "choice":
                continue  # listed by ``_choice_variants``, after the plain reconcile they vary
            for action in expand(spec):
                nxt = self.model.step(state, action)
                if nxt is not None:
                    out.append((action, nxt))
                    if action.op == "reconcile" and self.w.components[action.arg("component")].has_choices:
                        out.extend(self._choice_variants(state, action.arg("component")))
        if self.ties:
            out = self._framed(state, out)
        return out

    def _choice_variants(self, state: ClusterState, name: str) -> Succ:
        """``reconcile(component=NAME, node=N)`` for each option N of the component's upstream
        random choice (``Component.choices``: a scheduler's top-scoring nodes of a tie) other than
        the one its plain reconcile takes, with the state each leads to: the enabled actions of
        the model's ``choice`` spec, in the options' order, found with one scheduling cycle
        instead of stepping every node. Listed with or without ``ties``: they are actions of
        the model ``check`` runs (a plain reconcile with no choice has none)."""
        comp = self.w.components[name]
        tied = comp.choices(state.components[name].local, self.w.view(state, name))
        out = []
        for node in tied[1:]:  # tied[0], the lowest name, is the plain reconcile's choice
            action = Action.of("reconcile", component=name, node=node)
            nxt = self.model.step(state, action)
            if nxt is not None:
                out.append((action, nxt))
        return out

    def tie_actions(self) -> list[Action]:
        """Every choice action ``successors`` may list (the model's ``choice`` specs)."""
        return self.model.tie_actions()

    def _framed(self, state: ClusterState, plain: Succ) -> Succ:
        """``plain`` and, after each of its actions, the same action with ``frame=F`` for every
        renaming F of ``state``'s interchangeable pods (``kmodel.k8s.symmetry``, "Pods") that
        leads elsewhere. Upstream, generated pod names end in random characters, so whatever
        order two pods of one ReplicaSet are taken in by name (a kubelet's status writes, the
        scheduler's queue, which surplus pod is deleted) is one of all possible orders; kmodel's
        names come from a counter, so each component sees one fixed order. ``frame=F`` takes the
        action as if the pods carried each other's names (``_in_frame``), which makes the
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
        """``action`` in the frame ``frame``, whose renaming is ``mapping``: the pods are renamed,
        the action is taken, and the result is renamed back."""
        sym = self._sym()
        sub: list[str] | None = [] if log is not None else None
        nxt = self.model.step(sym.rename_pods(state, mapping), action, sub)
        if nxt is None:
            return None
        inverse = {b: a for a, b in mapping.items()}
        if log is not None and sub is not None:
            swaps = ", ".join(f"{a} as {b}" for a, b in decode_frame(frame) or ())
            log.append(f"(pods taken in another name order: {swaps})")
            log.extend(sym.rename_pods(line, inverse) for line in sub)
        return sym.rename_pods(nxt, inverse)  # type: ignore[no-any-return]

    def fairness_key(self, action: Action) -> Action:
        """Weak fairness is per component: the choice variants of one reconcile are one fair
        action ("the scheduler eventually reconciles"), whichever node it then picks; an action
        taken in another frame of pod names is the same fair action as the plain one."""
        if action.op == "reconcile" and len(action.args) > 1:
            return Action.of("reconcile", component=action.arg("component"))
        if any(k == "frame" for k, _ in action.args):
            return self.plain_action(action)
        return action

    def plain_action(self, action: Action) -> Action:
        """``action`` without the explorer's frame argument (a choice's ``node`` is kept), for
        checking that a trace's step belongs to this scenario."""
        return self.model.plain_action(action)

    # -- symmetry ---------------------------------------------------------------------------------

    def _sym(self) -> Symmetry:
        if self._symmetry is None:
            self._symmetry = symmetry(self.model.config, self.model.initial(), pods=self.pod_symmetry)
        return self._symmetry

    def representative(self, state: ClusterState) -> ClusterState:
        """The canonical member of ``state``'s class under renaming interchangeable nodes and
        pods (``kmodel.k8s.symmetry``); the state itself where the reduction is off, and always
        without ``ties``: renaming is sound only over the successor relation that takes every
        tie resolution and every pod name order."""
        if not self.ties:
            return state
        return self._sym().representative(state)  # type: ignore[no-any-return]

    def symmetry_active(self) -> bool:
        """Whether ``representative`` can merge anything: some nodes are interchangeable, or
        the scenario's workloads create pods with generated names, and nothing turns the
        reduction off (``ties`` off among them: see ``representative``)."""
        return self.ties and bool(self._sym().active)

    # -- the abstraction --------------------------------------------------------------------------

    def abstract(self, state: ClusterState) -> ClusterState:
        """The explorer's view of a state: clock translated, distant past forgotten, revisions
        renumbered (``kmodel.k8s.abstraction``). Equal abstractions behave alike."""
        if not self._abstract_users or not self.abstraction:
            # a user controller's memory and custom objects may hold times kmodel cannot see
            return state
        return self._abstraction.abstract(self._forget_delivered(state))  # type: ignore[no-any-return]

    def _forget_delivered(self, state: ClusterState) -> ClusterState:
        """Drop the watch events every connected, running watcher has received, when nothing can
        read them any more: the 75s watch-cache window (``kmodel.k8s.steps.watch.compact``) is
        only read by a healing partition and the lagging-API-server history only by
        ``restart_stale``, so without partitions (none now, no budget left) and without
        ``faults.staleRelist`` the delivered past is unobservable. The order in which independent
        writes were *seen* then stops telling states apart."""
        if self.w.history or state.partitioned or state.faults_left.get("nodePartition", 0) > 0:
            return state
        store = state.store
        if not store.events:
            return state
        low = min((cs.cursor for cs in state.components.values() if cs.up), default=store.revision)
        if store.events[0].revision > low:
            return state
        return attrs.evolve(state, store=store.compact(low))

    # -- partial-order reduction ------------------------------------------------------------------

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
          while ``c`` has an undelivered event (``kmodel.k8s.steps.timing.owed_before``), so
          nothing else can reach ``c`` first.
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
            local, reqs = self.w.reconcile_memo(c, cs, self.w.view(state, c))
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
        if op != "request" and op in self.w.user_ops:
            return ()  # kubectl-like user steps write the store only
        return None  # tick, skew_clock, pause, request (reads kube-proxy tables)


__all__ = ["ExploreView"]
