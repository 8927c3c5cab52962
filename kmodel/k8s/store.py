"""etcd + API-server semantics, as one immutable value.

- One global revision, bumped by every write and stamped as ``metadata.resourceVersion``
  (etcd's ``mod_revision``; ``staging/src/k8s.io/apiserver/pkg/storage/etcd3/store.go``).
- ``update`` with a resourceVersion that is not the current one fails with Conflict
  (``GuaranteedUpdate`` preconditions); ``create`` of an existing name fails with AlreadyExists.
- A write that leaves the object byte-identical is skipped: no new revision, no event
  (``GuaranteedUpdate``: "existing object is identical, skipping").
- ``update`` of the main resource ignores status and ``update_status`` ignores spec
  (``PrepareForUpdate`` of the pod / replicaset strategies); ``metadata.generation`` is bumped
  only when the spec changes. (Upstream's ``pkg/registry/apps/deployment/strategy.go:
  deploymentStrategy.PrepareForUpdate`` also bumps a Deployment's generation when its annotations
  change through the main resource. Not modelled: no kmodel step does that. The Deployment
  controller's revision annotation goes, upstream, through ``UpdateStatus``, whose strategy does not
  bump; kmodel sends that write as an ``update`` (``kmodel.k8s.controllers.deployment``), so bumping
  on annotations here would bump where upstream does not.)
- Pod deletion is graceful (``staging/src/k8s.io/apiserver/pkg/registry/rest/delete.go:
  BeforeDelete`` + ``pkg/registry/core/pod/strategy.go: CheckGracefulDelete``): the grace period
  comes from the request, else ``terminationGracePeriodSeconds``; it is 0 for unscheduled or
  terminal pods; a pod with grace > 0 only gets ``deletionTimestamp`` and stays until a grace-0
  delete (the kubelet's, or a force delete) removes it. A second delete may only shorten grace.
- Objects with finalizers get ``deletionTimestamp`` and stay until the finalizers are removed.
- ``DeleteOptions.propagationPolicy`` (``Request.propagation``) sets the garbage collector's
  finalizers (``staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go: Delete``,
  ``updateForGracefulDeletionAndFinalizers``, ``deletionFinalizersForGarbageCollection``,
  ``shouldOrphanDependents``, ``shouldDeleteDependents``): both GC finalizers are removed, then
  ``Orphan`` adds ``orphan`` and ``Foreground`` adds ``foregroundDeletion``; ``Background`` adds
  none. Without a policy an existing GC finalizer stays and none is added: the default policy of
  apps/v1 ReplicaSets and Deployments is ``DeleteDependents`` (``pkg/registry/apps/replicaset/
  strategy.go`` / ``deployment/strategy.go: DefaultGarbageCollectionPolicy``), i.e. background,
  and pods have no default. An object left with finalizers gets ``deletionTimestamp`` = now and
  grace 0 (``markAsDeleting``); without finalizers a non-pod is removed at once. A second delete
  of a terminating non-pod (no graceful strategy, so ``BeforeDelete`` reports nothing pending)
  recomputes the GC finalizers from its policy, and is removed if none remain; for a pod the
  pending graceful deletion wins and finalizers are not touched. A grace-0 delete of a pod that
  still has finalizers (the Job controller's ``batch.kubernetes.io/job-tracking``) sets its
  ``deletionGracePeriodSeconds`` to 0 and keeps it; emptying its finalizers then removes it
  (``staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go:
  ShouldDeleteDuringUpdate``: no finalizers left, ``deletionTimestamp`` set and a grace period
  of 0 or nil), as it removes any other object.
- Creating a Job without ``manualSelector`` generates its selector
  (``pkg/registry/batch/job/strategy.go: PrepareForCreate`` → ``generateSelector``):
  ``batch.kubernetes.io/controller-uid=<uid>``, and the template gets the labels
  ``batch.kubernetes.io/controller-uid``, ``batch.kubernetes.io/job-name``, ``controller-uid`` and
  ``job-name`` (the legacy ones as well, as upstream still adds them).
- An ``update``/``update_status`` without a resourceVersion (``precondition_rv`` None) is an
  "unconditional update" (``staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go:
  Update``: ``doUnconditionalUpdate := newResourceVersion == 0 &&
  e.UpdateStrategy.AllowUnconditionalUpdate()``): it overwrites whatever is stored. Of the kinds
  stored as ``GenericObject`` only ConfigMap and Secret allow it (``pkg/registry/core/configmap/
  strategy.go`` and ``secret/strategy.go: AllowUnconditionalUpdate`` true); a custom resource
  does not (``staging/src/k8s.io/apiextensions-apiserver/pkg/registry/customresource/
  strategy.go: AllowUnconditionalUpdate`` false), so there it fails with Invalid
  ("metadata.resourceVersion: must be specified for an update"). kmodel's built-in kinds keep
  unconditional updates (the model's own components and user ops send them on purpose).
- ``patch`` applies a ``MetaPatch`` to the *current* object (a server-side strategic-merge or
  JSON-merge patch of ``metadata``: no resourceVersion precondition, optional uid precondition);
  the garbage collector removes ownerReferences and finalizers this way, and controllers adopt
  an orphan by adding their controllerRef (``pkg/controller/controller_ref_manager.go:
  AdoptPod``); a second controller reference is rejected as Invalid, as
  ``ValidateOwnerReferences`` does ("Only one reference can have Controller set to true").
  ``get`` is a live read (``Result.obj`` is the stored object; NotFound otherwise); it changes
  nothing. A ``get`` with ``precondition_uid`` fails with Conflict when the object now has
  another uid, and with ``recheck_deletion`` fails with Conflict when the object is being
  deleted: the checks ``RecheckDeletionTimestamp`` and a controller's ``canAdopt`` make on the
  fresh object (``pkg/controller/replicaset/replica_set.go: claimPods``), done by the store so
  that they are a failed request a batch can stop on (nothing interleaves within one request).
- ``bind`` is ``pods/binding`` (``pkg/registry/core/pod/storage/storage.go: BindingREST.assignPod``):
  it fails if the pod is gone, being deleted, or already assigned.
- ``evict`` is ``pods/eviction`` (``pkg/registry/core/pod/storage/eviction.go: EvictionREST.Create``),
  see ``Store._evict``: a delete that respects PodDisruptionBudgets.
- Admission: ``DefaultTolerationSeconds`` adds NoExecute tolerations for the not-ready and
  unreachable taints (300s each) to pods that do not tolerate them
  (``plugin/pkg/admission/defaulttolerationseconds/admission.go``).
- Generated names: ``generateName`` + 5 characters from ``bcdfghjklmnpqrstvwxz2456789``
  (``staging/src/k8s.io/apiserver/pkg/storage/names/generate.go``); kmodel derives them from a
  counter in the state instead of randomness, so runs are reproducible.

The event log is the watch stream; components hold cursors into it. Events every live cursor has
passed are compacted away (watch history compaction proper comes with a later issue).
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

from kmodel.core.evolve import evolve
from kmodel.core.fmap import FMap
from kmodel.k8s import abstraction
from kmodel.k8s.labels import LabelSelector
from kmodel.k8s.objects import (
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    GenericObject,
    Key,
    OwnerReference,
    Pod,
    PodDisruptionBudget,
    PodDisruptionBudgetStatus,
    Toleration,
)

Verb = Literal["create", "update", "update_status", "delete", "bind", "patch", "get", "evict"]
EventType = Literal["ADDED", "MODIFIED", "DELETED"]
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
Propagation = Literal["Background", "Foreground", "Orphan"]
PROPAGATION_POLICIES: tuple[Propagation, ...] = ("Background", "Foreground", "Orphan")
FINALIZER_ORPHAN = "orphan"  # metav1.FinalizerOrphanDependents
FINALIZER_FOREGROUND = "foregroundDeletion"  # metav1.FinalizerDeleteDependents
# GenericObject kinds whose registry strategy has AllowUnconditionalUpdate() true (see above).
UNCONDITIONAL_UPDATE_KINDS = frozenset({"ConfigMap", "Secret"})
# GenericObject kinds without metadata.generation: their strategies' PrepareForCreate and
# PrepareForUpdate set none (``pkg/registry/core/configmap/strategy.go``, ``secret/strategy.go``),
# unlike workloads and custom resources (``customresource/strategy.go: PrepareForUpdate`` bumps it
# on any change outside metadata and status). It stays 0 (unset), and ``rest.BeforeDelete`` moves
# it forward only when it is set (``if objectMeta.GetGeneration() > 0``).
NO_GENERATION_KINDS = frozenset({"ConfigMap", "Secret"})


@abstraction.declare(fields={"revision": abstraction.REV, "time": abstraction.TIME})
@attrs.frozen(cache_hash=True)
class Event:
    """A watch event. ``prev`` is the object before the write (None for ADDED); it lets a
    lagging API server's view be rebuilt from the log (``Store.objects_at``)."""

    type: EventType
    revision: int
    key: Key
    obj: Any
    prev: Any = attrs.field(default=None, eq=False, repr=False)
    time: int = 0  # the API server's clock when the write happened


