"""The StatefulSet controller, its manifest, user steps and its two invariants.

Each test drives the cluster model step by step (or lets the fair settle phase run) and checks a
rule of ``pkg/controller/statefulset/`` in kubernetes/kubernetes; the docstrings name it.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from kmodel.core.model import Action
from kmodel.core.run import settle, settle_steps
from kmodel.errors import InputError
from kmodel.k8s.cluster import ClusterModel, ClusterState
from kmodel.k8s.controllers.kubelet import KubeletLocal
from kmodel.k8s.controllers.statefulset import (
    POD_INDEX_LABEL,
    POD_NAME_LABEL,
    StatefulSetController,
    is_running_and_ready,
    parent_and_ordinal,
    update_stateful_set,
)
from kmodel.k8s.invariants import at_most_one_pod_per_ordinal, statefulset_converges
from kmodel.k8s.objects import READY, Condition, ObjectMeta, OwnerReference, Pod, PodStatus, StatefulSet
from kmodel.manifests import parse_documents
from kmodel.scenario import scenario_from_data

STS = "statefulset-controller"


def sts_doc(replicas: int = 3, policy: str | None = None, probe: bool = False) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "db", "image": "postgres:17", "resources": {"requests": {"cpu": "500m"}}}
    if probe:
        container["readinessProbe"] = {"initialDelaySeconds": 5}
    spec: dict[str, Any] = {
        "serviceName": "db",
        "replicas": replicas,
        "selector": {"matchLabels": {"app": "db"}},
        "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [container]}},
    }
    if policy is not None:
        spec["podManagementPolicy"] = policy
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"}, "spec": spec}


def scenario(
    replicas: int = 3,
    policy: str | None = None,
    faults: dict[str, int] | None = None,
    user: list[dict[str, Any]] | None = None,
    start: str = "settled",
    probe: bool = False,
) -> ClusterModel:
    data = {
        "apiVersion": "kmodel/v1",
        "kind": "Scenario",
        "metadata": {"name": "t"},
        "spec": {
            "nodes": [{"name": f"node-{i}", "capacity": {"cpu": "2", "memory": "4Gi"}} for i in (1, 2, 3)],
            "objects": [sts_doc(replicas, policy, probe)],
            "faults": {"nodePartition": 1} if faults is None else faults,
            "user": user
            or [
                {"op": "scale", "target": "StatefulSet/db", "replicas": [0, 5]},
                {"op": "deletePod", "target": "StatefulSet/db"},
                {"op": "forceDeletePod", "target": "StatefulSet/db"},
            ],
            "start": start,
        },
    }
    return scenario_from_data(data, "test").model()


def run(model: ClusterModel, state: ClusterState, *actions: Action) -> ClusterState:
    for a in actions:
        nxt = model.step(state, a)
        assert nxt is not None, f"{a} not enabled"
        state = nxt
    return state


def settled(model: ClusterModel, state: ClusterState) -> ClusterState:
    outcome = settle(model, state)
    assert outcome.settled
    assert outcome.failure is None or outcome.failure[0].kind == "eventually", outcome.failure
    return outcome.state


def pods(state: ClusterState) -> dict[str, Pod]:
    return {p.meta.name: p for p in state.store.list("Pod")}


def running(state: ClusterState, node: str) -> dict[str, str]:
    """pod name → uid of what the node's container runtime actually runs."""
    local = state.components[f"kubelet/{node}"].local
    assert isinstance(local, KubeletLocal)
    return {rt.name: uid for uid, rt in local.pods.items() if rt.running}


def scale(replicas: int) -> Action:
    return Action.of("scale", target="StatefulSet/db", replicas=replicas)


def delete_pod(ordinal: int, force: bool = False) -> Action:
    return Action.of("forceDeletePod" if force else "deletePod", target="StatefulSet/db", index=ordinal)


