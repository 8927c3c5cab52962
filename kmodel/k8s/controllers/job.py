"""The Job controller (Kubernetes 1.34).

Mirrors ``pkg/controller/job/job_controller.go`` in kubernetes/kubernetes:

- Event handlers: ``addPod`` observes a creation (``expectations.CreationObserved``) and
  enqueues the pod's Job (``resolveControllerRef``: by name, then the uid must match); a pod
  added or updated with ``deletionTimestamp``, and a pod deleted, go to ``deletePod``, which
  observes a deletion and, on the final delete or when the pod has no tracking finalizer left,
  the finalizer's removal (``finalizerExpectations.finalizerRemovalObserved``); ``updatePod``
  observes a removed finalizer. A pod with the tracking finalizer whose Job is gone, unknown or
  finished is an *orphan* (``enqueueOrphanPod``): ``syncOrphanPod`` removes its finalizer.
  Job events enqueue the Job. (The 1s ``syncJobBatchPeriod`` of ``enqueueSyncJobBatched`` is not
  modelled: the enqueue is immediate.)
- ``syncJob``: a Job that is gone drops its expectations; a finished one (``IsJobFinished``) is
  not synced. The pods are those whose controllerRef is the Job and that its selector matches
  (``getPodsForJob``, without adoption). ``succeeded = status.succeeded + new succeeded pods +
  uncounted succeeded`` and likewise ``failed`` (``getNewFinishedPods``: pods still carrying the
  finalizer, not in ``uncountedTerminatedPods``, not expected to lose it); a pod is failed when
  its phase is Failed or, unless ``podReplacementPolicy: Failed`` (``onlyReplaceFailedPods``), it
  is being deleted without having succeeded (``isPodFailed``). ``startTime`` is set on the first
  sync of an unsuspended Job. The finished condition, in order: a FailJob rule of the
  ``podFailurePolicy`` matching a failed pod (``getFailJobMessage``, reason PodFailurePolicy);
  ``failed > backoffLimit`` or, under restartPolicy OnFailure, the restarts of the running and
  pending pods reaching ``backoffLimit`` (``pastBackoffLimitOnFailure``; reason
  BackoffLimitExceeded); ``activeDeadlineSeconds`` passed (``pastActiveDeadline``, reason
  DeadlineExceeded; otherwise the Job is requeued for its deadline). A failing Job has its active
  pods deleted (``deleteActivePods``, finalizers kept: the tracking counts them failed); else
  ``manageJob`` runs if the expectations are satisfied and the Job is not being deleted, and the
  Job has succeeded when ``succeeded >= completions`` (with ``completions`` unset: ``succeeded >
  0``) and no pod is active.
- ``manageJob``: a suspended Job deletes its active pods. Otherwise ``wantActive =
  min(completions - succeeded, parallelism)`` (≥ 0; unset completions: parallelism until the
  first success, then the active count); more active pods than that are deleted, in
  ``controller.ActivePods`` order (``activePodsForRemoval``), each after its finalizer is
  removed (``deleteJobPods``), and nothing is created in that sync; fewer are created
  (``wantActive − terminating − active``, terminating counted only with podReplacementPolicy
  Failed) unless the pod-failure backoff has time left (``backoffRecord.getRemainingTime``:
  ``DefaultJobPodFailureBackOff`` 10s doubling per failure since the last success, at most
  ``MaxJobPodFailureBackOff`` 10 min, counted from the last failure; the Job is requeued for
  then). Creates are ``GetPodFromTemplate`` + the ``batch.kubernetes.io/job-tracking``
  finalizer (``appendJobCompletionFinalizerIfNotFound``), in ``slowStartBatch`` batches with
  expectations as the ReplicaSet controller's.
- ``trackJobStatusAndRemoveFinalizers`` (``tracking_utils.go`` holds the expectations): for each
  pod with the finalizer that may lose it (``canRemoveFinalizer``: the Job is being deleted or
  finishing, or the pod succeeded, or it counts as failed), its uid goes to
  ``status.uncountedTerminatedPods`` (succeeded, or failed unless an Ignore rule matches it) and
  the status is written; only then are the finalizers removed, and the counters moved from the
  uncounted lists to ``succeeded``/``failed`` for the pods whose finalizer is gone
  (``flushUncountedAndRemoveFinalizers``, ``cleanUncountedPodsWithoutFinalizers``). The
  interim conditions SuccessCriteriaMet / FailureTarget are written with the first status; the
  terminal Complete / Failed only once no pod is uncounted and none is terminating
  (``enactJobFinished`` with ``delayTerminalCondition``: JobPodReplacementPolicy is GA in 1.34).
  This ordering is what lets a count survive the pod's deletion: a pod is never gone before its
  success is recorded in the Job's status.

How a sync maps onto one kmodel reconcile (all its requests are applied in one step, in order,
``Request.batch`` stopping the later batches after a failure): first the pod deletes of a
failing Job or of ``manageJob``'s surplus (each preceded by its finalizer patch; independent
requests, sent in parallel upstream) or the pod creates (slow-start batches from ``BATCH_CREATE``),
as ``manageJob`` runs before the tracking; then the first status write (``BATCH_FLUSH``, with the
cached resourceVersion: a stale cache conflicts), the finalizer patches (``BATCH_REMOVE``), and
the second status write (``BATCH_COUNT``, which carries the moved counters and the terminal
condition; it is sent without a resourceVersion, standing for upstream's write from the object
the first write returned: nothing interleaves within the step).
A failed patch skips the second write; the next sync moves what it can from the uncounted lists,
as upstream's partial flush does.

Simplifications: no orphan adoption or release (pods count through their controllerRef); the
1s batching of syncs and the API-error rate limiter (``DefaultJobApiBackOff``) are not
modelled: a failed sync is requeued at once; a failure's time in the backoff record is the
sync's clock, not the container's ``finishedAt``; the backoff record (``podBackoffStore``, in
memory) is updated when the first status write succeeds, and lost on restart, as upstream; the
``MaxUncountedPods`` (500) and ``MaxPodCreateDeletePerSync`` (500) caps never bind in kmodel's
scopes; exit codes in ``podFailurePolicy`` rules are matched against the only failure the model
has, ``crash_container`` (exit code ``kubelet.CRASH_EXIT_CODE`` = 1, of every container), and
``onPodConditions`` against the pod's conditions (no component sets DisruptionTarget yet);
Indexed Jobs, ``backoffLimitPerIndex``, ``successPolicy`` and ``managedBy`` are refused by the
parser; the ``ttlSecondsAfterFinished`` controller is not modelled.

Variant ``jobTrackingFinalizers: false`` is the legacy tracking (before
``JobTrackingWithFinalizers``, GA in 1.26 and the only mode since 1.28): pods are created without
the finalizer and ``succeeded``/``failed`` are the counts of such pods still present
(``getStatus`` of 1.25). A pod deleted after succeeding and before the controller recorded it is
forgotten and its work run again — the over-completion the finalizer exists to prevent
(KEP-2307, "Job tracking without lingering Pods").
"""

