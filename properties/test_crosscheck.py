"""`kmodel explore` and `kmodel check` agree on every shipped scenario small enough to explore.

For a violated scenario, the explorer, bounded by the length of the trace `check` shrinks to
(recorded in expected.yaml, which properties/test_scenarios.py keeps true; a settle step counted
as the steps its phase took up to the violation), must find the same
invariant violated with a trace no longer than that one, and the trace must replay. For a held
scenario recorded in explore mode, `check` must hold too. Scenarios whose breadth-first search
does not reach the violation within ``MAX_STATES`` are not listed (see reports/benchmarks.md).
Both searches run on exactly the same model (symmetry off: it adds the other resolutions of
scheduler ties, which `check` does not take).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import kmodel

HERE = Path(__file__).resolve().parent
EXPECTED = yaml.safe_load((HERE / "expected.yaml").read_text())
MAX_STATES = 50_000

VIOLATED = [
    "op-delete-by-name",
    "op-ha-split-brain",
    "op-lost-update",
    "rs-trusts-status-restart",
    "svc-delete-no-prestop",
    "le-clock-skew-split-brain",
]
HELD_BY_EXPLORE = ["op-field-fight-ignored"]
HELD_EXPLORE_RECORDED = ["web-explore-scope"]  # its explore verdict is checked by test_scenarios.py


def _unrolled_length(name: str, invariant: str) -> int:
    """The steps of ``check``'s golden trace (``reports/traces``) with a settle step counted as the
    steps its settle phase took up to the violation: the length the explorer must go to."""
    trace = HERE.parent / "reports" / "traces" / f"{name}-{invariant}-seed0.yaml"
    rows = kmodel.replay(trace).rows
    return sum(len(row.sub) if row.action.op == "settle" else 1 for row in rows)


@pytest.mark.parametrize("name", VIOLATED)
def test_explore_finds_what_check_finds_no_longer(name: str) -> None:
    entry = EXPECTED[name]
    path = HERE / "scenarios" / f"{name}.yaml"
    depth = _unrolled_length(name, entry["expect"])
    assert depth >= entry["steps"]
    run = kmodel.explore(path, max_depth=depth, max_states=MAX_STATES, symmetry=False)
    assert run.trace is not None, f"{name}: explore found nothing within {depth} steps"
    assert run.trace.violation.invariant == entry["expect"]
    assert len(run.trace.steps) <= depth
    assert kmodel.replay(run.trace).reproduced


@pytest.mark.parametrize("name", HELD_BY_EXPLORE)
def test_check_holds_where_explore_verified(name: str) -> None:
    path = HERE / "scenarios" / f"{name}.yaml"
    assert EXPECTED[name]["expect"] == "held"
    assert kmodel.explore(path, symmetry=False).result.verdict == "held"
    assert kmodel.check(path, seed=0).held


@pytest.mark.parametrize("name", HELD_EXPLORE_RECORDED)
def test_check_holds_on_the_explored_default_scope(name: str) -> None:
    assert EXPECTED[name]["expect"] == "held" and EXPECTED[name]["mode"] == "explore"
    assert kmodel.check(HERE / "scenarios" / f"{name}.yaml", seed=0).held
