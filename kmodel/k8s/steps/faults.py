"""The adversary's fault steps (``kmodel.k8s.faults`` for the budgets and the patterns they stand
for). Each spends one unit of its budget from ``ClusterState.faults_left``.

- ``crash_node(node)`` / ``recover_node(node)``: the node's kubelet, containers and kube-proxy stop,
  and the HA control-plane replicas it hosts (``kmodel.k8s.leaderelection.hosts``); on recovery
  the kubelet starts empty and relists (``faults.nodeCrash``);
- ``lose_node(node)``: as ``crash_node``, but the node never recovers (``faults.nodeLoss``);
- ``crash_container(node, index)``: the index-th running pod (by name) on the node exits;
- ``partition_node`` / ``heal_node``, ``restart``, ``restart_stale``, ``deliver_coalesced``,
  ``reconcile_lossy``, ``skew_clock``, ``pause``: see each function.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from kmodel.core.fmap import FMap
from kmodel.core.model import ActionSpec
from kmodel.k8s import leaderelection as le
from kmodel.k8s.apiserver import CrashAfter, LoseRequest, LoseResponse
from kmodel.k8s.controllers.kubelet import KubeletLocal, crashed
from kmodel.k8s.controllers.kubeproxy import ProxyLocal
from kmodel.k8s.faults import LOSS_INDEX, LOSS_KINDS, PAUSE_SECONDS, RESTART_AFTER, STALE_LAGS
from kmodel.k8s.informers import EMPTY_CACHE, ComponentState
from kmodel.k8s.state import ClusterState
from kmodel.k8s.steps.reconcile import reconcile
from kmodel.k8s.steps.watch import apply_event, relist, watch_too_old
from kmodel.k8s.store import Event, EventType
from kmodel.k8s.wiring import Wiring

CONTAINER_SLOTS = 3  # crash_container draws index 0..2 into a node's running pods

Step = Callable[..., ClusterState | None]


def specs(w: Wiring) -> list[ActionSpec]:
    """The fault actions the scenario's budgets enable, in action order."""
    faults, nodes, cp, comps = w.faults, w.node_names, w.control_plane, w.component_names
    out = []
    if faults.get("nodeCrash", 0) > 0:
        out.append(ActionSpec("crash_node", "fault", (("node", nodes),)))
        out.append(ActionSpec("recover_node", "fault", (("node", nodes),)))
    if faults.get("nodeLoss", 0) > 0:
        out.append(ActionSpec("lose_node", "fault", (("node", nodes),)))
    if faults.get("containerCrash", 0) > 0:
        slots = tuple(range(CONTAINER_SLOTS))
        out.append(ActionSpec("crash_container", "fault", (("node", nodes), ("index", slots))))
    if faults.get("nodePartition", 0) > 0:
        out.append(ActionSpec("partition_node", "fault", (("node", nodes),)))
        out.append(ActionSpec("heal_node", "fault", (("node", nodes),)))
    if faults.get("componentRestart", 0) > 0:
        out.append(ActionSpec("restart", "fault", (("component", cp), ("after", RESTART_AFTER))))
    if faults.get("staleRelist", 0) > 0:
        out.append(ActionSpec("restart_stale", "fault", (("component", cp), ("lag", STALE_LAGS))))
    if faults.get("coalesce", 0) > 0:
        out.append(ActionSpec("deliver_coalesced", "fault", (("component", comps),)))
    if faults.get("requestLoss", 0) > 0:
        params = (("component", comps), ("index", LOSS_INDEX), ("lost", LOSS_KINDS))
        out.append(ActionSpec("reconcile_lossy", "fault", params))
    skew = faults.get("clockSkew", 0)
    if skew > 0:
        # an HA replica's components share its process clock: skew the process as one
        clocks = tuple(dict.fromkeys(getattr(w.process_of.get(n), "name", n) for n in comps))
        out.append(ActionSpec("skew_clock", "fault", (("component", clocks), ("offset", (-skew, 0, skew)))))
    if faults.get("processPause", 0) > 0 and w.processes:
        out.append(ActionSpec("pause", "fault", (("process", tuple(w.processes)), ("seconds", PAUSE_SECONDS))))
    return out


