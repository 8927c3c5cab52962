"""The kubelet and its container runtime against upstream: CrashLoopBackOff, readiness, graceful
termination, restartPolicy, and the manifest fields they read.

Expected numbers are derived from the upstream code cited in ``kmodel.k8s.controllers.kubelet``,
not copied from runs; each test says how.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest

from kmodel.core.fmap import FMap
from kmodel.core.model import Action
from kmodel.errors import InputError
from kmodel.k8s.cluster import ClusterConfig, ClusterModel, ClusterState
from kmodel.k8s.controllers.kubelet import (
    BACKOFF_INITIAL,
    BACKOFF_MAX,
    PodRuntime,
    crashed,
    restarted,
)
from kmodel.k8s.objects import Pod
from kmodel.k8s.steps import timing
from kmodel.k8s.store import Request
from kmodel.manifests import make_node, parse_documents

NODE = "node-1"
KUBELET = f"kubelet/{NODE}"
CRASH = Action.of("crash_container", node=NODE, index=0)


def pod_doc(container: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    c = {"name": "app", "image": "app:1", **(container or {})}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"nodeName": NODE, "containers": [c], **spec},
    }


def parse_pod(doc: dict[str, Any]) -> Pod:
    (pod,) = parse_documents([doc], "app.yaml")
    assert isinstance(pod, Pod)
    return pod


def model_for(doc: dict[str, Any], start: str = "settled") -> ClusterModel:
    node = make_node(NODE, FMap({"cpu": 2000, "memory": 4 * 2**30}))
    config = ClusterConfig(nodes=(node,), objects=(parse_pod(doc),), faults=(("containerCrash", 100),), start=start)
    return ClusterModel(config)


def quiesce(model: ClusterModel, state: ClusterState) -> ClusterState:
    """Run every component (deliver, reconcile) until none has anything left to do at this time."""
    for _ in range(1000):
        progressed = False
        for action in model.system_actions(state):
            nxt = model.step(state, action)
            while nxt is not None:
                state, progressed = nxt, True
                nxt = model.step(state, action)
        if not progressed:
            return state
    raise AssertionError("components never went quiet")


def advance_until(
    model: ClusterModel, state: ClusterState, done: Callable[[ClusterState], bool], limit: int = 5000
) -> ClusterState:
    """Quiesce, then tick to the next timer, until ``done``; every timer time is visited."""
    state = quiesce(model, state)
    while not done(state):
        assert state.clock <= limit, "condition never held"
        nxt = model.step(state, Action("tick"))
        assert nxt is not None, "no timer left"
        state = quiesce(model, nxt)
    return state


def runtime(state: ClusterState) -> PodRuntime | None:
    pods = list(state.components[KUBELET].local.pods.values())
    assert len(pods) <= 1
    return pods[0] if pods else None


def stored(state: ClusterState) -> Pod | None:
    pod = state.store.get(("Pod", "default", "p"))
    assert pod is None or isinstance(pod, Pod)
    return pod


def running(state: ClusterState) -> bool:
    rt = runtime(state)
    return rt is not None and rt.running


# -- CrashLoopBackOff ---------------------------------------------------------------------------


def crash_and_measure(model: ClusterModel, state: ClusterState) -> tuple[ClusterState, int]:
    """Crash the pod's container now; return the state right after its restart and the delay."""
    nxt = model.step(state, CRASH)
    assert nxt is not None
    exited = nxt.clock
    rt = runtime(nxt)
    assert rt is not None and not rt.running and rt.exited_at == exited
    after = advance_until(model, nxt, running)
    rt = runtime(after)
    assert rt is not None and rt.started_at == after.clock
    return after, after.clock - exited


