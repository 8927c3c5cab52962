"""The exhaustive explorer (kmodel.core.explore) on toy models with hand-counted state spaces,
its trace format (lassos), its CLI, and a cross-check against ``check`` on the real model."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

import kmodel
from kmodel.api import describe_explore, explore_trace_path, load_trace, save_trace
from kmodel.api import explore as explore_scenario
from kmodel.cli import main
from kmodel.core.explore import explore, fingerprint, lasso_violation
from kmodel.core.model import Action, ActionSpec, Category, Property, PropertyKind, expand
from kmodel.core.trace import Trace
from kmodel.scenario import scenario_from_data

ROOT = Path(__file__).resolve().parents[1]
NO_EXPECTATIONS = ROOT / "properties" / "scenarios" / "web-no-expectations.yaml"


# -- toy models --------------------------------------------------------------------------------


class Toy:
    """A Model from plain data: ``moves(state)`` lists (op, args, next_state) in order; each op's
    category is given up front. ``actions``/``step`` follow the protocol (step None = disabled)."""

    def __init__(
        self,
        initial: Any,
        ops: dict[str, tuple[Category, tuple[tuple[str, tuple[Any, ...]], ...]]],
        moves: Callable[[Any], list[tuple[Action, Any]]],
        props: Sequence[tuple[str, PropertyKind, Callable[[Any], str | None]]],
        representative: Callable[[Any], Any] | None = None,
    ) -> None:
        self._initial = initial
        self._space = [ActionSpec(op, cat, params) for op, (cat, params) in ops.items()]
        self._moves = moves
        self._props = [Property(name, kind, name, check) for name, kind, check in props]
        if representative is not None:
            self.representative = representative
        self.step_calls = 0

    def initial(self) -> Any:
        return self._initial

    def action_space(self) -> Sequence[ActionSpec]:
        return self._space

    def actions(self, state: Any) -> list[Action]:
        enabled = dict(self._moves(state))
        return [a for spec in self._space for a in expand(spec) if a in enabled]

    def step(self, state: Any, action: Action) -> Any:
        self.step_calls += 1
        return dict(self._moves(state)).get(action)

    def properties(self) -> Sequence[Property[Any]]:
        return self._props


def counter(limit: int, bad: int | None) -> Toy:
    """0 → 1 → … → limit by ``inc``; ``bad`` breaks the safety property NotBad."""

    def moves(n: int) -> list[tuple[Action, Any]]:
        return [(Action("inc"), n + 1)] if n < limit else []

    return Toy(
        0,
        {"inc": ("system", ())},
        moves,
        [("NotBad", "always", lambda n: f"reached {n}" if n == bad else None)],
    )


def mutex(atomic: bool, procs: int = 2, symmetric: bool = False) -> Toy:
    """Processes entering a critical section. Non-atomic: ``look`` sees the lock free (pc 1),
    later ``take`` sets it and enters (pc 2) without looking again; ``leave`` frees it. Atomic:
    ``take`` checks and sets in one step."""
    idx = tuple(range(procs))

    def moves(state: tuple[tuple[int, ...], bool]) -> list[tuple[Action, Any]]:
        pcs, lock = state
        out = []
        for i, pc in enumerate(pcs):

            def at(new: int, new_lock: bool, i: int = i) -> tuple[tuple[int, ...], bool]:
                return ((*pcs[:i], new, *pcs[i + 1 :]), new_lock)

            if not atomic and pc == 0 and not lock:
                out.append((Action.of("look", proc=i), at(1, lock)))
            if (atomic and pc == 0 and not lock) or (not atomic and pc == 1):
                out.append((Action.of("take", proc=i), at(2, True)))
            if pc == 2:
                out.append((Action.of("leave", proc=i), at(0, False)))
        return out

    def exclusive(state: tuple[tuple[int, ...], bool]) -> str | None:
        inside = [i for i, pc in enumerate(state[0]) if pc == 2]
        return f"processes {inside} both in the critical section" if len(inside) > 1 else None

    def rep(state: tuple[tuple[int, ...], bool]) -> tuple[tuple[int, ...], bool]:
        return (tuple(sorted(state[0])), state[1])

    return Toy(
        ((0,) * procs, False),
        {op: ("system", (("proc", idx),)) for op in ("look", "take", "leave")},
        moves,
        [("Mutex", "always", exclusive)],
        representative=rep if symmetric else None,
    )


def bits(n: int, max_ones: int | None = None, symmetric: bool = False) -> Toy:
    """n independent bits, each set once by ``set(i)``; with ``max_ones`` the property AtMost
    (symmetric in the bits) fails once more bits are set."""

    def moves(state: tuple[int, ...]) -> list[tuple[Action, Any]]:
        return [(Action.of("set", i=i), (*state[:i], 1, *state[i + 1 :])) for i in range(n) if not state[i]]

    def at_most(state: tuple[int, ...]) -> str | None:
        return f"{sum(state)} bits set" if max_ones is not None and sum(state) > max_ones else None

    return Toy(
        (0,) * n,
        {"set": ("system", (("i", tuple(range(n))),))},
        moves,
        [("AtMost", "always", at_most)],
        representative=(lambda s: tuple(sorted(s))) if symmetric else None,
    )


def graph_model(
    edges: dict[str, list[tuple[str, str]]],
    categories: dict[str, Category],
    good: set[str],
    start: str = "start",
) -> Toy:
    """A model given as a labelled graph: state → [(op, next state)]; the liveness property
    Converged ("eventually always") holds in the states of ``good``."""

    def moves(s: str) -> list[tuple[Action, Any]]:
        return [(Action(op), t) for op, t in edges.get(s, [])]

    return Toy(
        start,
        {op: (cat, ()) for op, cat in categories.items()},
        moves,
        [("Converged", "eventually", lambda s: None if s in good else f"state {s} is not converged")],
    )


def replay_ok(model: Toy, steps: Sequence[Action]) -> list[Any]:
    """The states a trace passes through; fails if a step is not enabled."""
    trail = [model.initial()]
    for a in steps:
        nxt = model.step(trail[-1], a)
        assert nxt is not None, f"{a} is not enabled in {trail[-1]}"
        trail.append(nxt)
    return trail


# -- safety, counts, bounds --------------------------------------------------------------------


def test_counter_bug_found_with_shortest_trace() -> None:
    r = explore(counter(limit=5, bad=3))
    assert r.verdict == "violated" and r.violation is not None
    assert r.violation.invariant == "NotBad" and r.violation.step == 3
    assert r.steps == (Action("inc"),) * 3
    assert r.distinct == 4  # 0, 1, 2, 3: the search stops at the first bad state
    assert r.levels == (1, 1, 1, 1) and r.depth == 3
    assert r.loop_start is None


def test_correct_counter_holds_with_exact_counts() -> None:
    r = explore(counter(limit=5, bad=None))
    assert r.verdict == "held" and r.bound is None
    assert (r.distinct, r.depth, r.edges, r.states) == (6, 5, 5, 6)


def test_depth_bound_reports_incomplete_only_when_deeper_states_exist() -> None:
    r = explore(counter(limit=5, bad=None), max_depth=2)
    assert r.verdict == "bound" and r.bound == "max_depth"
    assert (r.distinct, r.depth) == (3, 2)  # 0, 1, 2 explored; 3 exists
    exact = explore(counter(limit=5, bad=None), max_depth=5)
    assert exact.verdict == "held"  # depth 5 is the whole space: the probe finds nothing new


def test_state_bound_stops_before_keeping_more() -> None:
    r = explore(counter(limit=5, bad=None), max_states=4)
    assert r.verdict == "bound" and r.bound == "max_states" and r.distinct == 4
    assert explore(counter(limit=5, bad=None), max_states=6).verdict == "held"


def test_violation_wins_over_bound() -> None:
    r = explore(counter(limit=5, bad=3), max_depth=3)
    assert r.verdict == "violated" and r.bound is None


def test_atomic_mutex_holds_exact_state_count() -> None:
    # idle/idle/free, p0 inside/locked, p1 inside/locked: nothing else is reachable
    r = explore(mutex(atomic=True))
    assert r.verdict == "held" and r.distinct == 3 and r.depth == 1
    # three processes: all idle, or exactly one of the three inside
    assert explore(mutex(atomic=True, procs=3)).distinct == 4


def test_non_atomic_mutex_shortest_trace_interleaves_look_before_take() -> None:
    model = mutex(atomic=False)
    r = explore(model)
    assert r.violation is not None and r.violation.invariant == "Mutex"
    # Both must look (lock free) before either takes: 4 steps at least, and BFS finds 4.
    assert len(r.steps) == 4
    assert [a.op for a in r.steps[:2]] == ["look", "look"]
    assert [a.op for a in r.steps[2:]] == ["take", "take"]
    trail = replay_ok(model, r.steps)
    assert trail[-1][0] == (2, 2)
    assert r.fingerprint == fingerprint(trail[-1])


def test_symmetry_cuts_states_same_verdict() -> None:
    plain = explore(bits(3))
    reduced = explore(bits(3, symmetric=True))
    assert plain.verdict == reduced.verdict == "held"
    assert plain.distinct == 8  # 2^3 subsets of bits
    assert reduced.distinct == 4  # 0, 1, 2 or 3 bits set
    assert explore(bits(3, symmetric=True), symmetry=False).distinct == 8  # the flag turns it off
    assert (explore(mutex(atomic=True, procs=3, symmetric=True)).distinct, reduced.symmetry) == (2, True)


def test_symmetric_trace_is_made_concrete() -> None:
    """On representatives the path is set(0), set(0) (the sorted state moves the bit); the
    concrete trace must name the other bit the second time."""
    model = bits(3, max_ones=1, symmetric=True)
    r = explore(model)
    assert r.violation is not None and r.violation.invariant == "AtMost"
    assert len(r.steps) == 2 and r.steps[0] != r.steps[1]
    assert sum(replay_ok(model, r.steps)[-1]) == 2
    plain = explore(bits(3, max_ones=1))
    assert plain.violation is not None and len(plain.steps) == len(r.steps)
    assert (plain.violation.invariant, plain.verdict) == (r.violation.invariant, r.verdict)


def test_symmetric_mutex_bug_same_verdict_and_length() -> None:
    plain = explore(mutex(atomic=False, procs=3))
    reduced = explore(mutex(atomic=False, procs=3, symmetric=True))
    assert plain.violation is not None and reduced.violation is not None
    assert len(plain.steps) == len(reduced.steps) == 4
    assert reduced.distinct < plain.distinct
    replay_ok(mutex(atomic=False, procs=3), reduced.steps)


def test_search_is_deterministic() -> None:
    a, b = explore(mutex(atomic=False, procs=3)), explore(mutex(atomic=False, procs=3))
    assert (a.steps, a.distinct, a.levels) == (b.steps, b.distinct, b.levels)


# -- liveness under weak fairness ----------------------------------------------------------------

SYS: dict[str, Category] = {"boot": "system", "ping": "system", "pong": "system", "finish": "system"}


def test_fair_two_cycle_never_converging_is_a_lasso() -> None:
    model = graph_model(
        {"start": [("boot", "a")], "a": [("ping", "b")], "b": [("pong", "a")]},
        SYS,
        good=set(),
    )
    r = explore(model)
    assert r.verdict == "violated" and r.violation is not None
    assert r.violation.invariant == "Converged" and r.violation.kind == "eventually"
    assert r.steps == (Action("boot"), Action("ping"), Action("pong"))
    assert r.loop_start == 1
    trail = replay_ok(model, r.steps)
    assert trail[r.loop_start] == trail[-1] == "a"  # the cycle closes on the same state
    assert "repeat forever" in r.violation.message
    assert r.distinct == 3 and r.graph is not None and r.graph.number_of_nodes() == 3


def test_unfair_cycle_does_not_violate() -> None:
    """``finish`` is enabled in both cycle states but never taken inside the cycle: weak
    fairness forces it, so every fair run reaches ``done``."""
    model = graph_model(
        {
            "start": [("boot", "a")],
            "a": [("ping", "b"), ("finish", "done")],
            "b": [("ping", "a"), ("finish", "done")],
        },
        {"boot": "system", "ping": "system", "finish": "system"},
        good={"done"},
    )
    r = explore(model)
    assert r.verdict == "held" and r.distinct == 4


def test_weak_fairness_does_not_force_an_action_enabled_only_sometimes() -> None:
    """``finish`` enabled in a but not in b is not continuously enabled: a fair run may cycle
    a → b → a forever (strong fairness would forbid it; the model promises weak)."""
    model = graph_model(
        {"start": [("boot", "a")], "a": [("ping", "b"), ("finish", "done")], "b": [("ping", "a")]},
        {"boot": "system", "ping": "system", "finish": "system"},
        good={"done"},
    )
    r = explore(model)
    assert r.verdict == "violated" and r.loop_start == 1
    assert r.steps == (Action("boot"), Action("ping"), Action("ping"))


def test_oscillation_violates_eventually_always() -> None:
    """P holds in a but not in b: "eventually always P" fails on the fair cycle a ↔ b."""
    model = graph_model(
        {"start": [("boot", "a")], "a": [("ping", "b")], "b": [("pong", "a")]},
        SYS,
        good={"a", "start"},
    )
    r = explore(model)
    assert r.violation is not None and "state b is not converged" in r.violation.message
    assert r.loop_start == 1 and len(r.steps) == 3


def test_stuck_state_is_a_lasso_with_an_empty_cycle() -> None:
    model = graph_model(
        {"start": [("boot", "a"), ("ping", "stuck")], "a": [("finish", "done")]},
        SYS,
        good={"done"},
    )
    r = explore(model)
    assert r.violation is not None and r.steps == (Action("ping"),)
    assert r.loop_start == 1  # nothing repeats: the system stays in ``stuck`` forever
    assert "no system or time action is enabled" in r.violation.message


def test_fault_and_user_steps_cannot_close_a_cycle() -> None:
    """a (not converged) → b (converged) by a system step; back to a only by a fault or a user
    step, which need not recur: every fair run may end in b. As a system step it is a cycle."""
    for cat, verdict in (("fault", "held"), ("user", "held"), ("system", "violated")):
        model = graph_model(
            {"start": [("boot", "a")], "a": [("ping", "b")], "b": [("pong", "a")]},
            {"boot": "system", "ping": "system", "pong": cat},
            good={"start", "b"},
        )
        assert explore(model).verdict == verdict, cat


def test_safety_only_models_build_no_graph() -> None:
    assert explore(counter(limit=3, bad=None)).graph is None


def test_lasso_violation_rejects_broken_lassos() -> None:
    model = graph_model(
        {"start": [("boot", "a")], "a": [("ping", "b")], "b": [("pong", "a")]},
        SYS,
        good=set(),
    )
    good = (Action("boot"), Action("ping"), Action("pong"))
    assert lasso_violation(model, good, 1) is not None
    assert lasso_violation(model, good[:2], 1) is None  # does not close
    assert lasso_violation(model, (Action("boot"), Action("pong")), 1) is None  # not enabled
    fixed = graph_model({"start": [("boot", "a")], "a": [("ping", "b")], "b": [("pong", "a")]}, SYS, good={"a", "b"})
    assert lasso_violation(fixed, good, 1) is None  # the property holds now: a replay says so


def test_liveness_found_in_explored_part_despite_a_bound() -> None:
    """A fair cycle near the start is a real counterexample even if the rest is cut off."""
    chain = {f"c{i}": [("finish", f"c{i + 1}")] for i in range(50)}
    model = graph_model(
        {"start": [("boot", "a"), ("finish", "c0")], "a": [("ping", "b")], "b": [("pong", "a")], **chain},
        SYS,
        good={f"c{i}" for i in range(51)},
    )
    r = explore(model, max_depth=5)
    assert r.verdict == "violated" and r.loop_start == 1


# -- fingerprints ------------------------------------------------------------------------------

FINGERPRINT_SCRIPT = """
import kmodel
from kmodel.core.explore import fingerprint
from kmodel.k8s.explore_view import ExploreView
m = ExploreView(kmodel.load_scenario({path!r}).model())
s = m.initial()
for _ in range(3):
    s = m.step(s, m.actions(s)[-1])