def spend(state: ClusterState, fault: str) -> ClusterState | None:
    """``state`` with one unit of ``fault``'s budget spent; None when none is left."""
    left = state.faults_left.get(fault, 0)
    if left <= 0:
        return None
    return attrs.evolve(state, faults_left=state.faults_left.set(fault, left - 1))


# -- nodes ---------------------------------------------------------------------------------------


def crash_node(
    w: Wiring, state: ClusterState, log: list[str] | None, node: str, fault: str = "nodeCrash", how: str = "crashed"
) -> ClusterState | None:
    """The node stops (``crash_node``; ``lose_node`` with ``fault="nodeLoss"``): its kubelet
    and containers, its kube-proxy and the HA replicas it hosts; spends ``fault``."""
    if not state.nodes_up.get(node):
        return None
    spent = spend(state, fault)
    if spent is None:
        return None
    name = f"kubelet/{node}"
    cs = state.components[name]
    if log is not None:
        pods = sorted(rt.name for rt in cs.local.pods.values() if rt.running)
        log.append(f"{node} {how}: kubelet stopped; containers of {', '.join(pods) or 'no pods'} gone")
    down = ComponentState(cursor=cs.cursor, cache=EMPTY_CACHE, local=KubeletLocal(), up=False)
    comps = _node_proxy(w, state, spent.components.set(name, down), node, up=False)
    nxt = attrs.evolve(spent, components=comps, nodes_up=state.nodes_up.set(node, False))
    for process in w.hosted.get(node, ()):  # its static pods (control-plane replicas) die with it
        nxt = le.stop_process(w, nxt, process)
        if log is not None:
            log.append(f"{process.name} on {node} stopped: it renews nothing and its memory is lost")
    return nxt


def lose_node(w: Wiring, state: ClusterState, log: list[str] | None, node: str) -> ClusterState | None:
    """``lose_node``: the node stops as in ``crash_node`` and is recorded in ``lost``, so it
    never recovers (a terminated VM, dead hardware; ``kmodel.k8s.faults``, ``nodeLoss``).
    Upstream its Node stays NotReady/Unknown until deleted by a person or by the cloud
    node-lifecycle controller
    (``staging/src/k8s.io/cloud-provider/controllers/nodelifecycle/node_lifecycle_controller.go:
    MonitorNodes``), neither modelled: the Node object stays, tainted unreachable, and its
    pods are evicted after their toleration like a crashed node's."""
    nxt = crash_node(w, state, log, node, fault="nodeLoss", how="lost for good")
    if nxt is None:
        return None
    return attrs.evolve(nxt, lost=nxt.lost.set(node, True))


def recover_node(w: Wiring, state: ClusterState, log: list[str] | None, node: str) -> ClusterState | None:
    """The node boots again: its kubelet starts empty and relists, its kube-proxy too, and the
    HA replicas it hosts start again with a new identity."""
    if state.nodes_up.get(node, True) or node in state.lost:
        return None
    name = f"kubelet/{node}"
    fresh = w.fresh_component(w.components[name], state.store)
    if log is not None:
        log.append(f"{node} recovered: kubelet starts and relists at rv {state.store.revision}")
    comps = _node_proxy(w, state, state.components.set(name, fresh), node, up=True)
    nxt = attrs.evolve(state, components=comps, nodes_up=state.nodes_up.set(node, True))
    for process in w.hosted.get(node, ()):  # the kubelet starts its static pods again
        nxt = le.start_process(w, nxt, process)
        if log is not None:
            incarnation = nxt.components[process.elector].local.incarnation
            log.append(f"{process.name} starts again on {node} as {process.name}_{incarnation}")
    return nxt


def crash_container(
    w: Wiring, state: ClusterState, log: list[str] | None, node: str, index: int
) -> ClusterState | None:
    """The ``index``-th running pod (by name, modulo their number) on the node exits."""
    if not state.nodes_up.get(node):
        return None
    spent = spend(state, "containerCrash")
    if spent is None:
        return None
    name = f"kubelet/{node}"
    cs = state.components[name]
    running = sorted(((rt.name, uid) for uid, rt in cs.local.pods.items() if rt.running))
    if not running:
        return None
    pod_name, uid = running[index % len(running)]
    exited = crashed(cs.local.pods[uid], w.view(state, name).now)  # FinishedAt, on the kubelet's clock
    local = attrs.evolve(cs.local, pods=cs.local.pods.set(uid, exited))
    if log is not None:
        log.append(f"container of {pod_name} on {node} exited")
    return attrs.evolve(spent, components=spent.components.set(name, attrs.evolve(cs, local=local)))


