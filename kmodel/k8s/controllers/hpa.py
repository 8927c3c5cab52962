"""The horizontal pod autoscaler controller (``autoscaling/v2``, one cpu Utilization metric).

Mirrors ``pkg/controller/podautoscaler/horizontal.go`` and ``replica_calculator.go``:

- Every HPA is synced every ``--horizontal-pod-autoscaler-sync-period`` = 15s (and at once when
  it appears): ``reconcileAutoscaler`` reads the target's scale (``spec.replicas``), records the
  first recommendation (``recordInitialRecommendation``), and picks the desired count: 0 without
  scaling when the target has 0 replicas and minReplicas ≠ 0 (scaling disabled), maxReplicas when
  above it, minReplicas when below it, else the metric's proposal (``computeReplicasForMetrics``
  → ``GetResourceReplicas``) normalized with ``normalizeDesiredReplicas`` (no ``behavior``:
  scale-down stabilization over ``--horizontal-pod-autoscaler-downscale-stabilization`` = 300s,
  scale-up capped at max(2 × current, 4) per sync, ``convertDesiredReplicasWithRules``) or
  ``normalizeDesiredReplicasWithBehaviors`` (``stabilizeRecommendationWithBehaviors``, then
  ``convertDesiredReplicasWithBehaviorRate`` with the scale events of ``storeScaleEvent``).
  It writes the target's replicas when they change and then the HPA status (currentReplicas,
  desiredReplicas, lastScaleTime).
- ``GetResourceReplicas`` with tolerance 0.1 (``--horizontal-pod-autoscaler-tolerance``): see
  ``get_resource_replicas``.

Simplifications, each for a reason:

- Metrics come from the scenario's ``WorkloadLoad`` (kubelets do not model CPU usage): the
  workload's total CPU demand, split evenly over its Running and Ready pods (``pod_samples``).
  Every Running pod has a metric, so "missing" pods never occur in the cluster (the formula
  handles them, and is tested against upstream's cases).
- A Running pod that is not Ready is ignored (``groupPods`` ignores it while within the 5-minute
  ``cpuInitializationPeriod`` of its start, or when it has never been ready; the model has no
  per-pod ready-since time, so it ignores every unready pod).
- The scale subresource is read from the informer cache, not with a live GET, and written with
  that resourceVersion: a stale cache gives a Conflict (upstream gets one only when a write
  races its GET), retried at the next sync.
- The status write of a sync is sent by the next reconcile, once the scale write's result is
  known (upstream sends both in one sync; the written values are the same).
- One HPA is synced per reconcile (upstream runs 5 workers).
- Not modelled: HPA conditions, ``currentMetrics``, the AmbiguousSelector check of recent
  upstream (``hpa_selector_store.go``: an HPA whose selector overlaps another HPA's does not
  scale), so two HPAs on one workload fight as in releases up to 1.34
  (kubernetes/kubernetes#101648).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import attrs

from kmodel.core.fmap import FMap
from kmodel.k8s import abstraction
from kmodel.k8s.informers import Component, ComponentSpec, View
from kmodel.k8s.objects import (
    HorizontalPodAutoscaler,
    HorizontalPodAutoscalerStatus,
    HPABehavior,
    HPAScalingRules,
    Pod,
    WorkloadLoad,
    load_name,
)
from kmodel.k8s.store import Event, Request, Result

NAME = "horizontal-pod-autoscaler"
SYNC_PERIOD = 15  # --horizontal-pod-autoscaler-sync-period
TOLERANCE = 0.1  # --horizontal-pod-autoscaler-tolerance
DOWNSCALE_STABILIZATION = 300  # --horizontal-pod-autoscaler-downscale-stabilization
SCALE_UP_LIMIT_FACTOR = 2.0  # horizontal.go: scaleUpLimitFactor
SCALE_UP_LIMIT_MINIMUM = 4.0  # horizontal.go: scaleUpLimitMinimum
MAX_INT32 = 2**31 - 1
MIN_INT32 = -(2**31)

HPAKey = tuple[str, str]


@attrs.frozen
class ScaleIntent:
    """The tag of a scale write this controller sends (``Request.tag``): the HPA, its target
    (kind, namespace, name), the replica counts from and to, and the HPA's clock. ``on_result``
    reads it back, and the HPASettles monitor (``kmodel.k8s.invariants.FlapMonitor``) reads it
    off every applied request."""

    hpa: HPAKey
    target: tuple[str, str, str]
    current: int
    desired: int
    now: int


# -- replica_calculator.go ----------------------------------------------------------------------


@attrs.frozen
class PodSample:
    """One pod as ``GetResourceReplicas`` sees it: its cpu request (None if a container has
    none), its metric (millicores; None if the metrics API has none) and its state."""

    name: str
    request: int | None
    metric: int | None
    phase: str = "Running"
    ready: bool = True
    deleting: bool = False


@attrs.frozen
class Proposal:
    replicas: int
    utilization: int


def dropped(sample: PodSample) -> bool:
    """Whether ``groupPods`` puts the pod in ``ignoredPods``: being deleted, or Failed."""
    return sample.deleting or sample.phase == "Failed"


def group_pods(samples: Iterable[PodSample]) -> tuple[int, list[str], list[str]]:
    """``groupPods``: (ready count, unready pods, pods missing metrics). Deleted and Failed pods
    are upstream's ``ignoredPods``: neither counted nor, in ``get_resource_replicas``, measured
    (``dropped``); Pending pods are unready; a pod without a metric is missing; an unready pod is
    unready (see the module docstring for the simplification). (kmodel's name ``ignored`` is
    upstream's ``unreadyPods``, from before the two sets were split.)"""
    ready, ignored, missing = 0, [], []
    for s in samples:
        if dropped(s):
            continue
        if s.phase == "Pending":
            ignored.append(s.name)
            continue
        if s.metric is None:
            missing.append(s.name)
            continue
        if not s.ready:
            ignored.append(s.name)
            continue
        ready += 1
    return ready, ignored, missing


def utilization_ratio(metrics: dict[str, int], requests: dict[str, int], target: int) -> tuple[float, int] | None:
    """``metrics/utilization.go: GetResourceUtilizationRatio``: the utilization is an integer
    percent (``metricsTotal * 100 / requestsTotal``, truncated) and the ratio is that over the
    target. Metrics of pods without a request are skipped; None when no metric matched a pod."""
    total = req = 0
    for name in sorted(metrics):
        if name in requests:
            total += metrics[name]
            req += requests[name]
    if req == 0:
        return None
    util = (total * 100) // req
    return util / target, util


def get_resource_replicas(
    current: int, target: int, samples: list[PodSample], tolerance: float = TOLERANCE
) -> Proposal | str:
    """``ReplicaCalculator.GetResourceReplicas``: the proposed replica count, or why there is none.

    usageRatio over the ready pods; within tolerance → current; with no ignored or missing pods →
    ceil(ratio × ready pods). Otherwise missing pods count as 100% of their request on a scale-down
    and 0% on a scale-up, ignored (unready) pods as 0% on a scale-up only, the ratio is recomputed,
    and a result within tolerance, or one that reverses the direction, keeps the current count.
    """
    if not samples:
        return "no pods returned by selector while calculating replica count"
    ready, ignored, missing = group_pods(samples)
    # removeMetricsForPods(metrics, ignoredPods) and (…, unreadyPods): a deleting or Failed
    # pod's metric is not part of the ratio (pkg/controller/podautoscaler/replica_calculator.go:
    # GetResourceReplicas, Kubernetes 1.34)
    metrics = {s.name: s.metric for s in samples if s.metric is not None and s.name not in ignored and not dropped(s)}
    requests: dict[str, int] = {}
    for s in samples:
        if s.request is None:
            return "missing request for cpu"
        requests[s.name] = s.request
    if not metrics:
        return "did not receive metrics for any ready pods"
    first = utilization_ratio(metrics, requests, target)
    if first is None:
        return "no metrics returned matched known pods"
    usage, util = first
    rebalance = bool(ignored) and usage > 1.0
    if not rebalance and not missing:
        if abs(1.0 - usage) <= tolerance:
            return Proposal(current, util)
        return Proposal(math.ceil(usage * ready), util)
    if missing:
        if usage < 1.0:
            for name in missing:
                metrics[name] = requests[name]
        elif usage > 1.0:
            for name in missing:
                metrics[name] = 0
    if rebalance:
        for name in ignored:
            metrics[name] = 0
    second = utilization_ratio(metrics, requests, target)
    if second is None:
        return "no metrics returned matched known pods"
    new_usage = second[0]
    if abs(1.0 - new_usage) <= tolerance or (usage < 1.0 < new_usage) or (usage > 1.0 > new_usage):
        return Proposal(current, util)
    replicas = math.ceil(new_usage * len(metrics))
    if (new_usage < 1.0 and replicas > current) or (new_usage > 1.0 and replicas < current):
        return Proposal(current, util)
    return Proposal(replicas, util)


# -- horizontal.go: normalization ---------------------------------------------------------------


@abstraction.declare(fields={"time": abstraction.TIME}, plain={"change"})
@attrs.frozen
class ScaleEvent:
    """``timestampedScaleEvent``: a replica change, when, and whether it is outdated (reusable)."""

    change: int
    time: int
    outdated: bool = False


def stabilize_legacy(
    recs: tuple[tuple[int, int], ...], now: int, desired: int
) -> tuple[int, tuple[tuple[int, int], ...]]:
    """``stabilizeRecommendation`` (no behavior): the max of ``desired`` and the recommendations
    not older than the downscale window; the new one replaces an old sample (here: old samples,
    which can never count again, are dropped)."""
    cutoff = now - DOWNSCALE_STABILIZATION
    best = desired
    for r, t in recs:
        if t >= cutoff and r > best:
            best = r
    kept = tuple(rt for rt in recs if rt[1] >= cutoff)
    return best, (*kept, (desired, now))


def stabilize_with_behaviors(
    recs: tuple[tuple[int, int], ...], now: int, current: int, desired: int, up_window: int, down_window: int
) -> tuple[int, tuple[tuple[int, int], ...]]:
    """``stabilizeRecommendationWithBehaviors``: the lowest recommendation within the scale-up
    window and the highest within the scale-down window bound the current count; the raw
    ``desired`` is recorded (samples older than both windows are dropped, as never counted again)."""
    up = down = desired
    up_cut, down_cut = now - up_window, now - down_window
    for r, t in recs:
        if t > up_cut:
            up = min(r, up)
        if t > down_cut:
            down = max(r, down)
    rec = current
    if rec < up:
        rec = up
    if rec > down:
        rec = down
    kept = tuple(rt for rt in recs if not (rt[1] < up_cut and rt[1] < down_cut))
    return rec, (*kept, (desired, now))


def replicas_change_per_period(period: int, events: tuple[ScaleEvent, ...], now: int) -> int:
    """``getReplicasChangePerPeriod``: the changes of events after ``now - period``."""
    return sum(e.change for e in events if e.time > now - period)


def _policy_limit(
    current: int,
    up: tuple[ScaleEvent, ...],
    down: tuple[ScaleEvent, ...],
    rules: HPAScalingRules,
    now: int,
    grow: bool,
) -> int:
    """The two upstream limit functions share their shape: each policy proposes a bound from the
    replicas at the start of its period (current minus the period's scale-ups plus its
    scale-downs), and ``selectPolicy`` picks the loosest (Max) or the tightest (Min)."""
    if rules.select_policy == "Disabled":
        return current
    loosest = rules.select_policy != "Min"
    pick = max if loosest == grow else min
    result = MIN_INT32 if pick is max else MAX_INT32
    for p in rules.policies:
        start = (
            current
            - replicas_change_per_period(p.period_seconds, up, now)
            + replicas_change_per_period(p.period_seconds, down, now)
        )
        if p.type == "Pods":
            proposed = start + p.value if grow else start - p.value
        elif grow:
            proposed = math.ceil(float(start) * (1 + float(p.value) / 100))
        else:
            proposed = int(float(start) * (1 - float(p.value) / 100))
        result = pick(result, proposed)
    return result


def scale_up_limit(
    current: int, up: tuple[ScaleEvent, ...], down: tuple[ScaleEvent, ...], rules: HPAScalingRules, now: int
) -> int:
    """``calculateScaleUpLimitWithScalingRules``."""
    return _policy_limit(current, up, down, rules, now, grow=True)


def scale_down_limit(
    current: int, up: tuple[ScaleEvent, ...], down: tuple[ScaleEvent, ...], rules: HPAScalingRules, now: int
) -> int:
    """``calculateScaleDownLimitWithBehaviors`` (a Percent proposal truncates, as ``int32()``)."""
    return _policy_limit(current, up, down, rules, now, grow=False)


def convert_with_behavior_rate(
    current: int,
    desired: int,
    min_replicas: int,
    max_replicas: int,
    up: tuple[ScaleEvent, ...],
    down: tuple[ScaleEvent, ...],
    behavior: HPABehavior,
    now: int,
) -> int:
    """``convertDesiredReplicasWithBehaviorRate``: clamp to the rate limits and min/max."""
    if desired > current:
        limit = max(scale_up_limit(current, up, down, behavior.scale_up, now), current)
        return min(desired, min(max_replicas, limit))
    if desired < current:
        limit = min(scale_down_limit(current, up, down, behavior.scale_down, now), current)
        return max(desired, max(min_replicas, limit))
    return desired


def convert_with_rules(current: int, desired: int, min_replicas: int, max_replicas: int) -> int:
    """``convertDesiredReplicasWithRules`` (no behavior): min/max, and at most
    ``calculateScaleUpLimit`` = max(2 × current, 4) (``int32(math.Max(...))``)."""
    limit = int(max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM))
    maximum = min(max_replicas, limit)
    if desired < min_replicas:
        return min_replicas
    if desired > maximum:
        return maximum
    return desired


