"""Node lifecycle and taint-based eviction (simplified, one component).

Mirrors ``pkg/controller/nodelifecycle/node_lifecycle_controller.go``:

- ``tryUpdateNodeHealth``: the controller keeps, per node, the last Lease ``renewTime`` it saw and
  a *probe timestamp* on its own clock, set when it observes a newer renewTime or a newer Ready
  ``lastHeartbeatTime`` posted by the kubelet (or first sees the node). When
  ``now > probeTimestamp + nodeMonitorGracePeriod`` it sets the node's Ready
  condition to Unknown (reason ``NodeStatusUnknown``) with ``UpdateStatus``.
  ``nodeMonitorGracePeriod`` defaults to 50s since v1.32 (kubernetes#126287; 40s before).
  Upstream polls every ``nodeMonitorPeriod`` (5s); kmodel acts at the exact deadline instead.
- On that transition ``MarkPodsNotReady`` (``pkg/controller/util/node/controller_utils.go``)
  sets every pod on the node to Ready=False, each an ``UpdateStatus`` of the cached pod, so with
  its cached resourceVersion: a pod that changed meanwhile conflicts. A failure other than
  NotFound puts the node in ``nodesToRetry`` (``monitorNodeHealth``), and the next pass marks
  the pods of a node still not Ready again (Kubernetes 1.34). Upstream's next pass comes within
  ``nodeMonitorPeriod``; kmodel's comes with the next event, which the conflicting pod's own
  change provides.
- ``doNoExecuteTaintingPass`` / ``doNoScheduleTaintingPass`` (TaintNodesByCondition): Ready
  Unknown → ``node.kubernetes.io/unreachable`` NoSchedule + NoExecute; Ready False →
  ``node.kubernetes.io/not-ready``; Ready True → neither.
- ``pkg/controller/tainteviction/taint_eviction.go: processPodOnNode``: a pod that does not
  tolerate every NoExecute taint of its node is deleted at once; otherwise at
  ``now + min(tolerationSeconds)`` (``getMinTolerationTime``; forever when none is set), the time
  being when the controller first saw the pod under the taint. Admission gives pods 300s
  tolerations for both taints (DefaultTolerationSeconds), hence "evicted after 300s".
  Deletion is an ordinary graceful delete; the pod then stays Terminating until its kubelet
  confirms, which an unreachable kubelet never does.

Simplifications: no zone-based rate limiting (``--node-eviction-rate``), no
``nodeStartupGracePeriod`` (nodes start Ready), no NodeReady=False from kubelet-reported
conditions. Not modelled either, and it can change a verdict: ``handleDisruption``'s zone states.
Upstream, when every zone is fully disrupted (all its nodes not Ready) the controller enters
"master disruption mode", removes the NoExecute taints (``markNodeAsReachable``) and evicts
nothing, and a zone of more than 2 nodes with at least 55% unhealthy (``unhealthyZoneThreshold``)
is partially disrupted, which in clusters of up to 50 nodes (``largeClusterSizeThreshold``) stops
tainting (secondary eviction rate 0). kmodel taints and evicts in both cases, so a scenario that
can take every node down (or most of a zone) reports evictions upstream deliberately avoids.
"""

from __future__ import annotations

from typing import Any

import attrs

from kmodel.core.fmap import FMap
from kmodel.k8s import abstraction
from kmodel.k8s.abstraction import PROBE
from kmodel.k8s.controllers.kubelet import NODE_LEASE_NAMESPACE, lease_key
from kmodel.k8s.informers import Component, ComponentSpec, View
from kmodel.k8s.objects import (
    READY,
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    TAINT_UNSCHEDULABLE,
    Condition,
    Lease,
    Node,
    Pod,
    Taint,
    condition,
    set_condition,
)
from kmodel.k8s.store import Request, Result

NAME = "node-lifecycle-controller"
NODE_MONITOR_GRACE_PERIOD = 50

PodRef = tuple[str, str]


@abstraction.declare(
    fields={"renew_seen": abstraction.RENEW, "heartbeat_seen": abstraction.HEARTBEAT, "probe": abstraction.PROBE}
)
@attrs.frozen
class NodeHealth:
    renew_seen: int | None
    heartbeat_seen: int | None
    probe: int


@abstraction.declare(fields={"evict_at": abstraction.TIME_VALUES})
@attrs.frozen
class NodeLifecycleLocal:
    health: FMap[str, NodeHealth] = FMap()
    evict_at: FMap[PodRef, int] = FMap()
    retry: FMap[str, bool] = FMap()  # nodesToRetry: nodes whose MarkPodsNotReady failed


