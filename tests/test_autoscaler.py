"""The simple cluster autoscaler (``kmodel.k8s.controllers.autoscaler``), ``spec.nodeGroups`` and
the AllPodsScheduled invariant."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kmodel.core.model import Action
from kmodel.core.run import settle, settle_steps
from kmodel.errors import InputError
from kmodel.k8s.cluster import ClusterModel, ClusterState
from kmodel.k8s.controllers.autoscaler import (
    DELAY_AFTER_ADD_SECONDS,
    PROVISION_SECONDS,
    TO_BE_DELETED,
    UNNEEDED_SECONDS,
    ClusterAutoscaler,
    blocks_scale_down,
)
from kmodel.k8s.invariants import all_pods_scheduled, node_groups_scale_down
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


def _pods_on(state: ClusterState, node: str) -> list[str]:
    return sorted(p.meta.name for p in state.store.list("Pod") if blocks_scale_down(p, node))


def _scale_up_then_down(d: dict[str, Any], down_to: int) -> tuple[ClusterModel, ClusterState, int]:
    """Scale web to 5 (workers-1 is added), settle, then scale to ``down_to``."""
    model = build(d)
    up = settle(model, scale(model, model.initial(), 5))
    assert up.failure is None and "workers-1" in nodes(up.state) and _pods_on(up.state, "workers-1")
    node = up.state.store.get(("Node", "", "workers-1"))
    return model, scale(model, up.state, down_to), node.meta.creation_timestamp


def test_an_empty_group_node_is_removed_after_ten_minutes_not_before() -> None:
    """Scale-up then the load goes: workers-1 is tainted ToBeDeletedByClusterAutoscaler and
    deleted once it has been empty for --scale-down-unneeded-time (and --scale-down-delay-after-add
    has passed since the scale-up), not before; its kubelet stops and its Lease goes."""
    model, start, added_at = _scale_up_then_down(data("ca-scale-down"), 2)
    empty_at = tainted_at = gone_at = None
    state = start
    for _, state in settle_steps(model, start):
        if empty_at is None and not _pods_on(state, "workers-1"):
            empty_at = state.clock
            # the known-bad state for NodeGroupsScaleDown: an empty node above min
            msg = node_groups_scale_down(state, model.config.node_groups)
            assert msg == "node workers-1 of node group workers is empty but stays (1 nodes, min 0)"
        node = state.store.get(("Node", "", "workers-1"))
        if node is not None and tainted_at is None and any(t.key == TO_BE_DELETED for t in node.spec.taints):
            tainted_at = state.clock
        if node is None and gone_at is None:
            gone_at = state.clock
            break
    assert empty_at is not None and tainted_at is not None and gone_at is not None
    assert gone_at >= empty_at + UNNEEDED_SECONDS and gone_at >= added_at + DELAY_AFTER_ADD_SECONDS - PROVISION_SECONDS
    assert tainted_at >= empty_at + UNNEEDED_SECONDS and gone_at <= empty_at + UNNEEDED_SECONDS + 60
    assert not state.components["kubelet/workers-1"].up and "workers-1" not in state.nodes_up
    assert state.store.get(("Lease", "kube-node-lease", "workers-1")) is None
    out = settle(model, state)
    assert out.failure is None and nodes(out.state) == ["node-1"]  # node-1 is in no group: never removed
    assert node_groups_scale_down(out.state, model.config.node_groups) is None


def test_scale_down_respects_the_group_min() -> None:
    d = data("ca-scale-down")
    d["spec"]["nodeGroups"][0]["min"] = 1
    model, state, _ = _scale_up_then_down(d, 2)
    out = settle(model, state)
    assert out.failure is None and nodes(out.state) == ["node-1", "workers-1"]
    assert not _pods_on(out.state, "workers-1")
    ca = model.components["cluster-autoscaler"]
    assert isinstance(ca, ClusterAutoscaler)
    local = out.state.components["cluster-autoscaler"].local
    since = local.unneeded["workers-1"]  # unneeded, and for longer than 10 minutes: min keeps it
    assert out.state.clock >= since + UNNEEDED_SECONDS
    assert node_groups_scale_down(out.state, model.config.node_groups) is None


def test_a_node_with_a_pod_is_not_removed() -> None:
    model, state, _ = _scale_up_then_down(data("ca-scale-down"), 4)
    out = settle(model, state)
    assert out.failure is None and nodes(out.state) == ["node-1", "workers-1"]
    assert _pods_on(out.state, "workers-1")
    node = out.state.store.get(("Node", "", "workers-1"))
    assert not any(t.key == TO_BE_DELETED for t in node.spec.taints)


def test_a_removed_node_can_be_added_again() -> None:
    """After workers-1 is deleted, new load adds it again: its kubelet starts with a fresh Lease."""
    model, state, _ = _scale_up_then_down(data("ca-scale-down"), 2)
    down = settle(model, state)
    assert nodes(down.state) == ["node-1"]
    again = settle(model, scale(model, down.state, 5))
    assert again.failure is None and nodes(again.state) == ["node-1", "workers-1"]
    assert again.state.components["kubelet/workers-1"].up and _pods_on(again.state, "workers-1")