@attrs.frozen
class Request:
    """One API call. ``precondition_rv``/``precondition_uid`` are the optimistic-concurrency
    preconditions; ``tag`` is the caller's note, handed back with the result: a tuple, or a typed
    intent an invariant's monitor reads off every applied request (``replicaset.CreateIntent``,
    ``hpa.ScaleIntent``). It is never part of the cluster state."""

    verb: Verb
    key: Key
    obj: Any = None
    precondition_rv: int | None = None
    precondition_uid: str | None = None
    grace: int | None = None
    node_name: str = ""
    tag: Any = ()
    propagation: Propagation | None = None  # DeleteOptions.propagationPolicy (delete only)
    # The leader-election epoch (Lease leaseTransitions) the sending replica believes it holds;
    # stamped by the cluster on writes of HA replicas' controllers (kmodel.k8s.leaderelection).
    # Not an upstream API field: upstream has no fencing.
    fence: int | None = None
    # Slow-start batching (kmodel, not an API field; see ``kmodel.k8s.apiserver.send``): once a
    # request with a batch number fails, every later request of the same reconcile with a
    # greater batch number is not sent; the component gets a "Skipped" result for it. None: an
    # independent request, always sent. Mirrors ``slowStartBatch``
    # (``pkg/controller/replicaset/replica_set.go``).
    batch: int | None = None
    recheck_deletion: bool = False  # get only: fail if the object is being deleted
    # update_status only: on Conflict, GET the live object and send the same status once more
    # with its resourceVersion (``statusUpdateRetries`` = 1 of ``updateReplicaSetStatus``,
    # ``pkg/controller/replicaset/replica_set_utils.go``); see ``kmodel.k8s.apiserver.send``
    retry_conflict: bool = False

    def __str__(self) -> str:
        kind, ns, name = self.key
        where = f"{ns}/{name}" if ns else name
        if self.verb == "bind":
            return f"bind {kind}/{where} → {self.node_name}"
        if self.verb == "delete" and self.propagation is not None:
            return f"delete {kind}/{where} (propagationPolicy {self.propagation})"
        if self.verb == "delete" and self.grace is not None:
            return f"delete {kind}/{where} (grace {self.grace}s)"
        if self.verb == "patch" and isinstance(self.obj, MetaPatch):
            return f"patch {kind}/{where} ({self.obj})"
        return f"{self.verb} {kind}/{where}"


