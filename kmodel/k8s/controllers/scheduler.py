"""kube-scheduler: one scheduling cycle per reconcile.

Mirrors ``pkg/scheduler/schedule_one.go: scheduleOne`` with the default profile
(``pkg/scheduler/apis/config/v1/default_plugins.go: getDefaultPlugins``) restricted to the plugins
whose inputs the model has. Plugins run in the profile's order.

PreFilter (``findNodesThatFitPod``):

- ``NodeAffinity``: when every required node-selector term names nodes with a ``matchFields``
  ``metadata.name In`` requirement, only the union of those names is evaluated; the other nodes
  fail with ``node(s) didn't satisfy plugin(s) [NodeAffinity]``, and an empty union rejects the
  pod outright (``pod affinity terms conflict``).
- ``PodTopologySpread``: counts matching pods per topology domain (see ``spread_prefilter``).

Filters, first failure wins per node (``frameworkImpl.RunFilterPlugins``):

1. ``NodeUnschedulable``: ``spec.unschedulable`` unless the pod tolerates the
   ``node.kubernetes.io/unschedulable:NoSchedule`` taint.
2. ``TaintToleration``: NoSchedule / NoExecute taints the pod does not tolerate.
3. ``NodeAffinity`` (``component-helpers/scheduling/corev1/nodeaffinity``:
   ``RequiredNodeAffinity.Match``): ``nodeSelector`` AND the ORed required node-selector terms.
4. ``NodeResourcesFit`` (``noderesources/fit.go: fitsRequest``): "Too many pods" when pods + 1 >
   allocatable pods, "Insufficient <resource>" for every resource whose request exceeds
   allocatable − requested (all failing resources are reported, as upstream).
5. ``PodTopologySpread`` (``podtopologyspread/filtering.go: Filter``), DoNotSchedule constraints.

Every feasible node is scored. Upstream stops filtering once it has found
``numFeasibleNodesToFind`` nodes (``schedule_one.go``: with the default
``percentageOfNodesToScore`` 0, adaptively 50% − nodes/125 (at least 5%), and never fewer than
``minFeasibleNodesToFind`` = 100 nodes), so below 100 nodes, every scope kmodel checks (at most
20 nodes), it too scores them all: the same result, not a simplification (Kubernetes 1.34).

Scores, summed with the default weights (``RunScorePlugins``; none of these has a NormalizeScore
except TaintToleration and PodTopologySpread):

- ``NodeResourcesFit`` with the default ``LeastAllocated`` strategy, weight 1
  (``noderesources/least_allocated.go``): per resource ``(allocatable − requested) × 100 /
  allocatable`` in integers, cpu and memory weight 1 each, on the *non-zero* requests (100m cpu /
  200Mi memory for a container that does not request them, ``pkg/scheduler/util/pod_resources.go``).
- ``NodeResourcesBalancedAllocation``, weight 1 (``noderesources/balanced_allocation.go:
  balancedResourceScorer``): ``int((1 − std) × 100)`` with std = |f_cpu − f_mem| / 2 and f =
  min(requested / allocatable, 1) on the *actual* requests (``useRequested: true``); skipped for a
  pod that requests neither cpu nor memory (``PreScore`` returns Skip, issue #129138).
- ``TaintToleration``, weight 3: the count of PreferNoSchedule taints not tolerated,
  ``DefaultNormalizeScore(100, reverse=true)``.
- ``PodTopologySpread``, weight 2, for the pod's own ScheduleAnyway constraints
  (``podtopologyspread/scoring.go``).

Not modelled: the system-default spreading constraints that upstream applies to pods without
constraints (``systemDefaultConstraints``: hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway; they
need the owner's selector from the Service/ReplicaSet listers, which this scheduler does not
watch); preferred node affinity, inter-pod (anti-)affinity, ImageLocality (no image state), node
ports, volumes, preemption (and the "preemption: ..." suffix it adds to the condition message),
``matchLabelKeys``.

Tie-break: upstream picks uniformly at random among the top-scoring nodes (``selectHost``
reservoir sampling). A plain reconcile, and so the fair settle phase, takes the first by node
name; every other resolution is a model choice, the action ``reconcile(component=scheduler,
node=N)`` (category ``choice``; ``choices`` / ``reconcile_choosing``, ``reconcile(host=N)``),
which ``kmodel check`` draws, ``kmodel explore`` branches on and traces replay
(``sched-tie-node-selector`` is a bug only such a choice shows).

Assume cache (``pkg/scheduler/internal/cache/cache.go: AssumePod``): a pod is counted on its node
as soon as it is assumed, before the binding reaches the informer; ``ForgetPod`` on bind failure;
confirmed when the informer shows the pod bound (assumed pods never expire:
``durationToExpireAssumedPod = 0``). Assumed pods count for resources and for topology spreading
alike, as they sit in the scheduler's NodeInfo.

The queue: pods in order of creation (then name); a pod that fits nowhere is marked
``PodScheduled=False, reason Unschedulable`` with the upstream summary message
(``framework/types.go: FitError.Error``) and retried only after the scheduler's cache changes
(the unschedulable queue moved on cluster events).

Variant ``schedulerAssumeCache: false`` drops the assume cache, so the scheduler places pods on a
view that has not yet seen its own bindings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from kmodel.core.fmap import FMap
from kmodel.k8s import abstraction
from kmodel.k8s.informers import Component, ComponentSpec, View
from kmodel.k8s.labels import LabelSelector
from kmodel.k8s.objects import (
    POD_SCHEDULED,
    TAINT_UNSCHEDULABLE,
    Condition,
    Node,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    Pod,
    Taint,
    TopologySpreadConstraint,
    set_condition,
)
from kmodel.k8s.store import Event, Request, Result

NAME = "scheduler"
MAX_NODE_SCORE = 100
MAX_INT32 = 2**31 - 1
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024
HOSTNAME_LABEL = "kubernetes.io/hostname"

# Score plugin weights of the default profile (default_plugins.go).
WEIGHT_TAINT_TOLERATION = 3
WEIGHT_NODE_RESOURCES_FIT = 1
WEIGHT_POD_TOPOLOGY_SPREAD = 2
WEIGHT_BALANCED_ALLOCATION = 1

# Upstream reason strings.
REASON_UNSCHEDULABLE = "node(s) were unschedulable"
REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector"  # nodeaffinity.ErrReasonPod
REASON_NODE_AFFINITY_PREFILTER = "node(s) didn't satisfy plugin(s) [NodeAffinity]"
REASON_AFFINITY_CONFLICT = "pod affinity terms conflict"  # nodeaffinity.errReasonConflict
REASON_SPREAD = "node(s) didn't match pod topology spread constraints"  # ErrReasonConstraintsNotMatch
REASON_SPREAD_MISSING_LABEL = REASON_SPREAD + " (missing required label)"  # ErrReasonNodeLabelNotMatch
REASON_TOO_MANY_PODS = "Too many pods"

PodRef = tuple[str, str]


@abstraction.declare(fields={"unschedulable": abstraction.REV_VALUES, "cursor": abstraction.REV})
@attrs.frozen
class SchedulerLocal:
    assumed: FMap[PodRef, str] = FMap()  # pod → node it is assumed on
    unschedulable: FMap[PodRef, int] = FMap()  # pod → cache cursor when it last failed
    cursor: int = 0  # how far the informer had got at the last event (for retries)


# -- the scheduler cache's per-node view ----------------------------------------------------------


@attrs.define
class NodeInfo:
    """``pkg/scheduler/framework/types.go: NodeInfo``: the pods on a node (bound and assumed) and
    the sums of their requests, actual and non-zero. A scratch value of one scheduling cycle."""

    requested: dict[str, int] = attrs.Factory(dict)
    nonzero_requested: dict[str, int] = attrs.Factory(dict)
    pods: list[Pod] = attrs.Factory(list)

    @property
    def pod_count(self) -> int:
        return len(self.pods)

    def add(self, pod: Pod) -> None:
        for r, v in pod.spec.requests().items():
            self.requested[r] = self.requested.get(r, 0) + v
        for r, v in nonzero_requests(pod).items():
            self.nonzero_requested[r] = self.nonzero_requested.get(r, 0) + v
        self.pods.append(pod)


EMPTY_NODE_INFO = NodeInfo()


def nonzero_requests(pod: Pod) -> dict[str, int]:
    """cpu and memory of ``PodRequests`` with ``NonMissingContainerRequests`` 100m / 200Mi
    (``framework/types.go: calculateResource``): a container (or init container) that does not
    request cpu or memory counts the default; an explicit zero stays zero."""
    out = {"cpu": 0, "memory": 0}
    defaults = {"cpu": DEFAULT_MILLI_CPU_REQUEST, "memory": DEFAULT_MEMORY_REQUEST}
    for c in pod.spec.containers:
        for r in out:
            out[r] += c.requests.get(r, defaults[r])
    for c in pod.spec.init_containers:
        for r in out:
            out[r] = max(out[r], c.requests.get(r, defaults[r]))
    return out


def node_usage(pods: Iterable[Pod], assumed: Mapping[PodRef, str], by_ref: Mapping[PodRef, Pod]) -> dict[str, NodeInfo]:
    """Per node: the NodeInfo over non-terminal bound pods plus assumed pods the cache has not
    seen bound yet. Terminal pods are left out, as the scheduler's pod informer filters them
    (``status.phase!=Succeeded,status.phase!=Failed``)."""
    usage: dict[str, NodeInfo] = {}
    for p in pods:
        if p.spec.node_name and not p.is_terminal():
            usage.setdefault(p.spec.node_name, NodeInfo()).add(p)
    for ref, node in assumed.items():
        a = by_ref.get(ref)
        if a is not None and not a.spec.node_name:
            usage.setdefault(node, NodeInfo()).add(a)
    return usage


# -- NodeAffinity ---------------------------------------------------------------------------------

_INT64 = re.compile(r"[+-]?[0-9]+")


def _parse_int64(s: str) -> int | None:
    """Go ``strconv.ParseInt(s, 10, 64)``: optional sign, decimal digits, int64 range."""
    if not _INT64.fullmatch(s):
        return None
    v = int(s)
    return v if -(2**63) <= v < 2**63 else None


def requirement_matches(req: NodeSelectorRequirement, labels: Mapping[str, str]) -> bool:
    """``apimachinery/pkg/labels/selector.go: Requirement.Matches`` for the node selector
    operators; Gt/Lt need the label to parse as an integer."""
    op, key = req.operator, req.key
    if op == "In":
        return key in labels and labels[key] in req.values
    if op == "NotIn":
        return key not in labels or labels[key] not in req.values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    if key not in labels or len(req.values) != 1:
        return False
    have, want = _parse_int64(labels[key]), _parse_int64(req.values[0])
    if have is None or want is None:
        return False
    return have > want if op == "Gt" else have < want


def _term_parses(term: NodeSelectorTerm) -> bool:
    """``nodeSelectorRequirementsAsSelector`` / ``labels.NewRequirement``: a Gt/Lt value that is
    not an integer is a parse error, and a term with a parse error matches nothing."""
    for r in term.match_expressions:
        if r.operator in ("Gt", "Lt") and (len(r.values) != 1 or _parse_int64(r.values[0]) is None):
            return False
    return True


def term_matches(term: NodeSelectorTerm, node: Node) -> bool:
    """``nodeaffinity.go: nodeSelectorTerm.match``: every expression on the node's labels and
    every field requirement on ``metadata.name``; an empty term selects no node."""
    if not term.match_expressions and not term.match_fields:
        return False
    if not _term_parses(term):
        return False
    if not all(requirement_matches(r, node.meta.labels) for r in term.match_expressions):
        return False
    for r in term.match_fields:
        name_in = node.meta.name == r.values[0] if r.values else False
        if (r.operator == "In") != name_in:
            return False
    return True


def required_node_affinity_matches(pod: Pod, node: Node) -> bool:
    """``nodeaffinity.GetRequiredNodeAffinity(pod).Match(node)``: ``nodeSelector`` (each label
    present and equal) AND, if set, any of the required node-selector terms (ORed)."""
    labels = node.meta.labels
    for k, v in pod.spec.node_selector.items():
        if labels.get(k) != v:
            return False
    terms = pod.spec.affinity_required
    return not terms or any(term_matches(t, node) for t in terms)


def node_affinity_prefilter(pod: Pod) -> frozenset[str] | None:
    """``node_affinity.go: PreFilter``: the node names the pod may go to when every term pins
    ``metadata.name`` with In (the intersection within a term, the union over terms), or None
    when any term leaves all nodes eligible. An empty set means the terms conflict."""
    names: set[str] | None = None
    for term in pod.spec.affinity_required:
        term_names: set[str] | None = None
        for r in term.match_fields:
            if r.key == "metadata.name" and r.operator == "In":
                term_names = set(r.values) if term_names is None else term_names & set(r.values)
        if term_names is None:
            return None
        names = term_names if names is None else names | term_names
    return None if names is None else frozenset(names)


# -- PodTopologySpread ----------------------------------------------------------------------------


def _selector_matches(selector: LabelSelector | None, labels: Mapping[str, str]) -> bool:
    """``metav1.LabelSelectorAsSelector``: a nil selector matches nothing, an empty one everything."""
    return selector is not None and selector.matches(labels)


def _selector_empty(selector: LabelSelector | None) -> bool:
    return selector is not None and not selector.match_labels and not selector.match_expressions


def count_pods_match_selector(pods: Iterable[Pod], selector: LabelSelector | None, namespace: str) -> int:
    """``podtopologyspread/common.go: countPodsMatchSelector``: pods in the namespace, not
    terminating, matching the selector; an empty selector counts nothing (``selector.Empty()``)."""
    if selector is None or _selector_empty(selector):
        return 0
    return sum(
        1
        for p in pods
        if p.meta.deletion_timestamp is None
        and p.meta.namespace == namespace
        and _selector_matches(selector, p.meta.labels)
    )


def _node_included(c: TopologySpreadConstraint, pod: Pod, node: Node) -> bool:
    """``common.go: matchNodeInclusionPolicies`` (NodeInclusionPolicyInPodTopologySpread, GA)."""
    if c.node_affinity_policy == "Honor" and not required_node_affinity_matches(pod, node):
        return False
    return not (c.node_taints_policy == "Honor" and untolerated_taint(pod, node) is not None)


def _has_all_keys(node: Node, constraints: Iterable[TopologySpreadConstraint]) -> bool:
    """``common.go: nodeLabelsMatchSpreadConstraints``."""
    return all(c.topology_key in node.meta.labels for c in constraints)


@attrs.frozen
class SpreadState:
    """``filtering.go: preFilterState``: per DoNotSchedule constraint, the number of matching
    pods in each eligible topology domain (``TpValueToMatchNum``)."""

    constraints: tuple[TopologySpreadConstraint, ...] = ()
    counts: tuple[FMap[str, int], ...] = ()

    def min_match(self, i: int) -> int:
        """``preFilterState.minMatchNum``: the global minimum over eligible domains, or 0 when
        there are fewer than ``minDomains`` (default 1) of them."""
        c, counts = self.constraints[i], self.counts[i]
        min_domains = c.min_domains if c.min_domains is not None else 1
        if len(counts) < min_domains:
            return 0
        return min(counts.values()) if counts else MAX_INT32


def spread_prefilter(pod: Pod, nodes: Iterable[Node], usage: Mapping[str, NodeInfo]) -> SpreadState:
    """``filtering.go: calPreFilterState`` over *all* nodes in the snapshot (not only feasible
    ones): a node counts when it has every constraint's topology key and passes the constraint's
    inclusion policies (by default: the pod's required node affinity / nodeSelector, taints
    ignored); its domain gets the node's matching pods (``countPodsMatchSelector``), including a
    domain with 0 pods. Pods without DoNotSchedule constraints get an empty state (system-default
    constraints are all ScheduleAnyway, so they never filter)."""
    constraints = tuple(c for c in pod.spec.topology_spread_constraints if c.when_unsatisfiable == "DoNotSchedule")
    if not constraints:
        return SpreadState()
    counts: list[dict[str, int]] = [{} for _ in constraints]
    for node in nodes:
        if not _has_all_keys(node, constraints):
            continue
        pods = usage.get(node.meta.name, EMPTY_NODE_INFO).pods
        for i, c in enumerate(constraints):
            if not _node_included(c, pod, node):
                continue
            value = node.meta.labels[c.topology_key]
            n = count_pods_match_selector(pods, c.label_selector, pod.meta.namespace)
            counts[i][value] = counts[i].get(value, 0) + n
    return SpreadState(constraints, tuple(FMap(c) for c in counts))


def spread_filter(pod: Pod, node: Node, state: SpreadState) -> str | None:
    """``filtering.go: Filter``: for each DoNotSchedule constraint, the node must carry the
    topology key, and ``matching pods in its domain + (1 if the pod matches its own selector) −
    global minimum`` must not exceed ``maxSkew``."""
    for i, c in enumerate(state.constraints):
        value = node.meta.labels.get(c.topology_key)
        if value is None:
            return REASON_SPREAD_MISSING_LABEL
        self_match = 1 if _selector_matches(c.label_selector, pod.meta.labels) else 0
        skew = state.counts[i].get(value, 0) + self_match - state.min_match(i)
        if skew > c.max_skew:
            return REASON_SPREAD
    return None


# -- filters --------------------------------------------------------------------------------------

_UNSCHEDULABLE_TAINT = Taint(key=TAINT_UNSCHEDULABLE, effect="NoSchedule")
_RESOURCE_ORDER = {"cpu": 0, "memory": 1, "ephemeral-storage": 2}


def untolerated_taint(pod: Pod, node: Node, effects: tuple[str, ...] = ("NoSchedule", "NoExecute")) -> Any:
    for taint in node.spec.taints:
        if taint.effect in effects and not any(t.tolerates(taint) for t in pod.spec.tolerations):
            return taint
    return None


def fits_request(pod: Pod, node: Node, info: NodeInfo) -> tuple[str, ...]:
    """``noderesources/fit.go: fitsRequest``: every insufficient resource, pods first, then cpu,
    memory, ephemeral-storage and the others (by name; upstream iterates a map)."""
    alloc = node.status.allocatable
    reasons = []
    if info.pod_count + 1 > alloc.get("pods", 110):
        reasons.append(REASON_TOO_MANY_PODS)
    want = pod.spec.requests()
    for res in sorted((r for r in want if r != "pods"), key=lambda r: (_RESOURCE_ORDER.get(r, 3), r)):
        amount = want[res]
        if amount > 0 and amount > alloc.get(res, 0) - info.requested.get(res, 0):
            reasons.append(f"Insufficient {res}")
    return tuple(reasons)


def filter_node(pod: Pod, node: Node, info: NodeInfo, spread: SpreadState | None = None) -> tuple[str, ...]:
    """The first failing filter's reasons for ``node`` (empty when the pod fits)."""
    if node.spec.unschedulable and not any(t.tolerates(_UNSCHEDULABLE_TAINT) for t in pod.spec.tolerations):
        return (REASON_UNSCHEDULABLE,)
    taint = untolerated_taint(pod, node)
    if taint is not None:
        return (f"node(s) had untolerated taint {{{taint.key}: {taint.value}}}",)
    if not required_node_affinity_matches(pod, node):
        return (REASON_NODE_AFFINITY,)
    fit = fits_request(pod, node, info)
    if fit:
        return fit
    if spread is not None:
        reason = spread_filter(pod, node, spread)
        if reason is not None:
            return (reason,)
    return ()


