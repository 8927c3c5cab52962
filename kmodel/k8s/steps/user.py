"""User steps: the scenario's ``spec.user`` actions (``kubectl scale``, ``cordon``, ``delete pod``
and the rest: ``kmodel.k8s.userops``) and client requests to a Service (``request``)."""

from __future__ import annotations

import attrs

from kmodel.core.model import Action
from kmodel.k8s.controllers.kubeproxy import route_request
from kmodel.k8s.monitors import ServiceRequest
from kmodel.k8s.state import ClusterState
from kmodel.k8s.userops import apply_user_op, budget_key
from kmodel.k8s.wiring import Wiring


def user(w: Wiring, state: ClusterState, action: Action, log: list[str] | None) -> ClusterState | None:
    """A kubectl-like user step: it writes the store; a step with ``times: N`` spends its budget."""
    if action.op == "request":
        return request(w, state, action, log)
    op = next((o for o in w.config.user if o.op == action.op and o.target_name == action.arg("target")), None)
    budget = budget_key(op) if op is not None and op.op in w.budgeted else None
    if budget is not None and state.faults_left.get(budget, 0) <= 0:
        return None
    applied = apply_user_op(state.store, w.config.user, action.op, dict(action.args), state.clock, w.api)
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


def request(w: Wiring, state: ClusterState, action: Action, log: list[str] | None) -> ClusterState | None:
    """A client request (``kmodel.k8s.controllers.kubeproxy.route_request``), announced to the
    invariants' monitors as a ``ServiceRequest``. It changes nothing but what a monitor records
    of it, and is enabled only when a monitor records something (``kmodel.k8s.monitors``)."""
    target = action.arg("target")
    svc = next((op.target for op in w.config.user if op.op == "request" and op.target_name == target), None)
    service = state.store.get(svc) if svc is not None else None
    if service is None or not w.on_event:
        return None
    node = action.arg("node")
    routed = route_request(state, service, node, action.arg("index"))
    if routed is None:
        return None
    b = routed.backend
    event = ServiceRequest(node, (service.meta.namespace, service.meta.name), routed.via, b, routed.running)
    monitor = w.announce(state, event)
    if monitor is state.monitor:
        return None
    if log is not None:
        running = "running" if routed.running else "not running"
        log.append(f"client on {node} → {routed.via} → {b.pod_name}: container {running}")
    return attrs.evolve(state, monitor=monitor)
