"""The kubelet of one node, with its container runtime.

One reconcile is one pass of ``pkg/kubelet/kubelet.go: syncLoop`` over the node's pods:

- Node heartbeat: renews its Lease in ``kube-node-lease`` every ``renewInterval`` =
  ``nodeLeaseDurationSeconds`` (40) × 0.25 = 10s (``pkg/kubelet/kubelet.go``,
  ``nodeLeaseRenewIntervalFraction``); the lease controller updates without a resourceVersion
  precondition from its own last copy, modelled as an unconditional update.
- Node status: posts ``Ready=True`` when its node is not Ready (``setNodeReadyCondition``,
  on start and after the node lifecycle controller marked it Unknown), on its status tick:
  ``syncNodeStatus`` runs every ``nodeStatusUpdateFrequency`` (10s,
  ``pkg/kubelet/apis/config/v1beta1/defaults.go``, Kubernetes 1.34), which kmodel ties to the
  lease renewal of the same period. Never at once on seeing the Unknown: under a backward clock
  skew its heartbeat looks older than the last one the node lifecycle controller saw, which marks
  the node Unknown again, and an immediate re-post made the two trade writes forever at one
  instant.
- Admission (``pkg/kubelet/lifecycle/predicate.go: Admit``): a pod that does not fit next to the
  pods already admitted (terminating ones included, as ``filterOutInactivePods`` keeps them)
  fails with phase Failed, reason ``OutOf<resource>`` (first failure only).
- Containers start on admission. Restarts, readiness and termination: see ``restart_at``,
  ``ready_time`` and ``Kubelet._terminate``; every rule there names its upstream source.
- Liveness: a container may declare a ``livenessProbe``; the manifest parser ignores it. The
  only liveness failure the model knows is the ``crash_container`` fault: an exited container is
  handled exactly as one killed for a failed liveness probe (``kuberuntime_manager.go:
  computePodActions`` restarts both only when ``shouldRestartOnFailure``), so a probe adds
  nothing until a probe-failure fault exists. ``crash_container`` is always a non-zero exit.
- restartPolicy (``computePodActions`` / ``kubelet_pods.go: getPhase``): ``Always`` and
  ``OnFailure`` restart a crashed container (a crash is a failure); ``Never`` does not, and the
  pod's phase becomes ``Failed`` with ``Ready=False`` (reason ``PodCompleted``, as
  ``status.GeneratePodReadyCondition`` does for terminal pods since kubernetes#110256).
- Pods gone from the API (force-deleted) are killed at once (``HandlePodCleanups``).
- Completion (kmodel's own input, for Jobs): a pod whose spec has ``run_seconds`` (the
  ``kmodel.io/run-seconds`` annotation of its template; Job pods default to 10s) has containers
  that exit 0 that long after they start. Under ``Never`` and ``OnFailure`` the pod's phase
  becomes ``Succeeded`` (``getPhase``: all containers terminated, none failed) with
  ``Ready=False`` reason ``PodCompleted``; under ``Always`` the container is restarted as after
  a crash (``computePodActions`` restarts any exited container under Always). Without
  ``run_seconds`` (every pod but a Job's) containers never exit on their own, as before. A
  container restarted under OnFailure runs its whole duration again. A crash (the
  ``crash_container`` fault) exits with ``CRASH_EXIT_CODE`` = 1, the code a Job's
  ``podFailurePolicy`` ``onExitCodes`` rules see.
- A pod whose containers have stopped after a deletion but that still has finalizers (a Job's
  ``batch.kubernetes.io/job-tracking``) gets its terminal phase ``Failed`` posted before the
  final delete, which then leaves it for its finalizers (``pkg/kubelet/status/status_manager.go``:
  a terminated pod's status is synced with a terminal phase before ``canBeDeleted``,
  kubernetes#115331). Pods without finalizers are removed by that delete, so no phase is posted.

All containers of one pod are modelled as one runtime entry ("the pod's containers"): they start,
crash and stop together; readiness and preStop take the slowest container.
"""

from __future__ import annotations

from typing import Any

import attrs

