"""The CronJob controller (Kubernetes 1.34), and its schedule: standard five-field cron on the
model clock.

The controller mirrors ``pkg/controller/cronjob/cronjob_controllerv2.go`` (``ControllerV2``):

- Handlers: CronJob events enqueue the CronJob; Job events enqueue the CronJob of the Job's
  controllerRef (``addJob``/``updateJob``/``deleteJob``, old and new when it changed). A synced
  CronJob is requeued for its next scheduled time (``nextScheduleTimeDuration``; the 100ms
  ``nextScheduleDelta`` is not modelled) and a failed sync at once.
- ``syncCronJob`` over the Jobs whose controllerRef is the CronJob (``getJobsToBeReconciled``):
  a finished Job in ``status.active`` leaves it; a succeeded one moves ``lastSuccessfulTime``;
  an unfinished Job not in the active list (``UnexpectedJob``) makes it re-read the CronJob live
  (``GetCronJob``) and use that copy if it lists the Job; an active entry whose Job the cache
  lacks is looked up live (``GetJob``) and dropped when NotFound. A CronJob being deleted or
  suspended only writes its status. Otherwise the most recent unmet schedule time
  (``utils.go: mostRecentScheduleTime`` from ``lastScheduleTime``, else ``creationTimestamp``,
  and no earlier than ``now − startingDeadlineSeconds``) is skipped when there is none, when it
  is older than ``startingDeadlineSeconds`` (``tooLate``), when its Job name is already active or
  it equals ``lastScheduleTime``, and under ``concurrencyPolicy: Forbid`` while the active list is
  not empty ("it is theoretically possible to have concurrency with Forbid", says upstream: the
  list is the cached status). ``Replace`` deletes the active Jobs first (background
  propagation, ``deleteJob``). The Job is ``getJobFromTemplate2``: named
  ``<cronjob>-<scheduled time in minutes>`` (``getJobName``: the name is the lock against
  creating a scheduled run twice), the template's labels, the annotation
  ``batch.kubernetes.io/cronjob-scheduled-timestamp``, a controller ownerReference. It is added
  to ``status.active`` with ``lastScheduleTime``; an ``AlreadyExists`` create re-reads the Job and
  adds it if the CronJob controls it and it is not listed. ``cleanupFinishedJobs`` then deletes the
  oldest finished Jobs beyond ``successfulJobsHistoryLimit`` / ``failedJobsHistoryLimit`` (by
  start time, ``byJobStartTime``), background propagation. The status is written with the
  cached resourceVersion.

How a sync maps onto kmodel reconciles: a request's response is known only after the reconcile
that sent it, so what upstream does with a response within one sync takes the next sync here:
the created Job's reference (its uid comes from the API server) is recorded from the create's
result (``on_result``) and added to the active list with ``lastScheduleTime`` by the next sync,
which the result enqueues; likewise the live GETs' answers (a fresh CronJob copy, a Job that is
NotFound). The Job an ``AlreadyExists`` create met is read from the cache, not live (if the cache
lacks it, the next sync retries the create). A restart in between loses them, as a crash
between upstream's create and status write does; the next run finds the Job by name (the
AlreadyExists path).

The fair settle phase does not wait for a CronJob's next scheduled run (no ``settle_deadline``):
a scheduled run is new work, as a user step is, and a frequent schedule would never let the
cluster settle; the Jobs already created settle as any Job does. A run of the search reaches a
scheduled minute by ticking the clock.

Simplifications: ``timeZone`` and ``TZ=`` are refused by the parser (the model clock is UTC);
the "too many missed start times" (>100) warning is not modelled; the explorer's time
abstraction translates the clock and so does not preserve the phase of cron schedules: CronJob
scenarios are for ``kmodel check``, not ``kmodel explore``.

The schedule mirrors the parsing ``pkg/controller/cronjob/utils.go`` gets from ``github.com/robfig/cron/v3``
(``cron.ParseStandard``): minute, hour, day of month, month, day of week; each field ``*``, a
number, a range ``a-b``, a step ``*/n`` or ``a-b/n``, or a comma-separated list of those; the
descriptors ``@yearly``/``@annually``, ``@monthly``, ``@weekly``, ``@daily``/``@midnight`` and
``@hourly``. Day of week 0–6 (Sunday 0; 7 is accepted as Sunday, as robfig does). As in cron,
when both day of month and day of week are restricted, a day matches if either does. Month and
day names (``JAN``, ``MON``) and ``TZ=`` prefixes are not modelled.

The model clock's second 0 is 1970-01-01 00:00 UTC (a Thursday).
"""