def test_crashloop_backoff_golden_sequence_and_reset() -> None:
    """Delays from exit to restart for a container that crashes as soon as it starts.

    Derivation (``kuberuntime_manager.go: doBackOff`` calls ``Backoff.IsInBackOffSince(key,
    FinishedAt)`` and, when not in backoff, ``Backoff.Next(key, FinishedAt)`` before starting;
    ``backoff.go``; kubelet ``containerBackOffPeriod`` 10s, ``MaxContainerBackOff`` 300s):

    - crash 1: no entry → not in backoff → ``Next`` creates ``{backoff 10, lastUpdate now}`` and
      the container starts at once: delay 0;
    - crash n+1 right after the n-th start: the entry has not expired (``FinishedAt − lastUpdate
      = 0 ≤ 600``), so it waits until ``now − FinishedAt ≥ backoff`` (10, then 20, ...), and
      ``Next`` doubles the backoff, capped at 300: delays 10, 20, 40, 80, 160, 300, 300;
    - a container that ran more than 600s since its last start (``hasExpired``) restarts at once
      and ``Next`` starts over at 10: delays 0, then 10.
    """
    model = model_for(pod_doc())
    state = model.initial()
    assert running(state)
    delays = []
    for _ in range(8):
        state, delay = crash_and_measure(model, state)
        delays.append(delay)
    assert delays == [0, 10, 20, 40, 80, 160, 300, 300]
    rt = runtime(state)
    assert rt is not None and rt.restarts == 8 and rt.backoff == BACKOFF_MAX
    pod = stored(state)
    assert pod is not None and pod.status.restart_count == 8 and pod.is_ready()

    last_start = state.clock
    state = advance_until(model, state, lambda s: s.clock > last_start + 2 * BACKOFF_MAX)
    state, delay = crash_and_measure(model, state)
    assert delay == 0
    state, delay = crash_and_measure(model, state)
    assert delay == BACKOFF_INITIAL


def test_crashloop_pod_is_not_ready_while_backing_off() -> None:
    model = model_for(pod_doc())
    state, _ = crash_and_measure(model, model.initial())  # first restart: immediate
    state = quiesce(model, model.step(state, CRASH) or state)
    pod = stored(state)
    assert pod is not None and not pod.is_ready() and pod.status.phase == "Running"
    assert "CrashLoopBackOff" in pod.status.message
    assert timing.next_deadline(model.wiring, state) is not None


def _armed(backoff: int, last_start: int) -> PodRuntime:
    return PodRuntime(
        "default", "p", FMap(), "Always", started_at=last_start, backoff=backoff, backoff_updated=last_start
    )


def test_backoff_expires_on_finished_at_not_on_restart_time() -> None:
    """``hasExpired(FinishedAt, lastUpdate)``: 600s is measured from the last start to the exit."""
    rt = crashed(_armed(40, 1000), 1601)  # ran 601s > 600s: expired
    assert rt.restart_at() == 1601
    assert restarted(rt, 1601).backoff == BACKOFF_INITIAL
    rt = crashed(_armed(40, 1000), 1100)  # ran 100s: waits 40s, then doubles
    assert rt.restart_at() == 1140
    assert restarted(rt, 1140).backoff == 80


def test_backoff_entry_garbage_collected_while_waiting() -> None:
    """``Backoff.GC`` (every housekeeping, ``HandlePodCleanups``) drops an entry once
    ``now − lastUpdate > 600s``: a container exiting at exactly 600s (not expired) waits for the
    GC at 601s instead of 300s more, and its next backoff starts over."""
    rt = crashed(_armed(BACKOFF_MAX, 1000), 1600)
    assert rt.restart_at() == 1601
    again = restarted(rt, 1601)
    assert again.backoff == BACKOFF_INITIAL and again.restarts == 1
    rt = crashed(_armed(BACKOFF_MAX, 1000), 1250)  # 1250 + 300 = 1550 < 1601: backoff ends first
    assert rt.restart_at() == 1550
    assert restarted(rt, 1550).backoff == BACKOFF_MAX


# -- restartPolicy ------------------------------------------------------------------------------


def test_restart_policy_never_fails_the_pod() -> None:
    model = model_for(pod_doc(restartPolicy="Never"))
    state = model.step(model.initial(), CRASH)
    assert state is not None
    state = quiesce(model, state)
    pod = stored(state)
    assert pod is not None and pod.status.phase == "Failed" and not pod.is_ready()
    assert pod.status.restart_count == 0
    assert runtime(state) is None  # the kubelet dropped the terminal pod's runtime
    later = advance_until(model, state, lambda s: s.clock >= state.clock + 600)
    pod = stored(later)
    assert pod is not None and pod.status.phase == "Failed" and runtime(later) is None


def test_restart_policy_on_failure_restarts_a_crash() -> None:
    model = model_for(pod_doc(restartPolicy="OnFailure"))
    state, delay = crash_and_measure(model, model.initial())
    assert delay == 0
    state = quiesce(model, state)
    pod = stored(state)
    assert pod is not None and pod.status.phase == "Running" and pod.status.restart_count == 1 and pod.is_ready()


# -- readiness ----------------------------------------------------------------------------------