@attrs.frozen
class Diagnosis:
    """``framework.Diagnosis``: the failure reasons per node, and the PreFilter rejection if any."""

    failures: FMap[str, tuple[str, ...]] = FMap()
    prefilter_msg: str = ""


def diagnose(pod: Pod, nodes: list[Node], usage: Mapping[str, NodeInfo]) -> Diagnosis:
    """``schedule_one.go: findNodesThatFitPod``: PreFilter, then the filters on each candidate."""
    allowed = node_affinity_prefilter(pod)
    if allowed is not None and not allowed:
        return Diagnosis(FMap((n.meta.name, (REASON_AFFINITY_CONFLICT,)) for n in nodes), REASON_AFFINITY_CONFLICT)
    spread = spread_prefilter(pod, nodes, usage)
    failures: dict[str, tuple[str, ...]] = {}
    for node in nodes:
        name = node.meta.name
        if allowed is not None and name not in allowed:
            failures[name] = (REASON_NODE_AFFINITY_PREFILTER,)
            continue
        reasons = filter_node(pod, node, usage.get(name, EMPTY_NODE_INFO), spread)
        if reasons:
            failures[name] = reasons
    return Diagnosis(FMap(failures))


def fit_failures(pod: Pod, nodes: list[Node], usage: dict[str, Any]) -> dict[str, str]:
    """Each node the pod does not fit, with its reasons joined by ", "."""
    return {n: ", ".join(r) for n, r in diagnose(pod, nodes, usage).failures.items()}


