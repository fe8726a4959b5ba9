"""The matplotlib renderer of ``analysis.chartspec`` charts (PNG, SVG, PDF, JPG files), and the figure helpers
the hand-drawn roofline figures of ``analysis.plots`` share. matplotlib is imported inside the functions.

``render(chart)`` draws a chart on a new figure, ``render_grid(rows)`` several charts as panels (rows x columns)
of one figure, ``save_chart`` either to a file. What a chart shows comes from its spec only, as in the HTML
report's SVG (``analysis.report.svg.render``): the axis titles are ``Axis.text`` (label, unit, ", log scale"), the
scales ``Axis.scale``, tick labels the same SI numbers (``chartspec.si``: 1.5k, 23M, 0.012), the title, legend entries,
line labels and point labels the spec's. Pixel sizes of the spec are divided by ``PX_PER_INCH``.
"""

from __future__ import annotations

from pathlib import Path

from analysis.chartspec import Bars, Scatter
from workloads.errors import InputError

SUFFIXES = (".png", ".svg", ".pdf", ".jpg", ".jpeg")
PX_PER_INCH = 130
MARKERS = {"circle": "o", "square": "s", "diamond": "D"}


def new_figure(width: float = 6.8, height: float = 4.6):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    fig.set_layout_engine("constrained")
    return fig


def save_figure(fig, path, dpi: int = 200) -> Path:
    """Save by suffix (PNG, SVG, PDF, JPG), written to a temporary name then renamed (workloads.io.atomic_write)."""
    from workloads.io import atomic_write

    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(str(path), "image type", f"unknown suffix {path.suffix!r}", ", ".join(SUFFIXES))
    from workloads.progress import wrote

    out = atomic_write(path, lambda fh: fig.savefig(fh, dpi=dpi, format=path.suffix[1:].lower()), binary=True)
    wrote(path)
    return out


def label_points(ax, pts, fontsize=6.5, avoid=()):
    """One label per cluster of coinciding points (names joined, three per line); each label goes right of its
    point, or is moved down (then up) in steps until its box clears every label placed before it.
    Labels also keep clear of the points in ``pts`` and ``avoid`` ((x, y) data pairs) and flip to the left of
    their point at the right edge. Call after the axis limits are set (placement is in display coordinates)."""
    import math

    clusters: list[list] = []
    for label, _op, x, y, _b in sorted(pts, key=lambda p: (-p[3], p[2])):
        lx, ly = math.log10(x), math.log10(y)
        for c in clusters:
            if abs(c[0] - lx) < 0.03 and abs(c[1] - ly) < 0.03:
                if label not in c[2]:
                    c[2].append(label)
                break
        else:
            clusters.append([lx, ly, [label], x, y])
    dpi = ax.figure.dpi
    char_w, line_h = fontsize * 0.55 * dpi / 72, fontsize * 1.15 * dpi / 72
    dots = [ax.transData.transform((p[2], p[3])) for p in pts] + [ax.transData.transform(a) for a in avoid]
    r = 4.0
    placed: list[tuple[float, float, float, float]] = [(dx - r, dy - r, dx + r, dy + r) for dx, dy in dots]
    right_edge = ax.transAxes.transform((1, 0))[0]
    for _lx, _ly, names, x, y in clusters:
        lines = [", ".join(names[i:i + 3]) for i in range(0, len(names), 3)]
        px, py = ax.transData.transform((x, y))
        w, h = max(map(len, lines)) * char_w, len(lines) * line_h
        left = px + 6 + w > right_edge
        x0 = px - 6 - w if left else px + 6
        chosen = 0.0
        for step in [0, -1, 1, -2, 2, -3, 3, -4, 4, -5, -6, -7, -8]:
            cy = py + step * (line_h + 1)
            box = (x0, cy - h / 2, x0 + w, cy + h / 2)
            if all(box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3] for b in placed):
                chosen = step * (line_h + 1)
                placed.append(box)
                break
        else:
            placed.append((x0, py - h / 2, x0 + w, py + h / 2))
        ax.annotate("\n".join(lines), (x, y), xytext=((-6 if left else 6) * 72 / dpi, chosen * 72 / dpi),
                    textcoords="offset points", fontsize=fontsize, color="#333333", va="center",
                    ha="right" if left else "left", linespacing=1.0, zorder=5,
                    bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.55},
                    arrowprops={"arrowstyle": "-", "lw": 0.3, "color": "#999999", "shrinkA": 0, "shrinkB": 2}
                    if abs(chosen) > line_h / 2 else None)