def first_ready(model: ClusterModel, state: ClusterState) -> tuple[ClusterState, int]:
    def ready(s: ClusterState) -> bool:
        pod = stored(s)
        return pod is not None and pod.is_ready()

    state = advance_until(model, state, ready)
    return state, state.clock


@pytest.mark.parametrize(
    ("probe", "expected"),
    [
        # initialDelaySeconds 0: the immediate probe triggered at status generation passes at once.
        ({}, 0),
        # 15s delay, ticks every 10s from admission (t=0): probes at 0 and 10 are skipped, 20 passes.
        ({"initialDelaySeconds": 15}, 20),
        # A delay on a tick: the probe at 30 has run exactly 30s (not < 30), so it passes.
        ({"initialDelaySeconds": 30, "periodSeconds": 15}, 30),
        # successThreshold 2: successes at 20 and 30.
        ({"initialDelaySeconds": 15, "successThreshold": 2}, 30),
    ],
)
def test_readiness_delay(probe: dict[str, Any], expected: int) -> None:
    model = model_for(pod_doc({"readinessProbe": {"httpGet": {"path": "/", "port": 80}, **probe}}), start="applied")
    state = quiesce(model, model.initial())
    rt = runtime(state)
    assert rt is not None and rt.running and rt.admitted_at == 0
    state, at = first_ready(model, state)
    assert at == expected
    pod = stored(state)
    assert pod is not None and pod.status.phase == "Running"


