"""Scenario files: strict keys with hints, typed fields with paths, manifests, resolved form."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from kmodel.errors import InputError
from kmodel.scenario import Budget, load_scenario, scenario_from_data
from kmodel.yamlio import dump, load_documents

APP = """\
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - {name: web, image: nginx, resources: {requests: {cpu: 500m, memory: 256Mi}}}
"""


def rs_obj(name: str = "web", replicas: int = 2) -> dict[str, Any]:
    doc = yaml.safe_load(APP)
    doc["metadata"]["name"] = name
    doc["spec"]["replicas"] = replicas
    return doc


def scenario(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "nodes": [{"name": "node-1", "capacity": {"cpu": "2", "memory": "4Gi"}}],
        "start": "applied",
    }
    base.update(spec)
    return {"apiVersion": "kmodel/v1", "kind": "Scenario", "metadata": {"name": "t"}, "spec": base}


def error_of(data: Any, base_dir: Path | None = None) -> str:
    with pytest.raises(InputError) as info:
        scenario_from_data(data, "s.yaml", base_dir)
    return str(info.value)


# -- the built-in default ----------------------------------------------------------------------


def test_default_scenario_loads() -> None:
    s = load_scenario()
    assert s.name == "web-node-crash"
    assert s.description
    assert [n.meta.name for n in s.config.nodes] == ["node-1", "node-2", "node-3"]
    assert all(n.status.capacity["cpu"] == 4000 for n in s.config.nodes)  # N+2: one node fits 5 × 500m
    assert all(n.status.capacity["memory"] == 4 * 2**30 for n in s.config.nodes)
    (rs,) = s.config.objects
    assert rs.key == ("ReplicaSet", "default", "web")
    assert rs.spec.replicas == 3
    assert dict(s.config.faults) == {"nodeCrash": 1, "containerCrash": 2}
    (op,) = s.config.user
    assert op.target == ("ReplicaSet", "default", "web")
    assert dict(op.params)["replicas"] == (1, 2, 3, 4, 5)
    assert s.config.invariants == ("NoOvercommit", "NoExcessReplicas", "ReplicasConverge")
    assert s.budget == Budget(steps=50, examples=200)
    assert s.config.start == "settled"


def test_default_resolved_form_inlines_the_manifest() -> None:
    s = load_scenario()
    spec = s.resolved["spec"]
    assert spec["manifests"] == []
    assert [(o["kind"], o["metadata"]["name"]) for o in spec["objects"]] == [("ReplicaSet", "web")]
    again = scenario_from_data(copy.deepcopy(s.resolved), "embedded")
    assert again.config == s.config
    assert again.budget == s.budget


# -- files and manifests -----------------------------------------------------------------------


def test_manifests_relative_to_scenario_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "scen"
    d.mkdir()
    (d / "app.yaml").write_text(APP)
    data = scenario(manifests=["app.yaml"], user=[{"op": "scale", "target": "ReplicaSet/web", "replicas": [0, 3]}])
    (d / "scenario.yaml").write_text(dump(data))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    s = load_scenario(d / "scenario.yaml")
    assert s.source == str(d / "scenario.yaml")
    (rs,) = s.config.objects
    assert rs.meta.name == "web" and rs.spec.replicas == 2
    assert dict(s.config.user[0].params)["replicas"] == (0, 1, 2, 3)
    # Resolved form: manifests inlined, in order, before the inline objects.
    assert s.resolved["spec"]["manifests"] == []
    assert s.resolved["spec"]["objects"] == [yaml.safe_load(APP)]
    # ... and it loads without the files.
    (d / "app.yaml").unlink()
    round_tripped = load_documents(dump(s.resolved), "trace")[0]
    assert scenario_from_data(round_tripped, "trace").config == s.config


def test_manifest_then_inline_objects_order(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(APP)
    s = scenario_from_data(scenario(manifests=["app.yaml"], objects=[rs_obj("api", 1)]), "s.yaml", tmp_path)
    assert [o.meta.name for o in s.config.objects] == ["web", "api"]
    assert [o["metadata"]["name"] for o in s.resolved["spec"]["objects"]] == ["web", "api"]


def test_resolved_does_not_alias_input() -> None:
    data = scenario(objects=[rs_obj()])
    before = copy.deepcopy(data)
    s = scenario_from_data(data, "s.yaml")
    assert data == before
    s.resolved["spec"]["objects"][0]["metadata"]["name"] = "changed"
    assert data["spec"]["objects"][0]["metadata"]["name"] == "web"


def test_manifest_error_names_file_and_document(tmp_path: Path) -> None:
    bad = rs_obj("api")
    bad["spec"]["replicas"] = "three"
    (tmp_path / "app.yaml").write_text(APP + "---\n" + yaml.safe_dump(bad))
    msg = error_of(scenario(manifests=["app.yaml"]), tmp_path)
    assert msg.startswith(str(tmp_path / "app.yaml") + ": document 2: spec.replicas: expected an integer")


def test_missing_manifest_file(tmp_path: Path) -> None:
    msg = error_of(scenario(manifests=["nope.yaml"]), tmp_path)
    assert "nope.yaml" in msg and "file not found" in msg


def test_manifests_need_a_base_dir() -> None:
    msg = error_of(scenario(manifests=["app.yaml"]))
    assert "spec.manifests[0]" in msg and "inlined" in msg


def test_inline_object_error_path() -> None:
    bad = rs_obj("api")
    bad["spec"]["replicas"] = "three"
    msg = error_of(scenario(objects=[rs_obj(), bad]))
    assert msg == "s.yaml: spec.objects[1].spec.replicas: expected an integer, got the string 'three'"


def test_load_scenario_needs_one_document(tmp_path: Path) -> None:
    f = tmp_path / "two.yaml"
    f.write_text(dump(scenario()) + "---\n" + dump(scenario()))
    with pytest.raises(InputError, match="expected one YAML document, found 2"):
        load_scenario(f)


def test_load_scenario_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_scenario(tmp_path / "none.yaml")


# -- strict keys and types ---------------------------------------------------------------------


def test_unknown_spec_key_hint() -> None:
    data = scenario()
    data["spec"]["fault"] = {"nodeCrash": 1}
    msg = error_of(data)
    assert "spec.fault" in msg
    assert "did you mean 'faults'" in msg


def test_unknown_top_level_key() -> None:
    data = scenario()
    data["sepc"] = {}
    assert "did you mean 'spec'" in error_of(data)


def test_unknown_key_without_close_match_lists_allowed() -> None:
    msg = error_of(scenario(faults={"zzzzzz": 1}))
    assert "spec.faults.zzzzzz" in msg and "nodeCrash" in msg and "containerCrash" in msg


def test_fault_count_must_be_an_integer() -> None:
    msg = error_of(scenario(faults={"nodeCrash": "one"}))
    assert msg == "s.yaml: spec.faults.nodeCrash: expected an integer, got the string 'one'"


@pytest.mark.parametrize(("value", "what"), [(-1, "must be ≥ 0"), ("all", "expected an integer")])
def test_node_loss_budget_is_checked(value: Any, what: str) -> None:
    msg = error_of(scenario(faults={"nodeLoss": value}))
    assert msg.startswith("s.yaml: spec.faults.nodeLoss: ") and what in msg, msg


@pytest.mark.parametrize(("value", "what"), [(-1, "must be ≥ 0"), (11, "must be ≤ 10"), (True, "a boolean")])
def test_fault_count_range(value: Any, what: str) -> None:
    msg = error_of(scenario(faults={"containerCrash": value}))
    assert "spec.faults.containerCrash" in msg and what in msg


def test_wrong_api_version_and_kind() -> None:
    data = scenario()
    data["apiVersion"] = "kmodel/v2"
    assert "apiVersion" in error_of(data) and "'kmodel/v1'" in error_of(data)
    data = scenario()
    data["kind"] = "Scenarios"
    assert "kind: expected 'Scenario'" in error_of(data)


def test_not_a_mapping() -> None:
    assert "expected a kmodel Scenario document" in error_of(["a", "list"])


def test_bad_name() -> None:
    data = scenario()
    data["metadata"]["name"] = "Web Crash"
    assert "metadata.name" in error_of(data)


def test_defaults() -> None:
    data = scenario()
    del data["metadata"]
    s = scenario_from_data(data, "s.yaml")
    assert s.name == "default"
    assert s.description == ""
    assert s.budget == Budget()
    assert s.config.invariants is None
    assert s.config.faults == ()
    assert s.config.control_plane.node_monitor_grace_period == 50
    assert s.resolved["metadata"] == {"name": "default", "description": ""}


@pytest.mark.parametrize(("value", "seconds"), [("50s", 50), ("5m", 300), ("1h30m", 5400), ("2m5s", 125), (40, 40)])
def test_durations(value: Any, seconds: int) -> None:
    s = scenario_from_data(scenario(controlPlane={"nodeMonitorGracePeriod": value}), "s.yaml")
    assert s.config.control_plane.node_monitor_grace_period == seconds


@pytest.mark.parametrize("value", ["5 minutes", "50", "", "0s", 0, True, "1.5m", "s"])
def test_bad_durations(value: Any) -> None:
    msg = error_of(scenario(controlPlane={"nodeMonitorGracePeriod": value}))
    assert "spec.controlPlane.nodeMonitorGracePeriod" in msg


def test_control_plane_ints() -> None:
    s = scenario_from_data(
        scenario(controlPlane={"nodeLeaseDurationSeconds": 20, "defaultUnreachableTolerationSeconds": 5}), "s.yaml"
    )
    assert s.config.control_plane.node_lease_duration_seconds == 20
    assert s.config.control_plane.default_unreachable_toleration_seconds == 5
    msg = error_of(scenario(controlPlane={"nodeLeaseDurationSeconds": "20s"}))
    assert "spec.controlPlane.nodeLeaseDurationSeconds: expected an integer" in msg


def test_variants() -> None:
    s = scenario_from_data(scenario(variants={"replicaSetExpectations": False}), "s.yaml")
    assert s.config.variants.replica_set_expectations is False
    msg = error_of(scenario(variants={"replicaSetExpectation": True}))
    assert "did you mean 'replicaSetExpectations'" in msg
    msg = error_of(scenario(variants={"schedulerAssumeCache": "yes"}))
    assert "spec.variants.schedulerAssumeCache: expected true or false" in msg


def test_unknown_invariant_with_hint() -> None:
    msg = error_of(scenario(invariants=["NoOvercommit", "NoOvercomit"]))
    assert "spec.invariants[1]" in msg
    assert "unknown invariant 'NoOvercomit'" in msg
    assert "did you mean 'NoOvercommit'" in msg


def test_unknown_invariant_lists_known() -> None:
    msg = error_of(scenario(invariants=["Zzz"]))
    assert "known:" in msg and "ReplicasConverge" in msg


def test_invariants_deduplicated_in_order() -> None:
    s = scenario_from_data(scenario(invariants=["ReplicasConverge", "NoOvercommit", "ReplicasConverge"]), "s.yaml")
    assert s.config.invariants == ("ReplicasConverge", "NoOvercommit")


def test_budget() -> None:
    s = scenario_from_data(scenario(budget={"steps": 10, "examples": 3}), "s.yaml")
    assert s.budget == Budget(10, 3)
    assert "spec.budget.steps: must be ≥ 1" in error_of(scenario(budget={"steps": 0}))


def test_start() -> None:
    assert scenario_from_data(scenario(start="settled"), "s.yaml").config.start == "settled"
    assert "spec.start" in error_of(scenario(start="later"))


# -- nodes -------------------------------------------------------------------------------------


def test_nodes_required() -> None:
    data = scenario()
    del data["spec"]["nodes"]
    assert "spec.nodes: is required" in error_of(data)
    assert "spec.nodes: must list at least one node" in error_of(scenario(nodes=[]))


def test_node_fields() -> None:
    node = {
        "name": "n1",
        "capacity": {"cpu": 4, "memory": "8Gi"},
        "allocatable": {"cpu": "3500m", "memory": "7Gi"},
        "labels": {"zone": "a"},
        "taints": [{"key": "dedicated", "value": "x", "effect": "NoSchedule"}],
        "unschedulable": True,
    }
    (n,) = scenario_from_data(scenario(nodes=[node]), "s.yaml").config.nodes
    assert n.status.capacity["cpu"] == 4000
    assert n.status.allocatable["cpu"] == 3500
    assert n.status.allocatable["pods"] == 110
    assert n.meta.labels["zone"] == "a"
    assert n.spec.taints[0].key == "dedicated"
    assert n.spec.unschedulable is True


def test_node_needs_cpu_and_memory() -> None:
    msg = error_of(scenario(nodes=[{"name": "n1", "capacity": {"cpu": "2"}}]))
    assert "spec.nodes[0].capacity: must give cpu and memory" in msg


def test_node_bad_quantity_path() -> None:
    msg = error_of(scenario(nodes=[{"name": "n1", "capacity": {"cpu": "2", "memory": "4 GB"}}]))
    assert "spec.nodes[0].capacity.memory" in msg


def test_node_unknown_field_hint() -> None:
    msg = error_of(scenario(nodes=[{"name": "n1", "capacity": {"cpu": "2", "memory": "1Gi"}, "lables": {}}]))
    assert "spec.nodes[0].lables" in msg and "did you mean 'labels'" in msg


def test_duplicate_node_names() -> None:
    node = {"name": "n1", "capacity": {"cpu": "2", "memory": "4Gi"}}
    msg = error_of(scenario(nodes=[node, dict(node)]))
    assert "spec.nodes[1]: duplicate name 'n1'" in msg


def test_node_from_objects_duplicating_spec_node() -> None:
    node_obj = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"}, "status": {"capacity": {}}}
    msg = error_of(scenario(objects=[node_obj]))
    assert "'node-1'" in msg and "more than once" in msg


def test_node_from_objects_is_added() -> None:
    node_obj = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-2"}, "status": {"capacity": {}}}
    s = scenario_from_data(scenario(objects=[node_obj]), "s.yaml")
    assert [n.meta.name for n in s.config.nodes] == ["node-1", "node-2"]
    assert s.config.objects == ()


def test_too_many_nodes() -> None:
    nodes = [{"name": f"n{i}", "capacity": {"cpu": "1", "memory": "1Gi"}} for i in range(21)]
    assert "at most 20 nodes" in error_of(scenario(nodes=nodes))


def test_duplicate_objects() -> None:
    msg = error_of(scenario(objects=[rs_obj(), rs_obj()]))
    assert "duplicate name 'ReplicaSet/default/web'" in msg


# -- user ops ----------------------------------------------------------------------------------


def test_user_op_missing_target() -> None:
    msg = error_of(scenario(objects=[rs_obj()], user=[{"op": "scale", "target": "ReplicaSet/api", "replicas": [1, 2]}]))
    assert "spec.user[0].target" in msg
    assert "no object 'ReplicaSet/api'" in msg


def test_user_op_namespace_matters() -> None:
    op = {"op": "scale", "target": "ReplicaSet/web", "namespace": "prod", "replicas": [1, 2]}
    msg = error_of(scenario(objects=[rs_obj()], user=[op]))
    assert "spec.user[0].target" in msg and "'prod'" in msg


def test_user_op_unknown_op() -> None:
    msg = error_of(scenario(objects=[rs_obj()], user=[{"op": "teleport", "target": "ReplicaSet/web"}]))
    assert "spec.user[0].op" in msg and "scale" in msg


def test_user_op_must_target_replicaset() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}}
    msg = error_of(scenario(objects=[pod], user=[{"op": "scale", "target": "Pod/p", "replicas": [1, 2]}]))
    assert "scale targets ReplicaSet" in msg


@pytest.mark.parametrize("rng", [[3, 1], [1], [-1, 2], ["1", "2"], [True, 2], "1-5", None, [0, 50]])
def test_user_op_bad_replicas(rng: Any) -> None:
    msg = error_of(scenario(objects=[rs_obj()], user=[{"op": "scale", "target": "ReplicaSet/web", "replicas": rng}]))
    assert "spec.user[0].replicas" in msg


def test_user_op_max_range() -> None:
    op = {"op": "scale", "target": "ReplicaSet/web", "replicas": [0, 49]}
    s = scenario_from_data(scenario(objects=[rs_obj()], user=[op]), "s.yaml")
    assert dict(s.config.user[0].params)["replicas"] == tuple(range(50))


def test_node_limit_counts_nodes_from_objects() -> None:
    nodes = [{"name": f"n{i}", "capacity": {"cpu": "1", "memory": "1Gi"}} for i in range(20)]
    extra = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n20"}, "status": {"capacity": {}}}
    assert "at most 20 nodes" in error_of(scenario(nodes=nodes, objects=[extra]))