def unschedulable_message(diagnosis: Diagnosis, total: int) -> str:
    """``framework/types.go: FitError.Error``, e.g. ``0/3 nodes are available: 1 Insufficient cpu,
    2 node(s) had untolerated taint {...}.``: the PreFilter message if PreFilter rejected the pod,
    else a histogram of reasons as "count reason" strings sorted as strings."""
    if total == 0:
        return "no nodes available to schedule pods"  # schedule_one.go: ErrNoNodesAvailable
    head = f"0/{total} nodes are available:"
    if diagnosis.prefilter_msg:
        return f"{head} {diagnosis.prefilter_msg}."
    counts: dict[str, int] = {}
    for reasons in diagnosis.failures.values():
        for reason in reasons:
            counts[reason] = counts.get(reason, 0) + 1
    parts = sorted(f"{n} {r}" for r, n in counts.items())
    return f"{head} {', '.join(parts)}." if parts else head


# -- scores ---------------------------------------------------------------------------------------


def least_allocated(node: Node, info: NodeInfo, pod: Pod) -> int:
    """``least_allocated.go: leastResourceScorer`` over cpu and memory (weights 1), on non-zero
    requests; a resource the node does not have is skipped."""
    alloc = node.status.allocatable
    want = nonzero_requests(pod)
    total = 0
    weights = 0
    for r in ("cpu", "memory"):
        cap = alloc.get(r, 0)
        if cap == 0:
            continue
        req = info.nonzero_requested.get(r, 0) + want[r]
        total += 0 if req > cap else (cap - req) * MAX_NODE_SCORE // cap
        weights += 1
    return total // weights if weights else 0


