"""The garbage collector: background, foreground and orphan propagation.

Mirrors ``pkg/controller/garbagecollector/`` in kubernetes/kubernetes:

- ``graph_builder.go: processGraphChanges`` builds the owner/dependent graph from the informers
  (here: the component's cache of every kind but Nodes and Leases, looked up by uid) and fills
  two work queues:

  - an object is *deleted* → its dependents go to ``attemptToDelete``, and so do its owners that
    are deleting their dependents (so they re-check whether they may go);
  - an object is added or its ownerReferences change → an owner the graph does not know (a
    "virtual" node upstream, ``addDependentToOwners``) gets checked; an ownerReference that
    blocked its owner and is removed or stops blocking → that owner goes to ``attemptToDelete``
    (``addUnblockedOwnersToDeleteQueue``);
  - ``processTransitions``: an object that starts being deleted with the ``orphan`` finalizer goes
    to ``attemptToOrphan``; one that starts being deleted with ``foregroundDeletion`` goes to
    ``attemptToDelete`` with all its dependents.

- ``garbagecollector.go: attemptToDeleteItem`` for a queued object: one being deleted (and not
  deleting its dependents) is skipped ("a one-way trip"). Otherwise the collector reads the
  object **and its owners live from the API server** (``getObject``, ``isDangling``), classifies
  each ownerReference (``classifyReferences``) as *solid*, *dangling* (owner gone or another uid)
  or *waitingForDependentsDeletion* (owner has ``deletionTimestamp`` and ``foregroundDeletion``)
  and then:

  - some solid owner: patch away the dangling and waiting references, if any;
  - a waiting owner and the object has dependents itself: delete it with ``Foreground``;
  - otherwise delete it with the policy of the finalizer it already carries (``orphan`` →
    Orphan, ``foregroundDeletion`` → Foreground), else ``Background``.

  Deletes carry a uid precondition (``operations.go: deleteObject``); reference removal is a
  strategic-merge patch carrying the object's uid (``GenerateDeleteOwnerRefStrategicMergeBytes``).
- ``processDeletingDependentsItem`` (an owner deleting its dependents): no *blocking* dependents
  left → remove ``foregroundDeletion`` (``removeFinalizer``: GET, then a merge patch with the read
  resourceVersion, retried on conflict); else queue each blocking dependent that is not itself
  deleting its dependents. A dependent blocks its owner when its ownerReference to that owner has
  ``blockOwnerDeletion: true`` (``graph.go: blockingDependents``) — and, as upstream, only the
  dependents in the collector's graph count: foreground deletion is best effort under races
  (kubernetes/website#48077, kubernetes#125796).
- ``attemptToOrphanWorker``: patch the owner's reference out of every dependent the graph knows
  (``orphanDependents``); only when all succeeded (NotFound counts as success) remove the
  ``orphan`` finalizer, else retry later.

What is modelled of ``blockOwnerDeletion``: only its effect on foreground deletion (which
dependents an owner waits for). The admission check that setting it requires delete permission
on the owner (``OwnerReferencesPermissionEnforcement``) is not modelled: kmodel has no RBAC.

The view lags, as every component's: the graph is the cache, so which objects are looked at,
which dependents an owner orphans and which ones it waits for come from a possibly stale view —
upstream's known races: an orphan request seen before a dependent's creation leaves that
dependent to be collected instead (kubernetes#26120, item 1); a controller that has not yet seen
the owner's deletion re-adopts what was just orphaned (kubernetes#42639). The live reads of
``attemptToDeleteItem`` are modelled as ``get`` requests: one reconcile sends them, a later one
decides from their answers, so other steps can run in between, as they can between upstream's
GET and DELETE ("a live get eliminates the race for most reasonable cases", kubernetes#43032).

Simplifications (and why):

- One reconcile is one worker step on one queue item; the orphan queue goes first (upstream runs
  ``--concurrent-gc-syncs`` = 20 workers per queue in parallel; interleavings across items come
  from the model's own step order instead).
- A virtual owner node is not created: the dependent that names an unknown owner is queued
  instead, and its live read of the owner decides (the same outcome: upstream's virtual node,
  found absent, queues its dependents). ``absentOwnerCache`` (an optimisation) is not modelled.
- For an owner deleting its dependents, the live GET of the owner itself is not modelled: the
  finalizer patch carries the owner's uid, so a gone or re-created owner is never touched.
- The cycle breaker of ``attemptToDeleteItem`` (un-blocking a dependent that is itself deleting
  dependents) is not modelled: ownerReference cycles cannot arise from kmodel's controllers.
- Failed requests are re-queued at the back at once (the rate limiter's backoff starts at 5ms,
  below the model clock). A uid-precondition conflict means the object was deleted and
  re-created: the queued item names the old one, which is gone, so it is dropped, as the retry's
  live read would find.
- Nodes and Leases are not in the graph: nothing in kmodel deletes a Node, and node Leases carry
  no ownerReference here (upstream's kubelet points its Lease at its Node); watching the
  heartbeats would only add steps.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from kmodel.k8s import workqueue
from kmodel.k8s.informers import Component, ComponentSpec, View
from kmodel.k8s.objects import KINDS, Deployment, Key, OwnerReference
from kmodel.k8s.store import FINALIZER_FOREGROUND, FINALIZER_ORPHAN, MetaPatch, Propagation, Request, Result

NAME = "garbage-collector"
IGNORED_KINDS = ("Lease", "Node")  # not in the graph (see the module docstring)
_UNREAD: Any = object()


@attrs.frozen(order=True)
class Item:
    """A graph node's identity (``objectReference``): kind, namespace, name and uid."""

    kind: str
    namespace: str
    name: str
    uid: str

    @property
    def key(self) -> Key:
        return (self.kind, self.namespace, self.name)

    def __str__(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}"


