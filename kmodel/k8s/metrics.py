"""Quantities worth plotting over a trace: desired versus ready replicas per workload.

Pure functions of the true cluster state; the report's timeline charts are drawn from them.
"""

from __future__ import annotations

from typing import Any


def workload_metrics(state: Any) -> dict[str, int]:
    """``{"ReplicaSet/web active": 4, "ReplicaSet/web desired": 3, "ReplicaSet/web ready": 2}``.

    For every ReplicaSet, Deployment and StatefulSet (not being deleted): ``spec.replicas``, the
    number of its active pods (not terminal, not being deleted) and how many of those are Ready
    (pods are matched by controllerRef uid; a Deployment counts the pods of all its ReplicaSets).
    A DaemonSet's desired count is the nodes it should run on (``NodeShouldRunDaemonPod``).
    """
    from kmodel.k8s.controllers.daemonset import node_should_run

    store = state.store
    pods = store.list("Pod")
    owners: dict[str, str] = {}  # uid → "Kind/name" of the workload it rolls up to
    out: dict[str, int] = {}
    workloads = []
    for kind in ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "DaemonSet"):
        for obj in store.list(kind):
            if obj.meta.deletion_timestamp is not None:
                continue
            workloads.append((kind, obj))
            owners[obj.meta.uid] = f"{kind}/{obj.meta.name}"
    for kind, obj in workloads:
        if kind == "ReplicaSet":
            ref = obj.meta.controller_ref()
            if ref is not None and ref.uid in owners:
                owners[obj.meta.uid] = owners[ref.uid]
                continue
        label = f"{kind}/{obj.meta.name}"
        if kind == "DaemonSet":
            out[f"{label} desired"] = sum(node_should_run(obj, n)[0] for n in store.list("Node"))
        else:
            out[f"{label} desired"] = obj.spec.replicas
        out.setdefault(f"{label} active", 0)
        out.setdefault(f"{label} ready", 0)
    for p in pods:
        ref = p.meta.controller_ref()
        if ref is None or ref.uid not in owners or not p.is_active():
            continue
        label = owners[ref.uid]
        if f"{label} active" in out:
            out[f"{label} active"] += 1
            if p.is_ready():
                out[f"{label} ready"] += 1
    return dict(sorted(out.items()))
