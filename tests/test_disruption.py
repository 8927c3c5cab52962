"""PodDisruptionBudgets: the disruption controller's formulas, the eviction API, kubectl drain,
manifest errors, and the PDBHolds / DrainCompletes invariants."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml

import kmodel
from kmodel.cli import main
from kmodel.core.fmap import FMap
from kmodel.core.model import Action
from kmodel.errors import InputError
from kmodel.k8s.controllers.disruption import (
    DELETION_TIMEOUT,
    NoControllerError,
    build_disrupted_pod_map,
    count_healthy,
    expected_pod_count,
    scaled_value,
)
from kmodel.k8s.controllers.drain import Drainer, DrainLocal
from kmodel.k8s.informers import View, cache_from_store
from kmodel.k8s.invariants import drain_completes, pdb_holds_evict
from kmodel.k8s.labels import LabelSelector
from kmodel.k8s.objects import (
    READY,
    Condition,
    Deployment,
    DeploymentSpec,
    ObjectMeta,
    OwnerReference,
    Pod,
    PodDisruptionBudget,
    PodDisruptionBudgetSpec,
    PodDisruptionBudgetStatus,
    PodSpec,
    PodStatus,
    PodTemplateSpec,
    ReplicaSet,
    ReplicaSetSpec,
    StatefulSet,
    StatefulSetSpec,
)
from kmodel.k8s.store import APIConfig, Request, Store
from kmodel.manifests import parse_documents
from kmodel.scenario import scenario_from_data

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "properties" / "scenarios"
API = APIConfig()
SEL = LabelSelector((("app", "web"),))
LABELS: FMap[str, str] = FMap({"app": "web"})


def rs(replicas: int = 3, name: str = "web", uid: str = "rs-uid", owner: OwnerReference | None = None) -> ReplicaSet:
    meta = ObjectMeta(name=name, namespace="default", uid=uid, owner_references=(owner,) if owner else ())
    return ReplicaSet(meta=meta, spec=ReplicaSetSpec(SEL, PodTemplateSpec(LABELS), replicas=replicas))


def pod(
    name: str,
    ready: bool = True,
    owner: tuple[str, str, str] | None = ("ReplicaSet", "web", "rs-uid"),
    deleting: bool = False,
    phase: str = "Running",
    node: str = "node-1",
    annotations: FMap[str, str] | None = None,
) -> Pod:
    refs = (OwnerReference("apps/v1", owner[0], owner[1], owner[2], controller=True),) if owner else ()
    meta = ObjectMeta(
        name=name,
        namespace="default",
        uid=f"uid-{name}",
        labels=LABELS,
        owner_references=refs,
        deletion_timestamp=5 if deleting else None,
        annotations=annotations or FMap(),
    )
    cond = Condition(READY, "True" if ready else "False")
    return Pod(meta=meta, spec=PodSpec(node_name=node), status=PodStatus(phase=phase, conditions=(cond,)))


def pdb(
    min_available: int | str | None = None,
    max_unavailable: int | str | None = None,
    policy: str = "",
    status: PodDisruptionBudgetStatus | None = None,
    name: str = "web",
) -> PodDisruptionBudget:
    return PodDisruptionBudget(
        meta=ObjectMeta(name=name, namespace="default", uid=f"uid-pdb-{name}"),
        spec=PodDisruptionBudgetSpec(SEL, min_available, max_unavailable, policy),
        status=status or PodDisruptionBudgetStatus(),
    )


def lookup(*objs: Any) -> Any:
    by_key = {o.key: o for o in objs}
    return by_key.get


# -- intstr.GetScaledValueFromIntOrPercent (upstream intstr_test.go examples) -----------------------


@pytest.mark.parametrize(
    ("value", "total", "round_up", "want"),
    [
        (123, 100, False, 123),
        ("90%", 100, True, 90),
        ("90%", 95, True, 86),
        ("90%", 95, False, 85),
        ("50%", 3, True, 2),
        ("0%", 3, True, 0),
        ("100%", 3, True, 3),
    ],
)
def test_scaled_value(value: int | str, total: int, round_up: bool, want: int) -> None:
    assert scaled_value(value, total, round_up) == want


# -- getExpectedPodCount ----------------------------------------------------------------------------


def test_int_min_available_counts_the_selected_pods() -> None:
    pods = [pod("a"), pod("b", owner=None)]
    assert expected_pod_count(pdb(min_available=2), pods, lookup()) == (2, 2)


def test_percent_min_available_uses_the_controller_scale_rounding_up() -> None:
    pods = [pod("a")]  # one pod exists, but the ReplicaSet wants 3
    assert expected_pod_count(pdb(min_available="50%"), pods, lookup(rs(3))) == (3, 2)


@pytest.mark.parametrize(("max_unavailable", "desired"), [(1, 2), (0, 3), ("50%", 1), ("100%", 0), (5, 0)])
def test_max_unavailable(max_unavailable: int | str, desired: int) -> None:
    pods = [pod("a"), pod("b")]
    assert expected_pod_count(pdb(max_unavailable=max_unavailable), pods, lookup(rs(3))) == (3, desired)


def test_scale_of_a_replication_controller_is_its_replicas() -> None:
    """``getPodReplicationController`` (``disruption.go: getExpectedScale``'s finders)."""
    from kmodel.k8s.objects import ReplicationController

    meta = ObjectMeta(name="web", namespace="default", uid="rc-uid")
    rc = ReplicationController(meta=meta, spec=ReplicaSetSpec(SEL, PodTemplateSpec(LABELS), replicas=4))
    pods = [pod("a", owner=("ReplicationController", "web", "rc-uid"))]
    assert expected_pod_count(pdb(max_unavailable=1), pods, lookup(rc)) == (4, 3)


def test_scale_of_a_deployment_owned_replica_set_is_the_deployment_s() -> None:
    d = Deployment(
        meta=ObjectMeta(name="web", namespace="default", uid="d-uid"),
        spec=DeploymentSpec(SEL, PodTemplateSpec(LABELS), replicas=5),
    )
    owned = rs(2, name="web-abc", uid="rs2", owner=OwnerReference("apps/v1", "Deployment", "web", "d-uid", True))
    pods = [pod("a", owner=("ReplicaSet", "web-abc", "rs2"))]
    assert expected_pod_count(pdb(max_unavailable=1), pods, lookup(d, owned)) == (5, 4)


def test_scale_of_a_statefulset_and_unmanaged_pods_are_skipped() -> None:
    ss = StatefulSet(
        meta=ObjectMeta(name="db", namespace="default", uid="ss-uid"),
        spec=StatefulSetSpec(SEL, PodTemplateSpec(LABELS), replicas=4),
    )
    pods = [pod("db-0", owner=("StatefulSet", "db", "ss-uid")), pod("bare", owner=None)]
    assert expected_pod_count(pdb(min_available="75%"), pods, lookup(ss)) == (4, 3)


def test_pod_whose_controller_is_gone_is_a_sync_error() -> None:
    with pytest.raises(NoControllerError):
        expected_pod_count(pdb(max_unavailable=1), [pod("a")], lookup())


def test_neither_field_expects_nothing() -> None:
    assert expected_pod_count(pdb(), [pod("a")], lookup()) == (0, 0)


# -- countHealthyPods / buildDisruptedPodMap --------------------------------------------------------


def test_count_healthy_skips_deleting_unready_and_recently_disrupted_pods() -> None:
    pods = [pod("a"), pod("b", ready=False), pod("c", deleting=True), pod("d"), pod("e")]
    disrupted = FMap({"d": 100, "e": 100 - DELETION_TIMEOUT})
    # d was evicted at 100: not healthy until 100 + 120; e's entry has timed out
    assert count_healthy(pods, disrupted, 100) == 2
    assert count_healthy(pods, disrupted, 100 + DELETION_TIMEOUT) == 3


def test_build_disrupted_pod_map_drops_deleted_gone_and_expired_entries() -> None:
    pods = [pod("a"), pod("b", deleting=True), pod("c")]
    disrupted = FMap({"a": 50, "b": 50, "gone": 50, "c": 10})
    kept, recheck = build_disrupted_pod_map(pods, disrupted, 140)
    assert dict(kept) == {"a": 50}  # c expired at 130 (< 140)
    assert recheck == 50 + DELETION_TIMEOUT
    kept, recheck = build_disrupted_pod_map(pods, FMap({"a": 20}), 140)
    assert dict(kept) == {"a": 20} and recheck == 140  # expires exactly now: still kept


# -- the eviction API -------------------------------------------------------------------------------


def store_of(*objs: Any) -> Store:
    store = Store()
    for o in objs:
        store, res = store.apply(Request("create", o.key, o), 0, API)
        assert res.ok
        if getattr(o, "status", None) is not None:  # create drops nothing, but keep status as given
            store, res = store.apply(Request("update_status", o.key, o), 0, API)
    return store


def allowed(n: int, current: int = 3, desired: int = 2, generation: int = 1) -> PodDisruptionBudgetStatus:
    return PodDisruptionBudgetStatus(
        observed_generation=generation,
        disruptions_allowed=n,
        current_healthy=current,
        desired_healthy=desired,
        expected_pods=3,
    )


def evict(store: Store, name: str, now: int = 7) -> tuple[Store, Any]:
    return store.apply(Request("evict", ("Pod", "default", name)), now, API)


def test_eviction_allowed_decrements_the_budget_and_deletes_gracefully() -> None:
    store = store_of(pod("a"), pod("b"), pdb(min_available=2, status=allowed(1)))
    store, res = evict(store, "a")
    assert res.ok
    budget = store.get(("PodDisruptionBudget", "default", "web"))
    assert budget.status.disruptions_allowed == 0
    assert dict(budget.status.disrupted_pods) == {"a": 7}
    victim = store.get(("Pod", "default", "a"))
    assert victim.meta.deletion_timestamp == 7 + 30  # terminationGracePeriodSeconds
    store, res = evict(store, "b")
    assert not res.ok and res.reason == "TooManyRequests"
    assert "Cannot evict pod as it would violate the pod's disruption budget" in res.message
    assert store.get(("Pod", "default", "b")).meta.deletion_timestamp is None


def test_eviction_with_unobserved_generation_is_refused() -> None:
    store = store_of(pod("a"), pdb(min_available=1, status=allowed(1, generation=0)))
    _, res = evict(store, "a")
    assert res.reason == "TooManyRequests" and "still being processed" in res.message


def test_eviction_with_two_pdbs_is_a_500() -> None:
    store = store_of(pod("a"), pdb(min_available=1, status=allowed(1)), pdb(min_available=1, name="other"))
    _, res = evict(store, "a")
    assert res.reason == "InternalError" and "more than one PodDisruptionBudget" in res.message


def test_eviction_without_pdb_or_of_a_pending_pod_just_deletes() -> None:
    store = store_of(pod("a"))
    store, res = evict(store, "a")
    assert res.ok and store.get(("Pod", "default", "a")).meta.deletion_timestamp is not None
    store = store_of(pod("p", phase="Pending", node=""), pdb(min_available=5, status=allowed(0)))
    store, res = evict(store, "p")
    assert res.ok and store.get(("Pod", "default", "p")) is None  # unscheduled: removed at once


@pytest.mark.parametrize(
    ("policy", "status", "ok"),
    [
        ("AlwaysAllow", allowed(0, current=0, desired=2), True),
        ("", allowed(0, current=2, desired=2), True),  # IfHealthyBudget (default): budget is healthy
        ("IfHealthyBudget", allowed(0, current=2, desired=2), True),
        ("IfHealthyBudget", allowed(0, current=1, desired=2), False),  # disrupted app: 429
        ("", allowed(0, current=0, desired=0), False),  # desiredHealthy 0 does not qualify
    ],
)
def test_unhealthy_pod_eviction_policy(policy: str, status: PodDisruptionBudgetStatus, ok: bool) -> None:
    store = store_of(pod("sick", ready=False), pdb(min_available=2, policy=policy, status=status))
    new, res = evict(store, "sick")
    assert res.ok is ok
    if ok:  # deleted without touching the budget
        budget = new.get(("PodDisruptionBudget", "default", "web"))
        assert budget.status.disruptions_allowed == 0 and not budget.status.disrupted_pods
    else:
        assert res.reason == "TooManyRequests"


# -- kubectl drain ----------------------------------------------------------------------------------


def drain_view(store: Store, now: int) -> View:
    return View(cache_from_store(store, Drainer().watches), now)


def marked_node_store(*pods: Pod) -> Store:
    from kmodel.manifests import make_node

    node = make_node("node-1", FMap({"cpu": 2000, "memory": 1 << 32}))
    node = attrs.evolve(node, meta=attrs.evolve(node.meta, annotations=FMap({"kmodel.io/drain": "requested"})))
    return store_of(node, *pods)


def test_drainer_retries_a_429_every_5_seconds() -> None:
    store = marked_node_store(pod("a"), pdb(min_available=1, status=allowed(0, current=1, desired=1)))
    d = Drainer()
    local, reqs = d.reconcile(DrainLocal(), drain_view(store, 10))
    assert [(r.verb, r.key[2]) for r in reqs] == [("evict", "a")]
    store, res = store.apply(reqs[0], 10, API)
    assert res.reason == "TooManyRequests"
    local = d.on_result(local, reqs[0], res, drain_view(store, 10))
    assert d.next_deadline(local, drain_view(store, 10)) == 15
    assert d.reconcile(local, drain_view(store, 14))[1] == []
    local, reqs = d.reconcile(local, drain_view(store, 15))
    assert [r.key[2] for r in reqs] == ["a"]


def test_drainer_skips_mirror_and_daemonset_pods_and_waits_after_success() -> None:
    mirror = pod("static", owner=None, annotations=FMap({"kubernetes.io/config.mirror": "x"}))
    ds = pod("agent", owner=("DaemonSet", "agent", "ds-uid"))
    store = marked_node_store(pod("a"), mirror, ds)
    d = Drainer()
    local, reqs = d.reconcile(DrainLocal(), drain_view(store, 0))
    assert [r.key[2] for r in reqs] == ["a"]
    store, res = store.apply(reqs[0], 0, API)
    local = d.on_result(local, reqs[0], res, drain_view(store, 0))
    assert d.reconcile(local, drain_view(store, 0))[1] == []  # evicted: only waited for now


# -- manifests ----------------------------------------------------------------------------------------


def pdb_doc(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, **spec},
    }