from kmodel.core.fmap import FMap
from kmodel.k8s import abstraction
from kmodel.k8s.abstraction import READY as READY_TIMES
from kmodel.k8s.informers import Component, ComponentSpec, View
from kmodel.k8s.objects import (
    READY,
    Condition,
    Lease,
    Node,
    ObjectMeta,
    Pod,
    ResourceList,
    repr_unless_default,
    set_condition,
)
from kmodel.k8s.store import Request

BACKOFF_INITIAL = 10  # kubelet.go: containerBackOffPeriod (older releases: backOffPeriod)
BACKOFF_MAX = 300  # kubelet.go: MaxContainerBackOff = v1beta1.MaxContainerBackOff
BACKOFF_RESET = 2 * BACKOFF_MAX  # backoff.go: hasExpired; kubelet.go HasExpiredFunc: 600s
NODE_LEASE_NAMESPACE = "kube-node-lease"
CRASH_EXIT_CODE = 1  # what the crash_container fault exits with


@abstraction.declare(plain={"initial_delay", "period", "success_threshold"})
@attrs.frozen
class Probe:
    """A readinessProbe's timing (``core/v1`` Probe, defaults from ``SetDefaults_Probe``)."""

    initial_delay: int = 0
    period: int = 10
    success_threshold: int = 1


@abstraction.declare(
    fields={
        "started_at": abstraction.OPAQUE,
        "exited_at": abstraction.TIME,
        "backoff_updated": abstraction.TIME,
        "admitted_at": abstraction.PHASE,
        "ready_at": abstraction.READY,
        "terminating_since": abstraction.TIME,
        "stop_at": abstraction.TIME,
        "complete_at": abstraction.TIME,
    },
    plain={"restarts", "backoff", "requests", "run_seconds"},
)
@attrs.frozen
class PodRuntime:
    """What the container runtime runs for one admitted pod (keyed by pod uid).

    Times are on the kubelet's own clock. ``backoff``/``backoff_updated`` are the pod's
    ``flowcontrol.Backoff`` entry (``backoff``, ``lastUpdate``); ``backoff == 0`` means no entry.
    """

    namespace: str
    name: str
    requests: ResourceList
    restart_policy: str
    running: bool = True
    restarts: int = 0
    started_at: int = 0
    exited_at: int | None = None
    backoff: int = 0
    backoff_updated: int | None = None
    admitted_at: int = 0  # the probe workers start here: their ticks are admitted_at + k × period
    probes: tuple[Probe, ...] = ()
    ready_at: int | None = None  # when the running containers pass readiness (None: not running)
    terminating_since: int | None = None  # when the kubelet began killing the pod (preStop, SIGTERM)
    stop_at: int | None = None  # when the containers have stopped (hook done, or SIGKILL at grace)
    run_seconds: int | None = None  # PodSpec.run_seconds: the containers exit 0 this long after a start
    complete_at: int | None = None  # when the running containers exit 0 (None: they run on)
    completed: bool = False  # the last exit was 0, the run done (else a crash: CRASH_EXIT_CODE)

    def __repr__(self) -> str:
        return repr_unless_default(self, ("run_seconds", "complete_at", "completed"))

    def restart_at(self) -> int | None:
        """When a crashed container starts again, or None if it never will.

        ``kuberuntime_manager.go: doBackOff`` asks ``Backoff.IsInBackOffSince(key, FinishedAt)``
        (``client-go/util/flowcontrol/backoff.go``): with no entry, or when the entry
        ``hasExpired`` (``FinishedAt − lastUpdate > 600s``, kubelet's ``HasExpiredFunc``), it is
        not in backoff and the container starts at once; otherwise it waits until
        ``now − FinishedAt ≥ backoff``. ``HandlePodCleanups`` runs ``Backoff.GC`` every
        housekeeping period (2s), dropping entries with ``now − lastUpdate > 600s``; a container
        still waiting then starts at once. We take the earliest such moment, ``lastUpdate + 601``
        (upstream notices it at the pod worker's next sync, within its 1m resync).

        Simplification: the restart happens exactly when the backoff ends. Upstream the pod worker
        requeues a pod in backoff at the backoff's expiry (kubernetes#133066; before it, every
        10s, kubernetes#123602).
        """
        if self.running or self.exited_at is None or self.restart_policy == "Never":
            return None
        if self.completed and self.restart_policy == "OnFailure":
            return None  # completed: OnFailure restarts only failed containers
        if self.terminating_since is not None:
            return None  # SyncTerminatingPod never starts containers
        if self.backoff == 0 or self.backoff_updated is None:
            return self.exited_at
        if self.exited_at - self.backoff_updated > BACKOFF_RESET:
            return self.exited_at
        return min(self.exited_at + self.backoff, self.backoff_updated + BACKOFF_RESET + 1)

    def timers(self) -> list[int]:
        """When this pod next changes without any event: a restart, readiness, the end of its
        termination. Times may lie in the past (callers keep the future ones)."""
        times = [t for t in (self.restart_at(), self.stop_at) if t is not None]
        if self.running and self.ready_at is not None:
            times.append(self.ready_at)
        if self.running and self.complete_at is not None and self.terminating_since is None:
            times.append(self.complete_at)
        return times

    def last_timer(self) -> int | None:
        """The time by which every timer of this pod has fired (for the settle phase)."""
        times = self.timers()
        return max(times) if times else None


