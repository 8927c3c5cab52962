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

``run_suite`` (``kmodel bench --suite``) measures the checker over a suite of scenarios instead,
each also as its ``diluted`` twin (an unrelated Deployment and Service added, three times the
steps): for the random search alone and for the default check (random phase, then the
deviation-bounded search), whether and how fast each finds a violation over several seeds, and
how close the minimised trace is to the explorer's shortest one (see ``suite_scenario``).

Never use these as assertions in tests: timing depends on the machine; ratios measured in the
same run are what to compare.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
from hypothesis import HealthCheck, Phase, Verbosity, seed, settings
from hypothesis.stateful import RuleBasedStateMachine, get_state_machine_test, rule

from kmodel.core.bounded import BoundedOutcome
from kmodel.core.machine import _choice, _no_local_constants, _stable_hash, check_model
from kmodel.core.model import Action
from kmodel.core.run import settle_steps
from kmodel.errors import InputError
from kmodel.scenario import Budget, Scenario, default_scenario_path, load_scenario, scenario_from_data
from kmodel.yamlio import load_documents, read_text

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

BYSTANDER: tuple[dict[str, Any], ...] = (
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "bystander", "namespace": "default"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "bystander"}},
            "template": {
                "metadata": {"labels": {"app": "bystander"}},
                "spec": {
                    "containers": [
                        {"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}
                    ]
                },
            },
        },
    },
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "bystander", "namespace": "default"},
        "spec": {"selector": {"app": "bystander"}, "ports": [{"port": 80}]},
    },
)
"""What ``diluted`` adds to a scenario: an unrelated 2-replica Deployment with small requests and
a Service selecting it."""
BYSTANDER_REPLICAS = 2
DILUTED_STEPS = 3  # the twin's budget.steps, as a multiple of the scenario's


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def diluted(path: str | Path | None) -> Scenario:
    """The diluted twin of a scenario file (the built-in default when None): the same scenario
    with ``BYSTANDER`` appended to ``spec.objects`` and ``budget.steps`` tripled, named
    ``<name> (diluted)``.

    The bystander has nothing to do with the scenario's bug, but its Deployment, ReplicaSet,
    pods and endpoints give every component more to do, so a random run spends more of its steps
    on work that does not matter: the twin measures how a search copes as a scenario grows. The
    tripled step budget gives the random phase room for that extra work. Raises ``InputError``
    as ``load_scenario`` does (e.g. when the scenario already has an object named bystander)."""
    p = default_scenario_path() if path is None else Path(path)
    label = "<built-in default scenario>" if path is None else str(path)
    docs = load_documents(read_text(p, label), label)
    if len(docs) != 1:
        raise InputError(f"expected one YAML document, found {len(docs)}", file=label)
    data = copy.deepcopy(docs[0])
    spec = data.get("spec") if isinstance(data, dict) else None
    if isinstance(spec, dict):  # anything else: scenario_from_data says what is wrong
        objects = spec.get("objects") or []
        spec["objects"] = [*(objects if isinstance(objects, list) else [objects]), *copy.deepcopy(BYSTANDER)]
        raw = spec.get("budget")
        budget: dict[str, Any] = raw if isinstance(raw, dict) else {}
        steps = budget.get("steps", Budget().steps)
        if isinstance(steps, int) and not isinstance(steps, bool):
            spec["budget"] = {**budget, "steps": DILUTED_STEPS * steps}
    sc = scenario_from_data(data, f"{label} (diluted)", p.parent)
    return attrs.evolve(sc, name=f"{sc.name} (diluted)")


def _settled_pods(sc: Scenario) -> list[Any]:
    model = sc.model()
    start = model.initial()
    state = start
    for _, after in settle_steps(model, start):
        state = after
    return [p for p in state.store.list("Pod") if p.is_active()]


