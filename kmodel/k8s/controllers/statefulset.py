"""The StatefulSet controller.

Mirrors ``pkg/controller/statefulset/`` in kubernetes/kubernetes:

- ``stateful_set.go``: event handlers enqueue the StatefulSet of a pod's controllerRef on every
  add, update and delete of the pod (``addPod``/``updatePod``/``deletePod``; no expectations:
  unlike the ReplicaSet controller, the StatefulSet controller relies on pod *names* for
  idempotence), and the set itself on its own events. ``sync`` takes the pods whose
  controllerRef is the set and whose name ``isMemberOf`` it (``getPodsForStatefulSet``), then
  ``UpdateStatefulSet``. A failed sync is requeued (``AddRateLimited``; here at once).
- ``stateful_set_utils.go``: pod ``<set>-<ordinal>`` (``getPodName``); the ordinal is parsed back
  from the name with ``(.*)-([0-9]+)$`` (``getParentNameAndOrdinal``; -1 if it does not parse);
  ``isRunningAndReady`` = phase Running and Ready; ``isTerminating`` = deletionTimestamp set;
  ``isHealthy`` = running and ready and not terminating; ``newStatefulSetPod`` =
  ``GetPodFromTemplate`` + ``updateIdentity`` (name, namespace, the
  ``statefulset.kubernetes.io/pod-name`` and ``apps.kubernetes.io/pod-index`` labels).
- ``stateful_set_control.go: updateStatefulSet``: pods with ordinal in ``[0, replicas)`` fill
  their slot; higher ordinals are *condemned*, processed from the highest down
  (``descendingOrdinal``). ``monotonic = !allowsBurst(set)``, i.e. podManagementPolicy
  ``OrderedReady`` (the default, ``pkg/apis/apps/v1/defaults.go: SetDefaults_StatefulSet``);
  ``Parallel`` is burst. ``processReplica`` per slot, in ordinal order: a Failed or Succeeded pod
  is deleted (unless already terminating) and recreated only once it is gone; an empty slot gets
  its pod created — in OrderedReady that ends the sync; a slot whose pod is Terminating, or not
  Running and Ready, ends the sync in OrderedReady ("we must wait until graceful deletion
  completes", "all of its predecessors ... are Running and Ready"). Only then
  ``processCondemned``: a terminating condemned pod blocks (OrderedReady); one that is not
  running and ready blocks unless it is the first unhealthy pod; otherwise it is deleted, one
  per sync in OrderedReady (``runForAll`` stops at the first ``true``), all of them in Parallel
  (``slowStartBatch`` ignores the flag).
- The identity rule that gives StatefulSets their *at most one* semantics: a slot is empty only
  when no pod of that name is in the controller's cache, Terminating ones included, so ordinal
  *i* is never recreated while a pod named ``<set>-i`` still exists — and the API server holds
  at most one object per name, so a lagging cache can at worst get ``AlreadyExists``
  (``stateful_pod_control.go: CreateStatefulPod`` returns that error; the sync is retried).
  Force deletion frees the name before the kubelet has stopped the containers, which is how
  the guarantee breaks (https://kubernetes.io/docs/tasks/run-application/force-delete-stateful-set-pod/).
- Deletes are by name without preconditions (``realStatefulPodControlObjectManager.DeletePod``:
  ``Delete(ctx, pod.Name, metav1.DeleteOptions{})``).
- Status (``updateStatus`` / ``computeReplicaStatus``): replicas = created pods; readyReplicas =
  running and ready; availableReplicas likewise (``isRunningAndAvailable`` with minReadySeconds
  honoured only as 0: kmodel's conditions carry no lastTransitionTime); current/updated =
  created and not terminating; observedGeneration = the set's generation. Written with
  ``update_status`` and a resourceVersion precondition when it changed; a conflict requeues.

Simplifications (and why): ControllerRevisions are not modelled — no user op changes a
StatefulSet's template, so every pod is at the one revision, currentReplicas equals
updatedReplicas and the rolling-update / partition / OnDelete phase never has work; PVCs
(``volumeClaimTemplates``, ``PodClaimIsStale``) are not modelled; all requests of one sync are
sent in one step (in Parallel, ``slowStartBatch``'s cut-off after a failed batch is not
modelled); orphan adoption and release are not modelled (pods count through their
controllerRef); ``spec.ordinals.start`` is 0; hostname/subdomain are not modelled (no DNS).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import attrs

from kmodel.core.fmap import FMap
from kmodel.k8s import workqueue
from kmodel.k8s.informers import Component, ComponentSpec, View
from kmodel.k8s.objects import ObjectMeta, OwnerReference, Pod, StatefulSet, StatefulSetStatus
from kmodel.k8s.store import Event, Request, Result

NAME = "statefulset-controller"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"  # apps.StatefulSetPodNameLabel
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"  # apps.PodIndexLabel (PodIndexLabel, on by default)
PARALLEL = "Parallel"
MAX_INT32 = 2**31 - 1

SetKey = tuple[str, str]  # (namespace, name)

_STATEFUL_POD = re.compile(r"^(.*)-([0-9]+)$")  # statefulPodRegex


@attrs.frozen
class StatefulSetLocal:
    queue: tuple[SetKey, ...] = ()


def pod_name(sset: StatefulSet, ordinal: int) -> str:
    """``getPodName``: ``<set>-<ordinal>``."""
    return f"{sset.meta.name}-{ordinal}"


def parent_and_ordinal(name: str) -> tuple[str, int]:
    """``getParentNameAndOrdinal``: the parent's name and the ordinal from a pod's name; ("", -1)
    when the name has no ``-<digits>`` suffix, and -1 when the digits do not fit an int32."""
    m = _STATEFUL_POD.match(name)
    if m is None:
        return "", -1
    ordinal = int(m.group(2))
    return m.group(1), ordinal if ordinal <= MAX_INT32 else -1


def ordinal_of(pod: Pod) -> int:
    return parent_and_ordinal(pod.meta.name)[1]


def is_running_and_ready(pod: Pod) -> bool:
    return pod.status.phase == "Running" and pod.is_ready()


def is_terminating(pod: Pod) -> bool:
    return pod.meta.deletion_timestamp is not None


def is_healthy(pod: Pod | None) -> bool:
    """``isHealthy``; a slot without a pod (upstream: a pod not yet created) is not healthy."""
    return pod is not None and is_running_and_ready(pod) and not is_terminating(pod)


def set_pods(sset: StatefulSet, pods: Iterable[Pod]) -> list[Pod]:
    """``getPodsForStatefulSet`` without adoption: pods whose controllerRef is this set (by uid),
    that ``isMemberOf`` it (name ``<set>-<n>``) and that its selector matches; by name."""
    out = []
    for p in pods:
        ref = p.meta.controller_ref()
        if ref is None or ref.uid != sset.meta.uid or p.meta.namespace != sset.meta.namespace:
            continue
        if parent_and_ordinal(p.meta.name)[0] == sset.meta.name and sset.spec.selector.matches(p.meta.labels):
            out.append(p)
    return sorted(out, key=lambda p: p.meta.name)


def new_stateful_set_pod(sset: StatefulSet, ordinal: int) -> Pod:
    """``newStatefulSetPod``: the template's pod with a controller ownerReference
    (``GetPodFromTemplate``), named ``<set>-<ordinal>``, with the identity labels
    (``updateIdentity``)."""
    ref = OwnerReference(
        api_version="apps/v1",
        kind="StatefulSet",
        name=sset.meta.name,
        uid=sset.meta.uid,
        controller=True,
        block_owner_deletion=True,
    )
    name = pod_name(sset, ordinal)
    labels = dict(sset.spec.template.labels)
    labels[POD_NAME_LABEL] = name
    labels[POD_INDEX_LABEL] = str(ordinal)
    meta = ObjectMeta(name=name, namespace=sset.meta.namespace, labels=FMap(labels), owner_references=(ref,))
    return Pod(meta=meta, spec=sset.spec.template.spec)


def compute_status(sset: StatefulSet, pods: list[Pod]) -> StatefulSetStatus:
    """``updateStatus`` / ``computeReplicaStatus`` over the set's pods (one revision: see the
    module docstring)."""
    ready = sum(1 for p in pods if is_running_and_ready(p))
    live = sum(1 for p in pods if not is_terminating(p))
    return attrs.evolve(
        sset.status,
        observed_generation=sset.meta.generation,
        replicas=len(pods),
        ready_replicas=ready,
        available_replicas=ready,
        current_replicas=live,
        updated_replicas=live,
    )


def update_stateful_set(sset: StatefulSet, pods: list[Pod]) -> list[Request]:
    """The pod creates and deletes of one ``updateStatefulSet`` (``processReplica`` then
    ``processCondemned``), in the order upstream issues them."""
    key = (sset.meta.namespace, sset.meta.name)
    n = sset.spec.replicas
    replicas: list[Pod | None] = [None] * n
    condemned: list[Pod] = []
    for p in pods:
        ordinal = ordinal_of(p)
        if 0 <= ordinal < n:
            replicas[ordinal] = p
        elif ordinal >= n:
            condemned.append(p)
    condemned.sort(key=ordinal_of, reverse=True)  # descendingOrdinal
    # firstUnhealthyPod: the lowest unhealthy slot, else the lowest-ordinal unhealthy condemned pod
    unhealthy_slot = next((i for i, p in enumerate(replicas) if not is_healthy(p)), None)
    if unhealthy_slot is not None:
        first_unhealthy = replicas[unhealthy_slot]
    else:
        first_unhealthy = next((p for p in reversed(condemned) if not is_healthy(p)), None)
    if sset.meta.deletion_timestamp is not None:
        return []
    monotonic = sset.spec.pod_management_policy != PARALLEL
    reqs: list[Request] = []
    for ordinal, pod in enumerate(replicas):
        if pod is not None and pod.status.phase in ("Failed", "Succeeded"):
            if not is_terminating(pod):
                reqs.append(Request("delete", pod.key, tag=("sts-delete", key, pod.meta.name)))
            if monotonic:
                return reqs  # "New pod should be generated on the next sync after the current pod is removed"
            continue
        if pod is None:
            new = new_stateful_set_pod(sset, ordinal)
            reqs.append(Request("create", new.key, new, tag=("sts-create", key, new.meta.name)))
            if monotonic:
                return reqs  # "if the set does not allow bursting, return immediately"
            continue
        if monotonic and (is_terminating(pod) or not is_running_and_ready(pod)):
            return reqs  # wait for the Terminating pod to be gone, or for it to be Running and Ready
    for pod in condemned:
        if is_terminating(pod):
            if monotonic:
                return reqs  # "block and wait for terminating pods to expire"
            continue
        if monotonic and not is_running_and_ready(pod) and pod is not first_unhealthy:
            return reqs
        reqs.append(Request("delete", pod.key, tag=("sts-delete", key, pod.meta.name)))
        if monotonic:
            return reqs
    return reqs


@attrs.frozen
class StatefulSetController(Component):
    name: str = NAME

    def watches(self, obj: Any) -> bool:
        return isinstance(obj, Pod | StatefulSet)

    def initial_local(self) -> StatefulSetLocal:
        return StatefulSetLocal()

    def on_relist(self, local: StatefulSetLocal, view: View) -> StatefulSetLocal:
        """After a (re)list every StatefulSet is enqueued, as the initial ADD events do."""
        for sset in view.list("StatefulSet"):
            local = workqueue.enqueue(local, (sset.meta.namespace, sset.meta.name))
        return local

    def on_event(self, local: StatefulSetLocal, event: Event, old: Any, view: View) -> StatefulSetLocal:
        """``addPod``/``updatePod``/``deletePod`` enqueue the pod's controller (old and new when
        the controllerRef changed); set events enqueue the set."""
        obj = event.obj
        if isinstance(obj, StatefulSet):
            return workqueue.enqueue(local, (obj.meta.namespace, obj.meta.name))
        for pod in (old, obj):
            ref = pod.meta.controller_ref() if pod is not None else None
            if ref is not None and ref.kind == "StatefulSet":
                local = workqueue.enqueue(local, (pod.meta.namespace, ref.name))
        return local

    def reconcile(self, local: StatefulSetLocal, view: View) -> tuple[StatefulSetLocal, list[Request]]:
        if not local.queue:
            return local, []
        key, local = local.queue[0], attrs.evolve(local, queue=local.queue[1:])
        sset = view.get(("StatefulSet", *key))
        if sset is None:
            return local, []  # "StatefulSet has been deleted"
        pods = set_pods(sset, view.list("Pod"))
        requests = update_stateful_set(sset, pods)
        status = compute_status(sset, pods)
        if status != sset.status:
            requests.append(
                Request(
                    "update_status",
                    sset.key,
                    attrs.evolve(sset, status=status),
                    precondition_rv=sset.meta.resource_version,
                    tag=("sts-status", key),
                )
            )
        return local, requests

    def on_result(self, local: StatefulSetLocal, req: Request, result: Result, view: View) -> StatefulSetLocal:
        """A failed create, delete or status write fails the sync, which is requeued."""
        if result.ok or not req.tag:
            return local
        return workqueue.enqueue(local, req.tag[1])


def running_ordinals(components: Iterable[tuple[str, Any]]) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(namespace, pod name) → (node, pod uid) of every container runtime that runs a pod of that
    name, from the ``kubelet/<node>`` entries of ``ClusterState.components``. Used by the
    AtMostOnePodPerOrdinal invariant, which looks at what actually runs, not at the API."""
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for comp, cs in components:
        pods = getattr(cs.local, "pods", None)
        if not comp.startswith("kubelet/") or pods is None:
            continue
        for uid, rt in pods.items():
            if rt.running:
                out.setdefault((rt.namespace, rt.name), []).append((comp.removeprefix("kubelet/"), uid))
    return out


__all__ = [
    "NAME",
    "StatefulSetController",
    "StatefulSetLocal",
    "is_healthy",
    "new_stateful_set_pod",
    "parent_and_ordinal",
    "pod_name",
    "running_ordinals",
    "set_pods",
    "update_stateful_set",
]


# only where a StatefulSet exists: elsewhere it would only add steps
SPEC = ComponentSpec(
    "statefulset-controller",
    build=lambda config: [StatefulSetController()] if any(o.KIND == "StatefulSet" for o in config.objects) else [],
)