# -- identity ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("db-0", ("db", 0)),
        ("my-db-12", ("my-db", 12)),  # the regex is greedy: the parent keeps its own dashes
        ("db", ("", -1)),  # no -<digits> suffix: not a StatefulSet pod
        ("db-x1", ("", -1)),
        ("db-2147483648", ("db", -1)),  # ParseInt(..., 10, 32) fails: ordinal -1
    ],
)
def test_parent_and_ordinal_follows_stateful_pod_regex(name: str, expected: tuple[str, int]) -> None:
    """``stateful_set_utils.go: getParentNameAndOrdinal`` with ``statefulPodRegex = (.*)-([0-9]+)$``."""
    assert parent_and_ordinal(name) == expected


def test_pods_are_named_by_ordinal_and_carry_their_identity() -> None:
    """``newStatefulSetPod``: name ``<set>-<ordinal>``, the template's labels plus the pod-name and
    pod-index labels (``updateIdentity``), and a controller ownerReference to the set."""
    model = scenario()
    state = model.initial()
    sset = state.store.get(("StatefulSet", "default", "db"))
    assert sorted(pods(state)) == ["db-0", "db-1", "db-2"]
    for name, pod in pods(state).items():
        assert pod.meta.labels[POD_NAME_LABEL] == name
        assert pod.meta.labels[POD_INDEX_LABEL] == name.removeprefix("db-")
        assert pod.meta.labels["app"] == "db"
        ref = pod.meta.controller_ref()
        assert ref is not None and (ref.kind, ref.name, ref.uid) == ("StatefulSet", "db", sset.meta.uid)
        assert is_running_and_ready(pod)
    assert (sset.status.replicas, sset.status.ready_replicas, sset.status.observed_generation) == (3, 3, 1)
    assert statefulset_converges(state) is None
    assert at_most_one_pod_per_ordinal(state) is None


def test_controller_is_registered_only_for_scenarios_with_a_statefulset() -> None:
    from kmodel.k8s.controllers.replicaset import NAME as RS

    assert STS in scenario().components
    data = {
        "apiVersion": "kmodel/v1",
        "kind": "Scenario",
        "metadata": {"name": "t"},
        "spec": {"nodes": [{"name": "n", "capacity": {"cpu": "1", "memory": "1Gi"}}]},
    }
    plain = scenario_from_data(data, "test").model()
    assert STS not in plain.components and RS in plain.components


# -- OrderedReady vs Parallel -----------------------------------------------------------------


def test_ordered_ready_creates_each_ordinal_after_its_predecessor_is_running_and_ready() -> None:
    """``processReplica`` (monotonic): an empty slot is created and the sync ends; a created pod
    that is not Running and Ready ends the sync. So at the moment ``db-i`` appears, every lower
    ordinal is Running and Ready, and at most one pod is ever on its way up."""
    model = scenario(start="applied", probe=True)
    state = model.initial()
    assert pods(state) == {}
    seen: list[str] = []
    last = state
    for _, last in settle_steps(model, state):
        current = pods(last)
        for name in sorted(current):
            if name not in seen:
                seen.append(name)
                ordinal = parent_and_ordinal(name)[1]
                for lower in range(ordinal):
                    assert is_running_and_ready(current[f"db-{lower}"]), f"{name} created before db-{lower} was ready"
        assert sum(1 for p in current.values() if not is_running_and_ready(p)) <= 1
    assert seen == ["db-0", "db-1", "db-2"]
    assert statefulset_converges(last) is None


def test_parallel_creates_every_missing_ordinal_in_one_sync() -> None:
    """``Parallel`` is burst (``allowsBurst``): ``runForAll`` goes through ``slowStartBatch`` and a
    created pod does not end the sync, so one reconcile creates every missing ordinal."""
    model = scenario(start="applied", policy="Parallel", probe=True)
    state = model.initial()
    state = run(model, state, Action.of("reconcile", component=STS))  # its initial LIST queued the set
    assert sorted(pods(state)) == ["db-0", "db-1", "db-2"]
    assert statefulset_converges(settled(model, state)) is None


