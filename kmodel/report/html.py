"""One self-contained HTML file per report: inline CSS and SVG, no scripts, no network.

Rendered from the report document, like the Markdown; the sequence diagram and the timeline
are drawn as inline SVG (``kmodel.report.svg``).
"""

from __future__ import annotations

from html import escape
from typing import Any

from kmodel.report.document import exhaustive_line, found_sentence, participants, scope_lines
from kmodel.report.svg import sequence_svg, timeline_svg

CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}
th{background:#f3f3f3}.violated{color:#b00;font-weight:bold}.held{color:#070;font-weight:bold}
code,pre{background:#f6f8fa;padding:2px 4px}.figure{overflow-x:auto;border:1px solid #eee;padding:8px}
"""


def render_html(doc: dict[str, Any]) -> str:
    e = escape
    verdict = doc["verdict"]
    ex = doc["explored"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>kmodel report: {e(doc['scenario'])}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>kmodel report: {e(doc['scenario'])}</h1>",
        f"<p>{e(doc['description'])}</p>" if doc["description"] else "",
        f'<p>Verdict: <span class="{e(verdict)}" id="verdict">{e(verdict)}</span>. Seed {doc["seed"]}; '
        f"budget {doc['budget']['runs']} runs × up to {doc['budget']['stepsPerRun']} steps; explored "
        f"{ex['runs']} runs, {ex['randomPhaseSteps']} random-phase and "
        f"{ex['settlePhaseSteps']} settle-phase steps.</p>",
        f'<p class="guarantee" id="guarantee">{e(doc["bounded"]["guarantee"])}.</p>',
        *(f'<p class="scope">{e(line)}.</p>' for line in scope_lines(doc)),
        '<table id="invariants"><tr><th>invariant</th><th>kind</th><th>verdict</th><th>promise</th></tr>',
    ]
    for inv in doc["invariants"]:
        cls = "violated" if inv["verdict"] == "violated" else ("held" if inv["verdict"] == "held" else "")
        parts.append(
            f"<tr><td>{e(inv['name'])}</td><td>{e(inv['kind'])}</td>"
            f'<td class="{cls}">{e(inv["verdict"])}</td><td>{e(inv["promise"])}</td></tr>'
        )
    parts.append("</table>")
    if doc.get("exhaustive") is not None:
        parts.append(f'<h2>Exhaustive search</h2><p id="exhaustive">{e(exhaustive_line(doc["exhaustive"]))}</p>')
        if doc["exhaustive"].get("caveat"):
            parts.append(f'<p class="caveat" id="exhaustive-caveat">{e(doc["exhaustive"]["caveat"])}</p>')
    cx = doc["counterexample"]
    if cx is not None:
        parts += [
            "<h2>Counterexample</h2>",
            f'<p class="violated">{e(cx["invariant"])}: {e(cx["message"])}</p>',
            f'<p class="caveat" id="caveat">{e(cx["caveat"])}</p>' if cx.get("caveat") else "",
            f"<p>{e(found_sentence(cx))}, minimised to "
            f"{len(cx['steps'])} steps. Replay: <code>{e(cx['replay'] or '')}</code></p>",
            '<table id="steps"><tr><th>#</th><th>clock</th><th>step</th><th>what changed</th></tr>',
        ]
        for row in cx["steps"]:
            mark = f' <span class="violated">✗ {e(row["violation"])}</span>' if row["violation"] else ""
            changes = "".join(
                f"<br><small>t={c['clock']}s {e(c['action'])}: {e(c['description'])}</small>" for c in row["changes"]
            )
            parts.append(
                f"<tr><td>{row['index']}</td><td>{row['clock']}s</td><td><code>{e(row['action'])}</code></td>"
                f"<td>{e(row['description'])}{mark}{changes}</td></tr>"
            )
        parts += [
            "</table>",
            "<h3>Sequence</h3>",
            f'<div class="figure" id="sequence">{sequence_svg(participants(cx["sequence"]), cx["sequence"])}</div>',
            "<h3>Timeline</h3>",
            f'<div class="figure" id="timeline">{timeline_svg(cx["timeline"])}</div>',
        ]
    if doc["coverage"]:
        parts.append(
            f"<h2>Coverage</h2><p>{doc.get('abstractStates', 0)} distinct abstract states reached.</p>"
            '<table id="coverage"><tr><th>step kind</th><th>times taken</th></tr>'
        )
        parts += [f"<tr><td>{e(c['step'])}</td><td>{c['count']}</td></tr>" for c in doc["coverage"]]
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(p for p in parts if p)


def render_index(entries: list[dict[str, Any]]) -> str:
    """An index page across scenarios: name, verdict, broken invariant, links."""
    e = escape
    rows = "".join(
        f'<tr><td><a href="{e(x["scenario"])}.html">{e(x["scenario"])}</a></td>'
        f'<td class="{e(x["verdict"])}">{e(x["verdict"])}</td><td>{e(x.get("invariant") or "")}</td></tr>'
        for x in entries
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>kmodel reports</title>'
        f"<style>{CSS}</style></head><body><h1>kmodel reports</h1>"
        f'<table id="index"><tr><th>scenario</th><th>verdict</th><th>invariant</th></tr>{rows}</table></body></html>\n'
    )
