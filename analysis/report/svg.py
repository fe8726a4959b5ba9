"""Inline SVG charts for the HTML report: axes with ticks and unit labels, linear or log scales, stacked bars,
scatter plots with roof lines, legends. Plain strings out, nothing imported: no matplotlib, no network.

``render(chart)`` draws an ``analysis.chartspec`` chart (the spec ``analysis.chart_mpl`` draws with matplotlib):
each axis title carries ``data-axis`` (x, y) and ``data-scale`` (linear, log) attributes.

Every chart is a ``<svg>`` element with a ``viewBox`` (it scales with the page and prints sharply); text is
escaped; each mark can carry a ``<title>`` shown on hover.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from analysis.chartspec import Bars, Line, Mark, Scatter, padded, si, span_decades  # noqa: F401 (re-exported)

FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
AXIS = "#444"
GRID = "#e3e3e3"
HALO = ' stroke="#fff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"'  # labels stay legible over lines
# colour-blind-safe palette (Okabe-Ito and Tableau 10 picks), distinct in greyscale print by lightness
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442", "#7f7f7f", "#8c564b",
           "#17becf", "#bcbd22", "#9467bd")


def esc(text) -> str:
    return escape(str(text), quote=True)


@dataclass
class Scale:
    """Maps a data interval onto a pixel interval, linearly or logarithmically (base 10)."""

    lo: float
    hi: float
    p0: float
    p1: float
    log: bool = False

    def __post_init__(self):
        if self.log:
            self.lo, self.hi = max(self.lo, 1e-300), max(self.hi, 1e-300)
        if self.hi <= self.lo:
            self.hi = self.lo * 10 if self.log else self.lo + 1

    def __call__(self, v: float) -> float:
        if self.log:
            v = max(v, 1e-300)
            t = (math.log10(v) - math.log10(self.lo)) / (math.log10(self.hi) - math.log10(self.lo))
        else:
            t = (v - self.lo) / (self.hi - self.lo)
        return self.p0 + t * (self.p1 - self.p0)

    def ticks(self, n: int = 5) -> list[float]:
        if self.log:
            a, b = math.floor(math.log10(self.lo) + 1e-9), math.ceil(math.log10(self.hi) - 1e-9)
            step = max(1, math.ceil((b - a) / 8))
            out = [10.0 ** e for e in range(a, b + 1, step)]
            if b - a <= 2:
                out = sorted(set(out + [m * 10.0 ** e for e in range(a, b + 1) for m in (2, 5)]))
            return [t for t in out if self.lo * (1 - 1e-9) <= t <= self.hi * (1 + 1e-9)]
        return nice_ticks(self.lo, self.hi, n)


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round ticks (1, 2, 5 x 10^k steps) covering [lo, hi]."""
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    out, t = [], first
    while t <= hi + step * 1e-9:
        out.append(0.0 if abs(t) < step * 1e-9 else t)
        t += step
    return out


def text(x, y, s, size=12, anchor="start", weight="normal", color="#222", rotate=None, extra="") -> str:
    rot = f' transform="rotate({rotate} {x:.1f} {y:.1f})"' if rotate is not None else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
            f'fill="{color}"{rot}{extra}>{esc(s)}</text>')


def svg_open(width: float, height: float, label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
            f'role="img" aria-label="{esc(label).replace(chr(10), "&#10;")}" style="{FONT};max-width:100%;height:auto">')


def axes(x: Scale, y: Scale, x_label: str, y_label: str, fmt=si, x_ticks=None, y_ticks=None) -> str:
    """Frame, grid, tick labels and axis titles for a plot area spanning x.p0..x.p1, y.p1..y.p0."""
    left, right, top, bottom = x.p0, x.p1, y.p1, y.p0
    out = [f'<rect x="{left:.1f}" y="{top:.1f}" width="{right - left:.1f}" height="{bottom - top:.1f}" '
           f'fill="none" stroke="{AXIS}"/>']
    for t in x_ticks if x_ticks is not None else x.ticks():
        px = x(t)
        out.append(f'<line x1="{px:.1f}" y1="{top:.1f}" x2="{px:.1f}" y2="{bottom:.1f}" stroke="{GRID}"/>')
        out.append(text(px, bottom + 16, fmt(t), 11, "middle", color=AXIS))
    for t in y_ticks if y_ticks is not None else y.ticks():
        py = y(t)
        out.append(f'<line x1="{left:.1f}" y1="{py:.1f}" x2="{right:.1f}" y2="{py:.1f}" stroke="{GRID}"/>')
        out.append(text(left - 6, py + 4, fmt(t), 11, "end", color=AXIS))
    out.append(text((left + right) / 2, bottom + 36, x_label, 12, "middle", "600", extra=_axis_attrs("x", x.log)))
    out.append(text(left - 52, (top + bottom) / 2, y_label, 12, "middle", "600", rotate=-90,
                    extra=_axis_attrs("y", y.log)))
    return "".join(out)


