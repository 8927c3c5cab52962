"""Small, deterministic SVG drawings for reports: a sequence diagram and a step chart.

Hand-written on purpose: the HTML report must open offline and be byte-reproducible. Mermaid
renders only with its JavaScript runtime (megabytes to inline) and matplotlib is a large
dependency for two simple figures whose SVG output embeds ids and dates unless configured; both
drawings here are a few dozen lines of plain SVG.
"""

from __future__ import annotations

from html import escape
from typing import Any

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f")


def sequence_svg(participants: list[str], seq: list[dict[str, str]]) -> str:
    col = 170
    row = 26
    top = 40
    width = col * len(participants) + 40
    height = top + row * (len(seq) + 1) + 20
    x = {p: 20 + col * i + col // 2 for i, p in enumerate(participants)}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sequence" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="8" refY="4" orient="auto">'
        '<path d="M0,0 L8,4 L0,8 z" fill="#333"/></marker></defs>',
    ]
    for p in participants:
        out.append(
            f'<text x="{x[p]}" y="20" text-anchor="middle" font-weight="bold">{escape(p)}</text>'
            f'<line x1="{x[p]}" y1="28" x2="{x[p]}" y2="{height - 10}" stroke="#bbb" stroke-dasharray="4 3"/>'
        )
    for i, m in enumerate(seq):
        y = top + row * i + 10
        if "note" in m:
            cx = x[m["over"]]
            text = escape(_clip(m["note"], 70))
            out.append(
                f'<rect x="{cx - 160}" y="{y - 12}" width="320" height="18" fill="#fff8c5" stroke="#d4a72c"/>'
                f'<text x="{cx}" y="{y + 1}" text-anchor="middle">{text}</text>'
            )
            continue
        x1, x2 = x[m["from"]], x[m["to"]]
        if x1 == x2:
            x2 = x1 + 30
        mid = (x1 + x2) // 2
        out.append(
            f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="#333" marker-end="url(#arrow)"/>'
            f'<text x="{mid}" y="{y - 4}" text-anchor="middle">{escape(_clip(m["text"], 60))}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def timeline_svg(timeline: dict[str, Any]) -> str:
    """A step chart of each series over the trace's steps."""
    points = timeline["points"]
    series = timeline["series"]
    if not points or not series:
        return ""
    w, h, left, bottom = 640, 260, 50, 40
    top = 20
    steps = len(points) - 1 or 1
    ymax = max(1, *(p.get(s, 0) for p in points for s in series))
    sx = (w - left - 20) / steps
    sy = (h - top - bottom) / ymax

    def px(i: int) -> float:
        return round(left + i * sx, 1)

    def py(v: int) -> float:
        return round(h - bottom - v * sy, 1)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{w}" height="{h + 20 * len(series)}" '
        f'viewBox="0 0 {w} {h + 20 * len(series)}" font-family="sans-serif" font-size="11">',
        f'<line x1="{left}" y1="{h - bottom}" x2="{w - 10}" y2="{h - bottom}" stroke="#333"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="#333"/>',
    ]
    for v in range(ymax + 1):
        out.append(f'<text x="{left - 6}" y="{py(v) + 4}" text-anchor="end">{v}</text>')
    for i, p in enumerate(points):
        out.append(f'<text x="{px(i)}" y="{h - bottom + 14}" text-anchor="middle">{p["step"]}</text>')
    out.append(f'<text x="{(w + left) // 2}" y="{h - 8}" text-anchor="middle">step</text>')
    for k, s in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        coords = []
        for i, p in enumerate(points):
            v = p.get(s, 0)
            if i > 0:
                coords.append(f"{px(i)},{py(points[i - 1].get(s, 0))}")
            coords.append(f"{px(i)},{py(v)}")
        dash = ' stroke-dasharray="6 3"' if s.endswith("desired") else ""
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2"{dash} points="{" ".join(coords)}"/>')
        ly = h + 14 + 20 * k
        out.append(
            f'<line x1="{left}" y1="{ly - 4}" x2="{left + 24}" y2="{ly - 4}" stroke="{color}" stroke-width="2"{dash}/>'
            f'<text x="{left + 30}" y="{ly}">{escape(s)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