def test_pdb_manifest_parses() -> None:
    (obj,) = parse_documents([pdb_doc(maxUnavailable="25%", unhealthyPodEvictionPolicy="AlwaysAllow")], "p.yaml")
    assert obj.spec.max_unavailable == "25%" and obj.spec.unhealthy_pod_eviction_policy == "AlwaysAllow"
    assert obj.spec.selects(pod("a"))
    (bare,) = parse_documents([{**pdb_doc(minAvailable=1), "spec": {"minAvailable": 1}}], "p.yaml")
    assert bare.spec.selector is None and not bare.spec.selects(pod("a"))  # null selector: no pods


@pytest.mark.parametrize(
    ("spec", "where", "what"),
    [
        ({"minAvailable": 1, "maxUnavailable": 1}, "spec.maxUnavailable", "cannot be both set"),
        ({"minAvailable": "120%"}, "spec.minAvailable", "greater than 100%"),
        ({"maxUnavailable": -1}, "spec.maxUnavailable", "greater than or equal to 0"),
        ({"maxUnavailable": "half"}, "spec.maxUnavailable", "percentage"),
        ({"minAvailable": 1, "unhealthyPodEvictionPolicy": "Never"}, "spec.unhealthyPodEvictionPolicy", "AlwaysAllow"),
    ],
)
def test_bad_pdb_manifest_names_the_field(spec: dict[str, Any], where: str, what: str) -> None:
    with pytest.raises(InputError) as info:
        parse_documents([pdb_doc(**spec)], "pdb.yaml")
    msg = str(info.value)
    assert "pdb.yaml" in msg and where in msg and what in msg