def _axis_attrs(which: str, log: bool) -> str:
    scale = "log" if log else "linear"
    return f' data-axis="{which}" data-scale="{scale}"'


def legend(items: list[tuple[str, str]], x: float, y: float, width: float, marker: str = "rect") -> tuple[str, float]:
    """Legend entries (label, colour[, marker]) flowing left to right within ``width``; ``marker`` (one of
    ``chartspec.LEGEND_MARKERS``) for the entries that name none; returns (svg, height used)."""
    out, cx, cy = [], x, y
    for item in items:
        label, color = item[0], item[1]
        kind = item[2] if len(item) > 2 else marker
        w = 18 + 6.6 * len(label) + 14
        if cx + w > x + width and cx > x:
            cx, cy = x, cy + 18
        if kind == "square":
            out.append(f'<rect x="{cx + 1:.1f}" y="{cy - 8:.1f}" width="10" height="10" fill="{color}"/>')
        elif kind == "hollow":
            out.append(f'<circle cx="{cx + 6:.1f}" cy="{cy - 3:.1f}" r="4.5" fill="none" stroke="{color}"/>')
        elif kind == "dash":
            out.append(f'<line x1="{cx:.1f}" y1="{cy - 3:.1f}" x2="{cx + 14:.1f}" y2="{cy - 3:.1f}" stroke="{color}" '
                       f'stroke-width="2" stroke-dasharray="4,3"/>')
        elif kind == "rect":
            out.append(f'<rect x="{cx:.1f}" y="{cy - 9:.1f}" width="12" height="12" fill="{color}"/>')
        elif kind == "line":
            out.append(f'<line x1="{cx:.1f}" y1="{cy - 3:.1f}" x2="{cx + 14:.1f}" y2="{cy - 3:.1f}" stroke="{color}" '
                       f'stroke-width="2.5"/>')
        else:
            out.append(f'<circle cx="{cx + 6:.1f}" cy="{cy - 3:.1f}" r="5" fill="{color}"/>')
        out.append(text(cx + 18, cy + 1, label, 11))
        cx += w
    return "".join(out), cy - y + 18