def _node_proxy(
    w: Wiring, state: ClusterState, comps: FMap[str, ComponentState], node: str, up: bool
) -> FMap[str, ComponentState]:
    """The node's kube-proxy, if any, stops with a crash (its rules go with the node's kernel)
    or starts fresh and relists on recovery."""
    name = f"kube-proxy/{node}"
    if name not in comps:
        return comps
    if not up:
        return comps.set(name, ComponentState(comps[name].cursor, EMPTY_CACHE, ProxyLocal(), up=False))
    return comps.set(name, w.fresh_component(w.components[name], state.store))


def partition_node(w: Wiring, state: ClusterState, log: list[str] | None, node: str) -> ClusterState | None:
    """The node's kubelet (and kube-proxy) can no longer reach the API server; its containers keep
    running."""
    if state.partitioned.get(node) or not state.nodes_up.get(node):
        return None
    spent = spend(state, "nodePartition")
    if spent is None:
        return None
    if log is not None:
        who = "kubelet and kube-proxy" if f"kube-proxy/{node}" in w.components else "kubelet"
        log.append(f"{node} partitioned: its {who} can no longer reach the API server; containers keep running")
    return attrs.evolve(spent, partitioned=spent.partitioned.set(node, True))


def heal_node(w: Wiring, state: ClusterState, log: list[str] | None, node: str) -> ClusterState | None:
    """The kubelet reconnects and re-watches from the last resourceVersion it saw. The API
    server's watch cache keeps at least ``eventFreshDuration`` = 75s of events
    (``staging/src/k8s.io/apiserver/pkg/storage/cacher/cacher.go``); kmodel keeps exactly
    the events some connected watcher still needs and those younger than 75s. If the
    kubelet's next event is gone, the watch fails with "too old resource version" (410) and
    the reflector relists (``client-go/tools/cache/reflector.go: ListAndWatch``). The node's
    kube-proxy re-watches the same way."""
    if not state.partitioned.get(node):
        return None
    state = attrs.evolve(state, partitioned=state.partitioned.delete(node))
    proxy = f"kube-proxy/{node}"
    pcs = state.components.get(proxy)
    if pcs is not None and pcs.up and watch_too_old(state, proxy):
        if log is not None:
            log.append(f"{proxy}'s watch from rv {pcs.cursor} is too old, so it relists at rv {state.store.revision}")
        state = relist(w, state, proxy)
    name = f"kubelet/{node}"
    cs = state.components[name]
    if watch_too_old(state, name):
        if log is not None:
            log.append(
                f"{node} partition healed: the kubelet's watch from rv {cs.cursor} is too old "
                f"(no longer in the watch cache), so it relists at rv {state.store.revision}"
            )
        return relist(w, state, name)
    if log is not None:
        log.append(f"{node} partition healed: the kubelet's watch resumes from rv {cs.cursor}")
    return state


# -- control-plane components --------------------------------------------------------------------


def restart(w: Wiring, state: ClusterState, log: list[str] | None, component: str, after: int) -> ClusterState | None:
    """The component crashes after ``after`` writes of a reconcile and restarts, memory lost."""
    if component not in w.control_plane or state.faults_left.get("componentRestart", 0) <= 0:
        return None
    nxt = reconcile(w, state, component, log, delivery=(CrashAfter(after),))
    return None if nxt is None else spend(nxt, "componentRestart")


