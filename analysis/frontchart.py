"""The Pareto-front charts of a sweep, one spec (``analysis.chartspec``) for both renderers: the HTML sweep report
(analysis/report/sweep.py, inline SVG) and ``vitsim pareto --plot FILE`` (``plot_front``, matplotlib).

A knob "matters" by its main effect: for each axis, the feasible designs are grouped by the axis' value and the
median of an objective taken per group; the effect is the largest median over the smallest (x1.0: no effect).
Front marks are labelled with the knobs that vary along the front, most effective first.
"""

from __future__ import annotations

import math

from analysis.chartspec import Axis, Line, Mark, Scatter, span_decades
from workloads.errors import InputError

# how a knob's value reads in a label, by axis path (generic: "<last path part> <value>")
KNOB_TEXT = {"array.rows": "{v:g} rows", "array.cols": "{v:g} cols", "buffers.ifmap_kib": "ifmap {v:g} KiB",
             "buffers.weight_kib": "weights {v:g} KiB", "buffers.ofmap_kib": "ofmap {v:g} KiB",
             "dram.bandwidth_gbps": "{v:g} GB/s", "freq_mhz": "{v:g} MHz", "vector.lanes": "{v:g} lanes",
             "ppu.lanes": "PPU {v:g} lanes", "dram.latency_cycles": "DRAM {v:g} cycles"}
MAX_LABELS = 9
MAX_POINTS = 3000      # grey background marks per chart


def unit_of(metric: str) -> str:
    """A result column's unit from simulator/schema.py (empty for an unknown column or a ratio)."""
    from simulator.schema import field

    try:
        u = field(metric).unit
    except KeyError:
        return ""
    return u or ""


