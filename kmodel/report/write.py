"""Writing a run's reports: JSON (the source of truth), Markdown, HTML, the timeline SVG and an
index page across scenarios. Every file is written atomically, so a half-written report never
replaces a good one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kmodel.api import CheckResult
from kmodel.report.document import build
from kmodel.report.html import render_html, render_index
from kmodel.report.markdown import render_document
from kmodel.report.svg import timeline_svg
from kmodel.yamlio import write_atomic


def write_reports(
    result: CheckResult, trace_file: Path | None, out: Path, exhaustive: dict[str, Any] | None = None
) -> Path:
    """Write ``<scenario>.json/.md/.html`` (and ``.timeline.svg``) under ``out``; refresh
    ``index.html``. Returns the Markdown report's path."""
    doc = build(result, trace_file, out, exhaustive)
    name = doc["scenario"]
    timeline_name = None
    cx = doc["counterexample"]
    if cx is not None and cx["timeline"]["series"]:
        timeline_name = f"{name}.timeline.svg"
        write_atomic(out / timeline_name, timeline_svg(cx["timeline"]) + "\n")
    write_atomic(out / f"{name}.json", json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    md = out / f"{name}.md"
    write_atomic(md, render_document(doc, timeline_name))
    write_atomic(out / f"{name}.html", render_html(doc))
    write_index(out)
    return md


def write_index(out: Path) -> None:
    entries = []
    for path in sorted(out.glob("*.json")):
        if path.name.endswith(".explore.json"):
            continue
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(doc, dict) or "scenario" not in doc or "verdict" not in doc:
            continue
        cx = doc.get("counterexample") or {}
        entries.append({"scenario": doc["scenario"], "verdict": doc["verdict"], "invariant": cx.get("invariant")})
    write_atomic(out / "index.html", render_index(entries))
