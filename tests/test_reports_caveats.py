"""Upstream caveats in reports: a violation of an invariant that upstream itself does not keep
under a fault the scenario enables (its declaration's ``caveats`` in ``kmodel.k8s.invariants``) says so in one sentence;
any other violation does not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

import kmodel
from kmodel.api import CheckResult, describe_explore
from kmodel.k8s.invariants import BUILTIN, caveat
from kmodel.report.document import build
from kmodel.report.html import render_html
from kmodel.report.markdown import render_document

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "properties" / "scenarios"
HEAD = "Upstream does this too:"


def _rendered(result: CheckResult, tmp_path: Path, exhaustive: dict[str, Any] | None = None) -> tuple[str, str]:
    doc = build(result, None, tmp_path, exhaustive)
    return render_document(doc), render_html(doc)


@pytest.fixture(scope="module")
def stale_relist() -> tuple[CheckResult, dict[str, Any]]:
    """rs-stale-relist's shortest violation (its recorded mode is explore: the random search
    finds it only with some seeds), as the counterexample of a check result."""
    sc = kmodel.load_scenario(SCENARIOS / "rs-stale-relist.yaml")
    run = kmodel.explore(sc, max_depth=7)
    assert run.trace is not None and run.trace.violation.invariant == "NoExcessReplicas"
    assert "restart_stale" in {step.op for step in run.trace.steps}
    result = attrs.evolve(kmodel.check(sc, seed=0, examples=3), trace=run.trace, found_steps=len(run.trace.steps))
    return result, describe_explore(run)


def test_stale_relist_violation_report_names_the_upstream_caveat(
    stale_relist: tuple[CheckResult, dict[str, Any]], tmp_path: Path
) -> None:
    result, exhaustive = stale_relist
    md, html = _rendered(result, tmp_path, exhaustive)
    cx_section = md[md.index("## Counterexample") : md.index("### Sequence")]
    assert f"{HEAD} under staleRelist," in cx_section and "kubernetes#59848" in cx_section
    ex_section = md[md.index("## Exhaustive search") : md.index("## Counterexample")]
    assert f"{HEAD} under staleRelist," in ex_section
    assert "requestLoss" not in md  # rs-stale-relist does not enable it
    assert f'<p class="caveat" id="caveat">{HEAD} under staleRelist,' in html
    assert 'id="exhaustive-caveat"' in html


def test_violation_without_the_caveat_fault_has_no_caveat(tmp_path: Path) -> None:
    """web-no-expectations breaks NoExcessReplicas by a deliberate variant (expectations off),
    with no stale relist or request loss enabled: no caveat."""
    result = kmodel.check(SCENARIOS / "web-no-expectations.yaml", seed=0)
    assert result.trace is not None and result.trace.violation.invariant == "NoExcessReplicas"
    md, html = _rendered(result, tmp_path)
    assert HEAD not in md and HEAD not in html
    assert "caveat" not in build(result, None, tmp_path)["counterexample"]


def test_caveat_needs_the_fault_enabled_and_used() -> None:
    note = caveat("NoExcessReplicas", [("staleRelist", 1)])
    assert note is not None and note.startswith(f"{HEAD} under staleRelist,") and "requestLoss" not in note
    assert caveat("NoExcessReplicas", [("staleRelist", 0)]) is None  # a zero budget is off
    assert caveat("NoExcessReplicas", [("coalesce", 1)]) is None
    assert caveat("ReplicasConverge", [("staleRelist", 1)]) is None  # no caveat for it
    # given the counterexample's steps, only a fault whose step it took explains it
    assert caveat("NoExcessReplicas", [("staleRelist", 1)], ["scale", "reconcile"]) is None
    both = caveat("NoExcessReplicas", [("staleRelist", 1), ("requestLoss", 1)], ["reconcile_lossy"])
    assert both is not None and "requestLoss" in both and "staleRelist" not in both
    both = caveat("NoExcessReplicas", [("staleRelist", 1), ("requestLoss", 1)])
    assert both is not None and both.index("staleRelist") < both.index("requestLoss")


def test_every_caveat_names_a_known_fault_and_invariant_and_cites_upstream() -> None:
    from kmodel.k8s.faults import FAULTS

    for invariant in BUILTIN.values():
        for fault, reason in invariant.caveats:
            assert fault in FAULTS
            assert "pkg/" in reason or "kubernetes#" in reason, reason