def bystander_room(plain: Scenario, twin: Scenario) -> str | None:
    """Why the twin's bystander does not fit the scenario's nodes, or None when it does.

    It fits when, after the fair settle phase from the twin's start, both bystander pods run on a
    node and no more of the scenario's own pods are pending than without the bystander. (It may
    still take room the scenario's pods need after a fault, e.g. on an N+0 cluster after a node
    crash; a held scenario's twin that reports a violation shows up in the summary.)"""
    before = _settled_pods(plain)
    after = _settled_pods(twin)
    mine = [p for p in after if p.meta.labels.get("app") == "bystander"]
    running = sum(1 for p in mine if p.spec.node_name and p.status.phase == "Running")
    if running < BYSTANDER_REPLICAS:
        return f"no room: {BYSTANDER_REPLICAS - running} of the bystander's {BYSTANDER_REPLICAS} pods do not run"
    pending_before = sum(1 for p in before if not p.spec.node_name)
    pending_after = sum(1 for p in after if not p.spec.node_name and p.meta.labels.get("app") != "bystander")
    if pending_after > pending_before:
        return f"no room: with the bystander, {pending_after - pending_before} more of the scenario's pods are pending"
    return None


def load_expected(path: Path) -> dict[str, str]:
    """``properties/expected.yaml`` as {scenario file stem ("default": the built-in): "held" or
    the invariant expected to be violated}."""
    label = str(path)
    docs = load_documents(read_text(path, label), label)
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise InputError("expected one mapping of scenario names to expected results", file=label)
    out: dict[str, str] = {}
    for name, entry in docs[0].items():
        expect = entry.get("expect") if isinstance(entry, dict) else entry
        if not isinstance(expect, str):
            raise InputError("expected 'held', an invariant name or {expect: ...}", file=label, path=(str(name),))
        out[str(name)] = expect
    return out


def expected_key(scenario: str | Path | None) -> str:
    """A scenario's name in ``properties/expected.yaml``: its file's stem, "default" for the built-in."""
    return "default" if scenario is None else Path(scenario).stem


def _times(values: list[float]) -> dict[str, float] | None:
    median = _median(values)
    return None if median is None else {"median": round(median, 3), "worst": round(max(values), 3)}


def _mode(per_seed: list[dict[str, Any]], verdict: str, seconds: str, expected: str | None) -> dict[str, Any]:
    """One mode's figures over the seeds: seeds with a violation (of any invariant, and of the
    expected one), and the time to it (median and worst over the seeds that found one)."""
    found = [p for p in per_seed if p[verdict] != "held"]
    return {
        "foundInSeeds": len(found),
        "expectedInSeeds": None if expected in (None, "held") else sum(1 for p in per_seed if p[verdict] == expected),
        "timeToViolation": _times([float(p[seconds]) for p in found]),
    }


