"""The ReplicaSet controller.

Mirrors ``pkg/controller/replicaset/replica_set.go``:

- Event handlers (``addPod``, ``updatePod``, ``deletePod``, ``addRS``/``updateRS``) enqueue the
  owning ReplicaSet; ``addPod`` calls ``expectations.CreationObserved``; a pod gaining a
  ``deletionTimestamp`` (``updatePod``) or vanishing (``deletePod``) calls
  ``DeletionObserved(rsKey, podKey)``.
- ``syncReplicaSet`` pops one key from the work queue; it calls ``manageReplicas`` only when
  ``SatisfiedExpectations`` (``pkg/controller/controller_utils.go``: no record, or ``add <= 0 &&
  del <= 0``, or older than ``ExpectationsTimeout`` = 5 min) and the RS is not being deleted; it
  then writes status (``updateReplicaSetStatus``) when it changed.
- ``claimPods`` (``syncReplicaSet`` → ``pkg/controller/controller_ref_manager.go:
  PodControllerRefManager.ClaimPods`` / ``claimObject``), over the active pods of the RS's
  namespace: a pod controlled by another owner is ignored; one it controls is claimed if the
  selector matches, else released (``ReleasePod``: a patch deleting its ownerReference, with the
  pod's uid) unless the RS is being deleted; an orphan (no controllerRef) that matches, is not
  being deleted, and whose RS is not being deleted, is adopted (``AdoptPod``: a patch adding a
  controllerRef with ``blockOwnerDeletion``, with the pod's uid) and claimed. Before the first
  adoption ``canAdopt`` re-reads the RS with a live GET (``RecheckDeletionTimestamp``; the uid
  must be the cached one and the RS not being deleted: kubernetes#42639). Any failed claim makes
  ``syncReplicaSet`` return its error before ``manageReplicas`` and the status update, and the
  key is requeued.
- ``manageReplicas``: ``diff = len(claimedPods) - spec.replicas`` capped at ``BurstReplicas``
  (500). Too few: ``ExpectCreations(diff)`` then create in ``slowStartBatch`` batches of 1, 2,
  4, … (``SlowStartInitialBatchSize`` = 1, ``pkg/controller/controller_utils.go``); after a batch
  with a failed create the remaining batches are not sent, and expectations are lowered by one
  for each create that failed or was skipped (``CreationObserved`` per skipped pod). Too many:
  ``getPodsToDelete`` ranks pods (``ActivePodsWithRanks``) and ``ExpectDeletions`` with their
  keys (UID-tracking expectations: each pod counts once), then delete by name without
  preconditions (``controller_utils.go: RealPodControl.DeletePod``), all at once. A failed
  delete lowers the expectations (``DeletionObserved``).
- ``addPod`` of an orphan enqueues every ReplicaSet of its namespace whose selector matches it
  (``getPodReplicaSets``), without observing a creation; ``updatePod`` enqueues the old
  controller when the controllerRef changed (a released pod) and, for an orphan whose labels
  or controllerRef changed, every matching ReplicaSet.

How a sync maps onto one kmodel reconcile: the requests are returned up front and applied in
order; ``Request.batch`` numbers let the cluster stop after a failed batch
(``kmodel.k8s.apiserver.send``). The GET of ``canAdopt`` is batch 0, the adopt and release patches
batch 1, the slow-start create batches 2, 3, 4, …, and the deletes and the status update batch 2:
a failed claim skips everything after it (the sync returned), a failed create skips the later
create batches but not the status update (``syncReplicaSet`` writes status whatever
``manageReplicas`` returned).

Nothing re-syncs a ReplicaSet when its expectations expire: as upstream, the next event for it
or its pods does, or the informer resync (every 12–24 h, ``--min-resync-period``), which kmodel
does not model; a ReplicaSet left waiting on expectations is a ReplicasConverge failure.

Simplifications: the canAdopt GET failing skips the release patches too (upstream only the
adoptions fail; a RS whose live copy is being deleted would release nothing on its next sync
anyway); a claim that fails with NotFound (the pod is gone) stops the sync where upstream ignores
it (the next sync, queued by the failure, no longer sees the pod once the deletion is delivered);
the ``NamespaceTerminating`` exemption of ``slowStartBatch``'s create function is not modelled
(kmodel has no namespaces to delete); no deletion-cost or log-scale ranking and no
``getIndirectlyRelatedPods`` co-location rank.

Variant ``replicaSetExpectations: false`` drops expectations entirely, so the controller trusts
its lagging cache — the bug expectations exist to prevent.

Variant ``replicaSetEdgeTriggeredDeletes: true`` counts a deletion only when the controller sees
the pod *become* Terminating, not when it sees it gone: an edge-triggered handler. Upstream
counts both (``updatePod`` and ``deletePod`` both call ``DeletionObserved``), which is what lets
it survive a watch that skips the Terminating state (Sieve's "unobserved state").

Variant ``replicaSetTrustsStatus: true`` decides how many pods to create from the
``status.replicas`` it last wrote (counting its own creates) instead of counting pods: not
level-triggered. A crash between its creates and its status write (Sieve's "intermediate
state") makes it create the same pods again; upstream recounts pods after a restart.
"""

