"""The garbage collector and ``propagationPolicy``, driven through the cluster model.

Each test deletes an owner with one policy and lets the fair settle phase run; the docstrings
name the upstream rule being reproduced (``pkg/controller/garbagecollector/`` and
``staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go``).
"""

from __future__ import annotations

from typing import Any

import pytest

from kmodel.core.model import Action
from kmodel.core.run import settle, settle_steps
from kmodel.errors import InputError
from kmodel.k8s.cluster import ClusterModel, ClusterState
from kmodel.k8s.controllers.gc import NAME as GC
from kmodel.k8s.controllers.gc import GCLocal
from kmodel.k8s.invariants import no_dangling_owner_references
from kmodel.k8s.labels import LabelSelector
from kmodel.k8s.objects import ObjectMeta, PodTemplateSpec, ReplicaSet, ReplicaSetSpec
from kmodel.k8s.store import FINALIZER_FOREGROUND, FINALIZER_ORPHAN, APIConfig, MetaPatch, Request, Store
from kmodel.scenario import scenario_from_data

TEMPLATE = {
    "replicas": 3,
    "selector": {"matchLabels": {"app": "web"}},
    "template": {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
    },
}


def model(kind: str, policy: Any, gc: bool = True, faults: dict[str, int] | None = None) -> ClusterModel:
    user = [{"op": "delete", "target": f"{kind}/web", "propagationPolicy": policy}] if policy is not None else []
    data = {
        "apiVersion": "kmodel/v1",
        "kind": "Scenario",
        "metadata": {"name": "t"},
        "spec": {
            "nodes": [{"name": f"node-{i}", "capacity": {"cpu": "4", "memory": "8Gi"}} for i in (1, 2)],
            "objects": [{"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "web"}, "spec": TEMPLATE}],
            "user": user,
            "variants": {"garbageCollector": gc},
            "faults": faults or {},
        },
    }
    return scenario_from_data(data, "test").model()


def delete(model: ClusterModel, state: ClusterState, kind: str, policy: str) -> ClusterState:
    nxt = model.step(state, Action.of("delete", target=f"{kind}/web", propagation=policy))
    assert nxt is not None
    return nxt


def settled(model: ClusterModel, state: ClusterState) -> ClusterState:
    outcome = settle(model, state)
    assert outcome.settled and outcome.failure is None, outcome.failure
    return outcome.state


def objects(state: ClusterState, kind: str) -> list[Any]:
    return state.store.list(kind)


def refs_to(state: ClusterState, uid: str) -> list[Any]:
    return [o for _, o in state.store.objects.items() if any(r.uid == uid for r in o.meta.owner_references)]


def test_background_deletes_the_owner_at_once_and_the_collector_deletes_its_pods() -> None:
    """Background: no finalizer is added, so the API server removes the ReplicaSet at once
    (``Delete``: nothing pending → delete now); its pods stay until the collector, seeing the
    owner gone and reading each pod's owner live as dangling, deletes them
    (``attemptToDeleteItem``, default branch, ``DeletePropagationBackground``)."""
    m = model("ReplicaSet", "Background")
    s0 = m.initial()
    rs = s0.store.get(("ReplicaSet", "default", "web"))
    assert len(refs_to(s0, rs.meta.uid)) == 3
    s1 = delete(m, s0, "ReplicaSet", "Background")
    assert s1.store.get(rs.key) is None
    assert len(refs_to(s1, rs.meta.uid)) == 3  # the collector has not run yet
    assert no_dangling_owner_references(s1) is not None
    s2 = settled(m, s1)
    assert objects(s2, "Pod") == []
    assert no_dangling_owner_references(s2) is None


def test_without_the_collector_the_pods_of_a_deleted_owner_stay() -> None:
    """The known-bad variant: nothing deletes the dependents, so the references dangle."""
    m = model("ReplicaSet", "Background", gc=False)
    assert GC not in m.component_names
    outcome = settle(m, delete(m, m.initial(), "ReplicaSet", "Background"))
    assert outcome.settled and outcome.failure is not None
    assert outcome.failure[0].name == "NoDanglingOwnerReferences"
    s = outcome.state
    assert len(objects(s, "Pod")) == 3
    msg = no_dangling_owner_references(s)
    assert msg is not None and "ReplicaSet/web" in msg


def test_foreground_keeps_the_owner_until_its_blocking_pods_are_gone() -> None:
    """Foreground: the ReplicaSet gets ``deletionTimestamp`` and the ``foregroundDeletion``
    finalizer (``deletionFinalizersForGarbageCollection``) and stays; the collector deletes its
    pods and removes the finalizer only once no pod with ``blockOwnerDeletion`` refers to it
    (``processDeletingDependentsItem``), and the API server then removes it."""
    m = model("ReplicaSet", "Foreground")
    s0 = m.initial()
    rs = s0.store.get(("ReplicaSet", "default", "web"))
    assert all(r.block_owner_deletion for p in objects(s0, "Pod") for r in p.meta.owner_references)
    s1 = delete(m, s0, "ReplicaSet", "Foreground")
    held = s1.store.get(rs.key)
    assert held is not None and held.meta.deletion_timestamp == s1.clock
    assert held.meta.finalizers == (FINALIZER_FOREGROUND,)
    saw_terminating_pods = False
    state = s1
    for _, state in settle_steps(m, s1):
        pods = refs_to(state, rs.meta.uid)
        if pods:
            assert state.store.get(rs.key) is not None, "the owner went before its blocking pods"
            saw_terminating_pods |= any(p.meta.deletion_timestamp is not None for p in pods)
    assert saw_terminating_pods  # pods are deleted gracefully while the owner waits
    assert state.store.get(rs.key) is None
    assert objects(state, "Pod") == []


def test_orphan_removes_the_references_then_the_owner_and_the_pods_keep_running() -> None:
    """Orphan: the ReplicaSet gets the ``orphan`` finalizer; the collector patches its
    ownerReference out of every pod (``orphanDependents``) and only then removes the finalizer
    (``attemptToOrphanWorker``), so the ReplicaSet never goes while a pod still refers to it."""
    m = model("ReplicaSet", "Orphan")
    s0 = m.initial()
    rs = s0.store.get(("ReplicaSet", "default", "web"))
    before = {p.meta.name: p.meta.uid for p in objects(s0, "Pod")}
    s1 = delete(m, s0, "ReplicaSet", "Orphan")
    assert s1.store.get(rs.key).meta.finalizers == (FINALIZER_ORPHAN,)
    state = s1
    for _, state in settle_steps(m, s1):
        if state.store.get(rs.key) is None:
            assert refs_to(state, rs.meta.uid) == []
    assert state.store.get(rs.key) is None
    pods = objects(state, "Pod")
    assert {p.meta.name: p.meta.uid for p in pods} == before
    assert all(not p.meta.owner_references and p.meta.deletion_timestamp is None for p in pods)
    assert all(p.is_ready() for p in pods)
    assert no_dangling_owner_references(state) is None


def test_deployment_background_cascades_to_replica_sets_then_pods() -> None:
    """Deployment → ReplicaSet → Pod: the collector deletes the ReplicaSet whose owner is gone,
    then the pods whose owner is gone (each with ``Background``)."""
    m = model("Deployment", "Background")
    s0 = m.initial()
    assert len(objects(s0, "ReplicaSet")) == 1 and len(objects(s0, "Pod")) == 3
    s = settled(m, delete(m, s0, "Deployment", "Background"))
    assert objects(s, "Deployment") == objects(s, "ReplicaSet") == objects(s, "Pod") == []


def test_deployment_foreground_deletes_pods_then_replica_set_then_deployment() -> None:
    """A dependent that has dependents itself, of an owner deleting its dependents, is deleted
    in the foreground (``attemptToDeleteItem``: waitingForDependentsDeletion and
    ``dependentsLength() != 0``), so the order is pods, then the ReplicaSet, then the Deployment."""
    m = model("Deployment", "Foreground")
    s0 = m.initial()
    d_key = ("Deployment", "default", "web")
    rs_key = objects(s0, "ReplicaSet")[0].key
    s1 = delete(m, s0, "Deployment", "Foreground")
    rs_foreground = False
    state = s1
    for _, state in settle_steps(m, s1):
        rs = state.store.get(rs_key)
        if rs is not None and FINALIZER_FOREGROUND in rs.meta.finalizers:
            rs_foreground = True
        if objects(state, "Pod"):
            assert rs is not None
        if rs is not None:
            assert state.store.get(d_key) is not None
    assert rs_foreground
    assert objects(state, "Deployment") == objects(state, "ReplicaSet") == objects(state, "Pod") == []


def test_deployment_orphan_keeps_the_replica_set_and_its_pods() -> None:
    m = model("Deployment", "Orphan")
    s0 = m.initial()
    pods = {p.meta.name for p in objects(s0, "Pod")}
    s = settled(m, delete(m, s0, "Deployment", "Orphan"))
    assert objects(s, "Deployment") == []
    (rs,) = objects(s, "ReplicaSet")
    assert rs.meta.owner_references == ()
    assert {p.meta.name for p in objects(s, "Pod")} == pods
    assert all(
        p.meta.controller_ref() is not None and p.meta.controller_ref().uid == rs.meta.uid for p in objects(s, "Pod")
    )


def test_a_restarted_collector_requeues_the_orphan_request_from_its_relist() -> None:
    """A restart mid-orphaning loses the work queues; the relist's add events re-queue every
    object being deleted with the ``orphan`` finalizer (``processTransitions`` with no old
    object), so the remaining pods are orphaned too before the owner goes."""
    m = model("ReplicaSet", "Orphan", faults={"componentRestart": 1})
    s1 = delete(m, m.initial(), "ReplicaSet", "Orphan")
    s2 = m.step(s1, Action.of("deliver", component=GC))
    assert s2 is not None
    local = s2.components[GC].local
    assert isinstance(local, GCLocal) and [str(i) for i in local.attempt_to_orphan] == ["ReplicaSet/default/web"]
    s3 = m.step(s2, Action.of("restart", component=GC, after=1))  # crashes after patching one pod
    assert s3 is not None
    assert s3.store.get(("ReplicaSet", "default", "web")).meta.finalizers == (FINALIZER_ORPHAN,)
    assert sum(1 for p in objects(s3, "Pod") if p.meta.owner_references) == 2
    assert [str(i) for i in s3.components[GC].local.attempt_to_orphan] == ["ReplicaSet/default/web"]
    s = settled(m, s3)
    assert objects(s, "ReplicaSet") == []
    assert len(objects(s, "Pod")) == 3 and all(not p.meta.owner_references for p in objects(s, "Pod"))


def test_the_collector_runs_only_where_an_owner_can_be_deleted() -> None:
    assert GC in model("ReplicaSet", "Background").component_names
    assert GC not in model("ReplicaSet", None).component_names


def test_delete_op_validates_the_policy() -> None:
    with pytest.raises(InputError) as err:
        model("ReplicaSet", "Cascade")
    assert "propagationPolicy" in str(err.value)


# -- the API server's side (store.go) ------------------------------------------------------


def _store_with_rs(finalizers: tuple[str, ...] = ()) -> tuple[Store, Any]:
    rs = ReplicaSet(
        meta=ObjectMeta(name="web", namespace="default", finalizers=finalizers),
        spec=ReplicaSetSpec(selector=LabelSelector(), template=PodTemplateSpec()),
    )
    store, res = Store().apply(Request("create", rs.key, rs), 0, APIConfig())
    assert res.ok
    return store, res.obj


def test_propagation_policy_sets_the_gc_finalizers() -> None:
    """``deletionFinalizersForGarbageCollection``: Orphan adds ``orphan``, Foreground adds
    ``foregroundDeletion``, Background none; other finalizers are kept; an object left with
    finalizers is marked deleting now (``markAsDeleting``: grace 0, generation + 1)."""
    for policy, want in (("Orphan", ("custom", FINALIZER_ORPHAN)), ("Foreground", ("custom", FINALIZER_FOREGROUND))):
        store, rs = _store_with_rs(("custom",))
        store, res = store.apply(Request("delete", rs.key, propagation=policy), 7, APIConfig())  # type: ignore[arg-type]
        obj = store.get(rs.key)
        assert res.ok and obj.meta.finalizers == want
        assert obj.meta.deletion_timestamp == 7 and obj.meta.deletion_grace_period_seconds == 0
        assert obj.meta.generation == rs.meta.generation + 1
    store, rs = _store_with_rs()
    store, res = store.apply(Request("delete", rs.key, propagation="Background"), 7, APIConfig())
    assert res.ok and store.get(rs.key) is None
    store, rs = _store_with_rs()
    store, res = store.apply(Request("delete", rs.key), 7, APIConfig())  # apps/v1 default: DeleteDependents
    assert res.ok and store.get(rs.key) is None


def test_a_second_delete_of_a_terminating_owner_recomputes_its_finalizers() -> None:
    """ReplicaSets have no graceful strategy, so a second delete goes through
    ``updateForGracefulDeletionAndFinalizers`` again: Foreground then Orphan swaps the
    finalizer; then Background leaves none and the object is deleted at once."""
    store, rs = _store_with_rs()
    store, _ = store.apply(Request("delete", rs.key, propagation="Foreground"), 1, APIConfig())
    store, _ = store.apply(Request("delete", rs.key, propagation="Orphan"), 2, APIConfig())
    obj = store.get(rs.key)
    assert obj.meta.finalizers == (FINALIZER_ORPHAN,) and obj.meta.deletion_timestamp == 1
    same, res = store.apply(Request("delete", rs.key, propagation="Orphan"), 3, APIConfig())
    assert res.ok and same is store  # nothing to change: no write, no event
    store, res = store.apply(Request("delete", rs.key, propagation="Background"), 4, APIConfig())
    assert res.ok and store.get(rs.key) is None and store.events[-1].type == "DELETED"


def test_patch_applies_to_the_stored_object_and_removing_the_last_finalizer_deletes() -> None:
    store, rs = _store_with_rs()
    store, _ = store.apply(Request("delete", rs.key, propagation="Orphan"), 1, APIConfig())
    patch = MetaPatch(remove_finalizers=(FINALIZER_ORPHAN,))
    _, res = store.apply(Request("patch", rs.key, patch, precondition_uid="other"), 2, APIConfig())
    assert not res.ok and res.reason == "Conflict"
    store, res = store.apply(Request("patch", rs.key, patch, precondition_uid=rs.meta.uid), 2, APIConfig())
    assert res.ok and store.get(rs.key) is None and store.events[-1].type == "DELETED"
