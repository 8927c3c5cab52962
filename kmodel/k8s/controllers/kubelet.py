"""The kubelet of one node, with its container runtime.

One reconcile is one pass of ``pkg/kubelet/kubelet.go: syncLoop``:

- Node heartbeat: renews its Lease in ``kube-node-lease`` every ``renewInterval`` =
  ``nodeLeaseDurationSeconds`` (40) × 0.25 = 10s (``pkg/kubelet/kubelet.go``,
  ``nodeLeaseRenewIntervalFraction``); the lease controller updates without a resourceVersion
  precondition from its own last copy, modelled as an unconditional update.
- Node status: posts ``Ready=True`` when its node is not Ready (``setNodeReadyCondition``,
  on start and after the node lifecycle controller marked it Unknown).
- Admission (``pkg/kubelet/lifecycle/predicate.go: Admit``): a pod that does not fit next to the
  pods already admitted fails with phase Failed, reason ``OutOf<resource>`` (first failure only).
- Containers start on admission; a crashed container is restarted per ``restartPolicy`` with
  CrashLoopBackOff (``backOffPeriod`` 10s doubling to ``MaxContainerBackOff`` 300s; the entry is
  reset after 2 × 300s without failure: ``client-go/util/flowcontrol/backoff.go``). As upstream
  (``kuberuntime_manager.go: doBackOff``), the first restart is immediate and arms the backoff.
- Readiness: no probes are modelled yet, so a pod is Ready while its containers run.
- Termination: a pod with ``deletionTimestamp`` has its containers stopped, then the kubelet
  sends the final grace-0 delete with a UID precondition (``pkg/kubelet/status/status_manager.go``).
  Containers stop at once on SIGTERM (no preStop hook yet), so grace periods end early.
- Pods gone from the API (force-deleted) are killed (``HandlePodCleanups``).

All pods of one pod are modelled as one container ("the pod's containers"), enough for the
scheduling and replica properties in scope.
"""

from __future__ import annotations

from typing import Any

import attrs

from kmodel.core.fmap import FMap
from kmodel.k8s.informers import Component, View
from kmodel.k8s.objects import READY, Condition, Lease, Node, ObjectMeta, Pod, ResourceList, set_condition
from kmodel.k8s.store import Request

BACKOFF_INITIAL = 10
BACKOFF_MAX = 300
NODE_LEASE_NAMESPACE = "kube-node-lease"


@attrs.frozen
class PodRuntime:
    """What the container runtime runs for one admitted pod (keyed by pod uid)."""

    namespace: str
    name: str
    requests: ResourceList
    restart_policy: str
    running: bool = True
    restarts: int = 0
    started_at: int = 0
    exited_at: int | None = None
    backoff: int = 0  # the armed CrashLoopBackOff delay, 0 when none
    backoff_updated: int | None = None

    def restart_at(self) -> int | None:
        """When a crashed container may start again, or None if it never will."""
        if self.running or self.exited_at is None or self.restart_policy == "Never":
            return None
        if self.backoff == 0 or (
            self.backoff_updated is not None and self.exited_at - self.backoff_updated > 2 * BACKOFF_MAX
        ):
            return self.exited_at
        return self.exited_at + self.backoff


@attrs.frozen
class KubeletLocal:
    last_renew: int | None = None
    pods: FMap[str, PodRuntime] = FMap()


def lease_key(node: str) -> tuple[str, str, str]:
    return ("Lease", NODE_LEASE_NAMESPACE, node)


def node_lease(node: str, now: int | None, duration: int) -> Lease:
    return Lease(
        meta=ObjectMeta(name=node, namespace=NODE_LEASE_NAMESPACE),
        holder_identity=node,
        lease_duration_seconds=duration,
        renew_time=now,
    )


