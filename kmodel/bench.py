"""``kmodel bench``: model and checker speed, as ratios measured in one run.

Figures:
- ``model_step_us``: mean µs of one ``ClusterModel.step`` over a recorded walk of enabled
  actions (best of 5 passes over the same (state, action) pairs).
- ``check_*``: one ``check`` of the scenario — Hypothesis rule calls per second (the random
  phase, where Hypothesis drives every step) and model steps per second including the settle
  phase (which runs without Hypothesis).
- ``bare_rule_calls_per_s``: the harness ceiling — a RuleBasedStateMachine with a trivial model
  (an integer counter) and the same rules as ``check`` builds: the same number, each drawing the
  same arguments from the same strategies (``kmodel.core.machine._choice``: one integer per
  parameter, single-valued ones included), with the same settings, examples and steps, the
  same pinned rule hashes and no local constants (``check``'s own determinism measures, which
  also make the ceiling's run reproducible). What it does not have is ``check``'s work:
  preconditions (which make Hypothesis test rules until it finds an enabled one, and draw
  more), stepping the model, checking properties and the settle phase.
- ``bare_noargs_rule_calls_per_s``: the same machine without argument draws (the ceiling as
  first measured, kept for comparison with older figures).
- ``check_vs_ceiling``: ``check_rule_calls_per_s / bare_rule_calls_per_s``;
  ``check_vs_noargs_ceiling`` the same against the machine without argument draws.
- ``explore_*``: a breadth-first search over the first 5,000 distinct states: distinct states
  per second.

Never use these as assertions in tests: timing depends on the machine; ratios measured in the
same run are what to compare.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, seed, settings
from hypothesis.stateful import RuleBasedStateMachine, get_state_machine_test, rule

from kmodel.core.machine import _choice, _no_local_constants, _stable_hash, check_model
from kmodel.core.model import Action
from kmodel.scenario import load_scenario

EXPLORE_STATES = 5_000  # distinct states the explore figure visits (a bounded breadth-first search)


def _walk(model: Any, length: int, rng: random.Random) -> list[tuple[Any, Action]]:
    """(state, action) pairs of a random walk over enabled actions, restarting when stuck."""
    pairs: list[tuple[Any, Action]] = []
    state = model.initial()
    while len(pairs) < length:
        enabled = model.actions(state)
        if not enabled:
            state = model.initial()
            continue
        action = rng.choice(enabled)
        pairs.append((state, action))
        state = model.step(state, action)
    return pairs


def _bare_ceiling(shapes: list[tuple[int, ...]], examples: int, steps: int) -> tuple[int, float]:
    """Rule calls and seconds of a trivial RuleBasedStateMachine with one rule per entry of
    ``shapes``, each drawing one argument per parameter (``shapes[i][j]`` values) the way
    ``check``'s rules do."""
    counter = {"calls": 0}

    class Bare(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.value = 0

    def make(i: int, shape: tuple[int, ...]) -> Any:
        def r(self: Any, **kwargs: Any) -> None:
            counter["calls"] += 1
            self.value += i

        name = f"rule_{i}"
        r.__name__ = name
        strategies = {f"a_{j}": _choice(tuple(range(n))) for j, n in enumerate(shape)}
        result = rule(**strategies)(r)
        _stable_hash(result, name)
        return result

    for i, shape in enumerate(shapes):
        setattr(Bare, f"rule_{i}", make(i, shape))
    s = settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        verbosity=Verbosity.quiet,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    test = seed(0)(get_state_machine_test(Bare, settings=s))
    t0 = time.perf_counter()
    with _no_local_constants():
        test()
    return counter["calls"], time.perf_counter() - t0


def run_bench(
    scenario: str | Path | None,
    *,
    examples: int = 50,
    steps: int = 50,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    say = progress or (lambda _phase: None)
    sc = load_scenario(scenario)
    say("model steps")
    model = sc.model()
    pairs = _walk(model, 2000, random.Random(0))
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for state, action in pairs:
            model.step(state, action)
        best = min(best, time.perf_counter() - t0)
    step_us = best / len(pairs) * 1e6

    say(f"check ({examples} runs)")
    t0 = time.perf_counter()
    outcome = check_model(model, seed_value=0, examples=examples, steps=steps, shrink=False)
    check_s = time.perf_counter() - t0
    shapes = [tuple(len(v) for _, v in spec.params) for spec in model.action_space() if all(v for _, v in spec.params)]
    say("bare Hypothesis machine")
    bare_calls, bare_s = _bare_ceiling(shapes, examples, steps)
    noargs_calls, noargs_s = _bare_ceiling([() for _ in shapes], examples, steps)
    check_rate = outcome.rule_calls / check_s
    bare_rate = bare_calls / bare_s
    from kmodel.core.explore import explore

    say(f"explore ({EXPLORE_STATES} states)")
    t0 = time.perf_counter()
    explored = explore(model, max_states=EXPLORE_STATES)
    explore_s = time.perf_counter() - t0
    return {
        "scenario": sc.name,
        "model_step_us": round(step_us, 1),
        "check_runs": outcome.runs,
        "check_rule_calls": outcome.rule_calls,
        "check_settle_steps": outcome.settle_steps,
        "check_seconds": round(check_s, 3),
        "check_rule_calls_per_s": round(check_rate),
        "check_model_steps_per_s": round((outcome.model_steps + outcome.settle_steps) / check_s),
        "bare_rule_calls": bare_calls,
        "bare_seconds": round(bare_s, 3),
        "bare_rule_calls_per_s": round(bare_rate),
        "bare_noargs_rule_calls_per_s": round(noargs_calls / noargs_s),
        "check_vs_ceiling": round(check_rate / bare_rate, 3),
        "check_vs_noargs_ceiling": round(check_rate / (noargs_calls / noargs_s), 3),
        "violation": None if outcome.violation is None else outcome.violation.invariant,
        "explore_distinct_states": explored.distinct,
        "explore_seconds": round(explore_s, 3),
        "explore_distinct_per_s": round(explored.distinct / explore_s) if explore_s > 0 else 0,
    }