from __future__ import annotations

import datetime
from typing import Any

import attrs

from kmodel.core.fmap import FMap
from kmodel.k8s import abstraction, workqueue
from kmodel.k8s.informers import Component, ComponentSpec, View
from kmodel.k8s.objects import JOB_COMPLETE, JOB_FAILED, CronJob, Job, JobReference, ObjectMeta, OwnerReference
from kmodel.k8s.store import Event, Request, Result

NAME = "cronjob-controller"
SCHEDULED_TIMESTAMP_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"
CRONJOB_NAME_LABEL = "batch.kubernetes.io/cronjob-name"  # not added by 1.34's getJobFromTemplate2

FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))
DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


class ScheduleError(ValueError):
    """A schedule that does not parse; the message says which field and why."""


@attrs.frozen
class Schedule:
    """A parsed schedule: the allowed values of each field, and whether day of month / day of
    week were ``*`` (robfig's ``starBit``: then only the other one restricts the day)."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    days_star: bool
    weekdays_star: bool

    def matches(self, t: int) -> bool:
        """Whether the minute starting at model second ``t`` (a multiple of 60) is scheduled."""
        d = EPOCH + datetime.timedelta(seconds=t)
        if d.minute not in self.minutes or d.hour not in self.hours or d.month not in self.months:
            return False
        dom = d.day in self.days
        dow = (d.isoweekday() % 7) in self.weekdays
        if self.days_star or self.weekdays_star:
            return dom and dow
        return dom or dow

    def next_after(self, t: int, limit: int = 366 * 24 * 3600) -> int | None:
        """The first scheduled time strictly after ``t`` (``Schedule.Next``), within ``limit``
        seconds, else None."""
        start = (t // 60 + 1) * 60
        m = start
        while m <= t + limit:
            d = EPOCH + datetime.timedelta(seconds=m)
            if d.month not in self.months or not self._day_ok(d):
                m = (m // 86400 + 1) * 86400  # skip the rest of the day
                continue
            if d.hour not in self.hours:
                m = (m // 3600 + 1) * 3600
                continue
            if d.minute in self.minutes:
                return m
            m += 60
        return None

    def _day_ok(self, d: datetime.datetime) -> bool:
        dom = d.day in self.days
        dow = (d.isoweekday() % 7) in self.weekdays
        if self.days_star or self.weekdays_star:
            return dom and dow
        return dom or dow


def _field(text: str, name: str, lo: int, hi: int) -> tuple[frozenset[int], bool]:
    values: set[int] = set()
    star = False
    for part in text.split(","):
        rng, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleError(f"{name}: bad step {step_text!r} in {part!r}")
            step = int(step_text)
        if rng == "*" or rng == "?":
            a, b = lo, hi
            star = star or not step_text
        else:
            first, dash, last = rng.partition("-")
            if not first.isdigit() or (dash and not last.isdigit()):
                raise ScheduleError(f"{name}: expected a number, a range a-b or *, got {part!r}")
            a = int(first)
            b = int(last) if dash else (hi if step_text else a)
            if a < lo or b > hi or a > b:
                raise ScheduleError(f"{name}: {part!r} is outside {lo}-{hi}")
        values.update(range(a, b + 1, step))
    return frozenset(values), star


def parse_schedule(text: str) -> Schedule:
    """``cron.ParseStandard`` (see the module docstring).

    Raises:
        ScheduleError: not five fields (or a known descriptor), or a field that does not parse.
    """
    spec = DESCRIPTORS.get(text.strip(), text)
    parts = spec.split()
    if len(parts) != 5:
        raise ScheduleError(
            f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(parts)}: {text!r}"
        )
    parsed = [_field(p, name, lo, hi) for p, (name, lo, hi) in zip(parts, FIELDS, strict=True)]
    weekdays = frozenset(0 if d == 7 else d for d in parsed[4][0])
    return Schedule(
        minutes=parsed[0][0],
        hours=parsed[1][0],
        days=parsed[2][0],
        months=parsed[3][0],
        weekdays=weekdays,
        days_star=parsed[2][1],
        weekdays_star=parsed[4][1],
    )


def most_recent_schedule_time(cj: CronJob, sched: Schedule, now: int) -> int | None:
    """``utils.go: mostRecentScheduleTime``: the latest scheduled time after ``lastScheduleTime``
    (else the creation time; no earlier than ``now − startingDeadlineSeconds``) and at or
    before ``now``; None when there is none."""
    earliest = cj.status.last_schedule_time
    if earliest is None:
        earliest = cj.meta.creation_timestamp
    deadline = cj.spec.starting_deadline_seconds
    if deadline is not None:
        earliest = max(earliest, now - deadline)
    latest = None
    t = sched.next_after(earliest, limit=max(now - earliest, 0) + 60)
    while t is not None and t <= now:
        latest = t
        t = sched.next_after(t, limit=max(now - t, 0) + 60)
    return latest


def job_name(cj: CronJob, scheduled: int) -> str:
    """``getJobName``: ``<cronjob>-<scheduled time in minutes since the epoch>``."""
    return f"{cj.meta.name}-{scheduled // 60}"


def job_from_template(cj: CronJob, scheduled: int) -> Job:
    """``getJobFromTemplate2``: the template's Job spec and labels, the scheduled-time
    annotation and a controller ownerReference."""
    ref = OwnerReference("batch/v1", "CronJob", cj.meta.name, cj.meta.uid, controller=True, block_owner_deletion=True)
    stamp = (EPOCH + datetime.timedelta(seconds=scheduled)).strftime("%Y-%m-%dT%H:%M:%SZ")
    meta = ObjectMeta(
        name=job_name(cj, scheduled),
        namespace=cj.meta.namespace,
        labels=cj.spec.job_labels,
        annotations=FMap({SCHEDULED_TIMESTAMP_ANNOTATION: stamp}),
        owner_references=(ref,),
    )
    return Job(meta=meta, spec=cj.spec.job_template)


def owned_jobs(cj: CronJob, jobs: Any) -> list[Job]:
    """The Jobs whose controllerRef is ``cj`` (by uid), by name."""
    out = []
    for j in jobs:
        ref = j.meta.controller_ref()
        if ref is not None and ref.uid == cj.meta.uid and j.meta.namespace == cj.meta.namespace:
            out.append(j)
    return sorted(out, key=lambda j: j.meta.name)


CJKey = tuple[str, str]


@abstraction.declare(fields={"delayed": abstraction.TIME_VALUES, "created": abstraction.MAPPED_VALUE_TIMES})
@attrs.frozen
class CronJobLocal:
    queue: tuple[CJKey, ...] = ()
    delayed: FMap[CJKey, int] = FMap()  # requeued for its next scheduled time
    created: FMap[CJKey, tuple[JobReference, int]] = FMap()  # a created Job and its scheduled time
    gone: FMap[CJKey, tuple[str, ...]] = FMap()  # active Job uids a live GET found missing
    fresh: FMap[CJKey, Any] = FMap()  # a live copy of the CronJob (GetCronJob)


@attrs.frozen
class CronJobController(Component):
    name: str = NAME

    def watches(self, obj: Any) -> bool:
        return isinstance(obj, Job | CronJob)

    def initial_local(self) -> CronJobLocal:
        return CronJobLocal()

    def on_relist(self, local: CronJobLocal, view: View) -> CronJobLocal:
        for cj in sorted(view.list("CronJob"), key=lambda c: (c.meta.namespace, c.meta.name)):
            local = workqueue.enqueue(local, (cj.meta.namespace, cj.meta.name))
        return local

    def on_event(self, local: CronJobLocal, event: Event, old: Any, view: View) -> CronJobLocal:
        obj = event.obj
        if isinstance(obj, CronJob):
            return workqueue.enqueue(local, (obj.meta.namespace, obj.meta.name))
        for j in (old, obj):
            ref = j.meta.controller_ref() if j is not None else None
            if ref is not None and ref.kind == "CronJob":
                local = workqueue.enqueue(local, (j.meta.namespace, ref.name))
        return local

    def next_deadline(self, local: CronJobLocal, view: View) -> int | None:
        future = [t for t in local.delayed.values() if t > view.now]
        return min(future) if future else None

    def reconcile(self, local: CronJobLocal, view: View) -> tuple[CronJobLocal, list[Request]]:
        for key in sorted(k for k, t in local.delayed.items() if t <= view.now):
            local = attrs.evolve(local, delayed=local.delayed.delete(key))
            local = workqueue.enqueue(local, key)
        if not local.queue:
            return local, []
        key, local = local.queue[0], attrs.evolve(local, queue=local.queue[1:])
        cj = view.get(("CronJob", *key))
        fresh = local.fresh.get(key)
        local = attrs.evolve(local, fresh=local.fresh.delete(key))
        if cj is None:
            return attrs.evolve(
                local,
                delayed=local.delayed.delete(key),
                created=local.created.delete(key),
                gone=local.gone.delete(key),
            ), []
        if (
            fresh is not None
            and fresh.meta.uid == cj.meta.uid
            and fresh.meta.resource_version > cj.meta.resource_version
        ):
            cj = fresh
        return self.sync(local, key, cj, owned_jobs(cj, view.list("Job")), view.now)

    def sync(
        self, local: CronJobLocal, key: CJKey, cj: CronJob, jobs: list[Job], now: int
    ) -> tuple[CronJobLocal, list[Request]]:
        """One ``sync`` (``syncCronJob`` then ``cleanupFinishedJobs``, see the module docstring)."""
        status = cj.status
        active = list(status.active)
        last_success = status.last_successful_time
        reqs: list[Request] = []
        created = local.created.get(key)
        if created is not None:  # the create's response, which upstream handles in its sync
            ref, scheduled = created
            if all(a.uid != ref.uid for a in active):
                active.append(ref)
            status = attrs.evolve(status, last_schedule_time=scheduled)
            local = attrs.evolve(local, created=local.created.delete(key))
        gone = set(local.gone.get(key, ()))
        local = attrs.evolve(local, gone=local.gone.delete(key))
        active = [a for a in active if a.uid not in gone]
        uids = {j.meta.uid for j in jobs}
        for j in jobs:
            listed = any(a.uid == j.meta.uid for a in active)
            done = j.finished()
            if not listed and done is None:
                continue  # UnexpectedJob: "the controller did not create or forgot" it
            if listed and done is not None:
                active = [a for a in active if a.uid != j.meta.uid]
            elif (
                done == JOB_COMPLETE
                and j.status.completion_time is not None
                and (last_success is None or j.status.completion_time > last_success)
            ):
                last_success = j.status.completion_time
        for a in active:
            if a.uid not in uids:  # GetJob: dropped next sync if NotFound
                reqs.append(Request("get", ("Job", cj.meta.namespace, a.name), tag=("cj-missing", key, a.uid)))
        status = attrs.evolve(status, active=tuple(active), last_successful_time=last_success)
        sched = parse_schedule(cj.spec.schedule)
        if cj.meta.deletion_timestamp is None and not cj.spec.suspend:
            local, more = self._schedule(local, key, cj, status, sched, now)
            reqs.extend(more)
            status = attrs.evolve(status, active=tuple(a for a in status.active if not _deleted(a, more)))
        reqs.extend(self._cleanup(cj, jobs))
        status = attrs.evolve(status, active=tuple(a for a in status.active if not _deleted(a, reqs)))
        if status != cj.status:
            reqs.append(
                Request(
                    "update_status",
                    cj.key,
                    attrs.evolve(cj, status=status),
                    precondition_rv=cj.meta.resource_version,
                    tag=("cj-status", key),
                )
            )
        return local, reqs

    def _schedule(
        self, local: CronJobLocal, key: CJKey, cj: CronJob, status: Any, sched: Schedule, now: int
    ) -> tuple[CronJobLocal, list[Request]]:
        view_cj = attrs.evolve(cj, status=status)
        scheduled = most_recent_schedule_time(view_cj, sched, now)
        nxt = sched.next_after(max(now, status.last_schedule_time or 0))
        if nxt is not None:
            local = attrs.evolve(local, delayed=local.delayed.set(key, nxt))
        if scheduled is None:
            return local, []
        deadline = cj.spec.starting_deadline_seconds
        if deadline is not None and scheduled + deadline < now:
            return local, []  # tooLate: MissSchedule
        name = job_name(cj, scheduled)
        if any(a.name == name for a in status.active) or status.last_schedule_time == scheduled:
            return local, []
        if cj.spec.concurrency_policy == "Forbid" and status.active:
            return local, []  # JobAlreadyActive
        reqs: list[Request] = []
        if cj.spec.concurrency_policy == "Replace":
            for a in status.active:
                job_key = ("Job", cj.meta.namespace, a.name)
                reqs.append(Request("delete", job_key, propagation="Background", tag=("cj-replace", key, a.uid)))
        job = job_from_template(cj, scheduled)
        reqs.append(Request("create", job.key, job, tag=("cj-create", key, scheduled)))
        return local, reqs

    def _cleanup(self, cj: CronJob, jobs: list[Job]) -> list[Request]:
        """``cleanupFinishedJobs`` / ``removeOldestJobs``: the oldest finished Jobs beyond the
        history limits, by start time (``byJobStartTime``: no start time first, then name)."""
        reqs = []
        for ctype, limit in (
            (JOB_COMPLETE, cj.spec.successful_jobs_history_limit),
            (JOB_FAILED, cj.spec.failed_jobs_history_limit),
        ):
            done = [j for j in jobs if j.finished() == ctype and j.meta.deletion_timestamp is None]
            done.sort(key=lambda j: (j.status.start_time is not None, j.status.start_time or 0, j.meta.name))
            for j in done[: max(len(done) - limit, 0)]:
                reqs.append(
                    Request(
                        "delete",
                        j.key,
                        propagation="Background",
                        tag=("cj-cleanup", (cj.meta.namespace, cj.meta.name), j.meta.uid),
                    )
                )
        return reqs

    def on_result(self, local: CronJobLocal, req: Request, result: Result, view: View) -> CronJobLocal:
        tag = req.tag
        if not tag:
            return local
        kind, key = tag[0], tag[1]
        if kind == "cj-create":
            if result.ok:
                ref = JobReference(result.obj.meta.name, result.obj.meta.uid)
                local = attrs.evolve(local, created=local.created.set(key, (ref, tag[2])))
            elif result.reason == "AlreadyExists":
                job = view.get(req.key)  # stands for the live GetJob of upstream's AlreadyExists path
                owner = job.meta.controller_ref() if job is not None else None
                cj = view.get(("CronJob", *key))
                if job is not None and owner is not None and cj is not None and owner.uid == cj.meta.uid:
                    listed = any(a.uid == job.meta.uid for a in cj.status.active)
                    if not listed:
                        mine = (JobReference(job.meta.name, job.meta.uid), tag[2])
                        local = attrs.evolve(local, created=local.created.set(key, mine))
            return workqueue.enqueue(local, key)
        if kind == "cj-fresh":
            if result.ok:
                local = attrs.evolve(local, fresh=local.fresh.set(key, result.obj))
                return workqueue.enqueue(local, key)
            return workqueue.enqueue(local, key)
        if kind == "cj-missing":
            if not result.ok and result.reason == "NotFound":
                uids = tuple(sorted({*local.gone.get(key, ()), tag[2]}))
                return workqueue.enqueue(attrs.evolve(local, gone=local.gone.set(key, uids)), key)
            return local
        if result.ok:
            return local
        return workqueue.enqueue(local, key)


def _deleted(ref: JobReference, reqs: list[Request]) -> bool:
    """Whether ``reqs`` delete the Job ``ref`` (``deleteJob`` drops it from the active list)."""
    return any(r.verb == "delete" and len(r.tag) > 2 and r.tag[2] == ref.uid for r in reqs)


def forbid_overlaps(store: Any) -> str | None:
    """For CronJobForbidNeverOverlaps: a CronJob with ``concurrencyPolicy: Forbid`` that controls
    two Jobs at once that are neither finished nor being deleted."""
    jobs = store.list("Job")
    for cj in store.list("CronJob"):
        if cj.spec.concurrency_policy != "Forbid":
            continue
        running = [j for j in owned_jobs(cj, jobs) if j.finished() is None and j.meta.deletion_timestamp is None]
        if len(running) > 1:
            names = ", ".join(j.meta.name for j in running)
            where = f"CronJob {cj.meta.namespace}/{cj.meta.name}"
            return f"{where} (concurrencyPolicy Forbid) has {len(running)} active Jobs at once: {names}"
    return None


SPEC = ComponentSpec(
    "cronjob-controller",
    build=lambda config: [CronJobController()] if any(o.KIND == "CronJob" for o in config.objects) else [],
)