def suite_scenario(
    scenario: str | Path | None,
    *,
    dilute: bool = False,
    seeds: int = 5,
    explore_states: int = SUITE_EXPLORE_STATES,
    expected: Mapping[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """One row of ``kmodel bench --suite``: the scenario, or with ``dilute`` its ``diluted`` twin.

    Two modes, each over seeds 0..seeds-1 with the scenario's own budget:
    - ``random``: the random search alone (``check(deviations=-1)``): seeds that found a
      violation, the time to it (``CheckResult.search_seconds``) and the runs it took;
    - ``default``: the default check, the random phase and then, if it held, the
      deviation-bounded search: seeds that found a violation, the time to it (the random phase's
      whole time plus ``CheckResult.bounded_seconds`` when the bounded search found it; minimising
      is never counted), how many seeds each search found it in, and the bounded counterexample's
      deviations (None when only the random phase found it: its runs are not counted in deviations).

    Both modes come from one ``check`` per seed: the default check's random phase is the random
    search alone (the same seeded run, whatever the deviation budget). The bounded search does
    not depend on the seed, so it runs once, in the first seed whose random phase held; later such
    seeds reuse its outcome and time (``boundedReused``) instead of repeating it.

    ``verdict`` is seed 0's default check (what properties/expected.yaml records), ``expected``
    the file's entry for the scenario (``expected_key``). For a plain scenario whose seed 0 found a
    safety violation, a breadth-first ``explore`` bounded by ``explore_states`` distinct states and
    by the shrunk trace's length as depth gives its shortest trace for the same invariant, and the
    ratio of the shrunk length to it (1.0: the minimiser found a shortest trace). Liveness traces
    end in a settle step that stands for many steps, so they get no ratio; twins get no explore
    (its cost grows with the bystander's states). A twin whose bystander does not fit
    (``bystander_room``) is not measured: ``noRoom`` says why.
    """
    from kmodel.api import check, explore

    say = progress or (lambda _text: None)
    plain = load_scenario(scenario)
    sc = diluted(scenario) if dilute else plain
    want = None if expected is None else expected.get(expected_key(scenario))
    entry: dict[str, Any] = {
        "scenario": sc.name,
        "diluted": dilute,
        "objects": len(sc.config.objects),
        "steps": sc.budget.steps,
        "expected": want,
        "noRoom": bystander_room(plain, sc) if dilute else None,
        "verdict": None,
        "seeds": seeds,
        "random": None,
        "default": None,
        "shrunkSteps": None,
        "explore": None,
        "shrunkOverShortest": None,
        "perSeed": [],
    }
    if entry["noRoom"] is not None:
        return entry
    per_seed: list[dict[str, Any]] = []
    known: tuple[BoundedOutcome, float] | None = None  # the bounded search's outcome and time, once run
    for s in range(seeds):
        say(f"{sc.name}: seed {s + 1}/{seeds}")
        result = check(sc, seed=s) if known is None else check(sc, seed=s, deviations=-1)
        if result.bounded is not None:
            known = (result.bounded, result.bounded_seconds)
        o = result.outcome
        rv = o.violation
        bounded, bounded_s = (None, 0.0) if rv is not None or known is None else known
        dv = rv if rv is not None else None if bounded is None else bounded.violation
        by = None if dv is None else "random" if rv is not None else "bounded"
        per_seed.append(
            {
                "seed": s,
                "random": "held" if rv is None else rv.invariant,
                "verdict": "held" if dv is None else dv.invariant,
                "kind": None if dv is None else dv.kind,
                "searchSeconds": round(result.search_seconds, 3),
                "boundedSeconds": None if bounded is None else round(bounded_s, 3),
                "checkSeconds": round(result.search_seconds + (bounded_s if by == "bounded" else 0.0), 3),
                "boundedReused": bounded is not None and result.bounded is None,
                "runs": o.first_failure_run if rv is not None else o.runs,
                "foundBy": by,
                "deviations": bounded.deviations if by == "bounded" and bounded is not None else None,
                "foundSteps": result.found_steps if result.trace is not None else None,
                "shrunkSteps": None if result.trace is None else len(result.trace.steps),
            }
        )
    first = per_seed[0]
    random_mode = _mode(per_seed, "random", "searchSeconds", want)
    runs = [float(p["runs"]) for p in per_seed if p["random"] != "held"]
    median_runs = _median(runs)
    random_mode["runsToViolation"] = (
        None
        if median_runs is None
        else {"median": int(median_runs) if median_runs.is_integer() else median_runs, "worst": int(max(runs))}
    )
    default_mode = _mode(per_seed, "verdict", "checkSeconds", want)
    bounded_seeds = [p for p in per_seed if p["foundBy"] == "bounded"]
    default_mode["foundBy"] = {
        "random": sum(1 for p in per_seed if p["foundBy"] == "random"),
        "bounded": len(bounded_seeds),
    }
    default_mode["deviations"] = bounded_seeds[0]["deviations"] if bounded_seeds else None
    entry.update(
        verdict=first["verdict"],
        random=random_mode,
        default=default_mode,
        shrunkSteps=first["shrunkSteps"],
        perSeed=per_seed,
    )
    if not dilute and first["verdict"] != "held" and first["kind"] == "always":
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


MODES = (("random", "random search alone"), ("default", "default check (random, then bounded)"))
GROUPS = (("plain", False), ("diluted", True))


def suite_summary(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Across the suite, for each mode and for plain scenarios and diluted twins apart: the
    known-bad rows (properties/expected.yaml expects a violation) whose expected violation the
    mode found in every seed and in at least one, the held rows where it reported any violation
    (should be none), and the median of the rows' median times to a first violation and the worst
    single time. Then the mean and max ratio of shrunk to shortest trace length. Rows without
    room for the bystander, or without an expectation, are left out of the counts and listed."""
    measured = [e for e in entries if e["noRoom"] is None]
    summary: dict[str, Any] = {
        "scenarios": sum(1 for e in entries if not e["diluted"]),
        "dilutedTwins": sum(1 for e in entries if e["diluted"]),
        "noRoom": [e["scenario"] for e in entries if e["noRoom"] is not None],
        "noExpectation": [e["scenario"] for e in measured if e["expected"] is None],
        "violated": sum(1 for e in measured if not e["diluted"] and e["verdict"] != "held"),
    }
    for mode, _ in MODES:
        figures: dict[str, Any] = {}
        for group, dilute in GROUPS:
            rows = [e for e in measured if e["diluted"] == dilute]
            bad = [e for e in rows if e["expected"] not in (None, "held")]
            held = [e for e in rows if e["expected"] == "held"]
            timed = [e for e in rows if e[mode]["timeToViolation"] is not None]
            worst = max(timed, key=lambda e: (e[mode]["timeToViolation"]["worst"], e["scenario"]), default=None)
            median = _median([e[mode]["timeToViolation"]["median"] for e in timed])
            figures[group] = {
                "knownBad": len(bad),
                "foundInEverySeed": sum(1 for e in bad if e[mode]["expectedInSeeds"] == e["seeds"]),
                "foundInSomeSeed": sum(1 for e in bad if e[mode]["expectedInSeeds"] > 0),
                "held": len(held),
                "heldButViolated": [e["scenario"] for e in held if e[mode]["foundInSeeds"] > 0],
                "medianTimeToViolation": None if median is None else round(median, 3),
                "worstTimeToViolation": None
                if worst is None
                else {"seconds": worst[mode]["timeToViolation"]["worst"], "scenario": worst["scenario"]},
            }
        summary[mode] = figures
    ratios = [e for e in measured if e["shrunkOverShortest"] is not None]
    top = max(ratios, key=lambda e: (e["shrunkOverShortest"], e["scenario"]), default=None)
    summary["comparedWithExplore"] = len(ratios)
    summary["meanShrunkOverShortest"] = (
        round(sum(e["shrunkOverShortest"] for e in ratios) / len(ratios), 3) if ratios else None
    )
    summary["maxShrunkOverShortest"] = (
        None if top is None else {"ratio": top["shrunkOverShortest"], "scenario": top["scenario"]}
    )
    return summary


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


def _found(mode: dict[str, Any], seeds: int) -> str:
    return f"{mode['foundInSeeds']}/{seeds}"


def _time(mode: dict[str, Any]) -> str:
    t = mode["timeToViolation"]
    return "—" if t is None else f"{t['median']} s / {t['worst']} s"


def _found_by(mode: dict[str, Any]) -> str:
    """The default check's "found by" cell: which search found the violation in how many seeds,
    and the bounded counterexample's deviations."""
    by = mode["foundBy"]
    dev = mode["deviations"]
    bounded = "" if dev is None else f"bounded, {dev} deviation{'' if dev == 1 else 's'}"
    if by["random"] and by["bounded"]:
        return f"random in {by['random']}, {bounded} in {by['bounded']}"
    return "random" if by["random"] else bounded or "—"


def _counts(g: dict[str, Any]) -> str:
    return f"{g['foundInEverySeed']}/{g['knownBad']} ({g['foundInSomeSeed']} in some seed)"


def render_suite_markdown(doc: dict[str, Any], kept: str = "") -> str:
    """``benchmarks.md``: the summary and a row per scenario and per diluted twin (not golden:
    wall-clock times), then ``kept``, the sections other commands measured (``kept_sections``)."""
    s = doc["summary"]
    no_room = ", ".join(s["noRoom"]) or "none"
    lines = [
        "# kmodel benchmark suite",
        "",
        f"Generated by `kmodel bench --suite` with {doc['seeds']} seeds per scenario "
        f"(bounded explore: {doc['exploreStates']:,} states). Times are wall clock on the machine that ran it,",
        "so this file is not a golden result; compare figures measured in the same run.",
        "",
        "Each scenario has a row, and so has its diluted twin (`<name> (diluted)`, built by "
        "`kmodel.bench.diluted`): the same scenario plus an unrelated 2-replica Deployment "
        "(100m cpu / 64Mi) and a Service selecting it, with `budget.steps` tripled. Two modes per row: "
        "the random search alone (`deviations=-1`) and the default check (the random phase, then "
        "the deviation-bounded search if it held). Time to violation: median / worst over the seeds "
        "that found one; for the default check the random phase's whole time plus the bounded "
        "search's, minimising not included. Deviations: the bounded counterexample's; a violation "
        "the random phase found is marked `random` (its runs are not counted in deviations).",
        "",
        "## Summary",
        "",
        f"- rows: {s['scenarios']} scenarios and {s['dilutedTwins']} diluted twins; twins without room "
        f"for the bystander (not measured): {no_room}",
        f"- violated with seed 0 (default check, plain scenarios): {s['violated']}",
    ]
    if s["noExpectation"]:
        lines.append(f"- no entry in properties/expected.yaml (not counted): {', '.join(s['noExpectation'])}")
    lines += [
        "",
        "| mode | known-bad found in every seed: plain | diluted | held but violated: plain | diluted | "
        "median time to violation: plain | diluted |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode, title in MODES:
        p, d = s[mode]["plain"], s[mode]["diluted"]
        lines.append(
            f"| {title} | {_counts(p)} | {_counts(d)} | {len(p['heldButViolated'])}/{p['held']} | "
            f"{len(d['heldButViolated'])}/{d['held']} | {_cell(p['medianTimeToViolation'], ' s')} | "
            f"{_cell(d['medianTimeToViolation'], ' s')} |"
        )
    lines.append("")
    for mode, title in MODES:
        for group, _ in GROUPS:
            g = s[mode][group]
            w = g["worstTimeToViolation"]
            if w is not None:
                lines.append(f"- worst time to first violation, {title}, {group}: {w['seconds']} s ({w['scenario']})")
            if g["heldButViolated"]:
                lines.append(f"- held but violated, {title}, {group}: {', '.join(g['heldButViolated'])}")
    m = s["maxShrunkOverShortest"]
    top = "—" if m is None else f"{m['ratio']} ({m['scenario']})"
    lines += [
        f"- shrunk / shortest trace length over {s['comparedWithExplore']} safety violations: "
        f"mean {_cell(s['meanShrunkOverShortest'])}, max {top}",
        f"- total time: {doc['seconds']} s",
        "",
        "## Scenarios",
        "",
        "| scenario | objects | steps | expected | verdict (seed 0) | random: found | random: time, median / worst | "
        "default: found | default: time, median / worst | default: found by | shrunk steps | "
        "shortest (explore) | shrunk / shortest |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in doc["scenarios"]:
        head = f"| {e['scenario']} | {e['objects']} | {e['steps']} | {_cell(e['expected'])} |"
        if e["noRoom"] is not None:
            lines.append(f"{head} {e['noRoom']} |" + " — |" * 8)
            continue
        ex = e["explore"]
        if ex is None:
            shortest = "—"
        elif ex["shortestSteps"] is None:
            shortest = f"none within bounds ({ex['verdict']}, {ex['distinct']:,} states)"
        else:
            shortest = f"{ex['shortestSteps']} ({ex['distinct']:,} states, {ex['seconds']} s)"
        r, d = e["random"], e["default"]
        lines.append(
            f"{head} {e['verdict']} | {_found(r, e['seeds'])} | {_time(r)} | {_found(d, e['seeds'])} | "
            f"{_time(d)} | {_found_by(d)} | {_cell(e['shrunkSteps'])} | {shortest} | {_cell(e['shrunkOverShortest'])} |"
        )
    return "\n".join(lines) + "\n" + (f"\n{kept}" if kept else "")


def run_suite(
    scenarios: list[str | None],
    *,
    seeds: int = 5,
    explore_states: int = SUITE_EXPLORE_STATES,
    dilute: bool = True,
    expected: Mapping[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """``kmodel bench --suite``: ``suite_scenario`` for each scenario and, with ``dilute``, its
    diluted twin right after it; and the summary."""
    for path in scenarios:
        load_scenario(path)  # validate every input before spending time on any
        if dilute:
            diluted(path)
    t0 = time.perf_counter()
    kinds = (False, True) if dilute else (False,)
    entries = [
        suite_scenario(p, dilute=d, seeds=seeds, explore_states=explore_states, expected=expected, progress=progress)
        for p in scenarios
        for d in kinds
    ]
    return {
        "seeds": seeds,
        "exploreStates": explore_states,
        "diluted": dilute,
        "seconds": round(time.perf_counter() - t0, 1),
        "summary": suite_summary(entries),
        "scenarios": entries,
    }
