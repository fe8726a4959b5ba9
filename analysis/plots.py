"""Roofline figures (matplotlib, imported lazily; no pyplot state: ``Figure`` + Agg canvas; PNG/SVG by suffix).

``roofline_plot``, ``precision_plot`` and ``time_bars`` are chart specs (``roofline_spec``, ``precision_spec``,
``time_bars_spec``; analysis/chartspec.py) drawn by analysis/chart_mpl.py, the renderer whose SVG twin draws the HTML
report's charts; ``measured_plot`` is drawn by hand on the same axes style (``chart_mpl.style_axes``).

- ``roofline_plot``: log-log attainable performance (TOPS) vs arithmetic intensity (ops per DRAM byte); one
  ceiling per precision, the DRAM (and, for accelerators, SRAM) bandwidth roof, layers as labelled points
  coloured by op type (identical layers of different blocks drawn once).
- ``precision_plot``: one model at several precisions; each precision's ceiling and points in its colour, thin
  lines joining the same layer across precisions so the FP16 -> INT8 -> INT4 shift is visible.
- ``time_bars``: time by layer type (block index dropped), stacked compute-bound vs memory-bound.
- ``measured_plot``: measured layer performance on this host against its measured roofline; points faster
  than their bound are marked.
"""

from __future__ import annotations

import re
from pathlib import Path

from analysis.chart_mpl import label_points as _label_points
from analysis.chart_mpl import new_figure as _figure
from analysis.chart_mpl import save_figure, style_axes
from analysis.chartspec import Axis
from workloads.errors import InputError

OP_COLORS = {"gemm": "#1f77b4", "conv": "#17becf", "matmul": "#9467bd", "softmax": "#d62728",
             "layernorm": "#ff7f0e", "gelu": "#2ca02c", "add": "#8c564b", "mul": "#e377c2",
             "quantize": "#7f7f7f", "elementwise": "#bcbd22"}
PREC_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def short_name(name: str) -> str:
    """Layer type: the module path without its block index (``blocks.3.mlp.fc1`` -> ``mlp.fc1``)."""
    return re.sub(r"(^|\.)(blocks|layers|stages)\.\d+\.", r"\1", name)


INTENSITY = Axis("arithmetic intensity", "ops per DRAM byte", log=True)
PERFORMANCE = Axis("attainable performance", "TOPS", log=True)


def _style(ax) -> None:
    """Log-log roofline axes, titled and ticked as every chart (analysis/chart_mpl.py::style_axes)."""
    style_axes(ax, INTENSITY, PERFORMANCE)
    ax.grid(True, which="major", alpha=0.35, lw=0.6)
    ax.grid(True, which="minor", alpha=0.12, lw=0.4)


def _layer_points(rf):
    """One point per distinct layer type: (label, op, intensity, attainable TOPS, bound)."""
    seen = {}
    for lr in rf.layers:
        if lr.intensity is None:
            continue
        key = (short_name(lr.name), round(lr.intensity, 6))
        if key not in seen:
            seen[key] = (key[0], lr.op, lr.intensity, lr.attainable_ops_per_s / 1e12, lr.bound)
    return list(seen.values())


def _x_range(points, ridges):
    xs = [p[2] for p in points] + list(ridges)
    lo, hi = min(xs), max(xs)
    return lo / 4, hi * 6


def _roof(ax, peak_tops: float, bw_bytes_per_s: float, x0: float, x1: float, color, label, ls="-", lw=1.6):
    """One ceiling: the bandwidth slope up to the ridge, then flat at ``peak_tops``."""
    ridge = peak_tops * 1e12 / bw_bytes_per_s
    xs = [x0, max(x0, min(ridge, x1)), x1]
    ys = [min(peak_tops, x * bw_bytes_per_s / 1e12) for x in xs]
    ax.plot(xs, ys, color=color, ls=ls, lw=lw, label=label, solid_capstyle="butt")
    return ridge


