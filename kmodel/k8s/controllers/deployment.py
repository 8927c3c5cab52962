"""The Deployment controller.

Mirrors ``pkg/controller/deployment/`` in kubernetes/kubernetes (v1.3x):

- ``deployment_controller.go``: event handlers (``addDeployment``/``updateDeployment``/
  ``deleteDeployment`` enqueue the Deployment; ``addReplicaSet``/``updateReplicaSet``/
  ``deleteReplicaSet`` enqueue the Deployment named by the ReplicaSet's controllerRef;
  ``deletePod`` enqueues a Recreate Deployment once none of its pods is left) and
  ``syncDeployment``: deleted → ``syncStatusOnly``; ``checkPausedConditions``; paused → ``sync``;
  ``isScalingEvent`` → ``sync``; else ``rolloutRecreate`` or ``rolloutRolling``.
- ``rolling.go``: ``rolloutRolling``, ``reconcileNewReplicaSet``, ``reconcileOldReplicaSets``
  (``maxScaledDown = allPodsCount - minAvailable - newRSUnavailablePodCount``),
  ``cleanupUnhealthyReplicas``, ``scaleDownOldReplicaSetsForRollingUpdate``.
- ``recreate.go``: ``rolloutRecreate`` (scale every old ReplicaSet to 0, wait until
  ``oldPodsRunning`` is false, only then create/scale up the new one).
- ``sync.go``: ``getAllReplicaSetsAndSyncRevision``, ``getNewReplicaSet`` (ReplicaSet named
  ``<deployment>-<pod-template-hash>``, created with ``NewRSNewReplicas`` replicas),
  ``scale`` (proportional scaling), ``scaleReplicaSet``, ``cleanupDeployment``
  (``revisionHistoryLimit``), ``syncDeploymentStatus``, ``calculateStatus``, ``isScalingEvent``.
- ``progress.go``: ``syncRolloutStatus`` (Progressing condition: NewReplicaSetAvailable,
  ReplicaSetUpdated, ProgressDeadlineExceeded) and ``requeueStuckDeployment`` (a timer at
  ``lastUpdateTime + progressDeadlineSeconds``, plus 1s as upstream).
- ``util/deployment_util.go``: the revision, desired-replicas and max-replicas annotations,
  ``NewRSNewReplicas``, ``ResolveFenceposts`` (surge rounds up, unavailable rounds down, both 0 →
  unavailable 1), ``MaxUnavailable``, ``MaxSurge``, ``GetProportion``, ``IsSaturated``,
  ``FindActiveOrLatest``, ``DeploymentComplete``, ``DeploymentProgressing``,
  ``DeploymentTimedOut``; ``pkg/controller/controller_utils.go: ComputeHash``.

How one sync becomes requests. Upstream's sync makes API calls one after another and returns at
the first error (the key is then requeued, rate-limited). kmodel's reconcile returns the calls of
one sync as a list that the cluster applies in order, so:

- each write carries the resourceVersion of the object upstream's code holds at that point: the
  cached copy (so a write based on a stale cache conflicts) — except where upstream holds the
  object a previous write of the same sync returned; those writes are merged into the earlier
  request (same effect, one request);
- when upstream would write the same cached copy twice (e.g. ``getNewReplicaSet`` runs once in
  ``isScalingEvent`` and again in the rollout; or the Deployment's status is written after an
  earlier ``UpdateStatus`` of the same sync), the second write is sent and the sync stops there:
  it conflicts, exactly as upstream's does, and upstream's sync returns that error;
- a failure the controller cannot foresee (a conflict with someone else's write, a lost
  request) does not stop the later requests of the same sync; they carry their own
  preconditions. Any failed request requeues the Deployment (the rate limiter's 5ms…82s backoff
  is below the model clock's 1s granularity, so it is requeued at once).

Simplifications (and why):

- ReplicaSet adoption/orphaning (``ClaimReplicaSets``) is not modelled: the controller manages
  the ReplicaSets whose controllerRef is the Deployment, and its informers only hold those (and
  the pods labelled ``pod-template-hash`` whose controllerRef is a ReplicaSet) — the objects the
  modelled logic reads.
- The pod-template-hash is FNV-1a 32 over a canonical text of the template (upstream hashes a
  ``spew``/``dump.ForHash`` print of the Go struct, which kmodel cannot reproduce byte for byte),
  then ``SafeEncodeString`` as upstream; hash collisions bump ``status.collisionCount``.
- The API server's Deployment status strategy keeps ``metadata.annotations`` from an
  ``UpdateStatus`` (``deploymentStatusStrategy.PrepareForUpdate`` resets only spec and labels),
  and upstream writes the revision annotation that way. kmodel's store drops metadata on
  ``update_status``, so a write that changes the annotations is sent as an ``update``; the
  conditions that same upstream call would have written are dropped (the following status write
  of the sync conflicts anyway, and the next sync writes them: the Progressing reason then reads
  FoundNewReplicaSet rather than NewReplicaSetCreated).
- A failed ReplicaSet create other than AlreadyExists only requeues (upstream also records a
  ReplicaSetCreateError condition). ``rollbackTo`` (extensions/v1beta1 only), ReplicaSet
  failure conditions, ``status.terminatingReplicas`` and ``podReplacementPolicy`` (feature gates
  DeploymentReplicaSetTerminatingReplicas / DeploymentPodReplacementPolicy) are not modelled.
- ``minReadySeconds`` is copied to the ReplicaSets; the ReplicaSet controller honours it only as 0.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

import attrs

from kmodel.core.fmap import FMap
from kmodel.k8s import abstraction, workqueue
from kmodel.k8s.informers import Component, ComponentSpec, View
from kmodel.k8s.labels import LabelSelector
from kmodel.k8s.objects import (
    Deployment,
    DeploymentCondition,
    DeploymentStatus,
    Key,
    ObjectMeta,
    OwnerReference,
    Pod,
    PodTemplateSpec,
    ReplicaSet,
    ReplicaSetSpec,
)
from kmodel.k8s.store import NAME_ALPHABET, Event, Request, Result, Verb

NAME = "deployment-controller"

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
POD_TEMPLATE_HASH = "pod-template-hash"  # apps.DefaultDeploymentUniqueLabelKey
ANNOTATIONS_TO_SKIP = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        REVISION,
        REVISION_HISTORY,
        DESIRED_REPLICAS,
        MAX_REPLICAS,
        "deprecated.deployment.rollback.to",
    }
)
MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000  # sync.go: maxRevHistoryLengthInChars
MAX_INT32 = 2**31 - 1

ROLLING_UPDATE = "RollingUpdate"
RECREATE = "Recreate"

PROGRESSING = "Progressing"
AVAILABLE = "Available"
# util/deployment_util.go condition reasons
REASON_RS_UPDATED = "ReplicaSetUpdated"
REASON_FOUND_NEW_RS = "FoundNewReplicaSet"
REASON_NEW_RS_CREATED = "NewReplicaSetCreated"
REASON_NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
REASON_TIMED_OUT = "ProgressDeadlineExceeded"
REASON_PAUSED = "DeploymentPaused"
REASON_RESUMED = "DeploymentResumed"
REASON_MIN_AVAILABLE = "MinimumReplicasAvailable"
REASON_MIN_UNAVAILABLE = "MinimumReplicasUnavailable"

DKey = tuple[str, str]  # (namespace, name)
FRESH = -1  # resourceVersion marking an object returned by a write earlier in the same sync


# -- util/deployment_util.go -----------------------------------------------------------------


def scaled_value(value: int | str | None, total: int, round_up: bool) -> int:
    """``intstr.GetScaledValueFromIntOrPercent`` (nil → 0 via ``ValueOrDefault``): an int as is,
    ``"N%"`` as ``N * total / 100`` rounded up (``math.Ceil``) or down (``math.Floor``)."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    percent = int(value.rstrip("%"))
    if round_up:
        return -((-percent * total) // 100)
    return (percent * total) // 100


def is_rolling_update(d: Deployment) -> bool:
    return d.spec.strategy_type == ROLLING_UPDATE


def resolve_fenceposts(max_surge: int | str | None, max_unavailable: int | str | None, desired: int) -> tuple[int, int]:
    """``ResolveFenceposts``: surge rounds up, unavailable rounds down; if both resolve to 0,
    unavailable becomes 1 ("on the theory that surge might not work due to quota")."""
    surge = scaled_value(max_surge, desired, True)
    unavailable = scaled_value(max_unavailable, desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_unavailable(d: Deployment) -> int:
    """``MaxUnavailable``: 0 for Recreate or 0 replicas; capped at ``spec.replicas``."""
    if not is_rolling_update(d) or d.spec.replicas == 0:
        return 0
    _, unavailable = resolve_fenceposts(d.spec.max_surge, d.spec.max_unavailable, d.spec.replicas)
    return min(unavailable, d.spec.replicas)


def max_surge(d: Deployment) -> int:
    """``MaxSurge``: 0 for Recreate."""
    if not is_rolling_update(d):
        return 0
    surge, _ = resolve_fenceposts(d.spec.max_surge, d.spec.max_unavailable, d.spec.replicas)
    return surge


def replica_count(rss: Iterable[ReplicaSet | None]) -> int:
    """``GetReplicaCountForReplicaSets``: the sum of ``spec.replicas``."""
    return sum(rs.spec.replicas for rs in rss if rs is not None)


def actual_replica_count(rss: Iterable[ReplicaSet | None]) -> int:
    """``GetActualReplicaCountForReplicaSets``: the sum of ``status.replicas``."""
    return sum(rs.status.replicas for rs in rss if rs is not None)


def ready_replica_count(rss: Iterable[ReplicaSet | None]) -> int:
    return sum(rs.status.ready_replicas for rs in rss if rs is not None)


def available_replica_count(rss: Iterable[ReplicaSet | None]) -> int:
    """``GetAvailableReplicaCountForReplicaSets``: the sum of ``status.availableReplicas``."""
    return sum(rs.status.available_replicas for rs in rss if rs is not None)


def filter_active(rss: Iterable[ReplicaSet | None]) -> list[ReplicaSet]:
    """``controller.FilterActiveReplicaSets``: non-nil with ``spec.replicas > 0``."""
    return [rs for rs in rss if rs is not None and rs.spec.replicas > 0]


def by_creation(rs: ReplicaSet) -> tuple[int, str]:
    """``controller.ReplicaSetsByCreationTimestamp``: older first, then by name."""
    return (rs.meta.creation_timestamp, rs.meta.name)


def revision(rs: ReplicaSet) -> int | None:
    """``Revision``: the revision annotation (0 when absent); None when it does not parse."""
    value = rs.meta.annotations.get(REVISION)
    if value is None:
        return 0
    return _parse_int(value)


def _parse_int(value: str) -> int | None:
    """``strconv.ParseInt(v, 10, 64)`` / ``strconv.Atoi``: optional sign, decimal digits."""
    body = value[1:] if value[:1] in "+-" else value
    if not body.isdigit() or not body.isascii():
        return None
    return int(value)


def max_revision(rss: Iterable[ReplicaSet]) -> int:
    """``MaxRevision``: replica sets whose revision does not parse are skipped."""
    best = 0
    for rs in rss:
        v = revision(rs)
        if v is not None and v > best:
            best = v
    return best


def by_revision(rs: ReplicaSet) -> tuple[int, int, str]:
    """``ReplicaSetsByRevision`` (cleanupDeployment's order): lower revision first; creation
    timestamp breaks ties and orders replica sets whose revision does not parse."""
    v = revision(rs)
    return (v if v is not None else -1, *by_creation(rs))


def equal_ignore_hash(t1: PodTemplateSpec, t2: PodTemplateSpec) -> bool:
    """``EqualIgnoreHash``: templates equal once the pod-template-hash label is removed."""
    return t1.labels.delete(POD_TEMPLATE_HASH) == t2.labels.delete(POD_TEMPLATE_HASH) and t1.spec == t2.spec


def find_new_replica_set(d: Deployment, rs_list: list[ReplicaSet]) -> ReplicaSet | None:
    """``FindNewReplicaSet``: the oldest replica set whose template equals the Deployment's."""
    for rs in sorted(rs_list, key=by_creation):
        if equal_ignore_hash(rs.spec.template, d.spec.template):
            return rs
    return None


def find_old_replica_sets(d: Deployment, rs_list: list[ReplicaSet]) -> list[ReplicaSet]:
    """``FindOldReplicaSets`` (the second result, all old replica sets), in creation order."""
    new = find_new_replica_set(d, rs_list)
    return [rs for rs in sorted(rs_list, key=by_creation) if new is None or rs.meta.uid != new.meta.uid]


def new_rs_new_replicas(d: Deployment, all_rss: list[ReplicaSet], new_rs: ReplicaSet) -> int:
    """``NewRSNewReplicas``: RollingUpdate scales the new RS up while the total of all
    ``spec.replicas`` stays within ``replicas + maxSurge`` and the new RS within ``replicas``;
    Recreate gives it ``replicas`` at once."""
    if not is_rolling_update(d):
        return d.spec.replicas
    surge = scaled_value(d.spec.max_surge, d.spec.replicas, True)
    current = replica_count(all_rss)
    max_total = d.spec.replicas + surge
    if current >= max_total:
        return new_rs.spec.replicas
    scale_up = min(max_total - current, d.spec.replicas - new_rs.spec.replicas)
    return new_rs.spec.replicas + scale_up


def _int_annotation(rs: ReplicaSet, key: str) -> int | None:
    value = rs.meta.annotations.get(key)
    return None if value is None else _parse_int(value)


def is_saturated(d: Deployment, rs: ReplicaSet | None) -> bool:
    """``IsSaturated``: the RS and its desired-replicas annotation both say ``replicas``, and
    that many of its pods are available."""
    if rs is None:
        return False
    desired = _int_annotation(rs, DESIRED_REPLICAS)
    if desired is None:
        return False
    return (
        rs.spec.replicas == d.spec.replicas
        and desired == d.spec.replicas
        and rs.status.available_replicas == d.spec.replicas
    )


def find_active_or_latest(new_rs: ReplicaSet | None, old_rss: list[ReplicaSet]) -> ReplicaSet | None:
    """``FindActiveOrLatest``: the only active RS, or the newest when none is active; None when
    several are active (they are then scaled proportionally)."""
    if new_rs is None and not old_rss:
        return None
    newest_first = sorted(old_rss, key=by_creation, reverse=True)
    active = filter_active([*newest_first, new_rs])
    if not active:
        return new_rs if new_rs is not None else newest_first[0]
    if len(active) == 1:
        return active[0]
    return None


def replicas_annotations_need_update(rs: ReplicaSet, desired: int, max_replicas: int) -> bool:
    """``ReplicasAnnotationsNeedUpdate``."""
    a = rs.meta.annotations
    return a.get(DESIRED_REPLICAS) != str(desired) or a.get(MAX_REPLICAS) != str(max_replicas)


def set_replicas_annotations(rs: ReplicaSet, desired: int, max_replicas: int) -> ReplicaSet:
    """``SetReplicasAnnotations``."""
    a = rs.meta.annotations.set(DESIRED_REPLICAS, str(desired)).set(MAX_REPLICAS, str(max_replicas))
    return attrs.evolve(rs, meta=attrs.evolve(rs.meta, annotations=a))


def set_new_replica_set_annotations(
    d: Deployment, rs: ReplicaSet, new_revision: str, exists: bool, limit: int = MAX_REV_HISTORY_LENGTH_IN_CHARS
) -> tuple[ReplicaSet, bool]:
    """``SetNewReplicaSetAnnotations``: copy the Deployment's annotations (but the skipped
    ones), raise the revision to ``new_revision`` (keeping the old one in revision-history when
    a replica set is brought back), and for a replica set about to be created set the
    desired/max-replicas annotations. Returns the replica set and whether anything changed."""
    annotations = dict(rs.meta.annotations)
    changed = False
    for k, v in d.meta.annotations.items():
        if k in ANNOTATIONS_TO_SKIP or annotations.get(k) == v:
            continue
        annotations[k] = v
        changed = True

    def result(flag: bool) -> tuple[ReplicaSet, bool]:
        return attrs.evolve(rs, meta=attrs.evolve(rs.meta, annotations=FMap(annotations))), flag

    had_revision = REVISION in annotations
    old_revision = annotations.get(REVISION, "")
    old_int = _parse_int(old_revision)
    if old_int is None:
        if old_revision != "":
            return result(False)  # "Updating replica set revision OldRevision not int"
        old_int = 0
    new_int = int(new_revision)
    if old_int < new_int:
        annotations[REVISION] = new_revision
        changed = True
    if had_revision and old_int < new_int:
        history = annotations.get(REVISION_HISTORY, "")
        old_revisions = history.split(",")
        if len(old_revisions[0]) == 0:
            annotations[REVISION_HISTORY] = old_revision
        else:
            total = len(history) + len(old_revision) + 1
            start = 0
            while total > limit and start < len(old_revisions):
                total -= len(old_revisions[start]) + 1
                start += 1
            if total <= limit:
                annotations[REVISION_HISTORY] = ",".join([*old_revisions[start:], old_revision])
    if not exists:
        desired, most = d.spec.replicas, d.spec.replicas + max_surge(d)
        if annotations.get(DESIRED_REPLICAS) != str(desired) or annotations.get(MAX_REPLICAS) != str(most):
            annotations[DESIRED_REPLICAS] = str(desired)
            annotations[MAX_REPLICAS] = str(most)
            changed = True
    return result(changed)


def has_progress_deadline(d: Deployment) -> bool:
    return d.spec.progress_deadline_seconds != MAX_INT32


def has_revision_history_limit(d: Deployment) -> bool:
    return d.spec.revision_history_limit != MAX_INT32


def deployment_complete(d: Deployment, status: DeploymentStatus) -> bool:
    """``DeploymentComplete``: every desired replica updated and available, no other replicas,
    and the current generation observed."""
    n = d.spec.replicas
    return (
        status.updated_replicas == n
        and status.replicas == n
        and status.available_replicas == n
        and status.observed_generation >= d.meta.generation
    )


def deployment_progressing(d: Deployment, new: DeploymentStatus) -> bool:
    """``DeploymentProgressing``: more updated, fewer old, more ready or more available."""
    old = d.status
    return (
        new.updated_replicas > old.updated_replicas
        or (new.replicas - new.updated_replicas) < (old.replicas - old.updated_replicas)
        or new.ready_replicas > old.ready_replicas
        or new.available_replicas > old.available_replicas
    )


def get_condition(status: DeploymentStatus, ctype: str) -> DeploymentCondition | None:
    for c in status.conditions:
        if c.type == ctype:
            return c
    return None


def set_condition(status: DeploymentStatus, cond: DeploymentCondition) -> DeploymentStatus:
    """``SetDeploymentCondition``: no change when status and reason are the same; the
    transition time is kept when only the reason changes; the condition goes last."""
    current = get_condition(status, cond.type)
    if current is not None and current.status == cond.status and current.reason == cond.reason:
        return status
    if current is not None and current.status == cond.status:
        cond = attrs.evolve(cond, last_transition_time=current.last_transition_time)
    return attrs.evolve(status, conditions=(*(c for c in status.conditions if c.type != cond.type), cond))


def remove_condition(status: DeploymentStatus, ctype: str) -> DeploymentStatus:
    return attrs.evolve(status, conditions=tuple(c for c in status.conditions if c.type != ctype))


def new_condition(ctype: str, status: str, reason: str, message: str, now: int) -> DeploymentCondition:
    return DeploymentCondition(ctype, status, reason, message, last_update_time=now, last_transition_time=now)


def deployment_timed_out(d: Deployment, status: DeploymentStatus, now: int) -> bool:
    """``DeploymentTimedOut``: the Progressing condition was last updated more than
    ``progressDeadlineSeconds`` ago (never after a NewReplicaSetAvailable)."""
    if not has_progress_deadline(d):
        return False
    cond = get_condition(status, PROGRESSING)
    if cond is None or cond.reason == REASON_NEW_RS_AVAILABLE:
        return False
    if cond.reason == REASON_TIMED_OUT:
        return True
    return cond.last_update_time + d.spec.progress_deadline_seconds < now


def get_proportion(rs: ReplicaSet | None, d: Deployment, to_add: int, added: int) -> int:
    """``GetProportion``: the share of a scaling event this replica set takes, capped by what
    is left to add (or remove)."""
    if rs is None or rs.spec.replicas == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = _replica_set_fraction(rs, d)
    allowed = to_add - added
    if to_add > 0:
        return min(fraction, allowed)
    return max(fraction, allowed)


def _replica_set_fraction(rs: ReplicaSet, d: Deployment) -> int:
    """``getReplicaSetFraction``: ``round(rs.replicas * (replicas + maxSurge) /
    max-replicas annotation) - rs.replicas`` (``integer.RoundToInt32`` rounds half away from
    zero). Without the annotation it falls back to ``status.replicas``; a zero denominator (which
    upstream never meets: the annotation is at least the RS's own size) counts as no share."""
    if d.spec.replicas == 0:
        return -rs.spec.replicas
    deployment_replicas = d.spec.replicas + max_surge(d)
    annotated = _int_annotation(rs, MAX_REPLICAS)
    if annotated is None:
        annotated = d.status.replicas
    if annotated == 0:
        return 0
    size = Fraction(rs.spec.replicas * deployment_replicas, annotated)
    return int(size + Fraction(1, 2)) - rs.spec.replicas  # size ≥ 0: floor(x + 0.5)


# -- ComputeHash ----------------------------------------------------------------------------


def fnv1a_32(data: bytes, h: int = 0x811C9DC5) -> int:
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def safe_encode_string(s: str) -> str:
    """``apimachinery/pkg/util/rand: SafeEncodeString``: each character → ``alphanums[c % 27]``."""
    return "".join(NAME_ALPHABET[ord(c) % len(NAME_ALPHABET)] for c in s)


def compute_hash(template: PodTemplateSpec, collision_count: int | None) -> str:
    """``controller.ComputeHash``: FNV-1a 32 of the template, then (if set) of collisionCount as
    8 bytes (uint32 little-endian, then 4 zero bytes), printed in decimal and safe-encoded.
    kmodel hashes ``repr`` of the frozen template (deterministic: maps print in key order)."""
    h = fnv1a_32(repr(template).encode())
    if collision_count is not None:
        h = fnv1a_32((collision_count & 0xFFFFFFFF).to_bytes(4, "little") + bytes(4), h)
    return safe_encode_string(str(h))


# -- what the controller reads --------------------------------------------------------------


def owned_replica_sets(d: Deployment, rss: Iterable[ReplicaSet]) -> list[ReplicaSet]:
    """The replica sets whose controllerRef is this Deployment (``getReplicaSetsForDeployment``
    without adoption), oldest first."""
    out = []
    for rs in rss:
        ref = rs.meta.controller_ref()
        if rs.meta.namespace == d.meta.namespace and ref is not None and ref.uid == d.meta.uid:
            out.append(rs)
    return sorted(out, key=by_creation)


def pod_map(d: Deployment, rs_list: list[ReplicaSet], pods: Iterable[Pod]) -> dict[str, list[Pod]]:
    """``getPodMapForDeployment``: pods matching the selector grouped by the uid of the replica
    set (in ``rs_list``) that controls them; terminating and terminal pods included."""
    out: dict[str, list[Pod]] = {rs.meta.uid: [] for rs in rs_list}
    for p in pods:
        if p.meta.namespace != d.meta.namespace or not d.spec.selector.matches(p.meta.labels):
            continue
        ref = p.meta.controller_ref()
        if ref is not None and ref.uid in out:
            out[ref.uid].append(p)
    return out


def old_pods_running(new_rs: ReplicaSet | None, old_rss: list[ReplicaSet], podmap: dict[str, list[Pod]]) -> bool:
    """``oldPodsRunning`` (recreate.go): an old RS counts pods in its status, or a pod of an old
    RS is not Succeeded/Failed (Unknown and terminating pods count)."""
    if actual_replica_count(old_rss) > 0:
        return True
    for uid, pods in podmap.items():
        if new_rs is not None and new_rs.meta.uid == uid:
            continue
        if any(p.status.phase not in ("Succeeded", "Failed") for p in pods):
            return True
    return False


def calculate_status(
    all_rss: list[ReplicaSet | None], new_rs: ReplicaSet | None, d: Deployment, now: int
) -> DeploymentStatus:
    """``calculateStatus``: counts from the replica sets' status (unavailable from their spec),
    and the Available condition (``availableReplicas >= replicas - maxUnavailable``)."""
    available = available_replica_count(all_rss)
    unavailable = max(replica_count(all_rss) - available, 0)
    status = DeploymentStatus(
        observed_generation=d.meta.generation,
        replicas=actual_replica_count(all_rss),
        updated_replicas=actual_replica_count([new_rs]),
        ready_replicas=ready_replica_count(all_rss),
        available_replicas=available,
        unavailable_replicas=unavailable,
        conditions=d.status.conditions,
        collision_count=d.status.collision_count,
    )
    if available >= d.spec.replicas - max_unavailable(d):
        cond = new_condition(AVAILABLE, "True", REASON_MIN_AVAILABLE, "Deployment has minimum availability.", now)
    else:
        cond = new_condition(
            AVAILABLE, "False", REASON_MIN_UNAVAILABLE, "Deployment does not have minimum availability.", now
        )
    return set_condition(status, cond)


# -- the controller -------------------------------------------------------------------------


@abstraction.declare(fields={"requeue_at": abstraction.TIME_VALUES})
@attrs.frozen
class DeploymentLocal:
    """The work queue and the delaying queue's timers (``enqueueAfter``), keyed ns/name."""

    queue: tuple[DKey, ...] = ()
    requeue_at: FMap[DKey, int] = FMap()


class _Stop(Exception):  # noqa: N818 - control flow: upstream's sync returns an error here
    pass


class _Sync:
    """One ``syncDeployment``: the requests it sends, in order.

    ``self.d`` is upstream's ``d``: the cached Deployment, mutated in memory as upstream mutates
    it (annotations, conditions) while every write of it carries the cached resourceVersion.
    """

    def __init__(self, d: Deployment, view: View) -> None:
        self.d = d
        self.view = view
        self.now = view.now
        self.key: DKey = (d.meta.namespace, d.meta.name)
        self.reqs: list[Request] = []
        self.rs_index: dict[Key, int] = {}  # replica set key → index of its request in reqs
        self.d_written = False
        self.requeue_at: int | None = None

    # -- writes -------------------------------------------------------------------------------

    def _tag(self, what: str) -> tuple[Any, ...]:
        return ("deployment", self.key, what)

    def write_rs(self, verb: Verb, rs: ReplicaSet, what: str) -> ReplicaSet:
        """Send a create/update of a replica set; returns it as the API server would (FRESH)."""
        key = ("ReplicaSet", rs.meta.namespace, rs.meta.name)
        i = self.rs_index.get(key)
        if rs.meta.resource_version == FRESH and i is not None:
            # Upstream holds the object its previous write returned: merge into that request.
            prev = self.reqs[i]
            obj = attrs.evolve(rs, meta=attrs.evolve(rs.meta, resource_version=prev.obj.meta.resource_version))
            self.reqs[i] = attrs.evolve(prev, obj=obj, tag=self._tag(f"{prev.tag[2]}+{what}"))
        else:
            req = Request(
                verb,
                key,
                rs,
                precondition_rv=rs.meta.resource_version if verb == "update" else None,
                tag=self._tag(what),
            )
            self.reqs.append(req)
            if i is not None:
                raise _Stop  # a second write of the same cached copy: it conflicts, the sync ends
            self.rs_index[key] = len(self.reqs) - 1
        return attrs.evolve(rs, meta=attrs.evolve(rs.meta, resource_version=FRESH))

    def delete_rs(self, rs: ReplicaSet) -> None:
        """``cleanupDeployment``'s delete: no preconditions; NotFound is ignored."""
        self.reqs.append(Request("delete", rs.key, tag=self._tag("cleanup")))

    def update_deployment_status(self, what: str) -> None:
        """``UpdateStatus(d)`` with the cached resourceVersion; an earlier write of ``d`` in this
        sync makes it conflict, and upstream's sync returns that error."""
        cached = self.view.get(("Deployment", *self.key))
        changed_meta = cached is not None and cached.meta.annotations != self.d.meta.annotations
        # See the module docstring: annotations travel in an update, not an update_status.
        verb: Verb = "update" if changed_meta and not self.d_written else "update_status"
        self.reqs.append(
            Request(
                verb,
                self.d.key,
                self.d,
                precondition_rv=self.d.meta.resource_version,
                tag=self._tag(what),
            )
        )
        if self.d_written:
            raise _Stop
        self.d_written = True

    # -- syncDeployment -----------------------------------------------------------------------

    def run(self) -> None:
        with contextlib.suppress(_Stop):
            self.sync_deployment()

    def sync_deployment(self) -> None:
        d = self.d
        rs_list = owned_replica_sets(d, self.view.list("ReplicaSet"))
        podmap = pod_map(d, rs_list, self.view.list("Pod"))
        if d.meta.deletion_timestamp is not None:
            new_rs, old_rss = self.get_all_replica_sets_and_sync_revision(rs_list, False)
            self.sync_deployment_status([*old_rss, new_rs], new_rs)
            return
        self.check_paused_conditions()
        if self.d.spec.paused:
            self.sync(rs_list)
            return
        if self.is_scaling_event(rs_list):
            self.sync(rs_list)
            return
        if self.d.spec.strategy_type == RECREATE:
            self.rollout_recreate(rs_list, podmap)
        else:
            self.rollout_rolling(rs_list)

    def check_paused_conditions(self) -> None:
        """``checkPausedConditions``: a Progressing=Unknown condition on pause/resume."""
        d = self.d
        if not has_progress_deadline(d):
            return
        cond = get_condition(d.status, PROGRESSING)
        if cond is not None and cond.reason == REASON_TIMED_OUT:
            return
        paused_cond = cond is not None and cond.reason == REASON_PAUSED
        if d.spec.paused and not paused_cond:
            new = new_condition(PROGRESSING, "Unknown", REASON_PAUSED, "Deployment is paused", self.now)
        elif not d.spec.paused and paused_cond:
            new = new_condition(PROGRESSING, "Unknown", REASON_RESUMED, "Deployment is resumed", self.now)
        else:
            return
        self.d = attrs.evolve(d, status=set_condition(d.status, new))
        self.update_deployment_status("paused-condition")

    def is_scaling_event(self, rs_list: list[ReplicaSet]) -> bool:
        """``isScalingEvent``: an active RS whose desired-replicas annotation is not
        ``spec.replicas``. (It runs getAllReplicaSetsAndSyncRevision, writes included.)"""
        new_rs, old_rss = self.get_all_replica_sets_and_sync_revision(rs_list, False)
        for rs in filter_active([*old_rss, new_rs]):
            desired = _int_annotation(rs, DESIRED_REPLICAS)
            if desired is None:
                continue
            if desired != self.d.spec.replicas:
                return True
        return False

    # -- sync.go ------------------------------------------------------------------------------

    def get_all_replica_sets_and_sync_revision(
        self, rs_list: list[ReplicaSet], create: bool
    ) -> tuple[ReplicaSet | None, list[ReplicaSet]]:
        old_rss = find_old_replica_sets(self.d, rs_list)
        new_rs = self.get_new_replica_set(rs_list, old_rss, create)
        return new_rs, old_rss

    def get_new_replica_set(
        self, rs_list: list[ReplicaSet], old_rss: list[ReplicaSet], create: bool
    ) -> ReplicaSet | None:
        """``getNewReplicaSet``."""
        d = self.d
        existing = find_new_replica_set(d, rs_list)
        new_revision = str(max_revision(old_rss) + 1)
        if existing is not None:
            rs_copy, annotations_updated = set_new_replica_set_annotations(d, existing, new_revision, True)
            min_ready_needs_update = rs_copy.spec.min_ready_seconds != d.spec.min_ready_seconds
            if annotations_updated or min_ready_needs_update:
                rs_copy = attrs.evolve(
                    rs_copy, spec=attrs.evolve(rs_copy.spec, min_ready_seconds=d.spec.min_ready_seconds)
                )
                return self.write_rs("update", rs_copy, "sync-revision")
            needs_update = self.set_deployment_revision(rs_copy.meta.annotations.get(REVISION, ""))
            if has_progress_deadline(self.d) and get_condition(self.d.status, PROGRESSING) is None:
                msg = f'Found new replica set "{rs_copy.meta.name}"'
                cond = new_condition(PROGRESSING, "True", REASON_FOUND_NEW_RS, msg, self.now)
                self.d = attrs.evolve(self.d, status=set_condition(self.d.status, cond))
                needs_update = True
            if needs_update:
                self.update_deployment_status("revision")
            return rs_copy
        if not create:
            return None
        return self.create_new_replica_set(rs_list, old_rss, new_revision)

    def create_new_replica_set(self, rs_list: list[ReplicaSet], old_rss: list[ReplicaSet], new_revision: str) -> Any:
        d = self.d
        h = compute_hash(d.spec.template, d.status.collision_count)
        labels = d.spec.template.labels.set(POD_TEMPLATE_HASH, h)
        selector = LabelSelector(
            tuple(sorted({**dict(d.spec.selector.match_labels), POD_TEMPLATE_HASH: h}.items())),
            d.spec.selector.match_expressions,
        )
        name = f"{d.meta.name}-{h}"
        ref = OwnerReference(
            api_version=Deployment.API_VERSION,
            kind=Deployment.KIND,
            name=d.meta.name,
            uid=d.meta.uid,
            controller=True,
            block_owner_deletion=True,
        )
        new_rs = ReplicaSet(
            meta=ObjectMeta(name=name, namespace=d.meta.namespace, owner_references=(ref,), labels=labels),
            spec=ReplicaSetSpec(
                selector=selector,
                template=attrs.evolve(d.spec.template, labels=labels),
                replicas=0,
                min_ready_seconds=d.spec.min_ready_seconds,
            ),
        )
        count = new_rs_new_replicas(d, [*old_rss, new_rs], new_rs)
        new_rs = attrs.evolve(new_rs, spec=attrs.evolve(new_rs.spec, replicas=count))
        new_rs, _ = set_new_replica_set_annotations(d, new_rs, new_revision, False)
        if self.view.get(("ReplicaSet", d.meta.namespace, name)) is not None:
            # AlreadyExists with a replica set that is not this Deployment's new one: a hash
            # collision. Bump collisionCount and requeue (the status write returns the error).
            self.d = attrs.evolve(
                self.d, status=attrs.evolve(self.d.status, collision_count=(d.status.collision_count or 0) + 1)
            )
            self.update_deployment_status("collision")
            raise _Stop
        created = self.write_rs("create", new_rs, "create")
        needs_update = self.set_deployment_revision(new_revision)
        if has_progress_deadline(self.d):
            msg = f'Created new replica set "{name}"'
            cond = new_condition(PROGRESSING, "True", REASON_NEW_RS_CREATED, msg, self.now)
            self.d = attrs.evolve(self.d, status=set_condition(self.d.status, cond))
            needs_update = True
        if needs_update:
            self.update_deployment_status("revision")
        return created

    def set_deployment_revision(self, value: str) -> bool:
        """``SetDeploymentRevision`` on the in-memory ``d``."""
        if self.d.meta.annotations.get(REVISION) == value:
            return False
        meta = attrs.evolve(self.d.meta, annotations=self.d.meta.annotations.set(REVISION, value))
        self.d = attrs.evolve(self.d, meta=meta)
        return True

    def sync(self, rs_list: list[ReplicaSet]) -> None:
        """``sync``: scaling events and paused Deployments."""
        new_rs, old_rss = self.get_all_replica_sets_and_sync_revision(rs_list, False)
        self.scale(new_rs, old_rss)
        if self.d.spec.paused:
            self.cleanup_deployment(old_rss)
        self.sync_deployment_status([*old_rss, new_rs], new_rs)

    def scale(self, new_rs: ReplicaSet | None, old_rss: list[ReplicaSet]) -> None:
        """``scale``: proportional scaling across the active replica sets."""
        d = self.d
        active_or_latest = find_active_or_latest(new_rs, old_rss)
        if active_or_latest is not None:
            if active_or_latest.spec.replicas != d.spec.replicas:
                self.scale_replica_set_and_record_event(active_or_latest, d.spec.replicas)
            return
        if is_saturated(d, new_rs):
            for old in filter_active(old_rss):
                self.scale_replica_set_and_record_event(old, 0)
            return
        if not is_rolling_update(d):
            return
        # FindActiveOrLatest sorted the caller's oldRSs newest first, in place.
        all_rss = filter_active([*sorted(old_rss, key=by_creation, reverse=True), new_rs])
        allowed = d.spec.replicas + max_surge(d) if d.spec.replicas > 0 else 0
        to_add = allowed - replica_count(all_rss)
        if to_add > 0:  # ReplicaSetsBySizeNewer: larger first, newer first on ties
            all_rss.sort(key=lambda rs: (-rs.spec.replicas, _Reverse(by_creation(rs))))
        elif to_add < 0:  # ReplicaSetsBySizeOlder: larger first, older first on ties
            all_rss.sort(key=lambda rs: (-rs.spec.replicas, by_creation(rs)))
        added = 0
        sizes: dict[str, int] = {}
        for rs in all_rss:
            if to_add != 0:
                proportion = get_proportion(rs, d, to_add, added)
                sizes[rs.meta.name] = rs.spec.replicas + proportion
                added += proportion
            else:
                sizes[rs.meta.name] = rs.spec.replicas
        for i, rs in enumerate(all_rss):
            if i == 0 and to_add != 0:
                sizes[rs.meta.name] = max(sizes[rs.meta.name] + to_add - added, 0)
            self.scale_replica_set(rs, sizes[rs.meta.name])

    def scale_replica_set_and_record_event(self, rs: ReplicaSet, new_scale: int) -> tuple[bool, ReplicaSet]:
        if rs.spec.replicas == new_scale:
            return False, rs
        return self.scale_replica_set(rs, new_scale)

    def scale_replica_set(self, rs: ReplicaSet, new_scale: int) -> tuple[bool, ReplicaSet]:
        """``scaleReplicaSet``: writes when the size or the desired/max-replicas annotations
        differ; ``scaled`` only when the size changed."""
        d = self.d
        size_needs_update = rs.spec.replicas != new_scale
        most = d.spec.replicas + max_surge(d)
        if not size_needs_update and not replicas_annotations_need_update(rs, d.spec.replicas, most):
            return False, rs
        rs_copy = set_replicas_annotations(
            attrs.evolve(rs, spec=attrs.evolve(rs.spec, replicas=new_scale)), d.spec.replicas, most
        )
        what = f"scale {rs.spec.replicas}→{new_scale}" if size_needs_update else "replicas-annotations"
        return size_needs_update, self.write_rs("update", rs_copy, what)

    def cleanup_deployment(self, old_rss: list[ReplicaSet]) -> None:
        """``cleanupDeployment``: delete the oldest scaled-down replica sets beyond
        ``revisionHistoryLimit``."""
        d = self.d
        if not has_revision_history_limit(d):
            return
        cleanable = [rs for rs in old_rss if rs.meta.deletion_timestamp is None]
        diff = len(cleanable) - d.spec.revision_history_limit
        if diff <= 0:
            return
        for rs in sorted(cleanable, key=by_revision)[:diff]:
            if (
                rs.status.replicas != 0
                or rs.spec.replicas != 0
                or rs.meta.generation > rs.status.observed_generation
                or rs.meta.deletion_timestamp is not None
            ):
                continue
            self.delete_rs(rs)

    def sync_deployment_status(self, all_rss: list[ReplicaSet | None], new_rs: ReplicaSet | None) -> None:
        """``syncDeploymentStatus``."""
        status = calculate_status(all_rss, new_rs, self.d, self.now)
        if status == self.d.status:
            return
        self.d = attrs.evolve(self.d, status=status)
        self.update_deployment_status("status")

    # -- rolling.go ---------------------------------------------------------------------------

    def rollout_rolling(self, rs_list: list[ReplicaSet]) -> None:
        new_rs, old_rss = self.get_all_replica_sets_and_sync_revision(rs_list, True)
        assert new_rs is not None
        all_rss: list[ReplicaSet | None] = [*old_rss, new_rs]
        if self.reconcile_new_replica_set(all_rss, new_rs):
            self.sync_rollout_status(all_rss, new_rs)
            return
        if self.reconcile_old_replica_sets(all_rss, filter_active(old_rss), new_rs):
            self.sync_rollout_status(all_rss, new_rs)
            return
        if deployment_complete(self.d, self.d.status):
            self.cleanup_deployment(old_rss)
        self.sync_rollout_status(all_rss, new_rs)

    def reconcile_new_replica_set(self, all_rss: list[ReplicaSet | None], new_rs: ReplicaSet) -> bool:
        d = self.d
        if new_rs.spec.replicas == d.spec.replicas:
            return False
        if new_rs.spec.replicas > d.spec.replicas:
            return self.scale_replica_set_and_record_event(new_rs, d.spec.replicas)[0]
        count = new_rs_new_replicas(d, [rs for rs in all_rss if rs is not None], new_rs)
        return self.scale_replica_set_and_record_event(new_rs, count)[0]

    def reconcile_old_replica_sets(
        self, all_rss: list[ReplicaSet | None], old_rss: list[ReplicaSet], new_rs: ReplicaSet
    ) -> bool:
        d = self.d
        if replica_count(old_rss) == 0:
            return False
        all_pods = replica_count(all_rss)
        min_available = d.spec.replicas - max_unavailable(d)
        new_unavailable = new_rs.spec.replicas - new_rs.status.available_replicas
        max_scaled_down = all_pods - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        old_rss, cleanup_count = self.cleanup_unhealthy_replicas(old_rss, max_scaled_down)
        scaled_down = self.scale_down_old_replica_sets_for_rolling_update([*old_rss, new_rs], old_rss)
        return cleanup_count + scaled_down > 0

    def cleanup_unhealthy_replicas(self, old_rss: list[ReplicaSet], max_cleanup: int) -> tuple[list[ReplicaSet], int]:
        """``cleanupUnhealthyReplicas``: scale old replica sets down by their unavailable pods
        first (oldest first), up to ``max_cleanup``."""
        old_rss = sorted(old_rss, key=by_creation)
        total = 0
        for i, rs in enumerate(old_rss):
            if total >= max_cleanup:
                break
            if rs.spec.replicas == 0 or rs.spec.replicas == rs.status.available_replicas:
                continue
            count = min(max_cleanup - total, rs.spec.replicas - rs.status.available_replicas)
            _, old_rss[i] = self.scale_replica_set_and_record_event(rs, rs.spec.replicas - count)
            total += count
        return old_rss, total

    def scale_down_old_replica_sets_for_rolling_update(
        self, all_rss: list[ReplicaSet], old_rss: list[ReplicaSet]
    ) -> int:
        """``scaleDownOldReplicaSetsForRollingUpdate``: down by ``available - minAvailable``,
        oldest first."""
        d = self.d
        min_available = d.spec.replicas - max_unavailable(d)
        available = available_replica_count(all_rss)
        if available <= min_available:
            return 0
        total_to_scale = available - min_available
        total = 0
        for rs in sorted(old_rss, key=by_creation):
            if total >= total_to_scale:
                break
            if rs.spec.replicas == 0:
                continue
            count = min(rs.spec.replicas, total_to_scale - total)
            self.scale_replica_set_and_record_event(rs, rs.spec.replicas - count)
            total += count
        return total

    # -- recreate.go --------------------------------------------------------------------------

    def rollout_recreate(self, rs_list: list[ReplicaSet], podmap: dict[str, list[Pod]]) -> None:
        new_rs, old_rss = self.get_all_replica_sets_and_sync_revision(rs_list, False)
        all_rss: list[ReplicaSet | None] = [*old_rss, new_rs]
        scaled_down = False
        for rs in filter_active(old_rss):  # scaleDownOldReplicaSetsForRecreate
            scaled, _ = self.scale_replica_set_and_record_event(rs, 0)
            scaled_down = scaled_down or scaled
        if scaled_down:
            self.sync_rollout_status(all_rss, new_rs)
            return
        if old_pods_running(new_rs, old_rss, podmap):
            self.sync_rollout_status(all_rss, new_rs)
            return
        if new_rs is None:
            new_rs, old_rss = self.get_all_replica_sets_and_sync_revision(rs_list, True)
            all_rss = [*old_rss, new_rs]
        assert new_rs is not None
        self.scale_replica_set_and_record_event(new_rs, self.d.spec.replicas)  # scaleUpNewReplicaSetForRecreate
        if deployment_complete(self.d, self.d.status):
            self.cleanup_deployment(old_rss)
        self.sync_rollout_status(all_rss, new_rs)

    # -- progress.go --------------------------------------------------------------------------

    def sync_rollout_status(self, all_rss: list[ReplicaSet | None], new_rs: ReplicaSet | None) -> None:
        """``syncRolloutStatus``."""
        d = self.d
        status = calculate_status(all_rss, new_rs, d, self.now)
        if not has_progress_deadline(d):
            status = remove_condition(status, PROGRESSING)
        current = get_condition(d.status, PROGRESSING)
        complete_before = (
            status.replicas == status.updated_replicas
            and current is not None
            and current.reason == REASON_NEW_RS_AVAILABLE
        )
        if has_progress_deadline(d) and not complete_before:
            name = f'ReplicaSet "{new_rs.meta.name}"' if new_rs is not None else f'Deployment "{d.meta.name}"'
            if deployment_complete(d, status):
                cond = new_condition(
                    PROGRESSING, "True", REASON_NEW_RS_AVAILABLE, f"{name} has successfully progressed.", self.now
                )
                status = set_condition(status, cond)
            elif deployment_progressing(d, status):
                cond = new_condition(PROGRESSING, "True", REASON_RS_UPDATED, f"{name} is progressing.", self.now)
                if current is not None:
                    if current.status == "True":
                        cond = attrs.evolve(cond, last_transition_time=current.last_transition_time)
                    status = remove_condition(status, PROGRESSING)
                status = set_condition(status, cond)
            elif deployment_timed_out(d, status, self.now):
                cond = new_condition(
                    PROGRESSING, "False", REASON_TIMED_OUT, f"{name} has timed out progressing.", self.now
                )
                status = set_condition(status, cond)
        if status == d.status:
            self.requeue_stuck_deployment(status)
            return
        self.d = attrs.evolve(d, status=status)
        self.update_deployment_status("status")

    def requeue_stuck_deployment(self, status: DeploymentStatus) -> None:
        """``requeueStuckDeployment``: check again at ``lastUpdateTime + deadline`` (+1s, as
        upstream adds to avoid skew); when that is less than a second away, at the next second
        (``enqueueRateLimited``)."""
        d = self.d
        current = get_condition(d.status, PROGRESSING)
        if not has_progress_deadline(d) or current is None:
            return
        if deployment_complete(d, status) or current.reason == REASON_TIMED_OUT:
            return
        after = current.last_update_time + d.spec.progress_deadline_seconds - self.now
        self.requeue_at = self.now + 1 if after < 1 else self.now + after + 1


@functools.total_ordering
class _Reverse:
    """Sort key wrapper that reverses the order of what it wraps."""

    __slots__ = ("key",)

    def __init__(self, key: tuple[int, str]) -> None:
        self.key = key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reverse) and self.key == other.key

    def __lt__(self, other: _Reverse) -> bool:
        return other.key < self.key


@attrs.frozen
class DeploymentController(Component):
    name: str = NAME

    def watches(self, obj: Any) -> bool:
        """Deployments, the replica sets a Deployment controls, and the pods of a replica set
        that carry the pod-template-hash label (the pods of Deployment-made replica sets)."""
        if isinstance(obj, Deployment):
            return True
        ref = obj.meta.controller_ref() if isinstance(obj, ReplicaSet | Pod) else None
        if isinstance(obj, ReplicaSet):
            return ref is not None and ref.kind == Deployment.KIND
        if isinstance(obj, Pod):
            return ref is not None and ref.kind == ReplicaSet.KIND and POD_TEMPLATE_HASH in obj.meta.labels
        return False

    def initial_local(self) -> DeploymentLocal:
        return DeploymentLocal()

    def on_relist(self, local: DeploymentLocal, view: View) -> DeploymentLocal:
        """After a (re)list every Deployment is enqueued, as the initial ADD events do."""
        for d in view.list("Deployment"):
            local = workqueue.enqueue(local, (d.meta.namespace, d.meta.name))
        return local

    # -- event handlers ------------------------------------------------------------------------

    def on_event(self, local: DeploymentLocal, event: Event, old: Any, view: View) -> DeploymentLocal:
        obj = event.obj
        if isinstance(obj, Deployment):
            return workqueue.enqueue(local, (obj.meta.namespace, obj.meta.name))
        if isinstance(obj, ReplicaSet):
            d = self._resolve(view, obj)
            return local if d is None else workqueue.enqueue(local, (d.meta.namespace, d.meta.name))
        if event.type != "DELETED":
            return local
        # deletePod: a Recreate Deployment is synced once it has no pods left.
        ref = obj.meta.controller_ref()
        rs = view.get(("ReplicaSet", obj.meta.namespace, ref.name)) if ref is not None else None
        if rs is None or ref is None or rs.meta.uid != ref.uid:
            return local
        d = self._resolve(view, rs)
        if d is None or d.spec.strategy_type != RECREATE:
            return local
        podmap = pod_map(d, owned_replica_sets(d, view.list("ReplicaSet")), view.list("Pod"))
        if sum(len(pods) for pods in podmap.values()) == 0:
            local = workqueue.enqueue(local, (d.meta.namespace, d.meta.name))
        return local

    def _resolve(self, view: View, rs: ReplicaSet) -> Deployment | None:
        """``resolveControllerRef``: the Deployment named by the controllerRef, if its uid
        matches."""
        ref = rs.meta.controller_ref()
        if ref is None or ref.kind != Deployment.KIND:
            return None
        d = view.get(("Deployment", rs.meta.namespace, ref.name))
        return d if d is not None and d.meta.uid == ref.uid else None

    # -- sync ----------------------------------------------------------------------------------

    def reconcile(self, local: DeploymentLocal, view: View) -> tuple[DeploymentLocal, list[Request]]:
        due = sorted(k for k, t in local.requeue_at.items() if t <= view.now)
        for k in due:
            local = workqueue.enqueue(attrs.evolve(local, requeue_at=local.requeue_at.delete(k)), k)
        if not local.queue:
            return local, []
        key, local = local.queue[0], attrs.evolve(local, queue=local.queue[1:])
        d = view.get(("Deployment", *key))
        if d is None:
            return attrs.evolve(local, requeue_at=local.requeue_at.delete(key)), []
        sync = _Sync(d, view)
        sync.run()
        if sync.requeue_at is not None:
            t = local.requeue_at.get(key)
            if t is None or sync.requeue_at < t:  # AddAfter keeps the earliest time
                local = attrs.evolve(local, requeue_at=local.requeue_at.set(key, sync.requeue_at))
        return local, sync.reqs

    def on_result(self, local: DeploymentLocal, req: Request, result: Result, view: View) -> DeploymentLocal:
        """A failed call makes the sync return an error: the Deployment is requeued (a NotFound
        from cleanupDeployment's delete is ignored)."""
        if result.ok or not req.tag or req.tag[0] != "deployment":
            return local
        if req.verb == "delete" and result.reason == "NotFound":
            return local
        return workqueue.enqueue(local, req.tag[1])

    def next_deadline(self, local: DeploymentLocal, view: View) -> int | None:
        future = [t for t in local.requeue_at.values() if t > view.now]
        return min(future) if future else None

    def settle_deadline(self, local: DeploymentLocal, view: View) -> int | None:
        """A pending progress-deadline requeue can still change a Deployment's conditions
        (ProgressDeadlineExceeded), so the settle phase waits for it. A deadline already past
        that did not change anything is retried every second (``enqueueRateLimited``; upstream
        backs off exponentially to 1000s): those retries are not waited for."""
        future = [t for t in local.requeue_at.values() if t > view.now + 1]
        return max(future) if future else None


__all__ = [
    "DeploymentController",
    "compute_hash",
    "max_surge",
    "max_unavailable",
    "new_rs_new_replicas",
    "resolve_fenceposts",
]


# only where a Deployment exists (users cannot create one mid-run)
SPEC = ComponentSpec(
    "deployment-controller",
    build=lambda config: [DeploymentController()] if any(o.KIND == "Deployment" for o in config.objects) else [],
)
