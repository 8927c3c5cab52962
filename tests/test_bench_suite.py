"""``kmodel bench --suite``: the figures' structure, and verdicts as properties/expected.yaml
records them. Times are never asserted (they depend on the machine)."""

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
SMALL = ("op-lost-update", "web-tight-capacity")  # a safety and a liveness violation, each found in about 1 s


def _expected_verdict(name: str) -> str:
    entry = EXPECTED[name]
    return entry if isinstance(entry, str) else str(entry["expect"])


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench")
    args = ["bench", "--suite", *(str(SCENARIOS / f"{n}.yaml") for n in SMALL), "--seeds", "2", "--out", str(out)]
    assert main(args) == 0
    return out, json.loads((out / "benchmarks.json").read_text())


def test_verdicts_match_expected(suite: tuple[Path, dict[str, Any]]) -> None:
    _, doc = suite
    assert [e["scenario"] for e in doc["scenarios"]] == list(SMALL)
    for e in doc["scenarios"]:
        assert e["verdict"] == _expected_verdict(e["scenario"])
        assert [p["seed"] for p in e["perSeed"]] == [0, 1]


def test_violation_figures(suite: tuple[Path, dict[str, Any]]) -> None:
    _, doc = suite
    by_name = {e["scenario"]: e for e in doc["scenarios"]}
    for e in doc["scenarios"]:
        assert e["seeds"] == 2 and 1 <= e["foundInSeeds"] <= 2
        t = e["timeToViolation"]
        assert 0 < t["median"] <= t["worst"]
        assert e["runsToViolation"]["median"] >= 1
        assert e["shrunkSteps"] == e["perSeed"][0]["shrunkSteps"] >= 1
        assert e["perSeed"][0]["foundSteps"] >= e["shrunkSteps"]
    safety = by_name["op-lost-update"]
    assert safety["explore"]["maxDepth"] == safety["shrunkSteps"]
    assert safety["explore"]["invariant"] == "AppliedConfigKept"
    assert 1 <= safety["explore"]["shortestSteps"] <= safety["shrunkSteps"]
    assert safety["shrunkOverShortest"] == round(safety["shrunkSteps"] / safety["explore"]["shortestSteps"], 3)
    liveness = by_name["web-tight-capacity"]  # a settle step stands for many: no comparison
    assert liveness["explore"] is None and liveness["shrunkOverShortest"] is None


def test_summary_and_markdown(suite: tuple[Path, dict[str, Any]]) -> None:
    out, doc = suite
    s = doc["summary"]
    assert (s["scenarios"], s["violated"], s["comparedWithExplore"]) == (2, 2, 1)
    medians = sorted(e["timeToViolation"]["median"] for e in doc["scenarios"])
    assert s["medianTimeToViolation"] == round(sum(medians) / 2, 3)
    assert s["worstTimeToViolation"]["seconds"] == max(e["timeToViolation"]["worst"] for e in doc["scenarios"])
    assert s["maxShrunkOverShortest"]["scenario"] == "op-lost-update"
    md = (out / "benchmarks.md").read_text()
    assert md.startswith("# kmodel benchmark suite")
    for name in SMALL:
        assert f"| {name} | {_expected_verdict(name)} | " in md
    assert "median time to first violation" in md and "shrunk / shortest" in md


def test_bad_scenario_exits_2_before_any_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--suite", str(tmp_path / "missing.yaml"), "--out", str(tmp_path)]) == 2
    assert "missing.yaml" in capsys.readouterr().err
    assert not (tmp_path / "benchmarks.json").exists()


def test_bench_without_suite_takes_one_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    two = [str(SCENARIOS / f"{n}.yaml") for n in SMALL]
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
