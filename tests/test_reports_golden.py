"""The committed reports in reports/ are golden results: regenerating them gives the same bytes.

If the model changes on purpose, regenerate with
``kmodel check properties/scenarios/*.yaml && kmodel check`` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kmodel
from kmodel.api import describe_result, trace_path
from kmodel.core.trace import Trace
from kmodel.report.markdown import render
from kmodel.yamlio import dump

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports"
SCENARIOS = ROOT / "properties" / "scenarios"
GOLDEN = sorted(REPORTS.glob("*.md"))


def _scenario_for(name: str) -> Path | None:
    if name == kmodel.load_scenario().name:
        return None
    return SCENARIOS / f"{name}.yaml"


def test_there_are_golden_reports() -> None:
    assert len(GOLDEN) >= 4


@pytest.mark.parametrize("report", GOLDEN, ids=lambda p: p.stem)
def test_report_is_reproduced(report: Path) -> None:
    from conftest import cached_check

    path = _scenario_for(report.stem)
    scenario = kmodel.load_scenario(path)
    result = cached_check(None if path is None else str(path), 0)
    out = Path("reports")
    trace_file = trace_path(out, result.trace, scenario.name) if result.trace is not None else None
    assert render(result, trace_file, out) == report.read_text(), f"{report.name} drifted; see module docstring"
    assert json.loads(report.with_suffix(".json").read_text()) == describe_result(result)
    if result.trace is not None:
        assert trace_file is not None
        committed = (ROOT / trace_file).read_text().split("\n", 2)[2]
        assert committed == dump(result.trace.to_data())


def test_golden_traces_load_as_traces() -> None:
    for path in sorted((REPORTS / "traces").glob("*.yaml")):
        assert isinstance(kmodel.load_trace(path), Trace)