def stacked_bars(rows: list[tuple[str, list[float]]], series: list[tuple[str, str]], x_label: str,
                 title: str = "", width: float = 900, bar: float = 18, label_width: float = 150,
                 tooltip=None, show_total=None) -> str:
    """Horizontal stacked bars: one row per (label, values per series), a linear x axis from 0 with its unit
    label, a legend of the series that appear. ``tooltip(row, series, value)`` gives each segment's hover text;
    ``show_total(total, row index)`` the text printed after each bar."""
    used = [i for i in range(len(series)) if any(vals[i] > 0 for _, vals in rows)]
    leg, leg_h = legend([series[i] for i in used], label_width, 20, width - label_width - 10)
    top = 20 + leg_h + 6
    height = top + len(rows) * (bar + 6) + 50
    total_max = max((sum(v for v in vals if v > 0) for _, vals in rows), default=1.0) or 1.0
    x = Scale(0.0, total_max * 1.12, label_width, width - 20)
    y = Scale(0.0, 1.0, top + len(rows) * (bar + 6) + 4, top)
    out = [svg_open(width, height, title or x_label), leg]
    for t in x.ticks(6):
        out.append(f'<line x1="{x(t):.1f}" y1="{top:.1f}" x2="{x(t):.1f}" y2="{y.p0:.1f}" stroke="{GRID}"/>')
        out.append(text(x(t), y.p0 + 16, si(t), 11, "middle", color=AXIS))
    out.append(f'<line x1="{x.p0:.1f}" y1="{top:.1f}" x2="{x.p0:.1f}" y2="{y.p0:.1f}" stroke="{AXIS}"/>')
    out.append(f'<line x1="{x.p0:.1f}" y1="{y.p0:.1f}" x2="{x.p1:.1f}" y2="{y.p0:.1f}" stroke="{AXIS}"/>')
    out.append(text((x.p0 + x.p1) / 2, y.p0 + 36, x_label, 12, "middle", "600", extra=_axis_attrs("x", False)))
    for r, (label, vals) in enumerate(rows):
        yy = top + 4 + r * (bar + 6)
        out.append(text(label_width - 8, yy + bar * 0.72, label, 11.5, "end"))
        acc = 0.0
        for i in used:
            v = vals[i]
            if v <= 0:
                continue
            x0, x1 = x(acc), x(acc + v)
            tip = tooltip(label, series[i][0], v) if tooltip else f"{label}: {series[i][0]} {si(v)}"
            out.append(f'<rect x="{x0:.2f}" y="{yy:.1f}" width="{max(x1 - x0, 0.4):.2f}" height="{bar}" '
                       f'fill="{series[i][1]}"><title>{esc(tip)}</title></rect>')
            acc += v
        if show_total:
            out.append(text(x(acc) + 5, yy + bar * 0.72, show_total(acc, r), 10.5, color=AXIS))
    out.append("</svg>")
    return "".join(out)


def scatter(marks: list[Mark], x_label: str, y_label: str, lines: list[Line] = (), log_x: bool = False,
            log_y: bool = False, width: float = 900, height: float = 520, title: str = "",
            legend_items: list[tuple[str, str]] = (), x_range=None, y_range=None) -> str:
    """A scatter plot with optional lines, axis titles with units, log axes on request, a legend above."""
    left, right = 86, width - 24
    leg, leg_h = legend(list(legend_items), left, 20, right - left, "dot") if legend_items else ("", 0)
    top, bottom = 24 + leg_h, height - 52
    xs = [m.x for m in marks] + [v for ln in lines for v in ln.xs]
    ys = [m.y for m in marks] + [v for ln in lines for v in ln.ys]
    if log_x:
        xs = [v for v in xs if v > 0]
    if log_y:
        ys = [v for v in ys if v > 0]
    xr = x_range or padded(min(xs, default=1), max(xs, default=10), log_x)
    yr = y_range or padded(min(ys, default=1), max(ys, default=10), log_y)
    x = Scale(xr[0], xr[1], left, right, log_x)
    y = Scale(yr[0], yr[1], bottom, top, log_y)
    clip = f"clip{abs(hash((title, x_label, y_label, len(marks)))) % 10 ** 8}"
    out = [svg_open(width, height, title or f"{y_label} vs {x_label}"), leg, axes(x, y, x_label, y_label),
           f'<clipPath id="{clip}"><rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}"/>'
           f'</clipPath><g clip-path="url(#{clip})">']
    for ln in lines:
        pts = list(zip(ln.xs, ln.ys))
        if ln.step:
            stepped = []
            for (a, b), (c, _) in zip(pts, pts[1:] + [(None, None)]):
                stepped.append((a, b))
                if c is not None:
                    stepped.append((c, b))
            pts = stepped
        path = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in pts if (a > 0 or not log_x) and (b > 0 or not log_y))
        dash = f' stroke-dasharray="{ln.dash}"' if ln.dash else ""
        out.append(f'<polyline points="{path}" fill="none" stroke="{ln.color}" stroke-width="{ln.width}"{dash}>'
                   f'<title>{esc(ln.label)}</title></polyline>')
    for m in marks:
        if (log_x and m.x <= 0) or (log_y and m.y <= 0):
            continue
        px, py = x(m.x), y(m.y)
        tip = f"<title>{esc(m.tip)}</title>" if m.tip else ""
        if m.shape == "square":
            s = m.size
            out.append(f'<rect x="{px - s:.1f}" y="{py - s:.1f}" width="{2 * s:.1f}" height="{2 * s:.1f}" '
                       f'fill="{m.color}" stroke="#fff" stroke-width="0.8">{tip}</rect>')
        elif m.shape == "diamond":
            s = m.size * 1.25
            out.append(f'<polygon points="{px:.1f},{py - s:.1f} {px + s:.1f},{py:.1f} {px:.1f},{py + s:.1f} '
                       f'{px - s:.1f},{py:.1f}" fill="{m.color}" stroke="#fff" stroke-width="0.8">{tip}</polygon>')
        elif m.hollow:
            out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{m.size:.1f}" fill="none" stroke="{m.color}" '
                       f'stroke-width="1.2">{tip}</circle>')
        else:
            out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{m.size:.1f}" fill="{m.color}" stroke="#fff" '
                       f'stroke-width="0.8" fill-opacity="0.9">{tip}</circle>')
    out.append("</g>")
    placed: list[float] = []
    for ln in sorted((ln for ln in lines if ln.label_at), key=lambda ln: y(ln.label_at[1])):
        lx, ly = ln.label_at
        py = y(ly) - 5
        while any(abs(py - q) < 12 for q in placed):
            py += 12
        placed.append(py)
        if ln.label_anchor == "start":
            out.append(text(max(x(lx), left) + 4, py, ln.label, 11, "start", "600", ln.color, extra=HALO))
        else:
            out.append(text(min(x(lx), right - 4), py, ln.label, 11, "end", "600", ln.color, extra=HALO))
    out += _labels([m for m in marks if m.label], x, y, right)
    out.append("</svg>")
    return "".join(out)


