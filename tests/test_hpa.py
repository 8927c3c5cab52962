"""The HorizontalPodAutoscaler: its manifest, the replica formula, normalization, the controller
in the cluster, the ``setLoad`` user step and the HPASettles invariant.

Formula cases are upstream's own (``pkg/controller/podautoscaler/replica_calculator_test.go``);
normalization follows ``horizontal.go`` (function names in the docstrings).
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kmodel.core.model import Action
from kmodel.core.run import settle
from kmodel.errors import InputError
from kmodel.k8s.cluster import ClusterModel, ClusterState
from kmodel.k8s.controllers.hpa import (
    HorizontalPodAutoscalerController,
    PodSample,
    ScaleEvent,
    convert_with_behavior_rate,
    convert_with_rules,
    get_resource_replicas,
    recommend,
    scale_down_limit,
    scale_up_limit,
    stabilize_legacy,
    stabilize_with_behaviors,
    store_scale_event,
)
from kmodel.k8s.invariants import HPA_SETTLES, hpa_settles
from kmodel.k8s.objects import HorizontalPodAutoscaler, HPABehavior, HPAScalingPolicy, HPAScalingRules
from kmodel.manifests import parse_documents
from kmodel.scenario import scenario_from_data

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "properties" / "scenarios"


# -- replica_calculator.go ----------------------------------------------------------------------


def pods(
    levels: list[int | None], ready: list[bool] | None = None, requests: list[int] | None = None
) -> list[PodSample]:
    n = len(levels)
    ready = ready or [True] * n
    requests = requests or [1000] * n
    return [PodSample(f"pod-{i}", requests[i], levels[i], "Running", ready[i]) for i in range(n)]


@pytest.mark.parametrize(
    ("name", "current", "target", "samples", "expected", "utilization"),
    [
        ("ScaleUp", 3, 30, pods([300, 500, 700]), 5, 50),
        ("ScaleUpUnreadyLessScale", 3, 30, pods([300, 500, 700], [False, True, True]), 4, 60),
        ("ScaleUpUnreadyNoScale", 3, 30, pods([400, 500, 700], [True, False, False]), 3, 40),
        ("ScaleDown", 5, 50, pods([100, 300, 500, 250, 250]), 3, 28),
        ("ScaleDownIgnoresUnreadyPods", 5, 50, pods([100, 300, 500, 250, 250], [True] * 3 + [False] * 2), 2, 30),
        ("Tolerance", 3, 100, pods([1010, 1030, 1020], requests=[900, 1000, 1100]), 3, 102),
        ("MissingMetrics", 4, 100, pods([400, 95, None, None]), 3, 24),
        ("MissingMetricsNoChangeEq", 2, 100, pods([1000, None]), 2, 100),
        ("MissingMetricsNoChangeGt", 2, 100, pods([1900, None]), 2, 190),
        ("MissingMetricsNoChangeLt", 2, 100, pods([600, None]), 2, 60),
        ("MissingMetricsUnreadyNoChange", 3, 50, pods([100, 450, None], [False, True, True]), 3, 45),
        ("MissingMetricsUnreadyScaleUp", 3, 50, pods([100, 2000, None], [False, True, True]), 4, 200),
        ("MissingMetricsUnreadyScaleDown", 4, 50, pods([100, 100, 100, None], [False, True, True, True]), 3, 10),
    ],
)
def test_get_resource_replicas_matches_upstream_cases(
    name: str, current: int, target: int, samples: list[PodSample], expected: int, utilization: int
) -> None:
    """``TestReplicaCalc<name>`` in ``replica_calculator_test.go`` (pods default to Ready)."""
    proposal = get_resource_replicas(current, target, samples)
    assert not isinstance(proposal, str)
    assert (proposal.replicas, proposal.utilization) == (expected, utilization)


@pytest.mark.parametrize("how", ["Failed", "deleting"])
def test_deleting_and_failed_pods_metrics_are_not_in_the_ratio(how: str) -> None:
    """``groupPods`` puts deleting and Failed pods in ``ignoredPods`` and ``GetResourceReplicas``
    removes their metrics (``removeMetricsForPods(metrics, ignoredPods)``), as in upstream's
    ``TestReplicaCalcScaleUpIgnoresFailedPods`` (2 Running pods at 500m and 700m of 1 cpu, target
    30%: 4 replicas at 60%), here with the two other pods still reporting 100m each: counted,
    they would make it 35% and 3 replicas."""
    running = pods([500, 700], requests=[1000, 1000])
    phase = "Failed" if how == "Failed" else "Running"
    others = [PodSample(f"gone-{i}", 1000, 100, phase, how != "Failed", how == "deleting") for i in range(2)]
    proposal = get_resource_replicas(2, 30, running + others)
    assert not isinstance(proposal, str)
    assert (proposal.replicas, proposal.utilization) == (4, 60)


def test_get_resource_replicas_errors() -> None:
    """No pods, a pod without a cpu request, no metric for any ready pod: no proposal."""
    assert "no pods" in str(get_resource_replicas(1, 50, []))
    assert "missing request" in str(get_resource_replicas(1, 50, [PodSample("a", None, 100)]))
    assert "did not receive metrics" in str(get_resource_replicas(1, 50, [PodSample("a", 100, 50, ready=False)]))


def test_tolerance_is_a_band_of_ten_percent() -> None:
    """``math.Abs(1.0-usageRatio) <= tolerance`` keeps the count; just outside it scales."""
    assert get_resource_replicas(4, 100, pods([1090] * 4)).replicas == 4  # type: ignore[union-attr]
    assert get_resource_replicas(4, 100, pods([1120] * 4)).replicas == 5  # type: ignore[union-attr]
    assert get_resource_replicas(4, 100, pods([910] * 4)).replicas == 4  # type: ignore[union-attr]
    assert get_resource_replicas(4, 100, pods([880] * 4)).replicas == 4  # type: ignore[union-attr]  # ceil(3.52)
    assert get_resource_replicas(4, 100, pods([700] * 4)).replicas == 3  # type: ignore[union-attr]


# -- horizontal.go: normalization ---------------------------------------------------------------

DEFAULT_UP = HPAScalingRules(0, "Max", (HPAScalingPolicy("Pods", 4, 15), HPAScalingPolicy("Percent", 100, 15)))
DEFAULT_DOWN = HPAScalingRules(None, "Max", (HPAScalingPolicy("Percent", 100, 15),))


def test_legacy_stabilization_takes_the_highest_recommendation_of_five_minutes() -> None:
    """``stabilizeRecommendation``: max over the samples not older than 300s."""
    recs = ((5, 0), (3, 100))
    assert stabilize_legacy(recs, 250, 2)[0] == 5
    best, kept = stabilize_legacy(recs, 301, 2)
    assert best == 3 and kept == ((3, 100), (2, 301))


def test_behavior_stabilization_bounds_the_current_count() -> None:
    """``stabilizeRecommendationWithBehaviors``: within the scale-down window the highest
    recommendation wins; within the scale-up window the lowest."""
    recs = ((6, 0), (4, 60))
    assert stabilize_with_behaviors(recs, 120, 6, 2, 0, 300)[0] == 6  # down: held at 6
    assert stabilize_with_behaviors(recs, 120, 6, 2, 0, 0)[0] == 2  # window 0: at once
    assert stabilize_with_behaviors(recs, 120, 2, 8, 120, 0)[0] == 4  # up window: lowest is 4
    _, kept = stabilize_with_behaviors(recs, 350, 6, 2, 0, 300)
    assert kept == ((4, 60), (2, 350))  # (6, 0) is older than both windows


def test_default_scale_up_rate_is_four_pods_or_double_per_fifteen_seconds() -> None:
    """``calculateScaleUpLimitWithScalingRules`` with the default policies (selectPolicy Max)."""
    assert scale_up_limit(1, (), (), DEFAULT_UP, 100) == 5
    assert scale_up_limit(10, (), (), DEFAULT_UP, 100) == 20
    events = (ScaleEvent(4, 95),)  # 1 → 5 five seconds ago: the period starts at 1
    assert scale_up_limit(5, events, (), DEFAULT_UP, 100) == 5
    assert scale_up_limit(5, events, (), DEFAULT_UP, 111) == 10  # the event left the 15s period
    minimum = attrs_rules(DEFAULT_UP, select_policy="Min")
    assert scale_up_limit(10, (), (), minimum, 100) == 14
    assert scale_up_limit(10, (), (), attrs_rules(DEFAULT_UP, select_policy="Disabled"), 100) == 10


def test_scale_down_percent_truncates() -> None:
    """``calculateScaleDownLimitWithBehaviors``: Percent proposals are ``int32()``-truncated."""
    rules = HPAScalingRules(0, "Max", (HPAScalingPolicy("Percent", 50, 60), HPAScalingPolicy("Pods", 1, 60)))
    assert scale_down_limit(5, (), (), rules, 100) == 2  # min(int(2.5), 4)
    assert scale_down_limit(5, (), (), attrs_rules(rules, select_policy="Min"), 100) == 4
    assert scale_down_limit(4, (), (ScaleEvent(1, 90),), rules, 100) == 2  # period started at 5


def test_convert_with_behavior_rate_and_rules() -> None:
    """``convertDesiredReplicasWithBehaviorRate`` and the legacy ``convertDesiredReplicasWithRules``
    (scale-up at most max(2 × current, 4))."""
    b = HPABehavior(DEFAULT_UP, attrs_rules(DEFAULT_DOWN, policies=(HPAScalingPolicy("Pods", 1, 60),)))
    assert convert_with_behavior_rate(2, 20, 1, 10, (), (), b, 0) == 6
    assert convert_with_behavior_rate(2, 20, 1, 5, (), (), b, 0) == 5
    assert convert_with_behavior_rate(5, 1, 1, 10, (), (), b, 0) == 4
    assert convert_with_behavior_rate(5, 1, 5, 10, (), (), b, 0) == 5
    assert convert_with_rules(1, 10, 1, 20) == 4
    assert convert_with_rules(3, 10, 1, 20) == 6
    assert convert_with_rules(3, 0, 2, 20) == 2


def test_store_scale_event_reuses_the_last_outdated_slot() -> None:
    """``storeScaleEvent`` / ``markScaleEventsOutdated``: older than the longest period → reusable."""
    events = (ScaleEvent(1, 0), ScaleEvent(2, 10), ScaleEvent(3, 50))
    out = store_scale_event(events, 7, DEFAULT_UP, 40)
    assert out == (ScaleEvent(1, 0, True), ScaleEvent(7, 40), ScaleEvent(3, 50))
    assert store_scale_event((), 2, DEFAULT_UP, 0) == (ScaleEvent(2, 0),)


def attrs_rules(rules: HPAScalingRules, **changes: Any) -> HPAScalingRules:
    import attrs

    return attrs.evolve(rules, **changes)


# -- manifest -------------------------------------------------------------------------------------


def hpa_doc(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "maxReplicas": 4,
    }
    base.update(spec)
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web"},
        "spec": base,
    }


def test_manifest_defaults() -> None:
    """``SetDefaults_HorizontalPodAutoscaler``: minReplicas 1, cpu at 80%, no behavior; a given
    behavior is completed from the default rules (``GenerateHPAScale{Up,Down}Rules``)."""
    (hpa,) = parse_documents([hpa_doc()], "hpa.yaml")
    assert isinstance(hpa, HorizontalPodAutoscaler)
    assert (hpa.spec.min_replicas, hpa.spec.target_utilization, hpa.spec.behavior) == (1, 80, None)
    doc = hpa_doc(behavior={"scaleDown": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}})
    (hpa,) = parse_documents([doc], "hpa.yaml")
    assert hpa.spec.behavior == HPABehavior(
        DEFAULT_UP, HPAScalingRules(None, "Max", (HPAScalingPolicy("Pods", 1, 60),))
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"minReplicas": 5}, "spec.maxReplicas: must be greater than or equal to minReplicas (5)"),
        ({"minReplicas": 0}, "spec.minReplicas: must be ≥ 1"),
        ({"scaleTargetRef": {"kind": "Pod", "name": "x"}}, "spec.scaleTargetRef.kind: expected one of"),
        ({"metrics": [{"type": "Pods"}]}, "spec.metrics[0].pods: is required"),
        ({"metrics": [{"type": "Memory"}]}, "spec.metrics[0].type: expected one of Resource, Pods"),
        (
            {"metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization"}}}]},
            "spec.metrics[0].resource.target.averageUtilization: is required",
        ),
        (
            {"behavior": {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 3600}]}}},
            "spec.behavior.scaleUp.policies[0].periodSeconds: must be ≤ 1800",
        ),
        ({"behavior": {"scaleDown": {"selectPolicy": "Maximum"}}}, "spec.behavior.scaleDown.selectPolicy: expected"),
        ({"behavior": {"scaleDown": {"policies": []}}}, "spec.behavior.scaleDown.policies: must specify"),
    ],
)
def test_manifest_errors_name_the_field(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_documents([hpa_doc(**spec)], "hpa.yaml")
    assert message in str(info.value)


# -- the controller in the cluster ----------------------------------------------------------------


def scenario_data(name: str = "hpa-scale-up") -> dict[str, Any]:
    import yaml

    return yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text())


def build(data: dict[str, Any]) -> ClusterModel:
    return scenario_from_data(data, "test.yaml").model()


def set_load(model: ClusterModel, state: ClusterState, cpu: int) -> ClusterState:
    nxt = model.step(state, Action.of("setLoad", target="Deployment/web", cpu=cpu))
    assert nxt is not None
    return nxt


def replicas(state: ClusterState) -> int:
    return int(state.store.get(("Deployment", "default", "web")).spec.replicas)


def flapped(state: ClusterState) -> bool:
    """Whether HPASettles' monitor recorded a flap (its record, a ``FlapRecord``, then blocks
    the settle phase)."""
    return HPA_SETTLES.monitor is not None and HPA_SETTLES.monitor.blocks_settle(state.monitor.get("HPASettles"))


def test_setload_bad_input_names_the_field() -> None:
    data = scenario_data()
    data["spec"]["user"] = [{"op": "setLoad", "target": "Deployment/web", "cpu": ["lots"]}]
    with pytest.raises(InputError) as info:
        scenario_from_data(data, "x.yaml")
    assert "x.yaml: spec.user[0].cpu:" in str(info.value)


def test_hpa_is_registered_only_where_an_hpa_exists() -> None:
    model = build(scenario_data())
    assert isinstance(model.components["horizontal-pod-autoscaler"], HorizontalPodAutoscalerController)
    assert "HPASettles" in [p.name for p in model.properties()]
    data = scenario_data()
    data["spec"]["objects"] = data["spec"]["objects"][:1]
    data["spec"]["invariants"] = None
    data["spec"]["user"] = []
    plain = build(data)
    assert "horizontal-pod-autoscaler" not in plain.components
    assert "HPASettles" not in [p.name for p in plain.properties()]


def test_scales_up_at_once_and_down_after_the_stabilization_window() -> None:
    """900m demand, 500m requests, 50% target → ceil(900 / 250) = 4 pods without delay; back at
    200m the scale-down waits for the 300s window (``DOWNSCALE_STABILIZATION``)."""
    model = build(scenario_data())
    state = model.initial()
    assert replicas(state) == 1
    out = settle(model, set_load(model, state, 900))
    assert out.failure is None and replicas(out.state) == 4
    up_at = out.state.store.get(("HorizontalPodAutoscaler", "default", "web")).status.last_scale_time
    low = set_load(model, out.state, 200)
    out = settle(model, low)
    assert out.failure is None and replicas(out.state) == 1
    hpa = out.state.store.get(("HorizontalPodAutoscaler", "default", "web"))
    assert hpa.status.last_scale_time >= low.clock + 300 - 15
    assert (hpa.status.current_replicas, hpa.status.desired_replicas) == (1, 1)
    assert up_at is not None


def test_max_replicas_caps_the_scale_up() -> None:
    model = build(scenario_data())
    out = settle(model, set_load(model, model.initial(), 900))
    data = scenario_data()
    data["spec"]["user"][0]["cpu"] = ["200m", "3"]
    model = build(data)
    out = settle(model, set_load(model, model.initial(), 3000))
    assert out.failure is None and replicas(out.state) == 4  # wants 12, maxReplicas 4


def test_hpa_settles_reports_a_recommendation_the_target_does_not_have() -> None:
    """Known-bad for the invariant's second half: right after the load rises, before the HPA has
    synced, the target lags its recommendation."""
    model = build(scenario_data())
    state = set_load(model, model.initial(), 900)
    msg = hpa_settles(state)
    assert msg is not None and "has 1 replicas" in msg and "recommends 4" in msg
    assert hpa_settles(settle(model, state).state) is None


def test_two_hpas_on_one_deployment_flap_and_the_settle_phase_stops() -> None:
    """Known-bad: hpa-oscillation. The flap is recorded after two reversals under the same load,
    the settle phase stops there, and HPASettles reports it."""
    model = build(scenario_data("hpa-oscillation"))
    out = settle(model, model.initial())
    assert out.failure is not None
    prop, msg = out.failure
    assert prop.name == "HPASettles"
    assert "flaps under constant load (600m CPU demand)" in msg
    assert len(out.steps) < 1000


def test_one_hpa_does_not_flap_under_constant_load() -> None:
    """Known-good twin: drop the second HPA; the same cluster settles at 3 pods."""
    data = scenario_data("hpa-oscillation")
    data["spec"]["objects"] = data["spec"]["objects"][:2]
    model = build(data)
    out = settle(model, model.initial())
    assert out.failure is None and replicas(out.state) == 3
    assert not flapped(out.state)


def test_load_change_between_reversals_is_not_a_flap() -> None:
    """A reversal caused by the user moving the load is the HPA following it, not a flap."""
    model = build(scenario_data())
    state = model.initial()
    for cpu in (900, 200, 900, 200):
        state = settle(model, set_load(model, state, cpu)).state
    assert not flapped(state)


def test_check_cli_verdicts() -> None:
    """``kmodel check`` exits 0 for hpa-scale-up, 1 for hpa-oscillation, 2 for a bad input."""
    env_cmd = [sys.executable, "-m", "kmodel", "check"]
    ok = subprocess.run([*env_cmd, str(SCENARIOS / "hpa-scale-up.yaml"), "--out", "/tmp/kmodel-test-hpa"], cwd=ROOT)
    bad = subprocess.run([*env_cmd, str(SCENARIOS / "hpa-oscillation.yaml"), "--out", "/tmp/kmodel-test-hpa"], cwd=ROOT)
    assert (ok.returncode, bad.returncode) == (0, 1)


def test_bad_hpa_in_a_scenario_exits_2(tmp_path: Path) -> None:
    import yaml

    data = copy.deepcopy(scenario_data())
    data["spec"]["objects"][1]["spec"]["maxReplicas"] = 0
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    run = subprocess.run(
        [sys.executable, "-m", "kmodel", "check", str(path), "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert "spec.objects[1].spec.maxReplicas" in run.stderr


def v1_doc(**spec: Any) -> dict[str, Any]:
    base = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "maxReplicas": 4}
    base.update(spec)
    return {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web"},
        "spec": base,
    }


def test_autoscaling_v1_converts_as_the_api_server_does() -> None:
    """``pkg/apis/autoscaling/v1/conversion.go``: targetCPUUtilizationPercentage becomes one cpu
    Utilization metric; unset, the v2 default (cpu at 80%) applies."""
    cpu = {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}
    (v1,) = parse_documents([v1_doc(minReplicas=2, targetCPUUtilizationPercentage=60)], "hpa.yaml")
    (v2,) = parse_documents([hpa_doc(minReplicas=2, metrics=[cpu])], "hpa.yaml")
    assert v1 == v2
    (v1,) = parse_documents([v1_doc()], "hpa.yaml")
    (v2,) = parse_documents([hpa_doc()], "hpa.yaml")
    assert v1 == v2 and v1.spec.target_utilization == 80


def test_autoscaling_v1_errors_name_v1_fields() -> None:
    with pytest.raises(InputError) as info:
        parse_documents([v1_doc(targetCPUUtilizationPercentage=0)], "hpa.yaml")
    assert str(info.value) == "hpa.yaml: document 1: spec.targetCPUUtilizationPercentage: must be ≥ 1, got 0"
    with pytest.raises(InputError) as info:
        parse_documents([v1_doc(metrics=[])], "hpa.yaml")  # a v2 field in a v1 object
    assert str(info.value).startswith("hpa.yaml: document 1: spec.metrics: unknown field")


def test_other_metrics_are_carried_not_evaluated() -> None:
    """Memory, Pods, Object, External and ContainerResource metrics load; the HPA acts on the cpu
    metric alone and names the others as not evaluated."""
    cpu = {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}
    memory = {
        "type": "Resource",
        "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 70}},
    }
    pods = {
        "type": "Pods",
        "pods": {"metric": {"name": "packets-per-second"}, "target": {"type": "AverageValue", "averageValue": "1k"}},
    }
    external = {
        "type": "External",
        "external": {"metric": {"name": "queue_messages_ready"}, "target": {"type": "Value", "value": "30"}},
    }
    (hpa,) = parse_documents([hpa_doc(metrics=[memory, cpu, pods, external])], "hpa.yaml")
    assert hpa.spec.target_utilization == 50
    assert hpa.spec.not_evaluated() == (
        "memory Resource (Utilization 70)",
        "packets-per-second Pods (AverageValue 1k)",
        "queue_messages_ready External (Value 30)",
    )
    (cpu_only,) = parse_documents([hpa_doc(metrics=[cpu])], "hpa.yaml")
    assert cpu_only.spec.other_metrics == () and cpu_only.spec.target_utilization == 50
    (no_cpu,) = parse_documents([hpa_doc(metrics=[memory])], "hpa.yaml")
    assert no_cpu.spec.target_utilization is None
    assert isinstance(recommend(no_cpu, None, (), None), str)  # no proposal: the HPA only keeps min/max