def balanced_allocation(node: Node, info: NodeInfo, pod: Pod) -> int:
    """``balanced_allocation.go: balancedResourceScorer`` over cpu and memory on actual requests:
    ``int64((1 − std) × 100)``, std = |f_cpu − f_mem| / 2 for two resources, 0 for one. 0 (the
    plugin is skipped) for a pod requesting neither."""
    want = pod.spec.requests()
    if not want.get("cpu", 0) and not want.get("memory", 0):
        return 0
    alloc = node.status.allocatable
    fractions = []
    for r in ("cpu", "memory"):
        cap = alloc.get(r, 0)
        if cap == 0:
            continue
        fractions.append(min(float(info.requested.get(r, 0) + want.get(r, 0)) / float(cap), 1.0))
    std = abs((fractions[0] - fractions[1]) / 2) if len(fractions) == 2 else 0.0
    return int((1 - std) * float(MAX_NODE_SCORE))


def default_normalize(scores: dict[str, int], reverse: bool) -> dict[str, int]:
    """``helper/normalize_score.go: DefaultNormalizeScore(MaxNodeScore, reverse, scores)``."""
    top = max(scores.values(), default=0)
    if top == 0:
        return {n: MAX_NODE_SCORE for n in scores} if reverse else dict(scores)
    out = {}
    for n, s in scores.items():
        s = MAX_NODE_SCORE * s // top
        out[n] = MAX_NODE_SCORE - s if reverse else s
    return out


