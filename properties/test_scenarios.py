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
EXPECTED: dict[str, str] = yaml.safe_load((HERE / "expected.yaml").read_text())
SCENARIOS = {p.stem: p for p in sorted((HERE / "scenarios").glob("*.yaml"))}
BUDGET_SCALE = {"deep": 10}


def test_every_scenario_has_an_expected_verdict() -> None:
    assert set(SCENARIOS) | {"default"} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_scenario_verdict(name: str, kmodel_check: Any) -> None:
    path = None if name == "default" else SCENARIOS[name]
    expected = EXPECTED[name]
    if isinstance(expected, dict):
        assert expected["mode"] == "explore"
        run = kmodel.explore(path, max_depth=expected.get("maxDepth"), max_states=expected.get("maxStates", 200_000))
        found = run.trace.violation.invariant if run.trace is not None else "held"
        assert found == expected["expect"], f"{name}: explore expected {expected['expect']}, got {found}"
        if run.trace is not None:
            assert kmodel.replay(run.trace).reproduced
        return
    scale = BUDGET_SCALE.get(settings.get_current_profile_name(), 1)
    examples = None if scale == 1 else kmodel.load_scenario(path).budget.examples * scale
    result = kmodel_check(path, expect=EXPECTED[name], examples=examples)
    if result.trace is not None:
        assert kmodel.replay(result.trace).reproduced, f"{name}: the trace does not reproduce on replay"