from __future__ import annotations

from typing import Any

import attrs

from kmodel.core.fmap import FMap
from kmodel.k8s import abstraction, workqueue
from kmodel.k8s.abstraction import EXPECT
from kmodel.k8s.controllers.kubelet import CRASH_EXIT_CODE
from kmodel.k8s.controllers.replicaset import deletion_rank, slow_start_batches
from kmodel.k8s.informers import Component, ComponentSpec, View
from kmodel.k8s.objects import (
    JOB_COMPLETE,
    JOB_FAILED,
    JOB_SUSPENDED,
    JOB_TRACKING_FINALIZER,
    Condition,
    Job,
    ObjectMeta,
    OwnerReference,
    Pod,
    PodFailurePolicyRule,
)
from kmodel.k8s.store import Event, MetaPatch, Request, Result

NAME = "job-controller"
DEFAULT_BACKOFF = 10  # DefaultJobPodFailureBackOff
MAX_BACKOFF = 600  # MaxJobPodFailureBackOff = 10 * time.Minute
EXPECTATIONS_TIMEOUT = 300  # controller.ExpectationsTimeout
SUCCESS_CRITERIA_MET = "SuccessCriteriaMet"
FAILURE_TARGET = "FailureTarget"
BATCH_FLUSH = 1
BATCH_REMOVE = 2
BATCH_COUNT = 3
BATCH_CREATE = 4  # the first slow-start create batch

JobKey = tuple[str, str]  # (namespace, name)


@abstraction.declare(fields={"timestamp": EXPECT}, plain={"add", "dels"})
@attrs.frozen
class JobExpectation:
    """``ControllerExpectations`` of one Job: creates and deletes (counts) still to be seen."""

    add: int
    dels: int
    timestamp: int

    def fulfilled(self) -> bool:
        return self.add <= 0 and self.dels <= 0


@abstraction.declare(fields={"last_failure": abstraction.TIME}, plain={"failures"})
@attrs.frozen
class BackoffRecord:
    """``backoff_utils.go: backoffRecord``: failures since the last success, and when the last was."""

    failures: int = 0
    last_failure: int | None = None


@abstraction.declare(fields={"delayed": abstraction.TIME_VALUES})
@attrs.frozen
class JobLocal:
    queue: tuple[JobKey, ...] = ()
    delayed: FMap[JobKey, int] = FMap()  # enqueueSyncJobWithDelay: the Job is synced again then
    expectations: FMap[JobKey, JobExpectation] = FMap()
    removing: FMap[JobKey, tuple[str, ...]] = FMap()  # finalizerExpectations: pod uids
    backoff: FMap[JobKey, BackoffRecord] = FMap()
    orphans: tuple[tuple[str, str], ...] = ()  # orphanQueue: pods (namespace, name)


