"""Partial-order reduction in the explorer (``explore(por=True)`` with ``ClusterModel.ample``).

The reduction must keep every verdict and every shortest safety trace while visiting fewer
states. These tests check the ample-set conditions on the real model (a delivery chosen alone
commutes with every other enabled action and is invisible), and compare reduced and full searches.
"""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import pytest

import kmodel
from kmodel.core.explore import _successor_function, explore
from kmodel.k8s.explore_view import ExploreView
from kmodel.scenario import scenario_from_data

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "properties" / "scenarios"


def _scope(replicas: int = 1, cpu: str = "4", nodes: int = 2, faults: dict[str, int] | None = None) -> kmodel.Scenario:
    """The built-in default scenario cut down: fewer nodes and replicas, no user steps."""
    data = copy.deepcopy(kmodel.load_scenario().resolved)
    spec = data["spec"]
    spec["nodes"] = [
        {"name": f"node-{i + 1}", "capacity": {"cpu": cpu, "memory": "4Gi", "pods": 110}} for i in range(nodes)
    ]
    spec["objects"][0]["spec"]["replicas"] = replicas
    spec["faults"] = dict(faults or {})
    spec.pop("user", None)
    return scenario_from_data(data, "scope")


@pytest.mark.parametrize(
    "name",
    [
        "web-no-expectations",
        "rs-coalesce-upstream",
        "svc-delete-no-prestop",
        "sts-scale-container-crash",
        "web-explore-scope",  # lose_node among the other actions
    ],
)
def test_an_ample_delivery_commutes_with_every_other_enabled_action(name: str) -> None:
    """C1 and C2 on random walks: whenever ``ample`` picks ``deliver(c)``, (a) ``c``'s reconcile
    sends nothing and changes nothing, (b) the delivery leaves what invariants read unchanged,
    and (c) for every other enabled action b, delivering then b and b then delivering are both
    enabled and reach the same (abstract) state."""
    model = ExploreView(kmodel.load_scenario(SCENARIOS / f"{name}.yaml").model())
    successors = _successor_function(model)
    chosen = 0
    for seed in range(3):
        rnd = random.Random(seed)
        state = model.initial()
        for _ in range(60):
            succ = successors(state)
            if not succ:
                break
            pick = model.ample(state, succ)
            if pick is not None:
                chosen += 1
                action, after = succ[pick]
                assert action.op == "deliver"
                c = action.arg("component")
                cs = state.components[c]
                local, reqs = model.components[c].reconcile(cs.local, model.view(state, c))
                assert not reqs and local == cs.local, f"{action} chosen while {c} has work"
                assert model.truth_key(after) == model.truth_key(state), f"{action} is visible"
                for other, nxt in succ:
                    if other == action:
                        continue
                    ab = model.step(after, other)
                    ba = model.step(nxt, action)
                    assert ab is not None, f"{action} disables {other}"
                    assert ba is not None, f"{other} disables {action}"
                    assert model.abstract(ab) == model.abstract(ba), f"{action} and {other} do not commute"
            state = rnd.choice(succ)[1]
    assert chosen > 0, "the reduction never applied on these walks: the test would be vacuous"


def test_no_reduction_while_the_component_has_work() -> None:
    """Lag is what informer bugs need: a component whose reconcile would act on its stale cache
    is never made to catch up first (web-no-expectations: the controller creating pods before it
    sees its own creates is exactly the bug)."""
    model = ExploreView(kmodel.load_scenario(SCENARIOS / "web-no-expectations.yaml").model())
    successors = _successor_function(model)
    seen_busy = 0
    rnd = random.Random(0)
    state = model.initial()
    for _ in range(200):
        succ = successors(state)
        if not succ:
            break
        for action, _ in succ:
            if action.op != "deliver":
                continue
            c = action.arg("component")
            _, reqs = model.components[c].reconcile(state.components[c].local, model.view(state, c))
            if reqs:
                seen_busy += 1
                pick = model.ample(state, succ)
                assert pick is None or succ[pick][0] != action
        state = rnd.choice(succ)[1]
    assert seen_busy > 0


def test_reduced_and_full_search_agree_on_a_held_scope() -> None:
    sc = _scope()
    full = explore(ExploreView(sc.model()), por=False)
    reduced = explore(ExploreView(sc.model()), por=True)
    assert full.verdict == reduced.verdict == "held"
    assert reduced.por and reduced.reduced > 0 and not full.por
    assert reduced.distinct < full.distinct