@abstraction.declare(fields={"last_renew": abstraction.TIME})
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
    node_side = True

    def host(self) -> str:
        return self.node

    def settle_until(self, local: KubeletLocal, truth: Any, offset: int) -> int | None:
        """Pending container restarts (CrashLoopBackOff), readiness and ends of termination."""
        times = [t - offset for rt in local.pods.values() if (t := rt.last_timer()) is not None]
        return max(times, default=None)

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
        tick = local.last_renew is None or now >= local.last_renew + self.renew_interval
        if tick:
            lease = node_lease(self.node, now, self.lease_duration_seconds)
            reqs.append(Request("update", lease.key, lease, tag=("lease",)))
            local = attrs.evolve(local, last_renew=now)
        node = view.get(("Node", "", self.node))
        if tick and node is not None and node.ready_status() != "True":
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
                rt = self._terminate(pod, rt, now)
                if rt is None:
                    runtime.pop(uid, None)
                    if pod.meta.finalizers and not pod.is_terminal():
                        reqs.append(self._status(pod, terminal_status(pod)))
                    reqs.append(Request("delete", pod.key, grace=0, precondition_uid=uid, tag=("final-delete",)))
                    continue
                runtime[uid] = rt
            elif pod.is_terminal():
                runtime.pop(uid, None)
                continue
            elif rt is None:
                rejection = self._admit(pod, node, runtime)
                if rejection is not None:
                    reason, message = rejection
                    status = attrs.evolve(pod.status, phase="Failed", reason=reason, message=message)
                    reqs.append(self._status(pod, status))
                    continue
                rt = admitted(pod, now)
                runtime[uid] = rt
            else:
                if rt.running and rt.complete_at is not None and now >= rt.complete_at:
                    rt = completed(rt, rt.complete_at)
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

    def _terminate(self, pod: Pod, rt: PodRuntime | None, now: int) -> PodRuntime | None:
        """Graceful termination of a pod with ``deletionTimestamp``; None once its containers
        have stopped, when the kubelet sends the final grace-0 delete with a UID precondition
        (``pkg/kubelet/status/status_manager.go: syncPod`` → ``canBeDeleted``).

        ``kuberuntime_container.go: killContainer``, for every container in parallel
        (``killContainersWithSyncResult``): the grace period is ``deletionGracePeriodSeconds``,
        else ``terminationGracePeriodSeconds`` (``setTerminationGracePeriod``); the preStop hook
        runs first and is abandoned when the grace period ends (``executePreStopHook``); then
        ``StopContainer`` sends SIGTERM, and SIGKILL after what is left of the grace period
        (at least ``minimumGracePeriodInSeconds`` = 2). A ``sleep`` hook takes ``sleep.seconds``
        (``lifecycle/handlers.go: runSleepHandler``); an ``exec`` or ``httpGet`` hook is assumed
        to take the whole grace period (worst case). Simplification: containers exit at once on
        SIGTERM, so they stop at ``since + min(preStop, grace)``; the 2s floor never matters.
        A shorter grace period from a second delete shortens the wait (the pod worker kills
        again with it). A container that exits while terminating is not restarted. Readiness
        probes keep running during termination (kubernetes#110191), so ``Ready`` stays as it was
        until the containers stop; EndpointSlices drop a terminating pod by its
        ``deletionTimestamp``, not by ``Ready``.
        """
        if rt is None:
            return None  # nothing runs here (never admitted, or the node restarted)
        grace = pod.meta.deletion_grace_period_seconds
        if grace is None:
            grace = pod.spec.termination_grace_period_seconds
        if rt.terminating_since is None:
            hook = pre_stop_seconds(pod, grace) if rt.running else 0
            rt = attrs.evolve(rt, terminating_since=now, stop_at=now + min(hook, grace))
        assert rt.terminating_since is not None and rt.stop_at is not None
        stop_at = min(rt.stop_at, rt.terminating_since + grace)
        if not rt.running or now >= stop_at:
            return None
        return attrs.evolve(rt, stop_at=stop_at)

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
            times.extend(rt.timers())
        future = [t for t in times if t > view.now]
        return min(future) if future else None