print(fingerprint(s))
"""


def test_fingerprint_is_stable_across_processes_and_hash_seeds() -> None:
    outs = []
    for hash_seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        code = FINGERPRINT_SCRIPT.format(path=str(NO_EXPECTATIONS))
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        outs.append(proc.stdout.strip())
    assert outs[0] == outs[1] and len(outs[0]) == 16


def test_fingerprint_tells_states_apart() -> None:
    assert fingerprint((0, (1,))) != fingerprint((0, (2,)))


# -- trace format ------------------------------------------------------------------------------


def test_trace_loop_start_round_trips_and_old_traces_load() -> None:
    from kmodel.core.run import Violation

    v = Violation("Converged", "eventually", "m", 3)
    t = Trace("0.1.0", {"x": 1}, 0, (Action("a"), Action("b"), Action("c")), v, 1)
    data = t.to_data()
    assert data["loopStart"] == 1
    assert Trace.from_data(data, "0.1.0").loop_start == 1
    plain = Trace("0.1.0", {"x": 1}, 0, t.steps, v)
    assert "loopStart" not in plain.to_data()  # only set when there is a loop
    assert Trace.from_data(plain.to_data(), "0.1.0").loop_start is None
    bad = {**data, "loopStart": 4}
    with pytest.raises(kmodel.InputError, match="loopStart"):
        Trace.from_data(bad, "0.1.0")


# -- the real model ----------------------------------------------------------------------------


def _without_faults(path: Path) -> kmodel.Scenario:
    """The scenario with its fault budget removed (same cluster, same user, same bug)."""
    data = copy.deepcopy(kmodel.load_scenario(path).resolved)
    data["spec"]["faults"] = {}
    return scenario_from_data(data, str(path))


def test_k8s_no_faults_explorer_agrees_with_check_and_replays(tmp_path: Path) -> None:
    sc = _without_faults(NO_EXPECTATIONS)
    run = explore_scenario(sc, max_depth=6)
    checked = kmodel.check(sc)
    assert checked.trace is not None and run.trace is not None
    assert run.trace.violation.invariant == checked.trace.violation.invariant == "NoExcessReplicas"
    assert len(run.trace.steps) <= len(checked.trace.steps)
    assert kmodel.replay(run.trace).reproduced
    # the trace survives a save/load round trip (the CLI's path)
    path = explore_trace_path(tmp_path, run.trace, sc.name)
    save_trace(run.trace, path)
    assert kmodel.replay(load_trace(path)).reproduced
    summary = describe_explore(run)
    assert summary["verdict"] == "violated" and summary["traceSteps"] == len(run.trace.steps)
    assert summary["distinctPerDepth"][0] == 1 and sum(summary["distinctPerDepth"]) == summary["distinct"]


@pytest.mark.slow
def test_k8s_web_no_expectations_shortest_trace_no_longer_than_check() -> None:
    run = explore_scenario(NO_EXPECTATIONS, max_depth=6)
    checked = kmodel.check(NO_EXPECTATIONS)
    assert checked.trace is not None and run.trace is not None
    assert run.trace.violation.invariant == checked.trace.violation.invariant == "NoExcessReplicas"
    assert len(run.trace.steps) <= len(checked.trace.steps)
    assert kmodel.replay(run.trace).reproduced


# -- CLI ---------------------------------------------------------------------------------------


def test_cli_explore_violation_writes_trace_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = copy.deepcopy(kmodel.load_scenario(NO_EXPECTATIONS).resolved)
    data["spec"]["faults"] = {}
    scenario = tmp_path / "s.yaml"
    scenario.write_text(json.dumps(data))  # JSON is YAML
    out = tmp_path / "out"
    code = main(["explore", str(scenario), "--out", str(out), "--max-depth", "6"])
    stdout, err = capsys.readouterr()
    assert code == 1, stdout + err
    assert "NoExcessReplicas VIOLATED" in stdout and "distinct" in stdout
    assert err == ""  # no progress line when not a terminal
    summary = json.loads((out / "web-no-expectations.explore.json").read_text())
    assert summary["verdict"] == "violated" and "seconds" not in json.dumps(summary)
    trace = out / "traces" / "web-no-expectations-NoExcessReplicas-explore.yaml"
    assert trace.exists()
    assert main(["replay", str(trace)]) == 1
    assert "reproduced: NoExcessReplicas" in capsys.readouterr().out


def test_cli_explore_bound_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["explore", str(NO_EXPECTATIONS), "--out", str(tmp_path), "--max-depth", "2"])
    stdout, _ = capsys.readouterr()
    assert code == 3
    assert "--max-depth 2 reached" in stdout and "every state within 2 steps held" in stdout
    summary = json.loads((tmp_path / "web-no-expectations.explore.json").read_text())
    assert summary["verdict"] == "bound" and summary["bound"] == "max_depth" and summary["depth"] == 2
    code = main(["explore", str(NO_EXPECTATIONS), "--out", str(tmp_path), "--max-states", "50"])
    assert code == 3 and "--max-states 50 reached" in capsys.readouterr().out


def test_cli_explore_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: kmodel/v1\nkind: Scenario\nspec:\n  nodez: []\n")
    assert main(["explore", str(bad), "--out", str(tmp_path / "out")]) == 2
    assert "nodez" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