@attrs.frozen
class Flush:
    """The tag of the first status write: the Job and the backoff record to keep once it lands
    (``updateBackoffRecord`` after ``updateStatusHandler``)."""

    job: JobKey
    backoff: BackoffRecord


def has_finalizer(pod: Pod) -> bool:
    return JOB_TRACKING_FINALIZER in pod.meta.finalizers


def job_ref(job: Job) -> OwnerReference:
    return OwnerReference("batch/v1", "Job", job.meta.name, job.meta.uid, controller=True, block_owner_deletion=True)


def job_pods(job: Job, pods: Any) -> list[Pod]:
    """``getPodsForJob`` without adoption: the pods whose controllerRef is this Job (by uid) and
    that its selector matches, by name."""
    out = []
    for p in pods:
        ref = p.meta.controller_ref()
        if ref is None or ref.uid != job.meta.uid or p.meta.namespace != job.meta.namespace:
            continue
        if job.spec.selector is None or job.spec.selector.matches(p.meta.labels):
            out.append(p)
    return sorted(out, key=lambda p: p.meta.name)


def only_replace_failed(job: Job) -> bool:
    """``onlyReplaceFailedPods``: podReplacementPolicy Failed (implied by a podFailurePolicy)."""
    return job.spec.pod_replacement_policy == "Failed" or job.spec.pod_failure_policy is not None


def is_pod_failed(pod: Pod, job: Job) -> bool:
    """``isPodFailed``: phase Failed, or being deleted without having succeeded unless only
    failed pods are replaced ("Count deleted Pods as failures to account for orphan Pods that
    never have a chance to reach the Failed phase")."""
    if pod.status.phase == "Failed":
        return True
    if only_replace_failed(job):
        return False
    return pod.meta.deletion_timestamp is not None and pod.status.phase != "Succeeded"


def is_terminating(pod: Pod) -> bool:
    """``controller.CountTerminatingPods``: being deleted and not yet in a terminal phase."""
    return pod.meta.deletion_timestamp is not None and not pod.is_terminal()


def match_pod_failure_policy(rules: tuple[PodFailurePolicyRule, ...], pod: Pod) -> tuple[str | None, bool, str | None]:
    """``pod_failure_policy.go: matchPodFailurePolicy``: (the FailJob message, whether the
    failure counts towards backoffLimit, the action) of the first rule matching the failed
    ``pod``; (None, True, None) when none does. Exit codes: every container of a crashed pod
    exited ``CRASH_EXIT_CODE`` (the model's only failure); a pod that failed without a crash
    (kubelet rejection, deletion) has no terminated container with a code, which no exit-code
    rule matches."""
    crashed = pod.status.phase == "Failed" and not pod.status.reason and pod.meta.deletion_timestamp is None
    names = {c.name for c in pod.spec.containers}
    for i, rule in enumerate(rules):
        if rule.pod_conditions:
            hit = any(c.type == t and c.status == s for t, s in rule.pod_conditions for c in pod.status.conditions)
        else:
            if not crashed or (rule.container_name and rule.container_name not in names):
                continue
            inside = CRASH_EXIT_CODE in rule.exit_values
            hit = inside if rule.exit_operator == "In" else not inside
        if not hit:
            continue
        if rule.action == "FailJob":
            who = f"{pod.meta.namespace}/{pod.meta.name}"
            msg = f"Pod {who} has condition or exit code matching FailJob rule at index {i}"
            return msg, True, "FailJob"
        if rule.action == "Ignore":
            return None, False, "Ignore"
        return None, True, "Count"
    return None, True, None


def ensure_condition(
    conds: tuple[Condition, ...], ctype: str, status: str, reason: str = "", message: str = ""
) -> tuple[Condition, ...]:
    """``ensureJobConditionStatus``: replace the condition of ``ctype`` if it differs, append a
    new one unless its status is False; conditions keep their order."""
    new = Condition(ctype, status, reason, message)
    for i, c in enumerate(conds):
        if c.type == ctype:
            if (c.status, c.reason, c.message) == (status, reason, message):
                return conds
            return (*conds[:i], new, *conds[i + 1 :])
    return conds if status == "False" else (*conds, new)


def has_condition(job: Job, ctype: str) -> Condition | None:
    return next((c for c in job.status.conditions if c.type == ctype and c.status == "True"), None)


def pod_from_template(job: Job, tracking: bool = True) -> Pod:
    """``GetPodFromTemplate``: the template's labels, ``generateName: <job>-``, a controller
    ownerReference, and the tracking finalizer (``appendJobCompletionFinalizerIfNotFound``)."""
    meta = ObjectMeta(
        name="",
        namespace=job.meta.namespace,
        generate_name=f"{job.meta.name}-",
        labels=job.spec.template.labels,
        owner_references=(job_ref(job),),
        finalizers=(JOB_TRACKING_FINALIZER,) if tracking else (),
    )
    return Pod(meta=meta, spec=job.spec.template.spec)


