"""A grouped bar chart (current vs baseline, with the current 95 % intervals) as inline SVG."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PLOT_HEIGHT = 200
TOP = 40
LEFT = 44
GROUP = 78
BAR = 26
COLOURS = {"current": "#2563eb", "baseline": "#9ca3af"}


def bar_chart(rows: Sequence[tuple[str, float | None, float | None]], *,
              title: str = "Metrics (0-100 %)",
              intervals: Sequence[tuple[float, float] | None] | None = None) -> str:
    """SVG of (label, current, baseline) shares in 0..1; None draws no bar. `intervals`, one
    per row, draws the current bar's interval as a whisker."""
    has_baseline = any(b is not None for _, _, b in rows)
    width = LEFT + GROUP * len(rows) + 20
    height = TOP + PLOT_HEIGHT + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'font-family="sans-serif" font-size="11">',
             f"<title>{escape(title)}</title>"]
    parts.extend(_axis(width))
    for i, (label, current, baseline) in enumerate(rows):
        x = LEFT + GROUP * i + (GROUP - 2 * BAR) // 2
        interval = intervals[i] if intervals and i < len(intervals) else None
        parts.append(_bar(x, current, "current", label, interval))
        if has_baseline:
            parts.append(_bar(x + BAR, baseline, "baseline", label))
        centre = LEFT + GROUP * i + GROUP // 2
        parts.append(f'<text x="{centre}" y="{TOP + PLOT_HEIGHT + 16}" '
                     f'text-anchor="middle">{escape(label)}</text>')
    parts.extend(_legend(width, has_baseline))
    parts.append("</svg>")
    return "\n".join(parts)


def _axis(width: int) -> list[str]:
    out = []
    for pct in (0, 25, 50, 75, 100):
        y = TOP + PLOT_HEIGHT - PLOT_HEIGHT * pct // 100
        out.append(f'<line x1="{LEFT}" y1="{y}" x2="{width - 10}" y2="{y}" '
                   f'stroke="#e5e7eb" stroke-width="1"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4}" text-anchor="end" '
                   f'fill="#6b7280">{pct}%</text>')
    return out


def _y(value: float) -> int:
    """The y of a share in 0..1 on the plot."""
    return TOP + PLOT_HEIGHT - round(max(0.0, min(1.0, value)) * PLOT_HEIGHT)


def _bar(x: int, value: float | None, series: str, label: str,
         interval: tuple[float, float] | None = None) -> str:
    base = TOP + PLOT_HEIGHT
    if value is None:
        return (f'<text x="{x + BAR // 2}" y="{base - 4}" text-anchor="middle" '
                f'fill="#6b7280">n/a</text>')
    h = round(max(0.0, min(1.0, value)) * PLOT_HEIGHT)
    shown = f"{value * 100:.0f}"
    top = min(base - h, _y(interval[1])) if interval else base - h
    return (f'<g class="bar {series}"><rect x="{x}" y="{base - h}" width="{BAR - 2}" '
            f'height="{h}" fill="{COLOURS[series]}"><title>{escape(label)} ({series}): '
            f'{value * 100:.1f}%</title></rect>{_whisker(x + BAR // 2 - 1, interval)}'
            f'<text x="{x + BAR // 2 - 1}" y="{top - 3}" text-anchor="middle">'
            f"{shown}</text></g>")


def _whisker(x: int, interval: tuple[float, float] | None) -> str:
    """A vertical line from the interval's low to its high end, with caps."""
    if interval is None:
        return ""
    y_low, y_high = _y(interval[0]), _y(interval[1])
    return (f'<path class="interval" d="M{x} {y_low}V{y_high}M{x - 4} {y_low}H{x + 4}'
            f'M{x - 4} {y_high}H{x + 4}" stroke="#111827" stroke-width="1.2" fill="none">'
            f"<title>95 % interval {interval[0] * 100:.1f}–{interval[1] * 100:.1f}%</title>"
            "</path>")


def _legend(width: int, has_baseline: bool) -> list[str]:
    series = ["current", "baseline"] if has_baseline else ["current"]
    out = []
    for i, name in enumerate(series):
        x = width - 190 + i * 90
        out.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{COLOURS[name]}"/>'
                   f'<text x="{x + 16}" y="18">{escape(name)}</text>')
    return out