@attrs.frozen
class MetaPatch:
    """A patch of ``metadata`` applied to the object as stored (what the garbage collector
    sends: ``GenerateDeleteOwnerRefStrategicMergeBytes`` and the finalizers merge patch of
    ``removeFinalizer`` in ``pkg/controller/garbagecollector/``)."""

    remove_owner_uids: tuple[str, ...] = ()
    remove_finalizers: tuple[str, ...] = ()
    # AdoptPod's patch: ``{"metadata":{"ownerReferences":[{...,"controller":true,
    # "blockOwnerDeletion":true}],"uid":"<pod uid>"}}`` (the pod uid is the request's
    # ``precondition_uid``); merged by uid (strategic merge on ``ownerReferences``)
    add_owner: OwnerReference | None = None

    def __str__(self) -> str:
        parts = [f"add controllerRef {self.add_owner.kind}/{self.add_owner.name}"] if self.add_owner else []
        parts += [f"remove ownerReference {u}" for u in self.remove_owner_uids]
        parts += [f"remove finalizer {f}" for f in self.remove_finalizers]
        return ", ".join(parts)


@attrs.frozen
class Result:
    ok: bool
    reason: str = ""  # "", Conflict, NotFound, AlreadyExists, Invalid
    message: str = ""
    obj: Any = None


@attrs.frozen
class APIConfig:
    default_not_ready_toleration_seconds: int = 300
    default_unreachable_toleration_seconds: int = 300


