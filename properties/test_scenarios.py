"""Property suite: every shipped scenario gives its expected verdict.

Uses the ``kmodel_check`` fixture of kmodel's pytest plugin, so a scenario expected to hold that
fails prints its trace path and replay command, the terminal summary lists every violation
found, and ``pytest -n 2 properties/`` works. ``--hypothesis-profile=deep`` multiplies the
scenario budgets by 10.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import settings

import kmodel

HERE = Path(__file__).parent
EXPECTED: dict[str, Any] = yaml.safe_load((HERE / "expected.yaml").read_text())
SCENARIOS = {p.stem: p for p in sorted((HERE / "scenarios").glob("*.yaml"))}
BUDGET_SCALE = {"deep": 10}


CHECK_KEYS = {"expect", "steps"}
EXPLORE_KEYS = {"mode", "expect", "maxDepth", "maxStates", "distinct", "depth", "steps", "loopStart", "por"}


def entry(name: str) -> dict[str, Any]:
    """An expected.yaml entry as a mapping: a plain ``held``/``Name`` is ``{expect: ...}``."""
    value = EXPECTED[name]
    return {"expect": value} if isinstance(value, str) else dict(value)


def test_every_scenario_has_an_expected_verdict() -> None:
    assert set(SCENARIOS) | {"default"} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_expected_entry_is_well_formed(name: str) -> None:
    """Plain ``held``/``Name``, or a mapping with known keys and well-typed figures."""
    e = entry(name)
    assert isinstance(e.get("expect"), str), f"{name}: expect must be 'held' or an invariant name"
    if e.get("mode") == "explore":
        assert set(e) <= EXPLORE_KEYS, f"{name}: unknown keys {sorted(set(e) - EXPLORE_KEYS)}"
        assert {"distinct", "depth"} <= set(e), f"{name}: an explore entry records distinct and depth"
        if "loopStart" in e:
            assert isinstance(e.get("steps"), int) and 0 <= e["loopStart"] < e["steps"], (
                f"{name}: loopStart (a lasso's prefix length) needs steps, the whole lasso, and a non-empty cycle"
            )
    else:
        assert "mode" not in e, f"{name}: mode must be 'explore' or absent"
        assert set(e) <= CHECK_KEYS, f"{name}: unknown keys {sorted(set(e) - CHECK_KEYS)}"
        if "steps" in e:
            assert e["expect"] != "held", f"{name}: steps is the length of a violation's trace"
            assert isinstance(e["steps"], int) and e["steps"] >= 1, f"{name}: steps must be a positive integer"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_scenario_verdict(name: str, kmodel_check: Any, pytestconfig: pytest.Config) -> None:
    path = None if name == "default" else SCENARIOS[name]
    expected = entry(name)
    if expected.get("mode") == "explore":
        run = kmodel.explore(
            path,
            max_depth=expected.get("maxDepth"),
            max_states=expected.get("maxStates", 200_000),
            por=expected.get("por", False),
        )
        found = run.trace.violation.invariant if run.trace is not None else "held"
        assert found == expected["expect"], f"{name}: explore expected {expected['expect']}, got {found}"
        r = run.result
        figures = {"distinct": r.distinct, "depth": r.depth}
        if "steps" in expected:
            figures["steps"] = len(run.trace.steps) if run.trace is not None else 0
        if "loopStart" in expected:  # a liveness lasso: steps[loopStart:] repeat forever
            figures["loopStart"] = run.trace.loop_start if run.trace is not None else None
        recorded = {k: expected[k] for k in figures if k in expected}
        assert figures == recorded, f"{name}: explore figures drifted from properties/expected.yaml"
        if run.trace is not None:
            assert kmodel.replay(run.trace).reproduced
        return
    scale = BUDGET_SCALE.get(settings.get_current_profile_name(), 1)
    examples = None if scale == 1 else kmodel.load_scenario(path).budget.examples * scale
    result = kmodel_check(path, expect=expected["expect"], examples=examples)
    if result.trace is not None:
        assert kmodel.replay(result.trace).reproduced, f"{name}: the trace does not reproduce on replay"
    default_run = (
        scale == 1
        and not pytestconfig.getoption("--kmodel-seed")
        and not any(pytestconfig.getoption(f"--kmodel-{o}") for o in ("examples", "steps"))
    )
    if "steps" in expected and default_run:  # recorded with seed 0 and the scenario's own budget
        steps = len(result.trace.steps)
        assert steps == expected["steps"], (
            f"{name}: the shrunk trace has {steps} steps, properties/expected.yaml records {expected['steps']}"
        )
