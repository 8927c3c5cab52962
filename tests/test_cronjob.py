"""The CronJob controller, its cron schedules, its manifest and the CronJobForbidNeverOverlaps
invariant. Each test checks a rule of ``pkg/controller/cronjob/`` (or robfig/cron's
``ParseStandard``, which it uses) in kubernetes/kubernetes; the docstrings name it."""

from __future__ import annotations

import copy
from typing import Any

import attrs
import pytest

from kmodel.core.run import settle
from kmodel.errors import InputError
from kmodel.k8s.cluster import ClusterModel, ClusterState
from kmodel.k8s.controllers.cronjob import (
    ScheduleError,
    forbid_overlaps,
    job_name,
    most_recent_schedule_time,
    parse_schedule,
)
from kmodel.k8s.objects import CronJob, Job, JobReference
from kmodel.manifests import parse_documents
from kmodel.scenario import scenario_from_data

HOUR, DAY = 3600, 86400


def cj_doc(schedule: str = "1-4 0 1 1 *", **spec: Any) -> dict[str, Any]:
    template = {
        "metadata": {"annotations": {"kmodel.io/run-seconds": "90"}},
        "spec": {"restartPolicy": "OnFailure", "containers": [{"name": "r", "image": "busybox"}]},
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "report"},
        "spec": {"schedule": schedule, "jobTemplate": {"spec": {"template": template}}, **spec},
    }


def parse_cj(doc: dict[str, Any]) -> CronJob:
    (obj,) = parse_documents([doc], "cj.yaml")
    assert isinstance(obj, CronJob)
    return obj


def model(doc: dict[str, Any], faults: dict[str, int] | None = None) -> ClusterModel:
    data = {
        "apiVersion": "kmodel/v1",
        "kind": "Scenario",
        "metadata": {"name": "t"},
        "spec": {
            "nodes": [{"name": f"node-{i}", "capacity": {"cpu": "2", "memory": "4Gi"}} for i in (1, 2)],
            "objects": [doc],
            "faults": faults or {},
            "start": "applied",
        },
    }
    return scenario_from_data(data, "test").model()


def run_to(m: ClusterModel, state: ClusterState, t: int) -> ClusterState:
    """System steps first, ticks when nothing else moves, until the clock reaches ``t``; then the
    settle phase (which does not wait for scheduled runs: see the controller's docstring)."""
    for _ in range(5000):
        if state.clock >= t:
            break
        acts = [a for a in m.actions(state) if a.op in ("deliver", "reconcile", "tick")]
        nxt = None
        for a in sorted(acts, key=lambda a: a.op == "tick"):
            nxt = m.step(state, a)
            if nxt is not None and nxt != state:
                break
            nxt = None
        assert nxt is not None, "stuck"
        state = nxt
    out = settle(m, state)
    assert out.settled
    return out.state


def jobs(state: ClusterState) -> list[Job]:
    return sorted(state.store.list("Job"), key=lambda j: j.meta.name)