@abstraction.declare(fields={"revision": abstraction.REV}, plain={"counter"})
@attrs.frozen(cache_hash=True)
class Store:
    revision: int = 0
    objects: FMap[Key, Any] = FMap()
    events: tuple[Event, ...] = ()
    counter: int = 0  # for uids and generated names

    # -- reads -------------------------------------------------------------------------------

    def get(self, key: Key) -> Any:
        return self.objects.get(key)

    def list(self, kind: str) -> list[Any]:
        return [o for k, o in self.objects.items() if k[0] == kind]

    def events_after(self, revision: int) -> tuple[Event, ...]:
        evs = self.events
        if not evs or evs[-1].revision <= revision:
            return ()
        lo, hi = 0, len(evs)
        while lo < hi:
            mid = (lo + hi) // 2
            if evs[mid].revision <= revision:
                lo = mid + 1
            else:
                hi = mid
        return evs[lo:]

    def compact(self, revision: int) -> Store:
        """Drop events at or before ``revision`` (every live watcher has seen them)."""
        if not self.events or self.events[0].revision > revision:
            return self
        return attrs.evolve(self, events=tuple(e for e in self.events if e.revision > revision))

    # -- writes ------------------------------------------------------------------------------

    def objects_at(self, revision: int) -> FMap[Key, Any] | None:
        """The objects as they were at ``revision`` (what a lagging API server's watch cache
        serves), or None when the log no longer reaches back that far."""
        if revision >= self.revision:
            return self.objects
        if not self.events or self.events[0].revision > revision + 1:
            return None
        objects = dict(self.objects)
        for ev in reversed(self.events):
            if ev.revision <= revision:
                break
            if ev.type == "ADDED":
                objects.pop(ev.key, None)
            else:
                objects[ev.key] = ev.prev
        return FMap(objects)

    def _write(self, key: Key, obj: Any, etype: EventType, now: int) -> tuple[Store, Any]:
        rev = self.revision + 1
        prev = self.objects.get(key)
        if etype == "DELETED":
            objects = self.objects.delete(key)
            stamped = obj
        else:
            stamped = evolve(obj, meta=evolve(obj.meta, resource_version=rev))
            objects = self.objects.set(key, stamped)
        ev = Event(etype, rev, key, stamped, prev, now)
        return evolve(self, revision=rev, objects=objects, events=(*self.events, ev)), stamped

    def apply(self, req: Request, now: int, config: APIConfig) -> tuple[Store, Result]:
        if req.verb == "create":
            return self._create(req, now, config)
        current = self.objects.get(req.key)
        if current is None:
            return self, Result(False, "NotFound", f"{req.key[0]} {req.key[2]!r} not found")
        if req.precondition_uid is not None and current.meta.uid != req.precondition_uid:
            if req.verb == "get":
                gone = f"got uid {current.meta.uid}, wanted {req.precondition_uid} (the original is gone)"
                return self, Result(False, "Conflict", gone)
            return self, Result(False, "Conflict", "uid precondition failed")
        if req.verb == "get":
            if req.recheck_deletion and current.meta.deletion_timestamp is not None:
                when = current.meta.deletion_timestamp
                return self, Result(False, "Conflict", f"{req.key[1]}/{req.key[2]} has just been deleted at {when}")
            return self, Result(True, obj=current)
        if req.verb == "patch":
            return self._patch(current, req.obj, now)
        if req.verb == "bind":
            return self._bind(current, req, now)
        if req.verb == "evict":
            return self._evict(current, req, now)
        if (
            req.precondition_rv is None
            and req.verb in ("update", "update_status")
            and isinstance(current, GenericObject)
            and current.kind not in UNCONDITIONAL_UPDATE_KINDS
        ):
            return self, Result(False, "Invalid", "metadata.resourceVersion: must be specified for an update")
        if req.precondition_rv is not None and current.meta.resource_version != req.precondition_rv:
            return self, Result(
                False,
                "Conflict",
                f"the object has been modified (rv {req.precondition_rv} ≠ {current.meta.resource_version})",
            )
        if req.verb == "update":
            return self._update(current, req.obj, now)
        if req.verb == "update_status":
            return self._update_status(current, req.obj, now)
        return self._delete(current, req, now)

    def _create(self, req: Request, now: int, config: APIConfig) -> tuple[Store, Result]:
        obj = req.obj
        meta = obj.meta
        counter = self.counter + 1
        name = meta.name
        if not name and meta.generate_name:
            name = meta.generate_name[:58] + generated_suffix(counter)
        if not name:
            return self, Result(False, "Invalid", "name or generateName is required")
        key = (obj.KIND, meta.namespace, name)
        if key in self.objects:
            return self, Result(False, "AlreadyExists", f"{obj.KIND} {name!r} already exists")
        meta = attrs.evolve(
            meta,
            name=name,
            uid=f"uid-{counter:06d}",
            generation=0 if obj.KIND in NO_GENERATION_KINDS else 1,
            creation_timestamp=now,
            deletion_timestamp=None,
            deletion_grace_period_seconds=None,
        )
        obj = attrs.evolve(obj, meta=meta)
        if isinstance(obj, Pod):
            obj = admit_default_tolerations(obj, config)
        elif obj.KIND == "Job":
            obj = generate_job_selector(obj)
        store = attrs.evolve(self, counter=counter)
        store, stamped = store._write(key, obj, "ADDED", now)
        return store, Result(True, obj=stamped)

    def _update(self, current: Any, new: Any, now: int) -> tuple[Store, Result]:
        meta = attrs.evolve(
            new.meta,
            uid=current.meta.uid,
            resource_version=current.meta.resource_version,
            creation_timestamp=current.meta.creation_timestamp,
            deletion_timestamp=current.meta.deletion_timestamp,
            deletion_grace_period_seconds=current.meta.deletion_grace_period_seconds,
            generation=current.meta.generation,
        )
        if hasattr(current, "spec") and new.spec != current.spec and current.KIND not in NO_GENERATION_KINDS:
            meta = attrs.evolve(meta, generation=current.meta.generation + 1)
        fields: dict[str, Any] = {"meta": meta}
        for f in attrs.fields(type(current)):
            if f.name not in ("meta", "status"):
                fields[f.name] = getattr(new, f.name)
        obj = attrs.evolve(current, **fields)
        if obj == current:
            return self, Result(True, obj=current)
        if current.meta.deletion_timestamp is not None and not obj.meta.finalizers and _delete_on_update(current):
            store, _ = self._write(current.key, obj, "DELETED", now)
            return store, Result(True, obj=obj)
        store, stamped = self._write(current.key, obj, "MODIFIED", now)
        return store, Result(True, obj=stamped)

    def _update_status(self, current: Any, new: Any, now: int) -> tuple[Store, Result]:
        obj = attrs.evolve(current, status=new.status)
        if obj == current:
            return self, Result(True, obj=current)
        store, stamped = self._write(current.key, obj, "MODIFIED", now)
        return store, Result(True, obj=stamped)

    def _patch(self, current: Any, patch: MetaPatch, now: int) -> tuple[Store, Result]:
        """Apply ``patch`` to the stored object; emptying the finalizers of a terminating
        non-pod removes it (``Update``: ``ShouldDeleteDuringUpdate``), as ``_update`` does."""
        meta = current.meta
        refs = tuple(r for r in meta.owner_references if r.uid not in patch.remove_owner_uids)
        add = patch.add_owner
        if add is not None:
            ctrl = meta.controller_ref()
            if add.controller and ctrl is not None and ctrl.uid != add.uid:
                return self, Result(
                    False,
                    "Invalid",
                    f"metadata.ownerReferences: Only one reference can have Controller set to true. "
                    f'Found "true" in references for {ctrl.kind}/{ctrl.name} and {add.kind}/{add.name}',
                )
            refs = tuple(add if r.uid == add.uid else r for r in refs)
            if add not in refs:
                refs = (*refs, add)
        finalizers = tuple(f for f in meta.finalizers if f not in patch.remove_finalizers)
        if refs == meta.owner_references and finalizers == meta.finalizers:
            return self, Result(True, obj=current)
        new = attrs.evolve(current, meta=attrs.evolve(meta, owner_references=refs, finalizers=finalizers))
        return self._update(current, new, now)

    def _delete(self, current: Any, req: Request, now: int) -> tuple[Store, Result]:
        meta = current.meta
        if meta.deletion_timestamp is not None:
            if req.propagation is not None and not _is_pod(current):
                return self._delete_again_finalizers(current, req, now)
            return self._delete_again(current, req, now)
        finalizers = deletion_finalizers(meta.finalizers, req.propagation)
        if finalizers != meta.finalizers:
            meta = attrs.evolve(meta, finalizers=finalizers)
            current = attrs.evolve(current, meta=meta)
        grace = 0
        if isinstance(current, Pod):
            grace = req.grace if req.grace is not None else current.spec.termination_grace_period_seconds
            if not current.spec.node_name or current.is_terminal():
                grace = 0
            elif grace < 0:
                grace = 1  # BeforeDelete: a negative grace period means 1s
        if grace == 0 and not meta.finalizers:
            store, _ = self._write(current.key, current, "DELETED", now)
            return store, Result(True, obj=current)
        meta = attrs.evolve(
            meta,
            deletion_timestamp=now + grace,
            deletion_grace_period_seconds=grace,
            generation=meta.generation + 1 if meta.generation > 0 else 0,
        )
        store, stamped = self._write(current.key, attrs.evolve(current, meta=meta), "MODIFIED", now)
        return store, Result(True, obj=stamped)

    def _delete_again_finalizers(self, current: Any, req: Request, now: int) -> tuple[Store, Result]:
        """A delete with a propagation policy of a terminating non-pod: the GC finalizers are
        recomputed (``updateForGracefulDeletionAndFinalizers``); none left → removed now."""
        meta = current.meta
        finalizers = deletion_finalizers(meta.finalizers, req.propagation)
        if finalizers == meta.finalizers:
            return self, Result(True, obj=current)
        obj = attrs.evolve(current, meta=attrs.evolve(meta, finalizers=finalizers))
        if not finalizers:
            store, _ = self._write(current.key, obj, "DELETED", now)
            return store, Result(True, obj=obj)
        store, stamped = self._write(current.key, obj, "MODIFIED", now)
        return store, Result(True, obj=stamped)

    def _delete_again(self, current: Any, req: Request, now: int) -> tuple[Store, Result]:
        """A delete of an object already terminating (``BeforeDelete``): without a grace
        period nothing changes; grace 0 removes it (unless finalizers remain); only a shorter
        grace period moves the deadline, to ``old deadline − old grace + new grace``."""
        meta = current.meta
        if req.grace is None:
            return self, Result(True, obj=current)
        grace = max(req.grace, 0)
        if grace == 0:
            if meta.finalizers:
                if not _is_pod(current) or meta.deletion_grace_period_seconds == 0:
                    return self, Result(True, obj=current)
                # the pod stays for its finalizers, now with grace 0 (ShouldDeleteDuringUpdate)
                assert meta.deletion_timestamp is not None
                old = meta.deletion_grace_period_seconds or 0
                meta = attrs.evolve(
                    meta, deletion_timestamp=meta.deletion_timestamp - old, deletion_grace_period_seconds=0
                )
                store, stamped = self._write(current.key, attrs.evolve(current, meta=meta), "MODIFIED", now)
                return store, Result(True, obj=stamped)
            store, _ = self._write(current.key, current, "DELETED", now)
            return store, Result(True, obj=current)
        old = meta.deletion_grace_period_seconds
        if old is None or grace >= old:
            return self, Result(True, obj=current)
        assert meta.deletion_timestamp is not None
        meta = attrs.evolve(
            meta, deletion_timestamp=meta.deletion_timestamp - old + grace, deletion_grace_period_seconds=grace
        )
        store, stamped = self._write(current.key, attrs.evolve(current, meta=meta), "MODIFIED", now)
        return store, Result(True, obj=stamped)

    def _evict(self, pod: Any, req: Request, now: int) -> tuple[Store, Result]:
        """``pods/eviction`` (``pkg/registry/core/pod/storage/eviction.go: EvictionREST.Create``):

        - a pod that is Pending, Succeeded, Failed or already being deleted is deleted at once,
          without looking at budgets (``canIgnorePDB``);
        - the PodDisruptionBudgets of the pod's namespace whose selector matches it
          (``getPodDisruptionBudgets``; a null selector matches nothing): more than one → 500
          "This pod has more than one PodDisruptionBudget, which the eviction subresource does
          not support."; none → the pod is deleted;
        - a pod that is not Ready (``IsPodReady``) is deleted without touching the budget when the
          PDB's ``unhealthyPodEvictionPolicy`` is AlwaysAllow, or (IfHealthyBudget, the default)
          when ``currentHealthy >= desiredHealthy > 0`` in the PDB's status;
        - otherwise ``checkAndDecrement``: a status older than the spec (``observedGeneration <
          generation``) or ``disruptionsAllowed == 0`` → 429 TooManyRequests "Cannot evict pod as
          it would violate the pod's disruption budget."; a negative count → 403 Forbidden; else
          ``disruptionsAllowed`` is decremented and the pod added to ``disruptedPods`` with the
          current time, written to the PDB's status, and then the pod is deleted gracefully (its
          ``terminationGracePeriodSeconds``, or the request's grace).

        Simplification: upstream reads the PDB and writes its status with the read
        resourceVersion as precondition, retrying conflicts (``RetryOnConflict``, 20 tries), and
        then deletes the pod with its resourceVersion as precondition; here the whole request is
        one atomic step on the store (reads are live, quorum reads), so neither can conflict and
        both writes land together, PDB status first. Conditions and ``MaxDisruptedPodSize`` are not
        modelled."""
        delete = Request("delete", pod.key, grace=req.grace)
        if _can_ignore_pdb(pod):
            return self._delete(pod, delete, now)
        pdbs = self._pod_disruption_budgets(pod)
        if len(pdbs) > 1:
            return self, Result(
                False,
                "InternalError",
                "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
            )
        if not pdbs:
            return self._delete(pod, delete, now)
        pdb = pdbs[0]
        if not pod.is_ready() and _unhealthy_pod_evictable(pdb):
            return self._delete(pod, delete, now)
        status = _check_and_decrement(pdb, pod.meta.name, now)
        if isinstance(status, Result):
            return self, status
        store, _ = self._write(pdb.key, attrs.evolve(pdb, status=status), "MODIFIED", now)
        return store._delete(pod, delete, now)

    def _pod_disruption_budgets(self, pod: Pod) -> tuple[PodDisruptionBudget, ...]:
        """``eviction.go: getPodDisruptionBudgets``: the PDBs of the pod's namespace whose selector
        matches it (a null selector matches nothing), by name."""
        ns = pod.meta.namespace
        pdbs = (b for b in self.list(PodDisruptionBudget.KIND) if b.meta.namespace == ns and b.spec.selects(pod))
        return tuple(sorted(pdbs, key=lambda b: b.meta.name))

    def _bind(self, pod: Any, req: Request, now: int) -> tuple[Store, Result]:
        if pod.meta.deletion_timestamp is not None:
            return self, Result(False, "Conflict", f"pod {pod.meta.name} is being deleted")
        if pod.spec.node_name:
            return self, Result(
                False, "Conflict", f"pod {pod.meta.name} is already assigned to node {pod.spec.node_name!r}"
            )
        obj = attrs.evolve(pod, spec=attrs.evolve(pod.spec, node_name=req.node_name))
        store, stamped = self._write(pod.key, obj, "MODIFIED", now)
        return store, Result(True, obj=stamped)


