"""``kmodel bench --suite``: the figures' structure, the diluted twins, the two modes, and verdicts
as properties/expected.yaml records them. Times are never asserted (they depend on the machine)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kmodel.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "properties" / "scenarios"
EXPECTED: dict[str, Any] = yaml.safe_load((ROOT / "properties" / "expected.yaml").read_text())
LIVENESS = SCENARIOS / "web-tight-capacity.yaml"  # a liveness violation the random phase finds in about 1 s


def _expected_verdict(name: str) -> str:
    entry = EXPECTED[name]
    return entry if isinstance(entry, str) else str(entry["expect"])


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """op-lost-update with a random phase too small to find its bug (1 run of 1 step), so the
    default check finds it with the bounded search; same file stem, so expected.yaml applies."""
    data = yaml.safe_load((SCENARIOS / "op-lost-update.yaml").read_text())
    spec = data["spec"]
    operators = str(SCENARIOS.parent / "operators")
    spec["controllers"] = [c.replace("../operators", operators) for c in spec["controllers"]]
    spec["invariants"] = [i.replace("../operators", operators) for i in spec["invariants"]]
    spec["budget"] = {"steps": 1, "examples": 1}
    path = tmp_path_factory.mktemp("tiny") / "op-lost-update.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def suite(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench")
    assert main(["bench", "--suite", str(tiny), str(LIVENESS), "--seeds", "1", "--out", str(out)]) == 0
    return out, json.loads((out / "benchmarks.json").read_text())


def _rows(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["scenario"]: e for e in doc["scenarios"]}


def test_each_scenario_is_followed_by_its_diluted_twin(suite: tuple[Path, dict[str, Any]]) -> None:
    _, doc = suite
    names = ["op-lost-update", "web-tight-capacity"]
    assert [e["scenario"] for e in doc["scenarios"]] == [n for name in names for n in (name, f"{name} (diluted)")]
    rows = _rows(doc)
    for name in names:
        plain, twin = rows[name], rows[f"{name} (diluted)"]
        assert (plain["diluted"], twin["diluted"]) == (False, True)
        assert twin["objects"] == plain["objects"] + 2 and twin["steps"] == 3 * plain["steps"]
        assert plain["expected"] == twin["expected"] == _expected_verdict(name)
        assert twin["noRoom"] is None


def test_verdicts_match_expected(suite: tuple[Path, dict[str, Any]]) -> None:
    _, doc = suite
    for e in doc["scenarios"]:
        assert e["verdict"] == e["expected"]
        assert [p["seed"] for p in e["perSeed"]] == [0]
        assert e["default"]["foundInSeeds"] == e["default"]["expectedInSeeds"] == 1


def test_the_default_check_finds_what_the_random_phase_misses(suite: tuple[Path, dict[str, Any]]) -> None:
    """The tiny op-lost-update: the random search alone holds; the default check's bounded search
    finds the violation, and its time counts both searches."""
    _, doc = suite
    for name in ("op-lost-update", "op-lost-update (diluted)"):
        e = _rows(doc)[name]
        assert e["random"]["foundInSeeds"] == 0 and e["random"]["timeToViolation"] is None
        assert e["random"]["runsToViolation"] is None
        d = e["default"]
        assert d["foundBy"] == {"random": 0, "bounded": 1}
        assert isinstance(d["deviations"], int) and d["deviations"] >= 1
        seed = e["perSeed"][0]
        assert seed["random"] == "held" and seed["foundBy"] == "bounded"
        assert seed["checkSeconds"] == pytest.approx(seed["searchSeconds"] + seed["boundedSeconds"], abs=0.002)
        assert 0 < d["timeToViolation"]["median"] == seed["checkSeconds"]
        assert e["shrunkSteps"] >= 1


def test_a_violation_the_random_phase_finds(suite: tuple[Path, dict[str, Any]]) -> None:
    _, doc = suite
    for name in ("web-tight-capacity", "web-tight-capacity (diluted)"):
        e = _rows(doc)[name]
        r, d = e["random"], e["default"]
        assert r["foundInSeeds"] == d["foundInSeeds"] == 1
        assert r["timeToViolation"] == d["timeToViolation"] and r["timeToViolation"]["median"] > 0
        assert r["runsToViolation"]["median"] >= 1
        assert d["foundBy"] == {"random": 1, "bounded": 0} and d["deviations"] is None
        assert e["perSeed"][0]["boundedSeconds"] is None  # the bounded search did not run
        assert e["explore"] is None and e["shrunkOverShortest"] is None  # liveness: no comparison


def test_safety_violation_is_compared_with_explore_in_the_plain_row_only(suite: tuple[Path, dict[str, Any]]) -> None:
    _, doc = suite
    safety = _rows(doc)["op-lost-update"]
    assert safety["explore"]["maxDepth"] == safety["shrunkSteps"]
    assert safety["explore"]["invariant"] == "AppliedConfigKept"
    assert 1 <= safety["explore"]["shortestSteps"] <= safety["shrunkSteps"]
    assert safety["shrunkOverShortest"] == round(safety["shrunkSteps"] / safety["explore"]["shortestSteps"], 3)
    assert _rows(doc)["op-lost-update (diluted)"]["explore"] is None


def test_summary_and_markdown(suite: tuple[Path, dict[str, Any]]) -> None:
    out, doc = suite
    s = doc["summary"]
    assert (s["scenarios"], s["dilutedTwins"], s["violated"], s["comparedWithExplore"]) == (2, 2, 2, 1)
    assert s["noRoom"] == [] and s["noExpectation"] == []
    for group in ("plain", "diluted"):
        random, default = s["random"][group], s["default"][group]
        assert (random["knownBad"], random["foundInEverySeed"], random["foundInSomeSeed"]) == (2, 1, 1)
        assert (default["knownBad"], default["foundInEverySeed"], default["foundInSomeSeed"]) == (2, 2, 2)
        assert random["held"] == default["held"] == 0 and default["heldButViolated"] == []
    assert s["maxShrunkOverShortest"]["scenario"] == "op-lost-update"
    md = (out / "benchmarks.md").read_text()
    assert md.startswith("# kmodel benchmark suite")
    assert "| op-lost-update (diluted) | 4 | 3 | AppliedConfigKept | AppliedConfigKept | 0/1 | — | 1/1 |" in md
    assert "| random search alone | 1/2 (1 in some seed) | 1/2 (1 in some seed) | 0/0 | 0/0 |" in md
    assert "| web-tight-capacity (diluted) | 3 | 90 | ReplicasConverge | ReplicasConverge | 1/1 |" in md
    assert "bounded, " in md and "shrunk / shortest" in md


def test_later_seeds_reuse_the_bounded_search(tiny: Path) -> None:
    """The bounded search does not depend on the seed: it runs in the first seed whose random
    phase held, and later such seeds reuse its outcome instead of repeating it."""
    import kmodel
    from kmodel.bench import suite_scenario

    e = suite_scenario(tiny, seeds=2, explore_states=10)
    first, second = e["perSeed"]
    assert not first["boundedReused"] and second["boundedReused"]
    assert first["deviations"] == second["deviations"] and first["boundedSeconds"] == second["boundedSeconds"]
    assert e["default"]["foundInSeeds"] == 2 and e["expected"] is None  # no expectations given
    # the random search alone is the default check's random phase: the same seeded run
    alone, both = kmodel.check(tiny, seed=1, deviations=-1), kmodel.check(tiny, seed=1)
    assert (alone.outcome.runs, alone.outcome.violation) == (both.outcome.runs, both.outcome.violation)


def test_diluted_twin() -> None:
    from kmodel.bench import diluted
    from kmodel.scenario import load_scenario

    plain, twin = load_scenario(LIVENESS), diluted(LIVENESS)
    assert twin.name == "web-tight-capacity (diluted)"
    assert len(twin.config.objects) == len(plain.config.objects) + 2
    added = {(o.KIND, o.meta.name) for o in twin.config.objects} - {(o.KIND, o.meta.name) for o in plain.config.objects}
    assert added == {("Deployment", "bystander"), ("Service", "bystander")}
    assert twin.budget.steps == 3 * plain.budget.steps and twin.budget.examples == plain.budget.examples
    assert twin.config.nodes == plain.config.nodes and twin.config.faults == plain.config.faults
    default = diluted(None)  # the built-in default scenario; no budget.steps: 3 x 50
    assert default.name == "web-node-crash (diluted)" and default.budget.steps == 150


def test_a_twin_without_room_for_the_bystander_is_not_measured() -> None:
    """deploy-stuck-no-surge-room's nodes are full: with the bystander, its own pods are pending.
    The row says so instead of being measured, and the counts leave it out."""
    from kmodel.bench import render_suite_markdown, suite_scenario, suite_summary

    e = suite_scenario(SCENARIOS / "deploy-stuck-no-surge-room.yaml", dilute=True, seeds=1)
    assert e["noRoom"] is not None and e["noRoom"].startswith("no room:")
    assert e["perSeed"] == [] and e["default"] is None
    s = suite_summary([e])
    assert s["noRoom"] == ["deploy-stuck-no-surge-room (diluted)"] and s["default"]["diluted"]["knownBad"] == 0
    doc = {"seeds": 1, "exploreStates": 10, "seconds": 0.0, "summary": s, "scenarios": [e]}
    row = f"| deploy-stuck-no-surge-room (diluted) | {e['objects']} | {e['steps']} | — | {e['noRoom']} |"
    assert row in render_suite_markdown(doc)


def test_bad_scenario_exits_2_before_any_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--suite", str(tmp_path / "missing.yaml"), "--out", str(tmp_path)]) == 2
    assert "missing.yaml" in capsys.readouterr().err
    assert not (tmp_path / "benchmarks.json").exists()


def test_bench_without_suite_takes_one_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    two = [str(SCENARIOS / f"{n}.yaml") for n in ("op-lost-update", "web-tight-capacity")]
    assert main(["bench", *two]) == 2
    assert "--suite" in capsys.readouterr().err


def test_golden_reports_exclude_benchmarks() -> None:
    from tests.test_reports_golden import GOLDEN, _has_scenario

    assert not _has_scenario(ROOT / "reports" / "benchmarks.md")
    assert all(p.stem != "benchmarks" for p in GOLDEN)


def test_rewriting_keeps_the_sections_other_commands_measured(suite: tuple[Path, dict[str, Any]]) -> None:
    """``benchmarks.md`` from the ``KEPT`` marker on (e.g. the input fuzz campaign's figures) is
    carried over when the suite rewrites the file; without the marker nothing is carried."""
    from kmodel.bench import KEPT, kept_sections, render_suite_markdown

    _, doc = suite
    extra = f"{KEPT}\n\n## Input fuzzing\n\n- 10 inputs, 0 tracebacks\n"
    previous = render_suite_markdown(doc) + "\n" + extra
    rewritten = render_suite_markdown(doc, kept_sections(previous))
    assert rewritten.endswith(extra) and rewritten.count(KEPT) == 1
    assert kept_sections(render_suite_markdown(doc)) == ""
