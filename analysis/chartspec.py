"""One chart, two renderers: a chart is built once as data (this module) and drawn either as inline SVG for the
HTML report (``analysis.report.svg.render``) or as a matplotlib figure for PNG/SVG/PDF files
(``analysis.chart_mpl.render``), so both show the same axes, scales, units, series and labels.

- ``Axis``: a label, its unit and its scale (linear or log, base 10); ``Axis.text`` is what both renderers print
  under or beside the axis: ``"<label> (<unit>)"``, plus ``", log scale"`` on a log axis.
- ``Scatter``: marks (points with colour, shape, hover text and an optional printed label) and lines (roofs,
  fronts; an optional label printed at a point), a legend of (text, colour), two axes, a title.
- ``Bars``: horizontal stacked bars, one row per (label, values per series), a linear value axis from 0, the text
  printed after each bar.

Sizes are in SVG pixels (the matplotlib renderer divides them by its dpi). Nothing here imports matplotlib.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

LEGEND_MARKERS = ("dot", "square", "hollow", "line", "dash", "rect")


@dataclass(frozen=True)
class Axis:
    """A chart axis: ``label`` (what), ``unit`` (e.g. ``us``, ``TOPS``; empty for a count or a ratio), ``log``
    (base-10 log scale), ``range`` (data limits; None: the data, padded)."""

    label: str
    unit: str = ""
    log: bool = False
    range: tuple[float, float] | None = None

    @property
    def text(self) -> str:
        return self.label + (f" ({self.unit})" if self.unit else "") + (", log scale" if self.log else "")

    @property
    def scale(self) -> str:
        return "log" if self.log else "linear"


@dataclass
class Mark:
    """One scatter point: position, colour, hover text, an optional printed label and shape."""

    x: float
    y: float
    color: str
    tip: str = ""
    label: str = ""
    shape: str = "circle"     # circle | square | diamond
    size: float = 5.0
    hollow: bool = False      # outline only


@dataclass
class Line:
    """A polyline (e.g. a roof or a front) with a label; ``label_at`` prints the label at that (x, y); ``step``
    draws it as a staircase (horizontal first, as a Pareto front)."""

    xs: list
    ys: list
    color: str
    label: str = ""
    dash: str = ""            # SVG dash pattern, e.g. "5,4"
    width: float = 2.0
    label_at: tuple | None = None
    step: bool = False
    label_anchor: str = "end"  # end: the label ends at label_at (a roof's right end); start: it starts there


@dataclass
class Scatter:
    """A scatter chart: ``legend`` lists (text, colour) pairs shown as dots, or (text, colour, marker) with marker
    one of ``LEGEND_MARKERS``."""

    title: str
    x: Axis
    y: Axis
    marks: list[Mark] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    width: float = 900
    height: float = 520


@dataclass
class Bars:
    """Horizontal stacked bars on a linear value axis ``x`` from 0: ``rows`` = [(label, [value per series])],
    ``series`` = [(name, colour)]; ``tips[row][series]`` the hover text of a segment (None: "label: series
    value"); ``totals[row]`` the text printed after a bar (None: nothing)."""

    title: str
    x: Axis
    rows: list[tuple[str, list[float]]]
    series: list[tuple[str, str]]
    tips: list[list[str]] | None = None
    totals: list[str] | None = None
    width: float = 1000
    bar: float = 18
    label_width: float = 150

    @classmethod
    def of(cls, title: str, x: Axis, rows, series, tip=None, total=None, **sizes) -> Bars:
        """Bars with the hover texts ``tip(row label, series name, value)`` and the bar-end texts
        ``total(row sum of the positive values, row index)`` evaluated here, once."""
        tips = [[tip(label, s, v) for (s, _), v in zip(series, vals)] for label, vals in rows] if tip else None
        totals = [total(sum(v for v in vals if v > 0), r) for r, (_, vals) in enumerate(rows)] if total else None
        return cls(title, x, list(rows), list(series), tips, totals, **sizes)


Chart = Scatter | Bars


def si(v: float, digits: int = 3) -> str:
    """A number for an axis or a label: 1.5k, 23M, 0.012 (SI prefixes from milli to tera)."""
    if v == 0 or not math.isfinite(v):
        return "0" if v == 0 else str(v)
    a = abs(v)
    for scale, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= scale:
            return f"{v / scale:.{digits}g}{suffix}"
    if a >= 1e-3:
        return f"{v:.{digits}g}"
    return f"{v:.{digits - 1}e}"


def span_decades(values) -> float:
    """How many decades the positive ``values`` span (0 when fewer than two)."""
    pos = [v for v in values if v > 0 and math.isfinite(v)]
    return math.log10(max(pos) / min(pos)) if len(pos) > 1 else 0.0


def padded(lo: float, hi: float, log: bool, frac: float = 0.06) -> tuple[float, float]:
    """[lo, hi] widened a little so marks do not sit on the frame."""
    if log:
        lo, hi = max(lo, 1e-300), max(hi, 1e-300)
        f = (hi / lo) ** frac if hi > lo else 3.0
        return lo / f, hi * f
    d = (hi - lo) * frac or (abs(hi) * frac or 1.0)
    return lo - d, hi + d