def _is_pod(obj: Any) -> bool:
    return isinstance(obj, Pod)


def _delete_on_update(current: Any) -> bool:
    """``registry/store.go: ShouldDeleteDuringUpdate`` once the finalizers are gone: the object
    being deleted has a grace period of 0 or none (every non-pod; a pod only after its grace-0
    delete, never while its graceful termination is pending)."""
    return not _is_pod(current) or current.meta.deletion_grace_period_seconds in (None, 0)


JOB_UID_LABEL = "batch.kubernetes.io/controller-uid"  # batch.ControllerUidLabel
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"  # batch.JobNameLabel
LEGACY_JOB_UID_LABEL = "controller-uid"  # batch.LegacyControllerUidLabel
LEGACY_JOB_NAME_LABEL = "job-name"  # batch.LegacyJobNameLabel


def generate_job_selector(job: Any) -> Any:
    """``pkg/registry/batch/job/strategy.go: generateSelector`` for a Job without
    ``manualSelector``: the template's labels get the Job's uid and name (legacy and current
    keys), and the selector is ``batch.kubernetes.io/controller-uid=<uid>``."""
    spec = job.spec
    if spec.manual_selector:
        return job
    uid, name = job.meta.uid, job.meta.name
    labels = dict(spec.template.labels)
    for key, value in (
        (LEGACY_JOB_UID_LABEL, uid),
        (JOB_UID_LABEL, uid),
        (LEGACY_JOB_NAME_LABEL, name),
        (JOB_NAME_LABEL, name),
    ):
        labels.setdefault(key, value)
    template = attrs.evolve(spec.template, labels=FMap(labels))
    selector = LabelSelector(match_labels=((JOB_UID_LABEL, uid),))
    return attrs.evolve(job, spec=attrs.evolve(spec, template=template, selector=selector))