def store_scale_event(
    events: tuple[ScaleEvent, ...], change: int, rules: HPAScalingRules, now: int
) -> tuple[ScaleEvent, ...]:
    """``storeScaleEvent`` for one direction: events older than the longest policy period are
    marked outdated (``markScaleEventsOutdated``) and the last outdated one is replaced."""
    longest = max((p.period_seconds for p in rules.policies), default=0)
    marked = [attrs.evolve(e, outdated=True) if e.time < now - longest else e for e in events]
    new = ScaleEvent(change, now)
    slot = max((i for i, e in enumerate(marked) if e.outdated), default=None)
    if slot is None:
        marked.append(new)
    else:
        marked[slot] = new
    return tuple(marked)


def behavior_horizon(behavior: HPABehavior | None) -> int:
    """How long past recommendations and scale events can hold a change back."""
    if behavior is None:
        return DOWNSCALE_STABILIZATION
    periods = [p.period_seconds for r in (behavior.scale_up, behavior.scale_down) for p in r.policies]
    windows = [behavior.scale_up.stabilization_window_seconds or 0, down_window(behavior)]
    return max([*periods, *windows])


def down_window(behavior: HPABehavior) -> int:
    """``maybeInitScaleDownStabilizationWindow``: an unset scale-down window is the flag's 300s."""
    w = behavior.scale_down.stabilization_window_seconds
    return DOWNSCALE_STABILIZATION if w is None else w