def _pod(name: str, phase: str = "Running", ready: bool = True, terminating: bool = False) -> Pod:
    ref = OwnerReference("apps/v1", "StatefulSet", "db", "uid-sts", controller=True)
    meta = ObjectMeta(
        name=name, namespace="default", owner_references=(ref,), deletion_timestamp=5 if terminating else None
    )
    status = PodStatus(phase=phase, conditions=(Condition(READY, "True" if ready else "False"),))
    return Pod(meta=meta, status=status)


def _set(replicas: int, policy: str = "OrderedReady") -> StatefulSet:
    model = scenario(replicas=replicas, policy=policy, start="applied")
    sset = model.initial().store.get(("StatefulSet", "default", "db"))
    assert isinstance(sset, StatefulSet)
    return sset


def _summary(reqs: list[Any]) -> list[tuple[str, str]]:
    return [(r.verb, r.key[2]) for r in reqs]


def test_running_but_not_ready_predecessor_blocks_the_next_ordinal() -> None:
    """ "We must ensure that ... all of its predecessors ... are Running and Ready": db-0 Running
    but not Ready stops OrderedReady; Parallel creates db-1 and db-2 anyway."""
    waiting = [_pod("db-0", ready=False)]
    assert _summary(update_stateful_set(_set(3), waiting)) == []
    assert _summary(update_stateful_set(_set(3, "Parallel"), waiting)) == [("create", "db-1"), ("create", "db-2")]
    assert _summary(update_stateful_set(_set(3), [_pod("db-0")])) == [("create", "db-1")]


def test_failed_pod_is_deleted_and_recreated_only_once_gone() -> None:
    """``processReplica``: a Failed pod is deleted (unless already terminating) and "New pod should
    be generated on the next sync after the current pod is removed from etcd"."""
    sset = _set(2)
    assert _summary(update_stateful_set(sset, [_pod("db-0"), _pod("db-1", phase="Failed")])) == [("delete", "db-1")]
    failed_terminating = _pod("db-1", phase="Failed", terminating=True)
    assert _summary(update_stateful_set(sset, [_pod("db-0"), failed_terminating])) == []
    assert _summary(update_stateful_set(sset, [_pod("db-0")])) == [("create", "db-1")]


# -- the wait for a Terminating pod ------------------------------------------------------------


def test_terminating_pod_is_never_recreated_while_its_name_exists() -> None:
    """``processReplica``: "If we find a Pod that is currently terminating, we must wait until
    graceful deletion completes". db-1 is deleted gracefully while its node is partitioned, so its
    kubelet never confirms: db-1 stays Terminating, runs only on its own node, and (OrderedReady)
    even a scale-up to 4 waits behind it. Once the partition heals the kubelet stops it, frees the
    name, and the controller recreates db-1 under a new uid and then db-3."""
    model = scenario()
    state = model.initial()
    old = pods(state)["db-1"]
    node = old.spec.node_name
    state = run(model, state, Action.of("partition_node", node=node), delete_pod(1), scale(4))
    state = settled(model, state)
    now = pods(state)
    assert now["db-1"].meta.uid == old.meta.uid and now["db-1"].meta.deletion_timestamp is not None
    assert "db-3" not in now  # blocked behind the Terminating ordinal
    assert running(state, node).get("db-1") == old.meta.uid  # the containers never stopped
    assert all("db-1" not in running(state, n) for n in model.node_names if n != node)
    assert at_most_one_pod_per_ordinal(state) is None
    assert "db-1 is still Terminating" in (statefulset_converges(state) or "")
    state = settled(model, run(model, state, Action.of("heal_node", node=node)))
    now = pods(state)
    assert now["db-1"].meta.uid != old.meta.uid
    assert sorted(now) == ["db-0", "db-1", "db-2", "db-3"]
    assert statefulset_converges(state) is None