def item_of(obj: Any) -> Item:
    return Item(obj.KIND, obj.meta.namespace, obj.meta.name, obj.meta.uid)


@attrs.frozen
class GCLocal:
    """The collector's memory: its two work queues, the live reads of the ``attemptToDelete``
    item being processed (``reading``, ``reads``: key → object, None for NotFound), and the
    ``attemptToOrphan`` item whose dependents are being patched (``orphaning``)."""

    attempt_to_delete: tuple[Item, ...] = ()
    attempt_to_orphan: tuple[Item, ...] = ()
    reading: Item | None = None
    reads: tuple[tuple[Key, Any], ...] = ()
    orphaning: Item | None = None
    orphan_failed: bool = False


def _enqueue_delete(local: GCLocal, item: Item) -> GCLocal:
    """``attemptToDelete.Add``; the item being read (the head) is added again behind the others."""
    q = workqueue.add(local.attempt_to_delete, item, processing=local.reading)
    return local if q is local.attempt_to_delete else attrs.evolve(local, attempt_to_delete=q)


def _enqueue_orphan(local: GCLocal, item: Item) -> GCLocal:
    """``attemptToOrphan.Add``; the item being orphaned (the head) is added again behind the others."""
    q = workqueue.add(local.attempt_to_orphan, item, processing=local.orphaning)
    return local if q is local.attempt_to_orphan else attrs.evolve(local, attempt_to_orphan=q)


def being_deleted(obj: Any) -> bool:
    return obj.meta.deletion_timestamp is not None


def deleting_dependents(obj: Any) -> bool:
    """``node.isDeletingDependents``: being deleted with the ``foregroundDeletion`` finalizer."""
    return being_deleted(obj) and FINALIZER_FOREGROUND in obj.meta.finalizers


def _starts_deletion_with(old: Any, new: Any, finalizer: str) -> bool:
    """``graph_builder.go: deletionStartsWithFinalizer``."""
    if not being_deleted(new) or finalizer not in new.meta.finalizers:
        return False
    return old is None or not being_deleted(old) or finalizer not in old.meta.finalizers


def _graph_node(view: View, kind: str, namespace: str, name: str, uid: str) -> Any:
    """The object with this uid in the graph (the cache), or None."""
    obj = view.get((kind, namespace, name))
    return obj if obj is not None and obj.meta.uid == uid else None


def _owner_node(view: View, ref: OwnerReference, namespace: str) -> Any:
    kind, ns, name = owner_key(ref, namespace)
    return _graph_node(view, kind, ns, name, ref.uid)