def _labels(marks: list[Mark], x: Scale, y: Scale, right: float) -> list[str]:
    """Point labels: beside, above or below their point, whichever first overlaps no label or labelled point so
    far; failing all, nudged down with a leader line."""
    out, boxes = [], [(x(m.x) - 5, y(m.y) - 5, 10, 10) for m in marks]

    def free(bx, by, bw, bh):
        return all(bx + bw <= ox or bx >= ox + ow or by + bh <= oy or by >= oy + oh for ox, oy, ow, oh in boxes)

    for m in sorted(marks, key=lambda m: (y(m.y), x(m.x))):
        px, py = x(m.x), y(m.y)
        w = 6.0 * len(m.label)
        spots = [(px + 8, py + 4), (px - 8 - w, py + 4), (px + 6, py - 8), (px + 6, py + 17), (px - 6 - w, py - 8),
                 (px - 6 - w, py + 17)]
        spots = [(lx, ly) for lx, ly in spots if lx + w <= right - 2 and lx >= x.p0 + 2] or spots[:2]
        lx, ly = next(((a, b) for a, b in spots if free(a, b - 10, w, 13)), spots[0])
        lead = False
        for _ in range(14):
            if free(lx, ly - 10, w, 13):
                break
            ly += 13
            lead = True
        boxes.append((lx, ly - 10, w, 13))
        if lead:
            out.append(f'<line x1="{px:.1f}" y1="{py:.1f}" x2="{lx + (w if lx < px else 0):.1f}" y2="{ly - 4:.1f}" '
                       f'stroke="#999" stroke-width="0.6"/>')
        out.append(text(lx, ly, m.label, 10.5, "start", color="#222", extra=HALO))
    return out


def render(chart) -> str:
    """An ``analysis.chartspec`` chart as one ``<svg>`` element."""
    if isinstance(chart, Scatter):
        return scatter(chart.marks, chart.x.text, chart.y.text, chart.lines, chart.x.log, chart.y.log, chart.width,
                       chart.height, chart.title, chart.legend, chart.x.range, chart.y.range)
    if isinstance(chart, Bars):
        tips = {(label, s): text for (label, _), row in zip(chart.rows, chart.tips or [])
                for (s, _), text in zip(chart.series, row)}
        totals = chart.totals
        return stacked_bars(chart.rows, chart.series, chart.x.text, chart.title, chart.width, chart.bar,
                            chart.label_width, (lambda label, s, _v: tips[(label, s)]) if tips else None,
                            (lambda _t, r: totals[r]) if totals else None)
    raise TypeError(f"not a chart: {type(chart).__name__}")