# -- schedules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "after", "expected"),
    [
        ("*/5 * * * *", 0, 300),
        ("*/5 * * * *", 299, 300),
        ("*/5 * * * *", 300, 600),
        ("0 2 * * *", 0, 2 * HOUR),
        ("@hourly", 10, HOUR),
        ("30 1,13 * * *", 2 * HOUR, 13 * HOUR + 1800),
        ("0 0 * * 0", 0, 3 * DAY),  # 1970-01-01 is a Thursday: the first Sunday is the 4th
        ("0 0 * * 7", 0, 3 * DAY),  # 7 is Sunday too
        ("0 0 2 * 0", 0, DAY),  # day of month and day of week both restricted: either matches
        ("10-20/5 * * * *", 11 * 60, 15 * 60),
    ],
)
def test_next_schedule_time(schedule: str, after: int, expected: int) -> None:
    """``cron.ParseStandard`` + ``Schedule.Next`` on the model clock (second 0 = 1970-01-01 UTC)."""
    assert parse_schedule(schedule).next_after(after) == expected


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("* * * *", "expected 5 fields"),
        ("60 * * * *", "minute: '60' is outside 0-59"),
        ("* 24 * * *", "hour"),
        ("*/0 * * * *", "bad step"),
        ("a * * * *", "expected a number"),
        ("5-1 * * * *", "outside"),
    ],
)
def test_bad_schedules_are_refused(schedule: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        parse_schedule(schedule)


def test_most_recent_schedule_time_is_the_latest_missed_one() -> None:
    """``mostRecentScheduleTime``: the latest scheduled time after lastScheduleTime (else the
    creation time) and at or before now; startingDeadlineSeconds bounds how far back."""
    cj = parse_cj(cj_doc("*/1 * * * *"))
    sched = parse_schedule(cj.spec.schedule)
    assert most_recent_schedule_time(cj, sched, 59) is None
    assert most_recent_schedule_time(cj, sched, 60) == 60
    assert most_recent_schedule_time(cj, sched, 250) == 240
    later = attrs.evolve(cj, status=attrs.evolve(cj.status, last_schedule_time=240))
    assert most_recent_schedule_time(later, sched, 250) is None
    bounded = attrs.evolve(cj, spec=attrs.evolve(cj.spec, starting_deadline_seconds=5))
    assert most_recent_schedule_time(bounded, sched, 250) is None
    assert job_name(cj, 240) == "report-4"


# -- manifests -----------------------------------------------------------------------------------


def test_cronjob_defaults() -> None:
    """``SetDefaults_CronJob``: concurrencyPolicy Allow, suspend false, history limits 3 and 1."""
    s = parse_cj(cj_doc()).spec
    assert (s.concurrency_policy, s.suspend, s.starting_deadline_seconds) == ("Allow", False, None)
    assert (s.successful_jobs_history_limit, s.failed_jobs_history_limit) == (3, 1)
    assert s.job_template.template.spec.restart_policy == "OnFailure"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["spec"].update(schedule="61 * * * *"), "spec.schedule: minute"),
        (lambda d: d["spec"].update(concurrencyPolicy="Sometimes"), "spec.concurrencyPolicy"),
        (lambda d: d["spec"].update(timeZone="Europe/Paris"), "spec.timeZone"),
        (
            lambda d: d["spec"]["jobTemplate"]["spec"]["template"]["spec"].update(restartPolicy="Always"),
            "a CronJob's pods must use restartPolicy OnFailure or Never",
        ),
    ],
)
def test_cronjob_validation_errors_name_the_field(change: Any, message: str) -> None:
    doc = copy.deepcopy(cj_doc())
    change(doc)
    with pytest.raises(InputError) as info:
        parse_documents([doc], "cj.yaml")
    assert message in str(info.value)


# -- decisions -----------------------------------------------------------------------------------


def test_forbid_skips_a_run_while_one_is_active() -> None:
    """Forbid: minutes 1-4 with 90s runs give the runs of minutes 1 and 3 (2 and 4 skipped; the
    missed minute 2 would have run late, had minute 1's run ended before minute 3)."""
    m = model(cj_doc(concurrencyPolicy="Forbid"))
    state = run_to(m, m.initial(), 400)
    names = [j.meta.name for j in jobs(state)]
    assert forbid_overlaps(state.store) is None
    assert len(names) < 4
    assert all(j.finished() == "Complete" for j in jobs(state))
    cj = state.store.list("CronJob")[0]
    assert cj.status.active == () and cj.status.last_successful_time is not None


def test_allow_runs_every_minute_and_keeps_three_successes() -> None:
    """Allow: every scheduled minute runs, overlapping; ``cleanupFinishedJobs`` keeps the newest
    successfulJobsHistoryLimit (3) finished Jobs."""
    m = model(cj_doc())
    state = run_to(m, m.initial(), 400)
    names = [j.meta.name for j in jobs(state)]
    assert names == ["report-2", "report-3", "report-4"]


def test_replace_deletes_the_running_job() -> None:
    """Replace: the active Job is deleted (background propagation) before the next one starts."""
    m = model(cj_doc(concurrencyPolicy="Replace"))
    state = run_to(m, m.initial(), 400)
    names = [j.meta.name for j in jobs(state)]
    assert names == ["report-4"]
    assert jobs(state)[0].finished() == "Complete"


def test_suspended_cronjob_starts_nothing() -> None:
    m = model(cj_doc(suspend=True))
    assert jobs(run_to(m, m.initial(), 400)) == []


def test_forbid_overlaps_flags_two_unfinished_jobs() -> None:
    m = model(cj_doc(concurrencyPolicy="Forbid"))
    s = m.initial()
    (cj,) = s.store.list("CronJob")
    from kmodel.k8s.controllers.cronjob import job_from_template

    store = s.store
    for t in (60, 120):
        job = job_from_template(cj, t)
        store = attrs.evolve(store, objects=store.objects.set(job.key, job))
    msg = forbid_overlaps(store)
    assert msg is not None and "2 active Jobs at once: report-1, report-2" in msg
    assert JobReference("report-1", "") is not None
