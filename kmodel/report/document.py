"""The report document: one JSON-able dict per check run, the source every renderer reads.

It holds no wall-clock figures, so the same scenario and seed always give the same document
(and so the same Markdown and HTML bytes). Building it replays the counterexample to describe
each step, to draw the sequence of messages between the participants, and to sample the
quantities worth charting (desired versus ready replicas).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kmodel.api import CheckResult, ReplayResult, replay
from kmodel.k8s.invariants import caveat
from kmodel.k8s.metrics import workload_metrics
from kmodel.k8s.objects import HorizontalPodAutoscaler

API = "API server"
USER = "user"


def build(
    result: CheckResult, trace_file: Path | None, report_dir: Path, exhaustive: dict[str, Any] | None = None
) -> dict[str, Any]:
    sc = result.scenario
    model = sc.model()
    o = result.outcome
    failed = result.trace.violation.invariant if result.trace else None
    invariants = []
    for prop in model.properties():
        if failed is None:
            verdict = "held"
        elif prop.name == failed:
            verdict = "violated"
        elif prop.kind == "always":
            verdict = "held until the violation"
        else:
            verdict = "not checked (the failing run stopped first)"
        invariants.append(
            {
                "name": prop.name,
                "kind": "safety" if prop.kind == "always" else "liveness",
                "verdict": verdict,
                "promise": prop.description,
            }
        )
    doc: dict[str, Any] = {
        "scenario": sc.name,
        "description": sc.description,
        "verdict": "violated" if not result.held else ("interrupted" if o.interrupted else "held"),
        "seed": result.seed,
        "budget": {"runs": result.examples, "stepsPerRun": result.steps},
        "explored": {"runs": o.runs, "randomPhaseSteps": o.model_steps, "settlePhaseSteps": o.settle_steps},
        "bounded": _bounded(result),
        "coverage": [{"step": op, "count": n} for op, n in o.op_counts],
        "abstractStates": o.abstract_states,
        "invariants": invariants,
        "counterexample": None,
    }
    scope = not_modelled_notes(sc)
    if scope:  # keys only where they apply: other reports keep their bytes
        doc.update(scope)
    faults = sc.config.faults
    if exhaustive is not None:
        doc["exhaustive"] = exhaustive
        # the summary keeps no steps: a fault the scenario enables is enough here
        note = caveat(exhaustive["violation"]["invariant"], faults) if exhaustive.get("violation") else None
        if note is not None:  # the key only where it applies: other reports keep their bytes
            doc["exhaustive"] = {**exhaustive, "caveat": note}
    if result.trace is not None:
        doc["counterexample"] = _counterexample(result, model, trace_file, report_dir)
        note = caveat(result.trace.violation.invariant, faults, (step.op for step in result.trace.steps))
        if note is not None:
            doc["counterexample"]["caveat"] = note
    return doc


def not_modelled_notes(sc: Any) -> dict[str, list[str]]:
    """What the scenario holds that the check did not exercise: ``notModelled``, the inert objects
    (stored, used by no component), and ``metricsNotEvaluated``, each HPA metric other than the
    cpu one the HPA acts on. Only the keys that have entries."""
    out: dict[str, list[str]] = {}
    if sc.inert:
        out["notModelled"] = list(sc.inert)
    metrics = [
        f"HorizontalPodAutoscaler {o.meta.namespace}/{o.meta.name}: {m}"
        for o in sc.config.objects
        if isinstance(o, HorizontalPodAutoscaler)
        for m in o.spec.not_evaluated()
    ]
    if metrics:
        out["metricsNotEvaluated"] = metrics
    return out


def scope_lines(doc: dict[str, Any]) -> list[str]:
    """The report's lines for ``not_modelled_notes``."""
    lines = []
    if doc.get("notModelled"):
        lines.append(f"present, not modelled: {', '.join(doc['notModelled'])}")
    if doc.get("metricsNotEvaluated"):
        lines.append(f"HPA metrics not evaluated: {', '.join(doc['metricsNotEvaluated'])}")
    return lines


def found_sentence(cx: dict[str, Any]) -> str:
    """How the counterexample was found, for the Markdown and HTML reports."""
    if cx.get("foundBy") == "bounded":
        return (
            f"Found by the deviation-bounded search (after {cx['foundAfterRuns']} random runs held) in a "
            f"schedule of {cx['foundRunSteps']} steps"
        )
    return f"Found after {cx['foundAfterRuns']} runs in a run of {cx['foundRunSteps']} steps"


def _bounded(result: CheckResult) -> dict[str, Any]:
    """What the deviation-bounded search covered (``kmodel.core.bounded``), with its guarantee line."""
    b = result.bounded
    if b is None:
        return {"ran": False, "guarantee": result.guarantee}
    return {
        "ran": True,
        "guarantee": result.guarantee,
        "deviations": b.bound,
        "covered": b.covered,
        "complete": b.complete,
        "schedules": b.schedules,
        "distinctStates": b.points,
        "steps": b.steps_run,
        "counterexampleDeviations": b.deviations if b.violation is not None else None,
    }


