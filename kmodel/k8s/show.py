"""A readable dump of the whole cluster state, for ``kmodel replay --step N``.

Pure: returns data (a dict of sections → lines); the CLI prints it or emits it as JSON.
"""

from __future__ import annotations

from typing import Any

from kmodel.k8s.objects import GenericObject, thaw
from kmodel.k8s.quantity import format_amount


def cluster_state(model: Any, state: Any) -> dict[str, list[str]]:
    """The sections of ``state``'s dump, in display order: clock, nodes, pods, workloads, custom
    objects (only when there are any), components, faults left, recorded violations (only when
    there are any)."""
    out: dict[str, list[str]] = {"clock": [f"{state.clock}s (true time)"]}
    out["nodes"] = _nodes(state)
    out["pods"] = _pods(state)
    out["workloads"] = _workloads(state)
    custom = [
        f"{o.kind} {o.meta.namespace}/{o.meta.name} (uid {o.meta.uid}): spec {thaw(o.spec)}, status {thaw(o.status)}"
        for o in state.store.objects.values()
        if isinstance(o, GenericObject)
    ]
    if custom:  # objects of kinds user controllers own
        out["custom objects"] = custom
    out["components"] = _components(state)
    left = ", ".join(f"{k}={v}" for k, v in state.faults_left.items())
    out["faults left"] = [left or "none"]
    if state.monitor:
        out["recorded violations"] = [f"{k}: {v}" for k, v in state.monitor.items()]
    return out


def _nodes(state: Any) -> list[str]:
    nodes = []
    for n in state.store.list("Node"):
        name = n.meta.name
        status = "crashed" if not state.nodes_up.get(name, True) else "up"
        if name in state.lost:
            status = "lost for good"
        if state.partitioned.get(name):
            status = "partitioned"
        taints = ", ".join(f"{t.key}:{t.effect}" for t in n.spec.taints) or "no taints"
        alloc = ", ".join(f"{r}={format_amount(r, v)}" for r, v in n.status.allocatable.items())
        cordon = " cordoned" if n.spec.unschedulable else ""
        nodes.append(f"{name}: {status}, Ready={n.ready_status()}{cordon}; {taints}; allocatable {alloc}")
    return nodes


def _pods(state: Any) -> list[str]:
    pods = []
    for p in state.store.list("Pod"):
        where = p.spec.node_name or "unscheduled"
        deleting: str = (
            f", Terminating (deadline t={p.meta.deletion_timestamp}s)" if p.meta.deletion_timestamp is not None else ""
        )
        reason = f" ({p.status.reason})" if p.status.reason else ""
        pods.append(
            f"{p.meta.namespace}/{p.meta.name} on {where}: {p.status.phase}{reason}, "
            f"ready={p.is_ready()}, restarts={p.status.restart_count}{deleting}"
        )
    return pods


def _workloads(state: Any) -> list[str]:
    workloads = []
    for kind in ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "Service", "EndpointSlice"):
        for o in state.store.list(kind):
            spec_replicas = getattr(getattr(o, "spec", None), "replicas", None)
            obj_status = getattr(o, "status", None)
            ready = getattr(obj_status, "ready_replicas", None)
            extra = f": replicas {spec_replicas}, ready {ready}" if spec_replicas is not None else ""
            gone = " (being deleted)" if o.meta.deletion_timestamp is not None else ""
            workloads.append(f"{kind} {o.meta.namespace}/{o.meta.name}{extra}{gone}")
    for ds in state.store.list("DaemonSet"):  # last, so the dumps of scenarios without one are unchanged
        st = ds.status
        gone = " (being deleted)" if ds.meta.deletion_timestamp is not None else ""
        workloads.append(
            f"DaemonSet {ds.meta.namespace}/{ds.meta.name}: desired {st.desired_number_scheduled}, "
            f"ready {st.number_ready}, updated {st.updated_number_scheduled}{gone}"
        )
    return workloads


def _components(state: Any) -> list[str]:
    """Each component: down, or how far its watch lags the head and its clock offset; a
    kubelet's running containers."""
    comps = []
    head = state.store.revision
    for name, cs in state.components.items():
        if not cs.up:
            comps.append(f"{name}: down")
            continue
        offset = state.offsets.get(name, 0)
        skew = f", clock {offset:+d}s" if offset else ""
        lag = head - cs.cursor
        comps.append(f"{name}: watch at rv {cs.cursor} of {head} ({lag} behind){skew}")
        running = getattr(cs.local, "pods", None)
        if running is not None and hasattr(running, "values"):
            names = sorted(getattr(rt, "name", "?") for rt in running.values() if getattr(rt, "running", False))
            if names:
                comps.append(f"    containers running: {', '.join(names)}")
    return comps
