"""Markdown invariant report for one check run (kept free of timings so it is reproducible).

Wall-clock figures go to the terminal and to the JSON summary, never into the Markdown, so a
committed report is a golden file: same scenario and seed, same bytes.
"""

from __future__ import annotations

from pathlib import Path

from kmodel.api import CheckResult, replay
from kmodel.k8s import invariants as catalogue


def render(result: CheckResult, trace_file: Path | None, report_dir: Path) -> str:
    sc = result.scenario
    model = sc.model()
    o = result.outcome
    lines = [f"# kmodel report: {sc.name}", ""]
    if sc.description:
        lines += [sc.description, ""]
    verdict = "**held**" if result.held else "**violated**"
    lines += [
        f"- verdict: {verdict}",
        f"- seed: {result.seed}; budget: {result.examples} runs × up to {result.steps} steps",
        f"- explored: {o.runs} runs, {o.model_steps} random-phase steps, {o.settle_steps} settle-phase steps",
        "",
        "| invariant | kind | verdict | promise |",
        "|---|---|---|---|",
    ]
    failed = result.trace.violation.invariant if result.trace else None
    for prop in model.properties():
        kind = "safety" if prop.kind == "always" else "liveness"
        if failed is None:
            v = "held"
        elif prop.name == failed:
            v = "**violated**"
        elif prop.kind == "always":
            v = "held until the violation"
        else:
            v = "not checked (the failing run stopped first)"
        lines.append(f"| {prop.name} | {kind} | {v} | {catalogue.describe(prop.name)} |")
    if result.trace is not None and trace_file is not None:
        t = result.trace
        rel = _relative(trace_file, report_dir)
        lines += [
            "",
            "## Counterexample",
            "",
            f"{t.violation.invariant}: {t.violation.message}",
            "",
            f"Found after {o.first_failure_run} runs in a run of {result.found_steps} steps, "
            f"minimised to {len(t.steps)} steps. Trace: [{rel}]({rel})",
            "",
            "```",
            f"kmodel replay {trace_file}",
            "```",
            "",
            "| # | clock | step | what changed |",
            "|---|---|---|---|",
        ]
        for row in replay(t).rows:
            mark = " **✗ " + row.violation.invariant + "**" if row.violation is not None else ""
            desc = row.description.replace("|", "\\|")
            lines.append(f"| {row.index} | {row.clock}s | `{row.action}` | {desc}{mark} |")
    lines.append("")
    return "\n".join(lines)


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)
