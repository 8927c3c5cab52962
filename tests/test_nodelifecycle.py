"""The node lifecycle controller's ``MarkPodsNotReady`` and its retry.

Upstream (Kubernetes 1.34): ``pkg/controller/util/node/controller_utils.go: MarkPodsNotReady``
sends ``UpdateStatus`` of the lister's pod (its resourceVersion a precondition), and
``pkg/controller/nodelifecycle/node_lifecycle_controller.go: monitorNodeHealth`` puts a node
whose marking failed in ``nodesToRetry`` and marks its pods again on the next pass while the node
is not Ready.
"""

from __future__ import annotations

import attrs

from kmodel.core.fmap import FMap
from kmodel.k8s.apiserver import send
from kmodel.k8s.controllers.nodelifecycle import NodeLifecycleController, NodeLifecycleLocal
from kmodel.k8s.informers import View, cache_from_store
from kmodel.k8s.objects import READY, Condition, Container, ObjectMeta, Pod, PodSpec, PodStatus, set_condition
from kmodel.k8s.store import APIConfig, Request, Store
from kmodel.manifests import make_node

API = APIConfig()
NLC = NodeLifecycleController()


def ready_pod() -> Pod:
    status = PodStatus(phase="Running", conditions=set_condition((), Condition(READY, "True")))
    return Pod(ObjectMeta(name="web-1", namespace="default"), PodSpec((Container("c"),), node_name="node-1"), status)


def cluster() -> Store:
    store = Store()
    for obj in (make_node("node-1", {"cpu": "1", "memory": "1Gi", "pods": 10}), ready_pod()):
        store, res = store.apply(Request("create", obj.key, obj), 0, API)
        assert res.ok, res
    pod = store.get(("Pod", "default", "web-1"))  # the create dropped the status: the kubelet posts it
    running = attrs.evolve(pod, status=ready_pod().status)
    store, res = store.apply(Request("update_status", pod.key, running), 0, API)
    assert res.ok and store.get(pod.key).is_ready()
    return store


def view(store: Store, now: int) -> View:
    return View(cache_from_store(store, NLC.watches), now)


def sync(local: NodeLifecycleLocal, cached: View, store: Store) -> tuple[NodeLifecycleLocal, Store, list[str]]:
    local, reqs = NLC.reconcile(local, cached)
    sent = send(store, reqs, (), now=cached.now, api=API, who=NLC.name)
    assert sent is not None
    for req, res in sent.results:
        local = NLC.on_result(local, req, res, cached)
    marks = [f"{res.reason or 'ok'}" for req, res in sent.results if req.tag[:1] == ("mark-not-ready",)]
    return local, sent.store, marks


def test_a_stale_mark_conflicts_and_the_node_is_retried_until_the_pods_are_marked() -> None:
    store = cluster()
    silent, _ = NLC.reconcile(NLC.initial_local(), view(store, now=0))  # last heard of at t=0
    stale = view(store, now=100)  # past the grace period: the node goes Unknown
    pod = store.get(("Pod", "default", "web-1"))
    store, res = store.apply(  # the kubelet writes the pod after the controller's cache was filled
        Request("update_status", pod.key, attrs.evolve(pod, status=attrs.evolve(pod.status, restart_count=1))),
        100,
        API,
    )
    assert res.ok
    local, store, marks = sync(silent, stale, store)
    assert marks == ["Conflict"]
    assert dict(local.retry) == {"node-1": True}
    assert store.get(pod.key).is_ready()  # not marked yet
    local, store, marks = sync(local, view(store, now=101), store)  # the next pass, fresh cache
    assert marks == ["ok"]
    assert not local.retry
    assert not store.get(pod.key).is_ready()


def test_a_node_ready_again_is_not_retried() -> None:
    store = cluster()
    local, _ = NLC.reconcile(NLC.initial_local(), view(store, now=90))
    local = attrs.evolve(local, retry=FMap({"node-1": True}))
    local, _, marks = sync(local, view(store, now=100), store)  # node-1 is Ready, heard of 10s ago
    assert marks == []
    assert not local.retry
