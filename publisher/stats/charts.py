"""Small static SVG charts for the report, drawn in Python at report time.

Hand-rolled rather than Altair + vl-convert: two chart shapes (rate lines over time, a
funnel of bars) are ~100 lines here, while the libraries add ~60 MB of wheels to a runtime
that otherwise needs none. Colours are CSS variables of the report page (``var(--ink)``
...), so the charts follow its light and dark schemes; every chart has a ``<title>`` and
its numbers are also in the report's table.
"""

from __future__ import annotations

import datetime as dt
from html import escape

W, H, PAD_L, PAD_R, PAD_T, PAD_B = 640, 220, 44, 16, 14, 30


def rate_lines(title: str, points: list[tuple[dt.date, float | None, float | None]]) -> str:
    """Open and click rate (percent) per send, over time: two lines with dots."""
    points = sorted(points)
    if not points:
        return ""
    top = max([10.0] + [v for _, a, b in points for v in (a, b) if v is not None])
    top = float(int(top / 10 + 1) * 10)
    first, last = points[0][0], points[-1][0]
    span = max((last - first).days, 1)

    def x(day: dt.date) -> float:
        if first == last:
            return PAD_L + (W - PAD_L - PAD_R) / 2
        return PAD_L + (W - PAD_L - PAD_R) * (day - first).days / span

    def y(value: float) -> float:
        return PAD_T + (H - PAD_T - PAD_B) * (1 - value / top)

    out = [f'<svg class="chart" viewBox="0 0 {W} {H}" role="img">'
           f'<title>{escape(title)}</title>']
    for tick in range(0, int(top) + 1, max(10, int(top) // 5 // 10 * 10 or 10)):
        out.append(f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                   'stroke="var(--rule)"/>'
                   f'<text x="{PAD_L - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick}%</text>')
    out.append(f'<text x="{PAD_L}" y="{H - 8}">{first.isoformat()}</text>')
    if last != first:
        out.append(f'<text x="{W - PAD_R}" y="{H - 8}" text-anchor="end">{last.isoformat()}</text>')
    for index, (name, css) in enumerate((("open", "var(--open)"), ("click", "var(--click)"))):
        coords = [(x(day), y(v)) for day, *values in points
                  if (v := values[index]) is not None]
        if not coords:
            continue
        dash = ' stroke-dasharray="6 4"' if index else ""
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in coords)
        out.append(f'<polyline class="line-{name}" fill="none" stroke="{css}" stroke-width="2"'
                   f'{dash} points="{path}"/>')
        out += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{css}"/>' for px, py in coords]
    out.append("</svg>")
    return "".join(out)


def funnel(title: str, steps: list[tuple[str, int | None]]) -> str:
    """Horizontal bars, each step as a share of the first (recipients)."""
    known = [(label, value) for label, value in steps if value is not None]
    if not known or not known[0][1]:
        return ""
    base = known[0][1]
    row, label_w, width = 22, 150, 420
    out = [f'<svg class="chart funnel" viewBox="0 0 {label_w + width + 90} {row * len(known) + 4}"'
           f' role="img"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(known):
        share = value / base
        top = i * row + 2
        out.append(f'<text x="{label_w - 8}" y="{top + 15}" text-anchor="end">'
                   f'{escape(label)}</text><rect x="{label_w}" y="{top}" '
                   f'width="{max(share * width, 1):.1f}" '
                   f'height="{row - 6}" fill="var(--bar)"/>'
                   f'<text x="{label_w + max(share * width, 1) + 6:.1f}" y="{top + 15}">'
                   f'{value} · {100 * share:.1f}%</text>')
    out.append("</svg>")
    return "".join(out)