def _ceilings_used(rf) -> list:
    """Peaks the layers use plus the device's main GEMM precisions, fastest first, without duplicates."""
    from analysis.devices import Peak

    dev = rf.device
    found = {lr.ceiling: Peak(lr.ceiling, lr.peak_ops_per_s) for lr in rf.layers}
    for k in ([] if dev.kind == "accelerator" else ["fp32", "fp16", "fp8", "int8", "int4"]):
        if dev.has(k):
            p = dev.peak(k)
            found.setdefault(p.key, p)
    return sorted(found.values(), key=lambda p: -p.ops_per_s)


def _tops(v: float) -> str:
    return f"{v:,.0f}" if v >= 100 else f"{v:.3g}"


def roofline_spec(rf):
    """Classic log-log roofline of one run as a chart spec (``analysis.chartspec.Scatter``; module docstring): one
    grey roof per GEMM ceiling labelled at its right end, dashed roofs in the op's colour for ceilings only vector
    ops use, the DRAM (and SRAM) slope labelled at its left end, GEMMs again at their SRAM intensity (hollow),
    one mark per distinct layer type coloured by op (circle: compute-bound, square: memory-bound)."""
    from analysis.chartspec import Line, Mark, Scatter

    dev = rf.device
    bw = dev.dram.bandwidth_bytes_per_s
    pts = _layer_points(rf)
    peaks = _ceilings_used(rf)
    x0, x1 = _x_range(pts + [("", "", lr.ops / lr.sram_bytes, 0, "") for lr in rf.layers if lr.sram_bytes],
                      [p.ops_per_s / bw for p in peaks])
    grey = ["#222222", "#555555", "#777777", "#999999", "#aaaaaa", "#bbbbbb", "#cccccc"]
    gemm_keys = {lr.ceiling for lr in rf.layers if lr.op in ("gemm", "conv", "matmul")}
    vector_ops = {lr.ceiling: lr.op for lr in rf.layers if lr.ceiling not in gemm_keys}
    lines, legend = [], []
    for i, p in enumerate([p for p in peaks if p.key not in vector_ops]):
        lines.append(_roof_line(p.ops_per_s / 1e12, bw, x0, x1, grey[min(i, len(grey) - 1)],
                                f"{p.key}  {_tops(p.ops_per_s / 1e12)} TOPS", "", 2.1))
    for p in peaks:                      # ceilings only vector ops use: dashed, in the op's colour, in the legend
        if p.key in vector_ops:
            accel = dev.kind == "accelerator"
            label = (f"{p.key} ceiling {_tops(p.ops_per_s / 1e9)} GOPS" if accel
                     else f"{p.key} (non-tensor, vector ops) {_tops(p.ops_per_s / 1e12)} TOPS")
            color = OP_COLORS.get(vector_ops[p.key], "#777777") if accel else "#999999"
            lines.append(_roof_line(p.ops_per_s / 1e12, bw, x0, x1, color, label, "5,4", 1.3, labelled=False))
            legend.append((label, color, "dash"))
    marks = []
    sram_pts = {}
    for lr in rf.layers:                 # hierarchical roofline: GEMMs again at their SRAM intensity (hollow)
        if lr.sram_bytes:
            sram_pts.setdefault((short_name(lr.name), lr.ops / lr.sram_bytes), lr.attainable_ops_per_s / 1e12)
    for (name, x), y in sram_pts.items():
        marks.append(Mark(x, y, "#555555", f"{name} at its SRAM intensity", "", "circle", 3.6, hollow=True))
    if sram_pts:
        legend.append(("GEMM at SRAM intensity", "#555555", "hollow"))
    sram = dev.level("sram")
    if sram is not None and sram.bandwidth_bytes_per_s:
        top = peaks[0].ops_per_s / 1e12
        xs = [x0, min(x1, top * 1e12 / sram.bandwidth_bytes_per_s)]
        lines.append(Line(xs, [x * sram.bandwidth_bytes_per_s / 1e12 for x in xs], "#888888",
                          f"SRAM {sram.bandwidth_bytes_per_s / 1e9:,.0f} GB/s", "2,3", 1.6,
                          (xs[0], xs[0] * sram.bandwidth_bytes_per_s / 1e12), label_anchor="start"))
    lines.append(Line([x0, x1], [x0 * bw / 1e12, x1 * bw / 1e12], "#222222", f"DRAM {bw / 1e9:,.4g} GB/s", "", 0.0,
                      (x0, x0 * bw / 1e12), label_anchor="start"))
    ops_seen = []
    for label, op, x, y, bound in pts:
        color = OP_COLORS.get(op, "#333333")
        marks.append(Mark(x, y, color, f"{label} ({op}, {bound}-bound): {y:.3g} TOPS at {x:.3g} ops/B", label,
                          "circle" if bound == "compute" else "square", 4.5))
        if op not in ops_seen:
            ops_seen.append(op)
            legend.append((op, color, "dot"))
    legend += [("compute-bound", "#777777", "dot"), ("memory-bound", "#777777", "square")]
    ys = [p[3] for p in pts] + [peaks[0].ops_per_s / 1e12]
    w, t = rf.workload, rf.totals
    title = (f"{w.name}, batch {w.batch} on {dev.name}" + (" (fused attention)" if rf.options.get("fused_attention")
                                                           else "")
             + (f"\nbound {t['throughput_fps_bound']:,.0f} img/s, expected {t['throughput_fps_expected']:,.0f}"
                f" img/s ({rf.options.get('framework', 'none')})" if t.get("throughput_fps_expected") else ""))
    return Scatter(title, Axis(INTENSITY.label, INTENSITY.unit, True, (x0, x1)),
                   Axis(PERFORMANCE.label, PERFORMANCE.unit, True,
                        (min(min(ys) / 3, x0 * bw / 1e12), max(ys) * 2.5)),
                   marks, lines, legend, 884, 598)