def test_parallel_also_waits_for_the_terminating_name_but_not_behind_it() -> None:
    """Parallel skips the blocking checks, but a slot whose pod is Terminating is not empty, so
    that ordinal is still not recreated; the other ordinals proceed (db-3 is created)."""
    model = scenario(policy="Parallel")
    state = model.initial()
    old = pods(state)["db-1"]
    state = run(model, state, Action.of("partition_node", node=old.spec.node_name), delete_pod(1), scale(4))
    state = settled(model, state)
    now = pods(state)
    assert now["db-1"].meta.uid == old.meta.uid and now["db-1"].meta.deletion_timestamp is not None
    assert is_running_and_ready(now["db-3"])


# -- scale-down --------------------------------------------------------------------------------


def _deletion_order(model: ClusterModel, state: ClusterState) -> list[tuple[str, set[str]]]:
    """(pod, the pods still in the API) each time a pod first gets its deletionTimestamp."""
    marked: list[tuple[str, set[str]]] = []
    for _, st in settle_steps(model, state):
        for name, p in sorted(pods(st).items()):
            if p.meta.deletion_timestamp is not None and name not in [m for m, _ in marked]:
                marked.append((name, set(pods(st))))
    return marked


def test_ordered_ready_scales_down_from_the_highest_ordinal_one_at_a_time() -> None:
    """``processCondemned`` on ``descendingOrdinal``: db-2 goes first; db-1 is deleted only once
    db-2 is gone ("block and wait for terminating pods to expire")."""
    model = scenario()
    state = run(model, model.initial(), scale(1))
    order = _deletion_order(model, state)
    assert [name for name, _ in order] == ["db-2", "db-1"]
    assert "db-2" not in order[1][1]
    assert sorted(pods(settled(model, state))) == ["db-0"]


def test_parallel_scale_down_deletes_every_condemned_pod_at_once() -> None:
    model = scenario(policy="Parallel")
    state = run(model, model.initial(), scale(1))
    order = _deletion_order(model, state)
    assert [name for name, _ in order] == ["db-1", "db-2"]  # marked in the same step (listed by name)
    assert order[0][1] == order[1][1] == {"db-0", "db-1", "db-2"}


# -- force deletion under a partition ----------------------------------------------------------


def test_force_delete_under_partition_runs_the_identity_twice() -> None:
    """The documented hazard (kubernetes.io/docs/tasks/run-application/force-delete-stateful-set-pod):
    db-1's node is partitioned; the node lifecycle controller marks it Unknown and evicts db-1,
    which stays Terminating because its kubelet cannot confirm. A graceful delete changes nothing;
    ``kubectl delete pod db-1 --grace-period=0 --force`` frees the name, the controller recreates
    db-1 on a reachable node, and the old containers still run on the partitioned one."""
    model = scenario(faults={"nodePartition": 1})
    state = model.initial()
    old = pods(state)["db-1"]
    node = old.spec.node_name
    state = settled(model, run(model, state, Action.of("partition_node", node=node)))
    assert pods(state)["db-1"].meta.deletion_timestamp is not None  # evicted, still Terminating
    assert model.step(state, delete_pod(1)) is None  # a graceful delete of a Terminating pod: nothing to do
    state = run(model, state, delete_pod(1, force=True))
    outcome = settle(model, state)
    assert outcome.failure is not None and outcome.failure[0].name == "AtMostOnePodPerOrdinal"
    assert "db-1" in outcome.failure[1] and node in outcome.failure[1]
    new = pods(outcome.state)["db-1"]
    assert new.meta.uid != old.meta.uid and new.spec.node_name != node
    assert running(outcome.state, node)["db-1"] == old.meta.uid
    assert running(outcome.state, new.spec.node_name)["db-1"] == new.meta.uid


# -- scenario and manifest inputs --------------------------------------------------------------


