"""The Job controller, its manifest, the kubelet's finishing containers and the two Job invariants.

Each test checks a rule of ``pkg/controller/job/`` (or ``pkg/apis/batch/v1/defaults.go``) in
kubernetes/kubernetes; the docstrings name it.
"""

from __future__ import annotations

import copy
from typing import Any

import attrs
import pytest

from kmodel.core.fmap import FMap
from kmodel.core.model import Action
from kmodel.core.run import settle
from kmodel.errors import InputError
from kmodel.k8s.cluster import ClusterModel, ClusterState
from kmodel.k8s.controllers.job import (
    BackoffRecord,
    JobController,
    JobLocal,
    clean_uncounted,
    is_pod_failed,
    match_pod_failure_policy,
    remaining_backoff,
)
from kmodel.k8s.informers import View
from kmodel.k8s.invariants import BUILTIN, JobSuccesses, job_completes
from kmodel.k8s.objects import JOB_TRACKING_FINALIZER, Job, JobStatus, ObjectMeta, OwnerReference, Pod, PodStatus
from kmodel.k8s.store import JOB_UID_LABEL
from kmodel.manifests import JOB_RUN_SECONDS, parse_documents
from kmodel.scenario import scenario_from_data


def job_doc(**spec: Any) -> dict[str, Any]:
    template: dict[str, Any] = {
        "metadata": {"annotations": {"kmodel.io/run-seconds": "20"}},
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "w", "image": "busybox", "resources": {"requests": {"cpu": "250m"}}}],
        },
    }
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi"}, "spec": {"template": template, **spec}}


def parse_job(doc: dict[str, Any]) -> Job:
    (obj,) = parse_documents([doc], "job.yaml")
    assert isinstance(obj, Job)
    return obj


def error_of(doc: dict[str, Any]) -> str:
    with pytest.raises(InputError) as info:
        parse_documents([doc], "job.yaml")
    return str(info.value)


def model(
    doc: dict[str, Any],
    tracking: bool = True,
    user: list[dict[str, Any]] | None = None,
    faults: dict[str, int] | None = None,
) -> ClusterModel:
    data = {
        "apiVersion": "kmodel/v1",
        "kind": "Scenario",
        "metadata": {"name": "t"},
        "spec": {
            "nodes": [{"name": f"node-{i}", "capacity": {"cpu": "2", "memory": "4Gi"}} for i in (1, 2)],
            "objects": [doc],
            "variants": {} if tracking else {"jobTrackingFinalizers": False},
            "user": user or [{"op": "deletePod", "target": "Job/pi"}],
            "faults": faults or {},
            "start": "applied",
        },
    }
    return scenario_from_data(data, "test").model()


def drive(m: ClusterModel, state: ClusterState, until: Any, avoid: tuple[str, ...] = ("deletePod",)) -> ClusterState:
    """Take the first enabled system step (ticks last) until ``until(state)``."""
    for _ in range(2000):
        if until(state):
            return state
        acts = [a for a in m.actions(state) if a.op not in avoid and a.op not in ("crash_container", "restart")]
        nxt = None
        for a in sorted(acts, key=lambda a: a.op == "tick"):
            nxt = m.step(state, a)
            if nxt is not None and nxt != state:
                break
            nxt = None
        assert nxt is not None, "stuck"
        state = nxt
    raise AssertionError("never reached")


def pods(state: ClusterState) -> list[Pod]:
    return sorted(state.store.list("Pod"), key=lambda p: p.meta.name)


def the_job(state: ClusterState) -> Job:
    (job,) = state.store.list("Job")
    return job


# -- parsing -------------------------------------------------------------------------------------


def test_job_defaults() -> None:
    """``SetDefaults_Job``: completions and parallelism 1, backoffLimit 6, NonIndexed,
    podReplacementPolicy TerminatingOrFailed; no selector until the API server generates it."""
    job = parse_job(job_doc())
    s = job.spec
    assert (s.completions, s.parallelism, s.backoff_limit) == (1, 1, 6)
    assert (s.completion_mode, s.pod_replacement_policy, s.suspend) == ("NonIndexed", "TerminatingOrFailed", False)
    assert s.selector is None and not s.manual_selector
    assert s.template.spec.run_seconds == 20


