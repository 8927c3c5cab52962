"""kube-scheduler filters and scores against values derived by hand from the upstream formulas.

Each expected number is worked out in a comment from the upstream source named in
``kmodel/k8s/controllers/scheduler.py`` (not copied from running the code).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

import kmodel
from kmodel.core.fmap import FMap
from kmodel.errors import InputError
from kmodel.k8s.controllers.scheduler import (
    REASON_AFFINITY_CONFLICT,
    REASON_NODE_AFFINITY,
    REASON_NODE_AFFINITY_PREFILTER,
    REASON_SPREAD,
    REASON_SPREAD_MISSING_LABEL,
    NodeInfo,
    Scheduler,
    SchedulerLocal,
    balanced_allocation,
    diagnose,
    fit_failures,
    least_allocated,
    node_usage,
    required_node_affinity_matches,
    requirement_matches,
    score_nodes,
    select_host,
    spread_prefilter,
    spread_scores,
    taint_toleration_scores,
    unschedulable_message,
)
from kmodel.k8s.informers import View
from kmodel.k8s.labels import LabelSelector
from kmodel.k8s.objects import (
    POD_SCHEDULED,
    Container,
    Node,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    ObjectMeta,
    Pod,
    PodSpec,
    Taint,
    Toleration,
    TopologySpreadConstraint,
    condition,
)
from kmodel.manifests import make_node, parse_documents

ZONE = "topology.kubernetes.io/zone"
MI = 1024 * 1024
GI = 1024 * MI
SCENARIOS = Path(__file__).resolve().parents[1] / "properties" / "scenarios"


def node(
    name: str,
    cpu: int = 2000,
    memory: int = 4 * GI,
    labels: dict[str, str] | None = None,
    taints: tuple[Taint, ...] = (),
    unschedulable: bool = False,
) -> Node:
    return make_node(name, FMap({"cpu": cpu, "memory": memory}), None, labels, taints, unschedulable)


def pod(
    name: str,
    cpu: int | None = 500,
    memory: int | None = 256 * MI,
    labels: dict[str, str] | None = None,
    node_name: str = "",
    namespace: str = "default",
    **spec: Any,
) -> Pod:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    return Pod(
        meta=ObjectMeta(name=name, namespace=namespace, uid=f"uid-{name}", labels=FMap(labels or {})),
        spec=PodSpec(containers=(Container("c", requests=FMap(requests)),), node_name=node_name, **spec),
    )


def req(key: str, op: str, *values: str) -> NodeSelectorRequirement:
    return NodeSelectorRequirement(key, op, values)


def zone_spread(max_skew: int = 1, when: str = "DoNotSchedule", **kw: Any) -> TopologySpreadConstraint:
    return TopologySpreadConstraint(max_skew, ZONE, when, LabelSelector((("app", "web"),)), **kw)


def usage_of(*pods: Pod) -> dict[str, NodeInfo]:
    return node_usage(pods, FMap(), {})


# -- NodeAffinity ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requirement", "labels", "expected"),
    [
        (req("zone", "In", "a", "b"), {"zone": "b"}, True),
        (req("zone", "In", "a"), {}, False),
        (req("zone", "NotIn", "a"), {}, True),  # NotIn matches a missing key
        (req("zone", "NotIn", "a"), {"zone": "a"}, False),
        (req("gpu", "Exists"), {"gpu": ""}, True),
        (req("gpu", "DoesNotExist"), {"gpu": ""}, False),
        (req("cores", "Gt", "4"), {"cores": "8"}, True),  # 8 > 4
        (req("cores", "Gt", "8"), {"cores": "8"}, False),  # strict
        (req("cores", "Lt", "8"), {"cores": "-3"}, True),  # ParseInt takes a sign
        (req("cores", "Gt", "4"), {"cores": "8x"}, False),  # label not an integer
        (req("cores", "Gt", "4"), {}, False),  # Gt needs the key
    ],
)
def test_node_selector_requirement_operators(
    requirement: NodeSelectorRequirement, labels: dict[str, str], expected: bool
) -> None:
    # apimachinery labels.Requirement.Matches
    assert requirement_matches(requirement, labels) is expected


def test_terms_are_ored_and_expressions_anded() -> None:
    terms = (
        NodeSelectorTerm(match_expressions=(req("zone", "In", "a"), req("disk", "Exists"))),
        NodeSelectorTerm(match_expressions=(req("zone", "In", "c"),)),
    )
    p = pod("p", affinity_required=terms)
    assert required_node_affinity_matches(p, node("n1", labels={"zone": "a", "disk": "ssd"}))
    assert not required_node_affinity_matches(p, node("n2", labels={"zone": "a"}))  # term 1 lacks disk
    assert required_node_affinity_matches(p, node("n3", labels={"zone": "c"}))  # term 2
    assert not required_node_affinity_matches(p, node("n4", labels={"zone": "b"}))


def test_node_selector_and_affinity_must_both_hold() -> None:
    terms = (NodeSelectorTerm(match_expressions=(req("zone", "In", "a"),)),)
    p = pod("p", affinity_required=terms, node_selector=FMap({"disk": "ssd"}))
    assert required_node_affinity_matches(p, node("n1", labels={"zone": "a", "disk": "ssd"}))
    assert not required_node_affinity_matches(p, node("n2", labels={"zone": "a"}))
    assert not required_node_affinity_matches(p, node("n3", labels={"disk": "ssd"}))


def test_empty_term_and_unparsable_gt_match_no_node() -> None:
    # nodeaffinity.go: an empty term selects no objects; a Gt value that is not an integer makes
    # labels.NewRequirement fail, so that term never matches.
    n = node("n1", labels={"cores": "8"})
    assert not required_node_affinity_matches(pod("p", affinity_required=(NodeSelectorTerm(),)), n)
    bad = NodeSelectorTerm(match_expressions=(req("cores", "Gt", "four"),))
    assert not required_node_affinity_matches(pod("p", affinity_required=(bad,)), n)


def test_match_fields_on_node_name() -> None:
    not_n1 = (NodeSelectorTerm(match_fields=(req("metadata.name", "NotIn", "n1"),)),)
    p = pod("p", affinity_required=not_n1)
    assert not required_node_affinity_matches(p, node("n1"))
    assert required_node_affinity_matches(p, node("n2"))


def test_affinity_failure_reason_and_prefilter_on_pinned_names() -> None:
    nodes = [node("n1", labels={"zone": "a"}), node("n2", labels={"zone": "b"}), node("n3", labels={"zone": "a"})]
    by_label = pod("p", affinity_required=(NodeSelectorTerm(match_expressions=(req("zone", "In", "a"),)),))
    assert fit_failures(by_label, nodes, {}) == {"n2": REASON_NODE_AFFINITY}
    # every term pins metadata.name In → PreFilter narrows to {n1, n3}; n2 is never filtered and
    # gets the framework's "didn't satisfy plugin(s)" status (schedule_one.go: findNodesThatFitPod)
    pinned = (
        NodeSelectorTerm(match_fields=(req("metadata.name", "In", "n1"),)),
        NodeSelectorTerm(match_fields=(req("metadata.name", "In", "n3"),)),
    )
    assert fit_failures(pod("p", affinity_required=pinned), nodes, {}) == {"n2": REASON_NODE_AFFINITY_PREFILTER}
    assert REASON_NODE_AFFINITY_PREFILTER == "node(s) didn't satisfy plugin(s) [NodeAffinity]"


def test_conflicting_pinned_names_reject_at_prefilter() -> None:
    # one term with metadata.name In n1 AND In n2: the intersection is empty → PreFilter returns
    # "pod affinity terms conflict" and FitError shows only the PreFilter message.
    term = NodeSelectorTerm(match_fields=(req("metadata.name", "In", "n1"), req("metadata.name", "In", "n2")))
    nodes = [node("n1"), node("n2")]
    d = diagnose(pod("p", affinity_required=(term,)), nodes, {})
    assert dict(d.failures) == {"n1": (REASON_AFFINITY_CONFLICT,), "n2": (REASON_AFFINITY_CONFLICT,)}
    assert unschedulable_message(d, 2) == "0/2 nodes are available: pod affinity terms conflict."


def test_filter_order_taints_before_affinity() -> None:
    # default_plugins.go: TaintToleration runs before NodeAffinity, so a node failing both reports the taint
    n = node("n1", labels={"zone": "b"}, taints=(Taint("dedicated", "NoSchedule", "gpu"),))
    p = pod("p", node_selector=FMap({"zone": "a"}))
    assert fit_failures(p, [n], {}) == {"n1": "node(s) had untolerated taint {dedicated: gpu}"}


# -- NodeResourcesFit and the summary message -----------------------------------------------------


def test_fit_reports_every_insufficient_resource() -> None:
    # fit.go: fitsRequest appends a reason per resource; node 1000m / 1Gi with 800m / 900Mi used,
    # pod 500m / 256Mi: cpu 500 > 1000 − 800 = 200; memory 256Mi > 1024Mi − 900Mi = 124Mi.
    n = node("n1", cpu=1000, memory=GI)
    used = pod("u", cpu=800, memory=900 * MI, node_name="n1")
    assert fit_failures(pod("p"), [n], usage_of(used)) == {"n1": "Insufficient cpu, Insufficient memory"}


def test_summary_counts_each_reason_and_sorts_the_count_strings() -> None:
    # FitError.Error: "N reason" strings sorted as strings: "1 node(s) had…" < "2 Insufficient cpu"
    # because '1' < '2' (a sort by reason alone would put "Insufficient" first).
    nodes = [
        node("n1", cpu=100),
        node("n2", cpu=100),
        node("n3", taints=(Taint("dedicated", "NoSchedule", "gpu"),)),
    ]
    d = diagnose(pod("p"), nodes, {})
    assert unschedulable_message(d, 3) == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu."
    )


# -- PodTopologySpread filter ---------------------------------------------------------------------


def two_zones() -> list[Node]:
    return [node("node-a", labels={ZONE: "a"}), node("node-b", labels={ZONE: "b"})]


def web(name: str, node_name: str = "", **kw: Any) -> Pod:
    return pod(name, labels={"app": "web"}, node_name=node_name, **kw)


def test_spread_blocks_the_fuller_zone() -> None:
    # counts a=1, b=0; min 0. zone a: 1 + 1 (self) − 0 = 2 > maxSkew 1 → blocked; zone b: 0 + 1 − 0 = 1 ok
    p = web("p", topology_spread_constraints=(zone_spread(),))
    usage = usage_of(web("w1", "node-a"))
    assert fit_failures(p, two_zones(), usage) == {"node-a": REASON_SPREAD}


def test_spread_third_pod_over_two_zones() -> None:
    # counts a=2, b=1; min 1. zone a: 2 + 1 − 1 = 2 > 1 → blocked; zone b: 1 + 1 − 1 = 1 ok
    p = web("p", topology_spread_constraints=(zone_spread(),))
    usage = usage_of(web("w1", "node-a"), web("w2", "node-a"), web("w3", "node-b"))
    assert fit_failures(p, two_zones(), usage) == {"node-a": REASON_SPREAD}
    # maxSkew 2 admits zone a: 2 ≤ 2
    p2 = web("p", topology_spread_constraints=(zone_spread(max_skew=2),))
    assert fit_failures(p2, two_zones(), usage) == {}


def test_spread_counts_only_matching_live_pods_of_the_namespace() -> None:
    # on node-a: another app, a web pod in namespace other, a terminating web pod → none count; a=0, b=0
    p = web("p", topology_spread_constraints=(zone_spread(),))
    others = (
        pod("x", labels={"app": "db"}, node_name="node-a"),
        web("y", "node-a", namespace="other"),
        attrs.evolve(web("z", "node-a"), meta=attrs.evolve(web("z").meta, deletion_timestamp=5)),
    )
    state = spread_prefilter(p, two_zones(), usage_of(*others))
    assert dict(state.counts[0]) == {"a": 0, "b": 0}
    assert fit_failures(p, two_zones(), usage_of(*others)) == {}


def test_spread_self_match_only_when_the_pod_matches_its_selector() -> None:
    # counts a=1, b=0; a pod that does not match app=web: zone a: 1 + 0 − 0 = 1 ≤ 1 → fits
    p = pod("p", labels={"app": "other"}, topology_spread_constraints=(zone_spread(),))
    assert fit_failures(p, two_zones(), usage_of(web("w1", "node-a"))) == {}


def test_spread_node_without_the_key_fails_with_missing_label() -> None:
    nodes = [*two_zones(), node("node-x")]
    p = web("p", topology_spread_constraints=(zone_spread(),))
    assert fit_failures(p, nodes, {}) == {"node-x": REASON_SPREAD_MISSING_LABEL}
    assert (
        REASON_SPREAD_MISSING_LABEL == "node(s) didn't match pod topology spread constraints (missing required label)"
    )


def three_zones_c_tainted() -> list[Node]:
    return [*two_zones(), node("node-c", labels={ZONE: "c"}, taints=(Taint("dedicated", "NoSchedule", "gpu"),))]


def test_tainted_empty_zone_pins_the_minimum_by_default() -> None:
    # nodeTaintsPolicy Ignore: zone c (0 pods) is a domain, min 0. With a=1, b=1:
    # a: 1 + 1 − 0 = 2 > 1, b likewise, c is tainted → unschedulable.
    p = web("p", topology_spread_constraints=(zone_spread(),))
    usage = usage_of(web("w1", "node-a"), web("w2", "node-b"))
    assert fit_failures(p, three_zones_c_tainted(), usage) == {
        "node-a": REASON_SPREAD,
        "node-b": REASON_SPREAD,
        "node-c": "node(s) had untolerated taint {dedicated: gpu}",
    }
    # nodeTaintsPolicy Honor leaves zone c out: min 1, a: 1 + 1 − 1 = 1 ok
    honor = web("p", topology_spread_constraints=(zone_spread(node_taints_policy="Honor"),))
    assert set(fit_failures(honor, three_zones_c_tainted(), usage)) == {"node-c"}


def test_zone_outside_node_affinity_is_not_a_domain() -> None:
    # nodeAffinityPolicy Honor (default): node-c fails the pod's affinity, so zone c is not counted;
    # min over {a: 1, b: 1} is 1 and a: 1 + 1 − 1 = 1 fits.
    not_c = (NodeSelectorTerm(match_expressions=(req(ZONE, "NotIn", "c"),)),)
    usage = usage_of(web("w1", "node-a"), web("w2", "node-b"))
    p = web("p", affinity_required=not_c, topology_spread_constraints=(zone_spread(),))
    assert dict(spread_prefilter(p, three_zones_c_tainted(), usage).counts[0]) == {"a": 1, "b": 1}
    assert set(fit_failures(p, three_zones_c_tainted(), usage)) == {"node-c"}
    # nodeAffinityPolicy Ignore counts zone c again (min 0): a and b are blocked
    ignore = web(
        "p", affinity_required=not_c, topology_spread_constraints=(zone_spread(node_affinity_policy="Ignore"),)
    )
    assert fit_failures(ignore, three_zones_c_tainted(), usage)["node-a"] == REASON_SPREAD


def test_min_domains_treats_the_global_minimum_as_zero() -> None:
    # 2 eligible domains < minDomains 3 → global minimum 0: with a=1, b=1 each zone gives 1 + 1 − 0 = 2 > 1
    usage = usage_of(web("w1", "node-a"), web("w2", "node-b"))
    p = web("p", topology_spread_constraints=(zone_spread(min_domains=3),))
    assert set(fit_failures(p, two_zones(), usage)) == {"node-a", "node-b"}
    # minDomains 2 is met: min 1, 1 + 1 − 1 = 1 fits
    p2 = web("p", topology_spread_constraints=(zone_spread(min_domains=2),))
    assert fit_failures(p2, two_zones(), usage) == {}


def test_schedule_anyway_does_not_filter() -> None:
    p = web("p", topology_spread_constraints=(zone_spread(when="ScheduleAnyway"),))
    assert fit_failures(p, two_zones(), usage_of(web("w1", "node-a"), web("w2", "node-a"))) == {}


# -- scores ---------------------------------------------------------------------------------------


def test_balanced_allocation_from_the_std_formula() -> None:
    # node 4000m / 8Gi, already requested 1000m / 2Gi; pod 1000m / 1Gi
    # f_cpu = 2000 / 4000 = 0.5, f_mem = 3Gi / 8Gi = 0.375, std = |0.5 − 0.375| / 2 = 0.0625
    # score = int64((1 − 0.0625) × 100) = int64(93.75) = 93
    n = node("n", cpu=4000, memory=8 * GI)
    info = NodeInfo(requested={"cpu": 1000, "memory": 2 * GI})
    assert balanced_allocation(n, info, pod("p", cpu=1000, memory=GI)) == 93


def test_balanced_allocation_caps_fractions_and_skips_best_effort() -> None:
    # cpu (3000 + 2000) / 4000 = 1.25 → capped to 1; mem 4Gi / 8Gi = 0.5; std 0.25 → 75
    n = node("n", cpu=4000, memory=8 * GI)
    assert balanced_allocation(n, NodeInfo(requested={"cpu": 3000, "memory": 2 * GI}), pod("p", 2000, 2 * GI)) == 75
    # a pod requesting neither cpu nor memory: PreScore Skip → contributes 0
    assert balanced_allocation(n, NodeInfo(), pod("p", cpu=None, memory=None)) == 0


def test_balanced_uses_actual_and_least_allocated_non_zero_requests() -> None:
    # node 1000m / 1000Mi with one pod that requests nothing; incoming pod 100m / 100Mi.
    # Balanced (actual requests): f_cpu = 100/1000 = 0.1, f_mem = 100Mi/1000Mi = 0.1, std 0 → 100.
    # LeastAllocated (non-zero: the empty pod counts 100m / 200Mi):
    #   cpu (1000 − 200) × 100 / 1000 = 80, mem (1000 − 300) × 100 / 1000 = 70 → (80 + 70) / 2 = 75.
    n = node("n", cpu=1000, memory=1000 * MI)
    usage = usage_of(pod("empty", cpu=None, memory=None, node_name="n"))
    incoming = pod("p", cpu=100, memory=100 * MI)
    assert balanced_allocation(n, usage["n"], incoming) == 100
    assert least_allocated(n, usage["n"], incoming) == 75


def test_taint_toleration_score_is_reverse_normalised() -> None:
    # raw = intolerable PreferNoSchedule taints: n0 0, n1 1, n2 2; DefaultNormalizeScore(100, reverse):
    # 100 − 100·0/2 = 100, 100 − 100·1/2 = 50, 100 − 100·2/2 = 0
    soft = Taint("a", "PreferNoSchedule", "x")
    nodes = [node("n0"), node("n1", taints=(soft,)), node("n2", taints=(soft, Taint("b", "PreferNoSchedule")))]
    assert taint_toleration_scores(pod("p"), nodes) == {"n0": 100, "n1": 50, "n2": 0}
    # tolerating "a": raw 0, 0, 1 → 100, 100, 0
    tol = pod("p", tolerations=(Toleration(key="a", operator="Exists"),))
    assert taint_toleration_scores(tol, nodes) == {"n0": 100, "n1": 100, "n2": 0}


def test_balanced_allocation_changes_the_choice() -> None:
    # pod 500m / 512Mi on two 2000m / 2Gi nodes (TaintToleration gives both 100 → 300 each):
    # node-x has 1000m / 0 requested: LA cpu (2000−1500)·100/2000 = 25, mem (2048−512)·100/2048 = 75 → 50;
    #   BA f = 0.75, 0.25 → std 0.25 → 75.   total 300 + 50 + 75 = 425
    # node-y has 500m / 512Mi requested: LA 50, 50 → 50; BA f = 0.5, 0.5 → 100. total 300 + 50 + 100 = 450
    # LeastAllocated alone ties (50/50) and the tie-break would pick node-x; BalancedAllocation picks node-y.
    nodes = [node("node-x", memory=2 * GI), node("node-y", memory=2 * GI)]
    usage = {
        "node-x": NodeInfo(requested={"cpu": 1000, "memory": 0}, nonzero_requested={"cpu": 1000, "memory": 0}),
        "node-y": NodeInfo(
            requested={"cpu": 500, "memory": 512 * MI}, nonzero_requested={"cpu": 500, "memory": 512 * MI}
        ),
    }
    p = pod("p", cpu=500, memory=512 * MI)
    totals = score_nodes(p, nodes, nodes, usage)
    assert totals == {"node-x": 425, "node-y": 450}
    assert select_host(totals) == "node-y"


def test_tie_break_is_the_lowest_node_name() -> None:
    assert select_host({"node-b": 200, "node-a": 200, "node-c": 199}) == "node-a"


def test_schedule_anyway_spread_score() -> None:
    # ScheduleAnyway zone constraint, counts a=2, b=0; 2 domains → weight ln(2 + 2) = 1.3863;
    # raw a = round(2 × 1.3863 + (1 − 1)) = round(2.77) = 3, raw b = 0.
    # NormalizeScore: max 3, min 0: a = 100·(3 + 0 − 3)/3 = 0, b = 100·(3 + 0 − 0)/3 = 100
    p = web("p", topology_spread_constraints=(zone_spread(when="ScheduleAnyway"),))
    usage = usage_of(web("w1", "node-a"), web("w2", "node-a"))
    assert spread_scores(p, two_zones(), two_zones(), usage) == {"node-a": 0, "node-b": 100}
    # without ScheduleAnyway constraints the plugin is skipped
    assert spread_scores(web("q"), two_zones(), two_zones(), usage) == {}


# -- the component: assume cache, condition message -----------------------------------------------


def view_of(*objs: Any) -> View:
    by_kind: dict[str, dict[tuple[str, str], Any]] = {}
    for o in objs:
        by_kind.setdefault(o.KIND, {})[(o.meta.namespace, o.meta.name)] = o
    return View(FMap({k: FMap(v) for k, v in by_kind.items()}), now=0)


def bind_target(requests: list[Any]) -> str:
    (r,) = requests
    assert r.verb == "bind"
    return str(r.node_name)


@pytest.mark.parametrize(("assume_cache", "second"), [(True, "node-b"), (False, "node-a")])
def test_assumed_pods_count_for_spreading(assume_cache: bool, second: str) -> None:
    # Two pending web pods, zones a and b, equal nodes. The first goes to node-a (tie → lowest name).
    # With the assume cache the second sees a=1: a gives 1 + 1 − 0 = 2 > 1 → node-b. Without it the
    # view still shows a=0, so node-a ties again and wins: the spread is broken.
    c = (zone_spread(),)
    objs = [*two_zones(), web("p1", topology_spread_constraints=c), web("p2", topology_spread_constraints=c)]
    sched = Scheduler(assume_cache=assume_cache)
    local, reqs = sched.reconcile(SchedulerLocal(), view_of(*objs))
    assert bind_target(reqs) == "node-a"
    _, reqs = sched.reconcile(local, view_of(*objs))
    assert bind_target(reqs) == second


def test_unschedulable_condition_names_the_spread_reason() -> None:
    objs = [
        *three_zones_c_tainted(),
        web("w1", "node-a"),
        web("w2", "node-b"),
        web("p", topology_spread_constraints=(zone_spread(),)),
    ]
    local, reqs = Scheduler().reconcile(SchedulerLocal(), view_of(*objs))
    (r,) = reqs
    assert r.verb == "update_status"
    cond = condition(r.obj.status.conditions, POD_SCHEDULED)
    assert cond is not None and (cond.status, cond.reason) == ("False", "Unschedulable")
    assert cond.message == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, "
        "2 node(s) didn't match pod topology spread constraints."
    )
    assert ("default", "p") in local.unschedulable


def test_replicas_converge_names_the_spread_reason() -> None:
    result = kmodel.check(SCENARIOS / "sched-topology-unschedulable.yaml", seed=0)
    assert result.trace is not None
    v = result.trace.violation
    assert v.invariant == "ReplicasConverge"
    assert "fits no node" in v.message and REASON_SPREAD in v.message


# -- manifests ------------------------------------------------------------------------------------


def pod_doc(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec},
    }


def affinity(*terms: Any) -> dict[str, Any]:
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}}


def spread(**kw: Any) -> dict[str, Any]:
    c = {"maxSkew": 1, "topologyKey": ZONE, "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {}}
    c.update(kw)
    return c


def parse_pod(doc: dict[str, Any]) -> Pod:
    (p,) = parse_documents([doc], "app.yaml")
    assert isinstance(p, Pod)
    return p


def error_of(doc: dict[str, Any]) -> str:
    with pytest.raises(InputError) as info:
        parse_documents([doc], "app.yaml")
    return str(info.value)


def test_parse_affinity_and_spread() -> None:
    term = {
        "matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["4"]}],
        "matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}],
    }
    p = parse_pod(
        pod_doc(
            affinity={
                **affinity(term),
                "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": []},  # not modelled
            },
            topologySpreadConstraints=[
                spread(labelSelector={"matchLabels": {"app": "web"}}, minDomains=2, nodeTaintsPolicy="Honor")
            ],
        )
    )
    (t,) = p.spec.affinity_required
    assert t.match_expressions == (req("cores", "Gt", "4"),)
    assert t.match_fields == (req("metadata.name", "In", "n1"),)
    (c,) = p.spec.topology_spread_constraints
    assert c == TopologySpreadConstraint(
        1, ZONE, "DoNotSchedule", LabelSelector((("app", "web"),)), 2, "Honor", "Honor"
    )
    # defaults: no affinity, no constraints; a constraint without labelSelector has a nil selector
    assert parse_pod(pod_doc()).spec.affinity_required == ()
    bare = {"maxSkew": 2, "topologyKey": ZONE, "whenUnsatisfiable": "ScheduleAnyway"}
    (c2,) = parse_pod(pod_doc(topologySpreadConstraints=[bare])).spec.topology_spread_constraints
    assert (c2.label_selector, c2.min_domains, c2.node_affinity_policy, c2.node_taints_policy) == (
        None,
        None,
        "Honor",
        "Ignore",
    )


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            {"affinity": affinity({"matchExpressions": [{"key": "z", "operator": "Near", "values": ["a"]}]})},
            "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
            ".matchExpressions[0].operator: expected one of In, NotIn, Exists, DoesNotExist, Gt, Lt, got 'Near'",
        ),
        (
            {"affinity": affinity({"matchExpressions": [{"key": "z", "operator": "Gt", "values": ["1", "2"]}]})},
            "matchExpressions[0].values: must be exactly one value for operator Gt",
        ),
        (
            {"affinity": affinity({"matchExpressions": [{"key": "z", "operator": "In"}]})},
            "matchExpressions[0].values: must be non-empty for operator In",
        ),
        (
            {"affinity": affinity({"matchFields": [{"key": "metadata.labels", "operator": "In", "values": ["x"]}]})},
            "matchFields[0].key: 'metadata.labels' is not a valid field selector key",
        ),
        ({"affinity": affinity()}, "nodeSelectorTerms: must have at least one node selector term"),
        ({"topologySpreadConstraints": [spread(maxSkew=0)]}, "topologySpreadConstraints[0].maxSkew: must be ≥ 1"),
        (
            {"topologySpreadConstraints": [spread(topologyKey=None)]},
            "topologySpreadConstraints[0].topologyKey: is required",
        ),
        (
            {"topologySpreadConstraints": [spread(topologyKey="")]},
            "topologySpreadConstraints[0].topologyKey: is required",
        ),
        (
            {"topologySpreadConstraints": [spread(whenUnsatisfiable="Never")]},
            "whenUnsatisfiable: expected one of DoNotSchedule, ScheduleAnyway, got 'Never'",
        ),
        (
            {"topologySpreadConstraints": [spread(whenUnsatisfiable="ScheduleAnyway", minDomains=2)]},
            "minDomains: can only be set when whenUnsatisfiable is DoNotSchedule",
        ),
        (
            {"topologySpreadConstraints": [spread(nodeTaintsPolicy="honor")]},
            "nodeTaintsPolicy: expected Honor or Ignore",
        ),
        (
            {"topologySpreadConstraints": [spread(), spread(maxSkew=2)]},
            "topologySpreadConstraints[1].topologyKey: duplicate {topologyKey, whenUnsatisfiable}",
        ),
    ],
)
def test_parse_errors_name_the_field(spec: dict[str, Any], expected: str) -> None:
    msg = error_of(pod_doc(**spec))
    assert msg.startswith("app.yaml: document 1: spec.")
    assert expected in msg


# -- score ties are model choices: check draws them ----------------------------------------------

TIE = SCENARIOS / "sched-tie-node-selector.yaml"


def test_tie_choice_is_a_choice_spec_the_settle_phase_never_takes() -> None:
    """The scheduler's ``reconcile(component=scheduler, node=N)`` is a ``choice`` spec of the
    action space (so ``check`` draws it), right after its plain reconcile; the settle phase's
    candidates are the plain reconcile only, and a trace step naming a node is valid input."""
    from kmodel.api import check_steps
    from kmodel.core.model import Action, Categories
    from kmodel.k8s.explore_view import ExploreView

    model = kmodel.load_scenario(TIE).model()
    space = list(model.action_space())
    (choice,) = [s for s in space if s.category == "choice"]
    assert choice.params == (("component", ("scheduler",)), ("node", ("node-1", "node-2")))
    plain = Action.of("reconcile", component="scheduler")
    assert space[space.index(choice) - 1].params == (("component", ("scheduler",)),)
    cats = Categories(space)
    assert cats.of(plain) == "system"
    assert cats.of(Action.of("reconcile", component="scheduler", node="node-2")) == "choice"
    assert cats.of(Action(plain.op, (*plain.args, ("frame", "a:b,b:a")))) == "system"
    assert all(len(a.args) == 1 for a in model.system_actions(model.initial()))
    check_steps(ExploreView(model), [Action.of("reconcile", component="scheduler", node="node-2")], "t.yaml")


def test_check_finds_the_bug_only_the_other_tie_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    """``kmodel check`` (seed 0, the scenario's budget) finds sched-tie-node-selector's
    violation through a ``reconcile(..., node=node-2)`` step, and the trace replays; with the
    choice taken out of the action space (kmodel's old name-ordered tie-break only) the same
    search finds nothing."""
    from kmodel.k8s.cluster import ClusterModel

    found = kmodel.check(TIE, seed=0)
    assert found.trace is not None and found.trace.violation.invariant == "ReplicasConverge"
    assert "fits no node" in found.trace.violation.message
    assert any(a.op == "reconcile" and dict(a.args).get("node") == "node-2" for a in found.trace.steps)
    assert kmodel.replay(found.trace).reproduced

    monkeypatch.setattr(ClusterModel, "_choice_specs", lambda self, name: [])
    assert kmodel.check(TIE, seed=0).held