def test_manifest_defaults_follow_set_defaults_stateful_set() -> None:
    """``pkg/apis/apps/v1/defaults.go: SetDefaults_StatefulSet``: OrderedReady, RollingUpdate with
    partition 0, replicas 1, revisionHistoryLimit 10."""
    doc = sts_doc()
    del doc["spec"]["replicas"]
    (sset,) = parse_documents([doc], "app.yaml")
    assert isinstance(sset, StatefulSet)
    spec = sset.spec
    assert (spec.pod_management_policy, spec.update_strategy_type, spec.partition) == (
        "OrderedReady",
        "RollingUpdate",
        0,
    )
    assert (spec.replicas, spec.revision_history_limit, spec.service_name) == (1, 10, "db")


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"podManagementPolicy": "Burst"}, "spec.podManagementPolicy: must be 'OrderedReady' or 'Parallel'"),
        ({"updateStrategy": {"type": "OnDelete", "rollingUpdate": {}}}, "spec.updateStrategy.rollingUpdate:"),
        ({"updateStrategy": {"type": "Recreate"}}, "spec.updateStrategy.type: expected RollingUpdate or OnDelete"),
        ({"selector": {"matchLabels": {"app": "other"}}}, "spec.template.metadata: labels"),
        ({"replicas": -1}, "spec.replicas:"),
    ],
)
def test_manifest_errors_name_the_field(patch: dict[str, Any], message: str) -> None:
    """``ValidateStatefulSetSpec``: the checks the model relies on, reported with field paths."""
    doc = sts_doc()
    doc["spec"].update(patch)
    with pytest.raises(InputError) as info:
        parse_documents([doc], "app.yaml")
    assert message in str(info.value)


def test_restart_policy_must_be_always() -> None:
    doc = sts_doc()
    doc["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    with pytest.raises(InputError) as info:
        parse_documents([doc], "app.yaml")
    assert "spec.template.spec.restartPolicy:" in str(info.value)


def test_shipped_manifest_parses() -> None:
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "properties" / "scenarios" / "manifests" / "sts-db.yaml"
    (sset,) = parse_documents(list(yaml.safe_load_all(path.read_text())), str(path))
    assert isinstance(sset, StatefulSet) and sset.spec.replicas == 3


def test_delete_pod_targets_the_ordinal_and_force_reaches_terminating_pods() -> None:
    """For a StatefulSet, ``index`` is the ordinal (a stable name). ``deletePod`` is enabled only
    for a pod not yet Terminating; ``forceDeletePod`` also for a Terminating one."""
    model = scenario()
    state = run(model, model.initial(), delete_pod(2))
    assert pods(state)["db-2"].meta.deletion_timestamp is not None
    assert all(pods(state)[n].meta.deletion_timestamp is None for n in ("db-0", "db-1"))
    assert model.step(state, delete_pod(2)) is None
    state = run(model, state, delete_pod(2, force=True))
    assert "db-2" not in pods(state)


def test_status_counts_terminating_pods_as_replicas_but_not_current() -> None:
    """``computeReplicaStatus``: replicas counts created pods; current/updated only those not
    terminating; ready those Running and Ready."""
    model = scenario()
    state = run(model, model.initial(), Action.of("partition_node", node=pods(model.initial())["db-1"].spec.node_name))
    state = run(model, state, delete_pod(1))
    state = run(model, state, Action.of("deliver", component=STS), Action.of("reconcile", component=STS))
    status = state.store.get(("StatefulSet", "default", "db")).status
    assert (status.replicas, status.current_replicas, status.updated_replicas, status.ready_replicas) == (3, 2, 2, 3)


def test_controller_requeues_a_failed_sync() -> None:
    """A failed create (here AlreadyExists from a lagging cache) fails the sync; it is retried."""
    from kmodel.k8s.store import Request, Result

    comp = StatefulSetController()
    req = Request("create", ("Pod", "default", "db-0"), tag=("sts-create", ("default", "db"), "db-0"))
    local = comp.on_result(comp.initial_local(), req, Result(False, "AlreadyExists"), None)  # type: ignore[arg-type]
    assert local.queue == (("default", "db"),)