def taint_toleration_scores(pod: Pod, nodes: list[Node]) -> dict[str, int]:
    """``tainttoleration/taint_toleration.go``: Score = PreferNoSchedule taints the pod does not
    tolerate; NormalizeScore reverses it (fewest intolerable taints → 100)."""
    raw = {
        n.meta.name: sum(
            1
            for t in n.spec.taints
            if t.effect == "PreferNoSchedule" and not any(tol.tolerates(t) for tol in pod.spec.tolerations)
        )
        for n in nodes
    }
    return default_normalize(raw, reverse=True)


def _go_round(x: float) -> int:
    """Go ``math.Round`` for non-negative values: half away from zero (Python's ``round`` rounds
    half to even)."""
    t = math.floor(x)
    return t + 1 if x - t >= 0.5 else t


def spread_scores(
    pod: Pod, feasible: list[Node], all_nodes: list[Node], usage: Mapping[str, NodeInfo]
) -> dict[str, int]:
    """``podtopologyspread/scoring.go`` for the pod's ScheduleAnyway constraints: PreScore
    (``initPreScoreState``: domains of the feasible nodes, weight ln(#domains + 2) per constraint;
    counts from all nodes passing the inclusion policies), Score (Σ count × weight + maxSkew − 1,
    rounded; hostname constraints count the node's own pods) and NormalizeScore (``100 × (max +
    min − s) / max``; nodes missing a topology key get 0). Empty (plugin skipped) without
    ScheduleAnyway constraints; system-default constraints are not modelled."""
    constraints = [c for c in pod.spec.topology_spread_constraints if c.when_unsatisfiable == "ScheduleAnyway"]
    if not constraints:
        return {}
    ignored = {n.meta.name for n in feasible if not _has_all_keys(n, constraints)}
    counts: list[dict[str, int]] = [{} for _ in constraints]
    for n in feasible:
        if n.meta.name in ignored:
            continue
        for i, c in enumerate(constraints):
            if c.topology_key != HOSTNAME_LABEL:
                counts[i].setdefault(n.meta.labels[c.topology_key], 0)
    weights = []
    for i, c in enumerate(constraints):
        size = len(feasible) - len(ignored) if c.topology_key == HOSTNAME_LABEL else len(counts[i])
        weights.append(math.log(float(size + 2)))
    for node in all_nodes:
        if not _has_all_keys(node, constraints):
            continue
        pods = usage.get(node.meta.name, EMPTY_NODE_INFO).pods
        for i, c in enumerate(constraints):
            value = node.meta.labels[c.topology_key]
            if value not in counts[i] or not _node_included(c, pod, node):
                continue
            counts[i][value] += count_pods_match_selector(pods, c.label_selector, pod.meta.namespace)
    raw: dict[str, int] = {}
    for n in feasible:
        if n.meta.name in ignored:
            continue
        score = 0.0
        for i, c in enumerate(constraints):
            if c.topology_key == HOSTNAME_LABEL:
                pods = usage.get(n.meta.name, EMPTY_NODE_INFO).pods
                cnt = count_pods_match_selector(pods, c.label_selector, pod.meta.namespace)
            else:
                cnt = counts[i][n.meta.labels[c.topology_key]]
            score += float(cnt) * weights[i] + float(c.max_skew - 1)
        raw[n.meta.name] = _go_round(score)
    lo, hi = min(raw.values(), default=0), max(raw.values(), default=0)
    out = {}
    for n in feasible:
        name = n.meta.name
        if name in ignored:
            out[name] = 0
        elif hi == 0:
            out[name] = MAX_NODE_SCORE
        else:
            out[name] = MAX_NODE_SCORE * (hi + lo - raw[name]) // hi
    return out