def test_parallelism_alone_leaves_completions_unset() -> None:
    """``SetDefaults_Job``: completions defaults to 1 only when parallelism is unset too."""
    job = parse_job(job_doc(parallelism=3))
    assert (job.spec.completions, job.spec.parallelism) == (None, 3)


def test_job_pods_run_the_default_time_without_the_annotation() -> None:
    doc = job_doc()
    del doc["spec"]["template"]["metadata"]
    assert parse_job(doc).spec.template.spec.run_seconds == JOB_RUN_SECONDS


def test_pod_failure_policy_implies_replacement_of_failed_pods_only() -> None:
    doc = job_doc(podFailurePolicy={"rules": [{"action": "FailJob", "onExitCodes": {"operator": "In", "values": [1]}}]})
    job = parse_job(doc)
    assert job.spec.pod_replacement_policy == "Failed"
    assert job.spec.pod_failure_policy is not None and job.spec.pod_failure_policy[0].exit_values == (1,)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["spec"]["template"]["spec"].update(restartPolicy="Always"), "restartPolicy OnFailure or Never"),
        (lambda d: d["spec"]["template"]["spec"].pop("restartPolicy"), "spec.template.spec.restartPolicy: is required"),
        (
            lambda d: d["spec"].update(selector={"matchLabels": {"a": "b"}}),
            "spec.selector: set only with manualSelector",
        ),
        (lambda d: d["spec"].update(completionMode="Indexed"), "spec.completionMode: kmodel models NonIndexed"),
        (lambda d: d["spec"].update(backoffLimit=-1), "spec.backoffLimit: must be ≥ 0"),
        (
            lambda d: d["spec"]["template"]["metadata"]["annotations"].update({"kmodel.io/run-seconds": "soon"}),
            "kmodel.io/run-seconds: expected whole seconds",
        ),
        (
            lambda d: d["spec"].update(podFailurePolicy={"rules": [{"action": "FailIndex", "onExitCodes": {}}]}),
            "spec.podFailurePolicy.rules[0].action",
        ),
    ],
)
def test_job_validation_errors_name_the_field(change: Any, message: str) -> None:
    doc = copy.deepcopy(job_doc())
    change(doc)
    assert message in error_of(doc)


def test_store_generates_the_selector_from_the_uid() -> None:
    """``pkg/registry/batch/job/strategy.go: generateSelector``."""
    m = model(job_doc())
    job = the_job(m.initial())
    assert job.spec.selector is not None and job.spec.selector.match_labels == ((JOB_UID_LABEL, job.meta.uid),)
    assert job.spec.template.labels["job-name"] == "pi"
    assert job.spec.selector.matches(job.spec.template.labels)


# -- decisions -----------------------------------------------------------------------------------


def test_pods_are_created_with_the_tracking_finalizer_up_to_parallelism() -> None:
    """``manageJob``: wantActive = min(completions − succeeded, parallelism), each pod with the
    ``batch.kubernetes.io/job-tracking`` finalizer and a controller ownerReference."""
    m = model(job_doc(completions=5, parallelism=2))
    s = drive(m, m.initial(), lambda s: len(pods(s)) == 2)
    for p in pods(s):
        assert JOB_TRACKING_FINALIZER in p.meta.finalizers
        ref = p.meta.controller_ref()
        assert ref is not None and ref.kind == "Job"
    s = drive(m, s, lambda s: the_job(s).status.active == 2)
    assert len(pods(s)) == 2


def test_job_completes_with_counts_in_status_and_finalizers_removed() -> None:
    """``trackJobStatusAndRemoveFinalizers``: a succeeded pod's uid goes to
    uncountedTerminatedPods, its finalizer is removed, then ``succeeded`` counts it; the Job gets
    SuccessCriteriaMet and then Complete."""
    m = model(job_doc(completions=2, parallelism=2))
    out = settle(m, m.initial())
    job = the_job(out.state)
    assert job.finished() == "Complete"
    assert [c.type for c in job.status.conditions] == ["SuccessCriteriaMet", "Complete"]
    assert (job.status.succeeded, job.status.failed, job.status.active) == (2, 0, 0)
    assert job.status.uncounted_succeeded == ()
    assert all(not p.meta.finalizers and p.status.phase == "Succeeded" for p in pods(out.state))
    assert job_completes(out.state) is None


