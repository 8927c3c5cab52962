"""The DaemonSet controller.

Mirrors ``pkg/controller/daemon/`` in kubernetes/kubernetes as of Kubernetes 1.34
(``kmodel.k8s.version``):

- ``daemon_controller.go``, event handlers: ``addDaemonset``/``updateDaemonset``/``deleteDaemonset``
  enqueue the set; ``addPod`` of a pod with a DaemonSet controllerRef calls
  ``expectations.CreationObserved`` and enqueues it (a pod added already being deleted goes to
  ``deletePod``); ``updatePod`` enqueues the old and new controller when the controllerRef
  changed, and a pod gaining a deletionTimestamp goes to ``deletePod``; ``deletePod`` calls
  ``DeletionObserved`` and enqueues. ``addNode`` enqueues every set whose ``NodeShouldRunDaemonPod``
  says shouldRun; ``updateNode`` enqueues every set for which (shouldRun, shouldContinueRunning)
  changed between the old and the new node (``shouldIgnoreNodeUpdate`` drops only updates that
  change neither, e.g. heartbeats). A node deletion is not handled upstream (the pods go with it).
- ``syncDaemonSet``: a set not found drops its expectations; a set being deleted is left alone
  (not even status); the current revision's hash is the ``controller-revision-hash`` of its
  template (``constructHistory``); unless ``SatisfiedExpectations`` (no record, counts ≤ 0, or
  older than 5 min) only status is written (observedGeneration not raised); otherwise
  ``updateDaemonSet`` then ``updateDaemonSetStatus``.
- ``NodeShouldRunDaemonPod`` / ``predicates`` on ``NewPod`` (the template with the automatic
  tolerations): shouldRun iff the node fits the pod's nodeSelector and required node affinity
  (``nodeaffinity.GetRequiredNodeAffinity(pod).Match``) and has no NoSchedule or NoExecute taint
  the pod does not tolerate; shouldContinueRunning iff it fits the affinity and has no
  untolerated NoExecute taint. Node readiness and free resources are *not* predicates: the
  default scheduler places the pod, or leaves it Pending.
- ``util/daemonset_util.go: AddOrUpdateDaemonPodTolerations``: ``node.kubernetes.io/not-ready``
  and ``unreachable`` (Exists, NoExecute, no tolerationSeconds: never evicted), and
  ``disk-pressure``, ``memory-pressure``, ``pid-pressure``, ``unschedulable`` (Exists,
  NoSchedule); ``network-unavailable`` only for hostNetwork pods, which the model does not have.
  ``AddOrUpdateTolerationInPodSpec`` replaces a template toleration that ``MatchToleration``es
  (same key, operator, value, effect), else appends.
- ``manage`` → ``podsShouldBeOnNode`` per node (``getNodesToDaemonPods``: the set's pods by
  ``GetTargetNodeName``, spec.nodeName or the ``matchFields metadata.name In`` of an unbound pod;
  terminal pods being deleted are left out): shouldRun and no pod → create; shouldContinueRunning
  → delete Failed and Succeeded pods, and without surge every running pod but the oldest
  (``podByCreationTimestampAndPhase``: bound first, then creation time, then name); with surge
  keep the oldest pod at the current hash and the oldest older one, deleting the old one once
  it is not ready or the new one is available, and create when no pod is left; not
  shouldContinueRunning → delete every pod not already being deleted; plus unbound pods whose
  target node does not exist (``getUnscheduledPodsWithoutNode``).
- ``syncNodes``: ``SetExpectations(creates, deletes)`` capped at ``BurstReplicas`` (250); creates
  in ``slowStartBatch`` batches of 1, 2, 4, … (a failed batch skips the rest, and each failed or
  skipped create lowers the expectations); each pod is ``CreatePodTemplate``'s (template labels
  plus ``controller-revision-hash``, automatic tolerations) with its required node affinity
  replaced by ``matchFields metadata.name In [node]`` (``ReplaceDaemonSetPodNodeNameNodeAffinity``),
  generateName ``<set>-`` and a controller ownerReference; deletes by name, without
  preconditions, all sent (a failed one lowers the expectations; NotFound is no error).
- ``update.go: rollingUpdate``, run after ``manage`` in the same sync only when expectations are
  still satisfied — i.e. when ``manage`` had nothing to do — and for strategy RollingUpdate
  (OnDelete: nothing). ``updatedDesiredNodeCounts``: maxUnavailable and maxSurge scaled from the
  desired count rounding up (``UnavailableCount``/``SurgeCount``), maxUnavailable 1 if both are
  0. Without surge: a node with more than one old or new pod counts unavailable; an old pod
  that is not available is deleted at once; old available pods are deleted while fewer than
  maxUnavailable nodes are unavailable (the manage loop then creates the new pod). With surge:
  an old unavailable pod gets a new pod beside it at once (or is deleted where the set should no
  longer run), up to maxSurge old available pods get a new pod beside them, an old pod whose new
  pod is available is deleted, and old pods on nodes the set no longer fits are deleted only
  while more pods are available than desired.
- ``updateDaemonSetStatus``: per node, shouldRun counts desired, and with a pod current and
  (the oldest pod) ready/available/updated; a pod where the set should not run counts
  misscheduled; numberUnavailable = desired − available. Written (``UpdateStatus``, with the
  cached resourceVersion) when a count changed or observedGeneration is behind; a conflict
  requeues.

Simplifications (and why): ControllerRevisions are not stored — the revision hash is computed
from the template (``deployment.compute_hash``, without collisionCount: no collisions in the
model's small scopes), and ``cleanupHistory``/``revisionHistoryLimit`` have nothing to prune; the
deprecated ``pod-template-generation`` label is not set; ``failedPodsBackoff`` is not modelled:
a Failed pod is deleted by the first sync that sees it (upstream waits 1 s, doubling per node to
15 min, between such deletions; the model's kubelets never fail a restartPolicy-Always pod, so
only timing differs); orphan adoption and release (``ClaimPods``) are not modelled: pods count
through their controllerRef; minReadySeconds is honoured only as 0 (available = ready: kmodel's
conditions carry no lastTransitionTime); a template with ``nodeName`` is refused by the parser;
in the surge branch of ``rollingUpdate`` a node gone from the cache counts as one the set
should not run on (upstream's ``nodeLister.Get`` fails the sync, which is retried); nodes and a
set's pods are processed in name order where upstream ranges over a lister list or a
Go map (the requests of one sync are independent: their order shows only to a crash part-way,
whose cut is the adversary's already).

Variant ``daemonSetIgnoresTaints: true`` drops the taint check from ``NodeShouldRunDaemonPod``
(as if the controller did not know the scheduler honours taints): it creates pods for nodes
whose NoSchedule taints the pods do not tolerate, and the scheduler leaves them Pending forever.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from kmodel.core.fmap import FMap
from kmodel.k8s import abstraction, workqueue
from kmodel.k8s.abstraction import EXPECT
from kmodel.k8s.controllers.deployment import compute_hash, scaled_value
from kmodel.k8s.controllers.replicaset import EXPECTATIONS_TIMEOUT, slow_start_batches
from kmodel.k8s.controllers.scheduler import required_node_affinity_matches
from kmodel.k8s.informers import Component, ComponentSpec, View
from kmodel.k8s.objects import (
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    TAINT_UNSCHEDULABLE,
    DaemonSet,
    DaemonSetStatus,
    Node,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    ObjectMeta,
    OwnerReference,
    Pod,
    PodSpec,
    Toleration,
)
from kmodel.k8s.store import Event, Request, Result

NAME = "daemonset-controller"
HASH_LABEL = "controller-revision-hash"  # apps.DefaultDaemonSetUniqueLabelKey
BURST_REPLICAS = 250  # daemon_controller.go: BurstReplicas
BATCH_CREATE = 0  # the first slow-start create batch; deletes and the status write have none
OBJECT_NAME_FIELD = "metadata.name"  # metav1.ObjectNameField

DSKey = tuple[str, str]  # (namespace, name)

# AddOrUpdateDaemonPodTolerations, in its order (the hostNetwork-only network-unavailable one aside)
DAEMON_TOLERATIONS = (
    Toleration(key=TAINT_NOT_READY, operator="Exists", effect="NoExecute"),
    Toleration(key=TAINT_UNREACHABLE, operator="Exists", effect="NoExecute"),
    Toleration(key="node.kubernetes.io/disk-pressure", operator="Exists", effect="NoSchedule"),
    Toleration(key="node.kubernetes.io/memory-pressure", operator="Exists", effect="NoSchedule"),
    Toleration(key="node.kubernetes.io/pid-pressure", operator="Exists", effect="NoSchedule"),
    Toleration(key=TAINT_UNSCHEDULABLE, operator="Exists", effect="NoSchedule"),
)


@abstraction.declare(fields={"timestamp": abstraction.EXPECT}, plain={"add", "dels"})
@attrs.frozen
class DSExpectation:
    """``ControllerExpectations`` as the DaemonSet controller uses them: plain counts
    (``SetExpectations(key, add, del)``), not UID-tracking."""

    add: int
    dels: int
    timestamp: int

    def fulfilled(self) -> bool:
        return self.add <= 0 and self.dels <= 0


@attrs.frozen
class DaemonSetLocal:
    queue: tuple[DSKey, ...] = ()
    expectations: FMap[DSKey, DSExpectation] = FMap()


@attrs.frozen
class CreateDaemonPod:
    """The tag of a pod create: the set it is for and the node it targets."""

    daemon_set: DSKey
    node: str


# -- predicates -------------------------------------------------------------------------------


def add_or_update_tolerations(tolerations: Iterable[Toleration]) -> tuple[Toleration, ...]:
    """``AddOrUpdateDaemonPodTolerations`` by ``AddOrUpdateTolerationInPodSpec``: each automatic
    toleration replaces the ones that ``MatchToleration`` it (same key, operator, value and
    effect), or is appended."""
    out = list(tolerations)
    for tol in DAEMON_TOLERATIONS:
        same = [
            i
            for i, t in enumerate(out)
            if (t.key, t.operator, t.value, t.effect) == (tol.key, tol.operator, tol.value, tol.effect)
        ]
        if not same:
            out.append(tol)
            continue
        out = [tol if i in same else t for i, t in enumerate(out)]
        # upstream replaces each match in place; two equal matches collapse to the toleration twice
    return tuple(out)


def new_pod(ds: DaemonSet, node_name: str) -> Pod:
    """``NewPod``: the template's pod on ``node_name`` with the automatic tolerations."""
    spec = ds.spec.template.spec
    spec = attrs.evolve(spec, node_name=node_name, tolerations=add_or_update_tolerations(spec.tolerations))
    return Pod(meta=ObjectMeta(name="", namespace=ds.meta.namespace, labels=ds.spec.template.labels), spec=spec)