def pod_probes(pod: Pod) -> tuple[Probe, ...]:
    return tuple(
        Probe(c.readiness_initial_delay, c.readiness_period, c.readiness_success_threshold)
        for c in pod.spec.containers
        if c.readiness_initial_delay is not None
    )


def pre_stop_seconds(pod: Pod, grace: int) -> int:
    """How long the slowest container's preStop hook runs (``exec``/``httpGet``: all of grace)."""
    longest = 0
    for c in pod.spec.containers:
        if c.pre_stop == "sleep":
            longest = max(longest, c.pre_stop_sleep)
        elif c.pre_stop:
            longest = max(longest, grace)
    return longest


def ready_time(probes: tuple[Probe, ...], origin: int, start: int) -> int:
    """When containers started at ``start`` become ready; probes always succeed in the model.

    ``pkg/kubelet/prober/worker.go``: each readiness worker starts with result Failure, probes on
    a ticker every ``periodSeconds`` from its creation at admission (``origin``; the random
    initial sleep applies only right after a kubelet restart and is not modelled), skips probes
    while the container has run less than ``initialDelaySeconds``, and sets Success after
    ``successThreshold`` successes in a row. ``prober_manager.go: UpdatePodStatus`` also triggers
    one immediate probe when the kubelet generates the status of a container without a result,
    which it does right after starting it: that probe counts only when ``initialDelaySeconds``
    is 0 (later status syncs are not modelled). A new container (restart) starts over from
    Failure. Without a readiness probe a running container is ready. The pod is ready when all
    its containers are.
    """
    ready = start
    for p in probes:
        due = start + p.initial_delay
        if p.initial_delay == 0:
            t = start  # the manual trigger at status generation
        else:
            t = _tick_at_or_after(origin, p.period, due)
        for _ in range(p.success_threshold - 1):
            t = _tick_at_or_after(origin, p.period, t + 1)
        ready = max(ready, t)
    return ready


