"""HA control-plane replicas hosted on control-plane nodes (kmodel.k8s.leaderelection.hosts).

kubeadm runs kube-controller-manager and kube-scheduler as static pods on the nodes labelled
``node-role.kubernetes.io/control-plane``; replica i runs on the i-th such node (name order). A
node crash stops its replicas, recovery starts them with a new identity; without labelled nodes
nothing is hosted.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from kmodel.core.model import Action
from kmodel.core.run import settle_steps
from kmodel.errors import InputError
from kmodel.k8s.cluster import ClusterModel, ClusterState
from kmodel.k8s.leaderelection import CONTROL_PLANE_LABEL, holder_process, leader_missing, lease_key
from kmodel.scenario import load_scenario, scenario_from_data

KCM = "kube-controller-manager"
KEY = lease_key(KCM)
SCENARIOS = Path(__file__).parent.parent / "properties" / "scenarios"


def data(**spec: Any) -> dict[str, Any]:
    d = copy.deepcopy(load_scenario(SCENARIOS / "le-control-plane-node-crash.yaml").resolved)
    d["spec"].update(spec)
    return d


def model_of(**spec: Any) -> ClusterModel:
    return scenario_from_data(data(**spec), "t.yaml").model()


def step(model: ClusterModel, state: ClusterState, action: Action) -> ClusterState:
    nxt = model.step(state, action)
    assert nxt is not None, f"{action} not enabled"
    return nxt


def settled(model: ClusterModel, state: ClusterState) -> ClusterState:
    last = state
    for _, nxt in settle_steps(model, state):
        last = nxt
    return last


def holder(state: ClusterState) -> str:
    return str(state.store.get(KEY).holder_identity)


# -- hosting assignment ------------------------------------------------------------------------


def test_replica_i_runs_on_the_ith_control_plane_node() -> None:
    model = model_of(controlPlane={"replicas": {KCM: 2, "kube-scheduler": 2}})
    assert model.hosts == {
        f"{KCM}-1": "cp-1",
        f"{KCM}-2": "cp-2",
        "kube-scheduler-1": "cp-1",
        "kube-scheduler-2": "cp-2",
    }


def test_hosts_follow_node_name_order_not_list_order() -> None:
    d = data()
    nodes = d["spec"]["nodes"]
    nodes[0]["name"], nodes[1]["name"] = "zeta", "alpha"
    model = scenario_from_data(d, "t.yaml").model()
    assert model.hosts == {f"{KCM}-1": "alpha", f"{KCM}-2": "zeta"}


def test_without_labelled_nodes_nothing_is_hosted() -> None:
    d = data()
    for n in d["spec"]["nodes"]:
        n.pop("labels", None)
    model = scenario_from_data(d, "t.yaml").model()
    assert model.hosts == {}
    s = model.initial()
    leader = holder_process(holder(s))
    node = "cp-1" if leader.endswith("-1") else "cp-2"
    crashed = step(model, s, Action.of("crash_node", node=node))
    assert crashed.components[f"{leader}/elector"].up and crashed.components[f"{leader}/elector"].local.leading
    # the shipped HA scenarios have no labelled nodes: unchanged
    assert load_scenario(SCENARIOS / "le-ha-node-crash.yaml").model().hosts == {}


def test_too_few_control_plane_nodes_is_an_input_error() -> None:
    with pytest.raises(InputError) as err:
        model_of(controlPlane={"replicas": {KCM: 3}})
    msg = str(err.value)
    assert "t.yaml" in msg and "spec.controlPlane.replicas.kube-controller-manager" in msg
    assert CONTROL_PLANE_LABEL in msg and "cp-1, cp-2" in msg


def test_too_few_control_plane_nodes_exit_2(tmp_path: Path) -> None:
    from kmodel.cli import main

    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(data(controlPlane={"replicas": {"kube-scheduler": 3}})))
    assert main(["check", str(p), "--out", str(tmp_path / "out")]) == 2


# -- crash and recovery ------------------------------------------------------------------------


def crash_leader_host() -> tuple[ClusterModel, ClusterState, str, str, str]:
    """(model, state after crashing the leader's node, leader, stand-by, the crashed node)."""
    model = model_of()
    s = model.initial()
    leader = holder_process(holder(s))
    standby = f"{KCM}-2" if leader == f"{KCM}-1" else f"{KCM}-1"
    node = model.hosts[leader]
    return model, step(model, s, Action.of("crash_node", node=node)), leader, standby, node


def test_crash_stops_the_hosted_process_and_its_elector() -> None:
    model, s, leader, standby, _ = crash_leader_host()
    elector = s.components[f"{leader}/elector"]
    assert not elector.up and not elector.local.leading and elector.local.incarnation == 1
    for name in model.processes[leader].controllers:
        assert not s.components[name].up
    assert s.components[f"{standby}/elector"].up  # the other host is untouched
    # the elector takes no step; the lease still names the dead holder
    assert model.step(s, Action.of("reconcile", component=f"{leader}/elector")) is None
    assert holder(s) == f"{leader}_0"
    assert "no running replica leads" in (leader_missing(s) or "")
    # a dead process cannot be paused
    assert model.step(s, Action.of("pause", process=leader, seconds=20)) is None


def test_the_standby_takes_over_after_the_lease_expires() -> None:
    model, s, _, standby, _ = crash_leader_host()
    crashed_at = s.clock
    after = settled(model, s)
    lease = after.store.get(KEY)
    assert lease.holder_identity == f"{standby}_0" and lease.lease_transitions == 1
    assert lease.acquire_time >= crashed_at + 15 - 2  # not before the (observed) lease expired
    assert leader_missing(after) is None
    assert any(after.components[n].up for n in model.processes[standby].controllers)


def test_recovery_starts_the_process_fresh_with_a_new_identity() -> None:
    model, s, leader, standby, node = crash_leader_host()
    s = settled(model, s)  # the stand-by leads now
    s = step(model, s, Action.of("recover_node", node=node))
    elector = s.components[f"{leader}/elector"]
    assert elector.up and elector.local.incarnation == 1 and not elector.local.leading
    assert elector.local.observed is not None and elector.local.observed.holder_identity == f"{standby}_0"
    for name in model.processes[leader].controllers:
        assert not s.components[name].up  # they start only if it leads
    s = settled(model, s)
    assert holder(s) == f"{standby}_0" and leader_missing(s) is None


def test_recovery_before_expiry_still_elects_a_live_replica() -> None:
    model, s, leader, _, node = crash_leader_host()
    s = step(model, s, Action.of("recover_node", node=node))
    s = settled(model, s)
    assert leader_missing(s) is None
    assert holder(s) != f"{leader}_0"  # the dead incarnation never renews again


def test_both_hosts_down_no_leader_ever() -> None:
    model = load_scenario(SCENARIOS / "le-control-plane-lost.yaml").model()
    s = model.initial()
    s = step(model, s, Action.of("crash_node", node="cp-1"))
    s = step(model, s, Action.of("crash_node", node="cp-2"))
    s = settled(model, s)
    assert "no running replica leads" in (leader_missing(s) or "")


def test_worker_crash_stops_no_replica() -> None:
    model = model_of()
    s = step(model, model.initial(), Action.of("crash_node", node="worker-1"))
    assert all(s.components[p.elector].up for p in model.processes.values())


def test_lost_leader_host_stops_its_process_for_good() -> None:
    """``lose_node`` (faults.nodeLoss) reuses ``crash_node``'s stop: the hosted replica and its
    elector stop; the stand-by takes over after the lease expires, and the lost node's process
    never starts again (no ``recover_node`` for a lost node)."""
    d = data()
    d["spec"]["faults"] = {**d["spec"].get("faults", {}), "nodeLoss": 1}
    model = scenario_from_data(d, "t.yaml").model()
    s = model.initial()
    leader = holder_process(holder(s))
    standby = f"{KCM}-2" if leader == f"{KCM}-1" else f"{KCM}-1"
    node = model.hosts[leader]
    s = step(model, s, Action.of("lose_node", node=node))
    assert not s.components[f"{leader}/elector"].up
    assert all(not s.components[name].up for name in model.processes[leader].controllers)
    s = settled(model, s)
    assert holder(s) == f"{standby}_0" and leader_missing(s) is None
    assert not s.components[f"{leader}/elector"].up
    assert model.step(s, Action.of("recover_node", node=node)) is None