def deletion_finalizers(finalizers: tuple[str, ...], policy: Propagation | None) -> tuple[str, ...]:
    """``deletionFinalizersForGarbageCollection``: without a policy the existing finalizers
    decide (kept as they are); with one, both GC finalizers are dropped and the policy's added."""
    if policy is None:
        return finalizers
    kept = tuple(f for f in finalizers if f not in (FINALIZER_ORPHAN, FINALIZER_FOREGROUND))
    if policy == "Orphan":
        return (*kept, FINALIZER_ORPHAN)
    if policy == "Foreground":
        return (*kept, FINALIZER_FOREGROUND)
    return kept


def generated_suffix(counter: int) -> str:
    """Five characters of the upstream name alphabet, derived from a counter (not random)."""
    n = (counter * 7_368_787) % (len(NAME_ALPHABET) ** 5)  # a fixed bijection of the counter
    out = []
    for _ in range(5):
        n, r = divmod(n, len(NAME_ALPHABET))
        out.append(NAME_ALPHABET[r])
    return "".join(out)


def admit_default_tolerations(pod: Pod, config: APIConfig) -> Pod:
    tolerations = list(pod.spec.tolerations)
    for key, seconds in (
        (TAINT_NOT_READY, config.default_not_ready_toleration_seconds),
        (TAINT_UNREACHABLE, config.default_unreachable_toleration_seconds),
    ):
        # The plugin looks at key and effect only (not values): any toleration of the taint
        # key with effect NoExecute or any effect counts as already tolerating it.
        if not any(
            (t.key == key or (not t.key and t.operator == "Exists")) and t.effect in ("", "NoExecute")
            for t in tolerations
        ):
            tolerations.append(Toleration(key=key, operator="Exists", effect="NoExecute", toleration_seconds=seconds))
    if len(tolerations) == len(pod.spec.tolerations):
        return pod
    return attrs.evolve(pod, spec=attrs.evolve(pod.spec, tolerations=tuple(tolerations)))


