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

``run_suite`` (``kmodel bench --suite``) measures the checker over a suite of scenarios instead:
time to first violation over several seeds, runs needed, and how close the minimised trace is to
the explorer's shortest one (see ``suite_scenario``).

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
    from kmodel.k8s.explore_view import ExploreView

    say(f"explore ({EXPLORE_STATES} states)")
    t0 = time.perf_counter()
    # the explorer's view of the same model, as ``kmodel explore`` runs it (figures comparable over time)
    explored = explore(ExploreView(model), max_states=EXPLORE_STATES, symmetry=False)
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


# -- kmodel bench --suite ----------------------------------------------------------------------

SUITE_EXPLORE_STATES = 50_000  # distinct states the bounded explore of a violated scenario may visit


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def suite_scenario(
    scenario: str | Path | None,
    *,
    seeds: int = 5,
    explore_states: int = SUITE_EXPLORE_STATES,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """One scenario's figures for ``kmodel bench --suite``.

    ``check`` with the scenario's own budget for seeds 0..seeds-1: the verdict (seed 0's, the one
    properties/expected.yaml records), and for a violation the time to the first violation (the
    random search alone, ``CheckResult.search_seconds``; minimising is not included), the runs it
    took, the run's length before and after minimising. Then, if seed 0 found a safety violation,
    a breadth-first ``explore`` bounded by ``explore_states`` distinct states and by the shrunk
    trace's length as depth: its shortest trace for the same invariant, and the ratio of the
    shrunk length to it (1.0: the minimiser found a shortest trace). Liveness traces end in a
    settle step that stands for many steps, so they get no ratio.
    """
    from kmodel.api import check, explore

    say = progress or (lambda _text: None)
    sc = load_scenario(scenario)
    per_seed: list[dict[str, Any]] = []
    for s in range(seeds):
        say(f"{sc.name}: seed {s + 1}/{seeds}")
        result = check(sc, seed=s)
        o = result.outcome
        v = None if result.trace is None else result.trace.violation
        per_seed.append(
            {
                "seed": s,
                "verdict": "held" if v is None else v.invariant,
                "kind": None if v is None else v.kind,
                "searchSeconds": round(result.search_seconds, 3),
                "runs": o.first_failure_run if v is not None else o.runs,
                "foundSteps": result.found_steps if v is not None else None,
                "shrunkSteps": None if result.trace is None else len(result.trace.steps),
            }
        )
    first = per_seed[0]
    found = [p for p in per_seed if p["verdict"] != "held"]
    times = [float(p["searchSeconds"]) for p in found]
    median_time = _median(times)
    median_runs = _median([float(p["runs"]) for p in found])
    if median_runs is not None and median_runs.is_integer():
        median_runs = int(median_runs)
    entry: dict[str, Any] = {
        "scenario": sc.name,
        "verdict": first["verdict"],
        "seeds": seeds,
        "foundInSeeds": len(found),
        "timeToViolation": None
        if not found
        else {"median": round(median_time or 0.0, 3), "worst": round(max(times), 3)},
        "runsToViolation": None
        if median_runs is None
        else {"median": median_runs, "worst": max(p["runs"] for p in found)},
        "shrunkSteps": first["shrunkSteps"],
        "explore": None,
        "shrunkOverShortest": None,
        "perSeed": per_seed,
    }
    if first["verdict"] != "held" and first["kind"] == "always":
        depth = int(first["shrunkSteps"])
        say(f"{sc.name}: explore (≤{explore_states:,} states, depth ≤{depth})")
        run = explore(sc, max_states=explore_states, max_depth=depth, symmetry=False)
        r = run.result
        same = run.trace is not None and run.trace.violation.invariant == first["verdict"]
        shortest = len(run.trace.steps) if same and run.trace is not None else None
        entry["explore"] = {
            "maxStates": explore_states,
            "maxDepth": depth,
            "verdict": r.verdict,
            "invariant": None if run.trace is None else run.trace.violation.invariant,
            "distinct": r.distinct,
            "seconds": round(run.seconds, 3),
            "shortestSteps": shortest,
        }
        if shortest:
            entry["shrunkOverShortest"] = round(depth / shortest, 3)
    return entry


def suite_summary(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Across the suite: the median of the scenarios' median times to a first violation, the
    worst single time, and the mean and max ratio of shrunk to shortest trace length."""
    timed = [e for e in entries if e["timeToViolation"] is not None]
    ratios = [e for e in entries if e["shrunkOverShortest"] is not None]
    worst = max(timed, key=lambda e: (e["timeToViolation"]["worst"], e["scenario"]), default=None)
    top = max(ratios, key=lambda e: (e["shrunkOverShortest"], e["scenario"]), default=None)
    median = _median([e["timeToViolation"]["median"] for e in timed])
    return {
        "scenarios": len(entries),
        "violated": sum(1 for e in entries if e["verdict"] != "held"),
        "medianTimeToViolation": None if median is None else round(median, 3),
        "worstTimeToViolation": None
        if worst is None
        else {"seconds": worst["timeToViolation"]["worst"], "scenario": worst["scenario"]},
        "comparedWithExplore": len(ratios),
        "meanShrunkOverShortest": round(sum(e["shrunkOverShortest"] for e in ratios) / len(ratios), 3)
        if ratios
        else None,
        "maxShrunkOverShortest": None
        if top is None
        else {"ratio": top["shrunkOverShortest"], "scenario": top["scenario"]},
    }


def _cell(value: Any, unit: str = "") -> str:
    return "—" if value is None else f"{value}{unit}"


# In ``benchmarks.md``, everything from this line on is measured by other commands (each section
# says which) and carried over unchanged when ``kmodel bench --suite`` rewrites the file.
KEPT = "<!-- Sections below are not written by `kmodel bench --suite`; it keeps them as they are. -->"


def kept_sections(previous: str | None) -> str:
    """The part of an earlier ``benchmarks.md`` from the ``KEPT`` marker on ("" without one)."""
    if previous is None or KEPT not in previous:
        return ""
    return previous[previous.index(KEPT) :]


def render_suite_markdown(doc: dict[str, Any], kept: str = "") -> str:
    """``benchmarks.md``: a table per scenario and the summary (not golden: wall-clock times),
    then ``kept``, the sections other commands measured (``kept_sections``)."""
    s = doc["summary"]
    lines = [
        "# kmodel benchmark suite",
        "",
        f"Generated by `kmodel bench --suite` with {doc['seeds']} seeds per scenario "
        f"(bounded explore: {doc['exploreStates']:,} states). Times are wall clock on the machine that ran it,",
        "so this file is not a golden result; compare figures measured in the same run.",
        "",
        "## Summary",
        "",
        f"- scenarios: {s['scenarios']}, violated with seed 0: {s['violated']}",
        f"- median time to first violation (median over seeds, then over scenarios): "
        f"{_cell(s['medianTimeToViolation'], ' s')}",
    ]
    w = s["worstTimeToViolation"]
    worst = "—" if w is None else f"{w['seconds']} s ({w['scenario']})"
    lines.append(f"- worst time to first violation: {worst}")
    m = s["maxShrunkOverShortest"]
    top = "—" if m is None else f"{m['ratio']} ({m['scenario']})"
    lines += [
        f"- shrunk / shortest trace length over {s['comparedWithExplore']} safety violations: "
        f"mean {_cell(s['meanShrunkOverShortest'])}, max {top}",
        f"- total time: {doc['seconds']} s",
        "",
        "## Scenarios",
        "",
        "| scenario | verdict (seed 0) | found in seeds | time to violation, median / worst | runs, median | "
        "shrunk steps | shortest (explore) | shrunk / shortest |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in doc["scenarios"]:
        t = e["timeToViolation"]
        runs = e["runsToViolation"]
        ex = e["explore"]
        if ex is None:
            shortest = "—"
        elif ex["shortestSteps"] is None:
            shortest = f"none within bounds ({ex['verdict']}, {ex['distinct']:,} states)"
        else:
            shortest = f"{ex['shortestSteps']} ({ex['distinct']:,} states, {ex['seconds']} s)"
        time_cell = "—" if t is None else f"{t['median']} s / {t['worst']} s"
        lines.append(
            f"| {e['scenario']} | {e['verdict']} | {e['foundInSeeds']}/{e['seeds']} | {time_cell} | "
            f"{'—' if runs is None else runs['median']} | {_cell(e['shrunkSteps'])} | {shortest} | "
            f"{_cell(e['shrunkOverShortest'])} |"
        )
    return "\n".join(lines) + "\n" + (f"\n{kept}" if kept else "")


def run_suite(
    scenarios: list[str | None],
    *,
    seeds: int = 5,
    explore_states: int = SUITE_EXPLORE_STATES,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """``kmodel bench --suite``: ``suite_scenario`` for each scenario, and the summary."""
    for path in scenarios:
        load_scenario(path)  # validate every input before spending time on any
    t0 = time.perf_counter()
    entries = [suite_scenario(p, seeds=seeds, explore_states=explore_states, progress=progress) for p in scenarios]
    return {
        "seeds": seeds,
        "exploreStates": explore_states,
        "seconds": round(time.perf_counter() - t0, 1),
        "summary": suite_summary(entries),
        "scenarios": entries,
    }