@attrs.frozen
class Kubelet(Component):
    node: str
    lease_duration_seconds: int = 40

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"kubelet/{self.node}"

    @property
    def renew_interval(self) -> int:
        return self.lease_duration_seconds // 4

    def watches(self, obj: Any) -> bool:
        if isinstance(obj, Pod):
            return obj.spec.node_name == self.node
        if isinstance(obj, Node):
            return obj.meta.name == self.node
        return False

    def initial_local(self) -> KubeletLocal:
        return KubeletLocal()

    def reconcile(self, local: KubeletLocal, view: View) -> tuple[KubeletLocal, list[Request]]:
        now = view.now
        reqs: list[Request] = []
        if local.last_renew is None or now >= local.last_renew + self.renew_interval:
            lease = node_lease(self.node, now, self.lease_duration_seconds)
            reqs.append(Request("update", lease.key, lease, tag=("lease",)))
            local = attrs.evolve(local, last_renew=now)
        node = view.get(("Node", "", self.node))
        if node is not None and node.ready_status() != "True":
            cond = Condition(READY, "True", "KubeletReady", "kubelet is posting ready status", last_heartbeat_time=now)
            status = attrs.evolve(node.status, conditions=set_condition(node.status.conditions, cond))
            reqs.append(Request("update_status", node.key, attrs.evolve(node, status=status), tag=("node-status",)))
        pods = sorted(view.list("Pod"), key=lambda p: (p.meta.creation_timestamp, p.meta.name))
        runtime = dict(local.pods)
        seen: set[str] = set()
        for pod in pods:
            uid = pod.meta.uid
            seen.add(uid)
            rt = runtime.get(uid)
            if pod.meta.deletion_timestamp is not None:
                runtime.pop(uid, None)
                reqs.append(Request("delete", pod.key, grace=0, precondition_uid=uid, tag=("final-delete",)))
                continue
            if pod.is_terminal():
                runtime.pop(uid, None)
                continue
            if rt is None:
                rejection = self._admit(pod, node, runtime)
                if rejection is not None:
                    reason, message = rejection
                    status = attrs.evolve(pod.status, phase="Failed", reason=reason, message=message)
                    reqs.append(self._status(pod, status))
                    continue
                rt = PodRuntime(
                    namespace=pod.meta.namespace,
                    name=pod.meta.name,
                    requests=pod.spec.requests(),
                    restart_policy=pod.spec.restart_policy,
                    started_at=now,
                )
                runtime[uid] = rt
            restart_at = rt.restart_at()
            if restart_at is not None and now >= restart_at:
                rt = restarted(rt, now)
                runtime[uid] = rt
            status = pod_status(pod, rt, now)
            if status != pod.status:
                reqs.append(self._status(pod, status))
        for uid in list(runtime):
            if uid not in seen:
                del runtime[uid]  # HandlePodCleanups: the pod is gone from the API
        local = attrs.evolve(local, pods=FMap(runtime))
        return local, reqs

    def _status(self, pod: Pod, status: Any) -> Request:
        return Request("update_status", pod.key, attrs.evolve(pod, status=status), tag=("pod-status",))

    def _admit(self, pod: Pod, node: Node | None, runtime: dict[str, PodRuntime]) -> tuple[str, str] | None:
        if node is None:
            return None
        alloc = node.status.allocatable
        used: dict[str, int] = {}
        for rt in runtime.values():
            for r, v in rt.requests.items():
                used[r] = used.get(r, 0) + v
        if len(runtime) + 1 > alloc.get("pods", 110):
            return "OutOfpods", "Pod was rejected: Node didn't have enough resource: pods"
        for r, v in sorted(pod.spec.requests().items()):
            if v > 0 and used.get(r, 0) + v > alloc.get(r, 0):
                return (
                    f"OutOf{r}",
                    f"Pod was rejected: Node didn't have enough resource: {r}, requested: {v}, "
                    f"used: {used.get(r, 0)}, capacity: {alloc.get(r, 0)}",
                )
        return None

    def next_deadline(self, local: KubeletLocal, view: View) -> int | None:
        times = []
        if local.last_renew is not None:
            times.append(local.last_renew + self.renew_interval)
        for rt in local.pods.values():
            t = rt.restart_at()
            if t is not None:
                times.append(t)
        future = [t for t in times if t > view.now]
        return min(future) if future else None


def restarted(rt: PodRuntime, now: int) -> PodRuntime:
    """Start the container again and arm the backoff (``flowcontrol.Backoff.Next``)."""
    expired = rt.backoff_updated is None or now - rt.backoff_updated > 2 * BACKOFF_MAX
    backoff = BACKOFF_INITIAL if rt.backoff == 0 or expired else min(rt.backoff * 2, BACKOFF_MAX)
    return attrs.evolve(
        rt, running=True, restarts=rt.restarts + 1, started_at=now, exited_at=None, backoff=backoff, backoff_updated=now
    )


def crashed(rt: PodRuntime, now: int) -> PodRuntime:
    return attrs.evolve(rt, running=False, exited_at=now)


def pod_status(pod: Pod, rt: PodRuntime, now: int) -> Any:
    ready = "True" if rt.running else "False"
    reason = "" if rt.running else "ContainersNotReady"
    cond = Condition(READY, ready, reason)
    conditions = set_condition(pod.status.conditions, cond)
    start = pod.status.start_time if pod.status.start_time is not None else rt.started_at
    return attrs.evolve(
        pod.status,
        phase="Running",
        conditions=conditions,
        restart_count=rt.restarts,
        start_time=start,
        reason="",
        message="" if rt.running else "back-off restarting failed container (CrashLoopBackOff)",
    )
