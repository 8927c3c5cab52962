"""Leader election of HA control-plane replicas (kmodel.k8s.leaderelection).

Unit tests of the elector against client-go's ``tryAcquireOrRenew`` rules, then the cluster:
replica registration, the pause fault, split brain and the fencing variant, scripted step by step.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import attrs
import pytest

import kmodel
from kmodel.core.fmap import FMap
from kmodel.core.model import Action
from kmodel.errors import InputError
from kmodel.k8s.cluster import ClusterModel, ClusterState
from kmodel.k8s.informers import View
from kmodel.k8s.leaderelection import (
    LEASE_DURATION,
    RENEW_DEADLINE,
    RETRY_PERIOD,
    ElectorState,
    LeaderElector,
    holder_process,
    lease_key,
    process_of,
)
from kmodel.k8s.objects import Lease, ObjectMeta
from kmodel.k8s.store import APIConfig, Event, Request, Result, Store
from kmodel.scenario import load_scenario, scenario_from_data

KCM = "kube-controller-manager"
KEY = lease_key(KCM)
SCENARIOS = Path(__file__).parent.parent / "properties" / "scenarios"
API = APIConfig()


def elector(i: int = 1) -> LeaderElector:
    return LeaderElector(process=f"{KCM}-{i}", group=KCM)


def view(lease: Lease | None, now: int) -> View:
    cache = FMap() if lease is None else FMap({"Lease": FMap({(KEY[1], KEY[2]): lease})})
    return View(cache, now)


def apply(store: Store, req: Request, now: int) -> tuple[Store, Result]:
    return store.apply(req, now, API)


def acquired(e: LeaderElector, store: Store, now: int = 0) -> tuple[ElectorState, Store]:
    """``e`` creates the Lease in ``store`` and leads."""
    local, reqs = e.reconcile(e.initial_local(), view(store.get(KEY), now))
    assert len(reqs) == 1
    store, res = apply(store, reqs[0], now)
    assert res.ok
    return e.on_result(local, reqs[0], res, view(store.get(KEY), now)), store


# -- the elector, one rule at a time ------------------------------------------------------------


def test_acquire_on_empty_creates_the_lease_and_leads() -> None:
    e = elector()
    local, reqs = e.reconcile(e.initial_local(), view(None, 0))
    assert [r.verb for r in reqs] == ["create"]
    lease = reqs[0].obj
    assert lease.key == KEY
    assert (lease.holder_identity, lease.lease_duration_seconds, lease.lease_transitions) == (f"{KCM}-1_0", 15, 0)
    assert lease.acquire_time == lease.renew_time == 0
    assert not local.leading
    store, res = apply(Store(), reqs[0], 0)
    local = e.on_result(local, reqs[0], res, view(store.get(KEY), 0))
    assert local.leading and local.epoch == 0 and local.last_renew == 0


def test_defaults_are_the_recommended_ones() -> None:
    """component-base RecommendedDefaultLeaderElectionConfiguration: 15s / 10s / 2s."""
    assert (LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD) == (15, 10, 2)
    e = elector()
    assert (e.lease_duration, e.renew_deadline, e.retry_period) == (15, 10, 2)


def test_leader_renews_every_retry_period_keeping_acquire_time_and_transitions() -> None:
    e = elector()
    local, store = acquired(e, Store())
    rv = store.get(KEY).meta.resource_version
    assert e.reconcile(local, view(store.get(KEY), 1)) == (local, [])  # not due before RetryPeriod
    local, reqs = e.reconcile(local, view(store.get(KEY), 2))
    (req,) = reqs
    assert req.verb == "update" and req.precondition_rv == rv
    assert (req.obj.renew_time, req.obj.acquire_time, req.obj.lease_transitions) == (2, 0, 0)
    store, res = apply(store, req, 2)
    local = e.on_result(local, req, res, view(store.get(KEY), 2))
    assert local.leading and local.last_renew == 2 and local.next_try == 4


def test_expiry_is_measured_on_own_clock_from_observed_time_not_renew_time() -> None:
    """isLeaseValid: observedTime + LeaseDurationSeconds > now, observedTime being the candidate's
    own clock when it saw the record change; renewTime (another clock) is never compared."""
    other = Lease(
        meta=ObjectMeta(name=KCM, namespace="kube-system", resource_version=7),
        holder_identity=f"{KCM}-2_0",
        lease_duration_seconds=15,
        renew_time=999_999,  # the holder's clock: far ahead, irrelevant
        acquire_time=0,
        lease_transitions=3,
    )
    e = elector()
    local = e.on_event(e.initial_local(), Event("ADDED", 7, KEY, other), None, view(other, 100))
    assert local.observed_time == 100
    assert e.reconcile(local, view(other, 114)) == (local, [])  # held, not yet expired
    # a change of the record seen at 110 restarts the wait
    renewed = attrs.evolve(other, renew_time=5, meta=attrs.evolve(other.meta, resource_version=9))
    later = e.on_event(local, Event("MODIFIED", 9, KEY, renewed), other, view(renewed, 110))
    assert later.observed_time == 110 and e.due(later) == 125
    assert e.reconcile(later, view(renewed, 124))[1] == []
    # unchanged since 100: at 115 the lease has expired by this candidate's clock
    _, reqs = e.reconcile(local, view(other, 115))
    (req,) = reqs
    assert req.verb == "update" and req.precondition_rv == 7
    assert req.obj.holder_identity == f"{KCM}-1_0"


def test_take_over_bumps_the_epoch() -> None:
    """tryAcquireOrRenew: LeaderTransitions + 1 when the holder changes; kept on renewal."""
    a, b = elector(1), elector(2)
    _, store = acquired(a, Store())
    lb = b.on_event(b.initial_local(), Event("ADDED", 1, KEY, store.get(KEY)), None, view(store.get(KEY), 0))
    lb, reqs = b.reconcile(lb, view(store.get(KEY), LEASE_DURATION))
    store, res = apply(store, reqs[0], LEASE_DURATION)
    lb = b.on_result(lb, reqs[0], res, view(store.get(KEY), LEASE_DURATION))
    lease = store.get(KEY)
    assert lease.lease_transitions == 1 and lease.acquire_time == LEASE_DURATION
    assert lb.leading and lb.epoch == 1
    assert holder_process(lease.holder_identity) == f"{KCM}-2"


def test_stale_resource_version_conflicts_and_the_old_leader_leads_until_the_round_times_out() -> None:
    """renew(): each round polls tryAcquireOrRenew under a fresh RenewDeadline timeout; a leader
    resuming between rounds (after a pause, say) starts a new round and leads RenewDeadline more."""
    a, b = elector(1), elector(2)
    la, store = acquired(a, Store())
    lb = b.on_event(b.initial_local(), Event("ADDED", 1, KEY, store.get(KEY)), None, view(store.get(KEY), 0))
    lb, reqs = b.reconcile(lb, view(store.get(KEY), 15))
    store, _ = apply(store, reqs[0], 15)  # b took over; a has not seen it
    # a (paused between rounds, say) renews at 8 with the rv it last wrote: Conflict
    la, reqs = a.reconcile(la, view(None, 8))
    (req,) = reqs
    store2, res = apply(store, req, 8)
    assert not res.ok and res.reason == "Conflict" and store2 is store
    la = a.on_result(la, req, res, view(None, 8))
    assert la.leading and la.round_start == 8  # it still believes it leads: the deposed leader may act
    lease = store.get(KEY)
    la = a.on_event(la, Event("MODIFIED", lease.meta.resource_version, KEY, lease), None, view(lease, 9))
    la, reqs = a.reconcile(la, view(lease, 16))  # held by b: no request, still inside the round
    assert reqs == [] and la.leading
    # RenewDeadline after the round began it stops leading, without another request
    la, reqs = a.reconcile(la, view(lease, 8 + RENEW_DEADLINE))
    assert reqs == [] and not la.leading


def test_a_leader_paused_inside_a_failing_round_stops_at_its_first_try() -> None:
    a = elector(1)
    la, store = acquired(a, Store())
    la, (req,) = a.reconcile(la, view(store.get(KEY), 2))
    la = a.on_result(la, req, Result(False, "NetworkError", "lost"), view(store.get(KEY), 2))
    assert la.leading and la.round_start == 2 and la.next_try == 4
    la, reqs = a.reconcile(la, view(store.get(KEY), 40))  # resumed long after the round's timeout
    assert reqs == [] and not la.leading


def test_held_lease_seen_by_the_leader_does_not_stop_it_before_renew_deadline() -> None:
    """renew() retries tryAcquireOrRenew until RenewDeadline even when another holder is seen."""
    a = elector(1)
    la, store = acquired(a, Store())
    other = attrs.evolve(
        store.get(KEY), holder_identity=f"{KCM}-2_0", meta=attrs.evolve(store.get(KEY).meta, resource_version=50)
    )
    la = a.on_event(la, Event("MODIFIED", 50, KEY, other), None, view(other, 4))
    la, reqs = a.reconcile(la, view(other, 4))
    assert reqs == [] and la.leading
    la, reqs = a.reconcile(la, view(other, 4 + RENEW_DEADLINE - 2))
    assert reqs == [] and la.leading
    la, reqs = a.reconcile(la, view(other, 4 + RENEW_DEADLINE))
    assert reqs == [] and not la.leading


# -- scenarios: parsing and registration --------------------------------------------------------


def ha_data(**spec: Any) -> dict[str, Any]:
    data = copy.deepcopy(load_scenario(SCENARIOS / "le-pause-split-brain.yaml").resolved)
    data["spec"].update(spec)
    return data


def test_one_replica_keeps_todays_component_names_and_state() -> None:
    default = load_scenario()
    names = default.model().component_names
    kubelets = tuple(f"kubelet/node-{i}" for i in (1, 2, 3))
    assert names == ("replicaset-controller", "scheduler", "node-lifecycle-controller", *kubelets)
    data = copy.deepcopy(default.resolved)
    data["spec"]["controlPlane"] = {"replicas": {KCM: 1, "kube-scheduler": 1}}
    one = scenario_from_data(data, "one").model()
    assert one.component_names == names and not one.processes
    assert one.initial() == default.model().initial()


def test_ha_replicas_are_processes_with_an_elector_and_their_own_controllers() -> None:
    model = scenario_from_data(ha_data(controlPlane={"replicas": {KCM: 2, "kube-scheduler": 2}}), "ha").model()
    names = model.component_names
    for i in (1, 2):
        assert f"{KCM}-{i}/elector" in names and f"{KCM}-{i}/replicaset-controller" in names
        assert f"kube-scheduler-{i}/scheduler" in names
    assert "replicaset-controller" not in names and "scheduler" not in names
    assert process_of(f"{KCM}-2/node-lifecycle-controller") == f"{KCM}-2" and process_of("kubelet/node-1") is None
    state = model.initial()
    for group in (KCM, "kube-scheduler"):
        lease = state.store.get(lease_key(group))
        leader = holder_process(lease.holder_identity)
        standby = f"{group}-2" if leader == f"{group}-1" else f"{group}-1"
        assert state.components[f"{leader}/elector"].local.leading
        assert not state.components[f"{standby}/elector"].local.leading
        ctl = "scheduler" if group == "kube-scheduler" else "replicaset-controller"
        assert state.components[f"{leader}/{ctl}"].up and not state.components[f"{standby}/{ctl}"].up


@pytest.mark.parametrize(
    ("control_plane", "faults", "path"),
    [
        ({"replicas": {KCM: 0}}, {}, "spec.controlPlane.replicas.kube-controller-manager"),
        ({"replicas": {KCM: "two"}}, {}, "spec.controlPlane.replicas.kube-controller-manager"),
        ({"replicas": {"kube-apiserver": 2}}, {}, "spec.controlPlane.replicas.kube-apiserver"),
        ({"replicas": [2]}, {}, "spec.controlPlane.replicas"),
        ({}, {"processPause": 1}, "spec.faults.processPause"),
    ],
)
def test_bad_replicas_input_names_the_field(control_plane: Any, faults: Any, path: str) -> None:
    with pytest.raises(InputError) as err:
        scenario_from_data(ha_data(controlPlane=control_plane, faults=faults), "bad.yaml")
    assert path in str(err.value) and "bad.yaml" in str(err.value)


def test_bad_replicas_exit_2(tmp_path: Path) -> None:
    from kmodel.cli import main

    data = ha_data(controlPlane={"replicas": {KCM: 9}})
    p = tmp_path / "bad.yaml"
    import yaml

    p.write_text(yaml.safe_dump(data))
    assert main(["check", str(p), "--out", str(tmp_path / "out")]) == 2


# -- the cluster: pause, split brain, fencing ---------------------------------------------------


def step(model: ClusterModel, state: ClusterState, action: Action) -> ClusterState:
    nxt = model.step(state, action)
    assert nxt is not None, f"{action} not enabled"
    return nxt


def run_others(model: ClusterModel, state: ClusterState, until: int) -> ClusterState:
    """Every component but the paused ones acts until the clock reaches ``until``: system steps
    to a fixpoint, then a tick."""
    while state.clock < until:
        progressed = True
        while progressed:
            progressed = False
            for a in model.system_actions(state):
                nxt = model.step(state, a)
                if nxt is not None:
                    state, progressed = nxt, True
        tick = model.step(state, Action("tick"))
        assert tick is not None
        state = tick
    return state


def paused_leader_resumes(fenced: bool) -> tuple[ClusterModel, str, ClusterState, ClusterState]:
    """Scale up, let the leader's ReplicaSet controller see it, pause the leader for 20s: the
    stand-by takes over and converges; return (model, the old leader, the state at resume, the
    state after the old leader's ReplicaSet controller reconciled from its stale cache)."""
    spec: dict[str, Any] = {"invariants": ["SingleLeader", "FencedWrites"]}
    if fenced:
        spec["variants"] = {"fencedLeaderElection": True}
    model = scenario_from_data(ha_data(**spec), "t").model()
    s = model.initial()
    leader = holder_process(s.store.get(KEY).holder_identity)
    rs = f"{leader}/replicaset-controller"
    s = step(model, s, Action.of("scale", target="ReplicaSet/web", replicas=3))
    s = step(model, s, Action.of("deliver", component=rs))
    s = step(model, s, Action.of("pause", process=leader, seconds=20))
    resume = s.clock + 20
    s = run_others(model, s, resume)
    assert not s.paused and s.clock == resume
    lease = s.store.get(KEY)
    assert holder_process(lease.holder_identity) != leader and lease.lease_transitions == 1
    assert s.components[f"{leader}/elector"].local.leading  # has not noticed yet
    return model, leader, s, step(model, s, Action.of("reconcile", component=rs))


def test_paused_leader_resumes_and_acts_split_brain() -> None:
    model, old, _, after = paused_leader_resumes(fenced=False)
    assert "SingleLeader" in after.monitor and "two replicas act as leader" in after.monitor["SingleLeader"]
    assert "FencedWrites" in after.monitor and "epoch 0" in after.monitor["FencedWrites"]
    assert len(after.store.list("Pod")) > 3  # it created a pod the new leader had created already
    # it resumed between renew rounds: a new round, RenewDeadline more of believing it leads;
    # then "leaderelection lost": the process restarts with a new identity, controllers stopped
    resumed = after.clock
    s = step(model, after, Action.of("reconcile", component=f"{old}/elector"))
    assert s.components[f"{old}/elector"].local.leading
    while s.components[f"{old}/elector"].local.incarnation == 0:
        s = run_others(model, s, s.clock + 1)
    local = s.components[f"{old}/elector"].local
    assert not local.leading and local.observed_time == resumed + RENEW_DEADLINE  # restarted then, relisting
    assert not s.components[f"{old}/replicaset-controller"].up


def test_fencing_rejects_the_resumed_leaders_writes() -> None:
    model, old, before, after = paused_leader_resumes(fenced=True)
    assert "FencedWrites" not in after.monitor and "SingleLeader" not in after.monitor
    assert len(after.store.list("Pod")) == 3 and after.store.revision == before.store.revision
    log: list[str] = []
    model.step(before, Action.of("reconcile", component=f"{old}/replicaset-controller"), log)
    assert any("fenced (kmodel variant fencedLeaderElection)" in line for line in log)


def test_pause_stops_every_step_of_the_process() -> None:
    model = scenario_from_data(ha_data(), "t").model()
    s = model.initial()
    s = step(model, s, Action.of("pause", process=f"{KCM}-1", seconds=20))
    for name in model.component_names:
        if name.startswith(f"{KCM}-1/"):
            assert model.step(s, Action.of("reconcile", component=name)) is None
            assert model.step(s, Action.of("deliver", component=name)) is None
    assert model.step(s, Action.of("pause", process=f"{KCM}-2", seconds=20)) is None  # budget spent


def test_clock_skew_acts_on_the_whole_process() -> None:
    model = scenario_from_data(ha_data(faults={"clockSkew": 20}), "t").model()
    clocks = dict(next(s for s in model.action_space() if s.op == "skew_clock").params)["component"]
    assert f"{KCM}-1" in clocks and f"{KCM}-1/elector" not in clocks and "kubelet/node-1" in clocks
    s = step(model, model.initial(), Action.of("skew_clock", component=f"{KCM}-2", offset=20))
    for name in (f"{KCM}-2/elector", f"{KCM}-2/replicaset-controller", f"{KCM}-2/node-lifecycle-controller"):
        assert model.view(s, name).now == s.clock + 20
    assert model.view(s, f"{KCM}-1/elector").now == s.clock


def test_explore_runs_on_a_tiny_ha_scenario() -> None:
    run = kmodel.explore(SCENARIOS / "le-pause-split-brain.yaml", max_depth=2, max_states=2000)
    assert run.result.distinct > 1 and run.result.verdict in ("held", "bound")


def test_leader_invariants_apply_by_default_only_with_ha() -> None:
    data = copy.deepcopy(load_scenario().resolved)
    del data["spec"]["invariants"]
    plain = {p.name for p in scenario_from_data(data, "t").model().properties()}
    assert "SingleLeader" not in plain and "ReplicasConverge" in plain
    spec = ha_data()
    del spec["spec"]["invariants"]
    ha = {p.name for p in scenario_from_data(spec, "t").model().properties()}
    assert {"SingleLeader", "FencedWrites", "LeaderEventuallyElected"} <= ha


def test_leader_eventually_elected_check() -> None:
    """Holds after the initial election; fails while the holder is paused or no longer leads
    under the lease's identity; vacuous without HA."""
    from kmodel.k8s.leaderelection import leader_missing

    assert leader_missing(load_scenario().model().initial()) is None
    model = scenario_from_data(ha_data(), "t").model()
    s = model.initial()
    assert leader_missing(s) is None
    leader = holder_process(s.store.get(KEY).holder_identity)
    paused = attrs.evolve(s, paused=s.paused.set(leader, s.clock + 60))
    assert "is paused" in (leader_missing(paused) or "")
    name = f"{leader}/elector"
    cs = s.components[name]
    restarted = attrs.evolve(s, components=s.components.set(name, attrs.evolve(cs, local=ElectorState(incarnation=1))))
    assert "no running replica leads" in (leader_missing(restarted) or "")
