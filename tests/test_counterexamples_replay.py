"""Every counterexample kmodel writes replays to the violation it reports (issue 19).

``check`` finds a violation inside a Hypothesis run (``kmodel.core.machine``, whose memo reuses
steps, safety checks and settle phases across runs), ``minimize`` shortens it by replaying
candidates, and ``replay`` re-runs the saved trace from scratch on a model rebuilt from the
trace's embedded scenario (``kmodel.core.run.run_steps``). Those are three executions of one
trace; the product's promise is that they agree. Issue 19 was a trace they did not agree on: a
settle phase with no step at all (a settled start whose construction-time settle had already
recorded HPASettles' never-settles flap) crashed ``run_steps``, which ``minimize`` mistook for
"does not reproduce" and ``replay`` for "does not fit this model".
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from pathlib import Path

import pytest

import kmodel
from kmodel.api import save_trace
from kmodel.cli import main
from kmodel.core.machine import check_model
from kmodel.core.model import Action, ActionSpec, Property
from kmodel.core.run import SETTLE, minimize, run_steps
from kmodel.core.trace import Trace

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "properties" / "scenarios"
HPA_SETTLED = ROOT / "tests" / "data" / "hpa-oscillation-settled.yaml"


def replays_to_its_violation(trace: Trace, directory: Path) -> kmodel.ReplayResult:
    """Save ``trace`` as ``kmodel check`` does, replay the file, and require the replay to end
    in the recorded violation: same invariant, kind, step, settle step and message."""
    path = directory / "trace.yaml"
    save_trace(trace, path)
    result = kmodel.replay(path)
    assert result.violation == trace.violation, f"the trace records {trace.violation} but replays to {result.violation}"
    return result


# -- the regression: issue 19 ------------------------------------------------------------------


def test_settled_hpa_oscillation_check_writes_a_trace_that_replays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """hpa-oscillation started settled: ``kmodel check`` exits 1 with HPASettles, writes the
    trace and the report, and ``kmodel replay`` of that trace reproduces HPASettles."""
    out = tmp_path / "reports"
    assert main(["check", str(HPA_SETTLED), "--out", str(out)]) == 1
    stdout, stderr = capsys.readouterr()
    assert "HPASettles VIOLATED" in stdout, stderr
    (trace_file,) = sorted((out / "traces").glob("*.yaml"))
    report = (out / "hpa-oscillation.md").read_text()
    assert "**violated**" in report and "HPASettles" in report
    assert main(["replay", str(trace_file)]) == 1
    stdout, _ = capsys.readouterr()
    assert "HPASettles (liveness) broke here" in stdout
    assert stdout.strip().endswith("reproduced: HPASettles")


def test_settled_hpa_oscillation_trace_is_its_empty_settle_phase(tmp_path: Path) -> None:
    """The construction-time settle already recorded the flap, so nothing before the settle
    phase is needed: the minimal trace is one settle phase of no steps, and it replays."""
    result = kmodel.check(HPA_SETTLED)
    trace = result.trace
    assert trace is not None and trace.violation.invariant == "HPASettles"
    assert trace.steps == (SETTLE,)
    replayed = replays_to_its_violation(trace, tmp_path)
    (row,) = replayed.rows
    assert row.sub == () and row.violation == trace.violation


class Quiet:
    """A model already quiescent where it starts (no system step, no timer) whose liveness
    property fails: every settle phase has no step. Its one user step changes nothing the
    property reads. The smallest model of issue 19, free of Kubernetes."""

    quiet_period = 1

    def initial(self) -> int:
        return 0

    def action_space(self) -> Sequence[ActionSpec]:
        return [ActionSpec("poke", "user")]

    def actions(self, state: int) -> list[Action]:
        return [Action("poke")] if state < 3 else []

    def system_actions(self, state: int) -> list[Action]:
        return []

    def time_action(self, state: int) -> Action | None:
        return None

    def step(self, state: int, action: Action) -> int | None:
        return state + 1 if action == Action("poke") and state < 3 else None

    def properties(self) -> Sequence[Property[int]]:
        return [Property("Done", "eventually", "never holds", lambda s: f"not done after {s} pokes")]

    def clock(self, state: int) -> int:
        return 0

    def progress_key(self, state: int) -> Hashable:
        return state

    def pending_until(self, state: int) -> int:
        return 0

    def truth_key(self, state: int) -> tuple[object, ...]:
        return (state,)

    def describe(self, before: int, action: Action, after: int) -> str:
        return f"{before} → {after}"


def test_an_empty_settle_phase_replays_and_minimises() -> None:
    """``run_steps`` replays a settle phase that takes no step (it used to raise from a strict
    ``zip``), and ``minimize`` can therefore delete every step before it."""
    model = Quiet()
    rows = list(run_steps(model, [Action("poke"), SETTLE]))
    assert [(i, a, v is None, sub) for i, a, _, _, v, sub in rows] == [
        (1, Action("poke"), True, []),
        (2, SETTLE, False, []),
    ]
    violation = rows[-1][4]
    assert violation is not None and (violation.invariant, violation.step, violation.settle_step) == ("Done", 2, 0)
    outcome = check_model(model, examples=5, steps=3)
    assert outcome.violation is not None and outcome.steps[-1] == SETTLE
    steps, minimal = minimize(model, outcome.steps, outcome.violation)
    assert steps == [SETTLE] and minimal.message == "not done after 0 pokes"
