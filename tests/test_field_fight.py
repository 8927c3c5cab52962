"""A liveness lasso on the Kubernetes model: two user controllers own one field and rewrite it
forever (properties/operators/fieldfight.py, properties/scenarios/op-field-fight*.yaml).

The explorer finds the fair cycle only because both controllers declare
``kmodel.Controller.timeless`` (the time abstraction stays on and the growing revisions are
renumbered away) and because a ConfigMap has no ``metadata.generation`` to count the writes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import kmodel
from kmodel.api import describe_explore
from kmodel.core.explore import lasso_violation
from kmodel.k8s.explore_view import ExploreView
from kmodel.k8s.objects import GenericObject, ObjectMeta
from kmodel.k8s.store import APIConfig, Request, Store
from kmodel.report.document import exhaustive_line

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "properties" / "scenarios"
FIGHT = SCENARIOS / "op-field-fight.yaml"
IGNORED = SCENARIOS / "op-field-fight-ignored.yaml"
MODULE = ROOT / "properties" / "operators" / "fieldfight.py"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env_path = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "kmodel", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_explore_finds_the_fight_as_a_lasso_with_a_cycle() -> None:
    run = kmodel.explore(FIGHT)
    r = run.result
    assert r.verdict == "violated" and run.trace is not None
    assert r.violation is not None and r.violation.invariant == "FieldSettles"
    assert r.loop_start is not None and r.loop_start < len(r.steps), "a cycle, not a stuck state"
    cycle = r.steps[r.loop_start :]
    assert {a.op for a in cycle} <= {"deliver", "reconcile", "tick"}  # only fair system/time steps loop
    writers = {a.arg("component") for a in cycle if a.op == "reconcile"}
    assert writers == {"gitops-sync", "replica-scaler"}  # both owners write inside the cycle
    model = ExploreView(run.scenario.model())
    found = lasso_violation(model, r.steps, r.loop_start)  # re-checked on concrete states
    assert found is not None and found.invariant == "FieldSettles"
    assert "repeat forever under fair scheduling" in found.message


def test_the_cycle_closes_up_to_the_time_abstraction_not_exactly() -> None:
    """The concrete run never repeats (each write is a new resourceVersion); its abstraction does."""
    run = kmodel.explore(FIGHT)
    model = ExploreView(run.scenario.model())
    trail = [model.initial()]
    for action in run.result.steps:
        nxt = model.step(trail[-1], action)
        assert nxt is not None
        trail.append(nxt)
    start, end = trail[run.result.loop_start], trail[-1]
    assert start != end and end.store.revision > start.store.revision
    assert model.abstract(start) == model.abstract(end)
    # a loop that does not close is no lasso: drop its last step
    assert lasso_violation(model, run.result.steps[:-1], run.result.loop_start) is None


def test_cli_explore_writes_a_lasso_that_replay_shows(tmp_path: Path) -> None:
    proc = run_cli("explore", str(FIGHT), "--out", str(tmp_path))
    assert proc.returncode == 1, proc.stderr
    assert "FieldSettles VIOLATED" in proc.stdout
    assert "counterexample: a lasso of 4 steps, then a cycle of 6 repeating" in proc.stdout
    trace = tmp_path / "traces" / "op-field-fight-FieldSettles-explore.yaml"
    assert trace.is_file()
    replay = run_cli("replay", str(trace))
    assert replay.returncode == 1, replay.stderr
    assert "↺ loop: steps 5–10 repeat forever (a fair cycle)" in replay.stdout
    assert "reproduced: FieldSettles" in replay.stdout
    assert kmodel.replay(trace).reproduced


def test_report_shows_the_lasso() -> None:
    """The exhaustive-search sentence of ``kmodel report`` (Markdown and HTML) names the cycle."""
    doc = describe_explore(kmodel.explore(FIGHT))
    assert doc["loopStart"] == 4 and doc["traceSteps"] == 10
    line = exhaustive_line(doc)
    assert "FieldSettles violated; counterexample a lasso of 4 steps, then a cycle of 6 steps" in line
    assert "repeats forever under fair scheduling" in line


def test_fixed_variant_holds_under_explore_and_check() -> None:
    run = kmodel.explore(IGNORED)
    assert run.result.verdict == "held" and run.trace is None
    assert kmodel.check(IGNORED).trace is None


def _copy(tmp_path: Path, timeless: str) -> Path:
    ops = tmp_path / "operators"
    ops.mkdir(exist_ok=True)
    (ops / "fieldfight.py").write_text(MODULE.read_text().replace("timeless = True", f"timeless = {timeless}"))
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir(exist_ok=True)
    path = scenarios / "fight.yaml"
    path.write_text(FIGHT.read_text())
    return path


def test_without_the_declaration_no_state_repeats(tmp_path: Path) -> None:
    """A user controller that does not declare timeless keeps the abstraction off: the fight's
    revisions grow forever, so the search only ever reaches its bound (no lasso, no verdict)."""
    run = kmodel.explore(_copy(tmp_path, "False"), max_states=300)
    assert run.result.verdict == "bound" and run.trace is None
    model = ExploreView(run.scenario.model())
    state = model.initial()
    assert model.abstract(state) is state


def test_bad_timeless_is_a_one_line_error_naming_the_entry(tmp_path: Path) -> None:
    with pytest.raises(kmodel.InputError) as err:
        kmodel.load_scenario(_copy(tmp_path, '"yes"'))
    msg = str(err.value)
    assert "spec.controllers[0]" in msg and "timeless must be True or False, got 'yes'" in msg
    proc = run_cli("explore", str(tmp_path / "scenarios" / "fight.yaml"), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "timeless must be True or False" in proc.stderr


def test_configmaps_have_no_generation_custom_resources_do() -> None:
    """``pkg/registry/core/configmap/strategy.go``: PrepareForCreate/Update set no generation;
    a custom resource's strategy bumps it on every change outside metadata and status."""
    store = Store()
    for kind in ("ConfigMap", "Widget"):
        obj = GenericObject("v1", kind, ObjectMeta(name="x", namespace="default"), {"data": {"a": "1"}})
        store, res = store.apply(Request("create", obj.key, obj), 0, APIConfig())
        assert res.ok
        stored = store.get(obj.key)
        changed = stored.evolve(spec={"data": {"a": "2"}})
        store, res = store.apply(
            Request("update", obj.key, changed, precondition_rv=stored.meta.resource_version), 1, APIConfig()
        )
        assert res.ok
        expected = 0 if kind == "ConfigMap" else 2
        assert store.get(obj.key).meta.generation == expected, kind
