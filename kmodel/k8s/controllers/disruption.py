"""The disruption controller: keeps each PodDisruptionBudget's status up to date.

Mirrors ``pkg/controller/disruption/disruption.go``:

- Event handlers: a PDB added, updated or deleted enqueues it (``addDB``/``updateDB``/
  ``removeDB``); a pod added, updated or deleted enqueues the PDB that selects it
  (``addPod``/``updatePod``/``deletePod`` → ``getPdbForPod``, which picks the first PDB when
  several match). Workload objects have no handlers: the controller only reads them from its cache.
- ``trySync``: the pods the PDB selects (``getPodsForPdb``, from the cache), then
  ``getExpectedPodCount``, ``buildDisruptedPodMap``, ``countHealthyPods`` and ``updatePdbStatus``,
  which writes the status (``UpdateStatus`` with the cached object's resourceVersion, so a stale
  view conflicts; a conflict requeues the PDB). A PDB with a disrupted pod still waiting to be
  deleted is rechecked when its entry times out (``enqueuePdbForRecheck``).
- ``getExpectedPodCount``: ``maxUnavailable`` (int or percent) and a percentage ``minAvailable``
  take the expected count from the pods' controllers' scale (``getExpectedScale``: the
  ReplicaSet's ``spec.replicas``, or its Deployment's when a Deployment owns it, or the
  StatefulSet's; pods without a controllerRef are unmanaged and skipped), rounding percentages up
  (``intstr.GetScaledValueFromIntOrPercent(..., true)``); an integer ``minAvailable`` is the desired
  count and the expected count is the number of selected pods. A pod whose controller is not
  found is a sync error: ``failSafe`` sets ``disruptionsAllowed`` to 0.
- ``countHealthyPods``: pods not being deleted, not in ``disruptedPods`` for less than
  ``DeletionTimeout`` (2 minutes), and Ready.
- ``buildDisruptedPodMap``: keeps the entries of pods that still exist, are not yet being deleted,
  and whose eviction is at most ``DeletionTimeout`` old.
- ``updatePdbStatus``: ``disruptionsAllowed = currentHealthy - desiredHealthy``, or 0 when that is
  negative or no pod is expected; nothing is written when the status is unchanged.

Simplifications: no rate-limited requeue (a conflict requeues at once; the model has no backoff
clock); no PDB conditions (``DisruptionAllowed``) and no stale ``DisruptionTarget`` pod condition
cleanup; the generic scale subresource (custom resources' scale) is not modelled. The workload
kinds are watched only when some PDB needs a scale (``maxUnavailable`` or a percentage
``minAvailable``): upstream's informers exist either way, but without handlers a cache the sync
never reads changes nothing, and leaving it out keeps the state space small.

Variant ``disruptionControllerTrackDisrupted: false`` ignores ``disruptedPods``: pods the eviction
API approved but the controller has not yet seen being deleted count as healthy, and the map is
cleared on every status write — the bug the map exists to prevent (a second eviction approved on
a count that includes the first victim).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import attrs

from kmodel.core.fmap import FMap
from kmodel.k8s import abstraction, workqueue
from kmodel.k8s.informers import Component, ComponentSpec, View
from kmodel.k8s.objects import (
    Deployment,
    Key,
    Pod,
    PodDisruptionBudget,
    ReplicaSet,
    ReplicationController,
    StatefulSet,
)
from kmodel.k8s.store import Event, Request, Result

NAME = "disruption-controller"
DELETION_TIMEOUT = 120  # DeletionTimeout = 2 * time.Minute

PDBKey = tuple[str, str]  # (namespace, name)
Lookup = Callable[[Key], Any]


def scaled_value(value: int | str, total: int, round_up: bool) -> int:
    """``staging/src/k8s.io/apimachinery/pkg/util/intstr/intstr.go: GetScaledValueFromIntOrPercent``:
    an int is itself; ``"N%"`` is ``N * total / 100``, rounded up (``math.Ceil``) or down."""
    if isinstance(value, int):
        return value
    percent = int(value[:-1])
    if round_up:
        return -(-percent * total // 100)
    return percent * total // 100


def needs_scale(pdb: PodDisruptionBudget) -> bool:
    """Whether ``getExpectedPodCount`` reads the controllers' scale for this PDB."""
    return pdb.spec.max_unavailable is not None or isinstance(pdb.spec.min_available, str)


def pods_for_pdb(pdb: PodDisruptionBudget, pods: Iterable[Pod]) -> list[Pod]:
    """``getPodsForPdb``: the pods of the PDB's namespace its selector matches, by name."""
    out = [p for p in pods if p.meta.namespace == pdb.meta.namespace and pdb.spec.selects(p)]
    return sorted(out, key=lambda p: p.meta.name)