def remaining_backoff(record: BackoffRecord | None, now: int) -> int:
    """``getRemainingTimeForFailuresCount``: 10s × 2^(failures−1), at most 10 min, less the time
    since the last failure; 0 without failures."""
    if record is None or record.failures == 0 or record.last_failure is None:
        return 0
    backoff = DEFAULT_BACKOFF
    for _ in range(1, record.failures):
        backoff *= 2
        if backoff >= MAX_BACKOFF:
            backoff = MAX_BACKOFF
            break
    elapsed = now - record.last_failure
    return 0 if backoff < elapsed else backoff - elapsed


@attrs.frozen
class Sync:
    """What one ``syncJob`` decides: its requests, in order, and the new local state."""

    local: JobLocal
    requests: list[Request]


@attrs.frozen
class JobController(Component):
    name: str = NAME
    tracking: bool = True  # variant jobTrackingFinalizers

    def watches(self, obj: Any) -> bool:
        return isinstance(obj, Pod | Job)

    def initial_local(self) -> JobLocal:
        return JobLocal()

    def on_relist(self, local: JobLocal, view: View) -> JobLocal:
        """After a (re)list every Job is enqueued (the initial ADD events), and every pod with the
        finalizer whose Job is unknown or finished is an orphan."""
        for job in sorted(view.list("Job"), key=lambda j: (j.meta.namespace, j.meta.name)):
            local = workqueue.enqueue(local, (job.meta.namespace, job.meta.name))
        for pod in sorted(view.list("Pod"), key=lambda p: (p.meta.namespace, p.meta.name)):
            if has_finalizer(pod) and self._owner(pod, view) is None:
                local = self._orphan(local, pod)
        return local

    # -- event handlers ----------------------------------------------------------------------

    def _owner(self, pod: Pod | None, view: View) -> Job | None:
        """``resolveControllerRef``: the pod's Job from the cache, by name, if the uid matches."""
        ref = pod.meta.controller_ref() if pod is not None else None
        if ref is None or ref.kind != "Job":
            return None
        job = view.get(("Job", pod.meta.namespace, ref.name)) if pod is not None else None
        return job if job is not None and job.meta.uid == ref.uid else None

    def _orphan(self, local: JobLocal, pod: Pod) -> JobLocal:
        key = (pod.meta.namespace, pod.meta.name)
        if key in local.orphans:
            return local
        return attrs.evolve(local, orphans=(*local.orphans, key))

    def on_event(self, local: JobLocal, event: Event, old: Any, view: View) -> JobLocal:
        obj = event.obj
        if isinstance(obj, Job):
            return workqueue.enqueue(local, (obj.meta.namespace, obj.meta.name))
        if event.type == "DELETED":
            return self._delete_pod(local, obj, view, final=True)
        if obj.meta.deletion_timestamp is not None:
            return self._delete_pod(local, obj, view, final=False)
        if event.type == "MODIFIED" and old is not None:
            old_job = self._owner(old, view)
            if old_job is not None and old.meta.controller_ref() != obj.meta.controller_ref():
                local = self._enqueue_job(local, old_job)
        job = self._owner(obj, view)
        if job is None:
            return self._orphan(local, obj) if has_finalizer(obj) else local
        if event.type == "ADDED":
            local = self._expect(local, job, add=-1)
        elif not has_finalizer(obj):
            local = self._removal_observed(local, job, obj.meta.uid)
        return self._enqueue_job(local, job)

    def _delete_pod(self, local: JobLocal, pod: Pod, view: View, final: bool) -> JobLocal:
        """``deletePod``."""
        job = self._owner(pod, view)
        if job is None or job.finished():
            return self._orphan(local, pod) if has_finalizer(pod) and not final else local
        local = self._expect(local, job, dels=-1)
        if final or not has_finalizer(pod):
            local = self._removal_observed(local, job, pod.meta.uid)
        return self._enqueue_job(local, job)

    def _enqueue_job(self, local: JobLocal, job: Job) -> JobLocal:
        return workqueue.enqueue(local, (job.meta.namespace, job.meta.name))

    def _expect(self, local: JobLocal, job: Job, add: int = 0, dels: int = 0) -> JobLocal:
        key = (job.meta.namespace, job.meta.name)
        exp = local.expectations.get(key)
        if exp is None:
            return local
        exp = attrs.evolve(exp, add=exp.add + add, dels=exp.dels + dels)
        return attrs.evolve(local, expectations=local.expectations.set(key, exp))

    def _removal_observed(self, local: JobLocal, job: Job, uid: str) -> JobLocal:
        key = (job.meta.namespace, job.meta.name)
        uids = local.removing.get(key, ())
        if uid not in uids:
            return local
        rest = tuple(u for u in uids if u != uid)
        removing = local.removing.set(key, rest) if rest else local.removing.delete(key)
        return attrs.evolve(local, removing=removing)

    # -- timers ------------------------------------------------------------------------------

    def next_deadline(self, local: JobLocal, view: View) -> int | None:
        future = [t for t in local.delayed.values() if t > view.now]
        return min(future) if future else None

    def settle_deadline(self, local: JobLocal, view: View) -> int | None:
        return max(local.delayed.values(), default=None)

    # -- sync --------------------------------------------------------------------------------

    def reconcile(self, local: JobLocal, view: View) -> tuple[JobLocal, list[Request]]:
        due = sorted(k for k, t in local.delayed.items() if t <= view.now)
        for key in due:
            local = attrs.evolve(local, delayed=local.delayed.delete(key))
            local = workqueue.enqueue(local, key)
        if local.orphans:
            (ns, name), local = local.orphans[0], attrs.evolve(local, orphans=local.orphans[1:])
            return local, self._sync_orphan(view, ns, name)
        if not local.queue:
            return local, []
        key, local = local.queue[0], attrs.evolve(local, queue=local.queue[1:])
        job = view.get(("Job", *key))
        if job is None:
            return attrs.evolve(
                local,
                expectations=local.expectations.delete(key),
                removing=local.removing.delete(key),
                backoff=local.backoff.delete(key),
                delayed=local.delayed.delete(key),
            ), []
        if job.finished():
            return local, []
        sync = self.sync_job(local, key, job, job_pods(job, view.list("Pod")), view.now)
        return sync.local, sync.requests

    def _sync_orphan(self, view: View, ns: str, name: str) -> list[Request]:
        """``syncOrphanPod``: remove the finalizer of a pod whose Job is gone or finished (a pod
        whose Job still tracks it is left to the Job's sync)."""
        pod = view.get(("Pod", ns, name))
        if pod is None or not has_finalizer(pod):
            return []
        job = self._owner(pod, view)
        if job is not None and not job.finished():
            return []
        patch = MetaPatch(remove_finalizers=(JOB_TRACKING_FINALIZER,))
        return [Request("patch", pod.key, patch, precondition_uid=pod.meta.uid, tag=("job-orphan", (ns, name)))]

    def _satisfied(self, local: JobLocal, key: JobKey, now: int) -> bool:
        exp = local.expectations.get(key)
        return exp is None or exp.fulfilled() or now - exp.timestamp > EXPECTATIONS_TIMEOUT

    def sync_job(self, local: JobLocal, key: JobKey, job: Job, pods: list[Pod], now: int) -> Sync:
        """One ``syncJob`` of ``job`` over its ``pods`` (see the module docstring)."""
        spec = job.spec
        satisfied = self._satisfied(local, key, now)
        removing = set(local.removing.get(key, ()))
        active_pods = [p for p in pods if p.is_active()]
        terminating = sum(1 for p in pods if is_terminating(p))
        unc_s, unc_f = set(job.status.uncounted_succeeded), set(job.status.uncounted_failed)

        def valid(p: Pod, uncounted: set[str]) -> bool:  # getValidPodsWithFilter
            return has_finalizer(p) and p.meta.uid not in uncounted and p.meta.uid not in removing

        if self.tracking:
            new_s = [p for p in pods if valid(p, unc_s) and p.status.phase == "Succeeded"]
            new_f = [p for p in pods if valid(p, unc_f) and is_pod_failed(p, job)]
            succeeded = job.status.succeeded + len(new_s) + len(unc_s)
            counted_f = [p for p in new_f if self._counts(job, p)]
            failed = job.status.failed + len(counted_f) + len(unc_f)
        else:  # legacy: the pods present are the record
            new_s, new_f = [], []
            succeeded = sum(1 for p in pods if p.status.phase == "Succeeded")
            failed = sum(1 for p in pods if is_pod_failed(p, job))
        status = job.status
        suspended = spec.suspend
        if status.start_time is None and not suspended:
            status = attrs.evolve(status, start_time=now)
        record = local.backoff.get(key, BackoffRecord())
        if new_s:
            record = BackoffRecord()
        elif new_f:
            record = BackoffRecord(record.failures + len(new_f), now)
        finished: tuple[str, str, str] | None = None  # (type, reason, message)
        target = has_condition(job, FAILURE_TARGET)
        if target is not None:
            finished = (FAILURE_TARGET, target.reason, target.message)
        elif spec.pod_failure_policy is not None:
            for p in pods:
                if is_pod_failed(p, job):
                    msg, _, _ = match_pod_failure_policy(spec.pod_failure_policy, p)
                    if msg is not None:
                        finished = (FAILURE_TARGET, "PodFailurePolicy", msg)
                        break
        if has_condition(job, SUCCESS_CRITERIA_MET) is not None and finished is None:
            finished = (SUCCESS_CRITERIA_MET, "", "")
        delayed = local.delayed
        if finished is None:
            if failed > spec.backoff_limit or self._past_backoff_on_failure(job, pods):
                finished = (FAILURE_TARGET, "BackoffLimitExceeded", "Job has reached the specified backoff limit")
            elif self._past_deadline(job, status, now):
                finished = (FAILURE_TARGET, "DeadlineExceeded", "Job was active longer than specified deadline")
            elif spec.active_deadline_seconds is not None and not suspended and status.start_time is not None:
                delayed = delayed.set(key, status.start_time + spec.active_deadline_seconds)
        local = attrs.evolve(local, delayed=delayed)
        reqs: list[Request] = []
        active = len(active_pods)
        if finished is not None and finished[0] == FAILURE_TARGET:
            # deleteActivePods: finalizers kept, the tracking counts these pods failed
            for p in sorted(active_pods, key=lambda p: p.meta.name):
                reqs.append(Request("delete", p.key, tag=("job-delete", key), batch=None))
            if not satisfied:
                finished = None
            terminating += active
            active = 0
        elif finished is None:
            manage_called = False
            if satisfied and job.meta.deletion_timestamp is None:
                local, active, terminating, manage = self._manage(
                    local, key, job, active_pods, succeeded, terminating, record, now
                )
                reqs.extend(manage)
                manage_called = True
            done = succeeded > 0 if spec.completions is None else succeeded >= spec.completions
            if done and active == 0:
                finished = (SUCCESS_CRITERIA_MET, "", "")
            elif manage_called:
                if suspended:
                    status = attrs.evolve(
                        status,
                        conditions=ensure_condition(
                            status.conditions, JOB_SUSPENDED, "True", "JobSuspended", "Job suspended"
                        ),
                    )
                else:
                    conds = ensure_condition(status.conditions, JOB_SUSPENDED, "False", "JobResumed", "Job resumed")
                    if conds != status.conditions:
                        status = attrs.evolve(status, conditions=conds, start_time=now)
        ready = sum(1 for p in active_pods if p.is_ready()) if active else 0
        status = attrs.evolve(status, active=active, ready=ready, terminating=terminating)
        reqs.extend(
            self._track(key, job, pods, status, succeeded, failed, terminating, finished, removing, record, now)
        )
        if any(r.verb == "patch" and r.batch == BATCH_REMOVE for r in reqs):
            uids = tuple(
                sorted(
                    {*local.removing.get(key, ()), *(r.precondition_uid or "" for r in reqs if r.batch == BATCH_REMOVE)}
                )
            )
            local = attrs.evolve(local, removing=local.removing.set(key, uids))
        return Sync(local, reqs)

    def _counts(self, job: Job, pod: Pod) -> bool:
        """``nonIgnoredFailedPodsCount``: whether a failed pod counts towards backoffLimit."""
        if job.spec.pod_failure_policy is None:
            return True
        return match_pod_failure_policy(job.spec.pod_failure_policy, pod)[1]

    def _past_backoff_on_failure(self, job: Job, pods: list[Pod]) -> bool:
        """``pastBackoffLimitOnFailure``: under OnFailure, the restarts of Running and Pending
        pods reach backoffLimit (exceed 0 when it is 0)."""
        if job.spec.template.spec.restart_policy != "OnFailure":
            return False
        restarts = sum(p.status.restart_count for p in pods if p.status.phase in ("Running", "Pending"))
        return restarts > 0 if job.spec.backoff_limit == 0 else restarts >= job.spec.backoff_limit

    def _past_deadline(self, job: Job, status: Any, now: int) -> bool:
        """``pastActiveDeadline``."""
        ads = job.spec.active_deadline_seconds
        if ads is None or status.start_time is None or job.spec.suspend:
            return False
        return now - status.start_time >= ads

    def _manage(
        self,
        local: JobLocal,
        key: JobKey,
        job: Job,
        active_pods: list[Pod],
        succeeded: int,
        terminating: int,
        record: BackoffRecord,
        now: int,
    ) -> tuple[JobLocal, int, int, list[Request]]:
        """``manageJob``: (local, active, terminating, requests)."""
        spec = job.spec
        active = len(active_pods)
        if spec.suspend:
            want = 0
        elif spec.completions is None:
            want = active if succeeded > 0 else spec.parallelism
        else:
            want = max(0, min(spec.completions - succeeded, spec.parallelism))
        surplus = active - want
        if surplus > 0:
            victims = sorted(active_pods, key=deletion_rank)[:surplus]  # controller.ActivePods, as the RS
            local = self._set_expectation(local, key, 0, len(victims), now)
            reqs: list[Request] = []
            for p in victims:  # deleteJobPods: the finalizer first, so the pod is never counted
                if has_finalizer(p):
                    patch = MetaPatch(remove_finalizers=(JOB_TRACKING_FINALIZER,))
                    reqs.append(
                        Request(
                            "patch",
                            p.key,
                            patch,
                            precondition_uid=p.meta.uid,
                            tag=("job-unfinalize", key),
                        )
                    )
                reqs.append(Request("delete", p.key, tag=("job-delete", key), batch=None))
            return local, active - len(victims), terminating + len(victims), reqs
        diff = want - (terminating if only_replace_failed(job) else 0) - active
        if diff <= 0:
            return local, active, terminating, []
        wait = remaining_backoff(record, now)
        if wait > 0:
            local = attrs.evolve(local, delayed=local.delayed.set(key, now + wait))
            return local, 0, terminating, []  # upstream returns active 0 here
        local = self._set_expectation(local, key, diff, 0, now)
        template = pod_from_template(job, self.tracking)
        reqs = [
            Request(
                "create", ("Pod", job.meta.namespace, ""), template, tag=("job-create", key), batch=BATCH_CREATE + b
            )
            for b, size in enumerate(slow_start_batches(diff))
            for _ in range(size)
        ]
        return local, active + diff, terminating, reqs

    def _set_expectation(self, local: JobLocal, key: JobKey, add: int, dels: int, now: int) -> JobLocal:
        exp = JobExpectation(add=add, dels=dels, timestamp=now)
        return attrs.evolve(local, expectations=local.expectations.set(key, exp))

    def _track(
        self,
        key: JobKey,
        job: Job,
        pods: list[Pod],
        status: Any,
        succeeded: int,
        failed: int,
        terminating: int,
        finished: tuple[str, str, str] | None,
        removing: set[str],
        record: BackoffRecord,
        now: int,
    ) -> list[Request]:
        """``trackJobStatusAndRemoveFinalizers`` + ``flushUncountedAndRemoveFinalizers`` +
        ``enactJobFinished``: the status writes and finalizer patches of one sync."""
        if not self.tracking:
            if finished is not None:
                ftype = JOB_COMPLETE if finished[0] == SUCCESS_CRITERIA_MET else JOB_FAILED
                conds = ensure_condition(status.conditions, ftype, "True", finished[1], finished[2])
                status = attrs.evolve(status, conditions=conds, completion_time=now if ftype == JOB_COMPLETE else None)
            status = attrs.evolve(status, succeeded=succeeded, failed=failed)
            if status == job.status:
                return []
            return [
                Request(
                    "update_status",
                    job.key,
                    attrs.evolve(job, status=status),
                    precondition_rv=job.meta.resource_version,
                    tag=Flush(key, record),
                    batch=BATCH_FLUSH,
                )
            ]
        with_finalizer = {p.meta.uid for p in pods if has_finalizer(p) and p.meta.uid not in removing}
        status = clean_uncounted(status, with_finalizer)
        unc_s, unc_f = list(status.uncounted_succeeded), list(status.uncounted_failed)
        to_remove: list[Pod] = []
        failing = finished is not None and finished[0] == FAILURE_TARGET
        for pod in pods:
            if not has_finalizer(pod) or pod.meta.uid in removing:
                continue
            failed_pod = is_pod_failed(pod, job)
            if not (
                job.meta.deletion_timestamp is not None
                or finished is not None
                or pod.status.phase == "Succeeded"
                or failed_pod
            ):
                continue  # canRemoveFinalizer
            to_remove.append(pod)
            uid = pod.meta.uid
            if pod.status.phase == "Succeeded" and uid not in unc_f:
                if uid not in unc_s:
                    unc_s.append(uid)
            elif (failed_pod or failing) and uid not in unc_f and self._counts(job, pod):
                unc_f.append(uid)
        status = attrs.evolve(status, uncounted_succeeded=tuple(unc_s), uncounted_failed=tuple(unc_f))
        final: tuple[str, str, str] | None = None
        if finished is not None:
            if finished[0] == FAILURE_TARGET:
                status = attrs.evolve(
                    status,
                    conditions=ensure_condition(status.conditions, FAILURE_TARGET, "True", finished[1], finished[2]),
                )
                final = (JOB_FAILED, finished[1], finished[2])
            else:
                status = attrs.evolve(
                    status, conditions=ensure_condition(status.conditions, SUCCESS_CRITERIA_MET, "True")
                )
                final = (JOB_COMPLETE, finished[1], finished[2])
        reqs: list[Request] = []
        first = status
        if first != job.status:
            reqs.append(
                Request(
                    "update_status",
                    job.key,
                    attrs.evolve(job, status=first),
                    precondition_rv=job.meta.resource_version,
                    tag=Flush(key, record),
                    batch=BATCH_FLUSH,
                )
            )
        for pod in to_remove:
            patch = MetaPatch(remove_finalizers=(JOB_TRACKING_FINALIZER,))
            reqs.append(
                Request(
                    "patch",
                    pod.key,
                    patch,
                    precondition_uid=pod.meta.uid,
                    tag=("job-finalizer", key),
                    batch=BATCH_REMOVE,
                )
            )
        removed = {p.meta.uid for p in to_remove}
        second = clean_uncounted(first, with_finalizer - removed)
        if final is not None and not second.uncounted_succeeded and not second.uncounted_failed and terminating == 0:
            conds = ensure_condition(second.conditions, final[0], "True", final[1], final[2])
            second = attrs.evolve(second, conditions=conds, completion_time=now if final[0] == JOB_COMPLETE else None)
        if second != first:
            reqs.append(
                Request(
                    "update_status",
                    job.key,
                    attrs.evolve(job, status=second),
                    tag=("job-count", key),
                    batch=BATCH_COUNT,
                )
            )
        elif not reqs and final is None and status != job.status:
            pass
        return reqs

    def on_result(self, local: JobLocal, req: Request, result: Result, view: View) -> JobLocal:
        """The first status write keeps the backoff record once it lands; any failed (or skipped)
        request requeues the Job, and a failed create or delete lowers the expectations, a
        failed finalizer patch drops its expected removal."""
        tag = req.tag
        if isinstance(tag, Flush):
            if result.ok:
                return attrs.evolve(local, backoff=local.backoff.set(tag.job, tag.backoff))
            return workqueue.enqueue(local, tag.job)
        if result.ok or not tag:
            return local
        kind, key = tag[0], tag[1]
        if kind == "job-orphan":
            return self._orphan_again(local, key)
        exp = local.expectations.get(key)
        if exp is not None and kind == "job-create":
            local = attrs.evolve(local, expectations=local.expectations.set(key, attrs.evolve(exp, add=exp.add - 1)))
        elif exp is not None and kind == "job-delete":
            local = attrs.evolve(local, expectations=local.expectations.set(key, attrs.evolve(exp, dels=exp.dels - 1)))
        elif kind == "job-finalizer" and req.precondition_uid is not None:
            uids = tuple(u for u in local.removing.get(key, ()) if u != req.precondition_uid)
            local = attrs.evolve(local, removing=local.removing.set(key, uids) if uids else local.removing.delete(key))
        return workqueue.enqueue(local, key)

    def _orphan_again(self, local: JobLocal, key: tuple[str, str]) -> JobLocal:
        return local if key in local.orphans else attrs.evolve(local, orphans=(*local.orphans, key))