# -- metrics: the metrics-server stand-in ---------------------------------------------------------


def target_of(hpa: HorizontalPodAutoscaler) -> tuple[str, str, str]:
    return (hpa.spec.target_kind, hpa.meta.namespace, hpa.spec.target_name)


def load_key(hpa: HorizontalPodAutoscaler) -> tuple[str, str, str]:
    return ("WorkloadLoad", hpa.meta.namespace, load_name(hpa.spec.target_kind, hpa.spec.target_name))


def pod_samples(target: Any, pods: Iterable[Pod], load: WorkloadLoad | None) -> list[PodSample]:
    """The target's pods (namespace and selector; terminal and deleted ones too, as the pod
    lister returns them) with their cpu requests and metrics: the load's demand split evenly
    (by name, remainder to the first) over the Running and Ready pods, 0 for Running unready pods,
    none for others or when the workload has no load."""
    ns = target.meta.namespace
    selector = target.spec.selector
    mine = sorted(
        (p for p in pods if p.meta.namespace == ns and selector.matches(p.meta.labels)), key=lambda p: p.meta.name
    )
    serving = [p.meta.name for p in mine if p.status.phase == "Running" and p.is_ready()]
    share: dict[str, int] = {}
    if load is not None and serving:
        base, extra = divmod(load.cpu, len(serving))
        share = {n: base + (1 if i < extra else 0) for i, n in enumerate(serving)}
    out = []
    for p in mine:
        cpu = [c.requests.get("cpu") for c in p.spec.containers]
        request = None if any(v is None for v in cpu) else sum(v for v in cpu if v is not None)
        metric = None
        if load is not None and p.status.phase == "Running":
            metric = share.get(p.meta.name, 0)
        out.append(
            PodSample(p.meta.name, request, metric, p.status.phase, p.is_ready(), p.meta.deletion_timestamp is not None)
        )
    return out