def test_readiness_after_restart_starts_over_on_the_probe_grid() -> None:
    """A restarted container is a new container: Failure until it has run 15s, probed on the
    ticker that started at admission (t=0, every 10s)."""
    model = model_for(pod_doc({"readinessProbe": {"exec": {"command": ["true"]}, "initialDelaySeconds": 15}}))
    state = model.initial()
    pod = stored(state)
    assert pod is not None and pod.is_ready()
    state = advance_until(model, state, lambda s: s.clock >= 44)
    crashed_at = state.clock
    state = quiesce(model, model.step(state, CRASH) or state)  # immediate first restart
    rt = runtime(state)
    assert rt is not None and rt.running and rt.started_at == crashed_at
    pod = stored(state)
    assert pod is not None and not pod.is_ready()
    state, at = first_ready(model, state)
    assert at == -(-(crashed_at + 15) // 10) * 10


def test_settle_waits_for_a_late_readiness() -> None:
    """The fair settle phase must not stop before a pod becomes ready (``pending_until``)."""
    model = model_for(pod_doc({"readinessProbe": {"exec": {"command": ["true"]}, "initialDelaySeconds": 95}}))
    state = model.initial()
    pod = stored(state)
    assert pod is not None and pod.is_ready() and state.clock >= 100


# -- graceful termination -----------------------------------------------------------------------


def delete(model: ClusterModel, state: ClusterState, grace: int | None = None) -> ClusterState:
    """``kubectl delete pod p`` (optionally ``--grace-period``)."""
    store, res = state.store.apply(Request("delete", ("Pod", "default", "p"), grace=grace), state.clock, model.api)
    assert res.ok
    return attrs.evolve(state, store=store)


def terminate(
    model: ClusterModel, state: ClusterState, again: tuple[int, int] | None = None
) -> tuple[int, int, list[tuple[int, bool, bool]]]:
    """Delete the pod and run until it is gone. Returns (when the kubelet began terminating, when
    the pod left the API, [(time, pod still stored, container running)] at every visited time)."""
    since = state.clock
    state = quiesce(model, delete(model, state))
    rt = runtime(state)
    assert rt is None or rt.terminating_since == since  # the kubelet saw the deletion at once
    seen = []
    while stored(state) is not None:
        seen.append((state.clock, stored(state) is not None, running(state)))
        if again is not None and state.clock >= since + again[0]:
            state = quiesce(model, delete(model, state, grace=again[1]))
            again = None
            continue
        nxt = model.step(state, Action("tick"))
        assert nxt is not None and nxt.clock <= since + 100
        state = quiesce(model, nxt)
    assert runtime(state) is None
    return since, state.clock, seen


def test_pre_stop_sleep_keeps_the_pod_terminating() -> None:
    """preStop ``sleep.seconds: 15`` with the default 30s grace: the container keeps running for
    15s (``executePreStopHook``), then SIGTERM stops it and the kubelet's grace-0 delete removes
    the pod; until then the pod stays Terminating and stays Ready (readiness keeps probing)."""
    doc = pod_doc({"lifecycle": {"preStop": {"sleep": {"seconds": 15}}}})
    model = model_for(doc)
    since, gone, seen = terminate(model, model.initial())
    assert gone == since + 15
    assert seen and all(stored_ and run for t, stored_, run in seen)
    assert {t for t, _, _ in seen} >= {since, since + 10}


def test_terminating_pod_stays_ready_until_its_containers_stop() -> None:
    model = model_for(pod_doc({"lifecycle": {"preStop": {"sleep": {"seconds": 15}}}}))
    state = quiesce(model, delete(model, model.initial()))
    pod = stored(state)
    assert pod is not None and pod.meta.deletion_timestamp is not None and pod.is_ready()


@pytest.mark.parametrize(
    ("container", "spec", "expected"),
    [
        ({}, {}, 0),  # no hook: SIGTERM at once, the container exits, final delete
        ({"lifecycle": {"preStop": {"exec": {"command": ["drain"]}}}}, {}, 30),  # exec: worst case, all of grace
        ({"lifecycle": {"preStop": {"sleep": {"seconds": 60}}}}, {}, 30),  # abandoned at grace, then SIGKILL
        ({"lifecycle": {"preStop": {"httpGet": {"path": "/q", "port": 80}}}}, {"terminationGracePeriodSeconds": 7}, 7),
    ],
)
def test_termination_never_outlasts_the_grace_period(
    container: dict[str, Any], spec: dict[str, Any], expected: int
) -> None:
    model = model_for(pod_doc(container, **spec))
    since, gone, seen = terminate(model, model.initial())
    assert gone - since == expected
    assert all(run for _, _, run in seen)


def test_a_shorter_grace_period_cuts_the_pre_stop_hook_short() -> None:
    """A second delete with grace 5 while a 25s preStop sleep runs: killed at since + 5."""
    model = model_for(pod_doc({"lifecycle": {"preStop": {"sleep": {"seconds": 25}}}}))
    since, gone, _ = terminate(model, model.initial(), again=(0, 5))
    assert gone == since + 5


def test_a_container_exiting_during_pre_stop_is_not_restarted() -> None:
    model = model_for(pod_doc({"lifecycle": {"preStop": {"sleep": {"seconds": 25}}}}))
    state = quiesce(model, delete(model, model.initial()))
    assert running(state) and stored(state) is not None
    state = quiesce(model, model.step(state, CRASH) or state)
    assert stored(state) is None and runtime(state) is None


# -- manifests ----------------------------------------------------------------------------------


def test_manifest_probe_and_pre_stop_fields() -> None:
    (c,) = parse_pod(
        pod_doc(
            {
                "readinessProbe": {"tcpSocket": {"port": 80}, "periodSeconds": 0, "initialDelaySeconds": 5},
                "livenessProbe": {"exec": {"command": ["true"]}},
                "lifecycle": {"preStop": {"sleep": {"seconds": 0}}},
            }
        )
    ).spec.containers
    assert (c.readiness_initial_delay, c.readiness_period, c.readiness_success_threshold) == (5, 10, 1)
    assert (c.pre_stop, c.pre_stop_sleep) == ("sleep", 0)
    (plain,) = parse_pod(pod_doc()).spec.containers
    assert plain.readiness_initial_delay is None and plain.pre_stop == ""
    (tcp,) = parse_pod(pod_doc({"lifecycle": {"preStop": {"tcpSocket": {"port": 1}}}})).spec.containers
    assert tcp.pre_stop == ""  # not runnable as a hook: fails at once, holds nothing up


@pytest.mark.parametrize(
    ("container", "message"),
    [
        (
            {"readinessProbe": {"initialDelaySeconds": "5s"}},
            "spec.containers[0].readinessProbe.initialDelaySeconds: expected an integer",
        ),
        ({"readinessProbe": {"periodSeconds": -1}}, "spec.containers[0].readinessProbe.periodSeconds: must be ≥ 0"),
        (
            {"lifecycle": {"preStop": {"sleep": {"seconds": -3}}}},
            "spec.containers[0].lifecycle.preStop.sleep.seconds: must be ≥ 0",
        ),
        (
            {"lifecycle": {"preStop": {"sleep": {"seconds": 1}, "exec": {"command": ["x"]}}}},
            "spec.containers[0].lifecycle.preStop: must specify exactly one of",
        ),
        ({"lifecycle": {"preStop": {"sleep": {}}}}, "spec.containers[0].lifecycle.preStop.sleep.seconds: is required"),
    ],
)
def test_manifest_errors_name_the_field(container: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_pod(pod_doc(container))
    assert message in str(info.value)