from __future__ import annotations

from typing import Any

import attrs

from kmodel.core.fmap import FMap
from kmodel.k8s import abstraction, workqueue
from kmodel.k8s.abstraction import EXPECT
from kmodel.k8s.informers import Component, ComponentSpec, View
from kmodel.k8s.objects import (
    READY,
    ObjectMeta,
    OwnerReference,
    Pod,
    ReplicaSet,
    Replicated,
    ReplicationController,
    condition,
)
from kmodel.k8s.store import Event, MetaPatch, Request, Result

BURST_REPLICAS = 500
SLOW_START_INITIAL_BATCH_SIZE = 1  # pkg/controller/controller_utils.go: SlowStartInitialBatchSize
BATCH_RECHECK = 0  # canAdopt's live GET of the ReplicaSet
BATCH_CLAIM = 1  # AdoptPod / ReleasePod patches
BATCH_MANAGE = 2  # the first slow-start create batch; the deletes and the status update
EXPECTATIONS_TIMEOUT = 300  # seconds: ExpectationsTimeout = 5 * time.Minute
NAME = "replicaset-controller"
RC_NAME = "replication-controller"  # the replication manager's client and event source

RSKey = tuple[str, str]  # (namespace, name)


@attrs.frozen
class CreateIntent:
    """The tag of a pod create this controller sends (``Request.tag``): the ReplicaSet it
    creates for and the ``spec.replicas`` it acted on. ``on_result`` reads it back, and the
    NoExcessReplicas monitor (``kmodel.k8s.invariants``) reads it off every applied request."""

    replica_set: RSKey
    acting: int
    kind: str = ReplicaSet.KIND  # or ReplicationController, from the replication manager


@abstraction.declare(fields={"timestamp": abstraction.EXPECT}, plain={"add"})
@attrs.frozen
class Expectation:
    add: int
    dels: tuple[str, ...]  # pod keys "ns/name" still expected to be deleted
    timestamp: int

    def fulfilled(self) -> bool:
        return self.add <= 0 and not self.dels


@attrs.frozen
class RSLocal:
    queue: tuple[RSKey, ...] = ()
    expectations: FMap[RSKey, Expectation] = FMap()


_enqueue = workqueue.enqueue  # (by its old name here, so that the call sites stay as they are)


def owner_key(pod: Pod, kind: str = ReplicaSet.KIND) -> RSKey | None:
    ref = pod.meta.controller_ref()
    if ref is None or ref.kind != kind:
        return None
    return (pod.meta.namespace, ref.name)


def pod_key(pod: Pod) -> str:
    return f"{pod.meta.namespace}/{pod.meta.name}"