def _si_formatter():
    from matplotlib.ticker import FuncFormatter

    from analysis.chartspec import si

    return FuncFormatter(lambda v, _pos: si(v))


def style_axes(ax, x, y=None, title: str | None = None) -> None:
    """Axis titles (``Axis.text``), scales and SI tick labels of ``chartspec.Axis`` ``x`` and ``y`` on a matplotlib
    Axes: what every chart drawn here shows, the hand-drawn roofline figures of analysis/plots.py included."""
    from matplotlib.ticker import NullFormatter

    for axis, spec, which in ((ax.xaxis, x, "x"), (ax.yaxis, y, "y")):
        if spec is None:
            continue
        (ax.set_xscale if which == "x" else ax.set_yscale)(spec.scale)
        (ax.set_xlabel if which == "x" else ax.set_ylabel)(spec.text, fontsize=9)
        axis.set_major_formatter(_si_formatter())
        axis.set_minor_formatter(NullFormatter())
    ax.tick_params(labelsize=8)
    if title is not None:
        ax.set_title(title, fontsize=10)


def _style_axis(ax, chart) -> None:
    style_axes(ax, chart.x, getattr(chart, "y", None), chart.title)


def _dash(pattern: str):
    return (0, tuple(float(v) for v in pattern.replace(" ", ",").split(",") if v)) if pattern else "-"


def _limits(values: list, log: bool, given):
    from analysis.chartspec import padded

    if given:
        return given
    vals = [v for v in values if (v > 0 or not log)]
    return padded(min(vals, default=1), max(vals, default=10), log)


def draw_scatter(ax, chart: Scatter) -> None:
    """Lines, marks (grouped by colour, shape and size), line labels at their points, point labels placed clear
    of each other (``label_points``), the legend of ``chart.legend`` as dots."""
    _style_axis(ax, chart)
    for ln in chart.lines:
        draw = ax.step if ln.step else ax.plot
        kw = {"where": "post"} if ln.step else {}
        draw(ln.xs, ln.ys, color=ln.color, lw=ln.width * 0.75, ls=_dash(ln.dash), zorder=2, **kw)
    groups: dict[tuple, list] = {}
    for m in chart.marks:
        if (chart.x.log and m.x <= 0) or (chart.y.log and m.y <= 0):
            continue
        groups.setdefault((m.color, m.shape, m.size, m.hollow), []).append(m)
    for (color, shape, size, hollow), ms in groups.items():
        ax.scatter([m.x for m in ms], [m.y for m in ms], s=(size * 1.1) ** 2, marker=MARKERS.get(shape, "o"),
                   facecolor="none" if hollow else color, edgecolor=color if hollow else "white",
                   linewidth=0.8 if hollow else 0.5, zorder=3)
    xs = [m.x for m in chart.marks] + [v for ln in chart.lines for v in ln.xs]
    ys = [m.y for m in chart.marks] + [v for ln in chart.lines for v in ln.ys]
    ax.set_xlim(*_limits(xs, chart.x.log, chart.x.range))
    ax.set_ylim(*_limits(ys, chart.y.log, chart.y.range))
    ax.grid(True, which="major", alpha=0.35, lw=0.6)
    for ln in chart.lines:
        if ln.label_at:
            start = ln.label_anchor == "start"
            ax.annotate(ln.label, ln.label_at, xytext=(3 if start else -3, 3), textcoords="offset points",
                        ha="left" if start else "right", va="bottom", fontsize=7, color=ln.color, fontweight="bold",
                        zorder=6)
    labelled = [(m.label, "", m.x, m.y, "") for m in chart.marks if m.label
                and not ((chart.x.log and m.x <= 0) or (chart.y.log and m.y <= 0))]
    if labelled:               # labels keep clear of the unlabelled marks too
        label_points(ax, labelled, avoid=[(m.x, m.y) for m in chart.marks if not m.label
                                          and not ((chart.x.log and m.x <= 0) or (chart.y.log and m.y <= 0))])
    if chart.legend:
        leg = ax.legend(handles=[_handle(*item) for item in chart.legend], fontsize=7, loc="best", framealpha=0.9)
        leg.get_frame().set_linewidth(0.5)


