"""Writing a run's reports: JSON (the source of truth), Markdown, HTML, the timeline SVG and an
index page across scenarios. A scenario's files are written together or not at all
(``kmodel.staging``), so a half-written report never replaces a good one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kmodel.api import CheckResult
from kmodel.report.document import build
from kmodel.report.html import render_html, render_index
from kmodel.report.markdown import render_document
from kmodel.report.svg import timeline_svg
from kmodel.staging import Staging


def write_reports(
    result: CheckResult,
    trace_file: Path | None,
    out: Path,
    exhaustive: dict[str, Any] | None = None,
    *,
    staging: Staging | None = None,
) -> Path:
    """Write ``<scenario>.json/.md/.html`` (and ``.timeline.svg``) under ``out``; refresh
    ``index.html``. Returns the Markdown report's path.

    With ``staging`` the files join that run's (the caller commits them); without, they are
    committed together here.
    """
    if staging is None:
        with Staging(out) as own:
            md = write_reports(result, trace_file, out, exhaustive, staging=own)
            own.commit()
        return md
    doc = build(result, trace_file, out, exhaustive)
    name = doc["scenario"]
    timeline_name = None
    cx = doc["counterexample"]
    if cx is not None and cx["timeline"]["series"]:
        timeline_name = f"{name}.timeline.svg"
        staging.write(out / timeline_name, timeline_svg(cx["timeline"]) + "\n")
    staging.write(out / f"{name}.json", json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    md = out / f"{name}.md"
    staging.write(md, render_document(doc, timeline_name))
    staging.write(out / f"{name}.html", render_html(doc))
    write_index(out, staging)
    return md


def write_index(out: Path, staging: Staging | None = None) -> None:
    """``index.html`` over every scenario report under ``out``: those of this run (staged) and
    those already there."""
    if staging is None:
        with Staging(out) as own:
            write_index(out, own)
            own.commit()
        return
    entries = []
    for path in staging.glob("*.json"):
        if path.name.endswith(".explore.json"):
            continue
        try:
            doc = json.loads(staging.read_text(path))
        except (OSError, ValueError):
            continue
        if not isinstance(doc, dict) or "scenario" not in doc or "verdict" not in doc:
            continue
        cx = doc.get("counterexample") or {}
        entries.append({"scenario": doc["scenario"], "verdict": doc["verdict"], "invariant": cx.get("invariant")})
    staging.write(out / "index.html", render_index(entries))