def _roof_line(peak_tops: float, bw: float, x0: float, x1: float, color: str, label: str, dash: str, width: float,
               labelled: bool = True):
    """One ceiling: the bandwidth slope up to the ridge, then flat at ``peak_tops``; labelled at its right end."""
    from analysis.chartspec import Line

    ridge = peak_tops * 1e12 / bw
    xs = [x0, max(x0, min(ridge, x1)), x1]
    ys = [min(peak_tops, x * bw / 1e12) for x in xs]
    return Line(xs, ys, color, label, dash, width, (x1, peak_tops) if labelled else None)


def roofline_plot(rf, path) -> Path:
    """``roofline_spec`` drawn with matplotlib and saved by suffix."""
    from analysis.chart_mpl import save_chart

    return save_chart(roofline_spec(rf), path)


def precision_spec(runs):
    """One model at several precisions as a chart spec: ``runs`` = [(label, Roofline), ...] on the same device;
    each precision's GEMM ceiling and layers in its colour, thin grey lines joining the same layer across
    precisions, the last precision's layers labelled."""
    from analysis.chartspec import Line, Mark, Scatter

    if not runs:
        raise InputError("precision_plot", "runs", "no precision given")
    dev = runs[0][1].device
    bw = dev.dram.bandwidth_bytes_per_s
    all_pts = [_layer_points(rf) for _, rf in runs]
    gemm_peaks = []
    for _, rf in runs:
        keys = {lr.ceiling for lr in rf.layers if lr.op in ("gemm", "conv", "matmul")}
        gemm_peaks.append(sorted((dev.peak(k) for k in keys), key=lambda p: -p.ops_per_s))
    flat = [p for ps in all_pts for p in ps]
    x0, x1 = _x_range(flat, [p.ops_per_s / bw for ps in gemm_peaks for p in ps])
    lines = []
    by_label: dict[str, list] = {}      # join the same layer across precisions
    for ps in all_pts:
        for label, _op, x, y, _b in ps:
            by_label.setdefault(label, []).append((x, y))
    for label, xy in by_label.items():
        if len(xy) > 1:
            lines.append(Line([p[0] for p in xy], [p[1] for p in xy], "#bbbbbb", label, width=0.9))
    top_ridge = max((p.ops_per_s / bw for ps in gemm_peaks for p in ps), default=x1)
    xs = [x0, min(top_ridge, x1)]
    lines.append(Line(xs, [x * bw / 1e12 for x in xs], "#333333", f"DRAM {bw / 1e9:,.4g} GB/s", "", 1.9,
                      (x0, x0 * bw / 1e12), label_anchor="start"))
    marks, legend, drawn = [], [], set()
    last = len(runs) - 1
    for i, ((name, rf), pts, peaks) in enumerate(zip(runs, all_pts, gemm_peaks)):
        c = PREC_COLORS[i % len(PREC_COLORS)]
        ceiling = ""
        for p in peaks[:1]:
            ceiling = f", {p.key} {_tops(p.ops_per_s / 1e12)} TOPS"
            if p.key not in drawn:
                lines.append(Line([p.ops_per_s / bw, x1], [p.ops_per_s / 1e12] * 2, c, p.key, width=2.1))
                drawn.add(p.key)
        for label, op, x, y, bound in pts:
            marks.append(Mark(x, y, c, f"{name} {label} ({op}, {bound}-bound): {y:.3g} TOPS", label if i == last
                              else "", "circle", 4.5))
        lat = rf.totals["latency_s_bound"]
        legend.append((f"{name}{ceiling}: {rf.totals['throughput_fps_bound']:,.0f} img/s ({lat * 1e3:.3g} ms)", c))
    ys = [p[3] for p in flat] + [gemm_peaks[0][0].ops_per_s / 1e12 if gemm_peaks[0] else 1]
    w = runs[0][1].workload
    return Scatter(f"{w.model}, batch {w.batch} on {dev.name}: precision shifts the layers",
                   Axis(INTENSITY.label, INTENSITY.unit, True, (x0, x1)),
                   Axis(PERFORMANCE.label, PERFORMANCE.unit, True, (min(min(ys) / 3, x0 * bw / 1e12), max(ys) * 4)),
                   marks, lines, legend, 936, 624)