def score_nodes(pod: Pod, feasible: list[Node], all_nodes: list[Node], usage: Mapping[str, NodeInfo]) -> dict[str, int]:
    """``frameworkImpl.RunScorePlugins``: Σ weight × (normalised) plugin score per feasible node."""
    taint = taint_toleration_scores(pod, feasible)
    spread = spread_scores(pod, feasible, all_nodes, usage)
    totals = {}
    for n in feasible:
        info = usage.get(n.meta.name, EMPTY_NODE_INFO)
        totals[n.meta.name] = (
            WEIGHT_TAINT_TOLERATION * taint[n.meta.name]
            + WEIGHT_NODE_RESOURCES_FIT * least_allocated(n, info, pod)
            + WEIGHT_POD_TOPOLOGY_SPREAD * spread.get(n.meta.name, 0)
            + WEIGHT_BALANCED_ALLOCATION * balanced_allocation(n, info, pod)
        )
    return totals


def select_host(totals: Mapping[str, int]) -> str:
    """The highest total score; ties go to the lowest node name (upstream: uniformly at random)."""
    return min(totals, key=lambda name: (-totals[name], name))


def top_hosts(totals: Mapping[str, int]) -> tuple[str, ...]:
    """Every node with the highest total score, by name: the nodes upstream ``selectHost``
    (``pkg/scheduler/schedule_one.go``, reservoir sampling over the top scores) may pick."""
    best = max(totals.values(), default=None)
    return tuple(sorted(n for n, v in totals.items() if v == best))


