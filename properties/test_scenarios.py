"""Property suite: every shipped scenario gives its expected verdict.

A scenario expected to hold that fails prints its trace path and the replay command; a scenario
expected to fail must be found violating the named invariant, with a trace that replays.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import settings

import kmodel
from kmodel.api import save_trace, trace_path

HERE = Path(__file__).parent
EXPECTED: dict[str, str] = yaml.safe_load((HERE / "expected.yaml").read_text())
SCENARIOS = {p.stem: p for p in sorted((HERE / "scenarios").glob("*.yaml"))}


def _scale() -> int:
    from conftest import KMODEL_BUDGET_SCALE

    return KMODEL_BUDGET_SCALE.get(settings.get_current_profile_name(), 1)


def test_every_scenario_has_an_expected_verdict() -> None:
    assert set(SCENARIOS) | {"default"} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_scenario_verdict(name: str, tmp_path: Path) -> None:
    from conftest import cached_check

    path = None if name == "default" else str(SCENARIOS[name])
    scenario = kmodel.load_scenario(path)
    scale = _scale()
    result = cached_check(path, 0, None if scale == 1 else scenario.budget.examples * scale)
    expected = EXPECTED[name]
    if result.trace is not None:
        path = trace_path(tmp_path, result.trace, scenario.name)
        save_trace(result.trace, path)
        found = result.trace.violation
        detail = f"{found.invariant}: {found.message}\n  trace:  {path}\n  replay: kmodel replay {path}"
    else:
        detail = "all invariants held"
    if expected == "held":
        assert result.held, f"{name} was expected to hold but: {detail}"
        return
    assert result.trace is not None, f"{name}: expected {expected} to be violated, but {detail}"
    assert result.trace.violation.invariant == expected, detail
    replayed = kmodel.replay(result.trace)
    assert replayed.reproduced, f"{name}: the trace does not reproduce on replay\n  {detail}"