def controller_scale(pod: Pod, get: Lookup) -> tuple[str, int] | None:
    """The (uid, scale) of the pod's controller, via the finders of ``getExpectedScale``
    (``getPodDeployment``, ``getPodReplicaSet``, ``getPodStatefulSet``,
    ``getPodReplicationController``), or None when not found."""
    ref = pod.meta.controller_ref()
    assert ref is not None
    ns = pod.meta.namespace
    if ref.kind == "ReplicaSet":
        rs = get((ReplicaSet.KIND, ns, ref.name))
        if rs is None or rs.meta.uid != ref.uid:
            return None
        owner = rs.meta.controller_ref()
        if owner is not None and owner.kind == "Deployment":
            d = get((Deployment.KIND, ns, owner.name))
            if d is None or d.meta.uid != owner.uid:
                return None
            return d.meta.uid, d.spec.replicas
        return rs.meta.uid, rs.spec.replicas
    if ref.kind in ("StatefulSet", "ReplicationController"):  # getPodStatefulSet, getPodReplicationController
        owner_obj = get((ref.kind, ns, ref.name))
        if owner_obj is None or owner_obj.meta.uid != ref.uid:
            return None
        return owner_obj.meta.uid, owner_obj.spec.replicas
    return None


class NoControllerError(Exception):
    """``getExpectedScale``: "found no controllers for pod"."""


def expected_scale(pods: list[Pod], get: Lookup) -> int:
    """``getExpectedScale``: the sum of the scales of the pods' controllers, each counted once."""
    scales: dict[str, int] = {}
    for p in pods:
        if p.meta.controller_ref() is None:
            continue  # unmanaged: an event upstream, not an error
        found = controller_scale(p, get)
        if found is None:
            raise NoControllerError(f"found no controllers for pod {p.meta.name!r}")
        scales[found[0]] = found[1]
    return sum(scales.values())


def expected_pod_count(pdb: PodDisruptionBudget, pods: list[Pod], get: Lookup) -> tuple[int, int]:
    """``getExpectedPodCount``: (expectedCount, desiredHealthy). Raises ``NoControllerError``."""
    spec = pdb.spec
    if spec.max_unavailable is not None:
        expected = expected_scale(pods, get)
        desired = expected - scaled_value(spec.max_unavailable, expected, True)
        return expected, max(desired, 0)
    if spec.min_available is not None:
        if isinstance(spec.min_available, int):
            return len(pods), spec.min_available
        expected = expected_scale(pods, get)
        return expected, scaled_value(spec.min_available, expected, True)
    return 0, 0


def count_healthy(pods: list[Pod], disrupted: FMap[str, int], now: int) -> int:
    """``countHealthyPods``."""
    n = 0
    for p in pods:
        if p.meta.deletion_timestamp is not None:
            continue
        t = disrupted.get(p.meta.name)
        if t is not None and t + DELETION_TIMEOUT > now:
            continue
        if p.is_ready():
            n += 1
    return n


def build_disrupted_pod_map(pods: list[Pod], disrupted: FMap[str, int], now: int) -> tuple[FMap[str, int], int | None]:
    """``buildDisruptedPodMap``: the entries still pending and the earliest time one expires."""
    keep: dict[str, int] = {}
    recheck: int | None = None
    for p in pods:
        if p.meta.deletion_timestamp is not None:
            continue
        t = disrupted.get(p.meta.name)
        if t is None:
            continue
        expires = t + DELETION_TIMEOUT
        if expires < now:
            continue  # "pod was expected to be deleted but it wasn't"
        if recheck is None or expires < recheck:
            recheck = expires
        keep[p.meta.name] = t
    return FMap(keep), recheck


@abstraction.declare(fields={"recheck": abstraction.TIME_VALUES})
@attrs.frozen
class DisruptionLocal:
    queue: tuple[PDBKey, ...] = ()
    recheck: FMap[PDBKey, int] = FMap()  # the recheck queue: PDB → when to sync it again