def delete_succeeded(m: ClusterModel, s: ClusterState) -> ClusterState:
    s = drive(m, s, lambda s: any(p.status.phase == "Succeeded" for p in pods(s)))
    nxt = m.step(s, Action.of("deletePod", target="Job/pi", index=0))
    assert nxt is not None
    return nxt


def test_a_deleted_succeeded_pod_is_kept_by_its_finalizer_and_counted() -> None:
    """The finalizer keeps a deleted pod (grace 0: terminal) until the controller has recorded its
    success; only then does the pod go (``ShouldDeleteDuringUpdate``), and nothing is re-run."""
    m = model(job_doc())
    s = delete_succeeded(m, m.initial())
    (p,) = pods(s)
    assert p.meta.deletion_timestamp is not None and p.meta.deletion_grace_period_seconds == 0
    assert JOB_TRACKING_FINALIZER in p.meta.finalizers
    out = settle(m, s)
    assert pods(out.state) == []
    job = the_job(out.state)
    assert job.finished() == "Complete" and job.status.succeeded == 1
    assert BUILTIN["JobCompletesAtMostCompletions"].property(m).check(out.state) is None


def test_legacy_tracking_runs_a_forgotten_success_again() -> None:
    """Variant ``jobTrackingFinalizers: false``: no finalizer, so the deleted succeeded pod goes
    at once and the controller, counting the pods present, runs another."""
    m = model(job_doc(), tracking=False)
    s = delete_succeeded(m, m.initial())
    assert pods(s) == []
    out = settle(m, s)
    check = BUILTIN["JobCompletesAtMostCompletions"].property(m).check
    assert check(out.state) is not None
    assert "2 pods succeeded, more than its completions 1" in (check(out.state) or "")


def test_backoff_limit_fails_the_job_and_deletes_active_pods() -> None:
    """``failed > backoffLimit`` → FailureTarget then Failed with reason BackoffLimitExceeded."""
    m = model(job_doc(backoffLimit=0, parallelism=2, completions=2), faults={"containerCrash": 1})
    s = drive(m, m.initial(), lambda s: sum(1 for p in pods(s) if p.status.phase == "Running") == 2)
    running = next(p for p in pods(s) if p.status.phase == "Running")
    crash = next(
        a for a in m.actions(s) if a.op == "crash_container" and dict(a.args).get("node") == running.spec.node_name
    )
    nxt = m.step(s, crash)
    assert nxt is not None
    out = settle(m, nxt)
    job = the_job(out.state)
    assert job.finished() == "Failed"
    failed = next(c for c in job.status.conditions if c.type == "Failed")
    assert failed.reason == "BackoffLimitExceeded"
    assert job.status.failed >= 1


def test_backoff_doubles_from_ten_seconds_up_to_ten_minutes() -> None:
    """``getRemainingTimeForFailuresCount``."""
    assert remaining_backoff(None, 100) == 0
    assert remaining_backoff(BackoffRecord(1, 100), 103) == 7
    assert remaining_backoff(BackoffRecord(3, 100), 100) == 40
    assert remaining_backoff(BackoffRecord(20, 0), 0) == 600
    assert remaining_backoff(BackoffRecord(2, 0), 25) == 0


def pod(phase: str = "Running", deleting: bool = False, reason: str = "") -> Pod:
    meta = ObjectMeta(name="p", namespace="default", uid="uid-p", deletion_timestamp=5 if deleting else None)
    return Pod(meta=meta, status=PodStatus(phase=phase, reason=reason))


def test_a_terminating_pod_counts_as_failed_unless_only_failed_pods_are_replaced() -> None:
    """``isPodFailed`` with ``onlyReplaceFailedPods``."""
    job = parse_job(job_doc())
    assert is_pod_failed(pod(deleting=True), job)
    assert not is_pod_failed(pod("Succeeded", deleting=True), job)
    strict = attrs.evolve(job, spec=attrs.evolve(job.spec, pod_replacement_policy="Failed"))
    assert not is_pod_failed(pod(deleting=True), strict)
    assert is_pod_failed(pod("Failed"), strict)


