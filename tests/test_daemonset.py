"""The DaemonSet controller, its manifest, its user steps and the DaemonSetConverges invariant.

Each test checks a rule of ``pkg/controller/daemon/`` in kubernetes/kubernetes (Kubernetes 1.34);
the docstrings name it. Some drive the whole cluster model (``start: settled`` or the fair settle
phase), others call the controller's decisions on hand-made objects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml

from kmodel.core.fmap import FMap
from kmodel.core.model import Action
from kmodel.core.run import settle
from kmodel.errors import InputError
from kmodel.k8s.cluster import ClusterModel, ClusterState
from kmodel.k8s.controllers.daemonset import (
    DAEMON_TOLERATIONS,
    HASH_LABEL,
    NAME,
    DaemonSetController,
    DaemonSetLocal,
    add_or_update_tolerations,
    manage,
    node_should_run,
    nodes_to_daemon_pods,
    pod_for_node,
    rolling_update,
    target_node,
    template_hash,
)
from kmodel.k8s.informers import View
from kmodel.k8s.invariants import daemonset_converges
from kmodel.k8s.objects import (
    READY,
    TAINT_NOT_READY,
    TAINT_UNSCHEDULABLE,
    Condition,
    DaemonSet,
    Node,
    NodeSpec,
    NodeStatus,
    ObjectMeta,
    Pod,
    PodStatus,
    Taint,
    Toleration,
)
from kmodel.manifests import parse_documents
from kmodel.scenario import scenario_from_data

SCENARIOS = Path(__file__).resolve().parents[1] / "properties" / "scenarios"


def ds_doc(strategy: dict[str, Any] | None = None, cpu: str = "100m", **template: Any) -> dict[str, Any]:
    container = {"name": "agent", "image": "agent:1.0", "resources": {"requests": {"cpu": cpu}}}
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": "agent"}},
        "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"containers": [container], **template}},
    }
    if strategy is not None:
        spec["updateStrategy"] = strategy
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"}, "spec": spec}


def scenario(
    objects: list[dict[str, Any]] | None = None,
    nodes: list[dict[str, Any]] | None = None,
    faults: dict[str, int] | None = None,
    user: list[dict[str, Any]] | None = None,
) -> ClusterModel:
    data = {
        "apiVersion": "kmodel/v1",
        "kind": "Scenario",
        "metadata": {"name": "t"},
        "spec": {
            "nodes": nodes or [{"name": f"node-{i}", "capacity": {"cpu": "2", "memory": "4Gi"}} for i in (1, 2, 3)],
            "objects": objects or [ds_doc()],
            "faults": faults or {"nodeCrash": 1},
            "user": user or [{"op": "rollout", "target": "DaemonSet/agent", "images": ["agent:1.0", "agent:2.0"]}],
            "start": "settled",
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
    return outcome.state


def daemon_pods_by_node(state: ClusterState) -> dict[str, list[Pod]]:
    ds = state.store.get(("DaemonSet", "default", "agent"))
    return nodes_to_daemon_pods(ds, state.store.list("Pod"))


def the_set(strategy: dict[str, Any] | None = None, **template: Any) -> DaemonSet:
    (ds,) = parse_documents([ds_doc(strategy, **template)], "ds.yaml")
    return attrs.evolve(ds, meta=attrs.evolve(ds.meta, uid="ds-uid", generation=1))


def node(name: str, *taints: Taint, labels: dict[str, str] | None = None) -> Node:
    return Node(meta=ObjectMeta(name=name, labels=FMap(labels or {})), spec=NodeSpec(taints=taints))


def daemon_pod(ds: DaemonSet, node_name: str, name: str, *, created: int = 0, ready: bool = True, **kw: Any) -> Pod:
    """A pod ``pod_for_node`` would create, bound to ``node_name`` (``bound`` False: Pending)."""
    pod = pod_for_node(ds, node_name, kw.pop("hash_", template_hash(ds)))
    bound = kw.pop("bound", True)
    phase = kw.pop("phase", "Running")
    status = PodStatus(phase=phase, conditions=(Condition(READY, "True" if ready else "False"),))
    meta = attrs.evolve(pod.meta, name=name, uid=f"uid-{name}", creation_timestamp=created, **kw)
    return attrs.evolve(
        pod, meta=meta, spec=attrs.evolve(pod.spec, node_name=node_name if bound else ""), status=status
    )


# -- the cluster --------------------------------------------------------------------------------


def test_one_pod_per_node_with_the_daemon_tolerations_and_a_node_affinity() -> None:
    """``syncNodes``: one pod per node, made by ``CreatePodTemplate`` (the revision hash label and
    ``AddOrUpdateDaemonPodTolerations``) with ``ReplaceDaemonSetPodNodeNameNodeAffinity``'s
    ``matchFields metadata.name In [node]``, bound by the default scheduler to that node."""
    model = scenario()
    state = model.initial()
    ds = state.store.get(("DaemonSet", "default", "agent"))
    by_node = daemon_pods_by_node(state)
    assert sorted(by_node) == ["node-1", "node-2", "node-3"]
    for name, pods in by_node.items():
        (pod,) = pods
        assert pod.spec.node_name == name and pod.is_ready()
        assert pod.meta.generate_name == "agent-"
        assert pod.meta.labels[HASH_LABEL] == template_hash(ds)
        (term,) = pod.spec.affinity_required
        assert [(r.key, r.operator, r.values) for r in term.match_fields] == [("metadata.name", "In", (name,))]
        assert set(DAEMON_TOLERATIONS) <= set(pod.spec.tolerations)
        ref = pod.meta.controller_ref()
        assert ref is not None and (ref.kind, ref.uid, ref.block_owner_deletion) == ("DaemonSet", ds.meta.uid, True)
    s = ds.status
    assert (s.desired_number_scheduled, s.current_number_scheduled, s.number_ready, s.updated_number_scheduled) == (
        3,
        3,
        3,
        3,
    )
    assert (s.number_misscheduled, s.number_unavailable, s.observed_generation) == (0, 0, ds.meta.generation)
    assert daemonset_converges(state) is None


def test_controller_is_registered_only_for_scenarios_with_a_daemonset() -> None:
    assert NAME in scenario().components
    data = {
        "apiVersion": "kmodel/v1",
        "kind": "Scenario",
        "metadata": {"name": "t"},
        "spec": {"nodes": [{"name": "n", "capacity": {"cpu": "1", "memory": "1Gi"}}]},
    }
    plain = scenario_from_data(data, "test").model()
    assert NAME not in plain.components
    assert "DaemonSetConverges" not in [p.name for p in plain.properties()]
    assert "DaemonSetConverges" in [p.name for p in scenario().properties()]


def test_rollout_replaces_every_pod_with_the_new_revision() -> None:
    """``kubectl set image`` on a DaemonSet: ``rollingUpdate`` (maxUnavailable 1) and the manage
    loop replace each old pod; after settling every pod runs the new image."""
    model = scenario()
    state = model.initial()
    old_hash = template_hash(state.store.get(("DaemonSet", "default", "agent")))
    state = settled(model, run(model, state, Action.of("rollout", target="DaemonSet/agent", image="agent:2.0")))
    ds = state.store.get(("DaemonSet", "default", "agent"))
    assert template_hash(ds) != old_hash
    for pods in daemon_pods_by_node(state).values():
        live = [p for p in pods if p.meta.deletion_timestamp is None]
        assert len(live) == 1 and live[0].meta.labels[HASH_LABEL] == template_hash(ds)
        assert live[0].spec.containers[0].image == "agent:2.0"
    assert ds.status.updated_number_scheduled == 3
    assert daemonset_converges(state) is None


def test_a_down_node_stalls_a_max_unavailable_1_rollout_but_not_a_surge_one() -> None:
    """kubernetes#117204: with maxUnavailable 1 the crashed node's Terminating pod counts as the
    one unavailable node (``findUpdatedPodsOnNode`` nil, nil), so the rollout stops; with maxSurge
    1 that node is the manage loop's and the others are updated."""
    crash = Action.of("crash_node", node="node-1")
    rollout = Action.of("rollout", target="DaemonSet/agent", image="agent:2.0")
    model = scenario()
    state = settled(model, run(model, model.initial(), crash, rollout))
    message = daemonset_converges(state)
    assert message is not None and "runs an old revision" in message
    surge = scenario([ds_doc({"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}})])
    state = settled(surge, run(surge, surge.initial(), crash, rollout))
    assert daemonset_converges(state) is None


def test_deleted_pod_is_recreated_on_its_node() -> None:
    model = scenario(user=[{"op": "deletePod", "target": "DaemonSet/agent"}])
    state = model.initial()
    state = settled(model, run(model, state, Action.of("deletePod", target="DaemonSet/agent", index=0)))
    assert all(len(pods) == 1 for pods in daemon_pods_by_node(state).values())
    assert daemonset_converges(state) is None


def test_invariant_names_a_pending_pod_on_a_full_node() -> None:
    """The shipped known-bad ``ds-node-full``: the pod for node-2 fits nowhere it may go."""
    path = SCENARIOS / "ds-node-full.yaml"
    model = scenario_from_data(yaml.safe_load(path.read_text()), str(path), base_dir=SCENARIOS).model()
    state = settled(model, model.initial())
    message = daemonset_converges(state)
    assert message is not None and "for node-2 is Pending: Insufficient cpu" in message


# -- NodeShouldRunDaemonPod ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("taint", "expected"),
    [
        (Taint("dedicated", "NoSchedule", "gpu"), (False, True)),  # no new pod; a running one stays
        (Taint("dedicated", "NoExecute", "gpu"), (False, False)),  # and the running one goes
        (Taint("dedicated", "PreferNoSchedule", "gpu"), (True, True)),  # not a predicate
        (Taint(TAINT_UNSCHEDULABLE, "NoSchedule"), (True, True)),  # cordon: tolerated automatically
        (Taint(TAINT_NOT_READY, "NoExecute"), (True, True)),  # tolerated automatically, forever
        (Taint(TAINT_NOT_READY, "NoSchedule"), (False, True)),  # not tolerated: no new pod on a NotReady node
        (Taint("node.kubernetes.io/memory-pressure", "NoSchedule"), (True, True)),
    ],
)
def test_node_should_run_follows_taints_and_the_daemon_tolerations(taint: Taint, expected: tuple[bool, bool]) -> None:
    """``NodeShouldRunDaemonPod`` / ``predicates`` on ``NewPod`` (with the automatic tolerations)."""
    assert node_should_run(the_set(), node("n", taint)) == expected


def test_node_selector_and_affinity_exclude_nodes_and_the_variant_ignores_taints() -> None:
    ds = the_set(nodeSelector={"role": "edge"})
    assert node_should_run(ds, node("n", labels={"role": "edge"})) == (True, True)
    assert node_should_run(ds, node("n")) == (False, False)
    tainted = node("n", Taint("dedicated", "NoSchedule", "gpu"))
    assert node_should_run(the_set(), tainted, check_taints=False) == (True, True)


def test_automatic_tolerations_replace_a_matching_one() -> None:
    """``AddOrUpdateTolerationInPodSpec``: a template toleration that ``MatchToleration``es (same
    key, operator, value, effect) is replaced (its tolerationSeconds dropped); others stay."""
    mine = Toleration(key=TAINT_NOT_READY, operator="Exists", effect="NoExecute", toleration_seconds=60)
    other = Toleration(key="dedicated", operator="Equal", value="gpu", effect="NoSchedule")
    out = add_or_update_tolerations((mine, other))
    assert out[0] == DAEMON_TOLERATIONS[0] and out[1] == other
    assert len(out) == 1 + len(DAEMON_TOLERATIONS)


def test_target_node_reads_the_node_affinity_of_an_unbound_pod() -> None:
    ds = the_set()
    assert target_node(daemon_pod(ds, "node-2", "a", bound=False)) == "node-2"
    assert target_node(daemon_pod(ds, "node-2", "a")) == "node-2"


# -- manage -------------------------------------------------------------------------------------


def test_manage_creates_where_missing_and_keeps_the_oldest_of_duplicates() -> None:
    """``podsShouldBeOnNode`` without surge: create on a node with no pod; of two running pods
    keep the oldest (``podByCreationTimestampAndPhase``); delete a Failed pod."""
    ds = the_set()
    nodes = [node("node-1"), node("node-2"), node("node-3")]
    pods = [
        daemon_pod(ds, "node-1", "young", created=20),
        daemon_pod(ds, "node-1", "old", created=10),
        daemon_pod(ds, "node-2", "failed", phase="Failed", ready=False),
    ]
    create, delete = manage(ds, nodes, nodes_to_daemon_pods(ds, pods), template_hash(ds))
    assert create == ["node-3"]
    assert sorted(p.meta.name for p in delete) == ["failed", "young"]


def test_manage_deletes_where_the_set_must_not_run_and_pods_for_missing_nodes() -> None:
    """Not shouldContinueRunning (an untolerated NoExecute taint): delete every pod there; and
    ``getUnscheduledPodsWithoutNode``: an unbound pod whose target node is gone."""
    ds = the_set()
    nodes = [node("node-1", Taint("dedicated", "NoExecute", "db"))]
    pods = [daemon_pod(ds, "node-1", "evicted"), daemon_pod(ds, "node-9", "orphaned", bound=False)]
    create, delete = manage(ds, nodes, nodes_to_daemon_pods(ds, pods), template_hash(ds))
    assert create == [] and [p.meta.name for p in delete] == ["evicted", "orphaned"]


def test_a_terminating_pod_blocks_its_replacement() -> None:
    """``shouldRun && !exists`` only: a node whose pod is being deleted gets no new pod yet."""
    ds = the_set()
    pods = [daemon_pod(ds, "node-1", "going", deletion_timestamp=5)]
    create, delete = manage(ds, [node("node-1")], nodes_to_daemon_pods(ds, pods), template_hash(ds))
    assert (create, delete) == ([], [])


# -- rollingUpdate --------------------------------------------------------------------------------


def _old_pods(ds: DaemonSet, *ready: bool) -> list[Pod]:
    return [daemon_pod(ds, f"node-{i}", f"old-{i}", ready=r, hash_="old") for i, r in enumerate(ready, start=1)]


def test_rolling_update_deletes_max_unavailable_old_pods_and_unavailable_ones_first() -> None:
    """``rollingUpdate`` without surge: an unavailable old pod is deleted at once and counts
    against maxUnavailable; available old pods only while fewer nodes are unavailable."""
    ds = the_set()
    nodes = [node(f"node-{i}") for i in (1, 2, 3)]
    hash_ = template_hash(ds)
    _, delete = rolling_update(ds, nodes, nodes_to_daemon_pods(ds, _old_pods(ds, True, True, True)), hash_)
    assert [p.meta.name for p in delete] == ["old-1"]
    _, delete = rolling_update(ds, nodes, nodes_to_daemon_pods(ds, _old_pods(ds, True, False, True)), hash_)
    assert [p.meta.name for p in delete] == ["old-2"]
    wide = the_set({"rollingUpdate": {"maxUnavailable": "50%"}})  # 50% of 3, rounded up: 2
    _, delete = rolling_update(wide, nodes, nodes_to_daemon_pods(wide, _old_pods(wide, True, True, True)), hash_)
    assert [p.meta.name for p in delete] == ["old-1", "old-2"]


def test_rolling_update_with_surge_creates_beside_and_deletes_once_available() -> None:
    """The surge branch: up to maxSurge nodes with an available old pod get a new pod; an old pod
    whose new pod is available is deleted."""
    ds = the_set({"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}})
    hash_ = template_hash(ds)
    nodes = [node(f"node-{i}") for i in (1, 2, 3)]
    create, delete = rolling_update(ds, nodes, nodes_to_daemon_pods(ds, _old_pods(ds, True, True, True)), hash_)
    assert (create, delete) == (["node-1"], [])
    pods = [*_old_pods(ds, True, True, True), daemon_pod(ds, "node-1", "new-1", created=5)]
    create, delete = rolling_update(ds, nodes, nodes_to_daemon_pods(ds, pods), hash_)
    assert [p.meta.name for p in delete] == ["old-1"] and create == ["node-2"]


# -- expectations -------------------------------------------------------------------------------


def test_expectations_stop_a_lagging_cache_from_creating_twice() -> None:
    """``syncDaemonSet``: while the creations of the last sync are not observed
    (``SatisfiedExpectations``), only status is written — the cache still shows no pods."""
    ds = the_set()
    cache = FMap(
        {
            "DaemonSet": FMap({("default", "agent"): ds}),
            "Node": FMap({("", "node-1"): node("node-1")}),
        }
    )
    ctrl = DaemonSetController()
    view = View(cache, now=0)
    local = DaemonSetLocal(queue=(("default", "agent"),))
    local, reqs = ctrl.reconcile(local, view)
    assert [r.verb for r in reqs if r.verb == "create"] == ["create"]
    local = attrs.evolve(local, queue=(("default", "agent"),))
    _, reqs = ctrl.reconcile(local, view)
    assert [r.verb for r in reqs if r.verb == "create"] == []


# -- the manifest -------------------------------------------------------------------------------


def test_manifest_defaults_follow_set_defaults_daemon_set() -> None:
    """``pkg/apis/apps/v1/defaults.go: SetDefaults_DaemonSet``: RollingUpdate, maxUnavailable 1,
    maxSurge 0, revisionHistoryLimit 10."""
    spec = the_set().spec
    assert (spec.update_strategy_type, spec.max_unavailable, spec.max_surge) == ("RollingUpdate", 1, 0)
    assert (spec.revision_history_limit, spec.min_ready_seconds) == (10, 0)
    on_delete = the_set({"type": "OnDelete"}).spec
    assert (on_delete.max_unavailable, on_delete.max_surge) == (None, None)


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        ({"rollingUpdate": {"maxUnavailable": 0}}, "rollingUpdate.maxUnavailable: cannot be 0 when maxSurge is 0"),
        ({"rollingUpdate": {"maxSurge": 1}}, "rollingUpdate.maxSurge: may not be set when maxUnavailable is non-zero"),
        ({"rollingUpdate": {"maxUnavailable": "150%"}}, "rollingUpdate.maxUnavailable: must not be greater than 100%"),
        ({"rollingUpdate": {"maxUnavailable": -1}}, "rollingUpdate.maxUnavailable: must be greater than or equal"),
        ({"type": "OnDelete", "rollingUpdate": {}}, "spec.updateStrategy.rollingUpdate: only allowed"),
        ({"type": "Recreate"}, "spec.updateStrategy.type: expected RollingUpdate or OnDelete"),
    ],
)
def test_manifest_errors_name_the_field(strategy: dict[str, Any], message: str) -> None:
    """``ValidateDaemonSetUpdateStrategy`` / ``ValidateRollingUpdateDaemonSet``, with field paths."""
    with pytest.raises(InputError) as info:
        parse_documents([ds_doc(strategy)], "ds.yaml")
    assert message in str(info.value)


def test_selector_must_match_and_restart_policy_be_always() -> None:
    doc = ds_doc()
    doc["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    with pytest.raises(InputError, match=r"spec\.template\.metadata: labels"):
        parse_documents([doc], "ds.yaml")
    with pytest.raises(InputError, match="restartPolicy"):
        parse_documents([ds_doc(restartPolicy="OnFailure")], "ds.yaml")


def test_shipped_manifests_parse() -> None:
    for name in ("ds-agent.yaml", "ds-agent-surge.yaml"):
        path = SCENARIOS / "manifests" / name
        (ds,) = parse_documents(list(yaml.safe_load_all(path.read_text())), str(path))
        assert isinstance(ds, DaemonSet)


def test_node_status_is_not_a_predicate() -> None:
    """Node readiness is no predicate of its own: only the taints that come with it are."""
    down = Node(
        meta=ObjectMeta(name="n"),
        status=NodeStatus(conditions=(Condition(READY, "Unknown"),)),
    )
    assert node_should_run(the_set(), down) == (True, True)


# -- plain manifests (kmodel.wrap) --------------------------------------------------------------


def test_wrapped_manifests_keep_room_for_daemon_pods_and_do_not_scale_them(tmp_path: Path) -> None:
    """``kmodel check app.yaml``: each node first keeps room for one pod of every DaemonSet, then
    holds the scaled workloads N+1; no ``scale`` op targets the DaemonSet. (Checking the wrapped
    app takes about 40 s of the deviation-bounded search: left to the scenario runs.)"""
    from kmodel.inputs import load_inputs
    from kmodel.wrap import size_nodes

    web = ds_doc(cpu="1")
    web["kind"], web["metadata"], web["spec"]["replicas"] = "Deployment", {"name": "web"}, 6
    (tmp_path / "app.yaml").write_text(yaml.safe_dump_all([ds_doc(cpu="1"), web]))
    (sc,) = load_inputs([str(tmp_path / "app.yaml")])
    s = size_nodes(sc.config.objects, "app.yaml")
    # 8 web pods at the peak (6 + 2) of 1 cpu; a 4-cpu node keeps 1 cpu for the agent: 3 to a node
    assert (s.slots, s.count, s.daemon) == (3, 4, {"cpu": 1000, "pods": 1})
    assert [op["target"] for op in sc.resolved["spec"]["user"]] == ["Deployment/web"]
    assert sc.config.nodes[0].status.capacity["cpu"] == 4000
    (tmp_path / "agent.yaml").write_text(yaml.safe_dump(ds_doc()))
    (alone,) = load_inputs([str(tmp_path / "agent.yaml")])
    assert size_nodes(alone.config.objects, "agent.yaml").count == 2  # no scaled pods, but a node to lose


def test_node_symmetry_is_off_with_a_daemonset() -> None:
    """The controller creates per node in node-name order (slow-start batches), so identical
    nodes are not treated as interchangeable (``kmodel.k8s.symmetry.interchangeable_classes``)."""
    from kmodel.k8s.symmetry import interchangeable_classes

    assert interchangeable_classes(scenario().config) == ()


@pytest.mark.parametrize("policy", ["Background", "Foreground"])
def test_deleting_the_set_deletes_its_pods(policy: str) -> None:
    """``syncDaemonSet`` leaves a set being deleted alone; the garbage collector deletes its pods
    (their controllerRef has blockOwnerDeletion), then (foreground) the set."""
    model = scenario(user=[{"op": "delete", "target": "DaemonSet/agent", "propagationPolicy": policy}])
    state = run(model, model.initial(), Action.of("delete", target="DaemonSet/agent", propagation=policy))
    state = settled(model, state)
    assert state.store.get(("DaemonSet", "default", "agent")) is None
    assert state.store.list("Pod") == []


def test_on_delete_replaces_only_deleted_pods() -> None:
    """Strategy OnDelete: ``updateDaemonSet`` runs no ``rollingUpdate``; a template change reaches
    a node only when its pod is deleted, and DaemonSetConverges does not ask for the new revision."""
    model = scenario(
        [ds_doc({"type": "OnDelete"})],
        user=[
            {"op": "rollout", "target": "DaemonSet/agent", "images": ["agent:2.0"]},
            {"op": "deletePod", "target": "DaemonSet/agent"},
        ],
    )
    state = settled(
        model, run(model, model.initial(), Action.of("rollout", target="DaemonSet/agent", image="agent:2.0"))
    )
    images = sorted(p.spec.containers[0].image for p in state.store.list("Pod"))
    assert images == ["agent:1.0"] * 3
    assert daemonset_converges(state) is None
    state = settled(model, run(model, state, Action.of("deletePod", target="DaemonSet/agent", index=0)))
    images = sorted(p.spec.containers[0].image for p in state.store.list("Pod"))
    assert images == ["agent:1.0", "agent:1.0", "agent:2.0"]


def test_timeline_metrics_count_the_nodes_it_should_run_on() -> None:
    from kmodel.k8s.metrics import workload_metrics

    nodes = [{"name": f"node-{i}", "capacity": {"cpu": "2", "memory": "4Gi"}} for i in (1, 2)]
    nodes.append({"name": "gpu", "capacity": {"cpu": "2", "memory": "4Gi"}, "taints": [TAINTED]})
    state = scenario(nodes=nodes).initial()
    assert workload_metrics(state) == {
        "DaemonSet/agent active": 2,
        "DaemonSet/agent desired": 2,
        "DaemonSet/agent ready": 2,
    }


TAINTED = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}


def test_node_events_wake_the_sets_they_concern() -> None:
    """``addNode``: sets that should run on the new node; ``updateNode``: sets whose (shouldRun,
    shouldContinueRunning) changed — a heartbeat wakes nothing; a deleted node is not handled."""
    from kmodel.k8s.store import Event

    ds = the_set(nodeSelector={"role": "edge"})
    view = View(FMap({"DaemonSet": FMap({("default", "agent"): ds})}), now=0)
    ctrl = DaemonSetController()
    edge = node("n", labels={"role": "edge"})
    other = node("m")
    queue = (("default", "agent"),)
    assert ctrl.on_event(DaemonSetLocal(), Event("ADDED", 1, edge.key, edge), None, view).queue == queue
    assert ctrl.on_event(DaemonSetLocal(), Event("ADDED", 1, other.key, other), None, view).queue == ()
    beat = attrs.evolve(edge, status=NodeStatus(conditions=(Condition(READY, "True", last_heartbeat_time=9),)))
    assert ctrl.on_event(DaemonSetLocal(), Event("MODIFIED", 2, edge.key, beat), edge, view).queue == ()
    tainted = attrs.evolve(edge, spec=NodeSpec(taints=(Taint("dedicated", "NoExecute", "db"),)))
    assert ctrl.on_event(DaemonSetLocal(), Event("MODIFIED", 3, edge.key, tainted), edge, view).queue == queue
    assert ctrl.on_event(DaemonSetLocal(), Event("DELETED", 4, edge.key, edge), edge, view).queue == ()


def test_a_template_pinned_by_node_name_is_refused() -> None:
    """Upstream runs such a set only on that node (``NodeShouldRunDaemonPod``); kmodel does not
    model it and says so, with the field path."""
    with pytest.raises(InputError, match=r"spec\.template\.spec\.nodeName: a DaemonSet template with nodeName"):
        parse_documents([ds_doc(nodeName="node-1")], "ds.yaml")


def _with_pod(state: ClusterState, pod: Pod) -> ClusterState:
    return attrs.evolve(state, store=attrs.evolve(state.store, objects=state.store.objects.set(pod.key, pod)))


def test_invariant_on_pods_for_missing_and_tainted_nodes() -> None:
    """A live unbound pod for a node that is gone is the controller's leftover
    (``getUnscheduledPodsWithoutNode``): a violation; a bound one is the pod GC's (not modelled):
    none. A second pod on a node is one too many."""
    model = scenario()
    state = model.initial()
    ds = state.store.get(("DaemonSet", "default", "agent"))
    assert daemonset_converges(_with_pod(state, daemon_pod(ds, "node-9", "gone", bound=True))) is None
    message = daemonset_converges(_with_pod(state, daemon_pod(ds, "node-9", "stray", bound=False)))
    assert message is not None and "pod stray is for node-9, which does not exist" in message
    message = daemonset_converges(_with_pod(state, daemon_pod(ds, "node-2", "twin", created=99)))
    assert message is not None and "2 pods on node-2" in message