def owned_active_pods(rs: Replicated, pods: Any) -> list[Pod]:
    """``FilterActivePods`` over the pods whose controllerRef is this RS (by uid) and that match."""
    out = []
    for p in pods:
        ref = p.meta.controller_ref()
        if ref is None or ref.uid != rs.meta.uid or p.meta.namespace != rs.meta.namespace:
            continue
        if p.is_active() and rs.spec.selector.matches(p.meta.labels):
            out.append(p)
    return out


@attrs.frozen
class Claim:
    """What ``ClaimPods`` decides for one ReplicaSet: the pods it now owns (adopted ones
    included), the orphans to adopt and the pods to release, each by pod name."""

    claimed: tuple[Pod, ...]
    adopt: tuple[Pod, ...]
    release: tuple[Pod, ...]


def claim_pods(rs: Replicated, pods: Any) -> Claim:
    """``PodControllerRefManager.ClaimPods`` / ``claimObject``
    (``pkg/controller/controller_ref_manager.go``) over the active pods (``FilterActivePods``)
    of the RS's namespace, in name order. Adoptions are counted as claimed, as upstream counts a
    successful one (a failed one stops the sync before anything reads the count)."""
    claimed: list[Pod] = []
    adopt: list[Pod] = []
    release: list[Pod] = []
    deleting = rs.meta.deletion_timestamp is not None
    for p in sorted(pods, key=lambda p: (p.meta.name, p.meta.uid)):
        if p.meta.namespace != rs.meta.namespace or not p.is_active():
            continue
        match = rs.spec.selector.matches(p.meta.labels)
        ref = p.meta.controller_ref()
        if ref is not None:
            if ref.uid != rs.meta.uid:
                continue  # owned by someone else: ignore
            if match:
                claimed.append(p)  # ours, and still ours while being deleted
            elif not deleting:
                release.append(p)
            continue
        if deleting or not match or p.meta.deletion_timestamp is not None:
            continue
        adopt.append(p)
        claimed.append(p)
    return Claim(tuple(claimed), tuple(adopt), tuple(release))


def controller_ref(rs: Replicated) -> OwnerReference:
    """``metav1.NewControllerRef``: controller and blockOwnerDeletion set, with the owner's own
    group, version and kind (``apps/v1 ReplicaSet`` or ``v1 ReplicationController``)."""
    return OwnerReference(
        api_version=rs.API_VERSION,
        kind=rs.KIND,
        name=rs.meta.name,
        uid=rs.meta.uid,
        controller=True,
        block_owner_deletion=True,
    )


def slow_start_batches(count: int, initial: int = SLOW_START_INITIAL_BATCH_SIZE) -> list[int]:
    """The batch sizes ``slowStartBatch(count, initial, fn)`` uses when every call succeeds:
    ``initial``, then doubling, the last one trimmed to what remains (10 → 1, 2, 4, 3)."""
    sizes = []
    remaining = count
    size = min(remaining, initial)
    while size > 0:
        sizes.append(size)
        remaining -= size
        size = min(2 * size, remaining)
    return sizes


def deletion_rank(pod: Pod) -> tuple[Any, ...]:
    """Sort key for ``ActivePodsWithRanks.Less`` (first = deleted first), the rules that apply:
    unassigned before assigned; Pending < Unknown < Running; not ready before ready; ready for
    less time first (kmodel has no ready-since time: skipped); more restarts first; newer first;
    then name as the deterministic tie-break (upstream falls back to UID with LogarithmicScaleDown).
    """
    phase_rank = {"Pending": 0, "Unknown": 1, "Running": 2}.get(pod.status.phase, 0)
    return (
        1 if pod.spec.node_name else 0,
        phase_rank,
        1 if pod.is_ready() else 0,
        -pod.status.restart_count,
        -pod.meta.creation_timestamp,
        pod.meta.name,
    )


