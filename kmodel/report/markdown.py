"""Markdown invariant report, rendered from the report document (``kmodel.report.document``).

No timings: a committed report is a golden file — same scenario and seed, same bytes. The
counterexample comes with a Mermaid sequence diagram (GitHub renders it) and a link to the
timeline chart written beside the report.
"""

from __future__ import annotations

from typing import Any

from kmodel.report.document import exhaustive_line, found_sentence, mermaid, scope_lines


def render_document(doc: dict[str, Any], timeline_file: str | None = None) -> str:
    lines = [f"# kmodel report: {doc['scenario']}", ""]
    if doc["description"]:
        lines += [doc["description"], ""]
    ex = doc["explored"]
    lines += [
        f"- verdict: **{doc['verdict']}**",
        f"- seed: {doc['seed']}; budget: {doc['budget']['runs']} runs × up to {doc['budget']['stepsPerRun']} steps",
        f"- explored: {ex['runs']} runs, {ex['randomPhaseSteps']} random-phase steps, "
        f"{ex['settlePhaseSteps']} settle-phase steps",
        f"- {doc['bounded']['guarantee']}",
        *(f"- {line}" for line in scope_lines(doc)),
        "",
        "| invariant | kind | verdict | promise |",
        "|---|---|---|---|",
    ]
    for inv in doc["invariants"]:
        verdict = f"**{inv['verdict']}**" if inv["verdict"] == "violated" else inv["verdict"]
        lines.append(f"| {inv['name']} | {inv['kind']} | {verdict} | {inv['promise']} |")
    ex_doc = doc.get("exhaustive")
    if ex_doc is not None:
        lines += ["", "## Exhaustive search", "", exhaustive_line(ex_doc)]
        if ex_doc.get("caveat"):
            lines += ["", ex_doc["caveat"]]
    cx = doc["counterexample"]
    if cx is not None:
        lines += [
            "",
            "## Counterexample",
            "",
            f"{cx['invariant']}: {cx['message']}",
            "",
            *([cx["caveat"], ""] if cx.get("caveat") else []),
            f"{found_sentence(cx)}, minimised to {len(cx['steps'])} steps. Trace: [{cx['trace']}]({cx['trace']})",
            "",
            "```",
            cx["replay"] or "",
            "```",
            "",
            "| # | clock | step | what changed |",
            "|---|---|---|---|",
        ]
        for row in cx["steps"]:
            mark = f" **✗ {row['violation']}**" if row["violation"] else ""
            desc = row["description"].replace("|", "\\|")
            lines.append(f"| {row['index']} | {row['clock']}s | `{row['action']}` | {desc}{mark} |")
        lines += ["", "### Sequence", "", "```mermaid", mermaid(cx["sequence"]), "```"]
        if timeline_file:
            lines += ["", "### Timeline", "", f"![desired and ready replicas per step]({timeline_file})"]
    if doc["coverage"]:
        lines += [
            "",
            "## Coverage",
            "",
            f"{doc.get('abstractStates', 0)} distinct abstract states reached (the cluster's objects and "
            "running containers, ignoring clocks, heartbeats and caches).",
            "",
            "| step kind | times taken |",
            "|---|---|",
        ]
        for c in doc["coverage"]:
            lines.append(f"| {c['step']} | {c['count']} |")
    lines.append("")
    return "\n".join(lines)
