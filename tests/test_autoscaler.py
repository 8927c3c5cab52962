"""The simple cluster autoscaler (``kmodel.k8s.controllers.autoscaler``), ``spec.nodeGroups`` and
the AllPodsScheduled invariant."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kmodel.core.model import Action
from kmodel.core.run import settle
from kmodel.errors import InputError
from kmodel.k8s.cluster import ClusterModel, ClusterState
from kmodel.k8s.controllers.autoscaler import PROVISION_SECONDS, ClusterAutoscaler
from kmodel.k8s.invariants import all_pods_scheduled
from kmodel.scenario import scenario_from_data

SCENARIOS = Path(__file__).resolve().parents[1] / "properties" / "scenarios"


def data(name: str = "ca-scale-up") -> dict[str, Any]:
    return yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text())


def build(d: dict[str, Any]) -> ClusterModel:
    return scenario_from_data(d, "test.yaml").model()


def scale(model: ClusterModel, state: ClusterState, n: int) -> ClusterState:
    nxt = model.step(state, Action.of("scale", target="ReplicaSet/web", replicas=n))
    assert nxt is not None
    return nxt


def nodes(state: ClusterState) -> list[str]:
    return sorted(n.meta.name for n in state.store.list("Node"))


def test_registered_only_with_node_groups_and_kubelets_start_dormant() -> None:
    model = build(data())
    assert isinstance(model.components["cluster-autoscaler"], ClusterAutoscaler)
    state = model.initial()
    assert not state.components["kubelet/workers-2"].up
    assert "AllPodsScheduled" in [p.name for p in model.properties()]
    d = data()
    del d["spec"]["nodeGroups"]
    d["spec"]["invariants"] = None
    plain = build(d)
    assert "cluster-autoscaler" not in plain.components and "kubelet/workers-1" not in plain.components
    assert "AllPodsScheduled" not in [p.name for p in plain.properties()]


def test_a_pending_pod_gets_a_node_after_provisioning() -> None:
    """Scale to 5: three pods fit no node; one node of group workers registers 30s after the
    autoscaler asks for it, its kubelet starts, and all pods run."""
    model = build(data())
    state = scale(model, model.initial(), 5)
    start = state.clock
    out = settle(model, state)
    assert out.failure is None
    assert nodes(out.state) == ["node-1", "workers-1"]
    assert out.state.components["kubelet/workers-1"].up
    node = out.state.store.get(("Node", "", "workers-1"))
    assert node.meta.creation_timestamp >= start + PROVISION_SECONDS
    assert node.meta.labels["pool"] == "workers"
    assert all(p.spec.node_name for p in out.state.store.list("Pod"))


def test_all_pods_scheduled_good_and_bad() -> None:
    """Known-good: ca-scale-up settles with every pod bound. Known-bad: with the group at its max
    size a pod that fits the template stays pending; a pod that fits no template is not counted."""
    model = build(data("ca-max-reached"))
    out = settle(model, scale(model, model.initial(), 7))
    assert out.failure is not None and out.failure[0].name == "AllPodsScheduled"
    assert "node group workers is at its max size 1" in out.failure[1]
    groups = model.config.node_groups
    assert all_pods_scheduled(out.state, ()) is None  # without node groups the pod could run nowhere
    assert all_pods_scheduled(out.state, groups) == out.failure[1]


@pytest.mark.parametrize(
    ("group", "message"),
    [
        ({"max": 9}, "spec.nodeGroups[0].max: must be ≤ 5"),
        ({"min": 3, "max": 2}, "spec.nodeGroups[0].min: must be ≤ max (2)"),
        ({"template": {"capacity": {"cpu": "2"}}}, "spec.nodeGroups[0].template.capacity: must give cpu and memory"),
        ({"name": "node"}, "spec.nodeGroups[0].name: its node 'node-1' is already in spec.nodes"),
        ({"size": 2}, "spec.nodeGroups[0].size: unknown field"),
    ],
)
def test_bad_node_groups_name_the_field(group: dict[str, Any], message: str) -> None:
    d = data()
    d["spec"]["nodeGroups"][0].update(group)
    with pytest.raises(InputError) as info:
        scenario_from_data(d, "x.yaml")
    assert message in str(info.value)
