"""kube-scheduler: one scheduling cycle per reconcile.

Mirrors ``pkg/scheduler/schedule_one.go: scheduleOne`` with the default plugins that matter here:

- Filters (``pkg/scheduler/framework/plugins``): ``NodeUnschedulable`` (``spec.unschedulable``),
  ``NodeAffinity`` (``nodeSelector`` only), ``TaintToleration`` (NoSchedule / NoExecute taints the
  pod does not tolerate), ``NodeResourcesFit`` (``noderesources/fit.go: fitsRequest``: "Too many
  pods" when pods + 1 > allocatable pods; "Insufficient <resource>" when the request exceeds
  allocatable − requested; the filter uses the real requests).
- Score: ``LeastAllocated`` (``noderesources/least_allocated.go``): per resource
  ``(allocatable − requested) × 100 / allocatable``, weights cpu = memory = 1, with the non-zero
  defaults 100m cpu / 200Mi memory for containers without requests
  (``pkg/scheduler/util/pod_resources.go``).
- Tie-break: upstream picks uniformly at random among the top-scoring nodes (``selectHost``
  reservoir sampling); kmodel picks the first by node name, so runs are reproducible. Ties are
  therefore resolved one fixed way — a documented narrowing of upstream's behaviour.
- Assume cache (``pkg/scheduler/internal/cache/cache.go: AssumePod``): a pod is counted on its
  node as soon as it is assumed, before the binding reaches the informer; ``ForgetPod`` on bind
  failure; confirmed when the informer shows the pod bound (assumed pods never expire:
  ``durationToExpireAssumedPod = 0``).
- The queue: pods in order of creation (then name); a pod that fits nowhere is marked
  ``PodScheduled=False, reason Unschedulable`` with the upstream summary message and retried only
  after the scheduler's cache changes (the unschedulable queue moved on cluster events).

Variant ``schedulerAssumeCache: false`` drops the assume cache, so the scheduler places pods on a
view that has not yet seen its own bindings.
"""

from __future__ import annotations

from typing import Any

import attrs

from kmodel.core.fmap import FMap
from kmodel.k8s.informers import Component, View
from kmodel.k8s.objects import POD_SCHEDULED, TAINT_UNSCHEDULABLE, Condition, Node, Pod, Taint, set_condition
from kmodel.k8s.store import Event, Request, Result

NAME = "scheduler"
MAX_NODE_SCORE = 100
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024

PodRef = tuple[str, str]


@attrs.frozen
class SchedulerLocal:
    assumed: FMap[PodRef, str] = FMap()  # pod → node it is assumed on
    unschedulable: FMap[PodRef, int] = FMap()  # pod → cache cursor when it last failed
    cursor: int = 0  # how far the informer had got at the last event (for retries)


def untolerated_taint(pod: Pod, node: Node, effects: tuple[str, ...] = ("NoSchedule", "NoExecute")) -> Any:
    for taint in node.spec.taints:
        if taint.effect in effects and not any(t.tolerates(taint) for t in pod.spec.tolerations):
            return taint
    return None


def filter_node(pod: Pod, node: Node, requested: dict[str, int], pod_count: int) -> str | None:
    """The first failing filter's reason for ``node``, or None when the pod fits."""
    if node.spec.unschedulable and not any(t.tolerates(_UNSCHEDULABLE_TAINT) for t in pod.spec.tolerations):
        return "node(s) were unschedulable"
    for k, v in pod.spec.node_selector.items():
        if node.meta.labels.get(k) != v:
            return "node(s) didn't match Pod's node affinity/selector"
    taint = untolerated_taint(pod, node)
    if taint is not None:
        return f"node(s) had untolerated taint {{{taint.key}: {taint.value}}}"
    alloc = node.status.allocatable
    if pod_count + 1 > alloc.get("pods", 110):
        return "Too many pods"
    for res, amount in sorted(pod.spec.requests().items()):
        if amount > 0 and amount > alloc.get(res, 0) - requested.get(res, 0):
            return f"Insufficient {res}"
    return None


def _nonzero(pod: Pod) -> dict[str, int]:
    cpu = 0
    mem = 0
    for c in pod.spec.containers:
        cpu += c.requests.get("cpu", DEFAULT_MILLI_CPU_REQUEST) or DEFAULT_MILLI_CPU_REQUEST
        mem += c.requests.get("memory", DEFAULT_MEMORY_REQUEST) or DEFAULT_MEMORY_REQUEST
    return {"cpu": cpu, "memory": mem}


def least_allocated(node: Node, nonzero_requested: dict[str, int], pod: Pod) -> int:
    alloc = node.status.allocatable
    want = _nonzero(pod)
    total = 0
    weights = 0
    for r in ("cpu", "memory"):
        cap = alloc.get(r, 0)
        if cap == 0:
            continue
        req = nonzero_requested.get(r, 0) + want[r]
        total += 0 if req > cap else (cap - req) * MAX_NODE_SCORE // cap
        weights += 1
    return total // weights if weights else 0