def restart_stale(
    w: Wiring, state: ClusterState, log: list[str] | None, component: str, lag: int
) -> ClusterState | None:
    """The component restarts and its relist is served by a lagging API server, missing the last
    ``lag`` changes it had seen (kubernetes#59848)."""
    if (
        component not in w.control_plane
        or state.faults_left.get("staleRelist", 0) <= 0
        or w.halted(state, component)
        or not state.components[component].up
    ):
        return None
    cs = state.components[component]
    comp = w.components[component]
    seen = [ev for ev in state.store.events if ev.revision <= cs.cursor and comp.watches(ev.obj)]
    if len(seen) < lag:
        return None
    at = seen[-lag].revision - 1  # just before the lag-th latest change the component had seen
    if state.store.objects_at(at) is None:
        return None
    fresh = w.fresh_component(comp, state.store, at=at, now=w.view(state, component).now)
    if fresh == cs:
        return None
    if log is not None:
        log.append(
            f"{component} restarted; its relist was served by an API server at rv {at}, "
            f"missing the last {lag} changes it had seen (up to rv {cs.cursor})"
        )
    nxt = attrs.evolve(state, components=state.components.set(component, fresh))
    return spend(nxt, "staleRelist")


def deliver_coalesced(w: Wiring, state: ClusterState, log: list[str] | None, component: str) -> ClusterState | None:
    """Several pending events of one object reach the component as one, its latest state (a
    DeltaFIFO that compresses, or a relist): the intermediate states are skipped."""
    if not w.listening(state, component) or state.faults_left.get("coalesce", 0) <= 0:
        return None
    pending = w.pending(state, component)
    if not pending:
        return None
    key = pending[0].key
    same = [ev for ev in pending if ev.key == key]
    if len(same) < 2:
        return None
    last = same[-1]
    had = w.view(state, component).get(key) is not None
    etype: EventType = "DELETED" if last.type == "DELETED" else ("MODIFIED" if had else "ADDED")
    if etype == "DELETED" and not had:
        return None
    merged = Event(etype, last.revision, key, last.obj, last.prev)
    # The merged event is delivered at the first one's place; the later ones are skipped.
    first = pending[0]
    skipped = tuple(ev.revision for ev in same[1:])
    nxt = apply_event(w, state, component, attrs.evolve(merged, revision=first.revision), skipped, log)
    return spend(nxt, "coalesce")


def reconcile_lossy(
    w: Wiring, state: ClusterState, log: list[str] | None, component: str, index: int, lost: str
) -> ClusterState | None:
    """One reconcile whose ``index``-th request never arrives (``lost="request"``) or is applied
    and its response lost (``lost="response"``)."""
    if state.faults_left.get("requestLoss", 0) <= 0:
        return None
    fault = LoseRequest(index) if lost == "request" else LoseResponse(index)
    nxt = reconcile(w, state, component, log, delivery=(fault,))
    return None if nxt is None else spend(nxt, "requestLoss")


def skew_clock(
    w: Wiring, state: ClusterState, log: list[str] | None, component: str, offset: int
) -> ClusterState | None:
    """The component's (or HA process's) clock runs ``offset`` seconds from true time."""
    process = w.processes.get(component)
    names = (process.elector, *process.controllers) if process is not None else (component,)
    if state.offsets.get(names[0], 0) == offset:
        return None
    if log is not None:
        log.append(f"{component}'s clock now runs {offset:+d}s from true time")
    offsets = state.offsets
    for name in names:
        offsets = offsets.delete(name) if offset == 0 else offsets.set(name, offset)
    return attrs.evolve(state, offsets=offsets)


def pause(w: Wiring, state: ClusterState, log: list[str] | None, process: str, seconds: int) -> ClusterState | None:
    """An HA replica process stops (a long GC pause, a stopped VM, SIGSTOP): none of its
    components delivers, reconciles or renews until the true clock reaches the end; then it
    resumes with its old memory and cache, and the events it missed are delivered later."""
    if (
        process in state.paused
        or process not in w.processes
        or not state.components[w.processes[process].elector].up  # its host is down
    ):
        return None
    spent = spend(state, "processPause")
    if spent is None:
        return None
    if log is not None:
        log.append(f"{process} paused for {seconds}s (until t={state.clock + seconds}s)")
    return attrs.evolve(spent, paused=spent.paused.set(process, state.clock + seconds))


STEPS: dict[str, Step] = {
    "crash_node": crash_node,
    "lose_node": lose_node,
    "recover_node": recover_node,
    "crash_container": crash_container,
    "partition_node": partition_node,
    "heal_node": heal_node,
    "restart": restart,
    "restart_stale": restart_stale,
    "deliver_coalesced": deliver_coalesced,
    "reconcile_lossy": reconcile_lossy,
    "skew_clock": skew_clock,
    "pause": pause,
}