def distinct_axes(df, axes: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Axes that vary, without one tied to an earlier one (equal in every row), and each kept axis' ties:
    ``array.cols`` tied to ``array.rows`` is shown once, as ``64x64``."""
    out: list[str] = []
    ties: dict[str, list[str]] = {}
    for a in axes:
        if a not in df.columns or df[a].nunique(dropna=False) < 2:
            continue
        twin = next((b for b in out if (df[a].astype(str) == df[b].astype(str)).all()), None)
        if twin:
            ties.setdefault(twin, []).append(a)
            continue
        out.append(a)
    return out, ties


def knob_effects(rows, axes: list[str], objectives) -> list[dict]:
    """Per axis: values, and per objective the largest / smallest median over the axis' values."""
    out = []
    for a in axes:
        rec = {"axis": a, "values": sorted(rows[a].unique().tolist(), key=lambda v: (str(type(v)), v)),
               "effect": {}, "best": {}}
        for o in objectives:
            med = rows.groupby(a)[o.metric].median().dropna()  # an objective NaN everywhere has no effect
            if med.empty:
                continue
            med = med[med > 0] if (med > 0).any() else med
            lo, hi = float(med.min()), float(med.max())
            rec["effect"][o.metric] = hi / lo if lo > 0 else math.inf
            rec["best"][o.metric] = med.idxmax() if o.maximize else med.idxmin()
        rec["score"] = max(rec["effect"].values(), default=1.0)
        out.append(rec)
    return sorted(out, key=lambda r: -r["score"])


def knob_label(row, knobs: list[str], ties: dict | None = None) -> str:
    """A design in a few words: the value of each knob (``64x64 array, ws, weights 256 KiB``)."""
    parts = []
    for a in knobs:
        v = row[a]
        if isinstance(v, str):
            parts.append(v)
        elif a == "array.rows" and "array.cols" in (ties or {}).get(a, []):
            parts.append(f"{v:g}x{v:g}")
        else:
            parts.append(KNOB_TEXT.get(a, a.rsplit(".", 1)[-1] + " {v:g}").format(v=v))
    return ", ".join(parts)


def spread(n: int, k: int) -> set[int]:
    """k indexes spread evenly over range(n) (all when n <= k)."""
    return set(range(n)) if n <= k else {round(i * (n - 1) / (k - 1)) for i in range(k)}


def pair_spec(rows, front, ox, oy, knobs: list[str], ties: dict, title: str = ""):
    """One objective pair as a chart spec: every feasible design in grey (1 in ``step`` above ``MAX_POINTS``), the
    front of all objectives in orange, the front of this pair as a blue staircase with its designs labelled by
    ``knobs`` (at most ``MAX_LABELS`` spread along it); an axis is logarithmic when its values span a decade or
    more; axis titles are the objective and the column's unit (simulator/schema.py)."""
    from analysis.pareto import pareto_mask

    x, y = rows[ox.metric].to_numpy(float), rows[oy.metric].to_numpy(float)
    log_x, log_y = span_decades(x) >= 1.0, span_decades(y) >= 1.0
    step = max(1, -(-len(x) // MAX_POINTS))     # a large sweep: every step-th design in grey (the front is always whole)
    marks = [Mark(a, b, "#c7c7c7", "", "", "circle", 2.6) for a, b in zip(x[::step], y[::step])]
    pm = pareto_mask(front[[ox.metric, oy.metric]].to_numpy(float), [ox.maximize, oy.maximize])
    pf = front[pm].sort_values(ox.metric)
    for _, r in front.iterrows():
        marks.append(Mark(r[ox.metric], r[oy.metric], "#f2b277", knob_label(r, knobs, ties), "", "circle", 3.6))
    keep = spread(len(pf), MAX_LABELS)
    for i, (_, r) in enumerate(pf.iterrows()):
        label = knob_label(r, knobs, ties)
        tip = f"{label}: {ox.metric} {r[ox.metric]:.4g}, {oy.metric} {r[oy.metric]:.4g}"
        marks.append(Mark(r[ox.metric], r[oy.metric], "#0072b2", tip, label if i in keep else "", "diamond", 5))
    line = Line(pf[ox.metric].tolist(), pf[oy.metric].tolist(), "#0072b2", "front of this pair", width=1.6,
                step=True)
    legend = [("every feasible design" if step == 1 else f"1 in {step} feasible designs", "#c7c7c7"),
              ("on the front of all objectives", "#f2b277"),
              ("front of this pair" + (f" ({len(keep)} of {len(pf)} labelled)" if len(pf) > len(keep) else ""),
               "#0072b2")]
    return Scatter(title or f"{oy.metric} vs {ox.metric}", Axis(ox.text, unit_of(ox.metric), log_x),
                   Axis(oy.text, unit_of(oy.metric), log_y), marks, [line], legend, 760, 500)


def front_knobs(rows, front, axes: list[str], objectives) -> tuple[list[dict], list[str]]:
    """(knob effects of ``axes`` on the feasible ``rows``, the up to 3 knobs that label the front: those that vary
    along it, most effective first; failing any, the most effective)."""
    effects = knob_effects(rows, axes, objectives) if len(rows) else []
    varying = [e["axis"] for e in effects if e["axis"] in front.columns and front[e["axis"]].nunique() > 1]
    return effects, (varying or [e["axis"] for e in effects])[:3]


def plot_front(df, front, objectives, path, by: str | None = "workload",
               title: str = "", axes=()) -> None:
    """Every objective pair as one panel per group (``by``), the same chart the HTML sweep report draws
    (``pair_spec``: log axes where a pair spans a decade, units, the front's designs labelled
    with the ``axes`` knobs that vary along it), rendered with matplotlib (``analysis.chart_mpl``)."""
    from analysis.chart_mpl import save_chart

    metrics = [o.metric for o in objectives]
    pairs = [(i, j) for i in range(len(objectives)) for j in range(i + 1, len(objectives))]
    groups = sorted(df[by].unique()) if by and by in df.columns else [None]
    knob_axes, ties = distinct_axes(df, [a for a in axes if a in df.columns and a in front.columns])
    grid = []
    for g in groups:
        rows = df if g is None else df[df[by] == g]
        rows = rows[rows[metrics].notna().all(axis=1)]
        fr = front if g is None else front[front[by] == g]
        if not len(rows) or not len(fr):
            continue
        _, knobs = front_knobs(rows, fr, knob_axes, objectives)
        grid.append([pair_spec(rows, fr, objectives[i], objectives[j], knobs, ties,
                               (f"{g}: " if g is not None else "") + f"{objectives[j].metric} vs {objectives[i].metric}")
                     for i, j in pairs])
    if not grid:
        raise InputError(str(path), "plot", "no feasible design to plot", "results with a feasible design (or --all)")
    save_chart(grid, path, dpi=120)