def precision_plot(runs, path) -> Path:
    """``precision_spec`` drawn with matplotlib and saved by suffix."""
    from analysis.chart_mpl import save_chart

    return save_chart(precision_spec(runs), path)


def time_bars_spec(rf):
    """Time per layer type (summed over blocks), stacked compute-bound / memory-bound (DRAM) / SRAM-bound, largest
    first, as a chart spec (``analysis.chartspec.Bars``); each bar ends with its share of the layers' summed bounds
    (they add up to 100 %; where work overlaps, the network's bound in the title is below their sum)."""
    from analysis.chartspec import Axis, Bars

    groups: dict[str, dict] = {}
    for lr in rf.layers:
        d = groups.setdefault(short_name(lr.name), {"compute": 0.0, "memory": 0.0, "sram": 0.0, "op": lr.op})
        d[lr.bound] += lr.time_s
    items = sorted(groups.items(), key=lambda kv: -(kv[1]["compute"] + kv[1]["memory"] + kv[1]["sram"]))
    total = rf.totals["latency_s_bound"]
    scale, unit = (1e3, "ms") if total >= 1e-3 else (1e6, "µs")
    series = [("compute-bound", "#1f77b4"), ("memory-bound (DRAM)", "#ff7f0e"), ("SRAM-bound", "#9467bd")]
    rows = [(name, [v["compute"] * scale, v["memory"] * scale, v["sram"] * scale]) for name, v in items]
    w = rf.workload
    summed = sum(sum(v for k, v in d.items() if k != "op") for d in groups.values()) or total
    beside = (f"\nthe layers' bounds sum to {summed * scale:.3g} {unit} (overlapping work counted in each layer)"
              if summed > total * (1 + 1e-9) else "")
    title = (f"{w.name}, batch {w.batch} on {rf.device.name}\n{total * scale:.3g} {unit} lower bound, "
             f"{rf.totals['memory_bound_time_fraction'] * 100:.0f}% of it memory-bound{beside}")
    return Bars.of(title, Axis("time lower bound", unit), rows, series,
                   lambda label, s, v: f"{label}: {s} {v:.3g} {unit}",
                   lambda v, _r: f"{v / (summed * scale) * 100:.1f}%", width=884, bar=16)