def _untolerated(pod: Pod, node: Node, effects: tuple[str, ...]) -> bool:
    """``v1helper.FindMatchingUntoleratedTaint`` over the taints with one of ``effects``."""
    return any(
        t.effect in effects and not any(tol.tolerates(t) for tol in pod.spec.tolerations) for t in node.spec.taints
    )


def node_should_run(ds: DaemonSet, node: Node, check_taints: bool = True) -> tuple[bool, bool]:
    """``NodeShouldRunDaemonPod``: (shouldRun, shouldContinueRunning). ``check_taints`` False is
    the ``daemonSetIgnoresTaints`` variant."""
    pod = new_pod(ds, node.meta.name)
    if not required_node_affinity_matches(pod, node):
        return False, False
    if check_taints and _untolerated(pod, node, ("NoExecute", "NoSchedule")):
        return False, not _untolerated(pod, node, ("NoExecute",))
    return True, True


# -- the set's pods -----------------------------------------------------------------------------


def target_node(pod: Pod) -> str | None:
    """``GetTargetNodeName``: spec.nodeName, else the single value of a ``matchFields
    metadata.name In`` requirement of the required node affinity; None if neither."""
    if pod.spec.node_name:
        return pod.spec.node_name
    for term in pod.spec.affinity_required:
        for r in term.match_fields:
            if r.key == OBJECT_NAME_FIELD and r.operator == "In":
                return r.values[0] if len(r.values) == 1 else None
    return None