@attrs.frozen
class ReplicaSetController(Component):
    """The ReplicaSet controller, or with ``kind="ReplicationController"`` the replication
    manager: ``pkg/controller/replication/replication_controller.go: NewReplicationManager`` is
    ``replicaset.NewBaseController`` with the GroupVersionKind ``v1 ReplicationController``, its
    own queue, expectations and client (``replication-controller``), over the same sync code."""

    name: str = NAME
    expectations: bool = True
    edge_triggered_deletes: bool = False
    trust_status: bool = False
    burst_replicas: int = BURST_REPLICAS
    kind: str = ReplicaSet.KIND
    _watched: tuple[type, ...] = attrs.field(init=False, repr=False, eq=False)

    @_watched.default
    def _watched_classes(self) -> tuple[type, ...]:
        return (Pod, ReplicationController if self.kind == ReplicationController.KIND else ReplicaSet)

    def watches(self, obj: Any) -> bool:
        return isinstance(obj, self._watched)

    def initial_local(self) -> RSLocal:
        return RSLocal()

    def on_relist(self, local: RSLocal, view: View) -> RSLocal:
        """After a (re)list every ReplicaSet is enqueued, as the initial ADD events do."""
        for rs in view.list(self.kind):
            local = _enqueue(local, (rs.meta.namespace, rs.meta.name))
        return local

    # -- event handlers ----------------------------------------------------------------------

    def on_event(self, local: RSLocal, event: Event, old: Any, view: View) -> RSLocal:
        obj = event.obj
        if not isinstance(obj, Pod):
            return _enqueue(local, (obj.meta.namespace, obj.meta.name))
        rs_key = owner_key(obj, self.kind)
        if event.type == "MODIFIED" and old is not None:
            old_key = owner_key(old, self.kind)
            if old_key is not None and old_key != rs_key:
                local = _enqueue(local, old_key)  # updatePod: the controllerRef changed (released)
        if rs_key is None:
            if obj.meta.controller_ref() is None and event.type != "DELETED":
                changed = (
                    event.type == "ADDED"
                    or old is None
                    or old.meta.labels != obj.meta.labels
                    or old.meta.controller_ref() is not None
                )
                if changed:  # an orphan: every matching ReplicaSet may want to adopt it
                    for rs in view.list(self.kind):
                        if rs.meta.namespace == obj.meta.namespace and rs.spec.selector.matches(obj.meta.labels):
                            local = _enqueue(local, (rs.meta.namespace, rs.meta.name))
            return local
        if event.type == "ADDED":
            if obj.meta.deletion_timestamp is not None:
                local = self._deletion_observed(local, rs_key, pod_key(obj))
            else:
                local = self._creation_observed(local, rs_key)
        elif self.edge_triggered_deletes:
            # only the transition to Terminating counts
            becomes_terminating = old is not None and old.meta.deletion_timestamp is None
            if event.type == "MODIFIED" and obj.meta.deletion_timestamp is not None and becomes_terminating:
                local = self._deletion_observed(local, rs_key, pod_key(obj))
        elif event.type == "DELETED" or obj.meta.deletion_timestamp is not None:
            local = self._deletion_observed(local, rs_key, pod_key(obj))
        return _enqueue(local, rs_key)

    def _creation_observed(self, local: RSLocal, rs_key: RSKey) -> RSLocal:
        exp = local.expectations.get(rs_key)
        if exp is None:
            return local
        return attrs.evolve(local, expectations=local.expectations.set(rs_key, attrs.evolve(exp, add=exp.add - 1)))

    def _deletion_observed(self, local: RSLocal, rs_key: RSKey, pkey: str) -> RSLocal:
        exp = local.expectations.get(rs_key)
        if exp is None or pkey not in exp.dels:
            return local
        dels = tuple(k for k in exp.dels if k != pkey)
        return attrs.evolve(local, expectations=local.expectations.set(rs_key, attrs.evolve(exp, dels=dels)))

    def _satisfied(self, local: RSLocal, rs_key: RSKey, now: int) -> bool:
        if not self.expectations:
            return True
        exp = local.expectations.get(rs_key)
        return exp is None or exp.fulfilled() or now - exp.timestamp > EXPECTATIONS_TIMEOUT

    # -- sync --------------------------------------------------------------------------------

    def reconcile(self, local: RSLocal, view: View) -> tuple[RSLocal, list[Request]]:
        if not local.queue:
            return local, []
        rs_key, local = local.queue[0], attrs.evolve(local, queue=local.queue[1:])
        rs = view.get((self.kind, *rs_key))
        if rs is None:
            return attrs.evolve(local, expectations=local.expectations.delete(rs_key)), []
        claim = claim_pods(rs, view.list("Pod"))
        pods = list(claim.claimed)
        requests = self._claim_requests(rs, rs_key, claim)
        manage: list[Request] = []
        if self._satisfied(local, rs_key, view.now) and rs.meta.deletion_timestamp is None:
            local, manage = self._manage_replicas(local, rs, rs_key, pods, view.now)
            requests.extend(manage)
        status = calculate_status(rs, pods)
        if self.trust_status:
            # the variant records what it believes exists, counting its own writes
            made = sum(1 for r in manage if r.verb == "create") - sum(1 for r in manage if r.verb == "delete")
            status = attrs.evolve(status, replicas=max(rs.status.replicas, 0) + made if manage else len(pods))
        if status != rs.status:
            requests.append(
                Request(
                    "update_status",
                    rs.key,
                    attrs.evolve(rs, status=status),
                    precondition_rv=rs.meta.resource_version,
                    tag=("rs-status", rs_key),
                    batch=BATCH_MANAGE,
                )
            )
        return local, requests

    def _claim_requests(self, rs: Replicated, rs_key: RSKey, claim: Claim) -> list[Request]:
        """The requests of ``ClaimPods``: ``canAdopt``'s live GET (only when something is to be
        adopted), then one patch per pod to adopt or release, by pod name."""
        reqs: list[Request] = []
        if claim.adopt:
            reqs.append(
                Request(
                    "get",
                    rs.key,
                    precondition_uid=rs.meta.uid,
                    recheck_deletion=True,
                    tag=("rs-recheck", rs_key),
                    batch=BATCH_RECHECK,
                )
            )
        ref = controller_ref(rs)
        patches = [(p, MetaPatch(add_owner=ref), "rs-adopt") for p in claim.adopt]
        patches += [(p, MetaPatch(remove_owner_uids=(rs.meta.uid,)), "rs-release") for p in claim.release]
        for pod, patch, tag in sorted(patches, key=lambda t: t[0].meta.name):
            reqs.append(
                Request(
                    "patch",
                    pod.key,
                    patch,
                    precondition_uid=pod.meta.uid,
                    tag=(tag, rs_key, pod_key(pod)),
                    batch=BATCH_CLAIM,
                )
            )
        return reqs

    def _manage_replicas(
        self, local: RSLocal, rs: Replicated, rs_key: RSKey, pods: list[Pod], now: int
    ) -> tuple[RSLocal, list[Request]]:
        current = rs.status.replicas if self.trust_status else len(pods)
        diff = current - rs.spec.replicas
        if diff < 0:
            n = min(-diff, self.burst_replicas)
            if self.expectations:
                exp = Expectation(add=n, dels=(), timestamp=now)
                local = attrs.evolve(local, expectations=local.expectations.set(rs_key, exp))
            template = pod_from_template(rs)
            reqs = [
                Request(
                    "create",
                    ("Pod", rs.meta.namespace, ""),
                    template,
                    tag=CreateIntent(replica_set=rs_key, acting=rs.spec.replicas, kind=self.kind),
                    batch=BATCH_MANAGE + b,
                )
                for b, size in enumerate(slow_start_batches(n))
                for _ in range(size)
            ]
            return local, reqs
        if diff > 0:
            n = min(diff, self.burst_replicas)
            victims = sorted(pods, key=deletion_rank)[:n]
            if self.expectations:
                exp = Expectation(add=0, dels=tuple(sorted(pod_key(p) for p in victims)), timestamp=now)
                local = attrs.evolve(local, expectations=local.expectations.set(rs_key, exp))
            reqs = [
                Request("delete", p.key, tag=("rs-delete", rs_key, pod_key(p)), batch=BATCH_MANAGE) for p in victims
            ]
            return local, reqs
        return local, []

    def on_result(self, local: RSLocal, req: Request, result: Result, view: View) -> RSLocal:
        """A failed (or skipped) request requeues the ReplicaSet (the sync returned an error:
        ``AddRateLimited``); a failed or skipped create or delete also lowers the expectations,
        with expectations on."""
        if result.ok:
            return local
        tag = req.tag
        if isinstance(tag, CreateIntent):
            if not self.expectations:
                return local
            # slowStartBatch's createFn counts every error as a failed create (current upstream
            # ignores only a NamespaceTerminatingCause, which kmodel does not model; the old
            # IsTimeout exception is gone, kubernetes PR #86140), lost requests and lost
            # responses included: each skipped or failed create lowers the expectations.
            return _enqueue(self._creation_observed(local, tag.replica_set), tag.replica_set)
        if tag[0] in ("rs-status", "rs-recheck", "rs-adopt", "rs-release"):
            return _enqueue(local, tag[1])
        if not self.expectations:
            return local
        if tag[0] == "rs-delete":
            return _enqueue(self._deletion_observed(local, tag[1], tag[2]), tag[1])
        return local