def desired_taints(node: Node, now: int) -> tuple[Taint, ...]:
    """``doNoExecuteTaintingPass`` / ``doNoScheduleTaintingPass``: the condition taints, and
    ``node.kubernetes.io/unschedulable:NoSchedule`` while ``spec.unschedulable`` (cordon)."""
    status = node.ready_status()
    key = TAINT_UNREACHABLE if status == "Unknown" else TAINT_NOT_READY if status == "False" else None
    managed = (TAINT_UNREACHABLE, TAINT_NOT_READY, TAINT_UNSCHEDULABLE)
    keep = [t for t in node.spec.taints if t.key not in managed]
    if node.spec.unschedulable:
        existing = next((t for t in node.spec.taints if t.key == TAINT_UNSCHEDULABLE), None)
        keep.append(existing or Taint(key=TAINT_UNSCHEDULABLE, effect="NoSchedule", time_added=now))
    if key is not None:
        for effect in ("NoExecute", "NoSchedule"):
            existing = next((t for t in node.spec.taints if t.key == key and t.effect == effect), None)
            keep.append(existing or Taint(key=key, effect=effect, time_added=now))
    return tuple(sorted(keep, key=lambda t: (t.key, t.effect)))


def min_toleration_seconds(pod: Pod, taints: list[Taint] | tuple[Taint, ...]) -> int | None:
    """``getMinTolerationTime`` over the tolerations matching ``taints``:
    0 = evict now, None = tolerate forever. -1 if some taint is not tolerated at all."""
    used = []
    for taint in taints:
        matching = [t for t in pod.spec.tolerations if t.tolerates(taint)]
        if not matching:
            return -1
        used.extend(matching)
    seconds = [t.toleration_seconds for t in used if t.toleration_seconds is not None]
    if not seconds:
        return None
    return max(0, min(seconds))


@attrs.frozen
class NodeLifecycleController(Component):
    name: str = NAME
    node_monitor_grace_period: int = NODE_MONITOR_GRACE_PERIOD

    def watches(self, obj: Any) -> bool:
        # node heartbeats only: leader-election Leases (kube-system) are not node health
        return isinstance(obj, Node | Pod) or (isinstance(obj, Lease) and obj.meta.namespace == NODE_LEASE_NAMESPACE)

    def initial_local(self) -> NodeLifecycleLocal:
        return NodeLifecycleLocal()

    def reconcile(self, local: NodeLifecycleLocal, view: View) -> tuple[NodeLifecycleLocal, list[Request]]:
        """``monitorNodeHealth`` over the nodes (in name order), then the taint eviction pass
        over the pods (module docstring)."""
        now = view.now
        reqs: list[Request] = []
        health = dict(local.health)
        retry = local.retry
        pods = list(view.list("Pod"))
        nodes = list(view.list("Node"))
        for node in nodes:
            name = node.meta.name
            h = health[name] = observe_health(health.get(name), node, view, now)
            if now > h.probe + self.node_monitor_grace_period and node.ready_status() != "Unknown":
                reqs.extend(mark_unknown(node, pods))
                retry = retry.delete(name)
                continue
            if name in retry:  # needsRetry: mark again while the node is not Ready
                retry = retry.delete(name)
                if node.ready_status() != "True":
                    reqs.extend(mark_pods_not_ready(node, pods))
            taints = desired_taints(node, now)
            if taints != node.spec.taints:
                spec = attrs.evolve(node.spec, taints=taints)
                reqs.append(
                    Request(
                        "update",
                        node.key,
                        attrs.evolve(node, spec=spec),
                        precondition_rv=node.meta.resource_version,
                        tag=("taint", name),
                    )
                )
        evict_at, evictions = taint_evictions(local.evict_at, nodes, pods, now)
        return NodeLifecycleLocal(FMap(health), evict_at, retry), reqs + evictions

    def on_result(self, local: NodeLifecycleLocal, req: Request, result: Result, view: View) -> NodeLifecycleLocal:
        """A failed ``MarkPodsNotReady`` write (not NotFound: a pod gone needs nothing) queues
        its node for retry (``nc.nodesToRetry.Store``)."""
        if result.ok or result.reason == "NotFound" or not req.tag or req.tag[0] != "mark-not-ready":
            return local
        return attrs.evolve(local, retry=local.retry.set(req.tag[1], True))

    def settle_until(self, local: NodeLifecycleLocal, truth: Any, offset: int) -> int | None:
        """Scheduled evictions, and, for a crashed or partitioned node not yet marked Unknown,
        the end of its grace period (when ``monitorNodeHealth`` will mark it)."""
        times = [t - offset for t in local.evict_at.values()]
        for node, up in truth.nodes_up.items():
            stored = truth.store.get(("Node", "", node))
            silent = not up or truth.partitioned.get(node, False)
            if silent and stored is not None and stored.ready_status() != "Unknown":
                h = local.health.get(node)
                probe = h.probe - offset if h is not None else truth.clock
                times.append(probe + self.node_monitor_grace_period + 1)
        return max(times, default=None)

    def next_deadline(self, local: NodeLifecycleLocal, view: View) -> int | None:
        times = [h.probe + self.node_monitor_grace_period + 1 for h in local.health.values()]
        times.extend(local.evict_at.values())
        future = [t for t in times if t > view.now]
        return min(future) if future else None