def recommend(
    hpa: HorizontalPodAutoscaler, target: Any, pods: Iterable[Pod], load: WorkloadLoad | None
) -> Proposal | str:
    """The metric's proposal for ``hpa`` (``computeReplicasForMetrics`` with one cpu metric). An
    HPA without a cpu Utilization metric gets none (its other metrics are not evaluated): like
    upstream's "invalid metrics" error, it then keeps its replicas within min and max."""
    if hpa.spec.target_utilization is None:
        return "no cpu Utilization metric (kmodel evaluates only that one)"
    return get_resource_replicas(target.spec.replicas, hpa.spec.target_utilization, pod_samples(target, pods, load))


# -- the component ------------------------------------------------------------------------------


@abstraction.declare(
    fields={"recommendations": abstraction.VALUE_TIMES, "last_sync": abstraction.TIME, "held_until": abstraction.TIME}
)
@attrs.frozen
class HPARecord:
    """The controller's memory of one HPA: ``recommendations``, ``scaleUpEvents``,
    ``scaleDownEvents``, the last sync, and until when a held-back change may still come."""

    recommendations: tuple[tuple[int, int], ...] = ()
    up_events: tuple[ScaleEvent, ...] = ()
    down_events: tuple[ScaleEvent, ...] = ()
    last_sync: int | None = None
    held_until: int | None = None


