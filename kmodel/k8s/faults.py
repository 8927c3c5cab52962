"""The fault catalogue: what the adversary may do, each with a budget per run.

Scenario keys (``spec.faults``), all off by default; plain informer lag is always on:

- ``nodeCrash: N`` — ``crash_node(node)`` / ``recover_node(node)``: the kubelet and every
  container stop; on recovery the kubelet starts empty and relists.
- ``nodeLoss: N`` — ``lose_node(node)``: like ``crash_node`` (kubelet, containers, the node's
  kube-proxy and the HA control-plane replicas it hosts stop) but the node never comes back: a
  terminated cloud VM or dead hardware. Upstream the Node object stays, Ready=Unknown and
  tainted ``node.kubernetes.io/unreachable``, until someone deletes it, or the cloud
  node-lifecycle controller does once the provider reports the instance gone
  (``staging/src/k8s.io/cloud-provider/controllers/nodelifecycle/node_lifecycle_controller.go:
  CloudNodeLifecycleController.MonitorNodes``, "deleting node since it is no longer present in
  cloud provider"); kmodel models neither, so the Node stays. Its pods are evicted by taint
  eviction after their unreachable toleration (300s by default) and replaced elsewhere. For the
  explorer it is also the cheap node failure: with no recovery instant to choose, far fewer
  states follow the failure than follow a ``nodeCrash``.
- ``nodePartition: N`` — ``partition_node(node)`` / ``heal_node(node)``: the kubelet cannot
  reach the API server (no watch events in, no writes out) but its containers keep running, so
  pods evicted meanwhile stay Terminating and keep running until the partition heals
  (https://kubernetes.io/docs/concepts/architecture/nodes/#node-status, "pods ... remain
  Terminating or Unknown").
- ``containerCrash: N`` — ``crash_container(node, index)``.
- ``componentRestart: N`` — ``restart(component, after)``: a control-plane component runs one
  reconcile, its first ``after`` writes reach the API server, then it crashes and restarts:
  in-memory state (work queue, expectations, assume cache) is lost and it relists. Sieve's
  "intermediate state" (Sun et al., OSDI '22).
- ``staleRelist: N`` — ``restart_stale(component, lag)``: the component restarts and its relist
  is served by an API server that misses the last ``lag`` changes the component had already
  seen (of the kinds it watches), so its view
  travels back in time before catching up (HA API servers with watch caches,
  kubernetes#59848). Sieve's "stale state".
- ``coalesce: N`` — ``deliver_coalesced(component)``: the next object's pending events reach
  the component as one, its latest state, skipping the intermediate ones (a watch re-list, or
  DeltaFIFO compression). Sieve's "unobserved state".
- ``requestLoss: N`` — ``reconcile_lossy(component, index, lost)``: in one reconcile the
  ``index``-th request is lost before reaching the API server (``lost: request``) or applied
  with its response lost (``lost: response``); the component sees a transport error either way
  (not a server Timeout status: ``apierrors.IsTimeout`` is false).
- ``watchDelay: S`` (seconds) — a watch event may reach a component up to S seconds of true
  time after it happened (an overloaded API server). Default 0: every pending event is
  delivered before the clock moves on, though in any order and interleaving at that instant.
- ``clockSkew: S`` (seconds) — ``skew_clock(component, offset)`` sets a component's clock
  offset to −S, 0 or +S. Components read only their own clock. With HA replicas
  (``controlPlane.replicas``, a user controller's ``replicas``) a replica process is skewed as
  one (``component`` is then the process name, e.g. ``kube-controller-manager-1``): its
  components share the process clock.
  A skew step is a jump, so it also stands for a clock that ran fast or slow for a while (a
  skew *rate*, which client-go's leader election does not tolerate beyond
  LeaseDuration/RenewDeadline).
- ``processPause: N`` — ``pause(process, seconds)``: an HA replica process (only with
  ``controlPlane.replicas`` > 1, or a user controller's ``replicas`` > 1) takes no step for 16
  or 60 seconds of true time (a long GC or VM pause, SIGSTOP): no deliveries, reconciles or
  lease renewals; it resumes with its old memory and cache, and the watch events it missed are
  delivered afterwards.

Control-plane faults (restart, stale relist) apply to controllers (user controllers included)
and the scheduler, not to kubelets, whose restarts are part of ``nodeCrash`` (``nodeLoss`` stops a
kubelet for good).
"""

from __future__ import annotations

FAULTS = (
    "nodeCrash",
    "nodeLoss",
    "nodePartition",
    "containerCrash",
    "componentRestart",
    "staleRelist",
    "coalesce",
    "requestLoss",
    "clockSkew",
    "watchDelay",
    "processPause",
)
# The step that spends each fault's budget (``kmodel.k8s.steps.faults.specs``).
# watchDelay has none: it lets ``tick`` pass pending events.
FAULT_OPS = {
    "nodeCrash": "crash_node",
    "nodeLoss": "lose_node",
    "nodePartition": "partition_node",
    "containerCrash": "crash_container",
    "componentRestart": "restart",
    "staleRelist": "restart_stale",
    "coalesce": "deliver_coalesced",
    "requestLoss": "reconcile_lossy",
    "clockSkew": "skew_clock",
    "processPause": "pause",
}
RESTART_AFTER = (0, 1, 2)
STALE_LAGS = (1, 3, 8)
LOSS_INDEX = (0, 1, 2)
LOSS_KINDS = ("request", "response")
HISTORY_KEEP = 64  # events kept behind the slowest watcher, for stale relists
MAX_CLOCK_SKEW = 3600
PAUSE_SECONDS = (16, 60)  # just over LeaseDuration (15s), and over nodeMonitorGracePeriod (50s)