def daemon_pods(ds: DaemonSet, pods: Iterable[Pod]) -> list[Pod]:
    """The pods whose controllerRef is this set (by uid) and that its selector matches, without
    terminal pods that are being deleted (``getNodesToDaemonPods(..., includeDeletedTerminal=false)``)."""
    out = []
    for p in pods:
        ref = p.meta.controller_ref()
        if ref is None or ref.uid != ds.meta.uid or p.meta.namespace != ds.meta.namespace:
            continue
        if p.is_terminal() and p.meta.deletion_timestamp is not None:
            continue
        if ds.spec.selector.matches(p.meta.labels):
            out.append(p)
    return out


def nodes_to_daemon_pods(ds: DaemonSet, pods: Iterable[Pod]) -> dict[str, list[Pod]]:
    """``getNodesToDaemonPods``: the set's pods by target node (pods with none are skipped)."""
    out: dict[str, list[Pod]] = {}
    for p in daemon_pods(ds, pods):
        node = target_node(p)
        if node is not None:
            out.setdefault(node, []).append(p)
    return out


def by_creation(pod: Pod) -> tuple[int, int, str]:
    """``podByCreationTimestampAndPhase``: bound pods first, then the oldest, then by name."""
    return (0 if pod.spec.node_name else 1, pod.meta.creation_timestamp, pod.meta.name)