def test_pod_failure_policy_rules_match_the_crash_exit_code() -> None:
    """``matchPodFailurePolicy``: the first matching rule decides; Ignore does not count."""
    doc = job_doc(
        podFailurePolicy={
            "rules": [
                {"action": "Ignore", "onExitCodes": {"operator": "In", "values": [137]}},
                {"action": "FailJob", "onExitCodes": {"operator": "NotIn", "values": [0]}},
            ]
        }
    )
    rules = parse_job(doc).spec.pod_failure_policy
    assert rules is not None
    msg, counts, action = match_pod_failure_policy(rules, pod("Failed"))
    assert action == "FailJob" and counts and msg is not None
    ignore = parse_job(
        job_doc(podFailurePolicy={"rules": [{"action": "Ignore", "onExitCodes": {"operator": "In", "values": [1]}}]})
    ).spec.pod_failure_policy
    assert ignore is not None
    assert match_pod_failure_policy(ignore, pod("Failed")) == (None, False, "Ignore")
    # a kubelet rejection (reason set) has no container exit code: no exit-code rule matches
    assert match_pod_failure_policy(ignore, pod("Failed", reason="OutOfcpu")) == (None, True, None)


def test_clean_uncounted_moves_pods_without_finalizer_to_the_counters() -> None:
    """``cleanUncountedPodsWithoutFinalizers``."""
    st = JobStatus(succeeded=1, uncounted_succeeded=("a", "b"), uncounted_failed=("c",))
    out = clean_uncounted(st, {"b"})
    assert (out.succeeded, out.failed, out.uncounted_succeeded, out.uncounted_failed) == (2, 1, ("b",), ())


def test_suspended_job_creates_nothing_and_says_so() -> None:
    """``manageJob`` of a suspended Job deletes its active pods; the Suspended condition is set."""
    m = model(job_doc(suspend=True))
    out = settle(m, m.initial())
    assert pods(out.state) == []
    assert [c.type for c in the_job(out.state).status.conditions] == ["Suspended"]
    assert job_completes(out.state) is None  # a suspended Job is not expected to finish


def test_orphan_pod_with_finalizer_loses_it() -> None:
    """``syncOrphanPod``: a pod with the tracking finalizer whose Job is gone loses it."""
    ctl = JobController()
    ref = OwnerReference("batch/v1", "Job", "gone", "uid-gone", controller=True)
    orphan = Pod(
        meta=ObjectMeta(
            name="x", namespace="default", uid="u1", owner_references=(ref,), finalizers=(JOB_TRACKING_FINALIZER,)
        )
    )
    view = View(cache=FMap({"Pod": FMap({("default", "x"): orphan})}), now=0)
    local = ctl.on_relist(JobLocal(), view)
    assert local.orphans == (("default", "x"),)
    local, reqs = ctl.reconcile(local, view)
    assert [r.verb for r in reqs] == ["patch"] and reqs[0].obj.remove_finalizers == (JOB_TRACKING_FINALIZER,)


# -- invariants ----------------------------------------------------------------------------------


def test_job_completes_names_a_pod_stuck_terminating() -> None:
    m = model(job_doc())
    s = drive(m, m.initial(), lambda s: any(p.status.phase == "Running" for p in pods(s)))
    p = pods(s)[0]
    stuck = attrs.evolve(p, meta=attrs.evolve(p.meta, deletion_timestamp=s.clock, deletion_grace_period_seconds=30))
    state = attrs.evolve(s, store=attrs.evolve(s.store, objects=s.store.objects.set(p.key, stuck)))
    msg = job_completes(state)
    assert msg is not None and "still Terminating" in msg


def test_success_monitor_counts_each_success_once() -> None:
    inv = BUILTIN["JobCompletesAtMostCompletions"]
    assert inv.monitor is not None
    ok = JobSuccesses(FMap({("default", "pi", "u"): (1, 1)}))
    bad = JobSuccesses(FMap({("default", "pi", "u"): (2, 1)}))
    unset = JobSuccesses(FMap({("default", "q", "v"): (5, 0)}))
    state: Any = None
    assert inv.monitor.verdict(ok, state) is None
    assert inv.monitor.verdict(unset, state) is None
    assert "2 pods succeeded" in (inv.monitor.verdict(bad, state) or "")


def test_job_invariants_apply_only_where_there_is_a_job() -> None:
    from kmodel.k8s.invariants import select

    names = [p.name for p in select(model(job_doc()), None)]
    assert "JobCompletesAtMostCompletions" in names and "JobCompletes" in names
    assert "CronJobForbidNeverOverlaps" not in names