__all__ = ["APIConfig", "Event", "FMap", "MetaPatch", "Request", "Result", "Store"]


def _can_ignore_pdb(pod: Pod) -> bool:
    """``eviction.go: canIgnorePDB``: a Pending, Succeeded or Failed pod, or one already being
    deleted, is evicted without looking at budgets."""
    return pod.status.phase in ("Pending", "Succeeded", "Failed") or pod.meta.deletion_timestamp is not None


def _unhealthy_pod_evictable(pdb: PodDisruptionBudget) -> bool:
    """Whether a pod that is not Ready may go without touching ``pdb``'s budget: always with
    ``unhealthyPodEvictionPolicy: AlwaysAllow``; with IfHealthyBudget (the default) when
    ``currentHealthy >= desiredHealthy > 0`` (``eviction.go: EvictionREST.Create``)."""
    st = pdb.status
    if pdb.spec.unhealthy_pod_eviction_policy == "AlwaysAllow":
        return True
    return st.current_healthy >= st.desired_healthy and st.desired_healthy > 0


def _check_and_decrement(pdb: PodDisruptionBudget, pod_name: str, now: int) -> PodDisruptionBudgetStatus | Result:
    """``eviction.go: checkAndDecrement``: ``pdb``'s status with one disruption spent and the pod
    in ``disruptedPods`` at ``now``, or the refusal: a status older than the spec
    (``observedGeneration < generation``) or no disruption allowed → 429 TooManyRequests, a
    negative count → 403 Forbidden."""
    st = pdb.status
    if st.observed_generation < pdb.meta.generation:
        return Result(
            False,
            "TooManyRequests",
            f"Cannot evict pod as it would violate the pod's disruption budget. "
            f"(The disruption budget {pdb.meta.name} is still being processed by the server.)",
        )
    if st.disruptions_allowed < 0:
        return Result(False, "Forbidden", f"poddisruptionbudget {pdb.meta.name}: disruptions allowed is negative")
    if st.disruptions_allowed == 0:
        return Result(
            False,
            "TooManyRequests",
            f"Cannot evict pod as it would violate the pod's disruption budget. (The disruption budget "
            f"{pdb.meta.name} needs {st.desired_healthy} healthy pods and has {st.current_healthy} currently)",
        )
    return attrs.evolve(
        st,
        disruptions_allowed=st.disruptions_allowed - 1,
        disrupted_pods=st.disrupted_pods.set(pod_name, now),
    )