def is_updated(pod: Pod, hash_: str) -> bool:
    """``IsPodUpdated`` (by hash only: see the module docstring)."""
    return bool(hash_) and pod.meta.labels.get(HASH_LABEL) == hash_


def is_available(pod: Pod) -> bool:
    """``podutil.IsPodAvailable`` with minReadySeconds 0: ready."""
    return pod.is_ready()


def allows_surge(ds: DaemonSet) -> bool:
    """``AllowsSurge``: ``SurgeCount(ds, 1) > 0`` (DaemonSetUpdateSurge is GA)."""
    return surge_count(ds, 1) > 0


def surge_count(ds: DaemonSet, n: int) -> int:
    if ds.spec.update_strategy_type != "RollingUpdate":
        return 0
    return scaled_value(ds.spec.max_surge, n, True)


def unavailable_count(ds: DaemonSet, n: int) -> int:
    if ds.spec.update_strategy_type != "RollingUpdate":
        return 0
    return scaled_value(ds.spec.max_unavailable, n, True)


# -- manage -------------------------------------------------------------------------------------


def pods_should_be_on_node(
    ds: DaemonSet, node: Node, pods: list[Pod] | None, hash_: str, check_taints: bool = True
) -> tuple[bool, list[Pod]]:
    """``podsShouldBeOnNode``: whether the node needs a pod created, and the pods to delete."""
    should_run, should_continue = node_should_run(ds, node, check_taints)
    exists = pods is not None
    if should_run and not exists:
        return True, []
    delete: list[Pod] = []
    if should_continue:
        running: list[Pod] = []
        for p in pods or []:
            if p.meta.deletion_timestamp is not None:
                continue
            if p.status.phase in ("Failed", "Succeeded"):
                delete.append(p)  # failedPodsBackoff: not modelled (module docstring)
            else:
                running.append(p)
        running.sort(key=by_creation)
        if not allows_surge(ds):
            return False, delete + running[1:]
        if len(running) <= 1:
            return not running and should_run, delete
        oldest_new: Pod | None = None
        oldest_old: Pod | None = None
        for p in running:
            if is_updated(p, hash_):
                if oldest_new is None:
                    oldest_new = p
                    continue
            elif oldest_old is None:
                oldest_old = p
                continue
            delete.append(p)
        if oldest_new is not None and oldest_old is not None and _old_goes(oldest_old, oldest_new):
            delete.append(oldest_old)
        return False, delete
    if exists:
        delete = [p for p in pods or [] if p.meta.deletion_timestamp is None]
    return False, delete