def _handle(text: str, color: str, marker: str = "dot"):
    """A legend entry drawn as the SVG renderer draws it (``chartspec.LEGEND_MARKERS``)."""
    from matplotlib.lines import Line2D

    if marker in ("line", "dash"):
        return Line2D([], [], color=color, lw=1.6, ls="--" if marker == "dash" else "-", label=text)
    shape = {"square": "s", "rect": "s"}.get(marker, "o")
    return Line2D([], [], ls="none", marker=shape, ms=5, label=text, mec=color,
                  mfc="none" if marker == "hollow" else color)


def draw_bars(ax, chart: Bars) -> None:
    """Stacked horizontal bars, first row at the top; the totals text after each bar; a legend of the series
    that appear."""
    _style_axis(ax, chart)
    names = [label for label, _ in chart.rows]
    left = [0.0] * len(names)
    for i, (series, color) in enumerate(chart.series):
        vals = [max(vals[i], 0.0) for _, vals in chart.rows]
        if not any(vals):
            continue
        ax.barh(range(len(names)), vals, left=left, color=color, label=series, height=0.75)
        left = [a + b for a, b in zip(left, vals)]
    ax.set_yticks(range(len(names)), names, fontsize=7.5)
    ax.invert_yaxis()
    for y, (total, text) in enumerate(zip(left, chart.totals or [])):
        ax.annotate(text, (total, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=7)
    ax.set_xlim(0, max(left, default=1.0) * (1.35 if chart.totals else 1.12) or 1.0)
    ax.grid(True, axis="x", alpha=0.3, lw=0.6)
    ax.legend(fontsize=7, loc="lower right", framealpha=0.9)


def draw(ax, chart) -> None:
    if isinstance(chart, Scatter):
        draw_scatter(ax, chart)
    elif isinstance(chart, Bars):
        draw_bars(ax, chart)
    else:
        raise TypeError(f"not a chart: {type(chart).__name__}")


def _size(chart) -> tuple[float, float]:
    if isinstance(chart, Bars):
        return chart.width / PX_PER_INCH, 1.2 + 0.22 * len(chart.rows)
    return chart.width / PX_PER_INCH, chart.height / PX_PER_INCH


def render(chart):
    """One chart on a new figure (constrained layout)."""
    fig = new_figure(*_size(chart))
    draw(fig.add_subplot(1, 1, 1), chart)
    return fig


def render_grid(rows: list[list], title: str = ""):
    """Charts as panels: ``rows`` of charts (a row may be shorter; the empty panels are left out)."""
    ncols = max(len(r) for r in rows)
    w = max(_size(c)[0] for r in rows for c in r)
    h = max(_size(c)[1] for r in rows for c in r)
    fig = new_figure(w * ncols, h * len(rows))
    for i, row in enumerate(rows):
        for j, chart in enumerate(row):
            draw(fig.add_subplot(len(rows), ncols, i * ncols + j + 1), chart)
    if title:
        fig.suptitle(title)
    return fig


def save_chart(chart, path, dpi: int = 200) -> Path:
    """A chart (or a grid: a list of rows of charts) rendered and saved by suffix."""
    fig = render_grid(chart) if isinstance(chart, list) else render(chart)
    return save_figure(fig, path, dpi)