def test_bad_pdb_in_a_scenario_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = yaml.safe_load((SCENARIOS / "drain-blocked-by-pdb.yaml").read_text())
    data["spec"]["objects"][1]["spec"]["minAvailable"] = 1  # next to maxUnavailable: 0
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    code = main(["check", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "spec.objects[1].spec.maxUnavailable" in err and "cannot be both set" in err


def test_drain_targets_a_known_node() -> None:
    data = yaml.safe_load((SCENARIOS / "drain-with-pdb.yaml").read_text())
    data["spec"]["user"] = [{"op": "drain", "target": "Node/node-9"}]
    with pytest.raises(InputError) as info:
        scenario_from_data(data, "x.yaml", SCENARIOS)
    assert "spec.user[0].target" in str(info.value)


# -- the model: registration, status, invariants --------------------------------------------------


def test_components_only_where_needed() -> None:
    default = kmodel.load_scenario().model()
    assert "disruption-controller" not in default.component_names
    assert "kubectl-drain" not in default.component_names
    model = kmodel.load_scenario(SCENARIOS / "drain-with-pdb.yaml").model()
    assert "disruption-controller" in model.component_names and "kubectl-drain" in model.component_names


def test_controller_writes_the_status_before_the_run() -> None:
    model = kmodel.load_scenario(SCENARIOS / "drain-with-pdb.yaml").model()
    (budget,) = model.initial().store.list("PodDisruptionBudget")
    assert budget.status == PodDisruptionBudgetStatus(
        observed_generation=1, disruptions_allowed=1, current_healthy=3, desired_healthy=2, expected_pods=3
    )
    blocked = kmodel.load_scenario(SCENARIOS / "drain-blocked-by-pdb.yaml").model()
    (budget,) = blocked.initial().store.list("PodDisruptionBudget")
    assert (budget.status.disruptions_allowed, budget.status.desired_healthy) == (0, 2)


def test_pdb_holds_observer() -> None:
    budget = pdb(min_available=2, status=allowed(1))
    before = store_of(pod("a"), pod("b"), pod("c", ready=False), budget)
    req = Request("evict", ("Pod", "default", "a"))
    _, res = before.apply(req, 0, API)
    assert res.ok  # the stale status allowed it ...
    msg = pdb_holds_evict(before, req, res, "kubectl-drain")
    assert msg is not None and "had 2 Ready pods and desires 2: 1 left" in msg  # ... the truth did not
    fine = store_of(pod("a"), pod("b"), pod("c"), budget)
    _, res = fine.apply(req, 0, API)
    assert pdb_holds_evict(fine, req, res, "kubectl-drain") is None
    unhealthy = Request("evict", ("Pod", "default", "c"))
    _, res = before.apply(unhealthy, 0, API)
    assert pdb_holds_evict(before, unhealthy, res, "kubectl-drain") is None  # nothing healthy taken
    # involuntary unreadiness (node failure, crash) is not held against the eviction
    node_lost = attrs.evolve(
        pod("c"), status=PodStatus(phase="Running", conditions=(Condition(READY, "False", "NodeNotReady"),))
    )
    crashed = attrs.evolve(pod("c"), status=attrs.evolve(pod("c", ready=False).status, restart_count=1))
    for c in (node_lost, crashed):
        forgiven = store_of(pod("a"), pod("b"), c, budget)
        _, res = forgiven.apply(req, 0, API)
        assert res.ok and pdb_holds_evict(forgiven, req, res, "kubectl-drain") is None


def settle(model: Any, state: Any) -> Any:
    from kmodel.core.run import settle_steps

    for _, s in settle_steps(model, state):
        state = s
    return state


def test_drain_completes_and_is_vacuous_without_a_drain() -> None:
    model = kmodel.load_scenario(SCENARIOS / "drain-with-pdb.yaml").model()
    state = model.initial()
    assert drain_completes(state) is None  # nothing marked
    state = settle(model, model.step(state, Action.of("drain", target="Node/node-1")))
    assert drain_completes(state) is None
    assert not [p for p in state.store.list("Pod") if p.spec.node_name == "node-1"]
    blocked = kmodel.load_scenario(SCENARIOS / "drain-blocked-by-pdb.yaml").model()
    stuck = settle(blocked, blocked.step(blocked.initial(), Action.of("drain", target="Node/node-1")))
    msg = drain_completes(stuck)
    assert msg is not None and "allows 0 disruptions" in msg


def test_stale_status_after_a_node_failure_lets_an_eviction_through() -> None:
    """Directed trace for drain-pdb-node-crash: node-2 crashes, the node lifecycle controller marks
    its pod NotReady, and kubectl drain evicts node-1's pod before the disruption controller has
    recomputed the status (upstream: "Status may trail the actual state of a system"), leaving 1
    Ready pod for minAvailable 2. PDBHolds does not count it: the missing pod is an involuntary
    disruption; counting Ready pods only, the eviction would be a violation."""
    model = kmodel.load_scenario(SCENARIOS / "drain-pdb-node-crash.yaml").model()
    state = model.step(model.initial(), Action.of("crash_node", node="node-2"))

    def victim_ready(s: Any) -> bool:
        return any(p.is_ready() for p in s.store.list("Pod") if p.spec.node_name == "node-2")

    for _ in range(500):
        if not victim_ready(state):
            break
        moved = False
        for a in model.system_actions(state):
            if a.op == "reconcile" and a.arg("component") == "disruption-controller":
                continue  # the controller's worker has not got to the PDB yet
            nxt = model.step(state, a)
            if nxt is not None:
                state, moved = nxt, True
        if not moved:
            tick = model.time_action(state)
            assert tick is not None
            state = model.step(state, tick)
    assert not victim_ready(state)
    (budget,) = state.store.list("PodDisruptionBudget")
    assert budget.status.disruptions_allowed == 1  # stale: computed before the failure
    state = model.step(state, Action.of("drain", target="Node/node-1"))
    while (nxt := model.step(state, Action.of("deliver", component="kubectl-drain"))) is not None:
        state = nxt
    before = state
    state = model.step(state, Action.of("reconcile", component="kubectl-drain"))
    evicted = [p for p in before.store.list("Pod") if p.spec.node_name == "node-1"]
    assert evicted and state.store.get(evicted[0].key).meta.deletion_timestamp is not None
    ready = [p for p in state.store.list("Pod") if p.is_ready() and p.meta.deletion_timestamp is None]
    assert len(ready) == 1  # below minAvailable 2 ...
    assert "PDBHolds" not in state.monitor  # ... through the crash, which is not the eviction's doing