def _old_goes(old: Pod, new: Pod) -> bool:
    """With surge, a node's oldest old pod goes once it is not ready or the new pod is available."""
    return not old.is_ready() or is_available(new)


def manage(
    ds: DaemonSet, nodes: list[Node], by_node: dict[str, list[Pod]], hash_: str, check_taints: bool = True
) -> tuple[list[str], list[Pod]]:
    """``manage``: the nodes needing a daemon pod and the pods to delete."""
    create: list[str] = []
    delete: list[Pod] = []
    for node in nodes:
        needs, dels = pods_should_be_on_node(ds, node, by_node.get(node.meta.name), hash_, check_taints)
        if needs:
            create.append(node.meta.name)
        delete.extend(dels)
    names = {n.meta.name for n in nodes}
    for node_name in sorted(by_node):  # getUnscheduledPodsWithoutNode
        if node_name not in names:
            delete.extend(p for p in by_node[node_name] if not p.spec.node_name)
    return create, delete


# -- rollingUpdate --------------------------------------------------------------------------------


def find_updated_pods_on_node(pods: list[Pod], hash_: str) -> tuple[Pod | None, Pod | None, bool]:
    """``findUpdatedPodsOnNode``: the node's (new, old) pod not being deleted, ok False when it
    has more than one of either."""
    new: Pod | None = None
    old: Pod | None = None
    for p in pods:
        if p.meta.deletion_timestamp is not None:
            continue
        if is_updated(p, hash_):
            if new is not None:
                return None, None, False
            new = p
        else:
            if old is not None:
                return None, None, False
            old = p
    return new, old, True


def rolling_update(
    ds: DaemonSet, nodes: list[Node], by_node: dict[str, list[Pod]], hash_: str, check_taints: bool = True
) -> tuple[list[str], list[Pod]]:
    """``rollingUpdate`` (``update.go``): the nodes to create a pod on and the old pods to delete."""
    node_by_name = {n.meta.name: n for n in nodes}
    desired = 0
    per_node = dict(by_node)
    for n in nodes:  # updatedDesiredNodeCounts
        if node_should_run(ds, n, check_taints)[0]:
            desired += 1
            per_node.setdefault(n.meta.name, [])
    max_unavailable = unavailable_count(ds, desired)
    max_surge = surge_count(ds, desired)
    if desired > 0 and max_unavailable == 0 and max_surge == 0:
        max_unavailable = 1

    def should_run(name: str) -> bool:
        node = node_by_name.get(name)
        return node is not None and node_should_run(ds, node, check_taints)[0]

    if max_surge == 0:
        unavailable = 0
        replacements: list[Pod] = []
        candidates: list[Pod] = []
        for name in sorted(per_node):
            new, old, ok = find_updated_pods_on_node(per_node[name], hash_)
            if not ok or (old is None) == (new is None):
                unavailable += 1  # excess pods, or none / both: the manage loop's work
                continue
            if new is not None:
                if not is_available(new):
                    unavailable += 1
                continue
            assert old is not None
            if not is_available(old):
                replacements.append(old)
                unavailable += 1
            elif unavailable < max_unavailable:
                candidates.append(old)
        remaining = min(max(max_unavailable - unavailable, 0), len(candidates))
        return [], replacements + candidates[:remaining]

    delete: list[Pod] = []
    should_not_run: list[Pod] = []
    candidate_nodes: list[str] = []
    allowed_nodes: list[str] = []
    surging = 0
    available = 0
    for name in sorted(per_node):
        new, old, ok = find_updated_pods_on_node(per_node[name], hash_)
        if not ok:
            surging += 1
            continue
        if old is not None:
            available += is_available(old)
        elif new is not None:
            available += is_available(new)
        if old is None:
            continue
        if new is None:
            if not is_available(old):
                if not should_run(name):
                    delete.append(old)
                    continue
                allowed_nodes.append(name)
            else:
                if not should_run(name):
                    should_not_run.append(old)
                    continue
                if surging >= max_surge:
                    continue
                candidate_nodes.append(name)
            continue
        if not is_available(new):
            surging += 1
            continue
        delete.append(old)
    deletable = min(available - desired, len(should_not_run))
    if deletable > 0:
        delete.extend(should_not_run[:deletable])
    remaining = min(max(max_surge - surging, 0), len(candidate_nodes))
    return allowed_nodes + candidate_nodes[:remaining], delete