def clean_uncounted(status: Any, with_finalizer: set[str]) -> Any:
    """``cleanUncountedPodsWithoutFinalizers``: uncounted pods whose finalizer is gone move to
    the counters."""
    s = tuple(u for u in status.uncounted_succeeded if u in with_finalizer)
    f = tuple(u for u in status.uncounted_failed if u in with_finalizer)
    if s == status.uncounted_succeeded and f == status.uncounted_failed:
        return status
    return attrs.evolve(
        status,
        succeeded=status.succeeded + len(status.uncounted_succeeded) - len(s),
        failed=status.failed + len(status.uncounted_failed) - len(f),
        uncounted_succeeded=s,
        uncounted_failed=f,
    )


def pod_successes(before: Any, req: Request, res: Result) -> tuple[tuple[str, str, str], int] | None:
    """For the JobCompletesAtMostCompletions monitor: when ``req`` is a status write that took a
    Job's pod to Succeeded, the Job's (namespace, name, uid) and its ``completions`` (0: unset)."""
    if req.verb != "update_status" or req.key[0] != "Pod" or not res.ok:
        return None
    old, new = before.get(req.key), res.obj
    if old is None or new is None or old.status.phase == "Succeeded" or new.status.phase != "Succeeded":
        return None
    ref = new.meta.controller_ref()
    if ref is None or ref.kind != "Job":
        return None
    job = before.get(("Job", new.meta.namespace, ref.name))
    if job is None or job.meta.uid != ref.uid:
        return None
    return (new.meta.namespace, ref.name, ref.uid), job.spec.completions or 0


__all__ = [
    "NAME",
    "BackoffRecord",
    "JobController",
    "JobLocal",
    "clean_uncounted",
    "is_pod_failed",
    "job_pods",
    "match_pod_failure_policy",
    "pod_from_template",
    "remaining_backoff",
]


# only where a Job or CronJob exists: elsewhere it would only add steps
SPEC = ComponentSpec(
    "job-controller",
    build=lambda config: (
        [JobController(tracking=config.variants.job_tracking_finalizers)]
        if any(o.KIND in ("Job", "CronJob") for o in config.objects)
        else []
    ),
    durations=lambda config: (EXPECTATIONS_TIMEOUT, MAX_BACKOFF),
    horizons=lambda config: ((EXPECT, EXPECTATIONS_TIMEOUT),),
)
