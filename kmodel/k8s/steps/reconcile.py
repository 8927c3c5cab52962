"""The reconcile step: view → reconcile → send → on_result → listeners.

A component reconciles from its informer view at its own clock and returns API requests; the API
server pipeline (``kmodel.k8s.apiserver.send``) applies them with the faults of the step's
delivery; each result goes back to the component (``on_result``); then the listeners run: the
invariants' monitors saw every applied request, a node group's new Node starts its kubelet
(``join_nodes``) and an elector's step starts or stops its process's controllers
(``kmodel.k8s.leaderelection.on_elector_step``).
"""

from __future__ import annotations

from typing import Any

import attrs

from kmodel.core.evolve import evolve
from kmodel.k8s import apiserver
from kmodel.k8s import leaderelection as le
from kmodel.k8s.apiserver import CrashAfter, CutOff, Delivery, Fenced
from kmodel.k8s.controllers.kubelet import KubeletLocal, node_lease
from kmodel.k8s.informers import EMPTY_CACHE, ComponentState
from kmodel.k8s.state import ClusterState
from kmodel.k8s.store import Request, Result, Store
from kmodel.k8s.wiring import Wiring


def reconcile(
    w: Wiring, state: ClusterState, name: str, log: list[str] | None, delivery: Delivery = (), choice: str | None = None
) -> ClusterState | None:
    """One reconcile of ``name`` (``reconcile(component)``). ``delivery``: the faults its requests
    meet (``kmodel.k8s.apiserver``); with ``CrashAfter`` the component crashes after that many
    writes and restarts. ``choice``: the option of an upstream random choice to take (a
    scheduler binding to another node of a score tie); not enabled when it is not one of the
    component's ``choices`` other than the default. Not enabled either when the step would
    change nothing."""
    cs = state.components.get(name)
    if cs is None or not cs.up or w.halted(state, name):
        return None
    comp = w.components[name]
    view = w.view(state, name)
    if choice is not None:
        if choice not in comp.choices(cs.local, view)[1:]:
            return None
        local, reqs = comp.reconcile_choosing(cs.local, view, choice)
    elif not delivery and w.known_noop(state, name):
        return None
    else:
        local, reqs = w.reconcile_memo(name, cs, view)
    if not _delivery_enabled(delivery, reqs) or (not delivery and not reqs and local == cs.local):
        return None
    reqs, delivery = _fence(w, state, name, reqs, delivery)
    if w.cut_off(state, name):
        delivery = (*delivery, CutOff())
    monitor = state.monitor

    def listen(before: Store, req: Request, res: Result) -> None:
        nonlocal monitor
        monitor = w.observe(before, req, res, name, monitor)

    sent = apiserver.send(
        state.store,
        reqs,
        delivery,
        now=state.clock,
        api=w.api,
        who=name,
        log=log,
        listen=listen if w.monitored() else None,
    )
    if sent is None:
        return None
    for req, res in sent.results:
        local = comp.on_result(local, req, res, view)
    if sent.crashed:
        return _restarted(w, state, name, sent.store, monitor, view.now, log)
    return _after(w, state, name, cs, local, reqs, sent.store, monitor, log)


def _fence(
    w: Wiring, state: ClusterState, name: str, reqs: list[Request], delivery: Delivery
) -> tuple[list[Request], Delivery]:
    """An HA replica's writes carry the lease epoch its elector believes it holds; with the
    ``fencedLeaderElection`` variant the API server checks it."""
    process = w.process_of.get(name)
    if process is None:
        return reqs, delivery
    if name != process.elector:
        epoch = state.components[process.elector].local.epoch
        reqs = [evolve(r, fence=epoch) if r.verb != "get" else r for r in reqs]
    if w.config.variants.fenced_leader_election:
        delivery = (*delivery, Fenced(process))
    return reqs, delivery


def _delivery_enabled(delivery: Delivery, reqs: list[Request]) -> bool:
    """A crash after k writes needs k requests; a lost i-th request or response needs an i-th."""
    for x in delivery:
        if isinstance(x, CrashAfter) and len(reqs) < x.count:
            return False
        if isinstance(x, apiserver.LoseRequest | apiserver.LoseResponse) and len(reqs) <= x.index:
            return False
    return True


def _restarted(
    w: Wiring, state: ClusterState, name: str, store: Store, monitor: Any, now: int, log: list[str] | None
) -> ClusterState | None:
    """The component crashed mid-reconcile: it restarts with its memory lost and relists."""
    cs = state.components[name]
    fresh = w.fresh_component(w.components[name], store, now=now)
    if log is not None:
        log.append(f"{name} restarted: in-memory state lost, relisted at rv {store.revision}")
    new_cs = evolve(fresh, skip=())
    if new_cs == cs and store is state.store:
        return None
    return evolve(state, store=store, monitor=monitor, components=state.components.set(name, new_cs))


def _after(
    w: Wiring,
    state: ClusterState,
    name: str,
    cs: ComponentState,
    local: Any,
    reqs: list[Request],
    store: Store,
    monitor: Any,
    log: list[str] | None,
) -> ClusterState | None:
    """The state after a reconcile that sent ``reqs``, with its listeners run."""
    if store is state.store and monitor is state.monitor and local == cs.local:
        return None  # every request failed or changed nothing: the step is a no-op
    if log is not None and not reqs:
        log.append(f"{name}: no API calls (in-memory state updated)")
    cs = evolve(cs, local=local)
    nxt = evolve(state, store=store, monitor=monitor, components=state.components.set(name, cs))
    if w.group_nodes and store is not state.store:
        nxt = join_nodes(w, nxt, log)
    if name in w.electors:  # HA hook: start or stop the process's controllers
        nxt = le.on_elector_step(w, state, nxt, w.electors[name], log)
    return nxt


def join_nodes(w: Wiring, state: ClusterState, log: list[str] | None) -> ClusterState:
    """A node group's node that now exists in the API gets its kubelet started (fresh, with
    its Lease created, as kubelet registration does); one whose Node is gone has it stopped
    (scale-down: the machine is gone, and its Lease, owned by the Node upstream, goes with it)."""
    comps = state.components
    store = state.store
    nodes_up = state.nodes_up
    lease_seconds = w.config.control_plane.node_lease_duration_seconds
    for node in w.group_nodes:
        name = f"kubelet/{node}"
        exists = store.get(("Node", "", node)) is not None
        if exists and not comps[name].up:
            lease = node_lease(node, state.clock, lease_seconds)
            store, _ = store.apply(Request("create", lease.key, lease), state.clock, w.api)
            fresh = w.fresh_component(w.components[name], store, now=state.clock)
            comps = comps.set(name, attrs.evolve(fresh, local=KubeletLocal(last_renew=state.clock)))
            nodes_up = nodes_up.set(node, True)
            if log is not None:
                log.append(f"{node} registered: its kubelet starts")
        elif not exists and comps[name].up:
            cs = comps[name]
            comps = comps.set(name, ComponentState(cs.cursor, EMPTY_CACHE, KubeletLocal(), up=False))
            lease_key = node_lease(node, None, 0).key
            if store.get(lease_key) is not None:
                store, _ = store.apply(Request("delete", lease_key), state.clock, w.api)
            nodes_up = nodes_up.delete(node)
            if log is not None:
                log.append(f"{node} removed: its kubelet stops")
    if comps is state.components:
        return state
    return attrs.evolve(state, store=store, components=comps, nodes_up=nodes_up)