@attrs.frozen
class DisruptionController(Component):
    name: str = NAME
    track_disrupted: bool = True
    watch_workloads: bool = False

    def watches(self, obj: Any) -> bool:
        if isinstance(obj, Pod | PodDisruptionBudget):
            return True
        return self.watch_workloads and isinstance(obj, ReplicaSet | Deployment | StatefulSet | ReplicationController)

    def initial_local(self) -> DisruptionLocal:
        return DisruptionLocal()

    def on_relist(self, local: DisruptionLocal, view: View) -> DisruptionLocal:
        """After a (re)list every PDB is enqueued, as the initial ADD events do."""
        for pdb in sorted(view.list(PodDisruptionBudget.KIND), key=lambda b: b.meta.name):
            local = workqueue.enqueue(local, (pdb.meta.namespace, pdb.meta.name))
        return local

    def on_event(self, local: DisruptionLocal, event: Event, old: Any, view: View) -> DisruptionLocal:
        obj = event.obj
        if isinstance(obj, PodDisruptionBudget):
            return workqueue.enqueue(local, (obj.meta.namespace, obj.meta.name))
        if isinstance(obj, Pod):
            pdbs = sorted(
                (
                    b
                    for b in view.list(PodDisruptionBudget.KIND)
                    if b.meta.namespace == obj.meta.namespace and b.spec.selects(obj)
                ),
                key=lambda b: b.meta.name,
            )
            if pdbs:  # getPdbForPod: the first one ("Chose %q arbitrarily")
                return workqueue.enqueue(local, (pdbs[0].meta.namespace, pdbs[0].meta.name))
        return local

    def next_deadline(self, local: DisruptionLocal, view: View) -> int | None:
        future = [t for t in local.recheck.values() if t > view.now]
        return min(future) if future else None

    def settle_deadline(self, local: DisruptionLocal, view: View) -> int | None:
        return max(local.recheck.values()) if local.recheck else None

    def reconcile(self, local: DisruptionLocal, view: View) -> tuple[DisruptionLocal, list[Request]]:
        due = sorted(k for k, t in local.recheck.items() if t <= view.now)
        for k in due:  # recheckWorker: a due recheck goes to the main queue
            local = workqueue.enqueue(attrs.evolve(local, recheck=local.recheck.delete(k)), k)
        if not local.queue:
            return local, []
        key, local = local.queue[0], attrs.evolve(local, queue=local.queue[1:])
        pdb = view.get((PodDisruptionBudget.KIND, *key))
        if pdb is None:
            return local, []
        pods = pods_for_pdb(pdb, view.list(Pod.KIND))
        now = view.now
        try:
            expected, desired = expected_pod_count(pdb, pods, view.get)
        except NoControllerError:
            # failSafe: at least stop the eviction API from approving anything
            status = attrs.evolve(pdb.status, disruptions_allowed=0)
            return local, self._write(pdb, status, key)
        if self.track_disrupted:
            disrupted, recheck = build_disrupted_pod_map(pods, pdb.status.disrupted_pods, now)
        else:
            disrupted, recheck = FMap(), None
        healthy = count_healthy(pods, disrupted, now)
        allowed = healthy - desired
        if expected <= 0 or allowed <= 0:
            allowed = 0
        status = attrs.evolve(
            pdb.status,
            current_healthy=healthy,
            desired_healthy=desired,
            expected_pods=expected,
            disruptions_allowed=allowed,
            disrupted_pods=disrupted,
            observed_generation=pdb.meta.generation,
        )
        if recheck is not None:
            # AddAfter(recheckTime - now) fires just after the entry expires; on the model's
            # 1-second clock that is expires + 1 (at ``expires`` itself the entry is still kept).
            recheck += 1
            old = local.recheck.get(key)
            if old is None or recheck < old:
                local = attrs.evolve(local, recheck=local.recheck.set(key, recheck))
        return local, self._write(pdb, status, key)

    def _write(self, pdb: PodDisruptionBudget, status: Any, key: PDBKey) -> list[Request]:
        if status == pdb.status:
            return []
        return [
            Request(
                "update_status",
                pdb.key,
                attrs.evolve(pdb, status=status),
                precondition_rv=pdb.meta.resource_version,
                tag=("pdb-status", key),
            )
        ]

    def on_result(self, local: DisruptionLocal, req: Request, result: Result, view: View) -> DisruptionLocal:
        if not result.ok and req.tag and req.tag[0] == "pdb-status" and result.reason != "NotFound":
            return workqueue.enqueue(local, req.tag[1])  # processNextWorkItem: AddRateLimited
        return local


__all__ = [
    "DELETION_TIMEOUT",
    "DisruptionController",
    "NoControllerError",
    "count_healthy",
    "expected_pod_count",
    "needs_scale",
    "scaled_value",
]


def _build(config: Any) -> list[Component]:
    """Only where a PodDisruptionBudget exists (users cannot create one mid-run)."""
    pdbs = [o for o in config.objects if o.KIND == "PodDisruptionBudget"]
    if not pdbs:
        return []
    track = config.variants.disruption_controller_track_disrupted
    return [DisruptionController(track_disrupted=track, watch_workloads=any(needs_scale(b) for b in pdbs))]


SPEC = ComponentSpec("disruption-controller", build=_build)