def time_bars(rf, path) -> Path:
    """``time_bars_spec`` drawn with matplotlib and saved by suffix."""
    from analysis.chart_mpl import save_chart

    return save_chart(time_bars_spec(rf), path)


def measured_plot(result, path) -> Path:
    """Measured layers (filled) and their predicted bounds (hollow) on the host's measured roofline."""
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    _style(ax)
    dev = result.device
    rows = result.rows
    xs = [r["intensity"] for r in rows if r["intensity"]]
    peaks = sorted(dev.peaks, key=lambda p: -p.ops_per_s)
    levels = [m for m in dev.memory if m.bandwidth_bytes_per_s]
    bw = dev.dram.bandwidth_bytes_per_s
    x0, x1 = min(xs) / 4, max(xs + [p.ops_per_s / bw for p in peaks]) * 6
    for i, p in enumerate(peaks):
        _roof(ax, p.ops_per_s / 1e12, bw, x0, x1, ["#222222", "#666666", "#999999"][min(i, 2)], None)
        ax.annotate(f"{p.key} (measured)  {p.ops_per_s / 1e9:,.1f} GOPS", (x1, p.ops_per_s / 1e12), xytext=(-3, 3),
                    textcoords="offset points", ha="right", va="bottom", fontsize=7)
    for m in levels[1:]:
        top = peaks[0].ops_per_s
        xs = [x0, min(x1, top / m.bandwidth_bytes_per_s)]
        ax.plot(xs, [x * m.bandwidth_bytes_per_s / 1e12 for x in xs], color="#888888", ls=":", lw=1.2)
    for m in levels:
        ax.annotate(f"{m.name} {m.bandwidth_bytes_per_s / 1e9:,.1f} GB/s", (x0, x0 * m.bandwidth_bytes_per_s / 1e12),
                    xytext=(3, 6), textcoords="offset points", fontsize=7)
    seen = set()
    pts = []
    ops_seen: dict[str, str] = {}
    for r in rows:
        if not r["intensity"]:
            continue
        c = OP_COLORS.get(r["op"], "#333333")
        label = short_name(r["name"])
        meas = r["ops"] / r["measured_s"] / 1e12
        bound = r["ops"] / r["bound_s"] / 1e12
        first = (label, r["op"]) not in seen
        ax.plot([r["intensity"]] * 2, [meas, bound], color=c, lw=0.5, alpha=0.5, zorder=2)
        ax.scatter([r["intensity"]], [bound], s=22, facecolor="none", edgecolor=c, linewidth=0.8, zorder=3)
        ax.scatter([r["intensity"]], [meas], s=26, color=c, edgecolor="black", linewidth=0.4, zorder=4,
                   marker="X" if r.get("faster_than_cache_bound", r["faster_than_bound"])
                   else "^" if r["faster_than_bound"] else "o")
        ops_seen.setdefault(r["op"], c)
        if first:
            seen.add((label, r["op"]))
            pts.append((label, r["op"], r["intensity"], meas, ""))
    ys = [p[3] for p in pts] + [peaks[0].ops_per_s / 1e12]
    ax.set_xlim(x0, x1)
    ax.set_ylim(min(ys) / 3, max(ys) * 2.5)
    _label_points(ax, pts)
    ax.set_title(f"{result.model} on this host (1 thread): measured (filled) vs bound (hollow)", fontsize=9.5)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], ls="none", marker="o", ms=5, color=c, mec="black", mew=0.4, label=op)
               for op, c in ops_seen.items()]
    handles.append(Line2D([], [], ls="none", marker="^", ms=6, color="#777777", mec="black", mew=0.4,
                          label="faster than DRAM bound (cached)"))
    handles.append(Line2D([], [], ls="none", marker="X", ms=6, color="#777777", mec="black", mew=0.4,
                          label="faster than every bound"))
    ax.legend(handles=handles, fontsize=7, loc="lower right", framealpha=0.9, title="op", title_fontsize=7)
    return save_figure(fig, path)