def test_reduced_search_keeps_the_shortest_safety_trace() -> None:
    """The ReplicaSet controller without expectations, scaled by a user (web-no-expectations'
    bug on two nodes): the reduced search finds NoExcessReplicas, and the re-search without
    reduction makes its trace as short as the full BFS's."""
    data = copy.deepcopy(_scope(replicas=1).resolved)
    data["spec"]["variants"] = {"replicaSetExpectations": False}
    data["spec"]["user"] = [{"op": "scale", "target": "ReplicaSet/web", "replicas": [1, 2]}]
    sc = scenario_from_data(data, "scope-no-expectations")
    full = explore(ExploreView(sc.model()), por=False)
    reduced = explore(ExploreView(sc.model()), por=True)
    assert full.violation is not None and reduced.violation is not None
    assert reduced.violation.invariant == full.violation.invariant == "NoExcessReplicas"
    assert reduced.por and reduced.shortest
    assert len(reduced.steps) == len(full.steps)
    run = kmodel.explore(sc, por=True)
    assert run.trace is not None and kmodel.replay(run.trace).reproduced


def test_reduced_and_full_search_agree_on_a_liveness_violation() -> None:
    """Two 500m replicas on one 0.5-cpu node: one stays Pending forever (ReplicasConverge)."""
    sc = _scope(replicas=2, cpu="500m", nodes=1)
    full = explore(ExploreView(sc.model()), por=False)
    reduced = explore(ExploreView(sc.model()), por=True)
    assert full.violation is not None and reduced.violation is not None
    assert reduced.violation.invariant == full.violation.invariant == "ReplicasConverge"
    assert reduced.distinct <= full.distinct


def test_reduction_is_off_with_a_depth_bound_or_user_controllers() -> None:
    sc = _scope()
    assert not explore(ExploreView(sc.model()), max_depth=3, por=True).por
    user = ExploreView(kmodel.load_scenario(SCENARIOS / "op-field-fight.yaml").model())
    assert user.ample(user.initial(), _successor_function(user)(user.initial())) is None


def test_cli_por_flag(tmp_path: Path) -> None:
    from kmodel.cli import main

    code = main(["explore", str(SCENARIOS / "rs-coalesce-upstream.yaml"), "--por", "--max-states", "50",
                 "--out", str(tmp_path)])  # fmt: skip
    assert code == 3
    summary: dict[str, Any] = __import__("json").loads((tmp_path / "rs-coalesce-upstream.explore.json").read_text())
    assert summary["partialOrderReduction"] is True


def test_a_reduction_that_cut_the_search_leaves_liveness_unknown(tmp_path: Path, capsys: Any) -> None:
    """Held with --por is a safety verdict only where the reduction cut something: the ample-set
    conditions are not proved to keep every fair cycle, so the CLI says liveness is unknown and
    exits 3 (incomplete). Without the reduction, or where it expanded no state alone, the same
    kind of scope is held (exit 0)."""
    import json

    import yaml

    from kmodel.cli import main

    data = yaml.safe_load((ROOT / "tests" / "data" / "one-node.yaml").read_text())
    data["spec"]["faults"] = {"containerCrash": 1}  # one crash: ~3,400 states, some expanded alone
    path = tmp_path / "one-node-crash.yaml"
    path.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    assert main(["explore", str(path), "--por", "--out", str(out)]) == 3
    printed = capsys.readouterr().out
    assert "safety invariants held; liveness unknown: partial-order reduction" in printed
    summary = json.loads((out / "one-node.explore.json").read_text())
    assert summary["verdict"] == "held" and summary["liveness"] == "unknown" and summary["partialOrderReduction"]
    assert main(["explore", str(path), "--out", str(out)]) == 0
    assert "liveness" not in json.loads((out / "one-node.explore.json").read_text())
    # no state expanded alone: the search was complete, and held means held
    assert main(["explore", str(ROOT / "tests" / "data" / "one-node.yaml"), "--por", "--out", str(out)]) == 0


def test_symmetry_leaves_liveness_unknown_too(tmp_path: Path, capsys: Any) -> None:
    """The same rule for --symmetry: on three identical nodes (the reduction active) a held
    exploration with "eventually" invariants exits 3 and says liveness is unknown; without
    --symmetry the same bounded scope is a plain held/bound verdict."""
    import json

    from kmodel.cli import main

    path = ROOT / "tests" / "data" / "three-nodes.yaml"
    out = tmp_path / "out"
    assert main(["explore", str(path), "--symmetry", "--out", str(out)]) == 3
    printed = capsys.readouterr().out
    assert "safety invariants held; liveness unknown: symmetry" in printed
    (summary_file,) = out.glob("*.explore.json")
    summary = json.loads(summary_file.read_text())
    assert summary["verdict"] == "held" and summary["liveness"] == "unknown"
