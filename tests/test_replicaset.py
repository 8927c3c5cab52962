"""The ReplicaSet controller's slow-start create batches, adoption and release.

Upstream: ``pkg/controller/replicaset/replica_set.go`` (``manageReplicas``, ``slowStartBatch``,
``claimPods``) and ``pkg/controller/controller_ref_manager.go`` (``ClaimPods``, ``AdoptPod``,
``ReleasePod``); the batch numbers are those of upstream's own ``TestSlowStartBatch``
(``pkg/controller/replicaset/replica_set_test.go``: count 10 → calls 1 + 2 + 4 + 3).
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from kmodel.core.fmap import FMap
from kmodel.core.model import Action
from kmodel.core.run import settle
from kmodel.errors import InputError
from kmodel.k8s.apiserver import LoseRequest
from kmodel.k8s.cluster import ClusterModel, ClusterState
from kmodel.k8s.controllers.replicaset import (
    NAME as RS,
)
from kmodel.k8s.controllers.replicaset import (
    claim_pods,
    controller_ref,
    slow_start_batches,
)
from kmodel.k8s.labels import LabelSelector
from kmodel.k8s.objects import ObjectMeta, OwnerReference, Pod, PodTemplateSpec, ReplicaSet, ReplicaSetSpec
from kmodel.k8s.steps.reconcile import reconcile
from kmodel.k8s.store import APIConfig, MetaPatch, Request, Store
from kmodel.scenario import scenario_from_data

API = APIConfig()
WEB = {"app": "web"}


def rs_doc(replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": WEB},
            "template": {
                "metadata": {"labels": WEB},
                "spec": {"containers": [{"name": "web", "resources": {"requests": {"cpu": "100m"}}}]},
            },
        },
    }


def pod_doc(name: str, labels: dict[str, str]) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": labels}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"containers": [{"name": "web", "resources": {"requests": {"cpu": "100m"}}}]},
    }


def model(replicas: int = 3, extra: list[Any] | None = None, **spec: Any) -> ClusterModel:
    data = {
        "apiVersion": "kmodel/v1",
        "kind": "Scenario",
        "metadata": {"name": "t"},
        "spec": {
            "nodes": [{"name": "node-1", "capacity": {"cpu": "8", "memory": "8Gi", "pods": 110}}],
            "objects": [*(extra or []), rs_doc(replicas)],
            "start": "applied",
            **spec,
        },
    }
    return scenario_from_data(data, "test").model()


def settled(m: ClusterModel, state: ClusterState) -> ClusterState:
    outcome = settle(m, state)
    assert outcome.settled, outcome
    return outcome.state


def pods(state: ClusterState) -> dict[str, Pod]:
    return {p.meta.name: p for p in state.store.list("Pod")}


def rs(state: ClusterState) -> ReplicaSet:
    obj = state.store.get(("ReplicaSet", "default", "web"))
    assert obj is not None
    return obj  # type: ignore[no-any-return]


# -- slowStartBatch ---------------------------------------------------------------------------


def test_slow_start_batch_sizes_are_upstreams() -> None:
    """``slowStartBatch(10, 1, fn)`` calls 1 + 2 + 4 + 3 = 10 times (upstream's test table)."""
    assert slow_start_batches(10) == [1, 2, 4, 3]
    assert slow_start_batches(14) == [1, 2, 4, 7]
    assert slow_start_batches(1) == [1]
    assert slow_start_batches(0) == []
    assert slow_start_batches(7, initial=2) == [2, 4, 1]


def creates_of_first_sync(lost: int | None) -> tuple[ClusterState, list[str], ClusterModel]:
    m = model(replicas=10)
    log: list[str] = []
    nxt = reconcile(m.wiring, m.initial(), RS, log, delivery=() if lost is None else (LoseRequest(lost),))
    assert nxt is not None
    return nxt, log, m


def test_a_ten_replica_scale_up_sends_four_batches() -> None:
    state, log, _ = creates_of_first_sync(None)
    assert len(pods(state)) == 10
    reqs = state.components[RS].local  # expectations: 10 creates expected
    assert reqs.expectations[("default", "web")].add == 10
    assert not [line for line in log if "skips" in line]


@pytest.mark.parametrize(
    ("lost", "calls", "successes"),
    [
        (0, 1, 0),  # upstream "callLimit = 0 (all fail)": 1 call, 0 successes
        (1, 3, 2),  # the second batch (2 creates) fails: 1 + 2 calls, the rest skipped
        (5, 7, 6),  # a create of the third batch fails: 1 + 2 + 4 = 7 calls, 6 successes
    ],
)
def test_a_failed_create_skips_the_later_batches_and_lowers_expectations(lost: int, calls: int, successes: int) -> None:
    state, log, _ = creates_of_first_sync(lost)
    sent = [line for line in log if "create Pod" in line and "skips" not in line]
    skipped = [line for line in log if "skips create Pod" in line]
    assert len(sent) == calls
    assert len(skipped) == 10 - calls
    assert len(pods(state)) == successes
    # ExpectCreations(10), then CreationObserved for the failed one and each skipped one:
    # only the successful creates are still expected
    assert state.components[RS].local.expectations[("default", "web")].add == successes
    # the status update is batch 2 (with the first create batch): a failed create does not skip it
    assert any("update_status ReplicaSet/default/web → ok" in line for line in log)


def test_the_reconcile_then_converges() -> None:
    state, _, m = creates_of_first_sync(1)
    final = settled(m, state)
    assert len([p for p in pods(final).values() if p.is_active()]) == 10


# -- ClaimPods ----------------------------------------------------------------------------------


def _rs(deleting: bool = False) -> ReplicaSet:
    meta = ObjectMeta(name="web", namespace="default", uid="uid-rs", deletion_timestamp=5 if deleting else None)
    spec = ReplicaSetSpec(
        replicas=3, selector=LabelSelector(match_labels=tuple(WEB.items())), template=PodTemplateSpec(labels=FMap(WEB))
    )
    return ReplicaSet(meta=meta, spec=spec)


def _pod(name: str, labels: dict[str, str], owner_uid: str | None = None, ns: str = "default") -> Pod:
    refs = () if owner_uid is None else (OwnerReference("apps/v1", "ReplicaSet", "x", owner_uid, controller=True),)
    return Pod(meta=ObjectMeta(name=name, namespace=ns, uid=f"uid-{name}", labels=FMap(labels), owner_references=refs))


def test_claim_pods_adopts_orphans_releases_mismatches_and_ignores_other_owners() -> None:
    pods_ = [
        _pod("a-owned", WEB, "uid-rs"),
        _pod("b-relabelled", {"app": "debug"}, "uid-rs"),
        _pod("c-orphan", WEB),
        _pod("d-other-owner", WEB, "uid-other"),
        _pod("e-orphan-no-match", {"app": "db"}),
        _pod("f-other-namespace", WEB, ns="other"),
    ]
    claim = claim_pods(_rs(), pods_)
    assert [p.meta.name for p in claim.claimed] == ["a-owned", "c-orphan"]
    assert [p.meta.name for p in claim.adopt] == ["c-orphan"]
    assert [p.meta.name for p in claim.release] == ["b-relabelled"]


def test_a_replica_set_being_deleted_neither_adopts_nor_releases_but_keeps_its_pods() -> None:
    pods_ = [_pod("a-owned", WEB, "uid-rs"), _pod("b-relabelled", {"app": "debug"}, "uid-rs"), _pod("c-orphan", WEB)]
    claim = claim_pods(_rs(deleting=True), pods_)
    assert [p.meta.name for p in claim.claimed] == ["a-owned"]
    assert claim.adopt == () and claim.release == ()


def test_the_store_rejects_a_second_controller_reference() -> None:
    store, res = Store().apply(Request("create", ("Pod", "default", "p"), _pod("p", WEB, "uid-other")), 0, API)
    uid = res.obj.meta.uid
    adopt = Request("patch", res.obj.key, MetaPatch(add_owner=controller_ref(_rs())), precondition_uid=uid)
    _, res = store.apply(adopt, 0, API)
    assert not res.ok and res.reason == "Invalid" and "Only one reference" in res.message
    # an orphan takes the controllerRef; the same patch again changes nothing
    store, res = store.apply(Request("create", ("Pod", "default", "q"), _pod("q", WEB)), 0, API)
    adopt = attrs.evolve(adopt, key=res.obj.key, precondition_uid=res.obj.meta.uid)
    store, res = store.apply(adopt, 0, API)
    assert res.ok and res.obj.meta.controller_ref() == controller_ref(_rs())
    again, res2 = store.apply(adopt, 0, API)
    assert res2.ok and again is store
    # the pod's uid is a precondition: a re-created pod of the same name is not adopted
    _, res = store.apply(attrs.evolve(adopt, precondition_uid="uid-old"), 0, API)
    assert not res.ok and res.reason == "Conflict"


def test_the_can_adopt_get_fails_on_a_deleted_or_replaced_owner() -> None:
    store, res = Store().apply(Request("create", ("ReplicaSet", "default", "web"), _rs()), 0, API)
    uid = res.obj.meta.uid
    get = Request("get", res.obj.key, precondition_uid=uid, recheck_deletion=True)
    assert store.apply(get, 0, API)[1].ok
    assert store.apply(attrs.evolve(get, precondition_uid="uid-gone"), 0, API)[1].reason == "Conflict"
    store, _ = store.apply(Request("delete", res.obj.key, propagation="Orphan"), 1, API)
    _, res = store.apply(get, 1, API)
    assert not res.ok and "has just been deleted" in res.message
    assert store.apply(attrs.evolve(get, recheck_deletion=False), 1, API)[1].ok  # a plain GET still reads it


# -- adoption and release through the cluster ----------------------------------------------------


def test_an_orphan_matching_the_selector_is_adopted_instead_of_replaced() -> None:
    m = model(replicas=3, extra=[pod_doc("stray", WEB)])
    final = settled(m, m.initial())
    by_name = pods(final)
    assert len(by_name) == 3, sorted(by_name)  # two created, the orphan adopted
    ref = by_name["stray"].meta.controller_ref()
    assert ref is not None and ref.uid == rs(final).meta.uid and ref.block_owner_deletion
    assert rs(final).status.replicas == 3


def test_pods_of_another_controller_are_ignored() -> None:
    m = model(replicas=2)
    state = m.initial()
    # manifests carry no ownerReferences: the foreign pod is written to the store directly
    foreign = _pod("foreign", WEB, "uid-999999")
    store, res = state.store.apply(Request("create", foreign.key, foreign), state.clock, API)
    assert res.ok
    final = settled(m, attrs.evolve(state, store=store))
    by_name = pods(final)
    assert len(by_name) == 3  # the foreign pod stays as it is; the RS creates its own two
    ref = by_name["foreign"].meta.controller_ref()
    assert ref is not None and ref.uid == "uid-999999"
    assert rs(final).status.replicas == 2


def test_a_stale_cache_cannot_adopt_for_a_replica_set_being_deleted() -> None:
    """kubernetes#42639: the cache has not seen the ReplicaSet's deletion yet; ``canAdopt``'s
    live GET fails, so the adoption (and the rest of the sync) is skipped."""
    m = model(replicas=2, extra=[pod_doc("stray", WEB)])
    state = m.initial()
    store, res = state.store.apply(Request("delete", rs(state).key, propagation="Orphan"), state.clock, API)
    assert res.ok
    state = attrs.evolve(state, store=store)  # not delivered to the controller yet
    log: list[str] = []
    nxt = reconcile(m.wiring, state, RS, log)
    assert nxt is not None
    assert any("get ReplicaSet/default/web → Conflict" in line for line in log), log
    assert any("skips patch Pod/default/stray" in line for line in log), log
    assert any("skips create Pod" in line for line in log), log
    assert pods(nxt)["stray"].meta.controller_ref() is None
    assert nxt.components[RS].local.queue == (("default", "web"),)  # requeued


def test_relabel_releases_the_pod_and_the_replica_set_replaces_it() -> None:
    m = model(replicas=2, user=[{"op": "relabel", "target": "ReplicaSet/web", "labels": {"app": "debug"}}])
    state = settled(m, m.initial())
    before = sorted(pods(state))
    state = m.step(state, Action.of("relabel", target="ReplicaSet/web", index=0))  # type: ignore[assignment]
    assert state is not None
    assert m.step(state, Action.of("relabel", target="ReplicaSet/web", index=1)) is None  # times: 1
    final = settled(m, state)
    by_name = pods(final)
    released = by_name[before[0]]
    assert released.meta.labels["app"] == "debug" and released.meta.owner_references == ()
    owned = [p for p in by_name.values() if p.meta.controller_ref() is not None]
    assert len(owned) == 2 and len(by_name) == 3
    assert rs(final).status.replicas == 2


@pytest.mark.parametrize(
    ("entry", "path", "message"),
    [
        ({"op": "relabel", "target": "ReplicaSet/web"}, "spec.user[0].labels", "is required"),
        ({"op": "relabel", "target": "ReplicaSet/web", "labels": {}}, "spec.user[0].labels", "at least one"),
        ({"op": "relabel", "target": "ReplicaSet/web", "labels": {"app": ["x"]}}, "spec.user[0].labels.app", "label"),
        ({"op": "relabel", "target": "ReplicaSet/web", "labels": "app=x"}, "spec.user[0].labels", "mapping"),
        ({"op": "relabel", "target": "Node/node-1", "labels": {"a": "b"}}, "spec.user[0].target", "ReplicaSet"),
    ],
)
def test_relabel_input_errors_name_the_field(entry: dict[str, Any], path: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        model(user=[entry])
    text = str(err.value)
    assert path in text and message in text, text


def test_a_conflicting_status_write_is_retried_once_with_the_live_resource_version() -> None:
    """``updateReplicaSetStatus`` (``replica_set_utils.go``, ``statusUpdateRetries`` = 1): on a
    Conflict the controller GETs the live ReplicaSet and writes the status it computed, from its
    own (stale) cache, onto it, so the stale status lands; without the retry it would not."""
    from kmodel.k8s.apiserver import send
    from kmodel.k8s.objects import ReplicaSetStatus

    store = Store()
    store, res = store.apply(Request("create", ("ReplicaSet", "default", "web"), _rs()), 0, API)
    cached = res.obj
    scaled = attrs.evolve(cached, spec=attrs.evolve(cached.spec, replicas=5))
    scale = Request("update", cached.key, scaled, precondition_rv=cached.meta.resource_version)
    store, res = store.apply(scale, 0, API)
    assert res.ok
    stale = attrs.evolve(cached, status=ReplicaSetStatus(replicas=1, observed_generation=cached.meta.generation))
    for retry, ok, replicas in ((False, False, 0), (True, True, 1)):
        req = Request(
            "update_status", cached.key, stale, precondition_rv=cached.meta.resource_version, retry_conflict=retry
        )
        sent = send(store, [req], (), now=0, api=API, who=RS)
        assert sent is not None
        (_, result), live = sent.results[0], sent.store.get(cached.key)
        assert result.ok is ok
        assert live.status.replicas == replicas
        assert live.spec.replicas == 5  # the status write never touches the spec
        if retry:  # the status says it observed the generation before the scale
            assert live.status.observed_generation < live.meta.generation


def test_the_controller_asks_for_the_status_retry() -> None:
    m = model(2)
    s = m.initial()
    while (nxt := m.step(s, Action.of("deliver", component=RS))) is not None:
        s = nxt
    _, reqs = m.wiring.components[RS].reconcile(s.components[RS].local, m.wiring.view(s, RS))
    status = [r for r in reqs if r.verb == "update_status"]
    assert status and all(r.retry_conflict for r in status)