def node_usage(
    pods: Any, assumed: FMap[PodRef, str], by_ref: dict[PodRef, Pod]
) -> dict[str, tuple[dict[str, int], dict[str, int], int]]:
    """Per node: (requested, non-zero requested, pod count) over non-terminal bound pods plus
    assumed pods the cache has not seen bound yet."""
    usage: dict[str, tuple[dict[str, int], dict[str, int], int]] = {}

    def add(node: str, pod: Pod) -> None:
        req, nz, n = usage.get(node, ({}, {}, 0))
        for r, v in pod.spec.requests().items():
            req[r] = req.get(r, 0) + v
        for r, v in _nonzero(pod).items():
            nz[r] = nz.get(r, 0) + v
        usage[node] = (req, nz, n + 1)

    for p in pods:
        if p.spec.node_name and not p.is_terminal():
            add(p.spec.node_name, p)
    for ref, node in assumed.items():
        p = by_ref.get(ref)
        if p is not None and not p.spec.node_name:
            add(node, p)
    return usage


_UNSCHEDULABLE_TAINT = Taint(key=TAINT_UNSCHEDULABLE, effect="NoSchedule")


def fit_failures(pod: Pod, nodes: list[Node], usage: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in nodes:
        req, _, n = usage.get(node.meta.name, ({}, {}, 0))
        reason = filter_node(pod, node, req, n)
        if reason is not None:
            out[node.meta.name] = reason
    return out


def unschedulable_message(failures: dict[str, str], total: int) -> str:
    """``0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint ...``"""
    counts: dict[str, int] = {}
    for reason in failures.values():
        counts[reason] = counts.get(reason, 0) + 1
    parts = ", ".join(f"{n} {r}" for r, n in sorted(counts.items()))
    return f"0/{total} nodes are available: {parts}."


@attrs.frozen
class Scheduler(Component):
    name: str = NAME
    assume_cache: bool = True

    def watches(self, obj: Any) -> bool:
        return isinstance(obj, Pod | Node)

    def initial_local(self) -> SchedulerLocal:
        return SchedulerLocal()

    def on_event(self, local: SchedulerLocal, event: Event, old: Any, view: View) -> SchedulerLocal:
        local = attrs.evolve(local, cursor=event.revision)
        obj = event.obj
        if isinstance(obj, Pod):
            ref = (obj.meta.namespace, obj.meta.name)
            if ref in local.assumed and (event.type == "DELETED" or obj.spec.node_name):
                local = attrs.evolve(local, assumed=local.assumed.delete(ref))
            if event.type == "DELETED" and ref in local.unschedulable:
                local = attrs.evolve(local, unschedulable=local.unschedulable.delete(ref))
        return local

    def _pending(self, local: SchedulerLocal, view: View) -> list[Pod]:
        out = []
        for p in view.list("Pod"):
            ref = (p.meta.namespace, p.meta.name)
            if p.spec.node_name or p.meta.deletion_timestamp is not None or p.is_terminal():
                continue
            if p.spec.scheduler_name != "default-scheduler" or ref in local.assumed:
                continue
            failed_at = local.unschedulable.get(ref)
            if failed_at is not None and failed_at >= local.cursor:
                continue
            out.append(p)
        out.sort(key=lambda p: (p.meta.creation_timestamp, p.meta.name))
        return out

    def reconcile(self, local: SchedulerLocal, view: View) -> tuple[SchedulerLocal, list[Request]]:
        pending = self._pending(local, view)
        if not pending:
            return local, []
        pod = pending[0]
        ref = (pod.meta.namespace, pod.meta.name)
        pods = list(view.list("Pod"))
        by_ref = {(p.meta.namespace, p.meta.name): p for p in pods}
        assumed = local.assumed if self.assume_cache else FMap()
        usage = node_usage(pods, assumed, by_ref)
        nodes = list(view.list("Node"))
        failures = fit_failures(pod, nodes, usage)
        feasible = [n for n in nodes if n.meta.name not in failures]
        if not feasible:
            local = attrs.evolve(local, unschedulable=local.unschedulable.set(ref, local.cursor))
            cond = Condition(POD_SCHEDULED, "False", "Unschedulable", unschedulable_message(failures, len(nodes)))
            new_status = attrs.evolve(pod.status, conditions=set_condition(pod.status.conditions, cond))
            if new_status == pod.status:
                return local, []
            return local, [
                Request("update_status", pod.key, attrs.evolve(pod, status=new_status), tag=("sched-status",))
            ]
        best = max(
            feasible,
            key=lambda n: (least_allocated(n, usage.get(n.meta.name, ({}, {}, 0))[1], pod), _neg_name(n.meta.name)),
        )
        local = attrs.evolve(local, unschedulable=local.unschedulable.delete(ref))
        # The pod leaves the scheduling queue either way; only with the assume cache does it
        # also count against its node before the informer shows the binding.
        local = attrs.evolve(local, assumed=local.assumed.set(ref, best.meta.name))
        return local, [
            Request("bind", pod.key, node_name=best.meta.name, precondition_uid=pod.meta.uid, tag=("bind", ref))
        ]

    def on_result(self, local: SchedulerLocal, req: Request, result: Result, view: View) -> SchedulerLocal:
        if req.verb == "bind" and not result.ok:
            # handleBindingCycleError → ForgetPod
            return attrs.evolve(local, assumed=local.assumed.delete(req.tag[1]))
        return local


def _neg_name(name: str) -> tuple[int, ...]:
    """Sort key making ``max`` prefer the lexicographically smallest name on equal scores."""
    return (*tuple(-ord(c) for c in name), 1)