def _tick_at_or_after(origin: int, period: int, t: int) -> int:
    if t <= origin:
        return origin
    return origin + -(-(t - origin) // period) * period


def admitted(pod: Pod, now: int) -> PodRuntime:
    """A pod just admitted: its containers start now and its probe workers are created."""
    probes = pod_probes(pod)
    run = pod.spec.run_seconds
    return PodRuntime(
        run_seconds=run,
        complete_at=None if run is None else now + run,
        namespace=pod.meta.namespace,
        name=pod.meta.name,
        requests=pod.spec.requests(),
        restart_policy=pod.spec.restart_policy,
        started_at=now,
        admitted_at=now,
        probes=probes,
        ready_at=ready_time(probes, now, now),
    )


def restarted(rt: PodRuntime, now: int) -> PodRuntime:
    """Start the container again after ``Backoff.Next(key, FinishedAt)`` (``backoff.go``).

    ``Next`` creates a fresh entry at ``backoff = 10s`` when there is none (never armed, or
    garbage-collected because ``now − lastUpdate > 600s``) or when it ``hasExpired``
    (``FinishedAt − lastUpdate > 600s``); otherwise it doubles it, capped at 300s. Either way
    ``lastUpdate = now``. ``doBackOff`` calls ``Next`` right before every start, the first
    restart included, which is therefore immediate (kubernetes#133472 reports this as a bug;
    its fixes, #133483 and #133577, were closed unmerged). Jitter is 0 (``NewBackOff``).
    """
    assert rt.exited_at is not None
    fresh = (
        rt.backoff == 0
        or rt.backoff_updated is None
        or now - rt.backoff_updated > BACKOFF_RESET
        or rt.exited_at - rt.backoff_updated > BACKOFF_RESET
    )
    backoff = BACKOFF_INITIAL if fresh else min(rt.backoff * 2, BACKOFF_MAX)
    return attrs.evolve(
        rt,
        running=True,
        restarts=rt.restarts + 1,
        started_at=now,
        exited_at=None,
        backoff=backoff,
        backoff_updated=now,
        ready_at=ready_time(rt.probes, rt.admitted_at, now),
        complete_at=None if rt.run_seconds is None else now + rt.run_seconds,
    )


def crashed(rt: PodRuntime, now: int) -> PodRuntime:
    """The containers exited with a non-zero code at ``now`` (the ``crash_container`` fault)."""
    return attrs.evolve(rt, running=False, exited_at=now, ready_at=None, complete_at=None, completed=False)


def completed(rt: PodRuntime, at: int) -> PodRuntime:
    """The containers exited 0 at ``at``, their run done (``PodSpec.run_seconds``)."""
    return attrs.evolve(rt, running=False, exited_at=at, ready_at=None, complete_at=None, completed=True)


def terminal_status(pod: Pod) -> Any:
    """``Failed`` with ``Ready=False`` (``PodCompleted``): the phase the kubelet posts for a pod
    whose containers it stopped on deletion (they exit with SIGTERM/SIGKILL codes)."""
    cond = Condition(READY, "False", "PodCompleted")
    return attrs.evolve(
        pod.status, phase="Failed", conditions=set_condition(pod.status.conditions, cond), reason="", message=""
    )


def pod_status(pod: Pod, rt: PodRuntime, now: int) -> Any:
    """The status the kubelet posts (``kubelet_pods.go: generateAPIPodStatus``)."""
    start = pod.status.start_time if pod.status.start_time is not None else rt.admitted_at
    done = rt.restart_policy == "Never" or (rt.restart_policy == "OnFailure" and rt.completed)
    if not rt.running and done and rt.terminating_since is None:
        cond = Condition(READY, "False", "PodCompleted")
        return attrs.evolve(
            pod.status,
            phase="Succeeded" if rt.completed else "Failed",
            conditions=set_condition(pod.status.conditions, cond),
            restart_count=rt.restarts,
            start_time=start,
            reason="",
            message="",
        )
    ready = rt.running and rt.ready_at is not None and now >= rt.ready_at
    cond = Condition(READY, "True" if ready else "False", "" if ready else "ContainersNotReady")
    waiting = not rt.running and rt.terminating_since is None
    return attrs.evolve(
        pod.status,
        phase="Running",
        conditions=set_condition(pod.status.conditions, cond),
        restart_count=rt.restarts,
        start_time=start,
        reason="",
        message="back-off restarting failed container (CrashLoopBackOff)" if waiting else "",
    )


SPEC = ComponentSpec(
    "kubelet",
    build=lambda config: [
        Kubelet(node=n.meta.name, lease_duration_seconds=config.control_plane.node_lease_duration_seconds)
        for n in config.nodes
    ],
    durations=lambda config: (BACKOFF_RESET + BACKOFF_MAX, config.control_plane.node_lease_duration_seconds),
    horizons=lambda config: ((READY_TIMES, 0),),
)