def observe_health(h: NodeHealth | None, node: Node, view: View, now: int) -> NodeHealth:
    """``tryUpdateNodeHealth``: the probe timestamp moves to ``now`` when the node is first seen,
    or its Lease's ``renewTime`` or its Ready ``lastHeartbeatTime`` is newer than the last seen."""
    lease = view.get(lease_key(node.meta.name))
    renew = lease.renew_time if lease is not None else None
    ready = condition(node.status.conditions, READY)
    beat = ready.last_heartbeat_time if ready is not None else None
    if (
        h is None
        or (renew is not None and (h.renew_seen is None or renew > h.renew_seen))
        or (beat is not None and (h.heartbeat_seen is None or beat > h.heartbeat_seen))
    ):
        return NodeHealth(renew, beat, now)
    return h


def mark_unknown(node: Node, pods: list[Pod]) -> list[Request]:
    """Past the grace period: the node's Ready condition set to Unknown (``UpdateStatus``, with
    the read resourceVersion), then ``MarkPodsNotReady`` for the Ready pods on it."""
    cond = Condition(READY, "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
    status = attrs.evolve(node.status, conditions=set_condition(node.status.conditions, cond))
    reqs = [
        Request(
            "update_status",
            node.key,
            attrs.evolve(node, status=status),
            precondition_rv=node.meta.resource_version,
            tag=("node-unknown", node.meta.name),
        )
    ]
    return reqs + mark_pods_not_ready(node, pods)


def mark_pods_not_ready(node: Node, pods: list[Pod]) -> list[Request]:
    """``MarkPodsNotReady``: an ``UpdateStatus`` setting Ready=False on each Ready pod of the
    node, from the cached pod (its resourceVersion a precondition, as ``UpdateStatus`` of the
    lister's copy carries it)."""
    reqs = []
    for pod in pods:
        if pod.spec.node_name == node.meta.name and pod.is_ready():
            pc = Condition(READY, "False", "NodeNotReady")
            ps = attrs.evolve(pod.status, conditions=set_condition(pod.status.conditions, pc))
            reqs.append(
                Request(
                    "update_status",
                    pod.key,
                    attrs.evolve(pod, status=ps),
                    precondition_rv=pod.meta.resource_version,
                    tag=("mark-not-ready", node.meta.name),
                )
            )
    return reqs


def taint_evictions(
    evict_at: FMap[PodRef, int], nodes: list[Node], pods: list[Pod], now: int
) -> tuple[FMap[PodRef, int], list[Request]]:
    """``taint_eviction.go: processPodOnNode`` for every live pod on a node with NoExecute taints:
    its eviction time (now when a taint is not tolerated, else first seen + the least
    ``tolerationSeconds``; none → never), kept only for such pods, and a delete (by name, no
    preconditions) for each pod whose time has come."""
    at_by_ref = dict(evict_at)
    tainted = {n.meta.name: [t for t in n.spec.taints if t.effect == "NoExecute"] for n in nodes}
    live_refs = set()
    reqs = []
    for pod in pods:
        ref = (pod.meta.namespace, pod.meta.name)
        noexec = tainted.get(pod.spec.node_name) or []
        if not noexec or pod.meta.deletion_timestamp is not None:
            continue
        live_refs.add(ref)
        seconds = min_toleration_seconds(pod, noexec)
        if seconds is None:
            continue
        at = now if seconds < 0 else at_by_ref.get(ref, now + seconds)
        at_by_ref[ref] = at
        if now >= at:
            reqs.append(Request("delete", pod.key, tag=("evict",)))
    return FMap((r, t) for r, t in at_by_ref.items() if r in live_refs), reqs


SPEC = ComponentSpec(
    "node-lifecycle-controller",
    build=lambda config: [
        NodeLifecycleController(node_monitor_grace_period=config.control_plane.node_monitor_grace_period)
    ],
    durations=lambda config: (config.control_plane.node_monitor_grace_period,),
    horizons=lambda config: ((PROBE, config.control_plane.node_monitor_grace_period),),
)