# -- status -------------------------------------------------------------------------------------


def compute_status(
    ds: DaemonSet, nodes: list[Node], by_node: dict[str, list[Pod]], hash_: str, observe: bool, check_taints: bool
) -> DaemonSetStatus:
    """``updateDaemonSetStatus``'s counts; observedGeneration raised only with ``observe``."""
    desired = current = misscheduled = ready = updated = available = 0
    for node in nodes:
        pods = sorted(by_node.get(node.meta.name, []), key=by_creation)
        if node_should_run(ds, node, check_taints)[0]:
            desired += 1
            if not pods:
                continue
            current += 1
            if pods[0].is_ready():
                ready += 1
                available += is_available(pods[0])
            updated += is_updated(pods[0], hash_)
        elif pods:
            misscheduled += 1
    return DaemonSetStatus(
        current_number_scheduled=current,
        number_misscheduled=misscheduled,
        desired_number_scheduled=desired,
        number_ready=ready,
        observed_generation=ds.meta.generation if observe else ds.status.observed_generation,
        updated_number_scheduled=updated,
        number_available=available,
        number_unavailable=desired - available,
    )


def controller_ref(ds: DaemonSet) -> OwnerReference:
    return OwnerReference(
        api_version="apps/v1",
        kind="DaemonSet",
        name=ds.meta.name,
        uid=ds.meta.uid,
        controller=True,
        block_owner_deletion=True,
    )


def pod_for_node(ds: DaemonSet, node_name: str, hash_: str) -> Pod:
    """``CreatePodTemplate`` + ``ReplaceDaemonSetPodNodeNameNodeAffinity`` + ``CreatePods``: the
    template's labels plus the revision hash, the automatic tolerations, the required node
    affinity replaced by ``matchFields metadata.name In [node]``, generateName ``<set>-`` and a
    controller ownerReference."""
    tpl = ds.spec.template
    spec: PodSpec = attrs.evolve(
        tpl.spec,
        tolerations=add_or_update_tolerations(tpl.spec.tolerations),
        affinity_required=(
            NodeSelectorTerm(match_fields=(NodeSelectorRequirement(OBJECT_NAME_FIELD, "In", (node_name,)),)),
        ),
    )
    meta = ObjectMeta(
        name="",
        namespace=ds.meta.namespace,
        generate_name=f"{ds.meta.name}-",
        labels=tpl.labels.set(HASH_LABEL, hash_),
        owner_references=(controller_ref(ds),),
    )
    return Pod(meta=meta, spec=spec)


def template_hash(ds: DaemonSet) -> str:
    """The current revision's ``controller-revision-hash`` (``constructHistory`` / ``snapshot``:
    ``ComputeHash(&ds.Spec.Template, ds.Status.CollisionCount)``, without collisions)."""
    return compute_hash(ds.spec.template, None)


