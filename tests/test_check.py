"""End-to-end behaviour of check, minimisation, traces and replay on the shipped scenarios."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

import kmodel
from kmodel.api import load_trace, save_trace
from kmodel.core.model import Action
from kmodel.core.run import SETTLE, reproduce
from kmodel.core.trace import Trace

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "properties" / "scenarios"


@pytest.fixture(scope="module")
def no_expectations() -> kmodel.CheckResult:
    return kmodel.check(SCENARIOS / "web-no-expectations.yaml", seed=0)


def test_default_scenario_holds() -> None:
    result = kmodel.check(seed=0)
    assert result.held, result.trace and result.trace.violation
    assert result.scenario.name == "web-node-crash"
    o = result.outcome
    assert o.runs >= result.examples  # every run was tried
    # the adversary actually used its budget and the user scaled, i.e. the check was not vacuous
    ops = dict(o.op_counts)
    assert ops.get("crash_node", 0) > 0 and ops.get("scale", 0) > 0 and ops.get("crash_container", 0) > 0


def test_no_expectations_overshoots_with_short_trace(no_expectations: kmodel.CheckResult) -> None:
    trace = no_expectations.trace
    assert trace is not None
    assert trace.violation.invariant == "NoExcessReplicas"
    assert len(trace.steps) <= 15
    # 1-minimal: removing any single step loses the violation
    model = no_expectations.scenario.model()
    for i in range(len(trace.steps)):
        shorter = list(trace.steps[:i] + trace.steps[i + 1 :])
        assert reproduce(model, shorter, "NoExcessReplicas") is None, f"step {i + 1} was removable"


def test_trace_round_trips_and_replays(no_expectations: kmodel.CheckResult, tmp_path: Path) -> None:
    trace = no_expectations.trace
    assert trace is not None
    path = tmp_path / "t.yaml"
    save_trace(trace, path)
    loaded = load_trace(path)
    assert loaded.steps == trace.steps and loaded.violation == trace.violation
    result = kmodel.replay(path)
    assert result.reproduced
    assert len(result.rows) == len(trace.steps)
    assert result.rows[-1].violation is not None and result.rows[-1].violation.invariant == "NoExcessReplicas"
    assert all(row.description for row in result.rows)


def test_replay_of_fixed_model_does_not_reproduce(no_expectations: kmodel.CheckResult) -> None:
    """The same trace against the upstream controller (expectations on) no longer fails."""
    trace = no_expectations.trace
    assert trace is not None
    scenario = dict(trace.scenario)
    spec = dict(scenario["spec"])
    spec["variants"] = {"replicaSetExpectations": True}
    scenario["spec"] = spec
    fixed = attrs.evolve(trace, scenario=scenario)
    result = kmodel.replay(fixed)
    assert not result.reproduced


def test_same_seed_same_trace(no_expectations: kmodel.CheckResult, tmp_path: Path) -> None:
    again = kmodel.check(SCENARIOS / "web-no-expectations.yaml", seed=0)
    assert again.trace is not None and no_expectations.trace is not None
    a, b = tmp_path / "a" / "t.yaml", tmp_path / "b" / "t.yaml"
    save_trace(no_expectations.trace, a)
    save_trace(again.trace, b)
    body = [p.read_text().split("\n", 2)[2] for p in (a, b)]  # line 2 names the file
    assert body[0] == body[1]


def test_trace_bytes_independent_of_hash_seed(tmp_path: Path) -> None:
    """Same scenario and seed → byte-identical trace under different PYTHONHASHSEEDs."""
    outputs = []
    scenario = str(SCENARIOS / "web-no-expectations.yaml")
    via_api = (
        "import sys, kmodel, kmodel.bench, kmodel.report.markdown; from kmodel.cli import main; "
        f"sys.exit(main(['check', {scenario!r}]))"
    )
    # Two processes that differ in hash seed and in which modules they loaded first: Hypothesis
    # would otherwise mix constants from loaded modules into its draws.
    for hash_seed, cmd in (
        ("1", [sys.executable, "-m", "kmodel", "check", scenario]),
        ("4242", [sys.executable, "-c", via_api]),
    ):
        cwd = tmp_path / hash_seed
        cwd.mkdir()
        out = cwd / "reports"
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 1, proc.stderr
        traces = sorted((out / "traces").glob("*.yaml"))
        assert len(traces) == 1
        outputs.append((traces[0].read_bytes(), (out / "web-no-expectations.md").read_bytes()))
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize(
    ("scenario", "invariant"),
    [
        ("web-no-assume-cache.yaml", "NoOvercommit"),
        ("web-tight-capacity.yaml", "ReplicasConverge"),
    ],
)
def test_each_invariant_has_a_known_bad_scenario(scenario: str, invariant: str) -> None:
    result = kmodel.check(SCENARIOS / scenario, seed=0)
    assert result.trace is not None
    assert result.trace.violation.invariant == invariant
    assert kmodel.replay(result.trace).reproduced


def test_convergence_message_says_why() -> None:
    result = kmodel.check(SCENARIOS / "web-tight-capacity.yaml", seed=0)
    assert result.trace is not None
    msg = result.trace.violation.message
    assert "2/3 ready" in msg and "fits no node" in msg and "Insufficient cpu" in msg
    assert result.trace.steps[-1] == SETTLE
    assert (
        Action.of("crash_node", node="node-1") in result.trace.steps
        or Action.of("crash_node", node="node-2") in result.trace.steps
    )


def test_trace_embeds_resolved_scenario(no_expectations: kmodel.CheckResult) -> None:
    trace = no_expectations.trace
    assert isinstance(trace, Trace)
    spec = trace.scenario["spec"]
    assert spec["manifests"] == []
    assert spec["objects"][0]["kind"] == "ReplicaSet"
