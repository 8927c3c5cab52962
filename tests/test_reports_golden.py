"""The committed reports in reports/ are golden results: regenerating them gives the same bytes.

If the model changes on purpose, regenerate with
``kmodel check properties/scenarios/*.yaml && kmodel check`` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kmodel
from kmodel.api import trace_path
from kmodel.core.trace import Trace
from kmodel.pytest_plugin import cached_check
from kmodel.report.document import build
from kmodel.report.html import render_html
from kmodel.report.markdown import render_document
from kmodel.yamlio import dump

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports"
SCENARIOS = ROOT / "properties" / "scenarios"


def _scenario_for(name: str) -> Path | None:
    if name == kmodel.load_scenario().name:
        return None
    return SCENARIOS / f"{name}.yaml"


def _has_scenario(report: Path) -> bool:
    """A scenario's report, not e.g. ``benchmarks.md`` (wall-clock times: not golden)."""
    path = _scenario_for(report.stem)
    return path is None or path.exists()


GOLDEN = [p for p in sorted(REPORTS.glob("*.md")) if _has_scenario(p)]


def test_there_are_golden_reports() -> None:
    assert len(GOLDEN) >= 4


@pytest.mark.parametrize("report", GOLDEN, ids=lambda p: p.stem)
def test_report_is_reproduced(report: Path) -> None:
    path = _scenario_for(report.stem)
    scenario = kmodel.load_scenario(path)
    result = cached_check(None if path is None else str(path), 0)
    out = Path("reports")
    trace_file = trace_path(out, result.trace, scenario.name) if result.trace is not None else None
    doc = build(result, trace_file, out)
    assert json.loads(report.with_suffix(".json").read_text()) == json.loads(json.dumps(doc)), "JSON drifted"
    timeline = f"{scenario.name}.timeline.svg" if (REPORTS / f"{scenario.name}.timeline.svg").exists() else None
    assert render_document(doc, timeline) == report.read_text(), f"{report.name} drifted; see module docstring"
    assert render_html(doc) == report.with_suffix(".html").read_text(), "HTML drifted"
    if result.trace is not None:
        assert trace_file is not None
        committed = (ROOT / trace_file).read_text().split("\n", 2)[2]
        # scenarioFile (traces of scenarios with user modules) is relative to the trace's directory
        assert committed == dump(result.trace.to_data(relative_to=str((ROOT / trace_file).parent)))


def test_golden_traces_load_as_traces() -> None:
    for path in sorted((REPORTS / "traces").glob("*.yaml")):
        assert isinstance(kmodel.load_trace(path), Trace)


EXPLORED = sorted(REPORTS.glob("*.explore.json"))


@pytest.mark.slow
@pytest.mark.parametrize("summary", EXPLORED, ids=lambda p: p.stem)
def test_explore_figures_are_reproduced(summary: Path) -> None:
    """Exhaustive-search figures (distinct states per depth, the shortest trace's length, the
    final state's fingerprint) are recorded like TLA+ Examples record expected results."""
    from kmodel.api import describe_explore, explore

    recorded = json.loads(summary.read_text())
    name = recorded["scenario"]
    path = _scenario_for(name)
    run = explore(
        kmodel.load_scenario(path),
        max_states=recorded["maxStates"],
        max_depth=recorded["maxDepth"],
        symmetry=recorded["symmetry"],
    )
    assert json.loads(json.dumps(describe_explore(run))) == recorded
