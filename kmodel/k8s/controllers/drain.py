"""``kubectl drain`` as a component: evicts the pods of nodes marked for draining.

The user op ``{op: drain, target: Node/node-1}`` (``kmodel.k8s.userops``) only cordons the node and
sets the kmodel marker annotation ``kmodel.io/drain: requested`` on it; this component then plays
the rest of ``kubectl drain`` from its own informer view, as
``staging/src/k8s.io/kubectl/pkg/drain/drain.go`` does:

- ``GetPodsForDeletion``: the pods whose ``spec.nodeName`` is the node, minus mirror pods
  (annotation ``kubernetes.io/config.mirror``) and DaemonSet pods (controllerRef kind DaemonSet),
  which ``--ignore-daemonsets`` skips (``filters.go: mirrorPodFilter``, ``daemonSetFilter``);
- ``evictPods``: one eviction (``pods/eviction``, the store's ``evict`` verb) per pod, all in
  parallel; a 429 TooManyRequests is retried after 5 seconds ("will retry after 5s"); NotFound
  means the pod is already gone; after a successful eviction the pod is not evicted again and
  kubectl waits for it to disappear (``waitForDelete``) — here, until the component's cache no
  longer has it. A pod already being deleted is only waited for (its eviction would be a no-op
  delete, ``canIgnorePDB``).

Simplifications: other eviction errors (the 500 for a pod with two PDBs, 403) make kubectl give up
on that pod and the drain fail; the component remembers the pod and never retries it, so the drain
does not complete. A transport error (a lost request or response, the ``requestLoss`` fault) is
retried after 5 seconds, as a user re-running ``kubectl drain`` would. No ``--timeout`` (kubectl's
default 0 is infinite), no ``--disable-eviction``, no ``--delete-emptydir-data`` checks (kmodel has
no volumes), no ``--skip-wait-for-delete-timeout``.
"""

from __future__ import annotations

from typing import Any

import attrs

from kmodel.core.fmap import FMap
from kmodel.k8s import abstraction
from kmodel.k8s.informers import Component, ComponentSpec, View
from kmodel.k8s.objects import Node, Pod
from kmodel.k8s.store import Request, Result

NAME = "kubectl-drain"
DRAIN_ANNOTATION = "kmodel.io/drain"  # kmodel's marker: the user asked to drain this node
DRAIN_REQUESTED = "requested"
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
RETRY_SECONDS = 5  # evictPods: time.Sleep(5 * time.Second) after a 429

PodKey = tuple[str, str]  # (namespace, name)


def draining(node: Node) -> bool:
    return node.meta.annotations.get(DRAIN_ANNOTATION) == DRAIN_REQUESTED


def must_evict(pod: Pod) -> bool:
    """Whether ``kubectl drain --ignore-daemonsets`` evicts this pod (and waits for it to go)."""
    if MIRROR_ANNOTATION in pod.meta.annotations:
        return False
    ref = pod.meta.controller_ref()
    return ref is None or ref.kind != "DaemonSet"


def pods_to_drain(node: str, pods: Any) -> list[Pod]:
    """The pods on ``node`` that the drain must see gone, by name."""
    return sorted((p for p in pods if p.spec.node_name == node and must_evict(p)), key=lambda p: p.meta.name)


@abstraction.declare(fields={"retry_at": abstraction.TIME_VALUES})
@attrs.frozen
class DrainLocal:
    evicted: FMap[str, bool] = FMap()  # pod uid → True: evicted (waiting for it to go)
    failed: FMap[str, str] = FMap()  # pod uid → the error kubectl gave up with
    retry_at: FMap[str, int] = FMap()  # pod uid → when to retry its eviction after a 429


@attrs.frozen
class Drainer(Component):
    name: str = NAME

    def watches(self, obj: Any) -> bool:
        return isinstance(obj, Node | Pod)

    def initial_local(self) -> DrainLocal:
        return DrainLocal()

    def _candidates(self, view: View) -> list[Pod]:
        out: list[Pod] = []
        for node in sorted(view.list(Node.KIND), key=lambda n: n.meta.name):
            if draining(node):
                out.extend(pods_to_drain(node.meta.name, view.list(Pod.KIND)))
        return out

    def reconcile(self, local: DrainLocal, view: View) -> tuple[DrainLocal, list[Request]]:
        pods = self._candidates(view)
        live = {p.meta.uid for p in view.list(Pod.KIND)}
        # forget pods that are gone (waitForDelete is done with them)
        local = DrainLocal(
            evicted=FMap((u, v) for u, v in local.evicted.items() if u in live),
            failed=FMap((u, v) for u, v in local.failed.items() if u in live),
            retry_at=FMap((u, t) for u, t in local.retry_at.items() if u in live),
        )
        reqs = []
        for p in pods:
            uid = p.meta.uid
            if p.meta.deletion_timestamp is not None or uid in local.evicted or uid in local.failed:
                continue
            if local.retry_at.get(uid, view.now) > view.now:
                continue
            reqs.append(Request("evict", p.key, precondition_uid=uid, tag=("evict", uid)))
        return local, reqs

    def on_result(self, local: DrainLocal, req: Request, result: Result, view: View) -> DrainLocal:
        uid = req.tag[1]
        if result.ok or result.reason == "NotFound" or (result.reason == "Conflict" and "uid" in result.message):
            # evicted, or the pod (that uid) is already gone
            return attrs.evolve(local, evicted=local.evicted.set(uid, True), retry_at=local.retry_at.delete(uid))
        if result.reason in ("TooManyRequests", "NetworkError"):
            return attrs.evolve(local, retry_at=local.retry_at.set(uid, view.now + RETRY_SECONDS))
        return attrs.evolve(local, failed=local.failed.set(uid, f"{result.reason}: {result.message}"))

    def next_deadline(self, local: DrainLocal, view: View) -> int | None:
        future = [t for t in local.retry_at.values() if t > view.now]
        return min(future) if future else None


__all__ = ["DRAIN_ANNOTATION", "DRAIN_REQUESTED", "Drainer", "draining", "must_evict", "pods_to_drain"]


# kubectl drain: only where the scenario drains a node
SPEC = ComponentSpec(
    "kubectl-drain", build=lambda config: [Drainer()] if any(op.op == "drain" for op in config.user) else []
)