@attrs.frozen
class HPALocal:
    records: FMap[HPAKey, HPARecord] = FMap()
    pending_status: FMap[HPAKey, HorizontalPodAutoscalerStatus] = FMap()
    dirty: bool = True  # something it reads changed since its last sync


@attrs.frozen
class HorizontalPodAutoscalerController(Component):
    name: str = NAME
    target_kinds: tuple[str, ...] = ("Deployment",)

    def watches(self, obj: Any) -> bool:
        return isinstance(obj, HorizontalPodAutoscaler | Pod | WorkloadLoad) or obj.KIND in self.target_kinds

    def initial_local(self) -> HPALocal:
        return HPALocal()

    def on_event(self, local: HPALocal, event: Event, old: Any, view: View) -> HPALocal:
        obj = event.obj
        if isinstance(obj, HorizontalPodAutoscaler):
            key = (obj.meta.namespace, obj.meta.name)
            if event.type == "DELETED":
                return attrs.evolve(local, records=local.records.delete(key), dirty=True)
            if old is not None and old.spec == obj.spec:
                return local  # only its status changed (its own write)
        return local if local.dirty else attrs.evolve(local, dirty=True)

    def on_relist(self, local: HPALocal, view: View) -> HPALocal:
        return attrs.evolve(local, dirty=True)

    def _due(self, local: HPALocal, view: View) -> list[HorizontalPodAutoscaler]:
        out = []
        for hpa in view.list("HorizontalPodAutoscaler"):
            rec = local.records.get((hpa.meta.namespace, hpa.meta.name))
            if rec is None or rec.last_sync is None or view.now >= rec.last_sync + SYNC_PERIOD:
                out.append(hpa)
        return sorted(out, key=lambda h: (h.meta.namespace, h.meta.name))

    def reconcile(self, local: HPALocal, view: View) -> tuple[HPALocal, list[Request]]:
        if local.pending_status:
            key, status = next(iter(local.pending_status.items()))
            local = attrs.evolve(local, pending_status=local.pending_status.delete(key))
            hpa = view.get(("HorizontalPodAutoscaler", *key))
            if hpa is None or hpa.status == status:
                return local, []
            new = attrs.evolve(hpa, status=status)
            return local, [Request("update_status", hpa.key, new, precondition_rv=hpa.meta.resource_version)]
        due = self._due(local, view)
        if not due:
            if local.dirty and not view.list("HorizontalPodAutoscaler"):
                return attrs.evolve(local, dirty=False), []
            return local, []
        return self.sync(local, due[0], view)

    def sync(self, local: HPALocal, hpa: HorizontalPodAutoscaler, view: View) -> tuple[HPALocal, list[Request]]:
        """``reconcileAutoscaler`` for one HPA."""
        now = view.now
        key = (hpa.meta.namespace, hpa.meta.name)
        rec = local.records.get(key, HPARecord())
        dirty = len(self._due(local, view)) > 1  # others still wait for their sync
        target = view.get(target_of(hpa))
        if target is None:  # FailedGetScale: nothing to do until the target appears
            rec = attrs.evolve(rec, last_sync=now, held_until=None)
            return attrs.evolve(local, records=local.records.set(key, rec), dirty=dirty), []
        current = target.spec.replicas
        recs = rec.recommendations or ((current, now),)  # recordInitialRecommendation
        spec = hpa.spec
        held_until = None
        rescale = True
        if current == 0 and spec.min_replicas != 0:
            desired, rescale = 0, False  # ScalingDisabled
        elif current > spec.max_replicas:
            desired = spec.max_replicas
        elif current < spec.min_replicas:
            desired = spec.min_replicas
        else:
            proposal = recommend(hpa, target, view.list("Pod"), view.get(load_key(hpa)))
            if isinstance(proposal, str):  # FailedGetResourceMetric: status keeps currentReplicas
                status = attrs.evolve(hpa.status, current_replicas=current)
                rec = attrs.evolve(rec, recommendations=recs, last_sync=now, held_until=None)
                local = attrs.evolve(
                    local,
                    records=local.records.set(key, rec),
                    pending_status=local.pending_status.set(key, status),
                    dirty=dirty,
                )
                return local, []
            raw = max(proposal.replicas, 0)
            if spec.behavior is None:
                stabilized, recs = stabilize_legacy(recs, now, raw)
                desired = convert_with_rules(current, stabilized, spec.min_replicas, spec.max_replicas)
            else:
                b = spec.behavior
                stabilized, recs = stabilize_with_behaviors(
                    recs, now, current, raw, b.scale_up.stabilization_window_seconds or 0, down_window(b)
                )
                desired = convert_with_behavior_rate(
                    current, stabilized, spec.min_replicas, spec.max_replicas, rec.up_events, rec.down_events, b, now
                )
            if desired != min(max(raw, spec.min_replicas), spec.max_replicas):
                held_until = now + behavior_horizon(spec.behavior) + SYNC_PERIOD
            rescale = desired != current
        rec = attrs.evolve(rec, recommendations=recs, last_sync=now, held_until=held_until)
        local = attrs.evolve(local, records=local.records.set(key, rec), dirty=dirty)
        if not rescale:
            status = HorizontalPodAutoscalerStatus(current, current, hpa.status.last_scale_time)
            return attrs.evolve(local, pending_status=local.pending_status.set(key, status)), []
        new = attrs.evolve(target, spec=attrs.evolve(target.spec, replicas=desired))
        tag = ScaleIntent(hpa=key, target=target_of(hpa), current=current, desired=desired, now=now)
        return local, [Request("update", target.key, new, precondition_rv=target.meta.resource_version, tag=tag)]

    def on_result(self, local: HPALocal, req: Request, result: Result, view: View) -> HPALocal:
        if not isinstance(req.tag, ScaleIntent):
            return local
        key, current, desired, now = req.tag.hpa, req.tag.current, req.tag.desired, req.tag.now
        hpa = view.get(("HorizontalPodAutoscaler", *key))
        if hpa is None:
            return local
        if not result.ok:  # FailedUpdateScale: status keeps the current count
            status = attrs.evolve(hpa.status, current_replicas=current)
            return attrs.evolve(local, pending_status=local.pending_status.set(key, status))
        rec = local.records.get(key, HPARecord())
        b = hpa.spec.behavior
        if b is not None:  # storeScaleEvent keeps events only for HPAs with a behavior
            if desired > current:
                rec = attrs.evolve(rec, up_events=store_scale_event(rec.up_events, desired - current, b.scale_up, now))
            else:
                rec = attrs.evolve(
                    rec, down_events=store_scale_event(rec.down_events, current - desired, b.scale_down, now)
                )
        status = HorizontalPodAutoscalerStatus(current, desired, now)
        return attrs.evolve(
            local, records=local.records.set(key, rec), pending_status=local.pending_status.set(key, status)
        )

    def next_deadline(self, local: HPALocal, view: View) -> int | None:
        times = [
            rec.last_sync + SYNC_PERIOD
            for rec in local.records.values()
            if rec.last_sync is not None and rec.last_sync + SYNC_PERIOD > view.now
        ]
        return min(times) if times else None

    def settle_deadline(self, local: HPALocal, view: View) -> int | None:
        """The settle phase waits for the next sync when something the HPA reads changed since its
        last one, and for a change held back by stabilization or rate limits to come through."""
        times = [rec.held_until for rec in local.records.values() if rec.held_until is not None]
        if local.dirty:
            nxt = self.next_deadline(local, view)
            times.append(nxt if nxt is not None else view.now)
        return max(times) if times else None


def _build(config: Any) -> list[Component]:
    """Only where an HorizontalPodAutoscaler exists (users cannot create one mid-run), watching
    the kinds the scenario's HPAs scale (sorted)."""
    targets = tuple(sorted({o.spec.target_kind for o in config.objects if o.KIND == "HorizontalPodAutoscaler"}))
    return [HorizontalPodAutoscalerController(target_kinds=targets)] if targets else []


SPEC = ComponentSpec("horizontal-pod-autoscaler", build=_build)