# -- the component --------------------------------------------------------------------------------


def _owner_key(pod: Pod | None) -> DSKey | None:
    if pod is None:
        return None
    ref = pod.meta.controller_ref()
    if ref is None or ref.kind != "DaemonSet":
        return None
    return (pod.meta.namespace, ref.name)


@attrs.frozen
class DaemonSetController(Component):
    name: str = NAME
    check_taints: bool = True
    burst_replicas: int = BURST_REPLICAS

    def watches(self, obj: Any) -> bool:
        return isinstance(obj, Pod | DaemonSet | Node)

    def initial_local(self) -> DaemonSetLocal:
        return DaemonSetLocal()

    def on_relist(self, local: DaemonSetLocal, view: View) -> DaemonSetLocal:
        """After a (re)list every DaemonSet is enqueued, as the initial ADD events do."""
        for ds in view.list("DaemonSet"):
            local = workqueue.enqueue(local, (ds.meta.namespace, ds.meta.name))
        return local

    def on_event(self, local: DaemonSetLocal, event: Event, old: Any, view: View) -> DaemonSetLocal:
        obj = event.obj
        if isinstance(obj, DaemonSet):
            return workqueue.enqueue(local, (obj.meta.namespace, obj.meta.name))
        if isinstance(obj, Node):
            return self._on_node(local, event, old, view)
        key = _owner_key(obj)
        if event.type == "MODIFIED" and old is not None:
            old_key = _owner_key(old)
            if old_key is not None and old_key != key:
                local = workqueue.enqueue(local, old_key)
        ds = view.get(("DaemonSet", *key)) if key is not None else None
        ref = obj.meta.controller_ref()
        if key is None or ds is None or ref is None or ds.meta.uid != ref.uid:
            return local  # an orphan (adoption is not modelled), or resolveControllerRef found no set
        if event.type == "DELETED" or obj.meta.deletion_timestamp is not None:
            # deletePod, also from addPod and from every updatePod of a pod being deleted
            local = self._observe(local, key, dels=1)
        elif event.type == "ADDED":
            local = self._observe(local, key, add=1)
        return workqueue.enqueue(local, key)

    def _on_node(self, local: DaemonSetLocal, event: Event, old: Any, view: View) -> DaemonSetLocal:
        """``addNode``: sets that should run there; ``updateNode``: sets whose (shouldRun,
        shouldContinueRunning) changed; a deleted node is not handled upstream."""
        if event.type == "DELETED":
            return local
        for ds in sorted(view.list("DaemonSet"), key=lambda d: (d.meta.namespace, d.meta.name)):
            now = node_should_run(ds, event.obj, self.check_taints)
            if event.type == "ADDED" or old is None:
                wake = now[0]
            else:
                wake = now != node_should_run(ds, old, self.check_taints)
            if wake:
                local = workqueue.enqueue(local, (ds.meta.namespace, ds.meta.name))
        return local

    def _observe(self, local: DaemonSetLocal, key: DSKey, add: int = 0, dels: int = 0) -> DaemonSetLocal:
        """``CreationObserved`` / ``DeletionObserved`` (and ``LowerExpectations``)."""
        exp = local.expectations.get(key)
        if exp is None:
            return local
        exp = attrs.evolve(exp, add=exp.add - add, dels=exp.dels - dels)
        return attrs.evolve(local, expectations=local.expectations.set(key, exp))

    def _satisfied(self, local: DaemonSetLocal, key: DSKey, now: int) -> bool:
        exp = local.expectations.get(key)
        return exp is None or exp.fulfilled() or now - exp.timestamp > EXPECTATIONS_TIMEOUT

    def reconcile(self, local: DaemonSetLocal, view: View) -> tuple[DaemonSetLocal, list[Request]]:
        if not local.queue:
            return local, []
        key, local = local.queue[0], attrs.evolve(local, queue=local.queue[1:])
        ds = view.get(("DaemonSet", *key))
        if ds is None:
            return attrs.evolve(local, expectations=local.expectations.delete(key)), []
        if ds.meta.deletion_timestamp is not None:
            return local, []
        nodes = sorted(view.list("Node"), key=lambda n: n.meta.name)
        by_node = nodes_to_daemon_pods(ds, view.list("Pod"))
        hash_ = template_hash(ds)
        requests: list[Request] = []
        observe = self._satisfied(local, key, view.now)
        if observe:
            create, delete = manage(ds, nodes, by_node, hash_, self.check_taints)
            if not create and not delete and ds.spec.update_strategy_type == "RollingUpdate":
                create, delete = rolling_update(ds, nodes, by_node, hash_, self.check_taints)
            local, requests = self._sync_nodes(local, ds, key, create, delete, hash_, view.now)
        status = compute_status(ds, nodes, by_node, hash_, observe, self.check_taints)
        if status != ds.status:
            requests.append(
                Request(
                    "update_status",
                    ds.key,
                    attrs.evolve(ds, status=status),
                    precondition_rv=ds.meta.resource_version,
                    tag=("ds-status", key),
                )
            )
        return local, requests

    def _sync_nodes(
        self,
        local: DaemonSetLocal,
        ds: DaemonSet,
        key: DSKey,
        create: list[str],
        delete: list[Pod],
        hash_: str,
        now: int,
    ) -> tuple[DaemonSetLocal, list[Request]]:
        """``syncNodes``: expectations, then slow-start creates, then every delete."""
        create = create[: self.burst_replicas]
        delete = delete[: self.burst_replicas]
        exp = DSExpectation(add=len(create), dels=len(delete), timestamp=now)
        local = attrs.evolve(local, expectations=local.expectations.set(key, exp))
        reqs: list[Request] = []
        i = 0
        for b, size in enumerate(slow_start_batches(len(create))):
            for node in create[i : i + size]:
                pod = pod_for_node(ds, node, hash_)
                tag = CreateDaemonPod(key, node)
                reqs.append(Request("create", ("Pod", ds.meta.namespace, ""), pod, tag=tag, batch=BATCH_CREATE + b))
            i += size
        for p in delete:
            reqs.append(Request("delete", p.key, tag=("ds-delete", key, p.meta.name)))
        return local, reqs

    def on_result(self, local: DaemonSetLocal, req: Request, result: Result, view: View) -> DaemonSetLocal:
        """A failed or skipped create lowers the expected creations, a failed delete the expected
        deletions (a NotFound one is no error); any other failure requeues the set."""
        if result.ok:
            return local
        tag = req.tag
        if isinstance(tag, CreateDaemonPod):
            return workqueue.enqueue(self._observe(local, tag.daemon_set, add=1), tag.daemon_set)
        if not tag:
            return local
        if tag[0] == "ds-delete":
            local = self._observe(local, tag[1], dels=1)
            if result.reason == "NotFound":
                return local
        return workqueue.enqueue(local, tag[1])


__all__ = [
    "DAEMON_TOLERATIONS",
    "HASH_LABEL",
    "NAME",
    "DaemonSetController",
    "DaemonSetLocal",
    "compute_status",
    "manage",
    "node_should_run",
    "nodes_to_daemon_pods",
    "pod_for_node",
    "rolling_update",
    "target_node",
    "template_hash",
]


# only where a DaemonSet exists: elsewhere it would only add steps (and watch every node)
SPEC = ComponentSpec(
    "daemonset-controller",
    build=lambda config: (
        [DaemonSetController(check_taints=not config.variants.daemon_set_ignores_taints)]
        if any(o.KIND == "DaemonSet" for o in config.objects)
        else []
    ),
    durations=lambda config: (EXPECTATIONS_TIMEOUT,),
    horizons=lambda config: ((EXPECT, EXPECTATIONS_TIMEOUT),),
)