# -- the component --------------------------------------------------------------------------------


@attrs.frozen
class Scheduler(Component):
    name: str = NAME
    assume_cache: bool = True
    has_choices = True

    def watches(self, obj: Any) -> bool:
        return isinstance(obj, Pod | Node)

    def initial_local(self) -> SchedulerLocal:
        return SchedulerLocal()

    def on_event(self, local: SchedulerLocal, event: Event, old: Any, view: View) -> SchedulerLocal:
        local = attrs.evolve(local, cursor=event.revision)
        obj = event.obj
        if isinstance(obj, Pod):
            ref = (obj.meta.namespace, obj.meta.name)
            if ref in local.assumed and (event.type == "DELETED" or obj.spec.node_name):
                local = attrs.evolve(local, assumed=local.assumed.delete(ref))
            if event.type == "DELETED" and ref in local.unschedulable:
                local = attrs.evolve(local, unschedulable=local.unschedulable.delete(ref))
        return local

    def _pending(self, local: SchedulerLocal, view: View) -> list[Pod]:
        out = []
        for p in view.list("Pod"):
            ref = (p.meta.namespace, p.meta.name)
            if p.spec.node_name or p.meta.deletion_timestamp is not None or p.is_terminal():
                continue
            if p.spec.scheduler_name != "default-scheduler" or ref in local.assumed:
                continue
            failed_at = local.unschedulable.get(ref)
            if failed_at is not None and failed_at >= local.cursor:
                continue
            out.append(p)
        out.sort(key=lambda p: (p.meta.creation_timestamp, p.meta.name))
        return out

    def choices(self, local: SchedulerLocal, view: View) -> tuple[str, ...]:
        """The top-scoring nodes of this reconcile's scheduling cycle when there are at least two
        (upstream picks one at random: ``pkg/scheduler/schedule_one.go: selectHost``), the lowest
        named first (kmodel's default choice), else ()."""
        return self._cycle(local, view)[1]

    def reconcile_choosing(
        self, local: SchedulerLocal, view: View, choice: str
    ) -> tuple[SchedulerLocal, list[Request]]:
        """``reconcile`` binding to the tied node ``choice`` (see ``reconcile``'s ``host``)."""
        return self.reconcile(local, view, host=choice)

    def reconcile(
        self, local: SchedulerLocal, view: View, host: str | None = None
    ) -> tuple[SchedulerLocal, list[Request]]:
        """One scheduling cycle. ``host``: bind to that top-scoring node instead of the lowest
        named one (another resolution of upstream's random tie-break); a ``host`` that is not
        among tied top-scoring nodes gives no requests and the local state unchanged."""
        if host is None:
            return self._cycle(local, view)[0]
        (new_local, reqs), tied = self._cycle(local, view, host)
        if host not in tied:
            return local, []
        return new_local, reqs

    def _cycle(
        self, local: SchedulerLocal, view: View, host: str | None = None
    ) -> tuple[tuple[SchedulerLocal, list[Request]], tuple[str, ...]]:
        pending = self._pending(local, view)
        if not pending:
            return (local, []), ()
        pod = pending[0]
        ref = (pod.meta.namespace, pod.meta.name)
        pods = list(view.list("Pod"))
        by_ref = {(p.meta.namespace, p.meta.name): p for p in pods}
        assumed = local.assumed if self.assume_cache else FMap()
        usage = node_usage(pods, assumed, by_ref)
        nodes = list(view.list("Node"))
        diagnosis = diagnose(pod, nodes, usage)
        feasible = [n for n in nodes if n.meta.name not in diagnosis.failures]
        if not feasible:
            local = attrs.evolve(local, unschedulable=local.unschedulable.set(ref, local.cursor))
            cond = Condition(POD_SCHEDULED, "False", "Unschedulable", unschedulable_message(diagnosis, len(nodes)))
            new_status = attrs.evolve(pod.status, conditions=set_condition(pod.status.conditions, cond))
            if new_status == pod.status:
                return (local, []), ()
            return (
                local,
                [Request("update_status", pod.key, attrs.evolve(pod, status=new_status), tag=("sched-status",))],
            ), ()
        totals = score_nodes(pod, feasible, nodes, usage)
        tied = top_hosts(totals)
        tied = tied if len(tied) > 1 else ()
        best = host if host is not None and host in tied else select_host(totals)
        local = attrs.evolve(local, unschedulable=local.unschedulable.delete(ref))
        # The pod leaves the scheduling queue either way; only with the assume cache does it
        # also count against its node before the informer shows the binding.
        local = attrs.evolve(local, assumed=local.assumed.set(ref, best))
        return (
            local,
            [Request("bind", pod.key, node_name=best, precondition_uid=pod.meta.uid, tag=("bind", ref))],
        ), tied

    def on_result(self, local: SchedulerLocal, req: Request, result: Result, view: View) -> SchedulerLocal:
        if req.verb == "bind" and not result.ok:
            # handleBindingCycleError → ForgetPod
            return attrs.evolve(local, assumed=local.assumed.delete(req.tag[1]))
        return local


SPEC = ComponentSpec("scheduler", build=lambda config: [Scheduler(assume_cache=config.variants.scheduler_assume_cache)])