def dependents(objects: Iterable[Any], uid: str) -> list[Any]:
    """The objects with an ownerReference to ``uid`` (``node.dependents``)."""
    return [o for o in objects if any(r.uid == uid for r in o.meta.owner_references)]


def _graph(view: View) -> list[Any]:
    return [o for objs in view.cache.values() for o in objs.values()]


def _blocks(dep: Any, uid: str) -> bool:
    return any(r.uid == uid and r.block_owner_deletion for r in dep.meta.owner_references)


def owner_key(ref: OwnerReference, namespace: str) -> Key:
    """Where the owner lives: the dependent's namespace, or none for a cluster-scoped kind
    (``resourceDefaultNamespace``)."""
    cls = KINDS.get(ref.kind)
    return (ref.kind, "" if cls is not None and not cls.NAMESPACED else namespace, ref.name)


@attrs.frozen
class GarbageCollector(Component):
    name: str = NAME

    def watches(self, obj: Any) -> bool:
        return obj.KIND not in IGNORED_KINDS

    def initial_local(self) -> GCLocal:
        return GCLocal()

    # -- graph builder -----------------------------------------------------------------------

    def on_relist(self, local: GCLocal, view: View) -> GCLocal:
        """A (re)list is an add event per object (``processGraphChanges`` with no old object)."""
        for obj in _graph(view):
            local = self._owners_changed(local, None, obj, view)
            local = self._transitions(local, None, obj, view)
        return local

    def on_event(self, local: GCLocal, event: Any, old: Any, view: View) -> GCLocal:
        obj = event.obj
        if event.type == "DELETED":
            return self._deleted(local, old if old is not None else obj, view)
        if old is not None and old.meta.uid != obj.meta.uid:
            local = self._deleted(local, old, view)  # deleted and re-created, seen as one update
            old = None
        local = self._owners_changed(local, old, obj, view)
        return self._transitions(local, old, obj, view)

    def _deleted(self, local: GCLocal, gone: Any, view: View) -> GCLocal:
        """``processGraphChanges``, deleteEvent: its dependents to ``attemptToDelete``, and its
        owners that are deleting their dependents."""
        for dep in dependents(_graph(view), gone.meta.uid):
            local = _enqueue_delete(local, item_of(dep))
        for ref in gone.meta.owner_references:
            owner = _owner_node(view, ref, gone.meta.namespace)
            if owner is not None and deleting_dependents(owner):
                local = _enqueue_delete(local, item_of(owner))
        return local

    def _owners_changed(self, local: GCLocal, old: Any, obj: Any, view: View) -> GCLocal:
        """``referencesDiffs`` → ``addUnblockedOwnersToDeleteQueue`` and, for owners the graph
        does not know, ``addDependentToOwners`` (see the module docstring on virtual nodes)."""
        ns = obj.meta.namespace
        refs = obj.meta.owner_references
        old_refs = {r.uid: r for r in old.meta.owner_references} if old is not None else {}
        new_uids = {r.uid for r in refs}
        for ref in old_refs.values():
            if ref.uid not in new_uids and ref.block_owner_deletion:
                owner = _owner_node(view, ref, ns)
                if owner is not None:
                    local = _enqueue_delete(local, item_of(owner))
        for ref in refs:
            before = old_refs.get(ref.uid)
            if before is not None and before.block_owner_deletion and not ref.block_owner_deletion:
                owner = _owner_node(view, ref, ns)
                if owner is not None:
                    local = _enqueue_delete(local, item_of(owner))
        if any(r.uid not in old_refs and _owner_node(view, r, ns) is None for r in refs):
            local = _enqueue_delete(local, item_of(obj))
        return local

    def _transitions(self, local: GCLocal, old: Any, obj: Any, view: View) -> GCLocal:
        """``processTransitions``."""
        if _starts_deletion_with(old, obj, FINALIZER_ORPHAN):
            return _enqueue_orphan(local, item_of(obj))
        if _starts_deletion_with(old, obj, FINALIZER_FOREGROUND):
            for dep in dependents(_graph(view), obj.meta.uid):
                local = _enqueue_delete(local, item_of(dep))
            local = _enqueue_delete(local, item_of(obj))
        return local

    # -- workers -----------------------------------------------------------------------------

    def reconcile(self, local: GCLocal, view: View) -> tuple[GCLocal, list[Request]]:
        if local.attempt_to_orphan:
            return self._orphan_worker(local, view)
        if local.attempt_to_delete:
            return self._delete_worker(local, view)
        return local, []

    def _orphan_worker(self, local: GCLocal, view: View) -> tuple[GCLocal, list[Request]]:
        """``attemptToOrphanWorker``: first the dependents' patches, then (a later reconcile, once
        every patch succeeded) the owner's ``orphan`` finalizer."""
        owner = local.attempt_to_orphan[0]
        rest = local.attempt_to_orphan[1:]
        if local.orphaning != owner:
            deps = dependents(_graph(view), owner.uid)
            if deps:
                patch = MetaPatch(remove_owner_uids=(owner.uid,))
                reqs = [
                    Request("patch", d.key, patch, precondition_uid=d.meta.uid, tag=("gc-orphan-dependent", owner))
                    for d in deps
                ]
                return attrs.evolve(local, orphaning=owner, orphan_failed=False), reqs
        elif local.orphan_failed:
            local = attrs.evolve(local, attempt_to_orphan=rest, orphaning=None, orphan_failed=False)
            return _enqueue_orphan(local, owner), []  # requeueItem (AddRateLimited)
        local = attrs.evolve(local, attempt_to_orphan=rest, orphaning=None, orphan_failed=False)
        return local, [_remove_finalizer(owner, FINALIZER_ORPHAN)]

    def _delete_worker(self, local: GCLocal, view: View) -> tuple[GCLocal, list[Request]]:
        """``attemptToDeleteWorker`` → ``attemptToDeleteItem`` on the queue's head."""
        item = local.attempt_to_delete[0]
        popped = attrs.evolve(local, attempt_to_delete=local.attempt_to_delete[1:], reading=None, reads=())
        if local.reading != item:
            node = _graph_node(view, item.kind, item.namespace, item.name, item.uid)
            if node is None or (being_deleted(node) and not deleting_dependents(node)):
                return popped, []  # gone from the graph, or "being deleted is a one-way trip"
            if deleting_dependents(node):
                return self._process_deleting_dependents(popped, item, view)
            keys = [item.key]
            for ref in node.meta.owner_references:
                k = owner_key(ref, item.namespace)
                if k not in keys:
                    keys.append(k)
            reqs = [Request("get", k, tag=("gc-get", item)) for k in keys]
            return attrs.evolve(local, reading=item, reads=()), reqs
        reads = dict(local.reads)
        latest = reads.get(item.key, _UNREAD)
        if latest is _UNREAD:
            return local, [Request("get", item.key, tag=("gc-get", item))]
        if latest is None or latest.meta.uid != item.uid:
            return popped, []  # not found: upstream enqueues a virtual delete event; nothing to collect
        refs = latest.meta.owner_references
        if not refs:
            return popped, []  # "item doesn't have an owner"
        missing = [k for k in dict.fromkeys(owner_key(r, item.namespace) for r in refs) if k not in reads]
        if missing:
            return local, [Request("get", k, tag=("gc-get", item)) for k in missing]
        solid, dangling, waiting = classify_references(refs, item.namespace, reads)
        if solid:
            if not dangling and not waiting:
                return popped, []
            patch = MetaPatch(remove_owner_uids=tuple(r.uid for r in (*dangling, *waiting)))
            return popped, [Request("patch", item.key, patch, precondition_uid=item.uid, tag=("gc-patch", item))]
        policy: Propagation
        if waiting and dependents(_graph(view), item.uid):
            policy = "Foreground"
        elif FINALIZER_ORPHAN in latest.meta.finalizers:
            policy = "Orphan"
        elif FINALIZER_FOREGROUND in latest.meta.finalizers:
            policy = "Foreground"
        else:
            policy = "Background"
        req = Request("delete", item.key, precondition_uid=item.uid, propagation=policy, tag=("gc-delete", item))
        return popped, [req]

    def _process_deleting_dependents(self, local: GCLocal, item: Item, view: View) -> tuple[GCLocal, list[Request]]:
        """``processDeletingDependentsItem``."""
        blocking = [d for d in dependents(_graph(view), item.uid) if _blocks(d, item.uid)]
        if not blocking:
            return local, [_remove_finalizer(item, FINALIZER_FOREGROUND)]
        for dep in blocking:
            if not deleting_dependents(dep):
                local = _enqueue_delete(local, item_of(dep))
        return local, []

    def on_result(self, local: GCLocal, req: Request, result: Result, view: View) -> GCLocal:
        tag = req.tag
        if not tag or not isinstance(tag[0], str) or not tag[0].startswith("gc-"):
            return local
        what, item = tag[0], tag[-1]
        if what == "gc-get":
            if local.reading != item:
                return local  # an earlier read of this batch failed: the attempt was abandoned
            if result.ok or result.reason == "NotFound":
                return attrs.evolve(local, reads=(*local.reads, (req.key, result.obj if result.ok else None)))
            rest = local.attempt_to_delete[1:] if local.attempt_to_delete[:1] == (item,) else local.attempt_to_delete
            local = attrs.evolve(local, attempt_to_delete=rest, reading=None, reads=())
            return _enqueue_delete(local, item)
        if what == "gc-orphan-dependent":
            if not result.ok and result.reason != "NotFound" and local.orphaning == item:
                return attrs.evolve(local, orphan_failed=True)
            return local
        if result.ok or result.reason in ("NotFound", "Conflict"):
            return local
        if what == "gc-finalizer" and tag[1] == FINALIZER_ORPHAN:
            return _enqueue_orphan(local, item)
        return _enqueue_delete(local, item)