def pod_from_template(rs: Replicated) -> Pod:
    """``pkg/controller/controller_utils.go: GetPodFromTemplate``: labels from the template,
    ``generateName: <rs-name>-`` and a controller ownerReference with blockOwnerDeletion."""
    ref = controller_ref(rs)
    meta = ObjectMeta(
        name="",
        namespace=rs.meta.namespace,
        generate_name=f"{rs.meta.name}-",
        labels=rs.spec.template.labels,
        owner_references=(ref,),
    )
    return Pod(meta=meta, spec=rs.spec.template.spec)


def calculate_status(rs: Replicated, pods: list[Pod]) -> Any:
    """``pkg/controller/replicaset/replica_set_utils.go: calculateStatus`` (minReadySeconds is
    honoured only as 0: available = ready)."""
    ready = sum(1 for p in pods if p.is_ready())
    labelled = sum(1 for p in pods if all(p.meta.labels.get(k) == v for k, v in rs.spec.template.labels.items()))
    return attrs.evolve(
        rs.status,
        replicas=len(pods),
        fully_labeled_replicas=labelled,
        ready_replicas=ready,
        available_replicas=ready,
        observed_generation=rs.meta.generation,
    )


__all__ = ["READY", "ReplicaSetController", "condition"]


SPEC = ComponentSpec(
    "replicaset-controller",
    build=lambda config: [
        ReplicaSetController(
            expectations=config.variants.replica_set_expectations,
            edge_triggered_deletes=config.variants.replica_set_edge_triggered_deletes,
            trust_status=config.variants.replica_set_trusts_status,
        )
    ],
    durations=lambda config: (EXPECTATIONS_TIMEOUT,),
    horizons=lambda config: ((EXPECT, EXPECTATIONS_TIMEOUT),),
)


def _needs_replication_manager(config: Any) -> bool:
    return any(isinstance(o, ReplicationController) for o in config.objects)


RC_SPEC = ComponentSpec(
    RC_NAME,
    build=lambda config: (
        [ReplicaSetController(name=RC_NAME, kind=ReplicationController.KIND)]
        if _needs_replication_manager(config)
        else []
    ),
    durations=lambda config: (EXPECTATIONS_TIMEOUT,),
    horizons=lambda config: ((EXPECT, EXPECTATIONS_TIMEOUT),),
)
"""The replication manager (``kube-controller-manager``'s ``replicationcontroller`` controller):
only in scenarios with a ReplicationController, so every other scenario's components, traces and
reports stay as they were. The ReplicaSet controller's variants are not applied to it."""