def _counterexample(result: CheckResult, model: Any, trace_file: Path | None, report_dir: Path) -> dict[str, Any]:
    trace = result.trace
    assert trace is not None
    replayed = replay(trace, sample=workload_metrics)
    rows = []
    for row in replayed.rows:
        rows.append(
            {
                "index": row.index,
                "clock": row.clock,
                "action": str(row.action),
                "op": row.action.op,
                "args": dict(row.action.args),
                "description": row.description,
                "changes": [
                    {"clock": clock, "action": str(a), "description": d}
                    for a, d, clock, progressed in row.sub
                    if progressed
                ],
                "violation": row.violation.invariant if row.violation else None,
            }
        )
    rel = None
    if trace_file is not None:
        try:
            rel = str(trace_file.resolve().relative_to(report_dir.resolve()))
        except ValueError:
            rel = str(trace_file)
    return {
        "invariant": trace.violation.invariant,
        "message": trace.violation.message,
        "foundBy": result.found_by,
        "foundAfterRuns": result.outcome.first_failure_run if result.found_by == "random" else result.outcome.runs,
        "foundRunSteps": result.found_steps,
        "steps": rows,
        "trace": rel,
        "replay": f"kmodel replay {trace_file}" if trace_file is not None else None,
        "sequence": sequence(rows, {spec.op for spec in model.action_space() if spec.category == "fault"}),
        "timeline": timeline(replayed),
    }


def _participant(op: str, args: dict[str, Any]) -> str:
    component = args.get("component")
    if isinstance(component, str):
        return component
    node = args.get("node")
    if isinstance(node, str):
        return f"kubelet/{node}"
    return USER


def sequence(rows: list[dict[str, Any]], fault_ops: set[str]) -> list[dict[str, str]]:
    """The counterexample as messages between participants: ``{"from", "to", "text"}`` or
    ``{"note", "over"}``. Reconciles become one message per API call; deliveries a message from
    the API server; faults notes over their target."""
    out: list[dict[str, str]] = []
    for row in rows:
        op, args = row["op"], row["args"]
        who = _participant(op, args)
        parts = [p.strip() for p in row["description"].split(";") if p.strip()]
        if op == "tick":
            out.append({"note": row["description"], "over": API})
        elif op == "settle":
            out.append({"note": f"fair settle phase until t={row['clock']}s", "over": API})
            for change in row["changes"]:
                inner = change["action"]
                comp = inner[inner.find("component=") + 10 : -1] if "component=" in inner else API
                for part in change["description"].split(";"):
                    text = part.strip().removeprefix(f"{comp}: ")
                    if text:
                        out.append({"from": comp, "to": API, "text": f"t={change['clock']}s {text}"})
        elif op in ("deliver", "deliver_coalesced"):
            out.append({"from": API, "to": who, "text": parts[0].removeprefix(f"{who} sees ") if parts else op})
        elif op in ("reconcile", "reconcile_lossy", "restart"):
            for part in parts:
                out.append({"from": who, "to": API, "text": part.removeprefix(f"{who}: ")})
        elif op in fault_ops:
            out.append({"note": row["description"], "over": who})
        else:
            out.append({"from": USER, "to": API, "text": row["description"]})
        if row["violation"]:
            out.append({"note": f"✗ {row['violation']} broken", "over": API})
    return out


def participants(seq: list[dict[str, str]]) -> list[str]:
    seen: list[str] = [USER, API]
    for m in seq:
        for key in ("from", "to", "over"):
            v = m.get(key)
            if v and v not in seen:
                seen.append(v)
    return seen


def mermaid(seq: list[dict[str, str]]) -> str:
    """A Mermaid ``sequenceDiagram`` (GitHub renders it in Markdown)."""
    ids = {p: f"P{i}" for i, p in enumerate(participants(seq))}
    lines = ["sequenceDiagram"]
    for p, pid in ids.items():
        lines.append(f"    participant {pid} as {_mermaid_text(p)}")
    for m in seq:
        if "note" in m:
            lines.append(f"    Note over {ids[m['over']]}: {_mermaid_text(m['note'])}")
        else:
            lines.append(f"    {ids[m['from']]}->>{ids[m['to']]}: {_mermaid_text(m['text'])}")
    return "\n".join(lines)


def _mermaid_text(text: str) -> str:
    # Mermaid treats ';' and '#' specially in messages; keep them readable and safe.
    return text.replace(";", ",").replace("#", "no.").replace("\n", " ")


def timeline(replayed: ReplayResult) -> dict[str, Any]:
    """Per step (0 = the initial state): the clock and the ``workload_metrics`` the replay
    sampled after that step."""
    points = [{"step": 0, "clock": replayed.initial_clock, **dict(replayed.initial_sample)}]
    points.extend({"step": row.index, "clock": row.clock, **dict(row.sample)} for row in replayed.rows)
    series = sorted({k for p in points for k in p if k not in ("step", "clock")})
    return {"series": series, "points": points}


def exhaustive_line(ex: dict[str, Any]) -> str:
    """One sentence on a bounded exhaustive search, for every renderer."""
    head = f"{ex['distinct']} distinct states ({ex['states']} visited), depth {ex['depth']}"
    if ex["verdict"] == "held":
        return f"Every reachable state was explored: {head}; all invariants held."
    if ex["verdict"] == "bound":
        return f"Stopped at the bound ({ex['bound']}) after {head}; no violation within it."
    v = ex["violation"]
    loop, steps = ex.get("loopStart"), ex["traceSteps"]
    if loop is not None and loop < steps:  # a liveness lasso with a cycle
        return (
            f"{head}: {v['invariant']} violated; counterexample a lasso of {loop} steps, then a cycle of "
            f"{steps - loop} steps that repeats forever under fair scheduling."
        )
    return f"{head}: {v['invariant']} violated; shortest counterexample {steps} steps."