def _remove_finalizer(item: Item, finalizer: str) -> Request:
    """``operations.go: removeFinalizer`` (GET + patch with the read resourceVersion, retried on
    conflict: the same as one patch of the object as stored)."""
    patch = MetaPatch(remove_finalizers=(finalizer,))
    return Request("patch", item.key, patch, precondition_uid=item.uid, tag=("gc-finalizer", finalizer, item))


def classify_references(
    refs: Iterable[OwnerReference], namespace: str, reads: dict[Key, Any]
) -> tuple[list[OwnerReference], list[OwnerReference], list[OwnerReference]]:
    """``classifyReferences`` over live reads: (solid, dangling, waitingForDependentsDeletion)."""
    solid: list[OwnerReference] = []
    dangling: list[OwnerReference] = []
    waiting: list[OwnerReference] = []
    for ref in refs:
        owner = reads.get(owner_key(ref, namespace))
        if owner is None or owner.meta.uid != ref.uid:
            dangling.append(ref)
        elif deleting_dependents(owner):
            waiting.append(ref)
        else:
            solid.append(ref)
    return solid, dangling, waiting


def collector_needed(user_ops: Iterable[Any], objects: Iterable[Any]) -> bool:
    """Whether a scenario can delete an owner while it has dependents, so that the collector has
    work: a user ``delete`` step, or a Deployment with more rollout images than its
    ``revisionHistoryLimit`` (``cleanupDeployment`` then deletes old ReplicaSets). Without either
    nothing in kmodel deletes a ReplicaSet or a Deployment, and the collector would only add
    steps; ``ClusterModel`` leaves it out then."""
    ops = list(user_ops)
    if any(op.op == "delete" for op in ops):
        return True
    for obj in objects:
        if isinstance(obj, Deployment):
            images = {
                img for op in ops if op.op == "rollout" and op.target == obj.key for img in dict(op.params)["image"]
            }
            if len(images) > obj.spec.revision_history_limit:
                return True
    return False


__all__ = ["GCLocal", "GarbageCollector", "Item", "classify_references", "collector_needed", "owner_key"]


# only where an owner can be deleted: elsewhere it would only add steps
SPEC = ComponentSpec(
    "garbage-collector",
    build=lambda config: (
        [GarbageCollector()]
        if config.variants.garbage_collector and collector_needed(config.user, config.objects)
        else []
    ),
)
